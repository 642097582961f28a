// What the networks' layout and FLOP functions share (src/cpu/<name>.cpp): size validation with
// messages naming the [model] key, the tensor list builder with Keras' fans, and the conv stack
// of the CNN and CNN-LSTM.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/model.hpp"

namespace tecscan {
namespace layout {

inline void require_positive(int value, const char* key) {
  if (value < 1)
    throw InputError("[model] " + std::string(key) + " must be >= 1 (got " + std::to_string(value) +
                     ")");
}

// Values per prediction of the models that read `window` values.
inline int window_input_length(const ModelConfig& c) {
  require_positive(c.window, "window");
  return c.window;
}

// Time steps left after conv(k) -> conv(k) -> maxpool(p) on `window` values; the user is told
// which values to change when nothing is left.
inline int cnn_pooled_steps(const ModelConfig& c, const char* model) {
  require_positive(c.window, "window");
  require_positive(c.cnn_filters, "cnn_filters");
  require_positive(c.cnn_kernel, "cnn_kernel");
  require_positive(c.cnn_pool, "cnn_pool");
  const int after_convs = c.window - 2 * (c.cnn_kernel - 1);
  const int pooled = after_convs / c.cnn_pool;
  if (after_convs < 1 || pooled < 1)
    throw InputError(
        std::string(model) + ": [model] window = " + std::to_string(c.window) +
        " leaves no time step after two Conv1D(cnn_kernel = " + std::to_string(c.cnn_kernel) +
        ") and MaxPool1D(cnn_pool = " + std::to_string(c.cnn_pool) +
        "); need window >= 2 * (cnn_kernel - 1) + cnn_pool: raise [model] window "
        "or lower cnn_kernel / cnn_pool");
  return pooled;
}

// Multiply-adds of conv(k) -> conv(k) on `window` values; *pooled_features = the flattened
// width after the max-pool.
inline double conv_stack_macs(const ModelConfig& c, double* pooled_features) {
  const double f = c.cnn_filters, kw = c.cnn_kernel;
  const double l1 = c.window - c.cnn_kernel + 1, l2 = l1 - c.cnn_kernel + 1;
  *pooled_features = std::floor(l2 / c.cnn_pool) * f;
  return l1 * kw * f + l2 * kw * f * f;
}

// Appends tensors in order, assigning contiguous offsets.
class Builder {
 public:
  void add(const std::string& name, std::vector<int> shape, InitKind init, int fan_in = 0,
           int fan_out = 0) {
    int64_t size = 1;
    for (int d : shape) size *= d;
    specs_.push_back({name, std::move(shape), init, offset_, size, fan_in, fan_out});
    offset_ += size;
  }
  // Keras Dense(out) on `in` features.
  void dense(const std::string& layer, int in, int out) {
    add(layer + "/kernel", {in, out}, InitKind::kGlorotUniform, in, out);
    add(layer + "/bias", {out}, InitKind::kZeros);
  }
  // Keras Conv1D(cout, k) on cin channels: fans include the receptive field k.
  void conv1d(const std::string& layer, int k, int cin, int cout) {
    add(layer + "/kernel", {k, cin, cout}, InitKind::kGlorotUniform, k * cin, k * cout);
    add(layer + "/bias", {cout}, InitKind::kZeros);
  }
  // Keras recurrent layer with `gates` blocks: input kernel, recurrent kernel (bias separate).
  void recurrent_kernels(const std::string& layer, int in, int units, int gates) {
    add(layer + "/kernel", {in, gates * units}, InitKind::kGlorotUniform, in, gates * units);
    add(layer + "/recurrent_kernel", {units, gates * units}, InitKind::kOrthogonal, units,
        gates * units);
  }
  std::vector<TensorSpec> take() { return std::move(specs_); }

 private:
  std::vector<TensorSpec> specs_;
  int64_t offset_ = 0;
};

}  // namespace layout
}  // namespace tecscan
