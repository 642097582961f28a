// An owning cudaMalloc'ed array (never managed memory). Move-only. The copies and fills take
// the stream they are ordered on; without one they run on the legacy default stream and are
// synchronous (for the feed-forward kernels, whose launches are still on that stream).
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "cuda_check.hpp"

namespace tecscan {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { resize(n); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }

  void resize(size_t n) {
    if (n == n_) return;
    release();
    if (n) CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)));
    n_ = n;
  }
  void upload(const T* host, size_t n) {
    resize(n);
    if (n) CUDA_CHECK(cudaMemcpy(p_, host, n * sizeof(T), cudaMemcpyHostToDevice));
  }
  void upload(const std::vector<T>& v) { upload(v.data(), v.size()); }
  // Ordered on `stream`; synchronises it, so `host` may be freed on return (setup only).
  void upload(const T* host, size_t n, cudaStream_t stream) {
    resize(n);
    if (!n) return;
    CUDA_CHECK(cudaMemcpyAsync(p_, host, n * sizeof(T), cudaMemcpyHostToDevice, stream));
    CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  void upload(const std::vector<T>& v, cudaStream_t stream) { upload(v.data(), v.size(), stream); }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    if (n_) CUDA_CHECK(cudaMemcpy(v.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
  // After the work queued on `stream` (synchronises it).
  std::vector<T> download(cudaStream_t stream) const {
    std::vector<T> v(n_);
    if (n_) {
      CUDA_CHECK(cudaMemcpyAsync(v.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost, stream));
      CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    return v;
  }
  void fill_zero() {
    if (n_) CUDA_CHECK(cudaMemset(p_, 0, n_ * sizeof(T)));
  }
  void fill_zero(cudaStream_t stream) {
    if (n_) CUDA_CHECK(cudaMemsetAsync(p_, 0, n_ * sizeof(T), stream));
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  void release() {
    if (p_) cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace tecscan
