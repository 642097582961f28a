// Statistics across many events' scan runs (`tecscan merge`, docs/merge.md): the pooled
// per-event significance (each scan's precursor window against its own control windows: a
// stratified permutation test and Fisher's combination, the headline), the superposed epoch
// analysis of the anomaly rate, random pseudo-event controls, the precursor-window rate
// difference (not calibrated under the null) and the Molchan / ROC skill of an alarm statistic.
//
// The computation is pure: runs in memory in, tables out. merge_read.cpp fills MergeRun from
// run directories, merge_output.cpp writes MergeResult.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
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
  // No pseudo-event within +-exclude_days of the event; < 0: the window. > 0 makes the
  // pseudo-event p too small on short runs (docs/merge.md, 'The pseudo-event p-value').
  double exclude_days = 0;
  // Superposed-epoch bins of 1 day: b = -days_before .. days_after - 1, bin b holding
  // b <= days_to_event < b + 1. < 0: from the runs' extent (earliest / latest epoch).
  int days_before = -1, days_after = -1;
  // Null draws of the pooled significance test (each event's precursor window replaced by one
  // of its windows at random); the draws depend only on (seed, event id, series, draw).
  int permutations = 9999;
};

// What `tecscan merge` says the pooled significance test is compared against.
extern const char* const kPooledNull;

// One series' per-event significance as its scan wrote it (scan.h5 /significance/<name>): the
// anomaly rate in the precursor window and in the control windows of the same length before it.
struct EventSignificance {
  std::string name;                   // a detector or "consensus"
  double window_rate = kMergeNaN;     // attribute window_rate
  std::vector<double> control_rates;  // /significance/<name>/control_rates
  // /significance/<name>/control_end_day: each control window's end, days to the event (the
  // window is [end - window_days, end)); may be empty (then every control is used).
  std::vector<double> control_end_day;
  double p_value = kMergeNaN;  // attribute p_value: the scan's per-event p
};

// The control windows that overlap neither the precursor window nor each other: from the one
// nearest the event backwards, a window is kept when it ends no later than the last kept one
// begins (end <= last kept end - window_days; the precursor counts as kept). Disjoint windows keep
// the precursor window exchangeable with its controls when the scan's control_step_days is
// shorter than the window (overlapping windows share epochs, so they vary less than an
// independent window and p would come out too small). With nothing dropped the event is
// returned as it is; otherwise p is recomputed over the kept controls (the scan's formula).
EventSignificance disjoint_controls(const EventSignificance& event, double window_days);

// A run's /significance group; `present` is false for runs scanned before it existed.
struct RunSignificance {
  bool present = false;
  double window_days = kMergeNaN;  // group attributes
  double control_step_days = kMergeNaN;
  int consensus_min = 0;
  std::string null;
  std::vector<EventSignificance> series;
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
  RunSignificance significance;  // every detector of the run, then "consensus"
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
  // When present: series in the order of `series` (the scan's consensus: its consensus_min over
  // the run's own detectors, not the merge's K).
  RunSignificance significance;
};

// The detectors every run has, in the order of the first run.
std::vector<std::string> common_detectors(const std::vector<std::vector<std::string>>& sets);
// K for `requested` (0 = ceil(ndetectors / 2)); throws InputError when K > ndetectors or < 0.
int resolve_consensus_k(int requested, size_t ndetectors);
// Valid = DTEC not NaN and quiet; anomalous = anomaly flag at a valid (node, epoch).
// Consensus: anomalous when >= k of `detectors` flag it, valid when quiet and >= k of them
// have DTEC. Throws InputError (naming run.source) when a detector is missing or an array
// has the wrong size, or when the run has /significance without one of the detectors.
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

// Fisher's combination of independent p-values: X = -2 sum ln p_i is chi-square with 2k degrees
// of freedom under the null; returns P(chi2_2k >= X) (exact for even degrees of freedom: the
// Poisson series exp(-X/2) sum_{i<k} (X/2)^i / i!). NaN p-values are left out; NaN when none is
// left. Throws InputError for a p outside (0, 1].
double fisher_combined_p(const std::vector<double>& p_values);

// The pooled significance of one series over the events (docs/merge.md, section 1).
struct PooledSignificance {
  size_t events = 0;                    // events with a precursor rate, a p and >= 1 control window
  double sum_excess = kMergeNaN;        // S = sum_e (window_rate_e - mean(control_rates_e))
  double mean_excess = kMergeNaN;       // S / events
  double null_sd = kMergeNaN;           // standard deviation of S over the permutation null (exact)
  double z = kMergeNaN;                 // S / null_sd (the null mean of S is 0)
  double p_permutation = kMergeNaN;     // (1 + #{S* >= S}) / (1 + permutations)
  double fisher_statistic = kMergeNaN;  // -2 sum ln p_e
  double p_fisher = kMergeNaN;          // fisher_combined_p of the events' p
  size_t events_p_below_005 = 0;        // events with p_e < 0.05
};
// The stratified permutation test: in each of `permutations` draws every event independently
// takes one of its n_e + 1 windows (the precursor and its n_e controls) uniformly at random as
// its "precursor" and the other n_e as its controls; S* sums window - mean(controls) over the
// events. Event e's choice in draw d is rng_u64(keys[e], d) (keys[e] from the seed, the event
// id and the series), so the draws do not depend on the order of the events. Events without a
// finite window rate, a finite p or any finite control rate are left out.
PooledSignificance pooled_significance(const std::vector<const EventSignificance*>& events,
                                       const std::vector<uint64_t>& keys, int permutations);

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
  // The scans' per-event significance over its disjoint control windows (disjoint_controls),
  // [event] (NaN / 0 where a run has none), and its pooled tests over the events that have it:
  // the calibrated headline.
  std::vector<double> sig_window_rate, sig_control_mean, sig_p_value;
  std::vector<int32_t> sig_n_controls;
  PooledSignificance pooled;
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
  // The pooled significance's inputs: runs without /significance (their sources), and the
  // distinct window lengths, consensus_min values and scan nulls of the runs with it.
  std::vector<std::string> without_significance;
  // Runs whose scan used overlapping control windows (control_step_days < window_days): only a
  // disjoint subset of them entered the pooled tests.
  std::vector<std::string> overlapping_controls;
  std::vector<double> significance_window_days;
  std::vector<int> significance_consensus_min;
  std::vector<std::string> significance_scan_null;
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
  std::vector<std::string> complete;  // hold summary.json (sorted, no duplicates)
  // Run directories without summary.json, or whose summary.json lists an output that is missing
  // or empty (incomplete_run_reason, batch.hpp).
  std::vector<std::string> incomplete;
  std::map<std::string, std::string> reasons;  // why, for those with a summary.json
};
// Each argument is a run directory (holds summary.json; or scan.h5 without it: incomplete) or
// a batch root whose immediate subdirectories are run directories. Throws InputError for an
// argument that is missing, not a directory, or holds neither a run nor any run directory.
RunDirs find_run_dirs(const std::vector<std::string>& arguments);
// The `detectors` root attribute of <dir>/scan.h5.
std::vector<std::string> read_run_detectors(const std::string& run_dir);
// <dir>/scan.h5 with only the named detectors (all when empty), and their /significance
// (with "consensus") when the file has that group. Throws InputError naming the file for a
// missing dataset, a wrong shape or a bad event_time.
MergeRun read_run(const std::string& run_dir, const std::vector<std::string>& detectors = {});

// ---- writing (merge_output.cpp) -----------------------------------------------------------------

struct MergeInputs {
  std::vector<std::string> arguments;   // as given on the command line
  std::vector<std::string> skipped;     // incomplete runs (no summary.json)
  std::vector<std::string> not_common;  // detectors left out: not in every run
};
// Refuses an output directory holding a scan run or a batch root, or a file of the user's that
// a merge output would replace (InputError naming it and the option).
void require_merge_output_dir(const std::string& out_dir, const std::string& option);

// merge.h5, significance.csv, sea_rates.csv, rate_difference.csv, molchan.csv, events.csv and,
// last, summary.json in out_dir (created). Every file is written to a temp file and renamed.
void write_merge_outputs(const std::string& out_dir, const MergeResult& result,
                         const MergeInputs& inputs);

}  // namespace tecscan
