// Adam on the device, parameter by parameter, as the CPU reference computes it (adam.hpp).
#pragma once
#include <cmath>
#include <cstdint>

#include "tecscan/hd.hpp"

namespace tecscan {
namespace ff {

struct AdamArgs {
  const float* alpha = nullptr;  // [max_steps]: alpha[t - 1] = adam_alpha(config, t), from the host
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f;
};

// adam.hpp's adam_update<float>, with the arithmetic the CPU build actually performs: there the
// unqualified sqrt(float) resolves to ::sqrt(double) (g++/libstdc++), so the step
// alpha * m / (sqrt(v) + eps) and the subtraction from p are evaluated in double. nvcc would
// pick the float overload for the same source; spelling the types out keeps both backends on
// the same arithmetic (moments in float, step in double, parameter rounded to float).
TECSCAN_HD inline void adam_param(float* p, float* m, float* v, int64_t i, float g, float alpha,
                                  const AdamArgs& a) {
  m[i] = a.beta1 * m[i] + (1.0f - a.beta1) * g;
  v[i] = a.beta2 * v[i] + (1.0f - a.beta2) * g * g;
  const float numerator = alpha * m[i];
  const double step = static_cast<double>(numerator) /
                      (sqrt(static_cast<double>(v[i])) + static_cast<double>(a.eps));
  p[i] = static_cast<float>(static_cast<double>(p[i]) - step);
}

}  // namespace ff
}  // namespace tecscan
