// SimpleRNN(u, tanh) -> Dense(1) on `window` inputs of one feature (the paper's Table 1):
// h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0, y = Dense(h_last); full BPTT over the batch.
#include <memory>
#include <vector>

#include "layers.hpp"
#include "layout_builder.hpp"
#include "tecscan/cpu_model.hpp"
#include "tecscan/model_registry.hpp"

namespace tecscan {

namespace {

using Eigen::Index;
using layers::add_product;
using layers::ConstMapR;
using layers::ConstRowVecMap;
using layers::MapR;
using layers::product;
using layers::RowVecMap;

template <typename T>
class RnnModel final : public CpuModel<T> {
 public:
  explicit RnnModel(const ModelConfig& c) : steps_(c.window), units_(c.rnn_units) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kRnn, c);  // validates the sizes
    for (int i = 0; i < 5; ++i) offset_[i] = s[i].offset;
  }
  ModelKind kind() const override { return ModelKind::kRnn; }

  void forward(const T* p, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    const Index nb = batch, u = units_, rows = nb * steps_;
    // [batch, steps] -> time-major [steps, batch]: row t * batch + b of a [rows, 1] matrix.
    T* xt = x_time_major_.get(rows);
    MapR<T>(xt, steps_, nb) = ConstMapR<T>(x, nb, steps_).transpose();
    // h [(steps + 1) * batch, u]: block 0 is the zero state, block t + 1 is h_t.
    MapR<T> h(h_.get((rows + nb) * u), rows + nb, u);
    ConstMapR<T> recurrent(p + offset_[1], u, u);
    h.topRows(nb).setZero();
    product(prec, h.bottomRows(rows), ConstMapR<T>(xt, rows, 1),
            ConstMapR<T>(p + offset_[0], 1, u));
    h.bottomRows(rows).rowwise() += ConstRowVecMap<T>(p + offset_[2], u);
    for (Index t = 0; t < steps_; ++t) {
      auto h_t = h.middleRows((t + 1) * nb, nb);
      if (t > 0) add_product(prec, h_t, h.middleRows(t * nb, nb), recurrent);
      h_t.array() = h_t.array().tanh();
    }
    layers::dense_forward(prec, h_.data() + rows * u, batch, units_, p + offset_[3], p + offset_[4],
                          1, y);
  }

  void backward(const T* p, const T* dy, T* grad) override {
    const Precision prec = this->precision();
    const Index nb = batch_, u = units_, rows = nb * steps_;
    ConstMapR<T> h(h_.data(), rows + nb, u);
    ConstMapR<T> recurrent(p + offset_[1], u, u);
    MapR<T> dz(dz_.get(rows * u), rows, u);  // dLoss/d(pre-activation) of every step
    MapR<T> dh(dh_.get(nb * u), nb, u);
    layers::dense_backward(prec, h_.data() + rows * u, batch_, units_, p + offset_[3], 1, dy,
                           grad + offset_[3], grad + offset_[4], dh.data());
    for (Index t = steps_ - 1; t >= 0; --t) {
      auto dz_t = dz.middleRows(t * nb, nb);
      dz_t.array() = dh.array() * (T(1) - h.middleRows((t + 1) * nb, nb).array().square());
      if (t > 0) product(prec, dh, dz_t, recurrent.transpose());
    }
    product(prec, MapR<T>(grad + offset_[1], u, u), h.topRows(rows).transpose(), dz);
    product(prec, MapR<T>(grad + offset_[0], 1, u),
            ConstMapR<T>(x_time_major_.data(), rows, 1).transpose(), dz);
    RowVecMap<T>(grad + offset_[2], u) = dz.colwise().sum();
  }

 private:
  int steps_, units_;
  int64_t offset_[5];  // simple_rnn kernel, recurrent_kernel, bias, dense kernel, bias
  int batch_ = 0;
  layers::Scratch<T> x_time_major_, h_, dz_, dh_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_rnn_model(const ModelConfig& c) {
  return std::make_unique<RnnModel<T>>(c);
}

std::vector<TensorSpec> rnn_layout(const ModelConfig& c) {
  layout::require_positive(c.rnn_units, "rnn_units");
  layout::Builder b;
  b.recurrent_kernels("simple_rnn", 1, c.rnn_units, 1);
  b.add("simple_rnn/bias", {c.rnn_units}, InitKind::kZeros);
  b.dense("dense", c.rnn_units, 1);
  return b.take();
}

double rnn_forward_macs(const ModelConfig& c) {
  const double w = c.window, u = c.rnn_units;
  return w * (u + u * u) + u;
}

}  // namespace

ModelEntry rnn_entry() {
  return {ModelKind::kRnn,
          "rnn",
          "SimpleRNN(rnn_units, tanh) -> Dense(1) over window steps",
          GpuPath::kRecurrent,
          layout::window_input_length,
          rnn_layout,
          rnn_forward_macs,
          make_rnn_model<float>,
          make_rnn_model<double>};
}

}  // namespace tecscan
