/*
 * TIFF pages: the container (directories over a memory client), the tags that
 * describe a page (resolution, date, orientation; set on the page before its
 * pixels, so a band sink sees them), the choice of pixel reader, and the G4
 * passthrough (1 bpp pages are never banded), which points at the page's single strip inside the
 * caller's buffer after checking its bounds. Runs on whichever worker thread
 * owns the reader; all state lives in the reader.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "tiff_int.h"

/*
 * A file cut short (or with a bad next-directory offset) still holds every
 * directory before the break: libtiff's count stops there and logs an error.
 * Those pages stay readable. How many pages followed the break cannot be
 * known, so they count as one more page that always fails to decode: every
 * caller that walks the pages then meets the damage, and none mistakes the
 * readable part for the whole file.
 */
static void note_broken_chain(qr_image_reader *rd, tdir_t n)
{
    snprintf(rd->broken, sizeof rd->broken,
             "corrupt: TIFF directory chain broken after page %u, later pages lost: %s",
             (unsigned)n, rd->tiff->log.first_error);
}

/*
 * Reduced-resolution directories (NewSubfileType bit 0: the overviews GDAL
 * writes, the thumbnail after each page some scanners write) are copies of
 * a page, not pages: a file of one page and four overviews is one page. The
 * first page's note says how many were skipped. A file of nothing else has
 * no page to archive.
 */
static int page_dirs(qr_image_reader *rd, int n, qr_err *err)
{
    struct qr_tiff_state *st = rd->tiff;
    if (!(st->dirs = qr_malloc_array((size_t)n, sizeof *st->dirs)))
        return qr_err_set(err, QR_ENOMEM, "out of memory for %d TIFF directories", n);
    rd->pages = qr_tiff_full_dirs(&st->mem, n, st->dirs);
    st->skipped = n - rd->pages;
    if (rd->pages == 0)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF: all %d directories are "
                          "reduced-resolution images (NewSubfileType 1), no full page", n);
    return QR_OK;
}

int qr_tiff_open(qr_image_reader *rd, qr_err *err)
{
    struct qr_tiff_state *st = calloc(1, sizeof *st);
    if (!st)
        return qr_err_set(err, QR_ENOMEM, "out of memory opening a TIFF");
    rd->tiff = st;
    st->mem.data = rd->buf;
    st->mem.len = rd->len;
    int rc = qr_tiff_check_page(st, 0, &rd->lim, err); /* libtiff loads page 1 on open */
    if (rc != QR_OK)
        return rc;
    st->tif = qr_tiff_mem_open(&st->mem, "r", &st->log, rd->lim.max_page_bytes);
    if (!st->tif)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s",
                          qr_tiff_log_text(&st->log, "cannot read the header"));
    tdir_t n = TIFFNumberOfDirectories(st->tif);
    if (n < 1 && st->log.errors)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %s", st->log.first_error);
    if (n < 1 || n > 65535)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF: %u directories", (unsigned)n);
    rc = page_dirs(rd, (int)n, err);
    if (rc != QR_OK)
        return rc;
    if (st->log.errors) {
        note_broken_chain(rd, n);
        rd->pages++; /* the page after the break stands for the pages lost */
    }
    qr_tiff_log_reset(&st->log);
    return QR_OK;
}

void qr_tiff_close(qr_image_reader *rd)
{
    if (!rd->tiff)
        return;
    if (rd->tiff->tif)
        TIFFClose(rd->tiff->tif);
    free(rd->tiff->dirs);
    free(rd->tiff);
    rd->tiff = NULL;
}

static void read_info(TIFF *tif, qr_tiff_info *ti)
{
    memset(ti, 0, sizeof *ti);
    uint16_t *extra = NULL;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &ti->w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &ti->h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &ti->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &ti->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &ti->compression);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &ti->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &ti->fillorder);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &ti->sampleformat);
    TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &ti->extra_count, &extra);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &ti->photometric))
        ti->photometric = ti->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISWHITE;
    if (!TIFFGetField(tif, TIFFTAG_ORIENTATION, &ti->orientation))
        ti->orientation = 1;
    ti->tiled = TIFFIsTiled(tif) != 0;
}

static const char *encoding_name(uint16_t c)
{
    switch (c) {
    case COMPRESSION_NONE: return "none";
    case COMPRESSION_CCITTRLE: return "ccitt-rle";
    case COMPRESSION_CCITTRLEW: return "ccitt-rlew";
    case COMPRESSION_CCITTFAX3: return "g3";
    case COMPRESSION_CCITTFAX4: return "g4";
    case COMPRESSION_LZW: return "lzw";
    case COMPRESSION_OJPEG: return "ojpeg";
    case COMPRESSION_JPEG: return "jpeg";
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return "deflate";
    case COMPRESSION_PACKBITS: return "packbits";
    case COMPRESSION_LZMA: return "lzma";
    case COMPRESSION_ZSTD: return "zstd";
    default: return "tiff";
    }
}

/* "unsupported: TIFF compression 34676 (SGILOG)" and friends. */
static int check_supported(const qr_tiff_info *ti, qr_err *err)
{
    uint16_t c = ti->compression;
    if (c == COMPRESSION_SGILOG || c == COMPRESSION_SGILOG24 || c == COMPRESSION_WEBP ||
        !TIFFIsCODECConfigured(c)) {
        const TIFFCodec *codec = TIFFFindCODEC(c);
        char name[32] = "unknown";
        if (codec && codec->name) {
            snprintf(name, sizeof name, "%s", codec->name);
            for (char *p = name; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        }
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF compression %u (%s)",
                          (unsigned)c, name);
    }
    if (ti->photometric == PHOTOMETRIC_LOGLUV || ti->photometric == PHOTOMETRIC_LOGL)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF photometric %u (LogLuv)",
                          (unsigned)ti->photometric);
    if (ti->sampleformat == SAMPLEFORMAT_IEEEFP || ti->sampleformat == SAMPLEFORMAT_COMPLEXIEEEFP ||
        ti->sampleformat == SAMPLEFORMAT_COMPLEXINT)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: TIFF sample format %u",
                          (unsigned)ti->sampleformat);
    if (ti->bps == 0 || ti->bps > 16 || ti->spp == 0)
        return qr_err_set(err, QR_EUNSUPPORTED,
                          "unsupported: TIFF with %u bits per sample, %u samples",
                          (unsigned)ti->bps, (unsigned)ti->spp);
    return QR_OK;
}

static void read_resolution(TIFF *tif, double *xdpi, double *ydpi)
{
    float xr = 0, yr = 0;
    uint16_t unit = RESUNIT_INCH;
    *xdpi = *ydpi = 0;
    if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr) ||
        !TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr))
        return;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    *xdpi = qr_res_to_dpi((double)xr, unit);
    *ydpi = qr_res_to_dpi((double)yr, unit);
}

static long long read_time(TIFF *tif)
{
    char *s = NULL;
    if (!TIFFGetField(tif, TIFFTAG_DATETIME, &s) || !s)
        return -1;
    return (long long)qr_parse_exif_time(s);
}

static void read_scanner(TIFF *tif, qr_scanner *sc)
{
    static const uint32_t tags[3] = {TIFFTAG_MAKE, TIFFTAG_MODEL, TIFFTAG_SOFTWARE};
    char *out[3] = {sc->make, sc->model, sc->software};
    for (int i = 0; i < 3; i++) {
        char *s = NULL;
        out[i][0] = '\0';
        if (TIFFGetField(tif, tags[i], &s) && s)
            qr_scanner_text(out[i], s, strnlen(s, QR_SCANNER_TEXT - 1));
    }
}

/* The page's single G4 strip, bounds-checked against the input buffer. */
static void set_passthru(TIFF *tif, const qr_tiff_info *ti, const qr_image_reader *rd,
                         qr_passthru *pass)
{
    memset(pass, 0, sizeof *pass);
    if (ti->compression != COMPRESSION_CCITTFAX4 || ti->tiled || ti->bps != 1 ||
        ti->spp != 1 || ti->fillorder != FILLORDER_MSB2LSB || ti->orientation != 1 ||
        TIFFNumberOfStrips(tif) != 1 ||
        (ti->photometric != PHOTOMETRIC_MINISWHITE && ti->photometric != PHOTOMETRIC_MINISBLACK))
        return;
    uint64_t *offs = NULL, *counts = NULL;
    if (!TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offs) ||
        !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) || !offs || !counts)
        return;
    if (counts[0] == 0 || offs[0] > rd->len || counts[0] > rd->len - offs[0])
        return;
    pass->codec = QR_CODEC_G4;
    pass->data = rd->buf + offs[0];
    pass->len = (size_t)counts[0];
    pass->width = (int)ti->w;
    pass->height = (int)ti->h;
    pass->components = 1;
    pass->invert = ti->photometric == PHOTOMETRIC_MINISBLACK;
}

static size_t trim_zeros(const uint8_t *d, size_t n)
{
    while (n && d[n - 1] == 0)
        n--;
    return n;
}

/*
 * T.6 coding of a bitmap is unique up to the end-of-block code and fill bits,
 * so re-encoding the decoded pixels must give the stored bytes. Streams that
 * libtiff tolerates but stricter readers reject (rows coded past the page
 * width, garbage after the last row) fail this check and are re-encoded
 * instead of copied: passthrough must never depend on a lenient decoder.
 */
static bool g4_canonical(PIX *pix, const qr_passthru *pass)
{
    PIX *src = pass->invert ? pixInvert(NULL, pix) : pixClone(pix);
    uint8_t *enc = NULL;
    size_t elen = 0;
    bool ok = false;
    if (src && qr_encode_g4(src, &enc, &elen, NULL) == QR_OK) {
        size_t a = trim_zeros(enc, elen), b = trim_zeros(pass->data, pass->len);
        size_t m = a < b ? a : b, diff = a > b ? a - b : b - a;
        ok = diff <= 3 && m > 3 && memcmp(enc, pass->data, m - 3) == 0;
    }
    free(enc);
    pixDestroy(&src);
    return ok;
}

static int decode_pixels(qr_image_reader *rd, const qr_tiff_info *ti, qr_page *page,
                         const qr_band_sink *sink, PIX **pix, qr_err *err)
{
    struct qr_tiff_state *st = rd->tiff;
    int rc = check_supported(ti, err);
    if (rc != QR_OK)
        return rc;
    if (qr_tiff_is_plane(ti))
        return qr_tiff_read_plane(st->tif, ti, &rd->lim, &st->log, page, sink, pix, err);
    return qr_tiff_read_rgba(st->tif, ti, &rd->lim, &st->log, page, sink, pix, err);
}

/* What the page's tags say, set before any pixel: a band sink sees it. */
static void read_meta(TIFF *tif, const qr_tiff_info *ti, qr_page *page, double *xdpi,
                      double *ydpi)
{
    read_resolution(tif, xdpi, ydpi);
    snprintf(page->encoding, sizeof page->encoding, "%s", encoding_name(ti->compression));
    page->scan_time = read_time(tif);
    read_scanner(tif, &page->scanner);
    qr_page_meta(page, *xdpi, *ydpi);
}

int qr_tiff_decode(qr_image_reader *rd, int index, qr_page *page, const qr_band_sink *sink,
                   qr_err *err)
{
    struct qr_tiff_state *st = rd->tiff;
    qr_tiff_log_reset(&st->log);
    int dir = st->dirs[index];
    int rc = qr_tiff_check_page(st, dir, &rd->lim, err);
    if (rc != QR_OK)
        return rc;
    if (index == 0 && st->skipped > 0)
        qr_page_note(page, "TIFF: %d reduced-resolution director%s (overviews or thumbnails, "
                     "NewSubfileType 1) skipped", st->skipped, st->skipped == 1 ? "y" : "ies");
    if (!TIFFSetDirectory(st->tif, (tdir_t)dir) || st->log.errors)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: TIFF page %d: %s", index + 1,
                          qr_tiff_log_text(&st->log, "cannot read the directory"));
    if (st->log.dropped)
        qr_page_note(page, "TIFF directory entr%s not read, the page read without %s (libtiff: "
                     "%s)", st->log.dropped == 1 ? "y" : "ies", st->log.dropped == 1 ? "it" : "them",
                     st->log.first_dropped);
    qr_tiff_info ti;
    read_info(st->tif, &ti);
    double xdpi, ydpi;
    read_meta(st->tif, &ti, page, &xdpi, &ydpi);
    PIX *pix = NULL;
    rc = decode_pixels(rd, &ti, page, sink, &pix, err);
    if (rc != QR_OK || page->banded)
        return rc;
    set_passthru(st->tif, &ti, rd, &page->pass);
    if (page->pass.codec == QR_CODEC_G4 && !g4_canonical(pix, &page->pass))
        memset(&page->pass, 0, sizeof page->pass);
    return qr_page_finish(page, pix, ti.orientation, xdpi, ydpi, err);
}
