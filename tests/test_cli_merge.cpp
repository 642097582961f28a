// `tecscan merge` end to end: run directories in the layout of docs/outputs.md (written here with
// a planted precursor so the answers are known), exit codes, warnings, files and determinism.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_tecscan.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/time.hpp"

namespace fs = std::filesystem;

namespace {

using Result = tecscan::testing::CliResult;
using tecscan::testing::read_text;
using tecscan::testing::run_tecscan;

fs::path temp_dir(const std::string& name) {
  return tecscan::testing::fresh_temp_dir("cli_merge_" + name);
}

// A run directory as 'tecscan scan' writes it (the parts merge reads): 2 nodes, hourly epochs
// from 40 days before to 3 days after the event, every epoch quiet but the first day, detectors
// mlp and median-iqr. mlp flags every node in the 4 days before the event; both flag a few
// scattered epochs (so the controls' rates depend on the seed); median-iqr has no DTEC at node 1.
// With control_step_days > 0, the scan's /significance group: 25 control windows ending every
// step before the precursor window (hand-made rates; the merge takes them as given), mlp (and
// the consensus) with a precursor rate above all of them, median-iqr with one in their middle.
void write_run(const fs::path& dir, const std::string& id, tecscan::TimeS event, bool complete,
               double control_step_days = 15) {
  fs::create_directories(dir);
  const size_t nn = 2, nt = 43 * 24;
  std::vector<double> hours(nt);
  std::vector<uint8_t> quiet(nt, 1);
  for (size_t t = 0; t < nt; ++t) {
    hours[t] = static_cast<double>(event - 40 * tecscan::kDay + static_cast<long>(t) * 3600) / 3600;
    quiet[t] = t >= 24;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> dtec_mlp(nn * nt, 0.1f), dtec_med(nn * nt, 0.2f);
  std::vector<uint8_t> an_mlp(nn * nt, 0), an_med(nn * nt, 0);
  const uint64_t key = tecscan::rng_key(static_cast<uint64_t>(event), 0, 0, 0);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const size_t i = n * nt + t;
      const bool precursor = t >= 36 * 24 && t < 40 * 24;
      const bool scattered = tecscan::rng_u64(key, i) % 100 == 0 && quiet[t];  // 1 %
      an_mlp[i] = (precursor || scattered) && quiet[t];
      an_med[i] = scattered && n == 0;
      if (n == 1) dtec_med[i] = nan;
    }
  tecscan::H5File f = tecscan::H5File::create((dir / "scan.h5").string());
  f.write("time", hours, {nt}, {{"units", "hours since 1970-01-01 00:00:00"}});
  f.write("quiet", quiet, {nt});
  f.write("dtec/mlp", dtec_mlp, {nn, nt});
  f.write("dtec/median-iqr", dtec_med, {nn, nt});
  f.write("anomaly/mlp", an_mlp, {nn, nt});
  f.write("anomaly/median-iqr", an_med, {nn, nt});
  f.set_attr("/", "event_id", id);
  f.set_attr("/", "event_time", tecscan::format_iso(event));
  f.set_attr("/", "event_lat", 10.0);
  f.set_attr("/", "event_lon", 20.0);
  f.set_attr("/", "event_magnitude", 7.0);
  f.set_attr("/", "detectors", "mlp\nmedian-iqr");
  if (control_step_days > 0) {
    f.create_group("significance");
    f.set_attr("significance", "window_days", 15.0);
    f.set_attr("significance", "control_step_days", control_step_days);
    f.set_attr("significance", "event_time", tecscan::format_iso(event));
    f.set_attr("significance", "null", "kfold-5 out-of-sample predictions; control windows");
    f.set_attr("significance", "consensus_min", 1);
    for (const char* name : {"mlp", "median-iqr", "consensus"}) {
      const std::string g = std::string("significance/") + name;
      std::vector<double> controls(25), end_day(25);
      for (size_t k = 0; k < 25; ++k) {
        controls[k] = 0.004 * static_cast<double>((k * 7 + static_cast<size_t>(event)) % 5);
        end_day[k] = -15.0 - control_step_days * static_cast<double>(k);
      }
      const double window = std::string(name) == "median-iqr" ? 0.008 : 0.27;
      size_t at_least = 0;
      for (double c : controls) at_least += c >= window;
      f.write(g + "/control_rates", controls, {25});
      f.write(g + "/control_end_day", end_day, {25});
      f.set_attr(g, "window_rate", window);
      f.set_attr(g, "p_value", static_cast<double>(1 + at_least) / 26.0);
      f.set_attr(g, "n_controls", static_cast<int64_t>(25));
    }
  }
  f.commit();
  if (complete)
    std::ofstream(dir / "summary.json") << R"({"outputs": ["scan.h5"]})"
                                        << "\n";
}

class CliMerge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("runs"));
    const tecscan::TimeS first = tecscan::make_time(2010, 3, 1, 6);
    // ev2 was scanned with overlapping control windows (a step of 1 day), ev3 before per-event
    // significance existed.
    const double step[4] = {15, 15, 1, 0};
    for (int e = 0; e < 4; ++e)
      write_run(root() / ("ev" + std::to_string(e)), "ev" + std::to_string(e),
                first + e * 60 * tecscan::kDay, true, step[e]);
    write_run(root() / "half", "half", first + 400 * tecscan::kDay, false);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static fs::path root() { return *dir_ / "batch"; }
  static fs::path* dir_;
};
fs::path* CliMerge::dir_ = nullptr;

}  // namespace

TEST_F(CliMerge, HelpTeachesWithAnExample) {
  Result h = run_tecscan("merge --help");
  EXPECT_EQ(h.status, 0);
  for (const char* s : {"Example", "--permutations", "--controls", "--seed", "--window-days",
                        "--exclude-days", "--consensus", "--days-before", "--days-after", "--out"})
    EXPECT_NE(h.output.find(s), std::string::npos) << s;
}

TEST_F(CliMerge, MergesABatchRootSkipsTheIncompleteRunAndFindsThePrecursor) {
  const fs::path out = *dir_ / "out";
  Result r = run_tecscan("merge " + root().string() +
                         " --controls 40 --permutations 999 --seed 3 --exclude-days 15 --out " +
                         out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("warning: skipped " + (root() / "half").string()), std::string::npos)
      << r.output;
  for (const char* f : {"merge.h5", "significance.csv", "sea_rates.csv", "rate_difference.csv",
                        "molchan.csv", "events.csv", "summary.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  for (const auto& f : fs::directory_iterator(out))
    EXPECT_EQ(f.path().filename().string().find(".tmp."), std::string::npos) << f.path();

  auto j = nlohmann::json::parse(read_text(out / "summary.json"));
  EXPECT_EQ(j["n_events"], 4);
  EXPECT_EQ(j["n_skipped"], 1);
  EXPECT_EQ(j["inputs"]["skipped_incomplete"][0], (root() / "half").string());
  EXPECT_EQ(j["detectors"], (std::vector<std::string>{"mlp", "median-iqr", "consensus"}));
  EXPECT_EQ(j["parameters"]["window_days"], 15.0);
  EXPECT_EQ(j["parameters"]["exclude_days"], 15.0);
  EXPECT_EQ(j["parameters"]["seed"], 3);
  // 40 days before the event leave pseudo-events 10 days (2/3 of a window): merge says so.
  EXPECT_NEAR(j["diagnostics"]["control_span_windows"].get<double>(), 10.0 / 15.0, 1e-9);
  EXPECT_EQ(j["diagnostics"]["anti_conservative_p"], true);
  EXPECT_NE(r.output.find("pseudo-event p is too small"), std::string::npos) << r.output;
  // The headline: the scans' own significance pooled over the three runs that have it; ev3 is
  // named on stderr and in the summary.
  EXPECT_NE(r.output.find("note: 1 of 4 runs have no per-event significance"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find((root() / "ev3").string()), std::string::npos) << r.output;
  const auto& sig = j["significance"];
  EXPECT_EQ(sig["n_runs"], 3);
  EXPECT_EQ(sig["runs_without_significance"][0], (root() / "ev3").string());
  EXPECT_EQ(sig["permutations"], 999);
  EXPECT_EQ(sig["window_days"][0], 15.0);
  EXPECT_NE(sig["null"].get<std::string>().find("control windows"), std::string::npos);
  ASSERT_EQ(sig["detectors"].size(), 3u);
  EXPECT_EQ(sig["detectors"][0]["name"], "mlp");
  EXPECT_EQ(sig["detectors"][0]["events"], 3);
  // ev2's 25 overlapping controls are thinned to the disjoint ones ending 15 and 30 days
  // before the event.
  EXPECT_NE(r.output.find("note: 1 runs were scanned with control windows that overlap"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(sig["runs_with_overlapping_controls"],
            (std::vector<std::string>{(root() / "ev2").string()}));
  // Every event's window beats all its controls: a draw reaches S only when each event keeps
  // its own precursor, probability (1/26)^2 / 3 = 0.0005.
  EXPECT_LE(sig["detectors"][0]["p_permutation"].get<double>(), 0.004);
  EXPECT_EQ(sig["detectors"][0]["events_p_below_0.05"], 2);  // ev2: p = 1/3
  // Fisher over p = 1/26, 1/26, 1/3: Q(3, y) with y = 2 ln 26 + ln 3.
  const double y = 2 * std::log(26.0) + std::log(3.0);
  EXPECT_NEAR(sig["detectors"][0]["p_fisher"].get<double>(), std::exp(-y) * (1 + y + y * y / 2),
              1e-12);
  EXPECT_GT(sig["detectors"][1]["p_permutation"].get<double>(), 0.05);  // median-iqr
  const std::string table = read_text(out / "significance.csv");
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "detector,events,mean_excess,p_permutation,z,p_fisher,events_p_below_0.05");
  EXPECT_NE(table.find("\nmlp,3,0.2"), std::string::npos) << table;
  EXPECT_NE(table.find("\nconsensus,3,"), std::string::npos) << table;
  tecscan::H5File h5 = tecscan::H5File::open_read((out / "merge.h5").string());
  EXPECT_EQ(h5.read_double("significance/p_permutation")[0],
            sig["detectors"][0]["p_permutation"].get<double>());
  EXPECT_EQ(h5.read_int32("significance/event_n_controls"),
            (std::vector<int32_t>{25, 25, 2, 0, 25, 25, 2, 0, 25, 25, 2, 0}));
  EXPECT_EQ(h5.read_int32("significance/events"), (std::vector<int32_t>{3, 3, 3}));
  EXPECT_EQ(h5.dims("significance/event_p_value"), (std::vector<size_t>{3, 4}));
  EXPECT_TRUE(std::isnan(h5.read_double("significance/event_p_value")[3]));  // mlp, ev3

  // The pseudo-event rate difference stays, marked as not calibrated.
  EXPECT_NE(r.output.find("NOT calibrated"), std::string::npos) << r.output;
  const auto& mlp = j["results"]["mlp"];
  // 4 of 15 window days are anomalous at every node: the rate is at least 4/15 and no pseudo
  // catalogue (the scattered flags only) comes near it.
  EXPECT_GE(mlp["events_rate"].get<double>(), 4.0 / 15.0);
  EXPECT_LT(mlp["control_mean"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(mlp["p_value_not_calibrated"].get<double>(), 1.0 / 41.0);
  EXPECT_GT(mlp["z_not_calibrated"].get<double>(), 10.0);
  EXPECT_EQ(mlp["auc"].get<double>(), 1.0);
  EXPECT_EQ(mlp["best_tau"].get<double>(), 0.0);
  EXPECT_TRUE(mlp["best_gain"].is_null());  // infinite: hits without a false alarm
  // median-iqr sees only the scattered flags: nothing to find.
  EXPECT_GT(j["results"]["median-iqr"]["p_value_not_calibrated"].get<double>(), 0.05);

  // sea_rates.csv: mlp rate 1 on days -4..-1 (every node flagged), one row per day and series.
  std::istringstream sea(read_text(out / "sea_rates.csv"));
  std::string line;
  std::getline(sea, line);
  int rows = 0, ones = 0;
  while (std::getline(sea, line)) {
    ++rows;
    if (line.rfind("mlp,-4,1,", 0) == 0 || line.rfind("mlp,-3,1,", 0) == 0 ||
        line.rfind("mlp,-2,1,", 0) == 0 || line.rfind("mlp,-1,1,", 0) == 0)
      ++ones;
  }
  EXPECT_EQ(rows, 3 * 43);  // bins -40..2
  EXPECT_EQ(ones, 4);
}

TEST_F(CliMerge, SameSeedSameFilesOtherSeedOtherControls) {
  const fs::path a = *dir_ / "a", b = *dir_ / "b", c = *dir_ / "c";
  const std::string args = "merge " + (root() / "ev0").string() + " " + (root() / "ev1").string() +
                           " " + (root() / "ev2").string() + " --controls 25 --quiet --out ";
  ASSERT_EQ(run_tecscan(args + a.string() + " --seed 9").status, 0);
  ASSERT_EQ(run_tecscan(args + b.string() + " --seed 9").status, 0);
  ASSERT_EQ(run_tecscan(args + c.string() + " --seed 10").status, 0);
  for (const char* f :
       {"significance.csv", "sea_rates.csv", "rate_difference.csv", "molchan.csv", "events.csv"}) {
    EXPECT_EQ(read_text(a / f), read_text(b / f)) << f;
    EXPECT_FALSE(read_text(a / f).empty()) << f;
  }
  EXPECT_NE(read_text(a / "sea_rates.csv"), read_text(c / "sea_rates.csv"));
}

TEST_F(CliMerge, ARunWhoseOutputsWereLostIsSkippedWithTheReason) {
  const fs::path lost = *dir_ / "lost", out = *dir_ / "lost-out";
  write_run(lost, "lost", tecscan::make_time(2012, 1, 1, 6), true);
  fs::remove(lost / "scan.h5");  // complete once, then its scan.h5 was deleted
  Result r = run_tecscan("merge " + lost.string() + " " + (root() / "ev0").string() + " " +
                         (root() / "ev1").string() + " --controls 10 --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(
      r.output.find("warning: skipped " + lost.string() + ": " + (lost / "summary.json").string() +
                    R"( lists "scan.h5", which is missing or empty)"),
      std::string::npos)
      << r.output;
  auto j = nlohmann::json::parse(read_text(out / "summary.json"));
  EXPECT_EQ(j["n_events"], 2);
  EXPECT_EQ(j["inputs"]["skipped_incomplete"][0], lost.string());
}

TEST_F(CliMerge, BadInputsExitTwoWithAReason) {
  const fs::path out = *dir_ / "bad";
  Result r = run_tecscan("merge " + (*dir_ / "missing").string() + " --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("missing"), std::string::npos) << r.output;
  r = run_tecscan("merge " + (root() / "half").string() + " --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("no complete run"), std::string::npos) << r.output;
  r = run_tecscan("merge " + root().string() + " --consensus 3 --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--consensus 3"), std::string::npos) << r.output;
  r = run_tecscan("merge " + root().string() + " --controls 0 --out " + out.string());
  EXPECT_NE(r.status, 0);
  r = run_tecscan("merge " + root().string() + " --permutations 0 --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;  // a usage error: exit 2 like every input error
  EXPECT_NE(r.output.find("--permutations"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not in range 1 to 100000000"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out / "summary.json"));
}
