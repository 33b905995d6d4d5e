/*
 * Exports (pages, files, faults as CSV or JSON); the status summary is in
 * status.c. The column lists are part of quire's interface: they never
 * change order or meaning; new columns go at the end, and new exports may be
 * added. Every export reads one consistent snapshot (one SELECT) of each
 * file's current outcome, so it may run in a separate process while an
 * ingest writes. Runs on the handle's thread.
 *
 * A reviewer's accept shows at once: a fault is accepted when its outcome
 * recorded it so OR an accept row covers it (the predicate of accepts.c,
 * LG_SQL_ACCEPT_COVERS in ledger_int.h), so the faults' accepted column and
 * a faulty page's verdict need no ingest to change. The faults export also
 * lists the faults of a faulty rescan of an archived file (the file's latest
 * outcome after its current one): they are what blocks its next version.
 */
#include "ledger_int.h"

#include <math.h>
#include <string.h>

typedef struct export_def {
    const char *name;
    const char *const *cols;
    int n_cols;
    int list_col; /* column holding ';'-separated kinds, -1 = none */
    const char *sql;
} export_def;

static const char *const PAGE_COLS[] = {"file_id", "page", "source", "format", "width",
    "height", "dpi", "skew_deg", "skew_applied_deg", "orientation", "verdict", "faults",
    "version", "origin_batch"};
static const char *const FILE_COLS[] = {"file_id", "box", "status", "expected_pages",
    "delivered_pages", "archive", "archive_sha256", "version"};
static const char *const FAULT_COLS[] = {"file_id", "page", "kind", "value", "threshold",
    "batch", "accepted"};

/* Whether a fault x is accepted: recorded so, or covered by an accept row. */
#define SQL_ACCEPTED(x) "(" x ".accepted = 1 OR " LG_SQL_ACCEPT_COVERS(x) ")"

static const export_def EXPORTS[] = {
    /* A page recorded faulty whose faults are all accepted by now reads
     * "accepted", as it would after the next ingest. A separator sheet left
     * in reads "separator": it is not a page of the file (its faults, such
     * as streaks from the glass, are still listed). */
    {"pages", PAGE_COLS, 14, 11,
     "SELECT p.file_id, p.page, p.source, p.format, p.width, p.height, p.dpi, p.skew_deg,"
     " p.skew_applied_deg, p.orientation,"
     " CASE WHEN p.separator = 1 THEN 'separator'"
     " WHEN p.verdict = 'faulty' AND NOT EXISTS (SELECT 1 FROM faults y"
     "   WHERE y.outcome = p.outcome AND y.page = p.page AND NOT " SQL_ACCEPTED("y") ")"
     " THEN 'accepted' ELSE p.verdict END,"
     " (SELECT group_concat(kind, ';') FROM (SELECT x.kind FROM faults x"
     "   WHERE x.outcome = p.outcome AND x.page = p.page ORDER BY x.id)),"
     " p.version, p.origin_batch"
     " FROM files f JOIN pages p ON p.outcome = f.id WHERE f.current = 1"
     " ORDER BY p.file_id, p.page"},
    {"files", FILE_COLS, 8, -1,
     "SELECT i.file_id, i.box, coalesce(f.status, 'pending'), i.expected_pages, f.pages,"
     " f.archive_path, f.archive_sha256,"
     " CASE WHEN f.status = 'archived' THEN f.version END"
     " FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1"
     " UNION ALL"
     " SELECT f.file_id, NULL, f.status, NULL, f.pages, f.archive_path, f.archive_sha256,"
     " CASE WHEN f.status = 'archived' THEN f.version END"
     " FROM files f WHERE f.current = 1"
     " AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.file_id = f.file_id)"
     " ORDER BY 1"},
    /* The current outcome's faults, and the latest outcome's when it came
     * after the current one (a faulty rescan of an archived file). */
    {"faults", FAULT_COLS, 7, -1,
     "SELECT x.file_id, x.page, x.kind, x.value, x.threshold, x.batch, " SQL_ACCEPTED("x")
     " FROM files f CROSS JOIN faults x ON x.outcome IN (f.id,"
     "   (SELECT max(g.id) FROM files g WHERE g.file_id = f.file_id))"
     " WHERE f.current = 1"
     " ORDER BY x.file_id, x.page, x.id"},
};

int qr_ledger_export_kind_from_name(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(EXPORTS[i].name, name) == 0)
            return i;
    return -1;
}

int qr_ledger_export_format_from_name(const char *name)
{
    return strcmp(name, "csv") == 0 ? QR_EXPORT_CSV : strcmp(name, "json") == 0 ? QR_EXPORT_JSON : -1;
}

/* One value as CSV or JSON; `list` splits a ';' list into a JSON array.
 * Every CSV cell, numbers too, goes through qr_csv_cell (util/csv_out.c):
 * text that a spreadsheet would run as a formula is guarded there, and a
 * number ("-0.5") is left a number. */
static void put_value(FILE *out, sqlite3_stmt *st, int i, bool json, bool list)
{
    char num[40];
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        fputs(json ? (list ? "[]" : "null") : "", out);
        break;
    case SQLITE_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(st, i));
        if (json)
            fputs(num, out);
        else
            qr_csv_cell(out, num);
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, i);
        qr_fmt_double(v, num);
        if (json)
            fputs(isfinite(v) ? num : "null", out);
        else
            qr_csv_cell(out, num);
        break;
    }
    default: {
        const char *s = (const char *)sqlite3_column_text(st, i);
        if (!json) {
            qr_csv_cell(out, s);
            break;
        }
        qr_buf b = {0};
        if (list) {
            qr_buf_append(&b, "[", 1);
            for (const char *p = s; p && *p;) {
                size_t n = strcspn(p, ";");
                char kind[64];
                snprintf(kind, sizeof kind, "%.*s", (int)(n < 63 ? n : 63), p);
                if (b.len > 1)
                    qr_buf_append(&b, ",", 1);
                qr_json_str(&b, kind);
                p += n + (p[n] == ';');
            }
            qr_buf_append(&b, "]", 1);
        } else {
            qr_json_str(&b, s);
        }
        if (b.data)
            fwrite(b.data, 1, b.len, out);
        qr_buf_free(&b);
    }
    }
}

static void put_row(FILE *out, sqlite3_stmt *st, const export_def *d, bool json, bool first)
{
    if (json)
        fputs(first ? "\n  {" : ",\n  {", out);
    for (int i = 0; i < d->n_cols; i++) {
        if (i)
            fputc(',', out);
        if (json)
            fprintf(out, "\"%s\":", d->cols[i]);
        put_value(out, st, i, json, i == d->list_col);
    }
    fputs(json ? "}" : "\n", out);
}

int qr_ledger_export(qr_ledger *l, qr_ledger_export_kind kind, qr_ledger_export_format fmt,
                     FILE *out, qr_err *err)
{
    if ((unsigned)kind > QR_EXPORT_FAULTS)
        return qr_err_set(err, QR_EINVAL, "ledger: unknown export %d", (int)kind);
    const export_def *d = &EXPORTS[kind];
    bool json = fmt == QR_EXPORT_JSON;
    sqlite3_stmt *st = lg_prepare(l, d->sql, err);
    if (!st)
        return QR_EFATAL;
    if (json)
        fputc('[', out);
    for (int i = 0; !json && i < d->n_cols; i++)
        fprintf(out, "%s%s", i ? "," : "", d->cols[i]);
    if (!json)
        fputc('\n', out);
    int s;
    bool first = true;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        put_row(out, st, d, json, first);
        first = false;
    }
    if (json)
        fputs(first ? "]\n" : "\n]\n", out);
    int rc = s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "exporting");
    sqlite3_finalize(st);
    if (rc == QR_OK && ferror(out))
        rc = qr_err_set(err, QR_EIO, "export %s: write error", d->name);
    return rc;
}
