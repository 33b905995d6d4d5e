/*
 * Partial rescans: a delivery that holds only the pages a rescan job asked
 * for ("PLN-0042/0003.tif" replaces page 3) is merged with the file's
 * earlier pages before the pipeline sees it, so the file is checked again
 * as a whole (page count, duplicates across the seam) and archived as a new
 * version.
 *
 * Why the earlier pages are read again from where the ledger says they were
 * read, rather than out of the previous archive: a faulty file has no
 * archive, and the source is the evidence the provenance XMP points to.
 * Each kept page must still hash to the SHA-256 the ledger recorded; one
 * that changed or vanished is reported on that page, naming the batch that
 * delivered it, and the file stays faulty until it is delivered whole.
 *
 * The merge happens only when all of this holds, so a normal delivery is
 * never reinterpreted: the file has a rescan job that is not closed (or
 * these very sources were delivered before: a rerun after a reviewer's
 * accept closed the job must merge the same way, not see a short file), the
 * delivery has fewer pages than the manifest expects, every delivered name is
 * a page number within the expected count and appears once, the earlier
 * outcome had exactly the expected pages (else its positions are shifted by a
 * missing, extra or doubled sheet, and the file must come whole), and the
 * ledger knows where the earlier pages came from. Pages that were members of a
 * zip/tar cannot be read back here (their archive is not opened); they are
 * left out and named, and the page count fault says the file is short.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "qr_ledger.h"

/* "DIR/0003.tif" -> 3; 0 when the base name is not digits + extension. */
static int page_number(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *colon = strrchr(base, ':');
    if (colon)
        base = colon + 1;
    long n = 0;
    const char *p = base;
    for (; isdigit((unsigned char)*p) && n < 1000000; p++)
        n = n * 10 + (*p - '0');
    if (p == base || (*p && *p != '.'))
        return 0;
    return (int)n;
}

/* Each delivered source's page number; false when one is not a page number,
 * is beyond the expected count or repeats. */
static bool delivered_pages(const qr_delivery_file *df, int expected, int *by_page)
{
    for (size_t i = 0; i < df->n_sources; i++) {
        int p = df->sources[i].container ? 0 : page_number(df->sources[i].name);
        if (p < 1 || p > expected || by_page[p] >= 0)
            return false;
        by_page[p] = (int)i;
    }
    return true;
}

static bool has_live_job(qr_ledger *l, const char *file_id, qr_err *err, int *rc)
{
    qr_ledger_rescan_list jobs;
    *rc = qr_ledger_rescan_jobs(l, file_id, true, &jobs, err);
    bool live = *rc == QR_OK && jobs.n > 0;
    qr_ledger_rescan_list_free(&jobs);
    return live;
}

static int keep_page(ing_file *f, ing_source *dst, const qr_ledger_prior_page *pp)
{
    qr_delivery_source *k = &f->kept[f->n_kept++];
    memset(k, 0, sizeof *k);
    k->name = qr_strdup(pp->source ? pp->source : "");
    k->abs_path = qr_strdup(pp->source_path);
    if (!k->name || !k->abs_path)
        return QR_ENOMEM;
    dst->src = k;
    dst->only_page = pp->source_page > 0 ? pp->source_page : 1;
    snprintf(dst->expect_sha256, sizeof dst->expect_sha256, "%s",
             pp->source_sha256 ? pp->source_sha256 : "");
    dst->origin_batch = pp->origin_batch;
    return QR_OK;
}

static const qr_ledger_prior_page *prior_at(const qr_ledger_prior_pages *pp, int page)
{
    for (size_t i = 0; i < pp->n; i++)
        if (pp->v[i].page == page)
            return &pp->v[i];
    return NULL;
}

/* Say why an earlier page cannot be kept. */
static void unkeepable(FILE *diag, const ing_file *f, int page, const qr_ledger_prior_page *pp)
{
    if (!diag)
        return;
    if (!pp)
        fprintf(diag, "%s: page %d is neither in this rescan nor in the earlier outcome\n",
                f->file_id, page);
    else
        fprintf(diag, "%s: page %d (%s, batch %lld) was %s; a partial rescan cannot keep it: "
                "deliver the whole file\n", f->file_id, page, pp->source ? pp->source : "?",
                (long long)pp->origin_batch,
                pp->source_member ? "an archive member" : "recorded without its location");
}

/* Page N of the earlier outcome is sheet N only when that outcome had
 * exactly the expected pages: after a missing, extra or doubled sheet the
 * positions are shifted, and replacing "page 3" would keep the wrong sheets. */
static bool positions_hold(const ing_file *f, const qr_ledger_prior_pages *pp, FILE *diag)
{
    bool ok = (int)pp->n == f->expected_pages;
    for (size_t i = 0; ok && i < pp->n; i++)
        ok = pp->v[i].page == (int)i + 1;
    if (!ok && diag)
        fprintf(diag, "%s: not a partial rescan: version %d held %zu pages for the %d "
                "expected, so its page numbers are not the sheets'; deliver the whole file\n",
                f->file_id, pp->version, pp->n, f->expected_pages);
    return ok;
}

static int build_sources(ing_file *f, const qr_delivery_file *df, const int *by_page,
                         const qr_ledger_prior_pages *pp, FILE *diag)
{
    int e = f->expected_pages;
    ing_source *v = calloc((size_t)e, sizeof *v);
    f->kept = calloc((size_t)e, sizeof *f->kept);
    if (!v || !f->kept) {
        free(v);
        return QR_ENOMEM;
    }
    int n = 0;
    for (int p = 1; p <= e; p++) {
        if (by_page[p] >= 0) {
            v[n++].src = &df->sources[by_page[p]];
            continue;
        }
        const qr_ledger_prior_page *k = prior_at(pp, p);
        if (!k || !k->source_path || k->source_member) {
            unkeepable(diag, f, p, k);
            continue;
        }
        if (keep_page(f, &v[n++], k)) {
            free(v);
            return QR_ENOMEM;
        }
    }
    free(f->sources);
    f->sources = v;
    f->n_sources = n;
    f->rescan_replaced = (int)df->n_sources;
    return QR_OK;
}

int ing_rescan_merge(qr_ledger *l, ing_file *f, const qr_delivery_file *df, bool rerun,
                     FILE *diag, qr_err *err)
{
    int rc = QR_OK;
    int e = f->expected_pages;
    if (!f->in_manifest || e <= 0 || df->n_sources == 0 || (int)df->n_sources >= e ||
        (!rerun && !has_live_job(l, f->file_id, err, &rc)))
        return rc;
    int *by_page = malloc(((size_t)e + 1) * sizeof *by_page);
    if (!by_page)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    for (int i = 0; i <= e; i++)
        by_page[i] = -1;
    qr_ledger_prior_pages pp = {0};
    if (delivered_pages(df, e, by_page) &&
        (rc = qr_ledger_prior_pages_of(l, f->file_id, &pp, err)) == QR_OK && pp.n > 0 &&
        positions_hold(f, &pp, diag)) {
        rc = build_sources(f, df, by_page, &pp, diag);
        if (rc == QR_ENOMEM)
            qr_err_set(err, rc, "out of memory");
        else if (diag)
            fprintf(diag, "%s: partial rescan: %zu page%s replaced, the rest kept from "
                    "version %d\n", f->file_id, df->n_sources, df->n_sources == 1 ? "" : "s",
                    pp.version);
    }
    qr_ledger_prior_pages_free(&pp);
    free(by_page);
    return rc;
}

void ing_rescan_free(ing_file *f)
{
    for (int i = 0; i < f->n_kept; i++) {
        free(f->kept[i].name);
        free(f->kept[i].abs_path);
    }
    free(f->kept);
    f->kept = NULL;
    f->n_kept = 0;
}
