// The training backend for a scan: which device trains each model and where DTEC is computed,
// from [scan] device and the GPU options. One place for the device choice and its fallbacks,
// so the command line, the tests and any other caller get the same backend.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "tecscan/config.hpp"
#include "tecscan/detect.hpp"
#include "tecscan/scan.hpp"

namespace tecscan {

struct BackendOptions {
  std::string rnn_impl = "auto";  // recurrent models on the GPU: auto | fused | cudnn | block
  int gpu_node_chunk = 0;         // nodes trained per GPU launch; 0 = sized from free memory
  // Replay each epoch of the fused recurrent path from a CUDA graph (RnnOptions::cuda_graphs).
  // Off by default until the GPU tests have confirmed bit-identity with eager execution on a
  // GPU (scan --cuda-graphs).
  bool cuda_graphs = false;
};

struct Backend {
  // The trainers most preferred first (the GPU's feed-forward and recurrent trainers when a GPU
  // is used), the CPU trainer last, so a model the GPU cannot run trains on the CPU.
  std::unique_ptr<CompositeTrainer> trainer;
  DtecFn dtec = compute_dtec_cpu;  // the GPU's version when the GPU trains (ScanOptions::dtec)
  bool gpu = false;                // whether the GPU trainers lead the chain
  std::string description;         // "cpu" or the GPU, e.g. "NVIDIA H200 (cuda:0, sm_90, ...)"
  // Lines for the user, in order (the command line prints them on stderr): the GPU in use
  // ("device: ..."), or why device "auto" runs on the CPU ("note: ...").
  std::vector<std::string> notes;
};

// The backend for config.scan.device: "cpu"; "cuda" (alias "gpu"), which throws InputError
// naming the fix when this build has no CUDA backend or no usable device is visible; "auto",
// the GPU when one is usable, else the CPU with a note saying why. The CPU trainer uses
// config.scan.threads. An unknown device or rnn_impl throws InputError.
Backend make_backend(const ScanConfig& config, const BackendOptions& options = {});

// Whether this build has the CUDA backend, and how many usable CUDA devices it sees (0 without
// the backend, a driver or a GPU; never throws).
bool cuda_backend_built();
int usable_cuda_devices();

}  // namespace tecscan
