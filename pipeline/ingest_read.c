/*
 * The reader thread: walks the scheduled files in delivery order and turns
 * every source into a job for the worker pool.
 *
 * Plain files are read whole through qr_io (io_uring, or pread as fallback)
 * with a bounded number of bytes in flight; archive members (zip/tar) are
 * read through their delivery, one at a time, on this thread. Jobs leave in
 * completion order; the assembler restores delivery order.
 *
 * A file with no sources at all (an empty folder) is sent straight to the
 * assembler as an empty marker so that its verdict (missing pages) is still
 * decided in order with the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "qr_io.h"

static void send_job(ing_engine *e, ing_job *j)
{
    void *item = j;
    if (!qr_queue_send(e->jobs, &item))
        ing_job_release(e, j);
}

static void job_from_result(ing_engine *e, qr_io_result *r)
{
    ing_job *j = r->tag;
    j->data = r->data;
    j->len = r->len;
    j->from_io = true;
    j->read_code = r->code;
    if (r->code)
        snprintf(j->read_msg, sizeof j->read_msg, "%s", r->err.msg);
    send_job(e, j);
}

/* Take one completed read; wait for released buffers when nothing is out. */
static int take_one(ing_engine *e)
{
    qr_io_result r;
    qr_err err = {0};
    int rc = qr_io_next(e->io, &r, &err);
    if (rc == QR_OK) {
        job_from_result(e, &r);
        return QR_OK;
    }
    if (rc == QR_IO_EMPTY) {
        qr_io_wait_release(e->io, 100);
        return QR_OK;
    }
    ing_engine_fail(e, &err);
    return rc;
}

static int submit_file_source(ing_engine *e, ing_job *j, const char *path)
{
    for (;;) {
        qr_err err = {0};
        int rc = qr_io_submit(e->io, path, j, &err);
        if (rc == QR_OK)
            return QR_OK;
        if (rc != QR_IO_BUSY) {
            ing_engine_fail(e, &err);
            return rc;
        }
        if ((rc = take_one(e)) != QR_OK)
            return rc;
    }
}

static void read_member(ing_engine *e, ing_job *j)
{
    const ing_source *s = &j->file->sources[j->source_idx];
    qr_err err = {0};
    size_t cap = (size_t)e->opts->limits.max_page_bytes;
    j->read_code = qr_delivery_read_source(j->file->dlv, s->src, cap, &j->data, &j->len, &err);
    if (j->read_code)
        snprintf(j->read_msg, sizeof j->read_msg, "%s", err.msg);
    send_job(e, j);
}

static void send_empty_marker(ing_engine *e, ing_file *f)
{
    ing_page *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->file = f;
    p->source_idx = -1;
    void *item = p;
    if (!qr_queue_send(e->pages, &item))
        free(p);
}

static int read_file(ing_engine *e, ing_file *f)
{
    if (f->n_sources == 0) {
        send_empty_marker(e, f);
        return QR_OK;
    }
    for (int i = 0; i < f->n_sources && !ing_engine_failed(e); i++) {
        ing_job *j = calloc(1, sizeof *j);
        if (!j)
            return QR_ENOMEM;
        j->file = f;
        j->source_idx = i;
        const qr_delivery_source *s = f->sources[i].src;
        if (s->member) {
            read_member(e, j);
            continue;
        }
        int rc = submit_file_source(e, j, s->abs_path);
        if (rc) {
            free(j);
            return rc;
        }
    }
    return QR_OK;
}

void *ing_reader_main(void *arg)
{
    ing_engine *e = arg;
    for (int i = 0; i < e->n_files && !ing_engine_failed(e); i++)
        if (read_file(e, &e->files[i]))
            break;
    while (qr_io_pending(e->io) > 0 && take_one(e) == QR_OK)
        ;
    qr_queue_close(e->jobs);
    double cpu[QR_STAGE__COUNT] = {0};
    cpu[QR_STAGE_READ] = ing_thread_cpu();
    ing_stage_add(arg, cpu);
    return NULL;
}
