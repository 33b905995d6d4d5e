/*
 * fuzz_manifest: the CSV parser behind the delivery manifest (ingest), the
 * stock list (inventory import: QR_MANIFEST_STOCK) and plain tables (plan
 * import: QR_MANIFEST_TABLE). Every input is parsed three times, once per
 * mode, since the three share the line splitting, the UTF-8 check and libcsv
 * but differ in what a row must hold.
 *
 * The checks are the promises of qr_manifest.h an operator relies on: a
 * result to print even for a broken file, QR_OK exactly when no error was
 * counted, errors sorted by line and capped, rows that hold only strings (no
 * NULL), ids that qr_manifest_find finds again and that name a folder safely,
 * and page counts in range. The input is the CSV's bytes, unchanged.
 */
#include <string.h>

#include "fuzz.h"
#include "qr_manifest.h"

static void check_errors(const qr_manifest *m, int rc)
{
    size_t n = qr_manifest_error_count(m), total = qr_manifest_error_total(m);
    FUZZ_ASSERT(n <= QR_MANIFEST_MAX_ERRORS && n <= total);
    FUZZ_ASSERT((rc == QR_OK) == (total == 0));
    int prev = 0;
    for (size_t i = 0; i < n; i++) {
        const char *msg = qr_manifest_error_at(m, i);
        int line = qr_manifest_error_line(m, i);
        FUZZ_ASSERT(msg && strncmp(msg, "fuzz.csv:", 9) == 0);
        FUZZ_ASSERT(line >= 1 && line >= prev);
        prev = line;
    }
}

static void check_id(const char *id)
{
    FUZZ_ASSERT(id[0] != '\0' && strcmp(id, ".") != 0 && strcmp(id, "..") != 0);
    FUZZ_ASSERT(!strchr(id, '/') && !strchr(id, '\\'));
    size_t n = strlen(id);
    FUZZ_ASSERT(id[0] != '.' && id[0] != ' ' && id[n - 1] != ' ');
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        FUZZ_ASSERT(*p >= 0x20 && *p != 0x7f);
}

static void check_row(const qr_manifest *m, const qr_manifest_row *r, unsigned flags)
{
    FUZZ_ASSERT(r->file_id && r->box && r->title && r->line >= 1);
    FUZZ_ASSERT(r->n_meta == 0 || r->meta);
    for (size_t k = 0; k < r->n_meta; k++)
        FUZZ_ASSERT(r->meta[k].key && r->meta[k].value);
    FUZZ_ASSERT(r->expected_pages >= 0 && r->expected_pages <= QR_MANIFEST_MAX_PAGES);
    if (flags & QR_MANIFEST_TABLE) {
        FUZZ_ASSERT(r->file_id[0] == '\0' && r->expected_pages == 0);
        return;
    }
    FUZZ_ASSERT(r->expected_pages >= 1 || (flags & QR_MANIFEST_STOCK));
    check_id(r->file_id);
    FUZZ_ASSERT(qr_manifest_find(m, r->file_id) == r);
    char name[512];
    FUZZ_ASSERT(qr_manifest_archive_name(r->file_id, 2, name, sizeof name) > 0);
    FUZZ_ASSERT(!strchr(name, '/'));
}

static void parse_as(const uint8_t *data, size_t size, unsigned flags)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    int rc = qr_manifest_parse("fuzz.csv", data, size, flags, &m, &err);
    FUZZ_ASSERT(rc == QR_OK || rc == QR_ECORRUPT || rc == QR_ENOMEM);
    if (!m)
        return;
    check_errors(m, rc);
    int64_t pages = 0;
    size_t n = qr_manifest_count(m);
    for (size_t i = 0; i < n; i++) {
        const qr_manifest_row *r = qr_manifest_row_at(m, i);
        FUZZ_ASSERT(r != NULL);
        check_row(m, r, flags);
        pages += r->expected_pages;
    }
    FUZZ_ASSERT(qr_manifest_row_at(m, n) == NULL);
    FUZZ_ASSERT(qr_manifest_total_pages(m) == pages);
    qr_manifest_free(&m);
    FUZZ_ASSERT(m == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_as(data, size, 0);
    parse_as(data, size, QR_MANIFEST_STOCK);
    parse_as(data, size, QR_MANIFEST_TABLE);
    return 0;
}
