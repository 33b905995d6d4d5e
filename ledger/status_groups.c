/*
 * Status grouped by box, ingest batch, month or day (quire status --by, and
 * the report's per-box bars, progress line and throughput chart).
 *
 * Why one GROUP BY per view and sums in C only for running totals: each view
 * is a single pass over at most one row per file (inventory joined to the
 * current outcome through files_current, or the outcomes of files_batch, or
 * the version-1 archives), never over pages, so a project of 30,000 files and
 * 1,000,000 pages groups in milliseconds. Month and day use the same
 * definition as the status's throughput (first archives of inventory files),
 * so the last running total equals the status's pages_archived.
 * Runs on the handle's thread, in one read transaction.
 */
#include "ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char SQL_BOX[] =
    "SELECT i.box, count(*), coalesce(sum(i.expected_pages), 0),"
    " coalesce(sum(f.status = 'archived'), 0), coalesce(sum(f.status = 'faulty'), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN i.expected_pages END), 0)"
    " FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1"
    " GROUP BY i.box ORDER BY i.box";

static const char SQL_BATCH[] =
    "SELECT b.id, b.started, b.status, count(f.id),"
    " coalesce(sum(f.status = 'archived'), 0), coalesce(sum(f.status = 'faulty'), 0),"
    " coalesce(sum(f.pages), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN f.pages END), 0)"
    " FROM batches b LEFT JOIN files f ON f.batch = b.id GROUP BY b.id ORDER BY b.id";

/* ?1 = key length: 7 for "YYYY-MM", 10 for "YYYY-MM-DD". */
static const char SQL_PERIOD[] =
    "SELECT substr(f.updated, 1, ?1) AS p, count(*), coalesce(sum(i.expected_pages), 0),"
    " (SELECT coalesce(sum(expected_pages), 0) FROM inventory)"
    " FROM files f JOIN inventory i ON i.file_id = f.file_id"
    " WHERE f.status = 'archived' AND f.version = 1 GROUP BY p ORDER BY p";

static const char *const BY_NAMES[] = {"box", "batch", "month", "day"};

int qr_ledger_status_by_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, BY_NAMES[i]) == 0)
            return i;
    return -1;
}

const char *qr_ledger_status_by_name(qr_ledger_status_by by)
{
    return (unsigned)by < 4 ? BY_NAMES[by] : "?";
}

void qr_ledger_status_groups_free(qr_ledger_status_groups *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->v[i].key);
    free(g->v);
    g->v = NULL;
    g->n = 0;
}

/* A new zeroed group whose key is column 0 of the row. */
static qr_ledger_status_group *push(qr_ledger_status_groups *g, size_t *cap, sqlite3_stmt *q)
{
    if (qr_grow(&g->v, cap, g->n + 1, sizeof *g->v) != QR_OK)
        return NULL;
    qr_ledger_status_group *r = &g->v[g->n];
    memset(r, 0, sizeof *r);
    const unsigned char *k = sqlite3_column_text(q, 0);
    if (!(r->key = qr_strdup(k ? (const char *)k : "")))
        return NULL;
    g->n++;
    return r;
}

static void copy_text(sqlite3_stmt *q, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static double percent(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

static void read_box(sqlite3_stmt *q, qr_ledger_status_group *r)
{
    r->files = sqlite3_column_int64(q, 1);
    r->pages = sqlite3_column_int64(q, 2);
    r->files_archived = sqlite3_column_int64(q, 3);
    r->files_faulty = sqlite3_column_int64(q, 4);
    r->pages_archived = sqlite3_column_int64(q, 5);
    r->percent_pages = percent(r->pages_archived, r->pages);
}

static void read_batch(sqlite3_stmt *q, qr_ledger_status_group *r)
{
    copy_text(q, 1, r->started, sizeof r->started);
    copy_text(q, 2, r->state, sizeof r->state);
    r->files = sqlite3_column_int64(q, 3);
    r->files_archived = sqlite3_column_int64(q, 4);
    r->files_faulty = sqlite3_column_int64(q, 5);
    r->pages = sqlite3_column_int64(q, 6);
    r->pages_archived = sqlite3_column_int64(q, 7);
}

/* Running totals continue from the previous period's row. */
static void read_period(sqlite3_stmt *q, const qr_ledger_status_groups *g,
                        qr_ledger_status_group *r)
{
    const qr_ledger_status_group *prev = g->n > 1 ? &g->v[g->n - 2] : NULL;
    r->files_archived = sqlite3_column_int64(q, 1);
    r->pages_archived = sqlite3_column_int64(q, 2);
    r->files = (prev ? prev->files : 0) + r->files_archived;
    r->pages = (prev ? prev->pages : 0) + r->pages_archived;
    r->percent_pages = percent(r->pages, sqlite3_column_int64(q, 3));
}

static int read_groups(qr_ledger *l, qr_ledger_status_groups *g, qr_err *err)
{
    const char *sql = g->by == QR_STATUS_BY_BOX     ? SQL_BOX
                      : g->by == QR_STATUS_BY_BATCH ? SQL_BATCH
                                                    : SQL_PERIOD;
    sqlite3_stmt *q = lg_prepare(l, sql, err);
    if (!q)
        return QR_EFATAL;
    if (g->by == QR_STATUS_BY_MONTH || g->by == QR_STATUS_BY_DAY)
        sqlite3_bind_int(q, 1, g->by == QR_STATUS_BY_MONTH ? 7 : 10);
    size_t cap = 0;
    int s = SQLITE_DONE, rc = QR_OK;
    while (rc == QR_OK && (s = sqlite3_step(q)) == SQLITE_ROW) {
        qr_ledger_status_group *r = push(g, &cap, q);
        if (!r)
            rc = qr_err_set(err, QR_ENOMEM, "ledger %s: out of memory", l->path);
        else if (g->by == QR_STATUS_BY_BOX)
            read_box(q, r);
        else if (g->by == QR_STATUS_BY_BATCH)
            read_batch(q, r);
        else
            read_period(q, g, r);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading status groups");
    sqlite3_finalize(q);
    return rc;
}

int qr_ledger_status_groups_get(qr_ledger *l, qr_ledger_status_by by,
                                qr_ledger_status_groups *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    out->by = by;
    if ((unsigned)by >= 4)
        return qr_err_set(err, QR_EINVAL, "unknown status grouping %d", (int)by);
    int rc = lg_exec(l, "BEGIN", err);
    if (rc != QR_OK)
        return rc;
    rc = read_groups(l, out, err);
    lg_exec(l, rc == QR_OK ? "COMMIT" : "ROLLBACK", NULL);
    if (rc != QR_OK)
        qr_ledger_status_groups_free(out);
    out->by = by;
    return rc;
}

/* ---- Faults per week ------------------------------------------------------- */

void qr_ledger_fault_weeks_free(qr_ledger_fault_weeks *w)
{
    if (w) {
        free(w->v);
        w->v = NULL;
        w->n = 0;
    }
}

/* The Monday on or before a day (days since 1970-01-01, a Thursday). */
static int64_t monday_of(int64_t day)
{
    int64_t wd = ((day + 3) % 7 + 7) % 7; /* 0 = Monday */
    return day - wd;
}

static void day_text(int64_t day, char out[11])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Add each outcome since `first` (a Monday) to its week. */
static int count_weeks(qr_ledger *l, int64_t first, qr_ledger_fault_weeks *w, qr_err *err)
{
    char since[11];
    day_text(first, since);
    sqlite3_stmt *st = lg_prepare(l, "SELECT CAST(julianday(substr(f.updated, 1, 10))"
        " - 2440587.5 AS INTEGER), f.pages, (SELECT count(*) FROM faults x"
        " WHERE x.outcome = f.id AND x.kind <> 'unexpected_file')"
        " FROM files f WHERE f.updated >= ?", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, since);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t k = (monday_of(sqlite3_column_int64(st, 0)) - first) / 7;
        if (k < 0 || (size_t)k >= w->n)
            continue; /* after today's week: a clock set back */
        w->v[k].pages += sqlite3_column_int64(st, 1);
        w->v[k].faults += sqlite3_column_int64(st, 2);
    }
    int rc = s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading faults per week");
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_fault_weeks_get(qr_ledger *l, const char *today, int n_weeks,
                          qr_ledger_fault_weeks *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    char now[32], d10[11];
    lg_now(l, now);
    snprintf(d10, sizeof d10, "%.10s", today ? today : now);
    int32_t day;
    if (n_weeks < 1 || !qr_ledger_date_parse(d10, &day))
        return qr_err_set(err, QR_EINVAL, "faults per week: not a date: %s", d10);
    out->v = calloc((size_t)n_weeks, sizeof *out->v);
    if (!out->v)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    out->n = (size_t)n_weeks;
    int64_t first = monday_of(day) - 7 * (int64_t)(n_weeks - 1);
    for (int i = 0; i < n_weeks; i++)
        day_text(first + 7 * i, out->v[i].start);
    int rc = count_weeks(l, first, out, err);
    if (rc != QR_OK)
        qr_ledger_fault_weeks_free(out);
    return rc;
}
