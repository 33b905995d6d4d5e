/*
 * Internals of the TIFF decoder, split across tiff_read.c (container, tags,
 * passthrough), tiff_caps.c (what a directory or a tile declares, checked
 * against the caps before libtiff allocates it), tiff_plane.c (one-sample
 * pages: bitonal, gray, palette) and tiff_rgba.c (everything colour, through
 * libtiff's RGBA interface).
 */
#ifndef QR_TIFF_INT_H
#define QR_TIFF_INT_H

#include <tiffio.h>

#include "image_int.h"

struct qr_tiff_state {
    qr_tiff_mem mem;
    qr_tiff_log log;
    TIFF *tif;
    int cursor_index;     /* tiff_caps.c: the directory last checked ... */
    uint64_t cursor_off;  /* ... and its offset (0: start from the header) */
};

/* Strips of up to this many rows are read whole, taller ones by scanline,
 * QR_BAND_ROWS at a time. */
#define QR_STRIP_ROWS 256

/* A tile may be larger than its page (writers use 256 x 256 tiles for any
 * page), but a reader that decodes whole tiles is never made to decode more
 * than the page or this many bytes, whichever is more. */
#define QR_TILE_SLACK (64ull << 20)

/* The tags of the current directory that steer decoding. */
typedef struct qr_tiff_info {
    uint32_t w, h;
    uint16_t bps, spp, photometric, compression, planar, fillorder, sampleformat;
    uint16_t orientation, extra_count;
    bool tiled;
} qr_tiff_info;

/* Decode the current directory into a PIX in stored order (*out), or, when
 * sink is given and qr_band_wanted says so, band by band into sink (*out
 * NULL, page->banded set; page's metadata must be set before). */
int qr_tiff_read_plane(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                       qr_tiff_log *log, qr_page *page, const qr_band_sink *sink,
                       struct Pix **out, qr_err *err);
int qr_tiff_read_rgba(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim,
                      qr_tiff_log *log, qr_page *page, const qr_band_sink *sink,
                      struct Pix **out, qr_err *err);
/* Whether tiff_plane.c reads this page from its samples (one-sample pages
 * and 8-bit RGB), else the RGBA reader. */
bool qr_tiff_is_plane(const qr_tiff_info *ti);

/* tiff_caps.c. Directory index (0-based) of st's file, before libtiff
 * loads it: no tag's data above lim->max_page_bytes, and all of it together
 * no more than the file holds. QR_OK, or QR_ELIMIT naming the block. */
int qr_tiff_check_page(struct qr_tiff_state *st, int index, const qr_limits *lim, qr_err *err);
/* The current directory's tile size against the caps (pixels, bytes; and,
 * when the reader decodes whole tiles, QR_TILE_SLACK). */
int qr_tiff_check_tile(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, bool whole,
                       qr_err *err);

#endif
