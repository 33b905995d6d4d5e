/*
 * qr_pdf: a streaming PDF/A-2b / PDF/A-1b / PDF/A-3b writer for scanned pages.
 *
 * One image XObject per page, written as the page arrives: memory does not
 * grow with the number of pages (per-page provenance for the XMP packet is
 * spooled to an unlinked temporary file, not kept in memory). The document is
 * written to "<final>.tmp-<pid>-<n>" in the same directory, fsynced, then renamed
 * over the final name by qr_pdf_finish(), so no archive is ever half-written
 * under its final name. qr_pdf_abort() removes the temporary file.
 *
 * Output is deterministic: the same pages and metadata give identical bytes
 * (the trailer ID is derived from the content, dates come from the caller).
 *
 * Writer state is split into document (catalog, metadata, output intent),
 * xref (object offsets) and pages (the page tree), unlike one huge struct.
 *
 * Colour: an sRGB ICC output intent and an ICC-based gray colour space, both
 * ICC v2 profiles written by this project's own code (qr_icc.h), so the bytes
 * carry no third-party licence. Colour images use [/ICCBased sRGB], gray and
 * bitonal ones [/ICCBased gray].
 *
 * Threads: a qr_pdf belongs to one thread at a time (the assembler); distinct
 * qr_pdf objects may be used concurrently.
 *
 * Errors (qr_err messages name the archive): QR_EINVAL for a bad argument or
 * image, QR_EUNSUPPORTED for a page outside PDF's 3..14400 pt; both leave the
 * document usable (nothing was written). Any other failure (QR_EIO on a
 * failed write/fsync/rename, e.g. ENOSPC; QR_ENOMEM; QR_ELIMIT on PDF/A's
 * object limit) is sticky: later calls repeat it and qr_pdf_finish() removes
 * the temporary file.
 */
#ifndef QR_PDF_H
#define QR_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "qr_util.h"

/* PDF/A-3b is PDF/A-2b plus associated files: the one flavour that may
 * embed a file that is not PDF/A (quire's transfer note, as JSON). */
typedef enum qr_pdfa { QR_PDFA_2B = 0, QR_PDFA_1B, QR_PDFA_3B } qr_pdfa;
typedef enum qr_filter { QR_FILTER_CCITT_G4 = 0, QR_FILTER_DCT, QR_FILTER_FLATE } qr_filter;

typedef struct qr_pdf_image {
    qr_filter filter;
    int width, height;
    int components;     /* 1 or 3 */
    int bpc;            /* 1 (G4, Flate bitonal) or 8 */
    bool invert;        /* /Decode [1 0] (G4 from a min-is-black TIFF) */
    const uint8_t *data;
    size_t len;
    double xdpi, ydpi;  /* page size = pixels * 72 / dpi; must be > 0 */
    /* How the page shows the image: turned clockwise by view_turn (0, 90,
     * 180 or 270; 90 and 270 swap the page's width and height), then rotated
     * clockwise by view_rotate_deg (|x| <= 45) about the page centre, corners
     * left white. This is how quire turns pages upright and deskews them
     * without touching the scanner's bytes: the G4 / JPEG stream stays the
     * original, the correction is the page's drawing matrix. */
    int view_turn;
    double view_rotate_deg;
} qr_pdf_image;

/* Scan provenance of one page, recorded in the quire XMP namespace. */
typedef struct qr_pdf_prov {
    const char *source;      /* source name (path in the delivery) */
    const char *sha256;      /* hex SHA-256 of the source file */
    const char *encoding;    /* original encoding ("g4", "jpeg", ...) */
    const char *stored;      /* how the archive stores it: "passthrough", "g4", "jpeg", "flate" */
    double xdpi, ydpi;
    bool dpi_assumed;        /* true when the source had no resolution (300 assumed) */
    int source_page;         /* 1-based page within a multi-page source */
    const char *note;        /* optional free text (e.g. a reviewer override); may be NULL */
    /* Set by qr_pdf_add_page from the image's view (recorded in the XMP as
     * quirePage:turn and quirePage:deskew when not zero). */
    int view_turn;
    double view_rotate_deg;
} qr_pdf_prov;

/* A free key/value pair, e.g. manifest metadata columns. */
typedef struct qr_kv {
    const char *key;
    const char *value;
} qr_kv;

/* A reviewer's override applied to this archive (quire accept): a fault the
 * reviewer judged a false alarm, recorded in the quire namespace. */
typedef struct qr_pdf_override {
    const char *kind;         /* fault kind name, e.g. "blank" */
    int page;                 /* 1-based archive page; 0 = every page / the whole file */
    const char *reason;       /* why */
    const char *by;           /* who */
    const char *at;           /* when, "YYYY-MM-DDTHH:MM:SSZ" */
} qr_pdf_override;

/* A file the archive carries (PDF/A-3 associated file). */
typedef struct qr_pdf_attachment {
    const char *name;         /* file name, printable ASCII ("transfer-note.json") */
    const char *mime;         /* MIME type ("application/json") */
    const char *desc;         /* /Desc, printable ASCII */
    const char *relationship; /* /AFRelationship: "Supplement", "Data", "Source", ... */
    const void *data;
    size_t len;
} qr_pdf_attachment;

typedef struct qr_pdf_meta {
    const char *title;        /* the document's title (the manifest's, else the file id) */
    const char *name;         /* what warnings call the document (the file id); NULL = title */
    const char *producer;     /* defaults to "quire <version>"; Creator(Tool) is always that */
    time_t created;           /* CreationDate / xmp:CreateDate */
    time_t modified;          /* ModDate / xmp:ModifyDate / MetadataDate */
    const qr_kv *extra;       /* recorded as quire:meta entries; may be NULL */
    size_t n_extra;
    const qr_pdf_override *overrides; /* recorded as quire:overrides; may be NULL */
    size_t n_overrides;
    /* PDF/A-3b only (ignored otherwise): a file embedded as an associated
     * file of the document (catalog /AF, /Names /EmbeddedFiles), Flate
     * compressed, its ModDate the document's modified date. NULL = none. */
    const qr_pdf_attachment *attachment;
} qr_pdf_meta;

typedef struct qr_pdf qr_pdf;

/* Create "<final_path>.tmp-<pid>-<n>" and write the header and the sRGB
 * profile. The directory of final_path must exist. */
int qr_pdf_open(const char *final_path, qr_pdfa flavour, qr_pdf **out, qr_err *err);
/* Append one page: img->data is copied into the file before this returns
 * (the caller keeps ownership). G4: components 1, bpc 1, a raw CCITT group 4
 * stream (K -1, MSB first, 0 = black unless invert); DCT: a complete 8-bit
 * JPEG whose frame header matches width, height and components (1 or 3); Flate: zlib data of packed rows, components 1
 * (bpc 1 or 8) or 3 (bpc 8). prov may be NULL (only the page number is
 * recorded). */
int qr_pdf_add_page(qr_pdf *pdf, const qr_pdf_image *img, const qr_pdf_prov *prov,
                    qr_err *err);
/* Pages added so far (0 for NULL). */
int qr_pdf_page_count(const qr_pdf *pdf);
/* Write metadata, xref and trailer, fsync, rename to the final name, fsync the
 * directory. On success sha256 (if not NULL) receives the archive's digest
 * (computed while writing: no re-read) and *pdf is NULL. On failure the
 * temporary file is removed and *pdf is NULL. A document needs >= 1 page.
 * Strings in meta and in the pages' provenance may be any bytes: invalid
 * UTF-8 becomes U+FFFD and a character XML cannot carry (a control
 * character) is written as the text \uXXXX, the same way in the Info
 * dictionary and in the XMP packet, with a warning on stderr naming the
 * archive, the file (the title) and the field. */
int qr_pdf_finish(qr_pdf **pdf, const qr_pdf_meta *meta, uint8_t sha256[32], qr_err *err);
/* As qr_pdf_open, but the document is written to tmp_path (which must not
 * exist: it is created with O_EXCL) instead of a name beside final_path;
 * tmp_path NULL = the default name. For callers that record their
 * temporaries (quire ingest keeps them in a folder of its own). */
int qr_pdf_open_tmp(const char *final_path, const char *tmp_path, qr_pdfa flavour,
                    qr_pdf **out, qr_err *err);
/* As qr_pdf_finish, but stop once the document is complete, fsynced and
 * closed under its temporary name: nothing is renamed. The caller records
 * the digest, then puts the file in place with qr_pdf_publish (or removes
 * it). On failure the temporary file is removed. */
int qr_pdf_seal(qr_pdf **pdf, const qr_pdf_meta *meta, uint8_t sha256[32], qr_err *err);
/* Rename tmp_path to final_path WITHOUT replacing anything (RENAME_NOREPLACE,
 * or link + unlink), then fsync final_path's directory. QR_EIO naming
 * final_path when a file of that name exists ("not replaced") or on any I/O
 * error; the temporary file is then left for the caller to remove. */
int qr_pdf_publish(const char *tmp_path, const char *final_path, qr_err *err);
/* Discard the document and its temporary file; *pdf becomes NULL. */
void qr_pdf_abort(qr_pdf **pdf);

#endif
