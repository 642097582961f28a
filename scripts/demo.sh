#!/usr/bin/env bash
# README command 1: install dependencies, build, and scan the bundled real data for the
# 2001-01-13 Mw 7.7 El Salvador earthquake (ComCat usp000a7m5, 13.049N 88.660W, 60 km).
# Output: runs/elsalvador/{scan.h5,anomalies.csv,summary.json,config.used.toml,figures/,
# report.html}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
mkdir -p runs
"$BUILD_DIR/tecscan" ingest \
  --ionex data/ionex/jpl-2000-2001 \
  --indices data/indices/SW-All.txt data/indices/dst2000.txt \
  --catalog data/catalogs/comcat_m4.5_2000-10_2001-02.csv --event-id usp000a7m5 \
  --days-before 60 --days-after 7 --out runs/elsalvador-cube.h5
"$BUILD_DIR/tecscan" scan --cube runs/elsalvador-cube.h5 --config configs/demo.toml --inject \
  --out runs/elsalvador "$@"
"$BUILD_DIR/tecscan" plot runs/elsalvador
echo "demo: results in runs/elsalvador (anomalies.csv, summary.json, scan.h5, figures/, report.html)"
