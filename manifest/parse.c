/*
 * Manifest parsing: libcsv (strict RFC 4180) does the quoting; this file adds
 * what libcsv does not know — physical line numbers, UTF-8 validation, the
 * header, and per-row checks — and keeps going after an error so that every
 * problem of the manifest is reported at once.
 *
 * The input is fed to libcsv one physical line (up to and including '\n') at
 * a time. A record starts on the first line with content after the previous
 * record ended, which gives each record its starting line even when a quoted
 * title spans several lines. After a strict-mode quote error the parser is
 * restarted on the next line, so one bad quote costs one record, not the file.
 * A NUL byte is refused per line like invalid UTF-8: libcsv passes it
 * through, and every field is a C string, so "A\0B" would silently become
 * the id "A" (then reported as a duplicate) and a title would lose its tail.
 * Runs on the caller's thread; no globals.
 */
#include "manifest_int.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MF_MAX_INPUT ((size_t)256 << 20)

typedef struct parse_ctx {
    qr_manifest *m;
    char **fields;       /* arena strings of the current record */
    size_t n_fields, cap_fields;
    int line;            /* physical line being fed */
    int rec_line;        /* line where the current record started */
    bool rec_open;       /* content of the current record has been fed */
    bool rec_bad;        /* the current record already has an error */
    bool header_done;
} parse_ctx;

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return len;
}

/* 0 when valid, else the 1-based column of the first bad byte. */
static size_t utf8_bad_column(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0)
            return i + 1;
        i += k;
    }
    return 0;
}

static void on_field(void *s, size_t len, void *data)
{
    parse_ctx *c = data;
    if (qr_grow(&c->fields, &c->cap_fields, c->n_fields + 1, sizeof *c->fields) != QR_OK) {
        c->m->oom = true;
        return;
    }
    char *v = mf_strndup(c->m, s ? s : "", s ? len : 0);
    if (v)
        c->fields[c->n_fields++] = v;
}

/* Spaces and tabs around a field are dropped, as the parser used to do for
 * every field, except around the file id: an id with a space at either end
 * is refused (bad_id_reason) rather than silently changed, since its folder
 * keeps the space and would no longer match. */
static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

static int find_col(const qr_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n_header; i++)
        if (strcmp(m->header[i], name) == 0)
            return (int)i;
    return -1;
}

static int cmp_header(const void *a, const void *b, void *arg)
{
    char *const *h = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int d = strcmp(h[i], h[j]);
    return d ? d : (i > j) - (i < j);
}

/* dup[i] = header column i repeats an earlier column's name. Sorted, not
 * pairwise: a header line is as long as the file may be (256 MiB), and
 * comparing every pair of a few hundred thousand columns took minutes.
 * Returns false when out of memory. */
static bool mark_repeated(char **header, size_t n, bool *dup)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return false;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_header, header);
    for (size_t k = 1; k < n; k++)
        if (strcmp(header[order[k]], header[order[k - 1]]) == 0)
            dup[order[k]] = true; /* equal names sort by column: k - 1 is earlier */
    free(order);
    return true;
}

static void take_header(parse_ctx *c)
{
    qr_manifest *m = c->m;
    m->header = c->fields;
    m->n_header = c->n_fields;
    c->fields = NULL;
    c->n_fields = c->cap_fields = 0;
    for (size_t i = 0; i < m->n_header; i++)
        trim(m->header[i]);
    bool *dup = calloc(m->n_header ? m->n_header : 1, sizeof *dup);
    if (!dup || !mark_repeated(m->header, m->n_header, dup)) {
        free(dup);
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < m->n_header; i++) {
        if (m->header[i][0] == '\0')
            mf_error_add(m, c->rec_line, "header column %zu has no name", i + 1);
        else if (dup[i])
            mf_error_add(m, c->rec_line, "header column '%s' appears twice", m->header[i]);
    }
    free(dup);
    if (m->flags & QR_MANIFEST_TABLE)
        return; /* every column is meta */
    m->col_id = find_col(m, "file_id");
    m->col_pages = find_col(m, "expected_pages");
    m->col_box = find_col(m, "box");
    m->col_title = find_col(m, "title");
    if (m->col_id < 0)
        mf_error_add(m, c->rec_line, "missing required column 'file_id'");
    if (m->col_pages < 0 && !(m->flags & QR_MANIFEST_STOCK))
        mf_error_add(m, c->rec_line, "missing required column 'expected_pages'");
}

/* Parse expected_pages; -1 when invalid (error reported). */
static int parse_pages(parse_ctx *c, const char *s)
{
    bool optional = c->m->flags & QR_MANIFEST_STOCK;
    if (s[0] == '\0' && optional)
        return 0;
    long v = 0;
    bool ok = s[0] != '\0';
    for (const char *p = s; *p && ok; p++) {
        ok = *p >= '0' && *p <= '9';
        if (ok && v <= QR_MANIFEST_MAX_PAGES)
            v = v * 10 + (*p - '0');
    }
    if (!ok || v < 1) {
        mf_error_add(c->m, c->rec_line, "expected_pages '%s' is not a positive integer", s);
        return -1;
    }
    if (v > QR_MANIFEST_MAX_PAGES) {
        mf_error_add(c->m, c->rec_line, "expected_pages '%s' exceeds the limit of %d", s,
                     QR_MANIFEST_MAX_PAGES);
        return -1;
    }
    return (int)v;
}

/* Why a file_id cannot be used (it names a folder and an archive), or NULL. */
static const char *bad_id_reason(const char *id)
{
    if (id[0] == '\0')
        return "is empty";
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (*p == '/' || *p == '\\')
            return "contains a path separator";
        if (*p < 0x20 || *p == 0x7f)
            return "contains a control character";
    }
    if (id[0] == '.')
        return "starts with a dot (a hidden name, which delivery readers skip)";
    size_t n = strlen(id);
    if (id[0] == ' ' || id[n - 1] == ' ')
        return "begins or ends with a space";
    return NULL;
}

static void take_row(parse_ctx *c)
{
    qr_manifest *m = c->m;
    if (c->n_fields != m->n_header) {
        mf_error_add(m, c->rec_line, "expected %zu fields, found %zu", m->n_header,
                     c->n_fields);
        return;
    }
    if (m->flags & QR_MANIFEST_TABLE) {
        if (!mf_row_add(m, c->fields, c->rec_line, 0))
            m->oom = true;
        return;
    }
    if (m->col_id < 0 || (m->col_pages < 0 && !(m->flags & QR_MANIFEST_STOCK)))
        return; /* the header error says it all */
    for (size_t i = 0; i < c->n_fields; i++)
        if ((int)i != m->col_id)
            trim(c->fields[i]);
    const char *id = c->fields[m->col_id];
    const char *why = bad_id_reason(id);
    if (why) {
        mf_error_add(m, c->rec_line, "file_id '%s' %s", id, why);
        return;
    }
    int pages = m->col_pages >= 0 ? parse_pages(c, c->fields[m->col_pages]) : 0;
    if (pages < 0)
        return;
    if (!mf_row_add(m, c->fields, c->rec_line, pages))
        m->oom = true;
}

static void on_record(int term, void *data)
{
    parse_ctx *c = data;
    if (!c->m->oom) {
        if (!c->header_done)
            take_header(c); /* even when flawed: rows still need the columns */
        else if (!c->rec_bad)
            take_row(c);
    }
    c->header_done = true;
    c->n_fields = 0;
    c->rec_open = false;
    c->rec_bad = false;
}

static bool has_content(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return true;
    return false;
}

/* A strict-mode quote error: report it, drop the record, restart libcsv. */
static int restart_after_error(parse_ctx *c, struct csv_parser *p)
{
    if (!c->rec_bad)
        mf_error_add(c->m, c->rec_line, "unbalanced or misplaced quote");
    csv_free(p);
    c->n_fields = 0;
    c->rec_open = false;
    c->rec_bad = false;
    if (csv_init(p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return QR_ENOMEM;
    csv_set_space_func(p, no_space);
    return QR_OK;
}

static int feed_line(parse_ctx *c, struct csv_parser *p, const unsigned char *s, size_t n)
{
    c->line++;
    if (!c->rec_open) {
        c->rec_line = c->line;
        c->rec_open = has_content(s, n);
    }
    const unsigned char *nul = memchr(s, '\0', n);
    size_t col = utf8_bad_column(s, n);
    if (nul) {
        mf_error_add(c->m, c->line, "the line contains a NUL byte (column %zu); a manifest is "
                     "text", (size_t)(nul - s) + 1);
        c->rec_bad = true;
    } else if (col) {
        mf_error_add(c->m, c->line, "invalid UTF-8 (byte 0x%02X at column %zu)", s[col - 1], col);
        c->rec_bad = true;
    }
    if (csv_parse(p, s, n, on_field, on_record, c) == n)
        return c->m->oom ? QR_ENOMEM : QR_OK;
    if (csv_error(p) != CSV_EPARSE)
        return QR_ENOMEM;
    return restart_after_error(c, p);
}

static int feed_all(parse_ctx *c, const unsigned char *s, size_t len)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return QR_ENOMEM;
    csv_set_space_func(&p, no_space);
    int rc = QR_OK;
    size_t pos = 0;
    while (pos < len && rc == QR_OK) {
        const unsigned char *nl = memchr(s + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (s + pos)) + 1 : len - pos;
        rc = feed_line(c, &p, s + pos, n);
        pos += n;
    }
    if (rc == QR_OK && csv_fini(&p, on_field, on_record, c) != 0) {
        mf_error_add(c->m, c->rec_line, "unterminated quoted field (unbalanced quotes)");
    }
    csv_free(&p);
    return c->m->oom ? QR_ENOMEM : rc;
}

static qr_manifest *manifest_new(const char *name, unsigned flags)
{
    qr_manifest *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->name = qr_strdup(name ? name : "manifest");
    m->flags = flags;
    m->col_id = m->col_pages = m->col_box = m->col_title = -1;
    if (!m->name) {
        free(m);
        return NULL;
    }
    return m;
}

static int summarize(qr_manifest *m, qr_err *err)
{
    if (m->err_total == 0)
        return QR_OK;
    if (m->err_total == 1)
        return qr_err_set(err, QR_ECORRUPT, "%s", m->errs[0].text);
    return qr_err_set(err, QR_ECORRUPT, "%s (and %zu more errors)", m->errs[0].text,
                      m->err_total - 1);
}

int qr_manifest_parse(const char *name, const uint8_t *data, size_t len, unsigned flags,
                      qr_manifest **out, qr_err *err)
{
    *out = NULL;
    if (!data && len)
        return qr_err_set(err, QR_EINVAL, "manifest %s: no data", name ? name : "");
    qr_manifest *m = manifest_new(name, flags);
    if (!m)
        return qr_err_set(err, QR_ENOMEM, "manifest: out of memory");
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    parse_ctx c = {.m = m};
    int rc = len ? feed_all(&c, data, len) : QR_OK;
    free(c.fields);
    if (rc == QR_OK && !c.header_done)
        mf_error_add(m, 1, "empty manifest: no header row");
    else if (rc == QR_OK && m->n_rows == 0 && m->err_total == 0)
        mf_error_add(m, 1, m->flags & QR_MANIFEST_TABLE ? "no rows below the header"
                                                        : "manifest lists no files");
    if (rc == QR_OK)
        mf_finish(m);
    if (rc != QR_OK || m->oom) {
        qr_manifest_free(&m);
        return qr_err_set(err, QR_ENOMEM, "manifest %s: out of memory", name ? name : "");
    }
    *out = m;
    return summarize(m, err);
}

int qr_manifest_load(const char *path, unsigned flags, qr_manifest **out, qr_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = qr_read_file(path, MF_MAX_INPUT, &data, &len, err);
    if (rc != QR_OK)
        return rc;
    rc = qr_manifest_parse(path, data, len, flags, out, err);
    free(data);
    return rc;
}
