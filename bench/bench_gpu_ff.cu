// GPU vs CPU training speed of the feed-forward models (MLP, CNN) on synthetic cubes of N nodes
// x 660 epochs: time per training epoch for all nodes (cudaEvent, after a warm-up, median of
// several runs), achieved FLOP/s against the measured FP32 peak (a large cublasSgemm), and the
// CPU trainer on all cores for the same work. Prints a markdown table and RESULT lines.
//
//   bench_gpu_ff [--nodes 100,1000] [--epochs 5] [--runs 3] [--cpu-epochs 1]
//                [--cpu-max-nodes 1000] [--models mlp,cnn]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "tecscan/cuda_backend.hpp"
#include "tecscan/model.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

struct Args {
  std::vector<int> nodes{100, 1000};
  int epochs = 5, runs = 3, cpu_epochs = 1, cpu_max_nodes = 1000;
  std::vector<ModelKind> models{ModelKind::kMlp, ModelKind::kCnn};
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", key.c_str());
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (key == "--nodes") {
      a.nodes.clear();
      for (const std::string& n : split(value)) a.nodes.push_back(std::stoi(n));
    } else if (key == "--epochs") {
      a.epochs = std::stoi(value);
    } else if (key == "--runs") {
      a.runs = std::stoi(value);
    } else if (key == "--cpu-epochs") {
      a.cpu_epochs = std::stoi(value);
    } else if (key == "--cpu-max-nodes") {
      a.cpu_max_nodes = std::stoi(value);
    } else if (key == "--models") {
      a.models.clear();
      for (const std::string& m : split(value)) a.models.push_back(parse_model(m));
    } else {
      std::fprintf(stderr,
                   "usage: bench_gpu_ff [--nodes 100,1000] [--epochs 5] [--runs 3] "
                   "[--cpu-epochs 1] [--cpu-max-nodes 1000] [--models mlp,cnn]\n");
      std::exit(2);
    }
  }
  if (a.epochs < 1 || a.runs < 1 || a.cpu_epochs < 1) {
    std::fprintf(stderr, "--epochs, --runs and --cpu-epochs must be >= 1\n");
    std::exit(2);
  }
  return a;
}

// Diurnal TEC-like series, 12 epochs a day, a few gaps.
Cube synthetic_cube(int nnode, int ntime) {
  Cube c;
  for (int n = 0; n < nnode; ++n) {
    c.node_lat.push_back(0);
    c.node_lon.push_back(0);
    c.node_distance_km.push_back(0);
  }
  for (int t = 0; t < ntime; ++t) c.time.push_back(make_time(2001, 1, 1) + 7200 * t);
  c.tec.resize(static_cast<size_t>(nnode) * ntime);
  for (int n = 0; n < nnode; ++n)
    for (int t = 0; t < ntime; ++t) {
      double v = 20 + 0.01 * n + 8 * std::sin(2 * M_PI * t / 12.0 + 0.01 * n) +
                 0.7 * std::sin(12.9898 * (t + 1) * (n + 2));
      if ((t * 7 + n) % 97 == 0) v = std::nan("");
      c.tec[static_cast<size_t>(n) * ntime + t] = static_cast<float>(v);
    }
  return c;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// FP32 (and TF32 tensor-core) peak measured with a large SGEMM, in FLOP/s.
double measured_sgemm_peak(bool tf32) {
  const int n = 8192;
  DeviceBuffer<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  a.fill_zero();
  b.fill_zero();
  cublasHandle_t handle;
  CUBLAS_CHECK(cublasCreate(&handle));
  CUBLAS_CHECK(cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  const float one = 1, zero = 0;
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  double best = 1e30;
  for (int rep = 0; rep < 4; ++rep) {  // the first is the warm-up
    CUDA_CHECK(cudaEventRecord(start));
    CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(), n, b.data(),
                             n, &zero, c.data(), n));
    CUDA_CHECK(cudaEventRecord(stop));
    CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (rep > 0) best = std::min(best, ms / 1000.0);
  }
  CUDA_CHECK(cudaEventDestroy(start));
  CUDA_CHECK(cudaEventDestroy(stop));
  CUBLAS_CHECK(cublasDestroy(handle));
  return 2.0 * n * double(n) * n / best;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_gpu_ff: no CUDA device\n");
    return 1;
  }
  const int ntime = 660;
  const std::string device = cuda_device_description(0);
  const double peak = measured_sgemm_peak(false), peak_tf32 = measured_sgemm_peak(true);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  std::printf(
      "# bench_gpu_ff: %s; measured SGEMM peak %.1f TFLOP/s FP32, %.1f TFLOP/s TF32; "
      "CPU %d threads\n",
      device.c_str(), peak / 1e12, peak_tf32 / 1e12, cores);
  std::printf(
      "# %d epochs/node series, GPU: %d training epochs, median of %d runs after a "
      "warm-up; CPU: %d and %d epochs, per-epoch time = the difference (windowing and "
      "prediction cancel out)\n\n",
      ntime, args.epochs, args.runs, args.cpu_epochs, 2 * args.cpu_epochs);
  std::printf(
      "| model | nodes | samples/epoch | GPU ms/epoch | GPU GFLOP/s | %% FP32 peak | "
      "CPU ms/epoch | speed-up |\n|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);

  std::unique_ptr<Trainer> cpu = make_cpu_trainer(0);
  std::vector<std::string> results;  // machine-readable, after the table
  for (ModelKind kind : args.models)
    for (int nnode : args.nodes) {
      const ModelConfig mc;
      const Cube cube = synthetic_cube(nnode, ntime);
      long samples = 0;  // training targets per epoch, all nodes
      for (int n = 0; n < nnode; ++n)
        samples +=
            static_cast<long>(make_windows(cube.node_tec(n), ntime, input_length(kind, mc), 0.65)
                                  .train_targets.size());
      const double flop_per_epoch = forward_flops_per_sample(kind, mc) * 3.0 * samples;

      TrainConfig tc;
      tc.epochs = 1;
      CudaTrainerOptions options;
      options.verbose = false;
      cuda_ff_train_detail(kind, mc, tc, cube, options);  // warm-up
      tc.epochs = args.epochs;
      std::vector<double> per_epoch;
      bool fast = false;
      for (int r = 0; r < args.runs; ++r) {
        CudaFfDetail d = cuda_ff_train_detail(kind, mc, tc, cube, options);
        per_epoch.push_back(d.train_kernel_seconds / args.epochs);
        fast = d.used_fast_kernel;
      }
      const double gpu_epoch = median(per_epoch);

      double cpu_epoch = std::nan("");
      std::string cpu_note;
      if (nnode <= args.cpu_max_nodes) {
        TrainConfig c1 = tc, c2 = tc;
        c1.epochs = args.cpu_epochs;
        c2.epochs = 2 * args.cpu_epochs;
        auto t0 = std::chrono::steady_clock::now();
        cpu->train(kind, mc, c1, cube, nullptr);
        const double t1 = seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        cpu->train(kind, mc, c2, cube, nullptr);
        const double t2 = seconds_since(t0);
        cpu_epoch = t2 > t1 ? (t2 - t1) / args.cpu_epochs : t2 / c2.epochs;
      }
      const double speedup = cpu_epoch / gpu_epoch;
      char cpu_text[32] = "skipped", speed_text[32] = "-", result[256];
      if (!std::isnan(cpu_epoch)) {
        std::snprintf(cpu_text, sizeof cpu_text, "%.2f", cpu_epoch * 1e3);
        std::snprintf(speed_text, sizeof speed_text, "%.0fx", speedup);
      }
      std::printf("| %s%s | %d | %ld | %.3f | %.1f | %.2f | %s | %s |\n", model_name(kind),
                  fast ? "" : " (naive)", nnode, samples, gpu_epoch * 1e3,
                  flop_per_epoch / gpu_epoch / 1e9, 100.0 * flop_per_epoch / gpu_epoch / peak,
                  cpu_text, speed_text);
      std::fflush(stdout);
      std::snprintf(result, sizeof result,
                    "RESULT bench=gpu_ff model=%s nodes=%d gpu_ms_per_epoch=%.4f "
                    "cpu_ms_per_epoch=%.3f speedup=%.1f gflops=%.1f",
                    model_name(kind), nnode, gpu_epoch * 1e3, cpu_epoch * 1e3, speedup,
                    flop_per_epoch / gpu_epoch / 1e9);
      results.push_back(result);
    }
  std::printf("\n");
  for (const std::string& r : results) std::printf("%s\n", r.c_str());
  return 0;
}
