// The recurrent-model Trainer on CUDA: windows on the device (kernels/window_kernels.cuh, shared
// with the feed-forward trainer), then for each chunk of nodes the epochs of train_node in lock
// step: shuffle, gather, forward, backward, Adam for every node per launch; a node whose epoch
// has fewer minibatches sits out the remaining steps (count 0: no update, no Adam step).
#include <cuda_runtime.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_check.hpp"
#include "rnn_cudnn.hpp"
#include "rnn_kernels.cuh"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/error.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"
#include "tecscan/windowing.hpp"
#include "window_kernels.cuh"

namespace tecscan {
namespace rnn {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

using ff::SeriesArgs;  // the feed-forward trainer's make_windows, shared
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

__global__ void windows_kernel(SeriesArgs a) {
  __shared__ double stats[2];
  ff::windows_block(ff::Block{}, a, static_cast<int>(blockIdx.x), stats);
}

// make_windows for every node of the chunk (one block per node on the GPU).
template <typename Ops>
void run_windows(Ops& ops, const SeriesArgs& a) {
  if constexpr (Ops::kOnDevice) {
    windows_kernel<<<a.nnode, 128>>>(a);
    CUDA_CHECK_LAUNCH();
  } else {
    double stats[2];
    for (int n = 0; n < a.nnode; ++n) ff::windows_block(ff::Block{}, a, n, stats);
  }
}

// This epoch's order of every node's training targets (rng.hpp, as train_node).
struct Shuffle {
  const int* ntrain;
  int* perm;
  int ntime, node0, epoch;
  uint64_t seed, kind;
  TECSCAN_HD void operator()(long long n) const {
    const int cnt = ntrain[n];
    int* p = perm + n * ntime;
    for (int i = 0; i < cnt; ++i) p[i] = i;
    shuffle_epoch(rng_key(seed, static_cast<uint64_t>(node0 + n), kind, kRngShuffle),
                  static_cast<uint64_t>(epoch), p, cnt);
  }
};

// Minibatch `slot` of every node: rows slot*B .. of its training (perm != null) or prediction
// list. Nodes without training targets get no rows at all (train_node predicts nothing).
struct Gather {
  int batch, slot, ntime, len;
  const float* z;
  const int* list;   // [node][ntime]
  const int* nlist;  // [node]
  const int* ntrain;
  const int* perm;  // null: in list order
  float* xraw;
  float* target;
  int* count;
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / batch;
    const int b = static_cast<int>(idx % batch);
    const int avail = ntrain[n] > 0 ? nlist[n] : 0;
    int cnt = avail - slot * batch;
    cnt = cnt < 0 ? 0 : (cnt > batch ? batch : cnt);
    if (b == 0) count[n] = cnt;
    float* x = xraw + idx * len;
    if (b < cnt) {
      const int pos = slot * batch + b;
      const int t = list[n * ntime + (perm ? perm[n * ntime + pos] : pos)];
      const float* zn = z + n * ntime;
      for (int i = 0; i < len; ++i) x[i] = zn[t - len + i];
      target[idx] = perm ? zn[t] : 0.0f;
    } else {
      for (int i = 0; i < len; ++i) x[i] = 0.0f;
      target[idx] = 0.0f;
    }
  }
};

struct ScatterPredictions {
  int batch, slot, ntime;
  const int* predict;
  const int* count;
  const float* y;
  const double* mean;
  const double* stdev;
  float* predicted;  // [node][ntime]
  TECSCAN_HD void operator()(long long idx) const {
    const long long n = idx / batch;
    const int b = static_cast<int>(idx % batch);
    if (b >= count[n]) return;
    const int t = predict[n * ntime + slot * batch + b];
    predicted[n * ntime + t] = static_cast<float>(static_cast<double>(y[idx]) * stdev[n] + mean[n]);
  }
};

struct EpochLoss {
  const int* ntrain;
  double* loss_sum;
  float* epoch_loss;  // [node][epochs]
  int epochs, epoch;
  TECSCAN_HD void operator()(long long n) const {
    const int cnt = ntrain[n];
    epoch_loss[n * epochs + epoch] = cnt > 0 ? static_cast<float>(loss_sum[n] / cnt) : kNaN;
    loss_sum[n] = 0;
  }
};

struct FillNaN {
  float* p;
  TECSCAN_HD void operator()(long long i) const { p[i] = kNaN; }
};

void use_device(int device) {
  const int n = cuda_device_count();
  if (n == 0) throw CudaError("no CUDA device is visible: train the recurrent models on the CPU");
  if (device < 0 || device >= n)
    throw InputError("CUDA device " + std::to_string(device) + " does not exist (" +
                     std::to_string(n) + " visible)");
  CUDA_CHECK(cudaSetDevice(device));
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

RnnImpl resolve(RnnImpl impl) {
  return impl == RnnImpl::kAuto ? RnnImpl::kFused : impl;
}

// Runs f(ops) on the back end the options name.
template <typename F>
auto with_ops(const RnnOptions& o, F&& f) {
  if (o.exec == RnnExec::kHost) {
    HostOps ops;
    return f(ops);
  }
  use_device(o.device);
  DeviceOps ops(o.exec == RnnExec::kDeviceNaive);
  return f(ops);
}

template <typename Ops>
std::unique_ptr<RecurrentLayer> make_external(const RnnOptions& o, const RnnShape& s, int nnode,
                                              int batch) {
  if (resolve(o.impl) != RnnImpl::kCudnn) return nullptr;
  if constexpr (Ops::kOnDevice) {
    return make_cudnn_layer(s, nnode, batch);
  } else {
    throw std::invalid_argument("the cuDNN recurrent path runs only on a GPU (RnnExec::kDevice)");
  }
}

void check_supported(const RnnOptions& o, ModelKind k, const ModelConfig& mc) {
  const std::string why = rnn_unsupported_reason(k, mc, o.impl);
  if (!why.empty())
    throw std::invalid_argument(std::string("GPU ") + rnn_impl_name(resolve(o.impl)) + " " +
                                model_name(k) + ": " + why);
}

void check_size(size_t got, size_t want, const char* what) {
  if (got != want)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(got) +
                                " values, expected " + std::to_string(want));
}

// init_parameters for nodes node0 .. node0 + count - 1 on all host threads (the orthogonal
// recurrent kernels need a QR each).
void init_chunk(ModelKind k, const ModelConfig& mc, uint64_t seed, int node0, int count,
                int64_t nparam, float* out) {
  parallel_for(static_cast<size_t>(count), 0, [&](size_t i) {
    init_parameters(k, mc, seed, static_cast<uint64_t>(node0) + i, out + i * nparam);
  });
}

template <typename Ops>
class CubeTraining {
 public:
  template <typename T>
  using Buf = typename Ops::template Buffer<T>;

  CubeTraining(Ops& ops, const RnnOptions& o, ModelKind k, const ModelConfig& mc,
               const TrainConfig& tc, const Cube& cube, Progress* progress, RnnTiming* timing)
      : ops_(ops),
        o_(o),
        k_(k),
        mc_(mc),
        tc_(tc),
        cube_(cube),
        progress_(progress),
        timing_(timing),
        s_(make_rnn_shape(k, mc)) {}

  ModelRun run() {
    const auto start = Clock::now();
    const int N = static_cast<int>(cube_.nnode()), T = static_cast<int>(cube_.ntime());
    ModelRun r;
    r.kind = k_;
    r.nnode = cube_.nnode();
    r.ntime = cube_.ntime();
    r.predicted.assign(r.nnode * r.ntime, std::numeric_limits<float>::quiet_NaN());
    r.epoch_loss.assign(r.nnode * static_cast<size_t>(tc_.epochs),
                        std::numeric_limits<float>::quiet_NaN());
    r.train_rmse.assign(r.nnode, std::numeric_limits<double>::quiet_NaN());
    r.test_rmse = r.train_rmse;
    r.stop_epoch.assign(r.nnode, 0);
    if (tc_.keep_params) r.params.resize(r.nnode * static_cast<size_t>(s_.nparam));
    if (timing_) {
      *timing_ = RnnTiming();
      timing_->epoch_s.assign(static_cast<size_t>(tc_.epochs), 0.0);
    }
    const int chunk = chunk_nodes(N, T);
    for (int n0 = 0; n0 < N; n0 += chunk) train_chunk(n0, std::min(chunk, N - n0), &r);
    const int n_train = train_split(tc_.train_fraction, T);
    for (int n = 0; n < N; ++n) {
      const float* pred = r.predicted.data() + static_cast<size_t>(n) * T;
      r.train_rmse[n] = prediction_rmse(pred, cube_.node_tec(n), 0, std::min(n_train, T));
      r.test_rmse[n] = prediction_rmse(pred, cube_.node_tec(n), std::min(n_train, T), T);
    }
    r.device = device_label();
    if (timing_) timing_->device = r.device;
    r.train_seconds = seconds_since(start);
    return r;
  }

 private:
  std::string device_label() const {
    const std::string impl = resolve(o_.impl) == RnnImpl::kCudnn ? "cuDNN" : "fused";
    if constexpr (Ops::kOnDevice) return device_name(o_.device) + " (" + impl + ")";
    return "host emulation (" + impl + ")";
  }

  int chunk_nodes(int N, int T) const {
    int chunk = std::max(N, 1);
    if (o_.max_chunk_nodes > 0) chunk = std::min(chunk, o_.max_chunk_nodes);
    if constexpr (Ops::kOnDevice) {
      size_t free_b = 0, total_b = 0;
      CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
      size_t per_node = RnnEngine<Ops>::bytes_per_node(s_, tc_.batch, true) +
                        static_cast<size_t>(T) * (4 * sizeof(float) + 3 * sizeof(int)) +
                        static_cast<size_t>(tc_.epochs) * sizeof(float);
      if (resolve(o_.impl) == RnnImpl::kCudnn) per_node += cudnn_bytes_per_node(s_, tc_.batch);
      const size_t fit = static_cast<size_t>(0.7 * static_cast<double>(free_b)) / per_node;
      if (fit < 1)
        throw CudaError("the GPU has " + std::to_string(free_b >> 20) +
                        " MiB free, not enough for one node of " + model_name(k_) +
                        ": lower the model sizes or train it on the CPU");
      chunk = static_cast<int>(std::min<size_t>(static_cast<size_t>(chunk), fit));
      chunk = std::min(chunk, 65535);  // cuBLAS batch count
    }
    return chunk;
  }

  void train_chunk(int n0, int nc, ModelRun* r) {
    auto t_setup = Clock::now();
    const int T = static_cast<int>(cube_.ntime()), B = tc_.batch, E = tc_.epochs;
    const int L = s_.input_len;
    const size_t NT = static_cast<size_t>(nc) * T;
    Buf<float> tec, z, predicted, epoch_loss;
    Buf<double> mean, stdev;
    Buf<int> train_t, predict_t, perm, ntrain, npredict;
    for (Buf<float>* b : {&tec, &z, &predicted}) b->resize(NT);
    for (Buf<int>* b : {&train_t, &predict_t, &perm}) b->resize(NT);
    epoch_loss.resize(static_cast<size_t>(nc) * E);
    for (Buf<double>* b : {&mean, &stdev}) b->resize(nc);
    for (Buf<int>* b : {&ntrain, &npredict}) b->resize(nc);
    ops_.to_device(tec.data(), cube_.tec.data() + static_cast<size_t>(n0) * T, NT);
    ops_.for_each(static_cast<long long>(NT), FillNaN{predicted.data()});
    ops_.for_each(static_cast<long long>(nc) * E, FillNaN{epoch_loss.data()});

    SeriesArgs a;
    a.nnode = nc, a.ntime = T, a.input_len = L;
    a.n_train = train_split(tc_.train_fraction, T);
    a.tec = tec.data(), a.z = z.data(), a.mean = mean.data(), a.std = stdev.data();
    a.train_targets = train_t.data(), a.n_train_targets = ntrain.data();
    a.predict_targets = predict_t.data(), a.n_predict = npredict.data();
    a.holdout_begin = tc_.holdout.begin, a.holdout_end = tc_.holdout.end;
    run_windows(ops_, a);
    std::vector<int> ntrain_h(nc), npredict_h(nc);
    ops_.to_host(ntrain_h.data(), ntrain.data(), ntrain_h.size());
    ops_.to_host(npredict_h.data(), npredict.data(), npredict_h.size());
    int max_train_batches = 0, max_predict_batches = 0;
    for (int n = 0; n < nc; ++n) {
      max_train_batches = std::max(max_train_batches, (ntrain_h[n] + B - 1) / B);
      if (ntrain_h[n] > 0)
        max_predict_batches = std::max(max_predict_batches, (npredict_h[n] + B - 1) / B);
      if (timing_) timing_->train_samples += ntrain_h[n];
      r->stop_epoch[static_cast<size_t>(n0 + n)] = ntrain_h[n] > 0 ? E : 0;
    }

    std::unique_ptr<RecurrentLayer> external = make_external<Ops>(o_, s_, nc, B);
    RnnEngine<Ops> engine(ops_, s_, nc, B, external.get());
    engine.reset_optimizer(tc_.adam);
    {
      std::vector<float> init(static_cast<size_t>(nc) * s_.nparam);
      init_chunk(k_, mc_, tc_.seed, n0, nc, s_.nparam, init.data());
      ops_.to_device(engine.params(), init.data(), init.size());
    }
    ops_.sync();
    if (timing_) timing_->setup_s += seconds_since(t_setup);

    long advanced = 0;
    for (int e = 0; e < E; ++e) {
      const auto t_epoch = Clock::now();
      ops_.for_each(
          nc, Shuffle{ntrain.data(), perm.data(), T, n0, e, tc_.seed, static_cast<uint64_t>(k_)});
      for (int slot = 0; slot < max_train_batches; ++slot) {
        ops_.for_each(static_cast<long long>(nc) * B,
                      Gather{B, slot, T, L, z.data(), train_t.data(), ntrain.data(), ntrain.data(),
                             perm.data(), engine.input(), engine.target(), engine.count()});
        engine.forward();
        engine.backward();
        engine.adam_step();
      }
      ops_.for_each(nc, EpochLoss{ntrain.data(), engine.loss_sum(), epoch_loss.data(), E, e});
      if (timing_ || progress_) ops_.sync();
      if (timing_) timing_->epoch_s[e] += seconds_since(t_epoch);
      const long target = static_cast<long>(nc) * (e + 1) / E;
      if (progress_) progress_->advance(target - advanced);
      advanced = target;
    }

    const auto t_predict = Clock::now();
    for (int slot = 0; slot < max_predict_batches; ++slot) {
      ops_.for_each(
          static_cast<long long>(nc) * B,
          Gather{B, slot, T, L, z.data(), predict_t.data(), npredict.data(), ntrain.data(), nullptr,
                 engine.input(), engine.target(), engine.count()});
      engine.forward();
      ops_.for_each(
          static_cast<long long>(nc) * B,
          ScatterPredictions{B, slot, T, predict_t.data(), engine.count(), engine.output(),
                             mean.data(), stdev.data(), predicted.data()});
    }
    ops_.to_host(r->predicted.data() + static_cast<size_t>(n0) * T, predicted.data(), NT);
    ops_.to_host(r->epoch_loss.data() + static_cast<size_t>(n0) * E, epoch_loss.data(),
                 static_cast<size_t>(nc) * E);
    if (tc_.keep_params)  // the engine keeps model.hpp's layout, [node][P]
      ops_.to_host(r->params.data() + static_cast<size_t>(n0) * s_.nparam, engine.params(),
                   static_cast<size_t>(nc) * s_.nparam);
    if (timing_) timing_->predict_s += seconds_since(t_predict);
  }

  Ops& ops_;
  const RnnOptions& o_;
  ModelKind k_;
  const ModelConfig& mc_;
  const TrainConfig& tc_;
  const Cube& cube_;
  Progress* progress_;
  RnnTiming* timing_;
  RnnShape s_;
};

class CudaRecurrentTrainer final : public Trainer {
 public:
  CudaRecurrentTrainer(int device, RnnImpl impl, int max_chunk_nodes)
      : device_(device), impl_(impl), max_chunk_nodes_(max_chunk_nodes) {}
  std::string name() const override {
    return std::string("cuda-rnn-") + rnn_impl_name(resolve(impl_));
  }
  bool supports(ModelKind k, const ModelConfig& mc) const override {
    return rnn_unsupported_reason(k, mc, impl_).empty();
  }
  // No early stopping on the GPU: the composite trainer sends such runs to the CPU.
  bool supports_train(const TrainConfig& tc) const override { return tc.patience == 0; }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    RnnOptions o;
    o.impl = impl_;
    o.device = device_;
    o.max_chunk_nodes = max_chunk_nodes_;
    return rnn_train(o, k, mc, tc, cube, progress, nullptr);
  }

 private:
  int device_;
  RnnImpl impl_;
  int max_chunk_nodes_;
};

}  // namespace
}  // namespace rnn

// ---- public entry points -----------------------------------------------------------------------

RnnImpl parse_rnn_impl(const std::string& name) {
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "auto") return RnnImpl::kAuto;
  if (n == "fused") return RnnImpl::kFused;
  if (n == "cudnn") return RnnImpl::kCudnn;
  throw InputError("unknown recurrent GPU implementation '" + name +
                   "': expected auto, fused or cudnn");
}

const char* rnn_impl_name(RnnImpl impl) {
  switch (impl) {
    case RnnImpl::kAuto:
      return "auto";
    case RnnImpl::kFused:
      return "fused";
    case RnnImpl::kCudnn:
      return "cudnn";
  }
  return "unknown";
}

std::string rnn_unsupported_reason(ModelKind k, const ModelConfig& mc, RnnImpl impl) {
  return rnn::resolve(impl) == RnnImpl::kCudnn ? rnn::cudnn_unsupported_reason(k, mc)
                                               : rnn::fused_unsupported_reason(k, mc);
}

std::unique_ptr<Trainer> make_cuda_recurrent_trainer(int device, RnnImpl impl,
                                                     int max_chunk_nodes) {
  return std::make_unique<rnn::CudaRecurrentTrainer>(device, impl, max_chunk_nodes);
}

std::vector<float> rnn_forward(const RnnOptions& o, ModelKind k, const ModelConfig& mc, int nnode,
                               int batch, const std::vector<float>& params,
                               const std::vector<float>& x) {
  rnn::check_supported(o, k, mc);
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  rnn::check_size(params.size(), static_cast<size_t>(nnode) * s.nparam, "params");
  rnn::check_size(x.size(), static_cast<size_t>(nnode) * batch * s.input_len, "x");
  return rnn::with_ops(o, [&](auto& ops) {
    using Ops = std::decay_t<decltype(ops)>;
    std::vector<float> y(static_cast<size_t>(nnode) * batch);
    if (o.exec == RnnExec::kDeviceNaive) {
      typename Ops::template Buffer<float> p, xin, out, scratch;
      p.resize(params.size());
      xin.resize(x.size());
      out.resize(y.size());
      scratch.resize(y.size() * rnn::naive_scratch_size(s));
      ops.to_device(p.data(), params.data(), params.size());
      ops.to_device(xin.data(), x.data(), x.size());
      rnn::naive_forward_all(ops, s, nnode, batch, p.data(), xin.data(), out.data(),
                             scratch.data());
      ops.to_host(y.data(), out.data(), y.size());
      return y;
    }
    auto external = rnn::make_external<Ops>(o, s, nnode, batch);
    rnn::RnnEngine<Ops> engine(ops, s, nnode, batch, external.get());
    const std::vector<int> count(static_cast<size_t>(nnode), batch);
    ops.to_device(engine.params(), params.data(), params.size());
    ops.to_device(engine.input(), x.data(), x.size());
    ops.to_device(engine.count(), count.data(), count.size());
    engine.forward();
    ops.to_host(y.data(), engine.output(), y.size());
    return y;
  });
}

std::vector<float> rnn_gradient(const RnnOptions& o, ModelKind k, const ModelConfig& mc, int nnode,
                                int batch, const std::vector<float>& params,
                                const std::vector<float>& x, const std::vector<float>& target,
                                const std::vector<int>& count, std::vector<double>* loss_sum) {
  rnn::check_supported(o, k, mc);
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  rnn::check_size(params.size(), static_cast<size_t>(nnode) * s.nparam, "params");
  rnn::check_size(x.size(), static_cast<size_t>(nnode) * batch * s.input_len, "x");
  rnn::check_size(target.size(), static_cast<size_t>(nnode) * batch, "target");
  rnn::check_size(count.size(), static_cast<size_t>(nnode), "count");
  return rnn::with_ops(o, [&](auto& ops) {
    using Ops = std::decay_t<decltype(ops)>;
    auto external = rnn::make_external<Ops>(o, s, nnode, batch);
    rnn::RnnEngine<Ops> engine(ops, s, nnode, batch, external.get());
    ops.to_device(engine.params(), params.data(), params.size());
    ops.to_device(engine.input(), x.data(), x.size());
    ops.to_device(engine.target(), target.data(), target.size());
    ops.to_device(engine.count(), count.data(), count.size());
    engine.forward();
    engine.backward();
    std::vector<float> grads(params.size());
    ops.to_host(grads.data(), engine.grads(), grads.size());
    if (loss_sum) {
      loss_sum->resize(static_cast<size_t>(nnode));
      ops.to_host(loss_sum->data(), engine.loss_sum(), loss_sum->size());
    }
    return grads;
  });
}

double rnn_reference_forward(ModelKind k, const ModelConfig& mc, const double* params,
                             const double* x) {
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  std::vector<double> scratch(static_cast<size_t>(rnn::naive_scratch_size(s)));
  return rnn::naive_forward<double>(s, params, x, scratch.data());
}

ModelRun rnn_train(const RnnOptions& o, ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                   const Cube& cube, Progress* progress, RnnTiming* timing) {
  check_train_config(tc);
  if (cube.tec.size() != cube.nnode() * cube.ntime())
    throw InputError("cube: tec has " + std::to_string(cube.tec.size()) +
                     " values, expected nodes x epochs = " + std::to_string(cube.nnode()) + " x " +
                     std::to_string(cube.ntime()));
  rnn::check_supported(o, k, mc);
  return rnn::with_ops(o, [&](auto& ops) {
    using Ops = std::decay_t<decltype(ops)>;
    return rnn::CubeTraining<Ops>(ops, o, k, mc, tc, cube, progress, timing).run();
  });
}

}  // namespace tecscan
