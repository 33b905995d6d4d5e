/*
 * qr_ingest_run: plans a run on the main thread, then starts the pipeline
 * threads and waits for them.
 *
 * Planning decides, for every delivered file, one of: process it, skip it
 * (the ledger already has an outcome for exactly these sources — this is
 * what makes reruns idempotent), or record it as unexpected (not in the
 * manifest; never archived). What a killed run left is cleaned up first,
 * and only what the ledger proves it wrote (archive_writes, ledger/writes.c):
 * its temporaries in OUT/.quire-tmp, and an archive it renamed into place
 * but did not live to record. So a rerun starts from what the ledger and the
 * disk say, and an archive whose name merely looks temporary is never
 * touched. Batches a kill left "running" are marked "interrupted".
 *
 * Every planned file gets its archive name (qr_manifest_archive_name: one
 * name per file id and version, whatever the id) and a temporary name in
 * OUT/.quire-tmp, recorded before the pipeline starts.
 *
 * A file recorded faulty is skipped until its sources change, --retry is
 * given, or a reviewer accepted one of its faults since its last outcome
 * (an accept no outcome has applied yet): the reviewer's decision is what
 * changed, so the next plain run archives the file. Each planned file
 * carries its accepts into the verdict rules.
 *
 * A planned file with an open rescan job marks the job delivered by this
 * batch; a delivery of only some of its pages is merged with the earlier
 * pages first (ingest_rescan.c).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_int.h"
#include "qr_io.h"
#include "qr_ledger.h"

void qr_ingest_opts_default(qr_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->ledger = "quire.db";
    o->flavour = QR_PDFA_2B;
    o->jpeg_quality = 85;
    qr_limits_default(&o->limits);
    o->progress_out = stderr;
    o->diag = stderr;
}

static int mkdir_p(const char *path, qr_err *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return qr_err_set(err, QR_EIO, "%s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return qr_err_set(err, QR_EIO, "%s: %s", buf, strerror(errno));
    return QR_OK;
}

static int print_manifest_errors(const qr_ingest_opts *o, const qr_manifest *m)
{
    size_t n = qr_manifest_error_count(m);
    for (size_t i = 0; i < n; i++)
        fprintf(o->diag, "%s\n", qr_manifest_error_at(m, i));
    if (qr_manifest_error_total(m) > n)
        fprintf(o->diag, "... and %zu more manifest errors\n", qr_manifest_error_total(m) - n);
    return (int)n;
}

#define TMP_DIR ".quire-tmp"

/* The archive's final path and its temporary path; QR_EINVAL naming the id
 * when no name can be made (which qr_manifest_archive_name rules out for any
 * id the manifest accepts). */
static int archive_paths(const qr_ingest_opts *o, ing_file *f, int64_t batch, qr_err *err)
{
    char name[256], buf[8192];
    if (qr_manifest_archive_name(f->file_id, f->version, name, sizeof name) < 0)
        return qr_err_set(err, QR_EINVAL, "%s: no archive name for this file id", f->file_id);
    snprintf(buf, sizeof buf, "%s/%s", o->out_dir, name);
    f->archive_path = qr_strdup(buf);
    snprintf(buf, sizeof buf, "%s/" TMP_DIR "/b%lld-p%ld-%d.part", o->out_dir,
             (long long)batch, (long)getpid(), f->idx);
    f->tmp_path = qr_strdup(buf);
    if (!f->archive_path || !f->tmp_path)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    return QR_OK;
}

/* Copy a manifest row's metadata into the file for its XMP. The file id
 * leads, so the archive names its file also when its title is the
 * manifest's title. */
static int set_meta(ing_file *f, const qr_manifest_row *row)
{
    size_t n = row->n_meta + 3;
    f->meta = qr_malloc_array(n, sizeof *f->meta);
    if (!f->meta)
        return QR_ENOMEM;
    f->n_meta = 0;
    f->meta[f->n_meta++] = (qr_kv){"file_id", row->file_id};
    if (row->box[0])
        f->meta[f->n_meta++] = (qr_kv){"box", row->box};
    if (row->title[0])
        f->meta[f->n_meta++] = (qr_kv){"title", row->title};
    for (size_t i = 0; i < row->n_meta; i++)
        f->meta[f->n_meta++] = (qr_kv){row->meta[i].key, row->meta[i].value};
    return QR_OK;
}

/* Everything one run holds, owned by the main thread. */
typedef struct ing_run {
    const qr_ingest_opts *o;
    qr_manifest *manifest;
    qr_ledger *ledger;
    qr_delivery **dlv;
    int n_dlv;
    ing_engine e;
    qr_ingest_summary *sum;
    int lock_fd;
    bool lock_created;           /* this run created the lock file */
    bool batch_open;             /* a batch was begun and not yet ended */
    const char **ids;            /* every delivered file id, sorted */
    size_t n_ids;
} ing_run;

static bool archive_exists(const char *path)
{
    struct stat st;
    return path[0] && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool up_to_date(const ing_run *r, const qr_ledger_file_state *st,
                       const qr_delivery_file *df, bool new_accepts)
{
    if (st->last_status == QR_LEDGER_PENDING || strcmp(st->last_fingerprint, df->fingerprint))
        return false;
    if (st->last_status == QR_LEDGER_FAULTY)
        return !r->o->retry && !new_accepts;
    return st->status == QR_LEDGER_ARCHIVED && archive_exists(st->archive_path);
}

/* The reviewer's accepts of a file, as verdict rules. */
static int load_accepts(ing_run *r, ing_file *f, qr_err *err)
{
    int rc = qr_ledger_accepts_of(r->ledger, f->file_id, &f->accepts, err);
    if (rc || !f->accepts.n)
        return rc;
    f->accept_rules = qr_malloc_array(f->accepts.n, sizeof *f->accept_rules);
    if (!f->accept_rules)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->accepts.n; i++) {
        const qr_ledger_accept *a = &f->accepts.v[i];
        f->accept_rules[i] = (qr_fault_accept){.kind = a->kind, .page = a->page};
        if (a->id > f->accepts_upto)
            f->accepts_upto = a->id;
    }
    f->rules.accepts = f->accept_rules;
    f->rules.n_accepts = f->accepts.n;
    return QR_OK;
}

static int init_file(ing_run *r, ing_file *f, qr_delivery *d, const qr_delivery_file *df,
                     const qr_ledger_file_state *st)
{
    memset(f, 0, sizeof *f);
    f->file_id = df->file_id;
    f->dlv = d;
    memcpy(f->fingerprint, df->fingerprint, sizeof f->fingerprint);
    f->version = st->next_version > 0 ? st->next_version : 1;
    f->scan_time = -1;
    f->n_sources = (int)df->n_sources;
    f->sources = calloc(df->n_sources ? df->n_sources : 1, sizeof *f->sources);
    if (!f->sources)
        return QR_ENOMEM;
    for (size_t i = 0; i < df->n_sources; i++)
        f->sources[i].src = &df->sources[i];
    const qr_manifest_row *row = qr_manifest_find(r->manifest, df->file_id);
    f->in_manifest = row != NULL;
    if (row) {
        f->expected_pages = row->expected_pages;
        if (set_meta(f, row))
            return QR_ENOMEM;
    }
    /* Input of this file the delivery refused (ambiguous, damaged, hostile):
     * a fault of the file, which may not be archived from what is left. */
    return ing_issue_faults(&f->faults, d, df->file_id) < 0 ? QR_ENOMEM : QR_OK;
}

/* Where notes go that are not errors: nowhere with --quiet. */
static FILE *info_stream(const qr_ingest_opts *o)
{
    return o->quiet ? NULL : o->diag;
}

/* Record the planned write before any byte of it exists (ledger/writes.c). */
static int plan_write(ing_run *r, ing_file *f, qr_err *err)
{
    int rc = archive_paths(r->o, f, r->e.batch_id, err);
    if (rc)
        return rc;
    qr_ledger_write w = {.batch = r->e.batch_id, .file_id = f->file_id, .version = f->version,
                         .tmp_path = f->tmp_path, .final_path = f->archive_path};
    return qr_ledger_write_plan(r->ledger, &w, &f->write_id, err);
}

/* A rescan job is delivered only by new sources: a rerun of the same bytes
 * (after an accept, or with --retry) delivers nothing. */
static bool new_sources(const qr_ledger_file_state *st, const qr_delivery_file *df)
{
    return st->last_status == QR_LEDGER_PENDING || strcmp(st->last_fingerprint, df->fingerprint);
}

/* The same file id in two deliveries of one run: which one is the scan is
 * ambiguous. The first is planned with a corrupt fault naming both; the
 * later ones are only reported. Returns the earlier file or NULL. */
static ing_file *planned_twice(ing_run *r, const char *file_id)
{
    for (int i = 0; i < r->e.n_files; i++)
        if (strcmp(r->e.files[i].file_id, file_id) == 0)
            return &r->e.files[i];
    return NULL;
}

static void report_twice(ing_run *r, ing_file *first, qr_delivery *d)
{
    fprintf(r->o->diag, "refused: %s: delivered again in %s (first in %s); not archived until "
            "it is delivered once\n", first->file_id, d->root, first->dlv->root);
    qr_fault x = qr_fault_delivered_twice(first->dlv->root, d->root);
    ing_faults_push(&first->faults, &x);
}

static int record_unexpected(ing_run *r, ing_file *f, qr_err *err)
{
    qr_fault x = qr_fault_unexpected(f->file_id, r->o->manifest, f->n_sources);
    ing_faults_push(&f->faults, &x);
    if (!r->o->quiet)
        fprintf(r->o->diag, "fault: %s: unexpected_file: not in the manifest; not archived\n",
                f->file_id);
    int rc = ing_record_file(&r->e, r->ledger, f, err);
    r->sum->files_unexpected++;
    r->sum->faults[QR_FAULT_UNEXPECTED_FILE]++;
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every delivered file id of the run, sorted (r->ids), to find an id that
 * two deliveries both hold. */
static int collect_ids(ing_run *r, qr_err *err)
{
    size_t n = 0;
    for (int i = 0; i < r->n_dlv; i++)
        n += r->dlv[i]->n_files;
    r->ids = qr_malloc_array(n ? n : 1, sizeof *r->ids);
    if (!r->ids)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    for (int i = 0; i < r->n_dlv; i++)
        for (size_t k = 0; k < r->dlv[i]->n_files; k++)
            r->ids[r->n_ids++] = r->dlv[i]->files[k].file_id;
    qsort(r->ids, r->n_ids, sizeof *r->ids, cmp_str);
    return QR_OK;
}

static bool delivered_more_than_once(const ing_run *r, const char *file_id)
{
    const char **hit = bsearch(&file_id, r->ids, r->n_ids, sizeof *r->ids, cmp_str);
    if (!hit)
        return false;
    return (hit > r->ids && strcmp(hit[-1], file_id) == 0) ||
           (hit + 1 < r->ids + r->n_ids && strcmp(hit[1], file_id) == 0);
}

/* Plan one delivered file that is not up to date. */
static int plan_file(ing_run *r, qr_delivery *d, const qr_delivery_file *df,
                     const qr_ledger_file_state *st, qr_err *err)
{
    ing_file *f = &r->e.files[r->e.n_files];
    int rc = init_file(r, f, d, df, st);
    if (rc)
        return qr_err_set(err, rc, "out of memory");
    f->idx = r->e.n_files;
    if (!f->in_manifest) {
        rc = record_unexpected(r, f, err);
        ing_file_release(f);
        free(f->sources);
        free(f->meta);
        memset(f, 0, sizeof *f);
        return rc;
    }
    r->e.n_files++;
    if ((rc = load_accepts(r, f, err)) ||
        (rc = ing_rescan_merge(r->ledger, f, df, !new_sources(st, df), info_stream(r->o), err)) ||
        (rc = plan_write(r, f, err)))
        return rc;
    if (new_sources(st, df))
        rc = qr_ledger_rescan_mark_delivered(r->ledger, f->file_id, r->e.batch_id, err);
    return rc;
}

/* Decide what to do with each delivered file; fills r->e.files. */
static int plan(ing_run *r, qr_err *err)
{
    size_t total = 0;
    for (int i = 0; i < r->n_dlv; i++)
        total += r->dlv[i]->n_files;
    r->e.files = calloc(total ? total : 1, sizeof *r->e.files);
    if (!r->e.files)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    int rc0 = collect_ids(r, err);
    if (rc0)
        return rc0;
    for (int i = 0; i < r->n_dlv; i++) {
        for (size_t k = 0; k < r->dlv[i]->n_files; k++) {
            const qr_delivery_file *df = &r->dlv[i]->files[k];
            qr_ledger_file_state st;
            int rc = qr_ledger_lookup(r->ledger, df->file_id, &st, err);
            if (rc)
                return rc;
            r->sum->files_total++;
            bool new_accepts = false;
            if (st.last_status == QR_LEDGER_FAULTY &&
                (rc = qr_ledger_accepts_pending(r->ledger, df->file_id, &new_accepts, err)))
                return rc;
            bool dup = delivered_more_than_once(r, df->file_id);
            if (!dup && up_to_date(r, &st, df, new_accepts)) {
                r->sum->files_up_to_date++;
                continue;
            }
            ing_file *twice = planned_twice(r, df->file_id);
            if (twice) {
                report_twice(r, twice, r->dlv[i]);
                continue;
            }
            if ((rc = plan_file(r, r->dlv[i], df, &st, err)))
                return rc;
        }
    }
    return QR_OK;
}

/* A manifest or delivery that cannot be read is the operator's error (exit
 * 2): keep the message, which names the path, and change only the code. */
static int as_usage(int rc, qr_err *err)
{
    if (rc != QR_EIO && rc != QR_EUNSUPPORTED)
        return rc;
    err->code = QR_EINVAL;
    return QR_EINVAL;
}

static int open_inputs(ing_run *r, qr_err *err)
{
    const qr_ingest_opts *o = r->o;
    int rc = qr_manifest_load(o->manifest, 0, &r->manifest, err);
    if (rc == QR_ECORRUPT && r->manifest) {
        int n = print_manifest_errors(o, r->manifest);
        return qr_err_set(err, QR_EINVAL, "%s: %d error%s; nothing ingested", o->manifest, n,
                          n == 1 ? "" : "s");
    }
    if (rc)
        return as_usage(rc, err);
    r->dlv = calloc((size_t)o->n_deliveries, sizeof *r->dlv);
    if (!r->dlv)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    for (int i = 0; i < o->n_deliveries; i++) {
        if ((rc = qr_delivery_open(o->deliveries[i], o->layout, &r->dlv[i], err)))
            return as_usage(rc, err);
        r->n_dlv++;
        for (size_t k = 0; k < r->dlv[i]->n_issues; k++) {
            const qr_delivery_issue *is = &r->dlv[i]->issues[k];
            bool refused = is->kind == QR_DELIVERY_REFUSED;
            if (refused || !o->quiet)
                fprintf(o->diag, "%s: %s\n", refused ? "refused" : "ignored", is->msg);
            if (refused && !is->file_id)
                r->sum->refused_unowned++; /* no file to be faulty: the exit code says it */
        }
    }
    return QR_OK;
}

/* One ingest per ledger at a time: two writers would plan the same versions.
 * The lock dies with the process, so a kill -9 never leaves it stale. */
static void lock_path(const ing_run *r, char *path, size_t cap)
{
    snprintf(path, cap, "%s.lock", r->o->ledger);
}

/* open(2), again when a signal interrupts it. */
static int open_retry(const char *path, int flags)
{
    int fd;
    do
        fd = open(path, flags, 0666);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static int lock_ledger(ing_run *r, qr_err *err)
{
    char path[4200];
    lock_path(r, path, sizeof path);
    r->lock_fd = open_retry(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC);
    r->lock_created = r->lock_fd >= 0;
    if (r->lock_fd < 0 && errno == EEXIST)
        r->lock_fd = open_retry(path, O_RDWR | O_CLOEXEC);
    if (r->lock_fd < 0)
        return qr_err_set(err, QR_EIO, "%s: %s", path, strerror(errno));
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB))
        return qr_err_set(err, QR_EIO, "%s: another quire ingest is running on this ledger",
                          r->o->ledger);
    return QR_OK;
}

/* The batch's options: the command line, then the effective profile as INI. */
static char *batch_options(const ing_run *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s\n\n# effective profile\n", r->o->command_line ? r->o->command_line : "");
    qr_profile_print(&r->e.profile, f);
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

/* Lock and open the ledger. A ledger that is refused leaves no lock file
 * this run created (nor an output folder: that comes after). */
static int open_ledger(ing_run *r, qr_err *err)
{
    int rc = qr_ledger_probe(r->o->ledger, NULL, err);
    if (rc == QR_OK)
        rc = lock_ledger(r, err);
    if (rc == QR_OK)
        rc = qr_ledger_open(r->o->ledger, &r->ledger, err);
    if (rc && r->lock_created) {
        char path[4200];
        lock_path(r, path, sizeof path);
        unlink(path);
        r->lock_created = false;
    }
    r->e.ledger = r->ledger;
    return rc;
}

/* The output folder and its folder of temporaries. */
static int make_out_dirs(const ing_run *r, qr_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/" TMP_DIR, r->o->out_dir);
    int rc = mkdir_p(r->o->out_dir, err);
    return rc ? rc : mkdir_p(tmp, err);
}

/* Mark dead batches interrupted, begin this batch, add the manifest to the
 * inventory, clean up what killed runs left. */
static int begin_batch(ing_run *r, qr_err *err)
{
    const qr_ingest_opts *o = r->o;
    int64_t n_dead = 0;
    int rc = qr_ledger_batches_interrupt(r->ledger, &n_dead, err);
    if (rc)
        return rc;
    if (n_dead && !o->quiet)
        fprintf(o->diag, "note: %lld earlier batch%s stopped without ending (killed?): marked "
                "interrupted\n", (long long)n_dead, n_dead == 1 ? "" : "es");
    char *options = batch_options(r);
    if (!options)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    qr_ledger_batch_info bi = {.delivery = o->n_deliveries ? o->deliveries[0] : "",
                               .options = options, .actor = o->actor};
    rc = qr_ledger_batch_begin(r->ledger, &bi, &r->e.batch_id, err);
    free(options);
    if (rc)
        return rc;
    r->batch_open = true;
    qr_ledger_upsert_result res = {0};
    rc = qr_ledger_inventory_upsert(r->ledger, r->manifest, QR_LEDGER_SRC_MANIFEST,
                                    r->e.batch_id, false, &res, err);
    for (size_t i = 0; i < res.n_conflicts; i++) {
        const qr_ledger_conflict *c = &res.conflicts[i];
        fprintf(o->diag, "%s:%d: warning: %s has %s %s in the ledger, %s here; ledger kept\n",
                o->manifest, c->line, c->file_id, c->field, c->ledger_value, c->manifest_value);
    }
    qr_ledger_upsert_result_free(&res);
    return rc ? rc : ing_recover_writes(r->ledger, r->e.batch_id, o->diag, o->quiet, err);
}

static int open_io(ing_run *r, qr_err *err)
{
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    if (r->o->io_depth)
        cfg.queue_depth = r->o->io_depth;
    if (r->o->io_bytes)
        cfg.max_inflight_bytes = r->o->io_bytes;
    cfg.max_file_bytes = (size_t)r->o->limits.max_page_bytes;
    int rc = qr_io_open(&cfg, &r->e.io, err);
    if (!rc)
        r->sum->io_backend = qr_io_backend_name(r->e.io);
    return rc;
}

static int start_engine(ing_run *r, qr_err *err)
{
    ing_engine *e = &r->e;
    int jobs = r->o->jobs > 0 ? r->o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    e->jobs = qr_queue_new((size_t)jobs * 2 + 2);
    e->pages = qr_queue_new((size_t)jobs * 4 + 8);
    e->outcomes = qr_queue_new(16);
    pthread_t *workers = calloc((size_t)jobs, sizeof *workers);
    if (!e->jobs || !e->pages || !e->outcomes || !workers) {
        free(workers);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    pthread_t reader, assembler, ledger;
    pthread_create(&ledger, NULL, ing_ledger_main, e);
    pthread_create(&assembler, NULL, ing_assembler_main, e);
    for (int i = 0; i < jobs; i++)
        pthread_create(&workers[i], NULL, ing_worker_main, e);
    pthread_create(&reader, NULL, ing_reader_main, e);
    pthread_join(reader, NULL);
    for (int i = 0; i < jobs; i++)
        pthread_join(workers[i], NULL);
    qr_queue_close(e->pages);
    pthread_join(assembler, NULL);
    pthread_join(ledger, NULL);
    free(workers);
    return QR_OK;
}

/* Where every manifest file stands after the run: the exit code says
 * whether all of them are archived, and the summary names the ones that
 * are not and since which batch they have been faulty. */
static void count_manifest(ing_run *r)
{
    qr_ingest_summary *s = r->sum;
    size_t used = 0;
    for (size_t i = 0; i < qr_manifest_count(r->manifest); i++) {
        const qr_manifest_row *row = qr_manifest_row_at(r->manifest, i);
        qr_ledger_file_state st;
        if (qr_ledger_lookup(r->ledger, row->file_id, &st, NULL))
            continue;
        s->manifest_files++;
        if (st.last_status == QR_LEDGER_PENDING) {
            s->files_pending++;
        } else if (st.last_status == QR_LEDGER_ARCHIVED) {
            s->manifest_archived++;
        } else {
            s->manifest_faulty++;
            if (s->manifest_faulty <= 10 && used < sizeof s->faulty_names) {
                int w = snprintf(s->faulty_names + used, sizeof s->faulty_names - used,
                                 "%s%s (since batch %lld)", used ? ", " : "", row->file_id,
                                 (long long)st.faulty_since);
                used += w > 0 ? (size_t)w : 0;
            }
        }
    }
}

/* The run's CPU seconds per stage, as one "stages" event of the JSON log. */
static void log_stages(ing_engine *e, const qr_ingest_summary *s)
{
    _Static_assert(QR_STAGE__COUNT == 8, "log_stages names every stage");
    char v[QR_STAGE__COUNT][32], k[QR_STAGE__COUNT][24], pages[24];
    for (int i = 0; i < QR_STAGE__COUNT; i++) {
        snprintf(k[i], sizeof k[i], "#%s", qr_ingest_stage_name((qr_ingest_stage)i));
        snprintf(v[i], sizeof v[i], "%.3f", s->stage_cpu[i]);
    }
    snprintf(pages, sizeof pages, "%ld", s->pages);
    qr_jsonlog_event(e->log, "stages", "#pages", pages, k[0], v[0], k[1], v[1], k[2], v[2],
                     k[3], v[3], k[4], v[4], k[5], v[5], k[6], v[6], k[7], v[7], NULL);
}

/* The folder of temporaries goes when it is empty (rmdir fails otherwise). */
static void remove_tmp_dir(const ing_run *r)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/" TMP_DIR, r->o->out_dir);
    rmdir(tmp);
}

/* End the batch; a ledger that cannot record its end makes the run fail
 * (exit 3) even when every file was recorded: the batch would stay
 * "running" until the next ingest marks it interrupted. */
static int finish_batch(ing_run *r, bool failed, qr_err *err)
{
    ing_engine *e = &r->e;
    qr_ingest_summary *s = r->sum;
    ing_abandon_writes(e, r->ledger, r->o->diag);
    s->files_archived = e->files_archived;
    s->files_failed = e->files_failed;
    s->files_faulty = e->files_faulty + s->files_unexpected;
    s->pages = e->pages_done;
    for (int k = 0; k < QR_FAULT__COUNT; k++)
        s->faults[k] += e->fault_counts[k];
    for (int k = 0; k < QR_STAGE__COUNT; k++)
        s->stage_cpu[k] = e->stage_cpu[k];
    log_stages(e, s);
    qr_ledger_batch_counts c = {.files_archived = s->files_archived,
                                .files_faulty = s->files_faulty,
                                .files_uptodate = s->files_up_to_date, .pages = s->pages,
                                .faults = e->faults_total + s->files_unexpected};
    int rc = QR_OK;
    if (!e->ledger_broken) {
        rc = qr_ledger_batch_end(r->ledger, e->batch_id, failed || e->fatal ? "failed" : "done",
                                 &c, err);
        r->batch_open = rc != QR_OK;
        count_manifest(r);
    }
    remove_tmp_dir(r);
    return rc;
}

static void free_run(ing_run *r)
{
    ing_engine *e = &r->e;
    for (int i = 0; i < e->n_files; i++) {
        ing_file_release(&e->files[i]);
        free(e->files[i].sources);
        free(e->files[i].meta);
        free(e->files[i].archive_path);
        free(e->files[i].tmp_path);
        qr_ledger_accept_list_free(&e->files[i].accepts);
        free(e->files[i].accept_rules);
        ing_rescan_free(&e->files[i]);
    }
    free(e->files);
    free(r->ids);
    qr_queue_free(&e->jobs, NULL);
    qr_queue_free(&e->pages, NULL);
    qr_queue_free(&e->outcomes, NULL);
    qr_io_close(&e->io);
    qr_jsonlog_close(&e->log);
    for (int i = 0; i < r->n_dlv; i++)
        qr_delivery_free(&r->dlv[i]);
    free(r->dlv);
    qr_ledger_close(&r->ledger);
    if (r->lock_fd >= 0)
        close(r->lock_fd);
    qr_manifest_free(&r->manifest);
    pthread_mutex_destroy(&e->mu);
}

/* Everything after the batch began; the batch is ended whatever happens. */
static int run_batch(ing_run *r, qr_err *err)
{
    int rc;
    if ((rc = plan(r, err)) || (rc = open_io(r, err)))
        return rc;
    if (r->o->log_json && !(r->e.log = qr_jsonlog_open(r->o->log_json)))
        return qr_err_set(err, QR_EIO, "%s: %s", r->o->log_json, strerror(errno));
    qr_progress_init(&r->e.progress, r->o->progress_out, r->o->quiet, r->e.n_files);
    if ((rc = start_engine(r, err)))
        return rc;
    if (r->e.n_files)
        qr_progress_finish(&r->e.progress);
    if (r->e.fatal) {
        *err = r->e.fatal_err;
        return r->e.fatal == QR_EINVAL ? QR_EFATAL : r->e.fatal;
    }
    return QR_OK;
}

static int run(ing_run *r, qr_err *err)
{
    int rc;
    if ((rc = open_inputs(r, err)) || (rc = open_ledger(r, err)) ||
        (rc = make_out_dirs(r, err)))
        return rc;
    rc = begin_batch(r, err);
    if (!rc)
        rc = run_batch(r, err);
    if (r->batch_open) {
        qr_err end_err = {0};
        int end_rc = finish_batch(r, rc != QR_OK, &end_err);
        if (rc == QR_OK && end_rc != QR_OK) {
            *err = end_err;
            rc = end_rc;
        }
    }
    return rc;
}

int qr_ingest_run(const qr_ingest_opts *o, qr_ingest_summary *sum, qr_err *err)
{
    ing_run r = {.o = o, .sum = sum, .lock_fd = -1};
    memset(sum, 0, sizeof *sum);
    pthread_mutex_init(&r.e.mu, NULL);
    r.e.opts = o;
    r.e.ref_time = qr_reference_time(NULL);
    if (o->profile)
        r.e.profile = *o->profile;
    else
        qr_profile_default(&r.e.profile);
    qr_stages_global_init();
    double t0 = qr_now();
    int rc = run(&r, err);
    sum->seconds = qr_now() - t0;
    free_run(&r);
    return rc;
}
