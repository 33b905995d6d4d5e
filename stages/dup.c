/*
 * dup.c: qr_signature_compute, the per-page half of duplicate detection.
 *
 * Why: "the same sheet fed twice" must be caught by comparing each page with
 * the one before it, so every page needs a compact description that survives a
 * second scan (different skew, position, noise, threshold, slightly different
 * scale) yet tells different pages apart. Pixels are useless for that; ink
 * projection profiles of the upright, deskewed page in physical units are
 * robust and cheap: a text page's row profile is the pattern of its lines and
 * paragraphs, its column profile the pattern of its margins, indents and
 * letters. The comparison (dup_match.c) searches shifts and scales.
 *
 * Work happens on a gray copy at QR_SIG_DPI (50 dpi): 1 bpp pages are scaled
 * to gray directly (cheap, and antialiased so that thin strokes count), gray
 * and colour pages are area-mapped (colour before the luma conversion, so the
 * full-resolution page is read once). The analysis supplies orientation and
 * skew, which are undone on that copy after a clean-up in the scan frame:
 * solid ink connected to the image border (black scanner backing around a
 * skewed sheet, edge shadows), a 4 mm band along the frame and full-height
 * streaks are dropped, since they depend on the scan, not on the sheet.
 *
 * Runs on the calling worker thread; touches only the call's own images and
 * the caller's signature. No heap memory survives the call.
 */
#include <math.h>
#include <string.h>

#include "stages_int.h"


/* Resolution of one axis: the tag when it gives a plausible sheet (3 to 20
 * inches), otherwise inferred from a sheet about 11 inches long. */
static double sig_axis_dpi(double dpi, int w, int h)
{
    int longside = w > h ? w : h;
    if (dpi >= 50.0 && dpi <= 2400.0 && longside / dpi >= 3.0 && longside / dpi <= 20.0)
        return dpi;
    double guess = longside / 11.0;
    return guess < 50.0 ? 50.0 : guess;
}

static PIX *gray_of(PIX *pix)
{
    int d = pixGetDepth(pix);
    if (d == 32)
        return qr_rgb_luma(pix);
    if (d == 16)
        return pixConvert16To8(pix, L_MS_BYTE);
    return pixConvertTo8(pix, FALSE);
}

/* Halve by 2x2 averaging (fast) while a factor of 2 is still wanted, then
 * area-map the rest on the small image; colour is scaled before its luma is
 * taken, so the full-resolution page is read only once. */
static PIX *scale_any(PIX *pix, double sx, double sy)
{
    PIX *cur = pixGetDepth(pix) == 32 || (pixGetDepth(pix) == 8 && !pixGetColormap(pix))
                   ? pixClone(pix) : gray_of(pix);
    while (cur && sx <= 0.5 && sy <= 0.5) {
        PIX *half = pixScaleAreaMap2(cur);
        pixDestroy(&cur);
        cur = half;
        sx *= 2.0;
        sy *= 2.0;
    }
    if (cur && (fabs(sx - 1.0) > 0.01 || fabs(sy - 1.0) > 0.01)) {
        PIX *s = pixScaleGeneral(cur, (l_float32)sx, (l_float32)sy, 0.0f, 0);
        pixDestroy(&cur);
        cur = s;
    }
    if (cur && pixGetDepth(cur) == 32) {
        PIX *g = qr_rgb_luma(cur);
        pixDestroy(&cur);
        cur = g;
    }
    return cur;
}

/* 1 bpp to gray by an integer factor (fast, antialiased: every source pixel
 * counts), then to the exact resolution on the small image. Leptonica's
 * general pixScaleToGray would first rescale the full binary page. */
static PIX *binary_to_gray(PIX *pix, double dpi)
{
    static const int factors[] = {16, 8, 6, 4, 3, 2};
    int k = 1;
    for (size_t i = 0; i < sizeof factors / sizeof factors[0] && k == 1; i++)
        if (dpi / factors[i] >= 0.999 * QR_SIG_DPI)
            k = factors[i];
    PIX *g = k == 16 ? pixScaleToGray16(pix) : k == 8 ? pixScaleToGray8(pix)
           : k == 6 ? pixScaleToGray6(pix) : k == 4 ? pixScaleToGray4(pix)
           : k == 3 ? pixScaleToGray3(pix) : k == 2 ? pixScaleToGray2(pix)
           : pixConvert1To8(NULL, pix, 255, 0);
    double rest = QR_SIG_DPI / (dpi / k);
    if (!g || fabs(rest - 1.0) < 0.01)
        return g;
    PIX *s = rest < 1.0 ? pixScaleAreaMap(g, (l_float32)rest, (l_float32)rest)
                        : pixScaleGrayLI(g, (l_float32)rest, (l_float32)rest);
    pixDestroy(&g);
    return s;
}

/* 8 bpp luma at QR_SIG_DPI on both axes. */
static PIX *small_gray(PIX *pix, const qr_analysis *an)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    double dx = sig_axis_dpi(an->xdpi, w, h), dy = sig_axis_dpi(an->ydpi, w, h);
    bool square = fabs(dx - dy) <= 0.02 * dx;
    if (pixGetDepth(pix) == 1 && !pixGetColormap(pix) && square)
        return binary_to_gray(pix, dx);
    return scale_any(pix, QR_SIG_DPI / dx, QR_SIG_DPI / dy);
}

/* Undo orientation (when confident) and skew (when measured) on the darkness
 * image, after the scan-frame clean-up below. */
static PIX *upright(PIX *g, const qr_analysis *an)
{
    int rot = an->orient_confident ? an->orientation : 0;
    PIX *cur = rot ? pixRotateOrth(g, (360 - rot) / 90) : pixClone(g);
    if (!cur || !an->skew_found || fabs(an->skew_deg) < 0.05)
        return cur;
    PIX *d = pixRotate(cur, (l_float32)(QR_DEG2RAD * an->skew_deg), L_ROTATE_AREA_MAP,
                       L_BRING_IN_BLACK, 0, 0); /* darkness 0: no ink */
    pixDestroy(&cur);
    return d;
}

static int paper_level(PIX *g)
{
    NUMA *na = pixGetGrayHistogram(g, 1);
    if (!na)
        return 255;
    l_float32 v = 255;
    numaHistogramGetValFromRank(na, 0.90f, &v);
    numaDestroy(&na);
    return (int)lroundf(v);
}

/* Ink darkness (paper level minus luma, 0 on paper) as a new 8 bpp image. */
static PIX *darkness(PIX *g)
{
    int paper = paper_level(g);
    PIX *d = pixCreate(pixGetWidth(g), pixGetHeight(g), 8);
    if (!d)
        return NULL;
    int w = pixGetWidth(g), h = pixGetHeight(g), wplg = pixGetWpl(g), wpld = pixGetWpl(d);
    l_uint32 *lg = pixGetData(g), *ld = pixGetData(d);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = paper - 8 - (int)GET_DATA_BYTE(lg + (size_t)y * wplg, x);
            SET_DATA_BYTE(ld + (size_t)y * wpld, x, v < 0 ? 0 : v);
        }
    return d;
}

#define EDGE_BAND (QR_SIG_DPI * 4 / 25) /* 4 mm */

/* Zero the darkness of solid ink connected to the image border (backing
 * wedges, edge shadows). The opening first removes text and thin lines, so
 * that text crossed by a streak or touching the edge survives. */
static int drop_border_ink(PIX *d)
{
    PIX *mask = pixThresholdToBinary(d, 64); /* 1 where darkness < 64 */
    if (!mask)
        return QR_ENOMEM;
    pixInvert(mask, mask);                   /* 1 = strong ink */
    PIX *solid = pixOpenBrick(NULL, mask, 7, 7); /* 3.5 mm: wider than any text line */
    pixDestroy(&mask);
    PIX *border = solid ? pixExtractBorderConnComps(solid, 8) : NULL;
    pixDestroy(&solid);
    PIX *grown = border ? pixDilateBrick(NULL, border, 5, 5) : NULL; /* and its rim */
    pixDestroy(&border);
    if (!grown)
        return QR_ENOMEM;
    pixSetMasked(d, grown, 0);
    pixDestroy(&grown);
    /* and a band of EDGE_BAND along the frame: the scanner's own edge (a strip
     * of backing a few pixels wide, thinner than the opening) varies per scan */
    pixSetOrClearBorder(d, EDGE_BAND, EDGE_BAND, EDGE_BAND, EDGE_BAND, PIX_CLR);
    return QR_OK;
}

/* Zero columns dark over most of the page height: a streak from dirty glass
 * repeats on every page, so it must not make neighbours look alike. A streak
 * is a line: over a good part of the height (margins, gaps between text
 * lines) it is darker than the columns STREAK_SIDE bins away. A wide gray
 * area is dark over the whole height too (the sheet of a photographed book
 * page on a white ground) but never darker than its neighbours; dropping it
 * left such pages without a signature. */
#define STREAK_DARK 24
#define STREAK_SIDE 3  /* 1.5 mm */
#define STREAK_STEP 12 /* darker than both sides by this much ... */
#define STREAK_LINE_SHARE 0.3 /* ... over this share of the height */
static void drop_streaks(PIX *d)
{
    int w = pixGetWidth(d), h = pixGetHeight(d), wpl = pixGetWpl(d);
    l_uint32 *data = pixGetData(d);
    for (int x = STREAK_SIDE; x < w - STREAK_SIDE; x++) {
        int dark = 0, line = 0;
        for (int y = 0; y < h; y++) {
            const l_uint32 *row = data + (size_t)y * wpl;
            int v = (int)GET_DATA_BYTE(row, x);
            int l = (int)GET_DATA_BYTE(row, x - STREAK_SIDE), r = (int)GET_DATA_BYTE(row, x + STREAK_SIDE);
            dark += v >= STREAK_DARK;
            line += v >= STREAK_DARK && v >= (l > r ? l : r) + STREAK_STEP;
        }
        if (dark < 0.8 * h || line < STREAK_LINE_SHARE * h)
            continue;
        for (int y = 0; y < h; y++)
            SET_DATA_BYTE(data + (size_t)y * wpl, x, 0);
    }
}

static void profiles(PIX *d, qr_signature *s)
{
    int w = pixGetWidth(d), h = pixGetHeight(d), wpl = pixGetWpl(d);
    l_uint32 *data = pixGetData(d);
    s->hlen = h < QR_SIG_BINS ? h : QR_SIG_BINS;
    s->vlen = w < QR_SIG_BINS ? w : QR_SIG_BINS;
    for (int y = 0; y < s->hlen; y++) {
        l_uint32 *line = data + (size_t)y * wpl;
        double sum = 0;
        for (int x = 0; x < w; x++) {
            int v = GET_DATA_BYTE(line, x);
            sum += v;
            if (x < s->vlen)
                s->vprof[x] += (float)v;
        }
        s->hprof[y] = (float)(sum / 255.0);
    }
    for (int x = 0; x < s->vlen; x++)
        s->vprof[x] /= 255.0f;
}

/* 32x32 thumbnail of the whole upright page as floats (row-major). The
 * whole frame, not the ink's bounding box: the box moves with every speck and
 * wedge remnant, the frame only with the sheet's small shift. */
static int thumbnail(PIX *d, float t[32 * 32])
{
    PIX *sm = pixScaleToSize(d, 32, 32);
    if (!sm)
        return QR_ENOMEM;
    int wpl = pixGetWpl(sm);
    l_uint32 *data = pixGetData(sm);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            t[y * 32 + x] = (float)GET_DATA_BYTE(data + (size_t)y * wpl, x);
    pixDestroy(&sm);
    return QR_OK;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Perceptual hash: the 8x8 lowest DCT frequencies but the mean, each bit set
 * when its coefficient exceeds their median. turned: the hash of the
 * thumbnail turned by 180 degrees (odd frequencies change sign). */
static uint64_t phash_of(const float t[32 * 32], bool turned)
{
    double cosv[8][32];
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 32; x++)
            cosv[u][x] = cos(QR_PI * (2 * x + 1) * u / 64.0);
    double rows[32][8]; /* rows[y][u]: DCT along x */
    for (int y = 0; y < 32; y++)
        for (int u = 0; u < 8; u++) {
            double acc = 0;
            for (int x = 0; x < 32; x++)
                acc += (double)t[y * 32 + x] * cosv[u][x];
            rows[y][u] = acc;
        }
    float coef[63], sorted[63];
    int n = 0;
    for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++) {
            if (u == 0 && v == 0)
                continue;
            double acc = 0;
            for (int y = 0; y < 32; y++)
                acc += rows[y][u] * cosv[v][y];
            coef[n++] = (float)(turned && ((u + v) & 1) ? -acc : acc);
        }
    memcpy(sorted, coef, sizeof coef);
    qsort(sorted, 63, sizeof sorted[0], cmp_float);
    uint64_t bits = 0;
    for (int i = 0; i < 63; i++)
        if (coef[i] > sorted[31])
            bits |= (uint64_t)1 << i;
    return bits;
}

/* Mean ink per bin below which the page counts as having no content. */
#define SIG_MIN_INK 0.02

static int fill(PIX *pix, const qr_analysis *an, qr_signature *out)
{
    /* clean-up in the scan frame (edges, streaks), then upright and deskew */
    PIX *g = small_gray(pix, an);
    PIX *dk = g ? darkness(g) : NULL;
    pixDestroy(&g);
    if (!dk || drop_border_ink(dk) != QR_OK) {
        pixDestroy(&dk);
        return QR_ENOMEM;
    }
    drop_streaks(dk);
    PIX *d = upright(dk, an);
    pixDestroy(&dk);
    if (!d)
        return QR_ENOMEM;
    profiles(d, out);
    double ink = 0;
    for (int i = 0; i < out->hlen; i++)
        ink += (double)out->hprof[i];
    out->blank = an->blank || ink / (out->hlen > 0 ? out->hlen : 1) < SIG_MIN_INK;
    float t[32 * 32];
    int rc = out->blank ? QR_OK : thumbnail(d, t);
    if (rc == QR_OK && !out->blank) {
        out->phash = phash_of(t, false);
        out->phash180 = phash_of(t, true);
    }
    pixDestroy(&d);
    return rc;
}

int qr_signature_compute(const struct Pix *cpix, const qr_analysis *an, qr_signature *out,
                         qr_err *err)
{
    PIX *pix = (PIX *)cpix; /* Leptonica's API is not const-correct; never written */
    memset(out, 0, sizeof *out);
    if (!pix || !an)
        return qr_err_set(err, QR_EINVAL, "signature: no page or no analysis");
    if (pixGetWidth(pix) < 8 || pixGetHeight(pix) < 8)
        return qr_err_set(err, QR_EINVAL, "signature: page too small (%dx%d)",
                          pixGetWidth(pix), pixGetHeight(pix));
    int rc = fill(pix, an, out);
    if (rc != QR_OK) {
        memset(out, 0, sizeof *out);
        return qr_err_set(err, rc, "signature: out of memory on a %dx%d page",
                          pixGetWidth(pix), pixGetHeight(pix));
    }
    out->toned = !an->bitonal;
    out->paper_luma = an->paper_luma;
    out->mean_luma = an->mean_luma;
    out->ink_fraction = an->ink_fraction;
    out->skew_found = an->skew_found;
    out->skew_deg = an->skew_deg;
    qr_deskewed_block(an, &out->content_w_mm, &out->content_h_mm, NULL);
    out->valid = true;
    return QR_OK;
}
