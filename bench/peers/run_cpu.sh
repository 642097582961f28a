#!/usr/bin/env bash
# tecscan vs Keras and PyTorch on the CPU, El Salvador 2001 cube (83 nodes x 660 epochs).
#
#   bash bench/peers/run_cpu.sh            # EPOCHS=10 NODES=4 THREADS=$(nproc) R=3 KERAS_R=1
#
# Every implementation gets THREADS threads. tecscan, PyTorch per node and PyTorch batched run
# R times each and report the median (CPU timings on a shared machine are noisy); Keras runs
# KERAS_R times (each run pays TensorFlow's start-up again). Keras and PyTorch-per-node run
# NODES nodes and are extrapolated linearly to all nodes; PyTorch-batched runs BATCHED_NODES
# nodes (0 = all). A second tecscan run with --seed SEED2 (43) shows tecscan's own run-to-run
# spread, the yardstick for the peers' agreement. REUSE=1 keeps outputs already in $WORK (to
# redo only the missing steps and the tables). Python packages go to a venv outside the
# repository ($PEERS_VENV, default /tmp/peers-venv; PyPI only: its torch wheel is the CUDA
# build, used here on the CPU). PEAK_GFLOPS (and PEAK_LABEL): the machine's measured FP32 peak
# at THREADS threads, for the "% of peak" column (run-cpu-machine.sh passes bench_cpu_models').
# Work files in $WORK (default /tmp/peers-cpu), the load average before and after every timed
# step in $WORK/load.log; the tables go to $RESULTS (default bench/peers/results-cpu.md), the
# summary table alone to $WORK/summary.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
EPOCHS=${EPOCHS:-10}
NODES=${NODES:-4}
BATCHED_NODES=${BATCHED_NODES:-0}
THREADS=${THREADS:-$(nproc)}
R=${R:-3}
KERAS_R=${KERAS_R:-1}
VENV=${PEERS_VENV:-/tmp/peers-venv}
WORK=${WORK:-/tmp/peers-cpu}
SEED2=${SEED2:-43}
REUSE=${REUSE:-0}
RESULTS=${RESULTS:-$HERE/results-cpu.md}
PEAK_GFLOPS=${PEAK_GFLOPS:-0}
PEAK_LABEL=${PEAK_LABEL:-measured GEMM peak}
START=$(date +%s)
note() { echo "[peers-cpu $(($(date +%s) - START))s] $*"; }
mkdir -p "$WORK"
# todo FILE: true when FILE must be (re)computed.
todo() { [[ $REUSE != 1 || ! -e $1 ]]; }
# timed NAME command...: run, and log the load average before and after to $WORK/load.log.
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
# joined PREFIX EXT N: PREFIX.EXT,PREFIX-r2.EXT,... for the N repetitions that exist.
joined() {
  local out="" i f
  for ((i = 1; i <= $3; ++i)); do
    f=$1$(suffix "$i").$2
    [[ -e $f ]] && out+=${out:+,}$f
  done
  echo "$out"
}

if [[ ! -x $VENV/bin/python ]]; then
  note "creating $VENV"
  /usr/bin/python3 -m venv "$VENV"
fi
PY=$VENV/bin/python
"$PY" -c "import h5py, numpy" 2>/dev/null || "$PY" -m pip install -q h5py numpy
"$PY" -c "import keras, tensorflow" 2>/dev/null || "$PY" -m pip install -q tensorflow-cpu keras ||
  note "Keras/TensorFlow could not be installed: Keras peer skipped"
# download.pytorch.org is not reachable here: PyPI's torch is the (large) CUDA build.
"$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install -q torch ||
  note "torch could not be installed: PyTorch peers skipped"

note "cube"
todo "$WORK/cube.h5" && "$BUILD_DIR/tecscan" ingest \
  --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$WORK/cube.h5" 2>"$WORK/ingest.log"

# scan OUTDIR SEED: tecscan's six models on the CPU, THREADS threads, EPOCHS epochs.
scan() {
  todo "$1/summary.json" && timed "tecscan-$(basename "$1")" "$BUILD_DIR/tecscan" scan \
    --cube "$WORK/cube.h5" --config "$ROOT/configs/demo.toml" --epochs "$EPOCHS" --device cpu \
    --threads "$THREADS" --seed "$2" --out "$1" >"$1.log" 2>&1
  return 0
}
for ((i = 1; i <= R; ++i)); do
  note "tecscan scan --device cpu --threads $THREADS --epochs $EPOCHS, seed 42, run $i of $R"
  scan "$WORK/scan$(suffix "$i")" 42
done
note "tecscan scan, seed $SEED2"
scan "$WORK/scan-seed$SEED2" "$SEED2"
SCANS=""  # the R repetitions' scan.h5, comma-separated
for ((i = 1; i <= R; ++i)); do
  f=$WORK/scan$(suffix "$i")/scan.h5
  [[ -e $f ]] && SCANS+=${SCANS:+,}$f
done

PEERS=(--peer "$WORK/scan-seed$SEED2/scan.h5")
COMMON=(--cube "$WORK/cube.h5" --epochs "$EPOCHS" --threads "$THREADS")
# peer NAME RUNS args...: RUNS repetitions of a peer script writing $WORK/NAME[-rI].h5.
peer() {
  local name=$1 runs=$2 i out
  shift 2
  for ((i = 1; i <= runs; ++i)); do
    out=$WORK/$name$(suffix "$i").h5
    note "$name run $i of $runs"
    todo "$out" && { timed "$name$(suffix "$i")" "$PY" "$@" --out "$out" 2>&1 |
      tee "$WORK/$name$(suffix "$i").log" | grep -v -i warning || true; }
  done
  local files
  files=$(joined "$WORK/$name" h5 "$runs")
  [[ -n $files ]] && PEERS+=(--peer "$files")
  return 0
}
if "$PY" -c "import keras, tensorflow" 2>/dev/null; then
  peer keras "$KERAS_R" "$HERE/keras_peer.py" "${COMMON[@]}" --nodes "$NODES"
fi
if "$PY" -c "import torch" 2>/dev/null; then
  peer torch-pernode "$R" "$HERE/torch_peer.py" "${COMMON[@]}" --nodes "$NODES" \
    --mode pernode --device cpu
  peer torch-batched "$R" "$HERE/torch_peer.py" "${COMMON[@]}" --nodes "$BATCHED_NODES" \
    --mode batched --device cpu
fi

note "compare"
{
  echo "# tecscan vs Keras / PyTorch on the CPU"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo |
    cut -d: -f2 | sed 's/^ *//')), $THREADS threads each, $EPOCHS epochs; tecscan and PyTorch" \
    "median of $R runs, Keras of $KERAS_R; Keras and PyTorch per node on $NODES nodes" \
    "extrapolated linearly (\"ext.\"), torch batched on ${BATCHED_NODES/#0/all} nodes." \
    "Versions: $("$PY" -c 'import importlib.metadata as m
print(", ".join(d.metadata["Name"] + " " + d.version for d in m.distributions()
      if d.metadata["Name"].lower() in ("tensorflow-cpu", "tensorflow_cpu", "keras", "torch")))')." \
    "Load average (1 min) during the timed steps: $(awk '{print $3}' "$WORK/load.log" |
      sort -g | sed -n '1p;$p' | paste -sd- -) (log: load.log)."
  echo
} >"$RESULTS"
"$PY" "$HERE/compare.py" --scan "$SCANS" "${PEERS[@]}" --threads "$THREADS" \
  --peak-gflops "$PEAK_GFLOPS" --peak-label "$PEAK_LABEL" --md "$RESULTS" \
  --summary-md "$WORK/summary.md" --title "El Salvador 2001 (usp000a7m5), CPU"
note "done: $RESULTS"
