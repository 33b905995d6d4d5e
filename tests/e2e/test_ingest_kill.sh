#!/usr/bin/env bash
# Crash safety: kill -9 the ingest at random moments (at least 20 times) while
# it archives a ~500-page delivery, rerunning after each kill. At the end every
# archive is valid and recorded once, no temporary file is left, and the files
# export matches the archives on disk, SHA-256 included.
set -euo pipefail
: "${QUIRE_BIN:?}" "${QUIRE_SRC:?}" "${QUIRE_BUILD:?}"
work="$QUIRE_BUILD/testout/ingest-kill"
rm -rf "$work" && mkdir -p "$work"
kills=${QUIRE_KILLS:-20}
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 24 --pages-min 15 \
  --pages-max 27 --seed 21 --out "$work/d" >/dev/null
pages=$(find "$work/d/scans" -type f | wc -l)
echo "delivery: $pages pages"
args=(ingest --manifest "$work/d/manifest.csv" --out "$work/out" --ledger "$work/q.db"
  --jobs 2 --quiet "$work/d/scans")
RANDOM=42
done_early=0
for i in $(seq 1 "$kills"); do
  "$QUIRE_BIN" "${args[@]}" >/dev/null 2>&1 &
  pid=$! # quire itself, not a subshell: kill -9 must hit the writer
  # a random moment in the first ~3 s: planning, mid-file, mid-rename, mid-commit
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))$((RANDOM % 10))"
  [ $((RANDOM % 3)) -eq 0 ] && sleep 1
  if kill -9 "$pid" 2>/dev/null; then :; else done_early=$((done_early + 1)); fi
  wait "$pid" 2>/dev/null || true
done
echo "killed $kills times ($done_early runs had already finished)"
rc=0
"$QUIRE_BIN" "${args[@]}" >"$work/final.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "FAIL: final run exited $rc"; cat "$work/final.log"; exit 1; }
fail=0
/usr/bin/python3 "$QUIRE_SRC/tests/e2e/ingest_check.py" "$QUIRE_BIN" "$work/q.db" "$work/out" \
  "$work/d/truth.json" || fail=1
dups=$("$QUIRE_BIN" export files --ledger "$work/q.db" | cut -d, -f1 | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || { echo "FAIL: $dups file ids recorded twice"; fail=1; }
v2=$(ls "$work/out" | grep -c '@v[0-9]*\.pdf$' || true)
[ "$v2" -eq 0 ] || { echo "FAIL: $v2 archives written as a second version"; fail=1; }
n=0
for pdf in "$work/out"/*.pdf; do
  qpdf --check "$pdf" >/dev/null 2>&1 || { echo "FAIL: qpdf --check $pdf"; fail=1; }
  n=$((n + 1))
done
echo "$n archives pass qpdf --check; none duplicated; no temporary files"
[ "$fail" -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$fail"
