// Index readers and the hourly table, on the real files in data/indices (known values in
// /work/shared/data/README.md and checked by hand against the raw columns).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"

using namespace tecscan;
namespace fs = std::filesystem;

namespace {

std::string data_path(const std::string& name) {
  return std::string(TECSCAN_SOURCE_DIR) + "/data/indices/" + name;
}

// Each real file is read once for the whole suite.
const IndexFile& omni2017() {
  static const IndexFile f = read_index_file(data_path("omni2_2017.dat"));
  return f;
}
const IndexFile& celestrak() {
  static const IndexFile f = read_index_file(data_path("SW-All.txt"));
  return f;
}
const IndexFile& kyoto2000() {
  static const IndexFile f = read_index_file(data_path("dst2000.txt"));
  return f;
}
const IndexFile& gfz2020() {
  static const IndexFile f = read_index_file(data_path("Kp_ap_Ap_SN_F107_2020.txt"));
  return f;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// A scratch directory per test for the broken copies.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("tecscan_indices_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<std::string>& lines) const {
    std::string path = (dir_ / name).string();
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
    return path;
  }

 private:
  fs::path dir_;
};

// Replaces 1-based word `n` of a whitespace-separated line.
std::string set_word(const std::string& line, size_t n, const std::string& value) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  words.at(n - 1) = value;
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Expects read_index_file to throw InputError naming the file and the line.
void expect_input_error(const std::string& path, long line, const std::string& fragment) {
  try {
    read_index_file(path);
    FAIL() << "no InputError for " << path;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

constexpr float kKp8Plus = 25.0f / 3.0f;

float at(const HourlyIndices& h, IndexKind k, const std::string& iso) {
  return index_at(h, k, parse_iso_time(iso));
}

}  // namespace

TEST(Indices, Names) {
  EXPECT_STREQ(index_name(IndexKind::kKp), "kp");
  EXPECT_STREQ(index_name(IndexKind::kAp), "ap");
  EXPECT_STREQ(index_name(IndexKind::kApDaily), "ap_daily");
  EXPECT_STREQ(index_name(IndexKind::kDst), "dst");
  EXPECT_STREQ(index_name(IndexKind::kF107), "f107");
  EXPECT_STREQ(index_name(IndexKind::kF107Obs), "f107_obs");
}

TEST(Indices, Omni2StormOf2017September8) {
  const IndexFile& f = omni2017();
  EXPECT_EQ(f.format, "omni2");
  // Every hour of 2017, no fill in these columns: 8760 hourly samples, 365 daily Ap.
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].size(), 8760u);
  EXPECT_EQ(f.samples[int(IndexKind::kDst)].size(), 8760u);
  EXPECT_EQ(f.samples[int(IndexKind::kApDaily)].size(), 365u);
  EXPECT_TRUE(f.samples[int(IndexKind::kF107Obs)].empty());

  HourlyIndices h = build_hourly({f}, parse_iso_time("2017-09-07"), 4 * 24);
  for (const char* t : {"2017-09-08T12:00", "2017-09-08T13:30", "2017-09-08T14:59:59"}) {
    EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, t), kKp8Plus) << t;  // 83 = 8+
    EXPECT_NEAR(at(h, IndexKind::kKp, t), 8.333, 1e-3) << t;
    EXPECT_EQ(at(h, IndexKind::kAp, t), 236.0f) << t;
  }
  EXPECT_NEAR(at(h, IndexKind::kKp, "2017-09-08T15:00"), 7.333, 1e-3);  // 73 = 7+
  // OMNI2 hour h covers h:00-h+1:00: the -142 nT record is hour 1 of DOY 251.
  EXPECT_EQ(at(h, IndexKind::kDst, "2017-09-08T01:00"), -142.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2017-09-08T01:59:59"), -142.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2017-09-08T00:59:59"), -125.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2017-09-08T02:00"), -128.0f);
  // Daily Ap from the eight ap: 207 39 32 48 236 154 94 39 -> 849/8 = 106.1 -> 106.
  EXPECT_EQ(at(h, IndexKind::kApDaily, "2017-09-08T23:00"), 106.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107, "2017-09-08T06:00"), 118.5f);
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kF107Obs, "2017-09-08T06:00")));
  // Outside the table.
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kKp, "2017-09-06T23:59:59")));
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kKp, "2017-09-11T00:00")));
}

TEST(Indices, Omni2AtTheSarpolZahabMainshock) {
  HourlyIndices h = build_hourly({omni2017()}, parse_iso_time("2017-11-12"), 24);
  const std::string t = "2017-11-12T18:18:17";
  EXPECT_NEAR(at(h, IndexKind::kKp, t), 1.667, 1e-3);  // 17 = 2-
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, t), 5.0f / 3.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, t), -15.0f);
  EXPECT_EQ(at(h, IndexKind::kAp, t), 6.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107, t), 68.0f);
  EXPECT_EQ(at(h, IndexKind::kApDaily, t), 5.0f);  // 4 6 3 4 4 4 6 9 -> 5, as CelesTrak
}

TEST(Indices, Omni2AndCelestrakAgreeEveryHourAugustToNovember2017) {
  const TimeS start = parse_iso_time("2017-08-01");
  const long nhours = (parse_iso_time("2017-12-01") - start) / kHour;
  HourlyIndices omni = build_hourly({omni2017()}, start, nhours);
  HourlyIndices sw = build_hourly({celestrak()}, start, nhours);
  for (IndexKind k : {IndexKind::kKp, IndexKind::kAp, IndexKind::kApDaily, IndexKind::kF107}) {
    EXPECT_EQ(omni.coverage.hours_present[int(k)], nhours) << index_name(k);
    EXPECT_EQ(sw.coverage.hours_present[int(k)], nhours) << index_name(k);
  }
  long ap_daily_equal = 0;
  for (long i = 0; i < nhours; ++i) {
    std::string t = format_iso(start + i * kHour);
    ASSERT_EQ(omni.of(IndexKind::kKp)[i], sw.of(IndexKind::kKp)[i]) << t;
    ASSERT_EQ(omni.of(IndexKind::kAp)[i], sw.of(IndexKind::kAp)[i]) << t;
    ASSERT_EQ(omni.of(IndexKind::kF107)[i], sw.of(IndexKind::kF107)[i]) << t;
    float d = omni.of(IndexKind::kApDaily)[i] - sw.of(IndexKind::kApDaily)[i];
    ASSERT_LE(std::fabs(d), 1.0f) << t;
    ap_daily_equal += d == 0;
  }
  // The daily Ap computed from OMNI2's ap (mean rounded half to even, as GFZ/CelesTrak round)
  // matches CelesTrak's on every day; rounding half up would miss the days with a .5 mean.
  EXPECT_EQ(ap_daily_equal, nhours);
  EXPECT_EQ(at(omni, IndexKind::kApDaily, "2017-09-10T00:00"), 4.0f);  // mean 4.5 -> 4
  EXPECT_EQ(at(omni, IndexKind::kApDaily, "2017-11-13T00:00"), 6.0f);  // mean 5.5 -> 6
  // CelesTrak also has the observed flux, which OMNI2 lacks.
  // OMNI2 word 51 is the adjusted flux: 185.5 on 2017-09-04, observed 182.5 (the paper's value).
  EXPECT_FLOAT_EQ(at(omni, IndexKind::kF107, "2017-09-04T12:00"), 185.5f);
  EXPECT_FLOAT_EQ(at(sw, IndexKind::kF107, "2017-09-04T12:00"), 185.5f);
  EXPECT_FLOAT_EQ(at(sw, IndexKind::kF107Obs, "2017-09-04T12:00"), 182.5f);
  EXPECT_FLOAT_EQ(at(sw, IndexKind::kF107Obs, "2017-11-12T18:00"), 69.4f);
  EXPECT_TRUE(std::isnan(at(omni, IndexKind::kF107Obs, "2017-11-12T18:00")));
}

TEST(Indices, CelestrakReadsOnlyTheObservedSection) {
  const IndexFile& f = celestrak();
  EXPECT_EQ(f.format, "celestrak");
  // 24765 observed days (NUM_OBSERVED_POINTS), 1957-10-01 .. 2025-07-20, then predictions.
  EXPECT_EQ(f.samples[int(IndexKind::kApDaily)].size(), 24765u);
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].size(), 8u * 24765u);
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].front().start, parse_iso_time("1957-10-01"));
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].back().start, parse_iso_time("2025-07-20T21:00"));
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].back().duration_s, 3 * kHour);
  for (int k = 0; k < kNumIndexKinds; ++k)
    for (const IndexSample& s : f.samples[k])
      ASSERT_LT(s.start, parse_iso_time("2025-07-21")) << index_name(IndexKind(k));
  // First record: Kp 43 = 4+, ap 32, Ap 21, F10.7 adj 269.8, obs 269.3.
  HourlyIndices h = build_hourly({f}, parse_iso_time("1957-10-01"), 24);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, "1957-10-01T01:00"), 13.0f / 3.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, "1957-10-01T03:00"), 4.0f);  // 40
  EXPECT_EQ(at(h, IndexKind::kAp, "1957-10-01T02:59"), 32.0f);
  EXPECT_EQ(at(h, IndexKind::kApDaily, "1957-10-01T12:00"), 21.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107, "1957-10-01T12:00"), 269.8f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107Obs, "1957-10-01T12:00"), 269.3f);
  // Past the observed section nothing: 2025-07-21 is a DAILY_PREDICTED line.
  HourlyIndices future = build_hourly({f}, parse_iso_time("2025-07-20"), 48);
  EXPECT_EQ(future.coverage.hours_present[int(IndexKind::kKp)], 24);
  EXPECT_EQ(future.coverage.first_missing[int(IndexKind::kKp)], parse_iso_time("2025-07-21"));
}

TEST(Indices, KyotoDstHourConventionAndCoverage) {
  const IndexFile& f = kyoto2000();
  EXPECT_EQ(f.format, "kyoto-dst");
  EXPECT_EQ(f.samples[int(IndexKind::kDst)].size(), 366u * 24u);  // leap year, no 9999
  for (int k = 0; k < kNumIndexKinds; ++k) {
    if (IndexKind(k) != IndexKind::kDst) {
      EXPECT_TRUE(f.samples[k].empty()) << index_name(IndexKind(k));
    }
  }
  HourlyIndices h = build_hourly({f}, parse_iso_time("2000-01-01"), 366 * 24);
  // First record DST0001*01: hour 1 (-46) ends at 01:00, so it covers 00:00-01:00.
  EXPECT_EQ(at(h, IndexKind::kDst, "2000-01-01T00:00"), -46.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2000-01-01T00:59:59"), -46.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2000-01-01T01:00"), -38.0f);
  // Last record DST0012*31: hour 24 = +8 nT covers 23:00-24:00.
  EXPECT_EQ(at(h, IndexKind::kDst, "2000-12-31T23:30"), 8.0f);
  EXPECT_EQ(at(h, IndexKind::kDst, "2000-12-31T22:30"), 9.0f);
  // Bastille-day storm: -301 nT in hours 1 and 2 of 2000-07-16 (00:00-02:00 UT).
  IndexSummary s = summarize_indices(h, QuietThresholds{});
  EXPECT_EQ(s.dst_min.value, -301.0);
  EXPECT_EQ(format_iso(s.dst_min.time), "2000-07-16T00:00:00Z");  // the earlier of the two
  EXPECT_TRUE(std::isnan(s.kp_max.value));                        // no Kp in a Dst file
  EXPECT_EQ(s.quiet_fraction, 0.0);                               // quiet needs every criterion

  // January 2001 is not covered: NaN there, and coverage says which hours are missing.
  const TimeS start = parse_iso_time("2000-12-25");
  HourlyIndices both = build_hourly({f, celestrak()}, start, 17 * 24);
  EXPECT_EQ(both.sources.size(), 2u);
  EXPECT_EQ(both.coverage.hours_total, 17 * 24);
  EXPECT_EQ(both.coverage.hours_present[int(IndexKind::kDst)], 7 * 24);
  EXPECT_EQ(both.coverage.first_missing[int(IndexKind::kDst)], parse_iso_time("2001-01-01"));
  EXPECT_EQ(both.coverage.last_missing[int(IndexKind::kDst)], parse_iso_time("2001-01-10T23:00"));
  EXPECT_TRUE(std::isnan(at(both, IndexKind::kDst, "2001-01-01T00:00")));
  EXPECT_TRUE(std::isnan(at(both, IndexKind::kDst, "2001-01-09T16:49")));
  EXPECT_EQ(at(both, IndexKind::kDst, "2000-12-31T23:59"), 8.0f);
  EXPECT_EQ(both.coverage.hours_present[int(IndexKind::kKp)], 17 * 24);  // CelesTrak covers it
}

TEST(Indices, GfzYearFileSpotValuesAndFills) {
  const IndexFile& f = gfz2020();
  EXPECT_EQ(f.format, "gfz");
  EXPECT_EQ(f.samples[int(IndexKind::kApDaily)].size(), 366u);
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].size(), 366u * 8u);
  // Three days with F10.7 -1.0 (2020-10-23, 12-17, 12-18): absent, not numbers.
  EXPECT_EQ(f.samples[int(IndexKind::kF107)].size(), 363u);
  EXPECT_EQ(f.samples[int(IndexKind::kF107Obs)].size(), 363u);
  for (const IndexSample& s : f.samples[int(IndexKind::kF107)]) ASSERT_GT(s.value, 0.0f);

  HourlyIndices h = build_hourly({f}, parse_iso_time("2020-01-01"), 366 * 24);
  // 2020-01-03: Kp 0.667 1.000 2.667 ..., ap 3 4 12 ..., Ap 5, F10.7 obs 71.2, adj 68.9.
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, "2020-01-03T02:00"), 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, "2020-01-03T07:30"), 8.0f / 3.0f);
  EXPECT_EQ(at(h, IndexKind::kAp, "2020-01-03T07:30"), 12.0f);
  EXPECT_EQ(at(h, IndexKind::kApDaily, "2020-01-03T23:00"), 5.0f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107Obs, "2020-01-03T00:00"), 71.2f);
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107, "2020-01-03T00:00"), 68.9f);
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kF107, "2020-10-23T12:00")));
  EXPECT_EQ(h.coverage.hours_present[int(IndexKind::kF107)], 363 * 24);
  EXPECT_EQ(h.coverage.first_missing[int(IndexKind::kF107)], parse_iso_time("2020-10-23"));
  EXPECT_EQ(h.coverage.last_missing[int(IndexKind::kF107)], parse_iso_time("2020-12-18T23:00"));

  // Merging: GFZ first wins; CelesTrak fills the three F10.7 gaps (72.8 on 2020-10-23).
  HourlyIndices merged = build_hourly({f, celestrak()}, parse_iso_time("2020-01-01"), 366 * 24);
  EXPECT_EQ(merged.coverage.hours_present[int(IndexKind::kF107)], 366 * 24);
  EXPECT_FLOAT_EQ(at(merged, IndexKind::kF107, "2020-10-23T12:00"), 72.8f);
  EXPECT_FLOAT_EQ(at(merged, IndexKind::kF107, "2020-01-03T00:00"), 68.9f);
  // CelesTrak takes Kp and ap from GFZ: they agree every hour of 2020.
  HourlyIndices sw = build_hourly({celestrak()}, parse_iso_time("2020-01-01"), 366 * 24);
  for (long i = 0; i < h.nhours; ++i) {
    ASSERT_EQ(h.of(IndexKind::kKp)[i], sw.of(IndexKind::kKp)[i]) << format_iso(h.start + i * kHour);
    ASSERT_EQ(h.of(IndexKind::kAp)[i], sw.of(IndexKind::kAp)[i]) << format_iso(h.start + i * kHour);
  }
}

TEST(Indices, EarlierFilesTakePrecedence) {
  // The same hours from OMNI2 (hourly Dst) and CelesTrak: with OMNI2 first its values stay.
  const TimeS start = parse_iso_time("2017-09-08");
  IndexFile omni = omni2017();
  IndexFile sw = celestrak();
  // Make the CelesTrak Kp differ so that precedence shows.
  for (IndexSample& s : sw.samples[int(IndexKind::kKp)]) s.value = -s.value - 1;
  HourlyIndices a = build_hourly({omni, sw}, start, 24);
  HourlyIndices b = build_hourly({sw, omni}, start, 24);
  EXPECT_FLOAT_EQ(at(a, IndexKind::kKp, "2017-09-08T12:00"), kKp8Plus);
  EXPECT_FLOAT_EQ(at(b, IndexKind::kKp, "2017-09-08T12:00"), -kKp8Plus - 1);
  EXPECT_EQ(at(b, IndexKind::kDst, "2017-09-08T01:00"), -142.0f);  // only OMNI2 has Dst
  EXPECT_EQ(a.sources, (std::vector<std::string>{omni.path, sw.path}));
}

TEST(Indices, SummaryOfTheSeptember2017Storm) {
  HourlyIndices h = build_hourly({omni2017()}, parse_iso_time("2017-09-07"), 4 * 24);
  IndexSummary s = summarize_indices(h, QuietThresholds{});
  EXPECT_NEAR(s.kp_max.value, 8.333, 1e-3);
  EXPECT_EQ(format_iso(s.kp_max.time), "2017-09-08T12:00:00Z");
  EXPECT_EQ(s.ap_max.value, 236.0);
  EXPECT_EQ(format_iso(s.ap_max.time), "2017-09-08T12:00:00Z");
  EXPECT_EQ(s.dst_min.value, -142.0);
  EXPECT_EQ(format_iso(s.dst_min.time), "2017-09-08T01:00:00Z");
  EXPECT_FLOAT_EQ(static_cast<float>(s.f107_max.value), 130.4f);
  EXPECT_EQ(format_iso(s.f107_max.time), "2017-09-07T00:00:00Z");
  // Sep 7-8: F10.7 >= 120 or Ap >= 25; Sep 9-10: Dst below -20 nT all day (recovery phase).
  EXPECT_EQ(s.quiet_fraction, 0.0);
  // Kp 2.333 (23) passes Kp < 2.5 and 2.667 (27) does not: loosen Dst/F10.7 to see Kp/Ap decide.
  QuietThresholds loose;
  loose.dst_min = -1000;
  loose.f107_max = 1000;
  // Sep 7-8: Ap 36 and 106. Sep 9: Ap 3, Kp <= 2+ all day -> 24 h. Sep 10: Ap 4, but Kp 27
  // (2.667) over 15-18 UT and 30 (3.0) over 21-24 UT -> 18 h.
  EXPECT_DOUBLE_EQ(summarize_indices(h, loose).quiet_fraction, (24.0 + 18.0) / 96.0);
}

TEST(Indices, QuietFractionNovember2017) {
  // 466 of 720 hours: Kp < 2.5, Ap < 25, -20 < Dst < 20, F10.7 < 120, counted with awk over the
  // raw OMNI2 words 39/41/50/51 (daily Ap = mean of the eight ap, rounded half to even).
  HourlyIndices h = build_hourly({omni2017()}, parse_iso_time("2017-11-01"), 30 * 24);
  IndexSummary s = summarize_indices(h, QuietThresholds{});
  EXPECT_DOUBLE_EQ(s.quiet_fraction, 466.0 / 720.0);
  // Empty window: nothing to summarize.
  IndexSummary none = summarize_indices(build_hourly({omni2017()}, h.start, 0), QuietThresholds{});
  EXPECT_TRUE(std::isnan(none.kp_max.value));
  EXPECT_EQ(none.quiet_fraction, 0.0);
}

TEST(Indices, Omni2FillValuesBecomeMissing) {
  TempDir tmp;
  std::vector<std::string> lines = read_lines(data_path("omni2_2017.dat"));
  lines.resize(48);  // 2017-01-01 and 2017-01-02
  for (int hour = 3; hour <= 5; ++hour) lines[hour] = set_word(lines[hour], 50, "999");
  lines[5] = set_word(lines[5], 39, "99");
  lines[5] = set_word(lines[5], 41, "99999");
  lines[5] = set_word(lines[5], 51, "999.9");
  IndexFile f = read_index_file(tmp.write("omni_fill.dat", lines));
  EXPECT_EQ(f.format, "omni2");
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].size(), 47u);
  EXPECT_EQ(f.samples[int(IndexKind::kAp)].size(), 45u);
  EXPECT_EQ(f.samples[int(IndexKind::kDst)].size(), 47u);
  EXPECT_EQ(f.samples[int(IndexKind::kF107)].size(), 47u);
  HourlyIndices h = build_hourly({f}, parse_iso_time("2017-01-01"), 48);
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kKp, "2017-01-01T05:00")));
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kDst, "2017-01-01T05:00")));
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kF107, "2017-01-01T05:00")));
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kAp, "2017-01-01T03:00")));
  EXPECT_FALSE(std::isnan(at(h, IndexKind::kKp, "2017-01-01T04:00")));
  EXPECT_EQ(at(h, IndexKind::kDst, "2017-01-01T04:00"), -29.0f);
  // One 3-hour ap missing: no daily Ap that day; the next day is complete (CelesTrak: Ap 8).
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kApDaily, "2017-01-01T12:00")));
  EXPECT_EQ(at(h, IndexKind::kApDaily, "2017-01-02T12:00"),
            index_at(build_hourly({celestrak()}, h.start, 48), IndexKind::kApDaily,
                     parse_iso_time("2017-01-02T12:00")));
  EXPECT_EQ(h.coverage.hours_present[int(IndexKind::kApDaily)], 24);
  EXPECT_EQ(h.coverage.first_missing[int(IndexKind::kKp)], parse_iso_time("2017-01-01T05:00"));
  EXPECT_EQ(h.coverage.last_missing[int(IndexKind::kKp)], parse_iso_time("2017-01-01T05:00"));
}

TEST(Indices, CelestrakBlankFieldsAreMissing) {
  TempDir tmp;
  std::vector<std::string> all = read_lines(data_path("SW-All.txt"));
  std::vector<std::string> lines(all.begin(), all.begin() + 19);  // header + 2 observed days
  for (auto& l : lines)
    if (!l.empty() && l.back() == '\r') l.pop_back();
  lines[17].replace(18, 3, "   ");      // Kp1 of 1957-10-01
  lines[17].replace(112, 6, "      ");  // F10.7 observed
  lines.push_back("END OBSERVED");
  IndexFile f = read_index_file(tmp.write("sw.txt", lines));
  EXPECT_EQ(f.format, "celestrak");
  EXPECT_EQ(f.samples[int(IndexKind::kKp)].size(), 15u);
  EXPECT_EQ(f.samples[int(IndexKind::kF107Obs)].size(), 1u);
  EXPECT_EQ(f.samples[int(IndexKind::kF107)].size(), 2u);
  HourlyIndices h = build_hourly({f}, parse_iso_time("1957-10-01"), 48);
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kKp, "1957-10-01T00:00")));
  EXPECT_FLOAT_EQ(at(h, IndexKind::kKp, "1957-10-01T03:00"), 4.0f);
  EXPECT_TRUE(std::isnan(at(h, IndexKind::kF107Obs, "1957-10-01T00:00")));
  EXPECT_FLOAT_EQ(at(h, IndexKind::kF107Obs, "1957-10-02T00:00"), 253.3f);
}

TEST(Indices, MalformedLinesNameFileAndLine) {
  TempDir tmp;
  std::vector<std::string> omni = read_lines(data_path("omni2_2017.dat"));
  omni.resize(10);
  std::vector<std::string> short_line = omni;
  short_line[2] = short_line[2].substr(0, short_line[2].rfind(' '));  // 54 words
  expect_input_error(tmp.write("short.dat", short_line), 3, "55");
  std::vector<std::string> text = omni;
  text[6] = set_word(text[6], 41, "-1x");
  expect_input_error(tmp.write("text.dat", text), 7, "Dst");
  std::vector<std::string> bad_kp = omni;
  bad_kp[4] = set_word(bad_kp[4], 39, "15");  // not a third
  expect_input_error(tmp.write("kp.dat", bad_kp), 5, "Kp");
  std::vector<std::string> bad_day = omni;
  bad_day[8] = set_word(bad_day[8], 2, "366");  // 2017 has 365 days
  expect_input_error(tmp.write("doy.dat", bad_day), 9, "day of year");

  std::vector<std::string> dst = read_lines(data_path("dst2000.txt"));
  dst.resize(5);
  dst[3].replace(24, 4, "-4a ");
  expect_input_error(tmp.write("dst.txt", dst), 4, "columns 25-28");
  dst = read_lines(data_path("dst2000.txt"));
  dst.resize(3);
  dst[1] = dst[1].substr(0, 100);
  expect_input_error(tmp.write("dst_short.txt", dst), 2, "120-byte");

  std::vector<std::string> gfz = read_lines(data_path("Kp_ap_Ap_SN_F107_2020.txt"));
  gfz.resize(45);
  gfz[42] = gfz[42].substr(0, gfz[42].rfind(' '));  // drop D: 27 fields
  expect_input_error(tmp.write("gfz.txt", gfz), 43, "28");

  std::vector<std::string> sw = read_lines(data_path("SW-All.txt"));
  sw.resize(22);
  sw[19].replace(49, 1, "x");  // inside ap1 of 1957-10-03
  sw.push_back("END OBSERVED");
  expect_input_error(tmp.write("sw.txt", sw), 20, "ap");
  sw = read_lines(data_path("SW-All.txt"));
  sw.resize(22);  // truncated: no END OBSERVED
  expect_input_error(tmp.write("sw_cut.txt", sw), 22, "END OBSERVED");
}

TEST(Indices, UnknownFormatListsTheSupportedOnes) {
  TempDir tmp;
  std::string path = tmp.write("notes.txt", {"", "hello, this is not an index file"});
  try {
    read_index_file(path);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.line(), 2);
    for (const char* name : {"OMNI2", "GFZ", "CelesTrak", "Kyoto"})
      EXPECT_NE(what.find(name), std::string::npos) << what;
  }
  EXPECT_THROW(read_index_file(tmp.write("empty.txt", {})), InputError);
  EXPECT_THROW(read_index_file(path + ".does-not-exist"), InputError);
  // Detection is by content: a Dst file under an OMNI-looking name is still Dst.
  std::vector<std::string> dst = read_lines(data_path("dst2000.txt"));
  dst.resize(2);
  EXPECT_EQ(read_index_file(tmp.write("omni2_2000.dat", dst)).format, "kyoto-dst");
}
