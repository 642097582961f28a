// The configuration's one table of keys (config_keys): each key's section, name, member, and the
// kind of value with its range or allowed names. Reading (file, --set, --epochs ...), writing
// (config.used.toml) and operator== all follow from it.
#include "tecscan/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/validate.hpp"

namespace tecscan {
namespace {

// Shortest text that reads back as exactly v: plain decimals ("20.0", "0.65") in the usual
// range, an exponent ("1e-07") outside it. TOML needs a '.' or an exponent in a float.
template <typename T>
std::string toml_float(T v) {
  char buf[64];
  auto reads_back = [&] { return static_cast<T>(std::strtod(buf, nullptr)) == v; };
  const double a = std::fabs(static_cast<double>(v));
  bool done = false;
  if (a == 0 || (a >= 1e-4 && a < 1e15))
    for (int decimals = 0; decimals <= 20 && !done; ++decimals) {
      std::snprintf(buf, sizeof buf, "%.*f", decimals, static_cast<double>(v));
      done = reads_back();
    }
  for (int digits = 1; digits <= 17 && !done; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    done = reads_back();
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // "n": inf, nan
  return s;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

// Reads TOML values; every error names the source (a file and line, or a command-line
// override) and the key.
class ValueReader {
 public:
  ValueReader(std::string source, bool with_lines)
      : source_(std::move(source)), lines_(with_lines) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& key,
                         const std::string& what) const {
    long line = lines_ && node ? static_cast<long>(node->source().begin.line) : 0;
    throw InputError(source_, line, key + ": " + what);
  }
  [[noreturn]] void fail_range(const toml::node& v, const std::string& key, const NumberRange& r,
                               const std::string& note = "") const {
    fail(&v, key, "expected " + r.describe() + note + ", got " + found(v));
  }
  int64_t integer(const toml::node& v, const std::string& key, const NumberRange& r) const {
    auto x = v.value_exact<int64_t>();
    if (!x || !r.contains(static_cast<double>(*x))) fail_range(v, key, r);
    return *x;
  }
  // An integer is accepted where a float is expected ("threshold = 2").
  double number(const toml::node& v, const std::string& key, const NumberRange& r,
                const std::string& note = "") const {
    std::optional<double> x;
    if (v.is_floating_point()) x = v.value_exact<double>();
    if (v.is_integer()) x = static_cast<double>(*v.value_exact<int64_t>());
    if (!x || !r.contains(*x)) fail_range(v, key, r, note);
    return *x;
  }
  std::string text(const toml::node& v, const std::string& key, const char* what) const {
    auto x = v.value_exact<std::string>();
    if (!x) fail(&v, key, std::string("expected ") + what);
    return *x;
  }

 private:
  // What a value is, for "expected X, got Y".
  static std::string found(const toml::node& v) {
    if (auto i = v.value_exact<int64_t>()) return std::to_string(*i);
    if (auto x = v.value_exact<double>()) return toml_float(*x);
    if (auto t = v.value_exact<std::string>()) return "\"" + *t + "\"";
    if (v.is_boolean()) return "a boolean";
    if (v.is_array()) return "a list";
    if (v.is_table()) return "a table";
    return "a date or time";
  }

  std::string source_;
  bool lines_;
};

// ---- Kinds of value: read (with the checks) and write (TOML) ----------------------------------

struct WholeNumber {
  NumberRange range;
  void read(const ValueReader& r, const toml::node& v, const std::string& k, int& dst) const {
    dst = static_cast<int>(r.integer(v, k, range));
  }
  std::string write(int x) const { return std::to_string(x); }
};

struct Seed {
  void read(const ValueReader& r, const toml::node& v, const std::string& k, uint64_t& dst) const {
    dst = static_cast<uint64_t>(r.integer(v, k, {0, kInf, false, false, true}));
  }
  std::string write(uint64_t x) const { return std::to_string(x); }
};

struct RealNumber {
  NumberRange range;
  const char* note = "";  // after the range in messages
  void read(const ValueReader& r, const toml::node& v, const std::string& k, double& dst) const {
    dst = r.number(v, k, range, note);
  }
  void read(const ValueReader& r, const toml::node& v, const std::string& k, float& dst) const {
    dst = static_cast<float>(r.number(v, k, range, note));
  }
  std::string write(double x) const { return toml_float(x); }
  std::string write(float x) const { return toml_float(x); }  // shortest text of the float
};

struct Boolean {
  void read(const ValueReader& r, const toml::node& v, const std::string& k, bool& dst) const {
    auto x = v.value_exact<bool>();
    if (!x) r.fail(&v, k, "expected true or false");
    dst = *x;
  }
  std::string write(bool x) const { return x ? "true" : "false"; }
};

// A string that must be one of two names; the member is (value == if_true).
struct NamedChoice {
  const char* if_true;
  const char* if_false;
  void read(const ValueReader& r, const toml::node& v, const std::string& k, bool& dst) const {
    const std::string expected = std::string("\"") + if_true + "\" or \"" + if_false + "\"";
    const std::string name = r.text(v, k, expected.c_str());
    if (name != if_true && name != if_false)
      r.fail(&v, k, "expected " + expected + ", got \"" + name + "\"");
    dst = name == if_true;
  }
  std::string write(bool x) const { return toml_string(x ? if_true : if_false); }
};

struct ActivationName {
  void read(const ValueReader& r, const toml::node& v, const std::string& k,
            Activation& dst) const {
    const std::string name = r.text(v, k, "an activation name (\"relu\", \"tanh\", \"sigmoid\")");
    try {
      dst = parse_activation(name);
    } catch (const InputError& e) {
      r.fail(&v, k, e.what());
    }
  }
  std::string write(Activation a) const { return toml_string(activation_name(a)); }
};

// [train] precision: parse_precision's names (case-insensitive), written in lower case.
struct PrecisionName {
  void read(const ValueReader& r, const toml::node& v, const std::string& k, Precision& dst) const {
    const char* what = "\"fp32\", \"3xtf32\", \"tf32\" or \"bf16\"";
    const std::string name = r.text(v, k, what);
    try {
      dst = parse_precision(name);
    } catch (const InputError&) {
      r.fail(&v, k, std::string("expected ") + what + ", got \"" + name + "\"");
    }
  }
  std::string write(Precision p) const { return toml_string(precision_name(p)); }
};

struct ScopeName {
  void read(const ValueReader& r, const toml::node& v, const std::string& k, DtecScope& dst) const {
    const std::string name = r.text(v, k, "\"series\" or \"utc-hour\"");
    if (name == "series") {
      dst = DtecScope::kWholeSeries;
    } else if (name == "utc-hour") {
      dst = DtecScope::kPerUtcHour;
    } else {
      r.fail(&v, k, "expected \"series\" or \"utc-hour\", got \"" + name + "\"");
    }
  }
  std::string write(DtecScope s) const { return toml_string(dtec_scope_name(s)); }
};

struct StatsFromName {
  void read(const ValueReader& r, const toml::node& v, const std::string& k, StatsFrom& dst) const {
    const char* what = "\"pre-event\", \"controls\" or \"all\"";
    const std::string name = r.text(v, k, what);
    for (StatsFrom s : {StatsFrom::kPreEvent, StatsFrom::kControls, StatsFrom::kAll})
      if (name == stats_from_name(s)) {
        dst = s;
        return;
      }
    r.fail(&v, k, std::string("expected ") + what + ", got \"" + name + "\"");
  }
  std::string write(StatsFrom s) const { return toml_string(stats_from_name(s)); }
};

struct InjectionSign {
  void read(const ValueReader& r, const toml::node& v, const std::string& k,
            std::string& dst) const {
    const char* what = "\"positive\", \"negative\" or \"both\"";
    const std::string name = r.text(v, k, what);
    if (name != "positive" && name != "negative" && name != "both")
      r.fail(&v, k, std::string("expected ") + what + ", got \"" + name + "\"");
    dst = name;
  }
  std::string write(const std::string& s) const { return toml_string(s); }
};

// "gpu" is accepted as another name of "cuda", which is what is stored and written.
struct DeviceName {
  void read(const ValueReader& r, const toml::node& v, const std::string& k,
            std::string& dst) const {
    std::string name = r.text(v, k, "\"auto\", \"cpu\" or \"cuda\"");
    if (name == "gpu") name = "cuda";
    for (const char* d : {"auto", "cpu", "cuda"})
      if (name == d) {
        dst = name;
        return;
      }
    r.fail(&v, k, "expected \"auto\", \"cpu\" or \"cuda\", got \"" + name + "\"");
  }
  std::string write(const std::string& s) const { return toml_string(s); }
};

// Injection amplitudes: fractions of the local TEC, e.g. [0.05, 0.1, 0.2], kept sorted.
struct Amplitudes {
  NumberRange range;  // of each amplitude
  void read(const ValueReader& r, const toml::node& v, const std::string& k,
            std::vector<double>& dst) const {
    const std::string note = " (a fraction of the local TEC) in a list, e.g. [0.1, 0.2]";
    const toml::array* a = v.as_array();
    if (!a || a->empty()) r.fail_range(v, k, range, note);
    std::vector<double> out;
    for (const toml::node& item : *a) out.push_back(r.number(item, k, range, note));
    std::sort(out.begin(), out.end());
    for (size_t i = 1; i < out.size(); ++i)
      if (out[i] == out[i - 1])
        r.fail(&v, k, "amplitude " + toml_float(out[i]) + " is listed twice");
    dst = out;
  }
  std::string write(const std::vector<double>& amplitudes) const {
    std::string s = "[";
    for (size_t i = 0; i < amplitudes.size(); ++i) s += (i ? ", " : "") + toml_float(amplitudes[i]);
    return s + "]";
  }
};

// A TOML array of names, or one string "mlp,cnn" (handy on the command line).
struct ModelNames {
  void read(const ValueReader& r, const toml::node& v, const std::string& k,
            std::vector<std::string>& dst) const {
    const char* what = "a list of model names, e.g. [\"mlp\", \"cnn\", \"median-iqr\"]";
    std::vector<std::string> names;
    if (const toml::array* a = v.as_array()) {
      for (const toml::node& item : *a) names.push_back(r.text(item, k, what));
    } else {
      std::stringstream ss(r.text(v, k, what));
      for (std::string name; std::getline(ss, name, ',');) {
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t") + 1);
        names.push_back(name);
      }
    }
    if (names.empty()) r.fail(&v, k, std::string("expected ") + what + ", got an empty list");
    for (size_t i = 0; i < names.size(); ++i) {
      for (size_t j = 0; j < i; ++j)
        if (names[j] == names[i]) r.fail(&v, k, "\"" + names[i] + "\" is listed twice");
      if (names[i] == kMedianIqrName || names[i] == kArName) continue;
      try {
        parse_model(names[i]);
      } catch (const InputError&) {
        r.fail(&v, k,
               "unknown model \"" + names[i] + "\" (valid: " + model_names(", ") + ", " +
                   kMedianIqrName + ", " + kArName + ")");
      }
    }
    dst = names;
  }
  std::string write(const std::vector<std::string>& names) const {
    std::string s = "[";
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + toml_string(names[i]);
    return s + "]";
  }
};

// ---- The table ----------------------------------------------------------------------------------

struct ConfigKey {
  const char* section;
  const char* name;
  std::function<void(const ValueReader&, const toml::node&, const std::string&, ScanConfig&)> read;
  std::function<std::string(const ScanConfig&)> write;  // the value as TOML
  std::function<bool(const ScanConfig&, const ScanConfig&)> equal;
};

// member(c) returns the key's member of a ScanConfig, const or not; Kind reads and writes it.
template <typename Member, typename Kind>
ConfigKey config_key(const char* section, const char* name, Member member, Kind kind) {
  return {section, name,
          [member, kind](const ValueReader& r, const toml::node& v, const std::string& k,
                         ScanConfig& c) { kind.read(r, v, k, member(c)); },
          [member, kind](const ScanConfig& c) { return kind.write(member(c)); },
          [member](const ScanConfig& a, const ScanConfig& b) { return member(a) == member(b); }};
}

// Ranges shared by several keys. Upper bounds keep a typo (epochs = 1000000000) from ending in
// an allocation failure hours later.
constexpr NumberRange kUnits{1, 10000, false, false, true};    // layer widths, filters
constexpr NumberRange kShape{1, 1000, false, false, true};     // window, kernel, pool
constexpr NumberRange kDayCount{1, 3650, false, false, true};  // median-iqr history
constexpr NumberRange kDecayRate{0, 1, false, true};
constexpr NumberRange kPositive{0, kInf, true, true};
// Quiet thresholds may be infinite ("f107_max = inf": any F10.7 value passes); never NaN.
constexpr NumberRange kAnyNumber{-kInf, kInf};

#define TECSCAN_MEMBER(path) \
  [](auto& c) -> auto& {     \
    return c.path;           \
  }

// Every key, in the order config.used.toml writes them; sections in the order they appear.
const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      config_key("model", "window", TECSCAN_MEMBER(model.window), WholeNumber{kShape}),
      config_key("model", "mlp_hidden", TECSCAN_MEMBER(model.mlp_hidden), WholeNumber{kUnits}),
      config_key("model", "cnn_filters", TECSCAN_MEMBER(model.cnn_filters), WholeNumber{kUnits}),
      config_key("model", "cnn_kernel", TECSCAN_MEMBER(model.cnn_kernel), WholeNumber{kShape}),
      config_key("model", "cnn_pool", TECSCAN_MEMBER(model.cnn_pool), WholeNumber{kShape}),
      config_key("model", "rnn_units", TECSCAN_MEMBER(model.rnn_units), WholeNumber{kUnits}),
      config_key("model", "gru_units", TECSCAN_MEMBER(model.gru_units), WholeNumber{kUnits}),
      config_key("model", "gru_reset_after", TECSCAN_MEMBER(model.gru_reset_after), Boolean{}),
      config_key("model", "lstm_units", TECSCAN_MEMBER(model.lstm_units), WholeNumber{kUnits}),
      config_key("model", "lstm_dense", TECSCAN_MEMBER(model.lstm_dense), WholeNumber{kUnits}),
      config_key("model", "lstm_activation", TECSCAN_MEMBER(model.lstm_activation),
                 ActivationName{}),
      config_key("model", "cnnlstm_subseq", TECSCAN_MEMBER(model.cnnlstm_subseq),
                 WholeNumber{kShape}),
      config_key("model", "cnnlstm_units", TECSCAN_MEMBER(model.cnnlstm_units),
                 WholeNumber{kUnits}),
      config_key("model", "cnnlstm_activation", TECSCAN_MEMBER(model.cnnlstm_activation),
                 ActivationName{}),

      config_key("train", "epochs", TECSCAN_MEMBER(train.epochs),
                 WholeNumber{{1, 100000, false, false, true}}),
      config_key("train", "batch", TECSCAN_MEMBER(train.batch),
                 WholeNumber{{1, 1000000, false, false, true}}),
      // (0, 1): a split leaves both parts; the library also takes 1 (k-fold, train.hpp).
      config_key("train", "train_fraction", TECSCAN_MEMBER(train.train_fraction),
                 RealNumber{{0, 1, true, true}}),
      config_key("train", "learning_rate", TECSCAN_MEMBER(train.adam.lr), RealNumber{kPositive}),
      config_key("train", "beta1", TECSCAN_MEMBER(train.adam.beta1), RealNumber{kDecayRate}),
      config_key("train", "beta2", TECSCAN_MEMBER(train.adam.beta2), RealNumber{kDecayRate}),
      config_key("train", "epsilon", TECSCAN_MEMBER(train.adam.eps), RealNumber{kPositive}),
      config_key("train", "seed", TECSCAN_MEMBER(train.seed), Seed{}),
      config_key("train", "validation", TECSCAN_MEMBER(validation.kfold),
                 NamedChoice{"kfold", "split"}),
      config_key("train", "folds", TECSCAN_MEMBER(validation.folds),
                 WholeNumber{{2, 100, false, false, true}}),
      config_key("train", "patience", TECSCAN_MEMBER(train.patience),
                 WholeNumber{{0, 100000, false, false, true}}),
      config_key("train", "validation_fraction", TECSCAN_MEMBER(train.validation_fraction),
                 RealNumber{{0, 0.5, true, false}}),
      config_key("train", "precision", TECSCAN_MEMBER(train.precision), PrecisionName{}),

      config_key("detect", "threshold", TECSCAN_MEMBER(detect.threshold), RealNumber{kPositive}),
      config_key("detect", "false_alarm_rate", TECSCAN_MEMBER(detect.false_alarm_rate),
                 RealNumber{{0, 0.5, false, true}, " (0: the fixed threshold)"}),
      config_key("detect", "scope", TECSCAN_MEMBER(detect.scope), ScopeName{}),
      config_key("detect", "stats_from", TECSCAN_MEMBER(detect.stats_from), StatsFromName{}),
      config_key("detect", "median_iqr_days", TECSCAN_MEMBER(detect.median_iqr_days),
                 WholeNumber{kDayCount}),
      config_key("detect", "median_iqr_min_history", TECSCAN_MEMBER(detect.median_iqr_min_history),
                 WholeNumber{kDayCount}),

      config_key("quiet", "kp_max", TECSCAN_MEMBER(quiet.kp_max), RealNumber{kAnyNumber}),
      config_key("quiet", "ap_max", TECSCAN_MEMBER(quiet.ap_max), RealNumber{kAnyNumber}),
      config_key("quiet", "dst_min", TECSCAN_MEMBER(quiet.dst_min), RealNumber{kAnyNumber}),
      config_key("quiet", "dst_max", TECSCAN_MEMBER(quiet.dst_max), RealNumber{kAnyNumber}),
      config_key("quiet", "f107_max", TECSCAN_MEMBER(quiet.f107_max), RealNumber{kAnyNumber}),
      config_key("quiet", "f107", TECSCAN_MEMBER(quiet.f107_observed),
                 NamedChoice{"observed", "adjusted"}),
      config_key("quiet", "missing", TECSCAN_MEMBER(quiet.ignore_missing),
                 NamedChoice{"ignore", "not-quiet"}),

      config_key("significance", "window_days", TECSCAN_MEMBER(significance.window_days),
                 RealNumber{{0, 3650, true, false}}),
      config_key("significance", "control_step_days",
                 TECSCAN_MEMBER(significance.control_step_days),
                 RealNumber{{0, kInf, false, true}, " (0: window_days)"}),
      config_key("significance", "consensus_min", TECSCAN_MEMBER(significance.consensus_min),
                 WholeNumber{{1, 100, false, false, true}}),

      // Amplitudes up to 1000 % of the local TEC.
      config_key("inject", "amplitudes", TECSCAN_MEMBER(inject.amplitudes),
                 Amplitudes{{0, 10, true, false}}),
      config_key("inject", "duration_hours", TECSCAN_MEMBER(inject.duration_hours),
                 RealNumber{kPositive}),
      config_key("inject", "radius_km", TECSCAN_MEMBER(inject.radius_km),
                 RealNumber{kRadiusKmRange}),
      config_key("inject", "sign", TECSCAN_MEMBER(inject.sign), InjectionSign{}),
      config_key("inject", "per_amplitude", TECSCAN_MEMBER(inject.per_amplitude),
                 WholeNumber{{1, 100000, false, false, true}}),
      config_key("inject", "seed", TECSCAN_MEMBER(inject.seed), Seed{}),

      config_key("scan", "models", TECSCAN_MEMBER(scan.models), ModelNames{}),
      config_key("scan", "device", TECSCAN_MEMBER(scan.device), DeviceName{}),
      config_key("scan", "threads", TECSCAN_MEMBER(scan.threads),
                 WholeNumber{{0, 4096, false, false, true}}),
  };
  return keys;
}

#undef TECSCAN_MEMBER

// The sections in table order: "model", "train", ...
std::vector<std::string> config_sections() {
  std::vector<std::string> sections;
  for (const ConfigKey& key : config_keys())
    if (sections.empty() || sections.back() != key.section) sections.push_back(key.section);
  return sections;
}

// Rules that involve several keys; reported at the line of the later key when it is present.
void check_consistency(const ValueReader& r, const toml::table& root, const ScanConfig& c) {
  auto node = [&](const char* section, const char* key) -> const toml::node* {
    return root.at_path(std::string(section) + "." + key).node();
  };
  if (c.detect.median_iqr_min_history > c.detect.median_iqr_days) {
    const toml::node* n = node("detect", "median_iqr_min_history");
    r.fail(n ? n : node("detect", "median_iqr_days"), "detect.median_iqr_min_history",
           "must be <= detect.median_iqr_days (" + std::to_string(c.detect.median_iqr_days) + ")");
  }
  if (!(c.quiet.dst_min < c.quiet.dst_max)) {
    const toml::node* n = node("quiet", "dst_max");
    r.fail(n ? n : node("quiet", "dst_min"), "quiet.dst_min", "must be < quiet.dst_max");
  }
  // Architectures that cannot be built (e.g. a CNN whose pooling leaves no step): say so now,
  // not after an hour of training the models listed before it.
  for (ModelKind k : neural_models(c)) {
    try {
      parameter_count(k, c.model);
    } catch (const InputError& e) {
      r.fail(node("model", "window"), "[model]", e.what());
    }
  }
}

// Every key of a parsed TOML table into c, through the table; then the rules across keys.
void apply_table(const ValueReader& r, const toml::table& root, ScanConfig& c) {
  const std::vector<std::string> sections = config_sections();
  std::string sections_list;
  for (const std::string& s : sections)
    sections_list += (sections_list.empty() ? "[" : ", [") + s + "]";
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const toml::table* table = section_node.as_table();
    if (!table) r.fail(&section_node, section, "a key outside the sections " + sections_list);
    if (std::find(sections.begin(), sections.end(), section) == sections.end())
      r.fail(&section_node, section, "unknown section (expected " + sections_list + ")");
    for (auto&& [key_name, value] : *table) {
      const std::string name(key_name.str()), full = section + "." + name;
      const auto key =
          std::find_if(config_keys().begin(), config_keys().end(),
                       [&](const ConfigKey& k) { return k.section == section && k.name == name; });
      if (key == config_keys().end()) {
        std::vector<std::string> names;  // listed alphabetically
        for (const ConfigKey& k : config_keys())
          if (k.section == section) names.push_back(k.name);
        std::sort(names.begin(), names.end());
        std::string valid;
        for (const std::string& n : names) valid += (valid.empty() ? "" : ", ") + n;
        r.fail(&value, full, "unknown key (valid keys of [" + section + "]: " + valid + ")");
      }
      key->read(r, value, full, c);
    }
  }
  check_consistency(r, root, c);
}

toml::table parse_toml(const std::string& text, const std::string& name, bool with_lines) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    long line = with_lines ? static_cast<long>(e.source().begin.line) : 0;
    throw InputError(name, line, "invalid TOML: " + std::string(e.description()));
  }
}

}  // namespace

const char* dtec_scope_name(DtecScope s) {
  return s == DtecScope::kPerUtcHour ? "utc-hour" : "series";
}

const char* stats_from_name(StatsFrom s) {
  switch (s) {
    case StatsFrom::kControls:
      return "controls";
    case StatsFrom::kPreEvent:
      return "pre-event";
    default:
      return "all";
  }
}

std::string threshold_rule(const DetectConfig& d) {
  if (d.false_alarm_rate > 0) return "false_alarm_rate=" + toml_float(d.false_alarm_rate);
  return "fixed";
}

ScanConfig paper_config() {
  ScanConfig c;
  c.validation.kfold = false;
  c.train.epochs = 100;
  c.detect.false_alarm_rate = 0;
  c.detect.scope = DtecScope::kWholeSeries;
  c.detect.stats_from = StatsFrom::kAll;
  c.scan.models.clear();
  for (ModelKind k : all_models()) c.scan.models.push_back(model_name(k));
  c.scan.models.push_back(kMedianIqrName);
  return c;
}

ScanConfig parse_config(const std::string& toml_text, const std::string& name,
                        const ScanConfig& base) {
  toml::table root = parse_toml(toml_text, name, true);
  ScanConfig c = base;
  apply_table(ValueReader(name, true), root, c);
  return c;
}

ScanConfig load_config(const std::string& path) {
  require_regular_file(path, "a TOML config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

void apply_setting(ScanConfig& config, const std::string& key, std::string value,
                   const std::string& source) {
  value.erase(0, value.find_first_not_of(" \t"));
  // TOML dotted keys: "train.epochs = 10" sets [train] epochs. A value that is not TOML
  // (detect.scope=utc-hour) is taken as a string.
  toml::table root;
  try {
    root = toml::parse(key + " = " + value, source);
  } catch (const toml::parse_error&) {
    root = parse_toml(key + " = " + toml_string(value), source, false);
  }
  ScanConfig c = config;
  apply_table(ValueReader(source, false), root, c);
  config = c;
}

void apply_overrides(ScanConfig& config, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) {
    const std::string source = "override '" + o + "'";
    size_t eq = o.find('=');
    size_t dot = o.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      throw InputError(source, 0, "expected section.key=value, e.g. train.epochs=10");
    apply_setting(config, o.substr(0, eq), o.substr(eq + 1), source);
  }
}

std::string config_to_toml(const ScanConfig& c) {
  std::ostringstream o;
  o << "# tecscan " << TECSCAN_VERSION << ": the effective configuration of this run.\n"
    << "# Repeat the run into a new directory (its inputs are listed in summary.json):\n"
    << "#   tecscan scan --config config.used.toml --cube CUBE.h5 --out NEW_RUN_DIR\n";
  const char* section = "";
  for (const ConfigKey& key : config_keys()) {
    if (std::string(key.section) != section) {
      section = key.section;
      o << "\n[" << section << "]\n";
    }
    o << key.name << " = " << key.write(c) << "\n";
  }
  return o.str();
}

void write_config(const std::string& path, const ScanConfig& config) {
  write_file_atomic(path, config_to_toml(config));
}

std::vector<ModelKind> neural_models(const ScanConfig& config) {
  std::vector<ModelKind> kinds;
  for (const std::string& name : config.scan.models)
    if (is_network_name(name)) kinds.push_back(parse_model(name));
  return kinds;
}

bool is_network_name(const std::string& detector) {
  return detector != kMedianIqrName && detector != kArName && detector != kConsensusName;
}

bool wants_median_iqr(const ScanConfig& config) {
  for (const std::string& name : config.scan.models)
    if (name == kMedianIqrName) return true;
  return false;
}

std::vector<std::string> config_key_names() {
  std::vector<std::string> names;
  for (const ConfigKey& key : config_keys())
    names.push_back(std::string(key.section) + "." + key.name);
  return names;
}

bool operator==(const ScanConfig& a, const ScanConfig& b) {
  return std::all_of(config_keys().begin(), config_keys().end(),
                     [&](const ConfigKey& key) { return key.equal(a, b); });
}

}  // namespace tecscan
