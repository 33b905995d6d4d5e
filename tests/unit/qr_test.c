/* Implementation of the unit-test harness (see qr_test.h). */
#include "qr_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "qr_util.h"

int qr_test_passed, qr_test_failed;

bool qr_test_check(bool ok, const char *expr, const char *file, int line)
{
    if (ok)
        qr_test_passed++;
    else {
        qr_test_failed++;
        fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, expr);
    }
    return ok;
}

bool qr_test_checkf(bool ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        qr_test_passed++;
        return true;
    }
    qr_test_failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: FAIL: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return false;
}

bool qr_test_eq_int(long long a, long long b, const char *ea, const char *eb,
                    const char *file, int line)
{
    return qr_test_checkf(a == b, file, line, "%s == %s (%lld != %lld)", ea, eb, a, b);
}

int qr_test_end(void)
{
    printf("%d passed, %d failed\n", qr_test_passed, qr_test_failed);
    return qr_test_failed ? 1 : 0;
}

const char *qr_test_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *qr_test_corpus(const char *name, char *buf, size_t n)
{
    const char *sh = qr_test_env("QUIRE_SHARED");
    if (!sh)
        return NULL;
    snprintf(buf, n, "%s/corpus/real/%s", sh, name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

const char *qr_test_tmpdir(const char *test_name, char *buf, size_t n)
{
    const char *b = qr_test_env("QUIRE_BUILD");
    snprintf(buf, n, "%s/testout/%s", b ? b : "/tmp", test_name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot create %s\n", buf);
        exit(1);
    }
    return buf;
}

uint8_t *qr_test_read(const char *path, size_t *len)
{
    uint8_t *data;
    qr_err err = {0};
    if (qr_read_file(path, 0, &data, len, &err)) {
        fprintf(stderr, "cannot read %s: %s\n", path, err.msg);
        exit(1);
    }
    return data;
}

static const char *const TEXT_PAGE =
    "Dear Sir, the application of the 14th of March has been received and "
    "filed under the reference given below. Please bring the original birth "
    "certificate, your passport and two photographs to the office. We will "
    "check the documents and return them to you on the same day. ";

struct Pix *qr_test_text_page(int w, int h, int font, int margin)
{
    PIX *p = pixCreate(w, h, 1);
    L_BMF *bmf = bmfCreate(NULL, font);
    size_t n = 0, cap = 32 * 1024, len = strlen(TEXT_PAGE);
    char *buf = malloc(cap);
    if (!p || !bmf || !buf) {
        fprintf(stderr, "qr_test_text_page: out of memory\n");
        exit(1);
    }
    buf[0] = 0;
    while (n + len + 1 < cap) {
        memcpy(buf + n, TEXT_PAGE, len + 1);
        n += len;
    }
    l_int32 overflow = 0;
    pixSetTextblock(p, bmf, buf, 1, margin, margin, w - 2 * margin, 0, &overflow);
    free(buf);
    bmfDestroy(&bmf);
    return p;
}

struct Pix *qr_test_corpus_150(const char *name)
{
    char buf[4096];
    const char *path = qr_test_corpus(name, buf, sizeof buf);
    PIX *src = path ? pixRead(path) : NULL;
    qr_test_checkf(src != NULL, __FILE__, __LINE__, "cannot read corpus file %s", name);
    if (!src)
        return NULL;
    int dpi = pixGetXRes(src) > 0 ? pixGetXRes(src) : 300;
    PIX *g = pixConvertTo8(src, 0);
    PIX *s = g ? pixScale(g, 150.0f / (float)dpi, 150.0f / (float)dpi) : NULL;
    PIX *b = s ? pixThresholdToBinary(s, 160) : NULL;
    pixDestroy(&s);
    pixDestroy(&g);
    pixDestroy(&src);
    return b;
}

void qr_test_dirty_padding(struct Pix *pix)
{
    int w = pixGetWidth(pix), wpl = pixGetWpl(pix), tail = w % 32;
    if (!tail)
        return;
    l_uint32 *data = pixGetData(pix);
    for (int y = 0; y < pixGetHeight(pix); y++)
        data[(size_t)y * wpl + wpl - 1] |= ~0u >> tail;
}
