/*
 * The manifest object: error collection, row storage, the sorted lookup index
 * and duplicate detection. Built on one thread by parse.c; read-only (and so
 * safe to share between threads) once qr_manifest_parse has returned.
 */
#include "manifest_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_error_add(qr_manifest *m, int line, const char *fmt, ...)
{
    m->err_total++;
    if (m->n_errs >= QR_MANIFEST_MAX_ERRORS)
        return;
    if (qr_grow(&m->errs, &m->cap_errs, m->n_errs + 1, sizeof *m->errs) != QR_OK) {
        m->oom = true;
        return;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *text = NULL;
    if (asprintf(&text, "%s:%d: %s", m->name, line, msg) < 0) { m->oom = true; return; }
    m->errs[m->n_errs] = (mf_error){.line = line, .seq = m->n_errs, .text = text};
    m->n_errs++;
}

static bool is_known_col(const qr_manifest *m, size_t c)
{
    int ci = (int)c;
    return ci == m->col_id || ci == m->col_pages || ci == m->col_box || ci == m->col_title;
}

struct mf_chunk {
    struct mf_chunk *next;
    size_t used, cap;
    char data[];
};

char *mf_strndup(qr_manifest *m, const char *s, size_t len)
{
    size_t need;
    if (!qr_add_size(len, 1, &need)) { m->oom = true; return NULL; }
    struct mf_chunk *c = m->arena;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > 65536 ? need : 65536, total;
        if (!qr_add_size(sizeof *c, cap, &total) || !(c = malloc(total))) {
            m->oom = true;
            return NULL;
        }
        c->next = m->arena;
        c->used = 0;
        c->cap = cap;
        m->arena = c;
    }
    char *p = c->data + c->used;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    c->used += need;
    return p;
}

void mf_arena_free(qr_manifest *m)
{
    while (m->arena) {
        struct mf_chunk *n = m->arena->next;
        free(m->arena);
        m->arena = n;
    }
}

static bool row_meta(qr_manifest *m, qr_manifest_row *r, char *const *fields)
{
    size_t n = 0;
    for (size_t c = 0; c < m->n_header; c++)
        n += !is_known_col(m, c);
    r->n_meta = n;
    r->meta = NULL;
    if (n == 0)
        return true;
    qr_manifest_kv *kv = qr_malloc_array(n, sizeof *kv);
    if (!kv)
        return false;
    size_t k = 0;
    for (size_t c = 0; c < m->n_header; c++)
        if (!is_known_col(m, c))
            kv[k++] = (qr_manifest_kv){.key = m->header[c], .value = fields[c]};
    r->meta = kv;
    return true;
}

bool mf_row_add(qr_manifest *m, char *const *fields, int line, int pages)
{
    if (qr_grow(&m->rows, &m->cap_rows, m->n_rows + 1, sizeof *m->rows) != QR_OK)
        return false;
    qr_manifest_row *r = &m->rows[m->n_rows];
    r->file_id = m->col_id >= 0 ? fields[m->col_id] : "";
    r->box = m->col_box >= 0 ? fields[m->col_box] : "";
    r->title = m->col_title >= 0 ? fields[m->col_title] : "";
    r->expected_pages = pages;
    r->line = line;
    if (!row_meta(m, r, fields))
        return false;
    m->n_rows++;
    return true;
}

static int cmp_index(const void *a, const void *b, void *ctx)
{
    const qr_manifest *m = ctx;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int c = strcmp(m->rows[ia].file_id, m->rows[ib].file_id);
    if (c)
        return c;
    return (ia > ib) - (ia < ib);
}

static int cmp_err(const void *a, const void *b)
{
    const mf_error *x = a, *y = b;
    if (x->line != y->line)
        return (x->line > y->line) - (x->line < y->line);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Drop rows whose id repeats an earlier row's id, reporting each. */
static void drop_duplicates(qr_manifest *m)
{
    bool *dup = calloc(m->n_rows ? m->n_rows : 1, sizeof *dup);
    if (!dup) { m->oom = true; return; }
    for (size_t k = 1; k < m->n_rows; k++) {
        const qr_manifest_row *first = &m->rows[m->index[k - 1]];
        const qr_manifest_row *r = &m->rows[m->index[k]];
        if (strcmp(first->file_id, r->file_id) != 0)
            continue;
        size_t j = k - 1; /* walk back to the first occurrence */
        while (j > 0 && strcmp(m->rows[m->index[j - 1]].file_id, r->file_id) == 0)
            j--;
        mf_error_add(m, r->line, "duplicate file_id '%s' (first on line %d)", r->file_id,
                     m->rows[m->index[j]].line);
        dup[m->index[k]] = true;
    }
    size_t w = 0;
    for (size_t i = 0; i < m->n_rows; i++) {
        if (dup[i]) {
            free((void *)m->rows[i].meta);
            continue; /* its strings stay in the arena */
        }
        m->rows[w++] = m->rows[i];
    }
    m->n_rows = w;
    free(dup);
}

static void build_index(qr_manifest *m)
{
    free(m->index);
    m->index = qr_malloc_array(m->n_rows ? m->n_rows : 1, sizeof *m->index);
    if (!m->index) { m->oom = true; return; }
    for (size_t i = 0; i < m->n_rows; i++)
        m->index[i] = i;
    qsort_r(m->index, m->n_rows, sizeof *m->index, cmp_index, m);
}

void mf_finish(qr_manifest *m)
{
    if (!(m->flags & QR_MANIFEST_TABLE)) { /* a table's rows have no file_id key */
        build_index(m);
        if (m->oom)
            return;
        size_t before = m->n_rows;
        drop_duplicates(m);
        if (m->n_rows != before)
            build_index(m);
    }
    if (m->n_errs > 1)
        qsort(m->errs, m->n_errs, sizeof *m->errs, cmp_err);
}

void qr_manifest_free(qr_manifest **mp)
{
    if (!mp || !*mp)
        return;
    qr_manifest *m = *mp;
    for (size_t i = 0; i < m->n_rows; i++)
        free((void *)m->rows[i].meta);
    for (size_t i = 0; i < m->n_errs; i++)
        free(m->errs[i].text);
    free(m->errs);
    free(m->rows);
    free(m->index);
    free(m->header);
    free(m->name);
    mf_arena_free(m);
    free(m);
    *mp = NULL;
}

const char *qr_manifest_name(const qr_manifest *m) { return m->name; }
size_t qr_manifest_count(const qr_manifest *m) { return m->n_rows; }
size_t qr_manifest_error_count(const qr_manifest *m) { return m->n_errs; }
size_t qr_manifest_error_total(const qr_manifest *m) { return m->err_total; }

const qr_manifest_row *qr_manifest_row_at(const qr_manifest *m, size_t i)
{
    return i < m->n_rows ? &m->rows[i] : NULL;
}

const char *qr_manifest_error_at(const qr_manifest *m, size_t i)
{
    return i < m->n_errs ? m->errs[i].text : NULL;
}

int qr_manifest_error_line(const qr_manifest *m, size_t i)
{
    return i < m->n_errs ? m->errs[i].line : 0;
}

const qr_manifest_row *qr_manifest_find(const qr_manifest *m, const char *file_id)
{
    size_t lo = 0, hi = m->index ? m->n_rows : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const qr_manifest_row *r = &m->rows[m->index[mid]];
        int c = strcmp(file_id, r->file_id);
        if (c == 0)
            return r;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int64_t qr_manifest_total_pages(const qr_manifest *m)
{
    int64_t t = 0;
    for (size_t i = 0; i < m->n_rows; i++)
        t += m->rows[i].expected_pages;
    return t;
}
