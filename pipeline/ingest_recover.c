/*
 * Cleaning up archive writes: what a killed run left behind, and what this
 * run started but did not finish.
 *
 * The rule is the ledger's (ledger/writes.c): quire removes a file from the
 * output folder only when a row of archive_writes proves quire wrote it.
 *   - A temporary named by a row is always quire's: it lives in
 *     OUT/.quire-tmp under a name no file id can produce, and was recorded
 *     before it was created.
 *   - A final name is removed only when its row carries the SHA-256 of the
 *     finished document (recorded before the rename), the file there has
 *     exactly that digest, and no outcome records the archive: the batch
 *     renamed it into place and was killed before it could commit. The file
 *     is written again by the next delivery of that file.
 * Anything else is left where it is and named on the diagnostic stream.
 *
 * Runs on the main thread, before the pipeline starts (other batches' rows)
 * and after it stopped (this batch's rows of files that did not finish).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_int.h"
#include "qr_ledger.h"

/* Remove path if it exists; a warning when it cannot be removed. */
static void remove_temp(FILE *diag, const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT && diag)
        fprintf(diag, "warning: %s: cannot remove this temporary file: %s\n", path,
                strerror(errno));
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A final name that a dead batch put in place without recording it. */
static int recover_final(qr_ledger *l, const qr_ledger_write *w, FILE *diag, bool quiet,
                         qr_err *err)
{
    bool recorded = false;
    int rc = qr_ledger_archive_recorded(l, w->final_path, &recorded, err);
    if (rc || recorded || !w->sha256 || !is_file(w->final_path))
        return rc;
    char hex[QR_SHA256_HEX];
    qr_err herr = {0};
    if (qr_sha256_file(w->final_path, hex, &herr) == QR_OK && strcmp(hex, w->sha256) == 0) {
        if (unlink(w->final_path) == 0) {
            if (diag && !quiet)
                fprintf(diag, "removed %s: batch %lld put it in place and was stopped before "
                        "recording it; %s is written again when delivered\n", w->final_path,
                        (long long)w->batch, w->file_id);
            return QR_OK;
        }
        return qr_err_set(err, QR_EIO, "%s: cannot remove an unrecorded archive: %s",
                          w->final_path, strerror(errno));
    }
    if (diag)
        fprintf(diag, "warning: %s: left in place: batch %lld was to write this name, but "
                "the file is not what it wrote\n", w->final_path, (long long)w->batch);
    return QR_OK;
}

int ing_recover_writes(qr_ledger *l, int64_t batch, FILE *diag, bool quiet, qr_err *err)
{
    qr_ledger_write_list list;
    int rc = qr_ledger_writes_of_others(l, batch, &list, err);
    for (size_t i = 0; rc == QR_OK && i < list.n; i++) {
        const qr_ledger_write *w = &list.v[i];
        remove_temp(diag, w->tmp_path);
        rc = recover_final(l, w, diag, quiet, err);
        if (rc == QR_OK)
            rc = qr_ledger_write_done(l, w->id, err);
    }
    qr_ledger_write_list_free(&list);
    return rc;
}

void ing_abandon_writes(ing_engine *e, qr_ledger *l, FILE *diag)
{
    for (int i = 0; i < e->n_files; i++) {
        ing_file *f = &e->files[i];
        qr_pdf_abort(&f->pdf);
        if (!f->write_id)
            continue;
        if (f->tmp_path)
            remove_temp(diag, f->tmp_path);
        if (!e->ledger_broken && l && qr_ledger_write_done(l, f->write_id, NULL) == QR_OK)
            f->write_id = 0;
    }
}
