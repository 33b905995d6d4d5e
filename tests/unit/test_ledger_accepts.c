/*
 * Reviewer accepts in the ledger: validation (unknown file, unknown kind,
 * corrupt and unexpected_file, empty reason, bad page), the refusal of an
 * accept that matches no open fault (a page the file does not have, a kind
 * it does not have, an archived file, a file never delivered) or only faults
 * an earlier accept covers, each message naming what the file does have;
 * recording with who/when/why plus a chained event, listing per file,
 * "pending" until an outcome applies them; and the open faults list
 * (unaccepted faults of each file's latest outcome when it is faulty), which
 * an accept changes at once, also for a faulty rescan of an archived file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_1 "1111111111111111111111111111111111111111111111111111111111111111"

static qr_ledger *setup(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    qr_ledger_set_time(l, 1700000000);
    const char *csv = "file_id,box,expected_pages\nA,B1,2\nB,B1,3\nC,B2,5\n";
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
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d", .options = "{}"};
    CHECK(qr_ledger_batch_begin(l, &bi, &b, NULL) == QR_OK);
    return b;
}

/* A faulty outcome of A (a blank page 2 and a short count) and of an
 * unexpected file X; B archived with an accepted blank. */
static void commit_outcomes(qr_ledger *l, int64_t b)
{
    qr_fault fa[2] = {{.kind = QR_FAULT_BLANK, .page = 2, .value = 0.0001, .threshold = 0.0008,
                       .detail = "page 2 is blank"},
                      {.kind = QR_FAULT_MISSING_PAGES, .page = 0, .value = 1, .threshold = 2,
                       .detail = "1 page delivered, manifest expects 2"}};
    qr_ledger_page pg[2] = {{.page = 1, .source = "a1"}, {.page = 2, .source = "a2"}};
    qr_ledger_outcome oa = {.file_id = "A", .batch = b, .version = 1, .source_fingerprint = FP_1,
                            .delivered_pages = 2, .pages = pg, .n_pages = 2, .faults = fa,
                            .n_faults = 2};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &oa, &err) == QR_OK, "%s", err.msg);
    bool acc[1] = {true};
    qr_ledger_outcome ob = {.file_id = "B", .batch = b, .version = 1, .archived = true,
                            .archive_path = "B.pdf", .archive_sha256 = SHA_A,
                            .source_fingerprint = FP_1, .delivered_pages = 2, .pages = pg,
                            .n_pages = 2, .faults = fa, .n_faults = 1, .fault_accepted = acc};
    CHECKF(qr_ledger_commit_file(l, &ob, &err) == QR_OK, "%s", err.msg);
    qr_fault fx = {.kind = QR_FAULT_UNEXPECTED_FILE, .value = 1, .detail = "X not in manifest"};
    qr_ledger_outcome ox = {.file_id = "X", .batch = b, .version = 1, .source_fingerprint = FP_1,
                            .faults = &fx, .n_faults = 1};
    CHECKF(qr_ledger_commit_file(l, &ox, &err) == QR_OK, "%s", err.msg);
}

static int64_t count_events(qr_ledger *l)
{
    int64_t n = 0;
    qr_err err = {0};
    CHECKF(qr_ledger_verify_events(l, &n, NULL, &err) == QR_OK, "%s", err.msg);
    return n;
}

static int64_t accepts_of(qr_ledger *l, const char *file)
{
    qr_ledger_accept_list list;
    qr_err err = {0};
    CHECKF(qr_ledger_accepts_of(l, file, &list, &err) == QR_OK, "%s", err.msg);
    int64_t n = (int64_t)list.n;
    qr_ledger_accept_list_free(&list);
    return n;
}

static void test_validation(qr_ledger *l)
{
    qr_err err = {0};
    int64_t n0 = count_events(l);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "NOPE", 0, QR_FAULT_BLANK, "fine", "ana", NULL, &err),
                 QR_EINVAL);
    CHECKF(strstr(err.msg, "unknown file NOPE") != NULL, "%s", err.msg);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "A", 0, QR_FAULT__COUNT, "fine", "ana", NULL, &err),
                 QR_EINVAL);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "A", 0, QR_FAULT_BLANK, " \t", "ana", NULL, &err),
                 QR_EINVAL);
    CHECKF(strstr(err.msg, "reason is required") != NULL, "%s", err.msg);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "A", 0, QR_FAULT_BLANK, NULL, "ana", NULL, &err),
                 QR_EINVAL);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "A", -1, QR_FAULT_BLANK, "ok", "ana", NULL, &err),
                 QR_EINVAL);
    /* The ledger refuses what the CLI refuses: X's unexpected_file is open,
     * yet accepting it would archive a file nobody asked for. */
    CHECK_EQ_INT(qr_ledger_accept_add(l, "X", 0, QR_FAULT_UNEXPECTED_FILE, "late addition",
                                      "ana", NULL, &err), QR_EINVAL);
    CHECKF(strstr(err.msg, "unexpected_file cannot be accepted") != NULL, "%s", err.msg);
    CHECK_EQ_INT(qr_ledger_accept_add(l, "A", 1, QR_FAULT_CORRUPT, "looks fine", "ana", NULL,
                                      &err), QR_EINVAL);
    CHECKF(strstr(err.msg, "corrupt cannot be accepted") != NULL, "%s", err.msg);
    CHECK_EQ_INT(accepts_of(l, "A") + accepts_of(l, "X"), 0);
    CHECK(count_events(l) == n0); /* refused accepts leave no event */
}

/* An accept must match an open fault; the refusal says what the file has. */
static void refused(qr_ledger *l, const char *file, int page, qr_fault_kind kind,
                    const char *want)
{
    qr_err err = {0};
    int64_t n0 = count_events(l), a0 = accepts_of(l, file), id = -1;
    CHECK_EQ_INT(qr_ledger_accept_add(l, file, page, kind, "false alarm", "ana", &id, &err),
                 QR_EINVAL);
    CHECKF(strcmp(err.msg, want) == 0, "%s page %d %s:\n  got  %s\n  want %s", file, page,
           qr_fault_name(kind), err.msg, want);
    CHECK_EQ_INT(id, -1);
    CHECK_EQ_INT(accepts_of(l, file), a0);
    CHECK_EQ_INT(count_events(l), n0);
}

static void test_refused(qr_ledger *l)
{
    refused(l, "A", 99, QR_FAULT_BLANK, "A: no open 'blank' fault on page 99; the file has 2 "
            "pages; open faults: missing_pages (whole file), blank on page 2");
    refused(l, "A", 1, QR_FAULT_BLANK, "A: no open 'blank' fault on page 1; the file has 2 "
            "pages; open faults: missing_pages (whole file), blank on page 2");
    refused(l, "A", 0, QR_FAULT_SKEW, "A: no open 'skew' fault; the file has 2 pages; open "
            "faults: missing_pages (whole file), blank on page 2");
    /* A file-level fault is covered by page 0 only. */
    refused(l, "A", 2, QR_FAULT_MISSING_PAGES, "A: no open 'missing_pages' fault on page 2; "
            "the file has 2 pages; open faults: missing_pages (whole file), blank on page 2");
    refused(l, "B", 2, QR_FAULT_BLANK, "B is archived (version 1) with no open fault; "
            "nothing to accept");
    refused(l, "C", 0, QR_FAULT_BLANK, "C has not been delivered yet: it has no fault to "
            "accept");
    refused(l, "X", 0, QR_FAULT_BLANK, "X: no open 'blank' fault; the file has 0 pages; "
            "open faults: unexpected_file (whole file)");
}

typedef struct seen {
    char rows[8][200];
    int n;
} seen;

static int collect(void *user, const qr_ledger_open_fault *f)
{
    seen *s = user;
    if (s->n < 8)
        snprintf(s->rows[s->n++], 200, "%s|%d|%s|%g|%g|%s", f->file_id, f->page,
                 qr_fault_name(f->kind), f->value, f->threshold, f->detail);
    return 0;
}

static seen open_faults(qr_ledger *l)
{
    seen s = {0};
    qr_err err = {0};
    CHECKF(qr_ledger_open_faults(l, collect, &s, &err) == QR_OK, "%s", err.msg);
    return s;
}

static void test_open_faults(qr_ledger *l)
{
    seen s = open_faults(l);
    CHECK_EQ_INT(s.n, 3); /* A's two faults and X's; B is archived */
    CHECK(!strcmp(s.rows[0], "A|0|missing_pages|1|2|1 page delivered, manifest expects 2"));
    CHECK(!strcmp(s.rows[1], "A|2|blank|0.0001|0.0008|page 2 is blank"));
    CHECK(!strncmp(s.rows[2], "X|0|unexpected_file|1|", 21));
}

/* Accepts, listed per file; quire faults drops an accepted fault at once. */
static void test_add_and_list(qr_ledger *l, int64_t b)
{
    qr_err err = {0};
    int64_t n0 = count_events(l), id1 = 0, id2 = 0;
    bool pending = true;
    CHECK(qr_ledger_accepts_pending(l, "A", &pending, &err) == QR_OK && !pending);
    CHECKF(qr_ledger_accept_add(l, "A", 2, QR_FAULT_BLANK, "intentionally blank \"divider\"",
                                "ana", &id1, &err) == QR_OK, "%s", err.msg);
    seen s = open_faults(l);
    CHECK_EQ_INT(s.n, 2);
    CHECK(!strncmp(s.rows[0], "A|0|missing_pages|", 18) && !strncmp(s.rows[1], "X|0|", 4));
    setenv("USER", "not-the-actor", 1); /* the environment does not name the actor */
    CHECKF(qr_ledger_accept_add(l, "A", 0, QR_FAULT_MISSING_PAGES, "page 2 was never there",
                                NULL, &id2, &err) == QR_OK, "%s", err.msg);
    CHECK(id1 > 0 && id2 > id1);
    s = open_faults(l);
    CHECK_EQ_INT(s.n, 1);
    CHECK(!strncmp(s.rows[0], "X|0|unexpected_file|", 20));
    qr_ledger_accept_list list;
    CHECK(qr_ledger_accepts_of(l, "A", &list, &err) == QR_OK);
    CHECK_EQ_INT(list.n, 2);
    if (list.n == 2) {
        CHECK(list.v[0].id == id1 && list.v[0].page == 2 && list.v[0].kind == QR_FAULT_BLANK);
        CHECK(!strcmp(list.v[0].reason, "intentionally blank \"divider\""));
        CHECK(!strcmp(list.v[0].actor, "ana") && !strcmp(list.v[1].actor, qr_actor_default()));
        CHECK(!strcmp(list.v[0].at, "2023-11-14T22:13:20Z"));
        CHECK(list.v[1].kind == QR_FAULT_MISSING_PAGES && list.v[1].page == 0);
        CHECK(list.v[0].used_batch == 0);
    }
    qr_ledger_accept_list_free(&list);
    CHECK(list.v == NULL && list.n == 0);
    CHECK(qr_ledger_accepts_pending(l, "A", &pending, &err) == QR_OK && pending);
    /* applied up to id1 only: the later accept is still pending */
    CHECK(qr_ledger_accepts_mark_used(l, "A", id1, b, &err) == QR_OK);
    CHECK(qr_ledger_accepts_pending(l, "A", &pending, &err) == QR_OK && pending);
    CHECK(qr_ledger_accepts_mark_used(l, "A", id2, b, &err) == QR_OK);
    CHECK(qr_ledger_accepts_pending(l, "A", &pending, &err) == QR_OK && !pending);
    CHECK(qr_ledger_accepts_of(l, "A", &list, &err) == QR_OK && list.n == 2 &&
          list.v[0].used_batch == b && list.v[1].used_batch == b);
    qr_ledger_accept_list_free(&list);
    /* one chained event per accept, and the second left A with no open
     * fault, so it closed the rescan job ingest had opened for A */
    CHECK_EQ_INT(count_events(l), n0 + 3);
}

/* A second accept that covers only what an earlier one covers is refused,
 * naming the earlier accept. */
static void test_duplicate(qr_ledger *l)
{
    refused(l, "A", 2, QR_FAULT_BLANK, "A: nothing new to accept: the 'blank' fault on page 2 "
            "is already covered by accept #1 (ana, 2023-11-14T22:13:20Z)");
    refused(l, "A", 0, QR_FAULT_BLANK, "A: nothing new to accept: the 'blank' fault on page 2 "
            "is already covered by accept #1 (ana, 2023-11-14T22:13:20Z)");
    char want[256];
    snprintf(want, sizeof want, "A: nothing new to accept: the 'missing_pages' fault (whole "
             "file) is already covered by accept #2 (%s, 2023-11-14T22:13:20Z)",
             qr_actor_default());
    refused(l, "A", 0, QR_FAULT_MISSING_PAGES, want);
    refused(l, "A", 0, QR_FAULT_SKEW, "A: no open 'skew' fault; the file has 2 pages; open "
            "faults: none (all accepted: the next ingest archives it)");
}

/*
 * The ledger's rule: B stays archived (version 1) when its rescan (v2) is
 * faulty, yet the rescan's faults are open: they are what keeps version 2
 * from being written, so quire faults lists them and a reviewer can accept
 * them.
 */
static void test_faulty_rescan_of_archived(qr_ledger *l)
{
    qr_err err = {0};
    int64_t b2 = begin(l);
    qr_fault f[2] = {{.kind = QR_FAULT_SKEW, .page = 1, .value = 14, .threshold = 10,
                      .detail = "page 1 skewed"},
                     {.kind = QR_FAULT_SKEW, .page = 3, .value = 12, .threshold = 10,
                      .detail = "page 3 skewed"}};
    qr_ledger_page pg[3] = {{.page = 1, .source = "b1"}, {.page = 2, .source = "b2"},
                            {.page = 3, .source = "b3"}};
    qr_ledger_outcome o = {.file_id = "B", .batch = b2, .version = 2, .source_fingerprint = FP_1,
                           .delivered_pages = 3, .pages = pg, .n_pages = 3, .faults = f,
                           .n_faults = 2};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
    qr_ledger_file_state st;
    CHECK(qr_ledger_lookup(l, "B", &st, &err) == QR_OK && st.status == QR_LEDGER_ARCHIVED &&
          st.version == 1 && st.last_status == QR_LEDGER_FAULTY);
    seen s = open_faults(l);
    CHECK_EQ_INT(s.n, 3);
    CHECKF(!strcmp(s.rows[0], "B|1|skew|14|10|page 1 skewed"), "%s", s.rows[0]);
    CHECKF(!strcmp(s.rows[1], "B|3|skew|12|10|page 3 skewed"), "%s", s.rows[1]);
    refused(l, "B", 2, QR_FAULT_SKEW, "B: no open 'skew' fault on page 2; the file has 3 pages; "
            "open faults: skew on page 1, skew on page 3");
    int64_t id = 0;
    CHECKF(qr_ledger_accept_add(l, "B", 3, QR_FAULT_SKEW, "the page is a slanted insert", "ana",
                                &id, &err) == QR_OK, "%s", err.msg);
    s = open_faults(l);
    CHECK_EQ_INT(s.n, 2);
    CHECK(!strncmp(s.rows[0], "B|1|skew|", 9) && !strncmp(s.rows[1], "X|", 2));
    /* page 0: any page of the kind; it still covers page 1, which is open */
    CHECKF(qr_ledger_accept_add(l, "B", 0, QR_FAULT_SKEW, "every sheet is an insert", "ana",
                                &id, &err) == QR_OK, "%s", err.msg);
    s = open_faults(l);
    CHECK_EQ_INT(s.n, 1);
}

int main(void)
{
    qr_ledger *l = setup();
    int64_t b = begin(l);
    commit_outcomes(l, b);
    test_validation(l);
    test_open_faults(l);
    test_refused(l);
    test_add_and_list(l, b);
    test_duplicate(l);
    test_faulty_rescan_of_archived(l);
    qr_ledger_close(&l);
    return qr_test_end();
}
