#include "tecscan/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/validate.hpp"

namespace tecscan {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Splits one CSV record (RFC 4180 quoting: "a, b" and "" for a literal quote).
// Returns false on an unterminated quote.
bool split_csv(const std::string& line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return !quoted;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A finite number filling the whole text, or NaN when the text is empty (a missing value).
// Returns false on anything else.
bool parse_number(const std::string& text, double& value) {
  std::string t = trim(text);
  if (t.empty()) {
    value = kNaN;
    return true;
  }
  char* end = nullptr;
  value = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(value);
}

// Sub-second part of "...:SS.sss[Z]" (0 when there is none).
double seconds_fraction(const std::string& iso) {
  size_t colon = iso.rfind(':');
  if (colon == std::string::npos) return 0;
  double s = std::atof(iso.c_str() + colon + 1);
  return s - std::floor(s);
}

// Depth below sea level: ComCat gives a few km above it (negative) for shallow events.
constexpr NumberRange kDepthKmRange{-10, 1000};

// Latitude [-90, 90]; longitude [-180, 360) folded to [-180, 180).
bool valid_lat(double lat) {
  return lat >= -90 && lat <= 90;
}
bool valid_lon(double lon) {
  return lon >= -180 && lon < 360;
}

}  // namespace

std::vector<Event> read_comcat(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open the catalogue (expected a USGS ComCat CSV file)");
  return read_comcat(in, path);
}

std::vector<Event> read_comcat(std::istream& in, const std::string& path) {
  std::string line;
  long line_no = 0;
  std::vector<std::string> fields;
  // Header: the columns are found by name, so any column order and extra columns work.
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // BOM
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!trim(line).empty()) break;
  }
  if (trim(line).empty())
    throw InputError(path, 0, "empty file (expected a ComCat CSV header: time,latitude,...)");
  if (!split_csv(line, fields)) throw InputError(path, line_no, "unterminated quote in the header");
  const size_t ncol = fields.size();
  auto column = [&](const char* name, bool required) -> int {
    for (size_t i = 0; i < fields.size(); ++i)
      if (trim(fields[i]) == name) return static_cast<int>(i);
    if (required)
      throw InputError(path, line_no,
                       std::string("missing column '") + name +
                           "' in the header (expected a USGS ComCat CSV with time, latitude, "
                           "longitude, depth, mag, id)");
    return -1;
  };
  const int c_time = column("time", true), c_lat = column("latitude", true),
            c_lon = column("longitude", true), c_depth = column("depth", true),
            c_mag = column("mag", true), c_id = column("id", true);
  const int c_magtype = column("magType", false), c_place = column("place", false),
            c_type = column("type", false);

  std::vector<Event> events;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    if (!split_csv(line, fields))
      throw InputError(path, line_no, "unterminated quote (expected \"...\" around a field)");
    if (fields.size() != ncol)
      throw InputError(path, line_no,
                       "expected " + std::to_string(ncol) + " fields like the header, found " +
                           std::to_string(fields.size()));
    auto number = [&](int col, const char* name, bool allow_missing) {
      double v = 0;
      if (!parse_number(fields[col], v) || (!allow_missing && std::isnan(v)))
        throw InputError(
            path, line_no,
            std::string("column '") + name + "': expected a number, got '" + fields[col] + "'");
      return v;
    };
    // The ranges --event accepts; an empty field stays a missing value.
    auto number_in = [&](int col, const char* name, const NumberRange& range) {
      double v = number(col, name, true);
      if (!std::isnan(v) && !range.contains(v))
        throw InputError(path, line_no,
                         std::string("column '") + name + "': expected " + range.describe() +
                             ", got '" + fields[col] + "'");
      return v;
    };
    Event e;
    const std::string time_text = trim(fields[c_time]);
    try {
      e.time = parse_iso_time(time_text, "column 'time'");
    } catch (const InputError& err) {
      throw InputError(path, line_no, err.what());
    }
    e.time_frac = seconds_fraction(time_text);
    e.lat = number(c_lat, "latitude", false);
    e.lon = number(c_lon, "longitude", false);
    if (!valid_lat(e.lat))
      throw InputError(
          path, line_no,
          "column 'latitude': expected a value in [-90, 90], got '" + fields[c_lat] + "'");
    if (!valid_lon(e.lon))
      throw InputError(
          path, line_no,
          "column 'longitude': expected a value in [-180, 360), got '" + fields[c_lon] + "'");
    e.lon = wrap_lon(e.lon);
    e.depth_km = number_in(c_depth, "depth", kDepthKmRange);
    e.mag = number_in(c_mag, "mag", kMagnitudeRange);
    e.id = trim(fields[c_id]);
    if (e.id.empty()) throw InputError(path, line_no, "column 'id': expected an event id, got ''");
    if (c_magtype >= 0) e.mag_type = trim(fields[c_magtype]);
    if (c_place >= 0) e.place = trim(fields[c_place]);
    if (c_type >= 0 && !trim(fields[c_type]).empty()) e.type = trim(fields[c_type]);
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<Event> select_events(const std::vector<Event>& all, const CatalogFilter& f) {
  std::vector<Event> out;
  for (const Event& e : all) {
    if (f.earthquakes_only && e.type != "earthquake") continue;
    // An event without a magnitude passes only when no magnitude filter is asked for.
    const bool no_mag_filter = f.min_mag <= CatalogFilter().min_mag;
    if (std::isnan(e.mag) ? !no_mag_filter : e.mag < f.min_mag) continue;
    if (e.time < f.start || e.time >= f.end) continue;
    out.push_back(e);
  }
  std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.time_frac != b.time_frac) return a.time_frac < b.time_frac;
    return a.id < b.id;
  });
  return out;
}

const Event& find_event(const std::vector<Event>& all, const std::string& id,
                        const std::string& file) {
  for (const Event& e : all)
    if (e.id == id) return e;
  throw InputError(file, 0,
                   "no event with id '" + id + "' among the " + std::to_string(all.size()) +
                       " events of this catalogue; run `tecscan catalog " + file +
                       "` to list them");
}

Event parse_event_spec(const std::string& spec) {
  const std::string expected =
      "expected \"time,lat,lon[,mag[,depth]]\", e.g. "
      "\"2001-01-13T17:33:32Z,13.049,-88.660,7.7\"";
  std::vector<std::string> parts;
  std::stringstream ss(spec);
  for (std::string p; std::getline(ss, p, ',');) parts.push_back(trim(p));
  if (!spec.empty() && spec.back() == ',') parts.push_back("");
  if (parts.size() < 3 || parts.size() > 5) throw InputError("--event '" + spec + "': " + expected);

  Event e;
  e.time = parse_iso_time(parts[0], "--event time");
  e.time_frac = seconds_fraction(parts[0]);
  auto number = [&](size_t i, const char* what, bool allow_missing) {
    double v = 0;
    if (!parse_number(parts[i], v) || (!allow_missing && std::isnan(v)))
      throw InputError("--event '" + spec + "': cannot read the " + what + " '" + parts[i] +
                       "' as a number; " + expected);
    return v;
  };
  e.lat = number(1, "latitude", false);
  e.lon = number(2, "longitude", false);
  if (!valid_lat(e.lat))
    throw InputError("--event '" + spec + "': latitude must be in [-90, 90], got " + parts[1]);
  if (!valid_lon(e.lon))
    throw InputError("--event '" + spec + "': longitude must be in [-180, 360), got " + parts[2]);
  e.lon = wrap_lon(e.lon);
  if (parts.size() > 3) e.mag = number(3, "magnitude", true);
  if (parts.size() > 4) e.depth_km = number(4, "depth", true);
  if (!std::isnan(e.mag) && !kMagnitudeRange.contains(e.mag))
    throw InputError("--event '" + spec + "': magnitude must be " + kMagnitudeRange.describe() +
                     ", got " + parts[3]);
  if (!std::isnan(e.depth_km) && !kDepthKmRange.contains(e.depth_km))
    throw InputError("--event '" + spec + "': depth must be " + kDepthKmRange.describe() +
                     " km, got " + parts[4]);
  e.id = "custom-" + format_iso(e.time);
  return e;
}

}  // namespace tecscan
