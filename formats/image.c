/*
 * qr_image front door: sniffing, the reader handle, limits and dispatch to the
 * per-format decoders (whole pages, or bands for a caller's sink). A reader holds only a pointer to the caller's buffer
 * (the ingest ring owns all I/O), so opening is cheap and a worker thread can
 * decode pages of its own reader without any shared state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

void qr_limits_default(qr_limits *lim)
{
    lim->max_pixels = 400ull * 1000 * 1000;
    lim->max_page_bytes = 3ull * 512 * 1024 * 1024; /* 1.5 GiB */
    lim->band_bytes = 128ull << 20;
    lim->luma_when_passthrough = false;
}

static bool has_prefix(const uint8_t *buf, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(buf, magic, n) == 0;
}

qr_format qr_image_sniff(const uint8_t *buf, size_t len, const char **what)
{
    static const struct {
        const char *magic;
        size_t n;
        qr_format fmt;
        const char *what;
    } known[] = {
        {"II*\0", 4, QR_FMT_TIFF, "TIFF"},
        {"MM\0*", 4, QR_FMT_TIFF, "TIFF"},
        {"II+\0", 4, QR_FMT_TIFF, "BigTIFF"},
        {"MM\0+", 4, QR_FMT_TIFF, "BigTIFF"},
        {"\xFF\xD8\xFF", 3, QR_FMT_JPEG, "JPEG"},
        {"\x89PNG\r\n\x1a\n", 8, QR_FMT_PNG, "PNG"},
        {"%PDF", 4, QR_FMT_UNKNOWN, "PDF"},
        {"GIF8", 4, QR_FMT_UNKNOWN, "GIF"},
        {"BM", 2, QR_FMT_UNKNOWN, "BMP"},
        {"\0\0\0\x0cjP  ", 8, QR_FMT_UNKNOWN, "JPEG 2000"},
        {"\xFF\x4F\xFF\x51", 4, QR_FMT_UNKNOWN, "JPEG 2000 codestream"},
        {"RIFF", 4, QR_FMT_UNKNOWN, "RIFF (WebP?)"},
        {"AT&TFORM", 8, QR_FMT_UNKNOWN, "DjVu"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (known[i].fmt != QR_FMT_UNKNOWN && len < known[i].n && len > 0 &&
            memcmp(buf, known[i].magic, len) == 0) {
            if (what)
                *what = "truncated header";
            return QR_FMT_UNKNOWN;
        }
        if (has_prefix(buf, len, known[i].magic, known[i].n)) {
            if (what)
                *what = known[i].what;
            return known[i].fmt;
        }
    }
    if (what)
        *what = len == 0 ? "empty file" : "unknown format";
    return QR_FMT_UNKNOWN;
}

int qr_image_open(const uint8_t *buf, size_t len, const qr_limits *lim,
                  qr_image_reader **out, qr_err *err)
{
    qr_err local;
    if (!err)
        err = &local;
    *out = NULL;
    const char *what = NULL;
    qr_format fmt = qr_image_sniff(buf, len, &what);
    if (fmt == QR_FMT_UNKNOWN) {
        bool cut = len == 0 || strcmp(what, "truncated header") == 0;
        return qr_err_set(err, cut ? QR_ECORRUPT : QR_EUNSUPPORTED, "%s: %s",
                          cut ? "corrupt" : "unsupported", what);
    }
    qr_image_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return qr_err_set(err, QR_ENOMEM, "out of memory opening an image");
    rd->fmt = fmt;
    rd->buf = buf;
    rd->len = len;
    if (lim)
        rd->lim = *lim;
    else
        qr_limits_default(&rd->lim);
    rd->pages = 1;
    if (fmt == QR_FMT_TIFF) {
        int rc = qr_tiff_open(rd, err);
        if (rc != QR_OK) {
            qr_image_close(&rd);
            return rc;
        }
    }
    *out = rd;
    return QR_OK;
}

int qr_image_pages(const qr_image_reader *rd)
{
    return rd ? rd->pages : 0;
}

const char *qr_image_broken(const qr_image_reader *rd)
{
    return rd && rd->broken[0] ? rd->broken : NULL;
}

qr_format qr_image_format(const qr_image_reader *rd)
{
    return rd ? rd->fmt : QR_FMT_UNKNOWN;
}

static int decode_page(qr_image_reader *rd, int index, qr_page *page, const qr_band_sink *sink,
                       qr_err *err)
{
    qr_err local;
    if (!err)
        err = &local;
    memset(page, 0, sizeof *page);
    page->scan_time = -1;
    page->orientation = 1;
    if (!rd || index < 0 || index >= rd->pages)
        return qr_err_set(err, QR_EINVAL, "page %d does not exist (%d pages)", index + 1,
                          rd ? rd->pages : 0);
    if (rd->broken[0] && index == rd->pages - 1)
        return qr_err_set(err, QR_ECORRUPT, "%s", rd->broken);
    int rc;
    switch (rd->fmt) {
    case QR_FMT_TIFF: rc = qr_tiff_decode(rd, index, page, sink, err); break;
    case QR_FMT_JPEG: rc = qr_jpeg_decode(rd->buf, rd->len, &rd->lim, page, sink, err); break;
    case QR_FMT_PNG: rc = qr_png_decode(rd->buf, rd->len, &rd->lim, page, sink, err); break;
    default: rc = qr_err_set(err, QR_EUNSUPPORTED, "unsupported: unknown format"); break;
    }
    if (rc != QR_OK)
        qr_page_clear(page);
    return rc;
}

int qr_image_decode(qr_image_reader *rd, int index, qr_page *page, qr_err *err)
{
    return decode_page(rd, index, page, NULL, err);
}

int qr_image_decode_bands(qr_image_reader *rd, int index, qr_page *page,
                          const qr_band_sink *sink, qr_err *err)
{
    return decode_page(rd, index, page, sink, err);
}

void qr_image_close(qr_image_reader **rd)
{
    if (!rd || !*rd)
        return;
    qr_tiff_close(*rd);
    free(*rd);
    *rd = NULL;
}

