/*
 * The provenance an archive carries, read back from its XMP packet: the
 * file id (quire:meta, key file_id) and the page list (quire:pages: page
 * number, source, source SHA-256, page within the source), as
 * formats/xmp.c writes them. quire verify compares them with the ledger.
 *
 * Not a general XML parser: quire writes each element on its own, with no
 * attributes and every value escaped, so a value can never hold a '<' and
 * an element's text runs to the next '<'. Within that, nothing is assumed
 * about the packet's size or the order of a page's fields, and every read
 * stays inside the packet. The packet itself comes from the catalog's
 * /Metadata stream (vp_xmp), not from a search of the file for a string
 * that any image could contain. Runs on the caller's thread.
 */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

#define VX_MAX_PAGES 10000000

typedef struct span {
    const char *p, *end;
} span;

static const char *find(span s, const char *what)
{
    size_t n = strlen(what);
    for (const char *p = s.p; p && p + n <= s.end; p++) {
        p = memchr(p, what[0], (size_t)(s.end - p));
        if (!p || p + n > s.end)
            return NULL;
        if (!memcmp(p, what, n))
            return p;
    }
    return NULL;
}

/* The content between <tag> and </tag> of the first such element in s. */
static bool element(span s, const char *tag, span *out)
{
    char open[96], close[96];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = find(s, open);
    if (!a)
        return false;
    span rest = {a + strlen(open), s.end};
    const char *b = find(rest, close);
    if (!b)
        return false;
    *out = (span){rest.p, b};
    return true;
}

static void put_utf8(char **o, unsigned long c)
{
    if (c < 0x80) {
        *(*o)++ = (char)c;
    } else if (c < 0x800) {
        *(*o)++ = (char)(0xC0 | (c >> 6));
        *(*o)++ = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        *(*o)++ = (char)(0xE0 | (c >> 12));
        *(*o)++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *(*o)++ = (char)(0x80 | (c & 0x3F));
    } else {
        *(*o)++ = (char)(0xF0 | (c >> 18));
        *(*o)++ = (char)(0x80 | ((c >> 12) & 0x3F));
        *(*o)++ = (char)(0x80 | ((c >> 6) & 0x3F));
        *(*o)++ = (char)(0x80 | (c & 0x3F));
    }
}

/* One entity at p (after '&'); its text into *o, returns the bytes used
 * (0 = not an entity: the '&' is kept). */
static size_t entity(const char *p, const char *end, char **o)
{
    static const char *const names[][2] = {
        {"amp;", "&"}, {"lt;", "<"}, {"gt;", ">"}, {"quot;", "\""}, {"apos;", "'"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i][0]);
        if ((size_t)(end - p) >= n && !memcmp(p, names[i][0], n)) {
            *(*o)++ = names[i][1][0];
            return n;
        }
    }
    if (p >= end || *p != '#')
        return 0;
    bool hex = p + 1 < end && p[1] == 'x';
    const char *q = p + 1 + hex;
    unsigned long c = 0;
    size_t digits = 0;
    for (; q < end && *q != ';' && digits < 8; q++, digits++) {
        int d = *q >= '0' && *q <= '9' ? *q - '0'
                : hex && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
                : hex && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
                                                : -1;
        if (d < 0)
            return 0;
        c = c * (hex ? 16 : 10) + (unsigned long)d;
    }
    if (q >= end || *q != ';' || digits == 0 || c > 0x10FFFF)
        return 0;
    put_utf8(o, c);
    return (size_t)(q + 1 - p);
}

/* The element's text, entities decoded; NULL when absent or out of memory. */
static char *text_of(span s, const char *tag)
{
    span t;
    if (!element(s, tag, &t))
        return NULL;
    char *out = malloc((size_t)(t.end - t.p) + 1), *o = out;
    for (const char *p = t.p; out && p < t.end;) {
        size_t used = *p == '&' ? entity(p + 1, t.end, &o) : 0;
        if (used)
            p += used + 1;
        else
            *o++ = *p++;
    }
    if (out)
        *o = '\0';
    return out;
}

static int int_of(span s, const char *tag)
{
    char *t = text_of(s, tag);
    long v = t ? strtol(t, NULL, 10) : 0;
    free(t);
    return v > 0 && v < 1000000000 ? (int)v : 0;
}

/* The next <rdf:li ...>...</rdf:li> of s from *at. */
static bool next_li(span s, const char **at, span *li)
{
    span rest = {*at, s.end};
    const char *a = find(rest, "<rdf:li");
    if (!a)
        return false;
    rest.p = a;
    const char *gt = find(rest, ">");
    if (!gt)
        return false;
    rest.p = gt + 1;
    const char *b = find(rest, "</rdf:li>");
    if (!b)
        return false;
    *li = (span){gt + 1, b};
    *at = b + 9;
    return true;
}

static int take_page(vx_doc *d, span li, size_t *cap)
{
    if (qr_grow(&d->pages, cap, d->n_pages + 1, sizeof *d->pages) != QR_OK)
        return QR_ENOMEM;
    vx_page *p = &d->pages[d->n_pages++];
    p->page = int_of(li, "quirePage:page");
    p->source = text_of(li, "quirePage:source");
    p->sha256 = text_of(li, "quirePage:sha256");
    p->source_page = int_of(li, "quirePage:sourcePage");
    return QR_OK;
}

/* file_id from quire:meta's key/value list. */
static void take_file_id(vx_doc *d, span s)
{
    span meta, li;
    if (!element(s, "quire:meta", &meta))
        return;
    for (const char *at = meta.p; !d->file_id && next_li(meta, &at, &li);) {
        char *k = text_of(li, "quireKV:key");
        if (k && !strcmp(k, "file_id"))
            d->file_id = text_of(li, "quireKV:value");
        free(k);
    }
}

int vx_parse(const char *xmp, size_t len, vx_doc *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    span s = {xmp, xmp + len}, pages, li;
    if (!element(s, "quire:pages", &pages))
        return qr_err_set(err, QR_ECORRUPT, "the XMP has no quire:pages list");
    take_file_id(out, s);
    size_t cap = 0;
    int rc = QR_OK;
    for (const char *at = pages.p; rc == QR_OK && next_li(pages, &at, &li);)
        rc = out->n_pages < VX_MAX_PAGES ? take_page(out, li, &cap) : QR_ELIMIT;
    if (rc != QR_OK) {
        vx_free(out);
        return qr_err_set(err, rc, rc == QR_ENOMEM ? "out of memory"
                                                   : "the XMP lists too many pages");
    }
    return QR_OK;
}

void vx_free(vx_doc *d)
{
    for (size_t i = 0; d && i < d->n_pages; i++) {
        free(d->pages[i].source);
        free(d->pages[i].sha256);
    }
    if (d) {
        free(d->pages);
        free(d->file_id);
        memset(d, 0, sizeof *d);
    }
}
