#!/usr/bin/env bash
# A bad value for a numeric `quire ingest` option is a usage error (exit 2)
# whose message names that option, so the operator knows what to fix.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init ingest-options

check() { # OPTION VALUE
  local rc=0 out
  out=$("$QUIRE_BIN" ingest --manifest "$work/m.csv" --out "$work/out" --ledger "$work/q.db" \
    "$1" "$2" "$work/none" 2>&1) || rc=$?
  if [ "$rc" -eq 2 ] && grep -qF -- "bad value for $1: $2" <<<"$out" && [ ! -e "$work/q.db" ]; then
    ok "$1 $2: exit 2, $(grep -m1 -F 'bad value' <<<"$out")"
  else
    bad "$1 $2: exit $rc, output: $out"
  fi
}
check --jobs 0
check --jpeg-quality 101
check --io-depth x
check --io-bytes 12
check --max-pixels -1
check --max-page-bytes 1k
# the short form is reported under its long name
rc=0
out=$("$QUIRE_BIN" ingest -m "$work/m.csv" -o "$work/out" -j 999 "$work/none" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -qF -- "bad value for --jobs: 999" <<<"$out" &&
  ok "-j 999: names --jobs" || bad "-j 999: exit $rc, output: $out"
e2e_finish
