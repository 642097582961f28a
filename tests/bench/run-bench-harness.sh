#!/usr/bin/env bash
# The benchmark harness, tested where no deep-learning framework is installed:
# - bench/peers/common.py run_peer (worker processes, node shards, repetitions, steady vs first
#   run, the results file) through a numpy peer (tests/bench/linear_peer.py), node-parallel and
#   in one process: the same answers, in the right rows;
# - bench/peers/compare.py on two real tecscan runs (bench/peers/equal-work.toml) and those peers:
#   the headline against the strongest peer, tecscan's DTEC recomputed exactly;
# - bench/make-results.py lifting a fragment's headline block to the top of RESULTS.md;
# - bench/paper_event: the synthetic paper-size cube has tecscan's own region (the same nodes
#   as `tecscan ingest` selects at the Sarpol-e Zahab epicentre) and run.sh writes the JSON.
#
#   bash tests/bench/run-bench-harness.sh TECSCAN
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # nothing written into the repository tree (no __pycache__)
TECSCAN=$(realpath "${1:?usage: run-bench-harness.sh TECSCAN}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"$TECSCAN" ingest --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$WORK/cube.h5" 2>/dev/null

# Two tecscan runs (first run and steady state), the process wall of each.
WALLS=""
for run in a b; do
  t0=$(date +%s.%N)
  "$TECSCAN" scan --cube "$WORK/cube.h5" --config "$ROOT/bench/peers/equal-work.toml" \
    --epochs 1 --device cpu --threads 2 --quiet --out "$WORK/scan-$run" >/dev/null
  t1=$(date +%s.%N)
  WALLS+=${WALLS:+,}$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
done

# The numpy peer: node-parallel on a subset (3 repetitions), and in one process on all nodes.
"$PY" "$ROOT/tests/bench/linear_peer.py" --cube "$WORK/cube.h5" --out "$WORK/np.h5" \
  --epochs 1 --workers 2 --threads 1 --nodes 4 --repeats 3 >"$WORK/np.log"
"$PY" "$ROOT/tests/bench/linear_peer.py" --cube "$WORK/cube.h5" --out "$WORK/one.h5" \
  --epochs 1 --workers 1 --repeats 2 >"$WORK/one.log"
grep -q "2 processes x 1 thread(s), nodes split" "$WORK/np.log" || fail "np.log: $(cat "$WORK/np.log")"

# Hostile use: exit 2, a message naming the problem, the inputs untouched, nothing half-written.
# expect_2 WORDS command...: the command exits 2 and its stderr holds WORDS.
expect_2() {
  local words=$1 rc=0
  shift
  "$@" >/dev/null 2>"$WORK/err" || rc=$?
  ((rc == 2)) && grep -q -- "$words" "$WORK/err" || fail "$* -> rc $rc: $(cat "$WORK/err")"
}
cube_sum=$(sha256sum <"$WORK/cube.h5")
PEER=("$PY" "$ROOT/tests/bench/linear_peer.py" --epochs 1 --nodes 2)
expect_2 "would overwrite the cube" "${PEER[@]}" --cube "$WORK/cube.h5" --out "$WORK/cube.h5"
expect_2 "not a file" "${PEER[@]}" --cube "$WORK/none.h5" --out "$WORK/x.h5"
expect_2 "not a tecscan cube" "${PEER[@]}" --cube "$ROOT/README.md" --out "$WORK/x.h5"
expect_2 "--epochs must be >= 1" "${PEER[@]}" --cube "$WORK/cube.h5" --out "$WORK/x.h5" --epochs 0
expect_2 "unknown foo" "${PEER[@]}" --cube "$WORK/cube.h5" --out "$WORK/x.h5" --models mlp,foo
expect_2 "cannot write --out" "${PEER[@]}" --cube "$WORK/cube.h5" --out "$WORK/no/dir/x.h5"
[[ $(sha256sum <"$WORK/cube.h5") == "$cube_sum" ]] || fail "the cube changed"
[[ ! -e $WORK/x.h5 && ! -e $WORK/x.h5.tmp ]] || fail "a refused run left a file"
expect_2 "one of the inputs" "$PY" "$ROOT/bench/peers/compare.py" \
  --scan "$WORK/scan-a/scan.h5" --peer "$WORK/np.h5" --md "$WORK/np.h5"
expect_2 "not an HDF5 file" "$PY" "$ROOT/bench/peers/compare.py" --scan "$WORK/scan-a/scan.h5" \
  --peer "$ROOT/tests/bench/linear_peer.py"
cp "$WORK/np.h5" "$WORK/old.h5"  # a peer file of the older format: no steady_s_all
"$PY" -c 'import h5py, sys; del h5py.File(sys.argv[1], "a")["predicted/mlp"].attrs["steady_s_all"]' \
  "$WORK/old.h5"
expect_2 "older peer script" "$PY" "$ROOT/bench/peers/compare.py" --scan "$WORK/scan-a/scan.h5" \
  --peer "$WORK/old.h5"

"$PY" "$ROOT/bench/peers/compare.py" --scan "$WORK/scan-a/scan.h5,$WORK/scan-b/scan.h5" \
  --scan-wall-s "$WALLS" --peer "$WORK/np.h5" --peer "$WORK/one.h5" \
  --headline-md "$WORK/headline.md" --summary-md "$WORK/summary.md" --md "$WORK/tables.md" \
  --title "harness test" >"$WORK/compare.log"

"$PY" - "$WORK" <<'EOF'
import statistics, sys

import h5py
import numpy as np

work = sys.argv[1]


def check(ok, what):
    if not ok:
        sys.exit(f"FAIL: {what}")


with h5py.File(f"{work}/np.h5") as f, h5py.File(f"{work}/one.h5") as g:
    check(int(f.attrs["workers"]) == 2 and int(f.attrs["threads_per_worker"]) == 1,
          "np.h5 records 2 workers x 1 thread")
    check(0 < float(f.attrs["startup_s"]) < 60, f"start-up {f.attrs['startup_s']}")
    nodes = f["nodes"][...]
    check(list(nodes) == [0, 27, 55, 82], f"4 nodes spread over 83, got {list(nodes)}")
    for m in ("mlp", "lstm", "cnn-lstm"):
        p, q = f["predicted"][m][...], g["predicted"][m][...]
        rows = np.isfinite(p).any(axis=1)
        check(list(np.flatnonzero(rows)) == list(nodes), f"{m}: rows computed = the nodes run")
        # Each worker's rows land where they belong: equal to the one-process run, node by node.
        check(np.array_equal(p[nodes], q[nodes], equal_nan=True),
              f"{m}: node-parallel predictions differ from the one-process run")
        a = f["predicted"][m].attrs
        reps = list(a["repeat_s"])
        check(len(reps) == 3, f"{m}: 3 repetitions, got {reps}")
        scale = a["train_samples_all"] / a["train_samples"]
        steady = statistics.median(reps[1:]) * scale
        check(abs(a["steady_s_all"] - steady) <= 1e-9 * max(1.0, steady),
              f"{m}: steady_s_all {a['steady_s_all']} != median(reps 2..) x scale {steady}")
        first = steady + max(reps[0] - statistics.median(reps[1:]), 0.0)
        check(abs(a["first_s_all"] - first) <= 1e-9 * max(1.0, first),
              f"{m}: first_s_all {a['first_s_all']} != steady + one-time cost {first}")
        check(bool(a["extrapolated"]) and a["train_samples"] * 80 < a["train_samples_all"] * 4,
              f"{m}: a 4-node subset is marked extrapolated")
    check(not bool(g["predicted"]["mlp"].attrs["extrapolated"]), "one.h5 ran all nodes")

head = open(f"{work}/headline.md").read()
check(head.startswith("<!-- headline -->") and head.rstrip().endswith("<!-- /headline -->"),
      "headline.md is one marked block")
check("strongest peer (linear-numpy" in head, "the headline names the strongest peer")
check("**all six**" in head, "the headline has the all-six row")
log = open(f"{work}/compare.log").read()
check("linear-numpy node-parallel" in log, "the node-parallel peer has its own rows")
# tecscan's DTEC recomputed from its own predictions: no anomaly flag differs.
line = next(l for l in log.splitlines() if "Check of the DTEC recomputation" in l)
for part in line.split(":", 1)[1].split(";"):
    check(part.strip().rstrip(".").endswith(", 0"), f"DTEC recomputation: {part.strip()}")
print("harness: runner, compare.py OK")
EOF

# make-results lifts a fragment's headline block to the top of RESULTS.md.
mkdir -p "$WORK/results/cpu-test"
cp "$ROOT/bench/results/HEADER.md" "$WORK/results/"
{
  printf '<!-- fragment\nmachine: test machine\ndate: 2026-12-04\ncommit: abc\ncommand: test\n-->\n'
  printf '## CPU: test\n\n'
  cat "$WORK/headline.md"
  printf '\nmore tables\n'
} >"$WORK/results/cpu-test/fragment.md"
"$PY" "$ROOT/bench/make-results.py" --results "$WORK/results" --out "$WORK/RESULTS.md" >/dev/null
"$PY" - "$WORK/RESULTS.md" <<'EOF'
import sys
text = open(sys.argv[1]).read()
top = text.index("## Headline: tecscan vs the strongest peer")
machines = text.index("## Machines in this file")
if not top < text.index("strongest peer (linear-numpy") < machines:
    sys.exit("FAIL: RESULTS.md: the headline block is not at the top")
if text.count("strongest peer (linear-numpy") < 2:
    sys.exit("FAIL: RESULTS.md: the block must also stay in its fragment's section")
print("harness: make-results OK")
EOF

# The paper-size cube: the nodes tecscan itself selects within 2000 km of the epicentre.
"$TECSCAN" ingest --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --event 2001-01-13T17:33:32Z,34.911,45.959,7.3 --days-before 2 --days-after 1 \
  --out "$WORK/sarpol-grid.h5" 2>/dev/null
WORK=$WORK/paper DEVICE=cpu EPOCHS=1 EXTRA="--models mlp,median-iqr --threads 2" \
  bash "$ROOT/bench/paper_event/run.sh" "$TECSCAN" "$WORK/paper_event.json" >"$WORK/paper.log"
# Its stamped fragment (FRAGMENT_ONLY: from the JSON as it is); RESULTS.md beside the results
# folder, never the repository's.
mkdir -p "$WORK/res2"
cp "$ROOT/bench/results/HEADER.md" "$WORK/res2/"
before=$(sha256sum "$ROOT/bench/RESULTS.md")
FRAGMENT_DIR=$WORK/res2/cpu-paper WORK=$WORK/paper DEVICE=cpu EPOCHS=1 FRAGMENT_ONLY=1 \
  bash "$ROOT/bench/paper_event/run.sh" "$TECSCAN" "$WORK/paper_event.json" >"$WORK/frag.log"
[[ $(sha256sum "$ROOT/bench/RESULTS.md") == "$before" ]] || fail "the repo's RESULTS.md changed"
grep -q "103 nodes x 2928 hourly epochs" "$WORK/res2/cpu-paper/fragment.md" || fail "no fragment"
grep -q "The paper-size event, end to end" "$WORK/RESULTS.md" || fail "RESULTS.md not rebuilt"
"$PY" - "$WORK" <<'EOF'
import json, sys

import h5py
import numpy as np

work = sys.argv[1]
with h5py.File(f"{work}/sarpol-grid.h5") as real, \
        h5py.File(f"{work}/paper/paper-event-seed1.h5") as syn:
    for key in ("node_lat", "node_lon"):
        if not np.allclose(real[key][...], syn[key][...]):
            sys.exit(f"FAIL: the synthetic cube's {key} differs from tecscan's region")
    if syn["tec"].shape != (103, 2928):
        sys.exit(f"FAIL: paper-size cube is {syn['tec'].shape}, expected (103, 2928)")
p = json.load(open(f"{work}/paper_event.json"))
want = {"commit", "device", "nodes", "steps", "epochs", "precision", "wall_s", "train_s",
        "ingest_s", "dtec_s", "write_s"}
if not want <= set(p):
    sys.exit(f"FAIL: paper_event.json lacks {sorted(want - set(p))}")
if (p["nodes"], p["steps"], p["epochs"]) != (103, 2928, 1) or "mlp" not in p["train_s"]:
    sys.exit(f"FAIL: paper_event.json: {p}")
if not 0 < p["train_s"]["mlp"] < p["wall_s"]:
    sys.exit(f"FAIL: paper_event.json times: {p}")
# The catalogue projection is this event's rate, 3,500 times.
if abs(p["catalogue_3500_events_device_hours"] - 3500 * p["wall_s"] / 3600) > 0.06 \
        or abs(p["events_per_hour"] * p["wall_s"] - 3600) > 0.01 * 3600:
    sys.exit(f"FAIL: paper_event.json projection: {p}")
print("harness: paper event OK")
EOF
echo "bench harness: PASS"
