/* Implementation of the unit-test harness (see qr_test.h). */
#include "qr_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
