// Readers for the four index file formats tecscan accepts; the format is detected from the
// content. Every sample is [start, start + duration); fill values never become samples.
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"

namespace tecscan {
namespace {

constexpr int kThreeHours = 3 * kHour;
constexpr const char* kSupportedFormats =
    "an index file in a supported format: OMNI2 hourly (55 words: year DOY hour ...), GFZ "
    "Kp_ap_Ap_SN_F107 (# header, 28 fields per day), CelesTrak SW-All (DATATYPE CssiSpaceWeather, "
    "BEGIN OBSERVED ... END OBSERVED) or Kyoto WDC Dst (120-byte records 'DSTyymm*dd')";
// CelesTrak SW-All version 1.2; the fixed columns below follow it.
constexpr const char* kCelestrakFormat =
    "FORMAT(I4,I3,I3,I5,I3,8I3,I4,8I4,I4,F4.1,I2,I4,F6.1,I2,5F6.1)";

// The file and line being read, to name them in every error.
struct Where {
  const std::string& path;
  long line;
  [[noreturn]] void fail(const std::string& expected) const {
    throw InputError(path, line, expected);
  }
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t") == std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (true) {
    i = s.find_first_not_of(" \t", i);
    if (i == std::string_view::npos) break;
    size_t j = s.find_first_of(" \t", i);
    if (j == std::string_view::npos) j = s.size();
    words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

// A column range (1-based, inclusive start, `width` chars) of a fixed-format line; the part past
// the end of the line reads as blank.
std::string_view columns(std::string_view line, size_t first, size_t width) {
  if (first - 1 >= line.size()) return {};
  return line.substr(first - 1, width);
}

double parse_real(std::string_view field, const Where& w, const std::string& what) {
  std::string text(trim(field));
  char* end = nullptr;
  errno = 0;
  double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    w.fail(what + " as a number, found '" + std::string(field) + "'");
  return v;
}

long parse_int(std::string_view field, const Where& w, const std::string& what) {
  std::string text(trim(field));
  char* end = nullptr;
  errno = 0;
  long v = text.empty() ? 0 : std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    w.fail(what + " as an integer, found '" + std::string(field) + "'");
  return v;
}

// Amplitudes (ap, Ap) and fluxes (F10.7) are never negative; a negative one is a corrupt field,
// not a value to average or compare with a threshold.
long parse_count(std::string_view field, const Where& w, const std::string& what) {
  long v = parse_int(field, w, what);
  if (v < 0) w.fail(what + " >= 0, found '" + std::string(trim(field)) + "'");
  return v;
}

double parse_flux(std::string_view field, const Where& w, const std::string& what) {
  double v = parse_real(field, w, what);
  if (v < 0) w.fail(what + " >= 0, found '" + std::string(trim(field)) + "'");
  return v;
}

bool valid_date(int y, int m, int d) {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  int y2, m2, d2;
  civil_from_days(days_from_civil(y, m, d), y2, m2, d2);
  return y2 == y && m2 == m && d2 == d;
}

TimeS day_start(const Where& w, long y, long m, long d) {
  if (y < 1900 || y > 2200 ||
      !valid_date(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d)))
    w.fail("a valid date, found " + std::to_string(y) + "-" + std::to_string(m) + "-" +
           std::to_string(d));
  return make_time(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
}

// Kp takes 28 values 0, 0+, 1-, 1, ... 9: thirds. Every reader goes through here so that the same
// Kp from two files is the same float.
float kp_from_thirds(long thirds) {
  return static_cast<float>(static_cast<double>(thirds) / 3.0);
}

// Kp x10 as in OMNI2 and CelesTrak: 17 = 2- = 1.667, 20 = 2o, 23 = 2+ = 2.333.
float kp_from_tenths(long kp10, const Where& w) {
  long units = kp10 % 10;
  if (kp10 < 0 || kp10 > 90 || (units != 0 && units != 3 && units != 7))
    w.fail("Kp x10 between 0 and 90 ending in 0, 3 or 7 (e.g. 17 = 2-), found " +
           std::to_string(kp10));
  return kp_from_thirds(kp10 / 10 * 3 + (units == 3 ? 1 : units == 7 ? 2 : 0));
}

// Kp as a decimal as in GFZ files: 1.667 = 2-.
float kp_from_decimal(double kp, const Where& w) {
  double thirds = std::round(kp * 3.0);
  if (kp < 0 || kp > 9 || std::fabs(kp * 3.0 - thirds) > 0.01)
    w.fail("Kp between 0 and 9 in thirds (e.g. 1.667), found " + std::to_string(kp));
  return kp_from_thirds(static_cast<long>(thirds));
}

// Mean of n integers rounded half to even, as GFZ and CelesTrak round the daily Ap.
long mean_round_half_even(long sum, long n) {
  long q = sum / n, r = sum % n;
  if (2 * r > n || (2 * r == n && q % 2 != 0)) ++q;
  return q;
}

void add(IndexFile& f, IndexKind k, TimeS start, int duration, double value) {
  f.samples[static_cast<int>(k)].push_back({start, duration, static_cast<float>(value)});
}

// ---- NASA OMNI2 hourly ----------------------------------------------------------------------

constexpr size_t kOmniWords = 55;

bool looks_like_omni2(std::string_view line) {
  auto words = split_words(line);
  return words.size() == kOmniWords && words[0].size() == 4 &&
         words[0].find_first_not_of("0123456789") == std::string_view::npos;
}

// Kp and ap are 3-hour values repeated on each hour; stored hourly as they come. The daily Ap is
// not in OMNI2: it is the mean of the day's eight 3-hour ap (rounded half to even like GFZ and
// CelesTrak), only for days with all eight present.
void read_omni2(const std::vector<std::string>& lines, IndexFile& f) {
  std::map<int64_t, std::array<long, 8>> ap_blocks;  // day -> ap per 3-hour block, -1 = none
  for (size_t i = 0; i < lines.size(); ++i) {
    Where w{f.path, static_cast<long>(i + 1)};
    if (is_blank(lines[i])) continue;
    auto words = split_words(lines[i]);
    if (words.size() != kOmniWords)
      w.fail("55 whitespace-separated words of an OMNI2 hourly record, found " +
             std::to_string(words.size()));
    long year = parse_int(words[0], w, "year (word 1)");
    long doy = parse_int(words[1], w, "day of year (word 2)");
    long hour = parse_int(words[2], w, "hour (word 3)");
    bool in_range = year >= 1963 && year <= 2200 && doy >= 1 && hour >= 0 && hour <= 23;
    if (!in_range || doy > days_from_civil(static_cast<int>(year) + 1, 1, 1) -
                               days_from_civil(static_cast<int>(year), 1, 1))
      w.fail("year >= 1963, day of year 1..366 and hour 0..23, found " + std::to_string(year) +
             " " + std::to_string(doy) + " " + std::to_string(hour));
    TimeS t = time_from_doy(static_cast<int>(year), static_cast<int>(doy), static_cast<int>(hour));

    long kp10 = parse_int(words[38], w, "Kp x10 (word 39)");
    if (kp10 != 99) add(f, IndexKind::kKp, t, kHour, kp_from_tenths(kp10, w));
    long dst = parse_int(words[40], w, "Dst (word 41)");
    if (dst != 99999) add(f, IndexKind::kDst, t, kHour, static_cast<double>(dst));
    long ap = parse_count(words[49], w, "ap (word 50)");
    if (ap != 999) {
      add(f, IndexKind::kAp, t, kHour, static_cast<double>(ap));
      int64_t day = t / kDay;
      auto [it, inserted] = ap_blocks.try_emplace(day);
      if (inserted) it->second.fill(-1);
      long& block = it->second[hour / 3];
      if (block >= 0 && block != ap)
        w.fail("the same ap on every hour of a 3-hour interval, found " + std::to_string(ap) +
               " after " + std::to_string(block));
      block = ap;
    }
    // 999.9 = fill; a larger number is no flux either, so it is refused, not taken for a fill.
    double f107 = parse_real(words[50], w, "F10.7 (word 51)");
    if (std::fabs(f107 - 999.9) > 0.05) {
      if (f107 < 0 || f107 > 999.85)
        w.fail("F10.7 (word 51) in [0, 999.9) or 999.9 (missing), found '" +
               std::string(words[50]) + "'");
      add(f, IndexKind::kF107, t, kHour, f107);
    }
    for (size_t k = 0; k < kOmniWords; ++k)  // the words not used must still be numbers
      parse_real(words[k], w, "word " + std::to_string(k + 1));
  }
  for (const auto& [day, blocks] : ap_blocks) {
    long sum = 0, present = 0;
    for (long ap : blocks) {
      if (ap < 0) continue;
      sum += ap;
      ++present;
    }
    if (present == 8)
      add(f, IndexKind::kApDaily, day * kDay, kDay,
          static_cast<double>(mean_round_half_even(sum, 8)));
  }
}

// ---- GFZ Potsdam Kp_ap_Ap_SN_F107 -------------------------------------------------------------

constexpr size_t kGfzFields = 28;

void read_gfz(const std::vector<std::string>& lines, IndexFile& f) {
  const int64_t days_1932 = days_from_civil(1932, 1, 1);
  for (size_t i = 0; i < lines.size(); ++i) {
    Where w{f.path, static_cast<long>(i + 1)};
    if (is_blank(lines[i]) || trim(lines[i])[0] == '#') continue;
    auto x = split_words(lines[i]);
    if (x.size() != kGfzFields)
      w.fail(
          "28 blank-separated fields of a GFZ day record (YYYY MM DD days days_m Bsr dB "
          "Kp1..Kp8 ap1..ap8 Ap SN F10.7obs F10.7adj D), found " +
          std::to_string(x.size()));
    TimeS day = day_start(w, parse_int(x[0], w, "year"), parse_int(x[1], w, "month"),
                          parse_int(x[2], w, "day"));
    if (parse_int(x[3], w, "days since 1932-01-01") != day / kDay - days_1932)
      w.fail("'days' = days since 1932-01-01 of the date, found " + std::string(x[3]));
    for (int k = 0; k < 8; ++k) {
      std::string n = std::to_string(k + 1);
      double kp = parse_real(x[7 + k], w, "Kp" + n);
      if (kp != -1)
        add(f, IndexKind::kKp, day + k * kThreeHours, kThreeHours, kp_from_decimal(kp, w));
      long ap = parse_int(x[15 + k], w, "ap" + n);
      if (ap < -1) w.fail("ap" + n + " >= 0 or -1 (missing), found " + std::to_string(ap));
      if (ap != -1) add(f, IndexKind::kAp, day + k * kThreeHours, kThreeHours, ap);
    }
    long ap_daily = parse_int(x[23], w, "Ap");
    if (ap_daily < -1) w.fail("Ap >= 0 or -1 (missing), found " + std::to_string(ap_daily));
    if (ap_daily != -1) add(f, IndexKind::kApDaily, day, kDay, ap_daily);
    parse_int(x[24], w, "SN");
    double obs = parse_real(x[25], w, "F10.7obs"), adj = parse_real(x[26], w, "F10.7adj");
    if ((obs < 0 && obs != -1) || (adj < 0 && adj != -1)) w.fail("F10.7 >= 0 or -1.0 (missing)");
    if (obs != -1) add(f, IndexKind::kF107Obs, day, kDay, obs);
    if (adj != -1) add(f, IndexKind::kF107, day, kDay, adj);
  }
}

// ---- CelesTrak SW-All.txt ---------------------------------------------------------------------

// Only BEGIN OBSERVED ... END OBSERVED is data; the predicted sections are forecasts.
void read_celestrak(const std::vector<std::string>& lines, IndexFile& f) {
  size_t i = 0;
  for (; i < lines.size() && trim(lines[i]) != "BEGIN OBSERVED"; ++i) {
    std::string_view l = trim(lines[i]);
    if (l.rfind("# FORMAT(", 0) == 0 && trim(l.substr(1)) != kCelestrakFormat)
      Where{f.path, static_cast<long>(i + 1)}.fail(std::string("the CelesTrak layout ") +
                                                   kCelestrakFormat);
  }
  if (i == lines.size())
    throw InputError(f.path, static_cast<long>(lines.size()), "a 'BEGIN OBSERVED' line");
  for (++i; i < lines.size(); ++i) {
    Where w{f.path, static_cast<long>(i + 1)};
    std::string_view l = lines[i];
    if (trim(l) == "END OBSERVED") return;
    if (is_blank(l)) continue;
    // Columns per FORMAT: year 1-4, month 5-7, day 8-10, Kp 19-42 (8 x I3), ap 47-78 (8 x I4),
    // Ap 79-82, F10.7 adjusted 93-98, F10.7 observed 113-118. Blank fields are missing.
    if (l.size() < 118)
      w.fail("a CelesTrak observed record reaching column 118 (F10.7 observed), found " +
             std::to_string(l.size()) + " columns");
    TimeS day = day_start(w, parse_int(columns(l, 1, 4), w, "year (columns 1-4)"),
                          parse_int(columns(l, 5, 3), w, "month (columns 5-7)"),
                          parse_int(columns(l, 8, 3), w, "day (columns 8-10)"));
    for (int k = 0; k < 8; ++k) {
      std::string_view kp = columns(l, 19 + 3 * k, 3);
      if (!is_blank(kp))
        add(f, IndexKind::kKp, day + k * kThreeHours, kThreeHours,
            kp_from_tenths(parse_int(kp, w, "Kp x10 (columns 19-42)"), w));
      std::string_view ap = columns(l, 47 + 4 * k, 4);
      if (!is_blank(ap))
        add(f, IndexKind::kAp, day + k * kThreeHours, kThreeHours,
            parse_count(ap, w, "ap (columns 47-78)"));
    }
    std::string_view ap_daily = columns(l, 79, 4);
    if (!is_blank(ap_daily))
      add(f, IndexKind::kApDaily, day, kDay, parse_count(ap_daily, w, "Ap (columns 79-82)"));
    std::string_view adj = columns(l, 93, 6), obs = columns(l, 113, 6);
    if (!is_blank(adj))
      add(f, IndexKind::kF107, day, kDay, parse_flux(adj, w, "F10.7 adjusted (columns 93-98)"));
    if (!is_blank(obs))
      add(f, IndexKind::kF107Obs, day, kDay,
          parse_flux(obs, w, "F10.7 observed (columns 113-118)"));
  }
  throw InputError(f.path, static_cast<long>(lines.size()), "'END OBSERVED' before the end");
}

// ---- Kyoto WDC-format Dst ---------------------------------------------------------------------

bool looks_like_kyoto_dst(std::string_view line) {
  return line.size() >= 120 && line.substr(0, 3) == "DST" && line[7] == '*';
}

// 120-byte records: 'DST' yy mm '*' dd, century 15-16, base (x100 nT) 17-20, 24 hourly I4 21-116,
// daily mean 117-120; 9999 = missing. Value h (1..24) covers h-1:00 to h:00.
void read_kyoto_dst(const std::vector<std::string>& lines, IndexFile& f) {
  for (size_t i = 0; i < lines.size(); ++i) {
    Where w{f.path, static_cast<long>(i + 1)};
    std::string_view l = lines[i];
    if (is_blank(l)) continue;
    if (!looks_like_kyoto_dst(l)) w.fail("a 120-byte Kyoto WDC Dst record starting 'DSTyymm*dd'");
    long yy = parse_int(columns(l, 4, 2), w, "year (columns 4-5)");
    std::string_view century = columns(l, 15, 2);
    // Blank century: Kyoto documents it as 19xx, but its own files for 2000 leave it blank too;
    // Dst starts in 1957, so a two-digit year below 57 is 20yy.
    long year = is_blank(century) ? (yy < 57 ? 2000 : 1900) + yy
                                  : parse_int(century, w, "century (columns 15-16)") * 100 + yy;
    TimeS day = day_start(w, year, parse_int(columns(l, 6, 2), w, "month (columns 6-7)"),
                          parse_int(columns(l, 9, 2), w, "day (columns 9-10)"));
    long base = parse_int(columns(l, 17, 4), w, "base value (columns 17-20)");
    for (int h = 0; h < 24; ++h) {
      long v = parse_int(columns(l, 21 + 4 * h, 4), w,
                         "hourly Dst (columns " + std::to_string(21 + 4 * h) + "-" +
                             std::to_string(24 + 4 * h) + ")");
      if (v != 9999) add(f, IndexKind::kDst, day + h * kHour, kHour, base * 100 + v);
    }
    parse_int(columns(l, 117, 4), w, "daily mean (columns 117-120)");
  }
}

// ---- detection --------------------------------------------------------------------------------

std::string detect_format(const std::string& path, const std::vector<std::string>& lines) {
  size_t first = 0;
  while (first < lines.size() && is_blank(lines[first])) ++first;
  if (first == lines.size()) throw InputError(path, 0, std::string(kSupportedFormats) + " (empty)");
  std::string_view head = lines[first];
  if (head.rfind("DATATYPE CssiSpaceWeather", 0) == 0) return "celestrak";
  for (const auto& l : lines)
    if (trim(l) == "BEGIN OBSERVED") return "celestrak";
  if (looks_like_kyoto_dst(head)) return "kyoto-dst";
  if (looks_like_omni2(head)) return "omni2";
  for (size_t i = first; i < lines.size(); ++i) {
    std::string_view l = trim(lines[i]);
    if (l.empty()) continue;
    if (l[0] == '#') {
      if (l.find("Kp1") != std::string_view::npos && l.find("F10.7obs") != std::string_view::npos)
        return "gfz";
      continue;
    }
    if (split_words(l).size() == kGfzFields) return "gfz";
    break;
  }
  throw InputError(path, static_cast<long>(first + 1), kSupportedFormats);
}

}  // namespace

IndexFile parse_index_file(const std::string& text, const std::string& name) {
  std::vector<std::string> lines = split_lines(text);
  IndexFile f;
  f.path = name;
  f.format = detect_format(name, lines);
  if (f.format == "omni2") read_omni2(lines, f);
  if (f.format == "gfz") read_gfz(lines, f);
  if (f.format == "celestrak") read_celestrak(lines, f);
  if (f.format == "kyoto-dst") read_kyoto_dst(lines, f);
  return f;
}

IndexFile read_index_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "a readable index file (cannot open it)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_index_file(text.str(), path);
}

}  // namespace tecscan
