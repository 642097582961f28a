// compute_scan with a trainer that runs concurrent calls side by side: the networks train at
// once and every output equals the one-after-another loop's, bit for bit.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/same_scan.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {
namespace {

// The CPU trainer, declared concurrent. Its first call waits (up to 30 s) for a second one to
// start, so a test can tell calls that overlapped from calls made one after another.
class OverlappingTrainer final : public Trainer {
 public:
  std::string name() const override { return "overlapping-cpu"; }
  bool supports(ModelKind k, const ModelConfig& mc) const override { return cpu_->supports(k, mc); }
  bool thread_safe() const override { return true; }
  bool prefers_concurrent_models() const override { return true; }
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++started_;
      max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
      cv_.notify_all();
      if (started_ == 1) cv_.wait_for(lock, std::chrono::seconds(30), [&] { return started_ > 1; });
    }
    ModelRun run = cpu_->train(k, mc, tc, cube, progress);
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    return run;
  }
  int max_in_flight() const { return max_in_flight_; }

 private:
  std::unique_ptr<Trainer> cpu_ = make_cpu_trainer(1);
  std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0, in_flight_ = 0, max_in_flight_ = 0;
};

TEST(ConcurrentModels, TheNetworksTrainAtOnceWithTheSequentialResults) {
  testing::SyntheticEventOptions o;
  o.days_before = 40;
  const Cube cube = testing::synthetic_event(o);
  ScanConfig cfg;
  cfg.scan.models = {"rnn", "median-iqr", "mlp", "ar", "gru"};
  cfg.model.mlp_hidden = 8;
  cfg.model.rnn_units = 6;
  cfg.model.gru_units = 5;
  cfg.train.epochs = 2;
  ScanOptions opt;
  opt.quiet_progress = true;

  OverlappingTrainer concurrent;
  const ScanResult at_once = compute_scan(cube, cfg, concurrent, opt);
  EXPECT_GE(concurrent.max_in_flight(), 2);  // the networks' trainings overlapped

  opt.concurrent_models = false;
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  const ScanResult in_turn = compute_scan(cube, cfg, *cpu, opt);

  testing::expect_same_detectors(at_once, in_turn);
  // Overlapping "train" seconds are said to be so (three networks here), and only then.
  auto overlap_note = [](const ScanResult& r) {
    for (const std::string& n : r.notes)
      if (n.find("networks trained at once") != std::string::npos) return n;
    return std::string();
  };
  EXPECT_EQ(overlap_note(at_once).rfind("3 networks trained at once", 0), 0u)
      << overlap_note(at_once);
  EXPECT_EQ(overlap_note(in_turn), "");
  // The timing lists the same stages in the same (config) order.
  ASSERT_EQ(at_once.timing.size(), in_turn.timing.size());
  for (size_t i = 0; i < at_once.timing.size(); ++i)
    EXPECT_EQ(at_once.timing[i].first, in_turn.timing[i].first);
}

TEST(ConcurrentModels, OnlyTrainersThatAskForItTrainAtOnce) {
  std::unique_ptr<Trainer> cpu = make_cpu_trainer(1);
  EXPECT_TRUE(cpu->thread_safe());
  EXPECT_FALSE(cpu->prefers_concurrent_models());  // it uses every core already
  std::vector<std::unique_ptr<Trainer>> chain;
  chain.push_back(std::make_unique<OverlappingTrainer>());
  chain.push_back(make_cpu_trainer(1));
  CompositeTrainer composite(std::move(chain));
  EXPECT_TRUE(composite.thread_safe());
  EXPECT_TRUE(composite.prefers_concurrent_models());
  std::vector<std::unique_ptr<Trainer>> cpu_only;
  cpu_only.push_back(make_cpu_trainer(1));
  EXPECT_FALSE(CompositeTrainer(std::move(cpu_only)).prefers_concurrent_models());
}

}  // namespace
}  // namespace tecscan
