// The global archive (tecscan archive): one-shot build from the 55 JPL days, appends and gap
// fills that reproduce it bit for bit, missing days, the 24:00 rule, errors that leave the
// archive as it was, cubes built from the archive equal to cubes built from the IONEX files,
// and the layout as h5py/xarray see it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/ionex_text.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ingest.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;

const std::string kData = TECSCAN_SOURCE_DIR "/data";
const std::string kSeriesDir = kData + "/ionex/jpl-2000-2001";
const std::string kCatalog = kData + "/catalogs/comcat_m4.5_2000-10_2001-02.csv";

// The 55 JPL files in day order (names sort 2001 before 2000: jplgDDD0.YYi.Z).
std::vector<std::string> jpl_files() {
  std::vector<std::string> files = expand_inputs({kSeriesDir});
  auto key = [](const std::string& p) {
    const std::string name = fs::path(p).filename().string();
    return name.substr(9, 2) + name.substr(4, 3);
  };
  std::sort(files.begin(), files.end(),
            [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
  return files;
}

ArchiveOptions quiet() {
  ArchiveOptions o;
  o.verbose = false;
  return o;
}

// Runs a shell command, returning its exit status and output.
int run(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) output += buf;
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Same bytes, NaNs included: "bit-identical".
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

long nan_count(const std::vector<float>& v, size_t begin, size_t end) {
  return std::count_if(v.begin() + static_cast<long>(begin), v.begin() + static_cast<long>(end),
                       [](float x) { return std::isnan(x); });
}

using tecscan::testing::shift_days;

// The archive of all 55 days, built once for the tests that only read it.
class ArchiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_dir_ = fs::temp_directory_path() / ("tecscan_archive_" + std::to_string(getpid()));
    fs::remove_all(shared_dir_);
    fs::create_directories(shared_dir_);
    full_report_ = write_archive((shared_dir_ / "full.h5").string(), jpl_files(), quiet());
  }
  static void TearDownTestSuite() { fs::remove_all(shared_dir_); }
  void SetUp() override {
    dir_ = shared_dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
  }
  static std::string full() { return (shared_dir_ / "full.h5").string(); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Files left in the test's directory (no temp file may survive a run).
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  static fs::path shared_dir_;
  static ArchiveReport full_report_;
  fs::path dir_;
};
fs::path ArchiveTest::shared_dir_;
ArchiveReport ArchiveTest::full_report_;

TEST_F(ArchiveTest, OneShotHoldsEveryDayWithProvenance) {
  const ArchiveReport& r = full_report_;
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.files_parsed, 55);
  EXPECT_EQ(r.days_written, 55);
  const ArchiveInfo& a = r.info;
  EXPECT_EQ(a.days.size(), 55u);
  EXPECT_EQ(a.count(DayStatus::kPresent), 55);
  EXPECT_EQ(a.step, 7200);
  EXPECT_EQ(a.phase, 3600);  // old JPL layout: odd hours
  EXPECT_EQ(a.maps_per_day, 12);
  EXPECT_EQ(a.start, make_time(2000, 11, 21, 1));
  EXPECT_EQ(a.ntime, 660);
  EXPECT_EQ(a.grid.nlat, 71);
  EXPECT_EQ(a.grid.nlon, 72);  // the +180 column is dropped
  EXPECT_DOUBLE_EQ(a.grid.lat1, 87.5);
  EXPECT_DOUBLE_EQ(a.grid.dlat, -2.5);
  EXPECT_DOUBLE_EQ(a.grid.lon2, 175);
  EXPECT_TRUE(a.has_rms);
  EXPECT_EQ(a.data_first(), make_time(2000, 11, 21, 1));
  EXPECT_EQ(a.data_last(), make_time(2001, 1, 14, 23));
  EXPECT_GT(a.file_bytes, 0u);

  const std::vector<std::string> files = jpl_files();
  const ArchiveDay& d0 = a.days.front();
  EXPECT_EQ(format_date(d0.day * kDay), "2000-11-21");
  EXPECT_EQ(d0.path, fs::absolute(files.front()).lexically_normal().string());
  EXPECT_EQ(d0.bytes, static_cast<int64_t>(fs::file_size(files.front())));
  EXPECT_EQ(d0.program, "GIM V3.0");
  EXPECT_EQ(d0.agency, "JPL - GNISD");
  EXPECT_EQ(d0.n_maps, 12);
  EXPECT_EQ(d0.first_map, make_time(2000, 11, 21, 1));
  EXPECT_EQ(d0.last_map, make_time(2000, 11, 21, 23));
  EXPECT_EQ(format_date(a.days.back().day * kDay), "2001-01-14");
  // The checksum agrees with coreutils' sha256sum.
  std::string out;
  if (run("sha256sum '" + files.back() + "'", out) == 0)
    EXPECT_EQ(out.substr(0, 64), a.days.back().sha256);
  else
    EXPECT_EQ(a.days.back().sha256.size(), 64u);
}

TEST_F(ArchiveTest, ValuesEqualAssembleSeriesAndTheFileText) {
  std::vector<IonexFile> parsed;
  for (const std::string& f : jpl_files()) parsed.push_back(read_ionex(f));
  const IonexSeries want = assemble_series(parsed);
  const IonexSeries got = read_archive_series(full());
  EXPECT_EQ(got.start, want.start);
  EXPECT_EQ(got.step, want.step);
  EXPECT_EQ(got.ntime, want.ntime);
  EXPECT_EQ(got.gaps.missing_epochs, 0);
  EXPECT_TRUE(same_bits(got.tec, want.tec));
  EXPECT_TRUE(same_bits(got.rms, want.rms));
  // Spot cells read by hand from the file text (see test_ionex_series.cpp).
  auto cell = [&](const IonexSeries& s, TimeS t, double lat, double lon, bool rms = false) {
    const long k = static_cast<long>((t - s.start) / s.step);
    const int i = static_cast<int>(std::lround((lat - s.grid.lat1) / s.grid.dlat));
    const int j = static_cast<int>(std::lround((lon - s.grid.lon1) / s.grid.dlon));
    return (rms ? s.rms : s.tec)[(static_cast<size_t>(k) * s.grid.nlat + i) * s.grid.nlon + j];
  };
  EXPECT_FLOAT_EQ(cell(got, make_time(2000, 11, 21, 1), 35, 45), 14.9f);
  EXPECT_FLOAT_EQ(cell(got, make_time(2000, 11, 21, 1), 87.5, -180), 16.2f);
  EXPECT_FLOAT_EQ(cell(got, make_time(2000, 11, 21, 23), -87.5, 175), 19.7f);
  EXPECT_FLOAT_EQ(cell(got, make_time(2001, 1, 13, 17), 12.5, -90), 51.0f);
  EXPECT_FLOAT_EQ(cell(got, make_time(2001, 1, 13, 17), 0, 0, true), 4.2f);

  // A window and a latitude band read the same values as the full series at those cells.
  ArchiveWindow w;
  w.start = make_time(2001, 1, 10, 0, 30);  // moves up onto the axis: 01:00
  w.end = make_time(2001, 1, 12, 5);
  w.row_begin = 20;
  w.row_count = 9;
  const IonexSeries band = read_archive_series(full(), w);
  EXPECT_EQ(band.start, make_time(2001, 1, 10, 1));
  EXPECT_EQ(band.ntime, 27);  // 01:00 of the 10th .. 05:00 of the 12th
  EXPECT_EQ(band.grid.nlat, 9);
  EXPECT_DOUBLE_EQ(band.grid.lat1, 87.5 - 20 * 2.5);
  ASSERT_EQ(band.tec.size(), 27u * 9 * 72);
  const long t0 = (band.start - want.start) / want.step;
  for (long t = 0; t < band.ntime; ++t)
    for (int i = 0; i < 9; ++i)
      for (int j = 0; j < 72; ++j) {
        ASSERT_EQ(band.at(t, i, j), want.at(t0 + t, 20 + i, j)) << t << " " << i << " " << j;
        ASSERT_EQ(band.rms[(static_cast<size_t>(t) * 9 + i) * 72 + j],
                  want.rms[(static_cast<size_t>(t0 + t) * 71 + 20 + i) * 72 + j]);
      }
  // The band's sources: the archive, then the three days it touches with their checksums.
  ASSERT_EQ(band.sources.size(), 4u);
  EXPECT_EQ(band.sources[0], full());
  EXPECT_NE(band.sources[1].find("jplg0100.01i.Z sha256:"), std::string::npos) << band.sources[1];
  EXPECT_NE(band.sources[3].find("jplg0120.01i.Z sha256:"), std::string::npos) << band.sources[3];
}

TEST_F(ArchiveTest, TwoAppendsAndAGapFillAreBitIdenticalToTheOneShot) {
  const std::vector<std::string> files = jpl_files();
  const size_t held = 40;  // 2000-12-31, appended last
  const std::vector<std::string> first(files.begin(), files.begin() + 30);
  std::vector<std::string> rest(files.begin() + 30, files.end());
  rest.erase(rest.begin() + static_cast<long>(held - 30));
  const std::string out = path("grown.h5");

  const ArchiveReport r1 = write_archive(out, first, quiet());
  EXPECT_TRUE(r1.created);
  EXPECT_EQ(r1.info.days.size(), 30u);
  EXPECT_EQ(r1.info.ntime, 360);

  const ArchiveReport r2 = write_archive(out, rest, quiet());
  EXPECT_FALSE(r2.created);
  EXPECT_EQ(r2.days_written, 24);
  EXPECT_EQ(r2.info.days.size(), 55u);
  EXPECT_EQ(r2.info.days[held].status, DayStatus::kMissing);
  EXPECT_EQ(r2.info.days[held].path, "");
  EXPECT_EQ(r2.info.count(DayStatus::kMissing), 1);
  const IonexSeries gap =
      read_archive_series(out, {make_time(2000, 12, 31), make_time(2000, 12, 31, 23)});
  EXPECT_EQ(gap.ntime, 12);
  EXPECT_EQ(gap.gaps.missing_epochs, 12);
  EXPECT_EQ(gap.gaps.missing_days, 1);
  EXPECT_EQ(nan_count(gap.tec, 0, gap.tec.size()), static_cast<long>(gap.tec.size()));

  const ArchiveReport r3 = write_archive(out, {files[held]}, quiet());
  EXPECT_EQ(r3.days_filled, 1);
  EXPECT_EQ(r3.days_written, 0);
  EXPECT_EQ(r3.info.count(DayStatus::kPresent), 55);
  EXPECT_EQ(listing(), std::vector<std::string>{"grown.h5"});  // no temp file left

  const IonexSeries a = read_archive_series(out), b = read_archive_series(full());
  EXPECT_EQ(a.ntime, b.ntime);
  EXPECT_TRUE(same_bits(a.tec, b.tec));
  EXPECT_TRUE(same_bits(a.rms, b.rms));
  const ArchiveInfo& ia = r3.info;
  const ArchiveInfo& ib = full_report_.info;
  for (size_t d = 0; d < ia.days.size(); ++d) {
    EXPECT_EQ(ia.days[d].path, ib.days[d].path);
    EXPECT_EQ(ia.days[d].sha256, ib.days[d].sha256);
    EXPECT_EQ(ia.days[d].n_maps, ib.days[d].n_maps);
    EXPECT_EQ(ia.days[d].last_map, ib.days[d].last_map);
  }
}

TEST_F(ArchiveTest, ADeletedDayIsMissingInProvenanceAndNaNInTec) {
  std::vector<std::string> files = jpl_files();
  const size_t removed = 34;  // 2000-12-25
  files.erase(files.begin() + static_cast<long>(removed));
  const ArchiveReport r = write_archive(path("gap.h5"), files, quiet());
  const ArchiveInfo& a = r.info;
  ASSERT_EQ(a.days.size(), 55u);
  EXPECT_EQ(format_date(a.days[removed].day * kDay), "2000-12-25");
  EXPECT_EQ(a.days[removed].status, DayStatus::kMissing);
  EXPECT_EQ(a.days[removed].n_maps, 0);
  EXPECT_EQ(a.days[removed].sha256, "");
  EXPECT_EQ(a.days[removed].first_map, -1);
  EXPECT_EQ(a.count(DayStatus::kMissing), 1);
  EXPECT_EQ(a.ntime, 660);

  const IonexSeries got = read_archive_series(path("gap.h5"));
  const IonexSeries full_series = read_archive_series(full());
  const size_t plane = 71 * 72, day = 12 * plane;
  EXPECT_EQ(got.gaps.missing_epochs, 12);
  EXPECT_EQ(got.gaps.missing_days, 1);
  EXPECT_EQ(got.gaps.first_gap, make_time(2000, 12, 25, 1));
  EXPECT_EQ(got.gaps.last_gap, make_time(2000, 12, 25, 23));
  EXPECT_EQ(nan_count(got.tec, removed * day, (removed + 1) * day), static_cast<long>(day));
  EXPECT_EQ(nan_count(got.rms, removed * day, (removed + 1) * day), static_cast<long>(day));
  EXPECT_EQ(nan_count(got.tec, 0, removed * day), 0);
  // Every other day holds the one-shot values.
  EXPECT_TRUE(std::equal(got.tec.begin(), got.tec.begin() + static_cast<long>(removed * day),
                         full_series.tec.begin()));
  EXPECT_TRUE(std::equal(got.tec.begin() + static_cast<long>((removed + 1) * day), got.tec.end(),
                         full_series.tec.begin() + static_cast<long>((removed + 1) * day)));
  // What assemble_series says about the same 54 files.
  std::vector<IonexFile> parsed;
  for (const std::string& f : files) parsed.push_back(read_ionex(f));
  const IonexSeries want = assemble_series(parsed);
  EXPECT_TRUE(same_bits(got.tec, want.tec));
  EXPECT_EQ(got.gaps.missing_epochs, want.gaps.missing_epochs);
}

TEST_F(ArchiveTest, ReappendingPresentDaysSkipsThemOrReplacesOnRequest) {
  const std::string out = path("copy.h5");
  fs::copy_file(full(), out);
  const std::vector<std::string> files = jpl_files();
  const std::vector<std::string> again(files.begin() + 10, files.begin() + 13);
  const auto mtime = fs::last_write_time(out);
  const ArchiveReport skipped = write_archive(out, again, quiet());
  EXPECT_EQ(fs::last_write_time(out), mtime);  // nothing to do: the file is left alone
  EXPECT_EQ(skipped.days_skipped.size(), 3u);
  EXPECT_EQ(skipped.days_written + skipped.days_filled + skipped.days_replaced, 0);
  EXPECT_EQ(skipped.info.days.size(), 55u);
  EXPECT_TRUE(same_bits(read_archive_series(out).tec, read_archive_series(full()).tec));

  ArchiveOptions replace = quiet();
  replace.replace = true;
  const ArchiveReport replaced = write_archive(out, again, replace);
  EXPECT_EQ(replaced.days_replaced, 3);
  EXPECT_TRUE(replaced.days_skipped.empty());
  EXPECT_EQ(replaced.info.count(DayStatus::kPresent), 55);
  const IonexSeries a = read_archive_series(out), b = read_archive_series(full());
  EXPECT_TRUE(same_bits(a.tec, b.tec));
  EXPECT_TRUE(same_bits(a.rms, b.rms));
  EXPECT_EQ(listing(), std::vector<std::string>{"copy.h5"});
}

TEST_F(ArchiveTest, ForeignGridCadenceOrEarlierDaysAreInputErrorsAndChangeNothing) {
  const std::string out = path("guarded.h5");
  fs::copy_file(full(), out);
  const auto before = fs::file_size(out);
  const auto mtime = fs::last_write_time(out);
  auto expect_error = [&](const std::string& file, const std::string& words) {
    try {
      write_archive(out, {file}, quiet());
      ADD_FAILURE() << file << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  };
  // CODE at 350 km: another grid. IGS and JPL 2017: the same grid, but maps at even hours.
  expect_error(kData + "/ionex/fixtures/CKMG0080.09I.gz", "grid");
  expect_error(kData + "/ionex/fixtures/igrg3380.10i", "axis");
  expect_error(kData + "/ionex/fixtures/jplg0010.17i.gz", "axis");
  // A JPL day posing as 5 days before the archive's start.
  std::string text = read_file_decompressed(jpl_files().front());
  std::ofstream(path("early.00i"), std::ios::binary) << shift_days(text, -5);
  expect_error(path("early.00i"), "before the archive's first day 2000-11-21");
  // Two different files of one day in one run (the next day's maps posing as the same day;
  // an identical copy would be read once: tests/hostile/cases/data_same_day_archive.sh).
  std::ofstream(path("twin.00i"), std::ios::binary) << shift_days(text, 60);
  std::ofstream(path("twin2.00i"), std::ios::binary)
      << shift_days(read_file_decompressed(jpl_files()[1]), 59);
  EXPECT_THROW(write_archive(out, {path("twin.00i"), path("twin2.00i")}, quiet()), InputError);
  // Not an archive.
  EXPECT_THROW(write_archive(path("early.00i"), {path("twin.00i")}, quiet()), InputError);
  EXPECT_THROW(read_archive_info(path("none.h5")), InputError);
  EXPECT_THROW(write_archive(path("no/such/dir.h5"), {path("twin.00i")}, quiet()), InputError);

  EXPECT_EQ(fs::file_size(out), before);
  EXPECT_EQ(fs::last_write_time(out), mtime);
  EXPECT_EQ(listing(),
            (std::vector<std::string>{"early.00i", "guarded.h5", "twin.00i", "twin2.00i"}));
}

// 13 maps 00..24 UT: the 24:00 map of a day fills slot 0 of the next day only while that day
// has no file, exactly as assemble_series does with the same files.
TEST_F(ArchiveTest, TheTwentyFourHourMapFollowsTheSeriesRule) {
  const std::string text = read_file_decompressed(kData + "/ionex/fixtures/jplg0010.17i.gz");
  const std::string d1 = path("d1.17i"), d2 = path("d2.17i"), d3 = path("d3.17i"),
                    d4 = path("d4.17i");
  std::ofstream(d1, std::ios::binary) << text;
  std::ofstream(d2, std::ios::binary) << shift_days(text, 1);
  std::ofstream(d3, std::ios::binary) << shift_days(text, 2);
  std::ofstream(d4, std::ios::binary) << shift_days(text, 3);
  auto check = [&](const std::vector<std::string>& files, const char* when) {
    std::vector<IonexFile> parsed;
    for (const std::string& f : files) parsed.push_back(read_ionex(f));
    const IonexSeries want = assemble_series(parsed);
    const IonexSeries got = read_archive_series(path("a.h5"));
    EXPECT_EQ(got.start, want.start) << when;
    EXPECT_EQ(got.ntime, want.ntime) << when;
    EXPECT_TRUE(same_bits(got.tec, want.tec)) << when;
    EXPECT_TRUE(same_bits(got.rms, want.rms)) << when;
    EXPECT_EQ(got.gaps.missing_epochs, want.gaps.missing_epochs) << when;
    EXPECT_EQ(got.gaps.missing_days, want.gaps.missing_days) << when;
  };
  const ArchiveReport r = write_archive(path("a.h5"), {d1, d3}, quiet());
  EXPECT_EQ(r.info.phase, 0);
  EXPECT_EQ(r.info.ntime, 3 * 12 + 1);  // ends with day 3's 24:00 map
  EXPECT_EQ(r.info.days[1].status, DayStatus::kMissing);
  EXPECT_EQ(r.info.days[0].n_maps, 12);
  EXPECT_EQ(r.info.days[0].last_map, make_time(2017, 1, 2));
  check({d1, d3}, "day 2 missing: its 00:00 slot holds day 1's 24:00 map");
  const IonexSeries gap = read_archive_series(path("a.h5"));
  EXPECT_EQ(gap.gaps.missing_epochs, 11);
  EXPECT_FALSE(std::isnan(gap.at(12, 10, 10)));

  write_archive(path("a.h5"), {d2}, quiet());
  check({d1, d2, d3}, "day 2 filled: its own 00:00 map wins");
  write_archive(path("a.h5"), {d4}, quiet());
  check({d1, d2, d3, d4}, "day 4 appended");
  // The 24:00 map really differs from the next day's own 00:00 map here (the test can fail).
  const IonexFile f1 = read_ionex(d1);
  EXPECT_NE(f1.maps.back().tec, f1.maps.front().tec);
}

void expect_same_cube(const Cube& a, const Cube& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.node_lat, b.node_lat);
  EXPECT_EQ(a.node_lon, b.node_lon);
  EXPECT_EQ(a.node_distance_km, b.node_distance_km);
  EXPECT_TRUE(same_bits(a.tec, b.tec));
  EXPECT_TRUE(same_bits(a.rms, b.rms));
  EXPECT_EQ(a.missing_epochs, b.missing_epochs);
  EXPECT_EQ(a.event.id, b.event.id);
  EXPECT_EQ(a.radius_km, b.radius_km);
}

TEST_F(ArchiveTest, CubeFromTheArchiveEqualsCubeFromIonex) {
  IngestOptions o;
  o.verbose = false;
  o.catalog = kCatalog;
  o.event_id = "usp000a7m5";  // El Salvador M7.7, 2001-01-13
  o.ionex = {kSeriesDir};
  const Cube from_ionex = build_cube(o);
  o.ionex.clear();
  o.archive = full();
  const Cube from_archive = build_cube(o);
  ASSERT_GT(from_ionex.nnode(), 50u);
  EXPECT_EQ(from_ionex.ntime(), 660u);  // the window clipped to the 55 days
  expect_same_cube(from_ionex, from_archive);
  EXPECT_EQ(from_archive.sources.front(), full());
  EXPECT_EQ(from_archive.sources.size(), 1u + 55);
  EXPECT_NE(from_archive.sources.back().find("jplg0140.01i.Z sha256:"), std::string::npos);

  // Polar and across the dateline, a short window: nodes wrap from 175 E to 180 W.
  o.catalog.clear();
  o.event_id.clear();
  o.event_spec = "2000-12-20T06:00:00Z,78.0,178.0,6.5";
  o.days_before = 5;
  o.days_after = 2;
  const Cube polar_archive = build_cube(o);
  o.archive.clear();
  o.ionex = {kSeriesDir};
  const Cube polar_ionex = build_cube(o);
  expect_same_cube(polar_ionex, polar_archive);
  EXPECT_EQ(polar_archive.ntime(), 84u);  // 12-15 07:00 .. 12-22 05:00
  EXPECT_EQ(polar_archive.sources.size(), 1u + 8);
  EXPECT_NE(std::find(polar_archive.node_lon.begin(), polar_archive.node_lon.end(), -180.0),
            polar_archive.node_lon.end());
  EXPECT_NE(std::find(polar_archive.node_lon.begin(), polar_archive.node_lon.end(), 175.0),
            polar_archive.node_lon.end());
  EXPECT_NE(std::find(polar_archive.node_lat.begin(), polar_archive.node_lat.end(), 87.5),
            polar_archive.node_lat.end());
}

TEST_F(ArchiveTest, IngestNeedsExactlyOneMapSource) {
  IngestOptions o;
  o.verbose = false;
  o.event_spec = "2001-01-13T17:33:32Z,13.049,-88.660,7.7";
  EXPECT_THROW(build_cube(o), InputError);
  o.ionex = {kSeriesDir};
  o.archive = full();
  EXPECT_THROW(build_cube(o), InputError);
  o.ionex.clear();
  o.event_spec = "2005-01-13T17:33:32Z,13.049,-88.660,7.7";  // outside the archive
  try {
    build_cube(o);
    ADD_FAILURE() << "an event outside the archive was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("the archive covers"), std::string::npos) << e.what();
  }
  // A regional cube is not an archive.
  Cube c;
  c.node_lat = {10};
  c.node_lon = {20};
  c.node_distance_km = {0};
  c.time = {0, 3600};
  c.tec = {1, 2};
  write_cube(path("cube.h5"), c);
  o.archive = path("cube.h5");
  o.event_spec = "2001-01-13T17:33:32Z,13.049,-88.660,7.7";
  try {
    build_cube(o);
    ADD_FAILURE() << "a cube was read as an archive";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a tecscan archive"), std::string::npos) << e.what();
  }
}

TEST_F(ArchiveTest, OpensInH5pyAndXarray) {
  const std::string python = "/usr/bin/python3";
  std::string probe;
  if (!fs::exists(python) || run(python + " -c 'import h5py, xarray, h5netcdf, numpy'", probe) != 0)
    GTEST_SKIP() << python << " lacks h5py/xarray/h5netcdf: " << probe;
  const std::string script = path("check.py");
  std::ofstream(script) << R"PY(
import sys
import h5py, numpy as np, xarray as xr
path = sys.argv[1]
with h5py.File(path, "r") as f:
    tec = f["tec"]
    assert tec.shape == (660, 71, 72), tec.shape
    assert tec.maxshape == (None, 71, 72), tec.maxshape
    assert tec.chunks == (12, 8, 72), tec.chunks
    assert tec.compression == "gzip" and tec.shuffle
    assert [d[0].name for d in tec.dims] == ["/time", "/lat", "/lon"]
    assert f["rms"].shape == tec.shape
    assert f["time"].attrs["units"] in ("seconds since 1970-01-01 00:00:00",
                                        b"seconds since 1970-01-01 00:00:00")
    assert int(f["time"][0]) == 974768400  # 2000-11-21T01:00Z
    assert f.attrs["step_s"] == 7200 and f.attrs["nlat"] == 71
    assert abs(float(tec[0, 21, 45]) - 14.9) < 1e-5   # 35N 45E
    assert list(f["provenance/status"].asstr()[:3]) == ["present"] * 3
ds = xr.open_dataset(path, engine="h5netcdf")
assert ds["tec"].dims == ("time", "lat", "lon"), ds["tec"].dims
v = ds["tec"].sel(time="2001-01-13T17:00", lat=12.5, lon=-90.0).item()
assert abs(v - 51.0) < 1e-5, v
p = xr.open_dataset(path, engine="h5netcdf", group="provenance")
assert p.sizes["day"] == 55
assert str(p["day"].values[0])[:10] == "2000-11-21"
assert int(p["n_maps"].sum()) == 660
print("OK")
)PY";
  std::string output;
  EXPECT_EQ(run(python + " " + script + " " + full(), output), 0) << output;
  EXPECT_NE(output.find("OK"), std::string::npos) << output;
}

}  // namespace
}  // namespace tecscan
