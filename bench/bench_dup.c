/*
 * bench_dup: duplicate-page detection measured on a generated batch.
 *
 * Usage: bench_dup BATCH_DIR [--threshold X] [--all] [--part K/N] [--tsv]
 *
 * --part K/N runs only every N-th file starting at K (to split a batch over
 * processes); --tsv appends one line per pair for merging such runs.
 *
 * BATCH_DIR is a folders-layout batch from shared/corpus/make_batch.py. For
 * every pair of consecutive delivered pages of every file it decodes both,
 * analyses them, computes their signatures and their similarity, and labels
 * the pair from truth.json (a page with a "duplicate" fault repeats the page
 * delivered before it). It prints the similarity distributions of true
 * duplicates and of other neighbours, the closest calls on both sides,
 * precision and recall of qr_signature_is_duplicate at the threshold, and the
 * CPU cost per page of the signature and per pair of the comparison.
 *
 * Pairs with an undecodable page cannot be compared; they are counted apart.
 * Single-threaded; times are thread CPU time, so other load on the machine
 * does not inflate them.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "dup_int.h"
#include "qr_image.h"
#include "qr_stages.h"
#include "qr_util.h"

#define MAX_DUPS 64

typedef struct pair_rec {
    char file[48];
    int page;        /* delivered number of the second page */
    bool dup;        /* truth */
    bool same;       /* not a duplicate, but both pages show the same source page */
    bool said;       /* qr_signature_is_duplicate */
    bool blank;      /* either page blank */
    double sim, h, v;
    double dx, dy, sx, sy; /* fit: ink moved (mm; 99 = turned), scales */
    bool toned;      /* both pages gray or colour */
    int paper[2];    /* the two pages' paper levels, mean levels, ink, width, skew */
    double mean[2], ink[2], width[2], skew[2];
    int ham;
} pair_rec;

typedef struct bench {
    const char *dir;
    qr_profile prof;
    pair_rec *pairs;
    size_t npairs, cap;
    int pages, undecodable, skipped_dups;
    double t_decode, t_analyze, t_sig, t_cmp;
    double t_sig_depth[33];
    int n_depth[33];
    int n_cmp;
    int part, nparts, file_index;
} bench;

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_names(const void *a, const void *b)
{
    return qr_natcmp(*(char *const *)a, *(char *const *)b);
}

/* Delivered page files of one file, in delivery order. */
static int list_pages(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0, cap = 64;
    *names = malloc(sizeof(char *) * (size_t)cap);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap)
            *names = realloc(*names, sizeof(char *) * (size_t)(cap *= 2));
        (*names)[n++] = qr_strdup(e->d_name);
    }
    closedir(d);
    qsort(*names, (size_t)n, sizeof(char *), cmp_names);
    return n;
}

/* Decode, analyse and sign one page; false when it cannot be decoded. */
static bool sign_page(bench *b, const char *path, qr_signature *sig)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    qr_err err = {0};
    if (qr_read_file(path, (size_t)1 << 30, &buf, &len, &err) != QR_OK)
        return false;
    double t0 = cpu_ms();
    qr_limits lim;
    qr_limits_default(&lim);
    qr_image_reader *rd = NULL;
    qr_page pg;
    memset(&pg, 0, sizeof pg);
    bool ok = qr_image_open(buf, len, &lim, &rd, &err) == QR_OK &&
              qr_image_decode(rd, 0, &pg, &err) == QR_OK;
    double t1 = cpu_ms();
    qr_analysis an;
    ok = ok && qr_analyze(pg.pix, pg.xdpi, pg.ydpi, &b->prof, &an, &err) == QR_OK;
    double t2 = cpu_ms();
    ok = ok && qr_signature_compute(pg.pix, &an, sig, &err) == QR_OK;
    double t3 = cpu_ms();
    if (ok) {
        b->t_decode += t1 - t0;
        b->t_analyze += t2 - t1;
        b->t_sig += t3 - t2;
        b->t_sig_depth[pixGetDepth(pg.pix) & 31] += t3 - t2;
        b->n_depth[pixGetDepth(pg.pix) & 31]++;
        b->pages++;
    } else {
        b->undecodable++;
    }
    qr_page_clear(&pg);
    qr_image_close(&rd);
    free(buf);
    return ok;
}

static void add_pair(bench *b, const char *file, int page, bool dup, bool same,
                     const qr_signature *x, const qr_signature *y)
{
    if (b->npairs == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->pairs = realloc(b->pairs, b->cap * sizeof *b->pairs);
    }
    pair_rec *r = &b->pairs[b->npairs++];
    memset(r, 0, sizeof *r);
    snprintf(r->file, sizeof r->file, "%s", file);
    r->page = page;
    r->dup = dup;
    r->same = same && !dup;
    double t0 = cpu_ms();
    r->said = qr_signature_is_duplicate(x, y, &b->prof, &r->sim);
    b->t_cmp += cpu_ms() - t0;
    b->n_cmp++;
    r->blank = x->blank || y->blank;
    r->ham = qr_signature_hash_distance(x, y);
    qr_axis_fit rows, cols;
    qr_signature_fit(x, y, &rows, &cols);
    r->h = rows.corr;
    r->v = cols.corr;
    r->toned = x->toned && y->toned;
    r->dy = rows.turned ? 99.0 : rows.shift_mm;
    r->dx = cols.turned ? 99.0 : cols.shift_mm;
    r->sy = rows.scale;
    r->sx = cols.scale;
    const qr_signature *two[2] = {x, y};
    for (int i = 0; i < 2; i++) {
        r->paper[i] = two[i]->toned ? two[i]->paper_luma : -1;
        r->mean[i] = two[i]->mean_luma;
        r->ink[i] = two[i]->ink_fraction;
        r->width[i] = two[i]->content_w_mm;
        r->skew[i] = two[i]->skew_found ? two[i]->skew_deg : 99.0;
    }
}

static bool is_dup(const int *dups, int ndups, int page)
{
    for (int i = 0; i < ndups; i++)
        if (dups[i] == page)
            return true;
    return false;
}

static void run_file(bench *b, const char *file, const int *dups, int ndups, char **src,
                     int nsrc)
{
    char dir[4096], path[4600];
    snprintf(dir, sizeof dir, "%s/scans/%s", b->dir, file);
    char **names = NULL;
    int n = list_pages(dir, &names);
    static qr_signature sig[2]; /* 12 KB each: off the stack */
    bool have_prev = false;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        qr_signature *cur = &sig[i & 1], *prev = &sig[(i + 1) & 1];
        bool ok = sign_page(b, path, cur);
        if (ok && have_prev)
            add_pair(b, file, i + 1, is_dup(dups, ndups, i + 1),
                     i < nsrc && strcmp(src[i - 1], src[i]) == 0, prev, cur);
        else if (is_dup(dups, ndups, i + 1))
            b->skipped_dups++;
        have_prev = ok;
        free(names[i]);
    }
    free(names);
}

/* truth.json: each file record starts with "file_id"; its duplicates are
 * listed in file_faults as {"kind": "duplicate", "delivered": N}. */
static int parse_dups(const char *from, const char *to, int *dups)
{
    int n = 0;
    const char *k = from;
    while ((k = strstr(k, "\"kind\": \"duplicate\"")) != NULL && k < to && n < MAX_DUPS) {
        k += strlen("\"kind\": \"duplicate\"");
        const char *q = k + strspn(k, ", \n\t");
        if (strncmp(q, "\"delivered\":", 12) == 0)
            dups[n++] = atoi(q + 12);
    }
    return n;
}

/* The "source" of every page record of one file, in delivery order. */
static int parse_sources(const char *from, const char *to, char **src, int max)
{
    int n = 0;
    const char *key = "\"source\": \"";
    for (const char *k = strstr(from, key); k && k < to && n < max; k = strstr(k, key)) {
        k += strlen(key);
        const char *e = strchr(k, '"');
        src[n++] = strndup(k, (size_t)(e - k));
    }
    return n;
}

static int run_batch(bench *b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/truth.json", b->dir);
    uint8_t *data = NULL;
    size_t len = 0;
    qr_err err = {0};
    if (qr_read_file(path, (size_t)1 << 30, &data, &len, &err) != QR_OK) {
        fprintf(stderr, "bench_dup: %s\n", err.msg);
        return 1;
    }
    char *text = realloc(data, len + 1);
    text[len] = 0;
    const char *key = "\"file_id\": \"";
    for (char *p = strstr(text, key); p; ) {
        char *id = p + strlen(key), *end = strchr(id, '"');
        char *next = strstr(end, key);
        int dups[MAX_DUPS];
        int nd = parse_dups(end, next ? next : text + len, dups);
        char *src[1024];
        int ns = parse_sources(end, next ? next : text + len, src, 1024);
        *end = 0;
        if (b->file_index++ % b->nparts == b->part)
            run_file(b, id, dups, nd, src, ns);
        for (int i = 0; i < ns; i++)
            free(src[i]);
        p = next;
    }
    free(text);
    return 0;
}

enum { CLASS_DUP, CLASS_SAME, CLASS_OTHER };
static const char *const class_name[] = {"duplicates", "same source page (not duplicates)",
                                         "other neighbours"};

static int class_of(const pair_rec *r)
{
    return r->dup ? CLASS_DUP : r->same ? CLASS_SAME : CLASS_OTHER;
}

static void histogram(const bench *b, int cls)
{
    int bins[20] = {0}, n = 0;
    for (size_t i = 0; i < b->npairs; i++)
        if (class_of(&b->pairs[i]) == cls && !b->pairs[i].blank) {
            int k = (int)(b->pairs[i].sim * 20.0);
            bins[k > 19 ? 19 : k]++;
            n++;
        }
    printf("%s: %d pairs (blank pairs excluded)\n", class_name[cls], n);
    for (int i = 0; i < 20; i++)
        if (bins[i])
            printf("  %.2f-%.2f %6d\n", i / 20.0, (i + 1) / 20.0, bins[i]);
}

static int by_sim(const void *x, const void *y)
{
    double a = ((const pair_rec *)x)->sim, c = ((const pair_rec *)y)->sim;
    return (a < c) - (a > c);
}

static void print_pair(const pair_rec *r)
{
    printf("  %-16s p%-3d %s sim %.3f (rows %.3f cols %.3f) hash %2d%s%s\n", r->file, r->page,
           r->dup ? "DUP" : r->same ? "SRC" : "---", r->sim, r->h, r->v, r->ham, r->blank ? " blank" : "",
           r->said ? " said-dup" : "");
}

static void extremes(bench *b, bool all)
{
    qsort(b->pairs, b->npairs, sizeof *b->pairs, by_sim);
    printf("duplicates, lowest similarity last:\n");
    for (size_t i = 0; i < b->npairs; i++)
        if (b->pairs[i].dup)
            print_pair(&b->pairs[i]);
    printf("other neighbours, highest similarity (non-blank):\n");
    int shown = 0;
    for (size_t i = 0; i < b->npairs && (all || shown < 12); i++)
        if (class_of(&b->pairs[i]) == CLASS_OTHER && !b->pairs[i].blank) {
            print_pair(&b->pairs[i]);
            shown++;
        }
}

static void counts(const bench *b, bool with_same, int *tp, int *fp, int *fn)
{
    *tp = *fp = *fn = 0;
    for (size_t i = 0; i < b->npairs; i++) {
        const pair_rec *r = &b->pairs[i];
        if (r->same && !with_same)
            continue;
        *tp += r->dup && r->said;
        *fp += !r->dup && r->said;
        *fn += r->dup && !r->said;
    }
}

static void precision_recall(const bench *b, bool with_same)
{
    int tp, fp, fn;
    counts(b, with_same, &tp, &fp, &fn);
    printf("%s: TP %d FP %d FN %d precision %.4f recall %.4f\n",
           with_same ? "all pairs         " : "same-source pairs excluded", tp, fp, fn,
           tp + fp ? (double)tp / (tp + fp) : 1.0, tp + fn ? (double)tp / (tp + fn) : 1.0);
}

static void summary(const bench *b)
{
    int hmax_dup = 0, hmin_other = 64;
    for (size_t i = 0; i < b->npairs; i++) {
        const pair_rec *r = &b->pairs[i];
        if (r->dup && r->ham > hmax_dup)
            hmax_dup = r->ham;
        if (class_of(r) == CLASS_OTHER && !r->blank && r->ham < hmin_other)
            hmin_other = r->ham;
    }
    printf("hash distance: duplicates at most %d, other non-blank neighbours at least %d\n",
           hmax_dup, hmin_other);
    printf("threshold %.3f, hash gate %d; pairs %zu, pages %d, undecodable %d, duplicates "
           "next to an undecodable page %d\n", b->prof.dup_min_similarity,
           b->prof.dup_max_hash_distance, b->npairs, b->pages, b->undecodable, b->skipped_dups);
    precision_recall(b, true);
    precision_recall(b, false);
    printf("cpu ms per page: decode %.2f analyze %.2f signature %.2f (1 bpp %.2f, gray %.2f, "
           "colour %.2f); per pair: compare %.3f\n", b->t_decode / b->pages,
           b->t_analyze / b->pages, b->t_sig / b->pages,
           b->n_depth[1] ? b->t_sig_depth[1] / b->n_depth[1] : 0.0,
           b->n_depth[8] ? b->t_sig_depth[8] / b->n_depth[8] : 0.0,
           b->n_depth[0] ? b->t_sig_depth[0] / b->n_depth[0] : 0.0,
           b->n_cmp ? b->t_cmp / b->n_cmp : 0.0);
}

static void print_tsv(const bench *b)
{
    for (size_t i = 0; i < b->npairs; i++) {
        const pair_rec *r = &b->pairs[i];
        printf("pair\t%s\t%d\t%d\t%d\t%.4f\t%.4f\t%.4f\t%d\t%d\t%.2f\t%.2f\t%.3f\t%.3f\t%d",
               r->file, r->page, class_of(r), r->blank, r->sim, r->h, r->v, r->ham, r->said,
               r->dx, r->dy, r->sx, r->sy, r->toned);
        for (int k = 0; k < 2; k++)
            printf("\t%d\t%.2f\t%.4f\t%.1f\t%.2f", r->paper[k], r->mean[k], r->ink[k],
                   r->width[k], r->skew[k]);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dup BATCH_DIR [--threshold X] [--all] [--part K/N] [--tsv]\n");
        return 2;
    }
    qr_stages_global_init();
    bench b;
    memset(&b, 0, sizeof b);
    b.dir = argv[1];
    b.nparts = 1;
    qr_profile_default(&b.prof);
    bool all = false, tsv = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc)
            b.prof.dup_min_similarity = atof(argv[++i]);
        else if (strcmp(argv[i], "--all") == 0)
            all = true;
        else if (strcmp(argv[i], "--tsv") == 0)
            tsv = true;
        else if (strcmp(argv[i], "--part") == 0 && i + 1 < argc)
            sscanf(argv[++i], "%d/%d", &b.part, &b.nparts);
    }
    if (run_batch(&b) != 0)
        return 1;
    for (int c = CLASS_DUP; c <= CLASS_OTHER; c++)
        histogram(&b, c);
    extremes(&b, all);
    summary(&b);
    if (tsv)
        print_tsv(&b);
    free(b.pairs);
    return 0;
}
