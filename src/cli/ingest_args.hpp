// The inputs that build a regional cube, shared by `tecscan ingest` and `tecscan scan`.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tecscan/ingest.hpp"

namespace tecscan::cli {

struct IngestArgs {
  IngestOptions opt;
  std::string radius = "2000";  // km, or "dobrovolsky"
  // Turns the --radius text into radius_km / dobrovolsky; throws InputError on nonsense.
  IngestOptions resolved() const;
};

// Every file and directory the options read (the given paths and the files they expand to),
// so that no output replaces one of them.
std::vector<std::string> ingest_input_paths(const IngestOptions& o);

// required=false for scan, where --cube can replace these.
void add_ingest_options(CLI::App& cmd, IngestArgs& a);

}  // namespace tecscan::cli
