/*
 * analyze_geom.c: skew angle and page orientation on the reduced binary page.
 *
 * Skew: a shear sweep (1 deg steps, at half the working resolution) followed
 * by a binary search to 0.01 deg at the working resolution, sheared about
 * the centre: Leptonica's method, computed on strip projections by
 * skew_proj.c. The sweep covers +-5 deg first (nearly every sheet) and
 * +-skew_search_deg when that finds no angle inside +-4 deg with a score
 * ratio of 6 (heavily skewed pages show weak false peaks inside +-5 deg: 4
 * heavy skews of corpus seed 11 were lost at once); the wide
 * range exceeds the largest correctable skew so that heavy skew is measured,
 * not just missed.
 *
 * Orientation is the ascender/descender test of orient_bits.c (Leptonica's
 * statistic, computed about six times faster). It runs only on pages with
 * enough ink, on the reduced page first; only when that answer is not
 * decisive does it ask once more at twice the resolution. The text is
 * deskewed first when the skew is large enough to blur the
 * ascender/descender statistics.
 *
 * Memory that runs out makes a measurement return QR_ENOMEM: an angle or an
 * orientation not measured must fail the page, not read as "straight" or
 * "upright".
 *
 * Runs on the calling worker thread; all images are the call's own.
 */
#include <math.h>

#include "stages_int.h"

#define SKEW_NEAR_DEG 5.0
/* A near sweep less sure than this is checked by a wide one (seed 11: 4
 * heavy skews showed weak false peaks inside +-5 deg). */
#define SKEW_NEAR_SURE 6.0
/* ... and up to this, ruled forms skewed beyond it alias: the rules of a
 * fax form skewed 10.8 deg lined up at -3.5 deg with a score ratio of 7.5
 * (seed 11, twice), so the wide sweep is asked too and wins when it finds a
 * surer angle outside the near range. */
#define SKEW_NEAR_CHECK 10.0

/* beyond < 0: always search; else not when the sweep's best is within it. */
static int sweep(PIX *bin, double range, double beyond, double *angle, double *conf)
{
    int redsweep = pixGetWidth(bin) >= 800 ? 2 : 1;
    return qr_skew_sweep_search(bin, redsweep, range, beyond, angle, conf);
}

/* Close lines merge at half resolution: the staves of a page of music (1.5
 * mm apart) gave a false peak at +1.2 deg with a score ratio of 5.3 (seed 13,
 * truth -1.51). An unsure near answer is therefore swept once more at full
 * resolution, and the surer of the two kept. */
static void sweep_full(PIX *bin, int *rc, double *angle, double *conf)
{
    if (pixGetWidth(bin) < 800)
        return; /* already swept at full resolution */
    double fa = 0.0, fc = 0.0;
    int frc = qr_skew_sweep_search(bin, 1, SKEW_NEAR_DEG, -1.0, &fa, &fc);
    if (frc < 0)
        *rc = frc;
    else if (frc == 0 && (*rc != 0 || fc > *conf)) {
        *rc = 0;
        *angle = fa;
        *conf = fc;
    }
}

/* The wide sweep, checking an unsure near answer (or a fairly sure one). */
static int sweep_wide(PIX *bin, const qr_profile *prof, bool unsure, int *rc, double *angle,
                      double *conf)
{
    double wa = 0.0, wc = 0.0;
    /* the check needs no search when the wide sweep agrees */
    double beyond = unsure ? -1.0 : SKEW_NEAR_DEG - 1.0;
    int wrc = sweep(bin, prof->skew_search_deg, beyond, &wa, &wc);
    if (wrc < 0)
        return QR_ENOMEM;
    bool outside = wrc == 0 && fabs(wa) > SKEW_NEAR_DEG - 1.0;
    /* An unsure near answer gives way unless the wide one lands inside
     * the near range less sure (a speckled page, seed 12: 2.81 deg at
     * 2.8 near, nothing at 1.1 wide); a fairly sure one only to a surer
     * angle outside it. */
    bool take = unsure ? *rc != 0 || (wrc == 0 && (wc > *conf || outside))
                       : outside && wc > *conf;
    if (take) {
        *rc = wrc;
        *angle = wa;
        *conf = wc;
    }
    return QR_OK;
}

int qr_measure_skew(PIX *bin, const qr_profile *prof, qr_analysis *a)
{
    double angle = 0.0, conf = 0.0;
    /* Most sheets lie within a few degrees: sweep +-NEAR first and widen to
     * the full range only when that finds no sure angle well inside it. */
    int rc = sweep(bin, SKEW_NEAR_DEG, -1.0, &angle, &conf);
    bool unsure = rc != 0 || conf < SKEW_NEAR_SURE || fabs(angle) > SKEW_NEAR_DEG - 1.0;
    if (unsure && rc >= 0) {
        sweep_full(bin, &rc, &angle, &conf);
        unsure = rc != 0 || conf < SKEW_NEAR_SURE || fabs(angle) > SKEW_NEAR_DEG - 1.0;
    }
    if (rc < 0)
        return QR_ENOMEM;
    if ((unsure || conf < SKEW_NEAR_CHECK) &&
        sweep_wide(bin, prof, unsure, &rc, &angle, &conf) != QR_OK)
        return QR_ENOMEM;
    double c = conf, ang = angle;
    a->skew_conf = rc == 0 ? c : 0.0;
    a->skew_measured_deg = rc == 0 ? ang : 0.0;
    /* An angle beyond what may be corrected (a fault) has its own score
     * ratio; see skew_large_min_conf in the profile defaults. */
    double need = fabs(ang) > prof->max_skew_deg ? prof->skew_large_min_conf : prof->skew_min_conf;
    a->skew_found = rc == 0 && c >= need;
    a->skew_deg = a->skew_found ? ang : 0.0;
    return QR_OK;
}

/* Map Leptonica's two signed confidences onto a clockwise delivery angle. */
static void decide(double up, double left, const qr_profile *prof, qr_analysis *a)
{
    double au = fabs(up), al = fabs(left);
    double best = fmax(au, al), other = fmin(au, al);
    a->up_conf = up;
    a->left_conf = left;
    a->orient_conf = best;
    a->orient_ratio = other > 0.01 ? best / other : (best > 0 ? 100.0 : 0.0);
    if (au >= al)
        a->orient_guess = up >= 0 ? 0 : 180;
    else
        a->orient_guess = left > 0 ? 270 : 90;
    a->orient_confident = best >= prof->orient_min_conf && a->orient_ratio >= prof->orient_min_ratio;
    a->orientation = a->orient_confident ? a->orient_guess : 0;
}

void qr_orient_not_sideways(const qr_profile *prof, qr_analysis *a)
{
    decide(a->up_conf, 0.0, prof, a);
}

/* Orientation of one binary image; deskews a private copy first if needed. */
static int detect(PIX *bin, const qr_profile *prof, qr_analysis *a)
{
    PIX *work = NULL;
    if (a->skew_found && fabs(a->skew_deg) >= 1.0) {
        work = pixRotate(bin, (l_float32)(QR_DEG2RAD * a->skew_deg), L_ROTATE_SAMPLING,
                         L_BRING_IN_WHITE, 0, 0);
        if (!work)
            return QR_ENOMEM;
    }
    /* The sideways test is skipped when the page is already surely upright
     * (1.5 times the confidence a decision needs): left stays 0, so the
     * ratio test passes. On corpus seed 11, none of the 2,475 pages above
     * that level was turned, and the skip saves the sideways test on about
     * 40 % of the pages. */
    double up = 0.0, left = 0.0;
    /* -1: no memory (bin is 1 bpp) */
    int rc = qr_orient_confs(work ? work : bin, 1.5 * prof->orient_min_conf, &up, &left);
    pixDestroy(&work);
    if (rc != 0)
        return QR_ENOMEM;
    decide(up, left, prof, a);
    return QR_OK;
}

/* A second look at twice the resolution, at a page the first left unsure. */
static int orient_fine(PIX *pix, const qr_reduced *r, const qr_profile *prof, qr_analysis *a)
{
    /* The finer look is asked only about a turned first guess with some
     * evidence (half the needed confidence). On corpus seed 11 it turned 23
     * pages whose first guess was upright, all 23 wrongly; among weakly
     * turned guesses it fixed one rotated page and wrongly turned seven. */
    if (a->orient_guess == 0 || a->orient_conf < 0.5 * prof->orient_min_conf)
        return QR_OK;
    PIX *whole = NULL;
    if (qr_reduce_fine(pix, r, &whole) != QR_OK)
        return QR_ENOMEM;
    if (!whole)
        return QR_OK; /* no finer resolution */
    PIX *fine = qr_content_of(whole, r);
    pixDestroy(&whole);
    qr_analysis second = *a;
    int rc = fine ? detect(fine, prof, &second) : QR_ENOMEM;
    pixDestroy(&fine);
    if (rc != QR_OK)
        return rc;
    /* Two resolutions that disagree mean the text does not carry the
     * ascender/descender statistics the detector relies on (e.g. Hebrew with
     * vowel points looks upside down at 300 dpi): do not turn such a page. */
    bool coarse_weak = a->orient_conf < 0.5 * prof->orient_min_conf;
    if (!coarse_weak && second.orient_guess != a->orient_guess) {
        a->orient_fine = true;
        return QR_OK;
    }
    if (second.orient_confident || second.orient_conf > a->orient_conf) {
        *a = second;
        a->orient_fine = true;
    }
    return QR_OK;
}

int qr_measure_orientation(PIX *pix, const qr_reduced *r, const qr_profile *prof,
                           qr_analysis *a)
{
    a->orient_checked = false;
    if (!prof->detect_orientation || a->blank || a->ink_fraction < prof->orient_min_ink)
        return QR_OK;
    a->orient_checked = true;
    PIX *c = qr_content_of(r->bin, r);
    int rc = c ? detect(c, prof, a) : QR_ENOMEM;
    pixDestroy(&c);
    if (rc != QR_OK)
        return rc;
    a->coarse_up = a->up_conf;
    a->coarse_left = a->left_conf;
    if (a->orient_confident)
        return QR_OK;
    return orient_fine(pix, r, prof, a);
}
