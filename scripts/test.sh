#!/usr/bin/env bash
# README command 2 (and .ci/run): install dependencies, build, run the whole test suite.
# GPU tests skip cleanly where no CUDA device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" --timeout 900
