// CNN-LSTM (the paper's Table 1, after Huang & Kuo 2018): the input [batch, subseq * window]
// is subseq blocks of `window` values, oldest first. Each block goes through the same
// Conv1D(f, k, relu) -> Conv1D(f, k, relu) -> MaxPool1D(p) -> Flatten (Keras TimeDistributed),
// then LSTM(u, A) runs over the subseq feature vectors -> Dense(1).
#include <algorithm>
#include <memory>
#include <vector>

#include "layout_builder.hpp"
#include "lstm_layer.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model_registry.hpp"

namespace tecscan {

namespace {

// LSTM inputs per block: pooled steps * filters. parameter_layout() validates the sizes first,
// so a bad config raises InputError instead of dividing by zero.
int block_features(const ModelConfig& c) {
  const std::vector<TensorSpec> s = parameter_layout(ModelKind::kCnnLstm, c);
  return s[4].shape[0];  // lstm/kernel [pooled * filters, 4u]
}

// Rows of src [outer, inner, width] to dst [inner, outer, width]: batch-major <-> time-major.
template <typename T>
void swap_outer_dims(const T* src, int outer, int inner, int width, T* dst) {
  for (int a = 0; a < outer; ++a)
    for (int b = 0; b < inner; ++b) {
      const T* s = src + (static_cast<size_t>(a) * inner + b) * width;
      T* d = dst + (static_cast<size_t>(b) * outer + a) * width;
      for (int j = 0; j < width; ++j) d[j] = s[j];
    }
}

template <typename T>
class CnnLstmModel final : public CpuModel<T> {
 public:
  explicit CnnLstmModel(const ModelConfig& c)
      : subseq_(c.cnnlstm_subseq),
        len_(c.window),
        filters_(c.cnn_filters),
        kernel_(c.cnn_kernel),
        pool_(c.cnn_pool),
        len1_(layers::conv_output_length(c.window, c.cnn_kernel)),
        len2_(layers::conv_output_length(len1_, c.cnn_kernel)),
        features_(block_features(c)),
        lstm_(features_, c.cnnlstm_units, c.cnnlstm_activation) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kCnnLstm, c);
    for (int i = 0; i < 9; ++i) offset_[i] = s[i].offset;
  }
  ModelKind kind() const override { return ModelKind::kCnnLstm; }

  void forward(const T* p, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    // The conv stack sees every block of every sample as one batch of n = batch * subseq rows:
    // x [batch, subseq * window] already is [n, window] with row b * subseq + s.
    const int n = batch * subseq_;
    const size_t nn = static_cast<size_t>(n), f = static_cast<size_t>(filters_);
    T* a1 = a1_.get(nn * len1_ * f);
    T* a2 = a2_.get(nn * len2_ * f);
    T* flat = flat_.get(nn * features_);
    argmax_.resize(std::max(argmax_.size(), nn * features_));
    layers::conv1d_forward(prec, x, n, len_, 1, p + offset_[0], p + offset_[1], kernel_, filters_,
                           cols1_.get(nn * len1_ * kernel_), a1);
    layers::relu_inplace(a1, nn * len1_ * f);
    layers::conv1d_forward(prec, a1, n, len1_, filters_, p + offset_[2], p + offset_[3], kernel_,
                           filters_, cols2_.get(nn * len2_ * kernel_ * f), a2);
    layers::relu_inplace(a2, nn * len2_ * f);
    layers::maxpool1d_forward(a2, n, len2_, filters_, pool_, flat, argmax_.data());
    // LSTM input is time-major: row s * batch + b.
    T* xt = lstm_in_.get(nn * features_);
    swap_outer_dims(flat, batch, subseq_, features_, xt);
    last_h_ =
        lstm_.forward(prec, p + offset_[4], p + offset_[5], p + offset_[6], xt, batch, subseq_);
    layers::dense_forward(prec, last_h_, batch, lstm_.units(), p + offset_[7], p + offset_[8], 1,
                          y);
  }

  void backward(const T* p, const T* dy, T* grad) override {
    const Precision prec = this->precision();
    const int n = batch_ * subseq_, u = lstm_.units();
    const size_t nn = static_cast<size_t>(n), f = static_cast<size_t>(filters_);
    T* dh = dlast_h_.get(static_cast<size_t>(batch_) * u);
    T* dxt = dlstm_in_.get(nn * features_);
    T* dflat = dflat_.get(nn * features_);
    T* da2 = da2_.get(nn * len2_ * f);
    T* da1 = da1_.get(nn * len1_ * f);
    layers::dense_backward(prec, last_h_, batch_, u, p + offset_[7], 1, dy, grad + offset_[7],
                           grad + offset_[8], dh);
    lstm_.backward(prec, p + offset_[4], p + offset_[5], lstm_in_.data(), dh, grad + offset_[4],
                   grad + offset_[5], grad + offset_[6], dxt);
    swap_outer_dims(dxt, subseq_, batch_, features_, dflat);
    layers::maxpool1d_backward(dflat, argmax_.data(), n, len2_, filters_, pool_, da2);
    layers::relu_backward_inplace(a2_.data(), da2, nn * len2_ * f);
    layers::conv1d_backward(prec, cols2_.data(), n, len1_, filters_, p + offset_[2], kernel_,
                            filters_, da2, grad + offset_[2], grad + offset_[3],
                            dcols2_.get(nn * len2_ * kernel_ * f), da1);
    layers::relu_backward_inplace(a1_.data(), da1, nn * len1_ * f);
    layers::conv1d_backward(prec, cols1_.data(), n, len_, 1, p + offset_[0], kernel_, filters_, da1,
                            grad + offset_[0], grad + offset_[1], static_cast<T*>(nullptr),
                            static_cast<T*>(nullptr));
  }

 private:
  int subseq_, len_, filters_, kernel_, pool_;
  int len1_, len2_;  // time steps after conv1 and conv2
  int features_;     // pooled steps * filters: the LSTM's inputs per block
  LstmLayer<T> lstm_;
  // conv1d_1 kernel, bias, conv1d_2 kernel, bias, lstm kernel, recurrent, bias, dense kernel, bias
  int64_t offset_[9];
  int batch_ = 0;
  const T* last_h_ = nullptr;  // owned by lstm_
  layers::Scratch<T> cols1_, a1_, cols2_, a2_, flat_, lstm_in_;
  layers::Scratch<T> dlast_h_, dlstm_in_, dflat_, da2_, dcols2_, da1_;
  std::vector<int> argmax_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_cnn_lstm_model(const ModelConfig& c) {
  return std::make_unique<CnnLstmModel<T>>(c);
}

int cnn_lstm_input_length(const ModelConfig& c) {
  layout::require_positive(c.window, "window");
  layout::require_positive(c.cnnlstm_subseq, "cnnlstm_subseq");
  return c.cnnlstm_subseq * c.window;
}

std::vector<TensorSpec> cnn_lstm_layout(const ModelConfig& c) {
  layout::require_positive(c.cnnlstm_subseq, "cnnlstm_subseq");
  layout::require_positive(c.cnnlstm_units, "cnnlstm_units");
  const int pooled = layout::cnn_pooled_steps(c, "cnn-lstm");
  layout::Builder b;
  b.conv1d("conv1d_1", c.cnn_kernel, 1, c.cnn_filters);
  b.conv1d("conv1d_2", c.cnn_kernel, c.cnn_filters, c.cnn_filters);
  b.recurrent_kernels("lstm", pooled * c.cnn_filters, c.cnnlstm_units, 4);
  b.add("lstm/bias", {4 * c.cnnlstm_units}, InitKind::kLstmBias);
  b.dense("dense", c.cnnlstm_units, 1);
  return b.take();
}

double cnn_lstm_forward_macs(const ModelConfig& c) {
  double features = 0;
  const double s = c.cnnlstm_subseq, u = c.cnnlstm_units;
  const double conv = layout::conv_stack_macs(c, &features);  // sets features
  return s * conv + s * (features * 4 * u + u * 4 * u) + u;
}

}  // namespace

ModelEntry cnn_lstm_entry() {
  return {ModelKind::kCnnLstm,
          "cnn-lstm",
          "TimeDistributed(CNN front end, as cnn) over cnnlstm_subseq blocks of window values -> "
          "LSTM(cnnlstm_units, cnnlstm_activation) -> Dense(1)",
          GpuPath::kRecurrent,
          cnn_lstm_input_length,
          cnn_lstm_layout,
          cnn_lstm_forward_macs,
          make_cnn_lstm_model<float>,
          make_cnn_lstm_model<double>};
}

}  // namespace tecscan
