// IONEX 1.0/1.1 reader (plain, .Z, .gz by content) and the assembly of daily files into one
// regular time axis.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/time.hpp"

namespace tecscan {

// Grid of a map. Latitudes run lat1 -> lat2 in steps dlat (usually 87.5 -> -87.5, -2.5);
// longitudes lon1 -> lon2 in steps dlon (usually -180 -> 180, 5).
struct IonexGrid {
  double lat1 = 0, lat2 = 0, dlat = 0;
  double lon1 = 0, lon2 = 0, dlon = 0;
  double height_km = 0;
  int nlat = 0, nlon = 0;
  double lat(int i) const { return lat1 + i * dlat; }
  double lon(int j) const { return lon1 + j * dlon; }
};

struct IonexMap {
  TimeS epoch = 0;
  std::vector<float> tec;  // [nlat * nlon] row = latitude, TECU, NaN = 9999 (missing)
  std::vector<float> rms;  // same layout, empty when the file has no RMS map for this epoch
  int exponent = -1;       // the EXPONENT its TEC values were scaled by
  long exponent_line = 0;  // the line of that EXPONENT record (0: none, the default -1)
};

// Vertical TEC a map may hold, in TECU. GIMs peak near 200 TECU at solar maximum (the bundled
// Nov 2000 JPL maps reach 169); 400 leaves room for any storm and still catches a value scaled
// ten times too large (EXPONENT 0 for -1). A fitted map may dip a few tenths below zero at
// night; below -1 TECU it is no fit but a wrong value (a raw -9999 read as a number).
constexpr double kMinPlausibleTec = -1.0;
constexpr double kMaxPlausibleTec = 400.0;

struct IonexFile {
  std::string path;
  double version = 1.0;
  std::string program, agency, mapping_function;
  int interval_s = 0;  // INTERVAL (0 when the header leaves it out)
  TimeS first_epoch = 0, last_epoch = 0;
  int exponent = -1;  // header EXPONENT (maps may override)
  IonexGrid grid;
  std::vector<IonexMap> maps;  // in file order, RMS attached to the TEC map of the same epoch
};

// Reads bytes, undoing gzip or Unix compress (.Z) when the magic bytes say so.
std::string read_file_decompressed(const std::string& path);

// Parses IONEX text. Throws InputError(name, line, what was expected).
// MAP DIMENSION 3 or several heights: rejected with a clear error. A TEC value outside
// kMinPlausibleTec..kMaxPlausibleTec (9999 = no value is not a value) and a file whose TEC
// maps hold no value at all are input errors too.
IonexFile parse_ionex(const std::string& text, const std::string& name);
IonexFile read_ionex(const std::string& path);

// Files, directories (every regular file inside, sorted) and shell globs -> sorted file list.
// Throws InputError when a pattern matches nothing.
std::vector<std::string> expand_inputs(const std::vector<std::string>& patterns);

struct GapReport {
  long missing_epochs = 0;  // epochs on the axis with no map at all
  long missing_days = 0;    // whole UTC days with no map
  TimeS first_gap = 0, last_gap = 0;
  long duplicate_epochs = 0;  // 24:00 of day D vs 00:00 of day D+1 (and any other repeat)
};

// A regular time series of global maps. The +180 deg column (a copy of -180) is dropped, so
// grid.nlon is 72 for a 5 deg grid and grid.lon2 = 175.
struct IonexSeries {
  IonexGrid grid;
  TimeS start = 0, step = 0;
  long ntime = 0;
  std::vector<float> tec;  // [ntime][nlat][nlon]
  std::vector<float> rms;  // same, or empty when no file had RMS
  std::vector<std::string> sources;
  GapReport gaps;
  // Warnings for the user ("file:line: ..."): a file whose EXPONENT differs from the rest of
  // the series (its values are plausible but may be 10^k times off).
  std::vector<std::string> notes;
  float at(long t, int ilat, int ilon) const {
    return tec[(static_cast<size_t>(t) * grid.nlat + ilat) * grid.nlon + ilon];
  }
};

// Builds the axis start..end (end inclusive when on the cadence) with the cadence of INTERVAL
// (the smallest map spacing when INTERVAL is absent). Files must share one grid.
// Duplicate epochs: the map from the file whose UTC day contains the epoch wins (00:00 of
// day D+1 beats the 24:00 map of day D); the 24:00 map fills in when day D+1 is missing.
// Epochs not on the cadence are an error. start/end default to the first/last map.
IonexSeries assemble_series(const std::vector<IonexFile>& files, TimeS start = 0, TimeS end = 0);

// The UTC day of a daily file: the day of its earliest map.
int64_t ionex_file_day(const IonexFile& file);
// The one-file-per-day rule of ingest and archive: two files of the same UTC day are accepted
// only when they hold the same maps (a copy, or the same file compressed differently);
// otherwise an InputError names both. The path form reads both files.
void require_same_maps(const IonexFile& first, const IonexFile& second);
void require_same_maps(const std::string& first_path, const std::string& second_path);
// Files (sorted by name) -> one per UTC day, the first name of each day kept
// (require_same_maps on every other file of that day).
std::vector<IonexFile> one_file_per_day(std::vector<IonexFile> files);

}  // namespace tecscan
