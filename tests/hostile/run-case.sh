#!/usr/bin/env bash
# Runs one case of the hostile-input corpus (tests/hostile/cases/*.sh) against a tecscan binary.
# usage: run-case.sh CASE_FILE TECSCAN_EXE
# The case runs in a fresh empty directory ($WORK, also the current directory) and uses the
# helpers below. Exit 0 = every expectation held; 1 = one failed (the reason is printed);
# 77 = skipped (the case said why with `skip`).
set -uo pipefail
case_file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TECSCAN_EXE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=$SRC/data
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tecscan_hostile_$(basename "$case_file" .sh)_XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export SRC DATA WORK

fail() { echo "FAIL ($(basename "$case_file")): $*" >&2; exit 1; }
skip() { echo "SKIP ($(basename "$case_file")): $*"; exit 77; }

# tecscan ARGS...: runs the binary; its output is in $OUT and its exit status in $STATUS.
tecscan() {
  OUT=$("$TECSCAN_EXE" "$@" 2>&1)
  STATUS=$?
}

# expect STATUS [WORD...] -- ARGS...: runs `tecscan ARGS...` and checks the exit status, that no
# signal ended it, and that every WORD appears in its output (fixed strings, case-sensitive).
expect() {
  local want=$1
  shift
  local words=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    words+=("$1")
    shift
  done
  [ "${1:-}" = "--" ] || fail "expect: missing '--' before the command line"
  shift
  tecscan "$@"
  echo "\$ tecscan $*"
  echo "$OUT" | tail -n 20
  echo "[exit $STATUS]"
  [ "$STATUS" -lt 128 ] || fail "tecscan $* was killed by signal $((STATUS - 128))"
  [ "$STATUS" -eq "$want" ] || fail "tecscan $*: exit $STATUS, expected $want"
  local w
  for w in ${words[@]+"${words[@]}"}; do
    grep -qF -- "$w" <<<"$OUT" || fail "tecscan $*: the message lacks '$w'"
  done
}

# snapshot FILE...: remembers each file's SHA-256; unchanged FILE... checks it is still the same.
declare -A SNAP
snapshot() { local f; for f in "$@"; do SNAP[$f]=$(sha256sum "$f" | cut -d' ' -f1); done; }
unchanged() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || fail "$f was removed"
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "${SNAP[$f]}" ] || fail "$f was changed"
  done
}
# absent PATH...: checks nothing was written there (no output, no temp file beside it).
absent() {
  local p
  for p in "$@"; do
    [ ! -e "$p" ] || fail "$p exists but should not"
    compgen -G "$p.tmp.*" >/dev/null && fail "a temp file $p.tmp.* was left behind"
  done
  return 0
}

# shellcheck source=/dev/null
source "$case_file"
echo "PASS ($(basename "$case_file"))"
