/*
 * Unit tests of the packed orientation statistic (stages/orient_bits.c)
 * against the one it reimplements, Leptonica's pixUpDownDetect, whose scale
 * the profile's orientation thresholds were tuned on.
 *
 * What must hold, page by page and in all four orientations:
 *   - the confidence as the page lies is Leptonica's within 1.0 + 5 %;
 *   - so is the sideways confidence, read from a transposed page (the
 *     turned page mirrored, whose 4x4 counting cells start at the right);
 *   - the decision (upright, turned, or not sure) is the same wherever
 *     Leptonica's is clear of its thresholds by a margin.
 * Pages: synthetic text from Leptonica's bitmap font at 150 dpi, cut to
 * widths that end inside, at and just past a 64-bit word; an empty page and
 * a tiny one; and, when the shared corpus is present, its text pages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"
#include "stages_int.h"

#define MIN_CONF 8.0
#define MIN_RATIO 2.5

/* 0 upright, 90/180/270 clockwise turns needed, -1 not sure. */
static int decision(double up, double left)
{
    double au = fabs(up), al = fabs(left);
    if (au >= al) {
        if (au < MIN_CONF || au < MIN_RATIO * al)
            return -1;
        return up > 0 ? 0 : 180;
    }
    if (al < MIN_CONF || al < MIN_RATIO * au)
        return -1;
    return left > 0 ? 90 : 270;
}

/* Leptonica's decision is clear when both thresholds are missed or met by
 * 15 %: a case within that band may go either way with either statistic. */
static bool clear_case(double up, double left)
{
    double best = fmax(fabs(up), fabs(left)), other = fmin(fabs(up), fabs(left));
    double ratio = other > 0.01 ? best / other : 100.0;
    bool conf_clear = best > 1.15 * MIN_CONF || best < 0.85 * MIN_CONF;
    bool ratio_clear = ratio > 1.15 * MIN_RATIO || ratio < 0.85 * MIN_RATIO;
    return conf_clear && ratio_clear;
}

static void compare(PIX *bin, const char *what)
{
    l_float32 lu = 0.0f, ll = 0.0f;
    pixUpDownDetect(bin, &lu, 0, 0, 0);
    PIX *turned = pixRotate90(bin, 1);
    pixUpDownDetect(turned, &ll, 0, 0, 0);
    pixDestroy(&turned);
    double up = -1.0, left = -1.0;
    int rc = qr_orient_confs(bin, 1e9, &up, &left);
    printf("  %-44s leptonica %7.2f %7.2f  packed %7.2f %7.2f\n", what, (double)lu,
           (double)ll, up, left);
    CHECKF(rc == 0, "%s: qr_orient_confs failed", what);
    CHECKF(fabs(up - (double)lu) <= 1.0 + 0.05 * fabs((double)lu),
           "%s: up %.2f, Leptonica %.2f", what, up, (double)lu);
    CHECKF(fabs(left - (double)ll) <= 1.0 + 0.05 * fabs((double)ll),
           "%s: left %.2f, Leptonica %.2f", what, left, (double)ll);
    if (clear_case(lu, ll))
        CHECKF(decision(up, left) == decision(lu, ll), "%s: decision %d, Leptonica's %d",
               what, decision(up, left), decision(lu, ll));
}

static void compare_turns(PIX *bin, const char *name)
{
    for (int q = 0; q < 4; q++) {
        PIX *r = pixRotateOrth(bin, q);
        char what[128];
        snprintf(what, sizeof what, "%s turned %d", name, 90 * q);
        compare(r, what);
        pixDestroy(&r);
    }
}

static void test_synthetic(void)
{
    /* Widths: 64-bit words end at 1216 and 1280; 1275 is A4 at 150 dpi. */
    static const int widths[] = {1275, 1216, 1217, 1279, 1280, 1281, 700};
    for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
        for (int font = 8; font <= 10; font += 2) {
            PIX *p = qr_test_text_page(widths[i], 1650, font, 20);
            char name[64];
            snprintf(name, sizeof name, "text %dx1650 font %d", widths[i], font);
            compare_turns(p, name);
            pixDestroy(&p);
        }
    }
    /* The upright text page must read as upright, and turned as turned. */
    PIX *p = qr_test_text_page(1275, 1650, 10, 20);
    static const int want[4] = {0, 270, 180, 90};
    for (int q = 0; q < 4; q++) {
        PIX *r = pixRotateOrth(p, q);
        double up = 0.0, left = 0.0;
        qr_orient_confs(r, 1e9, &up, &left);
        CHECKF(decision(up, left) == want[q], "text turned %d cw: decision %d (up %.1f left %.1f)",
               90 * q, decision(up, left), up, left);
        pixDestroy(&r);
    }
    /* Skipping the sideways test: only when up reaches sure_up. */
    double up = 0.0, left = -1.0;
    qr_orient_confs(p, 5.0, &up, &left);
    CHECKF(up >= 5.0 && left == 0.0, "sure upright: up %.1f, left %.1f not skipped", up, left);
    qr_orient_confs(p, up + 1.0, &up, &left);
    CHECKF(left != 0.0, "not sure: left %.1f should be measured", left);
    pixDestroy(&p);
}

static void test_degenerate(void)
{
    PIX *empty = pixCreate(1275, 1650, 1);
    double up = -1.0, left = -1.0;
    CHECK(qr_orient_confs(empty, 1e9, &up, &left) == 0);
    CHECKF(up == 0.0 && left == 0.0, "empty page: up %.2f left %.2f", up, left);
    pixDestroy(&empty);
    PIX *tiny = pixCreate(3, 2, 1);
    pixSetAll(tiny);
    CHECK(qr_orient_confs(tiny, 1e9, &up, &left) == 0);
    CHECKF(up == 0.0 && left == 0.0, "3x2 page: up %.2f left %.2f", up, left);
    pixDestroy(&tiny);
    PIX *gray = pixCreate(64, 64, 8);
    CHECK(qr_orient_confs(gray, 1e9, &up, &left) != 0);
    CHECK(qr_orient_confs(NULL, 1e9, &up, &left) != 0);
    pixDestroy(&gray);
}

/* Corpus text pages, reduced to 150 dpi and thresholded as the analysis
 * does for a gray page of normal contrast. */
static void test_corpus(void)
{
    static const char *const names[] = {
        "lept_feyn.tif",         "lept_harmoniam-11.tif",          "lept_lucasta.1.300.tif",
        "lept_pageseg1.tif",     "lept_pageseg2.tif",              "lept_shearer.148.tif",
        "lept_table.27.tif",     "lept_boismort.1.tif",            "ocrmypdf_epson.tif",
        "ocrmypdf_linn.tif",     "ocrmypdf_cardinal-p3-render.tif", "ocrmypdf_skew-render.tif",
        "pillow_pport_g4.tif",   "commonsimaging_Imaging247.tif",
    };
    char buf[4096];
    if (!qr_test_corpus("sources.json", buf, sizeof buf)) {
        printf("corpus part skipped: QUIRE_SHARED/corpus/real not present\n");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        PIX *b = qr_test_corpus_150(names[i]);
        if (!b)
            continue;
        compare_turns(b, names[i]);
        pixDestroy(&b);
    }
}

int main(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    test_synthetic();
    test_degenerate();
    test_corpus();
    return qr_test_end();
}
