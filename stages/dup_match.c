/*
 * dup_match.c: comparing two page signatures (the second half of duplicate
 * detection; dup.c computes them).
 *
 * Why this comparison: two scans of one sheet differ by a residual skew
 * (the analysis removes most of it), a shift of a few mm and a scale of up to
 * about 3 % between the copies. Each profile is first reduced to its detail
 * (the profile minus its 10 mm moving average), so that the common shape of
 * every text page (margins, then a block of ink) does not count, only the
 * positions and strengths of lines, paragraphs, indents and columns do. The
 * detail of one page is then matched against the other's over shifts of
 * +-SEARCH_MM and scales of +-SCALE_RANGE about the ink centroids, and the best
 * normalized cross-correlation is kept. Rows and columns must both agree: the
 * similarity is the geometric mean of the two axes' correlations, taken as
 * they are and with one page turned by 180 degrees (an orientation the
 * analysis decided for one scan but not the other).
 *
 * Pure functions of their arguments; any thread. Scratch arrays live on the
 * stack (a few KB).
 */
#include <math.h>
#include <string.h>

#include "dup_int.h"
#include "stages_int.h"

#define SMOOTH_BINS 21        /* moving-average window: about 10 mm */
#define SEARCH_BINS 20        /* shift search: +-10 mm after centroid alignment */
#define SCALE_RANGE 0.032     /* scale search: +-3.2 % */
#define SCALE_STEP 0.004
#define PAD (SEARCH_BINS + 1)

typedef struct detail {
    double v[QR_SIG_BINS];
    int n;
    double centroid; /* of the raw profile, in bins */
} detail;

/* Detail of a profile: the profile minus its centred moving average. */
static void make_detail(const float *p, int n, detail *d)
{
    double prefix[QR_SIG_BINS + 1];
    prefix[0] = 0;
    double mass = 0, moment = 0;
    for (int i = 0; i < n; i++) {
        double x = (double)p[i];
        prefix[i + 1] = prefix[i] + x;
        mass += x;
        moment += i * x;
    }
    for (int i = 0; i < n; i++) {
        int lo = i - SMOOTH_BINS / 2, hi = i + SMOOTH_BINS / 2 + 1;
        lo = lo < 0 ? 0 : lo;
        hi = hi > n ? n : hi;
        d->v[i] = (double)p[i] - (prefix[hi] - prefix[lo]) / (hi - lo);
    }
    d->n = n;
    d->centroid = mass > 0 ? moment / mass : n / 2.0;
}

static double interp(const detail *d, double x)
{
    if (x < 0 || x > d->n - 1)
        return 0.0;
    int i = (int)x;
    double f = x - i;
    return i + 1 < d->n ? d->v[i] * (1 - f) + d->v[i + 1] * f : d->v[i];
}

/* Best correlation of a with b resampled at one scale, over all shifts;
 * *shift receives the shift of the best one. */
static double best_at_scale(const detail *a, const detail *b, double s, double ea, int *shift)
{
    enum { RN = QR_SIG_BINS + 2 * PAD };
    double r[RN], e[RN + 1];
    int n = a->n;
    e[0] = 0;
    for (int k = 0; k < n + 2 * PAD; k++) {
        r[k] = interp(b, b->centroid + (k - PAD - a->centroid) * s);
        e[k + 1] = e[k] + r[k] * r[k];
    }
    double best = 0;
    *shift = 0;
    for (int t = -SEARCH_BINS; t <= SEARCH_BINS; t++) {
        const double *rt = r + PAD + t;
        double dot = 0;
        for (int i = 0; i < n; i++)
            dot += a->v[i] * rt[i];
        double eb = e[PAD + t + n] - e[PAD + t];
        if (eb > 0 && dot > 0 && dot / sqrt(ea * eb) > best) {
            best = dot / sqrt(ea * eb);
            *shift = t;
        }
    }
    return best;
}

/* Correlation of two profiles' details under the best shift and scale. a's
 * bin i meets b at b.centroid + (i + t - a.centroid) * s, so a's centroid
 * lies at b.centroid + t * s in b: that minus a.centroid is how far the ink
 * moved between the two scans. */
static void axis_fit(const float *pa, int na, const float *pb, int nb, qr_axis_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->scale = 1.0;
    if (na < 2 * SMOOTH_BINS || nb < 2 * SMOOTH_BINS)
        return;
    detail a, b;
    make_detail(pa, na, &a);
    make_detail(pb, nb, &b);
    double ea = 0;
    for (int i = 0; i < a.n; i++)
        ea += a.v[i] * a.v[i];
    if (ea <= 0)
        return;
    int steps = (int)lround(SCALE_RANGE / SCALE_STEP);
    for (int k = -steps; k <= steps; k++) {
        int t = 0;
        double sc = 1.0 + k * SCALE_STEP;
        double c = best_at_scale(&a, &b, sc, ea, &t);
        if (c > fit->corr) {
            fit->corr = c;
            fit->scale = sc;
            fit->shift_mm = (b.centroid + t * sc - a.centroid) * 25.4 / QR_SIG_DPI;
        }
    }
    fit->corr = fit->corr > 1.0 ? 1.0 : fit->corr;
}

static void reversed(const float *p, int n, float *out)
{
    for (int i = 0; i < n; i++)
        out[i] = p[n - 1 - i];
}

/* The orientation found by the analysis may differ between two scans of one
 * sheet (one confident "upside down", the other not), so b is also compared
 * turned by 180 degrees (both profiles reversed) and the better fit is kept. */
void qr_signature_fit(const qr_signature *a, const qr_signature *b, qr_axis_fit *rows,
                      qr_axis_fit *cols)
{
    memset(rows, 0, sizeof *rows);
    memset(cols, 0, sizeof *cols);
    if (!a || !b || !a->valid || !b->valid || a->blank || b->blank)
        return;
    axis_fit(a->hprof, a->hlen, b->hprof, b->hlen, rows);
    axis_fit(a->vprof, a->vlen, b->vprof, b->vlen, cols);
    float rh[QR_SIG_BINS], rv[QR_SIG_BINS];
    reversed(b->hprof, b->hlen, rh);
    reversed(b->vprof, b->vlen, rv);
    qr_axis_fit r2, c2;
    axis_fit(a->hprof, a->hlen, rh, b->hlen, &r2);
    axis_fit(a->vprof, a->vlen, rv, b->vlen, &c2);
    if (r2.corr * c2.corr > rows->corr * cols->corr) {
        *rows = r2;
        *cols = c2;
        rows->turned = cols->turned = true;
    }
}

void qr_signature_axes(const qr_signature *a, const qr_signature *b, double *h, double *v)
{
    qr_axis_fit rows, cols;
    qr_signature_fit(a, b, &rows, &cols);
    *h = rows.corr;
    *v = cols.corr;
}

double qr_signature_similarity(const qr_signature *a, const qr_signature *b)
{
    double h, v;
    qr_signature_axes(a, b, &h, &v);
    return sqrt(h * v);
}

int qr_signature_hash_distance(const qr_signature *a, const qr_signature *b)
{
    int d = __builtin_popcountll(a->phash ^ b->phash);
    int turned = __builtin_popcountll(a->phash ^ b->phash180);
    return turned < d ? turned : d;
}

static double change(double x, double y)
{
    return x > 0 ? fabs(y / x - 1.0) : (y > 0 ? 1.0 : 0.0);
}

/* Any sheet fed twice is scanned in the same mode (the scanner's colour
 * detection sees the same sheet), lies about as straight as the first time
 * (the feeder guides it) and lands where it did before, give or take the
 * feed, at the scanner's fixed scale, while another print of the same page
 * sits where, at the angle and at the size its printer and its own feed made
 * it; the place cannot be judged when the match needed one page turned.
 * Gray and colour pages also keep their paper, tone, ink and scale; a second
 * print (a form filled twice, a copy) differs in at least one. Bitonal pages
 * carry no tone. */
static bool same_sheet(const qr_signature *a, const qr_signature *b, const qr_axis_fit *rows,
                       const qr_axis_fit *cols, const qr_profile *p)
{
    if (a->toned != b->toned)
        return false;
    if (a->skew_found && b->skew_found && fabs(a->skew_deg - b->skew_deg) > p->dup_max_skew_delta)
        return false;
    if (fabs(rows->scale - 1.0) > p->dup_max_fit_scale ||
        fabs(cols->scale - 1.0) > p->dup_max_fit_scale)
        return false;
    if (!rows->turned && (fabs(rows->shift_mm) > p->dup_max_shift_mm ||
                          fabs(cols->shift_mm) > p->dup_max_shift_mm))
        return false;
    if (!a->toned || !b->toned)
        return true;
    if (fabs((double)(a->paper_luma - b->paper_luma)) > p->dup_max_paper_delta ||
        fabs(a->mean_luma - b->mean_luma) > p->dup_max_tone_delta ||
        change(a->ink_fraction, b->ink_fraction) > p->dup_max_ink_change)
        return false;
    if (a->content_w_mm > 0 && b->content_w_mm > 0 &&
        change(a->content_w_mm, b->content_w_mm) > p->dup_max_scale_change)
        return false;
    return true;
}

bool qr_signature_is_duplicate(const qr_signature *a, const qr_signature *b,
                               const qr_profile *p, double *similarity)
{
    bool candidate = a && b && a->valid && b->valid && !a->blank && !b->blank &&
                     qr_signature_hash_distance(a, b) <= p->dup_max_hash_distance;
    if (!candidate && !similarity)
        return false;
    qr_axis_fit rows, cols;
    qr_signature_fit(a, b, &rows, &cols);
    double s = sqrt(rows.corr * cols.corr);
    if (similarity)
        *similarity = s;
    return candidate && s >= p->dup_min_similarity && same_sheet(a, b, &rows, &cols, p);
}
