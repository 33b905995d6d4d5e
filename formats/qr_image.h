/*
 * qr_image: scanner image codecs. Decodes TIFF, JPEG and PNG from memory
 * buffers (never by file name, so the ingest ring owns all I/O) into Leptonica
 * PIX images, and encodes pages back to CCITT G4, JPEG (libjpeg, with
 * TurboJPEG's settings) or Flate.
 *
 * Only formats/ includes codec headers (libtiff, turbojpeg, libjpeg, libpng,
 * zlib).
 *
 * Passthrough: when a page's pixels are exactly what the scanner encoded (a
 * single-strip G4 TIFF page, or a whole JPEG file, with no orientation to
 * apply), the decoder also describes the original compressed bytes so that the
 * PDF writer can copy them untouched: no generation loss, and no encode cost.
 *
 * Every size computation is overflow-checked, and qr_limits caps pixels and
 * bytes per page against decompression bombs before any large allocation:
 * the page itself, and everything else a file declares that a decoder would
 * allocate (TIFF strips, tiles and tag data such as ICC profiles and XMP,
 * a progressive JPEG's coefficients, PNG rows; PNG metadata is not read).
 *
 * Large pages: a page that decodes to more than qr_limits.band_bytes is not
 * gathered whole when the caller asks for bands (qr_image_decode_bands): its
 * rows go to the caller band by band, top to bottom, and the band encoders
 * (qr_band_encoder) turn them into a JPEG or Flate stream as they come. A
 * worker then holds one band of the page (a TIFF strip of up to 256 rows,
 * else QR_BAND_ROWS rows of it; one row of tiles; QR_BAND_ROWS rows of a
 * JPEG or PNG), never the whole page. Pages read whole instead: 1 bpp pages
 * (at the pixel cap they are 50 MB), pages with an orientation tag other
 * than 1, interlaced PNGs, and TIFFs whose one tile, or one strip of planes,
 * of subsampled YCbCr or of old-style JPEG, libtiff must decode in one piece.
 *
 * Memory ceiling of one decode (the README's "Limits and memory" gives the
 * worker's): a whole page costs its PIX plus one unit of the decoder's
 * buffers (a strip of up to 256 rows, 64 rows, a row of tiles; the whole
 * image again for an interlaced PNG or one of the TIFFs just named); a
 * banded page costs one band (its PIX and its samples). A progressive JPEG
 * adds libjpeg's coefficients either way (checked against max_page_bytes).
 * The sink's own memory (the analysis copy, the encoded stream) is the
 * caller's.
 *
 * Thread safety: a qr_image_reader is used by one thread at a time; distinct
 * readers may run concurrently. libtiff warnings/errors are captured per
 * reader, never printed.
 */
#ifndef QR_IMAGE_H
#define QR_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_util.h"

struct Pix; /* Leptonica's PIX */

typedef struct qr_limits {
    uint64_t max_pixels;      /* width*height of one page; default 400 Mpx */
    uint64_t max_page_bytes;  /* decoded bytes of one page, and of anything else a
                                 file makes the decoder allocate; default 1.5 GiB */
    uint64_t band_bytes;      /* qr_image_decode_bands streams a page whose decoded
                                 PIX would exceed this; default 128 MiB */
    /* Decoding option: a colour JPEG that will be passed through is decoded
     * to its luma only (8 bpp), since its pixels are then read only by the
     * analysis, which looks at luma. Skipping chroma upsampling and colour
     * conversion roughly halves the decode, and the RGB-to-luma pass goes.
     * Default false: the caller gets what the file holds. */
    bool luma_when_passthrough;
} qr_limits;
void qr_limits_default(qr_limits *lim);

typedef enum qr_format { QR_FMT_UNKNOWN = 0, QR_FMT_TIFF, QR_FMT_JPEG, QR_FMT_PNG } qr_format;
/* Identify by magic bytes; *what names the format for "unsupported: <what>". */
qr_format qr_image_sniff(const uint8_t *buf, size_t len, const char **what);

typedef enum qr_codec { QR_CODEC_NONE = 0, QR_CODEC_G4, QR_CODEC_JPEG } qr_codec;

/* The original compressed payload of a page, valid while the input buffer
 * and the page live. */
typedef struct qr_passthru {
    qr_codec codec;       /* QR_CODEC_NONE: the page must be re-encoded */
    const uint8_t *data;  /* points into the caller's buffer, or into the page's
                             pass_owned copy */
    size_t len;
    int width, height;
    int components;       /* JPEG: 1 (gray) or 3 (YCbCr/RGB); G4: 1 */
    bool invert;          /* G4 with min-is-black: the PDF needs /Decode [1 0] */
} qr_passthru;

/* What the scanner wrote into the image about itself (TIFF and EXIF tags
 * Make 271, Model 272, Software 305), for the transfer note: printable
 * ASCII only, trailing blanks dropped, at most QR_SCANNER_TEXT - 1 bytes. */
#define QR_SCANNER_TEXT 64
typedef struct qr_scanner {
    char make[QR_SCANNER_TEXT], model[QR_SCANNER_TEXT], software[QR_SCANNER_TEXT];
} qr_scanner;
/* Copy tag text n bytes long (no NUL needed) into out as said above. */
void qr_scanner_text(char out[QR_SCANNER_TEXT], const char *s, size_t n);

typedef struct qr_page {
    struct Pix *pix;      /* owned: 1 bpp (1 = black), 8 bpp gray, or 32 bpp RGB */
    double xdpi, ydpi;    /* from the file; 0 when absent */
    bool dpi_known;
    char encoding[32];    /* "none", "g4", "g3", "ccitt-rle", "lzw", "deflate", "packbits",
                             "jpeg", "ojpeg", "jpeg-progressive", "png", ... */
    int orientation;      /* TIFF/EXIF orientation tag found (1..8), applied to pix */
    long long scan_time;  /* from TIFF DateTime / EXIF DateTimeOriginal; -1 unknown */
    qr_scanner scanner;   /* the scanner's Make, Model and Software tags; "" unknown */
    qr_passthru pass;
    uint8_t *pass_owned;  /* the bytes pass.data points into when they are not the
                             caller's: a JPEG without the junk between its header
                             segments (the same segments and image data); freed by
                             qr_page_clear */
    bool banded;          /* qr_image_decode_bands sent the rows to its sink: pix is
                             NULL */
    char note[400];       /* what the decoder set aside without losing a pixel, for
                             the page's provenance ("" when nothing): junk dropped
                             from a JPEG header, a TIFF entry libtiff dropped,
                             reduced-resolution TIFF directories skipped, a resolution
                             whose axes are far apart */
} qr_page;

typedef struct qr_image_reader qr_image_reader;

/* The resolution taken for a page whose file gives none (--assume-dpi N
 * changes it). */
#define QR_ASSUMED_DPI 300.0

/* The resolution a page of width x height pixels (as stored in the archive)
 * is archived at: the file's (one axis standing in for a missing other),
 * else assume_dpi (0: QR_ASSUMED_DPI) with *assumed set. QR_EUNSUPPORTED
 * when the page would fall outside PDF's 3..14400 pt a side, saying whether
 * the resolution was assumed ("unsupported: no resolution tag; at the
 * assumed 300 dpi the page is 0.03 x 0.02 in (2.4 x 1.4 pt), under PDF's
 * minimum of 3 pt a side: give the scan's resolution with --assume-dpi N").
 * Axes more than 4 times apart (44 x 300 dpi) add a warning to page->note;
 * the page is still made as the file says. */
int qr_page_dpi(qr_page *page, int width, int height, double assume_dpi, double *xdpi,
                double *ydpi, bool *assumed, qr_err *err);

/* Open a buffer (not copied: it must outlive the reader and its pages'
 * passthrough). Fails with QR_EUNSUPPORTED ("unsupported: <what>") or
 * QR_ECORRUPT ("corrupt: ...") when the container itself is unreadable. */
int qr_image_open(const uint8_t *buf, size_t len, const qr_limits *lim,
                  qr_image_reader **out, qr_err *err);
/* Number of pages (TIFF directories; 1 for JPEG and PNG). */
int qr_image_pages(const qr_image_reader *rd);
/* A container read in part: when a multi-page TIFF's directory chain breaks
 * (the file was cut short, or a next-directory offset is bad), the K pages
 * before the break stay readable, and qr_image_pages says K + 1: the last
 * page stands for the pages lost (how many is unknown) and its decode always
 * fails with QR_ECORRUPT and this message, "corrupt: TIFF directory chain
 * broken after page K, later pages lost: <libtiff's reason>". NULL when the
 * whole container was read. */
const char *qr_image_broken(const qr_image_reader *rd);
qr_format qr_image_format(const qr_image_reader *rd);
/* Decode page index (0-based). On error *page is left empty (pix NULL).
 * Errors: QR_EUNSUPPORTED "unsupported: ..." (e.g. "unsupported: TIFF
 * compression 34676 (SGILOG)"), QR_ECORRUPT "corrupt: ..." (truncated or
 * damaged data, including any libjpeg warning), QR_ELIMIT "limit: page is
 * W x H = N pixels, above the cap of M" (checked from the header, before any
 * pixel buffer is allocated), QR_ENOMEM. */
int qr_image_decode(qr_image_reader *rd, int index, qr_page *page, qr_err *err);

/* Rows QR_BAND_ROWS at a time at most where the format lets a decoder choose
 * (a TIFF strip or row of tiles is one band whatever its height). */
#define QR_BAND_ROWS 64

/* Where qr_image_decode_bands sends a large page. start comes first, once,
 * with the page's metadata (resolution, encoding, scan time, passthrough;
 * pix NULL) and the size and depth (8 or 32) of its rows; then rows, for
 * consecutive bands from the top: rows y0 .. y0 + pixGetHeight(band) - 1 of
 * the page, in a PIX of the page's width that is valid during the call only.
 * A callback's error (not QR_OK, err set) stops the decode and is returned. */
typedef struct qr_band_sink {
    void *ctx;
    int (*start)(void *ctx, const qr_page *page, int width, int height, int depth,
                 qr_err *err);
    int (*rows)(void *ctx, const struct Pix *band, int y0, qr_err *err);
} qr_band_sink;

/* As qr_image_decode, except that a page whose decoded PIX would exceed
 * lim->band_bytes, and whose format can be read band by band (see the top of
 * this file), goes to sink instead: page->banded is then true and page->pix
 * NULL. Any other page comes back whole in page->pix, as from
 * qr_image_decode, and sink is not called. */
int qr_image_decode_bands(qr_image_reader *rd, int index, qr_page *page,
                          const qr_band_sink *sink, qr_err *err);
void qr_image_close(qr_image_reader **rd);
void qr_page_clear(qr_page *page);

/* Encoders. Each returns a malloc'ed buffer in *out. */
/* 1 bpp PIX -> raw CCITT G4 (K=-1, BlackIs1 false, no EOL/byte alignment). */
int qr_encode_g4(const struct Pix *pix, uint8_t **out, size_t *len, qr_err *err);
/* 8 bpp gray or 32 bpp RGB PIX -> baseline JPEG (4:2:0 for colour). */
int qr_encode_jpeg(const struct Pix *pix, int quality, uint8_t **out, size_t *len, qr_err *err);
/* Any PIX -> zlib stream of its rows (1 bpp packed with 0 = black as in PDF
 * DeviceGray, 8 bpp gray, or 3 x 8 bpp RGB). */
int qr_encode_flate(const struct Pix *pix, uint8_t **out, size_t *len, qr_err *err);

/* The JPEG and Flate encoders fed band by band, for pages that are never
 * whole in memory: the same bytes as qr_encode_jpeg / qr_encode_flate on the
 * whole page (those are these, fed one band). new: a width x height page of
 * depth 8 or 32 (JPEG), 1, 8 or 32 (Flate); rows: the next rows, top to
 * bottom, in a PIX of that width and depth; finish: after the last row, the
 * stream in a new malloc'ed buffer (*enc freed either way). The stream may
 * not grow past max_bytes (0 = no cap): QR_ELIMIT. */
typedef enum qr_band_codec { QR_BAND_JPEG = 1, QR_BAND_FLATE } qr_band_codec;
typedef struct qr_band_encoder qr_band_encoder;
int qr_band_encoder_new(qr_band_codec codec, int width, int height, int depth, int quality,
                        uint64_t max_bytes, qr_band_encoder **out, qr_err *err);
int qr_band_encoder_rows(qr_band_encoder *enc, const struct Pix *band, qr_err *err);
int qr_band_encoder_finish(qr_band_encoder **enc, uint8_t **out, size_t *len, qr_err *err);
void qr_band_encoder_free(qr_band_encoder **enc);

/* ---- a decoded page into a PDF (page_image.c) ---------------------------
 * One rule for every command: a page keeps its original bytes when it has a
 * passthrough codec that gives the pixels analysed (a G4 page decoded to 1
 * bit, a JPEG page to gray or colour; a banded page whenever it has one);
 * otherwise bitonal -> G4, gray and colour -> JPEG at jpeg_quality, or Flate
 * with lossless; banded pages are encoded band by band (JPEG, or Flate when
 * lossless or bitonal). *stored names what the archive holds
 * ("passthrough", "g4", "jpeg", "flate"); *owned is the buffer img->data
 * points to when it is not the page's own (free() it), else NULL. */
struct qr_pdf_image;
typedef struct qr_store_opts {
    bool lossless;
    int jpeg_quality;        /* 1..100 */
    uint64_t max_bytes;      /* cap of a banded page's stream; 0 = none */
    bool copy_original;      /* copy a kept original into *owned (the page's
                              * buffer is freed before the PDF is written) */
} qr_store_opts;

bool qr_page_keeps_original(const qr_page *pg);
int qr_page_pdf_image(const qr_page *pg, const qr_store_opts *o, struct qr_pdf_image *img,
                      uint8_t **owned, const char **stored, qr_err *err);
/* A banded page: the encoder its bands go to (NULL when the original is
 * kept), then the image once the last band went in (*enc freed either way). */
int qr_page_band_encoder(const qr_page *pg, const qr_store_opts *o, int w, int h, int depth,
                         qr_band_encoder **enc, qr_err *err);
int qr_page_pdf_image_banded(const qr_page *pg, const qr_store_opts *o, qr_band_encoder **enc,
                             int w, int h, int depth, struct qr_pdf_image *img,
                             uint8_t **owned, const char **stored, qr_err *err);

#endif
