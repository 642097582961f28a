// The paper's Figure 2: Kp, daily Ap, Dst and F10.7 over the window with the quiet thresholds
// dashed, the non-quiet epochs shaded and the event marked.
#include <sstream>

#include "plot_internal.hpp"
#include "series_text.hpp"

namespace tecscan::plot {

std::vector<std::string> plot_indices(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  const QuietThresholds& q = run.config.quiet;
  struct Panel {
    std::string key, label;
    const std::vector<float>& values;
    std::vector<double> thresholds;
  };
  const Panel panels[] = {
      {"kp", "Kp", run.kp, {q.kp_max}},
      {"ap", "Ap (daily)", run.ap_daily, {q.ap_max}},
      {"dst", "Dst (nT)", run.dst, {q.dst_min, q.dst_max}},
      {"f107", std::string(q.f107_observed ? "F10.7 observed" : "F10.7 adjusted") + " (sfu)",
       run.f107, {q.f107_max}}};

  // Non-quiet epochs merged into runs, each a rectangle one epoch wide per epoch.
  const double half_step = run.step_hours / 48.0;
  std::vector<std::pair<double, double>> storms;
  for (size_t t = 0; t < run.ntime; ++t) {
    if (run.quiet[t] || run.days[t] < o.day_from || run.days[t] > o.day_to) continue;
    double a = run.days[t] - half_step, b = run.days[t] + half_step;
    if (!storms.empty() && a <= storms.back().second + 1e-9)
      storms.back().second = b;
    else
      storms.push_back({a, b});
  }

  GmtFigure fig("fig2_indices", ctx.fig_dir, ctx.work_dir, o);
  fig << "gmt subplot begin 4x1 -Fs16c/3c -M0.1c/0.2c -Scb+l\"Days relative to the event (" +
             run.event_time_text.substr(0, 16) + " UTC)\" -Srl -T\"Geomagnetic and solar "
             "indices: grey = not quiet, dashed = quiet thresholds\"";
  for (int i = 0; i < 4; ++i) {
    const Panel& p = panels[i];
    const float* v = p.values.data();
    auto [lo, hi] = value_range<float>(run.days, {v}, o.day_from, o.day_to);
    for (double th : p.thresholds) lo = std::min(lo, th - 0.05 * (hi - lo)), hi = std::max(hi, th + 0.05 * (hi - lo));
    std::ostringstream shade, lines;
    for (auto [a, b] : storms)
      shade << ">\n" << fmt(a) << " " << fmt(lo) << "\n" << fmt(b) << " " << fmt(lo) << "\n"
            << fmt(b) << " " << fmt(hi) << "\n" << fmt(a) << " " << fmt(hi) << "\n";
    for (double th : p.thresholds)
      lines << ">\n" << fmt(o.day_from) << " " << fmt(th) << "\n" << fmt(o.day_to) << " " << fmt(th) << "\n";
    lines << ">\n0 " << fmt(lo) << "\n0 " << fmt(hi) << "\n";
    const std::string series = fig.data(p.key + ".txt", series_text(run.days, v, o.day_from, o.day_to));
    const std::string shade_file = fig.data(p.key + "_shade.txt", shade.str());
    const std::string line_file = fig.data(p.key + "_lines.txt", lines.str());
    fig << "gmt subplot set " + std::to_string(i);
    fig << "gmt basemap -R" + fmt(o.day_from) + "/" + fmt(o.day_to) + "/" + fmt(lo, 3) + "/" +
               fmt(hi, 3) + " -JX16c/3c -Bxa1f1 -Byaf+l\"" + p.label + "\"";
    if (!storms.empty()) fig << "gmt plot " + shade_file + " -Ggray85";
    fig << "gmt plot " + line_file + " -W0.9p,215/25/28,--";
    fig << "gmt plot " + series + " -W1p,black";
    fig << "gmt basemap -B";  // frame back on top of the shading
  }
  fig << "gmt subplot end";
  return fig.render();
}

}  // namespace tecscan::plot
