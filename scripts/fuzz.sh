#!/usr/bin/env bash
# Fuzzes the readers of user files with libFuzzer + ASan + UBSan (docs/fuzzing.md): builds the
# targets of tests/fuzz/CMakeLists.txt with clang and runs each for SECONDS on a corpus seeded
# from the bundled files in data/ (cut to small seeds), tests/fuzz/seeds/TARGET/ (regression
# inputs) and a dictionary. Contract: any input parses or throws tecscan::InputError; a crash,
# a leak, undefined behaviour, a timeout or any other exception fails the run and leaves the
# input as WORK_DIR/TARGET-crash-* (-leak-*, -timeout-*, -oom-*).
#
# usage: scripts/fuzz.sh TARGET|all [SECONDS=60] [WORK_DIR=build-fuzz]
#   TARGET: ionex, index, catalog, config; all = each in turn, SECONDS each.
#   CC_FUZZ=clang-17 CXX_FUZZ=clang++-17   another clang;   FUZZ_JOBS=4   parallel processes
#   FUZZ_BUILD_JOBS=2   compile jobs
# Exit: 0 no finding; 1 a finding (every target still runs); 2 usage; 77 clang not found (skip).
set -euo pipefail

all_targets=(ionex index catalog config)
usage() { echo "usage: scripts/fuzz.sh ionex|index|catalog|config|all [SECONDS=60] [WORK_DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
case $1 in
  all) targets=("${all_targets[@]}") ;;
  ionex | index | catalog | config) targets=("$1") ;;
  *) usage ;;
esac
seconds=${2:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${3:-$root/build-fuzz}
cc=${CC_FUZZ:-clang}
cxx=${CXX_FUZZ:-clang++}
jobs=${FUZZ_JOBS:-1}

for compiler in "$cc" "$cxx"; do
  if ! command -v "$compiler" >/dev/null; then
    echo "fuzz: SKIPPED: $compiler not found (scripts/install-deps.sh installs clang and" \
         "libclang-rt-14-dev; or set CC_FUZZ/CXX_FUZZ)" >&2
    exit 77
  fi
done
mkdir -p "$work"
work=$(cd "$work" && pwd)

echo "fuzz: building ${targets[*]} in $work/build"
cmake -S "$root" -B "$work/build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Fuzz -DTECSCAN_FUZZ=ON -DTECSCAN_CUDA=OFF -DTECSCAN_BUILD_TESTS=OFF \
  -DTECSCAN_BUILD_BENCH=OFF >"$work/configure.log" ||
  { cat "$work/configure.log" >&2; exit 1; }
cmake --build "$work/build" -j"${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]/%/_fuzz}" ||
  { echo "fuzz: the build failed" >&2; exit 1; }

# Seeds made from the bundled data, small so that they mutate fast. Everything written to stdout
# goes into one seed file per call.
seed() { cat >"$seeds/$1"; }
make_ionex_seeds() {
  # Header plus the first TEC and RMS map of each file (decompressed), declared as a one-map file
  # without the AUX block; and the hand-made tiny grid, which keeps one (test_ionex.cpp reads it).
  cp "$root/tests/fuzz/seeds/tiny_grid.19i" "$seeds/"
  local file
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
      END { printf "%60s%s\n", "", "END OF FILE" }' | seed "$(basename "$file").head" || true
  done
}
make_index_seeds() {
  local d=$root/data/indices
  head -n 48 "$d/omni2_2017.dat" | seed omni2.dat                  # two days: daily Ap
  head -n 45 "$d/Kp_ap_Ap_SN_F107_2020.txt" | seed gfz.txt           # the # header, 5 days
  tail -n 3 "$d/Kp_ap_Ap_SN_F107_2020.txt" | seed gfz_nowcast.txt    # -1 fill values
  head -n 5 "$d/dst2000.txt" | seed kyoto_dst.txt
  # CelesTrak: the header, the first and the last observed days, a predicted section.
  { sed -n '1,/^BEGIN OBSERVED/p' "$d/SW-All.txt"
    sed -n '/^BEGIN OBSERVED/,/^END OBSERVED/p' "$d/SW-All.txt" | sed -n '2,4p'
    sed -n '/^END OBSERVED/{x;p;x;p;q};h' "$d/SW-All.txt"
    sed -n '/^NUM_DAILY_PREDICTED/,/^BEGIN DAILY/p' "$d/SW-All.txt"
    sed -n '/^BEGIN DAILY_PREDICTED/,$p' "$d/SW-All.txt" | sed -n '2,3p'
    echo "END DAILY_PREDICTED"; } | seed celestrak.txt
}
make_catalog_seeds() {
  local file
  for file in "$root"/data/catalogs/*.csv; do head -n 12 "$file" | seed "$(basename "$file")"; done
}
make_config_seeds() {
  cp "$root"/configs/*.toml "$seeds/"
}

findings=()
for target in "${targets[@]}"; do
  seeds=$work/seeds/$target
  mkdir -p "$seeds" "$work/corpus/$target"
  "make_${target}_seeds"
  cp "$root/tests/fuzz/seeds/$target"/* "$seeds/" 2>/dev/null || true
  dict=$work/$target.dict
  cp "$root/tests/fuzz/$target.dict" "$dict"
  if [ "$target" = config ]; then  # every section ("[train]", "train.") and key of configs/
    { grep -ohE '^\[[a-z_.]+\]|^[a-z_0-9]+ *=' "$root"/configs/*.toml | sed 's/ *=$//'
      grep -ohE '^\[[a-z_.]+\]' "$root"/configs/*.toml | sed 's/^\[\(.*\)\]$/\1./'
    } | sort -u | sed 's/.*/"&"/' >>"$dict"
  fi
  parallel=()
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  echo "fuzz: running ${target}_fuzz for ${seconds}s"
  status=0
  # libFuzzer writes its fuzz-N.log files to the current directory.
  (cd "$work" && "$work/build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" \
    -max_len=131072 -timeout=10 -rss_limit_mb=2048 -dict="$dict" \
    -artifact_prefix="$work/$target-" -print_final_stats=1 ${parallel[@]+"${parallel[@]}"} \
    "corpus/$target" "seeds/$target") || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz: ${target}_fuzz FAILED (exit $status); reproduce with" \
         "$work/build/tests/fuzz/${target}_fuzz $work/$target-crash-*" >&2
    findings+=("$target")
  fi
done
if [ ${#findings[@]} -gt 0 ]; then
  echo "fuzz: findings in ${findings[*]}" >&2
  exit 1
fi
echo "fuzz: no finding in ${seconds}s each for ${targets[*]}"
