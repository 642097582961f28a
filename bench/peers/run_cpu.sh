#!/usr/bin/env bash
# tecscan vs Keras and PyTorch on the CPU, El Salvador 2001 cube (83 nodes x 660 epochs).
#
#   bash bench/peers/run_cpu.sh            # EPOCHS=10 NODES=4 THREADS=2 by default
#
# Keras and PyTorch-per-node run NODES nodes and are extrapolated linearly to all nodes;
# PyTorch-batched runs BATCHED_NODES nodes (0 = all). Every implementation gets THREADS
# threads. A second tecscan run with --seed SEED2 (43) shows tecscan's own run-to-run spread,
# the yardstick for the peers' agreement. REUSE=1 keeps outputs already in $WORK (to redo
# only the missing steps and the table). Python packages go to a venv outside the repository ($PEERS_VENV, default
# /tmp/peers-venv; PyPI only: its torch wheel is the CUDA build, used here on the CPU).
# Work files in $WORK (default /tmp/peers-cpu); the table goes to bench/peers/results-cpu.md.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
EPOCHS=${EPOCHS:-10}
NODES=${NODES:-4}
BATCHED_NODES=${BATCHED_NODES:-0}
THREADS=${THREADS:-2}
VENV=${PEERS_VENV:-/tmp/peers-venv}
WORK=${WORK:-/tmp/peers-cpu}
SEED2=${SEED2:-43}
REUSE=${REUSE:-0}
RESULTS=$HERE/results-cpu.md
START=$(date +%s)
note() { echo "[peers-cpu $(($(date +%s) - START))s] $*"; }
mkdir -p "$WORK"
# todo FILE: true when FILE must be (re)computed.
todo() { [[ $REUSE != 1 || ! -e $1 ]]; }

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

note "tecscan scan --device cpu --threads $THREADS --epochs $EPOCHS (seed 42, then $SEED2)"
todo "$WORK/scan/summary.json" && "$BUILD_DIR/tecscan" scan --cube "$WORK/cube.h5" \
  --config "$ROOT/configs/demo.toml" --epochs "$EPOCHS" --device cpu --threads "$THREADS" \
  --seed 42 --out "$WORK/scan" >"$WORK/scan.log" 2>&1
todo "$WORK/scan-seed$SEED2/summary.json" && "$BUILD_DIR/tecscan" scan --cube "$WORK/cube.h5" \
  --config "$ROOT/configs/demo.toml" --epochs "$EPOCHS" --device cpu --threads "$THREADS" \
  --seed "$SEED2" --out "$WORK/scan-seed$SEED2" >"$WORK/scan-seed$SEED2.log" 2>&1

PEERS=(--peer "$WORK/scan-seed$SEED2/scan.h5")
COMMON=(--cube "$WORK/cube.h5" --epochs "$EPOCHS" --threads "$THREADS")
if "$PY" -c "import keras, tensorflow" 2>/dev/null; then
  note "keras: $NODES nodes"
  todo "$WORK/keras.h5" && "$PY" "$HERE/keras_peer.py" "${COMMON[@]}" --nodes "$NODES" --out "$WORK/keras.h5" 2>&1 |
    tee "$WORK/keras.log" | grep -v -i warning || true
  [[ -f $WORK/keras.h5 ]] && PEERS+=(--peer "$WORK/keras.h5")
fi
if "$PY" -c "import torch" 2>/dev/null; then
  note "torch per node: $NODES nodes"
  todo "$WORK/torch-pernode.h5" && "$PY" "$HERE/torch_peer.py" "${COMMON[@]}" --nodes "$NODES" --mode pernode --device cpu \
    --out "$WORK/torch-pernode.h5" 2>&1 | tee "$WORK/torch-pernode.log"
  PEERS+=(--peer "$WORK/torch-pernode.h5")
  note "torch batched: ${BATCHED_NODES/#0/all} nodes"
  todo "$WORK/torch-batched.h5" && "$PY" "$HERE/torch_peer.py" "${COMMON[@]}" --nodes "$BATCHED_NODES" --mode batched \
    --device cpu --out "$WORK/torch-batched.h5" 2>&1 | tee "$WORK/torch-batched.log"
  PEERS+=(--peer "$WORK/torch-batched.h5")
fi

note "compare"
{
  echo "# tecscan vs Keras / PyTorch on the CPU"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo |
    cut -d: -f2 | sed 's/^ *//')), $THREADS threads each, $EPOCHS epochs, peers on $NODES" \
    "nodes extrapolated linearly (\"ext.\"), torch batched on ${BATCHED_NODES/#0/all} nodes." \
    "Versions: $("$PY" -c 'import importlib.metadata as m
print(", ".join(d.metadata["Name"] + " " + d.version for d in m.distributions()
      if d.metadata["Name"].lower() in ("tensorflow-cpu", "tensorflow_cpu", "keras", "torch")))')." \
    "The machine is shared: wall times include other users' load."
  echo
} >"$RESULTS"
"$PY" "$HERE/compare.py" --scan "$WORK/scan/scan.h5" "${PEERS[@]}" --md "$RESULTS" \
  --title "El Salvador 2001 (usp000a7m5), CPU"
note "done: $RESULTS"
