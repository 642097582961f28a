// CPU backend throughput: every model (the paper's sizes) trained on a synthetic cube of N nodes
// x 660 epochs for E training epochs, with 1 .. all hardware threads, against the machine's
// FP32 GEMM peak measured here with Eigen. Prints a markdown table.
//
//   bench_cpu_models [nodes=16] [epochs=3] [models=all, e.g. mlp,cnn,lstm]
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/train.hpp"
#include "tecscan/trainer.hpp"

using namespace tecscan;

namespace {

constexpr int kTimeSteps = 660;  // ~27 days of hourly maps, the README demo's cube length
volatile float gemm_sink;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// FP32 GFLOP/s of a 1024^3 Eigen GEMM on `threads` threads at once (one GEMM per thread).
double gemm_peak_gflops(int threads) {
  const int n = 1024, reps = 4;
  std::vector<double> per_thread(threads);
  auto work = [&](int id) {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
    c.noalias() = a * b;  // warm-up
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) c.noalias() = a * b;
    per_thread[id] = 2.0 * n * n * n * reps / seconds_since(start) / 1e9;
    gemm_sink = c(0, 0);  // keeps the products observable
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work, i);
  work(0);
  for (std::thread& t : pool) t.join();
  double total = 0;
  for (double g : per_thread) total += g;
  return total;
}

Cube synthetic_cube(int nnode) {
  Cube cube;
  for (int n = 0; n < nnode; ++n) {
    cube.node_lat.push_back(13.0 + 0.5 * n);
    cube.node_lon.push_back(-89.0);
    cube.node_distance_km.push_back(50.0 * n);
    for (int t = 0; t < kTimeSteps; ++t)
      cube.tec.push_back(static_cast<float>(25.0 + 10.0 * std::sin(2 * M_PI * t / 24.0 + 0.3 * n) +
                                            0.01 * t + std::sin(0.37 * t + n)));
  }
  for (int t = 0; t < kTimeSteps; ++t) cube.time.push_back(946684800 + 3600LL * t);
  return cube;
}

std::vector<int> thread_counts() {
  const int hw = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<int> counts;
  for (int t = 1; t < hw; t *= 2) counts.push_back(t);
  counts.push_back(hw);
  return counts;
}

std::vector<ModelKind> parse_models(const std::string& list) {
  if (list == "all") return all_models();
  std::vector<ModelKind> models;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    models.push_back(parse_model(list.substr(start, comma - start)));
    start = comma + 1;
  }
  return models;
}

int positive_arg(const char* text, const char* what) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 1 || v > 1000000)
    throw InputError(std::string("bench_cpu_models: ") + what +
                     " must be a positive integer, got '" + text + "'");
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int nnode = argc > 1 ? positive_arg(argv[1], "nodes") : 16;
    const int epochs = argc > 2 ? positive_arg(argv[2], "epochs") : 3;
    const std::vector<ModelKind> models = parse_models(argc > 3 ? argv[3] : "all");
    const std::vector<int> threads = thread_counts();

    std::printf("Measuring the FP32 GEMM peak (Eigen, 1024^3) ...\n");
    std::vector<double> peak(threads.back() + 1, 0.0);
    for (int t : threads) peak[t] = gemm_peak_gflops(t);
    for (int t : threads) std::printf("  %d thread(s): %.1f GFLOP/s\n", t, peak[t]);

    const Cube cube = synthetic_cube(nnode);
    const ModelConfig mc;  // the paper's Table 1
    TrainConfig tc;
    tc.epochs = epochs;
    long samples = 0;  // training samples of one epoch, all nodes
    for (int n = 0; n < nnode; ++n)
      samples +=
          static_cast<long>(make_windows(cube.node_tec(n), kTimeSteps, mc.window, tc.train_fraction)
                                .train_targets.size());

    std::printf("\n%d nodes x %d time steps, %d training epochs, batch %d\n\n", nnode, kTimeSteps,
                epochs, tc.batch);
    std::printf(
        "| model | params | threads | seconds | samples x epochs / s | GFLOP/s | %% of GEMM peak "
        "|\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    for (ModelKind k : models) {
      // CNN-LSTM windows are longer (subseq * window); count its own samples.
      long model_samples = samples;
      if (input_length(k, mc) != mc.window) {
        model_samples = 0;
        for (int n = 0; n < nnode; ++n)
          model_samples += static_cast<long>(
              make_windows(cube.node_tec(n), kTimeSteps, input_length(k, mc), tc.train_fraction)
                  .train_targets.size());
      }
      const double flops = forward_flops_per_sample(k, mc) * 3.0 * model_samples * epochs;
      for (int t : threads) {
        ModelRun run = make_cpu_trainer(t)->train(k, mc, tc, cube, nullptr);
        const double s = run.train_seconds, gflops = flops / s / 1e9;
        std::printf("| %s | %lld | %d | %.2f | %.0f | %.1f | %.0f %% |\n", model_name(k),
                    static_cast<long long>(parameter_count(k, mc)), t, s,
                    model_samples * static_cast<double>(epochs) / s, gflops,
                    100.0 * gflops / peak[t]);
        std::fflush(stdout);
      }
    }
    std::printf(
        "\nGFLOP/s = forward_flops_per_sample x 3 (forward + backward) x samples x epochs / "
        "seconds; the seconds also include the final prediction pass.\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
