// tecscan archive: daily IONEX files -> one appendable global HDF5 archive; --info describes one.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tecscan/archive.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {
namespace {

struct ArchiveArgs {
  std::vector<std::string> ionex;
  std::string out, info;
  bool list = false, replace = false, quiet = false;
};

std::string day_text(int64_t day) {
  return format_date(day * kDay);
}

double megabytes(double bytes) {
  return bytes / (1024.0 * 1024.0);
}

// Raw float32 bytes of the maps over the bytes on disk.
double compression_ratio(const ArchiveInfo& a) {
  const double raw =
      static_cast<double>(a.ntime) * a.grid.nlat * a.grid.nlon * 4.0 * (a.has_rms ? 2.0 : 1.0);
  return a.file_bytes > 0 ? raw / static_cast<double>(a.file_bytes) : 0.0;
}

long total_maps(const ArchiveInfo& a) {
  long maps = 0;
  for (const ArchiveDay& d : a.days) maps += d.n_maps;
  return maps;
}

void print_info(const ArchiveInfo& a, bool list) {
  const IonexGrid& g = a.grid;
  std::printf("%s: tecscan global TEC archive\n", a.path.c_str());
  std::printf(
      "grid:     lat %.2f .. %.2f step %.2f (%d), lon %.2f .. %.2f step %.2f (%d), %.1f km\n",
      g.lat1, g.lat2, g.dlat, g.nlat, g.lon1, g.lon2, g.dlon, g.nlon, g.height_km);
  std::printf("cadence:  %lld s, %d maps a day, the first at %s UTC\n",
              static_cast<long long>(a.step), a.maps_per_day,
              format_iso(a.start).substr(11, 8).c_str());
  if (!a.days.empty())
    std::printf("days:     %zu, %s .. %s: %ld present, %ld partial, %ld missing\n", a.days.size(),
                day_text(a.days.front().day).c_str(), day_text(a.days.back().day).c_str(),
                a.count(DayStatus::kPresent), a.count(DayStatus::kPartial),
                a.count(DayStatus::kMissing));
  std::printf("axis:     %ld epochs, %s .. %s, %ld maps%s\n", a.ntime, format_iso(a.start).c_str(),
              format_iso(a.start + (a.ntime - 1) * a.step).c_str(), total_maps(a),
              a.has_rms ? " with RMS" : "");
  std::printf("on disk:  %.1f MB, compression %.1fx\n",
              megabytes(static_cast<double>(a.file_bytes)), compression_ratio(a));
  // Runs of missing days.
  long runs = 0;
  for (size_t r = 0; r < a.days.size();) {
    if (a.days[r].status != DayStatus::kMissing) {
      ++r;
      continue;
    }
    size_t end = r;
    while (end < a.days.size() && a.days[end].status == DayStatus::kMissing) ++end;
    if (end - r == 1)
      std::printf("gap:      %s\n", day_text(a.days[r].day).c_str());
    else
      std::printf("gap:      %s .. %s (%zu days)\n", day_text(a.days[r].day).c_str(),
                  day_text(a.days[end - 1].day).c_str(), end - r);
    ++runs;
    r = end;
  }
  if (runs == 0) std::printf("gaps:     none\n");
  for (const ArchiveDay& d : a.days)
    if (d.status == DayStatus::kPartial)
      std::printf("partial:  %s, %d of %d maps\n", day_text(d.day).c_str(), d.n_maps,
                  a.maps_per_day);
  if (!list) return;
  std::printf("%-10s %-8s %4s %10s %-16s %-12s %s\n", "day", "status", "maps", "bytes", "sha256",
              "agency", "path");
  for (const ArchiveDay& d : a.days)
    std::printf("%-10s %-8s %4d %10lld %-16s %-12s %s\n", day_text(d.day).c_str(),
                day_status_name(d.status), d.n_maps, static_cast<long long>(d.bytes),
                d.sha256.substr(0, 16).c_str(), d.agency.c_str(), d.path.c_str());
}

}  // namespace

Command add_archive(CLI::App& app) {
  auto a = std::make_shared<ArchiveArgs>();
  CLI::App* cmd = app.add_subcommand(
      "archive",
      "Collect daily IONEX files into ONE global HDF5 archive (chunked, compressed, with a "
      "per-day provenance table), or append new days to an existing one. `tecscan ingest` and "
      "`tecscan scan` then read only the event window and the region's latitude rows "
      "(--archive FILE) instead of parsing IONEX files for every event.\n"
      "Appending: later days extend the archive, days recorded missing are filled, days already "
      "present are skipped (--replace overwrites them). The archive is updated on a copy that "
      "replaces it at the end, so an interrupted run leaves it as it was, and the copy a killed "
      "run left is removed by the next one. Through a symbolic link the link's target is "
      "updated. One writer at a time: a second one is refused while ARCHIVE.lock is held.\n"
      "Examples:\n"
      "  tecscan archive --ionex data/ionex/jpl-2000-2001 --out jpl.h5\n"
      "  tecscan archive --ionex 'new/jplg*.01i.Z' --out jpl.h5      # append days\n"
      "  tecscan archive --info jpl.h5 --list                        # coverage, gaps, sources\n"
      "  tecscan ingest --archive jpl.h5 --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 "
      "--out elsalvador.h5\n"
      "Layout and conventions: docs/archive.md");
  CLI::Option* ionex =
      cmd->add_option("--ionex", a->ionex,
                      "daily IONEX files, directories or globs (plain, .Z or .gz), one file per "
                      "UTC day, all on one grid and cadence");
  CLI::Option* out = cmd->add_option(
      "--out,-o", a->out, "the archive (HDF5): created when missing, appended to otherwise");
  CLI::Option* info =
      cmd->add_option("--info", a->info, "describe an archive: grid, coverage, gaps, size");
  cmd->add_flag("--list", a->list, "with --info: one line per day (status, maps, checksum, file)");
  cmd->add_flag("--replace", a->replace, "re-write days the archive already holds");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress lines (gaps and notes are still reported)");
  info->excludes(ionex)->excludes(out);
  return {cmd, [a] {
            if (!a->info.empty()) {
              print_info(read_archive_info(a->info), a->list);
              return 0;
            }
            if (a->ionex.empty() || a->out.empty())
              throw InputError(
                  "tecscan archive: give --ionex FILES --out ARCHIVE.h5, or --info ARCHIVE.h5");
            ArchiveOptions o;
            o.replace = a->replace;
            o.progress = !a->quiet;
            const std::vector<std::string> files = expand_inputs(a->ionex);
            require_output_not_input(a->out, files, "--out");
            const ArchiveReport r = write_archive(a->out, files, o);
            const ArchiveInfo& i = r.info;
            std::fprintf(stderr,
                         "%s %s: %zu days %s .. %s, %ld missing, %ld partial, %ld maps; %.1f MB "
                         "on disk, compression %.1fx; this run: %ld files parsed, %ld days "
                         "written, %ld filled, %ld replaced, %zu skipped\n",
                         r.created ? "wrote" : "updated", a->out.c_str(), i.days.size(),
                         day_text(i.days.front().day).c_str(), day_text(i.days.back().day).c_str(),
                         i.count(DayStatus::kMissing), i.count(DayStatus::kPartial), total_maps(i),
                         megabytes(static_cast<double>(i.file_bytes)), compression_ratio(i),
                         r.files_parsed, r.days_written, r.days_filled, r.days_replaced,
                         r.days_skipped.size());
            return 0;
          }};
}

}  // namespace tecscan::cli
