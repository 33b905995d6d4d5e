/*
 * stages_int.h: internals shared by the stage sources (not a public API).
 *
 * The reduced page is built once per analysis and then read by every metric;
 * it is local to one call, so no locking is ever needed.
 */
#ifndef QR_STAGES_INT_H
#define QR_STAGES_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "qr_stages.h"

#include <leptonica/allheaders.h>

/* Pi, and degrees to radians for the skew angles every stage reads. */
#define QR_PI 3.14159265358979323846
#define QR_DEG2RAD (QR_PI / 180.0)

/* The page at the working resolution. */
typedef struct qr_reduced {
    PIX *luma;        /* 8 bpp luma at full resolution (kept for a finer second
                         look); NULL on the 1 bpp path */
    PIX *gray;        /* 8 bpp luma at work_dpi; NULL on the 1 bpp path */
    PIX *bin;         /* 1 bpp (1 = ink) at work_dpi */
    double work_dpi;  /* resolution of gray/bin (assumed when the tag is missing) */
    double src_dpi;   /* resolution the page was taken to have (min of the axes) */
    double src_xdpi, src_ydpi;
    int levels;       /* 1 bpp path: number of 2x reductions applied */
    int threshold;    /* gray path: luma < threshold is ink; -1 on the 1 bpp path */
    int hist[256];    /* luma histogram of gray (1 bpp path: two bins, 0 and 255) */
    double peak_row, peak_col; /* most inked row (share of the width) and column
                                  (share of the height), from qr_measure_margins */
    int box[4];       /* the content (x, y, w, h in bin's pixels) with 2 mm of paper
                         around it, from qr_measure_margins; w = 0: not known */
} qr_reduced;

/* img (bin, or the same page at another resolution) cut to the content box;
 * a clone of img when the box is not known. Skew and orientation read only
 * the content: outside it there is only paper or the scanner's backing, and
 * on the corpus the box is 71 % of the page. */
PIX *qr_content_of(PIX *img, const qr_reduced *r);

/* reduce.c */
/* The resolution a page of w x h is taken to have on an axis whose tag says
 * dpi (0 = none): the tag when it gives a sheet 3 to 20 inches long, else
 * that of a sheet about 11 inches long. */
double qr_effective_dpi(double dpi, int w, int h);
int qr_reduce(PIX *pix, double xdpi, double ydpi, const qr_profile *prof, qr_reduced *r,
              qr_err *err);
void qr_reduced_clear(qr_reduced *r);
/* Luma histogram of gray (8 bpp), or of its part inside box when box is not
 * NULL; QR_OK or QR_ENOMEM. */
int qr_gray_histogram(PIX *gray, BOX *box, int hist[256]);
/* A binary image at about twice work_dpi for a second opinion, or NULL when the
 * source has no finer resolution. */
PIX *qr_reduce_fine(PIX *pix, const qr_reduced *r);

/* Word j of a packed 1 bpp row (MSB first; mask clears the padding bits of
 * the last word) and each bit's left and right neighbours, pixels outside
 * the row being paper. Shared by the packed-row passes (stroke.c, marks.c). */
static inline uint32_t qr_row_word(const uint32_t *row, int j, int wpl, uint32_t mask,
                                   uint32_t *left, uint32_t *right)
{
    uint32_t c = j == wpl - 1 ? row[j] & mask : row[j];
    uint32_t prev = j > 0 ? row[j - 1] : 0;
    uint32_t next = j < wpl - 1 ? row[j + 1] : 0;
    *left = (c >> 1) | (prev << 31);
    *right = (c << 1) | (next >> 31); /* a last word's top bit is a pixel */
    return c;
}

/* stroke.c: mean stroke width of a 1 bpp page in its pixels (twice the ink
 * over the ink that touches paper), read on every step-th row, or -1 when
 * those have no ink; *ink gets the page's ink estimated from them. */
double qr_stroke_width(PIX *bin, int step, long long *ink);

/* marks.c: the 8-connected marks of a 1 bpp image (1 = ink), as Leptonica's
 * pixConnCompBB finds them, in no set order. *marks (when not NULL) gets a
 * malloc'd array of *count boxes, NULL when there are none. QR_OK, QR_EINVAL
 * (not 1 bpp) or QR_ENOMEM. */
typedef struct qr_mark {
    int x, y, w, h; /* bounding box */
    int area;       /* ink pixels */
} qr_mark;
int qr_find_marks(PIX *bin, qr_mark **marks, int *count);

/* analyze_ink.c */
void qr_measure_exposure(const qr_reduced *r, qr_analysis *a);
void qr_measure_ink(const qr_reduced *r, const qr_profile *prof, qr_analysis *a);

/* analyze.c: faint writing on a gray page thresholded locally (Sauvola, a
 * 4 mm window), which leaves an even gray area white; NULL when the page is
 * too small for the window. */
PIX *qr_faint_local(PIX *gray, double work_dpi);

/* analyze.c: true when a page found sideways reads its lines at least twice
 * as surely as delivered (`unturned`) as turned upright (`turned`): it is
 * not sideways. */
bool qr_sideways_vetoed(const qr_analysis *unturned, const qr_analysis *turned);

/* analyze_geom.c */
void qr_measure_skew(PIX *bin, const qr_profile *prof, qr_analysis *a);
void qr_measure_orientation(PIX *pix, const qr_reduced *r, const qr_profile *prof,
                            qr_analysis *a);
/* The orientation decided again from the up/down confidence alone: the page
 * is known not to lie sideways. */
void qr_orient_not_sideways(const qr_profile *prof, qr_analysis *a);

/* orient_bits.c: the ascender/descender confidences of a 1 bpp page as it
 * lies (up) and turned by 90 degrees (left), on the scale of Leptonica's
 * pixUpDownDetect: > 0 means ascenders up, 0 means too few hits. left is
 * measured only when up < sure_up (else 0). 0, or -1 (no memory; both 0). */
int qr_orient_confs(PIX *bin, double sure_up, double *up, double *left);

/* skew_proj.c: Leptonica's skew sweep and search (pivot at the centre; a
 * sweep of +-range in 1 deg steps at 1/redsweep resolution, redsweep 1 or
 * 2, then halving to 0.01 deg at full resolution) computed on strip
 * projections. The angle that deskews, in degrees, and the confidence (best
 * over worst score; 0 when not trusted). When the sweep's best angle lies
 * within +-beyond, no search is made: *angle is the sweep's and *conf 0 (a
 * check for a stronger peak elsewhere costs the sweep only); beyond < 0
 * always searches. 0, or 1 when bin has no ink or memory ran out. */
int qr_skew_sweep_search(PIX *bin, int redsweep, double range, double beyond, double *angle,
                         double *conf);

/* analyze_qc.c */
void qr_measure_streaks(const qr_reduced *r, const qr_profile *prof, qr_analysis *a);
void qr_measure_margins(qr_reduced *r, const qr_profile *prof, qr_analysis *a);
/* The content block as on the deskewed page, from the margins and the skew.
 * The box of a block turned by t is wider by its height * tan t and taller
 * by its width * tan t, so the block's width and height (mm; NULL to skip)
 * are solved from the box's, and each margin (margin_mm; NULL to skip) grows
 * by half of what the box overhangs on its side: the turned block's corner
 * comes that much closer to the edge than its lines do. False when the dpi
 * or a margin is unknown. Shared by the duplicate signature (content size)
 * and the verdict (a sheet that sat low). */
bool qr_deskewed_block(const qr_analysis *a, double *w_mm, double *h_mm, double margin_mm[4]);
/* A separator sheet fed at an angle: its bars are looked for again with the
 * measured skew sheared out (after qr_measure_skew). */
void qr_measure_separator_skewed(const qr_reduced *r, qr_analysis *a);

/* Luma of a 32 bpp page with the Rec. 601 weights a JPEG's Y channel uses,
 * so a colour page measures the same whether the decoder gave RGB or only
 * the JPEG's luma (qr_limits.luma_when_passthrough). */
static inline PIX *qr_rgb_luma(PIX *pix)
{
    return pixConvertRGBToGray(pix, 0.299f, 0.587f, 0.114f);
}

#endif
