/*
 * The manifest parser in plain-table mode (QR_MANIFEST_TABLE, used for plan
 * files): no required columns, every column kept as meta in header order,
 * rows not keyed by file_id (repeated values are no error), and the same
 * line-numbered error collection as for manifests.
 */
#include <string.h>

#include "qr_manifest.h"
#include "qr_test.h"

static qr_manifest *parse(const char *text, int want_rc)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    int rc = qr_manifest_parse("p.csv", (const uint8_t *)text, strlen(text), QR_MANIFEST_TABLE,
                               &m, &err);
    CHECKF(rc == want_rc, "rc %d (want %d): %s", rc, want_rc, err.msg);
    return m;
}

static void test_rows(void)
{
    qr_manifest *m = parse("\xEF\xBB\xBF" "date,target_percent\n2026-01-31,10\n\n"
                           "2026-01-31,\"1\n2\"\n2026-03-31,40\n", QR_OK);
    CHECK_EQ_INT(qr_manifest_count(m), 3);
    const qr_manifest_row *r = qr_manifest_row_at(m, 1);
    CHECK(r && r->n_meta == 2 && strcmp(r->meta[0].key, "date") == 0 &&
          strcmp(r->meta[0].value, "2026-01-31") == 0 &&
          strcmp(r->meta[1].key, "target_percent") == 0 && strcmp(r->meta[1].value, "1\n2") == 0);
    CHECK(r && r->line == 4 && strcmp(r->file_id, "") == 0 && r->expected_pages == 0);
    CHECK_EQ_INT(qr_manifest_row_at(m, 2)->line, 6);
    CHECK(qr_manifest_find(m, "") == NULL);
    qr_manifest_free(&m);
}

static void test_errors(void)
{
    qr_manifest *m = parse("date,target_percent\n2026-01-31\n\"x,1\n", QR_ECORRUPT);
    CHECK_EQ_INT(qr_manifest_error_total(m), 2);
    CHECK(strcmp(qr_manifest_error_at(m, 0), "p.csv:2: expected 2 fields, found 1") == 0);
    CHECK_EQ_INT(qr_manifest_error_line(m, 1), 3);
    qr_manifest_free(&m);
    m = parse("date,target_percent\n", QR_ECORRUPT);
    CHECK(strcmp(qr_manifest_error_at(m, 0), "p.csv:1: no rows below the header") == 0);
    qr_manifest_free(&m);
}

int main(void)
{
    test_rows();
    test_errors();
    return qr_test_end();
}
