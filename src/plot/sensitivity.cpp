// Injection-recovery curves (scan --inject): recall against the injected amplitude for every
// detector and the consensus, with the false-alarm rate of the same boxes in the clean run.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "plot_internal.hpp"

namespace tecscan::plot {

std::vector<std::string> plot_sensitivity(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  // Detectors in the CSV's order (config order, then the consensus).
  std::vector<std::string> names;
  double amp_min = INFINITY, amp_max = 0;
  for (const auto& r : run.sensitivity) {
    if (std::find(names.begin(), names.end(), r.detector) == names.end())
      names.push_back(r.detector);
    if (r.amplitude > 0) amp_min = std::min(amp_min, 100 * r.amplitude);
    amp_max = std::max(amp_max, 100 * r.amplitude);
  }
  if (names.empty()) return {};
  // Amplitudes that grow geometrically (the default 5, 10, 20, 40 %) read best on a log axis.
  const bool log_axis = amp_max >= 8 * amp_min;
  const std::string x_range = log_axis ? fmt(amp_min / 1.3, 6) + "/" + fmt(amp_max * 1.3, 6)
                                       : "0/" + fmt(amp_max > 0 ? amp_max * 1.08 : 1, 6);

  // Colours that stay apart (Tableau 10) and a symbol each, so the curves read in grey too; the
  // consensus black.
  static const char* colours[] = {"31/119/180",  "255/127/14", "44/160/44",   "214/39/40",
                                  "148/103/189", "140/86/75",  "227/119/194", "127/127/127",
                                  "188/189/34",  "23/190/207"};
  static const char* symbols[] = {"c", "s", "t", "d", "i", "h", "n", "a", "g", "c"};
  const int consensus_min = run.significance ? run.significance->consensus_min : ctx.consensus_min;
  const InjectConfig& inj = run.config.inject;

  GmtFigure fig("sensitivity", ctx.fig_dir, ctx.work_dir, o);
  std::ostringstream legend;
  legend << "H 10p,Helvetica-Bold detector (anomaly rule)\n";
  std::vector<std::string> commands;
  for (size_t i = 0; i < names.size(); ++i) {
    const bool consensus = names[i] == kConsensusName;
    const std::string colour = consensus ? "black" : colours[i % 10];
    const std::string symbol = consensus ? "c" : symbols[i % 10];
    std::ostringstream recall, false_alarms;
    double threshold = std::nan("");
    for (const auto& r : run.sensitivity)
      if (r.detector == names[i]) {
        recall << fmt(100 * r.amplitude, 6) << " " << fmt(r.recall, 6) << "\n";
        false_alarms << fmt(100 * r.amplitude, 6) << " " << fmt(r.false_alarm_rate, 6) << "\n";
        threshold = r.threshold;
      }
    const std::string key = std::to_string(i);
    const std::string recall_file = fig.data("recall" + key + ".txt", recall.str());
    const std::string fa_file = fig.data("false_alarms" + key + ".txt", false_alarms.str());
    const std::string width = consensus ? "1.8p" : "1.2p";
    commands.push_back("gmt plot " + fa_file + " -W0.8p," + colour + ",-");
    commands.push_back("gmt plot " + fa_file + " -S" + symbol + "0.14c -W0.6p," + colour);
    commands.push_back("gmt plot " + recall_file + " -W" + width + "," + colour);
    commands.push_back("gmt plot " + recall_file + " -S" + symbol + "0.2c -G" + colour +
                       " -W0.4p,black");
    const std::string rule = consensus ? ">= " + std::to_string(consensus_min) + " detectors"
                                       : "|DTEC| > " + fmt(threshold, 2);
    legend << "S 0.4c " << symbol << " 0.2c " << colour << " " << width << "," << colour << " 0.9c "
           << script_text(names[i]) << " (" << rule << ")\n";
  }
  legend << "G 0.1c\nS 0.4c - 0.6c - 1.2p,black 0.9c recall (injected)\n"
         << "S 0.4c - 0.6c - 0.8p,black,- 0.9c same boxes, clean run\n";
  const std::string legend_file = fig.data("legend.txt", legend.str());
  const std::string subtitle = fmt(inj.duration_hours, 1) + " h disturbances, footprint sigma " +
                               fmt(inj.radius_km, 0) + " km, sign " + inj.sign;
  fig << "gmt basemap -R" + x_range + "/0/1.05 -JX14c" + (log_axis ? "l" : "") + "/9c -Bx" +
             (log_axis ? "a2f3" : "af") +
             "+l\"Injected amplitude (% of the local TEC)\" "
             "-Byaf+l\"Fraction of injections detected\" -BWSen+t\"Injection-recovery: " +
             script_text(run.event_label()) + "\"+s\"" + script_text(subtitle) + "\"";
  for (const auto& c : commands) fig << c;
  fig << "gmt legend " + legend_file + " -DJMR+jML+o0.3c/0+w5.5c -F+gwhite+p0.3p";
  return fig.render();
}

}  // namespace tecscan::plot
