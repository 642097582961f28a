// The fused recurrent path (SimpleRNN, GRU, LSTM, CNN-LSTM) for every node of a chunk at once:
// node-indexed weights [node][P] in the flat Keras layout of model.hpp, one cuBLAS strided-
// batched GEMM over the nodes for every matrix product, and element-wise kernels for gates,
// biases, the conv front-end, the loss and Adam.
//
// The orchestration (RnnEngine) is written once against an `Ops` back end:
//  - DeviceOps: cuBLAS (or a naive one-thread-per-output GEMM kernel) and grid-stride kernels;
//  - HostOps: the same element functors and cuBLAS' column-major GEMM semantics as plain loops,
//    and an emulation of CUDA graph capture and replay.
// The host tests therefore run the very code the GPU runs (pointer arithmetic, GEMM arguments,
// gate math), without a GPU. This header compiles with g++ too (device parts need __CUDACC__).
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/hd.hpp"
#include "tecscan/model.hpp"
#include "tecscan/precision.hpp"

#if defined(__CUDACC__)
#include "cuda_check.hpp"
#include "cuda_context.hpp"
#include "device_buffer.hpp"
#endif

namespace tecscan {
namespace rnn {

// ---- sizes and offsets of one recurrent model --------------------------------------------------

struct RnnShape {
  ModelKind kind = ModelKind::kRnn;
  int units = 0;  // u
  int gates = 1;  // G: SimpleRNN 1, GRU 3 (z, r, h), LSTM 4 (i, f, c, o)
  int steps = 0;  // T: window (RNN/GRU/LSTM) or subsequences (CNN-LSTM)
  int in = 1;     // features per step: 1, or pooled * filters for the CNN-LSTM
  Activation cell = Activation::kTanh;  // SimpleRNN/GRU: tanh; LSTM/CNN-LSTM: configured
  int input_len = 0;                    // values per sample
  int head_hidden = 0;                  // LSTM: Dense(d) before Dense(1); 0 = a single Dense(1)
  // CNN-LSTM front end, per subsequence of sub_len values.
  int sub_len = 0, filters = 0, kw = 0, pool = 0, len1 = 0, len2 = 0, pooled = 0;
  int64_t nparam = 0;
  int64_t off_kernel = 0, off_recurrent = 0, off_bias = 0;
  int64_t off_conv1_k = -1, off_conv1_b = -1, off_conv2_k = -1, off_conv2_b = -1;
  int64_t off_dense1_k = 0, off_dense1_b = 0;    // the Dense after the recurrent layer
  int64_t off_dense2_k = -1, off_dense2_b = -1;  // LSTM's Dense(1)
  TECSCAN_HD int gu() const { return gates * units; }
};

// From parameter_layout(), checking every tensor's shape against the layout documented in
// model.hpp. Throws InputError for configurations the GPU path cannot run (use the CPU).
RnnShape make_rnn_shape(ModelKind k, const ModelConfig& mc);

// Why the fused path cannot run (k, mc), or "" when it can.
std::string fused_unsupported_reason(ModelKind k, const ModelConfig& mc);

// ---- element math (host and device) ------------------------------------------------------------

TECSCAN_HD inline float fexp(float x) {
  return expf(x);
}
TECSCAN_HD inline double fexp(double x) {
  return exp(x);
}
TECSCAN_HD inline float ftanh(float x) {
  return tanhf(x);
}
TECSCAN_HD inline double ftanh(double x) {
  return tanh(x);
}

template <typename T>
TECSCAN_HD inline T sigmoid(T x) {
  return T(1) / (T(1) + fexp(-x));
}

template <typename T>
TECSCAN_HD inline T activate(Activation a, T x) {
  switch (a) {
    case Activation::kRelu:
      return x > T(0) ? x : T(0);
    case Activation::kTanh:
      return ftanh(x);
    case Activation::kSigmoid:
      return sigmoid(x);
  }
  return x;
}

// d activate / dx written with the output y = activate(x) (ReLU: 1 where y > 0, as TF).
template <typename T>
TECSCAN_HD inline T activate_grad(Activation a, T y) {
  switch (a) {
    case Activation::kRelu:
      return y > T(0) ? T(1) : T(0);
    case Activation::kTanh:
      return T(1) - y * y;
    case Activation::kSigmoid:
      return y * (T(1) - y);
  }
  return T(1);
}

// ---- the cell equations (one place: naive_forward, the fused functors, recurrent_block.cuh) --
// Each caller sums the pre-activations in its own order and passes them in; these functions
// hold the gate math and its derivatives.

// GRU (reset_after) unit: z = sig(zpre), r = sig(rpre), hc = tanh(xh + r hh),
// h = z h_prev + (1 - z) hc, with xh = x W_h + b_ih and hh = h_prev U_h + b_rh.
template <typename T>
struct GruCell {
  T z, r, hc, h;
};
template <typename T>
TECSCAN_HD inline GruCell<T> gru_cell(T zpre, T rpre, T xh, T hh, T h_prev) {
  GruCell<T> o;
  o.z = sigmoid(zpre);
  o.r = sigmoid(rpre);
  o.hc = ftanh(xh + o.r * hh);
  o.h = o.z * h_prev + (T(1) - o.z) * o.hc;
  return o;
}

// Its derivatives given g = dLoss/dh: dLoss/d(zpre), d(rpre), d(xh) and d(hh), and the direct
// part g z of dLoss/dh_prev (the recurrent products add the rest).
template <typename T>
struct GruCellGrad {
  T dz_pre, dr_pre, dxh, dhh, dh_prev;
};
template <typename T>
TECSCAN_HD inline GruCellGrad<T> gru_cell_grad(T g, T z, T r, T hc, T hh, T h_prev) {
  GruCellGrad<T> d;
  const T dz = g * (h_prev - hc);
  d.dxh = g * (T(1) - z) * (T(1) - hc * hc);
  const T dr = d.dxh * hh;
  d.dz_pre = dz * z * (T(1) - z);
  d.dr_pre = dr * r * (T(1) - r);
  d.dhh = d.dxh * r;
  d.dh_prev = g * z;
  return d;
}

// LSTM unit, gates i, f, c, o from their pre-activations: c = f c_prev + i A(gc),
// h = o A(c) with A the cell activation.
template <typename T>
struct LstmCell {
  T i, f, g, o, c, h;
};
template <typename T>
TECSCAN_HD inline LstmCell<T> lstm_cell(Activation cell, T ipre, T fpre, T gpre, T opre, T c_prev) {
  LstmCell<T> s;
  s.i = sigmoid(ipre);
  s.f = sigmoid(fpre);
  s.g = activate(cell, gpre);
  s.o = sigmoid(opre);
  s.c = s.f * c_prev + s.i * s.g;
  s.h = s.o * activate(cell, s.c);
  return s;
}

// Its derivatives given g = dLoss/dh and dc = dLoss/dc carried from the next step: the four
// pre-activations' and dLoss/dc_prev.
template <typename T>
struct LstmCellGrad {
  T di, df, dg, d_o, dc_prev;
};
template <typename T>
TECSCAN_HD inline LstmCellGrad<T> lstm_cell_grad(Activation cell, T g, T dc, T i, T f, T gc, T o,
                                                 T c, T c_prev) {
  LstmCellGrad<T> d;
  const T a = activate(cell, c);
  const T dcell = dc + g * o * activate_grad(cell, a);
  d.di = dcell * gc * i * (T(1) - i);
  d.df = dcell * c_prev * f * (T(1) - f);
  d.dg = dcell * i * activate_grad(cell, gc);
  d.d_o = g * a * o * (T(1) - o);
  d.dc_prev = dcell * f;
  return d;
}

// Scratch values one naive forward needs per sample.
inline int64_t naive_scratch_size(const RnnShape& s) {
  return 3 * int64_t(s.units) + s.in + s.head_hidden + int64_t(s.len1 + s.len2) * s.filters;
}

// The naive, obviously-correct forward of ONE sample, straight from the Keras formulas and the
// flat layout (no GEMMs, no caches). x: input_len values, oldest first. The reference for the
// fused and cuDNN paths; T = double on the host gives finite-difference gradients.
template <typename T>
TECSCAN_HD T naive_forward(const RnnShape& s, const T* p, const T* x, T* scratch) {
  const int u = s.units, gu = s.gu();
  T* h = scratch;  // h_{t-1}
  T* c = h + u;    // LSTM cell state
  T* h_new = c + u;
  T* feat = h_new + u;     // inputs of the current step
  T* dense = feat + s.in;  // LSTM head
  T* o1 = dense + s.head_hidden;
  T* o2 = o1 + s.len1 * s.filters;
  for (int j = 0; j < u; ++j) h[j] = c[j] = T(0);
  const T* kernel = p + s.off_kernel;
  const T* rec = p + s.off_recurrent;
  const T* bias = p + s.off_bias;
  for (int t = 0; t < s.steps; ++t) {
    if (s.kind == ModelKind::kCnnLstm) {
      // Conv1D(valid) relu -> Conv1D relu -> MaxPool(floor) -> flatten t * f + c.
      const T* xs = x + t * s.sub_len;
      const int f = s.filters;
      for (int t1 = 0; t1 < s.len1; ++t1)
        for (int co = 0; co < f; ++co) {
          T a = p[s.off_conv1_b + co];
          for (int k = 0; k < s.kw; ++k) a += xs[t1 + k] * p[s.off_conv1_k + k * f + co];
          o1[t1 * f + co] = a > T(0) ? a : T(0);
        }
      for (int t2 = 0; t2 < s.len2; ++t2)
        for (int co = 0; co < f; ++co) {
          T a = p[s.off_conv2_b + co];
          for (int k = 0; k < s.kw; ++k)
            for (int ci = 0; ci < f; ++ci)
              a += o1[(t2 + k) * f + ci] * p[s.off_conv2_k + (int64_t(k) * f + ci) * f + co];
          o2[t2 * f + co] = a > T(0) ? a : T(0);
        }
      for (int tp = 0; tp < s.pooled; ++tp)
        for (int co = 0; co < f; ++co) {
          T m = o2[(tp * s.pool) * f + co];
          for (int q = 1; q < s.pool; ++q) {
            const T v = o2[(tp * s.pool + q) * f + co];
            if (v > m) m = v;
          }
          feat[tp * f + co] = m;
        }
    } else {
      feat[0] = x[t];
    }
    for (int j = 0; j < u; ++j) {
      // pre[g] = x W[:, g u + j] and rec_pre[g] = h U[:, g u + j] for every gate block g.
      T pre[4], rec_pre[4];
      for (int g = 0; g < s.gates; ++g) {
        T a = T(0), r = T(0);
        for (int k = 0; k < s.in; ++k) a += feat[k] * kernel[int64_t(k) * gu + g * u + j];
        for (int m = 0; m < u; ++m) r += h[m] * rec[int64_t(m) * gu + g * u + j];
        pre[g] = a;
        rec_pre[g] = r;
      }
      if (s.kind == ModelKind::kRnn) {
        h_new[j] = ftanh(pre[0] + rec_pre[0] + bias[j]);
      } else if (s.kind == ModelKind::kGru) {  // reset_after: bias [2, 3u]
        const T* bi = bias;
        const T* br = bias + gu;
        h_new[j] = gru_cell(pre[0] + bi[j] + rec_pre[0] + br[j],
                            pre[1] + bi[u + j] + rec_pre[1] + br[u + j], pre[2] + bi[2 * u + j],
                            rec_pre[2] + br[2 * u + j], h[j])
                       .h;
      } else {  // LSTM gates i, f, c, o
        const LstmCell<T> cs = lstm_cell(
            s.cell, pre[0] + rec_pre[0] + bias[j], pre[1] + rec_pre[1] + bias[u + j],
            pre[2] + rec_pre[2] + bias[2 * u + j], pre[3] + rec_pre[3] + bias[3 * u + j], c[j]);
        c[j] = cs.c;  // c[j] is read only by unit j: safe to update in place
        h_new[j] = cs.h;
      }
    }
    for (int j = 0; j < u; ++j) h[j] = h_new[j];
  }
  const T* last = h;
  int width = u;
  if (s.head_hidden > 0) {  // LSTM: Dense(d, linear)
    for (int o = 0; o < s.head_hidden; ++o) {
      T a = p[s.off_dense1_b + o];
      for (int j = 0; j < u; ++j) a += h[j] * p[s.off_dense1_k + int64_t(j) * s.head_hidden + o];
      dense[o] = a;
    }
    last = dense;
    width = s.head_hidden;
  }
  const int64_t ok = s.head_hidden > 0 ? s.off_dense2_k : s.off_dense1_k;
  const int64_t ob = s.head_hidden > 0 ? s.off_dense2_b : s.off_dense1_b;
  T y = p[ob];
  for (int j = 0; j < width; ++j) y += last[j] * p[ok + j];
  return y;
}

// ---- GEMM with cuBLAS semantics ----------------------------------------------------------------

// C = alpha op(A) op(B) + beta C, COLUMN-major, batched with strides: exactly the arguments of
// cublasSgemmStridedBatched. beta == 0 never reads C (cuBLAS' rule).
struct GemmCm {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0;
  float alpha = 1;
  const float* a = nullptr;
  int lda = 0;
  long long stride_a = 0;
  const float* b = nullptr;
  int ldb = 0;
  long long stride_b = 0;
  float beta = 0;
  float* c = nullptr;
  int ldc = 0;
  long long stride_c = 0;
  int batch = 1;
  // The products' arithmetic: every operand rounded by round_operand (precision.hpp), FP32
  // accumulation. The back end sets it (Ops' precision); the naive GEMM applies it here.
  Precision precision = Precision::kFp32;

  long long outputs() const { return static_cast<long long>(m) * n * batch; }
  // cuBLAS' argument rules (it returns CUBLAS_STATUS_INVALID_VALUE otherwise); "" when valid.
  std::string invalid() const {
    auto at_least = [](int ld, int rows) { return ld >= (rows > 1 ? rows : 1); };
    if (m < 0 || n < 0 || k < 0 || batch < 0) return "negative size";
    if (!at_least(lda, trans_a ? k : m)) return "lda " + std::to_string(lda) + " too small";
    if (!at_least(ldb, trans_b ? n : k)) return "ldb " + std::to_string(ldb) + " too small";
    if (!at_least(ldc, m)) return "ldc " + std::to_string(ldc) + " too small";
    return "";
  }
  // The naive GEMM: one call per output element, index = (batch * n + col) * m + row.
  TECSCAN_HD void operator()(long long idx) const {
    const int i = static_cast<int>(idx % m);
    const long long rest = idx / m;
    const int j = static_cast<int>(rest % n);
    const long long p = rest / n;
    const float* pa = a + p * stride_a;
    const float* pb = b + p * stride_b;
    float* pc = c + p * stride_c;
    float acc = 0.0f;
    for (int l = 0; l < k; ++l) {
      const float av = trans_a ? pa[l + static_cast<long long>(i) * lda]
                               : pa[i + static_cast<long long>(l) * lda];
      const float bv = trans_b ? pb[j + static_cast<long long>(l) * ldb]
                               : pb[l + static_cast<long long>(j) * ldb];
      acc += round_operand(precision, av) * round_operand(precision, bv);
    }
    float* out = pc + i + static_cast<long long>(j) * ldc;
    *out = beta == 0.0f ? alpha * acc : alpha * acc + beta * *out;
  }
};

// A ROW-major product, batched over nodes: C[m,n] = alpha op(A)[m,k] op(B)[k,n] + beta C with
// A stored [m,k] (or [k,m] when trans_a), leading dimensions = stored row lengths. A row-major
// matrix is the column-major transpose, so this is cuBLAS' C^T = op(B)^T op(A)^T.
struct GemmRm {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0;
  float alpha = 1;
  const float* a = nullptr;
  int lda = 0;
  long long stride_a = 0;
  const float* b = nullptr;
  int ldb = 0;
  long long stride_b = 0;
  float beta = 0;
  float* c = nullptr;
  int ldc = 0;
  long long stride_c = 0;
  int batch = 1;

  GemmCm column_major() const {
    GemmCm g;
    g.trans_a = trans_b;
    g.trans_b = trans_a;
    g.m = n;
    g.n = m;
    g.k = k;
    g.alpha = alpha;
    g.a = b;
    g.lda = ldb;
    g.stride_a = stride_b;
    g.b = a;
    g.ldb = lda;
    g.stride_b = stride_a;
    g.beta = beta;
    g.c = c;
    g.ldc = ldc;
    g.stride_c = stride_c;
    g.batch = batch;
    return g;
  }
};

// ---- back ends ---------------------------------------------------------------------------------

// The CPU: element functors in a loop, GEMMs as GemmCm loops. For the host tests. New buffers
// hold garbage (all bits set: NaN floats, -1 ints) as cudaMalloc'ed memory may, so a read of
// something never written shows up in the host tests too.
//
// capture() emulates CUDA stream capture faithfully: the launches are recorded with their
// arguments copied (as a kernel's are) and not run; replay() runs the recording. So anything
// a captured epoch takes from the host at capture time, instead of from memory, is replayed
// stale here as on the GPU, and the host tests catch it. Copies to or from the host cannot be
// captured (the GPU refuses pageable copies in a capture): they throw while capturing.
class HostOps {
 public:
  template <typename T>
  class Buffer {
   public:
    void resize(size_t n) {
      v_.resize(n);
      if (n) std::memset(static_cast<void*>(v_.data()), 0xFF, n * sizeof(T));
    }
    T* data() { return v_.data(); }
    const T* data() const { return v_.data(); }
    size_t size() const { return v_.size(); }

   private:
    std::vector<T> v_;
  };
  static constexpr bool kOnDevice = false;

  // precision: every GEMM's operand rounding (the element kernels that multiply read
  // precision() through the engine).
  explicit HostOps(Precision precision = Precision::kFp32) : precision_(precision) {}
  Precision precision() const { return precision_; }

  template <typename F>
  void for_each(long long n, const F& f) {
    if (recording_) {
      recording_->push_back([n, f] {
        for (long long i = 0; i < n; ++i) f(i);
      });
      return;
    }
    for (long long i = 0; i < n; ++i) f(i);
  }
  void gemm(const GemmRm& g) {
    GemmCm c = g.column_major();
    const std::string bad = c.invalid();
    if (!bad.empty()) throw std::logic_error("GEMM arguments cuBLAS would reject: " + bad);
    c.precision = precision_;
    for_each(c.outputs(), c);
  }
  template <typename T>
  void to_device(T* dst, const T* src, size_t n) {
    refuse_in_capture("a host-to-device copy");
    if (n) std::memcpy(dst, src, n * sizeof(T));
  }
  template <typename T>
  void to_host(T* dst, const T* src, size_t n) {
    refuse_in_capture("a device-to-host copy");
    if (n) std::memcpy(dst, src, n * sizeof(T));
  }
  template <typename T>
  void zero(T* p, size_t n) {
    if (recording_) {
      recording_->push_back([p, n] {
        if (n) std::memset(static_cast<void*>(p), 0, n * sizeof(T));
      });
      return;
    }
    if (n) std::memset(static_cast<void*>(p), 0, n * sizeof(T));
  }
  void sync() { refuse_in_capture("a synchronisation"); }

  // A captured sequence of launches.
  struct Graph {
    std::vector<std::function<void()>> launches;
  };
  template <typename F>
  Graph capture(F&& enqueue) {
    Graph g;
    recording_ = &g.launches;
    try {
      enqueue();
    } catch (...) {
      recording_ = nullptr;
      throw;
    }
    recording_ = nullptr;
    return g;
  }
  void replay(const Graph& g) {
    for (const auto& launch : g.launches) launch();
  }

  // Points in the work queue (cudaEvent_t on the GPU); here every mark completes when recorded.
  class Marks {
   public:
    using Clock = std::chrono::steady_clock;
    Marks(HostOps&, int n) : t_(static_cast<size_t>(n)) {}
    void record(int i) { t_[i] = Clock::now(); }
    bool done(int) const { return true; }
    void wait(int) const {}
    double seconds(int from, int to) const {
      return std::chrono::duration<double>(t_[to] - t_[from]).count();
    }

   private:
    std::vector<Clock::time_point> t_;
  };

 private:
  void refuse_in_capture(const char* what) const {
    if (recording_)
      throw std::logic_error(std::string(what) + " cannot be captured in a CUDA graph");
  }
  Precision precision_;
  std::vector<std::function<void()>>* recording_ = nullptr;
};

#if defined(__CUDACC__)
template <typename F>
__global__ void for_each_kernel(long long n, F f) {
  const long long stride = static_cast<long long>(blockDim.x) * gridDim.x;
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride)
    f(i);
}

// The GPU: every launch, cuBLAS call, copy and fill on the stream of a leased context
// (cuda_context.hpp: non-blocking, one per concurrent training, its cuBLAS handle bound to it).
// Copies from or to the host synchronise that stream, so host memory may be reused on return.
class DeviceOps {
 public:
  template <typename T>
  using Buffer = DeviceBuffer<T>;
  static constexpr bool kOnDevice = true;

  // precision: the GEMMs' arithmetic. fp32: cublasSgemmStridedBatched (FMA, no TF32); tf32 and
  // bf16: cuBLAS' tensor-core compute types, which convert the FP32 operands themselves
  // (CUBLAS_COMPUTE_32F_FAST_TF32 / _FAST_16BF, FP32 accumulation); 3xtf32 has no cuBLAS
  // compute type (std::invalid_argument: the block engine runs it). The naive GEMM rounds with
  // round_operand (precision.hpp), as the host emulation does.
  DeviceOps(CudaContext& context, bool naive_gemm, Precision precision = Precision::kFp32)
      : ctx_(context), naive_gemm_(naive_gemm), precision_(precision) {
    if (precision == Precision::kTf32x3)
      throw std::invalid_argument(
          "the fused recurrent path has no 3xtf32 (cuBLAS has no such compute type): use "
          "--rnn-impl block or auto");
  }
  DeviceOps(const DeviceOps&) = delete;
  DeviceOps& operator=(const DeviceOps&) = delete;

  bool naive_gemm() const { return naive_gemm_; }
  Precision precision() const { return precision_; }
  cudaStream_t stream() const { return ctx_.stream; }
  int device() const { return ctx_.device; }

  template <typename F>
  void for_each(long long n, const F& f) {
    if (n <= 0) return;
    const int block = 256;
    const long long blocks = (n + block - 1) / block;
    const int grid = static_cast<int>(blocks < 65536 ? blocks : 65536);
    for_each_kernel<<<grid, block, 0, ctx_.stream>>>(n, f);
    CUDA_CHECK_LAUNCH();
  }
  void gemm(const GemmRm& g) {
    GemmCm c = g.column_major();
    const std::string bad = c.invalid();
    if (!bad.empty()) throw std::logic_error("GEMM arguments cuBLAS would reject: " + bad);
    if (c.outputs() == 0) return;
    c.precision = precision_;
    if (naive_gemm_) return for_each(c.outputs(), c);
    const cublasOperation_t ta = c.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t tb = c.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (precision_ == Precision::kFp32) {
      CUBLAS_CHECK(cublasSgemmStridedBatched(ctx_.cublas, ta, tb, c.m, c.n, c.k, &c.alpha, c.a,
                                             c.lda, c.stride_a, c.b, c.ldb, c.stride_b, &c.beta,
                                             c.c, c.ldc, c.stride_c, c.batch));
      return;
    }
    const cublasComputeType_t compute = precision_ == Precision::kTf32
                                            ? CUBLAS_COMPUTE_32F_FAST_TF32
                                            : CUBLAS_COMPUTE_32F_FAST_16BF;
    CUBLAS_CHECK(cublasGemmStridedBatchedEx(ctx_.cublas, ta, tb, c.m, c.n, c.k, &c.alpha, c.a,
                                            CUDA_R_32F, c.lda, c.stride_a, c.b, CUDA_R_32F, c.ldb,
                                            c.stride_b, &c.beta, c.c, CUDA_R_32F, c.ldc, c.stride_c,
                                            c.batch, compute, CUBLAS_GEMM_DEFAULT));
  }
  template <typename T>
  void to_device(T* dst, const T* src, size_t n) {
    if (!n) return;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyHostToDevice, ctx_.stream));
    sync();
  }
  template <typename T>
  void to_host(T* dst, const T* src, size_t n) {
    if (!n) return;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToHost, ctx_.stream));
    sync();
  }
  template <typename T>
  void zero(T* p, size_t n) {
    if (n) CUDA_CHECK(cudaMemsetAsync(p, 0, n * sizeof(T), ctx_.stream));
  }
  void sync() { CUDA_CHECK(cudaStreamSynchronize(ctx_.stream)); }

  // One epoch's launches captured once (cudaStreamBeginCapture) and replayed.
  class Graph {
   public:
    explicit Graph(cudaGraphExec_t exec) : exec_(exec) {}
    Graph(Graph&& o) noexcept : exec_(o.exec_) { o.exec_ = nullptr; }
    Graph& operator=(Graph&&) = delete;
    Graph(const Graph&) = delete;
    ~Graph() {
      if (exec_) cudaGraphExecDestroy(exec_);
    }
    cudaGraphExec_t exec() const { return exec_; }

   private:
    cudaGraphExec_t exec_ = nullptr;
  };
  template <typename F>
  Graph capture(F&& enqueue) {
    CUDA_CHECK(cudaStreamBeginCapture(ctx_.stream, cudaStreamCaptureModeThreadLocal));
    cudaGraph_t graph = nullptr;
    try {
      enqueue();
    } catch (...) {
      cudaStreamEndCapture(ctx_.stream, &graph);  // leaves the stream usable
      if (graph) cudaGraphDestroy(graph);
      throw;
    }
    CUDA_CHECK(cudaStreamEndCapture(ctx_.stream, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    CUDA_CHECK(e);
    return Graph(exec);
  }
  void replay(const Graph& g) { CUDA_CHECK(cudaGraphLaunch(g.exec(), ctx_.stream)); }

  // Events on the stream (cuda_context.hpp): progress polls them, timings read them.
  struct Marks : EventMarks {
    Marks(DeviceOps& ops, int n) : EventMarks(ops.stream(), n) {}
  };

 private:
  CudaContext& ctx_;
  bool naive_gemm_;
  Precision precision_;
};
#endif

// ---- an external recurrent layer (the cuDNN path) ----------------------------------------------

// Node-major arrays of one minibatch. Strides are in floats between consecutive nodes.
struct RecurrentIo {
  const float* params = nullptr;  // [node][P], Keras layout
  float* grads = nullptr;         // [node][P]: backward writes the recurrent layer's tensors
  const float* x = nullptr;       // [node][T][B][in]
  long long x_stride = 0;
  float* h = nullptr;  // [node][T + 1][B][u]: forward writes h_1 .. h_T
  long long h_stride = 0;
  const float* dh_last = nullptr;  // [node][B][u]: dLoss/dh_T
  float* dx = nullptr;             // [node][T][B][in] or null
};

// Replaces the fused recurrence (the conv front end, head, loss and Adam stay fused).
class RecurrentLayer {
 public:
  virtual ~RecurrentLayer() = default;
  virtual void forward(const RecurrentIo& io) = 0;   // keeps what backward needs
  virtual void backward(const RecurrentIo& io) = 0;  // for the last forward
};

// ---- the engine --------------------------------------------------------------------------------

// One model, `nnode` nodes, minibatches of up to `batch` rows. Rows >= count[node] are padding:
// inputs 0 and zero loss gradient, so they contribute nothing to any gradient.
template <typename Ops>
class RnnEngine {
 public:
  template <typename T>
  using Buf = typename Ops::template Buffer<T>;

  // external: null = the fused recurrence, else e.g. the cuDNN layer (not owned).
  RnnEngine(Ops& ops, const RnnShape& shape, int nnode, int batch,
            RecurrentLayer* external = nullptr);

  // Device bytes per node, to size node chunks.
  static size_t bytes_per_node(const RnnShape& shape, int batch, bool fused);

  const RnnShape& shape() const { return s_; }
  int nnode() const { return nnode_; }
  int batch() const { return batch_; }

  float* params() { return params_.data(); }       // [node][P]
  float* grads() { return grads_.data(); }         // [node][P], after backward()
  float* input() { return xraw_.data(); }          // [node][B][input_len], oldest first
  float* target() { return target_.data(); }       // [node][B]
  int* count() { return count_.data(); }           // [node]: valid rows, 0 = node idle
  float* output() { return y_.data(); }            // [node][B], after forward()
  double* loss_sum() { return loss_sum_.data(); }  // [node]: sum of squared errors

  // Zeroes Adam's moments and step counters and loss_sum; sets the optimiser.
  void reset_optimizer(const AdamConfig& adam);
  void forward();
  // Loss over count rows (adds the squared errors to loss_sum), then all gradients.
  void backward();
  // Adam on nodes with count > 0; their step counter t advances by one (on the device: a
  // captured step replays correctly).
  void adam_step();
  // Makes Adam's step-size table hold `steps` steps now, so that adam_step() never copies it
  // to the device again (required before capturing steps in a CUDA graph).
  void reserve_steps(long steps);

 private:
  void front_forward();
  void front_backward();
  void recurrent_forward();
  void recurrent_backward();
  void head_forward();
  void head_backward();
  RecurrentIo io();

  Ops& ops_;
  RnnShape s_;
  int nnode_, batch_;
  RecurrentLayer* external_;
  AdamConfig adam_;
  long host_steps_ = 0;            // adam_step() calls: bounds every node's t
  std::vector<float> alpha_host_;  // alpha_host_[t - 1] = adam_alpha(adam_, t)

  Buf<float> params_, grads_, adam_m_, adam_v_, alpha_;
  Buf<int> count_, adam_t_;
  Buf<double> loss_sum_;
  Buf<float> xraw_, target_, y_, dy_;
  Buf<float> x_, xw_, hu_, act_, dxw_, dhu_, h_, c_, dh_, dc_, dx_;
  Buf<float> d1_, dd1_;                          // LSTM head
  Buf<float> o1_, col_, o2_, do1_, dcol_, do2_;  // CNN-LSTM front end
};

// y[n][b] = naive_forward(params[n], x[n][b]) with one call (GPU thread) per (node, sample).
// scratch: nnode * batch * naive_scratch_size(s) floats.
template <typename Ops>
void naive_forward_all(Ops& ops, const RnnShape& s, int nnode, int batch, const float* params,
                       const float* x, float* y, float* scratch);

}  // namespace rnn
}  // namespace tecscan
