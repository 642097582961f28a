// Reads a run directory's scan.h5 back into the arrays the figures draw.
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "plot_internal.hpp"
#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/h5file.hpp"

namespace tecscan::plot {

namespace fs = std::filesystem;

const DetectorArrays* RunData::find(const std::string& name) const {
  for (const auto& d : detectors)
    if (d.name == name) return &d;
  return nullptr;
}

std::string RunData::event_label() const {
  return std::isfinite(event_magnitude) ? event_id + " M" + fmt(event_magnitude, 1) : event_id;
}

size_t RunData::nearest_node(double lat, double lon) const {
  size_t best = 0;
  double best_km = std::numeric_limits<double>::infinity();
  for (size_t n = 0; n < nnode; ++n) {
    double km = great_circle_km(lat, lon, node_lat[n], node_lon[n]);
    if (km < best_km) best_km = km, best = n;
  }
  return best;
}

RunData load_run(const std::string& run_dir) {
  RunData r;
  r.dir = run_dir;
  r.scan_path = (fs::path(run_dir) / "scan.h5").string();
  if (!fs::is_regular_file(r.scan_path))
    throw InputError(r.scan_path, 0,
                     "no scan.h5 here: expected a run directory written by 'tecscan scan'");
  H5File f = H5File::open_read(r.scan_path);
  r.event_id = f.read_attr_string("/", "event_id");
  r.event_time_text = f.read_attr_string("/", "event_time");
  r.event_time = parse_iso_time(r.event_time_text, r.scan_path + ": event_time");
  r.event_lat = f.read_attr_double("/", "event_lat");
  r.event_lon = f.read_attr_double("/", "event_lon");
  r.radius_km = f.read_attr_double("/", "radius_km");
  if (f.has_attr("/", "event_magnitude"))
    r.event_magnitude = f.read_attr_double("/", "event_magnitude");
  if (f.has_attr("/", "event_place")) r.event_place = f.read_attr_string("/", "event_place");
  if (f.has_attr("/", "config"))
    r.config = parse_config(f.read_attr_string("/", "config"), r.scan_path + ": config");

  r.node_lat = f.read_double("node_lat");
  r.node_lon = f.read_double("node_lon");
  r.node_distance_km = f.read_double("node_distance_km");
  std::vector<double> hours = f.read_double("time");
  r.nnode = r.node_lat.size();
  r.ntime = hours.size();
  if (r.nnode == 0 || r.ntime == 0 || r.node_lon.size() != r.nnode)
    throw InputError(r.scan_path, 0, "expected at least one node and one epoch");
  for (double h : hours) {
    TimeS t = static_cast<TimeS>(std::llround(h * 3600.0));
    r.time.push_back(t);
    r.days.push_back(static_cast<double>(t - r.event_time) / 86400.0);
  }
  if (r.ntime > 1) r.step_hours = hours[1] - hours[0];

  const size_t cells = r.nnode * r.ntime;
  auto check = [&](const std::string& name, size_t got, size_t want) {
    if (got != want)
      throw InputError(
          r.scan_path, 0,
          name + ": expected " + std::to_string(want) + " values, found " + std::to_string(got));
  };
  r.observed = f.read_float("observed");
  check("observed", r.observed.size(), cells);
  r.quiet = f.read_uint8("quiet");
  check("quiet", r.quiet.size(), r.ntime);
  r.consensus = f.read_uint8("consensus");
  check("consensus", r.consensus.size(), cells);
  r.kp = f.read_float("indices/kp");
  r.ap_daily = f.read_float("indices/ap_daily");
  r.dst = f.read_float("indices/dst");
  r.f107 = f.read_float(r.config.quiet.f107_observed ? "indices/f107_obs" : "indices/f107");
  for (const auto* v : {&r.kp, &r.ap_daily, &r.dst, &r.f107}) check("indices", v->size(), r.ntime);

  std::istringstream names(f.read_attr_string("/", "detectors"));
  for (std::string name; std::getline(names, name);) {
    if (name.empty()) continue;
    DetectorArrays d;
    d.name = name;
    d.predicted = f.read_float("predicted/" + name);
    d.dtec = f.read_float("dtec/" + name);
    d.anomaly = f.read_uint8("anomaly/" + name);
    check("predicted/" + name, d.predicted.size(), cells);
    check("dtec/" + name, d.dtec.size(), cells);
    check("anomaly/" + name, d.anomaly.size(), cells);
    r.detectors.push_back(std::move(d));
  }
  if (r.detectors.empty()) throw InputError(r.scan_path, 0, "expected at least one detector");
  return r;
}

}  // namespace tecscan::plot
