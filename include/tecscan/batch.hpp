// Catalogue batch runs: which event a job array task runs, where its results go, and whether a
// complete result is already there (so requeued or resubmitted tasks skip finished events and
// restart interrupted ones cleanly).
#pragma once
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tecscan/atomic_file.hpp"
#include "tecscan/catalog.hpp"
#include "tecscan/config.hpp"

namespace tecscan {

// The task's event index: `explicit_index` when >= 0, else $SLURM_ARRAY_TASK_ID. Throws
// InputError when neither is set, when the variable is not a non-negative integer, or when the
// index is outside [0, nselected) (the message gives the selection size and the array to use).
size_t batch_event_index(long explicit_index, size_t nselected);

// The events [first, last) of the selection that one task runs when each task runs
// `events_per_task` of them: task T (`explicit_index` when >= 0, else $SLURM_ARRAY_TASK_ID, as
// batch_event_index) runs T*K .. min(T*K+K, nselected)-1. Throws InputError as batch_event_index
// does, when `events_per_task` is 0, or when T is at or beyond the number of tasks the selection
// makes, ceil(nselected / K) (the message gives that number and the array to use).
struct BatchEventRange {
  size_t first = 0, last = 0;
  size_t task = 0;    // T
  size_t ntasks = 0;  // ceil(nselected / K): the array is --array=0-<ntasks-1>
};
BatchEventRange batch_task_events(long explicit_index, size_t nselected, size_t events_per_task);

// "<root>/<event id>" with every character outside [A-Za-z0-9._-] replaced by '_'.
std::string batch_run_dir(const std::string& root, const Event& event);

// What an existing run directory holds for this event and configuration.
enum class RunState {
  kAbsent,      // no summary.json: nothing there, or an interrupted run (restart it)
  kComplete,    // summary.json for this event and an equal method configuration; outputs present
  kDifferent,   // a complete run of another event or another configuration (replaced on rerun)
  kUnreadable,  // summary.json exists but does not parse or lists a missing output
};
struct RunCheck {
  RunState state = RunState::kAbsent;
  std::string reason;  // for the user: why the run is (not) reused
};
// "" when <run_dir>/summary.json parses and every output it lists is there and not empty (a
// complete run, whatever event and method), else why not. `tecscan merge` pools only such runs.
std::string incomplete_run_reason(const std::string& run_dir);
// Compares the run's summary.json event id and config.used.toml with `config`, ignoring the
// hardware settings ([scan] device and threads), which do not change the method.
RunCheck check_existing_run(const std::string& run_dir, const std::string& event_id,
                            const ScanConfig& config);

// An exclusive lock on "<run_dir>/.lock" held for the object's lifetime, so two tasks never
// write the same run directory: the archive's FileLock (atomic_file.hpp) on the run directory.
// Throws InputError when another process holds it. The kernel drops the lock when the process
// dies, so a killed run never blocks its rerun.
class RunLock {
 public:
  explicit RunLock(const std::string& run_dir);

 private:
  FileLock lock_;
};

// Refuses a scan's run directory (InputError naming `option`) when it or one of the files a
// scan writes into it (scan.h5, anomalies.csv, ...) is one of `inputs`, or when it holds a run
// of another kind (a merge, a batch root). Single scans and batch tasks alike.
void require_scan_run_dir(const std::string& run_dir, const std::vector<std::string>& inputs,
                          const std::string& option = "--out");

// One job array task of a batch run.
struct BatchTask {
  std::string root;           // holds one run directory per event (batch_run_dir)
  std::vector<Event> events;  // the catalogue selection, numbered as `tecscan catalog` lists it
  long event_index = -1;      // the event to run; < 0: $SLURM_ARRAY_TASK_ID (batch_event_index)
  ScanConfig config;          // the method, compared with a complete run's config.used.toml
  bool force = false;         // recompute even a complete run of the same event and method
  std::vector<std::string> inputs;  // files and directories the outputs must not replace
  std::string option = "--out";     // names `root` in error messages
  // run_batch_task: consecutive events per task; event_index then numbers the task (its group
  // of events), not the event. run_batch_event runs one event and ignores it.
  size_t events_per_task = 1;
  // run_batch_task with several events: how their jobs (one per event: the protocol and the
  // scan) run. Unset: one after the other. PackedTraining::run runs them side by side so their
  // trainings are packed (packing.hpp); it returns each job's exception.
  std::function<std::vector<std::exception_ptr>(const std::vector<std::function<void()>>&)>
      run_together;
  // Receives each line of the protocol as it happens ("batch: event 4 of 5: ...", "batch: ...:
  // skipped ...", "batch: recomputing: ..."); unset: the lines go to stderr.
  std::function<void(const std::string&)> report;
};

struct BatchTaskResult {
  size_t index = 0;  // into BatchTask::events
  Event event;
  std::string run_dir;
  RunCheck previous;         // what the run directory held before this task
  int stale_temp_files = 0;  // temp files of an interrupted run that were removed
  bool skipped = false;      // a complete run was there and force was not set: scan not called
};

// The batch protocol for one task: checks the root (a batch root, not an input), picks the
// event (batch_event_index), checks and creates its run directory, takes its RunLock (InputError
// when another process holds it), removes the stale temp files an interrupted run left, and
// either skips a complete run of the same event and method (unless force) or calls
// scan(event, run_dir) with the lock held. scan builds the event's cube and runs the scan into
// run_dir (run_scan writes summary.json last, which marks the run complete).
BatchTaskResult run_batch_event(
    const BatchTask& task,
    const std::function<void(const Event& event, const std::string& run_dir)>& scan);

// An event of a task that did not complete: an InputError of its own (its run directory is
// refused or locked, its data do not cover it, ...).
struct BatchEventFailure {
  size_t index = 0;  // into BatchTask::events
  std::string event_id;
  std::string reason;  // the InputError's message
};
struct BatchTaskOutcome {
  BatchEventRange range;                  // the events this task ran
  std::vector<BatchTaskResult> done;      // computed or skipped, in selection order
  std::vector<BatchEventFailure> failed;  // in selection order
};

// The batch protocol for a task of task.events_per_task events (batch_task_events): checks the
// root once, then runs each event of its group in order exactly as run_batch_event does (own
// run directory, lock, skip or recompute), so every event's result equals a one-event task's.
// An InputError of one event is reported, recorded in `failed` and the task goes on with its
// next event: one bad event does not cost the others. Errors of the task as a whole (root,
// index) and any other exception (out of memory, a device failure, which the next events
// would meet too) are thrown, after reporting the events left unrun. With events_per_task 1 the
// event's InputError is thrown too: a one-event task behaves as run_batch_event. With
// run_together every event of the group runs whatever the others meet; an exception that is not
// an InputError is thrown once all have ended (the first in selection order).
BatchTaskOutcome run_batch_task(
    const BatchTask& task,
    const std::function<void(const Event& event, const std::string& run_dir)>& scan);

}  // namespace tecscan
