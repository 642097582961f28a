// assemble_series (daily files -> one regular axis, gaps, the 24:00 rule, grid layout) and
// expand_inputs (files, directories, globs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/ionex_text.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

using namespace tecscan;
namespace fs = std::filesystem;

namespace {

const std::string kIonexDir = std::string(TECSCAN_SOURCE_DIR) + "/data/ionex";
const std::string kSeriesDir = kIonexDir + "/jpl-2000-2001";
const std::string kJpl2017 = kIonexDir + "/fixtures/jplg0010.17i.gz";

// The 55 JPL days, parsed once for every test of this file.
const std::vector<IonexFile>& jpl_days() {
  static const std::vector<IonexFile> files = [] {
    std::vector<IonexFile> out;
    for (const std::string& path : expand_inputs({kSeriesDir})) out.push_back(read_ionex(path));
    return out;
  }();
  return files;
}

int lat_index(const IonexGrid& g, double lat) {
  return static_cast<int>(std::lround((lat - g.lat1) / g.dlat));
}
int lon_index(const IonexGrid& g, double lon) {
  return static_cast<int>(std::lround((lon - g.lon1) / g.dlon));
}
float series_node(const IonexSeries& s, TimeS epoch, double lat, double lon, bool rms = false) {
  long t = static_cast<long>((epoch - s.start) / s.step);
  size_t k = (static_cast<size_t>(t) * s.grid.nlat + lat_index(s.grid, lat)) * s.grid.nlon +
             lon_index(s.grid, lon);
  return (rms ? s.rms : s.tec)[k];
}
bool slot_all_nan(const std::vector<float>& values, const IonexSeries& s, long t) {
  size_t cells = static_cast<size_t>(s.grid.nlat) * s.grid.nlon;
  return std::all_of(values.begin() + static_cast<long>(t * cells),
                     values.begin() + static_cast<long>((t + 1) * cells),
                     [](float v) { return std::isnan(v); });
}

using tecscan::testing::ionex_record;
using tecscan::testing::shift_days;

// Inserts a map-level EXPONENT -2 into the first TEC map: that map reads 10x smaller, which
// tells in the series which file a slot came from.
std::string tag_first_map(const std::string& text) {
  size_t epoch = text.find("EPOCH OF CURRENT MAP");
  size_t next = text.find('\n', epoch) + 1;
  return text.substr(0, next) + ionex_record("    -2", "EXPONENT") + "\n" + text.substr(next);
}

class IonexSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tecscan_series_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

}  // namespace

TEST(IonexSeries, Assembles55JplDaysWithoutGaps) {
  const std::vector<IonexFile>& files = jpl_days();
  ASSERT_EQ(files.size(), 55u);
  IonexSeries s = assemble_series(files);
  EXPECT_EQ(s.step, 7200);
  EXPECT_EQ(s.start, make_time(2000, 11, 21, 1));
  EXPECT_EQ(s.ntime, 55 * 12);
  EXPECT_EQ(s.start + (s.ntime - 1) * s.step, make_time(2001, 1, 14, 23));
  EXPECT_EQ(s.gaps.missing_epochs, 0);
  EXPECT_EQ(s.gaps.missing_days, 0);
  EXPECT_EQ(s.gaps.duplicate_epochs, 0);
  EXPECT_EQ(s.sources.size(), 55u);
  // The +180 column is gone.
  EXPECT_EQ(s.grid.nlat, 71);
  EXPECT_EQ(s.grid.nlon, 72);
  EXPECT_DOUBLE_EQ(s.grid.lon1, -180);
  EXPECT_DOUBLE_EQ(s.grid.lon2, 175);
  EXPECT_DOUBLE_EQ(s.grid.lat1, 87.5);
  EXPECT_DOUBLE_EQ(s.grid.dlat, -2.5);
  ASSERT_EQ(s.tec.size(), 660u * 71 * 72);
  ASSERT_EQ(s.rms.size(), s.tec.size());
  EXPECT_TRUE(std::none_of(s.tec.begin(), s.tec.end(), [](float v) { return std::isnan(v); }));
  // Values from the file text (see test_ionex.cpp), now at their series positions.
  EXPECT_FLOAT_EQ(s.at(0, lat_index(s.grid, 35), lon_index(s.grid, 45)), 14.9f);
  EXPECT_FLOAT_EQ(s.at(0, 0, 0), 16.2f);  // 87.5N 180W
  EXPECT_FLOAT_EQ(series_node(s, make_time(2000, 11, 21, 23), -87.5, 175), 19.7f);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2001, 1, 13, 17), 12.5, -90), 51.0f);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2001, 1, 13, 17), 0, 0, true), 4.2f);
  // Every slot equals its own file's map, node for node (minus the +180 column).
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps) {
      long t = static_cast<long>((m.epoch - s.start) / s.step);
      for (int i : {0, 35, 70})
        for (int j : {0, 36, 71})
          ASSERT_EQ(s.at(t, i, j), m.tec[static_cast<size_t>(i) * 73 + j]) << f.path;
    }
}

TEST(IonexSeries, RemovedDayIsNanAndReported) {
  std::vector<IonexFile> files;
  for (const IonexFile& f : jpl_days())
    if (f.path.find("jplg3500.00i.Z") == std::string::npos) files.push_back(f);
  ASSERT_EQ(files.size(), 54u);
  IonexSeries s = assemble_series(files);
  EXPECT_EQ(s.ntime, 660);
  EXPECT_EQ(s.gaps.missing_days, 1);
  EXPECT_EQ(s.gaps.missing_epochs, 12);
  EXPECT_EQ(s.gaps.first_gap, make_time(2000, 12, 15, 1));
  EXPECT_EQ(s.gaps.last_gap, make_time(2000, 12, 15, 23));
  long first = static_cast<long>((make_time(2000, 12, 15, 1) - s.start) / s.step);
  for (long t = first; t < first + 12; ++t) {
    EXPECT_TRUE(slot_all_nan(s.tec, s, t)) << t;
    EXPECT_TRUE(slot_all_nan(s.rms, s, t)) << t;
  }
  EXPECT_FALSE(std::isnan(s.at(first - 1, 10, 10)));
  EXPECT_FALSE(std::isnan(s.at(first + 12, 10, 10)));
}

TEST(IonexSeries, WindowKeepsTheCadenceOfTheMaps) {
  // 00:00 is not on the odd-hour axis: the window starts at 01:00.
  IonexSeries s = assemble_series(jpl_days(), make_time(2000, 12, 1), make_time(2000, 12, 2));
  EXPECT_EQ(s.start, make_time(2000, 12, 1, 1));
  EXPECT_EQ(s.ntime, 12);
  EXPECT_EQ(s.gaps.missing_epochs, 0);
  // A window running past the data: the extra day is missing.
  IonexSeries tail = assemble_series(jpl_days(), make_time(2001, 1, 14), make_time(2001, 1, 16));
  EXPECT_EQ(tail.ntime, 24);
  EXPECT_EQ(tail.gaps.missing_epochs, 12);
  EXPECT_EQ(tail.gaps.missing_days, 1);
  EXPECT_EQ(tail.gaps.first_gap, make_time(2001, 1, 15, 1));
  EXPECT_THROW(assemble_series(jpl_days(), make_time(2000, 12, 2), make_time(2000, 12, 1)),
               InputError);
}

TEST_F(IonexSeriesTest, MidnightOfTheNextDayBeatsTheTwentyFourHourMap) {
  const std::string day1 = read_file_decompressed(kJpl2017);  // 2017-01-01 00:00 .. 24:00
  IonexFile a = parse_ionex(day1, write("jplg0010.17i", day1));
  IonexFile b = read_ionex(write("jplg0020.17i", tag_first_map(shift_days(day1, 1))));
  ASSERT_EQ(b.maps.front().epoch, make_time(2017, 1, 2));
  ASSERT_EQ(a.maps.back().epoch, make_time(2017, 1, 2));
  const float from_a = a.maps.back().tec[21 * 73 + 45];  // 35N 45E of A's 24:00 map
  const float from_b = b.maps.front().tec[21 * 73 + 45];
  ASSERT_FLOAT_EQ(from_a, 7.0f);
  ASSERT_FLOAT_EQ(from_b, 0.71f);

  for (const auto& files : {std::vector<IonexFile>{a, b}, std::vector<IonexFile>{b, a}}) {
    IonexSeries s = assemble_series(files);
    EXPECT_EQ(s.ntime, 25);
    EXPECT_EQ(s.gaps.duplicate_epochs, 1);
    EXPECT_EQ(s.gaps.missing_epochs, 0);
    EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 2), 35, 45), from_b);
    EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 2), 35, 45, true),
                    b.maps.front().rms[21 * 73 + 45]);
    EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 3), 35, 45), 7.0f);  // B's own 24:00
  }

  // Day 2 absent: A's 24:00 map fills 2017-01-02 00:00, the rest of that day is missing.
  IonexFile c = read_ionex(write("jplg0030.17i", shift_days(day1, 2)));
  IonexSeries s = assemble_series({c, a});
  EXPECT_EQ(s.start, make_time(2017, 1, 1));
  EXPECT_EQ(s.ntime, 37);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 2), 35, 45), from_a);
  EXPECT_EQ(s.gaps.duplicate_epochs, 0);
  EXPECT_EQ(s.gaps.missing_epochs, 11);
  EXPECT_EQ(s.gaps.missing_days, 0);  // day 2 has its 00:00 map
  EXPECT_EQ(s.gaps.first_gap, make_time(2017, 1, 2, 2));
  EXPECT_EQ(s.gaps.last_gap, make_time(2017, 1, 2, 22));

  // The same day given twice: every epoch repeats, the first file given wins.
  IonexSeries twice = assemble_series({b, a, a});
  EXPECT_EQ(twice.gaps.duplicate_epochs, 14);
  EXPECT_FLOAT_EQ(series_node(twice, make_time(2017, 1, 2), 35, 45), from_b);
}

TEST(IonexSeries, KeepsRmsOnlyWhenPresent) {
  IonexSeries with = assemble_series({read_ionex(kJpl2017)});
  ASSERT_EQ(with.rms.size(), with.tec.size());
  EXPECT_FLOAT_EQ(series_node(with, make_time(2017, 1, 1), 35, 45, true), 2.5f);
  EXPECT_FLOAT_EQ(series_node(with, make_time(2017, 1, 1), 35, 45), 7.1f);
  IonexSeries without = assemble_series({read_ionex(kIonexDir + "/fixtures/CKMG0080.09I.gz")});
  EXPECT_TRUE(without.rms.empty());
  EXPECT_EQ(without.ntime, 13);
  EXPECT_DOUBLE_EQ(without.grid.height_km, 350);
}

TEST(IonexSeries, DifferentGridsOrOffCadenceEpochsAreInputErrors) {
  IonexFile jpl = read_ionex(kJpl2017);
  IonexFile code = read_ionex(kIonexDir + "/fixtures/CKMG0080.09I.gz");  // 350 km shell
  try {
    assemble_series({jpl, code});
    ADD_FAILURE() << "grids of different height were merged";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("CKMG0080.09I.gz"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("one grid"), std::string::npos) << e.what();
  }
  IonexFile coarse = jpl;
  coarse.grid.dlon = 10, coarse.grid.nlon = 37;
  for (IonexMap& m : coarse.maps) m.tec.resize(71 * 37), m.rms.clear();
  EXPECT_THROW(assemble_series({jpl, coarse}), InputError);

  IonexFile shifted = jpl;
  for (IonexMap& m : shifted.maps) m.epoch += 86400 + 1800;  // 00:30, 02:30, ...
  EXPECT_THROW(assemble_series({jpl, shifted}), InputError);
  EXPECT_THROW(assemble_series({}), InputError);
}

TEST(IonexSeries, NormalisesSouthToNorthAndZeroTo360Grids) {
  // A south->north, 0..360 file holding the same values as the JPL 2017 day.
  IonexFile jpl = read_ionex(kJpl2017);
  IonexFile flipped = jpl;
  flipped.grid.lat1 = -87.5, flipped.grid.lat2 = 87.5, flipped.grid.dlat = 2.5;
  flipped.grid.lon1 = 0, flipped.grid.lon2 = 360;
  for (size_t k = 0; k < jpl.maps.size(); ++k)
    for (int i = 0; i < 71; ++i)
      for (int j = 0; j < 73; ++j) {
        // Flipped node (i, j) is lat -87.5 + 2.5 i, lon 5 j (= 5 j - 360 west of 180).
        double lat = -87.5 + 2.5 * i, lon = 5.0 * j;
        int si = lat_index(jpl.grid, lat);
        int sj = lon_index(jpl.grid, lon > 180 ? lon - 360 : lon);
        flipped.maps[k].tec[static_cast<size_t>(i) * 73 + j] =
            jpl.maps[k].tec[static_cast<size_t>(si) * 73 + sj];
      }
  IonexSeries s = assemble_series({flipped});
  EXPECT_DOUBLE_EQ(s.grid.lat1, 87.5);
  EXPECT_DOUBLE_EQ(s.grid.lat2, -87.5);
  EXPECT_DOUBLE_EQ(s.grid.dlat, -2.5);
  EXPECT_DOUBLE_EQ(s.grid.lon1, 0);
  EXPECT_DOUBLE_EQ(s.grid.lon2, 355);
  EXPECT_EQ(s.grid.nlon, 72);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 1), 35, 45), 7.1f);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 1), -87.5, 175), 9.5f);
  EXPECT_FLOAT_EQ(series_node(s, make_time(2017, 1, 1), 12.5, 270), 11.4f);  // 90W
  EXPECT_FLOAT_EQ(s.at(0, 0, 36), 3.3f);  // 87.5N 180E, the first column of the JPL file
}

TEST_F(IonexSeriesTest, ExpandsFilesDirectoriesAndGlobs) {
  std::vector<std::string> all = expand_inputs({kSeriesDir});
  ASSERT_EQ(all.size(), 55u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(fs::path(all.front()).filename(), "jplg0010.01i.Z");
  std::vector<std::string> january = expand_inputs({kSeriesDir + "/jplg0*.01i.Z"});
  EXPECT_EQ(january.size(), 14u);
  // Files, a glob and a directory together: sorted, each file once.
  std::vector<std::string> mixed = expand_inputs(
      {kSeriesDir + "/jplg3660.00i.Z", kSeriesDir + "/jplg36?0.00i.Z", kJpl2017, kSeriesDir});
  EXPECT_EQ(mixed.size(), 56u);
  EXPECT_TRUE(std::is_sorted(mixed.begin(), mixed.end()));

  write("b.txt", "b");
  write("a.txt", "a");
  write(".hidden", "x");
  fs::create_directories(dir_ / "sub");
  std::vector<std::string> local = expand_inputs({dir_.string()});
  ASSERT_EQ(local.size(), 2u);  // regular files only: no subdirectory, no dotfile
  EXPECT_EQ(fs::path(local[0]).filename(), "a.txt");

  EXPECT_THROW(expand_inputs({kSeriesDir + "/*.nothing"}), InputError);
  EXPECT_THROW(expand_inputs({(dir_ / "missing.Z").string()}), InputError);
  EXPECT_THROW(expand_inputs({(dir_ / "sub").string()}), InputError);  // empty directory
  try {
    expand_inputs({kSeriesDir + "/*.nothing"});
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("*.nothing"), std::string::npos) << e.what();
  }
}
