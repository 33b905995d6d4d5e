/*
 * Internals shared by the image codec files (image*.c, tiff*.c, jpeg*.c,
 * png*.c, encode*.c). Nothing here is part of the public API: callers see
 * only qr_image.h.
 *
 * Each container has one decoder file that turns a page into a Leptonica PIX
 * in stored order; image_orient.c then applies the file's orientation tag and
 * resolution in one place, so every format obeys the same rules.
 */
#ifndef QR_IMAGE_INT_H
#define QR_IMAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_image.h"

/* A TIFF over memory. Reading uses data/len; writing grows wdata. */
typedef struct qr_tiff_mem {
    const uint8_t *data;
    size_t len;
    size_t pos;
    uint8_t *wdata; /* owned when writing; NULL when reading */
    size_t cap;
    bool writing;
} qr_tiff_mem;

/* libtiff messages of one TIFF handle, kept instead of printed. */
typedef struct qr_tiff_log {
    char first_error[200];
    char last_warning[200];
    int errors, warnings;
} qr_tiff_log;

struct tiff; /* libtiff's TIFF */

/* Open a TIFF on a memory client with per-handle message capture.
 * mode is "r" or "w". Returns NULL on failure (log says why). */
struct tiff *qr_tiff_mem_open(qr_tiff_mem *mem, const char *mode, qr_tiff_log *log,
                              uint64_t max_alloc);
/* "<first error>" or "<last warning>" or fallback, for error messages. */
const char *qr_tiff_log_text(const qr_tiff_log *log, const char *fallback);
void qr_tiff_log_reset(qr_tiff_log *log);

struct qr_tiff_state; /* tiff_read.c */

struct qr_image_reader {
    qr_format fmt;
    const uint8_t *buf;
    size_t len;
    qr_limits lim;
    int pages;
    char broken[320];  /* "corrupt: ..." when the TIFF directory chain breaks */
    struct qr_tiff_state *tiff;
};

/* Per-format entry points. */
int qr_tiff_open(qr_image_reader *rd, qr_err *err);
int qr_tiff_decode(qr_image_reader *rd, int index, qr_page *page, qr_err *err);
void qr_tiff_close(qr_image_reader *rd);
int qr_jpeg_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                   qr_err *err);
int qr_png_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                  qr_err *err);

/* Caps: refuse a page of w x h at out_bits per pixel before allocating it. */
int qr_check_caps(const qr_limits *lim, uint64_t w, uint64_t h, unsigned out_bits,
                  qr_err *err);

/* Resolution in dots per inch from a value and a unit (1 = none, 2 = inch,
 * 3 = centimetre, as in TIFF and EXIF); rounded to 1/100 dpi. 0 = unknown. */
double qr_res_to_dpi(double value, int unit);

/* Finish a page: take ownership of pix (stored order), apply the orientation
 * tag (1..8; anything else counts as 1), set resolutions on the page and the
 * PIX. Returns QR_ENOMEM when a rotation fails; pix is consumed either way. */
int qr_page_finish(qr_page *page, struct Pix *pix, int orientation, double xdpi,
                   double ydpi, qr_err *err);
struct Pix *qr_orient_apply(struct Pix *pix, int orientation);

/* PIX helpers (image_pix.c). Rows are packed bytes, MSB first. */
/* A 1 or 8 bpp PIX from packed rows of `stride` bytes. */
/* A new PIX whose pixels the caller overwrites: only the bytes past each
 * row's last pixel are zeroed (every word stays defined for Leptonica's
 * word-wise code), not the whole image, which a decoder fills anyway. */
struct Pix *qr_pix_new(int w, int h, int depth);
struct Pix *qr_pix_from_rows(const uint8_t *rows, size_t stride, int w, int h, int depth);
/* Copy a PIX's rows out as packed bytes (1 bpp, 8 bpp, or RGB triplets for
 * 32 bpp); invert1 flips 1 bpp bits (PDF wants 0 = black). */
int qr_pix_to_rows(const struct Pix *pix, bool invert1, uint8_t **out, size_t *stride,
                   size_t *len);
/* Composite a premultiplied colour sample over white. */
static inline uint8_t qr_over_white(unsigned c_premult, unsigned a)
{
    unsigned v = c_premult + 255u - a;
    return (uint8_t)(v > 255u ? 255u : v);
}
/* Composite a straight (not premultiplied) sample over white. */
static inline uint8_t qr_over_white_straight(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

/* EXIF (jpeg_exif.c): parse the TIFF structure of an APP1 Exif payload. */
typedef struct qr_exif {
    int orientation;     /* 0 when absent */
    double xres, yres;   /* 0 when absent */
    int unit;            /* 2 inch (default), 3 cm, 1 none */
    long long time;      /* DateTimeOriginal, else DateTime; -1 */
} qr_exif;
void qr_exif_parse(const uint8_t *p, size_t n, qr_exif *out);

#endif
