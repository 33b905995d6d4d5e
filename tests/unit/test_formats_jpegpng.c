/*
 * Synthetic JPEG and PNG pages for the image decoder, made in memory with
 * TurboJPEG and libpng: baseline, progressive, gray, Adobe-inverted CMYK,
 * Exif orientation/resolution/date and JFIF density for JPEG; every PNG bit
 * depth and colour type, transparency flattened onto white, and pHYs.
 * Checks compare decoded pixel values with what was written. Large pages
 * read band by band (JPEG through libjpeg's scanline interface, PNG a unit
 * of rows at a time) must give exactly the rows of the whole page.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <png.h>
#include <turbojpeg.h>

#include "qr_image.h"
#include "qr_test.h"
#include "qr_util.h"

enum { W = 64, H = 48 };

static int decode1(const uint8_t *buf, size_t len, qr_page *pg, qr_err *e)
{
    qr_image_reader *rd = NULL;
    int rc = qr_image_open(buf, len, NULL, &rd, e);
    if (rc == QR_OK) {
        rc = qr_image_decode(rd, 0, pg, e);
        qr_image_close(&rd);
    }
    return rc;
}

/* ---- JPEG ---- */

static void smooth_rgb(uint8_t *px, int pf_size, int x, int y)
{
    px[0] = (uint8_t)(x * 4);
    px[1] = (uint8_t)(y * 5);
    px[2] = (uint8_t)(128 + (x - y));
    if (pf_size == 4)
        px[3] = 0;
}

static uint8_t *make_jpeg(int pf, int samp, int flags, size_t *len)
{
    int ps = tjPixelSize[pf];
    uint8_t *src = malloc((size_t)W * H * (size_t)ps);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src + ((size_t)y * W + (size_t)x) * (size_t)ps;
            if (pf == TJPF_GRAY)
                p[0] = (uint8_t)(x * 2 + y);
            else if (pf == TJPF_CMYK) /* Adobe-inverted: 255 = no ink */
                p[0] = 255, p[1] = (uint8_t)(255 - y * 5), p[2] = (uint8_t)(255 - x * 4), p[3] = 255;
            else
                smooth_rgb(p, ps, x, y);
        }
    tjhandle tj = tjInitCompress();
    unsigned char *jpg = NULL;
    unsigned long jl = 0;
    CHECK(tjCompress2(tj, src, W, 0, H, pf, &jpg, &jl, samp, 95, flags) == 0);
    uint8_t *out = malloc(jl);
    memcpy(out, jpg, jl);
    *len = jl;
    tjFree(jpg);
    tjDestroy(tj);
    free(src);
    return out;
}

static int max_rgb_diff(PIX *pix)
{
    int maxd = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t want[4];
            l_int32 r, g, b;
            smooth_rgb(want, 3, x, y);
            pixGetRGBPixel(pix, x, y, &r, &g, &b);
            int d = abs(r - want[0]);
            d = abs(g - want[1]) > d ? abs(g - want[1]) : d;
            d = abs(b - want[2]) > d ? abs(b - want[2]) : d;
            maxd = d > maxd ? d : maxd;
        }
    return maxd;
}

static void test_jpeg_rgb(int flags, const char *encoding)
{
    size_t len;
    uint8_t *buf = make_jpeg(TJPF_RGB, TJSAMP_444, flags, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "%s: %s", encoding, e.msg);
    CHECK(pg.pix && pixGetDepth(pg.pix) == 32);
    CHECKF(pg.pix && max_rgb_diff(pg.pix) <= 12, "%s: max diff %d", encoding,
           pg.pix ? max_rgb_diff(pg.pix) : -1);
    CHECKF(strcmp(pg.encoding, encoding) == 0, "encoding %s", pg.encoding);
    CHECK(pg.pass.codec == QR_CODEC_JPEG && pg.pass.data == buf && pg.pass.len == len);
    CHECK(pg.pass.components == 3 && pg.pass.width == W && pg.pass.height == H);
    CHECK(!pg.dpi_known && pg.scan_time == -1 && pg.orientation == 1);
    qr_page_clear(&pg);
    free(buf);
}

/* luma_when_passthrough: a colour JPEG that can be stored as it is comes back
 * as 8 bpp luma equal (within rounding) to the luma of its RGB decode, with
 * its passthrough unchanged; a CMYK one, which must be re-encoded, stays RGB. */
static void test_jpeg_luma_only(void)
{
    size_t len, clen;
    uint8_t *buf = make_jpeg(TJPF_RGB, TJSAMP_420, 0, &len);
    uint8_t *cmyk = make_jpeg(TJPF_CMYK, TJSAMP_444, 0, &clen);
    qr_limits lim;
    qr_limits_default(&lim);
    CHECK(!lim.luma_when_passthrough);
    lim.luma_when_passthrough = true;
    qr_page full, luma, pc;
    qr_err e = {0};
    qr_image_reader *rd = NULL;
    CHECK(decode1(buf, len, &full, &e) == QR_OK);
    CHECK(qr_image_open(buf, len, &lim, &rd, &e) == QR_OK && qr_image_decode(rd, 0, &luma, &e) == QR_OK);
    qr_image_close(&rd);
    CHECK(luma.pix && pixGetDepth(luma.pix) == 8);
    CHECK(luma.pass.codec == QR_CODEC_JPEG && luma.pass.components == 3 && luma.pass.len == len);
    /* The JPEG's own luma is Rec. 601 (0.299, 0.587, 0.114). */
    PIX *ref = full.pix ? pixConvertRGBToGray(full.pix, 0.299f, 0.587f, 0.114f) : NULL;
    /* The two differ where 4:2:0 chroma, upsampled for RGB, changes sharply
     * (this test image's colour changes every few pixels); on average they
     * agree to rounding. */
    int maxd = 0;
    double sum = 0;
    for (int y = 0; ref && luma.pix && y < H; y++)
        for (int x = 0; x < W; x++) {
            l_uint32 a, b;
            pixGetPixel(ref, x, y, &a);
            pixGetPixel(luma.pix, x, y, &b);
            int d = abs((int)a - (int)b);
            maxd = d > maxd ? d : maxd;
            sum += d;
        }
    CHECKF(ref && sum / (W * H) <= 1.5 && maxd <= 16,
           "luma vs luminance of the RGB decode: mean diff %.2f, max %d", sum / (W * H), maxd);
    CHECK(qr_image_open(cmyk, clen, &lim, &rd, &e) == QR_OK && qr_image_decode(rd, 0, &pc, &e) == QR_OK);
    qr_image_close(&rd);
    CHECK(pc.pix && pixGetDepth(pc.pix) == 32 && pc.pass.codec == QR_CODEC_NONE);
    pixDestroy(&ref);
    qr_page_clear(&full);
    qr_page_clear(&luma);
    qr_page_clear(&pc);
    free(buf);
    free(cmyk);
}

static void test_jpeg_gray_and_jfif(void)
{
    size_t len;
    uint8_t *buf = make_jpeg(TJPF_GRAY, TJSAMP_GRAY, 0, &len);
    CHECK(len > 20 && memcmp(buf + 6, "JFIF", 4) == 0);
    buf[13] = 1; /* units: dots per inch */
    buf[14] = 0, buf[15] = 150, buf[16] = 0, buf[17] = 75;
    qr_page pg;
    qr_err e = {0};
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK(pg.pix && pixGetDepth(pg.pix) == 8 && !pixGetColormap(pg.pix));
    int maxd = 0;
    for (int y = 0; pg.pix && y < H; y++)
        for (int x = 0; x < W; x++) {
            l_uint32 v;
            pixGetPixel(pg.pix, x, y, &v);
            int d = abs((int)v - (x * 2 + y));
            maxd = d > maxd ? d : maxd;
        }
    CHECKF(maxd <= 4, "gray JPEG max diff %d", maxd);
    CHECK(pg.dpi_known && pg.xdpi == 150 && pg.ydpi == 75);
    CHECK(pg.pass.codec == QR_CODEC_JPEG && pg.pass.components == 1);
    qr_page_clear(&pg);
    buf[13] = 2; /* dots per centimetre */
    buf[15] = 59, buf[17] = 59;
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK(fabs(pg.xdpi - 149.86) < 0.001);
    qr_page_clear(&pg);
    free(buf);
}

static void test_jpeg_cmyk(void)
{
    size_t len;
    uint8_t *buf = make_jpeg(TJPF_CMYK, TJSAMP_444, 0, &len);
    CHECK(memmem(buf, len, "Adobe", 5) != NULL);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "CMYK: %s", e.msg);
    CHECK(pg.pix && pixGetDepth(pg.pix) == 32 && pg.pass.codec == QR_CODEC_NONE);
    int maxd = 0;
    for (int y = 0; pg.pix && y < H; y++)
        for (int x = 0; x < W; x++) {
            l_int32 r, g, b;
            pixGetRGBPixel(pg.pix, x, y, &r, &g, &b);
            /* no cyan ink, magenta y*5, yellow x*4, no black */
            int d = abs(r - 255) + abs(g - (255 - y * 5)) + abs(b - (255 - x * 4));
            maxd = d > maxd ? d : maxd;
        }
    CHECKF(maxd <= 12, "CMYK max diff %d", maxd);
    qr_page_clear(&pg);
    free(buf);
}

static void put16(qr_buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    qr_buf_append(b, x, 2);
}

static void put32(qr_buf *b, uint32_t v)
{
    put16(b, v & 0xFFFF);
    put16(b, v >> 16);
}

static void entry(qr_buf *b, unsigned tag, unsigned type, uint32_t count, uint32_t value)
{
    put16(b, tag);
    put16(b, type);
    put32(b, count);
    put32(b, value);
}

/* APP1 Exif: orientation 6, 200 x 100 dpi, DateTimeOriginal in a sub-IFD. */
static void exif_app1(qr_buf *b)
{
    qr_buf t = {0};
    qr_buf_append(&t, "II*\0", 4);
    put32(&t, 8);
    put16(&t, 5); /* IFD0 at 8: 5 entries, data at 8 + 2 + 60 + 4 = 74 */
    entry(&t, 0x0112, 3, 1, 6);
    entry(&t, 0x011A, 5, 1, 74);
    entry(&t, 0x011B, 5, 1, 82);
    entry(&t, 0x0128, 3, 1, 2);
    entry(&t, 0x8769, 4, 1, 90);
    put32(&t, 0);
    put32(&t, 200), put32(&t, 1), put32(&t, 100), put32(&t, 1);
    put16(&t, 1); /* Exif IFD at 90 */
    entry(&t, 0x9003, 2, 20, 90 + 2 + 12 + 4);
    put32(&t, 0);
    qr_buf_append(&t, "2023:11:14 22:13:20", 20);
    size_t seg = t.len + 6 + 2;
    uint8_t hdr[4] = {0xFF, 0xE1, (uint8_t)(seg >> 8), (uint8_t)seg};
    qr_buf_append(b, hdr, 4);
    qr_buf_append(b, "Exif\0\0", 6);
    qr_buf_append(b, t.data, t.len);
    qr_buf_free(&t);
}

static void test_jpeg_exif(void)
{
    size_t len;
    uint8_t *plain = make_jpeg(TJPF_RGB, TJSAMP_420, 0, &len);
    qr_buf b = {0};
    qr_buf_append(&b, plain, 2);
    exif_app1(&b);
    qr_buf_append(&b, plain + 2, len - 2);
    qr_page p0, p6;
    qr_err e = {0};
    CHECK(decode1(plain, len, &p0, &e) == QR_OK);
    CHECKF(decode1(b.data, b.len, &p6, &e) == QR_OK, "exif: %s", e.msg);
    CHECK_EQ_INT(p6.orientation, 6);
    PIX *rot = p0.pix ? pixRotate90(p0.pix, 1) : NULL;
    l_int32 same = 0;
    if (rot && p6.pix)
        pixEqual(rot, p6.pix, &same);
    CHECK(same);
    CHECK(p6.dpi_known && p6.xdpi == 100 && p6.ydpi == 200);
    CHECK(p6.scan_time == 1700000000);
    CHECK(p6.pass.codec == QR_CODEC_NONE);
    /* A damaged Exif block is ignored, never read out of bounds. */
    for (size_t cut = 12; cut < 120; cut += 7) {
        qr_buf c = {0};
        qr_buf_append(&c, b.data, 2);
        uint8_t hdr[4] = {0xFF, 0xE1, (uint8_t)((cut + 2) >> 8), (uint8_t)(cut + 2)};
        qr_buf_append(&c, hdr, 4);
        qr_buf_append(&c, b.data + 6, cut);
        qr_buf_append(&c, plain + 2, len - 2);
        qr_page pc;
        CHECK(decode1(c.data, c.len, &pc, &e) == QR_OK);
        qr_page_clear(&pc);
        qr_buf_free(&c);
    }
    pixDestroy(&rot);
    qr_page_clear(&p0);
    qr_page_clear(&p6);
    qr_buf_free(&b);
    free(plain);
}

/* A JPEG cut anywhere before its image data (the SOS segment) is reported
 * as a JPEG damaged in its header, never as a page of 0 x 0 pixels. */
static void test_jpeg_cut_header(void)
{
    size_t len, sos = 0;
    uint8_t *buf = make_jpeg(TJPF_RGB, TJSAMP_420, 0, &len);
    for (size_t i = 2; i + 1 < len && !sos; i++)
        if (buf[i] == 0xFF && buf[i + 1] == 0xDA)
            sos = i;
    CHECK(sos > 100);
    int bad = 0;
    for (size_t n = 3; n < sos + 4 && bad < 5; n++) {
        qr_page pg;
        qr_err e = {0};
        int rc = decode1(buf, n, &pg, &e);
        bool ok = rc == QR_ECORRUPT && strstr(e.msg, "JPEG") && strstr(e.msg, "header") &&
                  strstr(e.msg, "truncated") && !strstr(e.msg, "0 x 0");
        bad += !ok;
        CHECKF(ok, "JPEG cut at %zu of %zu bytes: rc %d, '%s'", n, len, rc, e.msg);
        if (rc == QR_OK)
            qr_page_clear(&pg);
    }
    free(buf);
}

/* ---- PNG ---- */

typedef struct png_spec {
    int depth, ctype;
    int npal;
    png_color pal[16];
    png_byte trans[16];
    int ntrans;
    png_uint_32 ppm;
    int phys_unit; /* -1: no pHYs */
    int interlace;
} png_spec;

static unsigned psample(int x, int y, int c, int depth)
{
    unsigned max = depth == 16 ? 65535u : (1u << depth) - 1;
    return (unsigned)(x * 13 + y * 7 + c * 50) % (max + 1);
}

static void on_write(png_structp png, png_bytep data, size_t n)
{
    qr_buf_append(png_get_io_ptr(png), data, n);
}

static void fill_png_row(const png_spec *s, int y, int ch, uint8_t *row, size_t n)
{
    memset(row, 0, n);
    for (int x = 0; x < W; x++)
        for (int c = 0; c < ch; c++) {
            unsigned v = psample(x, y, c, s->depth);
            size_t i = (size_t)x * (size_t)ch + (size_t)c;
            if (s->depth == 16)
                row[2 * i] = (uint8_t)(v >> 8), row[2 * i + 1] = (uint8_t)v;
            else if (s->depth == 8)
                row[i] = (uint8_t)v;
            else
                row[i * (size_t)s->depth / 8] |= (uint8_t)(v << (8 - s->depth - (i * (size_t)s->depth) % 8));
        }
}

static uint8_t *make_png(const png_spec *s, size_t *len)
{
    qr_buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &b, on_write, NULL);
    png_set_IHDR(png, info, W, H, s->depth, s->ctype, s->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (s->npal)
        png_set_PLTE(png, info, s->pal, s->npal);
    if (s->ntrans)
        png_set_tRNS(png, info, s->trans, s->ntrans, NULL);
    if (s->phys_unit >= 0)
        png_set_pHYs(png, info, s->ppm, s->ppm, s->phys_unit);
    png_write_info(png, info);
    int ch = png_get_channels(png, info);
    size_t n = png_get_rowbytes(png, info);
    uint8_t *rows = malloc(n * H);
    png_bytep rp[H];
    for (int y = 0; y < H; y++) {
        fill_png_row(s, y, ch, rows + (size_t)y * n, n);
        rp[y] = rows + (size_t)y * n;
    }
    png_write_image(png, rp);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *len = b.len;
    return b.data;
}

static unsigned to8(unsigned v, int depth)
{
    return depth == 16 ? (v * 255 + 32895) / 65535 : v * 255 / ((1u << depth) - 1);
}

static void expect_png(const png_spec *s, int x, int y, unsigned out[3])
{
    if (s->ctype == PNG_COLOR_TYPE_PALETTE) {
        unsigned i = psample(x, y, 0, s->depth);
        unsigned a = (int)i < s->ntrans ? s->trans[i] : 255;
        png_color c = s->pal[i];
        unsigned v[3] = {c.red, c.green, c.blue};
        for (int k = 0; k < 3; k++)
            out[k] = (v[k] * a + 255 * (255 - a) + 127) / 255;
        return;
    }
    bool gray = !(s->ctype & PNG_COLOR_MASK_COLOR);
    int nc = gray ? 1 : 3;
    unsigned a = s->ctype & PNG_COLOR_MASK_ALPHA ? to8(psample(x, y, nc, s->depth), s->depth) : 255;
    for (int k = 0; k < 3; k++) {
        unsigned v = to8(psample(x, y, gray ? 0 : k, s->depth), s->depth);
        out[k] = (v * a + 255 * (255 - a) + 127) / 255;
    }
}

static void check_png(const png_spec *s, int want_depth, const char *what)
{
    size_t len;
    uint8_t *buf = make_png(s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "%s: %s", what, e.msg);
    CHECKF(pg.pix && pixGetDepth(pg.pix) == want_depth, "%s: depth %d", what,
           pg.pix ? pixGetDepth(pg.pix) : 0);
    long bad = 0;
    for (int y = 0; pg.pix && y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned want[3];
            expect_png(s, x, y, want);
            l_int32 r, g, b;
            l_uint32 v;
            pixGetPixel(pg.pix, x, y, &v);
            if (want_depth == 32) {
                pixGetRGBPixel(pg.pix, x, y, &r, &g, &b);
                bad += abs(r - (int)want[0]) > 1 || abs(g - (int)want[1]) > 1 ||
                       abs(b - (int)want[2]) > 1;
            } else if (want_depth == 8) {
                bad += abs((int)v - (int)want[0]) > 1;
            } else {
                bad += v != (want[0] == 0);
            }
        }
    CHECKF(bad == 0, "%s: %ld wrong pixels", what, bad);
    CHECK(strcmp(pg.encoding, "png") == 0 && pg.pass.codec == QR_CODEC_NONE);
    qr_page_clear(&pg);
    free(buf);
}

static void test_png_types(void)
{
    for (int d = 1; d <= 16; d *= 2) {
        png_spec s = {.depth = d, .ctype = PNG_COLOR_TYPE_GRAY, .phys_unit = -1};
        check_png(&s, d == 1 ? 1 : 8, "gray");
    }
    png_spec rgb = {.depth = 8, .ctype = PNG_COLOR_TYPE_RGB, .phys_unit = -1};
    check_png(&rgb, 32, "RGB");
    rgb.interlace = PNG_INTERLACE_ADAM7;
    check_png(&rgb, 32, "RGB interlaced");
    rgb.depth = 16;
    rgb.ctype = PNG_COLOR_TYPE_RGB_ALPHA;
    check_png(&rgb, 32, "RGBA 16-bit onto white");
    rgb.depth = 8;
    check_png(&rgb, 32, "RGBA onto white");
    rgb.ctype = PNG_COLOR_TYPE_GRAY_ALPHA;
    check_png(&rgb, 8, "gray+alpha onto white");
}

static void test_png_palette(void)
{
    png_spec s = {.depth = 4, .ctype = PNG_COLOR_TYPE_PALETTE, .npal = 16, .phys_unit = -1};
    for (int i = 0; i < 16; i++)
        s.pal[i] = (png_color){(png_byte)(i * 16), (png_byte)(255 - i * 16), (png_byte)(i * 3)};
    check_png(&s, 32, "palette colour");
    for (int i = 0; i < 16; i++)
        s.trans[i] = (png_byte)(i * 17);
    s.ntrans = 16;
    check_png(&s, 32, "palette with tRNS");
    s.ntrans = 0;
    for (int i = 0; i < 16; i++)
        s.pal[i] = (png_color){(png_byte)(i * 17), (png_byte)(i * 17), (png_byte)(i * 17)};
    check_png(&s, 8, "palette gray");
    png_spec bw = {.depth = 1, .ctype = PNG_COLOR_TYPE_PALETTE, .npal = 2, .phys_unit = -1};
    bw.pal[0] = (png_color){255, 255, 255};
    bw.pal[1] = (png_color){0, 0, 0};
    check_png(&bw, 1, "palette white/black");
    bw.pal[0] = (png_color){0, 0, 0};
    bw.pal[1] = (png_color){255, 255, 255};
    check_png(&bw, 1, "palette black/white");
    png_spec two = {.depth = 2, .ctype = PNG_COLOR_TYPE_PALETTE, .npal = 4, .phys_unit = -1};
    for (int i = 0; i < 4; i++)
        two.pal[i] = (png_color){(png_byte)(i * 80), 0, (png_byte)(255 - i * 80)};
    check_png(&two, 32, "palette 2-bit");
}

static void test_png_phys(void)
{
    png_spec s = {.depth = 8, .ctype = PNG_COLOR_TYPE_GRAY, .ppm = 11811,
                  .phys_unit = PNG_RESOLUTION_METER};
    size_t len;
    uint8_t *buf = make_png(&s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK(pg.dpi_known && pg.xdpi == 300 && pg.ydpi == 300 && pixGetXRes(pg.pix) == 300);
    qr_page_clear(&pg);
    free(buf);
    s.phys_unit = PNG_RESOLUTION_UNKNOWN;
    buf = make_png(&s, &len);
    CHECK(decode1(buf, len, &pg, &e) == QR_OK && !pg.dpi_known && pg.xdpi == 0);
    qr_page_clear(&pg);
    free(buf);
}

/* ---- bands ---- */

typedef struct gather {
    PIX *pix;
    int next, bands, starts;
    bool bad;
} gather;

static int gather_start(void *ctx, const qr_page *page, int w, int h, int depth, qr_err *err)
{
    (void)err, (void)page;
    gather *g = ctx;
    g->starts++;
    g->pix = pixCreate(w, h, depth);
    if (depth == 32)
        pixSetSpp(g->pix, 3);
    return QR_OK;
}

static int gather_rows(void *ctx, const PIX *cband, int y0, qr_err *err)
{
    (void)err;
    gather *g = ctx;
    PIX *band = (PIX *)cband;
    int n = pixGetHeight(band), wpl = pixGetWpl(band);
    g->bad |= y0 != g->next || !g->pix || y0 + n > pixGetHeight(g->pix) ||
              pixGetWpl(g->pix) != wpl;
    if (!g->bad)
        memcpy(pixGetData(g->pix) + (size_t)y0 * (size_t)wpl, pixGetData(band),
               (size_t)n * (size_t)wpl * 4);
    g->next = y0 + n;
    g->bands++;
    return QR_OK;
}

/* Whole with lim (band_bytes ignored), then in bands with band_bytes 0. */
static void check_bands(const uint8_t *buf, size_t len, qr_limits lim, bool banded,
                        const char *what)
{
    qr_page whole, part;
    qr_err e = {0};
    qr_image_reader *rd = NULL;
    CHECKF(qr_image_open(buf, len, &lim, &rd, &e) == QR_OK &&
               qr_image_decode(rd, 0, &whole, &e) == QR_OK, "%s whole: %s", what, e.msg);
    qr_image_close(&rd);
    lim.band_bytes = 0;
    gather g = {0};
    qr_band_sink sink = {&g, gather_start, gather_rows};
    int rc = qr_image_open(buf, len, &lim, &rd, &e);
    if (rc == QR_OK)
        rc = qr_image_decode_bands(rd, 0, &part, &sink, &e);
    qr_image_close(&rd);
    CHECKF(rc == QR_OK && part.banded == banded, "%s in bands: %s", what, e.msg);
    PIX *got = banded ? g.pix : part.pix;
    l_int32 same = 0;
    if (whole.pix && got)
        pixEqual(whole.pix, got, &same);
    CHECKF(same && !g.bad && g.starts == (banded ? 1 : 0) &&
               (!banded || g.next == pixGetHeight(whole.pix)),
           "%s: %d bands give the page's pixels", what, g.bands);
    CHECKF(part.pass.codec == whole.pass.codec && part.pass.len == whole.pass.len &&
               strcmp(part.encoding, whole.encoding) == 0 && part.xdpi == whole.xdpi,
           "%s: the same metadata", what);
    pixDestroy(&g.pix);
    qr_page_clear(&whole);
    qr_page_clear(&part);
}

static uint8_t *big_jpeg(int pf, int samp, int flags, int w, int h, size_t *len)
{
    int ps = tjPixelSize[pf];
    uint8_t *src = malloc((size_t)w * (size_t)h * (size_t)ps);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ps; c++)
                src[((size_t)y * (size_t)w + (size_t)x) * (size_t)ps + (size_t)c] =
                    (uint8_t)((x * (3 + c) + y * (5 - c) + (x / 17) * 40) % 256);
    tjhandle tj = tjInitCompress();
    unsigned char *jpg = NULL;
    unsigned long jl = 0;
    CHECK(tjCompress2(tj, src, w, 0, h, pf, &jpg, &jl, samp, 90, flags) == 0);
    uint8_t *out = malloc(jl);
    memcpy(out, jpg, jl);
    *len = jl;
    tjFree(jpg);
    tjDestroy(tj);
    free(src);
    return out;
}

static void test_jpeg_bands(void)
{
    const struct {
        int pf, samp, flags;
        bool luma;
        const char *what;
    } cases[] = {
        {TJPF_RGB, TJSAMP_420, 0, false, "RGB 4:2:0"},
        {TJPF_RGB, TJSAMP_422, TJFLAG_PROGRESSIVE, false, "progressive RGB 4:2:2"},
        {TJPF_RGB, TJSAMP_444, 0, true, "RGB, luma only"},
        {TJPF_GRAY, TJSAMP_GRAY, 0, false, "gray"},
        {TJPF_CMYK, TJSAMP_444, 0, false, "Adobe CMYK"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *buf = big_jpeg(cases[i].pf, cases[i].samp, cases[i].flags, 237, 301, &len);
        qr_limits lim;
        qr_limits_default(&lim);
        lim.luma_when_passthrough = cases[i].luma;
        check_bands(buf, len, lim, true, cases[i].what);
        free(buf);
    }
    /* a damaged band is a corrupt page, as when it is decoded whole */
    size_t len;
    uint8_t *buf = big_jpeg(TJPF_RGB, TJSAMP_420, 0, 237, 301, &len);
    qr_limits lim;
    qr_limits_default(&lim);
    lim.band_bytes = 0;
    gather g = {0};
    qr_band_sink sink = {&g, gather_start, gather_rows};
    qr_image_reader *rd = NULL;
    qr_page pg;
    qr_err e = {0};
    CHECK(qr_image_open(buf, len / 2, &lim, &rd, &e) == QR_OK);
    CHECKF(qr_image_decode_bands(rd, 0, &pg, &sink, &e) == QR_ECORRUPT &&
               strncmp(e.msg, "corrupt: JPEG: ", 15) == 0 && pg.pix == NULL,
           "a JPEG cut in half: %s", e.msg);
    qr_image_close(&rd);
    pixDestroy(&g.pix);
    free(buf);
}

static uint8_t *tall_png(int ctype, int depth, int interlace, size_t *len)
{
    const int w = 77, h = 301;
    qr_buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &b, on_write, NULL);
    png_set_IHDR(png, info, w, h, depth, ctype, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 128, 255}, {255, 255, 255}};
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(png, info, pal, 4);
    png_write_info(png, info);
    size_t n = png_get_rowbytes(png, info);
    uint8_t *row = malloc(n);
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) {
            for (size_t i = 0; i < n; i++)
                row[i] = (uint8_t)((i * 7 + (size_t)y * 3) % 251);
            png_write_row(png, row);
        }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    *len = b.len;
    return b.data;
}

static void test_png_bands(void)
{
    const struct {
        int ctype, depth, interlace;
        bool banded;
        const char *what;
    } cases[] = {
        {PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, true, "RGB"},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, PNG_INTERLACE_NONE, true, "16-bit RGBA"},
        {PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, true, "gray"},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, true, "gray and alpha"},
        {PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, true, "palette"},
        {PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, false, "1 bpp: whole"},
        {PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, false, "interlaced: whole"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *buf = tall_png(cases[i].ctype, cases[i].depth, cases[i].interlace, &len);
        qr_limits lim;
        qr_limits_default(&lim);
        check_bands(buf, len, lim, cases[i].banded, cases[i].what);
        free(buf);
    }
}

int main(void)
{
    test_jpeg_rgb(0, "jpeg");
    test_jpeg_rgb(TJFLAG_PROGRESSIVE, "jpeg-progressive");
    test_jpeg_gray_and_jfif();
    test_jpeg_luma_only();
    test_jpeg_cmyk();
    test_jpeg_exif();
    test_jpeg_cut_header();
    test_png_types();
    test_png_palette();
    test_png_phys();
    test_jpeg_bands();
    test_png_bands();
    return qr_test_end();
}
