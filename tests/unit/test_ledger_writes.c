/* Unit tests for archive writes in flight and dead batches (ledger/writes.c):
 * a planned write is listed to later batches only, its digest is kept, the
 * outcome's transaction closes it, a failure is an event that closes it,
 * and running batches become interrupted with one event each. */
#include <stdio.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

static qr_ledger *open_mem(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    return l;
}

/* Events in the chain (which must verify). */
static int n_events(qr_ledger *l)
{
    qr_err err = {0};
    int64_t total = 0, bad = 0;
    CHECK(qr_ledger_verify_events(l, &total, &bad, &err) == QR_OK);
    return (int)total;
}

static void test_plan_seal_done(void)
{
    qr_ledger *l = open_mem();
    if (!l)
        return;
    qr_err err = {0};
    int64_t b1 = 0, b2 = 0, w1 = 0, w2 = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b1, &err) == QR_OK);
    qr_ledger_write w = {.batch = b1, .file_id = "W", .version = 1,
                         .tmp_path = "out/.quire-tmp/b1-p1-0.part", .final_path = "out/W.pdf"};
    CHECK(qr_ledger_write_plan(l, &w, &w1, &err) == QR_OK && w1 > 0);
    w.file_id = "X";
    w.final_path = "out/X.pdf";
    CHECK(qr_ledger_write_plan(l, &w, &w2, &err) == QR_OK && w2 > w1);
    char sha[65];
    memset(sha, 'a', 64);
    sha[64] = '\0';
    CHECK(qr_ledger_write_sealed(l, w1, sha, &err) == QR_OK);
    CHECK(qr_ledger_write_sealed(l, w1, "short", &err) != QR_OK); /* the CHECK constraint */

    /* The batch itself does not see its own rows; the next one does. */
    qr_ledger_write_list list;
    CHECK(qr_ledger_writes_of_others(l, b1, &list, &err) == QR_OK && list.n == 0);
    qr_ledger_write_list_free(&list);
    CHECK(qr_ledger_batch_begin(l, NULL, &b2, &err) == QR_OK);
    CHECK(qr_ledger_writes_of_others(l, b2, &list, &err) == QR_OK);
    CHECK_EQ_INT(list.n, 2);
    if (list.n == 2) {
        CHECK(list.v[0].id == w1 && list.v[0].batch == b1 && !strcmp(list.v[0].file_id, "W"));
        CHECK(list.v[0].sha256 && !strcmp(list.v[0].sha256, sha));
        CHECK(list.v[1].sha256 == NULL && !strcmp(list.v[1].final_path, "out/X.pdf"));
    }
    qr_ledger_write_list_free(&list);

    /* A failure closes its write with an event; done closes the other. */
    CHECK(qr_ledger_archive_failed(l, b1, w2, "X", "out/X.pdf", "No space left on device",
                                   &err) == QR_OK);
    CHECK(qr_ledger_write_done(l, w1, &err) == QR_OK);
    CHECK(qr_ledger_writes_of_others(l, b2, &list, &err) == QR_OK && list.n == 0);
    qr_ledger_write_list_free(&list);
    qr_ledger_close(&l);
}

static int file_event(void *user, const qr_ledger_event_row *ev)
{
    char *seen = user;
    if (!strcmp(ev->kind, "archive_failed") && strstr(ev->detail, "No space left") &&
        strstr(ev->detail, "\"archive\":\"out/X.pdf\""))
        strcat(seen, "F");
    return 0;
}

static void test_failure_event(void)
{
    qr_ledger *l = open_mem();
    if (!l)
        return;
    qr_err err = {0};
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK);
    CHECK(qr_ledger_archive_failed(l, b, 0, "X", "out/X.pdf", "No space left on device",
                                   &err) == QR_OK);
    char seen[8] = "";
    CHECK(qr_ledger_file_events(l, "X", file_event, seen, &err) == QR_OK);
    CHECK(strcmp(seen, "F") == 0);
    /* No outcome: the file is still pending, so the next run processes it. */
    qr_ledger_file_state st;
    CHECK(qr_ledger_lookup(l, "X", &st, &err) == QR_OK && st.status == QR_LEDGER_PENDING &&
          st.last_status == QR_LEDGER_PENDING);
    bool rec = true;
    CHECK(qr_ledger_archive_recorded(l, "out/X.pdf", &rec, &err) == QR_OK && !rec);
    qr_ledger_close(&l);
}

static void test_interrupt(void)
{
    qr_ledger *l = open_mem();
    if (!l)
        return;
    qr_err err = {0};
    int64_t b1 = 0, b2 = 0, b3 = 0, n = -1;
    CHECK(qr_ledger_batch_begin(l, NULL, &b1, &err) == QR_OK);
    CHECK(qr_ledger_batch_end(l, b1, "done", NULL, &err) == QR_OK);
    CHECK(qr_ledger_batch_begin(l, NULL, &b2, &err) == QR_OK); /* killed */
    int before = n_events(l);
    CHECK(qr_ledger_batches_interrupt(l, &n, &err) == QR_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n_events(l), before + 1); /* one batch_interrupted event */
    CHECK(qr_ledger_batches_interrupt(l, &n, &err) == QR_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(qr_ledger_batch_begin(l, NULL, &b3, &err) == QR_OK);
    qr_ledger_status_groups g;
    CHECK(qr_ledger_status_groups_get(l, QR_STATUS_BY_BATCH, &g, &err) == QR_OK);
    CHECK_EQ_INT(g.n, 3);
    if (g.n == 3) {
        CHECK(strcmp(g.v[0].state, "done") == 0);
        CHECK(strcmp(g.v[1].state, "interrupted") == 0);
        CHECK(strcmp(g.v[2].state, "running") == 0);
    }
    qr_ledger_status_groups_free(&g);
    qr_ledger_close(&l);
}

int main(void)
{
    test_plan_seal_done();
    test_failure_event();
    test_interrupt();
    return qr_test_end();
}
