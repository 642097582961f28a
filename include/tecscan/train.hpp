// Windowing, normalisation, chronological split and the minibatch training loop for one node
// and one model: the CPU reference that the GPU backend must reproduce step for step.
#pragma once
#include <cstdint>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/model.hpp"
#include "tecscan/precision.hpp"

namespace tecscan {

// Targets t with begin <= t < end (an empty range when end <= begin). end may exceed the series.
struct TargetRange {
  int begin = 0, end = 0;
  bool contains(int t) const { return t >= begin && t < end; }
};

struct TrainConfig {
  int epochs = 100;  // Brownlee-style Keras scripts of 2021 trained 100-200 epochs
  int batch = 32;    // Keras' default batch_size
  // The paper: first 65 % train, rest test. In (0, 1]: the config's [train] train_fraction is
  // a split and must leave a test part, (0, 1); k-fold validation trains each fold with 1 (the
  // whole series, less the fold's holdout), so the library accepts 1 as well.
  double train_fraction = 0.65;
  AdamConfig adam;  // Keras defaults
  uint64_t seed = 42;
  // Targets never trained on (nor used for validation); they are still predicted. k-fold
  // validation trains fold k with train_fraction = 1 and holdout = the fold's block.
  TargetRange holdout;
  // Early stopping (CPU trainer only; 0 = off): the chronologically last
  // ceil(validation_fraction * n) of the n training targets are held out for validation, training
  // stops after `patience` epochs without a lower validation MSE, and the weights of the best
  // epoch are restored.
  int patience = 0;
  double validation_fraction = 0.1;  // in (0, 0.5]
  bool keep_params = false;          // ModelRun::params: the trained weights of every node
  // The arithmetic of the matrix products (precision.hpp); Adam, the loss and the master
  // weights stay FP32 in every precision.
  Precision precision = Precision::kFp32;
};

// One node's series prepared for a model with `input_len` inputs.
//  z = (tec - mean) / std over all finite values (std with N-1, the paper's eqs. 1-2).
//  Target t (t >= input_len) is usable when z[t-input_len .. t-1] are finite; it is a training
//  target when also z[t] is finite, t < n_train = floor(train_fraction * ntime) and t is not in
//  `holdout`. windowing.hpp holds these rules, shared with the device kernels.
struct NodeWindows {
  double mean = 0, std = 1;
  int input_len = 0;
  int n_train = 0;                   // first index of the test part
  std::vector<float> z;              // normalised series, NaN = missing
  std::vector<int> train_targets;    // ascending
  std::vector<int> predict_targets;  // ascending, every t with finite inputs
};
NodeWindows make_windows(const float* tec, int ntime, int input_len, double train_fraction,
                         TargetRange holdout = {});

// What every trainer (CPU and GPU) checks first: epochs >= 1, batch >= 1, train_fraction in
// (0, 1], 0 <= holdout.begin <= holdout.end, patience >= 0, validation_fraction in (0, 0.5].
// Throws InputError naming the [train] key.
void check_train_config(const TrainConfig& tc);

// RMSE (TECU) of predicted vs observed over [begin, end), counting only epochs where both are
// finite; NaN when there are none. The train_rmse / test_rmse of every trainer.
double prediction_rmse(const float* predicted, const float* tec, int begin, int end);

struct TrainResult {
  std::vector<float> predicted;   // [ntime] TECU; NaN where no prediction
  std::vector<float> epoch_loss;  // mean MSE (normalised units) per epoch, as Keras prints it
  // Validation MSE (normalised units) after each epoch; NaN without early stopping and after
  // the stopping epoch.
  std::vector<float> val_loss;
  double train_rmse = 0, test_rmse = 0;  // TECU, over finite targets of each part
  std::vector<float> params;             // trained parameters (the best epoch's when stopped)
  int stop_epoch = 0;  // epochs trained: `epochs` unless stopped early, 0 without targets
};

// Trains one model for one node (node = its index in the cube, which keys the RNG streams):
// init_parameters(seed, node) -> epochs of shuffle_epoch(rng_key(seed,node,model,kRngShuffle))
// minibatches (the last one partial) of MSE + Adam -> predictions for every usable target.
TrainResult train_node(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const float* tec,
                       int ntime, int node);

}  // namespace tecscan
