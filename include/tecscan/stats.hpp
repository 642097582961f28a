// Robust statistics for DTEC. Quantiles by linear interpolation between order statistics
// (Hyndman & Fan type 7, numpy's default): q(p) = x[floor(h)] + (h - floor(h)) (x[floor(h)+1] -
// x[floor(h)]), h = (n - 1) p, on the sorted finite values.
#pragma once
#include <cstddef>

#include "tecscan/hd.hpp"

namespace tecscan {

template <typename T>
TECSCAN_HD inline double quantile_sorted(const T* sorted, size_t n, double p) {
  if (n == 0) return 0.0 / 0.0;
  double h = (static_cast<double>(n) - 1.0) * p;
  size_t lo = static_cast<size_t>(h);
  if (lo + 1 >= n) return static_cast<double>(sorted[n - 1]);
  double frac = h - static_cast<double>(lo);
  return static_cast<double>(sorted[lo]) +
         frac * (static_cast<double>(sorted[lo + 1]) - static_cast<double>(sorted[lo]));
}

struct RobustStats {
  double median = 0, q1 = 0, q3 = 0, iqr = 0;
  size_t count = 0;  // finite values used
};

// Ignores NaN. count == 0 gives NaN statistics.
RobustStats robust_stats(const float* values, size_t n);

}  // namespace tecscan
