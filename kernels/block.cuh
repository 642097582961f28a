// One thread block, written so the same kernel body runs on the GPU and on the host. The
// kernels are sequences of phases separated by sync(); inside a phase every parallel_for
// iteration must be independent of the others. On the host the iterations run in a loop
// (optionally backwards, which exposes a dependency between iterations of one phase as a
// changed result), or - when a test installs a HostThread - as one emulated thread of a block
// whose sync() switches to the next thread (a missing sync then reads stale data). So the host
// tests check the very code the GPU runs, without a GPU.
#pragma once
#include <cstdint>

#include "tecscan/hd.hpp"

// cudaStream_t is a `CUstream_st*`: declared here without the CUDA headers, because the
// launchers' declarations are also compiled by the host-only kernel tests.
struct CUstream_st;

namespace tecscan {
namespace ff {

// The stream a launcher queues its kernels on (nullptr: the legacy default stream).
using GpuStream = CUstream_st*;

#if !defined(__CUDA_ARCH__)
// The emulated thread the host is running, if any (tests/thrust/test_ff_host.cpp).
struct HostThread {
  int tid = 0, nthreads = 1;
  void (*barrier)() = nullptr;
};
inline HostThread*& current_host_thread() {
  static thread_local HostThread* thread = nullptr;
  return thread;
}
#endif

struct Block {
  bool reverse = false;  // host loop emulation only: run parallel_for iterations backwards

  // f(i) for i in [0, n), spread over the threads of the block.
  template <typename F>
  TECSCAN_HD void parallel_for(int n, F&& f) const {
#if defined(__CUDA_ARCH__)
    for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) f(i);
#else
    if (const HostThread* t = current_host_thread())
      for (int i = t->tid; i < n; i += t->nthreads) f(i);
    else if (reverse)
      for (int i = n - 1; i >= 0; --i) f(i);
    else
      for (int i = 0; i < n; ++i) f(i);
#endif
  }

  // f(i) for i in [0, n), one i per warp at a time: on the device the 32 lanes of a warp run
  // f(i) together (warp-collective work such as mma.sync; blockDim.x must be a multiple of 32
  // and i the same across the warp); on the host one iteration stands for a whole warp.
  template <typename F>
  TECSCAN_HD void warp_for(int n, F&& f) const {
#if defined(__CUDA_ARCH__)
    const int warp = static_cast<int>(threadIdx.x) >> 5, nwarps = static_cast<int>(blockDim.x) >> 5;
    for (int i = warp; i < n; i += nwarps) f(i);
#else
    parallel_for(n, f);
#endif
  }

  // f() once, by thread 0 (serial work on block-shared state; follow it with sync()).
  template <typename F>
  TECSCAN_HD void single(F&& f) const {
#if defined(__CUDA_ARCH__)
    if (threadIdx.x == 0) f();
#else
    const HostThread* t = current_host_thread();
    if (!t || t->tid == 0) f();
#endif
  }

  TECSCAN_HD void sync() const {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#else
    if (const HostThread* t = current_host_thread())
      if (t->barrier) t->barrier();
#endif
  }
};

// Shared memory of one block on sm_90 (opt-in): the compile-time sizes must fit it at the
// default batch of 32; run-time sizes are checked against the device's own limit.
constexpr int kMaxSmemBytes = 227 * 1024;

TECSCAN_HD inline float relu(float x) {
  return x > 0.0f ? x : 0.0f;
}

TECSCAN_HD inline int ceil_div(int a, int b) {
  return (a + b - 1) / b;
}

// out(r, c, acc) for every element of an R x C product acc = sum over k = 0 .. K-1 (in that
// order, like a plain dot product) of a(r, k) * b(k, c), spread over the block. Each iteration
// owns a TR x TC tile: rows r0 + i * nr, columns c0 + j * nc, interleaved so that consecutive
// iterations (threads) read consecutive columns of b, and every a and b value it loads feeds
// TC resp. TR multiply-adds from registers: (TR + TC) loads per TR * TC multiply-adds instead
// of two per one, which is what bounds these small layers.
template <int TR, int TC, typename A, typename B, typename Out>
TECSCAN_HD void block_gemm(const Block& blk, int R, int C, int K, const A& a, const B& b,
                           const Out& out) {
  const int nr = ceil_div(R, TR), nc = ceil_div(C, TC);
  blk.parallel_for(nr * nc, [&](int it) {
    int row[TR], col[TC];
    for (int i = 0; i < TR; ++i) {
      row[i] = it / nc + i * nr;
      if (row[i] >= R) row[i] = R - 1;  // a valid row to read; not written below
    }
    for (int j = 0; j < TC; ++j) {
      col[j] = it % nc + j * nc;
      if (col[j] >= C) col[j] = C - 1;
    }
    float acc[TR][TC] = {};
    for (int k = 0; k < K; ++k) {
      float av[TR], bv[TC];
      for (int i = 0; i < TR; ++i) av[i] = a(row[i], k);
      for (int j = 0; j < TC; ++j) bv[j] = b(k, col[j]);
      for (int i = 0; i < TR; ++i)
        for (int j = 0; j < TC; ++j) acc[i][j] += av[i] * bv[j];
    }
    for (int i = 0; i < TR; ++i)
      for (int j = 0; j < TC; ++j)
        if (it / nc + i * nr < R && it % nc + j * nc < C) out(row[i], col[j], acc[i][j]);
  });
}

// Aligned carving of one dynamic shared-memory block (or a host vector) into arrays.
class SmemCarver {
 public:
  TECSCAN_HD explicit SmemCarver(void* base) : base_(static_cast<char*>(base)) {}
  template <typename T>
  TECSCAN_HD T* take(int64_t count) {
    used_ = (used_ + 15) & ~int64_t(15);
    T* p = base_ ? reinterpret_cast<T*>(base_ + used_) : nullptr;  // null base: measure only
    used_ += count * static_cast<int64_t>(sizeof(T));
    return p;
  }
  TECSCAN_HD int64_t bytes() const { return (used_ + 15) & ~int64_t(15); }

 private:
  char* base_;
  int64_t used_ = 0;
};

}  // namespace ff
}  // namespace tecscan
