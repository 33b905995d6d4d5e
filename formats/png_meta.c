/*
 * A PNG's orientation, from its eXIf chunk (the EXIF Orientation tag, as
 * phones write it) or else from its XMP packet's tiff:Orientation (an iTXt
 * chunk with the keyword "XML:com.adobe.xmp", as editors write it), so that
 * a PNG turns upright like a JPEG or a TIFF does.
 *
 * libpng is told to skip these chunks (png_read.c: it would inflate every
 * text chunk up to 8 MB). They are found here instead by walking the chunk
 * headers in the caller's buffer, bounds-checked, up to the first IDAT
 * (both chunks must precede the image data; a later one is ignored). Only
 * the XMP packet is ever inflated, and to at most QR_PNG_XMP_MAX bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "image_int.h"

#define QR_PNG_XMP_MAX (1u << 20)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The value of tiff:Orientation in an XMP packet (attribute or element);
 * 0 when absent or not 1..8. */
static int xmp_orientation(const char *x, size_t n)
{
    static const char key[] = "tiff:Orientation";
    const char *end = x + n;
    for (const char *p = x; (p = memmem(p, (size_t)(end - p), key, sizeof key - 1)); p++) {
        const char *v = p + sizeof key - 1;
        while (v < end && (*v == ' ' || *v == '=' || *v == '"' || *v == '\'' || *v == '>'))
            v++;
        if (v < end && *v >= '1' && *v <= '8' && (v + 1 == end || v[1] < '0' || v[1] > '9'))
            return *v - '0';
    }
    return 0;
}

/* The text of a compressed iTXt, inflated up to QR_PNG_XMP_MAX bytes. */
static int inflated_orientation(const uint8_t *z, size_t n)
{
    uLongf out_len = QR_PNG_XMP_MAX;
    Bytef *out = malloc(out_len);
    if (!out)
        return 0;
    z_stream s = {.next_in = (Bytef *)(uintptr_t)z, .avail_in = (uInt)n, .next_out = out,
                  .avail_out = (uInt)out_len};
    int o = 0;
    if (n <= UINT32_MAX && inflateInit(&s) == Z_OK) {
        inflate(&s, Z_FINISH); /* a packet cut at the cap is still searched */
        o = xmp_orientation((const char *)out, s.total_out);
        inflateEnd(&s);
    }
    free(out);
    return o;
}

/* iTXt: keyword \0 flag method language \0 translated keyword \0 text. */
static int itxt_orientation(const uint8_t *d, size_t n)
{
    static const char kw[] = "XML:com.adobe.xmp";
    if (n < sizeof kw + 2 || memcmp(d, kw, sizeof kw) != 0)
        return 0;
    size_t i = sizeof kw;
    bool compressed = d[i] == 1;
    i += 2;
    for (int field = 0; field < 2; field++) {
        const uint8_t *z = memchr(d + i, 0, n - i);
        if (!z)
            return 0;
        i = (size_t)(z - d) + 1;
    }
    if (compressed)
        return inflated_orientation(d + i, n - i);
    return xmp_orientation((const char *)d + i, n - i);
}

int qr_png_orientation(const uint8_t *buf, size_t len)
{
    int exif = 0, xmp = 0;
    for (size_t i = 8; i + 12 <= len;) {
        uint32_t n = be32(buf + i);
        const uint8_t *type = buf + i + 4, *data = buf + i + 8;
        if (n > len - i - 12 || memcmp(type, "IDAT", 4) == 0)
            break;
        if (memcmp(type, "eXIf", 4) == 0 && exif == 0) {
            qr_exif e;
            qr_exif_parse(data, n, &e);
            exif = e.orientation;
        } else if (memcmp(type, "iTXt", 4) == 0 && xmp == 0) {
            xmp = itxt_orientation(data, n);
        }
        i += 12 + (size_t)n;
    }
    return exif ? exif : xmp ? xmp : 1;
}
