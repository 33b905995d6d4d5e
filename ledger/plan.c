/*
 * The project office's plan: target percent digitized by date (quire plan),
 * read back by status and reports to say whether the project is on track.
 *
 * Why a curve of points and not a target per day: offices plan by milestone
 * ("40 % by the end of March"); the days in between follow by linear
 * interpolation. The curve must never go down, since percent digitized never
 * does: a plan that dips is a typo, and it is refused as a whole (one
 * transaction, nothing changed) with a message naming the offending point and
 * its input line, so the office fixes the file rather than the ledger.
 *
 * Dates are plain calendar days ("YYYY-MM-DD", no time zone): they are
 * compared as day numbers, which also keeps the text order of the plan
 * table's primary key equal to date order. Each change's plan_set event
 * carries the digest of the whole plan it leaves (digest.c). Runs on the
 * handle's owning thread.
 */
#include "ledger_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

/* The decimal value of s[0..n), or -1 when a character is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool qr_ledger_date_parse(const char *s, int32_t *days)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    if (days)
        *days = days_from_civil(y, m, d);
    return true;
}

void qr_ledger_plan_free(qr_ledger_plan *plan)
{
    if (!plan)
        return;
    free(plan->v);
    plan->v = NULL;
    plan->n = 0;
}

static int read_points(qr_ledger *l, qr_ledger_plan *out, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT date, target_percent FROM plan ORDER BY date", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK, s;
    size_t cap = 0;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (qr_grow(&out->v, &cap, out->n + 1, sizeof *out->v) != QR_OK) {
            rc = qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
            break;
        }
        qr_ledger_plan_point *p = &out->v[out->n++];
        memset(p, 0, sizeof *p);
        snprintf(p->date, sizeof p->date, "%s", (const char *)sqlite3_column_text(st, 0));
        p->percent = sqlite3_column_double(st, 1);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading the plan");
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_plan_list(qr_ledger *l, qr_ledger_plan *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = read_points(l, out, err);
    if (rc != QR_OK)
        qr_ledger_plan_free(out);
    return rc;
}

/* "2026-03-31 at 40 % (line 4)", or "... (already planned)" for a ledger point. */
static void describe(const qr_ledger_plan_point *p, char *out, size_t cap)
{
    if (p->line > 0)
        snprintf(out, cap, "%s at %g %% (line %d)", p->date, p->percent, p->line);
    else if (p->line == 0)
        snprintf(out, cap, "%s at %g %%", p->date, p->percent);
    else
        snprintf(out, cap, "%s at %g %% (already planned)", p->date, p->percent);
}

static int check_point(const qr_ledger_plan_point *p, qr_err *err)
{
    char where[32] = "";
    if (p->line > 0)
        snprintf(where, sizeof where, "line %d: ", p->line);
    if (!qr_ledger_date_parse(p->date, NULL))
        return qr_err_set(err, QR_EINVAL, "%s'%s' is not a date (YYYY-MM-DD, a real calendar "
                          "day)", where, p->date);
    if (!isfinite(p->percent) || p->percent < 0 || p->percent > 100)
        return qr_err_set(err, QR_EINVAL, "%splan target %g for %s is outside 0..100 %%",
                          where, p->percent, p->date);
    return QR_OK;
}

static int check_input(const qr_ledger_plan_point *pts, size_t n, qr_err *err)
{
    if (n == 0)
        return qr_err_set(err, QR_EINVAL, "no plan points given");
    for (size_t i = 0; i < n; i++) {
        int rc = check_point(&pts[i], err);
        for (size_t j = 0; rc == QR_OK && j < i; j++)
            if (strcmp(pts[i].date, pts[j].date) == 0) {
                char a[80], b[80];
                describe(&pts[i], a, sizeof a);
                describe(&pts[j], b, sizeof b);
                rc = qr_err_set(err, QR_EINVAL, "date given twice: %s and %s", b, a);
            }
        if (rc != QR_OK)
            return rc;
    }
    return QR_OK;
}

static int cmp_date(const void *a, const void *b)
{
    const qr_ledger_plan_point *x = a, *y = b;
    return strcmp(x->date, y->date);
}

/* The curve after the change: kept ledger points (line -1) and the new ones. */
static int merged_curve(const qr_ledger_plan *old, const qr_ledger_plan_point *pts, size_t n,
                        double *previous, qr_ledger_plan *out, qr_err *err)
{
    out->v = qr_malloc_array(old->n + n, sizeof *out->v);
    if (!out->v)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    out->n = 0;
    for (size_t i = 0; i < n; i++)
        if (previous)
            previous[i] = NAN;
    for (size_t k = 0; k < old->n; k++) {
        bool replaced = false;
        for (size_t i = 0; i < n && !replaced; i++)
            if (strcmp(old->v[k].date, pts[i].date) == 0) {
                replaced = true;
                if (previous)
                    previous[i] = old->v[k].percent;
            }
        if (!replaced) {
            out->v[out->n] = old->v[k];
            out->v[out->n++].line = -1;
        }
    }
    memcpy(out->v + out->n, pts, n * sizeof *pts);
    out->n += n;
    qsort(out->v, out->n, sizeof *out->v, cmp_date);
    return QR_OK;
}

static int check_rising(const qr_ledger_plan *c, qr_err *err)
{
    for (size_t i = 1; i < c->n; i++)
        if (c->v[i].percent < c->v[i - 1].percent) {
            char a[80], b[80];
            describe(&c->v[i], a, sizeof a);
            describe(&c->v[i - 1], b, sizeof b);
            return qr_err_set(err, QR_EINVAL, "the plan may not go down: %s is below the "
                              "earlier %s", a, b);
        }
    return QR_OK;
}

static int write_points(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                        bool replace_all, qr_err *err)
{
    if (replace_all && lg_exec(l, "DELETE FROM plan", err) != QR_OK)
        return QR_EFATAL;
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO plan(date, target_percent) VALUES(?,?)"
                                     " ON CONFLICT(date) DO UPDATE SET"
                                     " target_percent=excluded.target_percent", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK;
    for (size_t i = 0; i < n && rc == QR_OK; i++) {
        sqlite3_reset(st);
        lg_bind_text(st, 1, pts[i].date);
        sqlite3_bind_double(st, 2, pts[i].percent);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = lg_fail(l, err, "writing the plan");
    }
    sqlite3_finalize(st);
    return rc;
}

static int plan_event(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                      const double *prev, bool replace_all, const char *actor, qr_err *err)
{
    qr_buf b = {0};
    char v[40];
    qr_buf_printf(&b, "{\"replace_all\":%s,\"points\":[", replace_all ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        qr_buf_printf(&b, "%s{\"date\":\"%s\",\"target_percent\":", i ? "," : "", pts[i].date);
        qr_fmt_double(pts[i].percent, v);
        qr_buf_printf(&b, "%s,\"previous\":", v);
        qr_fmt_double(prev[i], v);
        qr_buf_printf(&b, "%s}", isnan(prev[i]) ? "null" : v);
    }
    qr_buf_printf(&b, "]}");
    static const lg_rowset whole = LG_ROWS_PLAN; /* the plan as this change leaves it */
    int rc = b.data ? lg_event_append_rows(l, 0, NULL, "plan_set",
                                           actor && *actor ? actor : qr_actor_default(),
                                           (const char *)b.data, &whole, 1, 0, err)
                    : qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    qr_buf_free(&b);
    return rc;
}

/* Inside the transaction: the old plan, the merged curve, the checks, the writes. */
static int plan_set_tx(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                       bool replace_all, const char *actor, double *prev, qr_err *err)
{
    qr_ledger_plan old = {0}, curve = {0};
    int rc = read_points(l, &old, err);
    if (rc == QR_OK)
        rc = merged_curve(&old, pts, n, prev, &curve, err);
    qr_ledger_plan_free(&old);
    if (rc == QR_OK && replace_all) { /* only the new points remain */
        qr_ledger_plan_free(&curve);
        rc = merged_curve(&old, pts, n, NULL, &curve, err);
    }
    if (rc == QR_OK)
        rc = check_rising(&curve, err);
    qr_ledger_plan_free(&curve);
    if (rc == QR_OK)
        rc = write_points(l, pts, n, replace_all, err);
    if (rc == QR_OK)
        rc = plan_event(l, pts, n, prev, replace_all, actor, err);
    return rc;
}

int qr_ledger_plan_set(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                       bool replace_all, const char *actor, double *previous, qr_err *err)
{
    int rc = check_input(pts, n, err);
    if (rc != QR_OK)
        return rc;
    double *prev = qr_malloc_array(n, sizeof *prev);
    if (!prev)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    rc = lg_tx_open(l, err);
    if (rc == QR_OK) {
        rc = plan_set_tx(l, pts, n, replace_all, actor, prev, err);
        int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
        rc = rc != QR_OK ? rc : rc2;
    }
    if (rc == QR_OK && previous)
        memcpy(previous, prev, n * sizeof *prev);
    free(prev);
    return rc;
}

/* The target on day d of a non-empty curve in date order. */
static bool interpolate(const qr_ledger_plan *c, int32_t d, double *percent)
{
    int32_t d0 = 0, d1 = 0;
    qr_ledger_date_parse(c->v[0].date, &d0);
    if (d < d0)
        return false;
    for (size_t i = 0; i + 1 < c->n; i++) {
        qr_ledger_date_parse(c->v[i].date, &d0);
        qr_ledger_date_parse(c->v[i + 1].date, &d1);
        if (d >= d0 && d < d1) {
            double t = (double)(d - d0) / (double)(d1 - d0);
            *percent = c->v[i].percent + t * (c->v[i + 1].percent - c->v[i].percent);
            return true;
        }
    }
    *percent = c->v[c->n - 1].percent;
    return true;
}

/* The first day the plan reaches percent: inside the segment that crosses
 * it, by linear interpolation (rounded to the nearest day); the first
 * point's day when the plan starts above it. False when the plan never gets
 * there (its last point is lower). */
bool qr_ledger_plan_day_of(const qr_ledger_plan *c, double percent, int32_t *day)
{
    int32_t d0 = 0, d1 = 0;
    if (c->n == 0 || !qr_ledger_date_parse(c->v[0].date, &d0))
        return false;
    if (c->v[0].percent >= percent) {
        *day = d0;
        return true;
    }
    for (size_t i = 0; i + 1 < c->n; i++) {
        double p0 = c->v[i].percent, p1 = c->v[i + 1].percent;
        if (p1 < percent || p1 <= p0)
            continue;
        qr_ledger_date_parse(c->v[i].date, &d0);
        qr_ledger_date_parse(c->v[i + 1].date, &d1);
        double t = (percent - p0) / (p1 - p0);
        *day = d0 + (int32_t)lround(t * (double)(d1 - d0));
        return true;
    }
    return false;
}

int qr_ledger_plan_value(qr_ledger *l, const char *date, double *percent, bool *has)
{
    *percent = 0;
    *has = false;
    int32_t d;
    if (!qr_ledger_date_parse(date, &d))
        return QR_EINVAL;
    qr_ledger_plan c = {0};
    int rc = qr_ledger_plan_list(l, &c, NULL);
    if (rc != QR_OK)
        return rc;
    if (c.n > 0)
        *has = interpolate(&c, d, percent);
    if (!*has)
        *percent = 0;
    qr_ledger_plan_free(&c);
    return QR_OK;
}
