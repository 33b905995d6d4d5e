/*
 * Where a decoder puts the rows it decodes: into the whole page, or, for a
 * large page whose caller asked for bands, into one band at a time that goes
 * to the caller's sink (qr_image_decode_bands). Every decoder is written
 * against this one interface (qr_rows), unit by unit (a TIFF strip or row of
 * tiles, a run of scanlines), so a page is decoded the same way whether it
 * ends up whole or in bands, and a whole page costs the page plus one unit
 * of the decoder's own buffers, never a second copy of the page.
 *
 * Runs on the thread that decodes; the sink is called on that thread.
 */
#include <string.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

uint64_t qr_pix_bytes(uint64_t w, uint64_t h, unsigned depth)
{
    return (w * depth + 31) / 32 * 4 * h;
}

bool qr_band_wanted(const qr_band_sink *sink, const qr_limits *lim, uint64_t w, uint64_t h,
                    unsigned depth, int orientation)
{
    return sink && depth >= 8 && orientation <= 1 &&
           qr_pix_bytes(w, h, depth) > lim->band_bytes;
}

void qr_page_meta(qr_page *page, double xdpi, double ydpi)
{
    page->orientation = 1;
    page->dpi_known = xdpi > 0 && ydpi > 0;
    page->xdpi = page->dpi_known ? xdpi : 0;
    page->ydpi = page->dpi_known ? ydpi : 0;
}

static PIX *new_rows(int w, int h, int depth)
{
    PIX *pix = qr_pix_new(w, h, depth);
    if (pix && depth == 32)
        pixSetSpp(pix, 3);
    return pix;
}

int qr_rows_begin(qr_rows *r, const qr_band_sink *sink, qr_page *page, int w, int h, int depth,
                  int band_rows, qr_err *err)
{
    memset(r, 0, sizeof *r);
    r->sink = sink;
    r->w = w;
    r->h = h;
    r->depth = depth;
    r->band_cap = sink ? (band_rows < h ? band_rows : h) : h;
    r->pix = new_rows(w, r->band_cap, depth);
    if (!r->pix)
        return qr_err_set(err, QR_ENOMEM, "out of memory: %d x %d pixels at %d bpp", w,
                          r->band_cap, depth);
    if (!sink)
        return QR_OK;
    page->banded = true;
    int rc = sink->start(sink->ctx, page, w, h, depth, err);
    if (rc != QR_OK)
        qr_rows_end(r);
    return rc;
}

uint32_t *qr_rows_line(qr_rows *r, int y)
{
    int at = r->sink ? y - r->next : y;
    return pixGetData(r->pix) + (size_t)at * (size_t)pixGetWpl(r->pix);
}

int qr_rows_put(qr_rows *r, int n, qr_err *err)
{
    int y0 = r->next;
    r->next += n;
    if (!r->sink || n == 0)
        return QR_OK;
    pixSetHeight(r->pix, n); /* a last band may be shorter */
    int rc = r->sink->rows(r->sink->ctx, r->pix, y0, err);
    pixSetHeight(r->pix, r->band_cap);
    return rc;
}

PIX *qr_rows_take(qr_rows *r)
{
    PIX *pix = r->sink ? NULL : r->pix;
    if (pix)
        r->pix = NULL;
    return pix;
}

void qr_rows_end(qr_rows *r)
{
    pixDestroy(&r->pix);
}

/* Pack one row of bytes (MSB first) into a PIX line: Leptonica keeps the
 * first pixel in the most significant byte of each 32-bit word. */
void qr_line_from_bytes(uint32_t *line, const uint8_t *src, size_t n)
{
    size_t full = n / 4;
    for (size_t j = 0; j < full; j++, src += 4)
        line[j] = (uint32_t)src[0] << 24 | (uint32_t)src[1] << 16 | (uint32_t)src[2] << 8 | src[3];
    if (n % 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++)
            v = v << 8 | (k < n % 4 ? src[k] : 0u);
        line[full] = v;
    }
}
