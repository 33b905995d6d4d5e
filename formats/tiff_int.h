/*
 * Internals of the TIFF decoder, split across tiff_read.c (container, tags,
 * passthrough), tiff_plane.c (one-sample pages: bitonal, gray, palette) and
 * tiff_rgba.c (everything colour, through libtiff's RGBA interface).
 */
#ifndef QR_TIFF_INT_H
#define QR_TIFF_INT_H

#include <tiffio.h>

#include "image_int.h"

struct qr_tiff_state {
    qr_tiff_mem mem;
    qr_tiff_log log;
    TIFF *tif;
};

/* The tags of the current directory that steer decoding. */
typedef struct qr_tiff_info {
    uint32_t w, h;
    uint16_t bps, spp, photometric, compression, planar, fillorder, sampleformat;
    uint16_t orientation, extra_count;
    bool tiled;
} qr_tiff_info;

/* Decode the current directory into a PIX in stored order. */
int qr_tiff_read_plane(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                       qr_tiff_log *log, struct Pix **out, qr_err *err);
int qr_tiff_read_rgba(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                      qr_tiff_log *log, struct Pix **out, qr_err *err);
/* Whether the one-sample reader handles this page (else the RGBA reader). */
bool qr_tiff_is_plane(const qr_tiff_info *ti);

#endif
