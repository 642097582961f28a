// Issue 13 on the GPU: CUDA-graph replay of the recurrent epochs against the eager loop, and
// nodes keyed by Cube::rng_node giving the same bits alone or packed with other nodes, for the
// recurrent and the feed-forward trainers. Every comparison is bit for bit (memcmp): the graph
// runs the eager loop's launches with the eager loop's arguments, and a node's arithmetic does
// not depend on the other nodes of its launch.
// Host tests (always run): the trainers take only the precisions they have (supports_precision),
// and the recurrent emulation (RnnExec::kHost) keys nodes through rnn_train's public path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/keyed_cubes.hpp"
#include "support/small_recurrent.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

using tecscan::testing::recurrent_cases;
using tecscan::testing::small_recurrent_config;
using Case = tecscan::testing::RecurrentCase;
using tecscan::testing::subset_keyed;

Cube synthetic_cube(int nnode, int ntime) {
  return tecscan::testing::noisy_diurnal_cube(nnode, ntime, 5);
}

template <typename T>
bool same_bits(const std::vector<T>& x, size_t a, const std::vector<T>& y, size_t b, size_t n) {
  return x.size() >= (a + 1) * n && y.size() >= (b + 1) * n &&
         std::memcmp(x.data() + a * n, y.data() + b * n, n * sizeof(T)) == 0;
}

// Node i of `got` (trained in `packed`) against node pick[i] of `want`.
void expect_nodes_equal(const ModelRun& got, const ModelRun& want, const std::vector<int>& pick,
                        size_t nparam, const std::string& label) {
  const size_t T = got.ntime, E = got.epoch_loss.size() / got.nnode;
  for (size_t i = 0; i < pick.size(); ++i) {
    const size_t from = static_cast<size_t>(pick[i]);
    EXPECT_TRUE(same_bits(got.predicted, i, want.predicted, from, T))
        << label << ": predictions of node " << pick[i];
    EXPECT_TRUE(same_bits(got.epoch_loss, i, want.epoch_loss, from, E))
        << label << ": epoch losses of node " << pick[i];
    EXPECT_TRUE(same_bits(got.params, i, want.params, from, nparam))
        << label << ": parameters of node " << pick[i];
  }
}

void expect_runs_equal(const ModelRun& got, const ModelRun& want, const std::string& label) {
  EXPECT_TRUE(same_bits(got.predicted, 0, want.predicted, 0, want.predicted.size()))
      << label << ": predictions";
  EXPECT_TRUE(same_bits(got.epoch_loss, 0, want.epoch_loss, 0, want.epoch_loss.size()))
      << label << ": epoch losses";
  EXPECT_TRUE(same_bits(got.params, 0, want.params, 0, want.params.size()))
      << label << ": parameters";
}

TrainConfig short_training(int epochs) {
  TrainConfig tc;
  tc.epochs = epochs;
  tc.keep_params = true;
  return tc;
}

// ---- host tests --------------------------------------------------------------------------------

// supports_precision() does not touch the device: a trainer takes only the precisions it
// computes, so other runs go to the next trainer (block, the CPU's emulation) instead of
// silently training in another precision.
TEST(GpuTrainersHost, TrainOnlyThePrecisionsTheyHave) {
  // The feed-forward trainer: MLP and CNN on tensor cores in every precision; fused: fp32, tf32
  // and bf16 (cuBLAS' compute types), not 3xtf32; cuDNN: fp32 only.
  std::vector<std::unique_ptr<Trainer>> trainers;
  trainers.push_back(make_cuda_feedforward_trainer());
  trainers.push_back(make_cuda_recurrent_trainer(0, RnnImpl::kFused));
  trainers.push_back(make_cuda_recurrent_trainer(0, RnnImpl::kCudnn, 0, true));
  for (const auto& t : trainers) {
    TrainConfig tc;
    EXPECT_TRUE(t->supports_train(tc)) << t->name();
    for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn, ModelKind::kRnn, ModelKind::kGru,
                        ModelKind::kLstm, ModelKind::kCnnLstm}) {
      EXPECT_TRUE(t->supports_precision(k, Precision::kFp32)) << t->name();
      for (Precision p : {Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
        const bool want =
            t->name() == "cuda-ff" || (t->name() == "cuda-rnn-fused" && p != Precision::kTf32x3);
        EXPECT_EQ(t->supports_precision(k, p), want)
            << t->name() << " " << model_name(k) << " " << precision_name(p);
      }
    }
  }
}

// rnn_train's public path on the host emulation: keys checked and used.
TEST(GpuTrainersHost, RecurrentEmulationKeysNodesByRngNode) {
  const Cube whole = synthetic_cube(5, 100);
  const std::vector<int> pick{2, 0};
  const TrainConfig tc = short_training(2);
  const ModelConfig mc = small_recurrent_config();
  RnnOptions o;
  o.exec = RnnExec::kHost;
  const ModelRun want = rnn_train(o, ModelKind::kGru, mc, tc, whole, nullptr, nullptr);
  const ModelRun got =
      rnn_train(o, ModelKind::kGru, mc, tc, subset_keyed(whole, pick), nullptr, nullptr);
  expect_nodes_equal(got, want, pick, parameter_count(ModelKind::kGru, mc), "gru host");
  Cube bad = whole;
  bad.rng_node_keys = {1};
  EXPECT_THROW(rnn_train(o, ModelKind::kGru, mc, tc, bad, nullptr, nullptr), InputError);
}

// ---- GPU tests ---------------------------------------------------------------------------------

// One epoch captured per chunk and replayed = the eager loop, bit for bit, for every recurrent
// model (paper sizes and small ones), whole and chunked, cuBLAS and the naive GEMM kernel.
TEST(GpuGraphs, RecurrentGraphReplayEqualsEagerBitForBit) {
  SKIP_WITHOUT_GPU();
  const Cube cube = synthetic_cube(7, 200);
  const TrainConfig tc = short_training(3);
  std::vector<Case> all = recurrent_cases(ModelConfig());
  for (const Case& c : recurrent_cases(small_recurrent_config())) all.push_back(c);
  for (const Case& c : all)
    for (RnnExec exec : {RnnExec::kDevice, RnnExec::kDeviceNaive})
      for (int chunk : {0, 3}) {
        const std::string label = c.label() + (exec == RnnExec::kDevice ? " cuBLAS" : " naive") +
                                  " chunk " + std::to_string(chunk);
        RnnOptions o;
        o.exec = exec;
        o.max_chunk_nodes = chunk;
        RnnTiming eager_t, graph_t;
        const ModelRun eager = rnn_train(o, c.kind, c.mc, tc, cube, nullptr, &eager_t);
        o.cuda_graphs = true;
        const ModelRun graph = rnn_train(o, c.kind, c.mc, tc, cube, nullptr, &graph_t);
        double eager_s = 0, graph_s = 0;
        for (double s : eager_t.epoch_s) eager_s += s;
        for (double s : graph_t.epoch_s) graph_s += s;
        std::printf("[ graphs ] %-28s epochs: eager %.4f s, graph %.4f s (device time)\n",
                    label.c_str(), eager_s, graph_s);
        expect_runs_equal(graph, eager, label);
      }
}

// The per-process context (one stream, one cuBLAS handle with a fixed workspace) gives the same
// bits on every call, eager or replayed.
TEST(GpuGraphs, RepeatedTrainingGivesTheSameBits) {
  SKIP_WITHOUT_GPU();
  const Cube cube = synthetic_cube(6, 160);
  const TrainConfig tc = short_training(2);
  for (bool graphs : {false, true}) {
    RnnOptions o;
    o.cuda_graphs = graphs;
    const ModelRun a = rnn_train(o, ModelKind::kLstm, ModelConfig(), tc, cube, nullptr, nullptr);
    const ModelRun b = rnn_train(o, ModelKind::kLstm, ModelConfig(), tc, cube, nullptr, nullptr);
    expect_runs_equal(b, a, graphs ? "lstm graph, twice" : "lstm eager, twice");
  }
}

// Packed (a subset, permuted, keyed by the original indices) = alone, bit for bit. cuBLAS is
// called with a different batch count (nodes per launch): a failure on the cuBLAS path only
// means cuBLAS picks batch-count-dependent kernels (then pack at a fixed chunk size).
TEST(GpuNodeKeys, RecurrentPackedNodesEqualTheirRunAlone) {
  SKIP_WITHOUT_GPU();
  const Cube whole = synthetic_cube(7, 200);
  const std::vector<int> pick{6, 1, 3, 0};
  const Cube packed = subset_keyed(whole, pick);
  const TrainConfig tc = short_training(3);
  for (const Case& c : recurrent_cases(ModelConfig()))
    for (RnnExec exec : {RnnExec::kDevice, RnnExec::kDeviceNaive})
      for (bool graphs : {false, true}) {
        const std::string label = c.label() + (exec == RnnExec::kDevice ? " cuBLAS" : " naive") +
                                  (graphs ? " graph" : " eager");
        RnnOptions o;
        o.exec = exec;
        o.cuda_graphs = graphs;
        const ModelRun want = rnn_train(o, c.kind, c.mc, tc, whole, nullptr, nullptr);
        const ModelRun got = rnn_train(o, c.kind, c.mc, tc, packed, nullptr, nullptr);
        expect_nodes_equal(got, want, pick, static_cast<size_t>(parameter_count(c.kind, c.mc)),
                           label);
      }
}

TEST(GpuNodeKeys, FeedForwardPackedNodesEqualTheirRunAlone) {
  SKIP_WITHOUT_GPU();
  const Cube whole = synthetic_cube(9, 300);
  const std::vector<int> pick{8, 2, 5, 0};
  const Cube packed = subset_keyed(whole, pick);
  const TrainConfig tc = short_training(3);
  for (ModelKind k : {ModelKind::kMlp, ModelKind::kCnn})
    for (FfKernel kernel : {FfKernel::kFast, FfKernel::kNaive}) {
      const std::string label =
          std::string(model_name(k)) + (kernel == FfKernel::kFast ? " fast" : " naive");
      CudaTrainerOptions o;
      o.kernel = kernel;
      o.verbose = false;
      const ModelRun want = cuda_ff_train_detail(k, ModelConfig(), tc, whole, o).run;
      const ModelRun got = cuda_ff_train_detail(k, ModelConfig(), tc, packed, o).run;
      expect_nodes_equal(got, want, pick, static_cast<size_t>(parameter_count(k, ModelConfig())),
                         label);
    }
}

}  // namespace
}  // namespace tecscan
