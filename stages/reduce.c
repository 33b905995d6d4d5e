/*
 * reduce.c: build the reduced page every analysis reads.
 *
 * Why: skew, orientation, ink and exposure do not need 300 dpi; at about
 * 150 dpi they cost a quarter as much and are as accurate (checked against the
 * corpus truth in the unit tests). 1 bpp pages with square pixels are reduced
 * by 2x rank cascades (level 1: a reduced pixel is ink when any source pixel
 * is, which keeps thin strokes); everything else is turned into luma, scaled
 * by area mapping (separately per axis, so fax pages at 204x98 dpi get square
 * pixels) and binarized.
 *
 * Binarization: a global Otsu threshold, capped at "paper minus a margin" so
 * that a blank page's sensor noise or faint show-through never becomes ink,
 * while a dark or a light page still splits at its own levels.
 *
 * Runs on the calling worker thread; touches only the call's own images.
 */
#include <math.h>
#include <string.h>

#include "stages_int.h"

/* Resolution the page is taken to have on one axis: the tag when it gives a
 * plausible sheet (3 to 20 inches long), otherwise inferred from a sheet about
 * 11 inches long (a 72 dpi tag on a 5000-pixel scan is a placeholder). */
double qr_effective_dpi(double dpi, int w, int h)
{
    int longside = w > h ? w : h;
    if (dpi >= 50.0 && dpi <= 2400.0 && longside / dpi >= 3.0 && longside / dpi <= 20.0)
        return dpi;
    double guess = longside / 11.0;
    return guess < 50.0 ? 50.0 : guess;
}

static int percentile(const int hist[256], double frac)
{
    long long total = 0, acc = 0;
    for (int i = 0; i < 256; i++)
        total += hist[i];
    long long want = (long long)(frac * (double)total);
    for (int i = 0; i < 256; i++) {
        acc += hist[i];
        if (acc > want)
            return i;
    }
    return 255;
}

/* Otsu's threshold: the level maximising the between-class variance. */
static int otsu(const int hist[256])
{
    double total = 0, sum = 0;
    for (int i = 0; i < 256; i++) {
        total += hist[i];
        sum += (double)i * hist[i];
    }
    double wb = 0, sumb = 0, best = -1;
    int t = 128;
    for (int i = 0; i < 256; i++) {
        wb += hist[i];
        if (wb == 0 || wb == total)
            continue;
        sumb += (double)i * hist[i];
        double mb = sumb / wb, mf = (sum - sumb) / (total - wb);
        double v = wb * (total - wb) * (mb - mf) * (mb - mf);
        if (v > best) {
            best = v;
            t = i + 1;
        }
    }
    return t;
}

/* Luma below the returned level is ink. */
static int ink_threshold(const int hist[256], const qr_profile *prof)
{
    int paper = percentile(hist, 0.90);
    int upper = percentile(hist, 0.75);
    double sigma = (paper - upper) / 0.61; /* normal: p90 - p75 = 0.61 sigma */
    /* The spread estimate assumes a page that is mostly paper; on a photo
     * it is huge and would push the threshold to 0 (no ink at all, so the
     * photo would look blank). Noise never needs more than twice the minimum. */
    double delta = fmin(fmax((double)prof->ink_min_delta, 4.0 * sigma),
                        2.0 * prof->ink_min_delta);
    int t = otsu(hist);
    int cap = (int)lround(paper - delta);
    if (t > cap)
        t = cap;
    return t < 1 ? 1 : t;
}

int qr_gray_histogram(PIX *gray, BOX *box, int hist[256])
{
    NUMA *na = box ? pixGetGrayHistogramInRect(gray, box, 1) : pixGetGrayHistogram(gray, 1);
    if (!na)
        return QR_ENOMEM;
    for (int i = 0; i < 256; i++) {
        l_int32 v = 0;
        numaGetIValue(na, i, &v);
        hist[i] = v;
    }
    numaDestroy(&na);
    return QR_OK;
}

/* The page's luma; an 8 bpp gray page is its own luma (shared, read only:
 * a copy of a 300 dpi page costs more than the rest of the reduction). */
static PIX *to_luma(PIX *pix)
{
    if (pixGetDepth(pix) == 32)
        return qr_rgb_luma(pix);
    if (pixGetDepth(pix) == 16)
        return pixConvert16To8(pix, L_MS_BYTE);
    if (pixGetDepth(pix) == 8 && !pixGetColormap(pix))
        return pixClone(pix);
    return pixConvertTo8(pix, FALSE);
}

/* Luma scaled to target dpi on each axis (never enlarged). */
static PIX *scale_luma(PIX *luma, double xdpi, double ydpi, double target)
{
    double sx = fmin(1.0, target / xdpi), sy = fmin(1.0, target / ydpi);
    if (sx >= 0.999 && sy >= 0.999)
        return pixCopy(NULL, luma);
    return pixScaleAreaMap(luma, (l_float32)sx, (l_float32)sy); /* no sharpening */
}

static int reduce_binary(PIX *pix, double dpi, const qr_profile *prof, qr_reduced *r)
{
    int lv = 0;
    while (lv < 4 && dpi / (double)(2 << lv) >= 0.75 * prof->analysis_dpi)
        lv++;
    r->levels = lv;
    r->src_dpi = dpi;
    r->work_dpi = dpi / (double)(1 << lv);
    r->threshold = -1;
    if (lv == 0)
        r->bin = pixCopy(NULL, pix);
    else
        r->bin = pixReduceRankBinaryCascade(pix, 1, lv > 1, lv > 2, lv > 3);
    if (!r->bin)
        return QR_ENOMEM;
    l_int32 black = 0;
    pixCountPixels(pix, &black, NULL);
    long long total = (long long)pixGetWidth(pix) * pixGetHeight(pix);
    memset(r->hist, 0, sizeof r->hist);
    r->hist[0] = (int)((double)black / (double)total * 1e6);
    r->hist[255] = 1000000 - r->hist[0];
    return QR_OK;
}

static int reduce_gray(PIX *pix, double xdpi, double ydpi, const qr_profile *prof,
                       qr_reduced *r)
{
    r->luma = to_luma(pix);
    r->gray = r->luma ? scale_luma(r->luma, xdpi, ydpi, prof->analysis_dpi) : NULL;
    if (!r->gray)
        return QR_ENOMEM;
    r->src_dpi = fmin(xdpi, ydpi);
    r->src_xdpi = xdpi;
    r->src_ydpi = ydpi;
    r->work_dpi = fmin(prof->analysis_dpi, r->src_dpi);
    r->levels = 0;
    if (qr_gray_histogram(r->gray, NULL, r->hist) != QR_OK)
        return QR_ENOMEM;
    r->threshold = ink_threshold(r->hist, prof);
    r->bin = pixThresholdToBinary(r->gray, r->threshold);
    return r->bin ? QR_OK : QR_ENOMEM;
}

int qr_reduce(PIX *pix, double xdpi, double ydpi, const qr_profile *prof, qr_reduced *r,
              qr_err *err)
{
    memset(r, 0, sizeof *r);
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    double dx = qr_effective_dpi(xdpi, w, h), dy = qr_effective_dpi(ydpi, w, h);
    int rc;
    if (pixGetDepth(pix) == 1 && !pixGetColormap(pix) && fabs(dx - dy) <= 0.02 * dx)
        rc = reduce_binary(pix, dx, prof, r);
    else
        rc = reduce_gray(pix, dx, dy, prof, r);
    if (rc != QR_OK) {
        qr_reduced_clear(r);
        return qr_err_set(err, rc, "analysis: out of memory reducing a %dx%d page", w, h);
    }
    return QR_OK;
}

void qr_reduced_clear(qr_reduced *r)
{
    pixDestroy(&r->luma);
    pixDestroy(&r->gray);
    pixDestroy(&r->bin);
}

PIX *qr_reduce_fine(PIX *pix, const qr_reduced *r)
{
    if (r->threshold < 0) {
        if (r->levels == 0)
            return NULL;
        if (r->levels == 1)
            return pixCopy(NULL, pix);
        int lv = r->levels - 1;
        return pixReduceRankBinaryCascade(pix, 1, lv > 1, lv > 2, 0);
    }
    if (r->src_dpi < 1.5 * r->work_dpi)
        return NULL;
    PIX *g = scale_luma(r->luma, r->src_xdpi, r->src_ydpi, 2.0 * r->work_dpi);
    if (!g)
        return NULL;
    PIX *b = pixThresholdToBinary(g, r->threshold);
    pixDestroy(&g);
    return b;
}
