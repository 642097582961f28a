// Per-node preparation on the device, exactly as make_windows and train_node (train.hpp) do it
// on the CPU: normalisation and usable targets (windowing.hpp's rules, shared with
// make_windows), the per-epoch shuffle, minibatch gathering, the loss bookkeeping and the naive
// (one thread per node / parameter) building blocks shared by the feed-forward models. Everything
// here is __host__ __device__ so the host tests run it.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "adam_kernels.cuh"
#include "block.cuh"
#include "tecscan/rng.hpp"
#include "tecscan/windowing.hpp"

namespace tecscan {
namespace ff {

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// The series of one chunk of nodes (device pointers; host pointers in the host tests).
struct SeriesArgs {
  int nnode = 0, ntime = 0;
  int input_len = 0;               // L: inputs per prediction
  int n_train = 0;                 // floor(train_fraction * ntime): first index of the test part
  const float* tec = nullptr;      // [node][ntime] TECU, NaN = missing
  float* z = nullptr;              // [node][ntime] normalised, NaN = missing
  double* mean = nullptr;          // [node]
  double* std = nullptr;           // [node]
  int* train_targets = nullptr;    // [node][ntime] ascending, first n_train_targets[node] used
  int* n_train_targets = nullptr;  // [node]
  int* predict_targets = nullptr;  // [node][ntime] ascending, first n_predict[node] used
  int* n_predict = nullptr;        // [node]
  // TrainConfig::holdout: targets in [holdout_begin, holdout_end) are never training targets.
  int holdout_begin = 0, holdout_end = 0;
};

// Training state of one chunk of nodes. Parameter-sized arrays are [node][nparam].
struct TrainArgs {
  SeriesArgs s;
  int batch = 32, epochs = 1, max_steps = 0;
  const int* node_keys = nullptr;  // [node]: the key of each node's shuffles (Cube::rng_node)
  uint64_t shuffle_seed = 0;       // TrainConfig::seed
  uint64_t kind = 0;               // ModelKind
  int64_t nparam = 0;
  float* params = nullptr;
  float* adam_m = nullptr;
  float* adam_v = nullptr;
  int* order = nullptr;         // [node][ntime]: this epoch's permutation of the training targets
  float* epoch_loss = nullptr;  // [node][epochs], NaN unless trained
  float* step_loss = nullptr;   // [node][max_steps] or null: batch loss before each update
  float* predicted = nullptr;   // [node][ntime] TECU, NaN where no prediction
  float* transposed = nullptr;  // fast path: [node][model's transposed_size()]
  AdamArgs adam;
  // Scratch of the naive kernels only.
  float* grad = nullptr;  // [node][nparam]
  float* acts = nullptr;  // [node][acts_per_node]
  int64_t acts_per_node = 0;
  double* loss_sum = nullptr;  // [node]
};

// ---- make_windows on the device (one block per node) ---------------------------------------

// stats: block-shared scratch of 2 doubles. windowing.hpp's rules, as make_windows applies
// them: the moments serially (the CPU's summation order), z in parallel, the targets serially.
TECSCAN_HD inline void windows_block(const Block& blk, const SeriesArgs& a, int node,
                                     double* stats) {
  const int T = a.ntime, L = a.input_len;
  const float* tec = a.tec + static_cast<int64_t>(node) * T;
  float* z = a.z + static_cast<int64_t>(node) * T;
  blk.single([&] {
    const SeriesMoments moments = series_moments(tec, T);
    a.mean[node] = moments.mean;
    a.std[node] = moments.stdev;
    stats[0] = moments.mean;
    stats[1] = normalisable(moments) ? moments.stdev : 0.0;  // 0: cannot normalise
  });
  blk.sync();
  const SeriesMoments moments{stats[0], stats[1]};
  const bool can_normalise = stats[1] > 0.0;
  blk.parallel_for(
      T, [&](int t) { z[t] = can_normalise ? normalised_value(tec[t], moments) : kNaNf; });
  blk.sync();
  blk.single([&] {
    int* train = a.train_targets + static_cast<int64_t>(node) * T;
    int* predict = a.predict_targets + static_cast<int64_t>(node) * T;
    int ntrain = 0, npredict = 0;
    if (can_normalise)
      for_each_target(z, T, L, a.n_train, a.holdout_begin, a.holdout_end, [&](int t, bool trains) {
        predict[npredict++] = t;
        if (trains) train[ntrain++] = t;
      });
    a.n_train_targets[node] = ntrain;
    a.n_predict[node] = npredict;
  });
  blk.sync();
}

// ---- the per-epoch shuffle -------------------------------------------------------------------

TECSCAN_HD inline uint64_t shuffle_key(const TrainArgs& a, int node) {
  return rng_key(a.shuffle_seed, static_cast<uint64_t>(a.node_keys[node]), a.kind, kRngShuffle);
}

// Naive: one thread per node runs rng.hpp's shuffle_epoch itself.
TECSCAN_HD inline void shuffle_naive_thread(const TrainArgs& a, int node, int epoch) {
  const int n = a.s.n_train_targets[node];
  int* order = a.order + static_cast<int64_t>(node) * a.s.ntime;
  for (int k = 0; k < n; ++k) order[k] = k;
  shuffle_epoch(shuffle_key(a, node), static_cast<uint64_t>(epoch), order, n);
}

// Fast: one block per node. The swap partner of position k does not depend on the array, so
// all threads draw them at once; only the swaps themselves run serially (in shared memory).
// work, swap_j: block scratch of ntime ints each.
TECSCAN_HD inline void shuffle_block(const Block& blk, const TrainArgs& a, int node, int epoch,
                                     int* work, int* swap_j) {
  const int n = a.s.n_train_targets[node];
  const uint64_t key = shuffle_key(a, node);
  const uint64_t base = static_cast<uint64_t>(epoch) << 32;
  blk.parallel_for(n, [&](int k) {
    work[k] = k;
    if (k > 0)
      swap_j[k] = static_cast<int>(rng_u64(key, base + static_cast<uint64_t>(k)) %
                                   static_cast<uint64_t>(k + 1));
  });
  blk.sync();
  blk.single([&] {
    for (int k = n - 1; k > 0; --k) {
      const int j = swap_j[k], t = work[k];
      work[k] = work[j];
      work[j] = t;
    }
  });
  blk.sync();
  int* order = a.order + static_cast<int64_t>(node) * a.s.ntime;
  blk.parallel_for(n, [&](int k) { order[k] = work[k]; });
  blk.sync();
}

// ---- minibatches -----------------------------------------------------------------------------

// The minibatch `bi` of this epoch for a node: samples [bi * batch, bi * batch + count).
struct BatchSlot {
  int count = 0;  // 0: the node has no such batch
  long step = 0;  // Adam step t (1-based), counting minibatches across epochs
};
TECSCAN_HD inline BatchSlot batch_slot(const TrainArgs& a, int node, int epoch, int bi) {
  BatchSlot s;
  const int n = a.s.n_train_targets[node];
  const int nb = ceil_div(n, a.batch);
  if (bi >= nb) return s;
  s.count = n - bi * a.batch < a.batch ? n - bi * a.batch : a.batch;
  s.step = static_cast<long>(epoch) * nb + bi + 1;
  return s;
}

// Target time of sample b of training minibatch bi (in this epoch's order).
TECSCAN_HD inline int train_target(const TrainArgs& a, int node, int bi, int b) {
  const int64_t row = static_cast<int64_t>(node) * a.s.ntime;
  return a.s.train_targets[row + a.order[row + bi * a.batch + b]];
}

// x = z[t - L .. t - 1] of node's series.
TECSCAN_HD inline void gather_inputs(const SeriesArgs& s, int node, int t, float* x) {
  const float* z = s.z + static_cast<int64_t>(node) * s.ntime;
  for (int i = 0; i < s.input_len; ++i) x[i] = z[t - s.input_len + i];
}

TECSCAN_HD inline float target_value(const SeriesArgs& s, int node, int t) {
  return s.z[static_cast<int64_t>(node) * s.ntime + t];
}

TECSCAN_HD inline float denormalise(const SeriesArgs& s, int node, float y) {
  return static_cast<float>(static_cast<double>(y) * s.std[node] + s.mean[node]);
}

// Squared errors of a batch, summed in sample order in double as train_node does; returns the
// batch loss (mean) for the step log.
TECSCAN_HD inline void account_batch_loss(const TrainArgs& a, int node, const BatchSlot& slot,
                                          const float* y, const float* target, double* loss_sum) {
  double batch_sum = 0;
  for (int b = 0; b < slot.count; ++b) {
    const float e = y[b] - target[b];
    batch_sum += static_cast<double>(e) * e;
  }
  *loss_sum += batch_sum;
  if (a.step_loss && slot.step <= a.max_steps)
    a.step_loss[static_cast<int64_t>(node) * a.max_steps + slot.step - 1] =
        static_cast<float>(batch_sum / slot.count);
}

TECSCAN_HD inline float loss_gradient(float y, float target, int count) {
  return 2.0f * (y - target) / static_cast<float>(count);
}

// Naive Adam: one thread per (node, parameter), after the gradient kernel.
TECSCAN_HD inline void adam_naive_thread(const TrainArgs& a, int node, int64_t p, int epoch,
                                         int bi) {
  const BatchSlot slot = batch_slot(a, node, epoch, bi);
  if (slot.count == 0) return;
  const int64_t i = static_cast<int64_t>(node) * a.nparam + p;
  adam_param(a.params, a.adam_m, a.adam_v, i, a.grad[i], a.adam.alpha[slot.step - 1], a.adam);
}

}  // namespace ff
}  // namespace tecscan

#if defined(__CUDACC__)
namespace tecscan {
namespace ff {
// Launchers (kernels/window_kernels.cu), queued on `stream`.
void launch_windows(const SeriesArgs& s, GpuStream stream);
// The fast shuffle (block per node, shared memory) when two ints per epoch fit in a block's
// shared memory, else (or when naive) one thread per node.
void launch_shuffle(const TrainArgs& a, int epoch, bool naive, GpuStream stream);
void launch_fill(float* p, int64_t n, float value, GpuStream stream);
// The most dynamic shared memory a block may opt into on `device` (-1: the current one).
int max_optin_smem(int device = -1);
}  // namespace ff
}  // namespace tecscan
#endif
