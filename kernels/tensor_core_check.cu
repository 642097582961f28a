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

struct StepOut {
  float *a1, *a2, *y, *dy, *d2, *d1;
};

template <class M>
__global__ void __launch_bounds__(kFastThreads)
    mlp_step_kernel(M model, float* P, float* grad, float* v, float* wt, const float* x,
                    const float* target, int count, int batch, StepOut out) {
  extern __shared__ __align__(16) unsigned char smem[];
  const Block blk{};
  SmemCarver carver(smem);
  const MlpActs s = model.carve(carver, batch);
  const int L = model.d.L, H = model.d.H;
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
  blk.parallel_for(count * H, [&](int i) {
    out.a1[i] = s.a1[i], out.a2[i] = s.a2[i], out.d2[i] = s.d2[i], out.d1[i] = s.d1[i];
  });
  blk.parallel_for(count, [&](int b) { out.y[b] = s.y[b], out.dy[b] = s.dy[b]; });
}

template <Precision P>
MlpDeviceStep run_mlp_step(const MlpDims& d, const std::vector<float>& params,
                           const std::vector<float>& x, const std::vector<float>& target, int count,
                           int batch) {
  const MlpModel<MlpDims, P> model{d};
  DeviceBuffer<float> p, grad(params.size()), v(params.size()),
      wt(static_cast<size_t>(model.transposed_size())), dx, dtarget;
  p.upload(params);
  grad.fill_zero();
  v.fill_zero();
  dx.upload(x);
  dtarget.upload(target);
  const size_t rows = static_cast<size_t>(count) * d.H;
  DeviceBuffer<float> a1(rows), a2(rows), d2(rows), d1(rows), y(count), dy(count);
  const StepOut out{a1.data(), a2.data(), y.data(), dy.data(), d2.data(), d1.data()};
  const int64_t bytes = fast_smem_bytes(model, batch);
  allow_smem(mlp_step_kernel<MlpModel<MlpDims, P>>, bytes);
  mlp_step_kernel<<<1, kFastThreads, bytes>>>(model, p.data(), grad.data(), v.data(), wt.data(),
                                              dx.data(), dtarget.data(), count, batch, out);
  CUDA_CHECK_LAUNCH();
  CUDA_CHECK(cudaDeviceSynchronize());
  return {a1.download(), a2.download(), y.download(),   dy.download(),
          d2.download(), d1.download(), grad.download()};
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
  switch (p) {
    case Precision::kTf32x3:
      return run_block_product<Precision::kTf32x3>(M, N, K, A, B);
    case Precision::kTf32:
      return run_block_product<Precision::kTf32>(M, N, K, A, B);
    case Precision::kBf16:
      return run_block_product<Precision::kBf16>(M, N, K, A, B);
    case Precision::kFp32:
      break;
  }
  return run_block_product<Precision::kFp32>(M, N, K, A, B);
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
  switch (p) {
    case Precision::kTf32x3:
      return run_mlp_step<Precision::kTf32x3>(d, params, x, target, count, batch);
    case Precision::kTf32:
      return run_mlp_step<Precision::kTf32>(d, params, x, target, count, batch);
    case Precision::kBf16:
      return run_mlp_step<Precision::kBf16>(d, params, x, target, count, batch);
    case Precision::kFp32:
      break;
  }
  return run_mlp_step<Precision::kFp32>(d, params, x, target, count, batch);
}

}  // namespace ff
}  // namespace tecscan
