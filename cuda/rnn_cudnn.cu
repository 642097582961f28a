// cuDNN 9 RNN (v8 API) as the engine's recurrent layer: see rnn_cudnn.hpp for the mapping.
#include <cudnn.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_check.hpp"
#include "cuda_context.hpp"
#include "device_buffer.hpp"
#include "rnn_cudnn.hpp"

namespace tecscan {
namespace rnn {

namespace {

void cudnn_check(cudnnStatus_t s, const char* expr, const char* file, int line) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  throw CudaError(std::string("cuDNN error ") + cudnnGetErrorString(s) + " in " + expr + " at " +
                  file + ":" + std::to_string(line) +
                  ". The fused recurrent implementation (rnn impl \"fused\") does not need cuDNN.");
}
#define CUDNN_CHECK(expr) cudnn_check((expr), #expr, __FILE__, __LINE__)

constexpr int kStreams = 8;  // concurrent per-node cuDNN calls

long long round_up(long long v, long long m) {
  return (v + m - 1) / m * m;
}

// ws[n][i] = params[n][map[i]] (0 where map is -1).
struct ToWeightSpace {
  long long ws_floats, ws_stride, nparam;
  const long long* map;
  const float* params;
  float* ws;
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / ws_floats, i = idx % ws_floats;
    const long long k = map[i];
    ws[n * ws_stride + i] = k >= 0 ? params[n * nparam + k] : 0.0f;
  }
};

// grads[n][map[i]] = dws[n][i]: every recurrent Keras parameter is hit exactly once.
struct FromWeightSpace {
  long long ws_floats, ws_stride, nparam;
  const long long* map;
  const float* dws;
  float* grads;
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / ws_floats, i = idx % ws_floats;
    const long long k = map[i];
    if (k >= 0) grads[n * nparam + k] = dws[n * ws_stride + i];
  }
};

template <typename F>
void launch(cudaStream_t stream, long long n, const F& f) {
  if (n <= 0) return;
  const long long blocks = (n + 255) / 256;
  for_each_kernel<<<static_cast<int>(std::min<long long>(blocks, 65536)), 256, 0, stream>>>(n, f);
  CUDA_CHECK_LAUNCH();
}

class CudnnRecurrent final : public RecurrentLayer {
 public:
  // main: the stream the engine runs on (the leased context's); the per-node calls fork from it
  // and join back into it.
  CudnnRecurrent(const RnnShape& s, int nnode, int batch, cudaStream_t main)
      : s_(s), nnode_(nnode), batch_(batch), main_(main) {
    const std::string why =
        s.kind == ModelKind::kRnn || s.kind == ModelKind::kGru || s.cell == Activation::kTanh
            ? ""
            : "cell activation is not tanh";
    if (!why.empty()) throw std::logic_error("cuDNN recurrent layer: " + why);
    nstreams_ = std::min(kStreams, nnode);
    for (int i = 0; i < nstreams_; ++i) {
      cudaStream_t st;
      CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
      streams_.push_back(st);
      cudnnHandle_t h;
      CUDNN_CHECK(cudnnCreate(&h));
      handles_.push_back(h);
      CUDNN_CHECK(cudnnSetStream(h, st));
      cudaEvent_t ev;
      CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
      done_.push_back(ev);
    }
    CUDA_CHECK(cudaEventCreateWithFlags(&start_, cudaEventDisableTiming));
    describe();
    allocate();
    build_map();
  }

  ~CudnnRecurrent() override {
    cudaStreamSynchronize(main_);  // joined: the per-node streams are done too
    if (rnn_) cudnnDestroyRNNDescriptor(rnn_);
    if (dropout_) cudnnDestroyDropoutDescriptor(dropout_);
    if (xdesc_) cudnnDestroyRNNDataDescriptor(xdesc_);
    if (ydesc_) cudnnDestroyRNNDataDescriptor(ydesc_);
    if (hdesc_) cudnnDestroyTensorDescriptor(hdesc_);
    if (cdesc_) cudnnDestroyTensorDescriptor(cdesc_);
    for (cudnnHandle_t h : handles_) cudnnDestroy(h);
    for (cudaStream_t st : streams_) cudaStreamDestroy(st);
    for (cudaEvent_t ev : done_) cudaEventDestroy(ev);
    if (start_) cudaEventDestroy(start_);
  }

  void forward(const RecurrentIo& io) override {
    launch(main_, nnode_ * ws_floats_,
           ToWeightSpace{ws_floats_, ws_stride_, s_.nparam, map_.data(), io.params, ws_.data()});
    fork();
    for (int n = 0; n < nnode_; ++n) {
      const int k = n % nstreams_;
      CUDNN_CHECK(cudnnRNNForward(handles_[k], rnn_, CUDNN_FWD_MODE_TRAINING, seq_len_.data(),
                                  xdesc_, io.x + n * io.x_stride, ydesc_, y_of(io, n), hdesc_,
                                  nullptr, nullptr, cdesc_, nullptr, nullptr, ws_bytes_,
                                  ws_.data() + n * ws_stride_, work_bytes_, work_of(k),
                                  reserve_bytes_, reserve_of(n)));
    }
    join();
  }

  void backward(const RecurrentIo& io) override {
    CUDA_CHECK(cudaMemsetAsync(dws_.data(), 0, dws_.size() * sizeof(float), main_));
    fork();
    const long long uB = static_cast<long long>(batch_) * s_.units;
    for (int n = 0; n < nnode_; ++n) {
      const int k = n % nstreams_;
      const float* x = io.x + n * io.x_stride;
      float* y = y_of(io, n);
      float* dx = io.dx ? io.dx + n * io.x_stride : dx_scratch_.data() + k * x_floats_;
      CUDNN_CHECK(cudnnRNNBackwardData_v8(
          handles_[k], rnn_, seq_len_.data(), ydesc_, y, zero_dy_.data(), xdesc_, dx, hdesc_,
          nullptr, io.dh_last + n * uB, nullptr, cdesc_, nullptr, nullptr, nullptr, ws_bytes_,
          ws_.data() + n * ws_stride_, work_bytes_, work_of(k), reserve_bytes_, reserve_of(n)));
      CUDNN_CHECK(cudnnRNNBackwardWeights_v8(handles_[k], rnn_, CUDNN_WGRAD_MODE_ADD,
                                             seq_len_.data(), xdesc_, x, hdesc_, nullptr, ydesc_, y,
                                             ws_bytes_, dws_.data() + n * ws_stride_, work_bytes_,
                                             work_of(k), reserve_bytes_, reserve_of(n)));
    }
    join();
    launch(main_, nnode_ * ws_floats_,
           FromWeightSpace{ws_floats_, ws_stride_, s_.nparam, map_.data(), dws_.data(), io.grads});
  }

 private:
  // y = h_1 .. h_T: the engine's H array from block 1 on, [T][B][u] = cuDNN's packed layout.
  float* y_of(const RecurrentIo& io, int n) const {
    return io.h + n * io.h_stride + static_cast<long long>(batch_) * s_.units;
  }
  void* work_of(int k) { return work_.data() + k * work_stride_; }
  void* reserve_of(int n) { return reserve_.data() + n * reserve_stride_; }

  void fork() {
    CUDA_CHECK(cudaEventRecord(start_, main_));
    for (cudaStream_t st : streams_) CUDA_CHECK(cudaStreamWaitEvent(st, start_, 0));
  }
  void join() {
    for (int k = 0; k < nstreams_; ++k) {
      CUDA_CHECK(cudaEventRecord(done_[k], streams_[k]));
      CUDA_CHECK(cudaStreamWaitEvent(main_, done_[k], 0));
    }
  }

  void describe() {
    cudnnRNNMode_t mode = s_.kind == ModelKind::kRnn   ? CUDNN_RNN_TANH
                          : s_.kind == ModelKind::kGru ? CUDNN_GRU
                                                       : CUDNN_LSTM;
    CUDNN_CHECK(cudnnCreateDropoutDescriptor(&dropout_));
    CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_, handles_[0], 0.0f, nullptr, 0, 0));
    CUDNN_CHECK(cudnnCreateRNNDescriptor(&rnn_));
    // FMA math: plain FP32, no TF32 tensor cores (results must match the CPU to ~1e-5).
    CUDNN_CHECK(cudnnSetRNNDescriptor_v8(rnn_, CUDNN_RNN_ALGO_STANDARD, mode, CUDNN_RNN_DOUBLE_BIAS,
                                         CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT,
                                         CUDNN_DATA_FLOAT, CUDNN_FMA_MATH, s_.in, s_.units,
                                         s_.units, 1, dropout_, CUDNN_RNN_PADDED_IO_DISABLED));
    // Every sequence has all T steps, so the packed sequence-major layout is [T][B][features].
    std::vector<int> lengths(static_cast<size_t>(batch_), s_.steps);
    CUDNN_CHECK(cudnnCreateRNNDataDescriptor(&xdesc_));
    CUDNN_CHECK(cudnnSetRNNDataDescriptor(xdesc_, CUDNN_DATA_FLOAT,
                                          CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED, s_.steps, batch_,
                                          s_.in, lengths.data(), nullptr));
    CUDNN_CHECK(cudnnCreateRNNDataDescriptor(&ydesc_));
    CUDNN_CHECK(cudnnSetRNNDataDescriptor(ydesc_, CUDNN_DATA_FLOAT,
                                          CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_PACKED, s_.steps, batch_,
                                          s_.units, lengths.data(), nullptr));
    const int dims[3] = {1, batch_, s_.units};
    const int strides[3] = {batch_ * s_.units, s_.units, 1};
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&hdesc_));
    CUDNN_CHECK(cudnnSetTensorNdDescriptor(hdesc_, CUDNN_DATA_FLOAT, 3, dims, strides));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&cdesc_));
    CUDNN_CHECK(cudnnSetTensorNdDescriptor(cdesc_, CUDNN_DATA_FLOAT, 3, dims, strides));
    CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(handles_[0], rnn_, &ws_bytes_));
    CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(handles_[0], rnn_, CUDNN_FWD_MODE_TRAINING, xdesc_,
                                          &work_bytes_, &reserve_bytes_));
  }

  void allocate() {
    const size_t N = static_cast<size_t>(nnode_);
    ws_floats_ = static_cast<long long>(ws_bytes_ / sizeof(float));
    ws_stride_ = round_up(ws_floats_, 64);  // 256-byte aligned per node
    ws_.resize(N * ws_stride_);
    dws_.resize(N * ws_stride_);
    work_stride_ = round_up(static_cast<long long>(work_bytes_), 256);
    reserve_stride_ = round_up(static_cast<long long>(reserve_bytes_), 256);
    work_.resize(static_cast<size_t>(nstreams_ * work_stride_) + 1);
    reserve_.resize(N * reserve_stride_ + 1);
    std::vector<int> lengths(static_cast<size_t>(batch_), s_.steps);
    seq_len_.upload(lengths, main_);
    zero_dy_.resize(static_cast<size_t>(s_.steps) * batch_ * s_.units);
    zero_dy_.fill_zero(main_);
    x_floats_ = static_cast<long long>(s_.steps) * batch_ * s_.in;
    dx_scratch_.resize(static_cast<size_t>(nstreams_ * x_floats_));
    ws_.fill_zero(main_);
  }

  void build_map() {
    cudnnTensorDescriptor_t mdesc, bdesc;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&mdesc));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&bdesc));
    std::vector<CudnnLinLayer> layers;
    const char* base = reinterpret_cast<const char*>(ws_.data());
    std::string error;
    for (int id = 0; id < 2 * s_.gates && error.empty(); ++id) {
      void* maddr = nullptr;
      void* baddr = nullptr;
      CUDNN_CHECK(cudnnGetRNNWeightParams(handles_[0], rnn_, 0, ws_bytes_, ws_.data(), id, mdesc,
                                          &maddr, bdesc, &baddr));
      cudnnDataType_t type;
      int nb = 0, dims[3] = {0, 0, 0}, strides[3] = {0, 0, 0};
      CUDNN_CHECK(cudnnGetTensorNdDescriptor(mdesc, 3, &type, &nb, dims, strides));
      const int want_cols = id < s_.gates ? s_.in : s_.units;
      if (!maddr || !baddr || nb != 3 || dims[1] != s_.units || dims[2] != want_cols ||
          strides[1] != want_cols || strides[2] != 1)
        error = "linear layer " + std::to_string(id) + ": matrix dims " + std::to_string(dims[0]) +
                "x" + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) + " strides " +
                std::to_string(strides[1]) + "," + std::to_string(strides[2]) + ", expected 1x" +
                std::to_string(s_.units) + "x" + std::to_string(want_cols) + " row-major";
      CudnnLinLayer l;
      l.id = id;
      l.matrix = (static_cast<const char*>(maddr) - base) / static_cast<long long>(sizeof(float));
      l.bias = (static_cast<const char*>(baddr) - base) / static_cast<long long>(sizeof(float));
      l.rows = dims[1];
      l.cols = dims[2];
      layers.push_back(l);
    }
    cudnnDestroyTensorDescriptor(mdesc);
    cudnnDestroyTensorDescriptor(bdesc);
    if (!error.empty()) throw std::logic_error("cuDNN weight layout not as expected: " + error);
    map_.upload(cudnn_weight_map(s_, ws_floats_, layers), main_);
  }

  RnnShape s_;
  int nnode_, batch_, nstreams_ = 1;
  cudaStream_t main_;
  std::vector<cudaStream_t> streams_;
  std::vector<cudnnHandle_t> handles_;
  std::vector<cudaEvent_t> done_;
  cudaEvent_t start_ = nullptr;
  cudnnRNNDescriptor_t rnn_ = nullptr;
  cudnnDropoutDescriptor_t dropout_ = nullptr;
  cudnnRNNDataDescriptor_t xdesc_ = nullptr, ydesc_ = nullptr;
  cudnnTensorDescriptor_t hdesc_ = nullptr, cdesc_ = nullptr;
  size_t ws_bytes_ = 0, work_bytes_ = 0, reserve_bytes_ = 0;
  long long ws_floats_ = 0, ws_stride_ = 0, work_stride_ = 0, reserve_stride_ = 0;
  long long x_floats_ = 0;
  DeviceBuffer<float> ws_, dws_, zero_dy_, dx_scratch_;
  DeviceBuffer<char> work_, reserve_;
  DeviceBuffer<int> seq_len_;
  DeviceBuffer<long long> map_;
};

}  // namespace

bool cudnn_compiled_in() {
  return true;
}

std::string cudnn_unsupported_reason(ModelKind k, const ModelConfig& mc) {
  std::string why = fused_unsupported_reason(k, mc);
  if (!why.empty()) return why;
  if (k == ModelKind::kLstm && mc.lstm_activation != Activation::kTanh)
    return std::string("cuDNN's LSTM has a tanh cell; [model] lstm_activation is ") +
           activation_name(mc.lstm_activation);
  if (k == ModelKind::kCnnLstm && mc.cnnlstm_activation != Activation::kTanh)
    return std::string("cuDNN's LSTM has a tanh cell; [model] cnnlstm_activation is ") +
           activation_name(mc.cnnlstm_activation);
  return "";
}

int keras_gate_of_cudnn(ModelKind k, int cudnn_gate) {
  if (k == ModelKind::kGru) {
    static const int kGru[3] = {1, 0, 2};  // cuDNN r, z, h -> Keras blocks z=0, r=1, h=2
    return kGru[cudnn_gate];
  }
  return cudnn_gate;  // LSTM i, f, c, o in both; SimpleRNN one block
}

std::vector<long long> cudnn_weight_map(const RnnShape& s, long long ws_floats,
                                        const std::vector<CudnnLinLayer>& layers) {
  const int u = s.units, G = s.gates, gu = s.gu();
  const bool gru = s.kind == ModelKind::kGru;
  std::vector<long long> map(static_cast<size_t>(ws_floats), -1);
  long long assigned = 0;
  auto put = [&](long long at, long long keras) {
    if (at < 0 || at >= ws_floats || map[at] != -1)
      throw std::logic_error("cuDNN weight map: weight-space offset " + std::to_string(at) +
                             " out of range or used twice");
    map[at] = keras;
    ++assigned;
  };
  std::vector<bool> seen(static_cast<size_t>(2 * G), false);
  for (const CudnnLinLayer& l : layers) {
    if (l.id < 0 || l.id >= 2 * G || seen[l.id])
      throw std::logic_error("cuDNN weight map: bad or repeated linear layer id " +
                             std::to_string(l.id));
    seen[l.id] = true;
    const bool recurrent = l.id >= G;
    const int block = keras_gate_of_cudnn(s.kind, l.id % G);
    const int inputs = recurrent ? u : s.in;
    if (l.rows != u || l.cols != inputs)
      throw std::logic_error("cuDNN weight map: layer " + std::to_string(l.id) + " is " +
                             std::to_string(l.rows) + "x" + std::to_string(l.cols));
    const long long tensor = recurrent ? s.off_recurrent : s.off_kernel;
    for (int j = 0; j < u; ++j)
      for (int k = 0; k < inputs; ++k)
        put(l.matrix + static_cast<long long>(j) * inputs + k,
            tensor + static_cast<long long>(k) * gu + block * u + j);
    if (gru || !recurrent)  // the Keras bias rows; SimpleRNN/LSTM's recurrent bias stays 0
      for (int j = 0; j < u; ++j)
        put(l.bias + j, s.off_bias + (recurrent ? gu : 0) + block * u + j);
  }
  const long long expected =
      static_cast<long long>(s.in) * gu + static_cast<long long>(u) * gu + (gru ? 2 : 1) * gu;
  if (assigned != expected)
    throw std::logic_error("cuDNN weight map covers " + std::to_string(assigned) +
                           " parameters, the Keras recurrent tensors have " +
                           std::to_string(expected));
  return map;
}

size_t cudnn_bytes_per_node(const RnnShape& s, int batch) {
  const long long gu = s.gu();
  const long long weights = gu * (s.in + s.units) + 2 * gu + 64;
  const long long reserve = static_cast<long long>(s.steps) * batch * (gu + 2 * s.units) * 2;
  return static_cast<size_t>(2 * weights + reserve) * sizeof(float) + 512;
}

std::unique_ptr<RecurrentLayer> make_cudnn_layer(const RnnShape& s, int nnode, int batch,
                                                 cudaStream_t stream) {
  return std::make_unique<CudnnRecurrent>(s, nnode, batch, stream);
}

}  // namespace rnn
}  // namespace tecscan
