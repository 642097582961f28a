#!/usr/bin/env bash
# Pack a CUDA build for a lent GPU machine (no compiler, other distribution): the binaries
# bench/run-gpu-machine.sh needs, stripped, and the shared libraries they load that such a machine
# may lack (everything but glibc, libstdc++/libgcc and the machine's own cuBLAS/cuDNN/driver),
# as one compressed tarball to carry (the device tool carries at most 64 MiB in all).
#
#   bash bench/pack-device.sh [BUILD] [OUT_TAR]      (defaults: build, .device/bundle.tar.xz)
#
# On the GPU machine: tar -xJf .device/bundle.tar.xz -C .device, then
#   bash bench/run-gpu-machine.sh .device/build .device/lib
set -eu -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(realpath -m "${1:-$ROOT/build}")
TAR=$(realpath -m "${2:-$ROOT/.device/bundle.tar.xz}")
[[ -d $BUILD ]] || { echo "pack-device.sh: no build directory $BUILD" >&2; exit 2; }
[[ $TAR == *.tar.xz && ! -d $TAR ]] ||
  { echo "pack-device.sh: OUT_TAR must be a .tar.xz file path, not $TAR" >&2; exit 2; }
BINS=(tecscan tests/tecscan_gpu_tests bench/bench_gpu_ff bench/bench_gpu_rnn bench/bench_cpu_models)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/build/tests" "$STAGE/build/bench" "$STAGE/lib"
for b in "${BINS[@]}"; do
  [[ -x $BUILD/$b ]] || { echo "pack-device.sh: $BUILD/$b is missing: build it first" >&2; exit 2; }
  strip -o "$STAGE/build/$b" "$BUILD/$b"
done
# Libraries: what ldd resolves, minus the C runtime and what the GPU machine brings itself.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libstdc\+\+|libgcc_s|libcuda\.so|libcublas|libcublasLt|libcudnn)'
for b in "${BINS[@]}"; do ldd "$BUILD/$b"; done | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' |
  sort -u | while read -r name path; do
  [[ $name =~ $skip ]] && continue
  cp -L "$path" "$STAGE/lib/$name"
done
mkdir -p "$(dirname "$TAR")"
tar -C "$STAGE" -cJf "$TAR.tmp" build lib
mv "$TAR.tmp" "$TAR"
echo "pack-device.sh: $TAR ($(du -h "$TAR" | cut -f1)): ${BINS[*]} + $(ls "$STAGE/lib" | wc -l) libraries"
