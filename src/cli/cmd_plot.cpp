// tecscan plot: maps, the paper's Figures 2, 3 and 6, and report.html of a scan run directory.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/plot.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

namespace {
struct PlotArgs {
  std::string run_dir, model, node, days = "-15:0";
  PlotOptions options;
};
}  // namespace

Command add_plot(CLI::App& app) {
  auto a = std::make_shared<PlotArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plot",
      "Draw the figures of a run directory with GMT (gmt >= 6 must be installed) and write "
      "<run_dir>/report.html: first the significance of the precursor window (daily anomaly "
      "rate per detector against days to the event with the control band, p and z) and, for "
      "runs scanned with --inject, the sensitivity curves (recall against amplitude); then "
      "anomaly maps per detector and for the consensus, a sheet of all "
      "maps, day x UTC-hour images at one node (the paper's Figure 3), the Kp/Ap/Dst/F10.7 "
      "panels (Figure 2) and observed vs predicted TEC per detector (Figure 6).\n"
      "Figures go to <run_dir>/figures/*.png (and .pdf with --pdf).\n"
      "Examples:\n"
      "  tecscan plot runs/ev1\n"
      "  tecscan plot runs/ev1 --model lstm --node 12.5,-90 --days -30:1 --pdf");
  cmd->add_option("run_dir", a->run_dir, "run directory written by 'tecscan scan'")->required();
  cmd->add_option("--model", a->model,
                  "one detector (" + model_names(", ") +
                      ", median-iqr, ar) or 'consensus'; default every detector and the "
                      "consensus. Also the detector of the node figures (default the first "
                      "network)");
  cmd->add_option("--node", a->node,
                  "lat,lon: node figures at the grid node nearest this point (default the "
                  "epicentre)");
  cmd->add_option("--days", a->days,
                  "d1:d2 window in days relative to the event; maps count quiet anomalies in it")
      ->default_val("-15:0");
  cmd->add_option("--consensus-min", a->options.consensus_min,
                  "consensus map: epochs flagged by at least this many detectors (default the "
                  "scan's [significance] consensus_min; a majority for runs of older versions)")
      ->check(in_range(NumberRange{0, 100, false, false, true}));
  cmd->add_option("--dpi", a->options.dpi, "PNG resolution")
      ->default_val(150)
      ->check(in_range(NumberRange{10, 2400, false, false, true}));
  cmd->add_flag("--pdf", a->options.pdf, "a PDF beside every PNG");
  cmd->add_flag("--keep-work", a->options.keep_work,
                "keep <run_dir>/figures/work (the GMT scripts and their data)");
  return {cmd, [a] {
            PlotOptions o = a->options;
            o.model = a->model;
            parse_day_window(a->days, o.day_from, o.day_to);
            if (!a->node.empty()) {
              parse_node(a->node, o.node_lat, o.node_lon);
              o.has_node = true;
            }
            PlotResult r = plot_run(a->run_dir, o);
            for (const auto& f : r.figures) std::printf("%s\n", f.c_str());
            std::printf("report: %s\n", r.report.c_str());
            return 0;
          }};
}

}  // namespace tecscan::cli
