/*
 * Reviewer accepts: a reviewer looked at a fault, judged it a false alarm and
 * said why (quire accept). The accept is evidence, so it is stored with who
 * and when, and appended to the hash-chained event log in the same
 * transaction: an override cannot appear without its trace.
 *
 * An accept covers one kind on one page (or on every page, page 0) of one
 * file; it never expires, so a rescan of the same sheet keeps the reviewer's
 * judgement. accepts.used_batch says which batch first applied it: an accept
 * no outcome has applied yet is what makes the next plain ingest process a
 * faulty file again ("the next ingest archives that file"), without a clock
 * comparison that two commits in one second would defeat.
 *
 * Also here: the open faults (unaccepted faults of currently faulty files),
 * the reviewer's work list. Runs on the handle's owning thread; quire accept
 * may run beside an ingest (WAL and busy_timeout serialise the writers).
 */
#include "ledger_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REASON 4000

void qr_ledger_accept_list_free(qr_ledger_accept_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free(list->v[i].reason);
        free(list->v[i].actor);
        free(list->v[i].at);
    }
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

static bool blank_text(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
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

static int check_accept(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                        const char *reason, qr_err *err)
{
    if ((unsigned)kind >= QR_FAULT__COUNT)
        return qr_err_set(err, QR_EINVAL, "unknown fault kind %d", (int)kind);
    if (page < 0)
        return qr_err_set(err, QR_EINVAL, "page must be 1 or more (0 = every page)");
    if (blank_text(reason))
        return qr_err_set(err, QR_EINVAL, "a reason is required: say why the fault is a "
                          "false alarm");
    if (strlen(reason) > MAX_REASON)
        return qr_err_set(err, QR_EINVAL, "the reason is longer than %d bytes", MAX_REASON);
    int known = lg_file_known(l, file_id ? file_id : "", err);
    if (known < 0)
        return QR_EFATAL;
    if (!known)
        return qr_err_set(err, QR_EINVAL, "unknown file %s: not in the inventory and never "
                          "delivered (ledger %s)", file_id ? file_id : "", l->path);
    return QR_OK;
}

const char *lg_default_actor(void)
{
    return qr_actor_default();
}

static int insert_accept(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         const char *reason, const char *actor, int64_t *id, qr_err *err)
{
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO accepts(file_id, page, kind, reason, actor, at)"
                                     " VALUES(?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    sqlite3_bind_int(st, 2, page);
    lg_bind_text(st, 3, qr_fault_name(kind));
    lg_bind_text(st, 4, reason);
    lg_bind_text(st, 5, actor);
    lg_bind_text(st, 6, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "recording an accept");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(l->db);
    return rc;
}

static int accept_event(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                        const char *reason, const char *actor, int64_t id, qr_err *err)
{
    qr_buf b = {0};
    int rc = qr_buf_printf(&b, "{\"accept\":%lld,\"page\":%d,\"kind\":", (long long)id, page);
    if (rc == QR_OK)
        rc = lg_json_str(&b, qr_fault_name(kind));
    if (rc == QR_OK)
        rc = qr_buf_append(&b, ",\"reason\":", 10);
    if (rc == QR_OK)
        rc = lg_json_str(&b, reason);
    if (rc == QR_OK)
        rc = qr_buf_append(&b, "}", 2); /* with the terminating NUL */
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    rc = lg_event_append(l, 0, file_id, "accept", actor, (const char *)b.data, err);
    qr_buf_free(&b);
    return rc;
}

int qr_ledger_accept_add(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         const char *reason, const char *actor, int64_t *id, qr_err *err)
{
    int rc = check_accept(l, file_id, page, kind, reason, err);
    if (rc != QR_OK)
        return rc;
    const char *who = actor && *actor ? actor : lg_default_actor();
    int64_t new_id = 0;
    if ((rc = lg_tx_open(l, err)) != QR_OK)
        return rc;
    rc = insert_accept(l, file_id, page, kind, reason, who, &new_id, err);
    if (rc == QR_OK)
        rc = accept_event(l, file_id, page, kind, reason, who, new_id, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (rc == QR_OK && rc2 == QR_OK && id)
        *id = new_id;
    return rc != QR_OK ? rc : rc2;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return qr_strdup(s ? (const char *)s : "");
}

static int read_accept(sqlite3_stmt *st, qr_ledger_accept *a)
{
    int kind = qr_fault_from_name((const char *)sqlite3_column_text(st, 2));
    *a = (qr_ledger_accept){.id = sqlite3_column_int64(st, 0), .page = sqlite3_column_int(st, 1),
                            .kind = kind < 0 ? QR_FAULT__COUNT : (qr_fault_kind)kind,
                            .reason = col_dup(st, 3), .actor = col_dup(st, 4),
                            .at = col_dup(st, 5), .used_batch = sqlite3_column_int64(st, 6)};
    return a->reason && a->actor && a->at ? QR_OK : QR_ENOMEM;
}

int qr_ledger_accepts_of(qr_ledger *l, const char *file_id, qr_ledger_accept_list *out,
                         qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, page, kind, reason, actor, at,"
                                     " coalesce(used_batch, 0) FROM accepts WHERE file_id=?"
                                     " ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int rc = QR_OK, s = SQLITE_DONE;
    size_t cap = 0;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            qr_ledger_accept *v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                rc = QR_ENOMEM;
                break;
            }
            out->v = v;
        }
        rc = read_accept(st, &out->v[out->n++]);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading accepts");
    else if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    sqlite3_finalize(st);
    if (rc != QR_OK)
        qr_ledger_accept_list_free(out);
    return rc;
}

int qr_ledger_accepts_pending(qr_ledger *l, const char *file_id, bool *pending, qr_err *err)
{
    *pending = false;
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM accepts WHERE file_id=?"
                                     " AND used_batch IS NULL)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading accepts");
    if (rc == QR_OK)
        *pending = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_accepts_mark_used(qr_ledger *l, const char *file_id, int64_t upto_id,
                                int64_t batch, qr_err *err)
{
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    sqlite3_stmt *st = lg_prepare(l, "UPDATE accepts SET used_batch=? WHERE file_id=?"
                                     " AND id <= ? AND used_batch IS NULL", err);
    if (!st)
        rc = QR_EFATAL;
    if (st) {
        sqlite3_bind_int64(st, 1, batch);
        lg_bind_text(st, 2, file_id);
        sqlite3_bind_int64(st, 3, upto_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "marking accepts used");
        sqlite3_finalize(st);
    }
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(st, i);
}

int qr_ledger_open_faults(qr_ledger *l, int (*fn)(void *user, const qr_ledger_open_fault *f),
                          void *user, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT x.file_id, x.page, x.kind, x.value, x.threshold,"
        " x.detail FROM files f JOIN faults x ON x.outcome = f.id"
        " WHERE f.current = 1 AND f.status = 'faulty' AND x.accepted = 0"
        " ORDER BY x.file_id, x.page, x.id", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK, s = SQLITE_DONE;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = qr_fault_from_name((const char *)sqlite3_column_text(st, 2));
        qr_ledger_open_fault f = {
            .file_id = (const char *)sqlite3_column_text(st, 0), .page = sqlite3_column_int(st, 1),
            .kind = kind < 0 ? QR_FAULT__COUNT : (qr_fault_kind)kind, .value = col_real(st, 3),
            .threshold = col_real(st, 4), .detail = (const char *)sqlite3_column_text(st, 5)};
        rc = fn(user, &f);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading faults");
    sqlite3_finalize(st);
    return rc;
}
