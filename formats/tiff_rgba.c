/*
 * Colour and multi-sample TIFF pages that tiff_plane.c does not read from
 * their samples (CMYK, YCbCr without JPEG, old-style JPEG, planar, 16-bit,
 * with or without alpha) through libtiff's RGBA interface, which knows every
 * photometric conversion. We ask it for the stored row order and apply the
 * orientation tag ourselves like every other format. Alpha comes back
 * premultiplied and is flattened onto white; a gray-with-alpha page stays
 * 8 bpp gray.
 *
 * The page is read one strip or one row of tiles at a time (the RGBA
 * interface decodes from any row offset), so it costs one unit's raster
 * besides the page, or besides one band when the caller takes bands. The
 * RGBA interface would decode a taller strip from its start again for every
 * band, so a contiguous page with strips of more than QR_STRIP_ROWS rows is
 * read by scanline instead, QR_BAND_ROWS rows at a time, and its samples are
 * handed to the very routine the RGBA interface picked for the page
 * (img->put.contig): the same pixels, without the page's strip in memory.
 * Planes, subsampled YCbCr and old-style JPEG keep whole strips.
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

static int begin_image(TIFF *tif, qr_tiff_log *log, TIFFRGBAImage *img, qr_err *err)
{
    char emsg[1024] = "";
    if (!TIFFRGBAImageOK(tif, emsg))
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF %s", emsg);
    if (!TIFFRGBAImageBegin(img, tif, 0, emsg))
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s", qr_tiff_log_text(log, emsg));
    /* Stored order: qr_page_finish applies the orientation tag. */
    img->req_orientation = ORIENTATION_TOPLEFT;
    img->orientation = ORIENTATION_TOPLEFT;
    return QR_OK;
}

/* Rows of one strip or one row of tiles. */
static uint32_t unit_rows(TIFF *tif, const qr_tiff_info *ti)
{
    uint32_t n = 0;
    if (ti->tiled)
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &n);
    else
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &n);
    return n == 0 || n > ti->h ? ti->h : n;
}

/* Samples of the next rows, when they are read by scanline; NULL when the
 * RGBA interface reads whole strips or tiles. */
typedef struct scan_rows {
    uint8_t *buf;
    size_t stride;
} scan_rows;

static bool by_scanline(const qr_tiff_info *ti, uint32_t rows_per_strip)
{
    return !ti->tiled && rows_per_strip > QR_STRIP_ROWS && ti->planar == PLANARCONFIG_CONTIG &&
           ti->photometric != PHOTOMETRIC_YCBCR && ti->compression != COMPRESSION_OJPEG;
}

/* Rows y0 .. y0 + n - 1 as the RGBA interface's packed pixels. */
static int get_rows(TIFFRGBAImage *img, const qr_tiff_info *ti, qr_tiff_log *log,
                    const scan_rows *scan, uint32_t y0, uint32_t n, uint32_t *raster, qr_err *err)
{
    if (!scan->buf) {
        img->row_offset = (int)y0;
        img->col_offset = 0;
        if (!TIFFRGBAImageGet(img, raster, ti->w, n) || log->errors)
            return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s",
                              qr_tiff_log_text(log, "decode failed"));
        return QR_OK;
    }
    for (uint32_t r = 0; r < n; r++)
        if (TIFFReadScanline(img->tif, scan->buf + r * scan->stride, y0 + r, 0) < 0 || log->errors)
            return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF row %u: %s", (unsigned)(y0 + r),
                              qr_tiff_log_text(log, "decode failed"));
    img->put.contig(img, raster, 0, y0, ti->w, n, 0, 0, scan->buf);
    return QR_OK;
}

static int read_units(TIFFRGBAImage *img, const qr_tiff_info *ti, qr_tiff_log *log, bool gray,
                      uint32_t unit, const scan_rows *scan, uint32_t *raster, qr_rows *rows,
                      qr_err *err)
{
    for (uint32_t y0 = 0; y0 < ti->h; y0 += unit) {
        uint32_t n = ti->h - y0 < unit ? ti->h - y0 : unit;
        int rc = get_rows(img, ti, log, scan, y0, n, raster, err);
        for (uint32_t r = 0; rc == QR_OK && r < n; r++)
            flatten_row(raster + (size_t)r * ti->w, ti->w, gray, qr_rows_line(rows, (int)(y0 + r)));
        if (rc == QR_OK)
            rc = qr_rows_put(rows, (int)n, err);
        if (rc != QR_OK)
            return rc;
    }
    return QR_OK;
}

static int decode_units(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                        qr_tiff_log *log, qr_page *page, const qr_band_sink *sink,
                        TIFFRGBAImage *img, PIX **out, qr_err *err)
{
    bool gray = ti->photometric == PHOTOMETRIC_MINISBLACK ||
                ti->photometric == PHOTOMETRIC_MINISWHITE;
    int depth = gray ? 8 : 32;
    uint32_t unit = unit_rows(tif, ti);
    scan_rows scan = {NULL, 0};
    if (by_scanline(ti, unit)) {
        unit = QR_BAND_ROWS;
        scan.stride = (size_t)TIFFScanlineSize64(tif);
        if (scan.stride == 0 || !(scan.buf = qr_malloc_array(unit, scan.stride)))
            return qr_err_set(err, QR_ENOMEM, "out of memory: %u rows of a TIFF page", unit);
    }
    uint32_t *raster = qr_malloc_array((size_t)ti->w * unit, sizeof *raster);
    if (!raster) {
        free(scan.buf);
        return qr_err_set(err, QR_ENOMEM, "out of memory: %u rows of a TIFF page", unit);
    }
    bool band = qr_band_wanted(sink, lim, ti->w, ti->h, (unsigned)depth, ti->orientation);
    qr_rows rows;
    int rc = qr_rows_begin(&rows, band ? sink : NULL, page, (int)ti->w, (int)ti->h, depth,
                           (int)unit, err);
    if (rc == QR_OK) {
        rc = read_units(img, ti, log, gray, unit, &scan, raster, &rows, err);
        *out = rc == QR_OK ? qr_rows_take(&rows) : NULL;
        qr_rows_end(&rows);
    }
    free(raster);
    free(scan.buf);
    return rc;
}

int qr_tiff_read_rgba(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                      qr_tiff_log *log, qr_page *page, const qr_band_sink *sink, PIX **out,
                      qr_err *err)
{
    *out = NULL;
    int rc = qr_check_caps(lim, ti->w, ti->h, 32, err);
    if (rc == QR_OK && ti->tiled)
        rc = qr_tiff_check_tile(tif, ti, lim, true, err);
    TIFFRGBAImage img;
    if (rc == QR_OK)
        rc = begin_image(tif, log, &img, err);
    if (rc != QR_OK)
        return rc;
    rc = decode_units(tif, ti, lim, log, page, sink, &img, out, err);
    TIFFRGBAImageEnd(&img);
    return rc;
}
