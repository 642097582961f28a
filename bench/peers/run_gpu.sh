#!/usr/bin/env bash
# tecscan --device cuda vs PyTorch and JAX on the GPU, El Salvador 2001 cube (83 nodes x 660 epochs).
#
#   bash bench/peers/run_gpu.sh [TECSCAN_BIN_DIR]     # default: build (holds ./tecscan)
#
# Uses the python3 on PATH (torch + h5py + numpy; nothing is installed). tecscan runs all
# nodes on cuda; torch per node runs NODES nodes (extrapolated linearly), torch batched all
# nodes; same EPOCHS (20). A second tecscan run with --seed SEED2 (43) shows tecscan's own
# run-to-run spread, the yardstick for the peers' agreement. PEAK_GFLOPS (and PEAK_LABEL): the
# GPU's measured FP32 peak, for the "% of peak" column. Logs and files in ${OUT:-/tmp}/peers-gpu;
# the tables are printed last and saved as results-gpu.md there (the summary table alone as
# summary.md). Every step is time-boxed: the whole run stays < 7 min. SKIP_PEERS: rows not to
# run, any of pernode pernode-np jax (on a short lease: SKIP_PEERS="pernode pernode-np jax"
# leaves tecscan and PyTorch batched, about 2 min).
set -uo pipefail
export PYTHONDONTWRITEBYTECODE=1  # nothing written into the repository tree (no __pycache__)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build}
EPOCHS=${EPOCHS:-20}
NODES=${NODES:-4}
GPU_WORKERS=${GPU_WORKERS:-4}  # processes sharing the GPU for the node-parallel per-node row
PY=${PYTHON:-python3}
SEED2=${SEED2:-43}
DEVICE=${DEVICE:-cuda}  # DEVICE=cpu: a dry run of this script on a machine without a GPU
WORK=${OUT:-/tmp}/peers-gpu
RESULTS=$WORK/results-gpu.md
START=$(date +%s)
mkdir -p "$WORK"
for row in ${SKIP_PEERS:-}; do
  case $row in
    pernode | pernode-np | jax) ;;
    *) echo "run_gpu.sh: SKIP_PEERS: unknown row '$row' (pernode pernode-np jax)" >&2 && exit 2 ;;
  esac
done
wanted() { [[ " ${SKIP_PEERS:-} " != *" $1 "* ]]; }
note() { echo "[peers-gpu $(($(date +%s) - START))s] $*" | tee -a "$WORK/run.log"; }
# step SECONDS LOG command...: run time-boxed, log to $WORK/LOG, report failure, never abort.
step() {
  local limit=$1 log=$2
  shift 2
  timeout "$limit" "$@" >"$WORK/$log" 2>&1
  local rc=$?
  ((rc == 0)) || note "FAILED (rc $rc, $log): $(tail -3 "$WORK/$log" | tr '\n' ' ')"
  return $rc
}

note "tecscan $BIN/tecscan, python $($PY -c 'import torch; print(torch.__version__)' 2>&1)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 |
  tee -a "$WORK/run.log"
step 20 ingest.log "$BIN/tecscan" ingest \
  --ionex "$ROOT/data/ionex/jpl-2000-2001" \
  --indices "$ROOT/data/indices/SW-All.txt" "$ROOT/data/indices/dst2000.txt" \
  --catalog "$ROOT/data/catalogs/comcat_m4.5_2000-10_2001-02.csv" --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$WORK/cube.h5" || exit 2

# Twice with seed 42 (fresh processes: run 1 is tecscan's first run, run 2 its steady state),
# each with its process wall time, then once with SEED2.
note "tecscan scan --device $DEVICE --epochs $EPOCHS (seed 42 twice, then $SEED2)"
SCANS="" WALLS=""
for run in scan scan-r2; do
  t0=$(date +%s.%N)
  step 50 $run.log "$BIN/tecscan" scan --cube "$WORK/cube.h5" --config "$HERE/equal-work.toml" \
    --epochs "$EPOCHS" --device "$DEVICE" --seed 42 --out "$WORK/$run" || exit 3
  t1=$(date +%s.%N)
  SCANS+=${SCANS:+,}$WORK/$run/scan.h5
  WALLS+=${WALLS:+,}$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
done
tail -12 "$WORK/scan.log"
PEERS=()
step 40 scan-seed$SEED2.log "$BIN/tecscan" scan --cube "$WORK/cube.h5" \
  --config "$HERE/equal-work.toml" --epochs "$EPOCHS" --device "$DEVICE" --seed "$SEED2" \
  --out "$WORK/scan-seed$SEED2" && PEERS+=(--peer "$WORK/scan-seed$SEED2/scan.h5")

note "torch batched on $DEVICE: all nodes"
step 80 torch-batched.log env -u LD_LIBRARY_PATH "$PY" "$HERE/torch_peer.py" --cube "$WORK/cube.h5" \
  --epochs "$EPOCHS" --mode batched --device "$DEVICE" --repeats 2 --out "$WORK/torch-batched.h5"
[[ -f $WORK/torch-batched.h5 ]] && PEERS+=(--peer "$WORK/torch-batched.h5")
cat "$WORK/torch-batched.log"
if wanted pernode; then
note "torch per node on $DEVICE: $NODES nodes"
step 60 torch-pernode.log env -u LD_LIBRARY_PATH "$PY" "$HERE/torch_peer.py" --cube "$WORK/cube.h5" \
  --epochs "$EPOCHS" --nodes "$NODES" --mode pernode --device "$DEVICE" --repeats 2 \
  --out "$WORK/torch-pernode.h5"
[[ -f $WORK/torch-pernode.h5 ]] && PEERS+=(--peer "$WORK/torch-pernode.h5")
cat "$WORK/torch-pernode.log"
fi
# A per-node loop leaves the GPU idle between small kernels: several processes sharing it (each
# a shard of the nodes) is how a PyTorch user would fill it. Both rows go to the tables.
if wanted pernode-np; then
note "torch per node on $DEVICE, node-parallel: $GPU_WORKERS processes share the device"
step 60 torch-pernode-np.log env -u LD_LIBRARY_PATH "$PY" "$HERE/torch_peer.py" \
  --cube "$WORK/cube.h5" --epochs "$EPOCHS" --nodes "$NODES" --mode pernode --device "$DEVICE" \
  --workers "$GPU_WORKERS" --threads 1 --repeats 2 --out "$WORK/torch-pernode-np.h5"
[[ -f $WORK/torch-pernode-np.h5 ]] && PEERS+=(--peer "$WORK/torch-pernode-np.h5")
cat "$WORK/torch-pernode-np.log"
fi

if ! wanted jax; then
  note "JAX peer skipped (SKIP_PEERS)"
elif "$PY" -c "import jax, optax" 2>/dev/null; then
  note "JAX vmap+jit on $DEVICE: all nodes"
  step 80 jax-vmap.log env -u LD_LIBRARY_PATH "$PY" "$HERE/jax_peer.py" --cube "$WORK/cube.h5" \
    --epochs "$EPOCHS" --device "${DEVICE/cuda/gpu}" --repeats 2 --out "$WORK/jax-vmap.h5"
  [[ -f $WORK/jax-vmap.h5 ]] && PEERS+=(--peer "$WORK/jax-vmap.h5")
  cat "$WORK/jax-vmap.log"
else
  note "no jax/optax in $PY: the JAX peer is skipped"
fi

note "compare"
{
  echo "# tecscan vs PyTorch on the GPU"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nvidia-smi --query-gpu=name --format=csv,noheader |
    head -1), $EPOCHS epochs, torch per node on $NODES nodes extrapolated linearly" \
    "(\"ext.\"), torch batched, JAX and tecscan on all nodes. Peers: every model twice in the" \
    "same process, the first cold (steady = the second)."
  echo
} >"$RESULTS"
step 15 compare.log env -u LD_LIBRARY_PATH "$PY" "$HERE/compare.py" --scan "$SCANS" --scan-wall-s "$WALLS" "${PEERS[@]}" \
  --peak-gflops "${PEAK_GFLOPS:-0}" --peak-label "${PEAK_LABEL:-measured FP32 peak}" \
  --md "$RESULTS" --summary-md "$WORK/summary.md" --headline-md "$WORK/headline.md" \
  --title "El Salvador 2001 (usp000a7m5), GPU"
note "done in $(($(date +%s) - START)) s; files in $WORK"
cat "$RESULTS"
