/*
 * A file's state and the commit of one file's outcome. The commit is the
 * ledger half of "exactly once": the pipeline writes the archive (tmp, fsync,
 * rename) and then calls qr_ledger_commit_file, which records the outcome row
 * with the archive's SHA-256, its pages, its faults and the event in one
 * transaction. The version check (version must be the file's next version)
 * makes a duplicated commit fail instead of recording the file twice. The
 * event carries the digest of the rows it records (digest.c), computed in
 * the same transaction.
 * Runs on the handle's owning thread.
 */
#include "ledger_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *qr_ledger_status_name(qr_ledger_file_status s)
{
    return s == QR_LEDGER_ARCHIVED ? "archived" : s == QR_LEDGER_FAULTY ? "faulty" : "pending";
}

static qr_ledger_file_status status_of(const unsigned char *s)
{
    if (!s)
        return QR_LEDGER_PENDING;
    return strcmp((const char *)s, "archived") == 0 ? QR_LEDGER_ARCHIVED : QR_LEDGER_FAULTY;
}

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", s ? (const char *)s : "");
}

/* Run a one-row query bound to file_id; SQLITE_ROW, SQLITE_DONE or an error. */
static int query_file(qr_ledger *l, sqlite3_stmt **st, const char *sql, const char *file_id,
                      qr_err *err)
{
    *st = lg_prepare(l, sql, err);
    if (!*st)
        return SQLITE_ERROR;
    lg_bind_text(*st, 1, file_id);
    int s = sqlite3_step(*st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        lg_fail(l, err, "reading a file's state");
    return s;
}

static int lookup_current(qr_ledger *l, const char *id, qr_ledger_file_state *out, qr_err *err)
{
    sqlite3_stmt *st;
    int s = query_file(l, &st, "SELECT status, version, batch, archive_path, archive_sha256,"
                               " source_fingerprint FROM files WHERE file_id=? AND current=1",
                       id, err);
    if (s == SQLITE_ROW) {
        out->status = status_of(sqlite3_column_text(st, 0));
        out->version = out->status == QR_LEDGER_ARCHIVED ? sqlite3_column_int(st, 1) : 0;
        out->batch = sqlite3_column_int64(st, 2);
        copy_col(st, 3, out->archive_path, sizeof out->archive_path);
        copy_col(st, 4, out->archive_sha256, sizeof out->archive_sha256);
        copy_col(st, 5, out->source_fingerprint, sizeof out->source_fingerprint);
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : QR_EFATAL;
}

static int lookup_latest(qr_ledger *l, const char *id, qr_ledger_file_state *out, qr_err *err)
{
    sqlite3_stmt *st;
    int s = query_file(l, &st, "SELECT status, source_fingerprint FROM files WHERE file_id=?"
                               " ORDER BY id DESC LIMIT 1", id, err);
    if (s == SQLITE_ROW) {
        out->last_status = status_of(sqlite3_column_text(st, 0));
        copy_col(st, 1, out->last_fingerprint, sizeof out->last_fingerprint);
    }
    sqlite3_finalize(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return QR_EFATAL;
    s = query_file(l, &st, "SELECT (SELECT 1 FROM inventory WHERE file_id=?1),"
                           " (SELECT coalesce(max(version), 0) + 1 FROM files"
                           "  WHERE file_id=?1 AND status='archived'),"
                           " (SELECT coalesce(min(batch), 0) FROM files WHERE file_id=?1"
                           "  AND status='faulty' AND id > (SELECT coalesce(max(id), 0)"
                           "  FROM files WHERE file_id=?1 AND status='archived'))", id, err);
    if (s == SQLITE_ROW) {
        out->in_inventory = sqlite3_column_int(st, 0) == 1;
        out->next_version = sqlite3_column_int(st, 1);
        out->faulty_since = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW ? QR_OK : QR_EFATAL;
}

int qr_ledger_lookup(qr_ledger *l, const char *file_id, qr_ledger_file_state *st, qr_err *err)
{
    memset(st, 0, sizeof *st);
    int rc = lookup_current(l, file_id, st, err);
    return rc == QR_OK ? lookup_latest(l, file_id, st, err) : rc;
}

static bool is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

int qr_ledger_outcome_check(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    if (!o->file_id || !o->file_id[0] || !o->source_fingerprint || o->batch <= 0)
        return qr_err_set(err, QR_EINVAL, "ledger %s: outcome lacks file_id, batch or "
                          "source fingerprint", l->path);
    if (o->archived && (!o->archive_path || !is_hex64(o->archive_sha256)))
        return qr_err_set(err, QR_EINVAL, "ledger %s: %s: an archived outcome needs the "
                          "archive path and its SHA-256", l->path, o->file_id);
    for (size_t i = 0; i < o->n_faults; i++)
        if ((unsigned)o->faults[i].kind >= QR_FAULT__COUNT)
            return qr_err_set(err, QR_EINVAL, "ledger %s: %s: unknown fault kind %d", l->path,
                              o->file_id, (int)o->faults[i].kind);
    return QR_OK;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static bool accepted_at(const qr_ledger_outcome *o, size_t i)
{
    return o->fault_accepted && o->fault_accepted[i];
}

/* "faulty" when a page has an unaccepted fault, "accepted" when all of its
 * faults are accepted, else "ok". */
static const char *page_verdict(const qr_ledger_outcome *o, int page)
{
    const char *v = "ok";
    for (size_t i = 0; i < o->n_faults; i++) {
        if (o->faults[i].page != page)
            continue;
        if (!accepted_at(o, i))
            return "faulty";
        v = "accepted";
    }
    return v;
}

/* Insert the outcome row, moving "current" to it when the rule says so. */
static int insert_outcome(qr_ledger *l, const qr_ledger_outcome *o, int64_t *row, qr_err *err)
{
    qr_ledger_file_state cur = {0}; /* no current outcome: nothing is archived */
    int rc = lookup_current(l, o->file_id, &cur, err);
    if (rc != QR_OK)
        return rc;
    bool becomes_current = o->archived || cur.status != QR_LEDGER_ARCHIVED;
    if (becomes_current) {
        sqlite3_stmt *st = lg_prepare(l, "UPDATE files SET current=0 WHERE file_id=? AND current=1", err);
        if (!st)
            return QR_EFATAL;
        lg_bind_text(st, 1, o->file_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "updating a file");
        sqlite3_finalize(st);
        if (rc != QR_OK)
            return rc;
    }
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO files(file_id, version, status, archive_path,"
        " archive_sha256, source_fingerprint, batch, pages, updated, current)"
        " VALUES(?,?,?,?,?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, o->file_id);
    sqlite3_bind_int(st, 2, o->version);
    lg_bind_text(st, 3, o->archived ? "archived" : "faulty");
    lg_bind_text(st, 4, o->archived ? o->archive_path : NULL);
    lg_bind_text(st, 5, o->archived ? o->archive_sha256 : NULL);
    lg_bind_text(st, 6, o->source_fingerprint);
    sqlite3_bind_int64(st, 7, o->batch);
    sqlite3_bind_int(st, 8, o->delivered_pages);
    lg_bind_text(st, 9, now);
    sqlite3_bind_int(st, 10, becomes_current);
    rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "recording a file");
    sqlite3_finalize(st);
    *row = sqlite3_last_insert_rowid(l->db);
    return rc;
}

static void bind_page(sqlite3_stmt *st, const qr_ledger_outcome *o, int64_t row,
                      const qr_ledger_page *p)
{
    sqlite3_bind_int64(st, 1, row);
    lg_bind_text(st, 2, o->file_id);
    sqlite3_bind_int(st, 3, o->version);
    sqlite3_bind_int(st, 4, p->page);
    lg_bind_text(st, 5, p->source);
    lg_bind_text(st, 6, p->source_sha256);
    lg_bind_text(st, 7, p->format);
    sqlite3_bind_int(st, 8, p->width);
    sqlite3_bind_int(st, 9, p->height);
    bind_real(st, 10, p->dpi);
    bind_real(st, 11, p->skew_deg);
    bind_real(st, 12, p->skew_applied_deg);
    sqlite3_bind_int(st, 13, p->orientation);
    sqlite3_bind_int(st, 14, p->rotation_applied);
    lg_bind_text(st, 15, p->metrics_json ? p->metrics_json : "{}");
    lg_bind_text(st, 16, page_verdict(o, p->page));
    sqlite3_bind_int64(st, 17, o->batch);
    sqlite3_bind_int64(st, 18, p->origin_batch ? p->origin_batch : o->batch);
    lg_bind_text(st, 19, p->source_path);
    lg_bind_text(st, 20, p->source_member);
    sqlite3_bind_int(st, 21, p->source_page > 0 ? p->source_page : 1);
    sqlite3_bind_int(st, 22, p->separator);
}

static int insert_pages(qr_ledger *l, const qr_ledger_outcome *o, int64_t row, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO pages(outcome, file_id, version, page, source,"
        " source_sha256, format, width, height, dpi, skew_deg, skew_applied_deg, orientation,"
        " rotation_applied, metrics, verdict, batch, origin_batch, source_path, source_member,"
        " source_page, separator) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK;
    for (size_t i = 0; i < o->n_pages && rc == QR_OK; i++) {
        sqlite3_reset(st);
        bind_page(st, o, row, &o->pages[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = lg_fail(l, err, "recording a page");
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_faults(qr_ledger *l, const qr_ledger_outcome *o, int64_t row, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO faults(outcome, file_id, version, page, kind,"
        " value, threshold, detail, batch, accepted) VALUES(?,?,?,?,?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK;
    for (size_t i = 0; i < o->n_faults && rc == QR_OK; i++) {
        const qr_fault *f = &o->faults[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, row);
        lg_bind_text(st, 2, o->file_id);
        sqlite3_bind_int(st, 3, o->version);
        sqlite3_bind_int(st, 4, f->page);
        lg_bind_text(st, 5, qr_fault_name(f->kind));
        bind_real(st, 6, f->value);
        bind_real(st, 7, f->threshold);
        lg_bind_text(st, 8, f->detail);
        sqlite3_bind_int64(st, 9, o->batch);
        sqlite3_bind_int(st, 10, accepted_at(o, i));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = lg_fail(l, err, "recording a fault");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The outcome's event, carrying the digest of the rows just written: the
 * files row, its pages and its faults (digest.c), so that quire verify finds
 * any of them edited, removed or added later. */
static int outcome_event(qr_ledger *l, const qr_ledger_outcome *o, int64_t row, qr_err *err)
{
    static const lg_rowset sets[] = {LG_ROWS_FILES, LG_ROWS_PAGES, LG_ROWS_FAULTS};
    qr_buf d = {0};
    qr_buf_printf(&d, "{\"version\":%d,\"pages\":%d", o->version, o->delivered_pages);
    if (o->archived) {
        qr_buf_printf(&d, ",\"archive\":");
        qr_json_str(&d, o->archive_path);
        qr_buf_printf(&d, ",\"sha256\":\"%s\"", o->archive_sha256);
    }
    qr_buf_printf(&d, ",\"faults\":[");
    for (size_t i = 0; i < o->n_faults; i++)
        qr_buf_printf(&d, "%s\"%s\"", i ? "," : "", qr_fault_name(o->faults[i].kind));
    int rc = qr_buf_printf(&d, "]}");
    if (rc == QR_OK)
        rc = lg_event_append_rows(l, o->batch, o->file_id, o->archived ? "archived" : "faulty",
                                  o->actor, (const char *)d.data, sets, 3, row, err);
    else
        rc = qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    qr_buf_free(&d);
    return rc;
}

static int commit_body(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    qr_ledger_file_state st;
    int rc = lookup_latest(l, o->file_id, &st, err);
    if (rc != QR_OK)
        return rc;
    if (o->version != st.next_version)
        return qr_err_set(err, QR_EINVAL, "ledger %s: %s: version %d is not the next version "
                          "(%d)", l->path, o->file_id, o->version, st.next_version);
    int64_t row = 0;
    rc = insert_outcome(l, o, &row, err);
    if (rc == QR_OK) rc = insert_pages(l, o, row, err);
    if (rc == QR_OK) rc = insert_faults(l, o, row, err);
    if (rc == QR_OK) rc = outcome_event(l, o, row, err);
    if (rc == QR_OK) rc = lg_rescan_on_outcome(l, o, err);
    return rc;
}

int qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    int rc = qr_ledger_outcome_check(l, o, err);
    if (rc != QR_OK)
        return rc;
    if ((rc = lg_tx_open(l, err)) != QR_OK)
        return rc;
    rc = commit_body(l, o, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}
