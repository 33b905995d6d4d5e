#!/usr/bin/env bash
# The ingest engine's threads under every hand-off it has, on a delivery
# small enough to run under ThreadSanitizer (.ci/run's build-tsan runs this
# test; a race report makes quire exit 66 and the check fail):
#   - reader, four workers, assembler and ledger thread with a read-ahead
#     budget of 1 MiB and 2 reads in flight, so the reader waits for buffers
#     the workers release, with io_uring and with pread: the same archives;
#   - a zip box (members read on the reader thread) and a multi-page TIFF
#     (one source, many pages to put back in order);
#   - a corrupt page among good ones (exit 1);
#   - a full disk early in the run, so the engine stops while the reader
#     and the workers are busy (exit 3), then a rerun that completes;
#   - a rerun with everything up to date.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init ingest-threads
cd "$work"
: "${QUIRE_FAILSHIM:?QUIRE_FAILSHIM must name the fault-injection preload}"
PY=/usr/bin/python3
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"

$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 12 --pages-min 1 --pages-max 3 \
  --pool 6 --seed 12 --out d >/dev/null
ingest() { # NAME DELIVERY-DIR MANIFEST [args]: ledger NAME.db, output NAME/
  local n=$1 dir=$2 m=$3
  shift 3
  "$QUIRE_BIN" ingest -m "$m" -o "$n" --ledger "$n.db" --jobs 4 --io-depth 2 \
    --io-bytes 1048576 -q "$@" "$dir" 2>"$n.err"
}
check() { # WHAT WANT-EXIT RC NAME
  local what=$1 want=$2 rc=$3 n=$4
  [ "$rc" -eq "$want" ] && ! grep -q "Sanitizer" "$n.err" && ok "$what: exit $rc" ||
    bad "$what: exit $rc (want $want): $(head -c 2000 "$n.err")"
}
sums() { (cd "$1" && sha256sum ./*.pdf); }

rc=0; ingest uring d/scans d/manifest.csv || rc=$?
check "12 files, 4 workers, 1 MiB read-ahead, io_uring or its fallback" 0 "$rc" uring
rc=0; QUIRE_IO=pread ingest pread d/scans d/manifest.csv || rc=$?
check "the same with pread" 0 "$rc" pread
[ "$(sums uring)" = "$(sums pread)" ] && ok "io_uring and pread give the same archives" ||
  bad "io_uring and pread archives differ"
rc=0; ingest uring d/scans d/manifest.csv || rc=$?
check "a rerun with everything up to date" 0 "$rc" uring

# A zip box, and the first file as one multi-page TIFF.
mkdir -p z/scans m/scans
$PY - <<'EOF'
import csv, os, zipfile
from PIL import Image
ids = [r["file_id"] for r in csv.DictReader(open("d/manifest.csv", encoding="utf-8-sig"))]
with zipfile.ZipFile("z/scans/BOX-1.zip", "w") as z:
    for fid in ids:
        for n in sorted(os.listdir("d/scans/" + fid)):
            z.write(os.path.join("d/scans", fid, n), fid + "/" + n)
pages = []
for fid in ids:
    pages += [os.path.join("d/scans", fid, n) for n in sorted(os.listdir("d/scans/" + fid))]
frames = [Image.open(p).convert("L") for p in pages[:8]]
frames[0].save("m/scans/MULTI.tif", save_all=True, append_images=frames[1:],
               compression="tiff_adobe_deflate", dpi=(300, 300))
open("m/manifest.csv", "w").write("file_id,expected_pages\nMULTI,8\n")
EOF
rc=0; ingest zip z/scans d/manifest.csv --layout zip || rc=$?
check "a zip box read on the reader thread" 0 "$rc" zip
[ "$(ls zip | grep -c '\.pdf$')" = 12 ] && ok "the zip box gives 12 archives" ||
  bad "zip box: $(ls zip)"
rc=0; ingest multi m/scans m/manifest.csv --layout multipage || rc=$?
check "an 8-page multi-page TIFF put back in order" 0 "$rc" multi
[ "$(e2e_pages multi/MULTI.pdf)" = 8 ] && ok "MULTI.pdf has 8 pages" || bad "MULTI.pdf pages"

# A corrupt page among good ones.
cp -r d c
victim=$(find c/scans -type f | sort | sed -n 5p)
head -c 400 "$victim" >c/cut && mv c/cut "$victim"
rc=0; ingest corrupt c/scans c/manifest.csv || rc=$?
check "a corrupt page among good ones" 1 "$rc" corrupt

# A full disk at the first write: the engine stops while the reader and the
# workers are busy.
rc=0
LD_PRELOAD=$QUIRE_FAILSHIM QR_FAIL_PATH="$work/full/" QR_FAIL_OP=write QR_FAIL_ERRNO=ENOSPC \
  QR_FAIL_NTH=1 ingest "$work/full" d/scans d/manifest.csv || rc=$?
check "ENOSPC at the first write" 3 "$rc" "$work/full"
rc=0; ingest "$work/full" d/scans d/manifest.csv || rc=$?
check "the rerun after ENOSPC" 0 "$rc" "$work/full"
[ "$(sums uring)" = "$(sums full)" ] && ok "the rerun's archives are the clean run's" ||
  bad "archives after ENOSPC differ"

e2e_finish
