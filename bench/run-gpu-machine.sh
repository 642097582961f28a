#!/usr/bin/env bash
# All of a GPU machine's figures in bench/RESULTS.md, regenerated in one time-boxed run:
# bench/gpu-check.sh (every GPU test, bench_gpu_ff, bench_gpu_rnn, the whole El Salvador event
# on the GPU and on all CPU cores), the paper-size event end to end (bench/paper_event/run.sh ->
# paper_event.json), five single tasks vs one packed task (bench/batch-events.sh), the training
# precision's science table and the paper-size event per precision (bench/precision/run.sh),
# tecscan vs PyTorch per node and batched and JAX (bench/peers/run_gpu.sh),
# scaling with nodes (50 here; 100, 175 and 1000 from gpu-check) and with training
# epochs, and the CPU backend on all cores (bench_cpu_models).
#
#   COMMIT=<sha> RESULTS_ROOT=$OUT bash bench/run-gpu-machine.sh BUILD [LIB]
#
# BUILD: a CUDA build (tecscan, tests/tecscan_gpu_tests, bench/bench_gpu_ff, bench/bench_gpu_rnn,
# bench/bench_cpu_models), e.g. .device/build built on the CPU machine and carried (see
# bench/results/h200/README.md); LIB: the shared libraries carried with it (.device/lib). Both
# go first on LD_LIBRARY_PATH, with the directories of the machine's own libcublas.so.13 and
# libcudnn.so.9. Nothing is built or installed and no network is needed; python3 must have
# torch, h5py and numpy (the PyTorch rows are skipped otherwise).
# Environment, with defaults:
#   BUDGET_S=450       the whole run (about 6 min on an H200); later steps shrink or are skipped
#   COMMIT             the commit the binaries were built from (default: git rev-parse, if any)
#   RESULTS_ROOT=bench/results   the figures go to RESULTS_ROOT/<tag>/ (tag from nvidia-smi:
#                      h200, h100, ...): fragment.md + raw logs. Copy that folder to
#                      bench/results/ in the repository, then: python3 bench/make-results.py
#   WORK=/tmp/tecscan-gpu-machine   cubes and run folders (large; not kept)
#   PEER_EPOCHS=20 PEER_NODES=4     the PyTorch comparison (bench/peers/README.md); SKIP_PEERS
#                      (pernode pernode-np jax) passes through to bench/peers/run_gpu.sh
#   SCALING_EPOCHS="25 50 100 200"  tecscan scan --device cuda --epochs E
#   SKIP="peers batch"  steps not to run (any of: paper batch precision peers scaling nsys cpu);
#                      gpu-check always runs. The steps run in that order under BUDGET_S, so
#                      on a short lease skip what is not the question (e.g. issue 14's precision
#                      figures: SKIP="batch peers scaling nsys cpu" BUDGET_S=560)
#   PRECISION_ENGINES="auto block"  the recurrent engines the precision step runs the science
#                      table and the paper-size event per precision with: auto (fused in fp32,
#                      tf32, bf16; block in 3xtf32) and block (every network on the persistent
#                      kernels)
#   FRAGMENT_ONLY=1    measure nothing: rebuild fragment.md from the logs in RESULTS_ROOT/TAG
#                      (TAG=h200 to choose the folder without nvidia-smi)
# Prints a short table last. Exit status: gpu-check's (0 all good, 1 a GPU test failed, ...).
#
# On a lent GPU machine (no compiler, no network, one call of at most 10 min), as for
# bench/results/h200/: build here with CUDA (-DTECSCAN_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
# -DTECSCAN_STATIC_LIBARCHIVE=ON, Release; targets tecscan tecscan_gpu_tests bench_gpu_ff
# bench_gpu_rnn bench_cpu_models), copy the binaries to .device/build/{tecscan,tests/,bench/}
# and the shared libraries the GPU machine lacks (ldd) to .device/lib, carry .device, run
#   COMMIT=$(git rev-parse --short HEAD) RESULTS_ROOT=$OUT bash bench/run-gpu-machine.sh \
#     .device/build .device/lib
# and copy the returned <tag>/ folder to bench/results/.
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/.device/build}")
LIB=${2:-}
BUDGET=${BUDGET_S:-450}
RESULTS_ROOT=$(realpath -m "${RESULTS_ROOT:-$ROOT/bench/results}")
WORK=$(realpath -m "${WORK:-/tmp/tecscan-gpu-machine}")
PEER_EPOCHS=${PEER_EPOCHS:-20}
PEER_NODES=${PEER_NODES:-4}
SCALING_EPOCHS=${SCALING_EPOCHS:-25 50 100 200}
COMMIT=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null ||
  echo "unknown (set COMMIT)")}
PY=${PYTHON:-python3}
START=$(date +%s)
GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
# h200 from "NVIDIA H200", h100 from "NVIDIA H100 80GB HBM3", ...
TAG=${TAG:-$(echo "$GPU_NAME" | grep -o -E '\b[A-Z]+[0-9]+[A-Za-z]*\b' | head -1 | tr 'A-Z' 'a-z')}
TAG=${TAG:-gpu}
DIR=$RESULTS_ROOT/$TAG
# The command as run, with the settings that shaped it.
SETTINGS=""
for v in BUDGET_S SKIP SKIP_PEERS GPU_CHECK_SKIP GPU_TESTS_LIMIT_S PRECISION_ENGINES; do
  [[ -n ${!v:-} ]] && SETTINGS+="$v=\"${!v}\" "
done
PRECISION_ENGINES=${PRECISION_ENGINES:-auto block}
for engine in $PRECISION_ENGINES; do
  [[ $engine == auto || $engine == block ]] || {
    echo "run-gpu-machine.sh: PRECISION_ENGINES: unknown engine '$engine' (auto block)" >&2
    exit 2
  }
done
COMMAND="COMMIT=$COMMIT ${SETTINGS}bash bench/run-gpu-machine.sh ${1:-.device/build}${LIB:+ $LIB}"
mkdir -p "$DIR" "$WORK"
STATUS=0

# wanted STEP: not listed in SKIP (paper batch precision peers scaling nsys cpu).
wanted() { [[ " ${SKIP:-} " != *" $1 "* ]]; }
for step in ${SKIP:-}; do
  case $step in
    paper | batch | precision | peers | scaling | nsys | cpu) ;;
    *)
      echo "run-gpu-machine.sh: SKIP: unknown step '$step' (paper batch precision peers scaling nsys cpu)" >&2
      exit 2
      ;;
  esac
done
elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((BUDGET - $(elapsed))); }
note() { echo "[gpu-machine $(elapsed)s] $*" | tee -a "$DIR/run.log"; }
# cap SECONDS: the smaller of SECONDS and what is left of the budget.
cap() {
  local l
  l=$(left)
  echo $((l < $1 ? l : $1))
}
# wall_s LOG command...: run with its output appended to LOG, print its wall time in seconds.
wall_s() {
  local log=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >>"$log" 2>&1 || return
  t1=$(date +%s.%N)
  env -u LD_LIBRARY_PATH "$PY" -c "print('%.2f' % ($t1 - $t0))"
}

if [[ ${FRAGMENT_ONLY:-0} != 1 ]]; then
  : >"$DIR/run.log"
  # When, from what and how the figures were measured, for the fragment (also when FRAGMENT_ONLY
  # rebuilds it later, elsewhere): measured.json {"utc", "commit", "command", "skip_peers"}.
  env -u LD_LIBRARY_PATH "$PY" -c 'import json, sys; json.dump(dict(zip(
    ["utc", "commit", "command", "skip_peers"], sys.argv[1:])), open(sys.argv[5], "w"))' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$COMMIT" "$COMMAND" "${SKIP_PEERS:-}" "$DIR/measured.json"
  note "GPU '$GPU_NAME' -> $DIR; build $BUILD; commit $COMMIT; budget ${BUDGET}s"
  nvidia-smi >"$DIR/nvidia-smi.txt" 2>&1 || note "nvidia-smi failed"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
    >"$DIR/gpu.txt" 2>/dev/null
  echo "$(nproc) CPU cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))" \
    >"$DIR/cpu.txt"

  # ---- libraries: the carried ones first, then the machine's cuBLAS and cuDNN --------------------
  L=${LIB:+$(realpath -m "$LIB")}
  roots=(/usr/local /usr/lib /opt)
  site=$("$PY" -c 'import nvidia, os; print(" ".join(nvidia.__path__))' 2>/dev/null) &&
    read -r -a more <<<"$site" && roots+=("${more[@]}")
  for name in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
    found=$(timeout 30 find "${roots[@]}" -name "$name*" -print -quit 2>/dev/null)
    found=${found:+$(dirname "$found")}
    [[ -n $found && :$L: != *":$found:"* ]] && L=${L:+$L:}$found
  done
  export LD_LIBRARY_PATH=$L${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  note "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

  # ---- 1. every GPU test, the GPU benchmarks, the whole event (GPU and all CPU cores) ------------
  limit=$(cap 270)
  note "gpu-check.sh (budget ${limit}s)"
  OUT=$WORK/gpu-check GPU_CHECK_BUDGET_S=$((limit - 10)) timeout "$limit" \
    bash "$ROOT/bench/gpu-check.sh" "$BUILD" >"$DIR/gpu-check-stdout.log" 2>&1
  STATUS=$?
  note "gpu-check exit $STATUS"
  for f in gpu-check.log gpu_tests.log bench_gpu_ff.log bench_gpu_rnn.log event.log \
    event_cuda_summary.json event_cpu_summary.json failed_tests.txt; do
    cp "$WORK/gpu-check/$f" "$DIR/" 2>/dev/null
  done
  cp "$WORK/gpu-check/summary.md" "$DIR/gpu-check-summary.md" 2>/dev/null
  PEAK=$(grep -o -E 'SGEMM peak [0-9.]+ TFLOP/s' "$DIR/bench_gpu_ff.log" 2>/dev/null | head -1 |
    awk '{print $3 * 1000}')

  # ---- 1b. the paper-size event, end to end (bench/paper_event/) ---------------------------------
  limit=$(cap 120)
  if ((limit >= 40)) && wanted paper; then
    note "paper-size event: 103 nodes x 2928 hourly epochs, 100 epochs (limit ${limit}s)"
    WORK=$WORK/paper-event DEVICE=cuda COMMIT=$COMMIT timeout "$limit" \
      bash "$ROOT/bench/paper_event/run.sh" "$BUILD/tecscan" "$DIR/paper_event.json" \
      >"$DIR/paper_event.log" 2>&1 || note "paper-size event FAILED or timed out (paper_event.log)"
  else
    note "paper-size event skipped: ${limit}s left"
  fi
  # The same event with the networks one after another (the default trains them at once, one
  # stream each) and with the fused recurrent epochs replayed from CUDA graphs: what each saves.
  for variant in sequential graphs; do
    limit=$(cap 90)
    if ((limit < 40)) || ! wanted paper; then
      note "paper-size event, $variant, skipped"
      continue
    fi
    extra=--cuda-graphs
    [[ $variant == sequential ]] && extra=--sequential-models
    note "paper-size event, $extra (limit ${limit}s)"
    WORK=$WORK/paper-event DEVICE=cuda COMMIT=$COMMIT EXTRA="$extra" timeout "$limit" \
      bash "$ROOT/bench/paper_event/run.sh" "$BUILD/tecscan" "$DIR/paper_event_$variant.json" \
      >"$DIR/paper_event_$variant.log" 2>&1 ||
      note "paper-size event, $extra, FAILED or timed out (paper_event_$variant.log)"
  done

  # ---- 1c. the five bundled M>=7 events: five single tasks vs one packed task --------------------
  limit=$(cap 150)
  if ((limit >= 60)) && wanted batch; then
    note "batch: five single tasks vs one --pack task (bench/batch-events.sh, limit ${limit}s)"
    WORK=$WORK/batch timeout "$limit" bash "$ROOT/bench/batch-events.sh" "$BUILD/tecscan" \
      "$DIR/batch" >"$DIR/batch-events.log" 2>&1 || note "batch events FAILED or timed out"
    grep '^packed task' "$DIR/batch/steps.txt" 2>/dev/null | tee -a "$DIR/run.log"
  else
    note "batch events skipped: ${limit}s left"
  fi

  # ---- 1d. training precision: the science table and the paper-size event per precision -------
  # bench/precision/run.sh on the device per recurrent engine of PRECISION_ENGINES: each
  # precision's anomaly-set Jaccard and DTEC correlation against fp32 next to two fp32 seeds, and
  # the issue's rule for the default (the fastest precision with the science of fp32). block:
  # every network on the persistent kernels (precision.md / .json); auto: the default engines,
  # fused for the recurrent models in fp32, tf32 and bf16 (cuBLAS' tensor-core compute types)
  # and block in 3xtf32 (precision_auto.md / .json). Then the paper-size event per precision
  # and engine.
  for engine in $(wanted precision && echo "$PRECISION_ENGINES"); do
    suffix=$([[ $engine == block ]] || echo "_$engine")
    limit=$(cap 150)
    if ((limit < 60)); then
      note "precision table, --rnn-impl $engine, skipped: ${limit}s left"
      continue
    fi
    note "precision: El Salvador, six networks, 100 epochs, fp32 x2 seeds + 3 precisions, --rnn-impl $engine (limit ${limit}s)"
    rm -rf "$WORK/precision-$engine"
    DEVICE=cuda EXTRA="--rnn-impl $engine" BUILD_DIR=$BUILD WORK=$WORK/precision-$engine PY=$PY \
      timeout "$limit" bash "$ROOT/bench/precision/run.sh" >"$DIR/precision$suffix.log" 2>&1 ||
      note "precision table, --rnn-impl $engine, FAILED or timed out (precision$suffix.log)"
    cp "$WORK/precision-$engine/table.md" "$DIR/precision$suffix.md" 2>/dev/null
    cp "$WORK/precision-$engine/table.json" "$DIR/precision$suffix.json" 2>/dev/null
  done
  # Each model's training throughput in each precision on the persistent path (the recurrent
  # ones as --rnn-impl block trains them), as a fraction of that precision's measured peak.
  limit=$(cap 120)
  if ((limit >= 40)) && [[ -x $BUILD/bench/bench_gpu_ff ]] && wanted precision; then
    note "bench_gpu_ff: six models x four precisions, 100 nodes (limit ${limit}s)"
    timeout "$limit" "$BUILD/bench/bench_gpu_ff" --nodes 100 --epochs 3 --runs 2 \
      --cpu-max-nodes 0 --models mlp,cnn,rnn,gru,lstm,cnn-lstm \
      --precisions fp32,3xtf32,tf32,bf16 >"$DIR/precision_models.log" 2>&1 ||
      note "bench_gpu_ff per precision FAILED or timed out (precision_models.log)"
  fi
  # The paper-size event per engine and precision (auto in fp32 is paper_event.json, above).
  for engine in $(wanted precision && echo "$PRECISION_ENGINES"); do
    for prec in fp32 3xtf32 tf32 bf16; do
      [[ $engine == auto && $prec == fp32 ]] && continue
      limit=$(cap 60)
      ((limit >= 30)) || { note "paper-size event, $engine $prec, skipped: ${limit}s left"; continue; }
      note "paper-size event, --rnn-impl $engine --precision $prec (limit ${limit}s)"
      WORK=$WORK/paper-event DEVICE=cuda COMMIT=$COMMIT \
        EXTRA="--rnn-impl $engine --precision $prec" timeout "$limit" \
        bash "$ROOT/bench/paper_event/run.sh" "$BUILD/tecscan" \
        "$DIR/paper_event_${engine}_$prec.json" >"$DIR/paper_event_${engine}_$prec.log" 2>&1 ||
        note "paper-size event, $engine $prec, FAILED or timed out (paper_event_${engine}_$prec.log)"
    done
  done

  # ---- 2. tecscan vs PyTorch per node and batched, and JAX ---------------------------------------
  limit=$(cap 360)
  if ((limit >= 60)) && wanted peers; then
    note "peers: run_gpu.sh, $PEER_EPOCHS epochs, per node on $PEER_NODES nodes (limit ${limit}s)"
    rm -rf "$WORK/peers-gpu"
    OUT=$WORK EPOCHS=$PEER_EPOCHS NODES=$PEER_NODES PEAK_GFLOPS=${PEAK:-0} \
      PEAK_LABEL="FP32 SGEMM peak" timeout "$limit" bash "$ROOT/bench/peers/run_gpu.sh" "$BUILD" \
      >"$DIR/peers-stdout.log" 2>&1 || note "peers FAILED or timed out (peers-stdout.log)"
    cp "$WORK/peers-gpu/results-gpu.md" "$DIR/peers.md" 2>/dev/null
    cp "$WORK/peers-gpu/summary.md" "$DIR/peers-summary.md" 2>/dev/null
    cp "$WORK/peers-gpu/headline.md" "$DIR/peers-headline.md" 2>/dev/null
    for f in run.log torch-batched.log torch-pernode.log torch-pernode-np.log jax-vmap.log scan.log; do
      cp "$WORK/peers-gpu/$f" "$DIR/peers-$f" 2>/dev/null
    done
  else
    note "peers skipped: ${limit}s left"
  fi

  # ---- 3. scaling: 50 nodes per model, and the whole event vs training epochs --------------------
  if (($(left) >= 40)) && [[ -x $BUILD/bench/bench_gpu_ff ]] && wanted scaling; then
    note "scaling: 50 nodes"
    timeout "$(cap 40)" "$BUILD/bench/bench_gpu_ff" --nodes 50 --epochs 5 --runs 3 --cpu-epochs 1 \
      >"$DIR/scaling_ff50.log" 2>&1 || note "bench_gpu_ff --nodes 50 FAILED"
    timeout "$(cap 60)" "$BUILD/bench/bench_gpu_rnn" --nodes=50 --epochs=3 --no-cpu \
      >"$DIR/scaling_rnn50.log" 2>&1 || note "bench_gpu_rnn --nodes=50 FAILED"
  fi
  CUBE=$WORK/scaling-cube.h5
  : >"$DIR/scaling_epochs.log"
  if (($(left) >= 40)) && wanted scaling; then
    note "scaling: the El Salvador event on the GPU vs epochs ($SCALING_EPOCHS)"
    s=$(wall_s "$DIR/scaling_epochs_output.log" timeout 30 "$BUILD/tecscan" ingest \
      --ionex "$ROOT/data/ionex/jpl-2000-2001" \
      --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
      --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
      --days-before 60 --days-after 7 --out "$CUBE") &&
      echo "ingest wall_s=$s" >>"$DIR/scaling_epochs.log"
    for e in $SCALING_EPOCHS; do
      (($(left) >= 30)) || { note "epochs $e skipped: budget"; break; }
      s=$(wall_s "$DIR/scaling_epochs_output.log" timeout "$(cap 60)" "$BUILD/tecscan" scan \
        --cube "$CUBE" --config "$ROOT/configs/demo.toml" --epochs "$e" --device cuda --quiet \
        --out "$WORK/epochs-$e") || s=nan
      echo "epochs=$e wall_s=$s" | tee -a "$DIR/scaling_epochs.log"
      cp "$WORK/epochs-$e/summary.json" "$DIR/scaling_epochs_$e.json" 2>/dev/null
    done
  fi

  # ---- 3b. nsys summary of a short scan, and CUDA graphs on vs off ------------------------------
  # Kernel time vs API time per model (2 epochs of every model on the El Salvador cube of step 3),
  # and the whole scan timed with the recurrent epochs replayed from CUDA graphs and eagerly.
  # graph_flag 0|1: the scan's --cuda-graphs flag, or nothing.
  graph_flag() { if [[ $1 == 1 ]]; then echo --cuda-graphs; fi; }
  if [[ -f $CUBE ]] && (($(left) >= 60)) && wanted nsys; then
    if command -v nsys >/dev/null 2>&1; then
      note "nsys: 2-epoch scan of every model (limit $(cap 90)s)"
      for graphs in 0 1; do
        rm -f "$WORK/nsys-scan-$graphs.nsys-rep" "$WORK/nsys-scan-$graphs.sqlite"
        timeout "$(cap 45)" nsys profile --stats=false \
          --force-overwrite true -o "$WORK/nsys-scan-$graphs" "$BUILD/tecscan" scan \
          --cube "$CUBE" --config "$ROOT/configs/demo.toml" --epochs 2 --device cuda --quiet \
          $(graph_flag "$graphs") \
          --out "$WORK/nsys-out-$graphs" >"$DIR/nsys_scan_graphs$graphs.log" 2>&1 &&
          timeout "$(cap 45)" nsys stats --report cuda_gpu_kern_sum,cuda_api_sum \
            "$WORK/nsys-scan-$graphs.nsys-rep" >>"$DIR/nsys_scan_graphs$graphs.log" 2>&1 ||
          note "nsys (graphs=$graphs) FAILED or timed out (nsys_scan_graphs$graphs.log)"
      done
    else
      note "nsys is missing on this machine: no kernel/API summary"
      echo "nsys not on PATH" >"$DIR/nsys_scan_graphs0.log"
    fi
    : >"$DIR/cuda_graphs.log"
    for graphs in 0 1 0 1; do
      (($(left) >= 30)) || { note "cuda graphs timing skipped: budget"; break; }
      s=$(wall_s "$DIR/cuda_graphs_output.log" timeout "$(cap 60)" \
        "$BUILD/tecscan" scan --cube "$CUBE" --config "$ROOT/configs/demo.toml" --epochs 100 \
        --device cuda --quiet $(graph_flag "$graphs") --out "$WORK/graphs-$graphs") || s=nan
      echo "cuda_graphs=$graphs epochs=100 wall_s=$s" | tee -a "$DIR/cuda_graphs.log"
      cp "$WORK/graphs-$graphs/summary.json" "$DIR/cuda_graphs_$graphs.json" 2>/dev/null
    done
  fi

  # ---- 4. the CPU backend on all cores -----------------------------------------------------------
  if (($(left) >= 45)) && [[ -x $BUILD/bench/bench_cpu_models ]] && wanted cpu; then
    note "bench_cpu_models 64 3 on $(nproc) cores (limit $(cap 120)s)"
    timeout "$(cap 120)" "$BUILD/bench/bench_cpu_models" 64 3 >"$DIR/cpu_models.log" 2>&1 ||
      note "bench_cpu_models FAILED or timed out (cpu_models.log)"
  else
    note "bench_cpu_models skipped: $(left)s left"
  fi
  note "measurements done in $(elapsed)s"
fi

# ---- the fragment -----------------------------------------------------------------------------
# (without the carried libraries, which are for the tecscan binaries only)
env -u LD_LIBRARY_PATH "$PY" - "$DIR" "$TAG" "$COMMIT" "$COMMAND" "$PEER_EPOCHS" "$PEER_NODES" <<'EOF'
import datetime, json, os, re, sys

dir_, tag, commit, command, peer_epochs, peer_nodes = sys.argv[1:]
models = ["mlp", "cnn", "rnn", "gru", "lstm", "cnn-lstm"]


def read(name, default=""):
    path = os.path.join(dir_, name)
    return open(path, errors="replace").read() if os.path.exists(path) else default


def load(name):
    try:
        return json.load(open(os.path.join(dir_, name)))
    except (OSError, ValueError):
        return None


def table_rows(text):
    return [l for l in text.splitlines() if l.startswith("|")]


def results(*names):
    """RESULT key=value lines of the benchmark logs, as dicts."""
    out = []
    for name in names:
        for line in read(name).splitlines():
            if line.startswith("RESULT "):
                out.append(dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv))
    return out


def fmt(x, digits=3):
    return "n/a" if x is None or x != x else f"{x:.{digits}g}"


gpu = read("gpu.txt").strip().splitlines()
gpu = gpu[0] if gpu else "GPU (nvidia-smi gave nothing)"
cpu = read("cpu.txt").strip()
machine = f"{gpu}; {cpu}" if cpu else gpu
# How the figures were measured (measured.json), not how this fragment is (re)generated. Runs
# before 2026-12-05 lack it: then the paper-size event's stamp, else now, and this call's
# commit and command.
measured = load("measured.json") or {}
commit = measured.get("commit", commit)
command = measured.get("command", command)
skipped_peers = measured.get("skip_peers", "").split()
today = datetime.datetime.now(datetime.timezone.utc)
for stamp in (measured.get("utc", ""), (load("paper_event.json") or {}).get("date", "")):
    try:
        today = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%MZ")
        break
    except ValueError:
        pass
ff = read("bench_gpu_ff.log")
peak = re.search(r"SGEMM peak ([\d.]+) TFLOP/s FP32(?:, ([\d.]+) TFLOP/s TF32)?", ff)
peak_text = ""
if peak:
    peak_text = f" FP32 SGEMM peak measured in the same run: **{peak.group(1)} TFLOP/s** (cuBLAS)"
    if peak.group(2):
        peak_text += f", TF32 {peak.group(2)} TFLOP/s (tecscan's tf32 and 3xtf32 precisions)"
    peak_text += "."
L = ["<!-- fragment", f"machine: {machine}", f"tag: {tag}", f"date: {today:%Y-%m-%d}",
     f"commit: {commit}", f"command: {command}", "order: 10", "-->",
     f"## GPU: {gpu.split(',')[0]} ({today:%Y-%m-%d %H:%M} UTC)", "",
     f"- **Machine:** {machine}." + peak_text,
     f"- **Command:** `{command}` (binaries built on the CPU machine at commit `{commit}` and"
     f" carried); raw logs in `{tag}/`.", ""]

# gpu-check
summary = read("gpu-check-summary.md")
L += ["### Correctness and the whole event (`bench/gpu-check.sh`)", ""]
rows = [l for l in summary.splitlines() if l.startswith("| ")]
steps = [l for l in rows if l.count("|") == 3]
L += (["| step | result |", "|---|---|"] + [l for l in steps if not l.startswith("| step")]
      if steps else ["(gpu-check produced no summary: see `" + tag + "/gpu-check-stdout.log`)"])
failed = read("failed_tests.txt").strip()
if failed:
    L += ["", "**Failed GPU tests:**", "", "```", failed, "```"]
anomalies = [l.strip() for l in read("gpu-check.log").splitlines() if l.startswith("event anomalies")]
L += ["", f"GPU tests: `{tag}/gpu_tests.log` (every comparison prints its worst error)."]
if anomalies:
    L += ["Anomaly sets of the whole event (quiet, |DTEC| > 1.5), GPU vs CPU: "
          + "; ".join(a.replace("event anomalies ", "") for a in anomalies) + "."]
L.append("")

ev = {dev: load(f"event_{dev}_summary.json") for dev in ("cuda", "cpu")}
if ev["cuda"] and ev["cpu"]:
    threads = re.search(r"\((\d+) threads?\)", ev["cpu"]["devices"].get("mlp", ""))
    cpu_label = f"CPU, {threads.group(1)} threads" if threads else "CPU"
    L += ["Per-model training time of the whole El Salvador event (`configs/demo.toml`, 100 epochs,"
          f" {ev['cuda']['cube']['nodes']} nodes x {ev['cuda']['cube']['epochs']} epochs; s):", "",
          f"| model | GPU | {cpu_label} | speed-up |", "|---|---:|---:|---:|"]
    for key in [f"train {m}" for m in models] + ["total"]:
        g, c = ev["cuda"]["timing_s"].get(key), ev["cpu"]["timing_s"].get(key)
        if g and c:
            L.append(f"| {key.replace('train ', '')} | {g:.2f} | {c:.2f} | {c / g:.1f}x |")
    L.append("")

# per-model benchmarks
L += ["### Per-model training epoch, synthetic cubes (`bench_gpu_ff`, `bench_gpu_rnn`)", ""]
for name in ("bench_gpu_ff.log", "bench_gpu_rnn.log"):
    text = read(name)
    notes = [l.lstrip("# ").strip() for l in text.splitlines()[:4]
             if l and not l.startswith("|") and not l.startswith("RESULT")]
    L += [f"`{tag}/{name}`: " + " ".join(notes), ""] + table_rows(text) + [""] if text else \
        [f"(`{name}`: not run, GPU_CHECK_SKIP)" if f"| {name[:-4]} | skipped" in summary
         else f"(`{name}` missing: see gpu-check-stdout.log)", ""]

# scaling with nodes
res = results("scaling_ff50.log", "bench_gpu_ff.log", "scaling_rnn50.log", "bench_gpu_rnn.log")
nodes = sorted({int(r["nodes"]) for r in res if "nodes" in r})
if res:
    L += ["### Scaling with nodes (GPU ms per training epoch)", "",
          "50 nodes: `scaling_ff50.log`, `scaling_rnn50.log`; the others from the runs above.", "",
          "| bench | model | " + " | ".join(f"{n} nodes" for n in nodes) + " |",
          "|---|---|" + "---:|" * len(nodes)]
    keys = []
    for r in res:
        if (r["bench"], r["model"]) not in keys:
            keys.append((r["bench"], r["model"]))
    def order(key):  # gpu_ff first, then by bench and in the paper's model order
        base = key[1].replace("-tanh", "")
        rank = {"gpu_ff": 0, "gpu_rnn_fused": 1, "gpu_rnn_cudnn": 2}.get(key[0], 3)
        return rank, key[0], models.index(base) if base in models else 9, key[1]

    for b, m in sorted(keys, key=order):
        cells = []
        for n in nodes:
            hit = [r for r in res if r["bench"] == b and r["model"] == m and int(r["nodes"]) == n]
            cells.append(fmt(float(hit[0]["gpu_ms_per_epoch"])) if hit else "")
        L.append(f"| {b} | {m} | " + " | ".join(cells) + " |")
    L.append("")

# scaling with epochs
lines = read("scaling_epochs.log").splitlines()
ingest = next((l.split("=")[1] for l in lines if l.startswith("ingest wall_s=")), None)
points = []
for l in lines:
    m = re.match(r"epochs=(\d+) wall_s=(\S+)", l)
    if m:
        s = load(f"scaling_epochs_{m.group(1)}.json")
        train = sum(v for k, v in s["timing_s"].items() if k.startswith("train ")) if s else float("nan")
        points.append((int(m.group(1)), float(m.group(2)), train, s))
if points:
    L += ["### Scaling with training epochs (the whole El Salvador event on the GPU)", "",
          "`tecscan scan --device cuda --epochs E`, six networks + median-iqr, 83 nodes"
          f" (`{tag}/scaling_epochs*.json`)" + (f"; ingest of the cube: {ingest} s" if ingest else "")
          + ".", "", "| epochs | " + " | ".join(str(p[0]) for p in points) + " |",
          "|---|" + "---:|" * len(points),
          "| wall s | " + " | ".join(fmt(p[1]) for p in points) + " |",
          "| of which training s | " + " | ".join(fmt(p[2]) for p in points) + " |", ""]
    good = [p for p in points if p[2] == p[2] and p[1] == p[1]]
    if len(good) >= 2:
        (e0, w0, t0, _), (e1, w1, t1, _) = good[0], good[-1]
        slope = (t1 - t0) / (e1 - e0)
        L += [f"Training grows by {1000 * slope:.1f} ms per epoch (83 nodes x 6 models); about"
              f" {w0 - t0:.2f} s of each run is fixed (start-up, cube read, DTEC, outputs).", ""]
    s = good[-1][3] if good else None
    if s:
        t = s["timing_s"]
        red = sum(v for k, v in t.items() if k.startswith("dtec ") or k in ("median-iqr", "quiet mask"))
        train = sum(v for k, v in t.items() if k.startswith("train "))
        L += [f"Where the time goes at {good[-1][0]} epochs (s): "
              + (f"ingest {ingest}, " if ingest else "")
              + ", ".join(f"train {m} {t[f'train {m}']:.2f}" for m in models if f"train {m}" in t)
              + f", DTEC reductions {red:.3f}, write outputs {t.get('write outputs', float('nan')):.3f},"
              f" other {good[-1][1] - train - red - t.get('write outputs', 0):.2f} (process wall"
              f" {good[-1][1]:.2f}).", ""]

# the paper-size event
paper = read("paper_event.json")
if paper:
    p = json.loads(paper)
    L += ["### The paper-size event, end to end (`bench/paper_event/run.sh`)", "",
          f"{p['nodes']} nodes x {p['steps']} hourly epochs (synthetic cube of the paper's shape),"
          f" `configs/paper.toml`, {p['epochs']} epochs, six networks + median-iqr, {p['device']},"
          f" {p['precision']}: **{p['wall_s']:.2f} s wall** (measured, one process; not"
          f" extrapolated). Training + prediction per model"
          + (" (the networks trained at once, one stream each: these overlap)"
             if p.get("concurrent_models") else "") + ": "
          + ", ".join(f"{m} {v:.2f} s" for m, v in p["train_s"].items())
          + f"; DTEC stages {p['dtec_s']:.2f} s; writing {p['write_s']:.2f} s; start-up and cube"
          f" read {p['ingest_s']:.2f} s (`{tag}/paper_event.json`).", ""]
    if "catalogue_3500_events_device_hours" in p:
        L += [f"Projected from this one event: {p['events_per_hour']:.0f} events per hour, the"
              f" catalogue of about 3,500 paper-size events in **{p['catalogue_3500_events_device_hours']:.1f}"
              " GPU-hours** (one event after another; packing several events per task is"
              " measured separately).", ""]
    for variant, what in (("sequential", "the networks one after another (`--sequential-models`)"),
                          ("graphs", "the fused recurrent epochs replayed from CUDA graphs"
                                     " (`--cuda-graphs`)")):
        v = load(f"paper_event_{variant}.json")
        if v:
            L += [f"The same event with {what}: **{v['wall_s']:.2f} s wall**; training per model "
                  + ", ".join(f"{m} {x:.2f} s" for m, x in v["train_s"].items())
                  + f" (`{tag}/paper_event_{variant}.json`).", ""]

# training precision, per recurrent engine: block (precision.md, paper_event_block_*.json) and
# the default engines, auto (precision_auto.md, paper_event_auto_*.json; paper_event.json is
# its fp32)
engines = {"block": ("", "every network on the persistent kernels, `--rnn-impl block`"),
           "auto": ("_auto", "the default engines, `--rnn-impl auto`: recurrent fused in fp32,"
                    " tf32 and bf16, block in 3xtf32")}
tables = {e: read(f"precision{sfx}.md") for e, (sfx, _) in engines.items()}
passes = {e: {"fp32"} | set((load(f"precision{sfx}.json") or {}).get("passes", []))
          for e, (sfx, _) in engines.items() if load(f"precision{sfx}.json")}
runs = []  # (label, engine, paper_event json)
default_run = load("paper_event.json")
if default_run:
    runs.append((f"{default_run['precision']}, default engines (recurrent: --rnn-impl auto)",
                 "auto", default_run))
for engine in ("auto", "block"):
    for prec in ["fp32", "3xtf32", "tf32", "bf16"]:
        p = load(f"paper_event_{engine}_{prec}.json")
        if p:
            runs.append((f"{prec}, {'default engines' if engine == 'auto' else 'block'}", engine, p))
for engine, (sfx, what) in engines.items():
    if not tables[engine]:
        continue
    L += [f"### Training precision on the GPU (`bench/precision/run.sh`, {what})", ""]
    lines = tables[engine].strip().splitlines()
    # compare.py before 2026-12-04 did not say that its rule saw one engine's scans only
    lines = [l + " (Among these scans only; the rule over every engine is below.)"
             if l.startswith("- Default rule (") and "among these scans" not in l else l
             for l in lines]
    L += lines + [""]
models_text = read("precision_models.log")
if models_text:
    notes = [l.lstrip("# ").strip() for l in models_text.splitlines()[:4]
             if l and not l.startswith("|") and not l.startswith("RESULT")]
    L += ["Each model's training epoch per precision, 100 synthetic nodes (`bench_gpu_ff`, the"
          " recurrent models on the block path; `" + tag + "/precision_models.log`): "
          + " ".join(notes), ""] + table_rows(models_text) + [""]
if len(runs) > 1:
    L += ["The paper-size event per precision and engine (measured end to end, one process"
          " each; block: the persistent kernels for every network, `--rnn-impl block`; default"
          " engines: `--rnn-impl auto`):", "",
          "| precision, engines | wall s | " + " | ".join(models) + " |",
          "|---|---:|" + "---:|" * len(models)]
    for label, _, p in runs:
        L.append(f"| {label} | {p['wall_s']:.2f} | "
                 + " | ".join(fmt(p["train_s"].get(m), 3) for m in models) + " |")
    L.append("")
    # The issue's rule over every engine: the fastest run whose precision has the science of
    # fp32 with that engine (fp32 itself with any engine, or a precision that passed that
    # engine's seed-to-seed comparison above).
    eligible = [(l, p) for l, e, p in runs
                if p["precision"] == "fp32" or p["precision"] in passes.get(e, ())]
    if eligible:
        label, p = min(eligible, key=lambda r: r[1]["wall_s"])
        said = "; ".join(f"{e}: {', '.join(sorted(ok))}" for e, ok in passes.items())
        L += [f"Default rule on the paper-size event, every engine (the fastest run whose precision"
              f" agrees with fp32 at least as well as two fp32 seeds do with that engine; {said}):"
              f" **{label}**, {p['wall_s']:.2f} s.", ""]

# five single tasks vs one packed task
steps = read("batch/steps.txt")
packed = re.search(r"packed task rc=(\d+) wall_s=(\S+) packed_trainings=(\d+) "
                   r"five_single_tasks_s=(\S+) ratio_single_over_packed=(\S+) "
                   r"identical_anomalies_csv=(\S+)", steps)
if packed:
    rc, wall, ntrain, singles, ratio, same = packed.groups()
    L += ["### Five events: single tasks vs one packed task (`bench/batch-events.sh`)", "",
          f"The five bundled M>=7 events (`configs/demo.toml`), five one-event tasks"
          f" {float(singles):.1f} s in all against one `--events-per-task 5 --pack` task"
          f" {float(wall):.1f} s: **{float(ratio):.2f}x**; {ntrain} packed trainings (the last"
          f" three events share a window), identical anomalies.csv: {same}"
          + ("" if rc == "0" else f" (the packed task exited {rc})") + f". Raw: `{tag}/batch/`.", ""]

# peers
peers = read("peers.md")
headline = read("peers-headline.md").strip()
if headline:  # compare.py writes it between <!-- headline --> and <!-- /headline -->
    lines = headline.splitlines()
    L += lines[:1] + [f"GPU ({tag}), El Salvador 2001, {peer_epochs} epochs:", ""] + lines[1:]
    L.append("")
# The rows that ran (SKIP_PEERS leaves some out): say only what was measured.
per_node = [r for r in ("pernode", "pernode-np") if r not in skipped_peers]
peer_rows = ["PyTorch batched"] + (["PyTorch per node"] if per_node else []) + (
    ["JAX"] if "jax" not in skipped_peers else [])
L += [f"### Against {', '.join(peer_rows)} (`bench/peers/run_gpu.sh`)", "",
      f"The El Salvador 2001 cube, {peer_epochs} training epochs"
      + (f"; PyTorch per node timed on {peer_nodes} nodes and **extrapolated** linearly to all"
         " (\"ext.\")" if per_node else "")
      + (f"; not run (SKIP_PEERS): {', '.join(skipped_peers)}" if skipped_peers else "")
      + f". Full tables: `{tag}/peers.md`.", ""]
if peers:
    for line in peers.splitlines():
        if line.startswith("# ") or line.startswith("## "):
            continue
        L.append("#" + line if line.startswith("### ") else line)
else:
    L.append(f"(no peer run: see `{tag}/peers-stdout.log`)")
L.append("")

# CPU backend on all cores
cm = read("cpu_models.log")
if cm:
    peak_lines = [l.strip() for l in cm.splitlines() if "thread(s):" in l]
    L += ["### The CPU backend on all cores of the GPU machine (`bench_cpu_models 64 3`)", "",
          "64 synthetic nodes x 660 time steps, 3 epochs; Eigen GEMM peak in the same run: "
          + "; ".join(peak_lines) + ".", ""] + table_rows(cm) + [""]
text = re.sub(r"\n{3,}", "\n\n", "\n".join(L))  # one blank line between blocks
open(os.path.join(dir_, "fragment.md"), "w").write(text.rstrip() + "\n")
EOF

# ---- the short table, last ----------------------------------------------------------------------
{
  printf '\n== gpu-machine summary: %s (%s), commit %s, %s s ==\n' "$GPU_NAME" "$TAG" "$COMMIT" \
    "$(elapsed)"
  grep -E '^\| (GPU tests|event|bench_gpu|build)' "$DIR/gpu-check-summary.md" 2>/dev/null ||
    echo "(no gpu-check summary)"
  echo "tecscan vs PyTorch (wall s, $PEER_EPOCHS epochs):"
  cat "$DIR/peers-summary.md" 2>/dev/null || echo "(no peer summary)"
  grep '^packed task' "$DIR/batch/steps.txt" 2>/dev/null || echo "(no packed-task run)"
  grep -E '^epochs=' "$DIR/scaling_epochs.log" 2>/dev/null | paste -sd' ' - |
    sed 's/^/event vs epochs: /'
  grep -E '^cuda_graphs=' "$DIR/cuda_graphs.log" 2>/dev/null | paste -sd' ' - |
    sed 's/^/event, recurrent epochs from CUDA graphs (1) or eager (0): /'
  for table in precision precision_auto; do
    grep -E '^- Default rule' "$DIR/$table.md" 2>/dev/null | sed "s/^/$table: /"
  done
  for run in "" _sequential _graphs; do
    [[ -f $DIR/paper_event$run.json ]] && echo "paper-size event${run//_/, }:" \
      "$(grep -o '"wall_s": [0-9.]*' "$DIR/paper_event$run.json" | grep -o '[0-9.]*$') s"
  done
  for engine in auto block; do
    for prec in fp32 3xtf32 tf32 bf16; do
      [[ -f $DIR/paper_event_${engine}_$prec.json ]] && echo "paper-size event, $engine $prec:" \
        "$(grep -o '"wall_s": [0-9.]*' "$DIR/paper_event_${engine}_$prec.json" | grep -o '[0-9.]*$') s"
    done
  done
  echo "fragment: $DIR/fragment.md"
  echo "(copy $DIR to bench/results/$TAG, then: python3 bench/make-results.py)"
  echo "exit status $STATUS (gpu-check's: 0 ok, 1 test failure, 2 no build, 3 benchmark failure)"
} | tee -a "$DIR/run.log"
exit "$STATUS"
