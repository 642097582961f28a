// Reading the global archive: its description (root attributes + provenance) and the maps of a
// time window and latitude band, with hyperslabs.
#include <hdf5.h>

#include <algorithm>
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
std::vector<T> read_column(hid_t file, const std::string& path, const char* name, hid_t type) {
  Id ds = open_dataset(file, path, name);
  std::vector<T> out(shape(ds.get())[0]);
  if (!out.empty()) read_box(ds.get(), type, {0}, {out.size()}, out.data());
  return out;
}

std::vector<std::string> read_text_column(hid_t file, const std::string& path, const char* name) {
  return read_strings(open_dataset(file, path, name).get());
}

DayStatus parse_status(const std::string& text, const std::string& path) {
  for (DayStatus s : {DayStatus::kPresent, DayStatus::kPartial, DayStatus::kMissing})
    if (text == day_status_name(s)) return s;
  throw InputError(path, 0,
                   "provenance status '" + text + "': expected present, partial or missing");
}

}  // namespace

Id open_archive(const std::string& path, unsigned flags) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path, 0, "no such file (expected an archive written by tecscan archive)");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path, 0, "not an HDF5 file (expected an archive written by tecscan archive)");
  }
  Id file(H5Fopen(path.c_str(), flags, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw InputError(path, 0, "cannot open the HDF5 file" + hdf5_reason());
  return file;
}

ArchiveInfo load_info(hid_t file, const std::string& path) {
  if (H5Aexists(file, "archive_format") <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path, 0,
                     "not a tecscan archive (no 'archive_format' attribute; a regional cube "
                     "from `tecscan ingest` is not an archive)");
  }
  const long long format = attr_int(file, path, "archive_format");
  if (format != kFormatVersion)
    throw InputError(path, 0,
                     "archive format " + std::to_string(format) + ", this tecscan reads format " +
                         std::to_string(kFormatVersion));
  ArchiveInfo info;
  info.path = path;
  IonexGrid& g = info.grid;
  g.lat1 = attr_double(file, path, "lat1");
  g.dlat = attr_double(file, path, "dlat");
  g.nlat = static_cast<int>(attr_int(file, path, "nlat"));
  g.lon1 = attr_double(file, path, "lon1");
  g.dlon = attr_double(file, path, "dlon");
  g.nlon = static_cast<int>(attr_int(file, path, "nlon"));
  g.height_km = attr_double(file, path, "height_km");
  g.lat2 = g.lat(g.nlat - 1);
  g.lon2 = g.lon(g.nlon - 1);
  info.step = attr_int(file, path, "step_s");
  info.phase = attr_int(file, path, "phase_s");
  info.maps_per_day = static_cast<int>(attr_int(file, path, "maps_per_day"));
  const int64_t first_day = attr_int(file, path, "first_day");
  if (g.nlat < 1 || g.nlon < 1 || info.step <= 0 || info.maps_per_day < 1 ||
      info.step * info.maps_per_day != kDay)
    throw InputError(path, 0, "inconsistent grid or cadence attributes");
  info.start = first_day * kDay + info.phase;

  Id tec = open_dataset(file, path, "/tec");
  const std::vector<hsize_t> dims = shape(tec.get());
  if (dims.size() != 3 || dims[1] != static_cast<hsize_t>(g.nlat) ||
      dims[2] != static_cast<hsize_t>(g.nlon))
    throw InputError(path, 0, "/tec is not [time, nlat, nlon] of the grid attributes");
  info.ntime = static_cast<long>(dims[0]);
  info.has_rms = exists(file, "/rms");

  const auto day = read_column<long long>(file, path, kColDay, H5T_NATIVE_LLONG);
  const auto status = read_text_column(file, path, kColStatus);
  const auto source = read_text_column(file, path, kColPath);
  const auto bytes = read_column<long long>(file, path, kColBytes, H5T_NATIVE_LLONG);
  const auto sha = read_text_column(file, path, kColSha256);
  const auto program = read_text_column(file, path, kColProgram);
  const auto agency = read_text_column(file, path, kColAgency);
  const auto n_maps = read_column<int>(file, path, kColNumMaps, H5T_NATIVE_INT);
  const auto first_map = read_column<long long>(file, path, kColFirstMap, H5T_NATIVE_LLONG);
  const auto last_map = read_column<long long>(file, path, kColLastMap, H5T_NATIVE_LLONG);
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
  archive_io::Id file = archive_io::open_archive(path, H5F_ACC_RDONLY);
  return archive_io::load_info(file.get(), path);
}

IonexSeries read_archive_series(const std::string& path, const ArchiveWindow& w) {
  using namespace archive_io;
  Id file = open_archive(path, H5F_ACC_RDONLY);
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
    read_box(open_dataset(file.get(), path, "/tec").get(), H5T_NATIVE_FLOAT, offset, count,
             series.tec.data() + skip * cells);
    if (info.has_rms)
      read_box(open_dataset(file.get(), path, "/rms").get(), H5T_NATIVE_FLOAT, offset, count,
               series.rms.data() + skip * cells);
    read_box(open_dataset(file.get(), path, "/map_source").get(), H5T_NATIVE_INT,
             {static_cast<hsize_t>(lo)}, {n}, source.data() + skip);
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
