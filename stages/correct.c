/*
 * correct.c: qr_correct, the correction stage — turn upright, then deskew.
 *
 * Why only when needed: an uncorrected page keeps its original G4 / JPEG bytes
 * in the archive (no generation loss, no encode cost), so this stage returns
 * no image at all when nothing is to be done and the caller passes through.
 *
 * Two ways to apply a correction. qr_correct_plan only decides it; ingest
 * applies it through the PDF page's drawing matrix (qr_pdf_image's view), so
 * a turned or deskewed page still stores the scanner's exact G4 / JPEG bytes:
 * no generation loss, no rotation or re-encoding cost (rotating and
 * re-encoding was a third of ingest's CPU), and an archive image whose bytes
 * are the source's. qr_correct applies it to pixels, for callers that need
 * corrected pixels.
 *
 * Size: a deskewed page keeps the scanner's frame (same width and height;
 * corners brought in are white). The frame is the physical sheet plus the
 * scanner's margin, so the PDF page size stays the sheet size at the page's
 * resolution and every page of a file keeps one size; expanding would grow the
 * page by up to 17 % at 10 degrees and show the frame's own tilted border. The
 * corners lost by turning back at most max_skew_deg lie in that margin.
 *
 * Interpolation: 1 bpp pages are rotated by shears/sampling (stays bitonal, so
 * it re-encodes as G4); gray and colour by area mapping (antialiased).
 *
 * Runs on the calling worker thread; the input page is never modified.
 */
#include <math.h>
#include <string.h>

#include "stages_int.h"


static PIX *deskew(PIX *pix, double skew_deg)
{
    l_int32 type = pixGetDepth(pix) == 1 ? L_ROTATE_SAMPLING : L_ROTATE_AREA_MAP;
    /* pixRotate turns clockwise for a positive angle, which undoes a
     * counter-clockwise (positive) skew. */
    return pixRotate(pix, (l_float32)(QR_DEG2RAD * skew_deg), type, L_BRING_IN_WHITE, 0, 0);
}

static bool wants_deskew(const qr_analysis *an, const qr_profile *prof, qr_correction *what)
{
    if (!an->skew_found)
        return false;
    double s = fabs(an->skew_deg);
    what->skew_too_large = s > prof->max_skew_deg;
    return s >= prof->deskew_threshold_deg && s <= prof->max_skew_deg;
}

void qr_correct_plan(const qr_analysis *an, const qr_profile *prof, qr_correction *what)
{
    memset(what, 0, sizeof *what);
    if (!an || !prof)
        return;
    what->rotation = an->orient_confident ? an->orientation : 0;
    if (wants_deskew(an, prof, what))
        what->skew_applied_deg = an->skew_deg;
    what->changed = what->rotation != 0 || what->skew_applied_deg != 0;
}

int qr_correct(const struct Pix *cpix, const qr_analysis *an, const qr_profile *prof,
               struct Pix **out, qr_correction *what, qr_err *err)
{
    PIX *pix = (PIX *)cpix; /* read only */
    *out = NULL;
    memset(what, 0, sizeof *what);
    if (!pix || !an || !prof)
        return qr_err_set(err, QR_EINVAL, "correction: no page, analysis or profile");
    qr_correction plan;
    qr_correct_plan(an, prof, &plan);
    what->skew_too_large = plan.skew_too_large;
    int rot = plan.rotation;
    bool desk = plan.skew_applied_deg != 0;
    if (!plan.changed)
        return QR_OK;
    PIX *cur = rot ? pixRotateOrth(pix, (360 - rot) / 90) : NULL;
    if (rot && !cur)
        return qr_err_set(err, QR_ENOMEM, "correction: out of memory turning a page by %d", rot);
    if (desk) {
        PIX *d = deskew(cur ? cur : pix, an->skew_deg);
        pixDestroy(&cur);
        if (!d)
            return qr_err_set(err, QR_ENOMEM, "correction: out of memory deskewing a page");
        cur = d;
        what->skew_applied_deg = an->skew_deg;
    }
    what->rotation = rot;
    what->changed = true;
    *out = cur;
    return QR_OK;
}
