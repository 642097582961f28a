// The fused recurrent engine (kernels/rnn_kernels.cu) as RnnEngine<HostOps>: the GPU's very
// code (pointer arithmetic, cuBLAS GEMM arguments, gate math) with every GEMM and element
// kernel a host loop, built by the plain C++ compiler so that CI without CUDA runs it.
//  - the gradient of every parameter of one minibatch against the CPU model's backward and
//    central finite differences of the double-precision CPU model;
//  - whole training runs (windows, shuffles, minibatches, Adam, predictions) against
//    train_node itself.
// Every comparison prints its measured error next to its tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "rnn_kernels.cuh"
#include "support/gradient_check.hpp"
#include "support/small_recurrent.hpp"
#include "tecscan/cpu_model.hpp"
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
                                   std::vector<double>* loss_sum) {
  HostOps ops;
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
  HostOps ops;
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
      std::vector<float> pred, loss, params;
      for (int n = 0; n < nnode; ++n) {
        const TrainResult r = train_node(c.kind, c.mc, t, tec.data() + n * ntime, ntime, n);
        pred.insert(pred.end(), r.predicted.begin(), r.predicted.end());
        loss.insert(loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
        params.insert(params.end(), r.params.begin(), r.params.end());
      }
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
