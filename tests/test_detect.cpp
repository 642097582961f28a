// DTEC statistics, the quiet mask, the anomaly flags and the median-iqr detector on series
// whose answers are known by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tecscan/detect.hpp"
#include "tecscan/median_iqr.hpp"

namespace tecscan {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<TimeS> hourly_axis(TimeS start, size_t n, TimeS step = kHour) {
  std::vector<TimeS> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = start + static_cast<TimeS>(i) * step;
  return t;
}

TEST(ComputeDtec, WholeSeriesMedianAndIqrOfOneToNine) {
  // Node 0: delta = 1..9 in scrambled order, then an epoch without observation and one
  // without prediction (both ignored). Type-7 quantiles: median 5, q1 3, q3 7, IQR 4.
  // Node 1: a constant delta has IQR 0, so no DTEC at all.
  const std::vector<float> delta = {7, 3, 9, 1, 5, 8, 2, 6, 4};
  const size_t nt = 11;
  std::vector<float> observed(2 * nt), predicted(2 * nt);
  for (size_t t = 0; t < nt; ++t) {
    predicted[t] = 20.0f + static_cast<float>(t);
    observed[t] = predicted[t] + (t < 9 ? delta[t] : 0.0f);
    predicted[nt + t] = 10.0f;
    observed[nt + t] = 12.5f;
  }
  observed[9] = kNaN;
  predicted[10] = kNaN;
  const auto time = hourly_axis(make_time(2001, 1, 1), nt);

  DtecOutput out;
  compute_dtec_cpu(observed.data(), predicted.data(), 2, nt, time.data(), DtecScope::kWholeSeries,
                   nullptr, out);
  ASSERT_EQ(out.ngroup, 1u);
  ASSERT_EQ(out.median.size(), 2u);
  EXPECT_DOUBLE_EQ(out.median[0], 5.0);
  EXPECT_DOUBLE_EQ(out.iqr[0], 4.0);
  for (size_t t = 0; t < 9; ++t) {
    EXPECT_FLOAT_EQ(out.delta[t], delta[t]) << "t=" << t;
    EXPECT_FLOAT_EQ(out.dtec[t], (delta[t] - 5.0f) / 4.0f) << "t=" << t;
  }
  EXPECT_TRUE(std::isnan(out.delta[9]) && std::isnan(out.dtec[9]));
  EXPECT_TRUE(std::isnan(out.delta[10]) && std::isnan(out.dtec[10]));

  EXPECT_DOUBLE_EQ(out.median[1], 2.5);
  EXPECT_DOUBLE_EQ(out.iqr[1], 0.0);
  for (size_t t = 0; t < nt; ++t) {
    EXPECT_FLOAT_EQ(out.delta[nt + t], 2.5f);
    EXPECT_TRUE(std::isnan(out.dtec[nt + t])) << "IQR 0 must give NaN, t=" << t;
  }
}

TEST(ComputeDtec, PerUtcHourGroupsEpochsByHourOfDay) {
  // Three days, hourly, starting at 05:00 UTC. delta = 10 * hour + day (day 0, 1, 2):
  // per hour the median is 10 h + 1 and the IQR 1 (q1 10 h + 0.5, q3 10 h + 1.5), so
  // DTEC = day - 1. The whole-series scope mixes the hours and gives something else.
  const size_t nt = 72;
  const auto time = hourly_axis(make_time(2001, 1, 1, 5), nt);
  std::vector<float> observed(nt), predicted(nt, 0.0f);
  for (size_t t = 0; t < nt; ++t) {
    const int hour = static_cast<int>((5 + t) % 24), day = static_cast<int>(t / 24);
    observed[t] = static_cast<float>(10 * hour + day);
  }
  DtecOutput out;
  compute_dtec_cpu(observed.data(), predicted.data(), 1, nt, time.data(), DtecScope::kPerUtcHour,
                   nullptr, out);
  ASSERT_EQ(out.ngroup, 24u);
  for (int h = 0; h < 24; ++h) {
    EXPECT_DOUBLE_EQ(out.median[h], 10.0 * h + 1) << "hour " << h;
    EXPECT_DOUBLE_EQ(out.iqr[h], 1.0) << "hour " << h;
  }
  for (size_t t = 0; t < nt; ++t)
    EXPECT_FLOAT_EQ(out.dtec[t], static_cast<float>(t / 24) - 1.0f) << "t=" << t;

  DtecOutput whole;
  compute_dtec_cpu(observed.data(), predicted.data(), 1, nt, time.data(), DtecScope::kWholeSeries,
                   nullptr, whole);
  EXPECT_EQ(whole.ngroup, 1u);
  EXPECT_GT(whole.iqr[0], 100.0);  // the diurnal spread, not the day-to-day one
}

TEST(QuietMask, ThresholdsAreStrictAndMissingIsNotQuiet) {
  const QuietThresholds q;  // Kp < 2.5, Ap < 25, -20 < Dst < 20, F10.7 < 120
  struct Case {
    float kp, ap, dst, f107;
    uint8_t quiet, missing;
  };
  const std::vector<Case> cases = {
      {1.0f, 5, 0, 80, 1, 0},          // all quiet
      {2.5f, 5, 0, 80, 0, 0},          // Kp == 2.5 is not < 2.5
      {2.4999f, 5, 0, 80, 1, 0},       //
      {1.0f, 25, 0, 80, 0, 0},         // Ap == 25
      {1.0f, 24.99f, 0, 80, 1, 0},     //
      {1.0f, 5, -20, 80, 0, 0},        // Dst == -20
      {1.0f, 5, -19.99f, 80, 1, 0},    //
      {1.0f, 5, 20, 80, 0, 0},         // Dst == 20
      {1.0f, 5, 19.99f, 80, 1, 0},     //
      {1.0f, 5, 0, 120, 0, 0},         // F10.7 == 120
      {1.0f, 5, 0, 119.9f, 1, 0},      //
      {kNaN, 5, 0, 80, 0, 1},          // Kp missing: bit 0
      {1.0f, kNaN, 0, 80, 0, 2},       // Ap: bit 1
      {1.0f, 5, kNaN, 80, 0, 4},       // Dst: bit 2
      {1.0f, 5, 0, kNaN, 0, 8},        // F10.7: bit 3
      {kNaN, 5, -80, 80, 0, 1},        // missing and stormy
      {kNaN, kNaN, kNaN, kNaN, 0, 15}  // nothing at all
  };
  std::vector<float> kp, ap, dst, f107;
  for (const Case& c : cases) {
    kp.push_back(c.kp);
    ap.push_back(c.ap);
    dst.push_back(c.dst);
    f107.push_back(c.f107);
  }
  QuietMask m = quiet_mask(kp.data(), ap.data(), dst.data(), f107.data(), cases.size(), q);
  ASSERT_EQ(m.quiet.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(m.quiet[i], cases[i].quiet) << "case " << i;
    EXPECT_EQ(m.missing[i], cases[i].missing) << "case " << i;
  }

  QuietThresholds loose;
  loose.kp_max = 4;
  const float kp3 = 3, ap5 = 5, dst0 = 0, f80 = 80;
  EXPECT_EQ(quiet_mask(&kp3, &ap5, &dst0, &f80, 1, loose).quiet[0], 1);
  EXPECT_EQ(quiet_mask(&kp3, &ap5, &dst0, &f80, 1, q).quiet[0], 0);
}

TEST(QuietMask, IgnoreMissingPolicySkipsOnlyTheMissingCriterion) {
  QuietThresholds q;
  q.ignore_missing = true;
  // Dst missing: Kp/Ap/F10.7 decide. Kp stormy with Dst missing: still not quiet.
  const std::vector<float> kp = {1.0f, 3.0f, kNaN}, ap = {5, 5, kNaN}, dst = {kNaN, kNaN, kNaN},
                           f107 = {80, 80, kNaN};
  QuietMask m = quiet_mask(kp.data(), ap.data(), dst.data(), f107.data(), 3, q);
  EXPECT_EQ(m.quiet[0], 1);
  EXPECT_EQ(m.missing[0], 4);
  EXPECT_EQ(m.quiet[1], 0);
  EXPECT_EQ(m.missing[1], 4);
  EXPECT_EQ(m.quiet[2], 0);  // no index at all: never quiet
  EXPECT_EQ(m.missing[2], 15);
}

TEST(FlagAnomalies, StrictThresholdQuietOnlyAndNeverNaN) {
  const std::vector<float> dtec = {1.5f, -1.5f, 1.5001f, -1.6f, kNaN, 0.0f,   // node 0
                                   9.0f, 9.0f,  9.0f,    9.0f,  9.0f, 9.0f};  // node 1
  const std::vector<uint8_t> quiet = {1, 1, 1, 1, 1, 0};
  std::vector<uint8_t> anomaly(dtec.size(), 7);
  flag_anomalies(dtec.data(), quiet.data(), 2, 6, 1.5, anomaly.data());
  EXPECT_EQ(anomaly, (std::vector<uint8_t>{0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0}));
}

// A diurnal TEC curve with a bounded day-to-day scatter: 11 levels in [-0.5, 0.5] that every
// 15-day window of each hour samples evenly, so no epoch but the spike leaves m +- 1.5 IQR.
float periodic_tec(int day, int hour) {
  const double scatter = ((day * 7 + hour * 3) % 11) / 10.0 - 0.5;
  return static_cast<float>(20.0 + 10.0 * std::sin(2 * M_PI * hour / 24.0) + scatter);
}

TEST(MedianIqr, FlagsTheSpikeAndNothingElse) {
  const int ndays = 30, spike_day = 22, spike_hour = 14;
  const size_t nt = ndays * 24;
  const auto time = hourly_axis(make_time(2017, 10, 1), nt);
  std::vector<float> x(2 * nt);  // node 1 is node 0 plus a constant: same flags
  for (size_t t = 0; t < nt; ++t) {
    x[t] = periodic_tec(static_cast<int>(t / 24), static_cast<int>(t % 24));
    x[nt + t] = x[t] + 3.0f;
  }
  const size_t spike = spike_day * 24 + spike_hour;
  x[spike] += 6.0f;

  const MedianIqrConfig cfg;  // 15 days, at least 10 values
  const MedianIqrOutput out = median_iqr_detect(x.data(), 2, nt, time.data(), cfg);
  ASSERT_EQ(out.dtec.size(), 2 * nt);
  std::vector<uint8_t> quiet(nt, 1), anomaly(2 * nt);
  flag_anomalies(out.dtec.data(), quiet.data(), 2, nt, 1.5, anomaly.data());
  size_t flagged = 0;
  for (size_t i = 0; i < 2 * nt; ++i) flagged += anomaly[i];
  EXPECT_EQ(anomaly[spike], 1) << "dtec at the spike " << out.dtec[spike];
  EXPECT_GT(out.dtec[spike], 5.0f);
  EXPECT_EQ(flagged, 1u) << "only the spike may leave the bound";

  // The first 10 days have fewer than 10 previous days: no bound. Day 10 has exactly 10.
  for (size_t t = 0; t < 10 * 24; ++t) EXPECT_TRUE(std::isnan(out.median[t])) << "t=" << t;
  for (size_t t = 10 * 24; t < nt; ++t) ASSERT_TRUE(std::isfinite(out.dtec[t])) << "t=" << t;
  // "predicted" = the median of the same hour on the previous days: the diurnal curve.
  const size_t t = 20 * 24 + 6;
  EXPECT_NEAR(out.median[t], 30.0f, 0.51f);
  EXPECT_FLOAT_EQ(out.median[nt + t], out.median[t] + 3.0f);
  EXPECT_FLOAT_EQ(out.delta[t], x[t] - out.median[t]);
  EXPECT_FLOAT_EQ(out.dtec[t], (x[t] - out.median[t]) / out.iqr[t]);
}

TEST(MedianIqr, HistoryIsLookedUpByTimeAndNeedsMinHistoryValues) {
  // Daily samples at 12 UTC for 20 days, with day 5 absent from the axis and day 7 NaN.
  std::vector<TimeS> time;
  std::vector<float> x;
  for (int d = 0; d < 20; ++d) {
    if (d == 5) continue;
    time.push_back(make_time(2001, 1, 1, 12) + d * kDay);
    x.push_back(d == 7 ? kNaN : static_cast<float>(d));
  }
  MedianIqrConfig cfg;
  cfg.days = 15;
  cfg.min_history = 10;
  const MedianIqrOutput out = median_iqr_detect(x.data(), 1, x.size(), time.data(), cfg);
  auto at_day = [&](int d) { return static_cast<size_t>(d < 5 ? d : d - 1); };
  // Day 11 looks back at days 10..0 (15 days reach before the start): without 5 (absent) and
  // 7 (NaN) 9 values, too few. Day 12: 0 1 2 3 4 6 8 9 10 11, exactly 10: type-7 median 5,
  // q1 2.25, q3 8.75. Day 13: 0 1 2 3 4 6 8 9 10 11 12: median 6, q1 2.5, q3 9.5.
  EXPECT_TRUE(std::isnan(out.median[at_day(10)]));
  EXPECT_TRUE(std::isnan(out.median[at_day(11)]));
  EXPECT_TRUE(std::isnan(out.dtec[at_day(11)]));
  EXPECT_FLOAT_EQ(out.median[at_day(12)], 5.0f);
  EXPECT_FLOAT_EQ(out.iqr[at_day(12)], 6.5f);
  EXPECT_FLOAT_EQ(out.dtec[at_day(12)], (12.0f - 5.0f) / 6.5f);
  EXPECT_FLOAT_EQ(out.median[at_day(13)], 6.0f);
  EXPECT_FLOAT_EQ(out.iqr[at_day(13)], 7.0f);
  EXPECT_FLOAT_EQ(out.dtec[at_day(13)], (13.0f - 6.0f) / 7.0f);
  // Day 19: days 4..18 without 5 and 7 = 13 values (4 6 8 9 ... 18), median 12.
  EXPECT_FLOAT_EQ(out.median[at_day(19)], 12.0f);
}

// Thresholds at a false-alarm rate: over the masked finite |DTEC| values, overall and per UTC
// hour, then flags with each epoch's hour threshold.
TEST(Detect, ThresholdsAtAFalseAlarmRateOverallAndPerHour) {
  // Two hourly groups (00 and 01 UTC) on 4 days, 2 nodes: |dtec| at 00 UTC is 1..8, at 01 UTC
  // 10..80; day 3 is masked out (a value of 1000 there must not count).
  std::vector<TimeS> time;
  for (int d = 0; d < 4; ++d)
    for (int h = 0; h < 2; ++h) time.push_back(d * kDay + h * kHour);
  const size_t nt = time.size();
  std::vector<float> dtec(2 * nt);
  for (size_t n = 0; n < 2; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const float k = static_cast<float>(1 + (t / 2) + 4 * n);  // 1..8 over days and nodes
      dtec[n * nt + t] = (t % 2 ? 10.0f : 1.0f) * k * (t % 4 == 1 ? -1.0f : 1.0f);
    }
  dtec[nt - 1] = 1000.0f;
  std::vector<uint8_t> mask{1, 1, 1, 1, 1, 1, 0, 0};
  size_t count = 0;
  // 12 values: 1 2 3 5 6 7 and 10 20 30 50 60 70; type 7 at 0.5: between 7 and 10.
  EXPECT_DOUBLE_EQ(threshold_at_false_alarm_rate(dtec.data(), 2, nt, mask.data(), 0.5, &count),
                   8.5);
  EXPECT_EQ(count, 12u);
  const std::vector<double> hourly =
      hourly_thresholds_at_false_alarm_rate(dtec.data(), 2, nt, time.data(), mask.data(), 0.5, 6);
  EXPECT_DOUBLE_EQ(hourly[0], 4.0);   // 1 2 3 5 6 7
  EXPECT_DOUBLE_EQ(hourly[1], 40.0);  // 10 20 30 50 60 70
  EXPECT_TRUE(std::isnan(hourly[2]));
  EXPECT_TRUE(std::isnan(hourly_thresholds_at_false_alarm_rate(dtec.data(), 2, nt, time.data(),
                                                               mask.data(), 0.5, 7)[0]));
  std::vector<double> thresholds(24, 100.0);
  thresholds[0] = 4.0;
  thresholds[1] = 40.0;
  std::vector<uint8_t> quiet(nt, 1), anomaly(2 * nt);
  quiet[4] = 0;
  flag_anomalies_by_hour(dtec.data(), quiet.data(), time.data(), 2, nt, thresholds.data(),
                         anomaly.data());
  for (size_t i = 0; i < anomaly.size(); ++i) {
    const size_t t = i % nt;
    const bool expected = quiet[t] && std::fabs(dtec[i]) > thresholds[t % 2];
    EXPECT_EQ(anomaly[i], expected ? 1 : 0) << i;
  }
  EXPECT_EQ(anomaly[nt + 4], 0);  // |dtec| 7 > 4 but not quiet
  EXPECT_EQ(anomaly[nt + 6], 1);  // |dtec| 8 > 4
}

}  // namespace
}  // namespace tecscan
