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
  double train_seconds = 0;                   // wall time of training + prediction, all nodes
  std::string device;                         // "cpu (N threads)" or the GPU's name
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual std::string name() const = 0;
  virtual bool supports(ModelKind k, const ModelConfig& mc) const = 0;
  // Trains node n with TrainConfig seed streams keyed by n (train.hpp), all nodes.
  virtual ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                         const Cube& cube, Progress* progress) = 0;
};

// threads <= 0: all hardware threads. Results do not depend on the thread count.
std::unique_ptr<Trainer> make_cpu_trainer(int threads);

}  // namespace tecscan
