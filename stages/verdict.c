/*
 * verdict.c: from measurements to page faults.
 *
 * Why a separate step: qr_analyze measures, this decides. Keeping the
 * decision a pure function of (analysis, correction, profile) means every
 * threshold can be tested on both sides without images, the same rules serve
 * `quire ingest` and `quire convert`, and a fault always carries the number
 * that was measured and the threshold it crossed.
 *
 * One cause per page: a scan fault has one cause that a rescan fixes, and
 * reporting its side effects as further faults would send reviewers after
 * problems that are not there. So the causes are checked in order and some
 * suppress the symptoms they produce:
 *  - a blank page has no content to be skewed, turned, cut or badly exposed;
 *  - a page too dark is covered in speckle that reaches the edges (not cut);
 *  - heavy skew puts sheet corners outside the frame (not cut either) and
 *    leaves orientation to the rescan.
 * low_dpi (from the file's tags) and streaks (from the scanner glass) are
 * independent of the sheet and always reported. A patch-code separator sheet
 * is not a page of the file: it has no page fault beyond those two, and the
 * caller flags it (qr_analysis.separator) and sets it aside from the count
 * (qr_file_faults, verdict_file.c).
 *
 * Also here, because they need the profile: the duplicate fault of a page
 * that repeats the one before, and the faults the profile waives on a page
 * once its delivered position is known.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stages_int.h"

typedef struct fault_list {
    qr_fault *v;
    int n, max;
} fault_list;

static qr_fault *add(fault_list *l, qr_fault_kind kind, double value, double threshold)
{
    if (l->n >= l->max)
        return NULL;
    qr_fault *f = &l->v[l->n++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->value = value;
    f->threshold = threshold;
    return f;
}

static const char *const SIDE[4] = {"top", "right", "bottom", "left"};

/* The edge most clearly cut: content closest to it over enough of its length. */
static int cut_edge(const qr_analysis *a, const qr_profile *p)
{
    int best = -1;
    for (int s = 0; s < 4; s++) {
        if (a->margin_mm[s] < 0 || a->margin_mm[s] >= p->crop_min_margin_mm ||
            a->edge_ink[s] < p->crop_min_extent)
            continue;
        double opp = a->margin_mm[(s + 2) % 4];
        bool off_centre = opp < 0 || opp >= p->crop_min_opposite_mm;
        if (!off_centre && !(s == 2 && a->short_scan))
            continue;
        if (best < 0 || a->edge_ink[s] > a->edge_ink[best])
            best = s;
    }
    return best;
}

/* A sheet fed off the frame on black backing: a deep band of backing along
 * one edge, and the sheet running into the opposite edge (less than 1 mm of
 * backing there). Its cut may fall between text lines, where no content
 * touches the edge, so the margins cannot tell; the backing can. A sheet
 * narrower than the frame and fed against one side would look the same, but
 * feeders centre their sheets. Returns the cut edge, or -1. */
static int off_frame_edge(const qr_analysis *a, const qr_profile *p)
{
    int best = -1;
    for (int s = 0; s < 4; s++) {
        double away = a->backing_mm[(s + 2) % 4];
        if (a->backing_mm[s] < p->crop_off_frame_mm && away >= p->crop_min_backing_mm &&
            (best < 0 || away > a->backing_mm[(best + 2) % 4]))
            best = s;
    }
    return best;
}

/* A sheet that sat low in the frame (fed late, or pulled down): its content
 * runs to within crop_foot_margin_mm of the frame edge at the foot of the
 * page, while crop_min_head_mm or more of empty paper lies above it. A page
 * is written from its head down, so a short text leaves its foot empty, not
 * its head; content pressed against the foot under a wide empty head means
 * the foot of the sheet is outside the frame, even when the cut falls
 * between two text lines and no ink touches the edge. Head and foot follow
 * the page's reading direction (an upside-down page's foot is the frame's
 * top edge), and both margins are taken as on the deskewed page: a skewed
 * block's corner comes 1-3 mm closer to an edge than its text lines do, and
 * beyond 5 deg the margins say little. See analyze.c for the limits.
 * Returns the frame edge at the foot (and the deskewed foot and head
 * margins), or -1. */
static int foot_edge(const qr_analysis *a, const qr_profile *p, double *foot_mm, double *head_mm)
{
    if (fabs(a->skew_deg) > p->crop_foot_max_skew_deg)
        return -1;
    double m[4];
    if (!qr_deskewed_block(a, NULL, NULL, m))
        return -1;
    int turn = (a->orientation / 90) % 4;
    int head = turn, foot = (2 + turn) % 4;
    *foot_mm = m[foot];
    *head_mm = m[head];
    return m[foot] < p->crop_foot_margin_mm && m[head] >= p->crop_min_head_mm ? foot : -1;
}

/* Ink on the sheet of a bitonal page. Black backing beside a shifted or
 * skewed sheet is not the sheet's ink: seeds 11 and 12 had backing over
 * 8-42 % of the frame on such pages, which made them 30-41 % black and "too
 * dark" (and so not checked for a cut edge). The speckle of a page that is
 * really too dark meshes into one border component covering 99.6 % of the
 * frame or more, so a "backing" over 90 % is the page itself; and where the
 * speckle meshes only in part, its marks stay small (seed 13: 9.4 px per
 * mark on a dark page with 36 % of "backing"; pages with real backing had
 * 123 px or more). */
static double sheet_ink(const qr_analysis *a, const qr_profile *p)
{
    double b = a->backing_fraction;
    if (b < p->backing_min || b > p->backing_max || a->blob_px < p->backing_min_blob)
        return a->ink_fraction;
    return fmax(0.0, (a->ink_fraction - b) / (1.0 - b));
}

/* Marks smaller than light_blob_min come from a page thresholded near its
 * ink or near its paper: faded strokes broken up (little ink: at most 8.6 %
 * black on seeds 11-12) or dark paper broken into speckle (much ink: 16 % or
 * more on seeds 12-14, where 15 such pages had been called too light because
 * they stayed under dark_ink_max). Clean pages have larger marks (22.9 px or
 * more). */

static bool speckled(const qr_analysis *a, const qr_profile *p)
{
    return a->blob_px >= 0 && a->blob_px < p->light_blob_min && sheet_ink(a, p) >= p->speckle_ink_min;
}

/* Which test called a page too dark (the fault's message says which). */
typedef enum { NOT_DARK, DARK_PAPER, DARK_BLACK_SHARE, DARK_SPECKLE } darkness;

static darkness too_dark(const qr_analysis *a, const qr_profile *p, double *value, double *thr)
{
    if (a->bitonal) {
        *value = sheet_ink(a, p);
        *thr = p->dark_ink_max;
        if (*value > p->dark_ink_max && a->margin_ink_fraction >= p->dark_margin_min)
            return DARK_BLACK_SHARE;
        if (!speckled(a, p))
            return NOT_DARK;
        *thr = p->speckle_ink_min;
        return DARK_SPECKLE;
    }
    *value = a->paper_luma;
    *thr = p->dark_paper_min;
    return a->paper_luma < p->dark_paper_min ? DARK_PAPER : NOT_DARK;
}

/* Faded strokes that stayed whole are thinner than print. Two tests, both
 * on the strokes' width over the letters' height, which is only read on a
 * page with little skew (a letter turned by 20 degrees has a box half as tall
 * again):
 * - hairlines: under light_stroke_min px at 300 dpi, and narrow for their
 *   letters (under light_hairline_ratio); the thinnest clean source (a passport
 *   form) has 2.12 px strokes but ratios of 0.136 and more there;
 * - narrow: under light_stroke_ratio for any width (seeds 11 and 12: clean
 *   pages 0.120 or more, faded music and typewriting 0.072-0.079).
 * Seeds 11 and 12 (8,910 clean bitonal pages): neither test fires on a clean
 * page; they find 7 of the 31 faded pages the mark size missed (seeds 13
 * and 14: 6 of 30, and no clean page). */

/* The letters' height where it can be trusted. A page turned by 90 or 270
 * is not judged: a wrong turn reads the letters' width as their height
 * (seed 12: a clean page turned by mistake read 0.096). Where the
 * orientation is unsure, the page may lie sideways, so the smaller of the
 * two extents is taken, which can only spare a page (seed 14: a sideways
 * page not found sideways read 0.083 on its lines' extent, 0.155 across). */
static double letter_px(const qr_analysis *a)
{
    if (a->orientation == 90 || a->orientation == 270)
        return -1.0;
    if (a->orient_confident)
        return a->char_px;
    if (a->char_px <= 0 || a->char_across_px <= 0)
        return -1.0;
    return fmin(a->char_px, a->char_across_px);
}

typedef enum { NOT_LIGHT, LIGHT_DOTS, LIGHT_VANISHED, LIGHT_HAIRLINE, LIGHT_NARROW, LIGHT_INK } lightness;

static lightness thin_strokes(const qr_analysis *a, const qr_profile *p, double *value,
                              double *thr)
{
    double letter = letter_px(a);
    if (a->stroke_px <= 0 || letter <= 0 || fabs(a->skew_measured_deg) > p->stroke_max_skew_deg)
        return NOT_LIGHT;
    double ratio = a->stroke_px / letter;
    double px300 = a->dpi > 0 ? a->stroke_px * 300.0 / a->dpi : a->stroke_px;
    if (px300 < p->light_stroke_min && ratio < p->light_hairline_ratio) {
        *value = px300;
        *thr = p->light_stroke_min;
        return LIGHT_HAIRLINE;
    }
    *value = ratio;
    *thr = p->light_stroke_ratio;
    return ratio < p->light_stroke_ratio ? LIGHT_NARROW : NOT_LIGHT;
}

/* The bitonal tests were calibrated on pages of 300 dpi and more. The mark
 * size is read at the working resolution, to which a 300 dpi page is
 * reduced by OR-ing pixels together, which thickens its marks; a page
 * scanned at the working resolution keeps them thin (seed 15: three clean
 * 150 dpi pages had 6.5-14 px per mark). So pages under min_dpi are not
 * judged by what thresholding left of their strokes; they have their
 * low_dpi fault. */
static lightness too_light(const qr_analysis *a, const qr_profile *p, double *value,
                           double *thr)
{
    if (!a->bitonal) {
        *value = a->ink_luma;
        *thr = p->light_ink_max;
        return a->ink_luma > p->light_ink_max ? LIGHT_INK : NOT_LIGHT;
    }
    *value = a->blob_px;
    *thr = p->light_blob_min;
    if (a->low_dpi)
        return NOT_LIGHT;
    if (a->blob_px >= 0 && a->blob_px < p->light_blob_min)
        return LIGHT_DOTS;
    if (a->faded && a->dot_px >= 0) {
        /* the page-wide marks were the black backing's (see analyze_ink.c) */
        *value = a->dot_px;
        *thr = p->vanished_dot_max;
        return LIGHT_VANISHED;
    }
    return thin_strokes(a, p, value, thr);
}

static void exposure(fault_list *l, const qr_analysis *a, const qr_profile *p, bool *dark)
{
    double v = 0, t = 0;
    qr_fault *f;
    *dark = false;
    darkness dk = too_dark(a, p, &v, &t);
    if (dk != NOT_DARK && (f = add(l, QR_FAULT_TOO_DARK, v, t)) != NULL) {
        *dark = true;
        if (dk == DARK_BLACK_SHARE)
            snprintf(f->detail, sizeof f->detail, "black covers %.1f%% of the page (at most %.1f%%): dark paper thresholded to speckle",
                     100 * v, 100 * t);
        else if (dk == DARK_SPECKLE)
            snprintf(f->detail, sizeof f->detail,
                     "speckle: marks of %.1f px (under %.1f) cover %.1f%% of the page (%.1f%% or more)",
                     a->blob_px, p->light_blob_min, 100 * v, 100 * t);
        else
            snprintf(f->detail, sizeof f->detail, "paper level %.0f, below %.0f", v, t);
        return;
    }
    lightness lt = too_light(a, p, &v, &t);
    if (lt == NOT_LIGHT || (f = add(l, QR_FAULT_TOO_LIGHT, v, t)) == NULL)
        return;
    if (lt == LIGHT_DOTS)
        snprintf(f->detail, sizeof f->detail, "strokes broken into dots: %.1f px per mark, below %.1f", v, t);
    else if (lt == LIGHT_VANISHED)
        snprintf(f->detail, sizeof f->detail,
                 "strokes left as single dots: %.2f px per mark inside the margins, below %.1f", v, t);
    else if (lt == LIGHT_HAIRLINE)
        snprintf(f->detail, sizeof f->detail,
                 "hairline strokes: %.2f px wide at 300 dpi (under %.2f), %.3f of the letter height",
                 v, t, a->stroke_px / letter_px(a));
    else if (lt == LIGHT_NARROW)
        snprintf(f->detail, sizeof f->detail,
                 "strokes %.3f of the letter height (under %.3f): %.2f px on %.0f px letters", v,
                 t, a->stroke_px, letter_px(a));
    else
        snprintf(f->detail, sizeof f->detail, "darkest ink at level %.0f, above %.0f", v, t);
}

/* The cropped fault of a sheet that sat low (see foot_edge). */
static void foot_fault(fault_list *l, const qr_analysis *a, const qr_profile *p)
{
    double foot = 0, head = 0;
    int e = foot_edge(a, p, &foot, &head);
    qr_fault *f;
    if (e < 0 || (f = add(l, QR_FAULT_CROPPED, foot, p->crop_foot_margin_mm)) == NULL)
        return;
    snprintf(f->detail, sizeof f->detail,
             "sheet sat low: content %.1f mm from the %s edge, the page's foot (under %.1f), "
             "below %.0f mm of empty head (at least %.0f)",
             foot, SIDE[e], p->crop_foot_margin_mm, head, p->crop_min_head_mm);
}

static void geometry(fault_list *l, const qr_analysis *a, const qr_correction *c,
                     const qr_profile *p, bool dark)
{
    qr_fault *f;
    if (c && c->skew_too_large) {
        if ((f = add(l, QR_FAULT_SKEW, a->skew_deg, p->max_skew_deg)) != NULL)
            snprintf(f->detail, sizeof f->detail, "skew %.2f deg beyond %.1f", a->skew_deg,
                     p->max_skew_deg);
        return;
    }
    if (a->orient_checked && !a->orient_confident && a->orient_guess != 0 &&
        a->orient_conf >= p->orient_fault_conf &&
        (f = add(l, QR_FAULT_ORIENTATION, a->orient_conf, p->orient_fault_conf)) != NULL)
        snprintf(f->detail, sizeof f->detail,
                 "probably turned %d deg (confidence %.1f, at least %.1f) but not turned: "
                 "the other axis is too close (ratio %.1f)",
                 a->orient_guess, a->orient_conf, p->orient_fault_conf, a->orient_ratio);
    int s = dark ? -1 : cut_edge(a, p);
    int off = dark || s >= 0 ? -1 : off_frame_edge(a, p);
    if (s >= 0 && (f = add(l, QR_FAULT_CROPPED, a->margin_mm[s], p->crop_min_margin_mm)) != NULL)
        snprintf(f->detail, sizeof f->detail,
                 "content cut at the %s edge: %.1f mm from it along %.0f%% of its length",
                 SIDE[s], a->margin_mm[s], 100 * a->edge_ink[s]);
    else if (off >= 0 && (f = add(l, QR_FAULT_CROPPED, a->backing_mm[(off + 2) % 4],
                                  p->crop_min_backing_mm)) != NULL)
        snprintf(f->detail, sizeof f->detail,
                 "sheet fed off the frame at the %s edge: %.0f mm of backing along the %s "
                 "edge (at least %.0f), none along the %s",
                 SIDE[off], a->backing_mm[(off + 2) % 4], SIDE[(off + 2) % 4],
                 p->crop_min_backing_mm, SIDE[off]);
    else if (s < 0 && off < 0 && a->short_scan &&
             (f = add(l, QR_FAULT_CROPPED, a->sheet_share, p->short_scan_share)) != NULL)
        snprintf(f->detail, sizeof f->detail,
                 "scan stopped early: %.0f%% of the length of the nearest longer standard "
                 "sheet of its width (under %.0f%%); the bottom of the sheet is missing",
                 100 * a->sheet_share, 100 * p->short_scan_share);
    else if (!dark && s < 0 && off < 0 && !a->short_scan)
        foot_fault(l, a, p);
}

int qr_page_faults(const qr_analysis *a, const qr_correction *c, const qr_profile *p,
                   qr_fault *out, int max)
{
    fault_list l = {out, 0, max};
    qr_fault *f;
    if (a->low_dpi && (f = add(&l, QR_FAULT_LOW_DPI, a->dpi, p->min_dpi)) != NULL)
        snprintf(f->detail, sizeof f->detail, "%.0f dpi, below %.0f", a->dpi, p->min_dpi);
    if (a->streaks > 0 &&
        (f = add(&l, QR_FAULT_STREAKS, a->streak_length, p->streak_min_length)) != NULL)
        snprintf(f->detail, sizeof f->detail,
                 "%d dark vertical line%s, the longest over %.0f%% of the height at x=%.0f%%",
                 a->streaks, a->streaks > 1 ? "s" : "", 100 * a->streak_length, 100 * a->streak_x);
    if (a->separator)
        return l.n; /* not a page of the file: flagged, set aside (qr_file_faults) */
    if (a->blank) {
        if ((f = add(&l, QR_FAULT_BLANK, a->centre_ink_fraction, p->blank_ink_max)) != NULL)
            snprintf(f->detail, sizeof f->detail, "no content: %.3f%% ink in the centre (at most %.3f%%)",
                     100 * a->centre_ink_fraction, 100 * p->blank_ink_max);
        return l.n;
    }
    bool dark = false;
    exposure(&l, a, p, &dark);
    geometry(&l, a, c, p, dark);
    return l.n;
}

qr_fault qr_fault_duplicate(int page, double similarity, const qr_profile *p)
{
    qr_fault f;
    memset(&f, 0, sizeof f);
    f.kind = QR_FAULT_DUPLICATE;
    f.page = page;
    f.value = similarity;
    f.threshold = p->dup_min_similarity;
    snprintf(f.detail, sizeof f.detail, "page %d repeats page %d (similarity %.3f)", page,
             page - 1, similarity);
    return f;
}

bool qr_fault_waived(const qr_fault *f, const qr_profile *p)
{
    /* a duplex back side: blank by design (the metrics still say so) */
    return f->kind == QR_FAULT_BLANK && f->page % 2 == 0 && p->allow_blank_backs;
}
