// A stream and a cuBLAS handle (with its workspace) of one device, leased to one train() call at a
// time: every launch, copy and cuBLAS call of a training goes on its lease's non-blocking stream
// (never the legacy default stream, which would serialise against every other stream of the
// process). Concurrent train() calls (the networks of a scan trained at once, one thread each)
// hold different leases, so their work runs side by side on the device and never interleaves on
// one stream. Contexts are made on first need and kept for the next lease until the process
// ends: a train() call pays nothing to set one up once the process has made as many as it runs
// at once.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

namespace tecscan {

struct CudaContext {
  int device = 0;
  cudaStream_t stream = nullptr;     // cudaStreamNonBlocking
  cublasHandle_t cublas = nullptr;   // cublasSetStream(stream), FP32 math, own workspace
  void* cublas_workspace = nullptr;  // cublasSetWorkspace: no allocation inside a graph capture
  size_t cublas_workspace_bytes = 0;
};

// Exclusive use of a context of `device` (which must exist: CudaError otherwise) for the lease's
// lifetime: a free one, or a new one when every context of the device is leased. Makes `device`
// current on the calling thread. Thread-safe. Work still queued when a lease ends stays ordered
// before whatever the next holder of the context queues on its stream.
class CudaContextLease {
 public:
  explicit CudaContextLease(int device);
  ~CudaContextLease();
  CudaContextLease(const CudaContextLease&) = delete;
  CudaContextLease& operator=(const CudaContextLease&) = delete;
  CudaContext& operator*() const { return *context_; }
  CudaContext* operator->() const { return context_; }
  // The leases of `device` held right now (this one included while it lives): concurrent
  // trainers size their device memory to their share of the free memory by it.
  static int held(int device);

 private:
  CudaContext* context_;
};

// The share of `free_bytes` one of `held` concurrent holders may plan with: 70 % (cuBLAS, cuDNN
// and the CUDA runtime allocate beside us), split evenly.
inline size_t device_memory_share(size_t free_bytes, int held) {
  return static_cast<size_t>(0.7 * static_cast<double>(free_bytes) / (held > 1 ? held : 1));
}

// Numbered events recorded on one stream: progress polls them (cudaEventQuery, no
// synchronisation while the device works), timings read the device time between two.
class EventMarks {
 public:
  EventMarks(cudaStream_t stream, int n);
  ~EventMarks();
  EventMarks(const EventMarks&) = delete;
  EventMarks& operator=(const EventMarks&) = delete;
  void record(int i);
  bool done(int i) const;                  // whether the work before record(i) has completed
  void wait(int i) const;                  // blocks until it has
  double seconds(int from, int to) const;  // device time between two completed marks

 private:
  cudaStream_t stream_;
  std::vector<cudaEvent_t> e_;
};

}  // namespace tecscan
