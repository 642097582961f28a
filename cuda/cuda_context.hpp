// One cuBLAS handle and one stream per (process, device), made on first use and kept until the
// process ends: a train() call pays nothing to set them up, and every launch of the training and
// prediction paths goes on the same non-blocking stream (never the legacy default stream, which
// would serialise against every other stream of the process).
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

// The context of `device` (which must exist), created on first call; makes `device` current.
// Thread-safe to obtain; the stream itself orders the work of whoever uses it, so two threads
// training on one device at once would interleave on it (the GPU trainers are not thread_safe()).
CudaContext& cuda_context(int device);

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
