// The scan: configuration files and overrides, the composite trainer, the orchestration on a
// synthetic cube with known injected disturbances, and every output file of a run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "support/input_error.hpp"
#include "tecscan/config.hpp"
#include "tecscan/error.hpp"
#include "tecscan/h5file.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {
namespace {

namespace fs = std::filesystem;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

fs::path temp_dir(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("tecscan_test_scan_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using tecscan::testing::input_error;

// ---- configuration ------------------------------------------------------------------------------

TEST(ScanConfig, DefaultTomlDocumentsTheBuiltInDefaults) {
  const ScanConfig c = load_config(TECSCAN_SOURCE_DIR "/configs/default.toml");
  EXPECT_TRUE(c == ScanConfig()) << "configs/default.toml and config.hpp disagree:\n"
                                 << config_to_toml(c);
  // The paper's values, spelled out once.
  EXPECT_EQ(c.model.window, 4);
  EXPECT_EQ(c.model.lstm_units, 200);
  EXPECT_EQ(c.train.epochs, 20);  // chosen by measurement (docs/calibration.md)
  EXPECT_EQ(c.train.batch, 32);
  EXPECT_DOUBLE_EQ(c.train.train_fraction, 0.65);
  EXPECT_EQ(c.train.adam.eps, 1e-7f);
  EXPECT_DOUBLE_EQ(c.detect.threshold, 1.5);
  EXPECT_EQ(c.detect.median_iqr_days, 15);
  EXPECT_DOUBLE_EQ(c.quiet.kp_max, 2.5);
  EXPECT_DOUBLE_EQ(c.quiet.f107_max, 120);
  // The calibrated method (issue 12): out-of-sample predictions, per-hour statistics from the
  // control epochs, thresholds at 1 % false alarms, the AR baseline beside the networks.
  EXPECT_TRUE(c.validation.kfold);
  EXPECT_EQ(c.validation.folds, 5);
  EXPECT_EQ(c.detect.scope, DtecScope::kPerUtcHour);
  EXPECT_EQ(c.detect.stats_from, StatsFrom::kPreEvent);
  EXPECT_DOUBLE_EQ(c.significance.control_step_days, 0);  // disjoint control windows
  EXPECT_DOUBLE_EQ(c.detect.false_alarm_rate, 0.01);
  EXPECT_DOUBLE_EQ(c.significance.window_days, 15);
  EXPECT_EQ(c.scan.models.size(), 8u);
  EXPECT_EQ(neural_models(c).size(), 6u);
  EXPECT_TRUE(wants_median_iqr(c));
}

TEST(ScanConfig, PaperTomlIsThePapersMethod) {
  const ScanConfig c = load_config(TECSCAN_SOURCE_DIR "/configs/paper.toml");
  EXPECT_TRUE(c == paper_config()) << config_to_toml(c);
  EXPECT_FALSE(c.validation.kfold);
  EXPECT_EQ(c.train.epochs, 100);
  EXPECT_DOUBLE_EQ(c.train.train_fraction, 0.65);
  EXPECT_DOUBLE_EQ(c.detect.false_alarm_rate, 0.0);
  EXPECT_DOUBLE_EQ(c.detect.threshold, 1.5);
  EXPECT_EQ(c.detect.scope, DtecScope::kWholeSeries);
  EXPECT_EQ(c.detect.stats_from, StatsFrom::kAll);
  EXPECT_EQ(c.scan.models.size(), 7u);
  EXPECT_EQ(threshold_rule(c.detect), "fixed");
}

TEST(ScanConfig, DemoTomlChangesOnlyEpochsF107AndMissingPolicy) {
  ScanConfig c = load_config(TECSCAN_SOURCE_DIR "/configs/demo.toml");
  EXPECT_LE(c.train.epochs, 100);
  EXPECT_TRUE(std::isinf(c.quiet.f107_max) && c.quiet.f107_max > 0);
  EXPECT_TRUE(c.quiet.ignore_missing);
  c.train.epochs = ScanConfig().train.epochs;
  c.quiet.f107_max = ScanConfig().quiet.f107_max;
  c.quiet.ignore_missing = ScanConfig().quiet.ignore_missing;
  EXPECT_TRUE(c == ScanConfig());
}

ScanConfig every_field_changed() {
  ScanConfig c;
  c.model.window = 6;
  c.model.mlp_hidden = 17;
  c.model.cnn_filters = 9;
  c.model.cnn_kernel = 3;
  c.model.cnn_pool = 1;
  c.model.rnn_units = 11;
  c.model.gru_units = 12;
  c.model.gru_reset_after = false;
  c.model.lstm_units = 13;
  c.model.lstm_dense = 14;
  c.model.lstm_activation = Activation::kTanh;
  c.model.cnnlstm_subseq = 3;
  c.model.cnnlstm_units = 15;
  c.model.cnnlstm_activation = Activation::kTanh;
  c.train.epochs = 7;
  c.train.batch = 16;
  c.train.train_fraction = 0.7;
  c.train.adam.lr = 3e-4f;
  c.train.adam.beta1 = 0.85f;
  c.train.adam.beta2 = 0.9999f;
  c.train.adam.eps = 1.1e-8f;
  c.train.seed = 1234567890123ull;
  c.train.patience = 4;
  c.train.validation_fraction = 0.2;
  c.validation.kfold = false;
  c.validation.folds = 3;
  c.detect.false_alarm_rate = 0.025;
  c.detect.stats_from = StatsFrom::kAll;
  c.significance.window_days = 10.5;
  c.significance.control_step_days = 0.5;
  c.significance.consensus_min = 2;
  c.inject.amplitudes = {0.125, 0.5};
  c.inject.duration_hours = 4;
  c.inject.radius_km = 300;
  c.inject.sign = "both";
  c.inject.per_amplitude = 7;
  c.inject.seed = 99;
  c.detect.threshold = 2.25;
  c.detect.scope = DtecScope::kWholeSeries;
  c.detect.median_iqr_days = 27;
  c.detect.median_iqr_min_history = 1;
  c.quiet.kp_max = 3.0 + 1.0 / 3.0;
  c.quiet.ap_max = 30.5;
  c.quiet.dst_min = -31;
  c.quiet.dst_max = 12.125;
  c.quiet.f107_max = std::numeric_limits<double>::infinity();
  c.quiet.f107_observed = false;
  c.quiet.ignore_missing = true;
  c.scan.models = {"median-iqr", "lstm", "ar", "mlp"};
  c.scan.device = "cpu";
  c.scan.threads = 3;
  return c;
}

TEST(ScanConfig, WrittenConfigReloadsToTheSameConfig) {
  const ScanConfig c = every_field_changed();
  EXPECT_TRUE(parse_config(config_to_toml(c), "text") == c) << config_to_toml(c);
  const fs::path dir = temp_dir("config_roundtrip");
  write_config((dir / "config.used.toml").string(), c);
  EXPECT_TRUE(load_config((dir / "config.used.toml").string()) == c);
  // Neither changed nor default values may be lost: the defaults round-trip too.
  EXPECT_TRUE(parse_config(config_to_toml(ScanConfig()), "text") == ScanConfig());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(ScanConfig, AFileSetsOnlyTheKeysItNames) {
  const ScanConfig c = parse_config(
      "[train]\nepochs = 12\nlearning_rate = 0.01\n[detect]\nscope = \"utc-hour\"\n"
      "threshold = 2\n[scan]\nmodels = [\"cnn\", \"median-iqr\"]\n",
      "x.toml");
  ScanConfig expect;
  expect.train.epochs = 12;
  expect.train.adam.lr = 0.01f;
  expect.detect.scope = DtecScope::kPerUtcHour;
  expect.detect.threshold = 2;
  expect.scan.models = {"cnn", "median-iqr"};
  EXPECT_TRUE(c == expect);
  EXPECT_EQ(neural_models(c), std::vector<ModelKind>{ModelKind::kCnn});
}

TEST(ScanConfig, UnknownKeysAndBadValuesNameTheFileTheLineAndTheKey) {
  const fs::path dir = temp_dir("config_errors");
  const std::string typo = write_text(dir / "typo.toml", "[train]\nepochs = 5\nepoks = 3\n");
  std::string msg = input_error([&] { load_config(typo); });
  EXPECT_NE(msg.find(typo + ":3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.epoks"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;

  auto error_of = [](const std::string& text) {
    return input_error([&] { parse_config(text, "c.toml"); });
  };
  EXPECT_NE(error_of("[trian]\nepochs = 5\n").find("trian"), std::string::npos);
  EXPECT_NE(error_of("[train]\nepochs = \"ten\"\n").find("c.toml:2: train.epochs"),
            std::string::npos);
  EXPECT_NE(error_of("[train]\nepochs = 0\n").find("train.epochs"), std::string::npos);
  EXPECT_NE(error_of("[train]\nepochs = 2.5\n").find("train.epochs"), std::string::npos);
  EXPECT_NE(error_of("[train]\ntrain_fraction = 1.5\n").find("train.train_fraction"),
            std::string::npos);
  EXPECT_NE(error_of("[train]\nseed = -1\n").find("train.seed"), std::string::npos);
  EXPECT_NE(error_of("[detect]\nscope = \"hourly\"\n").find("detect.scope"), std::string::npos);
  EXPECT_NE(error_of("[detect]\nmedian_iqr_days = 5\n").find("median_iqr_min_history"),
            std::string::npos);
  EXPECT_NE(error_of("[quiet]\ndst_min = 30\n").find("quiet.dst_min"), std::string::npos);
  EXPECT_NE(error_of("[model]\nlstm_activation = \"softmax\"\n").find("model.lstm_activation"),
            std::string::npos);
  EXPECT_NE(error_of("[scan]\nmodels = [\"mlp\", \"xgboost\"]\n").find("xgboost"),
            std::string::npos);
  EXPECT_NE(error_of("[scan]\nmodels = [\"mlp\", \"mlp\"]\n").find("twice"), std::string::npos);
  EXPECT_NE(error_of("[scan]\nmodels = []\n").find("scan.models"), std::string::npos);
  EXPECT_NE(error_of("[scan]\ndevice = \"tpu\"\n").find("scan.device"), std::string::npos);
  EXPECT_NE(error_of("[train\nepochs = 5\n").find("c.toml:1"), std::string::npos);
  // A CNN whose pooling leaves no time step cannot be built: reported now, not mid-scan.
  EXPECT_NE(error_of("[model]\nwindow = 2\n[scan]\nmodels = [\"cnn\"]\n").find("cnn"),
            std::string::npos);
  EXPECT_EQ(error_of("[model]\nwindow = 2\n[scan]\nmodels = [\"mlp\"]\n"), "");
  fs::remove_all(dir);
}

TEST(ScanConfig, OverridesFromTheCommandLine) {
  ScanConfig c;
  apply_overrides(c, {"train.epochs=7", "detect.scope=utc-hour", "scan.models=mlp, median-iqr",
                      "quiet.kp_max=3", "model.lstm_activation=tanh", "train.learning_rate=5e-4",
                      "scan.models=[\"gru\", \"cnn\"]"});
  EXPECT_EQ(c.train.epochs, 7);
  EXPECT_EQ(c.detect.scope, DtecScope::kPerUtcHour);
  EXPECT_DOUBLE_EQ(c.quiet.kp_max, 3);
  EXPECT_EQ(c.model.lstm_activation, Activation::kTanh);
  EXPECT_EQ(c.train.adam.lr, 5e-4f);
  EXPECT_EQ(c.scan.models, (std::vector<std::string>{"gru", "cnn"}));
  apply_overrides(c, {"scan.models=mlp, median-iqr"});
  EXPECT_EQ(c.scan.models, (std::vector<std::string>{"mlp", "median-iqr"}));

  const ScanConfig before = c;
  for (const char* bad : {"train.epochs=abc", "epochs=5", "train.epoks=5", "nosuch.key=1"}) {
    std::string msg = input_error([&] { apply_overrides(c, {bad}); });
    EXPECT_NE(msg.find(bad), std::string::npos) << bad << " -> " << msg;
  }
  EXPECT_TRUE(c == before) << "a failed override must leave the config unchanged";
}

// ---- a synthetic event
// ----------------------------------------------------------------------------

// 6 nodes x 40 days at 2-hour cadence: a diurnal sine per node (shifted by longitude) plus
// Gaussian noise of 0.4 TECU; quiet indices except on day 35. Two +8 TECU disturbances: one
// on a quiet day in the test part of the series, one on the stormy day.
struct Synthetic {
  Cube cube;
  size_t quiet_node = 2, quiet_t = 30 * 12 + 6;  // day 30, 12 UTC
  size_t storm_node = 4, storm_t = 35 * 12 + 5;  // day 35, 10 UTC
  size_t storm_first = 35 * 12, storm_last = 35 * 12 + 11;
  // A disturbance or an epoch whose network input window (<= 8 values) still holds one: the
  // networks extrapolate from the spike there, so DTEC may be large too.
  bool follows_a_disturbance(size_t node, size_t t) const {
    return (node == quiet_node && t >= quiet_t && t <= quiet_t + 8) ||
           (node == storm_node && t >= storm_t && t <= storm_t + 8);
  }
};

Synthetic make_synthetic() {
  Synthetic s;
  Cube& c = s.cube;
  const size_t nn = 6, nt = 40 * 12;
  c.event.id = "synthetic,1";  // a comma: the CSV must quote it
  c.event.time = make_time(2001, 2, 7, 17, 33, 32);
  c.event.time_frac = 0.5;
  c.event.lat = 13.0;
  c.event.lon = -88.7;
  c.event.mag = 7.7;
  c.event.depth_km = 60;
  c.radius_km = 2000;
  for (size_t n = 0; n < nn; ++n) {
    c.node_lat.push_back(15.0 - 2.5 * static_cast<double>(n / 3));
    c.node_lon.push_back(-90.0 + 5.0 * static_cast<double>(n % 3));
    c.node_distance_km.push_back(100.0 * static_cast<double>(n + 1));
  }
  for (size_t t = 0; t < nt; ++t)
    c.time.push_back(make_time(2001, 1, 1) + static_cast<TimeS>(t) * 2 * kHour);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.4f);
  c.tec.resize(nn * nt);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const double local_h = static_cast<double>(t % 12) * 2 + c.node_lon[n] / 15.0;
      c.tec[n * nt + t] = static_cast<float>(25.0 + 2.0 * static_cast<double>(n) +
                                             12.0 * std::sin(2 * M_PI * (local_h - 8) / 24)) +
                          noise(rng);
    }
  c.tec[s.quiet_node * nt + s.quiet_t] += 8.0f;
  c.tec[s.storm_node * nt + s.storm_t] += 8.0f;
  c.tec[1 * nt + 100] = kNaN;  // a missing map value
  const float quiet_values[kNumIndexKinds] = {1.3f, 5, 6, -5, 95, 96};
  const float storm_values[kNumIndexKinds] = {6.3f, 80, 70, -85, 95, 96};
  for (int k = 0; k < kNumIndexKinds; ++k)
    for (size_t t = 0; t < nt; ++t)
      c.indices[k].push_back(t >= s.storm_first && t <= s.storm_last ? storm_values[k]
                                                                     : quiet_values[k]);
  c.indices[static_cast<int>(IndexKind::kDst)][50] = kNaN;  // Dst missing at one epoch
  c.sources = {"synthetic"};
  return s;
}

// A stand-in "model": the mean of the same UTC time on the two previous days (12 epochs a day).
// Tests the orchestration in milliseconds, independent of any network.
class PersistenceTrainer : public Trainer {
 public:
  explicit PersistenceTrainer(std::vector<ModelKind> kinds) : kinds_(std::move(kinds)) {}
  std::string name() const override { return "persistence"; }
  bool supports(ModelKind k, const ModelConfig&) const override {
    return std::find(kinds_.begin(), kinds_.end(), k) != kinds_.end();
  }
  ModelRun train(ModelKind k, const ModelConfig&, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    ++calls;
    ModelRun r;
    r.kind = k;
    r.nnode = cube.nnode();
    r.ntime = cube.ntime();
    r.predicted.assign(r.nnode * r.ntime, kNaN);
    for (size_t n = 0; n < r.nnode; ++n) {
      const float* x = cube.node_tec(n);
      for (size_t t = 24; t < r.ntime; ++t)
        r.predicted[n * r.ntime + t] = 0.5f * (x[t - 12] + x[t - 24]);
      if (progress) progress->advance();
    }
    r.epoch_loss.assign(r.nnode * static_cast<size_t>(tc.epochs), 0.5f);
    r.train_rmse.assign(r.nnode, 1.0);
    r.test_rmse.assign(r.nnode, 2.0);
    r.device = "persistence";
    return r;
  }
  int calls = 0;

 private:
  std::vector<ModelKind> kinds_;
};

TEST(CompositeTrainer, SendsAPrecisionATrainerLacksToTheNext) {
  // The first trainer has FP32 only (Trainer's default); the CPU emulates every precision.
  std::vector<std::unique_ptr<Trainer>> list;
  list.push_back(std::make_unique<PersistenceTrainer>(std::vector<ModelKind>{ModelKind::kMlp}));
  list.push_back(make_cpu_trainer(1));
  auto* fp32_only = static_cast<PersistenceTrainer*>(list[0].get());
  CompositeTrainer composite(std::move(list), /*announce_fallback=*/false);
  EXPECT_TRUE(composite.supports_precision(ModelKind::kMlp, Precision::kBf16));
  Synthetic s = make_synthetic();
  ModelConfig mc;
  mc.mlp_hidden = 4;
  TrainConfig tc;
  tc.epochs = 1;
  composite.train(ModelKind::kMlp, mc, tc, s.cube, nullptr);
  EXPECT_EQ(fp32_only->calls, 1);
  tc.precision = Precision::kTf32;
  const ModelRun tf32 = composite.train(ModelKind::kMlp, mc, tc, s.cube, nullptr);
  EXPECT_EQ(fp32_only->calls, 1);  // not trained in FP32 by a trainer that has no TF32
  EXPECT_NE(tf32.device.find("cpu"), std::string::npos) << tf32.device;
}

TEST(CompositeTrainer, UsesTheFirstTrainerThatSupportsTheModel) {
  std::vector<std::unique_ptr<Trainer>> list;
  list.push_back(std::make_unique<PersistenceTrainer>(std::vector<ModelKind>{ModelKind::kMlp}));
  list.push_back(std::make_unique<PersistenceTrainer>(
      std::vector<ModelKind>{ModelKind::kMlp, ModelKind::kCnn}));
  Trainer* first = list[0].get();
  Trainer* second = list[1].get();
  CompositeTrainer composite(std::move(list), /*announce_fallback=*/false);
  const ModelConfig mc;
  EXPECT_EQ(composite.name(), "persistence+persistence");
  EXPECT_EQ(composite.choose(ModelKind::kMlp, mc), first);
  EXPECT_EQ(composite.choose(ModelKind::kCnn, mc), second);
  EXPECT_EQ(composite.choose(ModelKind::kLstm, mc), nullptr);
  EXPECT_FALSE(composite.supports(ModelKind::kLstm, mc));

  Synthetic s = make_synthetic();
  TrainConfig tc;
  tc.epochs = 2;
  composite.train(ModelKind::kCnn, mc, tc, s.cube, nullptr);
  EXPECT_EQ(static_cast<PersistenceTrainer*>(first)->calls, 0);
  EXPECT_EQ(static_cast<PersistenceTrainer*>(second)->calls, 1);
  EXPECT_NE(
      input_error([&] { composite.train(ModelKind::kLstm, mc, tc, s.cube, nullptr); }).find("lstm"),
      std::string::npos);
}

TEST(ComputeScan, ConsensusQuietGateAndTheDtecHook) {
  Synthetic s = make_synthetic();
  ScanConfig cfg = paper_config();  // the paper method: exact values below
  cfg.scan.models = {"cnn", "median-iqr", "mlp"};
  cfg.train.epochs = 3;
  PersistenceTrainer trainer({ModelKind::kMlp, ModelKind::kCnn});
  ScanOptions opt;
  opt.quiet_progress = true;
  int dtec_calls = 0;
  opt.dtec = [&](const float* o, const float* p, size_t nn, size_t nt, const TimeS* t,
                 DtecScope scope, const uint8_t* mask, DtecOutput& out) {
    ++dtec_calls;
    compute_dtec_cpu(o, p, nn, nt, t, scope, mask, out);
  };
  const ScanResult r = compute_scan(s.cube, cfg, trainer, opt);
  const size_t nn = s.cube.nnode(), nt = s.cube.ntime();
  EXPECT_EQ(dtec_calls, 2);
  EXPECT_EQ(trainer.calls, 2);
  ASSERT_EQ(r.detectors.size(), 3u);
  EXPECT_EQ(r.detectors[0].name, "cnn");
  EXPECT_EQ(r.detectors[1].name, "median-iqr");
  EXPECT_FALSE(r.detectors[1].neural);
  EXPECT_EQ(r.detectors[2].name, "mlp");
  EXPECT_EQ(r.detectors[2].nepoch, 3u);

  // Quiet mask from the cube's indices: the stormy day and the epoch without Dst are not quiet.
  for (size_t t = 0; t < nt; ++t) {
    const bool stormy = t >= s.storm_first && t <= s.storm_last;
    EXPECT_EQ(r.quiet.quiet[t], (stormy || t == 50) ? 0 : 1) << "t=" << t;
    EXPECT_EQ(r.quiet.missing[t], t == 50 ? 4 : 0) << "t=" << t;
  }
  for (size_t i = 0; i < nn * nt; ++i) {
    int count = 0;
    for (const DetectorResult& d : r.detectors) {
      const bool flag = std::fabs(d.dtec[i]) > cfg.detect.threshold && r.quiet.quiet[i % nt];
      ASSERT_EQ(d.anomaly[i], flag ? 1 : 0) << d.name << " i=" << i;
      count += d.anomaly[i];
    }
    ASSERT_EQ(r.consensus[i], count) << "i=" << i;
  }
  // The quiet disturbance is seen by all three; the stormy one never flagged as an anomaly.
  EXPECT_EQ(r.consensus[s.quiet_node * nt + s.quiet_t], 3);
  for (const DetectorResult& d : r.detectors) {
    EXPECT_GT(std::fabs(d.dtec[s.storm_node * nt + s.storm_t]), cfg.detect.threshold) << d.name;
    EXPECT_EQ(d.anomaly[s.storm_node * nt + s.storm_t], 0) << d.name;
  }
  const DetectorSummary sum = summarize_detector(r.detectors[2], nn, nt);
  EXPECT_GT(sum.anomalies, 0);
  EXPECT_GT(sum.flagged_storm, 0);
  EXPECT_TRUE(sum.strongest.found);
  EXPECT_EQ(sum.strongest.node, s.quiet_node);
  EXPECT_EQ(sum.strongest.time, s.quiet_t);
  // The scan scores the predictions itself (the split: training part, test part).
  const size_t split = static_cast<size_t>(std::floor(cfg.train.train_fraction * nt));
  std::vector<double> train_rmse, test_rmse;
  for (size_t n = 0; n < nn; ++n) {
    double sse[2] = {0, 0};
    long count[2] = {0, 0};
    for (size_t t = 0; t < nt; ++t) {
      const float p = r.detectors[2].predicted[n * nt + t], o = s.cube.tec[n * nt + t];
      if (!std::isfinite(p) || !std::isfinite(o)) continue;
      sse[t >= split] += (static_cast<double>(p) - o) * (static_cast<double>(p) - o);
      ++count[t >= split];
    }
    train_rmse.push_back(std::sqrt(sse[0] / count[0]));
    test_rmse.push_back(std::sqrt(sse[1] / count[1]));
  }
  std::sort(train_rmse.begin(), train_rmse.end());
  std::sort(test_rmse.begin(), test_rmse.end());
  EXPECT_NEAR(sum.median_train_rmse, 0.5 * (train_rmse[2] + train_rmse[3]), 1e-9);
  EXPECT_NEAR(sum.median_test_rmse, 0.5 * (test_rmse[2] + test_rmse[3]), 1e-9);
}

TEST(ComputeScan, UtcHourScopeKeepsOneMedianAndIqrPerHour) {
  Synthetic s = make_synthetic();
  ScanConfig cfg = paper_config();  // the paper method: exact values below
  cfg.scan.models = {"mlp"};
  cfg.detect.scope = DtecScope::kPerUtcHour;
  PersistenceTrainer trainer({ModelKind::kMlp});
  ScanOptions opt;
  opt.quiet_progress = true;
  const ScanResult r = compute_scan(s.cube, cfg, trainer, opt);
  const DetectorResult& d = r.detectors[0];
  ASSERT_EQ(d.ngroup, 24u);
  ASSERT_EQ(d.stat_median.size(), s.cube.nnode() * 24);
  // 2-hour cadence from 00 UTC: odd hours have no epochs, so no statistics.
  EXPECT_TRUE(std::isfinite(d.stat_median[0]) && std::isfinite(d.stat_iqr[0]));
  EXPECT_TRUE(std::isnan(d.stat_median[1]) && std::isnan(d.stat_iqr[1]));
  DtecOutput direct;
  compute_dtec_cpu(s.cube.tec.data(), d.predicted.data(), s.cube.nnode(), s.cube.ntime(),
                   s.cube.time.data(), DtecScope::kPerUtcHour, nullptr, direct);
  for (size_t i = 0; i < d.dtec.size(); ++i)
    ASSERT_TRUE(d.dtec[i] == direct.dtec[i] ||
                (std::isnan(d.dtec[i]) && std::isnan(direct.dtec[i])));
}

TEST(ComputeScan, RejectsCubesItCannotScan) {
  Synthetic s = make_synthetic();
  PersistenceTrainer trainer({ModelKind::kMlp});
  ScanConfig cfg = paper_config();  // the paper method: exact values below
  cfg.scan.models = {"mlp"};
  ScanOptions opt;
  opt.quiet_progress = true;
  Cube empty;
  EXPECT_NE(input_error([&] { compute_scan(empty, cfg, trainer, opt); }), "");
  Cube short_cube = s.cube;
  short_cube.time.resize(5);
  short_cube.tec.resize(s.cube.nnode() * 5);
  for (auto& v : short_cube.indices) v.resize(5);
  EXPECT_NE(input_error([&] { compute_scan(short_cube, cfg, trainer, opt); }).find("mlp"),
            std::string::npos);
  cfg.scan.models = {"cnn"};  // the trainer cannot do it
  EXPECT_NE(input_error([&] { compute_scan(s.cube, cfg, trainer, opt); }).find("cnn"),
            std::string::npos);
  // An event whose precursor window holds no epoch of the cube, and an injection longer than
  // the series: said before any training.
  cfg.scan.models = {"mlp"};
  Cube late = s.cube;
  late.event.time = s.cube.time.back() + 40 * kDay;
  EXPECT_NE(input_error([&] { compute_scan(late, cfg, trainer, opt); }).find("window_days"),
            std::string::npos);
  opt.inject = true;
  cfg.inject.duration_hours = 24.0 * 400;
  EXPECT_NE(input_error([&] { compute_scan(s.cube, cfg, trainer, opt); }).find("duration_hours"),
            std::string::npos);
  EXPECT_EQ(trainer.calls, 0);
}

// ---- end to end: the CPU trainer, then every output file
// -----------------------------------------

class ScanEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    synthetic_ = new Synthetic(make_synthetic());
    dir_ = new fs::path(temp_dir("run"));
    // The paper's method, whose numbers these tests spell out (test_calibration.cpp covers the
    // calibrated default's outputs).
    config_ = new ScanConfig(paper_config());
    // Every detector, with networks small enough to train in well under a second. The LSTM
    // uses tanh here: the paper's sigmoid cell needs far more than 60 epochs to fit.
    config_->model.mlp_hidden = 16;
    config_->model.cnn_filters = 16;
    config_->model.rnn_units = 8;
    config_->model.gru_units = 8;
    config_->model.lstm_units = 8;
    config_->model.lstm_dense = 8;
    config_->model.lstm_activation = Activation::kTanh;
    config_->model.cnnlstm_units = 8;
    config_->train.epochs = 60;
    const fs::path inputs = *dir_ / "inputs";
    fs::create_directories(inputs);
    // SHA-256 test vectors (FIPS 180-2): one block and a message that needs two.
    inputs_ = new std::vector<std::string>{
        write_text(inputs / "abc.txt", "abc"),
        write_text(inputs / "two_blocks.txt",
                   "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")};
    auto trainer = make_cpu_trainer(2);
    ScanOptions opt;
    opt.quiet_progress = true;
    opt.input_files = *inputs_;
    summary_ = new ScanSummary(run_scan(synthetic_->cube, *config_, *trainer, out().string(), opt));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete synthetic_;
    delete dir_;
    delete config_;
    delete inputs_;
    delete summary_;
  }
  static fs::path out() { return *dir_ / "out"; }

  static Synthetic* synthetic_;
  static fs::path* dir_;
  static ScanConfig* config_;
  static std::vector<std::string>* inputs_;
  static ScanSummary* summary_;
};
Synthetic* ScanEndToEnd::synthetic_ = nullptr;
fs::path* ScanEndToEnd::dir_ = nullptr;
ScanConfig* ScanEndToEnd::config_ = nullptr;
std::vector<std::string>* ScanEndToEnd::inputs_ = nullptr;
ScanSummary* ScanEndToEnd::summary_ = nullptr;

TEST_F(ScanEndToEnd, TheInjectedDisturbanceIsFlaggedAndLittleElse) {
  const Synthetic& s = *synthetic_;
  const size_t nn = s.cube.nnode(), nt = s.cube.ntime(), spike = s.quiet_node * nt + s.quiet_t;
  const size_t ndet = config_->scan.models.size();
  ASSERT_EQ(ndet, 7u);
  H5File f = H5File::open_read((out() / "scan.h5").string());
  const std::vector<uint8_t> consensus = f.read_uint8("consensus");
  ASSERT_EQ(consensus.size(), nn * nt);
  EXPECT_EQ(consensus[spike], ndet) << "every detector must flag the disturbance";
  // |DTEC| > 1.5 is about two standard deviations of Gaussian residuals, so by the method's
  // design a few per cent of the noisy epochs cross it in any detector (measured: the
  // networks ~4-5 %); median-iqr more (~12 %: the IQR of only 15 past values is noisy itself).
  for (const std::string& m : config_->scan.models) {
    const std::vector<uint8_t> a = f.read_uint8("anomaly/" + m);
    const std::vector<float> dtec = f.read_float("dtec/" + m);
    size_t flagged = 0, finite = 0;
    for (size_t i = 0; i < nn * nt; ++i) {
      if (i == spike) continue;
      flagged += a[i];
      finite += std::isfinite(dtec[i]);
      if (!s.follows_a_disturbance(i / nt, i % nt) && std::isfinite(dtec[i])) {
        EXPECT_LT(std::fabs(dtec[i]), std::fabs(dtec[spike])) << m << ": stronger at " << i;
      }
    }
    const double rate = static_cast<double>(flagged) / static_cast<double>(finite);
    std::printf("[ scan ] %-10s DTEC at the disturbance %6.2f, flagged elsewhere %4.1f %%\n",
                m.c_str(), dtec[spike], 100 * rate);
    EXPECT_LT(rate, m == "median-iqr" ? 0.16 : 0.08) << m;
  }
  // Agreement is what makes an anomaly credible: chance crossings rarely coincide.
  size_t majority = 0, all = 0;
  for (size_t i = 0; i < nn * nt; ++i) {
    if (i == spike) continue;
    majority += consensus[i] > ndet / 2;
    all += consensus[i] == ndet;
  }
  std::printf("[ scan ] elsewhere: %zu of %zu cells flagged by a majority, %zu by all %zu\n",
              majority, nn * nt, all, ndet);
  EXPECT_LT(static_cast<double>(majority), 0.04 * static_cast<double>(nn * nt));  // measured 2.3 %
  EXPECT_LT(static_cast<double>(all), 0.01 * static_cast<double>(nn * nt));
  // The stormy-day disturbance is never an anomaly.
  EXPECT_EQ(consensus[s.storm_node * nt + s.storm_t], 0);
}

std::vector<std::vector<std::string>> read_csv_rows(const fs::path& path, std::string& header) {
  std::ifstream in(path);
  std::getline(in, header);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        fields.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

TEST_F(ScanEndToEnd, AnomaliesCsvHasTheExactColumnsAndOneRowPerCrossing) {
  const Synthetic& s = *synthetic_;
  const size_t nt = s.cube.ntime();
  std::string header;
  const auto rows = read_csv_rows(out() / "anomalies.csv", header);
  EXPECT_EQ(header,
            "event_id,model,node_lat,node_lon,distance_km,time_utc,days_to_event,hour_utc,"
            "local_time_h,dtec,delta_tec,observed_tec,predicted_tec,quiet,threshold");
  H5File f = H5File::open_read((out() / "scan.h5").string());
  const std::vector<uint8_t> quiet = f.read_uint8("quiet");
  size_t expected_rows = 0;
  for (const std::string& m : config_->scan.models)
    for (float d : f.read_float("dtec/" + m)) expected_rows += std::fabs(d) > 1.5f;
  ASSERT_EQ(rows.size(), expected_rows);

  // Sorted by model (config order), node, time; fields consistent with the cube.
  auto node_of = [&](const std::vector<std::string>& r) {
    for (size_t n = 0; n < s.cube.nnode(); ++n)
      if (std::stod(r[2]) == s.cube.node_lat[n] && std::stod(r[3]) == s.cube.node_lon[n]) return n;
    ADD_FAILURE() << "no node at " << r[2] << "," << r[3];
    return size_t{0};
  };
  auto model_rank = [&](const std::string& m) {
    return std::find(config_->scan.models.begin(), config_->scan.models.end(), m) -
           config_->scan.models.begin();
  };
  bool storm_row_seen = false;
  std::tuple<long, size_t, std::string> previous{-1, 0, ""};
  for (const auto& r : rows) {
    ASSERT_EQ(r.size(), 15u);
    EXPECT_EQ(r[0], "synthetic,1");
    EXPECT_EQ(r[14], "1.5");  // the paper's fixed threshold
    const size_t n = node_of(r);
    const std::tuple<long, size_t, std::string> key{model_rank(r[1]), n, r[5]};
    EXPECT_LT(previous, key) << "rows out of order at " << r[1] << " " << r[5];
    previous = key;
    const TimeS when = parse_iso_time(r[5]);
    ASSERT_EQ(r[5].back(), 'Z');
    const size_t t = static_cast<size_t>((when - s.cube.time[0]) / (2 * kHour));
    ASSERT_EQ(s.cube.time[t], when);
    const double days =
        (static_cast<double>(when) - (static_cast<double>(s.cube.event.time) + 0.5)) / kDay;
    EXPECT_NEAR(std::stod(r[6]), days, 1e-4);
    const double hour = static_cast<double>(when % kDay) / 3600.0;
    EXPECT_EQ(std::stod(r[7]), hour);
    EXPECT_NEAR(std::stod(r[8]), std::fmod(hour + s.cube.node_lon[n] / 15.0 + 24.0, 24.0), 1e-4);
    EXPECT_GT(std::fabs(std::stod(r[9])), 1.5);
    EXPECT_NEAR(std::stod(r[10]), std::stod(r[11]) - std::stod(r[12]), 2e-4);
    EXPECT_NEAR(std::stod(r[11]), s.cube.tec[n * nt + t], 1e-4);
    EXPECT_EQ(r[13], quiet[t] ? "1" : "0");
    if (n == s.storm_node && t == s.storm_t) {
      storm_row_seen = true;
      EXPECT_EQ(r[13], "0") << "the stormy-day disturbance is flagged but not quiet";
    }
  }
  EXPECT_TRUE(storm_row_seen) << "the stormy-day disturbance must appear with quiet=0";
}

TEST_F(ScanEndToEnd, ScanH5HoldsEveryDatasetWithItsShape) {
  const size_t nn = synthetic_->cube.nnode(), nt = synthetic_->cube.ntime();
  H5File f = H5File::open_read((out() / "scan.h5").string());
  using Dims = std::vector<size_t>;
  for (const char* name : {"node", "node_lat", "node_lon", "node_distance_km"})
    EXPECT_EQ(f.dims(name), Dims{nn}) << name;
  EXPECT_EQ(f.dims("time"), Dims{nt});
  EXPECT_EQ(f.read_double("time")[1] - f.read_double("time")[0], 2.0);
  EXPECT_EQ(f.dims("observed"), (Dims{nn, nt}));
  EXPECT_EQ(f.dims("consensus"), (Dims{nn, nt}));
  EXPECT_EQ(f.dims("quiet"), Dims{nt});
  EXPECT_EQ(f.dims("quiet_missing"), Dims{nt});
  EXPECT_EQ(f.read_uint8("quiet_missing")[50], 4);
  for (int k = 0; k < kNumIndexKinds; ++k)
    EXPECT_EQ(f.dims(std::string("indices/") + index_name(static_cast<IndexKind>(k))), Dims{nt});
  for (const std::string& m : config_->scan.models) {
    for (const char* group : {"predicted/", "dtec/", "delta_tec/", "anomaly/"})
      EXPECT_EQ(f.dims(group + m), (Dims{nn, nt})) << group << m;
    EXPECT_EQ(f.read_attr_string("predicted/" + m, "units"), "TECU");
    EXPECT_TRUE(f.has_attr("dtec/" + m, "long_name"));
    const bool neural = m != "median-iqr";
    EXPECT_EQ(f.dims("stats/" + m + "/median"), (Dims{nn, neural ? 1 : nt})) << m;
    EXPECT_EQ(f.dims("stats/" + m + "/iqr"), (Dims{nn, neural ? 1 : nt})) << m;
    EXPECT_EQ(f.has("training/" + m), neural) << m;
    if (!neural) continue;
    EXPECT_EQ(f.dims("training/" + m + "/train_rmse"), Dims{nn});
    EXPECT_EQ(f.dims("training/" + m + "/test_rmse"), Dims{nn});
    EXPECT_EQ(f.dims("training/" + m + "/epoch_loss"), (Dims{nn, 60}));
    // A trained predictor beats the diurnal spread (12 TECU amplitude) by far.
    for (double rmse : f.read_double("training/" + m + "/test_rmse")) EXPECT_LT(rmse, 2.5) << m;
  }
  EXPECT_EQ(f.read_attr_string("/", "event_id"), "synthetic,1");
  EXPECT_EQ(f.read_attr_string("/", "tecscan_version"), TECSCAN_VERSION);
  EXPECT_TRUE(parse_config(f.read_attr_string("/", "config"), "scan.h5") == *config_);
  // Observed is the cube's TEC, NaN kept.
  const std::vector<float> observed = f.read_float("observed");
  EXPECT_TRUE(std::isnan(observed[1 * nt + 100]));
  EXPECT_EQ(observed[3 * nt + 7], synthetic_->cube.tec[3 * nt + 7]);
}

TEST_F(ScanEndToEnd, SummaryJsonConfigAndNoTempFiles) {
  const nlohmann::json j = nlohmann::json::parse(read_text(out() / "summary.json"));
  EXPECT_EQ(j["event"]["id"], "synthetic,1");
  EXPECT_EQ(j["event"]["time"], "2001-02-07T17:33:32.500Z");
  ASSERT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["inputs"][0]["sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(j["inputs"][1]["sha256"],
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(j["inputs"][1]["bytes"], 56);
  EXPECT_EQ(j["config"]["train"]["epochs"], 60);
  EXPECT_EQ(j["config"]["scan"]["models"], config_->scan.models);
  EXPECT_EQ(j["config"]["model"]["lstm_activation"], "tanh");
  for (const std::string& m : config_->scan.models) {
    const std::string stage = m == "median-iqr" ? m : "train " + m;
    EXPECT_TRUE(j["timing_s"].contains(stage)) << stage;
    EXPECT_TRUE(j["devices"][m].get<std::string>().rfind("cpu", 0) == 0) << m;
  }
  for (const char* stage : {"quiet mask", "write outputs", "total"})
    EXPECT_TRUE(j["timing_s"].contains(stage)) << stage;

  // Counts agree with scan.h5 and with the returned summary.
  H5File f = H5File::open_read((out() / "scan.h5").string());
  const std::vector<uint8_t> quiet = f.read_uint8("quiet");
  const size_t nt = quiet.size();
  ASSERT_EQ(summary_->detectors.size(), config_->scan.models.size());
  for (const DetectorSummary& d : summary_->detectors) {
    const auto& jm = j["models"][d.name];
    ASSERT_TRUE(jm.is_object()) << d.name;
    const std::vector<uint8_t> a = f.read_uint8("anomaly/" + d.name);
    const std::vector<float> dtec = f.read_float("dtec/" + d.name);
    long anomalies = 0, storm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      anomalies += a[i];
      storm += std::fabs(dtec[i]) > 1.5f && !quiet[i % nt];
    }
    EXPECT_EQ(jm["anomalies"], anomalies) << d.name;
    EXPECT_EQ(jm["flagged_storm"], storm) << d.name;
    EXPECT_EQ(d.anomalies, anomalies);
    const size_t strongest_t = static_cast<size_t>(
        (parse_iso_time(jm["strongest_anomaly"]["time"]) - synthetic_->cube.time[0]) / (2 * kHour));
    EXPECT_TRUE(synthetic_->follows_a_disturbance(jm["strongest_anomaly"]["node"], strongest_t))
        << d.name << " strongest at " << jm["strongest_anomaly"];
    EXPECT_TRUE(jm["first_anomaly"].is_object());
    if (d.name == "median-iqr") {
      EXPECT_TRUE(jm["median_test_rmse_tecu"].is_null());
    } else {
      EXPECT_LT(jm["median_test_rmse_tecu"].get<double>(), 2.0);
    }
  }
  // The model keys keep the config order in the file (nlohmann::json itself sorts them).
  EXPECT_EQ(j["models"].size(), config_->scan.models.size());
  const std::string text = read_text(out() / "summary.json");
  const size_t models_at = text.find("\"models\": {");
  ASSERT_NE(models_at, std::string::npos);
  size_t previous = models_at;
  for (const std::string& m : config_->scan.models) {
    const size_t at = text.find("\"" + m + "\": {", models_at);
    EXPECT_GT(at, previous) << m << " out of order";
    previous = at;
  }

  EXPECT_TRUE(load_config((out() / "config.used.toml").string()) == *config_);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(out())) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"anomalies.csv", "config.used.toml", "scan.h5",
                                             "summary.json"}));
}

TEST_F(ScanEndToEnd, OpensInXarray) {
  if (std::system("/usr/bin/python3 -c 'import h5py, xarray, h5netcdf' 2>/dev/null") != 0)
    GTEST_SKIP() << "/usr/bin/python3 lacks h5py/xarray/h5netcdf: xarray check not run";
  const std::string script =
      "import sys, xarray as xr\n"
      "ds = xr.open_dataset(sys.argv[1], engine='h5netcdf')\n"
      "assert ds['observed'].dims == ('node', 'time'), ds['observed'].dims\n"
      "assert str(ds['time'].values[0])[:19] == '2001-01-01T00:00:00', ds['time'].values[0]\n"
      "g = xr.open_dataset(sys.argv[1], engine='h5netcdf', group='dtec')\n"
      "assert g['mlp'].dims == ('node', 'time'), g['mlp'].dims\n"
      "t = xr.open_dataset(sys.argv[1], engine='h5netcdf', group='training/mlp')\n"
      "assert t['epoch_loss'].dims == ('node', 'training_epoch'), t['epoch_loss'].dims\n";
  const fs::path py = *dir_ / "check_scan.py";
  write_text(py, script);
  const std::string cmd = "/usr/bin/python3 " + py.string() + " " + (out() / "scan.h5").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST_F(ScanEndToEnd, ARerunReplacesTheRunAtomically) {
  // A second run into the same directory (median-iqr only, fast) replaces every file.
  const fs::path dir = *dir_ / "rerun";
  fs::copy(out(), dir);
  ScanConfig cfg = *config_;
  cfg.scan.models = {"median-iqr"};
  PersistenceTrainer unused({});
  ScanOptions opt;
  opt.quiet_progress = true;
  run_scan(synthetic_->cube, cfg, unused, dir.string(), opt);
  H5File f = H5File::open_read((dir / "scan.h5").string());
  EXPECT_FALSE(f.has("predicted/mlp"));
  EXPECT_TRUE(f.has("predicted/median-iqr"));
  EXPECT_TRUE(load_config((dir / "config.used.toml").string()) == cfg);
  const nlohmann::json j = nlohmann::json::parse(read_text(dir / "summary.json"));
  EXPECT_EQ(j["models"].size(), 1u);
  EXPECT_EQ(j["inputs"].size(), 0u);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  // An input file that cannot be read stops the run before anything is trained or replaced.
  opt.input_files = {(dir / "missing.ionex").string()};
  EXPECT_NE(input_error([&] {
              run_scan(synthetic_->cube, *config_, unused, dir.string(), opt);
            }).find("missing.ionex"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "summary.json"));
}

}  // namespace
}  // namespace tecscan
