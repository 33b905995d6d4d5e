/*
 * ingest_issues.c: turns the delivery's refused issues into faults of the
 * file they name, so that what the delivery layer could not take as it was
 * (a member refused, a page name given twice, a damaged box) keeps the file
 * from being archived instead of passing as a shorter or guessed file.
 *
 * The delivery layer (formats/qr_delivery.h) decides what is refused and
 * which file each issue belongs to; this file only gives each of them to
 * qr_fault_refused (stages/verdict_file.c), one whole-file corrupt fault
 * whose detail is the issue's message. corrupt cannot be accepted by a reviewer: only a
 * corrected redelivery clears it, and the issue is part of the file's
 * fingerprint, so that redelivery is processed again. Ignored issues (junk,
 * notes beside the scans) are not faults.
 *
 * Called on the main thread while a run is planned; no state of its own.
 */
#include <string.h>

#include "ingest_int.h"

int ing_issue_faults(ing_faults *faults, const qr_delivery *d, const char *file_id)
{
    int n = 0;
    for (size_t i = 0; i < d->n_issues; i++) {
        const qr_delivery_issue *is = &d->issues[i];
        if (is->kind != QR_DELIVERY_REFUSED || !is->file_id || !is->msg ||
            strcmp(is->file_id, file_id) != 0)
            continue;
        qr_fault x = qr_fault_refused(is->msg);
        if (ing_faults_push(faults, &x) != QR_OK)
            return -1;
        n++;
    }
    return n;
}
