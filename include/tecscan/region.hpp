// The grid nodes around an epicentre.
#pragma once
#include <vector>

#include "tecscan/catalog.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan {

struct Region {
  std::vector<int> ilat, ilon;  // indices into the (dropped +180) series grid
  std::vector<double> lat, lon, distance_km;
  size_t size() const { return lat.size(); }
};

// Every node within radius_km (great circle, inclusive) of (lat, lon), ordered by latitude
// (north to south) then longitude: the grid's own order. Works across the dateline and at the
// poles.
Region select_region(const IonexGrid& grid, double lat, double lon, double radius_km);

// Dobrovolsky preparation radius 10^(0.43 M) km.
double dobrovolsky_radius_km(double magnitude);

}  // namespace tecscan
