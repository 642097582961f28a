// Catalogue batch runs through the command line: selection size, the event a task runs, skipping
// complete runs, and a run killed mid-event that reruns to exactly the uninterrupted result.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/run_tecscan.hpp"
#include "tecscan/h5file.hpp"

namespace fs = std::filesystem;
using tecscan::testing::CliResult;
using tecscan::testing::fresh_temp_dir;
using tecscan::testing::read_text;
using tecscan::testing::run_tecscan;

namespace {

// The five M>=7 events inside the bundled IONEX span; index 4 is El Salvador (83 nodes).
const std::string kSelection =
    "--catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --min-mag 7 --start 2000-11-21 "
    "--end 2001-01-14";
const std::string kInputs =
    "--ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt data/indices/dst2000.txt";
// Long enough (a few seconds of MLP training) that the kill below lands mid-training.
const std::string kMethod =
    "--config configs/demo.toml --models mlp,median-iqr --epochs 40 --threads 1 -q";

}  // namespace

TEST(CliBatch, CountSizesTheArray) {
  CliResult r = run_tecscan("catalog " + kSelection + " --count 2>/dev/null");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "5\n");
}

TEST(CliBatch, IndexOutsideTheSelectionIsExplained) {
  fs::path out = fresh_temp_dir("batch_range");
  CliResult r =
      run_tecscan("scan " + kSelection + " " + kInputs + " --event-index 5 --out " + out.string());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("indices 0..4"), std::string::npos) << r.output;
  CliResult env = run_tecscan("scan " + kSelection + " " + kInputs + " --out " + out.string(),
                              "SLURM_ARRAY_TASK_ID=x");
  EXPECT_EQ(env.status, 2) << env.output;
  EXPECT_NE(env.output.find("SLURM_ARRAY_TASK_ID='x'"), std::string::npos) << env.output;
  CliResult none = run_tecscan("scan " + kSelection + " " + kInputs + " --out " + out.string(),
                               "unset SLURM_ARRAY_TASK_ID;");
  EXPECT_EQ(none.status, 2) << none.output;
  EXPECT_NE(none.output.find("--event-index"), std::string::npos) << none.output;
  CliResult single = run_tecscan("scan " + kInputs +
                                 " --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv "
                                 "--event-id usp000a7m5 --event-index 1 --out " +
                                 out.string());
  EXPECT_EQ(single.status, 2) << single.output;
  EXPECT_NE(single.output.find("batch mode"), std::string::npos) << single.output;
  // A cube already holds its event: a catalogue beside it would be silently ignored.
  CliResult cube =
      run_tecscan("scan --cube data/no-such-cube.h5 " + kSelection + " --out " + out.string());
  EXPECT_EQ(cube.status, 2) << cube.output;
  EXPECT_NE(cube.output.find("--cube holds its event"), std::string::npos) << cube.output;
}

TEST(CliBatch, KilledRunRerunsToTheUninterruptedResultAndCompleteRunsAreSkipped) {
  fs::path root = fresh_temp_dir("batch_resume");
  const std::string task = "scan " + kSelection + " " + kInputs + " " + kMethod;

  // The reference: uninterrupted, task 4 from the Slurm variable.
  CliResult ref = run_tecscan(task + " --out " + (root / "ref").string(), "SLURM_ARRAY_TASK_ID=4");
  ASSERT_EQ(ref.status, 0) << ref.output;
  const fs::path ref_dir = root / "ref" / "usp000a7m5";
  ASSERT_TRUE(fs::exists(ref_dir / "summary.json")) << ref.output;

  // The same task again: skipped, files untouched.
  auto stamp = fs::last_write_time(ref_dir / "scan.h5");
  CliResult again =
      run_tecscan(task + " --out " + (root / "ref").string(), "SLURM_ARRAY_TASK_ID=4");
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_NE(again.output.find("skipped"), std::string::npos) << again.output;
  EXPECT_EQ(fs::last_write_time(ref_dir / "scan.h5"), stamp);

  // Killed mid-training (SIGKILL, as a preempted job): no summary.json, so not complete.
  const fs::path log = root / "killed.log", pidfile = root / "killed.pid";
  const std::string start = "cd '" TECSCAN_SOURCE_DIR "' && (exec '" +
                            tecscan::testing::tecscan_exe() + "' " + task +
                            " --event-index 4 --out '" + (root / "run").string() + "' > '" +
                            log.string() + "' 2>&1) & echo $! > '" + pidfile.string() + "'";
  ASSERT_EQ(std::system(start.c_str()), 0);
  const fs::path run_dir = root / "run" / "usp000a7m5";
  bool training = false;
  for (int i = 0; i < 600 && !training; ++i) {  // up to 60 s for the cube to be built
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // The trainer announces its device once the cube is built, right before training starts.
    const std::string text = read_text(log);
    training = text.find("CPU") != std::string::npos || text.find("device:") != std::string::npos;
  }
  ASSERT_TRUE(training) << read_text(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const pid_t pid = std::stoi(read_text(pidfile));
  ASSERT_EQ(kill(pid, SIGKILL), 0) << "the run ended before it could be killed: " << read_text(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(fs::exists(run_dir / "summary.json"));

  CliResult rerun = run_tecscan(task + " --event-index 4 --out " + (root / "run").string());
  ASSERT_EQ(rerun.status, 0) << rerun.output;
  ASSERT_TRUE(fs::exists(run_dir / "summary.json"));
  for (const auto& entry : fs::directory_iterator(run_dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
        << "temp file left: " << entry.path();
  EXPECT_EQ(read_text(run_dir / "anomalies.csv"), read_text(ref_dir / "anomalies.csv"));
  EXPECT_EQ(read_text(run_dir / "config.used.toml"), read_text(ref_dir / "config.used.toml"));
  auto a = tecscan::H5File::open_read((run_dir / "scan.h5").string());
  auto b = tecscan::H5File::open_read((ref_dir / "scan.h5").string());
  for (const char* name : {"/observed", "/predicted/mlp", "/dtec/mlp", "/dtec/median-iqr"}) {
    std::vector<float> x = a.read_float(name), y = b.read_float(name);
    ASSERT_EQ(x.size(), y.size()) << name;
    EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * sizeof(float))) << name;
  }
  EXPECT_EQ(a.read_uint8("/anomaly/mlp"), b.read_uint8("/anomaly/mlp"));
  EXPECT_EQ(a.read_uint8("/consensus"), b.read_uint8("/consensus"));
}

namespace {

// Reads the arrays of two scan.h5 files and expects them equal bit for bit.
void expect_same_scan_arrays(const fs::path& x_dir, const fs::path& y_dir) {
  SCOPED_TRACE(x_dir.string() + " vs " + y_dir.string());
  auto a = tecscan::H5File::open_read((x_dir / "scan.h5").string());
  auto b = tecscan::H5File::open_read((y_dir / "scan.h5").string());
  for (const char* name : {"/observed", "/predicted/mlp", "/dtec/mlp", "/dtec/median-iqr"}) {
    std::vector<float> x = a.read_float(name), y = b.read_float(name);
    ASSERT_EQ(x.size(), y.size()) << name;
    EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.size() * sizeof(float))) << name;
  }
  EXPECT_EQ(a.read_uint8("/anomaly/mlp"), b.read_uint8("/anomaly/mlp"));
  EXPECT_EQ(a.read_uint8("/anomaly/median-iqr"), b.read_uint8("/anomaly/median-iqr"));
  EXPECT_EQ(a.read_uint8("/consensus"), b.read_uint8("/consensus"));
}

// Cheap settings: these tests are about which events a task runs, not about the method.
const std::string kQuickMethod =
    "--config configs/demo.toml --models mlp,median-iqr --epochs 1 --threads 1 -q";

}  // namespace

TEST(CliBatch, SeveralEventsPerTaskGiveEachEventsOwnResult) {
  fs::path root = fresh_temp_dir("batch_group");
  const std::string task = "scan " + kSelection + " " + kInputs + " " + kQuickMethod;
  // Task 1 of --events-per-task 2: events 2 and 3 of the five.
  CliResult group = run_tecscan(task + " --events-per-task 2 --out " + (root / "group").string(),
                                "SLURM_ARRAY_TASK_ID=1");
  ASSERT_EQ(group.status, 0) << group.output;
  EXPECT_NE(group.output.find("event 1 of 2 in this task (index 2 of 5 selected): usp000a7cv"),
            std::string::npos)
      << group.output;
  EXPECT_NE(group.output.find("event 2 of 2 in this task (index 3 of 5 selected): usp000a7f2"),
            std::string::npos)
      << group.output;
  // Each of them alone, as tasks of one event.
  for (const char* index : {"2", "3"}) {
    CliResult alone = run_tecscan(task + " --events-per-task 1 --event-index " + index + " --out " +
                                  (root / "alone").string());
    ASSERT_EQ(alone.status, 0) << alone.output;
  }
  for (const char* id : {"usp000a7cv", "usp000a7f2"}) {
    const fs::path g = root / "group" / id, a = root / "alone" / id;
    ASSERT_TRUE(fs::exists(g / "summary.json")) << id;
    EXPECT_EQ(read_text(g / "anomalies.csv"), read_text(a / "anomalies.csv")) << id;
    EXPECT_EQ(read_text(g / "config.used.toml"), read_text(a / "config.used.toml")) << id;
    expect_same_scan_arrays(g, a);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(root / "group"), fs::directory_iterator()), 2);

  // The task beyond the last: the message sizes the array in tasks.
  CliResult beyond =
      run_tecscan(task + " --events-per-task 2 --event-index 3 --out " + (root / "group").string());
  EXPECT_EQ(beyond.status, 2) << beyond.output;
  EXPECT_NE(beyond.output.find("make 3 tasks of --events-per-task 2"), std::string::npos)
      << beyond.output;
  EXPECT_NE(beyond.output.find("--array=0-2"), std::string::npos) << beyond.output;
  // Out of range, and outside batch mode.
  CliResult zero = run_tecscan(task + " --events-per-task 0 --out " + (root / "group").string());
  EXPECT_EQ(zero.status, 2) << zero.output;
  EXPECT_NE(zero.output.find("[1, 100000]"), std::string::npos) << zero.output;
  CliResult single = run_tecscan("scan " + kInputs +
                                 " --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv "
                                 "--event-id usp000a7m5 --events-per-task 2 --out " +
                                 (root / "single").string());
  EXPECT_EQ(single.status, 2) << single.output;
  EXPECT_NE(single.output.find("batch mode"), std::string::npos) << single.output;
}

TEST(CliBatch, PackedEventsGiveWhatEachEventGivesAlone) {
  fs::path root = fresh_temp_dir("batch_pack");
  const std::string task = "scan " + kSelection + " " + kInputs +
                           " --config configs/demo.toml --models mlp,rnn,median-iqr --epochs 1 "
                           "--threads 2 -q";
  CliResult packed = run_tecscan(task + " --events-per-task 2 --pack --event-index 1 --out " +
                                 (root / "packed").string());
  ASSERT_EQ(packed.status, 0) << packed.output;
  // Each model's trainings held both events' nodes (the events share their window length).
  EXPECT_NE(packed.output.find("pack: training mlp for 2 events together ("), std::string::npos)
      << packed.output;
  EXPECT_NE(packed.output.find("pack: training rnn for 2 events together ("), std::string::npos)
      << packed.output;
  EXPECT_NE(packed.output.find("task 1 done: 2 computed, 0 skipped, 0 failed"), std::string::npos)
      << packed.output;
  for (const char* index : {"2", "3"}) {
    CliResult alone =
        run_tecscan(task + " --event-index " + index + " --out " + (root / "alone").string());
    ASSERT_EQ(alone.status, 0) << alone.output;
  }
  for (const char* id : {"usp000a7cv", "usp000a7f2"}) {
    const fs::path p = root / "packed" / id, a = root / "alone" / id;
    ASSERT_TRUE(fs::exists(p / "summary.json")) << id;
    EXPECT_EQ(read_text(p / "anomalies.csv"), read_text(a / "anomalies.csv")) << id;
    expect_same_scan_arrays(p, a);
    auto x = tecscan::H5File::open_read((p / "scan.h5").string());
    auto y = tecscan::H5File::open_read((a / "scan.h5").string());
    const std::vector<float> rnn_packed = x.read_float("/predicted/rnn"),
                             rnn_alone = y.read_float("/predicted/rnn");
    ASSERT_EQ(rnn_packed.size(), rnn_alone.size()) << id;
    EXPECT_EQ(0,
              std::memcmp(rnn_packed.data(), rnn_alone.data(), rnn_packed.size() * sizeof(float)))
        << id;
  }

  // A rerun skips both; --pack needs several events per task and batch mode.
  CliResult rerun = run_tecscan(task + " --events-per-task 2 --pack --event-index 1 --out " +
                                (root / "packed").string());
  EXPECT_EQ(rerun.status, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("task 1 done: 0 computed, 2 skipped, 0 failed"), std::string::npos)
      << rerun.output;
  CliResult one = run_tecscan(task + " --pack --event-index 1 --out " + (root / "one").string());
  EXPECT_EQ(one.status, 2) << one.output;
  EXPECT_NE(one.output.find("--pack trains the events of a task together"), std::string::npos)
      << one.output;
  CliResult single = run_tecscan("scan " + kInputs +
                                 " --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv "
                                 "--event-id usp000a7m5 --pack --out " +
                                 (root / "single").string());
  EXPECT_EQ(single.status, 2) << single.output;
  EXPECT_NE(single.output.find("are for batch mode"), std::string::npos) << single.output;
}

TEST(CliBatch, APackedEventFailingLeavesTheOthersTrained) {
  fs::path root = fresh_temp_dir("batch_pack_fail");
  // Of the five events, the last three share their window (the data end on 2001-01-14); the
  // first of those cannot go where it should: its run directory holds a merge.
  fs::create_directories(root / "runs" / "usp000a7cv");
  std::ofstream(root / "runs" / "usp000a7cv" / "merge.h5") << "h5";
  const std::string task = "scan " + kSelection + " " + kInputs + " " + kQuickMethod +
                           " --events-per-task 5 --pack --event-index 0 --out " +
                           (root / "runs").string();
  CliResult r = run_tecscan(task);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("batch: usp000a7cv failed: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pack: training mlp for 2 events together"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("task 0 done: 4 computed, 0 skipped, 1 failed"), std::string::npos)
      << r.output;
  for (const char* id : {"usp000a5m7", "usp000a70h", "usp000a7f2", "usp000a7m5"})
    EXPECT_TRUE(fs::exists(root / "runs" / id / "summary.json")) << id << r.output;
  EXPECT_FALSE(fs::exists(root / "runs" / "usp000a7cv" / "summary.json"));
}

TEST(CliBatch, AnEventFailingLeavesTheTasksOtherEventsToRun) {
  fs::path root = fresh_temp_dir("batch_group_fail");
  // The first event of task 1 cannot go where it should: its run directory holds a merge.
  fs::create_directories(root / "runs" / "usp000a7cv");
  std::ofstream(root / "runs" / "usp000a7cv" / "merge.h5") << "h5";
  const std::string task = "scan " + kSelection + " " + kInputs + " " + kQuickMethod +
                           " --events-per-task 2 --event-index 1 --out " + (root / "runs").string();
  CliResult r = run_tecscan(task);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("batch: usp000a7cv failed: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("task 1 done: 1 computed, 0 skipped, 1 failed"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("error: 1 of the 2 events of task 1 failed; usp000a7cv: "),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(root / "runs" / "usp000a7f2" / "summary.json")) << r.output;
  EXPECT_FALSE(fs::exists(root / "runs" / "usp000a7cv" / "summary.json"));

  // Fixed, the same task runs the failed event and skips the complete one.
  fs::remove(root / "runs" / "usp000a7cv" / "merge.h5");
  CliResult rerun = run_tecscan(task);
  EXPECT_EQ(rerun.status, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("task 1 done: 1 computed, 1 skipped, 0 failed"), std::string::npos)
      << rerun.output;
  EXPECT_TRUE(fs::exists(root / "runs" / "usp000a7cv" / "summary.json"));
}

// The end-to-end path without a scheduler (the Slurm test in tests/slurm/ runs the same
// tasks through sbatch): catalogue selection -> archive -> one scan per array index -> merge.
TEST(CliBatch, FiveEventsThroughArchiveScansAndMerge) {
  fs::path root = fresh_temp_dir("batch_e2e");
  const std::string archive = (root / "gim.h5").string();
  CliResult a = run_tecscan("archive --ionex data/ionex/jpl-2000-2001 -q --out " + archive);
  ASSERT_EQ(a.status, 0) << a.output;
  const std::string task = "scan " + kSelection + " --archive " + archive +
                           " --indices data/indices/SW-All.txt data/indices/dst2000.txt "
                           "--config configs/demo.toml --models mlp,median-iqr --epochs 2 -q "
                           "--out " +
                           (root / "runs").string();
  const char* ids[] = {"usp000a5m7", "usp000a70h", "usp000a7cv", "usp000a7f2", "usp000a7m5"};
  for (int i = 0; i < 5; ++i) {
    CliResult r = run_tecscan(task, "SLURM_ARRAY_TASK_ID=" + std::to_string(i));
    ASSERT_EQ(r.status, 0) << r.output;
    const fs::path run = root / "runs" / ids[i];
    ASSERT_TRUE(fs::exists(run / "summary.json")) << r.output;
    auto j = nlohmann::json::parse(read_text(run / "summary.json"));
    EXPECT_EQ(j["event"]["id"], ids[i]);
    // The archive is traced through its provenance: the archive and the window's IONEX days.
    const std::string sources = j["cube"]["sources"].dump();
    EXPECT_NE(sources.find("gim.h5"), std::string::npos) << sources;
    EXPECT_NE(sources.find("sha256:"), std::string::npos) << sources;
  }
  CliResult m = run_tecscan("merge " + (root / "runs").string() + " -q --controls 50 --out " +
                            (root / "merge").string());
  ASSERT_EQ(m.status, 0) << m.output;
  auto s = nlohmann::json::parse(read_text(root / "merge" / "summary.json"));
  EXPECT_EQ(s["n_events"].get<int>() + s["n_excluded"].get<int>(), 5) << s.dump();
  EXPECT_EQ(s["n_skipped"], 0);
  EXPECT_GE(s["n_events"].get<int>(), 4);
  for (const char* series : {"mlp", "median-iqr", "consensus"}) {
    ASSERT_TRUE(s["results"].contains(series)) << series;
    const auto& r = s["results"][series];
    if (!r["events_rate"].is_null()) {
      EXPECT_GE(r["events_rate"].get<double>(), 0.0);
      EXPECT_LE(r["events_rate"].get<double>(), 1.0);
    }
    ASSERT_TRUE(r.contains("p_value_not_calibrated")) << r.dump();
  }
  // The calibrated headline: every run's own precursor window against its own controls.
  ASSERT_TRUE(s.contains("significance")) << s.dump();
  for (const auto& d : s["significance"]["detectors"]) {
    if (d["p_permutation"].is_null()) continue;
    EXPECT_GT(d["p_permutation"].get<double>(), 0.0) << d.dump();
    EXPECT_LE(d["p_permutation"].get<double>(), 1.0) << d.dump();
  }
  for (const char* f : {"merge.h5", "sea_rates.csv", "rate_difference.csv", "molchan.csv"})
    EXPECT_GT(fs::file_size(root / "merge" / f), 0u) << f;
}
