#include "tecscan/scan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "tecscan/error.hpp"
#include "tecscan/median_iqr.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/stats.hpp"

namespace tecscan {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A cube or config that cannot be scanned is an input problem, reported before any training.
void check_inputs(const Cube& cube, const ScanConfig& config, const Trainer& trainer) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  if (nn == 0 || nt == 0)
    throw InputError("the cube has " + std::to_string(nn) + " nodes and " + std::to_string(nt) +
                     " epochs: nothing to scan");
  if (cube.tec.size() != nn * nt || cube.node_lon.size() != nn ||
      cube.node_distance_km.size() != nn)
    throw InputError("the cube's arrays disagree with its " + std::to_string(nn) + " nodes x " +
                     std::to_string(nt) + " epochs");
  for (size_t t = 1; t < nt; ++t)
    if (cube.time[t] <= cube.time[t - 1])
      throw InputError("the cube's time axis is not increasing at " + format_iso(cube.time[t]));
  for (int k = 0; k < kNumIndexKinds; ++k)
    if (!cube.indices[k].empty() && cube.indices[k].size() != nt)
      throw InputError(std::string("the cube's index ") + index_name(static_cast<IndexKind>(k)) +
                       " does not have one value per epoch");
  if (config.scan.models.empty()) throw InputError("[scan] models is empty: nothing to run");
  for (ModelKind k : neural_models(config)) {
    const int need = input_length(k, config.model) + 2;
    if (static_cast<long>(nt) < need)
      throw InputError(std::string("the cube has ") + std::to_string(nt) + " epochs; " +
                       model_name(k) + " needs at least " + std::to_string(need) +
                       " (lower [model] window or use a longer window of days)");
    if (!trainer.supports(k, config.model))
      throw InputError("the " + trainer.name() + " backend does not support " + model_name(k) +
                       " with this [model] configuration");
  }
}

// The cube's index, or all-missing when the cube has none.
std::vector<float> index_or_missing(const Cube& cube, IndexKind k) {
  const auto& v = cube.indices[static_cast<int>(k)];
  if (!v.empty()) return v;
  return std::vector<float>(cube.ntime(), std::numeric_limits<float>::quiet_NaN());
}

DetectorResult run_network(ModelKind kind, const Cube& cube, const ScanConfig& config,
                           Trainer& trainer, const ScanOptions& options, const QuietMask& quiet,
                           ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  const std::string name = model_name(kind);
  auto start = std::chrono::steady_clock::now();
  ModelRun run;
  {
    Progress progress("train " + name, static_cast<long>(nn), options.quiet_progress);
    run = trainer.train(kind, config.model, config.train, cube, &progress);
  }
  result.timing.emplace_back("train " + name, seconds_since(start));
  if (run.predicted.size() != nn * nt || run.train_rmse.size() != nn ||
      run.test_rmse.size() != nn || run.epoch_loss.size() % nn != 0)
    throw std::logic_error(trainer.name() + " returned arrays of the wrong size for " + name);

  auto detect_start = std::chrono::steady_clock::now();
  DetectorResult d;
  d.name = name;
  d.device = run.device;
  d.predicted = std::move(run.predicted);
  DtecOutput dt;
  options.dtec(cube.tec.data(), d.predicted.data(), nn, nt, cube.time.data(), config.detect.scope,
               dt);
  if (dt.delta.size() != nn * nt || dt.dtec.size() != nn * nt ||
      dt.median.size() != nn * dt.ngroup || dt.iqr.size() != nn * dt.ngroup)
    throw std::logic_error("the DTEC function returned arrays of the wrong size for " + name);
  d.delta = std::move(dt.delta);
  d.dtec = std::move(dt.dtec);
  d.ngroup = dt.ngroup;
  d.stat_median = std::move(dt.median);
  d.stat_iqr = std::move(dt.iqr);
  d.anomaly.resize(nn * nt);
  flag_anomalies(d.dtec.data(), quiet.quiet.data(), nn, nt, config.detect.threshold,
                 d.anomaly.data());
  d.nepoch = run.epoch_loss.size() / nn;
  d.epoch_loss = std::move(run.epoch_loss);
  d.train_rmse = std::move(run.train_rmse);
  d.test_rmse = std::move(run.test_rmse);
  result.timing.emplace_back("dtec " + name, seconds_since(detect_start));
  d.seconds = seconds_since(start);
  return d;
}

DetectorResult run_median_iqr(const Cube& cube, const ScanConfig& config,
                              const ScanOptions& options, const QuietMask& quiet,
                              ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  auto start = std::chrono::steady_clock::now();
  Progress progress(kMedianIqrName, 1, options.quiet_progress);
  MedianIqrConfig mc{config.detect.median_iqr_days, config.detect.median_iqr_min_history};
  MedianIqrOutput m = median_iqr_detect(cube.tec.data(), nn, nt, cube.time.data(), mc);
  progress.advance();
  progress.finish();
  DetectorResult d;
  d.name = kMedianIqrName;
  d.neural = false;
  d.device = "cpu";
  d.predicted = m.median;
  d.delta = std::move(m.delta);
  d.dtec = std::move(m.dtec);
  d.ngroup = nt;
  d.stat_median.assign(m.median.begin(), m.median.end());
  d.stat_iqr.assign(m.iqr.begin(), m.iqr.end());
  d.anomaly.resize(nn * nt);
  flag_anomalies(d.dtec.data(), quiet.quiet.data(), nn, nt, config.detect.threshold,
                 d.anomaly.data());
  d.seconds = seconds_since(start);
  result.timing.emplace_back(kMedianIqrName, d.seconds);
  return d;
}

double median_of_finite(const std::vector<double>& v) {
  std::vector<double> f;
  for (double x : v)
    if (std::isfinite(x)) f.push_back(x);
  std::sort(f.begin(), f.end());
  return quantile_sorted(f.data(), f.size(), 0.5);
}

}  // namespace

ScanResult compute_scan(const Cube& cube, const ScanConfig& config, Trainer& trainer,
                        const ScanOptions& options) {
  check_inputs(cube, config, trainer);
  const size_t nn = cube.nnode(), nt = cube.ntime();
  ScanResult result;
  result.nnode = nn;
  result.ntime = nt;
  {
    auto start = std::chrono::steady_clock::now();
    auto kp = index_or_missing(cube, IndexKind::kKp);
    auto ap = index_or_missing(cube, IndexKind::kApDaily);
    auto dst = index_or_missing(cube, IndexKind::kDst);
    // The chosen F10.7 (observed by default), the other one where the chosen one is missing.
    auto f107 =
        index_or_missing(cube, config.quiet.f107_observed ? IndexKind::kF107Obs : IndexKind::kF107);
    auto f107_other =
        index_or_missing(cube, config.quiet.f107_observed ? IndexKind::kF107 : IndexKind::kF107Obs);
    for (size_t t = 0; t < nt; ++t)
      if (std::isnan(f107[t])) f107[t] = f107_other[t];
    result.quiet = quiet_mask(kp.data(), ap.data(), dst.data(), f107.data(), nt, config.quiet);
    result.timing.emplace_back("quiet mask", seconds_since(start));
  }
  for (const std::string& name : config.scan.models) {
    if (name == kMedianIqrName)
      result.detectors.push_back(run_median_iqr(cube, config, options, result.quiet, result));
    else
      result.detectors.push_back(
          run_network(parse_model(name), cube, config, trainer, options, result.quiet, result));
  }
  result.consensus.assign(nn * nt, 0);
  for (const DetectorResult& d : result.detectors)
    for (size_t i = 0; i < nn * nt; ++i) result.consensus[i] += d.anomaly[i];
  return result;
}

DetectorSummary summarize_detector(const DetectorResult& d, size_t nnode, size_t ntime,
                                   double threshold) {
  DetectorSummary s;
  s.name = d.name;
  s.device = d.device;
  s.seconds = d.seconds;
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float v = d.dtec[n * ntime + t];
      if (!(std::fabs(v) > threshold)) continue;
      if (!d.anomaly[n * ntime + t]) {
        ++s.flagged_storm;
        continue;
      }
      ++s.anomalies;
      if (!s.first.found || t < s.first.time) s.first = {true, n, t, v};
      if (!s.strongest.found || std::fabs(v) > std::fabs(s.strongest.dtec))
        s.strongest = {true, n, t, v};
    }
  if (d.neural) {
    s.median_train_rmse = median_of_finite(d.train_rmse);
    s.median_test_rmse = median_of_finite(d.test_rmse);
  }
  return s;
}

ScanSummary run_scan(const Cube& cube, const ScanConfig& config, Trainer& trainer,
                     const std::string& out_dir, const ScanOptions& options) {
  for (const std::string& path : options.input_files)
    if (!std::ifstream(path, std::ios::binary))
      throw InputError(path, 0, "cannot read this input file (needed for its checksum)");
  // Fail before hours of training, not after.
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir))
    throw InputError(
        out_dir, 0,
        "cannot create the output directory" + (ec ? ": " + ec.message() : std::string()));
  ScanResult result = compute_scan(cube, config, trainer, options);

  ScanSummary summary;
  summary.out_dir = out_dir;
  for (const DetectorResult& d : result.detectors)
    summary.detectors.push_back(
        summarize_detector(d, result.nnode, result.ntime, config.detect.threshold));
  for (uint8_t q : result.quiet.quiet) summary.quiet_epochs += q;
  for (uint8_t c : result.consensus)
    summary.max_consensus = std::max<int>(summary.max_consensus, c);
  summary.timing = result.timing;
  write_scan_outputs(out_dir, cube, config, result, summary, options);
  return summary;
}

}  // namespace tecscan
