/*
 * Unit tests of the io_uring backend's error paths, through the completion
 * hook that a -DQUIRE_TEST_HOOKS=ON build compiles (pipeline/io_uring.c):
 *   - a completion that a signal interrupted (-EINTR) or that asks to be
 *     tried again (-EAGAIN) is resubmitted: the file arrives byte for byte;
 *   - a failed completion (-EIO, -ENOSPC), first or after a chunk was read,
 *     fails that file only, with a message naming its path and the error,
 *     and its bytes go back to the budget;
 *   - the counting mode counts one completion per chunk.
 * Skipped (77) in a build without the hook, or where no ring can be made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_io.h"
#include "qr_test.h"

#ifdef QUIRE_TEST_HOOKS

#define CHUNK ((size_t)65536)
#define SIZE (CHUNK * 3 + 17) /* four chunks */

static char dir[512], path[700], other[700];
static uint8_t *bytes;

static void make_files(void)
{
    qr_test_tmpdir("test_pipeline_uring_hook", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/target.bin", dir);
    snprintf(other, sizeof other, "%s/bystander.bin", dir);
    bytes = malloc(SIZE);
    for (size_t i = 0; i < SIZE; i++)
        bytes[i] = (uint8_t)(i * 2654435761u >> 13);
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? other : path, "wb");
        if (!f || fwrite(bytes, 1, SIZE, f) != SIZE || fclose(f) != 0)
            abort();
    }
}

/* Fail the nth completion of target.bin with errno_name ("" = count only). */
static void arm(long long nth, const char *errno_name, const char *report)
{
    char n[32];
    snprintf(n, sizeof n, "%lld", nth);
    setenv("QR_FAIL_OP", "uring_cqe", 1);
    setenv("QR_FAIL_PATH", "target.bin", 1);
    setenv("QR_FAIL_ERRNO", errno_name, 1);
    setenv("QR_FAIL_REPORT", report, 1);
    if (nth) {
        setenv("QR_FAIL_NTH", n, 1);
        unsetenv("QR_FAIL_COUNT");
    } else {
        setenv("QR_FAIL_COUNT", "1", 1);
        unsetenv("QR_FAIL_NTH");
    }
}

static qr_io *open_ring(void)
{
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    cfg.backend = "io_uring";
    cfg.chunk_bytes = CHUNK;
    qr_io *io = NULL;
    qr_err err = {0};
    return qr_io_open(&cfg, &io, &err) == QR_OK ? io : NULL;
}

/* Read target.bin and bystander.bin; *code_target is target's result code. */
static void read_both(qr_io *io, int *code_target, char *msg, size_t n)
{
    qr_err err = {0};
    CHECK_EQ_INT(qr_io_submit(io, path, path, &err), QR_OK);
    CHECK_EQ_INT(qr_io_submit(io, other, other, &err), QR_OK);
    qr_io_result r;
    while (qr_io_next(io, &r, &err) == QR_OK) {
        if (r.tag == path) {
            *code_target = r.code;
            snprintf(msg, n, "%s", r.err.msg);
        } else {
            CHECKF(r.code == QR_OK, "the bystander failed too: %s", r.err.msg);
        }
        if (r.code == QR_OK)
            CHECKF(r.len == SIZE && memcmp(r.data, bytes, SIZE) == 0, "%s differs",
                   (const char *)r.tag);
        qr_io_release(io, r.data);
    }
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
}

static long long report_value(const char *report, const char *key)
{
    FILE *f = fopen(report, "r");
    char line[800];
    long long v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == '=')
            v = atoll(line + k + 1);
    if (f)
        fclose(f);
    return v;
}

static void test_one(long long nth, const char *errno_name, int want_code, const char *want_msg)
{
    char report[800];
    snprintf(report, sizeof report, "%s/report-%s-%lld", dir, errno_name, nth);
    arm(nth, errno_name, report);
    qr_io *io = open_ring();
    CHECK(io != NULL);
    if (!io)
        return;
    int code = -1;
    char msg[600] = "";
    read_both(io, &code, msg, sizeof msg);
    qr_io_close(&io);
    CHECKF(code == want_code, "%s at completion %lld: code %d, want %d (%s)", errno_name, nth,
           code, want_code, msg);
    if (want_msg)
        CHECKF(strstr(msg, path) && strstr(msg, want_msg), "message '%s' lacks %s or '%s'", msg,
               path, want_msg);
    CHECK_EQ_INT(report_value(report, "fired"), 1);
}

int main(void)
{
    make_files();
    qr_io *probe = open_ring();
    if (!probe) {
        printf("SKIP: io_uring unavailable here\n");
        return 77;
    }
    qr_io_close(&probe);
    char report[800];
    snprintf(report, sizeof report, "%s/report-count", dir);
    arm(0, "", report);
    qr_io *io = open_ring();
    int code = -1;
    char msg[600];
    read_both(io, &code, msg, sizeof msg);
    qr_io_close(&io);
    CHECK_EQ_INT(code, QR_OK);
    CHECK_EQ_INT(report_value(report, "calls"), 4); /* one completion per chunk */
    CHECK_EQ_INT(report_value(report, "fired"), 0);
    for (long long n = 1; n <= 4; n++) {
        test_one(n, "EINTR", QR_OK, NULL);
        test_one(n, "EAGAIN", QR_OK, NULL);
        test_one(n, "EIO", QR_EIO, strerror(EIO));
        test_one(n, "ENOSPC", QR_EIO, strerror(ENOSPC));
    }
    free(bytes);
    return qr_test_end();
}

#else

int main(void)
{
    printf("SKIP: built without QUIRE_TEST_HOOKS\n");
    return 77;
}

#endif
