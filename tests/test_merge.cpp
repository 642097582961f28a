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
#include "tecscan/rng.hpp"
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
  EXPECT_TRUE(j["results"]["mlp"]["p_value_not_calibrated"].is_null());
  EXPECT_TRUE(j["results"]["mlp"]["auc"].is_null());
  EXPECT_NE(read_text(out / "sea_rates.csv").find("\nmlp,-1,,"), std::string::npos);
  fs::remove_all(out);
}

// ---- pooled per-event significance --------------------------------------------------------------

// One series of one event as a scan would write it, with the scan's p (ties count against it).
EventSignificance event_sig(const std::string& name, double window,
                            const std::vector<double>& controls) {
  EventSignificance e;
  e.name = name;
  e.window_rate = window;
  e.control_rates = controls;
  size_t at_least = 0;
  for (double c : controls) at_least += c >= window;
  e.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + controls.size());
  return e;
}

std::vector<const EventSignificance*> pointers(const std::vector<EventSignificance>& v) {
  std::vector<const EventSignificance*> out;
  for (const EventSignificance& e : v) out.push_back(&e);
  return out;
}

std::vector<uint64_t> keys_for(size_t n, uint64_t seed) {
  std::vector<uint64_t> k;
  for (size_t i = 0; i < n; ++i) k.push_back(rng_key(seed, i, 0, 0));
  return k;
}

TEST(MergeSignificance, FisherAgainstHandValues) {
  // One p: chi-square with 2 dof has survival exp(-x / 2) = p itself.
  EXPECT_NEAR(fisher_combined_p({0.37}), 0.37, 1e-15);
  // Two p: Q = p1 p2 (1 - ln(p1 p2)) = 0.02 (1 - ln 0.02) = 0.0982404601...
  EXPECT_NEAR(fisher_combined_p({0.1, 0.2}), 0.02 * (1 - std::log(0.02)), 1e-15);
  // Five p = e^-2: X = 20 with 10 dof; a chi-square table gives P(chi2_10 >= 20) = 0.0292527.
  const double e2 = std::exp(-2.0);
  EXPECT_NEAR(fisher_combined_p({e2, e2, e2, e2, e2}), 0.0292526881, 1e-9);
  // 1000 p = 0.3: X = 2407.9 with 2000 dof; the Wilson-Hilferty cube-root approximation gives
  // z = 6.067, p = 6.5e-10 (good to a few % this far out).
  std::vector<double> many(1000, 0.3);
  EXPECT_NEAR(fisher_combined_p(many), 6.5e-10, 0.3e-10);
  EXPECT_EQ(fisher_combined_p({1.0, 1.0}), 1.0);                 // no evidence at all
  EXPECT_NEAR(fisher_combined_p({0.1, kMergeNaN}), 0.1, 1e-15);  // NaN left out
  EXPECT_TRUE(std::isnan(fisher_combined_p({})));
  EXPECT_NE(input_error([] { fisher_combined_p({0.0}); }), "");
  EXPECT_NE(input_error([] { fisher_combined_p({1.5}); }), "");
}

TEST(MergeSignificance, PooledStatisticNullSdAndExactPermutationPByHand) {
  // A: window 0.3 against controls 0.1, 0.2 -> excess 0.15, p 1/3.
  // B: window 0 against four controls of 0.1 -> excess -0.1, p 1.
  // C (no window rate) and D (no control) are left out.
  std::vector<EventSignificance> ev = {event_sig("m", 0.3, {0.1, 0.2}),
                                       event_sig("m", 0.0, {0.1, 0.1, 0.1, 0.1}),
                                       event_sig("m", kMergeNaN, {0.1}), event_sig("m", 0.2, {})};
  ev[2].p_value = kMergeNaN;
  PooledSignificance p = pooled_significance(pointers(ev), keys_for(4, 1), 99999);
  EXPECT_EQ(p.events, 2u);
  EXPECT_NEAR(p.sum_excess, 0.05, 1e-15);
  EXPECT_NEAR(p.mean_excess, 0.025, 1e-15);
  // Null: A takes 0.3, 0.1 or 0.2 as its window -> excess 0.15, -0.15, 0 (variance 0.015);
  // B takes 0 -> -0.1 or a 0.1 -> 0.025 (4 ways; variance (0.01 + 4 x 0.000625) / 5 = 0.0025).
  EXPECT_NEAR(p.null_sd, std::sqrt(0.0175), 1e-15);
  EXPECT_NEAR(p.z, 0.05 / std::sqrt(0.0175), 1e-12);
  // Of the 3 x 5 equally likely draws, S* >= 0.05 in 5 (A 0.15 with any B; the tie counts):
  // p -> 1/3 (1/(1 + N) resolution; the Monte Carlo sd at N = 99999 is 0.0015).
  EXPECT_NEAR(p.p_permutation, 1.0 / 3.0, 0.005);
  // Fisher over p = 1/3 and 1: Q(2, ln 3) = (1/3)(1 + ln 3).
  EXPECT_NEAR(p.p_fisher, (1 + std::log(3.0)) / 3.0, 1e-12);
  EXPECT_NEAR(p.fisher_statistic, 2 * std::log(3.0), 1e-12);
  EXPECT_EQ(p.events_p_below_005, 0u);

  // The draws depend on the (event, key) pairs, not on the order of the events.
  std::vector<const EventSignificance*> rev = pointers(ev);
  std::vector<uint64_t> rkeys = keys_for(4, 1);
  std::reverse(rev.begin(), rev.end());
  std::reverse(rkeys.begin(), rkeys.end());
  EXPECT_EQ(pooled_significance(rev, rkeys, 99999).p_permutation, p.p_permutation);
  EXPECT_NE(pooled_significance(pointers(ev), keys_for(4, 2), 99999).p_permutation,
            p.p_permutation);
  // No usable event: counts 0, numbers NaN.
  PooledSignificance none = pooled_significance({&ev[2], &ev[3]}, keys_for(2, 1), 99);
  EXPECT_EQ(none.events, 0u);
  EXPECT_TRUE(std::isnan(none.p_permutation) && std::isnan(none.p_fisher) &&
              std::isnan(none.mean_excess));
  EXPECT_NE(input_error([&] { pooled_significance(pointers(ev), keys_for(3, 1), 99); }), "");
}

TEST(MergeSignificance, OverlappingControlsAreThinnedToDisjointWindows) {
  // 31 controls ending 15, 16, ..., 45 days before the event (a scan with a 1-day step): the
  // 15-day windows ending at -15, -30 and -45 overlap neither each other nor the precursor.
  EventSignificance e;
  e.window_rate = 0.02;
  for (int k = 0; k <= 30; ++k) {
    e.control_end_day.push_back(-15.0 - k);
    e.control_rates.push_back(k % 15 == 0 ? 0.01 * (1 + k / 15) : 0.5);  // 0.01, 0.02, 0.03
  }
  e.p_value = 30.0 / 32.0;                                           // among all 31 (the scan's p)
  std::reverse(e.control_end_day.begin(), e.control_end_day.end());  // any order
  std::reverse(e.control_rates.begin(), e.control_rates.end());
  EventSignificance d = disjoint_controls(e, 15.0);
  EXPECT_EQ(d.control_end_day, (std::vector<double>{-15, -30, -45}));
  EXPECT_EQ(d.control_rates, (std::vector<double>{0.01, 0.02, 0.03}));
  EXPECT_DOUBLE_EQ(d.p_value, 3.0 / 4.0);  // 0.02 and 0.03 >= 0.02
  // Already disjoint (the scan's default step): unchanged, the scan's p kept.
  d.p_value = 0.123;
  EXPECT_EQ(disjoint_controls(d, 15.0).p_value, 0.123);
  EXPECT_EQ(disjoint_controls(d, 15.0).control_rates, d.control_rates);
  // A 20-day window: only -20 and -40 (the window ending at -15 overlaps the precursor).
  EXPECT_EQ(disjoint_controls(e, 20.0).control_end_day, (std::vector<double>{-20, -40}));
  // Without end days nothing can be told: every control is used.
  EventSignificance bare = e;
  bare.control_end_day.clear();
  EXPECT_EQ(disjoint_controls(bare, 15.0).control_rates.size(), 31u);
}

TEST(MergeSignificance, APlantedExcessIsSignificantAndTiesAreNot) {
  // 20 events whose precursor rate 0.05 exceeds every one of their 30 control rates (0.5-1.5 %).
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> control(0.005, 0.015);
  std::vector<EventSignificance> ev;
  for (int e = 0; e < 20; ++e) {
    std::vector<double> c(30);
    for (double& x : c) x = control(gen);
    ev.push_back(event_sig("m", 0.05, c));
  }
  PooledSignificance p = pooled_significance(pointers(ev), keys_for(20, 7), 999);
  EXPECT_EQ(p.events, 20u);
  EXPECT_NEAR(p.mean_excess, 0.04, 0.001);
  EXPECT_DOUBLE_EQ(p.p_permutation, 1.0 / 1000.0);  // no draw reaches S
  EXPECT_GT(p.z, 10.0);
  // 20 events at p = 1/31: X = 40 ln 31 = 137.4 with 40 dof, P = 1.33e-12.
  EXPECT_NEAR(p.p_fisher, 1.333e-12, 0.001e-12);
  EXPECT_EQ(p.events_p_below_005, 20u);
  // Every window alike: S = 0 and every draw ties with it, so nothing is significant.
  for (EventSignificance& e : ev) e = event_sig("m", 0.01, std::vector<double>(30, 0.01));
  p = pooled_significance(pointers(ev), keys_for(20, 7), 999);
  EXPECT_EQ(p.p_permutation, 1.0);
  EXPECT_EQ(p.z, 0.0);
  EXPECT_EQ(p.p_fisher, 1.0);
}

TEST(MergeSignificance, PermutationPIsUniformForExchangeableWindows) {
  // 400 catalogues of 8 events whose precursor and control rates come from one distribution
  // (each event its own level and a random number of controls): P(p <= a) should be a.
  const int catalogues = 400;
  std::vector<double> ps;
  int below = 0;
  for (int k = 0; k < catalogues; ++k) {
    std::mt19937 gen(500 + k);
    std::vector<EventSignificance> ev;
    for (int e = 0; e < 8; ++e) {
      const double level = std::uniform_real_distribution<double>(0.002, 0.05)(gen);
      std::gamma_distribution<double> rate(4.0, level / 4.0);
      const int n = std::uniform_int_distribution<int>(3, 40)(gen);
      std::vector<double> c(static_cast<size_t>(n));
      for (double& x : c) x = rate(gen);
      ev.push_back(event_sig("m", rate(gen), c));
    }
    const double p =
        pooled_significance(pointers(ev), keys_for(8, static_cast<uint64_t>(k)), 499).p_permutation;
    ps.push_back(p);
    below += p < 0.05;
  }
  std::sort(ps.begin(), ps.end());
  double ks = 0;
  for (size_t i = 0; i < ps.size(); ++i)
    ks = std::max({ks, std::abs(ps[i] - static_cast<double>(i) / catalogues),
                   std::abs(ps[i] - static_cast<double>(i + 1) / catalogues)});
  // KS critical value at the 1 % level: 1.628 / sqrt(400) = 0.081.
  EXPECT_LT(ks, 0.081);
  // Binomial(400, 0.05): mean 20, 99.9 % of draws within [7, 35].
  EXPECT_GE(below, 7);
  EXPECT_LE(below, 35);
}

// Significance for every series of a synthetic run: series d's precursor rate is its rate in
// [E - 15 d, E) and the controls are 20 windows ending 15 .. 34 days before (as a scan's
// control_rates would be, from the run's own flags).
void attach_significance(MergeRun& r, const std::vector<std::string>& series) {
  r.significance = RunSignificance();
  const RunCounts c = count_run(r, series, 2);
  r.significance.present = true;
  r.significance.window_days = 15;
  r.significance.consensus_min = 2;
  r.significance.null = "test";
  std::vector<std::string> names = series;
  names.push_back("consensus");
  for (size_t s = 0; s < names.size(); ++s) {
    auto window = [&](double end) {
      int64_t a = 0, v = 0;
      for (size_t t = 0; t < r.time_s.size(); ++t)
        if (r.time_s[t] >= end - 15 * kDay && r.time_s[t] < end)
          a += c.series[s].anomalous[t], v += c.series[s].valid[t];
      return v > 0 ? static_cast<double>(a) / static_cast<double>(v) : kMergeNaN;
    };
    std::vector<double> controls;
    for (int k = 0; k < 20; ++k) controls.push_back(window(r.event_time_s - (15 + k) * kDay));
    r.significance.series.push_back(event_sig(names[s], window(r.event_time_s), controls));
  }
}

TEST(MergeSignificance, MergePoolsTheScansSignificanceAndNamesRunsWithoutIt) {
  std::vector<MergeRun> runs = planted_runs();  // 40 days before each event
  // A few scattered flags so the control windows differ.
  std::mt19937 gen(9);
  for (MergeRun& r : runs)
    for (RunDetector& d : r.detectors)
      for (uint8_t& a : d.anomaly) a = a || std::bernoulli_distribution(0.01)(gen);
  for (size_t e = 0; e + 1 < runs.size(); ++e)
    attach_significance(runs[e], {"mlp", "lstm", "median-iqr"});
  // The last run predates /significance.
  MergeParams p;
  p.controls = 20;
  p.permutations = 999;
  MergeResult r = merge_runs(runs, p);
  ASSERT_EQ(r.events.size(), 6u);
  EXPECT_EQ(r.without_significance, (std::vector<std::string>{"synthetic/ev5"}));
  EXPECT_EQ(r.significance_window_days, (std::vector<double>{15.0}));
  EXPECT_EQ(r.significance_consensus_min, (std::vector<int>{2}));
  for (const char* name : {"mlp", "lstm", "consensus"}) {
    const SeriesResult& s = series(r, name);
    EXPECT_EQ(s.pooled.events, 5u) << name;
    EXPECT_DOUBLE_EQ(s.pooled.p_permutation, 1.0 / 1000.0) << name;  // the planted 5 days
    EXPECT_EQ(s.pooled.events_p_below_005, 5u) << name;
    EXPECT_GT(s.pooled.mean_excess, 0.3) << name;  // 5 of 15 days at rate 1
    EXPECT_TRUE(std::isnan(s.sig_p_value[5]));
    EXPECT_EQ(s.sig_n_controls[5], 0);
    EXPECT_NEAR(s.sig_p_value[0], 1.0 / 21.0, 1e-15);
  }
  const SeriesResult& quiet = series(r, "median-iqr");  // only the scattered flags
  EXPECT_GT(quiet.pooled.p_permutation, 0.01);
  EXPECT_LT(std::abs(quiet.pooled.mean_excess), 0.01);

  const fs::path out = temp_dir("significance");
  write_merge_outputs(out.string(), r, MergeInputs());
  auto rows = lines_of(read_text(out / "significance.csv"));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], "detector,events,mean_excess,p_permutation,z,p_fisher,events_p_below_0.05");
  EXPECT_EQ(rows[1].rfind("mlp,5,", 0), 0u) << rows[1];
  EXPECT_NE(rows[1].find(",0.001,"), std::string::npos) << rows[1];
  auto j = nlohmann::json::parse(read_text(out / "summary.json"));
  const auto& sig = j["significance"];
  EXPECT_EQ(sig["null"], kPooledNull);
  EXPECT_EQ(sig["permutations"], 999);
  EXPECT_EQ(sig["n_runs"], 5);
  EXPECT_EQ(sig["runs_without_significance"][0], "synthetic/ev5");
  ASSERT_EQ(sig["detectors"].size(), 4u);
  EXPECT_EQ(sig["detectors"][0]["name"], "mlp");
  EXPECT_DOUBLE_EQ(sig["detectors"][0]["p_permutation"].get<double>(), 0.001);
  EXPECT_EQ(sig["detectors"][0]["events_p_below_0.05"], 5);
  // The pseudo-event p is kept, marked as not calibrated.
  EXPECT_TRUE(j["results"]["mlp"].contains("p_value_not_calibrated"));
  EXPECT_FALSE(j["results"]["mlp"].contains("p_value"));
  EXPECT_NE(j["results_note"].get<std::string>().find("not calibrated"), std::string::npos);
  auto events = lines_of(read_text(out / "events.csv"));
  EXPECT_NE(events[0].find(",scan_window_rate,scan_control_mean,scan_p_value,scan_n_controls"),
            std::string::npos);
  fs::remove_all(out);

  // No run with /significance: the merge still runs; the pooled test has no event.
  for (MergeRun& run : runs) run.significance = RunSignificance();
  r = merge_runs(runs, p);
  EXPECT_EQ(r.without_significance.size(), 6u);
  EXPECT_EQ(series(r, "mlp").pooled.events, 0u);
  EXPECT_TRUE(std::isnan(series(r, "mlp").pooled.p_permutation));
  // A run whose /significance lacks a detector is an error naming the run.
  attach_significance(runs[0], {"mlp"});
  EXPECT_NE(input_error([&] { merge_runs(runs, p); }).find("synthetic/ev0"), std::string::npos);
}

// ---- run directories ---------------------------------------------------------------------------

TEST(MergeRead, FindsRunsInBatchRootsAndSkipsIncompleteOnes) {
  const fs::path d = temp_dir("find");
  fs::create_directories(d / "batch" / "ev1");
  fs::create_directories(d / "batch" / "ev2");
  fs::create_directories(d / "single");
  fs::create_directories(d / "empty");
  fs::create_directories(d / "batch" / "ev3");
  const char* summary = R"({"outputs": ["scan.h5"]})";
  std::ofstream(d / "batch" / "ev1" / "summary.json") << summary;
  std::ofstream(d / "batch" / "ev1" / "scan.h5") << "not HDF5";
  std::ofstream(d / "batch" / "ev2" / "scan.h5") << "";  // interrupted before summary.json
  // Complete once, then its scan.h5 was lost: not pooled, and the reason is kept.
  std::ofstream(d / "batch" / "ev3" / "summary.json") << summary;
  std::ofstream(d / "single" / "summary.json") << summary;
  std::ofstream(d / "single" / "scan.h5") << "not HDF5";
  RunDirs r =
      find_run_dirs({(d / "batch").string(), (d / "single").string(), (d / "single/").string()});
  EXPECT_EQ(r.complete,
            (std::vector<std::string>{(d / "batch" / "ev1").string(), (d / "single").string()}));
  EXPECT_EQ(r.incomplete, (std::vector<std::string>{(d / "batch" / "ev2").string(),
                                                    (d / "batch" / "ev3").string()}));
  ASSERT_EQ(r.reasons.count((d / "batch" / "ev3").string()), 1u);
  EXPECT_NE(r.reasons[(d / "batch" / "ev3").string()].find(R"("scan.h5", which is missing)"),
            std::string::npos);
  EXPECT_EQ(r.reasons.count((d / "batch" / "ev2").string()), 0u);  // no summary.json: said so
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
// the nodes within 400 km, 31 days before (room for one control window of the scan's
// significance before its precursor window) and 1 after, mlp (2 epochs) and median-iqr; plus an
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
      in.days_before = 31;
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
    // The scan's per-event significance, read back as its summary states it.
    ASSERT_TRUE(run.significance.present) << d;
    EXPECT_DOUBLE_EQ(run.significance.window_days,
                     summary["significance"]["window_days"].get<double>());
    EXPECT_EQ(run.significance.null, summary["significance"]["null"]);
    const auto& sj = summary["significance"]["detectors"];
    ASSERT_EQ(run.significance.series.size(), sj.size());  // mlp, median-iqr, consensus
    for (size_t i = 0; i < sj.size(); ++i) {
      const EventSignificance& es = run.significance.series[i];
      EXPECT_EQ(es.name, sj[i]["name"]);
      EXPECT_EQ(es.control_rates.size(), sj[i]["n_controls"].get<size_t>()) << es.name;
      EXPECT_EQ(es.control_end_day.size(), es.control_rates.size());
      if (sj[i]["p_value"].is_number()) {
        EXPECT_DOUBLE_EQ(es.p_value, sj[i]["p_value"].get<double>()) << es.name;
      } else {
        EXPECT_TRUE(std::isnan(es.p_value)) << es.name;
      }
      if (sj[i]["window_rate"].is_number()) {
        EXPECT_DOUBLE_EQ(es.window_rate, sj[i]["window_rate"].get<double>()) << es.name;
      }
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
  EXPECT_EQ(r.first_bin, -31);
  EXPECT_EQ(r.nbins, 32);  // -31 .. 0: every cube ends within a day after its event
  MergeInputs in;
  in.arguments = {batch().string()};
  in.skipped = dirs.incomplete;
  const fs::path out = *dir_ / "merged";
  write_merge_outputs(out.string(), r, in);

  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(out)) files.push_back(f.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"events.csv", "merge.h5", "molchan.csv",
                                             "rate_difference.csv", "sea_rates.csv",
                                             "significance.csv", "summary.json"}));
  auto sea = lines_of(read_text(out / "sea_rates.csv"));
  ASSERT_GE(sea.size(), 2u);
  EXPECT_EQ(sea[0],
            "detector,days_to_event,events_rate,control_mean,control_lo,control_hi,n_valid,"
            "n_anomalous,n_events");
  EXPECT_EQ(sea.size(), 1 + 3u * 32);  // mlp, median-iqr, consensus
  EXPECT_EQ(sea[1].rfind("mlp,-31,", 0), 0u) << sea[1];
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
    ASSERT_TRUE(s["p_value_not_calibrated"].is_number()) << m;
    EXPECT_DOUBLE_EQ(s["p_value_not_calibrated"].get<double>(), sr.p_value);
    EXPECT_GE(sr.p_value, 1.0 / 31.0);
    EXPECT_LE(sr.p_value, 1.0);
    EXPECT_GE(s["auc"].get<double>(), 0.0);
    EXPECT_LE(s["auc"].get<double>(), 1.0);
  }
  // The pooled significance over the scans' own windows: every run has it; an event enters a
  // series when its precursor window has a rate and at least one control window.
  EXPECT_EQ(j["significance"]["n_runs"], 3);
  EXPECT_TRUE(j["significance"]["runs_without_significance"].empty());
  EXPECT_TRUE(j["significance"]["runs_with_overlapping_controls"].empty());  // disjoint default
  for (size_t s = 0; s < r.series.size(); ++s) {
    size_t usable = 0;
    for (const MergeRun& run : runs)
      for (const EventSignificance& es : run.significance.series)
        if (es.name == r.series[s].name)
          usable += std::isfinite(es.window_rate) && !es.control_rates.empty();
    EXPECT_EQ(r.series[s].pooled.events, usable) << r.series[s].name;
    EXPECT_EQ(j["significance"]["detectors"][s]["events"], usable);
  }
  EXPECT_EQ(series(r, "mlp").pooled.events, 3u);  // one control window each
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
      "assert f['sea/events_rate'].shape == (3, 32)\n"
      "assert f['sea/events_rate'].attrs['units'] in (b'1', '1')\n"
      "assert f['days_to_event'][0] == -31 and f['days_to_event'][-1] == 0\n"
      "a, v = f['sea/n_anomalous'][:], f['sea/n_valid'][:]\n"
      "rate = f['sea/events_rate'][:]\n"
      "ok = v > 0\n"
      "assert np.allclose(rate[ok], a[ok] / v[ok]) and np.isnan(rate[~ok]).all()\n"
      "assert (f['events/anomalous'][:].sum(axis=1) == a).all()\n"
      "assert f['events/anomalous'].shape == (3, 3, 32)\n"
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
