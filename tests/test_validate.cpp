// The one place for input rules (validate.hpp): ranges, regular files, outputs that would
// replace an input, run directory kinds.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "support/run_tecscan.hpp"
#include "tecscan/config.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

using namespace tecscan;
namespace fs = std::filesystem;

namespace {
template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}
}  // namespace

TEST(Validate, RangesRefuseNanInfinityAndFractionsOfIntegers) {
  const NumberRange days{0, 3650};
  EXPECT_TRUE(days.contains(0));
  EXPECT_TRUE(days.contains(3650));
  EXPECT_FALSE(days.contains(NAN));
  EXPECT_FALSE(days.contains(INFINITY));
  EXPECT_FALSE(days.contains(-1));
  const NumberRange epochs{1, 100000, false, false, true};
  EXPECT_FALSE(epochs.contains(2.5));
  EXPECT_FALSE(epochs.contains(0));
  EXPECT_EQ(epochs.describe(), "an integer in [1, 100000]");
  EXPECT_EQ((NumberRange{0, 1, true, true}).describe(), "a number in (0, 1)");
  EXPECT_EQ((NumberRange{0, kInf, true, true}).describe(), "a number > 0");
  // Quiet thresholds: infinity allowed where the bound is an infinity, NaN never.
  EXPECT_TRUE((NumberRange{}).contains(INFINITY));
  EXPECT_FALSE((NumberRange{}).contains(NAN));

  EXPECT_EQ(parse_number_in("60", days, "--days-before"), 60);
  for (const char* bad : {"nan", "inf", "-3", "60x", "", "1e9"}) {
    const std::string msg = input_error([&] { parse_number_in(bad, days, "--days-before"); });
    EXPECT_NE(
        msg.find("--days-before: expected a number in [0, 3650], got '" + std::string(bad) + "'"),
        std::string::npos)
        << msg;
  }
}

TEST(Validate, ConfigAndOptionsShareOneRangeTable) {
  ScanConfig c;
  // --epochs sets train.epochs through the config's range: refused by name, with the range.
  std::string msg =
      input_error([&] { apply_setting(c, "train.epochs", "1000000000", "--epochs"); });
  EXPECT_NE(msg.find("--epochs: train.epochs: expected an integer in [1, 100000], got 1000000000"),
            std::string::npos)
      << msg;
  msg = input_error([&] { apply_setting(c, "scan.threads", "-3", "--threads"); });
  EXPECT_NE(msg.find("--threads: scan.threads: expected an integer in [0, 4096]"),
            std::string::npos)
      << msg;
  msg = input_error([&] { apply_setting(c, "scan.models", "", "--models"); });
  EXPECT_NE(msg.find("empty list"), std::string::npos) << msg;
  msg = input_error([&] { parse_config("[train]\nepochs = 1000000000\n", "big.toml"); });
  EXPECT_NE(msg.find("big.toml:2: train.epochs: expected an integer in [1, 100000]"),
            std::string::npos)
      << msg;
  for (const char* key :
       {"model.lstm_units", "train.batch", "train.folds", "train.patience",
        "detect.median_iqr_days", "significance.consensus_min", "inject.per_amplitude"}) {
    msg = input_error([&] { apply_setting(c, key, "1000000000", "--set"); });
    EXPECT_NE(msg.find(std::string(key) + ": expected an integer in ["), std::string::npos) << msg;
  }
  for (const char* key : {"significance.window_days", "inject.duration_hours", "inject.radius_km",
                          "train.learning_rate", "detect.threshold"})
    for (const char* bad : {"nan", "inf"}) {
      msg = input_error([&] { apply_setting(c, key, bad, "--set"); });
      EXPECT_NE(msg.find(std::string(key) + ": expected a number"), std::string::npos) << msg;
    }
  apply_setting(c, "train.epochs", "7", "--epochs");
  EXPECT_EQ(c.train.epochs, 7);
  apply_setting(c, "quiet.f107_max", "inf", "--set");  // any F10.7 passes
  EXPECT_TRUE(std::isinf(c.quiet.f107_max));
}

TEST(Validate, ADirectoryIsNotAFile) {
  const fs::path d = tecscan::testing::fresh_temp_dir("validate_file");
  std::string msg = input_error([&] { load_config(d.string()); });
  EXPECT_NE(msg.find("not a file (a directory)"), std::string::npos) << msg;
  EXPECT_NO_THROW(require_regular_file((d / "missing").string(), "x"));  // the reader says so
  fs::remove_all(d);
}

TEST(Validate, AnOutputNeverReplacesAnInput) {
  const fs::path d = tecscan::testing::fresh_temp_dir("validate_out");
  std::ofstream(d / "sw.txt") << "x";
  fs::create_hard_link(d / "sw.txt", d / "link.txt");
  const std::vector<std::string> inputs = {(d / "sw.txt").string()};
  for (const fs::path& out : {d / "sw.txt", d / "." / "sw.txt", d / "link.txt"}) {
    const std::string msg =
        input_error([&] { require_output_not_input(out.string(), inputs, "--out"); });
    EXPECT_NE(msg.find("is also an input"), std::string::npos) << out << ": " << msg;
  }
  EXPECT_NO_THROW(require_output_not_input((d / "cube.h5").string(), inputs, "--out"));
  // Inside an input directory: refused only where that counts (merge).
  fs::create_directories(d / "batch");
  const std::vector<std::string> dirs = {(d / "batch").string()};
  EXPECT_NO_THROW(require_output_not_input((d / "batch" / "m").string(), dirs, "--out"));
  const std::string msg = input_error(
      [&] { require_output_not_input((d / "batch" / "m").string(), dirs, "--out", true); });
  EXPECT_NE(msg.find("inside the input"), std::string::npos) << msg;
  fs::remove_all(d);
}

TEST(Validate, RunDirectoriesKeepTheirKind) {
  const fs::path d = tecscan::testing::fresh_temp_dir("validate_kind");
  EXPECT_EQ(run_dir_kind((d / "none").string()), RunDirKind::kAbsent);
  fs::create_directories(d / "run");
  EXPECT_EQ(run_dir_kind((d / "run").string()), RunDirKind::kEmpty);
  std::ofstream(d / "run" / "scan.h5") << "x";
  EXPECT_EQ(run_dir_kind((d / "run").string()), RunDirKind::kScanRun);
  fs::create_directories(d / "root" / "ev1");
  std::ofstream(d / "root" / "ev1" / "config.used.toml") << "x";
  EXPECT_EQ(run_dir_kind((d / "root").string()), RunDirKind::kBatchRoot);
  fs::create_directories(d / "stats");
  std::ofstream(d / "stats" / "merge.h5") << "x";
  EXPECT_EQ(run_dir_kind((d / "stats").string()), RunDirKind::kMerge);

  EXPECT_NO_THROW(require_run_dir_kind((d / "run").string(), RunDirKind::kScanRun, "--out"));
  EXPECT_NO_THROW(require_run_dir_kind((d / "new").string(), RunDirKind::kMerge, "--out"));
  std::string msg =
      input_error([&] { require_run_dir_kind((d / "run").string(), RunDirKind::kMerge, "--out"); });
  EXPECT_NE(msg.find("holds a scan run, not a merge"), std::string::npos) << msg;
  msg = input_error(
      [&] { require_run_dir_kind((d / "stats").string(), RunDirKind::kScanRun, "--out"); });
  EXPECT_NE(msg.find("holds a merge, not a scan run"), std::string::npos) << msg;
  msg = input_error(
      [&] { require_run_dir_kind((d / "root").string(), RunDirKind::kScanRun, "--out"); });
  EXPECT_NE(msg.find("holds a batch root"), std::string::npos) << msg;
  fs::remove_all(d);
}
