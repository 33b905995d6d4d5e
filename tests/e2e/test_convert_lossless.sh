#!/usr/bin/env bash
# The lossless paths of `quire convert` are exact on the real corpus: every
# bitonal page comes back from the archive pixel-identical to the source, and
# every JPEG that needs no rotation and is not CMYK is stored byte for byte
# (see lossless_check.py).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
corpus=$(e2e_corpus) || e2e_skip "no ../shared corpus (QUIRE_SHARED=${QUIRE_SHARED:-unset})"
e2e_init convert-lossless
: >"$work/list"
skipped=0
for f in "$corpus"/*; do
  e2e_is_image "$f" || continue
  out="$work/$(basename "$f").pdf"
  if "$QUIRE_BIN" convert -o "$out" "$f" >/dev/null 2>&1; then
    printf '%s\t%s\n' "$f" "$out" >>"$work/list"
  else
    skipped=$((skipped + 1)) # rejected inputs are covered by test_convert_corpus.sh
  fi
done
echo "converted $(wc -l <"$work/list") corpus images ($skipped rejected by quire, not compared)"
if /usr/bin/python3 "$QUIRE_SRC/tests/e2e/lossless_check.py" "$work/list"; then
  ok "lossless paths exact on the corpus"
else
  bad "lossless paths"
fi
e2e_finish
