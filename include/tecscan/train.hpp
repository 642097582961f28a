// Windowing, normalisation, chronological split and the minibatch training loop for one node
// and one model: the CPU reference that the GPU backend must reproduce step for step.
#pragma once
#include <cstdint>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/model.hpp"

namespace tecscan {

struct TrainConfig {
  int epochs = 100;              // Brownlee-style Keras scripts of 2021 trained 100-200 epochs
  int batch = 32;                // Keras' default batch_size
  double train_fraction = 0.65;  // the paper: first 65 % train, rest test
  AdamConfig adam;               // Keras defaults
  uint64_t seed = 42;
};

// One node's series prepared for a model with `input_len` inputs.
//  z = (tec - mean) / std over all finite values (std with N-1, the paper's eqs. 1-2).
//  Target t (t >= input_len) is usable when z[t-input_len .. t-1] are finite; it is a training
//  target when also z[t] is finite and t < n_train = floor(train_fraction * ntime).
struct NodeWindows {
  double mean = 0, std = 1;
  int input_len = 0;
  int n_train = 0;                   // first index of the test part
  std::vector<float> z;              // normalised series, NaN = missing
  std::vector<int> train_targets;    // ascending
  std::vector<int> predict_targets;  // ascending, every t with finite inputs
};
NodeWindows make_windows(const float* tec, int ntime, int input_len, double train_fraction);

// What every trainer (CPU and GPU) checks first: epochs >= 1, batch >= 1, train_fraction in
// (0, 1]. Throws InputError naming the [train] key.
void check_train_config(const TrainConfig& tc);

// RMSE (TECU) of predicted vs observed over [begin, end), counting only epochs where both are
// finite; NaN when there are none. The train_rmse / test_rmse of every trainer.
double prediction_rmse(const float* predicted, const float* tec, int begin, int end);

struct TrainResult {
  std::vector<float> predicted;   // [ntime] TECU; NaN where no prediction
  std::vector<float> epoch_loss;  // mean MSE (normalised units) per epoch, as Keras prints it
  double train_rmse = 0, test_rmse = 0;  // TECU, over finite targets of each part
  std::vector<float> params;             // trained parameters
};

// Trains one model for one node (node = its index in the cube, which keys the RNG streams):
// init_parameters(seed, node) -> epochs of shuffle_epoch(rng_key(seed,node,model,kRngShuffle))
// minibatches (the last one partial) of MSE + Adam -> predictions for every usable target.
TrainResult train_node(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const float* tec,
                       int ntime, int node);

}  // namespace tecscan
