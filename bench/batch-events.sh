#!/usr/bin/env bash
# The multi-event workflow timed end to end on one machine, without Slurm: archive the bundled
# JPL maps, scan the five M>=7 events of 2000-11-21..2001-01-14 one by one as array tasks would
# (SLURM_ARRAY_TASK_ID=0..4, configs/demo.toml, six networks + median-iqr, 100 epochs,
# --device auto), then all five as one packed task (--events-per-task 5 --pack: the ratio of
# the five single tasks' time to the packed task's, and whether the results are identical),
# rerun one task (must be skipped), merge. Used on the GPU machine.
#
#   bash bench/batch-events.sh TECSCAN_BINARY OUT_DIR
#
# EPOCHS=E overrides the config's epochs. OUT_DIR receives steps.txt (exit codes and wall times), the logs, every run's summary.json
# and the merge tables. Work files go to ${WORK:-/tmp/tecscan-batch}.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=$(realpath "$1")
M=$(realpath -m "$2")
W=${WORK:-/tmp/tecscan-batch}
cd "$ROOT" || exit 2
mkdir -p "$M" "$W"
rm -rf "$W/m7" "$W/m7-packed" "$W/m7-merge" "$W/gim.h5"
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.2f\", $(now) - $1}"; }
SEL=(--catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --min-mag 7 --start 2000-11-21
  --end 2001-01-14)
IN=(--archive "$W/gim.h5" --indices data/indices/SW-All.txt data/indices/dst2000.txt
  --config configs/demo.toml)
# EPOCHS: fewer training epochs than the config's (a quick check of this script).
[ -n "${EPOCHS:-}" ] && IN+=(--epochs "$EPOCHS")
t0=$(now)
"$T" archive --ionex data/ionex/jpl-2000-2001 --out "$W/gim.h5" -q >"$M/archive.log" 2>&1
echo "archive rc=$? wall_s=$(since "$t0")" >"$M/steps.txt"
for i in 0 1 2 3 4; do
  s=$(now)
  SLURM_ARRAY_TASK_ID=$i "$T" scan "${SEL[@]}" "${IN[@]}" --device auto -q --out "$W/m7" \
    >"$M/scan_$i.log" 2>&1
  echo "scan task $i rc=$? wall_s=$(since "$s")" >>"$M/steps.txt"
done
# The same five events as one task, packed: each model trains once for the events that share a
# window (with the bundled data, which end on 2001-01-14, the last three); the results must
# equal the one-event tasks', and the ratio says what packing saves.
rm -rf "$W/m7-packed"
s=$(now)
"$T" scan "${SEL[@]}" "${IN[@]}" --device auto -q --events-per-task 5 --pack --event-index 0 \
  --out "$W/m7-packed" >"$M/scan_packed.log" 2>&1
packed_rc=$?
packed_s=$(since "$s")
same=0
for d in "$W"/m7/*/; do
  cmp -s "$d/anomalies.csv" "$W/m7-packed/$(basename "$d")/anomalies.csv" && same=$((same + 1))
done
single_sum=$(awk '/^scan task/ {sub("wall_s=", "", $5); t += $5} END {printf "%.2f", t}' "$M/steps.txt")
echo "packed task rc=$packed_rc wall_s=$packed_s packed_trainings=$(grep -c '^pack: ' "$M/scan_packed.log")" \
  "five_single_tasks_s=$single_sum ratio_single_over_packed=$(awk "BEGIN{printf \"%.2f\", $single_sum / $packed_s}")" \
  "identical_anomalies_csv=$same/5" >>"$M/steps.txt"
SLURM_ARRAY_TASK_ID=4 "$T" scan "${SEL[@]}" "${IN[@]}" --device auto -q --out "$W/m7" \
  >"$M/rescan_4.log" 2>&1
echo "rescan task 4 rc=$? (skipped: $(grep -c skipped "$M/rescan_4.log"))" >>"$M/steps.txt"
s=$(now)
"$T" merge "$W/m7" --out "$W/m7-merge" >"$M/merge.log" 2>&1
echo "merge rc=$? wall_s=$(since "$s") total_s=$(since "$t0")" >>"$M/steps.txt"
cp "$W/m7-merge"/*.csv "$W/m7-merge/summary.json" "$M/" 2>/dev/null
for d in "$W"/m7/*/; do cp "$d/summary.json" "$M/$(basename "$d")_summary.json"; done
cat "$M/steps.txt"
