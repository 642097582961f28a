#!/usr/bin/env bash
# Fuzzes the IONEX parser: builds tests/fuzz/ionex_fuzz.cpp with clang (libFuzzer + ASan +
# UBSan) and runs it for N seconds on a corpus seeded from data/ionex. Exits non-zero when the
# fuzzer finds a crash, a leak, undefined behaviour, a timeout or an exception other than
# InputError; the input that did it is left in the work directory as crash-*/leak-*/timeout-*.
#
# usage: scripts/fuzz-ionex.sh [SECONDS=60] [WORK_DIR=build-fuzz]
#   CXX_FUZZ=clang++-17   another clang;   FUZZ_JOBS=4   parallel fuzzing processes
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${2:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
jobs=${FUZZ_JOBS:-1}

command -v "$cxx" >/dev/null || { echo "fuzz-ionex: $cxx not found (set CXX_FUZZ)" >&2; exit 2; }
mkdir -p "$work/corpus" "$work/seeds"
work=$(cd "$work" && pwd)

echo "fuzz-ionex: building $work/ionex_fuzz"
"$cxx" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/include" "$root/tests/fuzz/ionex_fuzz.cpp" "$root/src/io/ionex.cpp" \
  "$root/src/io/ionex_series.cpp" "$root/src/io/decompress.cpp" "$root/src/core/time.cpp" \
  -larchive -lz -o "$work/ionex_fuzz"

# Seeds: the hand-made tiny grid, and from every bundled file (decompressed) its header plus its
# first TEC map and first RMS map, declared as a one-map file, without the AUX block. Small seeds
# mutate much faster than whole 1 MB days (the tiny seed keeps an AUX block).
cp "$root"/tests/fuzz/seeds/* "$work/seeds/"
for file in "$root"/data/ionex/fixtures/* "$root"/data/ionex/jpl-2000-2001/jplg3260.00i.Z \
            "$root"/data/ionex/jpl-2000-2001/jplg0130.01i.Z; do
  gzip -dcf "$file" | awk '
    { label = substr($0, 61); sub(/ +$/, "", label) }
    label == "# OF MAPS IN FILE" { printf "%6d%54s%s\n", 1, "", label; next }
    label == "START OF TEC MAP" { skip = (++tec > 1) }
    label == "START OF RMS MAP" { skip = (++rms > 1) }
    label == "END OF FILE" { skip = 1 }
    label == "START OF AUX DATA" { aux = 1 }
    aux { if (label == "END OF AUX DATA") aux = 0; next }
    !skip { print }
    label == "END OF RMS MAP" && rms == 1 { exit }
    END { printf "%60s%s\n", "", "END OF FILE" }' > "$work/seeds/$(basename "$file").head" || true
done

echo "fuzz-ionex: running for ${seconds}s"
parallel=()
if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
status=0
cd "$work"  # libFuzzer writes its fuzz-N.log files to the current directory
./ionex_fuzz -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/ionex.dict" -artifact_prefix="$work/" -print_final_stats=1 \
  ${parallel[@]+"${parallel[@]}"} corpus seeds || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz-ionex: FAILED (exit $status); reproduce with $work/ionex_fuzz $work/crash-*" >&2
  exit "$status"
fi
echo "fuzz-ionex: no crash in ${seconds}s"
