#include "tecscan/significance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tecscan/stats.hpp"

namespace tecscan {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double days_to_event(TimeS t, TimeS event_time) {
  return static_cast<double>(t - event_time) / static_cast<double>(kDay);
}

int32_t day_bin(TimeS t, TimeS event_time) {
  return static_cast<int32_t>(std::floor(days_to_event(t, event_time)));
}

double quantile_of(std::vector<double> v, double p) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  std::sort(v.begin(), v.end());
  return quantile_sorted(v.data(), v.size(), p);
}

}  // namespace

std::vector<int32_t> significance_days(const TimeS* time, size_t ntime, TimeS event_time) {
  std::vector<int32_t> days;
  if (ntime == 0) return days;
  for (int32_t d = day_bin(time[0], event_time); d <= day_bin(time[ntime - 1], event_time); ++d)
    days.push_back(d);
  return days;
}

std::vector<uint8_t> control_epochs(const uint8_t* quiet, const TimeS* time, size_t ntime,
                                    const WindowLayout& layout) {
  std::vector<uint8_t> mask(ntime, 0);
  const TimeS begin = layout.window_begin();
  for (size_t t = 0; t < ntime; ++t) mask[t] = quiet[t] && time[t] < begin ? 1 : 0;
  return mask;
}

Significance window_significance(const uint8_t* anomaly, const uint8_t* valid, size_t nnode,
                                 const TimeS* time, size_t ntime, const WindowLayout& layout) {
  // Per-epoch sums over nodes, then windows are sums over epochs in a time range.
  std::vector<long> a(ntime, 0), v(ntime, 0);
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const bool ok = valid[n * ntime + t] != 0;
      v[t] += ok;
      a[t] += ok && anomaly[n * ntime + t];
    }
  auto window_sums = [&](TimeS begin, TimeS end, long& an, long& vn) {
    an = vn = 0;
    for (size_t t = 0; t < ntime; ++t)
      if (time[t] >= begin && time[t] < end) an += a[t], vn += v[t];
  };

  Significance s;
  const TimeS wbegin = layout.window_begin(), wend = layout.event_time;
  const TimeS length = wend - wbegin;
  window_sums(wbegin, wend, s.window_anomalies, s.window_valid);
  s.window_rate =
      s.window_valid > 0 ? static_cast<double>(s.window_anomalies) / s.window_valid : kNaN;

  // Control windows: same length, ending every step before the precursor window, starting at
  // or after the first epoch; too few valid node-epochs (under half the precursor window's)
  // would make a noisy rate, so such windows are left out.
  const TimeS step = std::max<TimeS>(1, static_cast<TimeS>(layout.control_step_days * kDay));
  for (TimeS end = wbegin; ntime > 0 && end - length >= time[0]; end -= step) {
    long an = 0, vn = 0;
    window_sums(end - length, end, an, vn);
    if (vn == 0 || 2 * vn < s.window_valid) continue;
    s.control_rates.push_back(static_cast<double>(an) / vn);
    s.control_end_day.push_back(days_to_event(end, layout.event_time));
  }

  const size_t nc = s.control_rates.size();
  double sum = 0, sq = 0;
  for (double r : s.control_rates) sum += r;
  s.control_mean = nc ? sum / nc : kNaN;
  for (double r : s.control_rates) sq += (r - s.control_mean) * (r - s.control_mean);
  s.control_sd = nc > 1 ? std::sqrt(sq / (nc - 1)) : kNaN;
  s.control_p05 = quantile_of(s.control_rates, 0.05);
  s.control_p50 = quantile_of(s.control_rates, 0.50);
  s.control_p95 = quantile_of(s.control_rates, 0.95);
  if (nc > 0 && std::isfinite(s.window_rate)) {
    size_t at_least = 0;
    for (double r : s.control_rates) at_least += r >= s.window_rate;
    s.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + nc);
  } else {
    s.p_value = kNaN;
  }
  s.z = s.control_sd > 0 ? (s.window_rate - s.control_mean) / s.control_sd : kNaN;
  s.rate_ratio = s.control_mean > 0 ? s.window_rate / s.control_mean : kNaN;

  // Daily rates and the band of the days fully before the precursor window.
  const std::vector<int32_t> days = significance_days(time, ntime, layout.event_time);
  s.daily_rate.assign(days.size(), kNaN);
  s.daily_valid.assign(days.size(), 0);
  std::vector<long> daily_anomalies(days.size(), 0);
  for (size_t t = 0; t < ntime; ++t) {
    const size_t d = static_cast<size_t>(day_bin(time[t], layout.event_time) - days.front());
    s.daily_valid[d] += v[t];
    daily_anomalies[d] += a[t];
  }
  std::vector<double> before;
  for (size_t d = 0; d < days.size(); ++d) {
    if (s.daily_valid[d] == 0) continue;
    s.daily_rate[d] = static_cast<double>(daily_anomalies[d]) / s.daily_valid[d];
    const TimeS day_end = layout.event_time + static_cast<TimeS>(days[d] + 1) * kDay;
    if (day_end <= wbegin) before.push_back(s.daily_rate[d]);
  }
  s.daily_control_p05 = quantile_of(before, 0.05);
  s.daily_control_p95 = quantile_of(before, 0.95);
  return s;
}

}  // namespace tecscan
