/*
 * marks.c: the 8-connected marks of a 1 bpp page, with their boxes.
 *
 * Why: the analysis needs the number of marks (the mean mark size tells
 * broken strokes and speckle from print) and the marks' boxes (letter
 * height). Leptonica's pixConnCompBB finds them by seed-filling each mark on
 * a copy of the page, touching every ink pixel several times; on the
 * working-resolution page that was a quarter of a bitonal page's analysis.
 *
 * Here a mark is a set of runs. The rows are read once, a word at a time:
 * a run starts at an ink pixel whose left neighbour is paper and ends at one
 * whose right neighbour is paper, so both are bit masks of the packed row.
 * A run joins the marks of the runs above it that touch it, including
 * diagonally (union-find with path halving; a mark's root keeps its box and
 * area). A run that touches one mark only, the usual case, makes no new set,
 * so the sets number about the marks, not the runs.
 *
 * Runs on the calling worker thread; reads only its argument.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stages_int.h"

typedef struct {
    int *parent;
    qr_mark *box; /* valid at roots */
    int n;
    size_t cap_parent, cap_box;
} mark_sets;

typedef struct {
    int s, e; /* first and last pixel */
    int set;
} run;

static int find(mark_sets *m, int i)
{
    while (m->parent[i] != i) {
        m->parent[i] = m->parent[m->parent[i]];
        i = m->parent[i];
    }
    return i;
}

static int new_set(mark_sets *m, int y, const run *r)
{
    size_t need = (size_t)m->n + 1;
    if (qr_grow(&m->parent, &m->cap_parent, need, sizeof *m->parent) != QR_OK ||
        qr_grow(&m->box, &m->cap_box, need, sizeof *m->box) != QR_OK)
        return -1;
    int i = m->n++;
    m->parent[i] = i;
    m->box[i] = (qr_mark){r->s, y, r->e - r->s + 1, 1, r->e - r->s + 1};
    return i;
}

/* Grows root a's box by the run r on row y. */
static void add_run(qr_mark *a, int y, const run *r)
{
    int x1 = a->x + a->w, y1 = a->y + a->h;
    if (r->s < a->x)
        a->x = r->s;
    if (r->e + 1 > x1)
        x1 = r->e + 1;
    if (y + 1 > y1)
        y1 = y + 1;
    a->w = x1 - a->x;
    a->h = y1 - a->y;
    a->area += r->e - r->s + 1;
}

/* Joins the sets of roots a and b; returns the root kept. */
static int join(mark_sets *m, int a, int b)
{
    if (a == b)
        return a;
    qr_mark *A = &m->box[a], *B = &m->box[b];
    int x1 = A->x + A->w > B->x + B->w ? A->x + A->w : B->x + B->w;
    int y1 = A->y + A->h > B->y + B->h ? A->y + A->h : B->y + B->h;
    A->x = A->x < B->x ? A->x : B->x;
    A->y = A->y < B->y ? A->y : B->y;
    A->w = x1 - A->x;
    A->h = y1 - A->y;
    A->area += B->area;
    m->parent[b] = a;
    return a;
}

/* The runs of one packed row, in order; returns their number. */
static int row_runs(const uint32_t *row, int wpl, uint32_t mask, run *out)
{
    int n = 0;
    for (int j = 0; j < wpl; j++) {
        uint32_t left, right;
        uint32_t c = qr_row_word(row, j, wpl, mask, &left, &right);
        if (!c)
            continue;
        uint32_t starts = c & ~left; /* ink whose left neighbour is paper */
        uint32_t ends = c & ~right;
        while (starts | ends) {
            /* within a word a run's start comes before its end; a run
             * begun in an earlier word has only its end here */
            int bs = starts ? __builtin_clz(starts) : 32;
            int be = ends ? __builtin_clz(ends) : 32;
            if (bs <= be) {
                out[n].s = j * 32 + bs;
                starts &= ~(0x80000000u >> bs);
            } else {
                out[n++].e = j * 32 + be;
                ends &= ~(0x80000000u >> be);
            }
            if (bs == be) { /* a one-pixel run */
                out[n++].e = j * 32 + be;
                ends &= ~(0x80000000u >> be);
            }
        }
    }
    return n;
}

/* Links the runs of row y to the touching runs of the row above. */
static int link_row(mark_sets *m, int y, run *cur, int nc, const run *up, int nu)
{
    int k = 0;
    for (int i = 0; i < nc; i++) {
        while (k < nu && up[k].e < cur[i].s - 1)
            k++;
        int root = -1;
        for (int t = k; t < nu && up[t].s <= cur[i].e + 1; t++) {
            int r = find(m, up[t].set);
            root = root < 0 ? r : join(m, root, r);
        }
        if (root < 0) {
            root = new_set(m, y, &cur[i]);
            if (root < 0)
                return QR_ENOMEM;
        } else {
            add_run(&m->box[root], y, &cur[i]);
        }
        cur[i].set = root;
    }
    return QR_OK;
}

/* The roots' boxes, packed to the front of m->box; returns their number. */
static int collect(mark_sets *m)
{
    int n = 0;
    for (int i = 0; i < m->n; i++)
        if (m->parent[i] == i)
            m->box[n++] = m->box[i];
    return n;
}

int qr_find_marks(PIX *bin, qr_mark **marks, int *count)
{
    *count = 0;
    if (marks)
        *marks = NULL;
    if (!bin || pixGetDepth(bin) != 1)
        return QR_EINVAL;
    int w = pixGetWidth(bin), h = pixGetHeight(bin), wpl = pixGetWpl(bin);
    int tail = w % 32;
    uint32_t mask = tail ? ~0u << (32 - tail) : ~0u;
    run *a = malloc(((size_t)w / 2 + 1) * sizeof *a);
    run *b = malloc(((size_t)w / 2 + 1) * sizeof *b);
    mark_sets m = {0};
    int rc = a && b ? QR_OK : QR_ENOMEM, nu = 0;
    const uint32_t *data = pixGetData(bin);
    for (int y = 0; y < h && rc == QR_OK; y++) {
        int nc = row_runs(data + (size_t)y * wpl, wpl, mask, b);
        rc = link_row(&m, y, b, nc, a, nu);
        run *t = a; /* this row is the next one's row above */
        a = b;
        b = t;
        nu = nc;
    }
    free(a);
    free(b);
    if (rc == QR_OK)
        *count = collect(&m);
    free(m.parent);
    if (rc == QR_OK && marks)
        *marks = m.box;
    else
        free(m.box);
    return rc;
}
