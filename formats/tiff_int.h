/*
 * Internals of the TIFF decoder, split across tiff_read.c (container, tags,
 * passthrough), tiff_caps.c (what a directory or a tile declares, checked
 * against the caps before libtiff allocates it), tiff_plane.c (one-sample
 * pages: bitonal, gray, palette; 8-bit RGB; CIELab with tiff_lab.c) and
 * tiff_rgba.c (everything else colour, through libtiff's RGBA interface).
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
    int *dirs;            /* the directory of each page: reduced-resolution
                             directories (overviews, thumbnails) are no page */
    int skipped;          /* how many directories those are */
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

/* tiff_lab.c: CIELab and ICCLab pages (3 samples of 8 or 16 bits, contiguous)
 * to sRGB through lcms2. qr_tiff_lab_new gives the page's transform (NULL
 * and err set on failure); qr_tiff_lab_row converts one row of samples (which
 * it may change) into a 32 bpp PIX line. */
bool qr_tiff_is_lab(const qr_tiff_info *ti);
void *qr_tiff_lab_new(TIFF *tif, const qr_tiff_info *ti, qr_err *err);
void qr_tiff_lab_free(void *xf);
void qr_tiff_lab_row(void *xf, const qr_tiff_info *ti, uint8_t *row, uint32_t *line);

/* tiff_caps.c. Directory index (0-based) of st's file, before libtiff
 * loads it: no tag's data above lim->max_page_bytes, and all of it together
 * no more than the file holds. QR_OK, or QR_ELIMIT naming the block. */
int qr_tiff_check_page(struct qr_tiff_state *st, int index, const qr_limits *lim, qr_err *err);
/* Which of the file's n directories are pages: the index of each one that
 * is not a reduced-resolution image (NewSubfileType bit 0, or SubfileType
 * 2) into dirs (room for n), read straight from the buffer. Returns how
 * many. */
int qr_tiff_full_dirs(const qr_tiff_mem *mem, int n, int *dirs);
/* The current directory's tile size against the caps (pixels, bytes; and,
 * when the reader decodes whole tiles, QR_TILE_SLACK). */
int qr_tiff_check_tile(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, bool whole,
                       qr_err *err);

#endif
