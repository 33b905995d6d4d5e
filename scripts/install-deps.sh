#!/usr/bin/env bash
# Installs the Debian 12 packages quire needs to build, test, benchmark and fuzz.
# Idempotent: packages already present are skipped, so a second run costs a
# dpkg query and nothing else. Needs root (or sudo) only when something is missing.
set -euo pipefail

# Build: compiler, CMake and the real codec/storage libraries quire links.
build_pkgs=(build-essential cmake pkg-config
  libtiff-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev
  libleptonica-dev libarchive-dev libsqlite3-dev liburing-dev
  libssl-dev libinih-dev libcsv-dev liblcms2-dev)
# Test: independent PDF readers and the PDF/A checker's Python modules,
# plus Pillow/numpy for the sample-delivery generator and Little CMS's transicc
# (liblcms2-utils) for the ICC profile test, and Chromium (headless) for the
# HTML report test.
test_pkgs=(qpdf poppler-utils mupdf-tools ghostscript libtiff-tools
  python3 python3-pil python3-numpy fonts-dejavu-core python3-pikepdf python3-fonttools
  liblcms2-utils chromium)
# Bench (bench/run, on top of test): the peers quire is measured against and
# GNU time for CPU time and peak RSS.
bench_pkgs=(img2pdf ocrmypdf tesseract-ocr-eng imagemagick leptonica-progs time)
# Fuzz (tests/fuzz/run and the fuzz step of .ci/run, on top of build): clang
# with libFuzzer and the sanitizer runtimes, and llvm for llvm-symbolizer
# (readable crash stacks). The replay tests of `./run.sh test` need none of it.
fuzz_pkgs=(clang libclang-rt-14-dev llvm)

want=("${build_pkgs[@]}")
case "${1:-all}" in
  build) ;;
  all|test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  fuzz) want+=("${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all|bench|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
