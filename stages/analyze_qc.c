/*
 * analyze_qc.c: the page quality measurements that need geometry — dark
 * vertical streaks and content cut at an edge — on the reduced page.
 *
 * Streaks. Dirt on the scanner glass draws a line in the scanner's frame: it
 * is exactly vertical whatever the sheet's skew, runs the whole image height
 * and is darker than the paper on both sides. Text never does all three: a
 * column through a text block is dark only where text lines are, and margins
 * break it. So the page is cut into horizontal bands; in each band a column
 * (two reduced columns wide, so a 1-3 px line at 300 dpi is caught whichever
 * way it straddles) is a hit when it is darker than the brighter of its left
 * and right neighbourhoods by streak_min_contrast. A streak is a column hit
 * in the first and the last band (the blank margins, where text never is)
 * and in at least streak_min_length of all bands. A band is 4 % of the
 * height, deeper than many top margins, so a rule printed near the sheet's
 * edge (a book's gutter on a scanned original) reaches the first band too;
 * the candidate is therefore also looked at, row by row, in a 3 mm strip at
 * each end of the frame, which dirt on the glass always crosses. Comparing
 * with the brighter side, not the mean, keeps the edge of a black scanner
 * backing (dark on one side only) from counting.
 *
 * Cut content. A cut page has ink up to the image edge. Two things also
 * reach the edge without a cut: the scanner's black backing around a skewed
 * or shifted sheet, and specks. Backing is joined to the border and runs
 * along a long stretch of it (a wedge beside a skewed sheet spans the whole
 * edge), while cut content meets the border in short pieces; so components
 * joined to the border that span 8 % of an edge are taken out first
 * (an opening cannot do this: the thin tip of a wedge is as thin as text,
 * which was measured to leave wedge tips as "content"). Specks are dropped by
 * asking for a few ink pixels per line of the projection. What remains gives
 * the paper margin on each side, and the share of each edge that content
 * touches; the detector wants both a tiny margin and a real extent, so a
 * lone letter at the edge of a stamp does not make a page "cropped".
 *
 * The same projections tell a patch-code separator sheet (solid bars framing
 * the page on both axes), so an extra page can be named as one; a sheet fed
 * at an angle is checked again once its skew is known, with the skew sheared
 * out of a copy (only pages with a row and a column well inked get there).
 *
 * Cost: one pass over the reduced page for the band sums, projections, and
 * a seed fill plus a labelling of the border components only when ink
 * reaches the border at all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stages_int.h"

#define STREAK_BANDS 24
#define STREAK_NEAR 3  /* neighbourhood starts this many columns away ... */
#define STREAK_FAR 8   /* ... and ends here */
#define BACKING_MIN_SPAN 0.08 /* backing runs along at least this share of an edge */

/* Mean darkness (255 - luma, or 255 per ink pixel) per band and column. */
static float *band_darkness(const qr_reduced *r, int *wout)
{
    PIX *src = r->gray ? r->gray : r->bin;
    int w = pixGetWidth(src), h = pixGetHeight(src), wpl = pixGetWpl(src);
    float *d = calloc((size_t)STREAK_BANDS * (size_t)w, sizeof *d);
    if (!d)
        return NULL;
    l_uint32 *data = pixGetData(src);
    int rows[STREAK_BANDS] = {0};
    for (int y = 0; y < h; y++) {
        int b = (int)((long long)y * STREAK_BANDS / h);
        float *row = d + (size_t)b * w;
        l_uint32 *line = data + (size_t)y * wpl;
        rows[b]++;
        if (r->gray) {
            for (int x = 0; x < w; x++)
                row[x] += (float)(255 - GET_DATA_BYTE(line, x));
        } else {
            for (int x = 0; x < w; x++)
                if (GET_DATA_BIT(line, x))
                    row[x] += 255.0f;
        }
    }
    for (int b = 0; b < STREAK_BANDS; b++)
        for (int x = 0; x < w && rows[b] > 0; x++)
            d[(size_t)b * w + x] /= (float)rows[b];
    *wout = w;
    return d;
}

/* Excess darkness of columns x, x+1 over the brighter neighbourhood. */
static float excess(const float *row, const double *cum, int x)
{
    int n = STREAK_FAR - STREAK_NEAR + 1;
    double left = (cum[x - STREAK_NEAR + 1] - cum[x - STREAK_FAR]) / n;
    double right = (cum[x + 1 + STREAK_FAR + 1] - cum[x + 1 + STREAK_NEAR]) / n;
    return (float)((double)row[x] + (double)row[x + 1] - 2.0 * fmax(left, right));
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Share of the bands a column line reaches, counted only when it reaches
 * both the first and the last band: dirt on the glass runs from edge to
 * edge, through the blank top and bottom margins, while text columns and
 * ruled blocks stop short of them. Bands in between may miss where dense
 * text darkens the neighbourhood as much as the line. */
static int line_bands(const float *e, double min_contrast)
{
    if ((double)e[0] < min_contrast || (double)e[STREAK_BANDS - 1] < min_contrast)
        return 0;
    int hits = 0;
    for (int b = 0; b < STREAK_BANDS; b++)
        hits += (double)e[b] >= min_contrast;
    return hits;
}

/* Darkness of one pixel of the page at work resolution (255 = black). */
static int dark_at(bool gray, const l_uint32 *line, int x)
{
    return gray ? 255 - (int)GET_DATA_BYTE(line, x) : (GET_DATA_BIT(line, x) ? 255 : 0);
}

/* Does the line in columns x, x+1 run into the first and the last rows of
 * the image? Dirt on the glass is under the sensor for the whole scan, so it
 * reaches both ends of the frame; a rule or a book's gutter printed on the
 * sheet stops with the sheet's margin. The bands cannot tell: the first one
 * is 4 % of the height, deeper than many top margins. A row of an end strip
 * (STREAK_END_MM) counts when the pair is darker than its brighter
 * neighbourhood by min_contrast, or when both columns are black there (a
 * strip of black backing above a shifted sheet, where no line shows), and
 * most rows of each strip must count. */
#define STREAK_END_MM 3.0
#define STREAK_END_SHARE 0.6
#define BACKING_DARK 160

static bool end_strip(PIX *src, int x, int y0, int y1, double min_contrast)
{
    bool gray = pixGetDepth(src) == 8;
    int wpl = pixGetWpl(src), n = STREAK_FAR - STREAK_NEAR + 1, hits = 0;
    l_uint32 *data = pixGetData(src);
    for (int y = y0; y < y1; y++) {
        const l_uint32 *line = data + (size_t)y * wpl;
        int pair = dark_at(gray, line, x) + dark_at(gray, line, x + 1);
        double left = 0, right = 0;
        for (int k = STREAK_NEAR; k <= STREAK_FAR; k++) {
            left += dark_at(gray, line, x - k);
            right += dark_at(gray, line, x + 1 + k);
        }
        double side = fmax(left, right) / n;
        hits += pair - 2.0 * side >= min_contrast || pair >= 2 * BACKING_DARK;
    }
    return hits >= STREAK_END_SHARE * (y1 - y0);
}

static bool reaches_ends(const qr_reduced *r, int x, double min_contrast)
{
    PIX *src = r->gray ? r->gray : r->bin;
    int h = pixGetHeight(src);
    int k = (int)lround(STREAK_END_MM / 25.4 * r->work_dpi);
    k = k < 2 ? 2 : k > h / 4 ? h / 4 : k;
    return k > 0 && end_strip(src, x, 0, k, min_contrast) &&
           end_strip(src, x, h - k, h, min_contrast);
}

void qr_measure_streaks(const qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    a->streaks = 0;
    a->streak_length = a->streak_x = a->streak_contrast = 0.0;
    int w = 0;
    float *d = band_darkness(r, &w);
    if (!d || w < 2 * STREAK_FAR + 4) {
        free(d);
        return;
    }
    double *cum = malloc(((size_t)w + 1) * STREAK_BANDS * sizeof *cum);
    if (!cum)
        goto out;
    for (int b = 0; b < STREAK_BANDS; b++) {
        double *c = cum + (size_t)b * (w + 1);
        const float *row = d + (size_t)b * w;
        c[0] = 0;
        for (int x = 0; x < w; x++)
            c[x + 1] = c[x] + (double)row[x];
    }
    int need = (int)ceil(prof->streak_min_length * STREAK_BANDS - 1e-9);
    int last = -100, lo = STREAK_FAR, hi = w - STREAK_FAR - 2;
    for (int x = lo; x < hi; x++) {
        float e[STREAK_BANDS];
        for (int b = 0; b < STREAK_BANDS; b++)
            e[b] = excess(d + (size_t)b * w, cum + (size_t)b * (w + 1), x);
        int run = line_bands(e, prof->streak_min_contrast);
        if (run >= need && !reaches_ends(r, x, prof->streak_min_contrast))
            run = 0;
        double len = (double)run / STREAK_BANDS;
        if (len > a->streak_length) {
            a->streak_length = len;
            a->streak_x = (x + 1.0) / w;
            qsort(e, STREAK_BANDS, sizeof e[0], cmp_float);
            a->streak_contrast = ((double)e[STREAK_BANDS / 2 - 1] + (double)e[STREAK_BANDS / 2]) / 2.0;
        }
        if (run >= need) {
            if (x - last > STREAK_NEAR)
                a->streaks++;
            last = x;
        }
    }
out:
    free(cum);
    free(d);
}

/* ---- margins and cut content -------------------------------------------- */

/* Ink reaching a one-pixel frame around the page? */
static bool ink_on_border(PIX *bin)
{
    int w = pixGetWidth(bin), h = pixGetHeight(bin);
    BOX *boxes[4] = {boxCreate(0, 0, w, 2), boxCreate(0, h - 2, w, 2), boxCreate(0, 0, 2, h),
                     boxCreate(w - 2, 0, 2, h)};
    bool any = false;
    for (int i = 0; i < 4; i++) {
        l_int32 n = 0;
        if (boxes[i] && pixCountPixelsInRect(bin, boxes[i], &n, NULL) == 0 && n > 0)
            any = true;
        boxDestroy(&boxes[i]);
    }
    return any;
}

/* Does a component touching the border run along a long stretch of it? */
static bool is_backing(const BOX *b, int w, int h)
{
    l_int32 x, y, bw, bh;
    boxGetGeometry((BOX *)b, &x, &y, &bw, &bh);
    bool top = y == 0, bottom = y + bh >= h, left = x == 0, right = x + bw >= w;
    double along_x = (double)bw / w, along_y = (double)bh / h;
    return ((top || bottom) && along_x >= BACKING_MIN_SPAN) ||
           ((left || right) && along_y >= BACKING_MIN_SPAN);
}

/* The content: the page without the scanner backing. Backing shows as black
 * regions joined to the border that run along a long stretch of it (wedges
 * around a skewed sheet, a strip beside a shifted one); cut content touches
 * the border only in short pieces (letters, a ruled line's end). */
static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Median depth, in pixels, of the backing mask along one edge, over the
 * middle 60 % of it (the corners hold the wedges of a skewed sheet). */
static int backing_depth(PIX *mask, int side)
{
    int w = pixGetWidth(mask), h = pixGetHeight(mask), wpl = pixGetWpl(mask);
    bool horiz = side == 0 || side == 2;
    int len = horiz ? w : h, deep = horiz ? h : w;
    int lo = len / 5, hi = len - len / 5, n = 0;
    int *runs = malloc(sizeof *runs * (size_t)(hi > lo ? hi - lo : 1));
    if (!runs || hi <= lo) {
        free(runs);
        return 0;
    }
    l_uint32 *data = pixGetData(mask);
    for (int i = lo; i < hi; i++) {
        int d = 0;
        while (d < deep) {
            int x = horiz ? i : side == 1 ? w - 1 - d : d;
            int y = horiz ? (side == 0 ? d : h - 1 - d) : i;
            if (!GET_DATA_BIT(data + (size_t)y * wpl, x))
                break;
            d++;
        }
        runs[n++] = d;
    }
    qsort(runs, (size_t)n, sizeof *runs, cmp_int);
    int med = runs[n / 2];
    free(runs);
    return med;
}

static PIX *content_of(PIX *bin, double *backing, double dpi, double depth_mm[4])
{
    *backing = 0.0;
    for (int s = 0; depth_mm && s < 4; s++)
        depth_mm[s] = 0.0;
    if (!ink_on_border(bin))
        return pixClone(bin);
    PIX *joined = pixExtractBorderConnComps(bin, 8);
    PIXA *comps = NULL;
    BOXA *boxes = joined ? pixConnComp(joined, &comps, 8) : NULL;
    pixDestroy(&joined);
    if (!boxes)
        return pixClone(bin);
    int w = pixGetWidth(bin), h = pixGetHeight(bin), n = boxaGetCount(boxes);
    PIX *mask = pixCreateTemplate(bin);
    for (int i = 0; mask && i < n; i++) {
        BOX *b = boxaGetBox(boxes, i, L_CLONE);
        PIX *c = pixaGetPix(comps, i, L_CLONE);
        if (b && c && is_backing(b, w, h)) {
            l_int32 x, y, bw, bh;
            boxGetGeometry(b, &x, &y, &bw, &bh);
            pixRasterop(mask, x, y, bw, bh, PIX_PAINT, c, 0, 0);
        }
        pixDestroy(&c);
        boxDestroy(&b);
    }
    boxaDestroy(&boxes);
    pixaDestroy(&comps);
    if (!mask)
        return pixClone(bin);
    /* grow by a pixel so the backing's ragged rim does not count as content */
    PIX *grown = pixDilateBrick(NULL, mask, 3, 3);
    pixDestroy(&mask);
    if (!grown)
        return pixClone(bin);
    l_int32 cnt = 0;
    pixCountPixels(grown, &cnt, NULL);
    *backing = (double)cnt / ((double)w * h);
    for (int s = 0; depth_mm && s < 4; s++)
        depth_mm[s] = backing_depth(grown, s) * 25.4 / dpi;
    PIX *c = pixSubtract(NULL, bin, grown);
    pixDestroy(&grown);
    return c ? c : pixClone(bin);
}

/* First index from the start (dir = +1) or end (-1) where the projection has
 * at least `min` ink pixels on two neighbouring lines; -1 when none. */
static int first_line(const l_int32 *proj, int n, int dir, int min)
{
    for (int k = 0; k + 1 < n; k++) {
        int i = dir > 0 ? k : n - 1 - k, j = i + dir;
        if (proj[i] >= min && proj[j] >= min)
            return k;
    }
    return -1;
}

/* Share of an edge line (the outermost `depth` lines) with content on it. */
static double edge_extent(PIX *c, int side, int depth)
{
    int w = pixGetWidth(c), h = pixGetHeight(c);
    BOX *box = side == 0 ? boxCreate(0, 0, w, depth)
               : side == 1 ? boxCreate(w - depth, 0, depth, h)
               : side == 2 ? boxCreate(0, h - depth, w, depth)
                           : boxCreate(0, 0, depth, h);
    PIX *strip = box ? pixClipRectangle(c, box, NULL) : NULL;
    boxDestroy(&box);
    if (!strip)
        return 0.0;
    bool along_x = side == 0 || side == 2;
    NUMA *na = along_x ? pixCountPixelsByColumn(strip) : pixCountPixelsByRow(strip, NULL);
    pixDestroy(&strip);
    if (!na)
        return 0.0;
    int n = numaGetCount(na), hit = 0;
    for (int i = 0; i < n; i++) {
        l_int32 v = 0;
        numaGetIValue(na, i, &v);
        hit += v > 0;
    }
    numaDestroy(&na);
    return n > 0 ? (double)hit / n : 0.0;
}

static void projections(PIX *c, l_int32 **rows, l_int32 **cols)
{
    int w = pixGetWidth(c), h = pixGetHeight(c), wpl = pixGetWpl(c);
    *rows = calloc((size_t)h, sizeof **rows);
    *cols = calloc((size_t)w, sizeof **cols);
    if (!*rows || !*cols)
        return;
    l_uint32 *data = pixGetData(c);
    for (int y = 0; y < h; y++) {
        l_uint32 *line = data + (size_t)y * wpl;
        for (int i = 0; i < wpl; i++) {
            l_uint32 word = line[i];
            if (!word)
                continue;
            for (int bit = 0; bit < 32; bit++)
                if (word & (0x80000000u >> bit)) {
                    int x = i * 32 + bit;
                    if (x < w) {
                        (*rows)[y]++;
                        (*cols)[x]++;
                    }
                }
        }
    }
}

/* Standard sheets (mm, portrait); landscape is the same turned. */
static const double SHEETS[][2] = {{210, 297}, {215.9, 279.4}, {215.9, 355.6}, {148, 210},
                                   {297, 420}, {182, 257}, {176, 250}};

/* The scan's length over that of the shortest standard sheet of its width
 * that is longer: under profile.short_scan_share (7 % short by default), the scanner stopped
 * early. (Real sheets and scans vary by a few per cent; the corpus's
 * libtiff_testfax4 is 4 % short of A4.) 1 when a standard sheet (within
 * 7 %) or longer than all; -1 when no standard sheet has its width.
 * "Its width" is the closest standard width (within 3 %, and ties within
 * 0.5 %): A4 and Letter are only 2.8 % apart, so an A4 scan stopped at 88 %
 * of its length was taken for a whole Letter page (94 % of 279.4 mm). */
#define SHEET_WIDTH_TOL 0.03
#define SHEET_WIDTH_TIE 0.005
static double sheet_share(double wmm, double hmm)
{
    double share = -1.0, closest = SHEET_WIDTH_TOL;
    bool width_known = false;
    for (size_t i = 0; i < sizeof SHEETS / sizeof SHEETS[0]; i++)
        for (int turn = 0; turn < 2; turn++) {
            double off = fabs(wmm - SHEETS[i][turn]) / SHEETS[i][turn];
            closest = off < closest ? off : closest;
        }
    for (size_t i = 0; i < sizeof SHEETS / sizeof SHEETS[0]; i++)
        for (int turn = 0; turn < 2; turn++) {
            double sw = SHEETS[i][turn], sh = SHEETS[i][1 - turn];
            double off = fabs(wmm - sw) / sw;
            if (off > SHEET_WIDTH_TOL || off > closest + SHEET_WIDTH_TIE)
                continue;
            width_known = true;
            if (fabs(hmm - sh) <= 0.07 * sh)
                return 1.0; /* a standard sheet, or within 7 % of one */
            if (hmm < sh && hmm / sh > share)
                share = hmm / sh;
        }
    return share >= 0 ? share : width_known ? 1.0 : -1.0;
}

/* Whether any of the `n` lines from `from` (going by `step`) is nearly empty;
 * lines beyond the page count as empty. */
static bool gap_near(const l_int32 *proj, int count, int from, int step, int n, int len)
{
    for (int k = 0; k < n; k++) {
        int i = from + k * step;
        if (i < 0 || i >= count || proj[i] < 0.25 * len)
            return true;
    }
    return false;
}

/* Solid bars along one axis: runs of at least 1 mm of lines inked over 60 %
 * of their length, with nearly empty lines on both sides. A patch-code
 * separator sheet frames its page with such bars, at least four on each
 * axis; text, forms and photos do not (a ruled line is thinner, a photo not
 * that long, and backing joined to the border was removed). A dark photo or
 * a page thresholded into speckle has long stretches inked over 60 % too,
 * but no empty line between them (seed 11: three such pages had been taken
 * for separator sheets). Checked on every page of the corpus. */
static int bars(const l_int32 *proj, int n, int len, double dpi)
{
    int minw = (int)lround(dpi / 25.4), run = 0, found = 0;
    int look = minw > 3 ? minw : 3;
    for (int i = 0; i <= n; i++) {
        if (i < n && proj[i] >= 0.6 * len) {
            run++;
            continue;
        }
        found += run >= minw && gap_near(proj, n, i, 1, look, len) &&
                 gap_near(proj, n, i - run - 1, -1, look, len);
        run = 0;
    }
    return found;
}

/* A patch-code separator sheet: solid bars across both axes. */
static bool separator_bars(const l_int32 *rows, const l_int32 *cols, int w, int h, double dpi)
{
    return bars(cols, w, h, dpi) >= 4 && bars(rows, h, w, dpi) >= 4;
}

static l_int32 peak(const l_int32 *proj, int n)
{
    l_int32 m = 0;
    for (int i = 0; i < n; i++)
        m = proj[i] > m ? proj[i] : m;
    return m;
}

/* Skew below this leaves a separator's bars straight enough for the
 * projections; a candidate needs a row and a column this well inked (a bar
 * 5 mm thick crossing a sheet at 3 deg inks about 38 % of a row). */
#define SEP_MIN_SKEW_DEG 0.2
#define SEP_CANDIDATE_PEAK 0.3

void qr_measure_separator_skewed(const qr_reduced *r, qr_analysis *a)
{
    if (a->separator || !a->skew_found || fabs(a->skew_deg) < SEP_MIN_SKEW_DEG ||
        r->peak_row < SEP_CANDIDATE_PEAK || r->peak_col < SEP_CANDIDATE_PEAK)
        return;
    double backing = 0.0, dpi = r->work_dpi > 0 ? r->work_dpi : 150.0;
    PIX *c = content_of(r->bin, &backing, dpi, NULL);
    float rad = (float)(a->skew_deg * QR_DEG2RAD);
    PIX *hz = c ? pixVShearCenter(NULL, c, rad, L_BRING_IN_WHITE) : NULL;
    PIX *vt = c ? pixHShearCenter(NULL, c, rad, L_BRING_IN_WHITE) : NULL;
    l_int32 *rows = NULL, *cols = NULL, *unused = NULL;
    if (hz && vt) {
        int w = pixGetWidth(c), h = pixGetHeight(c);
        projections(hz, &rows, &unused);
        free(unused);
        unused = NULL;
        projections(vt, &unused, &cols);
        if (rows && cols)
            a->separator = separator_bars(rows, cols, w, h, dpi);
    }
    free(rows);
    free(cols);
    free(unused);
    pixDestroy(&hz);
    pixDestroy(&vt);
    pixDestroy(&c);
}

/* The content box with 2 mm of paper around it, clipped to the page. */
static void set_box(qr_reduced *r, const int m[4], int w, int h, double dpi)
{
    int pad = (int)lround(2.0 * dpi / 25.4);
    int x0 = m[3] - pad, y0 = m[0] - pad, x1 = w - m[1] + pad, y1 = h - m[2] + pad;
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w ? w : x1;
    y1 = y1 > h ? h : y1;
    if (x1 - x0 >= 16 && y1 - y0 >= 16) {
        r->box[0] = x0, r->box[1] = y0, r->box[2] = x1 - x0, r->box[3] = y1 - y0;
    }
}

PIX *qr_content_of(PIX *img, const qr_reduced *r)
{
    if (!img || r->box[2] <= 0 || !r->bin)
        return img ? pixClone(img) : NULL;
    double sx = (double)pixGetWidth(img) / pixGetWidth(r->bin);
    double sy = (double)pixGetHeight(img) / pixGetHeight(r->bin);
    BOX *b = boxCreate((int)floor(r->box[0] * sx), (int)floor(r->box[1] * sy),
                       (int)ceil(r->box[2] * sx), (int)ceil(r->box[3] * sy));
    PIX *c = b ? pixClipRectangle(img, b, NULL) : NULL;
    boxDestroy(&b);
    return c ? c : pixClone(img);
}

bool qr_deskewed_block(const qr_analysis *a, double *w_mm, double *h_mm, double margin_mm[4])
{
    if (a->dpi <= 0)
        return false;
    for (int s = 0; s < 4; s++)
        if (a->margin_mm[s] < 0)
            return false;
    const double *m = a->margin_mm;
    double bw = 25.4 * a->width / a->xdpi - m[1] - m[3];
    double bh = 25.4 * a->height / a->ydpi - m[0] - m[2];
    double t = fabs(tan(a->skew_deg * QR_DEG2RAD));
    double w = t < 0.5 ? fmax((bw - bh * t) / (1.0 - t * t), 0.0) : bw;
    double h = t < 0.5 ? fmax((bh - bw * t) / (1.0 - t * t), 0.0) : bh;
    if (w_mm)
        *w_mm = w;
    if (h_mm)
        *h_mm = h;
    if (margin_mm)
        for (int s = 0; s < 4; s++)
            margin_mm[s] = m[s] + 0.5 * (s % 2 == 0 ? bh - h : bw - w);
    return true;
}

void qr_measure_margins(qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    a->sheet_share = a->dpi > 0 ? sheet_share(25.4 * a->width / a->xdpi,
                                              25.4 * a->height / a->ydpi)
                                : -1.0;
    a->short_scan = a->sheet_share >= 0 && a->sheet_share < prof->short_scan_share;
    for (int s = 0; s < 4; s++) {
        a->margin_mm[s] = -1.0;
        a->edge_ink[s] = 0.0;
    }
    double dpi = r->work_dpi > 0 ? r->work_dpi : 150.0;
    PIX *c = content_of(r->bin, &a->backing_fraction, dpi, a->backing_mm);
    if (!c)
        return;
    int w = pixGetWidth(c), h = pixGetHeight(c);
    l_int32 *rows = NULL, *cols = NULL;
    projections(c, &rows, &cols);
    if (rows && cols) {
        int min = 3;
        int m[4] = {first_line(rows, h, 1, min), first_line(cols, w, -1, min),
                    first_line(rows, h, -1, min), first_line(cols, w, 1, min)};
        int depth = (int)lround(dpi * 0.5 / 25.4);
        depth = depth < 1 ? 1 : depth;
        for (int s = 0; s < 4; s++) {
            if (m[s] < 0)
                continue;
            a->margin_mm[s] = m[s] * 25.4 / dpi;
            a->edge_ink[s] = edge_extent(c, s, depth);
        }
        a->separator = separator_bars(rows, cols, w, h, dpi);
        r->peak_row = (double)peak(rows, h) / w;
        r->peak_col = (double)peak(cols, w) / h;
        if (m[0] >= 0 && m[1] >= 0 && m[2] >= 0 && m[3] >= 0)
            set_box(r, m, w, h, dpi);
    }
    free(rows);
    free(cols);
    pixDestroy(&c);
}
