// The fused recurrent engine (kernels/rnn_kernels.cu) as RnnEngine<HostOps>: the GPU's very
// code (pointer arithmetic, cuBLAS GEMM arguments, gate math) with every GEMM and element
// kernel a host loop, built by the plain C++ compiler so that CI without CUDA runs it.
//  - the gradient of every parameter of one minibatch against the CPU model's backward and
//    central finite differences of the double-precision CPU model;
//  - whole training runs (windows, shuffles, minibatches, Adam, predictions) against
//    train_node itself;
//  - the CUDA trainer's own loop (cuda/rnn_training.hpp) on HostOps: nodes keyed by
//    Cube::rng_node give the same bits alone or packed, and an epoch captured as a CUDA graph
//    and replayed (HostOps records the launches with their arguments, as stream capture does)
//    gives the same bits as the eager loop.
// Every comparison prints its measured error next to its tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "../../cuda/rnn_training.hpp"
#include "rnn_kernels.cuh"
#include "support/gradient_check.hpp"
#include "support/keyed_cubes.hpp"
#include "support/small_recurrent.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"

using namespace tecscan;
using tecscan::rnn::HostOps;
using tecscan::rnn::RnnEngine;
using tecscan::rnn::RnnShape;
using tecscan::testing::small_recurrent_config;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

using Case = tecscan::testing::RecurrentCase;
using tecscan::testing::recurrent_cases;
using tecscan::testing::with_tanh;

// ---- one minibatch's gradient ------------------------------------------------------------------

// One minibatch per node: Keras-initialised weights plus a deterministic perturbation (so the
// zero biases matter), inputs in [-1.5, 1.5], count[n] rows of `batch` (the rest is padding).
struct Minibatch {
  int nnode = 0, batch = 0, len = 0;
  int64_t nparam = 0;
  std::vector<float> params, x, target;
  std::vector<int> count;
};

Minibatch make_minibatch(ModelKind k, const ModelConfig& mc, int nnode, int batch) {
  Minibatch m;
  m.nnode = nnode, m.batch = batch, m.len = input_length(k, mc);
  m.nparam = parameter_count(k, mc);
  m.params.resize(static_cast<size_t>(nnode) * m.nparam);
  for (int n = 0; n < nnode; ++n) {
    float* p = m.params.data() + n * m.nparam;
    init_parameters(k, mc, 42, static_cast<uint64_t>(n), p);
    for (int64_t i = 0; i < m.nparam; ++i) p[i] += 0.1f * static_cast<float>(std::sin(2.3 * i + n));
  }
  m.x.assign(static_cast<size_t>(nnode) * batch * m.len, 0.0f);
  m.target.assign(static_cast<size_t>(nnode) * batch, 0.0f);
  for (int n = 0; n < nnode; ++n) {
    m.count.push_back(std::max(1, batch - n * (batch / 3)));
    for (int r = 0; r < m.count[n]; ++r) {  // padding rows stay 0, as the trainer's gather
      const size_t row = static_cast<size_t>(n) * batch + r;
      for (int i = 0; i < m.len; ++i)
        m.x[row * m.len + i] = static_cast<float>(1.5 * std::sin(0.77 * (row * m.len + i) + 0.1));
      m.target[row] = static_cast<float>(std::cos(1.3 * row));
    }
  }
  return m;
}

std::vector<float> engine_gradient(ModelKind k, const ModelConfig& mc, const Minibatch& m,
                                   std::vector<double>* loss_sum,
                                   Precision precision = Precision::kFp32) {
  HostOps ops(precision);
  RnnEngine<HostOps> engine(ops, rnn::make_rnn_shape(k, mc), m.nnode, m.batch);
  std::copy(m.params.begin(), m.params.end(), engine.params());
  std::copy(m.x.begin(), m.x.end(), engine.input());
  std::copy(m.target.begin(), m.target.end(), engine.target());
  std::copy(m.count.begin(), m.count.end(), engine.count());
  engine.forward();
  engine.backward();
  loss_sum->assign(engine.loss_sum(), engine.loss_sum() + m.nnode);
  return std::vector<float>(engine.grads(), engine.grads() + m.params.size());
}

// The batch-mean MSE over node n's valid rows with the double CPU model.
double node_loss(CpuModel<double>& model, const Minibatch& m, int n, const double* params) {
  const int cnt = m.count[n];
  std::vector<double> x(m.x.begin() + static_cast<size_t>(n) * m.batch * m.len,
                        m.x.begin() + (static_cast<size_t>(n) * m.batch + cnt) * m.len),
      y(cnt);
  model.forward(params, x.data(), cnt, y.data());
  double loss = 0;
  for (int r = 0; r < cnt; ++r) {
    const double e = y[r] - m.target[static_cast<size_t>(n) * m.batch + r];
    loss += e * e;
  }
  return loss / cnt;
}

}  // namespace

TEST(RnnHostEngine, CompilesWithoutCudaAndKnowsItsBackEnd) {
  EXPECT_FALSE(HostOps::kOnDevice);
  const RnnShape s = rnn::make_rnn_shape(ModelKind::kLstm, ModelConfig{});
  EXPECT_EQ(s.nparam, parameter_count(ModelKind::kLstm, ModelConfig{}));
  EXPECT_EQ(s.gates, 4);
}

// Every parameter's gradient of the engine against the CPU model's float backward and central
// finite differences of the double CPU model; rows past count[n] must contribute nothing.
TEST(RnnHostEngine, GradientOfEveryParameterMatchesCpuAndFiniteDifferences) {
  // Measured on x86-64 (g++ -O3), worst over the six cases: vs the CPU backward 1.6e-5, vs
  // finite differences 1.8e-5 (float rounding of small entries). About ten times that:
  const double tol_cpu = 2e-4, tol_numeric = 2e-4;
  for (const Case& c : recurrent_cases(small_recurrent_config())) {
    SCOPED_TRACE(c.label());
    const Minibatch m = make_minibatch(c.kind, c.mc, 3, 9);
    std::vector<double> loss_sum;
    const std::vector<float> got = engine_gradient(c.kind, c.mc, m, &loss_sum);

    std::vector<float> cpu_grad(m.params.size()), y(m.batch), dy(m.batch);
    std::vector<double> numeric;
    auto cpu = make_cpu_model<float>(c.kind, c.mc);
    auto cpu_double = make_cpu_model<double>(c.kind, c.mc);
    for (int n = 0; n < m.nnode; ++n) {
      const int cnt = m.count[n];
      const float* p = m.params.data() + n * m.nparam;
      cpu->forward(p, m.x.data() + static_cast<size_t>(n) * m.batch * m.len, cnt, y.data());
      for (int r = 0; r < cnt; ++r)
        dy[r] = 2.0f * (y[r] - m.target[static_cast<size_t>(n) * m.batch + r]) /
                static_cast<float>(cnt);
      cpu->backward(p, dy.data(), cpu_grad.data() + n * m.nparam);
      const std::vector<double> pd(p, p + m.nparam);
      EXPECT_NEAR(loss_sum[n] / cnt, node_loss(*cpu_double, m, n, pd.data()),
                  1e-5 * node_loss(*cpu_double, m, n, pd.data()))
          << "node " << n;
      const std::vector<double> g = test::central_differences(
          pd, [&](const std::vector<double>& q) { return node_loss(*cpu_double, m, n, q.data()); });
      numeric.insert(numeric.end(), g.begin(), g.end());
    }
    const std::string what = c.label() + " engine, " + std::to_string(m.params.size()) +
                             " parameters over 3 nodes (9, 6, 3 of 9 rows)";
    const test::GradientError vs_cpu = test::gradient_error(got, cpu_grad);
    const test::GradientError vs_numeric = test::gradient_error(got, numeric);
    const std::string a = test::report_gradient_error(what + " vs CPU backward", vs_cpu, tol_cpu);
    const std::string b =
        test::report_gradient_error(what + " vs finite differences", vs_numeric, tol_numeric);
    EXPECT_EQ(vs_cpu.nan_mismatch + vs_numeric.nan_mismatch, 0u);
    EXPECT_LT(vs_cpu.max_rel, tol_cpu) << a;
    EXPECT_LT(vs_numeric.max_rel, tol_numeric) << b;
  }
}

// The CPU float model's backward in precision p (its emulation rounds both operands of every
// product) for every node of the minibatch.
std::vector<float> cpu_gradient(ModelKind k, const ModelConfig& mc, const Minibatch& m,
                                Precision p) {
  std::vector<float> grad(m.params.size()), y(m.batch), dy(m.batch);
  auto cpu = make_cpu_model<float>(k, mc);
  cpu->set_precision(p);
  for (int n = 0; n < m.nnode; ++n) {
    const int cnt = m.count[n];
    const float* w = m.params.data() + n * m.nparam;
    cpu->forward(w, m.x.data() + static_cast<size_t>(n) * m.batch * m.len, cnt, y.data());
    for (int r = 0; r < cnt; ++r)
      dy[r] =
          2.0f * (y[r] - m.target[static_cast<size_t>(n) * m.batch + r]) / static_cast<float>(cnt);
    cpu->backward(w, dy.data(), grad.data() + n * m.nparam);
  }
  return grad;
}

// The fused path's tf32 and bf16 (cuBLAS' tensor-core compute types on the GPU): the host
// engine rounds every GEMM's operands and the CNN-LSTM's first Conv1D's as the CPU's emulation
// of the precision does, so every parameter's gradient equals the CPU's up to summation order.
// Errors are relative to |g| + 1e-3 max|g| (a summation-order difference can move a value across
// a rounding boundary of the precision, which a tiny entry would show as a large relative
// error). The fp32 engine's gradient differs from the emulation by more than the tolerance, so
// the comparison sees whether the rounding is applied at all.
TEST(RnnHostEngine, GradientInTf32AndBf16MatchesTheCpuEmulation) {
  // Measured on x86-64 (g++ -O3), worst over the six cases: tf32 2.4e-5 (CNN-LSTM/tanh), bf16
  // 2.7e-6. About ten times that:
  for (Precision p : {Precision::kTf32, Precision::kBf16}) {
    const double tol = p == Precision::kTf32 ? 2.5e-4 : 3e-5;
    for (const Case& c : recurrent_cases(small_recurrent_config())) {
      SCOPED_TRACE(c.label() + " " + precision_name(p));
      const Minibatch m = make_minibatch(c.kind, c.mc, 3, 9);
      std::vector<double> loss_sum;
      const std::vector<float> got = engine_gradient(c.kind, c.mc, m, &loss_sum, p);
      const std::vector<float> fp32 = engine_gradient(c.kind, c.mc, m, &loss_sum);
      const std::vector<float> want = cpu_gradient(c.kind, c.mc, m, p);
      const test::GradientError e = test::gradient_error(got, want, 1e-3);
      const test::GradientError unrounded = test::gradient_error(fp32, want, 1e-3);
      std::printf("%s\n",
                  test::report_gradient_error(
                      c.label() + " " + precision_name(p) + " engine vs CPU emulation", e, tol)
                      .c_str());
      EXPECT_EQ(e.nan_mismatch, 0u);
      EXPECT_LT(e.max_rel, tol) << "parameter #" << e.where;
      EXPECT_GT(unrounded.max_rel, tol) << "the fp32 engine agrees with the " << precision_name(p)
                                        << " emulation: is the precision applied?";
    }
  }
}

// ---- whole training runs against train_node ---------------------------------------------------

namespace {

// Diurnal TEC-like series (12 epochs a day) with noise; node 2 has gaps, node 3 is constant
// (cannot be normalised: no training, no predictions).
std::vector<float> synthetic_tec(int nnode, int ntime) {
  std::vector<float> tec(static_cast<size_t>(nnode) * ntime);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < ntime; ++t) {
      double v = 20 + (8 + n) * std::sin(2 * M_PI * t / 12.0 + 0.3 * n) +
                 0.5 * std::sin(12.9898 * (t + 1) * (n + 2));
      if (n == 2 && (t % 37 == 5 || (t > 60 && t < 70))) v = kNaN;
      if (n == 3) v = 15;
      tec[static_cast<size_t>(n) * ntime + t] = static_cast<float>(v);
    }
  return tec;
}

struct EngineRun {
  std::vector<float> predicted, epoch_loss, params;  // [node][ntime], [node][epochs], [node][P]
};

// train_node's loop (windows, per-node shuffles keyed by node, minibatches with a partial last
// one, Adam, predictions in TECU) for all nodes at once, every step through RnnEngine<HostOps>.
EngineRun train_with_engine(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                            const std::vector<float>& tec, int nnode, int ntime) {
  const RnnShape s = rnn::make_rnn_shape(k, mc);
  const int L = s.input_len, B = tc.batch;
  std::vector<NodeWindows> w;
  for (int n = 0; n < nnode; ++n)
    w.push_back(make_windows(tec.data() + static_cast<size_t>(n) * ntime, ntime, L,
                             tc.train_fraction, tc.holdout));
  HostOps ops(tc.precision);
  RnnEngine<HostOps> engine(ops, s, nnode, B);
  engine.reset_optimizer(tc.adam);
  for (int n = 0; n < nnode; ++n)
    init_parameters(k, mc, tc.seed, static_cast<uint64_t>(n), engine.params() + n * s.nparam);
  EngineRun r;
  r.predicted.assign(static_cast<size_t>(nnode) * ntime, kNaN);
  r.epoch_loss.assign(static_cast<size_t>(nnode) * tc.epochs, kNaN);
  auto ntrain = [&](int n) { return static_cast<int>(w[n].train_targets.size()); };
  int max_batches = 0;
  for (int n = 0; n < nnode; ++n) max_batches = std::max(max_batches, (ntrain(n) + B - 1) / B);

  // Rows slot * B .. of each node's `targets(n)` list, in order[n] when training.
  auto gather = [&](int slot, auto&& targets, const std::vector<std::vector<int>>* order) {
    for (int n = 0; n < nnode; ++n) {
      const std::vector<int>& list = targets(n);
      const int avail = ntrain(n) > 0 ? static_cast<int>(list.size()) : 0;
      const int cnt = std::clamp(avail - slot * B, 0, B);
      engine.count()[n] = cnt;
      for (int b = 0; b < B; ++b) {
        float* x = engine.input() + (static_cast<size_t>(n) * B + b) * L;
        float* y = engine.target() + static_cast<size_t>(n) * B + b;
        if (b >= cnt) {
          std::fill_n(x, L, 0.0f), *y = 0.0f;
          continue;
        }
        const int pos = slot * B + b;
        const int t = list[order ? (*order)[n][pos] : pos];
        std::copy(w[n].z.begin() + (t - L), w[n].z.begin() + t, x);
        *y = w[n].z[t];
      }
    }
  };
  std::vector<std::vector<int>> order(nnode);
  for (int e = 0; e < tc.epochs; ++e) {
    for (int n = 0; n < nnode; ++n) {
      order[n].resize(ntrain(n));
      std::iota(order[n].begin(), order[n].end(), 0);
      shuffle_epoch(rng_key(tc.seed, n, static_cast<uint64_t>(k), kRngShuffle), e, order[n].data(),
                    ntrain(n));
    }
    for (int slot = 0; slot < max_batches; ++slot) {
      gather(
          slot, [&](int n) -> const std::vector<int>& { return w[n].train_targets; }, &order);
      engine.forward();
      engine.backward();
      engine.adam_step();
    }
    for (int n = 0; n < nnode; ++n) {
      if (ntrain(n) > 0) r.epoch_loss[n * tc.epochs + e] = engine.loss_sum()[n] / ntrain(n);
      engine.loss_sum()[n] = 0;
    }
  }
  int max_predict = 0;
  for (int n = 0; n < nnode; ++n)
    max_predict = std::max(max_predict, static_cast<int>(w[n].predict_targets.size()));
  for (int slot = 0; slot * B < max_predict; ++slot) {
    gather(
        slot, [&](int n) -> const std::vector<int>& { return w[n].predict_targets; }, nullptr);
    engine.forward();
    for (int n = 0; n < nnode; ++n)
      for (int b = 0; b < engine.count()[n]; ++b) {
        const int t = w[n].predict_targets[slot * B + b];
        r.predicted[static_cast<size_t>(n) * ntime + t] = static_cast<float>(
            static_cast<double>(engine.output()[n * B + b]) * w[n].std + w[n].mean);
      }
  }
  r.params.assign(engine.params(), engine.params() + static_cast<size_t>(nnode) * s.nparam);
  return r;
}

// The same training with train_node, node after node, laid out as EngineRun.
EngineRun train_with_train_node(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                const std::vector<float>& tec, int nnode, int ntime) {
  EngineRun r;
  for (int n = 0; n < nnode; ++n) {
    const TrainResult t = train_node(k, mc, tc, tec.data() + n * ntime, ntime, n);
    r.predicted.insert(r.predicted.end(), t.predicted.begin(), t.predicted.end());
    r.epoch_loss.insert(r.epoch_loss.end(), t.epoch_loss.begin(), t.epoch_loss.end());
    r.params.insert(r.params.end(), t.params.begin(), t.params.end());
  }
  return r;
}

}  // namespace

TEST(RnnHostEngine, TrainingMatchesTrainNode) {
  const int nnode = 4, ntime = 150;
  const std::vector<float> tec = synthetic_tec(nnode, ntime);
  TrainConfig tc;
  tc.epochs = 3;
  tc.batch = 16;
  tc.seed = 9;
  // Measured on x86-64 (g++ -O3), worst over the twelve runs: predictions 1.2e-7, epoch losses
  // 1.2e-7, trained parameters 1.1e-6 (after up to 24 Adam steps). About ten times that:
  const double tol_pred = 1.5e-6, tol_loss = 1.5e-6, tol_params = 1.5e-5;
  for (const Case& c : recurrent_cases(small_recurrent_config()))
    for (TargetRange holdout : {TargetRange{}, TargetRange{40, 70}}) {
      TrainConfig t = tc;
      t.holdout = holdout;
      if (holdout.end > holdout.begin) t.train_fraction = 1.0;  // a k-fold fold
      SCOPED_TRACE(c.label());
      const EngineRun got = train_with_engine(c.kind, c.mc, t, tec, nnode, ntime);
      const EngineRun want = train_with_train_node(c.kind, c.mc, t, tec, nnode, ntime);
      const std::vector<float>&pred = want.predicted, &loss = want.epoch_loss,
            &params = want.params;
      size_t predicted = 0;
      for (float v : pred) predicted += std::isfinite(v);
      EXPECT_GT(predicted, static_cast<size_t>(2 * ntime));
      const test::GradientError p = test::gradient_error(got.predicted, pred, 1.0 / 30);
      const test::GradientError l = test::gradient_error(got.epoch_loss, loss, 1e-6);
      const test::GradientError w = test::gradient_error(got.params, params, 1e-2);
      std::printf(
          "[train %s%s] predictions max rel %.3g (tol %.3g); epoch loss max rel %.3g (tol %.3g); "
          "parameters max rel %.3g (tol %.3g)\n",
          c.label().c_str(), holdout.end > holdout.begin ? ", fold [40, 70)" : "", p.max_rel,
          tol_pred, l.max_rel, tol_loss, w.max_rel, tol_params);
      EXPECT_EQ(p.nan_mismatch + l.nan_mismatch + w.nan_mismatch, 0u);
      EXPECT_LT(p.max_rel, tol_pred) << "prediction #" << p.where;
      EXPECT_LT(l.max_rel, tol_loss) << "epoch loss #" << l.where;
      EXPECT_LT(w.max_rel, tol_params) << "parameter #" << w.where;
    }
}

// Whole trainings in the fused path's tensor-core precisions against train_node in the same
// precision (the CPU's emulation): the same rounded operands, so the runs differ by summation
// order only, which a long training amplifies a little (a rounded operand can flip).
TEST(RnnHostEngine, TrainingInTf32AndBf16MatchesTrainNode) {
  const int nnode = 4, ntime = 150;
  const std::vector<float> tec = synthetic_tec(nnode, ntime);
  for (Precision p : {Precision::kTf32, Precision::kBf16}) {
    TrainConfig t;
    t.epochs = 3;
    t.batch = 16;
    t.seed = 9;
    t.precision = p;
    // Measured on x86-64 (g++ -O3), worst over the six cases: tf32 predictions 1.5e-4, epoch
    // losses 1.0e-5, parameters 4.8e-5 (all the SimpleRNN's: one operand rounded the other way
    // after a summation-order difference, then 24 Adam steps; the other cases 2e-6 or less);
    // bf16 8.9e-8, 5.0e-6, 3.4e-6. About ten times tf32's, for both: a flipped operand is the
    // same event in either precision.
    const double tol_pred = 1.5e-3, tol_loss = 1e-4, tol_params = 5e-4;
    for (const Case& c : recurrent_cases(small_recurrent_config())) {
      SCOPED_TRACE(c.label() + " " + precision_name(p));
      const EngineRun got = train_with_engine(c.kind, c.mc, t, tec, nnode, ntime);
      const EngineRun want = train_with_train_node(c.kind, c.mc, t, tec, nnode, ntime);
      const std::vector<float>&pred = want.predicted, &loss = want.epoch_loss,
            &params = want.params;
      const test::GradientError e_pred = test::gradient_error(got.predicted, pred, 1.0 / 30);
      const test::GradientError e_loss = test::gradient_error(got.epoch_loss, loss, 1e-6);
      const test::GradientError e_par = test::gradient_error(got.params, params, 1e-2);
      std::printf(
          "[train %s %s] predictions max rel %.3g (tol %.3g); epoch loss max rel %.3g (tol "
          "%.3g); parameters max rel %.3g (tol %.3g)\n",
          c.label().c_str(), precision_name(p), e_pred.max_rel, tol_pred, e_loss.max_rel, tol_loss,
          e_par.max_rel, tol_params);
      EXPECT_EQ(e_pred.nan_mismatch + e_loss.nan_mismatch + e_par.nan_mismatch, 0u);
      EXPECT_LT(e_pred.max_rel, tol_pred) << "prediction #" << e_pred.where;
      EXPECT_LT(e_loss.max_rel, tol_loss) << "epoch loss #" << e_loss.where;
      EXPECT_LT(e_par.max_rel, tol_params) << "parameter #" << e_par.where;
    }
  }
}

// ---- the CUDA trainer's loop (cuda/rnn_training.hpp) on the host --------------------------------

namespace {

Cube make_cube(const std::vector<float>& tec, int nnode, int ntime) {
  Cube c;
  c.node_lat.assign(static_cast<size_t>(nnode), 0.0);
  c.node_lon = c.node_distance_km = c.node_lat;
  for (int t = 0; t < ntime; ++t) c.time.push_back(static_cast<TimeS>(t) * 3600);
  c.tec = tec;
  return c;
}

using tecscan::testing::subset_keyed;

ModelRun host_train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                    int chunk_nodes, bool cuda_graphs, RnnTiming* timing = nullptr) {
  rnn::TrainingPlan plan;
  plan.chunk_nodes = chunk_nodes;
  plan.cuda_graphs = cuda_graphs;
  plan.device_label = "host emulation";
  HostOps ops;
  return rnn::CubeTraining<HostOps>(ops, plan, k, mc, tc, cube, nullptr, timing).run();
}

// memcmp of `count` values of node `a` of one run and node `b` of another.
template <typename T>
bool same_bits(const std::vector<T>& x, size_t a, const std::vector<T>& y, size_t b, size_t count) {
  return std::memcmp(x.data() + a * count, y.data() + b * count, count * sizeof(T)) == 0;
}

size_t finite_count(const std::vector<float>& v) {
  size_t n = 0;
  for (float x : v) n += std::isfinite(x);
  return n;
}

TrainConfig short_training() {
  TrainConfig tc;
  tc.epochs = 3;
  tc.batch = 16;
  tc.seed = 11;
  tc.keep_params = true;
  return tc;
}

}  // namespace

// A cube of some nodes of another cube, permuted, keyed by their original indices, trains every
// node to the same bits as the original cube, whether the nodes share a chunk or not.
TEST(RnnHostTrainer, NodesKeyedByRngNodeGiveTheSameBitsAloneOrPacked) {
  const int nnode = 5, ntime = 110;
  const Cube whole = make_cube(synthetic_tec(nnode, ntime), nnode, ntime);
  const std::vector<int> pick{4, 1, 2, 0};  // node 3 (constant) left out, order changed
  const Cube packed = subset_keyed(whole, pick);
  const TrainConfig tc = short_training();
  for (const Case& c : recurrent_cases(small_recurrent_config())) {
    SCOPED_TRACE(c.label());
    const int64_t P = parameter_count(c.kind, c.mc);
    const ModelRun want = host_train(c.kind, c.mc, tc, whole, nnode, false);
    ASSERT_GT(finite_count(want.predicted), static_cast<size_t>(2 * ntime));
    for (int chunk : {4, 3, 1}) {
      const ModelRun got = host_train(c.kind, c.mc, tc, packed, chunk, false);
      for (size_t i = 0; i < pick.size(); ++i) {
        const size_t from = static_cast<size_t>(pick[i]);
        EXPECT_TRUE(same_bits(got.predicted, i, want.predicted, from, ntime))
            << "predictions of node " << pick[i] << ", chunks of " << chunk;
        EXPECT_TRUE(same_bits(got.epoch_loss, i, want.epoch_loss, from, tc.epochs))
            << "epoch losses of node " << pick[i] << ", chunks of " << chunk;
        EXPECT_TRUE(same_bits(got.params, i, want.params, from, static_cast<size_t>(P)))
            << "parameters of node " << pick[i] << ", chunks of " << chunk;
      }
    }
    // The keys matter: the same subset keyed by position trains node 4 differently.
    Cube unkeyed = packed;
    unkeyed.rng_node_keys.clear();
    const ModelRun other = host_train(c.kind, c.mc, tc, unkeyed, 4, false);
    EXPECT_FALSE(same_bits(other.params, 0, want.params, 4, static_cast<size_t>(P)));
  }
}

TEST(RnnHostTrainer, RejectsKeysNotOnePerNode) {
  const Cube whole = make_cube(synthetic_tec(3, 60), 3, 60);
  Cube bad = whole;
  bad.rng_node_keys = {0, 1};
  TrainConfig tc = short_training();
  tc.epochs = 1;
  EXPECT_THROW(host_train(ModelKind::kRnn, small_recurrent_config(), tc, bad, 3, false),
               InputError);
}

// The epoch captured once and replayed (every per-epoch value from memory: the epoch counter,
// Adam's step counts) gives the eager loop's bits: predictions, losses of every epoch, weights.
TEST(RnnHostTrainer, GraphReplayEqualsEagerBitForBit) {
  const int nnode = 4, ntime = 110;
  const Cube cube = make_cube(synthetic_tec(nnode, ntime), nnode, ntime);
  const TrainConfig tc = short_training();
  for (const Case& c : recurrent_cases(small_recurrent_config())) {
    SCOPED_TRACE(c.label());
    for (int chunk : {nnode, 3}) {
      RnnTiming timing;
      const ModelRun eager = host_train(c.kind, c.mc, tc, cube, chunk, false);
      const ModelRun graph = host_train(c.kind, c.mc, tc, cube, chunk, true, &timing);
      ASSERT_GT(finite_count(eager.epoch_loss), static_cast<size_t>(2 * tc.epochs));
      EXPECT_TRUE(same_bits(graph.predicted, 0, eager.predicted, 0, eager.predicted.size()));
      EXPECT_TRUE(same_bits(graph.epoch_loss, 0, eager.epoch_loss, 0, eager.epoch_loss.size()));
      EXPECT_TRUE(same_bits(graph.params, 0, eager.params, 0, eager.params.size()));
      ASSERT_EQ(timing.epoch_s.size(), static_cast<size_t>(tc.epochs));
      for (double s : timing.epoch_s) EXPECT_GE(s, 0.0);
      EXPECT_GT(timing.train_samples, 0);
    }
  }
}

// What a capture cannot hold is refused while capturing, as on the GPU.
TEST(RnnHostTrainer, CaptureRefusesHostCopies) {
  HostOps ops;
  std::vector<float> host(4, 1.0f);
  HostOps::Buffer<float> dev;
  dev.resize(4);
  EXPECT_THROW(ops.capture([&] { ops.to_device(dev.data(), host.data(), 4); }), std::logic_error);
  EXPECT_THROW(ops.capture([&] { ops.to_host(host.data(), dev.data(), 4); }), std::logic_error);
  // A captured launch runs on replay only, with the arguments it was captured with.
  float* p = dev.data();
  const HostOps::Graph g = ops.capture([&] { ops.zero(p, 4); });
  EXPECT_TRUE(std::isnan(dev.data()[0]));  // new buffers hold garbage (NaN), untouched so far
  ops.replay(g);
  EXPECT_EQ(dev.data()[0], 0.0f);
}
