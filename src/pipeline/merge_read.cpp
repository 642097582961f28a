// Finds the run directories `tecscan merge` is given and reads their scan.h5 into MergeRun.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tecscan/batch.hpp"
#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/merge.hpp"
#include "tecscan/time.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;

// "runs/ev1/" and "runs/./ev1" name the same run as "runs/ev1".
std::string clean(const fs::path& p) {
  fs::path n = p.lexically_normal();
  if (n.filename().empty() && n.has_parent_path()) n = n.parent_path();
  return n.string();
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// "2001-01-13T17:33:32.380Z" -> seconds with the fraction parse_iso_time drops.
double event_seconds(const std::string& text, const std::string& file) {
  const TimeS whole = parse_iso_time(text, file + ": attribute event_time");
  double frac = 0;
  const size_t dot = text.find('.');
  if (dot != std::string::npos) frac = std::strtod(text.c_str() + dot, nullptr);
  return static_cast<double>(whole) + (frac < 1 ? frac : 0);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// /significance/<name> of every named series; `present` stays false without the group (a run
// scanned before per-event significance existed).
RunSignificance read_significance(const H5File& f, const std::string& path,
                                  const std::vector<std::string>& names) {
  RunSignificance s;
  if (!f.has("significance")) return s;
  s.present = true;
  s.window_days = f.read_attr_double("significance", "window_days");
  s.consensus_min = static_cast<int>(f.read_attr_int("significance", "consensus_min"));
  if (f.has_attr("significance", "control_step_days"))
    s.control_step_days = f.read_attr_double("significance", "control_step_days");
  s.null = f.read_attr_string("significance", "null");
  for (const std::string& name : names) {
    const std::string g = "significance/" + name;
    if (!f.has(g)) throw InputError(path, 0, "/" + g + ": missing (the group /significance is)");
    EventSignificance e;
    e.name = name;
    e.control_rates = f.read_double(g + "/control_rates");
    e.control_end_day = f.read_double(g + "/control_end_day");
    if (e.control_end_day.size() != e.control_rates.size())
      throw InputError(path, 0, "/" + g + ": expected control_end_day of control_rates' length");
    e.window_rate = f.read_attr_double(g, "window_rate");
    e.p_value = f.read_attr_double(g, "p_value");
    const int64_t n = f.read_attr_int(g, "n_controls");
    if (n != static_cast<int64_t>(e.control_rates.size()))
      throw InputError(path, 0,
                       "/" + g + ": attribute n_controls = " + std::to_string(n) +
                           " but control_rates holds " + std::to_string(e.control_rates.size()) +
                           " values");
    if (!std::isnan(e.p_value) && !(e.p_value > 0 && e.p_value <= 1))
      throw InputError(path, 0, "/" + g + ": attribute p_value: expected a number in (0, 1]");
    s.series.push_back(std::move(e));
  }
  return s;
}

}  // namespace

// A run directory holding summary.json: complete when every output it lists is there (a run
// whose files were lost or truncated afterwards is not pooled, and says why).
void add_run(RunDirs& found, const fs::path& dir) {
  const std::string why = incomplete_run_reason(dir.string());
  if (why.empty()) {
    found.complete.push_back(clean(dir));
  } else {
    found.incomplete.push_back(clean(dir));
    found.reasons[clean(dir)] = why;
  }
}

RunDirs find_run_dirs(const std::vector<std::string>& arguments) {
  RunDirs found;
  for (const std::string& arg : arguments) {
    std::error_code ec;
    if (!fs::exists(arg, ec)) throw InputError(arg, 0, "no such directory");
    if (!fs::is_directory(arg, ec))
      throw InputError(arg, 0, "expected a run directory or a directory of run directories");
    const fs::path dir(arg);
    if (is_file(dir / "summary.json")) {
      add_run(found, dir);
      continue;
    }
    if (is_file(dir / "scan.h5")) {  // a run that never finished
      found.incomplete.push_back(clean(dir));
      continue;
    }
    // A batch root: every immediate subdirectory is one event's run.
    std::vector<fs::path> subdirs;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_directory(ec)) subdirs.push_back(entry.path());
    std::sort(subdirs.begin(), subdirs.end());
    for (const fs::path& sub : subdirs) {
      if (is_file(sub / "summary.json")) {
        add_run(found, sub);
      } else {
        found.incomplete.push_back(clean(sub));
      }
    }
    if (subdirs.empty())
      throw InputError(arg, 0,
                       "nothing to merge: expected summary.json (a run of 'tecscan scan') here or "
                       "in its subdirectories");
  }
  auto unique_sorted = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  unique_sorted(found.complete);
  unique_sorted(found.incomplete);
  return found;
}

std::vector<std::string> read_run_detectors(const std::string& run_dir) {
  const std::string path = (fs::path(run_dir) / "scan.h5").string();
  if (!is_file(path)) throw InputError(path, 0, "missing: expected the scan.h5 of a complete run");
  H5File f = H5File::open_read(path);
  std::vector<std::string> names = split_lines(f.read_attr_string("/", "detectors"));
  if (names.empty()) throw InputError(path, 0, "attribute detectors: expected detector names");
  return names;
}

MergeRun read_run(const std::string& run_dir, const std::vector<std::string>& detectors) {
  const std::string path = (fs::path(run_dir) / "scan.h5").string();
  if (!is_file(path)) throw InputError(path, 0, "missing: expected the scan.h5 of a complete run");
  H5File f = H5File::open_read(path);
  MergeRun r;
  r.source = run_dir;
  r.id = f.read_attr_string("/", "event_id");
  r.event_time_s = event_seconds(f.read_attr_string("/", "event_time"), path);
  auto number_attr = [&](const char* name) {
    return f.has_attr("/", name) ? f.read_attr_double("/", name) : kMergeNaN;
  };
  r.lat = number_attr("event_lat");
  r.lon = number_attr("event_lon");
  r.magnitude = number_attr("event_magnitude");

  for (double hours : f.read_double("time")) {
    if (!std::isfinite(hours)) throw InputError(path, 0, "time: expected finite hours since 1970");
    r.time_s.push_back(std::round(hours * 3600.0 * 1000.0) / 1000.0);  // to the millisecond
  }
  const size_t nt = r.time_s.size();
  r.quiet = f.read_uint8("quiet");
  if (r.quiet.size() != nt)
    throw InputError(path, 0, "quiet: expected " + std::to_string(nt) + " values (one per epoch)");
  const std::vector<std::string> names =
      detectors.empty() ? split_lines(f.read_attr_string("/", "detectors")) : detectors;
  for (const std::string& name : names) {
    RunDetector d;
    d.name = name;
    std::vector<size_t> dims;
    std::vector<float> dtec = f.read_float("dtec/" + name, dims);
    if (dims.size() != 2 || dims[1] != nt)
      throw InputError(
          path, 0,
          "dtec/" + name + ": expected [node, time] with " + std::to_string(nt) + " epochs");
    if (r.detectors.empty()) r.nnode = dims[0];
    if (dims[0] != r.nnode)
      throw InputError(path, 0,
                       "dtec/" + name + ": expected " + std::to_string(r.nnode) + " nodes");
    d.anomaly = f.read_uint8("anomaly/" + name);
    if (d.anomaly.size() != dtec.size())
      throw InputError(path, 0, "anomaly/" + name + ": expected the shape of dtec/" + name);
    d.has_dtec.resize(dtec.size());
    for (size_t i = 0; i < dtec.size(); ++i) d.has_dtec[i] = !std::isnan(dtec[i]);
    r.detectors.push_back(std::move(d));
  }
  if (r.detectors.empty()) throw InputError(path, 0, "expected at least one detector");
  std::vector<std::string> series = names;
  series.push_back("consensus");
  r.significance = read_significance(f, path, series);
  return r;
}

}  // namespace tecscan
