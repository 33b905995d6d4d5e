/*
 * Small helpers of the ledger: error translation, statement execution,
 * transactions (a top-level BEGIN IMMEDIATE, or a savepoint inside a caller's
 * batch), the clock, and JSON/number formatting for details and exports.
 * Runs on the handle's owning thread only.
 */
#include "ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lg_fail(qr_ledger *l, qr_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(l->db);
    int qc = (code & 0xff) == SQLITE_CONSTRAINT ? QR_EINVAL
             : (code & 0xff) == SQLITE_NOMEM    ? QR_ENOMEM
                                                : QR_EFATAL;
    return qr_err_set(err, qc, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

int lg_exec(qr_ledger *l, const char *sql, qr_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return QR_OK;
    int rc = qr_err_set(err, QR_EFATAL, "ledger %s: %s", l->path, msg ? msg : "error");
    sqlite3_free(msg);
    return rc;
}

sqlite3_stmt *lg_prepare(qr_ledger *l, const char *sql, qr_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
        lg_fail(l, err, "preparing a statement");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

void lg_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

int lg_tx_open(qr_ledger *l, qr_err *err)
{
    if (l->tx_depth == 0)
        return lg_exec(l, "BEGIN IMMEDIATE", err);
    return lg_exec(l, "SAVEPOINT qr_file", err);
}

int lg_tx_close(qr_ledger *l, bool commit, qr_err *err)
{
    if (l->tx_depth == 0)
        return lg_exec(l, commit ? "COMMIT" : "ROLLBACK", err);
    if (commit)
        return lg_exec(l, "RELEASE qr_file", err);
    int rc = lg_exec(l, "ROLLBACK TO qr_file", err);
    int rc2 = lg_exec(l, "RELEASE qr_file", err);
    return rc != QR_OK ? rc : rc2;
}

int qr_ledger_tx_begin(qr_ledger *l, qr_err *err)
{
    if (l->tx_depth > 0)
        return qr_err_set(err, QR_EINVAL, "ledger %s: batch transaction already open", l->path);
    int rc = lg_exec(l, "BEGIN IMMEDIATE", err);
    if (rc == QR_OK)
        l->tx_depth = 1;
    return rc;
}

int qr_ledger_tx_end(qr_ledger *l, bool ok, qr_err *err)
{
    if (l->tx_depth == 0)
        return qr_err_set(err, QR_EINVAL, "ledger %s: no batch transaction open", l->path);
    l->tx_depth = 0;
    return lg_exec(l, ok ? "COMMIT" : "ROLLBACK", err);
}

void lg_now(qr_ledger *l, char out[32])
{
    qr_time_xmp(l->fixed_time ? l->fixed_time : time(NULL), out);
}

int lg_file_known(qr_ledger *l, const char *file_id, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM inventory WHERE file_id=?1)"
                                     " OR EXISTS(SELECT 1 FROM files WHERE file_id=?1)", err);
    if (!st)
        return -1;
    lg_bind_text(st, 1, file_id);
    int known = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    if (known < 0)
        lg_fail(l, err, "looking up a file");
    sqlite3_finalize(st);
    return known;
}
