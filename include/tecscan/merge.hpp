// Statistics across many events' scan runs (`tecscan merge`, docs/merge.md): the superposed
// epoch analysis of the anomaly rate, random pseudo-event controls, the precursor-window rate
// difference with its permutation p-value, and the Molchan / ROC skill of an alarm statistic.
//
// The computation is pure: runs in memory in, tables out. merge_read.cpp fills MergeRun from
// run directories, merge_output.cpp writes MergeResult.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace tecscan {

constexpr double kMergeNaN = std::numeric_limits<double>::quiet_NaN();

// Below this control span (in windows) with an exclusion, merge warns that p is anti-conservative.
constexpr double kMinControlSpan = 6;

struct MergeParams {
  // Consensus series: a (node, epoch) is anomalous when at least K of the common detectors
  // flag it. 0 = ceil(ndetectors / 2), i.e. at least half of the detectors.
  int consensus_k = 0;
  int controls = 200;       // pseudo-events drawn per run
  uint64_t seed = 1;        // the control draws depend only on (seed, event id, draw)
  double window_days = 15;  // precursor window [-window_days, 0) days before the event
  // No pseudo-event within +-exclude_days of the event; < 0: the window. 0 (the default) keeps
  // the permutation exact on short runs (docs/merge.md, 'Calibration').
  double exclude_days = 0;
  // Superposed-epoch bins of 1 day: b = -days_before .. days_after - 1, bin b holding
  // b <= days_to_event < b + 1. < 0: from the runs' extent (earliest / latest epoch).
  int days_before = -1, days_after = -1;
};

// One detector of one run, both [node][time]: 1 = anomaly (|DTEC| > threshold at a quiet
// epoch), and 1 = DTEC is a number (not NaN).
struct RunDetector {
  std::string name;
  std::vector<uint8_t> anomaly, has_dtec;
};

// One event's scan run.
struct MergeRun {
  std::string id;           // event id
  std::string source;       // where it came from (run directory), for messages
  double event_time_s = 0;  // origin time, seconds since 1970 (UTC, with fraction)
  double lat = kMergeNaN, lon = kMergeNaN, magnitude = kMergeNaN;
  std::vector<double> time_s;  // [time] epochs, seconds since 1970, increasing
  size_t nnode = 0;
  std::vector<uint8_t> quiet;  // [time] 1 = quiet
  std::vector<RunDetector> detectors;
};

// Per-epoch node counts of one series (a detector or the consensus).
struct SeriesCounts {
  std::vector<int32_t> anomalous;  // [time] nodes with an anomaly at a valid (node, epoch)
  std::vector<int32_t> valid;      // [time] nodes with DTEC (K detectors for consensus), quiet
};

// A run reduced to what the statistics need: every statistic pools whole epochs, so counts
// over nodes per epoch suffice (and are small: ntime x nseries).
struct RunCounts {
  std::string id, source;
  double event_time_s = 0;
  double lat = kMergeNaN, lon = kMergeNaN, magnitude = kMergeNaN;
  std::vector<double> time_s;
  std::vector<SeriesCounts> series;  // the detectors given to count_run, then "consensus"
};

// The detectors every run has, in the order of the first run.
std::vector<std::string> common_detectors(const std::vector<std::vector<std::string>>& sets);
// K for `requested` (0 = ceil(ndetectors / 2)); throws InputError when K > ndetectors or < 0.
int resolve_consensus_k(int requested, size_t ndetectors);
// Valid = DTEC not NaN and quiet; anomalous = anomaly flag at a valid (node, epoch).
// Consensus: anomalous when >= k of `detectors` flag it, valid when quiet and >= k of them
// have DTEC. Throws InputError (naming run.source) when a detector is missing or an array
// has the wrong size.
RunCounts count_run(const MergeRun& run, const std::vector<std::string>& detectors, int k);

// One threshold of the alarm sweep: a target alarms when its statistic >= threshold.
struct MolchanPoint {
  double threshold = 0;
  double hit_rate = 0;  // alarmed events / events = 1 - nu (miss rate)
  double tau = 0;       // alarmed controls / controls (false alarm rate, alarm fraction)
  double gain = 0;      // hit_rate / tau; +inf when tau = 0 < hit_rate, NaN when both 0
};
struct MolchanCurve {
  std::vector<MolchanPoint> points;  // threshold +inf (no alarm) first, then decreasing
  double auc = kMergeNaN;            // P(event > control) + P(tie) / 2 (Mann-Whitney)
  size_t best = 0;                   // index of the largest skill (first on ties)
  double skill = kMergeNaN;          // Molchan skill 1 - nu - tau at `best`
  size_t positives = 0, negatives = 0;
};
// Positives (events) and negatives (controls); NaN statistics are left out.
MolchanCurve molchan_curve(const std::vector<double>& positives,
                           const std::vector<double>& negatives);

// (1 + #draws >= observed) / (1 + #draws), NaN draws left out.
double permutation_p(double observed, const std::vector<double>& draws);

// Everything about one series (a detector or the consensus).
struct SeriesResult {
  std::string name;
  // Superposed epoch analysis, [bin]: pooled rate = sum anomalous / sum valid over events;
  // control_mean = mean over draws of the draw's pooled rate, control_lo/hi = its 2.5 and 97.5
  // percentiles (draws without valid data in the bin left out). NaN where nothing is valid.
  std::vector<double> events_rate, control_mean, control_lo, control_hi;
  std::vector<int64_t> n_anomalous, n_valid;          // events, pooled
  std::vector<int32_t> n_events;                      // events with valid data in the bin
  std::vector<int64_t> event_anomalous, event_valid;  // [event][bin]
  // Precursor window, per event [event]: its counts and rate, the mean rate of its own
  // controls and the permutation p of the event among them.
  std::vector<int64_t> event_window_anomalous, event_window_valid;
  std::vector<double> event_window_rate, event_control_rate, event_p;
  // Precursor window, pooled over events.
  int64_t window_anomalous = 0, window_valid = 0;
  double events_rate_window = kMergeNaN;
  std::vector<double> draw_rates;  // [draw] pooled rate of pseudo-catalogue d (NaN: no data)
  double control_mean_window = kMergeNaN, control_sd_window = kMergeNaN;
  double control_lo_window = kMergeNaN, control_hi_window = kMergeNaN;
  double difference = kMergeNaN;  // events_rate_window - control_mean_window
  double z = kMergeNaN;           // difference / control_sd_window (+-inf when sd = 0)
  double p_value = kMergeNaN;     // permutation_p(events_rate_window, draw_rates)
  // Alarm statistic = a target's anomaly rate in its precursor window.
  MolchanCurve molchan;
};

struct MergeEvent {
  std::string id, source;
  double event_time_s = 0, lat = kMergeNaN, lon = kMergeNaN, magnitude = kMergeNaN;
  std::vector<double> control_times_s;  // [draw] pseudo-event times
};

struct MergeResult {
  MergeParams params;  // as resolved: exclude_days, days_before/after filled in
  int consensus_k = 0;
  std::vector<std::string> detectors;  // the series: the common detectors, then "consensus"
  int first_bin = 0;                   // days_to_event of bin 0
  int nbins = 0;
  std::vector<MergeEvent> events;     // sorted by event time, then id
  std::vector<std::string> excluded;  // runs left out: "<source>: why"
  // Median over runs of (time a pseudo-event may take) / window: how many distinct windows the
  // controls of a run can see. With an exclusion (exclude_days > 0) and a span under
  // kMinControlSpan the permutation p is too small under the null (docs/merge.md).
  double control_span_windows = 0;
  std::vector<SeriesResult> series;
};

// The statistics over reduced runs (every run with the same series, named series_names).
// Runs whose time axis leaves no room for a pseudo-event (window inside the data, outside
// the exclusion) are left out and listed in `excluded`. Throws InputError when no run is left,
// two runs have the same event id, or a parameter is out of range.
MergeResult merge_counts(std::vector<RunCounts> runs, const std::vector<std::string>& series_names,
                         int consensus_k, const MergeParams& params);
// The same from full runs: common detectors, K, count_run, merge_counts. `not_common` (when
// given) receives the detectors some runs have and others lack.
MergeResult merge_runs(const std::vector<MergeRun>& runs, const MergeParams& params,
                       std::vector<std::string>* not_common = nullptr);

// ---- reading (merge_read.cpp) -------------------------------------------------------------------

struct RunDirs {
  std::vector<std::string> complete;    // hold summary.json (sorted, no duplicates)
  std::vector<std::string> incomplete;  // run directories without summary.json
};
// Each argument is a run directory (holds summary.json; or scan.h5 without it: incomplete) or
// a batch root whose immediate subdirectories are run directories. Throws InputError for an
// argument that is missing, not a directory, or holds neither a run nor any run directory.
RunDirs find_run_dirs(const std::vector<std::string>& arguments);
// The `detectors` root attribute of <dir>/scan.h5.
std::vector<std::string> read_run_detectors(const std::string& run_dir);
// <dir>/scan.h5 with only the named detectors (all when empty). Throws InputError naming the
// file for a missing dataset, a wrong shape or a bad event_time.
MergeRun read_run(const std::string& run_dir, const std::vector<std::string>& detectors = {});

// ---- writing (merge_output.cpp) -----------------------------------------------------------------

struct MergeInputs {
  std::vector<std::string> arguments;   // as given on the command line
  std::vector<std::string> skipped;     // incomplete runs (no summary.json)
  std::vector<std::string> not_common;  // detectors left out: not in every run
};
// merge.h5, sea_rates.csv, rate_difference.csv, molchan.csv, events.csv and, last,
// summary.json in out_dir (created). Every file is written to a temp file and renamed.
void write_merge_outputs(const std::string& out_dir, const MergeResult& result,
                         const MergeInputs& inputs);

}  // namespace tecscan
