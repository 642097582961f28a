// The CUDA Trainer for the feed-forward models (MLP, CNN): every node of a chunk trains at once,
// reproducing train_node (src/cpu/train.cpp) step for step: the same initial weights (made on
// the host by init_parameters and uploaded), normalisation, shuffles, minibatches, Adam steps
// and de-normalised predictions, every node's random streams keyed by Cube::rng_node. Host <->
// device traffic per chunk: the TEC, the keys and the initial weights in, predictions and losses
// out; nothing per step. Progress polls events: no synchronisation until a chunk's end.
//
// Stream: every launch, copy and fill of a training goes on the stream of the context it leases
// (cuda_context.hpp), so concurrent train() calls (the scan's networks at once) run side by side
// and the trainer is thread_safe().
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cnn_kernels.cuh"
#include "cuda_check.hpp"
#include "cuda_context.hpp"
#include "device_buffer.hpp"
#include "mlp_kernels.cuh"
#include "recurrent_block.cuh"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/train.hpp"
#include "tecscan/windowing.hpp"
#include "window_kernels.cuh"

namespace tecscan {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The registry's GPU path (model_registry.hpp) says which models are which.
bool is_feedforward(ModelKind k) {
  return model_entry(k).gpu == GpuPath::kFeedForward;
}
bool is_block_recurrent(ModelKind k) {
  return model_entry(k).gpu == GpuPath::kRecurrent;
}

// The sizes and launchers of one model on the persistent path: MLP, CNN, and the recurrent
// models of the block engine (--rnn-impl block, kernels/recurrent_block.cuh).
class FfModel {
 public:
  FfModel(ModelKind k, const ModelConfig& mc, Precision precision = Precision::kFp32)
      : kind_(k),
        precision_(precision),
        mlp_{mc.window, mc.mlp_hidden},
        cnn_{mc.window, mc.cnn_kernel, mc.cnn_filters, mc.cnn_pool} {
    if (is_block_recurrent(k)) {
      rnn_ = rnn::make_rnn_shape(k, mc);  // checks model.hpp's layout; InputError if invalid
      const std::string why = ff::recurrent_block_unsupported_reason(rnn_);
      if (!why.empty()) throw std::invalid_argument(why);
      nparam_ = rnn_.nparam;
      return;
    }
    if (!is_feedforward(k))
      throw std::invalid_argument(std::string("the CUDA feed-forward trainer has no model '") +
                                  model_name(k) + "' (only mlp, cnn and, as --rnn-impl block, " +
                                  "the recurrent models)");
    // Invalid sizes throw InputError here; the kernels' offsets must be model.hpp's layout.
    const std::vector<TensorSpec> specs = parameter_layout(k, mc);
    int64_t offsets[6];
    if (is_mlp()) {
      const ff::MlpModel<ff::MlpDims> m{mlp_};
      const int64_t o[6] = {m.w1(), m.b1(), m.w2(), m.b2(), m.w3(), m.b3()};
      std::copy(o, o + 6, offsets);
      nparam_ = m.nparam();
    } else {
      const ff::CnnModel<ff::CnnDims> m{cnn_};
      const int64_t o[6] = {m.k1(), m.b1(), m.k2(), m.b2(), m.wd(), m.bd()};
      std::copy(o, o + 6, offsets);
      nparam_ = m.nparam();
    }
    bool same = specs.size() == 6 && nparam_ == parameter_count(k, mc);
    for (size_t i = 0; same && i < 6; ++i) same = specs[i].offset == offsets[i];
    if (!same)
      throw std::logic_error(std::string("CUDA ") + model_name(k) +
                             " kernels disagree with model.hpp's parameter layout");
  }

  bool is_mlp() const { return kind_ == ModelKind::kMlp; }
  bool is_recurrent() const { return is_block_recurrent(kind_); }
  int64_t nparam() const { return nparam_; }
  int input_len() const { return is_recurrent() ? rnn_.input_len : mlp_.L; }
  // The model's size knob, for notes.
  const char* size_key() const {
    switch (kind_) {
      case ModelKind::kMlp:
        return "mlp_hidden";
      case ModelKind::kCnn:
        return "cnn_filters";
      case ModelKind::kRnn:
        return "rnn_units";
      case ModelKind::kGru:
        return "gru_units";
      case ModelKind::kCnnLstm:
        return "cnnlstm_units";
      default:
        return "lstm_units";
    }
  }
  int64_t fast_smem_bytes(int batch) const {
    if (is_recurrent()) return ff::recurrent_fast_bytes(rnn_, batch);
    return is_mlp() ? ff::mlp_fast_smem_bytes(mlp_, batch) : ff::cnn_fast_smem_bytes(cnn_, batch);
  }
  int64_t transposed_size() const {
    if (is_recurrent()) return ff::RecurrentBlockModel<>{rnn_}.transposed_size();
    return is_mlp() ? ff::MlpModel<ff::MlpDims>{mlp_}.transposed_size()
                    : ff::CnnModel<ff::CnnDims>{cnn_}.transposed_size();
  }
  int64_t naive_acts_floats(int batch) const {
    if (is_recurrent()) return ff::recurrent_naive_acts_floats(rnn_, batch);
    return is_mlp() ? ff::mlp_naive_acts_floats(mlp_, batch)
                    : ff::cnn_naive_acts_floats(cnn_, batch);
  }
  // acts_in_global (recurrent models only): the fast path's activations in a.acts.
  void train_epoch(const ff::TrainArgs& a, int epoch, bool naive, bool acts_in_global,
                   int max_batches, cudaStream_t stream) const {
    if (is_recurrent())
      ff::recurrent_train_epoch(rnn_, a, epoch, naive, acts_in_global, max_batches, precision_,
                                stream);
    else if (is_mlp())
      ff::mlp_train_epoch(mlp_, a, epoch, naive, max_batches, precision_, stream);
    else
      ff::cnn_train_epoch(cnn_, a, epoch, naive, max_batches, precision_, stream);
  }
  void predict(const ff::TrainArgs& a, bool naive, bool acts_in_global, int max_predict,
               cudaStream_t stream) const {
    if (is_recurrent())
      ff::recurrent_predict(rnn_, a, naive, acts_in_global, max_predict, precision_, stream);
    else if (is_mlp())
      ff::mlp_predict(mlp_, a, naive, max_predict, precision_, stream);
    else
      ff::cnn_predict(cnn_, a, naive, max_predict, precision_, stream);
  }

 private:
  ModelKind kind_;
  Precision precision_;  // the products' arithmetic (tensor cores unless fp32)
  ff::MlpDims mlp_;
  ff::CnnDims cnn_;
  rnn::RnnShape rnn_;
  int64_t nparam_ = 0;
};

// Device memory of one chunk.
struct ChunkBuffers {
  DeviceBuffer<float> tec, z, predicted, params, adam_m, adam_v, epoch_loss, step_loss, grad, acts,
      alpha, transposed;
  DeviceBuffer<double> mean, stdev, loss_sum;
  DeviceBuffer<int> train_targets, n_train_targets, predict_targets, n_predict, order, node_keys;
};

// The whole training of every node; keep_detail: also the trained weights and step losses.
CudaFfDetail train_feedforward(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                               const Cube& cube, const CudaTrainerOptions& o, Progress* progress,
                               bool keep_detail) {
  const auto wall_start = std::chrono::steady_clock::now();
  check_train_config(tc);
  const FfModel model(k, mc, tc.precision);
  const int64_t nnode = static_cast<int64_t>(cube.nnode()), T = static_cast<int64_t>(cube.ntime());
  if (cube.tec.size() != static_cast<size_t>(nnode * T))
    throw InputError("cube: tec has " + std::to_string(cube.tec.size()) +
                     " values, expected nodes x epochs = " + std::to_string(nnode) + " x " +
                     std::to_string(T));
  if (T > std::numeric_limits<int>::max() / 4)
    throw InputError("cube: " + std::to_string(T) + " epochs is more than the GPU trainer handles");
  if (!cube.rng_node_keys.empty() && cube.rng_node_keys.size() != static_cast<size_t>(nnode))
    throw InputError("cube: " + std::to_string(cube.rng_node_keys.size()) +
                     " random-stream keys for " + std::to_string(nnode) +
                     " nodes (expected none or one per node)");
  const CudaContextLease context(o.device);  // this training's stream; makes the device current
  const cudaStream_t stream = context->stream;

  const int L = model.input_len(), E = tc.epochs, B = tc.batch;
  const int64_t P = model.nparam();
  const int n_train = train_split(tc.train_fraction, static_cast<int>(T));
  // Upper bound of any node's Adam steps: its training targets are in [L, n_train) outside
  // the held-out range.
  const int64_t train_end = std::min<int64_t>(n_train, T);
  const int64_t held_out = std::max<int64_t>(
      0, std::min<int64_t>(tc.holdout.end, train_end) - std::max<int64_t>(tc.holdout.begin, L));
  const int64_t max_train = std::max<int64_t>(0, train_end - L - held_out);
  const int64_t max_steps64 = int64_t(E) * ((max_train + B - 1) / B);
  if (max_steps64 > std::numeric_limits<int>::max())
    throw InputError("[train] epochs x minibatches exceeds 2^31 steps");
  const int max_steps = static_cast<int>(max_steps64);

  const int64_t smem = model.fast_smem_bytes(B);
  const int64_t smem_limit = ff::max_optin_smem(o.device);
  // A minibatch beyond shared memory: the naive kernels for MLP and CNN; the recurrent models'
  // fast kernels carve their activations from global memory instead (all but SimpleRNN-100).
  const bool too_big = smem > smem_limit;
  const bool naive = o.kernel == FfKernel::kNaive || (too_big && !model.is_recurrent());
  const bool acts_in_global = !naive && too_big;
  if (naive && tc.precision != Precision::kFp32)
    throw InputError(std::string(model_name(k)) + " on the GPU in precision " +
                     precision_name(tc.precision) +
                     ": only the fast kernels have tensor-core products, and a minibatch does "
                     "not fit in a block's shared memory (lower [train] batch or the model's "
                     "size, or use [train] precision = \"fp32\")");
  if (naive && o.kernel == FfKernel::kFast && o.verbose)
    std::fprintf(stderr,
                 "note: %s on the GPU: a minibatch needs %lld bytes of shared memory, the device "
                 "has %lld per block; using the slower naive kernels (lower [train] batch or "
                 "[model] %s to use the fast ones)\n",
                 model_name(k), static_cast<long long>(smem), static_cast<long long>(smem_limit),
                 model.size_key());
  const int64_t acts_per_node = naive            ? model.naive_acts_floats(B)
                                : acts_in_global ? smem / int64_t(sizeof(float))
                                                 : 0;
  const int64_t transposed_per_node = naive ? 0 : model.transposed_size();

  // Nodes per chunk: what fits in this training's share of the free memory (device_memory_share:
  // ~70 %, split between the trainings that run at once), or the user's cap.
  const int64_t per_node_bytes =
      4 * (6 * T + 3 * P + E + max_steps + (naive ? P : 0) + acts_per_node + transposed_per_node) +
      3 * 8 + 2 * 4;
  size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const int64_t budget =
      static_cast<int64_t>(device_memory_share(free_bytes, CudaContextLease::held(o.device))) -
      4 * int64_t(max_steps);
  int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(nnode, budget / per_node_bytes));
  if (o.node_chunk > 0) chunk = std::min<int64_t>(chunk, static_cast<int64_t>(o.node_chunk));
  if (chunk < nnode && o.node_chunk == 0 && o.verbose)
    std::fprintf(stderr, "note: %s on the GPU in chunks of %lld nodes (device memory)\n",
                 model_name(k), static_cast<long long>(chunk));

  CudaFfDetail detail;
  ModelRun& run = detail.run;
  run.kind = k;
  run.nnode = static_cast<size_t>(nnode);
  run.ntime = static_cast<size_t>(T);
  run.predicted.assign(static_cast<size_t>(nnode * T), kNaN);
  run.epoch_loss.assign(static_cast<size_t>(nnode * E), kNaN);
  run.device = cuda_device_description(o.device);
  run.stop_epoch.assign(static_cast<size_t>(nnode), 0);
  if (tc.keep_params) run.params.resize(static_cast<size_t>(nnode * P));
  detail.max_steps = max_steps;
  if (keep_detail) {
    detail.params.resize(static_cast<size_t>(nnode * P));
    detail.step_loss.assign(static_cast<size_t>(nnode * max_steps), kNaN);
  }
  detail.used_fast_kernel = !naive;

  ChunkBuffers b;
  std::vector<float> alpha(static_cast<size_t>(max_steps));
  for (int t = 1; t <= max_steps; ++t) alpha[t - 1] = adam_alpha(tc.adam, t);
  b.alpha.upload(alpha, stream);
  long progress_done = 0;

  for (int64_t first = 0; first < nnode; first += chunk) {
    const int count = static_cast<int>(std::min(chunk, nnode - first));
    const int64_t cells = int64_t(count) * T;
    b.tec.upload(cube.tec.data() + first * T, static_cast<size_t>(cells), stream);
    b.z.resize(cells);
    b.mean.resize(count);
    b.stdev.resize(count);
    b.train_targets.resize(cells);
    b.n_train_targets.resize(count);
    b.predict_targets.resize(cells);
    b.n_predict.resize(count);
    b.order.resize(cells);
    ff::SeriesArgs s;
    s.nnode = count;
    s.ntime = static_cast<int>(T);
    s.input_len = L;
    s.n_train = n_train;
    s.tec = b.tec.data();
    s.z = b.z.data();
    s.mean = b.mean.data();
    s.std = b.stdev.data();
    s.train_targets = b.train_targets.data();
    s.n_train_targets = b.n_train_targets.data();
    s.predict_targets = b.predict_targets.data();
    s.n_predict = b.n_predict.data();
    s.holdout_begin = tc.holdout.begin;
    s.holdout_end = tc.holdout.end;
    ff::launch_windows(s, stream);

    std::vector<int> keys(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) keys[i] = cube.rng_node(static_cast<size_t>(first + i));
    b.node_keys.upload(keys, stream);
    std::vector<float> init(static_cast<size_t>(count * P));
    // On every host thread: the recurrent models' orthogonal kernels take a QR each (the paper's
    // LSTM: about 12 ms per node on one core).
    parallel_for(static_cast<size_t>(count), 0, [&](size_t i) {
      init_parameters(k, mc, tc.seed, static_cast<uint64_t>(keys[i]), init.data() + i * P);
    });
    b.params.upload(init, stream);
    b.adam_m.resize(count * P);
    b.adam_m.fill_zero(stream);
    b.adam_v.resize(count * P);
    b.adam_v.fill_zero(stream);
    b.epoch_loss.resize(int64_t(count) * E);
    ff::launch_fill(b.epoch_loss.data(), int64_t(count) * E, kNaN, stream);
    b.step_loss.resize(int64_t(count) * max_steps);
    ff::launch_fill(b.step_loss.data(), int64_t(count) * max_steps, kNaN, stream);
    b.predicted.resize(cells);
    ff::launch_fill(b.predicted.data(), cells, kNaN, stream);
    if (naive) {
      b.grad.resize(count * P);
      b.loss_sum.resize(count);
    } else {
      b.transposed.resize(count * transposed_per_node);
    }
    if (acts_per_node > 0) b.acts.resize(count * acts_per_node);

    ff::TrainArgs a;
    a.s = s;
    a.batch = B;
    a.epochs = E;
    a.max_steps = max_steps;
    a.node_keys = b.node_keys.data();
    a.shuffle_seed = tc.seed;
    a.kind = static_cast<uint64_t>(k);
    a.nparam = P;
    a.params = b.params.data();
    a.adam_m = b.adam_m.data();
    a.adam_v = b.adam_v.data();
    a.order = b.order.data();
    a.epoch_loss = b.epoch_loss.data();
    a.step_loss = max_steps > 0 ? b.step_loss.data() : nullptr;
    a.predicted = b.predicted.data();
    a.transposed = b.transposed.data();
    a.adam.alpha = b.alpha.data();
    a.adam.beta1 = tc.adam.beta1;
    a.adam.beta2 = tc.adam.beta2;
    a.adam.eps = tc.adam.eps;
    a.grad = b.grad.data();
    a.acts = b.acts.data();
    a.acts_per_node = acts_per_node;
    a.loss_sum = b.loss_sum.data();

    // Launch counts of the naive path (two small downloads per chunk, not per step).
    const std::vector<int> n_train_targets = b.n_train_targets.download(stream);
    const std::vector<int> n_predict = b.n_predict.download(stream);
    int max_batches = 0, max_predict = 0;
    for (int i = 0; i < count; ++i) {
      max_batches = std::max(max_batches, (n_train_targets[i] + B - 1) / B);
      max_predict = std::max(max_predict, n_predict[i]);
      run.stop_epoch[static_cast<size_t>(first + i)] = n_train_targets[i] > 0 ? E : 0;
    }

    // Marks: 0 before the first epoch, e + 1 after epoch e, E + 1 after the predictions.
    EventMarks marks(stream, E + 2);
    int reported = 0;                     // epochs whose completion the progress bar has seen
    auto report = [&](int epochs_done) {  // whole nodes of this chunk, in proportion
      reported = epochs_done;
      const long target = static_cast<long>(first + int64_t(count) * epochs_done / E);
      if (progress) progress->advance(target - progress_done);
      progress_done = target;
    };
    marks.record(0);
    for (int e = 0; e < E; ++e) {
      ff::launch_shuffle(a, e, naive, stream);
      model.train_epoch(a, e, naive, acts_in_global, max_batches, stream);
      marks.record(e + 1);
      while (reported < e + 1 && marks.done(reported + 1)) report(reported + 1);
    }
    model.predict(a, naive, acts_in_global, max_predict, stream);
    marks.record(E + 1);
    for (int e = reported; e < E; ++e) {  // the end of training: the rest in order
      marks.wait(e + 1);
      report(e + 1);
    }
    marks.wait(E + 1);
    detail.train_kernel_seconds += marks.seconds(0, E);
    detail.predict_kernel_seconds += marks.seconds(E, E + 1);

    const std::vector<float> pred = b.predicted.download(stream);
    std::copy(pred.begin(), pred.end(), run.predicted.begin() + first * T);
    const std::vector<float> loss = b.epoch_loss.download(stream);
    std::copy(loss.begin(), loss.end(), run.epoch_loss.begin() + first * E);
    if (keep_detail || tc.keep_params) {
      const std::vector<float> params = b.params.download(stream);  // model.hpp's layout (FfModel)
      if (keep_detail) std::copy(params.begin(), params.end(), detail.params.begin() + first * P);
      if (tc.keep_params) std::copy(params.begin(), params.end(), run.params.begin() + first * P);
    }
    if (keep_detail && max_steps > 0) {
      const std::vector<float> steps = b.step_loss.download(stream);
      std::copy(steps.begin(), steps.end(), detail.step_loss.begin() + first * max_steps);
    }
  }

  run.train_rmse.resize(static_cast<size_t>(nnode));
  run.test_rmse.resize(static_cast<size_t>(nnode));
  const int split = static_cast<int>(std::min<int64_t>(n_train, T));
  for (int64_t n = 0; n < nnode; ++n) {
    const float* pred = run.predicted.data() + n * T;
    run.train_rmse[n] = prediction_rmse(pred, cube.node_tec(n), 0, split);
    run.test_rmse[n] = prediction_rmse(pred, cube.node_tec(n), split, static_cast<int>(T));
  }
  run.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return detail;
}

}  // namespace

CudaFfDetail cuda_ff_train_detail(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                  const Cube& cube, const CudaTrainerOptions& options,
                                  Progress* progress) {
  return train_feedforward(k, mc, tc, cube, options, progress, true);
}

std::vector<float> cuda_ff_forward(ModelKind k, const ModelConfig& mc,
                                   const std::vector<float>& params, const std::vector<float>& x,
                                   int nnode, int nsample, int batch, FfKernel kernel, int device) {
  const FfModel model(k, mc);
  const int L = model.input_len();
  const int64_t P = model.nparam();
  if (nnode < 1 || nsample < 1 || batch < 1 || params.size() != static_cast<size_t>(nnode * P) ||
      x.size() != static_cast<size_t>(int64_t(nnode) * nsample * L))
    throw std::invalid_argument("cuda_ff_forward: params must be [node][" + std::to_string(P) +
                                "], x [node][sample][" + std::to_string(L) + "]");
  const CudaContextLease context(device);
  const cudaStream_t stream = context->stream;
  const bool naive = kernel == FfKernel::kNaive;
  const bool too_big = model.fast_smem_bytes(batch) > ff::max_optin_smem(device);
  if (!naive && too_big && !model.is_recurrent())
    throw std::invalid_argument("cuda_ff_forward: the fast kernel's minibatch does not fit");
  const bool acts_in_global = !naive && too_big;

  // Sample s of a node is target (s + 1) * L of a series holding the samples back to back,
  // with mean 0 and std 1: the prediction kernels then return the raw outputs.
  const int T = nsample * L + 1;
  const int64_t cells = int64_t(nnode) * T;
  std::vector<float> z(static_cast<size_t>(cells), 0.0f);
  std::vector<int> targets(static_cast<size_t>(cells), 0);
  for (int n = 0; n < nnode; ++n)
    for (int s = 0; s < nsample; ++s) {
      targets[int64_t(n) * T + s] = (s + 1) * L;
      for (int i = 0; i < L; ++i)
        z[int64_t(n) * T + s * L + i] = x[(int64_t(n) * nsample + s) * L + i];
    }
  ChunkBuffers b;
  b.z.upload(z, stream);
  b.mean.upload(std::vector<double>(nnode, 0.0), stream);
  b.stdev.upload(std::vector<double>(nnode, 1.0), stream);
  b.train_targets.upload(targets, stream);
  b.n_train_targets.upload(std::vector<int>(nnode, 1), stream);  // "trained": predictions are made
  b.n_predict.upload(std::vector<int>(nnode, nsample), stream);
  b.params.upload(params, stream);
  b.predicted.resize(cells);
  ff::launch_fill(b.predicted.data(), cells, kNaN, stream);
  const int64_t acts_per_node = naive ? model.naive_acts_floats(batch)
                                : acts_in_global
                                    ? model.fast_smem_bytes(batch) / int64_t(sizeof(float))
                                    : 0;
  if (acts_per_node > 0) b.acts.resize(nnode * acts_per_node);

  ff::TrainArgs a;
  a.s.nnode = nnode;
  a.s.ntime = T;
  a.s.input_len = L;
  a.s.n_train = T;
  a.s.z = b.z.data();
  a.s.mean = b.mean.data();
  a.s.std = b.stdev.data();
  a.s.train_targets = b.train_targets.data();
  a.s.n_train_targets = b.n_train_targets.data();
  a.s.predict_targets = b.train_targets.data();
  a.s.n_predict = b.n_predict.data();
  a.batch = batch;
  a.nparam = P;
  a.params = b.params.data();
  a.predicted = b.predicted.data();
  a.acts = b.acts.data();
  a.acts_per_node = acts_per_node;
  model.predict(a, naive, acts_in_global, nsample, stream);

  const std::vector<float> predicted = b.predicted.download(stream);
  std::vector<float> y(static_cast<size_t>(nnode) * nsample);
  for (int n = 0; n < nnode; ++n)
    for (int s = 0; s < nsample; ++s)
      y[int64_t(n) * nsample + s] = predicted[int64_t(n) * T + (s + 1) * L];
  return y;
}

namespace {

// The Trainer over train_feedforward: the feed-forward models (cuda-ff) or, with --rnn-impl
// block, the recurrent ones (cuda-rnn-block). `reason` says why it does not take a model ("" when
// it does); a model of its own GPU path that it cannot take gets a note on stderr (verbose).
class CudaPersistentTrainer final : public Trainer {
 public:
  using Reason = std::string (*)(ModelKind, const ModelConfig&);
  CudaPersistentTrainer(const CudaTrainerOptions& o, const char* name, GpuPath path, Reason reason)
      : options_(o), name_(name), path_(path), reason_(reason) {}
  std::string name() const override { return name_; }
  bool supports(ModelKind k, const ModelConfig& mc) const override {
    const std::string why = reason_(k, mc);
    if (!why.empty() && options_.verbose && model_entry(k).gpu == path_)
      std::fprintf(stderr, "note: %s\n", why.c_str());
    return why.empty();
  }
  // No early stopping: the composite trainer sends such runs to the CPU.
  bool supports_train(const TrainConfig& tc) const override { return tc.patience == 0; }
  // Every precision (tensor cores, kernels/mma.cuh).
  bool supports_precision(ModelKind, Precision) const override { return true; }
  // Each train() leases its own stream (cuda_context.hpp) and shares nothing else: the scan's
  // networks train at once, filling the device the small models leave idle.
  bool thread_safe() const override { return true; }
  bool prefers_concurrent_models() const override { return true; }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    // The other path's models are not this trainer's, though train_feedforward runs both.
    if (model_entry(k).gpu != path_) throw std::invalid_argument(reason_(k, mc));
    return train_feedforward(k, mc, tc, cube, options_, progress, false).run;
  }

 private:
  CudaTrainerOptions options_;
  const char* name_;
  GpuPath path_;
  Reason reason_;
};

}  // namespace

std::string cuda_ff_unsupported_reason(ModelKind k, const ModelConfig& mc) {
  if (!is_feedforward(k))
    return std::string("the GPU feed-forward trainer has no ") + model_name(k);
  try {
    const FfModel model(k, mc);
    const int64_t bytes = model.fast_smem_bytes(32);
    if (bytes > ff::kMaxSmemBytes)
      return std::string(model_name(k)) + " on the GPU: a minibatch of 32 needs " +
             std::to_string(bytes / 1024) + " KiB of shared memory per node, more than a thread " +
             "block has (" + std::to_string(ff::kMaxSmemBytes / 1024) + " KiB); lower [model] " +
             model.size_key() + " or train it on the CPU";
  } catch (const InputError& e) {
    return e.what();  // train() on any backend reports the same problem
  }
  return "";
}

std::unique_ptr<Trainer> make_cuda_feedforward_trainer(const CudaTrainerOptions& options) {
  return std::make_unique<CudaPersistentTrainer>(options, "cuda-ff", GpuPath::kFeedForward,
                                                 cuda_ff_unsupported_reason);
}

// ---- the recurrent models on the same driver (--rnn-impl block) --------------------------------

std::string rnn_block_unsupported_reason(ModelKind k, const ModelConfig& mc) {
  if (!is_block_recurrent(k))
    return std::string("the GPU block recurrent trainer has no ") + model_name(k) +
           " (the recurrent models only)";
  try {
    const FfModel model(k, mc);
  } catch (const InputError& e) {
    return e.what();  // e.g. GRU with reset_after = false
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

std::unique_ptr<Trainer> make_cuda_recurrent_block_trainer(const CudaTrainerOptions& options) {
  return std::make_unique<CudaPersistentTrainer>(options, "cuda-rnn-block", GpuPath::kRecurrent,
                                                 rnn_block_unsupported_reason);
}

}  // namespace tecscan
