// The in-memory entry points the fuzzers call (tests/fuzz/) read exactly what the file readers
// read, so a fuzzer's verdict holds for the files users give.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"

namespace tecscan {
namespace {

std::string data_path(const std::string& name) {
  return std::string(TECSCAN_SOURCE_DIR) + "/data/" + name;
}

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ReaderEntryPoints, IndexTextReadsLikeTheFile) {
  for (const char* name : {"indices/omni2_2017.dat", "indices/SW-All.txt", "indices/dst2000.txt",
                           "indices/Kp_ap_Ap_SN_F107_2020.txt"}) {
    const std::string path = data_path(name);
    const IndexFile from_file = read_index_file(path);
    const IndexFile from_text = parse_index_file(contents(path), path);
    EXPECT_EQ(from_text.format, from_file.format) << name;
    for (int k = 0; k < kNumIndexKinds; ++k) {
      ASSERT_EQ(from_text.samples[k].size(), from_file.samples[k].size()) << name << " " << k;
      for (size_t i = 0; i < from_file.samples[k].size(); ++i) {
        EXPECT_EQ(from_text.samples[k][i].start, from_file.samples[k][i].start);
        EXPECT_EQ(from_text.samples[k][i].value, from_file.samples[k][i].value);
      }
    }
  }
}

TEST(ReaderEntryPoints, IndexTextErrorsNameTheGivenName) {
  try {
    parse_index_file("DST0001*01 cut short\n", "dst-in-memory");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "dst-in-memory");
    EXPECT_EQ(e.line(), 1);
  }
}

TEST(ReaderEntryPoints, CatalogStreamReadsLikeTheFile) {
  const std::string path = data_path("catalogs/comcat_m4.5_2000-10_2001-02.csv");
  const std::vector<Event> from_file = read_comcat(path);
  std::istringstream in(contents(path));
  const std::vector<Event> from_stream = read_comcat(in, path);
  ASSERT_EQ(from_stream.size(), from_file.size());
  for (size_t i = 0; i < from_file.size(); ++i) {
    EXPECT_EQ(from_stream[i].id, from_file[i].id);
    EXPECT_EQ(from_stream[i].time, from_file[i].time);
    EXPECT_EQ(from_stream[i].mag, from_file[i].mag);
  }
}

// Found by catalog_fuzz (tests/fuzz/seeds/catalog/crash-magnitude-1804.csv): a magnitude of
// -1804.8 was accepted and then dropped by every selection without a word.
TEST(ReaderEntryPoints, CatalogRefusesMagnitudeAndDepthOutsideTheEventRanges) {
  const std::string header = "time,latitude,longitude,depth,mag,id\n";
  for (const char* row : {"2001-01-13T17:33:32Z,13.0,-88.6,60,-1804.8,a\n",
                          "2001-01-13T17:33:32Z,13.0,-88.6,60,10.5,a\n",
                          "2001-01-13T17:33:32Z,13.0,-88.6,99999,7.7,a\n",
                          "2001-01-13T17:33:32Z,13.0,-88.6,-11,7.7,a\n"}) {
    std::istringstream in(header + row);
    EXPECT_THROW(read_comcat(in, "events.csv"), InputError) << row;
  }
  std::istringstream in(header + "2001-01-13T17:33:32Z,13.0,-88.6,-3.5,-1.2,a\n" +
                        "2001-01-13T17:33:32Z,13.0,-88.6,,,b\n");
  const std::vector<Event> events = read_comcat(in, "events.csv");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].depth_km, -3.5);
  EXPECT_TRUE(std::isnan(events[1].mag));
}

}  // namespace
}  // namespace tecscan
