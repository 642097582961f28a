// Writes that the operating system refuses: a full disk and a read-only file system, on a tiny
// tmpfs mounted for the test (root only; skipped with the reason elsewhere). Every command must
// exit 2 with the OS reason and the output named, never die of a signal, and leave no output,
// no temp file and an existing archive untouched.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "fetch/test_archive_server.hpp"
#include "support/run_tecscan.hpp"
#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"

namespace {

namespace fs = std::filesystem;
using tecscan::testing::CliResult;
using tecscan::testing::read_text;
using tecscan::testing::run_tecscan;

const std::string kEventInputs =
    "--ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt data/indices/dst2000.txt "
    "--catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --event-id usp000a7m5 "
    "--days-before 40 --radius-km 600";
const std::string kNoSpace = "No space left on device";

class WriteFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tecscan::testing::fresh_temp_dir("write_faults");
    disk_ = dir_ / "disk";
    fs::create_directories(disk_);
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a test tmpfs needs root";
    if (::mount("tmpfs", disk_.c_str(), "tmpfs", 0, "size=1m") != 0)
      GTEST_SKIP() << "cannot mount a 1 MiB tmpfs here: " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(disk_.c_str(), MNT_DETACH);
    fs::remove_all(dir_);
  }
  // Fills the tmpfs so that about `bytes` stay free.
  void leave_free(size_t bytes) {
    struct statvfs s {};
    ASSERT_EQ(::statvfs(disk_.c_str(), &s), 0);
    const size_t free_bytes = static_cast<size_t>(s.f_bavail) * s.f_frsize;
    std::ofstream filler(disk_ / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    for (size_t n = 0; n + bytes + block.size() <= free_bytes; n += block.size()) filler << block;
  }
  void make_read_only() {
    ASSERT_EQ(::mount(nullptr, disk_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
        << std::strerror(errno);
  }
  // Exit 2 (no signal: run_tecscan reports -1 then), the OS reason and the output named; no
  // temp file left on the disk.
  void expect_refused(const CliResult& r, const std::string& reason, const fs::path& output) {
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("tecscan: error: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(reason), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(output.string()), std::string::npos) << r.output;
    for (const auto& e : fs::recursive_directory_iterator(disk_))
      EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
  }
  fs::path dir_, disk_;
  bool mounted_ = false;
};

TEST_F(WriteFaults, ArchiveOnAFullDiskSaysSoAndLeavesNothing) {
  const fs::path out = disk_ / "gim.h5";
  const CliResult r =
      run_tecscan("archive -q --ionex data/ionex/jpl-2000-2001 --out " + out.string());
  expect_refused(r, kNoSpace, out);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(WriteFaults, ArchiveAppendOnAFullDiskKeepsTheOldArchive) {
  const fs::path out = disk_ / "gim.h5";
  CliResult r = run_tecscan(
      "archive -q --ionex 'data/ionex/jpl-2000-2001/jplg00[1-2]0.01i.Z' --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string before = read_text(out);
  for (size_t free_bytes : {size_t{0}, size_t{1} << 17}) {  // the copy fails / the writes fail
    fs::remove(disk_ / "filler");
    leave_free(free_bytes == 0 ? 0 : before.size() + free_bytes);
    r = run_tecscan("archive -q --ionex 'data/ionex/jpl-2000-2001/jplg00[3-9]0.01i.Z' --out " +
                    out.string());
    expect_refused(r, kNoSpace, out);
    EXPECT_EQ(read_text(out), before) << "the archive was changed";
  }
}

TEST_F(WriteFaults, IngestScanAndMergeOnAFullDisk) {
  const fs::path cube = dir_ / "cube.h5", runs = dir_ / "runs";
  CliResult r = run_tecscan("ingest " + kEventInputs + " --out " + cube.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string scan =
      "scan --cube " + cube.string() + " --config configs/demo.toml --models median-iqr -q --out ";
  r = run_tecscan(scan + (runs / "ev1").string());
  ASSERT_EQ(r.status, 0) << r.output;
  fs::create_directories(disk_ / "run");
  fs::create_directories(disk_ / "merge");
  for (size_t free_bytes : {size_t{0}, size_t{24} << 10}) {
    fs::remove(disk_ / "filler");
    leave_free(free_bytes);
    r = run_tecscan("ingest " + kEventInputs + " --out " + (disk_ / "cube.h5").string());
    expect_refused(r, kNoSpace, disk_ / "cube.h5");
    EXPECT_FALSE(fs::exists(disk_ / "cube.h5"));
    r = run_tecscan(scan + (disk_ / "run").string());
    expect_refused(r, kNoSpace, disk_ / "run");
    EXPECT_FALSE(fs::exists(disk_ / "run" / "summary.json"));
    r = run_tecscan("merge " + runs.string() + " --out " + (disk_ / "merge").string());
    expect_refused(r, kNoSpace, disk_ / "merge");
    EXPECT_FALSE(fs::exists(disk_ / "merge" / "summary.json"));
  }
}

TEST_F(WriteFaults, PlotOnAFullDiskSaysSoAndLeavesNoWorkFiles) {
  const fs::path cube = dir_ / "cube.h5", run = dir_ / "run", on_disk = disk_ / "run";
  CliResult r = run_tecscan("ingest " + kEventInputs + " --out " + cube.string());
  ASSERT_EQ(r.status, 0) << r.output;
  r = run_tecscan("scan --cube " + cube.string() +
                  " --config configs/demo.toml --models median-iqr -q --out " + run.string());
  ASSERT_EQ(r.status, 0) << r.output;
  fs::copy(run, on_disk, fs::copy_options::recursive);
  leave_free(0);
  r = run_tecscan("plot " + on_disk.string());
  expect_refused(r, kNoSpace, on_disk / "figures");
  EXPECT_FALSE(fs::exists(on_disk / "figures" / "work")) << "the GMT work files were left";
  EXPECT_FALSE(fs::exists(on_disk / "report.html"));
}

// Downloads on a full disk: exit 2 with the reason and the file, every file under its final name
// complete, the .fetch directory holding nothing but shorter .part files (resumed once there is
// room), no manifest; the catalogue likewise leaves neither the CSV nor a temp file.
TEST_F(WriteFaults, FetchOnAFullDiskPutsNothingIncompleteInPlace) {
  const std::string jpl = TECSCAN_SOURCE_DIR "/data/ionex/jpl-2000-2001/";
  const std::string ionex = "/archive/gnss/products/ionex";
  const fs::path root = dir_ / "root";
  for (int doy : {326, 327, 328}) {
    const std::string name = "jplg" + std::to_string(doy) + "0.00i.Z";
    fs::create_directories(root / ionex.substr(1) / "2000" / std::to_string(doy));
    fs::copy_file(jpl + name, root / ionex.substr(1) / "2000" / std::to_string(doy) / name);
  }
  tecscan::testing::TestArchiveServer server(
      dir_, root, "{}", "", TECSCAN_SOURCE_DIR "/data/catalogs/comcat_m4.5_2000-10_2001-02.csv");
  const fs::path out = disk_ / "gim";
  const size_t first_file = fs::file_size(jpl + "jplg3260.00i.Z");
  // Nothing fits / the first day fits and the second is cut by the full disk.
  for (size_t free_bytes : {size_t{0}, first_file + (size_t{48} << 10)}) {
    fs::remove_all(out);
    fs::remove(disk_ / "filler");
    leave_free(free_bytes);
    const CliResult r = run_tecscan(
        "fetch gim --provider jpl --start 2000-11-21 --end 2000-11-23 --jobs 1 -q --out " +
        out.string() + " --base-url " + server.url(ionex) + " --ca-file " + server.cert() +
        " --retry-wait 0.01");
    expect_refused(r, kNoSpace, out);
    if (!fs::exists(out)) continue;
    long complete = 0;
    for (const auto& e : fs::directory_iterator(out)) {
      if (e.path().filename() == ".fetch") continue;
      EXPECT_EQ(read_text(e.path()), read_text(jpl + e.path().filename().string())) << e.path();
      ++complete;
    }
    EXPECT_EQ(complete, free_bytes == 0 ? 0 : 1);
    if (!fs::exists(out / ".fetch")) continue;
    for (const auto& e : fs::directory_iterator(out / ".fetch")) {
      const std::string name = e.path().filename().string();
      ASSERT_GT(name.size(), 5u) << e.path();
      EXPECT_EQ(name.substr(name.size() - 5), ".part") << e.path();
      EXPECT_LT(fs::file_size(e.path()), fs::file_size(jpl + name.substr(0, name.size() - 5)));
    }
  }
  fs::remove(disk_ / "filler");
  leave_free(0);
  const fs::path csv = disk_ / "m6.csv";
  const CliResult r =
      run_tecscan("fetch catalog --min-mag 6 --start 2000-10-01 --end 2001-02-28 -q --out " +
                  csv.string() + " --base-url " + server.url() + " --ca-file " + server.cert());
  expect_refused(r, kNoSpace, csv);
  EXPECT_FALSE(fs::exists(csv));
}

TEST_F(WriteFaults, ReadOnlyFileSystemIsNamed) {
  make_read_only();
  const fs::path out = disk_ / "gim.h5";
  CliResult r = run_tecscan("archive -q --ionex 'data/ionex/jpl-2000-2001/jplg0010.01i.Z' --out " +
                            out.string());
  expect_refused(r, "Read-only file system", out);
  r = run_tecscan("ingest " + kEventInputs + " --out " + (disk_ / "cube.h5").string());
  expect_refused(r, "Read-only file system", disk_ / "cube.h5");
}

TEST_F(WriteFaults, TextOutputOnAFullDiskIsAnInputErrorWithTheReason) {
  leave_free(0);
  const std::string path = (disk_ / "big.csv").string();
  try {
    tecscan::write_file_atomic(path, std::string(size_t{1} << 16, 'x'));
    FAIL() << "no error on a full disk";
  } catch (const tecscan::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(kNoSpace), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
  for (const auto& e : fs::directory_iterator(disk_))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

}  // namespace
