// Great-circle geometry on a sphere of radius 6371 km.
#pragma once

namespace tecscan {

constexpr double kEarthRadiusKm = 6371.0;
// Haversine distance in km; longitudes in any range (the dateline needs no special case).
double great_circle_km(double lat1, double lon1, double lat2, double lon2);
// Longitude folded to [-180, 180).
double wrap_lon(double lon);

}  // namespace tecscan
