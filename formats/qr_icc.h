/*
 * qr_icc: the two ICC v2 colour profiles quire embeds in its PDF/A archives.
 *
 * PDF/A needs an output intent with an ICC profile, and an ICC-based colour
 * space for device-independent gray. Rather than shipping a third-party
 * profile (whose licence would have to travel with every archive), quire
 * writes the profile bytes itself, in code, from the published sRGB
 * definition (IEC 61966-2-1: primaries, D65 white, transfer function). The
 * profiles are therefore licence-clean: their copyright tag names quire and
 * says that they may be freely used.
 *
 * Both profiles are ICC version 2.1 display ('mntr') profiles with an XYZ
 * PCS, which PDF/A-1 (profiles < 4.0) and PDF/A-2 accept:
 *   - sRGB: desc, cprt, wtpt, rXYZ/gXYZ/bXYZ (primaries Bradford-adapted to
 *     the D50 PCS white), rTRC/gTRC/bTRC (one shared 1024-entry table of the
 *     sRGB transfer function);
 *   - gray: desc, cprt, wtpt, kTRC (the same sRGB curve, so gray pages
 *     render like the neutral axis of sRGB).
 *
 * The bytes are deterministic and computed from first principles each call
 * (a few kilobytes, no globals): any thread may call these functions.
 */
#ifndef QR_ICC_H
#define QR_ICC_H

#include "qr_util.h"

/* Append the profile to *out. QR_OK or QR_ENOMEM. */
int qr_icc_srgb(qr_buf *out);
int qr_icc_gray(qr_buf *out);

/* The sRGB primaries adapted to D50 (columns: red, green, blue; rows X, Y, Z),
 * as written into the profile before fixed-point rounding. Exposed so tests
 * can compare with the published values. */
void qr_icc_srgb_d50_matrix(double m[3][3]);

#endif
