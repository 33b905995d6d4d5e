/*
 * Unit tests of the strip-projection skew search (stages/skew_proj.c)
 * against the truth of pages turned by known angles and against the method
 * it reimplements, Leptonica's pixFindSkewSweepAndSearchScorePivot (pivot at
 * the centre), whose confidence scale the profile's thresholds use.
 *
 * What must hold:
 *   - near sweep (+-5 deg): the angle within 0.1 deg of the truth and 0.06
 *     of Leptonica's (0.12 on real scans), the confidence within 10 % of
 *     Leptonica's and not under 1.8 (the profile's) where Leptonica's is not;
 *   - wide sweep (+-30 deg, heavy skew): the angle within 0.25 deg of the
 *     truth and 0.12 of Leptonica's; the confidence at least 60 % of
 *     Leptonica's (a strip's pixels share one offset, which blurs the text
 *     lines a little at large angles) and above the 3.0 a skew fault needs;
 *   - the guards: no ink gives an error, a page nearly all ink no
 *     confidence, and an angle at the edge of the sweep no confidence, as
 *     with Leptonica;
 *   - a check with `beyond` searches a peak outside it and stops at the
 *     sweep for one inside.
 * Pages: synthetic text from Leptonica's bitmap font at 150 dpi, and the
 * corpus text pages when the shared corpus is present.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"
#include "stages_int.h"

#define DEG2RAD (3.14159265358979323846 / 180.0)

/* The page turned clockwise by deg, cut to its ink as the analysis cuts a
 * page to its content; the angle that deskews it is -deg. */
static PIX *turned(PIX *p, double deg)
{
    PIX *r = pixRotate(p, (l_float32)(DEG2RAD * deg), L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0);
    PIX *c = NULL;
    pixClipToForeground(r, &c, NULL);
    pixDestroy(&r);
    return c;
}

typedef struct expect {
    double truth_tol, lept_tol, conf_low, conf_high, conf_min;
} expect;

static void compare(PIX *bin, double range, double truth, const expect *e, const char *what)
{
    int red = pixGetWidth(bin) >= 800 ? 2 : 1;
    l_float32 la = 0.0f, lc = 0.0f;
    pixFindSkewSweepAndSearchScorePivot(bin, &la, &lc, NULL, red, 1, 0.0f, (l_float32)range,
                                        1.0f, 0.01f, L_SHEAR_ABOUT_CENTER);
    double a = 0.0, c = 0.0;
    int rc = qr_skew_sweep_search(bin, red, range, -1.0, &a, &c);
    printf("  %-40s truth %+7.2f  leptonica %+7.3f (conf %6.2f)  strips %+7.3f (conf %6.2f)\n",
           what, truth, (double)la, (double)lc, a, c);
    CHECKF(rc == 0, "%s: rc %d", what, rc);
    if (!isnan(truth))
        CHECKF(fabs(a - truth) <= e->truth_tol, "%s: angle %.3f, truth %.3f", what, a, truth);
    CHECKF(fabs(a - (double)la) <= e->lept_tol, "%s: angle %.3f, Leptonica %.3f", what, a,
           (double)la);
    CHECKF(c >= e->conf_low * (double)lc && c <= e->conf_high * (double)lc + 1e-9,
           "%s: conf %.2f, Leptonica %.2f", what, c, (double)lc);
    if ((double)lc >= e->conf_min)
        CHECKF(c >= e->conf_min, "%s: conf %.2f under %.2f", what, c, e->conf_min);
}

static const expect NEAR = {0.1, 0.06, 0.9, 1.1, 1.8};
static const expect WIDE = {0.25, 0.12, 0.6, 1.1, 3.0};

static void test_angles(void)
{
    PIX *p = qr_test_text_page(1275, 1650, 10, 60);
    static const struct { double deg, range; } turns[] = {
        {-3.9, 5}, {-2.6, 5}, {-1.3, 5}, {-0.4, 5}, {0.0, 5}, {0.25, 5}, {0.9, 5}, {2.6, 5},
        {3.7, 5}, {-25.0, 30}, {-14.0, 30}, {-7.5, 30}, {8.0, 30}, {19.0, 30}};
    for (size_t i = 0; i < sizeof turns / sizeof *turns; i++) {
        bool wide = turns[i].range > 5;
        PIX *t = turned(p, turns[i].deg);
        char what[64];
        snprintf(what, sizeof what, "text turned %+.2f, %s sweep", turns[i].deg,
                 wide ? "wide" : "near");
        compare(t, turns[i].range, -turns[i].deg, wide ? &WIDE : &NEAR, what);
        pixDestroy(&t);
    }
    /* A narrow page takes the sweep at full resolution. */
    PIX *narrow = qr_test_text_page(600, 900, 10, 60);
    PIX *t = turned(narrow, 1.7);
    compare(t, 5.0, -1.7, &NEAR, "narrow text turned +1.70");
    pixDestroy(&t);
    pixDestroy(&narrow);
    pixDestroy(&p);
}

static void test_guards(void)
{
    double a = 1.0, c = 1.0;
    PIX *empty = pixCreate(1275, 1650, 1);
    CHECK(qr_skew_sweep_search(empty, 2, 5.0, -1.0, &a, &c) == 1);
    CHECKF(a == 0.0 && c == 0.0, "no ink: angle %.2f conf %.2f", a, c);
    pixDestroy(&empty);
    CHECK(qr_skew_sweep_search(NULL, 2, 5.0, -1.0, &a, &c) == 1);

    /* Nearly all ink: the worst score is under the guard. */
    PIX *black = pixCreate(1275, 1650, 1);
    pixSetAll(black);
    for (int i = 0; i < 40; i++)
        pixSetPixel(black, 31 * i + 7, 37 * i + 11, 0);
    CHECK(qr_skew_sweep_search(black, 2, 5.0, -1.0, &a, &c) == 0);
    CHECKF(c == 0.0, "nearly all ink: conf %.2f", c);
    pixDestroy(&black);

    /* 4.6 deg is outside what a +-5 deg sweep may claim (its edge step). */
    PIX *p = qr_test_text_page(1275, 1650, 10, 60);
    PIX *t = turned(p, 4.6);
    l_float32 la = 0.0f, lc = 0.0f;
    pixFindSkewSweepAndSearchScorePivot(t, &la, &lc, NULL, 2, 1, 0.0f, 5.0f, 1.0f, 0.01f,
                                        L_SHEAR_ABOUT_CENTER);
    CHECK(qr_skew_sweep_search(t, 2, 5.0, -1.0, &a, &c) == 0);
    CHECKF(c == 0.0 && lc == 0.0f, "turned 4.6, near sweep: conf %.2f (Leptonica %.2f)", c,
           (double)lc);
    pixDestroy(&t);
    /* 12 deg is outside a +-5 deg sweep altogether: whatever it finds is
     * too weak to correct a page by (the profile's 1.8), as with
     * Leptonica. */
    t = turned(p, 12.0);
    pixFindSkewSweepAndSearchScorePivot(t, &la, &lc, NULL, 2, 1, 0.0f, 5.0f, 1.0f, 0.01f,
                                        L_SHEAR_ABOUT_CENTER);
    CHECK(qr_skew_sweep_search(t, 2, 5.0, -1.0, &a, &c) == 0);
    CHECKF(c < 1.8 && (double)lc < 1.8, "turned 12, near sweep: angle %.2f conf %.2f (Leptonica %.2f)",
           a, c, (double)lc);
    /* A check beyond +-4 deg: a wide sweep finds the peak outside and
     * searches it ... */
    CHECK(qr_skew_sweep_search(t, 2, 30.0, 4.0, &a, &c) == 0);
    CHECKF(fabs(a + 12.0) <= 0.25 && c >= 3.0, "turned 12, wide check: angle %.2f conf %.2f", a, c);
    pixDestroy(&t);
    /* ... and stops at the sweep when the peak lies inside. */
    t = turned(p, 2.0);
    CHECK(qr_skew_sweep_search(t, 2, 30.0, 4.0, &a, &c) == 0);
    CHECKF(a == -2.0 && c == 0.0, "turned 2, wide check: angle %.2f conf %.2f", a, c);
    pixDestroy(&t);
    pixDestroy(&p);
}

static void test_corpus(void)
{
    static const char *const names[] = {
        "lept_feyn.tif",      "lept_lucasta.1.300.tif", "lept_pageseg1.tif",
        "lept_shearer.148.tif", "ocrmypdf_epson.tif",   "ocrmypdf_linn.tif",
        "pillow_pport_g4.tif", "commonsimaging_Imaging247.tif",
    };
    static const double near[] = {-3.1, -0.37, 1.23, 2.71};
    char buf[4096];
    if (!qr_test_corpus("sources.json", buf, sizeof buf)) {
        printf("corpus part skipped: QUIRE_SHARED/corpus/real not present\n");
        return;
    }
    /* The scans have skews of their own, so only Leptonica is the reference;
     * real pages have weaker peaks than the synthetic ones, so the angle may
     * differ by a little more. */
    expect e = NEAR;
    e.lept_tol = 0.12;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        PIX *b = qr_test_corpus_150(names[i]);
        if (!b)
            continue;
        for (size_t k = 0; k < sizeof near / sizeof *near; k++) {
            PIX *t = turned(b, near[k]);
            char what[96];
            snprintf(what, sizeof what, "%s turned %+.2f", names[i], near[k]);
            e.conf_min = 1.8;
            compare(t, 5.0, NAN, &e, what);
            pixDestroy(&t);
        }
        pixDestroy(&b);
    }
}

int main(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    test_angles();
    test_guards();
    test_corpus();
    return qr_test_end();
}
