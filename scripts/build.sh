#!/usr/bin/env bash
# Configures and builds tecscan into ${BUILD_DIR:-build} (Release). CUDA is built when nvcc is
# found (TECSCAN_CUDA=AUTO); pass extra CMake arguments after the script name.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
