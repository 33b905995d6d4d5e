/*
 * bench_orient: the packed orientation statistic (stages/orient_bits.c)
 * against Leptonica's pixUpDownDetect + pixRotate90, side by side on the
 * same pages in the same run, with both directions measured as the
 * analysis does when a page is not surely upright.
 *
 * Usage: bench_orient [--reps N] PAGE...
 *
 * Each page is reduced to 150 dpi and thresholded at 160, then timed in all
 * four orientations, the two implementations alternating so that other load
 * on the machine falls on both. Times are thread CPU time. Prints one line
 * per page, the totals, the ratio, and the largest difference between the
 * two confidences.
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

static void one(PIX *bin, int reps, totals *t, double *lept_ms, double *ours_ms)
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

int main(int argc, char **argv)
{
    setMsgSeverity(L_SEVERITY_NONE);
    int reps = 5, first = 1;
    if (argc > 2 && strcmp(argv[1], "--reps") == 0) {
        reps = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: bench_orient [--reps N] PAGE...\n");
        return 2;
    }
    totals t = {0};
    printf("%-40s %10s %10s %7s\n", "page (4 turns x reps)", "lept ms", "packed ms", "ratio");
    for (int i = first; i < argc; i++) {
        PIX *b = at_150(argv[i]);
        if (!b) {
            fprintf(stderr, "%s: cannot read\n", argv[i]);
            continue;
        }
        double lm, om;
        one(b, reps, &t, &lm, &om);
        const char *base = strrchr(argv[i], '/');
        printf("%-40s %10.1f %10.1f %6.2fx\n", base ? base + 1 : argv[i], lm, om,
               om > 0 ? lm / om : 0.0);
        pixDestroy(&b);
    }
    if (t.pages == 0)
        return 1;
    printf("total: %d pages, leptonica %.1f ms, packed %.1f ms: %.2fx faster; "
           "largest confidence difference %.2f\n",
           t.pages, t.lept_ms, t.ours_ms, t.ours_ms > 0 ? t.lept_ms / t.ours_ms : 0.0,
           t.max_diff);
    return 0;
}
