// Device entry points of the tensor-core code for the GPU tests (tensor_core_check.hpp).
#include "device_buffer.hpp"
#include "mma.cuh"
#include "tensor_core_check.hpp"

namespace tecscan {
namespace ff {

namespace {

template <Precision P>
__global__ void __launch_bounds__(kFastThreads)
    block_product_kernel(int M, int N, int K, const float* A, const float* B, float* C) {
  block_product<P, 4, 2>(
      Block{}, M, N, K, [&](int r, int k) { return A[int64_t(r) * K + k]; },
      [&](int k, int c) { return B[int64_t(k) * N + c]; },
      [&](int r, int c, float acc) { C[int64_t(r) * N + c] = acc; });
}

__global__ void operand_rounding_kernel(bool bf16, int n, const float* x, float* y) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  y[i] = bf16 ? __uint_as_float(bf16x2_operand(x[i], 0.0f) << 16)
              : __uint_as_float(tf32_operand(x[i]));
}

// One minibatch of a model's fast path in one block (forward, loss gradient, backward_adam with
// beta1 = 0, whose first moment is the gradient); then the block's activations, its shared
// memory as model.carve lays it out, copied to acts_out.
template <class M>
__global__ void __launch_bounds__(kFastThreads)
    step_kernel(M model, float* P, float* grad, float* v, float* wt, const float* x,
                const float* target, int count, int batch, float* acts_out) {
  extern __shared__ __align__(16) unsigned char smem[];
  const Block blk{};
  SmemCarver carver(smem);
  const typename M::Acts s = model.carve(carver, batch);
  const int L = model.input_len();
  blk.parallel_for(count * L, [&](int i) { s.x[i] = x[i]; });
  blk.parallel_for(count, [&](int b) { s.tgt[b] = target[b]; });
  blk.sync();
  model.transpose_weights(blk, P, wt);
  model.forward(blk, P, s, count);
  blk.parallel_for(count, [&](int b) { s.dy[b] = loss_gradient(s.y[b], s.tgt[b], count); });
  blk.sync();
  AdamArgs adam;
  adam.beta1 = 0.0f;
  model.backward_adam(blk, P, grad, v, wt, s, count, 1e-3f, adam);
  const float* acts = reinterpret_cast<const float*>(smem);
  blk.parallel_for(static_cast<int>(carver.bytes() / sizeof(float)),
                   [&](int i) { acts_out[i] = acts[i]; });
}

// The step on the device: its gradient, and its activations carved from acts_storage (host
// memory laid out as the kernel's shared memory).
template <class M>
std::vector<float> run_step(const M& model, const std::vector<float>& params,
                            const std::vector<float>& x, const std::vector<float>& target,
                            int count, int batch, std::vector<float>& acts_storage,
                            typename M::Acts& acts) {
  DeviceBuffer<float> p, grad(params.size()), v(params.size()),
      wt(static_cast<size_t>(model.transposed_size())), dx, dtarget,
      dacts(static_cast<size_t>(naive_acts_floats(model, batch)));
  p.upload(params);
  grad.fill_zero();
  v.fill_zero();
  dx.upload(x);
  dtarget.upload(target);
  const int64_t bytes = fast_smem_bytes(model, batch);
  allow_smem(step_kernel<M>, bytes);
  step_kernel<M><<<1, kFastThreads, bytes>>>(model, p.data(), grad.data(), v.data(), wt.data(),
                                             dx.data(), dtarget.data(), count, batch, dacts.data());
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());
  acts_storage = dacts.download();
  SmemCarver carver(acts_storage.data());
  acts = model.carve(carver, batch);
  return grad.download();
}

// The first count * width floats of a.
std::vector<float> rows(const float* a, int count, int width) {
  return std::vector<float>(a, a + static_cast<size_t>(count) * width);
}

template <Precision P>
std::vector<float> run_block_product(int M, int N, int K, const std::vector<float>& A,
                                     const std::vector<float>& B) {
  DeviceBuffer<float> a, b, c(static_cast<size_t>(M) * N);
  a.upload(A);
  b.upload(B);
  block_product_kernel<P><<<1, kFastThreads>>>(M, N, K, a.data(), b.data(), c.data());
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());
  return c.download();
}

}  // namespace

std::vector<float> device_block_product(Precision p, int M, int N, int K,
                                        const std::vector<float>& A, const std::vector<float>& B) {
  return with_precision(
      p, [&](auto tag) { return run_block_product<decltype(tag)::value>(M, N, K, A, B); });
}

std::vector<float> device_operand_rounding(Precision p, const std::vector<float>& x) {
  const int n = static_cast<int>(x.size());
  DeviceBuffer<float> dx, dy(x.size());
  dx.upload(x);
  operand_rounding_kernel<<<(n + 255) / 256, 256>>>(p == Precision::kBf16, n, dx.data(), dy.data());
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());
  return dy.download();
}

MlpDeviceStep device_mlp_step(Precision p, const MlpDims& d, const std::vector<float>& params,
                              const std::vector<float>& x, const std::vector<float>& target,
                              int count, int batch) {
  return with_precision(p, [&](auto tag) {
    const MlpModel<MlpDims, decltype(tag)::value> model{d};
    std::vector<float> storage;
    MlpActs a;
    std::vector<float> grad = run_step(model, params, x, target, count, batch, storage, a);
    return MlpDeviceStep{rows(a.a1, count, d.H),
                         rows(a.a2, count, d.H),
                         rows(a.y, count, 1),
                         rows(a.dy, count, 1),
                         rows(a.d2, count, d.H),
                         rows(a.d1, count, d.H),
                         grad};
  });
}

CnnDeviceStep device_cnn_step(Precision p, const CnnDims& d, const std::vector<float>& params,
                              const std::vector<float>& x, const std::vector<float>& target,
                              int count, int batch) {
  return with_precision(p, [&](auto tag) {
    const CnnModel<CnnDims, decltype(tag)::value> model{d};
    const int t1 = model.T1(), t2 = model.T2();
    std::vector<float> storage;
    CnnActs a;
    std::vector<float> grad = run_step(model, params, x, target, count, batch, storage, a);
    return CnnDeviceStep{rows(a.c1, count * t1, d.F),
                         rows(a.c2, count * t2, d.F),
                         rows(a.y, count, 1),
                         rows(a.dy, count, 1),
                         rows(a.g2, count * t2, d.F),
                         rows(a.g1, count * t1, d.F),
                         grad};
  });
}

}  // namespace ff
}  // namespace tecscan
