// A diurnal-like test series: a 24-sample sine, a slow trend and a small deterministic wobble.
#pragma once
#include <cmath>
#include <vector>

namespace tecscan::testing {

inline std::vector<float> diurnal_series(int ntime, double phase = 0.0) {
  std::vector<float> tec(ntime);
  for (int t = 0; t < ntime; ++t)
    tec[t] = static_cast<float>(20.0 + 8.0 * std::sin(2 * M_PI * t / 24.0 + phase) + 0.01 * t +
                                0.2 * std::sin(0.37 * t));
  return tec;
}

}  // namespace tecscan::testing
