#!/usr/bin/python3
"""Prove that `quire convert` stored the lossless paths exactly.

usage: lossless_check.py LIST     (LIST: lines "SOURCE<TAB>ARCHIVE.pdf", one
                                   archive per source, pages in source order)

For every page of every source:
  * bitonal pages (Pillow mode "1"): the image poppler's pdfimages extracts
    from the archive (-png, native pixels) equals the source page decoded by
    Pillow (or by libtiff's tiffcp where Pillow cannot), after applying the
    source's Orientation tag, pixel for pixel;
  * JPEG files without EXIF orientation and not CMYK: the archive holds the
    source's bytes unchanged (pdfimages -all gives the raw DCT stream).
Prints counts; exit 0 when everything holds, 1 otherwise.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageSequence

TRANSPOSE = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
             4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
             6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE],
             8: [Image.Transpose.ROTATE_90]}


def orientation(frame):
    try:
        return int(frame.getexif().get(274, 1) or 1)
    except Exception:
        return 1


def upright(frame):
    im = frame.copy()
    if frame.format == "TIFF":
        return im  # Pillow applies the TIFF Orientation tag itself when it loads
    for t in TRANSPOSE.get(orientation(frame), []):
        im = im.transpose(t)
    return im


def source_pages(path, tmp):
    """[(mode, orientation, upright L array or None)] for every page."""
    try:
        im = Image.open(path)
        return [(f.mode, orientation(f), upright(f)) for f in ImageSequence.Iterator(im)]
    except Exception:
        plain = os.path.join(tmp, "plain.tif")  # e.g. odd compressions: let libtiff expand
        subprocess.run(["tiffcp", "-c", "none", path, plain], check=True, capture_output=True)
        im = Image.open(plain)
        return [(f.mode, orientation(f), upright(f)) for f in ImageSequence.Iterator(im)]


def archive_images(pdf, tmp):
    lst = subprocess.run(["pdfimages", "-list", pdf], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    rows = [r.split() for r in lst]
    subprocess.run(["pdfimages", "-png", pdf, os.path.join(tmp, "p")], check=True)
    subprocess.run(["pdfimages", "-all", pdf, os.path.join(tmp, "a")], check=True)
    names = sorted(os.listdir(tmp))
    pngs = [os.path.join(tmp, n) for n in names if n.startswith("p-")]
    alls = [os.path.join(tmp, n) for n in names if n.startswith("a-")]
    return rows, pngs, alls


def check(src, pdf, counts):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        pages = source_pages(src, tmp)
        rows, pngs, alls = archive_images(pdf, tmp)
        if len(rows) != len(pages):
            print("FAIL: %s: %d source pages, %d archive images" % (src, len(pages), len(rows)))
            return False
        for i, (mode, orient, im) in enumerate(pages):
            enc = rows[i][8] if len(rows[i]) > 8 else "?"
            if mode == "1":
                ok &= same_pixels(src, i, im, pngs[i], pdf, counts)
            if src.lower().endswith((".jpg", ".jpeg")) and orient == 1 and mode != "CMYK":
                ok &= same_bytes(src, alls[i], enc, counts)
    return ok


def same_pixels(src, i, im, png, pdf, counts):
    a = np.asarray(im.convert("L"))
    b = np.asarray(Image.open(png).convert("L"))
    if a.shape == b.shape and np.array_equal(a, b):
        counts["bitonal"] += 1
        return True
    print("FAIL: %s page %d: archive pixels differ from the source (%s vs %s, %d pixels)" % (
        src, i + 1, a.shape, b.shape, int((a != b).sum()) if a.shape == b.shape else -1))
    return False


def same_bytes(src, extracted, enc, counts):
    with open(src, "rb") as fh:
        want = fh.read()
    with open(extracted, "rb") as fh:
        got = fh.read()
    if enc == "jpeg" and got == want:
        counts["jpeg"] += 1
        return True
    print("FAIL: %s: archive JPEG is not the source's bytes (%s, %d vs %d bytes)" % (
        src, enc, len(got), len(want)))
    return False


def main():
    counts = {"bitonal": 0, "jpeg": 0}
    ok = True
    n = 0
    for line in open(sys.argv[1], encoding="utf-8"):
        src, pdf = line.rstrip("\n").split("\t")
        ok &= check(src, pdf, counts)
        n += 1
    print("lossless: %d sources; %d bitonal pages pixel-identical (pdfimages vs Pillow/libtiff); "
          "%d passthrough JPEGs byte-identical" % (n, counts["bitonal"], counts["jpeg"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
