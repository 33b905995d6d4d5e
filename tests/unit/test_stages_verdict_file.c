/* Unit tests for the file verdict rules (stages/verdict_file.c): page count
 * faults with their measured value, threshold and the pages set aside;
 * separator sheets as a flag that is the file's extra_pages fault, never a
 * page's; blocking kinds and reviewer accepts; which kinds may be accepted;
 * the faults of events (a refused issue cut at a character boundary). */
#include <string.h>

#include "qr_stages.h"
#include "qr_test.h"

static qr_fault fault(qr_fault_kind k, int page)
{
    qr_fault f;
    memset(&f, 0, sizeof f);
    f.kind = k;
    f.page = page;
    return f;
}

static qr_file_facts facts(int expected, int delivered)
{
    return (qr_file_facts){.in_manifest = true, .expected = expected, .delivered = delivered};
}

static void test_counts(void)
{
    qr_fault f[QR_FILE_FAULTS_MAX];
    qr_file_facts in = facts(5, 5);
    CHECK_EQ_INT(qr_file_faults(&in, f), 0);
    in = facts(5, 3);
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_MISSING_PAGES);
    CHECK(f[0].value == 3.0 && f[0].threshold == 5.0 && f[0].page == 0);
    CHECKF(strcmp(f[0].detail, "3 pages delivered for 5 expected") == 0, "%s", f[0].detail);
    in = facts(2, 3);
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_EXTRA_PAGES && f[0].value == 3.0 && f[0].threshold == 2.0);
    in = facts(1, 1);
    in.delivered = 2;
    qr_file_faults(&in, f);
    CHECKF(strcmp(f[0].detail, "2 pages delivered for 1 expected") == 0, "%s", f[0].detail);
    in = facts(2, 1);
    qr_file_faults(&in, f);
    CHECKF(strcmp(f[0].detail, "1 page delivered for 2 expected") == 0, "%s", f[0].detail);
    in = facts(0, 7); /* count unknown */
    CHECK_EQ_INT(qr_file_faults(&in, f), 0);
    in = facts(3, 7);
    in.in_manifest = false; /* unexpected_file says it */
    CHECK_EQ_INT(qr_file_faults(&in, f), 0);
}

static void test_pages_lost(void)
{
    qr_fault f[QR_FILE_FAULTS_MAX];
    qr_file_facts in = facts(6, 4);
    in.pages_lost = true; /* short because the container lost pages: corrupt says so */
    CHECK_EQ_INT(qr_file_faults(&in, f), 0);
    in.delivered = 8; /* more than expected is still extra */
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_EXTRA_PAGES);
}

/* A duplicate is set aside and named, so "3 for 3" is no contradiction. */
static void test_set_aside(void)
{
    qr_fault f[QR_FILE_FAULTS_MAX];
    qr_aside dup = {2, QR_ASIDE_DUPLICATE};
    qr_file_facts in = facts(3, 3);
    in.aside = &dup;
    in.n_aside = 1;
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_MISSING_PAGES && f[0].value == 2.0 && f[0].threshold == 3.0);
    CHECKF(!strcmp(f[0].detail, "3 pages delivered for 3 expected; set aside: page 2 (repeats "
                   "the one before), so 2 count"), "%s", f[0].detail);
    qr_aside many[5] = {{2, QR_ASIDE_DUPLICATE}, {3, QR_ASIDE_SEPARATOR},
                        {5, QR_ASIDE_DUPLICATE}, {7, QR_ASIDE_DUPLICATE},
                        {9, QR_ASIDE_DUPLICATE}};
    in = facts(3, 10);
    in.aside = many;
    in.n_aside = 5;
    CHECK_EQ_INT(qr_file_faults(&in, f), 1); /* extra already: no separate separator fault */
    CHECKF(!strcmp(f[0].detail, "10 pages delivered for 3 expected; set aside: page 2 (repeats "
                   "the one before), page 3 (a separator sheet), page 5 (repeats the one "
                   "before), ..., so 5 count"), "%s", f[0].detail);
}

/* A separator sheet is not counted and makes the file's extra_pages fault
 * (page 0), which names it. */
static void test_separators(void)
{
    qr_fault f[QR_FILE_FAULTS_MAX];
    qr_aside sep = {1, QR_ASIDE_SEPARATOR};
    qr_file_facts in = facts(3, 4);
    in.aside = &sep;
    in.n_aside = 1;
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_EXTRA_PAGES && f[0].page == 0 && f[0].value == 1.0 &&
          f[0].threshold == 0.0);
    CHECKF(!strcmp(f[0].detail, "a patch-code separator sheet left in the delivery (page 1), "
                   "not a page of the file"), "%s", f[0].detail);

    qr_aside two[2] = {{1, QR_ASIDE_SEPARATOR}, {4, QR_ASIDE_SEPARATOR}};
    in = facts(3, 4); /* and a page missing */
    in.aside = two;
    in.n_aside = 2;
    CHECK_EQ_INT(qr_file_faults(&in, f), 2);
    CHECK(f[0].kind == QR_FAULT_MISSING_PAGES && f[0].value == 2.0);
    CHECK(f[1].kind == QR_FAULT_EXTRA_PAGES && f[1].value == 2.0 && f[1].page == 0);
    CHECKF(!strcmp(f[1].detail, "2 patch-code separator sheets left in the delivery (pages 1, "
                   "4), not pages of the file"), "%s", f[1].detail);

    in = facts(0, 2); /* count unknown: the sheet is still not part of the file */
    in.aside = &sep;
    in.n_aside = 1;
    CHECK_EQ_INT(qr_file_faults(&in, f), 1);
    CHECK(f[0].kind == QR_FAULT_EXTRA_PAGES);
}

static void test_page_faults(void)
{
    qr_fault f[2] = {fault(QR_FAULT_CORRUPT, 2), fault(QR_FAULT_BLANK, 4)};
    qr_file_verdict v;
    qr_file_verdict_of(true, f, 2, NULL, &v);
    CHECK(v.faulty && v.n_blocking == 2 && v.n_accepted == 0);

    qr_fault_accept acc[] = {{QR_FAULT_BLANK, 4}, {QR_FAULT_CORRUPT, 3}};
    qr_fault_rules r = {.accepts = acc, .n_accepts = 2};
    qr_file_verdict_of(true, f, 2, &r, &v);
    CHECK(v.faulty && v.n_blocking == 1 && v.n_accepted == 1); /* corrupt is on page 2 */

    acc[1].page = 0; /* any page */
    qr_file_verdict_of(true, f, 2, &r, &v);
    CHECK(!v.faulty && v.n_blocking == 0 && v.n_accepted == 2);

    qr_fault_rules nb = {.nonblocking = 1u << QR_FAULT_BLANK};
    qr_file_verdict_of(true, &f[1], 1, &nb, &v);
    CHECK(!v.faulty && v.n_blocking == 0);
    CHECK(!qr_fault_blocks(&f[1], &nb) && qr_fault_blocks(&f[0], &nb));

    qr_file_verdict_of(false, NULL, 0, NULL, &v); /* not in the manifest */
    CHECK(v.faulty && v.n_blocking == 0);
    qr_fault odd = fault(QR_FAULT__COUNT, 1);
    CHECK(qr_fault_blocks(&odd, &nb));
}

static void test_accepted_count(void)
{
    qr_fault_accept acc = {QR_FAULT_MISSING_PAGES, 0};
    qr_fault_rules r = {.accepts = &acc, .n_accepts = 1};
    qr_fault f[QR_FILE_FAULTS_MAX];
    qr_file_verdict v;
    qr_file_facts in = facts(6, 5);
    int n = qr_file_faults(&in, f);
    qr_file_verdict_of(true, f, (size_t)n, &r, &v);
    CHECK(n == 1 && !v.faulty && v.n_accepted == 1);
    in = facts(6, 7);
    n = qr_file_faults(&in, f);
    qr_file_verdict_of(true, f, (size_t)n, &r, &v); /* extra is not what was accepted */
    CHECK(v.faulty && f[0].kind == QR_FAULT_EXTRA_PAGES);
}

static void test_acceptable(void)
{
    char why[256];
    for (int k = 0; k < QR_FAULT__COUNT; k++) {
        bool ok = qr_fault_acceptable((qr_fault_kind)k, "F1", why, sizeof why);
        CHECKF(ok == (k != QR_FAULT_CORRUPT && k != QR_FAULT_UNEXPECTED_FILE), "kind %s: %d",
               qr_fault_name((qr_fault_kind)k), ok);
    }
    qr_fault_acceptable(QR_FAULT_UNEXPECTED_FILE, "F1", why, sizeof why);
    CHECKF(!strcmp(why, "unexpected_file cannot be accepted: add F1 to the manifest and ingest "
                   "again"), "%s", why);
    qr_fault_acceptable(QR_FAULT_CORRUPT, NULL, why, sizeof why);
    CHECK(strstr(why, "corrupt cannot be accepted") == why);
}

static void test_events(void)
{
    qr_fault f = qr_fault_unreadable(3, "p3.tif", "bad strip");
    CHECK(f.kind == QR_FAULT_CORRUPT && f.page == 3 && !strcmp(f.detail, "p3.tif: bad strip"));
    f = qr_fault_unexpected("X", "m.csv", 2);
    CHECK(f.kind == QR_FAULT_UNEXPECTED_FILE && f.page == 0 && f.value == 2.0);
    CHECK(!strcmp(f.detail, "X is not in the manifest m.csv"));
    CHECK(!qr_write_error_is_fault(QR_EIO) && !qr_write_error_is_fault(QR_ENOMEM) &&
          qr_write_error_is_fault(QR_ELIMIT));
    char msg[400];
    memset(msg, 'a', sizeof msg);
    memcpy(msg + 155, "\xc3\xa9", 2); /* "é" across the cut */
    msg[sizeof msg - 1] = '\0';
    f = qr_fault_refused(msg);
    size_t len = strlen(f.detail);
    CHECKF(len < sizeof f.detail && !strcmp(f.detail + len - 3, "...") &&
               (unsigned char)f.detail[len - 4] != 0xc3,
           "cut at a character boundary: %zu bytes", len);
}

int main(void)
{
    test_counts();
    test_pages_lost();
    test_set_aside();
    test_separators();
    test_page_faults();
    test_accepted_count();
    test_acceptable();
    test_events();
    return qr_test_end();
}
