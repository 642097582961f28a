// The leased streams and cuBLAS handles of each device (cuda_context.hpp).
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

namespace {

// Every context ever made, per device, and those not leased now. Never destroyed: at process
// exit the CUDA runtime may already be torn down, and destroying a handle then crashes; the
// driver reclaims everything with the process.
struct ContextPool {
  std::mutex mutex;
  std::vector<std::vector<std::unique_ptr<CudaContext>>> made;
  std::vector<std::vector<CudaContext*>> idle;
};

ContextPool& context_pool() {
  static ContextPool* pool = new ContextPool;
  return *pool;
}

void check_device(int device) {
  const int count = cuda_device_count();
  if (device < 0 || device >= count)
    throw CudaError("CUDA device " + std::to_string(device) + " does not exist (" +
                    std::to_string(count) + " device(s) visible)");
}

}  // namespace

CudaContextLease::CudaContextLease(int device) : context_(nullptr) {
  check_device(device);
  CUDA_CHECK(cudaSetDevice(device));
  ContextPool& pool = context_pool();
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    const size_t d = static_cast<size_t>(device);
    if (pool.made.size() <= d) {
      pool.made.resize(d + 1);
      pool.idle.resize(d + 1);
    }
    if (!pool.idle[d].empty()) {
      context_ = pool.idle[d].back();
      pool.idle[d].pop_back();
      return;
    }
    // Counted as held before it exists, so that held() is right for a concurrent sizing.
    pool.made[d].push_back(nullptr);
  }
  // Made outside the lock: cudaMalloc and cublasCreate take milliseconds.
  std::unique_ptr<CudaContext> made;
  try {
    made = make_context(device);
  } catch (...) {
    std::lock_guard<std::mutex> lock(pool.mutex);
    auto& slots = pool.made[static_cast<size_t>(device)];
    slots.erase(std::find(slots.begin(), slots.end(), nullptr));
    throw;
  }
  std::lock_guard<std::mutex> lock(pool.mutex);
  auto& slots = pool.made[static_cast<size_t>(device)];
  context_ = made.get();
  *std::find(slots.begin(), slots.end(), nullptr) = std::move(made);
}

CudaContextLease::~CudaContextLease() {
  ContextPool& pool = context_pool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.idle[static_cast<size_t>(context_->device)].push_back(context_);
}

int CudaContextLease::held(int device) {
  ContextPool& pool = context_pool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  const size_t d = static_cast<size_t>(device);
  if (device < 0 || d >= pool.made.size()) return 0;
  return static_cast<int>(pool.made[d].size() - pool.idle[d].size());
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
