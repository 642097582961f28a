// One function per `tecscan` subcommand: each adds its options to the app and returns what to
// run when that subcommand is chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace tecscan::cli {

struct Command {
  CLI::App* app;             // the subcommand, to know whether it was chosen
  std::function<int()> run;  // exit status
};

Command add_ingest(CLI::App& app);
Command add_indices(CLI::App& app);
Command add_catalog(CLI::App& app);
Command add_scan(CLI::App& app);
Command add_plot(CLI::App& app);
Command add_archive(CLI::App& app);
Command add_merge(CLI::App& app);

}  // namespace tecscan::cli
