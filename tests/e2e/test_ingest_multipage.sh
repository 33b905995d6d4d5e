#!/usr/bin/env bash
# Multi-page TIFF deliveries cut short: the pages before the damage are read
# and checked as usual; only the damaged page and the pages lost with it are
# `corrupt`, the fault names the file, and no missing_pages is claimed for
# pages whose number nobody can know.
#   1. our own delivery: four 4-page files, one cut inside page 3's directory;
#   2. the shared corpus's multipage batch (when ../shared exists), compared
#      with its truth by ingest_check.py.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init ingest-multipage

/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 4 --pages-min 4 \
  --pages-max 4 --seed 9 --out "$work/pages" >/dev/null || { echo "generator failed"; exit 1; }
mkdir -p "$work/d/scans"
# One multi-page TIFF per file; the second file is cut one byte into page 3's
# directory, so its directory chain breaks after page 2.
cut=$(/usr/bin/python3 - "$work/pages" "$work/d" <<'PY'
import csv, os, shutil, struct, sys
from PIL import Image
src, dst = sys.argv[1:3]
shutil.copy(os.path.join(src, "manifest.csv"), os.path.join(dst, "manifest.csv"))
ids = [r["file_id"] for r in csv.DictReader(open(os.path.join(src, "manifest.csv"), encoding="utf-8-sig"))]
for fid in ids:
    d = os.path.join(src, "scans", fid)
    frames = [Image.open(os.path.join(d, n)) for n in sorted(os.listdir(d))]
    frames = [f.convert("L") if f.mode not in ("1", "L") else f for f in frames]
    frames[0].save(os.path.join(dst, "scans", fid + ".tif"), save_all=True,
                   append_images=frames[1:], compression="tiff_adobe_deflate", dpi=(300, 300))
path = os.path.join(dst, "scans", ids[1] + ".tif")
data = open(path, "rb").read()
assert data[:2] == b"II"
ifd, offs = struct.unpack_from("<I", data, 4)[0], []
while ifd:
    offs.append(ifd)
    n = struct.unpack_from("<H", data, ifd)[0]
    ifd = struct.unpack_from("<I", data, ifd + 2 + 12 * n)[0]
assert len(offs) == 4
open(path, "wb").write(data[:offs[2] + 1])
print(ids[1])
PY
) || { echo "building the multi-page delivery failed"; exit 1; }
rc=0
"$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$work/out" --ledger "$work/q.db" \
  --layout multipage --quiet "$work/d/scans" >"$work/log" 2>&1 || rc=$?
faults=$("$QUIRE_BIN" export faults --ledger "$work/q.db")
pages=$("$QUIRE_BIN" export pages --ledger "$work/q.db")
good=$(grep -c "^$cut,[12],$cut.tif,[a-z0-9]*,[1-9]" <<<"$pages")
corrupt=$(grep "^$cut," <<<"$faults" | cut -d, -f2,3 | tr '\n' ' ')
archived=$("$QUIRE_BIN" export files --ledger "$work/q.db" | grep -c ',archived,')
if [ "$rc" -eq 1 ] && [ "$good" -eq 2 ] && [ "$corrupt" = "3,corrupt " ] && [ "$archived" -eq 3 ] &&
  grep -qF "$cut.tif: corrupt: TIFF directory chain broken after page 2" "$work/log"; then
  ok "cut in page 3: pages 1-2 read, faults: $corrupt; $archived other files archived"
  grep -F "$cut" "$work/log" | head -n 2
else
  bad "cut in page 3: exit $rc, $good pages read, faults: $corrupt, archived $archived; $(cat "$work/log")"
fi

if [ -f "${QUIRE_SHARED:-/nonexistent}/corpus/make_batch.py" ]; then
  (cd "$QUIRE_SHARED/corpus" && /usr/bin/python3 make_batch.py --src real --out "$work/mp" \
    --files 12 --pages-min 1 --pages-max 8 --seed 7 --faults 0.2 --layout multipage \
    >/dev/null 2>&1) || bad "make_batch failed"
  rc=0
  "$QUIRE_BIN" ingest --manifest "$work/mp/manifest.csv" --out "$work/mp-out" \
    --ledger "$work/mp.db" --jobs 2 --quiet "$work/mp/scans" >/dev/null 2>&1 || rc=$?
  if [ "$rc" -le 1 ] && /usr/bin/python3 "$QUIRE_SRC/tests/e2e/ingest_check.py" "$QUIRE_BIN" \
    "$work/mp.db" "$work/mp-out" "$work/mp/truth.json" >"$work/check.log" 2>&1; then
    ok "corpus multipage batch: $(grep -c '^damaged container' "$work/check.log") damaged containers, truth check passed"
  else
    bad "corpus multipage batch: exit $rc"
  fi
  grep -E '^(damaged|corrupt|missing|   )' "$work/check.log"
else
  echo "note: ../shared absent: corpus multipage batch skipped"
fi
e2e_finish
