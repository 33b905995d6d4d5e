#!/usr/bin/env bash
# `quire ingest` reads real-world images as `quire convert` does (see
# test_convert_real_images.sh): a JPEG with junk between its header segments
# is decoded (its faults are the page's own, not "corrupt"); a page with no
# resolution tag too small for PDF at the assumed 300 dpi is a corrupt fault
# that says so (and names --assume-dpi N, which ingest takes).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init ingest-real-images
/usr/bin/python3 "$QUIRE_SRC/tools/make_real_images.py" --out "$work/img" >/dev/null ||
  { bad "make_real_images.py failed"; e2e_finish; }
mkdir -p "$work/scans/F-junk" "$work/scans/F-nodpi"
cp "$work/img/jpeg_ff00_header.jpg" "$work/scans/F-junk/0001.jpg"
cp "$work/img/nodpi.png" "$work/scans/F-nodpi/0001.png"
printf 'file_id,expected_pages\nF-junk,1\nF-nodpi,1\n' >"$work/m.csv"

faults() { # the run's faults as CSV rows
  "$QUIRE_BIN" faults --format csv --ledger "$work/q.db" 2>&1
}
"$QUIRE_BIN" ingest --quiet --manifest "$work/m.csv" --out "$work/out" --ledger "$work/q.db" \
  "$work/scans" >"$work/log" 2>&1
faults >"$work/f1.csv"
grep -q '^F-junk,1,corrupt' "$work/f1.csv" && bad "junk JPEG header: corrupt: $(cat "$work/f1.csv")" ||
  ok "junk JPEG header: decoded (faults: $(grep -c '^F-junk' "$work/f1.csv") quality ones)"
grep -q '^F-nodpi,1,corrupt,.*no resolution tag; at the assumed 300 dpi the page is 0.03 x 0.02 in' \
  "$work/f1.csv" && grep -q "under PDF's minimum of 3 pt" "$work/f1.csv" &&
  ok "no resolution tag: the fault says so, with the page's size" ||
  bad "no resolution tag: $(grep '^F-nodpi' "$work/f1.csv")"

rm -f "$work/q.db"
rc=0
"$QUIRE_BIN" ingest --quiet --assume-dpi 10 --manifest "$work/m.csv" --out "$work/out" \
  --ledger "$work/q.db" "$work/scans" >"$work/log" 2>&1 || rc=$?
faults >"$work/f2.csv"
[ "$rc" -eq 2 ] || ! grep -q '^F-nodpi' "$work/f2.csv" || grep -q 'no resolution tag' "$work/f2.csv" &&
  bad "--assume-dpi 10 not taken: $(grep '^F-nodpi' "$work/f2.csv")" ||
  ok "--assume-dpi 10: the page is no longer refused for its resolution"
e2e_finish
