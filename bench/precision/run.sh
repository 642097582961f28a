#!/usr/bin/env bash
# Training precision vs the science, CPU emulation (issue 14): the bundled El Salvador 2001 event
# scanned with configs/paper.toml and the six networks in fp32 (seed 42: the reference; seed 43:
# the seed-to-seed spread) and in tf32, bf16 and 3xtf32 (seed 42) as the CPU trainer emulates
# them (every product's operands rounded, FP32 accumulation: docs/precision.md). compare.py
# writes each precision's anomaly-set Jaccard and DTEC correlation against the fp32 reference
# next to the seed spread.
#
#   bash bench/precision/run.sh      # BUILD_DIR=build EPOCHS=100 THREADS=2 WORK=/tmp/tecscan-precision
#   DEVICE=cuda EXTRA="--rnn-impl block" bash bench/precision/run.sh   # on a GPU: tensor cores
#
# DEVICE (default cpu) is the scans' --device; THREADS applies to the CPU only; EXTRA adds scan
# options (on a GPU, --rnn-impl block runs the recurrent networks in every precision on the
# device: without it they fall back to the CPU emulation for anything but fp32). The reference
# is the same device's fp32 scan (the GPU's fp32 equals the CPU's to rounding, tests/gpu), and
# the table's last line applies the issue's rule for the default: the fastest precision whose
# agreement with fp32 is at least the seed-to-seed agreement for all six networks.
#
# The cube is the CPU peers benchmark's (bench/peers/run_cpu.sh: 83 nodes x 660 epochs); the
# quiet criterion as bench/calibration's es-paper scan and the demo set it (the bundled indices
# have no Dst for January 2001 and no adjusted F10.7: missing values are ignored). Each
# scan's wall time and the 1-minute load average before and after go to $WORK/load.log: the
# agreement does not depend on the load, the times do.
# FRAGMENT_DIR=bench/results/<tag>: also write the table as that folder's fragment.md (stamped
# with the machine, today's date, COMMIT (default: git rev-parse) and the command; ORDER sorts
# it, default 40), copy table.json and load.log there and rebuild bench/RESULTS.md.
# FRAGMENT_ONLY=1: run no scan, only compare the scans already in WORK (and write the fragment).
# PY: a Python with numpy and h5py
# (default: /tmp/peers-venv/bin/python when present, else python3). Nothing is written into the
# repository; the table is $WORK/table.md (and $WORK/table.json).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
EPOCHS=${EPOCHS:-100}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/tecscan-precision}
PY=${PY:-$([[ -x /tmp/peers-venv/bin/python ]] && echo /tmp/peers-venv/bin/python || echo python3)}
DEVICE=${DEVICE:-cpu}
EXTRA=${EXTRA:-}
TECSCAN=$BUILD_DIR/tecscan
DEVICE_ARGS=(--device "$DEVICE")
[[ $DEVICE == cpu ]] && DEVICE_ARGS+=(--threads "$THREADS")
mkdir -p "$WORK"
# python without the carried libraries of a GPU machine's LD_LIBRARY_PATH (those are tecscan's)
py() { env -u LD_LIBRARY_PATH "$PY" "$@"; }
py -c 'import h5py, numpy' || {
  echo "run.sh: $PY lacks numpy or h5py (set PY=...)" >&2
  exit 2
}

# CUBE: another cube (e.g. the paper-size one, bench/paper_event/make_cube.py) instead of the
# bundled El Salvador event.
CUBE_GIVEN=${CUBE:-}
if [[ -n ${CUBE:-} && ! -f $CUBE ]]; then  # never ingest El Salvador into a mistyped path
  echo "run.sh: CUBE=$CUBE: no such file (a cube written by tecscan ingest or make_cube.py)" >&2
  exit 2
fi
CUBE=${CUBE:-$WORK/cube.h5}
[[ -e $CUBE || ${FRAGMENT_ONLY:-0} == 1 ]] || "$TECSCAN" ingest \
  --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$CUBE" 2>"$WORK/ingest.log"

# scan NAME SEED PRECISION
scan() {
  local out=$WORK/$1 t0 t1
  rm -rf "$out"
  echo "$1 before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.log"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086  # EXTRA is a list of options
  "$TECSCAN" scan --cube "$CUBE" --config "$ROOT/configs/paper.toml" \
    --models mlp,cnn,rnn,gru,lstm,cnn-lstm --epochs "$EPOCHS" "${DEVICE_ARGS[@]}" $EXTRA \
    --set quiet.f107_max=inf --set quiet.missing=ignore \
    --seed "$2" --precision "$3" --quiet --out "$out" >"$out.log" 2>&1 || {
    local rc=$?
    echo "run.sh: the $1 scan failed (exit $rc); the end of $out.log:" >&2
    tail -3 "$out.log" >&2
    exit "$rc"
  }
  t1=$(date +%s.%N)
  echo "$1 after $(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/load.log"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' >"$out.wall"
  echo "$1: $(cat "$out.wall") s"
}
if [[ ${FRAGMENT_ONLY:-0} == 1 ]]; then
  for name in fp32 fp32-seed43 tf32 bf16 3xtf32; do
    [[ -f $WORK/$name/scan.h5 ]] ||
      { echo "run.sh: FRAGMENT_ONLY=1 but no $WORK/$name/scan.h5" >&2; exit 2; }
  done
else
  : >"$WORK/load.log"
  scan fp32 42 fp32
  scan fp32-seed43 43 fp32
  scan tf32 42 tf32
  scan bf16 42 bf16
  scan 3xtf32 42 3xtf32
fi

py "$HERE/compare.py" --work "$WORK" --epochs "$EPOCHS" --threads "$THREADS" \
  --device "$DEVICE${EXTRA:+ $EXTRA}" \
  --md "$WORK/table.md" --json "$WORK/table.json"
cat "$WORK/table.md"

if [[ -n ${FRAGMENT_DIR:-} ]]; then
  mkdir -p "$FRAGMENT_DIR"
  cp "$WORK/table.json" "$WORK/load.log" "$FRAGMENT_DIR/"
  MACHINE=${MACHINE:-"$(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"}
  COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
  COMMAND="EPOCHS=$EPOCHS THREADS=$THREADS DEVICE=$DEVICE${EXTRA:+ EXTRA='$EXTRA'}"
  COMMAND+="${CUBE_GIVEN:+ CUBE=$CUBE_GIVEN} FRAGMENT_DIR=$FRAGMENT_DIR bash bench/precision/run.sh"
  py - "$FRAGMENT_DIR" "$MACHINE" "$COMMIT" "$COMMAND" "$CUBE" "$EPOCHS" "$DEVICE" "$THREADS" \
    "${ORDER:-40}" "$WORK/table.md" <<'PYEOF'
import datetime, os, sys

import h5py

dir_, machine, commit, command, cube, epochs, device, threads, order, table = sys.argv[1:]
tag = os.path.basename(os.path.normpath(dir_))
with h5py.File(cube, "r") as h:
    nodes, steps = h["tec"].shape
    event = h.attrs.get("event_id", b"")
event = event.decode() if isinstance(event, bytes) else str(event)
now = datetime.datetime.now(datetime.timezone.utc)
where = (f"`--device cpu --threads {threads}`; 3xtf32, tf32 and bf16 in the CPU trainer's emulation"
         " (every product's operands rounded, FP32 accumulation: `docs/precision.md`), so the wall"
         " times are the emulation's, not tensor-core speed" if device == "cpu" else
         f"`--device {device}`")
lines = ["<!-- fragment", f"machine: {machine}", f"tag: {tag}", f"date: {now:%Y-%m-%d}",
         f"commit: {commit}", f"command: {command}", f"order: {order}", "-->",
         f"## Training precision vs the science: {machine}, {device} ({now:%Y-%m-%dT%H:%MZ})", "",
         "Issue 14's criterion for the default `[train] precision`: each precision's agreement"
         " with the fp32 reference (seed 42) must be at least the agreement between two fp32"
         f" seeds (42 and 43). Cube: `{os.path.basename(cube)}` (event {event or 'synthetic'},"
         f" {nodes} nodes x {steps} epochs), `configs/paper.toml` with `quiet.f107_max=inf"
         f" quiet.missing=ignore`, the six networks, **{epochs} epochs**, {where}. Jaccard of the"
         " anomaly sets and Pearson correlation of DTEC against the reference"
         f" (`bench/precision/compare.py`); all measured, nothing extrapolated. Raw:"
         f" `{tag}/table.json`, `load.log` (the load average around each scan).", ""]
lines += open(table).read().strip().splitlines()
open(os.path.join(dir_, "fragment.md"), "w").write("\n".join(lines) + "\n")
PYEOF
  py "$ROOT/bench/make-results.py"
fi
