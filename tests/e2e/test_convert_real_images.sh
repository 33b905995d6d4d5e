#!/usr/bin/env bash
# Image files as real scanners, phones and editors write them, defects and
# all, made by tools/make_real_images.py (stand-ins for files of the Pillow
# and libtiff test suites): each must give the right page (its pixels,
# orientation, size and colour, checked by real_images_check.py), a warning
# naming the file when quire set something aside without losing a pixel, or
# a message naming the file when it cannot be read.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init convert-real-images
/usr/bin/python3 "$QUIRE_SRC/tools/make_real_images.py" --out "$work/img" >/dev/null ||
  { bad "make_real_images.py failed"; e2e_finish; }
names=(
  # JPEG: junk between header segments (a warning), pixels lost (corrupt)
  reference.jpg jpeg_ff00_header.jpg junk_jpeg_header.jpg truncated_app14.jpg
  photoshop-200dpi-broken.jpg truncated_scan.jpg corrupt_entropy.jpg
  # resolution: none (refused when the page is under 3 pt; --assume-dpi), absurd
  nodpi.png nodpi.tif nodpi_assume10.png dpi44x300.png
  # CIELab TIFFs: converted with their white point (white stays white)
  lab.tif lab-red.tif lab-green.tif hopper.Lab.tif
  # reduced-resolution TIFF directories (overviews, thumbnails) are no pages
  tiff_strip_planar_raw_with_overviews.tif pages_with_thumbnails.tif only_overviews.tif
  # a directory entry libtiff cannot read and goes on without: a warning
  ojpeg_single_strip_no_rowsperstrip.tiff
  # orientation: EXIF in a JPEG, eXIf or XMP tiff:Orientation in a PNG
  orient6.jpg orient6_exif.png orient6_xmp.png orient3_xmp_zip.png
)
out=$(/usr/bin/python3 "$QUIRE_SRC/tests/e2e/real_images_check.py" "$QUIRE_BIN" "$work/img" \
  "${names[@]}")
echo "$out"
E2E_PASSED=$(grep -c '^ok: ' <<<"$out")
E2E_FAILED=$(grep -c '^FAIL: ' <<<"$out")
e2e_finish
