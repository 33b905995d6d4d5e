/*
 * The page view: turning a page upright and deskewing it through the page's
 * drawing matrix, with the image bytes untouched. A landscape gray image
 * with a dark block in its top-left corner is written turned 0, 90, 180 and
 * 270 degrees clockwise and rotated by 10 degrees; poppler renders each page
 * and the block must land in the corner the turn puts it in, the page box
 * must swap for 90/270, a rotated page must bring white corners in, and the
 * image stream must be the same bytes on every page. Bad views are refused.
 * The archive passes pdfa_check (when ../shared is present) and qpdf.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "qr_pdf.h"
#include "qr_test.h"
#include "test_formats_pdf_synth.h"

#define W 200
#define H 100

static char scratch[512];
static uint8_t *zdata;
static size_t zlen;

/* W x H gray: light, with a dark block over the top-left W/4 x H/4. */
static void make_image(void)
{
    uint8_t *px = malloc((size_t)W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[(size_t)y * W + x] = x < W / 4 && y < H / 4 ? 10 : 230;
    uLongf n = compressBound((uLong)W * H);
    zdata = malloc(n);
    CHECK(compress2(zdata, &n, px, (uLong)W * H, 9) == Z_OK);
    zlen = n;
    free(px);
}

static qr_pdf_image image(int turn, double rot)
{
    return (qr_pdf_image){.filter = QR_FILTER_FLATE, .width = W, .height = H, .components = 1,
                          .bpc = 8, .data = zdata, .len = zlen, .xdpi = 72, .ydpi = 72,
                          .view_turn = turn, .view_rotate_deg = rot};
}

static int build(const char *path)
{
    static const int turns[] = {0, 90, 180, 270, 0};
    qr_err err = {0};
    qr_pdf *pdf = NULL;
    int rc = qr_pdf_open(path, QR_PDFA_2B, &pdf, &err);
    for (int i = 0; i < 5 && rc == QR_OK; i++) {
        qr_pdf_image im = image(turns[i], i == 4 ? 10.0 : 0.0);
        qr_pdf_prov prov = {.source = "x.png", .sha256 = "ab", .encoding = "png",
                            .stored = "passthrough", .xdpi = 72, .ydpi = 72};
        rc = qr_pdf_add_page(pdf, &im, &prov, &err);
    }
    /* Bad views leave the document usable. */
    qr_pdf_image bad = image(45, 0);
    CHECK(qr_pdf_add_page(pdf, &bad, NULL, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "invalid view") != NULL, "%s", err.msg);
    bad = image(0, 50.0);
    CHECK(qr_pdf_add_page(pdf, &bad, NULL, &err) == QR_EINVAL);
    bad = image(0, NAN);
    CHECK(qr_pdf_add_page(pdf, &bad, NULL, &err) == QR_EINVAL);
    CHECK_EQ_INT(qr_pdf_page_count(pdf), 5);
    qr_pdf_meta meta = {.title = "view", .created = 1700000000, .modified = 1700000000};
    uint8_t sha[32];
    if (rc == QR_OK)
        rc = qr_pdf_finish(&pdf, &meta, sha, &err);
    else
        qr_pdf_abort(&pdf);
    CHECKF(rc == QR_OK, "%s", err.msg);
    return rc;
}

static void check_bytes(const char *path)
{
    size_t len;
    uint8_t *d = qr_test_read(path, &len);
    const char *s = (const char *)d;
    CHECK(memmem(s, len, "/MediaBox [0 0 200 100]", 23) != NULL);
    CHECK(memmem(s, len, "/MediaBox [0 0 100 200]", 23) != NULL);
    CHECK(memmem(s, len, "q 200 0 0 100 0 0 cm /Im0 Do Q", 30) != NULL);
    CHECK(memmem(s, len, "q 0 -200 100 0 0 200 cm /Im0 Do Q", 33) != NULL);  /* 90 */
    CHECK(memmem(s, len, "q -200 0 0 -100 200 100 cm /Im0 Do Q", 36) != NULL); /* 180 */
    CHECK(memmem(s, len, "q 0 200 -100 0 100 0 cm /Im0 Do Q", 33) != NULL);   /* 270 */
    /* The image stream is the same bytes on every page. */
    size_t n = 0;
    for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), zdata, zlen)); p += zlen)
        n++;
    CHECK_EQ_INT((int)n, 5);
    free(d);
}

/* The darkness at fractions (fx, fy) of the rendered page (0 = top-left). */
static int level(const raster *r, double fx, double fy)
{
    int x = (int)(fx * r->w), y = (int)(fy * r->h);
    return r->px[(size_t)y * (size_t)r->w + (size_t)x];
}

static bool render(const char *path, int page, raster *r)
{
    char cmd[1400], out[700], *o = NULL, *e = NULL;
    snprintf(cmd, sizeof cmd, "pdftoppm -gray -r 72 -f %d -l %d -singlefile '%s' '%s/r'",
             page, page, path, scratch);
    int st = run_tool(cmd, scratch, &o, &e);
    CHECKF(st == 0 && !*e, "pdftoppm page %d: %s", page, e);
    free(o);
    free(e);
    snprintf(out, sizeof out, "%s/r.pgm", scratch);
    return read_pnm(out, r);
}

static void check_render(const char *path)
{
    if (!have_tool("pdftoppm")) {
        printf("skip rendering: pdftoppm not installed\n");
        return;
    }
    /* Where the block (top-left of the image) shows on each page. */
    static const double corner[4][2] = {{0.1, 0.1}, {0.9, 0.1}, {0.9, 0.9}, {0.1, 0.9}};
    for (int i = 0; i < 4; i++) {
        raster r = {0};
        if (!CHECKF(render(path, i + 1, &r), "page %d rendered", i + 1))
            continue;
        CHECKF((r.w > r.h) == (i % 2 == 0), "page %d is %dx%d", i + 1, r.w, r.h);
        for (int c = 0; c < 4; c++) {
            int v = level(&r, corner[c][0], corner[c][1]);
            CHECKF(c == i ? v < 60 : v > 180, "turn %d: corner %d level %d", i * 90, c, v);
        }
        free(r.px);
    }
    raster r = {0};
    if (CHECK(render(path, 5, &r))) {
        CHECK(r.w == W && r.h == H);
        /* Rotated 10 degrees clockwise about the centre: the top-right and
         * bottom-left corners of the page are no longer covered (white); the
         * light middle stays light, and the block's point (40, 20) of the
         * image now shows at (46, 10) of the page, 23 % and 10 % across. */
        CHECKF(level(&r, 0.99, 0.02) > 250, "top-right brought in white: %d",
               level(&r, 0.99, 0.02));
        CHECKF(level(&r, 0.01, 0.98) > 250, "bottom-left white: %d", level(&r, 0.01, 0.98));
        CHECKF(abs(level(&r, 0.5, 0.5) - 230) < 15, "centre %d", level(&r, 0.5, 0.5));
        CHECKF(level(&r, 0.23, 0.10) < 60, "block inside the rotated image: %d",
               level(&r, 0.23, 0.10));
        free(r.px);
    }
}

static void check_validators(const char *path)
{
    char cmd[1400], *o = NULL, *e = NULL;
    if (have_tool("qpdf")) {
        snprintf(cmd, sizeof cmd, "qpdf --check '%s'", path);
        int st = run_tool(cmd, scratch, &o, &e);
        CHECKF(st == 0, "qpdf: %s%s", o, e);
        free(o);
        free(e);
    }
    const char *shared = qr_test_env("QUIRE_SHARED");
    char tool[600];
    snprintf(tool, sizeof tool, "%s/tools/pdfa_check.py", shared ? shared : "");
    if (!shared || access(tool, R_OK)) {
        printf("skip pdfa_check: QUIRE_SHARED/tools not present\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --flavour 2b '%s'", tool, path);
    int st = run_tool(cmd, scratch, &o, &e);
    CHECKF(st == 0, "pdfa_check: %s%s", o, e);
    free(o);
    free(e);
}

int main(void)
{
    qr_test_tmpdir("pdf_view", scratch, sizeof scratch);
    make_image();
    char path[700];
    snprintf(path, sizeof path, "%s/view.pdf", scratch);
    if (build(path) == QR_OK) {
        check_bytes(path);
        check_render(path);
        check_validators(path);
    }
    free(zdata);
    return qr_test_end();
}
