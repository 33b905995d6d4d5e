/*
 * The PDF writer's byte sink: a 256 KiB buffer over write(2) that hashes
 * every byte as it is accepted and counts the file offset.
 *
 * Why not stdio: we need the exact errno of the failing write (ENOSPC,
 * EFBIG, EIO) for the caller's error, a buffer large enough that a 20 MB
 * page costs a handful of syscalls, and the SHA-256 of the archive without
 * reading it back. Large payloads (image data) bypass the buffer.
 *
 * Errors are sticky: after the first failed write every further call is a
 * no-op, and the writer checks qr_pdf_out_flush() at its commit points, so
 * the formatting code need not test every call. Runs on the thread that owns
 * the qr_pdf.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf_int.h"

int qr_pdf_out_init(qr_pdf_out *o, int fd)
{
    memset(o, 0, sizeof *o);
    o->fd = fd;
    o->buf = malloc(QR_PDF_OUT_BUF);
    o->sha = qr_sha256_new();
    if (!o->buf || !o->sha) {
        qr_pdf_out_release(o);
        return QR_ENOMEM;
    }
    return QR_OK;
}

static void write_all(qr_pdf_out *o, const uint8_t *p, size_t n)
{
    while (n > 0 && o->err_no == 0) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno != EINTR)
                o->err_no = errno;
            continue;
        }
        if (w == 0) {
            o->err_no = EIO;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
}

int qr_pdf_out_flush(qr_pdf_out *o)
{
    if (o->len > 0 && o->err_no == 0)
        write_all(o, o->buf, o->len);
    o->len = 0;
    return o->err_no;
}

void qr_pdf_out_write(qr_pdf_out *o, const void *p, size_t n)
{
    if (o->err_no || n == 0)
        return;
    qr_sha256_update(o->sha, p, n);
    o->offset += n;
    if (n > QR_PDF_OUT_BUF - o->len) {
        qr_pdf_out_flush(o);
        if (n >= QR_PDF_OUT_BUF / 2) {
            write_all(o, p, n);
            return;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void qr_pdf_out_puts(qr_pdf_out *o, const char *s)
{
    qr_pdf_out_write(o, s, strlen(s));
}

void qr_pdf_out_printf(qr_pdf_out *o, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->err_no = o->err_no ? o->err_no : EINVAL;
        return;
    }
    if ((size_t)n < sizeof small) {
        qr_pdf_out_write(o, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        o->err_no = o->err_no ? o->err_no : ENOMEM;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    qr_pdf_out_write(o, big, (size_t)n);
    free(big);
}

void qr_pdf_out_release(qr_pdf_out *o)
{
    free(o->buf);
    o->buf = NULL;
    qr_sha256_free(&o->sha);
}
