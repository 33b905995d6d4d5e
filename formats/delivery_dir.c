/*
 * delivery_dir.c: the directory layouts — "folders" (DELIVERY/<file_id>/
 * <pages>) and "multipage" (DELIVERY/<file_id>.tif) — and the safe directory
 * lister they share with the archive layouts.
 *
 * The lister is where hostile trees are stopped: it never follows a symlink
 * whose target lies outside the delivery root, refuses FIFOs, sockets and
 * devices (opening a FIFO would hang the ingest thread), and refuses names
 * that are not valid UTF-8. Only two levels are ever walked, so symlink loops
 * cannot trap it. A refused entry is charged to the file it stands for (its
 * file folder, or the file a top entry would have been), so that the file is
 * found faulty rather than missing. Runs on the thread that calls
 * qr_delivery_open.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delivery_int.h"

static char *join(const char *a, const char *b)
{
    qr_buf buf = {0};
    if (a && *a)
        qr_buf_printf(&buf, "%s/%s", a, b);
    else
        qr_buf_printf(&buf, "%s", b);
    return (char *)buf.data;
}

static bool inside_root(const char *root, const char *real)
{
    size_t n = strlen(root);
    return strncmp(real, root, n) == 0 && real[n] == '/';
}

/* lstat, then resolve a symlink only if it stays inside the delivery. On
 * refusal an issue is recorded and false returned. */
static bool classify(qr_delivery *d, const char *file_id, const char *disp, char **abs,
                     struct stat *st)
{
    if (lstat(*abs, st) != 0) {
        qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, disp, "cannot stat: %s", strerror(errno));
        return false;
    }
    if (S_ISLNK(st->st_mode)) {
        char real[PATH_MAX];
        if (!realpath(*abs, real)) {
            qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, disp,
                              "symlink cannot be resolved (%s); not followed", strerror(errno));
            return false;
        }
        if (!inside_root(d->root, real)) {
            qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, disp,
                              "symlink leads outside the delivery (to %s); not followed", real);
            return false;
        }
        char *r = qr_strdup(real);
        if (!r || stat(r, st) != 0) {
            free(r);
            return false;
        }
        free(*abs);
        *abs = r;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, disp,
                          "not a regular file or directory; not read");
        return false;
    }
    return true;
}

static int entry_cmp(const void *a, const void *b)
{
    return qr_delivery_namecmp(((const qr_dv_entry *)a)->name, ((const qr_dv_entry *)b)->name);
}

/* Append one entry; returns false (and frees abs) when it is skipped. */
static bool list_one(qr_delivery *d, const char *abs_dir, const char *rel, const char *file_id,
                     const char *name, qr_dv_entry *e)
{
    if (qr_delivery_is_junk(name))
        return false;
    char *disp = join(rel, name);
    char *abs = join(abs_dir, name);
    struct stat st;
    bool ok = disp && abs && qr_delivery_name_ok(d, file_id, disp, name) &&
              classify(d, file_id, disp, &abs, &st);
    free(disp);
    if (!ok) {
        free(abs);
        return false;
    }
    e->name = qr_strdup(name);
    e->abs = abs;
    e->type = S_ISDIR(st.st_mode) ? QR_DV_DIR : QR_DV_FILE;
    e->size = (uint64_t)st.st_size;
    e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    return true;
}

int qr_delivery_list_dir(qr_delivery *d, const char *abs_dir, const char *rel, const char *file_id,
                         qr_dv_entry **out, size_t *n, qr_err *err)
{
    *out = NULL;
    *n = 0;
    DIR *dir = opendir(abs_dir);
    if (!dir)
        return qr_err_set(err, QR_EIO, "%s: cannot open directory: %s", abs_dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    int rc = QR_OK;
    while (rc == QR_OK && (de = readdir(dir)) != NULL) {
        if (qr_grow(out, &cap, *n + 1, sizeof **out) != QR_OK) {
            rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", abs_dir);
            break;
        }
        if (list_one(d, abs_dir, rel, file_id, de->d_name, &(*out)[*n]))
            (*n)++;
    }
    closedir(dir);
    if (*n)
        qsort(*out, *n, sizeof **out, entry_cmp);
    return rc;
}

void qr_delivery_entries_free(qr_dv_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].abs);
    }
    free(e);
}

static void fill_source(qr_delivery_source *s, const qr_dv_entry *e, char *disp, bool container)
{
    memset(s, 0, sizeof *s);
    s->name = disp;
    s->abs_path = e->abs;
    s->size = e->size;
    s->mtime_ns = e->mtime_ns;
    s->container = container;
}

/* A refused entry at the top of the delivery (a file folder that is a
 * symlink leading outside, a FIFO named like a file, a name that is not
 * UTF-8) would otherwise vanish: the file it stands for would stay "not
 * delivered" with the refusal only on stderr. The layout names the file such
 * an entry stands for (id_of returns a new string, or NULL when the entry
 * stands for no file), and each refused issue recorded since `from` without
 * a file gets it. Paths at the top are entry names, escaped. */
static int claim_top(qr_delivery *d, size_t from, char *(*id_of)(const char *name, bool *oom))
{
    for (size_t i = from; i < d->n_issues; i++) {
        qr_delivery_issue *is = &d->issues[i];
        if (is->kind != QR_DELIVERY_REFUSED || is->file_id || !is->path || strchr(is->path, '/'))
            continue;
        bool oom = false;
        is->file_id = id_of(is->path, &oom);
        if (oom)
            return QR_ENOMEM;
    }
    return QR_OK;
}

/* ---- folders ----------------------------------------------------------- */

/* Every top entry but a loose page image stands for a file folder. */
static char *folder_id_of(const char *name, bool *oom)
{
    if (qr_delivery_is_page_image(name))
        return NULL;
    char *id = qr_strdup(name);
    *oom = !id;
    return id;
}

static int folder_page(qr_delivery *d, const char *file_id, const qr_dv_entry *e)
{
    char *disp = join(file_id, e->name);
    if (!disp)
        return QR_ENOMEM;
    int rc = QR_OK;
    if (e->type == QR_DV_DIR)
        rc = qr_delivery_note(d, QR_DELIVERY_IGNORED, file_id, disp,
                               "subdirectory inside a file folder, ignored");
    else if (!qr_delivery_is_page_image(e->name))
        rc = qr_delivery_note(d, QR_DELIVERY_IGNORED, file_id, disp, "not a page image, ignored");
    else {
        qr_delivery_source s;
        fill_source(&s, e, disp, false);
        rc = qr_delivery_add(d, file_id, &s);
    }
    free(disp);
    return rc;
}

static int folder_file(qr_delivery *d, const qr_dv_entry *e, qr_err *err)
{
    qr_dv_entry *pages = NULL;
    size_t n = 0;
    qr_err sub = {0};
    if (qr_delivery_list_dir(d, e->abs, e->name, e->name, &pages, &n, &sub) != QR_OK) {
        qr_delivery_entries_free(pages, n);
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, e->name, e->name, "%s", sub.msg);
    }
    int rc = qr_delivery_add(d, e->name, NULL);
    for (size_t i = 0; rc == QR_OK && i < n; i++)
        rc = folder_page(d, e->name, &pages[i]);
    qr_delivery_entries_free(pages, n);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "%s/%s: out of memory", d->root, e->name);
    return QR_OK;
}

static int folders_enumerate(qr_delivery *d, qr_err *err)
{
    qr_dv_entry *ents = NULL;
    size_t n = 0, from = d->n_issues;
    int rc = qr_delivery_list_dir(d, d->root, "", NULL, &ents, &n, err);
    if (rc == QR_OK && claim_top(d, from, folder_id_of) != QR_OK)
        rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    for (size_t i = 0; rc == QR_OK && i < n; i++) {
        if (ents[i].type == QR_DV_DIR)
            rc = folder_file(d, &ents[i], err);
        else
            qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, ents[i].name,
                              "not inside a file folder, ignored");
    }
    qr_delivery_entries_free(ents, n);
    return rc;
}

/* Does any visible entry of dir satisfy match? Stops at the first. Shared by
 * the layouts' detect functions. */
static bool any_entry(const char *dir, bool (*match)(const char *dir, const char *name))
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = !qr_delivery_is_junk(de->d_name) && match(dir, de->d_name);
    closedir(d);
    return found;
}

static bool is_page_entry(const char *dir, const char *name)
{
    (void)dir;
    return qr_delivery_is_page_image(name);
}

static bool subdir_has_page(const char *root, const char *name)
{
    char *sub = join(root, name);
    bool found = sub && any_entry(sub, is_page_entry);
    free(sub);
    return found;
}

/* Does any visible subdirectory hold a page image? */
static bool folders_detect(const char *root)
{
    return any_entry(root, subdir_has_page);
}

const qr_delivery_layout qr_delivery_folders = {
    .name = "folders",
    .detect = folders_detect,
    .enumerate = folders_enumerate,
    .read_source = qr_delivery_read_plain,
};

/* ---- multipage ----------------------------------------------------------- */

static bool is_tiff_name(const char *name)
{
    return qr_delivery_has_ext(name, "tif") || qr_delivery_has_ext(name, "tiff");
}

static char *stem(const char *name)
{
    char *s = qr_strdup(name);
    if (s)
        *strrchr(s, '.') = '\0';
    return s;
}

/* Same stem as an earlier entry (x.tif next to x.tiff)? Entries are sorted
 * in natural order, so a twin sits within a few places before this one; a
 * short look back keeps the scan linear in the size of the delivery. */
static bool stem_taken(const qr_dv_entry *ents, size_t i, const char *id)
{
    size_t len = strlen(id);
    for (size_t k = i, seen = 0; k-- > 0 && seen < 16; seen++) {
        const char *nm = ents[k].name;
        if (ents[k].type == QR_DV_FILE && is_tiff_name(nm) && strncmp(nm, id, len) == 0 &&
            nm[len] == '.' && strchr(nm + len + 1, '.') == NULL)
            return true;
    }
    return false;
}

static int multipage_one(qr_delivery *d, const qr_dv_entry *ents, size_t i)
{
    const qr_dv_entry *e = &ents[i];
    if (e->type == QR_DV_DIR)
        return qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, e->name,
                                 "directory in a multipage delivery, ignored");
    if (!is_tiff_name(e->name))
        return qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, e->name,
                                 "not a multi-page TIFF, ignored");
    char *id = stem(e->name);
    if (!id)
        return QR_ENOMEM;
    int rc;
    if (stem_taken(ents, i, id)) {
        rc = qr_delivery_note(d, QR_DELIVERY_REFUSED, id, e->name,
                               "a second TIFF for file '%s'", id);
    } else {
        qr_delivery_source s;
        fill_source(&s, e, e->name, true);
        rc = qr_delivery_add(d, id, &s);
    }
    free(id);
    return rc;
}

/* A top entry named like a TIFF stands for the file of its stem. */
static char *multipage_id_of(const char *name, bool *oom)
{
    if (!is_tiff_name(name))
        return NULL;
    char *id = stem(name);
    *oom = !id;
    return id;
}

static int multipage_enumerate(qr_delivery *d, qr_err *err)
{
    qr_dv_entry *ents = NULL;
    size_t n = 0, from = d->n_issues;
    int rc = qr_delivery_list_dir(d, d->root, "", NULL, &ents, &n, err);
    if (rc == QR_OK && claim_top(d, from, multipage_id_of) != QR_OK)
        rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    for (size_t i = 0; rc == QR_OK && i < n; i++)
        if (multipage_one(d, ents, i) != QR_OK)
            rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    qr_delivery_entries_free(ents, n);
    return rc;
}

static bool is_tiff_file(const char *root, const char *name)
{
    if (!is_tiff_name(name))
        return false;
    char *p = join(root, name);
    struct stat st;
    bool found = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return found;
}

/* Does the root hold a TIFF file directly? */
static bool multipage_detect(const char *root)
{
    return any_entry(root, is_tiff_file);
}

const qr_delivery_layout qr_delivery_multipage = {
    .name = "multipage",
    .detect = multipage_detect,
    .enumerate = multipage_enumerate,
    .read_source = qr_delivery_read_plain,
};
