// tecscan catalog: the selected events, numbered as --event-index refers to them.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "selection_args.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

namespace {
struct CatalogArgs {
  std::string file;
  SelectionArgs selection;
  bool count = false;
};
}  // namespace

Command add_catalog(CLI::App& app) {
  auto a = std::make_shared<CatalogArgs>();
  CLI::App* cmd = app.add_subcommand(
      "catalog",
      "List the earthquakes of a USGS ComCat CSV that pass the filters, in the stable order "
      "(origin time, then id) that numbers them for batch runs.\nExamples:\n  tecscan catalog "
      "--catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --min-mag 7\n"
      "  tecscan catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --start 2001-01-01");
  // The file as --catalog (like ingest and scan) or as the one argument (like plot and merge).
  CLI::Option* named = cmd->add_option("--catalog", a->file, "USGS ComCat CSV");
  cmd->add_option("catalog", a->file, "or the USGS ComCat CSV as the argument")->excludes(named);
  cmd->callback([a] {
    if (a->file.empty()) throw CLI::RequiredError("--catalog (or the catalogue as the argument)");
  });
  add_selection_options(*cmd, a->selection, "Filters", "");
  cmd->add_flag("--count", a->count,
                "print only the number of selected events (to size a job array: "
                "--array=0-<count-1>)");
  return {cmd, [a] {
            require_regular_file(a->file, "a ComCat CSV catalogue");
            std::vector<Event> events = select_events(read_comcat(a->file), a->selection.filter());
            if (a->count) {
              std::printf("%zu\n", events.size());
              return 0;
            }
            std::printf("%5s  %-14s %-20s %8s %9s %5s %6s  %s\n", "index", "id", "time_utc", "lat",
                        "lon", "mag", "depth", "place");
            for (size_t i = 0; i < events.size(); ++i) {
              const Event& e = events[i];
              std::printf("%5zu  %-14s %-20s %8.3f %9.3f %5.1f %6.1f  %s\n", i, e.id.c_str(),
                          format_iso(e.time).c_str(), e.lat, e.lon, e.mag, e.depth_km,
                          e.place.c_str());
            }
            std::fprintf(stderr, "%zu events selected (array indices 0..%zu)\n", events.size(),
                         events.empty() ? 0 : events.size() - 1);
            return 0;
          }};
}

}  // namespace tecscan::cli
