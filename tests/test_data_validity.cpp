// Data that is empty, implausible, doubled or incomplete (issue 15, items 3-6): a file or cube
// with no valid TEC, values no ionosphere has, an EXPONENT that differs from the rest of the
// series, two files for one UTC day, and a cube without one of its index datasets.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "support/input_error.hpp"
#include "support/ionex_text.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/config.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;
using tecscan::testing::find_label;
using tecscan::testing::input_error;
using tecscan::testing::join_lines;
using tecscan::testing::label_of;
using tecscan::testing::split_lines;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
const std::string kIgs = TECSCAN_SOURCE_DIR "/data/ionex/fixtures/igrg3380.10i";
const std::string kJplDir = TECSCAN_SOURCE_DIR "/data/ionex/jpl-2000-2001/";

std::string message_of_parse(const std::vector<std::string>& lines, const std::string& name) {
  return input_error([&] { parse_ionex(join_lines(lines), name); });
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() /
               ("tecscan_test_validity_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// ---- item 4: values no ionosphere has ---------------------------------------------------------

TEST(DataValidity, NegativeTecIsAnInputErrorWithFileAndLine) {
  std::vector<std::string> lines = split_lines(read_file_decompressed(kIgs));
  const size_t row = find_label(lines, "LAT/LON1/LON2/DLON/H");
  lines[row + 1].replace(0, 5, "-9999");  // a raw -9999 is not the fill value 9999
  const std::string message = message_of_parse(lines, "neg.10i");
  EXPECT_NE(message.find("neg.10i:" + std::to_string(row + 2)), std::string::npos) << message;
  EXPECT_NE(message.find("-999.9"), std::string::npos) << message;
  EXPECT_NE(message.find("EXPONENT -1"), std::string::npos) << message;
}

TEST(DataValidity, TecTenTimesTooLargeIsAnInputError) {
  std::vector<std::string> lines = split_lines(read_file_decompressed(kIgs));
  lines[find_label(lines, "EXPONENT")] = tecscan::testing::ionex_record("     0", "EXPONENT");
  const std::string message = message_of_parse(lines, "big.10i");
  EXPECT_NE(message.find("big.10i:"), std::string::npos) << message;
  EXPECT_NE(message.find("EXPONENT 0"), std::string::npos) << message;
  EXPECT_NE(message.find("TECU"), std::string::npos) << message;
}

TEST(DataValidity, TheLimitsAcceptEveryBundledMapAndTheFillValue) {
  for (const auto& entry : fs::directory_iterator(TECSCAN_SOURCE_DIR "/data/ionex/fixtures"))
    EXPECT_NO_THROW(read_ionex(entry.path().string())) << entry.path();
  // 9999 is "no value" whatever the EXPONENT, never a 999.9 TECU outlier.
  std::vector<std::string> lines = split_lines(read_file_decompressed(kIgs));
  lines[find_label(lines, "LAT/LON1/LON2/DLON/H") + 1].replace(0, 5, " 9999");
  const IonexFile f = parse_ionex(join_lines(lines), "fill.10i");
  EXPECT_TRUE(std::isnan(f.maps[0].tec[0]));
}

TEST(DataValidity, AnExponentThatDiffersFromTheSeriesIsNamedWithItsLine) {
  std::vector<IonexFile> files;
  for (const char* day : {"3400", "3410", "3420"}) {
    const std::string path = kJplDir + "jplg" + day + ".00i.Z";
    std::vector<std::string> lines = split_lines(read_file_decompressed(path));
    if (std::string(day) == "3410")
      lines[find_label(lines, "EXPONENT")] = tecscan::testing::ionex_record("    -3", "EXPONENT");
    files.push_back(parse_ionex(join_lines(lines), path));
  }
  const IonexSeries s = assemble_series(files);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find("jplg3410.00i.Z:27: EXPONENT -3"), std::string::npos) << s.notes[0];
  EXPECT_NE(s.notes[0].find("EXPONENT -1"), std::string::npos) << s.notes[0];
  files.erase(files.begin() + 1);
  EXPECT_TRUE(assemble_series(files).notes.empty());
}

// ---- item 3: no valid data --------------------------------------------------------------------

TEST(DataValidity, AFileOfNothingButFillValuesIsAnInputError) {
  std::vector<std::string> lines = split_lines(read_file_decompressed(kIgs));
  bool in_tec = false;
  for (std::string& line : lines) {
    const std::string label = label_of(line);
    if (label == "START OF TEC MAP" || label == "END OF TEC MAP")
      in_tec = label == "START OF TEC MAP";
    else if (in_tec && label != "LAT/LON1/LON2/DLON/H" && label != "EPOCH OF CURRENT MAP")
      for (size_t k = 0; k + 5 <= line.size(); k += 5) line.replace(k, 5, " 9999");
  }
  const std::string message = message_of_parse(lines, "empty.10i");
  EXPECT_NE(message.find("empty.10i:" + std::to_string(find_label(lines, "START OF TEC MAP") + 1)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("9999"), std::string::npos) << message;
  EXPECT_NE(message.find("no data"), std::string::npos) << message;
}

Cube small_event() {
  tecscan::testing::SyntheticEventOptions o;
  o.days_before = 40;
  o.days_after = 3;
  return tecscan::testing::synthetic_event(o);
}

ScanConfig fast_config() {
  ScanConfig c;
  c.scan.models = {"mlp", "ar", "median-iqr"};
  c.model.mlp_hidden = 8;
  c.train.epochs = 2;
  return c;
}

TEST(DataValidity, AnEmptyNodeIsNotedAndLeavesTheOthersIntact) {
  Cube cube = small_event();
  const size_t nt = cube.ntime(), empty = 4;
  for (size_t t = 0; t < nt; ++t) cube.tec[empty * nt + t] = kNaN;
  EXPECT_EQ(nodes_without_data(cube), std::vector<size_t>{empty});
  auto trainer = make_cpu_trainer(1);
  ScanOptions opt;
  opt.quiet_progress = true;
  const ScanResult r = compute_scan(cube, fast_config(), *trainer, opt);
  std::string notes;
  for (const std::string& n : r.notes) notes += n + "\n";
  EXPECT_NE(notes.find("1 of 9 nodes have no valid TEC value"), std::string::npos) << notes;
  EXPECT_NE(notes.find("node 4 (30.0N 50.0E)"), std::string::npos) << notes;
  for (const DetectorResult& d : r.detectors) {
    for (size_t n = 0; n < cube.nnode(); ++n) {
      size_t finite = 0;
      for (size_t t = 0; t < nt; ++t) finite += std::isfinite(d.dtec[n * nt + t]) ? 1 : 0;
      if (n == empty) {
        EXPECT_EQ(finite, 0u) << d.name;
      } else {
        EXPECT_GT(finite, nt / 2) << d.name << " node " << n;
      }
      if (!d.test_rmse.empty()) {
        EXPECT_EQ(std::isfinite(d.test_rmse[n]), n != empty) << d.name << " node " << n;
      }
    }
    EXPECT_TRUE(std::isfinite(d.threshold)) << d.name;
    const DetectorSummary s = summarize_detector(d, cube.nnode(), nt, cube.time.data());
    if (!d.test_rmse.empty()) {
      EXPECT_TRUE(std::isfinite(s.median_test_rmse)) << d.name;
    }
  }
}

TEST(DataValidity, ACubeWithoutAnyValidTecCannotBeScannedOrRead) {
  Cube cube = small_event();
  std::fill(cube.tec.begin(), cube.tec.end(), kNaN);
  auto trainer = make_cpu_trainer(1);
  ScanOptions opt;
  opt.quiet_progress = true;
  EXPECT_NE(input_error([&] {
              compute_scan(cube, fast_config(), *trainer, opt);
            }).find("no valid TEC value"),
            std::string::npos);
  const fs::path dir = temp_dir("nan_cube");
  const std::string path = (dir / "cube.h5").string();
  write_cube(path, cube);
  const std::string message = input_error([&] { read_cube(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("'tec'"), std::string::npos) << message;
  EXPECT_NE(message.find("no valid value"), std::string::npos) << message;
  fs::remove_all(dir);
}

// ---- item 6: a cube without an index dataset --------------------------------------------------

TEST(DataValidity, ACubeWithoutAnIndexDatasetIsAnInputErrorNamingIt) {
  Cube cube = small_event();
  cube.indices[static_cast<int>(IndexKind::kF107)].clear();  // a cube built without F10.7
  const fs::path dir = temp_dir("index");
  const std::string path = (dir / "cube.h5").string();
  write_cube(path, cube);
  // Every index is written (NaN where the cube has none) and read back.
  const Cube back = read_cube(path);
  for (int k = 0; k < kNumIndexKinds; ++k) EXPECT_EQ(back.indices[k].size(), cube.ntime());
  for (float v : back.indices[static_cast<int>(IndexKind::kF107)]) EXPECT_TRUE(std::isnan(v));

  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  EXPECT_GE(H5Ldelete(file, "indices/kp", H5P_DEFAULT), 0);
  H5Fclose(file);
  const std::string message = input_error([&] { read_cube(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("'indices/kp' is missing"), std::string::npos) << message;
  fs::remove_all(dir);
}

// ---- item 5: two files for one UTC day --------------------------------------------------------

TEST(DataValidity, TwoDifferentFilesForOneDayAreRefusedIdenticalOnesReadOnce) {
  const std::string day = kJplDir + "jplg3410.00i.Z";
  const IonexFile original = read_ionex(day);
  std::vector<std::string> lines = split_lines(read_file_decompressed(day));
  IonexFile plain_copy = parse_ionex(join_lines(lines), "copy/jplg3410.00i");
  lines[find_label(lines, "LAT/LON1/LON2/DLON/H") + 1].replace(0, 5, "  123");
  IonexFile changed = parse_ionex(join_lines(lines), "other/jplg3410.00i");
  IonexFile next_day = read_ionex(kJplDir + "jplg3420.00i.Z");

  EXPECT_EQ(ionex_file_day(original), days_from_civil(2000, 12, 6));
  const std::vector<IonexFile> kept = one_file_per_day({original, plain_copy, next_day});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].path, day);
  EXPECT_EQ(kept[1].path, next_day.path);

  const std::string message = input_error([&] { one_file_per_day({original, next_day, changed}); });
  EXPECT_NE(message.find(day), std::string::npos) << message;
  EXPECT_NE(message.find("other/jplg3410.00i"), std::string::npos) << message;
  EXPECT_NE(message.find("same UTC day (2000-12-06)"), std::string::npos) << message;
  // The path form (what the archive calls) applies the same rule.
  const fs::path dir = temp_dir("same_day");
  const std::string copy = (dir / "jplg3410.00i.Z").string();
  fs::copy_file(day, copy);
  EXPECT_NO_THROW(require_same_maps(day, copy));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tecscan
