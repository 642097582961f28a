#!/usr/bin/env bash
# The paper-size event, measured end to end: `tecscan scan` of the synthetic Sarpol-e Zahab
# cube (103 nodes x 2928 hourly epochs, bench/paper_event/make_cube.py) with the paper's method
# (configs/paper.toml: six networks + median-iqr, 100 epochs, the 65 % split), timed as one
# process, and the JSON the issues ask for.
#
#   bash bench/paper_event/run.sh TECSCAN [OUT_JSON]   # default OUT_JSON: $WORK/paper_event.json
#
# Environment, with defaults: DEVICE=cuda EPOCHS=100 SEED=1 (the cube's) WORK=/tmp/paper-event
# EXTRA="" (more scan options, e.g. "--threads 16"), COMMIT (default: git rev-parse).
# Writes OUT_JSON: {"commit", "device", "nodes", "steps", "epochs", "precision", "wall_s",
# "train_s": {model: s}, "concurrent_models", "ingest_s", "dtec_s", "write_s", "command", "date",
# "notes"}, where concurrent_models says the networks trained at once (their train_s overlap);
# wall_s is the scan process's wall time (start to exit); train_s the scan's own
# timing_s["train <m>"] (training + prediction of all nodes); dtec_s its DTEC stages (median/IQR,
# anomalies, median-iqr, quiet mask, significance); write_s its output writing; ingest_s the
# rest of the process (start-up, reading the cube, setting up) = wall_s - timing_s["total"].
# The cube is made once per seed and kept in WORK. Exit status: the scan's. FRAGMENT_ONLY=1:
# measure nothing, only (re)write the fragment below from OUT_JSON.
# FRAGMENT_DIR=bench/results/<tag>: also write OUT_JSON's figures as that folder's fragment.md
# (stamped with machine, date, commit, command; for a machine without its own script step, e.g.
# the CPU machine), then rebuild bench/RESULTS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TECSCAN=${1:?usage: bash bench/paper_event/run.sh TECSCAN [OUT_JSON]}
DEVICE=${DEVICE:-cuda}
EPOCHS=${EPOCHS:-100}
SEED=${SEED:-1}
WORK=$(realpath -m "${WORK:-/tmp/paper-event}")
OUT_JSON=$(realpath -m "${2:-$WORK/paper_event.json}")
EXTRA=${EXTRA:-}
COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
[[ -x $TECSCAN && -f $TECSCAN ]] || { echo "paper event: $TECSCAN is not an executable" >&2; exit 2; }
[[ $EPOCHS =~ ^[1-9][0-9]*$ ]] || { echo "paper event: EPOCHS=$EPOCHS is not a count >= 1" >&2; exit 2; }
# The first python with h5py and numpy (Debian's /usr/bin/python3 here; the GPU machine's venv).
PY=""
for py in ${PY_CUBE:-} /usr/bin/python3 python3; do
  if env -u LD_LIBRARY_PATH "$py" -c "import h5py, numpy" 2>/dev/null; then PY=$py && break; fi
done
[[ -n $PY ]] || { echo "paper event: no python3 with h5py and numpy (set PY_CUBE)" >&2; exit 2; }
mkdir -p "$WORK" "$(dirname "$OUT_JSON")"
CUBE=$WORK/paper-event-seed$SEED.h5
RUN=$WORK/run-$DEVICE-e$EPOCHS
if [[ ${FRAGMENT_ONLY:-0} == 1 ]]; then  # measure nothing: the fragment from OUT_JSON as it is
  [[ -e $OUT_JSON ]] || { echo "paper event: FRAGMENT_ONLY=1 but no $OUT_JSON" >&2; exit 2; }
else
[[ -e $CUBE ]] || env -u LD_LIBRARY_PATH "$PY" "$ROOT/bench/paper_event/make_cube.py" --seed "$SEED" --out "$CUBE"
rm -rf "$RUN"
# shellcheck disable=SC2086  # EXTRA is a list of options
CMD=("$TECSCAN" scan --cube "$CUBE" --config "$ROOT/configs/paper.toml" --epochs "$EPOCHS"
  --device "$DEVICE" --seed 42 $EXTRA --out "$RUN")
echo "paper event: ${CMD[*]}"
t0=$(date +%s.%N)
rc=0
"${CMD[@]}" >"$WORK/scan-$DEVICE-e$EPOCHS.log" 2>&1 || rc=$?
t1=$(date +%s.%N)
if ((rc != 0)); then
  echo "paper event: the scan failed (exit $rc); last lines of $WORK/scan-$DEVICE-e$EPOCHS.log:"
  tail -15 "$WORK/scan-$DEVICE-e$EPOCHS.log"
  exit $rc
fi
env -u LD_LIBRARY_PATH "$PY" - "$RUN/summary.json" "$CUBE" "$OUT_JSON" "$t0" "$t1" "$COMMIT" "$EPOCHS" \
  "${CMD[*]}" <<'EOF'
import datetime, json, os, sys

summary_path, cube, out, t0, t1, commit, epochs, command = sys.argv[1:]
s = json.load(open(summary_path))
t = s["timing_s"]
wall = float(t1) - float(t0)
models = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]
import h5py  # noqa: E402
with h5py.File(cube, "r") as f:
    nodes, steps = f["tec"].shape
dtec = sum(v for k, v in t.items() if k.startswith("dtec ")
           or k in ("median-iqr", "quiet mask", "significance", "ar"))
devices = sorted(set(d for m, d in s.get("devices", {}).items() if m in models))
result = {
    "commit": commit,
    "device": ", ".join(devices),
    "nodes": int(nodes),
    "steps": int(steps),
    "epochs": int(epochs),
    "precision": s["config"]["train"].get("precision", "fp32"),
    "wall_s": round(wall, 3),
    "train_s": {m: round(t[f"train {m}"], 3) for m in models if f"train {m}" in t},
    # The networks trained at once (one GPU stream each): their train_s overlap.
    "concurrent_models": any("networks trained at once" in n for n in s.get("notes", [])),
    "ingest_s": round(wall - t["total"], 3),
    "dtec_s": round(dtec, 3),
    "write_s": round(t.get("write outputs", float("nan")), 3),
    # The catalogue (about 3,500 M >= 6 events, 2000-2025) at this event's measured rate, one
    # event after another on this one device: device-hours, GPU-hours on a GPU.
    "events_per_hour": round(3600.0 / wall, 2),
    "catalogue_3500_events_device_hours": round(3500 * wall / 3600.0, 1),
    "command": command,
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
    "notes": "measured end to end (one process, not extrapolated); synthetic cube of the paper's"
             " shape (bench/paper_event/make_cube.py); ingest_s = wall_s - timing_s.total"
             " (start-up, cube read, set-up)",
}
tmp = out + ".tmp"
try:
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, out)
except OSError as e:
    print(f"paper event: cannot write {out}: {e.strerror}", file=sys.stderr)
    sys.exit(2)
print(json.dumps(result, indent=1))
EOF
echo "paper event: wrote $OUT_JSON"
fi
if [[ -n ${FRAGMENT_DIR:-} ]]; then
  mkdir -p "$FRAGMENT_DIR"
  [[ $OUT_JSON -ef $FRAGMENT_DIR/paper_event.json ]] || cp "$OUT_JSON" "$FRAGMENT_DIR/paper_event.json"
  if [[ ${FRAGMENT_ONLY:-0} != 1 ]]; then cp "$WORK/scan-$DEVICE-e$EPOCHS.log" "$FRAGMENT_DIR/paper_event_scan.log"; fi
  MACHINE="$(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
  "$PY" - "$FRAGMENT_DIR" "$MACHINE" "DEVICE=$DEVICE EPOCHS=$EPOCHS SEED=$SEED${EXTRA:+ EXTRA='$EXTRA'} FRAGMENT_DIR=$FRAGMENT_DIR bash bench/paper_event/run.sh TECSCAN" <<'PYEOF'
import json, os, sys

dir_, machine, command = sys.argv[1:]
# FRAGMENT_ONLY rebuilds a fragment elsewhere: keep the machine it was measured on (the old
# fragment's line) rather than this one.
old = os.path.join(dir_, "fragment.md")
if os.environ.get("FRAGMENT_ONLY") == "1" and os.path.exists(old):
    for line in open(old):
        if line.startswith("machine: "):
            machine = line[len("machine: "):].strip()
            break
p = json.load(open(os.path.join(dir_, "paper_event.json")))
tag = os.path.basename(os.path.normpath(dir_))
lines = ["<!-- fragment", f"machine: {machine}", f"tag: {tag}", f"date: {p['date'][:10]}",
         f"commit: {p['commit']}", f"command: {command}", "order: 30", "-->",
         f"## The paper-size event, end to end: {machine}, {p['device']} ({p['date']})", "",
         f"{p['nodes']} nodes x {p['steps']} hourly epochs (synthetic cube of the paper's"
         " shape, `bench/paper_event/make_cube.py`), `configs/paper.toml`, six networks +"
         f" median-iqr, {p['epochs']} epochs, {p['precision']}: **{p['wall_s']:.1f} s wall**,"
         " measured as one process (not extrapolated). Raw: `" + tag + "/paper_event.json`.", "",
         "| stage | seconds |", "|---|---:|"]
overlap = " (trained at once: these overlap)" if p.get("concurrent_models") else ""
lines += [f"| training + prediction, {m}{overlap} | {v:.2f} |" for m, v in p["train_s"].items()]
lines += [f"| DTEC stages | {p['dtec_s']:.2f} |", f"| writing outputs | {p['write_s']:.2f} |",
          f"| start-up, cube read, set-up | {p['ingest_s']:.2f} |",
          f"| **wall** | **{p['wall_s']:.2f}** |", ""]
# The projection is arithmetic on wall_s (JSON written before 2026-12-04 lacks it).
p.setdefault("events_per_hour", round(3600.0 / p["wall_s"], 2))
p.setdefault("catalogue_3500_events_device_hours", round(3500 * p["wall_s"] / 3600.0, 1))
if "catalogue_3500_events_device_hours" in p:
    lines += [f"At this rate ({p['events_per_hour']:.2f} events per hour, one after another),"
              " the catalogue of about 3,500 paper-size events takes"
              f" **{p['catalogue_3500_events_device_hours']:.0f} device-hours** on this"
              " device (a projection from this one measured event).", ""]
open(os.path.join(dir_, "fragment.md"), "w").write("\n".join(lines))
PYEOF
  results_root=$(dirname "$(realpath -m "$FRAGMENT_DIR")")  # bench/results -> bench/RESULTS.md
  "$PY" "$ROOT/bench/make-results.py" --results "$results_root" \
    --out "$(dirname "$results_root")/RESULTS.md"
fi

