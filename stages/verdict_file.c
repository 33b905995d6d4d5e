/*
 * verdict_file.c: the faults of a whole file, how faults are weighed against
 * the reviewer's accepts, and the faults of events that are not page
 * measurements (see qr_verdict.h for why they sit here, beside verdict.c).
 *
 * The page count: a file is checked against its manifest entry once all its
 * pages are placed. Pages set aside (a sheet fed twice, a separator sheet
 * left in) are delivered but are not pages of the file, so they do not
 * count, and the count fault names them: "9 pages delivered for 9 expected"
 * would read as a contradiction, "9 pages delivered for 9 expected; set
 * aside: page 5 (repeats the one before), so 8 count" does not. A separator
 * sheet is a page flag, not a page fault: it says nothing about the scan of
 * the page. It is the file's extra_pages fault when the count does not
 * already say so, because the archive would otherwise carry a sheet that is
 * not part of the file.
 *
 * Accepts: a fault is archived past only when a reviewer accepted its kind
 * on its page (or on every page). corrupt and unexpected_file cannot be
 * accepted: there is nothing readable, or nothing the manifest asked for,
 * to archive.
 *
 * Pure functions over the caller's values; any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qr_util.h"
#include "qr_verdict.h"

static qr_fault make(qr_fault_kind kind, int page, double value, double threshold)
{
    qr_fault f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.page = page;
    f.value = value;
    f.threshold = threshold;
    return f;
}

/* Append to a detail; a full detail stays as it is, cut. */
static void __attribute__((format(printf, 3, 4))) put(char *d, size_t *n, const char *fmt, ...)
{
    if (*n >= sizeof ((qr_fault *)0)->detail - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(d + *n, sizeof ((qr_fault *)0)->detail - *n, fmt, ap);
    va_end(ap);
    if (k > 0)
        *n += (size_t)k;
}

static int counted(const qr_file_facts *in)
{
    return in->delivered - (int)in->n_aside;
}

/* "9 pages delivered for 9 expected; set aside: page 5 (repeats the one
 * before), so 8 count": at most three pages set aside are named. */
static void count_detail(const qr_file_facts *in, char *d)
{
    size_t n = 0;
    put(d, &n, "%d page%s delivered for %d expected", in->delivered,
        in->delivered == 1 ? "" : "s", in->expected);
    for (size_t i = 0; i < in->n_aside; i++) {
        if (i == 3) {
            put(d, &n, ", ...");
            break;
        }
        put(d, &n, "%s page %d (%s)", i ? "," : "; set aside:", in->aside[i].page,
            in->aside[i].why == QR_ASIDE_DUPLICATE ? "repeats the one before"
                                                   : "a separator sheet");
    }
    if (in->n_aside)
        put(d, &n, ", so %d count", counted(in));
}

/* The expected count, or 0 when it cannot be judged: not in the manifest,
 * or short because a container lost pages (the corrupt fault says so). */
static int judged_expected(const qr_file_facts *in)
{
    if (!in->in_manifest || in->expected <= 0)
        return 0;
    if (in->pages_lost && counted(in) < in->expected)
        return 0;
    return in->expected;
}

static bool count_fault(const qr_file_facts *in, qr_fault *f)
{
    int expected = judged_expected(in), got = counted(in);
    if (!expected || got == expected)
        return false;
    *f = make(got < expected ? QR_FAULT_MISSING_PAGES : QR_FAULT_EXTRA_PAGES, 0, got, expected);
    count_detail(in, f->detail);
    return true;
}

static bool separator_fault(const qr_file_facts *in, qr_fault *f)
{
    int sheets = 0;
    for (size_t i = 0; i < in->n_aside; i++)
        sheets += in->aside[i].why == QR_ASIDE_SEPARATOR;
    if (!sheets)
        return false;
    *f = make(QR_FAULT_EXTRA_PAGES, 0, sheets, 0);
    size_t n = 0;
    put(f->detail, &n, sheets == 1 ? "a patch-code separator sheet left in the delivery (page"
                                   : "%d patch-code separator sheets left in the delivery (pages",
        sheets);
    for (size_t i = 0, k = 0; i < in->n_aside; i++)
        if (in->aside[i].why == QR_ASIDE_SEPARATOR)
            put(f->detail, &n, "%s %d", k++ ? "," : "", in->aside[i].page);
    put(f->detail, &n, "), not %s of the file", sheets == 1 ? "a page" : "pages");
    return true;
}

int qr_file_faults(const qr_file_facts *in, qr_fault out[QR_FILE_FAULTS_MAX])
{
    int n = 0;
    if (count_fault(in, &out[n]))
        n++;
    bool extra_said = n && out[0].kind == QR_FAULT_EXTRA_PAGES;
    if (!extra_said && separator_fault(in, &out[n]))
        n++;
    return n;
}

/* ---- weighing ------------------------------------------------------------ */

bool qr_fault_accepted(const qr_fault *f, const qr_fault_rules *rules)
{
    if (!rules)
        return false;
    for (size_t i = 0; i < rules->n_accepts; i++) {
        const qr_fault_accept *a = &rules->accepts[i];
        if (a->kind == f->kind && (a->page == 0 || a->page == f->page))
            return true;
    }
    return false;
}

bool qr_fault_blocks(const qr_fault *f, const qr_fault_rules *rules)
{
    if ((unsigned)f->kind >= QR_FAULT__COUNT)
        return true; /* an unknown kind is never waved through */
    if (rules && (rules->nonblocking & (1u << f->kind)))
        return false;
    return !qr_fault_accepted(f, rules);
}

void qr_file_verdict_of(bool in_manifest, const qr_fault *faults, size_t n,
                        const qr_fault_rules *rules, qr_file_verdict *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out->n_accepted += qr_fault_accepted(&faults[i], rules);
        out->n_blocking += qr_fault_blocks(&faults[i], rules);
    }
    out->faulty = out->n_blocking > 0 || !in_manifest;
}

bool qr_fault_acceptable(qr_fault_kind kind, const char *file_id, char *why, size_t cap)
{
    if (kind == QR_FAULT_UNEXPECTED_FILE) {
        snprintf(why, cap, "unexpected_file cannot be accepted: add %s to the manifest and "
                 "ingest again", file_id ? file_id : "");
        return false;
    }
    if (kind == QR_FAULT_CORRUPT) { /* accepting it would archive the file without that page */
        snprintf(why, cap, "corrupt cannot be accepted: the page could not be read, so there "
                 "is nothing to archive; have it rescanned");
        return false;
    }
    return true;
}

/* ---- faults of events ------------------------------------------------------ */

qr_fault qr_fault_unreadable(int page, const char *source, const char *error)
{
    qr_fault f = make(QR_FAULT_CORRUPT, page, 1, 0);
    snprintf(f.detail, sizeof f.detail, "%s: %s", source, error);
    return f;
}

bool qr_write_error_is_fault(int rc)
{
    return rc != QR_EIO && rc != QR_ENOMEM && rc != QR_EFATAL;
}

qr_fault qr_fault_unarchivable(int page, const char *source, const char *error)
{
    qr_fault f = make(QR_FAULT_CORRUPT, page, 1, 0);
    snprintf(f.detail, sizeof f.detail, "%s: cannot be archived: %s", source, error);
    return f;
}

qr_fault qr_fault_delivered_twice(const char *first_root, const char *second_root)
{
    qr_fault f = make(QR_FAULT_CORRUPT, 0, 2, 1);
    snprintf(f.detail, sizeof f.detail,
             "delivered twice, in %s and in %s: which is the scan is ambiguous", first_root,
             second_root);
    return f;
}

qr_fault qr_fault_unexpected(const char *file_id, const char *manifest, int n_sources)
{
    qr_fault f = make(QR_FAULT_UNEXPECTED_FILE, 0, n_sources, 0);
    snprintf(f.detail, sizeof f.detail, "%s is not in the manifest %s", file_id, manifest);
    return f;
}

qr_fault qr_fault_refused(const char *msg)
{
    qr_fault f = make(QR_FAULT_CORRUPT, 0, 1, 0);
    size_t len = strlen(msg), n = sizeof f.detail;
    if (len < n) {
        memcpy(f.detail, msg, len + 1);
        return f;
    }
    size_t keep = n - 4; /* room for "..." and the terminator */
    while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80)
        keep--; /* msg[keep] would be a continuation byte: start the cut at its lead */
    memcpy(f.detail, msg, keep);
    memcpy(f.detail + keep, "...", 4);
    return f;
}
