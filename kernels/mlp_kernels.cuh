// MLP on the device: Dense(H, relu) -> Dense(H, relu) -> Dense(1) on L inputs, the layout of
// model.hpp (dense_1/kernel [L,H], bias [H], dense_2/kernel [H,H], bias [H], dense_3/kernel
// [H,1], bias [1]). The model policy for ff_loop.cuh: per-unit formulas shared by the fast
// (block per node) and the naive (thread per sample / parameter) kernels.
#pragma once
#include <cstdint>

#include "block.cuh"
#include "ff_loop.cuh"

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

template <class D>
struct MlpModel {
  using Acts = MlpActs;
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
  TECSCAN_HD float d1_unit(const float* P, const Acts& s, int b, int i) const {
    if (!(s.a1[b * d.H + i] > 0.0f)) return 0.0f;
    const float* g = s.d2 + b * d.H;
    const float* w = P + w2() + int64_t(i) * d.H;
    float acc = 0.0f;
    for (int j = 0; j < d.H; ++j) acc += g[j] * w[j];
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

  // ---- fast path: the block computes every (sample, unit) of a layer at once -----------------
  TECSCAN_HD void forward(const Block& blk, const float* P, const Acts& s, int count) const {
    const int H = d.H;
    blk.parallel_for(count * H, [&](int o) { s.a1[o] = a1_unit(P, s, o / H, o % H); });
    blk.sync();
    blk.parallel_for(count * H, [&](int o) { s.a2[o] = a2_unit(P, s, o / H, o % H); });
    blk.sync();
    blk.parallel_for(count, [&](int b) { s.y[b] = y_unit(P, s, b); });
    blk.sync();
  }
  TECSCAN_HD void backward_adam(const Block& blk, float* P, float* m, float* v, const Acts& s,
                                int count, float alpha, const AdamArgs& adam) const {
    const int H = d.H;
    blk.parallel_for(count * H, [&](int o) { s.d2[o] = d2_unit(P, s, o / H, o % H); });
    blk.sync();
    blk.parallel_for(count * H, [&](int o) { s.d1[o] = d1_unit(P, s, o / H, o % H); });
    blk.sync();
    // Every delta is known: each parameter's gradient, then its Adam step, in one pass.
    blk.parallel_for(static_cast<int>(nparam()), [&](int p) {
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
    for (int i = 0; i < d.H; ++i) s.d1[b * d.H + i] = d1_unit(P, s, b, i);
  }
};

// Launchers (kernels/mlp_kernels.cu): the paper's sizes run a compile-time instantiation,
// any other size the run-time one. The shuffle of the epoch must have run.
int64_t mlp_fast_smem_bytes(const MlpDims& d, int batch);  // the fast path's shared memory
int64_t mlp_naive_acts_floats(const MlpDims& d, int batch);
void mlp_train_epoch(const MlpDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches);
void mlp_predict(const MlpDims& d, const TrainArgs& a, bool naive, int max_predict);

}  // namespace ff
}  // namespace tecscan
