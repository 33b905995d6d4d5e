#!/usr/bin/env bash
# Property test of the ledger, "never loses, never lies": random sequences of
# ingests (folders, zip, tar), reruns, --retry, accepts (right and wrong),
# rescan submits, partial and whole rescan deliveries and kill -9 of an ingest,
# over hostile file ids, with the ledger/disk invariants checked after every
# step (see property_ledger.py). Fixed seed; PROPERTY_SEED and PROPERTY_STEPS
# override, PROPERTY_WEIGHTS=kill=40,fresh=5 changes the operation mix,
# PROPERTY_KEEP_GOING=1 lists every distinct violation instead of
# stopping at the first. On failure the work folder is kept and a one-line
# reproducer is printed. Runs from ctest or by hand from the source tree:
#   PROPERTY_SEED=7 PROPERTY_STEPS=50 bash tests/e2e/test_property_ledger.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${QUIRE_SRC:=$(cd "$here/../.." && pwd)}"
: "${QUIRE_BUILD:=$QUIRE_SRC/build}"
: "${QUIRE_BIN:=$QUIRE_BUILD/quire}"
export QUIRE_SRC QUIRE_BUILD QUIRE_BIN
. "$here/lib.sh"
command -v qpdf >/dev/null || e2e_skip "qpdf is not installed"
/usr/bin/python3 -c 'import PIL, numpy' 2>/dev/null || e2e_skip "python3-pil/numpy missing"
e2e_init property-ledger
keep=()
[ "${PROPERTY_KEEP_GOING:-0}" = 1 ] && keep=(--keep-going)
rc=0
/usr/bin/python3 "$here/property_ledger.py" --quire "$QUIRE_BIN" --src "$QUIRE_SRC" \
  --work "$work" --pool-cache "$QUIRE_BUILD/testout/property-pool" \
  --seed "${PROPERTY_SEED:-20240611}" --steps "${PROPERTY_STEPS:-200}" \
  --weights "${PROPERTY_WEIGHTS:-}" "${keep[@]}" || rc=$?
[ "$rc" -eq 0 ] && rm -rf "$work"
exit "$rc"
