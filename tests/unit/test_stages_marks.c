/*
 * Unit tests of the run-based marks (stages/marks.c) against Leptonica's
 * pixConnCompBB, which the profile's mark-size thresholds were tuned on.
 *
 * What must hold, image by image: the same number of 8-connected marks and
 * the same set of bounding boxes, and areas that add up to the ink. Images:
 * synthetic text at widths that end inside, at and past a 32-bit word (with
 * junk in the padding bits); salt noise dense enough that marks merge
 * through long chains; runs that touch only at a corner or across a word
 * boundary; an empty and a full image; and, when the shared corpus is
 * present, real pages at the analysis's 150 dpi.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"
#include "stages_int.h"

static int cmp_box(const void *pa, const void *pb)
{
    const int *a = pa, *b = pb;
    for (int i = 0; i < 4; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Boxes as sorted x, y, w, h quadruples. */
static int *sorted_boxes(const qr_mark *m, BOXA *ba, int n)
{
    int *q = calloc((size_t)n * 4 + 1, sizeof *q);
    for (int i = 0; i < n && q; i++) {
        if (m) {
            q[4 * i] = m[i].x, q[4 * i + 1] = m[i].y, q[4 * i + 2] = m[i].w, q[4 * i + 3] = m[i].h;
        } else {
            boxaGetBoxGeometry(ba, i, &q[4 * i], &q[4 * i + 1], &q[4 * i + 2], &q[4 * i + 3]);
        }
    }
    if (q)
        qsort(q, (size_t)n, 4 * sizeof *q, cmp_box);
    return q;
}

static void compare(PIX *pix, const char *what)
{
    BOXA *want = pixConnCompBB(pix, 8);
    int nw = want ? boxaGetCount(want) : -1;
    qr_mark *m = NULL;
    int n = -1;
    int rc = qr_find_marks(pix, &m, &n);
    CHECKF(rc == QR_OK && n == nw, "%s: %d marks, Leptonica %d", what, n, nw);
    if (rc == QR_OK && n == nw && n > 0) {
        int *a = sorted_boxes(m, NULL, n), *b = sorted_boxes(NULL, want, n);
        int diff = a && b ? memcmp(a, b, (size_t)n * 4 * sizeof *a) : -1;
        CHECKF(diff == 0, "%s: the same %d boxes", what, n);
        free(a);
        free(b);
    }
    long long area = 0;
    for (int i = 0; i < n; i++)
        area += m[i].area;
    l_int32 ink = 0;
    pixCountPixels(pix, &ink, NULL);
    CHECKF(area == ink, "%s: areas add up to %lld, ink %d", what, area, ink);
    free(m);
    boxaDestroy(&want);
}

static void test_text(void)
{
    static const int widths[] = {31, 32, 33, 64, 65, 333, 1001};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        PIX *pix = qr_test_text_page(widths[i], 200, 10, 2);
        char what[64];
        snprintf(what, sizeof what, "text %d px wide", widths[i]);
        CHECKF(pix != NULL, "%s: made", what);
        if (!pix)
            continue;
        qr_test_dirty_padding(pix);
        compare(pix, what);
        pixDestroy(&pix);
    }
}

static void test_noise(void)
{
    static const double density[] = {0.05, 0.3, 0.45, 0.6};
    srand(7);
    for (size_t d = 0; d < sizeof density / sizeof density[0]; d++) {
        PIX *pix = pixCreate(517, 300, 1);
        for (int y = 0; y < 300; y++)
            for (int x = 0; x < 517; x++)
                if (rand() < density[d] * RAND_MAX)
                    pixSetPixel(pix, x, y, 1);
        char what[64];
        snprintf(what, sizeof what, "salt noise at %.0f %%", 100 * density[d]);
        compare(pix, what);
        pixDestroy(&pix);
    }
}

static void test_corners(void)
{
    PIX *pix = pixCreate(100, 10, 1);
    /* a diagonal staircase crossing the word boundary at x = 32: one mark */
    for (int i = 0; i < 6; i++)
        pixSetPixel(pix, 29 + i, i, 1);
    /* a run ending at x = 63 and one starting at x = 64 on the next row */
    pixRasterop(pix, 40, 7, 24, 1, PIX_SET, NULL, 0, 0);
    pixRasterop(pix, 64, 8, 20, 1, PIX_SET, NULL, 0, 0);
    /* two runs a pixel apart on one row, joined by none: two marks */
    pixRasterop(pix, 88, 2, 3, 1, PIX_SET, NULL, 0, 0);
    pixRasterop(pix, 92, 2, 3, 1, PIX_SET, NULL, 0, 0);
    /* a U: two arms joined below, after both were seen */
    pixRasterop(pix, 2, 2, 1, 6, PIX_SET, NULL, 0, 0);
    pixRasterop(pix, 6, 2, 1, 6, PIX_SET, NULL, 0, 0);
    pixRasterop(pix, 2, 8, 5, 1, PIX_SET, NULL, 0, 0);
    compare(pix, "corners and word boundaries");
    qr_mark *m = NULL;
    int n = 0;
    CHECKF(qr_find_marks(pix, &m, &n) == QR_OK && n == 5, "5 marks, found %d", n);
    free(m);
    pixClearAll(pix);
    CHECKF(qr_find_marks(pix, &m, &n) == QR_OK && n == 0 && m == NULL, "empty: no marks");
    pixSetAll(pix);
    compare(pix, "all ink");
    CHECKF(qr_find_marks(pix, NULL, &n) == QR_OK && n == 1, "all ink, count only: %d", n);
    pixDestroy(&pix);
    PIX *gray = pixCreate(8, 8, 8);
    CHECKF(qr_find_marks(gray, NULL, &n) == QR_EINVAL, "8 bpp refused");
    pixDestroy(&gray);
}

static void test_real(void)
{
    static const char *const names[] = {"lept_feyn.tif", "lept_rabi.png", "ocrmypdf_linn.tif",
                                        "lept_zanotti-78.jpg", "libtiff_testfax4.tiff",
                                        "lept_harmoniam-11.tif"};
    char buf[4096];
    if (!qr_test_corpus(names[0], buf, sizeof buf)) {
        printf("corpus part skipped: QUIRE_SHARED/corpus/real not present\n");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        PIX *pix = qr_test_corpus_150(names[i]);
        if (pix)
            compare(pix, names[i]);
        pixDestroy(&pix);
    }
}

int main(void)
{
    test_text();
    test_noise();
    test_corners();
    test_real();
    return qr_test_end();
}
