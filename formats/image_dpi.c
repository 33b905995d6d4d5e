/*
 * The resolution a page is archived at, decided in one place for `quire
 * convert` and `quire ingest`, so that both say the same thing about it.
 *
 * A page's size in the PDF is its pixels over its resolution. Files without
 * a resolution tag are common (test images, screenshots, files an editor
 * saved): they are taken at an assumed resolution (300 dpi, or the
 * operator's --assume-dpi N) and the archive records that it was assumed. A
 * small image at the assumed 300 dpi can come out under the 3 pt PDF allows
 * for a page side; the message then says the resolution was assumed, how
 * large the page came out, and which option gives the scan's own.
 *
 * A density whose two axes differ wildly (44 x 300 dpi) draws a sheet of an
 * absurd shape. Fax machines really scan at 204 x 98 dpi, so only axes more
 * than QR_DPI_ASPECT_WARN times apart are suspect: the page is still made
 * as the file says, with a warning in its note (the page's provenance).
 */
#include <stdio.h>

#include "image_int.h"

/* The page sizes qr_pdf_add_page accepts (PDF's limits, see qr_pdf.h). */
#define PDF_MIN_PT 3.0
#define PDF_MAX_PT 14400.0
/* Axes of a resolution further apart than this draw a warning. */
#define QR_DPI_ASPECT_WARN 4.0

/* Inches, to a precision that shows a small page as what it is. */
static const char *inches(double in, char *buf, size_t size)
{
    snprintf(buf, size, in < 0.01 ? "%.2g" : in < 1.0 ? "%.2f" : "%.1f", in);
    return buf;
}

static int outside_pdf(double w_pt, double h_pt, double x, double y, bool assumed,
                       qr_err *err)
{
    char a[32], b[32], res[64];
    bool small = w_pt < PDF_MIN_PT || h_pt < PDF_MIN_PT;
    if (assumed)
        snprintf(res, sizeof res, "no resolution tag; at the assumed %g dpi", x);
    else
        snprintf(res, sizeof res, "at its resolution of %g x %g dpi", x, y);
    return qr_err_set(err, QR_EUNSUPPORTED,
                      "unsupported: %s the page is %s x %s in (%.1f x %.1f pt), %s PDF's %s of "
                      "%g pt a side%s", res, inches(w_pt / 72.0, a, sizeof a),
                      inches(h_pt / 72.0, b, sizeof b), w_pt, h_pt, small ? "under" : "over",
                      small ? "minimum" : "maximum", small ? PDF_MIN_PT : PDF_MAX_PT,
                      assumed ? ": give the scan's resolution with --assume-dpi N" : "");
}

static void aspect_warning(qr_page *page, double x, double y, int width, int height)
{
    double ratio = x > y ? x / y : y / x;
    if (!(ratio > QR_DPI_ASPECT_WARN))
        return;
    char a[32], b[32];
    qr_page_note(page, "resolution %g x %g dpi, its axes %.1f times apart: the page "
                 "is %s x %s in, not the shape of its %d x %d pixels", x, y, ratio,
                 inches(width / x, a, sizeof a), inches(height / y, b, sizeof b), width,
                 height);
}

int qr_page_dpi(qr_page *page, int width, int height, double assume_dpi, double *xdpi,
                double *ydpi, bool *assumed, qr_err *err)
{
    double x = page->dpi_known ? page->xdpi : 0, y = page->dpi_known ? page->ydpi : 0;
    if (x <= 0 && y > 0)
        x = y;
    if (y <= 0 && x > 0)
        y = x;
    *assumed = !(x > 0);
    if (*assumed)
        x = y = assume_dpi > 0 ? assume_dpi : QR_ASSUMED_DPI;
    *xdpi = x;
    *ydpi = y;
    double w_pt = width * 72.0 / x, h_pt = height * 72.0 / y;
    if (w_pt < PDF_MIN_PT || h_pt < PDF_MIN_PT || w_pt > PDF_MAX_PT || h_pt > PDF_MAX_PT)
        return outside_pdf(w_pt, h_pt, x, y, *assumed, err);
    if (!*assumed)
        aspect_warning(page, x, y, width, height);
    return QR_OK;
}
