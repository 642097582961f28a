// Windowing, the training loop of one node and the CPU trainer over a cube.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "support/diurnal_series.hpp"
#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

using tecscan::testing::diurnal_series;

double series_std(const std::vector<float>& v) {
  double mean = 0, sq = 0;
  int n = 0;
  for (float x : v)
    if (std::isfinite(x)) mean += x, ++n;
  mean /= n;
  for (float x : v)
    if (std::isfinite(x)) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / (n - 1));
}

TEST(Windows, HandMadeSeriesWithGap) {
  // Finite values 1,2,3,5,...,10: mean 51/9 = 17/3, sum of squared deviations 369 - 289 = 80,
  // sample variance 80 / 8 = 10.
  const std::vector<float> tec = {1, 2, 3, kNaN, 5, 6, 7, 8, 9, 10};
  NodeWindows w = make_windows(tec.data(), 10, 2, 0.8);
  EXPECT_DOUBLE_EQ(w.mean, 17.0 / 3.0);
  EXPECT_NEAR(w.std, std::sqrt(10.0), 1e-12);
  EXPECT_EQ(w.n_train, 8);  // floor(0.8 * 10)
  EXPECT_EQ(w.input_len, 2);
  ASSERT_EQ(w.z.size(), 10u);
  EXPECT_FLOAT_EQ(w.z[0], static_cast<float>((1 - 17.0 / 3.0) / std::sqrt(10.0)));
  EXPECT_TRUE(std::isnan(w.z[3]));
  // t = 4, 5 need the missing value 3 as input; t = 3 has finite inputs (its target is missing).
  EXPECT_EQ(w.predict_targets, (std::vector<int>{2, 3, 6, 7, 8, 9}));
  // Training targets: finite inputs, finite target and t < n_train.
  EXPECT_EQ(w.train_targets, (std::vector<int>{2, 6, 7}));
}

TEST(Windows, DegenerateSeriesGiveNoTargets) {
  const std::vector<float> flat(50, 12.5f);
  NodeWindows w = make_windows(flat.data(), 50, 4, 0.65);
  EXPECT_TRUE(w.train_targets.empty());
  EXPECT_TRUE(w.predict_targets.empty());
  EXPECT_DOUBLE_EQ(w.mean, 12.5);
  for (float z : w.z) EXPECT_TRUE(std::isnan(z));

  std::vector<float> one(50, kNaN);
  one[7] = 3.0f;
  w = make_windows(one.data(), 50, 4, 0.65);
  EXPECT_TRUE(w.predict_targets.empty());
  EXPECT_TRUE(std::isnan(w.std));

  EXPECT_THROW(make_windows(flat.data(), 50, 4, 0.0), InputError);
  EXPECT_THROW(make_windows(flat.data(), 50, 4, 1.5), InputError);
  EXPECT_THROW(make_windows(flat.data(), 50, 0, 0.65), InputError);
}

TEST(TrainNode, LearnsAPeriodicSeries) {
  const int ntime = 600;
  const std::vector<float> tec = diurnal_series(ntime);
  const double sd = series_std(tec);
  TrainConfig tc;
  tc.epochs = 30;
  const ModelConfig mc;  // the paper's MLP and CNN
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn}) {
    TrainResult r = train_node(k, mc, tc, tec.data(), ntime, 0);
    ASSERT_EQ(r.epoch_loss.size(), 30u);
    EXPECT_LT(r.epoch_loss.back(), 0.1 * r.epoch_loss.front()) << model_name(k);
    EXPECT_LT(r.epoch_loss.back(), r.epoch_loss[14]) << model_name(k);
    EXPECT_LT(r.test_rmse, 0.1 * sd) << model_name(k) << " std " << sd;
    EXPECT_LT(r.train_rmse, 0.1 * sd) << model_name(k);
    for (int t = 0; t < 4; ++t) EXPECT_TRUE(std::isnan(r.predicted[t]));
    for (int t = 4; t < ntime; ++t) ASSERT_TRUE(std::isfinite(r.predicted[t])) << t;

    // The stored prediction is the trained model's output, de-normalised.
    NodeWindows w = make_windows(tec.data(), ntime, 4, tc.train_fraction);
    std::unique_ptr<CpuModel<float>> model = make_cpu_model<float>(k, mc);
    float y = 0;
    model->forward(r.params.data(), w.z.data() + 500 - 4, 1, &y);
    EXPECT_NEAR(r.predicted[500], y * w.std + w.mean, 1e-4) << model_name(k);
  }
}

// One full-batch epoch is exactly one Adam step from the Keras init: checks the loss, the
// gradient scaling 2 (yhat - y) / B and the bias-corrected step size.
TEST(TrainNode, FirstStepIsOneAdamUpdate) {
  const int ntime = 300;
  const std::vector<float> tec = diurnal_series(ntime, 1.0);
  ModelConfig mc;
  mc.mlp_hidden = 16;
  TrainConfig tc;
  tc.epochs = 1;
  tc.batch = 1000;  // >= the number of training targets: one minibatch
  const int node = 3;
  TrainResult r = train_node(ModelKind::kMlp, mc, tc, tec.data(), ntime, node);

  NodeWindows w = make_windows(tec.data(), ntime, 4, tc.train_fraction);
  const int n = static_cast<int>(w.train_targets.size());
  ASSERT_EQ(n, static_cast<int>(std::floor(0.65 * ntime)) - 4);
  std::vector<double> p0(parameter_count(ModelKind::kMlp, mc));
  {
    std::vector<float> f(p0.size());
    init_parameters(ModelKind::kMlp, mc, tc.seed, node, f.data());
    p0.assign(f.begin(), f.end());
  }
  std::vector<double> x, y(n), yhat(n), dy(n), g(p0.size());
  for (int t : w.train_targets)
    for (int j = t - 4; j < t; ++j) x.push_back(w.z[j]);
  for (int i = 0; i < n; ++i) y[i] = w.z[w.train_targets[i]];
  std::unique_ptr<CpuModel<double>> model = make_cpu_model<double>(ModelKind::kMlp, mc);
  model->forward(p0.data(), x.data(), n, yhat.data());
  double mse = 0;
  for (int i = 0; i < n; ++i) {
    mse += (yhat[i] - y[i]) * (yhat[i] - y[i]) / n;
    dy[i] = 2 * (yhat[i] - y[i]) / n;
  }
  model->backward(p0.data(), dy.data(), g.data());
  EXPECT_NEAR(r.epoch_loss[0], mse, 1e-5 * mse);

  const AdamConfig a;
  const double alpha = a.lr * std::sqrt(1 - a.beta2) / (1 - a.beta1);
  int moved = 0;
  for (size_t p = 0; p < p0.size(); ++p) {
    const double m = (1 - a.beta1) * g[p], v = (1 - a.beta2) * g[p] * g[p];
    const double expected = p0[p] - alpha * m / (std::sqrt(v) + a.eps);
    // Near g = 0 the step lr * g / (|g| + eps / sqrt(1 - beta2)) is steep in g, and g is summed
    // in float by train_node: there only the bound |step| <= lr is checked.
    if (std::abs(g[p]) > 1e-4)
      ASSERT_NEAR(r.params[p], expected, 2e-6) << "parameter " << p << " gradient " << g[p];
    else
      ASSERT_LE(std::abs(r.params[p] - p0[p]), a.lr * 1.001) << "parameter " << p;
    if (std::abs(g[p]) > 1e-3) moved += std::abs(r.params[p] - p0[p]) > 0.9 * a.lr;
  }
  EXPECT_GT(moved, static_cast<int>(p0.size()) / 4);  // Adam's first step is ~lr per weight
}

// [train] precision reaches the training loop: the first epoch's loss (one full batch, before
// the update) is the loss of the double model with the same operand rounding, and the first
// Adam step (about -lr sign(g) per weight) follows that model's gradient. Tolerance 1e-5
// relative, as above (float vs double accumulation); bf16's rounding moves the loss by far more.
TEST(TrainNode, EachPrecisionTrainsWithItsOwnRounding) {
  const int ntime = 300;
  const std::vector<float> tec = diurnal_series(ntime, 1.0);
  ModelConfig mc;
  mc.mlp_hidden = 16;
  const NodeWindows w = make_windows(tec.data(), ntime, 4, 0.65);
  const int n = static_cast<int>(w.train_targets.size());
  std::vector<double> x, y(n);
  for (int t : w.train_targets)
    for (int j = t - 4; j < t; ++j) x.push_back(w.z[j]);
  for (int i = 0; i < n; ++i) y[i] = w.z[w.train_targets[i]];
  const int node = 3;
  std::vector<double> p0(parameter_count(ModelKind::kMlp, mc));
  {
    std::vector<float> f(p0.size());
    init_parameters(ModelKind::kMlp, mc, 42, node, f.data());
    p0.assign(f.begin(), f.end());
  }
  // The double model's loss and gradient in precision p.
  auto reference = [&](Precision p, std::vector<double>* g) {
    std::unique_ptr<CpuModel<double>> model = make_cpu_model<double>(ModelKind::kMlp, mc);
    model->set_precision(p);
    std::vector<double> yhat(n), dy(n);
    model->forward(p0.data(), x.data(), n, yhat.data());
    double mse = 0;
    for (int i = 0; i < n; ++i) {
      mse += (yhat[i] - y[i]) * (yhat[i] - y[i]) / n;
      dy[i] = 2 * (yhat[i] - y[i]) / n;
    }
    g->resize(p0.size());
    model->backward(p0.data(), dy.data(), g->data());
    return mse;
  };
  std::vector<double> g_fp32;
  const double mse_fp32 = reference(Precision::kFp32, &g_fp32);
  for (Precision p : {Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
    TrainConfig tc;
    tc.epochs = 1;
    tc.batch = 1000;  // one minibatch
    tc.precision = p;
    const TrainResult r = train_node(ModelKind::kMlp, mc, tc, tec.data(), ntime, node);
    std::vector<double> g;
    const double mse = reference(p, &g);
    std::printf("[precision] %s: first loss %.9g, reference %.9g (fp32 %.9g)\n", precision_name(p),
                r.epoch_loss[0], mse, mse_fp32);
    EXPECT_NEAR(r.epoch_loss[0], mse, 1e-5 * mse) << precision_name(p);
    if (p == Precision::kBf16) {
      EXPECT_GT(std::abs(mse - mse_fp32), 1e-4 * mse_fp32);
    }
    int checked = 0;
    for (size_t i = 0; i < p0.size(); ++i) {
      if (std::abs(g[i]) < 1e-3) continue;
      ++checked;
      ASSERT_LT((r.params[i] - p0[i]) * g[i], 0.0) << precision_name(p) << " parameter " << i;
    }
    EXPECT_GT(checked, static_cast<int>(p0.size()) / 4) << precision_name(p);
  }
}

TEST(TrainNode, GapsAndDegenerateNodes) {
  const int ntime = 400;
  std::vector<float> tec = diurnal_series(ntime);
  for (int t = 300; t <= 305; ++t) tec[t] = kNaN;
  ModelConfig mc;
  mc.mlp_hidden = 8;
  TrainConfig tc;
  tc.epochs = 2;
  TrainResult r = train_node(ModelKind::kMlp, mc, tc, tec.data(), ntime, 0);
  EXPECT_TRUE(std::isfinite(r.predicted[300]));  // its inputs 296..299 exist
  for (int t = 301; t <= 309; ++t) EXPECT_TRUE(std::isnan(r.predicted[t])) << t;
  EXPECT_TRUE(std::isfinite(r.predicted[310]));
  EXPECT_TRUE(std::isfinite(r.test_rmse));

  const std::vector<float> flat(ntime, 7.0f);
  r = train_node(ModelKind::kMlp, mc, tc, flat.data(), ntime, 1);
  for (float p : r.predicted) ASSERT_TRUE(std::isnan(p));
  EXPECT_TRUE(std::isnan(r.train_rmse));
  EXPECT_TRUE(std::isnan(r.test_rmse));
  ASSERT_EQ(r.epoch_loss.size(), 2u);
  EXPECT_TRUE(std::isnan(r.epoch_loss[0]));

  tc.epochs = 0;
  EXPECT_THROW(train_node(ModelKind::kMlp, mc, tc, tec.data(), ntime, 0), InputError);
}

Cube small_cube(int nnode, int ntime) {
  Cube cube;
  for (int n = 0; n < nnode; ++n) {
    cube.node_lat.push_back(10.0 + n);
    cube.node_lon.push_back(-90.0);
    cube.node_distance_km.push_back(100.0 * n);
    std::vector<float> s = diurnal_series(ntime, 0.4 * n);
    if (n == 3) s.assign(ntime, 5.0f);  // constant: no predictions
    if (n == 4)
      for (int t = 50; t < 60; ++t) s[t] = kNaN;  // a gap
    cube.tec.insert(cube.tec.end(), s.begin(), s.end());
  }
  for (int t = 0; t < ntime; ++t) cube.time.push_back(946684800 + 3600LL * t);
  return cube;
}

bool same_bits(const void* a, const void* b, size_t bytes) {
  return std::memcmp(a, b, bytes) == 0;
}

TEST(CpuTrainer, ResultsDoNotDependOnThreads) {
  const Cube cube = small_cube(6, 240);
  ModelConfig mc;
  mc.mlp_hidden = 12;
  mc.cnn_filters = 6;
  TrainConfig tc;
  tc.epochs = 3;
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn}) {
    Progress quiet("train", static_cast<long>(cube.nnode()), true);
    ModelRun one = make_cpu_trainer(1)->train(k, mc, tc, cube, nullptr);
    ModelRun two = make_cpu_trainer(2)->train(k, mc, tc, cube, &quiet);
    EXPECT_EQ(one.device, "cpu (1 thread)");
    EXPECT_EQ(two.device, "cpu (2 threads)");
    ASSERT_EQ(one.predicted.size(), 6u * 240u);
    ASSERT_EQ(one.epoch_loss.size(), 6u * 3u);
    EXPECT_EQ(one.kind, k);
    EXPECT_TRUE(same_bits(one.predicted.data(), two.predicted.data(), one.predicted.size() * 4));
    EXPECT_TRUE(same_bits(one.epoch_loss.data(), two.epoch_loss.data(), one.epoch_loss.size() * 4));
    EXPECT_TRUE(same_bits(one.train_rmse.data(), two.train_rmse.data(), 6 * 8));
    EXPECT_TRUE(same_bits(one.test_rmse.data(), two.test_rmse.data(), 6 * 8));

    // Node 2 is the same as training it alone; node 3 (constant) has no predictions.
    TrainResult alone = train_node(k, mc, tc, cube.node_tec(2), 240, 2);
    EXPECT_TRUE(same_bits(alone.predicted.data(), one.predicted.data() + 2 * 240, 240 * 4));
    EXPECT_EQ(alone.test_rmse, one.test_rmse[2]);
    EXPECT_TRUE(std::isnan(one.test_rmse[3]));
    EXPECT_TRUE(std::isfinite(one.test_rmse[4]));
    // Different nodes start from different weights and learn different series.
    EXPECT_NE(one.predicted[0 * 240 + 100], one.predicted[1 * 240 + 100]);
  }
}

// The trainer trains in tc.precision: node 2 as train_node trains it alone in bf16, not fp32.
TEST(CpuTrainer, TrainsInThePrecisionAsked) {
  const Cube cube = small_cube(4, 240);
  ModelConfig mc;
  mc.mlp_hidden = 12;
  TrainConfig tc;
  tc.epochs = 2;
  tc.precision = Precision::kBf16;
  const ModelRun run = make_cpu_trainer(2)->train(ModelKind::kMlp, mc, tc, cube, nullptr);
  const TrainResult bf16 = train_node(ModelKind::kMlp, mc, tc, cube.node_tec(2), 240, 2);
  tc.precision = Precision::kFp32;
  const TrainResult fp32 = train_node(ModelKind::kMlp, mc, tc, cube.node_tec(2), 240, 2);
  EXPECT_TRUE(same_bits(bf16.predicted.data(), run.predicted.data() + 2 * 240, 240 * 4));
  EXPECT_FALSE(same_bits(fp32.predicted.data(), run.predicted.data() + 2 * 240, 240 * 4));
}

TEST(CpuTrainer, RejectsAMalformedCube) {
  Cube cube = small_cube(2, 50);
  cube.tec.pop_back();
  EXPECT_THROW(
      make_cpu_trainer(2)->train(ModelKind::kMlp, ModelConfig(), TrainConfig(), cube, nullptr),
      InputError);
}

}  // namespace
