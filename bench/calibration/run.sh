#!/usr/bin/env bash
# Calibration benchmark (issue 12): sensitivity curves (recall against amplitude at 1 % false
# alarms per quiet node-epoch) of every detector on the bundled El Salvador event and on
# signal-free synthetic events, the sunrise-band share under the paper's and the calibrated
# statistics, and the effect of the training length. Writes bench/results/<tag>/ (raw run
# directories' summary.json and sensitivity.csv, logs) and its fragment.md.
#   TAG=cpu-2vcpu-calibration EPOCHS_LIST="10 20 50" bash bench/calibration/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD_DIR:-build}
TAG=${TAG:-cpu-2vcpu-calibration}
EPOCHS=${EPOCHS:-20}
EPOCHS_LIST=${EPOCHS_LIST:-"10 20 50 100"}
SYNTHETIC_SEEDS=${SYNTHETIC_SEEDS:-"1 2 3"}
OUT=bench/results/$TAG
WORK=${WORK:-/tmp/tecscan-calibration}
mkdir -p "$OUT" "$WORK"
T=$BUILD/tecscan
DEMO_QUIET=(--set quiet.f107_max=inf --set quiet.missing=ignore)
AMPS='inject.amplitudes=[0.05,0.1,0.2,0.4,0.8]'

"$T" ingest --ionex data/ionex/jpl-2000-2001 \
  --indices data/indices/SW-All.txt data/indices/dst2000.txt \
  --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out "$WORK/elsalvador.h5" > "$OUT/ingest.log" 2>&1

run() {  # name, then scan arguments
  local name=$1; shift
  local start=$(date +%s.%N)
  "$T" scan -q "$@" --out "$WORK/$name" > "$OUT/$name.log" 2>&1
  echo "$name $(echo "$(date +%s.%N) - $start" | bc)" >> "$OUT/wall.txt"
  mkdir -p "$OUT/$name"
  cp "$WORK/$name/summary.json" "$OUT/$name/"
  [ -f "$WORK/$name/sensitivity.csv" ] && cp "$WORK/$name/sensitivity.csv" "$OUT/$name/"
  /usr/bin/python3 bench/calibration/hour_shares.py "$WORK/$name/scan.h5" > "$OUT/$name/hour_shares.json"
}
: > "$OUT/wall.txt"

# 1. El Salvador, every detector, the paper's method and the calibrated default.
run es-paper --cube "$WORK/elsalvador.h5" --config configs/paper.toml --epochs "$EPOCHS" \
  "${DEMO_QUIET[@]}" --set scan.models=mlp,cnn,rnn,gru,lstm,cnn-lstm,median-iqr,ar
run es-default --cube "$WORK/elsalvador.h5" --epochs "$EPOCHS" "${DEMO_QUIET[@]}" --inject --set "$AMPS"
# 2. Training length (the cheap networks).
for e in $EPOCHS_LIST; do
  run "es-epochs-$e" --cube "$WORK/elsalvador.h5" --epochs "$e" "${DEMO_QUIET[@]}" \
    --models mlp,cnn,ar,median-iqr --inject --set "$AMPS"
done
# Early stopping at the longest length (CPU trainer; the last 10 % of each fold's targets).
LAST=${EPOCHS_LIST##* }
run "es-patience-$LAST" --cube "$WORK/elsalvador.h5" --epochs "$LAST" "${DEMO_QUIET[@]}" \
  --models mlp,cnn,ar,median-iqr --inject --set "$AMPS" --set train.patience=5
# 3. Synthetic signal-free events (5 x 5 nodes, 67 days, one storm day).
for s in $SYNTHETIC_SEEDS; do
  /usr/bin/python3 bench/calibration/synthetic_cube.py --seed "$s" --out "$WORK/synthetic-$s.h5"
  run "syn-$s" --cube "$WORK/synthetic-$s.h5" --epochs "$EPOCHS" --inject --set "$AMPS"
done
/usr/bin/python3 bench/calibration/fragment.py "$OUT" "$TAG" "$EPOCHS" > "$OUT/fragment.md"
echo "calibration: wrote $OUT/fragment.md"
