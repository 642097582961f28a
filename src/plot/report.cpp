// <run_dir>/report.html: one offline page with the event, the inputs, the configuration, the
// per-detector summary, the 20 strongest quiet anomalies and the figures (linked relatively).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plot_internal.hpp"
#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"

namespace tecscan::plot {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps summary.json's run order of the detectors

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string cell(const json& v) {
  if (v.is_null()) return "&ndash;";
  if (v.is_number_float()) return fmt(v.get<double>(), 3);
  if (v.is_string()) return escape(v.get<std::string>());
  return escape(v.dump());
}

// One CSV record (RFC 4180 quoting, as anomalies.csv writes a comma in an event id).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"')
      fields.back() += '"', ++i;
    else if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      fields.emplace_back();
    else if (c != '\r')
      fields.back() += c;
  }
  return fields;
}

// The strongest quiet anomalies (largest |DTEC|) of anomalies.csv.
std::string top_anomalies_table(const std::string& path, size_t count) {
  std::ifstream in(path);
  if (!in) return "<p>No anomalies.csv in the run directory.</p>";
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv(line);
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw InputError(path, 1, "expected a column '" + name + "'");
    return static_cast<size_t>(it - header.begin());
  };
  const size_t quiet = column("quiet"), dtec = column("dtec");
  std::vector<std::string> shown = {"model",        "time_utc",     "days_to_event", "node_lat",
                                    "node_lon",     "distance_km",  "dtec",          "delta_tec",
                                    "observed_tec", "predicted_tec"};
  // The detector's threshold beside its anomaly (runs of older versions lack the column).
  if (std::find(header.begin(), header.end(), "threshold") != header.end())
    shown.push_back("threshold");
  std::vector<size_t> shown_index;
  for (const auto& s : shown) shown_index.push_back(column(s));
  std::vector<std::pair<double, std::vector<std::string>>> rows;
  long line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> f = split_csv(line);
    if (f.size() != header.size())
      throw InputError(path, line_no, "expected " + std::to_string(header.size()) + " fields");
    if (f[quiet] != "1") continue;
    rows.push_back({std::fabs(std::strtod(f[dtec].c_str(), nullptr)), std::move(f)});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (rows.size() > count) rows.resize(count);
  if (rows.empty()) return "<p>No quiet anomalies in anomalies.csv.</p>";
  std::ostringstream h;
  h << "<table><tr>";
  for (const auto& s : shown) h << "<th>" << escape(s) << "</th>";
  h << "</tr>\n";
  for (const auto& r : rows) {
    h << "<tr>";
    for (size_t i : shown_index) h << "<td>" << escape(r.second[i]) << "</td>";
    h << "</tr>\n";
  }
  h << "</table>";
  return h.str();
}

std::string summary_tables(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "<p>No summary.json in the run directory (incomplete run?).</p>";
  json s;
  try {
    s = json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path, 0, std::string("expected JSON: ") + e.what());
  }
  std::ostringstream h;
  h << "<h2>Per-detector results</h2>\n<table><tr><th>detector</th><th>device</th>"
       "<th>quiet anomalies</th><th>flagged, not quiet</th><th>first anomaly (days)</th>"
       "<th>strongest |DTEC|</th><th>strongest at (days)</th><th>median train RMSE (TECU)</th>"
       "<th>median test RMSE (TECU)</th><th>seconds</th></tr>\n";
  const json models =
      s.contains("models") && s["models"].is_object() ? s["models"] : json::object();
  for (const auto& [name, m] : models.items()) {
    auto field = [&](const char* outer, const char* inner) {
      return m.contains(outer) && m[outer].is_object() ? m[outer].value(inner, json()) : json();
    };
    h << "<tr><td>" << escape(name) << "</td><td>" << cell(m.value("device", json())) << "</td><td>"
      << cell(m.value("anomalies", json())) << "</td><td>" << cell(m.value("flagged_storm", json()))
      << "</td><td>" << cell(field("first_anomaly", "days_to_event")) << "</td><td>"
      << cell(field("strongest_anomaly", "abs_dtec")) << "</td><td>"
      << cell(field("strongest_anomaly", "days_to_event")) << "</td><td>"
      << cell(m.value("median_train_rmse_tecu", json())) << "</td><td>"
      << cell(m.value("median_test_rmse_tecu", json())) << "</td><td>"
      << cell(m.value("seconds", json())) << "</td></tr>\n";
  }
  h << "</table>\n<p>Quiet epochs: " << cell(s.value("quiet_epochs", json()))
    << "; largest consensus: " << cell(s.value("max_consensus", json())) << " detectors.</p>\n";
  h << "<h2>Inputs</h2>\n<table><tr><th>file</th><th>bytes</th><th>SHA-256</th></tr>\n";
  for (const auto& f : s.value("inputs", json::array()))
    h << "<tr><td>" << cell(f.value("path", json())) << "</td><td>"
      << cell(f.value("bytes", json())) << "</td><td><code>" << cell(f.value("sha256", json()))
      << "</code></td></tr>\n";
  h << "</table>\n";
  if (s.contains("cube"))
    h << "<p>Cube: " << cell(s["cube"].value("nodes", json())) << " nodes x "
      << cell(s["cube"].value("epochs", json())) << " epochs, "
      << cell(s["cube"].value("start", json())) << " to " << cell(s["cube"].value("end", json()))
      << ", step " << cell(s["cube"].value("step_s", json())) << " s.</p>\n";
  return h.str();
}

std::string number_cell(double v, int decimals) {  // a dash for NaN (e.g. no injection)
  return std::isfinite(v) ? fmt(v, decimals) : "&ndash;";
}

// "1.5" when every detector used the same threshold, else a pointer to the table.
std::string threshold_text(const RunData& run) {
  for (const auto& d : run.detectors)
    if (!(d.threshold == run.detectors.front().threshold))
      return "each detector's threshold (see the significance table)";
  return fmt(run.detectors.front().threshold, 2);
}

std::string count_text(int64_t n) {  // 12345 -> "12,345"
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

// One sentence a researcher can quote for a detector's precursor window.
std::string significance_sentence(const SignificanceSeries& m, double window_days) {
  std::ostringstream s;
  s << "<b>" << escape(m.name) << "</b>: " << percent(m.window_rate)
    << " of the quiet node-epochs of the last " << fmt(window_days, 0)
    << " days before the event were anomalous (" << count_text(m.window_anomalies) << " of "
    << count_text(m.window_valid) << ")";
  if (m.n_controls == 0) {
    s << "; there is no control window to compare with, so no p-value.";
    return s.str();
  }
  s << ", against " << percent(m.control_mean)
    << " on average in the control windows (5-95 %: " << percent(m.control_p05) << " to "
    << percent(m.control_p95) << "). An anomaly rate this high or higher occurred in "
    << m.controls_at_or_above() << " of " << m.n_controls
    << " control windows (p = " << p_text(m.p_value) << "); z = " << fmt(m.z, 2) << ", "
    << fmt(m.rate_ratio, 2) << " times the control mean.";
  return s.str();
}

std::string significance_section(const RunData& run) {
  std::ostringstream h;
  if (!run.significance) {
    h << "<p>This run has no significance data: its scan.h5 has no /significance group (it was "
         "written by an older version of tecscan). Scan the event again to compare the "
         "precursor window with control windows.</p>\n<table><tr><th>detector</th>"
         "<th>|DTEC| threshold</th><th>threshold from</th></tr>\n";
    for (const auto& d : run.detectors)
      h << "<tr><td>" << escape(d.name) << "</td><td>" << fmt(d.threshold, 3) << "</td><td>"
        << escape(d.threshold_source) << "</td></tr>\n";
    h << "</table>\n";
    return h.str();
  }
  const Significance& sig = *run.significance;
  h << "<p>Anomaly rate = anomalous quiet node-epochs / quiet node-epochs with a valid DTEC, "
       "over all grid nodes of the region. The precursor window (days -"
    << fmt(sig.window_days, 0)
    << " to 0) is compared with control windows of the same length ending every "
    << (sig.control_step_days == 1 ? std::string("day") : fmt(sig.control_step_days, 2) + " days")
    << " before it; p = (1 + controls with a rate &ge; the window's) / (1 + controls), "
       "z = (window rate - control mean) / control standard deviation. A consensus anomaly: "
       "&ge; "
    << sig.consensus_min << " detectors. Null: " << escape(sig.null) << ".</p>\n";
  h << "<table><tr><th>detector</th><th>|DTEC| threshold</th><th>threshold from</th>"
       "<th>window rate</th><th>window anomalies / valid</th><th>control mean</th>"
       "<th>control 5-95 %</th><th>p</th><th>z</th><th>rate ratio</th>"
       "<th>control windows</th></tr>\n";
  for (const auto& m : sig.series) {
    const DetectorArrays* d = run.find(m.name);
    h << "<tr><td>" << escape(m.name) << "</td><td>"
      << (d ? fmt(d->threshold, 3) : "&ge; " + std::to_string(sig.consensus_min) + " detectors")
      << "</td><td>" << (d ? escape(d->threshold_source) : "consensus") << "</td><td>"
      << percent(m.window_rate) << "</td><td>" << count_text(m.window_anomalies) << " / "
      << count_text(m.window_valid) << "</td><td>" << percent(m.control_mean) << "</td><td>"
      << percent(m.control_p05) << " to " << percent(m.control_p95) << "</td><td>"
      << p_text(m.p_value) << "</td><td>" << fmt(m.z, 2) << "</td><td>" << fmt(m.rate_ratio, 2)
      << "</td><td>" << m.n_controls << "</td></tr>\n";
  }
  h << "</table>\n<ul>\n";
  for (const auto& m : sig.series)
    h << "<li>" << significance_sentence(m, sig.window_days) << "</li>\n";
  h << "</ul>\n";
  return h.str();
}

std::string sensitivity_section(const RunData& run) {
  std::ostringstream h;
  const InjectConfig& inj = run.config.inject;
  h << "<p>Synthetic disturbances of " << fmt(inj.duration_hours, 1)
    << " h with a Gaussian footprint (sigma " << fmt(inj.radius_km, 0)
    << " km, sign: " << escape(inj.sign)
    << ") were planted at quiet epochs before the precursor window; an injection counts as "
       "found when any anomaly falls in its box (nodes with footprint weight &ge; 0.5, its "
       "epochs). The false-alarm rate is the fraction of the same boxes with an anomaly "
       "without the injection.</p>\n<table><tr><th>detector</th><th>amplitude</th>"
       "<th>injections</th><th>recall</th><th>false-alarm rate</th><th>|DTEC| threshold</th>"
       "</tr>\n";
  for (const auto& r : run.sensitivity)
    h << "<tr><td>" << escape(r.detector) << "</td><td>" << fmt(100 * r.amplitude, 1)
      << " %</td><td>" << r.injections << "</td><td>" << number_cell(r.recall, 2) << "</td><td>"
      << number_cell(r.false_alarm_rate, 2) << "</td><td>" << number_cell(r.threshold, 3)
      << "</td></tr>\n";
  h << "</table>\n<ul>\n";
  // The detection limit in words: the smallest amplitude at which half the injections are found.
  std::vector<std::string> names;
  for (const auto& r : run.sensitivity)
    if (std::find(names.begin(), names.end(), r.detector) == names.end())
      names.push_back(r.detector);
  for (const auto& name : names) {
    const SensitivityCsvRow* limit = nullptr;
    for (const auto& r : run.sensitivity)
      if (r.detector == name && r.recall >= 0.5 && (!limit || r.amplitude < limit->amplitude))
        limit = &r;
    h << "<li><b>" << escape(name) << "</b>: ";
    if (limit)
      h << "finds half or more of the injected disturbances from " << fmt(100 * limit->amplitude, 1)
        << " % of the local TEC (recall " << fmt(limit->recall, 2) << "; "
        << fmt(limit->false_alarm_rate, 2) << " of the same boxes flagged without one).</li>\n";
    else
      h << "finds fewer than half of the injected disturbances at every amplitude tried.</li>\n";
  }
  h << "</ul>\n";
  return h.str();
}

}  // namespace

std::string write_report(const FigureContext& ctx, const std::vector<std::string>& figures) {
  const RunData& run = ctx.run;
  const fs::path dir(run.dir);
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tecscan "
    << escape(run.event_id) << "</title>\n<style>body{font-family:sans-serif;max-width:1100px;"
    << "margin:auto;padding:1em;color:#222}table{border-collapse:collapse;font-size:90%;"
    << "margin:0.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}"
    << "th{background:#eee}img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}"
    << "pre{background:#f6f6f6;padding:0.5em;overflow:auto}</style></head><body>\n";
  h << "<h1>TEC anomaly scan: " << escape(run.event_id) << "</h1>\n<p>" << escape(run.event_label())
    << " " << escape(run.event_place) << ", " << escape(run.event_time_text) << ", "
    << fmt(run.event_lat, 3) << "&deg;N " << fmt(run.event_lon, 3)
    << "&deg;E. Region: " << run.nnode << " grid nodes within " << fmt(run.radius_km, 0) << " km, "
    << run.ntime << " epochs of " << fmt(run.step_hours, 2) << " h. Anomaly: |DTEC| above "
    << threshold_text(run) << " at a quiet epoch. Figures: window days "
    << fmt(ctx.options.day_from, 1) << " to " << fmt(ctx.options.day_to, 1) << "; node "
    << position_text(run.node_lat[ctx.node], run.node_lon[ctx.node]) << " ("
    << fmt(run.node_distance_km[ctx.node], 0)
    << " km from the epicentre); consensus counts epochs with &ge; " << ctx.consensus_min
    << " detectors.</p>\n";

  // The significance figure and the sensitivity curves come first; the rest follow in the
  // order they were drawn.
  auto png_named = [&](const std::string& stem) -> std::string {
    for (const auto& f : figures)
      if (fs::path(f).stem() == stem && fs::path(f).extension() == ".png") return f;
    return "";
  };
  auto image = [&](const std::string& f) {
    const std::string rel = escape(fs::relative(f, dir).generic_string());
    return "<a href=\"" + rel + "\"><img src=\"" + rel + "\" alt=\"" + rel + "\"></a>\n";
  };
  const std::string significance_png = png_named("significance");
  const std::string sensitivity_png = png_named("sensitivity");
  h << "<h2>Significance of the precursor window</h2>\n";
  if (!significance_png.empty()) h << image(significance_png);
  h << significance_section(run);
  if (!run.sensitivity.empty()) {
    h << "<h2>Sensitivity: injection-recovery</h2>\n";
    if (!sensitivity_png.empty()) h << image(sensitivity_png);
    h << sensitivity_section(run);
  }

  h << summary_tables((dir / "summary.json").string());
  h << "<h2>Strongest 20 quiet anomalies</h2>\n"
    << top_anomalies_table((dir / "anomalies.csv").string(), 20) << "\n<h2>Figures</h2>\n";
  for (const auto& f : figures) {
    if (f == significance_png || f == sensitivity_png) continue;  // shown above
    const std::string rel = fs::relative(f, dir).generic_string();
    if (fs::path(f).extension() == ".png")
      h << "<h3>" << escape(fs::path(f).stem().string()) << "</h3>\n" << image(f);
    else
      h << "<p><a href=\"" << escape(rel) << "\">" << escape(rel) << "</a></p>\n";
  }
  h << "<h2>Configuration</h2>\n<pre>" << escape(config_to_toml(run.config)) << "</pre>\n"
    << "<p>Files: <a href=\"scan.h5\">scan.h5</a>, <a href=\"anomalies.csv\">anomalies.csv</a>, "
    << "<a href=\"summary.json\">summary.json</a>, <a href=\"config.used.toml\">"
    << "config.used.toml</a>";
  if (!run.sensitivity.empty()) h << ", <a href=\"sensitivity.csv\">sensitivity.csv</a>";
  h << ".</p>\n</body></html>\n";
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, h.str());
  return path;
}

}  // namespace tecscan::plot
