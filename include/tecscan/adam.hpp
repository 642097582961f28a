// Adam exactly as Keras 2 (TF 2.x optimizer_v2) applies it; the one rule of the CPU and GPU
// backends.
//   alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= alpha_t * m / (sqrt(v) + eps)          (eps = 1e-7, Keras' default)
#pragma once
#include <cmath>
#include <type_traits>

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

// The scalar of a parameter type: float or double itself, or an Eigen array's Scalar.
template <typename T, typename = void>
struct AdamScalar {
  using type = T;
};
template <typename T>
struct AdamScalar<T, std::void_t<typename T::Scalar>> {
  using type = typename T::Scalar;
};

// The update rule, written once: per parameter on the GPU (T = float, kernels/adam_kernels.cuh)
// and in the CPU reference's vectorised step (T = a whole Eigen array map, train.cpp). The
// grouping (1 - beta2) * (g * g) is part of the result; both backends share it.
template <typename T, typename G>
TECSCAN_HD inline void adam_update(T& p, T& m, T& v, const G& g, typename AdamScalar<T>::type alpha,
                                   typename AdamScalar<T>::type beta1,
                                   typename AdamScalar<T>::type beta2,
                                   typename AdamScalar<T>::type eps) {
  using Scalar = typename AdamScalar<T>::type;
  using std::sqrt;  // float stays float; an Eigen array finds Eigen's sqrt by ADL
  m = beta1 * m + (Scalar(1) - beta1) * g;
  v = beta2 * v + (Scalar(1) - beta2) * (g * g);
  p -= alpha * m / (sqrt(v) + eps);
}

}  // namespace tecscan
