/*
 * The plan in the ledger: calendar dates, points set in one transaction
 * (replacing a planned date, replace_all), the never-decreasing rule checked
 * against the merged curve with the offending line named, the plan_set event,
 * and the target by date: none before the first point, linear by day between
 * points (across month and leap-year ends), the last value after the last.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

static qr_ledger *setup(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    qr_ledger_set_time(l, 1700000000);
    return l;
}

static qr_ledger_plan_point pt(const char *date, double percent, int line)
{
    qr_ledger_plan_point p = {.percent = percent, .line = line};
    snprintf(p.date, sizeof p.date, "%s", date);
    return p;
}

static bool near(double a, double b) { return fabs(a - b) < 1e-9; }

static double value_at(qr_ledger *l, const char *date, bool *has)
{
    double v = -1;
    CHECKF(qr_ledger_plan_value(l, date, &v, has) == QR_OK, "plan_value %s", date);
    return v;
}

static void test_dates(void)
{
    int32_t d = -1;
    CHECK(qr_ledger_date_parse("1970-01-01", &d) && d == 0);
    CHECK(qr_ledger_date_parse("2000-03-01", &d) && d == 11017);
    CHECK(qr_ledger_date_parse("2024-02-29", &d));
    CHECK(!qr_ledger_date_parse("2023-02-29", &d));
    CHECK(!qr_ledger_date_parse("1900-02-29", &d));
    CHECK(qr_ledger_date_parse("2000-02-29", &d));
    CHECK(!qr_ledger_date_parse("2026-04-31", &d));
    CHECK(!qr_ledger_date_parse("2026-13-01", &d));
    CHECK(!qr_ledger_date_parse("2026-00-10", &d));
    CHECK(!qr_ledger_date_parse("2026-1-10", &d));
    CHECK(!qr_ledger_date_parse("2026-01-10T00", &d));
    CHECK(!qr_ledger_date_parse("2026/01/10", &d));
    CHECK(!qr_ledger_date_parse("", &d));
    CHECK(!qr_ledger_date_parse(NULL, &d));
}

static void test_interpolation(void)
{
    qr_ledger *l = setup();
    qr_err err = {0};
    bool has = true;
    CHECK(near(value_at(l, "2026-01-15", &has), 0) && !has); /* no plan */
    qr_ledger_plan_point pts[] = {pt("2026-03-31", 40, 0), pt("2026-01-31", 10, 0),
                                  pt("2026-12-31", 100, 0)};
    double prev[3];
    CHECKF(qr_ledger_plan_set(l, pts, 3, false, "office", prev, &err) == QR_OK, "%s", err.msg);
    CHECK(isnan(prev[0]) && isnan(prev[1]) && isnan(prev[2]));

    qr_ledger_plan plan = {0};
    CHECK(qr_ledger_plan_list(l, &plan, &err) == QR_OK);
    CHECK_EQ_INT(plan.n, 3);
    CHECK(plan.n == 3 && strcmp(plan.v[0].date, "2026-01-31") == 0 &&
          strcmp(plan.v[2].date, "2026-12-31") == 0 && near(plan.v[1].percent, 40));
    qr_ledger_plan_free(&plan);

    CHECK(near(value_at(l, "2026-01-30", &has), 0) && !has); /* the day before */
    CHECK(near(value_at(l, "2025-06-01", &has), 0) && !has);
    CHECK(near(value_at(l, "2026-01-31", &has), 10) && has); /* on the first point */
    /* 2026-01-31 .. 2026-03-31 is 59 days: 30 % over 59 days. */
    CHECK(near(value_at(l, "2026-02-01", &has), 10 + 30.0 / 59) && has);
    CHECK(near(value_at(l, "2026-03-01", &has), 10 + 30.0 * 29 / 59));
    CHECK(near(value_at(l, "2026-03-30", &has), 10 + 30.0 * 58 / 59));
    CHECK(near(value_at(l, "2026-03-31", &has), 40)); /* on an inner point */
    CHECK(near(value_at(l, "2026-04-01", &has), 40 + 60.0 / 275));
    CHECK(near(value_at(l, "2026-12-31", &has), 100) && has); /* the last point */
    CHECK(near(value_at(l, "2027-06-01", &has), 100) && has); /* after it */
    CHECK(qr_ledger_plan_value(l, "2026-02-30", &(double){0}, &has) == QR_EINVAL);
    qr_ledger_close(&l);
}

static void test_leap_span(void)
{
    qr_ledger *l = setup();
    qr_ledger_plan_point pts[] = {pt("2024-02-28", 0, 0), pt("2024-03-01", 20, 0)};
    CHECK(qr_ledger_plan_set(l, pts, 2, false, NULL, NULL, NULL) == QR_OK);
    bool has = false;
    CHECK(near(value_at(l, "2024-02-29", &has), 10) && has); /* 2 days, halfway */
    qr_ledger_close(&l);
}

static void test_replace(void)
{
    qr_ledger *l = setup();
    qr_err err = {0};
    qr_ledger_plan_point a[] = {pt("2026-01-31", 10, 0), pt("2026-06-30", 50, 0)};
    CHECK(qr_ledger_plan_set(l, a, 2, false, "office", NULL, &err) == QR_OK);
    qr_ledger_plan_point b[] = {pt("2026-06-30", 60, 0), pt("2026-12-31", 90, 0)};
    double prev[2];
    CHECKF(qr_ledger_plan_set(l, b, 2, false, "office", prev, &err) == QR_OK, "%s", err.msg);
    CHECK(near(prev[0], 50) && isnan(prev[1]));
    bool has = false;
    CHECK(near(value_at(l, "2026-06-30", &has), 60));
    qr_ledger_plan plan = {0};
    CHECK(qr_ledger_plan_list(l, &plan, &err) == QR_OK);
    CHECK_EQ_INT(plan.n, 3);
    qr_ledger_plan_free(&plan);

    /* replace_all: only the new points remain, even lower ones. */
    qr_ledger_plan_point c[] = {pt("2027-01-31", 5, 2), pt("2027-12-31", 80, 3)};
    CHECKF(qr_ledger_plan_set(l, c, 2, true, "office", prev, &err) == QR_OK, "%s", err.msg);
    CHECK(isnan(prev[0]) && isnan(prev[1]));
    CHECK(qr_ledger_plan_list(l, &plan, &err) == QR_OK);
    CHECK(plan.n == 2 && strcmp(plan.v[0].date, "2027-01-31") == 0);
    qr_ledger_plan_free(&plan);
    CHECK(near(value_at(l, "2026-12-31", &has), 0) && !has);

    int64_t n_events = 0;
    CHECK(qr_ledger_verify_events(l, &n_events, NULL, &err) == QR_OK);
    CHECK_EQ_INT(n_events, 3); /* one plan_set event per call */
    qr_ledger_close(&l);
}

static void expect_refused(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                           const char *needle)
{
    qr_err err = {0};
    CHECK(qr_ledger_plan_set(l, pts, n, false, NULL, NULL, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

static void test_refused(void)
{
    qr_ledger *l = setup();
    qr_ledger_plan_point ok[] = {pt("2026-01-31", 10, 0), pt("2026-06-30", 50, 0)};
    CHECK(qr_ledger_plan_set(l, ok, 2, false, NULL, NULL, NULL) == QR_OK);

    qr_ledger_plan_point down[] = {pt("2026-03-31", 40, 2), pt("2026-04-30", 30, 3)};
    expect_refused(l, down, 2, "2026-04-30 at 30 % (line 3) is below the earlier 2026-03-31");
    qr_ledger_plan_point below_old[] = {pt("2026-09-30", 45, 7)};
    expect_refused(l, below_old, 1, "(line 7) is below the earlier 2026-06-30 at 50 % "
                                    "(already planned)");
    qr_ledger_plan_point above_old[] = {pt("2026-01-01", 20, 4)};
    expect_refused(l, above_old, 1, "2026-01-31 at 10 % (already planned) is below");
    /* Replacing a point so that a later one is lower is refused too. */
    qr_ledger_plan_point raise[] = {pt("2026-01-31", 60, 0)};
    expect_refused(l, raise, 1, "2026-06-30 at 50 % (already planned) is below the earlier "
                                "2026-01-31 at 60 %");
    qr_ledger_plan_point twice[] = {pt("2026-02-01", 20, 2), pt("2026-02-01", 20, 5)};
    expect_refused(l, twice, 2, "date given twice: 2026-02-01 at 20 % (line 2)");
    qr_ledger_plan_point bad_date[] = {pt("2026-02-30", 20, 4)};
    expect_refused(l, bad_date, 1, "line 4: '2026-02-30' is not a date");
    qr_ledger_plan_point bad_pct[] = {pt("2026-02-01", 100.5, 0)};
    expect_refused(l, bad_pct, 1, "outside 0..100");
    qr_ledger_plan_point nan_pct[] = {pt("2026-02-01", NAN, 0)};
    expect_refused(l, nan_pct, 1, "outside 0..100");
    expect_refused(l, ok, 0, "no plan points");

    /* Nothing of the refused calls reached the ledger; equal values are fine. */
    qr_ledger_plan plan = {0};
    CHECK(qr_ledger_plan_list(l, &plan, NULL) == QR_OK);
    CHECK(plan.n == 2 && near(plan.v[0].percent, 10) && near(plan.v[1].percent, 50));
    qr_ledger_plan_free(&plan);
    qr_ledger_plan_point flat[] = {pt("2026-03-31", 10, 0), pt("2026-07-31", 50, 0)};
    CHECK(qr_ledger_plan_set(l, flat, 2, false, NULL, NULL, NULL) == QR_OK);
    qr_ledger_close(&l);
}

int main(void)
{
    test_dates();
    test_interpolation();
    test_leap_span();
    test_replace();
    test_refused();
    return qr_test_end();
}
