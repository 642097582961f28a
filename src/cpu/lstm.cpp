// The LSTM layer (lstm_layer.hpp) and the LSTM model of the paper's Table 1:
// LSTM(u, A) -> Dense(d, linear) -> Dense(1) on `window` inputs of one feature.
#include <memory>
#include <type_traits>
#include <vector>

#include "layout_builder.hpp"
#include "lstm_layer.hpp"
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
using layers::sigmoid_block;

template <typename Block>
void activate_block(Activation a, Block&& z) {
  using T = typename std::decay_t<Block>::Scalar;
  switch (a) {
    case Activation::kSigmoid:
      sigmoid_block(z);
      break;
    case Activation::kTanh:
      z.array() = z.array().tanh();
      break;
    case Activation::kRelu:
      z.array() = z.array().max(T(0));
      break;
  }
}

// d *= A'(z), from the activation's output a = A(z) (TF's gradients use the output too).
template <typename ABlock, typename DBlock>
void times_derivative(Activation act, const ABlock& a, DBlock&& d) {
  using T = typename std::decay_t<DBlock>::Scalar;
  switch (act) {
    case Activation::kSigmoid:
      d.array() *= a.array() * (T(1) - a.array());
      break;
    case Activation::kTanh:
      d.array() *= T(1) - a.array().square();
      break;
    case Activation::kRelu:
      d.array() *= (a.array() > T(0)).template cast<T>();
      break;
  }
}

}  // namespace

template <typename T>
const T* LstmLayer<T>::forward(Precision p, const T* kernel, const T* recurrent, const T* bias,
                               const T* x, int batch, int steps) {
  batch_ = batch;
  steps_ = steps;
  const Index u = units_, nb = batch, rows = nb * steps;
  MapR<T> gates(gates_.get(rows * 4 * u), rows, 4 * u);
  MapR<T> h(h_.get((rows + nb) * u), rows + nb, u);
  MapR<T> c(c_.get((rows + nb) * u), rows + nb, u);
  MapR<T> cell_act(cell_act_.get(rows * u), rows, u);
  ConstMapR<T> recurrent_kernel(recurrent, u, 4 * u);

  // Input projections of every step in one GEMM; the recurrence adds h_{t-1} U step by step.
  product(p, gates, ConstMapR<T>(x, rows, inputs_), ConstMapR<T>(kernel, inputs_, 4 * u));
  gates.rowwise() += ConstRowVecMap<T>(bias, 4 * u);
  h.topRows(nb).setZero();
  c.topRows(nb).setZero();
  for (Index t = 0; t < steps; ++t) {
    auto g = gates.middleRows(t * nb, nb);
    if (t > 0) add_product(p, g, h.middleRows(t * nb, nb), recurrent_kernel);
    sigmoid_block(g.leftCols(2 * u));  // i, f
    activate_block(activation_, g.middleCols(2 * u, u));
    sigmoid_block(g.rightCols(u));  // o
    auto c_new = c.middleRows((t + 1) * nb, nb);
    c_new.array() = g.middleCols(u, u).array() * c.middleRows(t * nb, nb).array() +
                    g.leftCols(u).array() * g.middleCols(2 * u, u).array();
    auto a = cell_act.middleRows(t * nb, nb);
    a = c_new;
    activate_block(activation_, a);
    h.middleRows((t + 1) * nb, nb).array() = g.rightCols(u).array() * a.array();
  }
  return h_.data() + rows * u;
}

template <typename T>
void LstmLayer<T>::backward(Precision p, const T* kernel, const T* recurrent, const T* x,
                            const T* dh_last, T* dkernel, T* drecurrent, T* dbias, T* dx) {
  const Index u = units_, nb = batch_, rows = nb * steps_;
  ConstMapR<T> gates(gates_.data(), rows, 4 * u);
  ConstMapR<T> h(h_.data(), rows + nb, u);
  ConstMapR<T> c(c_.data(), rows + nb, u);
  ConstMapR<T> cell_act(cell_act_.data(), rows, u);
  ConstMapR<T> recurrent_kernel(recurrent, u, 4 * u);
  MapR<T> dgates(dgates_.get(rows * 4 * u), rows, 4 * u);
  MapR<T> dh(dh_.get(nb * u), nb, u);
  MapR<T> dc(dc_.get(nb * u), nb, u);

  dh = ConstMapR<T>(dh_last, nb, u);
  dc.setZero();
  for (Index t = steps_ - 1; t >= 0; --t) {
    auto g = gates.middleRows(t * nb, nb);
    auto dg = dgates.middleRows(t * nb, nb);
    auto a = cell_act.middleRows(t * nb, nb);
    auto i = g.leftCols(u).array(), f = g.middleCols(u, u).array();
    auto cand = g.middleCols(2 * u, u).array(), o = g.rightCols(u).array();
    auto di = dg.leftCols(u), df = dg.middleCols(u, u);
    auto dcand = dg.middleCols(2 * u, u), d_o = dg.rightCols(u);

    // h = o * A(c): the cell gradient gains dh * o * A'(c); di is scratch until set below.
    d_o.array() = dh.array() * a.array() * o * (T(1) - o);
    di.array() = dh.array() * o;
    times_derivative(activation_, a, di);
    dc += di;
    // c = f * c_prev + i * cand
    df.array() = dc.array() * c.middleRows(t * nb, nb).array() * f * (T(1) - f);
    di.array() = dc.array() * cand * i * (T(1) - i);
    dcand.array() = dc.array() * i;
    times_derivative(activation_, g.middleCols(2 * u, u), dcand);
    dc.array() *= f;
    if (t > 0) product(p, dh, dg, recurrent_kernel.transpose());
  }
  // Weight gradients of all steps at once: h rows [0, rows) are h_{t-1} of every step.
  product(p, MapR<T>(drecurrent, u, 4 * u), h.topRows(rows).transpose(), dgates);
  product(p, MapR<T>(dkernel, inputs_, 4 * u), ConstMapR<T>(x, rows, inputs_).transpose(), dgates);
  RowVecMap<T>(dbias, 4 * u) = dgates.colwise().sum();
  if (dx)
    product(p, MapR<T>(dx, rows, inputs_), dgates,
            ConstMapR<T>(kernel, inputs_, 4 * u).transpose());
}

template class LstmLayer<float>;
template class LstmLayer<double>;

namespace {

template <typename T>
class LstmModel final : public CpuModel<T> {
 public:
  explicit LstmModel(const ModelConfig& c)
      : steps_(c.window), dense_(c.lstm_dense), lstm_(1, c.lstm_units, c.lstm_activation) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kLstm, c);  // validates the sizes
    for (int i = 0; i < 7; ++i) offset_[i] = s[i].offset;
  }
  ModelKind kind() const override { return ModelKind::kLstm; }

  void forward(const T* p, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    const Index nb = batch, u = lstm_.units();
    // [batch, steps] -> time-major [steps, batch] (one feature per step).
    T* xt = x_time_major_.get(nb * steps_);
    MapR<T>(xt, steps_, nb) = ConstMapR<T>(x, nb, steps_).transpose();
    last_h_ =
        lstm_.forward(prec, p + offset_[0], p + offset_[1], p + offset_[2], xt, batch, steps_);
    T* d1 = dense_out_.get(nb * dense_);
    layers::dense_forward(prec, last_h_, batch, static_cast<int>(u), p + offset_[3], p + offset_[4],
                          dense_, d1);
    layers::dense_forward(prec, d1, batch, dense_, p + offset_[5], p + offset_[6], 1, y);
  }

  void backward(const T* p, const T* dy, T* grad) override {
    const Precision prec = this->precision();
    const int u = lstm_.units();
    T* dd1 = ddense_out_.get(static_cast<size_t>(batch_) * dense_);
    T* dh = dlast_h_.get(static_cast<size_t>(batch_) * u);
    layers::dense_backward(prec, dense_out_.data(), batch_, dense_, p + offset_[5], 1, dy,
                           grad + offset_[5], grad + offset_[6], dd1);
    layers::dense_backward(prec, last_h_, batch_, u, p + offset_[3], dense_, dd1, grad + offset_[3],
                           grad + offset_[4], dh);
    lstm_.backward(prec, p + offset_[0], p + offset_[1], x_time_major_.data(), dh,
                   grad + offset_[0], grad + offset_[1], grad + offset_[2],
                   static_cast<T*>(nullptr));
  }

 private:
  int steps_, dense_;
  LstmLayer<T> lstm_;
  int64_t offset_[7];  // lstm kernel, recurrent, bias, dense_1 kernel, bias, dense_2 kernel, bias
  int batch_ = 0;
  const T* last_h_ = nullptr;  // owned by lstm_
  layers::Scratch<T> x_time_major_, dense_out_, ddense_out_, dlast_h_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_lstm_model(const ModelConfig& c) {
  return std::make_unique<LstmModel<T>>(c);
}

std::vector<TensorSpec> lstm_layout(const ModelConfig& c) {
  layout::require_positive(c.lstm_units, "lstm_units");
  layout::require_positive(c.lstm_dense, "lstm_dense");
  layout::Builder b;
  b.recurrent_kernels("lstm", 1, c.lstm_units, 4);
  b.add("lstm/bias", {4 * c.lstm_units}, InitKind::kLstmBias);
  b.dense("dense_1", c.lstm_units, c.lstm_dense);
  b.dense("dense_2", c.lstm_dense, 1);
  return b.take();
}

double lstm_forward_macs(const ModelConfig& c) {
  const double w = c.window, u = c.lstm_units, d = c.lstm_dense;
  return w * (4 * u + 4 * u * u) + u * d + d;
}

}  // namespace

ModelEntry lstm_entry() {
  return {ModelKind::kLstm,
          "lstm",
          "LSTM(lstm_units, lstm_activation) -> Dense(lstm_dense) -> Dense(1) over window steps",
          GpuPath::kRecurrent,
          layout::window_input_length,
          lstm_layout,
          lstm_forward_macs,
          make_lstm_model<float>,
          make_lstm_model<double>};
}

}  // namespace tecscan
