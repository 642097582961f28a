#include "tecscan/region.hpp"

#include <cmath>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"

namespace tecscan {

Region select_region(const IonexGrid& grid, double lat, double lon, double radius_km) {
  if (!(lat >= -90 && lat <= 90) || !std::isfinite(lon))
    throw InputError("region: the epicentre (" + std::to_string(lat) + ", " + std::to_string(lon) +
                     ") is not a valid latitude/longitude");
  if (!(radius_km > 0) || !std::isfinite(radius_km))
    throw InputError("region: the radius must be a positive number of km, got " +
                     std::to_string(radius_km));
  if (grid.nlat <= 0 || grid.nlon <= 0)
    throw InputError("region: the IONEX grid is empty (no latitude or longitude nodes)");

  // A whole-globe grid that still carries the +180 column (a copy of -180) must not count that
  // meridian twice; the series grid has it dropped already.
  int nlon = grid.nlon;
  if (nlon > 1 && std::fabs(std::fabs(grid.lon(nlon - 1) - grid.lon(0)) - 360.0) < 1e-6) --nlon;

  // Every node is tested (71 x 72 on the usual grid: microseconds). Haversine distances need no
  // dateline or pole special case, and the loop order is the grid order, north to south then
  // west to east when dlat < 0 and dlon > 0.
  constexpr double kToleranceKm = 1e-6;  // "inclusive" robust to the last bit of rounding
  Region r;
  for (int i = 0; i < grid.nlat; ++i) {
    for (int j = 0; j < nlon; ++j) {
      const double node_lat = grid.lat(i), node_lon = grid.lon(j);
      const double d = great_circle_km(lat, lon, node_lat, node_lon);
      if (d > radius_km + kToleranceKm) continue;
      r.ilat.push_back(i);
      r.ilon.push_back(j);
      r.lat.push_back(node_lat);
      r.lon.push_back(node_lon);
      r.distance_km.push_back(d);
    }
  }
  return r;
}

double dobrovolsky_radius_km(double magnitude) {
  return std::pow(10.0, 0.43 * magnitude);
}

}  // namespace tecscan
