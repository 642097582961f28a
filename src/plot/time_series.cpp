// The paper's Figure 6: observed and predicted TEC at one node, one panel per detector, with
// the quiet anomalies marked.
#include <sstream>

#include "plot_internal.hpp"
#include "series_text.hpp"

namespace tecscan::plot {

std::vector<std::string> plot_time_series(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  const size_t nt = run.ntime, base = ctx.node * nt;
  const float* observed = run.observed.data() + base;
  GmtFigure fig("fig6_series", ctx.fig_dir, ctx.work_dir, o);
  const std::string obs_file =
      fig.data("observed.txt", series_text(run.days, observed, o.day_from, o.day_to + 1));
  const std::string legend = fig.data(
      "legend.txt",
      "N 3\nS 0.3c - 0.5c - 1p,black 0.65c observed\nS 0.3c - 0.5c - 1p,red 0.65c predicted\n"
      "S 0.3c c 0.18c - 0.8p,215/25/28 0.65c quiet anomaly\n");
  const int rows = static_cast<int>(run.detectors.size());
  fig << "gmt subplot begin " + std::to_string(rows) +
             "x1 -Fs16c/2.6c -M0.1c/0.2c -Scb+l\"Days relative to the event (" +
             run.event_time_text.substr(0, 16) + " UTC)\" -Srl+l\"TEC (TECU)\" " + kPanelTags +
             " -T\"TEC at " + position_text(run.node_lat[ctx.node], run.node_lon[ctx.node]) + ", " +
             fmt(run.node_distance_km[ctx.node], 0) + " km from the epicentre\"";
  for (int i = 0; i < rows; ++i) {
    const DetectorArrays& d = run.detectors[static_cast<size_t>(i)];
    const float* predicted = d.predicted.data() + base;
    auto [lo, hi] = value_range<float>(run.days, {observed, predicted}, o.day_from, o.day_to + 1);
    std::ostringstream marks;
    for (size_t t = 0; t < nt; ++t)
      if (d.anomaly[base + t] && run.days[t] >= o.day_from && run.days[t] <= o.day_to + 1)
        marks << fmt(run.days[t]) << " " << fmt(observed[t]) << "\n";
    const std::string pred_file = fig.data(
        d.name + "_predicted.txt", series_text(run.days, predicted, o.day_from, o.day_to + 1));
    const std::string mark_file = fig.data(d.name + "_anomalies.txt", marks.str());
    fig << "gmt subplot set " + std::to_string(i) + " -A\"" + d.name + "\"";
    fig << "gmt basemap -R" + fmt(o.day_from) + "/" + fmt(o.day_to + 1) + "/" + fmt(lo, 2) + "/" +
               fmt(hi, 2) + " -JX16c/2.6c " + day_axis(o.day_to + 1 - o.day_from) + " -Byaf";
    fig << "printf '0 " + fmt(lo, 2) + "\\n0 " + fmt(hi, 2) + "\\n' | gmt plot -W1p,royalblue";
    fig << "gmt plot " + obs_file + " -W0.9p,black";
    fig << "gmt plot " + pred_file + " -W0.7p,red";
    fig << "gmt plot " + mark_file + " -Sc0.18c -W0.8p,215/25/28";
    if (i == 0) fig << "gmt legend " + legend + " -DJTR+jBR+w9c+o0/0.1c -F+gwhite+p0.3p";
  }
  fig << "gmt subplot end";
  return fig.render();
}

}  // namespace tecscan::plot
