/*
 * File verdict rules: the one place that decides whether a delivered file may
 * be archived. The pipeline's assembler calls it once per file after all its
 * pages are analysed; it is a pure function, so any thread may call it.
 *
 * A file is faulty when it has a blocking fault that no reviewer accepted.
 * The page count against the manifest is itself a fault (missing_pages /
 * extra_pages, measured value = delivered pages, threshold = expected pages),
 * so an accepted short file is archived exactly like an accepted blank page.
 */
#include "qr_manifest.h"

#include <stdio.h>
#include <string.h>

bool qr_manifest_fault_accepted(const qr_fault *f, const qr_manifest_rules *rules)
{
    if (!rules)
        return false;
    for (size_t i = 0; i < rules->n_accepts; i++) {
        const qr_manifest_accept *a = &rules->accepts[i];
        if (a->kind == f->kind && (a->page == 0 || a->page == f->page))
            return true;
    }
    return false;
}

bool qr_manifest_fault_blocks(const qr_fault *f, const qr_manifest_rules *rules)
{
    if ((unsigned)f->kind >= QR_FAULT__COUNT)
        return true; /* an unknown kind is never waved through */
    if (rules && (rules->nonblocking & (1u << f->kind)))
        return false;
    return !qr_manifest_fault_accepted(f, rules);
}

static bool count_fault(int expected, int delivered, qr_fault *f)
{
    if (expected <= 0 || delivered == expected)
        return false;
    memset(f, 0, sizeof *f);
    f->kind = delivered < expected ? QR_FAULT_MISSING_PAGES : QR_FAULT_EXTRA_PAGES;
    f->page = 0;
    f->value = delivered;
    f->threshold = expected;
    snprintf(f->detail, sizeof f->detail, "%d page%s delivered, manifest expects %d",
             delivered, delivered == 1 ? "" : "s", expected);
    return true;
}

static void weigh(const qr_fault *f, const qr_manifest_rules *rules, qr_file_verdict *out)
{
    if (qr_manifest_fault_accepted(f, rules))
        out->n_accepted++;
    if (qr_manifest_fault_blocks(f, rules))
        out->n_blocking++;
}

void qr_manifest_file_verdict(int expected, int delivered, const qr_fault *faults,
                              size_t n_faults, const qr_manifest_rules *rules,
                              qr_file_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->has_count_fault = count_fault(expected, delivered, &out->count_fault);
    if (out->has_count_fault)
        weigh(&out->count_fault, rules, out);
    for (size_t i = 0; i < n_faults; i++)
        weigh(&faults[i], rules, out);
    out->faulty = out->n_blocking > 0;
}
