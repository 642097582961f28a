// The paper's Figure 3 for one node: day relative to the event x UTC hour images of observed
// and predicted TEC, dTEC, DTEC and the flagged epochs, the event marked by a star.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "plot_internal.hpp"

namespace tecscan::plot {

namespace {
struct Panel {
  std::string key, label, cpt, bar;
  std::vector<double> value;  // [time]
};
}  // namespace

std::vector<std::string> plot_day_hour_images(const FigureContext& ctx) {
  const RunData& run = ctx.run;
  const PlotOptions& o = ctx.options;
  const DetectorArrays& det = *run.find(ctx.node_model);
  const size_t nt = run.ntime, base = ctx.node * nt;
  const TimeS event_day_start = run.event_time - ((run.event_time % kDay) + kDay) % kDay;
  const int day_lo = static_cast<int>(std::floor(o.day_from));
  const int day_hi = static_cast<int>(std::floor(o.day_to));
  const double threshold = det.threshold;  // the detector's own (scan.h5), else the config's

  std::vector<int> day(nt);
  std::vector<double> hour(nt);
  for (size_t t = 0; t < nt; ++t) {
    const TimeS since = run.time[t] - event_day_start;
    day[t] = static_cast<int>(std::floor(static_cast<double>(since) / kDay));
    hour[t] = static_cast<double>(since - static_cast<TimeS>(day[t]) * kDay) / 3600.0;
  }
  Panel obs{"observed", "Observed TEC", "", "TECU", {}};
  Panel pred{"predicted", "Predicted TEC (" + det.name + ")", "", "TECU", {}};
  Panel delta{"delta", "dTEC = observed - predicted", "", "TECU", {}};
  Panel dtec{"dtec", "DTEC = (dTEC - median) / IQR", "", "DTEC", {}};
  Panel flag{"flag", "|DTEC| > " + fmt(threshold, 2) + " (anomaly: quiet epoch)", "", "", {}};
  double tec_max = 1, delta_max = 0.5, dtec_max = 2 * threshold;
  for (size_t t = 0; t < nt; ++t) {
    const double x = run.observed[base + t], p = det.predicted[base + t];
    const double d = det.dtec[base + t];
    obs.value.push_back(x);
    pred.value.push_back(p);
    delta.value.push_back(x - p);
    dtec.value.push_back(d);
    flag.value.push_back(!std::isfinite(d)          ? NAN
                         : det.anomaly[base + t]    ? 2
                         : std::fabs(d) > threshold ? 1
                                                    : 0);
    if (day[t] < day_lo || day[t] > day_hi) continue;
    if (std::isfinite(x)) tec_max = std::max(tec_max, x);
    if (std::isfinite(p)) tec_max = std::max(tec_max, p);
    if (std::isfinite(x - p)) delta_max = std::max(delta_max, std::fabs(x - p));
    if (std::isfinite(d)) dtec_max = std::max(dtec_max, std::fabs(d));
  }
  dtec_max = std::min(dtec_max, 10.0);  // a few extreme epochs must not wash out the rest
  const std::string tec_cpt = "-Cturbo -T0/" + fmt(std::ceil(tec_max), 0);
  obs.cpt = pred.cpt = tec_cpt;
  delta.cpt = "-Cpolar -T-" + fmt(delta_max, 2) + "/" + fmt(delta_max, 2);
  dtec.cpt = "-Cpolar -T-" + fmt(dtec_max, 2) + "/" + fmt(dtec_max, 2);

  GmtFigure fig("fig3_day_hour", ctx.fig_dir, ctx.work_dir, o);
  const std::string flag_cpt = fig.data(
      "flags.cpt", "0 235/235/235 ; none\n1 255/170/60 ; not quiet\n2 215/25/28 ; anomaly\n");
  const double step = run.step_hours;
  const double y0 = std::fmod(std::fmod(hour[0], step) + step, step) - step / 2;
  // Cell of day d centred on x = d, so each column sits over its day's annotation.
  const std::string region =
      "-R" + fmt(day_lo - 0.5, 1) + "/" + fmt(day_hi + 0.5, 1) + "/" + fmt(y0) + "/" + fmt(y0 + 24);
  const double event_hour = static_cast<double>(run.event_time - event_day_start) / 3600.0;
  const double event_x = event_hour / 24 - 0.5;
  fig << "gmt set COLOR_NAN 255 MAP_ANNOT_OFFSET_PRIMARY 3p";
  fig << "gmt subplot begin 5x1 -Fs16c/3.1c -M0.1c/0.25c -Scb+l\"Days relative to the event "
         "(day 0 = " +
             format_date(run.event_time) + " UTC)\" -Srl+l\"UTC hour\" " + region +
             " -JX16c/3.1c " + day_axis(day_hi - day_lo + 1) + " -Bya6f2 " + kPanelTags +
             " -T\"Node " + position_text(run.node_lat[ctx.node], run.node_lon[ctx.node]) + ", " +
             fmt(run.node_distance_km[ctx.node], 0) + " km from the epicentre; detector " +
             det.name + "; star = event\"";
  const Panel* panels[] = {&obs, &pred, &delta, &dtec, &flag};
  for (int i = 0; i < 5; ++i) {
    const Panel& p = *panels[i];
    std::ostringstream xyz;
    for (size_t t = 0; t < nt; ++t)
      if (day[t] >= day_lo && day[t] <= day_hi)
        xyz << day[t] << " " << fmt(hour[t]) << " " << fmt(p.value[t]) << "\n";
    std::string data = fig.data(p.key + ".xyz", xyz.str());
    const std::string grid = "fig3_" + p.key + ".nc";  // in the work dir, where the script runs
    fig << "gmt subplot set " + std::to_string(i) + " -A\"" + p.label + "\"";
    fig << "gmt xyz2grd " + data + " -G" + grid + " " + region + " -I1/" + fmt(step) + " -r";
    if (p.key == "flag") {
      fig << "gmt grdimage " + grid + " -C" + flag_cpt + " -Q";
      fig << "gmt colorbar -C" + flag_cpt + " -DJRM+w2.8c/0.3c+o0.4c/0 -L0.1c -S";
    } else {
      fig << "gmt makecpt " + p.cpt + " -D";
      fig << "gmt grdimage " + grid + " -C -Q";
      fig << "gmt colorbar -C -DJRM+w2.8c/0.3c+o0.4c/0 -Bxa+l\"" + p.bar + "\"";
    }
    fig << "echo " + fmt(event_x) + " " + fmt(event_hour) +
               " | gmt plot -Sa0.4c -Gwhite "
               "-W0.8p,black";
  }
  fig << "gmt subplot end";
  return fig.render();
}

}  // namespace tecscan::plot
