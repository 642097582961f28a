// MLP: Dense(h, relu) -> Dense(h, relu) -> Dense(1) on `window` inputs (the paper's Table 1).
#include <algorithm>
#include <memory>
#include <vector>

#include "layers.hpp"
#include "layout_builder.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model_registry.hpp"

namespace tecscan {

namespace {

template <typename T>
class MlpModel final : public CpuModel<T> {
 public:
  explicit MlpModel(const ModelConfig& c) : in_(c.window), hidden_(c.mlp_hidden) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kMlp, c);
    for (int i = 0; i < 6; ++i) offset_[i] = s[i].offset;
  }
  ModelKind kind() const override { return ModelKind::kMlp; }

  void forward(const T* params, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    const size_t b = static_cast<size_t>(batch), h = static_cast<size_t>(hidden_);
    T* xs = x_.get(b * in_);
    std::copy(x, x + b * in_, xs);  // the caller's buffer may change before backward()
    T* a1 = a1_.get(b * h);
    T* a2 = a2_.get(b * h);
    layers::dense_forward(prec, xs, batch, in_, params + offset_[0], params + offset_[1], hidden_,
                          a1);
    layers::relu_inplace(a1, b * h);
    layers::dense_forward(prec, a1, batch, hidden_, params + offset_[2], params + offset_[3],
                          hidden_, a2);
    layers::relu_inplace(a2, b * h);
    layers::dense_forward(prec, a2, batch, hidden_, params + offset_[4], params + offset_[5], 1, y);
  }

  void backward(const T* params, const T* dy, T* grad) override {
    const int batch = batch_;
    const Precision prec = this->precision();
    const size_t n = static_cast<size_t>(batch) * hidden_;
    T* d2 = d2_.get(n);
    T* d1 = d1_.get(n);
    layers::dense_backward(prec, a2_.data(), batch, hidden_, params + offset_[4], 1, dy,
                           grad + offset_[4], grad + offset_[5], d2);
    layers::relu_backward_inplace(a2_.data(), d2, n);
    layers::dense_backward(prec, a1_.data(), batch, hidden_, params + offset_[2], hidden_, d2,
                           grad + offset_[2], grad + offset_[3], d1);
    layers::relu_backward_inplace(a1_.data(), d1, n);
    layers::dense_backward(prec, x_.data(), batch, in_, params + offset_[0], hidden_, d1,
                           grad + offset_[0], grad + offset_[1], static_cast<T*>(nullptr));
  }

 private:
  int in_, hidden_;
  int64_t offset_[6];  // dense_1 kernel, bias, dense_2 kernel, bias, dense_3 kernel, bias
  int batch_ = 0;
  layers::Scratch<T> x_, a1_, a2_, d1_, d2_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_mlp_model(const ModelConfig& c) {
  return std::make_unique<MlpModel<T>>(c);
}

std::vector<TensorSpec> mlp_layout(const ModelConfig& c) {
  layout::require_positive(c.mlp_hidden, "mlp_hidden");
  layout::Builder b;
  b.dense("dense_1", c.window, c.mlp_hidden);
  b.dense("dense_2", c.mlp_hidden, c.mlp_hidden);
  b.dense("dense_3", c.mlp_hidden, 1);
  return b.take();
}

double mlp_forward_macs(const ModelConfig& c) {
  const double w = c.window, h = c.mlp_hidden;
  return w * h + h * h + h;
}

}  // namespace

ModelEntry mlp_entry() {
  return {ModelKind::kMlp,
          "mlp",
          "Dense(mlp_hidden, relu) -> Dense(mlp_hidden, relu) -> Dense(1) on window values",
          GpuPath::kFeedForward,
          layout::window_input_length,
          mlp_layout,
          mlp_forward_macs,
          make_mlp_model<float>,
          make_mlp_model<double>};
}

}  // namespace tecscan
