// The recurrent-model training loop of the CUDA Trainer (cuda/rnn_trainer.cu), written once for
// both back ends of kernels/rnn_kernels.cuh: DeviceOps on the GPU and HostOps on the CPU, so the
// host tests (tests/thrust/test_rnn_host.cpp, built by g++) run the very loop the GPU runs,
// including the CUDA-graph capture and replay of whole epochs.
//
// For each chunk of nodes the epochs of train_node run in lock step: shuffle, gather, forward,
// backward, Adam for every node per launch; a node whose epoch has fewer minibatches sits out the
// remaining steps (count 0: no update, no Adam step). Every node's random streams (initial
// weights, shuffles) are keyed by Cube::rng_node, so a node's results do not depend on the
// other nodes it is trained with.
//
// What differs between epochs comes from device memory, never from launch arguments (the epoch
// index is a device counter advanced by a one-thread launch at the end of each epoch, Adam's
// step counts are per node on the device), so the eager loop and a captured epoch replayed run
// identical launches with identical arguments: bit-identical results.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rnn_kernels.cuh"
#include "tecscan/cube.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"
#include "tecscan/windowing.hpp"
#include "window_kernels.cuh"

namespace tecscan {

namespace rnn {

using ff::SeriesArgs;  // the feed-forward trainer's make_windows, shared

// ---- element functors of the training loop ------------------------------------------------------

// This epoch's order of every node's training targets (rng.hpp, as train_node); the epoch is
// read from the device counter.
struct Shuffle {
  const int* ntrain;
  int* perm;
  int ntime;
  const int* node_key;  // [node]: Cube::rng_node
  const int* epoch;     // device counter
  uint64_t seed, kind;
  TECSCAN_HD void operator()(long long n) const {
    const int cnt = ntrain[n];
    int* p = perm + n * ntime;
    for (int i = 0; i < cnt; ++i) p[i] = i;
    shuffle_epoch(rng_key(seed, static_cast<uint64_t>(node_key[n]), kind, kRngShuffle),
                  static_cast<uint64_t>(*epoch), p, cnt);
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
  int epochs;
  const int* epoch;  // device counter
  TECSCAN_HD void operator()(long long n) const {
    const int cnt = ntrain[n];
    epoch_loss[n * epochs + *epoch] = cnt > 0 ? static_cast<float>(loss_sum[n] / cnt) : ff::kNaNf;
    loss_sum[n] = 0;
  }
};

// The last launch of an epoch (one thread).
struct AdvanceEpoch {
  int* epoch;
  TECSCAN_HD void operator()(long long) const { ++*epoch; }
};

struct FillNaN {
  float* p;
  TECSCAN_HD void operator()(long long i) const { p[i] = ff::kNaNf; }
};

#if defined(__CUDACC__)  // (one nvcc translation unit includes this header: rnn_trainer.cu)
__global__ void windows_kernel(SeriesArgs a) {
  __shared__ double stats[2];
  ff::windows_block(ff::Block{}, a, static_cast<int>(blockIdx.x), stats);
}
#endif

// make_windows for every node of the chunk (one block per node on the GPU).
template <typename Ops>
void run_windows(Ops& ops, const SeriesArgs& a) {
  if constexpr (Ops::kOnDevice) {
#if defined(__CUDACC__)
    windows_kernel<<<a.nnode, 128, 0, ops.stream()>>>(a);
    CUDA_CHECK_LAUNCH();
#endif
  } else {
    (void)ops;
    double stats[2];
    for (int n = 0; n < a.nnode; ++n) ff::windows_block(ff::Block{}, a, n, stats);
  }
}

// Cube::rng_node_keys is empty or one key per node (InputError otherwise).
inline void check_node_keys(const Cube& cube) {
  if (!cube.rng_node_keys.empty() && cube.rng_node_keys.size() != cube.nnode())
    throw InputError("cube: " + std::to_string(cube.rng_node_keys.size()) +
                     " random-stream keys for " + std::to_string(cube.nnode()) +
                     " nodes (expected none or one per node)");
}

// How the loop runs, decided by the caller (device memory, cuDNN, options).
struct TrainingPlan {
  int chunk_nodes = 1;       // nodes per chunk
  bool cuda_graphs = false;  // capture one epoch per chunk, replay it (fused path only)
  std::string device_label;
  // The external recurrent layer for a chunk of `nnode` nodes and minibatches of `batch`, or
  // null for the fused recurrence.
  std::function<std::unique_ptr<RecurrentLayer>(int nnode, int batch)> external;
};

template <typename Ops>
class CubeTraining {
 public:
  template <typename T>
  using Buf = typename Ops::template Buffer<T>;
  using Clock = std::chrono::steady_clock;

  CubeTraining(Ops& ops, const TrainingPlan& plan, ModelKind k, const ModelConfig& mc,
               const TrainConfig& tc, const Cube& cube, Progress* progress, RnnTiming* times)
      : ops_(ops),
        plan_(plan),
        k_(k),
        mc_(mc),
        tc_(tc),
        cube_(cube),
        progress_(progress),
        times_(times),
        s_(make_rnn_shape(k, mc)) {}

  ModelRun run() {
    check_node_keys(cube_);
    const auto start = Clock::now();
    const int N = static_cast<int>(cube_.nnode()), T = static_cast<int>(cube_.ntime());
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ModelRun r;
    r.kind = k_;
    r.nnode = cube_.nnode();
    r.ntime = cube_.ntime();
    r.predicted.assign(r.nnode * r.ntime, nan);
    r.epoch_loss.assign(r.nnode * static_cast<size_t>(tc_.epochs), nan);
    r.train_rmse.assign(r.nnode, std::numeric_limits<double>::quiet_NaN());
    r.test_rmse = r.train_rmse;
    r.stop_epoch.assign(r.nnode, 0);
    if (tc_.keep_params) r.params.resize(r.nnode * static_cast<size_t>(s_.nparam));
    if (times_) {
      *times_ = RnnTiming();
      times_->epoch_s.assign(static_cast<size_t>(tc_.epochs), 0.0);
    }
    const int chunk = std::max(1, plan_.chunk_nodes);
    for (int n0 = 0; n0 < N; n0 += chunk) train_chunk(n0, std::min(chunk, N - n0), &r);
    const int n_train = train_split(tc_.train_fraction, T);
    for (int n = 0; n < N; ++n) {
      const float* pred = r.predicted.data() + static_cast<size_t>(n) * T;
      r.train_rmse[n] = prediction_rmse(pred, cube_.node_tec(n), 0, std::min(n_train, T));
      r.test_rmse[n] = prediction_rmse(pred, cube_.node_tec(n), std::min(n_train, T), T);
    }
    r.device = plan_.device_label;
    r.train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
  }

 private:
  void train_chunk(int n0, int nc, ModelRun* r) {
    const auto t_setup = Clock::now();
    const int T = static_cast<int>(cube_.ntime()), B = tc_.batch, E = tc_.epochs;
    const int L = s_.input_len;
    const size_t NT = static_cast<size_t>(nc) * T;
    Buf<float> tec, z, predicted, epoch_loss;
    Buf<double> mean, stdev;
    Buf<int> train_t, predict_t, perm, ntrain, npredict, node_key, epoch;
    for (Buf<float>* b : {&tec, &z, &predicted}) b->resize(NT);
    for (Buf<int>* b : {&train_t, &predict_t, &perm}) b->resize(NT);
    epoch_loss.resize(static_cast<size_t>(nc) * E);
    for (Buf<double>* b : {&mean, &stdev}) b->resize(nc);
    for (Buf<int>* b : {&ntrain, &npredict, &node_key}) b->resize(nc);
    epoch.resize(1);
    std::vector<int> keys(static_cast<size_t>(nc));
    for (int i = 0; i < nc; ++i) keys[i] = cube_.rng_node(static_cast<size_t>(n0 + i));
    ops_.to_device(node_key.data(), keys.data(), keys.size());
    ops_.to_device(tec.data(), cube_.tec.data() + static_cast<size_t>(n0) * T, NT);
    ops_.zero(epoch.data(), 1);
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
      if (times_) times_->train_samples += ntrain_h[n];
      r->stop_epoch[static_cast<size_t>(n0 + n)] = ntrain_h[n] > 0 ? E : 0;
    }

    std::unique_ptr<RecurrentLayer> external = plan_.external ? plan_.external(nc, B) : nullptr;
    RnnEngine<Ops> engine(ops_, s_, nc, B, external.get());
    engine.reset_optimizer(tc_.adam);
    // Every step's Adam step size up front: the same table (and pointer) eager or captured.
    engine.reserve_steps(std::max<long>(1, static_cast<long>(E) * max_train_batches));
    {
      std::vector<float> init(static_cast<size_t>(nc) * s_.nparam);
      parallel_for(keys.size(), 0, [&](size_t i) {  // a QR per orthogonal recurrent kernel
        init_parameters(k_, mc_, tc_.seed, static_cast<uint64_t>(keys[i]),
                        init.data() + i * s_.nparam);
      });
      ops_.to_device(engine.params(), init.data(), init.size());
    }
    if (times_) times_->setup_s += std::chrono::duration<double>(Clock::now() - t_setup).count();

    // Marks: 0 before the first epoch, e + 1 after epoch e, E + 1 after the predictions.
    typename Ops::Marks marks(ops_, E + 2);
    marks.record(0);
    auto one_epoch = [&] {
      ops_.for_each(nc, Shuffle{ntrain.data(), perm.data(), T, node_key.data(), epoch.data(),
                                tc_.seed, static_cast<uint64_t>(k_)});
      for (int slot = 0; slot < max_train_batches; ++slot) {
        ops_.for_each(static_cast<long long>(nc) * B,
                      Gather{B, slot, T, L, z.data(), train_t.data(), ntrain.data(), ntrain.data(),
                             perm.data(), engine.input(), engine.target(), engine.count()});
        engine.forward();
        engine.backward();
        engine.adam_step();
      }
      ops_.for_each(
          nc, EpochLoss{ntrain.data(), engine.loss_sum(), epoch_loss.data(), E, epoch.data()});
      ops_.for_each(1, AdvanceEpoch{epoch.data()});
    };
    // cuDNN's calls run on their own streams: only the fused path is captured.
    const bool graphs = plan_.cuda_graphs && !external;
    std::optional<typename Ops::Graph> graph;
    int reported = 0;  // epochs whose completion the progress bar has seen
    long advanced = 0;
    auto report = [&](int epochs_done) {
      reported = epochs_done;
      const long target = static_cast<long>(nc) * epochs_done / E;
      if (progress_) progress_->advance(target - advanced);
      advanced = target;
    };
    for (int e = 0; e < E; ++e) {
      if (graphs) {
        if (!graph) graph.emplace(ops_.capture(one_epoch));
        ops_.replay(*graph);
      } else {
        one_epoch();
      }
      marks.record(e + 1);
      // Epochs the device has finished, polled: no synchronisation while training.
      while (reported < e + 1 && marks.done(reported + 1)) report(reported + 1);
    }
    for (int e = reported; e < E; ++e) {  // the end of training: wait for the rest in order
      marks.wait(e + 1);
      report(e + 1);
    }

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
    marks.record(E + 1);
    ops_.to_host(r->predicted.data() + static_cast<size_t>(n0) * T, predicted.data(), NT);
    ops_.to_host(r->epoch_loss.data() + static_cast<size_t>(n0) * E, epoch_loss.data(),
                 static_cast<size_t>(nc) * E);
    if (tc_.keep_params)  // the engine keeps model.hpp's layout, [node][P]
      ops_.to_host(r->params.data() + static_cast<size_t>(n0) * s_.nparam, engine.params(),
                   static_cast<size_t>(nc) * s_.nparam);
    if (times_) {
      marks.wait(E + 1);
      for (int e = 0; e < E; ++e) times_->epoch_s[e] += marks.seconds(e, e + 1);
      times_->predict_s += marks.seconds(E, E + 1);
    }
  }

  Ops& ops_;
  const TrainingPlan& plan_;
  ModelKind k_;
  const ModelConfig& mc_;
  const TrainConfig& tc_;
  const Cube& cube_;
  Progress* progress_;
  RnnTiming* times_;
  RnnShape s_;
};

}  // namespace rnn
}  // namespace tecscan
