/*
 * The assembler thread: puts pages back in delivery order and streams each
 * file's PDF/A as its pages become writable.
 *
 * Workers finish pages out of order; a page is written only when every page
 * before it in its file has been written. Pages of one source arrive in order
 * (one worker handles a whole source), so ordering only has to wait for the
 * head source of each file: memory held here is bounded by the pages in
 * flight, which the queues bound.
 *
 * When a file's last source completes, its verdict is decided (page count
 * against the manifest, blocking faults): a clean file's PDF is sealed
 * (complete and fsynced under its temporary name), a faulty one's temporary
 * file is removed. The file then goes to the ledger thread, which records
 * the digest, renames the archive into place and records the outcome.
 * Nothing here touches the ledger. A write error stops the run; it never
 * makes the file "faulty" (see pdf_error).
 *
 * Reviewer accepts (loaded at planning into f->rules) are weighed by the
 * verdict rules; each accept that covered a fault of the file is written
 * into the archive's XMP as an override (kind, page, reason, who, when), so
 * the archive itself says which judgement let it through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"

static int add_rec(ing_file *f, const ing_page_rec *r)
{
    if (qr_grow(&f->recs, &f->cap_recs, f->n_recs + 1, sizeof *f->recs) != QR_OK)
        return QR_ENOMEM;
    f->recs[f->n_recs++] = *r;
    return QR_OK;
}

/* An error of the archive writer. Failing to write (an I/O error, out of
 * memory) is never a fault of the scan: it stops the run, and the file is
 * left for the next run (the ledger thread records why). What the pages
 * caused (a page PDF cannot carry, the format's object limit) is a fault of
 * the file, named on its page. */
static void pdf_error(ing_engine *e, ing_file *f, int rc, int page, const char *source)
{
    if (!qr_write_error_is_fault(rc)) {
        f->pdf_failed = f->write_failed = true;
        qr_pdf_abort(&f->pdf);
        ing_engine_fail(e, &f->pdf_err);
        return;
    }
    qr_fault x = qr_fault_unarchivable(page, source ? source : f->file_id, f->pdf_err.msg);
    ing_faults_push(&f->faults, &x);
    if (rc == QR_ELIMIT) {
        f->pdf_failed = true;
        qr_pdf_abort(&f->pdf);
    }
}

static void open_pdf(ing_engine *e, ing_file *f)
{
    if (f->pdf || f->pdf_failed)
        return;
    int rc = qr_pdf_open_tmp(f->archive_path, f->tmp_path, e->opts->flavour, &f->pdf,
                             &f->pdf_err);
    if (rc)
        pdf_error(e, f, rc, 0, NULL);
}

static void pdf_add(ing_engine *e, ing_file *f, ing_page *p, const ing_source *src)
{
    open_pdf(e, f);
    if (f->pdf_failed)
        return;
    qr_pdf_prov prov = {
        .source = src->src->name, .sha256 = src->sha256, .encoding = p->rec.encoding,
        .stored = p->rec.stored, .xdpi = p->img.xdpi, .ydpi = p->img.ydpi,
        .dpi_assumed = p->rec.dpi_assumed, .source_page = p->rec.source_page,
        .note = p->note[0] ? p->note : NULL};
    int rc = qr_pdf_add_page(f->pdf, &p->img, &prov, &f->pdf_err);
    if (rc)
        pdf_error(e, f, rc, p->rec.page, src->src->name);
}

/* A page set aside from the count (qr_file_faults names it). */
static void set_aside(ing_file *f, int page, qr_aside_kind why)
{
    if (qr_grow(&f->aside, &f->cap_aside, f->n_aside + 1, sizeof *f->aside) != QR_OK) {
        f->aside_lost = true;
        return;
    }
    f->aside[f->n_aside++] = (qr_aside){.page = page, .why = why};
}

/* The same sheet fed twice: compare with the page placed just before. The
 * duplicate is recorded and left out of the page count against the manifest.
 * The similarity is asked for only once a duplicate is found: asked with
 * every comparison, it makes the profiles of every pair be matched (1-2 ms on
 * this thread, which the workers then wait for), where the perceptual hashes
 * rule out nearly every pair at once. */
static void check_duplicate(ing_engine *e, ing_file *f, ing_page *p)
{
    if (p->sig && f->prev_sig &&
        qr_signature_is_duplicate(f->prev_sig, p->sig, &e->profile, NULL)) {
        qr_fault x = qr_fault_duplicate(
            p->rec.page, qr_signature_similarity(f->prev_sig, p->sig), &e->profile);
        set_aside(f, p->rec.page, QR_ASIDE_DUPLICATE);
        ing_faults_push(&f->faults, &x);
    }
    free(f->prev_sig);
    f->prev_sig = p->sig; /* a failed page (no signature) breaks the chain */
    p->sig = NULL;
}

/* Write (or record as corrupt) one page that is next in order. */
static void place_page(ing_engine *e, ing_file *f, ing_page *p)
{
    ing_source *src = &f->sources[p->source_idx];
    p->rec.page = ++f->pages_written;
    p->rec.source_idx = p->source_idx; /* the ledger names each page's own source */
    f->pages_lost |= p->pages_lost;
    if (p->rec.page == 1 && p->scan_time >= 0)
        f->scan_time = (time_t)p->scan_time;
    if (p->failed) {
        p->rec.corrupt = true;
        qr_fault x = qr_fault_unreadable(p->rec.page, src->src->name, p->error);
        ing_faults_push(&f->faults, &x);
    } else {
        pdf_add(e, f, p, src);
    }
    check_duplicate(e, f, p);
    if (p->rec.separator) /* not a page of the file: left out of the count */
        set_aside(f, p->rec.page, QR_ASIDE_SEPARATOR);
    for (int i = 0; i < p->n_faults; i++) {
        qr_fault x = p->faults[i];
        x.page = p->rec.page;
        if (!qr_fault_waived(&x, &e->profile))
            ing_faults_push(&f->faults, &x);
    }
    add_rec(f, &p->rec);
}

/* Drain every page that is now writable; returns true when the file is complete. */
static bool drain_file(ing_engine *e, ing_file *f)
{
    while (f->next_source < f->n_sources) {
        ing_source *s = &f->sources[f->next_source];
        while (s->head) {
            ing_page *p = s->head;
            s->head = p->next;
            if (!s->head)
                s->tail = NULL;
            place_page(e, f, p);
            ing_page_free(p);
        }
        if (!s->complete)
            return false;
        f->next_source++;
    }
    return true;
}

/* Whether accept i covered at least one of the file's faults. */
static bool accept_applied(const ing_file *f, size_t i)
{
    qr_fault_rules one = {.accepts = &f->accept_rules[i], .n_accepts = 1};
    for (size_t k = 0; k < f->faults.n; k++)
        if (qr_fault_accepted(&f->faults.v[k], &one))
            return true;
    return false;
}

/* The applied accepts as XMP overrides; NULL (and *n = 0) when none or out
 * of memory (then the archive is not written: see decide). */
static qr_pdf_override *applied_overrides(const ing_file *f, size_t *n)
{
    *n = 0;
    if (!f->accepts.n)
        return NULL;
    qr_pdf_override *v = qr_malloc_array(f->accepts.n, sizeof *v);
    for (size_t i = 0; v && i < f->accepts.n; i++) {
        const qr_ledger_accept *a = &f->accepts.v[i];
        if (accept_applied(f, i))
            v[(*n)++] = (qr_pdf_override){.kind = qr_fault_name(a->kind), .page = a->page,
                                          .reason = a->reason, .by = a->actor, .at = a->at};
    }
    return v;
}

/* The document's title (PDF Title, dc:title): the manifest's title when it
 * has one, which is what a reader looks for; else the file id. The file id
 * is always in the metadata (quire:meta file_id). */
static const char *archive_title(const ing_file *f)
{
    for (size_t i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta[i].key, "title") && f->meta[i].value[0])
            return f->meta[i].value;
    return f->file_id;
}

/* PDF/A-3b: the transfer note the archive embeds (ingest_note.c). */
static int note_attachment(const ing_engine *e, const ing_file *f, qr_buf *json,
                           qr_pdf_attachment *a)
{
    if (e->opts->flavour != QR_PDFA_3B)
        return QR_OK;
    int rc = ing_note_json(e, f, json);
    *a = (qr_pdf_attachment){.name = "transfer-note.json", .mime = "application/json",
                             .desc = "Transfer note (BSI TR-03138): what was digitized, how, "
                                     "and its checks",
                             .relationship = "Supplement", .data = json->data,
                             .len = json->len};
    return rc;
}

/* Complete the document under its temporary name; the ledger thread puts
 * it in place once its digest is recorded. */
static void finish_pdf(ing_engine *e, ing_file *f)
{
    size_t n_ovr = 0;
    qr_pdf_override *ovr = applied_overrides(f, &n_ovr);
    qr_buf note = {0};
    qr_pdf_attachment att = {0};
    if ((f->accepts.n && !ovr) || note_attachment(e, f, &note, &att) != QR_OK) {
        free(ovr);
        qr_buf_free(&note);
        qr_err_set(&f->pdf_err, QR_ENOMEM, "%s: out of memory", f->file_id);
        pdf_error(e, f, QR_ENOMEM, 0, NULL);
        return;
    }
    time_t t = f->scan_time >= 0 ? f->scan_time : e->ref_time;
    qr_pdf_meta meta = {.title = archive_title(f), .name = f->file_id, .created = t, .modified = t,
                        .extra = f->meta, .n_extra = f->n_meta,
                        .overrides = ovr, .n_overrides = n_ovr,
                        .attachment = e->opts->flavour == QR_PDFA_3B ? &att : NULL};
    int rc = f->pdf ? qr_pdf_seal(&f->pdf, &meta, f->archive_sha, &f->pdf_err)
                    : qr_err_set(&f->pdf_err, QR_EINVAL, "no page could be archived");
    free(ovr);
    qr_buf_free(&note);
    if (rc) {
        pdf_error(e, f, rc, 0, NULL);
        return;
    }
    f->sealed = true;
}

/* Decide the verdict (qr_file_faults, qr_file_verdict_of); finish the
 * archive of a clean file, drop a faulty one's. */
static void decide(ing_engine *e, ing_file *f)
{
    qr_file_facts facts = {.in_manifest = f->in_manifest, .expected = f->expected_pages,
                           .delivered = f->pages_written, .pages_lost = f->pages_lost,
                           .aside = f->aside, .n_aside = f->n_aside};
    if (f->aside_lost) { /* the count cannot be judged: stop, never archive a guess */
        qr_err_set(&f->pdf_err, QR_ENOMEM, "%s: out of memory", f->file_id);
        pdf_error(e, f, QR_ENOMEM, 0, NULL);
        return;
    }
    qr_fault own[QR_FILE_FAULTS_MAX];
    int n = qr_file_faults(&facts, own);
    for (int i = 0; i < n; i++)
        ing_faults_push(&f->faults, &own[i]);
    qr_file_verdict v;
    qr_file_verdict_of(f->in_manifest, f->faults.v, f->faults.n, &f->rules, &v);
    f->faulty = v.faulty;
    if (f->faulty || f->pdf_failed) {
        qr_pdf_abort(&f->pdf);
        return;
    }
    finish_pdf(e, f);
}

static void finish_file(ing_engine *e, ing_file *f)
{
    decide(e, f);
    void *out = f;
    qr_queue_send(e->outcomes, &out);
}

void *ing_assembler_main(void *arg)
{
    ing_engine *e = arg;
    void *item;
    while (qr_queue_recv(e->pages, &item)) {
        ing_page *p = item;
        ing_file *f = p->file;
        if (p->source_idx < 0) { /* an empty file: nothing to wait for */
            free(p);
            finish_file(e, f);
            continue;
        }
        ing_source *s = &f->sources[p->source_idx];
        if (p->last_of_source)
            s->complete = true;
        p->next = NULL;
        if (s->tail)
            s->tail->next = p;
        else
            s->head = p;
        s->tail = p;
        if (drain_file(e, f))
            finish_file(e, f);
    }
    qr_queue_close(e->outcomes);
    double cpu[QR_STAGE__COUNT] = {0};
    cpu[QR_STAGE_WRITE] = ing_thread_cpu();
    ing_stage_add(e, cpu);
    return NULL;
}
