#!/usr/bin/env bash
# Hostile values on their way out, and messages that say what is wrong.
#
#  - CSV: every CSV quire writes (export files|pages|faults, quire faults,
#    rescan list) guards a value a spreadsheet would run as a formula (a file
#    id "=1+2", a box "@SUM(A1)", a reason "=cmd|' /C calc'!A0"): a ' in
#    front, the cell quoted; dropping that ' gives the JSON's exact value.
#  - A manifest line with a NUL byte is reported as such, not as a
#    duplicate id.
#  - A JPEG cut inside its header is called truncated, with its file named,
#    by convert and by ingest.
#  - Control characters in a title or a manifest column reach the archive's
#    XMP and Info as visible \uXXXX text, with a warning naming the file and
#    the field; the archive still passes the PDF/A checks.
#  - A ledger on a read-only file system: the reading commands read it, the
#    writing ones say which file and why they cannot write.
#  - A manifest, stock list or profile that is a directory says so.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init hostile-out
cd "$work" || exit 1
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3

# ---- a delivery whose ids and boxes are formulas ------------------------------
$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 2 --seed 3 --pages-min 2 \
  --pages-max 3 --out d >/dev/null || { bad "make_sample.py failed"; e2e_finish; }
# the first file becomes "=1+2" in box "@SUM(A1)"; the second "+SHORT-1", a page short
$PY - <<'EOF' || { bad "renaming the sample's files failed"; e2e_finish; }
import csv, os
rows = list(csv.reader(open("d/manifest.csv", newline="")))
head, (a, b) = rows[0], rows[1:]
os.rename(f"d/scans/{a[0]}", "d/scans/=1+2")
os.rename(f"d/scans/{b[0]}", "d/scans/+SHORT-1")
os.remove("d/scans/+SHORT-1/" + sorted(os.listdir("d/scans/+SHORT-1"))[-1])
a[0], a[1], b[0] = "=1+2", "@SUM(A1)", "+SHORT-1"
with open("d/manifest.csv", "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows([head, a, b])
EOF
rc=0
Q ingest -m d/manifest.csv -o arch --ledger q.db -q d/scans >ingest.out 2>ingest.err || rc=$?
[ "$rc" -eq 1 ] && ok "ingest of the hostile ids: exit 1 (a faulty file)" ||
  bad "ingest exit $rc: $(head -c 300 ingest.err)"
REASON="=cmd|' /C calc'!A0"
Q rescan submit "=1+2" --pages 1 --reason "$REASON" --ledger q.db >/dev/null 2>submit.err ||
  bad "rescan submit: $(cat submit.err)"

# csv_matches NAME CSV JSON: every CSV cell, once a leading ' is dropped, is the
# JSON's value; no cell starts a formula unless it is a plain number; WANT
# (a Python list of CSV cells as written) all occur.
csv_matches() {
  local name=$1 out
  if out=$($PY - "$2" "$3" "$4" <<'EOF' 2>&1
import csv, json, re, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
js = json.load(open(sys.argv[2]))
want = json.loads(sys.argv[3])
raw = [c for r in csv.reader(open(sys.argv[1], newline="")) for c in r]
assert len(rows) == len(js) and rows, (len(rows), len(js))
num = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
for c in raw:
    first = c.lstrip(" ")[:1]
    assert not first or first not in "=+-@\t\r\n" or num.match(c), f"cell {c!r} is a formula"
for r, j in zip(rows, js):
    for k, v in r.items():
        if k not in j or isinstance(j[k], (list, dict)):
            continue
        back = v[1:] if v.startswith("'") else v
        exact = "" if j[k] is None else str(j[k]) if not isinstance(j[k], float) else None
        if exact is None:
            assert float(back) == j[k], (k, v, j[k])
        else:
            assert back == exact, (k, v, j[k])
for w in want:
    assert w in raw, f"{w!r} not among the cells"
print(len(rows), "rows")
EOF
  ); then ok "$name: guarded, and the same values as the JSON ($out)"; else bad "$name: $out"; fi
}

Q export files --ledger q.db >files.csv && Q export files --ledger q.db --format json >files.json
csv_matches "export files" files.csv files.json "[\"'=1+2\", \"'@SUM(A1)\", \"'+SHORT-1\"]"
Q export pages --ledger q.db >pages.csv && Q export pages --ledger q.db --format json >pages.json
csv_matches "export pages" pages.csv pages.json "[\"'=1+2\"]"
Q export faults --ledger q.db >xf.csv && Q export faults --ledger q.db --format json >xf.json
csv_matches "export faults" xf.csv xf.json "[\"'+SHORT-1\"]"
Q faults --ledger q.db >faults.csv && Q faults --ledger q.db --format json >faults.json
csv_matches "quire faults" faults.csv faults.json "[\"'+SHORT-1\"]"
Q rescan list --all --format csv --ledger q.db >jobs.csv &&
  Q rescan list --all --format json --ledger q.db >jobs.json
csv_matches "rescan list" jobs.csv jobs.json "[\"'$REASON\", \"'=1+2\", \"'+SHORT-1\"]"
grep -qF "\"'=cmd|' /C calc'!A0\"" jobs.csv && ok "the reason is written as \"'=cmd|...\"" ||
  bad "reason not guarded and quoted: $(grep -F 'calc' jobs.csv)"

# ---- a NUL byte in a manifest or a profile ------------------------------------
printf 'file_id,expected_pages\nA,1\nA\0B,2\n' >nul.csv
rc=0
Q ingest -m nul.csv -o nul-out --ledger nul.db -q d/scans >/dev/null 2>nul.err || rc=$?
[ "$rc" -eq 2 ] && grep -qF "nul.csv:3: the line contains a NUL byte (column 2)" nul.err &&
  ! grep -q duplicate nul.err && ok "manifest: $(grep -m1 NUL nul.err)" ||
  bad "manifest with a NUL in an id: exit $rc: $(cat nul.err)"
printf '[resolution]\nmin_dpi = 200\0 ignored\n' >nul.ini
rc=0
Q profile show --profile nul.ini >/dev/null 2>nul.err || rc=$?
[ "$rc" -eq 2 ] && grep -qF "nul.ini:2: the line contains a NUL byte" nul.err &&
  ok "profile: $(head -n 1 nul.err)" || bad "profile with a NUL: exit $rc: $(cat nul.err)"

# ---- a directory where a file is expected -------------------------------------
mkdir -p adir
dir_named() { # NAME COMMAND...: the directory is named as one, not "read error"
  local name=$1 rc=0
  shift
  "$@" >/dev/null 2>dir.err || rc=$?
  [ "$rc" -ne 0 ] && grep -qi "is a directory" dir.err && ! grep -q "read error$" dir.err &&
    ok "$name: $(head -n 1 dir.err)" || bad "$name: exit $rc: $(cat dir.err)"
}
dir_named "ingest --manifest DIR" Q ingest -m adir -o dir-out --ledger dir.db -q d/scans
dir_named "inventory import DIR" Q inventory import adir --ledger dir.db
dir_named "plan import DIR" Q plan import adir --ledger dir.db
dir_named "profile show --profile DIR" Q profile show --profile adir

# ---- a JPEG cut inside its header ----------------------------------------------
jpg=$(find d/scans -name '*.jpg' | head -n 1)
if [ -n "$jpg" ]; then
  head -c 40 "$jpg" >cut.jpg
  rc=0
  Q convert -o cut.pdf cut.jpg >/dev/null 2>cut.err || rc=$?
  [ "$rc" -eq 1 ] && grep -qF "quire convert: cut.jpg: corrupt: JPEG truncated in its header" cut.err &&
    ! grep -q "0 x 0" cut.err && ok "convert: $(head -n 1 cut.err)" ||
    bad "convert of a cut JPEG header: exit $rc: $(cat cut.err)"
  # in a delivery: the corrupt fault's detail names the page's file
  mkdir -p cutd/scans/CUT-1 && cp cut.jpg cutd/scans/CUT-1/0001.jpg
  printf 'file_id,expected_pages\nCUT-1,1\n' >cutd/manifest.csv
  Q ingest -m cutd/manifest.csv -o cut-out --ledger cut.db -q cutd/scans >/dev/null 2>&1
  detail=$(Q faults --ledger cut.db --format json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["detail"])')
  grep -qF "CUT-1/0001.jpg" <<<"$detail" && grep -qF "JPEG truncated in its header" <<<"$detail" &&
    ok "ingest: the corrupt fault says: $detail" || bad "ingest of a cut JPEG header: detail '$detail'"
else
  bad "the sample delivery has no JPEG page"
fi

# ---- control characters in a title and in manifest columns ----------------------
page=$(find d/scans -name '000*' | sort | head -n 1)
rc=0
Q convert --title $'Case\x01 7\x1b[2J' -o ctl.pdf "$page" >/dev/null 2>ctl.err || rc=$?
title=$(pdfinfo ctl.pdf 2>/dev/null | sed -n 's/^Title: *//p')
[ "$rc" -eq 0 ] && [ "$title" = 'Case\u0001 7\u001B[2J' ] &&
  ok "convert: the title keeps its control characters as text: $title" ||
  bad "convert --title with control characters: exit $rc, Title '$title'"
grep -qF 'ctl.pdf: title: 2 control characters written as \uXXXX text (first \u0001)' ctl.err &&
  ok "convert warns: $(head -n 1 ctl.err)" || bad "no warning for the title: $(cat ctl.err)"
grep -aqF '<rdf:li xml:lang="x-default">Case\u0001 7\u001B[2J</rdf:li>' ctl.pdf &&
  ok "dc:title says the same as Info" || bad "dc:title: $(grep -ao '<dc:title>.*</dc:title>' ctl.pdf)"
! grep -q $'\x1b' ctl.err && ok "the warning itself carries no control character" ||
  bad "the warning prints an escape sequence"
e2e_check_archive ctl.pdf 2b
Q convert --pdfa 1b --title $'Case\x01 7' -o ctl-1b.pdf "$page" >/dev/null 2>&1 &&
  e2e_check_archive ctl-1b.pdf 1b || bad "convert --pdfa 1b with a control character failed"

# a manifest title and an extra column: the warning names the file id and the column
mkdir -p ctld/scans && cp -r "d/scans/=1+2" ctld/scans/CTL-1
n=$(ls ctld/scans/CTL-1 | wc -l)
printf 'file_id,expected_pages,title,note\nCTL-1,%s,"Smith\x01, J",ok\x07\n' "$n" >ctld/manifest.csv
rc=0
Q ingest -m ctld/manifest.csv -o ctl-out --ledger ctl.db -q ctld/scans >/dev/null 2>ctld.err || rc=$?
[ "$rc" -eq 0 ] && ok "ingest with control characters in the manifest: exit 0" ||
  bad "ingest: exit $rc: $(head -c 400 ctld.err)"
grep -qF "(file CTL-1): metadata 'title': 1 control character written as \\uXXXX text (first \\u0001)" ctld.err &&
  grep -qF "(file CTL-1): metadata 'note': 1 control character" ctld.err &&
  ok "ingest warns, naming the file and each column: $(grep -m1 warning ctld.err)" ||
  bad "ingest warnings: $(cat ctld.err)"
arch=ctl-out/CTL-1.pdf
grep -aqF '<quireKV:value>Smith\u0001, J</quireKV:value>' "$arch" 2>/dev/null &&
  grep -aqF '<quireKV:value>ok\u0007</quireKV:value>' "$arch" &&
  ok "the XMP keeps the columns with \\uXXXX" || bad "XMP of $arch: $(grep -ao '<quire:meta>.*' "$arch" | head -c 300)"
[ -f "$arch" ] && e2e_check_archive "$arch" 2b

# ---- a ledger on a read-only file system ----------------------------------------
# A read-only bind mount in a private mount namespace (root can write through
# any chmod); without unshare, the fault shim makes every open for writing
# under the folder fail with EROFS, which checks the messages only.
Q plan set 2031-01-01 50 --ledger q.db >/dev/null || bad "plan set on the writable ledger"
mkdir -p ro1 && cp q.db ro1/q.db
for f in files faults; do Q export $f --ledger q.db >want-$f.csv; done
if unshare -m sh -c 'mount --bind -o ro "$1" "$1" && ! touch "$1/x" 2>/dev/null' sh "$work/ro1" \
  2>/dev/null; then
  RO=unshare
  ro() { # DIR CMD...: run CMD with DIR mounted read-only
    local dir=$1
    shift
    unshare -m sh -c 'd=$1; shift; mount --bind -o ro "$d" "$d" && exec "$@"' sh "$work/$dir" "$@"
  }
else
  RO=failshim
  ro() {
    local dir=$1
    shift
    LD_PRELOAD=$QUIRE_FAILSHIM QR_FAIL_PATH="$work/$dir" QR_FAIL_OP=open QR_FAIL_ERRNO=EROFS "$@"
  }
  echo "note: unshare not permitted: read-only ledger checked through the fault shim (messages only)"
fi
L=$work/ro1/q.db

# writing commands: exit 3, the message names the ledger and the cause
writes_refused() { # NAME CMD...
  local name=$1 rc=0
  shift
  ro ro1 "$@" >/dev/null 2>w.err || rc=$?
  [ "$rc" -eq 3 ] && grep -qF "$L" w.err && grep -qi "read-only file system" w.err &&
    ! grep -q "unable to open database file" w.err && ok "$name: $(head -n 1 w.err)" ||
    bad "$name on a read-only ledger: exit $rc: $(cat w.err)"
}
writes_refused "plan set" "$QUIRE_BIN" plan set 2032-01-01 60 --ledger "$L"
writes_refused "accept" "$QUIRE_BIN" accept +SHORT-1 --kind missing_pages --reason x --ledger "$L"
writes_refused "rescan submit" "$QUIRE_BIN" rescan submit =1+2 --reason x --ledger "$L"
writes_refused "inventory import" "$QUIRE_BIN" inventory import d/manifest.csv --ledger "$L"

# reading commands read it, when that is safe
if [ "$RO" = unshare ]; then
  reads() { # NAME CMD...: exit 0
    local name=$1 rc=0
    shift
    ro ro1 "$@" >r.out 2>r.err || rc=$?
    [ "$rc" -eq 0 ] && ok "$name reads the read-only ledger" || bad "$name: exit $rc: $(cat r.err)"
  }
  for f in files faults; do
    reads "export $f" "$QUIRE_BIN" export $f --ledger "$L" && cmp -s r.out want-$f.csv ||
      bad "export $f of the read-only ledger differs"
  done
  reads "status" "$QUIRE_BIN" status --ledger "$L"
  grep -q "inventory: *2 files" r.out || bad "status: $(head -n 3 r.out)"
  reads "faults" "$QUIRE_BIN" faults --ledger "$L"
  reads "rescan list" "$QUIRE_BIN" rescan list --ledger "$L"
  reads "log" "$QUIRE_BIN" log =1+2 --ledger "$L"
  reads "plan show" "$QUIRE_BIN" plan show --ledger "$L"
  grep -q 2031-01-01 r.out || bad "plan show: $(cat r.out)"
  reads "report" "$QUIRE_BIN" report --html "$work/ro.html" --ledger "$L"
  [ -z "$(ls -A ro1 | grep -v '^q.db$')" ] && ok "nothing was created beside it" ||
    bad "files beside the read-only ledger: $(ls ro1)"

  # a ledger whose last commits are still in its -wal (in use, or left by a
  # killed run): read with them, never without them
  mkdir -p ro2
  $PY - "$work/q.db" "$work/ro2" <<'EOF' || bad "could not make a ledger with a live -wal"
import shutil, sqlite3, sys
src, dst = sys.argv[1], sys.argv[2]
c = sqlite3.connect(src)
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("INSERT OR REPLACE INTO plan VALUES('2033-03-03', 75)")
c.commit()
for ext in ("", "-wal", "-shm"):
    shutil.copy(src + ext, dst + "/q.db" + ext)
c.execute("DELETE FROM plan WHERE date = '2033-03-03'")
c.commit()
c.close()
EOF
  rc=0
  ro ro2 "$QUIRE_BIN" plan show --ledger "$work/ro2/q.db" >r.out 2>r.err || rc=$?
  [ "$rc" -eq 0 ] && grep -q 2033-03-03 r.out &&
    ok "a ledger with its -wal and -shm: read with the commits in its -wal" ||
    bad "ledger with a -wal: exit $rc: $(cat r.out r.err)"
  rm -f ro2/q.db-shm
  rc=0
  ro ro2 "$QUIRE_BIN" plan show --ledger "$work/ro2/q.db" >r.out 2>r.err || rc=$?
  [ "$rc" -eq 3 ] && grep -qF "$work/ro2/q.db-wal" r.err && grep -qi "read-only" r.err &&
    ok "a -wal without its -shm is not read without it: $(head -n 1 r.err)" ||
    bad "ledger with a -wal and no -shm: exit $rc: $(cat r.out r.err)"
fi

e2e_finish
