#include "tecscan/ingest.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <future>
#include <thread>

#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/indices.hpp"
#include "tecscan/ionex.hpp"
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

// Parses the files on a few threads: 55 daily .Z files are mostly decompression work.
static std::vector<IonexFile> read_all_ionex(const std::vector<std::string>& paths) {
  std::vector<IonexFile> files(paths.size());
  unsigned nthreads = std::max(1u, std::min<unsigned>(8, std::thread::hardware_concurrency()));
  std::vector<std::future<void>> jobs;
  std::atomic<size_t> next{0};
  for (unsigned w = 0; w < nthreads; ++w)
    jobs.push_back(std::async(std::launch::async, [&] {
      for (size_t i; (i = next.fetch_add(1)) < paths.size();) files[i] = read_ionex(paths[i]);
    }));
  for (auto& j : jobs) j.get();  // rethrows the first parse error
  return files;
}

Cube build_cube(const IngestOptions& o) {
  Event ev = resolve_event(o);
  if (o.ionex.empty()) throw InputError("no IONEX input: give --ionex FILES|DIRS|GLOBS");
  if (o.days_before < 0 || o.days_after < 0)
    throw InputError("--days-before and --days-after must be >= 0");

  std::vector<std::string> ionex_paths = expand_inputs(o.ionex);
  std::vector<IonexFile> files = read_all_ionex(ionex_paths);
  TimeS data_first = INT64_MAX, data_last = INT64_MIN;
  for (const auto& f : files)
    for (const auto& m : f.maps) {
      data_first = std::min(data_first, m.epoch);
      data_last = std::max(data_last, m.epoch);
    }
  if (data_first == INT64_MAX) throw InputError("the IONEX files hold no TEC maps");

  TimeS want_start = ev.time - static_cast<TimeS>(std::llround(o.days_before * kDay));
  TimeS want_end = ev.time + static_cast<TimeS>(std::llround(o.days_after * kDay));
  TimeS start = std::max(want_start, data_first), end = std::min(want_end, data_last);
  if (start > end || ev.time < data_first || ev.time > data_last + kDay)
    throw InputError("the IONEX files cover " + format_iso(data_first) + " .. " +
                     format_iso(data_last) + ", which does not contain the event at " +
                     format_iso(ev.time) + "; give the daily files around the event");
  if (o.verbose && (start != want_start || end != want_end))
    std::fprintf(stderr,
                 "note: window %s .. %s requested; IONEX data cover %s .. %s, using %s .. %s\n",
                 format_iso(want_start).c_str(), format_iso(want_end).c_str(),
                 format_iso(data_first).c_str(), format_iso(data_last).c_str(),
                 format_iso(start).c_str(), format_iso(end).c_str());

  IonexSeries series = assemble_series(files, start, end);
  files.clear();
  if (o.verbose && series.gaps.missing_epochs > 0)
    std::fprintf(stderr, "note: %ld epochs without a map (%ld whole days), first %s, last %s\n",
                 series.gaps.missing_epochs, series.gaps.missing_days,
                 format_iso(series.gaps.first_gap).c_str(),
                 format_iso(series.gaps.last_gap).c_str());

  double radius = o.dobrovolsky ? dobrovolsky_radius_km(ev.mag) : o.radius_km;
  if (!(radius > 0))
    throw InputError(o.dobrovolsky ? "--radius dobrovolsky needs the event's magnitude"
                                   : "--radius-km must be > 0");
  Region region = select_region(series.grid, ev.lat, ev.lon, radius);
  if (region.size() == 0)
    throw InputError("no grid node lies within " + std::to_string(radius) + " km of the event");

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
    size_t cell = static_cast<size_t>(region.ilat[n]) * series.grid.nlon + region.ilon[n];
    for (size_t t = 0; t < nt; ++t) {
      cube.tec[n * nt + t] = series.tec[t * plane + cell];
      if (!series.rms.empty()) cube.rms[n * nt + t] = series.rms[t * plane + cell];
    }
  }
  cube.sources = series.sources;

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
