/*
 * io_req.c: finishing a read request, the one thing the backends (io_pread.c,
 * io_uring.c) hand back to the core (io.c).
 *
 * Kept apart from io.c so that the core calls the backends and the backends
 * call only this: no two files of the module call each other. Both run on
 * the ingest thread only, like the backends' completion handling.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io_int.h"

void qr_io_req_fail(qr_io_req *r, int code, const char *what, int errnum)
{
    if (r->code != QR_OK)
        return; /* keep the first error */
    if (errnum)
        qr_err_set(&r->err, code, "%s: %s: %s", r->path, what, strerror(errnum));
    else
        qr_err_set(&r->err, code, "%s: %s", r->path, what);
    r->code = code;
}

void qr_io_req_done(qr_io *io, qr_io_req *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    r->next = NULL;
    if (io->done_tail)
        io->done_tail->next = r;
    else
        io->done_head = r;
    io->done_tail = r;
    io->active--;
    io->done_count++;
}
