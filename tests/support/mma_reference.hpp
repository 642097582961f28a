// Test support: the double-precision reference of a tensor-core product (and, below, of every
// pass of a CNN training step built from such products). Each operand is rounded
// as precision p rounds it (precision.hpp: the functions the kernels and the host emulation
// use), the products are summed in double, so the only difference left to a kernel is its FP32
// accumulation. Errors are relative to the sum of the terms' magnitudes, the scale FP32
// accumulation error is proportional to (|fl(sum) - sum| <= ~n u sum |terms|, u = 2^-24).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
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

// Matrix views for reference_product's accessors: a row-major [.][cols] vector, a row-major
// tensor at `offset` of a flat parameter vector, and the transpose of any view.
inline auto row_major(const std::vector<float>& m, int cols) {
  return [&m, cols](int r, int c) { return m[size_t(r) * cols + c]; };
}
inline auto params_matrix(const float* params, int64_t offset, int cols) {
  return [params, offset, cols](int r, int c) { return params[offset + int64_t(r) * cols + c]; };
}
template <typename F>
auto transposed(F f) {
  return [f](int r, int c) { return f(c, r); };
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

namespace tecscan::test {

// want with a pass's FP32 epilogue: + bias[i % N] after the sum (its magnitude joins the
// terms'), relu, and zero where `mask` is not positive (relu' of the layer's output).
inline ReferenceProduct with_epilogue(ReferenceProduct want, int N, const float* bias, bool relu,
                                      const std::vector<float>* mask) {
  for (size_t i = 0; i < want.value.size(); ++i) {
    if (bias) want.value[i] += bias[i % N], want.magnitude[i] += std::fabs(bias[i % N]);
    if (relu && want.value[i] < 0) want.value[i] = 0;
    if (mask && !((*mask)[i] > 0.0f)) want.value[i] = 0;
  }
  return want;
}

// What one pass of a kernel computed, and its reference.
struct Pass {
  std::string name;
  std::vector<float> got;
  ReferenceProduct want;
};

// Every pass of one CNN training step (kernels/cnn_kernels.cuh: CnnModel's sizes and parameter
// offsets) in precision p, each on the kernel's own inputs to it. k: the step's c1, c2 [count][T]
// [F], y, dy [count], g2, g1 and the gradient. Written from the layer definitions (im2col
// patches, the pool's first maximum, col2im of the patch gradients), not the kernel's accessors.
template <class M, class Step>
std::vector<Pass> cnn_pass_references(Precision p, const M& model, const std::vector<float>& params,
                                      const std::vector<float>& x, int count, const Step& k) {
  const int L = model.d.L, K = model.d.K, F = model.d.F, pool = model.d.Pool;
  const int t1 = model.T1(), t2 = model.T2(), np = model.NP();
  const float* W = params.data();
  auto mat = row_major;
  auto wmat = [W](int64_t offset, int cols) { return params_matrix(W, offset, cols); };
  // im2col: row (b, t), feature (w, ci) = input step t + w, channel ci.
  auto patches1 = [&](int r, int w) { return x[size_t(r / t1) * L + r % t1 + w]; };
  auto patches2 = [&](int r, int f) {
    return k.c1[(size_t(r / t2) * t1 + r % t2 + f / F) * F + f % F];
  };
  auto argmax = [&](int b, int q, int c) {
    int best = q * pool;
    for (int t = q * pool + 1; t < (q + 1) * pool; ++t)
      if (k.c2[(size_t(b) * t2 + t) * F + c] > k.c2[(size_t(b) * t2 + best) * F + c]) best = t;
    return best;
  };
  auto flat = [&](int b, int j) {  // flattened feature j = (q, c) of the pool's output
    return k.c2[(size_t(b) * t2 + argmax(b, j / F, j % F)) * F + j % F];
  };
  auto grad = [&](int64_t offset, int64_t n) {
    return std::vector<float>(k.grad.begin() + offset, k.grad.begin() + offset + n);
  };
  auto ones = [](int, int) { return 1.0f; };
  std::vector<Pass> passes;
  passes.push_back(
      {"c1 = relu(patches(x) K1 + b1)", k.c1,
       with_epilogue(reference_product(p, count * t1, F, K, patches1, wmat(model.k1(), F)), F,
                     W + model.b1(), true, nullptr)});
  passes.push_back(
      {"c2 = relu(patches(c1) K2 + b2)", k.c2,
       with_epilogue(reference_product(p, count * t2, F, K * F, patches2, wmat(model.k2(), F)), F,
                     W + model.b2(), true, nullptr)});
  passes.push_back({"y = pool(c2) wd + bd", k.y,
                    with_epilogue(reference_product(p, count, 1, np * F, flat, wmat(model.wd(), 1)),
                                  1, W + model.bd(), false, nullptr)});
  // g2: dLoss/dflat = dy wd^T (K = 1) at each window's maximum where relu' is 1, else zero
  // (also the steps the floor pool drops).
  const ReferenceProduct dflat =
      reference_product(p, count, np * F, 1, mat(k.dy, 1), transposed(wmat(model.wd(), 1)));
  ReferenceProduct g2{std::vector<double>(k.g2.size()), std::vector<double>(k.g2.size())};
  for (int b = 0; b < count; ++b)
    for (int t = 0; t < np * pool; ++t)
      for (int c = 0; c < F; ++c) {
        const size_t o = (size_t(b) * t2 + t) * F + c, j = size_t(b) * np * F + (t / pool) * F + c;
        if (t == argmax(b, t / pool, c) && k.c2[o] > 0.0f)
          g2.value[o] = dflat.value[j], g2.magnitude[o] = dflat.magnitude[j];
      }
  passes.push_back({"g2 = route(dy wd^T)", k.g2, g2});
  // g1: the patch gradients g2 K2^T (row (b, u), feature (w, ci)) added back by col2im onto
  // step u + w, times relu'(c1).
  const ReferenceProduct dcols =
      reference_product(p, count * t2, K * F, F, mat(k.g2, F),
                        [&](int c, int f) { return W[model.k2() + int64_t(f) * F + c]; });
  ReferenceProduct g1{std::vector<double>(k.g1.size()), std::vector<double>(k.g1.size())};
  for (int b = 0; b < count; ++b)
    for (int u = 0; u < t2; ++u)
      for (int f = 0; f < K * F; ++f) {
        const size_t from = (size_t(b) * t2 + u) * K * F + f,
                     to = (size_t(b) * t1 + u + f / F) * F + f % F;
        g1.value[to] += dcols.value[from];
        g1.magnitude[to] += dcols.magnitude[from];
      }
  passes.push_back(
      {"g1 = relu'(c1) col2im(g2 K2^T)", k.g1, with_epilogue(g1, F, nullptr, false, &k.c1)});
  // Kernel gradients patches^T delta (rounded operands), bias gradients (FP32 column sums).
  passes.push_back({"dK1 = patches(x)^T g1", grad(model.k1(), int64_t(K) * F),
                    reference_product(p, K, F, count * t1, transposed(patches1), mat(k.g1, F))});
  passes.push_back(
      {"dK2 = patches(c1)^T g2", grad(model.k2(), int64_t(K) * F * F),
       reference_product(p, K * F, F, count * t2, transposed(patches2), mat(k.g2, F))});
  passes.push_back({"dwd = pool(c2)^T dy", grad(model.wd(), int64_t(np) * F),
                    reference_product(p, np * F, 1, count, transposed(flat), mat(k.dy, 1))});
  passes.push_back({"db1 = sum g1", grad(model.b1(), F),
                    reference_product(Precision::kFp32, 1, F, count * t1, ones, mat(k.g1, F))});
  passes.push_back({"db2 = sum g2", grad(model.b2(), F),
                    reference_product(Precision::kFp32, 1, F, count * t2, ones, mat(k.g2, F))});
  passes.push_back({"dbd = sum dy", grad(model.bd(), 1),
                    reference_product(Precision::kFp32, 1, 1, count, ones, mat(k.dy, 1))});
  return passes;
}

}  // namespace tecscan::test
