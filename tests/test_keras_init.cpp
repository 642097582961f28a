// tecscan's initial weights against Keras' own default initialisers. The statistics come from
// tests/reference/fixtures/init_stats.json, written by tests/reference/make_fixtures.py from
// Keras 2.15 models built with their default initialisers over several seeds (not from the
// formulas tecscan implements): per tensor its shape, initialiser, min, max, mean, std, and for
// recurrent kernels how orthonormal its rows and columns are. tecscan draws the same tensors
// for as many nodes; both samples must agree within sampling error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tecscan/model.hpp"

namespace tecscan {
namespace {

using nlohmann::json;

constexpr uint64_t kSeed = 42;  // [train] seed's default

json load_init_stats() {
  const std::string path =
      std::string(TECSCAN_SOURCE_DIR) + "/tests/reference/fixtures/init_stats.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

const json& init_stats() {
  static const json stats = load_init_stats();
  return stats;
}

// The fixture writes every ModelConfig field.
ModelConfig config_from(const json& j) {
  ModelConfig c;
  c.window = j.at("window").get<int>();
  c.mlp_hidden = j.at("mlp_hidden").get<int>();
  c.cnn_filters = j.at("cnn_filters").get<int>();
  c.cnn_kernel = j.at("cnn_kernel").get<int>();
  c.cnn_pool = j.at("cnn_pool").get<int>();
  c.rnn_units = j.at("rnn_units").get<int>();
  c.gru_units = j.at("gru_units").get<int>();
  c.gru_reset_after = j.at("gru_reset_after").get<bool>();
  c.lstm_units = j.at("lstm_units").get<int>();
  c.lstm_dense = j.at("lstm_dense").get<int>();
  c.lstm_activation = parse_activation(j.at("lstm_activation").get<std::string>());
  c.cnnlstm_subseq = j.at("cnnlstm_subseq").get<int>();
  c.cnnlstm_units = j.at("cnnlstm_units").get<int>();
  c.cnnlstm_activation = parse_activation(j.at("cnnlstm_activation").get<std::string>());
  return c;
}

bool same_config(const ModelConfig& a, const ModelConfig& b) {
  return a.window == b.window && a.mlp_hidden == b.mlp_hidden && a.cnn_filters == b.cnn_filters &&
         a.cnn_kernel == b.cnn_kernel && a.cnn_pool == b.cnn_pool && a.rnn_units == b.rnn_units &&
         a.gru_units == b.gru_units && a.gru_reset_after == b.gru_reset_after &&
         a.lstm_units == b.lstm_units && a.lstm_dense == b.lstm_dense &&
         a.lstm_activation == b.lstm_activation && a.cnnlstm_subseq == b.cnnlstm_subseq &&
         a.cnnlstm_units == b.cnnlstm_units && a.cnnlstm_activation == b.cnnlstm_activation;
}

// Keras' initialiser class (make_fixtures.py: initializer_name) for tecscan's InitKind.
const char* keras_initializer(InitKind k) {
  switch (k) {
    case InitKind::kGlorotUniform:
      return "GlorotUniform";
    case InitKind::kOrthogonal:
      return "Orthogonal";
    case InitKind::kZeros:
      return "Zeros";
    default:
      return "Zeros+unit_forget_bias";
  }
}

// Pooled statistics of one tensor over several draws (Keras: seeds, tecscan: nodes).
struct Pooled {
  double min = INFINITY, max = -INFINITY, mean = 0, std = 0;
  double count = 0;  // values pooled
};

Pooled pool_keras(const json& t, int64_t size) {
  Pooled p;
  const auto mins = t.at("min").get<std::vector<double>>();
  const auto maxs = t.at("max").get<std::vector<double>>();
  const auto means = t.at("mean").get<std::vector<double>>();
  const auto stds = t.at("std").get<std::vector<double>>();
  double second_moment = 0;
  for (size_t s = 0; s < means.size(); ++s) {
    p.min = std::min(p.min, mins[s]);
    p.max = std::max(p.max, maxs[s]);
    p.mean += means[s] / means.size();
    second_moment += (stds[s] * stds[s] + means[s] * means[s]) / means.size();
  }
  p.std = std::sqrt(std::max(0.0, second_moment - p.mean * p.mean));
  p.count = static_cast<double>(means.size() * size);
  return p;
}

Pooled pool_tecscan(const std::vector<std::vector<float>>& draws, const TensorSpec& s) {
  Pooled p;
  double sum = 0, sum_sq = 0;
  for (const std::vector<float>& params : draws)
    for (int64_t j = 0; j < s.size; ++j) {
      const double x = params[s.offset + j];
      p.min = std::min(p.min, x);
      p.max = std::max(p.max, x);
      sum += x;
      sum_sq += x * x;
    }
  p.count = static_cast<double>(draws.size() * s.size);
  p.mean = sum / p.count;
  p.std = std::sqrt(std::max(0.0, sum_sq / p.count - p.mean * p.mean));
  return p;
}

// max |W W^T - I| (rows) of a row-major [rows, cols] tensor, or of W^T W (columns).
double orthonormal_error(const float* w, int rows, int cols, bool of_rows) {
  const int n = of_rows ? rows : cols, len = of_rows ? cols : rows;
  auto at = [&](int vec, int t) {
    return static_cast<double>(of_rows ? w[vec * cols + t] : w[t * cols + vec]);
  };
  double worst = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double dot = 0;
      for (int t = 0; t < len; ++t) dot += at(i, t) * at(j, t);
      worst = std::max(worst, std::abs(dot - (i == j ? 1.0 : 0.0)));
    }
  return worst;
}

double max_of(const json& values) {
  double m = -INFINITY;
  for (double v : values.get<std::vector<double>>()) m = std::max(m, v);
  return m;
}

void expect_case_matches_keras(const json& c) {
  const std::string name = c.at("name").get<std::string>();
  SCOPED_TRACE("init_stats case " + name);
  const ModelKind kind = parse_model(c.at("kind").get<std::string>());
  const ModelConfig mc = config_from(c.at("config"));
  const std::vector<TensorSpec> layout = parameter_layout(kind, mc);
  const json& tensors = c.at("tensors");
  ASSERT_EQ(layout.size(), tensors.size()) << "tensor count";

  // As many tecscan nodes as Keras seeds.
  const size_t draws = init_stats().at("seeds").size();
  std::vector<std::vector<float>> params(draws, std::vector<float>(parameter_count(kind, mc)));
  for (size_t node = 0; node < draws; ++node)
    init_parameters(kind, mc, kSeed, node, params[node].data());

  for (size_t i = 0; i < layout.size(); ++i) {
    const TensorSpec& s = layout[i];
    const json& t = tensors[i];
    SCOPED_TRACE("tensor " + s.name + " (Keras " + t.at("name").get<std::string>() + ")");
    ASSERT_EQ(s.shape, t.at("shape").get<std::vector<int>>());
    EXPECT_EQ(keras_initializer(s.init), t.at("initializer").get<std::string>());

    if (t.contains("constant")) {  // zeros, the LSTM forget bias: the same values exactly
      const auto expected = t.at("constant").get<std::vector<double>>();
      ASSERT_EQ(static_cast<int64_t>(expected.size()), s.size);
      for (const std::vector<float>& p : params)
        for (int64_t j = 0; j < s.size; ++j)
          ASSERT_EQ(p[s.offset + j], static_cast<float>(expected[j])) << "[" << j << "]";
      continue;
    }

    const Pooled keras = pool_keras(t, s.size);
    const Pooled ours = pool_tecscan(params, s);
    ASSERT_EQ(keras.count, ours.count);
    const double n = ours.count;
    // Sampling error of a std estimate is below sqrt((kurtosis - 1) / 4n) relative (kurtosis
    // 1.8 for a uniform, 3 for a Gaussian); of a mean sigma / sqrt(n). Both samples carry it.
    EXPECT_NEAR(ours.std, keras.std, 5.0 * keras.std / std::sqrt(n)) << "std";
    EXPECT_NEAR(ours.mean, keras.mean, 5.0 * keras.std * std::sqrt(2.0 / n)) << "mean";

    if (s.init == InitKind::kGlorotUniform) {
      // A bounded uniform: the extremes of n draws fall short of the bound by an exponential
      // gap of mean (bound width) / n; 10 means is far beyond chance.
      const double bound = std::max(-keras.min, keras.max);
      const double gap = 10.0 * 2.0 * bound / n;
      EXPECT_LE(ours.max, bound + gap) << "max";
      EXPECT_GE(ours.min, -bound - gap) << "min";
      EXPECT_GE(ours.max, bound - gap) << "max reaches Keras' bound";
      EXPECT_LE(ours.min, -bound + gap) << "min reaches Keras' bound";
    }

    if (s.init == InitKind::kOrthogonal) {
      ASSERT_EQ(s.shape.size(), 2u);
      const int rows = s.shape[0], cols = s.shape[1];
      // Keras makes the rows (or, where the matrix is square, rows and columns) orthonormal;
      // tecscan must make the same ones orthonormal.
      const bool keras_rows = max_of(t.at("rows_orthonormal_err")) < 1e-5;
      const bool keras_cols = max_of(t.at("cols_orthonormal_err")) < 1e-5;
      EXPECT_TRUE(keras_rows || keras_cols) << "the fixture's Keras kernel is not orthogonal";
      for (const std::vector<float>& p : params) {
        if (keras_rows) {
          EXPECT_LT(orthonormal_error(p.data() + s.offset, rows, cols, true), 1e-5) << "W W^T";
        }
        if (keras_cols) {
          EXPECT_LT(orthonormal_error(p.data() + s.offset, rows, cols, false), 1e-5) << "W^T W";
        }
      }
    }
  }
}

TEST(KerasInit, FixtureComesFromKeras2) {
  const json& versions = init_stats().at("versions");
  EXPECT_EQ(versions.at("keras").get<std::string>().substr(0, 2), "2.");
  EXPECT_GE(init_stats().at("seeds").size(), 4u);
}

// The default cases are tecscan's defaults: every model kind at ModelConfig().
TEST(KerasInit, DefaultCasesCoverEveryModelAtTheDefaults) {
  std::vector<ModelKind> covered;
  for (const json& c : init_stats().at("cases")) {
    if (c.at("name").get<std::string>().rfind("default_", 0) != 0) continue;
    EXPECT_TRUE(same_config(config_from(c.at("config")), ModelConfig()))
        << c.at("name") << ": not tecscan's default ModelConfig";
    covered.push_back(parse_model(c.at("kind").get<std::string>()));
  }
  for (ModelKind k : all_models())
    EXPECT_NE(std::find(covered.begin(), covered.end(), k), covered.end()) << model_name(k);
}

TEST(KerasInit, DefaultSizesMatchKerasStatistics) {
  int cases = 0;
  for (const json& c : init_stats().at("cases"))
    if (c.at("name").get<std::string>().rfind("default_", 0) == 0) {
      expect_case_matches_keras(c);
      ++cases;
    }
  EXPECT_EQ(cases, kNumModels);
}

TEST(KerasInit, FixtureSizesMatchKerasStatistics) {
  int cases = 0;
  for (const json& c : init_stats().at("cases"))
    if (c.at("name").get<std::string>().rfind("default_", 0) != 0) {
      expect_case_matches_keras(c);
      ++cases;
    }
  EXPECT_GT(cases, 0);
}

}  // namespace
}  // namespace tecscan
