// Held-out targets (k-fold validation), kept parameters, predictions from stored parameters,
// early stopping, and the composite trainer's choice for [train] options.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "support/diurnal_series.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

using tecscan::testing::diurnal_series;

Cube cube_of(const std::vector<std::vector<float>>& series) {
  Cube cube;
  const int ntime = static_cast<int>(series.front().size());
  for (size_t n = 0; n < series.size(); ++n) {
    cube.node_lat.push_back(10.0 + n);
    cube.node_lon.push_back(-90.0);
    cube.node_distance_km.push_back(100.0 * n);
    cube.tec.insert(cube.tec.end(), series[n].begin(), series[n].end());
  }
  for (int t = 0; t < ntime; ++t) cube.time.push_back(946684800 + 3600LL * t);
  return cube;
}

bool same_bits(const void* a, const void* b, size_t bytes) {
  return std::memcmp(a, b, bytes) == 0;
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && same_bits(a.data(), b.data(), a.size() * sizeof(T));
}

ModelConfig small_models() {
  ModelConfig mc;
  mc.mlp_hidden = 8;
  mc.cnn_filters = 4;
  mc.rnn_units = 5;
  mc.gru_units = 4;
  mc.lstm_units = 5;
  mc.lstm_dense = 3;
  mc.cnnlstm_units = 4;
  return mc;
}

const ModelKind kAllKinds[] = {ModelKind::kMlp, ModelKind::kCnn,  ModelKind::kRnn,
                               ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm};

// ---- holdout -----------------------------------------------------------------------------

TEST(Windows, HeldOutTargetsAreNeverTrainingTargets) {
  const std::vector<float> tec = {1, 2, 3, kNaN, 5, 6, 7, 8, 9, 10, 4, 2};
  const NodeWindows all = make_windows(tec.data(), 12, 2, 1.0);
  EXPECT_EQ(all.train_targets, (std::vector<int>{2, 6, 7, 8, 9, 10, 11}));
  const NodeWindows w = make_windows(tec.data(), 12, 2, 1.0, TargetRange{7, 10});
  EXPECT_EQ(w.train_targets, (std::vector<int>{2, 6, 10, 11}));
  EXPECT_EQ(w.predict_targets, all.predict_targets);  // still predicted
  EXPECT_EQ(w.mean, all.mean);                        // normalised as before
  EXPECT_TRUE(same_bits(w.z, all.z));
  // The holdout combines with the split; an end past the series is allowed (the last fold).
  EXPECT_EQ(make_windows(tec.data(), 12, 2, 0.75, TargetRange{2, 3}).train_targets,
            (std::vector<int>{6, 7, 8}));
  EXPECT_EQ(make_windows(tec.data(), 12, 2, 1.0, TargetRange{8, 100}).train_targets,
            (std::vector<int>{2, 6, 7}));
  EXPECT_EQ(make_windows(tec.data(), 12, 2, 1.0, TargetRange{5, 5}).train_targets,
            all.train_targets);  // empty range
  try {
    make_windows(tec.data(), 12, 2, 1.0, TargetRange{5, 4});
    FAIL() << "an inverted holdout was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("holdout"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_windows(tec.data(), 12, 2, 1.0, TargetRange{-1, 4}), InputError);
}

TEST(TrainConfigCheck, NamesTheKeyOfEveryBadValue) {
  auto message = [](const TrainConfig& tc) -> std::string {
    try {
      check_train_config(tc);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  TrainConfig tc;
  EXPECT_EQ(message(tc), "");
  tc.holdout = {3, 2};
  EXPECT_NE(message(tc).find("[train] holdout"), std::string::npos);
  tc.holdout = {-2, 2};
  EXPECT_NE(message(tc).find("[train] holdout"), std::string::npos);
  tc.holdout = {2, 2};
  EXPECT_EQ(message(tc), "");
  tc.patience = -1;
  EXPECT_NE(message(tc).find("[train] patience"), std::string::npos);
  tc.patience = 3;
  for (double bad : {0.0, -0.1, 0.51, std::nan("")}) {
    tc.validation_fraction = bad;
    EXPECT_NE(message(tc).find("[train] validation_fraction"), std::string::npos) << bad;
  }
  tc.validation_fraction = 0.5;
  EXPECT_EQ(message(tc), "");
}

// Holding out everything from b on with train_fraction 1 trains on exactly the targets of the
// split at b: the same weights, losses and predictions, bit for bit.
TEST(TrainNode, HoldoutEqualsTheSplitItReplaces) {
  const int ntime = 200;
  const std::vector<float> tec = diurnal_series(ntime);
  const ModelConfig mc = small_models();
  TrainConfig split;
  split.epochs = 3;
  split.train_fraction = 0.5;  // n_train = 100
  TrainConfig fold = split;
  fold.train_fraction = 1.0;
  fold.holdout = {100, INT_MAX};
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kGru}) {
    const TrainResult a = train_node(k, mc, split, tec.data(), ntime, 5);
    const TrainResult b = train_node(k, mc, fold, tec.data(), ntime, 5);
    EXPECT_TRUE(same_bits(a.params, b.params)) << model_name(k);
    EXPECT_TRUE(same_bits(a.epoch_loss, b.epoch_loss)) << model_name(k);
    EXPECT_TRUE(same_bits(a.predicted, b.predicted)) << model_name(k);
    // Without the holdout, train_fraction 1 trains on the second half too.
    fold.holdout = {};
    const TrainResult c = train_node(k, mc, fold, tec.data(), ntime, 5);
    EXPECT_FALSE(same_bits(a.params, c.params)) << model_name(k);
    fold.holdout = {100, INT_MAX};
  }
  // A block in the middle: the trainer sees the same targets as make_windows says.
  TrainConfig mid = fold;
  mid.holdout = {60, 90};
  mid.batch = 1000;  // one minibatch: epoch 0's loss is the initial MSE over the training targets
  mid.epochs = 1;
  const TrainResult r = train_node(ModelKind::kMlp, mc, mid, tec.data(), ntime, 2);
  const NodeWindows w = make_windows(tec.data(), ntime, mc.window, 1.0, mid.holdout);
  std::vector<float> p0(parameter_count(ModelKind::kMlp, mc));
  init_parameters(ModelKind::kMlp, mc, mid.seed, 2, p0.data());
  std::unique_ptr<CpuModel<double>> model = make_cpu_model<double>(ModelKind::kMlp, mc);
  const std::vector<double> pd(p0.begin(), p0.end());
  double mse = 0;
  for (int t : w.train_targets) {
    const std::vector<double> x(w.z.begin() + t - mc.window, w.z.begin() + t);
    double y = 0;
    model->forward(pd.data(), x.data(), 1, &y);
    mse += (y - w.z[t]) * (y - w.z[t]) / static_cast<double>(w.train_targets.size());
  }
  EXPECT_NEAR(r.epoch_loss[0], mse, 1e-5 * mse);
}

// ---- keep_params and predict_series_cpu ---------------------------------------------------

TEST(CpuTrainer, KeepsParametersAndStopEpochs) {
  const int ntime = 160;
  std::vector<float> flat(ntime, 7.0f);
  const Cube cube = cube_of({diurnal_series(ntime), diurnal_series(ntime, 1.0), flat});
  const ModelConfig mc = small_models();
  TrainConfig tc;
  tc.epochs = 2;
  tc.train_fraction = 1.0;
  tc.holdout = {40, 80};
  const ModelRun none = make_cpu_trainer(2)->train(ModelKind::kCnn, mc, tc, cube, nullptr);
  EXPECT_TRUE(none.params.empty());
  EXPECT_EQ(none.stop_epoch, (std::vector<int>{2, 2, 0}));  // the flat node trains nothing
  tc.keep_params = true;
  const ModelRun run = make_cpu_trainer(2)->train(ModelKind::kCnn, mc, tc, cube, nullptr);
  const size_t P = static_cast<size_t>(parameter_count(ModelKind::kCnn, mc));
  ASSERT_EQ(run.params.size(), 3 * P);
  EXPECT_TRUE(same_bits(run.predicted, none.predicted));  // keeping them changes nothing
  for (int n = 0; n < 3; ++n) {
    const TrainResult r = train_node(ModelKind::kCnn, mc, tc, cube.node_tec(n), ntime, n);
    EXPECT_TRUE(same_bits(r.params.data(), run.params.data() + n * P, P * sizeof(float))) << n;
  }
}

// For every model: the stored parameters and the training series' mean / std reproduce the
// trainer's predictions bit for bit at every predict target.
TEST(PredictSeriesCpu, ReproducesTheTrainersPredictionsForEveryModel) {
  const int ntime = 150;
  std::vector<float> gappy = diurnal_series(ntime, 0.5);
  for (int t = 70; t < 73; ++t) gappy[t] = kNaN;
  const Cube cube = cube_of({diurnal_series(ntime), gappy});
  const ModelConfig mc = small_models();
  TrainConfig tc;
  tc.epochs = 2;
  tc.train_fraction = 1.0;
  tc.holdout = {30, 60};
  tc.keep_params = true;
  for (ModelKind k : kAllKinds) {
    SCOPED_TRACE(model_name(k));
    const ModelRun run = make_cpu_trainer(1)->train(k, mc, tc, cube, nullptr);
    const size_t P = static_cast<size_t>(parameter_count(k, mc));
    for (int n = 0; n < 2; ++n) {
      const float* tec = cube.node_tec(n);
      const NodeWindows w = make_windows(tec, ntime, input_length(k, mc), 1.0, tc.holdout);
      ASSERT_GT(w.predict_targets.size(), 100u);
      std::vector<float> got(ntime, -1.0f);
      predict_series_cpu(k, mc, run.params.data() + n * P, w.mean, w.std, tec, ntime,
                         w.predict_targets.data(), static_cast<int>(w.predict_targets.size()),
                         got.data());
      int compared = 0;
      for (int t = 0; t < ntime; ++t) {
        const bool target =
            std::binary_search(w.predict_targets.begin(), w.predict_targets.end(), t);
        if (!target) {
          EXPECT_EQ(got[t], -1.0f) << "t " << t << " is not a target";
          continue;
        }
        ASSERT_TRUE(same_bits(&got[t], &run.predicted[n * ntime + t], sizeof(float)))
            << "node " << n << " t " << t << ": " << got[t] << " vs "
            << run.predicted[n * ntime + t];
        ++compared;
      }
      EXPECT_EQ(compared, static_cast<int>(w.predict_targets.size()));

      // Any list of targets gives the same bits: a fold's block, or one target at a time (a
      // single sample alone would take another Eigen kernel and round differently).
      std::vector<int> block;
      for (int t = 30; t < 60; ++t) block.push_back(t);
      std::vector<float> part(ntime, -1.0f);
      predict_series_cpu(k, mc, run.params.data() + n * P, w.mean, w.std, tec, ntime, block.data(),
                         static_cast<int>(block.size()), part.data());
      for (int t = 0; t < 30; t += 7)
        predict_series_cpu(k, mc, run.params.data() + n * P, w.mean, w.std, tec, ntime,
                           &w.predict_targets[t], 1, part.data());
      for (int t = 0; t < ntime; ++t) {
        if (part[t] == -1.0f) continue;
        ASSERT_TRUE(same_bits(&part[t], &run.predicted[n * ntime + t], sizeof(float)))
            << "node " << n << " t " << t << " predicted alone or in a block";
      }
    }
  }
}

TEST(PredictSeriesCpu, PredictsInTheTrainingsPrecision) {
  // Weights trained in tf32 predict the trainer's bits only with tf32 products (injection-
  // recovery predicts again with them); fp32 products move them.
  const int ntime = 150;
  const Cube cube = cube_of({diurnal_series(ntime)});
  const ModelConfig mc = small_models();
  TrainConfig tc;
  tc.epochs = 2;
  tc.keep_params = true;
  tc.precision = Precision::kTf32;
  const ModelRun run = make_cpu_trainer(1)->train(ModelKind::kGru, mc, tc, cube, nullptr);
  const NodeWindows w =
      make_windows(cube.node_tec(0), ntime, input_length(ModelKind::kGru, mc), tc.train_fraction);
  const int n = static_cast<int>(w.predict_targets.size());
  std::vector<float> tf32(ntime, kNaN), fp32(ntime, kNaN);
  predict_series_cpu(ModelKind::kGru, mc, run.params.data(), w.mean, w.std, cube.node_tec(0), ntime,
                     w.predict_targets.data(), n, tf32.data(), false, Precision::kTf32);
  predict_series_cpu(ModelKind::kGru, mc, run.params.data(), w.mean, w.std, cube.node_tec(0), ntime,
                     w.predict_targets.data(), n, fp32.data());
  int moved = 0;
  for (int t : w.predict_targets) {
    ASSERT_TRUE(same_bits(&tf32[t], &run.predicted[t], sizeof(float))) << "t " << t;
    moved += !same_bits(&fp32[t], &run.predicted[t], sizeof(float));
  }
  EXPECT_GT(moved, n / 2);
}

TEST(PredictSeriesCpu, NormalisesWithTheGivenStatisticsAndSkipsMissingInputs) {
  const int ntime = 120;
  const std::vector<float> clean = diurnal_series(ntime);
  const ModelConfig mc = small_models();
  TrainConfig tc;
  tc.epochs = 2;
  const TrainResult r = train_node(ModelKind::kMlp, mc, tc, clean.data(), ntime, 0);
  const NodeWindows w = make_windows(clean.data(), ntime, mc.window, tc.train_fraction);
  const int L = mc.window;
  const int nt = static_cast<int>(w.predict_targets.size());

  // A signal injected at [50, 53): only the targets whose inputs reach into it change; with the
  // clean mean and std (and the same missing values) every other prediction keeps its bits.
  std::vector<float> injected = clean;
  for (int t = 50; t < 53; ++t) injected[t] *= 1.5f;
  std::vector<float> got(ntime, -1.0f);
  predict_series_cpu(ModelKind::kMlp, mc, r.params.data(), w.mean, w.std, injected.data(), ntime,
                     w.predict_targets.data(), nt, got.data());
  for (int t : w.predict_targets) {
    if (t > 50 && t <= 52 + L)
      EXPECT_NE(got[t], r.predicted[t]) << t;
    else
      EXPECT_TRUE(same_bits(&got[t], &r.predicted[t], sizeof(float))) << t;
  }

  // A missing input: targets 91 .. 90 + L get NaN, the others a prediction.
  injected = clean;
  injected[90] = kNaN;
  predict_series_cpu(ModelKind::kMlp, mc, r.params.data(), w.mean, w.std, injected.data(), ntime,
                     w.predict_targets.data(), nt, got.data());
  for (int t : w.predict_targets) EXPECT_EQ(std::isnan(got[t]), t > 90 && t <= 90 + L) << t;

  // Targets without a full input window, and out-of-range targets.
  const int early[] = {0, L - 1};
  predict_series_cpu(ModelKind::kMlp, mc, r.params.data(), w.mean, w.std, clean.data(), ntime,
                     early, 2, got.data());
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_TRUE(std::isnan(got[L - 1]));
  const int outside[] = {ntime};
  EXPECT_THROW(predict_series_cpu(ModelKind::kMlp, mc, r.params.data(), w.mean, w.std, clean.data(),
                                  ntime, outside, 1, got.data()),
               InputError);
  // A series that could not be normalised (std NaN): no predictions.
  const int one[] = {60};
  predict_series_cpu(ModelKind::kMlp, mc, r.params.data(), w.mean, std::nan(""), clean.data(),
                     ntime, one, 1, got.data());
  EXPECT_TRUE(std::isnan(got[60]));
}

// ---- early stopping -------------------------------------------------------------------------

// Noise around a weak daily cycle: a large network memorises the training noise, so the loss on
// later (unseen) noise falls for a few epochs and then rises.
std::vector<float> noisy(int ntime, int seed) {
  std::vector<float> tec(ntime);
  for (int t = 0; t < ntime; ++t) {
    const double u = std::sin(12.9898 * (t + 1) * (seed + 3)) * 43758.5453;
    tec[t] = static_cast<float>(20.0 + 2.0 * std::sin(2 * M_PI * t / 24.0) +
                                6.0 * (u - std::floor(u) - 0.5));
  }
  return tec;
}

ModelConfig overfitting_mlp() {
  ModelConfig mc;
  mc.mlp_hidden = 64;
  return mc;
}

TrainConfig early_stopping(int patience) {
  TrainConfig tc;
  tc.epochs = 150;
  tc.batch = 16;
  tc.train_fraction = 0.7;
  tc.patience = patience;
  tc.validation_fraction = 0.2;
  return tc;
}

// Validation MSE (normalised) of parameters on the given targets, through the public API.
double validation_mse(const ModelConfig& mc, const std::vector<float>& params, const NodeWindows& w,
                      const float* tec, int ntime, const std::vector<int>& targets) {
  std::vector<float> pred(ntime, kNaN);
  predict_series_cpu(ModelKind::kMlp, mc, params.data(), w.mean, w.std, tec, ntime, targets.data(),
                     static_cast<int>(targets.size()), pred.data());
  double sum = 0;
  for (int t : targets) {
    const double e = (pred[t] - w.mean) / w.std - w.z[t];
    sum += e * e;
  }
  return sum / targets.size();
}

TEST(EarlyStopping, StopsAfterPatienceAndRestoresTheBestEpoch) {
  const int ntime = 240, node = 1, patience = 5;
  const std::vector<float> tec = noisy(ntime, node);
  const ModelConfig mc = overfitting_mlp();
  const TrainConfig tc = early_stopping(patience);
  const TrainResult r = train_node(ModelKind::kMlp, mc, tc, tec.data(), ntime, node);

  // The validation targets: the last ceil(0.2 n) training targets.
  const NodeWindows w = make_windows(tec.data(), ntime, mc.window, tc.train_fraction);
  const int n = static_cast<int>(w.train_targets.size());
  const int n_val = static_cast<int>(std::ceil(0.2 * n));
  const std::vector<int> val(w.train_targets.end() - n_val, w.train_targets.end());

  ASSERT_GT(r.stop_epoch, patience);
  ASSERT_LT(r.stop_epoch, tc.epochs) << "no early stop: the series does not overfit";
  for (int e = 0; e < tc.epochs; ++e) {
    EXPECT_EQ(std::isfinite(r.epoch_loss[e]), e < r.stop_epoch) << e;
    EXPECT_EQ(std::isfinite(r.val_loss[e]), e < r.stop_epoch) << e;
  }
  const int best = static_cast<int>(
      std::min_element(r.val_loss.begin(), r.val_loss.begin() + r.stop_epoch) - r.val_loss.begin());
  std::printf(
      "[early stopping] stopped after %d of %d epochs; best epoch %d: val loss %.4g, "
      "%.4g at the stop, %.4g after epoch 1\n",
      r.stop_epoch, tc.epochs, best + 1, r.val_loss[best], r.val_loss[r.stop_epoch - 1],
      r.val_loss[0]);
  EXPECT_GT(best, 0);                            // it did learn before overfitting
  EXPECT_EQ(best, r.stop_epoch - 1 - patience);  // no improvement for `patience` epochs
  EXPECT_GT(r.val_loss[r.stop_epoch - 1], r.val_loss[best]);

  // The same training without early stopping: patience 0 with the validation targets held out
  // trains on exactly the same targets in the same order. Its weights after best + 1 epochs are
  // the restored ones, and no epoch up to the stop has a lower validation loss.
  TrainConfig plain = tc;
  plain.patience = 0;
  plain.holdout = {val.front(), INT_MAX};
  std::vector<double> mse;
  TrainResult at_best;
  for (int epochs = 1; epochs <= r.stop_epoch; ++epochs) {
    plain.epochs = epochs;
    TrainResult p = train_node(ModelKind::kMlp, mc, plain, tec.data(), ntime, node);
    mse.push_back(validation_mse(mc, p.params, w, tec.data(), ntime, val));
    EXPECT_NEAR(mse.back(), r.val_loss[epochs - 1], 1e-5 * mse.back()) << epochs;
    if (epochs == best + 1) at_best = p;
  }
  EXPECT_EQ(std::min_element(mse.begin(), mse.end()) - mse.begin(), best);
  EXPECT_TRUE(same_bits(r.params, at_best.params));
  EXPECT_TRUE(same_bits(r.predicted, at_best.predicted));
  EXPECT_LT(validation_mse(mc, r.params, w, tec.data(), ntime, val), mse.back());
}

TEST(EarlyStopping, OffByDefaultAndIndependentOfThreads) {
  const int ntime = 240;
  const Cube cube =
      cube_of({noisy(ntime, 0), noisy(ntime, 1), diurnal_series(ntime), noisy(ntime, 3)});
  const ModelConfig mc = overfitting_mlp();
  TrainConfig tc = early_stopping(0);
  tc.epochs = 4;
  const TrainResult plain = train_node(ModelKind::kMlp, mc, tc, cube.node_tec(0), ntime, 0);
  EXPECT_EQ(plain.stop_epoch, 4);
  for (float v : plain.val_loss) EXPECT_TRUE(std::isnan(v));

  tc = early_stopping(4);
  tc.keep_params = true;
  const ModelRun one = make_cpu_trainer(1)->train(ModelKind::kMlp, mc, tc, cube, nullptr);
  const ModelRun two = make_cpu_trainer(2)->train(ModelKind::kMlp, mc, tc, cube, nullptr);
  EXPECT_TRUE(same_bits(one.predicted, two.predicted));
  EXPECT_TRUE(same_bits(one.epoch_loss, two.epoch_loss));
  EXPECT_TRUE(same_bits(one.params, two.params));
  EXPECT_EQ(one.stop_epoch, two.stop_epoch);
  int stopped = 0;
  for (size_t n = 0; n < cube.nnode(); ++n) {
    const TrainResult r =
        train_node(ModelKind::kMlp, mc, tc, cube.node_tec(n), ntime, static_cast<int>(n));
    EXPECT_EQ(one.stop_epoch[n], r.stop_epoch) << n;
    stopped += r.stop_epoch < tc.epochs;
    for (int e = 0; e < tc.epochs; ++e)
      EXPECT_EQ(std::isnan(one.epoch_loss[n * tc.epochs + e]), e >= r.stop_epoch) << n;
  }
  EXPECT_GT(stopped, 0);
}

// ---- the composite trainer and [train] options ------------------------------------------

// Records that it trained; like the GPU trainers, it has no early stopping.
class FakeTrainer : public Trainer {
 public:
  FakeTrainer(std::string name, bool early_stopping)
      : name_(std::move(name)), early_stopping_(early_stopping) {}
  std::string name() const override { return name_; }
  bool supports(ModelKind, const ModelConfig&) const override { return true; }
  bool supports_train(const TrainConfig& tc) const override {
    return early_stopping_ || tc.patience == 0;
  }
  ModelRun train(ModelKind k, const ModelConfig&, const TrainConfig&, const Cube&,
                 Progress*) override {
    ModelRun r;
    r.kind = k;
    r.device = name_;
    return r;
  }

 private:
  std::string name_;
  bool early_stopping_;
};

TEST(CompositeTrainer, SendsEarlyStoppingToATrainerThatHasIt) {
  std::vector<std::unique_ptr<Trainer>> list;
  list.push_back(std::make_unique<FakeTrainer>("gpu", false));
  list.push_back(std::make_unique<FakeTrainer>("cpu", true));
  CompositeTrainer composite(std::move(list), /*announce_fallback=*/false);
  const Cube cube = cube_of({diurnal_series(20)});
  TrainConfig tc;
  EXPECT_EQ(composite.train(ModelKind::kMlp, ModelConfig(), tc, cube, nullptr).device, "gpu");
  tc.patience = 3;
  EXPECT_EQ(composite.train(ModelKind::kMlp, ModelConfig(), tc, cube, nullptr).device, "cpu");

  std::vector<std::unique_ptr<Trainer>> gpu_only;
  gpu_only.push_back(std::make_unique<FakeTrainer>("gpu", false));
  CompositeTrainer lone(std::move(gpu_only), false);
  try {
    lone.train(ModelKind::kMlp, ModelConfig(), tc, cube, nullptr);
    FAIL() << "early stopping ran on a trainer without it";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("early stopping"), std::string::npos) << e.what();
  }
  // The CPU trainer has early stopping.
  EXPECT_TRUE(make_cpu_trainer(1)->supports_train(tc));
}

}  // namespace
