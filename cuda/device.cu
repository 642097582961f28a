// Device discovery: the only CUDA code that must work everywhere, even without a GPU.
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "cuda_check.hpp"
#include "tecscan/cuda_backend.hpp"

namespace tecscan {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

std::string cuda_device_description(int device) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count)
    throw CudaError("CUDA device " + std::to_string(device) + " does not exist (" +
                    std::to_string(count) + " device(s) visible; check CUDA_VISIBLE_DEVICES)");
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB",
                static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(prop.name) + " (cuda:" + std::to_string(device) + ", sm_" +
         std::to_string(prop.major) + std::to_string(prop.minor) + ", " + memory + ")";
}

}  // namespace tecscan
