/*
 * qr_io: the ingest reader. It reads WHOLE source files into memory with a
 * bounded number of bytes in flight, so that memory depends on the
 * configuration and never on the size of the delivery.
 *
 * Backends sit behind one small interface (io_int.h), chosen at run time the
 * way an event loop picks epoll or select:
 *   - "io_uring": liburing, many reads in flight on one ring, large files read
 *     in chunks, short reads resubmitted;
 *   - "pread": plain blocking pread(2), used when io_uring_queue_init fails
 *     (ENOSYS / EPERM in containers, seccomp) or when QUIRE_IO=pread.
 * qr_io_backend_name() tells which one is in use, qr_io_backend_note() why.
 *
 * Threads: a qr_io belongs to ONE thread (the pipeline's ingest thread): open,
 * submit, next and close are called only there. qr_io_release() is the one
 * exception: buffers travel with page jobs to worker threads, and whichever
 * thread finishes with a buffer gives it back from there.
 *
 * Budget: "bytes in flight" counts every buffer from the moment submit accepts
 * its file until qr_io_release() returns it, including results the caller
 * holds. Submit never blocks: when the budget or the queue depth is used up it
 * returns QR_IO_BUSY and accepts nothing; the caller then takes results with
 * qr_io_next(), or, with nothing left to take, waits for other threads to
 * release buffers (qr_io_wait_release()). A file larger than the whole budget
 * is still read, alone, once nothing else is outstanding; a file above the
 * per-file cap fails with QR_ELIMIT naming the file.
 *
 * Every accepted submit yields exactly one result from qr_io_next(), success or
 * error, in completion order (not submission order: the tag says which it is).
 * A file is read up to the size fstat(2) reported when it was opened.
 */
#ifndef QR_IO_H
#define QR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_util.h"

/* Return values of qr_io_submit / qr_io_next beyond the QR_* error codes. */
enum {
    QR_IO_BUSY = 100, /* submit: queue depth or byte budget used up; nothing accepted */
    QR_IO_EMPTY = 101 /* next: no request is outstanding, nothing to wait for */
};

typedef struct qr_io_config {
    unsigned queue_depth;      /* requests submitted and not yet taken; 0 = 32 */
    size_t max_inflight_bytes; /* byte budget; 0 = 32 MiB */
    size_t max_file_bytes;     /* per-file cap, QR_ELIMIT above it; 0 = none */
    size_t chunk_bytes;        /* size of one read request; 0 = 4 MiB */
    const char *backend;       /* NULL or "auto": $QUIRE_IO if set, else io_uring
                                * with pread fallback; "io_uring" or "pread" force
                                * one (a forced io_uring that cannot start is an
                                * error, QR_EUNSUPPORTED) */
} qr_io_config;

void qr_io_config_default(qr_io_config *cfg);

typedef struct qr_io_result {
    void *tag;     /* as given to qr_io_submit */
    uint8_t *data; /* the file's bytes; owned by the caller, return with
                    * qr_io_release (never free()); NULL on error */
    size_t len;
    int code;      /* QR_OK, or QR_EIO / QR_EINVAL / QR_ELIMIT / QR_ENOMEM */
    qr_err err;    /* when code != QR_OK: message names the path */
} qr_io_result;

typedef struct qr_io qr_io;

/* cfg may be NULL (defaults). */
int qr_io_open(const qr_io_config *cfg, qr_io **out, qr_err *err);
/* Closes the ring, waits for reads still in flight and frees results not yet
 * taken. Buffers already handed out stay valid; release them before or after
 * (qr_io_release with a closed io is not allowed: release first). */
void qr_io_close(qr_io **io);

/* "io_uring" or "pread". */
const char *qr_io_backend_name(const qr_io *io);
/* Why this backend: e.g. "QUIRE_IO=pread" or "io_uring_queue_init: Operation
 * not permitted". Never NULL. */
const char *qr_io_backend_note(const qr_io *io);

/* Queue a read of the whole file at path. Returns QR_OK (one result will come
 * from qr_io_next, possibly an error naming the path), QR_IO_BUSY (nothing
 * accepted), or a QR_* code for a fatal problem of the reader itself. The path
 * is opened and stat'ed here (synchronously); an unopenable file is accepted
 * and reported through its result. */
int qr_io_submit(qr_io *io, const char *path, void *tag, qr_err *err);

/* Take one completed result, waiting if needed. Returns QR_OK with *out
 * filled, QR_IO_EMPTY when nothing is outstanding, or a fatal QR_* code. */
int qr_io_next(qr_io *io, qr_io_result *out, qr_err *err);

/* Give a result's buffer back to the budget. Any thread; data may be NULL. */
void qr_io_release(qr_io *io, uint8_t *data);

/* Block until some buffer is released or timeout_ms passes (-1 = forever).
 * Returns true if the budget moved. For the ingest thread when submit says
 * busy and qr_io_next says empty. */
bool qr_io_wait_release(qr_io *io, int timeout_ms);

/* Accounting, for progress output and tests. */
size_t qr_io_outstanding_bytes(qr_io *io); /* reserved, not yet released */
size_t qr_io_peak_bytes(qr_io *io);        /* high-water mark of the above */
unsigned qr_io_pending(const qr_io *io);   /* submitted, not yet taken by next */

#endif
