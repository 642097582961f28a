// Injection-recovery: the detection limit of every detector on the event's own data. The
// disturbances of [inject] are planted into copies of the cube; the trained models predict the
// injected series again (no retraining: prediction is cheap), and the clean run's DTEC
// statistics and thresholds decide what is detected, so recall and false alarms describe the
// detector exactly as it ran on the event.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tecscan/error.hpp"
#include "tecscan/inject.hpp"
#include "tecscan/median_iqr.hpp"
#include "tecscan/parallel.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/windowing.hpp"

namespace tecscan {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Where an injection can change a detector's output: its epochs and the `guard` after them
// (the models' inputs), at the nodes its footprint reaches.
struct Affected {
  std::vector<std::vector<int>> epochs;  // [node] ascending, unique
};

Affected affected_epochs(const Cube& cube, const std::vector<Injection>& inj, double radius_km,
                         size_t guard) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  Affected a;
  a.epochs.resize(nn);
  for (size_t n = 0; n < nn; ++n) {
    std::vector<uint8_t> hit(nt, 0);
    for (const Injection& j : inj)
      if (footprint_weight(cube, j, n, radius_km) > 1e-6)
        for (size_t t = j.t_begin; t < std::min(nt, j.t_end + guard); ++t) hit[t] = 1;
    for (size_t t = 0; t < nt; ++t)
      if (hit[t]) a.epochs[n].push_back(static_cast<int>(t));
  }
  return a;
}

// The anomaly flags of detector d on the injected series `tec`, from the clean run's flags
// with the affected node-epochs recomputed.
std::vector<uint8_t> injected_anomalies(const DetectorResult& d, const Cube& cube,
                                        const ScanConfig& config, const ScanResult& result,
                                        const FoldPlan& plan, const std::vector<float>& tec,
                                        const Affected& affected, const std::vector<double>& mean,
                                        const std::vector<double>& std_dev) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  std::vector<uint8_t> anomaly = d.anomaly;
  const uint8_t* quiet = result.quiet.quiet.data();
  auto flag = [&](size_t n, size_t t, float dtec) {
    anomaly[n * nt + t] = quiet[t] && std::fabs(dtec) > d.threshold_at(cube.time[t]) ? 1 : 0;
  };

  if (d.name == kMedianIqrName) {  // its "model" is the history itself: run it again
    MedianIqrConfig mc{config.detect.median_iqr_days, config.detect.median_iqr_min_history};
    MedianIqrOutput m = median_iqr_detect(tec.data(), nn, nt, cube.time.data(), mc);
    for (size_t i = 0; i < nn * nt; ++i) flag(i / nt, i % nt, m.dtec[i]);
    return anomaly;
  }

  std::vector<float> predicted = d.predicted;
  if (d.name == kArName) {
    for (size_t k = 0; k < d.ar_folds.size(); ++k) {
      std::vector<uint8_t> mask(nt, 0);
      for (size_t n = 0; n < nn; ++n)
        for (int t : affected.epochs[n])
          if (plan.fold_of(t) == static_cast<int>(k)) mask[t] = 1;
      ar_predict(d.ar_folds[k], tec.data(), nn, nt, mask.data(), predicted.data());
    }
  } else {
    const ModelKind kind = parse_model(d.name);
    const size_t nparam = static_cast<size_t>(parameter_count(kind, config.model));
    parallel_for(nn, config.scan.threads, [&](size_t n) {
      for (size_t k = 0; k < d.fold_params.size(); ++k) {
        std::vector<int> targets;
        for (int t : affected.epochs[n])
          if (plan.fold_of(t) == static_cast<int>(k)) targets.push_back(t);
        if (targets.empty()) continue;
        predict_series_cpu(kind, config.model, d.fold_params[k].data() + n * nparam, mean[n],
                           std_dev[n], tec.data() + n * nt, static_cast<int>(nt), targets.data(),
                           static_cast<int>(targets.size()), predicted.data() + n * nt,
                           /*targets_only=*/true, config.train.precision);
      }
    });
  }
  // DTEC with the clean run's median and IQR of the epoch's group.
  for (size_t n = 0; n < nn; ++n)
    for (int t : affected.epochs[n]) {
      const size_t i = n * nt + static_cast<size_t>(t);
      const size_t g = n * d.ngroup + (d.ngroup == 24 ? utc_hour(cube.time[t]) : 0);
      float dtec = kNaN;
      if (std::isfinite(tec[i]) && std::isfinite(predicted[i]) && d.stat_iqr[g] > 0)
        dtec = static_cast<float>((tec[i] - predicted[i] - d.stat_median[g]) / d.stat_iqr[g]);
      flag(n, static_cast<size_t>(t), dtec);
    }
  return anomaly;
}

std::vector<uint8_t> consensus_flags(const std::vector<std::vector<uint8_t>>& anomalies,
                                     int consensus_min) {
  std::vector<uint8_t> out(anomalies.empty() ? 0 : anomalies[0].size(), 0);
  for (size_t i = 0; i < out.size(); ++i) {
    int c = 0;
    for (const auto& a : anomalies) c += a[i];
    out[i] = c >= consensus_min ? 1 : 0;
  }
  return out;
}

}  // namespace

std::vector<SensitivityRow> injection_recovery(const Cube& cube, const ScanConfig& config,
                                               const ScanResult& result, const ScanOptions& options,
                                               std::vector<std::string>* notes) {
  const InjectConfig& cfg = config.inject;
  check_inject_config(cfg);
  const size_t nn = cube.nnode(), nt = cube.ntime();
  const FoldPlan plan = make_fold_plan(config.validation, nt);

  // Injections go where the detectors are judged: quiet epochs outside the precursor window
  // (and, with the paper's split, in the test part).
  const int n_split = train_split(config.train.train_fraction, static_cast<int>(nt));
  // Every detector must be able to judge the epoch (a DTEC at half the nodes or more: not in
  // median-iqr's first days, not in a gap), so their recalls compare like with like.
  std::vector<uint8_t> eligible(nt, 0);
  for (size_t t = 0; t < nt; ++t) {
    const bool in_window =
        cube.time[t] >= result.layout.window_begin() && cube.time[t] < result.layout.event_time;
    bool judged = true;
    for (const DetectorResult& d : result.detectors) {
      size_t finite = 0;
      for (size_t n = 0; n < nn; ++n) finite += std::isfinite(d.dtec[n * nt + t]) ? 1 : 0;
      judged = judged && 2 * finite >= nn;
    }
    eligible[t] = result.quiet.quiet[t] && !in_window && judged &&
                  (plan.kfold || static_cast<int>(t) >= n_split);
  }
  // The guard keeps one injection's effect on later predictions (through the models' inputs)
  // out of the next injection's box.
  size_t guard = static_cast<size_t>(config.model.window) + 1;
  for (ModelKind k : neural_models(config))
    guard = std::max(guard, static_cast<size_t>(input_length(k, config.model)) + 1);

  // The clean series' normalisation, which the trained models expect.
  std::vector<double> mean(nn), std_dev(nn);
  for (size_t n = 0; n < nn; ++n) {
    NodeWindows w = make_windows(cube.node_tec(n), static_cast<int>(nt), 1, 1.0);
    mean[n] = w.mean;
    std_dev[n] = w.std;
  }

  std::vector<const DetectorResult*> detectors;
  for (const DetectorResult& d : result.detectors) {
    if (d.neural && d.fold_params.size() != plan.blocks.size())
      throw std::logic_error("injection-recovery: the trained weights of " + d.name +
                             " were not kept");
    detectors.push_back(&d);
  }
  std::vector<uint8_t> clean_consensus(nn * nt, 0);
  for (size_t i = 0; i < nn * nt; ++i)
    clean_consensus[i] = result.consensus[i] >= result.consensus_min ? 1 : 0;

  std::vector<SensitivityRow> rows;
  Progress progress("injection-recovery", static_cast<long>(cfg.amplitudes.size()),
                    options.quiet_progress);
  std::vector<std::vector<SensitivityRow>> by_detector(detectors.size() + 1);
  for (size_t a = 0; a < cfg.amplitudes.size(); ++a) {
    const double amplitude = cfg.amplitudes[a];
    std::vector<Injection> inj = plan_injections(cube, eligible.data(), cfg, a, guard);
    if (inj.size() < static_cast<size_t>(cfg.per_amplitude) && notes) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "injection-recovery: only %zu of %d injections of amplitude %g fit in the "
                    "quiet epochs outside the precursor window%s",
                    inj.size(), cfg.per_amplitude, amplitude,
                    inj.empty() ? " (none: its recall is empty; shorten inject.duration_hours or "
                                  "scan a longer series)"
                                : "");
      notes->push_back(buf);
    }
    std::vector<float> tec = cube.tec;
    apply_injections(cube, inj, cfg.radius_km, tec);
    const Affected affected = affected_epochs(cube, inj, cfg.radius_km, guard);
    std::vector<std::vector<uint8_t>> injected;
    auto row = [&](const std::string& name, double threshold, const uint8_t* with,
                   const uint8_t* without) {
      SensitivityRow r;
      r.detector = name;
      r.amplitude = amplitude;
      r.injections = inj.size();
      r.threshold = threshold;
      const double n = static_cast<double>(inj.size());
      r.recall = inj.empty()
                     ? std::nan("")
                     : static_cast<double>(count_detected(cube, inj, cfg.radius_km, with)) / n;
      r.false_alarm_rate =
          inj.empty() ? std::nan("")
                      : static_cast<double>(count_detected(cube, inj, cfg.radius_km, without)) / n;
      return r;
    };
    for (size_t i = 0; i < detectors.size(); ++i) {
      const DetectorResult& d = *detectors[i];
      injected.push_back(
          injected_anomalies(d, cube, config, result, plan, tec, affected, mean, std_dev));
      by_detector[i].push_back(row(d.name, d.threshold, injected.back().data(), d.anomaly.data()));
    }
    const std::vector<uint8_t> consensus = consensus_flags(injected, result.consensus_min);
    by_detector.back().push_back(
        row(kConsensusName, std::nan(""), consensus.data(), clean_consensus.data()));
    progress.advance();
  }
  for (auto& rs : by_detector) rows.insert(rows.end(), rs.begin(), rs.end());
  return rows;
}

}  // namespace tecscan
