/*
 * A small, bounds-checked reader for the TIFF structure inside a JPEG's APP1
 * Exif segment: orientation, resolution and capture time. Untrusted input:
 * every offset is checked against the segment length before it is read, the
 * IFD entry count is bounded by the bytes present, and only IFD0 and the Exif
 * sub-IFD are visited (no pointer chasing loops).
 */
#include <string.h>

#include "image_int.h"

typedef struct exif_src {
    const uint8_t *p;
    size_t n;
    bool le;
} exif_src;

static bool in_range(const exif_src *s, uint64_t off, uint64_t len)
{
    return off <= s->n && len <= s->n - off;
}

static uint32_t rd16(const exif_src *s, size_t off)
{
    const uint8_t *q = s->p + off;
    return s->le ? (uint32_t)(q[0] | q[1] << 8) : (uint32_t)(q[0] << 8 | q[1]);
}

static uint32_t rd32(const exif_src *s, size_t off)
{
    const uint8_t *q = s->p + off;
    return s->le ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24
                 : (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | (uint32_t)q[3];
}

/* A RATIONAL entry's value; 0 when malformed. */
static double rational(const exif_src *s, size_t entry)
{
    if (rd16(s, entry + 2) != 5 || rd32(s, entry + 4) < 1)
        return 0;
    uint32_t off = rd32(s, entry + 8);
    if (!in_range(s, off, 8))
        return 0;
    uint32_t num = rd32(s, off), den = rd32(s, off + 4);
    return den ? (double)num / (double)den : 0;
}

/* A SHORT (or LONG) entry's first value; -1 when malformed. */
static long short_value(const exif_src *s, size_t entry)
{
    uint32_t type = rd16(s, entry + 2);
    if (rd32(s, entry + 4) < 1)
        return -1;
    if (type == 3)
        return (long)rd16(s, entry + 8);
    if (type == 4)
        return (long)rd32(s, entry + 8);
    return -1;
}

/* "YYYY:MM:DD HH:MM:SS" as UTC seconds; -1 when malformed. */
static long long ascii_time(const exif_src *s, size_t entry)
{
    uint32_t count = rd32(s, entry + 4);
    if (rd16(s, entry + 2) != 2 || count < 19)
        return -1;
    uint32_t off = rd32(s, entry + 8);
    if (!in_range(s, off, 19))
        return -1;
    char text[20];
    memcpy(text, s->p + off, 19);
    text[19] = '\0';
    return (long long)qr_parse_exif_time(text);
}

/* An ASCII entry's text (inline up to 4 bytes, else at its offset). */
static void ascii_text(const exif_src *s, size_t entry, char out[QR_SCANNER_TEXT])
{
    uint32_t count = rd32(s, entry + 4);
    if (rd16(s, entry + 2) != 2 || count == 0)
        return;
    uint64_t off = count <= 4 ? entry + 8 : rd32(s, entry + 8);
    if (count > QR_SCANNER_TEXT - 1)
        count = QR_SCANNER_TEXT - 1;
    if (in_range(s, off, count))
        qr_scanner_text(out, (const char *)s->p + off, count);
}

/* Walk one IFD; returns the Exif sub-IFD offset found there (0 if none). */
static uint32_t walk_ifd(const exif_src *s, uint32_t ifd, qr_exif *out, long long *original)
{
    if (!in_range(s, ifd, 2))
        return 0;
    uint32_t count = rd16(s, ifd), sub = 0;
    if (!in_range(s, (uint64_t)ifd + 2, (uint64_t)count * 12))
        count = (uint32_t)((s->n - ifd - 2) / 12);
    for (uint32_t i = 0; i < count; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        switch (rd16(s, e)) {
        case 0x0112: out->orientation = (int)short_value(s, e); break;
        case 0x011A: out->xres = rational(s, e); break;
        case 0x011B: out->yres = rational(s, e); break;
        case 0x0128: out->unit = (int)short_value(s, e); break;
        case 0x0132: out->time = ascii_time(s, e); break;
        case 0x010F: ascii_text(s, e, out->scanner.make); break;
        case 0x0110: ascii_text(s, e, out->scanner.model); break;
        case 0x0131: ascii_text(s, e, out->scanner.software); break;
        case 0x9003: *original = ascii_time(s, e); break;
        case 0x8769: sub = short_value(s, e) > 0 ? (uint32_t)short_value(s, e) : 0; break;
        default: break;
        }
    }
    return sub;
}

void qr_exif_parse(const uint8_t *p, size_t n, qr_exif *out)
{
    memset(out, 0, sizeof *out);
    out->unit = 2;
    out->time = -1;
    exif_src s = {p, n, false};
    if (n < 8 || !(memcmp(p, "II", 2) == 0 || memcmp(p, "MM", 2) == 0))
        return;
    s.le = p[0] == 'I';
    if (rd16(&s, 2) != 42)
        return;
    long long original = -1;
    uint32_t sub = walk_ifd(&s, rd32(&s, 4), out, &original);
    if (sub)
        walk_ifd(&s, sub, out, &original);
    if (original >= 0)
        out->time = original;
    if (out->orientation < 1 || out->orientation > 8)
        out->orientation = 0;
    if (out->unit < 1 || out->unit > 3)
        out->unit = 2;
}
