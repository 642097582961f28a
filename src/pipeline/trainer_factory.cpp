#include "tecscan/trainer_factory.hpp"

#include <unistd.h>

#include <string>
#include <utility>

#include "tecscan/config.hpp"
#include "tecscan/error.hpp"
#include "tecscan/model.hpp"
#include "tecscan/model_registry.hpp"
#include "tecscan/trainer.hpp"
#ifdef TECSCAN_HAVE_CUDA
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#endif

namespace tecscan {

namespace {

// The node a batch task landed on, for notes that explain why it runs on the CPU.
std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "this node";
}

// The device as the config stores it: "gpu" is accepted as an alias of "cuda".
std::string checked_device(const std::string& device) {
  if (device == "gpu") return "cuda";
  if (device == "auto" || device == "cpu" || device == "cuda") return device;
  throw InputError("device '" + device + "': expected auto, cpu or cuda");
}

// Checked in every build, so a wrong value is refused whether or not a GPU is there to use it.
void check_rnn_impl(const std::string& name) {
  if (name != "auto" && name != "fused" && name != "cudnn" && name != "block")
    throw InputError("unknown recurrent GPU implementation '" + name +
                     "': expected auto, fused, cudnn or block");
}

}  // namespace

bool cuda_backend_built() {
#ifdef TECSCAN_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int usable_cuda_devices() {
#ifdef TECSCAN_HAVE_CUDA
  return cuda_device_count();
#else
  return 0;
#endif
}

Backend make_backend(const ScanConfig& config, const BackendOptions& options) {
  const std::string device = checked_device(config.scan.device);
  check_rnn_impl(options.rnn_impl);
  if (options.gpu_node_chunk < 0)
    throw InputError("gpu_node_chunk = " + std::to_string(options.gpu_node_chunk) +
                     ": expected a count >= 0 (0 = sized from free device memory)");
  const bool cuda_graphs = options.cuda_graphs;
  Backend backend;
  backend.description = "cpu";
  std::vector<std::unique_ptr<Trainer>> chain;
#ifdef TECSCAN_HAVE_CUDA
  const int ngpu = cuda_device_count();
  if (device == "cuda" && ngpu == 0)
    throw InputError(
        "--device cuda: no usable CUDA device (driver missing or no GPU visible); "
        "use --device cpu or auto");
  if (device == "auto" && ngpu == 0)
    backend.notes.push_back("note: no usable CUDA device on " + host_name() +
                            " (no GPU visible or no driver): falling back to the CPU backend");
  if (device != "cpu" && ngpu > 0) {
    backend.description = cuda_device_description(0);
    backend.notes.push_back("device: " + backend.description);
    CudaTrainerOptions feedforward;
    feedforward.node_chunk = static_cast<size_t>(options.gpu_node_chunk);
    chain.push_back(make_cuda_feedforward_trainer(feedforward));
    const RnnImpl rnn_impl = parse_rnn_impl(options.rnn_impl);
    chain.push_back(make_cuda_recurrent_trainer(0, rnn_impl, options.gpu_node_chunk, cuda_graphs));
    // auto: fused for fp32 (the fastest, measured on an H200: docs/gpu-rnn.md), tf32 and bf16
    // (cuBLAS' tensor-core compute types), and the block engine for 3xtf32, which fused does not
    // compute (without it those runs would train on the CPU's emulation: hours at the paper's
    // size).
    if (rnn_impl == RnnImpl::kAuto) chain.push_back(make_cuda_recurrent_block_trainer(feedforward));
    if (cuda_graphs) backend.notes.push_back("note: recurrent epochs replayed from CUDA graphs");
    // cuDNN asked for by name: say why a recurrent model cannot take it (a tanh-only cell, a
    // build without cuDNN) instead of the composite's generic "training on cpu".
    if (rnn_impl == RnnImpl::kCudnn)
      for (ModelKind k : neural_models(config)) {
        if (model_entry(k).gpu != GpuPath::kRecurrent) continue;
        const std::string why = rnn_unsupported_reason(k, config.model, rnn_impl);
        if (!why.empty())
          backend.notes.push_back(std::string("note: --rnn-impl cudnn cannot train ") +
                                  model_name(k) + ": " + why);
      }
    backend.dtec = compute_dtec_cuda;
    backend.gpu = true;
  }
#else
  (void)cuda_graphs;  // checked in every build; only the GPU uses it
  if (device == "cuda")
    throw InputError(
        "--device cuda: this tecscan was built without the CUDA backend (no nvcc at "
        "build time); rebuild with the CUDA Toolkit or use --device cpu");
  if (device == "auto")
    backend.notes.push_back(
        "note: this tecscan was built without the CUDA backend: running on "
        "the CPU of " +
        host_name());
#endif
  // The GPU-only options are checked above in every build; on the CPU they would change nothing.
  if (!backend.gpu && options.rnn_impl != "auto")
    backend.notes.push_back("note: --rnn-impl " + options.rnn_impl +
                            " has no effect: the recurrent models train on the CPU");
  if (!backend.gpu && cuda_graphs)
    backend.notes.push_back("note: --cuda-graphs has no effect: the models train on the CPU");
  chain.push_back(make_cpu_trainer(config.scan.threads));
  backend.trainer = std::make_unique<CompositeTrainer>(std::move(chain));
  return backend;
}

}  // namespace tecscan
