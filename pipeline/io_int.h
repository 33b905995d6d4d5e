/*
 * io_int.h: what qr_io's core (io.c) and its backends (io_pread.c,
 * io_uring.c) share. The core owns admission (queue depth, byte budget,
 * open + fstat) and the list of finished requests; a backend only moves bytes
 * from an open descriptor into a request's buffer and calls qr_io_req_done()
 * when a request is complete or failed. All of it runs on the ingest thread.
 */
#ifndef QR_IO_INT_H
#define QR_IO_INT_H

#include <pthread.h>

#include "qr_io.h"

typedef struct qr_io_req {
    struct qr_io_req *next; /* done list / pread queue link */
    void *tag;
    char *path;
    int fd;
    uint8_t *buf;           /* payload (after the accounting header) */
    size_t size;            /* bytes to read: st_size at open */
    size_t off;             /* bytes read so far */
    int code;
    qr_err err;
} qr_io_req;

typedef struct qr_io_backend {
    const char *name;
    /* Set up io->impl; a failure lets the core fall back to pread. */
    int (*init)(qr_io *io, qr_err *err);
    /* Start (or continue) reading r from r->off. */
    int (*submit)(qr_io *io, qr_io_req *r, qr_err *err);
    /* Wait until at least one active request is finished (qr_io_req_done). */
    int (*reap)(qr_io *io, qr_err *err);
    void (*fini)(qr_io *io);
} qr_io_backend;

extern const qr_io_backend qr_io_backend_pread;
extern const qr_io_backend qr_io_backend_uring;

struct qr_io {
    qr_io_config cfg;
    const qr_io_backend *be;
    void *impl;
    char note[600];
    unsigned active;          /* accepted, not yet finished */
    unsigned done_count;      /* finished, not yet taken */
    qr_io_req *done_head, *done_tail;
    pthread_mutex_t mu;       /* guards the byte counters: release may come from any thread */
    pthread_cond_t released;
    size_t outstanding, peak;
    uint64_t release_seq;
};

/* Backend -> core: r is complete (code QR_OK) or failed (code/err set). */
void qr_io_req_done(qr_io *io, qr_io_req *r);
/* Mark r failed with a message that names its path. */
void qr_io_req_fail(qr_io_req *r, int code, const char *what, int errnum);

#endif
