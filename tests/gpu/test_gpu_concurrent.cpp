// Concurrent trainings on one GPU (issue 13's stream per thread, issue 14's paper-size wall
// time): each train() leases its own stream and cuBLAS handle (cuda/cuda_context.hpp), so the six
// networks of a scan train at once. Every comparison is bit for bit (memcmp): a training's
// launches and arguments are the same whichever stream they run on and whatever else the device
// runs beside them. Also on threads: a CUDA-graph capture (cudaStreamCaptureModeThreadLocal)
// while other threads allocate and launch.
#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cuda_context.hpp"
#include "support/keyed_cubes.hpp"
#include "support/same_scan.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/model.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/trainer.hpp"
#include "tecscan/trainer_factory.hpp"

namespace tecscan {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

using tecscan::testing::same_bits;

// One training of the set below: a trainer and the model it trains.
struct Job {
  std::string label;
  Trainer* trainer;
  ModelKind kind;
};

TEST(GpuConcurrent, TrainingsOnThreadsEqualTheirRunAlone) {
  SKIP_WITHOUT_GPU();
  const Cube cube = tecscan::testing::noisy_diurnal_cube(12, 400, 7);
  TrainConfig tc;
  tc.epochs = 3;
  tc.keep_params = true;
  const ModelConfig mc;
  CudaTrainerOptions ff;
  ff.verbose = false;
  auto feedforward = make_cuda_feedforward_trainer(ff);
  auto fused = make_cuda_recurrent_trainer(0, RnnImpl::kFused, 0, false);
  auto graphs = make_cuda_recurrent_trainer(0, RnnImpl::kFused, 0, true);
  auto block = make_cuda_recurrent_block_trainer(ff);
  for (Trainer* t : {feedforward.get(), fused.get(), graphs.get(), block.get()}) {
    EXPECT_TRUE(t->thread_safe()) << t->name();
    EXPECT_TRUE(t->prefers_concurrent_models()) << t->name();
  }
  const std::vector<Job> jobs = {
      {"mlp", feedforward.get(), ModelKind::kMlp},
      {"cnn", feedforward.get(), ModelKind::kCnn},
      {"rnn fused", fused.get(), ModelKind::kRnn},
      {"gru fused", fused.get(), ModelKind::kGru},
      {"lstm fused graph", graphs.get(), ModelKind::kLstm},
      {"cnn-lstm fused", fused.get(), ModelKind::kCnnLstm},
      {"gru block", block.get(), ModelKind::kGru},
  };
  std::vector<ModelRun> alone;
  for (const Job& j : jobs) alone.push_back(j.trainer->train(j.kind, mc, tc, cube, nullptr));

  // Twice, so that the second round reuses the contexts the first one leased.
  for (int round = 0; round < 2; ++round) {
    std::vector<ModelRun> together(jobs.size());
    std::vector<std::exception_ptr> errors(jobs.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < jobs.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          together[i] = jobs[i].trainer->train(jobs[i].kind, mc, tc, cube, nullptr);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    for (std::thread& t : threads) t.join();
    for (size_t i = 0; i < jobs.size(); ++i) {
      SCOPED_TRACE(jobs[i].label + ", round " + std::to_string(round));
      if (errors[i]) {
        try {
          std::rethrow_exception(errors[i]);
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
        }
        continue;
      }
      EXPECT_TRUE(same_bits(together[i].predicted, alone[i].predicted)) << "predictions";
      EXPECT_TRUE(same_bits(together[i].epoch_loss, alone[i].epoch_loss)) << "epoch losses";
      EXPECT_TRUE(same_bits(together[i].params, alone[i].params)) << "parameters";
    }
  }
  // Every lease was returned; at least one context per concurrent training was made.
  EXPECT_EQ(CudaContextLease::held(0), 0);
}

// The scan's backend on the GPU trains the networks at once, with the sequential loop's bits.
TEST(GpuConcurrent, ScanTrainsTheNetworksAtOnceWithTheSequentialBits) {
  SKIP_WITHOUT_GPU();
  tecscan::testing::SyntheticEventOptions o;
  o.days_before = 40;
  const Cube cube = tecscan::testing::synthetic_event(o);
  ScanConfig cfg;
  cfg.scan.device = "cuda";
  cfg.scan.models = {"mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm", "median-iqr"};
  cfg.train.epochs = 2;
  Backend backend = make_backend(cfg);
  ASSERT_TRUE(backend.gpu);
  EXPECT_TRUE(backend.trainer->thread_safe());
  EXPECT_TRUE(backend.trainer->prefers_concurrent_models());
  ScanOptions opt;
  opt.quiet_progress = true;
  opt.dtec = backend.dtec;
  const ScanResult at_once = compute_scan(cube, cfg, *backend.trainer, opt);
  opt.concurrent_models = false;
  const ScanResult in_turn = compute_scan(cube, cfg, *backend.trainer, opt);
  tecscan::testing::expect_same_detectors(at_once, in_turn);
  bool said = false;
  for (const std::string& n : at_once.notes)
    said = said || n.rfind("6 networks trained at once", 0) == 0;
  EXPECT_TRUE(said) << "no note that the six networks' train seconds overlap";
}

}  // namespace
}  // namespace tecscan
