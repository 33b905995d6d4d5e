#!/usr/bin/env bash
# Checks one archive the way a records office would: the PDF/A checker from
# ../shared (when QUIRE_SHARED points at it) and five independent readers
# (qpdf, poppler's pdfinfo and pdftoppm, MuPDF, Ghostscript). Any non-zero
# exit, any output on stderr, and any warning a renderer prints, fails.
#
# usage: check_archive.sh ARCHIVE.pdf [2b|1b|3b]    (exit 0 pass, 1 fail, 2 usage)
# Prints one line: "ok: ARCHIVE (2b): pdfa_check qpdf pdfinfo[N pages] pdftoppm mutool gs".
set -uo pipefail
pdf=${1:-}
flavour=${2:-2b}
[ -f "$pdf" ] || { echo "usage: $0 ARCHIVE.pdf [2b|1b|3b]" >&2; exit 2; }
case "$flavour" in 1b|2b|3b) ;; *) echo "check_archive.sh: flavour must be 1b, 2b or 3b" >&2; exit 2 ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quire-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
done_list=() problems=()

# run NAME QUIET CMD...: QUIET=1 means stdout must be empty too.
# Debian 12's MuPDF is built without colour management and prints
# "warning: ICC support is not available" for every document, ICC or not
# (even a plain DeviceGray PDF): that one exact line says nothing about the
# archive and is dropped; any other line fails.
mupdf_noise='^warning: ICC support is not available$'
run() {
  local name=$1 quiet=$2 rc=0
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err.raw" || rc=$?
  if [ "$name" = mutool ]; then grep -v -- "$mupdf_noise" "$tmp/err.raw" >"$tmp/err" || true
  else mv "$tmp/err.raw" "$tmp/err"; fi
  if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ] || { [ "$quiet" = 1 ] && [ -s "$tmp/out" ]; }; then
    problems+=("$name: exit $rc; $(head -c 600 "$tmp/err" "$tmp/out" | tr '\n' ' ')")
    return 1
  fi
  done_list+=("$name")
}

shared=${QUIRE_SHARED:-}
if [ -n "$shared" ] && [ -f "$shared/tools/pdfa_check.py" ]; then
  run pdfa_check 0 /usr/bin/python3 "$shared/tools/pdfa_check.py" --flavour "$flavour" "$pdf"
else
  done_list+=("(pdfa_check skipped: no ../shared)")
fi
if run qpdf 0 qpdf --check "$pdf" && grep -qi warning "$tmp/out"; then
  problems+=("qpdf: $(grep -i warning "$tmp/out" | head -3 | tr '\n' ' ')")
fi
if run pdfinfo 0 pdfinfo "$pdf"; then
  pages=$(awk '/^Pages:/ {print $2}' "$tmp/out")
  want=$(awk '/^PDF version:/ {print $3}' "$tmp/out")
  done_list[${#done_list[@]}-1]="pdfinfo[$pages pages, PDF $want]"
fi
run pdftoppm 1 pdftoppm -r 24 -gray "$pdf" "$tmp/p"
run mutool 1 mutool draw -q -r 24 -o "$tmp/m%d.png" "$pdf"
run gs 1 gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pgmraw -r24 -o "$tmp/g%d.pgm" "$pdf"

if [ ${#problems[@]} -gt 0 ]; then
  echo "FAIL: $pdf ($flavour):"
  printf '  %s\n' "${problems[@]}"
  exit 1
fi
echo "ok: $pdf ($flavour): ${done_list[*]}"
