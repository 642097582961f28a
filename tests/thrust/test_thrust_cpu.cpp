// cuda/dtec_thrust.hpp compiled for Thrust's CPP system (THRUST_DEVICE_SYSTEM_CPP, g++): the
// GPU's DTEC and anomaly reductions checked against the CPU reference (detect.hpp) in CI.
#include <gtest/gtest.h>
#include <thrust/execution_policy.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "dtec_thrust.hpp"
#include "tecscan/detect.hpp"
#include "tecscan/stats.hpp"
#include "tecscan/time.hpp"

using namespace tecscan;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Series {
  size_t nnode, ntime;
  std::vector<float> observed, predicted;
  std::vector<TimeS> time;
};

// Two-hourly epochs over 20 days; residuals with a diurnal bias, ties, gaps, a node with a
// constant residual (IQR 0) and a node without any prediction.
Series make_series() {
  Series s{7, 240, {}, {}, {}};
  for (size_t t = 0; t < s.ntime; ++t) s.time.push_back(make_time(2001, 1, 1) + 7200 * t);
  for (size_t n = 0; n < s.nnode; ++n)
    for (size_t t = 0; t < s.ntime; ++t) {
      float obs = 20.0f + 0.1f * n + 5.0f * std::sin(0.26f * t);
      float res = 0.8f * std::sin(1.7f * t * (n + 1)) + 0.3f * std::cos(0.26f * t);
      if (n == 2) res = std::round(res * 4) / 4;  // many equal values
      if (n == 3) res = 1.5f;                     // IQR 0
      if ((t * 5 + n) % 17 == 0) obs = kNaN;
      float pred = obs - res;
      if (n == 4 || (t * 3 + n) % 23 == 0) pred = kNaN;
      if (n == 5 && t == 100) pred = obs - 25.0f;  // one large anomaly (a quiet day below)
      if (n == 6 && t == 27) pred = obs + 25.0f;   // and one on a stormy day
      s.observed.push_back(obs);
      s.predicted.push_back(pred);
    }
  return s;
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

DtecOutput thrust_dtec(const Series& s, DtecScope scope, const std::vector<uint8_t>& mask = {}) {
  std::vector<int> group(s.ntime, 0);
  const int ngroup = scope == DtecScope::kPerUtcHour ? 24 : 1;
  if (ngroup == 24)
    for (size_t t = 0; t < s.ntime; ++t) group[t] = static_cast<int>((s.time[t] % kDay) / kHour);
  thrust::device_vector<float> obs(s.observed.begin(), s.observed.end()),
      pred(s.predicted.begin(), s.predicted.end()), delta(s.observed.size()),
      dtec(s.observed.size());
  thrust::device_vector<int> groups(group.begin(), group.end());
  thrust::device_vector<double> median(s.nnode * ngroup), iqr(s.nnode * ngroup);
  thrust::device_vector<uint8_t> mask_d(mask.begin(), mask.end());
  dtec_thrust::compute_dtec(
      thrust::device, thrust::raw_pointer_cast(obs.data()), thrust::raw_pointer_cast(pred.data()),
      s.nnode, s.ntime, thrust::raw_pointer_cast(groups.data()), ngroup,
      mask.empty() ? nullptr : thrust::raw_pointer_cast(mask_d.data()),
      thrust::raw_pointer_cast(delta.data()), thrust::raw_pointer_cast(dtec.data()),
      thrust::raw_pointer_cast(median.data()), thrust::raw_pointer_cast(iqr.data()));
  DtecOutput out;
  out.nnode = s.nnode, out.ntime = s.ntime, out.ngroup = ngroup;
  out.delta.assign(delta.begin(), delta.end());
  out.dtec.assign(dtec.begin(), dtec.end());
  out.median.assign(median.begin(), median.end());
  out.iqr.assign(iqr.begin(), iqr.end());
  return out;
}

}  // namespace

TEST(ThrustCpu, DtecEqualsCpuReference) {
  const Series s = make_series();
  // The statistics from a subset of epochs (the calibrated scan's control epochs) as well.
  std::vector<uint8_t> mask(s.ntime);
  for (size_t t = 0; t < s.ntime; ++t) mask[t] = (t % 5 != 0 && t < 180) ? 1 : 0;
  for (bool masked : {false, true})
    for (DtecScope scope : {DtecScope::kWholeSeries, DtecScope::kPerUtcHour}) {
      DtecOutput cpu, gpu = thrust_dtec(s, scope, masked ? mask : std::vector<uint8_t>());
      compute_dtec_cpu(s.observed.data(), s.predicted.data(), s.nnode, s.ntime, s.time.data(),
                       scope, masked ? mask.data() : nullptr, cpu);
      ASSERT_EQ(gpu.median.size(), cpu.median.size());
      size_t stat_diffs = 0, value_diffs = 0;
      for (size_t i = 0; i < cpu.median.size(); ++i) {
        if (!same(gpu.median[i], cpu.median[i]) || !same(gpu.iqr[i], cpu.iqr[i])) {
          if (stat_diffs++ < 5)
            std::printf("segment %zu: median %.9g vs %.9g, iqr %.9g vs %.9g\n", i, gpu.median[i],
                        cpu.median[i], gpu.iqr[i], cpu.iqr[i]);
        }
      }
      for (size_t i = 0; i < cpu.dtec.size(); ++i)
        if (!same(gpu.delta[i], cpu.delta[i]) || !same(gpu.dtec[i], cpu.dtec[i])) {
          if (value_diffs++ < 5)
            std::printf("node %zu t %zu: delta %.9g vs %.9g, dtec %.9g vs %.9g\n", i / s.ntime,
                        i % s.ntime, gpu.delta[i], cpu.delta[i], gpu.dtec[i], cpu.dtec[i]);
        }
      EXPECT_EQ(stat_diffs, 0u) << "scope " << static_cast<int>(scope);
      EXPECT_EQ(value_diffs, 0u) << "scope " << static_cast<int>(scope);
      // The special nodes behave as documented: IQR 0 -> NaN DTEC; no prediction -> NaN stats.
      const size_t g = cpu.ngroup;
      EXPECT_EQ(gpu.iqr[3 * g], 0.0);
      EXPECT_TRUE(std::isnan(gpu.dtec[3 * s.ntime + 1]));
      EXPECT_TRUE(std::isnan(gpu.median[4 * g]));
      EXPECT_GT(std::fabs(gpu.dtec[5 * s.ntime + 100]), 10.0f);
    }
}

TEST(ThrustCpu, MedianAndIqrOfKnownValues) {
  // delta = 1..9 (shuffled, one NaN) -> median 5, q1 3, q3 7 (type 7), IQR 4.
  std::vector<float> observed{9, 2, 7, kNaN, 1, 5, 3, 8, 6, 4}, predicted(10, 0.0f);
  std::vector<int> group(10, 0);
  std::vector<float> delta(10), dtec(10);
  double median = 0, iqr = 0;
  dtec_thrust::compute_dtec(thrust::device, observed.data(), predicted.data(), 1, 10, group.data(),
                            1, nullptr, delta.data(), dtec.data(), &median, &iqr);
  EXPECT_EQ(median, 5.0);
  EXPECT_EQ(iqr, 4.0);
  EXPECT_FLOAT_EQ(dtec[0], 1.0f);  // (9 - 5) / 4
  EXPECT_FLOAT_EQ(dtec[4], -1.0f);
  EXPECT_TRUE(std::isnan(dtec[3]));
}

TEST(ThrustCpu, AnomalyFlagsConsensusAndList) {
  const Series s = make_series();
  DtecOutput d1 = thrust_dtec(s, DtecScope::kWholeSeries);
  DtecOutput d2 = thrust_dtec(s, DtecScope::kPerUtcHour);
  const size_t n = s.nnode * s.ntime;
  std::vector<uint8_t> quiet(s.ntime);
  for (size_t t = 0; t < s.ntime; ++t) quiet[t] = (t / 12) % 5 != 2;  // every fifth day stormy
  const double threshold = 1.5;

  std::vector<uint8_t> consensus(n, 0), flags1(n), flags2(n), cpu1(n), cpu2(n);
  dtec_thrust::flag_anomalies(thrust::device, d1.dtec.data(), quiet.data(), s.nnode, s.ntime,
                              threshold, flags1.data(), consensus.data());
  dtec_thrust::flag_anomalies(thrust::device, d2.dtec.data(), quiet.data(), s.nnode, s.ntime,
                              threshold, flags2.data(), consensus.data());
  flag_anomalies(d1.dtec.data(), quiet.data(), s.nnode, s.ntime, threshold, cpu1.data());
  flag_anomalies(d2.dtec.data(), quiet.data(), s.nnode, s.ntime, threshold, cpu2.data());
  EXPECT_EQ(flags1, cpu1);
  EXPECT_EQ(flags2, cpu2);
  size_t flagged = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(consensus[i], cpu1[i] + cpu2[i]) << i;
    flagged += cpu1[i];
  }
  EXPECT_GT(flagged, 0u);
  EXPECT_EQ(cpu1[5 * s.ntime + 100], 1);  // the injected residuals: quiet day ...
  EXPECT_EQ(cpu1[6 * s.ntime + 27], 0);   // ... and stormy day

  std::vector<int64_t> list(n), expected;
  const int64_t count =
      dtec_thrust::exceedance_indices(thrust::device, d1.dtec.data(), n, threshold, list.data());
  for (size_t i = 0; i < n; ++i)
    if (std::fabs(d1.dtec[i]) > threshold) expected.push_back(static_cast<int64_t>(i));
  list.resize(count);
  EXPECT_EQ(list, expected);
  EXPECT_GT(expected.size(), flagged);  // storm-time exceedances are listed too
}
