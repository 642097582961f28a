#!/usr/bin/env bash
# CTest package_consumer: tecscan used as a CMake package by tests/package/consumer, three ways.
#   1. `cmake --install` of the build tree BUILD into a temporary prefix; the installed package
#      names no path of the source or build tree and installs only the public headers;
#   2. find_package(tecscan) from that prefix, and from BUILD itself (its export());
#   3. add_subdirectory() of this source tree, CPU-only; only the io component (and core) gets
#      built, about a minute on 2 cores.
# Each consumer program reads a bundled IONEX file and must print what the file's text says.
# Usage: run.sh BUILD   (a configured and built tecscan build tree)
set -euo pipefail
[[ $# -eq 1 && -f "$1/CMakeCache.txt" ]] || { echo "usage: $0 BUILD_DIR (a built tecscan tree)" >&2; exit 2; }
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
consumer=$src/tests/package/consumer
ionex=$src/data/ionex/fixtures/igrg3380.10i
work=$(mktemp -d "${TMPDIR:-/tmp}/tecscan-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "package_consumer: FAIL: $*" >&2; exit 1; }
step() { echo "== $* (${SECONDS}s)"; }

# The expected line, from the IONEX text itself: TEC maps, grid from LAT1/LAT2/DLAT and
# LON1/LON2/DLON, first value of the first map scaled by the header's EXPONENT.
expected=$(awk '
  /LAT1 \/ LAT2 \/ DLAT/ { nlat = int(($2 - $1) / $3 + 1.5) }
  /LON1 \/ LON2 \/ DLON/ { nlon = int(($2 - $1) / $3 + 1.5) }
  /EXPONENT/ && !in_map && exponent == "" { exponent = $1 }
  /START OF TEC MAP/ { maps++; in_map = 1 }
  in_map && first == "" && /LAT\/LON1\/LON2\/DLON\/H/ { getline; first = $1 }
  END { printf "maps %d grid %dx%d first %.1f\n", maps, nlat, nlon, first * 10 ^ exponent }' "$ionex")
[[ $expected == "maps 13 grid 71x73 first 4.2" ]] || fail "unexpected IONEX fixture: $expected"

run_consumer() {  # run_consumer PROGRAM: its output must be the expected line
  local out
  out=$("$1" "$ionex") || fail "$1 exited with $?"
  [[ $out == "$expected" ]] || fail "$1 printed '$out', expected '$expected'"
  echo "   $(basename "$1"): $out"
}

# The consumer builds with the build tree's compilers and generator (C: tecscan's own project).
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
common=(-G "$(cache_value CMAKE_GENERATOR)" -DCMAKE_BUILD_TYPE=Release
        -DCMAKE_CXX_COMPILER="$(cache_value CMAKE_CXX_COMPILER)")
jobs=$(nproc)

step "1. install $build"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
[[ -f $prefix/lib/cmake/tecscan/tecscanConfig.cmake || -f $prefix/lib64/cmake/tecscan/tecscanConfig.cmake ]] \
  || fail "no tecscanConfig.cmake under $prefix/lib*/cmake/tecscan"
[[ -x $prefix/bin/tecscan ]] || fail "the tecscan command-line tool is not installed in bin/"
[[ -f $prefix/include/tecscan/ionex.hpp ]] || fail "public headers not installed"
stray=$(find "$prefix/include" -mindepth 1 -maxdepth 1 ! -name tecscan)
[[ -z $stray ]] || fail "headers outside include/tecscan/ installed: $stray"
leaks=$(grep -rlF -e "$src/" -e "$build/" "$prefix"/lib*/cmake/tecscan || true)
[[ -z $leaks ]] || fail "the installed package names the source or build tree: $leaks"

step "2a. find_package(tecscan) from the install prefix"
cmake -S "$consumer" -B "$work/installed" "${common[@]}" -DCMAKE_PREFIX_PATH="$prefix" > "$work/cfg-installed.log" \
  || { cat "$work/cfg-installed.log"; fail "configure against the installed package"; }
cmake --build "$work/installed" -j"$jobs" || fail "build against the installed package"
run_consumer "$work/installed/ionex_summary_io"
run_consumer "$work/installed/ionex_summary_all"

step "2b. find_package(tecscan) from the build tree"
cmake -S "$consumer" -B "$work/build-tree" "${common[@]}" -Dtecscan_DIR="$build" > "$work/cfg-build-tree.log" \
  || { cat "$work/cfg-build-tree.log"; fail "configure against the build tree's export"; }
cmake --build "$work/build-tree" -j"$jobs" || fail "build against the build tree's export"
run_consumer "$work/build-tree/ionex_summary_io"
run_consumer "$work/build-tree/ionex_summary_all"

step "3. add_subdirectory($src), CPU-only, target ionex_summary_io"
cmake -S "$consumer" -B "$work/subdir" "${common[@]}" -DTECSCAN_SOURCE_DIR="$src" -DTECSCAN_CUDA=OFF \
  -DCMAKE_C_COMPILER="$(cache_value CMAKE_C_COMPILER)" \
  > "$work/cfg-subdir.log" || { cat "$work/cfg-subdir.log"; fail "configure with add_subdirectory"; }
cmake --build "$work/subdir" -j"$jobs" --target ionex_summary_io > "$work/build-subdir.log" \
  || { tail -50 "$work/build-subdir.log"; fail "build with add_subdirectory"; }
run_consumer "$work/subdir/ionex_summary_io"

step "package_consumer: OK"
