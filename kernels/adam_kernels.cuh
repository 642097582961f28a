// Adam on the device, parameter by parameter, as the CPU reference computes it (adam.hpp).
#pragma once
#include <cmath>
#include <cstdint>

#include "tecscan/adam.hpp"
#include "tecscan/hd.hpp"

namespace tecscan {
namespace ff {

struct AdamArgs {
  const float* alpha = nullptr;  // [max_steps]: alpha[t - 1] = adam_alpha(config, t), from the host
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f;
};

// One parameter's Adam step: adam.hpp's adam_update<float> itself, the rule the CPU reference
// applies to whole Eigen arrays (all float: adam.hpp pins sqrt to the float overload).
TECSCAN_HD inline void adam_param(float* p, float* m, float* v, int64_t i, float g, float alpha,
                                  const AdamArgs& a) {
  adam_update<float>(p[i], m[i], v[i], g, alpha, a.beta1, a.beta2, a.eps);
}

}  // namespace ff
}  // namespace tecscan
