// Regional anomaly maps: grid nodes coloured by their number of quiet anomalous epochs in the
// window, the epicentre, the search radius; one map per detector and a sheet of them all.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "plot_internal.hpp"

namespace tecscan::plot {

namespace {

struct MapLayer {
  std::string title;
  std::vector<int> count;  // [node]
};

// Epochs with day_from <= days <= day_to where flags >= min_value, per node.
std::vector<int> count_in_window(const RunData& run, double day_from, double day_to,
                                 const std::vector<uint8_t>& flags, int min_value) {
  std::vector<int> count(run.nnode, 0);
  for (size_t n = 0; n < run.nnode; ++n)
    for (size_t t = 0; t < run.ntime; ++t)
      if (run.days[t] >= day_from && run.days[t] <= day_to && flags[n * run.ntime + t] >= min_value)
        ++count[n];
  return count;
}

// Node colours: white = 0, then yellow, orange, red, dark red at vmax. Few distinct counts get
// one colour each (bins centred on the integers, so the colour bar's annotations sit in the
// middle of their boxes), many a continuous scale. Returns GMT's -C option.
std::string count_cpt(GmtFigure& fig, int vmax) {
  static const double stops[5][3] = {
      {255, 255, 255}, {255, 240, 60}, {253, 150, 30}, {215, 25, 28}, {103, 0, 13}};
  auto colour = [](double f) {  // f in [0, 1]
    const double x = std::fmin(std::fmax(f, 0.0), 1.0) * 4;
    const int i = std::min(3, static_cast<int>(x));
    std::string rgb;
    for (int c = 0; c < 3; ++c)
      rgb += (c ? "/" : "") + std::to_string(static_cast<int>(std::lround(
                                  stops[i][c] + (stops[i + 1][c] - stops[i][c]) * (x - i))));
    return rgb;
  };
  std::ostringstream cpt;
  if (vmax <= 12) {
    for (int k = 0; k <= vmax; ++k)
      cpt << k - 0.5 << " " << colour(k == 0 ? 0 : 0.25 + 0.75 * k / vmax) << " " << k + 0.5 << " "
          << colour(k == 0 ? 0 : 0.25 + 0.75 * k / vmax) << "\n";
  } else {
    for (int seg = 0; seg < 4; ++seg)
      cpt << fmt(vmax * seg / 4.0, 3) << " " << colour(seg / 4.0) << " "
          << fmt(vmax * (seg + 1) / 4.0, 3) << " " << colour((seg + 1) / 4.0) << "\n";
  }
  return "-C" + fig.data("counts.cpt", cpt.str());
}

std::string day_text(double d) {
  return d == std::floor(d) ? fmt(d, 0) : fmt(d, 2);
}

std::string ring_text(const RunData& run) {
  std::ostringstream ring;
  for (auto [lat, lon] : great_circle_ring(run.event_lat, run.event_lon, run.radius_km))
    ring << fmt(lon) << " " << fmt(lat) << "\n";
  return ring.str();
}

std::string nodes_text(const RunData& run, const std::vector<int>& count) {
  std::ostringstream s;
  for (size_t n = 0; n < run.nnode; ++n)
    s << fmt(unwrap_lon(run.node_lon[n], run.event_lon)) << " " << fmt(run.node_lat[n]) << " "
      << count[n] << "\n";
  return s.str();
}

// The layers every map shares; nodes file = "lon lat count".
void draw_map(GmtFigure& fig, const RunData& run, const std::string& cpt, const std::string& rj,
              const std::string& frame, const std::string& nodes_file, const std::string& ring_file,
              const std::string& symbol) {
  fig << "gmt coast " + rj + " -Dl -A2000 -Gwhite -Sazure2 -W0.4p,gray35 -N1/0.3p,gray55 " + frame;
  fig << "gmt plot " + ring_file + " -W1p,royalblue,--";
  fig << "gmt plot " + nodes_file + " " + symbol + " " + cpt.substr(0, cpt.find(" -L")) +
             " -W0.3p,gray25";
  fig << "echo " + fmt(run.event_lon) + " " + fmt(run.event_lat) +
             " | gmt plot -Sa0.45c -Gred -W0.5p,black";
}

}  // namespace

// Azimuthal equidistant about the epicentre (distances from it are true). The region is given
// in projected km about the centre (+uk), not as corner longitudes and latitudes, which collapse
// to one latitude when the epicentre is a pole.
std::string map_region_projection(double lat, double lon, double radius_km,
                                  const std::string& width) {
  const std::string half_side = fmt(1.12 * radius_km, 1);
  return "-R-" + half_side + "/" + half_side + "/-" + half_side + "/" + half_side + "+uk -JE" +
         fmt(lon) + "/" + fmt(lat) + "/" + width;
}

std::vector<std::string> plot_anomaly_maps(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  std::vector<MapLayer> layers;
  for (const auto& d : run.detectors)
    if (o.model.empty() || o.model == d.name)
      layers.push_back({d.name, count_in_window(run, o.day_from, o.day_to, d.anomaly, 1)});
  if (o.model.empty() || o.model == "consensus")
    layers.push_back(
        {"consensus (>= " + std::to_string(ctx.consensus_min) + " detectors)",
         count_in_window(run, o.day_from, o.day_to, run.consensus, ctx.consensus_min)});
  int vmax = 1;
  for (const auto& l : layers)
    vmax = std::max(vmax, *std::max_element(l.count.begin(), l.count.end()));

  // One colour scale for every map of the run so they compare: white = none.
  const std::string window = "days " + day_text(o.day_from) + " to " + day_text(o.day_to);
  const std::string bar_label =
      "Quiet anomalous epochs per node, " + window + " (" + fmt(run.step_hours, 0) + " h epochs)";
  const std::string subtitle = script_text(run.event_label()) + "  " +
                               run.event_time_text.substr(0, 16) + " UTC, radius " +
                               fmt(run.radius_km, 0) + " km";

  std::vector<std::string> files;
  for (const auto& l : layers) {
    std::string name = "map_" + l.title.substr(0, l.title.find(' '));
    GmtFigure fig(name, ctx.fig_dir, ctx.work_dir, o);
    std::string nodes = fig.data("nodes.txt", nodes_text(run, l.count));
    std::string ring_file = fig.data("ring.txt", ring_text(run));
    const std::string cpt = count_cpt(fig, vmax);
    draw_map(fig, run, cpt,
             map_region_projection(run.event_lat, run.event_lon, run.radius_km, "14c"),
             "-Bxa10g10 -Bya10g10 -BWSne+t\"Quiet TEC anomalies: " + l.title + "\"+s\"" + subtitle +
                 "\"",
             nodes, ring_file, "-Sc0.32c");
    fig << "gmt colorbar " + cpt + " -DJBC+w10c/0.3c+o0/0.9c+h -Bxa+l\"" + bar_label + "\"";
    auto written = fig.render();
    files.insert(files.end(), written.begin(), written.end());
  }

  if (layers.size() > 1) {  // small multiples: every detector and the consensus side by side
    const int cols = 4, rows = static_cast<int>((layers.size() + cols - 1) / cols);
    GmtFigure fig("map_sheet", ctx.fig_dir, ctx.work_dir, o);
    std::string ring_file = fig.data("ring.txt", ring_text(run));
    const std::string cpt = count_cpt(fig, vmax);
    fig << "gmt subplot begin " + std::to_string(rows) + "x" + std::to_string(cols) +
               " -Fs6c/6c -M0.2c/0.3c -SCb -SRl " + kPanelTags + " -T\"Quiet anomalies per node, " +
               window + ": " + script_text(run.event_label()) + "\"";
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string nodes =
          fig.data("nodes" + std::to_string(i) + ".txt", nodes_text(run, layers[i].count));
      fig << "gmt subplot set " + std::to_string(i) + " -A\"" + layers[i].title + "\"";
      draw_map(fig, run, cpt,
               map_region_projection(run.event_lat, run.event_lon, run.radius_km, "?"),
               "-Bxa10g10 -Bya10g10", nodes, ring_file, "-Sc0.2c");
    }
    fig << "gmt subplot end";
    fig << "gmt colorbar " + cpt + " -DJBC+w12c/0.3c+o0/0.8c+h -Bxa+l\"" + bar_label + "\"";
    auto written = fig.render();
    files.insert(files.end(), written.begin(), written.end());
  }
  return files;
}

// The last days of the window one map each (day_to - k - 1, day_to - k], for the consensus (or
// the --model detector): where and when the anomalies appear.
std::vector<std::string> plot_daily_maps(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  const DetectorArrays* det = run.find(o.model);
  const std::vector<uint8_t>& flags = det ? det->anomaly : run.consensus;
  const int min_value = det ? 1 : ctx.consensus_min;
  const std::string what =
      det ? det->name : "consensus (>= " + std::to_string(ctx.consensus_min) + " detectors)";
  const int ndays = std::max(1, std::min(8, static_cast<int>(std::ceil(o.day_to - o.day_from))));
  std::vector<std::vector<int>> counts;
  int vmax = 1;
  for (int k = ndays - 1; k >= 0; --k) {  // oldest first
    const double hi = o.day_to - k, lo = std::max(o.day_from, hi - 1);
    counts.push_back(count_in_window(run, lo + 1e-9, hi, flags, min_value));
    vmax = std::max(vmax, *std::max_element(counts.back().begin(), counts.back().end()));
  }
  GmtFigure fig("map_daily", ctx.fig_dir, ctx.work_dir, o);
  const std::string ring_file = fig.data("ring.txt", ring_text(run));
  const int cols = std::min(4, ndays), rows = (ndays + cols - 1) / cols;
  const std::string cpt = count_cpt(fig, vmax);
  fig << "gmt subplot begin " + std::to_string(rows) + "x" + std::to_string(cols) +
             " -Fs6c/6c -M0.2c/0.3c -SCb -SRl " + kPanelTags + " -T\"Daily quiet anomalies, " +
             what + ": " + script_text(run.event_label()) + "\"";
  for (int i = 0; i < ndays; ++i) {
    const double hi = o.day_to - (ndays - 1 - i), lo = std::max(o.day_from, hi - 1);
    const std::string nodes =
        fig.data("nodes" + std::to_string(i) + ".txt", nodes_text(run, counts[i]));
    fig << "gmt subplot set " + std::to_string(i) + " -A\"days " + day_text(lo) + " to " +
               day_text(hi) + "\"";
    draw_map(fig, run, cpt, map_region_projection(run.event_lat, run.event_lon, run.radius_km, "?"),
             "-Bxa10g10 -Bya10g10", nodes, ring_file, "-Sc0.2c");
  }
  fig << "gmt subplot end";
  fig << "gmt colorbar " + cpt +
             " -DJBC+w12c/0.3c+o0/0.8c+h -Bxa+l\"Quiet anomalous epochs per node and "
             "day (" +
             fmt(run.step_hours, 0) + " h epochs)\"";
  return fig.render();
}

}  // namespace tecscan::plot
