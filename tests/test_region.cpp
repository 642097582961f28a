// Region selection on the standard 2.5 x 5 deg global grid: counts, order, dateline, poles.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>

#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/region.hpp"

namespace tecscan {
namespace {

// The series grid of a standard GIM: 87.5..-87.5 x -180..175 (the +180 column dropped).
IonexGrid standard_grid() {
  IonexGrid g;
  g.lat1 = 87.5, g.lat2 = -87.5, g.dlat = -2.5, g.nlat = 71;
  g.lon1 = -180, g.lon2 = 175, g.dlon = 5, g.nlon = 72;
  g.height_km = 450;
  return g;
}

std::set<std::pair<double, double>> node_set(const Region& r) {
  std::set<std::pair<double, double>> s;
  for (size_t i = 0; i < r.size(); ++i) s.insert({r.lat[i], r.lon[i]});
  return s;
}

size_t count_if_lon(const Region& r, bool (*pred)(double)) {
  size_t n = 0;
  for (double lon : r.lon) n += pred(lon);
  return n;
}

// Every listed node is within the radius, every other grid node is outside, and the order is
// the grid order (north to south, then west to east), with consistent index/coordinate arrays.
void expect_exact_region(const Region& r, const IonexGrid& g, double lat, double lon,
                         double radius_km) {
  ASSERT_EQ(r.ilat.size(), r.size());
  ASSERT_EQ(r.ilon.size(), r.size());
  ASSERT_EQ(r.distance_km.size(), r.size());
  std::set<std::pair<int, int>> chosen;
  for (size_t k = 0; k < r.size(); ++k) {
    EXPECT_DOUBLE_EQ(r.lat[k], g.lat(r.ilat[k]));
    EXPECT_DOUBLE_EQ(r.lon[k], g.lon(r.ilon[k]));
    EXPECT_LE(r.distance_km[k], radius_km);
    EXPECT_NEAR(r.distance_km[k], great_circle_km(lat, lon, r.lat[k], r.lon[k]), 1e-9);
    if (k > 0) {
      EXPECT_TRUE(r.lat[k - 1] > r.lat[k] || (r.lat[k - 1] == r.lat[k] && r.lon[k - 1] < r.lon[k]))
          << "node " << k << " out of order";
    }
    chosen.insert({r.ilat[k], r.ilon[k]});
  }
  EXPECT_EQ(chosen.size(), r.size()) << "a node is listed twice";
  for (int i = 0; i < g.nlat; ++i)
    for (int j = 0; j < g.nlon; ++j)
      if (!chosen.count({i, j})) {
        EXPECT_GT(great_circle_km(lat, lon, g.lat(i), g.lon(j)), radius_km);
      }
}

TEST(Region, SarpolZahabAt2000KmHas103Nodes) {
  const IonexGrid g = standard_grid();
  Region r = select_region(g, 34.911, 45.959, 2000);
  EXPECT_EQ(r.size(), 103u);  // recomputed by tests/python/independent_values.py
  expect_exact_region(r, g, 34.911, 45.959, 2000);
  EXPECT_DOUBLE_EQ(r.lat.front(), 52.5);  // northernmost row
  EXPECT_DOUBLE_EQ(r.lat.back(), 17.5);   // southernmost row
  // The nearest node is 35N 45E, about 87 km away.
  size_t nearest = 0;
  for (size_t k = 1; k < r.size(); ++k)
    if (r.distance_km[k] < r.distance_km[nearest]) nearest = k;
  EXPECT_DOUBLE_EQ(r.lat[nearest], 35.0);
  EXPECT_DOUBLE_EQ(r.lon[nearest], 45.0);
  EXPECT_NEAR(r.distance_km[nearest], 87.8, 0.5);
  // The catalogue coordinates of us2000bmcg give the same nodes.
  EXPECT_EQ(node_set(select_region(g, 34.9109, 45.9592, 2000)), node_set(r));
}

TEST(Region, RadiusIsInclusive) {
  const IonexGrid g = standard_grid();
  const double d = great_circle_km(34.911, 45.959, 20.0, 60.0);  // one particular node
  auto has_node = [](const Region& r) { return node_set(r).count({20.0, 60.0}) == 1; };
  EXPECT_TRUE(has_node(select_region(g, 34.911, 45.959, d)));
  EXPECT_FALSE(has_node(select_region(g, 34.911, 45.959, d - 1e-3)));
}

TEST(Region, DatelineEventTakesNodesOnBothSides) {
  const IonexGrid g = standard_grid();
  Region west = select_region(g, -17.9, -178.5, 2000);  // Fiji/Tonga, just west of the dateline
  expect_exact_region(west, g, -17.9, -178.5, 2000);
  EXPECT_EQ(west.size(), 89u);
  EXPECT_GT(count_if_lon(west, [](double lon) { return lon > 170; }), 0u);
  EXPECT_GT(count_if_lon(west, [](double lon) { return lon < -170; }), 0u);

  // Mirror image across the dateline: the same nodes with the longitude negated.
  Region east = select_region(g, -17.9, 178.5, 2000);
  std::set<std::pair<double, double>> mirrored;
  for (const auto& [lat, lon] : node_set(west)) mirrored.insert({lat, wrap_lon(-lon)});
  EXPECT_EQ(node_set(east), mirrored);

  // The grid is the same 180 deg away, where nothing wraps: the count must agree.
  EXPECT_EQ(select_region(g, -17.9, 1.5, 2000).size(), west.size());

  // 179.9E and 179.9W: symmetric, both sides present.
  Region a = select_region(g, 0, 179.9, 2000), b = select_region(g, 0, -179.9, 2000);
  EXPECT_EQ(a.size(), 81u);
  EXPECT_EQ(b.size(), a.size());
  EXPECT_EQ(select_region(g, 0, 0.1, 2000).size(), a.size());
  for (const Region* r : {&a, &b}) {
    EXPECT_GT(count_if_lon(*r, [](double lon) { return lon > 0; }), 0u);
    EXPECT_GT(count_if_lon(*r, [](double lon) { return lon < 0; }), 0u);
  }
  // On the dateline itself the two sides hold the same number of nodes.
  Region on = select_region(g, 0, 180, 2000);
  EXPECT_EQ(count_if_lon(on, [](double lon) { return lon > 0; }),
            count_if_lon(on, [](double lon) { return lon < 0 && lon > -180; }));
  EXPECT_EQ(node_set(on), node_set(select_region(g, 0, -180, 2000)));
}

TEST(Region, KodiakCrossesTheDatelineFromAlaska) {
  const IonexGrid g = standard_grid();
  Region r = select_region(g, 57.078, -153.211, 2000);
  expect_exact_region(r, g, 57.078, -153.211, 2000);
  EXPECT_EQ(r.size(), 156u);  // recomputed by tests/python/independent_values.py
  EXPECT_EQ(count_if_lon(r, [](double lon) { return lon > 0; }), 6u);  // 175E
  EXPECT_DOUBLE_EQ(r.lat.front(), 75.0);
  EXPECT_DOUBLE_EQ(r.lat.back(), 40.0);
}

TEST(Region, NearThePoleEveryLongitudeIsTaken) {
  const IonexGrid g = standard_grid();
  Region r = select_region(g, 88, 0, 2000);
  expect_exact_region(r, g, 88, 0, 2000);
  size_t at_87_5 = 0;
  for (double lat : r.lat) at_87_5 += lat == 87.5;
  EXPECT_EQ(at_87_5, 72u);
  EXPECT_EQ(r.size(), 473u);  // recomputed by tests/python/independent_values.py
  // At the pole itself the region is whole latitude rows: 2000 km = 17.99 deg of arc.
  Region pole = select_region(g, 90, 0, 2000);
  EXPECT_EQ(pole.size(), 72u * 7u);  // 87.5 .. 72.5
  EXPECT_DOUBLE_EQ(pole.lat.back(), 72.5);
  Region south = select_region(g, -90, 123, 2000);
  EXPECT_EQ(south.size(), pole.size());
  EXPECT_DOUBLE_EQ(south.lat.front(), -72.5);
}

TEST(Region, GridWithTheDuplicate180ColumnCountsItOnce) {
  IonexGrid full = standard_grid();
  full.lon2 = 180, full.nlon = 73;
  Region r = select_region(full, -17.9, -178.5, 2000);
  EXPECT_EQ(node_set(r), node_set(select_region(standard_grid(), -17.9, -178.5, 2000)));
  EXPECT_EQ(r.size(), 89u);
}

TEST(Region, RejectsBadArguments) {
  const IonexGrid g = standard_grid();
  EXPECT_THROW(select_region(g, 91, 0, 2000), InputError);
  EXPECT_THROW(select_region(g, NAN, 0, 2000), InputError);
  EXPECT_THROW(select_region(g, 0, 0, 0), InputError);
  EXPECT_THROW(select_region(g, 0, 0, -5), InputError);
  EXPECT_THROW(select_region(IonexGrid(), 0, 0, 2000), InputError);
  // A radius reaching no node is a valid, empty region.
  EXPECT_EQ(select_region(g, 1.25, 2.5, 10).size(), 0u);
}

TEST(Region, DobrovolskyRadius) {
  EXPECT_NEAR(dobrovolsky_radius_km(7.3), 1377.2, 0.1);  // 10^3.139
  EXPECT_NEAR(dobrovolsky_radius_km(5.0), 141.25, 0.01);
  EXPECT_NEAR(dobrovolsky_radius_km(0.0), 1.0, 1e-12);
  EXPECT_GT(dobrovolsky_radius_km(7.7), dobrovolsky_radius_km(7.3));
}

}  // namespace
}  // namespace tecscan
