/*
 * Unit tests of the stroke width (stages/stroke.c) and of the faded-stroke
 * verdict it feeds.
 *
 * What must hold:
 *   - the packed count is exactly Leptonica's: the ink minus its erosion by a
 *     four-neighbour cross on a page with a paper border, at widths that end
 *     inside, at and past a 32-bit word, with junk in the padding bits;
 *   - a bar k px wide measures k (a 1 px line: 2, every pixel being edge);
 *   - read on every 4th row (as the analysis does), real pages measure
 *     within 2 % of every row (their ink within 5 %);
 *   - on real scans (when the shared corpus is present), a clean page raises
 *     no too_light, and the same page with its strokes thinned to hairlines
 *     (what a threshold near the ink level keeps of faded print whose
 *     strokes stay whole) is too light, by the rule named.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"
#include "stages_int.h"

/* The four-neighbour cross: the centre and its left, right, upper and lower
 * neighbours are hits. */
static SEL *cross_sel(void)
{
    SEL *sel = selCreate(3, 3, "cross");
    if (!sel)
        return NULL;
    selSetOrigin(sel, 1, 1);
    static const int at[5][2] = {{1, 1}, {0, 1}, {2, 1}, {1, 0}, {1, 2}};
    for (int i = 0; i < 5; i++)
        selSetElement(sel, at[i][0], at[i][1], SEL_HIT);
    return sel;
}

/* Leptonica's answer: erosion by a cross, outside the page counted as paper. */
static double reference_width(PIX *pix)
{
    PIX *b = pixAddBorder(pix, 1, 0);
    SEL *cross = cross_sel();
    PIX *e = b && cross ? pixErode(NULL, b, cross) : NULL;
    l_int32 ink = 0, inner = 0;
    if (e) {
        pixCountPixels(b, &ink, NULL);
        pixCountPixels(e, &inner, NULL);
    }
    pixDestroy(&e);
    selDestroy(&cross);
    pixDestroy(&b);
    return ink > inner ? 2.0 * ink / (double)(ink - inner) : -1.0;
}

static void test_matches_leptonica(void)
{
    static const int widths[] = {31, 32, 33, 63, 64, 65, 500, 1001};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        PIX *text = qr_test_text_page(widths[i], 300, 10, 3);
        PIX *thick = text ? pixDilateBrick(NULL, text, 3, 2) : NULL;
        CHECKF(text && thick, "test page %d px wide", widths[i]);
        PIX *pages[] = {text, thick};
        for (int k = 0; k < 2 && thick; k++) {
            double want = reference_width(pages[k]);
            qr_test_dirty_padding(pages[k]);
            long long ink = 0;
            double got = qr_stroke_width(pages[k], 1, &ink);
            l_int32 n = 0;
            pixCountPixels(pages[k], &n, NULL);
            CHECKF(got == want && ink == n, "%d px wide, %s: width %.6f (Leptonica %.6f), ink %lld (%d)",
                   widths[i], k ? "dilated" : "text", got, want, ink, n);
        }
        pixDestroy(&thick);
        pixDestroy(&text);
    }
    /* ink touching every edge of the image: outside is paper */
    PIX *full = pixCreate(70, 40, 1);
    pixSetAll(full);
    long long ink = 0;
    double got = qr_stroke_width(full, 1, &ink);
    CHECKF(fabs(got - reference_width(full)) < 1e-12 && ink == 70 * 40,
           "all ink: %.4f (Leptonica %.4f)", got, reference_width(full));
    pixClearAll(full);
    CHECKF(qr_stroke_width(full, 1, &ink) < 0 && ink == 0, "no ink: no width");
    pixDestroy(&full);
    PIX *gray = pixCreate(10, 10, 8);
    CHECKF(qr_stroke_width(gray, 1, &ink) < 0, "8 bpp: not measured");
    pixDestroy(&gray);
}

static void test_bars(void)
{
    for (int k = 1; k <= 8; k++) {
        PIX *pix = pixCreate(1000, 1000, 1);
        for (int i = 0; i < 20; i++) /* 20 bars 900 px long */
            pixRasterop(pix, 50 + i * 45, 50, k, 900, PIX_SET, NULL, 0, 0);
        long long ink = 0;
        double want = k < 2 ? 2.0 : k;
        for (int step = 1; step <= 4; step += 3) {
            double w = qr_stroke_width(pix, step, &ink);
            CHECKF(fabs(w - want) <= 0.03 * want && ink == 20LL * 900 * k,
                   "bars %d px wide, every %d rows: %.3f (want %.1f)", k, step, w, want);
        }
        pixDestroy(&pix);
    }
}

static const qr_fault *find_fault(const qr_fault *f, int n, qr_fault_kind kind)
{
    for (int i = 0; i < n; i++)
        if (f[i].kind == kind)
            return &f[i];
    return NULL;
}

/* A clean bitonal scan, then the same scan with its strokes thinned to
 * hairlines of `width` px: what a threshold close to the ink level keeps of
 * a faded original when the strokes stay whole. */
static PIX *hairlines(PIX *pix, int width)
{
    PIX *thin = pixThinConnected(pix, L_THIN_FG, 8, 0);
    PIX *out = thin && width > 1 ? pixDilateBrick(NULL, thin, width, width) : pixClone(thin);
    pixDestroy(&thin);
    return out;
}

static void check_real(const char *name, int width, const char *rule)
{
    char buf[4096];
    const char *path = qr_test_corpus(name, buf, sizeof buf);
    PIX *pix = path ? pixRead(path) : NULL;
    CHECKF(pix && pixGetDepth(pix) == 1, "%s: a 1 bpp page", name);
    if (!pix || pixGetDepth(pix) != 1) {
        pixDestroy(&pix);
        return;
    }
    qr_profile p;
    qr_profile_default(&p);
    PIX *faded = hairlines(pix, width);
    PIX *pages[] = {pix, faded};
    for (int k = 0; k < 2 && faded; k++) {
        qr_analysis a;
        qr_err err;
        qr_fault f[8];
        int rc = qr_analyze(pages[k], 300, 300, &p, &a, &err);
        int n = rc == QR_OK ? qr_page_faults(&a, NULL, &p, f, 8) : 0;
        const qr_fault *light = find_fault(f, n, QR_FAULT_TOO_LIGHT);
        double ratio = a.char_px > 0 ? a.stroke_px / a.char_px : 0.0;
        printf("  %s%s: stroke %.2f px, letters %.0f px (ratio %.3f), %.1f px per mark%s%s\n",
               name, k ? " thinned" : "", a.stroke_px, a.char_px, ratio, a.blob_px,
               light ? ": " : "", light ? light->detail : "");
        CHECKF(rc == QR_OK, "%s: analysed", name);
        long long ink1 = 0, ink4 = 0;
        double w1 = qr_stroke_width(pages[k], 1, &ink1), w4 = qr_stroke_width(pages[k], 4, &ink4);
        CHECKF(fabs(w4 - w1) <= 0.02 * w1 && fabs((double)(ink4 - ink1)) <= 0.05 * ink1,
               "%s%s: every 4th row %.3f px (ink %lld), every row %.3f (%lld)", name,
               k ? " thinned" : "", w4, ink4, w1, ink1);
        if (k == 0)
            CHECKF(!light && a.stroke_px > p.light_stroke_min && ratio >= p.light_stroke_ratio,
                   "%s clean: no too_light", name);
        else
            CHECKF(light && !strncmp(light->detail, rule, strlen(rule)),
                   "%s thinned to %d px: too_light by \"%s\"", name, width, rule);
    }
    pixDestroy(&faded);
    pixDestroy(&pix);
}

/* The corpus page `name` analysed as it is (300 dpi) into *orig and, made
 * over by `make`, at `dpi` into *copy; false (a failed check) when either
 * cannot be made or analysed. *light: the copy is too light. */
static bool analyse_pair(const char *name, PIX *(*make)(PIX *), double dpi, qr_analysis *orig,
                         qr_analysis *copy, bool *light)
{
    char buf[4096];
    const char *path = qr_test_corpus(name, buf, sizeof buf);
    PIX *pix = path ? pixRead(path) : NULL;
    PIX *made = pix ? make(pix) : NULL;
    qr_profile p;
    qr_profile_default(&p);
    qr_err err;
    qr_fault f[8];
    bool ok = made && qr_analyze(pix, 300, 300, &p, orig, &err) == QR_OK &&
              qr_analyze(made, dpi, dpi, &p, copy, &err) == QR_OK;
    CHECKF(ok, "%s: made over and analysed", name);
    *light = ok && find_fault(f, qr_page_faults(copy, NULL, &p, f, 8), QR_FAULT_TOO_LIGHT);
    pixDestroy(&made);
    pixDestroy(&pix);
    return ok;
}

static PIX *turned(PIX *pix)
{
    return pixRotate90(pix, 1);
}

static PIX *at_400(PIX *pix)
{
    return pixScaleBinary(pix, 4.0f / 3.0f, 4.0f / 3.0f);
}

/* A page lying sideways: its letters' height runs along the rows, and the
 * ratio is read that way once the orientation is found. */
static void check_sideways(const char *name)
{
    qr_analysis up, a;
    bool light;
    if (!analyse_pair(name, turned, 300, &up, &a, &light))
        return;
    printf("  %s sideways: turned %d, letters %.0f px (upright %.0f), across %.0f\n", name,
           a.orientation, a.char_px, up.char_px, a.char_across_px);
    CHECKF(a.orientation == 90 || a.orientation == 270, "%s sideways: turned (%d)", name,
           a.orientation);
    CHECKF(fabs(a.char_px - up.char_px) <= 2 && !light,
           "%s sideways: letters %.0f px as upright (%.0f), no too_light", name, a.char_px,
           up.char_px);
}

/* A 400 dpi scan is worked at 200 dpi (one 2x reduction); its letters are
 * measured all the same, and it stays clean. */
static void check_400(const char *name)
{
    qr_analysis up, a;
    bool light;
    if (!analyse_pair(name, at_400, 400, &up, &a, &light))
        return;
    printf("  %s at 400 dpi: work %.0f dpi, stroke %.2f px, letters %.0f px (300 dpi: %.2f, %.0f)\n",
           name, a.work_dpi, a.stroke_px, a.char_px, up.stroke_px, up.char_px);
    CHECKF(a.char_px > 0 && fabs(a.char_px / up.char_px - 4.0 / 3.0) < 0.15,
           "%s at 400 dpi: letters %.0f px, 4/3 of %.0f", name, a.char_px, up.char_px);
    CHECKF(!light, "%s at 400 dpi: no too_light", name);
}

static void test_real(void)
{
    char buf[4096];
    if (!qr_test_corpus("lept_feyn.tif", buf, sizeof buf)) {
        printf("corpus part skipped: QUIRE_SHARED/corpus/real not present\n");
        return;
    }
    check_real("lept_feyn.tif", 1, "hairline");
    check_real("lept_boismort.1.tif", 1, "hairline");
    check_real("lept_lucasta.1.300.tif", 1, "hairline");
    check_real("ocrmypdf_linn.tif", 1, "hairline");
    check_real("libtiff_testfax4.tiff", 1, "hairline");
    check_real("lept_harmoniam-11.tif", 2, "strokes");
    check_real("ocrmypdf_epson.tif", 2, "strokes");
    check_sideways("lept_feyn.tif");
    check_sideways("ocrmypdf_linn.tif");
    check_400("lept_feyn.tif");
    check_400("ocrmypdf_linn.tif");
}

int main(void)
{
    test_matches_leptonica();
    test_bars();
    test_real();
    return qr_test_end();
}
