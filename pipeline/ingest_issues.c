/*
 * ingest_issues.c: turns the delivery's refused issues into faults of the
 * file they name, so that what the delivery layer could not take as it was
 * (a member refused, a page name given twice, a damaged box) keeps the file
 * from being archived instead of passing as a shorter or guessed file.
 *
 * The delivery layer (formats/qr_delivery.h) decides what is refused and
 * which file each issue belongs to; this file only maps each of them to one
 * whole-file corrupt fault (page 0, value 1, threshold 0) whose detail is the
 * issue's message. corrupt cannot be accepted by a reviewer: only a
 * corrected redelivery clears it, and the issue is part of the file's
 * fingerprint, so that redelivery is processed again. Ignored issues (junk,
 * notes beside the scans) are not faults.
 *
 * Called on the main thread while a run is planned; no state of its own.
 */
#include <string.h>

#include "ingest_int.h"

/* Copy msg into a fault detail of n bytes; a message that does not fit is
 * cut at a character boundary and ends in "...", so the detail stays valid
 * UTF-8 and says that it was cut. */
static void fit_detail(char *out, size_t n, const char *msg)
{
    size_t len = strlen(msg);
    if (len < n) {
        memcpy(out, msg, len + 1);
        return;
    }
    size_t keep = n - 4; /* room for "..." and the terminator */
    while (keep > 0 && ((unsigned char)msg[keep] & 0xC0) == 0x80)
        keep--; /* msg[keep] would be a continuation byte: start the cut at its lead */
    memcpy(out, msg, keep);
    memcpy(out + keep, "...", 4);
}

int ing_issue_faults(ing_faults *faults, const qr_delivery *d, const char *file_id)
{
    int n = 0;
    for (size_t i = 0; i < d->n_issues; i++) {
        const qr_delivery_issue *is = &d->issues[i];
        if (is->kind != QR_DELIVERY_REFUSED || !is->file_id || !is->msg ||
            strcmp(is->file_id, file_id) != 0)
            continue;
        char detail[sizeof faults->v->detail];
        fit_detail(detail, sizeof detail, is->msg);
        if (ing_faults_add(faults, QR_FAULT_CORRUPT, 0, 1, 0, "%s", detail) != QR_OK)
            return -1;
        n++;
    }
    return n;
}
