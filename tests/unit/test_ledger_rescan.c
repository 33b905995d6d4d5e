/*
 * Rescan jobs in the ledger: page lists (parse, canonical form, bounds), a
 * person's submit (validation, a file that was delivered and is in the
 * inventory, one live job per file), jobs opened by a
 * faulty outcome with the measured values, widened by a second fault,
 * delivered -> closed by an archived outcome, delivered -> open again by a
 * faulty one, kept open when a rescan left listed pages out, and the events
 * each change writes; a reviewer's accept takes the pages it cleared off the
 * job ingest opened (rescan_narrowed_by_accept; a whole-file job stays
 * whole) and closes it when no open fault is left (rescan_closed_by_accept),
 * but never touches a job a person submitted, which only an archive after a
 * delivery closes. Also the prior pages a partial rescan reads back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define FP_2 "2222222222222222222222222222222222222222222222222222222222222222"

static qr_ledger *setup(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    qr_ledger_set_time(l, 1700000000);
    const char *csv = "file_id,box,expected_pages\nA,B1,4\nB,B1,3\nC,B2,2\nD,B2,4\nE,B3,3\nG,B3,2\n";
    qr_manifest *m = NULL;
    CHECK(qr_manifest_parse("t.csv", (const uint8_t *)csv, strlen(csv), 0, &m, &err) == QR_OK);
    qr_ledger_upsert_result res = {0};
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_MANIFEST, 0, false, &res, &err) == QR_OK);
    qr_ledger_upsert_result_free(&res);
    qr_manifest_free(&m);
    return l;
}

static int64_t begin(qr_ledger *l)
{
    int64_t b = 0;
    qr_ledger_batch_info bi = {.host = "h", .user = "op", .delivery = "/d", .options = "{}"};
    CHECK(qr_ledger_batch_begin(l, &bi, &b, NULL) == QR_OK);
    return b;
}

static void test_pages(void)
{
    int *v = NULL;
    size_t n = 0;
    char out[64];
    qr_err err = {0};
    CHECK(qr_ledger_pages_parse("9, 3-5,4", 10, &v, &n, &err) == QR_OK);
    CHECK_EQ_INT((int)n, 4);
    qr_ledger_pages_format(v, n, out, sizeof out);
    CHECK(strcmp(out, "3-5,9") == 0);
    free(v);
    CHECK(qr_ledger_pages_parse("", 10, &v, &n, &err) == QR_OK && n == 0);
    free(v);
    CHECK(qr_ledger_pages_parse("1-11", 10, &v, &n, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "beyond") != NULL, "%s", err.msg);
    CHECK(qr_ledger_pages_parse("5-3", 10, &v, &n, &err) == QR_EINVAL);
    CHECK(qr_ledger_pages_parse("0", 10, &v, &n, &err) == QR_EINVAL);
    CHECK(qr_ledger_pages_parse("2,x", 10, &v, &n, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "\"x\"") != NULL, "%s", err.msg);
    CHECK(qr_ledger_pages_parse("1-10", 10, &v, &n, &err) == QR_OK && n == 10);
    qr_ledger_pages_format(v, n, out, sizeof out);
    CHECK(strcmp(out, "1-10") == 0);
    free(v);
}

static qr_ledger_rescan_job *only_job(qr_ledger *l, const char *file, bool open_only,
                                      qr_ledger_rescan_list *jobs)
{
    qr_err err = {0};
    CHECKF(qr_ledger_rescan_jobs(l, file, open_only, jobs, &err) == QR_OK, "%s", err.msg);
    return jobs->n == 1 ? &jobs->v[0] : NULL;
}

typedef struct kind_count {
    const char *kind;
    int n;
    char last_actor[64], last_detail[512];
} kind_count;

static int on_event(void *user, const qr_ledger_event_row *ev)
{
    kind_count *k = user;
    if (strcmp(ev->kind, k->kind) == 0) {
        k->n++;
        snprintf(k->last_actor, sizeof k->last_actor, "%s", ev->actor ? ev->actor : "");
        snprintf(k->last_detail, sizeof k->last_detail, "%s", ev->detail ? ev->detail : "");
    }
    return 0;
}

/* The detail of the file's last event of that kind; "" when none. */
/* The detail of the file's last event of kind, without its "rows" member
 * (the digest of the job's row, ledger/digest.c), which must name the job
 * given. */
static void last_detail_of(qr_ledger *l, const char *file, const char *kind, long long job,
                           char *out, size_t cap)
{
    kind_count k = {.kind = kind};
    qr_err err = {0};
    CHECKF(qr_ledger_file_events(l, file, on_event, &k, &err) == QR_OK, "%s", err.msg);
    snprintf(out, cap, "%s", k.last_detail);
    char *rows = strstr(out, ",\"rows\":{"), *end = rows ? strchr(rows, '}') : NULL;
    CHECKF(rows && end, "%s event without rows: %s", kind, out);
    if (!rows || !end)
        return;
    char key[48];
    snprintf(key, sizeof key, "{\"key\":%lld,\"rescan_jobs\":\"", job);
    CHECKF(strncmp(rows + 8, key, strlen(key)) == 0, "%s: rows of another job: %s",
           kind, rows);
    memmove(rows, end + 1, strlen(end + 1) + 1);
}


static int count_kind(qr_ledger *l, const char *file, const char *kind)
{
    kind_count k = {.kind = kind};
    qr_err err = {0};
    CHECKF(qr_ledger_file_events(l, file, on_event, &k, &err) == QR_OK, "%s", err.msg);
    return k.n;
}

static void test_submit(qr_ledger *l)
{
    qr_err err = {0};
    int64_t id = 0;
    CHECK(qr_ledger_rescan_submit(l, "NOPE", "1", "bad", "ana", &id, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "unknown file NOPE") != NULL, "%s", err.msg);
    /* A rescan needs a scan: not for a file no delivery brought, nor for one
     * outside the inventory (never archived). */
    CHECK(qr_ledger_rescan_submit(l, "C", "1", "stamp unreadable", "ana", &id, &err) ==
          QR_EINVAL);
    CHECKF(strstr(err.msg, "C has not been delivered yet") != NULL, "%s", err.msg);
    int64_t b = begin(l);
    qr_ledger_page pg[2] = {{.page = 1, .source = "C/1.tif"}, {.page = 2, .source = "C/2.tif"}};
    qr_ledger_outcome oc = {.file_id = "C", .batch = b, .version = 1, .archived = true,
                            .archive_path = "C.pdf", .archive_sha256 = SHA_A,
                            .source_fingerprint = FP_1, .delivered_pages = 2, .pages = pg,
                            .n_pages = 2};
    qr_fault fy = {.kind = QR_FAULT_UNEXPECTED_FILE, .value = 1, .detail = "Y"};
    qr_ledger_outcome oy = {.file_id = "Y", .batch = b, .version = 1, .source_fingerprint = FP_1,
                            .faults = &fy, .n_faults = 1};
    CHECKF(qr_ledger_commit_file(l, &oc, &err) == QR_OK, "%s", err.msg);
    CHECKF(qr_ledger_commit_file(l, &oy, &err) == QR_OK, "%s", err.msg);
    CHECK(qr_ledger_rescan_submit(l, "Y", "", "all of it", "ana", &id, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "Y is not in the inventory") != NULL, "%s", err.msg);
    CHECK_EQ_INT(count_kind(l, "C", "rescan_submitted") + count_kind(l, "Y", "rescan_submitted"),
                 0);
    CHECK(qr_ledger_rescan_submit(l, "C", "1", "  ", "ana", &id, &err) == QR_EINVAL);
    CHECK(qr_ledger_rescan_submit(l, "C", "3", "page 3", "ana", &id, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "beyond the file's 2 pages") != NULL, "%s", err.msg);
    CHECKF(qr_ledger_rescan_submit(l, "C", "2,1", "stamp unreadable", "ana", &id, &err) == QR_OK,
           "%s", err.msg);
    CHECK(id > 0);
    CHECK(qr_ledger_rescan_submit(l, "C", "1", "again", "bo", NULL, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "already has rescan job") != NULL, "%s", err.msg);
    qr_ledger_rescan_list jobs;
    qr_ledger_rescan_job *j = only_job(l, "C", true, &jobs);
    CHECK(j && strcmp(j->pages, "1-2") == 0 && strcmp(j->status, "open") == 0);
    CHECK(j && strcmp(j->actor, "ana") == 0 && strcmp(j->box, "B2") == 0);
    CHECK(j && j->created_batch == 0 && strcmp(j->reason, "stamp unreadable") == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "C", "rescan_submitted"), 1);
}

/* Commit A's outcome: pages 1..n from batch b unless kept from `kept_from`. */
static void commit_a(qr_ledger *l, int64_t b, int version, bool archived, const qr_fault *f,
                     size_t nf, int64_t kept_from, int fresh_page)
{
    qr_ledger_page pg[4];
    for (int i = 0; i < 4; i++)
        pg[i] = (qr_ledger_page){.page = i + 1, .source = "A/000x.tif", .source_sha256 = SHA_A,
                                 .source_path = "/d/A/000x.tif", .source_page = 1,
                                 .origin_batch = kept_from && i + 1 != fresh_page ? kept_from : 0};
    qr_ledger_outcome o = {.file_id = "A", .batch = b, .version = version, .archived = archived,
                           .archive_path = archived ? "A.pdf" : NULL,
                           .archive_sha256 = archived ? SHA_A : NULL,
                           .source_fingerprint = version == 1 ? FP_1 : FP_2,
                           .delivered_pages = 4, .pages = pg, .n_pages = 4, .faults = f,
                           .n_faults = nf};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
}

static void test_lifecycle(qr_ledger *l)
{
    qr_err err = {0};
    int64_t b1 = begin(l);
    qr_fault f1 = {.kind = QR_FAULT_BLANK, .page = 3, .value = 0.0001, .threshold = 0.0008,
                   .detail = "no content: 0.010% ink in the centre (at most 0.080%)"};
    commit_a(l, b1, 1, false, &f1, 1, 0, 0);
    qr_ledger_rescan_list jobs;
    qr_ledger_rescan_job *j = only_job(l, "A", true, &jobs);
    CHECK(j && strcmp(j->pages, "3") == 0 && strcmp(j->kinds, "blank") == 0);
    CHECK(j && j->created_batch == b1 && strcmp(j->actor, "op") == 0);
    /* the reason in the check's words, with units; the raw numbers in detail */
    CHECKF(j && !strcmp(j->reason, "ingest found blank on page 3: no content: 0.010% ink in "
                                   "the centre (at most 0.080%)"), "%s", j ? j->reason : "");
    CHECKF(j && strstr(j->detail, "\"page\":3,\"kind\":\"blank\",\"value\":0.0001"), "%s",
           j ? j->detail : "");
    qr_ledger_rescan_list_free(&jobs);

    /* A second faulty attempt widens the same job (no second job). */
    int64_t b2 = begin(l);
    CHECK(qr_ledger_rescan_mark_delivered(l, "A", b2, &err) == QR_OK);
    j = only_job(l, "A", true, &jobs);
    CHECK(j && strcmp(j->status, "delivered") == 0 && j->delivered_batch == b2);
    qr_ledger_rescan_list_free(&jobs);
    qr_fault f2 = {.kind = QR_FAULT_STREAKS, .page = 1, .value = 5, .threshold = 1,
                   .detail = "streak"};
    commit_a(l, b2, 1, false, &f2, 1, b1, 3);
    j = only_job(l, "A", false, &jobs);
    CHECK(j && strcmp(j->status, "open") == 0 && strcmp(j->pages, "1,3") == 0);
    CHECK(j && strcmp(j->kinds, "streaks") == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "A", "rescan_reopened"), 1);

    /* A rescan that delivers page 1 only: archived, but page 3 is still owed. */
    int64_t b3 = begin(l);
    CHECK(qr_ledger_rescan_mark_delivered(l, "A", b3, &err) == QR_OK);
    commit_a(l, b3, 1, true, NULL, 0, b1, 1);
    j = only_job(l, "A", true, &jobs);
    CHECK(j && strcmp(j->status, "open") == 0 && strcmp(j->pages, "3") == 0);
    qr_ledger_rescan_list_free(&jobs);

    /* Page 3 delivered: the job closes, naming the batch. */
    int64_t b4 = begin(l);
    CHECK(qr_ledger_rescan_mark_delivered(l, "A", b4, &err) == QR_OK);
    commit_a(l, b4, 2, true, NULL, 0, b1, 3);
    j = only_job(l, "A", false, &jobs);
    CHECK(j && strcmp(j->status, "closed") == 0 && j->resolved_batch == b4 && j->closed[0]);
    qr_ledger_rescan_list_free(&jobs);
    CHECK(qr_ledger_rescan_jobs(l, NULL, true, &jobs, &err) == QR_OK);
    for (size_t i = 0; i < jobs.n; i++)
        CHECK(strcmp(jobs.v[i].file_id, "A") != 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "A", "rescan_closed"), 1);
    CHECK_EQ_INT(count_kind(l, "A", "rescan_delivered"), 3);

    /* The prior pages of the current outcome, with their lineage. */
    qr_ledger_prior_pages pp;
    CHECK(qr_ledger_prior_pages_of(l, "A", &pp, &err) == QR_OK);
    CHECK_EQ_INT((int)pp.n, 4);
    CHECK_EQ_INT(pp.version, 2);
    CHECK(pp.n == 4 && pp.v[2].origin_batch == b4 && pp.v[0].origin_batch == b1);
    CHECK(pp.n == 4 && strcmp(pp.v[0].source_path, "/d/A/000x.tif") == 0 &&
          !pp.v[0].source_member && strcmp(pp.v[0].source_sha256, SHA_A) == 0);
    qr_ledger_prior_pages_free(&pp);

    int64_t n = 0;
    CHECKF(qr_ledger_verify_events(l, &n, NULL, &err) == QR_OK, "%s", err.msg);
}

/* An unexpected file, or faults all accepted, opens no job. */
static void test_no_job(qr_ledger *l)
{
    int64_t b = begin(l);
    qr_fault fx = {.kind = QR_FAULT_UNEXPECTED_FILE, .value = 1, .detail = "X"};
    qr_ledger_outcome ox = {.file_id = "X", .batch = b, .version = 1, .source_fingerprint = FP_1,
                            .faults = &fx, .n_faults = 1};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &ox, &err) == QR_OK, "%s", err.msg);
    qr_fault fb = {.kind = QR_FAULT_BLANK, .page = 2, .value = 0, .threshold = 0.0008};
    bool acc[1] = {true};
    qr_ledger_page pg = {.page = 1, .source = "B/1.tif"};
    qr_ledger_outcome ob = {.file_id = "B", .batch = b, .version = 1, .source_fingerprint = FP_1,
                            .pages = &pg, .n_pages = 1, .faults = &fb, .n_faults = 1,
                            .fault_accepted = acc};
    CHECKF(qr_ledger_commit_file(l, &ob, &err) == QR_OK, "%s", err.msg);
    qr_ledger_rescan_list jobs;
    CHECK(qr_ledger_rescan_jobs(l, "X", false, &jobs, &err) == QR_OK && jobs.n == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK(qr_ledger_rescan_jobs(l, "B", false, &jobs, &err) == QR_OK && jobs.n == 0);
    qr_ledger_rescan_list_free(&jobs);
}

/* A doubled sheet shifts the later page numbers: its job asks for the whole file. */
static void test_whole_file(qr_ledger *l)
{
    int64_t b = begin(l);
    qr_fault f[2] = {{.kind = QR_FAULT_BLANK, .page = 1, .value = 0, .threshold = 0.0008},
                     {.kind = QR_FAULT_DUPLICATE, .page = 3, .value = 0.97, .threshold = 0.72}};
    qr_ledger_page pg = {.page = 1, .source = "D/1.tif"};
    qr_ledger_outcome o = {.file_id = "D", .batch = b, .version = 1, .source_fingerprint = FP_1,
                           .pages = &pg, .n_pages = 1, .faults = f, .n_faults = 2};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
    qr_ledger_rescan_list jobs;
    qr_ledger_rescan_job *j = only_job(l, "D", true, &jobs);
    CHECK(j && strcmp(j->pages, "") == 0 && strcmp(j->kinds, "blank,duplicate") == 0);
    qr_ledger_rescan_list_free(&jobs);
    /* Accepting the blank page leaves it whole: the sheets are still shifted. */
    CHECKF(qr_ledger_accept_add(l, "D", 1, QR_FAULT_BLANK, "a divider", "ana", NULL, &err) ==
           QR_OK, "%s", err.msg);
    j = only_job(l, "D", true, &jobs);
    CHECK(j && strcmp(j->pages, "") == 0 && strcmp(j->status, "open") == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "D", "rescan_narrowed_by_accept"), 0);
}

/* One outcome of a 3-page file; archived outcomes record their faults accepted. */
static void commit_file(qr_ledger *l, const char *id, int64_t b, int version, bool archived,
                        const qr_fault *f, size_t nf)
{
    qr_ledger_page pg[3];
    for (int i = 0; i < 3; i++)
        pg[i] = (qr_ledger_page){.page = i + 1, .source = "x.tif", .source_sha256 = SHA_A};
    bool acc[4] = {true, true, true, true};
    qr_ledger_outcome o = {.file_id = id, .batch = b, .version = version, .archived = archived,
                           .archive_path = archived ? "x.pdf" : NULL,
                           .archive_sha256 = archived ? SHA_A : NULL,
                           .source_fingerprint = FP_1, .delivered_pages = 3, .pages = pg,
                           .n_pages = 3, .faults = f, .n_faults = nf,
                           .fault_accepted = archived ? acc : NULL};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s v%d: %s", id, version, err.msg);
}

/* Ingest's job loses the pages whose faults a reviewer accepted, and closes
 * when the file's last open fault is accepted, in the accept's transaction,
 * each with its own event naming the accept. */
static void test_closed_by_accept(qr_ledger *l)
{
    qr_err err = {0};
    int64_t b = begin(l);
    qr_fault f[2] = {{.kind = QR_FAULT_BLANK, .page = 1, .value = 0, .threshold = 0.0008},
                     {.kind = QR_FAULT_SKEW, .page = 3, .value = 12, .threshold = 10}};
    commit_file(l, "E", b, 1, false, f, 2);
    qr_ledger_rescan_list jobs;
    qr_ledger_rescan_job *j = only_job(l, "E", true, &jobs);
    int64_t job = j ? j->id : 0;
    CHECK(j && strcmp(j->pages, "1,3") == 0 && j->created_batch == b);
    qr_ledger_rescan_list_free(&jobs);

    int64_t a1 = 0, a2 = 0;
    CHECKF(qr_ledger_accept_add(l, "E", 1, QR_FAULT_BLANK, "a divider", "ana", &a1, &err) ==
           QR_OK, "%s", err.msg);
    /* skew on page 3 is still open: the job stays, without page 1 */
    j = only_job(l, "E", true, &jobs);
    CHECK(j && j->id == job && strcmp(j->status, "open") == 0);
    CHECKF(j && strcmp(j->pages, "3") == 0 && strcmp(j->kinds, "skew") == 0, "%s %s",
           j ? j->pages : "", j ? j->kinds : "");
    CHECKF(j && strcmp(j->detail, "[{\"page\":3,\"kind\":\"skew\",\"value\":12,"
                       "\"threshold\":10}]") == 0, "%s", j ? j->detail : "");
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "E", "rescan_closed_by_accept"), 0);
    char detail[512], want[128];
    last_detail_of(l, "E", "rescan_narrowed_by_accept", (long long)job, detail, sizeof detail);
    snprintf(want, sizeof want, "{\"job\":%lld,\"pages\":\"3\",\"dropped\":\"1\","
             "\"accept\":%lld}", (long long)job, (long long)a1);
    CHECKF(strcmp(detail, want) == 0, "%s, want %s", detail, want);

    CHECKF(qr_ledger_accept_add(l, "E", 3, QR_FAULT_SKEW, "a slanted insert", "bo", &a2, &err) ==
           QR_OK, "%s", err.msg);
    CHECK(qr_ledger_rescan_jobs(l, "E", true, &jobs, &err) == QR_OK && jobs.n == 0);
    qr_ledger_rescan_list_free(&jobs);
    j = only_job(l, "E", false, &jobs);
    CHECK(j && j->id == job && strcmp(j->status, "closed") == 0);
    CHECK(j && strcmp(j->closed, "2023-11-14T22:13:20Z") == 0 && j->resolved_batch == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "E", "rescan_closed_by_accept"), 1);
    last_detail_of(l, "E", "rescan_closed_by_accept", (long long)job, detail, sizeof detail);
    snprintf(want, sizeof want, "{\"job\":%lld,\"pages\":\"3\",\"accept\":%lld}",
             (long long)job, (long long)a2);
    CHECKF(strcmp(detail, want) == 0, "%s, want %s", detail, want);

    /* The rerun the accepts call for archives E: nothing is left to close. */
    int64_t b2 = begin(l);
    commit_file(l, "E", b2, 1, true, f, 2);
    CHECK_EQ_INT(count_kind(l, "E", "rescan_closed"), 0);
    int64_t n = 0;
    CHECKF(qr_ledger_verify_events(l, &n, NULL, &err) == QR_OK, "%s", err.msg);
}

/*
 * A person's job answers a problem no fault recorded: an accept does not
 * close it, nor does an archive made again from the same scans (no delivery
 * was marked for it); an archive after a delivery came for it does.
 */
static void test_person_job(qr_ledger *l)
{
    qr_err err = {0};
    commit_file(l, "G", begin(l), 1, true, NULL, 0);
    int64_t job = 0;
    CHECKF(qr_ledger_rescan_submit(l, "G", "2", "stamp illegible", "mk", &job, &err) == QR_OK,
           "%s", err.msg);
    commit_file(l, "G", begin(l), 2, true, NULL, 0); /* its archive written anew */
    qr_ledger_rescan_list jobs;
    qr_ledger_rescan_job *j = only_job(l, "G", true, &jobs);
    CHECK(j && j->id == job && strcmp(j->status, "open") == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "G", "rescan_closed"), 0);

    /* The rescan comes, is faulty (blank page 2), and a reviewer accepts that. */
    int64_t b3 = begin(l);
    CHECK(qr_ledger_rescan_mark_delivered(l, "G", b3, &err) == QR_OK);
    qr_fault f = {.kind = QR_FAULT_BLANK, .page = 2, .value = 0, .threshold = 0.0008};
    commit_file(l, "G", b3, 3, false, &f, 1);
    CHECKF(qr_ledger_accept_add(l, "G", 2, QR_FAULT_BLANK, "the back of a form", "ana", NULL,
                                &err) == QR_OK, "%s", err.msg);
    j = only_job(l, "G", true, &jobs);
    CHECK(j && j->id == job && strcmp(j->status, "open") == 0 && j->created_batch == 0);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "G", "rescan_closed_by_accept"), 0);

    /* The accept's rerun of that delivery archives version 3: the rescan came. */
    int64_t b4 = begin(l);
    commit_file(l, "G", b4, 3, true, &f, 1);
    j = only_job(l, "G", false, &jobs);
    CHECK(j && strcmp(j->status, "closed") == 0 && j->resolved_batch == b4);
    qr_ledger_rescan_list_free(&jobs);
    CHECK_EQ_INT(count_kind(l, "G", "rescan_closed"), 1);
}

int main(void)
{
    test_pages();
    qr_ledger *l = setup();
    test_submit(l);
    test_lifecycle(l);
    test_no_job(l);
    test_whole_file(l);
    test_closed_by_accept(l);
    test_person_job(l);
    qr_ledger_close(&l);
    return qr_test_end();
}
