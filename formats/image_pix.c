/*
 * Moving pixels between packed byte rows (what codecs read and write) and
 * Leptonica's PIX, whose rows are 32-bit words with the first pixel in the
 * most significant bits. Copies go row by row with overflow-checked sizes;
 * the byte order fix-up is Leptonica's own pixEndianByteSwap.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

PIX *qr_pix_new(int w, int h, int depth)
{
    PIX *pix = pixCreateNoInit(w, h, depth);
    if (!pix)
        return NULL;
    size_t used = ((size_t)w * (size_t)depth + 7) / 8, wpl = (size_t)pixGetWpl(pix);
    uint8_t *data = (uint8_t *)pixGetData(pix);
    if (used < wpl * 4)
        for (int y = 0; y < h; y++)
            memset(data + (size_t)y * wpl * 4 + used, 0, wpl * 4 - used);
    return pix;
}

PIX *qr_pix_from_rows(const uint8_t *rows, size_t stride, int w, int h, int depth)
{
    PIX *pix = qr_pix_new(w, h, depth);
    if (!pix)
        return NULL;
    size_t need = ((size_t)w * (size_t)depth + 7) / 8;
    size_t wpl = (size_t)pixGetWpl(pix);
    uint32_t *data = pixGetData(pix);
    if (need > stride)
        need = stride;
    for (int y = 0; y < h; y++)
        memcpy(data + (size_t)y * wpl, rows + (size_t)y * stride, need);
    pixEndianByteSwap(pix);
    if (depth == 1)
        pixSetPadBits(pix, 0);
    return pix;
}

static void copy_rgb_row(const uint32_t *line, int w, uint8_t *dst)
{
    for (int x = 0; x < w; x++) {
        l_int32 r, g, b;
        extractRGBValues(line[x], &r, &g, &b);
        dst[3 * x] = (uint8_t)r;
        dst[3 * x + 1] = (uint8_t)g;
        dst[3 * x + 2] = (uint8_t)b;
    }
}

static void copy_packed_row(const uint32_t *line, size_t n, bool invert, uint8_t *dst)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)GET_DATA_BYTE(line, i);
        dst[i] = invert ? (uint8_t)~v : v;
    }
}

int qr_pix_to_rows(const PIX *cpix, bool invert1, uint8_t **out, size_t *stride, size_t *len)
{
    PIX *pix = (PIX *)cpix; /* Leptonica getters take non-const */
    int w = pixGetWidth(pix), h = pixGetHeight(pix), d = pixGetDepth(pix);
    *out = NULL;
    if (d != 1 && d != 8 && d != 32)
        return QR_EINVAL;
    size_t s = d == 32 ? (size_t)w * 3 : ((size_t)w * (size_t)d + 7) / 8, total;
    if (!qr_mul_size(s, (size_t)h, &total))
        return QR_ELIMIT;
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf)
        return QR_ENOMEM;
    uint32_t *data = pixGetData(pix);
    size_t wpl = (size_t)pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        const uint32_t *line = data + (size_t)y * wpl;
        if (d == 32)
            copy_rgb_row(line, w, buf + (size_t)y * s);
        else
            copy_packed_row(line, s, d == 1 && invert1, buf + (size_t)y * s);
        if (d == 1 && (w & 7)) /* keep the pad bits of a row clean */
            buf[(size_t)y * s + s - 1] &= (uint8_t)(0xFF00u >> (w & 7));
    }
    *out = buf;
    *stride = s;
    *len = total;
    return QR_OK;
}
