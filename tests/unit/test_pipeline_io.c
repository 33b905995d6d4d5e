/*
 * Unit tests for pipeline/qr_io: both backends read files of awkward sizes
 * byte for byte, errors name the path, and the byte budget and queue depth
 * are respected. The io_uring part is skipped (with the reason printed) only
 * when this machine cannot create a ring; the pread part always runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qr_io.h"
#include "qr_test.h"

#define MIB ((size_t)1 << 20)

static const size_t sizes[] = {0, 1, MIB + 7, 20 * MIB, 65536 * 3 + 1};
#define NSIZES (sizeof sizes / sizeof sizes[0])
static char paths[NSIZES][600];
static uint8_t *contents[NSIZES];
static char dir[512];

static void make_files(void)
{
    qr_test_tmpdir("test_pipeline_io", dir, sizeof dir);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < NSIZES; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/f%zu.bin", dir, i);
        contents[i] = malloc(sizes[i] + 1);
        for (size_t k = 0; k < sizes[i]; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            contents[i][k] = (uint8_t)x;
        }
        FILE *f = fopen(paths[i], "wb");
        if (!f || fwrite(contents[i], 1, sizes[i], f) != sizes[i] || fclose(f) != 0)
            abort();
    }
}

static int open_backend(const char *backend, size_t budget, size_t chunk, qr_io **io)
{
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    cfg.backend = backend;
    cfg.chunk_bytes = chunk;
    if (budget)
        cfg.max_inflight_bytes = budget;
    qr_err err = {0};
    int rc = qr_io_open(&cfg, io, &err);
    if (rc != QR_OK)
        printf("  qr_io_open(%s): %s\n", backend, err.msg);
    return rc;
}

/* Submit every file, drain, compare each result with what was written. */
static void test_read_all(const char *backend, size_t chunk)
{
    qr_io *io = NULL;
    if (open_backend(backend, 0, chunk, &io) != QR_OK) {
        CHECK(0);
        return;
    }
    CHECK(strcmp(qr_io_backend_name(io), backend) == 0);
    qr_err err = {0};
    for (size_t i = 0; i < NSIZES; i++)
        CHECK_EQ_INT(qr_io_submit(io, paths[i], &contents[i], &err), QR_OK);
    CHECK_EQ_INT(qr_io_pending(io), NSIZES);
    int seen = 0;
    qr_io_result r;
    while (qr_io_next(io, &r, &err) == QR_OK) {
        size_t i = (size_t)((uint8_t **)r.tag - contents);
        CHECK(i < NSIZES && r.code == QR_OK && r.data != NULL);
        CHECKF(r.len == sizes[i] && memcmp(r.data, contents[i], sizes[i]) == 0,
               "%s chunk %zu: file %zu (%zu bytes) differs", backend, chunk, i, sizes[i]);
        qr_io_release(io, r.data);
        seen++;
    }
    CHECK_EQ_INT(seen, NSIZES);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
    CHECK_EQ_INT(qr_io_pending(io), 0);
    qr_io_close(&io);
    CHECK(io == NULL);
}

/* A missing file and a directory come back as results whose message names the path. */
static void test_errors(const char *backend)
{
    qr_io *io = NULL;
    if (open_backend(backend, 0, 0, &io) != QR_OK)
        return;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-file.tif", dir);
    qr_err err = {0};
    CHECK_EQ_INT(qr_io_submit(io, missing, (void *)1, &err), QR_OK);
    CHECK_EQ_INT(qr_io_submit(io, dir, (void *)2, &err), QR_OK);
    for (int k = 0; k < 2; k++) {
        qr_io_result r;
        CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_OK);
        const char *want = r.tag == (void *)1 ? missing : dir;
        CHECK(r.code != QR_OK && r.data == NULL);
        CHECKF(strstr(r.err.msg, want) != NULL, "message '%s' names %s", r.err.msg, want);
        if (r.tag == (void *)2)
            CHECKF(strstr(r.err.msg, "directory") != NULL, "'%s' says directory", r.err.msg);
    }
    qr_io_result r;
    CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_IO_EMPTY);
    qr_io_close(&io);
}

static void expect_one(qr_io *io, size_t idx, uint8_t **data)
{
    qr_err err = {0};
    qr_io_result r;
    CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_OK);
    CHECK(r.code == QR_OK && r.len == sizes[idx] && r.tag == &contents[idx]);
    *data = r.data;
}

/* Budget 2 MiB: a second 1 MiB+7 file must wait until the first is released;
 * a 20 MiB file goes alone, and nothing joins it until it is released. */
static void test_budget(const char *backend)
{
    qr_io *io = NULL;
    if (open_backend(backend, 2 * MIB, 256 * 1024, &io) != QR_OK)
        return;
    qr_err err = {0};
    uint8_t *a = NULL, *b = NULL;
    CHECK_EQ_INT(qr_io_submit(io, paths[2], &contents[2], &err), QR_OK);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), MIB + 7);
    CHECK_EQ_INT(qr_io_submit(io, paths[2], &contents[2], &err), QR_IO_BUSY);
    CHECK_EQ_INT(qr_io_submit(io, paths[1], &contents[1], &err), QR_OK);
    for (int k = 0; k < 2; k++) { /* completion order is not submission order */
        qr_io_result r;
        CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_OK);
        CHECK(r.code == QR_OK && (r.tag == &contents[2] || r.tag == &contents[1]));
        *(r.tag == &contents[2] ? &a : &b) = r.data;
    }
    CHECK(a && b && memcmp(a, contents[2], sizes[2]) == 0 && b[0] == contents[1][0]);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), MIB + 8); /* held by the caller */
    CHECK_EQ_INT(qr_io_submit(io, paths[2], &contents[2], &err), QR_IO_BUSY);
    qr_io_release(io, a);
    qr_io_release(io, b);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
    CHECK_EQ_INT(qr_io_submit(io, paths[3], &contents[3], &err), QR_OK); /* 20 MiB alone */
    CHECK_EQ_INT(qr_io_submit(io, paths[1], &contents[1], &err), QR_IO_BUSY);
    expect_one(io, 3, &a);
    CHECK(memcmp(a, contents[3], sizes[3]) == 0);
    qr_io_release(io, a);
    CHECK_EQ_INT(qr_io_peak_bytes(io), 20 * MIB);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
    qr_io_close(&io);
}

/* Many reads through a 3 MiB budget: outstanding bytes never pass it. */
static void test_budget_stream(const char *backend)
{
    qr_io *io = NULL;
    if (open_backend(backend, 3 * MIB, 128 * 1024, &io) != QR_OK)
        return;
    qr_err err = {0};
    size_t order[] = {2, 1, 4, 2, 0, 2, 4, 2, 1, 2, 4, 4, 2};
    size_t n = sizeof order / sizeof order[0], next = 0, got = 0, max_seen = 0, busy = 0;
    while (got < n) {
        while (next < n) {
            int rc = qr_io_submit(io, paths[order[next]], &contents[order[next]], &err);
            if (rc == QR_IO_BUSY) {
                busy++;
                break;
            }
            CHECK_EQ_INT(rc, QR_OK);
            next++;
        }
        size_t now = qr_io_outstanding_bytes(io);
        max_seen = now > max_seen ? now : max_seen;
        qr_io_result r;
        CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_OK);
        size_t i = (size_t)((uint8_t **)r.tag - contents);
        CHECK(r.code == QR_OK && r.len == sizes[i] && memcmp(r.data, contents[i], r.len) == 0);
        qr_io_release(io, r.data);
        got++;
    }
    CHECKF(max_seen <= 3 * MIB && qr_io_peak_bytes(io) <= 3 * MIB, "peak %zu within 3 MiB",
           qr_io_peak_bytes(io));
    CHECK(busy > 0);
    qr_io_close(&io);
}

/* Per-file cap and queue depth. */
static void test_caps(const char *backend)
{
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    cfg.backend = backend;
    cfg.max_file_bytes = 2 * MIB;
    cfg.queue_depth = 2;
    qr_io *io = NULL;
    qr_err err = {0};
    if (qr_io_open(&cfg, &io, &err) != QR_OK)
        return;
    CHECK_EQ_INT(qr_io_submit(io, paths[3], NULL, &err), QR_OK);
    CHECK_EQ_INT(qr_io_submit(io, paths[1], NULL, &err), QR_OK);
    CHECK_EQ_INT(qr_io_submit(io, paths[1], NULL, &err), QR_IO_BUSY); /* depth 2 */
    qr_io_result r;
    int limited = 0;
    while (qr_io_next(io, &r, &err) == QR_OK) {
        if (r.code == QR_ELIMIT) {
            limited++;
            CHECKF(strstr(r.err.msg, paths[3]) != NULL, "cap message '%s' names the file", r.err.msg);
        }
        qr_io_release(io, r.data);
    }
    CHECK_EQ_INT(limited, 1);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
    qr_io_close(&io);
}

static void *release_later(void *arg)
{
    void **a = arg;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    qr_io_release(a[0], a[1]);
    return NULL;
}

/* A worker thread's release wakes the ingest thread waiting for budget. */
static void test_release_other_thread(void)
{
    qr_io *io = NULL;
    if (open_backend("pread", MIB, 0, &io) != QR_OK)
        return;
    qr_err err = {0};
    uint8_t *a = NULL;
    CHECK_EQ_INT(qr_io_submit(io, paths[2], &contents[2], &err), QR_OK);
    expect_one(io, 2, &a);
    CHECK_EQ_INT(qr_io_submit(io, paths[1], &contents[1], &err), QR_IO_BUSY);
    qr_io_result r;
    CHECK_EQ_INT(qr_io_next(io, &r, &err), QR_IO_EMPTY);
    CHECK(!qr_io_wait_release(io, 10)); /* nothing released yet: times out */
    void *arg[2] = {io, a};
    pthread_t t;
    pthread_create(&t, NULL, release_later, arg);
    CHECK(qr_io_wait_release(io, 10000));
    pthread_join(t, NULL);
    CHECK_EQ_INT(qr_io_outstanding_bytes(io), 0);
    CHECK_EQ_INT(qr_io_submit(io, paths[1], &contents[1], &err), QR_OK);
    qr_io_close(&io); /* frees the result nobody took */
}

/* Backend selection: env, bad names, and the automatic fallback when the ring
 * cannot be created (a queue depth above the kernel's maximum makes
 * io_uring_queue_init fail with EINVAL, as ENOSYS/EPERM would in a container). */
static void test_selection(void)
{
    qr_io *io = NULL;
    qr_err err = {0};
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    setenv("QUIRE_IO", "pread", 1);
    CHECK_EQ_INT(qr_io_open(&cfg, &io, &err), QR_OK);
    CHECK(strcmp(qr_io_backend_name(io), "pread") == 0);
    CHECK(strstr(qr_io_backend_note(io), "QUIRE_IO=pread") != NULL);
    qr_io_close(&io);
    setenv("QUIRE_IO", "bogus", 1);
    CHECK_EQ_INT(qr_io_open(&cfg, &io, &err), QR_EINVAL);
    CHECK(io == NULL && strstr(err.msg, "bogus") != NULL);
    unsetenv("QUIRE_IO");
    cfg.queue_depth = 1u << 20;
    CHECK_EQ_INT(qr_io_open(&cfg, &io, &err), QR_OK);
    CHECK(strcmp(qr_io_backend_name(io), "pread") == 0);
    CHECKF(strstr(qr_io_backend_note(io), "io_uring_queue_init") != NULL, "note: %s",
           qr_io_backend_note(io));
    qr_io_close(&io);
    cfg.backend = "io_uring";
    CHECK_EQ_INT(qr_io_open(&cfg, &io, &err), QR_EUNSUPPORTED);
    CHECK(io == NULL);
}

static bool uring_available(void)
{
    qr_io *io = NULL;
    qr_io_config cfg;
    qr_io_config_default(&cfg);
    cfg.backend = "io_uring";
    qr_err err = {0};
    if (qr_io_open(&cfg, &io, &err) != QR_OK) {
        printf("SKIP io_uring part: %s\n", err.msg);
        return false;
    }
    qr_io_close(&io);
    return true;
}

int main(void)
{
    unsetenv("QUIRE_IO");
    make_files();
    const char *backends[] = {"pread", "io_uring"};
    bool have_uring = uring_available();
    for (int b = 0; b < 2; b++) {
        if (b == 1 && !have_uring)
            continue;
        test_read_all(backends[b], 0);
        test_read_all(backends[b], 4096 * 3 + 5); /* many chunks per file */
        test_errors(backends[b]);
        test_budget(backends[b]);
        test_budget_stream(backends[b]);
        test_caps(backends[b]);
    }
    test_release_other_thread();
    test_selection();
    for (size_t i = 0; i < NSIZES; i++)
        free(contents[i]);
    return qr_test_end();
}
