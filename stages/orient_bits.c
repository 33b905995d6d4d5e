/*
 * orient_bits.c: the ascender/descender orientation statistic, computed on
 * packed 64-bit rows.
 *
 * The statistic is Bloomberg, Kopec and Dasari's (SPIE 2422, 1995), as in
 * Leptonica's up/down test: close the text into word blobs (8 px vertically,
 * then 30 px horizontally, at 150 dpi), find the inner corners beside
 * ascenders (above the x-height) and beside descenders (below it) with
 * hit-miss patterns, count them in 4x4 cells, and score the difference as
 * 2 (up - down) / sqrt(up + down). The patterns and the closing are the same,
 * so the confidences the profile's thresholds were tuned on keep their
 * meaning (a unit test compares the two on real pages).
 *
 * Why not call Leptonica: its test takes one full-image raster operation per
 * pattern element (17 per pattern, four patterns) plus a 90 degree rotation
 * for the sideways test, 4-5 ms per page side at 150 dpi, which made
 * orientation the largest part of the analysis. Here every long run is built
 * by doubling (a 30 px closing is five shift passes, not 30), the patterns
 * share their runs, the up and down counts come out of one pass, and the
 * sideways test reads a 64x64-block transposition of the page instead of a
 * rotated copy.
 *
 * Boundary convention: pixels outside the page are paper (0) for every
 * operation, as with Leptonica's default (asymmetric) convention.
 *
 * Runs on the calling thread; all buffers are the call's own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "stages_int.h"

/* A 1 bpp page as rows of 64-bit words, leftmost pixel in the top bit, with
 * one zero guard word on each side of every row so that shifting by less
 * than 64 px never needs a bounds check. Bits past the width are 0. */
typedef struct bits {
    int w, h;
    int wpr;        /* words per row, guards included */
    uint64_t *row0; /* row y starts at row0 + y * wpr + 1 */
} bits;

static uint64_t *bits_row(const bits *b, int y)
{
    return b->row0 + (size_t)y * (size_t)b->wpr + 1;
}

static int bits_init(bits *b, int w, int h)
{
    b->w = w;
    b->h = h;
    b->wpr = (w + 63) / 64 + 2;
    b->row0 = calloc((size_t)h * (size_t)b->wpr, sizeof *b->row0);
    return b->row0 ? 0 : -1;
}

static void bits_free(bits *b)
{
    free(b->row0);
    b->row0 = NULL;
}

static int bits_words(const bits *b)
{
    return b->wpr - 2;
}

/* Pixel x + dx of row r, for every x of one word at once (|dx| < 64). */
static inline uint64_t shifted(const uint64_t *r, int i, int dx)
{
    if (dx == 0)
        return r[i];
    if (dx > 0)
        return (r[i] << dx) | (r[i + 1] >> (64 - dx));
    return (r[i] >> -dx) | (r[i - 1] << (64 + dx));
}

/* Leptonica keeps 32-bit words, leftmost pixel in the top bit. */
static int bits_from_pix(PIX *pix, bits *b)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix);
    if (bits_init(b, w, h) != 0)
        return -1;
    const l_uint32 *data = pixGetData(pix);
    int nw = bits_words(b);
    uint64_t tail = (w & 63) ? ~0ULL << (64 - (w & 63)) : ~0ULL;
    for (int y = 0; y < h; y++) {
        const l_uint32 *src = data + (size_t)y * (size_t)wpl;
        uint64_t *dst = bits_row(b, y);
        for (int i = 0; i < nw; i++) {
            uint64_t hi = src[2 * i];
            uint64_t lo = 2 * i + 1 < wpl ? src[2 * i + 1] : 0;
            dst[i] = hi << 32 | lo;
        }
        dst[nw - 1] &= tail;
    }
    return 0;
}

/* Transpose one 64x64 block in place: a[r] bit 63-c becomes a[c] bit 63-r
 * (six rounds of masked swaps of ever smaller sub-blocks). */
static void transpose64(uint64_t a[64])
{
    uint64_t m = 0x00000000FFFFFFFFULL;
    for (int j = 32; j != 0; j >>= 1, m ^= m << j) {
        for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
            uint64_t t = (a[k] ^ (a[k | j] >> j)) & m;
            a[k] ^= t;
            a[k | j] ^= t << j;
        }
    }
}

/* out = the transposition of in (rows become columns). */
static int bits_transpose(const bits *in, bits *out)
{
    if (bits_init(out, in->h, in->w) != 0)
        return -1;
    uint64_t blk[64];
    for (int by = 0; by < in->h; by += 64) {
        int rows = in->h - by < 64 ? in->h - by : 64;
        for (int bx = 0; bx < bits_words(in); bx++) {
            for (int k = 0; k < 64; k++)
                blk[k] = k < rows ? bits_row(in, by + k)[bx] : 0;
            transpose64(blk);
            int cols = in->w - 64 * bx < 64 ? in->w - 64 * bx : 64;
            for (int k = 0; k < cols; k++)
                bits_row(out, 64 * bx + k)[by / 64] = blk[k];
        }
    }
    return 0;
}

/* Vertical closing by a brick 8 rows high (origin at row 4): dilation reads
 * rows y-3..y+4, erosion rows y-4..y+3; rows outside the page are 0. */
#define VCLOSE 8
static int close_vertical(bits *b)
{
    int h = b->h, nw = bits_words(b);
    int up = VCLOSE / 2 - 1, down = VCLOSE / 2; /* dilation reads y-up .. y+down */
    bits t;
    if (bits_init(&t, b->w, h) != 0)
        return -1;
    for (int y = 0; y < h; y++) {
        uint64_t *d = bits_row(&t, y);
        for (int k = y - up; k <= y + down; k++) {
            if (k < 0 || k >= h)
                continue;
            const uint64_t *s = bits_row(b, k);
            for (int i = 0; i < nw; i++)
                d[i] |= s[i];
        }
    }
    /* erosion reads y-down .. y+up; a row whose window leaves the page is 0 */
    for (int y = 0; y < h; y++) {
        uint64_t *d = bits_row(b, y);
        if (y - down < 0 || y + up >= h) {
            memset(d, 0, (size_t)nw * sizeof *d);
            continue;
        }
        memcpy(d, bits_row(&t, y - down), (size_t)nw * sizeof *d);
        for (int k = y - down + 1; k <= y + up; k++) {
            const uint64_t *s = bits_row(&t, k);
            for (int i = 0; i < nw; i++)
                d[i] &= s[i];
        }
    }
    bits_free(&t);
    return 0;
}

/* A run along the row by doubling: afterwards dst[x] holds the OR (or AND)
 * of src[x + off .. x + off + len - 1]. Rows have guard words; tmp must be
 * as wide. len <= 64, |off| + len < 64. */
static void run_row(const uint64_t *src, uint64_t *dst, uint64_t *tmp, int nw, int off,
                    int len, bool and_op)
{
    /* tmp = the run of the largest power of two <= len starting at x */
    memcpy(tmp - 1, src - 1, (size_t)(nw + 2) * sizeof *tmp);
    int have = 1;
    while (2 * have <= len) {
        for (int i = 0; i < nw; i++) {
            uint64_t s = shifted(tmp, i, have);
            dst[i] = and_op ? tmp[i] & s : tmp[i] | s;
        }
        memcpy(tmp, dst, (size_t)nw * sizeof *tmp);
        have *= 2;
    }
    /* len = have + rest: join the run at x and the run at x + len - have,
     * then move the start to off. */
    int rest = len - have;
    for (int i = 0; i < nw; i++) {
        uint64_t s = rest ? shifted(tmp, i, rest) : tmp[i];
        dst[i] = and_op ? tmp[i] & s : tmp[i] | s;
    }
    memcpy(tmp, dst, (size_t)nw * sizeof *tmp);
    for (int i = 0; i < nw; i++)
        dst[i] = shifted(tmp, i, off);
}

/* Horizontal closing by a brick 30 px wide (origin at 15): dilation reads
 * x-14..x+15, erosion x-15..x+14; outside the page is 0. */
#define HCLOSE 30
static int close_horizontal(bits *b)
{
    int nw = bits_words(b);
    uint64_t *buf = calloc((size_t)2 * (size_t)b->wpr, sizeof *buf);
    if (!buf)
        return -1;
    uint64_t *tmp = buf + 1, *mid = buf + b->wpr + 1;
    uint64_t tail = (b->w & 63) ? ~0ULL << (64 - (b->w & 63)) : ~0ULL;
    for (int y = 0; y < b->h; y++) {
        uint64_t *r = bits_row(b, y);
        run_row(r, mid, tmp, nw, -(HCLOSE / 2 - 1), HCLOSE, false);
        mid[nw - 1] &= tail;
        run_row(mid, r, tmp, nw, -(HCLOSE / 2), HCLOSE, true);
        r[nw - 1] &= tail;
    }
    free(buf);
    return 0;
}

/* out(y) = AND of in(y .. y+4), 0 where that leaves the page. */
static void erode_down5(const bits *in, bits *out)
{
    int nw = bits_words(in);
    for (int y = 0; y + 4 < in->h; y++) {
        uint64_t *d = bits_row(out, y);
        memcpy(d, bits_row(in, y), (size_t)nw * sizeof *d);
        for (int k = 1; k <= 4; k++) {
            const uint64_t *s = bits_row(in, y + k);
            for (int i = 0; i < nw; i++)
                d[i] &= s[i];
        }
    }
}

/* out(x) = AND of in(x .. x+5) along the row. */
static void erode_right6(const bits *in, bits *out)
{
    int nw = bits_words(in);
    for (int y = 0; y < in->h; y++) {
        const uint64_t *s = bits_row(in, y);
        uint64_t *d = bits_row(out, y);
        for (int i = 0; i < nw; i++) {
            uint64_t v = s[i];
            for (int j = 1; j < 6; j++)
                v &= shifted(s, i, j);
            d[i] = v;
        }
    }
}

/* 4x4 cells holding at least one hit, over the whole cells of the page (as
 * Leptonica counts after two 2x "any" reductions). Cells start at column
 * `skip` (acc has guard words); lastmask keeps the whole cells of the last
 * word. */
static long count_cells(const uint64_t *acc, int nw, int skip, uint64_t lastmask)
{
    long n = 0;
    for (int i = 0; i < nw; i++) {
        uint64_t v = shifted(acc, i, skip);
        if (i == nw - 1)
            v &= lastmask;
        v |= v << 1;
        v |= v << 2; /* each nibble's top bit: any of its four pixels */
        n += __builtin_popcountll(v & 0x8888888888888888ULL);
    }
    return n;
}

/* Row y of b, or NULL outside the page. */
static const uint64_t *row_or_null(const bits *b, int y)
{
    return y >= 0 && y < b->h ? bits_row(b, y) : NULL;
}

static inline uint64_t word_or(const uint64_t *r, int i, int dx, uint64_t outside)
{
    return r ? shifted(r, i, dx) : outside;
}

/*
 * The four patterns around an origin x on row y of the closed page c (v5:
 * c eroded downwards by 5 rows, h6: c eroded rightwards by 6 px; n = not c):
 *   all four:  n(y-1, x), n(y, x-1..x+1), n(y+1, x)
 *   up, right of a stroke:  v5(y-1, x-3), h6(y+3, x-3), n(y-1, x+1)
 *   up, left of a stroke:   v5(y-1, x+3), h6(y+3, x-2), n(y-1, x-1)
 *   down, right of a stroke: v5(y-3, x-3), h6(y-3, x-3), n(y+1, x+1)
 *   down, left of a stroke:  v5(y-3, x+3), h6(y-3, x-2), n(y+1, x-1)
 * The up and down hits of four rows are gathered into acc_up / acc_down.
 */
static void match_row(const bits *c, const bits *v5, const bits *h6, int y, uint64_t *acc_up,
                      uint64_t *acc_down)
{
    const uint64_t *cp = row_or_null(c, y - 1), *cy = bits_row(c, y),
                   *cn = row_or_null(c, y + 1);
    const uint64_t *vu = row_or_null(v5, y - 1), *vd = row_or_null(v5, y - 3);
    const uint64_t *hu = row_or_null(h6, y + 3), *hd = row_or_null(h6, y - 3);
    int nw = bits_words(c);
    for (int i = 0; i < nw; i++) {
        uint64_t common = ~(word_or(cp, i, 0, 0) | cy[i] | shifted(cy, i, -1) |
                            shifted(cy, i, 1) | word_or(cn, i, 0, 0));
        if (!common)
            continue;
        uint64_t up = 0, down = 0;
        if (vu && hu) {
            up = (shifted(vu, i, -3) & shifted(hu, i, -3) & ~word_or(cp, i, 1, 0)) |
                 (shifted(vu, i, 3) & shifted(hu, i, -2) & ~word_or(cp, i, -1, 0));
        }
        if (vd && hd) {
            down = (shifted(vd, i, -3) & shifted(hd, i, -3) & ~word_or(cn, i, 1, 0)) |
                   (shifted(vd, i, 3) & shifted(hd, i, -2) & ~word_or(cn, i, -1, 0));
        }
        acc_up[i] |= up & common;
        acc_down[i] |= down & common;
    }
}

/* Mask of the last row word that keeps the pixels before column `end`. */
static uint64_t keep_before(int end, int nw)
{
    int first = 64 * (nw - 1);
    if (end <= first)
        return 0;
    return (end & 63) ? ~0ULL << (64 - (end & 63)) : ~0ULL;
}

/* Up and down hits of the closed page, counted in whole 4x4 cells. A
 * mirrored page (the transposition of the turned one) counts its cells from
 * the right edge, so that they are the turned page's cells mirrored. */
static int count_hits(const bits *c, bool mirrored, long *nup, long *ndown)
{
    bits v5 = {0}, h6 = {0};
    int nw = bits_words(c);
    uint64_t *acc = calloc((size_t)2 * (size_t)(nw + 2), sizeof *acc);
    if (!acc || bits_init(&v5, c->w, c->h) != 0 || bits_init(&h6, c->w, c->h) != 0) {
        bits_free(&v5);
        free(acc);
        return -1;
    }
    uint64_t *au = acc + 1, *ad = acc + nw + 3;
    erode_down5(c, &v5);
    erode_right6(c, &h6);
    int skip = mirrored ? c->w % 4 : 0;
    uint64_t lastmask = keep_before(c->w / 4 * 4, nw);
    *nup = *ndown = 0;
    for (int y0 = 0; y0 + 4 <= c->h; y0 += 4) {
        memset(au, 0, (size_t)nw * sizeof *au);
        memset(ad, 0, (size_t)nw * sizeof *ad);
        for (int y = y0; y < y0 + 4; y++)
            match_row(c, &v5, &h6, y, au, ad);
        *nup += count_cells(au, nw, skip, lastmask);
        *ndown += count_cells(ad, nw, skip, lastmask);
    }
    bits_free(&v5);
    bits_free(&h6);
    free(acc);
    return 0;
}

/* Fewer hits than this either way, and the page gives no answer (0). */
#define MIN_HITS 70

static int updown(bits *b, bool mirrored, double *conf)
{
    *conf = 0.0;
    if (close_vertical(b) != 0 || close_horizontal(b) != 0)
        return -1;
    long up = 0, down = 0;
    if (count_hits(b, mirrored, &up, &down) != 0)
        return -1;
    if ((up > down ? up : down) > MIN_HITS)
        *conf = 2.0 * (double)(up - down) / sqrt((double)(up + down));
    return 0;
}

/* The confidence of bin as it lies, or turned (read transposed: a mirror
 * image of the turned page, which the test cannot tell apart). */
static int conf_of(PIX *bin, bool turned, double *conf)
{
    bits b, t = {0};
    if (bits_from_pix(bin, &b) != 0)
        return -1;
    int rc = 0;
    if (turned) {
        rc = bits_transpose(&b, &t);
        bits_free(&b);
        b = t;
    }
    if (rc == 0)
        rc = updown(&b, turned, conf);
    bits_free(&b);
    return rc;
}

int qr_orient_confs(PIX *bin, double sure_up, double *up, double *left)
{
    *up = *left = 0.0;
    if (!bin || pixGetDepth(bin) != 1)
        return -1;
    int rc = conf_of(bin, false, up);
    if (rc == 0 && *up < sure_up)
        rc = conf_of(bin, true, left);
    if (rc != 0)
        *up = *left = 0.0;
    return rc;
}
