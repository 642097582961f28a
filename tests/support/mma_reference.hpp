// Test support: the double-precision reference of a tensor-core product. Each operand is rounded
// as precision p rounds it (precision.hpp: the functions the kernels and the host emulation
// use), the products are summed in double, so the only difference left to a kernel is its FP32
// accumulation. Errors are relative to the sum of the terms' magnitudes, the scale FP32
// accumulation error is proportional to (|fl(sum) - sum| <= ~n u sum |terms|, u = 2^-24).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "tecscan/precision.hpp"

namespace tecscan::test {

// Term a * b of a product in precision p, exactly (double holds any product of two floats).
inline double product_term(Precision p, float a, float b) {
  if (p == Precision::kTf32x3) {  // hi*hi + hi*lo + lo*hi: lo*lo is what 3xTF32 drops
    const Tf32Split x = split_tf32(a), y = split_tf32(b);
    return double(x.hi) * y.hi + double(x.hi) * y.lo + double(x.lo) * y.hi;
  }
  return double(round_operand(p, a)) * round_operand(p, b);
}

struct ReferenceProduct {
  std::vector<double> value;      // [M][N] sum over k of product_term(a(r, k), b(k, c))
  std::vector<double> magnitude;  // [M][N] sum over k of |product_term|
};

template <typename A, typename B>
ReferenceProduct reference_product(Precision p, int M, int N, int K, const A& a, const B& b) {
  ReferenceProduct r{std::vector<double>(size_t(M) * N), std::vector<double>(size_t(M) * N)};
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0, m = 0;
      for (int k = 0; k < K; ++k) {
        const double t = product_term(p, a(i, k), b(k, j));
        s += t;
        m += std::fabs(t);
      }
      r.value[size_t(i) * N + j] = s;
      r.magnitude[size_t(i) * N + j] = m;
    }
  return r;
}

// Largest |got - want| / (magnitude + floor), floor = 1e-6 * the largest magnitude (an output
// whose terms all vanish, a dead relu, must then be zero up to that).
struct ProductError {
  double max_rel = 0;
  size_t where = 0;
  double got = 0, want = 0;
  size_t non_finite = 0;
};
template <typename G>
ProductError product_error(const std::vector<G>& got, const std::vector<double>& want,
                           const std::vector<double>& magnitude) {
  const double floor =
      std::max(1e-6 * *std::max_element(magnitude.begin(), magnitude.end()), 1e-30);
  ProductError e;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]);
    if (!std::isfinite(g)) {
      ++e.non_finite;
      continue;
    }
    const double rel = std::fabs(g - want[i]) / (magnitude[i] + floor);
    if (rel > e.max_rel) e.max_rel = rel, e.where = i, e.got = g, e.want = want[i];
  }
  if (got.size() != want.size()) ++e.non_finite;
  return e;
}

}  // namespace tecscan::test
