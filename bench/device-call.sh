#!/usr/bin/env bash
# One call on a lent GPU machine (the device tool's `run`): unpack the build that
# bench/pack-device.sh packed here and the call carried, run bench/run-gpu-machine.sh with the
# caller's settings (BUDGET_S, SKIP, SKIP_PEERS, GPU_CHECK_SKIP, GPU_TESTS_LIMIT_S,
# PRECISION_ENGINES, TAG; see its header), and leave the results in $OUT: results.tar.gz (the
# <tag>/ folder to copy to bench/results/), the whole output, run.log and gpu_tests.log. Prints
# run.log, the output's tail and the test verdicts last.
#
#   bash bench/pack-device.sh && git commit ...          # on the build machine; then, as `run`
#   COMMIT=<sha> BUDGET_S=500 SKIP="batch peers" bash bench/device-call.sh   (carry .device)
#
# Exit status: run-gpu-machine.sh's (0 all good, 1 a GPU test failed, ...); 2 when there is no
# bundle or no $OUT.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE=${BUNDLE:-$ROOT/.device/bundle.tar.xz}
[[ -n ${OUT:-} && -d $OUT ]] || { echo "device-call.sh: \$OUT is not a directory" >&2; exit 2; }
[[ -f $BUNDLE ]] || {
  echo "device-call.sh: no $BUNDLE (run bench/pack-device.sh and carry .device)" >&2
  exit 2
}
UNPACKED=${UNPACKED:-/tmp/tecscan-device}
RESULTS=${RESULTS:-/tmp/tecscan-results}
mkdir -p "$UNPACKED" "$RESULTS"
tar -xJf "$BUNDLE" -C "$UNPACKED" || { echo "device-call.sh: cannot unpack $BUNDLE" >&2; exit 2; }
export COMMIT=${COMMIT:-unknown} RESULTS_ROOT=$RESULTS WORK=${WORK:-/tmp/tecscan-gpu-machine}
bash "$ROOT/bench/run-gpu-machine.sh" "$UNPACKED/build" "$UNPACKED/lib" >"$OUT/run-gpu-machine.out" 2>&1
rc=$?
tar -czf "$OUT/results.tar.gz" -C "$RESULTS" .
for f in "$RESULTS"/*/gpu_tests.log "$RESULTS"/*/run.log; do
  [[ -f $f ]] && cp "$f" "$OUT/"
done
echo "== run-gpu-machine.sh exit $rc"
cat "$RESULTS"/*/run.log 2>/dev/null
tail -c 5000 "$OUT/run-gpu-machine.out"
grep -hE '^\[  FAILED|^\[  PASSED|tests ran' "$RESULTS"/*/gpu_tests.log 2>/dev/null | head -40
exit "$rc"
