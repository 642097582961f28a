#!/usr/bin/env bash
# End-to-end test of the Slurm batch scripts on a real, single-node Slurm cluster started on
# this machine (scripts/slurm/local-cluster.sh): archive the bundled JPL maps, scan the five
# M>=7 events of 2000-11-21..2001-01-14 as a job array with a fake GPU gres, merge them, check
# every result, resubmit and check that complete events are skipped. Needs root (Debian 12).
#
#   tests/slurm/run-slurm-test.sh [TECSCAN_BINARY]     (default $TECSCAN, else build/tecscan)
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped because Slurm cannot be
# installed or run here (not root, apt-get failed) - the only reasons to skip.
# Environment: SLURM_TEST_TIMEOUT (s per submission, default 300), SLURM_TEST_KEEP=1 keeps the
# work directory, SLURM_LOCAL_PORT (default 16827, apart from a developer's cluster on 16817).
# shellcheck disable=SC2317  # the check functions run through check(), which shellcheck misses
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$repo/scripts/slurm/local-cluster.sh
submit=$repo/scripts/slurm/submit.sh
tecscan=${1:-${TECSCAN:-$repo/build/tecscan}}
timeout_s=${SLURM_TEST_TIMEOUT:-300}

catalog=$repo/data/catalogs/comcat_m4.5_2000-10_2001-02.csv
selection=(--catalog "$catalog" --min-mag 7 --start 2000-11-21 --end 2001-01-14)
indices=("$repo/data/indices/SW-All.txt" "$repo/data/indices/dst2000.txt")

say() { echo "slurm-test: $*"; }
npass=0
failed=()
check() { # check "what" command...: records PASS/FAIL
  local what=$1
  shift
  if "$@"; then
    say "PASS  $what"
    npass=$((npass + 1))
  else
    say "FAIL  $what"
    failed+=("$what")
    return 1
  fi
}
finish() { # prints the summary, exits 0/1
  if ((${#failed[@]} == 0)); then
    say "=== PASS: all $npass checks passed"
    exit 0
  fi
  say "=== FAIL: ${#failed[@]} of $((npass + ${#failed[@]})) checks failed:"
  printf 'slurm-test:   - %s\n' "${failed[@]}"
  exit 1
}

# --- preconditions --------------------------------------------------------------------------
if [[ $tecscan != */* ]]; then tecscan=$(command -v "$tecscan" || echo "$tecscan"); fi
if [ ! -x "$tecscan" ]; then
  say "FAIL  tecscan binary '$tecscan' not found: build it first (or pass its path)"
  exit 1
fi
tecscan=$(realpath "$tecscan")
if [ "$(id -u)" -ne 0 ]; then
  say "SKIP: needs root to install and run Slurm's daemons"
  exit 77
fi
"$cluster" install
case $? in
  0) ;;
  3)
    say "SKIP: Slurm cannot be installed on this machine (apt-get failed; see above)"
    exit 77
    ;;
  *)
    say "FAIL  local-cluster.sh install"
    exit 1
    ;;
esac

export SLURM_LOCAL_DIR=${SLURM_LOCAL_DIR:-/tmp/tecscan-slurm-test}
export SLURM_LOCAL_PORT=${SLURM_LOCAL_PORT:-16827}
export SLURM_CONF=$SLURM_LOCAL_DIR/etc/slurm.conf
export TECSCAN=$tecscan
work=$(mktemp -d /tmp/tecscan-slurm-work.XXXXXX)
cleanup() {
  if ((${#failed[@]})); then
    "$cluster" logs 2>/dev/null | tail -80
    for f in "$work"/logs/*.out; do
      [ -e "$f" ] || continue
      echo "===== $f (last 15 lines) ====="
      tail -15 "$f"
    done
  fi
  "$cluster" stop >/dev/null 2>&1 || true
  if ((${#failed[@]})) || [ -n "${SLURM_TEST_KEEP:-}" ]; then
    say "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- cluster ----------------------------------------------------------------------------------
# A run killed hard (SIGKILL from a CTest timeout) leaves its daemons on our ports: stop them.
"$cluster" stop >/dev/null 2>&1 || true
check "local cluster starts and its node is idle" "$cluster" start || finish
check "a fake GPU is allocatable (srun --gres=gpu:1)" \
  timeout 60 srun --gres=gpu:1 --time=1 true

# --- inputs -----------------------------------------------------------------------------------
check "tecscan archive of data/ionex/jpl-2000-2001" \
  "$tecscan" archive --ionex "$repo/data/ionex/jpl-2000-2001" --out "$work/gim.h5" || finish
count=$("$tecscan" catalog "${selection[@]}" --count)
mapfile -t event_ids < <("$tecscan" catalog "${selection[@]}" 2>/dev/null |
  awk '$1 ~ /^[0-9]+$/ {print $2}')
check "the selection has 5 events (catalog --count = $count, listed ${#event_ids[@]})" \
  test "$count" = 5 -a "${#event_ids[@]}" = 5 || finish

# --- the batch --------------------------------------------------------------------------------
submit_batch() { # submit_batch LOGFILE: the whole batch, blocking until every job has ended
  timeout "$timeout_s" "$submit" "${selection[@]}" --archive "$work/gim.h5" \
    --indices "${indices[@]}" --config "$repo/configs/demo.toml" --models mlp,median-iqr \
    --epochs 2 --runs "$work/runs" --merge-out "$work/merge" --logs "$work/logs" \
    --parallel 2 --cpus 1 --time 20 --wait 2>&1 | tee "$1"
  return "${PIPESTATUS[0]}"
}
say "submitting (each submission waits up to ${timeout_s}s) ..."
check "submit.sh --wait: all tasks and the merge completed (exit 0)" submit_batch "$work/submit1.txt"
array_id=$(sed -n 's/^submit: array job \([0-9]*\):.*/\1/p' "$work/submit1.txt")
merge_id=$(sed -n 's/^submit: merge job \([0-9]*\) .*/\1/p' "$work/submit1.txt" | head -1)

task_logs_ok() {
  local i f
  for i in 0 1 2 3 4; do
    f=$work/logs/tecscan_${array_id}_$i.out
    [ -s "$f" ] || { say "  missing log $f"; return 1; }
    grep -q '^=== exit status 0 ' "$f" || { say "  task $i did not exit 0: $f"; return 1; }
  done
}
check "five task logs logs/tecscan_${array_id:-?}_<0-4>.out, each ending with exit 0" task_logs_ok
task_states_ok() {
  [ "$(grep -c '^submit: task [0-4]: COMPLETED (exit 0:0)' "$work/submit1.txt")" = 5 ]
}
check "Slurm reports five COMPLETED tasks with exit 0:0 (scontrol)" task_states_ok

runs_ok() {
  local id
  for id in "${event_ids[@]}"; do
    [ -s "$work/runs/$id/summary.json" ] || { say "  no $work/runs/$id/summary.json"; return 1; }
    [ -s "$work/runs/$id/scan.h5" ] || { say "  no $work/runs/$id/scan.h5"; return 1; }
  done
}
check "each event's run dir runs/<event id>/ has scan.h5 and summary.json" runs_ok

cpu_note_ok() {
  # A GPU host legitimately has no fallback note; the CI machine has none.
  if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q GPU; then return 0; fi
  local i
  for i in 0 1 2 3 4; do
    grep -qi 'note:.*cpu' "$work/logs/tecscan_${array_id}_$i.out" ||
      { say "  task $i: no CPU fallback note"; return 1; }
  done
}
check "--device auto on a GPU-less node: each task notes the CPU fallback" cpu_note_ok

merge_ok() {
  local f
  for f in merge.h5 sea_rates.csv rate_difference.csv molchan.csv summary.json; do
    [ -s "$work/merge/$f" ] || { say "  no merge output $f"; return 1; }
  done
  [ -s "$work/logs/tecscan-merge_${merge_id}.out" ] || { say "  no merge log"; return 1; }
  /usr/bin/python3 - "$work/merge/summary.json" <<'EOF'
import json, sys
# Every run is accounted for: merged, or excluded by the statistics (an event too close to the
# data's start leaves no room for control pseudo-events); none skipped as incomplete.
s = json.load(open(sys.argv[1]))
merged, excluded, skipped = (s.get(k, 0) for k in ("n_events", "n_excluded", "n_skipped"))
if not (merged >= 1 and merged + excluded == 5 and skipped == 0):
    sys.exit(f"slurm-test:   merge summary.json: n_events {merged} + n_excluded {excluded} "
             f"!= 5 or n_skipped {skipped} != 0")
EOF
}
check "merge output: merge.h5, the three csv tables, summary.json accounting for the 5 runs" merge_ok

# --- resubmission: complete events are skipped, nothing is rewritten --------------------------
mtimes() { local id; for id in "${event_ids[@]}"; do stat -c '%n %Y.%y' "$work/runs/$id/summary.json"; done; }
before=$(mtimes 2>&1)
check "resubmitting the same batch completes (exit 0)" submit_batch "$work/submit2.txt"
check "the resubmission rewrote no run (summary.json times unchanged)" \
  test "$before" = "$(mtimes 2>&1)"

# --- one task of all five events, packed: the same results as five one-event tasks ----------
submit_packed() {
  timeout "$timeout_s" "$submit" "${selection[@]}" --archive "$work/gim.h5" \
    --indices "${indices[@]}" --config "$repo/configs/demo.toml" --models mlp,median-iqr \
    --epochs 2 --runs "$work/packed" --merge-out "$work/packed-merge" --logs "$work/logs" \
    --events-per-task 5 --pack --cpus 1 --time 20 --wait 2>&1 | tee "$work/submit3.txt"
  return "${PIPESTATUS[0]}"
}
check "submit.sh --events-per-task 5 --pack: one task and the merge completed" submit_packed
packed_ok() {
  local id
  grep -q '; 1 task(s) of 5 event(s);' "$work/submit3.txt" ||
    { say "  the array was not sized to one task"; return 1; }
  grep -q 'pack: training mlp for [2-5] events together' "$work"/logs/tecscan_*_0.out ||
    { say "  no packed training in the task log"; return 1; }
  for id in "${event_ids[@]}"; do
    cmp -s "$work/packed/$id/anomalies.csv" "$work/runs/$id/anomalies.csv" ||
      { say "  $id: anomalies.csv differs from the one-event task's"; return 1; }
  done
}
check "the packed task's anomalies.csv equal the one-event tasks' for all five events" packed_ok

finish
