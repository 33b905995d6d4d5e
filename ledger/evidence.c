/*
 * The transfer note of an archive version (qr_evidence.h), read from the
 * ledger. Each section is one SQL query over the version's outcome row (?1)
 * and its file (?2); the query's column names are the note's keys, and a
 * column named "key:json" holds JSON kept as it is. So what the note says is
 * in one table below, readable next to the schema, and adding a fact is
 * adding a column, not code. Every query reads the same snapshot (one read
 * transaction), so the sections agree with each other.
 */
#include "qr_evidence.h"

#include "ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct section_def {
    const char *key, *title;
    bool table;
    const char *sql;
} section_def;

#define OPTIONS_CUT "instr(b.options, char(10))"
#define METRICS "CASE WHEN json_valid(p.metrics) THEN p.metrics ELSE '{}' END"

static const section_def SECTIONS[] = {
    {"file", "What: the file and its archive", false,
     "SELECT f.file_id, f.version, i.box, i.title, i.expected_pages,"
     " CASE WHEN json_valid(i.metadata) THEN i.metadata END AS \"manifest_columns:json\","
     " i.source AS listed_by, f.pages, f.archive_path AS archive, f.archive_sha256,"
     " f.source_fingerprint, f.updated AS archived_at,"
     " CASE f.current WHEN 1 THEN 'yes' ELSE 'no' END AS current_version"
     " FROM files f LEFT JOIN inventory i ON i.file_id = f.file_id WHERE f.id = ?1"},
    {"ingest", "When, where and by whom: the ingest", false,
     "SELECT b.id AS batch, b.started, b.ended, b.status, b.host, b.user AS operator,"
     " b.delivery, CASE WHEN " OPTIONS_CUT " > 0 THEN substr(b.options, 1, " OPTIONS_CUT
     " - 1) ELSE b.options END AS command, b.quire_version"
     " FROM files f JOIN batches b ON b.id = f.batch WHERE f.id = ?1"},
    {"pages", "What and how: the pages", true,
     "SELECT p.page, p.source, p.source_member, p.source_page, p.source_sha256, p.format,"
     " json_extract(" METRICS ", '$.stored')"
     " AS stored_as, p.width, p.height, p.dpi, p.skew_deg, p.skew_applied_deg,"
     " p.orientation, p.rotation_applied, p.verdict,"
     " CASE p.separator WHEN 1 THEN 'yes' ELSE 'no' END AS separator_sheet, p.batch,"
     " p.origin_batch FROM pages p WHERE p.outcome = ?1 ORDER BY p.page"},
    {"scan", "When and with what: the scan, as the images say", true,
     "SELECT p.page, json_extract(" METRICS ", '$.scanned') AS scanned,"
     " json_extract(" METRICS ", '$.scanner_make') AS scanner_make,"
     " json_extract(" METRICS ", '$.scanner_model') AS scanner_model,"
     " json_extract(" METRICS ", '$.scanner_software') AS scanner_software"
     " FROM pages p WHERE p.outcome = ?1 ORDER BY p.page"},
    {"measurements", "The checks: what was measured on each page", true,
     "SELECT p.page, CASE WHEN json_valid(p.metrics) THEN p.metrics END AS \"metrics:json\""
     " FROM pages p WHERE p.outcome = ?1 ORDER BY p.page"},
    {"faults", "The checks: faults found (every outcome up to this version)", true,
     "SELECT fa.version, fa.page, fa.kind, fa.value, fa.threshold, fa.detail,"
     " CASE fa.accepted WHEN 1 THEN 'yes' ELSE 'no' END AS accepted, fa.batch"
     " FROM faults fa WHERE fa.file_id = ?2 AND fa.outcome <= ?1"
     " ORDER BY fa.outcome, fa.page, fa.id"},
    {"overrides", "The checks: overrides (who, when, why)", true,
     "SELECT a.at, a.actor AS by_, a.page, a.kind, a.reason, a.used_batch"
     " FROM accepts a WHERE a.file_id = ?2 ORDER BY a.id"},
    {"rescans", "The checks: rescan jobs", true,
     "SELECT r.id AS job, r.pages, r.kinds, r.reason, r.actor AS by_, r.submitted, r.status,"
     " r.delivered_batch, r.resolved_batch, r.closed"
     " FROM rescan_jobs r WHERE r.file_id = ?2 ORDER BY r.id"},
    {"lineage", "Lineage: every outcome of the file", true,
     "SELECT f.id AS outcome, f.version, f.status, f.batch, f.pages, f.updated,"
     " f.archive_sha256 FROM files f WHERE f.file_id = ?2 ORDER BY f.id"},
    {"events", "Lineage: the file's events in the chain", true,
     "SELECT e.id AS event, e.ts, e.kind, e.actor AS by_, e.batch, e.hash"
     " FROM events e WHERE e.file_id = ?2 ORDER BY e.id"},
    {"integrity", "Integrity: the archive, its event, its seal", false,
     "WITH o AS (SELECT f.archive_sha256, (SELECT min(e.id) FROM events e"
     "  WHERE e.file_id = f.file_id AND e.kind = 'archived' AND json_valid(e.detail)"
     "  AND json_extract(e.detail, '$.version') = f.version) AS ev FROM files f"
     "  WHERE f.id = ?1),"
     " s AS (SELECT * FROM events WHERE id = (SELECT min(id) FROM events WHERE kind = 'seal'"
     "  AND json_valid(detail) AND json_extract(detail, '$.head_id') >= (SELECT ev FROM o)))"
     " SELECT o.archive_sha256, o.ev AS outcome_event,"
     " (SELECT hash FROM events WHERE id = o.ev) AS outcome_event_hash,"
     " json_extract(s.detail, '$.seal') AS seal, s.id AS seal_event,"
     " json_extract(s.detail, '$.time') AS sealed_at, json_extract(s.detail, '$.by') AS sealed_by,"
     " json_extract(s.detail, '$.head_id') AS sealed_head_event,"
     " json_extract(s.detail, '$.head') AS sealed_head_hash,"
     " json_extract(s.detail, '$.alg') AS seal_algorithm,"
     " json_extract(s.detail, '$.key') AS seal_key_sha256,"
     " (SELECT json_extract(t.detail, '$.time') FROM events t WHERE t.kind = 'seal_timestamp'"
     "  AND json_valid(t.detail) AND json_extract(t.detail, '$.seal_event') = s.id"
     "  ORDER BY t.id LIMIT 1) AS timestamp_time"
     " FROM o LEFT JOIN s ON 1"},
    {"release", "Release of the paper", true,
     "SELECT e.id AS event, e.ts AS released_at, e.actor AS by_,"
     " json_extract(e.detail, '$.box') AS box, json_extract(e.detail, '$.reason') AS reason"
     " FROM events e WHERE e.kind = 'box_released' AND json_valid(e.detail)"
     " AND json_extract(e.detail, '$.box') = (SELECT box FROM inventory WHERE file_id = ?2)"
     " ORDER BY e.id"},
    {"profile", "How: the effective profile of the ingest", false,
     "SELECT CASE WHEN " OPTIONS_CUT " > 0 THEN ltrim(substr(b.options, " OPTIONS_CUT " + 1),"
     " char(10)) END"
     " AS profile FROM files f JOIN batches b ON b.id = f.batch WHERE f.id = ?1"},
};

enum { N_SECTIONS = sizeof SECTIONS / sizeof SECTIONS[0] };

/* ---- freeing ---------------------------------------------------------------------- */

static void section_free(qr_ev_section *s)
{
    for (size_t i = 0; i < s->n_rows * s->n_cols; i++)
        free(s->cells[i].text);
    for (size_t i = 0; i < s->n_cols; i++)
        free(s->cols[i]);
    free(s->cells);
    free(s->cols);
}

void qr_evidence_free(qr_evidence *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        section_free(&ev->sections[i]);
    free(ev->sections);
    free(ev->file_id);
    memset(ev, 0, sizeof *ev);
}

/* ---- reading ---------------------------------------------------------------------- */

/* The column's key ("by_" is "by": "by" alone reads badly in SQL) and
 * whether it is JSON. */
static char *col_key(const char *name, bool *json)
{
    size_t n = strlen(name);
    *json = n > 5 && !strcmp(name + n - 5, ":json");
    if (*json)
        n -= 5;
    if (n > 1 && name[n - 1] == '_')
        n--;
    char *k = malloc(n + 1);
    if (k) {
        memcpy(k, name, n);
        k[n] = '\0';
    }
    return k;
}

static int cell_of(sqlite3_stmt *st, int i, bool json, qr_ev_value *v)
{
    int t = sqlite3_column_type(st, i);
    v->type = t == SQLITE_NULL ? QR_EV_NULL
            : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? QR_EV_NUMBER
            : json ? QR_EV_JSON : QR_EV_TEXT;
    if (t == SQLITE_NULL)
        return QR_OK;
    char num[40];
    const char *text = (const char *)sqlite3_column_text(st, i);
    if (t == SQLITE_FLOAT) {
        qr_fmt_double(sqlite3_column_double(st, i), num);
        text = num;
    }
    return (v->text = qr_strdup(text ? text : "")) ? QR_OK : QR_ENOMEM;
}

static int read_row(sqlite3_stmt *st, qr_ev_section *s, const bool *json, size_t *cap)
{
    size_t need = (s->n_rows + 1) * s->n_cols;
    if (qr_grow((void **)&s->cells, cap, need, sizeof *s->cells) != QR_OK)
        return QR_ENOMEM;
    qr_ev_value *row = s->cells + s->n_rows * s->n_cols;
    memset(row, 0, s->n_cols * sizeof *row);
    s->n_rows++;
    for (size_t i = 0; i < s->n_cols; i++)
        if (cell_of(st, (int)i, json[i], &row[i]) != QR_OK)
            return QR_ENOMEM;
    return QR_OK;
}

static int read_cols(sqlite3_stmt *st, qr_ev_section *s, bool *json)
{
    s->n_cols = (size_t)sqlite3_column_count(st);
    if (!(s->cols = calloc(s->n_cols ? s->n_cols : 1, sizeof *s->cols)))
        return QR_ENOMEM;
    for (size_t i = 0; i < s->n_cols; i++)
        if (!(s->cols[i] = col_key(sqlite3_column_name(st, (int)i), &json[i])))
            return QR_ENOMEM;
    return QR_OK;
}

static int read_section(qr_ledger *l, const section_def *d, int64_t outcome, const char *file_id,
                        qr_ev_section *s, qr_err *err)
{
    s->key = d->key;
    s->title = d->title;
    s->table = d->table;
    sqlite3_stmt *st = lg_prepare(l, d->sql, err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, outcome);
    lg_bind_text(st, 2, file_id);
    bool json[64] = {0};
    size_t cap = 0;
    int rc = sqlite3_column_count(st) <= 64 ? read_cols(st, s, json) : QR_EFATAL;
    int r = SQLITE_DONE;
    while (rc == QR_OK && (r = sqlite3_step(st)) == SQLITE_ROW && (d->table || !s->n_rows))
        rc = read_row(st, s, json, &cap);
    sqlite3_finalize(st);
    if (rc == QR_ENOMEM)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    if (rc == QR_OK && r != SQLITE_ROW && r != SQLITE_DONE)
        return lg_fail(l, err, "reading the transfer note");
    return rc == QR_OK ? QR_OK : qr_err_set(err, QR_EFATAL, "transfer note: section %s", d->key);
}

/* The outcome row of the version asked for: 0 = the current outcome when
 * archived, else the latest archived one. */
static int find_outcome(qr_ledger *l, const char *file_id, int version, int64_t *outcome,
                        int *found_version, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, version FROM files WHERE file_id = ?1"
        " AND status = 'archived' AND (?2 = 0 OR version = ?2)"
        " ORDER BY current DESC, version DESC LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    sqlite3_bind_int(st, 2, version);
    int s = sqlite3_step(st), rc = QR_OK;
    if (s == SQLITE_ROW) {
        *outcome = sqlite3_column_int64(st, 0);
        *found_version = sqlite3_column_int(st, 1);
    } else if (s == SQLITE_DONE) {
        int known = lg_file_known(l, file_id, err);
        if (known < 0)
            rc = QR_EFATAL;
        else if (!known)
            rc = qr_err_set(err, QR_EINVAL, "ledger %s knows no file %s", l->path, file_id);
        else
            rc = version ? qr_err_set(err, QR_EINVAL, "%s has no archived version %d",
                                      file_id, version)
                         : qr_err_set(err, QR_EINVAL, "%s has no archived version (quire log "
                                      "%s)", file_id, file_id);
    } else {
        rc = lg_fail(l, err, "reading the file");
    }
    sqlite3_finalize(st);
    return rc;
}

static int read_all(qr_ledger *l, const char *file_id, int version, qr_evidence *out,
                    qr_err *err)
{
    int64_t outcome = 0;
    int rc = find_outcome(l, file_id, version, &outcome, &out->version, err);
    if (rc != QR_OK)
        return rc;
    if (!(out->file_id = qr_strdup(file_id)) ||
        !(out->sections = calloc(N_SECTIONS, sizeof *out->sections)))
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    for (size_t i = 0; rc == QR_OK && i < N_SECTIONS; i++, out->n++)
        rc = read_section(l, &SECTIONS[i], outcome, file_id, &out->sections[i], err);
    return rc;
}

int qr_evidence_get(qr_ledger *l, const char *file_id, int version, qr_evidence *out,
                    qr_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = lg_exec(l, "BEGIN", err);
    if (rc != QR_OK)
        return rc;
    rc = read_all(l, file_id, version, out, err);
    lg_exec(l, "COMMIT", NULL);
    if (rc != QR_OK)
        qr_evidence_free(out);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------------- */

static int value_json(qr_buf *b, const qr_ev_value *v)
{
    switch (v->type) {
    case QR_EV_NULL: return qr_buf_printf(b, "null");
    case QR_EV_NUMBER: return qr_buf_printf(b, "%s", v->text);
    case QR_EV_JSON: return qr_buf_printf(b, "%s", v->text);
    default: return qr_json_str(b, v->text);
    }
}

static int row_json(qr_buf *b, const qr_ev_section *s, size_t r)
{
    int rc = qr_buf_printf(b, "{");
    for (size_t c = 0; rc == QR_OK && c < s->n_cols; c++) {
        rc = qr_buf_printf(b, "%s", c ? "," : "");
        if (rc == QR_OK)
            rc = qr_json_str(b, s->cols[c]);
        if (rc == QR_OK)
            rc = qr_buf_printf(b, ":");
        if (rc == QR_OK)
            rc = value_json(b, &s->cells[r * s->n_cols + c]);
    }
    return rc == QR_OK ? qr_buf_printf(b, "}") : rc;
}

static int section_json(qr_buf *b, const qr_ev_section *s)
{
    int rc = qr_buf_printf(b, ",\n\"%s\":", s->key);
    if (rc == QR_OK && !s->table)
        return s->n_rows ? row_json(b, s, 0) : qr_buf_printf(b, "null");
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "[");
    for (size_t r = 0; rc == QR_OK && r < s->n_rows; r++) {
        rc = qr_buf_printf(b, "%s\n ", r ? "," : "");
        if (rc == QR_OK)
            rc = row_json(b, s, r);
    }
    return rc == QR_OK ? qr_buf_printf(b, "]") : rc;
}

int qr_evidence_json(const qr_evidence *ev, qr_buf *out)
{
    out->len = 0;
    int rc = qr_buf_printf(out, "{\"transfer_note\":1,\"file_id\":");
    if (rc == QR_OK)
        rc = qr_json_str(out, ev->file_id);
    if (rc == QR_OK)
        rc = qr_buf_printf(out, ",\"version\":%d", ev->version);
    for (size_t i = 0; rc == QR_OK && i < ev->n; i++)
        rc = section_json(out, &ev->sections[i]);
    if (rc == QR_OK)
        rc = qr_buf_printf(out, "}\n");
    if (rc == QR_OK && (rc = qr_buf_append(out, "", 1)) == QR_OK)
        out->len--;
    return rc;
}
