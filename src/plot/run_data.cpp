// Reads a run directory's scan.h5 back into the arrays the figures draw.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "plot_internal.hpp"
#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/h5file.hpp"

namespace tecscan::plot {

namespace fs = std::filesystem;

const DetectorArrays* RunData::find(const std::string& name) const {
  for (const auto& d : detectors)
    if (d.name == name) return &d;
  return nullptr;
}

std::string RunData::event_label() const {
  return std::isfinite(event_magnitude) ? event_id + " M" + fmt(event_magnitude, 1) : event_id;
}

size_t RunData::nearest_node(double lat, double lon) const {
  size_t best = 0;
  double best_km = std::numeric_limits<double>::infinity();
  for (size_t n = 0; n < nnode; ++n) {
    double km = great_circle_km(lat, lon, node_lat[n], node_lon[n]);
    if (km < best_km) best_km = km, best = n;
  }
  return best;
}

size_t SignificanceSeries::controls_at_or_above() const {
  size_t count = 0;
  for (double r : control_rates) count += r >= window_rate ? 1 : 0;
  return count;
}

namespace {

// /significance: every detector of the run and the consensus, each with the spec's datasets.
Significance load_significance(const H5File& f, const RunData& r) {
  Significance s;
  s.window_days = f.read_attr_double("significance", "window_days");
  s.control_step_days = f.read_attr_double("significance", "control_step_days");
  s.null = f.read_attr_string("significance", "null");
  // Capped at the number of detectors, as the scan applies it.
  s.consensus_min = static_cast<int>(std::min<int64_t>(
      f.read_attr_int("significance", "consensus_min"), static_cast<int64_t>(r.detectors.size())));
  s.day = f.read_int32("significance/day");
  std::vector<std::string> names;
  for (const auto& d : r.detectors) names.push_back(d.name);
  names.push_back(kConsensusName);
  for (const auto& name : names) {
    const std::string g = "significance/" + name;
    if (!f.has(g))
      throw InputError(r.scan_path, 0, "/significance has no group for detector '" + name + "'");
    SignificanceSeries m;
    m.name = name;
    m.daily_rate = f.read_double(g + "/daily_rate");
    m.daily_valid = f.read_int64(g + "/daily_valid");
    m.control_rates = f.read_double(g + "/control_rates");
    m.control_end_day = f.read_double(g + "/control_end_day");
    if (m.daily_rate.size() != s.day.size() || m.daily_valid.size() != s.day.size() ||
        m.control_end_day.size() != m.control_rates.size())
      throw InputError(r.scan_path, 0,
                       g + ": expected daily_rate and daily_valid of " +
                           std::to_string(s.day.size()) +
                           " days (as /significance/day) and one control_end_day per control");
    const std::pair<const char*, double*> numbers[] = {{"window_rate", &m.window_rate},
                                                       {"control_mean", &m.control_mean},
                                                       {"control_sd", &m.control_sd},
                                                       {"control_p05", &m.control_p05},
                                                       {"control_p50", &m.control_p50},
                                                       {"control_p95", &m.control_p95},
                                                       {"p_value", &m.p_value},
                                                       {"z", &m.z},
                                                       {"rate_ratio", &m.rate_ratio},
                                                       {"threshold", &m.threshold},
                                                       {"daily_control_p05", &m.daily_control_p05},
                                                       {"daily_control_p95", &m.daily_control_p95}};
    for (const auto& [key, value] : numbers) *value = f.read_attr_double(g, key);
    m.window_anomalies = f.read_attr_int(g, "window_anomalies");
    m.window_valid = f.read_attr_int(g, "window_valid");
    m.n_controls = f.read_attr_int(g, "n_controls");
    s.series.push_back(std::move(m));
  }
  return s;
}

// A number of a CSV field; an empty field is NaN where allowed (the scan writes NaN so: the
// consensus' threshold, the recall of an amplitude without injections).
double csv_number(const std::string& text, const std::string& path, long line,
                  const std::string& column, bool empty_is_nan) {
  if (text.empty() && empty_is_nan) return std::nan("");
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size())
    throw InputError(path, line, column + ": expected a number, got '" + text + "'");
  return v;
}

}  // namespace

std::vector<SensitivityCsvRow> load_sensitivity(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "cannot read the file");
  const std::string expected = "detector,amplitude,injections,recall,false_alarm_rate,threshold";
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != expected) throw InputError(path, 1, "expected the header '" + expected + "'");
  std::vector<SensitivityCsvRow> rows;
  long line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f(1);  // fields, empty ones kept
    for (char c : line)
      if (c == ',')
        f.emplace_back();
      else
        f.back() += c;
    if (f.size() != 6) throw InputError(path, line_no, "expected 6 comma-separated fields");
    SensitivityCsvRow r;
    r.detector = f[0];
    r.amplitude = csv_number(f[1], path, line_no, "amplitude", false);
    r.injections = static_cast<int64_t>(csv_number(f[2], path, line_no, "injections", false));
    r.recall = csv_number(f[3], path, line_no, "recall", true);
    r.false_alarm_rate = csv_number(f[4], path, line_no, "false_alarm_rate", true);
    r.threshold = csv_number(f[5], path, line_no, "threshold", true);
    rows.push_back(r);
  }
  return rows;
}

RunData load_run(const std::string& run_dir) {
  RunData r;
  r.dir = run_dir;
  r.scan_path = (fs::path(run_dir) / "scan.h5").string();
  if (!fs::is_regular_file(r.scan_path))
    throw InputError(r.scan_path, 0,
                     "no scan.h5 here: expected a run directory written by 'tecscan scan'");
  H5File f = H5File::open_read(r.scan_path);
  r.event_id = f.read_attr_string("/", "event_id");
  r.event_time_text = f.read_attr_string("/", "event_time");
  r.event_time = parse_iso_time(r.event_time_text, r.scan_path + ": event_time");
  r.event_lat = f.read_attr_double("/", "event_lat");
  r.event_lon = f.read_attr_double("/", "event_lon");
  r.radius_km = f.read_attr_double("/", "radius_km");
  if (f.has_attr("/", "event_magnitude"))
    r.event_magnitude = f.read_attr_double("/", "event_magnitude");
  if (f.has_attr("/", "event_place")) r.event_place = f.read_attr_string("/", "event_place");
  if (f.has_attr("/", "config"))
    r.config = parse_config(f.read_attr_string("/", "config"), r.scan_path + ": config");

  r.node_lat = f.read_double("node_lat");
  r.node_lon = f.read_double("node_lon");
  r.node_distance_km = f.read_double("node_distance_km");
  std::vector<double> hours = f.read_double("time");
  r.nnode = r.node_lat.size();
  r.ntime = hours.size();
  if (r.nnode == 0 || r.ntime == 0 || r.node_lon.size() != r.nnode)
    throw InputError(r.scan_path, 0, "expected at least one node and one epoch");
  for (double h : hours) {
    TimeS t = static_cast<TimeS>(std::llround(h * 3600.0));
    r.time.push_back(t);
    r.days.push_back(static_cast<double>(t - r.event_time) / 86400.0);
  }
  if (r.ntime > 1) r.step_hours = hours[1] - hours[0];

  const size_t cells = r.nnode * r.ntime;
  auto check = [&](const std::string& name, size_t got, size_t want) {
    if (got != want)
      throw InputError(
          r.scan_path, 0,
          name + ": expected " + std::to_string(want) + " values, found " + std::to_string(got));
  };
  r.observed = f.read_float("observed");
  check("observed", r.observed.size(), cells);
  r.quiet = f.read_uint8("quiet");
  check("quiet", r.quiet.size(), r.ntime);
  r.consensus = f.read_uint8("consensus");
  check("consensus", r.consensus.size(), cells);
  r.kp = f.read_float("indices/kp");
  r.ap_daily = f.read_float("indices/ap_daily");
  r.dst = f.read_float("indices/dst");
  r.f107 = f.read_float(r.config.quiet.f107_observed ? "indices/f107_obs" : "indices/f107");
  for (const auto* v : {&r.kp, &r.ap_daily, &r.dst, &r.f107}) check("indices", v->size(), r.ntime);

  std::istringstream names(f.read_attr_string("/", "detectors"));
  for (std::string name; std::getline(names, name);) {
    if (name.empty()) continue;
    DetectorArrays d;
    d.name = name;
    d.predicted = f.read_float("predicted/" + name);
    d.dtec = f.read_float("dtec/" + name);
    d.anomaly = f.read_uint8("anomaly/" + name);
    check("predicted/" + name, d.predicted.size(), cells);
    check("dtec/" + name, d.dtec.size(), cells);
    check("anomaly/" + name, d.anomaly.size(), cells);
    if (f.has_attr("dtec/" + name, "threshold")) {
      d.threshold = f.read_attr_double("dtec/" + name, "threshold");
      d.threshold_source = f.has_attr("dtec/" + name, "threshold_source")
                               ? f.read_attr_string("dtec/" + name, "threshold_source")
                               : "not recorded";
    } else {  // a run of an older version: the fixed threshold of its configuration
      d.threshold = r.config.detect.threshold;
      d.threshold_source = "fixed";
    }
    r.detectors.push_back(std::move(d));
  }
  if (r.detectors.empty()) throw InputError(r.scan_path, 0, "expected at least one detector");
  if (f.has("significance")) r.significance = load_significance(f, r);
  const std::string sensitivity = (fs::path(run_dir) / "sensitivity.csv").string();
  if (fs::is_regular_file(sensitivity)) r.sensitivity = load_sensitivity(sensitivity);
  return r;
}

}  // namespace tecscan::plot
