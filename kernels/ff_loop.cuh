// The per-node training and prediction loops of train_node (src/cpu/train.cpp), written once for
// any feed-forward model policy M (MlpModel, CnnModel):
//  - fast: one thread block per node runs a whole epoch (every minibatch: gather, forward, loss,
//    backward, fused gradient + Adam) with block-level syncs between layers;
//  - naive: one launch per stage and minibatch, one thread per (node, sample) or (node,
//    parameter), every activation in global memory. Obviously correct; the fast path's check.
// A model policy provides: Acts (activation arrays of one minibatch, rows [batch][...]),
// carve(SmemCarver&, batch), input_len(), nparam(), forward(blk, P, acts, count),
// backward_adam(blk, P, m, v, wt, acts, count, alpha, adam), forward_sample(P, acts, b),
// backward_sample(P, acts, b), param_grad(P, acts, p, count), and for the fast path a
// transposed copy wt of the one kernel the backward pass reads across its rows
// (transposed_size(), transpose_weights(blk, P, wt)), which Adam keeps up to date (size 0 when
// none). A fast path whose activations exceed shared memory carves them from a.acts instead
// (run_fast_epoch's acts_in_global: the recurrent models, recurrent_block.cuh).
#pragma once
#include <cstdint>

#include "window_kernels.cuh"

namespace tecscan {
namespace ff {

// ---- fast path: one block per node -----------------------------------------------------------

template <class M>
TECSCAN_HD int64_t fast_smem_bytes(const M& model, int batch) {
  SmemCarver carver(nullptr);
  model.carve(carver, batch);
  carver.template take<double>(1);
  return carver.bytes();
}

// Shared memory that holds a node's training state for an epoch when staged (train_epoch_block's
// `state`): its weights, both Adam moments and the transposed copy of the fast path.
template <class M>
TECSCAN_HD int64_t staged_state_bytes(const M& model) {
  SmemCarver carver(nullptr);
  for (int i = 0; i < 3; ++i) carver.template take<float>(model.nparam());
  carver.template take<float>(model.transposed_size());
  return carver.bytes();
}

// One epoch of node `node`; the shuffle kernel has written a.order for this epoch. state: null
// (the weights and Adam moments are read and updated in global memory at every minibatch) or
// staged_state_bytes(model) of shared memory, where they then live for the whole epoch: copied
// in at its start and out at its end, so every minibatch's reads and Adam updates stay on chip.
// The arithmetic is the same either way (tests: bit-identical).
template <class M>
TECSCAN_HD void train_epoch_block(const Block& blk, const M& model, const TrainArgs& a, void* smem,
                                  int node, int epoch, void* state = nullptr) {
  const int n = a.s.n_train_targets[node];
  if (n == 0) return;  // nothing to learn from (train_node returns untrained: NaN everywhere)
  SmemCarver carver(smem);
  typename M::Acts acts = model.carve(carver, a.batch);
  double* loss_sum = carver.template take<double>(1);
  const int L = a.s.input_len;
  const int np = static_cast<int>(a.nparam);
  const int64_t row = static_cast<int64_t>(node) * a.nparam;
  float* const global_params = a.params + row;
  float* const global_m = a.adam_m + row;
  float* const global_v = a.adam_v + row;
  float* params = global_params;
  float* adam_m = global_m;
  float* adam_v = global_v;
  float* wt = a.transposed + static_cast<int64_t>(node) * model.transposed_size();
  if (state != nullptr) {
    SmemCarver staged(state);
    params = staged.template take<float>(np);
    adam_m = staged.template take<float>(np);
    adam_v = staged.template take<float>(np);
    wt = staged.template take<float>(model.transposed_size());  // rebuilt below every epoch
    blk.parallel_for(np, [&](int p) {
      params[p] = global_params[p];
      adam_m[p] = global_m[p];
      adam_v[p] = global_v[p];
    });
    blk.sync();
  }

  model.transpose_weights(blk, params, wt);
  blk.single([&] { *loss_sum = 0; });
  const int nb = ceil_div(n, a.batch);
  for (int bi = 0; bi < nb; ++bi) {
    const BatchSlot slot = batch_slot(a, node, epoch, bi);
    blk.parallel_for(slot.count, [&](int b) {
      const int t = train_target(a, node, bi, b);
      gather_inputs(a.s, node, t, acts.x + b * L);
      acts.tgt[b] = target_value(a.s, node, t);
    });
    blk.sync();
    model.forward(blk, params, acts, slot.count);
    blk.parallel_for(
        slot.count, [&](int b) { acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], slot.count); });
    blk.single([&] { account_batch_loss(a, node, slot, acts.y, acts.tgt, loss_sum); });
    blk.sync();
    model.backward_adam(blk, params, adam_m, adam_v, wt, acts, slot.count,
                        a.adam.alpha[slot.step - 1], a.adam);
  }
  blk.single([&] {
    a.epoch_loss[static_cast<int64_t>(node) * a.epochs + epoch] = static_cast<float>(*loss_sum / n);
  });
  if (state != nullptr) {
    blk.sync();  // the last minibatch's Adam updates are done
    blk.parallel_for(np, [&](int p) {
      global_params[p] = params[p];
      global_m[p] = adam_m[p];
      global_v[p] = adam_v[p];
    });
    blk.sync();
  }
}

// Predictions (TECU) for every usable target of node `node`, in minibatches.
template <class M>
TECSCAN_HD void predict_block(const Block& blk, const M& model, const TrainArgs& a, void* smem,
                              int node) {
  if (a.s.n_train_targets[node] == 0) return;  // untrained: no predictions (as train_node)
  SmemCarver carver(smem);
  typename M::Acts acts = model.carve(carver, a.batch);
  const int L = a.s.input_len, np = a.s.n_predict[node];
  const int64_t series = static_cast<int64_t>(node) * a.s.ntime;
  const float* params = a.params + static_cast<int64_t>(node) * a.nparam;
  for (int start = 0; start < np; start += a.batch) {
    const int count = np - start < a.batch ? np - start : a.batch;
    blk.parallel_for(count, [&](int b) {
      gather_inputs(a.s, node, a.s.predict_targets[series + start + b], acts.x + b * L);
    });
    blk.sync();
    model.forward(blk, params, acts, count);
    blk.parallel_for(count, [&](int b) {
      const int t = a.s.predict_targets[series + start + b];
      a.predicted[series + t] = denormalise(a.s, node, acts.y[b]);
    });
    blk.sync();
  }
}

// ---- naive path --------------------------------------------------------------------------------

template <class M>
TECSCAN_HD int64_t naive_acts_floats(const M& model, int batch) {
  SmemCarver carver(nullptr);
  model.carve(carver, batch);
  return carver.bytes() / static_cast<int64_t>(sizeof(float));
}

template <class M>
TECSCAN_HD typename M::Acts naive_acts(const M& model, const TrainArgs& a, int node) {
  SmemCarver carver(a.acts + static_cast<int64_t>(node) * a.acts_per_node);
  return model.carve(carver, a.batch);
}

// Thread (node, b): gathers sample b of minibatch bi and runs its forward pass.
template <class M>
TECSCAN_HD void naive_forward_thread(const M& model, const TrainArgs& a, int node, int b, int epoch,
                                     int bi) {
  const BatchSlot slot = batch_slot(a, node, epoch, bi);
  if (b >= slot.count) return;
  typename M::Acts acts = naive_acts(model, a, node);
  const int t = train_target(a, node, bi, b);
  gather_inputs(a.s, node, t, acts.x + b * a.s.input_len);
  acts.tgt[b] = target_value(a.s, node, t);
  model.forward_sample(a.params + static_cast<int64_t>(node) * a.nparam, acts, b);
}

// Thread (node): loss gradient of the minibatch and the loss bookkeeping.
template <class M>
TECSCAN_HD void naive_loss_thread(const M& model, const TrainArgs& a, int node, int epoch, int bi) {
  const BatchSlot slot = batch_slot(a, node, epoch, bi);
  if (slot.count == 0) return;
  typename M::Acts acts = naive_acts(model, a, node);
  for (int b = 0; b < slot.count; ++b)
    acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], slot.count);
  if (bi == 0) a.loss_sum[node] = 0;
  account_batch_loss(a, node, slot, acts.y, acts.tgt, &a.loss_sum[node]);
  const int n = a.s.n_train_targets[node];
  if (bi == ceil_div(n, a.batch) - 1)
    a.epoch_loss[static_cast<int64_t>(node) * a.epochs + epoch] =
        static_cast<float>(a.loss_sum[node] / n);
}

// Thread (node, b): backward pass of sample b (deltas only; gradients come next).
template <class M>
TECSCAN_HD void naive_backward_thread(const M& model, const TrainArgs& a, int node, int b,
                                      int epoch, int bi) {
  const BatchSlot slot = batch_slot(a, node, epoch, bi);
  if (b >= slot.count) return;
  typename M::Acts acts = naive_acts(model, a, node);
  model.backward_sample(a.params + static_cast<int64_t>(node) * a.nparam, acts, b);
}

// Thread (node, p): gradient of parameter p, summed over the minibatch.
template <class M>
TECSCAN_HD void naive_grad_thread(const M& model, const TrainArgs& a, int node, int64_t p,
                                  int epoch, int bi) {
  const BatchSlot slot = batch_slot(a, node, epoch, bi);
  if (slot.count == 0) return;
  typename M::Acts acts = naive_acts(model, a, node);
  const int64_t row = static_cast<int64_t>(node) * a.nparam;
  a.grad[row + p] = model.param_grad(a.params + row, acts, p, slot.count);
}

// Thread (node, b): prediction of usable target pb * batch + b.
template <class M>
TECSCAN_HD void naive_predict_thread(const M& model, const TrainArgs& a, int node, int b, int pb) {
  const int k = pb * a.batch + b;
  if (a.s.n_train_targets[node] == 0 || k >= a.s.n_predict[node]) return;
  typename M::Acts acts = naive_acts(model, a, node);
  const int64_t series = static_cast<int64_t>(node) * a.s.ntime;
  const int t = a.s.predict_targets[series + k];
  gather_inputs(a.s, node, t, acts.x + b * a.s.input_len);
  model.forward_sample(a.params + static_cast<int64_t>(node) * a.nparam, acts, b);
  a.predicted[series + t] = denormalise(a.s, node, acts.y[b]);
}

}  // namespace ff
}  // namespace tecscan

// ---- kernels and launchers (nvcc only) ---------------------------------------------------------
#if defined(__CUDACC__)
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "cuda_check.hpp"
#include "tecscan/precision.hpp"

namespace tecscan {
namespace ff {

// The naive kernels are the FP32 reference: asked for another precision, the launchers of
// `model` ("MLP", "CNN", "recurrent") refuse with std::invalid_argument.
inline void require_fp32_naive(const char* model, bool naive, Precision precision) {
  if (naive && precision != Precision::kFp32)
    throw std::invalid_argument(std::string("the naive ") + model + " kernels run fp32 only, not " +
                                precision_name(precision));
}

constexpr int kFastThreads = 512;   // one block per node
constexpr int kNaiveThreads = 128;  // one thread per (node, sample) or (node, parameter)

// The fast path's activations: the block's shared memory, or (acts_in_global) the node's
// slice of a.acts (a.acts_per_node floats, fast_smem_bytes / 4) when they do not fit in it.
__device__ inline void* fast_acts(const TrainArgs& a, bool acts_in_global, unsigned char* smem) {
  return acts_in_global ? static_cast<void*>(a.acts + blockIdx.x * a.acts_per_node)
                        : static_cast<void*>(smem);
}

// stage_state: the node's training state in shared memory for the epoch, after the activations
// when those are there too (train_epoch_block's `state`).
template <class M>
__global__ void __launch_bounds__(kFastThreads)
    train_epoch_kernel(M model, TrainArgs a, int epoch, bool acts_in_global, bool stage_state) {
  extern __shared__ __align__(16) unsigned char smem[];
  unsigned char* state =
      stage_state ? smem + (acts_in_global ? 0 : fast_smem_bytes(model, a.batch)) : nullptr;
  train_epoch_block(Block{}, model, a, fast_acts(a, acts_in_global, smem),
                    static_cast<int>(blockIdx.x), epoch, state);
}

template <class M>
__global__ void __launch_bounds__(kFastThreads)
    predict_kernel(M model, TrainArgs a, bool acts_in_global) {
  extern __shared__ __align__(16) unsigned char smem[];
  predict_block(Block{}, model, a, fast_acts(a, acts_in_global, smem),
                static_cast<int>(blockIdx.x));
}

// Thread i covers (node, k) = (i / per_node, i % per_node).
TECSCAN_HD inline bool split_thread(int64_t i, int64_t per_node, int nnode, int& node, int64_t& k) {
  node = static_cast<int>(i / per_node);
  k = i % per_node;
  return node < nnode;
}
#define TECSCAN_THREAD_INDEX (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x)

template <class M>
__global__ void naive_forward_kernel(M model, TrainArgs a, int epoch, int bi) {
  int node;
  int64_t b;
  if (split_thread(TECSCAN_THREAD_INDEX, a.batch, a.s.nnode, node, b))
    naive_forward_thread(model, a, node, static_cast<int>(b), epoch, bi);
}
template <class M>
__global__ void naive_loss_kernel(M model, TrainArgs a, int epoch, int bi) {
  const int64_t node = TECSCAN_THREAD_INDEX;
  if (node < a.s.nnode) naive_loss_thread(model, a, static_cast<int>(node), epoch, bi);
}
template <class M>
__global__ void naive_backward_kernel(M model, TrainArgs a, int epoch, int bi) {
  int node;
  int64_t b;
  if (split_thread(TECSCAN_THREAD_INDEX, a.batch, a.s.nnode, node, b))
    naive_backward_thread(model, a, node, static_cast<int>(b), epoch, bi);
}
template <class M>
__global__ void naive_grad_kernel(M model, TrainArgs a, int epoch, int bi) {
  int node;
  int64_t p;
  if (split_thread(TECSCAN_THREAD_INDEX, a.nparam, a.s.nnode, node, p))
    naive_grad_thread(model, a, node, p, epoch, bi);
}
template <class M>
__global__ void naive_adam_kernel(M /*model*/, TrainArgs a, int epoch, int bi) {
  int node;
  int64_t p;
  if (split_thread(TECSCAN_THREAD_INDEX, a.nparam, a.s.nnode, node, p))
    adam_naive_thread(a, node, p, epoch, bi);
}
template <class M>
__global__ void naive_predict_kernel(M model, TrainArgs a, int pb) {
  int node;
  int64_t b;
  if (split_thread(TECSCAN_THREAD_INDEX, a.batch, a.s.nnode, node, b))
    naive_predict_thread(model, a, node, static_cast<int>(b), pb);
}

inline unsigned naive_blocks(int64_t threads) {
  return static_cast<unsigned>((threads + kNaiveThreads - 1) / kNaiveThreads);
}

// Dynamic shared memory above the 48 KiB default must be opted into per kernel.
template <typename Kernel>
void allow_smem(Kernel kernel, int64_t bytes) {
  if (bytes > 48 * 1024)
    CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(bytes)));
}

// One epoch with the fast kernel; the shuffle of the epoch (window_kernels.cu) must have run.
// acts_in_global: the activations in a.acts (see fast_acts), not in shared memory. The node's
// weights and Adam moments are staged in shared memory for the epoch whenever they fit beside
// the activations (the paper's MLP; larger models read them from global memory / L2).
template <class M>
void run_fast_epoch(const M& model, const TrainArgs& a, int epoch, bool acts_in_global,
                    GpuStream stream) {
  if (a.s.nnode == 0) return;
  const int64_t acts_bytes = acts_in_global ? 0 : fast_smem_bytes(model, a.batch);
  const bool stage_state = acts_bytes + staged_state_bytes(model) <= max_optin_smem();
  const int64_t bytes = acts_bytes + (stage_state ? staged_state_bytes(model) : 0);
  allow_smem(train_epoch_kernel<M>, bytes);
  train_epoch_kernel<M>
      <<<a.s.nnode, kFastThreads, bytes, stream>>>(model, a, epoch, acts_in_global, stage_state);
  CUDA_CHECK_LAUNCH();
}

// One epoch with the naive kernels. max_batches: the most minibatches any node of the chunk
// has per epoch.
template <class M>
void run_naive_epoch(const M& model, const TrainArgs& a, int epoch, int max_batches,
                     GpuStream stream) {
  if (a.s.nnode == 0) return;
  const unsigned per_sample = naive_blocks(int64_t(a.s.nnode) * a.batch);
  const unsigned per_param = naive_blocks(int64_t(a.s.nnode) * a.nparam);
  const unsigned per_node = naive_blocks(a.s.nnode);
  for (int bi = 0; bi < max_batches; ++bi) {
    naive_forward_kernel<M><<<per_sample, kNaiveThreads, 0, stream>>>(model, a, epoch, bi);
    CUDA_CHECK_LAUNCH();
    naive_loss_kernel<M><<<per_node, kNaiveThreads, 0, stream>>>(model, a, epoch, bi);
    CUDA_CHECK_LAUNCH();
    naive_backward_kernel<M><<<per_sample, kNaiveThreads, 0, stream>>>(model, a, epoch, bi);
    CUDA_CHECK_LAUNCH();
    naive_grad_kernel<M><<<per_param, kNaiveThreads, 0, stream>>>(model, a, epoch, bi);
    CUDA_CHECK_LAUNCH();
    naive_adam_kernel<M><<<per_param, kNaiveThreads, 0, stream>>>(model, a, epoch, bi);
    CUDA_CHECK_LAUNCH();
  }
}

// Predictions of every usable target with the fast kernel ...
template <class M>
void run_fast_predict(const M& model, const TrainArgs& a, bool acts_in_global, GpuStream stream) {
  if (a.s.nnode == 0) return;
  const int64_t bytes = acts_in_global ? 0 : fast_smem_bytes(model, a.batch);
  allow_smem(predict_kernel<M>, bytes);
  predict_kernel<M><<<a.s.nnode, kFastThreads, bytes, stream>>>(model, a, acts_in_global);
  CUDA_CHECK_LAUNCH();
}

// ... or the naive one; max_predict: the most usable targets any node has.
template <class M>
void run_naive_predict(const M& model, const TrainArgs& a, int max_predict, GpuStream stream) {
  if (a.s.nnode == 0) return;
  const unsigned per_sample = naive_blocks(int64_t(a.s.nnode) * a.batch);
  for (int pb = 0; pb < ceil_div(max_predict, a.batch); ++pb) {
    naive_predict_kernel<M><<<per_sample, kNaiveThreads, 0, stream>>>(model, a, pb);
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace ff
}  // namespace tecscan
#endif  // __CUDACC__
