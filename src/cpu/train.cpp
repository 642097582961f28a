// train_node: the reference training loop (minibatch MSE + Adam, Keras semantics) for one node
// and one model, with optional early stopping; predict_series_cpu: the same predictions from
// stored parameters. The CUDA backend reproduces train_node step for step (without early
// stopping); docs/models.md lists the rules.
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
#include "tecscan/trainer.hpp"
#include "tecscan/windowing.hpp"

namespace tecscan {

namespace {

constexpr int kPredictChunk = 512;  // samples per forward() when predicting
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Every buffer the models read is aligned (layers::AlignedVector): Eigen's matrix-vector
// products peel unaligned heads, so a malloc address (which differs between threads' arenas)
// would otherwise change the summation order and the last bits of the result.
using Buffer = layers::AlignedVector<float>;

// Row i of x = the inputs z[t - len .. t - 1] of target t = targets[order[i]] (targets[i] when
// order is null); y[i] = z[t] when y is not null.
void gather_batch(const float* z, int len, const int* targets, const int* order, int count,
                  float* x, float* y) {
  for (int i = 0; i < count; ++i) {
    const int t = targets[order ? order[i] : i];
    std::copy(z + (t - len), z + t, x + static_cast<size_t>(i) * len);
    if (y) y[i] = z[t];
  }
}

// The model's outputs (normalised units) for targets whose inputs are all finite, in chunks of
// kPredictChunk: emit(chunk_targets, count, yhat) per chunk. The chunking is part of the result
// (products of different batch sizes may round differently), so the predictions of train_node,
// its validation loss and predict_series_cpu all go through here.
template <typename Emit>
void forward_targets(CpuModel<float>& model, const float* params, const float* z, int len,
                     const int* targets, int n, Emit&& emit) {
  const int cap = std::min(kPredictChunk, n);
  Buffer x(static_cast<size_t>(std::max(cap, 0)) * len),
      yhat(static_cast<size_t>(std::max(cap, 0)));
  for (int start = 0; start < n; start += kPredictChunk) {
    const int count = std::min(kPredictChunk, n - start);
    gather_batch(z, len, targets + start, nullptr, count, x.data(), nullptr);
    model.forward(params, x.data(), count, yhat.data());
    emit(targets + start, count, yhat.data());
  }
}

float denormalise(float y, double mean, double stdev) {
  return static_cast<float>(static_cast<double>(y) * stdev + mean);
}

// adam.hpp's adam_update applied to all parameters at once as Eigen arrays: the same rule,
// vectorised, entirely in float.
void adam_step(const AdamConfig& c, float alpha, const float* grad, float* params, float* m,
               float* v, size_t n) {
  const Eigen::Index size = static_cast<Eigen::Index>(n);
  Eigen::Map<Eigen::ArrayXf> M(m, size), V(v, size), P(params, size);
  const Eigen::Map<const Eigen::ArrayXf> G(grad, size);
  adam_update(P, M, V, G, alpha, c.beta1, c.beta2, c.eps);
}

// Validation targets of early stopping: the last ceil(fraction * n) of the n training targets,
// but at least one target is left to train on (none: no early stopping). The tolerance keeps
// an exact product such as 0.1 * 30 from rounding up to the next integer.
int validation_count(const TrainConfig& tc, int n) {
  if (tc.patience <= 0 || n < 2) return 0;
  const int want = static_cast<int>(std::ceil(tc.validation_fraction * n - 1e-9));
  return std::min(want, n - 1);
}

}  // namespace

// train_node with a caller-owned model (the CPU trainer makes a fresh one per node).
TrainResult train_node_with_model(CpuModel<float>& model, const ModelConfig& mc,
                                  const TrainConfig& tc, const float* tec, int ntime, int node) {
  check_train_config(tc);
  model.set_precision(tc.precision);  // training, validation and predictions alike
  const ModelKind kind = model.kind();
  const NodeWindows w =
      make_windows(tec, ntime, input_length(kind, mc), tc.train_fraction, tc.holdout);
  const int len = w.input_len;
  const size_t nparam = static_cast<size_t>(parameter_count(kind, mc));

  TrainResult r;
  r.predicted.assign(static_cast<size_t>(std::max(ntime, 0)), kNaN);
  r.epoch_loss.assign(static_cast<size_t>(tc.epochs), kNaN);
  r.val_loss.assign(static_cast<size_t>(tc.epochs), kNaN);
  r.train_rmse = r.test_rmse = std::numeric_limits<double>::quiet_NaN();
  r.params.resize(nparam);
  init_parameters(kind, mc, tc.seed, static_cast<uint64_t>(node), r.params.data());
  const int n_all = static_cast<int>(w.train_targets.size());
  if (n_all == 0) return r;  // nothing to learn from: no predictions rather than untrained ones
  // Early stopping trains on the first n targets and validates on the rest (chronological).
  const int n_val = validation_count(tc, n_all);
  const int n = n_all - n_val;
  const int* val_targets = w.train_targets.data() + n;

  // Training: Adam step t counts minibatches from 1 across all epochs.
  Buffer work(r.params.begin(), r.params.end());
  Buffer m(nparam, 0.0f), v(nparam, 0.0f), grad(nparam);
  Buffer best;  // the best validation epoch's weights (early stopping)
  double best_loss = std::numeric_limits<double>::infinity();
  int best_epoch = -1;
  std::vector<int> order(static_cast<size_t>(n));
  const int batch_cap = std::min(tc.batch, n);
  Buffer x(static_cast<size_t>(batch_cap) * len), y(batch_cap), yhat(batch_cap), dy(batch_cap);
  const uint64_t shuffle_key =
      rng_key(tc.seed, static_cast<uint64_t>(node), static_cast<uint64_t>(kind), kRngShuffle);
  const AdamConfig& adam = tc.adam;
  float* params = work.data();
  long step = 1;
  r.stop_epoch = tc.epochs;
  for (int epoch = 0; epoch < tc.epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    shuffle_epoch(shuffle_key, static_cast<uint64_t>(epoch), order.data(), n);
    double loss_sum = 0;  // sum over samples of the squared error, before each update
    for (int start = 0; start < n; start += tc.batch, ++step) {
      const int count = std::min(tc.batch, n - start);
      gather_batch(w.z.data(), len, w.train_targets.data(), order.data() + start, count, x.data(),
                   y.data());
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
    if (n_val == 0) continue;

    // Early stopping (Keras' EarlyStopping(patience, restore_best_weights=True)).
    double val_sum = 0;
    forward_targets(model, params, w.z.data(), len, val_targets, n_val,
                    [&](const int* t, int count, const float* out) {
                      for (int i = 0; i < count; ++i) {
                        const float e = out[i] - w.z[t[i]];
                        val_sum += static_cast<double>(e) * e;
                      }
                    });
    const double val_loss = val_sum / n_val;
    r.val_loss[epoch] = static_cast<float>(val_loss);
    if (val_loss < best_loss) {
      best_loss = val_loss;
      best_epoch = epoch;
      best.assign(work.begin(), work.end());
    } else if (epoch - best_epoch >= tc.patience) {
      r.stop_epoch = epoch + 1;
      break;
    }
  }
  if (best_epoch >= 0) std::copy(best.begin(), best.end(), work.begin());

  // Prediction of every usable target, back in TECU.
  forward_targets(model, params, w.z.data(), len, w.predict_targets.data(),
                  static_cast<int>(w.predict_targets.size()),
                  [&](const int* t, int count, const float* out) {
                    for (int i = 0; i < count; ++i)
                      r.predicted[t[i]] = denormalise(out[i], w.mean, w.std);
                  });
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

void predict_series_cpu(ModelKind k, const ModelConfig& mc, const float* params, double mean,
                        double std, const float* tec, int ntime, const int* targets, int ntargets,
                        float* predicted, bool targets_only, Precision precision) {
  if (ntime < 0 || ntargets < 0)
    throw InputError("predict_series_cpu: negative series length or target count");
  for (int i = 0; i < ntargets; ++i)
    if (targets[i] < 0 || targets[i] >= ntime)
      throw InputError("predict_series_cpu: target " + std::to_string(targets[i]) +
                       " is outside [0, " + std::to_string(ntime) + ")");
  const int len = input_length(k, mc);
  const size_t nparam = static_cast<size_t>(parameter_count(k, mc));
  // z and the usable targets by make_windows' rules (windowing.hpp), with the training
  // series' mean and std.
  const SeriesMoments moments{mean, std};
  std::vector<float> z(static_cast<size_t>(ntime), kNaN);
  if (normalisable(moments))
    for (int t = 0; t < ntime; ++t) z[t] = normalised_value(tec[t], moments);

  // Every usable target of the series, batched as train_node batches its predictions: a
  // product's rounding depends on its batch (a single sample takes another Eigen kernel), so
  // predicting only the requested targets would not reproduce the trainer's bits.
  std::vector<int> usable;
  std::vector<uint8_t> wanted(static_cast<size_t>(ntime), targets_only ? 0 : 1);
  for (int i = 0; targets_only && i < ntargets; ++i) wanted[targets[i]] = 1;
  for_each_target(z.data(), ntime, len, 0, 0, 0, [&](int t, bool) {
    if (wanted[t]) usable.push_back(t);
  });
  std::vector<float> all(static_cast<size_t>(ntime), kNaN);
  const Buffer p(params, params + nparam);  // aligned, as in training
  std::unique_ptr<CpuModel<float>> model = make_cpu_model<float>(k, mc);
  model->set_precision(precision);  // the products of the training's precision
  forward_targets(*model, p.data(), z.data(), len, usable.data(), static_cast<int>(usable.size()),
                  [&](const int* t, int count, const float* out) {
                    for (int i = 0; i < count; ++i) all[t[i]] = denormalise(out[i], mean, std);
                  });
  for (int i = 0; i < ntargets; ++i) predicted[targets[i]] = all[targets[i]];
}

}  // namespace tecscan
