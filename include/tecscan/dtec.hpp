// The DTEC types both backends compute (detect.hpp's compute_dtec_cpu, cuda_backend.hpp's
// compute_dtec_cuda): a header of its own so the CUDA backend does not depend on the pipeline.
#pragma once
#include <cstddef>
#include <vector>

namespace tecscan {

enum class DtecScope {
  kWholeSeries,  // one median/IQR per node and model over the whole series (the paper)
  kPerUtcHour    // one per node, model and UTC hour of day
};

struct DtecOutput {
  size_t nnode = 0, ntime = 0, ngroup = 0;  // ngroup = 1 (whole series) or 24 (per UTC hour)
  std::vector<float> delta;  // [node][time] observed - predicted, TECU (NaN when either is)
  std::vector<float>
      dtec;  // [node][time] (delta - median) / IQR; NaN when delta is NaN or IQR == 0
  std::vector<double> median;  // [node][group]
  std::vector<double> iqr;     // [node][group]
};

}  // namespace tecscan
