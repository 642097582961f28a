// k-fold options on the GPU trainers: held-out targets, kept parameters (model.hpp's layout, so
// predict_series_cpu reuses them) and the lack of early stopping (supports_train). The host
// emulation of the recurrent trainer always runs; the device tests skip without a GPU. The
// feed-forward device kernels' holdout rule is checked on the host in
// tests/thrust/test_ff_host.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "support/small_recurrent.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Diurnal series with deterministic wobble; node 2 has a gap, node 3 is constant.
Cube fold_cube(int nnode, int ntime) {
  Cube c;
  for (int n = 0; n < nnode; ++n) {
    c.node_lat.push_back(10.0 + n);
    c.node_lon.push_back(-90.0);
    c.node_distance_km.push_back(100.0 * n);
  }
  for (int t = 0; t < ntime; ++t) c.time.push_back(static_cast<TimeS>(t) * 7200);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < ntime; ++t) {
      double v = 20 + n + (6 + n) * std::sin(2 * M_PI * t / 12.0 + 0.4 * n) +
                 0.6 * std::sin(12.9898 * (t + 1) * (n + 2));
      if (n == 2 && t > 50 && t < 56) v = kNaN;
      if (n == 3) v = 15;
      c.tec.push_back(static_cast<float>(v));
    }
  return c;
}

TrainConfig fold_training() {
  TrainConfig tc;
  tc.epochs = 3;
  tc.batch = 16;
  tc.train_fraction = 1.0;
  tc.holdout = {40, 75};  // a fold in the middle
  tc.keep_params = true;
  return tc;
}

// Largest |a - b| / max(|b|, floor) over pairs finite in both; NaN patterns must agree.
double max_rel(const float* a, const float* b, size_t n, double floor, size_t* nan_mismatch) {
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) {
      ++*nan_mismatch;
      continue;
    }
    if (!std::isnan(a[i]))
      worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - b[i]) /
                                  std::max(std::fabs(static_cast<double>(b[i])), floor));
  }
  return worst;
}

// A GPU run with holdout and keep_params against the CPU trainer: the same held-out training
// (predictions and losses within tol), stop epochs, and parameters in model.hpp's layout: the
// CPU model with the GPU's parameters reproduces the GPU's predictions.
void check_fold_run(const ModelRun& got, ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                    const Cube& cube, double tol, const std::string& label) {
  SCOPED_TRACE(label);
  const ModelRun want = make_cpu_trainer(0)->train(k, mc, tc, cube, nullptr);
  const size_t T = cube.ntime(), P = static_cast<size_t>(parameter_count(k, mc));
  size_t nan_mismatch = 0;
  const double pred = max_rel(got.predicted.data(), want.predicted.data(), want.predicted.size(),
                              1.0, &nan_mismatch);
  const double loss = max_rel(got.epoch_loss.data(), want.epoch_loss.data(), want.epoch_loss.size(),
                              1e-6, &nan_mismatch);
  EXPECT_EQ(nan_mismatch, 0u);
  EXPECT_LT(pred, tol);
  EXPECT_LT(loss, tol);
  EXPECT_EQ(got.stop_epoch, want.stop_epoch);
  ASSERT_EQ(got.params.size(), cube.nnode() * P);

  double replay = 0;
  for (size_t n = 0; n < cube.nnode(); ++n) {
    const float* tec = cube.node_tec(n);
    const NodeWindows w =
        make_windows(tec, static_cast<int>(T), input_length(k, mc), tc.train_fraction, tc.holdout);
    if (w.train_targets.empty()) continue;  // nothing trained, nothing predicted
    std::vector<float> again(T, kNaN);
    predict_series_cpu(k, mc, got.params.data() + n * P, w.mean, w.std, tec, static_cast<int>(T),
                       w.predict_targets.data(), static_cast<int>(w.predict_targets.size()),
                       again.data());
    replay = std::max(replay,
                      max_rel(again.data(), got.predicted.data() + n * T, T, 1.0, &nan_mismatch));
  }
  std::printf("[%s] vs cpu: predictions %.3g, epoch loss %.3g; cpu replay of its params %.3g\n",
              label.c_str(), pred, loss, replay);
  EXPECT_EQ(nan_mismatch, 0u);
  EXPECT_LT(replay, 1e-5);

  // The holdout mattered: the run is far closer to the held-out CPU training than to the one
  // on every target.
  TrainConfig all = tc;
  all.holdout = {};
  const ModelRun unheld = make_cpu_trainer(0)->train(k, mc, all, cube, nullptr);
  size_t ignored = 0;
  const double to_unheld = max_rel(got.predicted.data(), unheld.predicted.data(),
                                   unheld.predicted.size(), 1.0, &ignored);
  EXPECT_GT(to_unheld, 10 * pred);
  EXPECT_GT(to_unheld, 1e-3);
}

using tecscan::testing::small_recurrent_config;

TEST(GpuFoldsHost, TrainersLeaveEarlyStoppingToTheCpu) {
  TrainConfig tc;
  std::unique_ptr<Trainer> ff = make_cuda_feedforward_trainer();
  std::unique_ptr<Trainer> rnn = make_cuda_recurrent_trainer(0, RnnImpl::kFused);
  EXPECT_TRUE(ff->supports_train(tc));
  EXPECT_TRUE(rnn->supports_train(tc));
  tc.patience = 5;
  EXPECT_FALSE(ff->supports_train(tc));
  EXPECT_FALSE(rnn->supports_train(tc));
  EXPECT_TRUE(make_cpu_trainer(1)->supports_train(tc));
}

// The recurrent trainer's own code on the host (RnnExec::kHost): holdout and kept parameters.
TEST(GpuFoldsHost, RecurrentEmulationHoldsOutAndKeepsParams) {
  const Cube cube = fold_cube(4, 120);
  const TrainConfig tc = fold_training();
  const ModelConfig mc = small_recurrent_config();
  RnnOptions o;
  o.impl = RnnImpl::kFused;
  o.exec = RnnExec::kHost;
  for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm}) {
    const ModelRun got = rnn_train(o, k, mc, tc, cube, nullptr, nullptr);
    check_fold_run(got, k, mc, tc, cube, 1e-4, std::string("host ") + model_name(k));
    EXPECT_EQ(got.stop_epoch, (std::vector<int>{3, 3, 3, 0}));
    TrainConfig dropped = tc;
    dropped.keep_params = false;
    EXPECT_TRUE(rnn_train(o, k, mc, dropped, cube, nullptr, nullptr).params.empty());
  }
}

TEST(GpuFolds, FeedForwardHoldsOutAndKeepsParams) {
  SKIP_WITHOUT_GPU();
  const Cube cube = fold_cube(6, 300);
  const TrainConfig tc = fold_training();
  ModelConfig mc;
  mc.mlp_hidden = 16;
  mc.cnn_filters = 8;
  for (FfKernel kernel : {FfKernel::kFast, FfKernel::kNaive})
    for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn}) {
      CudaTrainerOptions opt;
      opt.kernel = kernel;
      opt.verbose = false;
      const ModelRun got = make_cuda_feedforward_trainer(opt)->train(k, mc, tc, cube, nullptr);
      check_fold_run(got, k, mc, tc, cube, 2e-3,
                     std::string(kernel == FfKernel::kFast ? "fast " : "naive ") + model_name(k));
      // The same parameters as the detailed entry point's.
      const CudaFfDetail detail = cuda_ff_train_detail(k, mc, tc, cube, opt);
      EXPECT_EQ(std::memcmp(detail.params.data(), got.params.data(), got.params.size() * 4), 0);
    }
}

TEST(GpuFolds, RecurrentHoldsOutAndKeepsParams) {
  SKIP_WITHOUT_GPU();
  const Cube cube = fold_cube(6, 300);
  const TrainConfig tc = fold_training();
  const ModelConfig mc = small_recurrent_config();
  for (RnnImpl impl : {RnnImpl::kFused, RnnImpl::kCudnn})
    for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm}) {
      std::unique_ptr<Trainer> gpu = make_cuda_recurrent_trainer(0, impl);
      if (!gpu->supports(k, mc)) continue;  // cuDNN has no sigmoid / ReLU cells
      const ModelRun got = gpu->train(k, mc, tc, cube, nullptr);
      check_fold_run(got, k, mc, tc, cube, 2e-3,
                     std::string(rnn_impl_name(impl)) + " " + model_name(k));
    }
}

}  // namespace
}  // namespace tecscan
