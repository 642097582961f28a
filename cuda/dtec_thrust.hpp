// DTEC and anomaly reductions written once over a Thrust execution policy: cuda/dtec_cuda.cu
// runs them with thrust::cuda::par on device vectors; tests/thrust/test_thrust_cpu.cpp compiles
// this header with THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CPP and g++, so CI checks the same
// code against compute_dtec_cpu without a GPU. Temporaries are thrust::device_vector, i.e. of
// the configured device system, which must be the policy's system.
//
// Segmented robust statistics: every finite delta gets the key segment = node * ngroup + group;
// sorting by value and then stably by key leaves each segment's values ascending and contiguous,
// so the type-7 quantiles are stats.hpp's quantile_sorted on a slice, exactly as on the CPU.
#pragma once
#include <thrust/binary_search.h>
#include <thrust/copy.h>
#include <thrust/device_vector.h>
#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>
#include <thrust/iterator/zip_iterator.h>
#include <thrust/sort.h>
#include <thrust/transform.h>
#include <thrust/tuple.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "tecscan/hd.hpp"
#include "tecscan/stats.hpp"

namespace tecscan {
namespace dtec_thrust {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// delta = observed - predicted, NaN when either is missing.
struct DeltaOp {
  TECSCAN_HD float operator()(float observed, float predicted) const {
    return finite_value(observed) && finite_value(predicted) ? observed - predicted : kNaN;
  }
};

struct SegmentOf {
  const int* group_of_time;  // [ntime]
  int64_t ntime, ngroup;
  TECSCAN_HD int64_t operator()(int64_t i) const {
    return (i / ntime) * ngroup + group_of_time[i % ntime];
  }
};

// The delta where the epoch feeds the statistics (stats_mask null: every epoch), NaN elsewhere.
struct StatsDelta {
  const float* delta;
  const uint8_t* stats_mask;  // [ntime] or null
  int64_t ntime;
  TECSCAN_HD float operator()(int64_t i) const {
    return !stats_mask || stats_mask[i % ntime] ? delta[i] : kNaN;
  }
};

struct IsFinite {
  TECSCAN_HD bool operator()(float x) const { return finite_value(x); }
};

struct SegmentStats {
  const float* sorted;  // values ascending within each segment
  const int64_t* begin;
  const int64_t* end;
  double* median;
  double* iqr;
  TECSCAN_HD void operator()(int64_t s) const {
    const float* v = sorted + begin[s];
    const size_t n = static_cast<size_t>(end[s] - begin[s]);
    median[s] = quantile_sorted(v, n, 0.5);
    iqr[s] = quantile_sorted(v, n, 0.75) - quantile_sorted(v, n, 0.25);  // NaN when n == 0
  }
};

struct DtecOp {
  const float* delta;
  const double* median;
  const double* iqr;
  SegmentOf segment;
  float* dtec;
  TECSCAN_HD void operator()(int64_t i) const {
    const int64_t s = segment(i);
    // IQR == 0 (a constant residual) has no scale to measure an anomaly against.
    dtec[i] = finite_value(delta[i]) && iqr[s] > 0
                  ? static_cast<float>((delta[i] - median[s]) / iqr[s])
                  : kNaN;
  }
};

// All pointers are in the policy's memory. group_of_time[t] in [0, ngroup); the statistics use
// the epochs with stats_mask[t] != 0 (null: all).
// Outputs: delta, dtec [node * ntime]; median, iqr [node * ngroup].
template <class Policy>
void compute_dtec(Policy policy, const float* observed, const float* predicted, int64_t nnode,
                  int64_t ntime, const int* group_of_time, int64_t ngroup,
                  const uint8_t* stats_mask, float* delta, float* dtec, double* median,
                  double* iqr) {
  const int64_t n = nnode * ntime, nseg = nnode * ngroup;
  if (n == 0) return;
  thrust::transform(policy, observed, observed + n, predicted, delta, DeltaOp());
  const SegmentOf segment{group_of_time, ntime, ngroup};

  // (segment, value) of every finite delta at a statistics epoch.
  thrust::device_vector<int64_t> keys(n);
  thrust::device_vector<float> values(n), stats_delta(n);
  thrust::counting_iterator<int64_t> index(0);
  thrust::transform(policy, index, index + n, stats_delta.begin(),
                    StatsDelta{delta, stats_mask, ntime});
  auto keyed = thrust::make_zip_iterator(
      thrust::make_tuple(thrust::make_transform_iterator(index, segment), stats_delta.begin()));
  auto out = thrust::make_zip_iterator(thrust::make_tuple(keys.begin(), values.begin()));
  const int64_t m =
      thrust::copy_if(policy, keyed, keyed + n, stats_delta.begin(), out, IsFinite()) - out;
  thrust::sort_by_key(policy, values.begin(), values.begin() + m, keys.begin());
  thrust::stable_sort_by_key(policy, keys.begin(), keys.begin() + m, values.begin());

  thrust::device_vector<int64_t> begin(nseg), end(nseg);
  thrust::counting_iterator<int64_t> seg(0);
  thrust::lower_bound(policy, keys.begin(), keys.begin() + m, seg, seg + nseg, begin.begin());
  thrust::upper_bound(policy, keys.begin(), keys.begin() + m, seg, seg + nseg, end.begin());
  thrust::for_each(
      policy, seg, seg + nseg,
      SegmentStats{thrust::raw_pointer_cast(values.data()), thrust::raw_pointer_cast(begin.data()),
                   thrust::raw_pointer_cast(end.data()), median, iqr});
  thrust::for_each(policy, index, index + n, DtecOp{delta, median, iqr, segment, dtec});
}

// ---- anomalies -------------------------------------------------------------------------------

struct FlagOp {
  const float* dtec;
  const uint8_t* quiet;  // [ntime]
  int64_t ntime;
  double threshold;
  uint8_t* anomaly;
  uint8_t* consensus;  // may be null
  TECSCAN_HD void operator()(int64_t i) const {
    const float d = dtec[i];
    const uint8_t flag = (quiet[i % ntime] && fabs(d) > threshold) ? 1 : 0;  // NaN: never
    anomaly[i] = flag;
    if (consensus) consensus[i] = static_cast<uint8_t>(consensus[i] + flag);
  }
};

struct Exceeds {
  double threshold;
  TECSCAN_HD bool operator()(float d) const { return fabs(d) > threshold; }
};

// anomaly[i] = quiet[time] AND |dtec| > threshold (flag_anomalies); consensus[i] += anomaly[i]
// (consensus may be null; zero it before the first detector).
template <class Policy>
void flag_anomalies(Policy policy, const float* dtec, const uint8_t* quiet, int64_t nnode,
                    int64_t ntime, double threshold, uint8_t* anomaly, uint8_t* consensus) {
  thrust::counting_iterator<int64_t> index(0);
  thrust::for_each(policy, index, index + nnode * ntime,
                   FlagOp{dtec, quiet, ntime, threshold, anomaly, consensus});
}

// Indices node * ntime + time with |dtec| > threshold (quiet or not: the rows of
// anomalies.csv), ascending. Returns how many were written to out (room for nnode * ntime).
template <class Policy>
int64_t exceedance_indices(Policy policy, const float* dtec, int64_t n, double threshold,
                           int64_t* out) {
  thrust::counting_iterator<int64_t> index(0);
  return thrust::copy_if(policy, index, index + n, dtec, out, Exceeds{threshold}) - out;
}

}  // namespace dtec_thrust
}  // namespace tecscan
