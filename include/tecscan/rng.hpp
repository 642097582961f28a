// Counter-based random numbers that the CPU and the GPU compute bit-identically, so both
// backends draw the same initial weights and the same minibatch order from one seed.
#pragma once
#include <cstdint>

#include "tecscan/hd.hpp"

namespace tecscan {

TECSCAN_HD inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A key for one independent stream: (seed, node, model, purpose).
TECSCAN_HD inline uint64_t rng_key(uint64_t seed, uint64_t node, uint64_t model, uint64_t purpose) {
  return splitmix64(splitmix64(splitmix64(splitmix64(seed) ^ node) ^ model) ^ purpose);
}

// The i-th 64-bit draw of a stream.
TECSCAN_HD inline uint64_t rng_u64(uint64_t key, uint64_t i) {
  return splitmix64(key ^ splitmix64(i));
}

// Uniform in [0, 1) with 24 random bits (exact in float).
TECSCAN_HD inline float rng_uniform01(uint64_t key, uint64_t i) {
  return static_cast<float>(rng_u64(key, i) >> 40) * (1.0f / 16777216.0f);
}

enum RngPurpose : uint64_t { kRngInit = 1, kRngShuffle = 2 };

// Fisher-Yates shuffle of idx[0..n) for one epoch; identical on host and device.
// j for position k is rng_u64(key, epoch * 2^32 + k) mod (k + 1).
TECSCAN_HD inline void shuffle_epoch(uint64_t key, uint64_t epoch, int* idx, int n) {
  for (int k = n - 1; k > 0; --k) {
    uint64_t r = rng_u64(key, (epoch << 32) + static_cast<uint64_t>(k));
    int j = static_cast<int>(r % static_cast<uint64_t>(k + 1));
    int t = idx[k];
    idx[k] = idx[j];
    idx[j] = t;
  }
}

}  // namespace tecscan
