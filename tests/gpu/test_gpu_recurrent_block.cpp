// The recurrent models on the persistent block path (--rnn-impl block, kernels/recurrent_block.cuh)
// on the device: one minibatch (forward outputs and every parameter's gradient) against the
// double references of tests/thrust/test_recurrent_block_host.cpp, and whole trainings against
// train_node in the same precision. Tolerances: the host test's where the H200 stayed within
// them, else about three to ten times the H200's measured error (each test says which).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "recurrent_block.cuh"
#include "support/gradient_check.hpp"
#include "support/keyed_cubes.hpp"
#include "support/small_recurrent.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

using namespace tecscan;

namespace {

#define SKIP_WITHOUT_GPU() \
  if (tecscan::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr Precision kAllPrecisions[] = {Precision::kFp32, Precision::kTf32x3, Precision::kTf32,
                                        Precision::kBf16};

// The host test's inputs: perturbed Keras weights, fixed-formula inputs and targets.
std::vector<float> perturbed_parameters(ModelKind kind, const ModelConfig& mc) {
  std::vector<float> p(static_cast<size_t>(parameter_count(kind, mc)));
  init_parameters(kind, mc, 5, 1, p.data());
  for (size_t i = 0; i < p.size(); ++i) p[i] += 0.2f * static_cast<float>(std::sin(1.7 * i + 0.3));
  return p;
}

// One minibatch on the device against the CPU double model in the same precision (operands
// rounded as the tensor cores round them; fp32: exact double arithmetic): outputs and gradient.
void check_device_step(const tecscan::testing::RecurrentCase& c, Precision p, int count,
                       double tol_y, double tol_grad, double grad_floor = 1e-3) {
  const rnn::RnnShape s = rnn::make_rnn_shape(c.kind, c.mc);
  const std::vector<float> params = perturbed_parameters(c.kind, c.mc);
  std::vector<float> x(static_cast<size_t>(count) * s.input_len), target(count);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  for (int b = 0; b < count; ++b) target[b] = static_cast<float>(std::cos(0.9 * b));
  const ff::RecurrentDeviceStep got = ff::device_recurrent_step(p, s, params, x, target, count, 32);

  auto cpu = make_cpu_model<double>(c.kind, c.mc);
  cpu->set_precision(p);
  const std::vector<double> pd(params.begin(), params.end()), xd(x.begin(), x.end());
  std::vector<double> y(count), dy(count), grad(params.size());
  cpu->forward(pd.data(), xd.data(), count, y.data());
  for (int b = 0; b < count; ++b) dy[b] = 2.0 * (y[b] - target[b]) / count;
  cpu->backward(pd.data(), dy.data(), grad.data());

  double rms = 0;  // errors relative to |y| + 0.1 rms(y), as the host test
  for (double v : y) rms += v * v;
  const double floor = 0.1 * std::sqrt(rms / count);
  double y_err = 0;
  for (int b = 0; b < count; ++b)
    y_err = std::max(y_err, std::fabs(got.y[b] - y[b]) / (std::fabs(y[b]) + floor));
  const std::string what = "device " + c.label() + " " + precision_name(p) + ", " +
                           std::to_string(count) + " of 32 rows";
  std::printf("[%s] outputs max rel err %.3g (tol %.3g)\n", what.c_str(), y_err, tol_y);
  EXPECT_LT(y_err, tol_y) << what;
  const test::GradientError e = test::gradient_error(got.grad, grad, grad_floor);
  const std::string line =
      test::report_gradient_error(what + " vs CPU double emulation", e, tol_grad);
  EXPECT_EQ(e.nan_mismatch, 0u) << what;
  EXPECT_LT(e.max_rel, tol_grad) << line;
}

Cube synthetic_cube(int nnode, int ntime) {
  return tecscan::testing::gappy_diurnal_cube(nnode, ntime);
}

double max_rel(const std::vector<float>& a, const std::vector<float>& b, double floor,
               size_t* nan_mismatch) {
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (std::isnan(a[i]) != std::isnan(b[i])) {
      ++*nan_mismatch;
      continue;
    }
    if (std::isnan(a[i])) continue;
    worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / (std::fabs(double(b[i])) + floor));
  }
  return worst;
}

}  // namespace

// The host test's sizes (small) and the paper's (RNN-100, GRU-100, LSTM-200, CNN-LSTM-100: all
// but the first with their activations in global memory), full and partial minibatches, every
// precision. Measured on an H200 (bench/results/h200/gpu_tests.log, 2026-12-04), worst case:
//  - fp32 outputs 3.8e-6 (paper-size RNN), gradients 8.2e-5: bounds 5e-5 and 8e-4.
//  - 3xtf32 outputs 3.6e-6 at the small sizes but 1.4e-5 (RNN) and 3.1e-5 (CNN-LSTM/tanh) at
//    the paper's: the split x = big + small keeps 22 of fp32's 24 mantissa bits, and the
//    long recurrences amplify that about as they amplify fp32's rounding (3.8e-6). Bounds: 3e-5
//    small, 1e-4 paper size (3x the worst; the 1e-5 holds for fp32 only, not 3xtf32).
//  - tf32 and bf16: the device adds each mma's products in another order than the host
//    emulation, which moves a few activations across a tf32 or bf16 rounding step (or a ReLU
//    across zero) and changes the gradient elements that depend on them by up to a few 1e-5 of
//    the largest gradient: the CNN-LSTM/ReLU's worst element was 0.056 relative to |g| + 1e-3
//    max|g| (the others <= 8e-3). Their elements are measured against |g| + 1e-2 max|g| with the
//    old bounds; the same code path's gradients are checked to 8e-4 in fp32 and 3xtf32, where
//    no rounding step moves, so a wrong gradient still fails there.
TEST(GpuRecurrentBlock, StepOutputsAndEveryGradientInEveryPrecision) {
  SKIP_WITHOUT_GPU();
  for (const ModelConfig& base : {tecscan::testing::small_recurrent_config(), ModelConfig{}}) {
    const bool paper = base.cnn_filters >= 10;
    for (const tecscan::testing::RecurrentCase& c : tecscan::testing::block_recurrent_cases(base))
      for (int count : {32, 13}) {
        check_device_step(c, Precision::kFp32, count, 5e-5, 8e-4);
        check_device_step(c, Precision::kTf32x3, count, paper ? 1e-4 : 3e-5, 8e-4);
        check_device_step(c, Precision::kTf32, count, 8e-3, 1.5e-2, 1e-2);
        check_device_step(c, Precision::kBf16, count, 2e-3, 2e-2, 1e-2);
      }
  }
}

// 24 nodes, >= 100 Adam steps, fast kernels against train_node in the same precision (the
// CPU's emulation) and the naive FP32 kernels against the fast ones: the small sizes in every
// precision, the paper's in fp32 (the CPU reference of the others takes minutes). The issue's
// bound on the epoch loss (1e-3) for fp32 and 3xtf32. Predictions after training: the H200
// measured <= 7.5e-7 everywhere except the paper-size CNN-LSTM/tanh in fp32 (1.7e-4, loss 1.1e-4),
// where the device's naive kernels give the very same step losses as the fast ones (max rel 0):
// the kernels agree, and the distance to the CPU is Eigen's other summation order amplified over
// 100+ Adam steps. Bounds: 1e-5 at the small sizes, 2e-3 at the paper's. tf32 and bf16 drift
// further from the CPU's emulation (measured <= 1.4e-3 in the predictions).
TEST(GpuRecurrentBlock, HundredAdamStepsMatchTrainNode) {
  SKIP_WITHOUT_GPU();
  const int nnode = 24, ntime = 660;
  const Cube cube = synthetic_cube(nnode, ntime);
  for (const ModelConfig& base : {tecscan::testing::small_recurrent_config(), ModelConfig{}})
    for (const tecscan::testing::RecurrentCase& c : tecscan::testing::block_recurrent_cases(base))
      for (Precision p : kAllPrecisions) {
        if (base.cnn_filters >= 10 && p != Precision::kFp32) continue;
        const bool exact = p == Precision::kFp32 || p == Precision::kTf32x3;
        const bool paper = base.cnn_filters >= 10;
        const double tol_loss = exact ? 1e-3 : 1e-2,
                     tol_pred = exact ? (paper ? 2e-3 : 1e-5) : 5e-3;
        TrainConfig tc;
        tc.epochs = 8;
        tc.seed = 5;
        tc.precision = p;
        CudaTrainerOptions fast_opt;
        const CudaFfDetail fast = cuda_ff_train_detail(c.kind, c.mc, tc, cube, fast_opt);
        ASSERT_GE(fast.max_steps, 100);
        std::vector<float> cpu_loss, cpu_pred;
        for (int n = 0; n < nnode; ++n) {
          const TrainResult r = train_node(c.kind, c.mc, tc, cube.node_tec(n), ntime, n);
          cpu_loss.insert(cpu_loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
          cpu_pred.insert(cpu_pred.end(), r.predicted.begin(), r.predicted.end());
        }
        size_t nan_mismatch = 0;
        const double loss = max_rel(fast.run.epoch_loss, cpu_loss, 1e-6, &nan_mismatch);
        const double pred = max_rel(fast.run.predicted, cpu_pred, 1.0, &nan_mismatch);
        std::printf("[device train %s %s] epoch loss max rel %.3g, predictions max rel %.3g\n",
                    c.label().c_str(), precision_name(p), loss, pred);
        EXPECT_EQ(nan_mismatch, 0u) << c.label();
        EXPECT_LT(loss, tol_loss) << c.label() << " " << precision_name(p);
        EXPECT_LT(pred, tol_pred) << c.label() << " " << precision_name(p);
        if (p == Precision::kFp32) {
          CudaTrainerOptions naive_opt;
          naive_opt.kernel = FfKernel::kNaive;
          const CudaFfDetail naive = cuda_ff_train_detail(c.kind, c.mc, tc, cube, naive_opt);
          size_t nm = 0;
          const double steps = max_rel(naive.step_loss, fast.step_loss, 1e-6, &nm);
          std::printf("[device train %s naive vs fast] step loss max rel %.3g\n", c.label().c_str(),
                      steps);
          EXPECT_EQ(nm, 0u);
          EXPECT_LT(steps, 1e-3) << c.label();
        }
      }
}

// The trainer --rnn-impl block makes: every recurrent model in every precision, nothing else.
TEST(GpuRecurrentBlock, TrainerTakesTheRecurrentModelsInEveryPrecision) {
  const auto t = make_cuda_recurrent_block_trainer(CudaTrainerOptions{});
  const ModelConfig mc;
  for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm}) {
    EXPECT_TRUE(t->supports(k, mc)) << model_name(k);
    for (Precision p : kAllPrecisions) EXPECT_TRUE(t->supports_precision(k, p));
  }
  const Cube cube = synthetic_cube(3, 100);
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn}) {
    EXPECT_FALSE(t->supports(k, mc)) << model_name(k);
    // Refused before any device work (so this runs without a GPU too).
    EXPECT_THROW(t->train(k, mc, TrainConfig{}, cube, nullptr), std::invalid_argument);
  }
  ModelConfig reset_before = mc;
  reset_before.gru_reset_after = false;
  EXPECT_FALSE(t->supports(ModelKind::kGru, reset_before));
  EXPECT_EQ(make_cuda_recurrent_trainer(0, RnnImpl::kBlock)->name(), "cuda-rnn-block");
  EXPECT_EQ(parse_rnn_impl("Block"), RnnImpl::kBlock);
  EXPECT_STREQ(rnn_impl_name(RnnImpl::kBlock), "block");
}
