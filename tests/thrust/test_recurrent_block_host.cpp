// The recurrent models on the persistent block path (kernels/recurrent_block.cuh) run on the
// host: each pass against the naive double-precision forward (rnn::naive_forward) or, in a
// tensor-core precision, the CPU double model that rounds the products' operands the same way;
// every parameter's gradient against central finite differences (and the CPU emulation of the
// precision); whole trainings (fast kernels as a loop and as emulated threads, naive kernels)
// against train_node.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../../kernels/recurrent_block.cuh"
#include "support/block_emulation.hpp"
#include "support/gradient_check.hpp"
#include "support/small_recurrent.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

using namespace tecscan;
using namespace tecscan::ff;
using tecscan::test::BlockRunner;
using tecscan::test::Exec;

namespace {

template <Precision P>
RecurrentBlockModel<P> block_model(const tecscan::testing::RecurrentCase& c) {
  return {rnn::make_rnn_shape(c.kind, c.mc)};
}

// Keras-initialised weights with random biases (every bias gradient matters), inputs and
// targets from fixed formulas.
std::vector<float> perturbed_parameters(ModelKind kind, const ModelConfig& mc) {
  std::vector<float> p(static_cast<size_t>(parameter_count(kind, mc)));
  init_parameters(kind, mc, 5, 1, p.data());
  for (size_t i = 0; i < p.size(); ++i) p[i] += 0.2f * static_cast<float>(std::sin(1.7 * i + 0.3));
  return p;
}
std::vector<float> test_inputs(int count, int L) {
  std::vector<float> x(static_cast<size_t>(count) * L);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(1.5 * std::sin(0.61 * i + 0.2));
  return x;
}
std::vector<float> test_targets(int count) {
  std::vector<float> t(count);
  for (int b = 0; b < count; ++b) t[b] = static_cast<float>(std::cos(0.9 * b));
  return t;
}

// One minibatch through the kernel bodies: the outputs y and dLoss/dparams of the batch-mean
// MSE. Fast path: forward + backward_adam with beta1 = 0, whose first moment after one step is
// the gradient itself, so the fused gradient + Adam code is what is measured. Naive path:
// forward_sample, backward_sample, param_grad (FP32 models only).
struct Step {
  std::vector<float> y, grad;
};
template <class M>
Step kernel_step(const M& model, const std::vector<float>& params, const std::vector<float>& x,
                 const std::vector<float>& target, int count, int batch, bool naive, Exec exec) {
  const int L = model.input_len();
  const int64_t P = model.nparam();
  std::vector<double> storage(static_cast<size_t>(fast_smem_bytes(model, batch) / 8 + 1));
  SmemCarver carver(storage.data());
  const typename M::Acts acts = model.carve(carver, batch);
  for (int b = 0; b < count; ++b) {
    for (int i = 0; i < L; ++i) acts.x[b * L + i] = x[static_cast<size_t>(b) * L + i];
    acts.tgt[b] = target[b];
  }
  std::vector<float> p = params, m(P, 0.0f), v(P, 0.0f), grad(P, test::kNaN);
  Step r;
  if (naive) {
    for (int b = 0; b < count; ++b) model.forward_sample(p.data(), acts, b);
    r.y.assign(acts.y, acts.y + count);
    for (int b = 0; b < count; ++b) acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], count);
    for (int b = 0; b < count; ++b) model.backward_sample(p.data(), acts, b);
    for (int64_t q = 0; q < P; ++q) grad[q] = model.param_grad(p.data(), acts, q, count);
    r.grad = grad;
    return r;
  }
  AdamArgs adam;
  adam.beta1 = 0.0f;
  BlockRunner run_block(exec);
  std::vector<float> wt(static_cast<size_t>(model.transposed_size()));  // U^T
  run_block([&](const Block& blk) {
    model.transpose_weights(blk, p.data(), wt.data());
    model.forward(blk, p.data(), acts, count);
    blk.single([&] { r.y.assign(acts.y, acts.y + count); });
    blk.parallel_for(count,
                     [&](int b) { acts.dy[b] = loss_gradient(acts.y[b], acts.tgt[b], count); });
    blk.sync();
    model.backward_adam(blk, p.data(), m.data(), v.data(), wt.data(), acts, count, 1e-3f, adam);
  });
  r.grad = m;
  return r;
}

// The double reference of the outputs: rnn::naive_forward (fp32), or the CPU double model with
// the precision's operand rounding.
std::vector<double> reference_outputs(const tecscan::testing::RecurrentCase& c, Precision p,
                                      const std::vector<float>& params, const std::vector<float>& x,
                                      int count) {
  const rnn::RnnShape s = rnn::make_rnn_shape(c.kind, c.mc);
  const std::vector<double> pd(params.begin(), params.end()), xd(x.begin(), x.end());
  std::vector<double> y(count);
  if (p == Precision::kFp32) {
    std::vector<double> scratch(static_cast<size_t>(rnn::naive_scratch_size(s)));
    for (int b = 0; b < count; ++b)
      y[b] = rnn::naive_forward(s, pd.data(), xd.data() + b * s.input_len, scratch.data());
  } else {
    auto cpu = make_cpu_model<double>(c.kind, c.mc);
    cpu->set_precision(p);
    cpu->forward(pd.data(), xd.data(), count, y.data());
  }
  return y;
}

// Largest |got - want| / (|want| + 0.1 rms(want)): an output near zero is a sum that cancels,
// where rounding is absolute, not relative.
double max_rel(const std::vector<float>& got, const std::vector<double>& want) {
  double rms = 0;
  for (double w : want) rms += w * w;
  const double floor = 0.1 * std::sqrt(rms / want.size());
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = std::fabs(got[i] - want[i]) / (std::fabs(want[i]) + floor);
    worst = std::isnan(e) ? 1e30 : std::max(worst, e);
  }
  return worst;
}

// The forward pass (fast: loop and reversed emulated threads; naive for fp32) against the
// double reference of the same precision.
template <Precision P>
void check_forward(const tecscan::testing::RecurrentCase& c, int count, int batch, double tol) {
  const RecurrentBlockModel<P> model = block_model<P>(c);
  const std::vector<float> params = perturbed_parameters(c.kind, c.mc);
  const std::vector<float> x = test_inputs(count, model.input_len());
  const std::vector<float> target = test_targets(count);
  const std::vector<double> want = reference_outputs(c, P, params, x, count);
  for (bool naive : {false, true})
    for (Exec exec : {Exec::kLoop, Exec::kThreadsReverse}) {
      if (naive && (exec != Exec::kLoop || P != Precision::kFp32)) continue;
      const Step got = kernel_step(model, params, x, target, count, batch, naive, exec);
      const double err = max_rel(got.y, want);
      std::printf("[forward %s %s %s %s, %d of %d rows] max rel err %.3g (tol %.3g)\n",
                  c.label().c_str(), precision_name(P), naive ? "naive" : "fast",
                  test::exec_name(exec), count, batch, err, tol);
      EXPECT_LT(err, tol) << c.label() << " " << precision_name(P);
    }
}

// Every parameter's gradient: fp32 and 3xtf32 against central differences of
// rnn::naive_forward in double (tol_numeric; 0: not compared, tf32 and bf16 are not that
// accurate); the tensor-core precisions against the CPU double model's backward with the same
// operand rounding (tol).
template <Precision P>
void check_gradient(const tecscan::testing::RecurrentCase& c, int count, int batch, double tol,
                    double tol_numeric) {
  const RecurrentBlockModel<P> model = block_model<P>(c);
  const rnn::RnnShape& s = model.s;
  const std::vector<float> params = perturbed_parameters(c.kind, c.mc);
  const std::vector<float> x = test_inputs(count, model.input_len());
  const std::vector<float> target = test_targets(count);
  const std::vector<double> xd(x.begin(), x.end());
  std::vector<double> scratch(static_cast<size_t>(rnn::naive_scratch_size(s)));
  const std::vector<double> numeric = test::central_differences(
      std::vector<double>(params.begin(), params.end()), [&](const std::vector<double>& p) {
        double loss = 0;
        for (int b = 0; b < count; ++b) {
          const double e =
              rnn::naive_forward(s, p.data(), xd.data() + b * s.input_len, scratch.data()) -
              target[b];
          loss += e * e;
        }
        return loss / count;
      });
  std::vector<double> emulated(params.size());
  if (P != Precision::kFp32) {
    auto cpu = make_cpu_model<double>(c.kind, c.mc);
    cpu->set_precision(P);
    const std::vector<double> pd(params.begin(), params.end());
    std::vector<double> y(count), dy(count);
    cpu->forward(pd.data(), xd.data(), count, y.data());
    for (int b = 0; b < count; ++b) dy[b] = 2.0 * (y[b] - target[b]) / count;
    cpu->backward(pd.data(), dy.data(), emulated.data());
  }
  for (bool naive : {false, true})
    for (Exec exec : {Exec::kLoop, Exec::kThreadsReverse}) {
      if (naive && (exec != Exec::kLoop || P != Precision::kFp32)) continue;
      const std::vector<float> got =
          kernel_step(model, params, x, target, count, batch, naive, exec).grad;
      const std::string what = c.label() + " " + precision_name(P) + " " +
                               (naive ? "naive" : "fast") + " (" + test::exec_name(exec) + "), " +
                               std::to_string(count) + " of " + std::to_string(batch) + " rows, " +
                               std::to_string(params.size()) + " parameters";
      if (tol_numeric > 0) {
        const test::GradientError vs_numeric = test::gradient_error(got, numeric);
        const std::string a =
            test::report_gradient_error(what + " vs finite differences", vs_numeric, tol_numeric);
        EXPECT_EQ(vs_numeric.nan_mismatch, 0u) << what;
        EXPECT_LT(vs_numeric.max_rel, tol_numeric) << a;
      }
      if (P != Precision::kFp32) {
        const test::GradientError vs_emulated = test::gradient_error(got, emulated);
        const std::string b = test::report_gradient_error(
            what + " vs CPU double emulation of " + precision_name(P), vs_emulated, tol);
        EXPECT_EQ(vs_emulated.nan_mismatch, 0u) << what;
        EXPECT_LT(vs_emulated.max_rel, tol) << b;
      }
    }
}

}  // namespace

// Measured (x86-64, g++ -O3), worst over the models, sizes and batch fills, relative to
// |y| + 0.1 rms(y): fp32 5.4e-6, 3xtf32 2.5e-6, tf32 8.0e-4, bf16 1.7e-5. In tf32 and bf16 the
// kernel's float activations and the reference's double ones round to the same operand but
// for values within float rounding of a rounding boundary (tf32's boundaries are 2^-11 apart,
// so a few of the paper sizes' 10^4 operands differ by one tf32 ulp). About ten times that.
TEST(RecurrentBlockHost, ForwardMatchesNaiveReferenceInEveryPrecision) {
  for (const tecscan::testing::RecurrentCase& c :
       tecscan::testing::block_recurrent_cases(tecscan::testing::small_recurrent_config()))
    for (int count : {32, 13}) {
      check_forward<Precision::kFp32>(c, count, 32, 5e-5);
      check_forward<Precision::kTf32x3>(c, count, 32, 3e-5);
      check_forward<Precision::kTf32>(c, count, 32, 8e-3);
      check_forward<Precision::kBf16>(c, count, 32, 2e-4);
    }
}

TEST(RecurrentBlockHost, ForwardOfThePaperSizes) {
  for (const tecscan::testing::RecurrentCase& c :
       tecscan::testing::block_recurrent_cases(ModelConfig{})) {
    if (c.mc.lstm_activation == Activation::kTanh && c.kind == ModelKind::kLstm) continue;
    check_forward<Precision::kFp32>(c, 32, 32, 5e-5);
    check_forward<Precision::kTf32>(c, 32, 32, 8e-3);
    check_forward<Precision::kBf16>(c, 32, 32, 2e-4);
  }
}

// A wrong gradient of any one tensor fails here. Measured (x86-64, g++ -O3), worst over the
// models and both batch fills (relative to |want| + 1e-3 max |want|): vs finite differences fp32
// 7.8e-5 (fast and naive), 3xtf32 3.9e-5; vs the CPU double emulation 3xtf32 6.3e-5, tf32
// 1.4e-3, bf16 9.4e-4 (the float activations round to other operands than the double ones now
// and then, and the output error reaches dLoss/dy). About ten times that.
TEST(RecurrentBlockHost, GradientOfEveryParameterInEveryPrecision) {
  for (const tecscan::testing::RecurrentCase& c :
       tecscan::testing::block_recurrent_cases(tecscan::testing::small_recurrent_config()))
    for (int count : {32, 13}) {
      check_gradient<Precision::kFp32>(c, count, 32, 0, 8e-4);
      check_gradient<Precision::kTf32x3>(c, count, 32, 6e-4, 8e-4);
      check_gradient<Precision::kTf32>(c, count, 32, 1.5e-2, 0);
      check_gradient<Precision::kBf16>(c, count, 32, 1e-2, 0);
    }
}

namespace {

// Whole trainings on the host emulation (cuda/ff_trainer.cu's loop with the same kernel bodies)
// against train_node in the same precision (TrainConfig::precision: the CPU's emulation).
// Every way of running the fast block gives the same bits (no race, no missing sync); the
// naive kernels (fp32) agree with the fast ones to float rounding.
template <Precision P>
void check_training(const tecscan::testing::RecurrentCase& c, int nnode, int ntime, int epochs,
                    double tol_loss, double tol_pred) {
  const RecurrentBlockModel<P> model = block_model<P>(c);
  TrainConfig tc;
  tc.epochs = epochs;
  tc.seed = 7;
  tc.precision = P;
  const std::vector<float> tec = test::synthetic_tec(nnode, ntime);
  const test::HostRun fast =
      test::run_on_host(model, c.kind, c.mc, tc, tec, nnode, ntime, false, Exec::kLoop);
  // However the threads interleave, and with the weights and Adam moments staged in shared
  // memory for each epoch (run_fast_epoch does that when they fit), the same bits.
  for (Exec exec : test::kAllExecs)
    for (bool staged : {false, true}) {
      if (exec == Exec::kLoop && !staged) continue;
      const test::HostRun other =
          test::run_on_host(model, c.kind, c.mc, tc, tec, nnode, ntime, false, exec, staged);
      const test::Diff params = test::compare(other.params, fast.params, 0);
      const test::Diff pred = test::compare(other.predicted, fast.predicted, 0);
      const std::string what = c.label() + " " + test::exec_name(exec) + (staged ? " staged" : "");
      EXPECT_EQ(params.max_rel, 0.0) << what;
      EXPECT_EQ(pred.max_rel + pred.nan_mismatch, 0.0) << what;
    }
  std::vector<float> cpu_pred, cpu_loss, cpu_steps;
  int steps = 0;
  for (int n = 0; n < nnode; ++n) {
    TrainResult r = train_node(c.kind, c.mc, tc, tec.data() + n * ntime, ntime, n);
    cpu_pred.insert(cpu_pred.end(), r.predicted.begin(), r.predicted.end());
    cpu_loss.insert(cpu_loss.end(), r.epoch_loss.begin(), r.epoch_loss.end());
  }
  for (int n = 0; n < nnode; ++n)
    for (int k = 0; k < fast.max_steps; ++k)
      if (!std::isnan(fast.step_loss[size_t(n) * fast.max_steps + k]))
        steps = std::max(steps, k + 1);
  const test::Diff loss = test::compare(fast.epoch_loss, cpu_loss, 1e-6);
  const test::Diff pred = test::compare(fast.predicted, cpu_pred, 1.0);
  std::printf(
      "[train %s %s, %d nodes, %d Adam steps] epoch loss max rel %.3g (tol %.3g); prediction "
      "max rel %.3g (tol %.3g)\n",
      c.label().c_str(), precision_name(P), nnode, steps, loss.max_rel, tol_loss, pred.max_rel,
      tol_pred);
  EXPECT_EQ(loss.nan_mismatch + pred.nan_mismatch, 0u) << c.label();
  EXPECT_LT(loss.max_rel, tol_loss) << c.label() << " " << precision_name(P);
  EXPECT_LT(pred.max_rel, tol_pred) << c.label() << " " << precision_name(P);
  if (P == Precision::kFp32) {
    const test::HostRun naive =
        test::run_on_host(model, c.kind, c.mc, tc, tec, nnode, ntime, true, Exec::kLoopReverse);
    const test::Diff nloss = test::compare(naive.epoch_loss, fast.epoch_loss, 1e-6);
    const test::Diff npred = test::compare(naive.predicted, fast.predicted, 1.0);
    std::printf("[train %s naive vs fast] epoch loss max rel %.3g, prediction max rel %.3g\n",
                c.label().c_str(), nloss.max_rel, npred.max_rel);
    EXPECT_LT(nloss.max_rel, tol_loss) << c.label();
    EXPECT_LT(npred.max_rel, tol_pred) << c.label();
  }
}

}  // namespace

// 4 nodes (one constant, one without training data), 240 time steps: 5 minibatches an epoch,
// 21 epochs = 105 Adam steps (CNN-LSTM: 3 or 4 an epoch, 35 epochs). Measured (x86-64, g++ -O3),
// worst over the models, epoch losses / predictions relative to train_node in the same precision
// (the CPU's emulation): fp32 4.6e-7 / 1.1e-7, 3xtf32 3.4e-7 / 1.6e-7, tf32 2.2e-4 / 5.2e-5,
// bf16 3.1e-5 / 4.0e-4; the naive kernels equal the fast ones bit for bit (fp32). About ten times
// that: the bounds (1e-3, 1e-5) hold for fp32 and 3xtf32; in tf32 and bf16 an operand the
// float and the CPU's run round to neighbouring values now and then (as in the forward check) is
// carried through 100 steps, and the predictions exceed 1e-5.
TEST(RecurrentBlockHost, TrainingMatchesTrainNode) {
  for (const tecscan::testing::RecurrentCase& c :
       tecscan::testing::block_recurrent_cases(tecscan::testing::small_recurrent_config())) {
    const int epochs = c.kind == ModelKind::kCnnLstm ? 35 : 21;  // longer windows, fewer steps
    check_training<Precision::kFp32>(c, 4, 240, epochs, 5e-6, 2e-6);
    check_training<Precision::kTf32x3>(c, 4, 240, epochs, 5e-6, 2e-6);
    check_training<Precision::kTf32>(c, 4, 240, epochs, 3e-3, 6e-4);
    check_training<Precision::kBf16>(c, 4, 240, epochs, 4e-4, 5e-3);
  }
}
