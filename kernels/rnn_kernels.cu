// The fused recurrent engine: element functors + batched GEMMs over all nodes of a chunk.
// nvcc builds it for both back ends; a plain C++ compiler (the host-emulation tests, which
// include this file) builds RnnEngine<HostOps> alone.
// Layouts (per node, row-major; B = batch rows, T = steps, u = units, G = gates, gu = G u):
//   X [T][B][in]  XW, HU, ACT, DXW, DHU [T][B][gu]  H, C [T+1][B][u] (block 0 = zero state)
//   DH, DC [B][u]  Y, DY [B]  CNN-LSTM: O1 [T][B][len1][f], COL [T][B][len2][kw f],
//   O2 [T][B][len2][f], X = pooled features [T][B][pooled f] (flattened time-major t f + c).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "rnn_kernels.cuh"
#include "tecscan/error.hpp"

namespace tecscan {
namespace rnn {

// ---- shapes ------------------------------------------------------------------------------------

namespace {

void expect_shape(const std::vector<TensorSpec>& t, size_t i, std::vector<int> shape) {
  if (i >= t.size() || t[i].shape != shape) {
    std::string want, got;
    for (int d : shape) want += std::to_string(d) + " ";
    if (i < t.size())
      for (int d : t[i].shape) got += std::to_string(d) + " ";
    throw std::logic_error("GPU recurrent path: tensor " + std::to_string(i) + " (" +
                           (i < t.size() ? t[i].name : std::string("missing")) + ") has shape [ " +
                           got + "], expected [ " + want +
                           "]: parameter_layout and rnn_kernels.cu disagree");
  }
}

}  // namespace

RnnShape make_rnn_shape(ModelKind k, const ModelConfig& mc) {
  const std::vector<TensorSpec> t = parameter_layout(k, mc);
  RnnShape s;
  s.kind = k;
  s.nparam = parameter_count(k, mc);
  s.input_len = input_length(k, mc);
  size_t i = 0;  // next tensor
  switch (k) {
    case ModelKind::kRnn:
      s.units = mc.rnn_units, s.gates = 1, s.steps = mc.window, s.cell = Activation::kTanh;
      break;
    case ModelKind::kGru:
      if (!mc.gru_reset_after)
        throw InputError("GRU with [model] gru_reset_after = false has no GPU implementation");
      s.units = mc.gru_units, s.gates = 3, s.steps = mc.window, s.cell = Activation::kTanh;
      break;
    case ModelKind::kLstm:
      s.units = mc.lstm_units, s.gates = 4, s.steps = mc.window, s.cell = mc.lstm_activation;
      s.head_hidden = mc.lstm_dense;
      break;
    case ModelKind::kCnnLstm: {
      s.units = mc.cnnlstm_units, s.gates = 4, s.steps = mc.cnnlstm_subseq;
      s.cell = mc.cnnlstm_activation;
      s.sub_len = mc.window, s.filters = mc.cnn_filters, s.kw = mc.cnn_kernel;
      s.pool = mc.cnn_pool;
      s.len1 = s.sub_len - s.kw + 1, s.len2 = s.len1 - s.kw + 1, s.pooled = s.len2 / s.pool;
      s.in = s.pooled * s.filters;
      const int f = s.filters;
      expect_shape(t, 0, {s.kw, 1, f});
      expect_shape(t, 1, {f});
      expect_shape(t, 2, {s.kw, f, f});
      expect_shape(t, 3, {f});
      s.off_conv1_k = t[0].offset, s.off_conv1_b = t[1].offset;
      s.off_conv2_k = t[2].offset, s.off_conv2_b = t[3].offset;
      i = 4;
      break;
    }
    default:
      throw std::logic_error(std::string("GPU recurrent path: ") + model_name(k) +
                             " is not a recurrent model");
  }
  const int u = s.units, gu = s.gu();
  expect_shape(t, i, {s.in, gu});
  expect_shape(t, i + 1, {u, gu});
  if (k == ModelKind::kGru)
    expect_shape(t, i + 2, {2, gu});
  else
    expect_shape(t, i + 2, {gu});
  s.off_kernel = t[i].offset, s.off_recurrent = t[i + 1].offset, s.off_bias = t[i + 2].offset;
  i += 3;
  if (s.head_hidden > 0) {
    expect_shape(t, i, {u, s.head_hidden});
    expect_shape(t, i + 1, {s.head_hidden});
    expect_shape(t, i + 2, {s.head_hidden, 1});
    expect_shape(t, i + 3, {1});
    s.off_dense1_k = t[i].offset, s.off_dense1_b = t[i + 1].offset;
    s.off_dense2_k = t[i + 2].offset, s.off_dense2_b = t[i + 3].offset;
    i += 4;
  } else {
    expect_shape(t, i, {u, 1});
    expect_shape(t, i + 1, {1});
    s.off_dense1_k = t[i].offset, s.off_dense1_b = t[i + 1].offset;
    i += 2;
  }
  if (i != t.size())
    throw std::logic_error("GPU recurrent path: parameter_layout has more tensors than expected");
  return s;
}

std::string fused_unsupported_reason(ModelKind k, const ModelConfig& mc) {
  if (k != ModelKind::kRnn && k != ModelKind::kGru && k != ModelKind::kLstm &&
      k != ModelKind::kCnnLstm)
    return std::string(model_name(k)) + " is not a recurrent model";
  try {
    make_rnn_shape(k, mc);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// ---- element functors --------------------------------------------------------------------------

namespace {

// Decomposes a flat index, innermost extent first.
struct Index3 {
  long long outer;
  int mid, inner;
};
TECSCAN_HD inline Index3 split3(long long idx, int mid_n, int inner_n) {
  Index3 r;
  r.inner = static_cast<int>(idx % inner_n);
  idx /= inner_n;
  r.mid = static_cast<int>(idx % mid_n);
  r.outer = idx / mid_n;
  return r;
}

// X[n][t][b] = xraw[n][b][t] (one feature per step).
struct TransposeInput {
  int steps, batch;
  const float* xraw;
  float* x;
  TECSCAN_HD void operator()(long long idx) const {  // idx = (n T + t) B + b
    const Index3 i = split3(idx, steps, batch);
    const long long n = i.outer;
    x[idx] = xraw[(n * batch + i.inner) * steps + i.mid];
  }
};

// out[n][r][c] += params[n][off + c].
struct AddBias {
  int cols;
  long long param_stride, off;
  const float* params;
  float* out;
  long long rows_per_node;
  TECSCAN_HD void operator()(long long idx) const {
    const int c = static_cast<int>(idx % cols);
    const long long n = idx / cols / rows_per_node;
    out[idx] += params[n * param_stride + off + c];
  }
};

// grads[n][off + c] = sum over rows r of in[n][r][c] (a bias gradient); rows in order.
struct ColumnSum {
  int rows, cols;
  long long in_stride;  // floats between nodes
  const float* in;
  long long param_stride, off;
  float* grads;
  TECSCAN_HD void operator()(long long idx) const {
    const int c = static_cast<int>(idx % cols);
    const long long n = idx / cols;
    const float* p = in + n * in_stride + c;
    float acc = 0.0f;
    for (int r = 0; r < rows; ++r) acc += p[static_cast<long long>(r) * cols];
    grads[n * param_stride + off + c] = acc;
  }
};

// The recurrence of one step t for every (node, row, unit).
struct GateForward {
  RnnShape s;
  int batch, t;
  bool has_prev;  // t > 0: HU holds h_{t-1} U
  const float* params;
  const float* xw;
  float* hu;   // GRU: overwritten with hh = h U_h + b_rh (+ the z, r blocks untouched)
  float* act;  // gate activations
  float* h;
  float* c;
  TECSCAN_HD void operator()(long long idx) const {
    const int u = s.units, gu = s.gu(), T = s.steps;
    const Index3 i = split3(idx, batch, u);
    const long long n = i.outer;
    const int b = i.mid, j = i.inner;
    const long long row = (n * T + t) * batch + b;  // row of the [T][B] gate arrays
    const float* xr = xw + row * gu;
    float* hr = hu + row * gu;
    float* ar = act + row * gu;
    const float* bias = params + n * s.nparam + s.off_bias;
    const long long hbase = n * (T + 1) * batch * u;
    const long long prev = hbase + (static_cast<long long>(t) * batch + b) * u + j;
    const long long next = prev + static_cast<long long>(batch) * u;
    const float hp = h[prev];
    if (s.kind == ModelKind::kRnn) {
      h[next] = ftanh(xr[j] + (has_prev ? hr[j] : 0.0f) + bias[j]);
    } else if (s.kind == ModelKind::kGru) {
      const float* br = bias + gu;  // recurrent bias row
      const float hz = (has_prev ? hr[j] : 0.0f) + br[j];
      const float hrr = (has_prev ? hr[u + j] : 0.0f) + br[u + j];
      const float hh = (has_prev ? hr[2 * u + j] : 0.0f) + br[2 * u + j];
      const GruCell<float> g = gru_cell(xr[j] + bias[j] + hz, xr[u + j] + bias[u + j] + hrr,
                                        xr[2 * u + j] + bias[2 * u + j], hh, hp);
      ar[j] = g.z, ar[u + j] = g.r, ar[2 * u + j] = g.hc;
      hr[2 * u + j] = hh;
      h[next] = g.h;
    } else {  // LSTM i, f, c, o
      float pre[4];
      for (int g = 0; g < 4; ++g)
        pre[g] = xr[g * u + j] + (has_prev ? hr[g * u + j] : 0.0f) + bias[g * u + j];
      const LstmCell<float> cs = lstm_cell(s.cell, pre[0], pre[1], pre[2], pre[3], c[prev]);
      ar[j] = cs.i, ar[u + j] = cs.f, ar[2 * u + j] = cs.g, ar[3 * u + j] = cs.o;
      c[next] = cs.c;
      h[next] = cs.h;
    }
  }
};

// dLoss/d(pre-activations) of step t from dh (= dLoss/dh_t) and, for the LSTM, the cell carry.
// DXW: for the input kernel and input bias; DHU (GRU only, else = DXW): for the recurrent ones.
// GRU leaves dh * z in DH (the direct h_{t-1} path) for the next GEMM to add to.
struct GateBackward {
  RnnShape s;
  int batch, t;
  const float* act;
  const float* hu;
  const float* h;
  const float* c;
  float* dh;
  float* dc;
  float* dxw;
  float* dhu;
  TECSCAN_HD void operator()(long long idx) const {
    const int u = s.units, gu = s.gu(), T = s.steps;
    const Index3 i = split3(idx, batch, u);
    const long long n = i.outer;
    const int b = i.mid, j = i.inner;
    const long long row = (n * T + t) * batch + b;
    const float* ar = act + row * gu;
    float* dxr = dxw + row * gu;
    const long long hbase = n * (T + 1) * batch * u;
    const long long prev = hbase + (static_cast<long long>(t) * batch + b) * u + j;
    const long long next = prev + static_cast<long long>(batch) * u;
    const long long carry = (n * batch + b) * u + j;
    const float g = dh[carry];
    if (s.kind == ModelKind::kRnn) {
      const float hv = h[next];
      dxr[j] = g * (1.0f - hv * hv);
    } else if (s.kind == ModelKind::kGru) {
      const GruCellGrad<float> d =
          gru_cell_grad(g, ar[j], ar[u + j], ar[2 * u + j], hu[row * gu + 2 * u + j], h[prev]);
      float* dhr = dhu + row * gu;
      dxr[j] = d.dz_pre, dxr[u + j] = d.dr_pre, dxr[2 * u + j] = d.dxh;
      dhr[j] = d.dz_pre, dhr[u + j] = d.dr_pre, dhr[2 * u + j] = d.dhh;
      dh[carry] = d.dh_prev;
    } else {
      const LstmCellGrad<float> d = lstm_cell_grad(s.cell, g, dc[carry], ar[j], ar[u + j],
                                                   ar[2 * u + j], ar[3 * u + j], c[next], c[prev]);
      dxr[j] = d.di, dxr[u + j] = d.df, dxr[2 * u + j] = d.dg, dxr[3 * u + j] = d.d_o;
      dc[carry] = d.dc_prev;
    }
  }
};

// Batch-mean MSE per node over its valid rows: dy (0 on padding) and the squared-error sum, in
// the CPU reference's order and precision (train.cpp).
struct LossGrad {
  int batch;
  const int* count;
  const float* y;
  const float* target;
  float* dy;
  double* loss_sum;
  TECSCAN_HD void operator()(long long n) const {
    const int cnt = count[n];
    double sum = 0;
    for (int b = 0; b < batch; ++b) {
      const long long r = n * batch + b;
      if (b < cnt) {
        const float e = y[r] - target[r];
        sum += static_cast<double>(e) * e;
        dy[r] = 2.0f * e / static_cast<float>(cnt);
      } else {
        dy[r] = 0.0f;
      }
    }
    loss_sum[n] += sum;
  }
};

struct AdamUpdate {
  long long nparam;
  const int* count;
  const int* step;  // completed steps per node
  const float* alpha;
  AdamConfig cfg;
  const float* grads;
  float* params;
  float* m;
  float* v;
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / nparam;
    if (count[n] <= 0) return;
    adam_update<float>(params[idx], m[idx], v[idx], grads[idx], alpha[step[n]], cfg.beta1,
                       cfg.beta2, cfg.eps);
  }
};

struct AdvanceStep {
  const int* count;
  int* step;
  TECSCAN_HD void operator()(long long n) const {
    if (count[n] > 0) ++step[n];
  }
};

// ---- CNN-LSTM front end (TimeDistributed Conv1D -> Conv1D -> MaxPool -> Flatten) ---------------

// O1[n][s][b][t1][co] = relu(b1 + sum_k x[n][b][s L + t1 + k] K1[k][co]), the products'
// operands rounded as the training precision's GEMMs round theirs.
struct Conv1Forward {
  RnnShape s;
  int batch;
  const float* params;
  const float* xraw;
  float* o1;
  Precision precision;
  TECSCAN_HD void operator()(long long idx) const {
    const int f = s.filters;
    const Index3 a = split3(idx, s.len1, f);  // outer = (n T + sub) B + b
    const long long sb = a.outer;
    const long long n = sb / (static_cast<long long>(s.steps) * batch);
    const int sub = static_cast<int>(sb / batch % s.steps), b = static_cast<int>(sb % batch);
    const float* xs = xraw + (n * batch + b) * s.input_len + sub * s.sub_len;
    const float* p = params + n * s.nparam;
    float acc = p[s.off_conv1_b + a.inner];
    for (int k = 0; k < s.kw; ++k)
      acc += round_operand(precision, xs[a.mid + k]) *
             round_operand(precision, p[s.off_conv1_k + k * f + a.inner]);
    o1[idx] = acc > 0.0f ? acc : 0.0f;
  }
};

// COL[row = (n, s, b, t2)][kk f + ci] = O1[n][s][b][t2 + kk][ci]: a contiguous slice of O1.
struct Im2col {
  RnnShape s;
  const float* o1;
  float* col;
  TECSCAN_HD void operator()(long long idx) const {
    const int width = s.kw * s.filters;
    const Index3 a = split3(idx, s.len2, width);  // outer = sample (n, s, b)
    col[idx] = o1[(a.outer * s.len1 + a.mid) * s.filters + a.inner];
  }
};

struct BiasRelu {
  int f;
  long long rows_per_node, param_stride, off;
  const float* params;
  float* out;
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / f / rows_per_node;
    const float v = out[idx] + params[n * param_stride + off + idx % f];
    out[idx] = v > 0.0f ? v : 0.0f;
  }
};

// First maximum of pooling window tp of sample (n, s, b), channel co.
TECSCAN_HD inline int pool_argmax(const RnnShape& s, const float* o2, long long sample, int tp,
                                  int co) {
  const float* w = o2 + (sample * s.len2 + static_cast<long long>(tp) * s.pool) * s.filters + co;
  int best = 0;
  for (int q = 1; q < s.pool; ++q)
    if (w[q * s.filters] > w[best * s.filters]) best = q;
  return best;
}

struct PoolForward {
  RnnShape s;
  const float* o2;
  float* x;  // [sample][pooled f]
  TECSCAN_HD void operator()(long long idx) const {
    const Index3 a = split3(idx, s.pooled, s.filters);
    const int q = pool_argmax(s, o2, a.outer, a.mid, a.inner);
    x[idx] = o2[(a.outer * s.len2 + a.mid * s.pool + q) * s.filters + a.inner];
  }
};

// DO2 = dLoss/d(conv2 pre-activation): the pooled gradient at each window's first maximum,
// times relu' (O2 > 0).
struct PoolBackward {
  RnnShape s;
  const float* o2;
  const float* dx;
  float* do2;
  TECSCAN_HD void operator()(long long idx) const {
    const Index3 a = split3(idx, s.len2, s.filters);
    const int tp = a.mid / s.pool;
    float g = 0.0f;
    if (tp < s.pooled && o2[idx] > 0.0f &&
        a.mid == tp * s.pool + pool_argmax(s, o2, a.outer, tp, a.inner))
      g = dx[(a.outer * s.pooled + tp) * s.filters + a.inner];
    do2[idx] = g;
  }
};

// DO1[sample][t1][ci] = relu'(O1) * sum over kk of DCOL[sample][t1 - kk][kk f + ci].
struct Col2imRelu {
  RnnShape s;
  const float* o1;
  const float* dcol;
  float* do1;
  TECSCAN_HD void operator()(long long idx) const {
    const int f = s.filters, width = s.kw * f;
    const Index3 a = split3(idx, s.len1, f);
    float acc = 0.0f;
    for (int kk = 0; kk < s.kw; ++kk) {
      const int t2 = a.mid - kk;
      if (t2 >= 0 && t2 < s.len2) acc += dcol[(a.outer * s.len2 + t2) * width + kk * f + a.inner];
    }
    do1[idx] = o1[idx] > 0.0f ? acc : 0.0f;
  }
};

// conv1d_1 kernel [kw][1][f] and bias [f] gradients: one thread per (node, parameter), summing
// over every (subsequence, row, t1) in order; the kernel's products round their operands as
// the training precision does.
struct Conv1Grad {
  RnnShape s;
  int batch;
  const float* xraw;
  const float* do1;
  float* grads;
  Precision precision;
  TECSCAN_HD void operator()(long long idx) const {
    const int f = s.filters, per_node = (s.kw + 1) * f;
    const long long n = idx / per_node;
    const int q = static_cast<int>(idx % per_node);
    const bool is_bias = q >= s.kw * f;
    const int kk = is_bias ? 0 : q / f, co = q % f;
    float acc = 0.0f;
    for (int sub = 0; sub < s.steps; ++sub)
      for (int b = 0; b < batch; ++b) {
        const long long sample = (n * s.steps + sub) * batch + b;
        const float* xs = xraw + (n * batch + b) * s.input_len + sub * s.sub_len;
        for (int t1 = 0; t1 < s.len1; ++t1) {
          const float d = do1[(sample * s.len1 + t1) * f + co];
          acc += is_bias ? d : round_operand(precision, d) * round_operand(precision, xs[t1 + kk]);
        }
      }
    grads[n * s.nparam + (is_bias ? s.off_conv1_b + co : s.off_conv1_k + q)] = acc;
  }
};

// Sizes (floats per node) of every engine array.
struct Sizes {
  long long x, gates, hc, carry, d1, o1, col, o2;
  explicit Sizes(const RnnShape& s, int batch) {
    const long long tb = static_cast<long long>(s.steps) * batch;
    x = tb * s.in;
    gates = tb * s.gu();
    hc = (tb + batch) * s.units;
    carry = static_cast<long long>(batch) * s.units;
    d1 = static_cast<long long>(batch) * s.head_hidden;
    const bool cnn = s.kind == ModelKind::kCnnLstm;
    o1 = cnn ? tb * s.len1 * s.filters : 0;
    col = cnn ? tb * s.len2 * s.kw * s.filters : 0;
    o2 = cnn ? tb * s.len2 * s.filters : 0;
  }
};

}  // namespace

// ---- the engine --------------------------------------------------------------------------------

template <typename Ops>
size_t RnnEngine<Ops>::bytes_per_node(const RnnShape& s, int batch, bool fused) {
  const Sizes z(s, batch);
  long long floats = 4 * s.nparam + static_cast<long long>(batch) * (s.input_len + 3);
  floats += z.x * (s.kind == ModelKind::kCnnLstm ? 2 : 1) + z.hc + 2 * z.carry + 2 * z.d1;
  floats += 2 * z.o1 + 2 * z.col + 2 * z.o2;
  if (fused) {
    floats += z.gates * (s.kind == ModelKind::kGru ? 5 : 4);
    if (s.kind == ModelKind::kLstm || s.kind == ModelKind::kCnnLstm) floats += z.hc;
  }
  return static_cast<size_t>(floats) * sizeof(float) + 2 * sizeof(int) + sizeof(double);
}

template <typename Ops>
RnnEngine<Ops>::RnnEngine(Ops& ops, const RnnShape& shape, int nnode, int batch,
                          RecurrentLayer* external)
    : ops_(ops), s_(shape), nnode_(nnode), batch_(batch), external_(external) {
  if (nnode < 1 || batch < 1) throw std::logic_error("RnnEngine: nnode and batch must be >= 1");
  const size_t N = static_cast<size_t>(nnode);
  const Sizes z(s_, batch);
  const bool lstm = s_.kind == ModelKind::kLstm || s_.kind == ModelKind::kCnnLstm;
  const bool cnn = s_.kind == ModelKind::kCnnLstm;
  for (Buf<float>* b : {&params_, &grads_, &adam_m_, &adam_v_}) b->resize(N * s_.nparam);
  count_.resize(N);
  adam_t_.resize(N);
  loss_sum_.resize(N);
  xraw_.resize(N * batch * s_.input_len);
  target_.resize(N * batch);
  y_.resize(N * batch);
  dy_.resize(N * batch);
  x_.resize(N * z.x);
  h_.resize(N * z.hc);
  dh_.resize(N * z.carry);
  if (cnn) dx_.resize(N * z.x);
  if (s_.head_hidden > 0) {
    d1_.resize(N * z.d1);
    dd1_.resize(N * z.d1);
  }
  if (cnn) {
    o1_.resize(N * z.o1);
    do1_.resize(N * z.o1);
    col_.resize(N * z.col);
    dcol_.resize(N * z.col);
    o2_.resize(N * z.o2);
    do2_.resize(N * z.o2);
  }
  if (!external_) {
    for (Buf<float>* b : {&xw_, &hu_, &act_, &dxw_}) b->resize(N * z.gates);
    if (s_.kind == ModelKind::kGru) dhu_.resize(N * z.gates);
    if (lstm) {
      c_.resize(N * z.hc);
      dc_.resize(N * z.carry);
      ops_.zero(c_.data(), c_.size());  // block 0 of every node = the zero initial state
    }
  }
  ops_.zero(h_.data(), h_.size());
  ops_.zero(xraw_.data(), xraw_.size());
  ops_.zero(target_.data(), target_.size());
  ops_.zero(count_.data(), count_.size());
  reset_optimizer(AdamConfig());
}

template <typename Ops>
void RnnEngine<Ops>::reset_optimizer(const AdamConfig& adam) {
  adam_ = adam;
  host_steps_ = 0;
  alpha_host_.clear();
  ops_.zero(adam_m_.data(), adam_m_.size());
  ops_.zero(adam_v_.data(), adam_v_.size());
  ops_.zero(adam_t_.data(), adam_t_.size());
  ops_.zero(loss_sum_.data(), loss_sum_.size());
}

template <typename Ops>
RecurrentIo RnnEngine<Ops>::io() {
  const Sizes z(s_, batch_);
  RecurrentIo r;
  r.params = params_.data();
  r.grads = grads_.data();
  r.x = x_.data();
  r.x_stride = z.x;
  r.h = h_.data();
  r.h_stride = z.hc;
  r.dh_last = dh_.data();
  r.dx = s_.kind == ModelKind::kCnnLstm ? dx_.data() : nullptr;
  return r;
}

template <typename Ops>
void RnnEngine<Ops>::forward() {
  front_forward();
  if (external_)
    external_->forward(io());
  else
    recurrent_forward();
  head_forward();
}

template <typename Ops>
void RnnEngine<Ops>::backward() {
  ops_.for_each(nnode_, LossGrad{batch_, count_.data(), y_.data(), target_.data(), dy_.data(),
                                 loss_sum_.data()});
  head_backward();
  if (external_)
    external_->backward(io());
  else
    recurrent_backward();
  front_backward();
}

template <typename Ops>
void RnnEngine<Ops>::adam_step() {
  ++host_steps_;
  if (static_cast<long>(alpha_host_.size()) < host_steps_)
    reserve_steps(std::max<long>(1024, 2 * host_steps_));
  const long long total = static_cast<long long>(nnode_) * s_.nparam;
  ops_.for_each(total, AdamUpdate{s_.nparam, count_.data(), adam_t_.data(), alpha_.data(), adam_,
                                  grads_.data(), params_.data(), adam_m_.data(), adam_v_.data()});
  ops_.for_each(nnode_, AdvanceStep{count_.data(), adam_t_.data()});
}

template <typename Ops>
void RnnEngine<Ops>::reserve_steps(long steps) {
  if (static_cast<long>(alpha_host_.size()) >= steps) return;
  alpha_host_.resize(static_cast<size_t>(steps));
  for (long t = 1; t <= steps; ++t) alpha_host_[t - 1] = adam_alpha(adam_, t);
  alpha_.resize(alpha_host_.size());
  ops_.to_device(alpha_.data(), alpha_host_.data(), alpha_host_.size());
}

// -- CNN-LSTM front end (or the plain transpose of the window) --

template <typename Ops>
void RnnEngine<Ops>::front_forward() {
  const long long N = nnode_;
  if (s_.kind != ModelKind::kCnnLstm) {
    ops_.for_each(N * s_.steps * batch_, TransposeInput{s_.steps, batch_, xraw_.data(), x_.data()});
    return;
  }
  const Sizes z(s_, batch_);
  const long long samples = static_cast<long long>(s_.steps) * batch_;  // per node
  const int f = s_.filters, width = s_.kw * f;
  ops_.for_each(N * z.o1, Conv1Forward{s_, batch_, params_.data(), xraw_.data(), o1_.data(),
                                       ops_.precision()});
  ops_.for_each(N * z.col, Im2col{s_, o1_.data(), col_.data()});
  GemmRm g;  // O2 [samples len2, f] = COL [samples len2, kw f] . K2 [kw f, f]
  g.m = static_cast<int>(samples * s_.len2), g.n = f, g.k = width;
  g.a = col_.data(), g.lda = width, g.stride_a = z.col;
  g.b = params_.data() + s_.off_conv2_k, g.ldb = f, g.stride_b = s_.nparam;
  g.c = o2_.data(), g.ldc = f, g.stride_c = z.o2;
  g.batch = nnode_;
  ops_.gemm(g);
  ops_.for_each(N * z.o2, BiasRelu{f, samples * s_.len2, s_.nparam, s_.off_conv2_b, params_.data(),
                                   o2_.data()});
  ops_.for_each(N * z.x, PoolForward{s_, o2_.data(), x_.data()});
}

template <typename Ops>
void RnnEngine<Ops>::front_backward() {
  if (s_.kind != ModelKind::kCnnLstm) return;  // no trainable input layer
  const long long N = nnode_;
  const Sizes z(s_, batch_);
  const long long samples = static_cast<long long>(s_.steps) * batch_;
  const int f = s_.filters, width = s_.kw * f, rows = static_cast<int>(samples * s_.len2);
  ops_.for_each(N * z.o2, PoolBackward{s_, o2_.data(), dx_.data(), do2_.data()});
  GemmRm dk;  // dK2 [kw f, f] = COL^T . DO2
  dk.trans_a = true;
  dk.m = width, dk.n = f, dk.k = rows;
  dk.a = col_.data(), dk.lda = width, dk.stride_a = z.col;
  dk.b = do2_.data(), dk.ldb = f, dk.stride_b = z.o2;
  dk.c = grads_.data() + s_.off_conv2_k, dk.ldc = f, dk.stride_c = s_.nparam;
  dk.batch = nnode_;
  ops_.gemm(dk);
  ops_.for_each(N * f,
                ColumnSum{rows, f, z.o2, do2_.data(), s_.nparam, s_.off_conv2_b, grads_.data()});
  GemmRm dc;  // DCOL [rows, kw f] = DO2 [rows, f] . K2^T
  dc.trans_b = true;
  dc.m = rows, dc.n = width, dc.k = f;
  dc.a = do2_.data(), dc.lda = f, dc.stride_a = z.o2;
  dc.b = params_.data() + s_.off_conv2_k, dc.ldb = f, dc.stride_b = s_.nparam;
  dc.c = dcol_.data(), dc.ldc = width, dc.stride_c = z.col;
  dc.batch = nnode_;
  ops_.gemm(dc);
  ops_.for_each(N * z.o1, Col2imRelu{s_, o1_.data(), dcol_.data(), do1_.data()});
  ops_.for_each(N * (s_.kw + 1) * f,
                Conv1Grad{s_, batch_, xraw_.data(), do1_.data(), grads_.data(), ops_.precision()});
}

// -- the fused recurrence --

template <typename Ops>
void RnnEngine<Ops>::recurrent_forward() {
  const Sizes z(s_, batch_);
  const int B = batch_, u = s_.units, gu = s_.gu(), T = s_.steps;
  GemmRm xw;  // XW [T B, gu] = X [T B, in] . kernel [in, gu], all steps at once
  xw.m = T * B, xw.n = gu, xw.k = s_.in;
  xw.a = x_.data(), xw.lda = s_.in, xw.stride_a = z.x;
  xw.b = params_.data() + s_.off_kernel, xw.ldb = gu, xw.stride_b = s_.nparam;
  xw.c = xw_.data(), xw.ldc = gu, xw.stride_c = z.gates;
  xw.batch = nnode_;
  ops_.gemm(xw);
  for (int t = 0; t < T; ++t) {
    if (t > 0) {
      GemmRm hu;  // HU_t [B, gu] = h_{t-1} [B, u] . U [u, gu]
      hu.m = B, hu.n = gu, hu.k = u;
      hu.a = h_.data() + static_cast<long long>(t) * B * u, hu.lda = u, hu.stride_a = z.hc;
      hu.b = params_.data() + s_.off_recurrent, hu.ldb = gu, hu.stride_b = s_.nparam;
      hu.c = hu_.data() + static_cast<long long>(t) * B * gu, hu.ldc = gu, hu.stride_c = z.gates;
      hu.batch = nnode_;
      ops_.gemm(hu);
    }
    ops_.for_each(static_cast<long long>(nnode_) * B * u,
                  GateForward{s_, B, t, t > 0, params_.data(), xw_.data(), hu_.data(), act_.data(),
                              h_.data(), c_.data()});
  }
}

template <typename Ops>
void RnnEngine<Ops>::recurrent_backward() {
  const Sizes z(s_, batch_);
  const int B = batch_, u = s_.units, gu = s_.gu(), T = s_.steps;
  const bool gru = s_.kind == ModelKind::kGru;
  float* dhu = gru ? dhu_.data() : dxw_.data();  // identical for SimpleRNN and LSTM
  if (dc_.size()) ops_.zero(dc_.data(), dc_.size());
  for (int t = T - 1; t >= 0; --t) {
    ops_.for_each(static_cast<long long>(nnode_) * B * u,
                  GateBackward{s_, B, t, act_.data(), hu_.data(), h_.data(), c_.data(), dh_.data(),
                               dc_.data(), dxw_.data(), dhu});
    if (t > 0) {
      GemmRm g;  // dh_{t-1} [B, u] = DHU_t [B, gu] . U^T (+ the GRU's direct path in DH)
      g.trans_b = true;
      g.m = B, g.n = u, g.k = gu;
      g.a = dhu + static_cast<long long>(t) * B * gu, g.lda = gu, g.stride_a = z.gates;
      g.b = params_.data() + s_.off_recurrent, g.ldb = gu, g.stride_b = s_.nparam;
      g.beta = gru ? 1.0f : 0.0f;
      g.c = dh_.data(), g.ldc = u, g.stride_c = z.carry;
      g.batch = nnode_;
      ops_.gemm(g);
    }
  }
  GemmRm dk;  // dkernel [in, gu] = X^T [in, T B] . DXW [T B, gu]
  dk.trans_a = true;
  dk.m = s_.in, dk.n = gu, dk.k = T * B;
  dk.a = x_.data(), dk.lda = s_.in, dk.stride_a = z.x;
  dk.b = dxw_.data(), dk.ldb = gu, dk.stride_b = z.gates;
  dk.c = grads_.data() + s_.off_kernel, dk.ldc = gu, dk.stride_c = s_.nparam;
  dk.batch = nnode_;
  ops_.gemm(dk);
  GemmRm du = dk;  // drecurrent [u, gu] = H[0 .. T-1]^T [u, T B] . DHU [T B, gu]
  du.m = u;
  du.a = h_.data(), du.lda = u, du.stride_a = z.hc;
  du.b = dhu;
  du.c = grads_.data() + s_.off_recurrent;
  ops_.gemm(du);
  const long long cols = static_cast<long long>(nnode_) * gu;
  ops_.for_each(cols,
                ColumnSum{T * B, gu, z.gates, dxw_.data(), s_.nparam, s_.off_bias, grads_.data()});
  if (gru)  // recurrent bias row
    ops_.for_each(cols,
                  ColumnSum{T * B, gu, z.gates, dhu, s_.nparam, s_.off_bias + gu, grads_.data()});
  if (s_.kind == ModelKind::kCnnLstm) {
    GemmRm dx;  // DX [T B, in] = DXW [T B, gu] . kernel^T
    dx.trans_b = true;
    dx.m = T * B, dx.n = s_.in, dx.k = gu;
    dx.a = dxw_.data(), dx.lda = gu, dx.stride_a = z.gates;
    dx.b = params_.data() + s_.off_kernel, dx.ldb = gu, dx.stride_b = s_.nparam;
    dx.c = dx_.data(), dx.ldc = s_.in, dx.stride_c = z.x;
    dx.batch = nnode_;
    ops_.gemm(dx);
  }
}

// -- the Dense head on h_T --

template <typename Ops>
void RnnEngine<Ops>::head_forward() {
  const Sizes z(s_, batch_);
  const int B = batch_, u = s_.units, d = s_.head_hidden;
  const long long N = nnode_;
  const float* h_last = h_.data() + static_cast<long long>(s_.steps) * B * u;
  GemmRm g;
  g.m = B, g.batch = nnode_;
  g.b = params_.data() + s_.off_dense1_k, g.stride_b = s_.nparam;
  g.a = h_last, g.lda = u, g.stride_a = z.hc, g.k = u;
  if (d > 0) {  // D1 [B, d] = h_T . W1 + b1 (linear)
    g.n = d, g.ldb = d;
    g.c = d1_.data(), g.ldc = d, g.stride_c = z.d1;
    ops_.gemm(g);
    ops_.for_each(N * z.d1, AddBias{d, s_.nparam, s_.off_dense1_b, params_.data(), d1_.data(), B});
    g.a = d1_.data(), g.lda = d, g.stride_a = z.d1, g.k = d;
    g.b = params_.data() + s_.off_dense2_k;
  }
  g.n = 1, g.ldb = 1;  // Y [B, 1] = last . W + b
  g.c = y_.data(), g.ldc = 1, g.stride_c = B;
  ops_.gemm(g);
  ops_.for_each(N * B, AddBias{1, s_.nparam, d > 0 ? s_.off_dense2_b : s_.off_dense1_b,
                               params_.data(), y_.data(), B});
}

template <typename Ops>
void RnnEngine<Ops>::head_backward() {
  const Sizes z(s_, batch_);
  const int B = batch_, u = s_.units, d = s_.head_hidden;
  const long long N = nnode_;
  const float* h_last = h_.data() + static_cast<long long>(s_.steps) * B * u;
  // The last Dense: input `in_act` [B, width] -> Y.
  const float* in_act = d > 0 ? d1_.data() : h_last;
  const int width = d > 0 ? d : u;
  const long long in_stride = d > 0 ? z.d1 : z.hc;
  const int64_t ok = d > 0 ? s_.off_dense2_k : s_.off_dense1_k;
  const int64_t ob = d > 0 ? s_.off_dense2_b : s_.off_dense1_b;
  GemmRm dw;  // dW [width, 1] = in^T . DY
  dw.trans_a = true;
  dw.m = width, dw.n = 1, dw.k = B;
  dw.a = in_act, dw.lda = width, dw.stride_a = in_stride;
  dw.b = dy_.data(), dw.ldb = 1, dw.stride_b = B;
  dw.c = grads_.data() + ok, dw.ldc = 1, dw.stride_c = s_.nparam;
  dw.batch = nnode_;
  ops_.gemm(dw);
  ops_.for_each(N, ColumnSum{B, 1, B, dy_.data(), s_.nparam, ob, grads_.data()});
  GemmRm din;  // d(in) [B, width] = DY [B, 1] . W^T
  din.trans_b = true;
  din.m = B, din.n = width, din.k = 1;
  din.a = dy_.data(), din.lda = 1, din.stride_a = B;
  din.b = params_.data() + ok, din.ldb = 1, din.stride_b = s_.nparam;
  din.c = d > 0 ? dd1_.data() : dh_.data(), din.ldc = width;
  din.stride_c = d > 0 ? z.d1 : z.carry;
  din.batch = nnode_;
  ops_.gemm(din);
  if (d == 0) return;
  GemmRm dw1;  // dW1 [u, d] = h_T^T . DD1
  dw1.trans_a = true;
  dw1.m = u, dw1.n = d, dw1.k = B;
  dw1.a = h_last, dw1.lda = u, dw1.stride_a = z.hc;
  dw1.b = dd1_.data(), dw1.ldb = d, dw1.stride_b = z.d1;
  dw1.c = grads_.data() + s_.off_dense1_k, dw1.ldc = d, dw1.stride_c = s_.nparam;
  dw1.batch = nnode_;
  ops_.gemm(dw1);
  ops_.for_each(N * d,
                ColumnSum{B, d, z.d1, dd1_.data(), s_.nparam, s_.off_dense1_b, grads_.data()});
  GemmRm dh;  // dh_T [B, u] = DD1 . W1^T
  dh.trans_b = true;
  dh.m = B, dh.n = u, dh.k = d;
  dh.a = dd1_.data(), dh.lda = d, dh.stride_a = z.d1;
  dh.b = params_.data() + s_.off_dense1_k, dh.ldb = d, dh.stride_b = s_.nparam;
  dh.c = dh_.data(), dh.ldc = u, dh.stride_c = z.carry;
  dh.batch = nnode_;
  ops_.gemm(dh);
}

template class RnnEngine<HostOps>;
#if defined(__CUDACC__)  // DeviceOps exists only under nvcc; g++ builds the host emulation
template class RnnEngine<DeviceOps>;
#endif

// ---- the naive forward, one sample per call ----------------------------------------------------

namespace {
struct NaiveForward {
  RnnShape s;
  int batch;
  long long scratch_per_sample;
  const float* params;
  const float* x;
  float* y;
  float* scratch;
  TECSCAN_HD void operator()(long long idx) const {  // idx = n B + b
    const long long n = idx / batch;
    y[idx] = naive_forward<float>(s, params + n * s.nparam, x + idx * s.input_len,
                                  scratch + idx * scratch_per_sample);
  }
};
}  // namespace

template <typename Ops>
void naive_forward_all(Ops& ops, const RnnShape& s, int nnode, int batch, const float* params,
                       const float* x, float* y, float* scratch) {
  ops.for_each(static_cast<long long>(nnode) * batch,
               NaiveForward{s, batch, naive_scratch_size(s), params, x, y, scratch});
}

template void naive_forward_all<HostOps>(HostOps&, const RnnShape&, int, int, const float*,
                                         const float*, float*, float*);
#if defined(__CUDACC__)
template void naive_forward_all<DeviceOps>(DeviceOps&, const RnnShape&, int, int, const float*,
                                           const float*, float*, float*);
#endif

}  // namespace rnn
}  // namespace tecscan
