/*
 * Internals shared by the manifest's files: the object layout and the
 * error/row builders used by the parser (parse.c) and the accessors
 * (manifest.c). Single-threaded while building; immutable afterwards.
 */
#ifndef QR_MANIFEST_INT_H
#define QR_MANIFEST_INT_H

#include "qr_manifest.h"

typedef struct mf_error {
    int line;
    size_t seq; /* insertion order, keeps the sort stable */
    char *text; /* "NAME:LINE: message" */
} mf_error;

struct qr_manifest {
    char *name;
    unsigned flags;
    char **header;
    size_t n_header;
    int col_id, col_pages, col_box, col_title; /* -1 when absent */
    qr_manifest_row *rows;
    size_t n_rows, cap_rows;
    size_t *index; /* row indexes sorted by file_id */
    mf_error *errs;
    size_t n_errs, cap_errs, err_total;
    struct mf_chunk *arena; /* every string of the manifest lives here */
    bool oom;      /* sticky: an allocation failed */
};

/* Copy len bytes + NUL into the manifest's arena; NULL (and oom) on failure. */
char *mf_strndup(qr_manifest *m, const char *s, size_t len);
void mf_arena_free(qr_manifest *m);

/* Record an error at `line`. Keeps at most QR_MANIFEST_MAX_ERRORS texts. */
void mf_error_add(qr_manifest *m, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append a row whose fields (arena strings, n_header of them) are given. */
bool mf_row_add(qr_manifest *m, char *const *fields, int line, int pages);
/* After parsing: sort errors by line, build the lookup index, report
 * duplicate ids. */
void mf_finish(qr_manifest *m);

#endif
