#!/usr/bin/env bash
# The IONEX fuzzer alone; kept for its users: scripts/fuzz.sh ionex [SECONDS] [WORK_DIR].
exec "$(dirname "${BASH_SOURCE[0]}")/fuzz.sh" ionex "$@"
