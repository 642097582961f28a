// CNN: Conv1D(f, k, relu) -> Conv1D(f, k, relu) -> MaxPool1D(p) -> Flatten -> Dense(1) on
// `window` inputs of one channel (the paper's Table 1: f = 100, k = 2, p = 2, window 4).
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
class CnnModel final : public CpuModel<T> {
 public:
  explicit CnnModel(const ModelConfig& c)
      : len_(c.window), filters_(c.cnn_filters), kernel_(c.cnn_kernel), pool_(c.cnn_pool) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kCnn, c);  // validates the sizes
    for (int i = 0; i < 6; ++i) offset_[i] = s[i].offset;
    len1_ = layers::conv_output_length(len_, kernel_);
    len2_ = layers::conv_output_length(len1_, kernel_);
    pooled_ = len2_ / pool_;
  }
  ModelKind kind() const override { return ModelKind::kCnn; }

  void forward(const T* params, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    const size_t b = static_cast<size_t>(batch), f = static_cast<size_t>(filters_);
    T* xs = x_.get(b * len_);
    std::copy(x, x + b * len_, xs);
    T* a1 = a1_.get(b * len1_ * f);
    T* a2 = a2_.get(b * len2_ * f);
    T* flat = pooled_out_.get(b * pooled_ * f);
    argmax_.resize(std::max(argmax_.size(), b * pooled_ * f));
    layers::conv1d_forward(prec, xs, batch, len_, 1, params + offset_[0], params + offset_[1],
                           kernel_, filters_, cols1_.get(b * len1_ * kernel_), a1);
    layers::relu_inplace(a1, b * len1_ * f);
    layers::conv1d_forward(prec, a1, batch, len1_, filters_, params + offset_[2],
                           params + offset_[3], kernel_, filters_,
                           cols2_.get(b * len2_ * kernel_ * f), a2);
    layers::relu_inplace(a2, b * len2_ * f);
    layers::maxpool1d_forward(a2, batch, len2_, filters_, pool_, flat, argmax_.data());
    layers::dense_forward(prec, flat, batch, pooled_ * filters_, params + offset_[4],
                          params + offset_[5], 1, y);
  }

  void backward(const T* params, const T* dy, T* grad) override {
    const int batch = batch_, features = pooled_ * filters_;
    const Precision prec = this->precision();
    const size_t b = static_cast<size_t>(batch), f = static_cast<size_t>(filters_);
    T* dflat = dflat_.get(b * features);
    T* da2 = da2_.get(b * len2_ * f);
    T* da1 = da1_.get(b * len1_ * f);
    T* dcols2 = dcols2_.get(b * len2_ * kernel_ * f);
    layers::dense_backward(prec, pooled_out_.data(), batch, features, params + offset_[4], 1, dy,
                           grad + offset_[4], grad + offset_[5], dflat);
    layers::maxpool1d_backward(dflat, argmax_.data(), batch, len2_, filters_, pool_, da2);
    layers::relu_backward_inplace(a2_.data(), da2, b * len2_ * f);
    layers::conv1d_backward(prec, cols2_.data(), batch, len1_, filters_, params + offset_[2],
                            kernel_, filters_, da2, grad + offset_[2], grad + offset_[3], dcols2,
                            da1);
    layers::relu_backward_inplace(a1_.data(), da1, b * len1_ * f);
    layers::conv1d_backward(prec, cols1_.data(), batch, len_, 1, params + offset_[0], kernel_,
                            filters_, da1, grad + offset_[0], grad + offset_[1],
                            static_cast<T*>(nullptr), static_cast<T*>(nullptr));
  }

 private:
  int len_, filters_, kernel_, pool_;
  int len1_, len2_, pooled_;  // time steps after conv1, conv2 and the pool
  int64_t offset_[6];         // conv1d_1 kernel, bias, conv1d_2 kernel, bias, dense kernel, bias
  int batch_ = 0;
  layers::Scratch<T> x_, cols1_, a1_, cols2_, a2_, pooled_out_;
  layers::Scratch<T> dflat_, da2_, dcols2_, da1_;
  std::vector<int> argmax_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_cnn_model(const ModelConfig& c) {
  return std::make_unique<CnnModel<T>>(c);
}

std::vector<TensorSpec> cnn_layout(const ModelConfig& c) {
  const int pooled = layout::cnn_pooled_steps(c, "cnn");
  layout::Builder b;
  b.conv1d("conv1d_1", c.cnn_kernel, 1, c.cnn_filters);
  b.conv1d("conv1d_2", c.cnn_kernel, c.cnn_filters, c.cnn_filters);
  b.dense("dense", pooled * c.cnn_filters, 1);
  return b.take();
}

double cnn_forward_macs(const ModelConfig& c) {
  double features = 0;
  const double conv = layout::conv_stack_macs(c, &features);  // sets features
  return conv + features;
}

}  // namespace

ModelEntry cnn_entry() {
  return {ModelKind::kCnn,
          "cnn",
          "Conv1D(cnn_filters, cnn_kernel, relu) -> Conv1D(cnn_filters, cnn_kernel, relu) -> "
          "MaxPool1D(cnn_pool) -> Dense(1) on window values",
          GpuPath::kFeedForward,
          layout::window_input_length,
          cnn_layout,
          cnn_forward_macs,
          make_cnn_model<float>,
          make_cnn_model<double>};
}

}  // namespace tecscan
