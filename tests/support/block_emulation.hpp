// Test support: the host emulation of one CUDA thread block (block.cuh's Block run as a plain
// loop or as fibers whose sync() switches threads) and of cuda/ff_trainer.cu's whole training
// with it (run_on_host), for any ff_loop.cuh model policy; used by tests/thrust/test_ff_host.cpp
// and tests/thrust/test_recurrent_block_host.cpp.
#pragma once
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "../../kernels/ff_loop.cuh"
#include "keyed_cubes.hpp"
#include "tecscan/adam.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

namespace tecscan::test {

using namespace tecscan::ff;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The host tests' series: keyed_cubes.hpp's, with nodes further apart in level and phase.
inline std::vector<float> synthetic_tec(int nnode, int ntime) {
  return tecscan::testing::gappy_diurnal_series(nnode, ntime, 3.0, 0.3);
}

// Runs a block-level body as `nthreads` cooperative fibers, each an emulated CUDA thread:
// Block::sync() switches to the next fiber, and a round ends when every fiber has reached the
// barrier, exactly __syncthreads()' semantics. Fibers that return while others wait at a
// barrier (a sync not every thread reaches) are reported.
class FiberBlock {
 public:
  FiberBlock(int nthreads, bool reverse) : reverse_(reverse), fibers_(nthreads) {
    for (Fiber& f : fibers_) f.stack.resize(256 * 1024);
  }

  void run(const std::function<void()>& body) {
    body_ = &body;
    active_ = this;
    const int n = static_cast<int>(fibers_.size());
    for (int i = 0; i < n; ++i) {
      Fiber& f = fibers_[i];
      getcontext(&f.context);
      f.context.uc_stack.ss_sp = f.stack.data();
      f.context.uc_stack.ss_size = f.stack.size();
      f.context.uc_link = &scheduler_;
      makecontext(&f.context, &FiberBlock::entry, 0);
      f.thread = HostThread{i, n, &FiberBlock::barrier};
      f.done = false;
    }
    for (int waiting = n; waiting > 0;) {
      int finished = 0;
      waiting = 0;
      for (int k = 0; k < n; ++k) {
        current_ = reverse_ ? n - 1 - k : k;
        Fiber& f = fibers_[current_];
        if (f.done) continue;
        current_host_thread() = &f.thread;
        swapcontext(&scheduler_, &f.context);
        current_host_thread() = nullptr;
        (f.done ? finished : waiting) += 1;
      }
      if (finished > 0 && waiting > 0)
        throw std::logic_error("a sync() that not every thread of the block reaches");
    }
    active_ = nullptr;
  }

 private:
  struct Fiber {
    ucontext_t context;
    std::vector<char> stack;
    HostThread thread;
    bool done = false;
  };
  static void entry() {
    FiberBlock* b = active_;
    (*b->body_)();
    b->fibers_[b->current_].done = true;  // returning resumes the scheduler (uc_link)
  }
  static void barrier() {
    FiberBlock* b = active_;
    swapcontext(&b->fibers_[b->current_].context, &b->scheduler_);
  }

  static inline FiberBlock* active_ = nullptr;
  bool reverse_;
  std::vector<Fiber> fibers_;
  ucontext_t scheduler_;
  int current_ = 0;
  const std::function<void()>* body_ = nullptr;
};

// How the block-level bodies run on the host.
enum class Exec { kLoop, kLoopReverse, kThreads, kThreadsReverse };
constexpr Exec kAllExecs[] = {Exec::kLoop, Exec::kLoopReverse, Exec::kThreads,
                              Exec::kThreadsReverse};
inline const char* exec_name(Exec e) {
  switch (e) {
    case Exec::kLoop:
      return "loop";
    case Exec::kLoopReverse:
      return "reversed loop";
    case Exec::kThreads:
      return "threads";
    case Exec::kThreadsReverse:
      return "reversed threads";
  }
  return "";
}

// body(blk) as one block: a loop, or 37 emulated threads (odd: strides that do not divide
// the layer sizes).
class BlockRunner {
 public:
  explicit BlockRunner(Exec e) : exec_(e), fibers_(37, e == Exec::kThreadsReverse) {}
  void operator()(const std::function<void(const Block&)>& body) {
    if (exec_ == Exec::kLoop || exec_ == Exec::kLoopReverse) {
      body(Block{exec_ == Exec::kLoopReverse});
      return;
    }
    fibers_.run([&] { body(Block{}); });
  }

 private:
  Exec exec_;
  FiberBlock fibers_;
};

struct HostRun {
  std::vector<float> predicted, epoch_loss, params, step_loss;
  int max_steps = 0;
};

// What cuda/ff_trainer.cu does on the device, with host vectors and the same kernel bodies.
// naive: the naive kernels, thread by thread (in reverse when exec is a reversed one).
// stage_state: the fast path keeps each node's weights and Adam moments in the block's shared
// memory for the epoch (train_epoch_block's `state`; run_fast_epoch does when they fit).
template <class M>
HostRun run_on_host(const M& model, ModelKind kind, const ModelConfig& mc, const TrainConfig& tc,
                    const std::vector<float>& tec, int nnode, int ntime, bool naive, Exec exec,
                    bool stage_state = false) {
  const bool reverse = exec == Exec::kLoopReverse || exec == Exec::kThreadsReverse;
  const Block blk{reverse};
  BlockRunner run_block(exec);
  const int64_t P = model.nparam();
  const size_t cells = static_cast<size_t>(nnode) * ntime;
  std::vector<float> z(cells), predicted(cells, kNaN);
  std::vector<double> mean(nnode), stdev(nnode);
  std::vector<int> train_t(cells), predict_t(cells), n_train_t(nnode), n_predict(nnode),
      order(cells);
  TrainArgs a;
  a.s.nnode = nnode;
  a.s.ntime = ntime;
  a.s.input_len = model.input_len();
  a.s.n_train = static_cast<int>(std::floor(tc.train_fraction * ntime));
  a.s.tec = tec.data();
  a.s.z = z.data();
  a.s.mean = mean.data();
  a.s.std = stdev.data();
  a.s.train_targets = train_t.data();
  a.s.n_train_targets = n_train_t.data();
  a.s.predict_targets = predict_t.data();
  a.s.n_predict = n_predict.data();
  a.s.holdout_begin = tc.holdout.begin;
  a.s.holdout_end = tc.holdout.end;
  for (int n = 0; n < nnode; ++n) {
    double stats[2];
    run_block([&](const Block& b) { windows_block(b, a.s, n, stats); });
  }

  HostRun r;
  r.max_steps = tc.epochs * ceil_div(ntime, tc.batch);
  std::vector<float> alpha(r.max_steps);
  for (int t = 1; t <= r.max_steps; ++t) alpha[t - 1] = adam_alpha(tc.adam, t);
  r.params.resize(static_cast<size_t>(nnode) * P);
  for (int n = 0; n < nnode; ++n) init_parameters(kind, mc, tc.seed, n, r.params.data() + n * P);
  std::vector<float> m(r.params.size(), 0.0f), v(r.params.size(), 0.0f), grad(r.params.size());
  r.epoch_loss.assign(static_cast<size_t>(nnode) * tc.epochs, kNaN);
  r.step_loss.assign(static_cast<size_t>(nnode) * r.max_steps, kNaN);
  std::vector<double> loss_sum(nnode);
  a.batch = tc.batch;
  a.epochs = tc.epochs;
  a.max_steps = r.max_steps;
  a.shuffle_seed = tc.seed;
  a.kind = static_cast<uint64_t>(kind);
  std::vector<int> node_keys(static_cast<size_t>(nnode));  // as train_node(..., node = n)
  std::iota(node_keys.begin(), node_keys.end(), 0);
  a.node_keys = node_keys.data();
  a.nparam = P;
  a.params = r.params.data();
  a.adam_m = m.data();
  a.adam_v = v.data();
  a.order = order.data();
  a.epoch_loss = r.epoch_loss.data();
  a.step_loss = r.step_loss.data();
  a.predicted = predicted.data();
  a.adam.alpha = alpha.data();
  a.adam.beta1 = tc.adam.beta1;
  a.adam.beta2 = tc.adam.beta2;
  a.adam.eps = tc.adam.eps;
  a.grad = grad.data();
  a.acts_per_node = naive_acts_floats(model, tc.batch);
  std::vector<float> acts(static_cast<size_t>(nnode * a.acts_per_node));
  a.acts = acts.data();
  a.loss_sum = loss_sum.data();
  std::vector<float> transposed(static_cast<size_t>(nnode * model.transposed_size()));
  a.transposed = transposed.data();

  std::vector<int> work(ntime), swap_j(ntime);
  std::vector<double> smem(fast_smem_bytes(model, tc.batch) / sizeof(double) + 1);
  std::vector<double> state(stage_state ? staged_state_bytes(model) / sizeof(double) + 1 : 0);
  int max_batches = 0;
  for (int n = 0; n < nnode; ++n)
    max_batches = std::max(max_batches, ceil_div(n_train_t[n], tc.batch));
  auto nodes = [&](auto f) {
    for (int i = 0; i < nnode; ++i) f(reverse ? nnode - 1 - i : i);
  };
  for (int e = 0; e < tc.epochs; ++e) {
    if (!naive) {
      nodes([&](int n) {
        run_block([&](const Block& b) { shuffle_block(b, a, n, e, work.data(), swap_j.data()); });
        run_block([&](const Block& b) {
          train_epoch_block(b, model, a, smem.data(), n, e, stage_state ? state.data() : nullptr);
        });
      });
      continue;
    }
    nodes([&](int n) { shuffle_naive_thread(a, n, e); });
    for (int bi = 0; bi < max_batches; ++bi) {
      nodes([&](int n) {
        blk.parallel_for(tc.batch, [&](int b) { naive_forward_thread(model, a, n, b, e, bi); });
      });
      nodes([&](int n) { naive_loss_thread(model, a, n, e, bi); });
      nodes([&](int n) {
        blk.parallel_for(tc.batch, [&](int b) { naive_backward_thread(model, a, n, b, e, bi); });
      });
      nodes([&](int n) {
        blk.parallel_for(static_cast<int>(P),
                         [&](int p) { naive_grad_thread(model, a, n, p, e, bi); });
      });
      nodes([&](int n) {
        blk.parallel_for(static_cast<int>(P), [&](int p) { adam_naive_thread(a, n, p, e, bi); });
      });
    }
  }
  if (!naive) {
    nodes([&](int n) {
      run_block([&](const Block& b) { predict_block(b, model, a, smem.data(), n); });
    });
  } else {
    int max_predict = *std::max_element(n_predict.begin(), n_predict.end());
    for (int pb = 0; pb < ceil_div(max_predict, tc.batch); ++pb)
      nodes([&](int n) {
        blk.parallel_for(tc.batch, [&](int b) { naive_predict_thread(model, a, n, b, pb); });
      });
  }
  r.predicted = predicted;
  return r;
}

// Largest |a - b| / (|b| + floor) over finite pairs; NaN patterns must agree.
struct Diff {
  double max_rel = 0;
  size_t where = 0;
  size_t nan_mismatch = 0;
};
inline Diff compare(const std::vector<float>& a, const std::vector<float>& b, double floor) {
  Diff d;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) {
      ++d.nan_mismatch;
      continue;
    }
    if (std::isnan(a[i])) continue;
    double rel = std::fabs(static_cast<double>(a[i]) - b[i]) / (std::fabs(b[i]) + floor);
    if (rel > d.max_rel) d.max_rel = rel, d.where = i;
  }
  return d;
}

}  // namespace tecscan::test
