// Launchers of the MLP kernels (mlp_kernels.cuh, ff_loop.cuh).
#include <stdexcept>
#include <string>

#include "mlp_kernels.cuh"

namespace tecscan {
namespace ff {

namespace {
template <Precision P>
using Fixed = MlpModel<MlpFixedDims<4, 100>, P>;  // the paper's Table 1 with window 4
template <Precision P>
using Dynamic = MlpModel<MlpDims, P>;
bool is_fixed(const MlpDims& d) {
  return d.L == 4 && d.H == 100;
}

// f(model) with the model instantiated for d's sizes and the precision.
template <typename F>
void with_fast_model(const MlpDims& d, Precision precision, const F& f) {
  with_precision(precision, [&](auto tag) {
    constexpr Precision P = decltype(tag)::value;
    if (is_fixed(d))
      f(Fixed<P>{});
    else
      f(Dynamic<P>{d});
  });
}

}  // namespace

int64_t mlp_fast_smem_bytes(const MlpDims& d, int batch) {
  return fast_smem_bytes(MlpModel<MlpDims>{d}, batch);
}

int64_t mlp_naive_acts_floats(const MlpDims& d, int batch) {
  return naive_acts_floats(MlpModel<MlpDims>{d}, batch);
}

void mlp_train_epoch(const MlpDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches,
                     Precision precision, GpuStream stream) {
  require_fp32_naive("MLP", naive, precision);
  if (naive)
    run_naive_epoch(MlpModel<MlpDims>{d}, a, epoch, max_batches, stream);
  else
    with_fast_model(d, precision,
                    [&](const auto& model) { run_fast_epoch(model, a, epoch, false, stream); });
}

void mlp_predict(const MlpDims& d, const TrainArgs& a, bool naive, int max_predict,
                 Precision precision, GpuStream stream) {
  require_fp32_naive("MLP", naive, precision);
  if (naive)
    run_naive_predict(MlpModel<MlpDims>{d}, a, max_predict, stream);
  else
    with_fast_model(d, precision,
                    [&](const auto& model) { run_fast_predict(model, a, false, stream); });
}

}  // namespace ff
}  // namespace tecscan
