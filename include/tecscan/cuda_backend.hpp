// The CUDA backend's public entry points (built only when TECSCAN_HAVE_CUDA). Nothing here
// needs CUDA headers; errors from the CUDA runtime are thrown as std::runtime_error subclasses
// (CudaError) whose message names the call and what to do.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tecscan/cube.hpp"
#include "tecscan/dtec.hpp"
#include "tecscan/model.hpp"
#include "tecscan/time.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {

// Number of usable CUDA devices; 0 when the driver or a device is missing (never throws).
int cuda_device_count();

// "NVIDIA H200 (cuda:0, sm_90, 139.8 GiB)". Throws when the device does not exist.
std::string cuda_device_description(int device);

// ---- feed-forward models (MLP, CNN) ----------------------------------------------------------

// Which kernels train: kFast = one thread block per node running whole epochs (activations in
// shared memory); kNaive = one thread per (node, sample) or (node, parameter), one launch per
// stage and minibatch: slow, obviously correct, the fast path's cross-check. The fast path
// falls back to the naive one (with a note on stderr) when a node's minibatch does not fit in
// a block's shared memory (very large mlp_hidden / cnn_filters / batch).
enum class FfKernel { kFast, kNaive };

struct CudaTrainerOptions {
  int device = 0;
  FfKernel kernel = FfKernel::kFast;
  size_t node_chunk = 0;  // nodes trained per launch; 0 = as many as fit in free device memory
  bool verbose = true;    // notes (fallbacks, chunking) on stderr
};

// A Trainer for MLP and CNN on one GPU: the CPU reference's training (train.hpp) step for step,
// all nodes of a chunk per launch. supports() is false where cuda_ff_unsupported_reason() gives
// a reason, so a composite trainer falls back to the CPU. Nothing touches the GPU before train().
std::unique_ptr<Trainer> make_cuda_feedforward_trainer(const CudaTrainerOptions& options = {});

// Why the GPU feed-forward trainer does not take (k, mc); "" when it does: a recurrent model,
// sizes model.hpp rejects, or a minibatch of 32 whose activations exceed a thread block's
// shared memory on sm_90 (227 KiB: mlp_hidden above ~450, cnn_filters above ~180 at window 4).
std::string cuda_ff_unsupported_reason(ModelKind k, const ModelConfig& mc);

// ---- DTEC and anomalies (Thrust) ---------------------------------------------------------------

// compute_dtec_cpu's contract (detect.hpp) on the GPU: a DtecFn. Host arrays in and out; the
// median and IQR come from a segmented sort and stats.hpp's quantile_sorted, so they equal the
// CPU's (bitwise, up to the device's fused multiply-adds in the interpolation).
void compute_dtec_cuda(const float* observed, const float* predicted, size_t nnode, size_t ntime,
                       const TimeS* time, DtecScope scope, const uint8_t* stats_mask,
                       DtecOutput& out);

struct AnomalyScan {
  size_t nnode = 0, ntime = 0;
  std::vector<std::vector<uint8_t>>
      anomaly;                     // [detector][node * ntime + time]: quiet AND |DTEC| > threshold
  std::vector<uint8_t> consensus;  // [node * ntime + time]: detectors flagging
  std::vector<std::vector<int64_t>> exceedances;  // [detector]: node * ntime + time with |DTEC| >
                                                  // threshold, quiet or not, ascending
};
// dtec: one [node][time] host array per detector; quiet: [time] (quiet_mask).
AnomalyScan scan_anomalies_cuda(const std::vector<const float*>& dtec, const uint8_t* quiet,
                                size_t nnode, size_t ntime, double threshold);

// ---- lower-level entry points for the GPU tests and benchmarks ----------------------------------

struct CudaFfDetail {
  ModelRun run;
  std::vector<float> params;          // [node][nparam] after training
  std::vector<float> step_loss;       // [node][max_steps]: loss of each minibatch before its update
  int max_steps = 0;                  // NaN after a node's last step
  double train_kernel_seconds = 0;    // device time of all epochs (all chunks), cudaEvent
  double predict_kernel_seconds = 0;  // device time of the predictions
  bool used_fast_kernel = false;
};
CudaFfDetail cuda_ff_train_detail(ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                                  const Cube& cube, const CudaTrainerOptions& options,
                                  Progress* progress = nullptr);

// One forward pass per sample: params [node][nparam], x [node][nsample][input_length] ->
// y [node][nsample], in minibatches of `batch` samples (the prediction kernels).
std::vector<float> cuda_ff_forward(ModelKind k, const ModelConfig& mc,
                                   const std::vector<float>& params, const std::vector<float>& x,
                                   int nnode, int nsample, int batch, FfKernel kernel,
                                   int device = 0);

}  // namespace tecscan
