// The CUDA backend for the recurrent models (SimpleRNN, GRU, LSTM, CNN-LSTM), all nodes at once
// (built only when TECSCAN_HAVE_CUDA). Training reproduces train_node (train.hpp) step for step:
// the same initial weights, shuffles, minibatches, Adam steps and de-normalised predictions.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tecscan/adam.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/model.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {

// Which implementation runs the recurrence.
//  kFused: tecscan's kernels: one cuBLAS strided-batched GEMM over all nodes per matrix product
//          and fused element-wise gate kernels. Every model and activation of the paper, in
//          fp32, tf32 and bf16 (cuBLAS' tensor-core compute types; no 3xtf32).
//  kCudnn: cuDNN's RNN (v8 API), one call per node spread over streams. cuDNN only has tanh
//          cells: SimpleRNN, GRU (reset_after) and LSTM / CNN-LSTM with activation "tanh".
//  kBlock: the persistent path of the feed-forward models (kernels/recurrent_block.cuh): one
//          thread block per node runs a whole epoch, every product on tensor cores in the
//          training precision (all of fp32, 3xtf32, tf32, bf16 run on the GPU). Every model
//          and activation kFused runs. Slower than kFused in fp32 on an H200 (docs/gpu-rnn.md):
//          make_cuda_recurrent_block_trainer below.
//  kAuto:  kFused (it supports every model; see docs/gpu-rnn.md for the measured speeds). The
//          scan's backend (make_backend) chains the kBlock trainer behind it for 3xtf32, which
//          kFused does not compute.
enum class RnnImpl { kAuto, kFused, kCudnn, kBlock };

RnnImpl parse_rnn_impl(const std::string& name);  // auto | fused | cudnn | block, else InputError
const char* rnn_impl_name(RnnImpl impl);

// A Trainer for kRnn, kGru, kLstm, kCnnLstm on CUDA device `device`; supports() is false for
// the feed-forward models and for what `impl` cannot run, so a composite trainer falls back to
// the CPU. Nothing touches the GPU before train().
// max_chunk_nodes: nodes per launch (0 = as many as fit in ~70 % of free memory).
// cuda_graphs: RnnOptions::cuda_graphs. supports_train() is false for early stopping, and
// supports_precision() is true for what the path computes (fused: fp32, tf32, bf16; cuDNN:
// fp32), so other runs go to the next trainer of a composite (the block engine, the CPU).
// impl kBlock: make_cuda_recurrent_block_trainer (below) on `device` with that node chunk.
std::unique_ptr<Trainer> make_cuda_recurrent_trainer(int device, RnnImpl impl,
                                                     int max_chunk_nodes = 0,
                                                     bool cuda_graphs = false);

// Why `impl` cannot train (k, mc); "" when it can.
std::string rnn_unsupported_reason(ModelKind k, const ModelConfig& mc, RnnImpl impl);

// The kBlock trainer (cuda/ff_trainer.cu, the feed-forward trainer's driver with the recurrent
// block kernels): SimpleRNN, GRU (reset_after), LSTM and CNN-LSTM in every precision
// (supports_precision true), no early stopping; supports() is false for everything else. The node
// chunk, kernel (kNaive: the naive FP32 kernels) and device come from `options` (cuda_backend.hpp).
struct CudaTrainerOptions;
std::unique_ptr<Trainer> make_cuda_recurrent_block_trainer(const CudaTrainerOptions& options);

// Why the kBlock trainer does not take (k, mc); "" when it does.
std::string rnn_block_unsupported_reason(ModelKind k, const ModelConfig& mc);

// ---- lower-level entry points (tests, benchmarks) --------------------------------------------

// Where the engine runs.
//  kDevice:      the GPU, cuBLAS GEMMs.
//  kDeviceNaive: the GPU, naive kernels: rnn_forward() runs one thread per (node, sample)
//                straight from the Keras formulas; training uses a one-thread-per-output GEMM
//                kernel instead of cuBLAS.
//  kHost:        the same engine code on the CPU (GEMMs as loops with cuBLAS' semantics), so
//                the fused path is checked without a GPU. Slow: small models only.
enum class RnnExec { kDevice, kDeviceNaive, kHost };

struct RnnOptions {
  RnnImpl impl = RnnImpl::kFused;
  RnnExec exec = RnnExec::kDevice;
  int device = 0;
  int max_chunk_nodes = 0;  // nodes per launch; 0 = as many as fit in ~70 % of free memory
  // Capture one epoch of the fused path per chunk in a CUDA graph and replay it every epoch
  // (the cuDNN path always runs eagerly). Built to give bit-identical results to the eager
  // loop (same launches, same arguments; tests/gpu/test_gpu_graphs.cpp asserts it), and off by
  // default until those tests have run on a GPU.
  bool cuda_graphs = false;
};

// Per-node parameters are [node][parameter_count(k, mc)]; inputs x [node][batch][input_length]
// (oldest value first); targets and outputs [node][batch]; count [node] = valid rows (the rest
// is padding and does not contribute).

// precision: the GEMMs' arithmetic (rnn_precision_supported; rnn_train takes TrainConfig's).
std::vector<float> rnn_forward(const RnnOptions& o, ModelKind k, const ModelConfig& mc, int nnode,
                               int batch, const std::vector<float>& params,
                               const std::vector<float>& x, Precision precision = Precision::kFp32);

// Gradient of the batch-mean MSE of one minibatch per node; loss_sum [node] = sum of squared
// errors over the valid rows.
std::vector<float> rnn_gradient(const RnnOptions& o, ModelKind k, const ModelConfig& mc, int nnode,
                                int batch, const std::vector<float>& params,
                                const std::vector<float>& x, const std::vector<float>& target,
                                const std::vector<int>& count, std::vector<double>* loss_sum,
                                Precision precision = Precision::kFp32);

// Whether `impl` trains in precision p: fused (and auto) fp32, tf32 and bf16; cuDNN fp32; block
// every precision.
bool rnn_precision_supported(RnnImpl impl, Precision p);

// The naive forward of one sample on the host in double precision (the obviously-correct
// reference: Keras formulas straight from the flat layout).
double rnn_reference_forward(ModelKind k, const ModelConfig& mc, const double* params,
                             const double* x);

struct RnnTiming {
  double setup_s = 0;           // windows, initial weights, allocations (host wall time)
  std::vector<double> epoch_s;  // device time of each training epoch, all chunks (events)
  double predict_s = 0;         // device time of the predictions (events)
  long train_samples = 0;       // training targets summed over nodes (samples per epoch)
  std::string device;
};

// The whole Trainer::train (progress and timing may be null).
ModelRun rnn_train(const RnnOptions& o, ModelKind k, const ModelConfig& mc, const TrainConfig& tc,
                   const Cube& cube, Progress* progress, RnnTiming* timing);

}  // namespace tecscan
