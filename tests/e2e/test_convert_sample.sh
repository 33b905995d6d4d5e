#!/usr/bin/env bash
# `quire convert` on pages from the project's own generator (works without
# ../shared): two runs give byte-identical archives, an A4 page at 300 dpi is
# 595 x 842 pt (+-1), every archive passes check_archive.sh in both flavours,
# and the lossless paths are exact (lossless_check.py).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init convert-sample
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --pages 8 --seed 5 --out "$work/pages" >/dev/null ||
  { bad "make_sample.py failed"; e2e_finish; }
mapfile -t pages < <(ls "$work/pages"/page-* | sort)
echo "sample: ${#pages[@]} pages from tools/make_sample.py"
[ -n "${QUIRE_SHARED:-}" ] && [ -d "$QUIRE_SHARED/tools" ] || echo "note: ../shared absent: pdfa_check part skipped"

for fl in 2b 1b; do
  for run in 1 2; do # same output name (it is the default title) in two directories
    mkdir -p "$work/run$run"
    "$QUIRE_BIN" convert --pdfa "$fl" -o "$work/run$run/all-$fl.pdf" "${pages[@]}" >/dev/null ||
      bad "convert ($fl, run $run) exited $?"
  done
  cp "$work/run1/all-$fl.pdf" "$work/all-$fl-1.pdf"
  cmp -s "$work/run1/all-$fl.pdf" "$work/run2/all-$fl.pdf" &&
    ok "$fl: two runs byte-identical ($(stat -c %s "$work/all-$fl-1.pdf") bytes)" ||
    bad "$fl: two runs differ"
  [ "$(e2e_pages "$work/all-$fl-1.pdf")" = "${#pages[@]}" ] && ok "$fl: ${#pages[@]} pages" ||
    bad "$fl: page count $(e2e_pages "$work/all-$fl-1.pdf"), want ${#pages[@]}"
  e2e_check_archive "$work/all-$fl-1.pdf" "$fl"
done
"$QUIRE_BIN" convert --lossless -o "$work/lossless.pdf" "${pages[@]}" >/dev/null &&
  e2e_check_archive "$work/lossless.pdf" 2b || bad "convert --lossless exited non-zero"

# Page size from the resolution: A4 at 300 dpi (page-0001.tif) and Letter (page-0004.tif).
size_ok() { # PDF W H
  pdfinfo "$1" | awk -v w="$2" -v h="$3" '/^Page size:/ {
    d1 = $3 - w; d2 = $5 - h; exit !(d1 <= 1 && d1 >= -1 && d2 <= 1 && d2 >= -1) }'
}
: >"$work/list"
for p in "${pages[@]}"; do
  out="$work/$(basename "$p").pdf"
  "$QUIRE_BIN" convert -o "$out" "$p" >/dev/null || { bad "convert $p"; continue; }
  printf '%s\t%s\n' "$p" "$out" >>"$work/list"
done
size_ok "$work/page-0001.tif.pdf" 595 842 && ok "A4 at 300 dpi: $(pdfinfo "$work/page-0001.tif.pdf" | grep 'Page size')" ||
  bad "A4 page size: $(pdfinfo "$work/page-0001.tif.pdf" | grep 'Page size')"
size_ok "$work/page-0004.tif.pdf" 612 792 && ok "Letter at 300 dpi: 612 x 792 pt" ||
  bad "Letter page size: $(pdfinfo "$work/page-0004.tif.pdf" | grep 'Page size')"
/usr/bin/python3 "$QUIRE_SRC/tests/e2e/lossless_check.py" "$work/list" && ok "lossless paths exact" ||
  bad "lossless paths"
title=$(pdfinfo "$work/run1/all-2b.pdf" | awk -F': *' '/^Title:/ {print $2}')
[ "$title" = "all-2b" ] && ok "default title is the output's base name" || bad "title '$title'"
e2e_finish
