// model.hpp's entry points over the registry (model_registry.hpp: each network's name, layout
// and FLOPs live in its own file) and the Keras-default initialisation. The layout is the
// contract between the CPU and GPU backends and the Keras fixtures.
#include <Eigen/Core>
#include <Eigen/QR>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "layout_builder.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/rng.hpp"

namespace tecscan {

namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

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
  const std::vector<ModelEntry>& t = model_registry();
  const auto i = static_cast<size_t>(k);
  return i < t.size() ? t[i].name : "unknown";
}

ModelKind parse_model(const std::string& name) {
  const std::string n = lower(name);
  for (const ModelEntry& e : model_registry()) {
    // "cnn-lstm" is also accepted as "cnnlstm" and "cnn_lstm".
    std::string bare = e.name, snake = e.name;
    bare.erase(std::remove(bare.begin(), bare.end(), '-'), bare.end());
    std::replace(snake.begin(), snake.end(), '-', '_');
    if (n == e.name || n == bare || n == snake) return e.kind;
  }
  throw InputError("unknown model '" + name + "': expected one of " + model_names(", "));
}

std::vector<ModelKind> all_models() {
  std::vector<ModelKind> kinds;
  for (const ModelEntry& e : model_registry()) kinds.push_back(e.kind);
  return kinds;
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
  return model_entry(k).input_length(c);
}

std::vector<TensorSpec> parameter_layout(ModelKind k, const ModelConfig& c) {
  layout::require_positive(c.window, "window");
  return model_entry(k).layout(c);
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
  return 2.0 * model_entry(k).forward_macs(c);
}

}  // namespace tecscan
