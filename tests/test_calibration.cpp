// Calibrated detection (issue 12) on signal-free synthetic events: the default DTEC statistics
// spread the anomalies over the day, the calibrated threshold flags the stated fraction of
// signal-free epochs it never saw, injection-recovery finds large disturbances and not small
// ones, and the per-event p-value is uniform under the null and small with a planted episode.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/synthetic_event.hpp"
#include "tecscan/config.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {
namespace {

using testing::synthetic_event;
using testing::SyntheticEventOptions;

ScanConfig cheap_config(const std::vector<std::string>& models) {
  ScanConfig c;
  c.scan.models = models;
  c.scan.threads = 2;
  c.model.mlp_hidden = 16;
  c.train.epochs = 20;
  return c;
}

ScanResult scan(const Cube& cube, const ScanConfig& config, bool inject = false) {
  std::unique_ptr<Trainer> trainer = make_cpu_trainer(config.scan.threads);
  ScanOptions options;
  options.quiet_progress = true;
  options.inject = inject;
  return compute_scan(cube, config, *trainer, options);
}

// Share of a detector's quiet anomalies in each 2-hour UTC bin.
std::vector<double> bin_shares(const ScanResult& r, const DetectorResult& d, const Cube& cube) {
  std::vector<double> bins(12, 0.0);
  double total = 0;
  for (size_t n = 0; n < r.nnode; ++n)
    for (size_t t = 0; t < r.ntime; ++t)
      if (d.anomaly[n * r.ntime + t]) {
        bins[static_cast<size_t>((cube.time[t] % kDay) / (2 * kHour))] += 1;
        total += 1;
      }
  for (double& b : bins) b /= std::max(total, 1.0);
  return bins;
}

// Kolmogorov-Smirnov distance of p-values from the uniform distribution, taken at the values
// the p-values can take (a permutation p is discrete: P(p <= k / (N + 1)) = k / (N + 1)).
double ks_uniform(std::vector<double> p) {
  std::sort(p.begin(), p.end());
  double d = 0;
  const double n = static_cast<double>(p.size());
  for (size_t i = 0; i < p.size(); ++i)
    if (i + 1 == p.size() || p[i + 1] != p[i]) d = std::max(d, std::fabs((i + 1) / n - p[i]));
  return d;
}

const Significance& significance_of(const ScanResult& r, const std::string& name) {
  for (const Significance& s : r.significance)
    if (s.name == name) return s;
  throw std::runtime_error("no significance for " + name);
}

TEST(Calibration, DefaultStatisticsLeaveNoSunriseBand) {
  SyntheticEventOptions o;
  o.days_before = 200;  // enough anomalies (1 % of them) for the shares to be measured
  const Cube cube = synthetic_event(o);
  const double even = 1.0 / 12;
  // The paper's whole-series statistics: the linear predictor misses the sunrise rise every
  // day, so one 2-hour bin collects far more than its share (the artefact the default removes).
  ScanConfig paper = paper_config();
  paper.scan.models = {"ar"};
  const ScanResult p = scan(cube, paper);
  const std::vector<double> paper_bins = bin_shares(p, p.detectors[0], cube);
  EXPECT_GT(*std::max_element(paper_bins.begin(), paper_bins.end()), 2 * even);

  const ScanResult r = scan(cube, cheap_config({"ar", "mlp", "median-iqr"}));
  for (const DetectorResult& d : r.detectors) {
    const std::vector<double> bins = bin_shares(r, d, cube);
    for (size_t b = 0; b < bins.size(); ++b)
      EXPECT_LE(bins[b], 2 * even) << d.name << " UTC " << 2 * b << "-" << 2 * b + 2 << " h";
  }
}

// The threshold is set on the control epochs (before the precursor window); the rate it gives
// on the epochs it never saw (the precursor window and after the event) of signal-free events
// must be the configured one: |measured - 0.01| <= 0.005 pooled over 12 events.
TEST(Calibration, ThresholdGivesTheStatedFalseAlarmRateOnUnseenEpochs) {
  for (const char* model : {"ar", "median-iqr"}) {
    long flagged = 0, valid = 0;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      SyntheticEventOptions o;
      o.seed = seed;
      o.days_before = 300;
      const Cube cube = synthetic_event(o);
      const ScanResult r = scan(cube, cheap_config({model}));
      const DetectorResult& d = r.detectors[0];
      for (size_t n = 0; n < r.nnode; ++n)
        for (size_t t = 0; t < r.ntime; ++t) {
          if (r.control[t] || !r.quiet.quiet[t] || !std::isfinite(d.dtec[n * r.ntime + t]))
            continue;
          ++valid;
          flagged += d.anomaly[n * r.ntime + t];
        }
    }
    const double rate = static_cast<double>(flagged) / static_cast<double>(valid);
    EXPECT_NEAR(rate, 0.01, 0.005) << model << ": " << flagged << " of " << valid;
  }
}

TEST(Calibration, InjectionRecallRisesWithAmplitude) {
  const Cube cube = synthetic_event({});
  ScanConfig c = cheap_config({"ar", "mlp", "median-iqr"});
  c.inject.amplitudes = {0.02, 0.15, 1.0};
  c.inject.per_amplitude = 12;
  const ScanResult r = scan(cube, c, true);
  ASSERT_FALSE(r.sensitivity.empty());
  for (const std::string name : {"ar", "mlp", "median-iqr", "consensus"}) {
    std::vector<SensitivityRow> rows;
    for (const SensitivityRow& row : r.sensitivity)
      if (row.detector == name) rows.push_back(row);
    ASSERT_EQ(rows.size(), 3u) << name;
    for (const SensitivityRow& row : rows) EXPECT_EQ(row.injections, 12u) << name;
    EXPECT_LE(rows[0].recall, rows[1].recall) << name;
    EXPECT_LE(rows[1].recall, rows[2].recall) << name;
    if (name != "consensus") {
      EXPECT_GE(rows[2].recall, 0.9) << name;
    }
    // A 2 % disturbance is below the noise: found about as often as chance lights the box.
    EXPECT_LE(rows[0].recall, rows[0].false_alarm_rate + 0.35) << name;
    EXPECT_LE(rows[0].false_alarm_rate, 0.5) << name;
  }
}

// Over 50 signal-free events of 300 days (19 disjoint control windows each), the precursor
// window's p-value is uniform (KS distance under 0.23, the 1 % critical value for n = 50) and
// p <= 0.05 in no more than 7 of 50 (binomial upper 1 % bound for a rate of 0.05); a planted
// two-day episode 5 days before the event (+-50 % alternating every epoch, which no one-step
// predictor follows) gives the smallest p the controls allow (1 / (1 + controls) <= 0.053) in at
// least 9 of 10.
TEST(Calibration, EventPValueIsUniformUnderTheNullAndSmallWithAnEpisode) {
  for (const char* model : {"ar", "median-iqr"}) {
    std::vector<double> p;
    for (uint64_t seed = 100; seed < 150; ++seed) {
      SyntheticEventOptions o;
      o.seed = seed;
      o.days_before = 300;
      const ScanResult r = scan(synthetic_event(o), cheap_config({model}));
      p.push_back(significance_of(r, model).p_value);
    }
    const double d = ks_uniform(p);
    EXPECT_LT(d, 0.23) << model;
    long below = std::count_if(p.begin(), p.end(), [](double x) { return x <= 0.05; });
    EXPECT_LE(below, 7) << model << ": p <= 0.05 in " << below << " of 50 null events";

    int detected = 0;
    for (uint64_t seed = 200; seed < 210; ++seed) {
      SyntheticEventOptions o;
      o.seed = seed;
      o.days_before = 300;
      o.episode_amplitude = 0.5;
      o.episode_hours = 48;
      o.episode_oscillating = true;
      const ScanResult r = scan(synthetic_event(o), cheap_config({model}));
      detected += significance_of(r, model).p_value <= 0.06;  // 1 / (1 + 18 or 19 controls)
    }
    EXPECT_GE(detected, 9) << model;
  }
}

// A series too short for a control window: p and z are undefined (NaN), and a note says why
// and what to do, rather than a number that looks like evidence.
TEST(Calibration, NoControlWindowGivesNoPValueAndANote) {
  SyntheticEventOptions o;
  o.days_before = 20;
  const ScanResult r = scan(synthetic_event(o), cheap_config({"ar"}));
  EXPECT_TRUE(significance_of(r, "ar").control_rates.empty());
  EXPECT_TRUE(std::isnan(significance_of(r, "ar").p_value));
  EXPECT_TRUE(std::isfinite(significance_of(r, "ar").window_rate));
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.back().find("no control window"), std::string::npos) << r.notes.back();
}

// Every output says what it compares with: thresholds and their source, the significance of
// the precursor window against its controls, and the injection-recovery table.
TEST(Calibration, RunOutputsCarryThresholdsSignificanceAndSensitivity) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("tecscan_test_calibration_" + std::to_string(getpid()));
  fs::remove_all(dir);
  SyntheticEventOptions o;
  o.days_before = 120;
  const Cube cube = synthetic_event(o);
  ScanConfig c = cheap_config({"ar", "mlp", "median-iqr"});
  c.inject.amplitudes = {0.1, 0.5};
  c.inject.per_amplitude = 5;
  std::unique_ptr<Trainer> trainer = make_cpu_trainer(2);
  ScanOptions options;
  options.quiet_progress = true;
  options.inject = true;
  const ScanSummary s = run_scan(cube, c, *trainer, dir.string(), options);

  H5File f = H5File::open_read((dir / "scan.h5").string());
  // 120 days before the event: 7 disjoint 15-day windows before the precursor window;
  // median-iqr (and so the consensus of 3) has no DTEC in its first 15 days, one window less.
  const size_t ncontrols = 7;
  for (const std::string m : {"ar", "mlp", "median-iqr", "consensus"}) {
    const std::string g = "significance/" + m;
    ASSERT_TRUE(f.has(g + "/control_rates")) << m;
    EXPECT_EQ(f.dims(g + "/control_rates")[0], m == "ar" || m == "mlp" ? ncontrols : ncontrols - 1)
        << m;
    const double p = f.read_attr_double(g, "p_value");
    EXPECT_GT(p, 0) << m;
    EXPECT_LE(p, 1) << m;
    EXPECT_EQ(f.dims(g + "/daily_rate")[0], f.dims("significance/day")[0]);
    if (m != "consensus") {
      const double t = f.read_attr_double("dtec/" + m, "threshold");
      EXPECT_GT(t, 1.0) << m;
      EXPECT_NE(f.read_attr_string("dtec/" + m, "threshold_source").find("false_alarm_rate=0.01"),
                std::string::npos);
      EXPECT_EQ(f.dims("thresholds/" + m)[0], 24u);
    }
  }
  EXPECT_NE(f.read_attr_string("significance", "null").find("out of sample"), std::string::npos);
  EXPECT_EQ(f.dims("injection/recall"), (std::vector<size_t>{4, 2}));

  std::ifstream csv(dir / "sensitivity.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "detector,amplitude,injections,recall,false_alarm_rate,threshold");
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 8);  // 3 detectors and the consensus x 2 amplitudes

  std::stringstream text;
  text << std::ifstream(dir / "summary.json").rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str());
  ASSERT_EQ(j["significance"]["detectors"].size(), 4u);
  EXPECT_EQ(j["significance"]["detectors"][3]["name"], "consensus");
  EXPECT_EQ(j["significance"]["detectors"][0]["n_controls"], ncontrols);
  EXPECT_EQ(j["sensitivity"].size(), 8u);
  EXPECT_NE(std::find(j["outputs"].begin(), j["outputs"].end(), "sensitivity.csv"),
            j["outputs"].end());
  EXPECT_EQ(s.significance.size(), 4u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tecscan
