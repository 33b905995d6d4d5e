/*
 * Orientation and resolution, applied in one place for every format. TIFF and
 * EXIF share the same 1..8 orientation code: it says where the stored row 0 and
 * column 0 belong on the displayed page. We turn the stored pixels into the
 * displayed page, so later stages (analysis, deskew, the PDF page size) never
 * need to know the tag existed; the tag itself is still recorded on the page.
 */
#include <math.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

double qr_res_to_dpi(double value, int unit)
{
    if (!(value > 0) || !isfinite(value) || unit == 1)
        return 0;
    double dpi = unit == 3 ? value * 2.54 : value;
    if (dpi > 1e6)
        return 0;
    return round(dpi * 100.0) / 100.0;
}

/* Rotate by 90 degrees (clockwise when cw) and optionally flip afterwards. */
static PIX *rotate_then(PIX *pix, bool cw, int flip /* 0 none, 1 LR, 2 TB */)
{
    PIX *r = pixRotate90(pix, cw ? 1 : -1);
    if (!r || flip == 0)
        return r;
    PIX *f = flip == 1 ? pixFlipLR(NULL, r) : pixFlipTB(NULL, r);
    pixDestroy(&r);
    return f;
}

PIX *qr_orient_apply(PIX *pix, int orientation)
{
    switch (orientation) {
    case 2: return pixFlipLR(NULL, pix);     /* mirrored */
    case 3: return pixRotate180(NULL, pix);  /* upside down */
    case 4: return pixFlipTB(NULL, pix);     /* mirrored vertically */
    case 5: return rotate_then(pix, true, 1); /* transpose */
    case 6: return rotate_then(pix, true, 0); /* needs 90 degrees clockwise */
    case 7: return rotate_then(pix, true, 2); /* transverse */
    case 8: return rotate_then(pix, false, 0); /* needs 90 counter-clockwise */
    default: return pixClone(pix);
    }
}

int qr_page_finish(qr_page *page, PIX *pix, int orientation, double xdpi, double ydpi,
                   qr_err *err)
{
    if (orientation < 1 || orientation > 8)
        orientation = 1;
    PIX *out = qr_orient_apply(pix, orientation);
    pixDestroy(&pix);
    if (!out)
        return qr_err_set(err, QR_ENOMEM, "out of memory applying orientation %d",
                          orientation);
    if (orientation >= 5) { /* axes swapped */
        double t = xdpi;
        xdpi = ydpi;
        ydpi = t;
    }
    page->orientation = orientation;
    page->dpi_known = xdpi > 0 && ydpi > 0;
    page->xdpi = page->dpi_known ? xdpi : 0;
    page->ydpi = page->dpi_known ? ydpi : 0;
    pixSetResolution(out, (l_int32)lround(page->xdpi), (l_int32)lround(page->ydpi));
    page->pix = out;
    return QR_OK;
}
