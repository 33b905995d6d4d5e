/*
 * qr_util implementation. Thread-safe throughout: no static mutable state.
 * SHA-256 comes from OpenSSL's EVP interface (a maintained, audited library)
 * rather than a hand-written digest.
 */
#include "qr_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

/* Every formatter here writes into a local buffer first and copies after: an
 * argument may point into the destination (qr_err_set(err, c, "x: %s",
 * err->msg), a buffer printed into itself), and vsnprintf into memory that
 * one of its arguments reads is undefined behaviour (glibc printed an empty
 * or a repeated message). */
int qr_err_set(qr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        char msg[sizeof err->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        err->code = code;
        memcpy(err->msg, msg, sizeof msg);
    }
    return code;
}

void qr_err_prefix(qr_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char pre[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap); /* may read err->msg: not written yet */
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3;
    size_t ol = strnlen(old, rest);
    memcpy(err->msg + n + 2, old, ol);
    err->msg[n + 2 + ol] = '\0';
}

const char *qr_err_name(int code)
{
    static const char *const names[] = {"ok", "unsupported", "corrupt", "limit",
                                        "out of memory", "i/o", "invalid", "fatal"};
    if (code < 0 || (size_t)code >= sizeof names / sizeof names[0])
        return "error";
    return names[code];
}

bool qr_mul_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool qr_add_size(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool qr_mul3_size(size_t a, size_t b, size_t c, size_t *out)
{
    size_t ab;
    return qr_mul_size(a, b, &ab) && qr_mul_size(ab, c, out);
}

void *qr_malloc_array(size_t n, size_t size)
{
    size_t total;
    if (!qr_mul_size(n, size, &total))
        return NULL;
    return malloc(total ? total : 1);
}

char *qr_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

bool qr_copy_str(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return false;
    size_t n = strnlen(src, cap);
    bool fits = n < cap;
    if (!fits)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

struct qr_sha256 {
    EVP_MD_CTX *ctx;
};

qr_sha256 *qr_sha256_new(void)
{
    qr_sha256 *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void qr_sha256_update(qr_sha256 *h, const void *data, size_t len)
{
    if (len)
        EVP_DigestUpdate(h->ctx, data, len);
}

void qr_sha256_final(qr_sha256 *h, uint8_t out[QR_SHA256_LEN])
{
    unsigned int n = QR_SHA256_LEN;
    EVP_DigestFinal_ex(h->ctx, out, &n);
}

qr_sha256 *qr_sha256_dup(const qr_sha256 *h)
{
    qr_sha256 *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx || EVP_MD_CTX_copy_ex(d->ctx, h->ctx) != 1) {
        EVP_MD_CTX_free(d->ctx);
        free(d);
        return NULL;
    }
    return d;
}

void qr_sha256_free(qr_sha256 **h)
{
    if (h && *h) {
        EVP_MD_CTX_free((*h)->ctx);
        free(*h);
        *h = NULL;
    }
}

void qr_sha256_once(const void *data, size_t len, uint8_t out[QR_SHA256_LEN])
{
    unsigned int n = QR_SHA256_LEN;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void qr_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

int qr_sha256_file(const char *path, char hex[QR_SHA256_HEX], qr_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return qr_err_set(err, QR_EIO, "%s: %s", path, strerror(errno));
    qr_sha256 *h = qr_sha256_new();
    if (!h) {
        fclose(f);
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
    }
    uint8_t chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        qr_sha256_update(h, chunk, n);
    int bad = ferror(f);
    fclose(f);
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_final(h, d);
    qr_sha256_free(&h);
    if (bad)
        return qr_err_set(err, QR_EIO, "%s: read error", path);
    qr_hex(d, sizeof d, hex);
    return QR_OK;
}

int qr_buf_reserve(qr_buf *b, size_t extra)
{
    size_t need;
    if (!qr_add_size(b->len, extra, &need))
        return QR_ENOMEM;
    return qr_grow(&b->data, &b->cap, need, 1);
}

/* Whether p points into b's storage (compared as integers: relational
 * operators on pointers into different objects are undefined). */
static bool buf_holds(const qr_buf *b, const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)b->data;
    return b->data && a >= lo && a < lo + b->cap;
}

int qr_buf_append(qr_buf *b, const void *data, size_t len)
{
    /* data may be b's own bytes, which growing the buffer moves. */
    size_t off = buf_holds(b, data) ? (size_t)((uintptr_t)data - (uintptr_t)b->data) : SIZE_MAX;
    if (qr_buf_reserve(b, len + 1))
        return QR_ENOMEM;
    if (off != SIZE_MAX)
        data = b->data + off;
    if (len)
        memmove(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return QR_OK;
}

int qr_buf_printf(qr_buf *b, const char *fmt, ...)
{
    /* Formatted apart, then appended: an argument may be b's own text. */
    char small[256], *text = small;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= sizeof small && (text = malloc((size_t)n + 1)))
        vsnprintf(text, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    int rc = n < 0 || !text ? QR_ENOMEM : qr_buf_append(b, text, (size_t)n);
    if (text != small)
        free(text);
    return rc;
}

void qr_buf_free(qr_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int qr_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, qr_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return qr_err_set(err, QR_EIO, "%s: %s", path, strerror(errno));
    struct stat st; /* fopen opens a directory; its first read fails with EISDIR */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return qr_err_set(err, QR_EIO, "%s: is a directory, not a file", path);
    }
    qr_buf b = {0};
    uint8_t chunk[1 << 16];
    size_t n;
    int rc = QR_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max_bytes && b.len + n > max_bytes) {
            rc = qr_err_set(err, QR_ELIMIT, "%s: larger than the %zu-byte cap", path, max_bytes);
            break;
        }
        if (qr_buf_append(&b, chunk, n)) {
            rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
            break;
        }
    }
    if (rc == QR_OK && ferror(f))
        rc = qr_err_set(err, QR_EIO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc) {
        qr_buf_free(&b);
        return rc;
    }
    *data = b.data ? b.data : calloc(1, 1);
    *len = b.len;
    return *data ? QR_OK : qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
}

time_t qr_reference_time(bool *from_env)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!errno && *end == '\0' && v >= 0) {
            if (from_env)
                *from_env = true;
            return (time_t)v;
        }
    }
    if (from_env)
        *from_env = false;
    return time(NULL);
}

/* t's UTC fields, t clamped to 1900-01-01 .. 9999-12-31T23:59:59 so that the
 * year has four digits: beyond an int year gmtime_r fails and leaves tm
 * unset, and strftime then wrote garbage that could fill the 32 bytes with
 * no terminating NUL (SOURCE_DATE_EPOCH=99999999999999999). */
static void utc_fields(time_t t, struct tm *tm)
{
    const time_t lo = (time_t)-2208988800LL, hi = (time_t)253402300799LL;
    t = t < lo ? lo : t > hi ? hi : t;
    gmtime_r(&t, tm);
}

void qr_time_xmp(time_t t, char out[32])
{
    struct tm tm;
    utc_fields(t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void qr_time_pdf(time_t t, char out[32])
{
    struct tm tm;
    utc_fields(t, &tm);
    strftime(out, 32, "D:%Y%m%d%H%M%SZ", &tm);
}

time_t qr_parse_exif_time(const char *s)
{
    struct tm tm = {0};
    if (!s || sscanf(s, "%4d:%2d:%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    if (tm.tm_year < 1900 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

int qr_natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la]))
                la++;
            while (isdigit((unsigned char)b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : (*b ? -1 : 0);
}

/* The pointer is read and written through memcpy, so that any T ** can be
 * passed without converting it to void ** (which C does not allow to alias). */
int qr_grow(void *pptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return QR_OK;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        if (!qr_mul_size(c, 2, &c))
            return QR_ENOMEM;
    size_t bytes;
    if (!qr_mul_size(c, elem, &bytes))
        return QR_ENOMEM;
    void *v;
    memcpy(&v, pptr, sizeof v);
    void *p = realloc(v, bytes);
    if (!p)
        return QR_ENOMEM;
    memcpy(pptr, &p, sizeof p);
    *cap = c;
    return QR_OK;
}
