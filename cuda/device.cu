// Device discovery: the only CUDA code that must work everywhere, even without a GPU.
#include <cuda_runtime.h>

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

}  // namespace tecscan
