/*
 * qr_image as the pipeline uses it: every real scanner file of the shared
 * corpus decoded and checked against the facts its SOURCES.md records; G4
 * passthrough bytes checked against libtiff and proven to decode to the same
 * pixels; the encoders round-tripped, fed whole or in bands, and giving the
 * bytes of TurboJPEG and zlib; decompression-bomb caps; truncated and
 * corrupted inputs of every format rejected cleanly, with nothing printed.
 * The scanner's tag text kept for the transfer note: printable ASCII only,
 * trailing blanks dropped, bounded.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leptonica/allheaders.h>
#include <png.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <zlib.h>

#include "qr_image.h"
#include "qr_test.h"
#include "qr_util.h"

static char tmpdir[4096];

/* ---- small helpers ---- */

static uint8_t *write_read(const char *name, void (*writer)(TIFF *, void *), void *arg,
                           size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    TIFF *t = TIFFOpen(path, "w");
    writer(t, arg);
    TIFFClose(t);
    return qr_test_read(path, len);
}

typedef struct raw_g4 {
    const uint8_t *data;
    size_t len;
    int w, h;
} raw_g4;

/* Wrap raw G4 bytes in a min-is-white single-strip TIFF. */
static void write_g4(TIFF *t, void *arg)
{
    raw_g4 *g = arg;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)g->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)g->h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)g->h);
    TIFFWriteRawStrip(t, 0, (void *)g->data, (tmsize_t)g->len);
}

static int decode_buf(const uint8_t *buf, size_t len, const qr_limits *lim, int index,
                      qr_page *pg, qr_err *e)
{
    qr_image_reader *rd = NULL;
    int rc = qr_image_open(buf, len, lim, &rd, e);
    if (rc == QR_OK) {
        rc = qr_image_decode(rd, index, pg, e);
        qr_image_close(&rd);
    } else {
        memset(pg, 0, sizeof *pg);
    }
    return rc;
}

/* Decode raw G4 bytes through a wrapping TIFF; NULL on failure. */
static PIX *decode_raw_g4(const uint8_t *data, size_t len, int w, int h)
{
    raw_g4 g = {data, len, w, h};
    size_t tl;
    uint8_t *tif = write_read("wrap.tif", write_g4, &g, &tl);
    qr_page pg;
    qr_err e = {0};
    PIX *out = NULL;
    if (decode_buf(tif, tl, NULL, 0, &pg, &e) == QR_OK) {
        out = pg.pix;
        pg.pix = NULL;
    }
    qr_page_clear(&pg);
    free(tif);
    return out;
}

static bool same_pix(PIX *a, PIX *b)
{
    l_int32 same = 0;
    return a && b && pixEqual(a, b, &same) == 0 && same;
}

/* ---- corpus facts from SOURCES.md ---- */

typedef struct facts {
    int w, h, pages, depth;
    double dpi; /* -1 unknown */
    bool unsupported;
} facts;

/* libtiff before 4.6 cannot decode G3 1-D data without EOL codes. */
static bool g3_noeol_unsupported(void)
{
    int major = 0, minor = 0;
    const char *v = strstr(TIFFGetVersion(), "Version ");
    return v && sscanf(v + 8, "%d.%d", &major, &minor) == 2 && major == 4 && minor < 6;
}

static bool find_facts(const char *md, const char *name, facts *f)
{
    char key[300];
    snprintf(key, sizeof key, "| `%s` |", name);
    const char *row = strstr(md, key);
    if (!row)
        return false;
    const char *end = strchr(row, '\n');
    size_t n = end ? (size_t)(end - row) : strlen(row);
    char line[4096];
    snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), row);
    /* columns: file | origin | licence | properties | truth */
    char *props = line;
    for (int i = 0; i < 3 && props; i++)
        props = strchr(props + 1, '|');
    if (!props)
        return false;
    props++;
    char *bar = strchr(props, '|');
    if (bar)
        *bar = '\0';
    memset(f, 0, sizeof *f);
    f->pages = 1;
    for (int p = 2; p < 20; p++) {
        char pk[16];
        snprintf(pk, sizeof pk, "p%d: ", p);
        if (strstr(props, pk))
            f->pages = p;
    }
    char *br = strstr(props, "<br>");
    if (br)
        *br = '\0';
    char *p1 = strstr(props, "p1: ");
    if (p1)
        props = p1 + 4;
    const char *dims = strpbrk(props, "0123456789");
    if (!dims || sscanf(dims, "%dx%d", &f->w, &f->h) != 2)
        return false;
    f->depth = strstr(props, "-bit x3") || strstr(props, "sRGB") || strstr(props, "palette") ? 32 : 8;
    if (strstr(props, " 1-bit "))
        f->depth = 1;
    const char *eq = strstr(props, "(= ");
    double a, b;
    const char *res = strstr(props, " dpi");
    f->dpi = -1;
    if (eq)
        f->dpi = atof(eq + 3);
    else if (strstr(props, "none (") || strstr(props, "no resolution tag"))
        f->dpi = -1;
    else if (res || strstr(props, "(no ResolutionUnit")) {
        const char *s = strrchr(props, ',');
        if (s && sscanf(s + 1, "%lf x %lf", &a, &b) == 2)
            f->dpi = a;
        for (const char *q = props; *q && f->dpi < 0; q++)
            if (sscanf(q, " %lf x %lf dpi", &a, &b) == 2 && q > props && q[-1] == ',')
                f->dpi = a;
    }
    f->unsupported = strstr(line, "LogLuv") || strstr(line, "WebP") ||
                     (strstr(name, "1dnoEOL") && g3_noeol_unsupported());
    return true;
}

static bool is_image(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (!strcmp(dot, ".tif") || !strcmp(dot, ".tiff") || !strcmp(dot, ".jpg") ||
                   !strcmp(dot, ".png"));
}

/* Every G4 passthrough page: the bytes are libtiff's raw strip, and they
 * decode to exactly the page's pixels (inverted for min-is-black). */
static void check_passthru(const char *path, int index, const qr_page *pg)
{
    TIFF *t = TIFFOpen(path, "r");
    CHECK(t && TIFFSetDirectory(t, (tdir_t)index));
    tmsize_t n = t ? TIFFRawStripSize(t, 0) : -1;
    uint8_t *raw = n > 0 ? malloc((size_t)n) : NULL;
    CHECK(raw && TIFFReadRawStrip(t, 0, raw, n) == n);
    CHECKF(raw && (size_t)n == pg->pass.len && memcmp(raw, pg->pass.data, pg->pass.len) == 0,
           "%s: passthrough bytes differ from TIFFReadRawStrip", path);
    free(raw);
    if (t)
        TIFFClose(t);
    PIX *back = decode_raw_g4(pg->pass.data, pg->pass.len, pg->pass.width, pg->pass.height);
    if (back && pg->pass.invert)
        pixInvert(back, back);
    CHECKF(same_pix(back, pg->pix), "%s: passthrough strip decodes to other pixels", path);
    pixDestroy(&back);
}

static void check_corpus_page(const char *name, const char *path, int index, const facts *f,
                              const qr_page *pg)
{
    int d = pixGetDepth(pg->pix);
    CHECKF(d == 1 || d == 8 || d == 32, "%s: depth %d", name, d);
    CHECKF(!pixGetColormap(pg->pix), "%s: has a colormap", name);
    if (index == 0) {
        CHECKF(pixGetWidth(pg->pix) == f->w && pixGetHeight(pg->pix) == f->h,
               "%s: %d x %d, SOURCES.md says %d x %d", name, pixGetWidth(pg->pix),
               pixGetHeight(pg->pix), f->w, f->h);
        CHECKF(d == f->depth, "%s: depth %d, expected %d", name, d, f->depth);
        if (f->dpi < 0)
            CHECKF(!pg->dpi_known, "%s: dpi should be unknown, got %g", name, pg->xdpi);
        else
            CHECKF(pg->dpi_known && fabs(pg->xdpi - f->dpi) < 0.5, "%s: dpi %g, expected %g",
                   name, pg->xdpi, f->dpi);
    }
    if (pg->pass.codec == QR_CODEC_G4)
        check_passthru(path, index, pg);
    if (pg->pass.codec == QR_CODEC_JPEG)
        CHECK(pg->pass.components == 1 || pg->pass.components == 3);
}

static int corpus_file(const char *dir, const char *name, const char *md)
{
    char path[4600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    facts f;
    CHECKF(find_facts(md, name, &f), "%s: no row in SOURCES.md", name);
    size_t len;
    uint8_t *buf = qr_test_read(path, &len);
    qr_image_reader *rd = NULL;
    qr_err e = {0};
    int rc = qr_image_open(buf, len, NULL, &rd, &e);
    CHECKF(rc == QR_OK, "%s: %s", name, e.msg);
    int pages = qr_image_pages(rd);
    CHECKF(rd == NULL || pages == f.pages, "%s: %d pages, expected %d", name, pages, f.pages);
    for (int i = 0; rd && i < pages; i++) {
        qr_page pg;
        rc = qr_image_decode(rd, i, &pg, &e);
        if (f.unsupported) {
            CHECKF(rc == QR_EUNSUPPORTED && !strncmp(e.msg, "unsupported:", 12), "%s: %s", name,
                   e.msg);
        } else {
            CHECKF(rc == QR_OK, "%s page %d: %s", name, i + 1, e.msg);
            if (rc == QR_OK)
                check_corpus_page(name, path, i, &f, &pg);
        }
        qr_page_clear(&pg);
    }
    qr_image_close(&rd);
    free(buf);
    return pages;
}

static void test_corpus(void)
{
    char dir[4200];
    const char *sh = qr_test_env("QUIRE_SHARED");
    snprintf(dir, sizeof dir, "%s/corpus/real", sh ? sh : "/nonexistent");
    char mdpath[4300];
    snprintf(mdpath, sizeof mdpath, "%s/SOURCES.md", dir);
    DIR *dp = opendir(dir);
    if (!dp || access(mdpath, R_OK) != 0) {
        printf("note: QUIRE_SHARED corpus not present, corpus checks skipped\n");
        if (dp)
            closedir(dp);
        return;
    }
    size_t mlen;
    char *md = (char *)qr_test_read(mdpath, &mlen);
    md = realloc(md, mlen + 1);
    md[mlen] = '\0';
    int files = 0, pages = 0;
    struct dirent *de;
    while ((de = readdir(dp)))
        if (is_image(de->d_name)) {
            pages += corpus_file(dir, de->d_name, md);
            files++;
        }
    closedir(dp);
    free(md);
    printf("corpus: %d files, %d pages decoded\n", files, pages);
    CHECK(files >= 50);
}

static uint8_t *corpus_read(const char *name, size_t *len)
{
    char p[4200];
    if (!qr_test_corpus(name, p, sizeof p))
        return NULL;
    return qr_test_read(p, len);
}

/* Specific facts of particular corpus files. */
static void test_corpus_facts(void)
{
    size_t len;
    uint8_t *buf = corpus_read("lept_tickets.tif", &len);
    if (!buf) {
        printf("note: corpus not present, specific facts skipped\n");
        return;
    }
    qr_page pg;
    qr_err e = {0};
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK);
    CHECK(pg.xdpi == 72 && pg.ydpi == 72 && pg.dpi_known);
    CHECK(pg.pass.codec == QR_CODEC_G4 && pg.pass.invert); /* min-is-black */
    CHECK(strcmp(pg.encoding, "g4") == 0);
    qr_page_clear(&pg);
    free(buf);

    buf = corpus_read("pillow_g4_orientation_3.tif", &len);
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK);
    CHECK_EQ_INT(pg.orientation, 3);
    CHECK(pg.pass.codec == QR_CODEC_NONE); /* pixels were turned: no passthrough */
    /* the stored strip, turned by 180 degrees, is what we return */
    uint64_t *offs = NULL, *cnts = NULL;
    char p[4200];
    TIFF *t = TIFFOpen(qr_test_corpus("pillow_g4_orientation_3.tif", p, sizeof p), "r");
    CHECK(t && TIFFNumberOfStrips(t) == 1 && TIFFGetField(t, TIFFTAG_STRIPOFFSETS, &offs) &&
          TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &cnts));
    PIX *stored = decode_raw_g4(buf + offs[0], cnts[0], 590, 88);
    PIX *turned = stored ? pixRotate180(NULL, stored) : NULL;
    CHECK(same_pix(turned, pg.pix));
    pixDestroy(&stored);
    pixDestroy(&turned);
    TIFFClose(t);
    qr_page_clear(&pg);
    free(buf);

    buf = corpus_read("libtiff_minisblack-1c-16b.tiff", &len);
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK && pixGetDepth(pg.pix) == 8);
    qr_page_clear(&pg);
    free(buf);
    buf = corpus_read("lept_rabi.png", &len);
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK && !pg.dpi_known);
    qr_page_clear(&pg);
    free(buf);
    buf = corpus_read("commonsimaging_1pagefax.tif", &len);
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK);
    CHECK(pg.xdpi == 204 && pg.ydpi == 98 && strcmp(pg.encoding, "ccitt-rle") == 0);
    qr_page_clear(&pg);
    free(buf);
    buf = corpus_read("libtiff_testfax3_bug54_1dnoEOL.tif", &len);
    int rc = decode_buf(buf, len, NULL, 0, &pg, &e);
    if (g3_noeol_unsupported())
        CHECKF(rc == QR_EUNSUPPORTED && strstr(e.msg, "unsupported: TIFF CCITT G3 1-D"), "%s",
               e.msg);
    else
        CHECK(rc == QR_OK && strcmp(pg.encoding, "g3") == 0);
    qr_page_clear(&pg);
    free(buf);
}

static void test_assembled_pages(void)
{
    size_t len;
    uint8_t *buf = corpus_read("assembled_multipage_mixed_3p.tif", &len);
    if (!buf)
        return;
    static const int depth[3] = {1, 8, 32};
    static const char *enc[3] = {"g4", "lzw", "jpeg"};
    for (int i = 0; i < 3; i++) {
        qr_page pg;
        qr_err e = {0};
        CHECK(decode_buf(buf, len, NULL, i, &pg, &e) == QR_OK);
        CHECKF(pg.pix && pixGetDepth(pg.pix) == depth[i] && !strcmp(pg.encoding, enc[i]),
               "assembled page %d: %s", i + 1, pg.encoding);
        CHECK(pg.xdpi == 300);
        qr_page_clear(&pg);
    }
    free(buf);
}

/* ---- encoders ---- */

static PIX *text_like_pix(int w, int h)
{
    PIX *pix = pixCreate(w, h, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (((x / 5) * 7 + (y / 3) * 3) % 11 < 3 || (x + 2 * y) % 97 == 0)
                pixSetPixel(pix, x, y, 1);
    return pix;
}

static void test_encode_g4(void)
{
    PIX *pix = text_like_pix(203, 77);
    uint8_t *g4 = NULL;
    size_t n = 0;
    qr_err e = {0};
    CHECK(qr_encode_g4(pix, &g4, &n, &e) == QR_OK && n > 0);
    PIX *back = decode_raw_g4(g4, n, 203, 77);
    CHECK(same_pix(back, pix));
    pixDestroy(&back);
    free(g4);
    PIX *gray = pixCreate(10, 10, 8);
    CHECK(qr_encode_g4(gray, &g4, &n, &e) == QR_EINVAL && g4 == NULL);
    pixDestroy(&gray);
    pixDestroy(&pix);

    size_t len;
    uint8_t *buf = corpus_read("lept_feyn.tif", &len);
    if (!buf)
        return;
    qr_page pg;
    CHECK(decode_buf(buf, len, NULL, 0, &pg, &e) == QR_OK && pg.pass.codec == QR_CODEC_G4);
    CHECK(qr_encode_g4(pg.pix, &g4, &n, &e) == QR_OK);
    back = decode_raw_g4(g4, n, pixGetWidth(pg.pix), pixGetHeight(pg.pix));
    CHECK(same_pix(back, pg.pix));
    pixDestroy(&back);
    free(g4);
    qr_page_clear(&pg);
    free(buf);
}

static PIX *smooth_pix(int w, int h, int depth)
{
    PIX *pix = pixCreate(w, h, depth);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (depth == 8)
                pixSetPixel(pix, x, y, (l_uint32)((x + y) % 256));
            else
                pixSetRGBPixel(pix, x, y, (x * 2) % 256, (y * 3) % 256, 200);
        }
    return pix;
}

static double mean_diff(PIX *a, PIX *b)
{
    l_float32 diff = 999;
    if (!a || !b || pixGetWidth(a) != pixGetWidth(b) || pixGetHeight(a) != pixGetHeight(b))
        return 999;
    if (pixGetDepth(a) == 32) {
        PIX *ga = pixConvertRGBToLuminance(a), *gb = pixConvertRGBToLuminance(b);
        l_float32 fract;
        pixGetDifferenceStats(ga, gb, 0, 1, &fract, &diff, 0);
        pixDestroy(&ga);
        pixDestroy(&gb);
    } else {
        l_float32 fract;
        pixGetDifferenceStats(a, b, 0, 1, &fract, &diff, 0);
    }
    return (double)diff;
}

static void test_encode_jpeg(void)
{
    for (int depth = 8; depth <= 32; depth += 24) {
        PIX *pix = smooth_pix(120, 90, depth);
        uint8_t *j = NULL;
        size_t n = 0;
        qr_err e = {0};
        CHECK(qr_encode_jpeg(pix, 92, &j, &n, &e) == QR_OK && n > 0);
        tjhandle tj = tjInitDecompress();
        int w, h, sub, cs;
        CHECK(tjDecompressHeader3(tj, j, n, &w, &h, &sub, &cs) == 0);
        CHECK(w == 120 && h == 90 && sub == (depth == 8 ? TJSAMP_GRAY : TJSAMP_420));
        tjDestroy(tj);
        qr_page pg;
        CHECK(decode_buf(j, n, NULL, 0, &pg, &e) == QR_OK);
        double md = mean_diff(pix, pg.pix);
        CHECKF(md < 2.0, "JPEG round trip at %d bpp: mean difference %.2f", depth, md);
        qr_page_clear(&pg);
        free(j);
        pixDestroy(&pix);
    }
    PIX *bw = pixCreate(8, 8, 1);
    uint8_t *j = NULL;
    size_t n;
    CHECK(qr_encode_jpeg(bw, 90, &j, &n, NULL) == QR_EINVAL && j == NULL);
    pixDestroy(&bw);
}

static void check_flate(PIX *pix, const uint8_t *expect, size_t elen)
{
    uint8_t *z = NULL;
    size_t n = 0;
    qr_err e = {0};
    CHECK(qr_encode_flate(pix, &z, &n, &e) == QR_OK);
    uLongf out_len = (uLongf)elen + 16;
    uint8_t *out = malloc(out_len);
    CHECK(uncompress(out, &out_len, z, (uLong)n) == Z_OK);
    CHECKF(out_len == elen && memcmp(out, expect, elen) == 0, "flate rows of a %d bpp image",
           pixGetDepth(pix));
    free(out);
    free(z);
}

static void test_encode_flate(void)
{
    PIX *bw = pixCreate(10, 2, 1); /* 2 bytes per row, pad bits zero */
    pixSetPixel(bw, 0, 0, 1);
    pixSetPixel(bw, 9, 1, 1);
    const uint8_t e1[4] = {0x7F, 0xC0, 0xFF, 0x80}; /* 0 = black, as PDF DeviceGray */
    check_flate(bw, e1, 4);
    PIX *g = pixCreate(3, 2, 8);
    for (int i = 0; i < 6; i++)
        pixSetPixel(g, i % 3, i / 3, (l_uint32)(i * 40));
    const uint8_t e8[6] = {0, 40, 80, 120, 160, 200};
    check_flate(g, e8, 6);
    PIX *c = pixCreate(2, 1, 32);
    pixSetRGBPixel(c, 0, 0, 1, 2, 3);
    pixSetRGBPixel(c, 1, 0, 250, 251, 252);
    const uint8_t e32[6] = {1, 2, 3, 250, 251, 252};
    check_flate(c, e32, 6);
    pixDestroy(&bw);
    pixDestroy(&g);
    pixDestroy(&c);
}

/* The encoders are fed band by band (qr_band_encoder); a whole page is one
 * band. Both must give the bytes TurboJPEG's tjCompress2 and zlib's
 * compress2 give for the same rows: archives do not change when the code
 * that feeds the encoder does. */
static uint8_t *turbo_jpeg(PIX *pix, int quality, size_t *len)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix), d = pixGetDepth(pix);
    uint8_t *gray = NULL;
    const uint8_t *src = (const uint8_t *)pixGetData(pix);
    if (d == 8) {
        gray = malloc((size_t)w * (size_t)h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                gray[(size_t)y * (size_t)w + (size_t)x] =
                    (uint8_t)GET_DATA_BYTE(pixGetData(pix) + (size_t)y * (size_t)pixGetWpl(pix), x);
        src = gray;
    }
    tjhandle tj = tjInitCompress();
    unsigned char *j = NULL;
    unsigned long jl = 0;
    int bad = tjCompress2(tj, src, w, d == 8 ? w : pixGetWpl(pix) * 4, h,
                          d == 8 ? TJPF_GRAY : TJPF_XBGR, &j, &jl,
                          d == 8 ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
    CHECK(bad == 0);
    uint8_t *out = malloc(jl);
    memcpy(out, j, jl);
    *len = jl;
    tjFree(j);
    tjDestroy(tj);
    free(gray);
    return out;
}

/* The page fed in bands of `rows` rows. */
static int encode_in_bands(qr_band_codec codec, PIX *pix, int rows, uint8_t **out, size_t *len)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix), d = pixGetDepth(pix);
    qr_band_encoder *enc = NULL;
    qr_err e = {0};
    int rc = qr_band_encoder_new(codec, w, h, d, 90, 0, &enc, &e);
    for (int y = 0; rc == QR_OK && y < h; y += rows) {
        BOX *b = boxCreate(0, y, w, h - y < rows ? h - y : rows);
        PIX *band = pixClipRectangle(pix, b, NULL);
        rc = qr_band_encoder_rows(enc, band, &e);
        pixDestroy(&band);
        boxDestroy(&b);
    }
    if (rc == QR_OK)
        return qr_band_encoder_finish(&enc, out, len, &e);
    qr_band_encoder_free(&enc);
    return rc;
}

static void test_encoders_in_bands(void)
{
    const int depths[] = {1, 8, 32};
    for (int i = 0; i < 3; i++) {
        PIX *pix = depths[i] == 1 ? text_like_pix(123, 77) : smooth_pix(123, 77, depths[i]);
        uint8_t *whole = NULL, *banded = NULL;
        size_t wl = 0, bl = 0;
        for (int q = 90; depths[i] > 1 && q <= 97; q += 7) {
            size_t tl;
            uint8_t *t = turbo_jpeg(pix, q, &tl);
            CHECK(qr_encode_jpeg(pix, q, &whole, &wl, NULL) == QR_OK);
            CHECKF(wl == tl && memcmp(whole, t, tl) == 0,
                   "JPEG at %d bpp, quality %d: the bytes of tjCompress2", depths[i], q);
            free(t);
            free(whole);
        }
        if (depths[i] > 1) {
            CHECK(qr_encode_jpeg(pix, 90, &whole, &wl, NULL) == QR_OK);
            CHECK(encode_in_bands(QR_BAND_JPEG, pix, 5, &banded, &bl) == QR_OK);
            CHECKF(bl == wl && memcmp(whole, banded, wl) == 0, "JPEG at %d bpp in bands of 5",
                   depths[i]);
            free(whole);
            free(banded);
        }
        CHECK(qr_encode_flate(pix, &whole, &wl, NULL) == QR_OK);
        CHECK(encode_in_bands(QR_BAND_FLATE, pix, 3, &banded, &bl) == QR_OK);
        CHECKF(bl == wl && memcmp(whole, banded, wl) == 0, "Flate at %d bpp in bands of 3",
               depths[i]);
        /* compress2 over the rows PDF wants gives the same stream */
        size_t stride = depths[i] == 32 ? 123 * 3 : (123 * (size_t)depths[i] + 7) / 8;
        uLongf rl = (uLongf)(stride * 77);
        uint8_t *rows = malloc(rl);
        CHECK(uncompress(rows, &rl, whole, (uLong)wl) == Z_OK && rl == stride * 77);
        uLongf zl = compressBound(rl);
        uint8_t *z = malloc(zl);
        CHECK(compress2(z, &zl, rows, rl, Z_DEFAULT_COMPRESSION) == Z_OK);
        CHECKF(zl == wl && memcmp(z, whole, wl) == 0, "Flate at %d bpp: the bytes of compress2",
               depths[i]);
        free(z);
        free(rows);
        free(whole);
        free(banded);
        pixDestroy(&pix);
    }
    /* a band that does not fit the page, and a stream over its cap */
    PIX *pix = smooth_pix(50, 40, 8), *wide = smooth_pix(51, 4, 8);
    qr_band_encoder *enc = NULL;
    qr_err e = {0};
    CHECK(qr_band_encoder_new(QR_BAND_JPEG, 50, 40, 8, 90, 0, &enc, &e) == QR_OK);
    CHECK(qr_band_encoder_rows(enc, wide, &e) == QR_EINVAL);
    uint8_t *out = NULL;
    size_t ol = 0;
    CHECK(qr_band_encoder_finish(&enc, &out, &ol, &e) == QR_EINVAL && out == NULL && !enc);
    CHECK(qr_band_encoder_new(QR_BAND_FLATE, 50, 40, 8, 0, 100, &enc, &e) == QR_OK);
    CHECK(qr_band_encoder_rows(enc, pix, &e) == QR_OK);
    int rc = qr_band_encoder_finish(&enc, &out, &ol, &e);
    CHECKF(rc == QR_ELIMIT && strstr(e.msg, "above the cap of 100"), "Flate cap: %s", e.msg);
    pixDestroy(&wide);
    pixDestroy(&pix);
}

/* ---- caps ---- */

static void put16le(uint8_t *p, unsigned v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32le(uint8_t *p, uint32_t v) { put16le(p, v & 0xFFFF), put16le(p + 2, v >> 16); }

static size_t bomb_tiff(uint8_t *b)
{
    static const uint32_t tags[8][3] = {{256, 4, 100000}, {257, 4, 100000}, {258, 3, 1},
                                        {259, 3, 4},      {262, 3, 0},      {273, 4, 110},
                                        {278, 4, 100000}, {279, 4, 16}};
    memset(b, 0, 126);
    memcpy(b, "II*\0", 4);
    put32le(b + 4, 8);
    put16le(b + 8, 8);
    for (int i = 0; i < 8; i++) {
        uint8_t *e = b + 10 + 12 * i;
        put16le(e, tags[i][0]);
        put16le(e + 2, tags[i][1]);
        put32le(e + 4, 1);
        if (tags[i][1] == 3)
            put16le(e + 8, tags[i][2]);
        else
            put32le(e + 8, tags[i][2]);
    }
    return 126;
}

static uint8_t *small_jpeg(size_t *len)
{
    PIX *pix = smooth_pix(16, 16, 32);
    uint8_t *j = NULL;
    qr_encode_jpeg(pix, 80, &j, len, NULL);
    pixDestroy(&pix);
    return j;
}

static uint8_t *small_png(size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/small.png", tmpdir);
    PIX *pix = smooth_pix(40, 30, 8);
    pixWrite(path, pix, IFF_PNG);
    pixDestroy(&pix);
    return qr_test_read(path, len);
}

static void expect_limit(const uint8_t *buf, size_t len, const qr_limits *lim, const char *what,
                         const char *prefix)
{
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode_buf(buf, len, lim, 0, &pg, &e) == QR_ELIMIT, "%s: %s", what, e.msg);
    CHECKF(strncmp(e.msg, prefix, strlen(prefix)) == 0, "%s message: %s", what, e.msg);
    CHECK(pg.pix == NULL);
}

static void test_caps(void)
{
    uint8_t t[126];
    size_t tl = bomb_tiff(t);
    expect_limit(t, tl, NULL, "TIFF bomb",
                 "limit: page is 100000 x 100000 = 10000000000 pixels, above the cap of 400000000");
    size_t jl, pl;
    uint8_t *j = small_jpeg(&jl);
    uint8_t *sof = memmem(j, jl, "\xFF\xC0", 2);
    CHECK(sof != NULL);
    sof[5] = sof[7] = 0xEA, sof[6] = sof[8] = 0x60; /* 60000 x 60000 */
    expect_limit(j, jl, NULL, "JPEG bomb", "limit: page is 60000 x 60000");
    uint8_t *p = small_png(&pl);
    p[16] = 0, p[17] = 0x01, p[18] = 0x86, p[19] = 0xA0; /* width 100000 */
    memcpy(p + 20, p + 16, 4);
    uint32_t crc = (uint32_t)crc32(0, p + 12, 17);
    p[29] = (uint8_t)(crc >> 24), p[30] = (uint8_t)(crc >> 16), p[31] = (uint8_t)(crc >> 8),
    p[32] = (uint8_t)crc;
    expect_limit(p, pl, NULL, "PNG bomb", "limit: page is 100000 x 100000");
    free(p);
    free(j);
    /* a custom small cap rejects normal pages */
    qr_limits lim;
    qr_limits_default(&lim);
    CHECK(lim.max_pixels == 400000000ull && lim.max_page_bytes == 1610612736ull);
    lim.max_pixels = 100;
    j = small_jpeg(&jl);
    expect_limit(j, jl, &lim, "JPEG small cap", "limit: page is 16 x 16 = 256 pixels, above the cap of 100");
    qr_limits_default(&lim);
    lim.max_page_bytes = 1000;
    expect_limit(j, jl, &lim, "JPEG byte cap", "limit: page needs");
    free(j);
    size_t fl;
    uint8_t *f = corpus_read("lept_feyn.tif", &fl);
    if (f) {
        lim.max_page_bytes = 512 * 1024;
        expect_limit(f, fl, &lim, "G4 byte cap", "limit: page needs");
        free(f);
    }
}

/* ---- truncated and corrupt inputs ---- */

typedef struct sample_file {
    const char *name;
    uint8_t *data;
    size_t len;
} sample_file;

static void write_lzw_gray(TIFF *t, void *arg)
{
    (void)arg;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 300u);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 200u);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16u);
    uint8_t row[300];
    for (uint32_t y = 0; y < 200; y++) {
        for (int x = 0; x < 300; x++)
            row[x] = (uint8_t)((x * y) >> 4);
        TIFFWriteScanline(t, row, y, 0);
    }
}

static int sample_files(sample_file *s)
{
    int n = 0;
    PIX *bw = text_like_pix(400, 300);
    uint8_t *g4;
    size_t g4n;
    qr_encode_g4(bw, &g4, &g4n, NULL);
    raw_g4 g = {g4, g4n, 400, 300};
    s[n].name = "G4 TIFF";
    s[n].data = write_read("g4.tif", write_g4, &g, &s[n].len);
    n++;
    free(g4);
    pixDestroy(&bw);
    s[n].name = "LZW TIFF";
    s[n].data = write_read("lzw.tif", write_lzw_gray, NULL, &s[n].len);
    n++;
    PIX *c = smooth_pix(200, 150, 32);
    s[n].name = "JPEG";
    qr_encode_jpeg(c, 85, &s[n].data, &s[n].len, NULL);
    n++;
    pixDestroy(&c);
    s[n].name = "PNG";
    s[n].data = small_png(&s[n].len);
    n++;
    static const char *real[] = {"lept_feyn.tif", "libtiff_quad-tile.jpg.tiff",
                                 "libtiff_ojpeg_chewey_subsamp21_multi_strip.tiff",
                                 "lept_colorpage.030.jpg", "lept_patent.png",
                                 "assembled_multipage_mixed_3p.tif"};
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++)
        if ((s[n].data = corpus_read(real[i], &s[n].len)))
            s[n++].name = real[i];
    return n;
}

/* Open and decode every page; returns the first error code. */
static int try_all(const uint8_t *buf, size_t len, qr_err *e)
{
    qr_image_reader *rd = NULL;
    int rc = qr_image_open(buf, len, NULL, &rd, e);
    for (int i = 0; rc == QR_OK && i < qr_image_pages(rd); i++) {
        qr_page pg;
        rc = qr_image_decode(rd, i, &pg, e);
        CHECK(rc == QR_OK ? pg.pix != NULL : pg.pix == NULL);
        qr_page_clear(&pg);
    }
    qr_image_close(&rd);
    return rc;
}

static void expect_corrupt(const uint8_t *buf, size_t len, const char *what, bool any_clean)
{
    qr_err e = {0};
    int rc = try_all(buf, len, &e);
    bool clean = rc == QR_ECORRUPT && strncmp(e.msg, "corrupt:", 8) == 0;
    if (any_clean)
        clean = clean || (rc == QR_EUNSUPPORTED && strncmp(e.msg, "unsupported:", 12) == 0);
    CHECKF(clean, "%s: rc %d (%s)", what, rc, e.msg);
}

static void truncations(const sample_file *s)
{
    static const double cuts[] = {0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n = (size_t)((double)s->len * cuts[i]);
        if (n >= s->len)
            n = s->len - 1;
        uint8_t *cut = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
        memcpy(cut, s->data, n);
        char what[200];
        snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", s->name, n, s->len);
        expect_corrupt(cut, n, what, false);
        free(cut);
    }
}

static void damage(const sample_file *s)
{
    uint8_t *b = malloc(s->len);
    memcpy(b, s->data, s->len);
    memset(b, 0, 16 < s->len ? 16 : s->len);
    expect_corrupt(b, s->len, "zeroed header", true);
    memcpy(b, s->data, s->len);
    if (b[0] == 'I' || b[0] == 'M') { /* IFD offset beyond the end */
        uint32_t off = (uint32_t)s->len + 1000;
        uint8_t le[4] = {(uint8_t)off, (uint8_t)(off >> 8), (uint8_t)(off >> 16), (uint8_t)(off >> 24)};
        uint8_t be[4] = {le[3], le[2], le[1], le[0]};
        memcpy(b + 4, b[0] == 'I' ? le : be, 4);
        expect_corrupt(b, s->len, "IFD offset beyond EOF", false);
    } else {
        memset(b + (b[0] == 0xFF ? 4 : 16), 0, 13); /* JPEG APP0 / PNG IHDR */
        expect_corrupt(b, s->len, "zeroed header fields", false);
    }
    /* random damage: any outcome but a crash, a leak or a half-filled page */
    uint32_t seed = 12345;
    for (int round = 0; round < 40; round++) {
        memcpy(b, s->data, s->len);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            b[(seed >> 8) % s->len] ^= (uint8_t)(seed >> 24 | 1);
        }
        qr_err e = {0};
        int rc = try_all(b, s->len, &e);
        CHECKF(rc == QR_OK || rc == QR_ECORRUPT || rc == QR_EUNSUPPORTED || rc == QR_ELIMIT,
               "%s random damage %d: rc %d %s", s->name, round, rc, e.msg);
    }
    free(b);
}

static void test_damaged(void)
{
    sample_file s[16];
    int n = sample_files(s);
    char log[4200];
    snprintf(log, sizeof log, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    for (int i = 0; i < n; i++) {
        truncations(&s[i]);
        damage(&s[i]);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    struct stat st;
    CHECKF(stat(log, &st) == 0 && st.st_size == 0, "codecs printed to stderr (see %s)", log);
    printf("damaged inputs: %d sample files, truncated, zeroed and randomly damaged\n", n);
    for (int i = 0; i < n; i++)
        free(s[i].data);
}

static void test_sniff(void)
{
    const char *what = NULL;
    CHECK(qr_image_sniff((const uint8_t *)"GIF89a", 6, &what) == QR_FMT_UNKNOWN);
    CHECK(strcmp(what, "GIF") == 0);
    qr_image_reader *rd = NULL;
    qr_err e = {0};
    CHECK(qr_image_open((const uint8_t *)"%PDF-1.4", 8, NULL, &rd, &e) == QR_EUNSUPPORTED);
    CHECK(strcmp(e.msg, "unsupported: PDF") == 0 && rd == NULL);
    CHECK(qr_image_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8, NULL) == QR_FMT_PNG);
}

static void test_scanner_text(void)
{
    char out[QR_SCANNER_TEXT];
    qr_scanner_text(out, "fi-7160  ", 9);
    CHECKF(!strcmp(out, "fi-7160"), "[%s]", out);
    qr_scanner_text(out, "Scan\033[2J\nMaster\x7f\xc3\xa9", 17);
    CHECKF(!strcmp(out, "Scan[2JMaster"), "[%s]", out);
    qr_scanner_text(out, "ab\0cd", 5);
    CHECKF(!strcmp(out, "ab"), "[%s]", out);
    char longer[200];
    memset(longer, 'x', sizeof longer);
    qr_scanner_text(out, longer, sizeof longer);
    CHECK(strlen(out) == QR_SCANNER_TEXT - 1);
    qr_scanner_text(out, "   ", 3);
    CHECK(out[0] == '\0');
}

int main(void)
{
    qr_test_tmpdir("test_formats_image", tmpdir, sizeof tmpdir);
    test_scanner_text();
    test_sniff();
    test_corpus();
    test_corpus_facts();
    test_assembled_pages();
    test_encode_g4();
    test_encode_jpeg();
    test_encode_flate();
    test_encoders_in_bands();
    test_caps();
    test_damaged();
    return qr_test_end();
}
