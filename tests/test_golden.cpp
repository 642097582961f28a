// Golden tests: every CPU model against Keras itself. tests/reference/make_fixtures.py built
// each Keras model with small sizes, set seeded weights and recorded the forward output, the
// MSE gradient and three Adam steps, in float32 and float64 (tests/reference/README.md).
// Here CpuModel<float> must match the float32 run and CpuModel<double> the float64 run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model.hpp"

namespace tecscan {
namespace {

const char* const kFixtures[] = {
    "mlp",          "cnn",       "rnn",           "gru",          "gru_reset_before",
    "lstm_sigmoid", "lstm_tanh", "cnn_lstm_relu", "cnn_lstm_tanh"};

nlohmann::json load_fixture(const std::string& name) {
  const std::string path =
      std::string(TECSCAN_SOURCE_DIR) + "/tests/reference/fixtures/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

ModelConfig config_from(const nlohmann::json& j) {
  ModelConfig c;
  auto set_int = [&j](const char* key, int* v) {
    if (j.contains(key)) *v = j.at(key).get<int>();
  };
  set_int("window", &c.window);
  set_int("mlp_hidden", &c.mlp_hidden);
  set_int("cnn_filters", &c.cnn_filters);
  set_int("cnn_kernel", &c.cnn_kernel);
  set_int("cnn_pool", &c.cnn_pool);
  set_int("rnn_units", &c.rnn_units);
  set_int("gru_units", &c.gru_units);
  set_int("lstm_units", &c.lstm_units);
  set_int("lstm_dense", &c.lstm_dense);
  set_int("cnnlstm_subseq", &c.cnnlstm_subseq);
  set_int("cnnlstm_units", &c.cnnlstm_units);
  if (j.contains("gru_reset_after")) c.gru_reset_after = j.at("gru_reset_after").get<bool>();
  if (j.contains("lstm_activation"))
    c.lstm_activation = parse_activation(j.at("lstm_activation").get<std::string>());
  if (j.contains("cnnlstm_activation"))
    c.cnnlstm_activation = parse_activation(j.at("cnnlstm_activation").get<std::string>());
  return c;
}

template <typename T>
std::vector<T> values(const nlohmann::json& j) {
  std::vector<T> v;
  for (const auto& e : j) v.push_back(static_cast<T>(e.get<double>()));
  return v;
}

// Largest |a - b| / max(|b|, floor) over the elements; the floor keeps values that are zero up
// to rounding (a near-dead ReLU, a gradient that cancels) from dominating.
template <typename T>
double max_relative_error(const std::vector<T>& a, const std::vector<T>& b, double floor) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    double ref = static_cast<double>(b[i]);
    double err = std::abs(static_cast<double>(a[i]) - ref) / std::max(std::abs(ref), floor);
    worst = std::max(worst, err);
  }
  return worst;
}

template <typename T>
double max_abs(const std::vector<T>& v) {
  double m = 0;
  for (T x : v) m = std::max(m, std::abs(static_cast<double>(x)));
  return m;
}

template <typename T>
double mse(const std::vector<T>& pred, const std::vector<T>& y) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double d = static_cast<double>(pred[i]) - static_cast<double>(y[i]);
    s += d * d;
  }
  return s / static_cast<double>(y.size());
}

// Tolerances: the float run must agree with Keras' float32 to the brief's 1e-5 (forward,
// losses); gradients and the weights after Adam to about ten times the measured error (x86-64:
// gradient 1.5e-5, weights 2.0e-6); the double run with Keras' float64 to about ten times the
// measured rounding (forward 1.4e-14, gradient 5.7e-14, weights 2.5e-15).
struct Tolerance {
  double forward, grad, loss, weights;
};
template <typename T>
Tolerance tolerance();
template <>
Tolerance tolerance<float>() {
  return {1e-5, 1.5e-4, 1e-5, 2e-5};
}
template <>
Tolerance tolerance<double>() {
  return {1.5e-13, 6e-13, 1e-12, 3e-14};
}

// Keras' Adam in the fixture's float type: float runs use adam.hpp's AdamConfig defaults and
// adam_alpha() (what the trainer does). Keras float64 keeps lr, betas and epsilon in double for
// m, v and the step, but its beta powers come from tf.cast(beta, float64) of a Python float,
// which TF first turns into a float32 tensor: alpha uses beta1 = 0.9f and beta2 = 0.999f.
template <typename T>
struct AdamParams {
  T beta1, beta2, eps;
  T alpha(long t) const;
};
template <>
float AdamParams<float>::alpha(long t) const {
  return adam_alpha(AdamConfig{}, t);
}
template <>
double AdamParams<double>::alpha(long t) const {
  const double beta1 = 0.9f, beta2 = 0.999f;
  return 1e-3 * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
}
template <typename T>
AdamParams<T> adam_params();
template <>
AdamParams<float> adam_params<float>() {
  AdamConfig c;
  return {c.beta1, c.beta2, c.eps};
}
template <>
AdamParams<double> adam_params<double>() {
  return {0.9, 0.999, 1e-7};
}

template <typename T>
void check_against_keras(const std::string& name) {
  const nlohmann::json fx = load_fixture(name);
  const nlohmann::json& run = fx.at(sizeof(T) == 4 ? "float32" : "float64");
  const ModelKind kind = parse_model(fx.at("kind").get<std::string>());
  const ModelConfig cfg = config_from(fx.at("config"));
  const Tolerance tol = tolerance<T>();
  SCOPED_TRACE(name + (sizeof(T) == 4 ? " float" : " double"));

  // The flat layout is Keras' get_weights() order and shapes.
  const std::vector<TensorSpec> layout = parameter_layout(kind, cfg);
  const auto& keras_shapes = fx.at("tensors");
  ASSERT_EQ(layout.size(), keras_shapes.size());
  for (size_t i = 0; i < layout.size(); ++i)
    EXPECT_EQ(layout[i].shape, keras_shapes[i].get<std::vector<int>>()) << layout[i].name;

  std::vector<T> params = values<T>(run.at("params"));
  ASSERT_EQ(static_cast<int64_t>(params.size()), parameter_count(kind, cfg));
  const int batch = fx.at("batch").get<int>(), steps = fx.at("steps").get<int>();
  const int n_in = input_length(kind, cfg);
  auto model = make_cpu_model<T>(kind, cfg);
  ASSERT_EQ(model->kind(), kind);

  // Forward on the first batch with the initial weights.
  const std::vector<T> x0 = values<T>(run.at("x")[0]);
  ASSERT_EQ(x0.size(), static_cast<size_t>(batch * n_in));
  const std::vector<T> keras_forward = values<T>(run.at("forward"));
  std::vector<T> pred(batch);
  model->forward(params.data(), x0.data(), batch, pred.data());
  const double forward_err = max_relative_error(pred, keras_forward, 1e-2 * max_abs(keras_forward));
  std::printf("[keras %s %s] forward max rel err %.3g (tol %.3g)\n", name.c_str(),
              sizeof(T) == 4 ? "float" : "double", forward_err, tol.forward);
  EXPECT_LT(forward_err, tol.forward);

  // Three Adam steps on the fixed batches; step 0 also checks the gradient itself.
  const AdamParams<T> adam = adam_params<T>();
  const std::vector<T> keras_losses = values<T>(run.at("losses"));
  std::vector<T> grad(params.size()), m(params.size(), T(0)), v(params.size(), T(0));
  std::vector<T> dy(batch);
  for (int step = 0; step < steps; ++step) {
    const std::vector<T> x = values<T>(run.at("x")[step]);
    const std::vector<T> y = values<T>(run.at("y")[step]);
    model->forward(params.data(), x.data(), batch, pred.data());
    const double loss = mse(pred, y);
    EXPECT_LT(std::abs(loss - keras_losses[step]) / keras_losses[step], tol.loss)
        << "step " << step;
    for (int b = 0; b < batch; ++b) dy[b] = T(2) * (pred[b] - y[b]) / static_cast<T>(batch);
    model->backward(params.data(), dy.data(), grad.data());
    if (step == 0) {
      const std::vector<T> keras_grad = values<T>(run.at("grad"));
      const double grad_err = max_relative_error(grad, keras_grad, 1e-3 * max_abs(keras_grad));
      std::printf("[keras %s %s] gradient of every parameter max rel err %.3g (tol %.3g)\n",
                  name.c_str(), sizeof(T) == 4 ? "float" : "double", grad_err, tol.grad);
      EXPECT_LT(grad_err, tol.grad);
    }
    const T alpha = adam.alpha(step + 1);
    for (size_t i = 0; i < params.size(); ++i)
      adam_update(params[i], m[i], v[i], grad[i], alpha, adam.beta1, adam.beta2, adam.eps);
  }
  const std::vector<T> keras_final = values<T>(run.at("final_params"));
  const double weights_err = max_relative_error(params, keras_final, 1e-2);
  std::printf("[keras %s %s] weights after %d Adam steps max rel err %.3g (tol %.3g)\n",
              name.c_str(), sizeof(T) == 4 ? "float" : "double", steps, weights_err, tol.weights);
  EXPECT_LT(weights_err, tol.weights);
}

class GoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenTest, FloatMatchesKerasFloat32) {
  check_against_keras<float>(GetParam());
}
TEST_P(GoldenTest, DoubleMatchesKerasFloat64) {
  check_against_keras<double>(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Keras, GoldenTest, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

TEST(Golden, FixturesCoverEverySixModelsAndTheirVariants) {
  std::set<std::string> kinds;
  bool reset_after = false, reset_before = false;
  std::set<std::string> lstm_acts, cnnlstm_acts;
  for (const char* name : kFixtures) {
    const nlohmann::json fx = load_fixture(name);
    const std::string kind = fx.at("kind").get<std::string>();
    kinds.insert(kind);
    const nlohmann::json& c = fx.at("config");
    if (kind == "gru") (c.at("gru_reset_after").get<bool>() ? reset_after : reset_before) = true;
    if (kind == "lstm") lstm_acts.insert(c.at("lstm_activation").get<std::string>());
    if (kind == "cnn-lstm") cnnlstm_acts.insert(c.at("cnnlstm_activation").get<std::string>());
    EXPECT_FALSE(fx.at("versions").at("tensorflow").get<std::string>().empty());
  }
  for (ModelKind k : all_models()) EXPECT_EQ(kinds.count(model_name(k)), 1u) << model_name(k);
  EXPECT_TRUE(reset_after && reset_before);
  EXPECT_EQ(lstm_acts, (std::set<std::string>{"sigmoid", "tanh"}));
  EXPECT_EQ(cnnlstm_acts, (std::set<std::string>{"relu", "tanh"}));
}

// Scratch buffers sized by a large batch must not leak into a later, smaller batch (the last
// minibatch of an epoch is partial), and a repeated forward must give the same answer.
TEST(Golden, SmallerBatchAfterLargerGivesTheSameRows) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    const nlohmann::json fx = load_fixture(name);
    const nlohmann::json& run = fx.at("float64");
    const ModelKind kind = parse_model(fx.at("kind").get<std::string>());
    const ModelConfig cfg = config_from(fx.at("config"));
    const std::vector<double> params = values<double>(run.at("params"));
    const std::vector<double> x = values<double>(run.at("x")[1]);
    const int batch = fx.at("batch").get<int>();
    auto model = make_cpu_model<double>(kind, cfg);
    std::vector<double> full(batch), part(3), grad_full(params.size()), grad_part(params.size());
    std::vector<double> dy(batch, 0.0);
    model->forward(params.data(), x.data(), batch, full.data());
    dy[0] = 1;
    model->backward(params.data(), dy.data(), grad_full.data());
    // Rows 0..2 alone, read from the same buffer: outputs equal; the gradient of y_0 too.
    model->forward(params.data(), x.data(), 3, part.data());
    model->backward(params.data(), dy.data(), grad_part.data());
    for (int b = 0; b < 3; ++b) EXPECT_NEAR(part[b], full[b], 1e-14 * (1 + std::abs(full[b])));
    EXPECT_LT(max_relative_error(grad_part, grad_full, 1e-12), 1e-12);
    EXPECT_GT(max_abs(grad_full), 0.0);
  }
}

}  // namespace
}  // namespace tecscan
