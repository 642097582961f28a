// The per-device cuBLAS handle and stream (cuda_context.hpp).
#include <memory>
#include <mutex>
#include <string>

#include "cuda_check.hpp"
#include "cuda_context.hpp"
#include "tecscan/cuda_backend.hpp"

namespace tecscan {

namespace {

// cuBLAS' recommended workspace: 32 MiB on Hopper, 4 MiB before (cublasSetWorkspace docs).
size_t cublas_workspace_bytes(int device) {
  int major = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  return (major >= 9 ? 32u : 4u) << 20;
}

std::unique_ptr<CudaContext> make_context(int device) {
  auto c = std::make_unique<CudaContext>();
  c->device = device;
  CUDA_CHECK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
  CUBLAS_CHECK(cublasCreate(&c->cublas));
  CUBLAS_CHECK(cublasSetStream(c->cublas, c->stream));
  // FP32 everywhere (no TF32): the results must match the CPU reference to ~1e-5.
  CUBLAS_CHECK(cublasSetMathMode(c->cublas, CUBLAS_DEFAULT_MATH));
  // A fixed workspace: eager calls and calls captured into a CUDA graph then see the same
  // workspace (so cuBLAS picks the same kernels) and nothing is allocated during a capture.
  c->cublas_workspace_bytes = cublas_workspace_bytes(device);
  CUDA_CHECK(cudaMalloc(&c->cublas_workspace, c->cublas_workspace_bytes));
  CUBLAS_CHECK(cublasSetWorkspace(c->cublas, c->cublas_workspace, c->cublas_workspace_bytes));
  return c;
}

}  // namespace

CudaContext& cuda_context(int device) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count)
    throw CudaError("CUDA device " + std::to_string(device) + " does not exist (" +
                    std::to_string(count) + " device(s) visible)");
  // Never destroyed: at process exit the CUDA runtime may already be torn down, and destroying
  // a handle then crashes; the driver reclaims everything with the process.
  static std::mutex mutex;
  static std::unique_ptr<CudaContext>* contexts = new std::unique_ptr<CudaContext>[count];
  std::lock_guard<std::mutex> lock(mutex);
  CUDA_CHECK(cudaSetDevice(device));
  if (!contexts[device]) contexts[device] = make_context(device);
  return *contexts[device];
}

EventMarks::EventMarks(cudaStream_t stream, int n)
    : stream_(stream), e_(static_cast<size_t>(n), nullptr) {
  for (cudaEvent_t& e : e_) CUDA_CHECK(cudaEventCreate(&e));
}

EventMarks::~EventMarks() {
  for (cudaEvent_t e : e_)
    if (e) cudaEventDestroy(e);
}

void EventMarks::record(int i) {
  CUDA_CHECK(cudaEventRecord(e_.at(static_cast<size_t>(i)), stream_));
}

bool EventMarks::done(int i) const {
  const cudaError_t r = cudaEventQuery(e_.at(static_cast<size_t>(i)));
  if (r == cudaErrorNotReady) return false;
  CUDA_CHECK(r);
  return true;
}

void EventMarks::wait(int i) const {
  CUDA_CHECK(cudaEventSynchronize(e_.at(static_cast<size_t>(i))));
}

double EventMarks::seconds(int from, int to) const {
  float ms = 0;
  CUDA_CHECK(
      cudaEventElapsedTime(&ms, e_.at(static_cast<size_t>(from)), e_.at(static_cast<size_t>(to))));
  return ms / 1000.0;
}

}  // namespace tecscan
