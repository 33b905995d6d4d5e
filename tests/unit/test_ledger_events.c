/* Unit tests for the event log's hash chain: it verifies after appends from
 * several operations, and an edit made to the database file behind SQLite's
 * back is found at the right event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

static void append_some(const char *path)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(path, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK);              /* event 1 */
    CHECK(qr_ledger_event(l, b, "F1", "accepted", "rev", "{\"reason\":\"tamperme\"}",
                          &err) == QR_OK);                                   /* event 2 */
    CHECK(qr_ledger_event(l, 0, NULL, "note", "ops", NULL, &err) == QR_OK); /* event 3 */
    CHECK(qr_ledger_batch_end(l, b, "done", NULL, &err) == QR_OK);          /* event 4 */
    int64_t n = 0, bad = -1;
    CHECK(qr_ledger_verify_events(l, &n, &bad, &err) == QR_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(bad, 0);
    qr_ledger_close(&l); /* the last close checkpoints the WAL into the file */
}

/* Replace the only occurrence of `from` in the file by `to` (same length). */
static bool patch_file(const char *path, const char *from, const char *to)
{
    size_t len = 0;
    uint8_t *d = qr_test_read(path, &len);
    size_t n = strlen(from), hits = 0, at = 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(d + i, from, n) == 0) {
            hits++;
            at = i;
        }
    if (hits == 1) {
        memcpy(d + at, to, n);
        FILE *f = fopen(path, "wb");
        hits = f && fwrite(d, 1, len, f) == len ? 1 : 0;
        if (f)
            fclose(f);
    }
    free(d);
    return hits == 1;
}

int main(void)
{
    char dir[512], path[600];
    qr_test_tmpdir("test_ledger_events", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ledger.db", dir);
    append_some(path);
    CHECK(patch_file(path, "tamperme", "tamperm3"));

    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(path, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return qr_test_end();
    int64_t n = 0, bad = 0;
    CHECK_EQ_INT(qr_ledger_verify_events(l, &n, &bad, &err), QR_ECORRUPT);
    CHECK_EQ_INT(bad, 2);
    CHECK(strstr(err.msg, "event 2") != NULL);
    qr_ledger_close(&l);

    /* Restoring the byte restores the chain: the check is exact, not flaky. */
    CHECK(patch_file(path, "tamperm3", "tamperme"));
    CHECK(qr_ledger_open(path, &l, &err) == QR_OK);
    CHECK(l && qr_ledger_verify_events(l, &n, &bad, &err) == QR_OK && n == 4);
    qr_ledger_close(&l);
    return qr_test_end();
}
