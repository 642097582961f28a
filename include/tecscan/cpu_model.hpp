// CPU reference implementation of one model: forward and backward on a minibatch, in float
// (production) or double (gradient checks). It owns its scratch, so one instance serves one
// thread at a time; the CPU trainer makes a fresh one per node (cpu_trainer.cpp says why).
// precision(): the arithmetic of its matrix products ([train] precision). fp32 is plain T
// arithmetic; the tensor-core precisions are emulated by rounding both operands of every
// product, forward and backward, as the GPU does (docs/precision.md).
#pragma once
#include <memory>

#include "tecscan/model.hpp"
#include "tecscan/precision.hpp"

namespace tecscan {

template <typename T>
class CpuModel {
 public:
  virtual ~CpuModel() = default;
  virtual ModelKind kind() const = 0;
  // x: [batch, input_length] row-major, oldest value first; y: [batch].
  // Keeps the activations of this call for backward().
  virtual void forward(const T* params, const T* x, int batch, T* y) = 0;
  // dy: dLoss/dy [batch] for the last forward(); writes dLoss/dparams into grad (overwrites).
  virtual void backward(const T* params, const T* dy, T* grad) = 0;

  Precision precision() const { return precision_; }
  void set_precision(Precision p) { precision_ = p; }

 private:
  Precision precision_ = Precision::kFp32;
};

template <typename T>
std::unique_ptr<CpuModel<T>> make_cpu_model(ModelKind k, const ModelConfig& c);

}  // namespace tecscan
