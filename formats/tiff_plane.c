/*
 * One-sample TIFF pages: bitonal, gray (1/2/4/8/16 bit, min-is-white or
 * min-is-black) and palette. The decoded samples of every strip or tile are
 * gathered into one packed buffer, then mapped to the smallest faithful PIX:
 * 1 bpp for black-and-white, 8 bpp gray, or 32 bpp when a palette has colour.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "tiff_int.h"

bool qr_tiff_is_plane(const qr_tiff_info *ti)
{
    bool photo = ti->photometric == PHOTOMETRIC_MINISWHITE ||
                 ti->photometric == PHOTOMETRIC_MINISBLACK ||
                 ti->photometric == PHOTOMETRIC_PALETTE;
    bool depth = ti->bps == 1 || ti->bps == 2 || ti->bps == 4 || ti->bps == 8 || ti->bps == 16;
    return ti->spp == 1 && photo && depth && ti->compression != COMPRESSION_OJPEG &&
           ti->sampleformat != SAMPLEFORMAT_INT;
}

/* libtiff 4.5 cannot decode Group 3 1-D data that omits the EOL codes (it
 * stops at the first row); say so instead of calling the scan corrupt. */
static bool g3_without_eol(TIFF *tif, const qr_tiff_log *log)
{
    uint16_t comp = 0;
    uint32_t opts = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_GROUP3OPTIONS, &opts);
    return comp == COMPRESSION_CCITTFAX3 && !(opts & GROUP3OPT_2DENCODING) &&
           strstr(log->last_warning, "Premature EOL at line 0 ") != NULL;
}

static int read_fail(TIFF *tif, qr_tiff_log *log, const char *what, uint32_t n, qr_err *err)
{
    if (g3_without_eol(tif, log))
        return qr_err_set(err, QR_EUNSUPPORTED,
                          "unsupported: TIFF CCITT G3 1-D data without EOL codes (%s)",
                          log->last_warning);
    return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF %s %u: %s", what, (unsigned)n,
                      qr_tiff_log_text(log, "decode failed"));
}

static int read_strips(TIFF *tif, const qr_tiff_info *ti, size_t stride, uint8_t *buf,
                       qr_tiff_log *log, qr_err *err)
{
    uint32_t rps = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    if (rps == 0 || rps > ti->h)
        rps = ti->h;
    uint32_t n = TIFFNumberOfStrips(tif);
    for (uint32_t s = 0; s < n && (uint64_t)s * rps < ti->h; s++) {
        uint64_t y0 = (uint64_t)s * rps;
        uint64_t rows = ti->h - y0 < rps ? ti->h - y0 : rps;
        tmsize_t got = TIFFReadEncodedStrip(tif, s, buf + y0 * stride, (tmsize_t)(rows * stride));
        if (got < 0 || log->errors)
            return read_fail(tif, log, "strip", s, err);
    }
    return QR_OK;
}

static void copy_tile(const uint8_t *tile, size_t trow, uint32_t tx, uint32_t ty, uint32_t tw,
                      uint32_t rows, const qr_tiff_info *ti, size_t stride, uint8_t *buf)
{
    uint32_t cols = ti->w - tx < tw ? ti->w - tx : tw;
    size_t off = (size_t)tx * ti->bps / 8, n = ((size_t)cols * ti->bps + 7) / 8;
    for (uint32_t r = 0; r < rows; r++)
        memcpy(buf + (size_t)(ty + r) * stride + off, tile + (size_t)r * trow, n);
}

/* Tiles are checked against the caps first, and only the rows of a tile
 * that lie on the page are decoded (libtiff stops inflating there): a tile
 * may be far taller than a small page. */
static int read_tiles(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, size_t stride,
                      uint8_t *buf, qr_tiff_log *log, qr_err *err)
{
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    tmsize_t tsize = TIFFTileSize(tif), trow = TIFFTileRowSize(tif);
    if (tw == 0 || th == 0 || tw % 16 || tsize <= 0 || trow <= 0)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF tile size %u x %u", tw, th);
    int rc = qr_tiff_check_tile(tif, ti, lim, false, err);
    if (rc != QR_OK)
        return rc;
    uint32_t most = th < ti->h ? th : ti->h;
    uint8_t *tile = qr_malloc_array(most, (size_t)trow);
    if (!tile)
        return qr_err_set(err, QR_ENOMEM, "out of memory for a TIFF tile");
    for (uint32_t ty = 0; ty < ti->h && rc == QR_OK; ty += th) {
        uint32_t rows = ti->h - ty < th ? ti->h - ty : th;
        for (uint32_t tx = 0; tx < ti->w && rc == QR_OK; tx += tw) {
            ttile_t k = TIFFComputeTile(tif, tx, ty, 0, 0);
            if (TIFFReadEncodedTile(tif, k, tile, (tmsize_t)rows * trow) < 0 || log->errors)
                rc = read_fail(tif, log, "tile at row", ty, err);
            else
                copy_tile(tile, (size_t)trow, tx, ty, tw, rows, ti, stride, buf);
        }
    }
    free(tile);
    return rc;
}

static unsigned sample_at(const uint8_t *row, uint32_t x, unsigned bps)
{
    if (bps == 8)
        return row[x];
    if (bps == 16) {
        uint16_t v;
        memcpy(&v, row + 2 * (size_t)x, 2);
        return v;
    }
    size_t bit = (size_t)x * bps;
    unsigned shift = 8 - bps - (unsigned)(bit & 7);
    return (row[bit >> 3] >> shift) & ((1u << bps) - 1);
}

/* 8-bit RGB for each palette index; old writers use 8-bit colormap values. */
static uint32_t *palette_lut(TIFF *tif, unsigned bps, qr_err *err)
{
    uint16_t *r = NULL, *g = NULL, *b = NULL;
    size_t n = (size_t)1 << bps;
    if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b) {
        qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF palette image without a colormap");
        return NULL;
    }
    bool eight = true;
    for (size_t i = 0; i < n; i++)
        eight = eight && r[i] < 256 && g[i] < 256 && b[i] < 256;
    unsigned sh = eight ? 0 : 8;
    uint32_t *lut = malloc(n * sizeof *lut);
    if (!lut) {
        qr_err_set(err, QR_ENOMEM, "out of memory for a TIFF palette");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        l_uint32 px;
        composeRGBPixel(r[i] >> sh, g[i] >> sh, b[i] >> sh, &px);
        lut[i] = px;
    }
    return lut;
}

static bool lut_is_gray(const uint32_t *lut, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        l_int32 r, g, b;
        extractRGBValues(lut[i], &r, &g, &b);
        if (r != g || g != b)
            return false;
    }
    return true;
}

/* Gray LUT for plain gray samples: scaled to 8 bits, min-is-white inverted. */
static uint8_t gray_of(unsigned v, const qr_tiff_info *ti)
{
    unsigned g = ti->bps == 16 ? v >> 8 : ti->bps == 8 ? v : v * 255u / ((1u << ti->bps) - 1);
    return (uint8_t)(ti->photometric == PHOTOMETRIC_MINISWHITE ? 255u - g : g);
}

static PIX *map_pixels(const uint8_t *buf, size_t stride, const qr_tiff_info *ti,
                       const uint32_t *lut, int depth)
{
    PIX *pix = qr_pix_new((int)ti->w, (int)ti->h, depth);
    if (!pix)
        return NULL;
    if (depth == 32)
        pixSetSpp(pix, 3);
    uint32_t *data = pixGetData(pix);
    size_t wpl = (size_t)pixGetWpl(pix);
    for (uint32_t y = 0; y < ti->h; y++) {
        const uint8_t *row = buf + (size_t)y * stride;
        uint32_t *line = data + (size_t)y * wpl;
        for (uint32_t x = 0; x < ti->w; x++) {
            unsigned v = sample_at(row, x, ti->bps);
            if (depth == 32) {
                line[x] = lut[v];
            } else {
                l_int32 g = 0, u;
                if (lut)
                    extractRGBValues(lut[v], &g, &u, &u);
                SET_DATA_BYTE(line, x, lut ? (uint8_t)g : gray_of(v, ti));
            }
        }
    }
    return pix;
}

/* 1 = black in Leptonica: invert unless the source's 1 already means black. */
static PIX *bitonal(const uint8_t *buf, size_t stride, const qr_tiff_info *ti, bool one_is_black)
{
    PIX *pix = qr_pix_from_rows(buf, stride, (int)ti->w, (int)ti->h, 1);
    if (pix && !one_is_black) {
        pixInvert(pix, pix);
        pixSetPadBits(pix, 0);
    }
    return pix;
}

static PIX *palette_pix(TIFF *tif, const uint8_t *buf, size_t stride, const qr_tiff_info *ti,
                        qr_err *err)
{
    uint32_t *lut = palette_lut(tif, ti->bps, err);
    if (!lut)
        return NULL;
    size_t n = (size_t)1 << ti->bps;
    PIX *pix = NULL;
    uint32_t black, white;
    composeRGBPixel(0, 0, 0, &black);
    composeRGBPixel(255, 255, 255, &white);
    if (ti->bps == 1 && lut[0] == white && lut[1] == black)
        pix = bitonal(buf, stride, ti, true);
    else if (ti->bps == 1 && lut[0] == black && lut[1] == white)
        pix = bitonal(buf, stride, ti, false);
    else
        pix = map_pixels(buf, stride, ti, lut, lut_is_gray(lut, n) ? 8 : 32);
    free(lut);
    return pix;
}

static PIX *to_pix(TIFF *tif, const uint8_t *buf, size_t stride, const qr_tiff_info *ti,
                   qr_err *err)
{
    if (ti->photometric == PHOTOMETRIC_PALETTE)
        return palette_pix(tif, buf, stride, ti, err);
    if (ti->bps == 1)
        return bitonal(buf, stride, ti, ti->photometric == PHOTOMETRIC_MINISWHITE);
    return map_pixels(buf, stride, ti, NULL, 8);
}

int qr_tiff_read_plane(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                       qr_tiff_log *log, PIX **out, qr_err *err)
{
    *out = NULL;
    unsigned out_bits = ti->photometric == PHOTOMETRIC_PALETTE ? 32 : ti->bps == 1 ? 1 : 8;
    int rc = qr_check_caps(lim, ti->w, ti->h, out_bits > ti->bps ? out_bits : ti->bps, err);
    if (rc != QR_OK)
        return rc;
    size_t stride = ((size_t)ti->w * ti->bps + 7) / 8, total;
    if ((uint64_t)TIFFScanlineSize64(tif) != stride || !qr_mul_size(stride, ti->h, &total))
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF scanline size");
    uint8_t *buf = calloc(total, 1);
    if (!buf)
        return qr_err_set(err, QR_ENOMEM, "out of memory: %zu bytes for a TIFF page", total);
    rc = ti->tiled ? read_tiles(tif, ti, lim, stride, buf, log, err)
                   : read_strips(tif, ti, stride, buf, log, err);
    if (rc == QR_OK) {
        err->code = QR_OK;
        *out = to_pix(tif, buf, stride, ti, err);
        if (!*out)
            rc = err->code != QR_OK ? err->code
                                    : qr_err_set(err, QR_ENOMEM, "out of memory for a page");
    }
    free(buf);
    return rc;
}
