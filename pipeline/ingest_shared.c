/*
 * ingest_shared.c: what the engine's threads share — failing the run once
 * (the first fatal error wins, under the engine's lock), a file's fault list,
 * and freeing a page or a job whoever finishes with it.
 *
 * Apart from the stages (ingest_read.c, ingest_work.c, ingest_asm.c,
 * ingest_ledger.c) and from the engine that starts them (ingest.c), so that
 * the engine calls the stages, the stages call this, and no file calls back
 * into one that calls it. Any thread: ing_engine_fail and ing_engine_failed
 * take e->mu; the rest touch only what the caller owns.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_int.h"
#include "qr_io.h"

void ing_engine_fail(ing_engine *e, const qr_err *err)
{
    pthread_mutex_lock(&e->mu);
    if (!e->fatal) {
        e->fatal = err && err->code ? err->code : QR_EFATAL;
        if (err)
            e->fatal_err = *err;
    }
    pthread_mutex_unlock(&e->mu);
}

bool ing_engine_failed(ing_engine *e)
{
    pthread_mutex_lock(&e->mu);
    bool f = e->fatal != 0;
    pthread_mutex_unlock(&e->mu);
    return f;
}

int ing_faults_push(ing_faults *f, const qr_fault *x)
{
    if (qr_grow(&f->v, &f->cap, f->n + 1, sizeof *f->v) != QR_OK)
        return QR_ENOMEM;
    f->v[f->n++] = *x;
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

void ing_job_release(ing_engine *e, ing_job *j)
{
    if (j->from_io)
        qr_io_release(e->io, j->data);
    else
        free(j->data);
    free(j);
}
