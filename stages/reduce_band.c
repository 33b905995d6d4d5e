/*
 * reduce_band.c: the analysis copy of a page too large to hold whole.
 *
 * Why: a 19000 x 19000 RGB page is 1.4 GB decoded, and the analysis never
 * reads a gray or colour page at full resolution: qr_reduce brings it to
 * analysis_dpi (150) and looks twice as fine (qr_reduce_fine) only for a
 * second opinion on orientation. So a page that formats/ hands over band by
 * band (qr_image_decode_bands) is reduced as its rows arrive, to 8 bpp luma
 * at twice analysis_dpi (or its own resolution when that is lower), and only
 * that copy is kept: memory is the copy plus one band of the page, whatever
 * the page's size. The analysis then runs on the copy as on any 300 dpi gray
 * page, and qr_analysis_of_page states the result for the page itself.
 *
 * Reduction is area averaging, as Leptonica's pixScaleAreaMap does for a
 * whole page: each reduced pixel is the mean of the source pixels it covers,
 * those cut by its edges weighted by the part inside. Colour is turned into
 * luma first, with the Rec. 601 weights of qr_rgb_luma (kept unrounded). The
 * reduced size is the page's size scaled and rounded, and the scale is then
 * taken from the rounded size, so that reduced pixels tile the page exactly;
 * the resolution handed to the analysis is scaled alike, so sizes in mm
 * come out the same.
 *
 * One band at a time, on the decoding worker's thread.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stages_int.h"

struct qr_band_reducer {
    int w, h, depth;      /* the page */
    int rw, rh;           /* the reduced copy */
    double fx, fy;        /* page pixels per reduced pixel on each axis (>= 1) */
    double xdpi, ydpi;    /* the copy's resolution; 0 when the page has none */
    int *x0, *nx;         /* per reduced column: first page column, how many */
    double *wfirst, *wlast; /* weights of its first and last page column */
    float *luma;          /* one page row as luma */
    double *hrow;         /* one page row reduced across */
    double *acc;          /* the reduced row being gathered */
    double acc_h;         /* page rows (or parts) gathered into it */
    int y, ry;            /* next page row, next reduced row */
    PIX *out;
};

/* Reduced size of one axis and the resolution the copy gets there. */
static int reduced_size(int n, double dpi, int w, int h, const qr_profile *prof, double *f,
                        double *rdpi)
{
    double e = qr_effective_dpi(dpi, w, h), s = fmin(1.0, 2.0 * prof->analysis_dpi / e);
    long r = lround(n * s);
    long least = n < 8 ? n : 8;
    if (r < least)
        r = least;
    *f = (double)n / (double)r;
    *rdpi = dpi > 0 ? dpi / *f : 0.0;
    return (int)r;
}

/* Which page columns each reduced column covers, and with what weight. */
static void column_spans(qr_band_reducer *r)
{
    for (int X = 0; X < r->rw; X++) {
        double a = X * r->fx, b = X == r->rw - 1 ? r->w : (X + 1) * r->fx;
        int first = (int)floor(a), last = (int)ceil(b) - 1;
        if (last >= r->w)
            last = r->w - 1;
        r->x0[X] = first;
        r->nx[X] = last - first + 1;
        r->wfirst[X] = fmin(first + 1.0, b) - a;
        r->wlast[X] = last > first ? b - last : r->wfirst[X];
    }
}

static int alloc_arrays(qr_band_reducer *r)
{
    size_t rw = (size_t)r->rw;
    r->x0 = malloc(rw * sizeof *r->x0);
    r->nx = malloc(rw * sizeof *r->nx);
    r->wfirst = malloc(rw * sizeof *r->wfirst);
    r->wlast = malloc(rw * sizeof *r->wlast);
    r->hrow = malloc(rw * sizeof *r->hrow);
    r->acc = calloc(rw, sizeof *r->acc);
    r->luma = malloc((size_t)r->w * sizeof *r->luma);
    r->out = pixCreate(r->rw, r->rh, 8);
    bool ok = r->x0 && r->nx && r->wfirst && r->wlast && r->hrow && r->acc && r->luma && r->out;
    return ok ? QR_OK : QR_ENOMEM;
}

int qr_band_reducer_new(int width, int height, int depth, double xdpi, double ydpi,
                        const qr_profile *prof, qr_band_reducer **out, qr_err *err)
{
    *out = NULL;
    if (width < 1 || height < 1 || (depth != 8 && depth != 32) || !prof)
        return qr_err_set(err, QR_EINVAL, "analysis: cannot reduce a %d x %d page at %d bpp",
                          width, height, depth);
    qr_band_reducer *r = calloc(1, sizeof *r);
    if (!r)
        return qr_err_set(err, QR_ENOMEM, "analysis: out of memory");
    r->w = width;
    r->h = height;
    r->depth = depth;
    r->rw = reduced_size(width, xdpi, width, height, prof, &r->fx, &r->xdpi);
    r->rh = reduced_size(height, ydpi, width, height, prof, &r->fy, &r->ydpi);
    if (alloc_arrays(r) != QR_OK) {
        qr_band_reducer_free(&r);
        return qr_err_set(err, QR_ENOMEM, "analysis: out of memory reducing a %dx%d page",
                          width, height);
    }
    column_spans(r);
    pixSetResolution(r->out, (l_int32)lround(r->xdpi), (l_int32)lround(r->ydpi));
    *out = r;
    return QR_OK;
}

static void luma_of(qr_band_reducer *r, const uint32_t *line)
{
    if (r->depth == 8) {
        for (int x = 0; x < r->w; x++)
            r->luma[x] = (float)GET_DATA_BYTE(line, x);
        return;
    }
    for (int x = 0; x < r->w; x++) {
        uint32_t p = line[x];
        r->luma[x] = 0.299f * (float)((p >> L_RED_SHIFT) & 0xff) +
                     0.587f * (float)((p >> L_GREEN_SHIFT) & 0xff) +
                     0.114f * (float)((p >> L_BLUE_SHIFT) & 0xff);
    }
}

static void reduce_across(qr_band_reducer *r)
{
    for (int X = 0; X < r->rw; X++) {
        const float *v = r->luma + r->x0[X];
        int n = r->nx[X];
        double s = r->wfirst[X] * (double)v[0];
        for (int k = 1; k < n - 1; k++)
            s += (double)v[k];
        if (n > 1)
            s += r->wlast[X] * (double)v[n - 1];
        r->hrow[X] = s;
    }
}

/* The gathered row as reduced row ry, divided by the area it covers. */
static void emit_row(qr_band_reducer *r, double area)
{
    uint32_t *line = pixGetData(r->out) + (size_t)r->ry * (size_t)pixGetWpl(r->out);
    for (int X = 0; X < r->rw; X++) {
        long v = lround(r->acc[X] / area);
        SET_DATA_BYTE(line, X, v < 0 ? 0 : v > 255 ? 255 : v);
        r->acc[X] = 0;
    }
    r->ry++;
    r->acc_h = 0;
}

/* One page row, whose height may fall into two reduced rows. */
static void add_row(qr_band_reducer *r)
{
    double left = 1.0;
    while (left > 1e-9 && r->ry < r->rh) {
        double take = fmin(left, r->fy - r->acc_h);
        for (int X = 0; X < r->rw; X++)
            r->acc[X] += take * r->hrow[X];
        r->acc_h += take;
        left -= take;
        if (r->acc_h >= r->fy - 1e-9)
            emit_row(r, r->fx * r->fy);
    }
}

int qr_band_reducer_rows(qr_band_reducer *r, const PIX *cband, qr_err *err)
{
    PIX *band = (PIX *)cband; /* Leptonica's getters are not const-correct; never written */
    int n = pixGetHeight(band), wpl = pixGetWpl(band);
    if (pixGetWidth(band) != r->w || pixGetDepth(band) != r->depth || n > r->h - r->y)
        return qr_err_set(err, QR_EINVAL, "analysis: a band of %dx%d at %d bpp does not fit a "
                          "%dx%d page at %d bpp", pixGetWidth(band), n, pixGetDepth(band),
                          r->w, r->h, r->depth);
    const uint32_t *data = pixGetData(band);
    for (int k = 0; k < n; k++, r->y++) {
        luma_of(r, data + (size_t)k * (size_t)wpl);
        reduce_across(r);
        add_row(r);
    }
    return QR_OK;
}

PIX *qr_band_reducer_finish(qr_band_reducer **rp, double *xdpi, double *ydpi, qr_err *err)
{
    qr_band_reducer *r = *rp;
    PIX *out = NULL;
    if (r->y != r->h) {
        qr_err_set(err, QR_EINVAL, "analysis: %d of %d rows reduced", r->y, r->h);
    } else {
        if (r->ry < r->rh && r->acc_h > 0) /* rounding left the last row short */
            emit_row(r, r->fx * r->acc_h);
        out = r->out;
        r->out = NULL;
        *xdpi = r->xdpi;
        *ydpi = r->ydpi;
    }
    qr_band_reducer_free(rp);
    return out;
}

void qr_band_reducer_free(qr_band_reducer **rp)
{
    qr_band_reducer *r = rp ? *rp : NULL;
    if (!r)
        return;
    free(r->x0);
    free(r->nx);
    free(r->wfirst);
    free(r->wlast);
    free(r->luma);
    free(r->hrow);
    free(r->acc);
    pixDestroy(&r->out);
    free(r);
    *rp = NULL;
}

void qr_analysis_of_page(qr_analysis *a, int width, int height, int depth, double xdpi,
                         double ydpi, const qr_profile *prof)
{
    if (a->width > 0 && a->height > 0) {
        double k = sqrt((double)width / a->width * (double)height / a->height);
        if (a->char_px > 0)
            a->char_px *= k;
        if (a->char_across_px > 0)
            a->char_across_px *= k;
    }
    a->width = width;
    a->height = height;
    a->depth = depth;
    a->xdpi = xdpi > 0 ? xdpi : 0.0;
    a->ydpi = ydpi > 0 ? ydpi : 0.0;
    a->dpi = a->xdpi > 0 && a->ydpi > 0 ? fmin(a->xdpi, a->ydpi) : 0.0;
    a->low_dpi = a->dpi > 0 && a->dpi < prof->min_dpi;
}
