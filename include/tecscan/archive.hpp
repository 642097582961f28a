// The global TEC archive: daily IONEX files -> one chunked, compressed, appendable HDF5 file of
// global maps, read back by time window and latitude band. Layout, chunking and the append
// rules: docs/archive.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/ionex.hpp"
#include "tecscan/time.hpp"

namespace tecscan {

enum class DayStatus { kMissing, kPresent, kPartial };
const char* day_status_name(DayStatus s);  // "missing", "present", "partial"

// One row of the provenance table: one UTC day of the archive.
struct ArchiveDay {
  int64_t day = 0;  // days since 1970-01-01
  DayStatus status = DayStatus::kMissing;
  std::string path;                     // the IONEX file (absolute); "" when missing
  int64_t bytes = 0;                    // its size on disk
  std::string sha256;                   // of its bytes on disk (hex)
  std::string program, agency;          // IONEX "PGM / RUN BY / DATE"
  int n_maps = 0;                       // maps it holds on its own UTC day
  TimeS first_map = -1, last_map = -1;  // its first and last map epoch (-1 when missing)
};

struct ArchiveInfo {
  std::string path;
  IonexGrid grid;   // the series layout: north -> south, west -> east, no +180 column
  TimeS step = 0;   // cadence (s)
  TimeS phase = 0;  // slot k of a day is at day start + phase + k * step
  int maps_per_day = 0;
  TimeS start = 0;  // epoch of slot 0 (first day + phase)
  long ntime = 0;   // slots on the time axis (whole days, plus a spilled 24:00 map)
  bool has_rms = false;
  std::vector<ArchiveDay> days;  // one per UTC day from the first to the last
  uint64_t file_bytes = 0;
  long count(DayStatus s) const;
  // First and last map epoch of any archived file (what assemble_series over them would use).
  TimeS data_first() const;
  TimeS data_last() const;
  // The path and checksum of a day's file, as a cube lists it in `sources`.
  static std::string source_line(const ArchiveDay& d);
};

struct ArchiveOptions {
  bool replace = false;  // re-write days already present instead of skipping them
  bool verbose = true;   // gaps, partial and skipped days on stderr
  bool progress = true;  // progress lines on stderr (with verbose)
};

struct ArchiveReport {
  long files_parsed = 0;
  long days_written = 0;  // new days after the end, or the first build
  long days_filled = 0;   // days recorded missing that now have a file
  long days_replaced = 0;
  std::vector<int64_t> days_skipped;  // already present (no --replace)
  bool created = false;               // a new archive (not an append)
  ArchiveInfo info;                   // the archive as written
};

// Creates `path` from the IONEX files (already expanded: expand_inputs) or, when it exists,
// appends them: later days extend the time axis, days recorded missing are filled, present
// days are skipped (or replaced with o.replace). Days before the archive's first day, or a
// file with another grid or cadence, throw InputError. Two files of one UTC day: InputError.
// Atomic: the archive is copied to "<path>.tmp.<pid>", updated there and renamed onto path
// (through a symbolic link: onto its target). One writer at a time: "<target>.lock" is locked
// (flock) for the whole run, a second writer gets InputError; temp files of killed runs
// beside the archive are removed. A write the OS refuses (full disk, read-only file system)
// throws InputError with its reason and leaves the archive as it was.
ArchiveReport write_archive(const std::string& path, const std::vector<std::string>& ionex_files,
                            const ArchiveOptions& o = {});

// The root attributes and the provenance table. Throws InputError when path is not an archive.
ArchiveInfo read_archive_info(const std::string& path);

// What to read: the time window [start, end] (0 = the first / last archived map; start moves
// up onto the axis, like assemble_series) and the latitude rows [row_begin, row_begin +
// row_count) of the archive grid (row_count -1 = every row). All longitudes are read.
struct ArchiveWindow {
  TimeS start = 0, end = 0;
  int row_begin = 0, row_count = -1;
};

// The maps of the window with HDF5 hyperslabs (never the whole archive). The series' grid is
// the band (grid.lat1 = latitude of row_begin, nlat = row_count); gaps count the slots where
// no file gave a map; sources = the archive, then source_line() of each day that gave a map.
// Slots outside the archive's axis are missing.
IonexSeries read_archive_series(const std::string& path, const ArchiveWindow& w = {});

}  // namespace tecscan
