// tecscan merge: the statistics on synthetic runs with known answers (a planted precursor, pure
// noise, a hand-computed Molchan diagram), determinism, run discovery, and a merge of real scan
// runs of the bundled JPL maps written through the library.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/input_error.hpp"
#include "tecscan/config.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ingest.hpp"
#include "tecscan/merge.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/time.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;
constexpr double kDay = 86400.0;

fs::path temp_dir(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("tecscan_test_merge_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

using tecscan::testing::input_error;

// A run on a regular axis from event - days_before to event + days_after (exclusive), every
// epoch quiet and every DTEC present. flag(detector, node, days_to_event) plants anomalies.
template <typename Flag>
MergeRun synthetic_run(const std::string& id, double event_s, int days_before, int days_after,
                       double step_h, size_t nnode, const std::vector<std::string>& detectors,
                       Flag flag) {
  MergeRun r;
  r.id = id;
  r.source = "synthetic/" + id;
  r.event_time_s = event_s;
  r.nnode = nnode;
  for (double t = event_s - days_before * kDay; t < event_s + days_after * kDay; t += step_h * 3600)
    r.time_s.push_back(t);
  const size_t nt = r.time_s.size();
  r.quiet.assign(nt, 1);
  for (size_t d = 0; d < detectors.size(); ++d) {
    RunDetector det;
    det.name = detectors[d];
    det.anomaly.assign(nnode * nt, 0);
    det.has_dtec.assign(nnode * nt, 1);
    for (size_t n = 0; n < nnode; ++n)
      for (size_t t = 0; t < nt; ++t)
        det.anomaly[n * nt + t] = flag(d, n, (r.time_s[t] - event_s) / kDay) ? 1 : 0;
    r.detectors.push_back(std::move(det));
  }
  return r;
}

const double kEvent0 = 978307200.0;  // 2001-01-01T00:00:00Z

// Six events 37 days apart, alternately on 2-hourly and hourly axes, with every node of the
// networks anomalous in the 5 days before the event and nowhere else; median-iqr never fires.
std::vector<MergeRun> planted_runs() {
  std::vector<MergeRun> runs;
  for (int e = 0; e < 6; ++e)
    runs.push_back(synthetic_run(
        "ev" + std::to_string(e), kEvent0 + e * 37 * kDay, 40, 5, e % 2 ? 1.0 : 2.0, 3,
        {"mlp", "lstm", "median-iqr"},
        [](size_t d, size_t, double days) { return d < 2 && days >= -5 && days < 0; }));
  return runs;
}

// Equal element by element, NaN equal to NaN.
bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

const SeriesResult& series(const MergeResult& r, const std::string& name) {
  for (const SeriesResult& s : r.series)
    if (s.name == name) return s;
  throw std::runtime_error("no series " + name);
}

// ---- building blocks ----------------------------------------------------------------------------

TEST(MergeStats, MolchanCurveOfAHandComputedCase) {
  // Events 0.5 and 0.2, controls 0.4, 0.1, 0, 0 (and a NaN that is left out).
  MolchanCurve c = molchan_curve({0.5, 0.2}, {0.4, 0.1, 0.0, 0.0, kMergeNaN});
  ASSERT_EQ(c.positives, 2u);
  ASSERT_EQ(c.negatives, 4u);
  // threshold: hit rate, tau
  const std::vector<std::array<double, 3>> want = {{INFINITY, 0, 0}, {0.5, 0.5, 0},
                                                   {0.4, 0.5, 0.25}, {0.2, 1, 0.25},
                                                   {0.1, 1, 0.5},    {0.0, 1, 1}};
  ASSERT_EQ(c.points.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(c.points[i].threshold, want[i][0]) << i;
    EXPECT_DOUBLE_EQ(c.points[i].hit_rate, want[i][1]) << i;
    EXPECT_DOUBLE_EQ(c.points[i].tau, want[i][2]) << i;
  }
  EXPECT_TRUE(std::isnan(c.points[0].gain));  // no alarm at all
  EXPECT_TRUE(std::isinf(c.points[1].gain));  // a hit without a false alarm
  EXPECT_DOUBLE_EQ(c.points[2].gain, 2.0);    // 0.5 / 0.25
  EXPECT_DOUBLE_EQ(c.points[3].gain, 4.0);    // 1 / 0.25
  EXPECT_DOUBLE_EQ(c.points[5].gain, 1.0);    // everything alarmed: no gain
  // AUC: 0.5 beats all 4 controls, 0.2 beats 3 -> 7 / 8.
  EXPECT_DOUBLE_EQ(c.auc, 0.875);
  EXPECT_EQ(c.best, 3u);
  EXPECT_DOUBLE_EQ(c.skill, 0.75);
  // Ties count half: one event equal to the one control.
  EXPECT_DOUBLE_EQ(molchan_curve({1.0}, {1.0}).auc, 0.5);
  EXPECT_TRUE(molchan_curve({}, {1.0}).points.empty());
}

TEST(MergeStats, PermutationPCountsTheObservedDrawItself) {
  EXPECT_DOUBLE_EQ(permutation_p(0.3, {0.1, 0.3, 0.5, kMergeNaN}), 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(permutation_p(0.9, {0.1, 0.3, 0.5}), 1.0 / 4.0);
  EXPECT_TRUE(std::isnan(permutation_p(kMergeNaN, {0.1})));
}

TEST(MergeStats, ConsensusKAndCommonDetectors) {
  EXPECT_EQ(resolve_consensus_k(0, 7), 4);  // at least half of 7
  EXPECT_EQ(resolve_consensus_k(0, 6), 3);
  EXPECT_EQ(resolve_consensus_k(0, 1), 1);
  EXPECT_EQ(resolve_consensus_k(2, 6), 2);
  EXPECT_NE(input_error([] { resolve_consensus_k(8, 7); }).find("--consensus 8"),
            std::string::npos);
  EXPECT_NE(input_error([] { resolve_consensus_k(0, 0); }), "");
  EXPECT_EQ(
      common_detectors(
          {{"mlp", "cnn", "median-iqr"}, {"median-iqr", "mlp"}, {"mlp", "gru", "median-iqr"}}),
      (std::vector<std::string>{"mlp", "median-iqr"}));
}

TEST(MergeStats, CountRunValidityQuietAndConsensus) {
  // 2 nodes x 3 epochs, 3 detectors; epoch 1 disturbed.
  MergeRun r;
  r.id = "x";
  r.source = "hand";
  r.time_s = {0, 3600, 7200};
  r.nnode = 2;
  r.quiet = {1, 0, 1};
  auto det = [](const char* name, std::vector<uint8_t> a, std::vector<uint8_t> has) {
    return RunDetector{name, std::move(a), std::move(has)};
  };
  //                 node 0: t0 t1 t2   node 1: t0 t1 t2
  r.detectors = {det("a", {1, 1, 0, 1, 0, 0}, {1, 1, 1, 1, 1, 0}),
                 det("b", {1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 1}),
                 det("c", {0, 1, 0, 0, 0, 1}, {0, 1, 1, 1, 1, 1})};
  RunCounts c = count_run(r, {"a", "b", "c"}, 2);
  ASSERT_EQ(c.series.size(), 4u);
  EXPECT_EQ(c.series[0].valid, (std::vector<int32_t>{2, 0, 1}));  // a: node 1 has no DTEC at t2
  EXPECT_EQ(c.series[0].anomalous, (std::vector<int32_t>{2, 0, 0}));
  EXPECT_EQ(c.series[1].anomalous, (std::vector<int32_t>{1, 0, 1}));
  EXPECT_EQ(c.series[2].valid, (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(c.series[2].anomalous, (std::vector<int32_t>{0, 0, 1}));
  // Consensus K = 2: t0 node 0 has a, b (c has no DTEC) -> anomalous; node 1 only a -> not.
  // t2: node 0 only b; node 1: b and c have DTEC, c flags -> 1 of 2, not anomalous.
  EXPECT_EQ(c.series[3].valid, (std::vector<int32_t>{2, 0, 2}));
  EXPECT_EQ(c.series[3].anomalous, (std::vector<int32_t>{1, 0, 0}));
  EXPECT_NE(input_error([&] { count_run(r, {"a", "zzz"}, 1); }).find("zzz"), std::string::npos);
  r.quiet.pop_back();
  EXPECT_NE(input_error([&] { count_run(r, {"a"}, 1); }).find("hand"), std::string::npos);
}

// ---- the statistics on synthetic catalogues
// ------------------------------------------------------

TEST(MergeStats, APlantedPrecursorGivesRateOneThereAndPerfectSkill) {
  MergeParams p;
  p.controls = 50;
  p.seed = 11;
  p.exclude_days = -1;  // the window: no control window overlaps a planted precursor
  std::vector<std::string> not_common;
  MergeResult r = merge_runs(planted_runs(), p, &not_common);
  EXPECT_TRUE(not_common.empty());
  EXPECT_EQ(r.detectors, (std::vector<std::string>{"mlp", "lstm", "median-iqr", "consensus"}));
  EXPECT_EQ(r.consensus_k, 2);
  EXPECT_EQ(r.first_bin, -40);
  EXPECT_EQ(r.nbins, 45);
  EXPECT_EQ(r.params.exclude_days, 15);  // -1 resolves to the window
  ASSERT_EQ(r.events.size(), 6u);
  EXPECT_TRUE(r.excluded.empty());

  for (const char* name : {"mlp", "lstm", "consensus"}) {
    const SeriesResult& s = series(r, name);
    for (int b = 0; b < r.nbins; ++b) {
      const int day = r.first_bin + b;
      EXPECT_EQ(s.events_rate[b], day >= -5 && day < 0 ? 1.0 : 0.0) << name << " day " << day;
      // 3 nodes x (3 events x 12 + 3 events x 24 epochs a day).
      EXPECT_EQ(s.n_valid[b], 3 * (3 * 12 + 3 * 24)) << day;
      EXPECT_EQ(s.n_events[b], 6);
      if (std::isnan(s.control_mean[b])) continue;  // no pseudo-event has data this far
      EXPECT_LE(s.control_lo[b], s.control_mean[b]);
      EXPECT_LE(s.control_mean[b], s.control_hi[b]);
    }
    // 5 of the window's 15 days are anomalous; no control window touches them.
    EXPECT_DOUBLE_EQ(s.events_rate_window, 1.0 / 3.0) << name;
    for (double w : s.event_window_rate) EXPECT_DOUBLE_EQ(w, 1.0 / 3.0);
    for (double d : s.draw_rates) EXPECT_EQ(d, 0.0);
    EXPECT_EQ(s.control_mean_window, 0.0);
    EXPECT_DOUBLE_EQ(s.difference, 1.0 / 3.0);
    EXPECT_DOUBLE_EQ(s.p_value, 1.0 / 51.0);  // the smallest p 50 draws can give
    EXPECT_TRUE(std::isinf(s.z) && s.z > 0);
    for (double ep : s.event_p) EXPECT_DOUBLE_EQ(ep, 1.0 / 51.0);
    const MolchanCurve& c = s.molchan;
    EXPECT_EQ(c.positives, 6u);
    EXPECT_EQ(c.negatives, 300u);
    EXPECT_EQ(c.auc, 1.0);
    EXPECT_EQ(c.skill, 1.0);
    EXPECT_DOUBLE_EQ(c.points[c.best].threshold, 1.0 / 3.0);
    EXPECT_EQ(c.points[c.best].tau, 0.0);
    for (const MolchanPoint& pt : c.points) {
      if (pt.tau > 0) {
        EXPECT_DOUBLE_EQ(pt.gain, pt.hit_rate / pt.tau);
      }
    }
    EXPECT_DOUBLE_EQ(c.points.back().gain, 1.0);  // threshold 0: every target alarms
  }
  const SeriesResult& quiet = series(r, "median-iqr");
  EXPECT_EQ(quiet.events_rate_window, 0.0);
  EXPECT_EQ(quiet.p_value, 1.0);  // every draw ties with the event
  EXPECT_EQ(quiet.z, 0.0);
  EXPECT_EQ(quiet.molchan.auc, 0.5);

  // The pseudo-events: window inside the data, outside +-15 days of the event.
  for (size_t e = 0; e < r.events.size(); ++e) {
    const MergeEvent& ev = r.events[e];
    EXPECT_EQ(ev.id, "ev" + std::to_string(e));  // sorted by time
    ASSERT_EQ(ev.control_times_s.size(), 50u);
    for (double t : ev.control_times_s) {
      EXPECT_GE(t - 15 * kDay, ev.event_time_s - 40 * kDay);
      EXPECT_LT(t, ev.event_time_s + 5 * kDay);
      EXPECT_GE(std::abs(t - ev.event_time_s), 15 * kDay);
    }
  }
}

struct NullStats {
  double mean_p = 0, mean_auc = 0, max_abs_difference = 0, span = 0;
  int significant = 0;  // p < 0.05
};

// Twenty catalogues of eight events with independent 5 % anomalies everywhere: nothing precedes
// the events, so p should be about uniform and the AUC about 1/2.
NullStats null_catalogues(int days_before, double exclude_days) {
  NullStats out;
  const int catalogues = 20;
  for (int k = 0; k < catalogues; ++k) {
    std::mt19937 gen(1000 + k);
    std::bernoulli_distribution noise(0.05);
    std::vector<MergeRun> runs;
    for (int e = 0; e < 8; ++e)
      runs.push_back(synthetic_run("n" + std::to_string(e), kEvent0 + e * 400 * kDay, days_before,
                                   3, 2.0, 2, {"mlp"},
                                   [&](size_t, size_t, double) { return noise(gen); }));
    MergeParams p;
    p.controls = 99;
    p.seed = static_cast<uint64_t>(k);
    p.exclude_days = exclude_days;
    MergeResult r = merge_runs(runs, p);
    const SeriesResult& s = series(r, "mlp");
    out.mean_p += s.p_value / catalogues;
    out.mean_auc += s.molchan.auc / catalogues;
    out.significant += s.p_value < 0.05;
    out.max_abs_difference = std::max(out.max_abs_difference, std::abs(s.difference));
    out.span = r.control_span_windows;
  }
  return out;
}

TEST(MergeStats, NoSignalIsNotSignificantAndAucIsNearOneHalf) {
  // Long runs (150 days before): the default exclusion leaves 120 days for pseudo-events.
  NullStats s = null_catalogues(150, -1);
  EXPECT_DOUBLE_EQ(s.span, 120.0 / 15.0);
  EXPECT_NEAR(s.mean_p, 0.5, 0.15);
  EXPECT_NEAR(s.mean_auc, 0.5, 0.08);
  EXPECT_LE(s.significant, 4);  // about 1 expected at 5 %
  EXPECT_LT(s.max_abs_difference, 0.03);
  // Short runs (40 days before) without an exclusion: the event's window is one of those the
  // pseudo-events can take, so p stays calibrated.
  s = null_catalogues(40, 0);
  EXPECT_NEAR(s.mean_p, 0.5, 0.15);
  EXPECT_LE(s.significant, 4);
  // Short runs with the exclusion: the span that makes merge warn.
  MergeParams excluding;
  excluding.exclude_days = -1;
  EXPECT_LT(merge_runs(planted_runs(), excluding).control_span_windows, kMinControlSpan);
}

TEST(MergeStats, SameSeedSameResultOtherSeedOtherDraws) {
  MergeParams p;
  p.controls = 20;
  p.seed = 5;
  std::vector<MergeRun> runs = planted_runs();
  // Some noise so the draws' rates differ from draw to draw.
  runs[2].detectors[2].anomaly[100] = 1;
  runs[4].detectors[2].anomaly[7] = 1;
  MergeResult a = merge_runs(runs, p);
  std::reverse(runs.begin(), runs.end());  // the input order does not matter
  MergeResult b = merge_runs(runs, p);
  p.seed = 6;
  MergeResult c = merge_runs(runs, p);
  for (size_t e = 0; e < a.events.size(); ++e) {
    EXPECT_EQ(a.events[e].control_times_s, b.events[e].control_times_s);
    EXPECT_NE(a.events[e].control_times_s, c.events[e].control_times_s);
  }
  for (size_t s = 0; s < a.series.size(); ++s) {
    EXPECT_TRUE(same(a.series[s].draw_rates, b.series[s].draw_rates));
    EXPECT_TRUE(same(a.series[s].control_mean, b.series[s].control_mean));
    EXPECT_TRUE(same(a.series[s].control_hi, b.series[s].control_hi));
    EXPECT_EQ(a.series[s].p_value, b.series[s].p_value);
  }
  // An event's draws depend on its id, not on the other events.
  runs.pop_back();
  p.seed = 5;
  MergeResult d = merge_runs(runs, p);
  EXPECT_EQ(d.events[0].control_times_s, a.events[1].control_times_s);
}

TEST(MergeStats, WindowBinsExclusionAndDetectorSets) {
  std::vector<MergeRun> runs = planted_runs();
  // One run holds an extra detector: left out and reported.
  RunDetector extra = runs[0].detectors[0];
  extra.name = "cnn";
  runs[0].detectors.push_back(extra);
  // A short run: 20 days before the event leave no pseudo-event 15 days from it with 15 days of
  // data before it.
  runs.push_back(synthetic_run("short", kEvent0 + 400 * kDay, 20, 1, 2.0, 1,
                               {"mlp", "lstm", "median-iqr"},
                               [](size_t, size_t, double) { return false; }));
  MergeParams p;
  p.controls = 10;
  p.days_before = 10;
  p.days_after = 2;
  p.window_days = 5;
  p.exclude_days = 0;
  p.consensus_k = 1;
  std::vector<std::string> not_common;
  MergeResult r = merge_runs(runs, p, &not_common);
  EXPECT_EQ(not_common, (std::vector<std::string>{"cnn"}));
  EXPECT_EQ(r.first_bin, -10);
  EXPECT_EQ(r.nbins, 12);
  EXPECT_EQ(r.consensus_k, 1);
  // With a 5-day window and no exclusion the short run fits.
  EXPECT_EQ(r.events.size(), 7u);
  EXPECT_DOUBLE_EQ(series(r, "mlp").event_window_rate[0], 1.0);  // the window is all anomalous
  EXPECT_FALSE(std::isnan(series(r, "mlp").event_p.back()));

  p = MergeParams();
  p.controls = 10;
  p.exclude_days = -1;  // +-15 days around the event: the short run has no room left
  r = merge_runs(runs, p);
  ASSERT_EQ(r.excluded.size(), 1u);
  EXPECT_NE(r.excluded[0].find("synthetic/short"), std::string::npos) << r.excluded[0];
  EXPECT_EQ(r.events.size(), 6u);

  EXPECT_NE(input_error([&] { merge_runs({runs.back()}, p); }).find("--window-days"),
            std::string::npos);
  std::vector<MergeRun> twice = {runs[0], runs[0]};
  twice[1].source = "elsewhere";
  EXPECT_NE(input_error([&] { merge_runs(twice, p); }).find("ev0"), std::string::npos);
  p.controls = 0;
  EXPECT_NE(input_error([&] { merge_runs(planted_runs(), p); }).find("--controls"),
            std::string::npos);
}

TEST(MergeStats, EventsWithoutQuietWindowsGiveNaNNotNumbers) {
  // A storm over every event's window: nothing valid there, so no rate, no p, no diagram; the
  // outputs still write, with empty CSV fields and JSON nulls.
  std::vector<MergeRun> runs = planted_runs();
  for (MergeRun& r : runs)
    for (size_t t = 0; t < r.time_s.size(); ++t)
      if (r.time_s[t] >= r.event_time_s - 15 * kDay && r.time_s[t] < r.event_time_s) r.quiet[t] = 0;
  MergeParams p;
  p.controls = 10;
  MergeResult r = merge_runs(runs, p);
  const SeriesResult& s = series(r, "mlp");
  EXPECT_EQ(s.window_valid, 0);
  EXPECT_TRUE(std::isnan(s.events_rate_window));
  EXPECT_TRUE(std::isnan(s.p_value));
  EXPECT_TRUE(std::isnan(s.z));
  EXPECT_TRUE(s.molchan.points.empty());
  EXPECT_TRUE(std::isnan(s.events_rate[r.nbins - 6]));  // day -1
  const fs::path out = temp_dir("nan");
  write_merge_outputs(out.string(), r, MergeInputs());
  auto j = nlohmann::json::parse(read_text(out / "summary.json"));
  EXPECT_TRUE(j["results"]["mlp"]["p_value"].is_null());
  EXPECT_TRUE(j["results"]["mlp"]["auc"].is_null());
  EXPECT_NE(read_text(out / "sea_rates.csv").find("\nmlp,-1,,"), std::string::npos);
  fs::remove_all(out);
}

// ---- run directories ---------------------------------------------------------------------------

TEST(MergeRead, FindsRunsInBatchRootsAndSkipsIncompleteOnes) {
  const fs::path d = temp_dir("find");
  fs::create_directories(d / "batch" / "ev1");
  fs::create_directories(d / "batch" / "ev2");
  fs::create_directories(d / "single");
  fs::create_directories(d / "empty");
  std::ofstream(d / "batch" / "ev1" / "summary.json") << "{}";
  std::ofstream(d / "batch" / "ev2" / "scan.h5") << "";  // interrupted before summary.json
  std::ofstream(d / "single" / "summary.json") << "{}";
  RunDirs r =
      find_run_dirs({(d / "batch").string(), (d / "single").string(), (d / "single/").string()});
  EXPECT_EQ(r.complete,
            (std::vector<std::string>{(d / "batch" / "ev1").string(), (d / "single").string()}));
  EXPECT_EQ(r.incomplete, (std::vector<std::string>{(d / "batch" / "ev2").string()}));
  r = find_run_dirs({(d / "batch" / "ev2").string()});  // a run directory without summary.json
  EXPECT_TRUE(r.complete.empty());
  EXPECT_EQ(r.incomplete.size(), 1u);
  EXPECT_NE(input_error([&] { find_run_dirs({(d / "empty").string()}); }).find("nothing to merge"),
            std::string::npos);
  EXPECT_NE(input_error([&] { find_run_dirs({(d / "nope").string()}); }).find("nope"),
            std::string::npos);
  EXPECT_NE(input_error([&] { read_run((d / "batch" / "ev1").string()); }).find("scan.h5"),
            std::string::npos);
  fs::remove_all(d);
}

// ---- real runs of the bundled JPL maps
// -----------------------------------------------------------

// Three M >= 6.8 events of the catalogue inside the maps (2000-11-21 .. 2001-01-14), each with
// the nodes within 400 km, 30 days before and 1 after, mlp (2 epochs) and median-iqr; plus an
// interrupted run. Written once for the suite.
class MergeRealRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("real"));
    ScanConfig cfg;
    cfg.scan.models = {"mlp", "median-iqr"};
    cfg.model.mlp_hidden = 8;
    cfg.train.epochs = 2;
    // Solar maximum and no Dst for January 2001: with the paper's F10.7 < 120 and missing-index
    // policy no epoch would be quiet, and there would be nothing to merge.
    cfg.quiet.f107_max = 300;
    cfg.quiet.ignore_missing = true;
    auto trainer = make_cpu_trainer(2);
    ScanOptions opt;
    opt.quiet_progress = true;
    for (const char* id : {"usp000a7m5", "usp000a7f2", "usp000a70h"}) {
      IngestOptions in;
      in.ionex = {TECSCAN_SOURCE_DIR "/data/ionex/jpl-2000-2001"};
      in.indices = {TECSCAN_SOURCE_DIR "/data/indices/SW-All.txt",
                    TECSCAN_SOURCE_DIR "/data/indices/dst2000.txt"};
      in.catalog = TECSCAN_SOURCE_DIR "/data/catalogs/comcat_m4.5_2000-10_2001-02.csv";
      in.event_id = id;
      in.radius_km = 400;
      in.days_before = 30;
      in.days_after = 1;
      in.verbose = false;
      Cube cube = build_cube(in);
      run_scan(cube, cfg, *trainer, (batch() / id).string(), opt);
    }
    fs::create_directories(batch() / "interrupted");
    fs::copy_file(batch() / "usp000a7m5" / "scan.h5", batch() / "interrupted" / "scan.h5");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path batch() { return *dir_ / "batch"; }
  static fs::path* dir_;
};
fs::path* MergeRealRuns::dir_ = nullptr;

TEST_F(MergeRealRuns, CountsAgreeWithEachRunsSummary) {
  RunDirs dirs = find_run_dirs({batch().string()});
  ASSERT_EQ(dirs.complete.size(), 3u);
  long quiet_all = 0, anomalies_all = 0;
  ASSERT_EQ(dirs.incomplete, (std::vector<std::string>{(batch() / "interrupted").string()}));
  for (const std::string& d : dirs.complete) {
    EXPECT_EQ(read_run_detectors(d), (std::vector<std::string>{"mlp", "median-iqr"}));
    MergeRun run = read_run(d);
    auto summary = nlohmann::json::parse(read_text(fs::path(d) / "summary.json"));
    EXPECT_EQ(run.id, summary["event"]["id"]);
    EXPECT_EQ(run.id, fs::path(d).filename().string());
    EXPECT_NEAR(run.event_time_s,
                static_cast<double>(parse_iso_time(summary["event"]["time"].get<std::string>())),
                1.0);
    EXPECT_EQ(run.time_s.size(), summary["cube"]["epochs"].get<size_t>());
    EXPECT_EQ(run.nnode, summary["cube"]["nodes"].get<size_t>());
    RunCounts c = count_run(run, {"mlp", "median-iqr"}, 1);
    for (size_t m = 0; m < 2; ++m) {
      long total = 0;
      for (int32_t a : c.series[m].anomalous) total += a;
      // Every quiet anomaly of the run is counted, none twice.
      EXPECT_EQ(total, summary["models"][run.detectors[m].name]["anomalies"].get<long>()) << d;
      anomalies_all += total;
    }
    long quiet = 0;
    for (uint8_t q : run.quiet) quiet += q;
    EXPECT_EQ(quiet, summary["quiet_epochs"].get<long>());
    quiet_all += quiet;
  }
  EXPECT_GT(quiet_all, 100);  // something to count
  EXPECT_GT(anomalies_all, 0);
}

TEST_F(MergeRealRuns, MergeWritesConsistentTables) {
  RunDirs dirs = find_run_dirs({batch().string()});
  std::vector<MergeRun> runs;
  for (const std::string& d : dirs.complete) runs.push_back(read_run(d));
  MergeParams p;
  p.controls = 30;
  p.window_days = 10;
  p.exclude_days = 5;
  MergeResult r = merge_runs(runs, p);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events.front().id, "usp000a70h");  // 2001-01-01, the earliest
  EXPECT_EQ(r.first_bin, -30);
  EXPECT_EQ(r.nbins, 31);  // -30 .. 0: every cube ends within a day after its event
  MergeInputs in;
  in.arguments = {batch().string()};
  in.skipped = dirs.incomplete;
  const fs::path out = *dir_ / "merged";
  write_merge_outputs(out.string(), r, in);

  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(out)) files.push_back(f.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files,
            (std::vector<std::string>{"events.csv", "merge.h5", "molchan.csv",
                                      "rate_difference.csv", "sea_rates.csv", "summary.json"}));
  auto sea = lines_of(read_text(out / "sea_rates.csv"));
  ASSERT_GE(sea.size(), 2u);
  EXPECT_EQ(sea[0],
            "detector,days_to_event,events_rate,control_mean,control_lo,control_hi,n_valid,"
            "n_anomalous,n_events");
  EXPECT_EQ(sea.size(), 1 + 3u * 31);  // mlp, median-iqr, consensus
  EXPECT_EQ(sea[1].rfind("mlp,-30,", 0), 0u) << sea[1];
  auto molchan = lines_of(read_text(out / "molchan.csv"));
  ASSERT_GE(molchan.size(), 2u);
  EXPECT_EQ(molchan[0], "detector,threshold,nu,tau,hit_rate,false_alarm_rate,gain");
  EXPECT_EQ(molchan[1].rfind("mlp,inf,1,0,0,0,", 0), 0u) << molchan[1];
  auto rd = lines_of(read_text(out / "rate_difference.csv"));
  EXPECT_EQ(rd.size(), 4u);
  EXPECT_EQ(lines_of(read_text(out / "events.csv")).size(), 1 + 3u * 3);

  auto j = nlohmann::json::parse(read_text(out / "summary.json"));
  EXPECT_EQ(j["n_events"], 3);
  EXPECT_EQ(j["n_skipped"], 1);
  EXPECT_EQ(j["inputs"]["skipped_incomplete"][0], (batch() / "interrupted").string());
  EXPECT_EQ(j["parameters"]["seed"], 1);
  EXPECT_EQ(j["parameters"]["controls"], 30);
  EXPECT_EQ(j["parameters"]["consensus_k"], 1);  // half of two detectors
  for (const char* m : {"mlp", "median-iqr", "consensus"}) {
    const auto& s = j["results"][m];
    const SeriesResult& sr = series(r, m);
    ASSERT_TRUE(s["p_value"].is_number()) << m;
    EXPECT_DOUBLE_EQ(s["p_value"].get<double>(), sr.p_value);
    EXPECT_GE(sr.p_value, 1.0 / 31.0);
    EXPECT_LE(sr.p_value, 1.0);
    EXPECT_GE(s["auc"].get<double>(), 0.0);
    EXPECT_LE(s["auc"].get<double>(), 1.0);
  }
  // The consensus with K = 1 is "any detector": its rate is at least each detector's.
  for (int b = 0; b < r.nbins; ++b) {
    EXPECT_GE(series(r, "consensus").n_anomalous[b], series(r, "mlp").n_anomalous[b]) << b;
    EXPECT_GE(series(r, "consensus").n_valid[b], series(r, "mlp").n_valid[b]) << b;
  }

  if (std::system("/usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 lacks h5py: merge.h5 not checked from Python";
  const std::string script =
      "import sys, h5py, numpy as np\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "names = [n.decode() if isinstance(n, bytes) else n for n in f['detector'][:]]\n"
      "assert names == ['mlp', 'median-iqr', 'consensus'], names\n"
      "assert f['sea/events_rate'].shape == (3, 31)\n"
      "assert f['sea/events_rate'].attrs['units'] in (b'1', '1')\n"
      "assert f['days_to_event'][0] == -30 and f['days_to_event'][-1] == 0\n"
      "a, v = f['sea/n_anomalous'][:], f['sea/n_valid'][:]\n"
      "rate = f['sea/events_rate'][:]\n"
      "ok = v > 0\n"
      "assert np.allclose(rate[ok], a[ok] / v[ok]) and np.isnan(rate[~ok]).all()\n"
      "assert (f['events/anomalous'][:].sum(axis=1) == a).all()\n"
      "assert f['events/anomalous'].shape == (3, 3, 31)\n"
      "assert f['controls/time'].shape == (3, 30)\n"
      "assert f['controls/window_rate'].shape == (3, 30)\n"
      "p = f['rate_difference/p_value'][:]\n"
      "d = f['controls/window_rate'][:]\n"
      "e = f['rate_difference/events_rate'][:]\n"
      "assert np.allclose(p, (1 + (d >= e[:, None]).sum(axis=1)) / 31.0), p\n"
      "nu, tau = f['molchan/mlp/nu'][:], f['molchan/mlp/tau'][:]\n"
      "assert nu[0] == 1 and tau[0] == 0 and nu[-1] == 0 and tau[-1] == 1\n"
      "assert (np.diff(nu) <= 0).all() and (np.diff(tau) >= 0).all()\n"
      "auc = np.sum(np.diff(tau) * (2 - nu[1:] - nu[:-1]) / 2)\n"
      "assert abs(auc - f['roc/auc'][0]) < 1e-12, (auc, f['roc/auc'][0])\n"
      "assert f.attrs['n_events'] == 3 and f.attrs['controls'] == 30\n";
  const fs::path py = *dir_ / "check_merge.py";
  std::ofstream(py) << script;
  const std::string cmd = "/usr/bin/python3 " + py.string() + " " + (out / "merge.h5").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
}  // namespace tecscan
