#include "tecscan/batch.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tecscan/error.hpp"
#include "tecscan/time.hpp"
#include "tecscan/validate.hpp"

namespace tecscan {

namespace fs = std::filesystem;

namespace {
// The task index: `explicit_index` when >= 0, else $SLURM_ARRAY_TASK_ID; `origin` names which.
long task_index(long explicit_index, std::string& origin) {
  origin = "--event-index";
  if (explicit_index >= 0) return explicit_index;
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (!task || !*task)
    throw InputError(
        "batch mode (--catalog without --event-id): give --event-index N (0-based: 'tecscan "
        "catalog --catalog FILE' with the same "
        "--min-mag/--start/--end numbers the events) or run inside a Slurm job array "
        "(SLURM_ARRAY_TASK_ID)");
  char* end = nullptr;
  errno = 0;
  const long index = std::strtol(task, &end, 10);
  if (errno || end == task || *end || index < 0)
    throw InputError(std::string("SLURM_ARRAY_TASK_ID='") + task +
                     "': expected a non-negative integer array index");
  origin = "SLURM_ARRAY_TASK_ID";
  return index;
}
}  // namespace

size_t batch_event_index(long explicit_index, size_t nselected) {
  return batch_task_events(explicit_index, nselected, 1).first;
}

BatchEventRange batch_task_events(long explicit_index, size_t nselected, size_t events_per_task) {
  if (events_per_task == 0) throw InputError("--events-per-task: expected an integer >= 1, got 0");
  std::string origin;
  const long index = task_index(explicit_index, origin);
  if (nselected == 0)
    throw InputError(
        "the catalogue selection is empty: no event passes the filters "
        "(try the same --min-mag, --start, --end with 'tecscan catalog --catalog FILE')");
  BatchEventRange r;
  r.ntasks = nselected / events_per_task + (nselected % events_per_task != 0);
  const std::string last = std::to_string(r.ntasks - 1);
  if (static_cast<size_t>(index) >= r.ntasks) {
    if (events_per_task == 1)
      throw InputError(origin + " = " + std::to_string(index) + ", but the selection has " +
                       std::to_string(nselected) + " events (indices 0.." + last +
                       "); size the array --array=0-" + last);
    throw InputError(origin + " = " + std::to_string(index) + ", but the selection's " +
                     std::to_string(nselected) + " events make " + std::to_string(r.ntasks) +
                     " tasks of --events-per-task " + std::to_string(events_per_task) +
                     " (task indices 0.." + last + "); size the array --array=0-" + last);
  }
  r.task = static_cast<size_t>(index);
  // task < ntasks, so first < nselected (no overflow); the last task may be short.
  r.first = r.task * events_per_task;
  r.last = r.first + std::min(events_per_task, nselected - r.first);
  return r;
}

std::string batch_run_dir(const std::string& root, const Event& event) {
  std::string name = event.id;
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  if (name.empty() || name == "." || name == "..") name = "event_" + name;
  return (fs::path(root) / name).string();
}

namespace {
// The method without the hardware: two runs that differ only in device or threads are equal.
ScanConfig method_only(ScanConfig c) {
  c.scan.device = ScanSettings().device;
  c.scan.threads = ScanSettings().threads;
  return c;
}
}  // namespace

namespace {
// Why the outputs summary.json lists are not all there ("" when they are).
std::string missing_output(const nlohmann::json& j, const fs::path& dir) {
  const fs::path summary = dir / "summary.json";
  const auto outputs = j.find("outputs");
  if (outputs == j.end() || !outputs->is_array()) return summary.string() + " lists no outputs";
  std::error_code ec;
  for (const auto& name : *outputs) {
    if (!name.is_string() || !fs::is_regular_file(dir / name.get<std::string>(), ec) ||
        fs::file_size(dir / name.get<std::string>(), ec) == 0)
      return summary.string() + " lists " + name.dump() + ", which is missing or empty";
  }
  return "";
}
}  // namespace

std::string incomplete_run_reason(const std::string& run_dir) {
  const fs::path dir(run_dir), summary = dir / "summary.json";
  std::error_code ec;
  if (!fs::exists(summary, ec)) return "no summary.json in " + run_dir;
  nlohmann::json j;
  try {
    std::ifstream in(summary);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    return summary.string() + " does not parse: " + e.what();
  }
  return missing_output(j, dir);
}

RunCheck check_existing_run(const std::string& run_dir, const std::string& event_id,
                            const ScanConfig& config) {
  const fs::path dir(run_dir), summary = dir / "summary.json";
  std::error_code ec;
  if (!fs::exists(summary, ec)) return {RunState::kAbsent, "no summary.json in " + run_dir};
  nlohmann::json j;
  try {
    std::ifstream in(summary);
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    return {RunState::kUnreadable, summary.string() + " does not parse: " + e.what()};
  }
  const auto event = j.find("event");
  if (event == j.end() || !event->contains("id") || !(*event)["id"].is_string())
    return {RunState::kUnreadable, summary.string() + " has no event id"};
  std::string found_id = (*event)["id"].get<std::string>();
  if (found_id != event_id)
    return {RunState::kDifferent, run_dir + " holds event " + found_id + ", not " + event_id};
  const std::string missing = missing_output(j, dir);
  if (!missing.empty()) return {RunState::kUnreadable, missing};
  ScanConfig used;
  try {
    used = load_config((dir / "config.used.toml").string());
  } catch (const std::exception& e) {
    return {RunState::kUnreadable, e.what()};
  }
  if (method_only(used) != method_only(config))
    return {RunState::kDifferent,
            run_dir + " was computed with another configuration (see its config.used.toml)"};
  return {RunState::kComplete, "complete run of " + event_id + " with the same configuration"};
}

RunLock::RunLock(const std::string& run_dir)
    : lock_((fs::path(run_dir) / ".lock").string(), "this run directory") {}

namespace {
// The files a scan writes into its run directory (docs/outputs.md).
constexpr const char* kRunFiles[] = {"scan.h5", "anomalies.csv", "config.used.toml",
                                     "sensitivity.csv", "summary.json"};
}  // namespace

void require_scan_run_dir(const std::string& run_dir, const std::vector<std::string>& inputs,
                          const std::string& option) {
  require_output_not_input(run_dir, inputs, option);
  for (const char* name : kRunFiles)
    require_output_not_input((fs::path(run_dir) / name).string(), inputs, option);
  require_run_dir_kind(run_dir, RunDirKind::kScanRun, option);
  // A directory of the user's own files may receive a run, but never at the cost of one of
  // them. A run of tecscan writes scan.h5 first, so a directory of another kind holding
  // anomalies.csv or summary.json holds someone else's files.
  if (run_dir_kind(run_dir) == RunDirKind::kOther)
    for (const char* name : kRunFiles) {
      std::error_code ec;
      if (fs::exists(fs::path(run_dir) / name, ec))
        throw InputError(option + " " + run_dir + ": holds a file named " + name +
                         " that is not part of a scan run; the scan would replace it, choose "
                         "another directory");
    }
}

namespace {
using ScanFn = std::function<void(const Event& event, const std::string& run_dir)>;

void report_line(const BatchTask& task, const std::string& line) {
  if (task.report)
    task.report(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

// The root holds one run directory per event and is none of the inputs.
void check_batch_root(const BatchTask& task) {
  require_output_not_input(task.root, task.inputs, task.option);
  require_run_dir_kind(task.root, RunDirKind::kBatchRoot, task.option);
}

// One event of the selection into its own run directory; `where` places it for the progress
// line ("event 4 of 5").
BatchTaskResult run_selected_event(const BatchTask& task, size_t index, const std::string& where,
                                   const ScanFn& scan) {
  auto report = [&](const std::string& line) { report_line(task, line); };
  BatchTaskResult r;
  r.index = index;
  r.event = task.events[r.index];
  r.run_dir = batch_run_dir(task.root, r.event);
  require_scan_run_dir(r.run_dir, task.inputs, task.option);
  fs::create_directories(r.run_dir);
  RunLock lock(r.run_dir);  // held until the scan has written summary.json
  char mag[32];
  std::snprintf(mag, sizeof mag, "M%.1f", r.event.mag);
  report("batch: " + where + ": " + r.event.id + " " + format_iso(r.event.time) + " " + mag +
         " -> " + r.run_dir);
  r.stale_temp_files = remove_stale_temp_files(r.run_dir);
  if (r.stale_temp_files > 0)
    report("batch: removed " + std::to_string(r.stale_temp_files) +
           " temp files of an interrupted run");
  r.previous = check_existing_run(r.run_dir, r.event.id, task.config);
  if (r.previous.state == RunState::kComplete && !task.force) {
    report("batch: " + r.previous.reason + ": skipped (--force recomputes it)");
    r.skipped = true;
    return r;
  }
  if (r.previous.state != RunState::kAbsent || task.force)
    report("batch: recomputing: " + r.previous.reason);
  else
    report("batch: " + r.previous.reason + ": starting");
  scan(r.event, r.run_dir);
  return r;
}
// The events of a task one after the other: an InputError costs only its event, anything else
// stops the task (the next events would meet it too).
template <typename Where>
void run_events_in_turn(const BatchTask& task, BatchTaskOutcome& out, const Where& where,
                        const ScanFn& scan) {
  for (size_t i = out.range.first; i < out.range.last; ++i) {
    try {
      out.done.push_back(run_selected_event(task, i, where(i), scan));
    } catch (const InputError& e) {
      // This event's own problem: the task's other events are still worth running.
      out.failed.push_back({i, task.events[i].id, e.what()});
      report_line(task, "batch: " + task.events[i].id + " failed: " + e.what());
    } catch (...) {
      // Out of memory, a device failure, an internal error: the next events would meet it too.
      std::string left;
      for (size_t j = i + 1; j < out.range.last; ++j) left += " " + task.events[j].id;
      if (!left.empty())
        report_line(task, "batch: the task stops at " + task.events[i].id + "; not run:" + left);
      throw;
    }
  }
}

// The events of a task side by side (task.run_together): every event runs; results and
// failures are collected in selection order.
template <typename Where>
void run_events_together(const BatchTask& task, BatchTaskOutcome& out, const Where& where,
                         const ScanFn& scan) {
  const size_t first = out.range.first, count = out.range.last - first;
  std::vector<BatchTaskResult> results(count);
  std::vector<std::function<void()>> jobs;
  for (size_t k = 0; k < count; ++k)
    jobs.emplace_back(
        [&, k] { results[k] = run_selected_event(task, first + k, where(first + k), scan); });
  const std::vector<std::exception_ptr> errors = task.run_together(jobs);
  if (errors.size() != count)
    throw std::logic_error("run_together returned " + std::to_string(errors.size()) +
                           " results for " + std::to_string(count) + " events");
  std::exception_ptr fatal;
  for (size_t k = 0; k < count; ++k) {
    const size_t i = first + k;
    if (!errors[k]) {
      out.done.push_back(std::move(results[k]));
      continue;
    }
    try {
      std::rethrow_exception(errors[k]);
    } catch (const InputError& e) {
      out.failed.push_back({i, task.events[i].id, e.what()});
      report_line(task, "batch: " + task.events[i].id + " failed: " + e.what());
    } catch (const std::exception& e) {
      report_line(task, "batch: " + task.events[i].id + " stopped: " + e.what());
      if (!fatal) fatal = errors[k];
    } catch (...) {
      if (!fatal) fatal = errors[k];
    }
  }
  if (fatal) std::rethrow_exception(fatal);
}
}  // namespace

BatchTaskResult run_batch_event(const BatchTask& task, const ScanFn& scan) {
  check_batch_root(task);
  const size_t index = batch_event_index(task.event_index, task.events.size());
  return run_selected_event(
      task, index, "event " + std::to_string(index) + " of " + std::to_string(task.events.size()),
      scan);
}

BatchTaskOutcome run_batch_task(const BatchTask& task, const ScanFn& scan) {
  check_batch_root(task);
  BatchTaskOutcome out;
  out.range = batch_task_events(task.event_index, task.events.size(), task.events_per_task);
  const size_t first = out.range.first, count = out.range.last - first;
  const std::string nselected = std::to_string(task.events.size());
  // One event per task: exactly the one-event protocol, its progress line and its errors.
  if (task.events_per_task == 1) {
    out.done.push_back(run_selected_event(
        task, first, "event " + std::to_string(first) + " of " + nselected, scan));
    return out;
  }
  report_line(task, "batch: task " + std::to_string(out.range.task) + " of " +
                        std::to_string(out.range.ntasks) + " (--events-per-task " +
                        std::to_string(task.events_per_task) + "): events " +
                        std::to_string(first) + ".." + std::to_string(out.range.last - 1) +
                        " of the " + nselected + " selected");
  auto where = [&](size_t i) {
    return "event " + std::to_string(i - first + 1) + " of " + std::to_string(count) +
           " in this task (index " + std::to_string(i) + " of " + nselected + " selected)";
  };
  if (task.run_together)
    run_events_together(task, out, where, scan);
  else
    run_events_in_turn(task, out, where, scan);
  size_t skipped = 0;
  for (const BatchTaskResult& r : out.done) skipped += r.skipped;
  report_line(task, "batch: task " + std::to_string(out.range.task) +
                        " done: " + std::to_string(out.done.size() - skipped) + " computed, " +
                        std::to_string(skipped) + " skipped, " + std::to_string(out.failed.size()) +
                        " failed");
  return out;
}

}  // namespace tecscan
