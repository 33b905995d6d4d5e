/*
 * TIFF pages read from their samples: one-sample pages (bitonal, gray at
 * 1/2/4/8/16 bits, min-is-white or min-is-black, palette) and 8-bit RGB
 * (also JPEG-compressed YCbCr, which libjpeg turns into RGB), and CIELab
 * converted to sRGB by tiff_lab.c. Each page is
 * read a unit at a time (a strip of up to QR_STRIP_ROWS rows, QR_BAND_ROWS
 * scanlines of a taller strip, or one row of tiles) and every row is mapped
 * straight into the smallest faithful PIX row: 1 bpp for black-and-white,
 * 8 bpp gray, 32 bpp for colour or a palette with colour. So a page costs
 * its PIX (or, in band mode, one band) plus one unit of samples, and only
 * the rows of a tile that lie on the page are ever inflated.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "tiff_int.h"

static bool is_rgb8(const qr_tiff_info *ti)
{
    bool photo = ti->photometric == PHOTOMETRIC_RGB ||
                 (ti->photometric == PHOTOMETRIC_YCBCR && ti->compression == COMPRESSION_JPEG);
    return photo && ti->spp == 3 && ti->bps == 8 && ti->extra_count == 0 &&
           ti->planar == PLANARCONFIG_CONTIG && ti->compression != COMPRESSION_OJPEG &&
           ti->sampleformat != SAMPLEFORMAT_INT;
}

bool qr_tiff_is_plane(const qr_tiff_info *ti)
{
    bool photo = ti->photometric == PHOTOMETRIC_MINISWHITE ||
                 ti->photometric == PHOTOMETRIC_MINISBLACK ||
                 ti->photometric == PHOTOMETRIC_PALETTE;
    bool depth = ti->bps == 1 || ti->bps == 2 || ti->bps == 4 || ti->bps == 8 || ti->bps == 16;
    bool plane = ti->spp == 1 && photo && depth && ti->compression != COMPRESSION_OJPEG &&
                 ti->sampleformat != SAMPLEFORMAT_INT;
    return plane || is_rgb8(ti) || qr_tiff_is_lab(ti);
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

/* ---- units: where the packed samples of the next rows come from ---- */

typedef enum unit_kind { BY_STRIP, BY_SCANLINE, BY_TILE } unit_kind;

typedef struct unit_src {
    TIFF *tif;
    const qr_tiff_info *ti;
    qr_tiff_log *log;
    size_t stride;   /* packed bytes of a row */
    unit_kind how;
    uint32_t unit;   /* rows of a unit (the last one may be shorter) */
    uint32_t tw;     /* tile width */
    size_t trow;     /* bytes of a tile row */
    uint8_t *tile;   /* by tile: the rows of one tile that lie on the page */
    uint8_t *buf;    /* the unit's rows */
} unit_src;

static int open_tiles(unit_src *s, const qr_limits *lim, qr_err *err)
{
    uint32_t th = 0;
    TIFFGetField(s->tif, TIFFTAG_TILEWIDTH, &s->tw);
    TIFFGetField(s->tif, TIFFTAG_TILELENGTH, &th);
    tmsize_t tsize = TIFFTileSize(s->tif), trow = TIFFTileRowSize(s->tif);
    if (s->tw == 0 || th == 0 || s->tw % 16 || tsize <= 0 || trow <= 0)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF tile size %u x %u", s->tw, th);
    int rc = qr_tiff_check_tile(s->tif, s->ti, lim, false, err);
    if (rc != QR_OK)
        return rc;
    s->how = BY_TILE;
    s->unit = th < s->ti->h ? th : s->ti->h;
    s->trow = (size_t)trow;
    s->tile = qr_malloc_array(s->unit, s->trow);
    return s->tile ? QR_OK : qr_err_set(err, QR_ENOMEM, "out of memory for a TIFF tile");
}

static int unit_open(unit_src *s, const qr_limits *lim, qr_err *err)
{
    int rc = QR_OK;
    if (s->ti->tiled) {
        rc = open_tiles(s, lim, err);
    } else {
        uint32_t rps = 0;
        TIFFGetFieldDefaulted(s->tif, TIFFTAG_ROWSPERSTRIP, &rps);
        if (rps == 0 || rps > s->ti->h)
            rps = s->ti->h;
        s->how = rps <= QR_STRIP_ROWS ? BY_STRIP : BY_SCANLINE;
        s->unit = s->how == BY_STRIP ? rps : QR_BAND_ROWS < s->ti->h ? QR_BAND_ROWS : s->ti->h;
    }
    if (rc == QR_OK && !(s->buf = qr_malloc_array(s->unit, s->stride)))
        rc = qr_err_set(err, QR_ENOMEM, "out of memory for %u rows of a TIFF page", s->unit);
    return rc;
}

static void unit_close(unit_src *s)
{
    free(s->tile);
    free(s->buf);
}

static int read_tile_row(unit_src *s, uint32_t y0, uint32_t n, qr_err *err)
{
    const qr_tiff_info *ti = s->ti;
    for (uint32_t tx = 0; tx < ti->w; tx += s->tw) {
        ttile_t k = TIFFComputeTile(s->tif, tx, y0, 0, 0);
        if (TIFFReadEncodedTile(s->tif, k, s->tile, (tmsize_t)(n * s->trow)) < 0 || s->log->errors)
            return read_fail(s->tif, s->log, "tile at row", y0, err);
        uint32_t cols = ti->w - tx < s->tw ? ti->w - tx : s->tw;
        size_t bits = (size_t)ti->bps * ti->spp;
        size_t off = (size_t)tx * bits / 8, len = ((size_t)cols * bits + 7) / 8;
        for (uint32_t r = 0; r < n; r++)
            memcpy(s->buf + r * s->stride + off, s->tile + r * s->trow, len);
    }
    return QR_OK;
}

/* Rows y0 .. y0 + n - 1 into s->buf (y0 is where the unit starts). */
static int unit_read(unit_src *s, uint32_t y0, uint32_t n, qr_err *err)
{
    if (s->how == BY_TILE)
        return read_tile_row(s, y0, n, err);
    if (s->how == BY_STRIP) {
        uint32_t strip = y0 / s->unit;
        tmsize_t got = TIFFReadEncodedStrip(s->tif, strip, s->buf, (tmsize_t)(n * s->stride));
        return got < 0 || s->log->errors ? read_fail(s->tif, s->log, "strip", strip, err) : QR_OK;
    }
    for (uint32_t r = 0; r < n; r++)
        if (TIFFReadScanline(s->tif, s->buf + r * s->stride, y0 + r, 0) < 0 || s->log->errors)
            return read_fail(s->tif, s->log, "row", y0 + r, err);
    return QR_OK;
}

/* ---- rows: samples to PIX rows ---- */

typedef enum row_kind { R_BLACK1, R_WHITE1, R_GRAY, R_LUT8, R_LUT32, R_RGB, R_LAB } row_kind;

typedef struct row_map {
    row_kind kind;
    const qr_tiff_info *ti;
    uint32_t *lut;   /* palette as 32 bpp RGB; NULL without one */
    void *lab;       /* CIELab: the lcms2 transform to sRGB */
    uint32_t pad;    /* 1 bpp: the bits of a row's last word that are pixels */
} row_map;

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

/* Gray LUT for plain gray samples: scaled to 8 bits, min-is-white inverted. */
static uint8_t gray_of(unsigned v, const qr_tiff_info *ti)
{
    unsigned g = ti->bps == 16 ? v >> 8 : ti->bps == 8 ? v : v * 255u / ((1u << ti->bps) - 1);
    return (uint8_t)(ti->photometric == PHOTOMETRIC_MINISWHITE ? 255u - g : g);
}

/* 1 = black in Leptonica: a source whose 1 means white is inverted. */
static void bitonal_row(const row_map *m, const uint8_t *row, uint32_t *line)
{
    size_t n = ((size_t)m->ti->w + 7) / 8, words = ((size_t)m->ti->w + 31) / 32;
    qr_line_from_bytes(line, row, n);
    if (m->kind == R_WHITE1)
        for (size_t j = 0; j < words; j++)
            line[j] = ~line[j];
    line[words - 1] &= m->pad;
}

static void map_row(const row_map *m, const uint8_t *row, uint32_t *line)
{
    const qr_tiff_info *ti = m->ti;
    if (m->kind == R_BLACK1 || m->kind == R_WHITE1) {
        bitonal_row(m, row, line);
        return;
    }
    for (uint32_t x = 0; x < ti->w; x++) {
        if (m->kind == R_RGB) {
            l_uint32 px;
            composeRGBPixel(row[3 * x], row[3 * x + 1], row[3 * x + 2], &px);
            line[x] = px;
            continue;
        }
        unsigned v = sample_at(row, x, ti->bps);
        if (m->kind == R_LUT32) {
            line[x] = m->lut[v];
        } else {
            l_int32 g = 0, u;
            if (m->kind == R_LUT8)
                extractRGBValues(m->lut[v], &g, &u, &u);
            SET_DATA_BYTE(line, x, m->kind == R_LUT8 ? (uint8_t)g : gray_of(v, ti));
        }
    }
}

/* 8-bit RGB for each palette index; old writers use 8-bit colormap values.
 * A palette has at most 2^16 entries (bps <= 16), checked against the cap
 * like any other block the file makes us allocate. */
static uint32_t *palette_lut(TIFF *tif, unsigned bps, const qr_limits *lim, qr_err *err)
{
    uint16_t *r = NULL, *g = NULL, *b = NULL;
    size_t n = (size_t)1 << bps;
    if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b) {
        qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF palette image without a colormap");
        return NULL;
    }
    if (n * sizeof(uint32_t) > lim->max_page_bytes) {
        qr_err_set(err, QR_ELIMIT, "limit: TIFF palette of %zu entries, above the cap of %llu bytes",
                   n, (unsigned long long)lim->max_page_bytes);
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

/* A palette of black and white maps to 1 bpp, a gray one to 8, else 32. */
static void palette_kind(row_map *m)
{
    uint32_t black, white;
    composeRGBPixel(0, 0, 0, &black);
    composeRGBPixel(255, 255, 255, &white);
    if (m->ti->bps == 1 && m->lut[0] == white && m->lut[1] == black)
        m->kind = R_BLACK1;
    else if (m->ti->bps == 1 && m->lut[0] == black && m->lut[1] == white)
        m->kind = R_WHITE1;
    else
        m->kind = lut_is_gray(m->lut, (size_t)1 << m->ti->bps) ? R_LUT8 : R_LUT32;
}

/* How the page's rows map, and to which depth. */
static int plan_rows(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, row_map *m,
                     int *depth, qr_err *err)
{
    memset(m, 0, sizeof *m);
    m->ti = ti;
    m->pad = ti->w % 32 ? ~0u << (32 - ti->w % 32) : ~0u;
    if (is_rgb8(ti)) {
        m->kind = R_RGB;
    } else if (qr_tiff_is_lab(ti)) {
        m->kind = R_LAB;
        if (!(m->lab = qr_tiff_lab_new(tif, ti, err)))
            return err->code;
    } else if (ti->photometric == PHOTOMETRIC_PALETTE) {
        if (!(m->lut = palette_lut(tif, ti->bps, lim, err)))
            return err->code;
        palette_kind(m);
    } else if (ti->bps == 1) {
        m->kind = ti->photometric == PHOTOMETRIC_MINISWHITE ? R_BLACK1 : R_WHITE1;
    } else {
        m->kind = R_GRAY;
    }
    *depth = m->kind <= R_WHITE1 ? 1 : m->kind == R_GRAY || m->kind == R_LUT8 ? 8 : 32;
    return QR_OK;
}

static int read_rows(unit_src *s, const row_map *m, qr_rows *rows, qr_err *err)
{
    int rc = QR_OK;
    for (uint32_t y0 = 0; y0 < s->ti->h && rc == QR_OK; y0 += s->unit) {
        uint32_t n = s->ti->h - y0 < s->unit ? s->ti->h - y0 : s->unit;
        rc = unit_read(s, y0, n, err);
        for (uint32_t r = 0; rc == QR_OK && r < n; r++) {
            uint8_t *row = s->buf + r * s->stride;
            uint32_t *line = qr_rows_line(rows, (int)(y0 + r));
            if (m->kind == R_LAB)
                qr_tiff_lab_row(m->lab, s->ti, row, line);
            else
                map_row(m, row, line);
        }
        if (rc == QR_OK)
            rc = qr_rows_put(rows, (int)n, err);
    }
    return rc;
}

static int decode_rows(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, qr_tiff_log *log,
                       qr_page *page, const qr_band_sink *sink, const row_map *m, int depth,
                       PIX **out, qr_err *err)
{
    unsigned bits = (unsigned)ti->bps * ti->spp;
    int rc = qr_check_caps(lim, ti->w, ti->h, (unsigned)depth > bits ? (unsigned)depth : bits, err);
    if (rc != QR_OK)
        return rc;
    unit_src s = {.tif = tif, .ti = ti, .log = log, .stride = ((size_t)ti->w * bits + 7) / 8};
    if ((uint64_t)TIFFScanlineSize64(tif) != s.stride)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF scanline size");
    rc = unit_open(&s, lim, err);
    qr_rows rows;
    bool band = qr_band_wanted(sink, lim, ti->w, ti->h, (unsigned)depth, ti->orientation);
    if (rc == QR_OK)
        rc = qr_rows_begin(&rows, band ? sink : NULL, page, (int)ti->w, (int)ti->h, depth,
                           (int)s.unit, err);
    if (rc == QR_OK) {
        rc = read_rows(&s, m, &rows, err);
        *out = rc == QR_OK ? qr_rows_take(&rows) : NULL;
        qr_rows_end(&rows);
    }
    unit_close(&s);
    return rc;
}

int qr_tiff_read_plane(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                       qr_tiff_log *log, qr_page *page, const qr_band_sink *sink, PIX **out,
                       qr_err *err)
{
    *out = NULL;
    if (ti->photometric == PHOTOMETRIC_YCBCR) /* libjpeg gives RGB rows */
        TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    row_map m;
    int depth = 0;
    err->code = QR_OK;
    int rc = plan_rows(tif, ti, lim, &m, &depth, err);
    if (rc == QR_OK)
        rc = decode_rows(tif, ti, lim, log, page, sink, &m, depth, out, err);
    free(m.lut);
    qr_tiff_lab_free(m.lab);
    return rc;
}
