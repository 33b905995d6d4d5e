/*
 * qr_evidence: the transfer note ("Transfervermerk", BSI TR-03138) of one
 * archive version, read from the ledger in one place: what (the file, its
 * manifest row, its pages with their sources and SHA-256), when, where and
 * by whom (the ingest batch, host, operator, the command), how (each page's
 * format, resolution, how it was stored, the turn and deskew applied, the
 * quire version and the full effective profile), the checks (each page's
 * measured values, the faults with value and threshold, the overrides with
 * who, when and why, the rescans, every outcome of the file and every
 * event) and its integrity (the archive's SHA-256, the outcome event in the
 * chain, the seal and time-stamp that cover it, the box's release).
 *
 * The note is a list of sections, each one record or a table of rows; the
 * values keep their type (number, text, JSON, none), so the same note is
 * rendered as JSON for machines (qr_evidence_json, byte for byte the same
 * for the same ledger: no time of printing in it) and as text or HTML for
 * people (cli/cmd_evidence.c). A PDF/A-3b archive embeds the part of the
 * note that is known before it is written, built from the ingest's memory
 * in this same structure and written by qr_evidence_json
 * (pipeline/ingest_note.c says which fields it leaves out and why).
 * Nothing is checked here: quire verify
 * checks the archive and the seal's signature.
 */
#ifndef QR_EVIDENCE_H
#define QR_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "qr_ledger.h"
#include "qr_util.h"

typedef enum qr_ev_type { QR_EV_NULL = 0, QR_EV_NUMBER, QR_EV_TEXT, QR_EV_JSON } qr_ev_type;

typedef struct qr_ev_value {
    qr_ev_type type;
    char *text;                 /* the number's literal, the text, the JSON; NULL for none */
} qr_ev_value;

typedef struct qr_ev_section {
    const char *key;            /* its member in the JSON ("file", "pages", ...) */
    const char *title;          /* its heading for people */
    bool table;                 /* rows (a JSON array), else one record (an object) */
    size_t n_cols;
    char **cols;                /* column keys */
    qr_ev_value *cells;         /* n_rows * n_cols, row by row */
    size_t n_rows;
} qr_ev_section;

typedef struct qr_evidence {
    char *file_id;
    int version;
    qr_ev_section *sections;
    size_t n;
} qr_evidence;

/* The note of file_id's archived version (0 = the current one, else the
 * latest archived). QR_EINVAL when the ledger knows no such file or no such
 * archived version. */
int qr_evidence_get(qr_ledger *l, const char *file_id, int version, qr_evidence *out,
                    qr_err *err);
void qr_evidence_free(qr_evidence *ev);

/* The note as one JSON object (UTF-8, ends with a newline, NUL-terminated in
 * out->data; out->len excludes the NUL). QR_OK or QR_ENOMEM. */
int qr_evidence_json(const qr_evidence *ev, qr_buf *out);

#endif
