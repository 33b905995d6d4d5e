/*
 * Unit tests of the page stages on real scans from $QUIRE_SHARED/corpus/real,
 * against the truth recorded in its sources.json: known skew
 * (ocrmypdf_skew-render.tif -1.865 deg, naps2_skewed_bw.png about -15.95 deg),
 * known orientation (ocrmypdf_cardinal-p3 upside down = 180, -p4 turned 270),
 * blank sheets (naps2_blank1.jpg, pillow_g4-multi.tiff, the fax page) and the
 * near-blank naps2_notblank.jpg. The clean upright pages the batch generator
 * uses must be neither turned nor called blank.
 *
 * Without the shared corpus the test is skipped (exit 77) with a reason.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"

static PIX *load(const char *name)
{
    char buf[4096];
    const char *path = qr_test_corpus(name, buf, sizeof buf);
    PIX *p = path ? pixRead(path) : NULL;
    CHECKF(p != NULL, "cannot read corpus file %s", name);
    return p;
}

static bool analyze(const char *name, PIX **keep, qr_analysis *a)
{
    PIX *p = load(name);
    if (!p)
        return false;
    qr_profile prof;
    qr_profile_default(&prof);
    qr_err err = {0};
    int rc = qr_analyze(p, pixGetXRes(p), pixGetYRes(p), &prof, a, &err);
    CHECKF(rc == QR_OK, "%s: %s", name, err.msg);
    printf("%-36s skew %+7.3f (conf %5.1f) orient %3d (conf %5.1f ratio %5.1f) ink %.5f%s\n",
           name, a->skew_deg, a->skew_conf, a->orientation, a->orient_conf, a->orient_ratio,
           a->centre_ink_fraction, a->blank ? " blank" : "");
    if (keep)
        *keep = p;
    else
        pixDestroy(&p);
    return rc == QR_OK;
}

static void test_skew(void)
{
    qr_analysis a;
    if (analyze("ocrmypdf_skew-render.tif", NULL, &a))
        CHECKF(a.skew_found && fabs(a.skew_deg - -1.865) <= 0.2, "skew-render: %.3f vs -1.865",
               a.skew_deg);
    PIX *p = NULL;
    if (!analyze("naps2_skewed_bw.png", &p, &a))
        return;
    CHECKF(a.skew_found && fabs(a.skew_deg - -15.95) <= 0.3, "skewed_bw: %.3f vs -15.95",
           a.skew_deg);
    qr_profile prof;
    qr_profile_default(&prof);
    PIX *out = NULL;
    qr_correction c;
    qr_err err = {0};
    CHECK_EQ_INT(qr_correct(p, &a, &prof, &out, &c, &err), QR_OK);
    CHECK(c.skew_too_large && !c.changed && out == NULL); /* beyond 10 deg: left as is */
    pixDestroy(&p);
}

static void check_upright_after(PIX *p, const qr_analysis *a, int want_w, int want_h)
{
    qr_profile prof;
    qr_profile_default(&prof);
    PIX *out = NULL;
    qr_correction c;
    qr_err err = {0};
    CHECK_EQ_INT(qr_correct(p, a, &prof, &out, &c, &err), QR_OK);
    CHECK(c.changed && out && c.rotation == a->orientation);
    if (!out)
        return;
    CHECK_EQ_INT(pixGetWidth(out), want_w);
    CHECK_EQ_INT(pixGetHeight(out), want_h);
    qr_analysis b;
    CHECK_EQ_INT(qr_analyze(out, 300, 300, &prof, &b, &err), QR_OK);
    CHECKF(b.orientation == 0 && b.orient_guess == 0 && b.up_conf > 0,
           "corrected page not upright: orientation %d up %.2f", b.orientation, b.up_conf);
    pixDestroy(&out);
}

static void test_orientation(void)
{
    qr_analysis a;
    PIX *p = NULL;
    if (analyze("ocrmypdf_cardinal-p3-render.tif", &p, &a)) {
        CHECKF(a.orient_confident && a.orientation == 180, "p3: %d", a.orientation);
        check_upright_after(p, &a, 2550, 3300);
    }
    pixDestroy(&p);
    if (analyze("ocrmypdf_cardinal-p4-render.tif", &p, &a)) {
        CHECKF(a.orient_confident && a.orientation == 270, "p4: %d", a.orientation);
        check_upright_after(p, &a, 2550, 3300); /* delivered 3300x2550 */
    }
    pixDestroy(&p);
}

static void test_blank(void)
{
    const char *blank[] = {"naps2_blank1.jpg", "pillow_g4-multi.tiff",
                           "commonsimaging_1pagefax.tif"};
    qr_analysis a;
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
        if (analyze(blank[i], NULL, &a))
            CHECKF(a.blank, "%s should be blank (centre ink %.5f)", blank[i],
                   a.centre_ink_fraction);
    if (analyze("naps2_notblank.jpg", NULL, &a))
        CHECKF(!a.blank, "naps2_notblank.jpg called blank (centre ink %.5f)",
               a.centre_ink_fraction);
}

/* Clean upright pages (generator_role "page" in sources.json, orientation 0). */
static void test_clean_pages(void)
{
    const char *pages[] = {
        "commonsimaging_Imaging247.tif", "lept_arabic.png", "lept_boismort.1.tif",
        "lept_feyn.tif", "lept_harmoniam-11.tif", "lept_lucasta.047.jpg",
        "lept_lucasta.1.300.tif", "lept_pageseg1.tif", "lept_pageseg2.tif", "lept_patent.png",
        "lept_rabi.png", "lept_table.27.tif", "lept_wet-day.jpg", "lept_zanotti-78.jpg",
        "libtiff_testfax4.tiff", "ocrmypdf_c02-22.jpg", "ocrmypdf_epson.tif",
        "ocrmypdf_linn.tif", "ocrmypdf_typewriter.png", "pillow_pport_g4.tif",
        "tess_8087_054.3B.tif", "tess_eurotext.tif", "tess_hebrew-nikud-genesis-1-2.png"};
    qr_analysis a;
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        if (!analyze(pages[i], NULL, &a))
            continue;
        CHECKF(a.orientation == 0, "%s turned by %d although upright", pages[i], a.orientation);
        CHECKF(!a.blank, "%s called blank", pages[i]);
        CHECKF(fabs(a.skew_deg) < 1.5, "%s: skew %.2f", pages[i], a.skew_deg);
    }
}

int main(void)
{
    char buf[4096];
    if (!qr_test_corpus("sources.json", buf, sizeof buf)) {
        printf("skip: QUIRE_SHARED/corpus/real not present\n");
        return 77;
    }
    qr_stages_global_init();
    test_skew();
    test_orientation();
    test_blank();
    test_clean_pages();
    return qr_test_end();
}
