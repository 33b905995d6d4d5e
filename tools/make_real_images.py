#!/usr/bin/python3
"""make_real_images.py - stand-ins for real-world image files quire must read.

The test suites of Pillow and libtiff hold small files that scanners and
image editors really write, defects and all. They cannot be fetched here, so
this script makes equivalents that carry the same defect byte for byte where
it matters (which segment is cut, which bytes are junk, which tag is odd),
around pixels of our own. Each file is described below by the file it
stands for. Needs only Debian's python3-pil (run it with /usr/bin/python3)
and libtiff-tools (tiffcp, tiffset) for the TIFF with planar overviews.

  --out DIR   writes the files into DIR (created) and
              DIR/truth.json: for each file what it stands for and what quire
              must give: "expect" (converted, warning, corrupt or refused),
              the page count, the page size in inches ("inches"), a text the
              message must hold ("says"), options to give ("args"), and for
              pixels "picture": NAME.expect.png, the page's image as it must
              come out, which tests/e2e/real_images_check.py compares with
              the archive's (within "tolerance" levels).

Everything is deterministic.
"""
import argparse
import io
import json
import os
import struct
import subprocess
import sys

from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

# ---- pixels ---------------------------------------------------------------


def picture(w=96, h=64):
    """A colour picture that shows which way up it is: a red block in the
    top-left corner, a blue one in the bottom-right, a gray ramp between."""
    img = Image.new("RGB", (w, h), (240, 240, 235))
    d = ImageDraw.Draw(img)
    for x in range(w):
        v = 40 + x * 180 // max(w - 1, 1)
        d.line([(x, h // 3), (x, 2 * h // 3)], fill=(v, v, 90))
    d.rectangle([2, 2, w // 4, h // 4], fill=(200, 20, 30))
    d.rectangle([w - w // 4, h - h // 4, w - 3, h - 3], fill=(20, 40, 200))
    return img


def jpeg_bytes(img, dpi=(200, 200), **kw):
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, dpi=dpi, **kw)
    return out.getvalue()


# ---- JPEG segments ---------------------------------------------------------


def segments(data):
    """The header segments of a JPEG up to SOS: [(offset, marker, length)]."""
    out, i = [], 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, "a well-formed JPEG to start from"
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((i, m, n))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def insert_before(data, marker, junk):
    """junk inserted just before the first segment with this marker."""
    for off, m, _ in segments(data):
        if m == marker:
            return data[:off] + junk + data[off:]
    raise ValueError("no marker %02x" % marker)


def insert_segment_after(data, after, seg):
    for off, m, n in segments(data):
        if m == after:
            return data[:off + 2 + n] + seg + data[off + 2 + n:]
    raise ValueError("no marker %02x" % after)


def app14_adobe(transform=1):
    """APP14 'Adobe': version 100, flags 0, 0, the colour transform."""
    body = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, transform)
    return b"\xff\xee" + struct.pack(">H", len(body) + 2) + body


def app13_photoshop_resolution(dpi):
    """APP13 'Photoshop 3.0' with an 8BIM ResolutionInfo (0x03ED) block."""
    res = struct.pack(">IHHIHH", dpi << 16, 1, 1, dpi << 16, 1, 1)
    block = b"8BIM" + struct.pack(">H", 0x03ED) + b"\x00\x00" + struct.pack(">I", len(res)) + res
    body = b"Photoshop 3.0\x00" + block
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def set_length(data, marker, length):
    """Hex-edit the length field of the first segment with this marker."""
    for off, m, _ in segments(data):
        if m == marker:
            return data[:off + 2] + struct.pack(">H", length) + data[off + 4:]
    raise ValueError("no marker %02x" % marker)


def make_jpegs(out, truth):
    pic = picture()
    base = jpeg_bytes(pic)
    shown = Image.open(io.BytesIO(base)).convert("RGB")  # the pixels libjpeg gives
    # jpeg_ff00_header.jpg: a stuffed FF 00 pair between two header segments.
    write(out, "jpeg_ff00_header.jpg", insert_before(base, 0xDB, b"\xff\x00"), truth,
          stands_for="Pillow Tests/images/jpeg_ff00_header.jpg",
          defect="FF 00 between APP0 and DQT (libjpeg: 2 extraneous bytes before marker 0xdb)",
          expect="warning", says="2 junk bytes", picture=shown)
    # junk_jpeg_header.jpg: bytes that are no marker between header segments.
    write(out, "junk_jpeg_header.jpg", insert_before(base, 0xC4, b"\x00\x0d\x0ajunk\x00"),
          truth, stands_for="Pillow Tests/images/junk_jpeg_header.jpg (Pillow issue 630)",
          defect="8 non-FF bytes before DHT", expect="warning", says="8 junk bytes",
          picture=shown)
    # truncated_app14.jpg: APP14 'Adobe' whose length was edited from 14 to 11,
    # so its last 3 bytes (flags1, transform) are left between segments.
    with_app14 = insert_segment_after(base, 0xE0, app14_adobe())
    write(out, "truncated_app14.jpg", set_length(with_app14, 0xEE, 11), truth,
          stands_for="Pillow Tests/images/truncated_app14.jpg",
          defect="APP14 length 11 instead of 14: 3 bytes left before the next marker",
          expect="warning", says="3 junk bytes", picture=shown)
    # photoshop-200dpi-broken.jpg: APP13 ResolutionInfo whose length was made
    # smaller, so the tail of the 8BIM block lies between segments.
    with_app13 = insert_segment_after(base, 0xE0, app13_photoshop_resolution(200))
    full = segments(with_app13)[1][2]
    write(out, "photoshop-200dpi-broken.jpg", set_length(with_app13, 0xED, full - 10), truth,
          stands_for="Pillow Tests/images/photoshop-200dpi-broken.jpg",
          defect="APP13 length 10 bytes short: the end of the resolution block is junk",
          expect="warning", says="10 junk bytes", picture=shown)
    # Controls that must stay corrupt: pixels are lost.
    sos = segments(base)[-1][0]
    write(out, "truncated_scan.jpg", base[:sos + (len(base) - sos) // 2], truth,
          stands_for="a scan cut short (premature end of data)", expect="corrupt",
          says="Premature end")
    scan_start = sos + 2 + segments(base)[-1][2]
    mid = scan_start + (len(base) - scan_start) // 3
    write(out, "corrupt_entropy.jpg", base[:mid] + b"\x00\x17\x42" * 5 + base[mid:], truth,
          stands_for="bytes inserted into the entropy-coded data", expect="corrupt",
          says="extraneous bytes")
    write(out, "reference.jpg", base, truth, stands_for="the same pixels, no defect",
          expect="converted", picture=shown)


# ---- CIELab TIFFs ----------------------------------------------------------


LAB_TO_SRGB = ImageCms.buildTransform(ImageCms.createProfile("LAB"),
                                      ImageCms.createProfile("sRGB"), "LAB", "RGB")


def lab_tiff(out, name, lab_img, truth, **info):
    """A CIELab TIFF at 72 dpi; the picture it must give is what Little CMS
    makes of it (D50 Lab to sRGB): white stays white."""
    buf = io.BytesIO()
    lab_img.save(buf, "TIFF", dpi=(72, 72))
    write(out, name, buf.getvalue(), truth, picture=ImageCms.applyTransform(lab_img, LAB_TO_SRGB),
          args=["--lossless"], tolerance=6, **info)


def make_lab(out, truth):
    # Pillow's "LAB" mode holds a and b offset by 128; its TIFF writer stores
    # photometric 8 (CIELab) with signed a and b, as Photoshop does.
    lab_tiff(out, "lab.tif", Image.new("LAB", (10, 10), (255, 128, 128)), truth,
             stands_for="Pillow Tests/images/lab.tif", defect="white CIELab page (L 100, a 0, b 0)",
             expect="converted")
    lab_tiff(out, "lab-red.tif", Image.new("LAB", (10, 10), (128, 228, 128)), truth,
             stands_for="Pillow Tests/images/lab-red.tif", defect="L 50, a +100, b 0",
             expect="converted")
    lab_tiff(out, "lab-green.tif", Image.new("LAB", (10, 10), (128, 28, 128)), truth,
             stands_for="Pillow Tests/images/lab-green.tif", defect="L 50, a -100, b 0",
             expect="converted")
    srgb, lab = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
    to_lab = ImageCms.buildTransform(srgb, lab, "RGB", "LAB")
    hopper = ImageCms.applyTransform(picture(128, 128), to_lab)
    lab_tiff(out, "hopper.Lab.tif", hopper, truth, stands_for="Pillow Tests/images/hopper.Lab.tif",
             defect="a colour picture in CIELab", expect="converted")


# ---- TIFF directories -------------------------------------------------------


def make_overviews(out, truth):
    """tiff_strip_planar_raw_with_overviews.tif: a planar, uncompressed,
    stripped page followed by 4 overviews (NewSubfileType 1), as GDAL
    writes internal overviews."""
    pic = picture(128, 96)
    levels = [pic.resize((128 >> k, 96 >> k)) for k in range(1, 5)]
    chunky = os.path.join(out, "overviews-chunky.tif")
    pic.save(chunky, "TIFF", save_all=True, append_images=levels, dpi=(150, 150))
    name = "tiff_strip_planar_raw_with_overviews.tif"
    path = os.path.join(out, name)
    subprocess.run(["tiffcp", "-p", "separate", "-c", "none", "-r", "16", chunky, path], check=True)
    os.unlink(chunky)
    for d in range(1, 5):
        subprocess.run(["tiffset", "-d", str(d), "-s", "254", "1", path], check=True)
    record(truth, name, stands_for="Pillow Tests/images/tiff_strip_planar_raw_with_overviews.tif",
           defect="1 page + 4 reduced-resolution directories", expect="warning", pages=1,
           says="4 reduced-resolution directories", out=out, picture=pic, args=["--lossless"],
           tolerance=0)
    # Every directory reduced-resolution: nothing to archive.
    only = os.path.join(out, "only_overviews.tif")
    levels[0].save(only, "TIFF", save_all=True, append_images=levels[1:])
    for d in range(4):
        subprocess.run(["tiffset", "-d", str(d), "-s", "254", "1", only], check=True)
    record(truth, "only_overviews.tif", defect="every directory is reduced-resolution",
           expect="refused", says="all 4 directories are reduced-resolution")
    # Two pages, each followed by its thumbnail.
    two = os.path.join(out, "pages_with_thumbnails.tif")
    pic.save(two, "TIFF", save_all=True, dpi=(150, 150),
             append_images=[levels[2], pic.transpose(Image.Transpose.ROTATE_180), levels[2]])
    for d in (1, 3):
        subprocess.run(["tiffset", "-d", str(d), "-s", "254", "1", two], check=True)
    record(truth, "pages_with_thumbnails.tif", defect="page, thumbnail, page, thumbnail",
           expect="warning", pages=2, says="2 reduced-resolution directories", out=out,
           picture=pic, args=["--lossless"], tolerance=0)


def tiff_ifd(entries, le=True):
    """A classic TIFF IFD: entries [(tag, type, count, value bytes or int)]."""
    e = "<" if le else ">"
    out = struct.pack(e + "H", len(entries))
    for tag, typ, count, value in entries:
        if isinstance(value, int):
            value = struct.pack(e + ("H" if typ == 3 else "I"), value).ljust(4, b"\x00")
        out += struct.pack(e + "HHI", tag, typ, count) + value.ljust(4, b"\x00")
    return out + struct.pack(e + "I", 0)


def make_ojpeg(out, truth):
    """ojpeg_single_strip_no_rowsperstrip.tiff: an old-style JPEG (6) page
    whose one strip is a whole JFIF stream, without RowsPerStrip, and whose
    directory ends in two zeroed entries (tag 0, type 0, count 0). libtiff
    reads it but reports the zeroed entries as an error it goes on from
    ("Defined set_get_field_type of custom tag 0 ... not read")."""
    pic = picture(64, 48)
    jpg = jpeg_bytes(pic, dpi=(150, 150), subsampling=0)
    entries = [
        (256, 3, 1, 64), (257, 3, 1, 48), (258, 3, 3, None), (259, 3, 1, 6), (262, 3, 1, 6),
        (273, 4, 1, None), (277, 3, 1, 3), (279, 4, 1, len(jpg)), (282, 5, 1, None),
        (283, 5, 1, None), (296, 3, 1, 2), (513, 4, 1, None), (514, 4, 1, len(jpg)),
        (530, 3, 2, struct.pack("<HH", 1, 1)), (0, 0, 0, 0), (0, 0, 0, 0),
    ]
    ifd_off = 8
    ifd_len = 2 + 12 * len(entries) + 4
    bps_off = ifd_off + ifd_len
    res_off = bps_off + 6
    jpg_off = res_off + 16
    fixed = []
    for tag, typ, count, value in entries:
        if tag == 258:
            value = bps_off
        elif tag in (273, 513):
            value = jpg_off
        elif tag == 282:
            value = res_off
        elif tag == 283:
            value = res_off + 8
        fixed.append((tag, typ, count, value))
    data = b"II*\x00" + struct.pack("<I", ifd_off) + tiff_ifd(fixed)
    data += struct.pack("<HHH", 8, 8, 8) + struct.pack("<IIII", 150, 1, 150, 1) + jpg
    write(out, "ojpeg_single_strip_no_rowsperstrip.tiff", data, truth,
          stands_for="libtiff test/images/ojpeg_single_strip_no_rowsperstrip.tiff",
          defect="OJPEG, no RowsPerStrip, two zeroed directory entries", expect="warning",
          says="TIFF directory entry not read", args=["--lossless"],
          picture=Image.open(io.BytesIO(jpg)).convert("RGB"))


# ---- orientation and resolution -------------------------------------------


def exif_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


XMP = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
       '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
       '<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"%s>%s'
       '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>')


def png_bytes(img, **kw):
    out = io.BytesIO()
    img.save(out, "PNG", **kw)
    return out.getvalue()


def make_orientation(out, truth):
    pic = picture()
    dpi = (150, 150)
    turned6 = pic.transpose(Image.Transpose.ROTATE_270)  # orientation 6: turn clockwise
    lossless = ["--lossless"]
    jpg = jpeg_bytes(pic, dpi=dpi, exif=exif_orientation(6))
    write(out, "orient6.jpg", jpg, truth,
          defect="EXIF orientation 6 in a JPEG (applied already)", expect="converted",
          args=lossless, inches=[64 / 150, 96 / 150],
          picture=Image.open(io.BytesIO(jpg)).convert("RGB").transpose(Image.Transpose.ROTATE_270))
    write(out, "orient6_exif.png", png_bytes(pic, dpi=dpi, exif=exif_orientation(6)), truth,
          defect="eXIf chunk with orientation 6", expect="converted", args=lossless,
          inches=[64 / 150, 96 / 150], picture=turned6, tolerance=0)
    attr = PngInfo()
    attr.add_itxt("XML:com.adobe.xmp", XMP % (' tiff:Orientation="6"', ""))
    write(out, "orient6_xmp.png", png_bytes(pic, dpi=dpi, pnginfo=attr), truth,
          defect="XMP tiff:Orientation=\"6\" (attribute, iTXt)", expect="converted",
          args=lossless, inches=[64 / 150, 96 / 150], picture=turned6, tolerance=0)
    elem = PngInfo()
    elem.add_itxt("XML:com.adobe.xmp", XMP % ("", "<tiff:Orientation>3</tiff:Orientation>"),
                  zip=True)
    write(out, "orient3_xmp_zip.png", png_bytes(pic, dpi=dpi, pnginfo=elem), truth,
          defect="XMP <tiff:Orientation>3</...> in a compressed iTXt", expect="converted",
          args=lossless, inches=[96 / 150, 64 / 150],
          picture=pic.transpose(Image.Transpose.ROTATE_180), tolerance=0)
    small = picture(10, 6)
    too_small = "no resolution tag; at the assumed 300 dpi the page is 0.03 x 0.02 in"
    write(out, "nodpi.png", png_bytes(small), truth,
          defect="10 x 6 pixels, no pHYs: 0.03 x 0.02 in at 300 dpi", expect="refused",
          says=too_small)
    write(out, "nodpi_assume10.png", png_bytes(small), truth,
          defect="10 x 6 pixels, no pHYs, --assume-dpi 10", expect="converted",
          args=["--assume-dpi", "10"], inches=[1.0, 0.6])
    buf = io.BytesIO()
    small.save(buf, "TIFF")
    write(out, "nodpi.tif", buf.getvalue(), truth, defect="10 x 6 pixels, no resolution tags",
          expect="refused", says=too_small)
    # pHYs holds pixels per metre: 44 dpi is stored as 1732, read as 43.99 dpi.
    wide = picture()
    write(out, "dpi44x300.png", png_bytes(wide, dpi=(44, 300)), truth,
          defect="pHYs 44 x 300 dpi: a page 6.8 times too wide", expect="warning",
          says="axes 6.8 times apart", inches=[96 / 43.99, 64 / 300.0])


# ---- output -----------------------------------------------------------------


def record(truth, name, out=None, picture=None, **info):
    """truth[name] = info; a picture (the page as it must look) is written
    beside the file as NAME.expect.png."""
    if picture is not None:
        info["picture"] = name + ".expect.png"
        picture.save(os.path.join(out, info["picture"]))
    truth[name] = {k: v for k, v in info.items() if v is not None}


def write(out, name, data, truth, **info):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    record(truth, name, out=out, **info)


def main(argv):
    ap = argparse.ArgumentParser(description="Write stand-ins for real-world image files.")
    ap.add_argument("--out", required=True, help="output folder (created)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    truth = {}
    make_jpegs(args.out, truth)
    make_lab(args.out, truth)
    make_overviews(args.out, truth)
    make_ojpeg(args.out, truth)
    make_orientation(args.out, truth)
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
