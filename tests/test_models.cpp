// The model contract: backward() against central finite differences for every model kind,
// parameter counts and layouts of the paper's configuration, and the Keras-default init.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/rng.hpp"

using namespace tecscan;

namespace {

// Small sizes so finite differences over every parameter stay fast.
ModelConfig small_config() {
  ModelConfig c;
  c.window = 4;
  c.mlp_hidden = 6;
  c.cnn_filters = 4;
  c.cnn_kernel = 2;
  c.cnn_pool = 2;
  c.rnn_units = 5;
  c.gru_units = 6;
  c.lstm_units = 5;
  c.lstm_dense = 3;
  c.cnnlstm_subseq = 2;
  c.cnnlstm_units = 7;
  return c;
}

struct GradCase {
  std::string label;
  ModelKind kind;
  ModelConfig config;
};

void PrintTo(const GradCase& c, std::ostream* os) {
  *os << c.label;
}

std::vector<GradCase> grad_cases() {
  std::vector<GradCase> cases;
  for (ModelKind k : all_models()) cases.push_back({model_name(k), k, small_config()});
  // Variants: the other GRU bias layout, the other LSTM cell activations, a pool over > 1 step.
  ModelConfig c = small_config();
  c.gru_reset_after = false;
  cases.push_back({"gru_reset_before", ModelKind::kGru, c});
  c = small_config();
  c.lstm_activation = Activation::kTanh;
  c.cnnlstm_activation = Activation::kTanh;
  cases.push_back({"lstm_tanh", ModelKind::kLstm, c});
  cases.push_back({"cnn_lstm_tanh", ModelKind::kCnnLstm, c});
  c = small_config();
  c.window = 7;  // 7 -> 6 -> 5 -> pooled 2 steps (the last conv step is dropped by the floor)
  cases.push_back({"cnn_window7", ModelKind::kCnn, c});
  cases.push_back({"cnn_lstm_window7", ModelKind::kCnnLstm, c});
  return cases;
}

// Deterministic pseudo-random values in [-1, 1).
double uniform_pm1(uint64_t key, uint64_t i) {
  return 2.0 * rng_uniform01(key, i) - 1.0;
}

class GradientCheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradientCheck, BackwardMatchesCentralDifferences) {
  const GradCase& gc = GetParam();
  const int64_t nparam = parameter_count(gc.kind, gc.config);
  const int len = input_length(gc.kind, gc.config), batch = 7;

  // Keras-initialised weights plus random biases, so every bias gradient is exercised too.
  std::vector<float> init(nparam);
  init_parameters(gc.kind, gc.config, 7, 3, init.data());
  std::vector<double> params(init.begin(), init.end());
  for (const TensorSpec& s : parameter_layout(gc.kind, gc.config))
    if (s.init == InitKind::kZeros || s.init == InitKind::kLstmBias)
      for (int64_t j = 0; j < s.size; ++j)
        params[s.offset + j] += 0.3 * uniform_pm1(11, s.offset + j);
  std::vector<double> x(static_cast<size_t>(batch) * len), weight(batch);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 1.5 * uniform_pm1(12, i);
  for (int i = 0; i < batch; ++i) weight[i] = uniform_pm1(13, i);

  std::unique_ptr<CpuModel<double>> model = make_cpu_model<double>(gc.kind, gc.config);
  ASSERT_EQ(model->kind(), gc.kind);
  std::vector<double> y(batch);
  // loss = sum_i weight_i * y_i, so dloss/dy = weight.
  auto loss = [&](const std::vector<double>& p) {
    model->forward(p.data(), x.data(), batch, y.data());
    double l = 0;
    for (int i = 0; i < batch; ++i) l += weight[i] * y[i];
    return l;
  };
  loss(params);
  std::vector<double> grad(nparam, 1e30);  // backward must overwrite every entry
  model->backward(params.data(), weight.data(), grad.data());

  // Central differences cannot resolve a gradient below the loss's rounding noise: a few ulps of
  // the loss divided by the step. Entries under that floor pass on absolute error instead.
  const double eps = 1e-6;
  double loss_scale = 1;
  for (int i = 0; i < batch; ++i) loss_scale += std::abs(weight[i] * y[i]);
  const double noise_floor = std::numeric_limits<double>::epsilon() * loss_scale / eps;
  double worst = 0;
  std::string worst_name;
  int bad = 0, at_floor = 0;
  for (const TensorSpec& s : parameter_layout(gc.kind, gc.config))
    for (int64_t j = 0; j < s.size; ++j) {
      const int64_t p = s.offset + j;
      std::vector<double> shifted = params;
      shifted[p] = params[p] + eps;
      const double up = loss(shifted);
      shifted[p] = params[p] - eps;
      const double down = loss(shifted);
      const double numeric = (up - down) / (2 * eps);
      const double diff = std::abs(numeric - grad[p]);
      const double rel = diff / std::max(1e-8, std::abs(numeric) + std::abs(grad[p]));
      if (rel > worst) worst = rel, worst_name = s.name + "[" + std::to_string(j) + "]";
      if (rel < 1e-6) continue;
      if (diff < noise_floor) {
        ++at_floor;
        continue;
      }
      if (++bad <= 5)
        ADD_FAILURE() << gc.label << " " << s.name << "[" << j << "]: analytic " << grad[p]
                      << " numeric " << numeric << " rel " << rel;
    }
  std::printf(
      "[gradient] %s: %lld parameters, worst relative error vs central differences %.3g "
      "at %s; %d entries at the noise floor (tol 1e-6 per entry)\n",
      gc.label.c_str(), static_cast<long long>(nparam), worst, worst_name.c_str(), at_floor);
  EXPECT_EQ(bad, 0) << gc.label << ": worst relative error " << worst << " at " << worst_name;
  RecordProperty("entries_at_noise_floor", at_floor);
  // The floor is for a handful of near-zero entries, not a way around the check.
  EXPECT_LE(at_floor, nparam / 20) << gc.label << ": " << at_floor << " of " << nparam
                                   << " entries within the noise floor " << noise_floor;
}

INSTANTIATE_TEST_SUITE_P(Models, GradientCheck, ::testing::ValuesIn(grad_cases()),
                         [](const ::testing::TestParamInfo<GradCase>& info) {
                           std::string n = info.param.label;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Both precisions compute the same function (float within its rounding).
TEST(Models, FloatForwardMatchesDouble) {
  const ModelConfig c = small_config();
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn}) {
    const int64_t n = parameter_count(k, c);
    const int len = input_length(k, c), batch = 5;
    std::vector<float> pf(n), xf(batch * len), yf(batch);
    init_parameters(k, c, 1, 2, pf.data());
    for (size_t i = 0; i < xf.size(); ++i) xf[i] = static_cast<float>(uniform_pm1(5, i));
    std::vector<double> pd(pf.begin(), pf.end()), xd(xf.begin(), xf.end()), yd(batch);
    make_cpu_model<float>(k, c)->forward(pf.data(), xf.data(), batch, yf.data());
    make_cpu_model<double>(k, c)->forward(pd.data(), xd.data(), batch, yd.data());
    for (int i = 0; i < batch; ++i) EXPECT_NEAR(yf[i], yd[i], 1e-5) << model_name(k) << " " << i;
  }
}

TEST(Models, ParameterCountsOfThePaperConfiguration) {
  const ModelConfig c;  // Table 1: window 4, hidden/filters/units 100, LSTM 200 + Dense 100
  // MLP: 4*100 + 100 + 100*100 + 100 + 100*1 + 1 = 10701
  EXPECT_EQ(parameter_count(ModelKind::kMlp, c), 10701);
  // CNN: conv1 2*1*100 + 100 = 300; conv2 2*100*100 + 100 = 20100; 4 -> 3 -> 2 -> pool 1 step,
  // dense 1*100*1 + 1 = 101; total 20501
  EXPECT_EQ(parameter_count(ModelKind::kCnn, c), 20501);
  // SimpleRNN: 1*100 + 100*100 + 100 = 10200; dense 100 + 1; total 10301
  EXPECT_EQ(parameter_count(ModelKind::kRnn, c), 10301);
  // GRU (reset_after): 1*300 + 100*300 + 2*300 = 30900; dense 101; total 31001
  EXPECT_EQ(parameter_count(ModelKind::kGru, c), 31001);
  // LSTM: 1*800 + 200*800 + 800 = 161600; dense_1 200*100 + 100 = 20100; dense_2 101;
  // total 181801
  EXPECT_EQ(parameter_count(ModelKind::kLstm, c), 181801);
  // CNN-LSTM: convs 300 + 20100 = 20400; LSTM on 1*100 features: 100*400 + 100*400 + 400 =
  // 80400; dense 101; total 100901
  EXPECT_EQ(parameter_count(ModelKind::kCnnLstm, c), 100901);
  // GRU without reset_after: bias [300] instead of [2, 300] -> 31001 - 300 = 30701
  ModelConfig g = c;
  g.gru_reset_after = false;
  EXPECT_EQ(parameter_count(ModelKind::kGru, g), 30701);
}

TEST(Models, LayoutsAreContiguousKerasTensors) {
  const ModelConfig c;
  for (ModelKind k : all_models()) {
    std::vector<TensorSpec> specs = parameter_layout(k, c);
    ASSERT_FALSE(specs.empty());
    int64_t offset = 0;
    for (const TensorSpec& s : specs) {
      int64_t size = 1;
      for (int d : s.shape) size *= d;
      EXPECT_EQ(s.offset, offset) << model_name(k) << " " << s.name;
      EXPECT_EQ(s.size, size) << model_name(k) << " " << s.name;
      offset += s.size;
    }
    EXPECT_EQ(offset, parameter_count(k, c)) << model_name(k);
  }
  auto names = [&](ModelKind k) {
    std::string all;
    for (const TensorSpec& s : parameter_layout(k, c)) all += s.name + " ";
    return all;
  };
  EXPECT_EQ(names(ModelKind::kMlp),
            "dense_1/kernel dense_1/bias dense_2/kernel dense_2/bias dense_3/kernel "
            "dense_3/bias ");
  EXPECT_EQ(names(ModelKind::kCnn),
            "conv1d_1/kernel conv1d_1/bias conv1d_2/kernel conv1d_2/bias dense/kernel "
            "dense/bias ");
  EXPECT_EQ(names(ModelKind::kRnn),
            "simple_rnn/kernel simple_rnn/recurrent_kernel simple_rnn/bias dense/kernel "
            "dense/bias ");
  EXPECT_EQ(names(ModelKind::kGru),
            "gru/kernel gru/recurrent_kernel gru/bias dense/kernel "
            "dense/bias ");
  EXPECT_EQ(names(ModelKind::kLstm),
            "lstm/kernel lstm/recurrent_kernel lstm/bias dense_1/kernel dense_1/bias "
            "dense_2/kernel dense_2/bias ");
  EXPECT_EQ(names(ModelKind::kCnnLstm),
            "conv1d_1/kernel conv1d_1/bias conv1d_2/kernel conv1d_2/bias lstm/kernel "
            "lstm/recurrent_kernel lstm/bias dense/kernel dense/bias ");

  std::vector<TensorSpec> cnn = parameter_layout(ModelKind::kCnn, c);
  EXPECT_EQ(cnn[2].shape, (std::vector<int>{2, 100, 100}));
  EXPECT_EQ(cnn[2].fan_in, 200);  // Keras: k * in_channels
  EXPECT_EQ(cnn[2].fan_out, 200);
  std::vector<TensorSpec> gru = parameter_layout(ModelKind::kGru, c);
  EXPECT_EQ(gru[2].shape, (std::vector<int>{2, 300}));
  std::vector<TensorSpec> cl = parameter_layout(ModelKind::kCnnLstm, c);
  EXPECT_EQ(cl[4].shape, (std::vector<int>{100, 400}));
  EXPECT_EQ(cl[5].init, InitKind::kOrthogonal);
  EXPECT_EQ(cl[6].init, InitKind::kLstmBias);
}

TEST(Models, RejectsConfigurationsWithoutPooledSteps) {
  ModelConfig c;
  c.window = 3;  // 3 -> 2 -> 1 -> floor(1 / 2) = 0 steps
  for (ModelKind k : {ModelKind::kCnn, ModelKind::kCnnLstm}) {
    try {
      parameter_layout(k, c);
      ADD_FAILURE() << model_name(k) << ": window 3 accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("[model] window"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(parameter_layout(ModelKind::kMlp, c));
  c.mlp_hidden = 0;
  EXPECT_THROW(parameter_layout(ModelKind::kMlp, c), InputError);
}

TEST(Models, NamesRoundTrip) {
  for (ModelKind k : all_models()) EXPECT_EQ(parse_model(model_name(k)), k);
  EXPECT_EQ(parse_model("CNN_LSTM"), ModelKind::kCnnLstm);
  EXPECT_THROW(parse_model("transformer"), InputError);
  for (Activation a : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid})
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  EXPECT_THROW(parse_activation("gelu"), InputError);
  ModelConfig c;
  EXPECT_EQ(input_length(ModelKind::kLstm, c), 4);
  EXPECT_EQ(input_length(ModelKind::kCnnLstm, c), 8);
}

// The registry is the one description of each network: in ModelKind order, complete, and what
// model.hpp's functions and make_cpu_model answer from.
TEST(ModelRegistry, OneEntryPerKindInOrderAndTheFreeFunctionsReadIt) {
  const std::vector<ModelEntry>& t = model_registry();
  ASSERT_EQ(t.size(), static_cast<size_t>(kNumModels));
  const ModelConfig c;
  for (size_t i = 0; i < t.size(); ++i) {
    const ModelEntry& e = t[i];
    SCOPED_TRACE(e.name);
    EXPECT_EQ(static_cast<size_t>(e.kind), i);
    EXPECT_EQ(&model_entry(e.kind), &e);
    EXPECT_STREQ(model_name(e.kind), e.name);
    EXPECT_NE(std::string(e.architecture), "");
    EXPECT_EQ(input_length(e.kind, c), e.input_length(c));
    EXPECT_EQ(parameter_layout(e.kind, c).size(), e.layout(c).size());
    EXPECT_DOUBLE_EQ(forward_flops_per_sample(e.kind, c), 2.0 * e.forward_macs(c));
    EXPECT_EQ(make_cpu_model<float>(e.kind, c)->kind(), e.kind);
    EXPECT_EQ(make_cpu_model<double>(e.kind, c)->kind(), e.kind);
    const bool recurrent = e.kind != ModelKind::kMlp && e.kind != ModelKind::kCnn;
    EXPECT_EQ(e.gpu, recurrent ? GpuPath::kRecurrent : GpuPath::kFeedForward);
  }
  EXPECT_EQ(model_names(","), "mlp,cnn,rnn,gru,lstm,cnn-lstm");
  EXPECT_THROW(model_entry(static_cast<ModelKind>(kNumModels)), InputError);
}

TEST(ModelRegistry, UnknownNamesListEveryNetwork) {
  EXPECT_EQ(parse_model("cnnlstm"), ModelKind::kCnnLstm);
  EXPECT_EQ(parse_model("cnn_lstm"), ModelKind::kCnnLstm);
  EXPECT_THROW(parse_model("m_lp"), InputError);  // only the CNN-LSTM's dash has spellings
  try {
    parse_model("transformer");
    FAIL() << "parse_model accepted 'transformer'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected one of mlp, cnn, rnn, gru, lstm, cnn-lstm"),
              std::string::npos)
        << e.what();
  }
}

TEST(Models, FlopsCountTheGemms) {
  const ModelConfig c;
  // MLP: 2 * (4*100 + 100*100 + 100*1) multiply-adds
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kMlp, c), 2.0 * 10500);
  // CNN: 2 * (3*2*100 + 2*2*100*100 + 100)
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kCnn, c), 2.0 * 40700);
  // LSTM: 2 * (4 * (800 + 200*800) + 200*100 + 100)
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kLstm, c), 2.0 * 663300);
  // RNN: 2 * (4 * (100 + 100*100) + 100); GRU: 2 * (4 * (300 + 100*300) + 100)
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kRnn, c), 2.0 * 40500);
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kGru, c), 2.0 * 121300);
  // CNN-LSTM: 2 subsequences x (convs 40600 + LSTM 100*400 + 100*400) + dense 100
  EXPECT_DOUBLE_EQ(forward_flops_per_sample(ModelKind::kCnnLstm, c), 2.0 * 241300);
}

// ---- initialisation ---------------------------------------------------------------------------

// Statistics of every initial tensor against Keras' own initialisers: tests/test_keras_init.cpp.

TEST(Models, InitFollowsTheDocumentedDraw) {
  // The documented draw, which the GPU backend and the fixtures rely on.
  const ModelConfig c;
  std::vector<float> p(parameter_count(ModelKind::kMlp, c));
  init_parameters(ModelKind::kMlp, c, 42, 9, p.data());
  const uint64_t key = rng_key(42, 9, static_cast<uint64_t>(ModelKind::kMlp), kRngInit);
  const float limit = static_cast<float>(std::sqrt(6.0 / (100 + 100)));
  EXPECT_EQ(p[500 + 17], (2.0f * rng_uniform01(key, 500 + 17) - 1.0f) * limit);  // dense_2
}

TEST(Models, InitIsKeyedBySeedAndNode) {
  const ModelConfig c = small_config();
  for (ModelKind k : all_models()) {
    const int64_t n = parameter_count(k, c);
    std::vector<float> a(n), b(n), other_node(n), other_seed(n);
    init_parameters(k, c, 42, 5, a.data());
    init_parameters(k, c, 42, 5, b.data());
    init_parameters(k, c, 42, 6, other_node.data());
    init_parameters(k, c, 43, 5, other_seed.data());
    EXPECT_EQ(a, b) << model_name(k);
    EXPECT_NE(a, other_node) << model_name(k);
    EXPECT_NE(a, other_seed) << model_name(k);
  }
}

}  // namespace
