#include "tecscan/detect.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tecscan/stats.hpp"

namespace tecscan {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

void compute_dtec_cpu(const float* observed, const float* predicted, size_t nnode, size_t ntime,
                      const TimeS* time, DtecScope scope, const uint8_t* stats_mask,
                      DtecOutput& out) {
  const size_t ngroup = scope == DtecScope::kPerUtcHour ? 24 : 1;
  out.nnode = nnode;
  out.ntime = ntime;
  out.ngroup = ngroup;
  out.delta.assign(nnode * ntime, kNaN);
  out.dtec.assign(nnode * ntime, kNaN);
  out.median.assign(nnode * ngroup, std::nan(""));
  out.iqr.assign(nnode * ngroup, std::nan(""));

  std::vector<int> group(ntime, 0);
  if (ngroup == 24)
    for (size_t t = 0; t < ntime; ++t) group[t] = utc_hour(time[t]);

  std::vector<float> values;
  for (size_t n = 0; n < nnode; ++n) {
    const size_t row = n * ntime;
    for (size_t t = 0; t < ntime; ++t) {
      float o = observed[row + t], p = predicted[row + t];
      if (std::isfinite(o) && std::isfinite(p)) out.delta[row + t] = o - p;
    }
    for (size_t g = 0; g < ngroup; ++g) {
      values.clear();
      for (size_t t = 0; t < ntime; ++t)
        if (static_cast<size_t>(group[t]) == g && (!stats_mask || stats_mask[t]))
          values.push_back(out.delta[row + t]);
      RobustStats s = robust_stats(values.data(), values.size());
      out.median[n * ngroup + g] = s.median;
      out.iqr[n * ngroup + g] = s.iqr;
    }
    for (size_t t = 0; t < ntime; ++t) {
      const size_t g = n * ngroup + static_cast<size_t>(group[t]);
      const double iqr = out.iqr[g];
      // IQR == 0 (a constant residual) has no scale to measure an anomaly against.
      if (std::isfinite(out.delta[row + t]) && iqr > 0)
        out.dtec[row + t] = static_cast<float>((out.delta[row + t] - out.median[g]) / iqr);
    }
  }
}

double threshold_at_false_alarm_rate(const float* dtec, size_t nnode, size_t ntime,
                                     const uint8_t* mask, double rate, size_t* count) {
  std::vector<float> v;
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float d = dtec[n * ntime + t];
      if ((!mask || mask[t]) && std::isfinite(d)) v.push_back(std::fabs(d));
    }
  if (count) *count = v.size();
  std::sort(v.begin(), v.end());
  return quantile_sorted(v.data(), v.size(), 1.0 - rate);
}

std::vector<double> hourly_thresholds_at_false_alarm_rate(const float* dtec, size_t nnode,
                                                          size_t ntime, const TimeS* time,
                                                          const uint8_t* mask, double rate,
                                                          size_t min_count) {
  std::vector<std::vector<float>> by_hour(24);
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float d = dtec[n * ntime + t];
      if ((!mask || mask[t]) && std::isfinite(d))
        by_hour[utc_hour(time[t])].push_back(std::fabs(d));
    }
  std::vector<double> out(24, std::nan(""));
  for (int h = 0; h < 24; ++h) {
    std::vector<float>& v = by_hour[h];
    if (v.size() < min_count || v.empty()) continue;
    std::sort(v.begin(), v.end());
    out[h] = quantile_sorted(v.data(), v.size(), 1.0 - rate);
  }
  return out;
}

QuietMask quiet_mask(const float* kp, const float* ap_daily, const float* dst, const float* f107,
                     size_t ntime, const QuietThresholds& q) {
  QuietMask m;
  m.quiet.assign(ntime, 0);
  m.missing.assign(ntime, 0);
  for (size_t t = 0; t < ntime; ++t) {
    const float v[4] = {kp[t], ap_daily[t], dst[t], f107[t]};
    const bool ok[4] = {v[0] < q.kp_max, v[1]<q.ap_max, v[2]> q.dst_min && v[2] < q.dst_max,
                        v[3] < q.f107_max};
    uint8_t missing = 0;
    bool quiet = true;
    for (int i = 0; i < 4; ++i) {
      if (std::isnan(v[i])) {
        missing |= static_cast<uint8_t>(1u << i);
        quiet = quiet && q.ignore_missing;  // default: a missing criterion cannot confirm quiet
      } else {
        quiet = quiet && ok[i];
      }
    }
    // Even when missing criteria are ignored, an epoch with no index at all is never quiet.
    if (missing == 0xF) quiet = false;
    m.quiet[t] = quiet ? 1 : 0;
    m.missing[t] = missing;
  }
  return m;
}

void flag_anomalies(const float* dtec, const uint8_t* quiet, size_t nnode, size_t ntime,
                    double threshold, uint8_t* anomaly) {
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float d = dtec[n * ntime + t];
      anomaly[n * ntime + t] = (quiet[t] && std::fabs(d) > threshold) ? 1 : 0;  // NaN: never
    }
}

void flag_anomalies_by_hour(const float* dtec, const uint8_t* quiet, const TimeS* time,
                            size_t nnode, size_t ntime, const double* hour_threshold,
                            uint8_t* anomaly) {
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float d = dtec[n * ntime + t];
      const double threshold = hour_threshold[utc_hour(time[t])];
      anomaly[n * ntime + t] = (quiet[t] && std::fabs(d) > threshold) ? 1 : 0;  // NaN: never
    }
}

}  // namespace tecscan
