// Daily IONEX files -> one regular time axis of global maps, with the gaps reported.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan {
namespace {

constexpr double kSame = 1e-6;
// Bounds that only a mistyped window or a broken file reaches.
constexpr double kMaxSeriesValues = 2.0e9;  // ~8 GB of float32 TEC
constexpr long kMaxSlots = 50'000'000;      // a century at one map a minute

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Series layout of a file grid: latitude north -> south, longitude west -> east, and the
// duplicate wrap-around column (+180 = -180) dropped. src_row/src_col map series -> file index.
struct Layout {
  IonexGrid grid;
  std::vector<int> src_row, src_col;
};

Layout series_layout(const IonexGrid& file_grid) {
  Layout layout;
  IonexGrid& g = layout.grid;
  g = file_grid;
  for (int i = 0; i < g.nlat; ++i) layout.src_row.push_back(g.dlat > 0 ? g.nlat - 1 - i : i);
  for (int j = 0; j < g.nlon; ++j) layout.src_col.push_back(g.dlon < 0 ? g.nlon - 1 - j : j);
  if (g.dlat > 0) std::swap(g.lat1, g.lat2), g.dlat = -g.dlat;
  if (g.dlon < 0) std::swap(g.lon1, g.lon2), g.dlon = -g.dlon;
  if (g.nlon > 1 && std::fabs(g.lon2 - g.lon1 - 360.0) < kSame) {
    g.nlon -= 1;
    g.lon2 = g.lon1 + (g.nlon - 1) * g.dlon;
    layout.src_col.pop_back();
  }
  return layout;
}

bool same_grid(const IonexGrid& a, const IonexGrid& b) {
  return a.nlat == b.nlat && a.nlon == b.nlon && std::fabs(a.lat1 - b.lat1) < kSame &&
         std::fabs(a.dlat - b.dlat) < kSame && std::fabs(a.lon1 - b.lon1) < kSame &&
         std::fabs(a.dlon - b.dlon) < kSame && std::fabs(a.height_km - b.height_km) < kSame;
}

std::string describe(const IonexGrid& g) {
  char text[160];
  std::snprintf(text, sizeof text, "lat %.1f..%.1f step %.1f, lon %.1f..%.1f step %.1f, %.1f km",
                g.lat1, g.lat2, g.dlat, g.lon1, g.lon2, g.dlon, g.height_km);
  return text;
}

// INTERVAL of the files (the finest when they differ), else the smallest map spacing.
TimeS series_cadence(const std::vector<IonexFile>& files) {
  TimeS step = 0;
  for (const IonexFile& f : files)
    if (f.interval_s > 0 && (step == 0 || f.interval_s < step)) step = f.interval_s;
  if (step > 0) return step;
  std::vector<TimeS> epochs;
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps) epochs.push_back(m.epoch);
  std::sort(epochs.begin(), epochs.end());
  for (size_t k = 1; k < epochs.size(); ++k) {
    TimeS spacing = epochs[k] - epochs[k - 1];
    if (spacing > 0 && (step == 0 || spacing < step)) step = spacing;
  }
  if (step == 0)
    throw InputError(files.front().path, 0,
                     "cannot tell the map cadence: no INTERVAL in the header and a single epoch");
  return step;
}

// One warning per file whose maps use another EXPONENT than most maps of the series: each
// value can be plausible while the day is 10^k times off, which the scan would call anomalous.
std::vector<std::string> exponent_notes(const std::vector<IonexFile>& files) {
  std::map<int, long> maps_by_exponent;
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps) ++maps_by_exponent[m.exponent];
  if (maps_by_exponent.size() < 2) return {};
  const auto usual =
      std::max_element(maps_by_exponent.begin(), maps_by_exponent.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  long total = 0;
  for (const auto& [exponent, count] : maps_by_exponent) total += count;
  std::vector<std::string> notes;
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps)
      if (m.exponent != usual->first) {
        const std::string where = m.exponent_line > 0
                                      ? f.path + ":" + std::to_string(m.exponent_line) + ": "
                                      : f.path + ": no EXPONENT record, so ";
        notes.push_back(where + "EXPONENT " + std::to_string(m.exponent) +
                        " differs from EXPONENT " + std::to_string(usual->first) + " of " +
                        std::to_string(usual->second) + " of the series' " + std::to_string(total) +
                        " maps: its TEC may be off by a power of ten; check that file");
        break;
      }
  return notes;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

struct Pick {
  int file = -1, map = -1;
  bool in_own_day = false;  // the map's UTC day is its file's day
};

}  // namespace

IonexSeries assemble_series(const std::vector<IonexFile>& files, TimeS start, TimeS end) {
  if (files.empty()) throw InputError("assemble_series: no IONEX files were given");
  IonexSeries series;
  std::vector<Layout> layouts;
  for (const IonexFile& f : files) {
    layouts.push_back(series_layout(f.grid));
    if (!same_grid(layouts.back().grid, layouts.front().grid))
      throw InputError(f.path, 0,
                       "grid (" + describe(layouts.back().grid) + ") differs from the grid of " +
                           files.front().path + " (" + describe(layouts.front().grid) +
                           "): every file of a series must share one grid");
    series.sources.push_back(f.path);
  }
  series.grid = layouts.front().grid;

  TimeS first = std::numeric_limits<TimeS>::max(), last = std::numeric_limits<TimeS>::min();
  bool any_rms = false;
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps) {
      first = std::min(first, m.epoch), last = std::max(last, m.epoch);
      any_rms = any_rms || !m.rms.empty();
    }
  if (first > last) throw InputError(files.front().path, 0, "no TEC map in any input file");
  series.notes = exponent_notes(files);

  const TimeS step = series_cadence(files);
  for (const IonexFile& f : files)
    for (const IonexMap& m : f.maps)
      if ((m.epoch - first) % step != 0)
        throw InputError(f.path, 0,
                         "map epoch " + format_iso(m.epoch) + " is not on the " +
                             std::to_string(step) + " s cadence (INTERVAL) of the series that " +
                             "starts at " + format_iso(first));

  // The axis keeps the phase of the maps; a requested start is moved up onto it.
  series.step = step;
  series.start = start == 0 ? first : first + (floor_div(start - first - 1, step) + 1) * step;
  const TimeS axis_end = end == 0 ? last : end;
  if (axis_end < series.start)
    throw InputError("assemble_series: the time window " + format_iso(series.start) + " .. " +
                     format_iso(axis_end) + " holds no epoch of the " + std::to_string(step) +
                     " s axis");
  const size_t cells = static_cast<size_t>(series.grid.nlat) * series.grid.nlon;
  if (static_cast<double>(axis_end - series.start) / static_cast<double>(step) >= kMaxSlots)
    throw InputError("assemble_series: the time window " + format_iso(series.start) + " .. " +
                     format_iso(axis_end) + " holds more than " + std::to_string(kMaxSlots) +
                     " epochs of " + std::to_string(step) + " s");
  series.ntime = static_cast<long>((axis_end - series.start) / step) + 1;
  if (static_cast<double>(series.ntime) * static_cast<double>(cells) > kMaxSeriesValues)
    throw InputError("assemble_series: the time window " + format_iso(series.start) + " .. " +
                     format_iso(axis_end) + " is too long for one in-memory series");

  // Choose one map per slot: a map inside its own file's UTC day beats a map that spills over
  // (the 24:00 map of day D vs 00:00 of day D+1); otherwise the first file given wins.
  std::vector<Pick> picks(static_cast<size_t>(series.ntime));
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const IonexFile& f = files[fi];
    if (f.maps.empty()) continue;
    TimeS file_first = f.maps.front().epoch;
    for (const IonexMap& m : f.maps) file_first = std::min(file_first, m.epoch);
    const int64_t file_day = floor_div(file_first, kDay);
    for (size_t mi = 0; mi < f.maps.size(); ++mi) {
      const TimeS epoch = f.maps[mi].epoch;
      if (epoch < series.start || epoch > axis_end) continue;
      Pick candidate{static_cast<int>(fi), static_cast<int>(mi),
                     floor_div(epoch, kDay) == file_day};
      Pick& slot = picks[static_cast<size_t>((epoch - series.start) / step)];
      if (slot.file >= 0) {
        ++series.gaps.duplicate_epochs;
        if (!(candidate.in_own_day && !slot.in_own_day)) continue;
      }
      slot = candidate;
    }
  }

  const float nan = std::numeric_limits<float>::quiet_NaN();
  series.tec.assign(static_cast<size_t>(series.ntime) * cells, nan);
  if (any_rms) series.rms.assign(series.tec.size(), nan);
  GapReport& gaps = series.gaps;
  for (long t = 0; t < series.ntime; ++t) {
    const Pick& pick = picks[static_cast<size_t>(t)];
    if (pick.file < 0) {
      const TimeS epoch = series.start + t * step;
      if (gaps.missing_epochs++ == 0) gaps.first_gap = epoch;
      gaps.last_gap = epoch;
      continue;
    }
    const Layout& layout = layouts[static_cast<size_t>(pick.file)];
    const IonexMap& map = files[static_cast<size_t>(pick.file)].maps[static_cast<size_t>(pick.map)];
    const int file_nlon = files[static_cast<size_t>(pick.file)].grid.nlon;
    for (int i = 0; i < series.grid.nlat; ++i) {
      const size_t src = static_cast<size_t>(layout.src_row[static_cast<size_t>(i)]) * file_nlon;
      const size_t dst = (static_cast<size_t>(t) * series.grid.nlat + i) * series.grid.nlon;
      for (int j = 0; j < series.grid.nlon; ++j) {
        const size_t col = static_cast<size_t>(layout.src_col[static_cast<size_t>(j)]);
        series.tec[dst + j] = map.tec[src + col];
        if (!map.rms.empty()) series.rms[dst + j] = map.rms[src + col];
      }
    }
  }

  // Whole UTC days of the axis without a single map.
  for (long t = 0; t < series.ntime;) {
    const int64_t day = floor_div(series.start + t * step, kDay);
    bool any_map = false;
    for (; t < series.ntime && floor_div(series.start + t * step, kDay) == day; ++t)
      any_map = any_map || picks[static_cast<size_t>(t)].file >= 0;
    if (!any_map) ++gaps.missing_days;
  }
  return series;
}

int64_t ionex_file_day(const IonexFile& file) {
  if (file.maps.empty()) throw InputError(file.path, 0, "no TEC map in the file");
  TimeS first = file.maps.front().epoch;
  for (const IonexMap& m : file.maps) first = std::min(first, m.epoch);
  return floor_div(first, kDay);
}

void require_same_maps(const IonexFile& first, const IonexFile& second) {
  bool same = same_grid(first.grid, second.grid) && first.maps.size() == second.maps.size();
  for (size_t k = 0; same && k < first.maps.size(); ++k) {
    const IonexMap &a = first.maps[k], &b = second.maps[k];
    same = a.epoch == b.epoch && same_floats(a.tec, b.tec) && same_floats(a.rms, b.rms);
  }
  if (!same)
    throw InputError(second.path, 0,
                     "holds the same UTC day (" + format_date(ionex_file_day(second) * kDay) +
                         ") as " + first.path +
                         " but different maps: expected one IONEX file per day (identical "
                         "copies are read once); remove one of the two");
}

void require_same_maps(const std::string& first_path, const std::string& second_path) {
  require_same_maps(read_ionex(first_path), read_ionex(second_path));
}

std::vector<IonexFile> one_file_per_day(std::vector<IonexFile> files) {
  std::vector<IonexFile> kept;
  std::map<int64_t, size_t> kept_by_day;
  for (IonexFile& f : files) {
    if (f.maps.empty()) {  // no day; assemble_series says when no file has a map
      kept.push_back(std::move(f));
      continue;
    }
    const auto [at, fresh] = kept_by_day.emplace(ionex_file_day(f), kept.size());
    if (fresh)
      kept.push_back(std::move(f));
    else
      require_same_maps(kept[at->second], f);
  }
  return kept;
}

}  // namespace tecscan
