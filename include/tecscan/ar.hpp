// The autoregressive baseline detector `ar`: per node, an AR(p) model with an intercept fitted by
// ordinary least squares on the same normalised windows the networks train on (make_windows), so
// its DTEC is directly comparable with theirs and it answers "does a network beat a linear
// predictor?".
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tecscan/train.hpp"

namespace tecscan {

struct ArFit {
  int order = 0;
  size_t nnode = 0;
  // [node][order + 1]: the weights of z[t-p] .. z[t-1] (oldest first, the network window
  // layout), then the intercept. A NaN row = no fit for that node.
  std::vector<double> coef;
  std::vector<double> mean, std;  // [node] the normalisation of make_windows
};

// Per node: make_windows(tec_n, ntime, order, tc.train_fraction, tc.holdout), then the least
// squares fit of z[t] on (z[t-p .. t-1], 1) over the training targets (double, column-pivoting
// QR). Fewer than order + 2 training targets, or a rank-deficient system: NaN row.
// tec: [node][time]. threads: parallel_for's (1 = serial, <= 0 = every hardware thread); the
// result is the same for any number.
ArFit ar_fit(const float* tec, size_t nnode, size_t ntime, int order, const TrainConfig& tc,
             int threads = 1);

// predicted[n][t] (TECU) = (coef . (z[t-p .. t-1], 1)) * std + mean for every t >= order with
// epoch_mask[t] (null = every epoch) and finite inputs, where z is `tec` normalised with the
// fit's mean and std (so an injected series is predicted by the clean fit). Entries of nodes
// without a fit, masked-out epochs and epochs with a missing input are left untouched.
void ar_predict(const ArFit& fit, const float* tec, size_t nnode, size_t ntime,
                const uint8_t* epoch_mask, float* predicted);

}  // namespace tecscan
