#include "tecscan/scan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <thread>

#include "tecscan/error.hpp"
#include "tecscan/median_iqr.hpp"
#include "tecscan/progress.hpp"
#include "tecscan/stats.hpp"
#include "tecscan/windowing.hpp"

namespace tecscan {
namespace {

// "100", "2.5": a config number as the user wrote it.
std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A cube or config that cannot be scanned is an input problem, reported before any training.
void check_inputs(const Cube& cube, const ScanConfig& config, const Trainer& trainer,
                  const ScanOptions& options) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  if (nn == 0 || nt == 0)
    throw InputError("the cube has " + std::to_string(nn) + " nodes and " + std::to_string(nt) +
                     " epochs: nothing to scan");
  if (cube.tec.size() != nn * nt || cube.node_lon.size() != nn ||
      cube.node_distance_km.size() != nn)
    throw InputError("the cube's arrays disagree with its " + std::to_string(nn) + " nodes x " +
                     std::to_string(nt) + " epochs");
  if (nodes_without_data(cube).size() == nn)
    throw InputError(
        "the cube holds no valid TEC value (NaN at every node and epoch): nothing "
        "to scan");
  for (size_t t = 1; t < nt; ++t)
    if (cube.time[t] <= cube.time[t - 1])
      throw InputError("the cube's time axis is not increasing at " + format_iso(cube.time[t]));
  for (int k = 0; k < kNumIndexKinds; ++k)
    if (!cube.indices[k].empty() && cube.indices[k].size() != nt)
      throw InputError(std::string("the cube's index ") + index_name(static_cast<IndexKind>(k)) +
                       " does not have one value per epoch");
  if (config.scan.models.empty()) throw InputError("[scan] models is empty: nothing to run");
  // Say before training when an injection cannot fit in the series at all.
  if (options.inject && injection_epochs(cube, config.inject.duration_hours) >= nt)
    throw InputError("[inject] duration_hours = " + number_text(config.inject.duration_hours) +
                     " h spans " +
                     std::to_string(injection_epochs(cube, config.inject.duration_hours)) +
                     " epochs; the cube has only " + std::to_string(nt));
  for (const std::string& name : config.scan.models)
    if (name == kArName && static_cast<long>(nt) < config.model.window + 2)
      throw InputError("the cube has " + std::to_string(nt) + " epochs; ar needs at least " +
                       std::to_string(config.model.window + 2));
  for (ModelKind k : neural_models(config)) {
    const int need = input_length(k, config.model) + 2;
    if (static_cast<long>(nt) < need)
      throw InputError(std::string("the cube has ") + std::to_string(nt) + " epochs; " +
                       model_name(k) + " needs at least " + std::to_string(need) +
                       " (lower [model] window or use a longer window of days)");
    if (!trainer.supports(k, config.model))
      throw InputError("the " + trainer.name() + " backend does not support " + model_name(k) +
                       " with this [model] configuration");
    if (!trainer.supports_train(config.train))
      throw InputError("the " + trainer.name() +
                       " backend cannot train with this [train] "
                       "configuration (early stopping, [train] patience > 0, runs on the CPU "
                       "trainer only)");
  }
  // The precursor window must hold epochs, or nothing can be said about it.
  {
    const TimeS begin =
        cube.event.time - static_cast<TimeS>(config.significance.window_days * kDay);
    bool any = false;
    for (TimeS t : cube.time) any = any || (t >= begin && t < cube.event.time);
    if (!any)
      throw InputError("the precursor window [" + format_iso(begin) + ", " +
                       format_iso(cube.event.time) + ") holds no epoch of the cube (" +
                       format_iso(cube.time.front()) + " .. " + format_iso(cube.time.back()) +
                       "): check the event time or [significance] window_days");
  }
}

// The cube's index, or all-missing when the cube has none.
std::vector<float> index_or_missing(const Cube& cube, IndexKind k) {
  const auto& v = cube.indices[static_cast<int>(k)];
  if (!v.empty()) return v;
  return std::vector<float>(cube.ntime(), std::numeric_limits<float>::quiet_NaN());
}

// The epochs whose dTEC gives the median and IQR and whose |DTEC| gives the threshold
// (detect.stats_from): the quiet epochs before the event (default) or before the precursor
// window; when there are too few of them (a stormy or short series), every epoch before that
// limit, and failing that every epoch, with a note saying so.
std::vector<uint8_t> calibration_epochs(const ScanConfig& config, const Cube& cube,
                                        ScanResult& result) {
  const size_t nt = cube.ntime();
  if (config.detect.stats_from == StatsFrom::kAll) {
    result.stats_note = "every epoch of the series (detect.stats_from = \"all\", the paper)";
    return std::vector<uint8_t>(nt, 1);
  }
  const bool pre_event = config.detect.stats_from == StatsFrom::kPreEvent;
  const TimeS limit = pre_event ? result.layout.event_time : result.layout.window_begin();
  const std::string where = pre_event ? "before the event" : "before the precursor window";
  constexpr long kMinEpochs = 48;  // two days of hourly groups
  long quiet = 0, before = 0;
  std::vector<uint8_t> quiet_before(nt, 0), any_before(nt, 0);
  for (size_t t = 0; t < nt; ++t) {
    any_before[t] = cube.time[t] < limit;
    quiet_before[t] = any_before[t] && result.quiet.quiet[t];
    quiet += quiet_before[t];
    before += any_before[t];
  }
  if (quiet >= kMinEpochs) {
    result.stats_note = std::to_string(quiet) + " quiet epochs " + where;
    return quiet_before;
  }
  if (before >= kMinEpochs) {
    result.stats_note = "all " + std::to_string(before) + " epochs " + where + " (only " +
                        std::to_string(quiet) + " quiet ones)";
    result.notes.push_back("the DTEC statistics use " + result.stats_note);
    return any_before;
  }
  result.stats_note =
      "every epoch of the series (only " + std::to_string(before) + " epochs " + where + ")";
  result.notes.push_back("the DTEC statistics use " + result.stats_note);
  return std::vector<uint8_t>(nt, 1);
}

// DTEC from a detector's predictions, then its threshold and anomaly flags.
void detect(DetectorResult& d, const Cube& cube, const ScanConfig& config,
            const ScanOptions& options, const std::vector<uint8_t>& stats_mask,
            ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  DtecOutput dt;
  options.dtec(cube.tec.data(), d.predicted.data(), nn, nt, cube.time.data(), config.detect.scope,
               stats_mask.data(), dt);
  if (dt.delta.size() != nn * nt || dt.dtec.size() != nn * nt ||
      dt.median.size() != nn * dt.ngroup || dt.iqr.size() != nn * dt.ngroup)
    throw std::logic_error("the DTEC function returned arrays of the wrong size for " + d.name);
  d.delta = std::move(dt.delta);
  d.dtec = std::move(dt.dtec);
  d.ngroup = dt.ngroup;
  d.stat_median = std::move(dt.median);
  d.stat_iqr = std::move(dt.iqr);
}

// The detector's |DTEC| threshold (fixed, or at the false-alarm rate over its control
// node-epochs) and its anomaly flags.
void set_threshold_and_flag(DetectorResult& d, const Cube& cube, const ScanConfig& config,
                            ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  d.threshold = config.detect.threshold;
  d.threshold_source = "fixed";
  const double rate = config.detect.false_alarm_rate;
  const size_t needed = static_cast<size_t>(std::ceil(10.0 / std::max(rate, 1e-9)));
  if (rate > 0) {
    // Over quiet epochs only: anomalies exist only there.
    std::vector<uint8_t> mask(nt);
    for (size_t t = 0; t < nt; ++t) mask[t] = result.calibration[t] && result.quiet.quiet[t];
    size_t count = 0;
    const double t =
        threshold_at_false_alarm_rate(d.dtec.data(), nn, nt, mask.data(), rate, &count);
    // A quantile at rate r needs several values beyond it to be more than noise.
    if (std::isfinite(t) && t > 0 && count >= needed) {
      d.threshold = t;
      d.threshold_source =
          threshold_rule(config.detect) + " over " + std::to_string(count) + " quiet node-epochs";
    } else {
      d.threshold_source = "fixed (only " + std::to_string(count) +
                           " calibration node-epochs with a DTEC; " +
                           threshold_rule(config.detect) + " needs " + std::to_string(needed) + ")";
      result.notes.push_back(d.name + ": threshold " + d.threshold_source);
    }
  }
  // The same false-alarm rate at every hour of day: one threshold per UTC hour where that hour
  // has enough calibration values (the overall one elsewhere).
  d.hour_threshold.assign(24, d.threshold);
  if (rate > 0 && d.threshold_source != "fixed" && config.detect.scope == DtecScope::kPerUtcHour) {
    std::vector<uint8_t> mask(nt);
    for (size_t t = 0; t < nt; ++t) mask[t] = result.calibration[t] && result.quiet.quiet[t];
    const std::vector<double> hourly = hourly_thresholds_at_false_alarm_rate(
        d.dtec.data(), nn, nt, cube.time.data(), mask.data(), rate, needed);
    int own = 0;
    for (int h = 0; h < 24; ++h)
      if (std::isfinite(hourly[h]) && hourly[h] > 0) d.hour_threshold[h] = hourly[h], ++own;
    if (own > 0)
      d.threshold_source += ", per UTC hour (" + std::to_string(own) + " hours with their own)";
  }
  d.anomaly.assign(nn * nt, 0);
  flag_anomalies_by_hour(d.dtec.data(), result.quiet.quiet.data(), cube.time.data(), nn, nt,
                         d.hour_threshold.data(), d.anomaly.data());
}

// RMSE accumulators per node: sum of squared errors and counts over chosen epochs.
struct RmseSums {
  std::vector<double> sse;
  std::vector<long> count;
  explicit RmseSums(size_t nn) : sse(nn, 0.0), count(nn, 0) {}
  void add(size_t n, float predicted, float observed) {
    if (!std::isfinite(predicted) || !std::isfinite(observed)) return;
    const double e = static_cast<double>(predicted) - observed;
    sse[n] += e * e;
    ++count[n];
  }
  std::vector<double> rmse() const {
    std::vector<double> r(sse.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t n = 0; n < sse.size(); ++n)
      if (count[n] > 0) r[n] = std::sqrt(sse[n] / static_cast<double>(count[n]));
    return r;
  }
};

// The TrainConfig of fold k: the whole series trains except the block and the targets whose
// inputs reach into it (input_len after the block), which would leak the block's values.
TrainConfig fold_train_config(const ScanConfig& config, const FoldPlan& plan, size_t k,
                              int input_len, bool keep_params) {
  TrainConfig tc = config.train;
  tc.keep_params = keep_params;
  if (plan.kfold) {
    tc.train_fraction = 1.0;
    tc.holdout = {plan.blocks[k].first, plan.blocks[k].second + input_len};
  }
  return tc;
}

DetectorResult run_network(ModelKind kind, const Cube& cube, const ScanConfig& config,
                           const FoldPlan& plan, Trainer& trainer, const ScanOptions& options,
                           ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  const std::string name = model_name(kind);
  const int input_len = input_length(kind, config.model);
  auto start = std::chrono::steady_clock::now();
  DetectorResult d;
  d.name = name;
  d.predicted.assign(nn * nt, std::numeric_limits<float>::quiet_NaN());
  d.stop_epoch.assign(nn, 0);
  RmseSums in_sample(nn), out_of_sample(nn);
  const int n_split = train_split(config.train.train_fraction, static_cast<int>(nt));
  std::vector<double> loss_sum;
  std::vector<int> loss_count;
  {
    Progress progress(
        "train " + name +
            (plan.kfold ? " (" + std::to_string(plan.blocks.size()) + " folds)" : std::string()),
        static_cast<long>(nn * plan.blocks.size()), options.quiet_progress);
    for (size_t k = 0; k < plan.blocks.size(); ++k) {
      const TrainConfig tc = fold_train_config(config, plan, k, input_len, options.inject);
      ModelRun run = trainer.train(kind, config.model, tc, cube, &progress);
      if (run.predicted.size() != nn * nt || run.train_rmse.size() != nn ||
          run.test_rmse.size() != nn || run.epoch_loss.size() % nn != 0)
        throw std::logic_error(trainer.name() + " returned arrays of the wrong size for " + name);
      d.device = run.device;
      const auto [b, e] = plan.blocks[k];
      for (size_t n = 0; n < nn; ++n) {
        const float* pred = run.predicted.data() + n * nt;
        const float* obs = cube.node_tec(n);
        for (int t = 0; t < static_cast<int>(nt); ++t) {
          const bool in_block = t >= b && t < e;
          if (in_block) d.predicted[n * nt + t] = pred[t];
          // kfold: in sample = what this fold trained on, out of sample = its block;
          // split: the training part and the test part.
          const bool trained = plan.kfold ? !tc.holdout.contains(t) : t < n_split;
          const bool tested = plan.kfold ? in_block : !trained;
          if (trained)
            in_sample.add(n, pred[t], obs[t]);
          else if (tested)
            out_of_sample.add(n, pred[t], obs[t]);
        }
        if (!run.stop_epoch.empty()) d.stop_epoch[n] = std::max(d.stop_epoch[n], run.stop_epoch[n]);
      }
      const size_t nep = run.epoch_loss.size() / nn;
      if (loss_sum.size() < nn * nep) {
        loss_sum.resize(nn * nep, 0.0);
        loss_count.resize(nn * nep, 0);
      }
      for (size_t n = 0; n < nn; ++n)
        for (size_t ep = 0; ep < nep; ++ep) {
          const float l = run.epoch_loss[n * nep + ep];
          if (std::isfinite(l)) loss_sum[n * nep + ep] += l, ++loss_count[n * nep + ep];
        }
      if (options.inject) {
        if (run.params.empty())
          throw std::logic_error(trainer.name() + " did not return the trained weights of " + name +
                                 " (needed by --inject)");
        d.fold_params.push_back(std::move(run.params));
      }
    }
  }
  result.timing.emplace_back("train " + name, seconds_since(start));
  d.train_rmse = in_sample.rmse();
  d.test_rmse = out_of_sample.rmse();
  d.nepoch = nn ? loss_sum.size() / nn : 0;
  d.epoch_loss.assign(loss_sum.size(), std::numeric_limits<float>::quiet_NaN());
  for (size_t i = 0; i < loss_sum.size(); ++i)
    if (loss_count[i] > 0) d.epoch_loss[i] = static_cast<float>(loss_sum[i] / loss_count[i]);
  d.seconds = seconds_since(start);
  return d;
}

// A network trained ahead of the detector loop, with the timing entries run_network made.
struct TrainedNetwork {
  DetectorResult detector;
  std::vector<std::pair<std::string, double>> timing;
};

// run_network for every network of the config at once, one thread each (the trainer is
// thread-safe and runs concurrent calls side by side). Each network's training is what it would
// be alone, so the results equal the sequential loop's. The first error in config order is
// rethrown once every thread has ended.
std::map<std::string, TrainedNetwork> train_networks_concurrently(const Cube& cube,
                                                                  const ScanConfig& config,
                                                                  const FoldPlan& plan,
                                                                  Trainer& trainer,
                                                                  const ScanOptions& options) {
  std::vector<std::string> names;
  for (const std::string& name : config.scan.models)
    if (name != kMedianIqrName && name != kArName) names.push_back(name);
  std::map<std::string, TrainedNetwork> out;
  if (names.size() < 2) return out;  // nothing to overlap
  std::vector<TrainedNetwork> nets(names.size());
  std::vector<std::exception_ptr> errors(names.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < names.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        ScanResult scratch;  // run_network adds only its timing
        nets[i].detector =
            run_network(parse_model(names[i]), cube, config, plan, trainer, options, scratch);
        nets[i].timing = std::move(scratch.timing);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  for (size_t i = 0; i < names.size(); ++i) out[names[i]] = std::move(nets[i]);
  return out;
}

DetectorResult run_ar(const Cube& cube, const ScanConfig& config, const FoldPlan& plan,
                      const ScanOptions& options, ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  auto start = std::chrono::steady_clock::now();
  Progress progress(kArName, static_cast<long>(plan.blocks.size()), options.quiet_progress);
  DetectorResult d;
  d.name = kArName;
  d.neural = false;
  d.device = "cpu";
  d.predicted.assign(nn * nt, std::numeric_limits<float>::quiet_NaN());
  const int order = config.model.window;
  RmseSums in_sample(nn), out_of_sample(nn);
  for (size_t k = 0; k < plan.blocks.size(); ++k) {
    const TrainConfig tc = fold_train_config(config, plan, k, order, false);
    ArFit fit = ar_fit(cube.tec.data(), nn, nt, order, tc);
    std::vector<uint8_t> mask(nt, 0);
    for (int t = plan.blocks[k].first; t < plan.blocks[k].second; ++t) mask[t] = 1;
    ar_predict(fit, cube.tec.data(), nn, nt, mask.data(), d.predicted.data());
    d.ar_folds.push_back(std::move(fit));
    progress.advance();
  }
  const int split = plan.kfold ? 0 : train_split(config.train.train_fraction, static_cast<int>(nt));
  for (size_t n = 0; n < nn; ++n)
    for (int t = 0; t < static_cast<int>(nt); ++t)
      (t < split ? in_sample : out_of_sample).add(n, d.predicted[n * nt + t], cube.node_tec(n)[t]);
  d.train_rmse = in_sample.rmse();
  d.test_rmse = out_of_sample.rmse();
  progress.finish();
  d.seconds = seconds_since(start);
  result.timing.emplace_back(kArName, d.seconds);
  return d;
}

DetectorResult run_median_iqr(const Cube& cube, const ScanConfig& config,
                              const ScanOptions& options, ScanResult& result) {
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
  d.seconds = seconds_since(start);
  result.timing.emplace_back(kMedianIqrName, d.seconds);
  return d;
}

// valid[n][t]: quiet with a finite DTEC, the denominator of every rate.
std::vector<uint8_t> valid_node_epochs(const DetectorResult& d, const QuietMask& q, size_t nn,
                                       size_t nt) {
  std::vector<uint8_t> v(nn * nt, 0);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t)
      v[n * nt + t] = q.quiet[t] && std::isfinite(d.dtec[n * nt + t]) ? 1 : 0;
  return v;
}

// The statistics' epochs in words without counts, so that runs of one method share one null.
const char* stats_source(StatsFrom s) {
  switch (s) {
    case StatsFrom::kPreEvent:
      return "the quiet epochs before the event";
    case StatsFrom::kControls:
      return "the quiet epochs before the precursor window";
    default:
      return "every epoch";
  }
}

void compute_significance(const Cube& cube, const ScanConfig& config, const FoldPlan& plan,
                          ScanResult& result) {
  const size_t nn = cube.nnode(), nt = cube.ntime();
  const size_t ndet = result.detectors.size();
  result.consensus_min = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(config.significance.consensus_min), ndet));
  result.significance_days = significance_days(cube.time.data(), nt, result.layout.event_time);
  std::vector<int> finite_count(nn * nt, 0);
  for (const DetectorResult& d : result.detectors) {
    std::vector<uint8_t> valid = valid_node_epochs(d, result.quiet, nn, nt);
    Significance s = window_significance(d.anomaly.data(), valid.data(), nn, cube.time.data(), nt,
                                         result.layout);
    s.name = d.name;
    s.threshold = d.threshold;
    s.threshold_source = d.threshold_source;
    result.significance.push_back(std::move(s));
    for (size_t i = 0; i < nn * nt; ++i) finite_count[i] += std::isfinite(d.dtec[i]) ? 1 : 0;
  }
  // The consensus: an anomaly where at least consensus_min detectors flag one, valid where at
  // least that many have a DTEC at a quiet epoch.
  std::vector<uint8_t> anomaly(nn * nt), valid(nn * nt);
  for (size_t n = 0; n < nn; ++n)
    for (size_t t = 0; t < nt; ++t) {
      const size_t i = n * nt + t;
      valid[i] = result.quiet.quiet[t] && finite_count[i] >= result.consensus_min ? 1 : 0;
      anomaly[i] = result.consensus[i] >= result.consensus_min ? 1 : 0;
    }
  Significance s =
      window_significance(anomaly.data(), valid.data(), nn, cube.time.data(), nt, result.layout);
  s.name = kConsensusName;
  s.threshold = std::numeric_limits<double>::quiet_NaN();
  s.threshold_source = "at least " + std::to_string(result.consensus_min) + " detectors";
  result.significance.push_back(std::move(s));

  const bool disjoint = result.layout.control_step_days >= result.layout.window_days;
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "%s; %s control windows of %g days ending every %g days before the precursor "
                "window, from the same series%s; DTEC statistics and thresholds from %s; "
                "thresholds %s",
                plan.kfold ? ("blocked " + std::to_string(plan.blocks.size()) +
                              "-fold predictions, every epoch out of sample")
                                 .c_str()
                           : "the paper's split: controls are mostly in the training part, the "
                             "precursor window in the test part, so p is NOT calibrated",
                disjoint ? "disjoint" : "overlapping", result.layout.window_days,
                result.layout.control_step_days,
                disjoint ? "" : " (overlapping controls make p anti-conservative)",
                stats_source(config.detect.stats_from), threshold_rule(config.detect).c_str());
  result.null_description = buf;
}

double median_of_finite(const std::vector<double>& v) {
  std::vector<double> f;
  for (double x : v)
    if (std::isfinite(x)) f.push_back(x);
  if (f.empty()) return std::numeric_limits<double>::quiet_NaN();  // undefined, never "-nan"
  std::sort(f.begin(), f.end());
  return quantile_sorted(f.data(), f.size(), 0.5);
}

}  // namespace

double DetectorResult::threshold_at(TimeS t) const {
  return hour_threshold.size() == 24 ? hour_threshold[utc_hour(t)] : threshold;
}

int FoldPlan::fold_of(int t) const {
  for (size_t k = 0; k < blocks.size(); ++k)
    if (t >= blocks[k].first && t < blocks[k].second) return static_cast<int>(k);
  return -1;
}

FoldPlan make_fold_plan(const ValidationConfig& v, size_t ntime) {
  FoldPlan p;
  p.kfold = v.kfold;
  const long nt = static_cast<long>(ntime);
  if (!v.kfold) {
    p.blocks.emplace_back(0, static_cast<int>(nt));
    return p;
  }
  const long k = std::max(2, v.folds);
  for (long i = 0; i < k; ++i)
    p.blocks.emplace_back(static_cast<int>(i * nt / k), static_cast<int>((i + 1) * nt / k));
  return p;
}

ScanResult compute_scan(const Cube& cube, const ScanConfig& config, Trainer& trainer,
                        const ScanOptions& options) {
  check_inputs(cube, config, trainer, options);
  const size_t nn = cube.nnode(), nt = cube.ntime();
  ScanResult result;
  result.nnode = nn;
  result.ntime = nt;
  // Such nodes get no prediction and no DTEC, so every statistic, threshold and rate skips them.
  if (const std::vector<size_t> empty = nodes_without_data(cube); !empty.empty())
    result.notes.push_back(std::to_string(empty.size()) + " of " + std::to_string(nn) +
                           " nodes have no valid TEC value and are left out of the statistics: " +
                           describe_nodes(cube, empty));
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
  result.layout.event_time = cube.event.time;
  result.layout.window_days = config.significance.window_days;
  result.layout.control_step_days = config.significance.control_step_days > 0
                                        ? config.significance.control_step_days
                                        : config.significance.window_days;
  result.control = control_epochs(result.quiet.quiet.data(), cube.time.data(), nt, result.layout);
  result.calibration = calibration_epochs(config, cube, result);
  const std::vector<uint8_t>& stats_mask = result.calibration;
  const FoldPlan plan = make_fold_plan(config.validation, nt);

  std::map<std::string, TrainedNetwork> trained;
  if (options.concurrent_models && trainer.thread_safe() && trainer.prefers_concurrent_models())
    trained = train_networks_concurrently(cube, config, plan, trainer, options);
  if (!trained.empty())
    result.notes.push_back(std::to_string(trained.size()) +
                           " networks trained at once (one GPU stream each): their \"train\" "
                           "seconds overlap (--sequential-models times each alone)");
  for (const std::string& name : config.scan.models) {
    DetectorResult d;
    if (name == kMedianIqrName) {
      d = run_median_iqr(cube, config, options, result);
    } else if (auto t = trained.find(name); t != trained.end()) {
      d = std::move(t->second.detector);
      result.timing.insert(result.timing.end(), t->second.timing.begin(), t->second.timing.end());
    } else {
      d = name == kArName
              ? run_ar(cube, config, plan, options, result)
              : run_network(parse_model(name), cube, config, plan, trainer, options, result);
    }
    if (name != kMedianIqrName) {
      auto start = std::chrono::steady_clock::now();
      detect(d, cube, config, options, stats_mask, result);
      result.timing.emplace_back("dtec " + name, seconds_since(start));
    }
    set_threshold_and_flag(d, cube, config, result);
    result.detectors.push_back(std::move(d));
  }
  result.consensus.assign(nn * nt, 0);
  for (const DetectorResult& d : result.detectors)
    for (size_t i = 0; i < nn * nt; ++i) result.consensus[i] += d.anomaly[i];
  {
    auto start = std::chrono::steady_clock::now();
    compute_significance(cube, config, plan, result);
    if (!result.significance.empty() && result.significance.front().control_rates.empty())
      result.notes.push_back(
          "no control window of " + number_text(config.significance.window_days) +
          " days fits before the precursor window: p and z are undefined; scan a longer "
          "series (--days-before) or shorten [significance] window_days");
    result.timing.emplace_back("significance", seconds_since(start));
  }
  if (options.inject) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> notes;
    result.sensitivity = injection_recovery(cube, config, result, options, &notes);
    result.notes.insert(result.notes.end(), notes.begin(), notes.end());
    result.timing.emplace_back("injection-recovery", seconds_since(start));
  }
  // Notes are warnings, not progress: said even with quiet_progress.
  for (const std::string& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  return result;
}

DetectorSummary summarize_detector(const DetectorResult& d, size_t nnode, size_t ntime,
                                   const TimeS* time) {
  DetectorSummary s;
  s.name = d.name;
  s.threshold = d.threshold;
  s.device = d.device;
  s.seconds = d.seconds;
  for (size_t n = 0; n < nnode; ++n)
    for (size_t t = 0; t < ntime; ++t) {
      const float v = d.dtec[n * ntime + t];
      if (!(std::fabs(v) > (time ? d.threshold_at(time[t]) : d.threshold))) continue;
      if (!d.anomaly[n * ntime + t]) {
        ++s.flagged_storm;
        continue;
      }
      ++s.anomalies;
      if (!s.first.found || t < s.first.time) s.first = {true, n, t, v};
      if (!s.strongest.found || std::fabs(v) > std::fabs(s.strongest.dtec))
        s.strongest = {true, n, t, v};
    }
  if (!d.train_rmse.empty()) {
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
        summarize_detector(d, result.nnode, result.ntime, cube.time.data()));
  for (uint8_t q : result.quiet.quiet) summary.quiet_epochs += q;
  for (uint8_t c : result.consensus)
    summary.max_consensus = std::max<int>(summary.max_consensus, c);
  summary.timing = result.timing;
  summary.layout = result.layout;
  summary.consensus_min = result.consensus_min;
  summary.null_description = result.null_description;
  summary.stats_note = result.stats_note;
  summary.significance = result.significance;
  summary.sensitivity = result.sensitivity;
  summary.notes = result.notes;
  write_scan_outputs(out_dir, cube, config, result, summary, options);
  return summary;
}

}  // namespace tecscan
