// The paper's Figure 2: Kp, daily Ap, Dst and F10.7 over the window with the quiet thresholds
// dashed, the non-quiet epochs shaded and the event marked.
#include <algorithm>
#include <cmath>
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
      {"f107",
       std::string(q.f107_observed ? "F10.7 observed" : "F10.7 adjusted") + " (sfu)",
       run.f107,
       {q.f107_max}}};

  const double x_hi = o.day_to + 1;  // a day past the window: the event and its aftermath
  // Non-quiet epochs merged into runs, each a rectangle one epoch wide per epoch.
  const double half_step = run.step_hours / 48.0;
  std::vector<std::pair<double, double>> storms;
  for (size_t t = 0; t < run.ntime; ++t) {
    if (run.quiet[t] || run.days[t] < o.day_from || run.days[t] > x_hi) continue;
    double a = run.days[t] - half_step, b = run.days[t] + half_step;
    if (!storms.empty() && a <= storms.back().second + 1e-9)
      storms.back().second = b;
    else
      storms.push_back({a, b});
  }

  GmtFigure fig("fig2_indices", ctx.fig_dir, ctx.work_dir, o);
  fig << "gmt subplot begin 4x1 -Fs16c/3c -M0.1c/0.2c -Scb+l\"Days relative to the event (" +
             run.event_time_text.substr(0, 16) + " UTC)\" -Srl " + day_axis(x_hi - o.day_from) +
             " -Byaf -T\"Geomagnetic and solar indices: "
             "grey = not quiet, dashed = quiet thresholds, blue = event\"";
  for (int i = 0; i < 4; ++i) {
    const Panel& p = panels[i];
    const float* v = p.values.data();
    auto [lo, hi] = value_range<float>(run.days, {v}, o.day_from, x_hi);
    std::vector<double> thresholds;  // an infinite one (a criterion switched off) is not drawn
    for (double th : p.thresholds)
      if (std::isfinite(th)) thresholds.push_back(th);
    for (double th : thresholds) {
      const double pad = 0.05 * (hi - lo);
      lo = std::min(lo, th - pad);
      hi = std::max(hi, th + pad);
    }
    std::ostringstream shade, lines;
    for (auto [a, b] : storms)
      shade << ">\n"
            << fmt(a) << " " << fmt(lo) << "\n"
            << fmt(b) << " " << fmt(lo) << "\n"
            << fmt(b) << " " << fmt(hi) << "\n"
            << fmt(a) << " " << fmt(hi) << "\n";
    for (double th : thresholds)
      lines << ">\n"
            << fmt(o.day_from) << " " << fmt(th) << "\n"
            << fmt(x_hi) << " " << fmt(th) << "\n";
    std::ostringstream event;
    event << "0 " << fmt(lo) << "\n0 " << fmt(hi) << "\n";
    const std::string series_data = series_text(run.days, v, o.day_from, x_hi);
    const std::string series = fig.data(p.key + ".txt", series_data);
    const std::string event_file = fig.data(p.key + "_event.txt", event.str());
    const std::string shade_file = fig.data(p.key + "_shade.txt", shade.str());
    const std::string line_file = fig.data(p.key + "_lines.txt", lines.str());
    fig << "gmt subplot set " + std::to_string(i);
    const std::string frame = "gmt basemap -R" + fmt(o.day_from) + "/" + fmt(x_hi) + "/" +
                              fmt(lo, 3) + "/" + fmt(hi, 3) + " -JX16c/3c -Byaf+l\"" + p.label +
                              "\"";
    fig << frame;
    if (!storms.empty()) fig << "gmt plot " + shade_file + " -Ggray85";
    fig << "gmt plot " + line_file + " -W0.9p,215/25/28,--";
    fig << "gmt plot " + event_file + " -W1p,royalblue";
    fig << "gmt plot " + series + " -W1p,black";
    if (series_data.empty())
      fig << "echo " + fmt((o.day_from + x_hi) / 2) + " " + fmt((lo + hi) / 2) +
                 " no data | gmt text -F+f11p,Helvetica,gray30";
    fig << frame;  // the frame again, on top of the shading
  }
  fig << "gmt subplot end";
  return fig.render();
}

}  // namespace tecscan::plot
