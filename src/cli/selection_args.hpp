// The catalogue filters of `tecscan catalog` and batch `tecscan scan`: one definition, so the
// indices `catalog` prints are the ones `scan --event-index` runs.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "tecscan/catalog.hpp"

namespace tecscan::cli {

struct SelectionArgs {
  std::string start, end;
  double min_mag = -10;
  bool any() const { return min_mag > -10 || !start.empty() || !end.empty(); }
  // Throws InputError on an unparsable --start / --end.
  CatalogFilter filter() const;
};

// --min-mag, --start, --end in `group`; `what` prefixes the help ("batch mode: ").
void add_selection_options(CLI::App& cmd, SelectionArgs& a, const std::string& group,
                           const std::string& what);

}  // namespace tecscan::cli
