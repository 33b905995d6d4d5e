/*
 * Internals of the PDF/A writer (pdf*.c, xmp*.c). Callers see only qr_pdf.h.
 *
 * The writer state is split by concern, as the file format is:
 *   qr_pdf_out   the byte sink: a buffered, hashing writer over one fd that
 *                knows the file offset of the next byte (for the xref);
 *   qr_pdf_xref  object numbers and their offsets (the only array that grows
 *                with the document: 8 bytes per object);
 *   qr_pdf_tree  the page tree: pages are grouped under intermediate /Pages
 *                nodes of at most QR_PDF_NODE_KIDS kids, so no array exceeds
 *                PDF/A-1's 8191-element limit;
 *   qr_xmp_spool per-page provenance, spooled as XMP fragments to an
 *                unlinked temporary file and copied into the metadata stream
 *                at the end.
 * All of it is used by the one thread that owns a qr_pdf.
 */
#ifndef QR_PDF_INT_H
#define QR_PDF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qr_pdf.h"

/* ---- byte sink (pdf_out.c) ---------------------------------------------- */

#define QR_PDF_OUT_BUF (256u * 1024u)

typedef struct qr_pdf_out {
    int fd;
    uint8_t *buf;
    size_t len;
    uint64_t offset;    /* bytes accepted so far = offset of the next byte */
    qr_sha256 *sha;     /* over every accepted byte */
    int err_no;         /* first write error (sticky); 0 = none */
} qr_pdf_out;

int qr_pdf_out_init(qr_pdf_out *o, int fd);
void qr_pdf_out_write(qr_pdf_out *o, const void *p, size_t n);
void qr_pdf_out_puts(qr_pdf_out *o, const char *s);
void qr_pdf_out_printf(qr_pdf_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write the buffer out; returns 0 or the sticky errno. */
int qr_pdf_out_flush(qr_pdf_out *o);
void qr_pdf_out_release(qr_pdf_out *o); /* frees buffer and hash; fd is the caller's */

/* ---- file system calls (pdf_fs.c): retried when a signal interrupts them -- */

/* Create path for writing (O_EXCL): a descriptor, or -1 with errno. */
int qr_pdf_fs_create(const char *path);
/* fsync a descriptor, or a directory by name: 0 or an errno. */
int qr_pdf_fs_fsync(int fd);
int qr_pdf_fs_fsync_dir(const char *dir);
/* Rename from to to; unless replace, fail with EEXIST rather than replace
 * an existing file. 0 or an errno. */
int qr_pdf_fs_rename(const char *from, const char *to, bool replace);

/* ---- cross-reference (pdf_xref.c) --------------------------------------- */

/* Largest object count PDF/A-1 allows (6.1.12-7). */
#define QR_PDF_MAX_OBJECTS 8388607u
/* Largest offset a classic xref entry can hold (10 digits). */
#define QR_PDF_MAX_OFFSET 9999999999ull

typedef struct qr_pdf_xref {
    uint64_t *off;      /* off[num - 1]; 0 = reserved, not written yet */
    uint32_t n;
    size_t cap;
} qr_pdf_xref;

/* Reserve the next object number. QR_OK, QR_ENOMEM or QR_ELIMIT. */
int qr_pdf_xref_reserve(qr_pdf_xref *x, uint32_t *num);
/* Emit "N 0 obj\n" at the current offset and record the offset. */
void qr_pdf_obj_begin(qr_pdf_out *o, qr_pdf_xref *x, uint32_t num);
void qr_pdf_obj_end(qr_pdf_out *o);
/* Write "<<dict>>\nstream\n" data "\nendstream". dict must hold /Length. */
void qr_pdf_stream(qr_pdf_out *o, const char *dict, const void *data, size_t len);
/* Write the xref table and trailer; id = first 16 bytes of the SHA-256 of
 * everything before the xref. Returns QR_OK or QR_ENOMEM. */
int qr_pdf_xref_finish(qr_pdf_out *o, const qr_pdf_xref *x, uint32_t root, uint32_t info);
void qr_pdf_xref_free(qr_pdf_xref *x);

/* ---- page tree (pdf_tree.c) --------------------------------------------- */

#define QR_PDF_NODE_KIDS 1024

typedef struct qr_pdf_tree {
    uint32_t root;                       /* the root /Pages (reserved at open) */
    uint32_t node;                       /* open intermediate node; 0 = none */
    uint32_t kids[QR_PDF_NODE_KIDS];     /* pages of the open node */
    int n_kids;
    uint32_t *nodes;                     /* closed intermediate nodes */
    size_t n_nodes, cap_nodes;
    int count;                           /* pages so far */
} qr_pdf_tree;

/* The parent a new page must name; opens a node when needed. */
int qr_pdf_tree_parent(qr_pdf_tree *t, qr_pdf_xref *x, uint32_t *parent);
/* Record a written page; closes (writes) the node when it is full. */
int qr_pdf_tree_add(qr_pdf_tree *t, qr_pdf_out *o, qr_pdf_xref *x, uint32_t page);
/* Close the open node and write the root. */
int qr_pdf_tree_finish(qr_pdf_tree *t, qr_pdf_out *o, qr_pdf_xref *x);
void qr_pdf_tree_free(qr_pdf_tree *t);

/* ---- text and numbers (pdf_text.c) -------------------------------------- */

/* A copy of s as valid UTF-8 holding only characters XML 1.0 allows:
 * invalid sequences become U+FFFD, a character XML forbids (C0 controls
 * but tab, LF, CR; U+FFFE, U+FFFF) becomes the text \uXXXX. NULL on ENOMEM. */
char *qr_pdf_clean_utf8(const char *s);
/* The same, also counting the characters written as \uXXXX (*n_escaped)
 * and giving the first of them (*first_escaped, untouched when none); either
 * pointer may be NULL. */
char *qr_pdf_clean_text(const char *s, size_t *n_escaped, uint32_t *first_escaped);
/* Append s (clean UTF-8) as a PDF text string: a literal string when it is
 * plain printable ASCII, else UTF-16BE with BOM as a hex string. */
int qr_pdf_text_string(qr_buf *b, const char *s);
/* Append s (clean UTF-8) XML-escaped for element content. */
int qr_xml_escape(qr_buf *b, const char *s);
/* A number without exponent, at most 3 decimals, trailing zeros trimmed,
 * independent of the locale ("595.2", "841.92", "300"). */
void qr_pdf_num(double v, char out[40]);

/* ---- associated files (pdf_attach.c) ------------------------------------ */

/* Write a's EmbeddedFile stream and its file specification; *filespec gets
 * the latter's number. QR_EINVAL for a name, MIME type or relationship that
 * is not plain; QR_ENOMEM; QR_ELIMIT. */
int qr_pdf_attach_write(qr_pdf_out *o, qr_pdf_xref *x, const qr_pdf_attachment *a,
                        time_t modified, uint32_t *filespec);
/* Append the catalog's entries for it: /AF and /Names /EmbeddedFiles. */
int qr_pdf_attach_catalog(qr_buf *b, const qr_pdf_attachment *a, uint32_t filespec);

/* ---- XMP (xmp.c) -------------------------------------------------------- */

/* Whom a warning about a metadata value names: the archive (its final
 * path) and, once finish knows it, the document's title (the file id for
 * quire ingest), both as cleaned text. */
typedef struct qr_pdf_warn {
    const char *archive;
    const char *file;     /* NULL until known */
} qr_pdf_warn;

/* qr_pdf_clean_text, and when characters had to be written as \uXXXX a
 * one-line warning on stderr naming the archive, the file and the field
 * (w NULL: no warning). NULL on ENOMEM. */
char *qr_pdf_clean_warn(const qr_pdf_warn *w, const char *field, const char *s);

typedef struct qr_xmp_spool {
    FILE *f;
    uint64_t bytes;
    const qr_pdf_warn *warn; /* may be NULL */
} qr_xmp_spool;

/* Open an unlinked spool file in dir (O_TMPFILE), else tmpfile(). */
int qr_xmp_spool_open(qr_xmp_spool *s, const char *dir, qr_err *err);
/* Spool the quire:pages entry of page number page. */
int qr_xmp_spool_page(qr_xmp_spool *s, int page, const qr_pdf_prov *prov, qr_err *err);
void qr_xmp_spool_close(qr_xmp_spool *s);

/* Write the whole metadata stream object (catalog /Metadata). */
typedef struct qr_xmp_doc {
    qr_pdfa flavour;
    const char *title;     /* clean UTF-8 or NULL */
    const char *producer;  /* clean UTF-8 */
    const char *creator;   /* clean UTF-8 */
    time_t created, modified;
    const qr_kv *extra;
    size_t n_extra;
    const qr_pdf_override *overrides;
    size_t n_overrides;
    const qr_pdf_warn *warn;   /* may be NULL */
} qr_xmp_doc;

int qr_xmp_write(qr_pdf_out *o, qr_pdf_xref *x, uint32_t num, const qr_xmp_doc *doc,
                 qr_xmp_spool *s, qr_err *err);

#endif
