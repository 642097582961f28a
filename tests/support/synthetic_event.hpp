// A signal-free synthetic event for calibration tests: a 3 x 3 grid of nodes, 2-hourly epochs
// from `days_before` days before the event to `days_after` after it, TEC with a diurnal shape
// that rises sharply at local sunrise (the shape that gives the networks their sunrise bias),
// day-to-day variability shared by the region, node noise, and quiet indices. Everything is
// drawn from `seed`, so each seed is an independent null event.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tecscan/cube.hpp"
#include "tecscan/geo.hpp"

namespace tecscan::testing {

struct SyntheticEventOptions {
  uint64_t seed = 1;
  int days_before = 60, days_after = 7;
  double noise = 0.04;           // relative node noise per epoch
  double day_variability = 0.1;  // relative sd of the regional day factor (AR(1), rho 0.7)
  // Optional episode: TEC *= 1 + amplitude at every node for `hours` starting `start_days`
  // before the event (a planted precursor); oscillating: the sign alternates every epoch (a
  // travelling-disturbance-like signal that no one-step predictor can follow).
  double episode_amplitude = 0, episode_start_days = 5, episode_hours = 6;
  bool episode_oscillating = false;
};

// The diurnal shape: 6 TECU at night, a steep rise from 06 to 08 local time, a peak of 30 TECU
// at 14 LT, a slow decay through the evening.
inline double diurnal_tec(double local_h) {
  const double rise = 1.0 / (1.0 + std::exp(-(local_h - 7.0) * 3.0));
  const double decay = local_h > 14 ? std::exp(-(local_h - 14.0) / 4.0) : 1.0;
  return 6.0 + 24.0 * rise * decay;
}

inline Cube synthetic_event(const SyntheticEventOptions& o) {
  Cube c;
  c.event.id = "null-" + std::to_string(o.seed);
  c.event.time =
      make_time(2010, 3, 1) + static_cast<TimeS>((o.seed * 7919) % 200) * kDay + 13 * kHour;
  c.event.lat = 30.0;
  c.event.lon = 50.0;
  c.event.mag = 7.0;
  c.radius_km = 2000;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      c.node_lat.push_back(32.5 - 2.5 * i);
      c.node_lon.push_back(45.0 + 5.0 * j);
      c.node_distance_km.push_back(
          great_circle_km(c.event.lat, c.event.lon, c.node_lat.back(), c.node_lon.back()));
    }
  const TimeS step = 2 * kHour;
  // Epochs on even UTC hours, from days_before before the event's day to days_after after.
  const TimeS first = (c.event.time / kDay - o.days_before) * kDay;
  const TimeS last = (c.event.time / kDay + o.days_after) * kDay;
  for (TimeS t = first; t < last; t += step) c.time.push_back(t);
  const size_t nn = c.nnode(), nt = c.ntime();

  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + 11);
  std::normal_distribution<double> gauss(0.0, 1.0);
  const size_t ndays = nt * step / kDay + 2;
  std::vector<double> day_factor(ndays);
  double x = 0;
  for (size_t d = 0; d < ndays; ++d) {
    x = 0.7 * x + std::sqrt(1 - 0.49) * gauss(rng);
    day_factor[d] = 1.0 + o.day_variability * x;
  }
  c.tec.resize(nn * nt);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const double utc_h = static_cast<double>((c.time[t] % kDay) / kHour);
      const double local_h = std::fmod(utc_h + c.node_lon[n] / 15.0 + 24.0, 24.0);
      const size_t day = static_cast<size_t>((c.time[t] - first) / kDay);
      double v = diurnal_tec(local_h) * day_factor[day] * (1.0 + o.noise * gauss(rng));
      const double days_to_event = static_cast<double>(c.time[t] - c.event.time) / kDay;
      if (o.episode_amplitude != 0 && days_to_event >= -o.episode_start_days &&
          days_to_event < -o.episode_start_days + o.episode_hours / 24.0)
        v *= 1.0 + o.episode_amplitude * (o.episode_oscillating && t % 2 ? -1.0 : 1.0);
      c.tec[n * nt + t] = static_cast<float>(v);
    }
  const float quiet[kNumIndexKinds] = {1.0f, 5, 5, -3, 90, 91};
  for (int k = 0; k < kNumIndexKinds; ++k) c.indices[k].assign(nt, quiet[k]);
  c.sources = {"synthetic"};
  return c;
}

}  // namespace tecscan::testing
