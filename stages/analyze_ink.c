/*
 * analyze_ink.c: exposure statistics and the blank-page decision.
 *
 * Why: a blank sheet must be told from a near-blank one (a few lines of text)
 * without being fooled by punch holes, edge shadows, black scanner backing or
 * sensor noise. So ink is counted only inside a margin band, and specks
 * smaller than about half a millimetre are dropped before counting, which is
 * done only when the raw count is low enough for the answer to matter.
 *
 * Exposure figures (paper level, darkest ink, contrast) come from the luma
 * histogram of the reduced page and cost nothing extra; later detectors for
 * too dark / too light pages read them.
 *
 * Runs on the calling worker thread; reads only the call's reduced page.
 */
#include <math.h>
#include <stdlib.h>

#include "stages_int.h"

static int hist_percentile(const int hist[256], double frac)
{
    double total = 0, acc = 0;
    for (int i = 0; i < 256; i++)
        total += hist[i];
    for (int i = 0; i < 256; i++) {
        acc += hist[i];
        if (acc > frac * total)
            return i;
    }
    return 255;
}

/* The darkest ink: the 0.5th percentile of the page. When ink covers less
 * than that (a few lines of crisp print on an empty sheet), the percentile
 * lands on paper, so the median of the pixels darker than the ink threshold
 * is taken instead. */
static int ink_level(const int hist[256], int threshold)
{
    long long total = 0, below = 0;
    for (int i = 0; i < 256; i++) {
        total += hist[i];
        if (i < threshold)
            below += hist[i];
    }
    if (threshold < 0 || below < 1 || (double)below < 1e-4 * (double)total ||
        (double)below >= 0.005 * (double)total)
        return hist_percentile(hist, 0.005);
    long long acc = 0;
    for (int i = 0; i < threshold; i++) {
        acc += hist[i];
        if (2 * acc >= below)
            return i;
    }
    return threshold;
}

/* The darkest ink is looked for this far inside the page's edges: a black
 * scanner backing shows along the edges of a sheet fed off-centre (up to
 * about 4 mm on the corpus) and would pass for the darkest ink of a faded
 * page (seed 11: level 12 on a page whose writing was at 200). */
#define INK_INSET_MM 8.0

static int inner_ink_level(const qr_reduced *r)
{
    if (!r->gray)
        return ink_level(r->hist, r->threshold);
    int w = pixGetWidth(r->gray), h = pixGetHeight(r->gray);
    int in = (int)lround(INK_INSET_MM / 25.4 * r->work_dpi);
    if (w <= 4 * in || h <= 4 * in)
        return ink_level(r->hist, r->threshold);
    BOX *box = boxCreate(in, in, w - 2 * in, h - 2 * in);
    int hist[256];
    int rc = box ? qr_gray_histogram(r->gray, box, hist) : QR_ENOMEM;
    boxDestroy(&box);
    return ink_level(rc == QR_OK ? hist : r->hist, r->threshold);
}

void qr_measure_exposure(const qr_reduced *r, qr_analysis *a)
{
    double total = 0, sum = 0;
    for (int i = 0; i < 256; i++) {
        total += r->hist[i];
        sum += (double)i * r->hist[i];
    }
    a->mean_luma = total > 0 ? sum / total : 0.0;
    a->paper_luma = hist_percentile(r->hist, 0.90);
    a->ink_luma = inner_ink_level(r);
    a->contrast = a->paper_luma - a->ink_luma;
    a->ink_threshold = r->threshold;
}

static double fraction(PIX *bin)
{
    l_int32 n = 0;
    pixCountPixels(bin, &n, NULL);
    double area = (double)pixGetWidth(bin) * pixGetHeight(bin);
    return area > 0 ? n / area : 0.0;
}

/* The centre of a page: inside a band of blank_margin on each side (punch
 * holes, staples, edge shadows, a lone page number). NULL when the band
 * leaves nothing; *empty tells that from a failed allocation. */
static BOX *centre_box(PIX *pix, const qr_profile *prof, bool *empty)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    int mx = (int)(w * prof->blank_margin), my = (int)(h * prof->blank_margin);
    *empty = w - 2 * mx < 1 || h - 2 * my < 1;
    return *empty ? NULL : boxCreate(mx, my, w - 2 * mx, h - 2 * my);
}

/* Ink inside the margin band with specks removed. */
static double centre_ink(PIX *bin, double work_dpi, const qr_profile *prof, double limit,
                         double *raw_count, double *centre_area)
{
    *raw_count = 0.0;
    *centre_area = 0.0;
    bool empty = false;
    BOX *box = centre_box(bin, prof, &empty);
    if (empty)
        return 0.0;
    PIX *c = box ? pixClipRectangle(bin, box, NULL) : NULL;
    boxDestroy(&box);
    if (!c)
        return 1.0; /* cannot tell: never call the page blank */
    double f = fraction(c);
    *centre_area = (double)pixGetWidth(c) * pixGetHeight(c);
    *raw_count = f * *centre_area;
    if (f <= limit) {
        int min = (int)lround(work_dpi * 0.02); /* about 0.5 mm */
        PIX *kept = pixSelectBySize(c, min, min, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL);
        f = kept ? fraction(kept) : f;
        pixDestroy(&kept);
    }
    pixDestroy(&c);
    return f;
}

/* Faded writing on a gray page is lighter than the ink threshold, so the page
 * looks empty; but marks this far below the paper level are still writing,
 * clear of show-through from the back of the sheet (at most about 30 levels
 * on the corpus) and of sensor noise. Such a page is not blank: the exposure
 * check then calls it too light (seeds 11-13: 7 faded pages had been called
 * blank). */
#define FADED_BELOW_PAPER 40

/* Fainter still, the writing is a gray film over the text block: more
 * than FILM_MIN_SHARE of the centre between the ink threshold and
 * FILM_BELOW_PAPER levels under the paper. Show-through, which is no darker,
 * and the shading of blank scans cover less (seeds 11 and 12: 0.031 % at
 * most on 35 blank gray and colour pages, 14 of them with show-through; the
 * two faded pages called blank 0.56 and 0.84 %). */
#define FILM_BELOW_PAPER 30
#define FILM_MIN_SHARE 0.002

static double faint_share(const qr_reduced *r, const qr_profile *prof, int paper)
{
    int hi = paper - FILM_BELOW_PAPER, hist[256];
    if (hi <= r->threshold || hi > 256)
        return 0.0;
    bool empty = false;
    BOX *box = centre_box(r->gray, prof, &empty);
    int rc = box ? qr_gray_histogram(r->gray, box, hist) : QR_ENOMEM;
    boxDestroy(&box);
    if (rc != QR_OK)
        return 0.0;
    long long band = 0, all = 0;
    for (int v = 0; v < 256; v++) {
        all += hist[v];
        if (v >= r->threshold && v < hi)
            band += hist[v];
    }
    return all > 0 ? (double)band / (double)all : 0.0;
}

static void faded_check(const qr_reduced *r, const qr_profile *prof, double limit,
                        qr_analysis *a)
{
    if (!r->gray)
        return;
    a->faint_share = faint_share(r, prof, a->paper_luma);
    int t = a->paper_luma - FADED_BELOW_PAPER;
    PIX *bin = t > r->threshold ? pixThresholdToBinary(r->gray, t) : NULL;
    double raw = 0, carea = 0;
    double f = bin ? centre_ink(bin, r->work_dpi, prof, limit, &raw, &carea) : 0.0;
    pixDestroy(&bin);
    if (f > prof->blank_ink_max || a->faint_share > FILM_MIN_SHARE) {
        a->blank = false;
        a->faded = true;
    }
}

/* Faded print on a bitonal page: the scanner's threshold keeps only single
 * pixels of each stroke, spread over the text block, so the page looks
 * empty. Dust and specks on a blank sheet come in clumps of a few pixels
 * (seeds 11 and 12: 2.0-17,000 px per mark on 95 blank sheets with any
 * ink; 1.01-1.29 on the 5 faded pages called blank), and uniform sensor
 * noise is spread evenly, which the grid's dispersion tells apart (a
 * Poisson spread gives about 1; the faded pages gave 4.3-6.9). Such a page
 * is not blank: the exposure check calls it too light.
 * The marks are counted inside the margin band: a sheet fed on black
 * backing has the backing along its edges as marks of thousands of pixels,
 * which hid the dots (seed 15: a faded page with 71 px per mark over the
 * whole page and 1.11 inside the margins was called blank). */
#define VANISHED_MIN_PX 150
#define VANISHED_MIN_DISPERSION 2.5
#define DISPERSION_GRID 12

/* Variance over mean of the ink counts in a DISPERSION_GRID square grid. */
static double dispersion(PIX *bin)
{
    int w = pixGetWidth(bin), h = pixGetHeight(bin);
    double cells[DISPERSION_GRID * DISPERSION_GRID] = {0}, total = 0;
    for (int gy = 0; gy < DISPERSION_GRID; gy++) {
        for (int gx = 0; gx < DISPERSION_GRID; gx++) {
            int x0 = gx * w / DISPERSION_GRID, y0 = gy * h / DISPERSION_GRID;
            BOX *b = boxCreate(x0, y0, (gx + 1) * w / DISPERSION_GRID - x0,
                               (gy + 1) * h / DISPERSION_GRID - y0);
            l_int32 n = 0;
            if (b && pixCountPixelsInRect(bin, b, &n, NULL) == 0)
                cells[gy * DISPERSION_GRID + gx] = n;
            total += n;
            boxDestroy(&b);
        }
    }
    int nc = DISPERSION_GRID * DISPERSION_GRID;
    double mean = total / nc, var = 0;
    for (int i = 0; i < nc; i++)
        var += (cells[i] - mean) * (cells[i] - mean);
    return mean > 0 ? var / nc / mean : 0.0;
}

/* Ink pixels per mark inside the margin band, which holds `ink` of them
 * (counted by centre_ink); -1 under VANISHED_MIN_PX pixels. */
static double centre_dot_px(const qr_reduced *r, const qr_profile *prof, double ink)
{
    ink = round(ink); /* a share times the area */
    if (ink < VANISHED_MIN_PX)
        return -1.0;
    bool empty = false;
    BOX *box = centre_box(r->bin, prof, &empty);
    PIX *c = box ? pixClipRectangle(r->bin, box, NULL) : NULL;
    boxDestroy(&box);
    l_int32 k = 0;
    double px = -1.0;
    if (c && pixCountConnComp(c, 8, &k) == 0 && k > 0)
        px = ink / k;
    pixDestroy(&c);
    return px;
}

static void vanished_check(const qr_reduced *r, const qr_profile *prof, double centre_raw,
                           qr_analysis *a)
{
    a->dot_px = centre_dot_px(r, prof, centre_raw);
    if (a->dot_px < 0 || a->dot_px >= prof->vanished_dot_max)
        return;
    /* only the single marks, over the whole page: the empty margins around
     * the text block make the spread uneven, while punch holes, a staple or
     * the backing would make an evenly noisy sheet look uneven */
    PIX *dots = pixSelectBySize(r->bin, 2, 2, 8, L_SELECT_IF_BOTH, L_SELECT_IF_LTE, NULL);
    if (dots && dispersion(dots) >= VANISHED_MIN_DISPERSION) {
        a->blank = false;
        a->faded = true;
    }
    pixDestroy(&dots);
}

/* Letter size: the median extent along one axis (rows: heights; else
 * widths) of marks 1-10 mm long on it and at most three times as long on
 * the other, in source pixels; -1 below MIN_LETTERS of them. The marks come
 * from the working resolution, whose OR reduction adds up to one of its
 * pixels to a mark. */
#define MIN_LETTERS 20
#define LETTER_MAX_WPX 128 /* 10 mm up to 325 dpi: a 400 dpi page is worked at 200 */

static double letter_size(const qr_mark *marks, int n, const qr_reduced *r, bool rows)
{
    int lo = (int)lround(r->work_dpi / 25.4), hi = (int)lround(r->work_dpi * 10 / 25.4);
    if (lo < 1 || hi >= LETTER_MAX_WPX)
        return -1.0;
    int count[LETTER_MAX_WPX] = {0}, k = 0;
    for (int i = 0; i < n; i++) {
        int along = rows ? marks[i].h : marks[i].w, other = rows ? marks[i].w : marks[i].h;
        if (along >= lo && along <= hi && other <= 3 * along) {
            count[along]++;
            k++;
        }
    }
    if (k < MIN_LETTERS)
        return -1.0;
    int seen = 0, s = lo;
    while (s < hi && (seen += count[s]) * 2 < k)
        s++;
    return s * (r->src_dpi / r->work_dpi);
}

/* Mark size and letter size serve bitonal pages only (gray ones have
 * levels). One pass over the marks gives both; the letter size is taken
 * both ways, as the orientation is not known yet. */
static void measure_marks(const qr_reduced *r, qr_analysis *a, l_int32 nink)
{
    a->blob_px = -1.0;
    a->char_px = a->char_across_px = -1.0;
    if (!a->bitonal || nink <= 0)
        return;
    qr_mark *marks = NULL;
    int n = 0;
    if (qr_find_marks(r->bin, &marks, &n) == QR_OK && n > 0) {
        a->blob_px = (double)nink / n;
        a->char_px = letter_size(marks, n, r, true);
        a->char_across_px = letter_size(marks, n, r, false);
    }
    free(marks);
}

void qr_measure_ink(const qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    l_int32 nink = 0;
    pixCountPixels(r->bin, &nink, NULL);
    measure_marks(r, a, nink);
    double area = (double)pixGetWidth(r->bin) * pixGetHeight(r->bin);
    a->ink_fraction = area > 0 ? nink / area : 0.0;
    /* Specks are removed below 3 % raw ink: enough for heavy salt noise, while
     * text pages (typically 8-30 %) skip the component pass. */
    double limit = fmax(10.0 * prof->blank_ink_max, 0.03);
    double raw = 0, carea = 0;
    a->centre_ink_fraction = centre_ink(r->bin, r->work_dpi, prof, limit, &raw, &carea);
    a->margin_ink_fraction =
        area > carea ? fmax(0.0, a->ink_fraction * area - raw) / (area - carea) : 0.0;
    a->blank = a->centre_ink_fraction <= prof->blank_ink_max;
    a->faint_share = -1.0;
    a->dot_px = -1.0;
    if (a->blank && !a->bitonal)
        faded_check(r, prof, limit, a);
    else if (a->blank)
        vanished_check(r, prof, raw, a);
}
