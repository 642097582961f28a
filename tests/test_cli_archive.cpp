// `tecscan archive` and `tecscan ingest --archive` end to end: exit codes, messages, files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/run_tecscan.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/cube.hpp"

namespace {

namespace fs = std::filesystem;

using Result = tecscan::testing::CliResult;

Result tecscan(const std::string& args) {
  return tecscan::testing::run_tecscan(args);
}

bool has(const Result& r, const std::string& text) {
  return r.output.find(text) != std::string::npos;
}

class CliArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tecscan_cli_archive_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(CliArchive, HelpTeachesWithAnExample) {
  const Result h = tecscan("archive --help");
  EXPECT_EQ(h.status, 0);
  for (const char* s : {"--ionex", "--out", "--info", "--replace", "Example",
                        "data/ionex/jpl-2000-2001", "ingest --archive", "docs/archive.md"})
    EXPECT_TRUE(has(h, s)) << s << "\n" << h.output;
  const Result i = tecscan("ingest --help");
  EXPECT_TRUE(has(i, "--archive")) << i.output;
  const Result s = tecscan("scan --help");
  EXPECT_TRUE(has(s, "--archive")) << s.output;
  const Result none = tecscan("archive");
  EXPECT_EQ(none.status, 2) << none.output;
  EXPECT_TRUE(has(none, "give --ionex FILES --out ARCHIVE.h5")) << none.output;
}

TEST_F(CliArchive, BuildAppendInfoAndIngest) {
  const std::string archive = path("jpl.h5");
  // 2001-01-01 .. 01-09, then 01-10 .. 01-14 appended.
  Result r =
      tecscan("archive -q --ionex 'data/ionex/jpl-2000-2001/jplg00[1-9]0.01i.Z' --out " + archive);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r, "wrote " + archive + ": 9 days 2001-01-01 .. 2001-01-09, 0 missing"))
      << r.output;
  EXPECT_TRUE(has(r, "compression")) << r.output;
  r = tecscan("archive --ionex 'data/ionex/jpl-2000-2001/jplg01[0-4]0.01i.Z' --out " + archive);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r, "archive: parse")) << r.output;  // progress without -q
  EXPECT_TRUE(has(r, "updated " + archive + ": 14 days 2001-01-01 .. 2001-01-14")) << r.output;
  EXPECT_TRUE(has(r, "5 days written")) << r.output;
  EXPECT_EQ(tecscan::read_archive_info(archive).ntime, 14 * 12);

  // Days already present: skipped with a note, exit 0.
  r = tecscan("archive -q --ionex data/ionex/jpl-2000-2001/jplg0050.01i.Z --out " + archive);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r, "2001-01-05 is already in the archive")) << r.output;
  EXPECT_TRUE(has(r, "1 skipped")) << r.output;

  r = tecscan("archive --info " + archive + " --list");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* s :
       {"14, 2001-01-01 .. 2001-01-14: 14 present, 0 partial, 0 missing", "gaps:     none",
        "7200 s, 12 maps a day, the first at 01:00:00 UTC", "jplg0140.01i.Z"})
    EXPECT_TRUE(has(r, s)) << s << "\n" << r.output;

  // A file on another grid: exit 2, the archive untouched.
  const auto bytes = fs::file_size(archive);
  r = tecscan("archive -q --ionex data/ionex/fixtures/CKMG0080.09I.gz --out " + archive);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(has(r, "tecscan: error:") && has(r, "differs from the grid of the archive"))
      << r.output;
  EXPECT_EQ(fs::file_size(archive), bytes);

  // The El Salvador cube from the archive equals the cube from the IONEX files.
  const std::string event =
      " --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv "
      "--event-id usp000a7m5 --days-before 10 --days-after 1 --out ";
  r = tecscan("ingest --archive " + archive + event + path("a.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(has(r, "wrote " + path("a.h5"))) << r.output;
  r = tecscan("ingest --ionex data/ionex/jpl-2000-2001" + event + path("i.h5"));
  ASSERT_EQ(r.status, 0) << r.output;
  const tecscan::Cube a = tecscan::read_cube(path("a.h5")), i = tecscan::read_cube(path("i.h5"));
  EXPECT_EQ(a.time, i.time);
  EXPECT_EQ(a.node_lat, i.node_lat);
  EXPECT_EQ(a.tec, i.tec);  // no NaN in these days
  EXPECT_EQ(a.ntime(), 10u * 12 + 12);
}

TEST_F(CliArchive, IngestInputErrors) {
  const std::string event =
      " --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --out " + path("c.h5");
  Result r = tecscan("ingest --archive " + path("missing.h5") + event);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(has(r, "no such file")) << r.output;
  r = tecscan("ingest --ionex data/ionex/jpl-2000-2001 --archive " + path("x.h5") + event);
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_TRUE(has(r, "excludes")) << r.output;
  r = tecscan("ingest" + event);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(has(r, "--ionex FILES|DIRS|GLOBS or --archive FILE")) << r.output;
  // --info on something that is not an archive.
  r = tecscan("archive --info data/indices/dst2000.txt");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(has(r, "not an HDF5 file")) << r.output;
  EXPECT_FALSE(fs::exists(path("c.h5")));
}

}  // namespace
