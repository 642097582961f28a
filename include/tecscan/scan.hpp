// The anomaly scan of one cube: every configured detector (the six networks through a Trainer,
// and the classical median-iqr bound) -> dTEC, DTEC, the quiet mask, anomaly flags and their
// consensus -> the run directory (docs/outputs.md describes every file).
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tecscan/ar.hpp"
#include "tecscan/config.hpp"
#include "tecscan/cube.hpp"
#include "tecscan/detect.hpp"
#include "tecscan/significance.hpp"
#include "tecscan/trainer.hpp"

namespace tecscan {

struct ScanOptions {
  DtecFn dtec = compute_dtec_cpu;        // the GPU build passes its Thrust version
  bool quiet_progress = false;           // no progress lines on stderr
  std::vector<std::string> input_files;  // checksummed (SHA-256) into summary.json
  bool inject = false;  // injection-recovery with config.inject after the scan (sensitivity.csv)
  // Train the networks at once, one thread each, when the trainer is thread_safe() and
  // prefers_concurrent_models() (a GPU trainer's streams: the small models fill the large
  // ones' gaps). Results are identical either way; false: one after another.
  bool concurrent_models = true;
};

// One detector's results, all arrays [node][time] unless noted.
struct DetectorResult {
  std::string name;              // "mlp" ... "cnn-lstm", "median-iqr", "ar"
  bool neural = true;            // false for median-iqr and ar
  std::string device;            // where it ran ("cpu (2 threads)", the GPU's name)
  std::vector<float> predicted;  // TECU (median-iqr: the median m of the history)
  std::vector<float> delta;      // observed - predicted, TECU
  std::vector<float> dtec;       // (delta - median) / IQR (median-iqr: (x - m) / IQR)
  std::vector<uint8_t> anomaly;  // |dtec| > threshold and quiet
  double threshold = 0;          // this detector's |DTEC| threshold (over all hours)
  std::string threshold_source;  // "fixed" or "false_alarm_rate=0.01 over N quiet node-epochs"
  // [24] the threshold at each UTC hour: with a false-alarm rate and the utc-hour scope each
  // hour gets its own (the same rate at every hour of day), else all equal `threshold`.
  std::vector<double> hour_threshold;
  double threshold_at(TimeS t) const;
  // Networks and ar: the DTEC statistics [node][group] (ngroup 1 or 24, detect.scope).
  // median-iqr: the bound's median and IQR per epoch [node][time] (ngroup = ntime).
  size_t ngroup = 0;
  std::vector<double> stat_median, stat_iqr;
  // Networks only.
  size_t nepoch = 0;
  std::vector<float> epoch_loss;              // [node][epoch]
  std::vector<double> train_rmse, test_rmse;  // [node] TECU (kfold: test = out of sample)
  std::vector<int> stop_epoch;                // [node] epochs trained (max over folds)
  double seconds = 0;                         // training (or median-iqr) + DTEC wall time
  // What injection-recovery needs to predict again without training: the trained weights
  // [fold][node * parameter_count] (networks, only with ScanOptions::inject) and the AR fits.
  std::vector<std::vector<float>> fold_params;
  std::vector<ArFit> ar_folds;
};

// How every epoch got its prediction: one block per fold (kfold), or one block for the split.
struct FoldPlan {
  bool kfold = true;
  std::vector<std::pair<int, int>> blocks;  // [begin, end) epochs predicted by fold k
  int fold_of(int t) const;                 // the block holding epoch t
};
FoldPlan make_fold_plan(const ValidationConfig& v, size_t ntime);

struct SensitivityRow {
  std::string detector;
  double amplitude = 0;
  size_t injections = 0;
  double recall = 0, false_alarm_rate = 0, threshold = 0;
};

struct ScanResult {
  size_t nnode = 0, ntime = 0;
  QuietMask quiet;                                     // [time]
  std::vector<DetectorResult> detectors;               // in config order
  std::vector<uint8_t> consensus;                      // [node][time] detectors flagging an anomaly
  std::vector<std::pair<std::string, double>> timing;  // (stage, seconds) in run order
  // Calibration and significance.
  WindowLayout layout;           // the precursor window and control steps
  std::vector<uint8_t> control;  // [time] the control epochs (quiet, before the window)
  // [time] the epochs whose DTEC sets the statistics and the threshold (detect.stats_from).
  std::vector<uint8_t> calibration;
  std::string stats_note;                   // which epochs gave the DTEC statistics
  std::string null_description;             // the null the p-values assume
  int consensus_min = 0;                    // effective (capped at the number of detectors)
  std::vector<int32_t> significance_days;   // day offsets of the daily bins
  std::vector<Significance> significance;   // detectors in order, then the consensus
  std::vector<SensitivityRow> sensitivity;  // with ScanOptions::inject
  std::vector<std::string> notes;           // said on stderr and kept in summary.json
};

// Where and how strong; node/time are indices into the cube.
struct AnomalyPoint {
  bool found = false;
  size_t node = 0, time = 0;
  float dtec = std::numeric_limits<float>::quiet_NaN();
};

struct DetectorSummary {
  std::string name, device;
  double threshold = 0;
  long anomalies = 0;      // |DTEC| > threshold under quiet conditions
  long flagged_storm = 0;  // |DTEC| > threshold but not quiet (or indices missing)
  AnomalyPoint first;      // earliest anomaly (lowest node on ties)
  AnomalyPoint strongest;  // largest |DTEC| among the anomalies
  double median_train_rmse = std::numeric_limits<double>::quiet_NaN();  // over nodes, TECU
  double median_test_rmse = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0;
};

struct ScanSummary {
  std::string out_dir;
  std::vector<DetectorSummary> detectors;              // config order
  std::vector<std::pair<std::string, double>> timing;  // (stage, seconds), "total" last
  long quiet_epochs = 0;
  int max_consensus = 0;
  // Copied from the ScanResult for summary.json.
  WindowLayout layout;
  int consensus_min = 0;
  std::string null_description, stats_note;
  std::vector<Significance> significance;
  std::vector<SensitivityRow> sensitivity;
  std::vector<std::string> notes;
};

// Every configured detector on the cube; nothing is written. Throws InputError when the cube
// or the config cannot be scanned (empty cube, a series shorter than a model's input ...).
ScanResult compute_scan(const Cube& cube, const ScanConfig& config, Trainer& trainer,
                        const ScanOptions& options = {});
// time: [ntime] for per-hour thresholds (null: d.threshold at every epoch).
DetectorSummary summarize_detector(const DetectorResult& d, size_t nnode, size_t ntime,
                                   const TimeS* time = nullptr);

// Injection-recovery on a computed scan (the detectors' trained weights must have been kept:
// ScanOptions::inject): plants config.inject's disturbances into copies of the cube, predicts
// again with the trained models, and scores every detector and the consensus with the clean
// run's statistics and thresholds. What could not be done (too few injections fit) is added to
// notes when given.
std::vector<SensitivityRow> injection_recovery(const Cube& cube, const ScanConfig& config,
                                               const ScanResult& result, const ScanOptions& options,
                                               std::vector<std::string>* notes = nullptr);

// Writes scan.h5, anomalies.csv, config.used.toml and, last, summary.json into out_dir
// (created when missing). Each file is written to a temp file and renamed; an old summary.json
// is removed before the first file is replaced, so summary.json marks a complete run.
// Appends the stages "write outputs" and "total" (the sum of all stages) to summary.timing.
void write_scan_outputs(const std::string& out_dir, const Cube& cube, const ScanConfig& config,
                        const ScanResult& result, ScanSummary& summary, const ScanOptions& options);

// compute_scan + write_scan_outputs. Input files are checked before any training starts.
ScanSummary run_scan(const Cube& cube, const ScanConfig& config, Trainer& trainer,
                     const std::string& out_dir, const ScanOptions& options = {});

// Tries its trainers in order and trains each model with the first that supports it, e.g.
// {CUDA, CPU}: the GPU where it can, the CPU for the rest (a note on stderr says so).
class CompositeTrainer : public Trainer {
 public:
  explicit CompositeTrainer(std::vector<std::unique_ptr<Trainer>> trainers,
                            bool announce_fallback = true);
  std::string name() const override;  // the names joined by '+'
  bool supports(ModelKind k, const ModelConfig& mc) const override;
  // Throws InputError naming every trainer when none supports the model.
  ModelRun train(ModelKind k, const ModelConfig& mc, const TrainConfig& tc, const Cube& cube,
                 Progress* progress) override;
  // Some trainer of the chain runs (k, p).
  bool supports_precision(ModelKind k, Precision p) const override;
  // Thread-safe when all its trainers are; prefers concurrent models when one of them does.
  bool thread_safe() const override;
  bool prefers_concurrent_models() const override;
  // The first trainer that runs the model (whatever the [train] options), or nullptr.
  Trainer* choose(ModelKind k, const ModelConfig& mc) const;
  // The trainer train() uses: the first that runs the model and every [train] option (early
  // stopping, the precision), or nullptr.
  Trainer* choose(ModelKind k, const ModelConfig& mc, const TrainConfig& tc) const;

 private:
  std::vector<std::unique_ptr<Trainer>> trainers_;
  bool announce_fallback_;
};

}  // namespace tecscan
