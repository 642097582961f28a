// tecscan scan: train the predictors for every node of a cube and flag anomalies.
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>

#include "commands.hpp"
#include "ingest_args.hpp"
#include "selection_args.hpp"
#include "tecscan/batch.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/config.hpp"
#include "tecscan/error.hpp"
#include "tecscan/inject.hpp"
#include "tecscan/ionex.hpp"
#include "tecscan/packing.hpp"
#include "tecscan/scan.hpp"
#include "tecscan/trainer_factory.hpp"
#include "tecscan/validate.hpp"

namespace tecscan::cli {

namespace {
struct ScanArgs {
  IngestArgs ingest;
  std::string cube, config, rnn_impl = "auto", out;
  std::vector<std::string> overrides;
  // Options that set a config key (--epochs sets train.epochs): validated by the config's own
  // ranges (apply_setting). A deque, so the values CLI11 writes into keep their addresses.
  struct Setting {
    std::string option, key, value;
    CLI::Option* given = nullptr;
  };
  std::deque<Setting> settings;
  int gpu_node_chunk = 0;
  bool quiet = false, inject = false;
  // Batch mode: --catalog without --event-id / --event.
  SelectionArgs selection;
  long event_index = -1;
  long events_per_task = 1;
  CLI::Option* events_per_task_given = nullptr;
  bool force = false;
  bool pack = false;               // --pack: the task's events train together (packing.hpp)
  bool cuda_graphs = false;        // --cuda-graphs: BackendOptions::cuda_graphs
  bool sequential_models = false;  // --sequential-models: not ScanOptions::concurrent_models
};

// --event-index and --gpu-node-chunk: counts.
constexpr NumberRange kCountRange{0, kInf, false, false, true};
// --events-per-task: as every count's, the upper bound only catches a typo (docs/errors.md).
constexpr NumberRange kEventsPerTaskRange{1, 100000, false, false, true};

BackendOptions backend_options(const ScanArgs& a) {
  BackendOptions hardware;
  hardware.rnn_impl = a.rnn_impl;
  hardware.gpu_node_chunk = a.gpu_node_chunk;
  hardware.cuda_graphs = a.cuda_graphs;
  return hardware;
}

// The backend's notes, and what the scan's own GPU-only options do not do on the CPU.
void print_backend_notes(const Backend& backend, const ScanArgs& a) {
  for (const std::string& note : backend.notes) std::fprintf(stderr, "%s\n", note.c_str());
  if (!backend.gpu && a.sequential_models)
    std::fprintf(stderr,
                 "note: --sequential-models has no effect: the models train on the CPU, one "
                 "after another on every core\n");
}

void print_scan_tables(const ScanSummary& s, const std::string& out_dir) {
  std::printf("%-11s %-22s %9s %9s %10s %10s %8s\n", "detector", "device", "anomalies", "storm",
              "train_rmse", "test_rmse", "seconds");
  for (const auto& d : s.detectors)
    std::printf("%-11s %-22s %9ld %9ld %10.3f %10.3f %8.1f\n", d.name.c_str(),
                d.device.substr(0, 22).c_str(), d.anomalies, d.flagged_storm, d.median_train_rmse,
                d.median_test_rmse, d.seconds);
  std::printf("\nprecursor window: %g days before the event; %s\n", s.layout.window_days,
              s.null_description.c_str());
  std::printf("%-11s %9s %11s %11s %21s %7s %7s %8s\n", "detector", "threshold", "window_rate",
              "control_mean", "control_5-95%", "p", "z", "controls");
  // "-" where a number is undefined (no control window, the consensus' threshold).
  auto num = [](double v, int width, int decimals) {
    char buf[32];
    if (std::isfinite(v))
      std::snprintf(buf, sizeof buf, "%*.*f", width, decimals, v);
    else
      std::snprintf(buf, sizeof buf, "%*s", width, "-");
    return std::string(buf);
  };
  for (const Significance& g : s.significance) {
    const bool band = std::isfinite(g.control_p05) && std::isfinite(g.control_p95);
    const std::string range =
        band ? num(g.control_p05, 10, 4) + "-" + num(g.control_p95, -10, 4) : num(NAN, 21, 0);
    std::printf("%-11s %s %s %s %s %s %s %8zu\n", g.name.c_str(), num(g.threshold, 9, 3).c_str(),
                num(g.window_rate, 11, 4).c_str(), num(g.control_mean, 11, 4).c_str(),
                range.c_str(), num(g.p_value, 7, 3).c_str(), num(g.z, 7, 2).c_str(),
                g.control_rates.size());
  }
  if (!s.sensitivity.empty()) {
    std::printf("\n%-11s %9s %10s %7s %11s\n", "detector", "amplitude", "injections", "recall",
                "false_alarm");
    for (const SensitivityRow& r : s.sensitivity)
      std::printf("%-11s %9.3f %10zu %7.3f %11.3f\n", r.detector.c_str(), r.amplitude, r.injections,
                  r.recall, r.false_alarm_rate);
  }
  std::printf("results: %s/{scan.h5,anomalies.csv,summary.json,config.used.toml%s}\n",
              out_dir.c_str(), s.sensitivity.empty() ? "" : ",sensitivity.csv");
}

// The trainer and DTEC function the events of a packed task share (one backend for all).
struct SharedTraining {
  Trainer* trainer = nullptr;
  DtecFn dtec = nullptr;
};

// One event: its cube (read, or built from the ingest inputs), the backend for the configured
// device (or the packed task's shared one), the scan into out_dir, and the tables on stdout.
void scan_event(const ScanArgs& a, const ScanConfig& cfg, const IngestOptions& ingest,
                const std::string& out_dir, const SharedTraining* shared = nullptr) {
  Cube cube;
  ScanOptions opts;
  opts.quiet_progress = a.quiet;
  opts.inject = a.inject;
  opts.concurrent_models = !a.sequential_models;
  if (a.inject) check_inject_config(cfg.inject);
  // The backend first: --device cuda without a usable GPU fails before the cube is built.
  std::unique_ptr<Backend> own;
  if (!shared) {
    own = std::make_unique<Backend>(make_backend(cfg, backend_options(a)));
    print_backend_notes(*own, a);
  }
  Trainer& trainer = shared ? *shared->trainer : *own->trainer;
  opts.dtec = shared ? shared->dtec : own->dtec;
  if (!a.cube.empty()) {
    cube = read_cube(a.cube);
    opts.input_files.push_back(a.cube);
  } else {
    cube = build_cube(ingest);
    // An archive is traced by its per-day provenance (each IONEX file's SHA-256, in
    // cube.sources / summary.json) rather than re-hashed whole for every event.
    opts.input_files = ingest.archive.empty() ? cube.sources : expand_inputs(ingest.indices);
  }
  if (!a.quiet)
    std::fprintf(stderr, "event %s: %zu nodes x %zu epochs, %d training epochs\n",
                 cube.event.id.c_str(), cube.nnode(), cube.ntime(), cfg.train.epochs);
  print_scan_tables(run_scan(cube, cfg, trainer, out_dir, opts), out_dir);
  // A task log of several events (stdout a file, so block-buffered) then shows each event's
  // tables beside its progress lines on stderr, not all of them at the end.
  std::fflush(stdout);
}

// The exit-2 message of a task whose events failed (each was reported when it failed): every
// failed event with its reason, so the task log's last line says what to fix.
std::string failure_summary(const BatchTaskOutcome& outcome) {
  const size_t count = outcome.range.last - outcome.range.first;
  std::string s = std::to_string(outcome.failed.size()) + " of the " + std::to_string(count) +
                  " events of task " + std::to_string(outcome.range.task) + " failed";
  for (const BatchEventFailure& f : outcome.failed) s += "; " + f.event_id + ": " + f.reason;
  return s + " (the task's other events are complete; a rerun skips them and retries these)";
}
}  // namespace

Command add_scan(CLI::App& app) {
  auto a = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "Train the six predictors (MLP, CNN, RNN, GRU, LSTM, CNN-LSTM) for every node of the "
      "region, compute dTEC = observed - predicted and DTEC = (dTEC - median) / IQR, and flag "
      "anomalies under quiet conditions; the median-iqr detector (median +- IQR bound of the "
      "previous 15 days at the same hour) and a linear AR(p) baseline (ar) run beside them.\n"
      "Calibrated by default: every prediction is out of sample (blocked 5-fold), the median "
      "and IQR are per UTC hour from the quiet epochs before the event, each detector's "
      "threshold gives 1 % false alarms per quiet node-epoch on those epochs at every hour, "
      "and the precursor window's anomaly rate (days -15..0) is compared with disjoint "
      "15-day control windows before it (p, z; p >= 1 / (1 + controls), so use a long series "
      "for one event). configs/paper.toml is the paper's exact method (65 % split, "
      "whole-series statistics, |DTEC| > 1.5). docs/calibration.md explains every number.\n"
      "Writes <out>/scan.h5, anomalies.csv, summary.json and config.used.toml (and "
      "sensitivity.csv with --inject).\n"
      "Examples:\n"
      "  tecscan scan --cube cube.h5 --out runs/ev1\n"
      "  tecscan scan --cube cube.h5 --config configs/default.toml --models mlp,ar,median-iqr "
      "--epochs 20 --out runs/quick\n"
      "  tecscan scan --cube cube.h5 --inject --set inject.amplitudes=[0.1,0.2,0.4] "
      "--out runs/limits   # detection limits\n"
      "  tecscan scan --cube cube.h5 --config configs/paper.toml --out runs/paper\n"
      "  tecscan scan --ionex data/ionex/jpl-2000-2001 --indices data/indices/SW-All.txt \\\n"
      "      --event 2001-01-13T17:33:32Z,13.049,-88.660,7.7 --set detect.scope=utc-hour "
      "--out runs/hourly\n"
      "Batch mode (catalogue events per job array task): --catalog without --event-id runs "
      "the N-th event of the selection (numbered as 'tecscan catalog' lists it; N from "
      "--event-index or SLURM_ARRAY_TASK_ID) into <out>/<event id>/; a complete run of the same "
      "event and method is skipped, an interrupted one is redone from the start. With "
      "--events-per-task K, task N runs events N*K .. N*K+K-1 one after the other, each "
      "exactly as a task of its own (the array then has ceil(events / K) tasks); an event "
      "that fails with an input error is reported, the task goes on with its other events "
      "and exits 2 at the end. --pack trains each model once for all the task's events "
      "(the GPU's launches hold every event's nodes), with results bit-identical to "
      "running each event alone:\n"
      "  tecscan scan --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --min-mag 7 \\\n"
      "      --archive gim.h5 --indices data/indices/SW-All.txt --event-index 0 --out runs/m7");
  cmd->add_option("--cube", a->cube,
                  "regional cube from 'tecscan ingest' (or give the ingest "
                  "inputs below to build it on the fly)")
      ->group("Inputs");
  add_ingest_options(*cmd, a->ingest);
  add_selection_options(*cmd, a->selection, "Batch", "batch mode: ");
  cmd->add_option("--event-index", a->event_index,
                  "batch mode: 0-based index into the selection, or of the task with "
                  "--events-per-task (default: $SLURM_ARRAY_TASK_ID)")
      ->check(in_range(kCountRange))
      ->group("Batch");
  a->events_per_task_given =
      cmd->add_option("--events-per-task", a->events_per_task,
                      "batch mode: K, the events one task runs, one after the other; "
                      "--event-index (or SLURM_ARRAY_TASK_ID) then numbers the task: task N "
                      "runs events N*K .. N*K+K-1 of the selection (default 1)")
          ->check(in_range(kEventsPerTaskRange))
          ->group("Batch");
  cmd->add_flag("--pack", a->pack,
                "batch mode with --events-per-task K > 1: run the task's events side by side "
                "and train each model once for all of them (their nodes share the GPU's "
                "launches, or the CPU's threads); every event's results are bit-identical to "
                "running it alone, and each still gets its own resumable run directory")
      ->group("Batch");
  cmd->add_flag("--force", a->force,
                "batch mode: recompute even when the run directory holds a complete run")
      ->group("Batch");
  cmd->add_option("--config", a->config,
                  "TOML config (configs/default.toml documents every key and holds the "
                  "defaults, the calibrated method; configs/paper.toml is the paper's)")
      ->group("Method");
  auto setting = [&](const char* option, const char* key, const std::string& help,
                     const char* type) {
    ScanArgs::Setting& s = a->settings.emplace_back();
    s.option = option;
    s.key = key;
    s.given = cmd->add_option(option, s.value, help)->type_name(type);
    return s.given;
  };
  setting("--models", "scan.models",
          "comma-separated detectors: mlp,cnn,rnn,gru,lstm,cnn-lstm,median-iqr,ar", "TEXT")
      ->group("Method");
  setting("--epochs", "train.epochs",
          "training epochs, 1..100000 (config [train] epochs, default 20)", "INT")
      ->group("Method");
  setting("--seed", "train.seed", "random seed for weights and batch order (an integer >= 0)",
          "INT")
      ->group("Method");
  setting("--precision", "train.precision",
          "arithmetic of the training products: fp32 (default), 3xtf32 (tensor cores, "
          "FP32-accurate), tf32 or bf16 (tensor cores); models without a GPU path in that "
          "precision train on the CPU's emulation (config [train] precision; docs/precision.md)",
          "{fp32,3xtf32,tf32,bf16}")
      ->group("Method");
  cmd->add_option("--set", a->overrides,
                  "override any config key, e.g. --set detect.scope=utc-hour --set "
                  "quiet.kp_max=3")
      ->group("Method");
  setting("--device", "scan.device",
          "auto (GPU when present, else CPU), cpu or cuda; models the GPU backend "
          "cannot run fall back to the CPU with a note",
          "TEXT")
      ->check(CLI::IsMember({"auto", "cpu", "cuda", "gpu"}))
      ->group("Hardware");
  cmd->add_option("--rnn-impl", a->rnn_impl,
                  "recurrent models on the GPU: auto (fused, and block in 3xtf32), fused "
                  "(every activation; fp32, or tf32/bf16 on cuBLAS' tensor cores), cudnn (tanh "
                  "cells only, fp32) or block (one thread block per node, tensor cores in every "
                  "--precision; slower than fused in fp32 on an H200)")
      ->check(CLI::IsMember({"auto", "fused", "cudnn", "block"}))
      ->default_val("auto")
      ->group("Hardware");
  cmd->add_option("--gpu-node-chunk", a->gpu_node_chunk,
                  "nodes trained per GPU launch (0 = sized from free device memory); lower it "
                  "if the GPU runs out of memory")
      ->check(in_range(kCountRange))
      ->group("Hardware");
  cmd->add_flag("--cuda-graphs", a->cuda_graphs,
                "replay each training epoch of the fused recurrent models from a CUDA graph "
                "(fewer launches; results identical, confirmed on an H200; off until its speed "
                "is measured: docs/gpu-rnn.md)")
      ->group("Hardware");
  cmd->add_flag("--sequential-models", a->sequential_models,
                "on the GPU, train the networks one after another instead of at once (one "
                "stream each, so the small models fill the device the large ones leave idle); "
                "results are identical either way: for timing each network alone")
      ->group("Hardware");
  setting("--threads", "scan.threads", "CPU threads, 0..4096 (0 = all cores)", "INT")
      ->group("Hardware");
  cmd->add_option("--out,-o", a->out,
                  "run directory (created; files replaced atomically); in batch mode the root "
                  "that holds one directory per event")
      ->required();
  cmd->add_flag("--inject", a->inject,
                "injection-recovery: plant the [inject] disturbances (amplitudes relative to "
                "the local TEC, duration, footprint radius, sign; see configs/default.toml) at "
                "random quiet times outside the precursor window, predict again with the "
                "trained models and write sensitivity.csv (recall and false alarms per "
                "detector and amplitude)")
      ->group("Method");
  cmd->add_flag("--quiet,-q", a->quiet, "no progress output");
  return {cmd, [a] {
            ScanConfig cfg = a->config.empty() ? ScanConfig() : load_config(a->config);
            apply_overrides(cfg, a->overrides);
            for (const ScanArgs::Setting& s : a->settings)
              if (s.given->count() > 0) apply_setting(cfg, s.key, s.value, s.option);

            IngestOptions ingest = a->ingest.resolved();
            const bool batch = !ingest.catalog.empty() && ingest.event_id.empty() &&
                               ingest.event_spec.empty() && a->cube.empty();
            const bool have_ingest = !ingest.ionex.empty() || !ingest.archive.empty();
            if (!a->cube.empty() && !ingest.catalog.empty())
              throw InputError(
                  "--cube holds its event already: --catalog selects events to ingest (with "
                  "--ionex or --archive), drop one of them");
            if (a->cube.empty() == !have_ingest)
              throw InputError(
                  "give either --cube FILE or the ingest inputs (--ionex or --archive ...), "
                  "not both");
            if (!a->cube.empty())
              require_regular_file(a->cube, "a cube written by tecscan ingest (--cube)");
            std::vector<std::string> inputs = ingest_input_paths(ingest);
            for (const std::string& file : {a->cube, a->config})
              if (!file.empty()) inputs.push_back(file);
            if (batch) {
              BatchTask task;
              task.root = a->out;
              task.events = select_events(read_comcat(ingest.catalog), a->selection.filter());
              task.event_index = a->event_index;
              task.events_per_task = static_cast<size_t>(a->events_per_task);
              task.config = cfg;
              task.force = a->force;
              task.inputs = inputs;
              if (a->pack && a->events_per_task < 2)
                throw InputError(
                    "--pack trains the events of a task together: give --events-per-task K "
                    "with K >= 2");
              // --pack: one backend for the task; each event's job builds its own ingest
              // options (the jobs run on threads of their own).
              std::unique_ptr<Backend> backend;
              std::unique_ptr<PackedTraining> packing;
              SharedTraining shared;
              if (a->pack) {
                backend = std::make_unique<Backend>(make_backend(cfg, backend_options(*a)));
                print_backend_notes(*backend, *a);
                // What was packed is part of the task's protocol, said as its "batch:"
                // lines are, even with --quiet.
                packing = std::make_unique<PackedTraining>(
                    *backend->trainer,
                    [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
                shared = {&packing->trainer(), backend->dtec};
                task.run_together = [&](const std::vector<std::function<void()>>& jobs) {
                  return packing->run(jobs);
                };
              }
              const BatchTaskOutcome outcome =
                  run_batch_task(task, [&](const Event& ev, const std::string& run_dir) {
                    IngestOptions event_ingest = ingest;
                    event_ingest.event_id = ev.id;
                    scan_event(*a, cfg, event_ingest, run_dir, a->pack ? &shared : nullptr);
                  });
              if (!outcome.failed.empty()) throw InputError(failure_summary(outcome));
              return 0;
            }
            if (a->event_index >= 0 || a->events_per_task_given->count() > 0 || a->force ||
                a->pack || a->selection.any())
              throw InputError(
                  "--event-index, --events-per-task, --pack, --force, --min-mag, --start and "
                  "--end are for batch mode: give --catalog without --event-id or --event");
            require_scan_run_dir(a->out, inputs);
            scan_event(*a, cfg, ingest, a->out);
            return 0;
          }};
}

}  // namespace tecscan::cli
