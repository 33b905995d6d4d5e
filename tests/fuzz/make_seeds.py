#!/usr/bin/python3
"""make_seeds.py - starting inputs for the fuzz targets (tests/fuzz).

Why generated: a fuzzer finds its way into a decoder or a parser much faster
from inputs that already pass its first checks. The seeds are the project's
own sample pages (tools/make_sample.py), made small (a tenth of their size,
same format and compression) so that one execution stays cheap and no page
hits the targets' low pixel caps, plus variants the sample generator does not
write (other TIFF compressions and photometrics, multi-page and BigTIFF,
EXIF orientation, progressive JPEG, 16-bit, palette and interlaced PNG) and
small hand-made manifests, profiles, boxes and PDF page descriptions.

The committed corpus (tests/fuzz/corpus/<target>) is these seeds after
fuzzing, minimised with libFuzzer's -merge=1 (see fuzz/run --merge); run this
script only to start a corpus afresh:

  /usr/bin/python3 tests/fuzz/make_seeds.py --out DIR [--quire build/quire]
                                            [--regress tests/fuzz/regress]

writes DIR/<target>/ for image, manifest, profile, delivery and pdf; with
--regress also the crafted edge cases (edge-*: bombs, cut and looping
containers, hostile names, bad encodings, values out of range) that are kept
as regression inputs beside the crashes fuzzing found. Needs
python3-pil and python3-numpy (the sample generator's own needs); tiffcp
(libtiff-tools) adds a BigTIFF seed when present.
"""
import argparse
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import warnings
import zipfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCALE = 10


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def save(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def small(img):
    w, h = img.size
    size = (max(1, w // SCALE), max(1, h // SCALE))
    if img.mode == "1":
        return img.convert("L").resize(size, Image.BILINEAR).point(
            lambda v: 255 if v >= 160 else 0).convert("1")
    return img.resize(size, Image.BILINEAR)


def sample_pages(tmp):
    """Six sample pages (G4 TIFF, gray and colour JPEG, PNG), made small."""
    out = os.path.join(tmp, "sample")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "make_sample.py"),
                    "--pages", "6", "--seed", "3", "--out", out], check=True,
                   stdout=subprocess.DEVNULL)
    pages = []
    for name in sorted(os.listdir(out)):
        if name.endswith((".tif", ".jpg", ".png")):
            with Image.open(os.path.join(out, name)) as im:
                im.load()
                pages.append((name, small(im)))
    return pages


def image_seeds(pages, tmp):
    dpi = (50, 50)
    seeds = {}
    for name, img in pages:
        stem = name.rsplit(".", 1)[0]
        if name.endswith(".tif"):
            seeds[stem + ".tif"] = save(img, "TIFF", compression="group4", dpi=dpi)
        elif name.endswith(".jpg"):
            seeds[stem + ".jpg"] = save(img, "JPEG", quality=75, dpi=dpi, subsampling=2)
        else:
            seeds[stem + ".png"] = save(img, "PNG", dpi=dpi)
    half = lambda img: img.resize((img.size[0] // 2, img.size[1] // 2))  # noqa: E731
    bitonal = next(img for n, img in pages if n.endswith(".tif"))
    gray = half(next(img for n, img in pages if n.endswith(".jpg")).convert("L"))
    colour = half(next((img for n, img in pages if img.mode == "RGB"), gray.convert("RGB")))
    for comp in ("group3", "packbits", "tiff_lzw", "tiff_adobe_deflate", "raw"):
        seeds["bitonal-%s.tif" % comp] = save(bitonal, "TIFF", compression=comp, dpi=dpi)
    for comp in ("tiff_lzw", "jpeg", "raw"):
        seeds["gray-%s.tif" % comp] = save(gray, "TIFF", compression=comp, dpi=dpi)
        seeds["rgb-%s.tif" % comp] = save(colour, "TIFF", compression=comp, dpi=dpi)
    seeds["multipage.tif"] = save(bitonal, "TIFF", compression="group4", dpi=dpi,
                                  save_all=True, append_images=[bitonal.rotate(180), bitonal])
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise
    exif[0x0132] = "2021:03:04 05:06:07"
    seeds["orient6.tif"] = save(bitonal, "TIFF", compression="group4", dpi=dpi, exif=exif)
    seeds["orient6.jpg"] = save(gray, "JPEG", quality=60, exif=exif.tobytes())
    seeds["progressive.jpg"] = save(colour, "JPEG", quality=60, progressive=True)
    seeds["cmyk.jpg"] = save(colour.convert("CMYK"), "JPEG", quality=50)
    seeds["gray16.png"] = save(gray.convert("I;16"), "PNG")
    seeds["palette.png"] = save(colour.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG")
    seeds["rgba-interlaced.png"] = save(colour.convert("RGBA"), "PNG", interlace=1)
    seeds["bilevel.png"] = save(bitonal, "PNG", dpi=dpi)
    seeds["palette.tif"] = save(colour.convert("P", palette=Image.ADAPTIVE, colors=16), "TIFF",
                                compression="tiff_lzw")
    seeds["gray16.tif"] = save(gray.convert("I;16"), "TIFF")
    seeds["cmyk.tif"] = save(colour.convert("CMYK"), "TIFF", compression="tiff_lzw")
    seeds["rgba.tif"] = save(colour.convert("RGBA"), "TIFF", compression="tiff_adobe_deflate")
    seeds["gray-alpha.png"] = save(gray.convert("LA"), "PNG")
    seeds["gray4.png"] = save(gray.convert("P", palette=Image.ADAPTIVE, colors=16), "PNG", bits=4)
    seeds["trns.png"] = save(gray, "PNG", transparency=255)
    seeds["q100-444.jpg"] = save(colour, "JPEG", quality=100, subsampling=0)
    seeds["gray-progressive.jpg"] = save(gray, "JPEG", quality=30, progressive=True, dpi=dpi)
    tiffcp = shutil.which("tiffcp")
    if tiffcp:
        variants = {"bigtiff.tif": ("multipage.tif", ["-8"]),
                    "tiled.tif": ("gray-tiff_lzw.tif", ["-t", "-w", "64", "-l", "64"]),
                    "planar.tif": ("rgb-raw.tif", ["-p", "separate", "-c", "zip"]),
                    "g3-2d.tif": ("page-0001.tif", ["-c", "g3:2d"]),
                    "rgb-jpeg-ycbcr.tif": ("rgb-raw.tif", ["-c", "jpeg", "-r", "16"])}
        for name, (base, opts) in variants.items():
            src, dst = os.path.join(tmp, "in.tif"), os.path.join(tmp, name)
            write(src, seeds[base])
            if subprocess.run([tiffcp] + opts + [src, dst], stderr=subprocess.DEVNULL).returncode == 0:
                seeds[name] = open(dst, "rb").read()
    return seeds


MANIFESTS = {
    "delivery.csv": "\ufefffile_id,box,expected_pages,title,department\r\n"
                    "PLN-1987-00452,BOX-0001,3,\"Building permit \"\"Parcel 12\"\", extension\",PLN\r\n"
                    "SOC-2001-10023,BOX-0001,12,\"Pension claim,\nwidow's allowance\",SOC\r\n"
                    "REG-1999-7,BOX-0002,1,Łódź – Kőszeg,REG\r\n",
    "stock.csv": "file_id,box,expected_pages\nA-1,B1,\nA-2,B1,7\nA-10,B2,  3 \n",
    "plan.csv": "date,percent\n2024-01-31,10\n2024-06-30,55.5\n2024-12-31,100\n",
    "broken.csv": "file_id,expected_pages\n,3\nA/B,1\n.hidden,2\nA,0\nA,x\n\"open,1\nA,1\nA,1,2\n",
    "minimal.csv": "expected_pages,file_id\n1,X\n",
}

PROFILES = {
    "small.ini": "; a comment\n[resolution]\nmin_dpi = 200\n\n[blank]\nallow_blank_backs = yes\n"
                 "blank_ink_max=0.001\n[skew]\nmax_skew_deg = 12.5 ; inline\n",
    "bad.ini": "[skew]\nmax_skew_deg = 99\nnot a line\n[nosuch]\nkey = 1\n",
    "cont.ini": "[orientation]\ndetect_orientation = off\n  orient_min_conf = 3\n#x\n"
                "[exposure]\nink_min_delta: 40\n",
}


def tar_bytes(members, fmt=tarfile.PAX_FORMAT, cut=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "../../etc/passwd"
                t.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    # tarfile pads to a 10 KiB record; the members, then the two zero blocks
    # that end an archive, are all a reader needs
    data = buf.getvalue().rstrip(b"\0")
    data += b"\0" * (-len(data) % 512) + b"\0" * 1024
    return data[:cut] if cut else data


def zip_bytes(members, cut=None):
    warnings.filterwarnings("ignore", "Duplicate name")  # a member given twice is the point
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, kind in members:
            info = zipfile.ZipInfo(name, (2023, 11, 14, 22, 13, 20))
            info.compress_type = zipfile.ZIP_DEFLATED if kind == "deflate" else zipfile.ZIP_STORED
            z.writestr(info, data)
    data = buf.getvalue()
    return data[:cut] if cut else data


def delivery_seeds(images):
    page = images["page-0001.tif"][:600]  # only names and sizes matter to enumeration
    jpg = images["page-0002.jpg"][:400]
    good = [("PLN-1/0001.tif", page, "file"), ("PLN-1/0002.jpg", jpg, "deflate"),
            ("PLN-10/0001.tif", page, "file"), ("PLN-2/0001.tif", page, "file")]
    hostile = [("F-1/0001.tif", page, "file"), ("F-1/0001.tif", page, "file"),
               ("F-1/1.jpg", jpg, "file"), ("../evil/0001.tif", page, "file"),
               ("/abs/0001.tif", page, "file"), ("F-2/link.tif", b"", "link"),
               ("F-2/", b"", "dir"), ("__MACOSX/F-1/._0001.tif", b"x", "file"),
               ("F-3/sub/0001.tif", page, "file"), ("Żółw-ü/0001.tif", page, "file"),
               ("F-4/notes.txt", b"hello", "file"), ("loose.tif", page, "file")]
    seeds = {
        "good.zip": zip_bytes(good),
        "good.tar": tar_bytes(good),
        "gnu.tar": tar_bytes(good, fmt=tarfile.GNU_FORMAT),
        "hostile.zip": zip_bytes([m for m in hostile if m[2] != "link"]),
        "hostile.tar": tar_bytes(hostile),
    }
    full = seeds["good.tar"]
    seeds["cut-member.tar"] = full[:1024 + 700]
    seeds["cut-boundary.tar"] = full[:512 + 3072]
    seeds["no-central-dir.zip"] = seeds["good.zip"][:len(seeds["good.zip"]) - 60]
    return seeds


def pdf_seed(head, pages, strings):
    data = bytes([head])
    for p in pages:
        data += bytes(p)
    return data + b"\0".join(strings)


def pdf_seeds():
    s = [b"PLN-1987-00452", b"PLN-1987-00452/0001.tif", b"ab" * 32, b"g4", b"note",
         b"box", b"BOX-0001", b"title", "Łódź \"<&>\"".encode()]
    return {
        # kind, width-1, height-1, xdpi, ydpi, turn, rotation, pattern
        "g4.bin": pdf_seed(0, [[0, 199, 99, 20, 20, 0, 0, 0]], s),
        "four.bin": pdf_seed(6, [[1, 99, 149, 10, 10, 1, 10, 3], [3, 63, 63, 4, 4, 2, 250, 0],
                                 [4, 120, 80, 12, 12, 3, 0, 1], [6, 31, 31, 2, 2, 0, 5, 2]], s),
        "gray.bin": pdf_seed(3, [[2, 149, 199, 30, 15, 0, 100, 0], [5, 9, 9, 1, 1, 0, 0, 3]],
                             [b"x", b"\xff\xfe bad utf-8 \x01\x02", b"", b"jpeg"]),
        "invalid.bin": pdf_seed(16, [[0, 9, 9, 0, 9, 4, 127, 0]], []),
        "empty.bin": b"",
    }


# ---- crafted edge cases, kept as regression inputs (tests/fuzz/regress) ----

def tiff(width, height, comp=4, strip=b"\0" * 8, next_ifd=0, bps=1, spp=1, photometric=0):
    """A little-endian single-strip TIFF with a chosen header."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, bps), (259, 3, comp),
            (262, 3, photometric), (273, 4, 0), (277, 3, spp), (278, 4, height),
            (279, 4, len(strip))]
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(tags) + 4
    out = b"II*\0" + struct.pack("<I", ifd_off) + struct.pack("<H", len(tags))
    for tag, typ, val in tags:
        val = data_off if tag == 273 else val
        if typ == 3:
            out += struct.pack("<HHIHH", tag, typ, 1, val, 0)
        else:
            out += struct.pack("<HHII", tag, typ, 1, val)
    return out + struct.pack("<I", next_ifd) + strip


def tiled_tiff(width, height, tile_w, tile_h, tile):
    """A little-endian 8-bit gray TIFF made of one deflate tile of the given size."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 8), (262, 3, 1),
            (277, 3, 1), (322, 4, tile_w), (323, 4, tile_h), (324, 4, 0), (325, 4, len(tile))]
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(tags) + 4
    out = b"II*\0" + struct.pack("<I", ifd_off) + struct.pack("<H", len(tags))
    for tag, typ, val in tags:
        val = data_off if tag == 324 else val
        if typ == 3:
            out += struct.pack("<HHIHH", tag, typ, 1, val, 0)
        else:
            out += struct.pack("<HHII", tag, typ, 1, val)
    return out + struct.pack("<I", 0) + tile


def jpeg_sof(width, height):
    """SOI, a baseline frame header and no scan: the header alone."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


def png_ihdr(width, height, depth=8, colour=0):
    import zlib
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def regress_cases(images):
    import zlib
    g4 = images["page-0001.tif"]
    jpg = images["page-0002.jpg"]
    sof = jpg.index(b"\xff\xc0")
    image = {
        # issue 18: a 16x16 page made of one 65536x65536 deflate tile (4 GiB
        # of tile buffer), and a JPEG cut inside its frame header
        "edge-tiff-tiled-bomb.tif": tiled_tiff(16, 16, 65536, 65536,
                                               zlib.compress(b"\0" * (1 << 20), 9)),
        "edge-jpeg-cut-in-sof.jpg": jpg[:sof + 7],
        "edge-empty.bin": b"",
        "edge-tiff-magic-only.tif": b"II*",
        "edge-tiff-bomb-65535.tif": tiff(65535, 65535),
        "edge-tiff-zero-width.tif": tiff(0, 10),
        "edge-tiff-ifd-loop.tif": tiff(8, 8, next_ifd=8),
        "edge-tiff-ifd-past-end.tif": tiff(8, 8, next_ifd=0x7fffffff),
        "edge-tiff-16bps-4spp.tif": tiff(4, 4, comp=1, bps=16, spp=4, photometric=2,
                                         strip=b"\x80" * 128),
        "edge-tiff-cut.tif": g4[:len(g4) // 2],
        "edge-jpeg-bomb.jpg": jpeg_sof(65500, 65500),
        "edge-jpeg-soi-only.jpg": b"\xff\xd8\xff",
        "edge-png-bomb.png": png_ihdr(0x7fffffff, 0x7fffffff),
        "edge-png-1x1-16bit-rgba.png": png_ihdr(1, 1, depth=16, colour=6),
        "edge-pdf-not-an-image.pdf": b"%PDF-1.7\n",
    }
    manifest = {
        "edge-bom-only.csv": b"\xef\xbb\xbf",
        "edge-nul-and-bad-utf8.csv": b"file_id,expected_pages\nA\0B,1\n\xc3\x28,2\n\xed\xa0\x80,3\n",
        "edge-open-quote-at-eof.csv": b"file_id,expected_pages\n\"A,1\n",
        "edge-lone-cr.csv": b"file_id,expected_pages\rA,1\rB,2",
        "edge-many-columns.csv": (",".join("c%d" % i for i in range(3000)) + "\n").encode(),
        "edge-pages-range.csv": b"file_id,expected_pages\nA,100000\nB,100001\nC,-1\nD,1e3\n"
                                b"E,99999999999999999999\n",
        "edge-duplicate-header.csv": b"file_id,file_id,expected_pages\nA,B,1\n",
        # issue 18: a NUL inside an id (once reported as a duplicate of "A"),
        # control characters in titles
        "edge-nul-in-id.csv": b"file_id,expected_pages\nA\0B,1\nA,2\n",
        "edge-control-chars-title.csv": b"file_id,expected_pages,title\nA,1,a\x01b\x1b[31mred\x7f\n"
                                        b"B,1,\"tab\there\rcr\"\nC,1,\xc2\x85nel\n",
    }
    profile = {
        "edge-long-line.ini": b"[skew]\nmax_skew_deg = " + b"1" * 5000 + b"\n",
        "edge-nul.ini": b"[skew]\nmax_skew_deg = 1\0 0\n",
        "edge-no-section.ini": b"min_dpi = 100\n",
        "edge-huge-numbers.ini": b"[resolution]\nmin_dpi = 1e999\nanalysis_dpi = nan\n"
                                 b"[duplicate]\ndup_max_hash_distance = 99999999999999999999\n",
        "edge-unterminated-section.ini": b"[skew\nmax_skew_deg = 1\n",
    }
    page = images["page-0001.tif"][:2000]
    delivery = {
        "edge-empty.bin": b"",
        "edge-member-over-cap.zip": zip_bytes([("F-1/0001.tif", b"\0" * (5 << 20), "deflate")]),
        "edge-long-pax-name.tar": tar_bytes([("F-1/" + "x" * 300 + ".tif", page, "file")]),
        "edge-control-char.tar": tar_bytes([("F\x01-1/0001.tif", page, "file"),
                                            ("F-2/00\n01.tif", page, "file")]),
        "edge-same-page-twice.tar": tar_bytes([("F-1/0003.tif", page, "file"),
                                               ("F-1/3.jpg", page, "file"),
                                               ("F-1/0003.tif", page, "file")]),
    }
    pdf = {
        "edge-max-side.bin": pdf_seed(0, [[0, 255, 255, 255, 1, 0, 0, 1]], [b"t"]),
        "edge-long-title.bin": pdf_seed(0, [[0, 9, 9, 1, 1, 0, 0, 1]], [b"T" * 16001]),
        "edge-xml-chars.bin": pdf_seed(2, [[5, 9, 9, 1, 1, 0, 0, 1]],
                                       [b"\x01\x0b]]>", b"<!--", b"\xef\xbf\xbe", b"\xf4\x90",
                                        b"&amp;", b"k\x7f", b"v\xc0\xaf", b"x", b"y"]),
    }
    return {"image": image, "manifest": manifest, "profile": profile, "delivery": delivery,
            "pdf": pdf}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--quire", help="the quire binary, for a `profile show` seed")
    ap.add_argument("--regress", help="also write the crafted edge cases to REGRESS/<target>")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        images = image_seeds(sample_pages(tmp), tmp)
    if a.regress:
        for target, cases in regress_cases(images).items():
            for name, data in cases.items():
                write(os.path.join(a.regress, target, name), data)
    sets = {"image": images, "delivery": delivery_seeds(images), "pdf": pdf_seeds(),
            "manifest": {k: v.encode() for k, v in MANIFESTS.items()},
            "profile": {k: v.encode() for k, v in PROFILES.items()}}
    if a.quire:
        shown = subprocess.run([a.quire, "profile", "show"], check=True, capture_output=True)
        sets["profile"]["show.ini"] = shown.stdout
    for target, seeds in sets.items():
        for name, data in seeds.items():
            write(os.path.join(a.out, target, name), data)
        print("%s: %d seeds, %d bytes" % (target, len(seeds), sum(map(len, seeds.values()))))


if __name__ == "__main__":
    sys.exit(main())
