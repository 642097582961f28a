// Launchers of the recurrent block kernels (recurrent_block.cuh, ff_loop.cuh).
#include <stdexcept>
#include <string>

#include "device_buffer.hpp"
#include "recurrent_block.cuh"

namespace tecscan {
namespace ff {

namespace {

void check_shape(const rnn::RnnShape& s) {
  const std::string why = recurrent_block_unsupported_reason(s);
  if (!why.empty()) throw std::invalid_argument(why);
}
}  // namespace

std::string recurrent_block_unsupported_reason(const rnn::RnnShape& s) {
  if (s.kind != ModelKind::kRnn && s.kind != ModelKind::kGru && s.kind != ModelKind::kLstm &&
      s.kind != ModelKind::kCnnLstm)
    return std::string("the block recurrent kernels have no ") + model_name(s.kind);
  if (s.kind != ModelKind::kCnnLstm && (s.in != 1 || s.input_len != s.steps))
    return "the block recurrent kernels take one feature per step";
  return "";
}

int64_t recurrent_fast_bytes(const rnn::RnnShape& s, int batch) {
  return fast_smem_bytes(RecurrentBlockModel<>{s}, batch);
}

int64_t recurrent_naive_acts_floats(const rnn::RnnShape& s, int batch) {
  return naive_acts_floats(RecurrentBlockModel<>{s}, batch);
}

void recurrent_train_epoch(const rnn::RnnShape& s, const TrainArgs& a, int epoch, bool naive,
                           bool acts_in_global, int max_batches, Precision precision,
                           GpuStream stream) {
  check_shape(s);
  require_fp32_naive("recurrent", naive, precision);
  if (naive) {
    run_naive_epoch(RecurrentBlockModel<>{s}, a, epoch, max_batches, stream);
    return;
  }
  with_precision(precision, [&](auto tag) {
    run_fast_epoch(RecurrentBlockModel<decltype(tag)::value>{s}, a, epoch, acts_in_global, stream);
  });
}

void recurrent_predict(const rnn::RnnShape& s, const TrainArgs& a, bool naive, bool acts_in_global,
                       int max_predict, Precision precision, GpuStream stream) {
  check_shape(s);
  require_fp32_naive("recurrent", naive, precision);
  if (naive) {
    run_naive_predict(RecurrentBlockModel<>{s}, a, max_predict, stream);
    return;
  }
  with_precision(precision, [&](auto tag) {
    run_fast_predict(RecurrentBlockModel<decltype(tag)::value>{s}, a, acts_in_global, stream);
  });
}

namespace {

template <class M>
__global__ void __launch_bounds__(kFastThreads)
    step_kernel(M model, float* P, float* grad, float* v, float* wt, float* acts, const float* x,
                const float* target, int count, int batch, float* y) {
  const Block blk{};
  SmemCarver carver(acts);
  const RecurrentActs s = model.carve(carver, batch);
  model.transpose_weights(blk, P, wt);
  const int L = model.input_len();
  blk.parallel_for(count * L, [&](int i) { s.x[i] = x[i]; });
  blk.parallel_for(count, [&](int b) { s.tgt[b] = target[b]; });
  blk.sync();
  model.forward(blk, P, s, count);
  blk.parallel_for(count, [&](int b) {
    y[b] = s.y[b];
    s.dy[b] = loss_gradient(s.y[b], s.tgt[b], count);
  });
  blk.sync();
  AdamArgs adam;
  adam.beta1 = 0.0f;
  model.backward_adam(blk, P, grad, v, wt, s, count, 1e-3f, adam);
}

}  // namespace

RecurrentDeviceStep device_recurrent_step(Precision p, const rnn::RnnShape& s,
                                          const std::vector<float>& params,
                                          const std::vector<float>& x,
                                          const std::vector<float>& target, int count, int batch) {
  check_shape(s);
  return with_precision(p, [&](auto tag) {
    const RecurrentBlockModel<decltype(tag)::value> model{s};
    DeviceBuffer<float> dp, grad(params.size()), v(params.size()), dx, dtarget,
        acts(static_cast<size_t>(fast_smem_bytes(model, batch) / sizeof(float))), y(count),
        wt(static_cast<size_t>(model.transposed_size()));
    dp.upload(params);
    grad.fill_zero();
    v.fill_zero();
    dx.upload(x);
    dtarget.upload(target);
    step_kernel<<<1, kFastThreads>>>(model, dp.data(), grad.data(), v.data(), wt.data(),
                                     acts.data(), dx.data(), dtarget.data(), count, batch,
                                     y.data());
    CUDA_CHECK_LAUNCH();
    CUDA_CHECK(cudaDeviceSynchronize());
    return RecurrentDeviceStep{y.download(), grad.download()};
  });
}

}  // namespace ff
}  // namespace tecscan
