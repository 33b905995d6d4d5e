/* Unit tests for the file verdict rules: page count faults with their
 * measured value and threshold, blocking kinds, and reviewer accepts. */
#include <string.h>

#include "qr_manifest.h"
#include "qr_test.h"

static qr_fault fault(qr_fault_kind k, int page)
{
    qr_fault f;
    memset(&f, 0, sizeof f);
    f.kind = k;
    f.page = page;
    return f;
}

static void test_counts(void)
{
    qr_file_verdict v;
    qr_manifest_file_verdict(5, 5, NULL, 0, NULL, &v);
    CHECK(!v.faulty && !v.has_count_fault && v.n_blocking == 0);
    qr_manifest_file_verdict(5, 3, NULL, 0, NULL, &v);
    CHECK(v.faulty && v.has_count_fault && v.count_fault.kind == QR_FAULT_MISSING_PAGES);
    CHECK(v.count_fault.value == 3.0 && v.count_fault.threshold == 5.0 && v.count_fault.page == 0);
    CHECK(strcmp(v.count_fault.detail, "3 pages delivered, manifest expects 5") == 0);
    qr_manifest_file_verdict(2, 3, NULL, 0, NULL, &v);
    CHECK(v.faulty && v.count_fault.kind == QR_FAULT_EXTRA_PAGES && v.n_blocking == 1);
    CHECK(v.count_fault.value == 3.0 && v.count_fault.threshold == 2.0);
    qr_manifest_file_verdict(0, 7, NULL, 0, NULL, &v); /* count unknown */
    CHECK(!v.faulty && !v.has_count_fault);
}

static void test_page_faults(void)
{
    qr_fault f[2] = {fault(QR_FAULT_CORRUPT, 2), fault(QR_FAULT_BLANK, 4)};
    qr_file_verdict v;
    qr_manifest_file_verdict(4, 4, f, 2, NULL, &v);
    CHECK(v.faulty && v.n_blocking == 2 && v.n_accepted == 0);

    qr_manifest_accept acc[] = {{QR_FAULT_BLANK, 4}, {QR_FAULT_CORRUPT, 3}};
    qr_manifest_rules r = {.accepts = acc, .n_accepts = 2};
    qr_manifest_file_verdict(4, 4, f, 2, &r, &v);
    CHECK(v.faulty && v.n_blocking == 1 && v.n_accepted == 1); /* corrupt is on page 2 */

    acc[1].page = 0; /* any page */
    qr_manifest_file_verdict(4, 4, f, 2, &r, &v);
    CHECK(!v.faulty && v.n_blocking == 0 && v.n_accepted == 2);

    qr_manifest_rules nb = {.nonblocking = 1u << QR_FAULT_BLANK};
    qr_manifest_file_verdict(4, 4, &f[1], 1, &nb, &v);
    CHECK(!v.faulty && v.n_blocking == 0);
    CHECK(!qr_manifest_fault_blocks(&f[1], &nb) && qr_manifest_fault_blocks(&f[0], &nb));
}

static void test_accepted_count(void)
{
    qr_manifest_accept acc = {QR_FAULT_MISSING_PAGES, 0};
    qr_manifest_rules r = {.accepts = &acc, .n_accepts = 1};
    qr_file_verdict v;
    qr_manifest_file_verdict(6, 5, NULL, 0, &r, &v);
    CHECK(!v.faulty && v.has_count_fault && v.n_accepted == 1);
    qr_manifest_file_verdict(6, 7, NULL, 0, &r, &v); /* extra is not what was accepted */
    CHECK(v.faulty && v.count_fault.kind == QR_FAULT_EXTRA_PAGES);
}

int main(void)
{
    test_counts();
    test_page_faults();
    test_accepted_count();
    return qr_test_end();
}
