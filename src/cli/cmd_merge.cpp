// tecscan merge: statistics across many events' scan runs (docs/merge.md).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "commands.hpp"
#include "tecscan/error.hpp"
#include "tecscan/merge.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out;
  MergeParams params;
  long long seed = 1;
  bool quiet = false;
};

// The ranges of the numeric options (docs/errors.md).
constexpr NumberRange kConsensusRange{0, 100, false, false, true};  // 0: half the detectors
constexpr NumberRange kControlsRange{1, 100000, false, false, true};
constexpr NumberRange kSeedRange{0, kInf, false, false, true};
constexpr NumberRange kWindowDaysRange{0, 3650, true, false};

std::string fmt(double v, const char* f = "%.4g") {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

int run_merge(const MergeArgs& a) {
  MergeParams params = a.params;
  params.seed = static_cast<uint64_t>(a.seed);
  require_output_not_input(a.out, a.inputs, "--out", true);
  require_merge_output_dir(a.out, "--out");

  RunDirs dirs = find_run_dirs(a.inputs);
  for (const std::string& d : dirs.incomplete) {
    const auto why = dirs.reasons.find(d);
    std::fprintf(stderr, "warning: skipped %s: %s (an incomplete run)\n", d.c_str(),
                 why == dirs.reasons.end() ? "no summary.json" : why->second.c_str());
  }
  if (dirs.complete.empty())
    throw InputError(
        "merge: no complete run among the inputs (a complete run directory holds "
        "summary.json, written last by 'tecscan scan')");

  // Pass 1: the detector names only, to choose the common set before reading any array.
  std::vector<std::vector<std::string>> sets;
  for (const std::string& d : dirs.complete) sets.push_back(read_run_detectors(d));
  const std::vector<std::string> common = common_detectors(sets);
  std::set<std::string> rest;
  for (const auto& s : sets)
    for (const std::string& name : s)
      if (std::find(common.begin(), common.end(), name) == common.end()) rest.insert(name);
  if (!rest.empty()) {
    std::string list;
    for (const std::string& name : rest) list += (list.empty() ? "" : ", ") + name;
    std::fprintf(stderr, "note: detectors not in every run are left out: %s\n", list.c_str());
  }
  const int k = resolve_consensus_k(params.consensus_k, common.size());

  // Pass 2: each run reduced to per-epoch counts at once, so memory stays small.
  std::vector<RunCounts> counts;
  {
    Progress progress("read runs", static_cast<long>(dirs.complete.size()), a.quiet);
    for (const std::string& d : dirs.complete) {
      counts.push_back(count_run(read_run(d, common), common, k));
      progress.advance();
    }
  }
  std::vector<std::string> names = common;
  names.push_back("consensus");
  if (!a.quiet)
    std::fprintf(stderr, "statistics: %zu events, %zu series, %d controls per event, seed %llu\n",
                 counts.size(), names.size(), params.controls,
                 static_cast<unsigned long long>(params.seed));
  MergeResult result = merge_counts(std::move(counts), names, k, params);
  for (const std::string& why : result.excluded)
    std::fprintf(stderr, "warning: left out %s\n", why.c_str());
  const size_t with_sig = result.events.size() - result.without_significance.size();
  if (!result.without_significance.empty()) {
    std::fprintf(stderr,
                 "note: %zu of %zu runs have no per-event significance (/significance in scan.h5: "
                 "scanned by an older tecscan); the pooled significance uses the other %zu:\n",
                 result.without_significance.size(), result.events.size(), with_sig);
    for (const std::string& d : result.without_significance)
      std::fprintf(stderr, "  %s\n", d.c_str());
  }
  if (!result.overlapping_controls.empty())
    std::fprintf(stderr,
                 "note: %zu runs were scanned with control windows that overlap each other "
                 "(control_step_days < window_days); the pooled significance uses a disjoint "
                 "subset of them (docs/merge.md)\n",
                 result.overlapping_controls.size());
  if (result.significance_window_days.size() > 1)
    std::fprintf(stderr,
                 "warning: the runs' precursor windows differ in length (scan [significance] "
                 "window_days): the pooled significance mixes them\n");
  if (result.significance_consensus_min.size() > 1)
    std::fprintf(stderr,
                 "warning: the runs' consensus_min differ: the pooled consensus significance "
                 "mixes different consensus rules\n");
  if (result.params.exclude_days > 0 && result.control_span_windows < kMinControlSpan)
    std::fprintf(stderr,
                 "warning: pseudo-events can take only %.1f window lengths of time per run "
                 "(median): their windows overlap, so the pseudo-event p is too small under the "
                 "null; use --exclude-days 0 or scans with more days before the events "
                 "(docs/merge.md, 'The pseudo-event p-value')\n",
                 result.control_span_windows);

  MergeInputs in;
  in.arguments = a.inputs;
  in.skipped = dirs.incomplete;
  in.not_common.assign(rest.begin(), rest.end());
  write_merge_outputs(a.out, result, in);

  std::printf("%zu events (%zu incomplete runs skipped), %zu with per-event significance\n",
              result.events.size(), dirs.incomplete.size(), with_sig);
  std::printf(
      "pooled significance (null: %s; %d permutations):\n"
      "%-11s %6s %12s %10s %8s %10s %8s\n",
      kPooledNull, result.params.permutations, "detector", "events", "mean_excess", "p_perm", "z",
      "p_fisher", "p<0.05");
  for (const SeriesResult& s : result.series) {
    const PooledSignificance& p = s.pooled;
    std::printf("%-11s %6zu %12s %10s %8s %10s %8zu\n", s.name.c_str(), p.events,
                fmt(p.mean_excess).c_str(), fmt(p.p_permutation, "%.3g").c_str(),
                fmt(p.z, "%.3g").c_str(), fmt(p.p_fisher, "%.3g").c_str(), p.events_p_below_005);
  }
  std::printf(
      "pseudo-event rate difference, window [-%s, 0) days, consensus >= %d (p NOT calibrated "
      "under the null: docs/merge.md):\n",
      fmt(result.params.window_days).c_str(), result.consensus_k);
  std::printf("%-11s %10s %10s %10s %8s %8s %6s %9s\n", "detector", "event_rate", "control",
              "difference", "p", "z", "auc", "best_gain");
  for (const SeriesResult& s : result.series) {
    const MolchanCurve& c = s.molchan;
    const double gain = c.points.empty() ? kMergeNaN : c.points[c.best].gain;
    std::printf("%-11s %10s %10s %10s %8s %8s %6s %9s\n", s.name.c_str(),
                fmt(s.events_rate_window).c_str(), fmt(s.control_mean_window).c_str(),
                fmt(s.difference).c_str(), fmt(s.p_value, "%.3g").c_str(), fmt(s.z, "%.3g").c_str(),
                fmt(c.auc, "%.3f").c_str(), fmt(gain, "%.3g").c_str());
  }
  std::printf(
      "results: %s/{merge.h5,significance.csv,sea_rates.csv,rate_difference.csv,molchan.csv,"
      "events.csv,summary.json}\n",
      a.out.c_str());
  return 0;
}

}  // namespace

Command add_merge(CLI::App& app) {
  auto a = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Statistics across many events' scan runs. The headline: each scan's per-event "
      "significance (its precursor window against control windows of its own series) pooled "
      "over the events by a stratified permutation test and Fisher's combination "
      "(significance.csv). Also the superposed-epoch anomaly rate per day relative to the "
      "events, the same for random pseudo-events drawn from each run's own time axis (with a "
      "95 % band), the pseudo-event rate difference (its p is not calibrated under the null) "
      "and Molchan / ROC diagrams of the window rate as an alarm; per detector and for the "
      "consensus. docs/merge.md defines every number.\n"
      "Inputs: run directories of 'tecscan scan' (with summary.json) or batch roots holding one "
      "run directory per event; runs without summary.json are skipped with a warning.\n"
      "Examples:\n"
      "  tecscan merge runs/m7 --out stats/m7\n"
      "  tecscan merge runs/ev1 runs/ev2 runs/ev3 --permutations 99999 --controls 1000 \\\n"
      "      --seed 7 --window-days 10 \\\n"
      "      --consensus 3 --days-before 30 --days-after 5 --out stats/three");
  cmd->add_option("runs", a->inputs, "run directories or batch roots")->required();
  cmd->add_option("--out,-o", a->out, "output directory (created; files replaced atomically)")
      ->required();
  cmd->add_option("--consensus", a->params.consensus_k,
                  "consensus series: anomalous when >= K of the common detectors flag it "
                  "(0 = half of them, rounded up)")
      ->default_val(0)
      ->check(in_range(kConsensusRange));
  cmd->add_option("--controls", a->params.controls, "pseudo-events drawn per event")
      ->default_val(200)
      ->check(in_range(kControlsRange));
  cmd->add_option("--permutations", a->params.permutations,
                  "null draws of the pooled significance test (p >= 1 / (N + 1))")
      ->default_val(9999)
      ->check(CLI::Range(1, 100000000));
  cmd->add_option("--seed", a->seed, "seed of the pseudo-event and permutation draws")
      ->default_val(1)
      ->check(in_range(kSeedRange));
  cmd->add_option("--window-days", a->params.window_days,
                  "precursor window [-W, 0) days before each (pseudo-)event of the rate "
                  "difference and Molchan diagram (the pooled significance uses each scan's own "
                  "window)")
      ->default_val(15)
      ->check(in_range(kWindowDaysRange));
  cmd->add_option("--exclude-days", a->params.exclude_days,
                  "no pseudo-event within +-X days of the real event (default 0: pseudo-events "
                  "anywhere; X > 0 makes their p too small on short scans; see docs/merge.md, "
                  "'The pseudo-event p-value')")
      ->check(in_range(kDaysRange));
  // Superposed-epoch bins are whole days (MergeParams::days_before / days_after are ints).
  constexpr NumberRange kWholeDaysRange{0, 3650, false, false, true};
  cmd->add_option("--days-before", a->params.days_before,
                  "superposed epochs from -D days (default: the runs' earliest epoch)")
      ->check(in_range(kWholeDaysRange));
  cmd->add_option("--days-after", a->params.days_after,
                  "superposed epochs to +A days (default: the runs' latest epoch)")
      ->check(in_range(kWholeDaysRange));
  cmd->add_flag("--quiet,-q", a->quiet, "no progress output");
  return {cmd, [a] { return run_merge(*a); }};
}

}  // namespace tecscan::cli
