// [train] precision on the CPU: the operand rounding functions (precision.hpp) on known values,
// the CPU models' emulation of the tensor-core precisions (every product's operands rounded,
// FP32 accumulation) against double-precision references with the same rounding, the emulated
// backward against the exact gradient, the config key and the scan option.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/run_tecscan.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/config.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/rng.hpp"

using namespace tecscan;

namespace {

uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// Independent references for normal numbers: x = m 2^e with 0.5 <= |m| < 1, rounded to
// `significant` bits (TF32: 11, BF16: 8) in double arithmetic; std::round rounds ties away from
// zero (cvt.rna), std::nearbyint to even (the default rounding mode, cvt.rn).
double reference_round(float x, int significant, bool ties_to_even) {
  int e = 0;
  const double m = std::frexp(static_cast<double>(x), &e);
  const double scaled = std::ldexp(m, significant);
  return std::ldexp(ties_to_even ? std::nearbyint(scaled) : std::round(scaled), e - significant);
}

// A float with 23 random mantissa bits and a random sign, |x| in [2^e, 2^(e+1)).
float random_float(uint64_t key, uint64_t i, int e) {
  const uint64_t r = rng_u64(key, i);
  uint32_t u = (static_cast<uint32_t>(e + 127) << 23) | static_cast<uint32_t>(r & 0x7fffffu);
  if (r >> 63) u |= 0x80000000u;
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

float pm1(uint64_t key, uint64_t i) {
  return static_cast<float>(2.0 * rng_uniform01(key, i) - 1.0);
}

}  // namespace

// ---- the rounding functions ---------------------------------------------------------------

TEST(Precision, NamesParseCaseInsensitivelyAndRoundTrip) {
  for (Precision p : {Precision::kFp32, Precision::kTf32x3, Precision::kTf32, Precision::kBf16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  EXPECT_EQ(parse_precision("TF32"), Precision::kTf32);
  EXPECT_EQ(parse_precision("3xTF32"), Precision::kTf32x3);
  try {
    parse_precision("fp16");
    FAIL() << "fp16 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected fp32, 3xtf32, tf32 or bf16"), std::string::npos)
        << e.what();
  }
}

TEST(Precision, Tf32RoundsToNearestWithTiesAwayFromZero) {
  const float one = 1.0f, ulp = std::ldexp(1.0f, -10);  // TF32's spacing in [1, 2)
  EXPECT_EQ(round_tf32(one), one);
  EXPECT_EQ(round_tf32(one + ulp / 2), one + ulp);  // a tie: away from zero
  EXPECT_EQ(round_tf32(-(one + ulp / 2)), -(one + ulp));
  EXPECT_EQ(round_tf32(one + 1.5f * ulp), one + 2 * ulp);  // a tie with an odd neighbour too
  EXPECT_EQ(round_tf32(std::nextafter(one + ulp / 2, 0.0f)), one);
  EXPECT_EQ(round_tf32(std::nextafter(one + ulp / 2, 2.0f)), one + ulp);
  // Subnormals keep the same 13 dropped bits: TF32's smallest step there is 2^-136.
  EXPECT_EQ(round_tf32(std::ldexp(1.0f, -149)), 0.0f);
  EXPECT_EQ(round_tf32(std::ldexp(1.0f, -137)), std::ldexp(1.0f, -136));  // a tie: away
  EXPECT_EQ(round_tf32(-std::ldexp(1.0f, -137)), -std::ldexp(1.0f, -136));
  // The largest float rounds past the top of the range: infinity, as cvt.rna.tf32.f32 does.
  EXPECT_EQ(round_tf32(FLT_MAX), std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_tf32(-FLT_MAX), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_tf32(std::numeric_limits<float>::infinity()),
            std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_tf32(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(bits(round_tf32(-0.0f)), bits(-0.0f));
  // Random normal values (and exact ties) against the independent reference.
  for (uint64_t i = 0; i < 20000; ++i) {
    float x = random_float(1, i, static_cast<int>(i % 200) - 100);
    if (i % 4 == 0) x = static_cast<float>(reference_round(x, 12, false));  // on the half-ulp grid
    ASSERT_EQ(static_cast<double>(round_tf32(x)), reference_round(x, 11, false)) << x;
    ASSERT_EQ(bits(round_tf32(x)) & 0x1fffu, 0u) << x;  // the dropped bits are zero
  }
}

TEST(Precision, Bf16RoundsToNearestWithTiesToEven) {
  const float one = 1.0f, ulp = std::ldexp(1.0f, -7);      // BF16's spacing in [1, 2)
  EXPECT_EQ(round_bf16(one + ulp / 2), one);               // a tie: to the even 1.0
  EXPECT_EQ(round_bf16(one + 1.5f * ulp), one + 2 * ulp);  // a tie: to the even 1 + 2 ulp
  EXPECT_EQ(round_bf16(-(one + 1.5f * ulp)), -(one + 2 * ulp));
  EXPECT_EQ(round_bf16(std::nextafter(one + ulp / 2, 2.0f)), one + ulp);
  // Subnormals: BF16's smallest step is 2^-133; 2^-134 is a tie to even (0), 3 * 2^-134 too.
  EXPECT_EQ(round_bf16(std::ldexp(1.0f, -134)), 0.0f);
  EXPECT_EQ(round_bf16(3 * std::ldexp(1.0f, -134)), std::ldexp(1.0f, -132));
  EXPECT_EQ(round_bf16(FLT_MAX), std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_bf16(-std::numeric_limits<float>::infinity()),
            -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
  for (uint64_t i = 0; i < 20000; ++i) {
    float x = random_float(2, i, static_cast<int>(i % 200) - 100);
    if (i % 4 == 0) x = static_cast<float>(reference_round(x, 9, false));
    ASSERT_EQ(static_cast<double>(round_bf16(x)), reference_round(x, 8, true)) << x;
    ASSERT_EQ(bits(round_bf16(x)) & 0xffffu, 0u) << x;
  }
}

TEST(Precision, Tf32SplitIsFp32Accurate) {
  // x = hi + lo + r with |r| <= 2^-22 |x| (each TF32 rounding leaves 2^-11 of what it rounds),
  // for normal x whose lo is normal too (|x| >= 2^-104); hi + lo is exact in FP32.
  double worst = 0;
  for (uint64_t i = 0; i < 50000; ++i) {
    const float x = random_float(3, i, static_cast<int>(i % 200) - 100);
    const Tf32Split s = split_tf32(x);
    ASSERT_EQ(s.hi, round_tf32(x));
    ASSERT_EQ(s.lo, round_tf32(x - s.hi));
    const double err = std::fabs(static_cast<double>(x) - (double(s.hi) + double(s.lo)));
    ASSERT_LE(err, std::ldexp(std::fabs(static_cast<double>(x)), -22)) << x;
    ASSERT_EQ(double(round_operand(Precision::kTf32x3, x)), double(s.hi) + double(s.lo)) << x;
    worst = std::max(worst, err / std::fabs(static_cast<double>(x)));
  }
  std::printf("[precision] 3xtf32 split: worst |x - (hi + lo)| / |x| = %.3g (bound 2^-22 = %.3g)\n",
              worst, std::ldexp(1.0, -22));
  EXPECT_GT(worst, 0.0) << "the split never left a remainder: not a split";
}

TEST(Precision, RoundOperandPicksThePrecisionsRounding) {
  for (uint64_t i = 0; i < 1000; ++i) {
    const float x = 10 * pm1(4, i);
    EXPECT_EQ(bits(round_operand(Precision::kFp32, x)), bits(x));
    EXPECT_EQ(bits(round_operand(Precision::kTf32, x)), bits(round_tf32(x)));
    EXPECT_EQ(bits(round_operand(Precision::kBf16, x)), bits(round_bf16(x)));
  }
}

// ---- the CPU models' emulation -------------------------------------------------------------

namespace {

// test_models.cpp's small sizes, wider, so that every product sums many terms.
ModelConfig small_config() {
  ModelConfig c;
  c.window = 6;
  c.mlp_hidden = 24;
  c.cnn_filters = 16;
  c.cnn_kernel = 2;
  c.cnn_pool = 2;
  c.rnn_units = 20;
  c.gru_units = 20;
  c.lstm_units = 20;
  c.lstm_dense = 12;
  c.cnnlstm_subseq = 2;
  c.cnnlstm_units = 16;
  return c;
}

constexpr int kBatch = 9;

// Keras-initialised weights plus random biases (so every bias gradient is exercised), inputs
// in [-1.5, 1.5) and loss weights in [-1, 1): loss = sum_i weight_i y_i, dloss/dy = weight.
struct Inputs {
  std::vector<float> params, x, weight;
};
Inputs make_inputs(ModelKind k, const ModelConfig& c) {
  Inputs in;
  in.params.resize(static_cast<size_t>(parameter_count(k, c)));
  init_parameters(k, c, 7, 3, in.params.data());
  for (const TensorSpec& s : parameter_layout(k, c))
    if (s.init == InitKind::kZeros || s.init == InitKind::kLstmBias)
      for (int64_t j = 0; j < s.size; ++j) in.params[s.offset + j] += 0.3f * pm1(11, s.offset + j);
  in.x.resize(static_cast<size_t>(kBatch) * input_length(k, c));
  for (size_t i = 0; i < in.x.size(); ++i) in.x[i] = 1.5f * pm1(12, i);
  for (int i = 0; i < kBatch; ++i) in.weight.push_back(pm1(13, i));
  return in;
}

struct Pass {
  std::vector<double> y, grad;
};
// Forward and backward of the T model in precision p, in double.
template <typename T>
Pass run_model(ModelKind k, const ModelConfig& c, Precision p, const Inputs& in) {
  std::unique_ptr<CpuModel<T>> model = make_cpu_model<T>(k, c);
  model->set_precision(p);
  const std::vector<T> params(in.params.begin(), in.params.end()), x(in.x.begin(), in.x.end()),
      weight(in.weight.begin(), in.weight.end());
  std::vector<T> y(kBatch), grad(params.size());
  model->forward(params.data(), x.data(), kBatch, y.data());
  model->backward(params.data(), weight.data(), grad.data());
  return {std::vector<double>(y.begin(), y.end()), std::vector<double>(grad.begin(), grad.end())};
}

// max |got - want| / max |want|: the error on the outputs' scale.
double scaled_error(const std::vector<double>& got, const std::vector<double>& want) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff = std::max(diff, std::fabs(got[i] - want[i]));
    scale = std::max(scale, std::fabs(want[i]));
  }
  return diff / scale;
}

// The worst tensor's ||got - want|| / ||want|| (name in *where): a gradient error on each
// tensor's own scale, so a wrong bias gradient is not hidden by the kernels' larger ones.
double worst_tensor_error(ModelKind k, const ModelConfig& c, const std::vector<double>& got,
                          const std::vector<double>& want, std::string* where) {
  double worst = 0;
  for (const TensorSpec& s : parameter_layout(k, c)) {
    double d2 = 0, w2 = 0;
    for (int64_t j = s.offset; j < s.offset + s.size; ++j) {
      d2 += (got[j] - want[j]) * (got[j] - want[j]);
      w2 += want[j] * want[j];
    }
    const double e = std::sqrt(d2 / std::max(w2, 1e-300));
    if (e > worst) worst = e, *where = s.name;
  }
  return worst;
}

std::string label(ModelKind k, Precision p) {
  return std::string(model_name(k)) + " " + precision_name(p);
}

}  // namespace

// The float model emulating p against the double model applying the same rounding. What is
// left is FP32 accumulation (~n 2^-24 of the terms' magnitude) and, rarely, an activation that
// float rounding puts on the other side of a TF32/BF16 rounding boundary than its double twin:
// that one operand then differs by one TF32 ulp (2^-11) or BF16 ulp (2^-8). Weights and inputs
// are the same floats in both, so only activations can flip. Measured worst, six models
// (scaled to the largest output): 3xtf32 4.1e-7; tf32 5.1e-5 (the rnn: one flip; the others
// <= 8.4e-8); bf16 5.5e-8 (no flip in these inputs). Tolerances ~10x: 4e-6, 5e-4, 5e-7.
// The rounding itself moves the outputs by 3e-4 to 1e-2 (tf32, bf16), FP32 level for 3xtf32
// (measured <= 2.8e-7): the knob is real and 3xtf32 is FP32-accurate.
double forward_tolerance(Precision p) {
  return p == Precision::kTf32 ? 5e-4 : p == Precision::kBf16 ? 5e-7 : 4e-6;
}

TEST(PrecisionEmulation, EveryModelsForwardMatchesTheDoubleReferenceWithTheSameRounding) {
  const ModelConfig c = small_config();
  for (ModelKind k : all_models()) {
    const Inputs in = make_inputs(k, c);
    const Pass exact = run_model<double>(k, c, Precision::kFp32, in);
    for (Precision p : {Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
      const Pass emulated = run_model<float>(k, c, p, in);
      const Pass reference = run_model<double>(k, c, p, in);
      const double same = scaled_error(emulated.y, reference.y), tol = forward_tolerance(p);
      const double moved = scaled_error(reference.y, exact.y);
      std::printf(
          "[precision] %-16s forward: emulation vs double reference %.3g (tol %.0e); the "
          "rounding moves the outputs by %.3g\n",
          label(k, p).c_str(), same, tol, moved);
      EXPECT_LE(same, tol) << label(k, p);
      if (p == Precision::kTf32x3) {
        EXPECT_LE(moved, 3e-6) << label(k, p) << ": 3xtf32 is FP32-accurate";
      } else {
        EXPECT_GE(moved, 1e-4) << label(k, p) << ": the rounding does not reach the outputs";
      }
    }
  }
}

// The MLP written out with loops, independently of the models' Eigen code: each product term is
// round_operand(p, a) * round_operand(p, b) of a layer's input and weight, summed in double; the
// bias is added unrounded. Same tolerances and reasons as above (measured: 4.1e-7, 4.0e-8,
// 2.0e-8).
TEST(PrecisionEmulation, MlpMatchesAHandWrittenReference) {
  const ModelConfig c = small_config();
  const Inputs in = make_inputs(ModelKind::kMlp, c);
  const std::vector<TensorSpec> s = parameter_layout(ModelKind::kMlp, c);
  for (Precision p : {Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
    auto rounded = [p](double v) { return static_cast<double>(round_operand(p, float(v))); };
    auto dense = [&](const std::vector<double>& x, int nin, int nout, int tensor, bool relu) {
      const float* kernel = in.params.data() + s[tensor].offset;
      const float* bias = in.params.data() + s[tensor + 1].offset;
      std::vector<double> y(static_cast<size_t>(kBatch) * nout);
      for (int b = 0; b < kBatch; ++b)
        for (int j = 0; j < nout; ++j) {
          double sum = 0;
          for (int i = 0; i < nin; ++i)
            sum += rounded(x[b * nin + i]) * rounded(kernel[i * nout + j]);
          sum += bias[j];
          y[b * nout + j] = relu ? std::max(sum, 0.0) : sum;
        }
      return y;
    };
    const std::vector<double> x(in.x.begin(), in.x.end());
    const int h = c.mlp_hidden;
    const std::vector<double> want =
        dense(dense(dense(x, c.window, h, 0, true), h, h, 2, true), h, 1, 4, false);
    const double err = scaled_error(run_model<float>(ModelKind::kMlp, c, p, in).y, want);
    std::printf("[precision] mlp %s: emulation vs the hand-written reference %.3g (tol %.0e)\n",
                precision_name(p), err, forward_tolerance(p));
    EXPECT_LE(err, forward_tolerance(p)) << precision_name(p);
  }
}

// The emulated backward is the gradient, per tensor ||got - want|| / ||want||:
// (1) the float model in p against the double model with the same rounding: FP32 accumulation
//     and activation flips, as the forward. Measured worst: 3xtf32 3.9e-7, tf32 1.1e-5 (the
//     rnn's flip), bf16 1.0e-7; tolerances 4e-6, 1e-4, 1e-6.
// (2) against the exact gradient of the unrounded model (the double fp32 backward, which
//     test_models.cpp checks against finite differences): the operands' rounding, a few 2^-11
//     (tf32) or 2^-8 (bf16) relative. Measured worst: 3xtf32 3.8e-7, tf32 8.5e-4, bf16 8.0e-2
//     (the cnn-lstm's first conv bias: a sum of many cancelling terms); tolerances 4e-6, 1e-2
//     and 0.3 (4x: a bias gradient doubled is an error of 1 and must fail).
// The doubled bias gradient is checked on the emulated gradient of every model and precision.
TEST(PrecisionEmulation, EveryModelsBackwardIsTheGradient) {
  const ModelConfig c = small_config();
  for (ModelKind k : all_models()) {
    const Inputs in = make_inputs(k, c);
    const Pass exact = run_model<double>(k, c, Precision::kFp32, in);
    for (Precision p : {Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
      const double same_tol = p == Precision::kTf32 ? 1e-4 : p == Precision::kBf16 ? 1e-6 : 4e-6;
      const double tol = p == Precision::kTf32 ? 1e-2 : p == Precision::kBf16 ? 0.3 : 4e-6;
      const Pass emulated = run_model<float>(k, c, p, in);
      const Pass reference = run_model<double>(k, c, p, in);
      std::string where_same, where_exact, where_doubled;
      const double same = worst_tensor_error(k, c, emulated.grad, reference.grad, &where_same);
      const double vs_exact = worst_tensor_error(k, c, emulated.grad, exact.grad, &where_exact);
      std::vector<double> doubled = emulated.grad;
      for (const TensorSpec& s : parameter_layout(k, c))
        if (s.name.find("bias") != std::string::npos)
          for (int64_t j = s.offset; j < s.offset + s.size; ++j) doubled[j] *= 2;
      const double mutated = worst_tensor_error(k, c, doubled, exact.grad, &where_doubled);
      std::printf(
          "[gradient] %-16s vs the same rounding in double %.3g at %s (tol %.0e); vs the exact "
          "gradient %.3g at %s (tol %.2g); bias doubled: %.3g at %s\n",
          label(k, p).c_str(), same, where_same.c_str(), same_tol, vs_exact, where_exact.c_str(),
          tol, mutated, where_doubled.c_str());
      EXPECT_LE(same, same_tol) << label(k, p) << " at " << where_same;
      EXPECT_LE(vs_exact, tol) << label(k, p) << " at " << where_exact;
      EXPECT_GT(mutated, tol) << label(k, p) << ": a doubled bias gradient would pass";
    }
  }
}

// ---- the config key and the scan option ----------------------------------------------------

// --precision overrides [train] precision, is written to config.used.toml and reaches the
// trainer (another precision, other RMSE); a wrong name names the option, the key and the
// choices, before any work.
TEST(PrecisionOption, OverridesTheConfigAndReachesTheTrainer) {
  namespace fs = std::filesystem;
  using tecscan::testing::read_text;
  using tecscan::testing::run_tecscan;
  const fs::path d = tecscan::testing::fresh_temp_dir("precision_option");
  tecscan::testing::SyntheticEventOptions o;
  o.days_before = 20;
  o.days_after = 2;
  write_cube((d / "cube.h5").string(), tecscan::testing::synthetic_event(o));
  std::ofstream(d / "tf32.toml") << "[train]\nprecision = \"tf32\"\nvalidation = \"split\"\n";
  const std::string common = "scan --cube " + (d / "cube.h5").string() + " --config " +
                             (d / "tf32.toml").string() +
                             " --models mlp --epochs 2 --device cpu --threads 2 --quiet";
  auto median_rmse = [&](const fs::path& run) {
    auto summary = nlohmann::json::parse(std::ifstream(run / "summary.json"));
    return summary["models"]["mlp"]["median_train_rmse_tecu"].get<double>();
  };

  tecscan::testing::CliResult r = run_tecscan(common + " --out " + (d / "tf32").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(read_text(d / "tf32" / "config.used.toml").find("precision = \"tf32\""),
            std::string::npos);
  r = run_tecscan(common + " --precision bf16 --out " + (d / "bf16").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(read_text(d / "bf16" / "config.used.toml").find("precision = \"bf16\""),
            std::string::npos);
  r = run_tecscan(common + " --precision fp32 --out " + (d / "fp32").string());
  ASSERT_EQ(r.status, 0) << r.output;
  const double fp32 = median_rmse(d / "fp32"), tf32 = median_rmse(d / "tf32"),
               bf16 = median_rmse(d / "bf16");
  std::printf("[precision] scan median train RMSE (TECU): fp32 %.9g, tf32 %.9g, bf16 %.9g\n", fp32,
              tf32, bf16);
  EXPECT_NE(tf32, fp32);
  EXPECT_NE(bf16, fp32);
  EXPECT_NE(bf16, tf32);

  r = run_tecscan(common + " --precision fp16 --out " + (d / "bad").string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--precision: train.precision: expected \"fp32\", \"3xtf32\", "
                          "\"tf32\" or \"bf16\", got \"fp16\""),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(d / "bad" / "summary.json"));
  fs::remove_all(d);
}
