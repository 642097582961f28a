// GPU vs CPU training speed of the models on the persistent one-block-per-node path (MLP, CNN,
// and the recurrent models as --rnn-impl block trains them) on synthetic cubes of N nodes x 660
// epochs: time per training epoch for all nodes (cudaEvent, after a warm-up, median of several
// runs), achieved FLOP/s against the measured peak of the precision's arithmetic (a large cuBLAS
// GEMM: FP32 SGEMM for fp32, TF32 tensor cores for tf32 and 3xtf32 (which issues three TF32
// products per product, so its useful FLOP/s can reach a third of that), BF16 tensor cores for
// bf16), and the CPU trainer on all cores for the same work (fp32 only: the CPU emulates the other
// precisions, which says nothing about speed). Prints a markdown table and RESULT lines.
//
//   bench_gpu_ff [--nodes 100,1000] [--epochs 5] [--runs 3] [--cpu-epochs 1]
//                [--cpu-max-nodes 1000] [--models mlp,cnn] [--precisions fp32]
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
#include "tecscan/precision.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

struct Args {
  std::vector<int> nodes{100, 1000};
  int epochs = 5, runs = 3, cpu_epochs = 1, cpu_max_nodes = 1000;
  std::vector<ModelKind> models{ModelKind::kMlp, ModelKind::kCnn};
  std::vector<Precision> precisions{Precision::kFp32};
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// The integer value of `key`, or an exit-2 error naming it.
int int_value(const std::string& key, const std::string& value) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size()) {
    std::fprintf(stderr, "bench_gpu_ff: %s: '%s' is not an integer\n", key.c_str(), value.c_str());
    std::exit(2);
  }
  return v;
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
      for (const std::string& n : split(value)) a.nodes.push_back(int_value(key, n));
    } else if (key == "--epochs") {
      a.epochs = int_value(key, value);
    } else if (key == "--runs") {
      a.runs = int_value(key, value);
    } else if (key == "--cpu-epochs") {
      a.cpu_epochs = int_value(key, value);
    } else if (key == "--cpu-max-nodes") {
      a.cpu_max_nodes = int_value(key, value);
    } else if (key == "--models") {
      a.models.clear();
      for (const std::string& m : split(value)) a.models.push_back(parse_model(m));
    } else if (key == "--precisions") {
      a.precisions.clear();
      for (const std::string& p : split(value)) a.precisions.push_back(parse_precision(p));
    } else {
      std::fprintf(stderr,
                   "usage: bench_gpu_ff [--nodes 100,1000] [--epochs 5] [--runs 3] "
                   "[--cpu-epochs 1] [--cpu-max-nodes 1000] [--models mlp,cnn] "
                   "[--precisions fp32,3xtf32,tf32,bf16]\n");
      std::exit(2);
    }
  }
  if (a.epochs < 1 || a.runs < 1 || a.cpu_epochs < 1) {
    std::fprintf(stderr, "--epochs, --runs and --cpu-epochs must be >= 1\n");
    std::exit(2);
  }
  for (int n : a.nodes)
    if (n < 1) {
      std::fprintf(stderr, "bench_gpu_ff: --nodes: %d is not a node count >= 1\n", n);
      std::exit(2);
    }
  if (a.nodes.empty() || a.models.empty() || a.precisions.empty()) {
    std::fprintf(stderr, "bench_gpu_ff: --nodes, --models and --precisions need a value\n");
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

// The arithmetic peak of a precision measured with a large cuBLAS GEMM, in FLOP/s: FP32 SGEMM,
// TF32 tensor cores (SGEMM in CUBLAS_TF32_TENSOR_OP_MATH), BF16 tensor cores (GemmEx, BF16
// operands, FP32 accumulation and output, as mma.cuh's kernels).
enum class PeakKind { kFp32, kTf32, kBf16 };
double measured_gemm_peak(PeakKind kind) {
  const int n = 8192;
  DeviceBuffer<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  a.fill_zero();
  b.fill_zero();  // as bytes, zero is zero in BF16 too (GemmEx reads half of each buffer)
  cublasHandle_t handle;
  CUBLAS_CHECK(cublasCreate(&handle));
  CUBLAS_CHECK(cublasSetMathMode(
      handle, kind == PeakKind::kTf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  const float one = 1, zero = 0;
  cudaEvent_t start, stop;
  CUDA_CHECK(cudaEventCreate(&start));
  CUDA_CHECK(cudaEventCreate(&stop));
  double best = 1e30;
  for (int rep = 0; rep < 4; ++rep) {  // the first is the warm-up
    CUDA_CHECK(cudaEventRecord(start));
    if (kind == PeakKind::kBf16)
      CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(),
                                CUDA_R_16BF, n, b.data(), CUDA_R_16BF, n, &zero, c.data(),
                                CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    else
      CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.data(), n,
                               b.data(), n, &zero, c.data(), n));
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
  Args args;
  try {
    args = parse_args(argc, argv);
  } catch (const std::exception& e) {  // an unknown model or precision name
    std::fprintf(stderr, "bench_gpu_ff: %s\n", e.what());
    return 2;
  }
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_gpu_ff: no CUDA device\n");
    return 1;
  }
  const int ntime = 660;
  const std::string device = cuda_device_description(0);
  const double peak = measured_gemm_peak(PeakKind::kFp32);
  const double peak_tf32 = measured_gemm_peak(PeakKind::kTf32);
  const double peak_bf16 = measured_gemm_peak(PeakKind::kBf16);
  // The peak a precision's products can reach (3xtf32: three TF32 products per product).
  auto peak_of = [&](Precision p) {
    switch (p) {
      case Precision::kTf32x3:
        return peak_tf32 / 3;
      case Precision::kTf32:
        return peak_tf32;
      case Precision::kBf16:
        return peak_bf16;
      case Precision::kFp32:
        break;
    }
    return peak;
  };
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  std::printf(
      "# bench_gpu_ff: %s; measured SGEMM peak %.1f TFLOP/s FP32, %.1f TFLOP/s TF32, %.1f "
      "TFLOP/s BF16 (cuBLAS; tensor cores with FP32 accumulation for TF32 and BF16); CPU %d "
      "threads\n",
      device.c_str(), peak / 1e12, peak_tf32 / 1e12, peak_bf16 / 1e12, cores);
  std::printf(
      "# %d epochs/node series, GPU: %d training epochs, median of %d runs after a "
      "warm-up; CPU (fp32 only): %d and %d epochs, per-epoch time = the difference (windowing "
      "and prediction cancel out); %% of peak: of the precision's own (3xtf32: a third of "
      "TF32's)\n\n",
      ntime, args.epochs, args.runs, args.cpu_epochs, 2 * args.cpu_epochs);
  std::printf(
      "| model | precision | nodes | samples/epoch | GPU ms/epoch | GPU GFLOP/s | %% of peak | "
      "CPU ms/epoch | speed-up |\n|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);

  std::unique_ptr<Trainer> cpu = make_cpu_trainer(0);
  std::vector<std::string> results;  // machine-readable, after the table
  for (ModelKind kind : args.models)
    for (Precision precision : args.precisions)
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
        tc.precision = precision;
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
        if (nnode <= args.cpu_max_nodes && precision == Precision::kFp32) {
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
        const double percent = 100.0 * flop_per_epoch / gpu_epoch / peak_of(precision);
        char cpu_text[32] = "skipped", speed_text[32] = "-", result[320];
        if (!std::isnan(cpu_epoch)) {
          std::snprintf(cpu_text, sizeof cpu_text, "%.2f", cpu_epoch * 1e3);
          std::snprintf(speed_text, sizeof speed_text, "%.0fx", speedup);
        }
        std::printf("| %s%s | %s | %d | %ld | %.3f | %.1f | %.2f | %s | %s |\n", model_name(kind),
                    fast ? "" : " (naive)", precision_name(precision), nnode, samples,
                    gpu_epoch * 1e3, flop_per_epoch / gpu_epoch / 1e9, percent, cpu_text,
                    speed_text);
        std::fflush(stdout);
        std::snprintf(result, sizeof result,
                      "RESULT bench=gpu_ff model=%s precision=%s nodes=%d gpu_ms_per_epoch=%.4f "
                      "cpu_ms_per_epoch=%.3f speedup=%.1f gflops=%.1f percent_of_peak=%.2f",
                      model_name(kind), precision_name(precision), nnode, gpu_epoch * 1e3,
                      cpu_epoch * 1e3, speedup, flop_per_epoch / gpu_epoch / 1e9, percent);
        results.push_back(result);
      }
  std::printf("\n");
  for (const std::string& r : results) std::printf("%s\n", r.c_str());
  return 0;
}
