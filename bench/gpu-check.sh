#!/usr/bin/env bash
# One-shot check of the CUDA backend on a GPU machine: build (or reuse a build), run every GPU
# test and every GPU benchmark within a time budget, keep the logs, print a summary table last.
#
#   bash bench/gpu-check.sh [BUILD_DIR]
#
# BUILD_DIR (or $TECSCAN_BUILD): an existing CUDA build to use as is (when cmake or the
# libraries are missing on the GPU machine). Without it: configure and build build-gpu-check/
# (CUDA on, sm_90). Logs go to ${OUT:-./gpu-check-out}/. $GPU_CHECK_BUDGET_S (default 450)
# bounds the whole run; benchmarks shrink to what is left. $GPU_TESTS_LIMIT_S (default 240)
# bounds the GPU tests (a hung kernel must not eat a short lease). $GPU_CHECK_SKIP: steps not to
# run, any of bench_gpu_ff bench_gpu_rnn event-cpu (the CPU half of the whole-event comparison).
# Exit status: 0 all good, 1 a GPU test failed, 2 no usable build, 3 a benchmark failed.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-./gpu-check-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUDGET=${GPU_CHECK_BUDGET_S:-450}
for v in GPU_CHECK_BUDGET_S GPU_TESTS_LIMIT_S; do
  [[ -z ${!v:-} || ${!v} =~ ^[1-9][0-9]*$ ]] ||
    { echo "gpu-check.sh: $v=${!v} is not a number of seconds >= 1" >&2 && exit 2; }
done
for step in ${GPU_CHECK_SKIP:-}; do
  case $step in
    bench_gpu_ff | bench_gpu_rnn | event-cpu) ;;
    *) echo "gpu-check.sh: GPU_CHECK_SKIP: unknown step '$step' (bench_gpu_ff bench_gpu_rnn event-cpu)" >&2 && exit 2 ;;
  esac
done
START=$(date +%s)
JOBS=$(nproc 2>/dev/null || echo 4)
BUILD=${1:-${TECSCAN_BUILD:-}}
SUMMARY=()  # "step|result" rows for the final table
STATUS=0

elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((BUDGET - $(elapsed))); }
note() { echo "[gpu-check $(elapsed)s] $*" | tee -a "$OUT/gpu-check.log"; }
# cap SECONDS: the smaller of SECONDS and what is left of the budget (at least 20).
cap() {
  local l
  l=$(left)
  if ((l < $1)); then echo $((l > 20 ? l : 20)); else echo "$1"; fi
}

note "repository $ROOT, logs in $OUT, budget ${BUDGET}s, $JOBS cores"
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 && head -15 "$OUT/nvidia-smi.txt" | tee -a "$OUT/gpu-check.log" ||
  note "nvidia-smi failed (see nvidia-smi.txt)"

# ---- build ------------------------------------------------------------------------------------
GPU_BENCHES=()
for src in "$ROOT"/bench/bench_gpu_*.cu; do
  [ -e "$src" ] && GPU_BENCHES+=("$(basename "$src" .cu)")
done
if [ -z "$BUILD" ]; then
  BUILD="$ROOT/build-gpu-check"
  note "configuring $BUILD (CUDA on, sm_90)"
  t0=$(date +%s)
  if cmake -S "$ROOT" -B "$BUILD" -DTECSCAN_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_BUILD_TYPE=Release >"$OUT/configure.log" 2>&1; then
    # The tests first, then each benchmark on its own: one broken target must not stop the rest.
    for target in tecscan_gpu_tests "${GPU_BENCHES[@]}"; do
      note "building $target with $JOBS jobs"
      if timeout "$(cap 330)" cmake --build "$BUILD" -j "$JOBS" --target "$target" \
        >>"$OUT/build.log" 2>&1; then
        SUMMARY+=("build $target|ok ($(($(date +%s) - t0)) s since configure)")
      else
        note "building $target failed or timed out; last lines of build.log:"
        tail -20 "$OUT/build.log" | tee -a "$OUT/gpu-check.log"
        SUMMARY+=("build $target|FAILED (build.log)")
      fi
    done
  else
    note "configure failed (cmake or a dependency missing?); last lines of configure.log:"
    tail -10 "$OUT/configure.log" | tee -a "$OUT/gpu-check.log"
    SUMMARY+=("build|configure FAILED (configure.log)")
  fi
else
  note "using the existing build $BUILD"
  SUMMARY+=("build|reused $BUILD")
fi
TESTS="$BUILD/tests/tecscan_gpu_tests"
if [ ! -x "$TESTS" ]; then
  for dir in "$ROOT"/build-gpu* "$ROOT"/build; do  # a build left by an earlier run?
    if [ -x "$dir/tests/tecscan_gpu_tests" ]; then
      note "no tests in $BUILD; falling back to $dir"
      BUILD=$dir
      TESTS="$BUILD/tests/tecscan_gpu_tests"
      SUMMARY+=("build|fallback to $dir")
      break
    fi
  done
fi
if [ ! -x "$TESTS" ]; then
  note "no tecscan_gpu_tests binary: nothing to run"
  printf '\n== gpu-check summary ==\n| step | result |\n|---|---|\n'
  for row in "${SUMMARY[@]}"; do printf '| %s |\n' "${row/|/ | }"; done
  exit 2
fi
if ldd "$TESTS" 2>/dev/null | grep -q "not found"; then
  note "missing shared libraries:"
  ldd "$TESTS" | grep "not found" | tee -a "$OUT/gpu-check.log"
fi

# ---- tests ------------------------------------------------------------------------------------
export TECSCAN_SOURCE_DIR="$ROOT"  # the tests find data/ here even in a moved build
t0=$(date +%s)
limit=$(cap "${GPU_TESTS_LIMIT_S:-240}")
note "running $TESTS (limit ${limit}s)"
timeout "$limit" "$TESTS" --gtest_color=no 2>&1 | tee "$OUT/gpu_tests.log"
rc=${PIPESTATUS[0]}
passed=$(grep -c '^\[       OK \]' "$OUT/gpu_tests.log")
failed=$(grep -c '^\[  FAILED  \] [A-Za-z].*(' "$OUT/gpu_tests.log")
skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z].*(' "$OUT/gpu_tests.log")
result="$passed passed, $failed failed, $skipped skipped ($(($(date +%s) - t0)) s)"
if ((rc == 124)); then result="$result, TIMED OUT after ${limit}s"; fi
if ((rc != 0)); then
  STATUS=1
  result="$result, exit $rc"
  grep '^\[  FAILED  \] [A-Za-z].*(' "$OUT/gpu_tests.log" | sed 's/^/    /' >"$OUT/failed_tests.txt"
fi
SUMMARY+=("GPU tests|$result")

# ---- benchmarks -------------------------------------------------------------------------------
skipped_step() { [[ " ${GPU_CHECK_SKIP:-} " == *" $1 "* ]]; }
for name in "${GPU_BENCHES[@]}"; do
  exe="$BUILD/bench/$name"
  if skipped_step "$name"; then
    SUMMARY+=("$name|skipped (GPU_CHECK_SKIP)")
    continue
  fi
  if [ ! -x "$exe" ]; then
    SUMMARY+=("$name|not built")
    ((STATUS == 0)) && STATUS=3
    continue
  fi
  args=()
  remaining=$(left)
  if [ "$name" = bench_gpu_ff ]; then
    # ~1 min at full size on an H200 + 16 cores; smaller when the budget is short.
    if ((remaining > 200)); then
      args=(--nodes 100,1000 --epochs 5 --runs 3 --cpu-epochs 1)
    else
      args=(--nodes 100 --epochs 2 --runs 2 --cpu-epochs 1)
    fi
  fi
  limit=$(cap 200)
  note "running $name ${args[*]} (limit ${limit}s)"
  t0=$(date +%s)
  timeout "$limit" "$exe" "${args[@]}" 2>&1 | tee "$OUT/$name.log"
  rc=${PIPESTATUS[0]}
  if ((rc == 0)); then
    SUMMARY+=("$name|ok ($(($(date +%s) - t0)) s) ${args[*]}")
  else
    SUMMARY+=("$name|FAILED exit $rc$( ((rc == 124)) && echo ", timed out after ${limit}s")")
    ((STATUS == 0)) && STATUS=3
  fi
done

# ---- whole event: the six-model scan of the bundled El Salvador event, GPU vs all CPU cores ------
EXE="$BUILD/tecscan"
if [ -x "$EXE" ] && (($(left) > 60)); then
  EV="$OUT/event"
  mkdir -p "$EV"
  note "whole event: ingest + scan --device cuda and --device cpu (configs/demo.toml, 100 epochs)"
  (cd "$ROOT" && "$EXE" ingest --ionex data/ionex/jpl-2000-2001 \
    --indices data/indices/SW-All.txt data/indices/dst2000.txt \
    --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --event-id usp000a7m5 \
    --out "$EV/cube.h5") >"$OUT/event.log" 2>&1
  for dev in cuda cpu; do
    if [[ $dev == cpu ]] && skipped_step event-cpu; then
      SUMMARY+=("event cpu|skipped (GPU_CHECK_SKIP)")
      continue
    fi
    t0=$(date +%s.%N)
    if timeout "$(cap 200)" "$EXE" scan --cube "$EV/cube.h5" --config "$ROOT/configs/demo.toml" \
      --device "$dev" --quiet --out "$EV/$dev" >>"$OUT/event.log" 2>&1; then
      t1=$(date +%s.%N)
      per_model=$(python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timing_s']; print(' '.join('%s=%.2fs' % (k[6:], v) for k, v in t.items() if k.startswith('train ')))" "$EV/$dev/summary.json" 2>/dev/null || echo "?")
      SUMMARY+=("event $dev|$(python3 -c "print('%.1f' % ($t1 - $t0))") s wall; train $per_model")
    else
      SUMMARY+=("event $dev|FAILED (event.log)")
      ((STATUS == 0)) && STATUS=3
    fi
  done
  cp "$EV"/cuda/summary.json "$OUT/event_cuda_summary.json" 2>/dev/null
  cp "$EV"/cpu/summary.json "$OUT/event_cpu_summary.json" 2>/dev/null
  if [ -f "$EV/cuda/anomalies.csv" ] && [ -f "$EV/cpu/anomalies.csv" ]; then
    python3 - "$EV" <<'EOF' 2>&1 | tee -a "$OUT/gpu-check.log"
import csv, sys
ev = sys.argv[1]
def rows(dev):
    with open(f"{ev}/{dev}/anomalies.csv") as f:
        return {(r["model"], r["node_lat"], r["node_lon"], r["time_utc"]): float(r["dtec"])
                for r in csv.DictReader(f) if r["quiet"] == "1"}
g, c = rows("cuda"), rows("cpu")
for m in sorted({k[0] for k in g} | {k[0] for k in c}):
    gm = {k for k in g if k[0] == m}; cm = {k for k in c if k[0] == m}
    print(f"event anomalies {m}: gpu {len(gm)} cpu {len(cm)} both {len(gm & cm)}")
EOF
  fi
fi

# ---- summary (last) ---------------------------------------------------------------------------
{
  printf '\n== gpu-check summary: %s, %s s ==\n' \
    "$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)" "$(elapsed)"
  printf '| step | result |\n|---|---|\n'
  for row in "${SUMMARY[@]}"; do printf '| %s |\n' "${row/|/ | }"; done
  [ -s "$OUT/failed_tests.txt" ] && printf 'failed tests:\n%s\n' "$(cat "$OUT/failed_tests.txt")"
  results=$(cat "$OUT"/bench_gpu_*.log 2>/dev/null | grep '^RESULT ' || true)
  if [ -n "$results" ]; then
    printf '\n| bench | model | nodes | GPU ms/epoch | CPU ms/epoch | speed-up |\n|---|---|---|---|---|---|\n'
    echo "$results" | awk '{
      delete kv
      for (i = 2; i <= NF; ++i) { split($i, p, "="); kv[p[1]] = p[2] }
      printf "| %s | %s | %s | %s | %s | %s |\n", kv["bench"], kv["model"], kv["nodes"],
             kv["gpu_ms_per_epoch"], kv["cpu_ms_per_epoch"], kv["speedup"]
    }'
  fi
  printf 'exit status %d (0 ok, 1 test failure, 2 no build, 3 benchmark failure); logs in %s\n' \
    "$STATUS" "$OUT"
} | tee "$OUT/summary.md"
exit "$STATUS"
