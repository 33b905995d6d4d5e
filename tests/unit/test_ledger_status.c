/* Unit tests for the project office's figures: a small ledger built through
 * the ledger API at pinned times (first archives, a rescan version that must
 * not count as throughput, faulty and undelivered files, a person's rescan
 * job, a plan), then the exact counts, percents, throughput windows,
 * projection, plan target and end, and every grouping (box, batch, month,
 * day); faults by kind are the open faults, also those of a faulty rescan of
 * an archived file, and a reviewer's accept takes a fault out at once. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qr_ledger.h"
#include "qr_test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP "1111111111111111111111111111111111111111111111111111111111111111"

static bool near(double a, double b) { return fabs(a - b) < 1e-9; }

/* Pin the ledger's clock to "YYYY-MM-DD HH:MM" UTC. */
static void at(qr_ledger *l, const char *when)
{
    struct tm tm = {0};
    CHECK(strptime(when, "%Y-%m-%d %H:%M", &tm) != NULL);
    qr_ledger_set_time(l, timegm(&tm));
}

static int64_t batch(qr_ledger *l, const char *when)
{
    at(l, when);
    int64_t b = 0;
    qr_err err = {0};
    CHECKF(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK, "%s", err.msg);
    return b;
}

/* One outcome: archived, or faulty with a blank page 2 and a file-level fault. */
static void outcome(qr_ledger *l, const char *id, int64_t b, int version, bool archived,
                    int pages)
{
    qr_fault f[2] = {{.kind = QR_FAULT_BLANK, .page = 2, .value = 0.99, .threshold = 0.98},
                     {.kind = QR_FAULT_MISSING_PAGES, .page = 0, .value = 39, .threshold = 40}};
    bool unexpected = strcmp(id, "X") == 0;
    qr_fault fx = {.kind = QR_FAULT_UNEXPECTED_FILE, .page = 0};
    qr_ledger_outcome o = {.file_id = id, .batch = b, .version = version, .archived = archived,
                           .archive_path = "out/x.pdf", .archive_sha256 = SHA_A,
                           .source_fingerprint = FP, .delivered_pages = pages,
                           .faults = archived ? NULL : unexpected ? &fx : f,
                           .n_faults = archived ? 0 : unexpected ? 1 : 2};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s: %s", id, err.msg);
}

/*
 * Inventory: A (B1, 10 pages), B (B1, 20), C (B2, 30), D (B2, 40), F (B3, 100).
 * batch 1, 2024-02-10: A archived.
 * 2024-03-01: a person submits a rescan of A's page 3 (open, the oldest job).
 * batch 2, 2024-03-15: B archived, C faulty (opens a job).
 * batch 3, 2024-03-19: C archived (closes its job), B archived again as v2,
 *                      D faulty with 39 pages (opens a job), X unexpected.
 * F is never delivered. Plan: 0 % on 2024-01-01, 40 % on 2024-03-31,
 * 100 % on 2024-06-30.
 */
static void fixture(qr_ledger *l)
{
    qr_err err = {0};
    const char *t = "file_id,box,expected_pages\nA,B1,10\nB,B1,20\nC,B2,30\nD,B2,40\nF,B3,100\n";
    qr_manifest *m = NULL;
    CHECK(qr_manifest_parse("t.csv", (const uint8_t *)t, strlen(t), 0, &m, &err) == QR_OK);
    qr_ledger_upsert_result r;
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_STOCK, 0, true, &r, &err) == QR_OK);
    qr_ledger_upsert_result_free(&r);
    qr_manifest_free(&m);

    int64_t b1 = batch(l, "2024-02-10 10:00");
    outcome(l, "A", b1, 1, true, 10);
    at(l, "2024-03-01 08:30");
    CHECKF(qr_ledger_rescan_submit(l, "A", "3", "stamp unreadable", "ana", NULL, &err) == QR_OK,
           "%s", err.msg);
    int64_t b2 = batch(l, "2024-03-15 09:00");
    outcome(l, "B", b2, 1, true, 20);
    outcome(l, "C", b2, 1, false, 30);
    int64_t b3 = batch(l, "2024-03-19 23:59");
    outcome(l, "C", b3, 1, true, 30);
    outcome(l, "B", b3, 2, true, 20);
    outcome(l, "D", b3, 1, false, 39);
    outcome(l, "X", b3, 1, false, 1);

    qr_ledger_plan_point p[3] = {{"2024-01-01", 0, 0}, {"2024-03-31", 40, 0},
                                 {"2024-06-30", 100, 0}};
    CHECKF(qr_ledger_plan_set(l, p, 3, true, "ana", NULL, &err) == QR_OK, "%s", err.msg);
}

static void test_figures(qr_ledger *l)
{
    qr_ledger_status s;
    qr_err err = {0};
    CHECKF(qr_ledger_status_at(l, "2024-03-20", &s, &err) == QR_OK, "%s", err.msg);
    CHECK(strcmp(s.today, "2024-03-20") == 0);
    CHECK_EQ_INT(s.files_inventory, 5);
    CHECK_EQ_INT(s.pages_inventory, 200);
    CHECK_EQ_INT(s.files_archived, 3);
    CHECK_EQ_INT(s.pages_archived, 60);
    CHECK_EQ_INT(s.files_faulty, 1);
    CHECK_EQ_INT(s.files_not_delivered, 1);
    CHECK_EQ_INT(s.files_pending, 2);
    CHECK_EQ_INT(s.pages_pending, 140);
    CHECK_EQ_INT(s.files_unexpected, 1);
    CHECK(near(s.percent_files, 60.0));
    CHECK(near(s.percent_pages, 30.0));
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_BLANK], 1);          /* D's; C's is history */
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_MISSING_PAGES], 1);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_UNEXPECTED_FILE], 1);
    /* 7 days = 03-14..03-20: B v1 (20) + C v1 (30); B v2 is a rescan, A is older. */
    CHECK_EQ_INT(s.pages_7d, 50);
    CHECK_EQ_INT(s.pages_30d, 50);
    CHECK(near(s.pages_per_day_7d, 50.0 / 7.0));
    CHECK(near(s.pages_per_day_30d, 50.0 / 30.0));
    /* 140 pages at 50/30 a day: 84 days after 2024-03-20. */
    CHECKF(strcmp(s.projected, "2024-06-12") == 0, "projected %s", s.projected);
    /* 79 of the 90 days from 2024-01-01 to 2024-03-31 towards 40 %. */
    CHECK(s.has_plan && near(s.plan_percent, 40.0 * 79.0 / 90.0));
    CHECK(strcmp(s.plan_end, "2024-06-30") == 0);
    /* Open: A's (submitted 03-01) and D's; C's closed by its archive. */
    CHECK_EQ_INT(s.rescan_open, 2);
    CHECK(strncmp(s.rescan_oldest, "2024-03-01T08:30", 16) == 0);
    CHECK_EQ_INT(s.rescan_oldest_days, 19);
}

static void test_windows(qr_ledger *l)
{
    qr_ledger_status s;
    qr_err err = {0};
    /* On 2024-03-21 the 7-day window starts 03-15: still B and C. On 03-22 it
     * starts 03-16 and loses B; the 30-day window (from 02-22) keeps both. */
    CHECK(qr_ledger_status_at(l, "2024-03-22", &s, &err) == QR_OK);
    CHECK_EQ_INT(s.pages_7d, 30);
    CHECK_EQ_INT(s.pages_30d, 50);
    /* On 2024-03-11 (before B and C) the 30-day window holds only A (02-10 is
     * outside: 02-11..03-11), so nothing: no projection. No plan before 01-01. */
    CHECK(qr_ledger_status_at(l, "2024-03-11", &s, &err) == QR_OK);
    CHECK_EQ_INT(s.pages_30d, 0);
    CHECK(s.projected[0] == '\0');
    CHECK_EQ_INT(s.rescan_oldest_days, 10);
    CHECK(qr_ledger_status_at(l, "2023-12-31", &s, &err) == QR_OK);
    CHECK(!s.has_plan && s.plan_percent == 0.0);
    CHECK(qr_ledger_status_at(l, "2024-02-30", &s, &err) == QR_EINVAL);
    CHECK(qr_ledger_status_at(l, "2024-03-200", &s, &err) == QR_EINVAL);
    /* Without a day: the ledger clock's day. */
    at(l, "2024-03-20 12:00");
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK);
    CHECK(strcmp(s.today, "2024-03-20") == 0 && s.pages_7d == 50);
}

static const qr_ledger_status_group *group(const qr_ledger_status_groups *g, size_t i)
{
    CHECKF(i < g->n, "group %zu of %zu", i, g->n);
    static qr_ledger_status_group none = {.key = (char *)"?"};
    return i < g->n ? &g->v[i] : &none;
}

static void test_by_box(qr_ledger *l)
{
    qr_ledger_status_groups g;
    qr_err err = {0};
    CHECK(qr_ledger_status_groups_get(l, QR_STATUS_BY_BOX, &g, &err) == QR_OK);
    CHECK_EQ_INT(g.n, 3);
    const qr_ledger_status_group *b1 = group(&g, 0), *b2 = group(&g, 1), *b3 = group(&g, 2);
    CHECK(strcmp(b1->key, "B1") == 0 && b1->files == 2 && b1->pages == 30);
    CHECK(b1->files_archived == 2 && b1->files_faulty == 0 && b1->pages_archived == 30);
    CHECK(near(b1->percent_pages, 100.0));
    CHECK(strcmp(b2->key, "B2") == 0 && b2->files == 2 && b2->pages == 70);
    CHECK(b2->files_archived == 1 && b2->files_faulty == 1 && b2->pages_archived == 30);
    CHECK(near(b2->percent_pages, 300.0 / 7.0));
    CHECK(strcmp(b3->key, "B3") == 0 && b3->pages == 100 && b3->pages_archived == 0);
    CHECK(near(b3->percent_pages, 0.0));
    qr_ledger_status_groups_free(&g);
}

static void test_by_batch(qr_ledger *l)
{
    qr_ledger_status_groups g;
    qr_err err = {0};
    CHECK(qr_ledger_status_groups_get(l, QR_STATUS_BY_BATCH, &g, &err) == QR_OK);
    CHECK_EQ_INT(g.n, 3);
    const qr_ledger_status_group *a = group(&g, 0), *b = group(&g, 1), *c = group(&g, 2);
    CHECK(strcmp(a->key, "1") == 0 && strcmp(a->started, "2024-02-10T10:00:00Z") == 0);
    CHECK(strcmp(a->state, "running") == 0);
    CHECK(a->files == 1 && a->files_archived == 1 && a->pages == 10 && a->pages_archived == 10);
    CHECK(b->files == 2 && b->files_archived == 1 && b->files_faulty == 1);
    CHECK(b->pages == 50 && b->pages_archived == 20);
    CHECK(c->files == 4 && c->files_archived == 2 && c->files_faulty == 2);
    CHECK(c->pages == 90 && c->pages_archived == 50);
    qr_ledger_status_groups_free(&g);
}

static void test_by_period(qr_ledger *l)
{
    qr_ledger_status_groups g;
    qr_err err = {0};
    CHECK(qr_ledger_status_groups_get(l, QR_STATUS_BY_MONTH, &g, &err) == QR_OK);
    CHECK_EQ_INT(g.n, 2);
    const qr_ledger_status_group *feb = group(&g, 0), *mar = group(&g, 1);
    CHECK(strcmp(feb->key, "2024-02") == 0 && feb->files_archived == 1);
    CHECK(feb->pages_archived == 10 && feb->pages == 10 && near(feb->percent_pages, 5.0));
    CHECK(strcmp(mar->key, "2024-03") == 0 && mar->files_archived == 2);
    CHECK(mar->pages_archived == 50 && mar->files == 3 && mar->pages == 60);
    CHECK(near(mar->percent_pages, 30.0));
    qr_ledger_status_groups_free(&g);

    CHECK(qr_ledger_status_groups_get(l, QR_STATUS_BY_DAY, &g, &err) == QR_OK);
    CHECK_EQ_INT(g.n, 3);
    const char *keys[3] = {"2024-02-10", "2024-03-15", "2024-03-19"};
    const int64_t cum[3] = {10, 30, 60};
    for (size_t i = 0; i < 3; i++) {
        const qr_ledger_status_group *d = group(&g, i);
        CHECKF(strcmp(d->key, keys[i]) == 0 && d->pages == cum[i] && d->files_archived == 1,
               "day %zu: %s %lld", i, d->key, (long long)d->pages);
        CHECK(near(d->percent_pages, (double)cum[i] / 2.0));
    }
    qr_ledger_status_groups_free(&g);
    CHECK(qr_ledger_status_by_from_name("month") == QR_STATUS_BY_MONTH);
    CHECK(qr_ledger_status_by_from_name("week") == -1);
}

static void faults_at(qr_ledger *l, int64_t blank, int64_t missing, int64_t unexpected)
{
    qr_ledger_status s;
    qr_err err = {0};
    CHECKF(qr_ledger_status_at(l, "2024-03-22", &s, &err) == QR_OK, "%s", err.msg);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_BLANK], blank);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_MISSING_PAGES], missing);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_UNEXPECTED_FILE], unexpected);
    CHECK_EQ_INT(s.files_archived, 3); /* A stays archived (version 1) */
    CHECK_EQ_INT(s.files_faulty, 1);
}

/* Run last: it adds outcomes the other figures do not expect. */
static void test_open_faults(qr_ledger *l)
{
    faults_at(l, 1, 1, 1); /* D's and X's */
    outcome(l, "A", batch(l, "2024-03-21 10:00"), 2, false, 10);
    faults_at(l, 2, 2, 1); /* A's faulty rescan blocks its version 2 */
    qr_err err = {0};
    at(l, "2024-03-21 11:00");
    CHECKF(qr_ledger_accept_add(l, "A", 2, QR_FAULT_BLANK, "a divider", "ana", NULL, &err) ==
           QR_OK, "%s", err.msg);
    faults_at(l, 1, 2, 1);
    CHECKF(qr_ledger_accept_add(l, "D", 0, QR_FAULT_BLANK, "back sides", "ana", NULL, &err) ==
           QR_OK, "%s", err.msg);
    CHECKF(qr_ledger_accept_add(l, "D", 0, QR_FAULT_MISSING_PAGES, "one sheet was never there",
                                "ana", NULL, &err) == QR_OK, "%s", err.msg);
    faults_at(l, 0, 1, 1);
}

/* Empty ledger: zeros and no dates; all archived: projected = the last day. */
static void test_edges(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECK(qr_ledger_open(":memory:", &l, &err) == QR_OK);
    if (!l)
        return;
    qr_ledger_status s;
    CHECK(qr_ledger_status_at(l, "2024-05-01", &s, &err) == QR_OK);
    CHECK(s.files_inventory == 0 && s.percent_pages == 0.0 && !s.projected[0]);
    CHECK(!s.has_plan && !s.plan_end[0] && !s.rescan_oldest[0] && s.rescan_open == 0);
    const char *t = "file_id,expected_pages\nA,4\n";
    qr_manifest *m = NULL;
    qr_ledger_upsert_result r;
    CHECK(qr_manifest_parse("t.csv", (const uint8_t *)t, strlen(t), 0, &m, &err) == QR_OK);
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_STOCK, 0, true, &r, &err) == QR_OK);
    qr_ledger_upsert_result_free(&r);
    qr_manifest_free(&m);
    outcome(l, "A", batch(l, "2024-04-02 15:00"), 1, true, 4);
    CHECK(qr_ledger_status_at(l, "2024-05-01", &s, &err) == QR_OK);
    CHECK(near(s.percent_pages, 100.0) && s.pages_pending == 0);
    CHECKF(strcmp(s.projected, "2024-04-02") == 0, "projected %s", s.projected);
    qr_ledger_close(&l);
}

int main(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return qr_test_end();
    fixture(l);
    test_figures(l);
    test_windows(l);
    test_by_box(l);
    test_by_batch(l);
    test_by_period(l);
    test_open_faults(l);
    qr_ledger_close(&l);
    test_edges();
    return qr_test_end();
}
