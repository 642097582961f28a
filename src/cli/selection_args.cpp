#include "selection_args.hpp"

#include "commands.hpp"

namespace tecscan::cli {

CatalogFilter SelectionArgs::filter() const {
  CatalogFilter f;
  f.min_mag = min_mag;
  if (!start.empty()) f.start = parse_iso_time(start, "--start");
  if (!end.empty()) f.end = parse_iso_time(end, "--end");
  return f;
}

void add_selection_options(CLI::App& cmd, SelectionArgs& a, const std::string& group,
                           const std::string& what) {
  cmd.add_option("--min-mag", a.min_mag, what + "smallest magnitude selected")
      ->check(in_range(kMagnitudeRange))
      ->group(group);
  cmd.add_option("--start", a.start, what + "first origin time selected (UTC)")->group(group);
  cmd.add_option("--end", a.end, what + "origin times before this are selected (UTC)")
      ->group(group);
}

}  // namespace tecscan::cli
