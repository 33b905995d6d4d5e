/* Unit tests for the ledger: migrations and reopen, inventory upsert with
 * conflicts, commit + lookup, versions, rollback of a failed commit, status. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define FP_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define FP_2 "2222222222222222222222222222222222222222222222222222222222222222"

static qr_manifest *manifest(const char *text)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    int rc = qr_manifest_parse("t.csv", (const uint8_t *)text, strlen(text), 0, &m, &err);
    CHECKF(rc == QR_OK, "%s", err.msg);
    return m;
}

static int64_t begin(qr_ledger *l)
{
    int64_t b = 0;
    qr_err err = {0};
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d", .options = "{}"};
    CHECKF(qr_ledger_batch_begin(l, &bi, &b, &err) == QR_OK, "%s", err.msg);
    return b;
}

static qr_ledger_page page(int n)
{
    return (qr_ledger_page){.page = n, .source = "src", .format = "tiff-g4", .width = 100,
                            .height = 200, .dpi = 300};
}

static int commit(qr_ledger *l, int64_t b, const char *id, int version, bool archived,
                  const char *fp, int n_pages, qr_err *err)
{
    qr_ledger_page pages[4] = {page(1), page(2), page(3), page(4)};
    qr_ledger_outcome o = {.file_id = id, .batch = b, .version = version, .archived = archived,
                           .archive_path = archived ? "arch.pdf" : NULL,
                           .archive_sha256 = archived ? SHA_A : NULL,
                           .source_fingerprint = fp, .delivered_pages = n_pages,
                           .pages = pages, .n_pages = (size_t)n_pages};
    return qr_ledger_commit_file(l, &o, err);
}

static void test_migrate_reopen(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(path, &l, &err) == QR_OK, "%s", err.msg);
    CHECK_EQ_INT(qr_ledger_schema_version(l), QR_LEDGER_SCHEMA_VERSION);
    int64_t b = begin(l);
    CHECK(b == 1);
    CHECK(commit(l, b, "F1", 1, true, FP_1, 2, &err) == QR_OK);
    qr_ledger_close(&l);
    CHECK(l == NULL);
    for (int i = 0; i < 2; i++) { /* re-open is idempotent and keeps the data */
        CHECKF(qr_ledger_open(path, &l, &err) == QR_OK, "%s", err.msg);
        CHECK_EQ_INT(qr_ledger_schema_version(l), QR_LEDGER_SCHEMA_VERSION);
        qr_ledger_file_state st;
        CHECK(qr_ledger_lookup(l, "F1", &st, &err) == QR_OK);
        CHECK(st.status == QR_LEDGER_ARCHIVED && st.version == 1 && st.next_version == 2);
        int64_t n = 0;
        CHECK(qr_ledger_verify_events(l, &n, NULL, &err) == QR_OK && n == 2);
        qr_ledger_close(&l);
    }
}

static void test_inventory(qr_ledger *l)
{
    qr_err err = {0};
    qr_manifest *m1 = manifest("file_id,box,expected_pages\nA,B1,2\nB,B1,3\n");
    qr_ledger_upsert_result r;
    CHECK(qr_ledger_inventory_upsert(l, m1, QR_LEDGER_SRC_MANIFEST, 0, false, &r, &err) == QR_OK);
    CHECK(r.added == 2 && r.n_conflicts == 0);
    qr_ledger_upsert_result_free(&r);
    CHECK(qr_ledger_inventory_upsert(l, m1, QR_LEDGER_SRC_MANIFEST, 0, false, &r, &err) == QR_OK);
    CHECK(r.added == 0 && r.unchanged == 2 && r.n_conflicts == 0); /* idempotent */
    qr_ledger_upsert_result_free(&r);

    qr_manifest *m2 = manifest("file_id,box,expected_pages\nA,B9,2\nB,B1,4\nC,B2,1\n");
    CHECK(qr_ledger_inventory_upsert(l, m2, QR_LEDGER_SRC_MANIFEST, 0, true, &r, &err) == QR_OK);
    CHECK_EQ_INT(r.n_conflicts, 2);
    CHECK(r.added == 0); /* all or nothing: C was not added */
    if (r.n_conflicts == 2) {
        CHECK(strcmp(r.conflicts[0].file_id, "A") == 0 && strcmp(r.conflicts[0].field, "box") == 0);
        CHECK(strcmp(r.conflicts[0].ledger_value, "B1") == 0 &&
              strcmp(r.conflicts[0].manifest_value, "B9") == 0 && r.conflicts[0].line == 2);
        CHECK(strcmp(r.conflicts[1].field, "expected_pages") == 0 &&
              strcmp(r.conflicts[1].ledger_value, "3") == 0 &&
              strcmp(r.conflicts[1].manifest_value, "4") == 0);
    }
    qr_ledger_upsert_result_free(&r);
    qr_ledger_status s;
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK && s.files_inventory == 2);
    /* Without all_or_nothing the new file is added, the conflicts kept out. */
    CHECK(qr_ledger_inventory_upsert(l, m2, QR_LEDGER_SRC_MANIFEST, 0, false, &r, &err) == QR_OK);
    CHECK(r.added == 1 && r.n_conflicts == 2);
    qr_ledger_upsert_result_free(&r);
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK);
    CHECK(s.files_inventory == 3 && s.pages_inventory == 6); /* B kept 3 pages */
    qr_manifest_free(&m1);
    qr_manifest_free(&m2);
}

static void test_stock_fill(qr_ledger *l)
{
    qr_err err = {0};
    qr_manifest *st = NULL;
    const char *t = "file_id,box\nS,\n";
    CHECK(qr_manifest_parse("s.csv", (const uint8_t *)t, strlen(t), QR_MANIFEST_STOCK, &st,
                            &err) == QR_OK);
    qr_ledger_upsert_result r;
    CHECK(qr_ledger_inventory_upsert(l, st, QR_LEDGER_SRC_STOCK, 0, false, &r, &err) == QR_OK);
    CHECK(r.added == 1);
    qr_manifest *m = manifest("file_id,box,expected_pages\nS,B7,5\n");
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_MANIFEST, 0, false, &r, &err) == QR_OK);
    CHECK(r.filled == 1 && r.n_conflicts == 0);
    qr_ledger_status s;
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK && s.pages_inventory == 11);
    qr_manifest_free(&st);
    qr_manifest_free(&m);
}

static void test_versions(qr_ledger *l, int64_t b1, int64_t b2)
{
    qr_err err = {0};
    qr_ledger_file_state st;
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK);
    CHECK(st.in_inventory && st.status == QR_LEDGER_PENDING && st.next_version == 1);
    CHECK(qr_ledger_lookup(l, "nobody", &st, &err) == QR_OK && !st.in_inventory);

    /* B faulty first, then archived from new sources: both are version 1. */
    CHECK(commit(l, b1, "B", 1, false, FP_1, 2, &err) == QR_OK);
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK);
    CHECK(st.status == QR_LEDGER_FAULTY && st.version == 0 && st.next_version == 1);
    CHECK(strcmp(st.source_fingerprint, FP_1) == 0 && st.batch == b1);
    CHECK(commit(l, b2, "B", 1, true, FP_2, 3, &err) == QR_OK);
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK);
    CHECK(st.status == QR_LEDGER_ARCHIVED && st.version == 1 && st.next_version == 2);
    CHECK(strcmp(st.archive_sha256, SHA_A) == 0 && strcmp(st.archive_path, "arch.pdf") == 0);

    /* A commit of a version that is not next is refused (no double archive). */
    CHECK_EQ_INT(commit(l, b2, "B", 1, true, FP_2, 3, &err), QR_EINVAL);
    CHECK(strstr(err.msg, "not the next version") != NULL);

    /* A faulty rescan of an archived file keeps the archive current. */
    CHECK(commit(l, b2, "B", 2, false, FP_1, 3, &err) == QR_OK);
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK);
    CHECK(st.status == QR_LEDGER_ARCHIVED && st.version == 1 && st.next_version == 2);
    CHECK(st.last_status == QR_LEDGER_FAULTY && strcmp(st.last_fingerprint, FP_1) == 0);
    CHECK(commit(l, b2, "B", 2, true, FP_2, 3, &err) == QR_OK);
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK);
    CHECK(st.version == 2 && st.next_version == 3 && st.last_status == QR_LEDGER_ARCHIVED);
}

static void test_rollback(qr_ledger *l, int64_t b)
{
    qr_err err = {0};
    int64_t before = 0, after = 0;
    CHECK(qr_ledger_verify_events(l, &before, NULL, &err) == QR_OK);
    /* Page 1 twice: the second page insert violates the primary key after the
     * file row and the first page were written. */
    qr_ledger_page pages[2] = {page(1), page(1)};
    qr_fault f = {.kind = QR_FAULT_BLANK, .page = 1, .value = 1, .threshold = 0.5};
    qr_ledger_outcome o = {.file_id = "A", .batch = b, .version = 1, .archived = true,
                           .archive_path = "a.pdf", .archive_sha256 = SHA_B,
                           .source_fingerprint = FP_1, .delivered_pages = 2, .pages = pages,
                           .n_pages = 2, .faults = &f, .n_faults = 1};
    CHECK_EQ_INT(qr_ledger_commit_file(l, &o, &err), QR_EINVAL);
    CHECK(strstr(err.msg, "recording a page") != NULL);
    qr_ledger_file_state st;
    CHECK(qr_ledger_lookup(l, "A", &st, &err) == QR_OK);
    CHECK(st.status == QR_LEDGER_PENDING && st.next_version == 1 && st.last_status == QR_LEDGER_PENDING);
    CHECK(qr_ledger_verify_events(l, &after, NULL, &err) == QR_OK && after == before);
    qr_ledger_status s;
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK && s.faults_by_kind[QR_FAULT_BLANK] == 0);
    /* Same in a batched transaction: only the failing file is rolled back. */
    CHECK(qr_ledger_tx_begin(l, &err) == QR_OK);
    CHECK(qr_ledger_commit_file(l, &o, &err) == QR_EINVAL);
    CHECK(commit(l, b, "C", 1, true, FP_1, 1, &err) == QR_OK);
    CHECK(qr_ledger_tx_end(l, true, &err) == QR_OK);
    CHECK(qr_ledger_lookup(l, "A", &st, &err) == QR_OK && st.status == QR_LEDGER_PENDING);
    CHECK(qr_ledger_lookup(l, "C", &st, &err) == QR_OK && st.status == QR_LEDGER_ARCHIVED);
    /* An archived outcome without a SHA-256 is refused before touching the db. */
    o.archive_sha256 = "xyz";
    CHECK_EQ_INT(qr_ledger_commit_file(l, &o, &err), QR_EINVAL);
}

static void test_status(qr_ledger *l, int64_t b)
{
    qr_err err = {0};
    qr_fault f = {.kind = QR_FAULT_UNEXPECTED_FILE, .page = 0};
    qr_ledger_outcome o = {.file_id = "X", .batch = b, .version = 1,
                           .source_fingerprint = FP_1, .delivered_pages = 1, .faults = &f,
                           .n_faults = 1};
    CHECK(qr_ledger_commit_file(l, &o, &err) == QR_OK);
    qr_ledger_status s;
    CHECK(qr_ledger_status_get(l, &s, &err) == QR_OK);
    /* Inventory: A(2, pending) B(3, archived v2) C(1, archived) S(5, pending). */
    CHECK_EQ_INT(s.files_inventory, 4);
    CHECK_EQ_INT(s.pages_inventory, 11);
    CHECK_EQ_INT(s.files_archived, 2);
    CHECK_EQ_INT(s.files_faulty, 0);
    CHECK_EQ_INT(s.files_pending, 2);
    CHECK_EQ_INT(s.pages_archived, 4);
    CHECK_EQ_INT(s.pages_delivered_archived, 4);
    CHECK_EQ_INT(s.files_unexpected, 1);
    CHECK(fabs(s.percent_files - 50.0) < 1e-9);
    CHECK(fabs(s.percent_pages - 100.0 * 4 / 11) < 1e-9);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_UNEXPECTED_FILE], 1);
    CHECK_EQ_INT(s.faults_by_kind[QR_FAULT_MISSING_PAGES], 0);
}

int main(void)
{
    char dir[512];
    qr_test_tmpdir("test_ledger_commit", dir, sizeof dir);
    test_migrate_reopen(dir);

    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return qr_test_end();
    qr_ledger_set_time(l, 1700000000);
    test_inventory(l);
    test_stock_fill(l);
    int64_t b1 = begin(l), b2 = begin(l);
    test_versions(l, b1, b2);
    test_rollback(l, b2);
    test_status(l, b2);
    qr_ledger_batch_counts c = {.files_archived = 1};
    CHECK(qr_ledger_batch_end(l, b2, "done", &c, &err) == QR_OK);
    CHECK(qr_ledger_batch_end(l, 99, "done", &c, &err) == QR_EINVAL);
    CHECK(qr_ledger_verify_events(l, NULL, NULL, &err) == QR_OK);
    qr_ledger_close(&l);
    return qr_test_end();
}
