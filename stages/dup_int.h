/*
 * dup_int.h: a diagnostic look inside the duplicate-page comparison (not a
 * public API): the per-axis correlations that qr_signature_similarity
 * combines. Used by bench/bench_dup.c to show where a decision came from.
 */
#ifndef QR_DUP_INT_H
#define QR_DUP_INT_H

#include "qr_stages.h"

/* Best correlation of the row (*h) and column (*v) profile details; 0 for
 * invalid or blank signatures. */
void qr_signature_axes(const qr_signature *a, const qr_signature *b, double *h, double *v);

/* How one axis of b fits onto a: the best correlation, at which scale, and
 * how far b's ink lies from a's on the page (mm, b minus a, at a's ink
 * centroid). turned: the fit was found with b turned by 180 degrees, where
 * the position says nothing. */
typedef struct qr_axis_fit {
    double corr, scale, shift_mm;
    bool turned;
} qr_axis_fit;

/* Rows (vertical position) and columns (horizontal) of the better of the two
 * orientations; both zero for invalid or blank signatures. */
void qr_signature_fit(const qr_signature *a, const qr_signature *b, qr_axis_fit *rows,
                      qr_axis_fit *cols);

#endif
