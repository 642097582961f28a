// The scan's backend from [scan] device: the CPU on request, "auto" falling back to the CPU with
// a note, "cuda" refused with the fix where no GPU can be used, and the trainer chain that
// sends each model to the first trainer that runs it. The GPU cases run where a usable device
// is visible in a CUDA build; elsewhere the same tests check the CPU answers.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "support/input_error.hpp"
#include "support/synthetic_event.hpp"
#include "tecscan/precision.hpp"
#include "tecscan/trainer_factory.hpp"

namespace tecscan {
namespace {

using tecscan::testing::input_error;

using DtecPointer = void (*)(const float*, const float*, size_t, size_t, const TimeS*, DtecScope,
                             const uint8_t*, DtecOutput&);

bool dtec_is_cpu(const Backend& b) {
  const DtecPointer* fn = b.dtec.target<DtecPointer>();
  return fn && *fn == &compute_dtec_cpu;
}

ScanConfig with_device(const std::string& device) {
  ScanConfig c;
  c.scan.device = device;
  c.scan.threads = 1;
  return c;
}

bool gpu_usable() {
  return cuda_backend_built() && usable_cuda_devices() > 0;
}

TEST(TrainerFactory, CpuDeviceTrainsEveryModelOnTheCpuWithoutNotes) {
  Backend b = make_backend(with_device("cpu"));
  ASSERT_NE(b.trainer, nullptr);
  EXPECT_FALSE(b.gpu);
  EXPECT_EQ(b.description, "cpu");
  EXPECT_TRUE(b.notes.empty()) << b.notes.front();
  EXPECT_TRUE(dtec_is_cpu(b));
  EXPECT_EQ(b.trainer->name(), "cpu");
  const ModelConfig mc;
  for (ModelKind k : all_models()) {
    ASSERT_NE(b.trainer->choose(k, mc), nullptr) << model_name(k);
    EXPECT_EQ(b.trainer->choose(k, mc)->name(), "cpu") << model_name(k);
  }

  // The backend really trains: a small MLP on a synthetic event, on the CPU.
  tecscan::testing::SyntheticEventOptions o;
  o.days_before = 6;
  o.days_after = 1;
  const Cube cube = tecscan::testing::synthetic_event(o);
  ModelConfig small;
  small.mlp_hidden = 4;
  TrainConfig tc;
  tc.epochs = 2;
  const ModelRun run = b.trainer->train(ModelKind::kMlp, small, tc, cube, nullptr);
  EXPECT_EQ(run.device.rfind("cpu", 0), 0u) << run.device;
  ASSERT_EQ(run.predicted.size(), cube.nnode() * cube.ntime());
  size_t finite = 0;
  for (float v : run.predicted) finite += std::isfinite(v);
  EXPECT_GT(finite, cube.nnode() * cube.ntime() / 2);
}

TEST(TrainerFactory, AutoWithoutAUsableGpuRunsOnTheCpuAndSaysWhy) {
  Backend b = make_backend(with_device("auto"));
  ASSERT_NE(b.trainer, nullptr);
  if (gpu_usable()) {
    EXPECT_TRUE(b.gpu);
    EXPECT_FALSE(dtec_is_cpu(b));
    ASSERT_EQ(b.notes.size(), 1u);
    EXPECT_EQ(b.notes[0], "device: " + b.description);
    return;
  }
  EXPECT_FALSE(b.gpu);
  EXPECT_TRUE(dtec_is_cpu(b));
  EXPECT_EQ(b.trainer->name(), "cpu");
  ASSERT_EQ(b.notes.size(), 1u);
  const std::string& note = b.notes[0];
  EXPECT_EQ(note.rfind("note: ", 0), 0u) << note;
  if (cuda_backend_built())
    EXPECT_NE(note.find("falling back to the CPU backend"), std::string::npos) << note;
  else
    EXPECT_NE(note.find("built without the CUDA backend: running on the CPU of "),
              std::string::npos)
        << note;
}

TEST(TrainerFactory, CudaWithoutAUsableGpuIsRefusedWithTheFix) {
  if (gpu_usable()) GTEST_SKIP() << "a usable GPU is visible: --device cuda is accepted here";
  // The config stores "cuda"; a caller may still set the "gpu" alias directly.
  for (const char* device : {"cuda", "gpu"}) {
    const std::string message = input_error([&] { make_backend(with_device(device)); });
    EXPECT_NE(message.find("--device cuda"), std::string::npos) << device << ": " << message;
    EXPECT_NE(message.find("--device cpu"), std::string::npos) << device << ": " << message;
    EXPECT_NE(message.find(cuda_backend_built() ? "no usable CUDA device"
                                                : "rebuild with the CUDA Toolkit"),
              std::string::npos)
        << device << ": " << message;
  }
}

TEST(TrainerFactory, UnknownDeviceRnnImplAndChunkAreRefused) {
  EXPECT_NE(input_error([] { make_backend(with_device("tpu")); }).find("'tpu'"), std::string::npos);
  BackendOptions bad_impl;
  bad_impl.rnn_impl = "fast";
  const std::string impl = input_error([&] { make_backend(with_device("cpu"), bad_impl); });
  EXPECT_NE(impl.find("'fast'"), std::string::npos) << impl;
  EXPECT_NE(impl.find("auto, fused, cudnn or block"), std::string::npos) << impl;
  BackendOptions bad_chunk;
  bad_chunk.gpu_node_chunk = -1;
  EXPECT_NE(input_error([&] { make_backend(with_device("cpu"), bad_chunk); }).find("-1"),
            std::string::npos);
  for (const char* impl_name : {"auto", "fused", "cudnn", "block"}) {
    BackendOptions ok;
    ok.rnn_impl = impl_name;
    EXPECT_NO_THROW(make_backend(with_device("cpu"), ok)) << impl_name;
    // On the CPU a GPU engine asked for by name changes nothing, and the scan says so.
    const Backend b = make_backend(with_device("cpu"), ok);
    const std::string notes = b.notes.empty() ? "" : b.notes.front();
    if (std::string(impl_name) == "auto") {
      EXPECT_TRUE(b.notes.empty()) << notes;
    } else {
      ASSERT_EQ(b.notes.size(), 1u);
      EXPECT_NE(notes.find(std::string("--rnn-impl ") + impl_name + " has no effect"),
                std::string::npos)
          << notes;
    }
  }
  BackendOptions graphs;
  graphs.cuda_graphs = true;
  const Backend b = make_backend(with_device("cpu"), graphs);
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes.front().find("--cuda-graphs has no effect"), std::string::npos)
      << b.notes.front();
}

// Each model goes to the first trainer of the chain that runs it: with a GPU the feed-forward
// and recurrent trainers take what they support and the CPU the rest (here the sigmoid LSTM,
// which cuDNN cannot run); without one every model reaches the CPU trainer at the end.
TEST(TrainerFactory, TheChainFallsBackPerModel) {
  BackendOptions cudnn;
  cudnn.rnn_impl = "cudnn";
  Backend b = make_backend(with_device("auto"), cudnn);
  ModelConfig mc;
  mc.lstm_activation = Activation::kSigmoid;
  auto chosen = [&](ModelKind k) {
    Trainer* t = b.trainer->choose(k, mc);
    return t ? t->name() : std::string("none");
  };
  if (gpu_usable()) {
    EXPECT_EQ(chosen(ModelKind::kMlp), "cuda-ff");
    EXPECT_EQ(chosen(ModelKind::kCnn), "cuda-ff");
    EXPECT_EQ(chosen(ModelKind::kGru), "cuda-rnn-cudnn");
    EXPECT_EQ(chosen(ModelKind::kLstm), "cpu");  // cuDNN has tanh cells only
    EXPECT_EQ(b.trainer->name(), "cuda-ff+cuda-rnn-cudnn+cpu");
  } else {
    for (ModelKind k : all_models()) EXPECT_EQ(chosen(k), "cpu") << model_name(k);
    EXPECT_EQ(b.trainer->name(), "cpu");
  }
  for (ModelKind k : all_models()) EXPECT_TRUE(b.trainer->supports(k, mc)) << model_name(k);
}

// --rnn-impl block: every recurrent model to the block trainer (with a GPU).
TEST(TrainerFactory, BlockImplTakesEveryRecurrentModel) {
  BackendOptions block;
  block.rnn_impl = "block";
  Backend b = make_backend(with_device("auto"), block);
  const ModelConfig mc;
  auto chosen = [&](ModelKind k) {
    Trainer* t = b.trainer->choose(k, mc);
    return t ? t->name() : std::string("none");
  };
  if (gpu_usable()) {
    EXPECT_EQ(chosen(ModelKind::kMlp), "cuda-ff");
    for (ModelKind k : {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm, ModelKind::kCnnLstm})
      EXPECT_EQ(chosen(k), "cuda-rnn-block") << model_name(k);
    EXPECT_EQ(b.trainer->name(), "cuda-ff+cuda-rnn-block+cpu");
  } else {
    for (ModelKind k : all_models()) EXPECT_EQ(chosen(k), "cpu") << model_name(k);
  }
}

// --rnn-impl auto: the recurrent models to the fused trainer in fp32, tf32 and bf16 (cuBLAS'
// compute types) and to the block trainer in 3xtf32, which fused does not compute (not to the
// CPU's emulation); the feed-forward models to cuda-ff in every precision. Without a GPU: the
// CPU in all of them.
TEST(TrainerFactory, AutoSends3xtf32ToTheBlockEngineAndTheRestToFused) {
  Backend b = make_backend(with_device("auto"));
  const ModelConfig mc;
  auto chosen = [&](ModelKind k, Precision p) {
    TrainConfig tc;
    tc.precision = p;
    Trainer* t = b.trainer->choose(k, mc, tc);
    return t ? t->name() : std::string("none");
  };
  const ModelKind recurrent[] = {ModelKind::kRnn, ModelKind::kGru, ModelKind::kLstm,
                                 ModelKind::kCnnLstm};
  for (Precision p : {Precision::kFp32, Precision::kTf32x3, Precision::kTf32, Precision::kBf16}) {
    if (gpu_usable()) {
      EXPECT_EQ(chosen(ModelKind::kMlp, p), "cuda-ff") << precision_name(p);
      EXPECT_EQ(chosen(ModelKind::kCnn, p), "cuda-ff") << precision_name(p);
      for (ModelKind k : recurrent)
        EXPECT_EQ(chosen(k, p), p == Precision::kTf32x3 ? "cuda-rnn-block" : "cuda-rnn-fused")
            << model_name(k) << " " << precision_name(p);
    } else {
      for (ModelKind k : all_models()) EXPECT_EQ(chosen(k, p), "cpu") << model_name(k);
    }
  }
  if (gpu_usable()) {
    EXPECT_EQ(b.trainer->name(), "cuda-ff+cuda-rnn-fused+cuda-rnn-block+cpu");
  }
  // Early stopping still goes to the CPU, the only trainer that has it.
  TrainConfig patience;
  patience.patience = 5;
  EXPECT_EQ(b.trainer->choose(ModelKind::kLstm, mc, patience)->name(), "cpu");
}

}  // namespace
}  // namespace tecscan
