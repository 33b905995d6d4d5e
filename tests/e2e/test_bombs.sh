#!/usr/bin/env bash
# Decompression bombs through the whole program: the tiled TIFF bomb of the
# issue (a 16 x 16 page made of one 65536 x 65536 deflate tile, 4 MB on disk,
# 4 GiB decoded) is refused by `quire convert` (exit 1, nothing written) and
# makes its file faulty in `quire ingest`, with the cap named; pages above
# the band size (a 6000 x 8000 RGB deflate TIFF, a 6000 x 8000 JPEG) are
# read band by band and archived at their full size, the JPEG's own bytes
# kept. Memory and time are measured by bench/rss_flat.sh, not here.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init bombs

/usr/bin/python3 - "$work" <<'PY' || { bad "making the bomb"; e2e_finish; }
import struct, sys, zlib
work = sys.argv[1]
# 4 GiB of zeros as one zlib stream, without compressing 4 GiB: after a full
# flush every further MiB of zeros compresses to the same bytes.
co, zero, n = zlib.compressobj(9), bytes(1 << 20), 65536 * 65536
first = co.compress(zero) + co.flush(zlib.Z_FULL_FLUSH)
rest = co.compress(zero) + co.flush(zlib.Z_FULL_FLUSH)
z = first + rest * (n // len(zero) - 1) + b"\x03\x00" + struct.pack(">I", ((n % 65521) << 16) | 1)
head = b"II*\x00" + struct.pack("<I", 8 + len(z) + (len(z) & 1))
body = z + b"\x00" * (len(z) & 1)
tags = [(256, 4, 1, 16), (257, 4, 1, 16), (258, 3, 1, 8), (259, 3, 1, 8), (262, 3, 1, 1),
        (277, 3, 1, 1), (322, 4, 1, 65536), (323, 4, 1, 65536), (324, 4, 1, 8), (325, 4, 1, len(z))]
ifd = struct.pack("<H", len(tags))
for t, ty, c, v in tags:
    ifd += struct.pack("<HHIHH", t, ty, c, v, 0) if ty == 3 else struct.pack("<HHII", t, ty, c, v)
open(work + "/tilebomb.tif", "wb").write(head + body + ifd + b"\x00" * 4)
PY
ls -l "$work/tilebomb.tif" | awk '{print "tile bomb: " $5 " bytes"}'

# convert: refused, the tile and the cap named, nothing written
rc=0
"$QUIRE_BIN" convert -o "$work/bomb.pdf" "$work/tilebomb.tif" >/dev/null 2>"$work/err" || rc=$?
[ "$rc" -eq 1 ] && ok "convert refuses the tile bomb (exit 1)" || bad "convert exit $rc (want 1)"
grep -q "tilebomb.tif: limit: TIFF tile 65536 x 65536 = 4294967296 pixels, above the cap of" "$work/err" &&
  ok "the message names the tile and the cap" || bad "message: $(cat "$work/err")"
[ ! -e "$work/bomb.pdf" ] && ok "nothing written" || bad "bomb.pdf written"

# ingest: the file is faulty (corrupt, the limit named), the rest of the delivery goes on
d="$work/dlv"
mkdir -p "$d/scans/F-BOMB" "$d/scans/F-BIG" "$d/scans/F-JPG"
cp "$work/tilebomb.tif" "$d/scans/F-BOMB/0001.tif"
/usr/bin/python3 "$QUIRE_SRC/bench/big_page.py" --width 6000 --height 8000 --dpi 600 --rps 32 \
  --out "$d/scans/F-BIG/0001.tif" || bad "big_page.py failed"
/usr/bin/python3 - "$d/scans/F-JPG/0001.jpg" <<'PY' || bad "making the large JPEG"
import sys
from PIL import Image, ImageDraw
im = Image.new("RGB", (6000, 8000), (236, 234, 226))
dr = ImageDraw.Draw(im)
for y in range(800, 7200, 120):
    for x in range(600, 5400, 180):
        dr.rectangle([x, y, x + 120, y + 24], fill=(30, 32, 60))
im.save(sys.argv[1], quality=85, dpi=(600, 600))
PY
printf 'file_id,expected_pages\nF-BOMB,1\nF-BIG,1\nF-JPG,1\n' >"$d/manifest.csv"
rc=0
"$QUIRE_BIN" ingest --manifest "$d/manifest.csv" --out "$work/out" --ledger "$work/q.db" \
  --jobs 2 --quiet "$d/scans" >"$work/ingest.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && ok "ingest: exit 1 (one faulty file)" || bad "ingest exit $rc (want 1): $(tail -3 "$work/ingest.out")"
"$QUIRE_BIN" faults --format csv --ledger "$work/q.db" >"$work/faults.csv"
grep -q '^F-BOMB,1,corrupt,.*limit: TIFF tile 65536 x 65536' "$work/faults.csv" &&
  ok "F-BOMB: corrupt, the tile's limit named" || bad "faults: $(cat "$work/faults.csv")"
"$QUIRE_BIN" export pages --ledger "$work/q.db" >"$work/pages.csv"
for f in F-BIG F-JPG; do
  line=$(grep "^$f,1," "$work/pages.csv")
  echo "$line" | awk -F, '$5 == 6000 && $6 == 8000 && $7 == 600 && $11 == "ok"' | grep -q . &&
    ok "$f: 6000 x 8000 at 600 dpi, analysed ok" || bad "$f: $line"
  [ -f "$work/out/$f.pdf" ] && ok "$f archived" || bad "$f not archived"
done
if command -v pdfimages >/dev/null; then
  pdfimages -list "$work/out/F-BIG.pdf" 2>/dev/null | awk 'NR > 2 && $4 == 6000 && $5 == 8000 && $9 == "jpeg"' |
    grep -q . && ok "F-BIG: one 6000 x 8000 JPEG, encoded band by band" ||
    bad "F-BIG images: $(pdfimages -list "$work/out/F-BIG.pdf" 2>&1 | tail -1)"
fi
/usr/bin/python3 - "$work/out/F-JPG.pdf" "$d/scans/F-JPG/0001.jpg" <<'PY' &&
import sys
pdf, jpg = (open(p, "rb").read() for p in sys.argv[1:3])
sys.exit(0 if jpg in pdf else 1)
PY
  ok "F-JPG: the scanner's JPEG bytes kept" || bad "F-JPG: the JPEG was not passed through"

# convert of the large TIFF: the same size, in bands
rc=0
"$QUIRE_BIN" convert -o "$work/big.pdf" "$d/scans/F-BIG/0001.tif" >/dev/null 2>"$work/err" || rc=$?
[ "$rc" -eq 0 ] && pdfinfo "$work/big.pdf" 2>/dev/null | grep -q "Page size: *720 x 960 pts" &&
  ok "convert: the large page at 720 x 960 pt" || bad "convert exit $rc: $(cat "$work/err")"
e2e_finish
