/*
 * Failure paths of the PDF/A writer: whatever goes wrong, the caller gets a
 * clean error that names the archive, and the directory holds neither the
 * final file nor a temporary one.
 *   - abort (with and without pages), a document without pages;
 *   - a directory that does not exist, a path under a regular file;
 *   - a full disk: a 64 KiB tmpfs (needs root and mount(8); skipped
 *     otherwise) gives a real ENOSPC;
 *   - RLIMIT_FSIZE at many sizes, from 0 bytes to one byte short of the
 *     whole archive, makes the Nth write fail (EFBIG), in the spirit of
 *     "fail the Nth I/O for every N";
 *   - invalid images are refused without harming the document;
 *   - two writers of the same archive at once use different temporaries.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include "test_formats_pdf_synth.h"

static char scratch[512];
static synth_page small;

/* Number of directory entries other than . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static const char *fresh_dir(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", scratch, name);
    mkdir(buf, 0755);
    return buf;
}

static int write_doc(const char *path, const qr_pdf_image *img, int npages, qr_err *err)
{
    qr_pdf *pdf = NULL;
    int rc = qr_pdf_open(path, QR_PDFA_2B, &pdf, err);
    for (int i = 0; i < npages && rc == QR_OK; i++)
        rc = qr_pdf_add_page(pdf, img, NULL, err);
    if (rc != QR_OK && pdf) {
        /* a failed page makes the writer refuse to finish, with the same error */
        qr_err again = { 0 };
        CHECK(qr_pdf_finish(&pdf, &(qr_pdf_meta){ .title = "t" }, NULL, &again) == rc);
        CHECK(pdf == NULL);
        return rc;
    }
    if (rc != QR_OK)
        return rc;
    qr_pdf_meta meta = { .title = "failure test", .created = 1700000000, .modified = 1700000000 };
    return qr_pdf_finish(&pdf, &meta, NULL, err);
}

static void test_abort(void)
{
    char dir[700], path[800];
    fresh_dir("abort", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.pdf", dir);
    qr_err err = { 0 };
    qr_pdf *pdf = NULL;
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &pdf, &err) == QR_OK);
    CHECK_EQ_INT(entries(dir), 1); /* the temporary file */
    CHECK(qr_pdf_add_page(pdf, &small.img, NULL, &err) == QR_OK);
    qr_pdf_abort(&pdf);
    CHECK(pdf == NULL);
    CHECK_EQ_INT(entries(dir), 0);
    CHECK(qr_pdf_open(path, QR_PDFA_1B, &pdf, &err) == QR_OK);
    qr_pdf_abort(&pdf);
    qr_pdf_abort(&pdf); /* harmless on NULL */
    CHECK_EQ_INT(entries(dir), 0);
    /* no pages: refused, nothing left */
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &pdf, &err) == QR_OK);
    qr_pdf_meta meta = { .title = "empty" };
    CHECK_EQ_INT(qr_pdf_finish(&pdf, &meta, NULL, &err), QR_EINVAL);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK_EQ_INT(entries(dir), 0);
}

static void test_bad_paths(void)
{
    qr_err err = { 0 };
    qr_pdf *pdf = NULL;
    const char *missing = "/nonexistent-quire-dir/x.pdf";
    CHECK_EQ_INT(qr_pdf_open(missing, QR_PDFA_2B, &pdf, &err), QR_EIO);
    CHECKF(strstr(err.msg, missing) && strstr(err.msg, "No such file"), "message: %s", err.msg);
    CHECK(pdf == NULL);
    char file[700], under[800];
    snprintf(file, sizeof file, "%s/plainfile", scratch);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(under, sizeof under, "%s/x.pdf", file);
    CHECK_EQ_INT(qr_pdf_open(under, QR_PDFA_2B, &pdf, &err), QR_EIO);
    CHECKF(strstr(err.msg, under) != NULL, "message: %s", err.msg);
    CHECK_EQ_INT(qr_pdf_open("", QR_PDFA_2B, &pdf, &err), QR_EINVAL);
    if (geteuid() != 0) {
        char ro[700], p[800];
        fresh_dir("readonly", ro, sizeof ro);
        chmod(ro, 0555);
        snprintf(p, sizeof p, "%s/x.pdf", ro);
        CHECK_EQ_INT(qr_pdf_open(p, QR_PDFA_2B, &pdf, &err), QR_EIO);
        CHECKF(strstr(err.msg, "Permission denied") != NULL, "message: %s", err.msg);
        chmod(ro, 0755);
    } else {
        printf("skip read-only directory check: root ignores permissions\n");
    }
}

static void test_bad_images(void)
{
    char dir[700], path[800];
    fresh_dir("badimg", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/b.pdf", dir);
    qr_err err = { 0 };
    qr_pdf *pdf = NULL;
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &pdf, &err) == QR_OK);
    qr_pdf_image bad = small.img;
    bad.bpc = 4;
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    bad = small.img;
    bad.xdpi = 0;
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    bad = small.img;
    bad.filter = QR_FILTER_CCITT_G4; /* G4 must be 1 bpc */
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    bad = small.img;
    bad.width = 400000;
    bad.xdpi = 1; /* 28 million points wide */
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EUNSUPPORTED);
    synth_page jpg;
    synth_jpeg(&jpg, 64, 48, 3, 72);
    bad = jpg.img;
    bad.components = 1; /* colour JPEG declared gray */
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    CHECKF(strstr(err.msg, "frame header") != NULL, "message: %s", err.msg);
    bad = jpg.img;
    bad.height = 47;
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    bad = jpg.img;
    bad.data = (const uint8_t *)"not a jpeg at all";
    bad.len = 17;
    CHECK_EQ_INT(qr_pdf_add_page(pdf, &bad, NULL, &err), QR_EINVAL);
    CHECK_EQ_INT(qr_pdf_page_count(pdf), 0);
    CHECK(qr_pdf_add_page(pdf, &jpg.img, NULL, &err) == QR_OK);
    synth_free(&jpg);
    CHECK(qr_pdf_add_page(pdf, &small.img, NULL, &err) == QR_OK);
    qr_pdf_meta meta = { .title = "after refusals" };
    CHECKF(qr_pdf_finish(&pdf, &meta, NULL, &err) == QR_OK, "%s", err.msg);
    CHECK_EQ_INT(entries(dir), 1);
    CHECK(access(path, R_OK) == 0);
}

/* A payload that does not compress: the writer does not look inside. */
static qr_pdf_image big_image(uint8_t *buf, size_t n)
{
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 24);
    }
    qr_pdf_image img = small.img;
    img.data = buf;
    img.len = n;
    return img;
}

static void test_enospc(void)
{
    char dir[700], path[800], cmd[1600];
    fresh_dir("full", dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=64k quire-test '%s' 2>/dev/null", dir);
    if (geteuid() != 0 || system(cmd) != 0) {
        printf("skip ENOSPC on tmpfs: cannot mount (not root?); RLIMIT_FSIZE covers it\n");
        return;
    }
    static uint8_t payload[100 * 1024];
    qr_pdf_image img = big_image(payload, sizeof payload);
    snprintf(path, sizeof path, "%s/full.pdf", dir);
    qr_err err = { 0 };
    int rc = write_doc(path, &img, 3, &err);
    CHECK_EQ_INT(rc, QR_EIO);
    CHECKF(strstr(err.msg, path) && strstr(err.msg, "No space left"), "message: %s", err.msg);
    CHECK_EQ_INT(entries(dir), 0);
    /* the same archive fits once the payload is small: the disk is usable */
    CHECK(write_doc(path, &small.img, 3, &err) == QR_OK);
    CHECK_EQ_INT(entries(dir), 1);
    snprintf(cmd, sizeof cmd, "umount '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* Write with the file size limited to limit bytes; must fail cleanly. */
static void limited_write(const char *dir, const char *path, rlim_t limit, const qr_pdf_image *img)
{
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = limit;
    qr_err err = { 0 };
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    int rc = write_doc(path, img, 3, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECKF(rc == QR_EIO, "limit %llu: rc %d (%s)", (unsigned long long)limit, rc, err.msg);
    CHECKF(strstr(err.msg, path) != NULL, "limit %llu: message names the archive: %s",
           (unsigned long long)limit, err.msg);
    CHECKF(entries(dir) == 0, "limit %llu: directory left empty", (unsigned long long)limit);
}

static void test_fsize_limits(void)
{
    char dir[700], ref[800], path[800];
    fresh_dir("fsize", dir, sizeof dir);
    snprintf(ref, sizeof ref, "%s/../fsize-ref.pdf", dir);
    snprintf(path, sizeof path, "%s/limited.pdf", dir);
    static uint8_t payload[300 * 1024]; /* larger than the output buffer */
    qr_pdf_image img = big_image(payload, sizeof payload);
    qr_err err = { 0 };
    if (!CHECKF(write_doc(ref, &img, 3, &err) == QR_OK, "reference: %s", err.msg))
        return;
    struct stat st;
    stat(ref, &st);
    signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of being killed */
    const rlim_t limits[] = { 0, 1, 16, 4000, 300000, 600000, (rlim_t)st.st_size / 2,
                              (rlim_t)st.st_size - 20, (rlim_t)st.st_size - 1 };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        limited_write(dir, path, limits[i], &img);
    /* exactly enough: succeeds and gives the same bytes */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size;
    setrlimit(RLIMIT_FSIZE, &lim);
    int rc = write_doc(path, &img, 3, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECKF(rc == QR_OK, "limit = size: %s", err.msg);
    size_t la, lb;
    uint8_t *a = qr_test_read(ref, &la), *b = qr_test_read(path, &lb);
    CHECK(la == lb && memcmp(a, b, la) == 0);
    free(a);
    free(b);
}

static void test_two_writers(void)
{
    char dir[700], path[800];
    fresh_dir("two", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/same.pdf", dir);
    qr_err err = { 0 };
    qr_pdf *a = NULL, *b = NULL;
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &a, &err) == QR_OK);
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &b, &err) == QR_OK);
    CHECK_EQ_INT(entries(dir), 2);
    CHECK(qr_pdf_add_page(a, &small.img, NULL, &err) == QR_OK);
    CHECK(qr_pdf_add_page(b, &small.img, NULL, &err) == QR_OK);
    CHECK(qr_pdf_add_page(b, &small.img, NULL, &err) == QR_OK);
    qr_pdf_meta meta = { .title = "two" };
    uint8_t sha_a[32], sha_b[32], real[32];
    CHECK(qr_pdf_finish(&a, &meta, sha_a, &err) == QR_OK);
    CHECK(qr_pdf_finish(&b, &meta, sha_b, &err) == QR_OK);
    CHECK_EQ_INT(entries(dir), 1);
    size_t n;
    uint8_t *d = qr_test_read(path, &n);
    qr_sha256_once(d, n, real);
    CHECK(memcmp(real, sha_b, 32) == 0 && memcmp(sha_a, sha_b, 32) != 0); /* last rename wins */
    free(d);
}

int main(void)
{
    qr_test_tmpdir("pdf-errors", scratch, sizeof scratch);
    synth_flate(&small, 64, 64, 1, 8, 72);
    test_abort();
    test_bad_paths();
    test_bad_images();
    test_enospc();
    test_fsize_limits();
    test_two_writers();
    synth_free(&small);
    return qr_test_end();
}
