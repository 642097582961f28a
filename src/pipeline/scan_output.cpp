// The run directory: scan.h5, anomalies.csv, config.used.toml and summary.json (written last).
// docs/outputs.md is the user's description of every field written here.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/sha256.hpp"

namespace tecscan {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kNodeCoords = "node_lat node_lon";
const float kFloatFill = std::numeric_limits<float>::quiet_NaN();

// Checksums of the input files, so a run can be traced to its data.
Json input_checksum(const std::string& path) {
  uint64_t bytes = 0;
  std::string hex = sha256_file(path, &bytes);
  return Json{{"path", path}, {"bytes", bytes}, {"sha256", hex}};
}

// ---- small formatting helpers ------------------------------------------------------------------

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "35", "37.5", "0.25": fixed decimals without trailing zeros.
std::string trimmed(double v, int decimals) {
  std::string s = fixed(v, decimals);
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

double event_time_s(const Event& e) {
  return static_cast<double>(e.time) + e.time_frac;
}

double hour_of_day(TimeS t) {
  TimeS s = t % kDay;
  if (s < 0) s += kDay;
  return static_cast<double>(s) / 3600.0;
}

// Mean solar local time: UTC + longitude / 15 h, folded into [0, 24).
double local_time_h(TimeS t, double lon) {
  double h = std::fmod(hour_of_day(t) + lon / 15.0, 24.0);
  return h < 0 ? h + 24.0 : h;
}

// ---- scan.h5 -----------------------------------------------------------------------------------

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

// A [node, time] variable with its dimension scales.
template <typename T>
void write_node_time(H5File& f, const std::string& name, const std::vector<T>& data, size_t nn,
                     size_t nt, H5Attrs attrs) {
  attrs.emplace_back("coordinates", kNodeCoords);
  f.write(name, data, {nn, nt}, attrs);
  f.attach_scale(name, 0, "node");
  f.attach_scale(name, 1, "time");
}

void write_root_attributes(H5File& f, const Cube& cube, const ScanConfig& config) {
  write_event_attributes(f, cube, "tecscan anomaly scan");
  f.set_attr("/", "detectors", join_lines(config.scan.models));
  f.set_attr("/", "config", config_to_toml(config));
}

void write_detector(H5File& f, const DetectorResult& d, size_t nn, size_t nt,
                    const ScanConfig& config, bool& epoch_scale_made) {
  const std::string& m = d.name;
  const std::string what = d.neural       ? "predicted by the " + m + " network"
                           : m == kArName ? "predicted by the per-node least-squares AR(" +
                                                std::to_string(config.model.window) + ") model"
                                          : "median of the previous days at the same UTC time";
  write_node_time(
      f, "predicted/" + m, d.predicted, nn, nt,
      {{"units", "TECU"}, {"long_name", "vertical TEC " + what}, {"_FillValue", kFloatFill}});
  write_node_time(f, "delta_tec/" + m, d.delta, nn, nt,
                  {{"units", "TECU"},
                   {"long_name", "observed minus predicted TEC (" + m + ")"},
                   {"_FillValue", kFloatFill}});
  write_node_time(f, "dtec/" + m, d.dtec, nn, nt,
                  {{"units", "1"},
                   {"long_name", "DTEC = (dTEC - median) / IQR (" + m + ")"},
                   {"_FillValue", kFloatFill},
                   {"threshold", d.threshold},
                   {"threshold_source", d.threshold_source}});
  {
    std::vector<double> hours = d.hour_threshold;
    hours.resize(24, d.threshold);
    f.write("thresholds/" + m, hours, {24},
            {{"units", "1"},
             {"long_name", "|DTEC| threshold at each UTC hour of day (" + m + ")"},
             {"source", d.threshold_source}});
  }
  write_node_time(f, "anomaly/" + m, d.anomaly, nn, nt,
                  {{"units", "1"},
                   {"long_name", "anomaly: |DTEC| > threshold under quiet conditions (" + m + ")"},
                   {"threshold", d.threshold},
                   {"comment", "1 = anomaly, 0 = none"}});

  const std::string stats = "stats/" + m + "/";
  if (m != kMedianIqrName) {
    const std::vector<size_t> dims{nn, d.ngroup};
    const std::string scope = dtec_scope_name(config.detect.scope);
    f.write(
        stats + "median", d.stat_median, dims,
        {{"units", "TECU"}, {"long_name", "median of dTEC per node and group"}, {"scope", scope}});
    f.write(stats + "iqr", d.stat_iqr, dims,
            {{"units", "TECU"},
             {"long_name", "interquartile range of dTEC per node and group"},
             {"scope", scope}});
    for (const char* s : {"median", "iqr"}) {
      f.attach_scale(stats + s, 0, "node");
      f.attach_scale(stats + s, 1, "dtec_group");
    }
    if (!d.neural) return;
    const std::string tr = "training/" + m + "/";
    const bool kfold = config.validation.kfold;
    f.write(tr + "train_rmse", d.train_rmse, {nn},
            {{"units", "TECU"},
             {"long_name", std::string(kfold ? "RMSE on the epochs each fold trained on ("
                                             : "RMSE on the training part (") +
                               m + ")"}});
    f.write(tr + "test_rmse", d.test_rmse, {nn},
            {{"units", "TECU"},
             {"long_name", std::string(kfold ? "RMSE of the out-of-sample predictions ("
                                             : "RMSE on the test part (") +
                               m + ")"}});
    f.attach_scale(tr + "train_rmse", 0, "node");
    f.attach_scale(tr + "test_rmse", 0, "node");
    f.write(tr + "epoch_loss", d.epoch_loss, {nn, d.nepoch},
            {{"units", "1"}, {"long_name", "mean training MSE per epoch, normalised units"}});
    f.attach_scale(tr + "epoch_loss", 0, "node");
    if (!epoch_scale_made) {
      std::vector<int32_t> epochs(d.nepoch);
      for (size_t e = 0; e < d.nepoch; ++e) epochs[e] = static_cast<int32_t>(e + 1);
      f.write("training_epoch", epochs, {d.nepoch}, {{"long_name", "training epoch (1-based)"}});
      f.make_scale("training_epoch", "training_epoch");
      epoch_scale_made = true;
    }
    if (f.dims("training_epoch")[0] == d.nepoch)
      f.attach_scale(tr + "epoch_loss", 1, "training_epoch");
  } else {
    write_node_time(
        f, stats + "median", d.stat_median, nn, nt,
        {{"units", "TECU"}, {"long_name", "median of the previous days' TEC at this UTC time"}});
    write_node_time(
        f, stats + "iqr", d.stat_iqr, nn, nt,
        {{"units", "TECU"},
         {"long_name", "interquartile range of the previous days' TEC at this UTC time"}});
  }
}

void write_significance(H5File& f, const ScanResult& r) {
  f.create_group("significance");
  f.set_attr("significance", "window_days", r.layout.window_days);
  f.set_attr("significance", "control_step_days", r.layout.control_step_days);
  f.set_attr("significance", "event_time", format_iso(r.layout.event_time));
  f.set_attr("significance", "null", r.null_description);
  f.set_attr("significance", "consensus_min", r.consensus_min);
  const size_t nday = r.significance_days.size();
  f.write("significance/day", r.significance_days, {nday},
          {{"units", "days"},
           {"long_name", "day bin d: days_to_event in [d, d + 1), relative to the event time"}});
  for (const Significance& s : r.significance) {
    const std::string g = "significance/" + s.name + "/";
    f.write(g + "daily_rate", s.daily_rate, {nday},
            {{"units", "1"},
             {"long_name", "anomalies / valid (quiet, finite DTEC) node-epochs per day bin"},
             {"_FillValue", std::numeric_limits<double>::quiet_NaN()}});
    f.write(g + "daily_valid", s.daily_valid, {nday},
            {{"units", "1"}, {"long_name", "valid node-epochs per day bin"}});
    f.write(g + "control_rates", s.control_rates, {s.control_rates.size()},
            {{"units", "1"}, {"long_name", "anomaly rate of each control window"}});
    f.write(g + "control_end_day", s.control_end_day, {s.control_end_day.size()},
            {{"units", "days"}, {"long_name", "end of each control window, days to the event"}});
    const std::string grp = "significance/" + s.name;
    f.set_attr(grp, "window_rate", s.window_rate);
    f.set_attr(grp, "window_anomalies", static_cast<int64_t>(s.window_anomalies));
    f.set_attr(grp, "window_valid", static_cast<int64_t>(s.window_valid));
    f.set_attr(grp, "control_mean", s.control_mean);
    f.set_attr(grp, "control_sd", s.control_sd);
    f.set_attr(grp, "control_p05", s.control_p05);
    f.set_attr(grp, "control_p50", s.control_p50);
    f.set_attr(grp, "control_p95", s.control_p95);
    f.set_attr(grp, "p_value", s.p_value);
    f.set_attr(grp, "z", s.z);
    f.set_attr(grp, "rate_ratio", s.rate_ratio);
    f.set_attr(grp, "n_controls", static_cast<int64_t>(s.control_rates.size()));
    f.set_attr(grp, "threshold", s.threshold);
    f.set_attr(grp, "threshold_source", s.threshold_source);
    f.set_attr(grp, "daily_control_p05", s.daily_control_p05);
    f.set_attr(grp, "daily_control_p95", s.daily_control_p95);
  }
}

void write_injection(H5File& f, const ScanResult& r) {
  std::vector<std::string> names;
  std::vector<double> amplitudes;
  for (const SensitivityRow& row : r.sensitivity) {
    if (std::find(names.begin(), names.end(), row.detector) == names.end())
      names.push_back(row.detector);
    if (std::find(amplitudes.begin(), amplitudes.end(), row.amplitude) == amplitudes.end())
      amplitudes.push_back(row.amplitude);
  }
  const size_t nd = names.size(), na = amplitudes.size();
  std::vector<double> recall(nd * na, std::nan("")), far(nd * na, std::nan(""));
  std::vector<int64_t> injections(na, 0);
  for (const SensitivityRow& row : r.sensitivity) {
    const size_t i = std::find(names.begin(), names.end(), row.detector) - names.begin();
    const size_t a =
        std::find(amplitudes.begin(), amplitudes.end(), row.amplitude) - amplitudes.begin();
    recall[i * na + a] = row.recall;
    far[i * na + a] = row.false_alarm_rate;
    injections[a] = static_cast<int64_t>(row.injections);
  }
  f.write_string_list("injection/detectors", names);
  f.write("injection/amplitude", amplitudes, {na},
          {{"units", "1"}, {"long_name", "injected amplitude, fraction of the local TEC"}});
  f.write("injection/injections", injections, {na}, {{"long_name", "injections per amplitude"}});
  f.write("injection/recall", recall, {nd, na},
          {{"units", "1"}, {"long_name", "fraction of injections with an anomaly in their box"}});
  f.write("injection/false_alarm_rate", far, {nd, na},
          {{"units", "1"},
           {"long_name", "fraction of the same boxes with an anomaly in the clean run"}});
}

void write_scan_h5(const std::string& path, const Cube& cube, const ScanConfig& config,
                   const ScanResult& r) {
  const size_t nn = r.nnode, nt = r.ntime;
  H5File f = H5File::create(path);
  write_cube_coordinates(f, cube);
  // The DTEC statistics' group axis: 0 for the whole series, else the UTC hour of day.
  const size_t ngroup = config.detect.scope == DtecScope::kPerUtcHour ? 24 : 1;
  std::vector<int32_t> groups(ngroup);
  for (size_t g = 0; g < ngroup; ++g) groups[g] = static_cast<int32_t>(g);
  f.write("dtec_group", groups, {ngroup},
          {{"long_name", "DTEC statistics group: UTC hour of day (utc-hour scope) or 0 (series)"}});
  f.make_scale("dtec_group", "dtec_group");

  write_node_time(
      f, "observed", cube.tec, nn, nt,
      {{"units", "TECU"}, {"long_name", "observed vertical TEC"}, {"_FillValue", kFloatFill}});
  bool epoch_scale_made = false;
  for (const DetectorResult& d : r.detectors)
    write_detector(f, d, nn, nt, config, epoch_scale_made);

  f.write("quiet", r.quiet.quiet, {nt},
          {{"units", "1"},
           {"long_name", "quiet solar-geomagnetic conditions (every criterion present and quiet)"},
           {"comment", "1 = quiet, 0 = not quiet or an index missing"}});
  f.write("quiet_missing", r.quiet.missing, {nt},
          {{"units", "1"},
           {"long_name", "bit mask of the quiet criteria without data"},
           {"comment", "bit 0 (1) Kp, bit 1 (2) daily Ap, bit 2 (4) Dst, bit 3 (8) F10.7"}});
  f.attach_scale("quiet", 0, "time");
  f.attach_scale("quiet_missing", 0, "time");
  write_node_time(f, "consensus", r.consensus, nn, nt,
                  {{"units", "1"}, {"long_name", "number of detectors flagging an anomaly"}});

  write_significance(f, r);
  if (!r.sensitivity.empty()) write_injection(f, r);
  write_cube_indices(f, cube);
  write_root_attributes(f, cube, config);
  f.commit();
}

// ---- anomalies.csv -----------------------------------------------------------------------------

constexpr const char* kCsvHeader =
    "event_id,model,node_lat,node_lon,distance_km,time_utc,days_to_event,hour_utc,local_time_h,"
    "dtec,delta_tec,observed_tec,predicted_tec,quiet,threshold\n";

// "%.*f" of v appended to out: std::to_chars, which the standard defines as printf's "%.*f"
// (the same digits), without printf's per-call cost; snprintf for what is not finite.
void append_fixed(std::string& out, double v, int decimals) {
  char buf[64];
  if (!std::isfinite(v)) {
    out += fixed(v, decimals);
    return;
  }
  const std::to_chars_result r =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  out.append(buf, r.ptr);
}

// One row per exceedance (|DTEC| > the detector's threshold), quiet or not. Rows can number
// hundreds of thousands (the paper-size event with the paper's method: 195,000, 25 MB), so
// what is the same for every row of a node or an epoch is formatted once, and the rest is
// appended to one buffer (the text is the same as formatting every field of every row).
std::string anomalies_csv(const Cube& cube, const ScanResult& r) {
  const size_t nn = r.nnode, nt = r.ntime;
  const std::string event = csv_field(cube.event.id);
  const double event_s = event_time_s(cube.event);
  std::vector<std::string> node_part(nn), time_part(nt);  // ",lat,lon,distance" / ",iso,d,h"
  for (size_t n = 0; n < nn; ++n)
    node_part[n] = "," + trimmed(cube.node_lat[n], 4) + "," + trimmed(cube.node_lon[n], 4) + "," +
                   fixed(cube.node_distance_km[n], 1);
  for (size_t t = 0; t < nt; ++t) {
    const TimeS when = cube.time[t];
    time_part[t] = "," + format_iso(when) + "," +
                   fixed((static_cast<double>(when) - event_s) / kDay, 4) + "," +
                   trimmed(hour_of_day(when), 4);
  }
  std::string out = kCsvHeader;
  for (const DetectorResult& d : r.detectors) {
    const std::string prefix = event + "," + d.name;
    double last_threshold = std::numeric_limits<double>::quiet_NaN();
    std::string threshold_text;
    for (size_t n = 0; n < nn; ++n)
      for (size_t t = 0; t < nt; ++t) {
        const size_t i = n * nt + t;
        const double threshold = d.threshold_at(cube.time[t]);
        if (!(std::fabs(d.dtec[i]) > threshold)) continue;
        if (!(threshold == last_threshold)) {  // per hour at most: format it on change
          last_threshold = threshold;
          threshold_text = trimmed(threshold, 4);
        }
        out += prefix;
        out += node_part[n];
        out += time_part[t];
        out += ',';
        out += trimmed(local_time_h(cube.time[t], cube.node_lon[n]), 4);
        for (double v :
             {double(d.dtec[i]), double(d.delta[i]), double(cube.tec[i]), double(d.predicted[i])}) {
          out += ',';
          append_fixed(out, v, 4);
        }
        out += r.quiet.quiet[t] ? ",1," : ",0,";
        out += threshold_text;
        out += '\n';
      }
  }
  return out;
}

// ---- sensitivity.csv ---------------------------------------------------------------------------

std::string sensitivity_csv(const std::vector<SensitivityRow>& rows) {
  std::string out = "detector,amplitude,injections,recall,false_alarm_rate,threshold\n";
  auto number = [](double v, int decimals) {
    return std::isfinite(v) ? trimmed(v, decimals) : std::string();
  };
  for (const SensitivityRow& r : rows)
    out += r.detector + "," + number(r.amplitude, 6) + "," + std::to_string(r.injections) + "," +
           number(r.recall, 4) + "," + number(r.false_alarm_rate, 4) + "," +
           number(r.threshold, 4) + "\n";
  return out;
}

// ---- summary.json ------------------------------------------------------------------------------

Json toml_to_json(const toml::node& node) {
  if (const toml::table* t = node.as_table()) {
    Json j = Json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = toml_to_json(v);
    return j;
  }
  if (const toml::array* a = node.as_array()) {
    Json j = Json::array();
    for (const toml::node& v : *a) j.push_back(toml_to_json(v));
    return j;
  }
  if (auto v = node.value_exact<int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;  // inf becomes null in JSON
  if (auto v = node.value_exact<bool>()) return *v;
  if (auto v = node.value_exact<std::string>()) return *v;
  return nullptr;
}

// [model] ... [scan] in file order (toml++ tables are sorted, the TOML text is not).
Json config_json(const ScanConfig& config) {
  const toml::table t = toml::parse(config_to_toml(config));
  Json j = Json::object();
  for (const char* section :
       {"model", "train", "detect", "quiet", "significance", "inject", "scan"})
    j[section] = toml_to_json(*t.get(section));
  return j;
}

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

Json anomaly_json(const AnomalyPoint& p, const Cube& cube) {
  if (!p.found) return nullptr;
  const TimeS when = cube.time[p.time];
  return Json{{"time", format_iso(when)},
              {"days_to_event", (static_cast<double>(when) - event_time_s(cube.event)) / kDay},
              {"node", p.node},
              {"node_lat", cube.node_lat[p.node]},
              {"node_lon", cube.node_lon[p.node]},
              {"distance_km", cube.node_distance_km[p.node]},
              {"dtec", p.dtec},
              {"abs_dtec", std::fabs(p.dtec)}};
}

std::string summary_json(const Cube& cube, const ScanConfig& config, const ScanSummary& s,
                         const Json& inputs) {
  const Event& e = cube.event;
  Json j;
  j["tecscan_version"] = TECSCAN_VERSION;
  j["event"] = {{"id", e.id},
                {"time", event_time_text(e)},
                {"lat", e.lat},
                {"lon", e.lon},
                {"magnitude", number_or_null(e.mag)},
                {"mag_type", e.mag_type},
                {"depth_km", number_or_null(e.depth_km)},
                {"place", e.place}};
  j["cube"] = {{"nodes", cube.nnode()},
               {"epochs", cube.ntime()},
               {"start", format_iso(cube.time.front())},
               {"end", format_iso(cube.time.back())},
               {"step_s", cube.ntime() > 1 ? cube.time[1] - cube.time[0] : 0},
               {"radius_km", cube.radius_km},
               {"missing_epochs", cube.missing_epochs},
               {"sources", cube.sources}};
  j["inputs"] = inputs;
  j["checksum"] = "sha256";
  j["config"] = config_json(config);
  Json timing = Json::object();
  for (const auto& [stage, seconds] : s.timing) timing[stage] = seconds;
  j["timing_s"] = timing;
  Json devices = Json::object();
  for (const DetectorSummary& d : s.detectors) devices[d.name] = d.device;
  j["devices"] = devices;
  j["quiet_epochs"] = s.quiet_epochs;
  j["max_consensus"] = s.max_consensus;
  Json models = Json::object();
  for (const DetectorSummary& d : s.detectors)
    models[d.name] = {{"device", d.device},
                      {"anomalies", d.anomalies},
                      {"flagged_storm", d.flagged_storm},
                      {"first_anomaly", anomaly_json(d.first, cube)},
                      {"strongest_anomaly", anomaly_json(d.strongest, cube)},
                      {"median_train_rmse_tecu", number_or_null(d.median_train_rmse)},
                      {"median_test_rmse_tecu", number_or_null(d.median_test_rmse)},
                      {"seconds", d.seconds}};
  j["models"] = models;
  Json detectors = Json::array();
  for (const Significance& g : s.significance)
    detectors.push_back({{"name", g.name},
                         {"threshold", number_or_null(g.threshold)},
                         {"threshold_source", g.threshold_source},
                         {"window_rate", number_or_null(g.window_rate)},
                         {"window_anomalies", g.window_anomalies},
                         {"window_valid", g.window_valid},
                         {"control_mean", number_or_null(g.control_mean)},
                         {"control_p05", number_or_null(g.control_p05)},
                         {"control_p95", number_or_null(g.control_p95)},
                         {"p_value", number_or_null(g.p_value)},
                         {"z", number_or_null(g.z)},
                         {"rate_ratio", number_or_null(g.rate_ratio)},
                         {"n_controls", g.control_rates.size()}});
  j["significance"] = {
      {"window_days", s.layout.window_days}, {"window_start", format_iso(s.layout.window_begin())},
      {"null", s.null_description},          {"stats_from", s.stats_note},
      {"consensus_min", s.consensus_min},    {"detectors", detectors}};
  if (!s.sensitivity.empty()) {
    Json rows = Json::array();
    for (const SensitivityRow& r : s.sensitivity)
      rows.push_back({{"detector", r.detector},
                      {"amplitude", r.amplitude},
                      {"injections", r.injections},
                      {"recall", number_or_null(r.recall)},
                      {"false_alarm_rate", number_or_null(r.false_alarm_rate)},
                      {"threshold", number_or_null(r.threshold)}});
    j["sensitivity"] = rows;
  }
  j["notes"] = s.notes;
  Json outputs = {"scan.h5", "anomalies.csv", "config.used.toml"};
  if (!s.sensitivity.empty()) outputs.push_back("sensitivity.csv");
  outputs.push_back("summary.json");
  j["outputs"] = outputs;
  return j.dump(2) + "\n";
}

}  // namespace

void write_scan_outputs(const std::string& out_dir, const Cube& cube, const ScanConfig& config,
                        const ScanResult& result, ScanSummary& summary,
                        const ScanOptions& options) {
  namespace fs = std::filesystem;
  auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw InputError(
        out_dir, 0,
        "cannot create the output directory" + (ec ? ": " + ec.message() : std::string()));
  const fs::path dir(out_dir);
  // From here on the directory mixes old and new files until summary.json is written again.
  fs::remove(dir / "summary.json", ec);
  if (ec) throw InputError((dir / "summary.json").string(), 0, "cannot remove: " + ec.message());
  remove_stale_temp_files(out_dir);  // temp files of a killed run of this directory

  write_scan_h5((dir / "scan.h5").string(), cube, config, result);
  write_file_atomic((dir / "anomalies.csv").string(), anomalies_csv(cube, result));
  write_config((dir / "config.used.toml").string(), config);
  if (!result.sensitivity.empty())
    write_file_atomic((dir / "sensitivity.csv").string(), sensitivity_csv(result.sensitivity));
  Json inputs = Json::array();
  for (const std::string& path : options.input_files) inputs.push_back(input_checksum(path));

  summary.out_dir = out_dir;
  summary.timing.emplace_back(
      "write outputs",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  double total = 0;
  for (const auto& stage : summary.timing) total += stage.second;
  summary.timing.emplace_back("total", total);
  write_file_atomic((dir / "summary.json").string(), summary_json(cube, config, summary, inputs));
}

}  // namespace tecscan
