// Building and appending the global archive: daily IONEX files -> one HDF5 file of maps on a
// fixed grid and cadence, one provenance row per UTC day. docs/archive.md is the user's view.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "archive_internal.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/atomic_file.hpp"
#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/sha256.hpp"

namespace tecscan {
namespace {

using namespace archive_io;
namespace fs = std::filesystem;

constexpr double kSame = 1e-6;
// Parsed maps kept between the checking pass and the writing pass; beyond this the files are
// parsed again when written (a decade of daily files does not fit in memory).
constexpr size_t kKeepBytes = size_t{1} << 30;
// A latitude tile of about 20 degrees: a 2000 km region (about 36 degrees of latitude) reads
// 2-3 tiles instead of the whole globe.
constexpr double kTileDegrees = 20.0;
constexpr size_t kMaxChunkBytes = size_t{1} << 20;  // HDF5's default chunk cache per dataset
constexpr hsize_t kColumnChunk = 1024;              // provenance rows per chunk

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

std::string describe(const IonexGrid& g) {
  char text[160];
  std::snprintf(text, sizeof text, "lat %.1f..%.1f step %.1f, lon %.1f..%.1f step %.1f, %.1f km",
                g.lat1, g.lat2, g.dlat, g.lon1, g.lon2, g.dlon, g.height_km);
  return text;
}

bool same_grid(const IonexGrid& a, const IonexGrid& b) {
  return a.nlat == b.nlat && a.nlon == b.nlon && std::fabs(a.lat1 - b.lat1) < kSame &&
         std::fabs(a.dlat - b.dlat) < kSame && std::fabs(a.lon1 - b.lon1) < kSame &&
         std::fabs(a.dlon - b.dlon) < kSame && std::fabs(a.height_km - b.height_km) < kSame;
}

std::string day_text(int64_t day) {
  return format_date(day * kDay);
}

std::string day_range(int64_t first, int64_t last) {
  if (first == last) return day_text(first);
  return day_text(first) + " .. " + day_text(last) + " (" + std::to_string(last - first + 1) +
         " days)";
}

// One daily IONEX file: its provenance row and its maps in the series layout of
// assemble_series (which applies the grid rules), from its first map on.
struct DayFile {
  std::string path;  // as given
  ArchiveDay row;
  IonexGrid grid;
  TimeS step = 0, phase = 0;
  bool has_rms = false;
  IonexSeries series;           // tec/rms emptied when over the memory budget
  std::vector<long> map_slots;  // series slots that hold a map
  size_t bytes_in_memory() const { return (series.tec.size() + series.rms.size()) * 4; }
};

DayFile load_day(const std::string& path) {
  IonexFile file = read_ionex(path);
  if (file.maps.empty()) throw InputError(path, 0, "no TEC map in the file");
  DayFile d;
  d.path = path;
  d.row.path = fs::absolute(path).lexically_normal().string();
  d.row.program = file.program;
  d.row.agency = file.agency;
  TimeS first = std::numeric_limits<TimeS>::max(), last = std::numeric_limits<TimeS>::min();
  for (const IonexMap& m : file.maps)
    first = std::min(first, m.epoch), last = std::max(last, m.epoch);
  std::vector<TimeS> epochs;
  for (const IonexMap& m : file.maps) epochs.push_back(m.epoch);
  d.row.first_map = first;
  d.row.last_map = last;
  d.row.day = floor_div(first, kDay);
  if (last >= (d.row.day + 2) * kDay)
    throw InputError(path, 0,
                     "maps from " + format_iso(first) + " to " + format_iso(last) +
                         " span more than one UTC day: the archive takes daily IONEX files");
  std::vector<IonexFile> one;
  one.push_back(std::move(file));
  d.series = assemble_series(one);
  d.grid = d.series.grid;
  d.step = d.series.step;
  d.phase = ((first % d.step) + d.step) % d.step;
  d.has_rms = !d.series.rms.empty();
  for (TimeS e : epochs) d.map_slots.push_back(static_cast<long>((e - first) / d.step));
  std::sort(d.map_slots.begin(), d.map_slots.end());
  d.map_slots.erase(std::unique(d.map_slots.begin(), d.map_slots.end()), d.map_slots.end());
  uint64_t bytes = 0;
  d.row.sha256 = sha256_file(path, &bytes);
  d.row.bytes = static_cast<int64_t>(bytes);
  return d;
}

// IONEX parsing is decompression-bound; more than 8 threads only adds memory.
const int kParseThreads =
    static_cast<int>(std::max(1u, std::min<unsigned>(8, std::thread::hardware_concurrency())));

// ---- the file's objects -----------------------------------------------------------------------

// A 1-D float64 axis (/lat, /lon), contiguous.
void write_axis(hid_t file, const std::string& name, const std::vector<double>& values) {
  hdf5::Layout layout;
  layout.dims = {values.size()};
  hdf5::write_box(hdf5::create_dataset<double>(file, name, layout).get(), {}, {}, values.data());
}

// An extendible dataset (first dimension unlimited), chunked, shuffle + deflate when asked.
hdf5::Layout extendible(std::vector<hsize_t> dims, std::vector<hsize_t> chunk, bool deflate) {
  hdf5::Layout layout;
  layout.dims = std::move(dims);
  layout.chunk = std::move(chunk);
  layout.extendible = true;
  layout.deflate = deflate ? 4 : 0;  // the archive is written once and kept: level 4
  return layout;
}

void set_attrs(hid_t file, const std::string& name, const H5Attrs& attrs) {
  Id obj = hdf5::open_object(file, name);
  if (!obj.ok()) hdf5::write_failed(file, "attributes of '" + name + "' (no such object)");
  for (const H5Attr& a : attrs) hdf5::write_attr(obj.get(), a);
}

// /tec or /rms: [time, lat, lon] float32, NaN where nothing was written. One chunk = one UTC
// day of maps x a latitude tile x every longitude: an append writes whole new chunks and never
// re-encodes an old day, and a regional read touches only the tiles of its latitude band.
void create_map_dataset(hid_t file, const std::string& name, const ArchiveInfo& info,
                        const std::string& long_name) {
  const IonexGrid& g = info.grid;
  const auto mpd = static_cast<hsize_t>(info.maps_per_day);
  hsize_t rows = static_cast<hsize_t>(std::max(1L, std::lround(kTileDegrees / std::fabs(g.dlat))));
  rows = std::min<hsize_t>(rows, static_cast<hsize_t>(g.nlat));
  while (rows > 1 && mpd * rows * static_cast<hsize_t>(g.nlon) * 4 > kMaxChunkBytes) --rows;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto nlat = static_cast<hsize_t>(g.nlat), nlon = static_cast<hsize_t>(g.nlon);
  hdf5::create_dataset<float>(
      file, name,
      extendible({static_cast<hsize_t>(info.ntime), nlat, nlon}, {mpd, rows, nlon}, true), &nan);
  set_attrs(file, name, {{"units", "TECU"}, {"long_name", long_name}, {"_FillValue", nan}});
  hdf5::attach_scale(file, name, 0, "/time");
  hdf5::attach_scale(file, name, 1, "/lat");
  hdf5::attach_scale(file, name, 2, "/lon");
}

void create_archive_objects(hid_t file, const ArchiveInfo& info, int64_t first_day) {
  const IonexGrid& g = info.grid;
  for (const H5Attr& a : H5Attrs{{"Conventions", "CF-1.8"},
                                 {"title", kTitle},
                                 {"tecscan_version", TECSCAN_VERSION},
                                 {"archive_format", kFormatVersion},
                                 {"lat1", g.lat1},
                                 {"lat2", g.lat2},
                                 {"dlat", g.dlat},
                                 {"nlat", g.nlat},
                                 {"lon1", g.lon1},
                                 {"lon2", g.lon2},
                                 {"dlon", g.dlon},
                                 {"nlon", g.nlon},
                                 {"height_km", g.height_km},
                                 {"step_s", static_cast<int64_t>(info.step)},
                                 {"phase_s", static_cast<int64_t>(info.phase)},
                                 {"maps_per_day", info.maps_per_day},
                                 {"first_day", first_day},
                                 {"first_day_utc", day_text(first_day)}})
    hdf5::write_attr(file, a);

  const auto mpd = static_cast<hsize_t>(info.maps_per_day);
  const int64_t no_epoch = -1;
  hdf5::create_dataset<int64_t>(file, "/time", extendible({0}, {mpd * 32}, true));
  set_attrs(file, "/time",
            {{"units", kTimeUnits},
             {"calendar", "standard"},
             {"standard_name", "time"},
             {"long_name", "epoch of the ionosphere map (UTC)"},
             {"axis", "T"}});
  hdf5::make_scale(file, "/time", "time");
  std::vector<double> lat(static_cast<size_t>(g.nlat)), lon(static_cast<size_t>(g.nlon));
  for (int i = 0; i < g.nlat; ++i) lat[static_cast<size_t>(i)] = g.lat(i);
  for (int j = 0; j < g.nlon; ++j) lon[static_cast<size_t>(j)] = g.lon(j);
  write_axis(file, "/lat", lat);
  write_axis(file, "/lon", lon);
  set_attrs(file, "/lat",
            {{"units", "degrees_north"}, {"standard_name", "latitude"}, {"axis", "Y"}});
  set_attrs(file, "/lon",
            {{"units", "degrees_east"}, {"standard_name", "longitude"}, {"axis", "X"}});
  hdf5::make_scale(file, "/lat", "lat");
  hdf5::make_scale(file, "/lon", "lon");
  create_map_dataset(file, "/tec", info, "vertical total electron content");
  const int32_t no_source = -1;
  hdf5::create_dataset<int32_t>(file, "/map_source", extendible({0}, {mpd * 32}, true), &no_source);
  set_attrs(
      file, "/map_source",
      {{"long_name", "provenance row (day index) of the file that gave this map, -1 = no map"}});
  hdf5::attach_scale(file, "/map_source", 0, "/time");

  // Provenance: parallel columns, one row per UTC day.
  const hdf5::Layout column = extendible({0}, {kColumnChunk}, false);
  hdf5::create_dataset<int64_t>(file, kColDay, column);
  set_attrs(file, kColDay, {{"units", "days since 1970-01-01"}, {"long_name", "UTC day"}});
  hdf5::make_scale(file, kColDay, "day");
  enum class Kind { kText, kInt32, kInt64, kEpoch };  // kEpoch: int64 filled with -1
  struct Column {
    const char* name;
    Kind kind;
    const char* long_name;
    const char* units;
  };
  const Column columns[] = {
      {kColStatus, Kind::kText, "present, partial (fewer maps) or missing", ""},
      {kColPath, Kind::kText, "source IONEX file (absolute path)", ""},
      {kColBytes, Kind::kInt64, "size of the source file", "bytes"},
      {kColSha256, Kind::kText, "SHA-256 of the source file (hex)", ""},
      {kColProgram, Kind::kText, "IONEX program (PGM)", ""},
      {kColAgency, Kind::kText, "IONEX agency (RUN BY)", ""},
      {kColNumMaps, Kind::kInt32, "maps of the file on its own UTC day", ""},
      {kColFirstMap, Kind::kEpoch, "first map epoch of the file", kTimeUnits},
      {kColLastMap, Kind::kEpoch,
       "last map epoch of the file (a 24:00 map belongs to the next day)", kTimeUnits},
  };
  for (const Column& c : columns) {
    switch (c.kind) {
      case Kind::kText:
        hdf5::create_string_dataset(file, c.name, column);
        break;
      case Kind::kInt32:
        hdf5::create_dataset<int32_t>(file, c.name, column);
        break;
      case Kind::kInt64:
        hdf5::create_dataset<int64_t>(file, c.name, column);
        break;
      case Kind::kEpoch:
        hdf5::create_dataset<int64_t>(file, c.name, column, &no_epoch);
        break;
    }
    H5Attrs attrs = {{"long_name", c.long_name}};
    if (*c.units) attrs.emplace_back("units", c.units);
    if (c.kind == Kind::kEpoch) attrs.emplace_back("_FillValue", no_epoch);
    set_attrs(file, c.name, attrs);
    hdf5::attach_scale(file, c.name, 0, kColDay);
  }
}

// ---- writing days ------------------------------------------------------------------------------

class Writer {
 public:
  Writer(hid_t file, const ArchiveInfo& info)
      : file_(file),
        info_(info),
        cells_(static_cast<size_t>(info.grid.nlat) * info.grid.nlon),
        tec_(open_dataset(file, "/tec")),
        source_(open_dataset(file, "/map_source")) {
    if (info.has_rms) rms_ = open_dataset(file, "/rms");
  }

  // Grows the time axis to ntime slots (fill values; /time gets the new epochs).
  void grow(long ntime) {
    const long old = static_cast<long>(hdf5::shape(tec_.get())[0]);
    if (ntime <= old) return;
    for (hid_t ds : {tec_.get(), rms_.get(), source_.get()})
      if (ds >= 0) hdf5::set_length(ds, static_cast<hsize_t>(ntime));
    Id time = open_dataset(file_, "/time");
    hdf5::set_length(time.get(), static_cast<hsize_t>(ntime));
    std::vector<int64_t> epochs;
    for (long t = old; t < ntime; ++t) epochs.push_back(info_.start + t * info_.step);
    hdf5::write_box(time.get(), {static_cast<hsize_t>(old)}, {static_cast<hsize_t>(epochs.size())},
                    epochs.data());
  }

  // Writes the maps of `d` that fall on archive slots [begin, end) as provenance row `row`:
  // slots row wrote before (a replaced file) are cleared first, slots of other rows that d has
  // no map for stay. Returns the number of maps written.
  int write_slots(long begin, long end, const DayFile& d, int row) {
    if (end <= begin) return 0;
    const long base = static_cast<long>((d.series.start - info_.start) / info_.step);
    std::vector<long> mine;
    for (long s : d.map_slots)
      if (base + s >= begin && base + s < end) mine.push_back(base + s);
    const auto n = static_cast<hsize_t>(end - begin);
    std::vector<int32_t> source(n);
    hdf5::read_box(source_.get(), {static_cast<hsize_t>(begin)}, {n}, source.data());
    const bool clears = std::count(source.begin(), source.end(), row) > 0;
    if (mine.empty() && !clears) return 0;

    const std::vector<hsize_t> offset = {static_cast<hsize_t>(begin), 0, 0};
    const std::vector<hsize_t> count = {n, static_cast<hsize_t>(info_.grid.nlat),
                                        static_cast<hsize_t>(info_.grid.nlon)};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> tec(n * cells_), rms(rms_.ok() ? n * cells_ : 0);
    hdf5::read_box(tec_.get(), offset, count, tec.data());
    if (rms_.ok()) hdf5::read_box(rms_.get(), offset, count, rms.data());
    for (size_t k = 0; k < n; ++k)
      if (source[k] == row) {
        source[k] = -1;
        std::fill_n(tec.begin() + static_cast<long>(k * cells_), cells_, nan);
        if (rms_.ok()) std::fill_n(rms.begin() + static_cast<long>(k * cells_), cells_, nan);
      }
    for (long t : mine) {
      const size_t k = static_cast<size_t>(t - begin), s = static_cast<size_t>(t - base);
      source[k] = row;
      std::copy_n(d.series.tec.begin() + static_cast<long>(s * cells_), cells_,
                  tec.begin() + static_cast<long>(k * cells_));
      if (!rms_.ok()) continue;
      if (d.series.rms.empty())
        std::fill_n(rms.begin() + static_cast<long>(k * cells_), cells_, nan);
      else
        std::copy_n(d.series.rms.begin() + static_cast<long>(s * cells_), cells_,
                    rms.begin() + static_cast<long>(k * cells_));
    }
    hdf5::write_box(tec_.get(), offset, count, tec.data());
    if (rms_.ok()) hdf5::write_box(rms_.get(), offset, count, rms.data());
    hdf5::write_box(source_.get(), {static_cast<hsize_t>(begin)}, {n}, source.data());
    return static_cast<int>(mine.size());
  }

 private:
  hid_t file_;
  const ArchiveInfo& info_;
  size_t cells_;
  Id tec_, rms_, source_;
};

// Rewrites the provenance rows marked dirty (runs of consecutive rows, one write each).
void write_provenance(hid_t file, const std::vector<ArchiveDay>& days,
                      const std::vector<bool>& dirty) {
  Id ids[10];
  const char* names[10] = {kColDay,     kColStatus, kColPath,    kColBytes,    kColSha256,
                           kColProgram, kColAgency, kColNumMaps, kColFirstMap, kColLastMap};
  for (int c = 0; c < 10; ++c) {
    ids[c] = open_dataset(file, names[c]);
    hdf5::set_length(ids[c].get(), days.size());
  }
  for (size_t r = 0; r < days.size();) {
    if (!dirty[r]) {
      ++r;
      continue;
    }
    size_t end = r;
    while (end < days.size() && dirty[end]) ++end;
    std::vector<int64_t> day, bytes, first, last;
    std::vector<int32_t> n_maps;
    std::vector<std::string> status, source, sha, program, agency;
    for (size_t k = r; k < end; ++k) {
      const ArchiveDay& d = days[k];
      day.push_back(d.day), bytes.push_back(d.bytes), n_maps.push_back(d.n_maps);
      first.push_back(d.first_map), last.push_back(d.last_map);
      status.push_back(day_status_name(d.status)), source.push_back(d.path);
      sha.push_back(d.sha256), program.push_back(d.program), agency.push_back(d.agency);
    }
    const std::vector<hsize_t> at = {r}, n = {end - r};
    hdf5::write_box(ids[0].get(), at, n, day.data());
    hdf5::write_strings(ids[1].get(), r, status);
    hdf5::write_strings(ids[2].get(), r, source);
    hdf5::write_box(ids[3].get(), at, n, bytes.data());
    hdf5::write_strings(ids[4].get(), r, sha);
    hdf5::write_strings(ids[5].get(), r, program);
    hdf5::write_strings(ids[6].get(), r, agency);
    hdf5::write_box(ids[7].get(), at, n, n_maps.data());
    hdf5::write_box(ids[8].get(), at, n, first.data());
    hdf5::write_box(ids[9].get(), at, n, last.data());
    r = end;
  }
}

// Checks a file against the archive's fixed grid and cadence.
void check_compatible(const DayFile& d, const ArchiveInfo& info, const std::string& archive) {
  if (!same_grid(d.grid, info.grid))
    throw InputError(d.path, 0,
                     "grid (" + describe(d.grid) + ") differs from the grid of the archive " +
                         archive + " (" + describe(info.grid) +
                         "): an archive holds one product on one grid; put this file into "
                         "another archive (tecscan archive --ionex FILE --out OTHER.h5)");
  if (d.step != info.step || d.phase != info.phase)
    throw InputError(d.path, 0,
                     "maps every " + std::to_string(d.step) + " s from " +
                         format_iso(d.row.first_map) + " are off the archive's axis (every " +
                         std::to_string(info.step) + " s, first map of a day at +" +
                         std::to_string(info.phase) +
                         " s): an archive has one cadence; put this file into another archive");
}

// Reports the archive's missing and partial days on stderr (runs of days, the first few).
void report_gaps(const ArchiveInfo& info) {
  int shown = 0;
  for (size_t r = 0; r < info.days.size();) {
    if (info.days[r].status != DayStatus::kMissing) {
      if (info.days[r].status == DayStatus::kPartial && shown < 10 && ++shown)
        std::fprintf(stderr, "partial: %s has %d of %d maps (%s)\n",
                     day_text(info.days[r].day).c_str(), info.days[r].n_maps, info.maps_per_day,
                     info.days[r].path.c_str());
      ++r;
      continue;
    }
    size_t end = r;
    while (end < info.days.size() && info.days[end].status == DayStatus::kMissing) ++end;
    if (shown < 10 && ++shown)
      std::fprintf(stderr, "gap: %s missing (no IONEX file): its maps are NaN\n",
                   day_range(info.days[r].day, info.days[end - 1].day).c_str());
    r = end;
  }
  if (shown == 10) std::fprintf(stderr, "(gaps and partial days: see tecscan archive --info)\n");
}

}  // namespace

ArchiveReport write_archive(const std::string& path, const std::vector<std::string>& ionex_files,
                            const ArchiveOptions& o) {
  if (ionex_files.empty()) throw InputError("tecscan archive: no IONEX file was given");
  hdf5::silence_hdf5_errors();
  // Work on a copy (or a new file) and rename it onto path at the end: an interrupted run
  // leaves the archive as it was. The price is one copy of the archive's bytes per append.
  // Through a symbolic link, the link's target is updated.
  AtomicFile out(path);
  const std::string target = write_target(path);
  // One writer at a time: two appends would both copy the old archive and one would be lost.
  const FileLock lock(target + ".lock", "the archive " + path);
  // Temp copies of appends that were killed (as large as the archive): no writer is left.
  const int stale = remove_stale_temp_files(fs::path(target).parent_path().empty()
                                                ? std::string(".")
                                                : fs::path(target).parent_path().string());
  if (stale > 0 && o.verbose)
    std::fprintf(stderr, "note: removed %d temp file(s) of killed runs beside %s\n", stale,
                 target.c_str());
  ArchiveReport report;
  std::error_code ec;
  report.created = !fs::exists(path, ec);
  ArchiveInfo info;
  if (!report.created) info = read_archive_info(path);  // an archive? before the long parse

  // Pass 1: parse and checksum every file; keep the maps while they fit in memory.
  std::vector<DayFile> files(ionex_files.size());
  {
    Progress progress("archive: parse", static_cast<long>(files.size()),
                      !(o.verbose && o.progress));
    std::atomic<size_t> kept{0};
    parallel_for(files.size(), kParseThreads, [&](size_t i) {
      files[i] = load_day(ionex_files[i]);
      if (kept.fetch_add(files[i].bytes_in_memory()) > kKeepBytes) {
        std::vector<float>().swap(files[i].series.tec);
        std::vector<float>().swap(files[i].series.rms);
      }
      progress.advance();
    });
  }
  report.files_parsed = static_cast<long>(files.size());
  // One file per UTC day, the rule ingest applies (ionex.hpp): an identical copy is read once,
  // the first by name is kept (the inputs arrive sorted by name).
  std::stable_sort(files.begin(), files.end(),
                   [](const DayFile& a, const DayFile& b) { return a.row.day < b.row.day; });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const DayFile& a, const DayFile& b) {
                            if (a.row.day != b.row.day) return false;
                            require_same_maps(a.path, b.path);  // throws naming both
                            return true;
                          }),
              files.end());

  if (report.created) {
    const DayFile& first = files.front();
    if (kDay % first.step != 0)
      throw InputError(first.path, 0,
                       "cadence " + std::to_string(first.step) +
                           " s does not divide a day: the archive stores whole days of maps");
    info.path = path;
    info.grid = first.grid;
    info.step = first.step;
    info.phase = first.phase;
    info.maps_per_day = static_cast<int>(kDay / first.step);
    info.start = first.row.day * kDay + first.phase;
  }
  const int64_t first_day = floor_div(info.start, kDay);
  for (const DayFile& d : files) {
    check_compatible(d, info, path);
    if (d.row.day < first_day)
      throw InputError(d.path, 0,
                       "its day " + day_text(d.row.day) + " is before the archive's first day " +
                           day_text(first_day) +
                           ": an archive only grows forward; build a new one from every file "
                           "(tecscan archive --ionex OLD_FILES NEW_FILES --out NEW.h5)");
  }

  // Rows: the existing days, then missing rows up to the last new day.
  std::vector<ArchiveDay>& days = info.days;
  const size_t old_rows = days.size();
  for (int64_t day = first_day + static_cast<int64_t>(days.size()); day <= files.back().row.day;
       ++day) {
    ArchiveDay missing;
    missing.day = day;
    days.push_back(missing);
  }
  std::vector<bool> dirty(days.size(), false);
  std::fill(dirty.begin() + static_cast<long>(old_rows), dirty.end(), true);
  std::vector<DayFile*> to_write;
  for (DayFile& d : files) {
    const ArchiveDay& now = days[static_cast<size_t>(d.row.day - first_day)];
    if (now.status != DayStatus::kMissing && !o.replace) {
      report.days_skipped.push_back(d.row.day);
      if (o.verbose && report.days_skipped.size() <= 5)
        std::fprintf(stderr,
                     "note: %s is already in the archive (from %s), skipped; --replace "
                     "overwrites it\n",
                     day_text(d.row.day).c_str(), now.path.c_str());
      continue;
    }
    if (static_cast<size_t>(d.row.day - first_day) >= old_rows)
      ++report.days_written;
    else if (now.status == DayStatus::kMissing)
      ++report.days_filled;
    else
      ++report.days_replaced;
    to_write.push_back(&d);
  }
  if (o.verbose && report.days_skipped.size() > 5)
    std::fprintf(stderr, "note: %zu days already in the archive were skipped in all\n",
                 report.days_skipped.size());

  if (!report.created && to_write.empty()) {  // nothing new: leave the file alone
    report.info = read_archive_info(path);
    return report;
  }

  // Days with a file of their own once this run is done: a 24:00 map spills into the next day
  // only when that day has none (the rule of assemble_series).
  std::vector<bool> owned(days.size() + 1, false);
  for (size_t r = 0; r < days.size(); ++r) owned[r] = days[r].status != DayStatus::kMissing;
  for (const DayFile* d : to_write) owned[static_cast<size_t>(d->row.day - first_day)] = true;
  const long mpd = info.maps_per_day;
  long ntime = std::max(info.ntime, static_cast<long>(days.size()) * mpd);
  for (const DayFile* d : to_write) {
    const size_t r = static_cast<size_t>(d->row.day - first_day);
    const long base = static_cast<long>((d->series.start - info.start) / info.step);
    if (!owned[r + 1] && !d->map_slots.empty())
      ntime = std::max(ntime, base + d->map_slots.back() + 1);
  }

  Id file;
  if (report.created) {
    file = hdf5::create_file(out.temp_path(), path);
    create_archive_objects(file.get(), info, first_day);
  } else {
    fs::copy_file(path, out.temp_path(), fs::copy_options::overwrite_existing, ec);
    // libstdc++ reports a short copy (a full disk) as EIO: then ask the file system.
    if (ec)
      throw_write_failure(path, "the archive (copying it to '" + out.temp_path() + "')",
                          ec == std::errc::io_error ? 0 : ec.value(), ": " + ec.message());
    file = open_archive(out.temp_path(), hdf5::Access::kReadWrite);
  }
  const bool any_rms =
      std::any_of(to_write.begin(), to_write.end(), [](const DayFile* d) { return d->has_rms; });
  if (any_rms && !info.has_rms) {
    create_map_dataset(file.get(), "/rms", info, "RMS error of the TEC map");
    info.has_rms = true;
  }

  {
    Writer writer(file.get(), info);
    writer.grow(ntime);
    Progress progress("archive: write", static_cast<long>(to_write.size()),
                      !(o.verbose && o.progress));
    const size_t batch = 16;
    for (size_t b = 0; b < to_write.size(); b += batch) {
      const size_t e = std::min(to_write.size(), b + batch);
      parallel_for(e - b, kParseThreads,
                   [&](size_t k) {  // files dropped after pass 1 are parsed again
                     DayFile& d = *to_write[b + k];
                     if (d.series.tec.empty()) d = load_day(d.path);
                   });
      for (size_t k = b; k < e; ++k) {
        DayFile& d = *to_write[k];
        const auto r = static_cast<size_t>(d.row.day - first_day);
        const long t0 = static_cast<long>(r) * mpd;
        d.row.n_maps = writer.write_slots(t0, t0 + mpd, d, static_cast<int>(r));
        d.row.status = d.row.n_maps == mpd ? DayStatus::kPresent : DayStatus::kPartial;
        if (!owned[r + 1])
          writer.write_slots(t0 + mpd, std::min(ntime, t0 + 2 * mpd), d, static_cast<int>(r));
        days[r] = d.row;
        dirty[r] = true;
        std::vector<float>().swap(d.series.tec);
        std::vector<float>().swap(d.series.rms);
        progress.advance();
      }
    }
  }
  write_provenance(file.get(), days, dirty);
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0 || file.close() < 0)
    hdf5::write_failed(path, "the archive");
  out.commit();

  report.info = read_archive_info(path);
  if (o.verbose) report_gaps(report.info);
  return report;
}

}  // namespace tecscan
