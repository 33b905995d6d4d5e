#!/usr/bin/python3
"""big_page.py - one very large, highly compressible TIFF page, for memory benchmarks.

Writes a deflate (or uncompressed) TIFF by hand (struct + zlib, no imaging
library), so that a page of hundreds of megapixels costs a few hundred KB on
disk and a second to make: white paper with dark text-like bars in a ruled
block, the kind of page that decompresses to gigabytes (a "within-cap
decompression bomb" when the page stays under quire's pixel cap).

usage: big_page.py --width W --height H [--mode rgb|gray|bitonal|cmyk] [--rps N]
                   [--dpi D] [--compression deflate|none] --out FILE.tif
"""
import argparse
import struct
import zlib


def row_bytes(kind, args):
    """One row of a kind: 0 paper, 1 a text row (bars), 2 a full rule."""
    w = args.width
    if args.mode == "bitonal":  # min-is-white: 1 = black
        line = bytearray((w + 7) // 8)
        if kind == 1:
            for x in range(w // 10, w - w // 10):
                if (x // 40) % 3 != 2:
                    line[x >> 3] |= 0x80 >> (x & 7)
        elif kind == 2:
            for x in range(w // 10, w - w // 10):
                line[x >> 3] |= 0x80 >> (x & 7)
        return bytes(line)
    spp = {"rgb": 3, "cmyk": 4}.get(args.mode, 1)
    paper = {3: bytes([236, 234, 226]), 4: bytes([8, 10, 16, 0])}.get(spp, bytes([235]))
    ink = {3: bytes([30, 32, 60]), 4: bytes([60, 50, 20, 200])}.get(spp, bytes([35]))
    line = bytearray(paper * w)
    lo, hi = w // 10, w - w // 10
    for x in range(lo, hi):
        if kind == 2 or (kind == 1 and (x // 40) % 3 != 2):
            line[x * spp:(x + 1) * spp] = ink
    return bytes(line)


def kind_of(y, h):
    """Text rows in the middle 80 % of the page: 12 rows of ink every 60."""
    if y < h // 10 or y >= h - h // 10:
        return 0
    r = y % 60
    if r < 12:
        return 1
    if y % 1800 == 30:
        return 2
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--mode", choices=["rgb", "gray", "bitonal", "cmyk"], default="rgb")
    ap.add_argument("--rps", type=int, default=16)
    ap.add_argument("--dpi", type=float, default=1200.0)
    ap.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    w, h, rps = args.width, args.height, max(1, min(args.rps, args.height))
    rows = {k: row_bytes(k, args) for k in (0, 1, 2)}
    cache, strips, data = {}, [], bytearray()
    for y0 in range(0, h, rps):
        key = tuple(kind_of(y, h) for y in range(y0, min(h, y0 + rps)))
        if key not in cache:
            raw = b"".join(rows[k] for k in key)
            cache[key] = zlib.compress(raw, 6) if args.compression == "deflate" else raw
        strips.append(cache[key])
    spp = {"rgb": 3, "cmyk": 4}.get(args.mode, 1)
    bps = 1 if args.mode == "bitonal" else 8
    photometric = {"rgb": 2, "bitonal": 0, "gray": 1, "cmyk": 5}[args.mode]
    comp = 8 if args.compression == "deflate" else 1
    n = len(strips)
    # layout: header, strip data, offsets, counts, bps array, resolution, IFD
    out = bytearray(b"II*\0\0\0\0\0")
    offs = []
    for s in strips:
        offs.append(len(out))
        out += s
    def put_array(fmt, values):
        if len(out) % 2:
            out.append(0)
        at = len(out)
        out.extend(struct.pack("<%d%s" % (len(values), fmt), *values))
        return at
    off_at = put_array("I", offs) if n > 1 else None
    cnt_at = put_array("I", [len(s) for s in strips]) if n > 1 else None
    bps_at = put_array("H", [bps] * spp) if spp > 2 else None
    res = int(round(args.dpi * 100))
    xres_at = put_array("I", [res, 100])
    yres_at = put_array("I", [res, 100])
    entries = [
        (256, 4, 1, w), (257, 4, 1, h),
        (258, 3, spp, bps_at if bps_at is not None else bps),
        (259, 3, 1, comp), (262, 3, 1, photometric),
        (273, 4, n, off_at if n > 1 else offs[0]),
        (277, 3, 1, spp), (278, 4, 1, rps),
        (279, 4, n, cnt_at if n > 1 else len(strips[0])),
        (282, 5, 1, xres_at), (283, 5, 1, yres_at), (296, 3, 1, 2),
    ]
    if len(out) % 2:
        out.append(0)
    ifd = len(out)
    out += struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        if typ == 3 and count == 1:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    out += struct.pack("<I", 0)
    out[4:8] = struct.pack("<I", ifd)
    with open(args.out, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
