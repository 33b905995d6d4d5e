#!/usr/bin/env bash
# The kill soak, short: 10 kill -9 at random moments over an ingest of about
# 120 pages in 24 files, rerunning after each; after every kill only what
# the next run can prove is quire's is left, and at the end nothing is lost,
# duplicated or left behind and every archive is byte for byte the one an
# uninterrupted run wrote. The full soak (100 kills, 2,000 pages) is
# tests/soak/soak_kill.py, run by hand; QUIRE_SOAK_SEED repeats a run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init soak-short
rc=0
/usr/bin/python3 "$QUIRE_SRC/tests/soak/soak_kill.py" --quire "$QUIRE_BIN" --work "$work/soak" \
  --kills 10 --pages 120 --file-pages 3-7 --pool 6 --seed "${QUIRE_SOAK_SEED:-3}" \
  | tee "$work/soak.txt" || rc=$?
[ "$rc" -eq 0 ] && ok "soak: $(grep '^lost:' "$work/soak.txt")" ||
  bad "soak: $(grep -E '^(lost|kills):' "$work/soak.txt" | tr '\n' ' ')"
e2e_finish
