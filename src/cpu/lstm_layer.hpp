// One Keras LSTM layer (return_sequences=False) over a whole minibatch, shared by the LSTM and
// the CNN-LSTM models. Gate order i, f, c, o; recurrent activation sigmoid; cell activation A:
//   i, f, o = sigmoid(.), c_t = f * c_{t-1} + i * A(x W_c + h U_c + b_c), h_t = o * A(c_t).
// Inputs are time-major, [steps * batch, inputs] with row t * batch + b, so one GEMM projects
// every step at once and each step's recurrence is one [batch, units] x [units, 4 units] GEMM.
#pragma once
#include "layers.hpp"
#include "tecscan/model.hpp"

namespace tecscan {

template <typename T>
class LstmLayer {
 public:
  LstmLayer(int inputs, int units, Activation activation)
      : inputs_(inputs), units_(units), activation_(activation) {}
  int inputs() const { return inputs_; }
  int units() const { return units_; }

  // kernel [inputs, 4u], recurrent [u, 4u], bias [4u]; p: the products' precision (the
  // model's). Returns h of the last step, [batch, u], valid until the next forward(). Keeps
  // what backward() needs (x itself is not copied).
  const T* forward(Precision p, const T* kernel, const T* recurrent, const T* bias, const T* x,
                   int batch, int steps);

  // dh_last: dLoss/dh of the last step [batch, u]; x: the same input as in forward(). Overwrites
  // dkernel, drecurrent, dbias and, when dx is not null, dx [steps * batch, inputs].
  void backward(Precision p, const T* kernel, const T* recurrent, const T* x, const T* dh_last,
                T* dkernel, T* drecurrent, T* dbias, T* dx);

 private:
  int inputs_, units_;
  Activation activation_;
  int batch_ = 0, steps_ = 0;
  // gates_ [steps * batch, 4u] holds i, f, A(c candidate), o after the activations; h_ and c_
  // [(steps + 1) * batch, u] start with the zero state; cell_act_ = A(c_t) [steps * batch, u].
  layers::Scratch<T> gates_, h_, c_, cell_act_;
  layers::Scratch<T> dgates_, dh_, dc_;
};

}  // namespace tecscan
