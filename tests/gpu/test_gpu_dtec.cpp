// Thrust DTEC and anomaly reductions on the GPU against the CPU reference (detect.hpp): median,
// IQR and DTEC equal to float rounding, flags, consensus and the compacted list exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "tecscan/cuda_backend.hpp"
#include "tecscan/detect.hpp"
#include "tecscan/time.hpp"

using namespace tecscan;

namespace {

#define SKIP_WITHOUT_GPU() \
  if (tecscan::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Residuals {
  size_t nnode = 0, ntime = 0;
  std::vector<float> observed, predicted;
  std::vector<TimeS> time;
};

// Hourly epochs over 40 days for many nodes: diurnal residuals, gaps, ties, an all-missing
// node, a constant-residual node (IQR 0) and a few large spikes.
Residuals make_residuals(size_t nnode, size_t ntime) {
  Residuals r{nnode, ntime, {}, {}, {}};
  for (size_t t = 0; t < ntime; ++t) r.time.push_back(make_time(2000, 11, 21) + 3600 * t - 1800);
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      float obs = 25.0f + 0.01f * n + 6.0f * std::sin(0.2618f * t);
      float res = 0.9f * std::sin(0.731f * t * (n % 13 + 1)) + 0.4f * std::cos(0.2618f * t + n);
      if (n % 7 == 3) res = std::round(res * 2) / 2;  // heavy ties
      if (n == 5) res = 0.25f;                        // IQR 0
      if ((t * 11 + n * 3) % 29 == 0) obs = kNaN;
      if (t % 97 == n % 97) res += 9.0f;  // spikes
      float pred = obs - res;
      if (n == 2 || (t * 5 + n) % 31 == 0) pred = kNaN;
      r.observed.push_back(obs);
      r.predicted.push_back(pred);
    }
  return r;
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

}  // namespace

TEST(GpuDtec, MedianIqrAndDtecEqualCpu) {
  SKIP_WITHOUT_GPU();
  const Residuals r = make_residuals(301, 960);
  for (DtecScope scope : {DtecScope::kWholeSeries, DtecScope::kPerUtcHour}) {
    DtecOutput c, g;
    compute_dtec_cpu(r.observed.data(), r.predicted.data(), r.nnode, r.ntime, r.time.data(), scope,
                     nullptr, c);
    compute_dtec_cuda(r.observed.data(), r.predicted.data(), r.nnode, r.ntime, r.time.data(), scope,
                      nullptr, g);
    ASSERT_EQ(g.ngroup, c.ngroup);
    ASSERT_EQ(g.median.size(), c.median.size());
    ASSERT_EQ(g.dtec.size(), c.dtec.size());
    // median / IQR: the same sorted floats and formula; only a fused multiply-add in the
    // interpolation may move the last bit of the double.
    double worst_stat = 0;
    size_t worst_seg = 0, stat_nan = 0;
    for (size_t i = 0; i < c.median.size(); ++i) {
      for (auto pair :
           {std::make_pair(g.median[i], c.median[i]), std::make_pair(g.iqr[i], c.iqr[i])}) {
        if (std::isnan(pair.first) != std::isnan(pair.second)) ++stat_nan;
        if (std::isnan(pair.second)) continue;
        double rel = std::fabs(pair.first - pair.second) / (std::fabs(pair.second) + 1e-30);
        if (rel > worst_stat) worst_stat = rel, worst_seg = i;
      }
    }
    size_t delta_diff = 0, dtec_nan = 0;
    double worst_dtec = 0;
    size_t worst_cell = 0;
    for (size_t i = 0; i < c.dtec.size(); ++i) {
      delta_diff += !same(g.delta[i], c.delta[i]);
      if (std::isnan(g.dtec[i]) != std::isnan(c.dtec[i])) ++dtec_nan;
      if (std::isnan(c.dtec[i])) continue;
      double err = std::fabs(double(g.dtec[i]) - c.dtec[i]) / (std::fabs(c.dtec[i]) + 1e-6);
      if (err > worst_dtec) worst_dtec = err, worst_cell = i;
    }
    std::printf(
        "[scope %d] median/IQR max rel diff %.3g (node %zu group %zu), DTEC max rel "
        "diff %.3g (node %zu t %zu), NaN mismatches %zu/%zu, delta differences %zu\n",
        static_cast<int>(scope), worst_stat, worst_seg / c.ngroup, worst_seg % c.ngroup, worst_dtec,
        worst_cell / r.ntime, worst_cell % r.ntime, stat_nan, dtec_nan, delta_diff);
    EXPECT_LT(worst_stat, 1e-12);
    EXPECT_LT(worst_dtec, 1e-6);  // float rounding of the same double quotient
    EXPECT_EQ(stat_nan + dtec_nan + delta_diff, 0u);
    EXPECT_EQ(g.iqr[5 * c.ngroup], 0.0);              // constant residual
    EXPECT_TRUE(std::isnan(g.median[2 * c.ngroup]));  // no predictions at all
  }
}

TEST(GpuDtec, AnomaliesConsensusAndListEqualCpu) {
  SKIP_WITHOUT_GPU();
  const Residuals r = make_residuals(211, 720);
  const size_t n = r.nnode * r.ntime;
  DtecOutput a, b;
  compute_dtec_cpu(r.observed.data(), r.predicted.data(), r.nnode, r.ntime, r.time.data(),
                   DtecScope::kWholeSeries, nullptr, a);
  compute_dtec_cpu(r.observed.data(), r.predicted.data(), r.nnode, r.ntime, r.time.data(),
                   DtecScope::kPerUtcHour, nullptr, b);
  std::vector<float> shifted(a.dtec);
  for (float& d : shifted) d *= 1.3f;  // a third "detector"
  std::vector<uint8_t> quiet(r.ntime);
  for (size_t t = 0; t < r.ntime; ++t) quiet[t] = (t / 24) % 6 != 4;
  const double threshold = 1.5;
  const std::vector<const float*> detectors{a.dtec.data(), b.dtec.data(), shifted.data()};
  AnomalyScan scan = scan_anomalies_cuda(detectors, quiet.data(), r.nnode, r.ntime, threshold);
  ASSERT_EQ(scan.anomaly.size(), 3u);
  ASSERT_EQ(scan.exceedances.size(), 3u);
  ASSERT_EQ(scan.consensus.size(), n);
  std::vector<uint8_t> consensus(n, 0);
  for (size_t d = 0; d < detectors.size(); ++d) {
    std::vector<uint8_t> flags(n);
    flag_anomalies(detectors[d], quiet.data(), r.nnode, r.ntime, threshold, flags.data());
    std::vector<int64_t> list;
    size_t mismatches = 0, flagged = 0;
    for (size_t i = 0; i < n; ++i) {
      consensus[i] += flags[i];
      flagged += flags[i];
      if (flags[i] != scan.anomaly[d][i] && mismatches++ < 5)
        std::printf("detector %zu node %zu t %zu: gpu %d cpu %d (dtec %g)\n", d, i / r.ntime,
                    i % r.ntime, scan.anomaly[d][i], flags[i], detectors[d][i]);
      if (std::fabs(detectors[d][i]) > threshold) list.push_back(static_cast<int64_t>(i));
    }
    std::printf("detector %zu: %zu quiet anomalies, %zu exceedances\n", d, flagged, list.size());
    EXPECT_EQ(mismatches, 0u) << "detector " << d;
    EXPECT_GT(flagged, 0u);
    EXPECT_GT(list.size(), flagged);  // storm-time exceedances are listed, not flagged
    EXPECT_EQ(scan.exceedances[d], list) << "detector " << d;
  }
  EXPECT_EQ(scan.consensus, consensus);
}

TEST(GpuDtec, EmptyInputGivesEmptyOutput) {
  SKIP_WITHOUT_GPU();
  DtecOutput out;
  compute_dtec_cuda(nullptr, nullptr, 0, 0, nullptr, DtecScope::kWholeSeries, nullptr, out);
  EXPECT_EQ(out.nnode, 0u);
  EXPECT_TRUE(out.dtec.empty());
  EXPECT_TRUE(out.median.empty());
}
