// The recurrent models (SimpleRNN, GRU reset_after, LSTM with its Dense head, CNN-LSTM) on the
// persistent path of ff_loop.cuh: one thread block per node runs a whole epoch, the T steps'
// products h_{t-1} U on tensor cores (block_product in precision Prec), the cell math of
// rnn_kernels.cuh (gru_cell, lstm_cell and their derivatives: the one definition every recurrent
// path uses), backpropagation through time and the fused gradient + Adam of every parameter. The
// naive path (one thread per sample / parameter, FP32) is the obviously-correct check of the fast
// one.
//
// Shapes: rnn::RnnShape (make_rnn_shape: model.hpp's flat Keras layout): one feature per step,
// or the CNN-LSTM's pooled conv features (in of them). Per node and minibatch (B = the carve's
// batch):
//   x [B][input_len]  h [T+1][B][u] (block 0 = zero state)  c [T+1][B][u] (LSTM, CNN-LSTM)
//   act [T][B][G u]: the gate activations (SimpleRNN: h_t; GRU: z, r, hc; LSTM: i, f, g, o);
//                    backward overwrites step t with dLoss/d(pre-activations) (each unit owns
//                    its G entries, so in place is safe)
//   hh [T][B][u] (GRU): h_{t-1} U_h + b_rh; backward overwrites it with dLoss/dhh, the
//                    candidate block of the recurrent products' delta
//   dh, dc [B][u]: dLoss/dh_t and dLoss/dc_t carried back through time
//   d1, dd1 [B][d] (LSTM): the head's Dense(d) and its delta
//   o1, o2, feat and their deltas (CNN-LSTM): the front end of every step (RecurrentActs).
// At batch 32 the activations fit a block's shared memory for SimpleRNN-100 (129 KB); GRU-100
// (283 KB), LSTM-200 (743 KB) and CNN-LSTM-100 (513 KB) do not, and their fast path carves the
// same arrays from a per-node global scratch instead (run_fast_epoch's acts_in_global).
//
// Precision: every matrix product rounds its operands as Prec does (the CPU reference's
// emulation, src/cpu/layers.hpp): the large ones (h U, dpre U^T, the recurrent kernel's
// gradient, the LSTM head's Dense(d) and its gradients; the CNN-LSTM's conv 2 as im2col, x W,
// and their backward products and gradients) through block_product, the small-K and N = 1 ones
// (x W with one feature, conv 1, the Dense(1) output and its gradients) per element with
// operand_product.
// Biases, column sums, the cell math, the loss and Adam stay FP32.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "block.cuh"
#include "ff_loop.cuh"
#include "mma.cuh"
#include "rnn_kernels.cuh"

namespace tecscan {
namespace ff {

// a * b as a product in precision P computes it: operands rounded (precision.hpp), FP32 result.
template <Precision P>
TECSCAN_HD inline float operand_product(float a, float b) {
  if constexpr (P == Precision::kFp32)
    return a * b;
  else
    return round_operand(P, a) * round_operand(P, b);
}

struct RecurrentActs {
  int batch = 0;  // rows of every [B] block
  float* x;
  float* tgt;
  float* y;
  float* dy;
  float* h;
  float* c;
  float* act;
  float* hh;
  float* dh;
  float* dc;
  float* d1;
  float* dd1;
  // CNN-LSTM front end, per step (subsequence) t and row b: conv outputs o1 [T][B][len1][f],
  // o2 [T][B][len2][f] (after relu), the LSTM inputs feat [T][B][in] (pooled, t f + c), and
  // their deltas do1, do2, dfeat (the same shapes).
  float* o1;
  float* o2;
  float* feat;
  float* do1;
  float* do2;
  float* dfeat;
};

// Prec: the fast path's products; the naive path is FP32 (instantiate it with kFp32).
template <Precision Prec = Precision::kFp32>
struct RecurrentBlockModel {
  using Acts = RecurrentActs;
  static constexpr Precision kPrecision = Prec;
  rnn::RnnShape s;

  TECSCAN_HD bool gru() const { return s.kind == ModelKind::kGru; }
  TECSCAN_HD bool cnn() const { return s.kind == ModelKind::kCnnLstm; }
  TECSCAN_HD bool lstm_cell() const { return s.kind == ModelKind::kLstm || cnn(); }
  TECSCAN_HD bool dense_head() const { return s.head_hidden > 0; }  // the LSTM's Dense(d)
  TECSCAN_HD int input_len() const { return s.input_len; }
  TECSCAN_HD int64_t nparam() const { return s.nparam; }

  TECSCAN_HD Acts carve(SmemCarver& cv, int batch) const {
    const int64_t B = batch, u = s.units, T = s.steps, gu = s.gu(), d = s.head_hidden;
    const int64_t f = s.filters, cn = cnn() ? 1 : 0;
    Acts a;
    a.batch = batch;
    a.x = cv.take<float>(B * s.input_len);
    a.tgt = cv.take<float>(B);
    a.y = cv.take<float>(B);
    a.dy = cv.take<float>(B);
    a.h = cv.take<float>((T + 1) * B * u);
    a.c = cv.take<float>(lstm_cell() ? (T + 1) * B * u : 0);
    a.act = cv.take<float>(T * B * gu);
    a.hh = cv.take<float>(gru() ? T * B * u : 0);
    a.dh = cv.take<float>(B * u);
    a.dc = cv.take<float>(lstm_cell() ? B * u : 0);
    a.d1 = cv.take<float>(B * d);
    a.dd1 = cv.take<float>(B * d);
    a.o1 = cv.take<float>(cn * T * B * s.len1 * f);
    a.o2 = cv.take<float>(cn * T * B * s.len2 * f);
    a.feat = cv.take<float>(cn * T * B * s.in);
    a.do1 = cv.take<float>(cn * T * B * s.len1 * f);
    a.do2 = cv.take<float>(cn * T * B * s.len2 * f);
    a.dfeat = cv.take<float>(cn * T * B * s.in);
    return a;
  }

  // ---- addressing ----------------------------------------------------------------------------
  TECSCAN_HD float* h_at(const Acts& a, int t, int b) const {  // h_t (t = 0: the zero state)
    return a.h + (int64_t(t) * a.batch + b) * s.units;
  }
  TECSCAN_HD float* c_at(const Acts& a, int t, int b) const {
    return a.c + (int64_t(t) * a.batch + b) * s.units;
  }
  TECSCAN_HD float* act_at(const Acts& a, int t, int b) const {  // step t = 0 .. T-1
    return a.act + (int64_t(t) * a.batch + b) * s.gu();
  }
  TECSCAN_HD float* hh_at(const Acts& a, int t, int b) const {
    return a.hh + (int64_t(t) * a.batch + b) * s.units;
  }
  // Row (t, b) of a [T][B][width] array.
  TECSCAN_HD float* row_at(float* base, const Acts& a, int t, int b, int width) const {
    return base + (int64_t(t) * a.batch + b) * width;
  }
  // Input k of step t (the window value, or the CNN-LSTM's pooled feature).
  TECSCAN_HD float feature(const Acts& a, int t, int b, int k) const {
    return cnn() ? row_at(a.feat, a, t, b, s.in)[k] : a.x[b * s.input_len + t];
  }
  // After backward: dLoss/d(h_{t-1} U + b_rec), column g: the recurrent products' delta (the
  // pre-activations' own for SimpleRNN and LSTM; for the GRU's candidate block, dhh).
  TECSCAN_HD float drec(const Acts& a, int t, int b, int g) const {
    const int u2 = 2 * s.units;
    return gru() && g >= u2 ? hh_at(a, t, b)[g - u2] : act_at(a, t, b)[g];
  }
  // Offsets of the last Dense (to 1 output) and its input width.
  TECSCAN_HD int64_t out_k() const { return dense_head() ? s.off_dense2_k : s.off_dense1_k; }
  TECSCAN_HD int64_t out_b() const { return dense_head() ? s.off_dense2_b : s.off_dense1_b; }

  // ---- per-unit formulas (shared by the fast and the naive paths) --------------------------
  // CNN-LSTM front end, row (t, b): conv 1 output (t1, co) ...
  TECSCAN_HD float o1_unit(const float* P, const Acts& a, int t, int b, int t1, int co) const {
    const float* xs = a.x + int64_t(b) * s.input_len + t * s.sub_len + t1;
    float acc = 0.0f;
    for (int k = 0; k < s.kw; ++k)
      acc += operand_product<Prec>(xs[k], P[s.off_conv1_k + k * s.filters + co]);
    return relu(acc + P[s.off_conv1_b + co]);
  }
  // ... conv 2's im2col operand: column kk = k f + ci of output step t2 ...
  TECSCAN_HD float col2(const Acts& a, int t, int b, int t2, int kk) const {
    return row_at(a.o1, a, t, b,
                  s.len1 * s.filters)[(t2 + kk / s.filters) * s.filters + kk % s.filters];
  }
  TECSCAN_HD float o2_unit(const float* P, const Acts& a, int t, int b, int t2, int co) const {
    const int f = s.filters;
    float acc = 0.0f;
    for (int kk = 0; kk < s.kw * f; ++kk)
      acc += col2(a, t, b, t2, kk) * P[s.off_conv2_k + int64_t(kk) * f + co];
    return relu(acc + P[s.off_conv2_b + co]);
  }
  // ... the pooled feature (tp, co): max over the window, the first maximum (as the CPU) ...
  TECSCAN_HD int pool_argmax(const Acts& a, int t, int b, int tp, int co) const {
    const float* o2 = row_at(a.o2, a, t, b, s.len2 * s.filters);
    int best = tp * s.pool;
    for (int q = 1; q < s.pool; ++q)
      if (o2[(tp * s.pool + q) * s.filters + co] > o2[best * s.filters + co])
        best = tp * s.pool + q;
    return best;
  }
  TECSCAN_HD float feat_unit(const Acts& a, int t, int b, int k) const {
    const int tp = k / s.filters, co = k % s.filters;
    return row_at(a.o2, a, t, b, s.len2 * s.filters)[pool_argmax(a, t, b, tp, co) * s.filters + co];
  }
  // ... x_t W (gate column g), FP32 (the fast path takes it from a product) ...
  TECSCAN_HD float xw_unit(const float* P, const Acts& a, int t, int b, int g) const {
    const float* W = P + s.off_kernel + g;
    float acc = 0.0f;
    for (int k = 0; k < s.in; ++k) acc += feature(a, t, b, k) * W[int64_t(k) * s.gu()];
    return acc;
  }
  // ... and backwards: dLoss/do2 (t2, co) from dfeat through the pool and conv 2's relu ...
  TECSCAN_HD float do2_unit(const Acts& a, int t, int b, int t2, int co) const {
    const int tp = t2 / s.pool;
    if (tp >= s.pooled || pool_argmax(a, t, b, tp, co) != t2) return 0.0f;
    if (!(row_at(a.o2, a, t, b, s.len2 * s.filters)[t2 * s.filters + co] > 0.0f)) return 0.0f;
    return row_at(a.dfeat, a, t, b, s.in)[tp * s.filters + co];
  }
  // ... dLoss/do1 (t1, ci) = relu'(o1) sum over (k, co) with t2 = t1 - k of do2 K2[k][ci][co]:
  // a product over kk = k f + co with do2_shifted as its left operand.
  TECSCAN_HD float do2_shifted(const Acts& a, int t, int b, int t1, int kk) const {
    const int k = kk / s.filters, t2 = t1 - k;
    if (t2 < 0 || t2 >= s.len2) return 0.0f;
    return row_at(a.do2, a, t, b, s.len2 * s.filters)[t2 * s.filters + kk % s.filters];
  }
  TECSCAN_HD float conv2_kernel_t(const float* P, int kk, int ci) const {  // K2[k][ci][co]
    const int f = s.filters, k = kk / f, co = kk % f;
    return P[s.off_conv2_k + (int64_t(k) * f + ci) * f + co];
  }
  TECSCAN_HD float do1_value(const Acts& a, int t, int b, int t1, int ci, float acc) const {
    return row_at(a.o1, a, t, b, s.len1 * s.filters)[t1 * s.filters + ci] > 0.0f ? acc : 0.0f;
  }
  TECSCAN_HD float do1_unit(const float* P, const Acts& a, int t, int b, int t1, int ci) const {
    float acc = 0.0f;
    for (int kk = 0; kk < s.kw * s.filters; ++kk)
      acc += do2_shifted(a, t, b, t1, kk) * conv2_kernel_t(P, kk, ci);
    return do1_value(a, t, b, t1, ci, acc);
  }
  TECSCAN_HD float dfeat_unit(const float* P, const Acts& a, int t, int b, int k) const {
    const float* W = P + s.off_kernel + int64_t(k) * s.gu();
    float acc = 0.0f;
    for (int g = 0; g < s.gu(); ++g) acc += act_at(a, t, b)[g] * W[g];
    return acc;
  }

  // x_t W + b_in for gate column g (one feature per step: the input kernel is [1][G u]).
  TECSCAN_HD float input_part(const float* P, const Acts& a, int t, int b, int g) const {
    return operand_product<Prec>(a.x[b * s.input_len + t], P[s.off_kernel + g]) + P[s.off_bias + g];
  }
  // What the forward keeps in act column g of step t from rec = h_{t-1} U (column g):
  // the whole pre-activation (SimpleRNN, LSTM; the CNN-LSTM's x_t W is already in act), or
  // rec + b_rec (GRU; the cell adds the rest).
  TECSCAN_HD float pre_value(const float* P, const Acts& a, int t, int b, int g, float rec) const {
    if (gru()) return rec + P[s.off_bias + s.gu() + g];
    const float xw = cnn() ? act_at(a, t, b)[g]
                           : operand_product<Prec>(a.x[b * s.input_len + t], P[s.off_kernel + g]);
    return xw + rec + P[s.off_bias + g];
  }
  TECSCAN_HD float rec_unit(const float* P, const Acts& a, int t, int b, int g) const {
    const float* h = h_at(a, t, b);
    const float* U = P + s.off_recurrent + g;
    const int gu = s.gu();
    float acc = 0.0f;
    for (int k = 0; k < s.units; ++k) acc += h[k] * U[int64_t(k) * gu];
    return acc;
  }
  // Unit j of step t: act (pre-activations) -> gate activations, h_{t+1}, c_{t+1}.
  TECSCAN_HD void cell_forward(const float* P, const Acts& a, int t, int b, int j) const {
    const int u = s.units;
    float* g = act_at(a, t, b);
    float* h_next = h_at(a, t + 1, b);
    if (s.kind == ModelKind::kRnn) {
      g[j] = h_next[j] = rnn::ftanh(g[j]);
    } else if (gru()) {
      const float hh = g[2 * u + j];
      const rnn::GruCell<float> o =
          rnn::gru_cell(input_part(P, a, t, b, j) + g[j], input_part(P, a, t, b, u + j) + g[u + j],
                        input_part(P, a, t, b, 2 * u + j), hh, h_at(a, t, b)[j]);
      g[j] = o.z, g[u + j] = o.r, g[2 * u + j] = o.hc;
      hh_at(a, t, b)[j] = hh;
      h_next[j] = o.h;
    } else {
      const rnn::LstmCell<float> o =
          rnn::lstm_cell(s.cell, g[j], g[u + j], g[2 * u + j], g[3 * u + j], c_at(a, t, b)[j]);
      g[j] = o.i, g[u + j] = o.f, g[2 * u + j] = o.g, g[3 * u + j] = o.o;
      c_at(a, t + 1, b)[j] = o.c;
      h_next[j] = o.h;
    }
  }
  // Unit j of step t backwards: dh (and dc) of h_{t+1} -> the pre-activations' deltas in act,
  // GRU dhh in hh, the direct parts of dLoss/dh_t (GRU) and dLoss/dc_t (LSTM).
  TECSCAN_HD void cell_backward(const Acts& a, int t, int b, int j) const {
    const int u = s.units;
    float* g = act_at(a, t, b);
    float* dh = a.dh + int64_t(b) * u;
    if (s.kind == ModelKind::kRnn) {
      g[j] = dh[j] * rnn::activate_grad(Activation::kTanh, h_at(a, t + 1, b)[j]);
    } else if (gru()) {
      float* hh = hh_at(a, t, b);
      const rnn::GruCellGrad<float> d =
          rnn::gru_cell_grad(dh[j], g[j], g[u + j], g[2 * u + j], hh[j], h_at(a, t, b)[j]);
      g[j] = d.dz_pre, g[u + j] = d.dr_pre, g[2 * u + j] = d.dxh;
      hh[j] = d.dhh;
      dh[j] = d.dh_prev;
    } else {
      float* dc = a.dc + int64_t(b) * u;
      const rnn::LstmCellGrad<float> d =
          rnn::lstm_cell_grad(s.cell, dh[j], dc[j], g[j], g[u + j], g[2 * u + j], g[3 * u + j],
                              c_at(a, t + 1, b)[j], c_at(a, t, b)[j]);
      g[j] = d.di, g[u + j] = d.df, g[2 * u + j] = d.dg, g[3 * u + j] = d.d_o;
      dc[j] = d.dc_prev;
    }
  }
  // dLoss/dh_{t-1} (column m) from rec = drec_t U^T (column m): the GRU adds its direct part.
  TECSCAN_HD float dh_value(const Acts& a, int b, int m, float rec) const {
    return gru() ? rec + a.dh[int64_t(b) * s.units + m] : rec;
  }
  TECSCAN_HD float dh_rec_unit(const float* P, const Acts& a, int t, int b, int m) const {
    const float* U = P + s.off_recurrent + int64_t(m) * s.gu();
    float acc = 0.0f;
    for (int g = 0; g < s.gu(); ++g) acc += drec(a, t, b, g) * U[g];
    return acc;
  }
  // The head: the last Dense's input row b (h_T, or the LSTM's Dense(d) output) ...
  TECSCAN_HD const float* head_in(const Acts& a, int b) const {
    return dense_head() ? a.d1 + int64_t(b) * s.head_hidden : h_at(a, s.steps, b);
  }
  TECSCAN_HD int head_width() const { return dense_head() ? s.head_hidden : s.units; }
  TECSCAN_HD float y_unit(const float* P, const Acts& a, int b) const {
    const float* in = head_in(a, b);
    float acc = 0.0f;
    for (int j = 0; j < head_width(); ++j) acc += operand_product<Prec>(in[j], P[out_k() + j]);
    return acc + P[out_b()];
  }
  // ... the LSTM's Dense(d) (linear) ...
  TECSCAN_HD float d1_unit(const float* P, const Acts& a, int b, int o) const {
    const float* h = h_at(a, s.steps, b);
    const int d = s.head_hidden;
    float acc = 0.0f;
    for (int j = 0; j < s.units; ++j) acc += h[j] * P[s.off_dense1_k + int64_t(j) * d + o];
    return acc + P[s.off_dense1_b + o];
  }
  // ... and backwards: the delta of the last Dense's input j (dh_T, or the LSTM's dd1) ...
  TECSCAN_HD float head_delta_unit(const float* P, const Acts& a, int b, int j) const {
    return operand_product<Prec>(a.dy[b], P[out_k() + j]);
  }
  // ... and the LSTM's dh_T = dd1 W1^T.
  TECSCAN_HD float dh_last_unit(const float* P, const Acts& a, int b, int j) const {
    const int d = s.head_hidden;
    const float* dd1 = a.dd1 + int64_t(b) * d;
    const float* w = P + s.off_dense1_k + int64_t(j) * d;
    float acc = 0.0f;
    for (int o = 0; o < d; ++o) acc += dd1[o] * w[o];
    return acc;
  }

  // The tensors whose gradients the fast path takes from block products (the rest come from
  // param_grad): the recurrent kernel, the LSTM's Dense(d) kernel, the CNN-LSTM's LSTM input
  // kernel and conv 2 kernel.
  TECSCAN_HD bool in_product(int64_t p) const {
    return (p >= s.off_recurrent && p < s.off_bias) ||
           (dense_head() && p >= s.off_dense1_k && p < s.off_dense1_b) ||
           (cnn() && p >= s.off_kernel && p < s.off_recurrent) ||
           (cnn() && p >= s.off_conv2_k && p < s.off_conv2_b);
  }

  // dLoss/dP[p] over the `count` samples of the minibatch, in FP32 but for operand_product
  // (the fast path takes in_product(p) from products).
  TECSCAN_HD float param_grad(const float* /*P*/, const Acts& a, int64_t p, int count) const {
    const int gu = s.gu(), T = s.steps, d = s.head_hidden, f = s.filters;
    float g = 0.0f;
    if (cnn() && p < s.off_conv1_b) {  // conv 1 kernel [kw][1][f]
      const int q = static_cast<int>(p - s.off_conv1_k), k = q / f, co = q % f;
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b) {
          const float* xs = a.x + int64_t(b) * s.input_len + t * s.sub_len + k;
          const float* do1 = row_at(a.do1, a, t, b, s.len1 * f);
          for (int t1 = 0; t1 < s.len1; ++t1) g += operand_product<Prec>(xs[t1], do1[t1 * f + co]);
        }
    } else if (cnn() && p < s.off_conv2_k) {  // conv 1 bias
      const int co = static_cast<int>(p - s.off_conv1_b);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b)
          for (int t1 = 0; t1 < s.len1; ++t1) g += row_at(a.do1, a, t, b, s.len1 * f)[t1 * f + co];
    } else if (cnn() && p < s.off_conv2_b) {  // conv 2 kernel [kw][f][f] = col2^T do2
      const int64_t q = p - s.off_conv2_k;
      const int kk = static_cast<int>(q / f), co = static_cast<int>(q % f);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b)
          for (int t2 = 0; t2 < s.len2; ++t2)
            g += col2(a, t, b, t2, kk) * row_at(a.do2, a, t, b, s.len2 * f)[t2 * f + co];
    } else if (cnn() && p < s.off_kernel) {  // conv 2 bias
      const int co = static_cast<int>(p - s.off_conv2_b);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b)
          for (int t2 = 0; t2 < s.len2; ++t2) g += row_at(a.do2, a, t, b, s.len2 * f)[t2 * f + co];
    } else if (p < s.off_recurrent) {  // kernel [in][G u]
      const int64_t q = p - s.off_kernel;
      const int k = static_cast<int>(q / gu), col = static_cast<int>(q % gu);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b)
          g += operand_product<Prec>(feature(a, t, b, k), act_at(a, t, b)[col]);
    } else if (p < s.off_bias) {  // recurrent [u][G u]: h_0 = 0 adds nothing
      const int64_t q = p - s.off_recurrent;
      const int m = static_cast<int>(q / gu), col = static_cast<int>(q % gu);
      for (int t = 1; t < T; ++t)
        for (int b = 0; b < count; ++b) g += h_at(a, t, b)[m] * drec(a, t, b, col);
    } else if (p < s.off_bias + gu) {  // bias (GRU: its input row)
      const int col = static_cast<int>(p - s.off_bias);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b) g += act_at(a, t, b)[col];
    } else if (gru() && p < s.off_bias + 2 * gu) {  // GRU recurrent bias row
      const int col = static_cast<int>(p - s.off_bias - gu);
      for (int t = 0; t < T; ++t)
        for (int b = 0; b < count; ++b) g += drec(a, t, b, col);
    } else if (dense_head() && p < s.off_dense1_b) {  // Dense(d) kernel [u][d]
      const int64_t q = p - s.off_dense1_k;
      const int j = static_cast<int>(q / d), o = static_cast<int>(q % d);
      for (int b = 0; b < count; ++b) g += h_at(a, T, b)[j] * a.dd1[int64_t(b) * d + o];
    } else if (dense_head() && p < s.off_dense2_k) {  // Dense(d) bias
      const int o = static_cast<int>(p - s.off_dense1_b);
      for (int b = 0; b < count; ++b) g += a.dd1[int64_t(b) * d + o];
    } else if (p < out_b()) {  // the last Dense's kernel [width][1]
      const int j = static_cast<int>(p - out_k());
      for (int b = 0; b < count; ++b) g += operand_product<Prec>(head_in(a, b)[j], a.dy[b]);
    } else {  // its bias
      for (int b = 0; b < count; ++b) g += a.dy[b];
    }
    return g;
  }

  // ---- fast path: the block computes a whole step / layer at once -------------------------
  // The CNN-LSTM front end and the LSTM's input product x W for every step at once. Products
  // over (step, row) pairs index them r = t * count + b (and t2 / t1 within).
  TECSCAN_HD void front_forward(const Block& blk, const float* P, const Acts& a, int count) const {
    const int T = s.steps, f = s.filters, gu = s.gu(), in = s.in;
    const int l1 = s.len1, l2 = s.len2;
    blk.parallel_for(T * count * l1 * f, [&](int o) {
      const int co = o % f, r = o / f, t1 = r % l1, tb = r / l1;
      row_at(a.o1, a, tb / count, tb % count, l1 * f)[t1 * f + co] =
          o1_unit(P, a, tb / count, tb % count, t1, co);
    });
    blk.sync();
    const float* K2 = P + s.off_conv2_k;
    block_product<Prec, 2, 2>(
        blk, T * count * l2, f, s.kw * f,
        [&](int r, int kk) { return col2(a, r / l2 / count, r / l2 % count, r % l2, kk); },
        [&](int kk, int co) { return K2[int64_t(kk) * f + co]; },
        [&](int r, int co, float acc) {
          const int tb = r / l2;
          row_at(a.o2, a, tb / count, tb % count, l2 * f)[(r % l2) * f + co] =
              relu(acc + P[s.off_conv2_b + co]);
        });
    blk.sync();
    blk.parallel_for(T * count * in, [&](int o) {
      const int tb = o / in;
      row_at(a.feat, a, tb / count, tb % count, in)[o % in] =
          feat_unit(a, tb / count, tb % count, o % in);
    });
    blk.sync();
    const float* W = P + s.off_kernel;
    block_product<Prec, 2, 2>(
        blk, T * count, gu, in,
        [&](int r, int k) { return row_at(a.feat, a, r / count, r % count, in)[k]; },
        [&](int k, int c) { return W[int64_t(k) * gu + c]; },
        [&](int r, int c, float acc) { act_at(a, r / count, r % count)[c] = acc; });
    blk.sync();
  }

  TECSCAN_HD void forward(const Block& blk, const float* P, const Acts& a, int count) const {
    const int u = s.units, gu = s.gu(), d = s.head_hidden;
    const float* U = P + s.off_recurrent;
    if (cnn()) front_forward(blk, P, a, count);
    blk.parallel_for(count * u, [&](int o) {
      a.h[o] = 0.0f;
      if (lstm_cell()) a.c[o] = 0.0f;
    });
    blk.sync();
    for (int t = 0; t < s.steps; ++t) {
      const float* h = h_at(a, t, 0);
      float* act = act_at(a, t, 0);
      block_product<Prec, 2, 2>(
          blk, count, gu, u, [&](int r, int k) { return h[r * u + k]; },
          [&](int k, int c) { return U[int64_t(k) * gu + c]; },
          [&](int r, int c, float acc) { act[r * gu + c] = pre_value(P, a, t, r, c, acc); });
      blk.sync();
      blk.parallel_for(count * u, [&](int o) { cell_forward(P, a, t, o / u, o % u); });
      blk.sync();
    }
    if (dense_head()) {
      const float* h = h_at(a, s.steps, 0);
      const float* W1 = P + s.off_dense1_k;
      block_product<Prec, 2, 2>(
          blk, count, d, u, [&](int r, int k) { return h[r * u + k]; },
          [&](int k, int c) { return W1[k * d + c]; },
          [&](int r, int c, float acc) { a.d1[r * d + c] = acc + P[s.off_dense1_b + c]; });
      blk.sync();
    }
    blk.parallel_for(count, [&](int b) { a.y[b] = y_unit(P, a, b); });
    blk.sync();
  }

  // The fast path's transposed recurrent kernel U^T [G u][u] (the MLP's W2^T): the backward
  // product dG U^T reads it row by row, contiguous across the threads, where U itself would be
  // read with a stride of G u. Adam refreshes it with U (the recurrent kernel's gradient).
  TECSCAN_HD int64_t transposed_size() const { return int64_t(s.gu()) * s.units; }
  TECSCAN_HD void transpose_weights(const Block& blk, const float* P, float* wt) const {
    const int u = s.units, gu = s.gu();
    blk.parallel_for(u * gu, [&](int q) {  // q = m * G u + g: U[m][g] -> U^T[g][m]
      wt[int64_t(q % gu) * u + q / gu] = P[s.off_recurrent + q];
    });
    blk.sync();
  }

  // The CNN-LSTM's deltas below the LSTM: dfeat = dpre W^T, do2 (pool, relu), do1.
  TECSCAN_HD void front_backward(const Block& blk, const float* P, const Acts& a, int count) const {
    const int T = s.steps, f = s.filters, gu = s.gu(), in = s.in;
    const int l1 = s.len1, l2 = s.len2;
    const float* W = P + s.off_kernel;
    block_product<Prec, 2, 2>(
        blk, T * count, in, gu, [&](int r, int g) { return act_at(a, r / count, r % count)[g]; },
        [&](int g, int k) { return W[int64_t(k) * gu + g]; },
        [&](int r, int k, float acc) { row_at(a.dfeat, a, r / count, r % count, in)[k] = acc; });
    blk.sync();
    blk.parallel_for(T * count * l2 * f, [&](int o) {
      const int co = o % f, r = o / f, t2 = r % l2, tb = r / l2;
      row_at(a.do2, a, tb / count, tb % count, l2 * f)[t2 * f + co] =
          do2_unit(a, tb / count, tb % count, t2, co);
    });
    blk.sync();
    block_product<Prec, 2, 2>(
        blk, T * count * l1, f, s.kw * f,
        [&](int r, int kk) { return do2_shifted(a, r / l1 / count, r / l1 % count, r % l1, kk); },
        [&](int kk, int ci) { return conv2_kernel_t(P, kk, ci); },
        [&](int r, int ci, float acc) {
          const int tb = r / l1, t = tb / count, b = tb % count;
          row_at(a.do1, a, t, b, l1 * f)[(r % l1) * f + ci] = do1_value(a, t, b, r % l1, ci, acc);
        });
    blk.sync();
  }

  TECSCAN_HD void backward_adam(const Block& blk, float* P, float* m, float* v, float* wt,
                                const Acts& a, int count, float alpha, const AdamArgs& adam) const {
    const int u = s.units, gu = s.gu(), d = s.head_hidden, T = s.steps;
    // The head: dLoss/dh_T (and the LSTM's dd1 on the way).
    if (dense_head()) {
      blk.parallel_for(count * d, [&](int o) { a.dd1[o] = head_delta_unit(P, a, o / d, o % d); });
      blk.sync();
      const float* W1 = P + s.off_dense1_k;
      block_product<Prec, 2, 2>(
          blk, count, u, d, [&](int r, int k) { return a.dd1[r * d + k]; },
          [&](int k, int c) { return W1[c * d + k]; },
          [&](int r, int c, float acc) { a.dh[r * u + c] = acc; });
    } else {
      blk.parallel_for(count * u, [&](int o) { a.dh[o] = head_delta_unit(P, a, o / u, o % u); });
    }
    if (lstm_cell()) blk.parallel_for(count * u, [&](int o) { a.dc[o] = 0.0f; });
    blk.sync();
    // Backpropagation through time: dh_{t-1} = dG_t U^T, U^T (g, m) = wt[g * u + m].
    for (int t = T - 1; t >= 0; --t) {
      blk.parallel_for(count * u, [&](int o) { cell_backward(a, t, o / u, o % u); });
      blk.sync();
      if (t == 0) break;
      block_product<Prec, 2, 2>(
          blk, count, u, gu, [&](int r, int k) { return drec(a, t, r, k); },
          [&](int k, int c) { return wt[int64_t(k) * u + c]; },
          [&](int r, int c, float acc) { a.dh[r * u + c] = dh_value(a, r, c, acc); });
      blk.sync();
    }
    if (cnn()) front_backward(blk, P, a, count);
    // Every delta is known: each gradient, then its Adam step (never stored). The parameters
    // each product or loop updates are disjoint and none reads a parameter: no syncs between.
    // recurrent kernel = sum over t >= 1 of h_t^T drec_t: K runs over (step, sample) pairs.
    block_product<Prec, 2, 2>(
        blk, u, gu, (T - 1) * count,
        [&](int r, int k) { return h_at(a, 1 + k / count, k % count)[r]; },
        [&](int k, int c) { return drec(a, 1 + k / count, k % count, c); },
        [&](int r, int c, float g) {
          const int64_t p = s.off_recurrent + int64_t(r) * gu + c;
          adam_param(P, m, v, p, g, alpha, adam);
          wt[int64_t(c) * u + r] = P[p];  // U^T follows U (no other product reads it after)
        });
    if (dense_head()) {  // Dense(d) kernel = h_T^T dd1
      const float* h = h_at(a, T, 0);
      block_product<Prec, 2, 2>(
          blk, u, d, count, [&](int r, int k) { return h[k * u + r]; },
          [&](int k, int c) { return a.dd1[k * d + c]; },
          [&](int r, int c, float g) {
            adam_param(P, m, v, s.off_dense1_k + int64_t(r) * d + c, g, alpha, adam);
          });
    }
    if (cnn()) {
      const int f = s.filters, l2 = s.len2;
      // LSTM input kernel = sum over steps of feat_t^T dpre_t ...
      block_product<Prec, 2, 2>(
          blk, s.in, gu, T * count,
          [&](int k, int r) { return row_at(a.feat, a, r / count, r % count, s.in)[k]; },
          [&](int r, int c) { return act_at(a, r / count, r % count)[c]; },
          [&](int k, int c, float g) {
            adam_param(P, m, v, s.off_kernel + int64_t(k) * gu + c, g, alpha, adam);
          });
      // ... and conv 2's kernel = col2^T do2 over every (step, row, output step).
      block_product<Prec, 2, 2>(
          blk, s.kw * f, f, T * count * l2,
          [&](int kk, int r) { return col2(a, r / l2 / count, r / l2 % count, r % l2, kk); },
          [&](int r, int co) {
            const int tb = r / l2;
            return row_at(a.do2, a, tb / count, tb % count, l2 * f)[(r % l2) * f + co];
          },
          [&](int kk, int co, float g) {
            adam_param(P, m, v, s.off_conv2_k + int64_t(kk) * f + co, g, alpha, adam);
          });
    }
    blk.parallel_for(static_cast<int>(nparam()), [&](int q) {
      if (!in_product(q)) adam_param(P, m, v, q, param_grad(P, a, q, count), alpha, adam);
    });
    blk.sync();
  }

  // ---- naive path: one thread runs a whole sample (FP32) ------------------------------------
  TECSCAN_HD void forward_sample(const float* P, const Acts& a, int b) const {
    const int u = s.units, gu = s.gu(), f = s.filters;
    for (int j = 0; j < u; ++j) {
      h_at(a, 0, b)[j] = 0.0f;
      if (lstm_cell()) c_at(a, 0, b)[j] = 0.0f;
    }
    if (cnn())
      for (int t = 0; t < s.steps; ++t) {
        for (int t1 = 0; t1 < s.len1; ++t1)
          for (int co = 0; co < f; ++co)
            row_at(a.o1, a, t, b, s.len1 * f)[t1 * f + co] = o1_unit(P, a, t, b, t1, co);
        for (int t2 = 0; t2 < s.len2; ++t2)
          for (int co = 0; co < f; ++co)
            row_at(a.o2, a, t, b, s.len2 * f)[t2 * f + co] = o2_unit(P, a, t, b, t2, co);
        for (int k = 0; k < s.in; ++k) row_at(a.feat, a, t, b, s.in)[k] = feat_unit(a, t, b, k);
        for (int g = 0; g < gu; ++g) act_at(a, t, b)[g] = xw_unit(P, a, t, b, g);
      }
    for (int t = 0; t < s.steps; ++t) {
      float* act = act_at(a, t, b);
      for (int g = 0; g < gu; ++g) act[g] = pre_value(P, a, t, b, g, rec_unit(P, a, t, b, g));
      for (int j = 0; j < u; ++j) cell_forward(P, a, t, b, j);
    }
    if (dense_head())
      for (int o = 0; o < s.head_hidden; ++o)
        a.d1[int64_t(b) * s.head_hidden + o] = d1_unit(P, a, b, o);
    a.y[b] = y_unit(P, a, b);
  }
  TECSCAN_HD void backward_sample(const float* P, const Acts& a, int b) const {
    const int u = s.units, d = s.head_hidden, f = s.filters;
    float* dh = a.dh + int64_t(b) * u;
    if (dense_head()) {
      for (int o = 0; o < d; ++o) a.dd1[int64_t(b) * d + o] = head_delta_unit(P, a, b, o);
      for (int j = 0; j < u; ++j) dh[j] = dh_last_unit(P, a, b, j);
    } else {
      for (int j = 0; j < u; ++j) dh[j] = head_delta_unit(P, a, b, j);
    }
    if (lstm_cell())
      for (int j = 0; j < u; ++j) a.dc[int64_t(b) * u + j] = 0.0f;
    for (int t = s.steps - 1; t >= 0; --t) {
      for (int j = 0; j < u; ++j) cell_backward(a, t, b, j);
      if (t == 0) break;
      for (int m = 0; m < u; ++m) dh[m] = dh_value(a, b, m, dh_rec_unit(P, a, t, b, m));
    }
    if (cnn())
      for (int t = 0; t < s.steps; ++t) {
        for (int k = 0; k < s.in; ++k)
          row_at(a.dfeat, a, t, b, s.in)[k] = dfeat_unit(P, a, t, b, k);
        for (int t2 = 0; t2 < s.len2; ++t2)
          for (int co = 0; co < f; ++co)
            row_at(a.do2, a, t, b, s.len2 * f)[t2 * f + co] = do2_unit(a, t, b, t2, co);
        for (int t1 = 0; t1 < s.len1; ++t1)
          for (int ci = 0; ci < f; ++ci)
            row_at(a.do1, a, t, b, s.len1 * f)[t1 * f + ci] = do1_unit(P, a, t, b, t1, ci);
      }
  }
};

// Launchers (kernels/recurrent_block.cu), for SimpleRNN, GRU, LSTM and CNN-LSTM shapes.
// The fast path's activations: in shared memory when recurrent_fast_bytes(s, batch) fits the
// block (acts_in_global false), else from a.acts with a.acts_per_node = recurrent_fast_bytes /
// 4 floats per node. The naive kernels run FP32 only (std::invalid_argument otherwise).
int64_t recurrent_fast_bytes(const rnn::RnnShape& s, int batch);
int64_t recurrent_naive_acts_floats(const rnn::RnnShape& s, int batch);
// "" when the block path runs (k, its shape), else why not.
std::string recurrent_block_unsupported_reason(const rnn::RnnShape& s);
void recurrent_train_epoch(const rnn::RnnShape& s, const TrainArgs& a, int epoch, bool naive,
                           bool acts_in_global, int max_batches, Precision precision,
                           GpuStream stream);
void recurrent_predict(const rnn::RnnShape& s, const TrainArgs& a, bool naive, bool acts_in_global,
                       int max_predict, Precision precision, GpuStream stream);

// For tests/gpu/test_gpu_recurrent_block.cpp: one minibatch of the fast path in one block on the
// device (activations in global memory; forward, loss gradient, backward_adam with beta1 = 0,
// whose first moment is the gradient): the outputs y [count] and the gradient [nparam].
struct RecurrentDeviceStep {
  std::vector<float> y, grad;
};
RecurrentDeviceStep device_recurrent_step(Precision p, const rnn::RnnShape& s,
                                          const std::vector<float>& params,
                                          const std::vector<float>& x,
                                          const std::vector<float>& target, int count, int batch);

}  // namespace ff
}  // namespace tecscan
