/*
 * Unit tests of duplicate-page detection (qr_signature_*).
 *
 * Synthetic part: text pages rendered with Leptonica's bitmap font at 300 dpi,
 * made of paragraphs of different lengths and words (so that two pages share
 * font, leading and margins, like two pages of one typed document). A second
 * scan of a sheet is simulated by scaling (+0.4 %), turning by 1.5 degrees,
 * shifting by about 2 mm (a feed's play) and adding different sensor noise;
 * it must be called a duplicate of the first scan, while a different page in
 * the same layout must not, and nor must another print of the same page that
 * is 2 % larger or sits 6 mm lower on its sheet. A rescan whose orientation the analysis did not undo is still a
 * duplicate. Two blank sheets are never duplicates.
 *
 * Real part (skipped with a note without $QUIRE_SHARED): a corpus page against
 * a re-scanned copy of itself, and two different corpus pages.
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

static const char *const WORDS[] = {
    "case", "file", "the", "of", "municipal", "records", "and", "permit", "was", "granted",
    "to", "applicant", "on", "condition", "that", "a", "survey", "be", "filed", "within",
    "thirty", "days", "objection", "hearing", "council", "minutes", "road", "parcel",
    "boundary", "notice", "appeal", "decision", "zoning", "by", "order", "clerk"};

static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* One paragraph of about nwords random words. */
static void paragraph(unsigned *seed, int nwords, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; i < nwords; i++) {
        const char *w = WORDS[lcg(seed) % (sizeof WORDS / sizeof WORDS[0])];
        if (strlen(buf) + strlen(w) + 2 >= n)
            break;
        strcat(buf, w);
        strcat(buf, i + 1 < nwords ? " " : ".");
    }
}

/* A typed page: paragraphs of random length separated by blank lines. */
static PIX *text_page(unsigned seed)
{
    L_BMF *bmf = bmfCreate(NULL, 10);
    PIX *p = pixCreate(W, H, 1);
    pixSetResolution(p, 300, 300);
    int y = 300;
    char buf[4096];
    for (int k = 0; k < 40 && y < H - 600; k++) {
        paragraph(&seed, 20 + (int)(lcg(&seed) % 120), buf, sizeof buf);
        l_int32 overflow = 0;
        int indent = (int)(lcg(&seed) % 3) * 60;
        pixSetTextblock(p, bmf, buf, 1, 250 + indent, y, 1950 - indent, 0, &overflow);
        l_int32 bottom = y; /* lowest ink row of the page so far */
        pixScanForForeground(p, NULL, L_FROM_BOT, &bottom);
        y = (bottom > y ? bottom : y + 60) + 90;
    }
    bmfDestroy(&bmf);
    return p;
}

/* Gray copy with paper/ink levels and deterministic noise (+-noise). */
static PIX *to_gray(PIX *p, unsigned seed, int noise)
{
    PIX *g = pixConvertTo8(p, FALSE);
    int w = pixGetWidth(g), h = pixGetHeight(g), wpl = pixGetWpl(g);
    l_uint32 *data = pixGetData(g);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            l_uint32 *line = data + (size_t)y * wpl;
            int v = GET_DATA_BYTE(line, x) ? 232 : 30;
            v += (int)(lcg(&seed) % (unsigned)(2 * noise + 1)) - noise;
            SET_DATA_BYTE(line, x, v < 0 ? 0 : v > 255 ? 255 : v);
        }
    pixCopyResolution(g, p);
    return g;
}

/* A second scan of the sheet: scaled, turned counter-clockwise by skew_deg,
 * shifted by (dx, dy) pixels; 1 bpp in, 1 bpp out. */
static PIX *rescan(PIX *p, double scale, double skew_deg, int dx, int dy)
{
    PIX *s = pixScale(p, (l_float32)scale, (l_float32)scale);
    BOX *box = boxCreate((pixGetWidth(s) - pixGetWidth(p)) / 2,
                         (pixGetHeight(s) - pixGetHeight(p)) / 2, pixGetWidth(p),
                         pixGetHeight(p));
    PIX *c = pixClipRectangle(s, box, NULL);
    boxDestroy(&box);
    pixDestroy(&s);
    PIX *r = pixRotate(c, (l_float32)(-skew_deg * DEG2RAD), L_ROTATE_SAMPLING,
                       L_BRING_IN_WHITE, 0, 0);
    pixDestroy(&c);
    PIX *t = pixTranslate(NULL, r, dx, dy, L_BRING_IN_WHITE);
    pixDestroy(&r);
    pixCopyResolution(t, p);
    return t;
}

static bool sign(PIX *p, qr_signature *sig, qr_analysis *an)
{
    qr_profile prof;
    qr_profile_default(&prof);
    qr_err err = {0};
    bool ok = qr_analyze(p, pixGetXRes(p), pixGetYRes(p), &prof, an, &err) == QR_OK &&
              qr_signature_compute(p, an, sig, &err) == QR_OK;
    CHECKF(ok, "signature: %s", err.msg);
    return ok;
}

/* Compare two pages; returns the similarity and checks the verdict. */
static double expect(PIX *a, PIX *b, bool want_dup, const char *what)
{
    static qr_signature sa, sb; /* 6 KB each */
    qr_analysis aa, ab;
    if (!sign(a, &sa, &aa) || !sign(b, &sb, &ab))
        return -1;
    qr_profile prof;
    qr_profile_default(&prof);
    double sim = -1;
    bool dup = qr_signature_is_duplicate(&sa, &sb, &prof, &sim);
    printf("%-44s similarity %.3f hash %2d skew %+.2f/%+.2f -> %s\n", what, sim,
           qr_signature_hash_distance(&sa, &sb), aa.skew_deg, ab.skew_deg,
           dup ? "duplicate" : "different");
    CHECKF(dup == want_dup, "%s: duplicate=%d, want %d (similarity %.3f; paper %d/%d, tone %.1f/%.1f, ink %.4f/%.4f, width %.1f/%.1f mm)",
           what, dup, want_dup, sim, sa.paper_luma, sb.paper_luma, sa.mean_luma, sb.mean_luma,
           sa.ink_fraction, sb.ink_fraction, sa.content_w_mm, sb.content_w_mm);
    CHECK(sim >= 0.0 && sim <= 1.0);
    /* symmetric enough that the verdict does not depend on the order */
    CHECK(qr_signature_is_duplicate(&sb, &sa, &prof, NULL) == want_dup);
    return sim;
}

static void test_synthetic(void)
{
    PIX *a = text_page(1), *b = text_page(2);
    PIX *ga = to_gray(a, 11, 12);
    PIX *a2 = rescan(a, 1.004, 1.0, 24, -20);
    PIX *ga2 = to_gray(a2, 99, 12);
    double same = expect(ga, ga2, true, "text page vs its rescan (gray)");
    expect(a, a2, true, "text page vs its rescan (1 bpp)");
    /* one scan in gray, the other in black and white: the scanner's colour
     * detection decides the same way for one sheet, so these are two prints */
    expect(a, ga2, false, "1 bpp page vs a gray scan of it");
    /* on both sides of dup_max_skew_delta (1.2 deg): fed 0.8 deg and 2.5 deg
     * more crooked than the first scan */
    PIX *a5 = rescan(a, 1.0, 0.8, 10, 12);
    expect(a, a5, true, "text page vs its rescan 0.8 deg apart");
    pixDestroy(&a5);
    a5 = rescan(a, 1.0, 2.5, 10, 12);
    expect(a, a5, false, "text page vs a print 2.5 deg apart");
    pixDestroy(&a5);
    /* the same page printed again at 2 % larger: alike, but not one sheet */
    PIX *a3 = rescan(a, 1.02, 1.0, 35, -28);
    PIX *ga3 = to_gray(a3, 98, 12);
    expect(ga, ga3, false, "text page vs a 2 % larger print (gray)");
    pixDestroy(&a3);
    pixDestroy(&ga3);
    /* printed again 6 mm lower on the sheet: not where a refeed puts it */
    PIX *a4 = rescan(a, 1.0, 1.0, 0, 71);
    PIX *ga4 = to_gray(a4, 97, 12);
    expect(ga, ga4, false, "text page vs a print 6 mm lower (gray)");
    expect(a, a4, false, "text page vs a print 6 mm lower (1 bpp)");
    pixDestroy(&a4);
    pixDestroy(&ga4);
    PIX *gb = to_gray(b, 11, 12);
    double other = expect(ga, gb, false, "text page vs another page, same layout");
    CHECKF(same > other + 0.2, "margin: same %.3f other %.3f", same, other);
    PIX *b2 = rescan(b, 0.99, -1.0, -20, 30);
    expect(a2, b2, false, "two different rescanned pages");
    pixDestroy(&a);
    pixDestroy(&b);
    pixDestroy(&a2);
    pixDestroy(&b2);
    pixDestroy(&ga);
    pixDestroy(&ga2);
    pixDestroy(&gb);
}

/* One scan judged upside down by the analysis, the other left as delivered:
 * still a duplicate (the comparison also tries the page turned by 180). */
static void test_orientation_disagreement(void)
{
    PIX *a = text_page(3);
    PIX *turned = pixRotateOrth(a, 2);
    PIX *a2 = rescan(turned, 1.0, 0.8, 20, 15);
    static qr_signature sa, sb;
    qr_analysis aa, ab;
    if (sign(a, &sa, &aa)) {
        qr_profile prof;
        qr_profile_default(&prof);
        qr_err err = {0};
        CHECK_EQ_INT(qr_analyze(a2, 300, 300, &prof, &ab, &err), QR_OK);
        ab.orient_confident = false; /* as if detection had not decided */
        ab.orientation = 0;
        CHECK_EQ_INT(qr_signature_compute(a2, &ab, &sb, &err), QR_OK);
        double sim = -1;
        bool dup = qr_signature_is_duplicate(&sa, &sb, &prof, &sim);
        printf("%-44s similarity %.3f hash %2d -> %s\n", "page vs its rescan left upside down", sim,
               qr_signature_hash_distance(&sa, &sb), dup ? "duplicate" : "different");
        CHECK(dup);
    }
    pixDestroy(&a);
    pixDestroy(&turned);
    pixDestroy(&a2);
}

/* A photographed book page: the sheet (level 200) on a white ground (250)
 * that shows 20 mm around it; 1 bpp ink becomes level 30. */
static PIX *on_white_ground(PIX *bin)
{
    PIX *g = pixConvert1To8(NULL, bin, 200, 30);
    int m = 236; /* 20 mm */
    pixSetAllArbitrary(g, 250);
    PIX *inner = pixConvert1To8(NULL, bin, 200, 30);
    pixRasterop(g, m, m, W - 2 * m, H - 2 * m, PIX_SRC, inner, m, m);
    pixDestroy(&inner);
    pixCopyResolution(g, bin);
    return g;
}

/* A dark line from dirty glass down every page must not make two different
 * pages alike; a gray sheet as tall as the page is not such a line. */
static void test_streaks_and_sheets(void)
{
    PIX *a = text_page(5), *b = text_page(6);
    PIX *ga = to_gray(a, 21, 8), *gb = to_gray(b, 22, 8);
    for (int y = 0; y < H; y++)
        for (int x = 1400; x < 1403; x++) {
            pixSetPixel(ga, x, y, 40);
            pixSetPixel(gb, x, y, 40);
        }
    expect(ga, gb, false, "two pages with the same streak");
    PIX *a2 = rescan(a, 1.0, 0.3, 12, -10);
    PIX *wa = on_white_ground(a), *wa2 = on_white_ground(a2), *wb = on_white_ground(b);
    expect(wa, wa2, true, "photographed page vs its rescan");
    expect(wa, wb, false, "two photographed pages");
    pixDestroy(&a);
    pixDestroy(&b);
    pixDestroy(&ga);
    pixDestroy(&gb);
    pixDestroy(&a2);
    pixDestroy(&wa);
    pixDestroy(&wa2);
    pixDestroy(&wb);
}

static void test_blank(void)
{
    PIX *e = pixCreate(W, H, 1);
    pixSetResolution(e, 300, 300);
    PIX *b1 = to_gray(e, 5, 10), *b2 = to_gray(e, 6, 10);
    static qr_signature s1, s2;
    qr_analysis a1, a2;
    if (sign(b1, &s1, &a1) && sign(b2, &s2, &a2)) {
        CHECK(s1.valid && s1.blank && s2.blank);
        qr_profile prof;
        qr_profile_default(&prof);
        double sim = -1;
        CHECK(!qr_signature_is_duplicate(&s1, &s2, &prof, &sim));
        CHECK(sim == 0.0);
        printf("blank vs blank: similarity %.3f -> different\n", sim);
    }
    pixDestroy(&e);
    pixDestroy(&b1);
    pixDestroy(&b2);
}

static void test_errors(void)
{
    static qr_signature s;
    qr_analysis an;
    memset(&an, 0, sizeof an);
    qr_err err = {0};
    CHECK_EQ_INT(qr_signature_compute(NULL, &an, &s, &err), QR_EINVAL);
    CHECK(strstr(err.msg, "signature") != NULL);
    PIX *tiny = pixCreate(4, 4, 8);
    CHECK_EQ_INT(qr_signature_compute(tiny, &an, &s, &err), QR_EINVAL);
    CHECK(!s.valid);
    pixDestroy(&tiny);
}

static PIX *load(const char *name)
{
    char buf[4096];
    const char *path = qr_test_corpus(name, buf, sizeof buf);
    PIX *p = path ? pixRead(path) : NULL;
    CHECKF(p != NULL, "cannot read corpus file %s", name);
    return p;
}

static void test_real(void)
{
    char buf[4096];
    if (!qr_test_corpus("lept_feyn.tif", buf, sizeof buf)) {
        printf("note: no shared corpus ($QUIRE_SHARED); real-page checks skipped\n");
        return;
    }
    PIX *feyn = load("lept_feyn.tif"), *ps1 = load("lept_pageseg1.tif");
    PIX *ps2 = load("lept_pageseg2.tif"), *euro = load("tess_eurotext.tif");
    if (!feyn || !ps1 || !ps2 || !euro)
        goto done;
    PIX *copy = rescan(feyn, 1.0, -0.7, -22, 18);
    expect(feyn, copy, true, "lept_feyn vs its rescan");
    pixDestroy(&copy);
    /* on both sides of dup_max_shift_mm (2.2): 1.9 mm and 2.8 mm across */
    copy = rescan(feyn, 1.0, -0.3, 33, 0);
    expect(feyn, copy, false, "lept_feyn vs a print 2.8 mm across");
    pixDestroy(&copy);
    /* the same scanner: same scale; a feed's play of 1.7 / 1 mm and 0.9 deg */
    copy = rescan(ps1, 1.0, 0.9, 20, 12);
    expect(ps1, copy, true, "lept_pageseg1 vs its rescan");
    pixDestroy(&copy);
    /* the same page fed 2.5 deg more crooked: another print of it */
    copy = rescan(ps1, 1.0, 2.5, 20, 12);
    expect(ps1, copy, false, "lept_pageseg1 vs a print 2.5 deg apart");
    pixDestroy(&copy);
    expect(ps1, ps2, false, "lept_pageseg1 vs lept_pageseg2");
    expect(feyn, euro, false, "lept_feyn vs tess_eurotext");
done:
    pixDestroy(&feyn);
    pixDestroy(&ps1);
    pixDestroy(&ps2);
    pixDestroy(&euro);
}

int main(void)
{
    qr_stages_global_init();
    test_synthetic();
    test_orientation_disagreement();
    test_streaks_and_sheets();
    test_blank();
    test_errors();
    test_real();
    return qr_test_end();
}
