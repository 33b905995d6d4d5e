#!/usr/bin/python3
"""make_sample.py - sample scanner output for quire's demo, tests and benchmarks.

Renders realistic administrative document pages (letterhead, title, reference
line, paragraphs of text in DejaVu Sans/Serif, a table or form lines, a
rubber stamp, a page number) at 300 dpi on A4 or Letter sheets, then scans
them: paper tone, small skew (+-3 deg, some exactly 0), sensor noise, and
writes them the way scanning contractors deliver them: bitonal pages as CCITT
G4 TIFF, gray and colour pages as JPEG, some pages as PNG, all with 300 dpi
resolution tags.

It needs only Debian's python3-pil, python3-numpy and fonts-dejavu-core (run it
with /usr/bin/python3) and nothing outside the project, so the README demo and
the tests work on a fresh machine.

Two modes (output is deterministic for a given --seed and Pillow/libtiff):

  --pages N --out DIR
      loose pages DIR/page-0001.tif, page-0002.jpg, ... (every kind and format
      in turn) and DIR/truth.json describing each page.

  --delivery --files N [--pages-min A --pages-max B] [--faults] [--pool K] --out DIR
      a delivery in the "folders" layout of the shared corpus generator:
        DIR/manifest.csv              file_id,box,expected_pages,title (UTF-8;
                                      titles with commas, quotes, non-ASCII)
        DIR/scans/<file_id>/0001.tif  one file per delivered page, in order
        DIR/truth.json                ground truth, same conventions
      When the delivery has more than K pages (default 40), K distinct pages
      are rendered once and cycled, so big deliveries stay cheap to make; no
      page repeats within K consecutive pages, so neighbours never look alike.
      --faults adds a small fixed fault set: a blank page, a missing page and
      a truncated page file (each in a different case file as far as the
      number of files allows).

Conventions (as in the shared corpus): skew_deg + = content rotated
counter-clockwise as displayed; deskew = rotate clockwise by content_skew_deg.
"""
import argparse
import copy
import csv
import hashlib
import io
import json
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

VERSION = 1
DPI = 300
SHEETS = {"A4": (2480, 3508), "Letter": (2550, 3300)}
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONTS = {"sans": "DejaVuSans.ttf", "sans-bold": "DejaVuSans-Bold.ttf",
         "serif": "DejaVuSerif.ttf", "serif-bold": "DejaVuSerif-Bold.ttf"}
NOISE_LEN = 1 << 22

DEPARTMENTS = [("PLN", "Planning and Building Control"), ("SOC", "Social Services"),
               ("REG", "Civil Registry"), ("TAX", "Revenue Office"), ("LAB", "Labour Inspectorate")]
TOWNS = ["Northbridge", "Saint-Étienne-sur-Loire", "Ålesund", "Kőszeg", "Brückenau", "Łódź"]
NAMES = ["Müller, Anna", "O'Neill, Seán", "Dvořák, Jiří", "García López, María", "Nguyễn, Văn An",
         "Smith, John", "Østergaard, Søren", "Łukasiewicz, Zofia", "Björk, Åsa", "Fernández, José"]
SUBJECTS = ['Building permit "Parcel 12", extension', "Appeal, objection and hearing",
            "Pension claim – widow's allowance", 'Change of name ("marriage")',
            "Inspection report, 2nd visit", "Land register extract; boundary dispute",
            "Grant application, €4,500", "Complaint re: noise, \"night shifts\""]
WORDS = ("the of and to in application file office decision request applicant council "
         "hereby notice according section paragraph regulation permit building parcel "
         "inspection report submitted received enclosed copy original certified signed "
         "dated meeting committee approved rejected appeal period days within written "
         "form owner tenant property boundary plan drawing survey measurement fee "
         "payment receipt account reference number registered letter delivery "
         "address department record archive review assessment condition requirement "
         "further information statement witness hearing minutes chairman secretary "
         "municipality district authority provision amendment annex schedule").split()


# --------------------------------------------------------------------------- planning

def rng_for(*parts):
    """A random.Random seeded from a stable string (independent of hash seed)."""
    return random.Random("|".join(str(p) for p in parts))


def plan_skew(rng):
    return 0.0 if rng.random() < 0.15 else round(rng.uniform(-3.0, 3.0), 2)


def plan_page(rng, kind, sheet, fmt, number, total, file_id):
    return dict(kind=kind, sheet=sheet, format=fmt, number=number, total=total,
                file_id=file_id, skew_deg=plan_skew(rng), blank=False,
                paper=rng.randint(236, 250), ink=rng.randint(15, 55),
                quality=rng.randint(78, 92), seed=rng.getrandbits(32))


LOOSE_CYCLE = [("bitonal", "A4", "tif"), ("gray", "A4", "jpg"), ("colour", "A4", "jpg"),
               ("bitonal", "Letter", "tif"), ("gray", "A4", "png"), ("colour", "Letter", "png"),
               ("bitonal", "A4", "png"), ("bitonal", "A4", "tif")]


def plan_loose(args):
    rng = rng_for("loose", args.seed)
    pages = []
    for i in range(args.pages):
        kind, sheet, fmt = LOOSE_CYCLE[i % len(LOOSE_CYCLE)]
        p = plan_page(rng, kind, sheet, fmt, i + 1, args.pages, "SAMPLE-%04d" % (i + 1))
        p["name"] = "page-%04d.%s" % (i + 1, fmt)
        pages.append(p)
    return pages


def file_settings(rng):
    mode = rng.choices(["mostly-bitonal", "mixed", "mostly-gray"], [70, 20, 10])[0]
    sheet = "A4" if rng.random() < 0.85 else "Letter"
    return dict(mode=mode, default_sheet=sheet, jpeg_quality=rng.randint(75, 90))


def page_kind(rng, mode):
    weights = {"mostly-bitonal": [90, 7, 3], "mixed": [50, 30, 20], "mostly-gray": [10, 70, 20]}
    return rng.choices(["bitonal", "gray", "colour"], weights[mode])[0]


def plan_files(args):
    rng = rng_for("delivery", args.seed)
    files, box, in_box, box_size = [], 1, 0, rng.randint(3, 6)
    serials = rng.sample(range(100, 99999), args.files)
    for i in range(args.files):
        if in_box == box_size:
            box, in_box, box_size = box + 1, 0, rng.randint(3, 6)
        in_box += 1
        dept = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))][0]
        fid = "%s-%d-%05d" % (dept, rng.randint(1952, 1999), serials[i])
        title = "%s — %s" % (rng.choice(NAMES), rng.choice(SUBJECTS))
        st = file_settings(rng)
        n = rng.randint(args.pages_min, args.pages_max)
        files.append(dict(file_id=fid, box="BOX-%04d" % box, title=title, expected_pages=n,
                          settings=st, missing=[], fault_pages={}))
    if args.faults:
        plan_faults(files, rng)
    for f in files:
        plan_file_pages(f)
    return files


def plan_faults(files, rng):
    """One blank page, one missing page, one truncated page file, in distinct files."""
    order = list(range(len(files)))
    rng.shuffle(order)
    for kind, idx in zip(["missing_page", "truncated", "blank"], order):
        f = files[idx]
        if kind == "missing_page" and f["expected_pages"] < 2:
            f["expected_pages"] = 2  # never on a 1-page file
        page = rng.randint(1, f["expected_pages"])
        if kind == "missing_page":
            f["missing"].append(page)
        else:
            f["fault_pages"][page] = kind


def plan_file_pages(f):
    rng = rng_for("file", f["file_id"])
    st, n = f["settings"], f["expected_pages"]
    f["pages"] = []
    for k in range(1, n + 1):
        kind = page_kind(rng, st["mode"])
        sheet = st["default_sheet"] if rng.random() < 0.9 else rng.choice(["A4", "Letter"])
        fmt = "tif" if kind == "bitonal" else "jpg"
        p = plan_page(rng, kind, sheet, fmt, k, n, f["file_id"])
        p["quality"] = st["jpeg_quality"]
        p["manifest_page"] = k
        p["fault"] = f["fault_pages"].get(k)
        p["blank"] = p["fault"] == "blank"
        if k not in f["missing"]:
            f["pages"].append(p)


# --------------------------------------------------------------------------- rendering

_font_cache = {}


def font(name, pt):
    key = (name, pt)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(os.path.join(FONT_DIR, FONTS[name]),
                                              int(round(pt * DPI / 72.0)))
    return _font_cache[key]


def sentence(rng, words):
    s = " ".join(rng.choice(WORDS) for _ in range(words))
    return s[0].upper() + s[1:] + "."


def wrap(draw, text, fnt, width):
    lines, line = [], ""
    for w in text.split():
        trial = (line + " " + w).strip()
        if draw.textlength(trial, font=fnt) > width and line:
            lines.append(line)
            line = w
        else:
            line = trial
    return lines + ([line] if line else [])


def draw_letterhead(d, rng, W, x0, y, ink):
    dept = rng.choice(DEPARTMENTS)[1]
    town = rng.choice(TOWNS)
    d.text((x0, y), "City of %s" % town, font=font("serif-bold", 18), fill=ink)
    y += 95
    d.text((x0, y), dept + " · Town Hall, Market Square 1 · Tel. 0%d %d" %
           (rng.randint(20, 99), rng.randint(100000, 999999)), font=font("sans", 9), fill=ink)
    y += 55
    d.line([(x0, y), (W - x0, y)], fill=ink, width=5)
    return y + 90


def draw_paragraphs(d, rng, x0, y, width, ink, serif, y_max):
    fnt = font("serif" if serif else "sans", 11)
    step = int(fnt.size * 1.45)
    for _ in range(rng.randint(2, 4)):
        text = " ".join(sentence(rng, rng.randint(6, 16)) for _ in range(rng.randint(2, 5)))
        for line in wrap(d, text, fnt, width):
            if y + step > y_max:
                return y
            d.text((x0, y), line, font=fnt, fill=ink)
            y += step
        y += step // 2
    return y


def table_cell(rng, r, c):
    if r == 0:
        return ["No.", "Date", "Subject", "Ref.", "Amount"][c]
    if c == 1:
        return "%02d.%02d.19%02d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(50, 99))
    return rng.choice(WORDS).capitalize() if c == 2 else str(rng.randint(1, 9999))


def draw_table(d, rng, x0, y, width, ink, y_max):
    rows, cols = rng.randint(4, 7), rng.randint(3, 4)
    rh, cw = 70, width // cols
    if y + rows * rh > y_max:
        return y
    for r in range(rows + 1):
        d.line([(x0, y + r * rh), (x0 + cols * cw, y + r * rh)], fill=ink, width=3)
    for c in range(cols + 1):
        d.line([(x0 + c * cw, y), (x0 + c * cw, y + rows * rh)], fill=ink, width=3)
    for r in range(rows):
        for c in range(cols):
            d.text((x0 + c * cw + 18, y + r * rh + 14), table_cell(rng, r, c),
                   font=font("sans", 9), fill=ink)
    return y + rows * rh + 80


def draw_form(d, rng, x0, y, width, ink, y_max):
    fnt = font("sans", 10)
    for label in rng.sample(["Name", "Address", "Date of birth", "Parcel", "Case officer",
                             "Received on", "Decision", "Signature"], 5):
        if y + 90 > y_max:
            break
        d.text((x0, y), label + ":", font=fnt, fill=ink)
        d.line([(x0 + 450, y + 48), (x0 + width, y + 48)], fill=ink, width=3)
        y += 95
    return y + 40


def draw_stamp(img, rng, x, y, colour):
    """A rotated rubber stamp: double frame and two lines of text."""
    st = Image.new("L", (620, 260), 0)
    d = ImageDraw.Draw(st)
    d.rectangle([4, 4, 615, 255], outline=255, width=8)
    d.rectangle([22, 22, 597, 237], outline=255, width=3)
    d.text((60, 45), "RECEIVED", font=font("sans-bold", 16), fill=255)
    d.text((60, 150), "%02d %s 19%02d" % (rng.randint(1, 28), rng.choice(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "SEP", "OCT", "NOV"]), rng.randint(50, 99)),
        font=font("sans", 13), fill=255)
    st = st.rotate(rng.uniform(-12, 12), expand=True, resample=Image.BICUBIC)
    img.paste(Image.new(img.mode, st.size, colour), (x, y), st.point(lambda v: v * 3 // 4))


def render_content(p, rng):
    """The upright, noise-free page: 'L' for bitonal/gray, 'RGB' for colour."""
    W, H = SHEETS[p["sheet"]]
    colour = p["kind"] == "colour"
    paper = (p["paper"], p["paper"] - 3, p["paper"] - 10) if colour else p["paper"]
    img = Image.new("RGB" if colour else "L", (W, H), paper)
    if p["blank"]:
        return img
    ink = (p["ink"], p["ink"], p["ink"] + 40) if colour else p["ink"]
    d = ImageDraw.Draw(img)
    x0 = 260
    width = W - 2 * x0
    y = draw_letterhead(d, rng, W, x0, 230, ink)
    d.text((x0, y), p["file_id"] + " — " + rng.choice(SUBJECTS), font=font("sans-bold", 13), fill=ink)
    y += 120
    y_max = H - 420
    y = draw_paragraphs(d, rng, x0, y, width, ink, rng.random() < 0.5, y_max - 700)
    y = (draw_table if rng.random() < 0.5 else draw_form)(d, rng, x0, y + 40, width, ink, y_max)
    draw_paragraphs(d, rng, x0, y, width, ink, False, y_max)
    stamp = (170, 40, 40) if colour else max(p["ink"], 90)
    draw_stamp(img, rng, W - x0 - 700, H - 1050, stamp)
    num = "Page %d of %d" % (p["number"], p["total"])
    fnt = font("sans", 9)
    d.text(((W - d.textlength(num, font=fnt)) / 2, H - 250), num, font=fnt, fill=ink)
    return img


_noise = {}


def noise_table(seed):
    if seed not in _noise:
        _noise[seed] = np.random.default_rng(seed).normal(0, 4.0, NOISE_LEN + 4096).astype(np.int16)
    return _noise[seed]


def add_noise(a, rng, seed):
    flat = a.reshape(-1)
    table = noise_table(seed)
    out = np.empty_like(flat)
    for start in range(0, flat.size, NOISE_LEN):
        chunk = flat[start:start + NOISE_LEN]
        off = rng.randrange(4096)
        out[start:start + chunk.size] = chunk + table[off:off + chunk.size]
    return np.clip(out, 0, 255).astype(np.uint8).reshape(a.shape)


def scan(p, img, seed):
    """Skew, sensor noise and quantisation, as a flatbed scanner would."""
    rng = rng_for("scan", p["seed"])
    fill = img.getpixel((5, 5))
    if p["skew_deg"]:
        img = img.rotate(p["skew_deg"], resample=Image.BICUBIC, fillcolor=fill)
    a = add_noise(np.asarray(img, dtype=np.int16), rng, seed)
    if p["kind"] == "bitonal":
        return Image.fromarray(a, "L").point(lambda v: 255 if v >= 140 else 0).convert("1"), a
    return Image.fromarray(a, "RGB" if a.ndim == 3 else "L"), a


def encode(p, img):
    buf = io.BytesIO()
    if p["format"] == "tif":
        img.save(buf, "TIFF", compression="group4", dpi=(DPI, DPI))
        p["encoding"], p["photometric"] = "g4", "min-is-white"
    elif p["format"] == "jpg":
        img.save(buf, "JPEG", quality=p["quality"], dpi=(DPI, DPI), subsampling=2)
        p["encoding"], p["photometric"] = "jpeg", "YCbCr" if p["kind"] == "colour" else "min-is-black"
    else:
        img.save(buf, "PNG", dpi=(DPI, DPI))
        p["encoding"], p["photometric"] = "png", {"bitonal": "bilevel", "gray": "gray",
                                                  "colour": "rgb"}[p["kind"]]
    return buf.getvalue()


def make_page(p, seed):
    """Render, scan and encode one planned page; returns (bytes, truth record)."""
    img, arr = scan(p, render_content(p, rng_for("content", p["seed"])), seed)
    data = encode(p, img)
    W, H = SHEETS[p["sheet"]]
    rec = dict(kind=p["kind"], encoding=p["encoding"], photometric=p["photometric"], dpi=DPI,
               width=W, height=H, sheet=p["sheet"], source=None, orientation=0,
               skew_deg=p["skew_deg"], source_skew_deg=0.0,
               content_skew_deg=None if p["blank"] else p["skew_deg"], blank=p["blank"],
               folio=None, faults=[], intact=True, mean_luma=round(float(arr.mean()), 1))
    if p["kind"] == "bitonal":
        rec["black_fraction"] = round(float((np.asarray(img) == 0).mean()), 4)
    if p["blank"]:
        rec["faults"].append(dict(kind="blank", show_through=False))
    return data, rec


def write_bytes(path, data, rec):
    rec["bytes"] = len(data)
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    with open(path, "wb") as fh:
        fh.write(data)


def truncate(data, rec):
    keep = len(data) // 2
    rec["faults"].append(dict(kind="truncated", keep_fraction=0.5, original_bytes=len(data),
                              kept_bytes=keep))
    rec["intact"] = False
    rec["sha256_before_faults"] = hashlib.sha256(data).hexdigest()
    return data[:keep]


# --------------------------------------------------------------------------- modes

def run_loose(args):
    pages = []
    for p in plan_loose(args):
        data, rec = make_page(p, args.seed)
        rec["name"] = p["name"]
        write_bytes(os.path.join(args.out, p["name"]), data, rec)
        pages.append(rec)
    truth = dict(format="quire-sample-truth/1", generator="make_sample.py",
                 generator_version=VERSION, args=vars(args), pages=pages)
    return truth, len(pages)


def file_record(f, pages):
    faults = [dict(kind="missing_page", manifest_page=k) for k in f["missing"]]
    return dict(file_id=f["file_id"], box=f["box"], title=f["title"],
                expected_pages=f["expected_pages"], delivered_pages=len(pages),
                missing_manifest_pages=f["missing"], file_faults=faults,
                scanner_settings=f["settings"], path="scans/%s/" % f["file_id"], pages=pages)


class PagePool:
    """Pages rendered once and cycled through a big delivery (None: render each)."""

    def __init__(self, files, args):
        total = sum(len(f["pages"]) for f in files)
        self.pages, self.k, self.seed = None, 0, args.seed
        if total > args.pool:
            rng = rng_for("pool", args.seed)
            self.pages = []
            for i in range(args.pool):
                kind = page_kind(rng, "mostly-bitonal")
                sheet = "A4" if rng.random() < 0.85 else "Letter"
                p = plan_page(rng, kind, sheet, "tif" if kind == "bitonal" else "jpg",
                              i + 1, args.pool, "POOL-%04d" % (i + 1))
                self.pages.append((p["format"],) + make_page(p, args.seed))

    def get(self, p):
        """(format, bytes, truth record) for planned page p."""
        if self.pages is None or p["blank"]:
            data, rec = make_page(p, self.seed)
            return p["format"], data, rec
        fmt, data, rec = self.pages[self.k % len(self.pages)]
        self.k += 1
        return fmt, data, copy.deepcopy(rec)


def write_manifest(path, files):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["file_id", "box", "expected_pages", "title"])
        for f in files:
            w.writerow([f["file_id"], f["box"], f["expected_pages"], f["title"]])


def write_file_pages(args, f, pool, counts):
    os.makedirs(os.path.join(args.out, "scans", f["file_id"]))
    pages = []
    for i, p in enumerate(f["pages"], 1):
        fmt, data, rec = pool.get(p)
        if p["fault"] == "truncated":
            data = truncate(data, rec)
        rel = "scans/%s/%04d.%s" % (f["file_id"], i, fmt)
        rec = dict(delivered=i, manifest_page=p["manifest_page"], path=rel, **rec)
        write_bytes(os.path.join(args.out, rel), data, rec)
        pages.append(rec)
        counts["kinds"][rec["kind"]] = counts["kinds"].get(rec["kind"], 0) + 1
        for x in rec["faults"]:
            counts["faults"][x["kind"]] = counts["faults"].get(x["kind"], 0) + 1
    counts["faults"]["missing_page"] = counts["faults"].get("missing_page", 0) + len(f["missing"])
    return file_record(f, pages)


def run_delivery(args):
    files = plan_files(args)
    write_manifest(os.path.join(args.out, "manifest.csv"), files)
    pool = PagePool(files, args)
    counts = dict(kinds={}, faults={})
    records = [write_file_pages(args, f, pool, counts) for f in files]
    delivered = sum(r["delivered_pages"] for r in records)
    totals = dict(files=len(files), boxes=len({f["box"] for f in files}),
                  manifest_pages=sum(f["expected_pages"] for f in files), delivered_pages=delivered,
                  bytes=sum(p["bytes"] for r in records for p in r["pages"]),
                  faults={k: v for k, v in sorted(counts["faults"].items()) if v},
                  page_kinds=counts["kinds"])
    truth = dict(format="quire-batch-truth/1", generator="make_sample.py",
                 generator_version=VERSION, args=vars(args),
                 conventions=dict(skew_deg="+ = content rotated counter-clockwise as displayed",
                                  deskew="rotate the upright page clockwise by content_skew_deg",
                                  orientation="clockwise rotation of the content as delivered"),
                 sources=[], totals=totals, files=records)
    return truth, delivered


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Render sample scanned pages or a sample delivery.")
    ap.add_argument("--out", required=True, help="output folder (created; must be empty)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pages", type=int, help="loose mode: number of pages")
    ap.add_argument("--delivery", action="store_true", help="write a delivery with manifest.csv")
    ap.add_argument("--files", type=int, default=8, help="delivery: number of case files")
    ap.add_argument("--pages-min", type=int, default=1)
    ap.add_argument("--pages-max", type=int, default=6)
    ap.add_argument("--pool", type=int, default=40,
                    help="delivery: cycle K rendered pages when there are more pages (default 40)")
    ap.add_argument("--faults", action="store_true",
                    help="delivery: add a blank page, a missing page and a truncated file")
    ap.add_argument("--force", action="store_true", help="allow a non-empty --out")
    a = ap.parse_args(argv)
    if a.delivery == (a.pages is not None):
        ap.error("give either --pages N or --delivery")
    if (a.pages is not None and a.pages < 1) or a.files < 1 or a.pages_min < 1 \
            or a.pages_max < a.pages_min or a.pool < 3:
        ap.error("need --pages >= 1, --files >= 1, 1 <= --pages-min <= --pages-max, --pool >= 3")
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if os.path.isdir(args.out) and os.listdir(args.out) and not args.force:
        sys.exit("make_sample: %s is not empty (use --force)" % args.out)
    os.makedirs(args.out, exist_ok=True)
    truth, n = run_delivery(args) if args.delivery else run_loose(args)
    with open(os.path.join(args.out, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print("make_sample: %d pages in %s" % (n, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
