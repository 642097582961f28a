// Catalogue batch runs: which event a job array task runs, where its results go, and whether a
// complete result is already there (so requeued or resubmitted tasks skip finished events and
// restart interrupted ones cleanly).
#pragma once
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

}  // namespace tecscan
