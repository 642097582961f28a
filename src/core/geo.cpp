#include "tecscan/geo.hpp"

#include <cmath>

namespace tecscan {

double great_circle_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = M_PI / 180.0;
  double p1 = lat1 * kRad, p2 = lat2 * kRad;
  double dp = p2 - p1, dl = (lon2 - lon1) * kRad;
  double a = std::sin(dp / 2) * std::sin(dp / 2) +
             std::cos(p1) * std::cos(p2) * std::sin(dl / 2) * std::sin(dl / 2);
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::fmin(1.0, a)));
}

double wrap_lon(double lon) {
  double w = std::fmod(lon + 180.0, 360.0);
  if (w < 0) w += 360.0;
  return w - 180.0;
}

}  // namespace tecscan
