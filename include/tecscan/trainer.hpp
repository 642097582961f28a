// A backend that trains one model for every node of a cube and predicts the whole series.
// The CPU trainer (src/cpu) is the reference; the CUDA trainer (cuda/) must match it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tecscan/cube.hpp"
#include "tecscan/model.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/train.hpp"

namespace tecscan {

struct ModelRun {
  ModelKind kind = ModelKind::kMlp;
  size_t nnode = 0, ntime = 0;
  std::vector<float> predicted;               // [node][time] TECU, NaN where no prediction
  std::vector<float> epoch_loss;              // [node][epoch] mean MSE in normalised units
  std::vector<double> train_rmse, test_rmse;  // [node] TECU
  // [node]: epochs trained (TrainResult::stop_epoch): `epochs` unless early stopping stopped
  // the node sooner, 0 for a node without training targets.
  std::vector<int> stop_epoch;
  // [node][parameter_count(kind, mc)] in model.hpp's layout (every backend), the weights the
  // predictions were made with; empty unless TrainConfig::keep_params.
  std::vector<float> params;
  double train_seconds = 0;  // wall time of training + prediction, all nodes
  std::string device;        // "cpu (N threads)" or the GPU's name
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual std::string name() const = 0;
  virtual bool supports(ModelKind k, const ModelConfig& mc) const = 0;
  // Whether train() implements every option of `tc` (the GPU trainers have no early stopping).
  virtual bool supports_train(const TrainConfig&) const { return true; }
  // Whether train() runs model k in precision p (TrainConfig::precision) as asked: a trainer
  // never trains in another precision than the one asked for. FP32 everywhere.
  virtual bool supports_precision(ModelKind, Precision p) const { return p == Precision::kFp32; }
  // Whether train() may run from several threads at once (the CPU trainer: nothing shared).
  virtual bool thread_safe() const { return false; }
  // Whether concurrent train() calls run side by side on separate resources (a GPU trainer's
  // streams), so that the six networks of a scan are best trained at once: compute_scan then
  // trains them concurrently when thread_safe() too (ScanOptions::concurrent_models).
  virtual bool prefers_concurrent_models() const { return false; }
  // Trains node n with TrainConfig seed streams keyed by n (train.hpp), all nodes.
  virtual ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                         const Cube& cube, Progress* progress) = 0;
};

// threads <= 0: all hardware threads. Results do not depend on the thread count.
std::unique_ptr<Trainer> make_cpu_trainer(int threads);

// Predictions of a trained model (params [parameter_count(k, mc)], ModelRun::params of one node)
// for another version of its series, e.g. with an injected signal: tec is normalised with the
// given mean and std (those of the series the model was trained on: make_windows(...).mean /
// .std), and for each target t (0 <= t < ntime, else InputError) predicted[t] =
// forward(z[t-L .. t-1]) * std + mean in TECU when those inputs are all finite, else NaN. Other
// entries of predicted [ntime] are left alone. Every usable target of tec is evaluated, in the
// trainer's batches, so a prediction depends only on its inputs and on which targets of tec are
// usable: with the training series it is the trainer's prediction bit for bit whatever
// `targets` holds, and with a series of the same missing values (an injected signal) the
// targets whose inputs did not change keep their bits.
// targets_only: forward just the requested targets (much faster for a few targets, e.g.
// injection-recovery; the last bits may differ from the trainer's batching).
// precision: the products' arithmetic, that of the training (TrainConfig::precision).
void predict_series_cpu(ModelKind k, const ModelConfig& mc, const float* params, double mean,
                        double std, const float* tec, int ntime, const int* targets, int ntargets,
                        float* predicted, bool targets_only = false,
                        Precision precision = Precision::kFp32);

}  // namespace tecscan
