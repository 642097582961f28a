// train_node: the reference training loop (minibatch MSE + Adam, Keras semantics) for one node
// and one model. The CUDA backend reproduces it step for step; docs/models.md lists the rules.
#include "tecscan/train.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "layers.hpp"
#include "tecscan/adam.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/error.hpp"
#include "tecscan/rng.hpp"

namespace tecscan {

namespace {

constexpr int kPredictChunk = 512;  // samples per forward() when predicting
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Row i of x = the inputs z[t - L .. t - 1] of target t = targets[order[i]] (targets[i] when
// order is null); y[i] = z[t] when y is not null.
void gather_batch(const NodeWindows& w, const int* targets, const int* order, int count, float* x,
                  float* y) {
  const int len = w.input_len;
  for (int i = 0; i < count; ++i) {
    const int t = targets[order ? order[i] : i];
    std::copy(w.z.begin() + (t - len), w.z.begin() + t, x + static_cast<size_t>(i) * len);
    if (y) y[i] = w.z[t];
  }
}

// adam.hpp's adam_update over all parameters, vectorised and entirely in float. (Called per
// element on the host, adam_update's unqualified sqrt resolves to ::sqrt(double), which would
// make the update half double precision and several times slower than this loop.)
void adam_step(const AdamConfig& c, float alpha, const float* grad, float* params, float* m,
               float* v, size_t n) {
  const Eigen::Index size = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf> M(m, size), V(v, size), P(params, size);
  Eigen::Map<const Eigen::ArrayXf> G(grad, size);
  M = c.beta1 * M + (1.0f - c.beta1) * G;
  V = c.beta2 * V + (1.0f - c.beta2) * G.square();
  P -= alpha * M / (V.sqrt() + c.eps);
}

}  // namespace

// train_node with a caller-owned model (the CPU trainer keeps one per thread).
TrainResult train_node_with_model(CpuModel<float>& model, const ModelConfig& mc,
                                  const TrainConfig& tc, const float* tec, int ntime, int node) {
  check_train_config(tc);
  const ModelKind kind = model.kind();
  const NodeWindows w = make_windows(tec, ntime, input_length(kind, mc), tc.train_fraction);
  const int len = w.input_len;
  const size_t nparam = static_cast<size_t>(parameter_count(kind, mc));

  TrainResult r;
  r.predicted.assign(static_cast<size_t>(std::max(ntime, 0)), kNaN);
  r.epoch_loss.assign(static_cast<size_t>(tc.epochs), kNaN);
  r.train_rmse = r.test_rmse = std::numeric_limits<double>::quiet_NaN();
  r.params.resize(nparam);
  init_parameters(kind, mc, tc.seed, static_cast<uint64_t>(node), r.params.data());
  const int n = static_cast<int>(w.train_targets.size());
  if (n == 0) return r;  // nothing to learn from: no predictions rather than untrained ones

  // Training: Adam step t counts minibatches from 1 across all epochs. Every buffer the
  // models read is aligned (layers::AlignedVector): Eigen's matrix-vector products peel
  // unaligned heads, so a malloc address (which differs between threads' arenas) would
  // otherwise change the summation order and the last bits of the result.
  using Buffer = layers::AlignedVector<float>;
  Buffer work(r.params.begin(), r.params.end());
  Buffer m(nparam, 0.0f), v(nparam, 0.0f), grad(nparam);
  std::vector<int> order(static_cast<size_t>(n));
  const int batch_cap = std::min(tc.batch, n);
  Buffer x(static_cast<size_t>(batch_cap) * len), y(batch_cap), yhat(batch_cap), dy(batch_cap);
  const uint64_t shuffle_key =
      rng_key(tc.seed, static_cast<uint64_t>(node), static_cast<uint64_t>(kind), kRngShuffle);
  const AdamConfig& adam = tc.adam;
  float* params = work.data();
  long step = 1;
  for (int epoch = 0; epoch < tc.epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    shuffle_epoch(shuffle_key, static_cast<uint64_t>(epoch), order.data(), n);
    double loss_sum = 0;  // sum over samples of the squared error, before each update
    for (int start = 0; start < n; start += tc.batch, ++step) {
      const int count = std::min(tc.batch, n - start);
      gather_batch(w, w.train_targets.data(), order.data() + start, count, x.data(), y.data());
      model.forward(params, x.data(), count, yhat.data());
      for (int i = 0; i < count; ++i) {
        const float e = yhat[i] - y[i];
        loss_sum += static_cast<double>(e) * e;
        dy[i] = 2.0f * e / static_cast<float>(count);
      }
      model.backward(params, dy.data(), grad.data());
      adam_step(adam, adam_alpha(adam, step), grad.data(), params, m.data(), v.data(), nparam);
    }
    r.epoch_loss[epoch] = static_cast<float>(loss_sum / n);
  }

  // Prediction of every usable target, back in TECU.
  const int npredict = static_cast<int>(w.predict_targets.size());
  const int chunk_cap = std::min(kPredictChunk, npredict);
  x.resize(static_cast<size_t>(chunk_cap) * len);
  yhat.resize(chunk_cap);
  for (int start = 0; start < npredict; start += kPredictChunk) {
    const int count = std::min(kPredictChunk, npredict - start);
    const int* chunk = w.predict_targets.data() + start;
    gather_batch(w, chunk, nullptr, count, x.data(), nullptr);
    model.forward(params, x.data(), count, yhat.data());
    for (int i = 0; i < count; ++i)
      r.predicted[chunk[i]] = static_cast<float>(static_cast<double>(yhat[i]) * w.std + w.mean);
  }
  std::copy(work.begin(), work.end(), r.params.begin());
  r.train_rmse = prediction_rmse(r.predicted.data(), tec, 0, std::min(w.n_train, ntime));
  r.test_rmse = prediction_rmse(r.predicted.data(), tec, std::min(w.n_train, ntime), ntime);
  return r;
}

TrainResult train_node(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const float* tec,
                       int ntime, int node) {
  std::unique_ptr<CpuModel<float>> model = make_cpu_model<float>(k, mc);
  return train_node_with_model(*model, mc, tc, tec, ntime, node);
}

}  // namespace tecscan
