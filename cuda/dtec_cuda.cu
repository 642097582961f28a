// DTEC and anomaly flags on the GPU: dtec_thrust.hpp's algorithms on device vectors.
#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>

#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda_check.hpp"
#include "dtec_thrust.hpp"
#include "tecscan/cuda_backend.hpp"

namespace tecscan {

namespace {

template <typename T>
T* raw(thrust::device_vector<T>& v) {
  return thrust::raw_pointer_cast(v.data());
}

}  // namespace

void compute_dtec_cuda(const float* observed, const float* predicted, size_t nnode, size_t ntime,
                       const TimeS* time, DtecScope scope, const uint8_t* stats_mask,
                       DtecOutput& out) {
  const size_t ngroup = scope == DtecScope::kPerUtcHour ? 24 : 1;
  const size_t n = nnode * ntime;
  std::vector<int> group(ntime, 0);
  if (ngroup == 24)
    for (size_t t = 0; t < ntime; ++t) group[t] = utc_hour(time[t]);
  try {
    thrust::device_vector<float> obs(observed, observed + n), pred(predicted, predicted + n),
        delta(n), dtec(n);
    thrust::device_vector<int> groups(group.begin(), group.end());
    thrust::device_vector<double> median(nnode * ngroup), iqr(nnode * ngroup);
    thrust::device_vector<uint8_t> mask;
    if (stats_mask) mask.assign(stats_mask, stats_mask + ntime);
    dtec_thrust::compute_dtec(thrust::device, raw(obs), raw(pred), static_cast<int64_t>(nnode),
                              static_cast<int64_t>(ntime), raw(groups),
                              static_cast<int64_t>(ngroup), stats_mask ? raw(mask) : nullptr,
                              raw(delta), raw(dtec), raw(median), raw(iqr));
    out.nnode = nnode;
    out.ntime = ntime;
    out.ngroup = ngroup;
    out.delta.resize(n);
    out.dtec.resize(n);
    out.median.resize(nnode * ngroup);
    out.iqr.resize(nnode * ngroup);
    thrust::copy(delta.begin(), delta.end(), out.delta.begin());
    thrust::copy(dtec.begin(), dtec.end(), out.dtec.begin());
    thrust::copy(median.begin(), median.end(), out.median.begin());
    thrust::copy(iqr.begin(), iqr.end(), out.iqr.begin());
  } catch (const std::bad_alloc& e) {
    throw CudaError(std::string("DTEC on the GPU: out of device memory (") + e.what() +
                    "). Use the CPU (--device cpu) or free device memory.");
  } catch (const thrust::system_error& e) {
    throw CudaError(std::string("DTEC on the GPU failed: ") + e.what());
  }
}

AnomalyScan scan_anomalies_cuda(const std::vector<const float*>& dtec, const uint8_t* quiet,
                                size_t nnode, size_t ntime, double threshold) {
  const size_t n = nnode * ntime;
  AnomalyScan out;
  out.nnode = nnode;
  out.ntime = ntime;
  try {
    thrust::device_vector<uint8_t> quiet_d(quiet, quiet + ntime), consensus(n, 0), flags(n);
    thrust::device_vector<float> values(n);
    thrust::device_vector<int64_t> list(n);
    for (const float* d : dtec) {
      thrust::copy(d, d + n, values.begin());
      dtec_thrust::flag_anomalies(thrust::device, raw(values), raw(quiet_d),
                                  static_cast<int64_t>(nnode), static_cast<int64_t>(ntime),
                                  threshold, raw(flags), raw(consensus));
      const int64_t count = dtec_thrust::exceedance_indices(
          thrust::device, raw(values), static_cast<int64_t>(n), threshold, raw(list));
      out.anomaly.emplace_back(n);
      thrust::copy(flags.begin(), flags.end(), out.anomaly.back().begin());
      out.exceedances.emplace_back(static_cast<size_t>(count));
      thrust::copy(list.begin(), list.begin() + count, out.exceedances.back().begin());
    }
    out.consensus.resize(n);
    thrust::copy(consensus.begin(), consensus.end(), out.consensus.begin());
  } catch (const std::bad_alloc& e) {
    throw CudaError(std::string("anomaly flags on the GPU: out of device memory (") + e.what() +
                    "). Use the CPU (--device cpu) or free device memory.");
  } catch (const thrust::system_error& e) {
    throw CudaError(std::string("anomaly flags on the GPU failed: ") + e.what());
  }
  return out;
}

}  // namespace tecscan
