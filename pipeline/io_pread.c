/*
 * io_pread.c: the portable qr_io backend. Reads happen synchronously inside
 * reap(), one whole file per call, in submission order, with plain pread(2):
 * no read-ahead overlap, but it works wherever the kernel forbids io_uring
 * (older kernels, seccomp profiles of container runtimes) and it is the
 * reference the io_uring backend is tested against. Ingest thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "io_int.h"

typedef struct pread_queue {
    qr_io_req *head, *tail;
} pread_queue;

static int pread_init(qr_io *io, qr_err *err)
{
    io->impl = calloc(1, sizeof(pread_queue));
    if (!io->impl)
        return qr_err_set(err, QR_ENOMEM, "pread backend: out of memory");
    return QR_OK;
}

static int pread_submit(qr_io *io, qr_io_req *r, qr_err *err)
{
    pread_queue *q = io->impl;
    r->next = NULL;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    return QR_OK;
}

/* Read r completely in chunks; a read of 0 before the end means the file shrank. */
static void pread_whole(qr_io *io, qr_io_req *r)
{
    while (r->off < r->size) {
        size_t want = r->size - r->off;
        if (want > io->cfg.chunk_bytes)
            want = io->cfg.chunk_bytes;
        ssize_t n = pread(r->fd, r->buf + r->off, want, (off_t)r->off);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            qr_io_req_fail(r, QR_EIO, "read failed", errno);
            return;
        }
        if (n == 0) {
            qr_io_req_fail(r, QR_EIO, "file shrank while being read", 0);
            return;
        }
        r->off += (size_t)n;
    }
}

static int pread_reap(qr_io *io, qr_err *err)
{
    pread_queue *q = io->impl;
    qr_io_req *r = q->head;
    if (!r)
        return qr_err_set(err, QR_EFATAL, "pread backend: reap with nothing queued");
    q->head = r->next;
    if (!q->head)
        q->tail = NULL;
    pread_whole(io, r);
    qr_io_req_done(io, r);
    return QR_OK;
}

static void pread_fini(qr_io *io)
{
    free(io->impl);
    io->impl = NULL;
}

const qr_io_backend qr_io_backend_pread = {
    .name = "pread",
    .init = pread_init,
    .submit = pread_submit,
    .reap = pread_reap,
    .fini = pread_fini,
};
