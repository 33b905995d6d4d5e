/*
 * libtiff over memory. Reading maps the caller's buffer (no copy, no file
 * name); writing appends to a growable buffer, used to produce G4 data. Every
 * handle gets its own message sink through TIFFOpenOptions, so libtiff never
 * prints and concurrent readers never see each other's errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "image_int.h"

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
    qr_tiff_mem *m = h;
    const uint8_t *src = m->writing ? m->wdata : m->data;
    if (n < 0 || m->pos >= m->len)
        return 0;
    size_t k = m->len - m->pos;
    if ((size_t)n < k)
        k = (size_t)n;
    memcpy(buf, src + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static bool mem_grow(qr_tiff_mem *m, size_t need)
{
    size_t old = m->cap;
    if (qr_grow(&m->wdata, &m->cap, need, 1) != QR_OK)
        return false;
    memset(m->wdata + old, 0, m->cap - old);
    return true;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
    qr_tiff_mem *m = h;
    size_t end;
    if (!m->writing || n < 0 || !qr_add_size(m->pos, (size_t)n, &end) || !mem_grow(m, end))
        return -1;
    memcpy(m->wdata + m->pos, buf, (size_t)n);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return n;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    qr_tiff_mem *m = h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    uint64_t to = base + off; /* off is unsigned: libtiff passes negatives wrapped */
    if (to > SIZE_MAX || (!m->writing && to > m->len))
        return (toff_t)-1;
    m->pos = (size_t)to;
    return to;
}

static int mem_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t mem_size(thandle_t h)
{
    return ((qr_tiff_mem *)h)->len;
}

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    qr_tiff_mem *m = h;
    if (m->writing)
        return 0;
    *base = (void *)m->data;
    *size = m->len;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/*
 * libtiff reports a directory entry it cannot read (a zeroed entry, a custom
 * tag of an unknown type) as an error, drops that tag and loads the rest of
 * the directory. The tags that steer decoding are known ones, so a page
 * that then decodes has lost nothing: the entry is kept apart as a warning
 * (dropped), not as an error that makes the page corrupt.
 */
static bool tag_dropped(const char *module, const char *msg)
{
    return module && strcmp(module, "TIFFFetchNormalTag") == 0 &&
           strstr(msg, "tag is not read") != NULL;
}

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    qr_tiff_log *log = user;
    char msg[160];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (tag_dropped(module, msg)) {
        if (log->dropped++ == 0)
            snprintf(log->first_dropped, sizeof log->first_dropped, "%s: %s", module, msg);
        return 1;
    }
    if (log->errors++ == 0)
        snprintf(log->first_error, sizeof log->first_error, "%s: %s", module ? module : "TIFF",
                 msg);
    return 1; /* handled: never reaches libtiff's global printer */
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    qr_tiff_log *log = user;
    char msg[160];
    log->warnings++;
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(log->last_warning, sizeof log->last_warning, "%s: %s", module ? module : "TIFF",
             msg);
    /* A tag whose bytes lie past the end of the file: libtiff drops the tag
     * and warns, but for us the file is truncated. */
    if (strstr(msg, "IO error") && log->errors++ == 0)
        memcpy(log->first_error, log->last_warning, sizeof log->first_error);
    return 1;
}

TIFF *qr_tiff_mem_open(qr_tiff_mem *mem, const char *mode, qr_tiff_log *log,
                       uint64_t max_alloc)
{
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, log);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, log);
    if (max_alloc > 0 && max_alloc < (uint64_t)INT64_MAX)
        TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)max_alloc);
    TIFF *tif = TIFFClientOpenExt("memory", mode, mem, mem_read, mem_write, mem_seek, mem_close,
                                  mem_size, mem_map, mem_unmap, opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

const char *qr_tiff_log_text(const qr_tiff_log *log, const char *fallback)
{
    if (log->errors)
        return log->first_error;
    if (log->warnings)
        return log->last_warning;
    return fallback;
}

void qr_tiff_log_reset(qr_tiff_log *log)
{
    memset(log, 0, sizeof *log);
}
