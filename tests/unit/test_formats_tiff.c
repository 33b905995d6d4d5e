/*
 * Synthetic TIFF pages for the image decoder: every compression, bit depth and
 * photometric the scanners deliver, strips and tiles, planar, alpha, CMYK,
 * resolution units and all eight orientation tags. Each file is written with
 * libtiff into the test's directory, read back into memory and decoded from
 * the buffer; the checks compare pixel values with the pattern written.
 * Large pages read band by band (qr_image_decode_bands) must give exactly
 * the rows of the whole page, for every way a TIFF stores its rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <leptonica/allheaders.h>
#include <tiffio.h>

#include "qr_image.h"
#include "qr_test.h"

static char tmpdir[4096];

typedef struct spec {
    uint32_t w, h;
    uint16_t bps, spp, photo, comp, planar, orient, resunit, extra;
    float xres, yres;
    uint32_t tile, rps;
    uint16_t *cmap; /* 3 x (1 << bps) */
    const char *datetime;
    int pages;
} spec;

/* Deterministic sample value of channel c at (x, y) for a bps-bit sample. */
static unsigned pattern(uint32_t x, uint32_t y, unsigned c, unsigned bps)
{
    unsigned max = bps == 16 ? 65535u : (1u << bps) - 1;
    if (bps == 1)
        return ((x / 3 + y / 2 + c) % 3) == 0;
    unsigned v = (x * 37u + y * 11u + c * 101u) % (max + 1u);
    return v;
}

static void put_sample(uint8_t *row, uint32_t i, unsigned bps, unsigned v)
{
    if (bps == 8)
        row[i] = (uint8_t)v;
    else if (bps == 16)
        memcpy(row + 2 * (size_t)i, &(uint16_t){(uint16_t)v}, 2);
    else {
        size_t bit = (size_t)i * bps;
        row[bit >> 3] |= (uint8_t)(v << (8 - bps - (bit & 7)));
    }
}

/* One row of plane `plane` (or all samples interleaved when plane < 0). */
static void fill_row(const spec *s, uint32_t y, int plane, uint8_t *row, size_t n)
{
    memset(row, 0, n);
    uint32_t per = plane < 0 ? s->spp : 1;
    for (uint32_t x = 0; x < s->w; x++)
        for (uint32_t c = 0; c < per; c++)
            put_sample(row, x * per + c, s->bps, pattern(x, y, plane < 0 ? c : (unsigned)plane, s->bps));
}

static void set_tags(TIFF *t, const spec *s)
{
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, s->h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photo);
    TIFFSetField(t, TIFFTAG_COMPRESSION, s->comp);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, s->planar ? s->planar : PLANARCONFIG_CONTIG);
    if (s->comp == COMPRESSION_JPEG && s->photo == PHOTOMETRIC_YCBCR)
        TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    if (s->orient)
        TIFFSetField(t, TIFFTAG_ORIENTATION, s->orient);
    if (s->xres > 0) {
        TIFFSetField(t, TIFFTAG_XRESOLUTION, (double)s->xres);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, (double)s->yres);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, s->resunit ? s->resunit : RESUNIT_INCH);
    }
    if (s->cmap)
        TIFFSetField(t, TIFFTAG_COLORMAP, s->cmap, s->cmap + (1u << s->bps),
                     s->cmap + 2 * (1u << s->bps));
    if (s->extra) {
        uint16_t ex[1] = {s->extra};
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, ex);
    }
    if (s->photo == PHOTOMETRIC_SEPARATED)
        TIFFSetField(t, TIFFTAG_INKSET, INKSET_CMYK);
    if (s->datetime)
        TIFFSetField(t, TIFFTAG_DATETIME, s->datetime);
    if (s->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s->rps ? s->rps : s->h);
    }
}

static bool write_scanlines(TIFF *t, const spec *s)
{
    size_t n = (size_t)TIFFScanlineSize(t);
    uint8_t *row = malloc(n);
    bool ok = true;
    int planes = s->planar == PLANARCONFIG_SEPARATE ? s->spp : 1;
    for (int p = 0; p < planes; p++)
        for (uint32_t y = 0; y < s->h && ok; y++) {
            fill_row(s, y, planes > 1 ? p : -1, row, n);
            ok = TIFFWriteScanline(t, row, y, (uint16_t)p) >= 0;
        }
    free(row);
    return ok;
}

static bool write_tiles(TIFF *t, const spec *s)
{
    size_t rn = (size_t)TIFFScanlineSize(t), tn = (size_t)TIFFTileSize(t);
    size_t trow = (size_t)TIFFTileRowSize(t);
    uint8_t *img = calloc(rn, s->h), *tile = malloc(tn);
    for (uint32_t y = 0; y < s->h; y++)
        fill_row(s, y, -1, img + y * rn, rn);
    bool ok = true;
    for (uint32_t ty = 0; ty < s->h; ty += s->tile)
        for (uint32_t tx = 0; tx < s->w; tx += s->tile) {
            memset(tile, 0, tn);
            size_t off = (size_t)tx * s->bps * s->spp / 8;
            for (uint32_t r = 0; r < s->tile && ty + r < s->h; r++) {
                size_t left = rn - off;
                memcpy(tile + r * trow, img + (ty + r) * rn + off, left < trow ? left : trow);
            }
            ok = ok && TIFFWriteTile(t, tile, tx, ty, 0, 0) >= 0;
        }
    free(img);
    free(tile);
    return ok;
}

static uint8_t *make_tiff(const spec *s, size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/t.tif", tmpdir);
    TIFF *t = TIFFOpen(path, "w");
    for (int p = 0; p < (s->pages ? s->pages : 1); p++) {
        set_tags(t, s);
        bool ok = s->tile ? write_tiles(t, s) : write_scanlines(t, s);
        CHECKF(ok, "writing a TIFF with compression %u", s->comp);
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
    return qr_test_read(path, len);
}

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

/* Count the pixels of a bitonal page that differ from the pattern, where
 * black_is_one says whether a written 1 means black. */
static long bitonal_diffs(PIX *pix, const spec *s, bool black_is_one)
{
    long bad = 0;
    for (uint32_t y = 0; y < s->h; y++)
        for (uint32_t x = 0; x < s->w; x++) {
            l_uint32 v = 0;
            pixGetPixel(pix, (l_int32)x, (l_int32)y, &v);
            unsigned want = pattern(x, y, 0, 1) ^ (black_is_one ? 0u : 1u);
            bad += v != want;
        }
    return bad;
}

static void test_bitonal_compressions(void)
{
    static const uint16_t comps[] = {COMPRESSION_NONE, COMPRESSION_CCITTRLE, COMPRESSION_CCITTFAX3,
                                     COMPRESSION_CCITTFAX4, COMPRESSION_LZW,
                                     COMPRESSION_ADOBE_DEFLATE, COMPRESSION_PACKBITS};
    static const char *names[] = {"none", "ccitt-rle", "g3", "g4", "lzw", "deflate", "packbits"};
    for (size_t i = 0; i < sizeof comps / sizeof comps[0]; i++) {
        spec s = {.w = 203, .h = 61, .bps = 1, .spp = 1, .photo = PHOTOMETRIC_MINISWHITE,
                  .comp = comps[i], .rps = i % 2 ? 0 : 16, .xres = 200, .yres = 100};
        size_t len;
        uint8_t *buf = make_tiff(&s, &len);
        qr_page pg;
        qr_err e = {0};
        CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "compression %u: %s", comps[i], e.msg);
        if (pg.pix) {
            CHECK_EQ_INT(pixGetDepth(pg.pix), 1);
            CHECKF(bitonal_diffs(pg.pix, &s, true) == 0, "compression %s pixels", names[i]);
            CHECKF(strcmp(pg.encoding, names[i]) == 0, "encoding %s", pg.encoding);
            CHECK(pg.dpi_known && pg.xdpi == 200 && pg.ydpi == 100);
            CHECK_EQ_INT(pg.pass.codec, comps[i] == COMPRESSION_CCITTFAX4 && s.rps == 0
                                            ? QR_CODEC_G4 : QR_CODEC_NONE);
        }
        qr_page_clear(&pg);
        free(buf);
    }
}

static void test_g3_2d_and_minisblack(void)
{
    spec s = {.w = 150, .h = 40, .bps = 1, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
              .comp = COMPRESSION_CCITTFAX4};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK(pg.pix && bitonal_diffs(pg.pix, &s, false) == 0);
    CHECK(pg.pass.codec == QR_CODEC_G4 && pg.pass.invert && pg.pass.width == 150);
    CHECK(pg.pass.data > buf && pg.pass.data + pg.pass.len <= buf + len);
    qr_page_clear(&pg);
    free(buf);
    /* G3 2-D (Group3Options bit 0) */
    char path[4200];
    snprintf(path, sizeof path, "%s/g3.tif", tmpdir);
    s.photo = PHOTOMETRIC_MINISWHITE;
    s.comp = COMPRESSION_CCITTFAX3;
    TIFF *t = TIFFOpen(path, "w");
    set_tags(t, &s);
    TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_2DENCODING);
    write_scanlines(t, &s);
    TIFFClose(t);
    buf = qr_test_read(path, &len);
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK(pg.pix && bitonal_diffs(pg.pix, &s, true) == 0);
    qr_page_clear(&pg);
    free(buf);
}

static unsigned gray8(unsigned v, unsigned bps, bool white)
{
    unsigned g = bps == 16 ? v >> 8 : bps == 8 ? v : v * 255 / ((1u << bps) - 1);
    return white ? 255 - g : g;
}

static void check_gray(const spec *s, const char *what)
{
    size_t len;
    uint8_t *buf = make_tiff(s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "%s: %s", what, e.msg);
    long bad = 0, maxd = 0;
    for (uint32_t y = 0; pg.pix && y < s->h; y++)
        for (uint32_t x = 0; x < s->w; x++) {
            l_uint32 v;
            pixGetPixel(pg.pix, (l_int32)x, (l_int32)y, &v);
            long d = labs((long)v - (long)gray8(pattern(x, y, 0, s->bps), s->bps,
                                                s->photo == PHOTOMETRIC_MINISWHITE));
            bad += d > 0;
            maxd = d > maxd ? d : maxd;
        }
    CHECKF(pg.pix && pixGetDepth(pg.pix) == 8 && !pixGetColormap(pg.pix), "%s depth", what);
    CHECKF(s->comp == COMPRESSION_JPEG ? maxd < 40 : bad == 0, "%s: %ld wrong, max %ld", what,
           bad, maxd);
    qr_page_clear(&pg);
    free(buf);
}

static void test_gray(void)
{
    static const uint16_t bpss[] = {2, 4, 8, 16};
    for (size_t i = 0; i < 4; i++) {
        spec s = {.w = 97, .h = 33, .bps = bpss[i], .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
                  .comp = COMPRESSION_LZW};
        check_gray(&s, "gray min-is-black");
        s.photo = PHOTOMETRIC_MINISWHITE;
        s.comp = COMPRESSION_NONE;
        check_gray(&s, "gray min-is-white");
    }
    spec t = {.w = 100, .h = 64, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
              .comp = COMPRESSION_ADOBE_DEFLATE, .tile = 32};
    check_gray(&t, "gray tiled");
}

static void rgb_expect(const spec *s, uint32_t x, uint32_t y, unsigned rgb[3])
{
    unsigned v[4];
    for (unsigned c = 0; c < s->spp; c++)
        v[c] = pattern(x, y, c, s->bps) >> (s->bps == 16 ? 8 : 0);
    if (s->photo == PHOTOMETRIC_SEPARATED) {
        for (int c = 0; c < 3; c++)
            rgb[c] = (255 - v[c]) * (255 - v[3]) / 255;
        return;
    }
    unsigned a = s->spp == 4 ? v[3] : 255;
    for (int c = 0; c < 3; c++)
        rgb[c] = (v[c] * a + 255 * (255 - a) + 127) / 255;
}

static void check_rgb(const spec *s, int tol, const char *what)
{
    size_t len;
    uint8_t *buf = make_tiff(s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "%s: %s", what, e.msg);
    int maxd = 0;
    for (uint32_t y = 0; pg.pix && y < s->h; y++)
        for (uint32_t x = 0; x < s->w; x++) {
            l_int32 r, g, b;
            unsigned want[3];
            pixGetRGBPixel(pg.pix, (l_int32)x, (l_int32)y, &r, &g, &b);
            rgb_expect(s, x, y, want);
            int d = abs(r - (int)want[0]) + abs(g - (int)want[1]) + abs(b - (int)want[2]);
            maxd = d > maxd ? d : maxd;
        }
    CHECKF(pg.pix && pixGetDepth(pg.pix) == 32, "%s depth", what);
    CHECKF(maxd <= tol, "%s: max difference %d", what, maxd);
    qr_page_clear(&pg);
    free(buf);
}

static void test_colour(void)
{
    spec s = {.w = 70, .h = 45, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
              .comp = COMPRESSION_LZW, .rps = 7};
    check_rgb(&s, 0, "RGB strips");
    s.planar = PLANARCONFIG_SEPARATE;
    check_rgb(&s, 0, "RGB planar");
    s.planar = 0;
    s.tile = 16;
    s.comp = COMPRESSION_PACKBITS;
    check_rgb(&s, 0, "RGB tiles");
    s.tile = 0;
    s.bps = 16;
    check_rgb(&s, 3, "RGB 16-bit (rounded by libtiff)");
    s.bps = 8;
    s.spp = 4;
    s.extra = EXTRASAMPLE_UNASSALPHA;
    check_rgb(&s, 6, "RGBA onto white");
    s.extra = 0;
    s.photo = PHOTOMETRIC_SEPARATED;
    check_rgb(&s, 3, "CMYK");
}

static void test_jpeg_in_tiff(void)
{
    /* a smooth image so JPEG loss stays small */
    spec s = {.w = 64, .h = 48, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_YCBCR,
              .comp = COMPRESSION_JPEG, .rps = 16};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "JPEG-in-TIFF: %s", e.msg);
    CHECK(pg.pix && pixGetDepth(pg.pix) == 32 && strcmp(pg.encoding, "jpeg") == 0);
    qr_page_clear(&pg);
    free(buf);
    spec g = {.w = 64, .h = 48, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
              .comp = COMPRESSION_JPEG, .rps = 16};
    buf = make_tiff(&g, &len);
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "gray JPEG-in-TIFF: %s", e.msg);
    CHECK(pg.pix && pixGetDepth(pg.pix) == 8);
    qr_page_clear(&pg);
    free(buf);
}

static void check_palette(uint16_t bps, bool gray, bool bw, int want_depth)
{
    size_t n = 1u << bps;
    uint16_t *cmap = calloc(3 * n, sizeof *cmap);
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(i * 65535 / (n - 1));
        cmap[i] = (uint16_t)(bw ? 65535 - v : v);
        cmap[n + i] = (uint16_t)(gray || bw ? cmap[i] : 65535 - v);
        cmap[2 * n + i] = (uint16_t)(gray || bw ? cmap[i] : (i * 7919) % 65536);
    }
    spec s = {.w = 40, .h = 20, .bps = bps, .spp = 1, .photo = PHOTOMETRIC_PALETTE,
              .comp = COMPRESSION_LZW, .cmap = cmap};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "palette %u: %s", bps, e.msg);
    CHECKF(pg.pix && pixGetDepth(pg.pix) == want_depth, "palette %u bits -> depth %d", bps,
           pg.pix ? pixGetDepth(pg.pix) : 0);
    long bad = 0;
    for (uint32_t y = 0; pg.pix && y < s.h; y++)
        for (uint32_t x = 0; x < s.w; x++) {
            unsigned idx = pattern(x, y, 0, bps);
            l_int32 r, g, b;
            l_uint32 v;
            pixGetPixel(pg.pix, (l_int32)x, (l_int32)y, &v);
            if (want_depth == 32) {
                pixGetRGBPixel(pg.pix, (l_int32)x, (l_int32)y, &r, &g, &b);
                bad += r != cmap[idx] >> 8 || g != cmap[n + idx] >> 8 || b != cmap[2 * n + idx] >> 8;
            } else if (want_depth == 8) {
                bad += v != (l_uint32)(cmap[idx] >> 8);
            } else {
                bad += v != (l_uint32)(cmap[idx] == 0); /* 1 = black */
            }
        }
    CHECKF(bad == 0, "palette %u bits: %ld wrong pixels", bps, bad);
    qr_page_clear(&pg);
    free(buf);
    free(cmap);
}

static void test_palette(void)
{
    check_palette(8, false, false, 32);
    check_palette(4, true, false, 8);
    check_palette(1, false, true, 1);
    check_palette(2, false, false, 32);
}

/* Where stored pixel (x, y) of a w x h image lands for orientation o. */
static void displayed(int o, int x, int y, int w, int h, int *dx, int *dy)
{
    switch (o) {
    case 2: *dx = w - 1 - x, *dy = y; break;
    case 3: *dx = w - 1 - x, *dy = h - 1 - y; break;
    case 4: *dx = x, *dy = h - 1 - y; break;
    case 5: *dx = y, *dy = x; break;
    case 6: *dx = h - 1 - y, *dy = x; break;
    case 7: *dx = h - 1 - y, *dy = w - 1 - x; break;
    case 8: *dx = y, *dy = w - 1 - x; break;
    default: *dx = x, *dy = y; break;
    }
}

static void check_orientation(int o, uint16_t bps, uint16_t spp)
{
    spec s = {.w = 37, .h = 23, .bps = bps, .spp = spp, .orient = (uint16_t)o,
              .photo = spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISWHITE,
              .comp = bps == 1 ? COMPRESSION_CCITTFAX4 : COMPRESSION_NONE, .xres = 300,
              .yres = 150};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    qr_page pg;
    qr_err e = {0};
    CHECK(decode1(buf, len, &pg, &e) == QR_OK);
    CHECK_EQ_INT(pg.orientation, o);
    bool swap = o >= 5;
    CHECK(pg.pix && pixGetWidth(pg.pix) == (int)(swap ? s.h : s.w));
    CHECK(pg.xdpi == (swap ? 150 : 300) && pg.ydpi == (swap ? 300 : 150));
    CHECK_EQ_INT(pg.pass.codec, QR_CODEC_NONE + (o == 1 && bps == 1 ? QR_CODEC_G4 : 0));
    long bad = 0;
    for (int y = 0; pg.pix && y < (int)s.h; y++)
        for (int x = 0; x < (int)s.w; x++) {
            int dx, dy;
            l_int32 r = 0, g, b;
            displayed(o, x, y, (int)s.w, (int)s.h, &dx, &dy);
            if (spp == 3) {
                pixGetRGBPixel(pg.pix, dx, dy, &r, &g, &b);
                bad += (unsigned)r != pattern((uint32_t)x, (uint32_t)y, 0, 8) ||
                       (unsigned)b != pattern((uint32_t)x, (uint32_t)y, 2, 8);
            } else {
                l_uint32 v;
                pixGetPixel(pg.pix, dx, dy, &v);
                bad += v != pattern((uint32_t)x, (uint32_t)y, 0, 1);
            }
        }
    CHECKF(bad == 0, "orientation %d (%u bpp): %ld wrong", o, bps * spp, bad);
    qr_page_clear(&pg);
    free(buf);
}

static void test_orientation(void)
{
    for (int o = 1; o <= 8; o++) {
        check_orientation(o, 1, 1);
        check_orientation(o, 8, 3);
    }
}

static void test_meta_and_pages(void)
{
    spec s = {.w = 20, .h = 10, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
              .comp = COMPRESSION_NONE, .xres = 118.11f, .yres = 47.25f,
              .resunit = RESUNIT_CENTIMETER, .datetime = "2023:11:14 22:13:20", .pages = 3};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    qr_image_reader *rd = NULL;
    qr_err e = {0};
    CHECK(qr_image_open(buf, len, NULL, &rd, &e) == QR_OK);
    CHECK_EQ_INT(qr_image_pages(rd), 3);
    CHECK(qr_image_format(rd) == QR_FMT_TIFF);
    for (int i = 0; i < 3; i++) {
        qr_page pg;
        CHECK(qr_image_decode(rd, i, &pg, &e) == QR_OK);
        CHECK(pg.dpi_known && fabs(pg.xdpi - 300.0) < 0.01 && fabs(pg.ydpi - 120.02) < 0.01);
        CHECK(pg.pix && pixGetXRes(pg.pix) == 300);
        CHECK(pg.scan_time == 1700000000);
        qr_page_clear(&pg);
    }
    qr_page pg;
    CHECK(qr_image_decode(rd, 3, &pg, &e) == QR_EINVAL && pg.pix == NULL);
    qr_image_close(&rd);
    CHECK(rd == NULL);
    free(buf);
    s.resunit = RESUNIT_NONE;
    s.pages = 1;
    buf = make_tiff(&s, &len);
    CHECK(decode1(buf, len, &pg, &e) == QR_OK && !pg.dpi_known && pg.xdpi == 0);
    qr_page_clear(&pg);
    free(buf);
}

/* Overwrite a SHORT tag's value in the first IFD of a little-endian TIFF. */
static bool patch_tag(uint8_t *b, size_t len, uint16_t tag, uint16_t value)
{
    uint32_t ifd;
    memcpy(&ifd, b + 4, 4);
    uint16_t n;
    memcpy(&n, b + ifd, 2);
    for (uint16_t i = 0; i < n && ifd + 2 + (i + 1) * 12u <= len; i++) {
        uint8_t *e = b + ifd + 2 + i * 12;
        uint16_t t;
        memcpy(&t, e, 2);
        if (t == tag) {
            memcpy(e + 8, &value, 2);
            return true;
        }
    }
    return false;
}

static void test_unsupported(void)
{
    static const struct { uint16_t comp; const char *msg; } cases[] = {
        {COMPRESSION_SGILOG, "unsupported: TIFF compression 34676 (SGILOG)"},
        {COMPRESSION_SGILOG24, "unsupported: TIFF compression 34677 (SGILOG24)"},
        {COMPRESSION_WEBP, "unsupported: TIFF compression 50001"},
        {12345, "unsupported: TIFF compression 12345 (unknown)"},
    };
    spec s = {.w = 20, .h = 10, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
              .comp = COMPRESSION_NONE};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *buf = make_tiff(&s, &len);
        CHECK(buf[0] == 'I' && patch_tag(buf, len, TIFFTAG_COMPRESSION, cases[i].comp));
        qr_page pg;
        qr_err e = {0};
        CHECK_EQ_INT(decode1(buf, len, &pg, &e), QR_EUNSUPPORTED);
        CHECKF(strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)) == 0, "message: %s", e.msg);
        CHECK(pg.pix == NULL);
        free(buf);
    }
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    CHECK(patch_tag(buf, len, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_LOGLUV));
    qr_page pg;
    qr_err e = {0};
    CHECK_EQ_INT(decode1(buf, len, &pg, &e), QR_EUNSUPPORTED);
    CHECK(strncmp(e.msg, "unsupported:", 12) == 0);
    free(buf);
}

/* A 4-page gray TIFF, page p (0-based) 20 + p pixels wide; ends[p] is the
 * file size once page p is written (libtiff puts each page's strips, then
 * its directory and the directory's values, after the previous page). */
static uint8_t *make_4_pages(size_t ends[4], size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/four.tif", tmpdir);
    TIFF *t = TIFFOpen(path, "w");
    for (int p = 0; p < 4; p++) {
        spec s = {.w = 20 + (uint32_t)p, .h = 30, .bps = 8, .spp = 1,
                  .photo = PHOTOMETRIC_MINISBLACK, .comp = COMPRESSION_NONE,
                  .xres = 300, .yres = 300, .datetime = "2023:11:14 22:13:20"};
        set_tags(t, &s);
        CHECK(write_scanlines(t, &s));
        CHECK(TIFFWriteDirectory(t));
        struct stat st;
        CHECK(stat(path, &st) == 0);
        ends[p] = (size_t)st.st_size;
    }
    TIFFClose(t);
    return qr_test_read(path, len);
}

/* Pages 1..2 must decode with their own size; the last page of the reader
 * stands for the break and names the last good page. */
static void check_broken(const uint8_t *buf, size_t len, const char *what)
{
    qr_image_reader *rd = NULL;
    qr_err e = {0};
    int rc = qr_image_open(buf, len, NULL, &rd, &e);
    CHECKF(rc == QR_OK, "%s: open: %s", what, e.msg);
    if (rc != QR_OK)
        return;
    int n = qr_image_pages(rd);
    CHECKF(n == 3 || n == 4, "%s: %d pages", what, n);
    CHECKF(qr_image_broken(rd) != NULL, "%s: the break is not reported", what);
    for (int i = 0; i < 2; i++) {
        qr_page pg;
        rc = qr_image_decode(rd, i, &pg, &e);
        CHECKF(rc == QR_OK && pg.pix && pixGetWidth(pg.pix) == 20 + i && pg.scan_time == 1700000000,
               "%s: page %d: rc %d %s", what, i + 1, rc, rc ? e.msg : "");
        qr_page_clear(&pg);
    }
    if (n == 4) { /* page 3's directory survived; its values or strips may not */
        qr_page pg;
        rc = qr_image_decode(rd, 2, &pg, &e);
        CHECKF(rc == QR_OK ? pixGetWidth(pg.pix) == 22 : rc == QR_ECORRUPT, "%s: page 3: rc %d %s",
               what, rc, rc ? e.msg : "");
        qr_page_clear(&pg);
    }
    char want[64];
    snprintf(want, sizeof want, "corrupt: TIFF directory chain broken after page %d,", n - 1);
    qr_page pg;
    rc = qr_image_decode(rd, n - 1, &pg, &e);
    CHECKF(rc == QR_ECORRUPT && strncmp(e.msg, want, strlen(want)) == 0 && pg.pix == NULL,
           "%s: last page: rc %d %s", what, rc, e.msg);
    CHECKF(!strcmp(e.msg, qr_image_broken(rd)), "%s: %s", what, e.msg);
    qr_image_close(&rd);
}

/* Where a classic little-endian IFD keeps the offset of the next one. */
static size_t next_ifd_field(const uint8_t *b, uint32_t ifd)
{
    uint16_t cnt;
    memcpy(&cnt, b + ifd, 2);
    return ifd + 2 + 12u * cnt;
}

static void test_truncated_pages(void)
{
    size_t ends[4], len;
    uint8_t *buf = make_4_pages(ends, &len);
    CHECK(len == ends[3] && ends[1] < ends[2]);
    qr_image_reader *rd = NULL;
    qr_err e = {0};
    CHECK(qr_image_open(buf, len, NULL, &rd, &e) == QR_OK && qr_image_pages(rd) == 4 &&
          qr_image_broken(rd) == NULL);
    qr_image_close(&rd);
    size_t page3 = ends[2] - ends[1];
    size_t cuts[] = {ends[1], ends[1] + 1, ends[1] + page3 / 4, ends[1] + page3 / 2,
                     ends[2] - 40, ends[2] - 20, ends[2] - 8, ends[2] - 1, ends[2] + 1};
    int seen[5] = {0};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "cut at %zu of %zu (page 3: %zu..%zu)", cuts[i], len,
                 ends[1], ends[2]);
        check_broken(buf, cuts[i], what);
        rd = NULL;
        if (qr_image_open(buf, cuts[i], NULL, &rd, &e) == QR_OK)
            seen[qr_image_pages(rd)]++;
        qr_image_close(&rd);
    }
    /* cuts inside page 3's strips lose its directory; a cut past it keeps it */
    CHECKF(seen[3] >= 4 && seen[4] >= 1, "3 pages %d times, 4 pages %d times", seen[3], seen[4]);
    /* the chain broken without truncation: page 2's next-directory offset
     * points past the end (classic little-endian TIFF) */
    CHECK(buf[0] == 'I');
    uint32_t ifd1, ifd2, beyond = (uint32_t)len + 4096;
    memcpy(&ifd1, buf + 4, 4);
    memcpy(&ifd2, buf + next_ifd_field(buf, ifd1), 4);
    memcpy(buf + next_ifd_field(buf, ifd2), &beyond, 4);
    check_broken(buf, len, "page 2's next offset past the end");
    free(buf);
}

/* ---- bands ---- */

/* A sink that puts the bands back together, checking that they come in
 * order, start first, and cover the page. */
typedef struct gather {
    PIX *pix;
    int next, bands, starts;
    double xdpi;
    bool bad;
} gather;

static int gather_start(void *ctx, const qr_page *page, int w, int h, int depth, qr_err *err)
{
    (void)err;
    gather *g = ctx;
    g->starts++;
    g->xdpi = page->xdpi;
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
    g->bad |= y0 != g->next || !g->pix || pixGetWidth(band) != pixGetWidth(g->pix) ||
              y0 + n > pixGetHeight(g->pix) || pixGetWpl(g->pix) != wpl;
    if (!g->bad)
        memcpy(pixGetData(g->pix) + (size_t)y0 * (size_t)wpl, pixGetData(band),
               (size_t)n * (size_t)wpl * 4);
    g->next = y0 + n;
    g->bands++;
    return QR_OK;
}

/* Decode whole and in bands (band_bytes 0: every page that can be banded
 * is); banded says whether it was. */
static void check_bands(const uint8_t *buf, size_t len, bool banded, const char *what)
{
    qr_page whole, part;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &whole, &e) == QR_OK, "%s whole: %s", what, e.msg);
    qr_limits lim;
    qr_limits_default(&lim);
    lim.band_bytes = 0;
    qr_image_reader *rd = NULL;
    gather g = {0};
    qr_band_sink sink = {&g, gather_start, gather_rows};
    int rc = qr_image_open(buf, len, &lim, &rd, &e);
    if (rc == QR_OK)
        rc = qr_image_decode_bands(rd, 0, &part, &sink, &e);
    qr_image_close(&rd);
    CHECKF(rc == QR_OK, "%s in bands: %s", what, e.msg);
    CHECKF(part.banded == banded && (part.pix == NULL) == banded, "%s banded %d", what, banded);
    PIX *got = banded ? g.pix : part.pix;
    CHECKF(!g.bad && g.starts == (banded ? 1 : 0), "%s: %d bands in order", what, g.bands);
    l_int32 same = 0;
    if (whole.pix && got)
        pixEqual(whole.pix, got, &same);
    CHECKF(same, "%s: bands give the page's pixels", what);
    CHECKF(!banded || (g.next == pixGetHeight(whole.pix) && g.xdpi == whole.xdpi),
           "%s: every row, and the resolution before the rows", what);
    if (banded)
        pixDestroy(&g.pix);
    qr_page_clear(&whole);
    qr_page_clear(&part);
}

static void test_bands(void)
{
    const struct {
        spec s;
        bool banded;
        const char *what;
    } cases[] = {
        {{.w = 301, .h = 203, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
          .comp = COMPRESSION_LZW, .rps = 16, .xres = 300, .yres = 300}, true, "gray strips"},
        {{.w = 301, .h = 603, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_MINISWHITE,
          .comp = COMPRESSION_ADOBE_DEFLATE}, true, "gray, one strip read by scanline"},
        {{.w = 150, .h = 300, .bps = 4, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
          .comp = COMPRESSION_PACKBITS, .tile = 64}, true, "4-bit gray tiles"},
        {{.w = 150, .h = 300, .bps = 16, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
          .comp = COMPRESSION_NONE, .rps = 300}, true, "16-bit gray, one strip"},
        {{.w = 211, .h = 150, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_ADOBE_DEFLATE, .rps = 10}, true, "RGB strips"},
        {{.w = 211, .h = 350, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_LZW}, true, "RGB, one strip read by scanline"},
        {{.w = 203, .h = 401, .bps = 1, .spp = 1, .photo = PHOTOMETRIC_MINISBLACK,
          .comp = COMPRESSION_ADOBE_DEFLATE}, false, "1 bpp, one strip read by scanline"},
        {{.w = 211, .h = 150, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_NONE, .tile = 32}, true, "RGB tiles"},
        {{.w = 211, .h = 150, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_LZW, .rps = 8, .planar = PLANARCONFIG_SEPARATE}, true,
         "RGB planes (RGBA reader)"},
        {{.w = 211, .h = 150, .bps = 16, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_NONE, .tile = 48}, true, "16-bit RGB tiles (RGBA reader)"},
        {{.w = 120, .h = 90, .bps = 8, .spp = 4, .photo = PHOTOMETRIC_SEPARATED,
          .comp = COMPRESSION_LZW, .rps = 7}, true, "CMYK strips (RGBA reader)"},
        {{.w = 128, .h = 96, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_YCBCR,
          .comp = COMPRESSION_JPEG, .rps = 16}, true, "JPEG-in-TIFF YCbCr"},
        {{.w = 203, .h = 301, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_YCBCR,
          .comp = COMPRESSION_JPEG}, true, "JPEG-in-TIFF YCbCr, odd size, one strip"},
        {{.w = 203, .h = 150, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_YCBCR,
          .comp = COMPRESSION_JPEG, .tile = 64}, true, "JPEG-in-TIFF YCbCr tiles"},
        {{.w = 203, .h = 61, .bps = 1, .spp = 1, .photo = PHOTOMETRIC_MINISWHITE,
          .comp = COMPRESSION_CCITTFAX4, .rps = 16}, false, "1 bpp: always whole"},
        {{.w = 70, .h = 45, .bps = 8, .spp = 3, .photo = PHOTOMETRIC_RGB,
          .comp = COMPRESSION_NONE, .orient = 6}, false, "orientation 6: whole"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *buf = make_tiff(&cases[i].s, &len);
        check_bands(buf, len, cases[i].banded, cases[i].what);
        free(buf);
    }
}

/* Pages libtiff's RGBA interface converts, stored as one strip taller than
 * 256 rows, are read by scanline and their samples handed to the RGBA
 * interface's own routine: each pixel must be what TIFFReadRGBAImage gives
 * for the whole page, flattened onto white. */
static unsigned over_white(unsigned c, unsigned a)
{
    unsigned v = c + 255u - a;
    return v > 255u ? 255u : v;
}

static void check_rgba_reference(const spec *s, const char *what)
{
    size_t len;
    uint8_t *buf = make_tiff(s, &len);
    char path[4200];
    snprintf(path, sizeof path, "%s/t.tif", tmpdir);
    TIFF *t = TIFFOpen(path, "r");
    uint32_t *raster = malloc((size_t)s->w * s->h * 4);
    CHECK(t && TIFFReadRGBAImageOriented(t, s->w, s->h, raster, ORIENTATION_TOPLEFT, 0));
    TIFFClose(t);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode1(buf, len, &pg, &e) == QR_OK, "%s: %s", what, e.msg);
    bool gray = s->photo == PHOTOMETRIC_MINISBLACK;
    long bad = 0;
    for (uint32_t y = 0; pg.pix && y < s->h; y++)
        for (uint32_t x = 0; x < s->w; x++) {
            uint32_t p = raster[(size_t)y * s->w + x];
            unsigned a = TIFFGetA(p);
            if (gray) {
                l_uint32 v;
                pixGetPixel(pg.pix, (l_int32)x, (l_int32)y, &v);
                bad += v != over_white(TIFFGetG(p), a);
            } else {
                l_int32 r, g, b;
                pixGetRGBPixel(pg.pix, (l_int32)x, (l_int32)y, &r, &g, &b);
                bad += (unsigned)r != over_white(TIFFGetR(p), a) ||
                       (unsigned)g != over_white(TIFFGetG(p), a) ||
                       (unsigned)b != over_white(TIFFGetB(p), a);
            }
        }
    CHECKF(pg.pix && bad == 0, "%s: %ld pixels unlike libtiff's RGBA image", what, bad);
    qr_page_clear(&pg);
    free(raster);
    free(buf);
    check_bands(buf = make_tiff(s, &len), len, true, what);
    free(buf);
}

static void test_rgba_tall_strips(void)
{
    spec cmyk = {.w = 90, .h = 300, .bps = 8, .spp = 4, .photo = PHOTOMETRIC_SEPARATED,
                 .comp = COMPRESSION_LZW};
    check_rgba_reference(&cmyk, "CMYK, one strip of 300 rows");
    spec rgba = {.w = 90, .h = 300, .bps = 8, .spp = 4, .photo = PHOTOMETRIC_RGB,
                 .comp = COMPRESSION_ADOBE_DEFLATE, .extra = EXTRASAMPLE_UNASSALPHA};
    check_rgba_reference(&rgba, "RGB with alpha, one strip of 300 rows");
    rgba.extra = EXTRASAMPLE_ASSOCALPHA;
    check_rgba_reference(&rgba, "RGB with associated alpha, one strip");
    spec rgb16 = {.w = 90, .h = 300, .bps = 16, .spp = 3, .photo = PHOTOMETRIC_RGB,
                  .comp = COMPRESSION_NONE};
    check_rgba_reference(&rgb16, "16-bit RGB, one strip of 300 rows");
    spec ga = {.w = 90, .h = 300, .bps = 8, .spp = 2, .photo = PHOTOMETRIC_MINISBLACK,
               .comp = COMPRESSION_LZW, .extra = EXTRASAMPLE_UNASSALPHA};
    check_rgba_reference(&ga, "gray with alpha, one strip of 300 rows");
}

/* A palette with colour maps to 32 bpp and is banded; its rows match. */
static void test_bands_palette(void)
{
    uint16_t cmap[3 * 256];
    for (int i = 0; i < 256; i++)
        cmap[i] = (uint16_t)(i * 257), cmap[256 + i] = (uint16_t)(65535 - i * 257),
        cmap[512 + i] = (uint16_t)((i * 7919) % 65536);
    spec s = {.w = 99, .h = 130, .bps = 8, .spp = 1, .photo = PHOTOMETRIC_PALETTE,
              .comp = COMPRESSION_LZW, .rps = 20, .cmap = cmap};
    size_t len;
    uint8_t *buf = make_tiff(&s, &len);
    check_bands(buf, len, true, "palette");
    free(buf);
}

int main(void)
{
    qr_test_tmpdir("test_formats_tiff", tmpdir, sizeof tmpdir);
    TIFFSetWarningHandler(NULL); /* the writer side of this test only */
    test_bitonal_compressions();
    test_g3_2d_and_minisblack();
    test_gray();
    test_colour();
    test_jpeg_in_tiff();
    test_palette();
    test_orientation();
    test_meta_and_pages();
    test_unsupported();
    test_truncated_pages();
    test_bands();
    test_bands_palette();
    test_rgba_tall_strips();
    return qr_test_end();
}
