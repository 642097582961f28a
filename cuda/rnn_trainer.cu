// The recurrent-model Trainer on CUDA: the training loop of cuda/rnn_training.hpp on DeviceOps
// (the stream and cuBLAS handle of a context leased per call, cuda_context.hpp), chunks sized
// from the free device memory, and the public entry points of cuda_recurrent.hpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda_check.hpp"
#include "cuda_context.hpp"
#include "rnn_cudnn.hpp"
#include "rnn_kernels.cuh"
#include "rnn_training.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/error.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/train.hpp"

namespace tecscan {
namespace rnn {
namespace {

void check_device(int device) {
  const int n = cuda_device_count();
  if (n == 0) throw CudaError("no CUDA device is visible: train the recurrent models on the CPU");
  if (device < 0 || device >= n)
    throw InputError("CUDA device " + std::to_string(device) + " does not exist (" +
                     std::to_string(n) + " visible)");
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

RnnImpl resolve(RnnImpl impl) {
  return impl == RnnImpl::kAuto ? RnnImpl::kFused : impl;
}

// Runs f(ops) on the back end the options name, its products in `precision`.
template <typename F>
auto with_ops(const RnnOptions& o, Precision precision, F&& f) {
  if (o.exec == RnnExec::kHost) {
    HostOps ops(precision);
    return f(ops);
  }
  check_device(o.device);
  const CudaContextLease context(o.device);  // this call's stream and cuBLAS handle
  DeviceOps ops(*context, o.exec == RnnExec::kDeviceNaive, precision);
  return f(ops);
}

template <typename Ops>
std::unique_ptr<RecurrentLayer> make_external(Ops& ops, const RnnOptions& o, const RnnShape& s,
                                              int nnode, int batch) {
  if (resolve(o.impl) != RnnImpl::kCudnn) return nullptr;
  if constexpr (Ops::kOnDevice) {
    return make_cudnn_layer(s, nnode, batch, ops.stream());
  } else {
    (void)ops;
    throw std::invalid_argument("the cuDNN recurrent path runs only on a GPU (RnnExec::kDevice)");
  }
}

void check_supported(const RnnOptions& o, ModelKind k, const ModelConfig& mc, Precision p) {
  if (o.impl == RnnImpl::kBlock)  // not this engine: cuda/ff_trainer.cu's driver
    throw std::invalid_argument(
        "RnnImpl::kBlock runs through make_cuda_recurrent_block_trainer or cuda_ff_train_detail, "
        "not the RnnOptions entry points");
  const std::string why = rnn_unsupported_reason(k, mc, o.impl);
  if (!why.empty())
    throw std::invalid_argument(std::string("GPU ") + rnn_impl_name(resolve(o.impl)) + " " +
                                model_name(k) + ": " + why);
  if (!rnn_precision_supported(o.impl, p))
    throw std::invalid_argument(std::string("GPU ") + rnn_impl_name(resolve(o.impl)) + " " +
                                model_name(k) + " has no precision " + precision_name(p) +
                                " (--rnn-impl block runs every precision)");
}

void check_size(size_t got, size_t want, const char* what) {
  if (got != want)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(got) +
                                " values, expected " + std::to_string(want));
}

// Nodes per chunk: the user's cap, and on the GPU what fits in this training's share of the free
// memory (device_memory_share: ~70 %, split between the trainings that run at once).
template <typename Ops>
int chunk_nodes(const RnnOptions& o, ModelKind k, const RnnShape& s, const TrainConfig& tc, int N,
                int T) {
  int chunk = std::max(N, 1);
  if (o.max_chunk_nodes > 0) chunk = std::min(chunk, o.max_chunk_nodes);
  if constexpr (Ops::kOnDevice) {
    size_t free_b = 0, total_b = 0;
    CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    size_t per_node = RnnEngine<Ops>::bytes_per_node(s, tc.batch, true) +
                      static_cast<size_t>(T) * (4 * sizeof(float) + 3 * sizeof(int)) +
                      static_cast<size_t>(tc.epochs) * sizeof(float) + 2 * sizeof(int);
    if (resolve(o.impl) == RnnImpl::kCudnn) per_node += cudnn_bytes_per_node(s, tc.batch);
    const size_t fit = device_memory_share(free_b, CudaContextLease::held(o.device)) / per_node;
    if (fit < 1)
      throw CudaError("the GPU has " + std::to_string(free_b >> 20) +
                      " MiB free, not enough for one node of " + model_name(k) +
                      ": lower the model sizes or train it on the CPU");
    chunk = static_cast<int>(std::min<size_t>(static_cast<size_t>(chunk), fit));
    chunk = std::min(chunk, 65535);  // cuBLAS batch count
  }
  return chunk;
}

template <typename Ops>
TrainingPlan make_plan(Ops& ops, const RnnOptions& o, ModelKind k, const RnnShape& s,
                       const TrainConfig& tc, const Cube& cube) {
  TrainingPlan p;
  p.chunk_nodes =
      chunk_nodes<Ops>(o, k, s, tc, static_cast<int>(cube.nnode()), static_cast<int>(cube.ntime()));
  p.cuda_graphs = o.cuda_graphs;
  // The engine, and the products' precision when it is not FP32: "fused tf32".
  const std::string impl =
      std::string(resolve(o.impl) == RnnImpl::kCudnn ? "cuDNN" : "fused") +
      (tc.precision == Precision::kFp32 ? "" : std::string(" ") + precision_name(tc.precision));
  if constexpr (Ops::kOnDevice)
    p.device_label = device_name(o.device) + " (" + impl + ")";
  else
    p.device_label = "host emulation (" + impl + ")";
  if (resolve(o.impl) == RnnImpl::kCudnn)
    p.external = [&ops, &o, s](int nnode, int batch) {
      return make_external(ops, o, s, nnode, batch);
    };
  return p;
}

class CudaRecurrentTrainer final : public Trainer {
 public:
  CudaRecurrentTrainer(int device, RnnImpl impl, int max_chunk_nodes, bool cuda_graphs)
      : device_(device),
        impl_(impl),
        max_chunk_nodes_(max_chunk_nodes),
        cuda_graphs_(cuda_graphs) {}
  std::string name() const override {
    return std::string("cuda-rnn-") + rnn_impl_name(resolve(impl_));
  }
  bool supports(ModelKind k, const ModelConfig& mc) const override {
    return rnn_unsupported_reason(k, mc, impl_).empty();
  }
  // No early stopping on the GPU, and only the precisions the path computes: the composite
  // trainer sends other runs on (the block engine, the CPU's emulation) instead of silently
  // training in another precision.
  bool supports_train(const TrainConfig& tc) const override { return tc.patience == 0; }
  bool supports_precision(ModelKind, Precision p) const override {
    return rnn_precision_supported(impl_, p);
  }
  // Each train() leases its own stream and cuBLAS handle (cuda_context.hpp; cuDNN's layer makes
  // its own handles) and shares nothing else: the scan's networks train at once.
  bool thread_safe() const override { return true; }
  bool prefers_concurrent_models() const override { return true; }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    RnnOptions o;
    o.impl = impl_;
    o.device = device_;
    o.max_chunk_nodes = max_chunk_nodes_;
    o.cuda_graphs = cuda_graphs_;
    return rnn_train(o, k, mc, tc, cube, progress, nullptr);
  }

 private:
  int device_;
  RnnImpl impl_;
  int max_chunk_nodes_;
  bool cuda_graphs_;
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
  if (n == "block") return RnnImpl::kBlock;
  throw InputError("unknown recurrent GPU implementation '" + name +
                   "': expected auto, fused, cudnn or block");
}

const char* rnn_impl_name(RnnImpl impl) {
  switch (impl) {
    case RnnImpl::kAuto:
      return "auto";
    case RnnImpl::kFused:
      return "fused";
    case RnnImpl::kCudnn:
      return "cudnn";
    case RnnImpl::kBlock:
      return "block";
  }
  return "unknown";
}

bool rnn_precision_supported(RnnImpl impl, Precision p) {
  switch (rnn::resolve(impl)) {
    case RnnImpl::kBlock:
      return true;
    case RnnImpl::kCudnn:
      return p == Precision::kFp32;
    default:  // fused: cuBLAS' FP32, TF32 and BF16 compute types
      return p != Precision::kTf32x3;
  }
}

std::string rnn_unsupported_reason(ModelKind k, const ModelConfig& mc, RnnImpl impl) {
  if (impl == RnnImpl::kBlock) return rnn_block_unsupported_reason(k, mc);
  return rnn::resolve(impl) == RnnImpl::kCudnn ? rnn::cudnn_unsupported_reason(k, mc)
                                               : rnn::fused_unsupported_reason(k, mc);
}

std::unique_ptr<Trainer> make_cuda_recurrent_trainer(int device, RnnImpl impl, int max_chunk_nodes,
                                                     bool cuda_graphs) {
  if (impl == RnnImpl::kBlock) {  // the block engine (no CUDA graphs: one launch per epoch)
    CudaTrainerOptions o;
    o.device = device;
    o.node_chunk = static_cast<size_t>(max_chunk_nodes > 0 ? max_chunk_nodes : 0);
    return make_cuda_recurrent_block_trainer(o);
  }
  return std::make_unique<rnn::CudaRecurrentTrainer>(device, impl, max_chunk_nodes, cuda_graphs);
}

std::vector<float> rnn_forward(const RnnOptions& o, ModelKind k, const ModelConfig& mc, int nnode,
                               int batch, const std::vector<float>& params,
                               const std::vector<float>& x, Precision precision) {
  rnn::check_supported(o, k, mc, precision);
  if (o.exec == RnnExec::kDeviceNaive && precision != Precision::kFp32)
    throw std::invalid_argument(
        "rnn_forward: the naive device forward is the FP32 reference (RnnExec::kDevice or kHost "
        "run the other precisions)");
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  rnn::check_size(params.size(), static_cast<size_t>(nnode) * s.nparam, "params");
  rnn::check_size(x.size(), static_cast<size_t>(nnode) * batch * s.input_len, "x");
  return rnn::with_ops(o, precision, [&](auto& ops) {
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
    auto external = rnn::make_external(ops, o, s, nnode, batch);
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
                                const std::vector<int>& count, std::vector<double>* loss_sum,
                                Precision precision) {
  rnn::check_supported(o, k, mc, precision);
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  rnn::check_size(params.size(), static_cast<size_t>(nnode) * s.nparam, "params");
  rnn::check_size(x.size(), static_cast<size_t>(nnode) * batch * s.input_len, "x");
  rnn::check_size(target.size(), static_cast<size_t>(nnode) * batch, "target");
  rnn::check_size(count.size(), static_cast<size_t>(nnode), "count");
  return rnn::with_ops(o, precision, [&](auto& ops) {
    using Ops = std::decay_t<decltype(ops)>;
    auto external = rnn::make_external(ops, o, s, nnode, batch);
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
  rnn::check_node_keys(cube);
  rnn::check_supported(o, k, mc, tc.precision);
  const rnn::RnnShape s = rnn::make_rnn_shape(k, mc);
  return rnn::with_ops(o, tc.precision, [&](auto& ops) {
    using Ops = std::decay_t<decltype(ops)>;
    const rnn::TrainingPlan plan = rnn::make_plan(ops, o, k, s, tc, cube);
    ModelRun r = rnn::CubeTraining<Ops>(ops, plan, k, mc, tc, cube, progress, timing).run();
    if (timing) timing->device = r.device;
    return r;
  });
}

}  // namespace tecscan
