// ComCat CSV reading, filtering, event lookup and --event specs, on the bundled catalogues.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;

const std::string kCatalog2000 =
    std::string(TECSCAN_SOURCE_DIR) + "/data/catalogs/comcat_m4.5_2000-10_2001-02.csv";
const std::string kCatalog2017 =
    std::string(TECSCAN_SOURCE_DIR) + "/data/catalogs/comcat_m4.5_2016-2017.csv";

// A private temp directory per test, removed afterwards.
class CatalogFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tecscan_catalog_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The real header and its first data rows, so broken copies differ in one thing only.
  static std::vector<std::string> real_lines(size_t n) {
    std::ifstream in(kCatalog2000);
    std::vector<std::string> lines;
    for (std::string l; lines.size() < n && std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  fs::path dir_;
};

TEST(Catalog, ReadsEveryRowOfTheComcatFiles) {
  std::vector<Event> all = read_comcat(kCatalog2000);
  EXPECT_EQ(all.size(), 2244u);  // 2245 lines minus the header
  // First data row: a quoted place with a comma stays one field.
  EXPECT_EQ(all[0].id, "usp000aamw");
  EXPECT_EQ(all[0].place, "New Britain region, Papua New Guinea");
  EXPECT_EQ(all[0].type, "earthquake");
  EXPECT_EQ(all[0].mag_type, "mb");
  EXPECT_DOUBLE_EQ(all[0].lat, -4.316);
  EXPECT_DOUBLE_EQ(all[0].lon, 152.758);
  EXPECT_DOUBLE_EQ(all[0].depth_km, 33);
  EXPECT_DOUBLE_EQ(all[0].mag, 4.8);
  EXPECT_EQ(all[0].time, make_time(2001, 2, 28, 23, 7, 3));
  EXPECT_NEAR(all[0].time_frac, 0.040, 1e-9);
  EXPECT_EQ(read_comcat(kCatalog2017).size(), 13804u);
}

TEST(Catalog, FindsTheFiveM7EventsOfTheJplSeries) {
  CatalogFilter f;
  f.min_mag = 7;
  f.start = make_time(2000, 11, 21);
  f.end = make_time(2001, 1, 15);
  std::vector<Event> big = select_events(read_comcat(kCatalog2000), f);
  ASSERT_EQ(big.size(), 5u);
  // Time order (the file is newest first).
  const char* ids[] = {"usp000a5m7", "usp000a70h", "usp000a7cv", "usp000a7f2", "usp000a7m5"};
  const double mags[] = {7.0, 7.5, 7.1, 7.0, 7.7};
  const double lats[] = {39.566, 6.898, -14.928, 57.078, 13.049};
  const double lons[] = {54.799, 126.579, 167.170, -153.211, -88.660};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(big[i].id, ids[i]);
    EXPECT_DOUBLE_EQ(big[i].mag, mags[i]);
    EXPECT_DOUBLE_EQ(big[i].lat, lats[i]);
    EXPECT_DOUBLE_EQ(big[i].lon, lons[i]);
    if (i > 0) {
      EXPECT_LT(big[i - 1].time, big[i].time);
    }
  }
  const Event& salvador = big[4];
  EXPECT_EQ(salvador.time, make_time(2001, 1, 13, 17, 33, 32));
  EXPECT_NEAR(salvador.time_frac, 0.380, 1e-9);
  EXPECT_DOUBLE_EQ(salvador.depth_km, 60);
  EXPECT_EQ(salvador.mag_type, "mwc");
  EXPECT_EQ(salvador.place, "offshore El Salvador");
  EXPECT_EQ(big[0].time, make_time(2000, 12, 6, 17, 11, 6));  // Turkmenistan
}

TEST(Catalog, FilterWindowIsHalfOpenAndMagnitudeInclusive) {
  std::vector<Event> all = read_comcat(kCatalog2000);
  const Event& salvador = find_event(all, "usp000a7m5", kCatalog2000);
  CatalogFilter f;
  f.min_mag = 7.7;  // exactly the El Salvador magnitude: kept
  f.start = salvador.time;
  f.end = salvador.time + 1;
  ASSERT_EQ(select_events(all, f).size(), 1u);
  f.end = salvador.time;  // [start, end) is empty
  EXPECT_TRUE(select_events(all, f).empty());
  f.end = salvador.time + 1;
  f.min_mag = 7.71;
  EXPECT_TRUE(select_events(all, f).empty());
  // Without filters every event comes back, oldest first.
  std::vector<Event> sorted = select_events(all, CatalogFilter());
  ASSERT_EQ(sorted.size(), all.size());
  for (size_t i = 1; i < sorted.size(); ++i) EXPECT_LE(sorted[i - 1].time, sorted[i].time);
}

TEST(Catalog, EarthquakesOnlyDropsTheNuclearExplosions) {
  std::vector<Event> all = read_comcat(kCatalog2017);
  CatalogFilter f;
  EXPECT_EQ(select_events(all, f).size(), 13801u);
  f.earthquakes_only = false;
  std::vector<Event> every = select_events(all, f);
  EXPECT_EQ(every.size(), 13804u);
  size_t nuclear = 0;
  for (const Event& e : every) nuclear += e.type == "nuclear explosion";
  EXPECT_EQ(nuclear, 3u);
}

TEST(Catalog, FindsSarpolZahabById) {
  std::vector<Event> all = read_comcat(kCatalog2017);
  const Event& e = find_event(all, "us2000bmcg", kCatalog2017);
  EXPECT_EQ(e.time, make_time(2017, 11, 12, 18, 18, 17));
  EXPECT_NEAR(e.time_frac, 0.180, 1e-9);
  EXPECT_DOUBLE_EQ(e.lat, 34.9109);
  EXPECT_DOUBLE_EQ(e.lon, 45.9592);
  EXPECT_DOUBLE_EQ(e.depth_km, 19);
  EXPECT_DOUBLE_EQ(e.mag, 7.3);
  EXPECT_EQ(e.mag_type, "mww");
  EXPECT_EQ(e.place, "29km S of Halabjah, Iraq");
}

TEST(Catalog, UnknownIdSaysHowManyEventsAndWhatToRun) {
  std::vector<Event> all = read_comcat(kCatalog2017);
  try {
    find_event(all, "us0000none", kCatalog2017);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("us0000none"), std::string::npos) << what;
    EXPECT_NE(what.find("13804"), std::string::npos) << what;
    EXPECT_NE(what.find("tecscan catalog"), std::string::npos) << what;
    EXPECT_EQ(e.file(), kCatalog2017);
  }
}

TEST_F(CatalogFiles, MissingColumnNamesTheColumnAndTheFile) {
  std::vector<std::string> lines = real_lines(3);
  lines[0].replace(lines[0].find(",mag,"), 5, ",magnitude,");
  const std::string path = write("no_mag.csv", lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
  try {
    read_comcat(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.file(), path);
    EXPECT_NE(what.find("'mag'"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
}

TEST_F(CatalogFiles, BadNumberGivesFileAndLine) {
  std::vector<std::string> lines = real_lines(4);
  // Line 3: latitude "-4.316" -> "-4.3x6" (second data row has latitude 36.51).
  lines[2].replace(lines[2].find(",36.51,"), 7, ",36.5x,");
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  const std::string path = write("bad_lat.csv", text);
  try {
    read_comcat(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), 3);
    const std::string what = e.what();
    EXPECT_NE(what.find(path + ":3"), std::string::npos) << what;
    EXPECT_NE(what.find("latitude"), std::string::npos) << what;
    EXPECT_NE(what.find("36.5x"), std::string::npos) << what;
  }
}

TEST_F(CatalogFiles, BadTimeFieldCountAndQuotesAreReportedWithTheLine) {
  std::vector<std::string> lines = real_lines(3);
  const std::string header = lines[0] + "\n" + lines[1] + "\n";
  auto line_of_error = [&](const std::string& name, const std::string& row) -> long {
    try {
      read_comcat(write(name, header + row + "\n"));
    } catch (const InputError& e) {
      return e.line();
    }
    return -1;
  };
  std::string bad_time = lines[2];
  bad_time.replace(0, 4, "20x1");
  EXPECT_EQ(line_of_error("bad_time.csv", bad_time), 3);
  EXPECT_EQ(line_of_error("short_row.csv", lines[2].substr(0, lines[2].find(",us,"))), 3);
  std::string open_quote = lines[2];
  open_quote.erase(open_quote.rfind('"'), 1);
  EXPECT_EQ(line_of_error("open_quote.csv", open_quote), 3);
  std::string far_lat = lines[2];
  far_lat.replace(far_lat.find(",36.51,"), 7, ",96.51,");
  EXPECT_EQ(line_of_error("far_lat.csv", far_lat), 3);
}

TEST_F(CatalogFiles, ColumnsAreFoundByNameAndEmptyNumbersAreMissing) {
  // Another column order, CRLF line ends, an empty magnitude and depth, a quote in a place.
  const std::string path = write("reordered.csv",
                                 "id,mag,time,longitude,latitude,depth,place\r\n"
                                 "ev1,,2001-01-02T03:04:05Z,200,10,,\"A \"\"quoted\"\", place\"\r\n"
                                 "\r\n"
                                 "ev2,5.5,2001-01-01T00:00:00.5Z,-10,-20,3.5,plain\r\n");
  std::vector<Event> all = read_comcat(path);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "ev1");
  EXPECT_TRUE(std::isnan(all[0].mag));
  EXPECT_TRUE(std::isnan(all[0].depth_km));
  EXPECT_DOUBLE_EQ(all[0].lon, -160);  // folded to [-180, 180)
  EXPECT_EQ(all[0].place, "A \"quoted\", place");
  EXPECT_EQ(all[0].type, "earthquake");  // no type column: ComCat's default
  EXPECT_NEAR(all[1].time_frac, 0.5, 1e-12);
  // Missing magnitudes pass only when no magnitude filter is asked for.
  EXPECT_EQ(select_events(all, CatalogFilter()).size(), 2u);
  CatalogFilter f;
  f.min_mag = 5;
  ASSERT_EQ(select_events(all, f).size(), 1u);
  EXPECT_EQ(select_events(all, f)[0].id, "ev2");
  EXPECT_EQ(select_events(all, CatalogFilter())[0].id, "ev2");  // older first
}

TEST_F(CatalogFiles, MissingFileIsAnInputError) {
  EXPECT_THROW(read_comcat((dir_ / "absent.csv").string()), InputError);
  EXPECT_THROW(read_comcat(write("empty.csv", "")), InputError);
}

TEST(EventSpec, ParsesTimeLatLonMagDepth) {
  Event e = parse_event_spec("2001-01-13T17:33:32Z,13.049,-88.660,7.7");
  EXPECT_EQ(e.time, make_time(2001, 1, 13, 17, 33, 32));
  EXPECT_DOUBLE_EQ(e.lat, 13.049);
  EXPECT_DOUBLE_EQ(e.lon, -88.660);
  EXPECT_DOUBLE_EQ(e.mag, 7.7);
  EXPECT_TRUE(std::isnan(e.depth_km));
  EXPECT_EQ(e.id, "custom-2001-01-13T17:33:32Z");

  Event d = parse_event_spec("2017-11-12T18:18:17.180Z, 34.9109, 45.9592, 7.3, 19");
  EXPECT_NEAR(d.time_frac, 0.18, 1e-9);
  EXPECT_DOUBLE_EQ(d.depth_km, 19);

  Event plain = parse_event_spec("2017-11-12,34.9,200");
  EXPECT_DOUBLE_EQ(plain.lon, -160);  // [0, 360) folded to [-180, 180)
  EXPECT_TRUE(std::isnan(plain.mag));
  EXPECT_DOUBLE_EQ(parse_event_spec("2017-11-12,-90,-180").lon, -180);
  EXPECT_DOUBLE_EQ(parse_event_spec("2017-11-12,90,359.5").lon, -0.5);
}

TEST(EventSpec, RejectsOutOfRangeAndMalformedSpecs) {
  for (const char* bad :
       {"2017-11-12,90.1,45", "2017-11-12,-90.5,45", "2017-11-12,34,360", "2017-11-12,34,-180.1",
        "2017-11-12,34", "2017-11-12,34,45,7,10,extra", "2017-13-12,34,45", "yesterday,34,45",
        "2017-11-12,north,45", "2017-11-12,34,45,big", "2017-11-12,34,45,12",
        "2017-11-12,34,45,7,-50", "", "2017-11-12,nan,45", "2017-11-12,34,inf"}) {
    EXPECT_THROW(parse_event_spec(bad), InputError) << bad;
  }
  try {
    parse_event_spec("2017-11-12,95,45");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[-90, 90]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tecscan
