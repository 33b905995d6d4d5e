/*
 * delivery_archive.c: the "zip" and "tar" layouts — one archive per box,
 * members <file_id>/<page image> — read with libarchive.
 *
 * Enumeration reads only member headers. Members are never extracted to disk
 * and never addressed by path: read_source streams the member's bytes into
 * memory, so a hostile name cannot write anywhere. Names are refused when they
 * are absolute, contain "..", are not UTF-8, or are links. A file may span
 * archives (its pages are merged and sorted like any other).
 *
 * read_source keeps one open archive as a cursor in the delivery: reading a
 * box's members in archive order is one sequential pass; asking for an earlier
 * member reopens the archive. Ingest thread only.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "delivery_int.h"

typedef struct arc_cursor {
    struct archive *a;
    char *path;
    uint64_t next_index;
} arc_cursor;

static struct archive *arc_open(const char *path, bool zip)
{
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    if (zip)
        archive_read_support_format_zip(a);
    else
        archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Refuse absolute names and ".." anywhere; strip a leading "./". */
static const char *member_safe(const char *name, bool *bad)
{
    *bad = name[0] == '/' || name[0] == '\\';
    for (const char *p = name; !*bad && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
        *bad = strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0');
    while (strncmp(name, "./", 2) == 0)
        name += 2;
    return name;
}

static int member_link_or_type(qr_delivery *d, const char *disp, struct archive_entry *e)
{
    if (archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, disp, "link member; not followed");
    return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, disp, "not a regular file member");
}

/* Split "id/page" and add it; other shapes are ignored with a note. */
static int member_add(qr_delivery *d, const char *arc_abs, const char *disp, const char *rel,
                      struct archive_entry *e, uint64_t index)
{
    const char *slash = strchr(rel, '/');
    if (!slash)
        return qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, disp, "not inside a file folder, ignored");
    if (strchr(slash + 1, '/') || slash == rel)
        return qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, disp, "nested member, ignored");
    char *id = qr_strdup(rel);
    if (!id)
        return QR_ENOMEM;
    id[slash - rel] = '\0';
    const char *page = slash + 1;
    int rc;
    if (qr_delivery_is_junk(id) || strcmp(id, "__MACOSX") == 0 || qr_delivery_is_junk(page))
        rc = QR_OK;
    else if (!qr_delivery_is_page_image(page))
        rc = qr_delivery_note(d, QR_DELIVERY_IGNORED, id, disp, "not a page image, ignored");
    else {
        qr_delivery_source s = {.name = (char *)disp, .abs_path = (char *)arc_abs,
                                .member = (char *)archive_entry_pathname(e), .index = index,
                                .size = (uint64_t)archive_entry_size(e)};
        s.mtime_ns = (int64_t)archive_entry_mtime(e) * 1000000000LL + archive_entry_mtime_nsec(e);
        rc = qr_delivery_add(d, id, &s);
    }
    free(id);
    return rc;
}

static int member(qr_delivery *d, const char *arc_name, const char *arc_abs,
                  struct archive_entry *e, uint64_t index)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, arc_name, "member without a name");
    qr_buf disp = {0};
    if (qr_buf_printf(&disp, "%s:%s", arc_name, name) != QR_OK)
        return QR_ENOMEM;
    const char *dn = (const char *)disp.data;
    bool bad = false;
    const char *rel = member_safe(name, &bad);
    int rc = QR_OK;
    if (!qr_delivery_name_ok(d, NULL, dn, name))
        rc = QR_OK;
    else if (bad)
        rc = qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, dn,
                               "member path escapes the delivery (absolute or '..'); refused");
    else if (archive_entry_filetype(e) == AE_IFDIR)
        rc = QR_OK;
    else if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
        rc = member_link_or_type(d, dn, e);
    else
        rc = member_add(d, arc_abs, dn, rel, e, index);
    qr_buf_free(&disp);
    return rc;
}

static int scan_archive(qr_delivery *d, const qr_dv_entry *ent, bool zip)
{
    struct archive *a = arc_open(ent->abs, zip);
    if (!a)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, ent->name, "cannot open archive");
    struct archive_entry *e;
    uint64_t index = 0;
    int r, rc = QR_OK;
    while (rc == QR_OK && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        if (r < ARCHIVE_WARN) {
            rc = qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, ent->name,
                                   "damaged archive after %llu members: %s",
                                   (unsigned long long)index, archive_error_string(a));
            break;
        }
        rc = member(d, ent->name, ent->abs, e, index++);
        archive_read_data_skip(a);
    }
    archive_read_free(a);
    return rc;
}

static int arc_enumerate(qr_delivery *d, qr_err *err, bool zip)
{
    qr_dv_entry *ents = NULL;
    size_t n = 0;
    int rc = qr_delivery_list_dir(d, d->root, "", NULL, &ents, &n, err);
    for (size_t i = 0; rc == QR_OK && i < n; i++) {
        if (ents[i].type == QR_DV_FILE && qr_delivery_has_ext(ents[i].name, zip ? "zip" : "tar")) {
            if (scan_archive(d, &ents[i], zip) != QR_OK)
                rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", ents[i].abs);
        } else {
            qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, ents[i].name,
                              "not a .%s archive, ignored", zip ? "zip" : "tar");
        }
    }
    qr_delivery_entries_free(ents, n);
    return rc;
}

static int zip_enumerate(qr_delivery *d, qr_err *err) { return arc_enumerate(d, err, true); }
static int tar_enumerate(qr_delivery *d, qr_err *err) { return arc_enumerate(d, err, false); }

static bool has_ext_entry(const char *root, const char *ext)
{
    qr_delivery probe = {0};
    qr_dv_priv p = {0};
    probe.root = (char *)root;
    probe.priv = &p;
    qr_dv_entry *ents = NULL;
    size_t n = 0;
    qr_err err = {0};
    bool found = false;
    if (qr_delivery_list_dir(&probe, root, "", NULL, &ents, &n, &err) == QR_OK)
        for (size_t i = 0; !found && i < n; i++)
            found = ents[i].type == QR_DV_FILE && qr_delivery_has_ext(ents[i].name, ext);
    qr_delivery_entries_free(ents, n);
    for (size_t i = 0; i < probe.n_issues; i++) {
        free(probe.issues[i].file_id);
        free(probe.issues[i].path);
        free(probe.issues[i].msg);
    }
    free(probe.issues);
    return found;
}

static bool zip_detect(const char *root) { return has_ext_entry(root, "zip"); }
static bool tar_detect(const char *root) { return has_ext_entry(root, "tar"); }

/* ---- reading a member -------------------------------------------------- */

static void cursor_free(void *c)
{
    arc_cursor *cur = c;
    if (cur->a)
        archive_read_free(cur->a);
    free(cur->path);
    free(cur);
}

/* Position the cursor on member s (reopening when needed); returns its entry. */
static int cursor_seek(qr_delivery *d, const qr_delivery_source *s, struct archive_entry **e,
                       qr_err *err)
{
    qr_dv_priv *p = d->priv;
    arc_cursor *cur = p->cursor;
    if (cur && (strcmp(cur->path, s->abs_path) != 0 || s->index < cur->next_index || !cur->a)) {
        cursor_free(cur);
        cur = p->cursor = NULL;
    }
    if (!cur) {
        cur = calloc(1, sizeof *cur);
        if (!cur || !(cur->path = qr_strdup(s->abs_path))) {
            free(cur);
            return qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
        }
        p->cursor = cur;
        p->cursor_free = cursor_free;
        cur->a = arc_open(s->abs_path, d->layout == &qr_delivery_zip);
        if (!cur->a)
            return qr_err_set(err, QR_EIO, "%s: cannot open archive", s->abs_path);
    }
    while (cur->next_index <= s->index) {
        if (archive_read_next_header(cur->a, e) < ARCHIVE_WARN)
            return qr_err_set(err, QR_ECORRUPT, "%s: %s", s->name, archive_error_string(cur->a));
        cur->next_index++;
    }
    const char *nm = archive_entry_pathname(*e);
    if (!nm || strcmp(nm, s->member) != 0)
        return qr_err_set(err, QR_EIO, "%s: archive changed since it was enumerated", s->name);
    return QR_OK;
}

static int arc_read_source(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                           uint8_t **data, size_t *len, qr_err *err)
{
    *data = NULL;
    *len = 0;
    if (!s->member)
        return qr_delivery_read_plain(d, s, max_bytes, data, len, err);
    struct archive_entry *e = NULL;
    qr_dv_priv *p = d->priv;
    int rc = cursor_seek(d, s, &e, err);
    if (rc != QR_OK) {
        if (p->cursor)
            cursor_free(p->cursor);
        p->cursor = NULL; /* start afresh next time */
        return rc;
    }
    arc_cursor *cur = p->cursor;
    qr_buf b = {0};
    char chunk[65536];
    la_ssize_t n;
    while ((n = archive_read_data(cur->a, chunk, sizeof chunk)) > 0) {
        if (max_bytes && b.len + (size_t)n > max_bytes) {
            qr_buf_free(&b);
            return qr_err_set(err, QR_ELIMIT, "%s: member larger than the cap of %zu bytes", s->name,
                              max_bytes);
        }
        if (qr_buf_append(&b, chunk, (size_t)n) != QR_OK) {
            qr_buf_free(&b);
            return qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
        }
    }
    if (n < 0) {
        qr_buf_free(&b);
        return qr_err_set(err, QR_ECORRUPT, "%s: %s", s->name, archive_error_string(cur->a));
    }
    *data = b.data ? b.data : calloc(1, 1);
    *len = b.len;
    return *data ? QR_OK : qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
}

const qr_delivery_layout qr_delivery_zip = {
    .name = "zip",
    .detect = zip_detect,
    .enumerate = zip_enumerate,
    .read_source = arc_read_source,
};

const qr_delivery_layout qr_delivery_tar = {
    .name = "tar",
    .detect = tar_detect,
    .enumerate = tar_enumerate,
    .read_source = arc_read_source,
};
