// Adam exactly as Keras 2 (TF 2.x optimizer_v2) applies it; shared by the CPU and GPU backends.
//   alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= alpha_t * m / (sqrt(v) + eps)          (eps = 1e-7, Keras' default)
#pragma once
#include <cmath>

#include "tecscan/hd.hpp"

namespace tecscan {

struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-7f;
};

// Step size for step t (1-based); computed in double on the host once per step.
inline float adam_alpha(const AdamConfig& c, long t) {
  double b1t = std::pow(static_cast<double>(c.beta1), static_cast<double>(t));
  double b2t = std::pow(static_cast<double>(c.beta2), static_cast<double>(t));
  return static_cast<float>(c.lr * std::sqrt(1.0 - b2t) / (1.0 - b1t));
}

template <typename T>
TECSCAN_HD inline void adam_update(T& p, T& m, T& v, T g, T alpha, T beta1, T beta2, T eps) {
  using std::sqrt;  // float stays float (an unqualified sqrt could pick ::sqrt(double))
  m = beta1 * m + (T(1) - beta1) * g;
  v = beta2 * v + (T(1) - beta2) * g * g;
  p -= alpha * m / (sqrt(v) + eps);
}

}  // namespace tecscan
