// Building blocks of the CPU models: whole-batch Eigen kernels over raw row-major buffers.
// Activations are [batch, features] row-major (one sample per row, time-major features
// t * channels + c); weights are Keras' row-major tensors, so a Dense kernel [in, out] or a
// Conv1D kernel [k, cin, cout] (= [k * cin, cout]) maps straight onto an Eigen matrix and every
// layer is a [B x in] * [in x out] GEMM. Generic over T (float for training, double for checks).
// Every matrix product of every model goes through product() / add_product(), the one place a
// training precision (precision.hpp) is applied.
#pragma once
#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "tecscan/precision.hpp"

namespace tecscan {
namespace layers {

template <typename T>
using MatrixR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapR = Eigen::Map<MatrixR<T>>;
template <typename T>
using ConstMapR = Eigen::Map<const MatrixR<T>>;
template <typename T>
using RowVecMap = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
template <typename T>
using ConstRowVecMap = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;

// A std::vector on Eigen's packet alignment (see Scratch).
template <typename T>
using AlignedVector = std::vector<T, Eigen::aligned_allocator<T>>;

// Scratch memory that only grows: after the largest batch has been seen once, forward and
// backward allocate nothing. Aligned to Eigen's packet size: Eigen peels unaligned heads off
// vectorised reductions, so a buffer's address would otherwise change the summation order and
// make results depend on which earlier node a thread's model instance trained.
template <typename T>
class Scratch {
 public:
  T* get(size_t n) {
    if (data_.size() < n) data_.resize(n);
    return data_.data();
  }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }

 private:
  AlignedVector<T> data_;
};

// ---- matrix products in a training precision --------------------------------------------------
// fp32: Eigen's product, exactly as before the precisions existed. Otherwise both operands are
// rounded as the tensor cores round them (round_operand) and the product accumulates in T, so a
// float model emulates a tensor-core product up to summation order, and a double model (the
// checks' reference) applies the same rounding to its values taken as floats.

template <typename T>
struct OperandRounding {
  Precision p;
  T operator()(T x) const { return static_cast<T>(round_operand(p, static_cast<float>(x))); }
};

// dst = a b
template <typename Dst, typename A, typename B>
void product(Precision p, Dst&& dst, const A& a, const B& b) {
  using T = typename std::decay_t<Dst>::Scalar;
  if (p == Precision::kFp32) {
    dst.noalias() = a * b;
  } else {
    const OperandRounding<T> r{p};
    dst.noalias() = a.unaryExpr(r) * b.unaryExpr(r);
  }
}

// dst += a b
template <typename Dst, typename A, typename B>
void add_product(Precision p, Dst&& dst, const A& a, const B& b) {
  using T = typename std::decay_t<Dst>::Scalar;
  if (p == Precision::kFp32) {
    dst.noalias() += a * b;
  } else {
    const OperandRounding<T> r{p};
    dst.noalias() += a.unaryExpr(r) * b.unaryExpr(r);
  }
}

// ---- activations (applied in place; derivatives from the activation's output) ---------------

template <typename T>
inline void relu_inplace(T* a, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = a[i] > T(0) ? a[i] : T(0);
}
// d *= relu'(z), written with the output a = relu(z): TF's gradient is 1 where a > 0, else 0.
template <typename T>
inline void relu_backward_inplace(const T* a, T* d, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!(a[i] > T(0))) d[i] = T(0);
}

template <typename T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
// z = sigmoid(z), written through an Eigen block (coefficient-wise, so in place is safe).
template <typename Block>
void sigmoid_block(Block&& z) {
  using T = typename std::decay_t<Block>::Scalar;
  z.array() = (T(1) + (-z.array()).exp()).inverse();
}

template <typename T>
inline void sigmoid_inplace(T* a, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = sigmoid(a[i]);
}
template <typename T>
inline void sigmoid_backward_inplace(const T* a, T* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] *= a[i] * (T(1) - a[i]);
}

template <typename T>
inline void tanh_inplace(T* a, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = std::tanh(a[i]);
}
template <typename T>
inline void tanh_backward_inplace(const T* a, T* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] *= T(1) - a[i] * a[i];
}

// ---- dense -----------------------------------------------------------------------------------

// y[B, out] = x[B, in] * w[in, out] + bias[out] (the bias added in T after the product).
template <typename T>
inline void dense_forward(Precision p, const T* x, int batch, int in, const T* w, const T* bias,
                          int out, T* y) {
  MapR<T> Y(y, batch, out);
  product(p, Y, ConstMapR<T>(x, batch, in), ConstMapR<T>(w, in, out));
  Y.rowwise() += ConstRowVecMap<T>(bias, out);
}

// Given dy[B, out]: dw = x^T dy, dbias = column sums of dy (both overwritten) and, when dx is
// not null, dx[B, in] = dy w^T (overwritten). The column sums are no product: always in T.
template <typename T>
inline void dense_backward(Precision p, const T* x, int batch, int in, const T* w, int out,
                           const T* dy, T* dw, T* dbias, T* dx) {
  ConstMapR<T> DY(dy, batch, out);
  product(p, MapR<T>(dw, in, out), ConstMapR<T>(x, batch, in).transpose(), DY);
  RowVecMap<T>(dbias, out) = DY.colwise().sum();
  if (dx) product(p, MapR<T>(dx, batch, in), DY, ConstMapR<T>(w, in, out).transpose());
}

// ---- Conv1D, padding "valid", stride 1 -------------------------------------------------------
// Input x[B, len * cin] (time-major), kernel [k, cin, cout], output [B, (len-k+1) * cout].
// The patches of all samples and output steps form one im2col matrix [B * lout, k * cin]: the
// patch at step t of sample b is the contiguous slice x[b, t*cin .. (t+k)*cin). Output row
// (b * lout + t) of the single GEMM is exactly y[b, t*cout .. (t+1)*cout).

inline int conv_output_length(int len, int k) {
  return len - k + 1;
}

template <typename T>
inline void im2col(const T* x, int batch, int len, int cin, int k, T* cols) {
  const int lout = conv_output_length(len, k), width = k * cin;
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < lout; ++t) {
      const T* src = x + (static_cast<size_t>(b) * len + t) * cin;
      T* dst = cols + (static_cast<size_t>(b) * lout + t) * width;
      for (int j = 0; j < width; ++j) dst[j] = src[j];
    }
}

// Adds the patch gradients dcols[B * lout, k * cin] back onto dx[B, len * cin] (overwritten).
template <typename T>
inline void col2im(const T* dcols, int batch, int len, int cin, int k, T* dx) {
  const int lout = conv_output_length(len, k), width = k * cin;
  MapR<T>(dx, batch, len * cin).setZero();
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < lout; ++t) {
      const T* src = dcols + (static_cast<size_t>(b) * lout + t) * width;
      T* dst = dx + (static_cast<size_t>(b) * len + t) * cin;
      for (int j = 0; j < width; ++j) dst[j] += src[j];
    }
}

// y = conv(x) + bias; cols[B * lout, k * cin] receives the im2col matrix (kept for backward).
template <typename T>
inline void conv1d_forward(Precision p, const T* x, int batch, int len, int cin, const T* kernel,
                           const T* bias, int k, int cout, T* cols, T* y) {
  const int lout = conv_output_length(len, k);
  im2col(x, batch, len, cin, k, cols);
  dense_forward(p, cols, batch * lout, k * cin, kernel, bias, cout, y);
}

// Given dy[B, lout * cout]: dkernel, dbias (overwritten) and, when dx is not null, dx[B, len *
// cin] (overwritten; dcols[B * lout, k * cin] is its scratch).
template <typename T>
inline void conv1d_backward(Precision p, const T* cols, int batch, int len, int cin,
                            const T* kernel, int k, int cout, const T* dy, T* dkernel, T* dbias,
                            T* dcols, T* dx) {
  const int lout = conv_output_length(len, k);
  dense_backward(p, cols, batch * lout, k * cin, kernel, cout, dy, dkernel, dbias,
                 dx ? dcols : static_cast<T*>(nullptr));
  if (dx) col2im(dcols, batch, len, cin, k, dx);
}

// ---- MaxPool1D(pool), stride = pool, padding "valid" (floor) ---------------------------------
// x[B, len * ch] -> y[B, (len / pool) * ch]; argmax keeps the winning time step of each output
// (the first maximum, as TF's MaxPoolGrad routes ties).

template <typename T>
inline void maxpool1d_forward(const T* x, int batch, int len, int ch, int pool, T* y, int* argmax) {
  const int lout = len / pool;
  for (int b = 0; b < batch; ++b)
    for (int q = 0; q < lout; ++q)
      for (int c = 0; c < ch; ++c) {
        const T* xb = x + static_cast<size_t>(b) * len * ch;
        int best = q * pool;
        for (int j = 1; j < pool; ++j) {
          int t = q * pool + j;
          if (xb[static_cast<size_t>(t) * ch + c] > xb[static_cast<size_t>(best) * ch + c])
            best = t;
        }
        size_t o = (static_cast<size_t>(b) * lout + q) * ch + c;
        y[o] = xb[static_cast<size_t>(best) * ch + c];
        argmax[o] = best;
      }
}

// dx[B, len * ch] (overwritten) receives dy at each window's maximum, zero elsewhere.
template <typename T>
inline void maxpool1d_backward(const T* dy, const int* argmax, int batch, int len, int ch, int pool,
                               T* dx) {
  const int lout = len / pool;
  MapR<T>(dx, batch, len * ch).setZero();
  for (int b = 0; b < batch; ++b)
    for (int q = 0; q < lout; ++q)
      for (int c = 0; c < ch; ++c) {
        size_t o = (static_cast<size_t>(b) * lout + q) * ch + c;
        dx[(static_cast<size_t>(b) * len + argmax[o]) * ch + c] += dy[o];
      }
}

}  // namespace layers
}  // namespace tecscan
