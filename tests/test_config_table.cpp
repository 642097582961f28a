// The config's one table of keys: every key is read, written (config.used.toml) and compared by
// operator==, in the table's order, and a key missing from any of the three shows up here.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tecscan/config.hpp"
#include "tecscan/error.hpp"

using namespace tecscan;

namespace {

// A valid value other than the default for every key, as config_to_toml writes it.
const std::map<std::string, std::string>& changed_values() {
  static const std::map<std::string, std::string> values = {
      {"model.window", "9"},
      {"model.mlp_hidden", "7"},
      {"model.cnn_filters", "8"},
      {"model.cnn_kernel", "3"},
      {"model.cnn_pool", "1"},
      {"model.rnn_units", "11"},
      {"model.gru_units", "12"},
      {"model.gru_reset_after", "false"},
      {"model.lstm_units", "13"},
      {"model.lstm_dense", "14"},
      {"model.lstm_activation", "\"tanh\""},
      {"model.cnnlstm_subseq", "3"},
      {"model.cnnlstm_units", "15"},
      {"model.cnnlstm_activation", "\"sigmoid\""},
      {"train.epochs", "3"},
      {"train.batch", "16"},
      {"train.train_fraction", "0.5"},
      {"train.learning_rate", "0.01"},
      {"train.beta1", "0.8"},
      {"train.beta2", "0.99"},
      {"train.epsilon", "1e-08"},
      {"train.seed", "7"},
      {"train.validation", "\"split\""},
      {"train.folds", "4"},
      {"train.patience", "5"},
      {"train.validation_fraction", "0.25"},
      {"train.precision", "\"bf16\""},
      {"detect.threshold", "2.5"},
      {"detect.false_alarm_rate", "0.05"},
      {"detect.scope", "\"series\""},
      {"detect.stats_from", "\"all\""},
      {"detect.median_iqr_days", "20"},
      {"detect.median_iqr_min_history", "5"},
      {"quiet.kp_max", "3.0"},
      {"quiet.ap_max", "30.0"},
      {"quiet.dst_min", "-30.0"},
      {"quiet.dst_max", "30.0"},
      {"quiet.f107_max", "inf"},
      {"quiet.f107", "\"adjusted\""},
      {"quiet.missing", "\"ignore\""},
      {"significance.window_days", "10.0"},
      {"significance.control_step_days", "5.0"},
      {"significance.consensus_min", "2"},
      {"inject.amplitudes", "[0.1, 0.3]"},
      {"inject.duration_hours", "3.0"},
      {"inject.radius_km", "800.0"},
      {"inject.sign", "\"both\""},
      {"inject.per_amplitude", "4"},
      {"inject.seed", "9"},
      {"scan.models", "[\"lstm\", \"ar\"]"},
      {"scan.device", "\"cpu\""},
      {"scan.threads", "2"},
  };
  return values;
}

// "section.key" -> value text of every "key = value" line of a written config.
std::vector<std::pair<std::string, std::string>> written_keys(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> keys;
  std::istringstream in(toml);
  std::string section;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.size() - 2);
      continue;
    }
    const size_t eq = line.find(" = ");
    keys.emplace_back(section + "." + line.substr(0, eq), line.substr(eq + 3));
  }
  return keys;
}

std::string value_written(const ScanConfig& c, const std::string& key) {
  for (const auto& [name, value] : written_keys(config_to_toml(c)))
    if (name == key) return value;
  return "(not written)";
}

}  // namespace

TEST(ConfigTable, TheFileIsWrittenInTheTablesOrder) {
  std::vector<std::string> written;
  for (const auto& [name, value] : written_keys(config_to_toml(ScanConfig())))
    written.push_back(name);
  EXPECT_EQ(written, config_key_names());
  EXPECT_EQ(config_key_names().size(), changed_values().size())
      << "a key without a changed value in this test";
}

TEST(ConfigTable, EveryKeyIsReadWrittenAndCompared) {
  const ScanConfig defaults;
  for (const std::string& key : config_key_names()) {
    SCOPED_TRACE(key);
    const auto changed = changed_values().find(key);
    ASSERT_NE(changed, changed_values().end()) << "no changed value for this key in the test";
    ASSERT_NE(value_written(defaults, key), changed->second) << "the test's value is the default";
    ScanConfig c;
    // Keys checked together with another: keep the other one compatible.
    if (key == "detect.median_iqr_days") c.detect.median_iqr_min_history = 1;
    if (key == "model.cnn_kernel" || key == "model.cnnlstm_subseq") c.model.window = 12;
    const ScanConfig before = c;
    apply_setting(c, key, changed->second, "--set");
    EXPECT_FALSE(c == before) << "operator== does not compare " << key;
    EXPECT_EQ(value_written(c, key), changed->second);
    EXPECT_TRUE(parse_config(config_to_toml(c), "written") == c) << config_to_toml(c);
  }
}

TEST(ConfigTable, GpuIsReadAsCudaAndWrittenAsCuda) {
  ScanConfig c;
  apply_setting(c, "scan.device", "gpu", "--device");
  EXPECT_EQ(c.scan.device, "cuda");
  EXPECT_EQ(value_written(c, "scan.device"), "\"cuda\"");
}

TEST(ConfigTable, AnUnknownKeyListsItsSectionsKeysAlphabetically) {
  try {
    parse_config("[significance]\nwindow = 3\n", "k.toml");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "k.toml:2: significance.window: unknown key (valid keys of [significance]: "
                  "consensus_min, control_step_days, window_days)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ConfigTable, TrainFractionIsASplitWithBothParts) {
  ScanConfig c;
  for (const char* bad : {"0", "1", "1.0"}) {
    try {
      apply_setting(c, "train.train_fraction", bad, "--set");
      ADD_FAILURE() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("expected a number in (0, 1)"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ConfigTable, PrecisionIsOneOfFourNamesWrittenInLowerCase) {
  ScanConfig c = parse_config("[train]\nprecision = \"TF32\"\n", "p.toml");
  EXPECT_EQ(c.train.precision, Precision::kTf32);
  EXPECT_EQ(value_written(c, "train.precision"), "\"tf32\"");
  EXPECT_EQ(value_written(ScanConfig(), "train.precision"), "\"fp32\"");
  EXPECT_EQ(paper_config().train.precision, Precision::kFp32);  // the paper's Keras: FP32
  for (const char* bad : {"\"fp16\"", "32", "[\"tf32\"]"}) {
    try {
      parse_config(std::string("[train]\nprecision = ") + bad + "\n", "p.toml");
      ADD_FAILURE() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(
                    "p.toml:2: train.precision: expected \"fp32\", \"3xtf32\", \"tf32\" or "
                    "\"bf16\""),
                std::string::npos)
          << e.what();
    }
  }
}
