// Text for GMT data files of time series: NaN values break the line into segments.
#pragma once
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "plot_internal.hpp"

namespace tecscan::plot {

// "x y" lines for the epochs with day_from <= x <= day_to; a ">" segment header before each
// run of finite values so GMT leaves gaps where data are missing.
template <typename T>
std::string series_text(const std::vector<double>& x, const T* y, double day_from, double day_to) {
  std::ostringstream s;
  bool in_segment = false;
  for (size_t t = 0; t < x.size(); ++t) {
    if (x[t] < day_from || x[t] > day_to) continue;
    const double v = static_cast<double>(y[t]);
    if (!std::isfinite(v)) {
      in_segment = false;
      continue;
    }
    if (!in_segment) s << ">\n";
    in_segment = true;
    s << fmt(x[t]) << " " << fmt(v) << "\n";
  }
  return s.str();
}

// min and max of the finite values in the window, padded by 6 % (a flat series gets +-1).
template <typename T>
std::pair<double, double> value_range(const std::vector<double>& x, const std::vector<const T*>& ys,
                                      double day_from, double day_to) {
  double lo = INFINITY, hi = -INFINITY;
  for (const T* y : ys)
    for (size_t t = 0; t < x.size(); ++t)
      if (x[t] >= day_from && x[t] <= day_to && std::isfinite(static_cast<double>(y[t]))) {
        lo = std::fmin(lo, static_cast<double>(y[t]));
        hi = std::fmax(hi, static_cast<double>(y[t]));
      }
  if (!std::isfinite(lo)) return {0, 1};
  if (hi - lo < 1e-6) return {lo - 1, hi + 1};
  const double pad = 0.06 * (hi - lo);
  return {lo - pad, hi + pad};
}

}  // namespace tecscan::plot
