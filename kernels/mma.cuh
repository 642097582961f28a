// Tensor-core matrix products of one thread block, for the training kernels' precisions
// (precision.hpp): mma.sync in TF32 (m16n8k8) or BF16 (m16n8k16) with FP32 accumulation, and
// 3xTF32 (FP32-accurate). block_mma has block_gemm's interface (block.cuh): accessors a(r, k),
// b(k, c) and an epilogue out(r, c, acc), so a layer swaps one call for the other.
//
// On the device each warp computes whole 16 x 8 output tiles with mma.sync. On the host (the
// Block emulation) one iteration computes a whole tile as the hardware does: operands rounded
// with precision.hpp's functions (cvt.rna.tf32.f32 = round_tf32, cvt.rn.bf16x2.f32 =
// round_bf16), products exact (two TF32 or BF16 significands fit FP32's), FP32 accumulation.
// The one thing the host cannot reproduce is the order (and internal width) in which one mma
// adds its k products to the accumulator, which PTX leaves unspecified; the host fixes one
// (the k-slice's products summed in ascending k, then added to the accumulator), so device and
// host agree to FP32 accumulation error, not bit for bit.
#pragma once
#include <cstdint>

#include "block.cuh"
#include "tecscan/precision.hpp"

namespace tecscan {
namespace ff {

// The warp tile of mma.sync a precision runs: M x N outputs, K products per instruction.
template <Precision P, int TM = 16, int TN = 8, int TK = (P == Precision::kBf16 ? 16 : 8)>
struct MmaShape {
  static_assert(P != Precision::kFp32,
                "fp32 runs on FP32 FFMA (block_gemm in block.cuh), not on tensor cores");
  static_assert(TM == 16 && TN == 8,
                "the tensor-core tile here is mma.sync m16n8: use TM = 16, TN = 8 (a larger warp "
                "tile is several m16n8 tiles: loop over them)");
  static_assert(P != Precision::kBf16 || TK == 16,
                "bf16 runs mma.sync.m16n8k16.f32.bf16.bf16.f32: use TK = 16");
  static_assert(P == Precision::kBf16 || TK == 8,
                "tf32 and 3xtf32 run mma.sync.m16n8k8.f32.tf32.tf32.f32: use TK = 8");
  static constexpr int M = TM, N = TN, K = TK;
};

// ---- device: one warp, one mma.sync --------------------------------------------------------
// Fragment layouts: PTX ISA 9.7.14.5.7 "Matrix Fragments for mma.m16n8k8" (.tf32) and
// 9.7.14.5.8 "Matrix Fragments for mma.m16n8k16 with floating point type" (.bf16), with
// g = laneid >> 2 (groupID) and t = laneid % 4 (threadID_in_group):
//  m16n8k8 tf32   A a0 (g, t)  a1 (g+8, t)  a2 (g, t+4)  a3 (g+8, t+4);  B b0 (t, g)  b1 (t+4, g)
//  m16n8k16 bf16  A reg i holds (g + 8 (i & 1), 2t + 8 (i >> 1) + {0, 1}), the lower k in the
//                 low half;  B reg i holds (2t + 8i + {0, 1}, g)
//  C/D (both)     c0 (g, 2t)  c1 (g, 2t+1)  c2 (g+8, 2t)  c3 (g+8, 2t+1)
#if defined(__CUDACC__)
__device__ inline uint32_t tf32_operand(float x) {
  uint32_t r = 0;
#if defined(__CUDA_ARCH__)
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
#endif
  return r;
}
// (lo, hi) as one bf16x2 register, lo in the low half (cvt packs its first source high).
__device__ inline uint32_t bf16x2_operand(float lo, float hi) {
  uint32_t r = 0;
#if defined(__CUDA_ARCH__)
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
#endif
  return r;
}
__device__ inline void mma_tf32(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__)
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}
__device__ inline void mma_bf16(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__)
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// The 16 x 8 tile at (r0, c0) of C = A B by the calling warp (all 32 lanes, warp-uniform
// arguments); av/bv return 0 outside the matrices (edge tiles are zero-padded).
template <Precision P, typename AV, typename BV>
__device__ void warp_mma_tile(int r0, int c0, int K, const AV& av, const BV& bv, float (&acc)[4]) {
  using S = MmaShape<P>;
  const int lane = static_cast<int>(threadIdx.x) & 31, g = lane >> 2, t = lane & 3;
  for (int k0 = 0; k0 < K; k0 += S::K) {
    uint32_t a[4], b[2];
    if constexpr (P == Precision::kBf16) {
      for (int i = 0; i < 4; ++i) {
        const int r = r0 + g + 8 * (i & 1), k = k0 + 2 * t + 8 * (i >> 1);
        a[i] = bf16x2_operand(av(r, k), av(r, k + 1));
      }
      for (int i = 0; i < 2; ++i) {
        const int k = k0 + 2 * t + 8 * i;
        b[i] = bf16x2_operand(bv(k, c0 + g), bv(k + 1, c0 + g));
      }
      mma_bf16(acc, a, b);
    } else {
      const float af[4] = {av(r0 + g, k0 + t), av(r0 + g + 8, k0 + t), av(r0 + g, k0 + t + 4),
                           av(r0 + g + 8, k0 + t + 4)};
      const float bf[2] = {bv(k0 + t, c0 + g), bv(k0 + t + 4, c0 + g)};
      for (int i = 0; i < 4; ++i) a[i] = tf32_operand(af[i]);
      for (int i = 0; i < 2; ++i) b[i] = tf32_operand(bf[i]);
      if constexpr (P == Precision::kTf32x3) {
        // x = hi + lo (split_tf32); the small terms first, then hi*hi (lo*lo is below FP32).
        uint32_t a_lo[4], b_lo[2];
        for (int i = 0; i < 4; ++i) a_lo[i] = tf32_operand(af[i] - __uint_as_float(a[i]));
        for (int i = 0; i < 2; ++i) b_lo[i] = tf32_operand(bf[i] - __uint_as_float(b[i]));
        mma_tf32(acc, a_lo, b);
        mma_tf32(acc, a, b_lo);
      }
      mma_tf32(acc, a, b);
    }
  }
}
#endif  // __CUDACC__

// ---- host: the same tile, emulated --------------------------------------------------------
namespace mma_detail {
// acc + (a . b) of one k-slice as the host fixes it: products exact, summed in ascending k.
template <Precision P, typename AV, typename BV>
inline float host_slice(float acc, int r, int c, int k0, const AV& av, const BV& bv) {
  constexpr int kK = MmaShape<P>::K;
  if constexpr (P == Precision::kTf32x3) {
    // The device's three mma in its order, each a k-slice of its own.
    float lo_hi = 0.0f, hi_lo = 0.0f, hi_hi = 0.0f;
    for (int k = k0; k < k0 + kK; ++k) {
      const Tf32Split a = split_tf32(av(r, k)), b = split_tf32(bv(k, c));
      lo_hi += a.lo * b.hi;
      hi_lo += a.hi * b.lo;
      hi_hi += a.hi * b.hi;
    }
    return ((acc + lo_hi) + hi_lo) + hi_hi;
  } else {
    float s = 0.0f;
    for (int k = k0; k < k0 + kK; ++k) s += round_operand(P, av(r, k)) * round_operand(P, bv(k, c));
    return acc + s;
  }
}
}  // namespace mma_detail

// out(r, c, acc) for every element of the M x N product acc = sum over k < K of a(r, k) b(k, c)
// on tensor cores in precision P, spread over the warps of the block (a 16 x 8 tile per warp
// at a time). a, b are read only inside the matrices; the padding of edge tiles is zero.
template <Precision P, typename A, typename B, typename Out>
TECSCAN_HD void block_mma(const Block& blk, int M, int N, int K, const A& a, const B& b,
                          const Out& out) {
  using S = MmaShape<P>;
  const int tiles_n = ceil_div(N, S::N);
  auto av = [&](int r, int k) { return r < M && k < K ? a(r, k) : 0.0f; };
  auto bv = [&](int k, int c) { return k < K && c < N ? b(k, c) : 0.0f; };
  blk.warp_for(ceil_div(M, S::M) * tiles_n, [&](int tile) {
    const int r0 = (tile / tiles_n) * S::M, c0 = (tile % tiles_n) * S::N;
#if defined(__CUDA_ARCH__)
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    warp_mma_tile<P>(r0, c0, K, av, bv, acc);
    const int lane = static_cast<int>(threadIdx.x) & 31, g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; ++i) {
      const int r = r0 + g + 8 * (i >> 1), c = c0 + 2 * t + (i & 1);
      if (r < M && c < N) out(r, c, acc[i]);
    }
#else
    for (int r = r0; r < r0 + S::M && r < M; ++r)
      for (int c = c0; c < c0 + S::N && c < N; ++c) {
        float acc = 0.0f;
        for (int k0 = 0; k0 < K; k0 += S::K) acc = mma_detail::host_slice<P>(acc, r, c, k0, av, bv);
        out(r, c, acc);
      }
#endif
  });
}

// block_gemm (FP32 FFMA) for fp32, block_mma otherwise: one call site per product.
template <Precision P, int TR, int TC, typename A, typename B, typename Out>
TECSCAN_HD void block_product(const Block& blk, int M, int N, int K, const A& a, const B& b,
                              const Out& out) {
  if constexpr (P == Precision::kFp32)
    block_gemm<TR, TC>(blk, M, N, K, a, b, out);
  else
    block_mma<P>(blk, M, N, K, a, b, out);
}

// f(PrecisionTag<p>{}): a run-time precision as a template argument.
template <Precision P>
struct PrecisionTag {
  static constexpr Precision value = P;
};
template <typename F>
auto with_precision(Precision p, const F& f) {
  switch (p) {
    case Precision::kTf32x3:
      return f(PrecisionTag<Precision::kTf32x3>{});
    case Precision::kTf32:
      return f(PrecisionTag<Precision::kTf32>{});
    case Precision::kBf16:
      return f(PrecisionTag<Precision::kBf16>{});
    case Precision::kFp32:
      break;
  }
  return f(PrecisionTag<Precision::kFp32>{});
}

}  // namespace ff
}  // namespace tecscan
