/*
 * delivery.c: the core of qr_delivery — the builder that turns a layout's
 * (file id, source) pairs into the sorted, grouped and fingerprinted file
 * list, issue records and name checks. The layouts call it; it never calls
 * them by name (delivery_open.c holds the layout table and detection, so
 * that no two files of the module call each other).
 *
 * The builder is where refusals reach the file list: a page given twice
 * is refused here (the first copy kept), every file a refused issue
 * names becomes a file even without sources, and a file's refusals are part
 * of its fingerprint (see qr_delivery.h for why).
 *
 * Runs on whichever thread calls qr_delivery_open (the ingest thread); no
 * globals besides the constant layout table. Layouts may add pairs in any
 * order: the result depends only on the tree, never on readdir order.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delivery_int.h"


int qr_delivery_namecmp(const char *a, const char *b)
{
    int c = qr_natcmp(a, b);
    return c ? c : strcmp(a, b);
}

/* ---- names ------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s, 0 if invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

char *qr_delivery_escape(const char *raw)
{
    qr_buf b = {0};
    const unsigned char *s = (const unsigned char *)raw;
    while (*s) {
        size_t n = utf8_seq(s);
        int rc = (n == 0 || *s < 0x20 || *s == 0x7f) ? qr_buf_printf(&b, "\\x%02X", *s)
                                                    : qr_buf_append(&b, s, n);
        if (rc != QR_OK) {
            qr_buf_free(&b);
            return NULL;
        }
        s += n ? n : 1;
    }
    if (qr_buf_append(&b, "", 1) != QR_OK) {
        qr_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

bool qr_delivery_name_ok(qr_delivery *d, const char *file_id, const char *path, const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    while (*s) {
        size_t n = utf8_seq(s);
        if (n == 0) {
            qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, path, "name is not valid UTF-8");
            return false;
        }
        if (*s < 0x20 || *s == 0x7f) {
            qr_delivery_note(d, QR_DELIVERY_REFUSED, file_id, path,
                              "name contains a control character");
            return false;
        }
        s += n;
    }
    return true;
}

bool qr_delivery_has_ext(const char *name, const char *ext)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name && strcasecmp(dot + 1, ext) == 0;
}

bool qr_delivery_is_page_image(const char *name)
{
    static const char *const exts[] = {"tif", "tiff", "jpg", "jpeg", "png"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (qr_delivery_has_ext(name, exts[i]))
            return true;
    return false;
}

bool qr_delivery_is_junk(const char *name)
{
    return name[0] == '.' || strcasecmp(name, "Thumbs.db") == 0 ||
           strcasecmp(name, "desktop.ini") == 0 || strcasecmp(name, "ehthumbs.db") == 0;
}

/* ---- builder ------------------------------------------------------------- */

static qr_dv_priv *priv(qr_delivery *d) { return d->priv; }

int qr_delivery_note(qr_delivery *d, qr_delivery_issue_kind kind, const char *file_id,
                      const char *path, const char *fmt, ...)
{
    qr_dv_priv *p = priv(d);
    if (qr_grow(&d->issues, &p->cap_issues, d->n_issues + 1, sizeof *d->issues) != QR_OK)
        return QR_ENOMEM;
    qr_delivery_issue *is = &d->issues[d->n_issues];
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    is->kind = kind;
    is->damaged = false;
    is->file_id = file_id ? qr_delivery_escape(file_id) : NULL;
    is->path = qr_delivery_escape(path);
    qr_buf m = {0};
    qr_buf_printf(&m, "%s: %s", is->path ? is->path : "?", reason);
    is->msg = (char *)m.data;
    d->n_issues++;
    return is->path && is->msg ? QR_OK : QR_ENOMEM;
}

static int source_copy(qr_delivery_source *dst, const qr_delivery_source *src)
{
    *dst = *src;
    dst->name = qr_strdup(src->name);
    dst->abs_path = qr_strdup(src->abs_path);
    dst->member = src->member ? qr_strdup(src->member) : NULL;
    return dst->name && dst->abs_path && (!src->member || dst->member) ? QR_OK : QR_ENOMEM;
}

static void source_free(qr_delivery_source *s)
{
    free(s->name);
    free(s->abs_path);
    free(s->member);
}

int qr_delivery_add(qr_delivery *d, const char *file_id, const qr_delivery_source *src)
{
    qr_dv_priv *p = priv(d);
    if (qr_grow(&p->items, &p->cap_items, p->n_items + 1, sizeof *p->items) != QR_OK)
        return QR_ENOMEM;
    qr_dv_item *it = &p->items[p->n_items];
    memset(it, 0, sizeof *it);
    it->file_id = qr_strdup(file_id);
    int rc = it->file_id ? QR_OK : QR_ENOMEM;
    if (rc == QR_OK && src)
        rc = source_copy(&it->src, src);
    p->n_items++;
    return rc;
}

/* Page name inside its file: the part after the file id's "/". */
static const char *page_name(const qr_delivery_source *s)
{
    const char *n = s->member ? s->member : s->name;
    const char *slash = strrchr(n, '/');
    return slash ? slash + 1 : n;
}

/* Files by id, a file's marker before its sources, sources by page name;
 * copies of one page name by where they lie (archive, then position in it),
 * so the first copy is always the one kept. */
static int item_cmp(const void *va, const void *vb)
{
    const qr_dv_item *a = va, *b = vb;
    int c = qr_delivery_namecmp(a->file_id, b->file_id);
    if (c || !a->src.name || !b->src.name)
        return c ? c : (a->src.name != NULL) - (b->src.name != NULL);
    c = qr_delivery_namecmp(page_name(&a->src), page_name(&b->src));
    if (c == 0)
        c = qr_delivery_namecmp(a->src.abs_path, b->src.abs_path);
    if (c == 0 && a->src.index != b->src.index)
        c = a->src.index < b->src.index ? -1 : 1;
    return c ? c : qr_delivery_namecmp(a->src.name, b->src.name);
}

/* A refused issue that names a file, with its place in discovery order. */
typedef struct refusal {
    const qr_delivery_issue *is;
    size_t at;
} refusal;

static int refusal_cmp(const void *va, const void *vb)
{
    const refusal *a = va, *b = vb;
    int c = qr_delivery_namecmp(a->is->file_id, b->is->file_id);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* SHA-256 over the sources' (name, size, mtime_ns), then the messages of
 * the file's refused issues r[0..n): a file whose sources are all as before
 * but whose refusals changed (a duplicate taken out of the box) is a new
 * delivery. A file without refusals hashes as it always did. */
static void fingerprint(qr_delivery_file *f, const refusal *r, size_t n)
{
    qr_sha256 *h = qr_sha256_new();
    for (size_t i = 0; h && i < f->n_sources; i++) {
        const qr_delivery_source *s = &f->sources[i];
        const char *nm = s->member ? s->member : s->name;
        char num[64];
        int k = snprintf(num, sizeof num, "%llu %lld\n", (unsigned long long)s->size,
                         (long long)s->mtime_ns);
        qr_sha256_update(h, nm, strlen(nm) + 1);
        qr_sha256_update(h, num, (size_t)k);
    }
    for (size_t i = 0; h && i < n; i++) {
        qr_sha256_update(h, "refused\n", 8);
        qr_sha256_update(h, r[i].is->msg, strlen(r[i].is->msg) + 1);
    }
    uint8_t dig[QR_SHA256_LEN] = {0};
    if (h)
        qr_sha256_final(h, dig);
    qr_sha256_free(&h);
    qr_hex(dig, sizeof dig, f->fingerprint);
}

/* Fingerprint every file: the refusals, sorted like the files, are walked
 * alongside them once. */
static int fingerprint_all(qr_delivery *d)
{
    refusal *r = qr_malloc_array(d->n_issues ? d->n_issues : 1, sizeof *r);
    if (!r)
        return QR_ENOMEM;
    size_t nr = 0;
    for (size_t i = 0; i < d->n_issues; i++)
        if (d->issues[i].kind == QR_DELIVERY_REFUSED && d->issues[i].file_id && d->issues[i].msg)
            r[nr++] = (refusal){&d->issues[i], i};
    qsort(r, nr, sizeof *r, refusal_cmp);
    size_t k = 0;
    for (size_t i = 0; i < d->n_files; i++) {
        qr_delivery_file *f = &d->files[i];
        while (k < nr && qr_delivery_namecmp(r[k].is->file_id, f->file_id) < 0)
            k++;
        size_t from = k;
        while (k < nr && strcmp(r[k].is->file_id, f->file_id) == 0)
            k++;
        fingerprint(f, r + from, k - from);
    }
    free(r);
    return QR_OK;
}

/* Do two page names give the same page: equal in natural order once the
 * extension is set aside ("0003.tif", "0003.TIF", "0003.jpg", "3.tif")?
 * Names too long for the stems' buffers must be equal byte for byte. */
static bool same_page(const char *a, const char *b)
{
    const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
    size_t la = da && da != a ? (size_t)(da - a) : strlen(a);
    size_t lb = db && db != b ? (size_t)(db - b) : strlen(b);
    char sa[256], sb[256];
    if (la >= sizeof sa || lb >= sizeof sb)
        return strcmp(a, b) == 0;
    memcpy(sa, a, la);
    sa[la] = '\0';
    memcpy(sb, b, lb);
    sb[lb] = '\0';
    return qr_natcmp(sa, sb) == 0;
}

/* A source kept for cur that gives the same page as it (a name repeated in a
 * box, the same member in two boxes, 0003.tif beside 0003.jpg): which copy
 * is the scan? Pages are sorted by name, so such a twin is among the last
 * few kept; a short look back keeps this linear. NULL when there is none. */
static qr_delivery_source *twin_of(const qr_delivery_file *cur, const qr_dv_item *it)
{
    if (!cur || !it->src.name || strcmp(cur->file_id, it->file_id) != 0)
        return NULL;
    for (size_t k = cur->n_sources, seen = 0; k-- > 0 && seen < 16; seen++)
        if (same_page(page_name(&cur->sources[k]), page_name(&it->src)))
            return &cur->sources[k];
    return NULL;
}

/* The archive of a member source: its display name is "<archive>:<member>". */
static int archive_len(const qr_delivery_source *s)
{
    size_t name_len = strlen(s->name), member_len = s->member ? strlen(s->member) : 0;
    return s->member && name_len > member_len ? (int)(name_len - member_len - 1) : -1;
}

/* Where the two copies lie: "members 1 and 3 of BOX-1.tar", "member 4 of
 * BOX-1.zip and member 1 of BOX-2.zip", or the display names. */
static void positions(const qr_delivery_source *a, const qr_delivery_source *b, char *out,
                      size_t n)
{
    int la = archive_len(a), lb = archive_len(b);
    unsigned long long ia = (unsigned long long)a->index + 1, ib = (unsigned long long)b->index + 1;
    if (la >= 0 && la == lb && strncmp(a->name, b->name, (size_t)la) == 0)
        snprintf(out, n, "members %llu and %llu of %.*s", ia, ib, la, a->name);
    else if (la >= 0 && lb >= 0)
        snprintf(out, n, "member %llu of %.*s and member %llu of %.*s", ia, la, a->name, ib, lb,
                 b->name);
    else
        snprintf(out, n, "%s and %s", a->name, b->name);
}

/* Refuse the copy `it` of the page `first` gives. Members of differently
 * named copies are named too. */
static void note_duplicate(qr_delivery *d, const qr_delivery_source *first, const qr_dv_item *it)
{
    char where[600];
    positions(first, &it->src, where, sizeof where);
    const char *p1 = page_name(first), *p2 = page_name(&it->src);
    bool renamed = strcmp(p1, p2) != 0 && first->member && it->src.member;
    qr_delivery_note(d, QR_DELIVERY_REFUSED, it->file_id, it->src.name,
                     "ambiguous: the same page is given twice (%s%s%s): which copy is the scan?",
                     where, renamed ? ", the first as " : "", renamed ? p1 : "");
}

/* Does a lie before b in the delivery (archive, then position in it)? */
static bool lies_before(const qr_delivery_source *a, const qr_delivery_source *b)
{
    int c = qr_delivery_namecmp(a->abs_path, b->abs_path);
    return c ? c < 0 : a->index < b->index;
}

/* Two copies of one page: the file keeps the first in the delivery, so its
 * pages are still measured, and the other is refused; the refused issue
 * keeps the file from being archived until the box is corrected. */
static void keep_first(qr_delivery *d, qr_delivery_source *kept, qr_dv_item *it)
{
    if (lies_before(&it->src, kept)) { /* 1.jpg sorts before 0001.tif, lying after it */
        qr_delivery_source t = *kept;
        *kept = it->src;
        it->src = t;
    }
    note_duplicate(d, kept, it);
    source_free(&it->src);
}

/* Every file a refused issue names is a file of the delivery, even when
 * nothing of it could be taken: it is then planned (and found faulty)
 * instead of staying "not delivered". Runs before the items are sorted. */
static int claim_refused(qr_delivery *d)
{
    for (size_t i = 0; i < d->n_issues; i++) {
        const qr_delivery_issue *is = &d->issues[i];
        if (is->kind == QR_DELIVERY_REFUSED && is->file_id &&
            qr_delivery_add(d, is->file_id, NULL) != QR_OK)
            return QR_ENOMEM;
    }
    return QR_OK;
}

/* The file it belongs to: cur, or a new entry that takes over its id. */
static qr_delivery_file *group_next(qr_delivery *d, qr_dv_item *it, qr_delivery_file *cur)
{
    if (cur && strcmp(cur->file_id, it->file_id) == 0)
        return cur;
    qr_delivery_file *f = &d->files[d->n_files++];
    memset(f, 0, sizeof *f);
    f->file_id = it->file_id;
    it->file_id = NULL; /* moved */
    return f;
}

/* Sort the items and move them into d->files, one entry per file id. */
int qr_dv_builder_finish(qr_delivery *d, qr_err *err)
{
    qr_dv_priv *p = priv(d);
    if (claim_refused(d) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    if (p->n_items) /* a box damaged before its first member leaves none */
        qsort(p->items, p->n_items, sizeof *p->items, item_cmp);
    d->files = calloc(p->n_items ? p->n_items : 1, sizeof *d->files);
    qr_delivery_source *srcs = calloc(p->n_items ? p->n_items : 1, sizeof *srcs);
    if (!d->files || !srcs) {
        free(srcs);
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    }
    p->sources = srcs; /* one block for all files, freed with the delivery */
    qr_delivery_file *cur = NULL;
    size_t ns = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        qr_dv_item *it = &p->items[i];
        qr_delivery_source *twin = twin_of(cur, it);
        if (twin) {
            keep_first(d, twin, it);
        } else {
            cur = group_next(d, it, cur);
            if (it->src.name) {
                if (!cur->sources)
                    cur->sources = &srcs[ns];
                srcs[ns++] = it->src;
                cur->n_sources++;
            }
        }
        memset(&it->src, 0, sizeof it->src);
        free(it->file_id);
        it->file_id = NULL;
    }
    p->n_items = 0;
    if (fingerprint_all(d) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", d->root);
    return QR_OK;
}

static void priv_free(qr_dv_priv *p)
{
    for (size_t i = 0; i < p->n_items; i++) {
        free(p->items[i].file_id);
        source_free(&p->items[i].src);
    }
    free(p->items);
    if (p->cursor && p->cursor_free)
        p->cursor_free(p->cursor);
    free(p);
}

void qr_delivery_free(qr_delivery **dp)
{
    qr_delivery *d = *dp;
    if (!d)
        return;
    qr_dv_priv *p = priv(d);
    for (size_t i = 0; i < d->n_files; i++) {
        free(d->files[i].file_id);
        for (size_t k = 0; k < d->files[i].n_sources; k++)
            source_free(&d->files[i].sources[k]);
    }
    for (size_t i = 0; i < d->n_issues; i++) {
        free(d->issues[i].file_id);
        free(d->issues[i].path);
        free(d->issues[i].msg);
    }
    free(p->sources);
    priv_free(p);
    free(d->files);
    free(d->issues);
    free(d->root);
    free(d);
    *dp = NULL;
}

const qr_delivery_file *qr_delivery_find(const qr_delivery *d, const char *file_id)
{
    for (size_t i = 0; i < d->n_files; i++)
        if (strcmp(d->files[i].file_id, file_id) == 0)
            return &d->files[i];
    return NULL;
}

int qr_delivery_read_source(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                            uint8_t **data, size_t *len, qr_err *err)
{
    return d->layout->read_source(d, s, max_bytes, data, len, err);
}

int qr_delivery_read_plain(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                           uint8_t **data, size_t *len, qr_err *err)
{
    return qr_read_file(s->abs_path, max_bytes, data, len, err);
}
