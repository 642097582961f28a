// tecscan plot: checks the options against the run, then draws every figure and the report.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "plot_internal.hpp"
#include "tecscan/batch.hpp"
#include "tecscan/error.hpp"

namespace tecscan {

namespace fs = std::filesystem;

namespace {
double parse_number(const std::string& text, const std::string& option) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw InputError(option + ": expected a number, got '" + text + "'");
  return v;
}

// The event and grid summary.json describes, as text to compare and to show.
std::string summary_identity(const std::string& path) {
  try {
    std::ifstream in(path);
    const nlohmann::json j = nlohmann::json::parse(in);
    const nlohmann::json &event = j.at("event"), &cube = j.at("cube");
    return "event " + event.at("id").get<std::string>() + " at " +
           plot::position_text(event.at("lat").get<double>(), event.at("lon").get<double>()) +
           ", " + std::to_string(cube.at("nodes").get<size_t>()) + " nodes x " +
           std::to_string(cube.at("epochs").get<size_t>()) + " epochs";
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, 0, std::string("expected the event and cube of a scan: ") + e.what());
  }
}

// A run is complete when its summary.json, written last by 'tecscan scan', describes the event
// and method of its scan.h5 and every output it lists is there: the rule scan applies before it
// skips a finished event, whose first part is merge's (no summary.json: an incomplete run). As
// runs made with --event share an id per origin time, the position and the grid are compared too.
void require_complete_run(const plot::RunData& run) {
  const std::string summary = (fs::path(run.dir) / "summary.json").string();
  const std::string mixed = "; the directory mixes the files of two runs: rerun the scan";
  const RunCheck check = check_existing_run(run.dir, run.event_id, run.config);
  switch (check.state) {
    case RunState::kComplete:
      break;
    case RunState::kAbsent:
      throw InputError(summary, 0,
                       "missing: an incomplete run ('tecscan scan' writes summary.json last: it "
                       "was interrupted or is still running), so scan.h5 and anomalies.csv may "
                       "come from different scans; rerun the scan, then plot");
    case RunState::kDifferent:
      throw InputError(
          summary, 0,
          "not the run of scan.h5 (event " + run.event_id + "): " + check.reason + mixed);
    case RunState::kUnreadable:
      throw InputError(summary, 0,
                       "an incomplete or damaged run: " + check.reason + "; rerun the scan");
  }
  const std::string of_scan =
      "event " + run.event_id + " at " + plot::position_text(run.event_lat, run.event_lon) + ", " +
      std::to_string(run.nnode) + " nodes x " + std::to_string(run.ntime) + " epochs";
  const std::string of_summary = summary_identity(summary);
  if (of_summary != of_scan)
    throw InputError(summary, 0, "describes " + of_summary + ", but scan.h5 " + of_scan + mixed);
}
}  // namespace

void parse_day_window(const std::string& text, double& day_from, double& day_to) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos)
    throw InputError("--days: expected d1:d2 in days relative to the event (e.g. -15:0), got '" +
                     text + "'");
  day_from = parse_number(text.substr(0, colon), "--days");
  day_to = parse_number(text.substr(colon + 1), "--days");
  if (!(day_from < day_to)) throw InputError("--days: expected d1 < d2, got '" + text + "'");
}

void parse_node(const std::string& text, double& lat, double& lon) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos)
    throw InputError("--node: expected lat,lon in degrees (e.g. 12.5,-90), got '" + text + "'");
  lat = parse_number(text.substr(0, comma), "--node");
  lon = parse_number(text.substr(comma + 1), "--node");
  if (lat < -90 || lat > 90) throw InputError("--node: latitude outside [-90, 90]: '" + text + "'");
}

PlotResult plot_run(const std::string& run_dir, const PlotOptions& options) {
  using namespace plot;
  const RunData run = load_run(run_dir);
  require_complete_run(run);
  const PlotOptions& o = options;
  if (!(o.day_from < o.day_to))
    throw InputError("--days: expected d1 < d2, got " + fmt(o.day_from) + ":" + fmt(o.day_to));
  bool window_has_data = false;
  for (double d : run.days) window_has_data = window_has_data || (d >= o.day_from && d <= o.day_to);
  if (!window_has_data)
    throw InputError(run.scan_path, 0,
                     "--days " + fmt(o.day_from, 2) + ":" + fmt(o.day_to, 2) +
                         ": no epoch of the run in this window; the run covers days " +
                         fmt(run.days.front(), 2) + " to " + fmt(run.days.back(), 2));
  if (!o.model.empty() && o.model != "consensus" && !run.find(o.model)) {
    std::string known;
    for (const auto& d : run.detectors) known += " " + d.name;
    throw InputError(run.scan_path, 0,
                     "--model " + o.model + ": not a detector of this run (it has" + known +
                         "; or give 'consensus')");
  }
  if (o.dpi < 30 || o.dpi > 1200) throw InputError("--dpi: expected 30..1200");
  if (!gmt_available())
    throw InputError(
        "gmt (Generic Mapping Tools >= 6) is not installed; install it with "
        "'apt-get install gmt gmt-gshhg-low gmt-dcw ghostscript' (or "
        "scripts/install-deps.sh)");

  // The node figures use the chosen detector, else the first network of the run.
  std::string node_model = run.detectors.front().name;
  for (const auto& d : run.detectors)
    if (is_network_name(d.name)) {
      node_model = d.name;
      break;
    }
  if (run.find(o.model)) node_model = o.model;
  // The consensus rule of the scan when it recorded one (its significance), else a majority.
  const int ndet = static_cast<int>(run.detectors.size());
  const int consensus_min = o.consensus_min > 0 ? o.consensus_min
                            : run.significance  ? run.significance->consensus_min
                                                : ndet / 2 + 1;

  const fs::path fig_dir = fs::absolute(fs::path(run_dir) / "figures");
  const fs::path work_dir = fig_dir / "work";
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) throw InputError(work_dir.string(), 0, "cannot create the directory: " + ec.message());

  const size_t node = o.has_node ? run.nearest_node(o.node_lat, o.node_lon)
                                 : run.nearest_node(run.event_lat, run.event_lon);
  FigureContext ctx{run, o, fig_dir.string(), work_dir.string(), node, node_model, consensus_min};
  PlotResult result;
  std::vector<std::vector<std::string> (*)(const FigureContext&)> draws;
  if (run.significance)
    draws.push_back(plot_significance);
  else  // not an error: runs of older versions still get every other figure
    std::fprintf(stderr,
                 "note: %s has no significance data (no /significance group: a run of an older "
                 "tecscan); no significance figure\n",
                 run.scan_path.c_str());
  if (!run.sensitivity.empty()) draws.push_back(plot_sensitivity);
  for (auto draw :
       {plot_anomaly_maps, plot_day_hour_images, plot_indices, plot_time_series, plot_daily_maps})
    draws.push_back(draw);
  try {
    for (auto draw : draws) {
      std::vector<std::string> files = draw(ctx);
      result.figures.insert(result.figures.end(), files.begin(), files.end());
    }
    result.report = write_report(ctx, result.figures);
  } catch (...) {
    // A failed plot (a full disk, a GMT error) leaves no work files behind unless asked to.
    if (!o.keep_work) fs::remove_all(work_dir, ec);
    throw;
  }
  if (!o.keep_work) fs::remove_all(work_dir, ec);
  return result;
}

}  // namespace tecscan
