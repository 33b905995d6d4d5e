/*
 * PNG pages through libpng, reading from memory with a bounds-checked read
 * callback. libpng reports errors by longjmp: every resource lives in one
 * context struct so the single setjmp site can release all of it. Alpha and
 * tRNS transparency are flattened onto white (a scanned page has no
 * transparency; white is the paper); palettes are flattened likewise and then
 * classified as bitonal, gray or colour. Rows are read QR_BAND_ROWS at a time
 * into the page, or into bands for a sink (an interlaced image only whole:
 * libpng needs all its rows at once).
 *
 * Metadata chunks are never read by libpng (text, ICC, sPLT, eXIf, unknown
 * ones): it would inflate each zTXt or iTXt up to its own 8 MB limit and
 * keep up to 1000 of them, 2.3 GB and 34 s of work for a 2.3 MB file. The
 * one thing quire takes from them, the orientation (eXIf, XMP), png_meta.c
 * finds in the buffer itself, inflating the XMP packet alone.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <png.h>

#include "image_int.h"

enum png_kind { K_BITONAL, K_PALETTE, K_GRAY, K_RGB };

typedef struct png_ctx {
    const uint8_t *data;
    size_t len, pos;
    png_structp png;
    png_infop info;
    uint8_t *buf;      /* libpng's rows of one unit (the whole image if interlaced) */
    png_bytep *rows;
    qr_rows out;       /* the page, or its bands */
    bool out_open;
    int ch;            /* samples per pixel in libpng's rows */
    char msg[200];
    int orientation;   /* from eXIf or XMP (png_meta.c); 1 when none */
    uint32_t lut[256]; /* palette flattened onto white */
    int lut_n;
} png_ctx;

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos)
        png_error(png, "file truncated");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* kept quiet: warnings do not change the pixels we return */
}

/* Chunks libpng would read that nothing of quire uses. */
static void skip_metadata(png_structp png)
{
    static const png_byte chunks[] = "iCCP\0iTXt\0sPLT\0tEXt\0zTXt\0eXIf\0tIME\0hIST\0";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0); /* unknown ones */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, chunks, (int)(sizeof chunks / 5));
}

static void load_palette(png_ctx *c)
{
    png_colorp pal = NULL;
    png_bytep trans = NULL;
    int n = 0, nt = 0;
    png_get_PLTE(c->png, c->info, &pal, &n);
    png_get_tRNS(c->png, c->info, &trans, &nt, NULL);
    for (int i = 0; i < 256; i++) {
        unsigned a = i < nt && trans ? trans[i] : 255;
        unsigned r = 0, g = 0, b = 0;
        if (i < n && pal)
            r = pal[i].red, g = pal[i].green, b = pal[i].blue;
        composeRGBPixel(qr_over_white_straight(r, a), qr_over_white_straight(g, a),
                        qr_over_white_straight(b, a), &c->lut[i]);
    }
    c->lut_n = n;
}

/* Choose the output kind and set libpng's transformations for it. */
static enum png_kind setup(png_ctx *c, int depth, int ctype)
{
    png_set_scale_16(c->png);
    png_set_interlace_handling(c->png);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        load_palette(c);
        png_set_packing(c->png); /* one index per byte */
        return K_PALETTE;
    }
    bool trns = png_get_valid(c->png, c->info, PNG_INFO_tRNS) != 0;
    if (ctype == PNG_COLOR_TYPE_GRAY && depth == 1 && !trns)
        return K_BITONAL;
    if (trns)
        png_set_tRNS_to_alpha(c->png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_expand_gray_1_2_4_to_8(c->png);
        return K_GRAY;
    }
    return K_RGB;
}

static int palette_depth(const png_ctx *c, int depth)
{
    uint32_t black, white;
    composeRGBPixel(0, 0, 0, &black);
    composeRGBPixel(255, 255, 255, &white);
    bool bw = depth == 1, gray = true;
    for (int i = 0; i < (1 << depth) && i < 256; i++) {
        l_int32 r, g, b;
        extractRGBValues(c->lut[i], &r, &g, &b);
        gray = gray && r == g && g == b;
        bw = bw && (c->lut[i] == black || c->lut[i] == white);
    }
    return bw ? 1 : gray ? 8 : 32;
}

static void put_pixel(uint32_t *line, int x, int depth, uint32_t rgb, const uint8_t *s, int ch)
{
    if (depth == 1) {
        if (rgb == 0) /* composeRGBPixel(0,0,0) is 0: black */
            SET_DATA_BIT(line, x);
        return;
    }
    if (depth == 8) {
        l_int32 g = 0, u;
        if (s)
            g = ch == 2 ? qr_over_white_straight(s[0], s[1]) : s[0];
        else
            extractRGBValues(rgb, &g, &u, &u);
        SET_DATA_BYTE(line, x, g);
        return;
    }
    if (s) {
        unsigned a = ch == 4 ? s[3] : 255;
        composeRGBPixel(qr_over_white_straight(s[0], a), qr_over_white_straight(s[1], a),
                        qr_over_white_straight(s[2], a), &rgb);
    }
    line[x] = rgb;
}

/* One of libpng's rows into a PIX line of the output depth. */
static void convert_row(const png_ctx *c, enum png_kind kind, const uint8_t *row, int w,
                        int depth, uint32_t *line, int wpl)
{
    if (kind == K_BITONAL) { /* PNG gray 1 is white; Leptonica 1 is black */
        size_t words = ((size_t)w + 31) / 32;
        qr_line_from_bytes(line, row, ((size_t)w + 7) / 8);
        for (size_t j = 0; j < words; j++)
            line[j] = ~line[j];
        if (w % 32)
            line[words - 1] &= ~0u << (32 - w % 32);
        return;
    }
    if (depth == 1) /* put_pixel only sets the black bits */
        memset(line, 0, (size_t)wpl * 4);
    for (int x = 0; x < w; x++) {
        const uint8_t *s = row + (size_t)x * (size_t)c->ch;
        put_pixel(line, x, depth, kind == K_PALETTE ? c->lut[s[0]] : 0,
                  kind == K_PALETTE ? NULL : s, c->ch);
    }
}

static int convert_rows(png_ctx *c, enum png_kind kind, int y0, int n, int w, int depth,
                        size_t stride, qr_err *err)
{
    int wpl = pixGetWpl(c->out.pix);
    for (int r = 0; r < n; r++)
        convert_row(c, kind, c->buf + (size_t)r * stride, w, depth, qr_rows_line(&c->out, y0 + r),
                    wpl);
    return qr_rows_put(&c->out, n, err);
}

/* Rows a unit at a time; an interlaced image is one unit (libpng needs all
 * its rows at once). */
static int read_rows(png_ctx *c, enum png_kind kind, int w, int h, int depth, int unit,
                     bool interlaced, size_t stride, qr_err *err)
{
    for (int r = 0; r < unit; r++)
        c->rows[r] = c->buf + (size_t)r * stride;
    if (interlaced) {
        png_read_image(c->png, c->rows);
        return convert_rows(c, kind, 0, h, w, depth, stride, err);
    }
    int rc = QR_OK;
    for (int y0 = 0; y0 < h && rc == QR_OK; y0 += unit) {
        int n = h - y0 < unit ? h - y0 : unit;
        png_read_rows(c->png, c->rows, NULL, (png_uint_32)n);
        rc = convert_rows(c, kind, y0, n, w, depth, stride, err);
    }
    return rc;
}

static void read_dpi(png_ctx *c, double *xdpi, double *ydpi)
{
    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    *xdpi = *ydpi = 0;
    if (png_get_pHYs(c->png, c->info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER) {
        *xdpi = qr_res_to_dpi(rx / 100.0, 3);
        *ydpi = qr_res_to_dpi(ry / 100.0, 3);
    }
}

static int out_depth(png_ctx *c, enum png_kind kind, int depth)
{
    switch (kind) {
    case K_BITONAL: return 1;
    case K_PALETTE: return palette_depth(c, depth);
    case K_GRAY: return 8;
    default: return 32;
    }
}

static int read_pixels(png_ctx *c, const qr_limits *lim, qr_page *page,
                       const qr_band_sink *sink, enum png_kind kind, int od, qr_err *err)
{
    png_uint_32 w = png_get_image_width(c->png, c->info), h = png_get_image_height(c->png, c->info);
    bool interlaced = png_get_interlace_type(c->png, c->info) != PNG_INTERLACE_NONE;
    png_read_update_info(c->png, c->info);
    size_t stride = png_get_rowbytes(c->png, c->info);
    c->ch = png_get_channels(c->png, c->info);
    int unit = interlaced || h < QR_BAND_ROWS ? (int)h : QR_BAND_ROWS;
    if (!(c->buf = qr_malloc_array((size_t)unit, stride ? stride : 1)) ||
        !(c->rows = qr_malloc_array((size_t)unit, sizeof *c->rows)))
        return qr_err_set(err, QR_ENOMEM, "out of memory for a %u x %u PNG", w, h);
    bool band = !interlaced && qr_band_wanted(sink, lim, w, h, (unsigned)od,
                                                   c->orientation);
    int rc = qr_rows_begin(&c->out, band ? sink : NULL, page, (int)w, (int)h, od, unit, err);
    c->out_open = rc == QR_OK;
    if (rc == QR_OK)
        rc = read_rows(c, kind, (int)w, (int)h, od, unit, interlaced, stride, err);
    return rc;
}

static int read_body(png_ctx *c, const qr_limits *lim, qr_page *page, const qr_band_sink *sink,
                     qr_err *err)
{
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_set_read_fn(c->png, c, on_read);
    skip_metadata(c->png);
    png_read_info(c->png, c->info);
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    enum png_kind kind = setup(c, depth, ctype);
    int od = out_depth(c, kind, depth);
    /* Bits per pixel of the larger of libpng's rows and the output PIX. */
    unsigned bits = kind == K_BITONAL ? 1 : kind == K_GRAY ? 16 : kind == K_RGB ? 32
                  : od > 8 ? 32 : 8;
    int rc = qr_check_caps(lim, w, h, bits, err);
    if (rc != QR_OK)
        return rc;
    double xdpi, ydpi;
    read_dpi(c, &xdpi, &ydpi);
    strcpy(page->encoding, "png");
    qr_page_meta(page, xdpi, ydpi);
    rc = read_pixels(c, lim, page, sink, kind, od, err);
    if (rc != QR_OK)
        return rc;
    png_read_end(c->png, NULL);
    if (page->banded)
        return QR_OK;
    read_dpi(c, &xdpi, &ydpi);
    return qr_page_finish(page, qr_rows_take(&c->out), c->orientation, xdpi, ydpi, err);
}

int qr_png_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                  const qr_band_sink *sink, qr_err *err)
{
    png_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return qr_err_set(err, QR_ENOMEM, "out of memory opening a PNG");
    c->data = buf;
    c->len = len;
    c->orientation = qr_png_orientation(buf, len);
    int rc = QR_ENOMEM;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, on_error, on_warning);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (!c->png || !c->info)
        rc = qr_err_set(err, QR_ENOMEM, "cannot start the PNG decoder");
    else if (setjmp(png_jmpbuf(c->png)))
        rc = qr_err_set(err, QR_ECORRUPT, "corrupt: PNG: %s", c->msg);
    else
        rc = read_body(c, lim, page, sink, err);
    png_destroy_read_struct(&c->png, &c->info, NULL);
    free(c->rows);
    free(c->buf);
    if (c->out_open)
        qr_rows_end(&c->out);
    free(c);
    return rc;
}
