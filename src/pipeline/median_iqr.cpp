#include "tecscan/median_iqr.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tecscan/stats.hpp"

namespace tecscan {

MedianIqrOutput median_iqr_detect(const float* observed, size_t nnode, size_t ntime,
                                  const TimeS* time, const MedianIqrConfig& config) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  const size_t days = config.days > 0 ? static_cast<size_t>(config.days) : 0;
  MedianIqrOutput out;
  out.nnode = nnode;
  out.ntime = ntime;
  out.median.assign(nnode * ntime, kNaN);
  out.iqr.assign(nnode * ntime, kNaN);
  out.delta.assign(nnode * ntime, kNaN);
  out.dtec.assign(nnode * ntime, kNaN);

  // history[t * days + d-1] = index of time[t] - d days, or -1: shared by every node.
  std::vector<long> history(ntime * days, -1);
  for (size_t t = 0; t < ntime; ++t)
    for (size_t d = 1; d <= days; ++d) {
      const TimeS want = time[t] - static_cast<TimeS>(d) * kDay;
      const TimeS* it = std::lower_bound(time, time + t, want);
      if (it != time + t && *it == want) history[t * days + d - 1] = it - time;
    }

  std::vector<float> values;
  values.reserve(days);
  for (size_t n = 0; n < nnode; ++n) {
    const float* x = observed + n * ntime;
    for (size_t t = 0; t < ntime; ++t) {
      values.clear();
      for (size_t d = 0; d < days; ++d) {
        const long i = history[t * days + d];
        if (i >= 0 && std::isfinite(x[i])) values.push_back(x[i]);
      }
      if (values.empty() || values.size() < static_cast<size_t>(config.min_history)) continue;
      std::sort(values.begin(), values.end());
      const double m = quantile_sorted(values.data(), values.size(), 0.5);
      const double iqr = quantile_sorted(values.data(), values.size(), 0.75) -
                         quantile_sorted(values.data(), values.size(), 0.25);
      const size_t k = n * ntime + t;
      out.median[k] = static_cast<float>(m);
      out.iqr[k] = static_cast<float>(iqr);
      if (!std::isfinite(x[t])) continue;
      out.delta[k] = static_cast<float>(x[t] - m);
      if (iqr > 0) out.dtec[k] = static_cast<float>((x[t] - m) / iqr);
    }
  }
  return out;
}

}  // namespace tecscan
