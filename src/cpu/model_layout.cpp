// Names, tensor layouts, sizes, FLOP counts and the Keras-default initialisation of the six
// models. The layout is the contract between the CPU and GPU backends and the Keras fixtures.
#include <Eigen/Core>
#include <Eigen/QR>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/rng.hpp"

namespace tecscan {

namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

void require_positive(int value, const char* key) {
  if (value < 1)
    throw InputError("[model] " + std::string(key) + " must be >= 1 (got " + std::to_string(value) +
                     ")");
}

// Time steps left after conv(k) -> conv(k) -> maxpool(p) on `window` values; the user is told
// which values to change when nothing is left.
int cnn_pooled_steps(const ModelConfig& c, const char* model) {
  require_positive(c.window, "window");
  require_positive(c.cnn_filters, "cnn_filters");
  require_positive(c.cnn_kernel, "cnn_kernel");
  require_positive(c.cnn_pool, "cnn_pool");
  int after_convs = c.window - 2 * (c.cnn_kernel - 1);
  int pooled = after_convs / c.cnn_pool;
  if (after_convs < 1 || pooled < 1)
    throw InputError(
        std::string(model) + ": [model] window = " + std::to_string(c.window) +
        " leaves no time step after two Conv1D(cnn_kernel = " + std::to_string(c.cnn_kernel) +
        ") and MaxPool1D(cnn_pool = " + std::to_string(c.cnn_pool) +
        "); need window >= 2 * (cnn_kernel - 1) + cnn_pool: raise [model] window "
        "or lower cnn_kernel / cnn_pool");
  return pooled;
}

// Appends tensors in order, assigning contiguous offsets.
class LayoutBuilder {
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

// Gaussian draw i of a tensor at `offset` in the init stream: Box-Muller on the uniform pair
// (offset + 2m, offset + 2m + 1), m = i / 2; even i takes the cosine, odd i the sine branch.
double gaussian_draw(uint64_t key, int64_t offset, int64_t i) {
  const double kTwoPi = 6.283185307179586476925286766559;
  uint64_t pair = static_cast<uint64_t>(offset) + 2 * static_cast<uint64_t>(i / 2);
  double u1 = 1.0 - static_cast<double>(rng_uniform01(key, pair));  // (0, 1]: log is finite
  double u2 = static_cast<double>(rng_uniform01(key, pair + 1));
  double radius = std::sqrt(-2.0 * std::log(u1));
  return radius * ((i % 2 == 0) ? std::cos(kTwoPi * u2) : std::sin(kTwoPi * u2));
}

// Keras Orthogonal(gain 1) for a [rows, cols] kernel, rows <= cols: QR of a Gaussian
// [cols, rows] matrix, columns times sign(diag R), transposed so the rows are orthonormal.
void init_orthogonal(uint64_t key, const TensorSpec& s, float* out) {
  const int rows = s.shape[0], cols = s.shape[1];
  using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const bool tall = rows < cols;  // Keras factors the transposed (tall) shape
  const int qr_rows = tall ? cols : rows, qr_cols = tall ? rows : cols;
  MatrixD a(qr_rows, qr_cols);
  for (int64_t i = 0; i < a.size(); ++i) a.data()[i] = gaussian_draw(key, s.offset, i);
  Eigen::HouseholderQR<MatrixD> qr(a);
  MatrixD q = qr.householderQ() * MatrixD::Identity(qr_rows, qr_cols);
  MatrixD r = qr.matrixQR().topRows(qr_cols).template triangularView<Eigen::Upper>();
  for (int j = 0; j < qr_cols; ++j)
    if (r(j, j) < 0) q.col(j) *= -1.0;
  MatrixD result = tall ? MatrixD(q.transpose()) : q;
  for (int64_t i = 0; i < result.size(); ++i) out[i] = static_cast<float>(result.data()[i]);
}

}  // namespace

const char* model_name(ModelKind k) {
  switch (k) {
    case ModelKind::kMlp:
      return "mlp";
    case ModelKind::kCnn:
      return "cnn";
    case ModelKind::kRnn:
      return "rnn";
    case ModelKind::kGru:
      return "gru";
    case ModelKind::kLstm:
      return "lstm";
    case ModelKind::kCnnLstm:
      return "cnn-lstm";
  }
  return "unknown";
}

ModelKind parse_model(const std::string& name) {
  std::string n = lower(name);
  if (n == "cnnlstm" || n == "cnn_lstm") n = "cnn-lstm";
  for (ModelKind k : all_models())
    if (n == model_name(k)) return k;
  throw InputError("unknown model '" + name +
                   "': expected one of mlp, cnn, rnn, gru, lstm, cnn-lstm");
}

std::vector<ModelKind> all_models() {
  return {ModelKind::kMlp, ModelKind::kCnn,  ModelKind::kRnn,
          ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm};
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "unknown";
}

Activation parse_activation(const std::string& name) {
  std::string n = lower(name);
  for (Activation a : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid})
    if (n == activation_name(a)) return a;
  throw InputError("unknown activation '" + name + "': expected one of relu, tanh, sigmoid");
}

int input_length(ModelKind k, const ModelConfig& c) {
  require_positive(c.window, "window");
  if (k == ModelKind::kCnnLstm) {
    require_positive(c.cnnlstm_subseq, "cnnlstm_subseq");
    return c.cnnlstm_subseq * c.window;
  }
  return c.window;
}

std::vector<TensorSpec> parameter_layout(ModelKind k, const ModelConfig& c) {
  require_positive(c.window, "window");
  LayoutBuilder b;
  switch (k) {
    case ModelKind::kMlp:
      require_positive(c.mlp_hidden, "mlp_hidden");
      b.dense("dense_1", c.window, c.mlp_hidden);
      b.dense("dense_2", c.mlp_hidden, c.mlp_hidden);
      b.dense("dense_3", c.mlp_hidden, 1);
      break;
    case ModelKind::kCnn: {
      int pooled = cnn_pooled_steps(c, "cnn");
      b.conv1d("conv1d_1", c.cnn_kernel, 1, c.cnn_filters);
      b.conv1d("conv1d_2", c.cnn_kernel, c.cnn_filters, c.cnn_filters);
      b.dense("dense", pooled * c.cnn_filters, 1);
      break;
    }
    case ModelKind::kRnn:
      require_positive(c.rnn_units, "rnn_units");
      b.recurrent_kernels("simple_rnn", 1, c.rnn_units, 1);
      b.add("simple_rnn/bias", {c.rnn_units}, InitKind::kZeros);
      b.dense("dense", c.rnn_units, 1);
      break;
    case ModelKind::kGru:
      require_positive(c.gru_units, "gru_units");
      b.recurrent_kernels("gru", 1, c.gru_units, 3);
      if (c.gru_reset_after)
        b.add("gru/bias", {2, 3 * c.gru_units}, InitKind::kZeros);
      else
        b.add("gru/bias", {3 * c.gru_units}, InitKind::kZeros);
      b.dense("dense", c.gru_units, 1);
      break;
    case ModelKind::kLstm:
      require_positive(c.lstm_units, "lstm_units");
      require_positive(c.lstm_dense, "lstm_dense");
      b.recurrent_kernels("lstm", 1, c.lstm_units, 4);
      b.add("lstm/bias", {4 * c.lstm_units}, InitKind::kLstmBias);
      b.dense("dense_1", c.lstm_units, c.lstm_dense);
      b.dense("dense_2", c.lstm_dense, 1);
      break;
    case ModelKind::kCnnLstm: {
      require_positive(c.cnnlstm_subseq, "cnnlstm_subseq");
      require_positive(c.cnnlstm_units, "cnnlstm_units");
      int pooled = cnn_pooled_steps(c, "cnn-lstm");
      b.conv1d("conv1d_1", c.cnn_kernel, 1, c.cnn_filters);
      b.conv1d("conv1d_2", c.cnn_kernel, c.cnn_filters, c.cnn_filters);
      b.recurrent_kernels("lstm", pooled * c.cnn_filters, c.cnnlstm_units, 4);
      b.add("lstm/bias", {4 * c.cnnlstm_units}, InitKind::kLstmBias);
      b.dense("dense", c.cnnlstm_units, 1);
      break;
    }
  }
  return b.take();
}

int64_t parameter_count(ModelKind k, const ModelConfig& c) {
  std::vector<TensorSpec> specs = parameter_layout(k, c);
  return specs.empty() ? 0 : specs.back().offset + specs.back().size;
}

void init_parameters(ModelKind k, const ModelConfig& c, uint64_t seed, uint64_t node,
                     float* params) {
  const uint64_t key = rng_key(seed, node, static_cast<uint64_t>(k), kRngInit);
  for (const TensorSpec& s : parameter_layout(k, c)) {
    float* p = params + s.offset;
    switch (s.init) {
      case InitKind::kGlorotUniform: {
        const float limit = static_cast<float>(std::sqrt(6.0 / (s.fan_in + s.fan_out)));
        for (int64_t j = 0; j < s.size; ++j)
          p[j] = (2.0f * rng_uniform01(key, static_cast<uint64_t>(s.offset + j)) - 1.0f) * limit;
        break;
      }
      case InitKind::kOrthogonal:
        init_orthogonal(key, s, p);
        break;
      case InitKind::kZeros:
        std::fill(p, p + s.size, 0.0f);
        break;
      case InitKind::kLstmBias: {  // Keras unit_forget_bias: blocks i, f, c, o; f = 1
        const int64_t units = s.size / 4;
        std::fill(p, p + s.size, 0.0f);
        std::fill(p + units, p + 2 * units, 1.0f);
        break;
      }
    }
  }
}

double forward_flops_per_sample(ModelKind k, const ModelConfig& c) {
  // Multiply-adds of the GEMMs (biases and activations are negligible), times 2.
  auto conv_stack_macs = [&c](double* pooled_features) {
    const double f = c.cnn_filters, kw = c.cnn_kernel;
    const double l1 = c.window - c.cnn_kernel + 1, l2 = l1 - c.cnn_kernel + 1;
    *pooled_features = std::floor(l2 / c.cnn_pool) * f;
    return l1 * kw * f + l2 * kw * f * f;
  };
  double macs = 0;
  const double w = c.window;
  switch (k) {
    case ModelKind::kMlp: {
      const double h = c.mlp_hidden;
      macs = w * h + h * h + h;
      break;
    }
    case ModelKind::kCnn: {
      double features = 0;
      macs = conv_stack_macs(&features) + features;
      break;
    }
    case ModelKind::kRnn: {
      const double u = c.rnn_units;
      macs = w * (u + u * u) + u;
      break;
    }
    case ModelKind::kGru: {
      const double u = c.gru_units;
      macs = w * (3 * u + 3 * u * u) + u;
      break;
    }
    case ModelKind::kLstm: {
      const double u = c.lstm_units, d = c.lstm_dense;
      macs = w * (4 * u + 4 * u * u) + u * d + d;
      break;
    }
    case ModelKind::kCnnLstm: {
      double features = 0;
      const double s = c.cnnlstm_subseq, u = c.cnnlstm_units;
      macs = s * conv_stack_macs(&features);
      macs += s * (features * 4 * u + u * 4 * u) + u;
      break;
    }
  }
  return 2.0 * macs;
}

}  // namespace tecscan
