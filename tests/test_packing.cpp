// PackedTraining: several jobs' trainings as one, each job getting exactly what training its own
// cube alone gives (bit for bit), in a deterministic order, without deadlocks when jobs finish,
// fail or ask for different trainings.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/diurnal_series.hpp"
#include "tecscan/error.hpp"
#include "tecscan/packing.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {
namespace {

// nnode nodes of ntime diurnal series, each with its own phase and offset.
Cube series_cube(size_t nnode, int ntime, double phase0) {
  Cube c;
  for (size_t n = 0; n < nnode; ++n) {
    c.node_lat.push_back(10.0 + 2.5 * static_cast<double>(n));
    c.node_lon.push_back(20.0);
    c.node_distance_km.push_back(100.0 * static_cast<double>(n));
    std::vector<float> s = testing::diurnal_series(ntime, phase0 + 0.3 * static_cast<double>(n));
    for (float& v : s) v += static_cast<float>(n);
    c.tec.insert(c.tec.end(), s.begin(), s.end());
  }
  for (int t = 0; t < ntime; ++t) c.time.push_back(static_cast<TimeS>(t) * 7200);
  return c;
}

TrainConfig quick_train() {
  TrainConfig tc;
  tc.epochs = 3;
  tc.batch = 16;
  tc.keep_params = true;
  return tc;
}

ModelConfig small_models() {
  ModelConfig mc;
  mc.mlp_hidden = 8;
  mc.rnn_units = 6;
  mc.gru_units = 5;
  return mc;
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

void expect_same_run(const ModelRun& got, const ModelRun& want, const std::string& what) {
  EXPECT_EQ(got.nnode, want.nnode) << what;
  EXPECT_EQ(got.ntime, want.ntime) << what;
  EXPECT_TRUE(same_bits(got.predicted, want.predicted)) << what << ": predictions";
  EXPECT_TRUE(same_bits(got.epoch_loss, want.epoch_loss)) << what << ": epoch losses";
  EXPECT_TRUE(same_bits(got.params, want.params)) << what << ": weights";
  EXPECT_TRUE(same_bits(got.train_rmse, want.train_rmse)) << what << ": train RMSE";
  EXPECT_TRUE(same_bits(got.test_rmse, want.test_rmse)) << what << ": test RMSE";
  EXPECT_EQ(got.stop_epoch, want.stop_epoch) << what;
}

// Counts the inner trainer's calls and the nodes of each.
class CountingTrainer final : public Trainer {
 public:
  explicit CountingTrainer(Trainer& inner) : inner_(inner) {}
  std::string name() const override { return "counting"; }
  bool supports(ModelKind k, const ModelConfig& mc) const override {
    return inner_.supports(k, mc);
  }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    nodes.push_back(cube.nnode());
    if (fail) throw InputError("the inner trainer refuses");
    return inner_.train(k, mc, tc, cube, progress);
  }
  std::vector<size_t> nodes;
  bool fail = false;

 private:
  Trainer& inner_;
};

TEST(PackedTraining, EachJobGetsWhatTrainingItsCubeAloneGives) {
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(2);
  CountingTrainer counting(*cpu);
  const std::vector<Cube> cubes = {series_cube(3, 200, 0.0), series_cube(2, 200, 1.0),
                                   series_cube(4, 200, 2.0)};
  const ModelConfig mc = small_models();
  const TrainConfig tc = quick_train();
  const std::vector<ModelKind> kinds = {ModelKind::kMlp, ModelKind::kRnn, ModelKind::kGru};

  PackedTraining packing(counting);
  std::vector<std::vector<ModelRun>> packed(cubes.size());
  std::vector<std::function<void()>> jobs;
  for (size_t j = 0; j < cubes.size(); ++j)
    jobs.emplace_back([&, j] {
      for (ModelKind k : kinds)
        packed[j].push_back(packing.trainer().train(k, mc, tc, cubes[j], nullptr));
    });
  const std::vector<std::exception_ptr> errors = packing.run(jobs);
  for (const std::exception_ptr& e : errors) EXPECT_FALSE(e);
  // One training per model, each of all 9 nodes.
  EXPECT_EQ(counting.nodes, (std::vector<size_t>{9, 9, 9}));
  EXPECT_EQ(packing.trainings(), 3);
  EXPECT_EQ(packing.packed_trainings(), 3);

  for (size_t j = 0; j < cubes.size(); ++j)
    for (size_t m = 0; m < kinds.size(); ++m) {
      const ModelRun alone = cpu->train(kinds[m], mc, tc, cubes[j], nullptr);
      expect_same_run(packed[j][m], alone,
                      "cube " + std::to_string(j) + " " + model_name(kinds[m]));
    }
}

TEST(PackedTraining, KeysAreWhatMakesAPackedNodeEqualItsRunAlone) {
  // Without the keys, the second cube's nodes would be trained as nodes 3 and 4: a different
  // result. This is what the keys are for, so a packed run must differ from that.
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  const Cube a = series_cube(3, 150, 0.0), b = series_cube(2, 150, 1.0);
  Cube unkeyed = a;
  unkeyed.node_lat.insert(unkeyed.node_lat.end(), b.node_lat.begin(), b.node_lat.end());
  unkeyed.tec.insert(unkeyed.tec.end(), b.tec.begin(), b.tec.end());
  const ModelRun joined =
      cpu->train(ModelKind::kMlp, small_models(), quick_train(), unkeyed, nullptr);
  const ModelRun alone = cpu->train(ModelKind::kMlp, small_models(), quick_train(), b, nullptr);
  const std::vector<float> joined_b(joined.predicted.begin() + 3 * 150, joined.predicted.end());
  EXPECT_FALSE(same_bits(joined_b, alone.predicted));
  // A key array of the wrong length is refused.
  unkeyed.rng_node_keys = {0, 1};
  EXPECT_THROW(cpu->train(ModelKind::kMlp, small_models(), quick_train(), unkeyed, nullptr),
               InputError);
}

TEST(PackedTraining, DifferentRequestsTrainApartAndJobsRunInIndexOrder) {
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  CountingTrainer counting(*cpu);
  // Job 1's series is shorter: its requests cannot share a cube with the others'.
  const std::vector<Cube> cubes = {series_cube(2, 120, 0.0), series_cube(3, 100, 1.0),
                                   series_cube(1, 120, 2.0)};
  const ModelConfig mc = small_models();
  const TrainConfig tc = quick_train();
  PackedTraining packing(counting);
  std::mutex log_mutex;
  std::vector<std::string> log;
  auto note = [&](const std::string& s) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.push_back(s);
  };
  std::vector<ModelRun> mlp(3), rnn(3);
  std::vector<std::function<void()>> jobs;
  for (size_t j = 0; j < cubes.size(); ++j)
    jobs.emplace_back([&, j] {
      const std::string id = std::to_string(j);
      note("start " + id);
      mlp[j] = packing.trainer().train(ModelKind::kMlp, mc, tc, cubes[j], nullptr);
      note("mlp " + id);
      rnn[j] = packing.trainer().train(ModelKind::kRnn, mc, tc, cubes[j], nullptr);
      note("end " + id);
    });
  for (const std::exception_ptr& e : packing.run(jobs)) EXPECT_FALSE(e);
  // mlp: jobs 0 and 2 together (3 nodes), job 1 alone (3 nodes); the same for the rnn.
  EXPECT_EQ(counting.nodes, (std::vector<size_t>{3, 3, 3, 3}));
  EXPECT_EQ(packing.packed_trainings(), 2);
  // One job at a time, always the lowest one ready.
  EXPECT_EQ(log, (std::vector<std::string>{"start 0", "start 1", "start 2", "mlp 0", "mlp 1",
                                           "mlp 2", "end 0", "end 1", "end 2"}));
  for (size_t j = 0; j < cubes.size(); ++j) {
    expect_same_run(mlp[j], cpu->train(ModelKind::kMlp, mc, tc, cubes[j], nullptr),
                    "mlp " + std::to_string(j));
    expect_same_run(rnn[j], cpu->train(ModelKind::kRnn, mc, tc, cubes[j], nullptr),
                    "rnn " + std::to_string(j));
  }
}

TEST(PackedTraining, JobsThatFinishOrFailEarlyDoNotHoldTheOthers) {
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  CountingTrainer counting(*cpu);
  const Cube cube = series_cube(2, 120, 0.0);
  const ModelConfig mc = small_models();
  const TrainConfig tc = quick_train();
  PackedTraining packing(counting);
  std::vector<ModelRun> runs(4);
  std::vector<std::function<void()>> jobs = {
      [&] { runs[0] = packing.trainer().train(ModelKind::kMlp, mc, tc, cube, nullptr); },
      [&] { throw InputError("job 1 has no data"); },  // fails before training
      [] {},                                           // a skipped event: nothing to train
      [&] {
        runs[3] = packing.trainer().train(ModelKind::kMlp, mc, tc, cube, nullptr);
        throw std::runtime_error("job 3 fails after training");
      }};
  const std::vector<std::exception_ptr> errors = packing.run(jobs);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_FALSE(errors[0]);
  EXPECT_THROW(std::rethrow_exception(errors[1]), InputError);
  EXPECT_FALSE(errors[2]);
  EXPECT_THROW(std::rethrow_exception(errors[3]), std::runtime_error);
  EXPECT_EQ(counting.nodes, (std::vector<size_t>{4}));
  expect_same_run(runs[0], runs[3], "the same cube in jobs 0 and 3");

  // An error of the packed training reaches every job of the group; a second run() works.
  counting.fail = true;
  std::atomic<int> refused{0};
  std::vector<std::function<void()>> again(3, [&] {
    try {
      packing.trainer().train(ModelKind::kMlp, mc, tc, cube, nullptr);
    } catch (const InputError&) {
      ++refused;
      throw;
    }
  });
  for (const std::exception_ptr& e : packing.run(again)) EXPECT_TRUE(e);
  EXPECT_EQ(refused.load(), 3);
}

TEST(PackedTraining, OutsideItsJobsTheTrainerTrainsDirectly) {
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  PackedTraining packing(*cpu);
  const Cube cube = series_cube(2, 120, 0.0);
  const ModelRun direct =
      packing.trainer().train(ModelKind::kMlp, small_models(), quick_train(), cube, nullptr);
  expect_same_run(direct, cpu->train(ModelKind::kMlp, small_models(), quick_train(), cube, nullptr),
                  "direct");
  EXPECT_EQ(packing.trainings(), 1);
  EXPECT_EQ(packing.packed_trainings(), 0);
}

TEST(PackedTraining, SameTrainingComparesEveryField) {
  const ModelConfig mc;
  const TrainConfig tc;
  EXPECT_TRUE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kGru, mc, tc, 100));
  EXPECT_FALSE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kGru, mc, tc, 101));
  EXPECT_FALSE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kRnn, mc, tc, 100));
  TrainConfig holdout = tc;
  holdout.holdout = {10, 20};
  EXPECT_FALSE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kGru, mc, holdout, 100));
  TrainConfig precision = tc;
  precision.precision = Precision::kTf32;
  EXPECT_FALSE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kGru, mc, precision, 100));
  ModelConfig units = mc;
  units.gru_units = 7;
  EXPECT_FALSE(same_training(ModelKind::kGru, mc, tc, 100, ModelKind::kGru, units, tc, 100));
}

}  // namespace
}  // namespace tecscan
