#include "tecscan/cube.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"

namespace tecscan {

namespace {

constexpr const char* kTimeUnits = "hours since 1970-01-01 00:00:00";
const float kFloatFill = std::numeric_limits<float>::quiet_NaN();

// CF units and long names of the index variables, in IndexKind order.
struct IndexMeta {
  const char* units;
  const char* long_name;
};
constexpr IndexMeta kIndexMeta[kNumIndexKinds] = {
    {"1", "planetary K index Kp (3-hourly)"},
    {"nT", "planetary equivalent amplitude ap (3-hourly)"},
    {"nT", "daily planetary amplitude Ap"},
    {"nT", "disturbance storm time index Dst (hourly)"},
    {"10^-22 W m^-2 Hz^-1", "solar radio flux F10.7 (adjusted to 1 AU)"},
    {"10^-22 W m^-2 Hz^-1", "solar radio flux F10.7 (observed)"},
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Shapes must agree before anything is written: a half-valid cube would be worse than none.
void check_shapes(const std::string& path, const Cube& c) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(path + ": cannot write the cube: " + what);
  };
  const size_t nn = c.nnode(), nt = c.ntime();
  if (c.node_lon.size() != nn || c.node_distance_km.size() != nn)
    fail("node_lat, node_lon and node_distance_km differ in length");
  if (c.tec.size() != nn * nt)
    fail("tec has " + std::to_string(c.tec.size()) +
         " values, expected nnode x ntime = " + std::to_string(nn) + " x " + std::to_string(nt));
  if (!c.rms.empty() && c.rms.size() != nn * nt) fail("rms is neither empty nor nnode x ntime");
  for (int k = 0; k < kNumIndexKinds; ++k)
    if (!c.indices[k].empty() && c.indices[k].size() != nt)
      fail(std::string("index ") + index_name(static_cast<IndexKind>(k)) +
           " is neither empty nor ntime long");
}

}  // namespace

std::string event_time_text(const Event& e) {
  std::string iso = format_iso(e.time);
  long ms = std::lround(e.time_frac * 1000.0);
  if (ms <= 0 || ms >= 1000) return iso;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03ld", ms);
  return iso.substr(0, iso.size() - 1) + frac + "Z";
}

std::vector<size_t> nodes_without_data(const Cube& cube) {
  std::vector<size_t> empty;
  const size_t nt = cube.ntime();
  for (size_t n = 0; n < cube.nnode(); ++n) {
    const float* tec = cube.tec.data() + n * nt;
    if (std::none_of(tec, tec + nt, [](float v) { return std::isfinite(v); })) empty.push_back(n);
  }
  return empty;
}

std::string describe_nodes(const Cube& cube, const std::vector<size_t>& nodes) {
  std::string text;
  for (size_t n : nodes) {
    char one[64];
    const double lat = cube.node_lat[n], lon = cube.node_lon[n];
    std::snprintf(one, sizeof one, "%snode %zu (%.1f%c %.1f%c)", text.empty() ? "" : ", ", n,
                  std::fabs(lat), lat < 0 ? 'S' : 'N', std::fabs(lon), lon < 0 ? 'W' : 'E');
    text += one;
  }
  return text;
}

void write_cube_coordinates(H5File& f, const Cube& cube) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  // Coordinates. /time and /node are dimension scales, so xarray sees tec(node, time).
  std::vector<double> hours(nt);
  for (size_t t = 0; t < nt; ++t) hours[t] = hours_since_epoch(cube.time[t]);
  f.write("time", hours, {nt},
          {{"units", kTimeUnits},
           {"calendar", "standard"},
           {"standard_name", "time"},
           {"long_name", "epoch of the ionosphere map (UTC)"},
           {"axis", "T"}});
  f.make_scale("time", "time");
  std::vector<float> node_number(nn);
  for (size_t n = 0; n < nn; ++n) node_number[n] = static_cast<float>(n);
  f.write("node", node_number, {nn}, {{"long_name", "region node number (grid order)"}});
  f.make_scale("node", "node");

  const std::string node_coords = "node_lat node_lon";
  f.write(
      "node_lat", cube.node_lat, {nn},
      {{"units", "degrees_north"}, {"standard_name", "latitude"}, {"long_name", "node latitude"}});
  f.write(
      "node_lon", cube.node_lon, {nn},
      {{"units", "degrees_east"}, {"standard_name", "longitude"}, {"long_name", "node longitude"}});
  f.write("node_distance_km", cube.node_distance_km, {nn},
          {{"units", "km"},
           {"long_name", "great-circle distance from the epicentre"},
           {"coordinates", node_coords}});
  for (const char* name : {"node_lat", "node_lon", "node_distance_km"})
    f.attach_scale(name, 0, "node");
}

void write_cube_indices(H5File& f, const Cube& cube) {
  const size_t nt = cube.ntime();
  const std::vector<float> missing(nt, kFloatFill);
  f.create_group("indices");
  for (int k = 0; k < kNumIndexKinds; ++k) {
    const std::string name = std::string("indices/") + index_name(static_cast<IndexKind>(k));
    f.write(name, cube.indices[k].empty() ? missing : cube.indices[k], {nt},
            {{"units", kIndexMeta[k].units},
             {"long_name", kIndexMeta[k].long_name},
             {"_FillValue", kFloatFill}});
    f.attach_scale(name, 0, "time");
  }
}

void write_event_attributes(H5File& f, const Cube& cube, const std::string& title) {
  const Event& e = cube.event;
  f.set_attr("/", "Conventions", "CF-1.8");
  f.set_attr("/", "title", title);
  f.set_attr("/", "tecscan_version", TECSCAN_VERSION);
  f.set_attr("/", "event_id", e.id);
  f.set_attr("/", "event_time", event_time_text(e));
  f.set_attr("/", "event_lat", e.lat);
  f.set_attr("/", "event_lon", e.lon);
  f.set_attr("/", "event_magnitude", e.mag);
  f.set_attr("/", "event_depth_km", e.depth_km);
  f.set_attr("/", "event_mag_type", e.mag_type);
  f.set_attr("/", "event_place", e.place);
  f.set_attr("/", "event_type", e.type);
  f.set_attr("/", "radius_km", cube.radius_km);
  f.set_attr("/", "source_files", join_lines(cube.sources));
  f.set_attr("/", "missing_epochs", static_cast<int64_t>(cube.missing_epochs));
}

void write_cube(const std::string& path, const Cube& cube) {
  check_shapes(path, cube);
  const size_t nn = cube.nnode(), nt = cube.ntime();
  H5File f = H5File::create(path);
  write_cube_coordinates(f, cube);
  const std::string node_coords = "node_lat node_lon";
  f.write("tec", cube.tec, {nn, nt},
          {{"units", "TECU"},
           {"long_name", "vertical total electron content"},
           {"_FillValue", kFloatFill},
           {"coordinates", node_coords}});
  f.attach_scale("tec", 0, "node");
  f.attach_scale("tec", 1, "time");
  if (!cube.rms.empty()) {
    f.write("rms", cube.rms, {nn, nt},
            {{"units", "TECU"},
             {"long_name", "RMS error of the vertical total electron content"},
             {"_FillValue", kFloatFill},
             {"coordinates", node_coords}});
    f.attach_scale("rms", 0, "node");
    f.attach_scale("rms", 1, "time");
  }

  write_cube_indices(f, cube);
  write_event_attributes(f, cube, "tecscan regional TEC cube");
  f.commit();
}

Cube read_cube(const std::string& path) {
  H5File f = H5File::open_read(path);
  Cube c;
  Event& e = c.event;
  e.id = f.read_attr_string("/", "event_id");
  const std::string when = f.read_attr_string("/", "event_time");
  try {
    e.time = parse_iso_time(when, "attribute event_time");
  } catch (const InputError& err) {
    throw InputError(path, 0, err.what());
  }
  if (size_t colon = when.rfind(':'); colon != std::string::npos) {
    double s = std::atof(when.c_str() + colon + 1);
    e.time_frac = s - std::floor(s);
  }
  e.lat = f.read_attr_double("/", "event_lat");
  e.lon = f.read_attr_double("/", "event_lon");
  e.mag = f.read_attr_double("/", "event_magnitude");
  e.depth_km = f.read_attr_double("/", "event_depth_km");
  if (f.has_attr("/", "event_mag_type")) e.mag_type = f.read_attr_string("/", "event_mag_type");
  if (f.has_attr("/", "event_place")) e.place = f.read_attr_string("/", "event_place");
  if (f.has_attr("/", "event_type")) e.type = f.read_attr_string("/", "event_type");
  c.radius_km = f.read_attr_double("/", "radius_km");
  c.sources = split_lines(f.read_attr_string("/", "source_files"));
  if (f.has_attr("/", "missing_epochs")) c.missing_epochs = f.read_attr_int("/", "missing_epochs");

  for (double h : f.read_double("time")) c.time.push_back(std::llround(h * 3600.0));
  c.node_lat = f.read_double("node_lat");
  c.node_lon = f.read_double("node_lon");
  c.node_distance_km = f.read_double("node_distance_km");
  const size_t nn = c.nnode(), nt = c.ntime();
  if (c.node_lon.size() != nn || c.node_distance_km.size() != nn)
    throw InputError(path, 0, "node_lat, node_lon and node_distance_km differ in length");

  std::vector<size_t> shape;
  c.tec = f.read_float("tec", shape);
  if (shape != std::vector<size_t>{nn, nt})
    throw InputError(path, 0,
                     "dataset 'tec': expected shape [node, time] = [" + std::to_string(nn) + ", " +
                         std::to_string(nt) + "]");
  if (f.has("rms")) {
    c.rms = f.read_float("rms", shape);
    if (shape != std::vector<size_t>{nn, nt})
      throw InputError(path, 0, "dataset 'rms': expected the shape of 'tec'");
  }
  if (nn > 0 && nodes_without_data(c).size() == nn)
    throw InputError(path, 0,
                     "dataset 'tec' holds no valid value (NaN at every node and epoch): "
                     "nothing to scan");
  for (int k = 0; k < kNumIndexKinds; ++k) {
    const std::string name = std::string("indices/") + index_name(static_cast<IndexKind>(k));
    if (!f.has(name))
      throw InputError(
          path, 0,
          "dataset '" + name + "' is missing: expected every index of a cube (NaN = no value)");
    c.indices[k] = f.read_float(name);
    if (c.indices[k].size() != nt)
      throw InputError(path, 0, "dataset '" + name + "': expected one value per epoch");
  }
  return c;
}

}  // namespace tecscan
