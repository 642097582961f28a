// One function per `tecscan` subcommand: each adds its options to the app and returns what to
// run when that subcommand is chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

#include "tecscan/validate.hpp"

namespace tecscan::cli {

struct Command {
  CLI::App* app;             // the subcommand, to know whether it was chosen
  std::function<int()> run;  // exit status
};

// A CLI11 check with tecscan's number rule (validate.hpp): the value must be a number in
// `range`; NaN and infinities never pass. The message names the option and the range.
inline CLI::Validator in_range(const NumberRange& range) {
  return CLI::Validator([range](std::string& text) { return number_range_error(text, range); },
                        range.describe(), "RANGE");
}

Command add_ingest(CLI::App& app);
Command add_indices(CLI::App& app);
Command add_catalog(CLI::App& app);
Command add_scan(CLI::App& app);
Command add_plot(CLI::App& app);
Command add_archive(CLI::App& app);
Command add_merge(CLI::App& app);
Command add_fetch(CLI::App& app);

}  // namespace tecscan::cli
