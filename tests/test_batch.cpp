// Batch-run bookkeeping: the task's event index, run directories, reuse of complete runs,
// stale temp files and the run lock.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/run_tecscan.hpp"
#include "tecscan/batch.hpp"
#include "tecscan/error.hpp"

namespace fs = std::filesystem;
using tecscan::testing::fresh_temp_dir;

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

}  // namespace
}  // namespace tecscan
