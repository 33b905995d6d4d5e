#!/usr/bin/env bash
# pdf_check.sh REPLAY_PDF DIR...: the PDFs the PDF writer's fuzz target makes
# from its seeds and regression inputs must be valid. The target itself only
# checks return codes (it runs millions of times); here each input is
# replayed once with QUIRE_FUZZ_PDF_OUT set, so every finished PDF is kept,
# and each must pass `qpdf --check` with no warning; with pikepdf installed,
# its XMP packet must also be well-formed XML and its dates (Info and XMP)
# well-formed PDF and ISO 8601 dates, which qpdf does not look at. REPLAY_PDF may also be the
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
import glob, re, sys, xml.etree.ElementTree as ET
import pikepdf
PDF_DATE = re.compile(rb"D:\d{14}Z\Z")
XMP_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
XMP_NS = "{http://ns.adobe.com/xap/1.0/}"
def problems(pdf):
    for key in ("/CreationDate", "/ModDate"):
        if not PDF_DATE.match(bytes(pdf.trailer.Info[key])):
            yield f"Info {key} is not a PDF date: {bytes(pdf.trailer.Info[key])!r}"
    try:
        xmp = ET.fromstring(pdf.Root.Metadata.read_bytes())
    except ET.ParseError as e:
        yield f"XMP is not well-formed XML: {e}"
        return
    for name in ("CreateDate", "ModifyDate", "MetadataDate"):
        for el in xmp.iter(XMP_NS + name):
            if not XMP_DATE.match(el.text or ""):
                yield f"XMP {name} is not an ISO 8601 date: {el.text!r}"
bad = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.pdf")):
    with pikepdf.open(path) as pdf:
        for p in problems(pdf):
            bad += 1
            print(f"{path}: {p}")
sys.exit(1 if bad else 0)
PY
fi
echo "$n PDFs checked, $bad failures"
if [ "$bad" -gt 0 ] && grep -q '^replay ' "$out/replay.log"; then
  echo "N.pdf was written for the N-th input:"
  grep '^replay ' "$out/replay.log" | nl
fi
[ "$bad" -eq 0 ]
