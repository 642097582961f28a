// CTest cudnn_variant: the CUDA backend built with or without cuDNN (TECSCAN_CUDNN) behaves as
// that build promises, without a GPU (every call below is refused before any device work).
// Without cuDNN: the cuDNN implementation refuses every model with one clear reason, which is
// the message of `--rnn-impl cudnn`, while auto (= fused) still runs every recurrent model, and
// the functions that would need cuDNN throw. With cuDNN: the tanh recurrent models run on it.
// TECSCAN_EXPECT_CUDNN (1 or 0) is what CMake configured.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "rnn_cudnn.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/model.hpp"

namespace {

using namespace tecscan;

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  }
}

const std::vector<ModelKind> kRecurrent = {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm,
                                           ModelKind::kCnnLstm};

void check_without_cudnn() {
  const std::string message =
      "this tecscan was built without cuDNN (libcudnn9-dev): use --rnn-impl fused";
  const ModelConfig mc;
  const auto cudnn = make_cuda_recurrent_trainer(0, RnnImpl::kCudnn);
  const auto automatic = make_cuda_recurrent_trainer(0, RnnImpl::kAuto);
  for (ModelKind k : all_models()) {
    const std::string got = rnn_unsupported_reason(k, mc, RnnImpl::kCudnn);
    check(got == message, std::string(model_name(k)) + ": cudnn reason is '" + got + "'");
    check(!cudnn->supports(k, mc), std::string(model_name(k)) + ": the cudnn trainer takes it");
  }
  for (ModelKind k : kRecurrent) {
    const std::string got = rnn_unsupported_reason(k, mc, RnnImpl::kAuto);
    check(got.empty(), std::string(model_name(k)) + ": auto refuses it: " + got);
    check(automatic->supports(k, mc), std::string(model_name(k)) + ": auto trainer refuses it");
  }
  // The lower-level entry points refuse cuDNN with the same reason, before touching a GPU.
  RnnOptions o;
  o.impl = RnnImpl::kCudnn;
  try {
    rnn_forward(o, ModelKind::kGru, mc, 1, 1, {}, {});
    check(false, "rnn_forward with cuDNN did not throw");
  } catch (const std::invalid_argument& e) {
    check(std::string(e.what()).find(message) != std::string::npos,
          std::string("rnn_forward with cuDNN: ") + e.what());
  }
  try {
    rnn::make_cudnn_layer(rnn::RnnShape(), 1, 1, nullptr);
    check(false, "make_cudnn_layer did not throw");
  } catch (const std::logic_error& e) {
    check(std::string(e.what()).find("without cuDNN") != std::string::npos,
          std::string("make_cudnn_layer: ") + e.what());
  }
}

void check_with_cudnn() {
  const ModelConfig mc;
  for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru}) {  // tanh cells by definition
    const std::string got = rnn_unsupported_reason(k, mc, RnnImpl::kCudnn);
    check(got.empty(), std::string(model_name(k)) + ": cudnn refuses it: " + got);
  }
}

}  // namespace

int main() {
  const bool expected = TECSCAN_EXPECT_CUDNN;
  check(rnn::cudnn_compiled_in() == expected, std::string("cudnn_compiled_in() is ") +
                                                  (expected ? "false" : "true") +
                                                  " where CMake configured the opposite");
  if (expected)
    check_with_cudnn();
  else
    check_without_cudnn();
  std::printf("cudnn_variant (%s cuDNN): %s\n", expected ? "with" : "without",
              failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
