// tecscan: seismo-ionospheric anomaly scanner. Subcommands live in cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "tecscan/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "tecscan " TECSCAN_VERSION
      " - scan Global Ionospheric Maps for TEC anomalies before earthquakes.\n\n"
      "Typical session:\n"
      "  tecscan catalog --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --min-mag 7\n"
      "  tecscan ingest  --ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt \\\n"
      "                  --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv \\\n"
      "                  --event-id usp000a7m5 --out cube.h5\n"
      "  tecscan scan    --cube cube.h5 --config configs/default.toml --out runs/elsalvador\n"
      "  tecscan plot    runs/elsalvador          (maps, paper-style figures, report.html)\n"
      "Run 'tecscan <command> --help' for each command's options.",
      "tecscan"};
  app.set_version_flag("--version", std::string("tecscan ") + TECSCAN_VERSION);
  app.require_subcommand(1);
  std::vector<tecscan::cli::Command> commands = {
      tecscan::cli::add_catalog(app), tecscan::cli::add_indices(app),
      tecscan::cli::add_ingest(app),  tecscan::cli::add_scan(app),
      tecscan::cli::add_plot(app),    tecscan::cli::add_archive(app),
      tecscan::cli::add_merge(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version succeed; every usage error exits 2, as every input error does
    // (CLI11's own codes 100-120 are not the contract README states).
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
    std::fprintf(stderr, "tecscan: no command given (see --help)\n");
    return 2;
  } catch (const tecscan::InputError& e) {
    std::fprintf(stderr, "tecscan: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tecscan: failed: %s\n", e.what());
    return 1;
  }
}
