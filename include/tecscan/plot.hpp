// Figures and an HTML report of a scan run directory (docs/plots.md): the precursor window's
// significance, injection-recovery curves, regional anomaly maps per detector and for the
// consensus, the paper's Figures 2, 3 and 6, drawn with GMT's
// command-line modules (gmt >= 6, modern mode).
#pragma once
#include <string>
#include <vector>

namespace tecscan {

struct PlotOptions {
  // "" = every detector of the run plus the consensus; a detector name ("mlp" ...,
  // "median-iqr") or "consensus" limits the maps and the significance figure to it (that figure
  // keeps the consensus beside it) and picks the model of the node figures.
  std::string model;
  // The node of the node figures: the grid node nearest this point; default the epicentre.
  bool has_node = false;
  double node_lat = 0, node_lon = 0;
  // Window in days relative to the event time (day 0 = the event's UTC day in day x hour
  // images). Maps count anomalies with day_from <= t - t_event <= day_to.
  double day_from = -15, day_to = 0;
  // Consensus map: an epoch counts when at least this many detectors flag it; 0 = a majority
  // of the run's detectors.
  int consensus_min = 0;
  bool pdf = false;        // a PDF beside every PNG
  int dpi = 150;           // PNG resolution
  bool keep_work = false;  // keep <run_dir>/figures/work (GMT scripts and data) for debugging
};

struct PlotResult {
  std::vector<std::string> figures;  // every file written (PNG, PDF), absolute paths
  std::string report;                // <run_dir>/report.html
};

// True when `gmt` runs (gmt --version).
bool gmt_available();

// Writes <run_dir>/figures/*.png (and .pdf) and <run_dir>/report.html.
// Throws InputError naming the file when scan.h5 is missing or unreadable, when the directory
// does not hold one complete run (no summary.json, or summary.json and config.used.toml of
// another event or method than scan.h5, or a listed output missing: check_existing_run's rule),
// when an option does not fit the run (unknown model, empty window), and when gmt is not
// installed (saying how to install it) or a GMT script fails (with GMT's message).
PlotResult plot_run(const std::string& run_dir, const PlotOptions& options = {});

// Parses "d1:d2" (e.g. "-15:0") and "lat,lon"; throw InputError naming the option.
void parse_day_window(const std::string& text, double& day_from, double& day_to);
void parse_node(const std::string& text, double& lat, double& lon);

}  // namespace tecscan
