// Launchers of the CNN kernels (cnn_kernels.cuh, ff_loop.cuh).
#include <stdexcept>
#include <string>

#include "cnn_kernels.cuh"

namespace tecscan {
namespace ff {

namespace {
template <Precision P>
using Fixed = CnnModel<CnnFixedDims<4, 2, 100, 2>, P>;  // the paper's Table 1 with window 4
template <Precision P>
using Dynamic = CnnModel<CnnDims, P>;
bool is_fixed(const CnnDims& d) {
  return d.L == 4 && d.K == 2 && d.F == 100 && d.Pool == 2;
}

// f(model) with the model instantiated for d's sizes and the precision.
template <typename F>
void with_fast_model(const CnnDims& d, Precision precision, const F& f) {
  with_precision(precision, [&](auto tag) {
    constexpr Precision P = decltype(tag)::value;
    if (is_fixed(d))
      f(Fixed<P>{});
    else
      f(Dynamic<P>{d});
  });
}

}  // namespace

int64_t cnn_fast_smem_bytes(const CnnDims& d, int batch) {
  return fast_smem_bytes(CnnModel<CnnDims>{d}, batch);
}

int64_t cnn_naive_acts_floats(const CnnDims& d, int batch) {
  return naive_acts_floats(CnnModel<CnnDims>{d}, batch);
}

void cnn_train_epoch(const CnnDims& d, const TrainArgs& a, int epoch, bool naive, int max_batches,
                     Precision precision, GpuStream stream) {
  require_fp32_naive("CNN", naive, precision);
  if (naive)
    run_naive_epoch(CnnModel<CnnDims>{d}, a, epoch, max_batches, stream);
  else
    with_fast_model(d, precision,
                    [&](const auto& model) { run_fast_epoch(model, a, epoch, false, stream); });
}

void cnn_predict(const CnnDims& d, const TrainArgs& a, bool naive, int max_predict,
                 Precision precision, GpuStream stream) {
  require_fp32_naive("CNN", naive, precision);
  if (naive)
    run_naive_predict(CnnModel<CnnDims>{d}, a, max_predict, stream);
  else
    with_fast_model(d, precision,
                    [&](const auto& model) { run_fast_predict(model, a, false, stream); });
}

}  // namespace ff
}  // namespace tecscan
