// Every CUDA runtime/cuBLAS call and kernel launch goes through these: an error becomes a
// std::runtime_error naming the call, the file and line, and what the user can do about it.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace tecscan {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline void cuda_check(cudaError_t e, const char* expr, const char* file, int line) {
  if (e == cudaSuccess) return;
  std::string msg = std::string("CUDA error ") + cudaGetErrorName(e) + " (" +
                    cudaGetErrorString(e) + ") in " + expr + " at " + file + ":" +
                    std::to_string(line);
  if (e == cudaErrorMemoryAllocation)
    msg +=
        ". The device ran out of memory: lower --gpu-node-chunk (nodes trained per launch; "
        "by default chunks are sized from the free device memory), train the networks one "
        "after another (--sequential-models: at once, each gets a share of the memory), or "
        "use --device cpu.";
  throw CudaError(msg);
}

inline void cublas_check(cublasStatus_t s, const char* expr, const char* file, int line) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError(std::string("cuBLAS error ") + std::to_string(static_cast<int>(s)) + " in " +
                  expr + " at " + file + ":" + std::to_string(line));
}

}  // namespace tecscan

#define CUDA_CHECK(expr) ::tecscan::cuda_check((expr), #expr, __FILE__, __LINE__)
#define CUBLAS_CHECK(expr) ::tecscan::cublas_check((expr), #expr, __FILE__, __LINE__)
// After every <<<...>>> launch: catches bad configurations at once (asynchronous faults surface
// at the next synchronising call, which is checked too).
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
