// Test support: train_node's minibatch loop (train.hpp) with the loss of every minibatch,
// computed before its update, recorded for at most `steps` steps. The GPU tests and the host
// emulation of the GPU kernels compare their per-step losses against it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model.hpp"
#include "tecscan/rng.hpp"
#include "tecscan/train.hpp"

namespace tecscan::test {

inline std::vector<float> cpu_step_losses(ModelKind kind, const ModelConfig& mc,
                                          const TrainConfig& tc, const float* tec, int ntime,
                                          int node, int steps) {
  NodeWindows w = make_windows(tec, ntime, input_length(kind, mc), tc.train_fraction);
  auto model = make_cpu_model<float>(kind, mc);
  const size_t P = static_cast<size_t>(parameter_count(kind, mc));
  std::vector<float> params(P), m(P, 0.0f), v(P, 0.0f), grad(P), losses;
  init_parameters(kind, mc, tc.seed, node, params.data());
  const int n = static_cast<int>(w.train_targets.size()), L = w.input_len;
  std::vector<int> order(n);
  std::vector<float> x(static_cast<size_t>(tc.batch) * L), y(tc.batch), yhat(tc.batch),
      dy(tc.batch);
  const uint64_t key = rng_key(tc.seed, node, static_cast<uint64_t>(kind), kRngShuffle);
  long step = 1;
  for (int epoch = 0; n > 0 && epoch < tc.epochs && step <= steps; ++epoch) {
    for (int k = 0; k < n; ++k) order[k] = k;
    shuffle_epoch(key, epoch, order.data(), n);
    for (int start = 0; start < n && step <= steps; start += tc.batch, ++step) {
      const int count = std::min(tc.batch, n - start);
      for (int i = 0; i < count; ++i) {
        const int t = w.train_targets[order[start + i]];
        std::copy(w.z.begin() + (t - L), w.z.begin() + t, x.begin() + i * L);
        y[i] = w.z[t];
      }
      model->forward(params.data(), x.data(), count, yhat.data());
      double sum = 0;
      for (int i = 0; i < count; ++i) {
        const float e = yhat[i] - y[i];
        sum += static_cast<double>(e) * e;
        dy[i] = 2.0f * e / static_cast<float>(count);
      }
      losses.push_back(static_cast<float>(sum / count));
      model->backward(params.data(), dy.data(), grad.data());
      const float alpha = adam_alpha(tc.adam, step);
      for (size_t p = 0; p < P; ++p)
        adam_update<float>(params[p], m[p], v[p], grad[p], alpha, tc.adam.beta1, tc.adam.beta2,
                           tc.adam.eps);
    }
  }
  return losses;
}

}  // namespace tecscan::test
