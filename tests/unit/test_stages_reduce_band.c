/*
 * The band reducer (stages/reduce_band.c): the analysis copy of a page too
 * large to hold whole, built from its bands. Checked here: the copy's size
 * and resolution (300 dpi, sizes in inches kept), that it does not depend on
 * how the page is cut into bands, that it is the area average Leptonica's
 * pixScaleAreaMap gives for a whole page (gray and colour), and that the
 * analysis of the copy, stated for the page, says what the analysis of the
 * whole page says about a skewed text page at 600 dpi.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"

#define DEG2RAD (3.14159265358979323846 / 180.0)

/* A gray page: text in Leptonica's bitmap font on paper of 230, ink 40,
 * turned by skew_deg (counter-clockwise), at the given size. */
static PIX *gray_text_page(int w, int h, double skew_deg)
{
    PIX *text = qr_test_text_page(w, h, 20, w / 10);
    PIX *turned = pixRotate(text, (l_float32)(-skew_deg * DEG2RAD), L_ROTATE_SAMPLING,
                            L_BRING_IN_WHITE, 0, 0);
    PIX *g = pixConvert1To8(NULL, turned, 230, 40);
    pixDestroy(&text);
    pixDestroy(&turned);
    return g;
}

/* The page fed to a new reducer in bands of `rows`. */
static PIX *reduce_in_bands(PIX *page, double xdpi, double ydpi, int rows, double *rx,
                            double *ry)
{
    qr_profile prof;
    qr_profile_default(&prof);
    int w = pixGetWidth(page), h = pixGetHeight(page);
    qr_band_reducer *r = NULL;
    qr_err e = {0};
    CHECK(qr_band_reducer_new(w, h, pixGetDepth(page), xdpi, ydpi, &prof, &r, &e) == QR_OK);
    for (int y = 0; r && y < h; y += rows) {
        BOX *b = boxCreate(0, y, w, h - y < rows ? h - y : rows);
        PIX *band = pixClipRectangle(page, b, NULL);
        CHECK(qr_band_reducer_rows(r, band, &e) == QR_OK);
        pixDestroy(&band);
        boxDestroy(&b);
    }
    return r ? qr_band_reducer_finish(&r, rx, ry, &e) : NULL;
}

static double mean_abs_diff(PIX *a, PIX *b)
{
    if (!a || !b || pixGetWidth(a) != pixGetWidth(b) || pixGetHeight(a) != pixGetHeight(b))
        return 999;
    double sum = 0;
    int w = pixGetWidth(a), h = pixGetHeight(a);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            l_uint32 u, v;
            pixGetPixel(a, x, y, &u);
            pixGetPixel(b, x, y, &v);
            sum += fabs((double)u - (double)v);
        }
    return sum / ((double)w * h);
}

static void test_size_and_resolution(void)
{
    PIX *page = gray_text_page(1800, 1200, 0);
    double rx = 0, ry = 0;
    PIX *copy = reduce_in_bands(page, 600, 600, 64, &rx, &ry);
    CHECK(copy && pixGetWidth(copy) == 900 && pixGetHeight(copy) == 600 && pixGetDepth(copy) == 8);
    CHECK(rx == 300 && ry == 300);
    pixDestroy(&copy);
    /* axes of different resolution: only the finer one is reduced */
    copy = reduce_in_bands(page, 400, 150, 100, &rx, &ry);
    CHECK(copy && pixGetWidth(copy) == 1350 && pixGetHeight(copy) == 1200 && rx == 300 &&
          ry == 150);
    pixDestroy(&copy);
    pixDestroy(&page);
    /* no resolution: a sheet about 11 inches long is assumed (6600 pixels:
     * 600 dpi), and the copy has no resolution either */
    page = pixCreate(6600, 1000, 8);
    copy = reduce_in_bands(page, 0, 0, 7, &rx, &ry);
    CHECK(copy && pixGetWidth(copy) == 3300 && pixGetHeight(copy) == 500 && rx == 0 && ry == 0);
    pixDestroy(&copy);
    pixDestroy(&page);
}

/* The copy is the same whatever the bands, and is the area average. */
static void test_bands_and_area_map(void)
{
    PIX *page = gray_text_page(2000, 1500, 1.5);
    double rx, ry;
    PIX *a = reduce_in_bands(page, 500, 500, 1500, &rx, &ry);
    PIX *b = reduce_in_bands(page, 500, 500, 13, &rx, &ry);
    l_int32 same = 0;
    if (a && b)
        pixEqual(a, b, &same);
    CHECKF(same && a && pixGetWidth(a) == 1200 && pixGetHeight(a) == 900,
           "one band or bands of 13 rows: the same 1200 x 900 copy");
    PIX *ref = pixScaleAreaMap(page, (l_float32)pixGetWidth(a) / 2000.0f,
                               (l_float32)pixGetHeight(a) / 1500.0f);
    double d = mean_abs_diff(a, ref);
    CHECKF(d < 1.0, "gray copy against pixScaleAreaMap: mean difference %.3f", d);
    pixDestroy(&ref);
    /* colour: luma with Rec. 601 weights, then the area average */
    PIX *tinted = pixCreate(2000, 1500, 32);
    for (int y = 0; y < 1500; y++)
        for (int x = 0; x < 2000; x++) {
            l_uint32 v;
            pixGetPixel(page, x, y, &v);
            pixSetRGBPixel(tinted, x, y, (l_int32)v, (l_int32)(v * 9 / 10), (l_int32)(x % 256));
        }
    PIX *c = reduce_in_bands(tinted, 500, 500, 64, &rx, &ry);
    PIX *luma = pixConvertRGBToGray(tinted, 0.299f, 0.587f, 0.114f);
    ref = pixScaleAreaMap(luma, (l_float32)pixGetWidth(c) / 2000.0f,
                          (l_float32)pixGetHeight(c) / 1500.0f);
    d = mean_abs_diff(c, ref);
    CHECKF(d < 1.0, "colour copy against luma then pixScaleAreaMap: mean difference %.3f", d);
    pixDestroy(&ref);
    pixDestroy(&luma);
    pixDestroy(&c);
    pixDestroy(&tinted);
    pixDestroy(&a);
    pixDestroy(&b);
    pixDestroy(&page);
}

/* A skewed text page at 600 dpi, analysed whole and from its copy. */
static void test_analysis_of_the_copy(void)
{
    qr_profile prof;
    qr_profile_default(&prof);
    PIX *page = gray_text_page(4960, 7016, 2.0); /* A4 at 600 dpi */
    qr_analysis whole, part;
    qr_err e = {0};
    CHECK(qr_analyze(page, 600, 600, &prof, &whole, &e) == QR_OK);
    double rx, ry;
    PIX *copy = reduce_in_bands(page, 600, 600, 64, &rx, &ry);
    CHECK(copy && qr_analyze(copy, rx, ry, &prof, &part, &e) == QR_OK);
    qr_analysis_of_page(&part, 4960, 7016, 8, 600, 600, &prof);
    CHECK(part.width == 4960 && part.height == 7016 && part.depth == 8 && part.dpi == 600 &&
          !part.low_dpi);
    CHECKF(whole.skew_found && part.skew_found && fabs(whole.skew_deg - part.skew_deg) < 0.1,
           "skew whole %.3f, from the copy %.3f", whole.skew_deg, part.skew_deg);
    CHECK(whole.blank == part.blank && !part.blank);
    CHECK(whole.orientation == part.orientation);
    CHECKF(fabs(whole.ink_fraction - part.ink_fraction) < 0.2 * whole.ink_fraction,
           "ink whole %.4f, from the copy %.4f", whole.ink_fraction, part.ink_fraction);
    for (int i = 0; i < 4; i++)
        CHECKF(fabs(whole.margin_mm[i] - part.margin_mm[i]) < 1.0, "margin %d: %.2f and %.2f mm",
               i, whole.margin_mm[i], part.margin_mm[i]);
    qr_fault fw[8], fp[8];
    int nw = qr_page_faults(&whole, NULL, &prof, fw, 8), np = qr_page_faults(&part, NULL, &prof, fp, 8);
    CHECKF(nw == np, "faults whole %d, from the copy %d", nw, np);
    pixDestroy(&copy);
    pixDestroy(&page);
}

static void test_errors(void)
{
    qr_profile prof;
    qr_profile_default(&prof);
    qr_band_reducer *r = NULL;
    qr_err e = {0};
    CHECK(qr_band_reducer_new(100, 100, 1, 300, 300, &prof, &r, &e) == QR_EINVAL && !r);
    CHECK(qr_band_reducer_new(100, 100, 8, 300, 300, &prof, &r, &e) == QR_OK);
    PIX *band = pixCreate(100, 60, 8);
    CHECK(qr_band_reducer_rows(r, band, &e) == QR_OK);
    CHECK(qr_band_reducer_rows(r, band, &e) == QR_EINVAL); /* 120 rows of 100 */
    double rx, ry;
    CHECK(qr_band_reducer_finish(&r, &rx, &ry, &e) == NULL && !r); /* 60 rows given */
    pixDestroy(&band);
}

int main(void)
{
    qr_stages_global_init();
    test_size_and_resolution();
    test_bands_and_area_map();
    test_analysis_of_the_copy();
    test_errors();
    return qr_test_end();
}
