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

#endif
