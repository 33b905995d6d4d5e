#!/usr/bin/env bash
# pdf_check.sh REPLAY_PDF DIR...: the PDFs the PDF writer's fuzz target makes
# from its seeds and regression inputs must be valid. The target itself only
# checks return codes (it runs millions of times); here each input is
# replayed once with QUIRE_FUZZ_PDF_OUT set, so every finished PDF is kept,
# and each must pass `qpdf --check` with no warning, and its XMP packet must be
# well-formed XML (pikepdf, when installed). REPLAY_PDF may also be the
# libFuzzer binary fuzz_pdf (it takes the same folders with -runs=0).
# Exit 77 (skipped) without qpdf.
set -euo pipefail
replay=$1
shift
command -v qpdf >/dev/null || { echo "qpdf not installed: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=("$@")
case "$(basename "$replay")" in fuzz_*) args=(-runs=0 "$@") ;; esac
QUIRE_FUZZ_PDF_OUT=$out "$replay" "${args[@]}" 2>"$out/replay.log" ||
  { cat "$out/replay.log"; exit 1; }
n=0 bad=0
for pdf in "$out"/*.pdf; do
  [ -e "$pdf" ] || continue
  n=$((n + 1))
  if ! msg=$(qpdf --check "$pdf" 2>&1); then
    bad=$((bad + 1))
    echo "qpdf --check failed on $(basename "$pdf"):"
    echo "$msg" | head -20
  fi
done
[ "$n" -gt 0 ] || { echo "no PDF was written"; exit 1; }
if /usr/bin/python3 -c 'import pikepdf' 2>/dev/null; then
  /usr/bin/python3 - "$out" <<'PY' || bad=$((bad + 1))
import glob, sys, xml.etree.ElementTree as ET
import pikepdf
bad = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.pdf")):
    with pikepdf.open(path) as pdf:
        try:
            ET.fromstring(pdf.Root.Metadata.read_bytes())
        except ET.ParseError as e:
            bad += 1
            print(f"{path}: XMP is not well-formed XML: {e}")
sys.exit(1 if bad else 0)
PY
fi
echo "$n PDFs checked, $bad failures"
[ "$bad" -eq 0 ]
