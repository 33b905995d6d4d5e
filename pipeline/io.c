/*
 * io.c: the core of qr_io — backend choice, admission against the queue depth
 * and the byte budget, and the hand-over of finished reads.
 *
 * Runs on the ingest thread only, except qr_io_release()/qr_io_wait_release()
 * and the counters, which are guarded by io->mu because buffers are released by
 * whichever worker finishes with them.
 *
 * Every buffer carries a small header in front of the payload that records
 * its reserved size, so qr_io_release(io, data) can return exactly what submit
 * reserved without the caller having to remember lengths.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io_int.h"

#define IO_MAGIC 0x71725f696f627566ull /* "qr_iobuf" */

typedef union io_hdr {
    struct {
        uint64_t magic;
        size_t reserved;
    } h;
    max_align_t align;
    unsigned char pad[64];
} io_hdr;

void qr_io_config_default(qr_io_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->queue_depth = 32;
    /* Read-ahead only has to keep the workers fed: at about 45 pages/s and
     * 0.25 MB a page that is 11 MB/s, so 32 MiB is seconds of work. A larger
     * budget is what made peak memory follow the delivery: a case file of
     * 54 uncompressed 4.5 MB pages held 256 MiB in flight (peak RSS 270 MB
     * against 117 MB at this budget). */
    cfg->max_inflight_bytes = (size_t)32 << 20;
    cfg->chunk_bytes = (size_t)4 << 20;
}

static void io_fill_defaults(qr_io_config *c)
{
    qr_io_config d;
    qr_io_config_default(&d);
    if (!c->queue_depth)
        c->queue_depth = d.queue_depth;
    if (!c->max_inflight_bytes)
        c->max_inflight_bytes = d.max_inflight_bytes;
    if (!c->chunk_bytes)
        c->chunk_bytes = d.chunk_bytes;
    if (c->chunk_bytes > ((size_t)1 << 30))
        c->chunk_bytes = (size_t)1 << 30; /* one SQE reads at most UINT_MAX */
}

/* ---- backend choice ---------------------------------------------------- */

static int io_try_uring(qr_io *io, bool forced, qr_err *err)
{
    qr_err why = {0};
    io->be = &qr_io_backend_uring;
    if (io->be->init(io, &why) == QR_OK) {
        snprintf(io->note, sizeof io->note, "%s", forced ? "forced io_uring" : "io_uring available");
        return QR_OK;
    }
    if (forced)
        return qr_err_set(err, QR_EUNSUPPORTED, "io_uring unavailable: %s", why.msg);
    io->be = &qr_io_backend_pread;
    snprintf(io->note, sizeof io->note, "fallback: %s", why.msg);
    return io->be->init(io, err);
}

static int io_choose_backend(qr_io *io, qr_err *err)
{
    const char *want = io->cfg.backend;
    const char *env = getenv("QUIRE_IO");
    bool from_env = false;
    if ((!want || !strcmp(want, "auto")) && env && *env && strcmp(env, "auto") != 0) {
        want = env;
        from_env = true;
    }
    if (!want || !strcmp(want, "auto"))
        return io_try_uring(io, false, err);
    if (!strcmp(want, "io_uring"))
        return io_try_uring(io, true, err);
    if (!strcmp(want, "pread")) {
        io->be = &qr_io_backend_pread;
        snprintf(io->note, sizeof io->note, "%s", from_env ? "QUIRE_IO=pread" : "forced pread");
        return io->be->init(io, err);
    }
    return qr_err_set(err, QR_EINVAL, "%s: unknown I/O backend '%s' (io_uring, pread or auto)",
                      from_env ? "QUIRE_IO" : "io backend", want);
}

int qr_io_open(const qr_io_config *cfg, qr_io **out, qr_err *err)
{
    *out = NULL;
    qr_io *io = calloc(1, sizeof *io);
    if (!io)
        return qr_err_set(err, QR_ENOMEM, "qr_io: out of memory");
    if (cfg)
        io->cfg = *cfg;
    io_fill_defaults(&io->cfg);
    pthread_mutex_init(&io->mu, NULL);
    pthread_cond_init(&io->released, NULL);
    int rc = io_choose_backend(io, err);
    if (rc != QR_OK) {
        io->be = NULL;
        qr_io_close(&io);
        return rc;
    }
    *out = io;
    return QR_OK;
}

static void io_req_free(qr_io_req *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r);
}

void qr_io_close(qr_io **iop)
{
    qr_io *io = *iop;
    if (!io)
        return;
    qr_err ignored = {0};
    while (io->be && io->active > 0)
        if (io->be->reap(io, &ignored) != QR_OK)
            break;
    while (io->done_head) {
        qr_io_req *r = io->done_head;
        io->done_head = r->next;
        qr_io_release(io, r->buf);
        io_req_free(r);
    }
    if (io->be)
        io->be->fini(io);
    pthread_cond_destroy(&io->released);
    pthread_mutex_destroy(&io->mu);
    free(io);
    *iop = NULL;
}

const char *qr_io_backend_name(const qr_io *io) { return io->be ? io->be->name : "none"; }
const char *qr_io_backend_note(const qr_io *io) { return io->note; }
unsigned qr_io_pending(const qr_io *io) { return io->active + io->done_count; }

/* ---- budget -------------------------------------------------------------- */

/* Reserve size bytes unless that would pass the budget while other buffers are
 * outstanding (a file bigger than the budget goes alone). */
static bool io_reserve(qr_io *io, size_t size)
{
    pthread_mutex_lock(&io->mu);
    size_t sum = 0;
    bool ok = qr_add_size(io->outstanding, size, &sum) &&
              (sum <= io->cfg.max_inflight_bytes || io->outstanding == 0);
    if (ok) {
        io->outstanding = sum;
        if (sum > io->peak)
            io->peak = sum;
    }
    pthread_mutex_unlock(&io->mu);
    return ok;
}

static void io_unreserve(qr_io *io, size_t size)
{
    pthread_mutex_lock(&io->mu);
    io->outstanding -= size < io->outstanding ? size : io->outstanding;
    io->release_seq++;
    pthread_cond_broadcast(&io->released);
    pthread_mutex_unlock(&io->mu);
}

static uint8_t *io_buf_alloc(size_t size)
{
    size_t total = 0;
    if (!qr_add_size(size, sizeof(io_hdr), &total))
        return NULL;
    io_hdr *h = malloc(total);
    if (!h)
        return NULL;
    h->h.magic = IO_MAGIC;
    h->h.reserved = size;
    return (uint8_t *)(h + 1);
}

void qr_io_release(qr_io *io, uint8_t *data)
{
    if (!data)
        return;
    io_hdr *h = (io_hdr *)(void *)data - 1;
    if (h->h.magic != IO_MAGIC)
        abort(); /* not a qr_io buffer, or released twice: memory is corrupt */
    h->h.magic = 0;
    size_t size = h->h.reserved;
    free(h);
    io_unreserve(io, size);
}

bool qr_io_wait_release(qr_io *io, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms >= 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&io->mu);
    uint64_t seq = io->release_seq;
    int rc = 0;
    while (io->release_seq == seq && io->outstanding > 0 && rc == 0)
        rc = timeout_ms < 0 ? pthread_cond_wait(&io->released, &io->mu)
                            : pthread_cond_timedwait(&io->released, &io->mu, &until);
    bool moved = io->release_seq != seq || io->outstanding == 0;
    pthread_mutex_unlock(&io->mu);
    return moved;
}

size_t qr_io_outstanding_bytes(qr_io *io)
{
    pthread_mutex_lock(&io->mu);
    size_t v = io->outstanding;
    pthread_mutex_unlock(&io->mu);
    return v;
}

size_t qr_io_peak_bytes(qr_io *io)
{
    pthread_mutex_lock(&io->mu);
    size_t v = io->peak;
    pthread_mutex_unlock(&io->mu);
    return v;
}

/* ---- requests (finished in io_req.c) -------------------------------------- */

/* Open and stat; on failure r carries the error and is finished at once. */
static bool io_req_open(qr_io *io, qr_io_req *r)
{
    do /* a signal that interrupts the open is not an unreadable page */
        r->fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    while (r->fd < 0 && errno == EINTR);
    if (r->fd < 0) {
        qr_io_req_fail(r, QR_EIO, "cannot open", errno);
        return false;
    }
    struct stat st;
    if (fstat(r->fd, &st) != 0) {
        qr_io_req_fail(r, QR_EIO, "cannot stat", errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        qr_io_req_fail(r, QR_EINVAL, S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                                         : "not a regular file", 0);
        return false;
    }
    if ((uint64_t)st.st_size > SIZE_MAX ||
        (io->cfg.max_file_bytes && (uint64_t)st.st_size > io->cfg.max_file_bytes)) {
        qr_err_set(&r->err, QR_ELIMIT, "%s: file of %lld bytes exceeds the per-file cap of %zu bytes",
                   r->path, (long long)st.st_size, io->cfg.max_file_bytes);
        r->code = QR_ELIMIT;
        return false;
    }
    r->size = (size_t)st.st_size;
    return true;
}

static qr_io_req *io_req_new(const char *path, void *tag)
{
    qr_io_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->path = qr_strdup(path);
    if (!r->path) {
        free(r);
        return NULL;
    }
    r->fd = -1;
    r->tag = tag;
    return r;
}

/* Reserve, allocate, hand to the backend. Returns QR_IO_BUSY untouched. */
static int io_req_start(qr_io *io, qr_io_req *r, qr_err *err)
{
    if (!io_reserve(io, r->size))
        return QR_IO_BUSY;
    r->buf = io_buf_alloc(r->size);
    if (!r->buf) {
        io_unreserve(io, r->size);
        qr_io_req_fail(r, QR_ENOMEM, "out of memory for the file's bytes", 0);
        qr_io_req_done(io, r);
        return QR_OK;
    }
    if (r->size == 0) {
        qr_io_req_done(io, r);
        return QR_OK;
    }
    return io->be->submit(io, r, err);
}

int qr_io_submit(qr_io *io, const char *path, void *tag, qr_err *err)
{
    if (qr_io_pending(io) >= io->cfg.queue_depth)
        return QR_IO_BUSY;
    qr_io_req *r = io_req_new(path, tag);
    if (!r)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
    io->active++;
    if (!io_req_open(io, r)) {
        qr_io_req_done(io, r);
        return QR_OK;
    }
    int rc = io_req_start(io, r, err);
    if (rc == QR_IO_BUSY) {
        io->active--;
        io_req_free(r);
    }
    return rc;
}

int qr_io_next(qr_io *io, qr_io_result *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    while (!io->done_head) {
        if (io->active == 0)
            return QR_IO_EMPTY;
        int rc = io->be->reap(io, err);
        if (rc != QR_OK)
            return rc;
    }
    qr_io_req *r = io->done_head;
    io->done_head = r->next;
    if (!io->done_head)
        io->done_tail = NULL;
    io->done_count--;
    out->tag = r->tag;
    out->code = r->code;
    out->err = r->err;
    if (r->code == QR_OK) {
        out->data = r->buf;
        out->len = r->size;
    } else {
        qr_io_release(io, r->buf);
    }
    io_req_free(r);
    return QR_OK;
}
