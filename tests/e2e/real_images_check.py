#!/usr/bin/python3
"""Check `quire convert` on the stand-ins for real-world images.

usage: real_images_check.py QUIRE DIR NAME...

DIR is what tools/make_real_images.py wrote: the files and truth.json, which
says for each NAME what quire must give (see the generator). Each NAME is
converted alone (with its "args"), then:
  * converted / warning: exit 0, the page count, a warning on stderr naming
    the file and holding "says", which the page's XMP note holds too
    (warning), or no warning at all (converted),
    the page size in inches, and, with a "picture", the page's image as
    poppler's pdfimages decodes it against the picture (convert applies
    orientation to the pixels): same size, mean difference under 3 levels,
    no pixel more than "tolerance" (default 40) away;
  * corrupt / refused: exit 1, nothing written, the file named with a
    message holding "says".
Prints ok/FAIL lines and exits 1 when anything failed.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def pages(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return -1


def page_inches(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Page size:"):
            w, h = line.split()[2], line.split()[4]
            return float(w) / 72, float(h) / 72
    return None


def xmp_note(pdf):
    """The text of the first page's quirePage:note ('' when none)."""
    with open(pdf, "rb") as f:
        data = f.read()
    start = data.find(b"<quirePage:note>")
    if start < 0:
        return ""
    end = data.find(b"</quirePage:note>", start)
    return data[start + 16:end].decode("utf-8", "replace")


def compare(pdf, picture, tolerance, tmp):
    """None when the page's image (as poppler's pdfimages decodes it) matches
    the picture, else why not."""
    base = os.path.join(tmp, "img")
    for f in os.listdir(tmp):
        if f.startswith("img-"):
            os.unlink(os.path.join(tmp, f))
    subprocess.run(["pdfimages", "-f", "1", "-l", "1", "-png", pdf, base], check=True)
    got = np.asarray(Image.open(base + "-000.png").convert("RGB"), dtype=np.int16)
    want = np.asarray(Image.open(picture).convert("RGB"), dtype=np.int16)
    if got.shape != want.shape:
        return "image %dx%d, want %dx%d" % (got.shape[1], got.shape[0], want.shape[1],
                                             want.shape[0])
    diff = np.abs(got - want)
    if diff.mean() >= 3 or diff.max() > tolerance:
        y, x, _ = np.unravel_index(diff.argmax(), diff.shape)
        return "mean difference %.2f, max %d at (%d,%d): got %s want %s" % (
            diff.mean(), diff.max(), x, y, list(got[y, x]), list(want[y, x]))
    return None


def converted(name, t, rc, err, pdf, d, tmp):
    why = []
    if rc != 0:
        return ["exit %d: %s" % (rc, err.strip()[:300])]
    n = pages(pdf)
    if n != t.get("pages", 1):
        why.append("%d pages, want %d" % (n, t.get("pages", 1)))
    warned = ": warning: " in err
    if t["expect"] == "warning":
        if not warned or t["says"] not in err or name not in err:
            why.append("no warning naming the file with '%s': %s" % (t["says"], err.strip()))
        if t["says"] not in xmp_note(pdf):
            why.append("the page's XMP has no quirePage:note with '%s'" % t["says"])
    elif warned:
        why.append("unexpected warning: %s" % err.strip())
    if "inches" in t:
        got = page_inches(pdf)
        if not got or any(abs(a - b) > 0.01 for a, b in zip(got, t["inches"])):
            why.append("page %s in, want %s" % (got, t["inches"]))
    if "picture" in t:
        bad = compare(pdf, os.path.join(d, t["picture"]), t.get("tolerance", 40), tmp)
        if bad:
            why.append(bad)
    return why


def refused(name, t, rc, err, pdf):
    why = []
    if rc != 1:
        why.append("exit %d, want 1" % rc)
    if os.path.exists(pdf):
        why.append("the archive was written")
    if ("quire convert: %s" % name) not in err or t.get("says", "") not in err:
        why.append("no message naming the file with '%s': %s" % (t.get("says"), err.strip()))
    return why


def check(quire, d, name, truth, tmp):
    t = truth[name]
    path = os.path.join(d, name)
    pdf = os.path.join(tmp, "out.pdf")
    if os.path.exists(pdf):
        os.unlink(pdf)
    p = subprocess.run([quire, "convert", *t.get("args", []), "-o", pdf, path],
                       capture_output=True, text=True, timeout=120)
    err = p.stderr.replace(d + os.sep, "")
    if t["expect"] in ("converted", "warning"):
        why = converted(name, t, p.returncode, err, pdf, d, tmp)
    else:
        why = refused(name, t, p.returncode, err, pdf)
    label = "%s (%s)" % (name, t.get("defect", t.get("stands_for", "")))
    if why:
        print("FAIL: %s: %s" % (label, "; ".join(why)))
        return False
    print("ok: %s: %s%s" % (label, t["expect"], (": " + err.strip().splitlines()[0]) if err.strip() else ""))
    return True


def main(argv):
    quire, d, names = argv[0], argv[1], argv[2:]
    with open(os.path.join(d, "truth.json")) as f:
        truth = json.load(f)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            failed += not check(quire, d, name, truth, tmp)
    print("%d checked, %d failed" % (len(names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
