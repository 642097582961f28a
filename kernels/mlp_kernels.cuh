// MLP on the device: Dense(H, relu) -> Dense(H, relu) -> Dense(1) on L inputs, the layout of
// model.hpp (dense_1/kernel [L,H], bias [H], dense_2/kernel [H,H], bias [H], dense_3/kernel
// [H,1], bias [1]). The model policy for ff_loop.cuh: per-unit formulas shared by the fast
// (block per node) and the naive (thread per sample / parameter) kernels.
#pragma once
#include <cstdint>

#include "block.cuh"
#include "ff_loop.cuh"
#include "mma.cuh"

namespace tecscan {
namespace ff {

// Sizes known at run time (any [model] config) ...
struct MlpDims {
  int L = 4, H = 100;
};
// ... or at compile time, so the loops unroll (the paper's default, see mlp_kernels.cu).
template <int kL, int kH>
struct MlpFixedDims {
  static_assert(kL >= 1 && kH >= 1, "[model] window and mlp_hidden must be >= 1");
  static_assert(4 * 32 * (kL + 4 * kH + 4) <= kMaxSmemBytes,
                "[model] mlp_hidden too large for one thread block: need "
                "128 * (window + 4 * mlp_hidden + 4) bytes <= 227 KiB");
  static constexpr int L = kL, H = kH;
};

struct MlpActs {
  float* x;    // [batch][L]
  float* tgt;  // [batch]
  float* a1;   // [batch][H] after relu
  float* a2;   // [batch][H] after relu
  float* y;    // [batch]
  float* dy;   // [batch] dLoss/dy
  float* d1;   // [batch][H] dLoss/d(pre-activation 1)
  float* d2;   // [batch][H] dLoss/d(pre-activation 2)
};

// Prec: the arithmetic of the fast path's matrix products (precision.hpp); the naive path and
// the per-unit formulas are FP32.
template <class D, Precision Prec = Precision::kFp32>
struct MlpModel {
  using Acts = MlpActs;
  static constexpr Precision kPrecision = Prec;
  D d;

  TECSCAN_HD int input_len() const { return d.L; }
  TECSCAN_HD int64_t w1() const { return 0; }
  TECSCAN_HD int64_t b1() const { return int64_t(d.L) * d.H; }
  TECSCAN_HD int64_t w2() const { return b1() + d.H; }
  TECSCAN_HD int64_t b2() const { return w2() + int64_t(d.H) * d.H; }
  TECSCAN_HD int64_t w3() const { return b2() + d.H; }
  TECSCAN_HD int64_t b3() const { return w3() + d.H; }
  TECSCAN_HD int64_t nparam() const { return b3() + 1; }

  TECSCAN_HD Acts carve(SmemCarver& c, int batch) const {
    Acts s;
    s.x = c.take<float>(int64_t(batch) * d.L);
    s.tgt = c.take<float>(batch);
    s.a1 = c.take<float>(int64_t(batch) * d.H);
    s.a2 = c.take<float>(int64_t(batch) * d.H);
    s.y = c.take<float>(batch);
    s.dy = c.take<float>(batch);
    s.d1 = c.take<float>(int64_t(batch) * d.H);
    s.d2 = c.take<float>(int64_t(batch) * d.H);
    return s;
  }

  // ---- per-unit formulas (the GEMM sum first, then the bias, as the CPU's Eigen code) ------
  TECSCAN_HD float a1_unit(const float* P, const Acts& s, int b, int j) const {
    const float* x = s.x + b * d.L;
    const float* w = P + w1() + j;
    float acc = 0.0f;
    for (int i = 0; i < d.L; ++i) acc += x[i] * w[i * d.H];
    return relu(acc + P[b1() + j]);
  }
  TECSCAN_HD float a2_unit(const float* P, const Acts& s, int b, int j) const {
    const float* a = s.a1 + b * d.H;
    const float* w = P + w2() + j;
    float acc = 0.0f;
    for (int i = 0; i < d.H; ++i) acc += a[i] * w[i * d.H];
    return relu(acc + P[b2() + j]);
  }
  TECSCAN_HD float y_unit(const float* P, const Acts& s, int b) const {
    const float* a = s.a2 + b * d.H;
    const float* w = P + w3();
    float acc = 0.0f;
    for (int j = 0; j < d.H; ++j) acc += a[j] * w[j];
    return acc + P[b3()];
  }
  TECSCAN_HD float d2_unit(const float* P, const Acts& s, int b, int j) const {
    return s.a2[b * d.H + j] > 0.0f ? s.dy[b] * P[w3() + j] : 0.0f;
  }
  // W2 element (i, j) is w[i * ri + j * rj]: P + w2() with (H, 1), or the fast path's
  // transposed copy with (1, H), whose reads are contiguous across the threads (over i).
  TECSCAN_HD float d1_unit(const float* w, int ri, int rj, const Acts& s, int b, int i) const {
    if (!(s.a1[b * d.H + i] > 0.0f)) return 0.0f;
    const float* g = s.d2 + b * d.H;
    const float* wi = w + int64_t(i) * ri;
    float acc = 0.0f;
    for (int j = 0; j < d.H; ++j) acc += g[j] * wi[int64_t(j) * rj];
    return acc;
  }
  // dLoss/dP[p] over the `count` samples of the minibatch.
  TECSCAN_HD float param_grad(const float* /*P*/, const Acts& s, int64_t p, int count) const {
    const int H = d.H, L = d.L;
    float g = 0.0f;
    if (p < b1()) {  // dense_1/kernel [L, H]
      const int i = static_cast<int>(p / H), j = static_cast<int>(p % H);
      for (int b = 0; b < count; ++b) g += s.x[b * L + i] * s.d1[b * H + j];
    } else if (p < w2()) {  // dense_1/bias
      const int j = static_cast<int>(p - b1());
      for (int b = 0; b < count; ++b) g += s.d1[b * H + j];
    } else if (p < b2()) {  // dense_2/kernel [H, H]
      const int64_t q = p - w2();
      const int i = static_cast<int>(q / H), j = static_cast<int>(q % H);
      for (int b = 0; b < count; ++b) g += s.a1[b * H + i] * s.d2[b * H + j];
    } else if (p < w3()) {  // dense_2/bias
      const int j = static_cast<int>(p - b2());
      for (int b = 0; b < count; ++b) g += s.d2[b * H + j];
    } else if (p < b3()) {  // dense_3/kernel [H, 1]
      const int j = static_cast<int>(p - w3());
      for (int b = 0; b < count; ++b) g += s.a2[b * H + j] * s.dy[b];
    } else {  // dense_3/bias
      for (int b = 0; b < count; ++b) g += s.dy[b];
    }
    return g;
  }

  // ---- fast path: the block computes a whole layer at once ------------------------------
  // Every product is one block_product call in precision Prec (mma.cuh): register-tiled FP32
  // FFMA (block_gemm) for fp32, tensor cores (block_mma) otherwise: the forward X W (all three
  // layers), the input deltas dY W^T (d2 = dy w3^T, d1 = d2 W2^T) and the kernel gradients
  // X^T dY. block_gemm sums k in order from zero, as the per-unit functions do, so the fp32 path
  // gives their bits. The biases, their gradients (column sums), relu, the loss and Adam stay
  // FP32 in every precision (docs/gpu-tensor-cores.md).
  TECSCAN_HD void forward(const Block& blk, const float* P, const Acts& s, int count) const {
    const int L = d.L, H = d.H;
    const float* kernel1 = P + w1();
    const float* kernel2 = P + w2();
    const float* kernel3 = P + w3();
    block_product<Prec, 4, 2>(
        blk, count, H, L, [&](int r, int k) { return s.x[r * L + k]; },
        [&](int k, int c) { return kernel1[k * H + c]; },
        [&](int r, int c, float acc) { s.a1[r * H + c] = relu(acc + P[b1() + c]); });
    blk.sync();
    block_product<Prec, 4, 2>(
        blk, count, H, H, [&](int r, int k) { return s.a1[r * H + k]; },
        [&](int k, int c) { return kernel2[k * H + c]; },
        [&](int r, int c, float acc) { s.a2[r * H + c] = relu(acc + P[b2() + c]); });
    blk.sync();
    block_product<Prec, 1, 1>(
        blk, count, 1, H, [&](int r, int k) { return s.a2[r * H + k]; },
        [&](int k, int) { return kernel3[k]; },
        [&](int r, int, float acc) { s.y[r] = acc + P[b3()]; });
    blk.sync();
  }

  // Floats of the transposed dense_2 kernel the fast path keeps beside the parameters, so that
  // the backward product d2 W2^T reads it row by row.
  TECSCAN_HD int64_t transposed_size() const { return int64_t(d.H) * d.H; }
  TECSCAN_HD void transpose_weights(const Block& blk, const float* P, float* wt) const {
    const int H = d.H;
    blk.parallel_for(H * H, [&](int q) { wt[(q % H) * H + q / H] = P[w2() + q]; });
    blk.sync();
  }

  TECSCAN_HD void backward_adam(const Block& blk, float* P, float* m, float* v, float* wt,
                                const Acts& s, int count, float alpha, const AdamArgs& adam) const {
    const int L = d.L, H = d.H;
    const float* kernel3 = P + w3();
    // d2 = relu'(a2) * (dy w3^T): a product with K = 1.
    block_product<Prec, 4, 2>(
        blk, count, H, 1, [&](int r, int) { return s.dy[r]; },
        [&](int, int c) { return kernel3[c]; },
        [&](int r, int c, float acc) { s.d2[r * H + c] = s.a2[r * H + c] > 0.0f ? acc : 0.0f; });
    blk.sync();
    // d1 = relu'(a1) * (d2 W2^T); W2^T (j, i) = wt[j * H + i].
    block_product<Prec, 4, 2>(
        blk, count, H, H, [&](int r, int k) { return s.d2[r * H + k]; },
        [&](int k, int c) { return wt[k * H + c]; },
        [&](int r, int c, float acc) { s.d1[r * H + c] = s.a1[r * H + c] > 0.0f ? acc : 0.0f; });
    blk.sync();
    // Every delta is known: each kernel gradient X^T dY with its Adam step in the epilogue
    // (dense_2's also refreshes the transposed copy), the biases' column sums on their own.
    // The parameters each product updates are disjoint and none reads another's: no syncs.
    block_product<Prec, 1, 2>(
        blk, L, H, count, [&](int r, int k) { return s.x[k * L + r]; },
        [&](int k, int c) { return s.d1[k * H + c]; },
        [&](int r, int c, float g) {
          adam_param(P, m, v, w1() + int64_t(r) * H + c, g, alpha, adam);
        });
    block_product<Prec, 4, 4>(
        blk, H, H, count, [&](int r, int k) { return s.a1[k * H + r]; },
        [&](int k, int c) { return s.d2[k * H + c]; },
        [&](int r, int c, float g) {
          const int64_t p = w2() + int64_t(r) * H + c;
          adam_param(P, m, v, p, g, alpha, adam);
          wt[int64_t(c) * H + r] = P[p];
        });
    block_product<Prec, 1, 1>(
        blk, H, 1, count, [&](int r, int k) { return s.a2[k * H + r]; },
        [&](int k, int) { return s.dy[k]; },
        [&](int r, int, float g) { adam_param(P, m, v, w3() + r, g, alpha, adam); });
    // Biases b1, b2 (H each) and b3.
    blk.parallel_for(2 * H + 1, [&](int q) {
      const int64_t p = q < H ? b1() + q : q < 2 * H ? b2() + (q - H) : b3();
      adam_param(P, m, v, p, param_grad(P, s, p, count), alpha, adam);
    });
    blk.sync();
  }

  // ---- naive path: one thread runs a whole sample -----------------------------------------
  TECSCAN_HD void forward_sample(const float* P, const Acts& s, int b) const {
    for (int j = 0; j < d.H; ++j) s.a1[b * d.H + j] = a1_unit(P, s, b, j);
    for (int j = 0; j < d.H; ++j) s.a2[b * d.H + j] = a2_unit(P, s, b, j);
    s.y[b] = y_unit(P, s, b);
  }
  TECSCAN_HD void backward_sample(const float* P, const Acts& s, int b) const {
    for (int j = 0; j < d.H; ++j) s.d2[b * d.H + j] = d2_unit(P, s, b, j);
    for (int i = 0; i < d.H; ++i) s.d1[b * d.H + i] = d1_unit(P + w2(), d.H, 1, s, b, i);
  }
};

// Launchers (kernels/mlp_kernels.cu): the paper's sizes run a compile-time instantiation,
// any other size the run-time one. The shuffle of the epoch must have run.
int64_t mlp_fast_smem_bytes(const MlpDims& d, int batch);  // the fast path's shared memory
int64_t mlp_naive_acts_floats(const MlpDims& d, int batch);
// precision: the fast path's products (precision.hpp); the naive kernels are the FP32 reference
// and refuse any other precision (std::invalid_argument).
void mlp_train_epoch(const MlpDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches,
                     Precision precision, GpuStream stream);
void mlp_predict(const MlpDims& d, const TrainArgs& a, bool naive, int max_predict,
                 Precision precision, GpuStream stream);

}  // namespace ff
}  // namespace tecscan
