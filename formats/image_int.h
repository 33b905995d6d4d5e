/*
 * Internals shared by the image codec files (image*.c, tiff*.c, jpeg*.c,
 * png*.c, encode*.c). Nothing here is part of the public API: callers see
 * only qr_image.h.
 *
 * Each container has one decoder file that turns a page into a Leptonica PIX
 * in stored order; image_orient.c then applies the file's orientation tag and
 * resolution in one place, so every format obeys the same rules. Decoders
 * write rows through qr_rows (image_band.c), which gathers them into the
 * page or hands them to a band sink.
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
    char first_dropped[200]; /* a tag libtiff could not read and went on without */
    int dropped;
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

/* Per-format entry points. sink: NULL for a whole page, else the caller's
 * sink for a page that qr_band_wanted and the format can read in bands. */
int qr_tiff_open(qr_image_reader *rd, qr_err *err);
int qr_tiff_decode(qr_image_reader *rd, int index, qr_page *page, const qr_band_sink *sink,
                   qr_err *err);
void qr_tiff_close(qr_image_reader *rd);
int qr_jpeg_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                   const qr_band_sink *sink, qr_err *err);
int qr_png_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                  const qr_band_sink *sink, qr_err *err);

/* ---- rows and bands (image_band.c) ---- */

/* Bytes of a PIX of w x h at depth (rows padded to 32 bits). */
uint64_t qr_pix_bytes(uint64_t w, uint64_t h, unsigned depth);
/* Whether a page goes to the sink band by band: a sink was given, the rows
 * are 8 or 32 bpp, no orientation is to be applied, and the whole page
 * would exceed lim->band_bytes. The format may still read it whole. */
bool qr_band_wanted(const qr_band_sink *sink, const qr_limits *lim, uint64_t w, uint64_t h,
                    unsigned depth, int orientation);
/* A banded page's orientation (1) and resolution, as qr_page_finish sets them. */
void qr_page_meta(qr_page *page, double xdpi, double ydpi);

/* The rows of a page being decoded: the whole page (sink NULL), or one band
 * of at most band_rows rows at a time for the sink. A decoder writes rows
 * next .. next + n - 1 through qr_rows_line (n <= the band's rows), then
 * qr_rows_put(n) sends the band (band mode) and moves on. */
typedef struct qr_rows {
    const qr_band_sink *sink;
    struct Pix *pix;  /* the page, or the band */
    int w, h, depth;
    int next;         /* first row not yet put */
    int band_cap;     /* rows pix holds */
} qr_rows;
/* Band mode calls sink->start with page (its metadata already set). */
int qr_rows_begin(qr_rows *r, const qr_band_sink *sink, qr_page *page, int w, int h, int depth,
                  int band_rows, qr_err *err);
uint32_t *qr_rows_line(qr_rows *r, int y);
int qr_rows_put(qr_rows *r, int n, qr_err *err);
/* Whole mode: the finished page (the caller owns it); NULL in band mode. */
struct Pix *qr_rows_take(qr_rows *r);
void qr_rows_end(qr_rows *r);
/* n bytes of a row (pixels MSB first) into a PIX line's 32-bit words. */
void qr_line_from_bytes(uint32_t *line, const uint8_t *src, size_t n);

/* Add a remark to page->note ("; " between remarks; cut short when full). */
void qr_page_note(qr_page *page, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/* PIX helpers (image_pix.c). */
/* A new PIX whose pixels the caller overwrites: only the bytes past each
 * row's last pixel are zeroed (every word stays defined for Leptonica's
 * word-wise code), not the whole image, which a decoder fills anyway. */
struct Pix *qr_pix_new(int w, int h, int depth);
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

/* JPEG in bands (jpeg_band.c): the rows of the file in buf, QR_BAND_ROWS at
 * a time, to sink (page's metadata is set), or, sink NULL, into a whole page
 * in *out (stored order). depth 8 (gray, or luma only) or 32; cmyk 0 (not
 * CMYK), 1 (CMYK), 2 (Adobe-inverted CMYK). */
int qr_jpeg_bands(const uint8_t *buf, size_t len, const qr_limits *lim, int depth, int cmyk,
                  qr_page *page, const qr_band_sink *sink, struct Pix **out, qr_err *err);
/* One row of w CMYK samples (4 bytes a pixel) into 32 bpp RGB. */
void qr_cmyk_row(const uint8_t *src, int w, bool inverted, uint32_t *line);

/* EXIF (jpeg_exif.c): parse the TIFF structure of an APP1 Exif payload. */
typedef struct qr_exif {
    int orientation;     /* 0 when absent */
    double xres, yres;   /* 0 when absent */
    int unit;            /* 2 inch (default), 3 cm, 1 none */
    long long time;      /* DateTimeOriginal, else DateTime; -1 */
    qr_scanner scanner;  /* Make, Model, Software of IFD0; "" when absent */
} qr_exif;
void qr_exif_parse(const uint8_t *p, size_t n, qr_exif *out);

/* PNG orientation (png_meta.c): from the eXIf chunk, else the XMP packet's
 * tiff:Orientation; 1 when neither gives 1..8. */
int qr_png_orientation(const uint8_t *buf, size_t len);

#endif
