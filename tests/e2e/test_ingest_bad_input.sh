#!/usr/bin/env bash
# Bad input to `quire ingest`: each broken manifest gets an error with its
# line number and exit 2, and nothing is ingested; a corrupt page gives its
# file a fault and the run goes on with the rest.
set -uo pipefail
: "${QUIRE_BIN:?}" "${QUIRE_SRC:?}" "${QUIRE_BUILD:?}"
work="$QUIRE_BUILD/testout/ingest-bad"
rm -rf "$work" && mkdir -p "$work/scans"
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 3 --seed 5 \
  --out "$work/d" >/dev/null || { echo "generator failed"; exit 1; }

check_manifest() { # name expected-line content
  local name=$1 line=$2
  printf '%b' "$3" >"$work/$name.csv"
  local out rc=0
  out=$("$QUIRE_BIN" ingest --manifest "$work/$name.csv" --out "$work/out-$name" \
    --ledger "$work/$name.db" --quiet "$work/d/scans" 2>&1) || rc=$?
  if [ "$rc" -eq 2 ] && grep -q "$name.csv:$line:" <<<"$out" && [ ! -e "$work/out-$name" ]; then
    ok "$name: exit 2, line $line named: $(grep -m1 "$name.csv:$line:" <<<"$out")"
  else
    bad "$name: exit $rc, output: $out"
  fi
}

check_manifest unbalanced 3 'file_id,expected_pages\nA,1\n"B,2\nC,3\n'
check_manifest duplicate 3 'file_id,expected_pages\nA,1\nA,2\n'
check_manifest nonnumeric 2 'file_id,expected_pages\nA,two\n'
check_manifest missingcol 1 'file_id,box\nA,BOX-1\n'
check_manifest badutf8 3 'file_id,expected_pages,title\nA,1,ok\nB,2,caf\xe9\n'

# A corrupt page: its file is faulty, the others are archived.
d="$work/d"
first=$(ls "$d/scans" | head -n 1)
page=$(ls "$d/scans/$first" | head -n 1)
head -c 300 "$d/scans/$first/$page" >"$work/cut" && cp "$work/cut" "$d/scans/$first/$page"
rc=0
out=$("$QUIRE_BIN" ingest --manifest "$d/manifest.csv" --out "$work/out" --ledger "$work/c.db" \
  --quiet "$d/scans" 2>&1) || rc=$?
faults=$("$QUIRE_BIN" export faults --ledger "$work/c.db")
archived=$("$QUIRE_BIN" export files --ledger "$work/c.db" | grep -c ',archived,' || true)
if [ "$rc" -eq 1 ] && grep -q "^$first,1,corrupt," <<<"$faults" && [ "$archived" -ge 1 ] &&
  grep -q "$first/$page" <<<"$out" && [ ! -e "$work/out/$first.pdf" ]; then
  ok "corrupt page: exit 1, $first faulty (message names $first/$page), $archived other files archived"
else
  bad "corrupt page: exit $rc, faults: $faults, output: $out"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
