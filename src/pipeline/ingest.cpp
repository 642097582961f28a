#include "tecscan/ingest.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tecscan/archive.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/region.hpp"

namespace tecscan {

Event resolve_event(const IngestOptions& o) {
  bool by_id = !o.event_id.empty(), by_spec = !o.event_spec.empty();
  if (by_id == by_spec)
    throw InputError(
        "give exactly one of --catalog FILE --event-id ID, or --event TIME,LAT,LON[,MAG]");
  if (by_spec) return parse_event_spec(o.event_spec);
  if (o.catalog.empty()) throw InputError("--event-id needs --catalog FILE (a USGS ComCat CSV)");
  return find_event(read_comcat(o.catalog), o.event_id, o.catalog);
}

// Parses the files on the hardware threads (at most 8): 55 daily .Z files are mostly
// decompression work.
static std::vector<IonexFile> read_all_ionex(const std::vector<std::string>& paths) {
  constexpr unsigned kMaxParseThreads = 8;
  std::vector<IonexFile> files(paths.size());
  parallel_for(
      paths.size(), 0, [&](size_t i) { files[i] = read_ionex(paths[i]); }, kMaxParseThreads);
  return files;  // the first parse error was rethrown
}

namespace {

// The event's window [event - days_before, event + days_after] clipped to the data present.
struct Window {
  TimeS start = 0, end = 0;
};

// `data` names the data in messages: "the IONEX files cover", "the archive covers".
Window clip_window(const Event& ev, const IngestOptions& o, TimeS data_first, TimeS data_last,
                   const std::string& data) {
  TimeS want_start = ev.time - static_cast<TimeS>(std::llround(o.days_before * kDay));
  TimeS want_end = ev.time + static_cast<TimeS>(std::llround(o.days_after * kDay));
  Window w{std::max(want_start, data_first), std::min(want_end, data_last)};
  if (w.start > w.end || ev.time < data_first || ev.time > data_last + kDay)
    throw InputError(data + " " + format_iso(data_first) + " .. " + format_iso(data_last) +
                     ", which does not contain the event at " + format_iso(ev.time) +
                     (o.archive.empty() ? "; give the daily files around the event"
                                        : "; append the days around the event to the archive"));
  if (o.verbose && (w.start != want_start || w.end != want_end))
    std::fprintf(stderr, "note: window %s .. %s requested; %s %s .. %s, using %s .. %s\n",
                 format_iso(want_start).c_str(), format_iso(want_end).c_str(), data.c_str(),
                 format_iso(data_first).c_str(), format_iso(data_last).c_str(),
                 format_iso(w.start).c_str(), format_iso(w.end).c_str());
  return w;
}

double region_radius(const Event& ev, const IngestOptions& o) {
  double radius = o.dobrovolsky ? dobrovolsky_radius_km(ev.mag) : o.radius_km;
  if (!(radius > 0))
    throw InputError(o.dobrovolsky ? "--radius dobrovolsky needs the event's magnitude"
                                   : "--radius-km must be > 0");
  return radius;
}

Region region_on(const IonexGrid& grid, const Event& ev, double radius) {
  Region region = select_region(grid, ev.lat, ev.lon, radius);
  if (region.size() == 0)
    throw InputError("no grid node lies within " + std::to_string(radius) + " km of the event");
  return region;
}

}  // namespace

Cube build_cube(const IngestOptions& o) {
  Event ev = resolve_event(o);
  if (o.ionex.empty() == o.archive.empty())
    throw InputError(o.ionex.empty()
                         ? "no IONEX input: give --ionex FILES|DIRS|GLOBS or --archive FILE"
                         : "give either --ionex FILES or --archive FILE, not both");
  if (o.days_before < 0 || o.days_after < 0)
    throw InputError("--days-before and --days-after must be >= 0");

  // The maps of the window: the global series from the IONEX files, or from an archive only
  // the latitude rows the region needs (row0 = the series' first row on the global grid).
  IonexSeries series;
  Region region;
  double radius = 0;
  int row0 = 0;
  if (o.archive.empty()) {
    std::vector<std::string> ionex_paths = expand_inputs(o.ionex);
    std::vector<IonexFile> files = one_file_per_day(read_all_ionex(ionex_paths));
    TimeS data_first = INT64_MAX, data_last = INT64_MIN;
    for (const auto& f : files)
      for (const auto& m : f.maps) {
        data_first = std::min(data_first, m.epoch);
        data_last = std::max(data_last, m.epoch);
      }
    if (data_first == INT64_MAX) throw InputError("the IONEX files hold no TEC maps");
    const Window w = clip_window(ev, o, data_first, data_last, "the IONEX files cover");
    series = assemble_series(files, w.start, w.end);
    files.clear();
    if (o.verbose)
      for (const std::string& note : series.notes)
        std::fprintf(stderr, "warning: %s\n", note.c_str());
    radius = region_radius(ev, o);
    region = region_on(series.grid, ev, radius);
  } else {
    const ArchiveInfo info = read_archive_info(o.archive);
    const Window w = clip_window(ev, o, info.data_first(), info.data_last(), "the archive covers");
    radius = region_radius(ev, o);
    region = region_on(info.grid, ev, radius);  // the region on the archive's global grid
    const auto [lo, hi] = std::minmax_element(region.ilat.begin(), region.ilat.end());
    row0 = *lo;
    series = read_archive_series(o.archive, {w.start, w.end, row0, *hi - *lo + 1});
  }
  if (o.verbose && series.gaps.missing_epochs > 0)
    std::fprintf(stderr, "note: %ld epochs without a map (%ld whole days), first %s, last %s\n",
                 series.gaps.missing_epochs, series.gaps.missing_days,
                 format_iso(series.gaps.first_gap).c_str(),
                 format_iso(series.gaps.last_gap).c_str());

  Cube cube;
  cube.event = ev;
  cube.radius_km = radius;
  cube.node_lat = region.lat;
  cube.node_lon = region.lon;
  cube.node_distance_km = region.distance_km;
  cube.missing_epochs = series.gaps.missing_epochs;
  const size_t nt = static_cast<size_t>(series.ntime), nn = region.size();
  cube.time.resize(nt);
  for (size_t t = 0; t < nt; ++t) cube.time[t] = series.start + static_cast<TimeS>(t) * series.step;
  cube.tec.resize(nn * nt);
  if (!series.rms.empty()) cube.rms.resize(nn * nt);
  const size_t plane = static_cast<size_t>(series.grid.nlat) * series.grid.nlon;
  for (size_t n = 0; n < nn; ++n) {
    size_t cell = static_cast<size_t>(region.ilat[n] - row0) * series.grid.nlon + region.ilon[n];
    for (size_t t = 0; t < nt; ++t) {
      cube.tec[n * nt + t] = series.tec[t * plane + cell];
      if (!series.rms.empty()) cube.rms[n * nt + t] = series.rms[t * plane + cell];
    }
  }
  cube.sources = series.sources;
  const std::vector<size_t> empty = nodes_without_data(cube);
  if (empty.size() == nn)
    throw InputError(
        (o.archive.empty() ? std::string("the IONEX files hold") : o.archive + " holds") +
        " no TEC value (only 9999 or missing maps) at any of the " + std::to_string(nn) +
        " nodes within " + std::to_string(static_cast<long>(radius)) + " km of the event in " +
        format_iso(cube.time.front()) + " .. " + format_iso(cube.time.back()) +
        ": nothing to scan");
  if (o.verbose && !empty.empty())
    std::fprintf(stderr, "note: %zu of %zu nodes have no TEC value in the window (%s)\n",
                 empty.size(), nn, describe_nodes(cube, empty).c_str());

  // Indices on the cube's axis: the hourly value whose hour contains each epoch.
  if (!o.indices.empty()) {
    std::vector<IndexFile> index_files;
    for (const auto& p : expand_inputs(o.indices)) {
      index_files.push_back(read_index_file(p));
      cube.sources.push_back(p);
    }
    TimeS h0 = cube.time.front() - ((cube.time.front() % kHour) + kHour) % kHour;
    long nhours = static_cast<long>((cube.time.back() - h0) / kHour) + 1;
    HourlyIndices hourly = build_hourly(index_files, h0, nhours);
    for (int k = 0; k < kNumIndexKinds; ++k) {
      cube.indices[k].resize(nt);
      for (size_t t = 0; t < nt; ++t)
        cube.indices[k][t] = index_at(hourly, static_cast<IndexKind>(k), cube.time[t]);
      if (o.verbose && hourly.coverage.hours_present[k] < hourly.coverage.hours_total)
        std::fprintf(stderr, "note: %s covers %ld of %ld hours (missing %s .. %s)\n",
                     index_name(static_cast<IndexKind>(k)), hourly.coverage.hours_present[k],
                     hourly.coverage.hours_total,
                     format_iso(hourly.coverage.first_missing[k]).c_str(),
                     format_iso(hourly.coverage.last_missing[k]).c_str());
    }
  } else {
    for (auto& v : cube.indices) v.assign(nt, NAN);
    if (o.verbose)
      std::fprintf(stderr, "note: no --indices given: no epoch can be confirmed quiet\n");
  }
  return cube;
}

}  // namespace tecscan
