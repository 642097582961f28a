// Spherical geometry for the maps: the search-radius circle and the map corners.
#include <cmath>

#include "plot_internal.hpp"
#include "tecscan/geo.hpp"

namespace tecscan::plot {

namespace {
constexpr double kDeg = M_PI / 180.0;
}

double unwrap_lon(double lon, double center) {
  while (lon - center > 180.0) lon -= 360.0;
  while (lon - center < -180.0) lon += 360.0;
  return lon;
}

std::pair<double, double> destination(double lat, double lon, double azimuth_deg,
                                      double distance_km) {
  const double d = distance_km / kEarthRadiusKm, az = azimuth_deg * kDeg;
  const double p1 = lat * kDeg, l1 = lon * kDeg;
  if (std::cos(p1) < 1e-9) {
    // At a pole the formula below divides rounding noise by rounding noise. Every way leads
    // south (north); the azimuth is taken from meridian `lon`, as near the pole on it.
    const double lon2 = lat > 0 ? lon + 180.0 - azimuth_deg : lon + azimuth_deg;
    return {lat > 0 ? 90.0 - d / kDeg : -90.0 + d / kDeg, unwrap_lon(lon2, lon)};
  }
  const double sin_p2 = std::sin(p1) * std::cos(d) + std::cos(p1) * std::sin(d) * std::cos(az);
  const double p2 = std::asin(std::fmax(-1.0, std::fmin(1.0, sin_p2)));
  const double l2 = l1 + std::atan2(std::sin(az) * std::sin(d) * std::cos(p1),
                                    std::cos(d) - std::sin(p1) * sin_p2);
  return {p2 / kDeg, unwrap_lon(l2 / kDeg, lon)};
}

std::vector<std::pair<double, double>> great_circle_ring(double lat, double lon, double radius_km,
                                                         int npoints) {
  std::vector<std::pair<double, double>> ring;
  for (int i = 0; i < npoints; ++i)
    ring.push_back(destination(lat, lon, 360.0 * i / (npoints - 1), radius_km));
  return ring;
}

}  // namespace tecscan::plot
