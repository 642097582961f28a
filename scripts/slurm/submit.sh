#!/usr/bin/env bash
# Scans a catalogue selection as a Slurm job array (one task per event, or per K events with
# --events-per-task K), then merges the runs.
#
#   scripts/slurm/submit.sh --catalog F --archive A.h5 --indices FILE... [options]
#
# Selection:  --catalog F  [--min-mag M] [--start T] [--end T]   (as `tecscan catalog`)
# Inputs:     --archive A.h5  --indices FILE...  [--config C] [--models LIST] [--epochs E]
#             [--device auto|cpu|cuda] [--scan-args "..."] [--merge-args "..."]
# Outputs:    --runs DIR       batch root, one run dir per event     (default runs/batch)
#             --merge-out DIR  `tecscan merge` output               (default <runs>-merge)
#             --logs DIR       Slurm logs tecscan_<job>_<task>.out   (default logs)
# Slurm:      --events-per-task K  each task runs K consecutive events of the selection, one
#                        after the other (default 1): ceil(N/K) tasks; task T runs events
#                        T*K .. T*K+K-1, each into its own run dir as a one-event task would
#             --pack     with K > 1: train each model once for the task's K events (their
#                        nodes share the GPU's launches); results equal one-event tasks'
#             --parallel J     at most J tasks at once (--array=...%J, default 4)
#             --array SPEC     run only these task indices, e.g. 3,7-9 (default 0-<ceil(N/K)-1>;
#                        with K = 1 a task index is the event index `tecscan catalog` prints)
#             --gres SPEC      per task (default gpu:1; "none" asks for no GPU)
#             --cpus N  --time T  --partition P  --account A  --sbatch-args "..."
#             --merge-after ok|any   merge after all tasks succeeded (default) or ended
#             --wait     block until all tasks and the merge have ended; print their states;
#                        exit 0 when the merge completed, else its exit code (1 if cancelled)
#             --dry-run  print the sbatch commands, submit nothing
#
# The tecscan binary is $TECSCAN, else `tecscan` on PATH, else build/tecscan of this checkout.
# Example (the bundled data; see docs/slurm.md):
#   tecscan archive --ionex data/ionex/jpl-2000-2001 --out gim.h5
#   scripts/slurm/submit.sh --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv \
#     --min-mag 7 --start 2000-11-21 --end 2001-01-14 --archive gim.h5 \
#     --indices data/indices/SW-All.txt data/indices/dst2000.txt --config configs/demo.toml
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
  echo "submit: error: $*" >&2
  exit 2
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

catalog="" min_mag="" start="" end="" archive="" config="" models="" epochs="" device=auto
scan_args="" merge_args="" runs=runs/batch merge_out="" logs=logs parallel=4 array=""
gres=gpu:1 cpus="" time_limit="" partition="" account="" sbatch_args="" merge_after=ok
wait=0 dry_run=0 events_per_task=1 pack=0
indices=()
need() { if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi; }
while [ $# -gt 0 ]; do
  case "$1" in
    --catalog) need "$@"; catalog=$2; shift 2 ;;
    --min-mag) need "$@"; min_mag=$2; shift 2 ;;
    --start) need "$@"; start=$2; shift 2 ;;
    --end) need "$@"; end=$2; shift 2 ;;
    --archive) need "$@"; archive=$2; shift 2 ;;
    --indices)
      shift
      while [ $# -gt 0 ] && [[ $1 != --* ]]; do indices+=("$1"); shift; done
      ;;
    --config) need "$@"; config=$2; shift 2 ;;
    --models) need "$@"; models=$2; shift 2 ;;
    --epochs) need "$@"; epochs=$2; shift 2 ;;
    --device) need "$@"; device=$2; shift 2 ;;
    --scan-args) need "$@"; scan_args=$2; shift 2 ;;
    --merge-args) need "$@"; merge_args=$2; shift 2 ;;
    --runs) need "$@"; runs=$2; shift 2 ;;
    --merge-out) need "$@"; merge_out=$2; shift 2 ;;
    --logs) need "$@"; logs=$2; shift 2 ;;
    --parallel) need "$@"; parallel=$2; shift 2 ;;
    --events-per-task) need "$@"; events_per_task=$2; shift 2 ;;
    --array) need "$@"; array=$2; shift 2 ;;
    --gres) need "$@"; gres=$2; shift 2 ;;
    --cpus) need "$@"; cpus=$2; shift 2 ;;
    --time) need "$@"; time_limit=$2; shift 2 ;;
    --partition) need "$@"; partition=$2; shift 2 ;;
    --account) need "$@"; account=$2; shift 2 ;;
    --sbatch-args) need "$@"; sbatch_args=$2; shift 2 ;;
    --merge-after) need "$@"; merge_after=$2; shift 2 ;;
    --pack) pack=1; shift ;;
    --wait) wait=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# --- inputs ---------------------------------------------------------------------------------
[ -n "$catalog" ] || die "--catalog is required"
[ -n "$archive" ] || die "--archive is required (build one with: tecscan archive --ionex DIR --out A.h5)"
((${#indices[@]})) || die "--indices needs at least one index file"
abs() { realpath -m -- "$1"; }
check_file() { if [ ! -f "$2" ] || [ ! -r "$2" ]; then die "$1 '$2' does not exist or is not readable"; fi; }
check_file --catalog "$catalog"
check_file --archive "$archive"
[ -z "$config" ] || check_file --config "$config"
for i in "${!indices[@]}"; do
  check_file --indices "${indices[$i]}"
  [[ ${indices[$i]} != *" "* ]] || die "index file path '${indices[$i]}' contains a space"
  indices[i]=$(abs "${indices[$i]}")
done
[[ $parallel =~ ^[1-9][0-9]*$ ]] || die "--parallel must be a positive integer, got '$parallel'"
# tecscan's own range (docs/errors.md), checked here so a typo fails before anything is queued.
if ! [[ $events_per_task =~ ^[1-9][0-9]{0,5}$ ]] || ((events_per_task > 100000)); then
  die "--events-per-task must be an integer in [1, 100000], got '$events_per_task'"
fi
if ((pack)) && ((events_per_task < 2)); then
  die "--pack trains the events of a task together: give --events-per-task K with K >= 2"
fi
case "$merge_after" in ok | any) ;; *) die "--merge-after must be ok or any" ;; esac
case "$device" in auto | cpu | cuda) ;; *) die "--device must be auto, cpu or cuda" ;; esac

# The jobs run elsewhere, later, maybe from another directory: give them absolute paths.
if [ -n "${TECSCAN:-}" ]; then
  tecscan=$TECSCAN
elif command -v tecscan >/dev/null; then
  tecscan=tecscan
else
  tecscan=$repo/build/tecscan
fi
if [[ $tecscan == */* ]]; then
  [ -x "$tecscan" ] || die "tecscan binary '$tecscan' not found or not executable (set TECSCAN)"
  tecscan=$(abs "$tecscan")
else
  tecscan=$(command -v "$tecscan") || die "tecscan binary '$TECSCAN' not on PATH (set TECSCAN)"
fi
runs=$(abs "$runs")
[ -n "$merge_out" ] || merge_out=${runs%/}-merge
merge_out=$(abs "$merge_out")
logs=$(abs "$logs")

# --- the selection ----------------------------------------------------------------------------
select_args=(--catalog "$(abs "$catalog")")
[ -z "$min_mag" ] || select_args+=(--min-mag "$min_mag")
[ -z "$start" ] || select_args+=(--start "$start")
[ -z "$end" ] || select_args+=(--end "$end")
count=$("$tecscan" catalog "${select_args[@]}" --count) ||
  die "'$tecscan catalog ${select_args[*]} --count' failed (message above)"
[[ $count =~ ^[0-9]+$ ]] || die "tecscan catalog --count printed '$count', not a number"
((count > 0)) || die "the selection is empty: no event of $catalog passes the filters (check with: tecscan catalog ${select_args[*]})"
tasks=$(((count + events_per_task - 1) / events_per_task)) # ceil(N/K): task T runs T*K..T*K+K-1
[ -n "$array" ] || array="0-$((tasks - 1))"

# --- the jobs ---------------------------------------------------------------------------------
ARCHIVE=$(abs "$archive")
CONFIG=""
[ -z "$config" ] || CONFIG=$(abs "$config")
export TECSCAN=$tecscan CATALOG=${select_args[1]} MIN_MAG=$min_mag START=$start END=$end
export ARCHIVE INDICES="${indices[*]}" CONFIG MODELS=$models EPOCHS=$epochs
export DEVICE=$device RUNS=$runs MERGE_OUT=$merge_out SCAN_ARGS=$scan_args MERGE_ARGS=$merge_args
export EVENTS_PER_TASK=$events_per_task PACK=$pack

common=(--parsable --export=ALL)
[ -z "$partition" ] || common+=(--partition="$partition")
[ -z "$account" ] || common+=(--account="$account")
read -r -a user_args <<<"$sbatch_args"
array_cmd=(sbatch "${common[@]}" --array="$array%$parallel" --output="$logs/tecscan_%A_%a.out"
  --gres="$gres")
[ -z "$cpus" ] || array_cmd+=(--cpus-per-task="$cpus")
[ -z "$time_limit" ] || array_cmd+=(--time="$time_limit")
array_cmd+=("${user_args[@]}" "$here/tecscan-array.sbatch")
# kill-on-invalid-dep: when a task fails, afterok can never hold; cancel the merge instead of
# leaving it pending forever (and let --wait return).
merge_cmd=(sbatch "${common[@]}" --dependency="after$merge_after:ARRAY_JOB_ID"
  --kill-on-invalid-dep=yes --output="$logs/tecscan-merge_%j.out")
merge_cmd+=("${user_args[@]}" "$here/tecscan-merge.sbatch")

echo "submit: $count events selected from $catalog; $tasks task(s) of $events_per_task event(s);" \
  "tasks $array, at most $parallel at once"
if ((dry_run)); then
  echo "submit: dry run; the jobs would get:"
  for v in TECSCAN CATALOG MIN_MAG START END ARCHIVE INDICES CONFIG MODELS EPOCHS DEVICE RUNS \
    EVENTS_PER_TASK PACK MERGE_OUT SCAN_ARGS MERGE_ARGS; do
    printf '  %s=%q\n' "$v" "${!v}"
  done
  printf '%q ' "${array_cmd[@]}"
  echo
  printf '%q ' "${merge_cmd[@]}"
  echo
  exit 0
fi

command -v sbatch >/dev/null ||
  die "sbatch is not on PATH: run this on a Slurm login node (or use --dry-run to see the commands)"
max_array=$(scontrol show config 2>/dev/null | sed -n 's/^MaxArraySize *= *\([0-9]*\).*/\1/p')
if [ -n "$max_array" ] && ((tasks > max_array)); then
  die "$tasks tasks exceed this cluster's MaxArraySize=$max_array: raise --events-per-task or split the selection with --start/--end"
fi
mkdir -p "$logs" "$runs" # Slurm does not create the log directory; a missing one loses the log

array_id=$("${array_cmd[@]}") || die "sbatch refused the array job (message above)"
array_id=${array_id%%;*} # --parsable prints "id" or "id;cluster"
merge_cmd=("${merge_cmd[@]/ARRAY_JOB_ID/$array_id}")
echo "submit: array job $array_id: logs $logs/tecscan_${array_id}_<task>.out, runs $runs/<event id>/"

merge_id=$("${merge_cmd[@]}") || die "sbatch refused the merge job (message above); the array job $array_id runs"
merge_id=${merge_id%%;*}
echo "submit: merge job $merge_id (after$merge_after:$array_id): log $logs/tecscan-merge_${merge_id}.out, output $merge_out"
if ((!wait)); then
  echo "submit: follow with: squeue -j $array_id,$merge_id"
  exit 0
fi

# --wait. Polling squeue instead of `sbatch --wait`: that backs off to 30 s between polls, and a
# failed task cancels the merge (kill-on-invalid-dep) while other tasks still run; this returns
# when both jobs have left the queue.
in_queue() { # in_queue JOB -> 0 while the job is pending or running
  local out _
  for _ in 1 2 3 4 5; do
    if out=$(squeue -h -j "$1" -o %i 2>&1); then
      [ -n "$out" ]
      return
    fi
    [[ $out == *"Invalid job id"* ]] && return 1 # finished and already purged
    sleep 2
  done
  die "squeue keeps failing: $out"
}
echo "submit: waiting for jobs $array_id and $merge_id to end ..."
while in_queue "$array_id" || in_queue "$merge_id"; do sleep 2; done
# No accounting needed (sacct): the controller keeps finished jobs for MinJobAge seconds.
show_state() { # show_state JOB -> "<task id or -> <state> <exit code>" per (array) job
  local line field task state code
  scontrol -o show job "$1" 2>/dev/null | while read -r line; do
    task=- state=unknown code='?'
    for field in $line; do
      case "$field" in
        ArrayTaskId=*) task=${field#*=} ;;
        JobState=*) state=${field#*=} ;;
        ExitCode=*) code=${field#*=} ;;
      esac
    done
    echo "$task $state $code"
  done
}
show_state "$array_id" | sort -n | while read -r task state code; do
  echo "submit: task $task: $state (exit $code)"
done
read -r _ merge_state merge_code < <(show_state "$merge_id") || true
echo "submit: merge job $merge_id: ${merge_state:-unknown} (exit ${merge_code:-?})"
[ "${merge_state:-}" = COMPLETED ] && exit 0
status=${merge_code%%:*}
[[ $status =~ ^[1-9][0-9]*$ ]] || status=1
exit "$status"
