// IONEX 1.0/1.1 parser. The format is Fortran fixed-column: labels in columns 61-80, header
// fields at fixed positions, map rows as 16 x I5 per line. Fields may touch
// ("87.5-180.0 180.0"), so nothing here splits on whitespace.
#include "tecscan/ionex.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "tecscan/error.hpp"

namespace tecscan {
namespace {

constexpr size_t kLabelColumn = 60;  // 0-based start of columns 61-80
constexpr int kValuesPerLine = 16;
constexpr size_t kValueWidth = 5;
constexpr long kMissingValue = 9999;
// A 0.1 deg global grid (1801 x 3601) fits; products today are 1-5 deg. Bounds memory on junk.
constexpr long kMaxGridCells = 8'000'000;
constexpr double kGridTolerance = 1e-3;  // degrees / km, fields are F6.1

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Columns [begin, begin + width) of a line; short lines read as blanks, like Fortran.
std::string_view field(std::string_view line, size_t begin, size_t width) {
  if (begin >= line.size()) return {};
  return line.substr(begin, width);
}

// 87.5, -180, 0.25: grid values as a reader wrote them.
std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", x);
  return text;
}

bool is_blank(std::string_view s) {
  return trim(s).empty();
}

// Fortran I-format: optional sign and digits, right- or left-padded with blanks.
bool parse_int(std::string_view text, long& value) {
  std::string_view s = trim(text);
  if (s.empty() || s.size() > 12) return false;
  bool negative = s.front() == '-';
  if (s.front() == '-' || s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  value = negative ? -v : v;
  return true;
}

// Fortran F-format: "450.0", "-180.0", ".0", "5", "1.5E+02" (D exponents too).
bool parse_float(std::string_view text, double& value) {
  std::string_view s = trim(text);
  if (s.empty() || s.size() > 31) return false;
  char buffer[32];
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') ++digits;
    if (c == 'D' || c == 'd') c = 'E';
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'E' || c == 'e' || c == '+' || c == '-';
    if (!ok) return false;
    buffer[i] = c;
  }
  buffer[s.size()] = '\0';
  if (digits == 0) return false;
  char* end = nullptr;
  value = std::strtod(buffer, &end);
  return end == buffer + s.size() && std::isfinite(value);
}

bool nearly_integer(double x, long& rounded) {
  if (!std::isfinite(x) || std::fabs(x) > 1e9) return false;
  rounded = std::lround(x);
  return std::fabs(x - static_cast<double>(rounded)) < kGridTolerance;
}

// Walks the text line by line without copying; strips a trailing CR (DOS line ends).
class LineReader {
 public:
  explicit LineReader(const std::string& text)
      : next_(text.data()), end_(text.data() + text.size()) {}
  bool next() {
    if (next_ >= end_) return false;
    const char* newline =
        static_cast<const char*>(std::memchr(next_, '\n', static_cast<size_t>(end_ - next_)));
    const char* stop = newline ? newline : end_;
    line_ = std::string_view(next_, static_cast<size_t>(stop - next_));
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    next_ = newline ? newline + 1 : end_;
    ++number_;
    return true;
  }
  std::string_view line() const { return line_; }
  std::string_view label() const {
    return line_.size() > kLabelColumn ? trim(line_.substr(kLabelColumn)) : std::string_view();
  }
  long number() const { return number_; }

 private:
  const char* next_;
  const char* end_;
  std::string_view line_;
  long number_ = 0;
};

// A line that is a record of the map structure, not a line of values (a full line of 16
// values fills columns 61-80 with digits, so the label test cannot misfire).
bool is_structure_label(std::string_view label) {
  static const char* const kLabels[] = {"LAT/LON1/LON2/DLON/H",
                                        "END OF TEC MAP",
                                        "END OF RMS MAP",
                                        "END OF HEIGHT MAP",
                                        "START OF TEC MAP",
                                        "START OF RMS MAP",
                                        "START OF HEIGHT MAP",
                                        "END OF FILE",
                                        "EPOCH OF CURRENT MAP",
                                        "EXPONENT",
                                        "COMMENT"};
  for (const char* known : kLabels)
    if (label == known) return true;
  return false;
}

enum class MapKind { kTec, kRms };

struct RawMap {
  TimeS epoch = 0;
  long first_line = 0;
  std::vector<float> values;
  int exponent = -1;
  long exponent_line = 0;
};

class IonexParser {
 public:
  IonexParser(const std::string& text, const std::string& name) : lines_(text), name_(name) {
    file_.path = name;
  }

  IonexFile parse() {
    parse_header();
    parse_body();
    attach_rms();
    return std::move(file_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(name_, lines_.number(), what);
  }

  long int_field(size_t begin, size_t width, const char* what) const {
    long value = 0;
    if (!parse_int(field(lines_.line(), begin, width), value))
      fail(std::string("expected ") + what + " as an integer in columns " +
           std::to_string(begin + 1) + "-" + std::to_string(begin + width) + ", found '" +
           std::string(field(lines_.line(), begin, width)) + "'");
    return value;
  }

  // 2X,nF6.1: the grid records and the row header of every map row.
  void float_fields(double* values, int count, const char* what) const {
    for (int k = 0; k < count; ++k) {
      size_t begin = 2 + 6 * static_cast<size_t>(k);
      if (!parse_float(field(lines_.line(), begin, 6), values[k]))
        fail(std::string("expected ") + what + " as 2X," + std::to_string(count) + "F6.1; field " +
             std::to_string(k + 1) + " (columns " + std::to_string(begin + 1) + "-" +
             std::to_string(begin + 6) + ") reads '" + std::string(field(lines_.line(), begin, 6)) +
             "'");
    }
  }

  // 6I6 year month day hour minute second; hour 24 means 00:00 of the next day.
  TimeS epoch_fields(const char* what) const {
    long v[6];
    static const char* const kNames[] = {"year", "month", "day", "hour", "minute", "second"};
    for (int k = 0; k < 6; ++k) {
      if (!parse_int(field(lines_.line(), 6 * static_cast<size_t>(k), 6), v[k]))
        fail(std::string("cannot read ") + what + ": expected 6I6 (year month day hour minute " +
             "second), the " + kNames[k] + " in columns " + std::to_string(6 * k + 1) + "-" +
             std::to_string(6 * k + 6) + " is not an integer");
    }
    static const int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool ok = v[0] >= 1900 && v[0] <= 2200 && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 &&
              v[2] <= kMonthDays[v[1] - 1] && v[3] >= 0 && v[4] >= 0 && v[4] <= 59 && v[5] >= 0 &&
              v[5] <= 59 && (v[3] < 24 || (v[3] == 24 && v[4] == 0 && v[5] == 0));
    if (ok && v[1] == 2 && v[2] == 29) {
      bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
      ok = leap;
    }
    if (!ok)
      fail(std::string("cannot read ") + what + ": '" + std::string(field(lines_.line(), 0, 36)) +
           "' is not a valid UTC date and time (4-digit year, hour 0-24)");
    return make_time(static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]),
                     static_cast<int>(v[3]), static_cast<int>(v[4]), static_cast<double>(v[5]));
  }

  int exponent_field() const {
    long e = 0;
    if (!parse_int(field(lines_.line(), 0, 6), e) || e < -9 || e > 9)
      fail("expected EXPONENT as an integer from -9 to 9 in columns 1-6 (I6), found '" +
           std::string(field(lines_.line(), 0, 6)) + "'");
    return static_cast<int>(e);
  }

  // Skips lines up to and including `end_label`.
  void skip_block(const char* end_label, const char* block) {
    long start = lines_.number();
    while (lines_.next())
      if (lines_.label() == end_label) return;
    fail(std::string(block) + " started on line " + std::to_string(start) + " has no '" +
         end_label + "' (truncated file?)");
  }

  // Points per axis of a grid record; the step must divide the span exactly.
  long axis_points(double first, double last, double step, double limit, const char* axis) const {
    long count = 0;
    bool ok = step != 0 && std::fabs(first) <= limit && std::fabs(last) <= limit &&
              nearly_integer((last - first) / step, count) && count >= 0;
    if (!ok)
      fail(std::string("expected ") + axis + "1 / " + axis + "2 / D" + axis +
           " with a non-zero step that divides the span, within +-" +
           std::to_string(static_cast<int>(limit)) + " deg");
    return count + 1;
  }

  void parse_header() {
    if (!lines_.next() || lines_.label() != "IONEX VERSION / TYPE")
      fail(
          "expected 'IONEX VERSION / TYPE' in columns 61-80 of the first line (not an IONEX "
          "file?)");
    if (!parse_float(field(lines_.line(), 0, 8), file_.version) || file_.version < 1.0 ||
        file_.version >= 2.0)
      fail("expected IONEX version 1.0 or 1.1 as F8.1 in columns 1-8");
    if (field(lines_.line(), 20, 1) != "I")
      fail("expected file type 'I' (IONOSPHERE MAPS) in column 21");

    bool have_first = false, have_last = false, have_height = false, have_lat = false,
         have_lon = false;
    long declared_maps = -1;
    for (;;) {
      if (!lines_.next()) fail("file ends inside the header: expected END OF HEADER");
      std::string_view label = lines_.label();
      if (label == "END OF HEADER") break;
      if (label == "START OF TEC MAP") fail("expected END OF HEADER before the first map");
      if (label == "PGM / RUN BY / DATE") {
        file_.program = std::string(trim(field(lines_.line(), 0, 20)));
        // Some writers start the date one column early; the agency never holds a double blank.
        std::string_view agency = field(lines_.line(), 20, 20);
        file_.agency = std::string(trim(agency.substr(0, agency.find("  "))));
      } else if (label == "EPOCH OF FIRST MAP") {
        file_.first_epoch = epoch_fields("EPOCH OF FIRST MAP");
        have_first = true;
      } else if (label == "EPOCH OF LAST MAP") {
        file_.last_epoch = epoch_fields("EPOCH OF LAST MAP");
        have_last = true;
      } else if (label == "INTERVAL") {
        long interval = int_field(0, 6, "INTERVAL (seconds, I6)");
        if (interval < 0 || interval > 10 * kDay) fail("expected INTERVAL from 0 to 864000 s");
        file_.interval_s = static_cast<int>(interval);
      } else if (label == "# OF MAPS IN FILE") {
        declared_maps = int_field(0, 6, "# OF MAPS IN FILE (I6)");
        if (declared_maps < 0) fail("expected a non-negative # OF MAPS IN FILE");
      } else if (label == "MAPPING FUNCTION") {
        file_.mapping_function = std::string(trim(field(lines_.line(), 2, 4)));
      } else if (label == "MAP DIMENSION") {
        long dimension = int_field(0, 6, "MAP DIMENSION (I6)");
        if (dimension != 2)
          fail("MAP DIMENSION " + std::to_string(dimension) +
               " is not supported: tecscan reads 2-dimensional (single-height) maps only");
      } else if (label == "HGT1 / HGT2 / DHGT") {
        double h[3];
        float_fields(h, 3, "HGT1 / HGT2 / DHGT");
        if (std::fabs(h[0] - h[1]) > kGridTolerance)
          fail(
              "HGT1 != HGT2: maps at several heights (3-dimensional) are not supported; "
              "expected one shell height");
        if (!(h[0] >= 0 && h[0] < 1e5)) fail("expected a shell height HGT1 from 0 to 99999 km");
        file_.grid.height_km = h[0];
        have_height = true;
      } else if (label == "LAT1 / LAT2 / DLAT") {
        double g[3];
        float_fields(g, 3, "LAT1 / LAT2 / DLAT");
        file_.grid.lat1 = g[0], file_.grid.lat2 = g[1], file_.grid.dlat = g[2];
        file_.grid.nlat = static_cast<int>(axis_points(g[0], g[1], g[2], 90, "LAT"));
        have_lat = true;
      } else if (label == "LON1 / LON2 / DLON") {
        double g[3];
        float_fields(g, 3, "LON1 / LON2 / DLON");
        file_.grid.lon1 = g[0], file_.grid.lon2 = g[1], file_.grid.dlon = g[2];
        file_.grid.nlon = static_cast<int>(axis_points(g[0], g[1], g[2], 360, "LON"));
        have_lon = true;
      } else if (label == "EXPONENT") {
        file_.exponent = exponent_field();
        exponent_line_ = lines_.number();
      } else if (label == "START OF AUX DATA") {
        skip_block("END OF AUX DATA", "START OF AUX DATA");
      }
      // Every other header record (COMMENT, DESCRIPTION, # OF STATIONS, ...) is not needed.
    }
    if (!have_height || !have_lat || !have_lon)
      fail(std::string("header ends without ") +
           (!have_height ? "HGT1 / HGT2 / DHGT"
            : !have_lat  ? "LAT1 / LAT2 / DLAT"
                         : "LON1 / LON2 / DLON") +
           ": expected the map grid in the header");
    if (static_cast<long>(file_.grid.nlat) * file_.grid.nlon > kMaxGridCells)
      fail("grid of " + std::to_string(file_.grid.nlat) + " x " + std::to_string(file_.grid.nlon) +
           " nodes is larger than any IONEX product");
    declared_maps_ = declared_maps;
    have_first_ = have_first;
    have_last_ = have_last;
  }

  void parse_body() {
    bool end_of_file = false;
    while (!end_of_file && lines_.next()) {
      std::string_view label = lines_.label();
      if (label == "START OF TEC MAP") {
        RawMap map = read_map(MapKind::kTec);
        for (const IonexMap& other : file_.maps)
          if (other.epoch == map.epoch)
            fail("a second TEC map for epoch " + format_iso(map.epoch) + " (TEC map ending here)");
        if (file_.maps.empty()) first_tec_map_line_ = map.first_line;
        IonexMap out;
        out.epoch = map.epoch;
        out.tec = std::move(map.values);
        out.exponent = map.exponent;
        out.exponent_line = map.exponent_line;
        file_.maps.push_back(std::move(out));
      } else if (label == "START OF RMS MAP") {
        rms_maps_.push_back(read_map(MapKind::kRms));
      } else if (label == "START OF HEIGHT MAP") {
        skip_block("END OF HEIGHT MAP", "START OF HEIGHT MAP");
      } else if (label == "START OF AUX DATA") {
        skip_block("END OF AUX DATA", "START OF AUX DATA");
      } else if (label == "END OF FILE") {
        end_of_file = true;
      } else if (!(label == "COMMENT" || is_blank(lines_.line()))) {
        fail(
            "unexpected line between maps: expected START OF TEC MAP, START OF RMS MAP, "
            "START OF HEIGHT MAP or END OF FILE in columns 61-80");
      }
    }
    // END OF FILE is optional in practice (IGS combined files omit it), so a file cut exactly
    // between two maps is caught by the map count.
    long found = static_cast<long>(file_.maps.size());
    if (declared_maps_ >= 0 && found != declared_maps_)
      fail("the file holds " + std::to_string(found) + " TEC maps but the header declares " +
           std::to_string(declared_maps_) + " (# OF MAPS IN FILE)" +
           (end_of_file ? "" : "; END OF FILE is missing too: truncated file?"));
    require_some_value();
    if (!file_.maps.empty()) {
      if (!have_first_) file_.first_epoch = file_.maps.front().epoch;
      if (!have_last_) file_.last_epoch = file_.maps.back().epoch;
    }
  }

  RawMap read_map(MapKind kind) {
    const char* name = kind == MapKind::kTec ? "TEC" : "RMS";
    const std::string end_label = std::string("END OF ") + name + " MAP";
    const IonexGrid& grid = file_.grid;
    RawMap map;
    map.first_line = lines_.number();
    map.values.assign(static_cast<size_t>(grid.nlat) * grid.nlon,
                      std::numeric_limits<float>::quiet_NaN());
    std::vector<char> row_seen(static_cast<size_t>(grid.nlat), 0);
    int rows = 0;
    bool have_epoch = false;
    // A map-level EXPONENT overrides the header's for this map only.
    map.exponent = file_.exponent;
    map.exponent_line = exponent_line_;
    for (;;) {
      if (!lines_.next())
        fail(std::string(name) + " map started on line " + std::to_string(map.first_line) +
             ": file ends before '" + end_label + "' (truncated file?)");
      std::string_view label = lines_.label();
      if (label == end_label) break;
      if (label == "EPOCH OF CURRENT MAP") {
        map.epoch = epoch_fields("EPOCH OF CURRENT MAP");
        have_epoch = true;
      } else if (label == "EXPONENT") {
        map.exponent = exponent_field();
        map.exponent_line = lines_.number();
      } else if (label == "LAT/LON1/LON2/DLON/H") {
        if (!have_epoch) fail("expected EPOCH OF CURRENT MAP before the first row of the map");
        read_row(map.values, row_seen, map.exponent, kind);
        ++rows;
      } else if (label == "COMMENT") {
        continue;
      } else if (is_structure_label(label)) {
        fail(std::string(name) + " map started on line " + std::to_string(map.first_line) +
             " has no '" + end_label + "' before this '" + std::string(label) + "'");
      } else {
        fail(std::string("unexpected line in a ") + name +
             " map: expected LAT/LON1/LON2/DLON/H, EPOCH OF CURRENT MAP, EXPONENT or '" +
             end_label + "' in columns 61-80");
      }
    }
    if (!have_epoch)
      fail(std::string(name) + " map started on line " + std::to_string(map.first_line) +
           " has no EPOCH OF CURRENT MAP");
    if (rows != grid.nlat)
      fail(std::string(name) + " map started on line " + std::to_string(map.first_line) + " has " +
           std::to_string(rows) + " latitude rows, expected " + std::to_string(grid.nlat) +
           " (LAT1 to LAT2 in steps of DLAT): truncated map?");
    return map;
  }

  // One latitude row: the LAT/LON1/LON2/DLON/H record then ceil(n/16) lines of 16 x I5.
  void read_row(std::vector<float>& values, std::vector<char>& row_seen, int exponent,
                MapKind kind) {
    const IonexGrid& grid = file_.grid;
    double r[5];  // lat, lon1, lon2, dlon, h
    float_fields(r, 5, "LAT/LON1/LON2/DLON/H");
    long ilat = 0;
    if (!nearly_integer((r[0] - grid.lat1) / grid.dlat, ilat) || ilat < 0 || ilat >= grid.nlat)
      fail("row latitude " + number(r[0]) + " is not on the header grid LAT1 " + number(grid.lat1) +
           " to LAT2 " + number(grid.lat2) + " step " + number(grid.dlat));
    if (row_seen[static_cast<size_t>(ilat)])
      fail("a second row for latitude " + number(r[0]) + " in the same map");
    row_seen[static_cast<size_t>(ilat)] = 1;
    long jfirst = 0, count = 0;
    bool lon_ok = std::fabs(r[3] - grid.dlon) < kGridTolerance &&
                  nearly_integer((r[1] - grid.lon1) / grid.dlon, jfirst) && jfirst >= 0 &&
                  nearly_integer((r[2] - r[1]) / grid.dlon, count) && count >= 0 &&
                  jfirst + count < grid.nlon;
    if (!lon_ok)
      fail("row LON1/LON2/DLON " + number(r[1]) + "/" + number(r[2]) + "/" + number(r[3]) +
           " does not lie on the header grid LON1/LON2/DLON " + number(grid.lon1) + "/" +
           number(grid.lon2) + "/" + number(grid.dlon));
    ++count;
    if (std::fabs(r[4] - grid.height_km) > kGridTolerance)
      fail("row height " + number(r[4]) + " km differs from HGT1 " + number(grid.height_km) +
           " km");

    // Divide for negative exponents: 71 / 10.0 rounds to the float nearest 7.1.
    const double divisor = exponent < 0 ? std::pow(10.0, -exponent) : 1.0;
    const double factor = exponent > 0 ? std::pow(10.0, exponent) : 1.0;
    float* out = values.data() + static_cast<size_t>(ilat) * grid.nlon + jfirst;
    const long row_line = lines_.number();
    long got = 0;
    while (got < count) {
      if (!lines_.next() || is_structure_label(lines_.label()))
        fail("row at latitude " + number(r[0]) + " (line " + std::to_string(row_line) +
             ") ends after " + std::to_string(got) + " of " + std::to_string(count) +
             " values (16 per line, I5): truncated map?");
      std::string_view line = lines_.line();
      long on_line = std::min<long>(kValuesPerLine, count - got);
      for (long k = 0; k < on_line; ++k) {
        std::string_view text = field(line, static_cast<size_t>(k) * kValueWidth, kValueWidth);
        long raw = 0;
        if (is_blank(text))
          fail("row at latitude " + number(r[0]) + " (line " + std::to_string(row_line) + ") has " +
               std::to_string(got + k) + " values, expected " + std::to_string(count) +
               " (16 per line, I5)");
        if (!parse_int(text, raw))
          fail("expected an integer (I5) in columns " + std::to_string(k * 5 + 1) + "-" +
               std::to_string(k * 5 + 5) + ", found '" + std::string(text) + "'");
        if (raw == kMissingValue) {
          out[got + k] = std::numeric_limits<float>::quiet_NaN();
          continue;
        }
        const double value = static_cast<double>(raw) / divisor * factor;
        // RMS maps are not checked: the scan does not use them.
        if (kind == MapKind::kTec && !(value >= kMinPlausibleTec && value <= kMaxPlausibleTec))
          fail("expected a vertical TEC from " + number(kMinPlausibleTec) + " to " +
               number(kMaxPlausibleTec) + " TECU (" + std::to_string(kMissingValue) +
               " = no value) in columns " + std::to_string(k * 5 + 1) + "-" +
               std::to_string(k * 5 + 5) + ", found " + std::to_string(raw) + " x 10^" +
               std::to_string(exponent) + " (EXPONENT " + std::to_string(exponent) +
               ") = " + number(value) + " TECU: a wrong EXPONENT or fill value?");
        out[got + k] = static_cast<float>(value);
      }
      got += on_line;
      if (!is_blank(line.substr(std::min(line.size(), static_cast<size_t>(on_line) * 5))))
        fail("row at latitude " + number(r[0]) + " (line " + std::to_string(row_line) +
             ") has more than " + std::to_string(count) + " values (expected " +
             std::to_string(count) + " from LON1/LON2/DLON, 16 per line, I5)");
    }
  }

  // Maps of nothing but 9999 are no data, however well formed.
  void require_some_value() const {
    if (file_.maps.empty()) return;
    for (const IonexMap& map : file_.maps)
      for (float v : map.tec)
        if (!std::isnan(v)) return;
    throw InputError(name_, first_tec_map_line_,
                     "expected TEC values, found " + std::to_string(kMissingValue) +
                         " (no value) at every node of all " + std::to_string(file_.maps.size()) +
                         " TEC maps: the file holds no data");
  }

  void attach_rms() {
    for (RawMap& rms : rms_maps_) {
      IonexMap* match = nullptr;
      for (IonexMap& map : file_.maps)
        if (map.epoch == rms.epoch) match = &map;
      if (!match || !match->rms.empty())
        throw InputError(name_, rms.first_line,
                         "RMS map for " + format_iso(rms.epoch) +
                             (match ? " repeats an earlier RMS map of the same epoch"
                                    : " has no TEC map of the same epoch"));
      match->rms = std::move(rms.values);
    }
  }

  LineReader lines_;
  std::string name_;
  IonexFile file_;
  std::vector<RawMap> rms_maps_;
  long declared_maps_ = -1;
  bool have_first_ = false, have_last_ = false;
  long exponent_line_ = 0;  // the header's EXPONENT record (0: none)
  long first_tec_map_line_ = 0;
};

}  // namespace

IonexFile parse_ionex(const std::string& text, const std::string& name) {
  return IonexParser(text, name).parse();
}

IonexFile read_ionex(const std::string& path) {
  return parse_ionex(read_file_decompressed(path), path);
}

}  // namespace tecscan
