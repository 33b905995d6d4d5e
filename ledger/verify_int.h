/*
 * Internals shared by the verification files: the finding writer every
 * check reports through, and the small PDF reader of verify_pdf.c that the
 * archive checks use. Callers see only qr_verify.h.
 */
#ifndef QR_VERIFY_INT_H
#define QR_VERIFY_INT_H

#include <stdint.h>

#include "ledger_int.h"
#include "qr_verify.h"

/* ---- Reporting (verify.c) --------------------------------------------------- */

typedef struct vf_out {
    qr_verify_sink sink;
    void *user;
    qr_verify_summary *sum;
    int stop;                   /* the sink's non-zero answer: stop */
} vf_out;

/* One finding: kind, the file and version (NULL, 0 when none), the path on
 * disk (NULL), the event (0), expected and found (NULL when no comparison),
 * and what is wrong (printf). Counts it; returns the sink's answer. */
int vf_emit(vf_out *o, qr_verify_kind kind, const char *file_id, int version, const char *path,
            int64_t event, const char *expected, const char *found, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

/* rows_covered_from of ledger_info (1 when absent). */
int64_t vf_rows_from(qr_ledger *l);
/* The files, pages and faults rows of outcome row against the digest its
 * event carries (verify_rows.c); a finding for each that differs, or when
 * no event covers them (unless recorded before schema 6). */
int vf_outcome_rows(qr_ledger *l, int64_t row, vf_out *out, qr_err *err);

/* ---- The archive's PDF, read as hostile input (verify_pdf.c) ----------------- */

/*
 * Only what quire's own archives use: a classic cross-reference table, direct
 * objects with indirect references, stream lengths as direct integers. Every
 * offset and length is checked against the file before it is followed, each
 * object is found at the offset its xref entry gives ("N 0 obj" there) and
 * parsed with depth and size caps.
 */
typedef enum vp_type {
    VP_NULL = 0, VP_BOOL, VP_INT, VP_REAL, VP_NAME, VP_STRING, VP_ARRAY, VP_DICT, VP_REF
} vp_type;

typedef struct vp_val {
    vp_type t;
    int64_t i;                  /* BOOL, INT; REF: the object number */
    double r;                   /* REAL */
    char *s;                    /* NAME (without '/'), STRING (decoded bytes) */
    size_t len;                 /* STRING: bytes; ARRAY: items; DICT: pairs */
    struct vp_val *v;           /* ARRAY: items; DICT: key (NAME), value, key, value, ... */
} vp_val;

typedef struct vp_obj {
    vp_val val;                 /* the object (a DICT for a stream); owned */
    bool stream;
    uint64_t data, length;      /* the stream's bytes, checked to lie in the file */
} vp_obj;

typedef struct vp_doc {
    int fd;
    uint64_t size;
    uint64_t xref;              /* offset of "xref" */
    uint64_t entries;           /* offset of the entry of object 0 */
    uint32_t n;                 /* objects in the table (Size) */
    vp_obj trailer;             /* the trailer dictionary */
} vp_doc;

/* Read the trailer and cross-reference table of fd (size bytes). QR_ECORRUPT
 * with a message when it is not a PDF quire can read. */
int vp_open(vp_doc *d, int fd, uint64_t size, qr_err *err);
void vp_close(vp_doc *d);
/* Object num, found where its xref entry says and parsed. */
int vp_object(vp_doc *d, uint32_t num, vp_obj *out, qr_err *err);
void vp_obj_free(vp_obj *o);
/* Read [off, off + len) of the file into a new buffer (len <= cap). */
int vp_read(vp_doc *d, uint64_t off, uint64_t len, uint64_t cap, uint8_t **out, qr_err *err);
/* A dictionary's value for key (NULL when absent or not a DICT). */
const vp_val *vp_get(const vp_val *dict, const char *key);
/* An integer, or a reference's object number: false when it is not one. */
bool vp_int(const vp_val *v, int64_t *out);
bool vp_ref(const vp_val *v, uint32_t *num);
bool vp_is_name(const vp_val *v, const char *name);

/* The XMP of the archive: the catalog's /Metadata stream (uncompressed).
 * *xmp is NUL-terminated; the caller frees it. */
int vp_xmp(vp_doc *d, char **xmp, size_t *len, qr_err *err);

/* ---- XMP provenance (verify_xmp.c) --------------------------------------- */

typedef struct vx_page {
    int page;                   /* quirePage:page */
    char *source, *sha256;      /* quirePage:source, quirePage:sha256 (NULL when absent) */
    int source_page;            /* quirePage:sourcePage; 0 when absent */
} vx_page;

typedef struct vx_doc {
    char *file_id;              /* quire:meta entry file_id; NULL when absent */
    vx_page *pages;
    size_t n_pages;
} vx_doc;

/* The provenance quire writes (formats/xmp.c) read back from its packet:
 * XML entities decoded. QR_ECORRUPT when there is no quire:pages list. */
int vx_parse(const char *xmp, size_t len, vx_doc *out, qr_err *err);
void vx_free(vx_doc *d);

/* ---- Deep checks (verify_deep.c) ----------------------------------------------- */

/* Walk the page tree (counting pages, no cycles, /Count right) and decode
 * every image XObject of every page. *pages = pages found. Each problem is
 * a STRUCTURE finding; QR_OK unless out of memory. */
int vd_check(vp_doc *d, vf_out *o, const char *file_id, int version, const char *path,
             int *pages, qr_err *err);

#endif
