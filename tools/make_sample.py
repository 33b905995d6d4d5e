#!/usr/bin/python3
"""make_sample.py - render realistic scanned case-file pages, and whole scanner
deliveries with ground truth, for quire's demo, tests and benchmarks.

Pages are drawn with Pillow and the DejaVu fonts from Debian (letterhead, a
title, paragraphs, a form table, a stamp, a page number), turned by a small
skew, given a paper tone and sensor noise, and written at 300 dpi as CCITT G4
TIFF (bitonal), JPEG (gray or colour) or PNG.

    make_sample.py --pages N --out DIR [--seed S]
        N loose page images (all four encodings), for `quire convert`.
    make_sample.py --delivery --files N --out DIR [--pages-min A --pages-max B]
                   [--seed S] [--faults] [--pool K]
        DIR/manifest.csv, DIR/scans/<file_id>/0001.tif ..., DIR/truth.json in the
        shape of the corpus generator's truth (files, pages, faults).
        Pages are rendered once into a pool of K distinct pages (default 40)
        and cycled through the delivery, so big deliveries stay cheap to make;
        neighbouring pages are never the same pool page.
        --faults adds a missing page to one file and a truncated page to another.

Deterministic: the same arguments give the same bytes. Needs python3-pil,
python3-numpy and fonts-dejavu-core; nothing from outside the project.
"""
import argparse
import json
import os
import random
import shutil
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

DPI = 300
A4 = (2480, 3508)
LETTER = (2550, 3300)
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
WORDS = ("application residence permit applicant office municipal record file "
         "decision hearing passport birth certificate registration address date "
         "department notice request approved pending review signature witness "
         "citizen family member employer statement annex copy stamp clerk "
         "section paragraph article pursuant regulation appeal").split()
DEPTS = ["MIG", "CIT", "RES", "NAT", "VIS"]
NAMES = ["Müller", "Şahin", "O'Brien", "Lefèvre", "García", "Nowak", "Rossi", "Evans"]


def font(name, size):
    return ImageFont.truetype(os.path.join(FONT_DIR, name), size)


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def draw_text_block(d, rng, x, y, width, lines, f):
    for _ in range(lines):
        words, line = [], ""
        while True:
            w = rng.choice(WORDS)
            trial = (line + " " + w).strip()
            if d.textlength(trial, font=f) > width:
                break
            line = trial
        d.text((x, y), line, fill=0, font=f)
        y += int(f.size * 1.5)
    return y


def draw_table(d, rng, x, y, w, rows, f):
    h = int(f.size * 1.8)
    for r in range(rows + 1):
        d.line([(x, y + r * h), (x + w, y + r * h)], fill=0, width=3)
    cols = [x, x + w // 3, x + 2 * w // 3, x + w]
    for c in cols:
        d.line([(c, y), (c, y + rows * h)], fill=0, width=3)
    for r in range(rows):
        for c in range(3):
            d.text((cols[c] + 12, y + r * h + 8), rng.choice(WORDS).title(), fill=0, font=f)
    return y + rows * h


def render_page(rng, size, number, title):
    """An upright page, 8-bit gray, ink 0 on paper 255."""
    im = Image.new("L", size, 255)
    d = ImageDraw.Draw(im)
    w, h = size
    m = int(0.09 * w)
    d.text((m, int(0.05 * h)), "CITY OF EXAMPLETOWN - MIGRATION OFFICE", fill=0,
           font=font("DejaVuSans-Bold.ttf", 46))
    d.line([(m, int(0.075 * h)), (w - m, int(0.075 * h))], fill=0, width=5)
    y = int(0.1 * h)
    d.text((m, y), title, fill=0, font=font("DejaVuSerif-Bold.ttf", 52))
    y += 110
    body = font("DejaVuSerif.ttf", 38)
    for _ in range(rng.randint(2, 4)):
        y = draw_text_block(d, rng, m, y, w - 2 * m, rng.randint(4, 9), body) + 40
    if rng.random() < 0.5 and y < h * 0.7:
        y = draw_table(d, rng, m, y + 20, w - 2 * m, rng.randint(3, 6), font("DejaVuSans.ttf", 32))
    if rng.random() < 0.4:
        cx, cy, r = w - m - 220, int(h * 0.82), 160
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=0, width=8)
        d.text((cx - 120, cy - 25), "RECEIVED", fill=0, font=font("DejaVuSans-Bold.ttf", 44))
    d.text((w // 2 - 40, int(0.95 * h)), "- %d -" % number, fill=0, font=font("DejaVuSans.ttf", 34))
    return im


def scan(im, rng, skew, kind):
    """Skew, paper tone and sensor noise, then the scanner's output mode."""
    if skew:
        im = im.rotate(skew, resample=Image.BILINEAR, fillcolor=255)
    a = np.asarray(im, dtype=np.float32)
    paper, ink = rng.uniform(225, 245), rng.uniform(20, 60)
    a = ink + (paper - ink) * (a / 255.0)
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    a += nrng.normal(0, 6, a.shape).astype(np.float32)
    a = np.clip(a, 0, 255).astype(np.uint8)
    gray = Image.fromarray(a, "L")
    if kind == "bitonal":
        return gray.point(lambda v: 255 if v > 140 else 0).convert("1")
    if kind == "colour":
        tint = Image.merge("RGB", (gray, gray.point(lambda v: int(v * 0.97)),
                                   gray.point(lambda v: int(v * 0.9))))
        return tint
    return gray


def save(img, path, kind, fmt, quality=85):
    if fmt == "tif":
        img.save(path, compression="group4", dpi=(DPI, DPI))
    elif fmt == "png":
        img.save(path, dpi=(DPI, DPI), optimize=False)
    else:
        img.save(path, quality=quality, dpi=(DPI, DPI))


def make_pool_page(rng, i, kind_weights=(0.7, 0.2, 0.1)):
    kind = rng.choices(["bitonal", "gray", "colour"], kind_weights)[0]
    size = A4 if rng.random() < 0.85 else LETTER
    skew = 0.0 if rng.random() < 0.15 else round(rng.uniform(-3, 3), 2)
    title = "%s %s - %s" % (rng.choice(["Application", "Decision", "Notice", "Record"]),
                            rng.choice(WORDS), rng.choice(NAMES))
    img = scan(render_page(rng, size, i + 1, title), rng, skew, kind)
    return {"img": img, "kind": kind, "skew_deg": skew, "size": size}


def ext_for(kind):
    return "tif" if kind == "bitonal" else "jpg"


def loose_pages(args):
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    fmts = ["tif", "jpg", "png", "tif"]
    for i in range(args.pages):
        p = make_pool_page(rng, i)
        fmt = fmts[i % len(fmts)]
        if fmt == "tif" and p["kind"] != "bitonal":
            p["img"] = p["img"].convert("L").point(lambda v: 255 if v > 140 else 0).convert("1")
        path = os.path.join(args.out, "page-%03d.%s" % (i + 1, fmt))
        save(p["img"], path, p["kind"], fmt)
        print(path)


def plan_files(rng, args):
    files = []
    for n in range(args.files):
        fid = "%s-%d-%05d" % (rng.choice(DEPTS), rng.randint(1950, 2010), rng.randint(0, 99999))
        pages = rng.randint(args.pages_min, args.pages_max)
        box = "BOX-%04d" % (n // 10 + 1)
        title = '%s, "%s" file (%s)' % (rng.choice(NAMES), rng.choice(WORDS), rng.choice(WORDS))
        files.append({"file_id": fid, "box": box, "title": title, "expected_pages": pages})
    return files


def write_delivery(args):
    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "scans"))
    files = plan_files(rng, args)
    total = sum(f["expected_pages"] for f in files)
    pool = [make_pool_page(rng, i) for i in range(max(3, min(args.pool, total)))]
    pool_bytes = []
    for i, p in enumerate(pool):
        tmp = os.path.join(args.out, ".pool-%d.%s" % (i, ext_for(p["kind"])))
        save(p["img"], tmp, p["kind"], ext_for(p["kind"]))
        pool_bytes.append(open(tmp, "rb").read())
        os.unlink(tmp)
    faulty = {}
    if args.faults and len(files) >= 2:
        faulty[files[0]["file_id"]] = "missing_page"
        faulty[files[1]["file_id"]] = "truncated"
    k = 0
    truth_files = []
    for f in files:
        d = os.path.join(args.out, "scans", f["file_id"])
        os.makedirs(d)
        fault = faulty.get(f["file_id"])
        delivered = f["expected_pages"] - (1 if fault == "missing_page" and f["expected_pages"] > 1 else 0)
        pages = []
        for i in range(delivered):
            p = pool[k % len(pool)]
            data = pool_bytes[k % len(pool)]
            k += 1
            page_faults = []
            if fault == "truncated" and i == delivered - 1:
                data = data[: len(data) // 3]
                page_faults.append({"kind": "truncated"})
            name = "%04d.%s" % (i + 1, ext_for(p["kind"]))
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data)
            pages.append({"delivered": i + 1, "manifest_page": i + 1,
                          "path": "scans/%s/%s" % (f["file_id"], name), "kind": p["kind"],
                          "encoding": "g4" if p["kind"] == "bitonal" else "jpeg", "dpi": DPI,
                          "width": p["size"][0], "height": p["size"][1], "orientation": 0,
                          "skew_deg": p["skew_deg"], "content_skew_deg": p["skew_deg"],
                          "blank": False, "faults": page_faults, "intact": not page_faults})
        file_faults = []
        if fault == "missing_page" and delivered < f["expected_pages"]:
            file_faults.append({"kind": "missing_page", "manifest_page": f["expected_pages"]})
        truth_files.append(dict(f, delivered_pages=delivered, file_faults=file_faults,
                                missing_manifest_pages=[f["expected_pages"]] if file_faults else [],
                                pages=pages, path="scans/%s/" % f["file_id"]))
    with open(os.path.join(args.out, "manifest.csv"), "w", encoding="utf-8", newline="") as fh:
        fh.write("file_id,box,expected_pages,title\r\n")
        for f in files:
            fh.write('%s,%s,%d,"%s"\r\n' % (f["file_id"], f["box"], f["expected_pages"],
                                            f["title"].replace('"', '""')))
    truth = {"format": "quire-sample-truth/1", "generator": "tools/make_sample.py",
             "args": vars(args), "files": truth_files,
             "totals": {"files": len(files), "delivered_pages": sum(t["delivered_pages"] for t in truth_files)}}
    with open(os.path.join(args.out, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
    print("%s: %d files, %d pages" % (args.out, len(files), truth["totals"]["delivered_pages"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--delivery", action="store_true")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--pages-min", type=int, default=1)
    ap.add_argument("--pages-max", type=int, default=6)
    ap.add_argument("--pool", type=int, default=40)
    ap.add_argument("--faults", action="store_true")
    args = ap.parse_args()
    if args.pages_min < 1 or args.pages_max < args.pages_min or args.pool < 3:
        sys.exit("make_sample: bad page range or pool")
    if args.delivery:
        write_delivery(args)
    else:
        loose_pages(args)


if __name__ == "__main__":
    main()
