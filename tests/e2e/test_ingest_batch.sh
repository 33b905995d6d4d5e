#!/usr/bin/env bash
# End to end: ingest a real delivery, then compare the ledger with the batch's
# truth.json and check every archive with the PDF/A checker and real readers.
# Runs on the standard small batch from ../shared (when present) and always on
# a delivery made by the project's own generator.
set -euo pipefail
: "${QUIRE_BIN:?}" "${QUIRE_SRC:?}" "${QUIRE_BUILD:?}"
work="$QUIRE_BUILD/testout/ingest-batch"
rm -rf "$work" && mkdir -p "$work"
fail=0

run_one() { # name delivery_dir
  local name=$1 dir=$2 rc=0
  local out="$work/$name-out" db="$work/$name.db"
  "$QUIRE_BIN" ingest --manifest "$dir/manifest.csv" --out "$out" --ledger "$db" \
    --jobs 2 "$dir/scans" >"$work/$name.log" 2>&1 || rc=$?
  tail -n 4 "$work/$name.log"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "FAIL: $name: ingest exited $rc"; cat "$work/$name.log"; fail=1; return
  fi
  /usr/bin/python3 "$QUIRE_SRC/tests/e2e/ingest_check.py" "$QUIRE_BIN" "$db" "$out" \
    "$dir/truth.json" || fail=1
  local n=0
  for pdf in "$out"/*.pdf; do
    [ -e "$pdf" ] || continue
    bash "$QUIRE_SRC/tests/e2e/check_archive.sh" "$pdf" 2b >"$work/check.log" 2>&1 ||
      { echo "FAIL: $pdf"; cat "$work/check.log"; fail=1; }
    n=$((n + 1))
  done
  echo "$name: $n archives checked (pdfa_check when ../shared exists, qpdf, poppler, mupdf, gs)"
  # A rerun of the same delivery changes nothing and duplicates nothing.
  local before after
  before=$("$QUIRE_BIN" export files --ledger "$db" | sha256sum)
  "$QUIRE_BIN" ingest --manifest "$dir/manifest.csv" --out "$out" --ledger "$db" \
    --quiet "$dir/scans" >/dev/null 2>&1 || true
  after=$("$QUIRE_BIN" export files --ledger "$db" | sha256sum)
  [ "$before" = "$after" ] && echo "$name: rerun left the ledger unchanged" ||
    { echo "FAIL: $name: rerun changed the files export"; fail=1; }
}

if [ -f "${QUIRE_SHARED:-/nonexistent}/corpus/make_batch.py" ]; then
  (cd "$QUIRE_SHARED/corpus" && /usr/bin/python3 make_batch.py --src real --out "$work/small" \
    --files 12 --pages-min 1 --pages-max 8 --seed 7 --faults 0.2 >/dev/null 2>&1)
  run_one small "$work/small"
else
  echo "note: ../shared absent: standard small batch skipped"
fi
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 8 --seed 3 --faults \
  --out "$work/sample" >/dev/null
run_one sample "$work/sample"
[ "$fail" -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$fail"
