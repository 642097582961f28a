// Device entry points of the tensor-core code for tests/gpu/test_gpu_tensor_core.cpp: the
// same bodies the host tests emulate (mma.cuh, MlpModel, CnnModel), run in one thread block on
// the GPU.
// Plain C++ declarations (kernels/tensor_core_check.cu defines them).
#pragma once
#include <vector>

#include "cnn_kernels.cuh"
#include "mlp_kernels.cuh"
#include "tecscan/precision.hpp"

namespace tecscan {
namespace ff {

// C = A B (row-major M x K times K x N) by block_product<p> in one block of kFastThreads threads.
std::vector<float> device_block_product(Precision p, int M, int N, int K,
                                        const std::vector<float>& A, const std::vector<float>& B);

// Each x as the device converts it to an operand of p (tf32: cvt.rna.tf32.f32; bf16:
// cvt.rn.bf16x2.f32), as a float: must equal round_tf32 / round_bf16 bit for bit.
std::vector<float> device_operand_rounding(Precision p, const std::vector<float>& x);

// One minibatch of the MLP's fast path on the device (forward, loss gradient, backward_adam with
// beta1 = 0, whose first moment is the gradient), with everything it computed.
struct MlpDeviceStep {
  std::vector<float> a1, a2, y, dy, d2, d1, grad;
};
MlpDeviceStep device_mlp_step(Precision p, const MlpDims& d, const std::vector<float>& params,
                              const std::vector<float>& x, const std::vector<float>& target,
                              int count, int batch);

// The same for the CNN: conv 1 and 2 outputs c1, c2 ([count][T][F]), y, dy, the deltas g2, g1
// and the gradient.
struct CnnDeviceStep {
  std::vector<float> c1, c2, y, dy, g2, g1, grad;
};
CnnDeviceStep device_cnn_step(Precision p, const CnnDims& d, const std::vector<float>& params,
                              const std::vector<float>& x, const std::vector<float>& target,
                              int count, int batch);

}  // namespace ff
}  // namespace tecscan
