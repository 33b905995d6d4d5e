#!/bin/bash
# The release of the paper and the transfer note.
#
# A generated delivery (several boxes) is archived. Release rules: before
# any seal every box is refused ("no valid seal covers it"); once sealed a
# box is releasable; a box with an open rescan job and a box with a modified
# archive are refused with the reason naming the file, and nothing is
# recorded; a clean box is released (the event names each file's version
# and SHA-256, and is sealed at once, so quire verify with the key passes and
# its seal reaches the release); a second release of it is refused; status,
# status --json and the report count boxes released and ready.
# Transfer note: quire evidence prints it as text, JSON (parsed, the same
# bytes twice, its pages and SHA-256s the ledger's, the covering seal) and
# HTML (self-contained, A4); an unknown file or version is exit 2; the
# scanner's make, model, software and the scan date come from the images'
# TIFF tags and EXIF.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init release_evidence
cd "$work" || exit 1
PY=/usr/bin/python3
Q() { "$QUIRE_BIN" "$@"; }
events() { $PY -c 'import sqlite3; print(sqlite3.connect("q.db").execute(
  "SELECT count(*) FROM events").fetchone()[0])'; }

$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 14 --pages-min 1 --pages-max 2 \
  --pool 6 --out dlv >/dev/null || e2e_skip "make_sample.py failed (python3-pil, numpy?)"
Q ingest --manifest dlv/manifest.csv --out out --ledger q.db --quiet --jobs 2 dlv/scans \
  >/dev/null 2>ingest.err
Q keygen --out k.pem >/dev/null || bad "keygen"
# Three boxes whose files are all archived: A for the rescan job, B for the
# modified archive, C to release.
read -r A B C < <($PY - <<'EOF'
import sqlite3
db = sqlite3.connect("q.db")
boxes = [r[0] for r in db.execute(
    "SELECT i.box FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1"
    " WHERE i.box <> '' GROUP BY i.box HAVING min(f.status IS 'archived') = 1 ORDER BY i.box")]
print(*boxes[:3])
EOF
)
[ -n "$C" ] && ok "boxes with every file archived: $A $B $C" || { bad "fewer than 3 clean boxes"; e2e_finish; }
file_of() { $PY -c 'import sqlite3, sys; print(sqlite3.connect("q.db").execute(
  "SELECT file_id FROM inventory WHERE box = ? ORDER BY file_id", (sys.argv[1],)).fetchone()[0])' "$1"; }
fa=$(file_of "$A"); fb=$(file_of "$B"); fc=$(file_of "$C")

# --- before any seal --------------------------------------------------------------
rc=0; Q release check --pubkey k.pub.pem --ledger q.db >c.out 2>c.err || rc=$?
[ "$rc" -eq 1 ] && grep -q "^box $C: not releasable" c.out &&
  grep -q "^  - $fc v1: no valid seal covers it" c.out &&
  ok "unsealed: exit 1, '$(grep -m1 "$fc" c.out | sed 's/^ *//')'" || bad "unsealed check: exit $rc $(head -5 c.out) $(cat c.err)"
n0=$(events)
rc=0; Q release mark "$C" --key k.pem --reason "returned" --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 1 ] && grep -q "no valid seal covers it" m.out && grep -q "is not releasable" m.err &&
  [ "$(events)" -eq "$n0" ] && ok "unsealed box refused, nothing recorded" ||
  bad "unsealed mark: exit $rc $(cat m.out m.err)"

Q seal --key k.pem --by auditor --ledger q.db >/dev/null || bad "seal"
rc=0; Q release check --box "$C" --pubkey k.pub.pem --ledger q.db >c.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "^box $C: releasable" c.out && ok "sealed: box $C releasable" ||
  bad "sealed check: exit $rc $(cat c.out)"
Q keygen --out other.pem >/dev/null
rc=0; Q release check --box "$C" --pubkey other.pub.pem --ledger q.db >c.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "no valid seal covers it" c.out &&
  ok "another key: the seal does not count" || bad "other key: exit $rc $(cat c.out)"

# --- refused with the reason --------------------------------------------------------
Q rescan submit "$fa" --reason "page 1 unreadable" --by reviewer --ledger q.db >/dev/null ||
  bad "rescan submit"
n0=$(events)
rc=0; Q release mark "$A" --key k.pem --reason "returned" --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 1 ] && grep -Eq "^  - $fa: rescan job [0-9]+ is open" m.out && [ "$(events)" -eq "$n0" ] &&
  ok "open rescan job: refused, '$(grep -m1 'rescan job' m.out | sed 's/^ *//')'" ||
  bad "open job: exit $rc $(cat m.out m.err)"
arch=$($PY -c 'import sqlite3, sys; print(sqlite3.connect("q.db").execute(
  "SELECT archive_path FROM files WHERE file_id = ? AND current = 1", (sys.argv[1],)).fetchone()[0])' "$fb")
cp "$arch" saved.pdf
$PY -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x40
open(p, "wb").write(b)' "$arch"
rc=0; Q release mark "$B" --key k.pem --reason "returned" --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 1 ] && grep -q "^  - $fb v1: modified: " m.out && [ "$(events)" -eq "$n0" ] &&
  ok "modified archive: refused, '$(grep -m1 'modified' m.out | cut -c1-90 | sed 's/^ *//')...'" ||
  bad "modified: exit $rc $(cat m.out m.err)"
rc=0; Q release check --pubkey k.pub.pem --json --ledger q.db >c.json 2>&1 || rc=$?
$PY -c 'import json, sys
d = json.load(open("c.json")); b = {x["box"]: x for x in d["boxes"]}
A, B, C = sys.argv[1:4]
assert b[A]["state"] == "not releasable" and b[A]["open_jobs"] == 1, b[A]
assert b[B]["state"] == "not releasable" and b[B]["verified"] == b[B]["archived"] - 1, b[B]
assert any(": modified: " in r for r in b[B]["reasons"])
assert b[C]["state"] == "releasable" and b[C]["reasons"] == [] and b[C]["sealed"] == b[C]["files"]
assert d["not_releasable"] >= 2' "$A" "$B" "$C" && [ "$rc" -eq 1 ] &&
  ok "check --json: states, counts and reasons per box" || bad "check --json: exit $rc $(head -c 600 c.json)"
cp saved.pdf "$arch"

# --- released --------------------------------------------------------------------------
rc=0; Q release mark "$C" --key k.pem --by "R. Keeper" --reason "returned to the registry" \
  --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 0 ] && grep -q "^released: box $C" m.out && ok "box $C released: $(head -1 m.out)" ||
  bad "mark: exit $rc $(cat m.out m.err)"
$PY -c 'import json, sqlite3, sys
db = sqlite3.connect("q.db")
eid, actor, detail = db.execute("SELECT id, actor, detail FROM events WHERE kind = '"'box_released'"'").fetchone()
d = json.loads(detail)
files = db.execute("SELECT f.file_id, f.version, f.archive_sha256 FROM files f JOIN inventory i"
                   " ON i.file_id = f.file_id WHERE i.box = ? AND f.current = 1 ORDER BY 1", (sys.argv[1],)).fetchall()
assert d["box"] == sys.argv[1] and d["reason"] == "returned to the registry" and actor == "R. Keeper"
assert [(v["file_id"], v["version"], v["sha256"]) for v in d["versions"]] == [tuple(f) for f in files]
last, kind = db.execute("SELECT id, kind FROM events ORDER BY id DESC LIMIT 1").fetchone()
head = json.loads(db.execute("SELECT detail FROM events WHERE id = ?", (last,)).fetchone()[0])["head_id"]
assert kind == "seal" and head == eid' "$C" &&
  ok "the release event names each version and SHA-256; the next event seals it" || bad "release event"
rc=0; Q verify --pubkey k.pub.pem --ledger q.db --quiet >v.out 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "result: verified" v.out && ok "verify with the key: $(grep 'seals:' v.out | sed 's/^ *//')" ||
  bad "verify after release: exit $rc $(tail -5 v.out)"
rc=0; Q release mark "$C" --key k.pem --reason "again" --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "was released already" m.err && ok "a second release: exit 2" ||
  bad "second mark: exit $rc $(cat m.err)"
rc=0; Q release mark "$C" --key k.pem --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 2 ] && ok "no --reason: exit 2" || bad "no reason: exit $rc"
rc=0; Q release check --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "give --pubkey" m.err && ok "check without --pubkey: exit 2" || bad "no pubkey: exit $rc"
rc=0; Q release check --box NO-SUCH-BOX --pubkey k.pub.pem --ledger q.db >m.out 2>m.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "no box NO-SUCH-BOX" m.err && ok "unknown box: exit 2" || bad "unknown box: exit $rc $(cat m.err)"
Q release check --box "$C" --pubkey k.pub.pem --ledger q.db >c.out 2>&1
grep -q "^box $C: released" c.out && grep -q "released .* by R. Keeper: returned to the registry" c.out &&
  ok "check shows it released, by whom and why" || bad "released check: $(cat c.out)"
Q status --ledger q.db >s.out 2>&1
grep -Eq "^paper: +1 box released, [0-9]+ ready for release" s.out &&
  ok "status: $(grep '^paper:' s.out | tr -s ' ')" || bad "status: $(tail -3 s.out)"
Q status --json --ledger q.db >s.json 2>&1
$PY -c 'import json; d = json.load(open("s.json")); s = d.get("status", d)
assert s["boxes_released"] == 1 and s["boxes_ready"] >= 1, s' &&
  ok "status --json: boxes_released, boxes_ready" || bad "status --json: $(grep -o '"boxes_[a-z]*":[0-9]*' s.json)"
Q report --html r.html --ledger q.db >/dev/null 2>&1
grep -q 'data-key="boxes_released" data-value="1"' r.html && grep -q 'data-key="boxes_ready"' r.html &&
  ok "the report shows boxes released and ready" || bad "report: $(grep -o 'data-key="boxes[^>]*' r.html)"

# --- the transfer note -------------------------------------------------------------------
rc=0; Q evidence "$fc" --format json --ledger q.db >e1.json 2>e.err || rc=$?
Q evidence "$fc" --format json --ledger q.db >e2.json 2>/dev/null
[ "$rc" -eq 0 ] && cmp -s e1.json e2.json && ok "evidence --format json: exit 0, the same bytes twice" ||
  bad "evidence json: exit $rc $(cat e.err)"
$PY -c 'import json, sqlite3, sys
d = json.load(open("e1.json")); db = sqlite3.connect("q.db"); fid = sys.argv[1]
assert d["transfer_note"] == 1 and d["file_id"] == fid and d["version"] == 1
row = db.execute("SELECT id, archive_sha256, pages, batch FROM files WHERE file_id = ? AND current = 1", (fid,)).fetchone()
assert d["file"]["archive_sha256"] == row[1] and d["file"]["pages"] == row[2]
pages = db.execute("SELECT page, source, source_sha256 FROM pages WHERE outcome = ? ORDER BY page", (row[0],)).fetchall()
assert [(p["page"], p["source"], p["source_sha256"]) for p in d["pages"]] == pages
assert all(p["dpi"] and p["format"] and p["verdict"] for p in d["pages"])
assert len(d["measurements"]) == len(pages) and isinstance(d["measurements"][0]["metrics"], dict)
b = d["ingest"]; assert b["batch"] == row[3] and b["host"] and b["operator"] and b["quire_version"]
assert "[resolution]" in d["profile"]["profile"] and "min_dpi" in d["profile"]["profile"]
i = d["integrity"]; assert i["archive_sha256"] == row[1] and i["seal"] == 1 and len(i["sealed_head_hash"]) == 64
assert d["release"][0]["by"] == "R. Keeper" and d["release"][0]["box"] == sys.argv[2]
assert [e["kind"] for e in d["events"]][0] in ("archived", "faulty")' "$fc" "$C" &&
  ok "the note: file, pages and SHA-256s, measurements, batch, profile, seal 1, release" ||
  bad "note json: $(head -c 500 e1.json)"
Q evidence "$fa" --format json --ledger q.db >ea.json 2>/dev/null
$PY -c 'import json; d = json.load(open("ea.json"))
assert d["rescans"][0]["reason"] == "page 1 unreadable" and d["rescans"][0]["by"] == "reviewer"' &&
  ok "the note of $fa lists its rescan job, who and why" || bad "rescans: $(head -c 300 ea.json)"
rc=0; Q evidence "$fc" --ledger q.db >e.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "^Transfer note: $fc, archive version 1" e.txt &&
  grep -q "^Integrity: the archive, its event, its seal" e.txt && grep -q "min_dpi" e.txt &&
  ok "text: $(grep -c . e.txt) lines" || bad "text: exit $rc $(head -3 e.txt)"
rc=0; Q evidence "$fc" --format html --ledger q.db >e.html 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "@page{size:A4" e.html && ! grep -Eqi '<script|src=|href=|url\(' e.html &&
  $PY -c 'import html.parser, sys
class P(html.parser.HTMLParser):
    pass
P().feed(open("e.html", encoding="utf-8").read())' && grep -q "$(head -c 64 <<<"$($PY -c 'import json; print(json.load(open("e1.json"))["file"]["archive_sha256"])')")" e.html &&
  ok "html: self-contained, A4, the archive's SHA-256" || bad "html: exit $rc"
rc=0; Q evidence NO-SUCH-FILE --ledger q.db >/dev/null 2>e.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "knows no file NO-SUCH-FILE" e.err && ok "unknown file: exit 2, $(cat e.err)" ||
  bad "unknown file: exit $rc $(cat e.err)"
rc=0; Q evidence "$fc" --version 9 --ledger q.db >/dev/null 2>e.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "no archived version 9" e.err && ok "no such version: exit 2" || bad "version 9: exit $rc"
# The scanner's own tags: a G4 TIFF and a JPEG that carry Make, Model,
# Software and a date (TIFF tags, EXIF), one file of two pages.
mkdir -p sc/scans/SC-1
$PY - <<'EOF'
from PIL import Image, ImageDraw
im = Image.new("L", (2480, 3508), 255)
d = ImageDraw.Draw(im)
for y in range(300, 3200, 60):
    d.rectangle([250, y, 2200, y + 20], fill=0)
tags = {271: 'Fujitsu "fi"', 272: "fi-7160  ", 305: "PaperStream 2.1", 306: "2024:03:05 10:11:12"}
im.convert("1").save("sc/scans/SC-1/0001.tif", compression="group4", dpi=(300, 300), tiffinfo=tags)
exif = Image.Exif()
exif.update({271: "Canon", 272: "DR-G2140", 305: "CaptureOnTouch 5", 306: "2024:03:06 08:00:01"})
im.save("sc/scans/SC-1/0002.jpg", dpi=(300, 300), quality=90, exif=exif)
EOF
printf 'file_id,box,expected_pages\nSC-1,SC-BOX,2\n' >sc/manifest.csv
Q ingest -m sc/manifest.csv -o sc/out --ledger sc.db -q sc/scans >/dev/null 2>&1
Q evidence SC-1 --format json --ledger sc.db >sc.json 2>&1
$PY -c 'import json; d = json.load(open("sc.json")); s = d["scan"]
assert [x["page"] for x in s] == [1, 2], s
assert s[0] == {"page": 1, "scanned": "2024-03-05T10:11:12Z", "scanner_make": "Fujitsu \"fi\"",
                "scanner_model": "fi-7160", "scanner_software": "PaperStream 2.1"}, s[0]
assert s[1] == {"page": 2, "scanned": "2024-03-06T08:00:01Z", "scanner_make": "Canon",
                "scanner_model": "DR-G2140", "scanner_software": "CaptureOnTouch 5"}, s[1]' &&
  ok "the scan: date, make, model and software from the TIFF tags and the EXIF" ||
  bad "scanner tags: $(head -c 600 sc.json)"
Q help --commands | grep -qw evidence && Q help --commands | grep -qw release &&
  ok "quire help --commands lists evidence and release" || bad "help --commands"
e2e_finish
