/*
 * stroke.c: how wide the strokes of a 1 bpp page are.
 *
 * Why: a faded original scanned in black and white loses the edges of its
 * strokes first; the scanner's threshold keeps only their cores. Strokes that
 * stay whole are no longer broken into dots (which the mark size catches),
 * but they are thinner than print: about 2 px at 300 dpi, where the corpus's
 * clean bitonal sources are 2.4 px or more.
 *
 * The mean width of a stroke is twice its area over its boundary (a long
 * stroke of width w has w pixels across for every 2 on its edges), so it
 * needs only two pixel counts: the ink, and the ink whose four neighbours
 * are all ink. Both are read from the packed rows a word at a time, at the
 * page's own resolution: the reduced page would merge or widen exactly the
 * pixels that tell a thin stroke from a normal one. A page has thousands of
 * strokes, so every fourth row is enough: on the corpus's pages the width
 * read so is within 2 % of the whole count, at a quarter of the cost.
 *
 * Runs on the calling worker thread; reads only its argument.
 */
#include <stdint.h>

#include "stages_int.h"

/* Set bits of a word, by halves (the builtin is a library call unless the
 * build targets a CPU with a popcount instruction). */
static inline int bits(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    v = (v + (v >> 4)) & 0x0f0f0f0fu;
    return (int)((v * 0x01010101u) >> 24);
}

/* Ink pixels of one row, and those whose four neighbours are ink too;
 * pixels outside the image are paper. mask clears the padding bits of the
 * last word. */
static void count_row(const uint32_t *up, const uint32_t *row, const uint32_t *down, int wpl,
                      uint32_t mask, long long *ink, long long *inner)
{
    for (int j = 0; j < wpl; j++) {
        uint32_t left, right;
        uint32_t c = qr_row_word(row, j, wpl, mask, &left, &right);
        if (!c)
            continue;
        uint32_t in = c & left & right & (up ? up[j] : 0) & (down ? down[j] : 0);
        *ink += bits(c);
        *inner += bits(in);
    }
}

double qr_stroke_width(PIX *bin, int step, long long *ink_out)
{
    *ink_out = 0;
    if (!bin || pixGetDepth(bin) != 1 || step < 1)
        return -1.0;
    int w = pixGetWidth(bin), h = pixGetHeight(bin), wpl = pixGetWpl(bin);
    const uint32_t *data = pixGetData(bin);
    int tail = w % 32;
    uint32_t mask = tail ? ~0u << (32 - tail) : ~0u;
    long long ink = 0, inner = 0;
    for (int y = 0; y < h; y += step) {
        const uint32_t *row = data + (size_t)y * wpl;
        count_row(y > 0 ? row - wpl : NULL, row, y + 1 < h ? row + wpl : NULL, wpl, mask, &ink,
                  &inner);
    }
    *ink_out = ink * step;
    long long edge = ink - inner;
    return edge > 0 ? 2.0 * (double)ink / (double)edge : -1.0;
}
