// Launchers of the CNN kernels (cnn_kernels.cuh, ff_loop.cuh).
#include "cnn_kernels.cuh"

namespace tecscan {
namespace ff {

namespace {
using Fixed = CnnModel<CnnFixedDims<4, 2, 100, 2>>;  // the paper's Table 1 with window 4
bool is_fixed(const CnnDims& d) {
  return d.L == 4 && d.K == 2 && d.F == 100 && d.Pool == 2;
}
}  // namespace

int64_t cnn_fast_smem_bytes(const CnnDims& d, int batch) {
  return fast_smem_bytes(CnnModel<CnnDims>{d}, batch);
}

int64_t cnn_naive_acts_floats(const CnnDims& d, int batch) {
  return naive_acts_floats(CnnModel<CnnDims>{d}, batch);
}

void cnn_train_epoch(const CnnDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches) {
  if (naive)
    run_naive_epoch(CnnModel<CnnDims>{d}, a, epoch, max_batches);
  else if (is_fixed(d))
    run_fast_epoch(Fixed{}, a, epoch);
  else
    run_fast_epoch(CnnModel<CnnDims>{d}, a, epoch);
}

void cnn_predict(const CnnDims& d, const TrainArgs& a, bool naive, int max_predict) {
  if (naive)
    run_naive_predict(CnnModel<CnnDims>{d}, a, max_predict);
  else if (is_fixed(d))
    run_fast_predict(Fixed{}, a);
  else
    run_fast_predict(CnnModel<CnnDims>{d}, a);
}

}  // namespace ff
}  // namespace tecscan
