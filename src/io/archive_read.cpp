// Reading the global archive: its description (root attributes + provenance) and the maps of a
// time window and latitude band, with hyperslabs.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "archive_internal.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/error.hpp"

namespace tecscan {

const char* day_status_name(DayStatus s) {
  switch (s) {
    case DayStatus::kPresent:
      return "present";
    case DayStatus::kPartial:
      return "partial";
    case DayStatus::kMissing:
      break;
  }
  return "missing";
}

long ArchiveInfo::count(DayStatus s) const {
  return static_cast<long>(
      std::count_if(days.begin(), days.end(), [s](const ArchiveDay& d) { return d.status == s; }));
}

TimeS ArchiveInfo::data_first() const {
  TimeS first = std::numeric_limits<TimeS>::max();
  for (const ArchiveDay& d : days)
    if (d.status != DayStatus::kMissing) first = std::min(first, d.first_map);
  return first == std::numeric_limits<TimeS>::max() ? start : first;
}

TimeS ArchiveInfo::data_last() const {
  TimeS last = std::numeric_limits<TimeS>::min();
  for (const ArchiveDay& d : days)
    if (d.status != DayStatus::kMissing) last = std::max(last, d.last_map);
  return last == std::numeric_limits<TimeS>::min() ? start : last;
}

std::string ArchiveInfo::source_line(const ArchiveDay& d) {
  return d.path + " sha256:" + d.sha256;
}

namespace archive_io {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

template <typename T>
std::vector<T> read_column(hid_t file, const char* name) {
  Id ds = open_dataset(file, name);
  std::vector<T> out(hdf5::shape(ds.get())[0]);
  hdf5::read_box(ds.get(), {0}, {out.size()}, out.data());
  return out;
}

std::vector<std::string> read_text_column(hid_t file, const char* name) {
  return hdf5::read_strings(open_dataset(file, name).get());
}

DayStatus parse_status(const std::string& text, const std::string& path) {
  for (DayStatus s : {DayStatus::kPresent, DayStatus::kPartial, DayStatus::kMissing})
    if (text == day_status_name(s)) return s;
  throw InputError(path, 0,
                   "provenance status '" + text + "': expected present, partial or missing");
}

}  // namespace

Id open_archive(const std::string& path, hdf5::Access access) {
  return hdf5::open_file(path, access, "an archive written by tecscan archive");
}

ArchiveInfo load_info(hid_t file, const std::string& path) {
  if (!hdf5::has_attr(file, "archive_format"))
    throw InputError(path, 0,
                     "not a tecscan archive (no 'archive_format' attribute; a regional cube "
                     "from `tecscan ingest` is not an archive)");
  const int64_t format = hdf5::read_attr_int(file, "archive_format");
  if (format != kFormatVersion)
    throw InputError(path, 0,
                     "archive format " + std::to_string(format) + ", this tecscan reads format " +
                         std::to_string(kFormatVersion));
  ArchiveInfo info;
  info.path = path;
  IonexGrid& g = info.grid;
  g.lat1 = hdf5::read_attr_double(file, "lat1");
  g.dlat = hdf5::read_attr_double(file, "dlat");
  g.nlat = static_cast<int>(hdf5::read_attr_int(file, "nlat"));
  g.lon1 = hdf5::read_attr_double(file, "lon1");
  g.dlon = hdf5::read_attr_double(file, "dlon");
  g.nlon = static_cast<int>(hdf5::read_attr_int(file, "nlon"));
  g.height_km = hdf5::read_attr_double(file, "height_km");
  g.lat2 = g.lat(g.nlat - 1);
  g.lon2 = g.lon(g.nlon - 1);
  info.step = hdf5::read_attr_int(file, "step_s");
  info.phase = hdf5::read_attr_int(file, "phase_s");
  info.maps_per_day = static_cast<int>(hdf5::read_attr_int(file, "maps_per_day"));
  const int64_t first_day = hdf5::read_attr_int(file, "first_day");
  if (g.nlat < 1 || g.nlon < 1 || info.step <= 0 || info.maps_per_day < 1 ||
      info.step * info.maps_per_day != kDay)
    throw InputError(path, 0, "inconsistent grid or cadence attributes");
  info.start = first_day * kDay + info.phase;

  const std::vector<hsize_t> dims = hdf5::shape(open_dataset(file, "/tec").get());
  if (dims.size() != 3 || dims[1] != static_cast<hsize_t>(g.nlat) ||
      dims[2] != static_cast<hsize_t>(g.nlon))
    throw InputError(path, 0, "/tec is not [time, nlat, nlon] of the grid attributes");
  info.ntime = static_cast<long>(dims[0]);
  info.has_rms = hdf5::exists(file, "/rms");

  const auto day = read_column<int64_t>(file, kColDay);
  const auto status = read_text_column(file, kColStatus);
  const auto source = read_text_column(file, kColPath);
  const auto bytes = read_column<int64_t>(file, kColBytes);
  const auto sha = read_text_column(file, kColSha256);
  const auto program = read_text_column(file, kColProgram);
  const auto agency = read_text_column(file, kColAgency);
  const auto n_maps = read_column<int32_t>(file, kColNumMaps);
  const auto first_map = read_column<int64_t>(file, kColFirstMap);
  const auto last_map = read_column<int64_t>(file, kColLastMap);
  const size_t n = day.size();
  for (size_t size : {status.size(), source.size(), bytes.size(), sha.size(), program.size(),
                      agency.size(), n_maps.size(), first_map.size(), last_map.size()})
    if (size != n) throw InputError(path, 0, "the /provenance columns differ in length");
  for (size_t r = 0; r < n; ++r) {
    ArchiveDay d;
    d.day = day[r];
    if (d.day != first_day + static_cast<int64_t>(r))
      throw InputError(path, 0, "/provenance/day is not one row per consecutive day");
    d.status = parse_status(status[r], path);
    d.path = source[r];
    d.bytes = bytes[r];
    d.sha256 = sha[r];
    d.program = program[r];
    d.agency = agency[r];
    d.n_maps = n_maps[r];
    d.first_map = first_map[r];
    d.last_map = last_map[r];
    info.days.push_back(std::move(d));
  }
  if (static_cast<long>(n) * info.maps_per_day > info.ntime)
    throw InputError(path, 0, "/tec is shorter than the days of /provenance");
  std::error_code ec;
  info.file_bytes = std::filesystem::file_size(path, ec);
  return info;
}

}  // namespace archive_io

ArchiveInfo read_archive_info(const std::string& path) {
  archive_io::Id file = archive_io::open_archive(path, hdf5::Access::kRead);
  return archive_io::load_info(file.get(), path);
}

IonexSeries read_archive_series(const std::string& path, const ArchiveWindow& w) {
  using namespace archive_io;
  Id file = open_archive(path, hdf5::Access::kRead);
  const ArchiveInfo info = load_info(file.get(), path);
  const TimeS step = info.step;

  // The axis of assemble_series: the first archive slot >= start, up to end inclusive.
  const TimeS want_start = w.start == 0 ? info.data_first() : w.start;
  const TimeS end = w.end == 0 ? info.data_last() : w.end;
  const int64_t t_first = floor_div(want_start - info.start - 1, step) + 1;  // archive slot
  IonexSeries series;
  series.step = step;
  series.start = info.start + t_first * step;
  if (end < series.start)
    throw InputError(path, 0,
                     "the time window " + format_iso(want_start) + " .. " + format_iso(end) +
                         " holds no epoch of the archive's " + std::to_string(step) + " s axis");
  series.ntime = static_cast<long>((end - series.start) / step) + 1;

  const int row_count = w.row_count < 0 ? info.grid.nlat - w.row_begin : w.row_count;
  if (w.row_begin < 0 || row_count < 1 || w.row_begin + row_count > info.grid.nlat)
    throw InputError(path, 0,
                     "latitude rows " + std::to_string(w.row_begin) + " + " +
                         std::to_string(row_count) + " lie outside the archive's " +
                         std::to_string(info.grid.nlat) + " rows");
  series.grid = info.grid;
  series.grid.lat1 = info.grid.lat(w.row_begin);
  series.grid.nlat = row_count;
  series.grid.lat2 = series.grid.lat(row_count - 1);
  const size_t cells = static_cast<size_t>(row_count) * info.grid.nlon;
  if (static_cast<double>(series.ntime) * static_cast<double>(cells) > 2.0e9)
    throw InputError(path, 0, "the time window is too long for one in-memory series");

  // The part of the window inside the archive's axis; the rest stays missing.
  const int64_t lo = std::max<int64_t>(t_first, 0);
  const int64_t hi = std::min<int64_t>(t_first + series.ntime, info.ntime);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  series.tec.assign(static_cast<size_t>(series.ntime) * cells, nan);
  if (info.has_rms) series.rms.assign(series.tec.size(), nan);
  std::vector<int> source(static_cast<size_t>(series.ntime), -1);
  if (hi > lo) {
    const hsize_t n = static_cast<hsize_t>(hi - lo);
    const size_t skip = static_cast<size_t>(lo - t_first);
    const std::vector<hsize_t> offset = {static_cast<hsize_t>(lo),
                                         static_cast<hsize_t>(w.row_begin), 0};
    const std::vector<hsize_t> count = {n, static_cast<hsize_t>(row_count),
                                        static_cast<hsize_t>(info.grid.nlon)};
    hdf5::read_box(open_dataset(file.get(), "/tec").get(), offset, count,
                   series.tec.data() + skip * cells);
    if (info.has_rms)
      hdf5::read_box(open_dataset(file.get(), "/rms").get(), offset, count,
                     series.rms.data() + skip * cells);
    hdf5::read_box(open_dataset(file.get(), "/map_source").get(), {static_cast<hsize_t>(lo)}, {n},
                   source.data() + skip);
  }

  // Gaps as assemble_series counts them: slots no file gave a map, whole days without one.
  GapReport& gaps = series.gaps;
  std::set<int> rows;
  for (long t = 0; t < series.ntime; ++t) {
    const int row = source[static_cast<size_t>(t)];
    if (row >= 0) {
      if (static_cast<size_t>(row) >= info.days.size())
        throw InputError(path, 0, "/map_source names a day outside /provenance");
      rows.insert(row);
      continue;
    }
    const TimeS epoch = series.start + t * step;
    if (gaps.missing_epochs++ == 0) gaps.first_gap = epoch;
    gaps.last_gap = epoch;
  }
  for (long t = 0; t < series.ntime;) {
    const int64_t day = floor_div(series.start + t * step, kDay);
    bool any_map = false;
    for (; t < series.ntime && floor_div(series.start + t * step, kDay) == day; ++t)
      any_map = any_map || source[static_cast<size_t>(t)] >= 0;
    if (!any_map) ++gaps.missing_days;
  }
  series.sources.push_back(path);
  for (int row : rows) series.sources.push_back(ArchiveInfo::source_line(info.days[row]));
  return series;
}

}  // namespace tecscan
