#include "tecscan/stats.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tecscan {

RobustStats robust_stats(const float* values, size_t n) {
  std::vector<float> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(values[i])) v.push_back(values[i]);
  RobustStats s;
  s.count = v.size();
  std::sort(v.begin(), v.end());
  s.median = quantile_sorted(v.data(), v.size(), 0.5);
  s.q1 = quantile_sorted(v.data(), v.size(), 0.25);
  s.q3 = quantile_sorted(v.data(), v.size(), 0.75);
  s.iqr = s.q3 - s.q1;
  return s;
}

}  // namespace tecscan
