/*
 * The status summary: how much of the inventory is digitized, how fast, and
 * when the project will be done, measured against the plan. The definitions
 * (pending, throughput, projection) are in qr_ledger.h, once.
 *
 * Why these queries: the ledger of a whole project holds 30,000 files and
 * 1,000,000 pages, and `quire status` must answer within a second. So no
 * figure reads the pages table: page counts come from inventory.expected_pages
 * (per-file sums), the current outcome from the files_current index, the
 * throughput windows from a range of the files_updated index, and a file's
 * first archive is its version-1 archived outcome (versions count archives
 * only, so version 1 is always the first), which needs no per-file MIN().
 * Faults by kind are the open faults (what blocks), read with a reviewer's
 * accepts applied the moment they are recorded.
 * All queries run in one read transaction, so the figures come from one
 * snapshot even while an ingest commits beside them (WAL).
 * Runs on the handle's thread.
 */
#include "ledger_int.h"
#include "qr_release.h"

#include <stdio.h>
#include <string.h>

static const char SQL_TOTALS[] =
    "SELECT count(*), coalesce(sum(i.expected_pages), 0),"
    " coalesce(sum(f.status = 'archived'), 0), coalesce(sum(f.status = 'faulty'), 0),"
    " coalesce(sum(f.status IS NULL), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN i.expected_pages END), 0),"
    " coalesce(sum(CASE WHEN f.status = 'archived' THEN f.pages END), 0),"
    " (SELECT count(*) FROM files g WHERE g.current = 1"
    "   AND NOT EXISTS (SELECT 1 FROM inventory j WHERE j.file_id = g.file_id))"
    " FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1";

/* Open faults by kind (qr_ledger.h, Reviewer accepts): the unaccepted faults
 * of each file's latest outcome when it is faulty. A fault is accepted when
 * recorded so or covered by an accept row; this predicate is the one in
 * accepts.c (LG_SQL_ACCEPT_COVERS, ledger_int.h). The latest outcome is max(id)
 * of the file (files_file); it is faulty when the current outcome is, or
 * when it is not the current one (an outcome after the current archive is a
 * faulty rescan). CROSS JOIN keeps files (the current outcomes, from
 * files_current_cover) as the outer loop, so each fault count comes from
 * faults_outcome_kind alone; left to choose, the planner scans faults_kind
 * and fetches every fault's outcome row. */
static const char SQL_FAULTS[] =
    "SELECT x.kind, count(*)" LG_SQL_LATEST_FAULTS
    " AND x.accepted = 0 AND NOT " LG_SQL_ACCEPT_COVERS("x") " GROUP BY x.kind";

static const char SQL_RESCAN[] =
    "SELECT count(*), coalesce(min(submitted), '') FROM rescan_jobs"
    " WHERE status IN ('open', 'delivered')";

/* Pages of first archives recorded in [?1, ?2): dates "YYYY-MM-DD" compare
 * below every timestamp of their day. */
static const char SQL_WINDOW[] =
    "SELECT coalesce(sum(i.expected_pages), 0) FROM files f"
    " JOIN inventory i ON i.file_id = f.file_id"
    " WHERE f.updated >= ?1 AND f.updated < ?2 AND f.status = 'archived' AND f.version = 1";

static const char SQL_LAST_FIRST_ARCHIVE[] =
    "SELECT coalesce(substr(max(f.updated), 1, 10), '') FROM files f"
    " JOIN inventory i ON i.file_id = f.file_id WHERE f.status = 'archived' AND f.version = 1";

/* "YYYY-MM-DD" of a day number (days since 1970-01-01). */
static void day_text(int64_t days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int step_row(qr_ledger *l, sqlite3_stmt *q, const char *what, qr_err *err)
{
    int s = sqlite3_step(q);
    return s == SQLITE_ROW ? QR_OK : lg_fail(l, err, what);
}

static int totals(qr_ledger *l, qr_ledger_status *st, qr_err *err)
{
    sqlite3_stmt *q = lg_prepare(l, SQL_TOTALS, err);
    if (!q)
        return QR_EFATAL;
    int rc = step_row(l, q, "reading status", err);
    if (rc == QR_OK) {
        int64_t *dst[] = {&st->files_inventory, &st->pages_inventory, &st->files_archived,
                          &st->files_faulty, &st->files_not_delivered, &st->pages_archived,
                          &st->pages_delivered_archived, &st->files_unexpected};
        for (int i = 0; i < 8; i++)
            *dst[i] = sqlite3_column_int64(q, i);
    }
    sqlite3_finalize(q);
    return rc;
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

static int rescan_jobs(qr_ledger *l, qr_ledger_status *st, int32_t today, qr_err *err)
{
    sqlite3_stmt *q = lg_prepare(l, SQL_RESCAN, err);
    if (!q)
        return QR_EFATAL;
    int rc = step_row(l, q, "reading rescan jobs", err);
    if (rc == QR_OK) {
        st->rescan_open = sqlite3_column_int64(q, 0);
        const char *oldest = (const char *)sqlite3_column_text(q, 1);
        qr_copy_str(st->rescan_oldest, sizeof st->rescan_oldest, oldest ? oldest : "");
    }
    sqlite3_finalize(q);
    char day[11];
    int32_t d;
    snprintf(day, sizeof day, "%.10s", st->rescan_oldest);
    if (rc == QR_OK && qr_ledger_date_parse(day, &d) && today > d)
        st->rescan_oldest_days = today - d;
    return rc;
}

/* Pages newly digitized in the `days` days ending with today. */
static int window_pages(qr_ledger *l, int32_t today, int days, int64_t *pages, qr_err *err)
{
    char from[11], to[11];
    day_text((int64_t)today - days + 1, from);
    day_text((int64_t)today + 1, to);
    sqlite3_stmt *q = lg_prepare(l, SQL_WINDOW, err);
    if (!q)
        return QR_EFATAL;
    lg_bind_text(q, 1, from);
    lg_bind_text(q, 2, to);
    int rc = step_row(l, q, "reading throughput", err);
    if (rc == QR_OK)
        *pages = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc;
}

static int throughput(qr_ledger *l, qr_ledger_status *st, int32_t today, qr_err *err)
{
    int rc = window_pages(l, today, 7, &st->pages_7d, err);
    if (rc == QR_OK)
        rc = window_pages(l, today, 30, &st->pages_30d, err);
    st->pages_per_day_7d = (double)st->pages_7d / 7.0;
    st->pages_per_day_30d = (double)st->pages_30d / 30.0;
    return rc;
}

static int projection(qr_ledger *l, qr_ledger_status *st, int32_t today, qr_err *err)
{
    if (st->pages_inventory <= 0)
        return QR_OK;
    if (st->pages_pending > 0) {
        if (st->pages_30d > 0) {
            /* remaining / (pages_30d / 30), rounded up, in integers. */
            int64_t days = (st->pages_pending * 30 + st->pages_30d - 1) / st->pages_30d;
            day_text((int64_t)today + days, st->projected);
        }
        return QR_OK;
    }
    sqlite3_stmt *q = lg_prepare(l, SQL_LAST_FIRST_ARCHIVE, err);
    if (!q)
        return QR_EFATAL;
    int rc = step_row(l, q, "reading the last archive", err);
    if (rc == QR_OK)
        snprintf(st->projected, sizeof st->projected, "%s",
                 (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return rc;
}

/* The plan's end, its target for today, and how far ahead or behind it the
 * percent of pages is (after percent_pages is known). */
static int plan(qr_ledger *l, qr_ledger_status *st, int32_t today, qr_err *err)
{
    qr_ledger_plan p = {0};
    int rc = qr_ledger_plan_list(l, &p, err);
    for (size_t i = 0; rc == QR_OK && i < p.n && !st->plan_end[0]; i++)
        if (p.v[i].percent >= 100.0)
            snprintf(st->plan_end, sizeof st->plan_end, "%s", p.v[i].date);
    if (rc == QR_OK && qr_ledger_plan_value(l, st->today, &st->plan_percent, &st->has_plan))
        rc = lg_fail(l, err, "reading the plan");
    int32_t day;
    if (rc == QR_OK && st->has_plan) {
        st->plan_gap_points = st->percent_pages - st->plan_percent;
        st->has_plan_days = qr_ledger_plan_day_of(&p, st->percent_pages, &day);
        st->plan_gap_days = st->has_plan_days ? (int64_t)day - today : 0;
    }
    qr_ledger_plan_free(&p);
    return rc;
}

static void percents(qr_ledger_status *st)
{
    if (st->files_inventory > 0)
        st->percent_files = 100.0 * (double)st->files_archived / (double)st->files_inventory;
    if (st->pages_inventory > 0)
        st->percent_pages = 100.0 * (double)st->pages_archived / (double)st->pages_inventory;
}

static int read_all(qr_ledger *l, qr_ledger_status *st, int32_t today, qr_err *err)
{
    int rc = totals(l, st, err);
    st->files_pending = st->files_faulty + st->files_not_delivered;
    st->pages_pending = st->pages_inventory - st->pages_archived;
    percents(st);
    if (rc == QR_OK) rc = faults_by_kind(l, st, err);
    if (rc == QR_OK) rc = rescan_jobs(l, st, today, err);
    if (rc == QR_OK) rc = throughput(l, st, today, err);
    if (rc == QR_OK) rc = projection(l, st, today, err);
    if (rc == QR_OK) rc = plan(l, st, today, err);
    if (rc == QR_OK) rc = qr_release_counts(l, &st->boxes_released, &st->boxes_ready, err);
    return rc;
}

int qr_ledger_status_at(qr_ledger *l, const char *today, qr_ledger_status *st, qr_err *err)
{
    memset(st, 0, sizeof *st);
    char now[32];
    lg_now(l, now);
    if (today && !qr_ledger_date_parse(today, NULL))
        return qr_err_set(err, QR_EINVAL, "not a date (YYYY-MM-DD): %s", today);
    snprintf(st->today, sizeof st->today, "%.10s", today ? today : now);
    int32_t day;
    if (!qr_ledger_date_parse(st->today, &day))
        return qr_err_set(err, QR_EINVAL, "the clock's day is not a date: %s", now);
    int rc = lg_exec(l, "BEGIN", err);
    if (rc != QR_OK)
        return rc;
    rc = read_all(l, st, day, err);
    lg_exec(l, rc == QR_OK ? "COMMIT" : "ROLLBACK", NULL);
    return rc;
}

int qr_ledger_status_get(qr_ledger *l, qr_ledger_status *st, qr_err *err)
{
    return qr_ledger_status_at(l, NULL, st, err);
}
