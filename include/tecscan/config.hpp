// The scan's configuration: every number of the method, read from TOML (configs/default.toml
// documents each key). Defaults are the paper's; a file only needs the keys it changes.
#pragma once
#include <string>
#include <vector>

#include "tecscan/detect.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

namespace tecscan {

// The classical detector's name in [scan] models (the six networks use model_name()).
constexpr const char* kMedianIqrName = "median-iqr";

struct DetectConfig {
  double threshold = 1.5;                     // anomaly: |DTEC| > threshold (the paper)
  DtecScope scope = DtecScope::kWholeSeries;  // "series" | "utc-hour"
  int median_iqr_days = 15;                   // median-iqr: previous days at the same UTC time
  int median_iqr_min_history = 10;            // ... of which at least this many finite
};

struct ScanSettings {
  // Detectors in output order: any of the six networks and "median-iqr".
  std::vector<std::string> models = {"mlp",  "cnn",      "rnn",         "gru",
                                     "lstm", "cnn-lstm", kMedianIqrName};
  std::string device = "auto";  // "auto" (GPU where supported, else CPU) | "cpu" | "gpu"
  int threads = 0;              // CPU trainer threads; 0 = all hardware threads
};

struct ScanConfig {
  ModelConfig model;      // [model]
  TrainConfig train;      // [train]: epochs, batch, train_fraction, learning_rate, beta1, beta2,
                          //          epsilon, seed
  DetectConfig detect;    // [detect]
  QuietThresholds quiet;  // [quiet]
  ScanSettings scan;      // [scan]
};

// Defaults, then every key of the file. Unknown keys, wrong types and out-of-range values
// throw InputError(path, line, ...) naming the key.
ScanConfig load_config(const std::string& path);
// The same for TOML text; `name` is used in error messages.
ScanConfig parse_config(const std::string& toml_text, const std::string& name,
                        const ScanConfig& base = ScanConfig());

// Command-line overrides "section.key=value", e.g. "train.epochs=10", "detect.scope=utc-hour",
// "scan.models=mlp,cnn,median-iqr". The value is TOML ("scan.models=[\"mlp\"]") or a bare
// string. Same validation as a file; errors name the override.
void apply_overrides(ScanConfig& config, const std::vector<std::string>& overrides);

// The full effective configuration as TOML; parse_config(config_to_toml(c)) == c exactly.
std::string config_to_toml(const ScanConfig& config);
// Writes config_to_toml() atomically (config.used.toml of a run).
void write_config(const std::string& path, const ScanConfig& config);

// The neural models of config.scan.models in order (median-iqr left out).
std::vector<ModelKind> neural_models(const ScanConfig& config);
bool wants_median_iqr(const ScanConfig& config);

const char* dtec_scope_name(DtecScope s);  // "series", "utc-hour"

bool operator==(const ScanConfig& a, const ScanConfig& b);
inline bool operator!=(const ScanConfig& a, const ScanConfig& b) {
  return !(a == b);
}

}  // namespace tecscan
