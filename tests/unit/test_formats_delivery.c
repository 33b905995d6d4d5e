/*
 * Unit tests for formats/qr_delivery: small deliveries built in a temp dir
 * (natural page order, junk, empty folders, hostile names and links, the
 * multipage layout, detection), archives with traversal names (built with
 * python3's tarfile/zipfile when available), and, when ../shared exists,
 * batches from make_batch.py checked against their truth.json.
 *
 * Ambiguous and damaged boxes are built byte by byte from real tar and zip
 * files (a name given twice, members that are all refused, a tar or zip cut
 * at a member boundary or inside a member, a broken central directory, a
 * broken tar header, a file that is no archive), so the issues are checked
 * against what libarchive really reports; ing_issue_faults, which turns a
 * file's refused issues into its faults, is checked on them too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery_int.h" /* qr_delivery_escape */
#include "ingest_int.h"
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

/* The issue names exactly this file (want NULL: no file). */
static bool id_is(const qr_delivery_issue *is, const char *want)
{
    return is && (want ? is->file_id && strcmp(is->file_id, want) == 0 : is->file_id == NULL);
}

/* The sources of file id; (size_t)-1 when the delivery has no such file. */
static size_t n_sources_of(const qr_delivery *d, const char *id)
{
    const qr_delivery_file *f = qr_delivery_find(d, id);
    return f ? f->n_sources : (size_t)-1;
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
    CHECK_EQ_INT(d->n_files, 5);
    const char *ids[] = {"A-1", "A-2", "B", "EMPTY", "ESCAPE"};
    for (size_t i = 0; i < 5 && i < d->n_files; i++)
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
    /* a file folder that was refused is a file without pages, so it is not lost */
    CHECK(!qr_delivery_find(d, ".hidden") && qr_delivery_find(d, "ESCAPE") &&
          qr_delivery_find(d, "ESCAPE")->n_sources == 0);
    CHECK(issue_with(d, QR_DELIVERY_REFUSED, "A-1/evil.tif", "outside the delivery") >= 0);
    int esc = issue_with(d, QR_DELIVERY_REFUSED, "ESCAPE", "outside the delivery");
    CHECK(esc >= 0 && id_is(&d->issues[esc], "ESCAPE"));
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
    sh("ln -s /etc/passwd '%s/multi/X-5.tif'", base);
    qr_delivery *d = open_ok(root, NULL);
    if (!d)
        return;
    CHECK(strcmp(d->layout->name, "multipage") == 0);
    CHECK_EQ_INT(d->n_files, 4);
    const char *ids[] = {"X-1", "X-2", "X-5", "X-10"}; /* refused, below */
    for (size_t i = 0; i < 4 && i < d->n_files; i++) {
        const qr_delivery_file *f = &d->files[i];
        CHECKF(strcmp(f->file_id, ids[i]) == 0 &&
                   (i == 2 || (f->n_sources == 1 && f->sources[0].container)),
               "file %zu: %s", i, f->file_id);
    }
    const qr_delivery_file *x2 = qr_delivery_find(d, "X-2");
    CHECK(x2 && strcmp(x2->sources[0].name, "X-2.TIFF") == 0 && x2->sources[0].size == 4);
    CHECK(strcmp(qr_delivery_find(d, "X-1")->sources[0].name, "X-1.tif") == 0);
    int twin = issue_with(d, QR_DELIVERY_REFUSED, "X-1.tiff", "second TIFF");
    CHECK(twin >= 0 && id_is(&d->issues[twin], "X-1"));
    /* a refused TIFF is its file without pages, so the file is not lost */
    int x5 = issue_with(d, QR_DELIVERY_REFUSED, "X-5.tif", "outside the delivery");
    CHECK(x5 >= 0 && id_is(&d->issues[x5], "X-5") && n_sources_of(d, "X-5") == 0);
    CHECK(issue_with(d, QR_DELIVERY_IGNORED, "notes.txt", "") >= 0);
    qr_delivery_free(&d);
}

/* One page given twice under two names in a file folder (0002.jpg beside
 * 0002.tif and 02.png): ambiguous like a name repeated in a box; the first
 * in page order is kept. 0002a.tif and 10.tif are other pages. */
static void test_folder_twins(void)
{
    char root[600];
    snprintf(root, sizeof root, "%s/twins", base);
    put("twins/F-1/0001.tif", "p1");
    put("twins/F-1/0002.tif", "tif copy");
    put("twins/F-1/0002.jpg", "jpg copy");
    put("twins/F-1/02.png", "png copy");
    put("twins/F-1/0002a.tif", "p2a");
    put("twins/F-2/1.tif", "one");
    put("twins/F-2/10.tif", "ten");
    qr_delivery *d = open_ok(root, "folders");
    if (!d)
        return;
    const char *f1[] = {"F-1/0001.tif", "F-1/0002.jpg", "F-1/0002a.tif"};
    const char *f2[] = {"F-2/1.tif", "F-2/10.tif"};
    CHECK(names_are(qr_delivery_find(d, "F-1"), f1, 3));
    CHECK(names_are(qr_delivery_find(d, "F-2"), f2, 2));
    int kt = issue_with(d, QR_DELIVERY_REFUSED, "F-1/0002.tif: ambiguous",
                        "(F-1/0002.jpg and F-1/0002.tif): which copy is the scan?");
    int kp = issue_with(d, QR_DELIVERY_REFUSED, "F-1/02.png: ambiguous", "(F-1/0002.jpg and F-1/02.png)");
    CHECK(kt >= 0 && id_is(&d->issues[kt], "F-1"));
    CHECK(kp >= 0 && id_is(&d->issues[kp], "F-1"));
    CHECK_EQ_INT(d->n_issues, 2);
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
        int k = issue_with(d, QR_DELIVERY_REFUSED, "BOX-2.zip:F-1/0001.tif", "ambiguous");
        CHECK(k >= 0 && id_is(&d->issues[k], "F-1") && strstr(d->issues[k].msg, "(member 4 of BOX-1.zip and member 1 of BOX-2.zip)"));
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

/* ---- ambiguous and damaged boxes ---------------------------------------- */

/* One delivery per case (box-<case>/BOX-1.tar|zip), written by python3 and
 * then cut or broken at offsets the writer reports. */
static void build_boxes(void)
{
    char script[600];
    snprintf(script, sizeof script, "%s/mkbox.py", base);
    put("mkbox.py",
        "import sys, os, io, tarfile, zipfile\n"
        "base = sys.argv[1]\n"
        "def box(case, name):\n"
        "    d = os.path.join(base, 'box-' + case); os.makedirs(d, exist_ok=True)\n"
        "    return os.path.join(d, name)\n"
        "def tar(path, mem, fmt=tarfile.USTAR_FORMAT):\n"
        "    t = tarfile.open(path, 'w', format=fmt, encoding='utf-8', errors='surrogateescape')\n"
        "    for m in mem:\n"
        "        ti = tarfile.TarInfo(m[0]); ti.mtime = 1700000000\n"
        "        if len(m) > 2:\n"
        "            ti.type, ti.linkname = m[2], m[3]; t.addfile(ti)\n"
        "        else:\n"
        "            ti.size = len(m[1]); t.addfile(ti, io.BytesIO(m[1]))\n"
        "    t.close()\n"
        "def zp(path, mem):\n"
        "    z = zipfile.ZipFile(path, 'w')\n"
        "    for m in mem:\n"
        "        zi = zipfile.ZipInfo(m[0], (2024, 3, 1, 9, 0, 0))\n"
        "        if len(m) > 2: zi.external_attr = 0o120777 << 16\n"
        "        z.writestr(zi, m[1])\n"
        "    z.close()\n"
        "def cut(path, n):\n"
        "    b = open(path, 'rb').read()[:n]; open(path, 'wb').write(b)\n"
        "def poke(path, at, byte):\n"
        "    b = bytearray(open(path, 'rb').read()); b[at] = byte; open(path, 'wb').write(bytes(b))\n"
        "three = [('F-1/0001.tif', b'a' * 1000), ('F-1/0002.tif', b'b' * 1000),\n"
        "         ('F-2/0001.tif', b'c' * 3000)]\n"
        "dup = [('F-1/0001.tif', b'first'), ('F-1/0002.tif', b'p2'), ('F-1/0001.tif', b'second copy'),\n"
        "       ('F-2/0001.tif', b'q1'), ('F-2/1.jpg', b'q1 again')]\n"
        "tar(box('dup-tar', 'BOX-1.tar'), dup); zp(box('dup-zip', 'BOX-1.zip'), dup)\n"
        "tar(box('fixed-tar', 'BOX-1.tar'), dup[:2] + dup[3:4])\n"
        "tar(box('refused-tar', 'BOX-1.tar'), [('F-1/0001.tif', b'p1'),\n"
        "    ('F-5/0001.tif', b'', tarfile.SYMTYPE, '/etc/passwd'),\n"
        "    ('F-6/0001.tif', b'', tarfile.LNKTYPE, 'F-1/0001.tif'), ('F-7/\\udcff.tif', b'x'),\n"
        "    ('F-9/' + '\\u00e4' * 100 + '.tif', b'', tarfile.SYMTYPE, 'x')], fmt=tarfile.GNU_FORMAT)\n"
        "zp(box('refused-zip', 'BOX-1.zip'), [('F-1/0001.tif', b'p1'),\n"
        "    ('F-5/0001.tif', b'/etc/passwd', 'link'), ('F-8/../x.tif', b'x')])\n"
        "u = [('F-\\u00e4/0001.tif', b'umlaut')]\n"
        "tar(box('utf8-tar', 'BOX-1.tar'), u, fmt=tarfile.PAX_FORMAT); zp(box('utf8-zip', 'BOX-1.zip'), u)\n"
        "p = box('cut-tar-b', 'BOX-1.tar'); tar(p, three); cut(p, tarfile.open(p).getmembers()[2].offset)\n"
        "p = box('cut-tar-m', 'BOX-1.tar'); tar(p, three)\n"
        "cut(p, tarfile.open(p).getmembers()[2].offset_data + 1000)\n"
        "p = box('cut-zip-b', 'BOX-1.zip'); zp(p, three); cut(p, zipfile.ZipFile(p).infolist()[2].header_offset)\n"
        "p = box('cut-zip-m', 'BOX-1.zip'); zp(p, three)\n"
        "cut(p, zipfile.ZipFile(p).infolist()[2].header_offset + 100)\n"
        "p = box('cd-zip', 'BOX-1.zip'); zp(p, three); sd = zipfile.ZipFile(p).start_dir\n"
        "poke(p, open(p, 'rb').read().find(b'PK\\x01\\x02', sd + 4), ord('X'))\n"
        "p = box('hdr-tar', 'BOX-1.tar'); tar(p, three)\n"
        "at = tarfile.open(p).getmembers()[1].offset + 10; poke(p, at, open(p, 'rb').read()[at] ^ 0xff)\n"
        "open(box('junk-tar', 'BOX-1.tar'), 'wb').write(b'not an archive' * 100)\n"
        "p = box('warn-tar', 'BOX-1.tar')\n"
        "tar(p, [('F-1/0001.tif', b'a'), ('F-3/\\u00e9.tif', b'b'), ('F-4/0001.tif', b'c')], tarfile.PAX_FORMAT)\n"
        "b = open(p, 'rb').read(); k = b.find('path=F-3/\\u00e9'.encode()) + 9\n"
        "poke(p, k, 0xff); poke(p, k + 1, 0xff)\n");
    sh("/usr/bin/python3 -W ignore '%s' '%s'", script, base);
}

static qr_delivery *open_box(const char *which)
{
    char p[700];
    snprintf(p, sizeof p, "%s/box-%s", base, which);
    return open_ok(p, NULL);
}

/* The one issue of d that is REFUSED and damaged, or NULL (and a failed
 * check) when there is not exactly one. */
static const qr_delivery_issue *the_damage(const qr_delivery *d)
{
    const qr_delivery_issue *found = NULL;
    size_t n = 0;
    for (size_t i = 0; i < d->n_issues; i++)
        if (d->issues[i].damaged) {
            found = &d->issues[i];
            n++;
        }
    CHECKF(n == 1, "%s: %zu damaged issues, want 1", d->root, n);
    if (found)
        CHECKF(found->kind == QR_DELIVERY_REFUSED && !strstr(found->msg, "(null)"), "%s",
               found->msg);
    return n == 1 ? found : NULL;
}

/* The page name given twice: the first copy stays the source, the file gets
 * a refused issue naming both positions, and it becomes one corrupt fault. */
static void test_duplicate_names(const char *kind)
{
    qr_delivery *d = open_box(strcmp(kind, "tar") == 0 ? "dup-tar" : "dup-zip");
    if (!d)
        return;
    char name[64], where[64];
    snprintf(name, sizeof name, "BOX-1.%s:F-1/0001.tif", kind);
    snprintf(where, sizeof where, "(members 1 and 3 of BOX-1.%s)", kind);
    int k = issue_with(d, QR_DELIVERY_REFUSED, name, "ambiguous");
    CHECKF(k >= 0, "%s: no refused issue saying %s is ambiguous", kind, name);
    if (k >= 0) {
        const qr_delivery_issue *is = &d->issues[k];
        CHECKF(id_is(is, "F-1") && strstr(is->msg, where) && strstr(is->msg, "which copy") &&
                   strstr(is->msg, "the same page is given twice") && !strstr(is->msg, "first as") &&
                   !is->damaged, "%s: %s", kind, is->msg);
    }
    const qr_delivery_file *f1 = qr_delivery_find(d, "F-1");
    CHECK(f1 && f1->n_sources == 2);
    if (f1 && f1->n_sources == 2) {
        CHECK(f1->sources[0].index == 0);
        check_member(d, &f1->sources[0], "first", 5);
    }
    /* the same page under another name: both members named */
    snprintf(name, sizeof name, "BOX-1.%s:F-2/1.jpg", kind);
    snprintf(where, sizeof where, "(members 4 and 5 of BOX-1.%s, the first as 0001.tif)", kind);
    k = issue_with(d, QR_DELIVERY_REFUSED, name, where);
    CHECKF(k >= 0 && id_is(&d->issues[k], "F-2") && n_sources_of(d, "F-2") == 1,
           "%s: no refused issue on F-2 saying %s", kind, where);
    ing_faults fl = {0};
    CHECK_EQ_INT(ing_issue_faults(&fl, d, "F-1"), 1);
    if (fl.n == 1)
        CHECKF(fl.v[0].kind == QR_FAULT_CORRUPT && fl.v[0].page == 0 && fl.v[0].value == 1 &&
                   fl.v[0].threshold == 0 && strstr(fl.v[0].detail, "ambiguous"),
               "fault detail '%s'", fl.v[0].detail);
    ing_faults_free(&fl);
    if (strcmp(kind, "tar") == 0) { /* the corrected box: same first copy, no issue */
        qr_delivery *fixed = open_box("fixed-tar");
        const qr_delivery_file *g1 = fixed ? qr_delivery_find(fixed, "F-1") : NULL;
        CHECK(g1 && f1 && g1->n_sources == 2 && fixed->n_issues == 0 &&
              strcmp(g1->fingerprint, f1->fingerprint) != 0);
        qr_delivery_free(&fixed);
    }
    qr_delivery_free(&d);
}

/* Files whose members were all refused are still files (with no sources),
 * and every refused member names its file. */
static void test_refused_members(void)
{
    qr_delivery *d = open_box("refused-tar");
    if (d) {
        CHECK_EQ_INT(d->n_files, 5);
        CHECK_EQ_INT(n_sources_of(d, "F-1"), 1);
        const char *gone[] = {"F-5", "F-6", "F-7", "F-9"};
        for (size_t i = 0; i < 4; i++)
            CHECKF(n_sources_of(d, gone[i]) == 0, "%s: %zu sources", gone[i],
                   n_sources_of(d, gone[i]));
        int k5 = issue_with(d, QR_DELIVERY_REFUSED, "BOX-1.tar:F-5/0001.tif", "link");
        int k6 = issue_with(d, QR_DELIVERY_REFUSED, "BOX-1.tar:F-6/0001.tif", "link");
        int k7 = issue_with(d, QR_DELIVERY_REFUSED, "BOX-1.tar:F-7/\\xFF.tif", "UTF-8");
        CHECK(k5 >= 0 && id_is(&d->issues[k5], "F-5"));
        CHECK(k6 >= 0 && id_is(&d->issues[k6], "F-6"));
        CHECK(k7 >= 0 && id_is(&d->issues[k7], "F-7"));
        ing_faults fl = {0};
        CHECK_EQ_INT(ing_issue_faults(&fl, d, "F-1"), 0);
        CHECK_EQ_INT(ing_issue_faults(&fl, d, "F-9"), 1); /* a message too long for a fault */
        if (fl.n == 1) {
            const char *x = fl.v[0].detail;
            size_t n = strlen(x);
            char *esc = qr_delivery_escape(x);
            CHECKF(n < sizeof fl.v[0].detail && n > 100 && strcmp(x + n - 3, "...") == 0 &&
                       strncmp(x, "BOX-1.tar:F-9/", 14) == 0 && esc && !strchr(esc, '\\'),
                   "detail '%s'", x);
            free(esc);
        }
        ing_faults_free(&fl);
        qr_delivery_free(&d);
    }
    d = open_box("refused-zip");
    if (d) {
        CHECK_EQ_INT(d->n_files, 3);
        CHECK(n_sources_of(d, "F-1") == 1 && n_sources_of(d, "F-5") == 0 &&
              n_sources_of(d, "F-8") == 0);
        int k5 = issue_with(d, QR_DELIVERY_REFUSED, "BOX-1.zip:F-5/0001.tif", "link");
        int k8 = issue_with(d, QR_DELIVERY_REFUSED, "BOX-1.zip:F-8/../x.tif", "escapes");
        CHECK(k5 >= 0 && id_is(&d->issues[k5], "F-5"));
        CHECK(k8 >= 0 && id_is(&d->issues[k8], "F-8"));
        qr_delivery_free(&d);
    }
}

/* UTF-8 member names are names, whatever the process locale. */
static void test_utf8_members(const char *kind)
{
    qr_delivery *d = open_box(strcmp(kind, "tar") == 0 ? "utf8-tar" : "utf8-zip");
    if (!d)
        return;
    const qr_delivery_file *f = qr_delivery_find(d, "F-\xC3\xA4");
    CHECKF(f && f->n_sources == 1 && d->n_files == 1 && d->n_issues == 0,
           "%s: %zu files, %zu issues%s%s", kind, d->n_files, d->n_issues,
           d->n_issues ? ": " : "", d->n_issues ? d->issues[0].msg : "");
    if (f && f->n_sources == 1)
        check_member(d, &f->sources[0], "umlaut", 6);
    qr_delivery_free(&d);
}

/* A damaged box: one damaged issue naming the container, the last member
 * read whole and libarchive's reason, on the right file. */
static void expect_damage(const char *which, const char *after, const char *reason,
                          const char *file_id, size_t n_files)
{
    qr_delivery *d = open_box(which);
    if (!d)
        return;
    const qr_delivery_issue *is = the_damage(d);
    CHECKF(is && strstr(is->msg, after) && strstr(is->msg, reason) && id_is(is, file_id),
           "%s: '%s' (file %s), want '%s' ... '%s' on %s", which, is ? is->msg : "",
           is && is->file_id ? is->file_id : "none", after, reason, file_id ? file_id : "none");
    CHECKF(d->n_files == n_files, "%s: %zu files, want %zu", which, d->n_files, n_files);
    if (file_id) {
        ing_faults fl = {0};
        CHECKF(ing_issue_faults(&fl, d, file_id) >= 1 && fl.n >= 1 &&
                   strstr(fl.v[0].detail, "damaged"), "%s: no damaged fault", which);
        ing_faults_free(&fl);
    }
    qr_delivery_free(&d);
}

static void test_damaged_boxes(void)
{
    expect_damage("cut-tar-b", "BOX-1.tar: damaged after member F-1/0002.tif: ",
                  "end-of-archive", "F-1", 1);
    expect_damage("cut-tar-m", "BOX-1.tar: damaged after member F-1/0002.tif: ",
                  "Truncated input file", "F-2", 2);
    expect_damage("cut-zip-b", "BOX-1.zip: damaged after member F-1/0002.tif: ", "ends", "F-1", 1);
    expect_damage("cut-zip-m", "BOX-1.zip: damaged after member F-1/0002.tif: ",
                  "Truncated input file", "F-2", 2);
    expect_damage("cd-zip", "BOX-1.zip: damaged before its first member: ",
                  "Invalid central directory signature", NULL, 0);
    expect_damage("hdr-tar", "BOX-1.tar: damaged after member F-1/0001.tif: ",
                  "Damaged tar archive", "F-1", 1);
    expect_damage("junk-tar", "BOX-1.tar: damaged before its first member: ",
                  "Unrecognized archive format", NULL, 0);
    /* a pax name that is not the UTF-8 it claims: libarchive warns, the member
     * is refused as damaged and the box goes on */
    expect_damage("warn-tar", "BOX-1.tar: damaged after member F-1/0001.tif: ",
                  "(member 2, F-3/\\xFF\\xFF.tif, refused)", "F-3", 3);
    qr_delivery *d = open_box("warn-tar");
    if (d) {
        CHECK(n_sources_of(d, "F-1") == 1 && n_sources_of(d, "F-3") == 0 &&
              n_sources_of(d, "F-4") == 1);
        qr_delivery_free(&d);
    }
    d = open_box("cut-tar-m"); /* the member cut short is no source */
    if (d) {
        CHECK(n_sources_of(d, "F-1") == 2 && n_sources_of(d, "F-2") == 0);
        qr_delivery_free(&d);
    }
    d = open_box("cut-zip-b"); /* what lies before the cut is read as it is */
    const qr_delivery_file *f1 = d ? qr_delivery_find(d, "F-1") : NULL;
    CHECK(f1 && f1->n_sources == 2);
    if (f1 && f1->n_sources == 2)
        check_member(d, &f1->sources[1], "bb", 1000);
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
    test_folder_twins();
    test_detection();
    if (have_python()) {
        build_archives();
        test_archive("zip");
        test_archive("tar");
        build_boxes();
        test_duplicate_names("tar");
        test_duplicate_names("zip");
        test_refused_members();
        test_utf8_members("tar");
        test_utf8_members("zip");
        test_damaged_boxes();
    } else {
        printf("SKIP archive part: /usr/bin/python3 missing to build the archives\n");
    }
    test_make_batch();
    return qr_test_end();
}
