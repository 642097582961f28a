// The CUDA feed-forward kernels' bodies (kernels/*.cuh) run on the host, so CI without a GPU
// checks the very code the GPU runs against the CPU reference (train_node). Each block-level
// body runs four ways that must agree bit for bit:
//  - sequentially, every parallel_for forwards or backwards (an iteration that depends on
//    another iteration of the same phase changes the result);
//  - as a block of emulated threads (fibers, forwards or backwards), where sync() switches to
//    the next thread just as __syncthreads() lets others run: a missing sync between two
//    phases makes a thread read data another thread has not written yet.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <gtest/gtest.h>
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../kernels/cnn_kernels.cuh"
#include "../../kernels/mlp_kernels.cuh"
#include "../../kernels/mma.cuh"
#include "support/block_emulation.hpp"
#include "support/gradient_check.hpp"
#include "support/mma_reference.hpp"
#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

using namespace tecscan;
using namespace tecscan::ff;

// The block emulation (plain loop or fibers) and run_on_host: support/block_emulation.hpp.
using namespace tecscan::test;

namespace {

ModelConfig small_config() {
  ModelConfig mc;
  mc.mlp_hidden = 12;
  mc.cnn_filters = 6;
  return mc;
}

TrainConfig short_training(int epochs) {
  TrainConfig tc;
  tc.epochs = epochs;
  tc.seed = 7;
  return tc;
}

MlpModel<MlpDims> mlp_model(const ModelConfig& mc) {
  return {MlpDims{mc.window, mc.mlp_hidden}};
}
CnnModel<CnnDims> cnn_model(const ModelConfig& mc) {
  return {CnnDims{mc.window, mc.cnn_kernel, mc.cnn_filters, mc.cnn_pool}};
}

}  // namespace

TEST(FfHostKernels, LayoutMatchesParameterLayout) {
  for (const ModelConfig& mc : {ModelConfig{}, small_config()}) {
    std::vector<TensorSpec> mlp = parameter_layout(ModelKind::kMlp, mc);
    const MlpModel<MlpDims> m = mlp_model(mc);
    const int64_t mlp_offsets[] = {m.w1(), m.b1(), m.w2(), m.b2(), m.w3(), m.b3()};
    ASSERT_EQ(mlp.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(mlp[i].offset, mlp_offsets[i]) << mlp[i].name;
    EXPECT_EQ(m.nparam(), parameter_count(ModelKind::kMlp, mc));
    std::vector<TensorSpec> cnn = parameter_layout(ModelKind::kCnn, mc);
    const CnnModel<CnnDims> c = cnn_model(mc);
    const int64_t cnn_offsets[] = {c.k1(), c.b1(), c.k2(), c.b2(), c.wd(), c.bd()};
    ASSERT_EQ(cnn.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(cnn[i].offset, cnn_offsets[i]) << cnn[i].name;
    EXPECT_EQ(c.nparam(), parameter_count(ModelKind::kCnn, mc));
  }
  EXPECT_EQ((MlpModel<MlpFixedDims<4, 100>>{}.nparam()), 10701);
  EXPECT_EQ((CnnModel<CnnFixedDims<4, 2, 100, 2>>{}.nparam()), 20501);
}

namespace {

// windows_block (every way of running a block) against make_windows on the host.
void check_windows(double train_fraction, TargetRange holdout) {
  const int nnode = 5, ntime = 300, L = 4;
  std::vector<float> tec = synthetic_tec(nnode, ntime);
  const size_t cells = static_cast<size_t>(nnode) * ntime;
  std::vector<float> z(cells);
  std::vector<double> mean(nnode), stdev(nnode);
  std::vector<int> train_t(cells), predict_t(cells), n_train_t(nnode), n_predict(nnode);
  SeriesArgs s{nnode,
               ntime,
               L,
               static_cast<int>(std::floor(train_fraction * ntime)),
               tec.data(),
               z.data(),
               mean.data(),
               stdev.data(),
               train_t.data(),
               n_train_t.data(),
               predict_t.data(),
               n_predict.data(),
               holdout.begin,
               holdout.end};
  for (Exec exec : kAllExecs)
    for (int n = 0; n < nnode; ++n) {
      SCOPED_TRACE(exec_name(exec));
      double stats[2];
      std::fill(z.begin(), z.end(), 0.0f);
      BlockRunner runner(exec);
      runner([&](const Block& b) { windows_block(b, s, n, stats); });
      NodeWindows w = make_windows(tec.data() + n * ntime, ntime, L, train_fraction, holdout);
      EXPECT_EQ(s.n_train, w.n_train);
      // The same sums in the same order; only fused multiply-adds (compiler flags) may differ.
      EXPECT_TRUE(mean[n] == w.mean || (std::isnan(mean[n]) && std::isnan(w.mean))) << n;
      EXPECT_TRUE(std::fabs(stdev[n] - w.std) <= 1e-14 * w.std ||
                  (std::isnan(stdev[n]) && std::isnan(w.std)))
          << n;
      ASSERT_EQ(n_train_t[n], static_cast<int>(w.train_targets.size())) << "node " << n;
      ASSERT_EQ(n_predict[n], static_cast<int>(w.predict_targets.size())) << "node " << n;
      for (int i = 0; i < n_train_t[n]; ++i) EXPECT_EQ(train_t[n * ntime + i], w.train_targets[i]);
      for (int i = 0; i < n_predict[n]; ++i)
        EXPECT_EQ(predict_t[n * ntime + i], w.predict_targets[i]);
      for (int t = 0; t < ntime; ++t) {
        const float a = z[n * ntime + t], b = w.z[t];
        EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 2e-7f * std::fabs(b))
            << "node " << n << " t " << t;
      }
    }
  EXPECT_EQ(n_predict[0], 0);  // constant series
  EXPECT_GT(n_predict[1], 0);
  if (train_fraction < 0.7) {
    EXPECT_EQ(n_train_t[1], 0);  // no training data
  }
  if (holdout.end <= holdout.begin) {
    EXPECT_GT(n_train_t[2], 150);
  }
  for (int n = 2; n < nnode; ++n)  // the held-out targets are predicted, never trained on
    for (int i = 0; i < n_train_t[n]; ++i)
      EXPECT_FALSE(holdout.contains(train_t[n * ntime + i])) << "node " << n;
}

}  // namespace

TEST(FfHostKernels, WindowsMatchMakeWindows) {
  check_windows(0.65, {});
  check_windows(1.0, {});
}

// The device's training targets leave TrainConfig::holdout out exactly as make_windows does:
// blocks at the start, in the middle, past the split and past the end (the last fold).
TEST(FfHostKernels, WindowsHoldOutWhatMakeWindowsHoldsOut) {
  for (double fraction : {0.65, 1.0})
    for (TargetRange h : {TargetRange{0, 20}, TargetRange{100, 160}, TargetRange{180, 240},
                          TargetRange{240, 10000}, TargetRange{77, 77}})
      check_windows(fraction, h);
}

TEST(FfHostKernels, BlockShuffleEqualsShuffleEpoch) {
  const int ntime = 700;
  std::vector<int> n_train_t{1, 2, 33, 600};
  TrainArgs a;
  a.s.ntime = ntime;
  a.s.n_train_targets = n_train_t.data();
  a.shuffle_seed = 42;
  a.kind = 1;
  const std::vector<int> keys{5, 17, 6, 2};  // Cube::rng_node of each node: any order
  a.node_keys = keys.data();
  std::vector<int> order(n_train_t.size() * ntime), work(ntime), swap_j(ntime);
  a.order = order.data();
  for (int epoch : {0, 1, 99})
    for (int node = 0; node < static_cast<int>(n_train_t.size()); ++node) {
      const int n = n_train_t[node];
      BlockRunner runner(epoch == 1 ? Exec::kThreads : Exec::kLoop);
      runner([&](const Block& b) { shuffle_block(b, a, node, epoch, work.data(), swap_j.data()); });
      std::vector<int> expected(n);
      for (int k = 0; k < n; ++k) expected[k] = k;
      shuffle_epoch(rng_key(42, keys[node], 1, kRngShuffle), epoch, expected.data(), n);
      for (int k = 0; k < n; ++k) ASSERT_EQ(order[node * ntime + k], expected[k]) << "k " << k;
      shuffle_naive_thread(a, node, epoch);
      for (int k = 0; k < n; ++k) ASSERT_EQ(order[node * ntime + k], expected[k]) << "k " << k;
    }
}

namespace {

// The fast or naive prediction path on given weights and inputs: sample s of a node becomes
// target (s + 1) * L of a series holding the samples back to back (mean 0, std 1).
template <class M>
std::vector<float> forward_on_host(const M& model, std::vector<float> params,
                                   const std::vector<float>& x, int nnode, int nsample, int batch,
                                   bool naive, Exec exec = Exec::kThreads) {
  const int L = model.input_len(), T = nsample * L + 1;
  const size_t cells = static_cast<size_t>(nnode) * T;
  std::vector<float> z(cells, 0.0f), predicted(cells, kNaN);
  std::vector<double> mean(nnode, 0.0), stdev(nnode, 1.0);
  std::vector<int> targets(cells), n_train_t(nnode, 1), n_predict(nnode, nsample);
  for (int n = 0; n < nnode; ++n)
    for (int s = 0; s < nsample; ++s) {
      targets[n * T + s] = (s + 1) * L;
      for (int i = 0; i < L; ++i)
        z[n * T + s * L + i] = x[(static_cast<size_t>(n) * nsample + s) * L + i];
    }
  TrainArgs a;
  a.s = SeriesArgs{nnode,
                   T,
                   L,
                   T,
                   nullptr,
                   z.data(),
                   mean.data(),
                   stdev.data(),
                   targets.data(),
                   n_train_t.data(),
                   targets.data(),
                   n_predict.data()};
  a.batch = batch;
  a.nparam = model.nparam();
  a.params = params.data();
  a.predicted = predicted.data();
  a.acts_per_node = naive_acts_floats(model, batch);
  std::vector<float> acts(static_cast<size_t>(nnode * a.acts_per_node));
  a.acts = acts.data();
  std::vector<double> smem(fast_smem_bytes(model, batch) / sizeof(double) + 1);
  BlockRunner run_block(exec);
  for (int n = 0; n < nnode; ++n) {
    if (!naive) {
      run_block([&](const Block& b) { predict_block(b, model, a, smem.data(), n); });
      continue;
    }
    for (int pb = 0; pb < ceil_div(nsample, batch); ++pb)
      Block{}.parallel_for(batch, [&](int b) { naive_predict_thread(model, a, n, b, pb); });
  }
  std::vector<float> y(static_cast<size_t>(nnode) * nsample);
  for (int n = 0; n < nnode; ++n)
    for (int s = 0; s < nsample; ++s) y[n * nsample + s] = predicted[n * T + (s + 1) * L];
  return y;
}

template <class M>
void check_forward(ModelKind kind, const ModelConfig& mc, const M& model) {
  const int nnode = 3, nsample = 45, L = model.input_len();  // 45: a partial last batch
  const int64_t P = model.nparam();
  std::vector<float> params(nnode * P), x(static_cast<size_t>(nnode) * nsample * L), expected;
  for (int n = 0; n < nnode; ++n) init_parameters(kind, mc, 3, n, params.data() + n * P);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * i) * 1.5);
  auto cpu = make_cpu_model<float>(kind, mc);
  for (int n = 0; n < nnode; ++n) {
    std::vector<float> y(nsample);
    cpu->forward(params.data() + n * P, x.data() + n * nsample * L, nsample, y.data());
    expected.insert(expected.end(), y.begin(), y.end());
  }
  for (bool naive : {false, true}) {
    std::vector<float> y = forward_on_host(model, params, x, nnode, nsample, 32, naive);
    Diff d = compare(y, expected, 1e-2);
    std::printf("[forward %s %s] max rel err %.3g at node %zu sample %zu (tol 5e-05)\n",
                model_name(kind), naive ? "naive" : "fast", d.max_rel, d.where / nsample,
                d.where % nsample);
    EXPECT_EQ(d.nan_mismatch, 0u);
    EXPECT_LT(d.max_rel, 5e-5);  // measured <= 4.9e-6 (x86-64)
  }
}

}  // namespace

TEST(FfHostKernels, ForwardMatchesCpuModel) {
  for (const ModelConfig& mc : {ModelConfig{}, small_config()}) {
    check_forward(ModelKind::kMlp, mc, mlp_model(mc));
    check_forward(ModelKind::kCnn, mc, cnn_model(mc));
  }
  ModelConfig wide;  // three pooled steps, a kernel of 3
  wide.window = 11, wide.cnn_kernel = 3, wide.cnn_pool = 2, wide.cnn_filters = 5;
  check_forward(ModelKind::kCnn, wide, cnn_model(wide));
  check_forward(ModelKind::kMlp, ModelConfig{}, MlpModel<MlpFixedDims<4, 100>>{});
  check_forward(ModelKind::kCnn, ModelConfig{}, CnnModel<CnnFixedDims<4, 2, 100, 2>>{});
}

namespace {

template <class M>
void check_training(ModelKind kind, const ModelConfig& mc, const M& model, int nnode, int ntime,
                    int epochs, double train_fraction = 0.65, TargetRange holdout = {}) {
  TrainConfig tc = short_training(epochs);
  tc.train_fraction = train_fraction;
  tc.holdout = holdout;
  std::vector<float> tec = synthetic_tec(nnode, ntime);
  const HostRun fast = run_on_host(model, kind, mc, tc, tec, nnode, ntime, false, Exec::kLoop);
  // However the block's threads interleave, the result is the same (no race, no missing
  // sync), and the naive kernels compute the same numbers.
  // ... and the fast path gives the same bits with the weights and Adam moments staged in
  // shared memory for each epoch (run_fast_epoch does that when they fit).
  for (Exec exec : kAllExecs)
    for (int variant = 0; variant < 3; ++variant) {
      const bool naive = variant == 1, staged = variant == 2;
      if (variant == 0 && exec == Exec::kLoop) continue;
      const HostRun other =
          run_on_host(model, kind, mc, tc, tec, nnode, ntime, naive, exec, staged);
      const std::string what = std::string(naive    ? "naive"
                                           : staged ? "fast staged"
                                                    : "fast") +
                               " kernels, " + exec_name(exec) + " vs fast kernels, loop";
      Diff params = compare(other.params, fast.params, 0),
           steps = compare(other.step_loss, fast.step_loss, 0),
           pred = compare(other.predicted, fast.predicted, 0);
      EXPECT_EQ(params.max_rel, 0.0) << what << ": parameter " << params.where;
      EXPECT_EQ(steps.max_rel + steps.nan_mismatch, 0.0) << what << ": step " << steps.where;
      EXPECT_EQ(pred.max_rel + pred.nan_mismatch, 0.0) << what << ": prediction " << pred.where;
    }

  // train_node itself is the oracle: its predictions, epoch losses and trained parameters.
  std::vector<float> cpu_pred, cpu_loss, cpu_params;
  for (int n = 0; n < nnode; ++n) {
    TrainResult r = train_node(kind, mc, tc, tec.data() + n * ntime, ntime, n);
    cpu_pred.insert(cpu_pred.end(), r.predicted.begin(), r.predicted.end());
    cpu_loss.insert(cpu_loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
    cpu_params.insert(cpu_params.end(), r.params.begin(), r.params.end());
  }
  Diff loss = compare(fast.epoch_loss, cpu_loss, 1e-6);
  Diff pred = compare(fast.predicted, cpu_pred, 1.0);
  Diff params = compare(fast.params, cpu_params, 1e-2);
  // Measured on x86-64 (g++ -O3): epoch losses and predictions within 1.2e-7 of train_node's,
  // parameters within 5.6e-6 (float rounding only: the same operations in the same order but
  // for the GEMM tiling). About ten times that:
  const double tol = 1.5e-6, tol_params = 5e-5;
  std::printf(
      "[train %s F/H=%d%s] epoch loss max rel %.3g (node %zu); prediction max rel %.3g (node %zu "
      "t %zu) (tol %.3g); parameters max rel %.3g (node %zu) (tol %.3g)\n",
      model_name(kind), kind == ModelKind::kMlp ? mc.mlp_hidden : mc.cnn_filters,
      holdout.end > holdout.begin ? ", holdout" : "", loss.max_rel, loss.where / epochs,
      pred.max_rel, pred.where / ntime, pred.where % ntime, tol, params.max_rel,
      params.where / model.nparam(), tol_params);
  EXPECT_EQ(loss.nan_mismatch + pred.nan_mismatch + params.nan_mismatch, 0u);
  EXPECT_LT(loss.max_rel, tol);
  EXPECT_LT(pred.max_rel, tol);
  EXPECT_LT(params.max_rel, tol_params);
}

}  // namespace

TEST(FfHostKernels, TrainingMatchesTrainNodeSmall) {
  check_training(ModelKind::kMlp, small_config(), mlp_model(small_config()), 5, 240, 6);
  check_training(ModelKind::kCnn, small_config(), cnn_model(small_config()), 5, 240, 6);
}

// k-fold training (train_fraction 1, a held-out block): the device trains on the same targets.
TEST(FfHostKernels, TrainingWithHoldoutMatchesTrainNode) {
  const ModelConfig mc = small_config();
  check_training(ModelKind::kMlp, mc, mlp_model(mc), 5, 240, 4, 1.0, TargetRange{80, 130});
  check_training(ModelKind::kCnn, mc, cnn_model(mc), 5, 240, 4, 1.0, TargetRange{200, 1000});
}

TEST(FfHostKernels, TrainingMatchesTrainNodePaperSizes) {
  check_training(ModelKind::kMlp, ModelConfig{}, MlpModel<MlpFixedDims<4, 100>>{}, 3, 200, 3);
  check_training(ModelKind::kCnn, ModelConfig{}, CnnModel<CnnFixedDims<4, 2, 100, 2>>{}, 3, 200, 3);
}

// ---- gradients of one minibatch, parameter by parameter ---------------------------------------

namespace {

// One minibatch (count of `batch` rows) through the kernels' bodies, returning dLoss/dparams of
// the batch-mean MSE. Fast path: forward + backward_adam with beta1 = 0, whose first moment
// after one step is the gradient itself (m = 0 * 0 + 1 * g), so the fused gradient + Adam code is
// what is measured. Naive path: forward_sample, backward_sample and param_grad.
template <class M>
std::vector<float> kernel_gradient(const M& model, const std::vector<float>& params,
                                   const std::vector<float>& x, const std::vector<float>& target,
                                   int count, int batch, bool naive, Exec exec) {
  const int L = model.input_len();
  const int64_t P = model.nparam();
  std::vector<float> storage(static_cast<size_t>(naive_acts_floats(model, batch)));
  SmemCarver carver(storage.data());
  const typename M::Acts acts = model.carve(carver, batch);
  for (int b = 0; b < count; ++b) {
    for (int i = 0; i < L; ++i) acts.x[b * L + i] = x[static_cast<size_t>(b) * L + i];
    acts.tgt[b] = target[b];
  }
  std::vector<float> p = params, m(P, 0.0f), v(P, 0.0f), grad(P, kNaN);
  if (naive) {
    for (int b = 0; b < count; ++b) model.forward_sample(p.data(), acts, b);
    for (int b = 0; b < count; ++b) acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], count);
    for (int b = 0; b < count; ++b) model.backward_sample(p.data(), acts, b);
    for (int64_t q = 0; q < P; ++q) grad[q] = model.param_grad(p.data(), acts, q, count);
    return grad;
  }
  std::vector<float> wt(static_cast<size_t>(model.transposed_size()));
  const float alpha = 1e-3f;
  AdamArgs adam;
  adam.beta1 = 0.0f;
  BlockRunner run_block(exec);
  run_block([&](const Block& blk) {
    model.transpose_weights(blk, p.data(), wt.data());
    model.forward(blk, p.data(), acts, count);
    blk.parallel_for(count,
                     [&](int b) { acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], count); });
    blk.sync();
    model.backward_adam(blk, p.data(), m.data(), v.data(), wt.data(), acts, count, alpha, adam);
  });
  return m;
}

// Keras-initialised weights with random biases (so every bias gradient matters), inputs and
// targets in [-1.5, 1.5] from a fixed formula.
std::vector<float> perturbed_parameters(ModelKind kind, const ModelConfig& mc) {
  std::vector<float> p(static_cast<size_t>(parameter_count(kind, mc)));
  init_parameters(kind, mc, 5, 1, p.data());
  for (size_t i = 0; i < p.size(); ++i) p[i] += 0.2f * static_cast<float>(std::sin(1.7 * i + 0.3));
  return p;
}

template <class M>
void check_gradient(ModelKind kind, const ModelConfig& mc, const M& model, int count, int batch) {
  const int L = model.input_len();
  const std::vector<float> params = perturbed_parameters(kind, mc);
  std::vector<float> x(static_cast<size_t>(count) * L), target(count);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  for (int b = 0; b < count; ++b) target[b] = static_cast<float>(std::cos(0.9 * b));

  // References: the CPU model's float backward, and central differences of the double model.
  std::vector<float> cpu_grad(params.size()), y(count), dy(count);
  auto cpu = make_cpu_model<float>(kind, mc);
  cpu->forward(params.data(), x.data(), count, y.data());
  for (int b = 0; b < count; ++b) dy[b] = 2.0f * (y[b] - target[b]) / static_cast<float>(count);
  cpu->backward(params.data(), dy.data(), cpu_grad.data());
  auto cpu_double = make_cpu_model<double>(kind, mc);
  const std::vector<double> xd(x.begin(), x.end());
  std::vector<double> yd(count);
  const std::vector<double> numeric = test::central_differences(
      std::vector<double>(params.begin(), params.end()), [&](const std::vector<double>& p) {
        cpu_double->forward(p.data(), xd.data(), count, yd.data());
        double loss = 0;
        for (int b = 0; b < count; ++b) loss += (yd[b] - target[b]) * (yd[b] - target[b]);
        return loss / count;
      });

  // Measured on x86-64 (g++ -O3), worst case over all models and sizes here: vs the CPU
  // backward 9.1e-6 (float rounding, another summation order), vs finite differences 1.4e-5
  // (float vs double). About ten times that:
  const double tol_cpu = 1e-4, tol_numeric = 1.5e-4;
  for (bool naive : {false, true})
    for (Exec exec : {Exec::kLoop, Exec::kThreadsReverse}) {
      if (naive && exec != Exec::kLoop) continue;  // the naive path has no block
      const std::vector<float> got =
          kernel_gradient(model, params, x, target, count, batch, naive, exec);
      const std::string what = std::string(model_name(kind)) + " " + (naive ? "naive" : "fast") +
                               " kernels (" + exec_name(exec) + "), " + std::to_string(count) +
                               " of " + std::to_string(batch) + " rows, " +
                               std::to_string(params.size()) + " parameters";
      const test::GradientError vs_cpu = test::gradient_error(got, cpu_grad);
      const test::GradientError vs_numeric = test::gradient_error(got, numeric);
      const std::string a = test::report_gradient_error(what + " vs CPU backward", vs_cpu, tol_cpu);
      const std::string b =
          test::report_gradient_error(what + " vs finite differences", vs_numeric, tol_numeric);
      EXPECT_EQ(vs_cpu.nan_mismatch + vs_numeric.nan_mismatch, 0u) << what;
      EXPECT_LT(vs_cpu.max_rel, tol_cpu) << a;
      EXPECT_LT(vs_numeric.max_rel, tol_numeric) << b;
    }
}

}  // namespace

// Every parameter's gradient of the kernels (fast and naive) against the CPU model's backward
// and central finite differences: a wrong gradient of any one tensor fails here, whether or not
// training would still converge.
TEST(FfHostKernels, GradientOfEveryParameterMatchesCpuAndFiniteDifferences) {
  const ModelConfig mc = small_config();
  check_gradient(ModelKind::kMlp, mc, mlp_model(mc), 32, 32);
  check_gradient(ModelKind::kMlp, mc, mlp_model(mc), 13, 32);  // a partial last batch
  check_gradient(ModelKind::kCnn, mc, cnn_model(mc), 32, 32);
  check_gradient(ModelKind::kCnn, mc, cnn_model(mc), 13, 32);
  ModelConfig wide;  // three pooled steps, a kernel of 3
  wide.window = 11, wide.cnn_kernel = 3, wide.cnn_pool = 2, wide.cnn_filters = 5;
  check_gradient(ModelKind::kCnn, wide, cnn_model(wide), 20, 32);
}

TEST(FfHostKernels, GradientOfThePaperSizesMatchesCpuAndFiniteDifferences) {
  check_gradient(ModelKind::kMlp, ModelConfig{}, MlpModel<MlpFixedDims<4, 100>>{}, 32, 32);
  check_gradient(ModelKind::kCnn, ModelConfig{}, CnnModel<CnnFixedDims<4, 2, 100, 2>>{}, 32, 32);
}

// ---- tensor cores (kernels/mma.cuh): host emulation of mma.sync ----------------------------
// block_mma's host path computes each 16 x 8 tile as the hardware does (operands rounded by
// precision.hpp, exact products, FP32 accumulation; one fixed order inside an mma). Checked
// against a double reference with the same operand rounding (tests/support/mma_reference.hpp),
// so the tolerances bound FP32 accumulation error only, relative to sum |terms|.

namespace {

constexpr Precision kTensorCorePrecisions[] = {Precision::kTf32x3, Precision::kTf32,
                                               Precision::kBf16};

// rows x cols values in [-1.5, 1.5] with full 24-bit significands.
std::vector<float> test_matrix(int rows, int cols, double seed) {
  std::vector<float> m(static_cast<size_t>(rows) * cols);
  for (size_t i = 0; i < m.size(); ++i)
    m[i] = static_cast<float>(1.5 * std::sin(seed + 0.7853 * static_cast<double>(i) +
                                             0.0137 * static_cast<double>(i * i % 97)));
  return m;
}

// C = A B (row-major, M x K times K x N) by block_mma<P> or, for fp32, block_gemm.
template <Precision P>
std::vector<float> host_product(int M, int N, int K, const std::vector<float>& A,
                                const std::vector<float>& B, Exec exec) {
  std::vector<float> C(static_cast<size_t>(M) * N, kNaN);
  BlockRunner run_block(exec);
  run_block([&](const Block& blk) {
    block_product<P, 4, 2>(
        blk, M, N, K, [&](int r, int k) { return A[static_cast<size_t>(r) * K + k]; },
        [&](int k, int c) { return B[static_cast<size_t>(k) * N + c]; },
        [&](int r, int c, float acc) { C[static_cast<size_t>(r) * N + c] = acc; });
  });
  return C;
}
std::vector<float> host_product(Precision p, int M, int N, int K, const std::vector<float>& A,
                                const std::vector<float>& B, Exec exec = Exec::kLoop) {
  switch (p) {
    case Precision::kTf32x3:
      return host_product<Precision::kTf32x3>(M, N, K, A, B, exec);
    case Precision::kTf32:
      return host_product<Precision::kTf32>(M, N, K, A, B, exec);
    case Precision::kBf16:
      return host_product<Precision::kBf16>(M, N, K, A, B, exec);
    case Precision::kFp32:
      break;
  }
  return host_product<Precision::kFp32>(M, N, K, A, B, exec);
}

test::ReferenceProduct reference(Precision p, int M, int N, int K, const std::vector<float>& A,
                                 const std::vector<float>& B) {
  return test::reference_product(
      p, M, N, K, [&](int r, int k) { return A[static_cast<size_t>(r) * K + k]; },
      [&](int k, int c) { return B[static_cast<size_t>(k) * N + c]; });
}

struct Shape {
  int M, N, K;
};
// Whole tiles, edge tiles in every dimension (M, N, K not multiples of 16, 8, 8/16), the MLP's
// shapes (batch x hidden x hidden, K = 1, N = 1) and single elements.
constexpr Shape kShapes[] = {{32, 96, 64},   {37, 19, 29}, {32, 100, 100}, {13, 100, 4},
                             {100, 100, 13}, {32, 100, 1}, {100, 1, 32},   {1, 1, 1}};

}  // namespace

TEST(FfHostTensorCores, BlockMmaMatchesRoundedReference) {
  // FP32 accumulation of n = K / kK + kK terms (k-slices, then the products inside one):
  // |error| <= ~n u sum |terms| (u = 2^-24), n <= 29 here. Measured max 1.34e-7 (x86-64).
  const double tol = 1.5e-6;
  for (Precision p : kTensorCorePrecisions)
    for (const Shape& s : kShapes) {
      const std::vector<float> A = test_matrix(s.M, s.K, 0.1), B = test_matrix(s.K, s.N, 2.3);
      const std::vector<float> C = host_product(p, s.M, s.N, s.K, A, B);
      const test::ReferenceProduct want = reference(p, s.M, s.N, s.K, A, B);
      const test::ProductError e = test::product_error(C, want.value, want.magnitude);
      std::printf(
          "[block_mma %s %dx%dx%d] vs rounded double reference: max err %.3g of sum|terms| "
          "at %zu (tol %.3g)\n",
          precision_name(p), s.M, s.N, s.K, e.max_rel, e.where, tol);
      EXPECT_EQ(e.non_finite, 0u) << "an output element was not written";
      EXPECT_LT(e.max_rel, tol) << precision_name(p) << " " << s.M << "x" << s.N << "x" << s.K;
      // Tiles are independent: every way of running the block gives the same bits.
      for (Exec exec : kAllExecs) {
        const std::vector<float> other = host_product(p, s.M, s.N, s.K, A, B, exec);
        EXPECT_TRUE(std::equal(C.begin(), C.end(), other.begin(), [](float a, float b) {
          return std::memcmp(&a, &b, sizeof a) == 0;
        })) << exec_name(exec);
      }
    }
}

// 3xTF32 is FP32-accurate: against the exact product of the unrounded operands it errs like
// block_gemm's FP32 FFMA, while TF32 and BF16 err by their operand rounding (so the rounding is
// really applied).
TEST(FfHostTensorCores, ThreeTf32IsAsAccurateAsFp32) {
  for (const Shape& s : kShapes) {
    if (s.K < 8) continue;  // a few products: too few terms to compare error levels
    const std::vector<float> A = test_matrix(s.M, s.K, 0.4), B = test_matrix(s.K, s.N, 1.1);
    const test::ReferenceProduct exact = reference(Precision::kFp32, s.M, s.N, s.K, A, B);
    double err[4];
    for (Precision p : {Precision::kFp32, Precision::kTf32x3, Precision::kTf32, Precision::kBf16})
      err[static_cast<int>(p)] =
          test::product_error(host_product(p, s.M, s.N, s.K, A, B), exact.value, exact.magnitude)
              .max_rel;
    const double fp32 = err[0], x3 = err[1], tf32 = err[2], bf16 = err[3];
    std::printf(
        "[exact product %dx%dx%d] max err of sum|terms|: fp32 %.3g, 3xtf32 %.3g, tf32 "
        "%.3g, bf16 %.3g\n",
        s.M, s.N, s.K, fp32, x3, tf32, bf16);
    // 3xTF32 adds the dropped lo*lo term and lo's rounding, each <= 2^-22 |a b|, to FP32's
    // accumulation error: bound 2^-21 + FP32's own bound (29 u). Measured <= 1.4e-7.
    EXPECT_LT(x3, 1.5e-6);
    // TF32 rounds each operand by up to 2^-11 (u_tf32), BF16 by 2^-8: measured >= 1e-4 and
    // 1e-3, at least 100 times 3xTF32's error.
    EXPECT_GT(tf32, 100 * x3);
    EXPECT_GT(bf16, 5 * tf32);
  }
}

// ---- the MLP on tensor cores: pass by pass, gradients, training ------------------------------

namespace {

// One minibatch through the fast path (forward, loss gradient, backward_adam with beta1 = 0 so
// that Adam's first moment is the gradient): the activations the block computed (carved from
// `storage` as the kernels carve shared memory) and the gradient.
template <class M>
struct FastStep {
  std::vector<float> storage;
  typename M::Acts acts;
  std::vector<float> grad;
};
template <class M>
FastStep<M> fast_step(const M& model, const std::vector<float>& params, const std::vector<float>& x,
                      const std::vector<float>& target, int count, int batch, Exec exec) {
  const int L = model.input_len();
  FastStep<M> r;
  r.storage.assign(static_cast<size_t>(naive_acts_floats(model, batch)), kNaN);
  SmemCarver carver(r.storage.data());
  const typename M::Acts acts = r.acts = model.carve(carver, batch);
  std::copy(x.begin(), x.begin() + static_cast<size_t>(count) * L, acts.x);
  std::copy(target.begin(), target.begin() + count, acts.tgt);
  std::vector<float> p = params, v(p.size(), 0.0f),
                     wt(static_cast<size_t>(model.transposed_size()));
  r.grad.assign(p.size(), 0.0f);
  AdamArgs adam;
  adam.beta1 = 0.0f;
  BlockRunner run_block(exec);
  run_block([&](const Block& blk) {
    model.transpose_weights(blk, p.data(), wt.data());
    model.forward(blk, p.data(), acts, count);
    blk.parallel_for(count,
                     [&](int b) { acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], count); });
    blk.sync();
    model.backward_adam(blk, p.data(), r.grad.data(), v.data(), wt.data(), acts, count, 1e-3f,
                        adam);
  });
  return r;
}

// The first count * width floats of a.
std::vector<float> rows(const float* a, int count, int width) {
  return std::vector<float>(a, a + static_cast<size_t>(count) * width);
}

// The MLP's step, everything it computed copied out.
struct MlpStep {
  std::vector<float> a1, a2, y, dy, d2, d1, grad;
};
template <class M>
MlpStep mlp_step(const M& model, const std::vector<float>& params, const std::vector<float>& x,
                 const std::vector<float>& target, int count, int batch, Exec exec) {
  const int H = model.d.H;
  const FastStep<M> k = fast_step(model, params, x, target, count, batch, exec);
  const MlpActs& a = k.acts;
  return {rows(a.a1, count, H),
          rows(a.a2, count, H),
          rows(a.y, count, 1),
          rows(a.dy, count, 1),
          rows(a.d2, count, H),
          rows(a.d1, count, H),
          k.grad};
}

// What a pass computed against the rounded reference of the same pass on the kernel's own
// inputs. Forward: + bias[c] (FP32, after the sum; its magnitude joins the terms') and relu.
// Backward: zero where the kernel's activation `mask` is not positive (relu').
void check_pass(const char* model, const char* what, Precision p, const std::vector<float>& got,
                test::ReferenceProduct want, int N, const float* bias, bool relu_after,
                const std::vector<float>* mask, double tol) {
  for (size_t i = 0; i < want.value.size(); ++i) {
    if (bias) {
      want.value[i] += bias[i % N];
      want.magnitude[i] += std::fabs(bias[i % N]);
    }
    if (relu_after && want.value[i] < 0) want.value[i] = 0;
    if (mask && !((*mask)[i] > 0.0f)) want.value[i] = 0;
  }
  const test::ProductError e = test::product_error(got, want.value, want.magnitude);
  std::printf(
      "[%s %s %s] vs rounded double reference on the kernel's inputs: max err %.3g of "
      "sum|terms| at %zu (%.9g vs %.9g) (tol %.3g)\n",
      model, precision_name(p), what, e.max_rel, e.where, e.got, e.want, tol);
  EXPECT_EQ(e.non_finite, 0u) << what;
  EXPECT_LT(e.max_rel, tol) << precision_name(p) << " " << what;
}

}  // namespace

namespace {

template <class D, Precision P>
void check_mlp_passes(const ModelConfig& mc, const MlpModel<D, P>& model, int count, int batch) {
  const int L = model.d.L, H = model.d.H;
  const std::vector<float> params = perturbed_parameters(ModelKind::kMlp, mc);
  std::vector<float> x(static_cast<size_t>(count) * L), target(count);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  for (int b = 0; b < count; ++b) target[b] = static_cast<float>(std::cos(0.9 * b));
  const MlpStep k = mlp_step(model, params, x, target, count, batch, Exec::kThreadsReverse);
  const float* W = params.data();
  auto mat = test::row_major;
  auto wmat = [W](int64_t offset, int cols) { return test::params_matrix(W, offset, cols); };
  using test::transposed;
  // FP32 accumulation of at most H / 8 + 16 terms: <= ~30 u sum|terms| = 1.8e-6 worst case
  // (u = 2^-24); the bias' addition adds u (|sum| + |bias|). Measured max 3.0e-7 (x86-64).
  // About ten times that:
  const double tol = 3e-6;
  // Forward, layer by layer.
  check_pass("mlp", "a1 = relu(x W1 + b1)", P, k.a1,
             test::reference_product(P, count, H, L, mat(x, L), wmat(model.w1(), H)), H,
             W + model.b1(), true, nullptr, tol);
  check_pass("mlp", "a2 = relu(a1 W2 + b2)", P, k.a2,
             test::reference_product(P, count, H, H, mat(k.a1, H), wmat(model.w2(), H)), H,
             W + model.b2(), true, nullptr, tol);
  check_pass("mlp", "y = a2 w3 + b3", P, k.y,
             test::reference_product(P, count, 1, H, mat(k.a2, H), wmat(model.w3(), 1)), 1,
             W + model.b3(), false, nullptr, tol);
  for (int b = 0; b < count; ++b)  // the loss gradient is FP32 in every precision
    EXPECT_EQ(k.dy[b], loss_gradient(k.y[b], target[b], count)) << b;
  // Backward deltas.
  check_pass("mlp", "d2 = relu'(a2) (dy w3^T)", P, k.d2,
             test::reference_product(P, count, H, 1, mat(k.dy, 1), transposed(wmat(model.w3(), 1))),
             H, nullptr, false, &k.a2, tol);
  check_pass("mlp", "d1 = relu'(a1) (d2 W2^T)", P, k.d1,
             test::reference_product(P, count, H, H, mat(k.d2, H), transposed(wmat(model.w2(), H))),
             H, nullptr, false, &k.a1, tol);
  // Kernel gradients X^T dY (rounded operands) and bias gradients (FP32 column sums).
  auto slice = [&](int64_t offset, int64_t n) {
    return std::vector<float>(k.grad.begin() + offset, k.grad.begin() + offset + n);
  };
  check_pass("mlp", "dW1 = x^T d1", P, slice(model.w1(), int64_t(L) * H),
             test::reference_product(P, L, H, count, transposed(mat(x, L)), mat(k.d1, H)), H,
             nullptr, false, nullptr, tol);
  check_pass("mlp", "dW2 = a1^T d2", P, slice(model.w2(), int64_t(H) * H),
             test::reference_product(P, H, H, count, transposed(mat(k.a1, H)), mat(k.d2, H)), H,
             nullptr, false, nullptr, tol);
  check_pass("mlp", "dw3 = a2^T dy", P, slice(model.w3(), H),
             test::reference_product(P, H, 1, count, transposed(mat(k.a2, H)), mat(k.dy, 1)), 1,
             nullptr, false, nullptr, tol);
  auto ones = [](int, int) { return 1.0f; };
  check_pass("mlp", "db1 = sum d1", P, slice(model.b1(), H),
             test::reference_product(Precision::kFp32, 1, H, count, ones, mat(k.d1, H)), H, nullptr,
             false, nullptr, tol);
  check_pass("mlp", "db2 = sum d2", P, slice(model.b2(), H),
             test::reference_product(Precision::kFp32, 1, H, count, ones, mat(k.d2, H)), H, nullptr,
             false, nullptr, tol);
  check_pass("mlp", "db3 = sum dy", P, slice(model.b3(), 1),
             test::reference_product(Precision::kFp32, 1, 1, count, ones, mat(k.dy, 1)), 1, nullptr,
             false, nullptr, tol);
  // However the block's threads interleave, the same bits (no race, no missing sync).
  for (Exec exec : kAllExecs) {
    const MlpStep other = mlp_step(model, params, x, target, count, batch, exec);
    EXPECT_EQ(compare(other.grad, k.grad, 0).max_rel, 0.0) << exec_name(exec);
    EXPECT_EQ(compare(other.y, k.y, 0).max_rel, 0.0) << exec_name(exec);
  }
}

template <Precision P>
void check_mlp_passes_all_sizes() {
  const ModelConfig mc = small_config();
  check_mlp_passes(mc, MlpModel<MlpDims, P>{MlpDims{mc.window, mc.mlp_hidden}}, 32, 32);
  check_mlp_passes(mc, MlpModel<MlpDims, P>{MlpDims{mc.window, mc.mlp_hidden}}, 13, 32);
  check_mlp_passes(ModelConfig{}, MlpModel<MlpFixedDims<4, 100>, P>{}, 32, 32);
  check_mlp_passes(ModelConfig{}, MlpModel<MlpFixedDims<4, 100>, P>{}, 7, 32);
}

}  // namespace

// Each pass of the MLP's forward and training step (every layer's product, every gradient, the
// bias sums) against the double reference with the same operand rounding, fed the kernel's own
// inputs to that pass, so the tolerance is FP32 accumulation error only: a wrong operand, a
// transposed weight, a missing relu' or a doubled bias gradient fails here.
TEST(FfHostTensorCores, MlpPassesMatchRoundedReference) {
  check_mlp_passes_all_sizes<Precision::kTf32x3>();
  check_mlp_passes_all_sizes<Precision::kTf32>();
  check_mlp_passes_all_sizes<Precision::kBf16>();
}

// ---- the CNN on tensor cores: pass by pass, gradients, training ------------------------------

namespace {

struct CnnStep {
  std::vector<float> c1, c2, y, dy, g2, g1, grad;
};
template <class M>
CnnStep cnn_step(const M& model, const std::vector<float>& params, const std::vector<float>& x,
                 const std::vector<float>& target, int count, int batch, Exec exec) {
  const int F = model.d.F, t1 = model.T1(), t2 = model.T2();
  const FastStep<M> k = fast_step(model, params, x, target, count, batch, exec);
  const CnnActs& a = k.acts;
  return {rows(a.c1, count * t1, F),
          rows(a.c2, count * t2, F),
          rows(a.y, count, 1),
          rows(a.dy, count, 1),
          rows(a.g2, count * t2, F),
          rows(a.g1, count * t1, F),
          k.grad};
}

// Every pass of a CNN step against the rounded double reference on the kernel's own inputs to
// it (test::cnn_pass_references, shared with the GPU test).
template <class D, Precision P>
void check_cnn_passes(const ModelConfig& mc, const CnnModel<D, P>& model, int count, int batch) {
  const int L = model.d.L;
  const std::vector<float> params = perturbed_parameters(ModelKind::kCnn, mc);
  std::vector<float> x(static_cast<size_t>(count) * L), target(count);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  for (int b = 0; b < count; ++b) target[b] = static_cast<float>(std::cos(0.9 * b));
  const CnnStep k = cnn_step(model, params, x, target, count, batch, Exec::kThreadsReverse);
  // FP32 accumulation of at most (K F) / 8 + 16 terms (41 at F = 100, K = 2; 33 for bf16's
  // k16): <= ~41 u sum|terms| = 2.4e-6 worst case (u = 2^-24), + u (|sum| + |bias|) for the
  // bias. Measured max 3.4e-7 (x86-64). About ten times that:
  const double tol = 3e-6;
  for (const test::Pass& pass : test::cnn_pass_references(P, model, params, x, count, k)) {
    const test::ProductError e =
        test::product_error(pass.got, pass.want.value, pass.want.magnitude);
    std::printf(
        "[cnn %s %s] vs rounded double reference on the kernel's inputs: max err %.3g of "
        "sum|terms| at %zu (%.9g vs %.9g) (tol %.3g)\n",
        precision_name(P), pass.name.c_str(), e.max_rel, e.where, e.got, e.want, tol);
    EXPECT_EQ(e.non_finite, 0u) << pass.name;
    EXPECT_LT(e.max_rel, tol) << precision_name(P) << " " << pass.name;
  }
  for (int b = 0; b < count; ++b)  // the loss gradient is FP32 in every precision
    EXPECT_EQ(k.dy[b], loss_gradient(k.y[b], target[b], count)) << b;
  // However the block's threads interleave, the same bits (no race, no missing sync).
  for (Exec exec : kAllExecs) {
    const CnnStep other = cnn_step(model, params, x, target, count, batch, exec);
    EXPECT_EQ(compare(other.grad, k.grad, 0).max_rel, 0.0) << exec_name(exec);
    EXPECT_EQ(compare(other.g1, k.g1, 0).max_rel, 0.0) << exec_name(exec);
    EXPECT_EQ(compare(other.y, k.y, 0).max_rel, 0.0) << exec_name(exec);
  }
}

ModelConfig wide_cnn_config() {  // three pooled steps of five, a kernel of 3: the pool drops one
  ModelConfig wide;
  wide.window = 11, wide.cnn_kernel = 3, wide.cnn_pool = 2, wide.cnn_filters = 5;
  return wide;
}

template <Precision P>
CnnModel<CnnDims, P> cnn_model_in(const ModelConfig& mc) {
  return {CnnDims{mc.window, mc.cnn_kernel, mc.cnn_filters, mc.cnn_pool}};
}

template <Precision P>
void check_cnn_passes_all_sizes() {
  for (const ModelConfig& mc : {small_config(), wide_cnn_config()}) {
    check_cnn_passes(mc, cnn_model_in<P>(mc), 32, 32);
    check_cnn_passes(mc, cnn_model_in<P>(mc), 13, 32);
  }
  check_cnn_passes(ModelConfig{}, CnnModel<CnnFixedDims<4, 2, 100, 2>, P>{}, 32, 32);
  check_cnn_passes(ModelConfig{}, CnnModel<CnnFixedDims<4, 2, 100, 2>, P>{}, 7, 32);
}

}  // namespace

// The CNN's forward and training step pass by pass (each conv and dense product as a GEMM over
// the im2col view, the routed and col2im'd deltas, every kernel and bias gradient) against the
// double reference with the same operand rounding: a wrong patch, a transposed kernel, a missed
// pool route or relu' or a doubled bias gradient fails here.
TEST(FfHostTensorCores, CnnPassesMatchRoundedReference) {
  check_cnn_passes_all_sizes<Precision::kTf32x3>();
  check_cnn_passes_all_sizes<Precision::kTf32>();
  check_cnn_passes_all_sizes<Precision::kBf16>();
}

namespace {

// Every parameter's gradient of the tensor-core fast path against the CPU model's FP32
// backward and central differences of the double model. The gap is the precision's operand
// rounding, propagated: the tolerance is per precision, ten times the measured error.
// floor_fraction: entries below it times the largest gradient count as that large (gradient_error):
// rounding 2^-11 or 2^-8 relative of the operands is absolute on an entry that cancels.
// Also against the CPU model's emulation of the same precision (CpuModel::set_precision), which
// must round the operands of exactly the products the kernels run on tensor cores: tol_emulated.
template <class M>
void check_tc_gradient(ModelKind kind, const ModelConfig& mc, const M& model, double tol,
                       double floor_fraction, double tol_emulated, int count) {
  constexpr Precision P = M::kPrecision;
  const int L = model.input_len();
  const std::vector<float> params = perturbed_parameters(kind, mc);
  std::vector<float> x(static_cast<size_t>(count) * L), target(count);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  for (int b = 0; b < count; ++b) target[b] = static_cast<float>(std::cos(0.9 * b));
  auto cpu_gradient = [&](Precision p) {
    std::vector<float> grad(params.size()), y(count), dy(count);
    auto cpu = make_cpu_model<float>(kind, mc);
    cpu->set_precision(p);
    cpu->forward(params.data(), x.data(), count, y.data());
    for (int b = 0; b < count; ++b) dy[b] = 2.0f * (y[b] - target[b]) / static_cast<float>(count);
    cpu->backward(params.data(), dy.data(), grad.data());
    return grad;
  };
  const std::vector<float> cpu_grad = cpu_gradient(Precision::kFp32), emulated = cpu_gradient(P);
  auto cpu_double = make_cpu_model<double>(kind, mc);
  const std::vector<double> xd(x.begin(), x.end());
  std::vector<double> yd(count);
  const std::vector<double> numeric = test::central_differences(
      std::vector<double>(params.begin(), params.end()), [&](const std::vector<double>& p) {
        cpu_double->forward(p.data(), xd.data(), count, yd.data());
        double loss = 0;
        for (int b = 0; b < count; ++b) loss += (yd[b] - target[b]) * (yd[b] - target[b]);
        return loss / count;
      });
  const std::vector<float> got = fast_step(model, params, x, target, count, 32, Exec::kLoop).grad;
  const std::string what = std::string(model_name(kind)) + " " + precision_name(P) +
                           " fast kernels, " + std::to_string(count) + " of 32 rows";
  const test::GradientError vs_cpu = test::gradient_error(got, cpu_grad, floor_fraction);
  const test::GradientError vs_numeric = test::gradient_error(got, numeric, floor_fraction);
  const test::GradientError vs_emulated = test::gradient_error(got, emulated, floor_fraction);
  const std::string a = test::report_gradient_error(what + " vs CPU backward", vs_cpu, tol);
  const std::string b =
      test::report_gradient_error(what + " vs finite differences", vs_numeric, tol);
  const std::string c = test::report_gradient_error(
      what + " vs CPU emulation of " + precision_name(P), vs_emulated, tol_emulated);
  EXPECT_EQ(vs_cpu.nan_mismatch + vs_numeric.nan_mismatch + vs_emulated.nan_mismatch, 0u) << what;
  EXPECT_LT(vs_cpu.max_rel, tol) << a;
  EXPECT_LT(vs_numeric.max_rel, tol) << b;
  EXPECT_LT(vs_emulated.max_rel, tol_emulated) << c;
}

}  // namespace

// A gradient error of any one tensor (a doubled bias gradient: relative error 1) fails here in
// every precision. Measured (x86-64), worst of the CPU backward and finite differences:
// 3xtf32 2.5e-5 (FP32 level, as the fp32 kernels' 1.4e-5), tf32 9.4e-3 (operands rounded to
// 2^-11), bf16 4.0e-2 (2^-8); against the CPU's emulation of the same precision 1.8e-5,
// 4.2e-7, 4.6e-8 (accumulation order only). Tolerances about ten times that; a doubled bias
// gradient errs by >= 0.5 even in bf16 (checked by doubling it in MlpModel::backward_adam:
// every precision fails).
TEST(FfHostTensorCores, MlpGradientOfEveryParameterInEveryPrecision) {
  const ModelConfig mc = small_config();
  const MlpDims d{mc.window, mc.mlp_hidden};
  for (int count : {32, 13}) {
    check_tc_gradient(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kTf32x3>{d}, 2.5e-4, 1e-3,
                      2e-4, count);
    check_tc_gradient(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kTf32>{d}, 0.1, 1e-2, 5e-6,
                      count);
    check_tc_gradient(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kBf16>{d}, 0.4, 5e-2, 5e-7,
                      count);
  }
}

namespace {

// Whole trainings (train_epoch_block, predict_block) in a tensor-core precision: every way of
// running the block gives the same bits (the new phases have their syncs), and the epoch losses
// stay within tol of train_node's FP32 ones.
template <class M>
void check_tc_training(ModelKind kind, const ModelConfig& mc, const M& model, double tol) {
  const int nnode = 4, ntime = 240, epochs = 4;
  const TrainConfig tc = short_training(epochs);
  const std::vector<float> tec = synthetic_tec(nnode, ntime);
  std::vector<float> cpu_loss;
  for (int n = 0; n < nnode; ++n) {
    TrainResult r = train_node(kind, mc, tc, tec.data() + n * ntime, ntime, n);
    cpu_loss.insert(cpu_loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
  }
  const HostRun first = run_on_host(model, kind, mc, tc, tec, nnode, ntime, false, Exec::kLoop);
  for (Exec exec : kAllExecs) {
    const HostRun other = run_on_host(model, kind, mc, tc, tec, nnode, ntime, false, exec);
    EXPECT_EQ(compare(other.params, first.params, 0).max_rel, 0.0) << exec_name(exec);
    const Diff pred = compare(other.predicted, first.predicted, 0);
    EXPECT_EQ(pred.max_rel + pred.nan_mismatch, 0.0) << exec_name(exec);
  }
  const Diff loss = compare(first.epoch_loss, cpu_loss, 1e-6);
  std::printf("[train %s %s] epoch loss max rel diff to train_node (fp32) %.3g (tol %.3g)\n",
              model_name(kind), precision_name(M::kPrecision), loss.max_rel, tol);
  EXPECT_EQ(loss.nan_mismatch, 0u);
  EXPECT_LT(loss.max_rel, tol);
}

}  // namespace

TEST(FfHostTensorCores, MlpTrainingIsRaceFreeAndNearFp32) {
  const ModelConfig mc = small_config();
  const MlpDims d{mc.window, mc.mlp_hidden};
  // Measured (x86-64) over 4 epochs: 3xtf32 0 (the fp32 kernels' tolerance, 1.5e-6, applies),
  // tf32 6.7e-5, bf16 6.9e-4. About ten times that:
  check_tc_training(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kTf32x3>{d}, 1.5e-6);
  check_tc_training(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kTf32>{d}, 1e-3);
  check_tc_training(ModelKind::kMlp, mc, MlpModel<MlpDims, Precision::kBf16>{d}, 1e-2);
}

// As MlpGradientOfEveryParameterInEveryPrecision, for the CNN (small and wide sizes; the paper's
// is covered pass by pass above: its finite differences take too long here). Measured (x86-64),
// worst of the CPU backward and finite differences: 3xtf32 9.0e-6, tf32 1.1e-2, bf16 4.2e-2 (the
// MLP's tolerances hold); against the CPU's emulation of the same precision 9.0e-6, 6.0e-7,
// 1.7e-7. A doubled bias gradient fails every precision (checked once by doubling the bias
// gradients in CnnModel::backward_adam).
TEST(FfHostTensorCores, CnnGradientOfEveryParameterInEveryPrecision) {
  for (const ModelConfig& mc : {small_config(), wide_cnn_config()})
    for (int count : {32, 13}) {
      check_tc_gradient(ModelKind::kCnn, mc, cnn_model_in<Precision::kTf32x3>(mc), 2.5e-4, 1e-3,
                        1e-4, count);
      check_tc_gradient(ModelKind::kCnn, mc, cnn_model_in<Precision::kTf32>(mc), 0.1, 1e-2, 6e-6,
                        count);
      check_tc_gradient(ModelKind::kCnn, mc, cnn_model_in<Precision::kBf16>(mc), 0.4, 5e-2, 2e-6,
                        count);
    }
}

TEST(FfHostTensorCores, CnnTrainingIsRaceFreeAndNearFp32) {
  const ModelConfig mc = small_config();
  // The MLP's tolerances (MlpTrainingIsRaceFreeAndNearFp32). Measured (x86-64) over 4 epochs:
  // 3xtf32 6.3e-8, tf32 7.3e-5, bf16 5.3e-4.
  check_tc_training(ModelKind::kCnn, mc, cnn_model_in<Precision::kTf32x3>(mc), 1.5e-6);
  check_tc_training(ModelKind::kCnn, mc, cnn_model_in<Precision::kTf32>(mc), 1e-3);
  check_tc_training(ModelKind::kCnn, mc, cnn_model_in<Precision::kBf16>(mc), 1e-2);
}
