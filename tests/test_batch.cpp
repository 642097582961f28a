// Batch-run bookkeeping: the task's event index, run directories, reuse of complete runs,
// stale temp files and the run lock; and the whole protocol of one task (run_batch_event) with
// real scans of small synthetic events.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "support/input_error.hpp"
#include "support/run_tecscan.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/batch.hpp"
#include "tecscan/error.hpp"
#include "tecscan/scan.hpp"

namespace fs = std::filesystem;
using tecscan::testing::fresh_temp_dir;
using tecscan::testing::input_error;
using tecscan::testing::read_text;

namespace tecscan {
namespace {

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

// A run directory as write_scan_outputs leaves it (contents of scan.h5 do not matter here).
void fake_complete_run(const fs::path& dir, const std::string& event_id, const ScanConfig& c) {
  fs::create_directories(dir);
  write_text(dir / "scan.h5", "h5");
  write_text(dir / "anomalies.csv", "event_id\n");
  write_config((dir / "config.used.toml").string(), c);
  write_text(
      dir / "summary.json",
      R"({"event": {"id": ")" + event_id +
          R"("}, "outputs": ["scan.h5", "anomalies.csv", "config.used.toml", "summary.json"]})");
}

struct SlurmTaskEnv {
  explicit SlurmTaskEnv(const char* value) {
    if (value)
      setenv("SLURM_ARRAY_TASK_ID", value, 1);
    else
      unsetenv("SLURM_ARRAY_TASK_ID");
  }
  ~SlurmTaskEnv() { unsetenv("SLURM_ARRAY_TASK_ID"); }
};

TEST(Batch, EventIndexFromFlagOrSlurm) {
  {
    SlurmTaskEnv env("3");
    EXPECT_EQ(batch_event_index(-1, 5), 3u);
    EXPECT_EQ(batch_event_index(1, 5), 1u);  // the flag wins over the environment
  }
  {
    SlurmTaskEnv env(nullptr);
    EXPECT_THROW(batch_event_index(-1, 5), InputError);  // neither given
  }
  for (const char* bad : {"x", "-1", "2a", ""}) {
    SlurmTaskEnv env(bad);
    EXPECT_THROW(batch_event_index(-1, 5), InputError) << bad;
  }
  try {
    SlurmTaskEnv env("5");
    batch_event_index(-1, 5);
    FAIL() << "index 5 of 5 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("0..4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("SLURM_ARRAY_TASK_ID"), std::string::npos) << e.what();
  }
  EXPECT_THROW(batch_event_index(0, 0), InputError);
}

TEST(Batch, TaskEventsGroupTheSelection) {
  SlurmTaskEnv env(nullptr);
  auto events = [](long task, size_t n, size_t k) {
    const BatchEventRange r = batch_task_events(task, n, k);
    return std::to_string(r.first) + ".." + std::to_string(r.last) + " task " +
           std::to_string(r.task) + " of " + std::to_string(r.ntasks);
  };
  EXPECT_EQ(events(0, 5, 2), "0..2 task 0 of 3");
  EXPECT_EQ(events(1, 5, 2), "2..4 task 1 of 3");
  EXPECT_EQ(events(2, 5, 2), "4..5 task 2 of 3");  // the last task is short
  EXPECT_EQ(events(3, 5, 1), "3..4 task 3 of 5");  // one event per task: the event index
  EXPECT_EQ(events(0, 3, 100000), "0..3 task 0 of 1");
  {
    SlurmTaskEnv task("1");
    EXPECT_EQ(events(-1, 6, 3), "3..6 task 1 of 2");
  }
  // A task beyond the last group: the message sizes the array in tasks, not events.
  const std::string beyond = input_error([] { batch_task_events(3, 5, 2); });
  EXPECT_NE(beyond.find("--event-index = 3"), std::string::npos) << beyond;
  EXPECT_NE(beyond.find("make 3 tasks of --events-per-task 2"), std::string::npos) << beyond;
  EXPECT_NE(beyond.find("--array=0-2"), std::string::npos) << beyond;
  // No overflow of task * K for an absurd index.
  EXPECT_NE(input_error([] { batch_task_events(std::numeric_limits<long>::max(), 5, 100000); }),
            "");
  EXPECT_NE(input_error([] { batch_task_events(0, 5, 0); }).find("--events-per-task"),
            std::string::npos);
  EXPECT_NE(input_error([] { batch_task_events(0, 0, 2); }).find("empty"), std::string::npos);
}

TEST(Batch, RunDirectoryNamesAreSafe) {
  Event e;
  e.id = "usp000a7m5";
  EXPECT_EQ(batch_run_dir("runs", e), "runs/usp000a7m5");
  e.id = "custom-2001-01-13T17:33:32Z";
  EXPECT_EQ(batch_run_dir("/r", e), "/r/custom-2001-01-13T17_33_32Z");
  e.id = "../x";
  EXPECT_EQ(batch_run_dir("/r", e), "/r/.._x");
}

TEST(Batch, CompleteRunIsRecognisedAndOthersAreNot) {
  fs::path root = fresh_temp_dir("batch_check");
  ScanConfig c;
  c.train.epochs = 7;
  EXPECT_EQ(check_existing_run((root / "none").string(), "ev1", c).state, RunState::kAbsent);

  fake_complete_run(root / "ev1", "ev1", c);
  RunCheck ok = check_existing_run((root / "ev1").string(), "ev1", c);
  EXPECT_EQ(ok.state, RunState::kComplete) << ok.reason;

  ScanConfig other_hardware = c;  // device and threads do not change the method
  other_hardware.scan.device = "cpu";
  other_hardware.scan.threads = 3;
  EXPECT_EQ(check_existing_run((root / "ev1").string(), "ev1", other_hardware).state,
            RunState::kComplete);

  ScanConfig other_method = c;
  other_method.train.epochs = 8;
  EXPECT_EQ(check_existing_run((root / "ev1").string(), "ev1", other_method).state,
            RunState::kDifferent);
  EXPECT_EQ(check_existing_run((root / "ev1").string(), "ev2", c).state, RunState::kDifferent);

  fs::remove(root / "ev1" / "anomalies.csv");  // a listed output is gone
  EXPECT_EQ(check_existing_run((root / "ev1").string(), "ev1", c).state, RunState::kUnreadable);
  write_text(root / "ev1" / "summary.json", "{\"event\": ");  // truncated by hand
  EXPECT_EQ(check_existing_run((root / "ev1").string(), "ev1", c).state, RunState::kUnreadable);
}

TEST(Batch, StaleTempFilesGoLiveOnesStay) {
  fs::path dir = fresh_temp_dir("batch_temp");
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a pid that no longer runs
  write_text(dir / ("scan.h5.tmp." + std::to_string(child)), "half");
  write_text(dir / ("anomalies.csv.tmp." + std::to_string(getpid())), "mine");
  write_text(dir / "scan.h5", "kept");
  EXPECT_EQ(remove_stale_temp_files(dir.string()), 1);
  EXPECT_FALSE(fs::exists(dir / ("scan.h5.tmp." + std::to_string(child))));
  EXPECT_TRUE(fs::exists(dir / ("anomalies.csv.tmp." + std::to_string(getpid()))));
  EXPECT_TRUE(fs::exists(dir / "scan.h5"));
}

TEST(Batch, RunLockIsExclusiveAndReleased) {
  fs::path dir = fresh_temp_dir("batch_lock");
  {
    RunLock first(dir.string());
    EXPECT_THROW(RunLock second(dir.string()), InputError);
  }
  EXPECT_NO_THROW(RunLock again(dir.string()));
}

// ---- run_batch_event: one job array task, called as a C++ user would ----------------------

// A pid that no longer runs, for temp files an interrupted run left behind.
pid_t dead_pid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

// Two small synthetic events and a batch root; scan() runs the real scan of the event's cube
// (an MLP of 4 units for 2 epochs, and median-iqr) on the CPU.
class BatchTaskRun : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fresh_temp_dir("batch_task");
    for (uint64_t seed : {1, 2}) {
      tecscan::testing::SyntheticEventOptions o;
      o.seed = seed;
      o.days_before = 40;
      o.days_after = 3;
      cubes_.push_back(tecscan::testing::synthetic_event(o));
    }
    config_.scan.models = {"mlp", kMedianIqrName};
    config_.model.mlp_hidden = 4;
    config_.train.epochs = 2;
    config_.scan.threads = 1;
  }

  BatchTask task() {
    BatchTask t;
    t.root = (root_ / "runs").string();
    for (const Cube& c : cubes_) t.events.push_back(c.event);
    t.event_index = 1;
    t.config = config_;
    t.inputs = {(root_ / "events.csv").string()};
    t.report = [this](const std::string& line) { lines_.push_back(line); };
    return t;
  }

  // What the command line's scan does for one event, minus building the cube from files.
  void scan(const BatchTask& t, const Event& ev, const std::string& run_dir) {
    ++scans_;
    // The lock is held while the scan writes.
    EXPECT_THROW(RunLock other(run_dir), InputError);
    const auto cube = std::find_if(cubes_.begin(), cubes_.end(),
                                   [&](const Cube& c) { return c.event.id == ev.id; });
    ASSERT_NE(cube, cubes_.end()) << ev.id;
    auto trainer = make_cpu_trainer(1);
    ScanOptions opt;
    opt.quiet_progress = true;
    run_scan(*cube, t.config, *trainer, run_dir, opt);
  }
  BatchTaskResult run(const BatchTask& t) {
    lines_.clear();
    return run_batch_event(
        t, [&](const Event& ev, const std::string& run_dir) { scan(t, ev, run_dir); });
  }
  BatchTaskOutcome run_task(const BatchTask& t) {
    lines_.clear();
    return run_batch_task(
        t, [&](const Event& ev, const std::string& run_dir) { scan(t, ev, run_dir); });
  }

  fs::path run_dir() const { return root_ / "runs" / "null-2"; }

  fs::path root_;
  std::vector<Cube> cubes_;
  ScanConfig config_;
  std::vector<std::string> lines_;
  int scans_ = 0;
};

TEST_F(BatchTaskRun, FreshRunThenSkipThenForcedRecompute) {
  BatchTaskResult fresh = run(task());
  EXPECT_EQ(scans_, 1);
  EXPECT_FALSE(fresh.skipped);
  EXPECT_EQ(fresh.index, 1u);
  EXPECT_EQ(fresh.event.id, "null-2");
  EXPECT_EQ(fresh.run_dir, run_dir().string());
  EXPECT_EQ(fresh.previous.state, RunState::kAbsent);
  EXPECT_EQ(fresh.stale_temp_files, 0);
  EXPECT_TRUE(has_line(lines_, "batch: event 1 of 2: null-2 ")) << joined(lines_);
  EXPECT_TRUE(has_line(lines_, "M7.0 -> " + run_dir().string())) << joined(lines_);
  EXPECT_TRUE(has_line(lines_, ": starting")) << joined(lines_);
  ASSERT_TRUE(fs::exists(run_dir() / "summary.json"));
  EXPECT_FALSE(fs::exists(run_dir() / ".lock"));  // released when the task ends
  EXPECT_EQ(check_existing_run(run_dir().string(), "null-2", config_).state, RunState::kComplete);

  // The same task again: skipped without scanning, files untouched.
  const auto stamp = fs::last_write_time(run_dir() / "scan.h5");
  BatchTaskResult again = run(task());
  EXPECT_EQ(scans_, 1);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(again.previous.state, RunState::kComplete);
  EXPECT_TRUE(has_line(lines_, ": skipped (--force recomputes it)")) << joined(lines_);
  EXPECT_EQ(fs::last_write_time(run_dir() / "scan.h5"), stamp);

  // Another task of the same root runs its own event beside it.
  BatchTask first = task();
  first.event_index = 0;
  EXPECT_FALSE(run(first).skipped);
  EXPECT_EQ(scans_, 2);
  EXPECT_TRUE(fs::exists(root_ / "runs" / "null-1" / "summary.json"));

  // force: recomputed although complete.
  BatchTask forced = task();
  forced.force = true;
  BatchTaskResult recomputed = run(forced);
  EXPECT_EQ(scans_, 3);
  EXPECT_FALSE(recomputed.skipped);
  EXPECT_EQ(recomputed.previous.state, RunState::kComplete);
  EXPECT_TRUE(has_line(lines_, "batch: recomputing: complete run of null-2")) << joined(lines_);

  // Another method: the old run is replaced, not reused.
  BatchTask other_method = task();
  other_method.config.train.epochs = 3;
  BatchTaskResult replaced = run(other_method);
  EXPECT_EQ(scans_, 4);
  EXPECT_EQ(replaced.previous.state, RunState::kDifferent);
  EXPECT_TRUE(has_line(lines_, "batch: recomputing: ")) << joined(lines_);
}

TEST_F(BatchTaskRun, InterruptedRunIsRedoneAndItsTempFilesRemoved) {
  ASSERT_FALSE(run(task()).skipped);
  const std::string reference = read_text(run_dir() / "anomalies.csv");
  ASSERT_FALSE(reference.empty());

  // As a killed task leaves it: outputs without summary.json, and a half-written temp file.
  fs::remove(run_dir() / "summary.json");
  const fs::path stale = run_dir() / ("scan.h5.tmp." + std::to_string(dead_pid()));
  write_text(stale, "half");
  BatchTaskResult redone = run(task());
  EXPECT_EQ(scans_, 2);
  EXPECT_FALSE(redone.skipped);
  EXPECT_EQ(redone.previous.state, RunState::kAbsent);
  EXPECT_EQ(redone.stale_temp_files, 1);
  EXPECT_TRUE(has_line(lines_, "batch: removed 1 temp files of an interrupted run"))
      << joined(lines_);
  EXPECT_FALSE(fs::exists(stale));
  ASSERT_TRUE(fs::exists(run_dir() / "summary.json"));
  EXPECT_EQ(read_text(run_dir() / "anomalies.csv"), reference);  // the same result again
}

TEST_F(BatchTaskRun, ALockedRunDirectoryIsRefused) {
  fs::create_directories(run_dir());
  RunLock held(run_dir().string());  // another task on the same event
  const std::string message = input_error([&] { run(task()); });
  EXPECT_NE(message.find("another tecscan process"), std::string::npos) << message;
  EXPECT_EQ(scans_, 0);
  EXPECT_FALSE(fs::exists(run_dir() / "summary.json"));
}

TEST_F(BatchTaskRun, RootIndexAndRunDirectoryAreChecked) {
  // The root is a scan run, not a batch root.
  fs::create_directories(root_ / "runs");
  write_text(root_ / "runs" / "config.used.toml", "");
  BatchTask t = task();
  const std::string kind = input_error([&] { run(t); });
  EXPECT_NE(kind.find("--out " + t.root + ": holds a scan run"), std::string::npos) << kind;
  fs::remove(root_ / "runs" / "config.used.toml");

  // The root is one of the inputs.
  t.inputs.push_back(t.root);
  EXPECT_NE(input_error([&] { run(t); }).find("is also an input"), std::string::npos);

  // An index outside the selection.
  t = task();
  t.event_index = 2;
  EXPECT_NE(input_error([&] { run(t); }).find("indices 0..1"), std::string::npos);

  // The event's run directory is a merge's output.
  fs::create_directories(run_dir());
  write_text(run_dir() / "merge.h5", "h5");
  EXPECT_NE(input_error([&] { run(task()); }).find(": holds a merge"), std::string::npos);
  EXPECT_EQ(scans_, 0);
}

// ---- run_batch_task: several events per task -----------------------------------------------

TEST_F(BatchTaskRun, SeveralEventsPerTaskRunEachAsItsOwnTask) {
  BatchTask group = task();
  group.event_index = 0;
  group.events_per_task = 2;
  const BatchTaskOutcome outcome = run_task(group);
  EXPECT_EQ(scans_, 2);
  ASSERT_EQ(outcome.done.size(), 2u);
  EXPECT_TRUE(outcome.failed.empty());
  EXPECT_EQ(outcome.done[0].event.id, "null-1");
  EXPECT_EQ(outcome.done[1].event.id, "null-2");
  EXPECT_TRUE(has_line(lines_,
                       "batch: task 0 of 1 (--events-per-task 2): events 0..1 of the 2 "
                       "selected"))
      << joined(lines_);
  EXPECT_TRUE(has_line(lines_, "batch: event 1 of 2 in this task (index 0 of 2 selected): null-1 "))
      << joined(lines_);
  EXPECT_TRUE(has_line(lines_, "batch: event 2 of 2 in this task (index 1 of 2 selected): null-2 "))
      << joined(lines_);
  EXPECT_TRUE(has_line(lines_, "batch: task 0 done: 2 computed, 0 skipped, 0 failed"))
      << joined(lines_);

  // Each event's results are those of a task of its own.
  BatchTask alone = task();
  alone.root = (root_ / "alone").string();
  for (long index : {0, 1}) {
    alone.event_index = index;
    run(alone);
  }
  EXPECT_EQ(scans_, 4);
  for (const char* id : {"null-1", "null-2"})
    EXPECT_EQ(read_text(root_ / "runs" / id / "anomalies.csv"),
              read_text(root_ / "alone" / id / "anomalies.csv"))
        << id;

  // The same task again: both complete, both skipped.
  const BatchTaskOutcome again = run_task(group);
  EXPECT_EQ(scans_, 4);
  ASSERT_EQ(again.done.size(), 2u);
  EXPECT_TRUE(again.done[0].skipped && again.done[1].skipped);
  EXPECT_TRUE(has_line(lines_, "batch: task 0 done: 0 computed, 2 skipped, 0 failed"))
      << joined(lines_);
}

TEST_F(BatchTaskRun, AFailingEventDoesNotCostTheTasksOthers) {
  // The first event's run directory is a merge's output: refused, the second still runs.
  const fs::path first = root_ / "runs" / "null-1";
  fs::create_directories(first);
  write_text(first / "merge.h5", "h5");
  BatchTask group = task();
  group.event_index = 0;
  group.events_per_task = 2;
  BatchTaskOutcome outcome = run_task(group);
  EXPECT_EQ(scans_, 1);
  ASSERT_EQ(outcome.failed.size(), 1u);
  EXPECT_EQ(outcome.failed[0].index, 0u);
  EXPECT_EQ(outcome.failed[0].event_id, "null-1");
  EXPECT_NE(outcome.failed[0].reason.find(": holds a merge"), std::string::npos)
      << outcome.failed[0].reason;
  ASSERT_EQ(outcome.done.size(), 1u);
  EXPECT_EQ(outcome.done[0].event.id, "null-2");
  EXPECT_TRUE(fs::exists(run_dir() / "summary.json"));
  EXPECT_TRUE(has_line(lines_, "batch: null-1 failed: ")) << joined(lines_);
  EXPECT_TRUE(has_line(lines_, "batch: task 0 done: 1 computed, 0 skipped, 1 failed"))
      << joined(lines_);

  // The second event locked by another process: refused too, the first is not affected.
  fs::remove(first / "merge.h5");
  group.force = true;
  {
    RunLock held(run_dir().string());
    outcome = run_task(group);
  }
  EXPECT_EQ(scans_, 2);
  ASSERT_EQ(outcome.failed.size(), 1u);
  EXPECT_EQ(outcome.failed[0].event_id, "null-2");
  EXPECT_NE(outcome.failed[0].reason.find("another tecscan process"), std::string::npos)
      << outcome.failed[0].reason;
  EXPECT_TRUE(fs::exists(first / "summary.json"));

  // One event per task: the event's error is the task's, as with run_batch_event.
  BatchTask single = task();
  single.root = (root_ / "single").string();
  single.event_index = 0;
  fs::create_directories(root_ / "single" / "null-1");
  write_text(root_ / "single" / "null-1" / "merge.h5", "h5");
  EXPECT_NE(input_error([&] { run_task(single); }).find(": holds a merge"), std::string::npos);
  EXPECT_EQ(scans_, 2);
}

TEST_F(BatchTaskRun, AnotherFailureStopsTheTaskAndNamesTheEventsLeft) {
  BatchTask group = task();
  group.event_index = 0;
  group.events_per_task = 2;
  lines_.clear();
  EXPECT_THROW(
      run_batch_task(
          group, [](const Event&, const std::string&) { throw std::runtime_error("device lost"); }),
      std::runtime_error);
  EXPECT_TRUE(has_line(lines_, "batch: the task stops at null-1; not run: null-2"))
      << joined(lines_);
  EXPECT_FALSE(fs::exists(run_dir()));
}

}  // namespace
}  // namespace tecscan
