// rnn_cudnn.hpp for a build without cuDNN (TECSCAN_CUDNN=OFF, or AUTO where libcudnn9-dev is
// missing). The cuDNN path is an ablation of the fused recurrent path, so the backend stays
// whole: every model reports why the cuDNN implementation cannot run it, which is the message
// `--rnn-impl cudnn` shows, and nothing reaches the functions below that would need cuDNN.
#include <stdexcept>
#include <string>
#include <vector>

#include "rnn_cudnn.hpp"

namespace tecscan {
namespace rnn {

namespace {

[[noreturn]] void absent(const char* function) {
  throw std::logic_error(std::string(function) +
                         ": this tecscan was built without cuDNN; the cuDNN recurrent path "
                         "must be refused by cudnn_unsupported_reason() before this call");
}

}  // namespace

bool cudnn_compiled_in() {
  return false;
}

std::string cudnn_unsupported_reason(ModelKind, const ModelConfig&) {
  return "this tecscan was built without cuDNN (libcudnn9-dev): use --rnn-impl fused";
}

int keras_gate_of_cudnn(ModelKind, int) {
  absent("keras_gate_of_cudnn");
}

std::vector<long long> cudnn_weight_map(const RnnShape&, long long,
                                        const std::vector<CudnnLinLayer>&) {
  absent("cudnn_weight_map");
}

size_t cudnn_bytes_per_node(const RnnShape&, int) {
  absent("cudnn_bytes_per_node");
}

std::unique_ptr<RecurrentLayer> make_cudnn_layer(const RnnShape&, int, int, CUstream_st*) {
  absent("make_cudnn_layer");
}

}  // namespace rnn
}  // namespace tecscan
