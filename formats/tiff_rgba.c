/*
 * Colour and multi-sample TIFF pages (RGB, YCbCr, CMYK, JPEG and old-style
 * JPEG, planar, 16-bit, with or without alpha) through libtiff's RGBA
 * interface, which knows every photometric conversion. We ask it for the
 * stored row order and apply the orientation tag ourselves like every other
 * format. Alpha comes back premultiplied and is flattened onto white; a
 * gray-with-alpha page stays 8 bpp gray.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "tiff_int.h"

static void flatten_row(const uint32_t *src, uint32_t w, bool gray, uint32_t *line)
{
    for (uint32_t x = 0; x < w; x++) {
        uint32_t p = src[x];
        unsigned a = TIFFGetA(p);
        uint8_t r = qr_over_white(TIFFGetR(p), a), g = qr_over_white(TIFFGetG(p), a),
                b = qr_over_white(TIFFGetB(p), a);
        if (gray) {
            SET_DATA_BYTE(line, x, g);
        } else {
            l_uint32 px;
            composeRGBPixel(r, g, b, &px);
            line[x] = px;
        }
    }
}

static PIX *raster_to_pix(const uint32_t *raster, uint32_t w, uint32_t h, bool gray)
{
    PIX *pix = pixCreate((int)w, (int)h, gray ? 8 : 32);
    if (!pix)
        return NULL;
    if (!gray)
        pixSetSpp(pix, 3);
    uint32_t *data = pixGetData(pix);
    size_t wpl = (size_t)pixGetWpl(pix);
    for (uint32_t y = 0; y < h; y++)
        flatten_row(raster + (size_t)y * w, w, gray, data + (size_t)y * wpl);
    return pix;
}

static int get_raster(TIFF *tif, const qr_tiff_info *ti, qr_tiff_log *log, uint32_t *raster,
                      qr_err *err)
{
    char emsg[1024] = "";
    if (!TIFFRGBAImageOK(tif, emsg))
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF %s", emsg);
    TIFFRGBAImage img;
    if (!TIFFRGBAImageBegin(&img, tif, 0, emsg))
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s",
                          qr_tiff_log_text(log, emsg));
    /* Stored order: qr_page_finish applies the orientation tag. */
    img.req_orientation = ORIENTATION_TOPLEFT;
    img.orientation = ORIENTATION_TOPLEFT;
    int ok = TIFFRGBAImageGet(&img, raster, ti->w, ti->h);
    TIFFRGBAImageEnd(&img);
    if (!ok || log->errors)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s",
                          qr_tiff_log_text(log, "decode failed"));
    return QR_OK;
}

int qr_tiff_read_rgba(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                      qr_tiff_log *log, PIX **out, qr_err *err)
{
    *out = NULL;
    int rc = qr_check_caps(lim, ti->w, ti->h, 32, err);
    if (rc == QR_OK && ti->tiled)
        rc = qr_tiff_check_tile(tif, ti, lim, true, err);
    if (rc != QR_OK)
        return rc;
    size_t n;
    if (!qr_mul_size((size_t)ti->w, (size_t)ti->h, &n))
        return qr_err_set(err, QR_ELIMIT, "limit: page too large");
    uint32_t *raster = qr_malloc_array(n, sizeof *raster);
    if (!raster)
        return qr_err_set(err, QR_ENOMEM, "out of memory: %zu pixels for a TIFF page", n);
    rc = get_raster(tif, ti, log, raster, err);
    if (rc == QR_OK) {
        bool gray = ti->photometric == PHOTOMETRIC_MINISBLACK ||
                    ti->photometric == PHOTOMETRIC_MINISWHITE;
        *out = raster_to_pix(raster, ti->w, ti->h, gray);
        if (!*out)
            rc = qr_err_set(err, QR_ENOMEM, "out of memory for a page");
    }
    free(raster);
    return rc;
}
