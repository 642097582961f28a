// Launchers of the MLP kernels (mlp_kernels.cuh, ff_loop.cuh).
#include "mlp_kernels.cuh"

namespace tecscan {
namespace ff {

namespace {
using Fixed = MlpModel<MlpFixedDims<4, 100>>;  // the paper's Table 1 with window 4
bool is_fixed(const MlpDims& d) {
  return d.L == 4 && d.H == 100;
}
}  // namespace

int64_t mlp_fast_smem_bytes(const MlpDims& d, int batch) {
  return fast_smem_bytes(MlpModel<MlpDims>{d}, batch);
}

int64_t mlp_naive_acts_floats(const MlpDims& d, int batch) {
  return naive_acts_floats(MlpModel<MlpDims>{d}, batch);
}

void mlp_train_epoch(const MlpDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches) {
  if (naive)
    run_naive_epoch(MlpModel<MlpDims>{d}, a, epoch, max_batches);
  else if (is_fixed(d))
    run_fast_epoch(Fixed{}, a, epoch);
  else
    run_fast_epoch(MlpModel<MlpDims>{d}, a, epoch);
}

void mlp_predict(const MlpDims& d, const TrainArgs& a, bool naive, int max_predict) {
  if (naive)
    run_naive_predict(MlpModel<MlpDims>{d}, a, max_predict);
  else if (is_fixed(d))
    run_fast_predict(Fixed{}, a);
  else
    run_fast_predict(MlpModel<MlpDims>{d}, a);
}

}  // namespace ff
}  // namespace tecscan
