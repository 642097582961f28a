// tecscan scan (filled in once the pipeline lands).
#include "commands.hpp"

namespace tecscan::cli {

Command add_scan(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("scan", "Train the predictors and flag anomalies");
  return {cmd, [] { return 1; }};
}

}  // namespace tecscan::cli
