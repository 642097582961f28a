// Injection-recovery: synthetic relative TEC perturbations with a Gaussian spatial footprint,
// planted at random quiet times, to measure how often each detector finds a signal of a given
// amplitude (recall) against how often the same boxes light up without one (false alarms).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/cube.hpp"

namespace tecscan {

struct InjectConfig {
  std::vector<double> amplitudes{0.05, 0.1, 0.2, 0.4, 0.8};  // relative to the local TEC
  double duration_hours = 6;
  double radius_km = 500;         // sigma of the Gaussian footprint
  std::string sign = "positive";  // "positive", "negative" or "both" (alternating)
  int per_amplitude = 20;         // injections asked for per amplitude
  uint64_t seed = 1;
};

// Throws InputError naming the [inject] key: amplitudes non-empty, finite and > 0 (and <= 1
// when a negative sign can occur, so TEC stays >= 0), duration_hours > 0, radius_km > 0, sign
// one of the three words, per_amplitude >= 1.
void check_inject_config(const InjectConfig& cfg);

struct Injection {
  size_t centre_node = 0;
  size_t t_begin = 0, t_end = 0;  // epochs [t_begin, t_end)
  double amplitude = 0;
  int sign = 1;  // +1 or -1
};

// Epochs one injection covers: round(duration_hours * 3600 / cadence), at least 1; cadence =
// time[1] - time[0] (1 epoch when the axis has fewer than two epochs).
size_t injection_epochs(const Cube& cube, double duration_hours);

// Plans the injections of amplitude cfg.amplitudes[amplitude_index].
// eligible[t] = 1 where an injection epoch may lie ([ntime]; null = every epoch). All epochs of an
// injection and the `guard` epochs after it must be eligible (and inside the axis); within one call
// the intervals [t_begin, t_end + guard) do not overlap. Start epochs and centre nodes are drawn
// with the counter-based RNG (rng.hpp) keyed by (seed, amplitude_index), so a plan is reproducible.
// Each start is drawn uniformly among the starts that still leave room for the injections not
// yet placed, so the plan holds min(per_amplitude, most that fit) injections: fewer than
// per_amplitude only when the eligible epochs cannot hold more (the caller reports that).
// The centre node is drawn among the nodes whose TEC is finite at every injection epoch (all
// nodes when none is). Returned in ascending t_begin; sign "both" gives +1, -1, +1, ... in that
// order.
std::vector<Injection> plan_injections(const Cube& cube, const uint8_t* eligible,
                                       const InjectConfig& cfg, size_t amplitude_index,
                                       size_t guard);

// Footprint weight of `node`: exp(-d^2 / (2 R^2)), d the great-circle distance (km) between the
// node and the injection's centre node, R = radius_km.
double footprint_weight(const Cube& cube, const Injection& inj, size_t node, double radius_km);

// tec ([node][time], a copy of cube.tec) *= 1 + sign * amplitude * weight at every node and
// epoch in [t_begin, t_end) of each injection; NaN stays NaN.
void apply_injections(const Cube& cube, const std::vector<Injection>& inj, double radius_km,
                      std::vector<float>& tec);

// An injection's box: the nodes with footprint weight >= 0.5 and the epochs [t_begin, t_end).
// It is detected when anomaly ([node][time], non-zero = anomaly) is set anywhere in its box.
// Run on a clean run's anomalies, the same count gives the boxes' false alarms.
size_t count_detected(const Cube& cube, const std::vector<Injection>& inj, double radius_km,
                      const uint8_t* anomaly);

}  // namespace tecscan
