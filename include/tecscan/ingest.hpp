// IONEX files + index files + an event -> the regional cube (what `tecscan ingest` does).
#pragma once
#include <string>
#include <vector>

#include "tecscan/cube.hpp"

namespace tecscan {

struct IngestOptions {
  std::vector<std::string> ionex;  // files, directories, globs
  std::string archive;             // or a global archive (tecscan archive); exactly one of the two
  std::vector<std::string> indices;  // index files; earlier ones take precedence
  std::string catalog;               // ComCat CSV (with event_id)
  std::string event_id;
  std::string event_spec;  // or "time,lat,lon[,mag[,depth]]"
  double radius_km = 2000;
  bool dobrovolsky = false;  // radius = 10^(0.43 M) km instead
  double days_before = 60, days_after = 7;
  bool verbose = true;  // report gaps and coverage on stderr
};

// The event from a catalogue id or an explicit spec (exactly one must be given).
Event resolve_event(const IngestOptions& o);

// The window [event - days_before, event + days_after] is clipped to the IONEX data present
// (with a note on stderr); missing days inside it become NaN and are reported.
// With `archive` set, the maps come from the archive (only the region's latitude rows of the
// window are read) and the cube is the same as the one built from the archived IONEX files.
Cube build_cube(const IngestOptions& o);

}  // namespace tecscan
