// The scan's configuration: every number of the method, read from TOML (configs/default.toml
// documents each key). Defaults are configs/default.toml (the calibrated method;
// configs/paper.toml is the paper's); a file only needs the keys it changes.
#pragma once
#include <string>
#include <vector>

#include "tecscan/detect.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/inject.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"

namespace tecscan {

// The non-network detectors' names in [scan] models (the six networks use model_name()).
constexpr const char* kMedianIqrName = "median-iqr";
constexpr const char* kArName = "ar";
// The consensus' name wherever it stands beside the detectors (significance, sensitivity).
constexpr const char* kConsensusName = "consensus";

// Which epochs give the DTEC median and IQR of a (node, group) and the calibrated threshold.
enum class StatsFrom {
  kControls,  // quiet epochs before the precursor window
  kPreEvent,  // quiet epochs before the event: the control windows and the precursor window
              // alike, so the p-value's windows are exchangeable (the calibrated default)
  kAll        // every epoch of the series (the paper)
};

struct DetectConfig {
  double threshold = 1.5;          // fixed threshold, used when false_alarm_rate == 0 (the paper)
  double false_alarm_rate = 0.01;  // > 0: each detector's threshold is the (1 - rate) quantile of
                                   // |DTEC| over its control node-epochs
  DtecScope scope = DtecScope::kPerUtcHour;  // "series" (the paper) | "utc-hour"
  StatsFrom stats_from = StatsFrom::kPreEvent;
  int median_iqr_days = 15;         // median-iqr: previous days at the same UTC time
  int median_iqr_min_history = 10;  // ... of which at least this many finite
};

// How every epoch gets a prediction ([train] validation, folds).
struct ValidationConfig {
  bool kfold = true;  // "kfold": blocked K-fold, every prediction out of sample;
                      // "split": the paper's first train_fraction trains, the rest tests
  int folds = 5;
};

// Per-event significance ([significance]).
struct SignificanceConfig {
  double window_days = 15;       // the precursor window [event - window_days, event)
  double control_step_days = 0;  // control windows end every step before the precursor window;
                                 // 0 = window_days (disjoint windows: the calibrated p)
  int consensus_min = 3;         // a consensus anomaly: at least this many detectors (capped)
};

struct ScanSettings {
  // Detectors in output order: any of the six networks, "median-iqr" and "ar".
  std::vector<std::string> models = {"mlp",  "cnn",      "rnn",          "gru",
                                     "lstm", "cnn-lstm", kMedianIqrName, kArName};
  // "auto" (GPU where supported, else CPU) | "cpu" | "cuda"; "gpu" is read as "cuda".
  std::string device = "auto";
  int threads = 0;  // CPU trainer threads; 0 = all hardware threads
};

struct ScanConfig {
  ModelConfig model;  // [model]
  // [train]: epochs, batch, train_fraction, learning_rate, beta1, beta2, epsilon, seed,
  // patience, validation_fraction, precision. 20 epochs per fold: on El Salvador, recall at
  // 1 % false alarms is the same for 10 to 100 epochs (docs/calibration.md); the paper's 100
  // is in paper_config().
  TrainConfig train = [] {
    TrainConfig t;
    t.epochs = 20;
    return t;
  }();
  ValidationConfig validation;      // [train] validation, folds
  DetectConfig detect;              // [detect]
  QuietThresholds quiet;            // [quiet]
  SignificanceConfig significance;  // [significance]
  InjectConfig inject;              // [inject] (used by scan --inject)
  ScanSettings scan;                // [scan]
};

// The paper's exact method (configs/paper.toml): the 65 % split, median and IQR over the whole
// series, the fixed |DTEC| > 1.5, the six networks and median-iqr. Everything else as default.
ScanConfig paper_config();

// Defaults, then every key of the file. Unknown keys, wrong types and out-of-range values
// throw InputError(path, line, ...) naming the key; a path that is not a file (a directory)
// is refused.
ScanConfig load_config(const std::string& path);
// The same for TOML text; `name` is used in error messages.
ScanConfig parse_config(const std::string& toml_text, const std::string& name,
                        const ScanConfig& base = ScanConfig());

// Command-line overrides "section.key=value", e.g. "train.epochs=10", "detect.scope=utc-hour",
// "scan.models=mlp,cnn,median-iqr". The value is TOML ("scan.models=[\"mlp\"]") or a bare
// string. Same validation as a file; errors name the override.
void apply_overrides(ScanConfig& config, const std::vector<std::string>& overrides);

// Sets one key ("train.epochs") from text ("20") with the same validation; errors name
// `source` (the command-line option that sets the key, e.g. "--epochs").
void apply_setting(ScanConfig& config, const std::string& key, std::string value,
                   const std::string& source);

// Every key, "section.key", in the order config_to_toml writes them. Reading, writing and
// operator== all go through one table of these keys (config.cpp).
std::vector<std::string> config_key_names();

// The full effective configuration as TOML; parse_config(config_to_toml(c)) == c exactly.
std::string config_to_toml(const ScanConfig& config);
// Writes config_to_toml() atomically (config.used.toml of a run).
void write_config(const std::string& path, const ScanConfig& config);

// The neural models of config.scan.models in order (median-iqr and ar left out).
std::vector<ModelKind> neural_models(const ScanConfig& config);
bool wants_median_iqr(const ScanConfig& config);
bool is_network_name(const std::string& detector);  // one of the six networks' names

const char* dtec_scope_name(DtecScope s);  // "series", "utc-hour"
const char* stats_from_name(StatsFrom s);  // "controls", "pre-event", "all"
// "fixed" or "false_alarm_rate=0.01", as the outputs say it.
std::string threshold_rule(const DetectConfig& d);

// Every key equal (doubles compared with ==).
bool operator==(const ScanConfig& a, const ScanConfig& b);
inline bool operator!=(const ScanConfig& a, const ScanConfig& b) {
  return !(a == b);
}

}  // namespace tecscan
