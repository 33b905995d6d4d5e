/*
 * skew_proj.c: the skew sweep and search on strip projections.
 *
 * The measure is Leptonica's (pixFindSkewSweepAndSearchScorePivot, pivot
 * at the centre): shear the page vertically by each angle of a 1 deg sweep
 * at half resolution, score each by the sum of squared differences of
 * neighbouring row counts (text lines aligned with the rows give sharp
 * steps at their baselines and x-heights), then halve the step around the
 * best angle down to 0.01 deg at full resolution. The confidence is the
 * best score over the worst one of the search, with Leptonica's guards
 * (too few pixels, best angle at the edge of the sweep), so the profile's
 * confidence thresholds keep their meaning.
 *
 * Why not call Leptonica: it shears the whole page for every angle (one
 * raster operation per band of columns) and then counts every row, 27 times
 * for a near sweep and 77 times for a wide one, which made the skew the
 * largest part of the analysis. Here the page is read once into the ink
 * counts of 4-pixel-wide strips; a sheared page's row counts are then the
 * strips' counts added at each strip's offset, a few thousand vector
 * additions per angle instead of a shear. The strip is the only
 * approximation: its pixels share one offset, so at 5 deg a strip's ink is
 * placed within 0.35 px of where the shear puts it (test_stages_skew
 * compares the two on real and synthetic pages).
 *
 * Runs on the calling thread; all buffers are the call's own.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stages_int.h"

/* Pixels per strip: a nibble of a Leptonica word, or two pixels for the
 * wide sweep (see qr_skew_sweep_search). */
#define STRIP 4
#define STRIP_WIDE 2
/* Leptonica's guards: a best score under this means too little text, and
 * a worst score under MIN_FACTOR * w^2 * h means a page nearly all ink. */
#define MIN_VALID_MAX 10000.0
#define MIN_FACTOR 0.000002

/* Ink counts of each strip on each row, strip-major (a strip's rows are
 * contiguous, so adding it at an offset is one vectorisable loop). */
typedef struct strips {
    int w, h, n;
    int width; /* pixels per strip: STRIP or STRIP_WIDE */
    uint8_t *cnt; /* n * h */
    int32_t *rows; /* h: the sheared page's row counts (work area) */
} strips;

static void strips_free(strips *s)
{
    free(s->cnt);
    free(s->rows);
    s->cnt = NULL;
    s->rows = NULL;
}

static int strips_build(PIX *bin, int width, strips *s)
{
    s->width = width;
    s->w = pixGetWidth(bin);
    s->h = pixGetHeight(bin);
    s->n = (s->w + width - 1) / width;
    s->cnt = malloc((size_t)s->n * (size_t)s->h);
    s->rows = malloc((size_t)s->h * sizeof *s->rows);
    if (!s->cnt || !s->rows) {
        strips_free(s);
        return -1;
    }
    pixSetPadBits(bin, 0);
    const l_uint32 *data = pixGetData(bin);
    int wpl = pixGetWpl(bin), h = s->h, per = 32 / width;
    l_uint32 mask = (1u << width) - 1u;
    size_t hs = (size_t)h;
    for (int y = 0; y < h; y++) {
        const l_uint32 *line = data + (size_t)y * (size_t)wpl;
        uint8_t *out = s->cnt + (size_t)y;
        for (int i = 0; i < wpl; i++) {
            /* every 2-bit group, then (width 4) every nibble, becomes its
             * own pixel count */
            l_uint32 v = line[i] - ((line[i] >> 1) & 0x55555555u);
            if (width == 4)
                v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
            int k0 = per * i, kn = s->n - k0 < per ? s->n - k0 : per;
            for (int k = 0; k < kn; k++)
                out[(size_t)(k0 + k) * hs] = (uint8_t)((v >> (32 - width * (k + 1))) & mask);
        }
    }
    return 0;
}

/* The differential square sum of the page sheared by theta (deg) about its
 * centre: column x moves down by (x - w/2) tan(theta); rows moved off the
 * page are lost. Rows within nskip of the top and bottom are not scored, as
 * in Leptonica (at most 10 % of the height, 5 % of the width). */
static double score(strips *s, double theta)
{
    int h = s->h;
    int32_t *q = s->rows;
    memset(q, 0, (size_t)h * sizeof *q);
    double t = tan(QR_DEG2RAD * theta), xc = (double)(s->w / 2);
    for (int k = 0; k < s->n; k++) {
        int d = (int)lround(((double)(s->width * k) + 0.5 * (s->width - 1) - xc) * t);
        if (d >= h || d <= -h)
            continue;
        const uint8_t *c = s->cnt + (size_t)k * (size_t)h;
        int y0 = d < 0 ? -d : 0, y1 = d > 0 ? h - d : h;
        int32_t *qd = q + d;
        for (int y = y0; y < y1; y++)
            qd[y] += c[y];
    }
    int skip = h / 10 < (int)(0.05 * s->w) ? h / 10 : (int)(0.05 * s->w);
    int nskip = skip / 2 > 1 ? skip / 2 : 1;
    double sum = 0.0;
    for (int i = nskip; i < h - nskip; i++) {
        double diff = (double)(q[i] - q[i - 1]);
        sum += diff * diff;
    }
    return sum;
}

/* The 1 deg sweep: the best angle, or false when it lies on the sweep's
 * edge (Leptonica then reports angle 0 with no confidence). */
static bool sweep(strips *s, double range, double delta, double *best)
{
    int n = (int)(2.0 * range / delta + 1.0);
    double max = -1.0;
    int at = 0;
    for (int i = 0; i < n; i++) {
        double sc = score(s, -range + i * delta);
        if (sc > max) {
            max = sc;
            at = i;
        }
    }
    *best = -range + at * delta;
    return at != 0 && at != n - 1;
}

/* Interval halving around centre from delta down to minbs: the angle, the
 * best score and the worst score seen. */
static double search(strips *s, double centre, double delta, double minbs, double *max,
                     double *min)
{
    double sc[5];
    sc[2] = score(s, centre);
    sc[0] = score(s, centre - delta);
    sc[4] = score(s, centre + delta);
    *min = fmin(sc[2], fmin(sc[0], sc[4]));
    *max = sc[2];
    for (double d = 0.5 * delta; d >= minbs; d *= 0.5) {
        sc[1] = score(s, centre - d);
        sc[3] = score(s, centre + d);
        *min = fmin(*min, fmin(sc[1], sc[3]));
        int at = 1;
        for (int i = 2; i < 4; i++)
            if (sc[i] > sc[at])
                at = i;
        double l = sc[at - 1], r = sc[at + 1];
        sc[2] = sc[at];
        sc[0] = l;
        sc[4] = r;
        centre += d * (at - 2);
        *max = sc[2];
    }
    return centre;
}

static bool all_paper(PIX *p)
{
    l_int32 empty = 1;
    return pixZero(p, &empty) != 0 || empty;
}

/* The analysis's steps: 1 deg in the sweep, halved down to 0.01 deg. */
#define SWEEP_DELTA 1.0
#define SEARCH_MIN_DELTA 0.01

int qr_skew_sweep_search(PIX *bin, int redsweep, double range, double beyond, double *angle,
                         double *conf)
{
    *angle = *conf = 0.0;
    if (!bin || pixGetDepth(bin) != 1 || all_paper(bin))
        return 1;
    PIX *half = redsweep == 2 ? pixReduceRankBinaryCascade(bin, 1, 0, 0, 0) : pixClone(bin);
    strips sw = {0}, sch = {0};
    int rc = 1;
    /* A wide sweep's large angles would spread a 4-pixel strip over 1.5 px
     * of the half-resolution page, enough to move its best angle to the
     * next degree (seed 11: 21 instead of 20 deg on a page skewed 20.4), and
     * the search's window and confidence with it; 2-pixel strips keep
     * it where an exact shear puts it. */
    int width = range > 5.0 ? STRIP_WIDE : STRIP;
    if (!half || strips_build(half, width, &sw) != 0) {
        rc = -1;
        goto done;
    }
    double centre;
    rc = 0;
    if (!sweep(&sw, range, SWEEP_DELTA, &centre))
        goto done;
    if (fabs(centre) <= beyond) {
        *angle = centre;
        goto done;
    }
    if (strips_build(bin, STRIP, &sch) != 0) {
        rc = -1;
        goto done;
    }
    double max = 0.0, min = 0.0;
    centre = search(&sch, centre, SWEEP_DELTA, SEARCH_MIN_DELTA, &max, &min);
    *angle = centre;
    double thresh = MIN_FACTOR * (double)sch.w * (double)sch.w * (double)sch.h;
    *conf = min > thresh ? max / min : 0.0;
    if (centre > range - SWEEP_DELTA || centre < -range + SWEEP_DELTA || max < MIN_VALID_MAX)
        *conf = 0.0;
done:
    strips_free(&sw);
    strips_free(&sch);
    pixDestroy(&half);
    return rc;
}

