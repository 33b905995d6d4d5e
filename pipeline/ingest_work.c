/*
 * The worker threads: each takes the bytes of one source, and for every page
 * in it runs decode -> analyse -> correct -> encode, then hands the page to
 * the assembler. Stages are pure; a worker keeps no state between jobs except
 * what the stages allocate per call.
 *
 * A page that needs no correction keeps its original G4 or JPEG bytes
 * (copied out of the source buffer, which goes back to the reader's budget as
 * soon as the source is done). Everything else is re-encoded: G4 for bitonal
 * pages, JPEG (or Flate with --lossless) for gray and colour.
 *
 * A gray or colour page that would decode to more than limits.band_bytes is
 * never whole in memory: the decoder hands it over band by band
 * (qr_image_decode_bands), and each band goes to the band reducer, which
 * keeps the 300 dpi luma copy the analysis reads, and, unless the page's own
 * JPEG is stored, to the band encoder. The worker then holds the copy, one
 * band and the encoded stream (see the README's limits for the ceiling).
 *
 * Errors live in the page: a source that cannot be opened or a page that
 * cannot be decoded becomes a page marked failed, with the decoder's message;
 * the file gets a `corrupt` fault and the run goes on.
 */
#include <allheaders.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest_int.h"
#include "qr_io.h"
#include "qr_stages.h"

static void send_page(ing_engine *e, ing_page *p)
{
    void *item = p;
    if (!qr_queue_send(e->pages, &item))
        ing_page_free(p);
}

static ing_page *new_page(ing_job *j, bool last)
{
    ing_page *p = calloc(1, sizeof *p);
    if (p) {
        p->file = j->file;
        p->source_idx = j->source_idx;
        p->last_of_source = last;
        p->scan_time = -1;
    }
    return p;
}

static void send_failed(ing_engine *e, ing_job *j, int source_page, bool last, const char *msg)
{
    ing_page *p = new_page(j, last);
    if (!p)
        return;
    p->failed = true;
    p->rec.source_page = source_page;
    qr_copy_str(p->error, sizeof p->error, msg);
    send_page(e, p);
}

/* How the engine stores pages (page_image.c has the rule); the job's
 * buffer is released before the archive is written, so a kept original is
 * copied. */
static qr_store_opts store_opts(const ing_engine *e)
{
    const qr_ingest_opts *o = e->opts;
    return (qr_store_opts){o->lossless, o->jpeg_quality, o->limits.max_page_bytes, true};
}

/* The page's image for the archive, and what the archive holds. */
static int page_image(ing_engine *e, ing_page *p, const qr_page *pg, qr_err *err)
{
    qr_store_opts so = store_opts(e);
    const char *stored = "";
    int rc = qr_page_pdf_image(pg, &so, &p->img, &p->payload, &stored, err);
    snprintf(p->rec.stored, sizeof p->rec.stored, "%s", stored);
    return rc;
}

/* Page-level faults: the verdict rules of stages/verdict.c. */
static void analysis_faults(ing_engine *e, ing_page *p, const qr_analysis *an,
                            const qr_correction *cor)
{
    int max = (int)(sizeof p->faults / sizeof p->faults[0]) - p->n_faults;
    p->n_faults += qr_page_faults(an, cor, &e->profile, p->faults + p->n_faults, max);
}

static void fill_record(ing_page *p, const qr_page *pg, const qr_analysis *an,
                        const qr_correction *cor)
{
    ing_page_rec *r = &p->rec;
    snprintf(r->encoding, sizeof r->encoding, "%s", pg->encoding);
    r->width = p->img.width;
    r->height = p->img.height;
    double xd = p->img.xdpi, yd = p->img.ydpi; /* set by page_dpi */
    r->dpi = xd < yd ? xd : yd;
    r->skew_deg = an->skew_deg;
    r->skew_applied_deg = cor->skew_applied_deg;
    r->orientation = cor->rotation;
    r->metrics[0] = an->skew_conf;
    r->metrics[1] = an->orient_conf;
    r->metrics[2] = an->ink_fraction;
    r->metrics[3] = an->centre_ink_fraction;
    r->metrics[4] = an->mean_luma;
    r->metrics[5] = an->paper_luma;
    r->metrics[6] = an->contrast;
    r->metrics[7] = an->blank;
    r->separator = an->separator;
    p->scan_time = pg->scan_time;
    r->scan_time = pg->scan_time;
    r->scanner = pg->scanner;
}

/* Charge the CPU time since *t to a stage and restart the clock. */
static void lap(double *cpu, qr_ingest_stage s, double *t)
{
    double now = ing_thread_cpu();
    cpu[s] += now - *t;
    *t = now;
}

/* The page's resolution in the archive (qr_page_dpi: the file's, else the
 * assumed one, recorded as such); refuses a page PDF cannot hold. */
static int page_dpi(ing_engine *e, ing_page *p, qr_page *pg, int w, int h, qr_err *err)
{
    return qr_page_dpi(pg, w, h, e->opts->assume_dpi, &p->img.xdpi, &p->img.ydpi,
                       &p->rec.dpi_assumed, err);
}

/* analyse -> correct -> encode -> signature for one page already decoded. */
static int run_stages(ing_engine *e, ing_page *p, qr_page *pg, double *cpu, qr_err *err)
{
    qr_analysis an;
    qr_correction cor = {0};
    double t = ing_thread_cpu();
    int rc = page_dpi(e, p, pg, pixGetWidth(pg->pix), pixGetHeight(pg->pix), err);
    if (rc)
        return rc;
    rc = qr_analyze(pg->pix, pg->xdpi, pg->ydpi, &e->profile, &an, err);
    lap(cpu, QR_STAGE_ANALYSE, &t);
    if (rc)
        return rc;
    /* The correction is the page's drawing matrix: the stored image stays the
     * scanner's bytes whenever its codec can be passed through. */
    qr_correct_plan(&an, &e->profile, &cor);
    p->img.view_turn = (360 - cor.rotation) % 360;
    p->img.view_rotate_deg = cor.skew_applied_deg;
    lap(cpu, QR_STAGE_CORRECT, &t);
    rc = page_image(e, p, pg, err);
    lap(cpu, QR_STAGE_ENCODE, &t);
    p->sig = malloc(sizeof *p->sig);
    if (p->sig && qr_signature_compute(pg->pix, &an, p->sig, NULL)) {
        free(p->sig);
        p->sig = NULL;
    }
    lap(cpu, QR_STAGE_SIGNATURE, &t);
    fill_record(p, pg, &an, &cor);
    analysis_faults(e, p, &an, &cor);
    lap(cpu, QR_STAGE_ANALYSE, &t);
    return rc;
}

/* ---- pages too large to hold whole ------------------------------------ */

/* The sink of a banded page: every band to the reducer and, unless the
 * page's own JPEG is stored, to the encoder. CPU time is charged as it
 * goes: decoding until a band arrives, then reducing, then encoding. */
typedef struct band_job {
    ing_engine *e;
    double *cpu, *t;
    qr_band_reducer *red;
    qr_band_encoder *enc;
    int width, height, depth;
} band_job;

static int band_start(void *ctx, const qr_page *pg, int w, int h, int depth, qr_err *err)
{
    band_job *b = ctx;
    b->width = w;
    b->height = h;
    b->depth = depth;
    int rc = qr_band_reducer_new(w, h, depth, pg->xdpi, pg->ydpi, &b->e->profile, &b->red, err);
    qr_store_opts so = store_opts(b->e);
    if (rc == QR_OK)
        rc = qr_page_band_encoder(pg, &so, w, h, depth, &b->enc, err);
    return rc;
}

static int band_rows(void *ctx, const PIX *band, int y0, qr_err *err)
{
    (void)y0;
    band_job *b = ctx;
    lap(b->cpu, QR_STAGE_DECODE, b->t);
    int rc = qr_band_reducer_rows(b->red, band, err);
    lap(b->cpu, QR_STAGE_ANALYSE, b->t);
    if (rc == QR_OK && b->enc)
        rc = qr_band_encoder_rows(b->enc, band, err);
    lap(b->cpu, QR_STAGE_ENCODE, b->t);
    return rc;
}

static void band_job_free(band_job *b)
{
    qr_band_reducer_free(&b->red);
    qr_band_encoder_free(&b->enc);
}

static int banded_payload(ing_engine *e, ing_page *p, qr_page *pg, band_job *b, qr_err *err)
{
    qr_store_opts so = store_opts(e);
    const char *stored = "";
    int rc = qr_page_pdf_image_banded(pg, &so, &b->enc, b->width, b->height, b->depth, &p->img,
                                      &p->payload, &stored, err);
    snprintf(p->rec.stored, sizeof p->rec.stored, "%s", stored);
    return rc;
}

/* analyse the reduced copy -> correct -> the encoded stream -> signature. */
static int run_banded(ing_engine *e, ing_page *p, qr_page *pg, band_job *b, double *cpu,
                      qr_err *err)
{
    double t = ing_thread_cpu(), rx = 0, ry = 0;
    int rc = page_dpi(e, p, pg, b->width, b->height, err);
    if (rc)
        return rc;
    PIX *copy = qr_band_reducer_finish(&b->red, &rx, &ry, err);
    if (!copy)
        return err->code ? err->code : QR_ENOMEM;
    qr_analysis an;
    qr_correction cor = {0};
    rc = qr_analyze(copy, rx, ry, &e->profile, &an, err);
    lap(cpu, QR_STAGE_ANALYSE, &t);
    p->sig = rc == QR_OK ? malloc(sizeof *p->sig) : NULL;
    if (p->sig && qr_signature_compute(copy, &an, p->sig, NULL)) {
        free(p->sig);
        p->sig = NULL;
    }
    pixDestroy(&copy);
    lap(cpu, QR_STAGE_SIGNATURE, &t);
    if (rc)
        return rc;
    qr_analysis_of_page(&an, b->width, b->height, b->depth, pg->xdpi, pg->ydpi, &e->profile);
    qr_correct_plan(&an, &e->profile, &cor);
    p->img.view_turn = (360 - cor.rotation) % 360;
    p->img.view_rotate_deg = cor.skew_applied_deg;
    rc = banded_payload(e, p, pg, b, err);
    lap(cpu, QR_STAGE_ENCODE, &t);
    fill_record(p, pg, &an, &cor);
    analysis_faults(e, p, &an, &cor);
    return rc;
}

static void process_page(ing_engine *e, ing_job *j, qr_image_reader *rd, int i, bool last,
                         double *cpu)
{
    ing_page *p = new_page(j, last);
    if (!p)
        return;
    p->rec.source_page = i + 1;
    qr_page pg = {0};
    qr_err err = {0};
    double t = ing_thread_cpu();
    band_job b = {.e = e, .cpu = cpu, .t = &t};
    qr_band_sink sink = {&b, band_start, band_rows};
    int rc = qr_image_decode_bands(rd, i, &pg, &sink, &err);
    lap(cpu, QR_STAGE_DECODE, &t);
    if (!rc)
        rc = pg.banded ? run_banded(e, p, &pg, &b, cpu, &err) : run_stages(e, p, &pg, cpu, &err);
    band_job_free(&b);
    snprintf(p->note, sizeof p->note, "%s", pg.note);
    qr_page_clear(&pg);
    if (rc) {
        p->failed = true;
        snprintf(p->error, sizeof p->error, "%s", err.msg);
        free(p->payload);
        p->payload = NULL;
        if (rc == QR_ENOMEM || rc == QR_EFATAL)
            ing_engine_fail(e, &err);
    }
    send_page(e, p);
}

/* A page named .tif/.jpg/.png whose header is no image at all was damaged,
 * not delivered in an exotic format: say so. */
static void explain_unknown(const char *name, qr_err *err)
{
    static const char *const exts[] = {".tif", ".tiff", ".jpg", ".jpeg", ".png"};
    const char *dot = strrchr(name, '.');
    if (!dot || err->code != QR_EUNSUPPORTED || !strstr(err->msg, "unknown format"))
        return;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0) {
            qr_err_set(err, QR_ECORRUPT, "corrupt: no valid image header in a %s file", dot);
            return;
        }
}

/* A container whose page chain breaks: its pages after the break are lost,
 * and how many they were is unknown. One failed page stands for them. */
static void send_lost(ing_engine *e, ing_job *j, int source_page, const char *msg)
{
    ing_page *p = new_page(j, true);
    if (!p)
        return;
    p->failed = true;
    p->pages_lost = true;
    p->rec.source_page = source_page;
    qr_copy_str(p->error, sizeof p->error, msg);
    send_page(e, p);
}

static void process_job(ing_engine *e, ing_job *j)
{
    ing_source *src = &j->file->sources[j->source_idx];
    if (j->read_code && src->expect_sha256[0]) {
        char msg[sizeof j->read_msg + 128];
        snprintf(msg, sizeof msg, "the page kept from batch %lld cannot be read (%s): deliver "
                 "the whole file", (long long)src->origin_batch, j->read_msg);
        send_failed(e, j, src->only_page > 0 ? src->only_page : 1, true, msg);
        return;
    }
    if (j->read_code) {
        send_failed(e, j, 1, true, j->read_msg);
        return;
    }
    double cpu[QR_STAGE__COUNT] = {0}, t = ing_thread_cpu();
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_once(j->data, j->len, d);
    qr_hex(d, sizeof d, src->sha256);
    if (src->expect_sha256[0] && strcmp(src->sha256, src->expect_sha256)) {
        char msg[512];
        snprintf(msg, sizeof msg, "the page kept from batch %lld changed since (SHA-256 %.12s..., "
                 "recorded %.12s...): deliver the whole file", (long long)src->origin_batch,
                 src->sha256, src->expect_sha256);
        send_failed(e, j, src->only_page > 0 ? src->only_page : 1, true, msg);
        return;
    }
    qr_image_reader *rd = NULL;
    qr_err err = {0};
    /* Pages are stored as the scanner wrote them whenever possible, so a
     * colour JPEG's pixels serve only the analysis, which reads luma. */
    qr_limits lim = e->opts->limits;
    lim.luma_when_passthrough = true;
    if (qr_image_open(j->data, j->len, &lim, &rd, &err)) {
        explain_unknown(src->src->name, &err);
        send_failed(e, j, 1, true, err.msg);
        return;
    }
    lap(cpu, QR_STAGE_DECODE, &t); /* hashing and opening the source */
    int n = qr_image_pages(rd);
    const char *broken = qr_image_broken(rd); /* then page n stands for the lost ones */
    if (n <= 0)
        send_failed(e, j, 1, true, "corrupt: no pages");
    else if (src->only_page > 0 && src->only_page > (broken ? n - 1 : n))
        send_failed(e, j, src->only_page, true, "the page kept from an earlier delivery is no "
                    "longer in its source: deliver the whole file");
    else if (src->only_page > 0)
        process_page(e, j, rd, src->only_page - 1, true, cpu);
    for (int i = 0; src->only_page <= 0 && i < (broken ? n - 1 : n); i++)
        process_page(e, j, rd, i, i == n - 1, cpu);
    if (broken && n > 0 && src->only_page <= 0)
        send_lost(e, j, n, broken);
    qr_image_close(&rd);
    ing_stage_add(e, cpu);
}

void *ing_worker_main(void *arg)
{
    ing_engine *e = arg;
    void *item;
    while (qr_queue_recv(e->jobs, &item)) {
        ing_job *j = item;
        process_job(e, j);
        ing_job_release(e, j);
    }
    return NULL;
}
