/*
 * The transfer note a PDF/A-3b archive carries (transfer-note.json), built
 * by the assembler from the file in memory just before the archive is
 * sealed: the ledger rows it would be read from are only written after the
 * archive is complete (the ledger thread records the archive's digest), and
 * the assembler must not touch the ledger.
 *
 * It is the note of quire evidence (ledger/qr_evidence.h), built in the same
 * structure and written by the same writer (qr_evidence_json), with the same
 * section and column keys and the same values: page rows and metrics come
 * from the functions that make the ledger's rows (ing_metrics_json). So for
 * what it carries, the embedded note and `quire evidence --format json`
 * agree byte for byte per value.
 *
 * It must be the same bytes when a killed run is rerun (archives are
 * compared byte for byte), and it cannot hold the archive's own digest. So
 * it carries only what the same delivery, profile and ledger state give:
 *   file         file_id, version, expected_pages, pages, source_fingerprint
 *   pages        every column but batch and origin_batch
 *   scan, measurements   every column
 *   ingest       quire_version only
 *   profile      the effective profile
 * and leaves out: the batch numbers, started/ended/status, host, operator,
 * delivery and command line of the ingest (a rerun after a kill is another
 * batch, maybe on another host, with other options such as --jobs);
 * archive_sha256 and the integrity section (the archive cannot contain its
 * own digest; its event, seal and time-stamp come later); archive, its path
 * (it depends on how --out was spelled, "out" or "/srv/out": a rerun may
 * spell it otherwise; the name is the file id's); archived_at and
 * current_version (when the ledger recorded it, and what later versions
 * changed); the manifest columns, box, title and listed_by (the inventory's;
 * the XMP carries the manifest row as quire:meta); faults, overrides,
 * rescans, lineage, events and release (the ledger's history of the file,
 * written after the archive). quire evidence shows all of it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "qr_evidence.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0"
#endif

static const char *const FILE_COLS[] = {"file_id", "version", "expected_pages", "pages",
                                        "source_fingerprint"};
static const char *const INGEST_COLS[] = {"quire_version"};
static const char *const PAGE_COLS[] = {
    "page", "source", "source_member", "source_page", "source_sha256", "format", "stored_as",
    "width", "height", "dpi", "skew_deg", "skew_applied_deg", "orientation",
    "rotation_applied", "verdict", "separator_sheet"};
static const char *const SCAN_COLS[] = {"page", "scanned", "scanner_make", "scanner_model",
                                        "scanner_software"};
static const char *const MEASURE_COLS[] = {"page", "metrics"};
static const char *const PROFILE_COLS[] = {"profile"};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values ------------------------------------------------------------------ */

static int v_text(qr_ev_value *v, const char *s)
{
    if (!s)
        return QR_OK; /* none */
    v->type = QR_EV_TEXT;
    return (v->text = qr_strdup(s)) ? QR_OK : QR_ENOMEM;
}

static int v_opt(qr_ev_value *v, const char *s)
{
    return s && s[0] ? v_text(v, s) : QR_OK;
}

static int v_int(qr_ev_value *v, long long n)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", n);
    v->type = QR_EV_NUMBER;
    return (v->text = qr_strdup(s)) ? QR_OK : QR_ENOMEM;
}

/* As the ledger gives a REAL back: the shortest exact form; none when not
 * finite (the ledger stores NULL). */
static int v_real(qr_ev_value *v, double d)
{
    if (!isfinite(d))
        return QR_OK;
    char s[40];
    qr_fmt_double(d, s);
    v->type = QR_EV_NUMBER;
    return (v->text = qr_strdup(s)) ? QR_OK : QR_ENOMEM;
}

static int v_json(qr_ev_value *v, const char *s)
{
    v->type = QR_EV_JSON;
    return (v->text = qr_strdup(s)) ? QR_OK : QR_ENOMEM;
}

/* ---- sections ------------------------------------------------------------------ */

static int section(qr_evidence *ev, const char *key, bool table, const char *const *cols,
                   size_t n_cols, size_t n_rows, qr_ev_section **out)
{
    qr_ev_section *s = &ev->sections[ev->n++];
    s->key = key;
    s->title = key;
    s->table = table;
    s->n_rows = n_rows;
    s->cols = calloc(n_cols, sizeof *s->cols);
    s->cells = calloc(n_cols * (n_rows ? n_rows : 1), sizeof *s->cells);
    if (!s->cols || !s->cells)
        return QR_ENOMEM;
    s->n_cols = n_cols;
    for (size_t i = 0; i < n_cols; i++)
        if (!(s->cols[i] = qr_strdup(cols[i])))
            return QR_ENOMEM;
    *out = s;
    return QR_OK;
}

static int file_section(qr_evidence *ev, const ing_file *f)
{
    qr_ev_section *s;
    int rc = section(ev, "file", false, FILE_COLS, N(FILE_COLS), 1, &s);
    qr_ev_value *c = rc == QR_OK ? s->cells : NULL;
    if (rc == QR_OK)
        rc = v_text(&c[0], f->file_id);
    if (rc == QR_OK)
        rc = v_int(&c[1], f->version);
    if (rc == QR_OK && f->in_manifest)
        rc = v_int(&c[2], f->expected_pages);
    if (rc == QR_OK)
        rc = v_int(&c[3], f->pages_written);
    return rc == QR_OK ? v_opt(&c[4], f->fingerprint) : rc;
}

/* As the ledger's page_verdict: "faulty" when a fault of the page is not
 * accepted, "accepted" when all are, else "ok". */
static const char *page_verdict(const ing_file *f, int page)
{
    const char *v = "ok";
    for (size_t i = 0; i < f->faults.n; i++) {
        if (f->faults.v[i].page != page)
            continue;
        if (!qr_fault_accepted(&f->faults.v[i], &f->rules))
            return "faulty";
        v = "accepted";
    }
    return v;
}

static int page_row(qr_ev_value *c, const ing_file *f, const ing_page_rec *r)
{
    const ing_source *src = &f->sources[r->source_idx];
    int rc = v_int(&c[0], r->page);
    if (rc == QR_OK)
        rc = v_text(&c[1], src->src->name);
    if (rc == QR_OK)
        rc = v_text(&c[2], src->src->member);
    if (rc == QR_OK)
        rc = v_int(&c[3], r->source_page > 0 ? r->source_page : 1);
    if (rc == QR_OK)
        rc = v_opt(&c[4], src->sha256);
    if (rc == QR_OK)
        rc = v_text(&c[5], r->corrupt ? "unreadable" : r->encoding);
    if (rc == QR_OK)
        rc = v_text(&c[6], r->stored);
    if (rc == QR_OK)
        rc = v_int(&c[7], r->width);
    if (rc == QR_OK)
        rc = v_int(&c[8], r->height);
    if (rc == QR_OK)
        rc = v_real(&c[9], r->dpi);
    if (rc == QR_OK)
        rc = v_real(&c[10], r->skew_deg);
    if (rc == QR_OK)
        rc = v_real(&c[11], r->skew_applied_deg);
    if (rc == QR_OK)
        rc = v_int(&c[12], r->orientation);
    if (rc == QR_OK)
        rc = v_int(&c[13], r->orientation);
    if (rc == QR_OK)
        rc = v_text(&c[14], page_verdict(f, r->page));
    return rc == QR_OK ? v_text(&c[15], r->separator ? "yes" : "no") : rc;
}

static int scan_row(qr_ev_value *c, const ing_page_rec *r)
{
    char when[32];
    ing_scan_date(r, when);
    int rc = v_int(&c[0], r->page);
    if (rc == QR_OK)
        rc = v_opt(&c[1], when);
    if (rc == QR_OK)
        rc = v_opt(&c[2], r->scanner.make);
    if (rc == QR_OK)
        rc = v_opt(&c[3], r->scanner.model);
    return rc == QR_OK ? v_opt(&c[4], r->scanner.software) : rc;
}

static int measure_row(qr_ev_value *c, const ing_page_rec *r)
{
    char json[1024];
    ing_metrics_json(r, json, sizeof json);
    int rc = v_int(&c[0], r->page);
    return rc == QR_OK ? v_json(&c[1], json) : rc;
}

static int page_sections(qr_evidence *ev, const ing_file *f)
{
    qr_ev_section *p, *s, *m;
    int rc = section(ev, "pages", true, PAGE_COLS, N(PAGE_COLS), f->n_recs, &p);
    if (rc == QR_OK)
        rc = section(ev, "scan", true, SCAN_COLS, N(SCAN_COLS), f->n_recs, &s);
    if (rc == QR_OK)
        rc = section(ev, "measurements", true, MEASURE_COLS, N(MEASURE_COLS), f->n_recs, &m);
    for (size_t i = 0; rc == QR_OK && i < f->n_recs; i++) {
        rc = page_row(p->cells + i * N(PAGE_COLS), f, &f->recs[i]);
        if (rc == QR_OK)
            rc = scan_row(s->cells + i * N(SCAN_COLS), &f->recs[i]);
        if (rc == QR_OK)
            rc = measure_row(m->cells + i * N(MEASURE_COLS), &f->recs[i]);
    }
    return rc;
}

/* The profile as the batch records it after the command line. */
static int profile_section(qr_evidence *ev, const ing_engine *e)
{
    qr_ev_section *s;
    int rc = section(ev, "profile", false, PROFILE_COLS, 1, 1, &s);
    if (rc != QR_OK)
        return rc;
    char *text = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&text, &len);
    if (!mf)
        return QR_ENOMEM;
    fputs("# effective profile\n", mf);
    qr_profile_print(&e->profile, mf);
    if (fclose(mf)) {
        free(text);
        return QR_ENOMEM;
    }
    s->cells[0].type = QR_EV_TEXT;
    s->cells[0].text = text;
    return QR_OK;
}

static int build(const ing_engine *e, const ing_file *f, qr_evidence *ev)
{
    if (!(ev->file_id = qr_strdup(f->file_id)) || !(ev->sections = calloc(6, sizeof *ev->sections)))
        return QR_ENOMEM;
    ev->version = f->version;
    int rc = file_section(ev, f);
    qr_ev_section *s;
    if (rc == QR_OK)
        rc = section(ev, "ingest", false, INGEST_COLS, 1, 1, &s);
    if (rc == QR_OK)
        rc = v_text(&s->cells[0], QUIRE_VERSION);
    if (rc == QR_OK)
        rc = page_sections(ev, f);
    return rc == QR_OK ? profile_section(ev, e) : rc;
}

int ing_note_json(const ing_engine *e, const ing_file *f, qr_buf *out)
{
    qr_evidence ev = {0};
    int rc = build(e, f, &ev);
    if (rc == QR_OK)
        rc = qr_evidence_json(&ev, out);
    qr_evidence_free(&ev);
    return rc;
}
