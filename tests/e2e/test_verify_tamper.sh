#!/bin/bash
# quire verify finds every change to archives or ledger, each reported with
# exit 1 and named; the unchanged state verifies with exit 0.
#
# A generated delivery of 24 case files is archived and sealed (a copy of the
# detached seal kept apart, as an office would). Then, one at a time, the
# state restored in between:
#  - one byte changed at a random offset (fixed seed) in each of 20 archives;
#  - an archive renamed, an archive deleted, a stray PDF in the folder;
#  - a page row edited, a files row edited, an event deleted, two events
#    swapped, an event inserted (the SQLite file edited with python, the
#    events' triggers dropped first);
#  - a page row edited with its digest and the whole chain recomputed: the
#    chain and the digests hold, only the seal tells;
#  - a forged seal (the seal's head rewritten to the new chain), a seal made
#    with another key, and the seals removed (the copy kept apart tells).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init verify_tamper
cd "$work" || exit 1
PY=/usr/bin/python3
ATTACK="$PY $QUIRE_SRC/tests/e2e/ledger_attack.py"
Q() { "$QUIRE_BIN" "$@"; }

$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 24 --pages-min 1 --pages-max 2 \
  --pool 6 --out dlv >/dev/null || e2e_skip "make_sample.py failed (python3-pil, numpy?)"
Q ingest --manifest dlv/manifest.csv --out out --ledger q.db --quiet --jobs 2 dlv/scans \
  >/dev/null 2>ingest.err
n=$(ls out/*.pdf | wc -l)
[ "$n" -ge 20 ] && ok "$n archives" || { bad "only $n archives: $(head -3 ingest.err)"; e2e_finish; }
Q keygen --out k.pem >/dev/null && Q keygen --out evil.pem --type ecdsa >/dev/null &&
  ok "keygen: Ed25519 and ECDSA key pairs" || bad "keygen"
Q seal --key k.pem --by auditor --ledger q.db >seal.out && [ -f q.db.seal-1.json ] &&
  ok "sealed: $(head -1 seal.out)" || bad "seal: $(cat seal.out)"
mkdir -p safe && cp q.db.seal-1.json safe/seal-1.json
mkdir -p pristine && cp -a out q.db q.db.seal-1.json pristine/
VARGS=(--ledger q.db --pubkey k.pub.pem --seal safe/seal-1.json --quiet)

restore() {
  rm -rf out q.db q.db-wal q.db-shm q.db.seal-*
  cp -a pristine/out pristine/q.db pristine/q.db.seal-1.json .
}

clean() { # NAME: the unchanged state verifies, exit 0
  local rc=0
  Q verify "${VARGS[@]}" >v.out 2>v.err || rc=$?
  [ "$rc" -eq 0 ] && grep -q '^  result: verified (0 findings)' v.out &&
    ok "$1: exit 0, $(grep '^  seals:' v.out)" || bad "$1: exit $rc: $(head -5 v.out) $(cat v.err)"
}

# found NAME PATTERN...: exit 1 and a finding line matching each PATTERN (ERE)
found() {
  local name=$1 rc=0 p why=""
  shift
  Q verify "${VARGS[@]}" >v.out 2>v.err || rc=$?
  [ "$rc" -eq 1 ] || why="exit $rc (want 1)"
  for p in "$@"; do
    grep -Eq -- "$p" v.out || why="$why; no line matches /$p/"
  done
  if [ -z "$why" ]; then
    ok "$name: exit 1: $(grep -E -- "$1" v.out | head -1 | cut -c1-200)"
  else
    bad "$name: $why; output: $(head -c 600 v.out) $(head -c 300 v.err)"
  fi
}

# none PATTERN: no finding line matches (what must not be what caught it)
none() {
  grep -Eq -- "$1" v.out && bad "a finding matches /$1/: $(grep -E -- "$1" v.out | head -1)" ||
    ok "no /$1/ finding"
}

clean "as archived and sealed"
rc=0; Q verify "${VARGS[@]}" --json >v.json 2>v.err || rc=$?
$PY -c 'import json, sys
d = json.load(open("v.json")); s = d["summary"]
assert d["findings"] == [] and s["verified"] and s["versions"] >= 20 and s["seals_valid"] == 1
assert s["chain_intact_to"] == s["events"] and s["signatures_checked"]' && [ "$rc" -eq 0 ] &&
  ok "--json: verified, no findings, the summary's figures" || bad "--json: exit $rc $(head -c 300 v.json)"
rc=0; Q verify --ledger q.db --pubkey nokey.pem >v.out 2>v.err || rc=$?
[ "$rc" -eq 2 ] && grep -q 'quire verify: --pubkey nokey.pem: No such file' v.err && [ ! -s v.out ] &&
  ok "an unreadable --pubkey: exit 2 before any check" || bad "--pubkey nokey.pem: exit $rc $(cat v.err)"

# --- one byte in each of 20 archives -------------------------------------------
flips=$($PY - <<'EOF'
import os, random
r = random.Random(20240611)
for f in sorted(os.listdir("out"))[:20]:
    p = os.path.join("out", f)
    off = r.randrange(os.path.getsize(p))
    print(f, off, 1 + r.randrange(255))
EOF
)
k=0
while read -r f off x; do
  id=${f%.pdf}
  $PY -c 'import sys; p, o, x = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(p, "rb").read()); b[o] ^= x; open(p, "wb").write(b)' "out/$f" "$off" "$x"
  rc=0; Q verify "${VARGS[@]}" >v.out 2>v.err || rc=$?
  if [ "$rc" -eq 1 ] && grep -q "^$id version 1: modified: out/$f: " v.out &&
     [ "$(grep -c ': modified: ' v.out)" -eq 1 ]; then
    k=$((k + 1))
  else
    bad "byte $off of $f: exit $rc: $(head -c 400 v.out)"
  fi
  cp pristine/out/"$f" out/"$f"
done <<<"$flips"
[ "$k" -eq 20 ] && ok "a byte changed at a random offset in each of 20 archives: each named, modified, exit 1"

# --- the archive folder --------------------------------------------------------
a=$(ls out | sed -n 3p); ida=${a%.pdf}
mv "out/$a" "out/renamed-$a"
found "renamed archive" "^$ida version 1: renamed: .*found, with its recorded SHA-256, at out/renamed-$a"
restore
mkdir out/moved && mv "out/$a" out/moved/
found "archive moved into a subfolder" "^$ida version 1: renamed: .*at out/moved/$a"
restore
b=$(ls out | sed -n 4p); idb=${b%.pdf}
rm "out/$b"
found "deleted archive" "^$idb version 1: missing: out/$b: the archive is not there"
rc=0; Q verify "${VARGS[@]}" --json >v.json 2>v.err || rc=$?
$PY -c 'import json, sys
d = json.load(open("v.json")); f = d["findings"]
assert len(f) == 1 and f[0]["kind"] == "missing" and f[0]["file_id"] == sys.argv[1]
assert f[0]["version"] == 1 and f[0]["path"] == "out/" + sys.argv[2] and len(f[0]["expected"]) == 64
assert not d["summary"]["verified"] and d["summary"]["findings"] == 1' "$idb" "$b" && [ "$rc" -eq 1 ] &&
  ok "--json names it: kind, file_id, version, path, expected" || bad "--json: exit $rc $(head -c 400 v.json)"
restore
printf '%%PDF-1.7\n%%%%EOF\n' >out/stray.pdf
found "stray PDF" "^stray: out/stray.pdf: a PDF in the archive folder that the ledger does not know"
restore
cp "out/$a" out/copy.pdf
found "a copy of an archive under another name" "^stray: out/copy.pdf: .*a copy of the archive of $ida version 1"
restore
mkdir elsewhere && mv out elsewhere/
found "the folder moved, without --archives" "version 1: missing: "
Q verify "${VARGS[@]}" --archives elsewhere/out >v.out 2>&1 &&
  ok "the folder moved, with --archives DIR: verified" || bad "--archives: $(head -3 v.out)"
rm -rf elsewhere; restore

# --- the ledger's rows and events ------------------------------------------------
c=$(ls out | sed -n 5p); idc=${c%.pdf}
$ATTACK q.db edit-page "$idc" 1 dpi 150
found "edited page row" "^$idc version 1: rows: file $idc version 1 \(outcome [0-9]+\): its page rows differ from what was recorded by event [0-9]+"
restore
d=$(ls out | sed -n 6p); idd=${d%.pdf}
$ATTACK q.db edit-file "$idd" archive_sha256 "$(sha256sum "out/$a" | cut -d' ' -f1)"
found "edited files row" "^$idd version 1: rows: file $idd version 1 \(outcome [0-9]+\): its files row differs from what was recorded by event [0-9]+" \
  "^$idd version 1: modified: out/$d: its SHA-256 is not the one recorded"
restore
$ATTACK q.db edit-page "$idc" 1 source_sha256 0000000000000000000000000000000000000000000000000000000000000000
found "edited page source SHA-256: rows and the archive's XMP" "^$idc version 1: rows: .*page rows" \
  "^$idc version 1: provenance: .*page 1: the XMP's source SHA-256 is not the ledger's"
restore
$ATTACK q.db delete-event 12
found "deleted event" "^chain: the event log goes from event 11 to event 13: an event is removed"
restore
$ATTACK q.db swap-events 12
found "two swapped events" "^(.*: )?chain: event 12 does not follow event 11"
restore
$ATTACK q.db insert-event 12
found "inserted event" "^chain: event 14 does not follow event 13|^chain: event 13 does not follow event 12"
restore
$PY - <<'EOF'
import sqlite3
c = sqlite3.connect("q.db")
c.execute("INSERT INTO files(file_id, version, status, archive_path, archive_sha256,"
          " source_fingerprint, batch, pages, updated, current) SELECT 'GHOST', 1, 'archived',"
          " 'out/GHOST.pdf', archive_sha256, source_fingerprint, batch, pages, updated, 1"
          " FROM files LIMIT 1")
c.commit()
EOF
found "a files row no event covers" "^GHOST version 1: uncovered: file GHOST version 1 .*no event covers it"
restore
$PY -c 'import sqlite3; c = sqlite3.connect("q.db"); c.execute("UPDATE files SET current = 0 WHERE current = 1 AND file_id = ?", ("'"$idc"'",)); c.commit()'
found "a current outcome unmarked" "^$idc: current: file $idc: 0 outcomes marked current"
restore

# --- a recomputed chain: only the seal tells ----------------------------------------
$ATTACK q.db edit-page "$idc" 1 dpi 150
$ATTACK q.db refresh "$idc"
$ATTACK q.db rechain
found "page row edited, digest and chain recomputed" \
  "^seal: seal 1: event [0-9]+ is not the event it sealed: the events up to it were rewritten" \
  "^seal: seal 1 \(safe/seal-1.json\): event [0-9]+ is not the event it sealed"
none "^(.*: )?(chain|rows|uncovered|modified|provenance): "
# forged: the seal's head made the new chain's, the chain recomputed again
$ATTACK q.db forge-seal 1
$ATTACK q.db rechain
$ATTACK q.db seal-detail 1 >q.db.seal-1.json
found "forged seal (head rewritten to the recomputed chain)" \
  "^seal: seal 1: its signature does not verify: the seal was forged or changed after signing" \
  "^seal: seal 1 \(safe/seal-1.json\): event [0-9]+ is not the event it sealed"
none "^(.*: )?(chain|rows): "
Q seal --key evil.pem --by mallory --ledger q.db >/dev/null
found "a new seal made with another key" "^seal: seal 2 was not made with the key given"
$ATTACK q.db drop-seals
$ATTACK q.db rechain
rm -f q.db.seal-*
found "seals removed, chain recomputed: the copy kept apart" \
  "^seal: the ledger holds no seal" "^seal: seal 1 of safe/seal-1.json is not in the ledger"
restore
clean "restored"
e2e_finish
