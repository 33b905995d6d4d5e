/*
 * A large JPEG page read band by band through libjpeg's scanline interface
 * (TurboJPEG 2.1 decodes only whole images). The rows go QR_BAND_ROWS at a
 * time into one band PIX and on to the caller's sink, so a 400-megapixel
 * JPEG costs one band, plus the coefficient buffer libjpeg needs for a
 * progressive file (checked against the cap in jpeg_read.c before we get
 * here; max_memory_to_use makes libjpeg refuse a larger one too). A CMYK
 * page read whole comes this way as well, into the page: its samples are
 * converted to RGB a band at a time instead of through a copy of the page.
 *
 * The same settings as TurboJPEG's decoder (libjpeg's defaults: accurate
 * integer DCT, smooth upsampling), and the same rule: any libjpeg warning
 * makes the page corrupt. libjpeg reports errors by longjmp: the state lives
 * in one struct so the single setjmp site can release all of it.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <leptonica/allheaders.h>

#include "image_int.h"

typedef struct band_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    bool warned;
} band_jerr;

typedef struct band_dec {
    struct jpeg_decompress_struct d;
    band_jerr jerr;
    bool created;
    qr_rows rows;
    bool rows_open;
    uint8_t *cmyk;             /* CMYK samples of one band */
    JSAMPROW ptr[QR_BAND_ROWS];
} band_dec;

static void on_error(j_common_ptr c)
{
    band_jerr *e = (band_jerr *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jb, 1);
}

static void on_message(j_common_ptr c, int level)
{
    band_jerr *e = (band_jerr *)c->err;
    if (level < 0 && !e->warned) {
        c->err->format_message(c, e->msg);
        e->warned = true;
    }
}

/* libjpeg writes a gray row as bytes; Leptonica keeps 4 pixels a word with
 * the first in the most significant byte. */
static void gray_words(uint32_t *line, int wpl)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    for (int j = 0; j < wpl; j++)
        line[j] = __builtin_bswap32(line[j]);
#else
    (void)line;
    (void)wpl;
#endif
}

static J_COLOR_SPACE out_space(int depth, int cmyk)
{
    if (cmyk)
        return JCS_CMYK;
    if (depth == 8)
        return JCS_GRAYSCALE;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return JCS_EXT_RGBX; /* Leptonica's 0xRRGGBBxx word, in memory order */
#else
    return JCS_EXT_XBGR;
#endif
}

/* One band of n rows starting at y into b->rows. */
static int read_band(band_dec *b, int y, int n, int depth, int cmyk, qr_err *err)
{
    int w = (int)b->d.output_width;
    for (int r = 0; r < n; r++)
        b->ptr[r] = cmyk ? b->cmyk + (size_t)r * (size_t)w * 4
                         : (JSAMPROW)qr_rows_line(&b->rows, y + r);
    for (int got = 0; got < n;)
        got += (int)jpeg_read_scanlines(&b->d, b->ptr + got, (JDIMENSION)(n - got));
    for (int r = 0; r < n; r++) {
        uint32_t *line = qr_rows_line(&b->rows, y + r);
        if (cmyk)
            qr_cmyk_row(b->ptr[r], w, cmyk == 2, line);
        else if (depth == 8)
            gray_words(line, pixGetWpl(b->rows.pix));
    }
    return qr_rows_put(&b->rows, n, err);
}

/* Everything that may longjmp. */
static int decode(band_dec *b, const uint8_t *buf, size_t len, const qr_limits *lim, int depth,
                  int cmyk, qr_page *page, const qr_band_sink *sink, PIX **out, qr_err *err)
{
    jpeg_mem_src(&b->d, buf, (unsigned long)len);
    jpeg_read_header(&b->d, TRUE);
    b->d.out_color_space = out_space(depth, cmyk);
    b->d.mem->max_memory_to_use = (long)(lim->max_page_bytes < LONG_MAX ? lim->max_page_bytes
                                                                       : LONG_MAX);
    jpeg_start_decompress(&b->d);
    int w = (int)b->d.output_width, h = (int)b->d.output_height;
    if (cmyk && !(b->cmyk = qr_malloc_array((size_t)w * 4, QR_BAND_ROWS)))
        return qr_err_set(err, QR_ENOMEM, "out of memory for a band of a CMYK JPEG");
    int rc = qr_rows_begin(&b->rows, sink, page, w, h, depth, QR_BAND_ROWS, err);
    b->rows_open = rc == QR_OK;
    for (int y = 0; rc == QR_OK && y < h; y += QR_BAND_ROWS)
        rc = read_band(b, y, h - y < QR_BAND_ROWS ? h - y : QR_BAND_ROWS, depth, cmyk, err);
    if (rc == QR_OK)
        jpeg_finish_decompress(&b->d);
    if (rc == QR_OK && !b->jerr.warned)
        *out = qr_rows_take(&b->rows);
    return rc;
}

int qr_jpeg_bands(const uint8_t *buf, size_t len, const qr_limits *lim, int depth, int cmyk,
                  qr_page *page, const qr_band_sink *sink, PIX **out, qr_err *err)
{
    *out = NULL;
    band_dec *b = calloc(1, sizeof *b);
    if (!b)
        return qr_err_set(err, QR_ENOMEM, "out of memory starting a JPEG decoder");
    b->d.err = jpeg_std_error(&b->jerr.pub);
    b->jerr.pub.error_exit = on_error;
    b->jerr.pub.emit_message = on_message;
    int rc;
    if (setjmp(b->jerr.jb)) {
        rc = qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG: %s", b->jerr.msg);
    } else {
        jpeg_create_decompress(&b->d);
        b->created = true;
        rc = decode(b, buf, len, lim, depth, cmyk, page, sink, out, err);
        if (rc == QR_OK && b->jerr.warned)
            rc = qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG: %s", b->jerr.msg);
    }
    if (b->created)
        jpeg_destroy_decompress(&b->d);
    if (b->rows_open)
        qr_rows_end(&b->rows);
    free(b->cmyk);
    free(b);
    return rc;
}

void qr_cmyk_row(const uint8_t *s, int w, bool inverted, uint32_t *line)
{
    for (int x = 0; x < w; x++, s += 4) {
        unsigned c = s[0], m = s[1], ye = s[2], k = s[3];
        if (!inverted) {
            c = 255 - c, m = 255 - m, ye = 255 - ye, k = 255 - k;
        }
        l_uint32 px;
        composeRGBPixel((l_int32)((c * k + 127) / 255), (l_int32)((m * k + 127) / 255),
                        (l_int32)((ye * k + 127) / 255), &px);
        line[x] = px;
    }
}
