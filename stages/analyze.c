/*
 * analyze.c: qr_analyze, the analysis stage, and the one-time library setup
 * (the profile defaults are the row table of profile.c).
 *
 * Order matters: ink first (a blank page needs no skew or orientation; the
 * marks of the working page give the mark size and the letter height), the
 * stroke width on 1 bpp input (at its own resolution, where the thinning of
 * faded strokes shows), then skew (orientation detection wants deskewed
 * text), then orientation; a page
 * delivered sideways has vertical text lines, so its skew is measured again
 * after the reduced page has been turned upright. A separator sheet fed at an
 * angle is recognised once the skew is known.
 *
 * Skew has fallbacks for pages the plain measurement cannot read: bitonal
 * pages thresholded into speckle (too dark), strokes broken into dots, and
 * faded gray writing; each is tried only when it can matter, so a clean page
 * pays for none of them.
 *
 * Runs on the calling worker thread; no globals are read or written except by
 * qr_stages_global_init, which runs once before any worker exists.
 */
#include <math.h>
#include <string.h>

#include "stages_int.h"

void qr_stages_global_init(void)
{
    setLeptDebugOK(0);
    setMsgSeverity(L_SEVERITY_NONE);
}

static void fill_geometry(PIX *pix, double xdpi, double ydpi, const qr_profile *prof,
                          qr_analysis *a)
{
    a->width = pixGetWidth(pix);
    a->height = pixGetHeight(pix);
    a->depth = pixGetDepth(pix);
    a->xdpi = xdpi > 0 ? xdpi : 0.0;
    a->ydpi = ydpi > 0 ? ydpi : 0.0;
    a->dpi = (a->xdpi > 0 && a->ydpi > 0) ? (a->xdpi < a->ydpi ? a->xdpi : a->ydpi) : 0.0;
    a->low_dpi = a->dpi > 0 && a->dpi < prof->min_dpi;
}

static int check_input(PIX *pix, const qr_profile *prof, qr_err *err)
{
    if (!pix || !prof)
        return qr_err_set(err, QR_EINVAL, "analysis: no page or no profile");
    int d = pixGetDepth(pix);
    if (d != 1 && d != 2 && d != 4 && d != 8 && d != 16 && d != 32)
        return qr_err_set(err, QR_EINVAL, "analysis: unsupported depth %d bpp", d);
    if (pixGetWidth(pix) < 8 || pixGetHeight(pix) < 8)
        return qr_err_set(err, QR_EINVAL, "analysis: page too small (%dx%d)",
                          pixGetWidth(pix), pixGetHeight(pix));
    return QR_OK;
}

/* Bitonal pages made from dark paper are covered in speckle (too dark). In
 * the reduced page, where any black pixel of four makes the result black, the
 * speckle closes up and no text line is left to find an angle in: a source
 * page 26 % black was 44 % black reduced, one 82 % black all black. */
#define SPECKLE_REDUCED_SHARE 0.5 /* reduced this black: measure despeckled */
#define SPECKLE_RETRY_SHARE 0.15  /* reduced this black and no angle: try again */
/* Faded ink on a gray page sits just below the paper: when the usual ink
 * threshold leaves too little to find an angle in, the page is thresholded
 * this far below its paper level (seeds 11-13: seven faded pages gave no
 * angle; 20 levels below paper found each within 0.05 deg). */
#define FAINT_BELOW_PAPER 20

static double black_share(PIX *bin)
{
    l_float32 black = 0.0f;
    return pixForegroundFraction(bin, &black) == 0 ? (double)black : 0.0;
}

static bool bitonal_source(PIX *pix, const qr_reduced *r)
{
    return r->threshold < 0 && r->levels > 0 && pixGetDepth(pix) == 1;
}

/* The skew fields of one measurement. */
static void take_skew(qr_analysis *to, const qr_analysis *from)
{
    to->skew_found = from->skew_found;
    to->skew_deg = from->skew_deg;
    to->skew_conf = from->skew_conf;
    to->skew_measured_deg = from->skew_measured_deg;
}

/* Skew measured into a copy; taken when surer than what *best holds. */
static void skew_try(PIX *bin, const qr_profile *prof, qr_analysis *best)
{
    if (!bin)
        return;
    qr_analysis t = *best;
    qr_measure_skew(bin, prof, &t);
    if (t.skew_found && (!best->skew_found || t.skew_conf > best->skew_conf))
        take_skew(best, &t);
}

/* The source reduced so that a black pixel needs all four below it black,
 * then once more: random speckle rarely fills a 2x2 cell, text strokes do;
 * how much of the speckle goes in one step depends on its density, so both
 * are measured and the surer angle kept (seed 12: 2.64 deg at 1.8 once, 3.12
 * at 2.3 twice; truth 3.2). The content box found on speckle is noise (one
 * page's was a 35-pixel strip), so the whole page is measured. */
static void skew_despeckled(PIX *pix, const qr_reduced *r, const qr_profile *prof,
                            qr_analysis *a)
{
    int lv = r->levels;
    PIX *once = pixReduceRankBinaryCascade(pix, 4, lv > 1, lv > 2, lv > 3);
    PIX *twice = once ? pixReduceRankBinary2(once, 4, NULL) : NULL;
    skew_try(once, prof, a);
    skew_try(twice, prof, a);
    pixDestroy(&once);
    pixDestroy(&twice);
}

/* A gray page whose ink threshold found no angle is first thresholded
 * locally (Sauvola: each pixel against the mean and spread of the 4 mm
 * around it), which inks faint writing but not an even gray area: a sheet
 * photographed on a lighter ground has the ground as its "paper level", and
 * 20 levels under it the whole sheet became ink and its outline was measured
 * instead of the lines (seeds 12 and 13: -1.61 deg for -0.66, -4.00 for
 * -2.72; locally -0.63 and -2.69). Where the writing is too faint for that
 * too, the global level below the paper is kept. On seeds 11-15 (6,432 gray
 * and colour pages) no other page of text changed its angle; one photograph
 * moved by 0.14 deg. */
#define FAINT_WINDOW_MM 2.0  /* half the local window */
#define FAINT_LOCAL_K 0.10   /* Sauvola's factor: ink under 0.9 of the local mean */

PIX *qr_faint_local(PIX *gray, double work_dpi)
{
    int half = (int)lround(FAINT_WINDOW_MM / 25.4 * work_dpi);
    if (half < 2 || pixGetWidth(gray) < 2 * half + 4 || pixGetHeight(gray) < 2 * half + 4)
        return NULL;
    PIX *bin = NULL;
    if (pixSauvolaBinarize(gray, half, (l_float32)FAINT_LOCAL_K, 1, NULL, NULL, NULL, &bin) != 0)
        pixDestroy(&bin);
    return bin;
}

static void skew_faint(const qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    int t = a->paper_luma - FAINT_BELOW_PAPER;
    if (!r->gray || t <= r->threshold)
        return;
    PIX *bin = qr_faint_local(r->gray, r->work_dpi);
    skew_try(bin, prof, a);
    pixDestroy(&bin);
    if (a->skew_found)
        return;
    bin = pixThresholdToBinary(r->gray, t);
    skew_try(bin, prof, a);
    pixDestroy(&bin);
}

/* Strokes broken into dots or thin lines join into text lines once the page
 * is halved again (seed 12: two pages that gave no angle came within 0.1 deg
 * at half the working resolution). */
static void skew_coarser(const qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    PIX *c = qr_content_of(r->bin, r);
    PIX *half = c ? pixReduceRankBinary2(c, 1, NULL) : NULL;
    skew_try(half, prof, a);
    pixDestroy(&half);
    pixDestroy(&c);
}

/* Skew on the reduced page's content box; speckled bitonal pages on the
 * despeckled page instead, or when the reduced page gave no angle; a page
 * that still has none is tried coarser (bitonal) or fainter (gray). Seeds
 * 11-13: the 17 worst skew errors, 1-2.8 deg on too-dark pages that gave no
 * angle, all came within 0.13 deg. */
static void measure_skew(PIX *pix, const qr_reduced *r, const qr_profile *prof,
                         qr_analysis *a)
{
    bool bitonal = bitonal_source(pix, r);
    if (bitonal && black_share(r->bin) > SPECKLE_REDUCED_SHARE) {
        skew_despeckled(pix, r, prof, a);
        return;
    }
    PIX *c = qr_content_of(r->bin, r);
    if (c)
        qr_measure_skew(c, prof, a);
    pixDestroy(&c);
    if (a->skew_found)
        return;
    if (bitonal && black_share(r->bin) > SPECKLE_RETRY_SHARE)
        skew_despeckled(pix, r, prof, a);
    else if (bitonal)
        skew_coarser(r, prof, a);
    else
        skew_faint(r, prof, a);
}

/* Sideways pages: turn the reduced page upright and measure the skew there.
 * Lines that read far better as delivered than turned mean the page was not
 * sideways, whatever the ascender statistics said: printed music (staves
 * with few letters) and small print on a small sheet were turned by 90 deg.
 * Such a page keeps its delivered skew and is judged upright or upside down
 * only. On seeds 11-15, the 104 pages rightly found sideways read at most
 * 1.53 times better as delivered; the 6 wrongly turned ones (4 music pages,
 * 2 of text) 2.96-11.5 times. */
#define SIDEWAYS_VETO_RATIO 2.0

bool qr_sideways_vetoed(const qr_analysis *unturned, const qr_analysis *turned)
{
    return unturned->skew_found &&
           unturned->skew_conf >= SIDEWAYS_VETO_RATIO * turned->skew_conf;
}

static void reskew_upright(qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    a->unturned_skew_conf = a->skew_conf;
    if (!a->orient_confident || (a->orientation != 90 && a->orientation != 270))
        return;
    qr_analysis unturned = *a;
    PIX *c = qr_content_of(r->bin, r);
    PIX *up = c ? pixRotateOrth(c, (360 - a->orientation) / 90) : NULL;
    if (up)
        qr_measure_skew(up, prof, a);
    pixDestroy(&up);
    pixDestroy(&c);
    if (!qr_sideways_vetoed(&unturned, a))
        return;
    take_skew(a, &unturned);
    qr_orient_not_sideways(prof, a);
}

/* Stroke width, on 1 bpp input only (a gray page's strokes have levels) and
 * with enough ink to be strokes, not specks; read on every STROKE_STEP-th
 * row. */
#define STROKE_MIN_INK 1000
#define STROKE_STEP 4

static void measure_stroke(PIX *pix, qr_analysis *a)
{
    a->stroke_px = -1.0;
    if (a->depth != 1 || a->blank)
        return;
    long long ink = 0;
    double w = qr_stroke_width(pix, STROKE_STEP, &ink);
    if (ink >= STROKE_MIN_INK)
        a->stroke_px = w;
}

int qr_analyze(const struct Pix *cpix, double xdpi, double ydpi, const qr_profile *prof,
               qr_analysis *out, qr_err *err)
{
    PIX *pix = (PIX *)cpix; /* Leptonica's API is not const-correct; never written */
    memset(out, 0, sizeof *out);
    int rc = check_input(pix, prof, err);
    if (rc != QR_OK)
        return rc;
    fill_geometry(pix, xdpi, ydpi, prof, out);
    qr_reduced r;
    rc = qr_reduce(pix, xdpi, ydpi, prof, &r, err);
    if (rc != QR_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->work_dpi = r.work_dpi;
    out->bitonal = out->depth == 1 || r.threshold < 0;
    qr_measure_exposure(&r, out);
    qr_measure_ink(&r, prof, out);
    measure_stroke(pix, out);
    qr_measure_streaks(&r, prof, out);
    qr_measure_margins(&r, prof, out); /* also finds the content box */
    if (!out->blank) {
        measure_skew(pix, &r, prof, out);
        qr_measure_separator_skewed(&r, out);
    }
    qr_measure_orientation(pix, &r, prof, out);
    reskew_upright(&r, prof, out);
    if (out->orientation == 90 || out->orientation == 270) {
        double h = out->char_px; /* the letters' height runs along the rows */
        out->char_px = out->char_across_px;
        out->char_across_px = h;
    }
    qr_reduced_clear(&r);
    return QR_OK;
}
