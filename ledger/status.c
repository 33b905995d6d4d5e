/*
 * The status summary: how much of the inventory is digitized. Every figure
 * is a count over each file's current outcome (files_current index), so it
 * stays fast on a ledger of a whole project (30,000 files, 1,000,000 pages).
 * Runs on the handle's thread; readers may run beside an ingest (WAL).
 */
#include "ledger_int.h"

#include <string.h>

static const char SQL_TOTALS[] =
    "SELECT count(*), coalesce(sum(i.expected_pages), 0),"
    " coalesce(sum(f.status = 'archived'), 0), coalesce(sum(f.status = 'faulty'), 0),"
    " coalesce(sum(f.status IS NULL), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN i.expected_pages END), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN f.pages END), 0),"
    " (SELECT count(*) FROM files g WHERE g.current = 1"
    "   AND NOT EXISTS (SELECT 1 FROM inventory j WHERE j.file_id = g.file_id)),"
    " (SELECT count(*) FROM rescan_jobs WHERE status <> 'closed')"
    " FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1";

static const char SQL_FAULTS[] =
    "SELECT x.kind, count(*) FROM files f JOIN faults x ON x.outcome = f.id"
    " WHERE f.current = 1 AND x.accepted = 0 GROUP BY x.kind";

static int totals(qr_ledger *l, qr_ledger_status *st, qr_err *err)
{
    sqlite3_stmt *q = lg_prepare(l, SQL_TOTALS, err);
    if (!q)
        return QR_EFATAL;
    int s = sqlite3_step(q);
    if (s == SQLITE_ROW) {
        int64_t *dst[] = {&st->files_inventory, &st->pages_inventory, &st->files_archived,
                          &st->files_faulty, &st->files_pending, &st->pages_archived,
                          &st->pages_delivered_archived, &st->files_unexpected,
                          &st->rescan_open};
        for (int i = 0; i < 9; i++)
            *dst[i] = sqlite3_column_int64(q, i);
    }
    sqlite3_finalize(q);
    return s == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading status");
}

static int faults_by_kind(qr_ledger *l, qr_ledger_status *st, qr_err *err)
{
    sqlite3_stmt *q = lg_prepare(l, SQL_FAULTS, err);
    if (!q)
        return QR_EFATAL;
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        int k = qr_fault_from_name((const char *)sqlite3_column_text(q, 0));
        if (k >= 0)
            st->faults_by_kind[k] = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    return s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading faults");
}

int qr_ledger_status_get(qr_ledger *l, qr_ledger_status *st, qr_err *err)
{
    memset(st, 0, sizeof *st);
    /* One read transaction: both queries see the same snapshot. */
    int rc = lg_exec(l, "BEGIN", err);
    if (rc != QR_OK)
        return rc;
    rc = totals(l, st, err);
    if (rc == QR_OK)
        rc = faults_by_kind(l, st, err);
    lg_exec(l, rc == QR_OK ? "COMMIT" : "ROLLBACK", NULL);
    if (st->files_inventory > 0)
        st->percent_files = 100.0 * (double)st->files_archived / (double)st->files_inventory;
    if (st->pages_inventory > 0)
        st->percent_pages = 100.0 * (double)st->pages_archived / (double)st->pages_inventory;
    return rc;
}
