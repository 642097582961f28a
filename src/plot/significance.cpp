// The report's first figure: the daily anomaly rate of every detector and of the consensus
// against days to the event, with the control band, the precursor window and the window's
// statistics (rate vs control mean, p, z), one panel per detector.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "plot_internal.hpp"

namespace tecscan::plot {

namespace {

// "x y" of the daily rate in percent as steps: bin d covers [d, d + 1), so it is drawn as a
// flat segment over its day; days without a valid node-epoch (NaN) are gaps.
std::string steps_text(const std::vector<int32_t>& day, const std::vector<double>& rate) {
  std::ostringstream s;
  bool in_segment = false;
  for (size_t i = 0; i < day.size(); ++i) {
    if (!std::isfinite(rate[i])) {
      in_segment = false;
      continue;
    }
    if (!in_segment) s << ">\n";
    in_segment = true;
    s << day[i] << " " << fmt(100 * rate[i], 6) << "\n"
      << day[i] + 1 << " " << fmt(100 * rate[i], 6) << "\n";
  }
  return s.str();
}

// A filled rectangle, for gmt plot -G.
std::string box_text(double x0, double x1, double y0, double y1) {
  return fmt(x0) + " " + fmt(y0, 6) + "\n" + fmt(x1) + " " + fmt(y0, 6) + "\n" + fmt(x1) + " " +
         fmt(y1, 6) + "\n" + fmt(x0) + " " + fmt(y1, 6) + "\n";
}

}  // namespace

std::vector<std::string> plot_significance(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  const Significance& sig = *run.significance;
  // --model M: that detector and the consensus; else every detector and the consensus.
  std::vector<const SignificanceSeries*> shown;
  for (const auto& m : sig.series)
    if (o.model.empty() || m.name == o.model || m.name == kConsensusName) shown.push_back(&m);
  if (shown.empty() || sig.day.empty()) return {};

  const double x0 = sig.day.front(), x1 = sig.day.back() + 1.0;
  const double window_from = -sig.window_days;
  const int rows = static_cast<int>(shown.size());
  const std::string height = rows > 6 ? "2.3c" : "3c";
  GmtFigure fig("significance", ctx.fig_dir, ctx.work_dir, o);
  const std::string legend =
      fig.data("legend.txt",
               "N 3\n"
               "S 0.3c - 0.5c - 0.9p,black 0.65c daily anomaly rate\n"
               "S 0.3c - 0.5c - 2p,215/25/28 0.65c precursor-window rate\n"
               "S 0.3c - 0.5c - 1p,black,- 0.65c mean of control windows\n"
               "S 0.3c r 0.5c/0.3c 200/200/200 - 0.65c control days, 5-95 %\n"
               "S 0.3c r 0.5c/0.3c 253/208/162 - 0.65c precursor window (" +
                   fmt(sig.window_days, 0) +
                   " days)\n"
                   "S 0.3c - 0.5c - 1p,royalblue 0.65c event (day 0)\n");
  fig << "gmt subplot begin " + std::to_string(rows) + "x1 -Fs16c/" + height +
             " -M0.1c/0.2c -Scb+l\"Days relative to the event (" +
             run.event_time_text.substr(0, 16) + " UTC), one bin per day\" " +
             "-Srl+l\"Anomaly rate (%)\" " + kPanelTags + " -T\"Anomaly rate of quiet " +
             "node-epochs: " + script_text(run.event_label()) + "\"";
  for (int i = 0; i < rows; ++i) {
    const SignificanceSeries& m = *shown[static_cast<size_t>(i)];
    // The y axis fits every drawn value plus room for the statistics text at the top.
    double top = std::max({m.daily_control_p95, m.window_rate, m.control_mean});
    for (double r : m.daily_rate)
      if (std::isfinite(r)) top = std::max(top, r);
    top = std::isfinite(top) && top > 0 ? 100 * top * 1.35 : 1.0;
    const std::string tag =
        m.name == kConsensusName
            ? "consensus (>= " + std::to_string(sig.consensus_min) + " detectors)"
            : m.name + " (|DTEC| > " + fmt(m.threshold, 2) + ")";
    // Short enough to sit beside the tag; the 5-95 % band of the controls is in the report.
    const std::string stats = "window " + percent(m.window_rate) + " vs controls " +
                              percent(m.control_mean) + "   p = " + p_text(m.p_value) +
                              "   z = " + (std::isfinite(m.z) ? fmt(m.z, 2) : "n/a") + "   (" +
                              std::to_string(m.n_controls) + " controls)";
    const std::string key = std::to_string(i);
    const std::string window_box =
        fig.data("window" + key + ".txt", box_text(window_from, 0, 0, top));
    const std::string band_box =
        fig.data("band" + key + ".txt",
                 box_text(x0, x1, 100 * m.daily_control_p05, 100 * m.daily_control_p95));
    const std::string rate_file =
        fig.data("rate" + key + ".txt", steps_text(sig.day, m.daily_rate));
    fig << "gmt subplot set " + key + " -A\"" + script_text(tag) + "\"";
    fig << "gmt basemap -R" + fmt(x0) + "/" + fmt(x1) + "/0/" + fmt(top, 6) + " -JX16c/" + height +
               " " + day_axis(x1 - x0) + " -Byaf";
    fig << "gmt plot " + window_box + " -G253/208/162";
    if (std::isfinite(m.daily_control_p05) && std::isfinite(m.daily_control_p95))
      fig << "gmt plot " + band_box + " -G200/200/200 -t35";
    if (std::isfinite(m.control_mean))
      fig << "printf -- '" + fmt(x0) + " " + fmt(100 * m.control_mean, 6) + "\\n" + fmt(x1) + " " +
                 fmt(100 * m.control_mean, 6) + "\\n' | gmt plot -W1p,black,-";
    fig << "gmt plot " + rate_file + " -W0.9p,black";
    if (std::isfinite(m.window_rate))
      fig << "printf -- '" + fmt(window_from) + " " + fmt(100 * m.window_rate, 6) + "\\n0 " +
                 fmt(100 * m.window_rate, 6) + "\\n' | gmt plot -W2p,215/25/28";
    fig << "printf -- '0 0\\n0 " + fmt(top, 6) + "\\n' | gmt plot -W1p,royalblue";
    fig << "echo \"" + script_text(stats) +
               "\" | gmt text -F+cTR+f8p -Dj0.1c/0.1c -Gwhite@20 -C0.05c";
    // Below the last panel's axis label: above the first it would cover the figure's title.
    if (i == rows - 1) fig << "gmt legend " + legend + " -DJBC+jTC+w15c+o0/1.3c -F+gwhite+p0.3p";
  }
  fig << "gmt subplot end";
  return fig.render();
}

}  // namespace tecscan::plot
