/*
 * Unit tests for formats/qr_delivery: small deliveries built in a temp dir
 * (natural page order, junk, empty folders, hostile names and links, the
 * multipage layout, detection), archives with traversal names (built with
 * python3's tarfile/zipfile when available), and, when ../shared exists,
 * batches from make_batch.py checked against their truth.json.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qr_delivery.h"
#include "qr_test.h"

static char base[512];

static void put(const char *rel, const char *content)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    char dir[1300];
    snprintf(dir, sizeof dir, "mkdir -p \"$(dirname '%s')\"", p);
    if (system(dir) != 0)
        abort();
    FILE *f = fopen(p, "wb");
    if (!f || fputs(content, f) < 0 || fclose(f) != 0)
        abort();
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "command failed: %s\n", cmd);
        abort();
    }
}

/* Index of the first issue whose message contains all of a and b, or -1. */
static int issue_with(const qr_delivery *d, qr_delivery_issue_kind kind, const char *a, const char *b)
{
    for (size_t i = 0; i < d->n_issues; i++)
        if (d->issues[i].kind == kind && strstr(d->issues[i].msg, a) && strstr(d->issues[i].msg, b))
            return (int)i;
    return -1;
}

static bool names_are(const qr_delivery_file *f, const char *const *want, size_t n)
{
    if (!f || f->n_sources != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(f->sources[i].name, want[i]) != 0)
            return false;
    return true;
}

static qr_delivery *open_ok(const char *path, const char *layout)
{
    qr_delivery *d = NULL;
    qr_err err = {0};
    int rc = qr_delivery_open(path, layout, &d, &err);
    CHECKF(rc == QR_OK, "open %s: %s", path, err.msg);
    return d;
}

static void build_folders(char *root, size_t n)
{
    snprintf(root, n, "%s/folders", base);
    put("folders/A-2/10.tif", "ten");
    put("folders/A-2/2.tif", "two");
    put("folders/A-2/1.tif", "one");
    put("folders/A-2/Thumbs.db", "junk");
    put("folders/A-2/.DS_Store", "junk");
    put("folders/A-2/notes.txt", "not a page");
    put("folders/A-1/0002.JPG", "jpeg");
    put("folders/A-1/0001.png", "png");
    put("folders/B/1.tif", "garbage that is not a TIFF");
    put("folders/readme.txt", "hello");
    sh("mkdir -p '%s/folders/EMPTY' '%s/folders/A-2/sub' '%s/folders/.hidden'", base, base, base);
    sh("ln -s /etc/passwd '%s/folders/A-1/evil.tif'", base);
    sh("ln -s ../A-2/1.tif '%s/folders/A-1/0003.tif'", base);
    sh("ln -s / '%s/folders/ESCAPE'", base);
    sh("mkfifo '%s/folders/B/fifo.tif'", base);
    sh("touch \"%s/folders/B/$(printf 'bad\\377name.tif')\"", base);
}

static void test_folders(void)
{
    char root[600];
    build_folders(root, sizeof root);
    qr_delivery *d = open_ok(root, NULL);
    if (!d)
        return;
    CHECK(strcmp(d->layout->name, "folders") == 0);
    CHECK_EQ_INT(d->n_files, 4);
    const char *ids[] = {"A-1", "A-2", "B", "EMPTY"};
    for (size_t i = 0; i < 4 && i < d->n_files; i++)
        CHECKF(strcmp(d->files[i].file_id, ids[i]) == 0, "file %zu is %s", i, d->files[i].file_id);
    const char *a2[] = {"A-2/1.tif", "A-2/2.tif", "A-2/10.tif"};
    CHECK(names_are(qr_delivery_find(d, "A-2"), a2, 3));
    const char *a1[] = {"A-1/0001.png", "A-1/0002.JPG", "A-1/0003.tif"};
    const qr_delivery_file *f1 = qr_delivery_find(d, "A-1");
    CHECK(names_are(f1, a1, 3));
    if (f1 && f1->n_sources == 3) /* a symlink inside the delivery is read at its target */
        CHECK(strstr(f1->sources[2].abs_path, "/A-2/1.tif") && f1->sources[2].size == 3);
    const char *b[] = {"B/1.tif"}; /* a corrupt page is still a page */
    CHECK(names_are(qr_delivery_find(d, "B"), b, 1));
    CHECK(qr_delivery_find(d, "EMPTY") && qr_delivery_find(d, "EMPTY")->n_sources == 0);
    CHECK(!qr_delivery_find(d, ".hidden") && !qr_delivery_find(d, "ESCAPE"));
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "A-1/evil.tif", "outside the delivery") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "ESCAPE", "outside the delivery") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "B/fifo.tif", "not a regular file") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "B/bad\\xFFname.tif", "not valid UTF-8") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "A-2/notes.txt", "not a page image") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "A-2/sub", "subdirectory") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "readme.txt", "not inside a file folder") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "Thumbs.db", "") < 0);
    CHECK_EQ_INT(d->n_issues, 7);
    uint8_t *data = NULL;
    size_t len = 0;
    qr_err err = {0};
    CHECK(qr_delivery_read_source(d, &qr_delivery_find(d, "A-2")->sources[2], 0, &data, &len, &err) ==
              QR_OK && len == 3 && memcmp(data, "ten", 3) == 0);
    free(data);

    /* fingerprints: stable across runs, and only the changed file's moves */
    char fa[QR_SHA256_HEX], fb[QR_SHA256_HEX];
    snprintf(fa, sizeof fa, "%s", qr_delivery_find(d, "A-2")->fingerprint);
    snprintf(fb, sizeof fb, "%s", qr_delivery_find(d, "B")->fingerprint);
    qr_delivery_free(&d);
    CHECK(d == NULL);
    put("folders/B/1.tif", "a different length now");
    d = open_ok(root, "folders");
    if (!d)
        return;
    CHECK(strcmp(qr_delivery_find(d, "A-2")->fingerprint, fa) == 0);
    CHECK(strcmp(qr_delivery_find(d, "B")->fingerprint, fb) != 0);
    CHECK(strcmp(qr_delivery_find(d, "A-2")->fingerprint, qr_delivery_find(d, "A-1")->fingerprint) != 0);
    qr_delivery_free(&d);
}

static void test_multipage(void)
{
    char root[600];
    snprintf(root, sizeof root, "%s/multi", base);
    put("multi/X-10.tif", "ten");
    put("multi/X-2.TIFF", "two!");
    put("multi/X-1.tif", "1");
    put("multi/X-1.tiff", "twin of X-1");
    put("multi/notes.txt", "n");
    put("multi/.X-3.tif", "hidden");
    qr_delivery *d = open_ok(root, NULL);
    if (!d)
        return;
    CHECK(strcmp(d->layout->name, "multipage") == 0);
    CHECK_EQ_INT(d->n_files, 3);
    const char *ids[] = {"X-1", "X-2", "X-10"};
    for (size_t i = 0; i < 3 && i < d->n_files; i++) {
        const qr_delivery_file *f = &d->files[i];
        CHECKF(strcmp(f->file_id, ids[i]) == 0 && f->n_sources == 1 && f->sources[0].container,
               "file %zu: %s", i, f->file_id);
    }
    const qr_delivery_file *x2 = qr_delivery_find(d, "X-2");
    CHECK(x2 && strcmp(x2->sources[0].name, "X-2.TIFF") == 0 && x2->sources[0].size == 4);
    CHECK(strcmp(qr_delivery_find(d, "X-1")->sources[0].name, "X-1.tif") == 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "X-1.tiff", "second TIFF") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "notes.txt", "") >= 0);
    qr_delivery_free(&d);
}

static void expect_error(const char *path, const char *layout, const char *what)
{
    qr_delivery *d = NULL;
    qr_err err = {0};
    int rc = qr_delivery_open(path, layout, &d, &err);
    CHECKF(rc != QR_OK && d == NULL && strstr(err.msg, what), "open %s: rc %d '%s', want '%s'", path,
           rc, err.msg, what);
}

static void test_detection(void)
{
    char p[600];
    put("batch/manifest.csv", "file_id,expected_pages\n");
    put("batch/scans/F-1/0001.tif", "x");
    snprintf(p, sizeof p, "%s/batch", base);
    qr_delivery *d = open_ok(p, NULL);
    if (d) {
        size_t n = strlen(d->root);
        CHECK(n > 6 && strcmp(d->root + n - 6, "/scans") == 0 && d->n_files == 1);
        qr_delivery_free(&d);
    }
    put("mixed/F-1/0001.tif", "x");
    put("mixed/F-2.tif", "x");
    snprintf(p, sizeof p, "%s/mixed", base);
    expect_error(p, NULL, "ambiguous");
    d = open_ok(p, "multipage"); /* forcing resolves it */
    CHECK(d && d->n_files == 1 && strcmp(d->files[0].file_id, "F-2") == 0);
    qr_delivery_free(&d);
    expect_error(p, "bogus", "unknown layout");
    sh("mkdir -p '%s/empty'", base);
    snprintf(p, sizeof p, "%s/empty", base);
    expect_error(p, NULL, p);
    snprintf(p, sizeof p, "%s/mixed/F-2.tif", base);
    expect_error(p, NULL, "must be a directory");
    snprintf(p, sizeof p, "%s/nonexistent", base);
    expect_error(p, NULL, p);
}

static bool have_python(void) { return access("/usr/bin/python3", X_OK) == 0; }

/* One box per archive kind with hostile members; python3 writes them. */
static void build_archives(void)
{
    char script[600];
    snprintf(script, sizeof script, "%s/mk.py", base);
    put("mk.py",
        "import sys, tarfile, zipfile, io\n"
        "out, kind = sys.argv[1], sys.argv[2]\n"
        "mem = [('F-1/0002.tif', b'p2'), ('F-2/0001.jpg', b'q1'), ('F-1/10.tif', b'p10'),\n"
        "       ('F-1/0001.tif', b'p1'), ('../evil.tif', b'e'), ('/abs.tif', b'a'),\n"
        "       ('F-2/../../x.tif', b'x'), ('F-1/notes.txt', b'n'), ('loose.tif', b'l'),\n"
        "       ('F-3/deep/0001.tif', b'd'), ('F-2/0002.tif', b'q2' * 40000)]\n"
        "if kind == 'zip':\n"
        "    z = zipfile.ZipFile(out, 'w')\n"
        "    for n, b in mem: z.writestr(zipfile.ZipInfo(n, (2024, 3, 1, 9, 0, 0)), b)\n"
        "    z.close()\n"
        "    z = zipfile.ZipFile(out.replace('BOX-1', 'BOX-2'), 'w')\n"
        "    z.writestr('F-1/0001.tif', b'dup'); z.writestr('F-4/0001.tif', b'f4')\n"
        "    z.close()\n"
        "else:\n"
        "    t = tarfile.open(out, 'w', format=tarfile.PAX_FORMAT)\n"
        "    for n, b in mem:\n"
        "        ti = tarfile.TarInfo(n); ti.size = len(b); ti.mtime = 1700000000\n"
        "        t.addfile(ti, io.BytesIO(b))\n"
        "    ti = tarfile.TarInfo('F-2/link.tif'); ti.type = tarfile.SYMTYPE; ti.linkname = '/etc/passwd'\n"
        "    t.addfile(ti)\n"
        "    t.close()\n");
    sh("mkdir -p '%s/arc-zip' '%s/arc-tar'", base, base);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s' '%s/arc-zip/BOX-1.zip' zip && /usr/bin/python3 '%s' '%s/arc-tar/BOX-1.tar' tar",
             script, base, script, base);
    if (system(cmd) != 0)
        abort();
}

static void check_member(qr_delivery *d, const qr_delivery_source *s, const char *want, size_t n)
{
    uint8_t *data = NULL;
    size_t len = 0;
    qr_err err = {0};
    int rc = qr_delivery_read_source(d, s, 0, &data, &len, &err);
    CHECKF(rc == QR_OK && len == n && memcmp(data, want, n < 2 ? n : 2) == 0, "read %s: %s", s->name,
           err.msg);
    free(data);
}

static void test_archive(const char *kind)
{
    char p[600];
    snprintf(p, sizeof p, "%s/arc-%s", base, kind);
    qr_delivery *d = open_ok(p, NULL);
    if (!d)
        return;
    CHECK(strcmp(d->layout->name, kind) == 0);
    bool zip = strcmp(kind, "zip") == 0; /* zip: a second box repeats F-1/0001.tif */
    CHECK_EQ_INT(d->n_files, zip ? 3 : 2);
    if (zip) {
        CHECK(issue_with(d, QR_DELIVERY_REFUSED, "BOX-2.zip:F-1/0001.tif", "second source") >= 0);
        const qr_delivery_file *f4 = qr_delivery_find(d, "F-4");
        CHECK(f4 && f4->n_sources == 1 && strcmp(f4->sources[0].name, "BOX-2.zip:F-4/0001.tif") == 0);
        if (f4 && f4->n_sources == 1)
            check_member(d, &f4->sources[0], "f4", 2); /* another archive: the cursor moves */
    }
    const qr_delivery_file *f1 = qr_delivery_find(d, "F-1"), *f2 = qr_delivery_find(d, "F-2");
    char n1[64], n2[64], n3[64];
    snprintf(n1, sizeof n1, "BOX-1.%s:F-1/0001.tif", kind);
    snprintf(n2, sizeof n2, "BOX-1.%s:F-1/0002.tif", kind);
    snprintf(n3, sizeof n3, "BOX-1.%s:F-1/10.tif", kind);
    const char *want[] = {n1, n2, n3};
    CHECK(names_are(f1, want, 3));
    CHECK(f2 && f2->n_sources == 2 && strcmp(f2->sources[1].member, "F-2/0002.tif") == 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "../evil.tif", "escapes") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "/abs.tif", "escapes") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "F-2/../../x.tif", "escapes") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "loose.tif", "") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "F-3/deep/0001.tif", "nested") >= 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "F-1/notes.txt", "not a page image") >= 0);
    if (strcmp(kind, "tar") == 0)
        CHECK(issue_with(d, QR_DELIVERY_REFUSED, "F-2/link.tif", "link") >= 0);
    if (f1 && f2 && f1->n_sources == 3 && f2->n_sources == 2) {
        check_member(d, &f2->sources[1], "q2", 80000); /* last member first */
        check_member(d, &f1->sources[0], "p1", 2);     /* backwards: reopens */
        check_member(d, &f1->sources[2], "p10", 3);
        check_member(d, &f2->sources[0], "q1", 2);
        uint8_t *data = NULL;
        size_t len = 0;
        qr_err err = {0};
        CHECK(qr_delivery_read_source(d, &f2->sources[1], 1000, &data, &len, &err) == QR_ELIMIT &&
              strstr(err.msg, "F-2/0002.tif"));
    }
    qr_delivery_free(&d);
}

/* ---- make_batch.py deliveries vs truth.json ----------------------------- */

typedef struct truth_file {
    char id[64];
    int pages;
} truth_file;

static int read_truth(const char *out, truth_file *t, int max)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import json,sys; [print(f['file_id'], f['delivered_pages']) "
             "for f in json.load(open(sys.argv[1]))['files']]\" '%s/truth.json' > '%s/truth.txt'",
             out, out);
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s/truth.txt", out);
    FILE *f = fopen(cmd, "r");
    int n = 0;
    while (f && n < max && fscanf(f, "%63s %d", t[n].id, &t[n].pages) == 2)
        n++;
    if (f)
        fclose(f);
    return n;
}

static void check_batch(const char *out, const char *layout)
{
    truth_file t[64];
    int n = read_truth(out, t, 64);
    CHECKF(n == 12, "%s: %d files in truth.json", layout, n);
    qr_delivery *d = open_ok(out, NULL); /* detection, via scans/ */
    if (!d)
        return;
    CHECKF(strcmp(d->layout->name, layout) == 0, "detected %s, want %s", d->layout->name, layout);
    CHECK_EQ_INT(d->n_files, n);
    size_t refused = 0, total_pages = 0;
    for (size_t i = 0; i < d->n_issues; i++)
        refused += d->issues[i].kind == QR_DELIVERY_REFUSED;
    CHECK_EQ_INT(refused, 0);
    for (int i = 0; i < n; i++) {
        const qr_delivery_file *f = qr_delivery_find(d, t[i].id);
        bool multi = strcmp(layout, "multipage") == 0;
        size_t want = multi ? 1 : (size_t)t[i].pages;
        CHECKF(f && f->n_sources == want && (!multi || f->sources[0].container),
               "%s %s: %zu sources, want %zu", layout, t[i].id, f ? f->n_sources : 0, want);
        total_pages += (size_t)t[i].pages;
    }
    printf("  %s: %zu files, %zu delivered pages in truth, %zu issues\n", layout, d->n_files,
           total_pages, d->n_issues);
    qr_delivery_free(&d);
}

static void test_make_batch(void)
{
    const char *shared = qr_test_env("QUIRE_SHARED");
    char gen[1200];
    if (!shared || !have_python()) {
        printf("SKIP make_batch part: QUIRE_SHARED or /usr/bin/python3 missing\n");
        return;
    }
    snprintf(gen, sizeof gen, "%s/corpus/make_batch.py", shared);
    if (access(gen, R_OK) != 0) {
        printf("SKIP make_batch part: %s missing\n", gen);
        return;
    }
    const char *layouts[] = {"folders", "multipage", "zip"};
    char cmd[4000] = "";
    size_t len = 0;
    for (int i = 0; i < 3; i++)
        len += (size_t)snprintf(cmd + len, sizeof cmd - len,
                                "(cd '%s/corpus' && /usr/bin/python3 make_batch.py --src real --out "
                                "'%s/mb-%s' --files 12 --pages-min 1 --pages-max 8 --seed 7 --faults 0.2 "
                                "--layout %s --workers 1 >/dev/null 2>&1) & ",
                                shared, base, layouts[i], layouts[i]);
    snprintf(cmd + len, sizeof cmd - len, "wait");
    CHECK(system(cmd) == 0);
    for (int i = 0; i < 3; i++) {
        char out[700];
        snprintf(out, sizeof out, "%s/mb-%s", base, layouts[i]);
        check_batch(out, layouts[i]);
    }
}

int main(void)
{
    qr_test_tmpdir("test_formats_delivery", base, sizeof base);
    test_folders();
    test_multipage();
    test_detection();
    if (have_python()) {
        build_archives();
        test_archive("zip");
        test_archive("tar");
    } else {
        printf("SKIP archive part: /usr/bin/python3 missing to build the archives\n");
    }
    test_make_batch();
    return qr_test_end();
}
