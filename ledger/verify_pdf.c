/*
 * A small PDF object reader for quire's own archives, which quire verify
 * reads as hostile input: the file may have been changed by anyone.
 *
 * It reads what formats/pdf*.c writes (a classic cross-reference table with
 * one subsection from object 0, direct dictionaries, streams whose /Length
 * is a direct integer or a reference to one) and refuses anything else with
 * a message instead of guessing. Nothing is trusted blindly: startxref, each
 * xref entry and each stream length are checked against the file's size
 * before they are followed; an object must start with "N G obj" exactly
 * where its entry says; a stream must be followed by "endstream"; the
 * parser caps nesting depth, items, string and name lengths, and never reads
 * more than VP_MAX_OBJ bytes for one object. Reads go through pread on the
 * caller's descriptor, so a file of any size costs only what is looked at.
 * Used by one thread at a time per vp_doc.
 */
#include "verify_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VP_MAX_OBJ (4u << 20)      /* bytes read for one object's dictionary */
#define VP_MAX_DEPTH 32
#define VP_MAX_ITEMS 100000        /* per array or dictionary */
#define VP_MAX_STRING (1u << 20)
#define VP_MORE (-1)               /* parse ran off the buffer: read more */

/* ---- reading ---------------------------------------------------------------- */

static int read_at(vp_doc *d, uint64_t off, void *buf, size_t len, size_t *got, qr_err *err)
{
    size_t n = 0;
    *got = 0; /* a read error leaves nothing read */
    while (n < len) {
        ssize_t r = pread(d->fd, (char *)buf + n, len - n, (off_t)(off + n));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return qr_err_set(err, QR_EIO, "read error at offset %" PRIu64 ": %s", off + n,
                              strerror(errno));
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return QR_OK;
}

int vp_read(vp_doc *d, uint64_t off, uint64_t len, uint64_t cap, uint8_t **out, qr_err *err)
{
    *out = NULL;
    if (len > cap)
        return qr_err_set(err, QR_ELIMIT, "%" PRIu64 " bytes at offset %" PRIu64 ": more than "
                          "the %" PRIu64 " read for one object", len, off, cap);
    if (off > d->size || len > d->size - off)
        return qr_err_set(err, QR_ECORRUPT, "%" PRIu64 " bytes at offset %" PRIu64 " run past "
                          "the end of the file (%" PRIu64 " bytes)", len, off, d->size);
    uint8_t *b = malloc(len + 1);
    if (!b)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    size_t got = 0;
    int rc = read_at(d, off, b, (size_t)len, &got, err);
    if (rc == QR_OK && got != len)
        rc = qr_err_set(err, QR_ECORRUPT, "the file ends at %" PRIu64 " bytes, shorter than "
                        "it was", off + got);
    if (rc != QR_OK) {
        free(b);
        return rc;
    }
    b[len] = '\0';
    *out = b;
    return QR_OK;
}

/* ---- lexing and parsing ---------------------------------------------------------- */

typedef struct lex {
    const uint8_t *p, *end;
    int depth;
} lex;

static bool is_ws(int c)
{
    return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

static bool is_delim(int c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static bool is_regular(int c)
{
    return !is_ws(c) && !is_delim(c);
}

static void skip_ws(lex *x)
{
    while (x->p < x->end) {
        if (is_ws(*x->p)) {
            x->p++;
        } else if (*x->p == '%') {
            while (x->p < x->end && *x->p != '\n' && *x->p != '\r')
                x->p++;
        } else {
            break;
        }
    }
}

/* Whether the buffer holds word next, ending at a delimiter (the end of the
 * buffer counts as one only when at_end). */
static bool keyword(lex *x, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(x->end - x->p) < n || memcmp(x->p, word, n) != 0)
        return false;
    if (x->p + n < x->end && is_regular(x->p[n]))
        return false;
    x->p += n;
    return true;
}

static void vp_val_free(vp_val *v)
{
    if (!v)
        return;
    free(v->s);
    size_t n = v->t == VP_DICT ? 2 * v->len : v->t == VP_ARRAY ? v->len : 0;
    for (size_t i = 0; i < n; i++)
        vp_val_free(&v->v[i]);
    free(v->v);
    memset(v, 0, sizeof *v);
}

static int bad(qr_err *err, const char *what)
{
    return qr_err_set(err, QR_ECORRUPT, "%s", what);
}

/* An unsigned decimal integer; false (nothing consumed) when there is none. */
static bool uint_token(lex *x, int64_t *v)
{
    const uint8_t *p = x->p;
    int64_t n = 0;
    while (p < x->end && *p >= '0' && *p <= '9') {
        if (n > (INT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (*p++ - '0');
    }
    if (p == x->p || (p < x->end && is_regular(*p) && *p != '.'))
        return false;
    x->p = p;
    *v = n;
    return true;
}

/* After an integer: " G R" makes it a reference. 1 when it did, 0 when
 * not (nothing consumed), VP_MORE when the buffer ends before it can tell. */
static int ref_tail(lex *x, int64_t num, vp_val *v)
{
    lex save = *x;
    int64_t gen;
    skip_ws(x);
    bool gen_ok = x->p < x->end && uint_token(x, &gen);
    if (gen_ok)
        skip_ws(x);
    if (x->p + 1 >= x->end) {
        *x = save;
        return VP_MORE;
    }
    if (gen_ok && num >= 0 && num <= UINT32_MAX && gen <= 65535 && keyword(x, "R")) {
        v->t = VP_REF;
        v->i = num;
        return 1;
    }
    *x = save;
    return 0;
}

static int parse_number(lex *x, vp_val *v, qr_err *err)
{
    const uint8_t *p = x->p;
    char buf[64];
    size_t n = 0;
    bool real = false;
    while (p < x->end && (is_regular(*p)) && n < sizeof buf - 1) {
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+'))
            return bad(err, "a number holds a character that is no digit");
        real |= *p == '.';
        buf[n++] = (char)*p++;
    }
    if (p == x->end)
        return VP_MORE;
    if (is_regular(*p))
        return bad(err, "a number is too long");
    buf[n] = '\0';
    char *e;
    errno = 0;
    if (real) {
        v->t = VP_REAL;
        v->r = strtod(buf, &e);
    } else {
        v->t = VP_INT;
        v->i = strtoll(buf, &e, 10);
    }
    if (*e || errno)
        return bad(err, "a number cannot be read");
    x->p = p;
    if (!real && buf[0] != '-' && buf[0] != '+' && ref_tail(x, v->i, v) == VP_MORE)
        return VP_MORE;
    return QR_OK;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int parse_name(lex *x, vp_val *v, qr_err *err)
{
    const uint8_t *p = ++x->p;
    while (p < x->end && is_regular(*p))
        p++;
    if (p == x->end)
        return VP_MORE;
    size_t n = (size_t)(p - x->p);
    if (n > 4096)
        return bad(err, "a name is longer than 4096 bytes");
    v->t = VP_NAME;
    if (!(v->s = malloc(n + 1)))
        return QR_ENOMEM;
    size_t k = 0;
    for (const uint8_t *q = x->p; q < p; q++) {
        int h1, h2;
        if (*q == '#' && q + 2 < p && (h1 = hexval(q[1])) >= 0 && (h2 = hexval(q[2])) >= 0) {
            v->s[k++] = (char)(h1 * 16 + h2);
            q += 2;
        } else {
            v->s[k++] = (char)*q;
        }
    }
    v->s[k] = '\0';
    v->len = k;
    x->p = p;
    return QR_OK;
}

static int literal_escape(lex *x, char *out)
{
    static const char from[] = "nrtbf()\\", to[] = "\n\r\t\b\f()\\";
    if (x->p >= x->end)
        return VP_MORE;
    const char *f = strchr(from, *x->p);
    if (f && *x->p) {
        *out = to[f - from];
        x->p++;
        return 1;
    }
    if (*x->p >= '0' && *x->p <= '7') {
        int v = 0;
        for (int i = 0; i < 3 && x->p < x->end && *x->p >= '0' && *x->p <= '7'; i++)
            v = v * 8 + (*x->p++ - '0');
        *out = (char)v;
        return 1;
    }
    if (*x->p == '\r' && x->p + 1 < x->end && x->p[1] == '\n')
        x->p++;
    x->p++; /* a line continuation, or a backslash that escapes nothing */
    return 0;
}

static int parse_literal(lex *x, vp_val *v, qr_err *err)
{
    x->p++;
    qr_buf b = {0};
    int nest = 1, rc = QR_OK;
    while (rc == QR_OK) {
        if (x->p >= x->end) {
            rc = VP_MORE;
            break;
        }
        char c = (char)*x->p++;
        if (c == '(')
            nest++;
        if (c == ')' && --nest == 0)
            break;
        if (c == '\\') {
            int e = literal_escape(x, &c);
            if (e <= 0) {
                rc = e;
                continue;
            }
        }
        if (b.len >= VP_MAX_STRING)
            rc = bad(err, "a string is longer than 1 MiB");
        else if (qr_buf_append(&b, &c, 1) != QR_OK)
            rc = QR_ENOMEM;
    }
    if (rc == QR_OK && qr_buf_append(&b, "", 1) != QR_OK)
        rc = QR_ENOMEM;
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return rc;
    }
    v->t = VP_STRING;
    v->s = (char *)b.data;
    v->len = b.len - 1;
    return QR_OK;
}

static int parse_hex(lex *x, vp_val *v, qr_err *err)
{
    const uint8_t *p = ++x->p;
    while (p < x->end && *p != '>')
        p++;
    if (p == x->end)
        return VP_MORE;
    size_t n = (size_t)(p - x->p);
    if (n / 2 > VP_MAX_STRING)
        return bad(err, "a string is longer than 1 MiB");
    if (!(v->s = malloc(n / 2 + 2)))
        return QR_ENOMEM;
    v->t = VP_STRING;
    int hi = -1;
    for (const uint8_t *q = x->p; q < p; q++) {
        int h = hexval(*q);
        if (h < 0 && !is_ws(*q))
            return bad(err, "a hex string holds a character that is no hex digit");
        if (h < 0)
            continue;
        if (hi < 0) {
            hi = h;
        } else {
            v->s[v->len++] = (char)(hi * 16 + h);
            hi = -1;
        }
    }
    if (hi >= 0)
        v->s[v->len++] = (char)(hi * 16);
    v->s[v->len] = '\0';
    x->p = p + 1;
    return QR_OK;
}

static int parse_value(lex *x, vp_val *v, qr_err *err);

/* At the closing delimiter (consumed): 1; not: 0; VP_MORE when cut. */
static int at_close(lex *x, char close)
{
    if (*x->p != close)
        return 0;
    if (close == '>') {
        if (x->p + 1 >= x->end)
            return VP_MORE;
        if (x->p[1] != '>')
            return 0;
        x->p++;
    }
    x->p++;
    return 1;
}

/* Items up to the closing delimiter (']' or '>' for ">>"); key-value pairs
 * for a dictionary. An item is counted before it is parsed, so that
 * vp_val_free frees whatever a failed parse left. */
static int parse_items(lex *x, vp_val *v, char close, qr_err *err)
{
    size_t cap = 0, per = v->t == VP_DICT ? 2 : 1;
    if (++x->depth > VP_MAX_DEPTH)
        return bad(err, "objects nested deeper than 32");
    for (;;) {
        skip_ws(x);
        if (x->p >= x->end)
            return VP_MORE;
        int c = at_close(x, close);
        if (c != 0) {
            if (c < 0)
                return c;
            break;
        }
        if (v->len >= VP_MAX_ITEMS)
            return bad(err, "an array or dictionary has more than 100000 items");
        if (qr_grow(&v->v, &cap, (v->len + 1) * per, sizeof *v->v) != QR_OK)
            return QR_ENOMEM;
        vp_val *item = &v->v[v->len * per];
        memset(item, 0, per * sizeof *item);
        v->len++;
        int rc = parse_value(x, item, err);
        if (rc == QR_OK && per == 2)
            rc = item->t == VP_NAME ? parse_value(x, item + 1, err)
                                    : bad(err, "a dictionary key is not a name");
        if (rc != QR_OK)
            return rc;
    }
    x->depth--;
    return QR_OK;
}

static int parse_value(lex *x, vp_val *v, qr_err *err)
{
    skip_ws(x);
    if (x->p >= x->end)
        return VP_MORE;
    int c = *x->p;
    if (c == '/')
        return parse_name(x, v, err);
    if (c == '(')
        return parse_literal(x, v, err);
    if (c == '[') {
        x->p++;
        v->t = VP_ARRAY;
        return parse_items(x, v, ']', err);
    }
    if (c == '<') {
        if (x->p + 1 >= x->end)
            return VP_MORE;
        if (x->p[1] != '<')
            return parse_hex(x, v, err);
        x->p += 2;
        v->t = VP_DICT;
        return parse_items(x, v, '>', err);
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.')
        return parse_number(x, v, err);
    if (keyword(x, "true") || keyword(x, "false")) {
        v->t = VP_BOOL;
        v->i = x->p[-2] == 'u'; /* tr"u"e */
        return QR_OK;
    }
    if (keyword(x, "null"))
        return QR_OK;
    return bad(err, "an object holds something that is no PDF value");
}

/* ---- objects ------------------------------------------------------------------ */

const vp_val *vp_get(const vp_val *dict, const char *key)
{
    if (!dict || dict->t != VP_DICT)
        return NULL;
    for (size_t i = 0; i < dict->len; i++)
        if (dict->v[2 * i].s && !strcmp(dict->v[2 * i].s, key))
            return &dict->v[2 * i + 1];
    return NULL;
}

bool vp_int(const vp_val *v, int64_t *out)
{
    if (!v || v->t != VP_INT)
        return false;
    *out = v->i;
    return true;
}

bool vp_ref(const vp_val *v, uint32_t *num)
{
    if (!v || v->t != VP_REF)
        return false;
    *num = (uint32_t)v->i;
    return true;
}

bool vp_is_name(const vp_val *v, const char *name)
{
    return v && v->t == VP_NAME && v->s && !strcmp(v->s, name);
}

void vp_obj_free(vp_obj *o)
{
    if (!o)
        return;
    vp_val_free(&o->val);
    memset(o, 0, sizeof *o);
}

/* The xref entry of object num: its offset and generation, when in use. */
static int xref_entry(vp_doc *d, uint32_t num, uint64_t *off, int64_t *gen, qr_err *err)
{
    char e[21];
    size_t got = 0;
    if (num == 0 || num >= d->n)
        return qr_err_set(err, QR_ECORRUPT, "object %" PRIu32 " is not in the cross-reference "
                          "table (%" PRIu32 " objects)", num, d->n);
    int rc = read_at(d, d->entries + 20 * (uint64_t)num, e, 20, &got, err);
    if (rc != QR_OK)
        return rc;
    e[20] = '\0';
    bool ok = got == 20 && e[10] == ' ' && e[16] == ' ' && (e[17] == 'n' || e[17] == 'f');
    for (int i = 0; ok && i < 16; i++)
        ok = i == 10 || (e[i] >= '0' && e[i] <= '9');
    if (!ok)
        return qr_err_set(err, QR_ECORRUPT, "the cross-reference entry of object %" PRIu32
                          " is malformed", num);
    if (e[17] == 'f')
        return qr_err_set(err, QR_ECORRUPT, "object %" PRIu32 " is marked free", num);
    *off = strtoull(e, NULL, 10);
    *gen = strtoll(e + 11, NULL, 10);
    if (*off >= d->size)
        return qr_err_set(err, QR_ECORRUPT, "object %" PRIu32 " is said to start at %" PRIu64
                          ", past the end of the file (%" PRIu64 " bytes)", num, *off, d->size);
    return QR_OK;
}

/* "N G obj" at the start of x. */
static int object_header(lex *x, uint32_t num, int64_t gen, qr_err *err)
{
    int64_t n, g;
    if (!uint_token(x, &n))
        return x->p >= x->end ? VP_MORE : bad(err, "no object header where the xref points");
    skip_ws(x);
    if (!uint_token(x, &g))
        return x->p >= x->end ? VP_MORE : bad(err, "no object header where the xref points");
    skip_ws(x);
    if (!keyword(x, "obj"))
        return x->p >= x->end ? VP_MORE : bad(err, "no object header where the xref points");
    if (n != num || g != gen)
        return qr_err_set(err, QR_ECORRUPT, "the xref entry of object %" PRIu32 " points at "
                          "object %" PRId64 " %" PRId64, num, n, g);
    return QR_OK;
}

static int object_at_depth(vp_doc *d, uint32_t num, vp_obj *out, int depth, qr_err *err);

/* The stream's length: a direct integer, or a reference to one (whose own
 * object may not refer further). */
static int stream_length(vp_doc *d, const vp_val *dict, uint64_t *len, int depth, qr_err *err)
{
    const vp_val *l = vp_get(dict, "Length");
    int64_t v;
    uint32_t ref;
    if (vp_ref(l, &ref) && depth == 0) {
        vp_obj o = {0};
        int rc = object_at_depth(d, ref, &o, depth + 1, err);
        bool ok = rc == QR_OK && !o.stream && vp_int(&o.val, &v);
        vp_obj_free(&o);
        if (rc != QR_OK)
            return rc;
        if (!ok)
            return bad(err, "a stream's /Length refers to something that is no integer");
    } else if (!vp_int(l, &v)) {
        return bad(err, "a stream has no /Length");
    }
    if (v < 0)
        return bad(err, "a stream's /Length is negative");
    *len = (uint64_t)v;
    return QR_OK;
}

/* After the value: "stream" EOL data EOL? "endstream", or "endobj". */
static int object_tail(vp_doc *d, lex *x, uint64_t base, const uint8_t *buf, vp_obj *o,
                       int depth, qr_err *err)
{
    skip_ws(x);
    if ((size_t)(x->end - x->p) < 9)
        return VP_MORE;
    if (keyword(x, "endobj"))
        return QR_OK;
    if (!keyword(x, "stream") || o->val.t != VP_DICT)
        return bad(err, "an object does not end with endobj");
    if (x->p < x->end && *x->p == '\r')
        x->p++;
    if (x->p >= x->end)
        return VP_MORE;
    if (*x->p++ != '\n')
        return bad(err, "\"stream\" is not followed by an end of line");
    o->stream = true;
    o->data = base + (uint64_t)(x->p - buf);
    int rc = stream_length(d, &o->val, &o->length, depth, err);
    if (rc != QR_OK)
        return rc;
    if (o->data > d->size || o->length > d->size - o->data)
        return qr_err_set(err, QR_ECORRUPT, "a stream of %" PRIu64 " bytes at offset %" PRIu64
                          " runs past the end of the file", o->length, o->data);
    char t[16];
    size_t got = 0;
    rc = read_at(d, o->data + o->length, t, sizeof t - 1, &got, err);
    t[got] = '\0';
    const char *e = t + (t[0] == '\r') + (t[t[0] == '\r'] == '\n');
    if (rc == QR_OK && strncmp(e, "endstream", 9) != 0)
        rc = bad(err, "a stream is not followed by endstream where its /Length ends");
    return rc;
}

static int object_in(vp_doc *d, uint32_t num, uint64_t off, int64_t gen, size_t cap,
                     vp_obj *o, int depth, qr_err *err)
{
    uint64_t want = d->size - off < cap ? d->size - off : cap;
    uint8_t *buf;
    int rc = vp_read(d, off, want, VP_MAX_OBJ, &buf, err);
    if (rc != QR_OK)
        return rc;
    lex x = {buf, buf + want, 0};
    rc = object_header(&x, num, gen, err);
    if (rc == QR_OK)
        rc = parse_value(&x, &o->val, err);
    if (rc == QR_OK)
        rc = object_tail(d, &x, off, buf, o, depth, err);
    free(buf);
    if (rc == VP_MORE && want == d->size - off)
        rc = qr_err_set(err, QR_ECORRUPT, "object %" PRIu32 " runs past the end of the file",
                        num);
    if (rc == VP_MORE && cap >= VP_MAX_OBJ)
        rc = qr_err_set(err, QR_ELIMIT, "object %" PRIu32 " is larger than %u bytes", num,
                        VP_MAX_OBJ);
    if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    return rc;
}

static int object_at_depth(vp_doc *d, uint32_t num, vp_obj *out, int depth, qr_err *err)
{
    memset(out, 0, sizeof *out);
    uint64_t off = 0;
    int64_t gen = 0;
    int rc = xref_entry(d, num, &off, &gen, err);
    for (size_t cap = 4096; rc == QR_OK || rc == VP_MORE; cap *= 4) {
        vp_obj_free(out);
        rc = object_in(d, num, off, gen, cap, out, depth, err);
        if (rc != VP_MORE)
            break;
    }
    if (rc != QR_OK) {
        vp_obj_free(out);
        qr_err_prefix(err, "object %" PRIu32, num);
    }
    return rc;
}

int vp_object(vp_doc *d, uint32_t num, vp_obj *out, qr_err *err)
{
    return object_at_depth(d, num, out, 0, err);
}

/* ---- the trailer ---------------------------------------------------------------- */

/* The offset after the last "startxref" of the file's tail. */
static int find_startxref(vp_doc *d, uint64_t *xref, qr_err *err)
{
    uint64_t n = d->size < 1024 ? d->size : 1024;
    uint8_t *t;
    int rc = vp_read(d, d->size - n, n, 1024, &t, err);
    if (rc != QR_OK)
        return rc;
    const uint8_t *hit = NULL;
    for (const uint8_t *p = t; p + 9 <= t + n; p++)
        if (!memcmp(p, "startxref", 9))
            hit = p;
    lex x = {hit ? hit + 9 : t, t + n, 0};
    int64_t v = -1;
    skip_ws(&x);
    bool ok = hit && uint_token(&x, &v);
    while (x.p < x.end && is_ws(*x.p)) /* not skip_ws: %%EOF is a comment to it */
        x.p++;
    ok = ok && (size_t)(x.end - x.p) >= 5 && !memcmp(x.p, "%%EOF", 5);
    free(t);
    if (!ok)
        return bad(err, "no \"startxref\" offset and %%EOF at the end of the file");
    if ((uint64_t)v >= d->size)
        return qr_err_set(err, QR_ECORRUPT, "startxref says %" PRId64 ", past the end of the "
                          "file (%" PRIu64 " bytes)", v, d->size);
    *xref = (uint64_t)v;
    return QR_OK;
}

/* "xref" EOL "0 N" EOL at the table's offset: where the entries start. */
static int xref_header(vp_doc *d, qr_err *err)
{
    uint8_t h[64];
    size_t got = 0;
    int rc = read_at(d, d->xref, h, sizeof h, &got, err);
    if (rc != QR_OK)
        return rc;
    lex x = {h, h + got, 0};
    int64_t first, n;
    bool ok = keyword(&x, "xref");
    skip_ws(&x);
    ok = ok && uint_token(&x, &first) && first == 0;
    while (ok && x.p < x.end && *x.p == ' ')
        x.p++;
    ok = ok && uint_token(&x, &n) && n > 1 && n < 8388608;
    while (ok && x.p < x.end && (*x.p == ' ' || *x.p == '\r'))
        x.p++;
    ok = ok && x.p < x.end && *x.p++ == '\n';
    if (!ok)
        return bad(err, "no cross-reference table \"xref 0 N\" where startxref points");
    d->n = (uint32_t)n;
    d->entries = d->xref + (uint64_t)(x.p - h);
    if (d->entries + 20 * (uint64_t)d->n > d->size)
        return bad(err, "the cross-reference table runs past the end of the file");
    return QR_OK;
}

static int read_trailer(vp_doc *d, qr_err *err)
{
    uint64_t at = d->entries + 20 * (uint64_t)d->n;
    uint64_t n = d->size - at < 65536 ? d->size - at : 65536;
    uint8_t *t;
    int rc = vp_read(d, at, n, 65536, &t, err);
    if (rc != QR_OK)
        return rc;
    lex x = {t, t + n, 0};
    skip_ws(&x);
    rc = keyword(&x, "trailer") ? parse_value(&x, &d->trailer.val, err)
                                : bad(err, "no trailer after the cross-reference table");
    free(t);
    if (rc == VP_MORE)
        rc = bad(err, "the trailer is cut short");
    int64_t size;
    uint32_t root;
    if (rc == QR_OK && (!vp_int(vp_get(&d->trailer.val, "Size"), &size) || size != d->n))
        rc = bad(err, "the trailer's /Size is not the cross-reference table's");
    if (rc == QR_OK && !vp_ref(vp_get(&d->trailer.val, "Root"), &root))
        rc = bad(err, "the trailer names no /Root");
    return rc;
}

int vp_open(vp_doc *d, int fd, uint64_t size, qr_err *err)
{
    memset(d, 0, sizeof *d);
    d->fd = fd;
    d->size = size;
    char head[8];
    size_t got = 0;
    int rc = size < 64 ? bad(err, "too short to be a PDF") : read_at(d, 0, head, 8, &got, err);
    if (rc == QR_OK && (got < 8 || memcmp(head, "%PDF-1.", 7) != 0))
        rc = bad(err, "no %PDF-1.x header");
    if (rc == QR_OK)
        rc = find_startxref(d, &d->xref, err);
    if (rc == QR_OK)
        rc = xref_header(d, err);
    if (rc == QR_OK)
        rc = read_trailer(d, err);
    if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    if (rc != QR_OK)
        vp_close(d);
    return rc;
}

void vp_close(vp_doc *d)
{
    vp_obj_free(&d->trailer);
}

/* ---- the XMP packet ------------------------------------------------------------ */

#define VP_MAX_XMP (256u << 20)

int vp_xmp(vp_doc *d, char **xmp, size_t *len, qr_err *err)
{
    *xmp = NULL;
    uint32_t root = 0, meta = 0;
    vp_obj cat = {0}, m = {0};
    vp_ref(vp_get(&d->trailer.val, "Root"), &root);
    int rc = vp_object(d, root, &cat, err);
    if (rc == QR_OK && !vp_is_name(vp_get(&cat.val, "Type"), "Catalog"))
        rc = bad(err, "the trailer's /Root is not a /Catalog");
    if (rc == QR_OK && !vp_ref(vp_get(&cat.val, "Metadata"), &meta))
        rc = bad(err, "the catalog has no /Metadata stream");
    if (rc == QR_OK)
        rc = vp_object(d, meta, &m, err);
    if (rc == QR_OK && (!m.stream || !vp_is_name(vp_get(&m.val, "Subtype"), "XML")))
        rc = bad(err, "the catalog's /Metadata is no XML stream");
    if (rc == QR_OK && vp_get(&m.val, "Filter"))
        rc = bad(err, "the metadata stream is compressed (quire writes it uncompressed)");
    uint8_t *b = NULL;
    if (rc == QR_OK)
        rc = vp_read(d, m.data, m.length, VP_MAX_XMP, &b, err);
    if (rc == QR_OK) {
        *xmp = (char *)b;
        *len = (size_t)m.length;
    }
    vp_obj_free(&cat);
    vp_obj_free(&m);
    return rc;
}
