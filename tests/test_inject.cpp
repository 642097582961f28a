// Injection-recovery on a small synthetic cube: planning (determinism, eligibility, spacing,
// capacity, signs, centres with data), the footprint, the multiplication and the box test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "support/input_error.hpp"
#include "tecscan/geo.hpp"
#include "tecscan/inject.hpp"

namespace tecscan {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A 5 x 5 grid of nodes 2 degrees apart around (0, 0), 15-minute cadence, `ntime` epochs;
// TEC = 20 + node + a small daily wave, all finite.
Cube grid_cube(size_t ntime) {
  Cube c;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      c.node_lat.push_back(-4.0 + 2 * i);
      c.node_lon.push_back(-4.0 + 2 * j);
      c.node_distance_km.push_back(0);
    }
  for (size_t t = 0; t < ntime; ++t)
    c.time.push_back(make_time(2010, 1, 1) + 900 * static_cast<TimeS>(t));
  c.tec.resize(c.nnode() * ntime);
  for (size_t n = 0; n < c.nnode(); ++n)
    for (size_t t = 0; t < ntime; ++t)
      c.tec[n * ntime + t] =
          20.0f + static_cast<float>(n) + std::sin(static_cast<float>(t) / 15.0f);
  return c;
}

InjectConfig config(int per_amplitude, uint64_t seed, const std::string& sign = "positive") {
  InjectConfig cfg;
  cfg.duration_hours = 6;  // 24 epochs at 15 minutes
  cfg.radius_km = 300;
  cfg.per_amplitude = per_amplitude;
  cfg.seed = seed;
  cfg.sign = sign;
  return cfg;
}

bool same(const std::vector<Injection>& a, const std::vector<Injection>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].centre_node != b[i].centre_node || a[i].t_begin != b[i].t_begin ||
        a[i].t_end != b[i].t_end || a[i].amplitude != b[i].amplitude || a[i].sign != b[i].sign)
      return false;
  return true;
}

TEST(InjectConfig, RejectsBadValuesNamingTheKey) {
  using testing::input_error;
  InjectConfig c;
  EXPECT_EQ(input_error([&] { check_inject_config(c); }), "");
  c.sign = "up";
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] sign"), std::string::npos);
  c = InjectConfig{};
  c.amplitudes = {};
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] amplitudes"),
            std::string::npos);
  c.amplitudes = {0.1, -0.2};
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] amplitudes"),
            std::string::npos);
  c.amplitudes = {1.5};  // fine when positive, impossible when TEC could go negative
  EXPECT_EQ(input_error([&] { check_inject_config(c); }), "");
  c.sign = "both";
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("<= 1"), std::string::npos);
  c = InjectConfig{};
  c.per_amplitude = 0;
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] per_amplitude"),
            std::string::npos);
  c = InjectConfig{};
  c.radius_km = 0;
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] radius_km"),
            std::string::npos);
  c = InjectConfig{};
  c.duration_hours = -1;
  EXPECT_NE(input_error([&] { check_inject_config(c); }).find("[inject] duration_hours"),
            std::string::npos);
}

TEST(InjectionEpochs, RoundsTheDurationToTheCadence) {
  const Cube c = grid_cube(10);  // 900 s cadence
  EXPECT_EQ(injection_epochs(c, 6), 24u);
  EXPECT_EQ(injection_epochs(c, 0.3), 1u);   // 1.2 epochs
  EXPECT_EQ(injection_epochs(c, 0.05), 1u);  // 0.2 epochs: at least one
  EXPECT_EQ(injection_epochs(c, 0.7), 3u);   // 2.8 epochs
}

TEST(PlanInjections, DeterministicForASeed) {
  const Cube c = grid_cube(2000);
  const std::vector<uint8_t> eligible(2000, 1);
  InjectConfig cfg = config(10, 5);
  const auto a = plan_injections(c, eligible.data(), cfg, 1, 8);
  const auto b = plan_injections(c, eligible.data(), cfg, 1, 8);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(same(a, b));
  for (const Injection& j : a) EXPECT_EQ(j.amplitude, cfg.amplitudes[1]);
  // Another amplitude index or another seed is another stream.
  const auto other_amp = plan_injections(c, eligible.data(), cfg, 2, 8);
  for (const Injection& j : other_amp) EXPECT_EQ(j.amplitude, cfg.amplitudes[2]);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i)
    differs |= a[i].t_begin != other_amp[i].t_begin || a[i].centre_node != other_amp[i].centre_node;
  EXPECT_TRUE(differs);
  cfg.seed = 6;
  EXPECT_FALSE(same(a, plan_injections(c, eligible.data(), cfg, 1, 8)));
  EXPECT_THROW(plan_injections(c, eligible.data(), cfg, cfg.amplitudes.size(), 8), InputError);
}

TEST(PlanInjections, RespectsEligibilityGuardAndSpacing) {
  const size_t nt = 1500, guard = 7;
  const Cube c = grid_cube(nt);
  // Ineligible: a block, a scatter of single epochs and the last 100 epochs (a precursor window).
  std::vector<uint8_t> eligible(nt, 1);
  for (size_t t = 300; t < 520; ++t) eligible[t] = 0;
  for (size_t t = 50; t < nt; t += 97) eligible[t] = 0;
  for (size_t t = nt - 100; t < nt; ++t) eligible[t] = 0;
  std::set<size_t> starts, centres;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const auto plan = plan_injections(c, eligible.data(), config(12, seed), 0, guard);
    ASSERT_EQ(plan.size(), 12u) << seed;
    for (size_t i = 0; i < plan.size(); ++i) {
      const Injection& j = plan[i];
      EXPECT_EQ(j.t_end - j.t_begin, 24u);
      ASSERT_LE(j.t_end + guard, nt);
      for (size_t t = j.t_begin; t < j.t_end + guard; ++t)
        ASSERT_TRUE(eligible[t]) << "seed " << seed << " injection " << i << " epoch " << t;
      if (i > 0) {
        EXPECT_GE(j.t_begin, plan[i - 1].t_end + guard) << "seed " << seed;
      }
      EXPECT_LT(j.centre_node, c.nnode());
      starts.insert(j.t_begin);
      centres.insert(j.centre_node);
    }
  }
  // Drawn, not fixed: many distinct starts and every node used as a centre at least once.
  EXPECT_GT(starts.size(), 100u);
  EXPECT_EQ(centres.size(), c.nnode());
}

TEST(PlanInjections, FillsTightEligibilityAndStopsAtCapacity) {
  const size_t nt = 600, guard = 5, stride = 24 + guard;
  const Cube c = grid_cube(nt);
  // One eligible stretch of 3 * stride + 10 epochs: exactly 3 injections fit, but a start in its
  // middle would leave room for only 2 (a naive random placement can jam there).
  std::vector<uint8_t> eligible(nt, 0);
  for (size_t t = 100; t < 100 + 3 * stride + 10; ++t) eligible[t] = 1;
  std::set<size_t> first_starts;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const auto plan = plan_injections(c, eligible.data(), config(5, seed), 0, guard);
    ASSERT_EQ(plan.size(), 3u) << "seed " << seed;  // fewer than asked: no room for more
    for (size_t i = 1; i < plan.size(); ++i) EXPECT_GE(plan[i].t_begin, plan[i - 1].t_end + guard);
    EXPECT_GE(plan.front().t_begin, 100u);
    EXPECT_LE(plan.back().t_end + guard, 100 + 3 * stride + 10);
    first_starts.insert(plan.front().t_begin);
  }
  EXPECT_GT(first_starts.size(), 3u);  // the 10 epochs of slack are used at random
  // A stretch shorter than one injection plus its guard holds none.
  std::vector<uint8_t> short_run(nt, 0);
  for (size_t t = 200; t < 200 + stride - 1; ++t) short_run[t] = 1;
  EXPECT_TRUE(plan_injections(c, short_run.data(), config(5, 1), 0, guard).empty());
  // The guard must fit inside the axis too.
  std::vector<uint8_t> tail(nt, 0);
  for (size_t t = nt - 24; t < nt; ++t) tail[t] = 1;
  EXPECT_TRUE(plan_injections(c, tail.data(), config(5, 1), 0, guard).empty());
  EXPECT_EQ(plan_injections(c, tail.data(), config(5, 1), 0, 0).size(), 1u);
}

TEST(PlanInjections, CentresHaveDataThroughout) {
  const size_t nt = 1200;
  Cube c = grid_cube(nt);
  // Even nodes have no data; odd node 3 misses one epoch only.
  for (size_t n = 0; n < c.nnode(); n += 2)
    for (size_t t = 0; t < nt; ++t) c.tec[n * nt + t] = kNaN;
  c.tec[3 * nt + 600] = kNaN;
  for (uint64_t seed = 1; seed <= 30; ++seed)
    for (const Injection& j : plan_injections(c, nullptr, config(10, seed), 0, 3)) {
      EXPECT_EQ(j.centre_node % 2, 1u) << "seed " << seed;
      if (j.centre_node == 3) {
        EXPECT_FALSE(j.t_begin <= 600 && 600 < j.t_end) << "seed " << seed;
      }
    }
}

TEST(PlanInjections, Signs) {
  const Cube c = grid_cube(2000);
  for (const Injection& j : plan_injections(c, nullptr, config(6, 2, "positive"), 0, 3))
    EXPECT_EQ(j.sign, 1);
  for (const Injection& j : plan_injections(c, nullptr, config(6, 2, "negative"), 0, 3))
    EXPECT_EQ(j.sign, -1);
  const auto both = plan_injections(c, nullptr, config(6, 2, "both"), 0, 3);
  ASSERT_EQ(both.size(), 6u);
  for (size_t i = 0; i < both.size(); ++i) EXPECT_EQ(both[i].sign, i % 2 == 0 ? 1 : -1) << i;
  // The sign does not move the injections.
  const auto pos = plan_injections(c, nullptr, config(6, 2, "positive"), 0, 3);
  for (size_t i = 0; i < both.size(); ++i) EXPECT_EQ(both[i].t_begin, pos[i].t_begin);
}

TEST(FootprintWeight, OneAtTheCentreAndExpMinusHalfAtTheRadius) {
  const Cube c = grid_cube(4);
  Injection j;
  j.centre_node = 12;                            // (0, 0)
  const double r = great_circle_km(0, 0, 0, 2);  // node 13 lies one radius away
  EXPECT_DOUBLE_EQ(footprint_weight(c, j, 12, r), 1.0);
  EXPECT_NEAR(footprint_weight(c, j, 13, r), std::exp(-0.5), 1e-12);
  // Node 0 at (-4, -4): d^2 / (2 R^2) in general.
  const double d = great_circle_km(-4, -4, 0, 0);
  EXPECT_NEAR(footprint_weight(c, j, 0, r), std::exp(-d * d / (2 * r * r)), 1e-12);
  EXPECT_LT(footprint_weight(c, j, 0, r), 0.02);
}

TEST(ApplyInjections, MultipliesInsideTheWindowOnly) {
  const size_t nt = 100;
  Cube c = grid_cube(nt);
  c.tec[13 * nt + 15] = kNaN;
  std::vector<Injection> inj(2);
  inj[0].centre_node = 12;
  inj[0].t_begin = 10;
  inj[0].t_end = 20;
  inj[0].amplitude = 0.2;
  inj[0].sign = 1;
  inj[1].centre_node = 0;
  inj[1].t_begin = 50;
  inj[1].t_end = 54;
  inj[1].amplitude = 0.4;
  inj[1].sign = -1;
  const double r = 250;
  std::vector<float> tec = c.tec;
  apply_injections(c, inj, r, tec);
  for (size_t n = 0; n < c.nnode(); ++n)
    for (size_t t = 0; t < nt; ++t) {
      const float before = c.tec[n * nt + t], after = tec[n * nt + t];
      if (std::isnan(before)) {
        EXPECT_TRUE(std::isnan(after));
        continue;
      }
      double factor = 1;
      for (const Injection& j : inj)
        if (t >= j.t_begin && t < j.t_end) {
          const size_t k = j.centre_node;
          const double d =
              great_circle_km(c.node_lat[n], c.node_lon[n], c.node_lat[k], c.node_lon[k]);
          factor = 1 + j.sign * j.amplitude * std::exp(-d * d / (2 * r * r));
        }
      EXPECT_NEAR(after, before * factor, 1e-4) << n << " " << t;
    }
  EXPECT_NEAR(tec[12 * nt + 10], c.tec[12 * nt + 10] * 1.2f, 1e-4);  // centre: full amplitude
  EXPECT_NEAR(tec[0 * nt + 53], c.tec[0 * nt + 53] * 0.6f, 1e-4);
  EXPECT_EQ(tec[12 * nt + 20], c.tec[12 * nt + 20]);  // t_end is exclusive
  std::vector<float> wrong(7);
  EXPECT_THROW(apply_injections(c, inj, r, wrong), InputError);
}

TEST(CountDetected, AnomalyMustFallInsideTheBox) {
  const size_t nt = 60;
  const Cube c = grid_cube(nt);
  Injection j;
  j.centre_node = 12;  // (0, 0)
  j.t_begin = 20;
  j.t_end = 30;
  j.amplitude = 0.1;
  // R so that the 4 neighbours 2 degrees away have weight exp(-0.5) >= 0.5 and the diagonal ones
  // (2.83 degrees) exp(-1) < 0.5: the box is the centre plus its 4 neighbours.
  const double r = great_circle_km(0, 0, 0, 2);
  ASSERT_GE(footprint_weight(c, j, 7, r), 0.5);
  ASSERT_LT(footprint_weight(c, j, 6, r), 0.5);
  const std::vector<Injection> inj = {j};
  auto detected = [&](size_t node, size_t t) {
    std::vector<uint8_t> a(c.nnode() * nt, 0);
    a[node * nt + t] = 1;
    return count_detected(c, inj, r, a.data());
  };
  std::vector<uint8_t> none(c.nnode() * nt, 0);
  EXPECT_EQ(count_detected(c, inj, r, none.data()), 0u);
  EXPECT_EQ(detected(12, 20), 1u);
  EXPECT_EQ(detected(12, 29), 1u);
  EXPECT_EQ(detected(12, 19), 0u);  // before the box
  EXPECT_EQ(detected(12, 30), 0u);  // t_end is exclusive
  for (size_t n : {7u, 11u, 13u, 17u}) EXPECT_EQ(detected(n, 25), 1u) << n;
  for (size_t n : {6u, 8u, 16u, 18u, 0u, 14u}) EXPECT_EQ(detected(n, 25), 0u) << n;

  // Two injections, one anomaly each in the second box only; several anomalies count once.
  Injection k = j;
  k.centre_node = 0;
  k.t_begin = 40;
  k.t_end = 45;
  std::vector<uint8_t> a(c.nnode() * nt, 0);
  a[0 * nt + 41] = a[1 * nt + 42] = a[0 * nt + 44] = 1;
  a[0 * nt + 25] = 1;  // in the first box's epochs, but outside its footprint
  EXPECT_EQ(count_detected(c, {j, k}, r, a.data()), 1u);
  a[12 * nt + 22] = 1;
  EXPECT_EQ(count_detected(c, {j, k}, r, a.data()), 2u);
}

}  // namespace
}  // namespace tecscan
