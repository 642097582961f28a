// tecscan ingest: IONEX + indices + event -> regional HDF5 cube.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "ingest_args.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/error.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

Command add_ingest(CLI::App& app) {
  auto args = std::make_shared<IngestArgs>();
  auto out = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Build the regional HDF5 cube of one event: TEC at every grid node within the radius, on "
      "one regular time axis, with the solar-geomagnetic indices on the same axis.\n"
      "Example:\n  tecscan ingest --ionex data/ionex/jpl-2000-2001 --indices "
      "data/indices/SW-All.txt data/indices/dst2000.txt \\\n"
      "    --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --out elsalvador.h5\n"
      "From a global archive (tecscan archive), reading only the window and the region's "
      "rows:\n  tecscan ingest --archive jpl.h5 --indices data/indices/SW-All.txt \\\n"
      "    --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --out elsalvador.h5");
  add_ingest_options(*cmd, *args);
  cmd->add_option("--out,-o", *out, "output cube (HDF5), written atomically")->required();
  return {cmd, [args, out] {
            IngestOptions o = args->resolved();
            require_output_not_input(*out, ingest_input_paths(o), "--out");
            Cube cube = build_cube(o);
            write_cube(*out, cube);
            long missing = 0;
            for (float v : cube.tec) missing += v != v;
            std::fprintf(
                stderr, "wrote %s: %zu nodes x %zu epochs (%s .. %s), %ld missing values\n",
                out->c_str(), cube.nnode(), cube.ntime(), format_iso(cube.time.front()).c_str(),
                format_iso(cube.time.back()).c_str(), missing);
            return 0;
          }};
}

}  // namespace tecscan::cli
