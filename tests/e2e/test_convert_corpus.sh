#!/usr/bin/env bash
# `quire convert` on every image of the real corpus (../shared/corpus/real):
# one archive per image and one archive of all decodable images, in PDF/A-2b
# and PDF/A-1b; every archive passes check_archive.sh (PDF/A checker, qpdf,
# pdfinfo, pdftoppm, mutool, Ghostscript). Inputs quire rejects must be
# rejected cleanly (exit 1, the file named, no output and no temporary file),
# and only the ones listed below may be rejected. Broken copies of real files
# (truncated, zeroed header, not an image, empty, missing) are rejected the
# same way, alone and mixed with good inputs.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
corpus=$(e2e_corpus) || e2e_skip "no ../shared corpus (QUIRE_SHARED=${QUIRE_SHARED:-unset})"
e2e_init convert-corpus

# Corpus files quire rejects by design, with the reason checked in the message.
declare -A rejected=(
  [libtiff_testfax3_bug54_1dnoEOL.tif]="unsupported: TIFF CCITT G3 1-D data without EOL"
  [libtiff_test_two_ifds.tif]="unsupported: no resolution tag; at the assumed 300 dpi the page is 0.0033 x 0.0033 in"
)

images=()
for f in "$corpus"/*; do e2e_is_image "$f" && images+=("$f"); done
echo "corpus: ${#images[@]} images in $corpus"
good=()
total_pages=0
for f in "${images[@]}"; do
  b=$(basename "$f")
  if [ -n "${rejected[$b]:-}" ]; then
    for fl in 2b 1b; do
      mkdir -p "$work/rej-$fl"
      E2E_EXPECT_NAMED="$f" convert_fails "$b ($fl)" "$work/rej-$fl/$b.pdf" --pdfa "$fl" "$f"
      grep -qF "${rejected[$b]}" "$work/stderr" || bad "$b: message lacks '${rejected[$b]}'"
    done
    continue
  fi
  good+=("$f")
  for fl in 2b 1b; do
    mkdir -p "$work/one-$fl"
    out="$work/one-$fl/$b.pdf"
    if "$QUIRE_BIN" convert --pdfa "$fl" -o "$out" "$f" >/dev/null 2>"$work/stderr" &&
      [ ! -s "$work/stderr" ]; then
      e2e_check_archive "$out" "$fl"
    else
      bad "convert $b ($fl): $(head -c 400 "$work/stderr")"
    fi
  done
  total_pages=$((total_pages + $(e2e_pages "$work/one-2b/$b.pdf" || echo 0)))
done
echo "per-image archives: ${#good[@]} images x 2 flavours, $total_pages pages"

for fl in 2b 1b; do
  out="$work/all-$fl.pdf"
  if "$QUIRE_BIN" convert --pdfa "$fl" --title "corpus, all images" -o "$out" "${good[@]}" \
    >/dev/null 2>"$work/stderr"; then
    n=$(e2e_pages "$out")
    [ "$n" = "$total_pages" ] && ok "all-$fl: $n pages = sum of the per-image archives" ||
      bad "all-$fl: $n pages, want $total_pages"
    e2e_check_archive "$out" "$fl"
  else
    bad "convert all ($fl): $(head -c 400 "$work/stderr")"
  fi
done

# Broken inputs made from real files.
bk="$work/broken" && mkdir -p "$bk" "$work/out"
head -c 20000 "$corpus/lept_cat.035.jpg" >"$bk/truncated.jpg"
head -c 30000 "$corpus/lept_feyn.tif" >"$bk/truncated.tif"
head -c 40000 "$corpus/lept_patent.png" >"$bk/truncated.png"
{ head -c 0 /dev/null; printf '\0\0\0\0'; tail -c +5 "$corpus/lept_feyn.tif"; } >"$bk/zeroed-magic.tif"
{ printf '\xff\xd8'; head -c 64 /dev/zero; tail -c +67 "$corpus/lept_cat.035.jpg"; } >"$bk/bad-header.jpg"
cp "$corpus/SOURCES.md" "$bk/not-an-image.tif"
: >"$bk/empty.png"
broken=("$bk"/*)
for f in "${broken[@]}" "$bk/missing.jpg" "$corpus"/sources.json; do
  E2E_EXPECT_NAMED="$f" convert_fails "$(basename "$f")" "$work/out/x.pdf" "$f"
done
E2E_EXPECT_NAMED="${broken[*]}" convert_fails "good and broken mixed" "$work/out/mixed.pdf" \
  "$corpus/lept_feyn.tif" "${broken[@]}" "$corpus/lept_cat.035.jpg"
grep -qF "quire convert: $corpus/lept_feyn.tif:" "$work/stderr" &&
  bad "mixed: a good input was reported" || ok "mixed: only the ${#broken[@]} broken inputs named"

# Usage errors exit 2 and write nothing.
for args in "--pdfa 3u -o $work/out/u.pdf $corpus/lept_feyn.tif" "$corpus/lept_feyn.tif" \
  "-o $work/out/u.pdf" "--jpeg-quality 0 -o $work/out/u.pdf $corpus/lept_feyn.tif"; do
  rc=0
  # shellcheck disable=SC2086
  "$QUIRE_BIN" convert $args >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] && [ ! -e "$work/out/u.pdf" ] && ok "usage error exits 2: convert $args" ||
    bad "convert $args: exit $rc"
done
e2e_finish
