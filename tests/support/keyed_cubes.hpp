// Cubes for the GPU trainers' tests: a noisy diurnal cube, a gappy one, and a subset of a cube
// whose nodes keep their index in it as their random-stream key (as a packed cube keeps each node's
// own event's).
#pragma once
#include <cmath>
#include <random>
#include <vector>

#include "tecscan/cube.hpp"
#include "tecscan/time.hpp"

namespace tecscan::testing {

// Diurnal series (12 epochs a day) with Gaussian noise drawn from `seed`; node 3 has gaps, node 4
// is constant (no predictions, NaN RMSE, exactly as the CPU trainer).
inline Cube noisy_diurnal_cube(int nnode, int ntime, unsigned seed) {
  Cube c;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  for (int n = 0; n < nnode; ++n) {
    c.node_lat.push_back(10.0 + n);
    c.node_lon.push_back(-90.0);
    c.node_distance_km.push_back(100.0 * n);
  }
  for (int t = 0; t < ntime; ++t) c.time.push_back(static_cast<TimeS>(t) * 7200);
  c.tec.resize(static_cast<size_t>(nnode) * ntime);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < ntime; ++t) {
      float v = 20.0f + (8.0f + n) * std::sin(6.2831853f * t / 12.0f + 0.3f * n) + noise(rng);
      if (n == 3 && (t % 37 == 5 || (t > 60 && t < 70))) v = NAN;
      if (n == 4) v = 15.0f;
      c.tec[static_cast<size_t>(n) * ntime + t] = v;
    }
  return c;
}

// Diurnal TEC-like series [node][time] (12 epochs a day) with a trend, deterministic noise and
// gaps; node 0 is constant (cannot be normalised) and node 1 has no data in its training part.
// Node n's level is 20 + level_step * n and its daily phase phase_step * n.
inline std::vector<float> gappy_diurnal_series(int nnode, int ntime, double level_step,
                                               double phase_step) {
  std::vector<float> tec(static_cast<size_t>(nnode) * ntime);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < ntime; ++t) {
      double v = 20 + level_step * n + 8 * std::sin(2 * M_PI * t / 12.0 + phase_step * n) +
                 0.01 * t + 0.7 * std::sin(12.9898 * (t + 1) * (n + 2));
      if (n == 0) v = 15;
      if (n == 1 && t < ntime * 0.7) v = NAN;
      if (n >= 2 && (t * 7 + n) % 53 == 0) v = NAN;  // scattered gaps
      tec[static_cast<size_t>(n) * ntime + t] = static_cast<float>(v);
    }
  return tec;
}

// gappy_diurnal_series as a cube on 2-hourly times (the GPU tests' cube).
inline Cube gappy_diurnal_cube(int nnode, int ntime) {
  Cube c;
  for (int n = 0; n < nnode; ++n) {
    c.node_lat.push_back(10.0 + 2.5 * (n % 8));
    c.node_lon.push_back(-90.0 + 5.0 * (n / 8));
    c.node_distance_km.push_back(100.0 * n);
  }
  for (int t = 0; t < ntime; ++t) c.time.push_back(make_time(2001, 1, 1) + 7200 * t);
  c.tec = gappy_diurnal_series(nnode, ntime, 0.3, 0.1);
  return c;
}

// Nodes `pick` of `cube` in that order, keyed by their index in `cube`.
inline Cube subset_keyed(const Cube& cube, const std::vector<int>& pick) {
  Cube c = cube;
  c.node_lat.clear(), c.node_lon.clear(), c.node_distance_km.clear(), c.tec.clear();
  const size_t T = cube.ntime();
  for (int n : pick) {
    c.node_lat.push_back(cube.node_lat[n]);
    c.node_lon.push_back(cube.node_lon[n]);
    c.node_distance_km.push_back(cube.node_distance_km[n]);
    c.tec.insert(c.tec.end(), cube.node_tec(n), cube.node_tec(n) + T);
  }
  c.rng_node_keys = pick;
  return c;
}

}  // namespace tecscan::testing
