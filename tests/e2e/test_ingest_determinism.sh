#!/usr/bin/env bash
# The same delivery gives byte-identical archives whatever the number of
# workers (1, 2, 3, 8) and whichever reader backend (io_uring, pread).
set -euo pipefail
: "${QUIRE_BIN:?}" "${QUIRE_SRC:?}" "${QUIRE_BUILD:?}"
work="$QUIRE_BUILD/testout/ingest-determinism"
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 10 --seed 11 \
  --out "$work/d" >/dev/null

run() { # name env...
  local name=$1; shift
  env "$@" "$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$work/$name" \
    --ledger "$work/$name.db" --quiet "${JOBS[@]}" "$work/d/scans" || [ $? -eq 1 ]
}
for j in 1 2 3 8; do JOBS=(--jobs "$j"); run "jobs$j" QUIRE_IO=auto; done
JOBS=(--jobs 2); run pread QUIRE_IO=pread
n=$(ls "$work/jobs1"/*.pdf | wc -l)
[ "$n" -gt 0 ] || { echo "FAIL: no archives written"; exit 1; }
fail=0
for other in jobs2 jobs3 jobs8 pread; do
  if diff -r "$work/jobs1" "$work/$other" >/dev/null; then
    echo "ok: $other: $n archives byte-identical to --jobs 1"
  else
    echo "FAIL: $other differs from --jobs 1"; diff -r "$work/jobs1" "$work/$other" || true; fail=1
  fi
done
[ "$fail" -eq 0 ] && echo "4 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$fail"
