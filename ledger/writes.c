/*
 * Archive writes in flight, and batches that never ended.
 *
 * quire may only ever delete a file in the output folder that it can prove
 * it wrote. The proof is a row of archive_writes, committed before the
 * temporary file is created: which batch writes which temporary, for which
 * final name, and (committed before the rename) the SHA-256 of the finished
 * document. The outcome's commit deletes the row in the same transaction
 * that records the archive, so at any moment a file is either recorded by an
 * outcome, or named by a row, or not quire's.
 *
 * After a kill -9 the next ingest (which holds the ledger's lock, so every
 * other batch is dead) takes the rows of earlier batches: their temporaries
 * are removed, and a final name that holds exactly the recorded SHA-256 but
 * that no outcome records was renamed by the dead batch after its last
 * commit; it is removed too and the file is written again. Anything else is
 * left alone and reported. This replaces guessing from a name pattern, which
 * deleted a real archive whose file id happened to contain ".tmp-2024".
 *
 * The same ingest marks batches still "running" as "interrupted", each with
 * an event (carrying the digest of the batch's row, digest.c), so `status
 * --by batch` never shows a dead run as live.
 */
#include "ledger_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qr_ledger_write_plan(qr_ledger *l, const qr_ledger_write *w, int64_t *id, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO archive_writes(batch, file_id, version,"
                                     " tmp_path, final_path) VALUES(?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, w->batch);
    lg_bind_text(st, 2, w->file_id);
    sqlite3_bind_int(st, 3, w->version);
    lg_bind_text(st, 4, w->tmp_path);
    lg_bind_text(st, 5, w->final_path);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK
                                             : lg_fail(l, err, "recording an archive write");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(l->db);
    return rc;
}

static int exec_id(qr_ledger *l, const char *sql, int64_t id, const char *text,
                   const char *what, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, sql, err);
    if (!st)
        return QR_EFATAL;
    int i = 1;
    if (text)
        lg_bind_text(st, i++, text);
    sqlite3_bind_int64(st, i, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, what);
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_write_sealed(qr_ledger *l, int64_t id, const char *sha256, qr_err *err)
{
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = exec_id(l, "UPDATE archive_writes SET sha256=? WHERE id=?", id, sha256,
                 "recording an archive's digest", err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

int qr_ledger_write_done(qr_ledger *l, int64_t id, qr_err *err)
{
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = exec_id(l, "DELETE FROM archive_writes WHERE id=?", id, NULL,
                 "closing an archive write", err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

void qr_ledger_write_list_free(qr_ledger_write_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free((char *)list->v[i].file_id);
        free((char *)list->v[i].tmp_path);
        free((char *)list->v[i].final_path);
        free((char *)list->v[i].sha256);
    }
    free(list->v);
    memset(list, 0, sizeof *list);
}

static char *col_dup_null(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? qr_strdup((const char *)s) : NULL;
}

static int push_write(qr_ledger_write_list *out, size_t *cap, sqlite3_stmt *st)
{
    if (qr_grow(&out->v, cap, out->n + 1, sizeof *out->v) != QR_OK)
        return QR_ENOMEM;
    qr_ledger_write *w = &out->v[out->n++];
    *w = (qr_ledger_write){.id = sqlite3_column_int64(st, 0), .batch = sqlite3_column_int64(st, 1),
                           .file_id = col_dup_null(st, 2), .version = sqlite3_column_int(st, 3),
                           .tmp_path = col_dup_null(st, 4), .final_path = col_dup_null(st, 5),
                           .sha256 = col_dup_null(st, 6)};
    return w->file_id && w->tmp_path && w->final_path ? QR_OK : QR_ENOMEM;
}

int qr_ledger_writes_of_others(qr_ledger *l, int64_t batch, qr_ledger_write_list *out,
                               qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, batch, file_id, version, tmp_path, final_path,"
                                     " sha256 FROM archive_writes WHERE batch <> ? ORDER BY id",
                                  err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, batch);
    size_t cap = 0;
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = push_write(out, &cap, st);
    if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    else if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading archive writes");
    sqlite3_finalize(st);
    if (rc != QR_OK)
        qr_ledger_write_list_free(out);
    return rc;
}

int qr_ledger_archive_recorded(qr_ledger *l, const char *path, bool *recorded, qr_err *err)
{
    *recorded = false;
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM files WHERE"
                                     " status='archived' AND archive_path=?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, path);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "looking up an archive");
    if (rc == QR_OK)
        *recorded = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_archive_failed(qr_ledger *l, int64_t batch, int64_t write_id,
                             const char *file_id, const char *path, const char *error,
                             qr_err *err)
{
    qr_buf d = {0};
    int rc = qr_buf_printf(&d, "{\"archive\":");
    if (rc == QR_OK) rc = qr_json_str(&d, path);
    if (rc == QR_OK) rc = qr_buf_printf(&d, ",\"error\":");
    if (rc == QR_OK) rc = qr_json_str(&d, error);
    if (rc == QR_OK) rc = qr_buf_append(&d, "}", 2);
    if (rc != QR_OK) {
        qr_buf_free(&d);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    if ((rc = lg_tx_open(l, err)) == QR_OK) {
        rc = lg_event_append(l, batch, file_id, "archive_failed", NULL, (const char *)d.data,
                             err);
        if (rc == QR_OK && write_id)
            rc = exec_id(l, "DELETE FROM archive_writes WHERE id=?", write_id, NULL,
                         "closing an archive write", err);
        int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
        rc = rc != QR_OK ? rc : rc2;
    }
    qr_buf_free(&d);
    return rc;
}

/* Mark one dead batch interrupted, with its event. */
static int interrupt_one(qr_ledger *l, int64_t batch, qr_err *err)
{
    char ts[32];
    lg_now(l, ts);
    int rc = exec_id(l, "UPDATE batches SET status='interrupted', ended=? WHERE id=?", batch,
                     ts, "marking a batch interrupted", err);
    static const lg_rowset row = LG_ROWS_BATCHES;
    if (rc == QR_OK)
        rc = lg_event_append_rows(l, batch, NULL, "batch_interrupted", NULL,
                                  "{\"status\":\"interrupted\"}", &row, 1, batch, err);
    return rc;
}

static int running_batches(qr_ledger *l, int64_t **ids, size_t *n, qr_err *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = lg_prepare(l, "SELECT id FROM batches WHERE status='running'"
                                     " ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    size_t cap = 0;
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (qr_grow(ids, &cap, *n + 1, sizeof **ids) != QR_OK) {
            rc = qr_err_set(err, QR_ENOMEM, "out of memory");
            break;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading batches");
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_batches_interrupt(qr_ledger *l, int64_t *n_marked, qr_err *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    *n_marked = 0;
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = running_batches(l, &ids, &n, err);
    for (size_t i = 0; rc == QR_OK && i < n; i++)
        rc = interrupt_one(l, ids[i], err);
    free(ids);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (rc == QR_OK && rc2 == QR_OK)
        *n_marked = (int64_t)n;
    return rc != QR_OK ? rc : rc2;
}
