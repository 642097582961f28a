#include "tecscan/inject.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/rng.hpp"

namespace tecscan {

namespace {

// The RNG purpose of injection planning; distinct from kRngInit / kRngShuffle (rng.hpp).
constexpr uint64_t kRngInject = 3;

// Most injections of stride S (epochs of one injection plus guard) whose starts all lie in a run
// of r consecutive admissible starts: starts a, a+S, a+2S, ... (greedy is optimal on a line).
size_t run_capacity(long r, long stride) {
  return r <= 0 ? 0 : static_cast<size_t>((r - 1) / stride + 1);
}

struct Run {
  long a, b;  // admissible starts a..b inclusive
};

}  // namespace

void check_inject_config(const InjectConfig& cfg) {
  if (cfg.sign != "positive" && cfg.sign != "negative" && cfg.sign != "both")
    throw InputError("[inject] sign must be \"positive\", \"negative\" or \"both\" (got \"" +
                     cfg.sign + "\")");
  if (cfg.amplitudes.empty()) throw InputError("[inject] amplitudes must not be empty");
  for (double a : cfg.amplitudes) {
    if (!(std::isfinite(a) && a > 0))
      throw InputError("[inject] amplitudes must be finite and > 0 (got " + std::to_string(a) +
                       ")");
    // A negative perturbation above 100 % would make TEC negative.
    if (cfg.sign != "positive" && a > 1)
      throw InputError("[inject] amplitudes must be <= 1 with sign \"" + cfg.sign + "\" (got " +
                       std::to_string(a) + ")");
  }
  if (!(std::isfinite(cfg.duration_hours) && cfg.duration_hours > 0))
    throw InputError("[inject] duration_hours must be > 0 (got " +
                     std::to_string(cfg.duration_hours) + ")");
  if (!(std::isfinite(cfg.radius_km) && cfg.radius_km > 0))
    throw InputError("[inject] radius_km must be > 0 (got " + std::to_string(cfg.radius_km) + ")");
  if (cfg.per_amplitude < 1)
    throw InputError("[inject] per_amplitude must be >= 1 (got " +
                     std::to_string(cfg.per_amplitude) + ")");
}

size_t injection_epochs(const Cube& cube, double duration_hours) {
  if (cube.ntime() < 2) return 1;
  const double cadence = static_cast<double>(cube.time[1] - cube.time[0]);
  if (!(cadence > 0)) throw InputError("injection: the cube's time axis is not ascending");
  const double n = std::round(duration_hours * 3600.0 / cadence);
  return n < 1 ? 1 : static_cast<size_t>(n);
}

std::vector<Injection> plan_injections(const Cube& cube, const uint8_t* eligible,
                                       const InjectConfig& cfg, size_t amplitude_index,
                                       size_t guard) {
  check_inject_config(cfg);
  if (amplitude_index >= cfg.amplitudes.size())
    throw InputError("plan_injections: amplitude index " + std::to_string(amplitude_index) +
                     " out of range");
  const long ntime = static_cast<long>(cube.ntime());
  const size_t nnode = cube.nnode();
  const long len = static_cast<long>(injection_epochs(cube, cfg.duration_hours));
  const long stride = len + static_cast<long>(guard);  // [t_begin, t_end + guard)
  if (nnode == 0 || stride > ntime) return {};

  // Admissible starts c: [c, c + stride) inside the axis and eligible throughout. They form runs;
  // starts in different runs are more than `stride` apart (an ineligible epoch lies between), so
  // only starts within one run can conflict.
  std::vector<Run> runs;
  long bad_after = -1;  // last ineligible epoch seen
  for (long t = 0; t < ntime; ++t) {
    if (eligible && !eligible[t]) bad_after = t;
    const long c = t - stride + 1;  // the start whose window ends at t
    if (c < 0 || bad_after >= c) continue;
    if (!runs.empty() && runs.back().b == c - 1)
      runs.back().b = c;
    else
      runs.push_back({c, c});
  }
  size_t free_capacity = 0;
  for (const Run& r : runs) free_capacity += run_capacity(r.b - r.a + 1, stride);
  const size_t want = std::min(static_cast<size_t>(cfg.per_amplitude), free_capacity);

  const uint64_t key = rng_key(cfg.seed, amplitude_index, 0, kRngInject);
  std::vector<Injection> out;
  std::vector<size_t> nodes;
  for (size_t i = 0; i < want; ++i) {
    // Capacity left after placing a start s in run r: r splits into [a, s - stride] and
    // [s + stride, b]. s is admissible when the injections still to place fit afterwards, so the
    // plan never jams below `want`.
    const size_t still_needed = want - i - 1;
    auto capacity_after = [&](const Run& r, long s) {
      return free_capacity - run_capacity(r.b - r.a + 1, stride) +
             run_capacity(s - stride - r.a + 1, stride) +
             run_capacity(r.b - s - stride + 1, stride);
    };
    uint64_t count = 0;
    for (const Run& r : runs)
      for (long s = r.a; s <= r.b; ++s)
        if (capacity_after(r, s) >= still_needed) ++count;
    uint64_t pick = rng_u64(key, 2 * i) % count;  // count >= 1: still_needed < free capacity
    size_t run_index = 0;
    long start = -1;
    for (size_t k = 0; k < runs.size() && start < 0; ++k)
      for (long s = runs[k].a; s <= runs[k].b; ++s)
        if (capacity_after(runs[k], s) >= still_needed && pick-- == 0) {
          run_index = k;
          start = s;
          break;
        }
    const Run r = runs[run_index];
    free_capacity = capacity_after(r, start);
    runs.erase(runs.begin() + static_cast<long>(run_index));
    if (start + stride <= r.b)
      runs.insert(runs.begin() + static_cast<long>(run_index), {start + stride, r.b});
    if (start - stride >= r.a)
      runs.insert(runs.begin() + static_cast<long>(run_index), {r.a, start - stride});

    // A centre with data throughout, so the perturbation is visible where it is centred.
    nodes.clear();
    for (size_t n = 0; n < nnode; ++n) {
      const float* x = cube.node_tec(n);
      bool finite = true;
      for (long t = start; t < start + len && finite; ++t) finite = std::isfinite(x[t]);
      if (finite) nodes.push_back(n);
    }
    const uint64_t draw = rng_u64(key, 2 * i + 1);
    Injection inj;
    inj.centre_node =
        nodes.empty() ? static_cast<size_t>(draw % nnode) : nodes[draw % nodes.size()];
    inj.t_begin = static_cast<size_t>(start);
    inj.t_end = static_cast<size_t>(start + len);
    inj.amplitude = cfg.amplitudes[amplitude_index];
    out.push_back(inj);
  }

  std::sort(out.begin(), out.end(),
            [](const Injection& x, const Injection& y) { return x.t_begin < y.t_begin; });
  for (size_t i = 0; i < out.size(); ++i)
    out[i].sign = cfg.sign == "negative" ? -1 : cfg.sign == "both" && i % 2 == 1 ? -1 : 1;
  return out;
}

double footprint_weight(const Cube& cube, const Injection& inj, size_t node, double radius_km) {
  const size_t c = inj.centre_node;
  const double d =
      great_circle_km(cube.node_lat[node], cube.node_lon[node], cube.node_lat[c], cube.node_lon[c]);
  return std::exp(-d * d / (2 * radius_km * radius_km));
}

void apply_injections(const Cube& cube, const std::vector<Injection>& inj, double radius_km,
                      std::vector<float>& tec) {
  const size_t nnode = cube.nnode(), ntime = cube.ntime();
  if (tec.size() != nnode * ntime)
    throw InputError("apply_injections: TEC array of " + std::to_string(tec.size()) +
                     " values, the cube has " + std::to_string(nnode * ntime));
  for (const Injection& j : inj) {
    const size_t end = std::min(j.t_end, ntime);
    for (size_t n = 0; n < nnode; ++n) {
      const double factor = 1 + j.sign * j.amplitude * footprint_weight(cube, j, n, radius_km);
      float* x = tec.data() + n * ntime;
      for (size_t t = j.t_begin; t < end; ++t) x[t] = static_cast<float>(x[t] * factor);
    }
  }
}

size_t count_detected(const Cube& cube, const std::vector<Injection>& inj, double radius_km,
                      const uint8_t* anomaly) {
  const size_t nnode = cube.nnode(), ntime = cube.ntime();
  size_t detected = 0;
  for (const Injection& j : inj) {
    const size_t end = std::min(j.t_end, ntime);
    bool hit = false;
    for (size_t n = 0; n < nnode && !hit; ++n) {
      if (footprint_weight(cube, j, n, radius_km) < 0.5) continue;
      const uint8_t* a = anomaly + n * ntime;
      for (size_t t = j.t_begin; t < end && !hit; ++t) hit = a[t] != 0;
    }
    detected += hit ? 1 : 0;
  }
  return detected;
}

}  // namespace tecscan
