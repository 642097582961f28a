// Recurrent models on the GPU: time per training epoch, fused vs cuDNN, for synthetic cubes of
// N nodes x 660 epochs (55 days of 2-hour maps), against the FP32 peak measured with a large
// cublasSgemm and against the CPU trainer on all cores for the same work.
//
//   bench_gpu_rnn [--nodes=100,175,1000] [--epochs=3] [--cpu-nodes=0] [--models=...] [--no-cpu]
//
// Epoch time = median of the epochs after the first (the first pays cuBLAS/cuDNN warm-up).
// FLOP/s = forward_flops_per_sample x 3 (forward + backward) x training samples / epoch time.
// CPU: the CPU trainer (all hardware threads) on --cpu-nodes nodes (default 2 per thread) for 1
// and 3 epochs; (t3 - t1) / 2 per epoch, extrapolated linearly to N nodes (the nodes are
// independent, so the CPU's time is linear in N).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/cuda_recurrent.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {
namespace {

constexpr int kTimeSteps = 660;

struct Variant {
  const char* label;
  ModelKind kind;
  bool tanh_cells;  // LSTM / CNN-LSTM with tanh (what cuDNN can run)
};

const Variant kVariants[] = {
    {"rnn", ModelKind::kRnn, false},          {"gru", ModelKind::kGru, false},
    {"lstm", ModelKind::kLstm, false},        {"lstm-tanh", ModelKind::kLstm, true},
    {"cnn-lstm", ModelKind::kCnnLstm, false}, {"cnn-lstm-tanh", ModelKind::kCnnLstm, true}};

ModelConfig config_of(const Variant& v) {
  ModelConfig mc;  // the paper's sizes
  if (v.tanh_cells) mc.lstm_activation = mc.cnnlstm_activation = Activation::kTanh;
  return mc;
}

// Diurnal TEC-like series with noise and a few gaps, a different phase per node.
Cube synthetic_cube(int nnode) {
  Cube c;
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (int n = 0; n < nnode; ++n) {
    c.node_lat.push_back(n * 0.1);
    c.node_lon.push_back(0.0);
    c.node_distance_km.push_back(n);
  }
  for (int t = 0; t < kTimeSteps; ++t) c.time.push_back(static_cast<TimeS>(t) * 7200);
  c.tec.resize(static_cast<size_t>(nnode) * kTimeSteps);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < kTimeSteps; ++t) {
      float v = 25.0f + 10.0f * std::sin(6.2831853f * t / 12.0f + 0.01f * n) + noise(rng);
      if ((t + n) % 97 == 0) v = NAN;
      c.tec[static_cast<size_t>(n) * kTimeSteps + t] = v;
    }
  return c;
}

// FP32 (no TF32) SGEMM throughput of an 8192^3 product, TFLOP/s.
double measure_fp32_peak() {
  const int n = 8192;
  DeviceBuffer<float> a(static_cast<size_t>(n) * n), b(a.size()), c(a.size());
  a.fill_zero();
  b.fill_zero();
  cublasHandle_t h;
  CUBLAS_CHECK(cublasCreate(&h));
  CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  const float one = 1.0f, zero = 0.0f;
  auto run = [&] {
    CUBLAS_CHECK(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(), n, b.data(), n,
                             &zero, c.data(), n));
  };
  run();  // warm-up
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  const int reps = 5;
  CUDA_CHECK(cudaEventRecord(start));
  for (int i = 0; i < reps; ++i) run();
  CUDA_CHECK(cudaEventRecord(stop));
  CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cublasDestroy(h);
  return 2.0 * n * n * static_cast<double>(n) * reps / (ms * 1e-3) / 1e12;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double wall_seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(std::atoi(item.c_str()));
  return out;
}

struct Args {
  std::vector<int> nodes{100, 175, 1000};
  int epochs = 3;
  int cpu_nodes = 0;  // 0: two per hardware thread
  bool cpu = true;
  std::vector<std::string> models;  // empty: all variants
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto value = [&](const char* key) {
      const std::string k = std::string(key) + "=";
      return s.rfind(k, 0) == 0 ? s.substr(k.size()) : std::string();
    };
    if (!value("--nodes").empty()) {
      a.nodes = parse_list(value("--nodes"));
    } else if (!value("--epochs").empty()) {
      a.epochs = std::max(2, std::atoi(value("--epochs").c_str()));
    } else if (!value("--cpu-nodes").empty()) {
      a.cpu_nodes = std::atoi(value("--cpu-nodes").c_str());
    } else if (s == "--no-cpu") {
      a.cpu = false;
    } else if (!value("--models").empty()) {
      std::stringstream in(value("--models"));
      std::string m;
      while (std::getline(in, m, ',')) a.models.push_back(m);
    } else {
      std::fprintf(stderr,
                   "usage: bench_gpu_rnn [--nodes=100,175,1000] [--epochs=3] [--cpu-nodes=N] "
                   "[--no-cpu] [--models=rnn,gru,lstm,lstm-tanh,cnn-lstm,cnn-lstm-tanh]\n");
      std::exit(2);
    }
  }
  return a;
}

int run(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (cuda_device_count() == 0) {
    std::printf("bench_gpu_rnn: no CUDA device, nothing to measure\n");
    return 0;
  }
  cudaDeviceProp prop;
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  const double peak = measure_fp32_peak();
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int cpu_nodes = args.cpu_nodes > 0 ? args.cpu_nodes : 2 * threads;
  std::printf("# Recurrent models on %s: FP32 SGEMM peak %.1f TFLOP/s (8192^3, no TF32)\n",
              prop.name, peak);
  std::printf(
      "Synthetic cubes of N nodes x %d time steps, paper sizes, batch 32, %d epochs per "
      "run (median of epochs 2..%d).\n",
      kTimeSteps, args.epochs, args.epochs);
  if (args.cpu)
    std::printf(
        "CPU column: the CPU trainer with %d threads measured on %d nodes for 1 and 3 "
        "epochs, (t3 - t1) / 2 per epoch, EXTRAPOLATED linearly to N nodes.\n",
        threads, cpu_nodes);
  std::printf(
      "\n| model | impl | nodes | epoch (ms) | samples/s | GFLOP/s | %% of peak | "
      "CPU epoch (s) | speed-up |\n|---|---|---|---|---|---|---|---|---|\n");

  for (const Variant& v : kVariants) {
    if (!args.models.empty() &&
        std::find(args.models.begin(), args.models.end(), v.label) == args.models.end())
      continue;
    const ModelConfig mc = config_of(v);
    TrainConfig tc;
    double cpu_epoch_per_node = NAN;
    if (args.cpu) {
      const Cube cube = synthetic_cube(cpu_nodes);
      auto cpu = make_cpu_trainer(0);
      tc.epochs = 1;
      const double t1 = wall_seconds([&] { cpu->train(v.kind, mc, tc, cube, nullptr); });
      tc.epochs = 3;
      const double t3 = wall_seconds([&] { cpu->train(v.kind, mc, tc, cube, nullptr); });
      cpu_epoch_per_node = std::max(t3 - t1, 0.0) / 2 / cpu_nodes;
    }
    tc.epochs = args.epochs;
    for (int nodes : args.nodes) {
      const Cube cube = synthetic_cube(nodes);
      for (RnnImpl impl : {RnnImpl::kFused, RnnImpl::kCudnn}) {
        const std::string why = rnn_unsupported_reason(v.kind, mc, impl);
        if (!why.empty()) {
          std::printf("| %s | %s | %d | n/a: %s | | | | | |\n", v.label, rnn_impl_name(impl), nodes,
                      why.c_str());
          continue;
        }
        RnnOptions o;
        o.impl = impl;
        RnnTiming timing;
        rnn_train(o, v.kind, mc, tc, cube, nullptr, &timing);
        const double epoch =
            median(std::vector<double>(timing.epoch_s.begin() + 1, timing.epoch_s.end()));
        const double flops =
            forward_flops_per_sample(v.kind, mc) * 3.0 * static_cast<double>(timing.train_samples);
        const double cpu_epoch = cpu_epoch_per_node * nodes;
        std::printf("| %s | %s | %d | %.2f | %.3g | %.0f | %.1f | %.2f | %.1fx |\n", v.label,
                    rnn_impl_name(impl), nodes, epoch * 1e3, timing.train_samples / epoch,
                    flops / epoch / 1e9, 100.0 * flops / epoch / (peak * 1e12), cpu_epoch,
                    cpu_epoch / epoch);
        // Machine-readable line for bench/gpu-check.sh's final table.
        std::printf(
            "RESULT bench=gpu_rnn_%s model=%s nodes=%d gpu_ms_per_epoch=%.4f "
            "cpu_ms_per_epoch=%.4f speedup=%.1f\n",
            rnn_impl_name(impl), v.label, nodes, epoch * 1e3, cpu_epoch * 1e3, cpu_epoch / epoch);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace tecscan

int main(int argc, char** argv) {
  try {
    return tecscan::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu_rnn: %s\n", e.what());
    return 1;
  }
}
