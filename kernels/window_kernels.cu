// Kernels for the per-node preparation in window_kernels.cuh.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "window_kernels.cuh"

namespace tecscan {
namespace ff {

namespace {

constexpr int kThreads = 256;

__global__ void windows_kernel(SeriesArgs s) {
  __shared__ double stats[2];
  windows_block(Block{}, s, static_cast<int>(blockIdx.x), stats);
}

__global__ void shuffle_kernel(TrainArgs a, int epoch) {
  extern __shared__ __align__(16) unsigned char smem[];
  int* work = reinterpret_cast<int*>(smem);
  shuffle_block(Block{}, a, static_cast<int>(blockIdx.x), epoch, work, work + a.s.ntime);
}

__global__ void shuffle_naive_kernel(TrainArgs a, int epoch) {
  const int node = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (node < a.s.nnode) shuffle_naive_thread(a, node, epoch);
}

__global__ void fill_kernel(float* p, int64_t n, float value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    p[i] = value;
}

}  // namespace

int max_optin_smem(int device) {
  if (device < 0) CUDA_CHECK(cudaGetDevice(&device));
  int bytes = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return bytes;
}

void launch_windows(const SeriesArgs& s, GpuStream stream) {
  if (s.nnode == 0) return;
  windows_kernel<<<s.nnode, kThreads, 0, stream>>>(s);
  CUDA_CHECK_LAUNCH();
}

void launch_shuffle(const TrainArgs& a, int epoch, bool naive, GpuStream stream) {
  if (a.s.nnode == 0) return;
  const int64_t bytes = 2 * int64_t(a.s.ntime) * static_cast<int64_t>(sizeof(int));
  if (!naive && bytes <= max_optin_smem()) {
    if (bytes > 48 * 1024)
      CUDA_CHECK(cudaFuncSetAttribute(shuffle_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(bytes)));
    shuffle_kernel<<<a.s.nnode, kThreads, bytes, stream>>>(a, epoch);
  } else {
    shuffle_naive_kernel<<<(a.s.nnode + kThreads - 1) / kThreads, kThreads, 0, stream>>>(a, epoch);
  }
  CUDA_CHECK_LAUNCH();
}

void launch_fill(float* p, int64_t n, float value, GpuStream stream) {
  if (n == 0) return;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  fill_kernel<<<static_cast<unsigned>(blocks < 4096 ? blocks : 4096), kThreads, 0, stream>>>(p, n,
                                                                                             value);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ff
}  // namespace tecscan
