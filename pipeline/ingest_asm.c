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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "qr_manifest.h"

int ing_faults_add(ing_faults *f, qr_fault_kind kind, int page, double value,
                   double threshold, const char *fmt, ...)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        qr_fault *v = qr_malloc_array(cap, sizeof *v);
        if (!v)
            return QR_ENOMEM;
        if (f->n)
            memcpy(v, f->v, f->n * sizeof *v);
        free(f->v);
        f->v = v;
        f->cap = cap;
    }
    qr_fault *x = &f->v[f->n++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->page = page;
    x->value = value;
    x->threshold = threshold;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
    return QR_OK;
}

void ing_faults_free(ing_faults *f)
{
    free(f->v);
    memset(f, 0, sizeof *f);
}

void ing_page_free(ing_page *p)
{
    if (p) {
        free(p->sig);
        free(p->payload);
        free(p);
    }
}

static int add_rec(ing_file *f, const ing_page_rec *r)
{
    if (f->n_recs == f->cap_recs) {
        size_t cap = f->cap_recs ? f->cap_recs * 2 : 16;
        ing_page_rec *v = qr_malloc_array(cap, sizeof *v);
        if (!v)
            return QR_ENOMEM;
        if (f->n_recs)
            memcpy(v, f->recs, f->n_recs * sizeof *v);
        free(f->recs);
        f->recs = v;
        f->cap_recs = cap;
    }
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
    if (rc == QR_EIO || rc == QR_ENOMEM || rc == QR_EFATAL) {
        f->pdf_failed = f->write_failed = true;
        qr_pdf_abort(&f->pdf);
        ing_engine_fail(e, &f->pdf_err);
        return;
    }
    ing_faults_add(&f->faults, QR_FAULT_CORRUPT, page, 1, 0, "%s: cannot be archived: %s",
                   source ? source : f->file_id, f->pdf_err.msg);
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
        .dpi_assumed = p->rec.dpi_assumed, .source_page = p->rec.source_page, .note = NULL};
    int rc = qr_pdf_add_page(f->pdf, &p->img, &prov, &f->pdf_err);
    if (rc)
        pdf_error(e, f, rc, p->rec.page, src->src->name);
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
        double sim = qr_signature_similarity(f->prev_sig, p->sig);
        f->duplicates++;
        ing_faults_add(&f->faults, QR_FAULT_DUPLICATE, p->rec.page, sim,
                       e->profile.dup_min_similarity, "page %d repeats page %d (similarity %.3f)",
                       p->rec.page, p->rec.page - 1, sim);
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
        ing_faults_add(&f->faults, QR_FAULT_CORRUPT, p->rec.page, 1, 0, "%s: %s", src->src->name,
                       p->error);
    } else {
        pdf_add(e, f, p, src);
    }
    check_duplicate(e, f, p);
    for (int i = 0; i < p->n_faults; i++) {
        qr_fault x = p->faults[i];
        x.page = p->rec.page;
        if (x.kind == QR_FAULT_BLANK && x.page % 2 == 0 && e->profile.allow_blank_backs)
            continue; /* a duplex back side: blank by design (the metrics still say so) */
        if (x.kind == QR_FAULT_EXTRA_PAGES)
            f->separators++; /* not a page of the file: left out of the count */
        ing_faults_add(&f->faults, x.kind, x.page, x.value, x.threshold, "%s", x.detail);
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
    qr_manifest_rules one = {.accepts = &f->accept_rules[i], .n_accepts = 1};
    for (size_t k = 0; k < f->faults.n; k++)
        if (qr_manifest_fault_accepted(&f->faults.v[k], &one))
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

/* Complete the document under its temporary name; the ledger thread puts
 * it in place once its digest is recorded. */
static void finish_pdf(ing_engine *e, ing_file *f)
{
    size_t n_ovr = 0;
    qr_pdf_override *ovr = applied_overrides(f, &n_ovr);
    if (f->accepts.n && !ovr) {
        qr_err_set(&f->pdf_err, QR_ENOMEM, "%s: out of memory", f->file_id);
        pdf_error(e, f, QR_ENOMEM, 0, NULL);
        return;
    }
    time_t t = f->scan_time >= 0 ? f->scan_time : e->ref_time;
    qr_pdf_meta meta = {.title = archive_title(f), .name = f->file_id, .created = t, .modified = t,
                        .extra = f->meta, .n_extra = f->n_meta,
                        .overrides = ovr, .n_overrides = n_ovr};
    int rc = f->pdf ? qr_pdf_seal(&f->pdf, &meta, f->archive_sha, &f->pdf_err)
                    : qr_err_set(&f->pdf_err, QR_EINVAL, "no page could be archived");
    free(ovr);
    if (rc) {
        pdf_error(e, f, rc, 0, NULL);
        return;
    }
    f->sealed = true;
}

/* Why the count is wrong, naming the pages set aside, so that "9 delivered,
 * 9 expected" never reads as a contradiction: "9 pages delivered for 9
 * expected; set aside: page 5 (repeats page 4), so 8 count". */
static void count_detail(const ing_file *f, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%d page%s delivered for %d expected", f->pages_written,
                     f->pages_written == 1 ? "" : "s", f->expected_pages);
    int listed = 0, aside = f->duplicates + f->separators;
    for (size_t i = 0; i < f->faults.n && aside && n > 0 && (size_t)n < cap; i++) {
        const qr_fault *x = &f->faults.v[i];
        bool dup = x->kind == QR_FAULT_DUPLICATE, sep = x->kind == QR_FAULT_EXTRA_PAGES && x->page;
        if (!dup && !sep)
            continue;
        if (listed == 3) {
            n += snprintf(out + n, cap - (size_t)n, ", ...");
            break;
        }
        n += snprintf(out + n, cap - (size_t)n, "%s page %d (%s)", listed ? "," : "; set aside:",
                      x->page, dup ? "repeats the one before" : "a separator sheet");
        listed++;
    }
    int counted = f->pages_written - aside;
    if (aside && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, ", so %d count", counted);
}

/* Decide the verdict; finish the archive of a clean file, drop a faulty one's. */
static void decide(ing_engine *e, ing_file *f)
{
    qr_file_verdict v;
    int expected = f->in_manifest ? f->expected_pages : 0;
    int counted = f->pages_written - f->duplicates - f->separators;
    if (f->pages_lost && counted < expected)
        expected = 0; /* pages lost in a broken container: the corrupt fault says so */
    qr_manifest_file_verdict(expected, counted, f->faults.v, f->faults.n, &f->rules, &v);
    if (v.has_count_fault) {
        char why[160];
        count_detail(f, why, sizeof why);
        ing_faults_add(&f->faults, v.count_fault.kind, 0, v.count_fault.value,
                       v.count_fault.threshold, "%s", why);
    }
    f->faulty = v.faulty || !f->in_manifest;
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
