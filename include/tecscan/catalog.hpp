// USGS ComCat CSV catalogue: read by header names, filter, pick an event.
#pragma once
#include <istream>
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

struct Event {
  std::string id;  // ComCat id, or "custom-<ISO time>" for --event
  TimeS time = 0;
  double time_frac = 0;  // sub-second part of the origin time
  double lat = 0, lon = 0;
  double mag = 0.0 / 0.0, depth_km = 0.0 / 0.0;
  std::string mag_type, place, type = "earthquake";
};

// Throws InputError(file, line, expected) on a missing column or an unparsable field.
std::vector<Event> read_comcat(const std::string& path);
// The same for a stream; `name` stands for the file in error messages.
std::vector<Event> read_comcat(std::istream& in, const std::string& name);

struct CatalogFilter {
  double min_mag = -10;
  TimeS start = INT64_MIN, end = INT64_MAX;  // [start, end)
  bool earthquakes_only = true;
};
// Stable order: origin time ascending, then id (the order `--event-index` refers to).
std::vector<Event> select_events(const std::vector<Event>& all, const CatalogFilter& f);
const Event& find_event(const std::vector<Event>& all, const std::string& id,
                        const std::string& file);

// "time,lat,lon[,mag[,depth]]", e.g. "2001-01-13T17:33:32Z,13.049,-88.660,7.7".
Event parse_event_spec(const std::string& spec);

}  // namespace tecscan
