/*
 * io_uring.c: the fast qr_io backend. One ring (liburing) with as many entries
 * as the queue depth; every active request has exactly one read in the ring at
 * a time, so a submission queue entry is always available. A file is read in
 * chunks of cfg.chunk_bytes; a short read is simply continued from where it
 * stopped, -EINTR / -EAGAIN are retried, a zero-byte read before the end means
 * the file shrank. Files are opened with open(2) by the core, which needs the
 * size before it can reserve budget. Ingest thread only.
 *
 * A build with -DQUIRE_TEST_HOOKS=ON (tests only, never a release) can fail
 * the Nth completion on purpose (see hook_res below): the fault table's way
 * into this file's error paths, which no LD_PRELOAD library reaches because
 * completions come from memory the kernel shares with the ring, not from a
 * libc call.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

#ifdef QUIRE_TEST_HOOKS
#include <stdio.h>

/* The variables of tests/fault/failshim.c, read when a ring opens:
 * QR_FAIL_OP=uring_cqe, QR_FAIL_PATH (a substring of the file's path),
 * QR_FAIL_NTH=N (the Nth completion of such a file fails with
 * -QR_FAIL_ERRNO: ENOSPC, EIO, EINTR or EAGAIN) or QR_FAIL_COUNT=1 (only
 * count them), QR_FAIL_REPORT (calls, fired and the failed completion,
 * written when the ring closes). One ring at a time (ingest opens one). */
static struct {
    bool on, count_only;
    long long nth, calls, fired;
    int err;
    const char *path, *report;
    char site[700];
} hook;

static void hook_init(void)
{
    memset(&hook, 0, sizeof hook);
    const char *op = getenv("QR_FAIL_OP"), *e = getenv("QR_FAIL_ERRNO");
    const char *n = getenv("QR_FAIL_NTH"), *c = getenv("QR_FAIL_COUNT");
    hook.on = op && !strcmp(op, "uring_cqe");
    hook.path = getenv("QR_FAIL_PATH");
    hook.report = getenv("QR_FAIL_REPORT");
    hook.nth = n ? atoll(n) : 0;
    hook.count_only = !n && c && strcmp(c, "0") != 0;
    hook.err = !e ? ENOSPC : !strcmp(e, "EIO") ? EIO : !strcmp(e, "EINTR") ? EINTR
               : !strcmp(e, "EAGAIN") ? EAGAIN : ENOSPC;
}

/* The result the completion of r is given: res, or -errno when it is the one. */
static int hook_res(const qr_io_req *r, int res)
{
    if (!hook.on || (hook.path && !strstr(r->path, hook.path)))
        return res;
    long long k = ++hook.calls;
    if (hook.count_only || k != hook.nth)
        return res;
    if (hook.fired++ == 0)
        snprintf(hook.site, sizeof hook.site, "completion %s", r->path);
    return -hook.err;
}

static void hook_report(void)
{
    FILE *f = hook.on && hook.report ? fopen(hook.report, "w") : NULL;
    if (!f)
        return;
    fprintf(f, "op=uring_cqe\ncalls=%lld\nfired=%lld\nsite=%s\n", hook.calls, hook.fired,
            hook.site);
    fclose(f);
}
#else
#define hook_init() ((void)0)
#define hook_res(r, res) (res)
#define hook_report() ((void)0)
#endif

static int uring_init(qr_io *io, qr_err *err)
{
    struct io_uring *ring = calloc(1, sizeof *ring);
    if (!ring)
        return qr_err_set(err, QR_ENOMEM, "io_uring: out of memory");
    int rc = io_uring_queue_init(io->cfg.queue_depth, ring, 0);
    if (rc < 0) {
        free(ring);
        return qr_err_set(err, QR_EUNSUPPORTED, "io_uring_queue_init(%u): %s",
                          io->cfg.queue_depth, strerror(-rc));
    }
    io->impl = ring;
    hook_init();
    return QR_OK;
}

/* Queue the next chunk of r. On failure r is finished with the error. */
static void uring_queue_chunk(qr_io *io, qr_io_req *r)
{
    struct io_uring *ring = io->impl;
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    if (!sqe) {
        qr_io_req_fail(r, QR_EIO, "io_uring: submission queue full", 0);
        qr_io_req_done(io, r);
        return;
    }
    size_t want = r->size - r->off;
    if (want > io->cfg.chunk_bytes)
        want = io->cfg.chunk_bytes;
    io_uring_prep_read(sqe, r->fd, r->buf + r->off, (unsigned)want, (uint64_t)r->off);
    io_uring_sqe_set_data(sqe, r);
}

static int uring_submit(qr_io *io, qr_io_req *r, qr_err *err)
{
    uring_queue_chunk(io, r);
    int rc = io_uring_submit(io->impl);
    if (rc < 0)
        return qr_err_set(err, QR_EFATAL, "io_uring_submit: %s", strerror(-rc));
    return QR_OK;
}

/* One completion: advance r, queue its next chunk or finish it. */
static void uring_complete(qr_io *io, qr_io_req *r, int res)
{
    if (res == -EINTR || res == -EAGAIN) {
        uring_queue_chunk(io, r);
        return;
    }
    if (res < 0)
        qr_io_req_fail(r, QR_EIO, "read failed", -res);
    else if (res == 0)
        qr_io_req_fail(r, QR_EIO, "file shrank while being read", 0);
    else
        r->off += (size_t)res;
    if (r->code != QR_OK || r->off >= r->size)
        qr_io_req_done(io, r);
    else
        uring_queue_chunk(io, r);
}

static int uring_reap(qr_io *io, qr_err *err)
{
    struct io_uring *ring = io->impl;
    struct io_uring_cqe *cqe = NULL;
    unsigned before = io->done_count;
    while (io->done_count == before) {
        int rc = io_uring_wait_cqe(ring, &cqe);
        if (rc == -EINTR)
            continue;
        if (rc < 0)
            return qr_err_set(err, QR_EFATAL, "io_uring_wait_cqe: %s", strerror(-rc));
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            qr_io_req *r = io_uring_cqe_get_data(cqe);
            uring_complete(io, r, hook_res(r, cqe->res));
            seen++;
        }
        io_uring_cq_advance(ring, seen);
        rc = io_uring_submit(ring);
        if (rc < 0)
            return qr_err_set(err, QR_EFATAL, "io_uring_submit: %s", strerror(-rc));
    }
    return QR_OK;
}

static void uring_fini(qr_io *io)
{
    hook_report();
    if (!io->impl)
        return;
    io_uring_queue_exit(io->impl);
    free(io->impl);
    io->impl = NULL;
}

const qr_io_backend qr_io_backend_uring = {
    .name = "io_uring",
    .init = uring_init,
    .submit = uring_submit,
    .reap = uring_reap,
    .fini = uring_fini,
};
