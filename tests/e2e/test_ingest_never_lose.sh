#!/usr/bin/env bash
# "Never loses, never lies" at the ingest: archives that quire cannot delete
# or overwrite, write errors that stop the run without calling the scan
# faulty, cleanup after a kill that removes only what the ledger proves
# quire wrote, batches that do not stay "running", and exit codes that say
# whether every file of the manifest is archived.
#   - a file id that looks like a temporary ("CASE.tmp-2024") keeps its archive
#     across later runs;
#   - file "A.v2" and version 2 of file "A" get different archives;
#   - a 300-byte file id (delivered in a zip) gets a safe name and is archived;
#   - a full disk (ENOSPC, injected) and a read-only output folder (EROFS) stop
#     the run with exit 3 naming the path; no file is called faulty; every PDF
#     on disk is recorded; the failure is an event; a plain rerun archives all;
#   - a name taken by a file quire did not write is not replaced (exit 3);
#   - an unrecorded archive with the digest the ledger's write record holds is
#     removed at the next run, a foreign file and an unrecorded temporary stay;
#   - a batch killed by kill -9 is "interrupted" after the next ingest;
#   - a rerun with a faulty file exits 1 and says since which batch;
#   - the same file id in two deliveries is faulty (ambiguous);
#   - a wrong manifest or delivery path is named; a rejected ledger leaves no
#     output folder and no lock file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init ingest-never-lose
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3
: "${QUIRE_FAILSHIM:?QUIRE_FAILSHIM must name the fault-injection preload}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"

$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 4 --pages-min 1 --pages-max 2 \
  --seed 5 --out base >/dev/null
mapfile -t ids < <(tail -n +2 base/manifest.csv | cut -d, -f1)

# make_delivery DIR ID... : a folders delivery of the given ids, page images
# taken from the base delivery in turn, with a manifest of the right counts.
make_delivery() {
  local dir=$1 k=0 id src
  shift
  mkdir -p "$dir/scans"
  echo "file_id,expected_pages" >"$dir/manifest.csv"
  for id in "$@"; do
    src=base/scans/${ids[$((k % ${#ids[@]}))]}
    cp -r "$src" "$dir/scans/$id"
    echo "\"$id\",$(ls "$src" | wc -l)" >>"$dir/manifest.csv"
    k=$((k + 1))
  done
}
ingest() { # LEDGER OUT DELIVERY [args]
  local l=$1 o=$2 d=$3
  shift 3
  Q ingest -m "$d/manifest.csv" -o "$o" --ledger "$l" --jobs 2 -q "$@" "$d/scans"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# Every PDF in OUT is an archive the ledger records, with its SHA-256, and
# every archive the ledger records exists with it.
disk_agrees() { # LEDGER OUT
  $PY - "$1" "$2" <<'EOF'
import hashlib, os, sqlite3, sys
db, out = sys.argv[1:3]
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
rows = con.execute("SELECT archive_path, archive_sha256 FROM files WHERE status='archived'").fetchall()
known = {}
for p, s in rows:
    known[os.path.abspath(p)] = s
bad = []
for p, s in known.items():
    if not os.path.exists(p):
        bad.append("missing " + p)
    elif hashlib.sha256(open(p, "rb").read()).hexdigest() != s:
        bad.append("changed " + p)
for n in os.listdir(out):
    p = os.path.abspath(os.path.join(out, n))
    if n.endswith(".pdf") and p not in known:
        bad.append("unknown " + p)
print("; ".join(bad) if bad else "ok %d" % len(known))
sys.exit(1 if bad else 0)
EOF
}

# --- an id that looks like a temporary keeps its archive -----------------------
make_delivery t1 "CASE.tmp-2024" "${ids[1]}"
rc=0; ingest t.db tout t1 || rc=$?
[ "$rc" -eq 0 ] && [ -f "tout/CASE.tmp-2024.pdf" ] && ok "CASE.tmp-2024 archived" ||
  bad "CASE.tmp-2024: exit $rc, $(ls tout)"
make_delivery t2 "OTHER-1"
rc=0; ingest t.db tout t2 || rc=$?
[ -f "tout/CASE.tmp-2024.pdf" ] && out=$(disk_agrees t.db tout) &&
  ok "CASE.tmp-2024.pdf survives the next ingest ($out)" ||
  bad "CASE.tmp-2024.pdf removed by the next ingest: $(disk_agrees t.db tout || true)"

# --- A.v2 and version 2 of A ----------------------------------------------------
make_delivery v1 A A.v2
rc=0; ingest v.db vout v1 || rc=$?
before=$(sha vout/A.v2.pdf)
Q rescan submit A --reason "page 1 unreadable" --ledger v.db >/dev/null
rm -rf v2 && make_delivery v2 A && touch v2/scans/A/*
rc=0; ingest v.db vout v2 || rc=$?
[ "$rc" -eq 0 ] && [ "$(sha vout/A.v2.pdf)" = "$before" ] && [ -f "vout/A@v2.pdf" ] &&
  out=$(disk_agrees v.db vout) &&
  ok "rescan of A wrote A@v2.pdf; A.v2.pdf unchanged ($out)" ||
  bad "A v2 vs A.v2: exit $rc; $(ls vout); $(disk_agrees v.db vout || true)"

# --- a 300-byte id in a zip -----------------------------------------------------
long=$($PY -c 'print("L" * 300)')
mkdir -p z/scans
$PY - "$long" "base/scans/${ids[0]}" <<'EOF'
import os, sys, zipfile
fid, src = sys.argv[1:3]
pages = sorted(os.listdir(src))
with zipfile.ZipFile("z/scans/BOX-1.zip", "w") as z:
    for p in pages:
        z.write(os.path.join(src, p), fid + "/" + p)
open("z/manifest.csv", "w").write("file_id,expected_pages\n%s,%d\n" % (fid, len(pages)))
EOF
rc=0; ingest z.db zout z --layout zip 2>zerr.txt || rc=$?
name=$(ls zout | grep -v '^\.' || true)
[ "$rc" -eq 0 ] && [ "${#name}" -le 255 ] && [[ "$name" == *"%~"*.pdf ]] &&
  [ "$(Q export files --ledger z.db | grep -c ',archived,')" -eq 1 ] &&
  ok "300-byte id archived as a ${#name}-byte name" ||
  bad "300-byte id: exit $rc, name '$name', $(cat zerr.txt)"

# --- a full disk: ENOSPC after the first archives ------------------------------
make_delivery f f1 f2 f3 f4 f5 f6
rc=0
LD_PRELOAD=$QUIRE_FAILSHIM QR_FAIL_PATH="fout/" QR_FAIL_OP=write QR_FAIL_ERRNO=ENOSPC \
  QR_FAIL_AFTER=60000 ingest f.db fout f 2>ferr.txt || rc=$?
nfaulty=$(Q export files --ledger f.db | grep -c ',faulty,' || true)
narch=$(Q export files --ledger f.db | grep -c ',archived,' || true)
if [ "$rc" -eq 3 ] && grep -q "fout/.*No space left on device" ferr.txt && [ "$nfaulty" -eq 0 ] &&
   out=$(disk_agrees f.db fout) && [ "$(e2e_temp_files fout)" -eq 0 ]; then
  ok "ENOSPC: exit 3 naming the path; $narch archived and recorded, none faulty ($out)"
else
  bad "ENOSPC: exit $rc, $nfaulty faulty, $(disk_agrees f.db fout || true), $(cat ferr.txt)"
fi
failed_id=$($PY -c '
import sqlite3; c = sqlite3.connect("file:f.db?mode=ro", uri=True)
r = c.execute("SELECT file_id, detail FROM events WHERE kind=\"archive_failed\"").fetchall()
print(r[0][0] if r and "No space left" in r[0][1] else "")')
[ -n "$failed_id" ] && Q log "$failed_id" --ledger f.db | grep -q archive_failed &&
  ok "the write failure is an archive_failed event of $failed_id" ||
  bad "no archive_failed event"
rc=0; ingest f.db fout f || rc=$?
[ "$rc" -eq 0 ] && [ "$(Q export files --ledger f.db | grep -c ',archived,')" -eq 6 ] &&
  out=$(disk_agrees f.db fout) && ok "plain rerun after ENOSPC archives all 6 ($out)" ||
  bad "rerun after ENOSPC: exit $rc, $(Q export files --ledger f.db)"

# --- a read-only output folder -------------------------------------------------
make_delivery r r1 r2
rc=0
LD_PRELOAD=$QUIRE_FAILSHIM QR_FAIL_PATH="rout/" QR_FAIL_OP=open QR_FAIL_ERRNO=EROFS \
  ingest r.db rout r 2>rerr.txt || rc=$?
nfaulty=$(Q export files --ledger r.db | grep -c ',faulty,' || true)
[ "$rc" -eq 3 ] && grep -q "rout/.*Read-only file system" rerr.txt && [ "$nfaulty" -eq 0 ] &&
  ok "read-only output: exit 3: $(grep -m1 'Read-only' rerr.txt)" ||
  bad "read-only output: exit $rc, $nfaulty faulty, $(cat rerr.txt)"
rc=0; ingest r.db rout r || rc=$?
[ "$rc" -eq 0 ] && ok "rerun archives the files a read-only folder refused" ||
  bad "rerun after EROFS: exit $rc"

# --- a name taken by a file quire did not write --------------------------------
make_delivery n n1
mkdir -p nout && echo "not an archive" >nout/n1.pdf
rc=0; ingest n.db nout n 2>nerr.txt || rc=$?
[ "$rc" -eq 3 ] && grep -q "nout/n1.pdf: a file of that name exists" nerr.txt &&
  [ "$(cat nout/n1.pdf)" = "not an archive" ] &&
  [ "$(Q export files --ledger n.db | grep -c ',faulty,' || true)" -eq 0 ] &&
  ok "a foreign n1.pdf is not replaced: exit 3, named" ||
  bad "foreign file: exit $rc, $(cat nerr.txt), content $(head -c 20 nout/n1.pdf)"

# --- cleanup after a kill: only what the record proves -------------------------
cp vout/A.pdf vout/Z.pdf
echo "foreign" >vout/Y.pdf
mkdir -p vout/.quire-tmp && echo part >vout/.quire-tmp/b1-p1-0.part
echo mine >vout/.quire-tmp/not-recorded.part
$PY - "$(sha vout/Z.pdf)" <<'EOF' || bad "cannot record archive writes in the ledger"
import sqlite3, sys
c = sqlite3.connect("v.db")
c.execute("INSERT INTO archive_writes(batch, file_id, version, tmp_path, final_path, sha256)"
          " VALUES(1, 'Z', 1, 'vout/.quire-tmp/b1-p1-0.part', 'vout/Z.pdf', ?)", (sys.argv[1],))
c.execute("INSERT INTO archive_writes(batch, file_id, version, tmp_path, final_path, sha256)"
          " VALUES(1, 'Y', 1, 'vout/.quire-tmp/b1-p1-9.part', 'vout/Y.pdf', ?)", ("0" * 64,))
c.commit()
EOF
rc=0; Q ingest -m v2/manifest.csv -o vout --ledger v.db v2/scans >/dev/null 2>verr.txt || rc=$?
left=$($PY -c 'import sqlite3; print(sqlite3.connect("v.db").execute("SELECT count(*) FROM archive_writes").fetchone()[0])' || echo none)
[ ! -e vout/Z.pdf ] && [ -e vout/Y.pdf ] && [ ! -e vout/.quire-tmp/b1-p1-0.part ] &&
  [ -e vout/.quire-tmp/not-recorded.part ] && [ "$left" = 0 ] &&
  grep -q "removed vout/Z.pdf" verr.txt &&
  ok "recovery removed the recorded temporary and unrecorded archive, kept the rest" ||
  bad "recovery: Z $(ls vout), rows $left, $(cat verr.txt)"
rm -f vout/Y.pdf vout/.quire-tmp/not-recorded.part

# --- a batch killed by kill -9 --------------------------------------------------
$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 6 --pages-min 4 --pages-max 6 \
  --seed 9 --out k >/dev/null
"$QUIRE_BIN" ingest -m k/manifest.csv -o kout --ledger k.db --jobs 1 -q k/scans >/dev/null 2>&1 &
pid=$! # quire itself: a shell function would give the subshell's pid
for _ in $(seq 1 200); do
  Q status --by batch --ledger k.db 2>/dev/null | grep -q running && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
was=$(Q status --by batch --ledger k.db | grep -c running || true)
rc=0; ingest k.db kout k 2>kerr.txt || rc=$?
now=$(Q status --by batch --ledger k.db)
[ "$was" -eq 1 ] && ! grep -q running <<<"$now" && grep -q interrupted <<<"$now" &&
  ok "the killed batch is interrupted after the next ingest" ||
  bad "killed batch: before $was running; after: $now"

# --- a rerun while a file is still faulty ---------------------------------------
make_delivery e e1 e2
echo "e3,2" >>e/manifest.csv && mkdir e/scans/e3 && cp "base/scans/${ids[0]}"/* e/scans/e3/ &&
  head -c 300 "$(ls -d e/scans/e3/* | head -1)" >e/cut && mv e/cut "$(ls -d e/scans/e3/* | head -1)"
rc=0; ingest e.db eout e >/dev/null 2>&1 || rc=$?
rc2=0; Q ingest -m e/manifest.csv -o eout --ledger e.db e/scans >erun.txt 2>&1 || rc2=$?
[ "$rc" -eq 1 ] && [ "$rc2" -eq 1 ] && grep -q "still faulty: e3 (since batch 1)" erun.txt &&
  ok "a rerun with a faulty file exits 1: $(grep -m1 'still faulty' erun.txt)" ||
  bad "rerun with a faulty file: exits $rc, $rc2: $(cat erun.txt)"

# --- the same file id in two deliveries -----------------------------------------
make_delivery d1 D1 D2
make_delivery d2 D1
rc=0; Q ingest -m d1/manifest.csv -o dout --ledger d.db -q d1/scans d2/scans 2>derr.txt || rc=$?
[ "$rc" -eq 1 ] && Q export faults --ledger d.db | grep -q '^D1,0,corrupt' &&
  grep -q "D1: delivered again" derr.txt && [ ! -e dout/D1.pdf ] &&
  ok "one id in two deliveries: faulty, named" ||
  bad "one id twice: exit $rc, $(cat derr.txt), $(Q export faults --ledger d.db)"

# --- a partial rescan rerun after an accept closed its job ---------------------
blank_page() { $PY -c 'import sys; from PIL import Image
Image.new("1", (2480, 3508), 1).save(sys.argv[1], compression="group4", dpi=(300, 300))' "$1"; }
make_delivery p P
np=$(ls p/scans/P | wc -l)
if [ "$np" -ge 2 ]; then
  second=$(ls p/scans/P | sed -n 2p)
  blank_page "p/scans/P/$second"
  rc=0; ingest p.db pout p >/dev/null 2>&1 || rc=$?
  mkdir -p pr/scans/P && blank_page "pr/scans/P/0002.tif" && cp p/manifest.csv pr/
  rc1=0; Q ingest -m pr/manifest.csv -o pout --ledger p.db pr/scans >/dev/null 2>pr1.txt || rc1=$?
  Q accept P --page 2 --kind blank --reason "a blank sheet in the file" --ledger p.db >/dev/null
  rc2=0; ingest p.db pout pr 2>pr2.txt || rc2=$?
  [ "$rc" -eq 1 ] && [ "$rc1" -eq 1 ] && grep -q "partial rescan" pr1.txt && [ "$rc2" -eq 0 ] &&
    [ "$(e2e_pages pout/P.pdf)" = "$np" ] &&
    ok "a partial rescan rerun after an accept is merged again: $np pages archived" ||
    bad "partial rescan after accept: exits $rc $rc1 $rc2, $(cat pr2.txt), $(ls pout)"
else
  bad "the base delivery has no 2-page file for the partial rescan case"
fi

# --- wrong paths, a rejected ledger ---------------------------------------------
rc=0; Q ingest -m no/such.csv -o wout --ledger w.db e/scans 2>werr.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "no/such.csv" werr.txt && ok "wrong manifest path named (exit 2)" ||
  bad "wrong manifest: exit $rc, '$(cat werr.txt)'"
rc=0; Q ingest -m e/manifest.csv -o wout --ledger w.db no/such/dir 2>werr.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "no/such/dir" werr.txt && ok "wrong delivery path named (exit 2)" ||
  bad "wrong delivery: exit $rc, '$(cat werr.txt)'"
echo "just text, not a database at all, long enough to have a header page......" >notadb.txt
rc=0; Q ingest -m e/manifest.csv -o jout --ledger notadb.txt e/scans 2>jerr.txt || rc=$?
[ "$rc" -eq 2 ] && [ ! -e jout ] && [ ! -e notadb.txt.lock ] && grep -q "notadb.txt is not a quire ledger" jerr.txt &&
  ok "a rejected ledger leaves no output folder and no lock file: $(cat jerr.txt)" ||
  bad "rejected ledger: exit $rc, $(ls -d jout notadb.txt.lock 2>/dev/null), $(cat jerr.txt)"

e2e_finish
