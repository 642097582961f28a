// `tecscan fetch` against a local HTTPS archive (tests/fetch/server.py) laid out like CDDIS,
// CODE's archive, the index sources and the FDSN event service, serving the bundled real files
// and misbehaving on command. No internet is used.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "fetch/test_archive_server.hpp"
#include "support/run_tecscan.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/fetch.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/sha256.hpp"

namespace fs = std::filesystem;
using tecscan::testing::read_text;
using tecscan::testing::run_tecscan;
using tecscan::testing::TestArchiveServer;

namespace {

const std::string kData = TECSCAN_SOURCE_DIR "/data";
const std::string kJpl = kData + "/ionex/jpl-2000-2001/";
const std::string kCddisPath = "/archive/gnss/products/ionex";

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = tecscan::testing::fresh_temp_dir(std::string("fetch_") + info->name());
    root_ = work_ / "root";
    out_ = work_ / "out";
  }
  void TearDown() override { fs::remove_all(work_); }

  // Puts a bundled file into the served tree at `path`.
  void serve(const std::string& path, const std::string& source) {
    fs::create_directories((root_ / path.substr(1)).parent_path());
    fs::copy_file(source, root_ / path.substr(1), fs::copy_options::overwrite_existing);
  }
  // The three JPL days 2000-11-21..23 in the CDDIS layout.
  void serve_three_jpl_days() {
    for (int doy : {326, 327, 328}) serve(cddis(doy), kJpl + name(doy));
  }
  static std::string name(int doy) { return "jplg" + std::to_string(doy) + "0.00i.Z"; }
  static std::string cddis(int doy) {
    return kCddisPath + "/2000/" + std::to_string(doy) + "/" + name(doy);
  }
  std::string gim_args(const TestArchiveServer& s, const std::string& start = "2000-11-21",
                       const std::string& end = "2000-11-23") const {
    return "fetch gim --provider jpl --start " + start + " --end " + end + " --out '" +
           out_.string() + "' --base-url " + s.url(kCddisPath) + " --ca-file '" + s.cert() +
           "' --retry-wait 0.01 -q";
  }
  bool same_bytes(const fs::path& a, const std::string& b) const {
    return fs::exists(a) && read_text(a) == read_text(b);
  }
  static std::string sums(int doy) {
    return kCddisPath + "/2000/" + std::to_string(doy) + "/SHA512SUMS";
  }
  // The manifest of the only run so far.
  nlohmann::json only_manifest() const {
    const auto manifests = state_files("manifest-");
    if (manifests.size() != 1) return nlohmann::json();
    return nlohmann::json::parse(read_text(manifests[0]));
  }
  std::vector<fs::path> state_files(const std::string& prefix) const {
    std::vector<fs::path> found;
    if (fs::exists(out_ / ".fetch"))
      for (const auto& e : fs::directory_iterator(out_ / ".fetch"))
        if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
    return found;
  }

  fs::path work_, root_, out_;
};

TEST(FetchLayout, NamesFollowTheArchiveOverTime) {
  tecscan::GimRequest r;
  auto first = [&](int y, int m, int d) {
    return tecscan::gim_file_names(r, tecscan::days_from_civil(y, m, d)).front();
  };
  EXPECT_EQ(first(2000, 11, 21), "jplg3260.00i.Z");
  EXPECT_EQ(first(2020, 11, 30), "jplg3350.20i.Z");
  EXPECT_EQ(first(2020, 12, 1), "jplg3360.20i.gz");  // gzip from 2020-12-01
  EXPECT_EQ(first(2022, 11, 26), "jplg3300.22i.gz");
  EXPECT_EQ(first(2022, 11, 27), "JPL0OPSFIN_20223310000_01D_02H_GIM.INX.gz");  // GPS week 2238
  r.provider = "cod";
  EXPECT_EQ(first(2024, 1, 1), "COD0OPSFIN_20240010000_01D_01H_GIM.INX.gz");
  r.latency = tecscan::GimLatency::kRapid;
  EXPECT_EQ(first(2017, 1, 1), "corg0010.17i.Z");
  EXPECT_EQ(first(2024, 1, 1), "COD0OPSRAP_20240010000_01D_01H_GIM.INX.gz");
  r.latency = tecscan::GimLatency::kFinal;
  r.mirror = "aiub";
  EXPECT_EQ(first(2017, 1, 1), "CODG0010.17I.Z");
  tecscan::GimRequest aiub = r;
  aiub.first_day = tecscan::days_from_civil(2017, 1, 1);
  aiub.last_day = aiub.first_day + 1;
  const auto items = tecscan::gim_items(aiub);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].urls.front(), "http://ftp.aiub.unibe.ch/CODE/2017/CODG0020.17I.Z");
  r.provider = "jpl";
  EXPECT_THROW(tecscan::gim_file_names(r, 0), tecscan::InputError);  // aiub: CODE only
  r.mirror = "cddis";
  r.provider = "xyz";
  EXPECT_THROW(tecscan::gim_file_names(r, 0), tecscan::InputError);
}

TEST_F(FetchTest, ShortNamesArriveVerifiedWithManifestAndAreSkippedNextTime) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  for (int doy : {326, 327, 328}) {
    EXPECT_TRUE(same_bytes(out_ / name(doy), kJpl + name(doy))) << doy;
    EXPECT_FALSE(fs::exists(out_ / ".fetch" / (name(doy) + ".part")));
  }
  const auto manifests = state_files("manifest-");
  ASSERT_EQ(manifests.size(), 1u);
  const auto manifest = nlohmann::json::parse(read_text(manifests[0]));
  ASSERT_EQ(manifest["files"].size(), 3u);
  EXPECT_EQ(manifest["files"][0]["sha256"], tecscan::sha256_file(kJpl + name(326)));
  EXPECT_EQ(manifest["files"][0]["url"], server.url(cddis(326)));
  EXPECT_EQ(manifest["files"][0]["status"], "downloaded");

  const size_t before = server.requests().size();
  r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("3 already present"), std::string::npos) << r.output;
  EXPECT_EQ(server.requests().size(), before);  // nothing asked again
}

TEST_F(FetchTest, ProgressLinesInALogShowCountAndRate) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_);
  std::string args = gim_args(server);
  args.erase(args.rfind(" -q"));  // progress on; stderr is a pipe here, so plain lines
  auto r = run_tecscan(args);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("fetch: 3/3 (100%)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" MB/s\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find('\r'), std::string::npos) << "a redrawn bar in a log";
}

TEST_F(FetchTest, LongNamesAndGzipNamesOfLaterYears) {
  const std::string gz = kData + "/ionex/fixtures/jplg0010.17i.gz";
  serve(kCddisPath + "/2021/001/jplg0010.21i.gz", gz);
  serve(kCddisPath + "/2023/001/JPL0OPSFIN_20230010000_01D_02H_GIM.INX.gz", gz);
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan(gim_args(server, "2021-01-01", "2021-01-01"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / "jplg0010.21i.gz", gz));
  r = run_tecscan(gim_args(server, "2023-01-01", "2023-01-01"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / "JPL0OPSFIN_20230010000_01D_02H_GIM.INX.gz", gz));
}

TEST_F(FetchTest, CodeArchiveInBernWithoutLogin) {
  const std::string code = kData + "/ionex/fixtures/CKMG0080.09I.gz";
  serve("/CODE/2009/CODG0080.09I.gz", code);  // .Z is tried first, then .gz
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan(
      "fetch gim --provider cod --mirror aiub --start 2009-01-08 --end "
      "2009-01-08 --out '" +
      out_.string() + "' --base-url " + server.url("/CODE") + " --ca-file '" + server.cert() +
      "' -q");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / "CODG0080.09I.gz", code));
  EXPECT_EQ(server.count("/CODE/2009/CODG0080.09I.Z"), 1);
  EXPECT_EQ(server.count("/CODE/2009/SHA512SUMS"), 0);  // not part of that archive's layout
}

TEST_F(FetchTest, MissingDayIsAGapNotAnError) {
  serve_three_jpl_days();
  fs::remove(root_ / cddis(327).substr(1));
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("1 missing (404)"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(out_ / name(326)));
  EXPECT_TRUE(fs::exists(out_ / name(328)));
  const auto gaps = state_files("gaps-");
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_NE(read_text(gaps[0]).find("2000-11-22"), std::string::npos);
}

TEST_F(FetchTest, ServiceUnavailableTwiceThenServed) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_,
                           R"({")" + cddis(327) + R"(": {"action": "503", "count": 2}})");
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(server.count(cddis(327)), 3);
  EXPECT_TRUE(same_bytes(out_ / name(327), kJpl + name(327)));
}

TEST_F(FetchTest, CutConnectionIsResumedWithARangeRequest) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_,
                           R"({")" + cddis(326) + R"(": {"action": "cut", "count": 1}})");
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / name(326), kJpl + name(326)));
  const long half = static_cast<long>(fs::file_size(kJpl + name(326)) / 2);
  bool resumed = false;
  for (const auto& q : server.requests())
    resumed |= q["path"] == cddis(326) && q["range"] == "bytes=" + std::to_string(half) + "-";
  EXPECT_TRUE(resumed);
}

TEST_F(FetchTest, CutWithoutRetriesLeavesOnlyAPartThatTheNextRunResumes) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_,
                           R"({")" + cddis(326) + R"(": {"action": "cut", "count": 1}})");
  auto r = run_tecscan(gim_args(server) + " --retries 0");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("run again to resume"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_ / name(326)));  // nothing half-written in place
  const fs::path part = out_ / ".fetch" / (name(326) + ".part");
  ASSERT_TRUE(fs::exists(part));
  EXPECT_LT(fs::file_size(part), fs::file_size(kJpl + name(326)));
  r = run_tecscan(gim_args(server) + " --retries 0");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / name(326), kJpl + name(326)));
  EXPECT_FALSE(fs::exists(part));
  std::string last_range;
  for (const auto& q : server.requests())
    if (q["path"] == cddis(326)) last_range = q["range"];
  EXPECT_EQ(last_range.rfind("bytes=", 0), 0u) << "the second run did not resume";
}

TEST_F(FetchTest, HtmlPageWithStatus200IsRefused) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, R"({")" + cddis(328) + R"(": {"action": "html"}})");
  auto r = run_tecscan(gim_args(server));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("HTML page"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_ / name(328)));
  EXPECT_FALSE(fs::exists(out_ / ".fetch" / (name(328) + ".part")));
  EXPECT_TRUE(fs::exists(out_ / name(326)));
}

TEST_F(FetchTest, CorruptCompressedFileIsRefused) {
  serve_three_jpl_days();
  std::string bytes = read_text(kJpl + name(327));
  bytes.resize(bytes.size() / 3);  // a truncated compress stream, served as complete
  std::ofstream(root_ / cddis(327).substr(1), std::ios::binary | std::ios::trunc) << bytes;
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan(gim_args(server));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("not valid"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out_ / name(327)));
}

// SHA-512 by an independent implementation (coreutils), not the one under test.
std::string coreutils_sha512(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("sha512sum '" + path + "'").c_str(), "r"),
                                             &pclose);
  char digest[129] = "";
  if (!pipe || std::fscanf(pipe.get(), "%128s", digest) != 1) return "";
  return digest;
}

TEST_F(FetchTest, PublishedSha512IsCheckedOncePerDirectoryAndRecorded) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, "{}", "", "", true);
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto manifest = only_manifest();
  ASSERT_EQ(manifest["files"].size(), 3u) << manifest;
  for (int i = 0; i < 3; ++i) {
    const int doy = 326 + i;
    EXPECT_EQ(manifest["files"][i]["checksum"], "sha512 ok") << doy;
    EXPECT_EQ(manifest["files"][i]["sha512"], coreutils_sha512(kJpl + name(doy))) << doy;
    EXPECT_EQ(server.count(sums(doy)), 1) << doy;
    EXPECT_TRUE(same_bytes(out_ / name(doy), kJpl + name(doy))) << doy;
  }
  for (const auto& e : fs::directory_iterator(out_ / ".fetch"))
    EXPECT_EQ(e.path().filename().string().find("SHA512SUMS"), std::string::npos) << e.path();
}

TEST_F(FetchTest, WrongPublishedSha512IsRefusedAfterAFreshDownload) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, R"({")" + sums(327) + R"(": {"action": "wrong-sha512"}})",
                           "", "", true);
  auto r = run_tecscan(gim_args(server));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(name(327) + " does not match its SHA-512"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(out_ / name(327)));
  EXPECT_FALSE(fs::exists(out_ / ".fetch" / (name(327) + ".part")));
  EXPECT_TRUE(same_bytes(out_ / name(326), kJpl + name(326)));
  // Downloaded twice, the second time from the first byte; the list once.
  long downloads = 0;
  for (const auto& q : server.requests())
    if (q["path"] == cddis(327)) {
      ++downloads;
      EXPECT_EQ(q["range"], "");
    }
  EXPECT_EQ(downloads, 2);
  EXPECT_EQ(server.count(sums(327)), 1);
  const auto manifest = only_manifest();
  ASSERT_EQ(manifest["files"].size(), 3u) << manifest;
  EXPECT_EQ(manifest["files"][1]["status"], "failed");
  EXPECT_EQ(manifest["files"][1]["checksum"], "sha512 mismatch");
  EXPECT_NE(manifest["files"][1]["message"].get<std::string>().find("SHA-512"), std::string::npos);
  EXPECT_EQ(manifest["files"][0]["checksum"], "sha512 ok");
}

TEST_F(FetchTest, DirectoryWithoutSha512SumsIsVerifiedByContentOnly) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, R"({")" + sums(326) + R"(": {"action": "404"}})", "", "",
                           true);
  auto r = run_tecscan(gim_args(server));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(same_bytes(out_ / name(326), kJpl + name(326)));
  const auto manifest = only_manifest();
  ASSERT_EQ(manifest["files"].size(), 3u) << manifest;
  EXPECT_EQ(manifest["files"][0]["checksum"], "none published");
  EXPECT_EQ(manifest["files"][0]["sha512"], "");
  EXPECT_EQ(manifest["files"][1]["checksum"], "sha512 ok");
}

TEST_F(FetchTest, EarthdataStyleLoginWithNetrcAndOneSessionCookie) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, "{}", "scientist:s3cret");
  const fs::path netrc = work_ / "netrc";
  std::ofstream(netrc) << "machine localhost login scientist password s3cret\n";
  auto r = run_tecscan(gim_args(server) + " --jobs 1 --netrc '" + netrc.string() + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  for (int doy : {326, 327, 328}) EXPECT_TRUE(same_bytes(out_ / name(doy), kJpl + name(doy)));
  EXPECT_EQ(server.count("/oauth/authorize"), 1);  // the cookie carried the other two
}

TEST_F(FetchTest, MissingLoginNamesTheNetrcLine) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, "{}", "scientist:s3cret");
  const fs::path netrc = work_ / "netrc";
  std::ofstream(netrc) << "machine example.org login someone password other\n";
  auto r = run_tecscan(gim_args(server) + " --jobs 1 --netrc '" + netrc.string() + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(server.count("/oauth/authorize"), 1);  // the other days are not tried one by one
  EXPECT_NE(r.output.find("tecscan: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("`machine localhost login USER password PASSWORD`"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(out_ / name(326)));
  std::ofstream(netrc) << "machine localhost login scientist password wrong\n";
  r = run_tecscan(gim_args(server) + " --netrc '" + netrc.string() + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("refused the login"), std::string::npos) << r.output;
}

TEST_F(FetchTest, NoNetworkIsAClearFailure) {
  auto r = run_tecscan("fetch gim --provider jpl --start 2000-11-21 --end 2000-11-23 --out '" +
                       out_.string() +
                       "' --base-url https://127.0.0.1:9/ionex --retries 1 --retry-wait 0 -q");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot reach 127.0.0.1"), std::string::npos) << r.output;
  EXPECT_EQ(fs::directory_iterator(out_) == fs::directory_iterator(), false);  // only .fetch
  EXPECT_FALSE(fs::exists(out_ / name(326)));
}

TEST_F(FetchTest, UntrustedCertificateNeedsCaFile) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan("fetch gim --provider jpl --start 2000-11-21 --end 2000-11-21 --out '" +
                           out_.string() + "' --base-url " + server.url(kCddisPath) + " -q",
                       "env -u CURL_CA_BUNDLE");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("--ca-file"), std::string::npos) << r.output;
}

TEST_F(FetchTest, ArchiveInOneStepAppendsOnlyMissingDays) {
  for (int doy = 326; doy <= 330; ++doy) serve(cddis(doy), kJpl + name(doy));
  TestArchiveServer server(work_, root_);
  const std::string archive = (work_ / "gim.h5").string();
  auto r = run_tecscan(gim_args(server) + " --archive '" + archive + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(tecscan::read_archive_info(archive).count(tecscan::DayStatus::kPresent), 3);
  fs::remove_all(out_);  // the archive, not the directory, says what is there
  r = run_tecscan(gim_args(server, "2000-11-21", "2000-11-25") + " --archive '" + archive + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("3 of 5 days are already in"), std::string::npos) << r.output;
  EXPECT_EQ(server.count(cddis(326)), 1);
  EXPECT_EQ(tecscan::read_archive_info(archive).count(tecscan::DayStatus::kPresent), 5);
}

TEST_F(FetchTest, ArchiveTakesWhatArrivedWhenADayFailed) {
  serve_three_jpl_days();
  TestArchiveServer server(work_, root_, R"({")" + cddis(328) + R"(": {"action": "html"}})");
  const std::string archive = (work_ / "gim.h5").string();
  auto r = run_tecscan(gim_args(server) + " --archive '" + archive + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(tecscan::read_archive_info(archive).count(tecscan::DayStatus::kPresent), 2);
  EXPECT_EQ(state_files("manifest-").size(), 1u);
}

TEST_F(FetchTest, CatalogPagesThroughTheServiceLimit) {
  const std::string bundled = kData + "/catalogs/comcat_m4.5_2000-10_2001-02.csv";
  fs::create_directories(root_);
  TestArchiveServer server(work_, root_, "{}", "", bundled);
  const fs::path csv = work_ / "m6.csv";
  auto r = run_tecscan(
      "fetch catalog --min-mag 6 --start 2000-10-01 --end 2001-02-28 "
      "--page-size 10 --out '" +
      csv.string() + "' --base-url " + server.url() + " --ca-file '" + server.cert() + "' -q");
  ASSERT_EQ(r.status, 0) << r.output;
  std::set<std::string> want, got;
  for (const auto& e : tecscan::read_comcat(bundled))
    if (e.mag >= 6) want.insert(e.id);
  for (const auto& e : tecscan::read_comcat(csv.string())) got.insert(e.id);
  EXPECT_EQ(got, want);
  EXPECT_GT(want.size(), 20u);
  EXPECT_GE(server.count("/fdsnws/event/1/query"), static_cast<long>(want.size() / 10 + 1));
  // An earlier catalogue is the one file `fetch catalog` replaces.
  r = run_tecscan("fetch catalog --min-mag 7 --start 2000-10-01 --end 2001-02-28 --out '" +
                  csv.string() + "' --base-url " + server.url() + " --ca-file '" + server.cert() +
                  "' -q");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_LT(tecscan::read_comcat(csv.string()).size(), want.size());
}

TEST_F(FetchTest, IndicesArriveAndTheMissingKyotoMonthIsOnlyReported) {
  serve("/app/files/Kp_ap_Ap_SN_F107_since_1932.txt", kData + "/indices/Kp_ap_Ap_SN_F107_2020.txt");
  serve("/SpaceData/SW-All.txt", kData + "/indices/SW-All.txt");
  serve("/pub/data/omni/low_res_omni/omni2_2017.dat", kData + "/indices/omni2_2017.dat");
  TestArchiveServer server(work_, root_);
  auto r = run_tecscan("fetch indices --start 2017-09-01 --end 2017-09-10 --out '" + out_.string() +
                       "' --base-url " + server.url() + " --ca-file '" + server.cert() +
                       "' --retry-wait 0.01 -q");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* f : {"Kp_ap_Ap_SN_F107_since_1932.txt", "SW-All.txt", "omni2_2017.dat"})
    EXPECT_NO_THROW(tecscan::read_index_file((out_ / f).string())) << f;
  EXPECT_NE(r.output.find("kyoto dst 201709"), std::string::npos) << r.output;
  EXPECT_EQ(server.count("/dst_final/201709/dst1709.for.request"), 1);
  EXPECT_EQ(server.count("/dst_realtime/201709/dst1709.for.request"), 1);
}

// The README's "your own study" commands against the local archive: two weeks of maps into an
// archive, the indices, the catalogue, then one event scanned from what arrived.
TEST_F(FetchTest, ReadmeStudyEndToEnd) {
  serve(kCddisPath + "/2000/366/jplg3660.00i.Z", kJpl + "jplg3660.00i.Z");
  for (int doy = 1; doy <= 14; ++doy) {
    char file[32];
    std::snprintf(file, sizeof file, "jplg%03d0.01i.Z", doy);
    serve(kCddisPath + "/2001/" + std::string(file).substr(4, 3) + "/" + file, kJpl + file);
  }
  serve("/app/files/Kp_ap_Ap_SN_F107_since_1932.txt", kData + "/indices/Kp_ap_Ap_SN_F107_2020.txt");
  serve("/SpaceData/SW-All.txt", kData + "/indices/SW-All.txt");
  serve("/dst_final/200012/dst0012.for.request", kData + "/indices/dst2000.txt");
  TestArchiveServer server(work_, root_, "{}", "",
                           kData + "/catalogs/comcat_m4.5_2000-10_2001-02.csv");
  const std::string w = "'" + work_.string() + "/";
  const std::string mirror = " --ca-file '" + server.cert() + "' --base-url " + server.url();
  auto r = run_tecscan("fetch gim --provider jpl --start 2000-12-31 --end 2001-01-14 --out " + w +
                       "gim' --archive " + w + "gim.h5'" + mirror + kCddisPath + " -q");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(
      tecscan::read_archive_info((work_ / "gim.h5").string()).count(tecscan::DayStatus::kPresent),
      15);
  r = run_tecscan("fetch indices --start 2000-12-31 --end 2001-01-14 --out " + w + "idx'" + mirror +
                  " -q");
  ASSERT_EQ(r.status, 0) << r.output;  // OMNI2 2000/2001 and Kyoto 2001-01: gaps, reported
  r = run_tecscan("fetch catalog --min-mag 7 --start 2000-12-31 --end 2001-01-14 --out " + w +
                  "m7.csv'" + mirror + " -q");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(tecscan::read_comcat((work_ / "m7.csv").string()).size(), 4u);
  r = run_tecscan("scan --archive " + w + "gim.h5' --indices " + w + "idx' --catalog " + w +
                  "m7.csv' --event-id usp000a7m5 --config configs/demo.toml --models median-iqr "
                  "--device cpu --threads 2 --quiet --out " +
                  w + "run'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(read_text(work_ / "run" / "summary.json").find("usp000a7m5"), std::string::npos);
  EXPECT_TRUE(fs::exists(work_ / "run" / "scan.h5"));
}

}  // namespace
