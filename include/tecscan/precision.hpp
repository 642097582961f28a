// The arithmetic a matrix product of training runs in ([train] precision, --precision), and the
// operand rounding each one applies. Host-and-device: the CPU reference that emulates a
// precision and the GPU kernels that run it on tensor cores round operands with these same
// functions, so the two differ only in summation order.
//  fp32   plain FP32 multiply-add (today's kernels, the CPU reference).
//  3xtf32 tensor cores, FP32-accurate: a = hi + lo with hi = tf32(a), lo = tf32(a - hi), and
//         a*b ~ hi_a*hi_b + hi_a*lo_b + lo_a*hi_b (the lo*lo term is below FP32's precision).
//  tf32   tensor cores, operands rounded to TF32 (10 explicit mantissa bits), FP32 accumulate.
//  bf16   tensor cores, operands rounded to BF16 (7 explicit mantissa bits), FP32 accumulate.
// Master weights, gradients' accumulation, the loss and Adam stay FP32 in every precision.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "tecscan/hd.hpp"

namespace tecscan {

enum class Precision { kFp32, kTf32x3, kTf32, kBf16 };

// "fp32" | "3xtf32" | "tf32" | "bf16" (case-insensitive), else InputError naming the choices.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision p);

namespace precision_detail {
TECSCAN_HD inline uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}
TECSCAN_HD inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}
// Rounds x to `keep` explicit mantissa bits, to nearest with ties away from zero (what
// cvt.rna.tf32.f32 does); NaN and infinity pass through, overflow rounds to infinity.
TECSCAN_HD inline float round_mantissa_rna(float x, int keep) {
  const uint32_t u = float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;  // inf, NaN
  const int drop = 23 - keep;
  const uint32_t half = 1u << (drop - 1), mask = ~((1u << drop) - 1u);
  return bits_float((u + half) & mask);
}
}  // namespace precision_detail

// x as a TF32 operand: 10 explicit mantissa bits, round to nearest, ties away from zero
// (cvt.rna.tf32.f32; the mma instructions themselves would truncate, so kernels convert first).
TECSCAN_HD inline float round_tf32(float x) {
  return precision_detail::round_mantissa_rna(x, 10);
}

// x as a BF16 operand: 7 explicit mantissa bits, round to nearest even (__float2bfloat16_rn).
TECSCAN_HD inline float round_bf16(float x) {
  const uint32_t u = precision_detail::float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;
  const uint32_t lsb = (u >> 16) & 1u;
  return precision_detail::bits_float((u + 0x7fffu + lsb) & 0xffff0000u);
}

// The 3xTF32 split: hi = tf32(x), lo = tf32(x - hi).
struct Tf32Split {
  float hi, lo;
};
TECSCAN_HD inline Tf32Split split_tf32(float x) {
  const float hi = round_tf32(x);
  return {hi, round_tf32(x - hi)};
}

// The operand value a product in precision p uses for x (3xtf32: hi + lo, within 2^-22 of x).
TECSCAN_HD inline float round_operand(Precision p, float x) {
  switch (p) {
    case Precision::kTf32:
      return round_tf32(x);
    case Precision::kBf16:
      return round_bf16(x);
    case Precision::kTf32x3: {
      const Tf32Split s = split_tf32(x);
      return s.hi + s.lo;
    }
    case Precision::kFp32:
      break;
  }
  return x;
}

}  // namespace tecscan
