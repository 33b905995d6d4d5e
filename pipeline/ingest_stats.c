/*
 * Where a run's CPU time goes, stage by stage.
 *
 * Why thread CPU time and not wall time: on a shared machine wall time
 * measures the neighbours; CPU time of the thread that did the work does not.
 * Workers time each page's stages and add them once per job (one lock per
 * source, not per stage); the reader, assembler and ledger threads each own
 * one stage and report their whole CPU time when they end.
 */
#include <time.h>

#include "ingest_int.h"

static const char *const STAGE_NAMES[QR_STAGE__COUNT] = {
    "read", "decode", "analyse", "correct", "encode", "signature", "write", "ledger"};

const char *qr_ingest_stage_name(qr_ingest_stage s)
{
    return (unsigned)s < QR_STAGE__COUNT ? STAGE_NAMES[s] : "?";
}

double ing_thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ing_stage_add(ing_engine *e, const double add[QR_STAGE__COUNT])
{
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < QR_STAGE__COUNT; i++)
        e->stage_cpu[i] += add[i];
    pthread_mutex_unlock(&e->mu);
}
