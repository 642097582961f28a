// The CPU Trainer: parallel_for over the nodes, a fresh model per node. Every node is trained
// independently from its own RNG streams, so the results do not depend on the number of threads
// or on which thread took a node.
#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {

// Defined in train.cpp.
TrainResult train_node_with_model(CpuModel<float>& model, const ModelConfig& mc,
                                  const TrainConfig& tc, const float* tec, int ntime, int node);

namespace {

class CpuTrainer final : public Trainer {
 public:
  explicit CpuTrainer(int threads) : threads_(threads) {}  // <= 0: every hardware thread
  std::string name() const override { return "cpu"; }
  bool supports(ModelKind, const ModelConfig&) const override { return true; }
  // Every call trains with its own models and threads; it already uses every core, so it does
  // not ask for concurrent models.
  bool thread_safe() const override { return true; }
  // Every precision: the CPU reference emulates the tensor cores' operand rounding.
  bool supports_precision(ModelKind, Precision) const override { return true; }

  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override {
    const auto start = std::chrono::steady_clock::now();
    const size_t nnode = cube.nnode(), ntime = cube.ntime();
    if (cube.tec.size() != nnode * ntime)
      throw InputError("cube: tec has " + std::to_string(cube.tec.size()) +
                       " values, expected nodes x epochs = " + std::to_string(nnode) + " x " +
                       std::to_string(ntime));
    if (!cube.rng_node_keys.empty() && cube.rng_node_keys.size() != nnode)
      throw InputError("cube: " + std::to_string(cube.rng_node_keys.size()) +
                       " random-stream keys for " + std::to_string(nnode) + " nodes");
    parameter_layout(k, mc);  // invalid sizes fail here, once, not in every thread

    ModelRun run;
    run.kind = k;
    run.nnode = nnode;
    run.ntime = ntime;
    run.predicted.resize(nnode * ntime);
    run.epoch_loss.resize(nnode * static_cast<size_t>(std::max(tc.epochs, 0)));
    run.train_rmse.resize(nnode);
    run.test_rmse.resize(nnode);
    run.stop_epoch.resize(nnode);
    const size_t nparam = static_cast<size_t>(parameter_count(k, mc));
    if (tc.keep_params) run.params.resize(nnode * nparam);
    // Every hardware thread when threads_ <= 0, without parallel_for's default cap: the
    // trainer is the CPU baseline and should use a large node's cores.
    const unsigned nthreads = parallel_for(
        nnode, threads_,
        [&](size_t n) {
          // A fresh model (and scratch) per node: a node's result must not depend on which
          // nodes the same thread trained before (buffer addresses change Eigen's vectorised
          // summation order), so any thread count gives bit-identical results.
          std::unique_ptr<CpuModel<float>> model = make_cpu_model<float>(k, mc);
          TrainResult r = train_node_with_model(*model, mc, tc, cube.node_tec(n),
                                                static_cast<int>(ntime), cube.rng_node(n));
          std::copy(r.predicted.begin(), r.predicted.end(), run.predicted.begin() + n * ntime);
          std::copy(r.epoch_loss.begin(), r.epoch_loss.end(),
                    run.epoch_loss.begin() + n * r.epoch_loss.size());
          run.train_rmse[n] = r.train_rmse;
          run.test_rmse[n] = r.test_rmse;
          run.stop_epoch[n] = r.stop_epoch;
          if (tc.keep_params)
            std::copy(r.params.begin(), r.params.end(), run.params.begin() + n * nparam);
          if (progress) progress->advance(1);
        },
        std::numeric_limits<unsigned>::max());

    run.train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.device = "cpu (" + std::to_string(nthreads) + (nthreads == 1 ? " thread)" : " threads)");
    return run;
  }

 private:
  int threads_;
};

}  // namespace

std::unique_ptr<Trainer> make_cpu_trainer(int threads) {
  return std::make_unique<CpuTrainer>(threads);
}

}  // namespace tecscan
