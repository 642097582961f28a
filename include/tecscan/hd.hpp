// Lets small inline helpers compile for both the host and, under nvcc, the device, and the
// helpers every such header needs.
#pragma once
#if defined(__CUDACC__)
#define TECSCAN_HD __host__ __device__
#else
#define TECSCAN_HD
#endif

namespace tecscan {

// Finite (not NaN, not infinite) without <cmath>'s isfinite, which is not a device function
// everywhere: the one test of the windowing, the kernels and the DTEC reductions.
TECSCAN_HD inline bool finite_value(float x) {
  return x == x && x - x == 0.0f;
}
TECSCAN_HD inline bool finite_value(double x) {
  return x == x && x - x == 0.0;
}

}  // namespace tecscan
