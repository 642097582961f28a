// Lets small inline helpers compile for both the host and, under nvcc, the device.
#pragma once
#if defined(__CUDACC__)
#define TECSCAN_HD __host__ __device__
#else
#define TECSCAN_HD
#endif
