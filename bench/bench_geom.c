/*
 * bench_geom: the two analysis measurements quire computes itself, each
 * against the Leptonica call it replaces, side by side on the same pages in
 * the same run:
 *   orient  the packed orientation statistic (stages/orient_bits.c) against
 *           pixUpDownDetect + pixRotate90, both directions, each page in
 *           all four orientations;
 *   skew    the strip-projection search (stages/skew_proj.c) against
 *           pixFindSkewSweepAndSearchScorePivot with the analysis's
 *           parameters (half-resolution sweep in 1 deg steps, search to
 *           0.01 deg, pivot at the centre), each page turned by 0, -0.37,
 *           1.23 and -2.71 deg (near sweep, +-5 deg) and by -7.5, 13.2 and
 *           -21 deg (wide sweep, +-30 deg) and cut to its ink;
 *   marks   the run-based 8-connected marks with boxes (stages/marks.c)
 *           against pixConnCompBB, on the page as it lies.
 *
 * Usage: bench_geom orient|skew|marks [--reps N] PAGE...
 *
 * Each page is reduced to 150 dpi and thresholded at 160. The two
 * implementations alternate so that other load on the machine falls on
 * both; times are thread CPU time. Prints one line per page, the totals,
 * the ratio, and the largest difference: of the confidences (orient), of
 * the angles where Leptonica is sure, score ratio >= 2 (skew), or of the
 * mark counts (marks).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "stages_int.h"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static PIX *at_150(const char *path)
{
    PIX *src = pixRead(path);
    if (!src)
        return NULL;
    int dpi = pixGetXRes(src) > 0 ? pixGetXRes(src) : 300;
    PIX *g = pixConvertTo8(src, 0);
    PIX *s = g ? pixScale(g, 150.0f / (float)dpi, 150.0f / (float)dpi) : NULL;
    PIX *b = s ? pixThresholdToBinary(s, 160) : NULL;
    pixDestroy(&s);
    pixDestroy(&g);
    pixDestroy(&src);
    return b;
}

typedef struct totals {
    double lept_ms, ours_ms, max_diff;
    int pages;
} totals;

static void orient_one(PIX *bin, int reps, totals *t, double *lept_ms, double *ours_ms)
{
    *lept_ms = *ours_ms = 0.0;
    for (int q = 0; q < 4; q++) {
        PIX *r = pixRotateOrth(bin, q);
        l_float32 lu = 0.0f, ll = 0.0f;
        double up = 0.0, left = 0.0;
        for (int k = 0; k < reps; k++) {
            double t0 = cpu_ms();
            pixUpDownDetect(r, &lu, 0, 0, 0);
            PIX *turned = pixRotate90(r, 1);
            pixUpDownDetect(turned, &ll, 0, 0, 0);
            pixDestroy(&turned);
            double t1 = cpu_ms();
            qr_orient_confs(r, 1e9, &up, &left);
            double t2 = cpu_ms();
            *lept_ms += t1 - t0;
            *ours_ms += t2 - t1;
        }
        t->max_diff = fmax(t->max_diff, fmax(fabs(up - (double)lu), fabs(left - (double)ll)));
        pixDestroy(&r);
    }
    t->lept_ms += *lept_ms;
    t->ours_ms += *ours_ms;
    t->pages++;
}

static const double TURNS[] = {0.0, -0.37, 1.23, -2.71, -7.5, 13.2, -21.0};

static void skew_one(PIX *bin, int reps, totals *t, double *lept_ms, double *ours_ms)
{
    *lept_ms = *ours_ms = 0.0;
    for (size_t q = 0; q < sizeof TURNS / sizeof *TURNS; q++) {
        PIX *r = pixRotate(bin, (l_float32)(TURNS[q] * 3.14159265358979 / 180.0),
                           L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0);
        PIX *c = NULL;
        pixClipToForeground(r, &c, NULL);
        pixDestroy(&r);
        if (!c)
            continue;
        double range = fabs(TURNS[q]) > 4.5 ? 30.0 : 5.0;
        int red = pixGetWidth(c) >= 800 ? 2 : 1;
        l_float32 la = 0.0f, lc = 0.0f;
        double a = 0.0, conf = 0.0;
        for (int k = 0; k < reps; k++) {
            double t0 = cpu_ms();
            pixFindSkewSweepAndSearchScorePivot(c, &la, &lc, NULL, red, 1, 0.0f,
                                                (l_float32)range, 1.0f, 0.01f,
                                                L_SHEAR_ABOUT_CENTER);
            double t1 = cpu_ms();
            qr_skew_sweep_search(c, red, range, -1.0, &a, &conf);
            double t2 = cpu_ms();
            *lept_ms += t1 - t0;
            *ours_ms += t2 - t1;
        }
        if ((double)lc >= 2.0)
            t->max_diff = fmax(t->max_diff, fabs(a - (double)la));
        pixDestroy(&c);
    }
    t->lept_ms += *lept_ms;
    t->ours_ms += *ours_ms;
    t->pages++;
}

static void marks_one(PIX *bin, int reps, totals *t, double *lept_ms, double *ours_ms)
{
    *lept_ms = *ours_ms = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_ms();
        BOXA *b = pixConnCompBB(bin, 8);
        double t1 = cpu_ms();
        qr_mark *m = NULL;
        int n = 0;
        qr_find_marks(bin, &m, &n);
        double t2 = cpu_ms();
        *lept_ms += t1 - t0;
        *ours_ms += t2 - t1;
        double d = fabs((double)n - (b ? boxaGetCount(b) : 0));
        if (d > t->max_diff)
            t->max_diff = d;
        free(m);
        boxaDestroy(&b);
    }
    t->lept_ms += *lept_ms;
    t->ours_ms += *ours_ms;
    t->pages++;
}

typedef void (*bench_fn)(PIX *, int, totals *, double *, double *);

int main(int argc, char **argv)
{
    setMsgSeverity(L_SEVERITY_NONE);
    bool orient = argc > 1 && strcmp(argv[1], "orient") == 0;
    bool skew = argc > 1 && strcmp(argv[1], "skew") == 0;
    bool marks = argc > 1 && strcmp(argv[1], "marks") == 0;
    int reps = 5, first = 2;
    if (argc > 3 && strcmp(argv[2], "--reps") == 0) {
        reps = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
        first = 4;
    }
    if ((!orient && !skew && !marks) || first >= argc) {
        fprintf(stderr, "usage: bench_geom orient|skew|marks [--reps N] PAGE...\n");
        return 2;
    }
    bench_fn fn = orient ? orient_one : skew ? skew_one : marks_one;
    const char *ours = orient ? "packed" : skew ? "strips" : "runs";
    totals t = {0};
    printf("%-40s %10s %7s ms %7s\n",
           orient ? "page (4 turns x reps)" : skew ? "page (7 turns x reps)" : "page (x reps)",
           "lept ms", ours, "ratio");
    for (int i = first; i < argc; i++) {
        PIX *b = at_150(argv[i]);
        if (!b) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            continue;
        }
        double lm, om;
        fn(b, reps, &t, &lm, &om);
        const char *base = strrchr(argv[i], '/');
        printf("%-40s %10.1f %10.1f %6.2fx\n", base ? base + 1 : argv[i], lm, om,
               om > 0 ? lm / om : 0.0);
        pixDestroy(&b);
    }
    if (t.pages == 0)
        return 1;
    printf("total: %d pages, leptonica %.1f ms, %s %.1f ms: %.2fx faster; largest %s "
           "difference %.3f\n",
           t.pages, t.lept_ms, ours, t.ours_ms, t.ours_ms > 0 ? t.lept_ms / t.ours_ms : 0.0,
           orient ? "confidence" : skew ? "angle (deg)" : "mark count", t.max_diff);
    return 0;
}
