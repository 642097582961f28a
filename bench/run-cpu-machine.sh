#!/usr/bin/env bash
# All the CPU build machine's figures in bench/RESULTS.md, regenerated in one run: tecscan's
# CPU backend vs Keras-CPU and PyTorch-CPU at equal threads and per thread (bench/peers/
# run_cpu.sh), bench_cpu_models, scaling with nodes and with training epochs, where the time
# of one event goes, and bench_ingest.
#
#   bash bench/run-cpu-machine.sh [BUILD_DIR]   # default build-bench: Release, CUDA off
#
# BUILD_DIR is configured and built first when needed (targets tecscan, bench_cpu_models,
# bench_ingest; make -j$JOBS, default 2; SKIP_BUILD=1 uses the binaries as they are and says so in
# the stamp). Environment, with defaults:
#   EPOCHS=10 NODES=8 R=3 KERAS_R=2 THREADS=$(nproc)   the peer comparison (bench/peers/README.md)
#   REQUIRE_QUIET=0   1: refuse to time a peer step on a busy machine (bench/peers/run_cpu.sh)
#   MODELS_NODES=16 MODELS_EPOCHS=3                    bench_cpu_models' synthetic cube
#   SCALING_NODES="50 100 175 1000"                    bench_cpu_models N 1 for each N
#   SCALING_EPOCHS="2 5 20"                            tecscan scan --epochs E (+ EPOCHS, R runs)
#   RESULTS_ROOT=bench/results RESULTS_MD=bench/RESULTS.md WORK=/tmp/tecscan-cpu-machine
#   COMMIT (default: git rev-parse --short HEAD)
#   FRAGMENT_ONLY=1   measure nothing: rebuild fragment.md and RESULTS_MD from the logs of the
#                     last run (RESULTS_ROOT/cpu-<N>vcpu/, its settings in stamp.env)
# Writes RESULTS_ROOT/cpu-<N>vcpu/: fragment.md (the figures, stamped with machine, date,
# commit and command), the raw logs, peers.md (the full peer tables); then rebuilds RESULTS_MD
# from all fragments (bench/make-results.py) and prints a short table last. CPU timings on a
# shared machine are noisy: tecscan and PyTorch are the median of R runs, and the fragment
# records the load average and warns when it exceeded THREADS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build-bench}")
EPOCHS=${EPOCHS:-10}
NODES=${NODES:-8}
R=${R:-3}
KERAS_R=${KERAS_R:-2}
REQUIRE_QUIET=${REQUIRE_QUIET:-0}
THREADS=${THREADS:-$(nproc)}
MODELS_NODES=${MODELS_NODES:-16}
MODELS_EPOCHS=${MODELS_EPOCHS:-3}
SCALING_NODES=${SCALING_NODES:-50 100 175 1000}
SCALING_EPOCHS=${SCALING_EPOCHS:-2 5 20}
RESULTS_ROOT=$(realpath -m "${RESULTS_ROOT:-$ROOT/bench/results}")
RESULTS_MD=$(realpath -m "${RESULTS_MD:-$ROOT/bench/RESULTS.md}")
WORK=$(realpath -m "${WORK:-/tmp/tecscan-cpu-machine}")
JOBS=${JOBS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
PY=/usr/bin/python3  # the standard library is all the tables need
[[ -x $PY ]] || PY=python3
COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  COMMIT="$COMMIT + uncommitted changes"
fi
TAG=cpu-$(nproc)vcpu
DIR=$RESULTS_ROOT/$TAG
START=$(date +%s)
COMMAND="EPOCHS=$EPOCHS NODES=$NODES R=$R KERAS_R=$KERAS_R THREADS=$THREADS"
COMMAND+=" MODELS_NODES=$MODELS_NODES MODELS_EPOCHS=$MODELS_EPOCHS"
COMMAND+=" SCALING_NODES='$SCALING_NODES' SCALING_EPOCHS='$SCALING_EPOCHS'"
COMMAND+=" bash bench/run-cpu-machine.sh"
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M')
FRAGMENT_ONLY=${FRAGMENT_ONLY:-0}
mkdir -p "$DIR" "$WORK"
if [[ $FRAGMENT_ONLY == 1 ]]; then  # the stamp and settings of the run that made the logs
  # shellcheck disable=SC1091
  source "$DIR/stamp.env"
else
  rm -f "$DIR"/*.log "$DIR"/*.json "$DIR"/*.md "$DIR"/*.env  # an earlier run's (ours)
fi
note() { echo "[cpu-machine $(($(date +%s) - START))s] $*" | tee -a "$DIR/run.log"; }
# timed NAME command...: run, log the load average before and after to $DIR/load.log.
timed() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "$name before $(cut -d' ' -f1-3 /proc/loadavg)" >>"$DIR/load.log"
  "$@" || rc=$?
  echo "$name after $(cut -d' ' -f1-3 /proc/loadavg) ($(($(date +%s) - t0)) s, rc $rc)" \
    >>"$DIR/load.log"
  return $rc
}
# wall_s LOG command...: run with its output appended to LOG, print its wall time in seconds.
wall_s() {
  local log=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >>"$log" 2>&1 || return
  t1=$(date +%s.%N)
  "$PY" -c "print('%.3f' % ($t1 - $t0))"
}

if [[ $FRAGMENT_ONLY != 1 ]]; then
  UPTIME_BEFORE=$(uptime)
  note "machine $TAG, commit $COMMIT, results in $DIR, work files in $WORK"
  note "load before: $UPTIME_BEFORE"

  # ---- build ------------------------------------------------------------------------------------
  if [[ $SKIP_BUILD == 1 ]]; then
    note "SKIP_BUILD=1: using the binaries in $BUILD as they are"
    COMMIT+=" (binaries not rebuilt: SKIP_BUILD=1)"
  else
    note "building tecscan, bench_cpu_models, bench_ingest in $BUILD (-j$JOBS)"
    [[ -f $BUILD/CMakeCache.txt ]] ||
      cmake -S "$ROOT" -B "$BUILD" -DTECSCAN_CUDA=OFF -DCMAKE_BUILD_TYPE=Release \
        >"$DIR/build.log" 2>&1
    make -C "$BUILD" -j"$JOBS" tecscan bench_cpu_models bench_ingest >>"$DIR/build.log" 2>&1 || {
      note "build failed; last lines of $DIR/build.log:"
      tail -20 "$DIR/build.log"
      exit 2
    }
  fi
  for exe in tecscan bench/bench_cpu_models bench/bench_ingest; do
    [[ -x $BUILD/$exe ]] || { note "no $BUILD/$exe"; exit 2; }
  done
  TECSCAN=$BUILD/tecscan

  # ---- ingest throughput ------------------------------------------------------------------------
  note "bench_ingest"
  timed bench_ingest "$BUILD/bench/bench_ingest" >"$DIR/ingest.log" 2>&1 ||
    note "bench_ingest FAILED"

  # ---- CPU backend per model, and the GEMM peak --------------------------------------------------
  note "bench_cpu_models $MODELS_NODES $MODELS_EPOCHS"
  timed bench_cpu_models "$BUILD/bench/bench_cpu_models" "$MODELS_NODES" "$MODELS_EPOCHS" \
    >"$DIR/cpu_models.log" 2>&1 || note "bench_cpu_models FAILED"
  PEAK=$(awk -v t="$THREADS" '$1 == t && $2 == "thread(s):" {print $3}' "$DIR/cpu_models.log")
  PEAK=${PEAK:-0}

  # ---- peers: Keras and PyTorch at equal threads ------------------------------------------------
  note "peers: EPOCHS=$EPOCHS NODES=$NODES R=$R KERAS_R=$KERAS_R THREADS=$THREADS (about 15 min)"
  PEERS_WORK=$WORK/peers
  rm -rf "$PEERS_WORK"
  label="Eigen GEMM peak, $THREADS threads"
  WORK=$PEERS_WORK RESULTS=$DIR/peers.md BUILD_DIR=$BUILD EPOCHS=$EPOCHS NODES=$NODES R=$R \
    KERAS_R=$KERAS_R THREADS=$THREADS PEAK_GFLOPS=$PEAK PEAK_LABEL=$label \
    REQUIRE_QUIET=$REQUIRE_QUIET \
    timed peers bash "$ROOT/bench/peers/run_cpu.sh" >"$DIR/peers.log" 2>&1 ||
    note "peers FAILED (peers.log)"
  cp "$PEERS_WORK/load.log" "$DIR/peers-load.log" 2>/dev/null || true
  cp "$PEERS_WORK/summary.md" "$DIR/peers-summary.md" 2>/dev/null || true
  cp "$PEERS_WORK/headline.md" "$DIR/peers-headline.md" 2>/dev/null || true
  for f in "$PEERS_WORK"/*.log "$PEERS_WORK"/*.h5.json "$PEERS_WORK"/*.wall; do
    [[ -e $f ]] && cp "$f" "$DIR/peers-$(basename "$f")"
  done

  # ---- where the time goes: ingest (R runs) + the scans' own timings -----------------------------
  note "ingest of the El Salvador cube, $R runs"
  for ((i = 1; i <= R; ++i)); do
    timed ingest wall_s "$DIR/ingest_event_output.log" "$TECSCAN" ingest \
      --ionex "$ROOT/data/ionex/jpl-2000-2001" \
      --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
      --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
      --days-before 60 --days-after 7 --out "$WORK/cube-ingest.h5" |
      tee -a "$DIR/ingest_event.log" || note "ingest FAILED (ingest_event_output.log)"
  done

  # ---- scaling ----------------------------------------------------------------------------------
  for n in $SCALING_NODES; do
    note "scaling: bench_cpu_models $n 1"
    timed "scaling-nodes-$n" "$BUILD/bench/bench_cpu_models" "$n" 1 \
      >"$DIR/scaling_nodes_$n.log" 2>&1 || note "bench_cpu_models $n 1 FAILED"
  done
  for e in $SCALING_EPOCHS; do
    note "scaling: tecscan scan --epochs $e --threads $THREADS"
    s=$(timed "scaling-epochs-$e" wall_s "$DIR/scaling_epochs_output.log" "$TECSCAN" scan \
      --cube "$PEERS_WORK/cube.h5" --config "$ROOT/bench/peers/equal-work.toml" --epochs "$e" \
      --device cpu --threads "$THREADS" --quiet --out "$WORK/epochs-$e") || s=nan
    echo "epochs=$e wall_s=$s summary=$WORK/epochs-$e/summary.json" >>"$DIR/scaling_epochs.log"
    cp "$WORK/epochs-$e/summary.json" "$DIR/scaling_epochs_$e.json" 2>/dev/null || true
  done
  for ((i = 1; i <= R; ++i)); do  # the peers' R runs are the EPOCHS point
    suffix=$( ((i == 1)) || echo "-r$i")
    cp "$PEERS_WORK/scan$suffix/summary.json" "$DIR/scan_summary$suffix.json" 2>/dev/null || true
  done
  UPTIME_AFTER=$(uptime)
  note "load after: $UPTIME_AFTER"
  declare -p COMMIT COMMAND RUN_DATE EPOCHS NODES R KERAS_R THREADS MODELS_NODES MODELS_EPOCHS \
    SCALING_NODES SCALING_EPOCHS UPTIME_BEFORE UPTIME_AFTER >"$DIR/stamp.env"
fi

# ---- the fragment -----------------------------------------------------------------------------
note "writing $DIR/fragment.md"
MACHINE="$(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
MACHINE+=" $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo),"
MACHINE+=" $( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -sr)"
"$PY" - "$DIR" "$TAG" "$MACHINE" "$COMMIT" "$COMMAND" "$RUN_DATE" "$THREADS" "$EPOCHS" "$R" \
  "$KERAS_R" "$NODES" "$MODELS_NODES" "$MODELS_EPOCHS" "$SCALING_NODES" "$SCALING_EPOCHS" \
  "$UPTIME_BEFORE" "$UPTIME_AFTER" <<'EOF'
import glob, json, os, re, statistics, sys

(dir_, tag, machine, commit, command, run_date, threads, epochs, runs, keras_runs, nodes,
 models_nodes, models_epochs, scaling_nodes, scaling_epochs, up_before, up_after) = sys.argv[1:]
threads = int(threads)


def read(name, default=""):
    path = os.path.join(dir_, name)
    return open(path).read() if os.path.exists(path) else default


def table_rows(text):
    """The markdown table rows of a log, header and rule included."""
    return [l for l in text.splitlines() if l.startswith("|")]


def cpu_model_rows(text):
    """{(model, threads): (seconds, samples x epochs / s, GFLOP/s, % peak)} of bench_cpu_models."""
    out = {}
    for line in table_rows(text)[2:]:
        c = [x.strip() for x in line.strip("|").split("|")]
        if len(c) == 7:
            out[(c[0], int(c[2]))] = (float(c[3]), float(c[4]), float(c[5]), c[6])
    return out


def fmt(x, digits=3):
    return "n/a" if x is None or x != x else f"{x:.{digits}g}"


loads = []  # every 1-minute load average sampled before and after the timed steps
for log in ("load.log", "peers-load.log"):
    for line in read(log).splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in ("before", "after"):
            loads.append(float(parts[2]))
contended = [line.split()[0] for line in read("peers-load.log").splitlines()
             if " CONTENDED:" in line]
others = [float(m.group(1)) for m in re.finditer(r"others used ([\d.]+) cores",
                                                 read("peers-load.log"))]
for up in (up_before, up_after):
    m = re.search(r"load average: ([\d.]+)", up)
    if m:
        loads.append(float(m.group(1)))
max_load = max(loads) if loads else float("nan")
models = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]
L = ["<!-- fragment", f"machine: the CPU build machine, {machine}", f"tag: {tag}",
     f"date: {run_date.split()[0]}", f"commit: {commit}", f"command: {command}", "order: 20", "-->",
     f"## CPU: the build machine ({machine}; {run_date} UTC)", "",
     f"Generated by `{command}` at commit `{commit}`; raw logs in `{tag}/`.", "",
     f"- **Load average** (1, 5, 15 min) before: `{up_before.split('load average:')[-1].strip()}`,"
     f" after: `{up_after.split('load average:')[-1].strip()}`; highest 1-minute value sampled"
     f" around the timed steps: {fmt(max_load)} (`{tag}/load.log`, `{tag}/peers-load.log`)."]
if others:
    L.append(f"- **Quiet check** before each of the {len(others)} timed peer steps (CPU used by"
             " other processes over 2 s while the benchmark waited, from /proc/stat): at most"
             f" {max(others):.2f} cores.")
if max_load > threads:
    L.append(f"- **Warning: the 1-minute load average ({fmt(max_load)}) exceeded the {threads}"
             " threads the benchmarks use.** The load average counts every runnable thread,"
             " the benchmarked processes' own runtime threads and this script included, so it"
             " does not say who used the CPUs; where the quiet checks above found the machine"
             " idle before each step, the excess came while a benchmark ran. Other work would"
             " make these times slower and noisier (the medians of repeated runs damp this but"
             " do not remove it).")
if contended:
    L.append(f"- **Warning: {len(contended)} timed peer step(s) started on a busy machine**"
             f" (other processes used CPU while the benchmark waited: {', '.join(contended)};"
             f" `{tag}/peers-load.log`).")
L.append("")
headline = read("peers-headline.md").strip()
if headline:  # compare.py writes it between <!-- headline --> and <!-- /headline -->
    lines = headline.splitlines()
    intro = (f"El Salvador 2001 on the CPU, {epochs} epochs, {threads} threads for every"
             " implementation; steady state (compilation and warm-up excluded on every side) and"
             " first run (included on every side):")
    L += lines[:1] + [intro, ""] + lines[1:] + [""]

# Peers
peers = read("peers.md")
L += ["### Against Keras, PyTorch and JAX (`bench/peers/`), equal threads and per thread", "",
      f"The El Salvador 2001 cube (83 nodes x 660 epochs), {epochs} training epochs, {threads}"
      " threads in all for every implementation. Per-node peers (Keras as the paper's scripts,"
      " Keras with one compiled model reused, with and without XLA, PyTorch per node) run"
      f" node-parallel: {threads} single-threaded processes, the nodes split between them, timed"
      f" on {nodes} nodes and **extrapolated** linearly to all 83 (\"ext.\"; the one-time"
      " compilation is added once, not scaled). Batched peers (PyTorch batched, JAX vmap+jit)"
      f" run on all nodes, both node-parallel (`{threads}px1t`) and threaded (`1px{threads}t`)."
      f" Steady state: the median of repetitions 2.. of each model in the same processes"
      f" ({runs} repetitions, Keras {keras_runs}); first run: the cold first repetition"
      " (tracing/compilation included) plus process start-up for all six. tecscan compiles"
      f" nothing: its {runs} runs are separate processes (first = run 1, steady = the median of"
      " the others). \"per thread\": samples x epochs per second divided by the threads in"
      " use. Full tables: `" + tag + "/peers.md`.", ""]
if peers:
    body = []
    for line in peers.splitlines():
        if line.startswith("# ") or line.startswith("## "):
            continue
        body.append("#" + line if line.startswith("### ") else line)
    L += body
else:
    L.append("(the peer run failed: see `" + tag + "/peers.log`)")
L.append("")

# bench_cpu_models
cm = read("cpu_models.log")
peak = [l.strip() for l in cm.splitlines() if "thread(s):" in l]
L += [f"### CPU backend per model (`bench_cpu_models {models_nodes} {models_epochs}`)", "",
      f"{models_nodes} synthetic nodes x 660 time steps, {models_epochs} epochs, paper sizes."
      " FP32 GEMM peak measured in the same run (Eigen 1024³): " + "; ".join(peak) + ".", ""]
L += table_rows(cm) or ["(failed: see `" + tag + "/cpu_models.log`)"]
L.append("")

# Scaling with nodes
L += ["### Scaling with nodes (`bench_cpu_models N 1`)", "",
      f"Training samples x epochs per second (seconds in parentheses) of one training epoch +"
      f" the prediction pass of every node, synthetic cubes, {threads} threads"
      f" (`{tag}/scaling_nodes_N.log`): a constant throughput is linear scaling.", ""]
ns = scaling_nodes.split()
L += ["| model | " + " | ".join(f"{n} nodes" for n in ns) + " |", "|---|" + "---:|" * len(ns)]
tables = {n: cpu_model_rows(read(f"scaling_nodes_{n}.log")) for n in ns}
for m in models:
    cells = []
    for n in ns:
        r = tables[n].get((m, threads))
        cells.append(f"{r[1]:,.0f} ({r[0]:.2f} s)" if r else "n/a")
    L.append(f"| {m} | " + " | ".join(cells) + " |")
L.append("")

# Scaling with epochs, and where the time goes
def summary(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None


def train_s(s):
    return sum(v for k, v in s["timing_s"].items() if k.startswith("train "))


walls = {}
for line in read("scaling_epochs.log").splitlines():
    m = re.match(r"epochs=(\d+) wall_s=(\S+)", line)
    if m:
        walls[int(m.group(1))] = float(m.group(2))
points = []
for e in scaling_epochs.split():
    s = summary(os.path.join(dir_, f"scaling_epochs_{e}.json"))
    points.append((int(e), walls.get(int(e), float("nan")), s["timing_s"]["total"] if s else
                   float("nan"), train_s(s) if s else float("nan"), "1 run"))
reps = [s for s in (summary(p) for p in sorted(glob.glob(os.path.join(dir_, "scan_summary*.json"))))
        if s]
if reps:
    points.append((int(epochs), float("nan"),
                   statistics.median(s["timing_s"]["total"] for s in reps),
                   statistics.median(train_s(s) for s in reps), f"median of {len(reps)} runs"))
points.sort()
L += ["### Scaling with training epochs (`tecscan scan`, El Salvador, six networks)", "",
      f"`tecscan scan --config bench/peers/equal-work.toml --device cpu --threads {threads}"
      " --epochs E` on the 83-node cube (the peers' method: one training per node and network"
      " on the paper's 65 % split; the default 5-fold method trains about 6x as much)"
      f" (`{tag}/scaling_epochs*.json`; the {epochs}-epoch point is the peer comparison's tecscan"
      " runs).", "",
      "| epochs | wall s (process) | scan total s | of which training s | runs |",
      "|---:|---:|---:|---:|---|"]
for e, w, total, train, note in points:
    L.append(f"| {e} | {fmt(w)} | {fmt(total)} | {fmt(train)} | {note} |")
if len(points) >= 2 and all(p[3] == p[3] for p in points):
    (e0, *_, t0, _), (e1, *_, t1, _) = points[0], points[-1]
    L += ["", f"Training: {fmt(1000 * (t1 - t0) / (e1 - e0))} ms per epoch for 83 nodes x 6"
          " models (slope between the first and last point)."]
L.append("")

ingest = []
for line in read("ingest_event.log").splitlines():
    try:
        ingest.append(float(line.strip()))
    except ValueError:
        pass
if reps:
    keys = []
    for s in reps:
        keys += [k for k in s["timing_s"] if k not in keys]
    med = {k: statistics.median(s["timing_s"].get(k, 0.0) for s in reps) for k in keys}
    stages = []
    if ingest:
        stages.append(("ingest (`tecscan ingest`: 55 .Z maps, indices, catalog -> cube)",
                       statistics.median(ingest)))
    stages += [(f"training + prediction, {m}", med[f"train {m}"]) for m in models
               if f"train {m}" in med]
    reductions = sum(v for k, v in med.items() if k.startswith("dtec ") or k in
                     ("median-iqr", "quiet mask"))
    stages += [("DTEC reductions (median/IQR per node, anomalies, median-iqr model, quiet mask)",
                reductions), ("write outputs", med.get("write outputs", float("nan")))]
    accounted = sum(v for _, v in stages)
    total = (statistics.median(ingest) if ingest else 0.0) + med.get("total", float("nan"))
    other = total - accounted
    stages.append(("other (cube read, set-up)", 0.0 if abs(other) < 5e-4 else other))
    L += ["### Where the time goes (one event)", "",
          f"El Salvador, {epochs} training epochs, {threads} threads: median over the {len(reps)}"
          " tecscan runs of the peer comparison of each stage in `summary.json` `timing_s`,"
          f" plus the median of {len(ingest)} `tecscan ingest` runs (`{tag}/ingest_event.log`).",
          "", "| stage | seconds | share |", "|---|---:|---:|"]
    for name, v in stages:
        L.append(f"| {name} | {v:.3f} | {100 * v / total:.1f} % |")
    L += [f"| **total** | **{total:.2f}** | |", ""]

# Ingest
ing = read("ingest.log")
L += ["### Ingest (IONEX parse throughput, `bench_ingest`)", ""]
L += [l.lstrip("# ") for l in ing.splitlines() if l.startswith("#")][:1] + [""] if ing else []
L += table_rows(ing) or ["(failed: see `" + tag + "/ingest.log`)"]
L += [""] + [l for l in ing.splitlines() if l.startswith("build_cube")]
text = re.sub(r"\n{3,}", "\n\n", "\n".join(L))  # one blank line between blocks
open(os.path.join(dir_, "fragment.md"), "w").write(text.rstrip() + "\n")
EOF

# ---- RESULTS.md and the short table -------------------------------------------------------------
"$PY" "$ROOT/bench/make-results.py" --results "$RESULTS_ROOT" --out "$RESULTS_MD" |
  tee -a "$DIR/run.log"
{
  printf '\n== cpu-machine summary: %s, commit %s, %s s ==\n' "$TAG" "$COMMIT" \
    "$(($(date +%s) - START))"
  grep -m1 -i '^- \*\*warning' "$DIR/fragment.md" || true
  echo "tecscan vs the strongest peer, $EPOCHS epochs, $THREADS threads for every implementation:"
  cat "$DIR/peers-headline.md" 2>/dev/null || echo "(no peer headline: see $DIR/peers.log)"
  grep -A3 '^| \*\*total' "$DIR/fragment.md" | head -1 | sed 's/^/event /' || true
  echo "fragment: $DIR/fragment.md; RESULTS: $RESULTS_MD"
} | tee -a "$DIR/run.log"
