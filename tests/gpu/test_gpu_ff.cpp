// The CUDA feed-forward trainer (MLP, CNN) against the CPU reference: forward passes, the loss
// of every minibatch over 100 Adam steps, whole trainings, node chunking, and the anomalies of
// the bundled El Salvador event. Every comparison prints its largest error and where it is.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "support/keyed_cubes.hpp"
#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/detect.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ingest.hpp"
#include "tecscan/model.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

#define SKIP_WITHOUT_GPU() \
  if (tecscan::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Cube synthetic_cube(int nnode, int ntime) {
  return tecscan::testing::gappy_diurnal_cube(nnode, ntime);
}

// Largest |a - b| / (|b| + floor) over finite pairs, and NaN patterns that differ.
struct Diff {
  double max_rel = 0, a = 0, b = 0;
  size_t where = 0, nan_mismatch = 0, first_nan_mismatch = 0;
};
template <typename T>
Diff compare(const std::vector<T>& a, const std::vector<T>& b, double floor) {
  Diff d;
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) {
      if (d.nan_mismatch++ == 0) d.first_nan_mismatch = i;
      continue;
    }
    if (std::isnan(a[i])) continue;
    const double rel = std::fabs(double(a[i]) - double(b[i])) / (std::fabs(double(b[i])) + floor);
    if (rel > d.max_rel) d.max_rel = rel, d.where = i, d.a = a[i], d.b = b[i];
  }
  return d;
}

void report(const char* what, const Diff& d, size_t row) {
  std::printf("[%s] max rel err %.3g at node %zu index %zu (%.9g vs %.9g); NaN mismatches %zu\n",
              what, d.max_rel, d.where / row, d.where % row, d.a, d.b, d.nan_mismatch);
  if (d.nan_mismatch)
    std::printf("[%s] first NaN mismatch at node %zu index %zu\n", what, d.first_nan_mismatch / row,
                d.first_nan_mismatch % row);
}

ModelConfig small_config() {
  ModelConfig mc;
  mc.mlp_hidden = 12;
  mc.cnn_filters = 6;
  return mc;
}

const ModelKind kFeedForward[] = {ModelKind::kMlp, ModelKind::kCnn};

// The repository: $TECSCAN_SOURCE_DIR when set (a build moved to another machine), else the
// source directory this test was built from.
std::string source_dir() {
  const char* env = std::getenv("TECSCAN_SOURCE_DIR");
  return env && *env ? env : TECSCAN_SOURCE_DIR;
}

}  // namespace

// Forward outputs of every node within 1e-5 relative of the CPU model on the same weights. The
// relative error is taken against |y| + 0.1 * rms(y): an output near zero is a sum that cancels,
// where float rounding of the (differently ordered) sums is absolute, not relative.
TEST(GpuFeedForward, ForwardMatchesCpuModelOnEveryNode) {
  SKIP_WITHOUT_GPU();
  for (const ModelConfig& mc : {ModelConfig{}, small_config()})
    for (ModelKind kind : kFeedForward) {
      const int nnode = 64, nsample = 45, L = input_length(kind, mc);  // 45: a partial batch
      const int64_t P = parameter_count(kind, mc);
      std::vector<float> params(nnode * P), x(static_cast<size_t>(nnode) * nsample * L), cpu;
      for (int n = 0; n < nnode; ++n) init_parameters(kind, mc, 11, n, params.data() + n * P);
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.37 * i));
      auto model = make_cpu_model<float>(kind, mc);
      for (int n = 0; n < nnode; ++n) {
        std::vector<float> y(nsample);
        model->forward(params.data() + n * P, x.data() + n * nsample * L, nsample, y.data());
        cpu.insert(cpu.end(), y.begin(), y.end());
      }
      double rms = 0;
      for (float y : cpu) rms += double(y) * y;
      rms = std::sqrt(rms / cpu.size());
      std::vector<float> fast =
          cuda_ff_forward(kind, mc, params, x, nnode, nsample, 32, FfKernel::kFast);
      std::vector<float> naive =
          cuda_ff_forward(kind, mc, params, x, nnode, nsample, 32, FfKernel::kNaive);
      const std::string name = std::string(model_name(kind)) + " P=" + std::to_string(P);
      Diff df = compare(fast, cpu, 0.1 * rms), dn = compare(naive, cpu, 0.1 * rms),
           dfn = compare(fast, naive, 0.1 * rms);
      report((name + " fast vs cpu").c_str(), df, nsample);
      report((name + " naive vs cpu").c_str(), dn, nsample);
      report((name + " fast vs naive").c_str(), dfn, nsample);
      EXPECT_EQ(df.nan_mismatch + dn.nan_mismatch, 0u) << name;
      EXPECT_LT(df.max_rel, 1e-5) << name;
      EXPECT_LT(dn.max_rel, 1e-5) << name;
      EXPECT_LT(dfn.max_rel, 1e-5) << name;
    }
}

// At least 130 Adam steps on every node against train_node itself: the trained parameters of
// every node, parameter by parameter, and every epoch's loss; the naive kernels must compute the
// very same minibatch losses and parameters as the fast ones.
TEST(GpuFeedForward, HundredAdamStepsMatchTrainNodeOnEveryNode) {
  SKIP_WITHOUT_GPU();
  const int nnode = 24, ntime = 660;  // ~390-425 training targets: 13-14 steps per epoch
  const Cube cube = synthetic_cube(nnode, ntime);
  for (ModelKind kind : kFeedForward) {
    const ModelConfig mc;
    TrainConfig tc;
    tc.epochs = 10;  // >= 13 minibatches per epoch: at least 130 steps
    tc.seed = 5;
    CudaTrainerOptions fast_opt, naive_opt;
    naive_opt.kernel = FfKernel::kNaive;
    CudaFfDetail fast = cuda_ff_train_detail(kind, mc, tc, cube, fast_opt);
    CudaFfDetail naive = cuda_ff_train_detail(kind, mc, tc, cube, naive_opt);
    EXPECT_TRUE(fast.used_fast_kernel);
    EXPECT_FALSE(naive.used_fast_kernel);
    ASSERT_GE(fast.max_steps, 100);
    std::vector<float> cpu_params, cpu_loss;
    int trained_nodes = 0;
    for (int n = 0; n < nnode; ++n) {
      const TrainResult r = train_node(kind, mc, tc, cube.node_tec(n), ntime, n);
      cpu_params.insert(cpu_params.end(), r.params.begin(), r.params.end());
      cpu_loss.insert(cpu_loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
      trained_nodes += r.stop_epoch > 0;
      if (r.stop_epoch == 0)  // nodes 0 and 1 cannot train: no step may have run
        EXPECT_TRUE(std::isnan(fast.step_loss[int64_t(n) * fast.max_steps])) << "node " << n;
    }
    EXPECT_EQ(trained_nodes, nnode - 2);
    const std::string name = model_name(kind);
    const Diff params = compare(fast.params, cpu_params, 1e-2);
    const Diff loss = compare(fast.run.epoch_loss, cpu_loss, 1e-6);
    const Diff steps = compare(naive.step_loss, fast.step_loss, 0);
    const Diff naive_params = compare(naive.params, fast.params, 0);
    report((name + " params after 10 epochs vs train_node").c_str(), params,
           fast.params.size() / nnode);
    report((name + " epoch loss vs train_node").c_str(), loss, tc.epochs);
    report((name + " step losses naive vs fast").c_str(), steps, fast.max_steps);
    report((name + " params naive vs fast").c_str(), naive_params, fast.params.size() / nnode);
    EXPECT_EQ(params.nan_mismatch + loss.nan_mismatch + steps.nan_mismatch, 0u);
    // Epoch losses: the H200 log (bench/results/h200/gpu_tests.log, TrainMatchesCpuTrainer, 10
    // epochs of the same series) measured <= 4.3e-7; about ten times that. Parameters: float
    // rounding in another summation order, amplified where Adam's m / sqrt(v) divides near-zero
    // gradients; not yet measured on a GPU (the host emulation measures 1.1e-6 after 24 steps),
    // so this bound is the step-100 loss bound the test had; tighten it to ten times the
    // printed value after the next H200 run.
    EXPECT_LT(loss.max_rel, 5e-6);
    EXPECT_LT(params.max_rel, 1e-3);
    // The naive kernels are the fast ones' oracle on the device: the H200 measured identical
    // parameters (max rel err 0) and identical worst step losses.
    EXPECT_LT(steps.max_rel, 1e-6);
    EXPECT_LT(naive_params.max_rel, 1e-6);
  }
}

// A whole train() against the CPU trainer (train_node on every node) on a synthetic cube,
// 10 epochs. The GPU sums in another order than Eigen's blocked GEMMs and Adam's m / sqrt(v)
// amplifies last-bit differences in near-zero gradients. The H200 measured, relative to
// |cpu| + 1 TECU for predictions: CNN <= 2.0e-5 (test RMSE); MLP <= 3.5e-7 on 2026-11-26 and
// 6.0e-5 on 2026-12-04 (bench/results/h200/gpu_tests.log), on the shared gappy_diurnal_cube
// this test has used since cd1be5d (worst: node 22). The MLP kernel's bits did not change in
// between: the El Salvador predictions (ElSalvadorAnomaliesMatchCpu) were identical to the last bit
// in both runs, and the naive kernels give the fast ones' exact parameters (HundredAdamSteps...).
// Tolerances are about ten times the worst measured, per model.
TEST(GpuFeedForward, TrainMatchesCpuTrainer) {
  SKIP_WITHOUT_GPU();
  const int nnode = 40, ntime = 660;
  const Cube cube = synthetic_cube(nnode, ntime);
  TrainConfig tc;
  tc.epochs = 10;
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(0), gpu = make_cuda_feedforward_trainer();
  for (ModelKind kind : kFeedForward) {
    const ModelConfig mc;
    ASSERT_TRUE(gpu->supports(kind, mc));
    const auto t0 = std::chrono::steady_clock::now();
    ModelRun c = cpu->train(kind, mc, tc, cube, nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    ModelRun g = gpu->train(kind, mc, tc, cube, nullptr);
    const auto t2 = std::chrono::steady_clock::now();
    std::printf(
        "[%s] %d nodes x %d epochs x %d training epochs: cpu %.2f s (%s), gpu %.3f s (%s)\n",
        model_name(kind), nnode, ntime, tc.epochs, std::chrono::duration<double>(t1 - t0).count(),
        c.device.c_str(), std::chrono::duration<double>(t2 - t1).count(), g.device.c_str());
    EXPECT_EQ(g.nnode, c.nnode);
    EXPECT_EQ(g.ntime, c.ntime);
    EXPECT_EQ(g.kind, kind);
    const std::string name = model_name(kind);
    Diff pred = compare(g.predicted, c.predicted, 1.0);
    Diff loss = compare(g.epoch_loss, c.epoch_loss, 1e-6);
    Diff train = compare(g.train_rmse, c.train_rmse, 1e-6);
    Diff test = compare(g.test_rmse, c.test_rmse, 1e-6);
    report((name + " predictions (TECU)").c_str(), pred, ntime);
    report((name + " epoch loss").c_str(), loss, tc.epochs);
    report((name + " train RMSE").c_str(), train, 1);
    report((name + " test RMSE").c_str(), test, 1);
    EXPECT_EQ(pred.nan_mismatch + loss.nan_mismatch + train.nan_mismatch + test.nan_mismatch, 0u);
    const double tol = kind == ModelKind::kMlp ? 6e-4 : 2e-4;
    std::printf("[%s] tolerance %.3g\n", name.c_str(), tol);
    EXPECT_LT(pred.max_rel, tol);
    EXPECT_LT(loss.max_rel, tol);
    EXPECT_LT(train.max_rel, tol);
    EXPECT_LT(test.max_rel, tol);
    // The special nodes: constant -> nothing; untrainable -> nothing (as train_node).
    EXPECT_TRUE(std::isnan(g.train_rmse[0]) && std::isnan(g.test_rmse[1]));
    EXPECT_TRUE(std::isnan(g.epoch_loss[tc.epochs * 1]));
    // Training worked: the loss fell and the test error is well below the series' spread (~6).
    EXPECT_LT(g.epoch_loss[2 * tc.epochs + tc.epochs - 1], g.epoch_loss[2 * tc.epochs]);
    EXPECT_LT(g.test_rmse[5], 3.0);
  }
}

// Chunks of nodes (forced small) give bit-identical results: nodes are independent.
TEST(GpuFeedForward, NodeChunksDoNotChangeResults) {
  SKIP_WITHOUT_GPU();
  const Cube cube = synthetic_cube(23, 300);
  TrainConfig tc;
  tc.epochs = 3;
  for (ModelKind kind : kFeedForward) {
    CudaTrainerOptions whole, chunked;
    chunked.node_chunk = 7;
    const ModelConfig mc = small_config();
    CudaFfDetail a = cuda_ff_train_detail(kind, mc, tc, cube, whole);
    CudaFfDetail b = cuda_ff_train_detail(kind, mc, tc, cube, chunked);
    Diff pred = compare(a.run.predicted, b.run.predicted, 0.0);
    Diff params = compare(a.params, b.params, 0.0);
    report((std::string(model_name(kind)) + " chunked predictions").c_str(), pred, 300);
    EXPECT_EQ(pred.max_rel, 0.0);
    EXPECT_EQ(pred.nan_mismatch, 0u);
    EXPECT_EQ(params.max_rel, 0.0);
    // step_loss is NaN after each node's last step: compare values and NaN positions, not
    // vectors with ==, for which NaN never equals NaN.
    Diff loss = compare(a.step_loss, b.step_loss, 0.0);
    EXPECT_EQ(loss.max_rel, 0.0);
    EXPECT_EQ(loss.nan_mismatch, 0u);
    EXPECT_GT(std::count_if(a.step_loss.begin(), a.step_loss.end(),
                            [](float v) { return std::isfinite(v); }),
              0);
  }
}

TEST(GpuFeedForward, RejectsWhatItCannotTrain) {
  SKIP_WITHOUT_GPU();
  std::unique_ptr<Trainer> gpu = make_cuda_feedforward_trainer();
  const Cube cube = synthetic_cube(3, 100);
  for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm}) {
    EXPECT_FALSE(gpu->supports(k, ModelConfig{})) << model_name(k);
    EXPECT_THROW(gpu->train(k, ModelConfig{}, TrainConfig{}, cube, nullptr), std::invalid_argument);
  }
  ModelConfig too_short;
  too_short.window = 2;  // no step left after two convolutions
  EXPECT_FALSE(gpu->supports(ModelKind::kCnn, too_short));
  EXPECT_THROW(gpu->train(ModelKind::kCnn, too_short, TrainConfig{}, cube, nullptr), InputError);
  ModelConfig huge;
  huge.mlp_hidden = 600;  // 32 x 600 x 4 activations per node: more than a block's memory
  EXPECT_FALSE(gpu->supports(ModelKind::kMlp, huge));
  EXPECT_NE(cuda_ff_unsupported_reason(ModelKind::kMlp, huge).find("mlp_hidden"),
            std::string::npos);
  EXPECT_EQ(cuda_ff_unsupported_reason(ModelKind::kCnn, ModelConfig{}), "");
  TrainConfig no_epochs;
  no_epochs.epochs = 0;
  EXPECT_THROW(gpu->train(ModelKind::kMlp, ModelConfig{}, no_epochs, cube, nullptr), InputError);
}

// The bundled El Salvador M7.7 (2001-01-13) cube: MLP and CNN anomalies found with the GPU
// (training and Thrust DTEC) are the CPU's, except epochs whose |DTEC| is within 1e-3 of the
// threshold in either run (printed). Both the exceedances (|DTEC| > 1.5, the rows of
// anomalies.csv) and the quiet-time flags are compared. The window is at solar maximum (F10.7
// ~200 throughout), so the paper's F10.7 < 120 is never met: the F10.7 limit is raised here so
// that quiet-time flags exist (Kp, Ap and Dst still apply; Dst is missing in January 2001).
TEST(GpuFeedForward, ElSalvadorAnomaliesMatchCpu) {
  SKIP_WITHOUT_GPU();
  const std::string root = source_dir();
  IngestOptions o;
  o.ionex = {root + "/data/ionex/jpl-2000-2001"};
  o.indices = {root + "/data/indices/SW-All.txt", root + "/data/indices/dst2000.txt"};
  o.catalog = root + "/data/catalogs/comcat_m4.5_2000-10_2001-02.csv";
  o.event_id = "usp000a7m5";
  o.verbose = false;
  const Cube cube = build_cube(o);
  const size_t nnode = cube.nnode(), ntime = cube.ntime();
  std::printf("El Salvador cube: %zu nodes x %zu epochs\n", nnode, ntime);
  ASSERT_GT(nnode, 50u);
  ASSERT_GT(ntime, 500u);
  auto index = [&](IndexKind k) { return cube.indices[static_cast<int>(k)].data(); };
  QuietThresholds thresholds;
  thresholds.f107_max = 300;
  const QuietMask quiet =
      quiet_mask(index(IndexKind::kKp), index(IndexKind::kApDaily), index(IndexKind::kDst),
                 index(IndexKind::kF107), ntime, thresholds);
  TrainConfig tc;
  tc.epochs = 5;
  const double threshold = 1.5, band = 1e-3;
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(0), gpu = make_cuda_feedforward_trainer();
  for (ModelKind kind : kFeedForward) {
    ModelRun c = cpu->train(kind, ModelConfig{}, tc, cube, nullptr);
    ModelRun g = gpu->train(kind, ModelConfig{}, tc, cube, nullptr);
    DtecOutput dc, dg, dg_cpu;
    compute_dtec_cpu(cube.tec.data(), c.predicted.data(), nnode, ntime, cube.time.data(),
                     DtecScope::kWholeSeries, nullptr, dc);
    compute_dtec_cuda(cube.tec.data(), g.predicted.data(), nnode, ntime, cube.time.data(),
                      DtecScope::kWholeSeries, nullptr, dg);
    // Thrust DTEC of the GPU's predictions equals the CPU's DTEC of the same predictions.
    compute_dtec_cpu(cube.tec.data(), g.predicted.data(), nnode, ntime, cube.time.data(),
                     DtecScope::kWholeSeries, nullptr, dg_cpu);
    Diff same_input = compare(dg.dtec, dg_cpu.dtec, 1e-3);
    report((std::string(model_name(kind)) + " thrust vs cpu DTEC, same predictions").c_str(),
           same_input, ntime);
    EXPECT_LT(same_input.max_rel, 1e-5);
    EXPECT_EQ(same_input.nan_mismatch, 0u);
    Diff pred = compare(g.predicted, c.predicted, 1.0);
    report((std::string(model_name(kind)) + " predictions gpu vs cpu").c_str(), pred, ntime);

    std::vector<uint8_t> flags_cpu(nnode * ntime);
    flag_anomalies(dc.dtec.data(), quiet.quiet.data(), nnode, ntime, threshold, flags_cpu.data());
    const AnomalyScan scan =
        scan_anomalies_cuda({dg.dtec.data()}, quiet.quiet.data(), nnode, ntime, threshold);
    const std::vector<uint8_t>& flags_gpu = scan.anomaly[0];
    std::vector<int64_t> exceed_gpu;  // from the GPU's DTEC, to check the Thrust compaction
    size_t flagged = 0, exceeding = 0, near = 0, differ = 0;
    for (size_t i = 0; i < nnode * ntime; ++i) {
      const bool ex_cpu = std::fabs(dc.dtec[i]) > threshold;
      const bool ex_gpu = std::fabs(dg.dtec[i]) > threshold;
      if (ex_gpu) exceed_gpu.push_back(static_cast<int64_t>(i));
      flagged += flags_cpu[i];
      exceeding += ex_cpu;
      if (ex_cpu == ex_gpu && flags_cpu[i] == flags_gpu[i]) continue;
      const bool borderline = std::fabs(std::fabs(dc.dtec[i]) - threshold) < band ||
                              std::fabs(std::fabs(dg.dtec[i]) - threshold) < band;
      std::printf("[%s] %s: node %zu epoch %zu (quiet %d): cpu DTEC %.6f, gpu DTEC %.6f\n",
                  model_name(kind), borderline ? "borderline" : "DIFFERENT", i / ntime, i % ntime,
                  quiet.quiet[i % ntime], dc.dtec[i], dg.dtec[i]);
      (borderline ? near : differ) += 1;
    }
    std::printf(
        "[%s] El Salvador: CPU %zu exceedances, %zu of them quiet; %zu borderline "
        "differences, %zu real differences\n",
        model_name(kind), exceeding, flagged, near, differ);
    EXPECT_GT(exceeding, 0u);
    EXPECT_GT(flagged, 0u);
    EXPECT_EQ(differ, 0u);
    EXPECT_EQ(scan.exceedances[0], exceed_gpu);
  }
}
