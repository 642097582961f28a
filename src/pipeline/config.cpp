#include "tecscan/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

namespace tecscan {
namespace {

const char* const kDevices[] = {"auto", "cpu", "cuda"};

// The range of every numeric key, shared by the config file, --set and the scan options that
// set a key (--epochs, --threads, --seed): one table, one rule. Upper bounds keep a typo
// (epochs = 1000000000) from ending in an allocation failure hours later.
constexpr NumberRange kUnits{1, 10000, false, false, true};  // layer widths, filters
constexpr NumberRange kShape{1, 1000, false, false, true};   // window, kernel, pool
constexpr NumberRange kEpochs{1, 100000, false, false, true};
constexpr NumberRange kBatch{1, 1000000, false, false, true};
constexpr NumberRange kFolds{2, 100, false, false, true};
constexpr NumberRange kPatience{0, 100000, false, false, true};
constexpr NumberRange kDayCount{1, 3650, false, false, true};  // median-iqr history
constexpr NumberRange kConsensus{1, 100, false, false, true};
constexpr NumberRange kInjections{1, 100000, false, false, true};
constexpr NumberRange kThreads{0, 4096, false, false, true};
constexpr NumberRange kSeed{0, kInf, false, false, true};
// Quiet thresholds may be infinite ("f107_max = inf": any F10.7 value passes); never NaN.
constexpr NumberRange kAnyNumber{-kInf, kInf};
constexpr NumberRange kPositive{0, kInf, true, true};
constexpr NumberRange kNonNegative{0, kInf, false, true};
constexpr NumberRange kOpenUnit{0, 1, true, true};
constexpr NumberRange kDecayRate{0, 1, false, true};
constexpr NumberRange kFalseAlarmRate{0, 0.5, false, true};
constexpr NumberRange kWindowDays{0, 3650, true, false};
constexpr NumberRange kHoldoutFraction{0, 0.5, true, false};
constexpr NumberRange kAmplitude{0, 10, true, false};  // up to 1000 % of the local TEC

template <typename T>
std::string toml_float(T v);

// Reads values out of a parsed TOML table into a ScanConfig. Every error names the source
// (a file and line, or a command-line override) and the key.
class Reader {
 public:
  Reader(std::string source, bool with_lines) : source_(std::move(source)), lines_(with_lines) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& key,
                         const std::string& what) const {
    long line = lines_ && node ? static_cast<long>(node->source().begin.line) : 0;
    throw InputError(source_, line, key + ": " + what);
  }

  void apply(const toml::table& root, ScanConfig& c) const {
    using Section = std::map<std::string, Setter>;
    ModelConfig& m = c.model;
    TrainConfig& t = c.train;
    DetectConfig& d = c.detect;
    QuietThresholds& q = c.quiet;
    SignificanceConfig& g = c.significance;
    InjectConfig& inj = c.inject;
    ScanSettings& s = c.scan;
    const std::map<std::string, Section> sections = {
        {"model",
         {{"window", whole(m.window, kShape)},
          {"mlp_hidden", whole(m.mlp_hidden, kUnits)},
          {"cnn_filters", whole(m.cnn_filters, kUnits)},
          {"cnn_kernel", whole(m.cnn_kernel, kShape)},
          {"cnn_pool", whole(m.cnn_pool, kShape)},
          {"rnn_units", whole(m.rnn_units, kUnits)},
          {"gru_units", whole(m.gru_units, kUnits)},
          {"gru_reset_after", boolean(m.gru_reset_after)},
          {"lstm_units", whole(m.lstm_units, kUnits)},
          {"lstm_dense", whole(m.lstm_dense, kUnits)},
          {"lstm_activation", activation(m.lstm_activation)},
          {"cnnlstm_subseq", whole(m.cnnlstm_subseq, kShape)},
          {"cnnlstm_units", whole(m.cnnlstm_units, kUnits)},
          {"cnnlstm_activation", activation(m.cnnlstm_activation)}}},
        {"train",
         {{"epochs", whole(t.epochs, kEpochs)},
          {"batch", whole(t.batch, kBatch)},
          {"train_fraction", real(t.train_fraction, kOpenUnit)},
          {"learning_rate", real32(t.adam.lr, kPositive)},
          {"beta1", real32(t.adam.beta1, kDecayRate)},
          {"beta2", real32(t.adam.beta2, kDecayRate)},
          {"epsilon", real32(t.adam.eps, kPositive)},
          {"seed", seed(t.seed)},
          {"validation", choice(c.validation.kfold, "kfold", "split")},
          {"folds", whole(c.validation.folds, kFolds)},
          {"patience", whole(t.patience, kPatience)},
          {"validation_fraction", real(t.validation_fraction, kHoldoutFraction)}}},
        {"detect",
         {{"threshold", real(d.threshold, kPositive)},
          {"false_alarm_rate",
           real(d.false_alarm_rate, kFalseAlarmRate, " (0: the fixed threshold)")},
          {"scope", scope(d.scope)},
          {"stats_from", stats_from(d.stats_from)},
          {"median_iqr_days", whole(d.median_iqr_days, kDayCount)},
          {"median_iqr_min_history", whole(d.median_iqr_min_history, kDayCount)}}},
        {"quiet",
         {{"kp_max", real(q.kp_max, kAnyNumber)},
          {"ap_max", real(q.ap_max, kAnyNumber)},
          {"dst_min", real(q.dst_min, kAnyNumber)},
          {"dst_max", real(q.dst_max, kAnyNumber)},
          {"f107_max", real(q.f107_max, kAnyNumber)},
          {"f107", choice(q.f107_observed, "observed", "adjusted")},
          {"missing", choice(q.ignore_missing, "ignore", "not-quiet")}}},
        {"significance",
         {{"window_days", real(g.window_days, kWindowDays)},
          {"control_step_days", real(g.control_step_days, kNonNegative, " (0: window_days)")},
          {"consensus_min", whole(g.consensus_min, kConsensus)}}},
        {"inject",
         {{"amplitudes", amplitudes(inj.amplitudes)},
          {"duration_hours", real(inj.duration_hours, kPositive)},
          {"radius_km", real(inj.radius_km, kRadiusKmRange)},
          {"sign", sign(inj.sign)},
          {"per_amplitude", whole(inj.per_amplitude, kInjections)},
          {"seed", seed(inj.seed)}}},
        {"scan",
         {{"models", models(s.models)},
          {"device", device(s.device)},
          {"threads", whole(s.threads, kThreads)}}},
    };

    for (auto&& [section_key, section_node] : root) {
      const std::string name(section_key.str());
      const char* sections_list =
          "[model], [train], [detect], [quiet], [significance], [inject], [scan]";
      const toml::table* table = section_node.as_table();
      if (!table)
        fail(&section_node, name, std::string("a key outside the sections ") + sections_list);
      auto sec = sections.find(name);
      if (sec == sections.end())
        fail(&section_node, name, std::string("unknown section (expected ") + sections_list + ")");
      for (auto&& [key, value] : *table) {
        const std::string full = name + "." + std::string(key.str());
        auto setter = sec->second.find(std::string(key.str()));
        if (setter == sec->second.end()) {
          std::string valid;
          for (const auto& [k, unused] : sec->second) valid += (valid.empty() ? "" : ", ") + k;
          fail(&value, full, "unknown key (valid keys of [" + name + "]: " + valid + ")");
        }
        setter->second(value, full);
      }
    }
    check_consistency(root, c);
  }

 private:
  using Setter = std::function<void(const toml::node&, const std::string&)>;

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
  [[noreturn]] void fail_range(const toml::node& v, const std::string& key, const NumberRange& r,
                               const std::string& note = "") const {
    fail(&v, key, "expected " + r.describe() + note + ", got " + found(v));
  }
  Setter whole(int& dst, NumberRange r) const {
    return [this, &dst, r](const toml::node& v, const std::string& k) {
      auto x = v.value_exact<int64_t>();
      if (!x || !r.contains(static_cast<double>(*x))) fail_range(v, k, r);
      dst = static_cast<int>(*x);
    };
  }
  Setter seed(uint64_t& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      auto x = v.value_exact<int64_t>();
      if (!x || !kSeed.contains(static_cast<double>(*x))) fail_range(v, k, kSeed);
      dst = static_cast<uint64_t>(*x);
    };
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
  Setter real(double& dst, NumberRange r, std::string note = "") const {
    return [=, &dst](const toml::node& v, const std::string& k) { dst = number(v, k, r, note); };
  }
  Setter real32(float& dst, NumberRange r) const {
    return [=, &dst](const toml::node& v, const std::string& k) {
      dst = static_cast<float>(number(v, k, r));
    };
  }
  Setter boolean(bool& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      auto x = v.value_exact<bool>();
      if (!x) fail(&v, k, "expected true or false");
      dst = *x;
    };
  }
  std::string text(const toml::node& v, const std::string& key, const char* what) const {
    auto x = v.value_exact<std::string>();
    if (!x) fail(&v, key, std::string("expected ") + what);
    return *x;
  }
  Setter activation(Activation& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      std::string name = text(v, k, "an activation name (\"relu\", \"tanh\", \"sigmoid\")");
      try {
        dst = parse_activation(name);
      } catch (const InputError& e) {
        fail(&v, k, e.what());
      }
    };
  }
  Setter scope(DtecScope& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      std::string name = text(v, k, "\"series\" or \"utc-hour\"");
      if (name == "series") {
        dst = DtecScope::kWholeSeries;
      } else if (name == "utc-hour") {
        dst = DtecScope::kPerUtcHour;
      } else {
        fail(&v, k, "expected \"series\" or \"utc-hour\", got \"" + name + "\"");
      }
    };
  }
  Setter stats_from(StatsFrom& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      const char* what = "\"pre-event\", \"controls\" or \"all\"";
      std::string name = text(v, k, what);
      for (StatsFrom s : {StatsFrom::kPreEvent, StatsFrom::kControls, StatsFrom::kAll})
        if (name == stats_from_name(s)) {
          dst = s;
          return;
        }
      fail(&v, k, std::string("expected ") + what + ", got \"" + name + "\"");
    };
  }
  Setter sign(std::string& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      const char* what = "\"positive\", \"negative\" or \"both\"";
      std::string name = text(v, k, what);
      if (name != "positive" && name != "negative" && name != "both")
        fail(&v, k, std::string("expected ") + what + ", got \"" + name + "\"");
      dst = name;
    };
  }
  // Injection amplitudes: fractions of the local TEC, e.g. [0.05, 0.1, 0.2].
  Setter amplitudes(std::vector<double>& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      const std::string note = " (a fraction of the local TEC) in a list, e.g. [0.1, 0.2]";
      const toml::array* a = v.as_array();
      if (!a || a->empty()) fail_range(v, k, kAmplitude, note);
      std::vector<double> out;
      for (const toml::node& item : *a) out.push_back(number(item, k, kAmplitude, note));
      std::sort(out.begin(), out.end());
      for (size_t i = 1; i < out.size(); ++i)
        if (out[i] == out[i - 1])
          fail(&v, k, "amplitude " + toml_float(out[i]) + " is listed twice");
      dst = out;
    };
  }
  // A string that must be one of two names; dst = (value == if_true).
  Setter choice(bool& dst, const char* if_true, const char* if_false) const {
    return [=, &dst](const toml::node& v, const std::string& k) {
      std::string expected = std::string("\"") + if_true + "\" or \"" + if_false + "\"";
      std::string name = text(v, k, expected.c_str());
      if (name != if_true && name != if_false)
        fail(&v, k, "expected " + expected + ", got \"" + name + "\"");
      dst = name == if_true;
    };
  }
  Setter device(std::string& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      std::string name = text(v, k, "\"auto\", \"cpu\" or \"cuda\"");
      if (name == "gpu") name = "cuda";  // accepted alias
      for (const char* d : kDevices)
        if (name == d) {
          dst = name;
          return;
        }
      fail(&v, k, "expected \"auto\", \"cpu\" or \"cuda\", got \"" + name + "\"");
    };
  }
  // A TOML array of names, or one string "mlp,cnn" (handy on the command line).
  Setter models(std::vector<std::string>& dst) const {
    return [this, &dst](const toml::node& v, const std::string& k) {
      const char* what = "a list of model names, e.g. [\"mlp\", \"cnn\", \"median-iqr\"]";
      std::vector<std::string> names;
      if (const toml::array* a = v.as_array()) {
        for (const toml::node& item : *a) names.push_back(text(item, k, what));
      } else {
        std::stringstream ss(text(v, k, what));
        for (std::string name; std::getline(ss, name, ',');) {
          name.erase(0, name.find_first_not_of(" \t"));
          name.erase(name.find_last_not_of(" \t") + 1);
          names.push_back(name);
        }
      }
      if (names.empty()) fail(&v, k, std::string("expected ") + what + ", got an empty list");
      for (size_t i = 0; i < names.size(); ++i) {
        for (size_t j = 0; j < i; ++j)
          if (names[j] == names[i]) fail(&v, k, "\"" + names[i] + "\" is listed twice");
        if (names[i] == kMedianIqrName || names[i] == kArName) continue;
        try {
          parse_model(names[i]);
        } catch (const InputError&) {
          fail(&v, k,
               "unknown model \"" + names[i] +
                   "\" (valid: mlp, cnn, rnn, gru, lstm, cnn-lstm, median-iqr, ar)");
        }
      }
      dst = names;
    };
  }

  // Rules that involve several keys; reported at the line of the later key when it is present.
  void check_consistency(const toml::table& root, const ScanConfig& c) const {
    auto node = [&](const char* section, const char* key) -> const toml::node* {
      return root.at_path(std::string(section) + "." + key).node();
    };
    if (c.detect.median_iqr_min_history > c.detect.median_iqr_days) {
      const toml::node* n = node("detect", "median_iqr_min_history");
      fail(n ? n : node("detect", "median_iqr_days"), "detect.median_iqr_min_history",
           "must be <= detect.median_iqr_days (" + std::to_string(c.detect.median_iqr_days) + ")");
    }
    if (!(c.quiet.dst_min < c.quiet.dst_max)) {
      const toml::node* n = node("quiet", "dst_max");
      fail(n ? n : node("quiet", "dst_min"), "quiet.dst_min", "must be < quiet.dst_max");
    }
    // Architectures that cannot be built (e.g. a CNN whose pooling leaves no step): say so now,
    // not after an hour of training the models listed before it.
    for (ModelKind k : neural_models(c)) {
      try {
        parameter_count(k, c.model);
      } catch (const InputError& e) {
        fail(node("model", "window"), "[model]", e.what());
      }
    }
  }

  std::string source_;
  bool lines_;
};

toml::table parse_toml(const std::string& text, const std::string& name, bool with_lines) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    long line = with_lines ? static_cast<long>(e.source().begin.line) : 0;
    throw InputError(name, line, "invalid TOML: " + std::string(e.description()));
  }
}

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
  c.scan.models = {"mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm", kMedianIqrName};
  return c;
}

ScanConfig parse_config(const std::string& toml_text, const std::string& name,
                        const ScanConfig& base) {
  toml::table root = parse_toml(toml_text, name, true);
  ScanConfig c = base;
  Reader(name, true).apply(root, c);
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
  Reader(source, false).apply(root, c);
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
  const ModelConfig& m = c.model;
  const TrainConfig& t = c.train;
  std::ostringstream o;
  o << "# tecscan " << TECSCAN_VERSION << ": the effective configuration of this run.\n"
    << "# Repeat the run into a new directory (its inputs are listed in summary.json):\n"
    << "#   tecscan scan --config config.used.toml --cube CUBE.h5 --out NEW_RUN_DIR\n\n";
  o << "[model]\n"
    << "window = " << m.window << "\n"
    << "mlp_hidden = " << m.mlp_hidden << "\n"
    << "cnn_filters = " << m.cnn_filters << "\n"
    << "cnn_kernel = " << m.cnn_kernel << "\n"
    << "cnn_pool = " << m.cnn_pool << "\n"
    << "rnn_units = " << m.rnn_units << "\n"
    << "gru_units = " << m.gru_units << "\n"
    << "gru_reset_after = " << (m.gru_reset_after ? "true" : "false") << "\n"
    << "lstm_units = " << m.lstm_units << "\n"
    << "lstm_dense = " << m.lstm_dense << "\n"
    << "lstm_activation = " << toml_string(activation_name(m.lstm_activation)) << "\n"
    << "cnnlstm_subseq = " << m.cnnlstm_subseq << "\n"
    << "cnnlstm_units = " << m.cnnlstm_units << "\n"
    << "cnnlstm_activation = " << toml_string(activation_name(m.cnnlstm_activation)) << "\n\n";
  o << "[train]\n"
    << "epochs = " << t.epochs << "\n"
    << "batch = " << t.batch << "\n"
    << "train_fraction = " << toml_float(t.train_fraction) << "\n"
    << "learning_rate = " << toml_float(t.adam.lr) << "\n"
    << "beta1 = " << toml_float(t.adam.beta1) << "\n"
    << "beta2 = " << toml_float(t.adam.beta2) << "\n"
    << "epsilon = " << toml_float(t.adam.eps) << "\n"
    << "seed = " << t.seed << "\n"
    << "validation = " << toml_string(c.validation.kfold ? "kfold" : "split") << "\n"
    << "folds = " << c.validation.folds << "\n"
    << "patience = " << t.patience << "\n"
    << "validation_fraction = " << toml_float(t.validation_fraction) << "\n\n";
  o << "[detect]\n"
    << "threshold = " << toml_float(c.detect.threshold) << "\n"
    << "false_alarm_rate = " << toml_float(c.detect.false_alarm_rate) << "\n"
    << "scope = " << toml_string(dtec_scope_name(c.detect.scope)) << "\n"
    << "stats_from = " << toml_string(stats_from_name(c.detect.stats_from)) << "\n"
    << "median_iqr_days = " << c.detect.median_iqr_days << "\n"
    << "median_iqr_min_history = " << c.detect.median_iqr_min_history << "\n\n";
  o << "[quiet]\n"
    << "kp_max = " << toml_float(c.quiet.kp_max) << "\n"
    << "ap_max = " << toml_float(c.quiet.ap_max) << "\n"
    << "dst_min = " << toml_float(c.quiet.dst_min) << "\n"
    << "dst_max = " << toml_float(c.quiet.dst_max) << "\n"
    << "f107_max = " << toml_float(c.quiet.f107_max) << "\n"
    << "f107 = " << toml_string(c.quiet.f107_observed ? "observed" : "adjusted") << "\n"
    << "missing = " << toml_string(c.quiet.ignore_missing ? "ignore" : "not-quiet") << "\n\n";
  const SignificanceConfig& g = c.significance;
  o << "[significance]\n"
    << "window_days = " << toml_float(g.window_days) << "\n"
    << "control_step_days = " << toml_float(g.control_step_days) << "\n"
    << "consensus_min = " << g.consensus_min << "\n\n";
  const InjectConfig& inj = c.inject;
  o << "[inject]\namplitudes = [";
  for (size_t i = 0; i < inj.amplitudes.size(); ++i)
    o << (i ? ", " : "") << toml_float(inj.amplitudes[i]);
  o << "]\n"
    << "duration_hours = " << toml_float(inj.duration_hours) << "\n"
    << "radius_km = " << toml_float(inj.radius_km) << "\n"
    << "sign = " << toml_string(inj.sign) << "\n"
    << "per_amplitude = " << inj.per_amplitude << "\n"
    << "seed = " << inj.seed << "\n\n";
  o << "[scan]\nmodels = [";
  for (size_t i = 0; i < c.scan.models.size(); ++i)
    o << (i ? ", " : "") << toml_string(c.scan.models[i]);
  o << "]\n"
    << "device = " << toml_string(c.scan.device) << "\n"
    << "threads = " << c.scan.threads << "\n";
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

bool operator==(const ScanConfig& a, const ScanConfig& b) {
  const ModelConfig &m = a.model, &n = b.model;
  const TrainConfig &t = a.train, &u = b.train;
  return m.window == n.window && m.mlp_hidden == n.mlp_hidden && m.cnn_filters == n.cnn_filters &&
         m.cnn_kernel == n.cnn_kernel && m.cnn_pool == n.cnn_pool && m.rnn_units == n.rnn_units &&
         m.gru_units == n.gru_units && m.gru_reset_after == n.gru_reset_after &&
         m.lstm_units == n.lstm_units && m.lstm_dense == n.lstm_dense &&
         m.lstm_activation == n.lstm_activation && m.cnnlstm_subseq == n.cnnlstm_subseq &&
         m.cnnlstm_units == n.cnnlstm_units && m.cnnlstm_activation == n.cnnlstm_activation &&
         t.epochs == u.epochs && t.batch == u.batch && t.train_fraction == u.train_fraction &&
         t.adam.lr == u.adam.lr && t.adam.beta1 == u.adam.beta1 && t.adam.beta2 == u.adam.beta2 &&
         t.adam.eps == u.adam.eps && t.seed == u.seed && t.patience == u.patience &&
         t.validation_fraction == u.validation_fraction &&
         a.validation.kfold == b.validation.kfold && a.validation.folds == b.validation.folds &&
         a.detect.threshold == b.detect.threshold &&
         a.detect.false_alarm_rate == b.detect.false_alarm_rate &&
         a.detect.stats_from == b.detect.stats_from &&
         a.significance.window_days == b.significance.window_days &&
         a.significance.control_step_days == b.significance.control_step_days &&
         a.significance.consensus_min == b.significance.consensus_min &&
         a.inject.amplitudes == b.inject.amplitudes &&
         a.inject.duration_hours == b.inject.duration_hours &&
         a.inject.radius_km == b.inject.radius_km && a.inject.sign == b.inject.sign &&
         a.inject.per_amplitude == b.inject.per_amplitude && a.inject.seed == b.inject.seed &&
         a.detect.scope == b.detect.scope && a.detect.median_iqr_days == b.detect.median_iqr_days &&
         a.detect.median_iqr_min_history == b.detect.median_iqr_min_history &&
         a.quiet.kp_max == b.quiet.kp_max && a.quiet.ap_max == b.quiet.ap_max &&
         a.quiet.dst_min == b.quiet.dst_min && a.quiet.dst_max == b.quiet.dst_max &&
         a.quiet.f107_max == b.quiet.f107_max && a.quiet.f107_observed == b.quiet.f107_observed &&
         a.quiet.ignore_missing == b.quiet.ignore_missing && a.scan.models == b.scan.models &&
         a.scan.device == b.scan.device && a.scan.threads == b.scan.threads;
}

}  // namespace tecscan
