/*
 * The ledger thread: the only thread that touches the ledger while the
 * pipeline runs (one writer, as in Redis' bio.c). It receives finished files
 * from the assembler in delivery order. For a sealed archive it records the
 * digest in the file's archive write (ledger/writes.c), renames the archive
 * into place without replacing anything (a name that is taken fails the run,
 * naming the file), then records the outcome — status, archive SHA-256, page
 * records, faults, event, and the write closed — in one transaction. A kill
 * between the rename and the commit leaves an archive whose digest the
 * ledger holds: the next ingest proves it is quire's and removes it, and the
 * file is written again. A write that failed is recorded as an
 * archive_failed event (no outcome), so the next plain run tries again; an
 * archive this thread renamed but could not record is removed before exit.
 *
 * It also owns the operator's progress display, since "done" means "recorded".
 *
 * Each fault is recorded with whether a reviewer's accept covers it, and the
 * accepts the outcome weighed are marked as applied in the same transaction,
 * so a faulty file is not planned again for an accept already considered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest_int.h"
#include "qr_ledger.h"
#include "qr_progress.h"

void ing_scan_date(const ing_page_rec *r, char out[32])
{
    out[0] = '\0';
    time_t t = (time_t)r->scan_time;
    struct tm tm;
    if (r->scan_time > 0 && gmtime_r(&t, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ,"key":"text" when text is known; the text is printable ASCII
 * (qr_scanner_text), so only " and \ need escaping. */
static size_t put_text(char *buf, size_t at, size_t n, const char *key, const char *text)
{
    if (!text[0] || at >= n)
        return at;
    at += (size_t)snprintf(buf + at, n - at, ",\"%s\":\"", key);
    for (; *text && at + 3 < n; text++) {
        if (*text == '"' || *text == '\\')
            buf[at++] = '\\';
        buf[at++] = *text;
    }
    return at + (size_t)snprintf(buf + at, at < n ? n - at : 0, "\"");
}

/* The measured values, and what the image says about its scan: its date and
 * the scanner's make, model and software (for the transfer note). The
 * ledger's page row and the note a PDF/A-3b archive embeds both use this. */
void ing_metrics_json(const ing_page_rec *r, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n,
             "{\"skew_conf\":%.3f,\"orient_conf\":%.3f,\"ink\":%.6f,\"centre_ink\":%.6f,"
             "\"mean_luma\":%.1f,\"paper_luma\":%.0f,\"contrast\":%.0f,\"blank\":%s,"
             "\"stored\":\"%s\",\"dpi_assumed\":%s",
             r->metrics[0], r->metrics[1], r->metrics[2], r->metrics[3], r->metrics[4],
             r->metrics[5], r->metrics[6], r->metrics[7] ? "true" : "false", r->stored,
             r->dpi_assumed ? "true" : "false");
    char when[32];
    ing_scan_date(r, when);
    at = put_text(buf, at, n, "scanned", when);
    at = put_text(buf, at, n, "scanner_make", r->scanner.make);
    at = put_text(buf, at, n, "scanner_model", r->scanner.model);
    at = put_text(buf, at, n, "scanner_software", r->scanner.software);
    if (at + 1 < n)
        snprintf(buf + at, n - at, "}");
}

typedef struct page_rows {
    qr_ledger_page *pages;
    char (*json)[1024];
} page_rows;

static int build_pages(const ing_file *f, page_rows *pr)
{
    size_t n = f->n_recs ? f->n_recs : 1;
    pr->pages = qr_malloc_array(n, sizeof *pr->pages);
    pr->json = qr_malloc_array(n, sizeof *pr->json);
    if (!pr->pages || !pr->json)
        return QR_ENOMEM;
    for (size_t i = 0; i < f->n_recs; i++) {
        const ing_page_rec *r = &f->recs[i];
        const ing_source *s = &f->sources[r->source_idx];
        ing_metrics_json(r, pr->json[i], sizeof pr->json[i]);
        pr->pages[i] = (qr_ledger_page){
            .page = r->page, .source = s->src->name,
            .source_sha256 = s->sha256[0] ? s->sha256 : NULL,
            .format = r->corrupt ? "unreadable" : r->encoding, .width = r->width,
            .height = r->height, .dpi = r->dpi, .skew_deg = r->skew_deg,
            .skew_applied_deg = r->skew_applied_deg, .orientation = r->orientation,
            .rotation_applied = r->orientation, .metrics_json = pr->json[i],
            .origin_batch = s->origin_batch, .source_path = s->src->abs_path,
            .source_member = s->src->member, .source_page = r->source_page,
            .separator = r->separator};
    }
    return QR_OK;
}

/* Commit the outcome, close its archive write and mark the accepts it
 * weighed, all or nothing. */
static int commit_outcome(qr_ledger *l, ing_file *f, const qr_ledger_outcome *o,
                          int64_t batch, qr_err *err)
{
    int rc = qr_ledger_tx_begin(l, err);
    if (rc)
        return rc;
    rc = qr_ledger_commit_file(l, o, err);
    if (!rc && f->write_id)
        rc = qr_ledger_write_done(l, f->write_id, err);
    if (!rc && f->accepts_upto)
        rc = qr_ledger_accepts_mark_used(l, f->file_id, f->accepts_upto, batch, err);
    int rc2 = qr_ledger_tx_end(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (!rc && !rc2)
        f->write_id = 0;
    return rc ? rc : rc2;
}

static bool *accepted_flags(const ing_file *f)
{
    bool *v = qr_malloc_array(f->faults.n ? f->faults.n : 1, sizeof *v);
    for (size_t i = 0; v && i < f->faults.n; i++)
        v[i] = qr_fault_accepted(&f->faults.v[i], &f->rules);
    return v;
}

int ing_record_file(ing_engine *e, qr_ledger *l, ing_file *f, qr_err *err)
{
    page_rows pr = {0};
    int rc = build_pages(f, &pr);
    bool *accepted = accepted_flags(f);
    if (!accepted)
        rc = QR_ENOMEM;
    char sha[QR_SHA256_HEX] = "";
    if (f->archived)
        qr_hex(f->archive_sha, QR_SHA256_LEN, sha);
    qr_ledger_outcome o = {
        .file_id = f->file_id, .batch = e->batch_id, .version = f->version,
        .archived = f->archived, .archive_path = f->archived ? f->archive_path : NULL,
        .archive_sha256 = f->archived ? sha : NULL, .source_fingerprint = f->fingerprint,
        .delivered_pages = f->pages_written, .pages = pr.pages, .n_pages = f->n_recs,
        .faults = f->faults.v, .n_faults = f->faults.n, .fault_accepted = accepted};
    if (!rc)
        rc = commit_outcome(l, f, &o, e->batch_id, err);
    else
        qr_err_set(err, rc, "out of memory");
    free(accepted);
    free(pr.pages);
    free(pr.json);
    return rc;
}

static void count_file(ing_engine *e, const ing_file *f)
{
    pthread_mutex_lock(&e->mu);
    e->files_done++;
    e->pages_done += f->pages_written;
    e->faults_total += (long)f->faults.n;
    if (f->write_failed)
        e->files_failed++;
    else if (f->archived)
        e->files_archived++;
    else
        e->files_faulty++;
    for (size_t i = 0; i < f->faults.n; i++)
        e->fault_counts[f->faults.v[i].kind]++;
    pthread_mutex_unlock(&e->mu);
}

static void log_file(ing_engine *e, const ing_file *f)
{
    char pages[16], faults[16];
    snprintf(pages, sizeof pages, "%d", f->pages_written);
    snprintf(faults, sizeof faults, "%zu", f->faults.n);
    if (f->write_failed) {
        qr_jsonlog_event(e->log, "file_not_written", "file_id", f->file_id, "archive",
                         f->archive_path, "error", f->pdf_err.msg, NULL);
        if (e->progress.tty)
            fputs("\r\033[K", e->opts->diag);
        fprintf(e->opts->diag, "error: %s: archive not written: %s\n", f->file_id,
                f->pdf_err.msg);
        return;
    }
    qr_jsonlog_event(e->log, f->archived ? "file_archived" : "file_faulty", "file_id",
                     f->file_id, "#pages", pages, "#faults", faults, "archive",
                     f->archived ? f->archive_path : "", NULL);
    for (size_t i = 0; i < f->faults.n && e->opts->diag; i++) {
        const qr_fault *x = &f->faults.v[i];
        if (e->opts->quiet && x->kind != QR_FAULT_CORRUPT)
            continue; /* unreadable input is an error: always named */
        if (e->progress.tty)
            fputs("\r\033[K", e->opts->diag);
        fprintf(e->opts->diag, "fault: %s page %d: %s (value %g, threshold %g): %s%s\n",
                f->file_id, x->page, qr_fault_name(x->kind), x->value, x->threshold, x->detail,
                qr_fault_accepted(x, &f->rules) ? " (accepted by a reviewer)" : "");
    }
}

void ing_file_release(ing_file *f)
{
    free(f->prev_sig);
    f->prev_sig = NULL;
    ing_faults_free(&f->faults);
    free(f->recs);
    f->recs = NULL;
    f->n_recs = f->cap_recs = 0;
    free(f->aside);
    f->aside = NULL;
    f->n_aside = f->cap_aside = 0;
}

/* A write that failed is recorded as such, with its reason: an event, and
 * no outcome, so the next plain run processes the file again. */
static int record_failure(ing_engine *e, ing_file *f, qr_err *err)
{
    int rc = qr_ledger_archive_failed(e->ledger, e->batch_id, f->write_id, f->file_id,
                                      f->archive_path, f->pdf_err.msg, err);
    if (!rc)
        f->write_id = 0;
    return rc;
}

/* Record the digest, put the sealed archive in place without replacing
 * anything, then record the outcome; an archive that cannot be recorded is
 * removed again (it is ours: this thread just renamed it). Returns non-zero
 * only for a ledger error. */
static int publish(ing_engine *e, ing_file *f, qr_err *err)
{
    char sha[QR_SHA256_HEX];
    qr_hex(f->archive_sha, QR_SHA256_LEN, sha);
    int rc = qr_ledger_write_sealed(e->ledger, f->write_id, sha, err);
    if (rc) {
        unlink(f->tmp_path);
        return rc;
    }
    if (qr_pdf_publish(f->tmp_path, f->archive_path, &f->pdf_err)) {
        unlink(f->tmp_path);
        f->write_failed = true;
        ing_engine_fail(e, &f->pdf_err);
        return record_failure(e, f, err);
    }
    f->archived = true;
    rc = ing_record_file(e, e->ledger, f, err);
    if (rc) {
        unlink(f->archive_path);
        f->archived = false;
    }
    return rc;
}

/* Record one finished file: its outcome, or why its archive is missing. */
static void settle(ing_engine *e, ing_file *f)
{
    qr_err err = {0};
    int rc;
    if (e->ledger_broken) {
        if (f->sealed)
            unlink(f->tmp_path);
        return;
    }
    if (f->write_failed)
        rc = record_failure(e, f, &err);
    else if (f->sealed)
        rc = publish(e, f, &err);
    else
        rc = ing_record_file(e, e->ledger, f, &err);
    if (rc) {
        e->ledger_broken = true;
        ing_engine_fail(e, &err);
    }
}

void *ing_ledger_main(void *arg)
{
    ing_engine *e = arg;
    void *item;
    while (qr_queue_recv(e->outcomes, &item)) {
        ing_file *f = item;
        settle(e, f);
        count_file(e, f);
        log_file(e, f);
        ing_file_release(f);
        qr_progress_update(&e->progress, e->files_done, e->pages_done, e->faults_total);
    }
    double cpu[QR_STAGE__COUNT] = {0};
    cpu[QR_STAGE_LEDGER] = ing_thread_cpu();
    ing_stage_add(arg, cpu);
    return NULL;
}
