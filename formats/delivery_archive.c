/*
 * delivery_archive.c: the "zip" and "tar" layouts — one archive per box,
 * members <file_id>/<page image> — read with libarchive.
 *
 * Enumeration reads member headers and skips over the data (so a member cut
 * short is found then, not when its page is decoded). Members are never
 * extracted to disk and never addressed by path: read_source streams the
 * member's bytes into memory, so a hostile name cannot write anywhere; a
 * member whose header declares more than the cap is refused unread. Names
 * are refused when they are absolute, contain "..", are not UTF-8, or are
 * links; each refusal is charged to the file the name gives ("F-1/..."), so
 * that file cannot be archived without the member. A box libarchive finds
 * damaged is refused from the damage on (below). A file may span archives
 * (its pages are merged and sorted like any other).
 *
 * read_source keeps one open archive as a cursor in the delivery: reading a
 * box's members in archive order is one sequential pass; asking for an earlier
 * member reopens the archive. Ingest thread only.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "delivery_int.h"

typedef struct arc_cursor {
    struct archive *a;
    char *path;
    uint64_t next_index;
} arc_cursor;

/* libarchive gives member names in the calling thread's locale. quire runs
 * in the C locale, where a UTF-8 name (an umlaut in a file id) cannot be
 * converted: libarchive warns, and a zip member then has no name at all.
 * While it reads, the thread uses C.UTF-8, so names arrive as the UTF-8
 * they are and a warning on a header means a damaged header. Without
 * C.UTF-8 on the machine, the thread keeps its locale. */
typedef struct utf8_scope {
    locale_t utf8, prev;
} utf8_scope;

static void utf8_enter(utf8_scope *u)
{
    u->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    u->prev = u->utf8 ? uselocale(u->utf8) : (locale_t)0;
}

static void utf8_leave(utf8_scope *u)
{
    if (u->utf8) {
        uselocale(u->prev);
        freelocale(u->utf8);
    }
}

/* A new reader on path; the result of opening it (ARCHIVE_OK or libarchive's
 * error, whose message *out still holds: the caller frees *out). */
static int arc_open(const char *path, bool zip, struct archive **out)
{
    struct archive *a = archive_read_new();
    *out = a;
    if (!a)
        return ARCHIVE_FATAL;
    if (zip)
        archive_read_support_format_zip(a);
    else
        archive_read_support_format_tar(a);
    return archive_read_open_filename(a, path, 1 << 16);
}

/* libarchive's own message; some failures (a zip read without its central
 * directory that simply ends) set none. */
static const char *arc_reason(struct archive *a, const char *none)
{
    const char *msg = archive_error_string(a);
    return msg && *msg ? msg : none;
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

/* The file a member path names: its first component ("F-1" of
 * "F-1/0003.tif", also behind "./" or "/"), escaped like every file id of an
 * issue; NULL when the path names none (no folder, "..", hidden, __MACOSX).
 * A refused member is charged to this file, so the file cannot pass without
 * it. */
static char *member_file_id(const char *name)
{
    while (*name == '/' || strncmp(name, "./", 2) == 0)
        name += *name == '/' ? 1 : 2;
    const char *slash = strchr(name, '/');
    if (!slash || slash == name)
        return NULL;
    char *id = qr_strdup(name);
    if (!id)
        return NULL;
    id[slash - name] = '\0';
    char *esc = NULL;
    if (!qr_delivery_is_junk(id) && strcmp(id, "__MACOSX") != 0)
        esc = qr_delivery_escape(id);
    free(id);
    return esc;
}

/* Junk inside a box (__MACOSX/, ._0001.tif, Thumbs.db) is skipped silently,
 * as the directory lister skips it on disk. */
static bool member_is_junk(const char *rel)
{
    const char *slash = strchr(rel, '/');
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (qr_delivery_is_junk(base) || qr_delivery_is_junk(rel))
        return true;
    return slash && slash - rel == 8 && strncmp(rel, "__MACOSX", 8) == 0;
}

static int member_link_or_type(qr_delivery *d, const char *id, const char *disp,
                               struct archive_entry *e)
{
    if (archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, id, disp, "link member; not followed");
    return qr_delivery_note(d, QR_DELIVERY_REFUSED, id, disp, "not a regular file member");
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
    if (!qr_delivery_is_page_image(page))
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

/* One member read whole (header and data): refused, skipped, ignored or
 * added. id is the file its path names (NULL: none). */
static int member(qr_delivery *d, const qr_dv_entry *arc, struct archive_entry *e,
                  uint64_t index, const char *id)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, arc->name,
                                "member %llu has no name", (unsigned long long)index + 1);
    qr_buf disp = {0};
    if (qr_buf_printf(&disp, "%s:%s", arc->name, name) != QR_OK)
        return QR_ENOMEM;
    const char *dn = (const char *)disp.data;
    bool bad = false;
    const char *rel = member_safe(name, &bad);
    int rc = QR_OK;
    if (bad)
        rc = qr_delivery_note(d, QR_DELIVERY_REFUSED, id, dn,
                              "member path escapes the delivery (absolute or '..'); refused");
    else if (member_is_junk(rel))
        rc = QR_OK;
    else if (!qr_delivery_name_ok(d, id, dn, name))
        rc = QR_OK;
    else if (archive_entry_filetype(e) == AE_IFDIR)
        rc = QR_OK;
    else if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
        rc = member_link_or_type(d, id, dn, e);
    else
        rc = member_add(d, arc->abs, dn, rel, e, index);
    qr_buf_free(&disp);
    return rc;
}

/* ---- enumerating one archive ---------------------------------------------
 * A damaged box (a header libarchive cannot read, a member cut short, a zip
 * whose central directory is broken or missing, a tar that ends without its
 * end-of-archive blocks) is one refused issue flagged damaged: "BOX-1.tar:
 * damaged after member F-1/0002.tif: <libarchive's message>", naming the
 * last member read whole so the operator knows where the damage starts. It
 * is charged to the file of the member being read (or, between members, of
 * the last one read whole), and nothing after the damage is read: a member
 * cut short is no source. A header read with a warning refuses only its
 * member, the same way, and the box goes on. */

typedef struct arc_scan {
    const qr_dv_entry *arc;
    struct archive *a;
    bool zip;
    uint64_t index;      /* members whose header was read */
    char *last_whole;    /* the last member read whole (escaped); NULL: none */
    char *last_id;       /* the file it belongs to; NULL: none */
    int64_t data_end;    /* bytes consumed when it was read */
} arc_scan;

static int note_damage(qr_delivery *d, const arc_scan *sc, const char *id, const char *reason)
{
    int rc = sc->last_whole
                 ? qr_delivery_note(d, QR_DELIVERY_REFUSED, id, sc->arc->name,
                                    "damaged after member %s: %s", sc->last_whole, reason)
                 : qr_delivery_note(d, QR_DELIVERY_REFUSED, id, sc->arc->name,
                                    "damaged before its first member: %s", reason);
    if (rc == QR_OK)
        d->issues[d->n_issues - 1].damaged = true;
    return rc;
}

/* A header that failed: libarchive's reason, or, when it gives none and the
 * whole file was consumed, that the box simply ends there. */
static int header_damage(qr_delivery *d, const arc_scan *sc)
{
    const char *why = archive_filter_bytes(sc->a, 0) >= (int64_t)sc->arc->size
                          ? "the archive ends here: it was cut short"
                          : "libarchive gives no reason";
    return note_damage(d, sc, sc->last_id, arc_reason(sc->a, why));
}

static int set_last_whole(arc_scan *sc, const char *name, const char *id)
{
    free(sc->last_whole);
    free(sc->last_id);
    sc->last_whole = qr_delivery_escape(name ? name : "(no name)");
    sc->last_id = id ? qr_strdup(id) : NULL;
    sc->data_end = archive_filter_bytes(sc->a, 0);
    return sc->last_whole && (!id || sc->last_id) ? QR_OK : QR_ENOMEM;
}

/* A member whose header libarchive read with a warning (a pax name that is
 * not the UTF-8 it claims, a malformed attribute): the box goes on, but the
 * member is refused as damaged, charged to its file. */
static int note_warned(qr_delivery *d, const arc_scan *sc, const char *warning, const char *name,
                       uint64_t index, const char *id)
{
    char *shown = qr_delivery_escape(name ? name : "(no name)");
    if (!shown)
        return QR_ENOMEM;
    char reason[700];
    snprintf(reason, sizeof reason, "%s (member %llu, %s, refused)", warning,
             (unsigned long long)index + 1, shown);
    free(shown);
    return note_damage(d, sc, id, reason);
}

/* The member whose header was just read (hdr: ARCHIVE_OK or ARCHIVE_WARN);
 * *stop when the box is damaged here beyond reading on. */
static int scan_member(qr_delivery *d, arc_scan *sc, struct archive_entry *e, int hdr,
                       bool *stop)
{
    const char *name = archive_entry_pathname(e);
    char *id = name ? member_file_id(name) : NULL;
    uint64_t index = sc->index++;
    char warning[300] = "";
    if (hdr == ARCHIVE_WARN) /* kept before the data skip can replace it */
        snprintf(warning, sizeof warning, "%s", arc_reason(sc->a, "a header read with a warning"));
    int rc;
    if (archive_read_data_skip(sc->a) < ARCHIVE_WARN) {
        *stop = true; /* cut inside the member */
        rc = note_damage(d, sc, id, arc_reason(sc->a, "a member's data is cut short"));
    } else {
        rc = hdr == ARCHIVE_WARN ? note_warned(d, sc, warning, name, index, id)
                                 : member(d, sc->arc, e, index, id);
        if (rc == QR_OK)
            rc = set_last_whole(sc, name, id);
    }
    free(id);
    return rc;
}

/* End of the members. libarchive takes a tar that stops at a member
 * boundary for a complete one: a complete tar ends in zero blocks, which
 * libarchive consumes at its end, so no byte consumed after the last member
 * means the box was cut there. */
static int scan_end(qr_delivery *d, const arc_scan *sc)
{
    if (sc->zip || archive_filter_bytes(sc->a, 0) > sc->data_end)
        return QR_OK;
    return note_damage(d, sc, sc->last_id,
                       "the archive ends without its end-of-archive blocks: it was cut short");
}

/* A box libarchive cannot open: unreadable when the system refused it
 * (access, I/O), which says nothing of its bytes; else damaged (no archive
 * of its kind: libarchive's "Unrecognized archive format"). Either way no
 * file is named. */
static int open_failure(qr_delivery *d, const arc_scan *sc)
{
    int no = archive_errno(sc->a);
    if (no == EACCES || no == EPERM || no == EIO || no == ENOENT)
        return qr_delivery_note(d, QR_DELIVERY_REFUSED, NULL, sc->arc->name, "cannot be read: %s",
                                arc_reason(sc->a, strerror(no)));
    return note_damage(d, sc, NULL, arc_reason(sc->a, "not an archive libarchive can read"));
}

static int scan_archive(qr_delivery *d, const qr_dv_entry *ent, bool zip)
{
    arc_scan sc = {.arc = ent, .zip = zip};
    int r = arc_open(ent->abs, zip, &sc.a);
    if (!sc.a)
        return QR_ENOMEM;
    int rc = QR_OK;
    if (r != ARCHIVE_OK)
        rc = open_failure(d, &sc);
    for (bool stop = r != ARCHIVE_OK; rc == QR_OK && !stop;) {
        struct archive_entry *e = NULL;
        r = archive_read_next_header(sc.a, &e);
        stop = r != ARCHIVE_OK && r != ARCHIVE_WARN;
        if (r == ARCHIVE_EOF)
            rc = scan_end(d, &sc);
        else if (stop)
            rc = header_damage(d, &sc);
        else
            rc = scan_member(d, &sc, e, r, &stop);
    }
    archive_read_free(sc.a);
    free(sc.last_whole);
    free(sc.last_id);
    return rc;
}

static int arc_enumerate(qr_delivery *d, qr_err *err, bool zip)
{
    qr_dv_entry *ents = NULL;
    size_t n = 0;
    int rc = qr_delivery_list_dir(d, d->root, "", NULL, &ents, &n, err);
    utf8_scope u;
    utf8_enter(&u);
    for (size_t i = 0; rc == QR_OK && i < n; i++) {
        if (ents[i].type == QR_DV_FILE && qr_delivery_has_ext(ents[i].name, zip ? "zip" : "tar")) {
            if (scan_archive(d, &ents[i], zip) != QR_OK)
                rc = qr_err_set(err, QR_ENOMEM, "%s: out of memory", ents[i].abs);
        } else {
            qr_delivery_note(d, QR_DELIVERY_IGNORED, NULL, ents[i].name,
                              "not a .%s archive, ignored", zip ? "zip" : "tar");
        }
    }
    utf8_leave(&u);
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

/* Position the cursor on member s (reopening when needed); returns its entry.
 * A cursor that has read members' data may stand elsewhere than enumeration,
 * which only skipped: in a damaged box (a stored zip member whose sizes
 * disagree) libarchive skips one length and reads another, and the next
 * header is then not the one enumeration found. So a cursor that misses the
 * member is dropped and the box read again from its start, skipping like
 * enumeration; only a fresh miss means the archive changed. */
static int cursor_seek(qr_delivery *d, const qr_delivery_source *s, struct archive_entry **e,
                       qr_err *err)
{
    qr_dv_priv *p = d->priv;
    arc_cursor *cur = p->cursor;
    if (cur && (strcmp(cur->path, s->abs_path) != 0 || s->index < cur->next_index || !cur->a)) {
        cursor_free(cur);
        cur = p->cursor = NULL;
    }
    bool fresh = !cur;
    if (!cur) {
        cur = calloc(1, sizeof *cur);
        if (!cur || !(cur->path = qr_strdup(s->abs_path))) {
            free(cur);
            return qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
        }
        p->cursor = cur;
        p->cursor_free = cursor_free;
        int r = arc_open(s->abs_path, d->layout == &qr_delivery_zip, &cur->a);
        if (!cur->a)
            return qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
        if (r != ARCHIVE_OK)
            return qr_err_set(err, QR_ECORRUPT, "%s: cannot open the archive: %s", s->name,
                              arc_reason(cur->a, "libarchive gives no reason"));
    }
    int r = ARCHIVE_OK;
    while (cur->next_index <= s->index) {
        r = archive_read_next_header(cur->a, e);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            break;
        cur->next_index++;
    }
    const char *nm = cur->next_index > s->index ? archive_entry_pathname(*e) : NULL;
    if (nm && strcmp(nm, s->member) == 0)
        return QR_OK;
    if (!fresh) {
        cursor_free(cur);
        p->cursor = NULL;
        return cursor_seek(d, s, e, err);
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN && r != ARCHIVE_EOF)
        return qr_err_set(err, QR_ECORRUPT, "%s: %s", s->name,
                          arc_reason(cur->a, "unreadable member header"));
    return qr_err_set(err, QR_EIO, "%s: archive changed since it was enumerated", s->name);
}

/* A member whose header declares more than the cap is refused before any
 * of it is inflated (a zip member of 1.5 GiB of zeros is a few MB); one
 * within the cap gets a buffer of its declared size at once, so reading it
 * never doubles a buffer past the cap. Data beyond what was declared (a
 * header that lies) still stops at the cap. */
static int check_declared(struct archive_entry *e, const qr_delivery_source *s, size_t max_bytes,
                          qr_buf *b, qr_err *err)
{
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
        return QR_OK;
    uint64_t declared = (uint64_t)archive_entry_size(e);
    if (max_bytes && declared > max_bytes)
        return qr_err_set(err, QR_ELIMIT, "%s: member of %llu bytes, above the cap of %zu bytes",
                          s->name, (unsigned long long)declared, max_bytes);
    if (declared < SIZE_MAX && qr_buf_reserve(b, (size_t)declared + 1) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
    return QR_OK;
}

/* The data of the member the cursor is on (entry e), into a new buffer. */
static int cursor_read(arc_cursor *cur, struct archive_entry *e, const qr_delivery_source *s,
                       size_t max_bytes, uint8_t **data, size_t *len, qr_err *err)
{
    qr_buf b = {0};
    char chunk[65536];
    la_ssize_t n;
    int rc = check_declared(e, s, max_bytes, &b, err);
    if (rc != QR_OK)
        return rc;
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
        return qr_err_set(err, QR_ECORRUPT, "%s: %s", s->name,
                          arc_reason(cur->a, "unreadable member data"));
    }
    *data = b.data ? b.data : calloc(1, 1);
    *len = b.len;
    return *data ? QR_OK : qr_err_set(err, QR_ENOMEM, "%s: out of memory", s->name);
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
    utf8_scope u;
    utf8_enter(&u);
    int rc = cursor_seek(d, s, &e, err);
    if (rc == QR_OK)
        rc = cursor_read(p->cursor, e, s, max_bytes, data, len, err);
    if (rc != QR_OK && p->cursor) {
        /* start afresh next time: after a failed read libarchive may stand
         * anywhere, and its next member could come with another's bytes */
        cursor_free(p->cursor);
        p->cursor = NULL;
    }
    utf8_leave(&u);
    return rc;
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
