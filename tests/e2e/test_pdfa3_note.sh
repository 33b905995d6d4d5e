#!/bin/bash
# PDF/A-3b archives carry their transfer note (issue 20, "Must show" 3).
#
# A small generated delivery, and one file whose images carry the scanner's
# TIFF and EXIF tags, are ingested with --pdfa 3b. Each archive passes
# the PDF/A checker as 3b and the readers (check_archive.sh), lists exactly
# one attachment, transfer-note.json, and that note, extracted with qpdf,
# equals `quire evidence FILE_ID --format json` on every field it carries:
# the sections file, ingest, pages, scan, measurements and profile, value
# for value. Left out of the embedded note, by design (README, "PDF/A-3b"):
# file.box, title, manifest_columns, listed_by, archive, archive_sha256, archived_at,
# current_version; ingest.batch, started, ended, status, host, operator,
# delivery, command; pages.batch, origin_batch; and the sections faults,
# overrides, rescans, lineage, events, integrity and release.
# Determinism: a second ingest of the same delivery into a fresh ledger, one
# with --out spelled as an absolute path, and runs killed with kill -9 at
# five points (mid-archive, after 1, 4, 9, 13 archives) and rerun write the
# same archive bytes; quire verify --deep accepts
# the 3b archives. A 2b
# archive of the same delivery carries no attachment and says part 2.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init pdfa3_note
cd "$work" || exit 1
PY=/usr/bin/python3
command -v qpdf >/dev/null || e2e_skip "qpdf not installed"
$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 6 --pages-min 1 --pages-max 3 \
  --pool 6 --seed 7 --out dlv >/dev/null || e2e_skip "make_sample.py failed (python3-pil, numpy?)"
# The scanner's own tags (TIFF and EXIF), so the scan section carries values.
mkdir -p sc/scans/SC-1
$PY - <<'PYEOF'
from PIL import Image, ImageDraw
im = Image.new("L", (2480, 3508), 255)
d = ImageDraw.Draw(im)
for y in range(300, 3200, 60):
    d.rectangle([250, y, 2200, y + 20], fill=0)
tags = {271: 'Fujitsu "fi"', 272: "fi-7160", 305: "PaperStream 2.1", 306: "2024:03:05 10:11:12"}
im.convert("1").save("sc/scans/SC-1/0001.tif", compression="group4", dpi=(300, 300), tiffinfo=tags)
exif = Image.Exif()
exif.update({271: "Canon", 272: "DR-G2140", 305: "CaptureOnTouch 5", 306: "2024:03:06 08:00:01"})
im.save("sc/scans/SC-1/0002.jpg", dpi=(300, 300), quality=90, exif=exif)
PYEOF
printf 'file_id,box,expected_pages\nSC-1,SC-BOX,2\n' >sc/manifest.csv
ingest() { # DIR DELIVERY [ARGS...]: ingest DELIVERY into DIR/out with DIR/q.db
  local d=$1 dlv=$2
  shift 2
  mkdir -p "$d" && (cd "$d" && "$QUIRE_BIN" ingest --manifest "../$dlv/manifest.csv" --out out \
    --ledger q.db --quiet --jobs 2 "$@" "../$dlv/scans")
}
for d in a s; do
  dlv=dlv; [ "$d" = s ] && dlv=sc
  ingest "$d" "$dlv" --pdfa 3b >/dev/null 2>"$d.err"; rc=$?
  [ "$rc" -le 1 ] && ok "ingest --pdfa 3b of $dlv (exit $rc)" ||
    { bad "ingest --pdfa 3b of $dlv: exit $rc"; cat "$d.err"; e2e_finish; }
done
grep -q '"scanner_make":"Canon"' <(qpdf --show-attachment=transfer-note.json s/out/SC-1.pdf) &&
  ok "the note carries the scanner's tags" || bad "SC-1: no scanner tags in the note"
n=0
for pdf in a/out/*.pdf s/out/*.pdf; do
  id=$(basename "$pdf" .pdf) d=${pdf%%/*}
  n=$((n + 1))
  e2e_check_archive "$pdf" 3b
  att=$(qpdf --list-attachments "$pdf" | sed 's/ ->.*//')
  [ "$att" = transfer-note.json ] || bad "$id: attachments '$att'"
  qpdf --show-attachment=transfer-note.json "$pdf" >"note-$id.json" || bad "$id: extract"
  (cd "$d" && "$QUIRE_BIN" evidence "$id" --ledger q.db --format json) >"ev-$id.json" ||
    bad "$id: quire evidence"
  if out=$($PY - "note-$id.json" "ev-$id.json" <<'PYEOF'
import json, sys
note, ev = (json.load(open(p)) for p in sys.argv[1:3])
want = {"file", "ingest", "pages", "scan", "measurements", "profile"}
keys = set(note) - {"transfer_note", "file_id", "version"}
if keys != want:
    sys.exit("sections %s, want %s" % (sorted(keys), sorted(want)))
n = 0
for k in ("transfer_note", "file_id", "version"):
    if note[k] != ev[k]:
        sys.exit("%s: %r != %r" % (k, note[k], ev[k]))
for sec in sorted(want):
    a, b = note[sec], ev[sec]
    rows_a, rows_b = (a, b) if isinstance(a, list) else ([a], [b])
    if len(rows_a) != len(rows_b):
        sys.exit("%s: %d rows, evidence %d" % (sec, len(rows_a), len(rows_b)))
    for ra, rb in zip(rows_a, rows_b):
        for col, v in ra.items():
            if col not in rb or rb[col] != v:
                sys.exit("%s.%s: note %r, evidence %r" % (sec, col, v, rb.get(col)))
            n += 1
print(n)
PYEOF
  ); then
    ok "$id: the embedded note equals quire evidence on its $out values"
  else
    bad "$id: $out"
  fi
done
[ "$n" -ge 4 ] && ok "$n archives checked" || bad "only $n archives"

# --- determinism ------------------------------------------------------------------------
ingest b dlv --pdfa 3b >/dev/null 2>&1
same() { # DIR: its archives are a's, byte for byte
  local f d=0
  for f in a/out/*.pdf; do cmp -s "$f" "$1/out/$(basename "$f")" || d=$((d + 1)); done
  [ "$d" -eq 0 ] && [ "$(ls "$1/out" | wc -l)" -eq "$(ls a/out | wc -l)" ]
}
same b && ok "a second run writes the same 3b archives" || bad "second run differs"
mkdir -p o
(cd o && "$QUIRE_BIN" ingest --manifest ../dlv/manifest.csv --out "$PWD/out" --ledger q.db \
  --quiet --jobs 2 --pdfa 3b ../dlv/scans) >/dev/null 2>&1
same o && ok "--out spelled as an absolute path: the same 3b archives" || bad "--out spelling changes the archives"
# kill -9 once N archives are in place (N = 0: once the first temporary
# file exists, mid-archive), rerun, compare with an uninterrupted run.
$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 16 --pages-min 2 --pages-max 5 \
  --seed 9 --out kdlv >/dev/null || bad "make_sample.py (kill delivery)"
ingest kref kdlv --pdfa 3b >/dev/null 2>&1
nref=$(ls kref/out | wc -l)
for at in 0 1 4 9 13; do
  mkdir -p "k$at"
  (cd "k$at" && exec "$QUIRE_BIN" ingest --manifest ../kdlv/manifest.csv --out out \
    --ledger q.db --quiet --jobs 2 --pdfa 3b ../kdlv/scans) >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 2000); do
    if [ "$at" -eq 0 ]; then [ -n "$(find "k$at/out/.quire-tmp" -type f 2>/dev/null)" ] && break
    else [ "$(ls "k$at/out" 2>/dev/null | wc -l)" -ge "$at" ] && break; fi
    sleep 0.005
  done
  kill -9 "$pid" 2>/dev/null && killed="killed with $(ls "k$at/out" | wc -l) archives" ||
    killed="finished before the kill"
  wait "$pid" 2>/dev/null
  ingest "k$at" kdlv --pdfa 3b >/dev/null 2>&1
  d=0
  for f in kref/out/*.pdf; do cmp -s "$f" "k$at/out/$(basename "$f")" || d=$((d + 1)); done
  [ "$d" -eq 0 ] && [ "$(ls "k$at/out" | wc -l)" -eq "$nref" ] &&
    ok "kill -9 at $at ($killed), rerun: the same $nref 3b archives" ||
    bad "kill -9 at $at ($killed), rerun: $d of $nref archives differ"
done
(cd a && "$QUIRE_BIN" verify --deep --ledger q.db --archives out) >verify.out 2>&1 &&
  ok "quire verify --deep: $(grep 'result:' verify.out)" || bad "verify --deep: $(tail -3 verify.out)"

# --- 2b stays 2b ----------------------------------------------------------------------------
ingest d dlv >/dev/null 2>&1
pdf=$(ls d/out/*.pdf | head -1)
[ -z "$(qpdf --list-attachments "$pdf" | grep -v 'has no embedded files')" ] &&
  grep -aq '<pdfaid:part>2</pdfaid:part>' "$pdf" && ok "2b: no attachment, part 2" ||
  bad "2b archive changed"
rc=0; "$QUIRE_BIN" ingest --pdfa 3u --manifest dlv/manifest.csv --out e dlv/scans \
  >/dev/null 2>u.err || rc=$?
[ "$rc" -eq 2 ] && grep -q "2b, 1b or 3b" u.err && ok "--pdfa 3u: usage error" ||
  bad "--pdfa 3u exit $rc"
e2e_finish
