/*
 * bench_ledger_gen: a whole project's ledger, made up, for timing what the
 * project office reads from it (quire status, quire report).
 *
 * Usage: bench_ledger_gen --out PATH [--files N] [--pages N | --pages-per-file N]
 *                         [--boxes N] [--batches N] [--days N] [--end YYYY-MM-DD]
 *                         [--seed N]
 *
 * Why generated and why through the public API: the target is stated for a
 * ledger of 1,000,000 pages and 30,000 files, which no test delivery can
 * produce in reasonable time; and a ledger written with SQL of our own would
 * time a schema quire never writes. So every row comes from the calls ingest
 * makes (inventory upsert from a stock list, batch begin/end, commit_file
 * with pages, faults and the event chain, rescan jobs through the outcome
 * rule) with only the image work left out.
 *
 * What it looks like (defaults): 30,000 inventory files in 300 boxes holding
 * 1,000,000 expected pages in total (about 33 a file, varying 1/3 .. 5/3 of
 * that), imported one week before the first delivery; 100 batches over the
 * 120 days that end with --end (today by default), so the throughput windows
 * of `quire status` see recent work; files delivered box by box, the last
 * tenth never; of the delivered ones about 5.6 % currently faulty with one to
 * four faults of the real kinds (some of them failed twice), 6 % archived by a
 * later rescan of their faulty pages, 3 % with a second archive version asked
 * for by a reviewer (a rescan job submitted and then delivered), 2 % archived
 * with an accepted fault; a plan from 0 % at the first day to 100 % after 180
 * days. Page rows carry the metrics JSON ingest writes.
 *
 * Runs on one thread; each batch is one transaction. The seed fixes every
 * choice; the dates follow --end, so pass it for a byte-stable ledger.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "qr_fault.h"
#include "qr_ledger.h"
#include "qr_manifest.h"
#include "qr_util.h"

#define MAX_STEPS 3
#define MAX_FAULTS 5
#define FILE_SPACING_S 7 /* seconds between two files of a batch */

typedef struct gen_opts {
    long files;
    int64_t pages;
    int boxes, batches, days;
    int32_t end_day;
    const char *out;
    uint64_t seed;
} gen_opts;

/* One outcome a file will receive. */
typedef enum step_kind {
    STEP_ARCHIVE = 0,   /* archived, all pages fresh */
    STEP_ARCHIVE_OK,    /* archived with one accepted fault */
    STEP_FAULTY,        /* faulty, 1..4 faults */
    STEP_RESCAN,        /* archived; only the rescan job's pages fresh */
    STEP_REVIEW         /* reviewer's rescan of an archived file: job, then a new version */
} step_kind;

typedef struct gen_step {
    int batch;
    step_kind kind;
} gen_step;

typedef struct gen_file {
    char id[24];
    int box, pages;
    int n_steps;
    gen_step steps[MAX_STEPS];
    int archives;       /* archive versions recorded so far */
    int first_batch;    /* ledger id of the batch that first delivered it */
    int fault_pages[MAX_FAULTS];
    int n_fault_pages;  /* pages faulted last time: a rescan re-delivers these */
    bool whole;         /* ... unless a page was missing: then the whole file */
} gen_file;

typedef struct gen_stats {
    int64_t outcomes, page_rows, faults, jobs_submitted;
} gen_stats;

typedef struct gen {
    gen_opts o;
    uint64_t rng;
    gen_file *f;
    int64_t *batch_ids;  /* by batch number 1..batches */
    qr_ledger *l;
    time_t clock;
    gen_stats s;
} gen;

/* ---- Randomness (splitmix64: fixed by the seed, same on every machine) ---- */

static uint64_t rnd(gen *g)
{
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(gen *g) { return (double)(rnd(g) >> 11) / 9007199254740992.0; }

static int rnd_int(gen *g, int lo, int hi) { return lo + (int)(rnd(g) % (uint64_t)(hi - lo + 1)); }

static void rnd_hex(gen *g, char out[QR_SHA256_HEX])
{
    uint8_t b[QR_SHA256_LEN];
    for (size_t i = 0; i < sizeof b; i += 8) {
        uint64_t v = rnd(g);
        memcpy(b + i, &v, 8);
    }
    qr_hex(b, sizeof b, out);
}

/* ---- Options ------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: bench_ledger_gen --out PATH [--files N] [--pages N | "
                    "--pages-per-file N] [--boxes N]\n"
                    "                        [--batches N] [--days N] [--end YYYY-MM-DD] "
                    "[--seed N]\n");
}

static bool num_arg(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || *end || end == s || n < lo || n > hi)
        return false;
    *v = n;
    return true;
}

static int32_t today_day(void) { return (int32_t)(time(NULL) / 86400); }

static bool parse_one(gen_opts *o, const char *k, const char *v, long *ppf)
{
    long n = 0;
    if (!strcmp(k, "--out"))
        return (o->out = v) != NULL;
    if (!strcmp(k, "--end"))
        return qr_ledger_date_parse(v, &o->end_day);
    if (!strcmp(k, "--seed") && num_arg(v, 0, INT64_MAX / 2, &n))
        return (o->seed = (uint64_t)n), true;
    if (!strcmp(k, "--files") && num_arg(v, 1, 10000000, &n))
        return (o->files = n), true;
    if (!strcmp(k, "--pages") && num_arg(v, 1, INT64_MAX / 4, &n))
        return (o->pages = n), true;
    if (!strcmp(k, "--pages-per-file") && num_arg(v, 1, QR_MANIFEST_MAX_PAGES / 2, &n))
        return (*ppf = n), true;
    if (!strcmp(k, "--boxes") && num_arg(v, 1, 1000000, &n))
        return (o->boxes = (int)n), true;
    if (!strcmp(k, "--batches") && num_arg(v, 2, 100000, &n))
        return (o->batches = (int)n), true;
    if (!strcmp(k, "--days") && num_arg(v, 2, 100000, &n))
        return (o->days = (int)n), true;
    return false;
}

static bool parse_args(int argc, char **argv, gen_opts *o)
{
    *o = (gen_opts){.files = 30000, .pages = 1000000, .boxes = 0, .batches = 100,
                    .days = 120, .end_day = today_day(), .seed = 1};
    long ppf = 0;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || !parse_one(o, argv[i], argv[i + 1], &ppf)) {
            fprintf(stderr, "bench_ledger_gen: bad or incomplete option: %s\n", argv[i]);
            return false;
        }
    }
    if (ppf)
        o->pages = ppf * o->files;
    if (!o->boxes)
        o->boxes = o->files >= 100 ? (int)(o->files / 100) : 1;
    if (!o->out || o->pages < o->files) {
        fprintf(stderr, "bench_ledger_gen: %s\n", !o->out ? "--out is required"
                                                          : "fewer pages than files");
        return false;
    }
    return true;
}

/* ---- The project's shape ------------------------------------------------- */

/* Page counts: each file mean*(1/3 .. 5/3), then nudged so the sum is exact. */
static void shape_pages(gen *g)
{
    double mean = (double)g->o.pages / (double)g->o.files;
    int64_t sum = 0;
    for (long i = 0; i < g->o.files; i++) {
        int p = (int)(mean * (1.0 / 3 + unif(g) * 4.0 / 3) + 0.5);
        g->f[i].pages = p < 1 ? 1 : p > QR_MANIFEST_MAX_PAGES ? QR_MANIFEST_MAX_PAGES : p;
        sum += g->f[i].pages;
    }
    for (long i = 0; sum != g->o.pages; i = (i + 1) % g->o.files) {
        int d = sum < g->o.pages ? 1 : -1;
        if (g->f[i].pages + d < 1 || g->f[i].pages + d > QR_MANIFEST_MAX_PAGES)
            continue;
        g->f[i].pages += d;
        sum += d;
    }
}

static void add_step(gen_file *f, int batch, step_kind k)
{
    f->steps[f->n_steps++] = (gen_step){batch, k};
}

/* A later batch for a rescan, or 0 when the project's batches end first. */
static int later_batch(gen *g, int b)
{
    int r = b + rnd_int(g, 2, 15);
    return r <= g->o.batches ? r : 0;
}

/* Decide the outcomes of one delivered file first delivered in batch b. */
static void plan_file(gen *g, gen_file *f, int b)
{
    double u = unif(g);
    int r = later_batch(g, b);
    if (u < 0.0556) {                         /* currently faulty */
        add_step(f, b, STEP_FAULTY);
        if (r && unif(g) < 0.25)
            add_step(f, r, STEP_FAULTY);      /* the rescan failed too */
    } else if (u < 0.0556 + 0.06 && r) {      /* faulty, then archived by a rescan */
        add_step(f, b, STEP_FAULTY);
        add_step(f, r, STEP_RESCAN);
    } else if (u < 0.0556 + 0.09 && r) {      /* archived, then a reviewer's second version */
        add_step(f, b, STEP_ARCHIVE);
        add_step(f, r, STEP_REVIEW);
    } else {
        add_step(f, b, u < 0.0556 + 0.11 ? STEP_ARCHIVE_OK : STEP_ARCHIVE);
    }
}

static void shape_project(gen *g)
{
    shape_pages(g);
    long delivered = g->o.files - g->o.files / 10;
    for (long i = 0; i < g->o.files; i++) {
        gen_file *f = &g->f[i];
        f->box = (int)(i * g->o.boxes / g->o.files) + 1;
        snprintf(f->id, sizeof f->id, "F%07ld", i + 1);
        if (i < delivered)
            plan_file(g, f, (int)(i * g->o.batches / delivered) + 1);
    }
}

/* ---- Clock ------------------------------------------------------------------ */

/* Batch b (1-based) starts between 08:00 and 12:00 of its day; the batches
 * are spread evenly over the days ending with end_day. */
static time_t batch_start(gen *g, int b)
{
    int64_t first = (int64_t)g->o.end_day - g->o.days + 1;
    int64_t day = first + (int64_t)(b - 1) * (g->o.days - 1) / (g->o.batches - 1);
    return (time_t)(day * 86400 + 8 * 3600 + rnd_int(g, 0, 4 * 3600));
}

static void tick(gen *g, time_t t)
{
    g->clock = t;
    qr_ledger_set_time(g->l, t);
}

/* ---- Inventory and plan -------------------------------------------------------- */

static int import_inventory(gen *g, qr_err *err)
{
    qr_buf csv = {0};
    int rc = qr_buf_printf(&csv, "file_id,box,expected_pages,title\n");
    for (long i = 0; rc == QR_OK && i < g->o.files; i++)
        rc = qr_buf_printf(&csv, "%s,BOX-%04d,%d,Case file %ld\n", g->f[i].id, g->f[i].box,
                           g->f[i].pages, i + 1);
    qr_manifest *m = NULL;
    if (rc == QR_OK)
        rc = qr_manifest_parse("stock.csv", csv.data, csv.len, QR_MANIFEST_STOCK, &m, err);
    qr_buf_free(&csv);
    qr_ledger_upsert_result res = {0};
    tick(g, batch_start(g, 1) - 7 * 86400);
    if (rc == QR_OK)
        rc = qr_ledger_inventory_upsert(g->l, m, QR_LEDGER_SRC_STOCK, 0, true, &res, err);
    if (rc == QR_OK && (res.added != (size_t)g->o.files || res.n_conflicts))
        rc = qr_err_set(err, QR_EFATAL, "inventory: %zu added of %ld", res.added, g->o.files);
    qr_ledger_upsert_result_free(&res);
    qr_manifest_free(&m);
    return rc;
}

static int set_plan(gen *g, qr_err *err)
{
    qr_ledger_plan_point pts[2] = {{.percent = 0}, {.percent = 100}};
    time_t t0 = batch_start(g, 1);
    time_t t1 = t0 + 180 * 86400;
    struct tm tm;
    strftime(pts[0].date, sizeof pts[0].date, "%Y-%m-%d", gmtime_r(&t0, &tm));
    strftime(pts[1].date, sizeof pts[1].date, "%Y-%m-%d", gmtime_r(&t1, &tm));
    return qr_ledger_plan_set(g->l, pts, 2, true, "office", NULL, err);
}

/* ---- One outcome ---------------------------------------------------------------- */

static const qr_fault_kind PAGE_KINDS[] = {
    QR_FAULT_SKEW, QR_FAULT_SKEW, QR_FAULT_BLANK, QR_FAULT_BLANK, QR_FAULT_STREAKS,
    QR_FAULT_TOO_DARK, QR_FAULT_TOO_LIGHT, QR_FAULT_LOW_DPI, QR_FAULT_CROPPED,
    QR_FAULT_CROPPED, QR_FAULT_ORIENTATION, QR_FAULT_DUPLICATE, QR_FAULT_CORRUPT};

/* A measured value beyond the default profile's threshold, as analysis gives. */
static void fault_values(gen *g, qr_fault *f)
{
    static const double thr[QR_FAULT__COUNT] = {
        [QR_FAULT_BLANK] = 0.0008, [QR_FAULT_DUPLICATE] = 0.72, [QR_FAULT_STREAKS] = 24,
        [QR_FAULT_TOO_DARK] = 180, [QR_FAULT_TOO_LIGHT] = 150, [QR_FAULT_LOW_DPI] = 300,
        [QR_FAULT_SKEW] = 10, [QR_FAULT_CROPPED] = 1.0, [QR_FAULT_ORIENTATION] = 10};
    double t = thr[f->kind], u = unif(g);
    f->threshold = t;
    switch (f->kind) {
    case QR_FAULT_BLANK: case QR_FAULT_CROPPED: case QR_FAULT_TOO_DARK: case QR_FAULT_LOW_DPI:
        f->value = f->kind == QR_FAULT_LOW_DPI ? (u < 0.7 ? 200 : 150) : t * (0.2 + 0.7 * u);
        break;
    case QR_FAULT_CORRUPT:
        f->value = f->threshold = 0;
        snprintf(f->detail, sizeof f->detail, "TIFF: unexpected end of strip data");
        break;
    default:
        f->value = t * (1.05 + 0.8 * u);
    }
}

static bool has_page(const int *v, int n, int p)
{
    for (int i = 0; i < n; i++)
        if (v[i] == p)
            return true;
    return false;
}

/* 1..4 page faults on distinct delivered pages, sometimes a missing page
 * besides (then the rescan re-delivers the whole file). */
static size_t make_faults(gen *g, gen_file *f, qr_fault *out, int *delivered)
{
    size_t n = 0;
    *delivered = f->pages;
    f->whole = f->pages > 1 && unif(g) < 0.15;
    if (f->whole) {
        *delivered = f->pages - 1;
        out[n++] = (qr_fault){.kind = QR_FAULT_MISSING_PAGES, .page = 0,
                              .value = *delivered, .threshold = f->pages};
    }
    int want = rnd_int(g, 1, *delivered < 4 ? *delivered : 4);
    f->n_fault_pages = 0;
    for (int i = 0; i < want; i++) {
        int p = rnd_int(g, 1, *delivered);
        if (has_page(f->fault_pages, f->n_fault_pages, p))
            continue;
        f->fault_pages[f->n_fault_pages++] = p;
        size_t k = rnd(g) % (sizeof PAGE_KINDS / sizeof *PAGE_KINDS);
        out[n] = (qr_fault){.kind = PAGE_KINDS[k], .page = p};
        fault_values(g, &out[n++]);
    }
    return n;
}

typedef struct page_buf {
    qr_ledger_page *v;
    char (*json)[320];
    char (*sha)[QR_SHA256_HEX];
    char (*src)[16];
    char (*path)[128];
} page_buf;

static void metrics_json(gen *g, char *buf, size_t n, bool blank)
{
    double ink = blank ? 0.0002 + 0.0005 * unif(g) : 0.02 + 0.10 * unif(g);
    snprintf(buf, n,
             "{\"skew_conf\":%.3f,\"orient_conf\":%.3f,\"ink\":%.6f,\"centre_ink\":%.6f,"
             "\"mean_luma\":%.1f,\"paper_luma\":%.0f,\"contrast\":%.0f,\"blank\":%s,"
             "\"stored\":\"%s\",\"dpi_assumed\":false}",
             2.0 + 6.0 * unif(g), blank ? 0.0 : 12.0 + 40.0 * unif(g), ink, ink * 1.1,
             200.0 + 40.0 * unif(g), 225.0 + 25.0 * unif(g), 120.0 + 100.0 * unif(g),
             blank ? "true" : "false", unif(g) < 0.8 ? "passthrough" : "g4");
}

/* Fresh pages are sourced from `batch`; the others keep where they came from. */
static void fill_page(gen *g, gen_file *f, page_buf *pb, int i, int64_t batch, bool fresh,
                      const char *day)
{
    int p = i + 1;
    double skew = (unif(g) - 0.5) * 1.6;
    snprintf(pb->src[i], sizeof pb->src[i], "%04d.tif", p);
    snprintf(pb->path[i], sizeof pb->path[i], "/srv/deliveries/%s/BOX-%04d/%s/%04d.tif",
             day, f->box, f->id, p);
    rnd_hex(g, pb->sha[i]);
    metrics_json(g, pb->json[i], sizeof pb->json[i], unif(g) < 0.01);
    int turned = unif(g) < 0.005 ? 180 : 0;
    pb->v[i] = (qr_ledger_page){
        .page = p, .source = pb->src[i], .source_sha256 = pb->sha[i], .format = "tiff-g4",
        .width = 2480 + rnd_int(g, -20, 20), .height = 3508 + rnd_int(g, -20, 20), .dpi = 300,
        .skew_deg = skew, .skew_applied_deg = skew > 0.1 || skew < -0.1 ? skew : 0,
        .orientation = turned, .rotation_applied = turned, .metrics_json = pb->json[i],
        .origin_batch = fresh ? batch : g->batch_ids[f->first_batch], .source_path = pb->path[i],
        .source_page = 1};
}

static bool page_buf_init(page_buf *pb, int n)
{
    size_t k = (size_t)n;
    pb->v = qr_malloc_array(k, sizeof *pb->v);
    pb->json = qr_malloc_array(k, sizeof *pb->json);
    pb->sha = qr_malloc_array(k, sizeof *pb->sha);
    pb->src = qr_malloc_array(k, sizeof *pb->src);
    pb->path = qr_malloc_array(k, sizeof *pb->path);
    return pb->v && pb->json && pb->sha && pb->src && pb->path;
}

static void page_buf_free(page_buf *pb)
{
    free(pb->v);
    free(pb->json);
    free(pb->sha);
    free(pb->src);
    free(pb->path);
}

/* A reviewer asks for the pages again, some days after the archive. */
static int review_job(gen *g, gen_file *f, int64_t batch, qr_err *err)
{
    int p = rnd_int(g, 1, f->pages);
    char pages[32];
    snprintf(pages, sizeof pages, "%d", p);
    f->n_fault_pages = 1;
    f->fault_pages[0] = p;
    f->whole = false;
    int rc = qr_ledger_rescan_submit(g->l, f->id, pages, "page illegible in the archive",
                                     "reviewer", NULL, err);
    if (rc == QR_OK)
        rc = qr_ledger_rescan_mark_delivered(g->l, f->id, batch, err);
    g->s.jobs_submitted++;
    return rc;
}

typedef struct outcome_buf {
    qr_fault faults[MAX_FAULTS];
    bool accepted[MAX_FAULTS];
    char fp[QR_SHA256_HEX], sha[QR_SHA256_HEX], archive[64];
} outcome_buf;

static void outcome_faults(gen *g, gen_file *f, step_kind k, qr_ledger_outcome *o,
                           outcome_buf *ob)
{
    if (k == STEP_FAULTY) {
        o->n_faults = make_faults(g, f, ob->faults, &o->delivered_pages);
    } else if (k == STEP_ARCHIVE_OK) {
        ob->faults[0] = (qr_fault){.kind = QR_FAULT_BLANK, .page = rnd_int(g, 1, f->pages),
                                   .value = 0.0003, .threshold = 0.0008};
        ob->accepted[0] = true;
        o->n_faults = 1;
    }
}

static int commit_step(gen *g, gen_file *f, step_kind k, int bn, const char *day, qr_err *err)
{
    int64_t batch = g->batch_ids[bn];
    bool archived = k != STEP_FAULTY;
    outcome_buf ob = {0};
    qr_ledger_outcome o = {.file_id = f->id, .batch = batch, .version = f->archives + 1,
                           .archived = archived, .delivered_pages = f->pages,
                           .faults = ob.faults, .fault_accepted = ob.accepted};
    outcome_faults(g, f, k, &o, &ob);
    int rc = k == STEP_REVIEW ? review_job(g, f, batch, err) : QR_OK;
    rnd_hex(g, ob.fp);
    rnd_hex(g, ob.sha);
    snprintf(ob.archive, sizeof ob.archive, o.version > 1 ? "/srv/archive/%s.v%d.pdf"
                                                          : "/srv/archive/%s.pdf", f->id, o.version);
    o.source_fingerprint = ob.fp;
    o.archive_sha256 = archived ? ob.sha : NULL;
    o.archive_path = archived ? ob.archive : NULL;
    page_buf pb = {0};
    if (rc == QR_OK && !page_buf_init(&pb, f->pages))
        rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    bool partial = (k == STEP_RESCAN || k == STEP_REVIEW) && !f->whole;
    for (int i = 0; rc == QR_OK && i < o.delivered_pages; i++)
        fill_page(g, f, &pb, i, batch, !partial || has_page(f->fault_pages, f->n_fault_pages, i + 1),
                  day);
    o.pages = pb.v;
    o.n_pages = (size_t)o.delivered_pages;
    if (rc == QR_OK)
        rc = qr_ledger_commit_file(g->l, &o, err);
    page_buf_free(&pb);
    f->archives += archived;
    g->s.outcomes++;
    g->s.page_rows += o.delivered_pages;
    g->s.faults += (int64_t)o.n_faults;
    return rc;
}

/* ---- Batches -------------------------------------------------------------------- */

static int run_files(gen *g, int bn, const char *day, qr_ledger_batch_counts *c, qr_err *err)
{
    int rc = QR_OK;
    for (long i = 0; rc == QR_OK && i < g->o.files; i++) {
        gen_file *f = &g->f[i];
        for (int s = 0; rc == QR_OK && s < f->n_steps; s++) {
            if (f->steps[s].batch != bn)
                continue;
            if (s == 0)
                f->first_batch = bn;
            tick(g, g->clock + FILE_SPACING_S);
            step_kind k = f->steps[s].kind;
            int64_t rows = g->s.page_rows;
            rc = commit_step(g, f, k, bn, day, err);
            c->files_archived += k != STEP_FAULTY;
            c->files_faulty += k == STEP_FAULTY;
            c->pages += g->s.page_rows - rows;
        }
    }
    return rc;
}

static int run_batch(gen *g, int bn, qr_err *err)
{
    tick(g, batch_start(g, bn));
    char day[11];
    struct tm tm;
    strftime(day, sizeof day, "%Y-%m-%d", gmtime_r(&g->clock, &tm));
    char delivery[64];
    snprintf(delivery, sizeof delivery, "/srv/deliveries/%s", day);
    qr_ledger_batch_info info = {.host = "scan-01", .user = "ops", .delivery = delivery,
                                 .options = "{\"jobs\":2,\"profile\":\"default\"}"};
    int rc = qr_ledger_batch_begin(g->l, &info, &g->batch_ids[bn], err);
    if (rc != QR_OK)
        return rc;
    qr_ledger_batch_counts c = {0};
    rc = qr_ledger_tx_begin(g->l, err);
    if (rc == QR_OK) {
        rc = run_files(g, bn, day, &c, err);
        int rc2 = qr_ledger_tx_end(g->l, rc == QR_OK, rc == QR_OK ? err : NULL);
        rc = rc ? rc : rc2;
    }
    tick(g, g->clock + 60);
    return rc ? rc : qr_ledger_batch_end(g->l, g->batch_ids[bn], "done", &c, err);
}

/* ---- Main ----------------------------------------------------------------------- */

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int generate(gen *g, qr_err *err)
{
    int rc = qr_ledger_open(g->o.out, &g->l, err);
    if (rc == QR_OK) rc = import_inventory(g, err);
    if (rc == QR_OK) rc = set_plan(g, err);
    for (int b = 1; rc == QR_OK && b <= g->o.batches; b++)
        rc = run_batch(g, b, err);
    qr_ledger_close(&g->l); /* the last close checkpoints the WAL into the file */
    return rc;
}

static void report(const gen *g, double secs)
{
    struct stat sb;
    double mib = stat(g->o.out, &sb) == 0 ? (double)sb.st_size / 1048576.0 : -1;
    char end[11];
    time_t t = (time_t)g->o.end_day * 86400;
    struct tm tm;
    strftime(end, sizeof end, "%Y-%m-%d", gmtime_r(&t, &tm));
    printf("ledger      %s\n", g->o.out);
    printf("inventory   %ld files, %d boxes, %" PRId64 " pages\n", g->o.files, g->o.boxes,
           g->o.pages);
    printf("batches     %d over %d days ending %s (seed %" PRIu64 ")\n", g->o.batches,
           g->o.days, end, g->o.seed);
    printf("recorded    %" PRId64 " outcomes, %" PRId64 " page rows, %" PRId64
           " faults, %" PRId64 " reviewer rescans\n", g->s.outcomes, g->s.page_rows,
           g->s.faults, g->s.jobs_submitted);
    printf("generation  %.1f s\n", secs);
    printf("db size     %.1f MiB\n", mib);
}

int main(int argc, char **argv)
{
    gen g = {0};
    if (!parse_args(argc, argv, &g.o)) {
        usage();
        return 2;
    }
    struct stat sb;
    if (stat(g.o.out, &sb) == 0) {
        fprintf(stderr, "bench_ledger_gen: %s exists; remove it first\n", g.o.out);
        return 2;
    }
    g.rng = g.o.seed;
    g.f = calloc((size_t)g.o.files, sizeof *g.f);
    g.batch_ids = calloc((size_t)g.o.batches + 1, sizeof *g.batch_ids);
    if (!g.f || !g.batch_ids) {
        fprintf(stderr, "bench_ledger_gen: out of memory\n");
        return 1;
    }
    shape_project(&g);
    double t0 = wall_s();
    qr_err err = {0};
    int rc = generate(&g, &err);
    double secs = wall_s() - t0;
    free(g.f);
    free(g.batch_ids);
    if (rc != QR_OK) {
        fprintf(stderr, "bench_ledger_gen: %s\n", err.msg);
        return 1;
    }
    report(&g, secs);
    return 0;
}
