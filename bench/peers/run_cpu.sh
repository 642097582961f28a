#!/usr/bin/env bash
# tecscan vs Keras, PyTorch and JAX on the CPU, El Salvador 2001 cube (83 nodes x 660 epochs).
#
#   bash bench/peers/run_cpu.sh     # EPOCHS=10 NODES=8 THREADS=$(nproc) R=3 KERAS_R=2
#
# Every implementation uses THREADS CPU threads in all, each peer at its strongest:
# - per-node peers (Keras as the paper's scripts, Keras reused with and without XLA, PyTorch per
#   node) run node-parallel, as tecscan spreads nodes over its threads: THREADS single-threaded
#   worker processes, the nodes split between them;
# - batched peers (PyTorch batched, JAX vmap+jit) run both ways: node-parallel (THREADS
#   processes x 1 thread, each batching its share of the nodes) and 1 process x THREADS threads.
# Timing is the same on every side (bench/peers/README.md): each peer runs every model R times
# (Keras KERAS_R) in the same processes; the first run is cold (tracing/compilation included),
# the median of the others is the steady state; process start-up is timed separately. tecscan
# runs R times as separate processes (it compiles nothing) plus once with --seed SEED2 (43): its
# own run-to-run spread, the yardstick for the peers' agreement. Per-node peers run NODES nodes
# (a multiple of THREADS) and are extrapolated linearly to all nodes; batched peers run all.
#
# Quiet machine: before every timed step the CPU time used by other processes is sampled
# (/proc/stat over QUIET_SAMPLE_S = 2 s, this script idle); above QUIET_MAX = 0.25 cores it
# waits up to QUIET_WAIT_S = 120 s, then runs the step marked CONTENDED in load.log, or, with
# REQUIRE_QUIET=1, refuses (exit 2). The 1-minute load average before and after every step goes
# to load.log too; compare's caller marks a run whose load exceeded THREADS.
#
# REUSE=1 keeps outputs already in $WORK (to redo only the missing steps and the tables). Python
# packages go to a venv outside the repository ($PEERS_VENV, default /tmp/peers-venv; PyPI only:
# its torch wheel is the CUDA build, used here on the CPU). PEAK_GFLOPS (and PEAK_LABEL): the
# machine's measured FP32 peak at THREADS threads, for the "% of peak" column. Work files in
# $WORK (default /tmp/peers-cpu); the tables go to $RESULTS (default $WORK/results-cpu.md), the
# summary and headline tables to $WORK/summary.md and $WORK/headline.md. Nothing is written
# into the repository unless RESULTS points there.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # nothing written into the repository tree (no __pycache__)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
EPOCHS=${EPOCHS:-10}
THREADS=${THREADS:-$(nproc)}
NODES=${NODES:-8}
R=${R:-3}
KERAS_R=${KERAS_R:-2}
VENV=${PEERS_VENV:-/tmp/peers-venv}
WORK=${WORK:-/tmp/peers-cpu}
SEED2=${SEED2:-43}
REUSE=${REUSE:-0}
RESULTS=${RESULTS:-$WORK/results-cpu.md}
PEAK_GFLOPS=${PEAK_GFLOPS:-0}
PEAK_LABEL=${PEAK_LABEL:-measured GEMM peak}
PEERS_ONLY=${PEERS_ONLY:-}  # e.g. "keras-per-node torch-pernode": run only these peers
QUIET_MAX=${QUIET_MAX:-0.25}
QUIET_WAIT_S=${QUIET_WAIT_S:-120}
QUIET_SAMPLE_S=${QUIET_SAMPLE_S:-2}
REQUIRE_QUIET=${REQUIRE_QUIET:-0}
START=$(date +%s)
note() { echo "[peers-cpu $(($(date +%s) - START))s] $*"; }
if ((NODES % THREADS != 0)); then
  echo "run_cpu.sh: NODES=$NODES must be a multiple of THREADS=$THREADS (equal shards)" >&2
  exit 2
fi
mkdir -p "$WORK"
# todo FILE: true when FILE must be (re)computed.
todo() { [[ $REUSE != 1 || ! -e $1 ]]; }

# other_load: cores busy over QUIET_SAMPLE_S seconds while this script waits (so: others' use).
other_load() {
  local a b
  a=($(head -1 /proc/stat))
  sleep "$QUIET_SAMPLE_S"
  b=($(head -1 /proc/stat))
  # user nice system idle iowait irq softirq steal: busy = all - idle - iowait
  awk -v a="${a[*]:1:8}" -v b="${b[*]:1:8}" -v s="$QUIET_SAMPLE_S" 'BEGIN {
    split(a, x); split(b, y); hz = 100; busy = 0
    for (i = 1; i <= 8; ++i) if (i != 4 && i != 5) busy += y[i] - x[i]
    printf "%.2f", busy / hz / s }'
}
# wait_quiet NAME: wait for the machine to be idle before a timed step (see the header).
wait_quiet() {
  local name=$1 load waited=0
  while :; do
    load=$(other_load)
    if awk -v l="$load" -v m="$QUIET_MAX" 'BEGIN { exit !(l <= m) }'; then
      echo "$name quiet: others used $load cores before the step" >>"$WORK/load.log"
      return 0
    fi
    if ((waited >= QUIET_WAIT_S)); then
      echo "$name CONTENDED: others used $load cores before the step (waited ${waited} s)" \
        >>"$WORK/load.log"
      note "WARNING: the machine is busy (others use $load cores) before $name"
      if [[ $REQUIRE_QUIET == 1 ]]; then
        note "REQUIRE_QUIET=1: refusing to time $name on a busy machine"
        exit 2
      fi
      return 0
    fi
    sleep 8
    waited=$((waited + 8 + QUIET_SAMPLE_S))
  done
}
# timed NAME command...: run, log the load average before and after.
timed() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "$name before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.log"
  "$@" || rc=$?
  echo "$name after $(cut -d' ' -f1-3 /proc/loadavg) ($(($(date +%s) - t0)) s, rc $rc)" \
    >>"$WORK/load.log"
  return $rc
}
# suffix I: the file-name suffix of repetition I ("" for the first, "-r2", ...).
suffix() { (($1 == 1)) || echo "-r$1"; }

if [[ ! -x $VENV/bin/python ]]; then
  note "creating $VENV"
  /usr/bin/python3 -m venv "$VENV"
fi
PY=$VENV/bin/python
"$PY" -c "import h5py, numpy" 2>/dev/null || "$PY" -m pip install -q h5py numpy
"$PY" -c "import keras, tensorflow" 2>/dev/null || "$PY" -m pip install -q tensorflow-cpu keras ||
  note "Keras/TensorFlow could not be installed: Keras peers skipped"
# download.pytorch.org is not reachable here: PyPI's torch is the (large) CUDA build.
"$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install -q torch ||
  note "torch could not be installed: PyTorch peers skipped"
"$PY" -c "import jax, optax" 2>/dev/null || "$PY" -m pip install -q jax optax ||
  note "jax/optax could not be installed: JAX peers skipped"

note "cube"
todo "$WORK/cube.h5" && "$BUILD_DIR/tecscan" ingest \
  --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$WORK/cube.h5" 2>"$WORK/ingest.log"

# scan OUTDIR SEED: tecscan's six models on the CPU, THREADS threads, EPOCHS epochs; the process
# wall time goes to OUTDIR.wall (start-up and output writing included).
scan() {
  todo "$1/summary.json" || return 0
  rm -rf "$1"
  local t0 t1
  wait_quiet "tecscan-$(basename "$1")"
  echo "tecscan-$(basename "$1") before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.log"
  t0=$(date +%s.%N)
  "$BUILD_DIR/tecscan" scan --cube "$WORK/cube.h5" --config "$HERE/equal-work.toml" \
    --epochs "$EPOCHS" --device cpu --threads "$THREADS" --seed "$2" --out "$1" >"$1.log" 2>&1
  t1=$(date +%s.%N)
  echo "tecscan-$(basename "$1") after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.log"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$1.wall"
}
for ((i = 1; i <= R; ++i)); do
  note "tecscan scan --device cpu --threads $THREADS --epochs $EPOCHS, seed 42, run $i of $R"
  scan "$WORK/scan$(suffix "$i")" 42
done
note "tecscan scan, seed $SEED2"
scan "$WORK/scan-seed$SEED2" "$SEED2"
SCANS="" WALLS=""  # the R repetitions' scan.h5 and process wall times, comma-separated
for ((i = 1; i <= R; ++i)); do
  d=$WORK/scan$(suffix "$i")
  [[ -e $d/scan.h5 ]] || continue
  SCANS+=${SCANS:+,}$d/scan.h5
  WALLS+=${WALLS:+,}$(cat "$d.wall" 2>/dev/null || echo nan)
done

PEERS=(--peer "$WORK/scan-seed$SEED2/scan.h5")
COMMON=(--cube "$WORK/cube.h5" --epochs "$EPOCHS")
NODE_PARALLEL=(--workers "$THREADS" --threads 1)
THREADED=(--workers 1 --threads "$THREADS")
# peer NAME REPEATS args...: one run of a peer script (REPEATS repetitions of every model inside
# it) writing $WORK/NAME.h5; skipped when PEERS_ONLY is set and does not name it.
peer() {
  local name=$1 repeats=$2 out=$WORK/$1.h5
  shift 2
  if [[ -n $PEERS_ONLY && " $PEERS_ONLY " != *" $name "* ]]; then
    return 0
  fi
  note "$name: $*"
  if todo "$out"; then
    rm -f "$out"
    wait_quiet "$name"
    timed "$name" "$PY" "$@" "${COMMON[@]}" --repeats "$repeats" --out "$out" 2>&1 |
      tee "$WORK/$name.log" | grep -v -i -E 'warning|^I0000|oneDNN|cpu_feature_guard|rebuild' ||
      true
  fi
  [[ -e $out ]] && PEERS+=(--peer "$out")
  return 0
}
if "$PY" -c "import keras, tensorflow" 2>/dev/null; then
  peer keras-per-node "$KERAS_R" "$HERE/keras_peer.py" --form per-node --nodes "$NODES" \
    "${NODE_PARALLEL[@]}"
  peer keras-reused "$KERAS_R" "$HERE/keras_peer.py" --form reused --nodes "$NODES" \
    "${NODE_PARALLEL[@]}"
  peer keras-reused-jit "$KERAS_R" "$HERE/keras_peer.py" --form reused --jit --nodes "$NODES" \
    "${NODE_PARALLEL[@]}"
fi
if "$PY" -c "import torch" 2>/dev/null; then
  peer torch-pernode "$R" "$HERE/torch_peer.py" --mode pernode --device cpu --nodes "$NODES" \
    "${NODE_PARALLEL[@]}"
  peer torch-batched-np "$R" "$HERE/torch_peer.py" --mode batched --device cpu \
    "${NODE_PARALLEL[@]}"
  peer torch-batched-mt "$R" "$HERE/torch_peer.py" --mode batched --device cpu "${THREADED[@]}"
fi
if "$PY" -c "import jax, optax" 2>/dev/null; then
  peer jax-vmap-np "$R" "$HERE/jax_peer.py" --device cpu "${NODE_PARALLEL[@]}"
  peer jax-vmap-mt "$R" "$HERE/jax_peer.py" --device cpu "${THREADED[@]}"
fi

note "compare"
LOADS=$(awk '$2 == "before" || $2 == "after" {print $3}' "$WORK/load.log" | sort -g |
  sed -n '1p;$p' | paste -sd- -)
CONTENDED=$(grep -c CONTENDED "$WORK/load.log" || true)
{
  echo "# tecscan vs Keras / PyTorch / JAX on the CPU"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo |
    cut -d: -f2 | sed 's/^ *//')), $THREADS threads in all for every implementation, $EPOCHS" \
    "epochs. tecscan: $R runs (separate processes); peers: every model $R times in the same" \
    "processes (Keras $KERAS_R), the first cold; per-node peers node-parallel on $NODES nodes," \
    "extrapolated linearly (\"ext.\"); batched peers on all nodes." \
    "Versions: $("$PY" -c 'import importlib.metadata as m
print(", ".join(d.metadata["Name"] + " " + d.version for d in m.distributions()
      if d.metadata["Name"].lower() in ("tensorflow-cpu", "tensorflow_cpu", "keras", "torch",
                                        "jax", "jaxlib", "optax")))')." \
    "Load average (1 min) around the timed steps: $LOADS (load.log);" \
    "steps run on a busy machine (CONTENDED): $CONTENDED."
  echo
} >"$RESULTS"
"$PY" "$HERE/compare.py" --scan "$SCANS" --scan-wall-s "$WALLS" "${PEERS[@]}" \
  --peak-gflops "$PEAK_GFLOPS" --peak-label "$PEAK_LABEL" --md "$RESULTS" \
  --summary-md "$WORK/summary.md" --headline-md "$WORK/headline.md" \
  --title "El Salvador 2001 (usp000a7m5), CPU"
note "done: $RESULTS"
