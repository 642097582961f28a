// GRU(u, tanh, recurrent sigmoid) -> Dense(1) on `window` inputs of one feature, in both Keras
// variants. Gate blocks z, r, h; x* = x W + b_in, h_prev the previous state, U the recurrent
// kernel:
//   reset_after (Keras 2 default): r* = h_prev U + b_rec; z = sig(xz + rz), r = sig(xr + rr),
//                                  hh = tanh(xh + r * rh)
//   reset_after = false:           z = sig(xz + h_prev Uz), r = sig(xr + h_prev Ur),
//                                  hh = tanh(xh + (r * h_prev) Uh)
//   h = z * h_prev + (1 - z) * hh, h_0 = 0, y = Dense(h_last).
#include <memory>
#include <type_traits>
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
using layers::sigmoid_block;

template <typename T>
class GruModel final : public CpuModel<T> {
 public:
  explicit GruModel(const ModelConfig& c)
      : steps_(c.window), units_(c.gru_units), reset_after_(c.gru_reset_after) {
    std::vector<TensorSpec> s = parameter_layout(ModelKind::kGru, c);  // validates the sizes
    for (int i = 0; i < 5; ++i) offset_[i] = s[i].offset;
  }
  ModelKind kind() const override { return ModelKind::kGru; }

  void forward(const T* p, const T* x, int batch, T* y) override {
    batch_ = batch;
    const Precision prec = this->precision();
    const Index nb = batch, u = units_, rows = nb * steps_;
    // [batch, steps] -> time-major [steps, batch]: row t * batch + b of a [rows, 1] matrix.
    T* xt = x_time_major_.get(rows);
    MapR<T>(xt, steps_, nb) = ConstMapR<T>(x, nb, steps_).transpose();
    // gates [rows, 3u]: the input projections x W + b_in, turned into z, r, hh step by step.
    MapR<T> gates(gates_.get(rows * 3 * u), rows, 3 * u);
    product(prec, gates, ConstMapR<T>(xt, rows, 1), ConstMapR<T>(p + offset_[0], 1, 3 * u));
    gates.rowwise() += ConstRowVecMap<T>(p + offset_[2], 3 * u);  // bias row 0 = b_in
    // h [(steps + 1) * batch, u]: block 0 is the zero state, block t + 1 is h_t.
    MapR<T> h(h_.get((rows + nb) * u), rows + nb, u);
    h.topRows(nb).setZero();
    // aux [rows, u]: r* (reset_after) or r * h_prev (reset before), what backward needs.
    MapR<T> aux(aux_.get(rows * u), rows, u);
    MapR<T> rec(rec_.get(nb * 3 * u), nb, 3 * u);
    ConstMapR<T> recurrent(p + offset_[1], u, 3 * u);
    for (Index t = 0; t < steps_; ++t) {
      auto g = gates.middleRows(t * nb, nb);
      auto h_prev = h.middleRows(t * nb, nb);
      if (reset_after_) {
        if (t > 0)
          product(prec, rec, h_prev, recurrent);
        else
          rec.setZero();
        rec.rowwise() += ConstRowVecMap<T>(p + offset_[2] + 3 * u, 3 * u);  // b_rec
        g.leftCols(2 * u) += rec.leftCols(2 * u);
        sigmoid_block(g.leftCols(2 * u));
        aux.middleRows(t * nb, nb) = rec.rightCols(u);
        g.rightCols(u).array() += g.middleCols(u, u).array() * rec.rightCols(u).array();
      } else {
        if (t > 0) add_product(prec, g.leftCols(2 * u), h_prev, recurrent.leftCols(2 * u));
        sigmoid_block(g.leftCols(2 * u));
        auto r_h = aux.middleRows(t * nb, nb);
        r_h.array() = g.middleCols(u, u).array() * h_prev.array();
        if (t > 0) add_product(prec, g.rightCols(u), r_h, recurrent.rightCols(u));
      }
      g.rightCols(u).array() = g.rightCols(u).array().tanh();
      auto z = g.leftCols(u).array();
      h.middleRows((t + 1) * nb, nb).array() =
          z * h_prev.array() + (T(1) - z) * g.rightCols(u).array();
    }
    layers::dense_forward(prec, h_.data() + rows * u, batch, units_, p + offset_[3], p + offset_[4],
                          1, y);
  }

  void backward(const T* p, const T* dy, T* grad) override {
    const Precision prec = this->precision();
    const Index nb = batch_, u = units_, rows = nb * steps_;
    ConstMapR<T> gates(gates_.data(), rows, 3 * u);
    ConstMapR<T> h(h_.data(), rows + nb, u);
    ConstMapR<T> aux(aux_.data(), rows, u);
    ConstMapR<T> recurrent(p + offset_[1], u, 3 * u);
    // dgates: dLoss/d(x W + b_in); drec: dLoss/d(h_prev U + b_rec) (reset_after only).
    MapR<T> dgates(dgates_.get(rows * 3 * u), rows, 3 * u);
    MapR<T> drec(drec_.get(rows * 3 * u), rows, 3 * u);
    MapR<T> dh(dh_.get(nb * u), nb, u);
    MapR<T> d_rh(d_rh_.get(nb * u), nb, u);
    layers::dense_backward(prec, h_.data() + rows * u, batch_, units_, p + offset_[3], 1, dy,
                           grad + offset_[3], grad + offset_[4], dh.data());
    for (Index t = steps_ - 1; t >= 0; --t) {
      auto g = gates.middleRows(t * nb, nb);
      auto z = g.leftCols(u).array(), r = g.middleCols(u, u).array();
      auto hh = g.rightCols(u).array();
      auto h_prev = h.middleRows(t * nb, nb).array();
      auto dg = dgates.middleRows(t * nb, nb);
      auto dz = dg.leftCols(u), dr = dg.middleCols(u, u), dhh = dg.rightCols(u);
      dz.array() = dh.array() * (h_prev - hh) * z * (T(1) - z);
      dhh.array() = dh.array() * (T(1) - z) * (T(1) - hh.square());
      dh.array() *= z;  // the direct path h = z * h_prev + ...
      if (reset_after_) {
        auto dr_t = drec.middleRows(t * nb, nb);
        dr.array() = dhh.array() * aux.middleRows(t * nb, nb).array() * r * (T(1) - r);
        dr_t.leftCols(2 * u) = dg.leftCols(2 * u);
        dr_t.rightCols(u).array() = dhh.array() * r;
        if (t > 0) add_product(prec, dh, dr_t, recurrent.transpose());
      } else {
        if (t > 0) {
          product(prec, d_rh, dhh, recurrent.rightCols(u).transpose());
          dr.array() = d_rh.array() * h_prev * r * (T(1) - r);
          dh.array() += d_rh.array() * r;
          add_product(prec, dh, dg.leftCols(2 * u), recurrent.leftCols(2 * u).transpose());
        } else {
          dr.setZero();  // h_0 = 0: r does not reach the output
        }
      }
    }
    MapR<T> dkernel(grad + offset_[0], 1, 3 * u), drecurrent(grad + offset_[1], u, 3 * u);
    product(prec, dkernel, ConstMapR<T>(x_time_major_.data(), rows, 1).transpose(), dgates);
    RowVecMap<T>(grad + offset_[2], 3 * u) = dgates.colwise().sum();
    if (reset_after_) {
      product(prec, drecurrent, h.topRows(rows).transpose(), drec);
      RowVecMap<T>(grad + offset_[2] + 3 * u, 3 * u) = drec.colwise().sum();
    } else {
      product(prec, drecurrent.leftCols(2 * u), h.topRows(rows).transpose(),
              dgates.leftCols(2 * u));
      product(prec, drecurrent.rightCols(u), aux.transpose(), dgates.rightCols(u));
    }
  }

 private:
  int steps_, units_;
  bool reset_after_;
  int64_t offset_[5];  // gru kernel, recurrent_kernel, bias, dense kernel, bias
  int batch_ = 0;
  layers::Scratch<T> x_time_major_, gates_, h_, aux_, rec_;
  layers::Scratch<T> dgates_, drec_, dh_, d_rh_;
};

}  // namespace

namespace {

template <typename T>
std::unique_ptr<CpuModel<T>> make_gru_model(const ModelConfig& c) {
  return std::make_unique<GruModel<T>>(c);
}

std::vector<TensorSpec> gru_layout(const ModelConfig& c) {
  layout::require_positive(c.gru_units, "gru_units");
  layout::Builder b;
  b.recurrent_kernels("gru", 1, c.gru_units, 3);
  if (c.gru_reset_after)
    b.add("gru/bias", {2, 3 * c.gru_units}, InitKind::kZeros);
  else
    b.add("gru/bias", {3 * c.gru_units}, InitKind::kZeros);
  b.dense("dense", c.gru_units, 1);
  return b.take();
}

double gru_forward_macs(const ModelConfig& c) {
  const double w = c.window, u = c.gru_units;
  return w * (3 * u + 3 * u * u) + u;
}

}  // namespace

ModelEntry gru_entry() {
  return {ModelKind::kGru,
          "gru",
          "GRU(gru_units, tanh, reset_after = gru_reset_after) -> Dense(1) over window steps",
          GpuPath::kRecurrent,
          layout::window_input_length,
          gru_layout,
          gru_forward_macs,
          make_gru_model<float>,
          make_gru_model<double>};
}

}  // namespace tecscan
