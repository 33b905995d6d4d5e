/*
 * The archive folder against the ledger: every archived version the ledger
 * records is re-hashed and compared with its recorded SHA-256, its XMP
 * provenance and its name are compared with the ledger's rows, and (deep)
 * its structure and images are read; then the folder is searched for PDFs
 * the ledger does not know, and a missing archive is looked for among them
 * by its digest (renamed or moved).
 *
 * Where archives are: the ledger records each path as the ingest's command
 * line gave it (relative to where it ran). With --archives DIR each is
 * looked for in DIR under its recorded base name, and DIR is the folder
 * searched for strays; without it, each recorded path is used as it is and
 * the folders searched are those the recorded paths name. The search goes
 * into subfolders (a moved archive), not into hidden ones (.quire-tmp holds
 * writes in flight) nor through symbolic links. Files are told apart by
 * device and inode, so "./out/a.pdf" and "out/a.pdf" are one file.
 *
 * Speed: the hash is the cost (the job is I/O bound), so each file is read
 * once, sequentially, in 1 MiB reads, advising the kernel so; the XMP and
 * the cross-reference table are then read with pread from the tail, from
 * the page cache. Runs on the thread that owns the ledger handle.
 */
#include "verify_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qr_manifest.h"

#define READ_BUF (1u << 20)
#define MAX_PAGE_FINDINGS 5
#define MAX_WALK_DEPTH 8

typedef struct file_key {
    dev_t dev;
    ino_t ino;
} file_key;

typedef struct key_set {
    file_key *v;
    size_t n, cap;
} key_set;

typedef struct version_rec {
    int64_t row;
    const char *file_id;
    int version;
    const char *recorded;       /* archive_path as recorded */
    const char *sha;            /* archive_sha256 as recorded */
    int64_t pages;              /* files.pages */
    char path[4096];            /* where it is looked for */
} version_rec;

typedef struct lost {
    char *file_id, *path;
    int version;
    char sha[QR_SHA256_HEX];
} lost;

typedef struct arch_ctx {
    qr_ledger *l;
    const qr_verify_opts *o;
    vf_out out;
    uint8_t *buf;
    key_set found;              /* archives found where the ledger says */
    char **dirs;                /* folders to search for strays */
    size_t n_dirs, cap_dirs;
    lost *lost;                 /* archives not found, looked for among strays */
    size_t n_lost, cap_lost;
} arch_ctx;

/* ---- small collections -------------------------------------------------------- */

static int keys_add(key_set *s, dev_t dev, ino_t ino)
{
    if (qr_grow(&s->v, &s->cap, s->n + 1, sizeof *s->v) != QR_OK)
        return QR_ENOMEM;
    s->v[s->n++] = (file_key){dev, ino};
    return QR_OK;
}

static int cmp_key(const void *a, const void *b)
{
    const file_key *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static bool keys_has(const key_set *s, dev_t dev, ino_t ino)
{
    file_key k = {dev, ino};
    return s->n && bsearch(&k, s->v, s->n, sizeof k, cmp_key);
}

static int add_dir(arch_ctx *c, const char *dir)
{
    for (size_t i = c->n_dirs; i-- > 0;)
        if (!strcmp(c->dirs[i], dir))
            return QR_OK;
    if (qr_grow(&c->dirs, &c->cap_dirs, c->n_dirs + 1, sizeof *c->dirs) != QR_OK)
        return QR_ENOMEM;
    if (!(c->dirs[c->n_dirs] = qr_strdup(dir)))
        return QR_ENOMEM;
    c->n_dirs++;
    return QR_OK;
}

static int add_lost(arch_ctx *c, const version_rec *v)
{
    if (qr_grow(&c->lost, &c->cap_lost, c->n_lost + 1, sizeof *c->lost) != QR_OK)
        return QR_ENOMEM;
    lost *m = &c->lost[c->n_lost];
    *m = (lost){qr_strdup(v->file_id), qr_strdup(v->path), v->version, ""};
    snprintf(m->sha, sizeof m->sha, "%s", v->sha ? v->sha : "");
    if (!m->file_id || !m->path) {
        free(m->file_id);
        free(m->path);
        return QR_ENOMEM;
    }
    c->n_lost++;
    return QR_OK;
}

static void ctx_free(arch_ctx *c)
{
    free(c->buf);
    free(c->found.v);
    for (size_t i = 0; i < c->n_dirs; i++)
        free(c->dirs[i]);
    free(c->dirs);
    for (size_t i = 0; i < c->n_lost; i++) {
        free(c->lost[i].file_id);
        free(c->lost[i].path);
    }
    free(c->lost);
}

/* ---- hashing ------------------------------------------------------------------ */

static int hash_fd(int fd, uint8_t *buf, char hex[QR_SHA256_HEX], uint64_t *bytes, qr_err *err)
{
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    qr_sha256 *h = qr_sha256_new();
    if (!h)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    uint64_t total = 0;
    int rc = QR_OK;
    for (;;) {
        ssize_t n = read(fd, buf, READ_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = qr_err_set(err, QR_EIO, "read error: %s", strerror(errno));
            break;
        }
        if (n == 0)
            break;
        qr_sha256_update(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_final(h, d);
    qr_sha256_free(&h);
    qr_hex(d, sizeof d, hex);
    *bytes = total;
    return rc;
}

/* The archived version whose recorded digest is sha: "F version N"; "" when none. */
static void known_as(qr_ledger *l, const char *sha, char *out, size_t cap)
{
    out[0] = '\0';
    sqlite3_stmt *st = lg_prepare(l, "SELECT file_id, version FROM files WHERE status ="
                                     " 'archived' AND archive_sha256 = ? ORDER BY id LIMIT 1",
                                  NULL);
    if (!st)
        return;
    lg_bind_text(st, 1, sha);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, cap, "%s version %d", (const char *)sqlite3_column_text(st, 0),
                 sqlite3_column_int(st, 1));
    sqlite3_finalize(st);
}

/* ---- provenance --------------------------------------------------------------- */

/* Whether s is text the XMP holds unchanged (no character the writer would
 * have escaped as \uXXXX or replaced as invalid UTF-8). */
static bool plain_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p >= 0x80)
            return false;
    return true;
}

static bool same_text(const char *ledger, const char *xmp)
{
    if (!ledger || !xmp)
        return !ledger && !xmp;
    return !strcmp(ledger, xmp) || !plain_text(ledger);
}

typedef struct page_cmp {
    arch_ctx *c;
    const version_rec *v;
    int findings;
} page_cmp;

static void page_finding(page_cmp *p, int page, const char *field, const char *want,
                         const char *got)
{
    if (++p->findings > MAX_PAGE_FINDINGS)
        return;
    vf_emit(&p->c->out, QR_VERIFY_PROVENANCE, p->v->file_id, p->v->version, p->v->path, 0,
            want ? want : "(none)", got ? got : "(none)",
            "page %d: the XMP's %s is not the ledger's", page, field);
}

/* One ledger page row (page, source, source_sha256, source_page) against
 * the XMP's entry i. */
static void compare_page(page_cmp *p, sqlite3_stmt *st, const vx_page *x, int i)
{
    int page = sqlite3_column_int(st, 0);
    const char *src = (const char *)sqlite3_column_text(st, 1);
    const char *sha = (const char *)sqlite3_column_text(st, 2);
    int spage = sqlite3_column_int(st, 3);
    char a[16], b[16];
    if (page != i + 1 || x->page != i + 1) {
        snprintf(a, sizeof a, "%d", page);
        snprintf(b, sizeof b, "%d", x->page);
        page_finding(p, i + 1, "page number", a, b);
    }
    if (!same_text(sha, x->sha256))
        page_finding(p, i + 1, "source SHA-256", sha, x->sha256);
    if (!same_text(src, x->source))
        page_finding(p, i + 1, "source", src, x->source);
    if (x->source_page && spage && x->source_page != spage) {
        snprintf(a, sizeof a, "%d", spage);
        snprintf(b, sizeof b, "%d", x->source_page);
        page_finding(p, i + 1, "page within the source", a, b);
    }
}

static int compare_pages(arch_ctx *c, const version_rec *v, const vx_doc *x, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(c->l, "SELECT page, source, source_sha256,"
                                        " coalesce(source_page, 1) FROM pages WHERE outcome = ?"
                                        " ORDER BY page", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, v->row);
    page_cmp p = {c, v, 0};
    int n = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)n < x->n_pages)
            compare_page(&p, st, &x->pages[n], n);
        n++;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return lg_fail(c->l, err, "reading pages");
    if ((size_t)n != x->n_pages) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%d pages", n);
        snprintf(b, sizeof b, "%zu pages", x->n_pages);
        vf_emit(&c->out, QR_VERIFY_PROVENANCE, v->file_id, v->version, v->path, 0, a, b,
                "the XMP lists %zu pages, the ledger %d", x->n_pages, n);
    }
    if (p.findings > MAX_PAGE_FINDINGS)
        vf_emit(&c->out, QR_VERIFY_PROVENANCE, v->file_id, v->version, v->path, 0, NULL, NULL,
                "and %d more pages whose XMP is not the ledger's",
                p.findings - MAX_PAGE_FINDINGS);
    return QR_OK;
}

static int check_xmp(arch_ctx *c, const version_rec *v, vp_doc *d, qr_err *err)
{
    char *xmp = NULL;
    size_t len = 0;
    vx_doc x = {0};
    qr_err e = {0};
    int rc = vp_xmp(d, &xmp, &len, &e);
    if (rc == QR_OK)
        rc = vx_parse(xmp, len, &x, &e);
    free(xmp);
    if (rc == QR_ENOMEM)
        return qr_err_set(err, rc, "out of memory");
    if (rc != QR_OK) {
        vf_emit(&c->out, QR_VERIFY_PROVENANCE, v->file_id, v->version, v->path, 0, NULL, NULL,
                "its XMP cannot be read: %s", e.msg);
        return QR_OK;
    }
    if (!x.file_id || !same_text(v->file_id, x.file_id))
        vf_emit(&c->out, QR_VERIFY_PROVENANCE, v->file_id, v->version, v->path, 0, v->file_id,
                x.file_id ? x.file_id : "(none)", "the XMP names another file");
    rc = compare_pages(c, v, &x, err);
    vx_free(&x);
    return rc;
}

/* The version is in the name: <name>.pdf, <name>@vN.pdf (qr_manifest_archive_name). */
static void check_name(arch_ctx *c, const version_rec *v)
{
    char want[512], copy[4096];
    snprintf(copy, sizeof copy, "%s", v->recorded);
    const char *base = basename(copy);
    if (qr_manifest_archive_name(v->file_id, v->version, want, sizeof want) < 0 ||
        strcmp(base, want) != 0)
        vf_emit(&c->out, QR_VERIFY_PROVENANCE, v->file_id, v->version, v->path, 0, want, base,
                "the archive's recorded name is not the name of version %d", v->version);
}

/* Read the archive as a PDF: its XMP, and with deep its pages and images. */
static int check_pdf(arch_ctx *c, const version_rec *v, int fd, uint64_t size, qr_err *err)
{
    vp_doc d;
    qr_err e = {0};
    int rc = vp_open(&d, fd, size, &e);
    if (rc == QR_ENOMEM)
        return qr_err_set(err, rc, "out of memory");
    if (rc != QR_OK) {
        vf_emit(&c->out, c->o->deep ? QR_VERIFY_STRUCTURE : QR_VERIFY_PROVENANCE, v->file_id,
                v->version, v->path, 0, NULL, NULL, "it cannot be read as a PDF: %s", e.msg);
        return QR_OK;
    }
    rc = check_xmp(c, v, &d, err);
    int pages = 0;
    if (rc == QR_OK && c->o->deep)
        rc = vd_check(&d, &c->out, v->file_id, v->version, v->path, &pages, err);
    if (rc == QR_OK && c->o->deep && pages != v->pages) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%" PRId64 " pages", v->pages);
        snprintf(b, sizeof b, "%d pages", pages);
        vf_emit(&c->out, QR_VERIFY_STRUCTURE, v->file_id, v->version, v->path, 0, a, b,
                "the archive has %d pages, the ledger records %" PRId64, pages, v->pages);
    }
    vp_close(&d);
    return rc;
}

/* ---- one archived version --------------------------------------------------------- */

static void resolve(const arch_ctx *c, version_rec *v)
{
    if (!c->o->archives_dir) {
        snprintf(v->path, sizeof v->path, "%s", v->recorded);
        return;
    }
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", v->recorded);
    snprintf(v->path, sizeof v->path, "%s/%s", c->o->archives_dir, basename(copy));
}

static int check_open(arch_ctx *c, const version_rec *v, int fd, uint64_t *bytes, qr_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        vf_emit(&c->out, QR_VERIFY_UNREADABLE, v->file_id, v->version, v->path, 0, NULL, NULL,
                "it is not a regular file");
        return QR_OK;
    }
    if (keys_add(&c->found, st.st_dev, st.st_ino) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    char hex[QR_SHA256_HEX];
    qr_err e = {0};
    if (hash_fd(fd, c->buf, hex, bytes, &e) != QR_OK) {
        vf_emit(&c->out, QR_VERIFY_UNREADABLE, v->file_id, v->version, v->path, 0, NULL, NULL,
                "%s", e.msg);
        return QR_OK;
    }
    if (strcmp(hex, v->sha) != 0) {
        char other[1200];
        known_as(c->l, hex, other, sizeof other);
        vf_emit(&c->out, QR_VERIFY_MODIFIED, v->file_id, v->version, v->path, 0, v->sha, hex,
                "its SHA-256 is not the one recorded%s%s", other[0] ? ": it holds the archive "
                "of " : "", other);
    }
    return check_pdf(c, v, fd, *bytes, err);
}

static int check_version(arch_ctx *c, version_rec *v, bool look_later, qr_err *err)
{
    resolve(c, v);
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", v->path);
    if (!c->o->archives_dir && add_dir(c, dirname(copy)) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    c->out.sum->versions++;
    c->out.sum->pages += v->pages;
    int fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        if (look_later)
            return add_lost(c, v) == QR_OK ? QR_OK : qr_err_set(err, QR_ENOMEM, "out of memory");
        vf_emit(&c->out, QR_VERIFY_MISSING, v->file_id, v->version, v->path, 0, v->sha, NULL,
                "the archive is not there");
        return QR_OK;
    }
    if (fd < 0) {
        vf_emit(&c->out, QR_VERIFY_UNREADABLE, v->file_id, v->version, v->path, 0, NULL, NULL,
                "it cannot be opened: %s", strerror(errno));
        return QR_OK;
    }
    check_name(c, v);
    uint64_t bytes = 0;
    int rc = check_open(c, v, fd, &bytes, err);
    close(fd);
    c->out.sum->bytes += (int64_t)bytes;
    return rc;
}

static void version_of_row(sqlite3_stmt *st, version_rec *v)
{
    memset(v, 0, sizeof *v);
    v->row = sqlite3_column_int64(st, 0);
    v->file_id = (const char *)sqlite3_column_text(st, 1);
    v->version = sqlite3_column_int(st, 2);
    v->recorded = (const char *)sqlite3_column_text(st, 3);
    v->sha = (const char *)sqlite3_column_text(st, 4);
    v->pages = sqlite3_column_int64(st, 5);
    if (!v->file_id)
        v->file_id = "";
    if (!v->recorded)
        v->recorded = "";
    if (!v->sha)
        v->sha = "";
}

#define VERSIONS_SQL                                                                     \
    "SELECT id, file_id, version, archive_path, archive_sha256, pages FROM files"         \
    " WHERE status = 'archived'"

/* ---- strays and renames --------------------------------------------------------------- */

typedef struct stray {
    char *path;
    file_key key;
} stray;

typedef struct stray_list {
    stray *v;
    size_t n, cap;
    key_set dirs_seen;
} stray_list;

static bool is_pdf_name(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && !strcasecmp(name + n - 4, ".pdf");
}

static int add_stray(stray_list *s, const char *path, const struct stat *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].key.dev == st->st_dev && s->v[i].key.ino == st->st_ino)
            return QR_OK;
    if (qr_grow(&s->v, &s->cap, s->n + 1, sizeof *s->v) != QR_OK)
        return QR_ENOMEM;
    s->v[s->n] = (stray){qr_strdup(path), {st->st_dev, st->st_ino}};
    if (!s->v[s->n].path)
        return QR_ENOMEM;
    s->n++;
    return QR_OK;
}

static int walk_dir(arch_ctx *c, stray_list *s, const char *dir, int depth)
{
    struct stat ds;
    if (depth > MAX_WALK_DEPTH || stat(dir, &ds) != 0)
        return QR_OK;
    for (size_t i = 0; i < s->dirs_seen.n; i++)
        if (s->dirs_seen.v[i].dev == ds.st_dev && s->dirs_seen.v[i].ino == ds.st_ino)
            return QR_OK;
    if (keys_add(&s->dirs_seen, ds.st_dev, ds.st_ino) != QR_OK)
        return QR_ENOMEM;
    DIR *d = opendir(dir);
    if (!d)
        return QR_OK;
    int rc = QR_OK;
    struct dirent *e;
    char path[4096];
    while (rc == QR_OK && (e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = walk_dir(c, s, path, depth + 1);
        else if (S_ISREG(st.st_mode) && is_pdf_name(e->d_name) &&
                 !keys_has(&c->found, st.st_dev, st.st_ino))
            rc = add_stray(s, path, &st);
    }
    closedir(d);
    return rc;
}

/* A stray holding a missing archive's digest: that archive, renamed or moved. */
static bool claim_lost(arch_ctx *c, const stray *s, const char *hex)
{
    for (size_t i = 0; i < c->n_lost; i++) {
        lost *m = &c->lost[i];
        if (m->path[0] && !strcmp(m->sha, hex)) {
            vf_emit(&c->out, QR_VERIFY_RENAMED, m->file_id, m->version, m->path, 0, m->path,
                    s->path, "the archive is not at its name but found, with its recorded "
                    "SHA-256, at %s: renamed or moved", s->path);
            m->path[0] = '\0';
            return true;
        }
    }
    return false;
}

static int judge_stray(arch_ctx *c, const stray *s)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    char hex[QR_SHA256_HEX] = "";
    uint64_t bytes = 0;
    qr_err e = {0};
    if (fd < 0 || hash_fd(fd, c->buf, hex, &bytes, &e) != QR_OK)
        hex[0] = '\0';
    if (fd >= 0)
        close(fd);
    c->out.sum->bytes += (int64_t)bytes;
    if (hex[0] && claim_lost(c, s, hex))
        return QR_OK;
    c->out.sum->strays++;
    char other[1200] = "";
    if (hex[0])
        known_as(c->l, hex, other, sizeof other);
    vf_emit(&c->out, QR_VERIFY_STRAY, NULL, 0, s->path, 0, NULL, hex[0] ? hex : NULL,
            other[0] ? "a PDF the ledger knows under another name: a copy of the archive of %s"
                     : "a PDF in the archive folder that the ledger does not know%s", other);
    return QR_OK;
}

static int strays_and_lost(arch_ctx *c, qr_err *err)
{
    if (c->found.n) /* qsort wants a real array even for none */
        qsort(c->found.v, c->found.n, sizeof *c->found.v, cmp_key);
    stray_list s = {0};
    int rc = QR_OK;
    if (c->o->archives_dir)
        rc = walk_dir(c, &s, c->o->archives_dir, 0);
    for (size_t i = 0; i < c->n_dirs && rc == QR_OK; i++)
        rc = walk_dir(c, &s, c->dirs[i], 0);
    for (size_t i = 0; i < s.n && rc == QR_OK && !c->out.stop; i++)
        rc = judge_stray(c, &s.v[i]);
    for (size_t i = 0; i < c->n_lost && rc == QR_OK && !c->out.stop; i++)
        if (c->lost[i].path[0])
            vf_emit(&c->out, QR_VERIFY_MISSING, c->lost[i].file_id, c->lost[i].version,
                    c->lost[i].path, 0, c->lost[i].sha, NULL, "the archive is not there, nor "
                    "anywhere in the archive folder under another name");
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i].path);
    free(s.v);
    free(s.dirs_seen.v);
    return rc == QR_ENOMEM ? qr_err_set(err, rc, "out of memory") : rc;
}

/* ---- the whole folder, and one version ------------------------------------------------ */

static int64_t count_of(qr_ledger *l, const char *sql)
{
    sqlite3_stmt *st = lg_prepare(l, sql, NULL);
    int64_t n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}

static int each_version(arch_ctx *c, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(c->l, VERSIONS_SQL " ORDER BY file_id, version", err);
    if (!st)
        return QR_EFATAL;
    long total = (long)count_of(c->l, "SELECT count(*) FROM files WHERE status = 'archived'");
    long done = 0;
    int rc = QR_OK, s;
    while (rc == QR_OK && !c->out.stop && (s = sqlite3_step(st)) == SQLITE_ROW) {
        version_rec v;
        version_of_row(st, &v);
        rc = check_version(c, &v, true, err);
        if (c->o->progress)
            c->o->progress(c->o->progress_user, ++done, total, (long)c->out.sum->pages,
                           (long)c->out.sum->findings);
    }
    if (rc == QR_OK && !c->out.stop && s != SQLITE_DONE)
        rc = lg_fail(c->l, err, "reading the archived files");
    sqlite3_finalize(st);
    return rc;
}

int qr_verify_archives(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                       qr_verify_summary *sum, qr_err *err)
{
    arch_ctx c = {.l = l, .o = o, .out = {sink, user, sum, 0}, .buf = malloc(READ_BUF)};
    if (!c.buf)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    sum->files += count_of(l, "SELECT count(DISTINCT file_id) FROM files"
                              " WHERE status = 'archived'");
    int rc = each_version(&c, err);
    if (rc == QR_OK && !c.out.stop)
        rc = strays_and_lost(&c, err);
    ctx_free(&c);
    return rc != QR_OK ? rc : c.out.stop;
}

int qr_verify_archive(qr_ledger *l, const char *file_id, int version, const qr_verify_opts *o,
                      qr_verify_sink sink, void *user, bool *ok, qr_err *err)
{
    qr_verify_opts none = {0};
    qr_verify_summary sum = {0};
    arch_ctx c = {.l = l, .o = o ? o : &none, .out = {sink, user, &sum, 0},
                  .buf = malloc(READ_BUF)};
    sqlite3_stmt *st = c.buf ? lg_prepare(l, VERSIONS_SQL " AND file_id = ? AND version = ?",
                                          err)
                             : NULL;
    int rc = !c.buf ? qr_err_set(err, QR_ENOMEM, "out of memory") : st ? QR_OK : QR_EFATAL;
    if (st) {
        lg_bind_text(st, 1, file_id);
        sqlite3_bind_int(st, 2, version);
        int s = sqlite3_step(st);
        version_rec v;
        if (s == SQLITE_ROW) {
            version_of_row(st, &v);
            rc = check_version(&c, &v, false, err);
            if (rc == QR_OK)
                rc = vf_outcome_rows(l, v.row, &c.out, err);
        } else {
            rc = s == SQLITE_DONE ? qr_err_set(err, QR_EINVAL, "ledger %s: %s has no archived "
                                               "version %d", l->path, file_id, version)
                                  : lg_fail(l, err, "reading the archived files");
        }
        sqlite3_finalize(st);
    }
    ctx_free(&c);
    if (ok)
        *ok = rc == QR_OK && sum.findings == 0;
    return rc != QR_OK ? rc : c.out.stop;
}
