// CNN on the device: Conv1D(F, K, relu, valid) -> Conv1D(F, K, relu) -> MaxPool1D(Pool, floor)
// -> Flatten (time-major t * F + c) -> Dense(1), the layout of model.hpp (conv1d_1/kernel
// [K,1,F], bias [F], conv1d_2/kernel [K,F,F], bias [F], dense/kernel [P*F,1], bias [1]).
// The model policy for ff_loop.cuh, like MlpModel.
#pragma once
#include <cstdint>

#include "block.cuh"
#include "ff_loop.cuh"
#include "mma.cuh"

namespace tecscan {
namespace ff {

struct CnnDims {
  int L = 4, K = 2, F = 100, Pool = 2;
};
template <int kL, int kK, int kF, int kPool>
struct CnnFixedDims {
  static_assert(kL - 2 * (kK - 1) >= kPool && kK >= 1 && kPool >= 1,
                "[model] window too short for two Conv1D(cnn_kernel) and MaxPool1D(cnn_pool)");
  static_assert(4 * 32 * (kL + 4 + 2 * kF * ((kL - kK + 1) + (kL - 2 * kK + 2))) <= kMaxSmemBytes,
                "[model] cnn_filters too large for one thread block: need 256 * cnn_filters * "
                "(steps after conv 1 + after conv 2) bytes <= 227 KiB");
  static constexpr int L = kL, K = kK, F = kF, Pool = kPool;
};

struct CnnActs {
  float* x;    // [batch][L]
  float* tgt;  // [batch]
  float* c1;   // [batch][T1][F] conv 1 after relu
  float* c2;   // [batch][T2][F] conv 2 after relu
  float* y;    // [batch]
  float* dy;   // [batch]
  float* g2;   // [batch][T2][F] dLoss/d(conv 2 pre-activation)
  float* g1;   // [batch][T1][F] dLoss/d(conv 1 pre-activation)
};

// Prec: the arithmetic of the fast path's matrix products (precision.hpp); the naive path and
// the per-unit formulas are FP32.
template <class D, Precision Prec = Precision::kFp32>
struct CnnModel {
  using Acts = CnnActs;
  static constexpr Precision kPrecision = Prec;
  D d;

  TECSCAN_HD int T1() const { return d.L - d.K + 1; }   // steps after conv 1
  TECSCAN_HD int T2() const { return T1() - d.K + 1; }  // steps after conv 2
  TECSCAN_HD int NP() const { return T2() / d.Pool; }   // steps after the pool
  TECSCAN_HD int input_len() const { return d.L; }
  TECSCAN_HD int64_t k1() const { return 0; }
  TECSCAN_HD int64_t b1() const { return int64_t(d.K) * d.F; }
  TECSCAN_HD int64_t k2() const { return b1() + d.F; }
  TECSCAN_HD int64_t b2() const { return k2() + int64_t(d.K) * d.F * d.F; }
  TECSCAN_HD int64_t wd() const { return b2() + d.F; }
  TECSCAN_HD int64_t bd() const { return wd() + int64_t(NP()) * d.F; }
  TECSCAN_HD int64_t nparam() const { return bd() + 1; }

  TECSCAN_HD Acts carve(SmemCarver& c, int batch) const {
    Acts s;
    s.x = c.take<float>(int64_t(batch) * d.L);
    s.tgt = c.take<float>(batch);
    s.c1 = c.take<float>(int64_t(batch) * T1() * d.F);
    s.c2 = c.take<float>(int64_t(batch) * T2() * d.F);
    s.y = c.take<float>(batch);
    s.dy = c.take<float>(batch);
    s.g2 = c.take<float>(int64_t(batch) * T2() * d.F);
    s.g1 = c.take<float>(int64_t(batch) * T1() * d.F);
    return s;
  }

  // Window q of sample b, channel c: its maximum and the first step reaching it (TF's rule).
  TECSCAN_HD int pool_argmax(const Acts& s, int b, int q, int c) const {
    const float* row = s.c2 + int64_t(b) * T2() * d.F + c;
    int best = q * d.Pool;
    for (int w = 1; w < d.Pool; ++w)
      if (row[(q * d.Pool + w) * d.F] > row[best * d.F]) best = q * d.Pool + w;
    return best;
  }
  TECSCAN_HD float pooled(const Acts& s, int b, int q, int c) const {
    return s.c2[(int64_t(b) * T2() + pool_argmax(s, b, q, c)) * d.F + c];
  }

  // ---- per-unit formulas ---------------------------------------------------------------------
  // o indexes [b][t][c] of conv 1's output.
  TECSCAN_HD float c1_unit(const float* P, const Acts& s, int o) const {
    const int c = o % d.F, t = (o / d.F) % T1(), b = o / (d.F * T1());
    const float* x = s.x + b * d.L + t;  // im2col patch: x[t .. t + K)
    float acc = 0.0f;
    for (int w = 0; w < d.K; ++w) acc += x[w] * P[k1() + w * d.F + c];
    return relu(acc + P[b1() + c]);
  }
  TECSCAN_HD float c2_unit(const float* P, const Acts& s, int o) const {
    const int c = o % d.F, t = (o / d.F) % T2(), b = o / (d.F * T2());
    // The patch of step t is the contiguous slice c1[b][t .. t + K)[0 .. F): feature w * F + ci.
    const float* patch = s.c1 + (int64_t(b) * T1() + t) * d.F;
    const float* w = P + k2() + c;
    float acc = 0.0f;
    for (int f = 0; f < d.K * d.F; ++f) acc += patch[f] * w[int64_t(f) * d.F];
    return relu(acc + P[b2() + c]);
  }
  TECSCAN_HD float y_unit(const float* P, const Acts& s, int b) const {
    float acc = 0.0f;
    for (int q = 0; q < NP(); ++q)
      for (int c = 0; c < d.F; ++c) acc += pooled(s, b, q, c) * P[wd() + q * d.F + c];
    return acc + P[bd()];
  }
  // dLoss/d(conv 2 pre-activation) at [b][t][c]: the dense gradient routed through the pool's
  // maximum and the relu; zero for steps the floor pool drops.
  TECSCAN_HD float g2_unit(const float* P, const Acts& s, int o) const {
    const int c = o % d.F, t = (o / d.F) % T2(), b = o / (d.F * T2());
    const int q = t / d.Pool;
    if (q >= NP() || pool_argmax(s, b, q, c) != t || !(s.c2[o] > 0.0f)) return 0.0f;
    return s.dy[b] * P[wd() + q * d.F + c];
  }
  // dLoss/d(conv 1 pre-activation) at [b][t][ci]: every conv 2 step u = t - w whose patch
  // covers t, summed for w = K-1 .. 0 (u ascending, as col2im adds) and c ascending.
  // conv1d_2/kernel element (w, ci, c) is k[w * F * F + ci * sci + c * sc]: P + k2() with
  // (F, 1), or the fast path's transposed copy with (1, F).
  TECSCAN_HD float g1_unit(const float* k, int sci, int sc, const Acts& s, int o) const {
    if (!(s.c1[o] > 0.0f)) return 0.0f;
    const int ci = o % d.F, t = (o / d.F) % T1(), b = o / (d.F * T1());
    float acc = 0.0f;
    for (int w = d.K - 1; w >= 0; --w) {
      const int u = t - w;
      if (u < 0 || u >= T2()) continue;
      const float* g = s.g2 + (int64_t(b) * T2() + u) * d.F;
      const float* kw = k + int64_t(w) * d.F * d.F + int64_t(ci) * sci;
      for (int c = 0; c < d.F; ++c) acc += g[c] * kw[int64_t(c) * sc];
    }
    return acc;
  }
  TECSCAN_HD float param_grad(const float* /*P*/, const Acts& s, int64_t p, int count) const {
    const int F = d.F, L = d.L, t1 = T1(), t2 = T2();
    float g = 0.0f;
    if (p < b1()) {  // conv1d_1/kernel [K, 1, F]
      const int w = static_cast<int>(p / F), c = static_cast<int>(p % F);
      for (int b = 0; b < count; ++b)
        for (int t = 0; t < t1; ++t) g += s.x[b * L + t + w] * s.g1[(b * t1 + t) * F + c];
    } else if (p < k2()) {  // conv1d_1/bias
      const int c = static_cast<int>(p - b1());
      for (int b = 0; b < count; ++b)
        for (int t = 0; t < t1; ++t) g += s.g1[(b * t1 + t) * F + c];
    } else if (p < b2()) {  // conv1d_2/kernel [K, F, F]: row f = w * F + ci, column c
      const int64_t q = p - k2();
      const int f = static_cast<int>(q / F), c = static_cast<int>(q % F);
      for (int b = 0; b < count; ++b)
        for (int t = 0; t < t2; ++t)
          g += s.c1[(int64_t(b) * t1 + t) * F + f] * s.g2[(int64_t(b) * t2 + t) * F + c];
    } else if (p < wd()) {  // conv1d_2/bias
      const int c = static_cast<int>(p - b2());
      for (int b = 0; b < count; ++b)
        for (int t = 0; t < t2; ++t) g += s.g2[(b * t2 + t) * F + c];
    } else if (p < bd()) {  // dense/kernel [NP * F, 1]
      const int q = static_cast<int>((p - wd()) / F), c = static_cast<int>((p - wd()) % F);
      for (int b = 0; b < count; ++b) g += pooled(s, b, q, c) * s.dy[b];
    } else {  // dense/bias
      for (int b = 0; b < count; ++b) g += s.dy[b];
    }
    return g;
  }

  // ---- fast path: the block computes a whole layer at once ------------------------------
  // Every product is one block_product call in precision Prec (mma.cuh): register-tiled FP32
  // FFMA (block_gemm) for fp32, tensor cores (block_mma) otherwise, each a GEMM over the im2col
  // view (row r = (b, t), the patch of step t): forward conv 1 (x patches x conv1d_1/kernel),
  // conv 2 (c1 patches x conv1d_2/kernel) and the dense layer (pooled x dense/kernel); the input
  // deltas dy dense^T (K = 1, then routed through the pool) and g2 conv1d_2^T (col2im folded
  // into the accessor); the kernel gradients patches^T delta, each with its Adam step in the
  // epilogue. block_gemm sums k in order from zero, and every accessor walks k in the per-unit
  // functions' order, so the fp32 path gives their bits. The biases, their gradients (column
  // sums), relu, the max-pool, the loss and Adam stay FP32 (docs/gpu-tensor-cores.md).
  TECSCAN_HD void forward(const Block& blk, const float* P, const Acts& s, int count) const {
    const int L = d.L, F = d.F, t1 = T1(), t2 = T2();
    const float* kernel1 = P + k1();
    const float* kernel2 = P + k2();
    const float* dense = P + wd();
    block_product<Prec, 4, 2>(
        blk, count * t1, F, d.K, [&](int r, int k) { return s.x[(r / t1) * L + r % t1 + k]; },
        [&](int k, int c) { return kernel1[k * F + c]; },
        [&](int r, int c, float acc) { s.c1[r * F + c] = relu(acc + P[b1() + c]); });
    blk.sync();
    block_product<Prec, 4, 2>(
        blk, count * t2, F, d.K * F,
        [&](int r, int k) { return s.c1[((r / t2) * t1 + r % t2) * F + k]; },
        [&](int k, int c) { return kernel2[k * F + c]; },
        [&](int r, int c, float acc) { s.c2[r * F + c] = relu(acc + P[b2() + c]); });
    blk.sync();
    // Flatten: feature k = q * F + c is the pool's window q, channel c.
    block_product<Prec, 1, 1>(
        blk, count, 1, NP() * F, [&](int r, int k) { return pooled(s, r, k / F, k % F); },
        [&](int k, int) { return dense[k]; },
        [&](int r, int, float acc) { s.y[r] = acc + P[bd()]; });
    blk.sync();
  }

  // Floats of the transposed conv1d_2 kernel ([K][F out][F in]) the fast path keeps.
  TECSCAN_HD int64_t transposed_size() const { return int64_t(d.K) * d.F * d.F; }
  // Element q = (w * F + ci) * F + c of the kernel -> (w * F + c) * F + ci.
  TECSCAN_HD int64_t transposed_index(int64_t q) const {
    const int64_t FF = int64_t(d.F) * d.F, w = q / FF, ci = (q % FF) / d.F, c = q % d.F;
    return w * FF + c * d.F + ci;
  }
  TECSCAN_HD void transpose_weights(const Block& blk, const float* P, float* wt) const {
    blk.parallel_for(static_cast<int>(transposed_size()),
                     [&](int q) { wt[transposed_index(q)] = P[k2() + q]; });
    blk.sync();
  }

  TECSCAN_HD void backward_adam(const Block& blk, float* P, float* m, float* v, float* wt,
                                const Acts& s, int count, float alpha, const AdamArgs& adam) const {
    const int L = d.L, F = d.F, K = d.K, t1 = T1(), t2 = T2(), np = NP(), pool = d.Pool;
    const float* dense = P + wd();
    // dLoss/dpooled = dy dense^T (a product with K = 1), routed to each window's first maximum
    // through relu' (g2_unit's rule); the steps the floor pool drops get zeros (disjoint).
    block_product<Prec, 1, 1>(
        blk, count, np * F, 1, [&](int r, int) { return s.dy[r]; },
        [&](int, int j) { return dense[j]; },
        [&](int b, int j, float acc) {
          const int q = j / F, c = j % F, best = pool_argmax(s, b, q, c);
          for (int t = q * pool; t < (q + 1) * pool; ++t) {
            const int o = (b * t2 + t) * F + c;
            s.g2[o] = t == best && s.c2[o] > 0.0f ? acc : 0.0f;
          }
        });
    const int dropped = t2 - np * pool;
    blk.parallel_for(count * dropped * F, [&](int i) {
      const int b = i / (dropped * F), t = np * pool + (i / F) % dropped;
      s.g2[(b * t2 + t) * F + i % F] = 0.0f;
    });
    blk.sync();
    // g1 = relu'(c1) * col2im(g2 conv1d_2^T): the fp32 path's accessors (k = (K-1-w) * F + c).
    block_product<Prec, 4, 2>(
        blk, count * t1, F, K * F,
        [&](int r, int k) {
          const int u = r % t1 - (K - 1 - k / F);
          return u >= 0 && u < t2 ? s.g2[((r / t1) * t2 + u) * F + k % F] : 0.0f;
        },
        [&](int k, int c) { return wt[((K - 1 - k / F) * F + k % F) * F + c]; },
        [&](int r, int c, float acc) { s.g1[r * F + c] = s.c1[r * F + c] > 0.0f ? acc : 0.0f; });
    blk.sync();
    // Every delta is known: each kernel gradient patches^T delta with its Adam step (conv 2's
    // also refreshes the transposed copy), the biases' column sums on their own. The parameters
    // each product updates are disjoint and none reads another's: no syncs.
    block_product<Prec, 1, 1>(
        blk, K, F, count * t1, [&](int w, int k) { return s.x[(k / t1) * L + k % t1 + w]; },
        [&](int k, int c) { return s.g1[k * F + c]; },
        [&](int w, int c, float g) {
          adam_param(P, m, v, k1() + int64_t(w) * F + c, g, alpha, adam);
        });
    block_product<Prec, 4, 4>(
        blk, K * F, F, count * t2,
        [&](int f, int k) { return s.c1[((k / t2) * t1 + k % t2) * F + f]; },
        [&](int k, int c) { return s.g2[k * F + c]; },
        [&](int f, int c, float g) {
          const int64_t q = int64_t(f) * F + c;
          adam_param(P, m, v, k2() + q, g, alpha, adam);
          wt[transposed_index(q)] = P[k2() + q];
        });
    block_product<Prec, 1, 1>(
        blk, np * F, 1, count, [&](int j, int b) { return pooled(s, b, j / F, j % F); },
        [&](int b, int) { return s.dy[b]; },
        [&](int j, int, float g) { adam_param(P, m, v, wd() + j, g, alpha, adam); });
    // Biases b1, b2 (F each) and bd.
    blk.parallel_for(2 * F + 1, [&](int i) {
      const int64_t p = i < F ? b1() + i : i < 2 * F ? b2() + (i - F) : bd();
      adam_param(P, m, v, p, param_grad(P, s, p, count), alpha, adam);
    });
    blk.sync();
  }

  // ---- naive path ----------------------------------------------------------------------------
  TECSCAN_HD void forward_sample(const float* P, const Acts& s, int b) const {
    for (int o = b * T1() * d.F; o < (b + 1) * T1() * d.F; ++o) s.c1[o] = c1_unit(P, s, o);
    for (int o = b * T2() * d.F; o < (b + 1) * T2() * d.F; ++o) s.c2[o] = c2_unit(P, s, o);
    s.y[b] = y_unit(P, s, b);
  }
  TECSCAN_HD void backward_sample(const float* P, const Acts& s, int b) const {
    for (int o = b * T2() * d.F; o < (b + 1) * T2() * d.F; ++o) s.g2[o] = g2_unit(P, s, o);
    for (int o = b * T1() * d.F; o < (b + 1) * T1() * d.F; ++o)
      s.g1[o] = g1_unit(P + k2(), d.F, 1, s, o);
  }
};

// Launchers (kernels/cnn_kernels.cu): the paper's sizes run a compile-time instantiation,
// any other size the run-time one. The shuffle of the epoch must have run.
int64_t cnn_fast_smem_bytes(const CnnDims& d, int batch);  // the fast path's shared memory
int64_t cnn_naive_acts_floats(const CnnDims& d, int batch);
// precision: the fast path's products (precision.hpp); the naive kernels are the FP32 reference
// and refuse any other precision (std::invalid_argument).
void cnn_train_epoch(const CnnDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches,
                     Precision precision, GpuStream stream);
void cnn_predict(const CnnDims& d, const TrainArgs& a, bool naive, int max_predict,
                 Precision precision, GpuStream stream);

}  // namespace ff
}  // namespace tecscan
