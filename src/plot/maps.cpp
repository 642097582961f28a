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

std::vector<int> count_in_window(const RunData& run, const PlotOptions& o,
                                 const std::vector<uint8_t>& flags, int min_value) {
  std::vector<int> count(run.nnode, 0);
  for (size_t n = 0; n < run.nnode; ++n)
    for (size_t t = 0; t < run.ntime; ++t)
      if (run.days[t] >= o.day_from && run.days[t] <= o.day_to &&
          flags[n * run.ntime + t] >= min_value)
        ++count[n];
  return count;
}

// Map projection: azimuthal equidistant about the epicentre (true distances from it, no
// dateline or pole trouble), a square of 2.24 radii on a side.
std::string region_and_projection(const RunData& run, const std::string& width) {
  const double half_diagonal = run.radius_km * 1.12 * std::sqrt(2.0);
  auto lower_left = destination(run.event_lat, run.event_lon, 225, half_diagonal);
  auto upper_right = destination(run.event_lat, run.event_lon, 45, half_diagonal);
  return "-R" + fmt(lower_left.second) + "/" + fmt(lower_left.first) + "/" +
         fmt(upper_right.second) + "/" + fmt(upper_right.first) + "+r -JE" +
         fmt(run.event_lon) + "/" + fmt(run.event_lat) + "/" + width;
}

// The layers every map shares; nodes file = "lon lat count".
void draw_map(GmtFigure& fig, const RunData& run, const std::string& rj, const std::string& frame,
              const std::string& nodes_file, const std::string& ring_file,
              const std::string& symbol) {
  fig << "gmt coast " + rj + " -Dl -A2000 -Gwhite -Sazure2 -W0.4p,gray35 -N1/0.3p,gray55 " +
             frame;
  fig << "gmt plot " + ring_file + " -W1p,royalblue,--";
  fig << "gmt plot " + nodes_file + " " + symbol + " -C -W0.3p,gray25";
  fig << "echo " + fmt(run.event_lon) + " " + fmt(run.event_lat) +
             " | gmt plot -Sa0.45c -Gred -W0.5p,black";
}

}  // namespace

std::vector<std::string> plot_anomaly_maps(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  std::vector<MapLayer> layers;
  for (const auto& d : run.detectors)
    if (o.model.empty() || o.model == d.name)
      layers.push_back({d.name, count_in_window(run, o, d.anomaly, 1)});
  if (o.model.empty() || o.model == "consensus")
    layers.push_back({"consensus (>= " + std::to_string(ctx.consensus_min) + " detectors)",
                      count_in_window(run, o, run.consensus, ctx.consensus_min)});
  int vmax = 1;
  for (const auto& l : layers) vmax = std::max(vmax, *std::max_element(l.count.begin(), l.count.end()));

  std::ostringstream ring;
  for (auto [lat, lon] : great_circle_ring(run.event_lat, run.event_lon, run.radius_km))
    ring << fmt(lon) << " " << fmt(lat) << "\n";
  auto nodes_text = [&](const std::vector<int>& count) {
    std::ostringstream s;
    for (size_t n = 0; n < run.nnode; ++n)
      s << fmt(unwrap_lon(run.node_lon[n], run.event_lon)) << " " << fmt(run.node_lat[n]) << " "
        << count[n] << "\n";
    return s.str();
  };
  // One colour scale for every map of the run so they compare: white = none.
  const std::string cpt = "gmt makecpt -Chot -I -G0.08/1 -T0/" + std::to_string(vmax) + " -Z";
  const std::string window = "days " + fmt(o.day_from, 0) + " to " + fmt(o.day_to, 0);
  const std::string bar_label = "Quiet anomalous epochs per node, " + window + " (" +
                                fmt(run.step_hours, 0) + " h epochs)";
  const std::string subtitle = run.event_id + "  M" + fmt(run.event_magnitude, 1) + "  " +
                               run.event_time_text.substr(0, 16) + " UTC, radius " +
                               fmt(run.radius_km, 0) + " km";

  std::vector<std::string> files;
  for (const auto& l : layers) {
    std::string name = "map_" + l.title.substr(0, l.title.find(' '));
    GmtFigure fig(name, ctx.fig_dir, ctx.work_dir, o);
    std::string nodes = fig.data("nodes.txt", nodes_text(l.count));
    std::string ring_file = fig.data("ring.txt", ring.str());
    fig << cpt;
    draw_map(fig, run, region_and_projection(run, "14c"),
             "-Bxa10g10 -Bya10g10 -BWSne+t\"Anomalies: " + l.title + "\"+s\"" + subtitle + "\"",
             nodes, ring_file, "-Sc0.32c");
    fig << "gmt colorbar -DJBC+w10c/0.3c+o0/0.9c+h -Bxa+l\"" + bar_label + "\"";
    auto written = fig.render();
    files.insert(files.end(), written.begin(), written.end());
  }

  if (layers.size() > 1) {  // small multiples: every detector and the consensus side by side
    const int cols = 4, rows = static_cast<int>((layers.size() + cols - 1) / cols);
    GmtFigure fig("map_sheet", ctx.fig_dir, ctx.work_dir, o);
    std::string ring_file = fig.data("ring.txt", ring.str());
    fig << cpt;
    fig << "gmt subplot begin " + std::to_string(rows) + "x" + std::to_string(cols) +
               " -Fs6c/6c -M0.15c/0.35c -T\"Quiet anomalies per node, " + window + ": " +
               run.event_id + " M" + fmt(run.event_magnitude, 1) + "\"";
    for (size_t i = 0; i < layers.size(); ++i) {
      std::string nodes = fig.data("nodes" + std::to_string(i) + ".txt", nodes_text(layers[i].count));
      fig << "gmt subplot set " + std::to_string(i) + " -A\"" + layers[i].title + "\"";
      draw_map(fig, run, region_and_projection(run, "?"), "-Bxa10g10 -Bya10g10 -BWSne", nodes,
               ring_file, "-Sc0.2c");
    }
    fig << "gmt subplot end";
    fig << "gmt colorbar -DJBC+w12c/0.3c+o0/0.8c+h -Bxa+l\"" + bar_label + "\"";
    auto written = fig.render();
    files.insert(files.end(), written.begin(), written.end());
  }
  return files;
}

}  // namespace tecscan::plot
