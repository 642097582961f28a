// IONEX reader: the bundled real files, the format's corner cases (synthetic files written
// here), decompression by magic bytes, and a clear InputError for every kind of broken file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "support/ionex_text.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

using namespace tecscan;
namespace fs = std::filesystem;

namespace {

const std::string kIonexDir = std::string(TECSCAN_SOURCE_DIR) + "/data/ionex";
const std::string kJpl2017 = kIonexDir + "/fixtures/jplg0010.17i.gz";
const std::string kIgsRapid = kIonexDir + "/fixtures/igrg3380.10i";
const std::string kCodeKlobuchar = kIonexDir + "/fixtures/CKMG0080.09I.gz";

// Index of a node on the standard 87.5..-87.5 x -180..180 grid.
float node(const IonexFile& f, const IonexMap& m, double lat, double lon, bool rms = false) {
  int i = static_cast<int>(std::lround((lat - f.grid.lat1) / f.grid.dlat));
  int j = static_cast<int>(std::lround((lon - f.grid.lon1) / f.grid.dlon));
  return (rms ? m.rms : m.tec)[static_cast<size_t>(i) * f.grid.nlon + j];
}

// Sum over the map without the +180 column (a copy of -180), as the reference reader did.
double sum_without_wrap(const IonexFile& f, const std::vector<float>& values) {
  double sum = 0;
  for (int i = 0; i < f.grid.nlat; ++i)
    for (int j = 0; j + 1 < f.grid.nlon; ++j)
      sum += values[static_cast<size_t>(i) * f.grid.nlon + j];
  return sum;
}

bool same_values(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (!(a[k] == b[k] || (std::isnan(a[k]) && std::isnan(b[k])))) return false;
  return true;
}

void expect_same_file(const IonexFile& a, const IonexFile& b) {
  ASSERT_EQ(a.maps.size(), b.maps.size());
  EXPECT_EQ(a.grid.nlat, b.grid.nlat);
  EXPECT_EQ(a.grid.nlon, b.grid.nlon);
  for (size_t k = 0; k < a.maps.size(); ++k) {
    EXPECT_EQ(a.maps[k].epoch, b.maps[k].epoch);
    EXPECT_TRUE(same_values(a.maps[k].tec, b.maps[k].tec)) << "TEC map " << k;
    EXPECT_TRUE(same_values(a.maps[k].rms, b.maps[k].rms)) << "RMS map " << k;
  }
}

using tecscan::testing::find_label;
using tecscan::testing::ionex_record;
using tecscan::testing::join_lines;
using tecscan::testing::label_of;
using tecscan::testing::split_lines;

std::string epoch_record(TimeS t, const std::string& label) {
  int64_t days = t / kDay;
  int y, m, d;
  civil_from_days(days, y, m, d);
  TimeS sec = t - days * kDay;
  char data[64];
  std::snprintf(data, sizeof data, "%6d%6d%6d%6d%6d%6d", y, m, d, static_cast<int>(sec / 3600),
                static_cast<int>(sec / 60 % 60), 0);
  return ionex_record(data, label);
}

// A synthetic IONEX file for grids and layouts that no bundled file has.
struct Synthetic {
  double lat1 = 87.5, lat2 = -87.5, dlat = -2.5;
  double lon1 = -180, lon2 = 180, dlon = 5;
  double height = 450;
  int exponent = -1;
  int interval = 7200;
  std::vector<TimeS> epochs;
  bool rms = false;
  bool height_map = false;
  // Raw (unscaled) value of map m at (lat, lon).
  static int raw(size_t m, double lat, double lon) {
    return 3000 + static_cast<int>(m) * 7 + static_cast<int>(std::lround(lat * 10)) +
           static_cast<int>(std::lround(lon / 5));
  }
  std::string text() const {
    std::vector<std::string> out;
    char data[128];
    out.push_back(
        ionex_record("     1.0            IONOSPHERE MAPS     GPS", "IONEX VERSION / TYPE"));
    out.push_back(ionex_record("tecscan test        tecscan             01-jan-2024 00:00",
                               "PGM / RUN BY / DATE"));
    out.push_back(epoch_record(epochs.front(), "EPOCH OF FIRST MAP"));
    out.push_back(epoch_record(epochs.back(), "EPOCH OF LAST MAP"));
    std::snprintf(data, sizeof data, "%6d", interval);
    out.push_back(ionex_record(data, "INTERVAL"));
    std::snprintf(data, sizeof data, "%6zu", epochs.size());
    out.push_back(ionex_record(data, "# OF MAPS IN FILE"));
    out.push_back(ionex_record("  NONE", "MAPPING FUNCTION"));
    out.push_back(ionex_record("     2", "MAP DIMENSION"));
    std::snprintf(data, sizeof data, "  %6.1f%6.1f%6.1f", height, height, 0.0);
    out.push_back(ionex_record(data, "HGT1 / HGT2 / DHGT"));
    std::snprintf(data, sizeof data, "  %6.1f%6.1f%6.1f", lat1, lat2, dlat);
    out.push_back(ionex_record(data, "LAT1 / LAT2 / DLAT"));
    std::snprintf(data, sizeof data, "  %6.1f%6.1f%6.1f", lon1, lon2, dlon);
    out.push_back(ionex_record(data, "LON1 / LON2 / DLON"));
    std::snprintf(data, sizeof data, "%6d", exponent);
    out.push_back(ionex_record(data, "EXPONENT"));
    out.push_back(ionex_record("", "END OF HEADER"));
    auto write_maps = [&](const char* kind, int offset) {
      for (size_t m = 0; m < epochs.size(); ++m) {
        std::snprintf(data, sizeof data, "%6zu", m + 1);
        out.push_back(ionex_record(data, std::string("START OF ") + kind + " MAP"));
        out.push_back(epoch_record(epochs[m], "EPOCH OF CURRENT MAP"));
        int nlat = static_cast<int>(std::lround((lat2 - lat1) / dlat)) + 1;
        int nlon = static_cast<int>(std::lround((lon2 - lon1) / dlon)) + 1;
        for (int i = 0; i < nlat; ++i) {
          double lat = lat1 + i * dlat;
          std::snprintf(data, sizeof data, "  %6.1f%6.1f%6.1f%6.1f%6.1f", lat, lon1, lon2, dlon,
                        height);
          out.push_back(ionex_record(data, "LAT/LON1/LON2/DLON/H"));
          std::string line;
          for (int j = 0; j < nlon; ++j) {
            std::snprintf(data, sizeof data, "%5d", raw(m, lat, lon1 + j * dlon) + offset);
            line += data;
            if ((j + 1) % 16 == 0 || j + 1 == nlon) {
              out.push_back(line);
              line.clear();
            }
          }
        }
        std::snprintf(data, sizeof data, "%6zu", m + 1);
        out.push_back(ionex_record(data, std::string("END OF ") + kind + " MAP"));
      }
    };
    write_maps("TEC", 0);
    if (rms) write_maps("RMS", -2900);
    if (height_map) write_maps("HEIGHT", 0);
    out.push_back(ionex_record("", "END OF FILE"));
    return join_lines(out);
  }
};

class IonexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tecscan_ionex_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // Writes a broken copy and expects InputError naming the file and exactly `line`.
  void expect_error_at(const std::string& name, const std::string& text, long line,
                       const std::string& fragment) const {
    std::string path = write(name, text);
    try {
      read_ionex(path);
      ADD_FAILURE() << name << ": no InputError";
    } catch (const InputError& e) {
      std::string message = e.what();
      EXPECT_EQ(e.line(), line) << message;
      EXPECT_NE(message.find(path + ":" + std::to_string(line) + ": "), std::string::npos)
          << message;
      EXPECT_NE(message.find(fragment), std::string::npos) << message;
    }
  }
  fs::path dir_;
};

std::string jpl2017_text() {
  static const std::string text = read_file_decompressed(kJpl2017);
  return text;
}

}  // namespace

TEST(Ionex, ReadsJplFinal2017WithRmsAndAuxBlock) {
  IonexFile f = read_ionex(kJpl2017);
  EXPECT_EQ(f.path, kJpl2017);
  EXPECT_DOUBLE_EQ(f.version, 1.0);
  EXPECT_EQ(f.program, "GIM V3.0");
  EXPECT_EQ(f.agency, "JPL - GNISD");
  EXPECT_EQ(f.mapping_function, "NONE");
  EXPECT_EQ(f.interval_s, 7200);
  EXPECT_EQ(f.exponent, -1);
  EXPECT_EQ(f.first_epoch, make_time(2017, 1, 1));
  EXPECT_EQ(f.last_epoch, make_time(2017, 1, 2));
  EXPECT_DOUBLE_EQ(f.grid.lat1, 87.5);
  EXPECT_DOUBLE_EQ(f.grid.lat2, -87.5);
  EXPECT_DOUBLE_EQ(f.grid.dlat, -2.5);
  EXPECT_DOUBLE_EQ(f.grid.lon1, -180);
  EXPECT_DOUBLE_EQ(f.grid.lon2, 180);
  EXPECT_DOUBLE_EQ(f.grid.dlon, 5);
  EXPECT_DOUBLE_EQ(f.grid.height_km, 450);
  EXPECT_EQ(f.grid.nlat, 71);
  EXPECT_EQ(f.grid.nlon, 73);
  ASSERT_EQ(f.maps.size(), 13u);  // 00:00 .. 24:00 every 2 h
  for (size_t k = 0; k < 13; ++k) {
    EXPECT_EQ(f.maps[k].epoch, make_time(2017, 1, 1) + static_cast<TimeS>(k) * 7200);
    EXPECT_EQ(f.maps[k].tec.size(), 71u * 73u);
    EXPECT_EQ(f.maps[k].rms.size(), 71u * 73u) << "RMS map attached to TEC map " << k;
  }
  // Spot values read off the file text (x0.1 TECU).
  const IonexMap& first = f.maps.front();
  EXPECT_FLOAT_EQ(node(f, first, 35.0, 45.0), 7.1f);
  EXPECT_FLOAT_EQ(node(f, first, 87.5, -180), 3.3f);
  EXPECT_FLOAT_EQ(node(f, first, 87.5, 180), 3.3f);
  EXPECT_FLOAT_EQ(node(f, first, -87.5, 175), 9.5f);
  EXPECT_FLOAT_EQ(node(f, first, 12.5, -90), 11.4f);
  EXPECT_FLOAT_EQ(node(f, first, 0, 0), 14.2f);
  EXPECT_FLOAT_EQ(node(f, first, 35.0, 45.0, true), 2.5f);
  EXPECT_FLOAT_EQ(node(f, first, 12.5, -90, true), 3.9f);
  const IonexMap& midnight = f.maps.back();  // the 24:00 map
  EXPECT_FLOAT_EQ(node(f, midnight, 35.0, 45.0), 7.0f);
  EXPECT_FLOAT_EQ(node(f, midnight, 0, 0), 10.6f);
  EXPECT_FLOAT_EQ(node(f, midnight, -87.5, 175, true), 2.5f);
  // Whole-map sums recomputed by tests/python/independent_values.py (its own IONEX reader).
  EXPECT_NEAR(sum_without_wrap(f, first.tec), 65862.9, 0.05);
  EXPECT_NEAR(sum_without_wrap(f, first.rms), 15304.3, 0.05);
  EXPECT_NEAR(sum_without_wrap(f, midnight.tec), 58416.9, 0.05);
  EXPECT_NEAR(sum_without_wrap(f, midnight.rms), 14914.3, 0.05);
}

TEST(Ionex, ReadsIgsRapidPlainMixFileWithoutEndOfFile) {
  IonexFile f = read_ionex(kIgsRapid);
  EXPECT_EQ(f.program, "tecrms2ionex_2.awk");
  EXPECT_EQ(f.agency, "GRL/UWM");
  EXPECT_EQ(f.mapping_function, "COSZ");
  EXPECT_EQ(f.first_epoch, make_time(2010, 12, 4));
  EXPECT_EQ(f.last_epoch, make_time(2010, 12, 5));
  EXPECT_EQ(f.grid.nlat, 71);
  EXPECT_EQ(f.grid.nlon, 73);
  ASSERT_EQ(f.maps.size(), 13u);
  for (const IonexMap& m : f.maps) EXPECT_EQ(m.rms.size(), m.tec.size());
  EXPECT_EQ(f.maps[6].epoch, make_time(2010, 12, 4, 12));
  EXPECT_FLOAT_EQ(node(f, f.maps[0], 35.0, 45.0), 9.5f);
  EXPECT_FLOAT_EQ(node(f, f.maps[0], -87.5, 175), 14.9f);
  EXPECT_FLOAT_EQ(node(f, f.maps[6], 0, 0), 35.9f);
  EXPECT_FLOAT_EQ(node(f, f.maps[6], 35.0, 45.0, true), 1.8f);
  EXPECT_FLOAT_EQ(node(f, f.maps[0], 35.0, 45.0, true), 1.5f);
  // Whole-map sums recomputed by tests/python/independent_values.py (its own IONEX reader).
  EXPECT_NEAR(sum_without_wrap(f, f.maps[0].tec), 67822.3, 0.05);
  EXPECT_NEAR(sum_without_wrap(f, f.maps[0].rms), 6791.0, 0.05);
  EXPECT_NEAR(sum_without_wrap(f, f.maps[6].rms), 9408.6, 0.05);
}

TEST(Ionex, ReadsCodeKlobucharMapsWithoutRms) {
  IonexFile f = read_ionex(kCodeKlobuchar);
  EXPECT_EQ(f.agency, "AIUB");
  EXPECT_DOUBLE_EQ(f.grid.height_km, 350);
  ASSERT_EQ(f.maps.size(), 13u);
  for (const IonexMap& m : f.maps) EXPECT_TRUE(m.rms.empty());
  EXPECT_EQ(f.maps.back().epoch, make_time(2009, 1, 9));
  EXPECT_FLOAT_EQ(node(f, f.maps[0], 87.5, -180), 9.2f);
  EXPECT_FLOAT_EQ(node(f, f.maps[0], 12.5, -90), 10.4f);
  EXPECT_NEAR(sum_without_wrap(f, f.maps[0].tec), 54118.7, 0.05);
}

TEST(Ionex, ReadsAll55JplCompressFilesOfTheSeries) {
  std::vector<std::string> paths = expand_inputs({kIonexDir + "/jpl-2000-2001"});
  ASSERT_EQ(paths.size(), 55u);
  auto t0 = std::chrono::steady_clock::now();
  for (const std::string& path : paths) {
    IonexFile f = read_ionex(path);
    // jplgDDD0.YYi.Z: the maps are at the odd hours 01..23 of that day of year.
    std::string base = fs::path(path).filename().string();
    int doy = std::stoi(base.substr(4, 3));
    int year = 2000 + std::stoi(base.substr(9, 2));
    TimeS day = time_from_doy(year, doy);
    EXPECT_EQ(f.first_epoch, day + kHour) << path;
    EXPECT_EQ(f.last_epoch, day + 23 * kHour) << path;
    EXPECT_EQ(f.interval_s, 7200) << path;
    EXPECT_DOUBLE_EQ(f.grid.height_km, 450) << path;  // written "450.0 450.0    .0"
    EXPECT_EQ(f.grid.nlat, 71) << path;
    EXPECT_EQ(f.grid.nlon, 73) << path;
    ASSERT_EQ(f.maps.size(), 12u) << path;
    for (size_t k = 0; k < 12; ++k) {
      EXPECT_EQ(f.maps[k].epoch, day + kHour + static_cast<TimeS>(k) * 7200) << path;
      EXPECT_EQ(f.maps[k].rms.size(), f.maps[k].tec.size()) << path;
      for (float v : f.maps[k].tec) ASSERT_TRUE(v > 0 && v < 200) << path << " map " << k;
    }
    if (base == "jplg3260.00i.Z") {
      EXPECT_FLOAT_EQ(node(f, f.maps[0], 35.0, 45.0), 14.9f);
      EXPECT_FLOAT_EQ(node(f, f.maps[0], 87.5, 180), 16.2f);
      EXPECT_FLOAT_EQ(node(f, f.maps[0], 12.5, -90), 67.3f);
      EXPECT_FLOAT_EQ(node(f, f.maps[11], -87.5, 175), 19.7f);
      EXPECT_FLOAT_EQ(node(f, f.maps[11], 35.0, 45.0, true), 3.2f);
      EXPECT_NEAR(sum_without_wrap(f, f.maps[0].tec), 188068.2, 0.2);
      EXPECT_NEAR(sum_without_wrap(f, f.maps[11].rms), 18928.9, 0.05);
    }
    if (base == "jplg0130.01i.Z") {  // 2001-01-13 17:00, the hour of the El Salvador M7.7
      EXPECT_EQ(f.maps[8].epoch, make_time(2001, 1, 13, 17));
      EXPECT_FLOAT_EQ(node(f, f.maps[8], 12.5, -90), 51.0f);
      EXPECT_FLOAT_EQ(node(f, f.maps[8], 0, 0), 79.0f);
      EXPECT_FLOAT_EQ(node(f, f.maps[8], 0, 0, true), 4.2f);
      EXPECT_NEAR(sum_without_wrap(f, f.maps[8].tec), 153372.6, 0.2);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 10.0) << "55 daily files should parse in well under a few seconds";
}

TEST_F(IonexTest, GzipCopyOfAPlainFileReadsIdentically) {
  std::string plain = read_file_decompressed(kIgsRapid);
  std::string path = (dir_ / "igs_copy_without_suffix").string();  // content decides, not name
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, plain.data(), static_cast<unsigned>(plain.size())),
            static_cast<int>(plain.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  EXPECT_EQ(read_file_decompressed(path), plain);
  expect_same_file(read_ionex(kIgsRapid), read_ionex(path));
  // And the other way round: a decompressed .Z file reads like the .Z file.
  std::string z_path = kIonexDir + "/jpl-2000-2001/jplg0010.01i.Z";
  std::string plain_z = write("jplg0010.01i", read_file_decompressed(z_path));
  expect_same_file(read_ionex(z_path), read_ionex(plain_z));
}

TEST_F(IonexTest, DosLineEndsReadIdentically) {
  std::string text = jpl2017_text(), crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  expect_same_file(read_ionex(kJpl2017), read_ionex(write("crlf.17i", crlf)));
}

TEST_F(IonexTest, CorruptOrMissingCompressedFilesNameTheFile) {
  std::string gz;
  {
    std::ifstream in(kJpl2017, std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(gz.size(), 100000u);
  std::string flipped = gz;
  for (size_t k = 60000; k < 60010; ++k) flipped[k] = static_cast<char>(flipped[k] ^ 0x5a);
  std::string z;
  {
    std::ifstream in(kIonexDir + "/jpl-2000-2001/jplg3260.00i.Z", std::ios::binary);
    z.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string bad_z = std::string("\x1f\x9d\x90", 3) + std::string(2000, '\xff');
  const std::vector<std::pair<std::string, std::string>> broken = {
      {"cut.gz", gz.substr(0, gz.size() / 2)}, {"flipped.gz", flipped},
      {"magic-only.gz", gz.substr(0, 2)},      {"garbage.Z", bad_z},
      {"cut.Z", z.substr(0, z.size() / 3)},  // compress has no checksum: caught as a cut map
  };
  for (const auto& [name, bytes] : broken) {
    std::string path = write(name, bytes);
    try {
      read_ionex(path);
      ADD_FAILURE() << name << " was read without error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  std::string missing = (dir_ / "no-such-file.Z").string();
  EXPECT_THROW(read_file_decompressed(missing), InputError);
  EXPECT_THROW(read_file_decompressed(dir_.string()), InputError);  // a directory
}

TEST_F(IonexTest, BrokenCopiesRaiseInputErrorWithFileAndLine) {
  const std::vector<std::string> lines = split_lines(jpl2017_text());
  const size_t header_exponent = find_label(lines, "EXPONENT");
  const size_t map3 = find_label(lines, "START OF TEC MAP", 2);
  const size_t row = find_label(lines, "LAT/LON1/LON2/DLON/H", 2 * 71 + 10);  // map 3, row 11
  ASSERT_GT(row, map3);

  {  // File cut in the middle of a map: END OF TEC MAP and END OF FILE are missing.
    std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<long>(row) + 3);
    expect_error_at("cut_map.17i", join_lines(cut), static_cast<long>(row) + 3,
                    "ends after 32 of 73 values");
  }
  {  // Cut right after a row: the map has too few latitude rows.
    std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<long>(row));
    expect_error_at("cut_rows.17i", join_lines(cut), static_cast<long>(row),
                    "file ends before 'END OF TEC MAP'");
  }
  {  // Cut between maps (no END OF FILE): fewer maps than # OF MAPS IN FILE.
    std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<long>(map3));
    expect_error_at("cut_between.17i", join_lines(cut), static_cast<long>(map3),
                    "holds 2 TEC maps but the header declares 13");
  }
  {  // END OF TEC MAP missing: the next map starts inside this one.
    std::vector<std::string> broken = lines;
    size_t end2 = find_label(lines, "END OF TEC MAP", 1);
    broken.erase(broken.begin() + static_cast<long>(end2));
    expect_error_at("no_end_of_map.17i", join_lines(broken), static_cast<long>(end2) + 1,
                    "has no 'END OF TEC MAP'");
  }
  {  // Bad header EXPONENT.
    std::vector<std::string> broken = lines;
    broken[header_exponent] = ionex_record("    -x", "EXPONENT");
    expect_error_at("bad_exponent.17i", join_lines(broken), static_cast<long>(header_exponent) + 1,
                    "expected EXPONENT");
  }
  {  // Bad map-level EXPONENT.
    std::vector<std::string> broken = lines;
    broken.insert(broken.begin() + static_cast<long>(map3) + 2, ionex_record("   -42", "EXPONENT"));
    expect_error_at("bad_map_exponent.17i", join_lines(broken), static_cast<long>(map3) + 3,
                    "from -9 to 9");
  }
  {  // One value too few in a row: its last line holds 8 values instead of 9.
    std::vector<std::string> broken = lines;
    broken[row + 5] = broken[row + 5].substr(0, 40);
    expect_error_at("short_row.17i", join_lines(broken), static_cast<long>(row) + 6,
                    "has 72 values, expected 73");
  }
  {  // One value too many.
    std::vector<std::string> broken = lines;
    broken[row + 5] += "   42";
    expect_error_at("long_row.17i", join_lines(broken), static_cast<long>(row) + 6,
                    "more than 73 values");
  }
  {  // Garbage where an I5 value belongs.
    std::vector<std::string> broken = lines;
    broken[row + 2].replace(15, 5, " abc ");
    expect_error_at("garbage.17i", join_lines(broken), static_cast<long>(row) + 3,
                    "columns 16-20, found ' abc '");
  }
  {  // Garbage line between maps.
    std::vector<std::string> broken = lines;
    broken.insert(broken.begin() + static_cast<long>(map3), "this is not IONEX");
    expect_error_at("garbage_between.17i", join_lines(broken), static_cast<long>(map3) + 1,
                    "unexpected line between maps");
  }
  {  // MAP DIMENSION 3.
    std::vector<std::string> broken = lines;
    size_t k = find_label(lines, "MAP DIMENSION");
    broken[k] = ionex_record("     3", "MAP DIMENSION");
    expect_error_at("dim3.17i", join_lines(broken), static_cast<long>(k) + 1, "MAP DIMENSION 3");
  }
  {  // Several heights.
    std::vector<std::string> broken = lines;
    size_t k = find_label(lines, "HGT1 / HGT2 / DHGT");
    broken[k] = ionex_record("   200.0 800.0  50.0", "HGT1 / HGT2 / DHGT");
    expect_error_at("heights.17i", join_lines(broken), static_cast<long>(k) + 1, "HGT1 != HGT2");
  }
  {  // Unreadable EPOCH OF CURRENT MAP.
    std::vector<std::string> broken = lines;
    broken[map3 + 1] = ionex_record("  2017     1    1O     4     0     0", "EPOCH OF CURRENT MAP");
    expect_error_at("bad_epoch.17i", join_lines(broken), static_cast<long>(map3) + 2,
                    "cannot read EPOCH OF CURRENT MAP");
    broken[map3 + 1] = ionex_record("  2017    13     1     4     0     0", "EPOCH OF CURRENT MAP");
    expect_error_at("bad_month.17i", join_lines(broken), static_cast<long>(map3) + 2,
                    "not a valid UTC date");
  }
  {  // Latitude band outside the grid.
    std::vector<std::string> broken = lines;
    broken[row] = ionex_record("    90.0-180.0 180.0   5.0 450.0", "LAT/LON1/LON2/DLON/H");
    expect_error_at("lat_outside.17i", join_lines(broken), static_cast<long>(row) + 1,
                    "row latitude 90 is not on the header grid");
  }
  {  // Row longitudes that do not match the header grid.
    std::vector<std::string> broken = lines;
    broken[row] = ionex_record("    60.0-180.0 180.0   2.5 450.0", "LAT/LON1/LON2/DLON/H");
    expect_error_at("lon_step.17i", join_lines(broken), static_cast<long>(row) + 1,
                    "does not lie on the header grid");
  }
  {  // Not an IONEX file at all.
    expect_error_at("catalog.csv", "time,latitude,longitude\n2017-11-12,34.9,45.9\n", 1,
                    "IONEX VERSION / TYPE");
  }
  {  // Header never ends.
    std::vector<std::string> broken(lines.begin(), lines.begin() + 20);
    expect_error_at("header_only.17i", join_lines(broken), 20, "expected END OF HEADER");
  }
}

TEST_F(IonexTest, MissingValuesBecomeNanAndMapExponentOverrides) {
  std::vector<std::string> lines = split_lines(jpl2017_text());
  size_t map2 = find_label(lines, "START OF TEC MAP", 1);
  size_t row = find_label(lines, "LAT/LON1/LON2/DLON/H", 71 + 21);  // map 2, 35.0N
  ASSERT_EQ(lines[row].substr(0, 8), "    35.0");
  // Value 46 of the row (45.0E) is field 14 on the third data line: set it to 9999.
  std::string& line = lines[row + 3];
  const std::string original = line.substr(65, 5);
  line.replace(65, 5, " 9999");
  // And an EXPONENT -2 in map 2 only.
  lines.insert(lines.begin() + static_cast<long>(map2) + 2, ionex_record("    -2", "EXPONENT"));
  IonexFile f = parse_ionex(join_lines(lines), "edited.17i");
  IonexFile reference = read_ionex(kJpl2017);
  ASSERT_EQ(f.maps.size(), 13u);
  EXPECT_TRUE(std::isnan(node(f, f.maps[1], 35.0, 45.0)));
  EXPECT_FALSE(std::isnan(node(reference, reference.maps[1], 35.0, 45.0)));
  EXPECT_FLOAT_EQ(node(reference, reference.maps[1], 35.0, 45.0), std::stof(original) / 10);
  // Map 2 read with 10^-2: one tenth of the reference, everywhere else.
  for (double lat : {87.5, 12.5, -60.0})
    EXPECT_FLOAT_EQ(node(f, f.maps[1], lat, 0), node(reference, reference.maps[1], lat, 0) / 10);
  // The override does not leak into map 3 or the RMS map of the same epoch.
  EXPECT_TRUE(same_values(f.maps[2].tec, reference.maps[2].tec));
  EXPECT_TRUE(same_values(f.maps[1].rms, reference.maps[1].rms));
}

TEST_F(IonexTest, HourTwentyFourIsMidnightOfTheNextDay) {
  std::vector<std::string> lines = split_lines(jpl2017_text());
  size_t last = find_label(lines, "EPOCH OF CURRENT MAP", 12);
  ASSERT_EQ(lines[last].substr(0, 36), "  2017     1     2     0     0     0");
  lines[last] = ionex_record("  2017     1     1    24     0     0", "EPOCH OF CURRENT MAP");
  size_t rms_last = find_label(lines, "EPOCH OF CURRENT MAP", 25);
  lines[rms_last] = lines[last];
  IonexFile f = parse_ionex(join_lines(lines), "hour24.17i");
  EXPECT_EQ(f.maps.back().epoch, make_time(2017, 1, 2));
  EXPECT_FALSE(f.maps.back().rms.empty());
  // Hour 24 with minutes is not a time.
  lines[last] = ionex_record("  2017     1     1    24    30     0", "EPOCH OF CURRENT MAP");
  EXPECT_THROW(parse_ionex(join_lines(lines), "hour24.17i"), InputError);
}

TEST(Ionex, SouthToNorthGridWithOtherLongitudesAndHourlyMaps) {
  Synthetic s;
  s.lat1 = -60, s.lat2 = 60, s.dlat = 2.5;  // south -> north
  s.lon1 = 0, s.lon2 = 357.5, s.dlon = 2.5;
  s.height = 350;
  s.exponent = -2;
  s.rms = true;
  s.height_map = true;  // HEIGHT maps are skipped
  for (int h = 0; h <= 24; ++h) s.epochs.push_back(make_time(2015, 3, 17, h));
  s.interval = 3600;
  IonexFile f = parse_ionex(s.text(), "synthetic.15i");
  EXPECT_EQ(f.grid.nlat, 49);
  EXPECT_EQ(f.grid.nlon, 144);
  EXPECT_DOUBLE_EQ(f.grid.dlat, 2.5);
  EXPECT_DOUBLE_EQ(f.grid.height_km, 350);
  EXPECT_EQ(f.program, "tecscan test");
  ASSERT_EQ(f.maps.size(), 25u);
  EXPECT_EQ(f.maps[24].epoch, make_time(2015, 3, 18));
  for (size_t m : {0, 13, 24})
    for (int i : {0, 20, 48})
      for (int j : {0, 71, 143}) {
        double lat = -60 + 2.5 * i, lon = 2.5 * j;
        size_t k = static_cast<size_t>(i) * 144 + j;
        EXPECT_FLOAT_EQ(f.maps[m].tec[k], Synthetic::raw(m, lat, lon) / 100.0f);
        EXPECT_FLOAT_EQ(f.maps[m].rms[k], (Synthetic::raw(m, lat, lon) - 2900) / 100.0f);
      }
}

TEST(Ionex, ParsesTouchingFixedColumnFields) {
  // Fields that touch ("-87.5-180.0") and ".0" numbers: a whitespace split would misread them.
  Synthetic s;
  s.lat1 = -87.5, s.lat2 = -80, s.dlat = 2.5;
  s.lon1 = -180, s.lon2 = -170, s.dlon = 5;
  s.epochs = {make_time(2020, 2, 29, 1)};
  std::string text = s.text();
  ASSERT_NE(text.find("   -87.5-180.0-170.0   5.0 450.0"), std::string::npos);
  size_t hgt = text.find("   450.0 450.0   0.0");
  ASSERT_NE(hgt, std::string::npos);
  text.replace(hgt, 20, "   450.0 450.0    .0");
  IonexFile f = parse_ionex(text, "touching.20i");
  EXPECT_EQ(f.grid.nlat, 4);
  EXPECT_EQ(f.grid.nlon, 3);
  ASSERT_EQ(f.maps.size(), 1u);
  EXPECT_EQ(f.maps[0].epoch, make_time(2020, 2, 29, 1));
  EXPECT_FLOAT_EQ(f.maps[0].tec[0], Synthetic::raw(0, -87.5, -180) / 10.0f);
  EXPECT_FLOAT_EQ(f.maps[0].tec[11], Synthetic::raw(0, -80, -170) / 10.0f);
}

TEST(Ionex, ReadsTheHandMadeFuzzSeed) {
  // tests/fuzz/seeds/tiny_grid.19i: 3 x 5 regional grid, IONEX 1.1, 12 h maps, hour-24 epoch.
  IonexFile f = read_ionex(std::string(TECSCAN_SOURCE_DIR) + "/tests/fuzz/seeds/tiny_grid.19i");
  EXPECT_DOUBLE_EQ(f.version, 1.1);
  EXPECT_EQ(f.interval_s, 43200);
  EXPECT_EQ(f.grid.nlat, 3);
  EXPECT_EQ(f.grid.nlon, 5);
  ASSERT_EQ(f.maps.size(), 2u);
  EXPECT_EQ(f.maps[1].epoch, make_time(2019, 1, 2));
  EXPECT_FLOAT_EQ(f.maps[0].tec[0], 10.0f);
  EXPECT_TRUE(std::isnan(f.maps[0].tec[7]));  // 9999 at 0N 0E
  EXPECT_FLOAT_EQ(f.maps[1].tec[14], 2.24f);  // map-level EXPONENT -2
  EXPECT_FLOAT_EQ(f.maps[1].rms[14], 4.4f);   // RMS maps keep the header EXPONENT -1
  // A regional grid has no wrap-around column to drop.
  IonexSeries s = assemble_series({f});
  EXPECT_EQ(s.ntime, 2);
  EXPECT_EQ(s.step, 43200);
  EXPECT_EQ(s.grid.nlon, 5);
  EXPECT_DOUBLE_EQ(s.grid.lon2, 10);
}
