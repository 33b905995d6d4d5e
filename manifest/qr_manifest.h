/*
 * qr_manifest: the delivery manifest (what the operator says was scanned).
 * The rules that compare it with what was delivered are the file verdict's
 * (qr_file_faults, stages/qr_verdict.h).
 *
 * Why: nothing may be ingested against a broken manifest, so the parser reads
 * the whole CSV first and collects EVERY problem as "MANIFEST:LINE: message"
 * (LINE = the physical line where the record starts, 1-based, header = 1),
 * so an operator fixes all of them in one round trip. Parsing uses libcsv in
 * strict mode (RFC 4180); UTF-8 is validated line by line.
 *
 * Threads: a parsed qr_manifest is immutable; any number of threads may read
 * it (lookups, rows) concurrently. Parsing itself runs on one thread.
 *
 * Format: header row, optional UTF-8 BOM. Columns file_id (required, unique,
 * non-empty, no '/', '\\', control characters, not "." or "..", because it
 * names a folder and an archive file) and expected_pages (required, a positive
 * integer up to QR_MANIFEST_MAX_PAGES; optional with QR_MANIFEST_STOCK), box
 * and title optional, further columns kept in order as key/value metadata.
 * Blank lines are ignored; unquoted fields are trimmed of spaces and tabs.
 */
#ifndef QR_MANIFEST_H
#define QR_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_fault.h"
#include "qr_util.h"

#define QR_MANIFEST_MAX_PAGES 100000 /* per file; more is a typo, not a case file */
#define QR_MANIFEST_MAX_ERRORS 200   /* kept messages; the count goes on */

/* Parse flags. */
enum {
    /* Stock list (inventory import): expected_pages may be absent or empty (0). */
    QR_MANIFEST_STOCK = 1u << 0,
    /* A plain table (e.g. a plan): no required columns and no file_id checks;
     * every column is a row's meta, in header order; file_id, box and title
     * are "", expected_pages 0, and qr_manifest_find finds nothing. */
    QR_MANIFEST_TABLE = 1u << 1
};

typedef struct qr_manifest qr_manifest;

typedef struct qr_manifest_kv {
    const char *key;   /* the header name */
    const char *value; /* "" when empty */
} qr_manifest_kv;

/* One file of the manifest. Strings are owned by the manifest and never NULL. */
typedef struct qr_manifest_row {
    const char *file_id;
    const char *box;          /* "" when the column is absent or empty */
    const char *title;        /* "" when the column is absent or empty */
    int expected_pages;       /* >= 1; 0 = unknown (QR_MANIFEST_STOCK only) */
    int line;                 /* physical line where the record starts */
    size_t n_meta;
    const qr_manifest_kv *meta; /* further columns, in header order */
} qr_manifest_row;

/*
 * Parse a manifest held in memory. `name` (usually the path) prefixes every
 * message. On return *out is always set (unless QR_ENOMEM / QR_EINVAL) so the
 * caller can print all errors. Returns QR_OK when there are no errors, else
 * QR_ECORRUPT with err->msg = the first message and the error count.
 * Rows with errors are not part of the row list.
 */
int qr_manifest_parse(const char *name, const uint8_t *data, size_t len, unsigned flags,
                      qr_manifest **out, qr_err *err);
/* Read `path` (capped at 256 MiB) and parse it; QR_EIO when unreadable. */
int qr_manifest_load(const char *path, unsigned flags, qr_manifest **out, qr_err *err);
/* Frees and sets *m to NULL. */
void qr_manifest_free(qr_manifest **m);

const char *qr_manifest_name(const qr_manifest *m);
size_t qr_manifest_count(const qr_manifest *m);
/* Rows in file order; NULL when i is out of range. */
const qr_manifest_row *qr_manifest_row_at(const qr_manifest *m, size_t i);
/* Binary search by file_id; NULL when unknown. */
const qr_manifest_row *qr_manifest_find(const qr_manifest *m, const char *file_id);
/* Sum of expected_pages (0 for unknown counts). */
int64_t qr_manifest_total_pages(const qr_manifest *m);

/* Errors, sorted by line: "NAME:LINE: message". error_total counts also the
 * ones beyond QR_MANIFEST_MAX_ERRORS that were not kept. */
size_t qr_manifest_error_count(const qr_manifest *m);
size_t qr_manifest_error_total(const qr_manifest *m);
const char *qr_manifest_error_at(const qr_manifest *m, size_t i);
int qr_manifest_error_line(const qr_manifest *m, size_t i);

/* ---- Archive names ----------------------------------------------------- */

/*
 * The archive's file name (no folder) of version `version` (>= 1) of
 * file_id: "<name>.pdf", then "<name>@v2.pdf", ... where <name> is file_id
 * with unsafe bytes, '%' and '@' written as %XX (see archive_name.c), cut
 * to 180 bytes plus "%~" and 16 hex digits of its SHA-256 when longer than
 * 200. One-to-one: no two (file_id, version) pairs share a name. Returns the
 * length, or -1 when it does not fit in cap or out of memory.
 */
int qr_manifest_archive_name(const char *file_id, int version, char *out, size_t cap);

#endif
