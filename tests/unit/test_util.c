/* Unit tests for util/: overflow checks, SHA-256, natural order, dates, the
 * default actor (login name, else the uid's user, else "uid N"; never $USER), and
 * error messages and buffers formatted from their own text (an argument that
 * points into the destination: "%s" of err->msg, a prefix of itself). */
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_test.h"
#include "qr_util.h"

static void test_overflow(void)
{
    size_t r = 0;
    CHECK(qr_mul_size(1000, 1000, &r) && r == 1000000);
    CHECK(!qr_mul_size(SIZE_MAX / 2 + 1, 2, &r));
    CHECK(!qr_add_size(SIZE_MAX, 1, &r));
    CHECK(!qr_mul3_size(1u << 30, 1u << 30, 1u << 30, &r) || sizeof(size_t) > 8);
    CHECK(qr_malloc_array(SIZE_MAX / 4, 8) == NULL);
}

static void test_sha256(void)
{
    uint8_t d[QR_SHA256_LEN];
    char hex[QR_SHA256_HEX];
    qr_sha256_once("abc", 3, d);
    qr_hex(d, sizeof d, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    qr_sha256 *h = qr_sha256_new();
    qr_sha256_update(h, "a", 1);
    qr_sha256_update(h, "bc", 2);
    uint8_t d2[QR_SHA256_LEN];
    qr_sha256_final(h, d2);
    qr_sha256_free(&h);
    CHECK(h == NULL && memcmp(d, d2, sizeof d) == 0);
}

static void test_natcmp(void)
{
    CHECK(qr_natcmp("2.tif", "10.tif") < 0);
    CHECK(qr_natcmp("0002.tif", "0010.tif") < 0);
    CHECK(qr_natcmp("page10", "page9") > 0);
    CHECK(qr_natcmp("a", "a") == 0);
    CHECK(qr_natcmp("a", "ab") < 0);
}

static void test_time(void)
{
    char x[32], p[32];
    qr_time_xmp(1700000000, x);
    qr_time_pdf(1700000000, p);
    CHECK(strcmp(x, "2023-11-14T22:13:20Z") == 0);
    CHECK(strcmp(p, "D:20231114221320Z") == 0);
    CHECK(qr_parse_exif_time("2023:11:14 22:13:20") == 1700000000);
    CHECK(qr_parse_exif_time("garbage") == -1);
    CHECK(qr_parse_exif_time("2023:13:14 22:13:20") == -1);
    setenv("SOURCE_DATE_EPOCH", "123", 1);
    bool env = false;
    CHECK(qr_reference_time(&env) == 123 && env);
    setenv("SOURCE_DATE_EPOCH", "12x", 1);
    CHECK(qr_reference_time(&env) != 123 && !env);
}

static void test_buf(void)
{
    qr_buf b = {0};
    for (int i = 0; i < 1000; i++)
        CHECK_EQ_INT(qr_buf_printf(&b, "%d,", i), QR_OK);
    CHECK(b.len == 3890);
    CHECK(memcmp(b.data, "0,1,2,", 6) == 0);
    qr_buf_free(&b);
    qr_err e = {0};
    CHECK_EQ_INT(qr_err_set(&e, QR_ECORRUPT, "x %d", 5), QR_ECORRUPT);
    qr_err_prefix(&e, "file %s", "a.tif");
    CHECK(strcmp(e.msg, "file a.tif: x 5") == 0);
}

/* qr_err_set and qr_err_prefix given err->msg itself as an argument: the
 * message is formatted from the old text, not from a half-written one. */
static void test_err_alias(void)
{
    qr_err e = {0};
    qr_err_set(&e, QR_EIO, "cannot read a.tif");
    CHECK_EQ_INT(qr_err_set(&e, QR_EINVAL, "%s", e.msg), QR_EINVAL);
    CHECKF(strcmp(e.msg, "cannot read a.tif") == 0 && e.code == QR_EINVAL, "[%s]", e.msg);
    qr_err_set(&e, QR_EIO, "cannot read a.tif");
    qr_err_set(&e, QR_EINVAL, "delivery: %s", e.msg);
    CHECKF(strcmp(e.msg, "delivery: cannot read a.tif") == 0, "[%s]", e.msg);
    qr_err_set(&e, QR_EIO, "late");
    qr_err_set(&e, QR_EIO, "%s, %s", e.msg + 1, e.msg); /* a pointer inside it */
    CHECKF(strcmp(e.msg, "ate, late") == 0, "[%s]", e.msg);
    qr_err_set(&e, QR_EIO, "cannot read a.tif");
    qr_err_prefix(&e, "again (%s)", e.msg);
    CHECKF(strcmp(e.msg, "again (cannot read a.tif): cannot read a.tif") == 0, "[%s]", e.msg);
    /* A long message still ends inside the buffer. */
    char big[700];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    qr_err_set(&e, QR_EIO, "%s", big);
    qr_err_set(&e, QR_EIO, "y%s", e.msg);
    CHECK(strlen(e.msg) == sizeof e.msg - 1 && e.msg[0] == 'y' && e.msg[1] == 'x');
}

/* qr_buf_printf and qr_buf_append given the buffer's own bytes while it grows. */
static void test_buf_alias(void)
{
    qr_buf b = {0};
    char want[1024] = "";
    for (int i = 0; i < 20; i++)
        qr_buf_printf(&b, "%s", "0123456789");
    memcpy(want, b.data, b.len + 1);
    size_t n = b.len;
    CHECK_EQ_INT(qr_buf_printf(&b, "[%s]", (const char *)b.data), QR_OK);
    CHECKF(b.len == 2 * n + 2 && memcmp(b.data, want, n) == 0 && b.data[n] == '[' &&
               memcmp(b.data + n + 1, want, n) == 0 && b.data[2 * n + 1] == ']',
           "len %zu: %.60s", b.len, (const char *)b.data + n);
    qr_buf_free(&b);
    for (int i = 0; i < 20; i++)
        qr_buf_printf(&b, "%s", "abcdefghij");
    n = b.len;
    CHECK_EQ_INT(qr_buf_append(&b, b.data + 10, n - 10), QR_OK);
    CHECKF(b.len == 2 * n - 10 && memcmp(b.data + n, "abcdefghij", 10) == 0 &&
               b.data[b.len] == '\0' && memcmp(b.data + n, b.data + 10, n - 10) == 0,
           "len %zu", b.len);
    qr_buf_free(&b);
}

static void test_actor(void)
{
    setenv("USER", "not-the-actor", 1);
    setenv("LOGNAME", "not-the-actor", 1);
    const char *who = qr_actor_default();
    char want[256];
    struct passwd *pw = getpwuid(getuid());
    if (getlogin_r(want, sizeof want) != 0 || !want[0])
        snprintf(want, sizeof want, "%s", pw ? pw->pw_name : "");
    if (!want[0])
        snprintf(want, sizeof want, "uid %lu", (unsigned long)getuid());
    CHECKF(strcmp(who, want) == 0, "[%s], want [%s]", who, want);
}

static void test_copy_str(void)
{
    char b[5];
    CHECK(qr_copy_str(b, sizeof b, "abcd") && strcmp(b, "abcd") == 0);
    CHECK(!qr_copy_str(b, sizeof b, "abcdef") && strcmp(b, "abcd") == 0);
    CHECK(qr_copy_str(b, sizeof b, "") && b[0] == '\0');
    CHECK(!qr_copy_str(b, 0, "x"));
}

int main(void)
{
    test_overflow();
    test_sha256();
    test_natcmp();
    test_time();
    test_buf();
    test_err_alias();
    test_buf_alias();
    test_actor();
    test_copy_str();
    return qr_test_end();
}
