/*
 * Unit tests of the page stages on synthetic pages whose truth is exact: a
 * text page rendered with Leptonica's bitmap font at 300 dpi, turned by known
 * angles (skew) and quarter turns (orientation), blank sheets with noise and
 * punch holes, and a near-blank sheet with three lines of text.
 *
 * Making a page with skew s (counter-clockwise, lines rising to the right)
 * uses pixRotate(-s): Leptonica turns clockwise for positive angles. A page
 * delivered with orientation o is the upright page turned clockwise by o,
 * which is pixRotateOrth(o / 90).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"

#define DEG2RAD (3.14159265358979323846 / 180.0)
#define W 2480 /* A4 at 300 dpi */
#define H 3508

static const char *const TEXT =
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen "
    "liquor jugs! How vexingly quick daft zebras jump; bright vixens jump, dozy "
    "fowl quack. Sphinx of black quartz, judge my vow. ";

static PIX *text_page(int nlines_of_text, int x0, int y0, int wtext)
{
    L_BMF *bmf = bmfCreate(NULL, 10);
    PIX *p = pixCreate(W, H, 1);
    pixSetResolution(p, 300, 300);
    char buf[8192] = "";
    for (int i = 0; i < nlines_of_text && strlen(buf) + strlen(TEXT) < sizeof buf; i++)
        strcat(buf, TEXT);
    l_int32 overflow = 0;
    pixSetTextblock(p, bmf, buf, 1, x0, y0, wtext, 0, &overflow);
    bmfDestroy(&bmf);
    return p;
}

static PIX *full_page(void) { return text_page(40, 200, 300, 2000); }

static PIX *skewed(PIX *p, double skew_deg)
{
    return pixRotate(p, (l_float32)(-skew_deg * DEG2RAD), L_ROTATE_SAMPLING, L_BRING_IN_WHITE,
                     0, 0);
}

/* 1 bpp -> 8 bpp with given paper/ink levels and deterministic noise. */
static PIX *to_gray(PIX *p, int paper, int ink, int noise)
{
    PIX *g = pixConvert1To8(NULL, p, (l_uint8)paper, (l_uint8)ink);
    unsigned s = 12345;
    int w = pixGetWidth(g), h = pixGetHeight(g);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            s = s * 1103515245u + 12345u;
            int d = (int)((s >> 16) % (unsigned)(2 * noise + 1)) - noise;
            l_uint32 v;
            pixGetPixel(g, x, y, &v);
            int nv = (int)v + d;
            pixSetPixel(g, x, y, (l_uint32)(nv < 0 ? 0 : nv > 255 ? 255 : nv));
        }
    return g;
}

static int analyze(PIX *p, qr_analysis *a)
{
    qr_profile prof;
    qr_profile_default(&prof);
    qr_err err = {0};
    int rc = qr_analyze(p, 300, 300, &prof, a, &err);
    if (rc != QR_OK)
        fprintf(stderr, "analyze: %s\n", err.msg);
    return rc;
}

/* Fraction of pixels that differ between two 1 bpp pages of equal size. */
static double diff_fraction(PIX *a, PIX *b)
{
    if (pixGetWidth(a) != pixGetWidth(b) || pixGetHeight(a) != pixGetHeight(b))
        return 1.0;
    PIX *x = pixXor(NULL, a, b);
    l_int32 n = 0;
    pixCountPixels(x, &n, NULL);
    pixDestroy(&x);
    return (double)n / ((double)pixGetWidth(a) * pixGetHeight(a));
}

static void test_skew_angles(PIX *page)
{
    const double angles[] = {-3.0, -1.0, 0.3, 2.5, 7.0};
    for (size_t i = 0; i < sizeof angles / sizeof angles[0]; i++) {
        PIX *p = skewed(page, angles[i]);
        qr_analysis a;
        CHECK_EQ_INT(analyze(p, &a), QR_OK);
        CHECKF(a.skew_found && fabs(a.skew_deg - angles[i]) <= 0.1,
               "skew %.2f found %.3f (conf %.2f)", angles[i], a.skew_deg, a.skew_conf);
        CHECK(!a.blank);
        CHECKF(a.orient_confident && a.orientation == 0, "skewed page %.1f: orientation %d",
               angles[i], a.orientation);
        printf("skew %+5.2f -> %+7.3f conf %.1f\n", angles[i], a.skew_deg, a.skew_conf);
        pixDestroy(&p);
    }
}

static void test_gray_pages(PIX *page)
{
    struct { int paper, ink; double skew; } cases[] = {{235, 30, -1.2}, {120, 20, 0.8},
                                                        {245, 170, 2.0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PIX *s = skewed(page, cases[i].skew);
        PIX *g = to_gray(s, cases[i].paper, cases[i].ink, 6);
        qr_analysis a;
        CHECK_EQ_INT(analyze(g, &a), QR_OK);
        CHECKF(a.skew_found && fabs(a.skew_deg - cases[i].skew) <= 0.1,
               "gray paper %d ink %d: skew %.2f found %.3f", cases[i].paper, cases[i].ink,
               cases[i].skew, a.skew_deg);
        CHECK(!a.blank);
        CHECKF(abs(a.paper_luma - cases[i].paper) <= 8, "paper level %d vs %d", a.paper_luma,
               cases[i].paper);
        CHECKF(abs(a.contrast - (cases[i].paper - cases[i].ink)) <= 20,
               "contrast %d (paper %d ink %d)", a.contrast, a.paper_luma, a.ink_luma);
        pixDestroy(&s);
        pixDestroy(&g);
    }
}

static void check_turned(PIX *page, int quads, double skew)
{
    PIX *s = skew != 0.0 ? skewed(page, skew) : pixCopy(NULL, page);
    PIX *p = pixRotateOrth(s, quads);
    qr_analysis a;
    CHECK_EQ_INT(analyze(p, &a), QR_OK);
    CHECKF(a.orient_confident && a.orientation == 90 * quads,
           "turned %d cw: orientation %d confident %d (up %.1f left %.1f)", 90 * quads,
           a.orientation, a.orient_confident, a.up_conf, a.left_conf);
    CHECKF(fabs(a.skew_deg - skew) <= 0.1, "turned %d with skew %.1f: skew %.3f", 90 * quads,
           skew, a.skew_deg);
    qr_profile prof;
    qr_profile_default(&prof);
    PIX *out = NULL;
    qr_correction c;
    qr_err err = {0};
    CHECK_EQ_INT(qr_correct(p, &a, &prof, &out, &c, &err), QR_OK);
    CHECK(c.changed && out != NULL);
    CHECK_EQ_INT(c.rotation, 90 * quads);
    if (out && skew == 0.0) {
        double d = diff_fraction(out, page);
        CHECKF(d < 0.001, "turned %d and corrected back: %.5f of pixels differ", 90 * quads, d);
    } else if (out) {
        qr_analysis b;
        CHECK_EQ_INT(analyze(out, &b), QR_OK);
        CHECKF(b.orientation == 0 && fabs(b.skew_deg) < 0.15,
               "corrected page: orientation %d skew %.3f", b.orientation, b.skew_deg);
    }
    pixDestroy(&out);
    pixDestroy(&p);
    pixDestroy(&s);
}

static void test_orientation(PIX *page)
{
    for (int q = 1; q < 4; q++)
        check_turned(page, q, 0.0);
    check_turned(page, 1, 1.5);
    check_turned(page, 3, -2.0);
}

static void punch_hole(PIX *p, int cx, int cy, int r)
{
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                pixSetPixel(p, x, y, 1);
}

static void sprinkle(PIX *p, int n, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        int x = (int)((seed >> 8) % W);
        seed = seed * 1103515245u + 12345u;
        int y = (int)((seed >> 8) % H);
        pixSetPixel(p, x, y, 1);
    }
}

/* Analyse p and check that its blank verdict is `want`. */
static void check_blank(PIX *p, bool want, const char *what)
{
    qr_analysis a;
    CHECK_EQ_INT(analyze(p, &a), QR_OK);
    CHECKF(a.blank == want, "%s: blank %d, centre ink %.5f, whole page %.5f", what, a.blank,
           a.centre_ink_fraction, a.ink_fraction);
    if (a.blank)
        CHECK(!a.orient_checked && !a.skew_found); /* no geometry work on a blank page */
    printf("%-28s centre ink %.5f\n", what, a.centre_ink_fraction);
}

static void test_blank(void)
{
    PIX *plain = pixCreate(W, H, 1);
    check_blank(plain, true, "plain");
    PIX *noisy = pixCopy(NULL, plain);
    sprinkle(noisy, 20000, 7); /* 0.23 % salt noise */
    punch_hole(noisy, 140, H / 2 - 500, 35);
    punch_hole(noisy, 140, H / 2 + 500, 35);
    check_blank(noisy, true, "noise and punch holes");
    PIX *g = to_gray(plain, 238, 238, 10);
    check_blank(g, true, "gray paper with noise");
    PIX *few = text_page(3, 400, 1600, 1700); /* three short lines mid-page */
    check_blank(few, false, "three lines of text");
    PIX *fewg = to_gray(few, 238, 60, 10);
    check_blank(fewg, false, "three gray lines of text");
    pixDestroy(&plain);
    pixDestroy(&noisy);
    pixDestroy(&g);
    pixDestroy(&few);
    pixDestroy(&fewg);
}

static void test_correction_thresholds(PIX *page)
{
    qr_profile prof;
    qr_profile_default(&prof);
    qr_err err = {0};
    struct { double skew; bool change; bool too_large; } cases[] = {
        {0.0, false, false}, {0.05, false, false}, {-0.6, true, false}, {2.5, true, false},
        {14.0, false, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PIX *p = cases[i].skew != 0.0 ? skewed(page, cases[i].skew) : pixCopy(NULL, page);
        qr_analysis a;
        CHECK_EQ_INT(analyze(p, &a), QR_OK);
        PIX *out = NULL;
        qr_correction c;
        CHECK_EQ_INT(qr_correct(p, &a, &prof, &out, &c, &err), QR_OK);
        CHECKF(c.changed == cases[i].change && (out != NULL) == cases[i].change,
               "skew %.2f (found %.3f): changed %d", cases[i].skew, a.skew_deg, c.changed);
        CHECKF(c.skew_too_large == cases[i].too_large, "skew %.2f too large %d", cases[i].skew,
               c.skew_too_large);
        CHECK_EQ_INT(c.rotation, 0);
        if (out) {
            CHECK(fabs(c.skew_applied_deg - a.skew_deg) < 1e-9);
            CHECK(pixGetWidth(out) == W && pixGetHeight(out) == H && pixGetDepth(out) == 1);
            qr_analysis b;
            CHECK_EQ_INT(analyze(out, &b), QR_OK);
            CHECKF(fabs(b.skew_deg) < 0.1, "deskewed %.2f: residual %.3f", cases[i].skew,
                   b.skew_deg);
        }
        pixDestroy(&out);
        pixDestroy(&p);
    }
}

static void test_gray_deskew(PIX *page)
{
    PIX *s = skewed(page, 1.5);
    PIX *g = to_gray(s, 230, 40, 4);
    qr_analysis a;
    CHECK_EQ_INT(analyze(g, &a), QR_OK);
    qr_profile prof;
    qr_profile_default(&prof);
    PIX *out = NULL;
    qr_correction c;
    qr_err err = {0};
    CHECK_EQ_INT(qr_correct(g, &a, &prof, &out, &c, &err), QR_OK);
    CHECK(out && pixGetDepth(out) == 8 && pixGetWidth(out) == W);
    if (out) {
        qr_analysis b;
        CHECK_EQ_INT(analyze(out, &b), QR_OK);
        CHECKF(fabs(b.skew_deg) < 0.1, "gray deskewed: residual %.3f", b.skew_deg);
        l_uint32 corner = 0;
        pixGetPixel(out, 0, 0, &corner);
        CHECKF(corner == 255, "corner brought in white (%u)", corner);
    }
    pixDestroy(&out);
    pixDestroy(&s);
    pixDestroy(&g);
}

static void test_resolution_and_errors(PIX *page)
{
    qr_profile prof;
    qr_profile_default(&prof);
    qr_analysis a;
    qr_err err = {0};
    CHECK_EQ_INT(qr_analyze(page, 200, 200, &prof, &a, &err), QR_OK);
    CHECK(a.low_dpi && fabs(a.dpi - 200) < 1e-9);
    CHECK_EQ_INT(qr_analyze(page, 0, 0, &prof, &a, &err), QR_OK);
    CHECK(!a.low_dpi && a.dpi == 0.0 && a.work_dpi > 100 && a.work_dpi < 250);
    CHECK_EQ_INT(qr_analyze(NULL, 300, 300, &prof, &a, &err), QR_EINVAL);
    CHECK(strstr(err.msg, "analysis") != NULL);
    PIX *out = (PIX *)1;
    qr_correction c;
    CHECK_EQ_INT(qr_correct(NULL, &a, &prof, &out, &c, &err), QR_EINVAL);
    CHECK(out == NULL);
}

int main(void)
{
    qr_stages_global_init();
    PIX *page = full_page();
    test_skew_angles(page);
    test_gray_pages(page);
    test_orientation(page);
    test_blank();
    test_correction_thresholds(page);
    test_gray_deskew(page);
    test_resolution_and_errors(page);
    pixDestroy(&page);
    return qr_test_end();
}
