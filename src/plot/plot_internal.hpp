// Shared by the figure writers of src/plot: the run read back from scan.h5, and a small GMT
// script runner. Not a public interface.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tecscan/config.hpp"
#include "tecscan/plot.hpp"
#include "tecscan/time.hpp"

namespace tecscan::plot {

struct DetectorArrays {
  std::string name;
  std::vector<float> predicted, dtec;  // [node][time]
  std::vector<uint8_t> anomaly;        // [node][time]
  // The |DTEC| threshold the scan used: /dtec/<m> attributes, else (runs of older versions)
  // the configuration's fixed threshold with source "fixed".
  double threshold = std::nan("");
  std::string threshold_source;
};

// Per-event significance of one detector or the consensus: /significance/<name> of scan.h5.
struct SignificanceSeries {
  std::string name;
  std::vector<double> daily_rate;       // [day], NaN where no valid node-epoch
  std::vector<int64_t> daily_valid;     // [day]
  std::vector<double> control_rates;    // [control]
  std::vector<double> control_end_day;  // [control]
  double window_rate = 0, control_mean = 0, control_sd = 0, control_p05 = 0, control_p50 = 0,
         control_p95 = 0, p_value = 0, z = 0, rate_ratio = 0, threshold = 0, daily_control_p05 = 0,
         daily_control_p95 = 0;
  int64_t window_anomalies = 0, window_valid = 0, n_controls = 0;
  // Control windows whose rate is >= the precursor window's (the permutation p-value's count).
  size_t controls_at_or_above() const;
};

// The /significance group: the precursor window [-window_days, 0) against control windows.
struct Significance {
  double window_days = 15, control_step_days = 1;
  std::string null;  // which null the controls stand for
  int consensus_min = 0;
  std::vector<int32_t> day;                // [day]: bin d covers days to the event [d, d + 1)
  std::vector<SignificanceSeries> series;  // the run's detectors in order, then the consensus
};

// One row of sensitivity.csv (scan --inject).
struct SensitivityCsvRow {
  std::string detector;
  double amplitude = 0;  // fraction of the local TEC
  int64_t injections = 0;
  double recall = 0, false_alarm_rate = 0, threshold = 0;
};

// What the figures need from a run directory.
struct RunData {
  std::string dir, scan_path;
  std::string event_id, event_place, event_time_text;
  TimeS event_time = 0;
  double event_lat = 0, event_lon = 0, radius_km = 0;
  double event_magnitude = std::nan("");
  size_t nnode = 0, ntime = 0;
  std::vector<double> node_lat, node_lon, node_distance_km;
  std::vector<double> days;  // per epoch: (t - event time) / 86400
  std::vector<TimeS> time;
  double step_hours = 1;
  std::vector<float> observed;                 // [node][time]
  std::vector<uint8_t> quiet;                  // [time]
  std::vector<uint8_t> consensus;              // [node][time]
  std::vector<float> kp, ap_daily, dst, f107;  // [time]; f107 is the one the quiet mask used
  std::vector<DetectorArrays> detectors;
  ScanConfig config;
  std::optional<Significance> significance;    // none in runs of older versions
  std::vector<SensitivityCsvRow> sensitivity;  // sensitivity.csv; empty when absent

  const DetectorArrays* find(const std::string& name) const;
  std::string event_label() const;  // "usp000a7m5 M7.7" (no magnitude when unknown)
  size_t nearest_node(double lat, double lon) const;
};

// Throws InputError(<dir>/scan.h5, 0, ...) when it is missing or lacks a dataset, and
// InputError(<dir>/sensitivity.csv, line, ...) when that file exists but does not parse.
RunData load_run(const std::string& run_dir);
// Rows of a sensitivity.csv (header detector,amplitude,injections,recall,false_alarm_rate,
// threshold); throws InputError(path, line, ...) naming what is wrong.
std::vector<SensitivityCsvRow> load_sensitivity(const std::string& path);

// One figure: a bash script of GMT modern-mode commands written to work_dir and run; the
// output is <fig_dir>/<name>.png (and .pdf).
class GmtFigure {
 public:
  GmtFigure(std::string name, const std::string& fig_dir, const std::string& work_dir,
            const PlotOptions& options);
  GmtFigure& operator<<(const std::string& line);  // one command line of the script
  // A data file in the work dir (returns its path, quoted for the script).
  std::string data(const std::string& file_name, const std::string& text);
  // Runs the script; throws InputError(script, 0, GMT's stderr) when it fails. Returns the
  // files written.
  std::vector<std::string> render();

 private:
  std::string name_, fig_dir_, work_dir_, script_;
  PlotOptions options_;
};

// Figure writers; each returns the files it wrote.
struct FigureContext {
  const RunData& run;
  const PlotOptions& options;
  std::string fig_dir, work_dir;
  size_t node;             // node of the node figures
  std::string node_model;  // detector of the node figures
  int consensus_min;
};

std::vector<std::string> plot_anomaly_maps(const FigureContext& ctx);     // per model + sheet
std::vector<std::string> plot_daily_maps(const FigureContext& ctx);       // last days, one map each
std::vector<std::string> plot_day_hour_images(const FigureContext& ctx);  // Figure 3
std::vector<std::string> plot_indices(const FigureContext& ctx);          // Figure 2
std::vector<std::string> plot_time_series(const FigureContext& ctx);      // Figure 6
std::vector<std::string> plot_significance(const FigureContext& ctx);     // needs significance
std::vector<std::string> plot_sensitivity(const FigureContext& ctx);      // needs sensitivity
std::string write_report(const FigureContext& ctx, const std::vector<std::string>& figures);

// Helpers.
std::string fmt(double v, int decimals = 4);  // fixed notation, "NaN" for NaN
// A rate (fraction) as a percentage with enough decimals for small rates: "1.23 %", "0.042 %".
std::string percent(double rate);
// A p-value: "0.32", "0.024" (two significant digits below 0.1), "n/a" for NaN.
std::string p_text(double p);
std::string position_text(double lat, double lon);  // "12.5N 90W"
// -Bx for a time axis of `days` days: a label every 1, 2, 5 or 10 days, never crowded.
std::string day_axis(double days);
// Text for a double-quoted string of the bash script: drops " $ ` \ (catalogue ids, places).
std::string script_text(const std::string& text);
// Subplot panel tags: white boxes at the top left, text given per panel (subplot set -A).
constexpr const char* kPanelTags = "'-Aa)+jTL+o0.1c/0.1c+gwhite+p0.3p'";
// Points of the circle of radius_km around (lat, lon), longitudes unwrapped around lon so the
// line never jumps at the dateline.
std::vector<std::pair<double, double>> great_circle_ring(double lat, double lon, double radius_km,
                                                         int npoints = 181);
// The point at distance_km along azimuth_deg from (lat, lon) (spherical earth).
std::pair<double, double> destination(double lat, double lon, double azimuth_deg,
                                      double distance_km);
double unwrap_lon(double lon, double center);  // lon shifted by 360 into center +- 180
// GMT's -R and -J of a map about (lat, lon): azimuthal equidistant centred there, a square of
// 2.24 radii on a side, `width` wide (a GMT size, "?" inside subplots).
std::string map_region_projection(double lat, double lon, double radius_km,
                                  const std::string& width);

}  // namespace tecscan::plot
