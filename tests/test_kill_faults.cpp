// A killed `archive`, `scan` or `merge` (SIGKILL: no handler runs) leaves every output old or
// complete, never half-written; the next run of the same command cleans the dead process's
// temp files and succeeds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/run_tecscan.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/h5file.hpp"

namespace {

namespace fs = std::filesystem;
using tecscan::testing::CliResult;
using tecscan::testing::run_tecscan;

// Moments after the start at which the command is killed (ms): parsing, writing, renaming.
const int kKillAfterMs[] = {20, 60, 120, 200, 350, 600};

// Runs tecscan ARGS from the repository root and kills it after `ms` (if still running).
void run_and_kill(const std::vector<std::string>& args, int ms) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::chdir(TECSCAN_SOURCE_DIR) != 0) ::_exit(127);
    std::vector<char*> argv;
    const std::string exe = tecscan::testing::tecscan_exe();
    argv.push_back(const_cast<char*>(exe.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::freopen("/dev/null", "w", stderr);
    ::freopen("/dev/null", "w", stdout);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// Every file of dir with an output's name is complete: HDF5 files open and list their
// datasets, JSON parses, text ends with a newline.
void expect_complete_outputs(const fs::path& dir) {
  if (!fs::exists(dir)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos || !e.is_regular_file() || name[0] == '.') continue;
    const std::string ext = e.path().extension().string();
    if (ext == ".h5") {
      EXPECT_NO_THROW(tecscan::H5File::open_read(e.path().string())) << e.path();
    } else if (ext == ".json") {
      EXPECT_TRUE(nlohmann::json::accept(tecscan::testing::read_text(e.path()))) << e.path();
    } else if (ext == ".csv" || ext == ".toml") {
      const std::string text = tecscan::testing::read_text(e.path());
      EXPECT_TRUE(!text.empty() && text.back() == '\n') << e.path() << " is cut short";
    }
  }
}

// A temp file as a process killed mid-write leaves it: "<name>.tmp.<pid of a dead process>".
void plant_stale_temp_file(const fs::path& output) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  std::ofstream(output.string() + ".tmp." + std::to_string(child)) << "half-written";
}

void expect_no_temp_files(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos)
        << e.path() << " was left behind";
}

class KillFaults : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tecscan::testing::fresh_temp_dir("kill_faults"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(KillFaults, KilledArchiveAppendLeavesTheOldOrTheNewArchive) {
  const std::string archive = (dir_ / "gim.h5").string();
  CliResult r = run_tecscan(
      "archive -q --ionex 'data/ionex/jpl-2000-2001/jplg32[6-8]0.00i.Z' --out " + archive);
  ASSERT_EQ(r.status, 0) << r.output;
  const size_t old_days = tecscan::read_archive_info(archive).days.size();
  const std::vector<std::string> append = {"archive", "-q",   "--ionex", "data/ionex/jpl-2000-2001",
                                           "--out",   archive};
  for (int ms : kKillAfterMs) {
    run_and_kill(append, ms);
    const size_t days = tecscan::read_archive_info(archive).days.size();
    EXPECT_TRUE(days == old_days || days == 55) << "killed after " << ms << " ms: " << days;
    if (days != old_days) break;  // appended before the kill: nothing left to interrupt
  }
  plant_stale_temp_file(archive);
  r = run_tecscan("archive -q --ionex data/ionex/jpl-2000-2001 --out " + archive);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(tecscan::read_archive_info(archive).days.size(), 55u);
  expect_no_temp_files(dir_);
}

TEST_F(KillFaults, KilledScanAndMergeLeaveCompleteOutputs) {
  const std::string cube = (dir_ / "cube.h5").string();
  CliResult r = run_tecscan(
      "ingest --ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt "
      "data/indices/dst2000.txt --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv "
      "--event-id usp000a7m5 --days-before 40 --radius-km 600 --out " +
      cube);
  ASSERT_EQ(r.status, 0) << r.output;
  const fs::path run = dir_ / "runs" / "ev1", merged = dir_ / "merge";
  const std::vector<std::string> scan = {
      "scan",     "--cube",     cube, "--config", "configs/demo.toml",
      "--models", "median-iqr", "-q", "--out",    run.string()};
  const std::vector<std::string> merge = {"merge", (dir_ / "runs").string(), "--out",
                                          merged.string()};
  for (int ms : kKillAfterMs) {
    run_and_kill(scan, ms);
    expect_complete_outputs(run);
  }
  fs::create_directories(run);
  plant_stale_temp_file(run / "scan.h5");
  r = run_tecscan("scan --cube " + cube + " --config configs/demo.toml --models median-iqr -q " +
                  "--out " + run.string());
  ASSERT_EQ(r.status, 0) << r.output;
  expect_no_temp_files(run);
  for (int ms : kKillAfterMs) {
    run_and_kill(merge, ms);
    expect_complete_outputs(merged);
  }
  fs::create_directories(merged);
  plant_stale_temp_file(merged / "merge.h5");
  r = run_tecscan("merge " + (dir_ / "runs").string() + " --out " + merged.string());
  ASSERT_EQ(r.status, 0) << r.output;
  expect_complete_outputs(merged);
  expect_no_temp_files(merged);
}

// Two appends of one archive at once: one is refused (the archive's lock), or both ran one
// after the other; never two successes with one append lost.
TEST_F(KillFaults, ConcurrentAppendsNeverLoseOne) {
  const std::string archive = (dir_ / "gim.h5").string(), exe = tecscan::testing::tecscan_exe();
  CliResult r = run_tecscan(
      "archive -q --ionex 'data/ionex/jpl-2000-2001/jplg32[6-8]0.00i.Z' --out " + archive);
  ASSERT_EQ(r.status, 0) << r.output;
  auto append = [&](const std::string& glob, const std::string& name) {
    const std::string log = (dir_ / name).string();
    return "('" + exe + "' archive -q --ionex '" + glob + "' --out " + archive + " >" + log +
           ".log 2>&1; echo $? >" + log + ".rc)";
  };
  // Braces: both appends (not only the first) run in the source directory.
  const std::string both = "cd '" TECSCAN_SOURCE_DIR "' && { " +
                           append("data/ionex/jpl-2000-2001/jplg3??0.00i.Z", "a") + " & " +
                           append("data/ionex/jpl-2000-2001/jplg0??0.01i.Z", "b") + " & wait; }";
  ASSERT_EQ(std::system(both.c_str()), 0);
  const std::string a = tecscan::testing::read_text(dir_ / "a.rc"),
                    b = tecscan::testing::read_text(dir_ / "b.rc");
  const size_t days = tecscan::read_archive_info(archive).days.size();
  if (a == "0\n" && b == "0\n") {
    EXPECT_EQ(days, 55u) << "both appends succeeded but one was lost";
  } else {
    const std::string refused = a == "0\n" ? "b" : "a";
    const std::string log = tecscan::testing::read_text(dir_ / (refused + ".log"));
    EXPECT_EQ(tecscan::testing::read_text(dir_ / (refused + ".rc")), "2\n") << log;
    EXPECT_NE(log.find("another tecscan process"), std::string::npos) << log;
  }
  expect_no_temp_files(dir_);
}

}  // namespace
