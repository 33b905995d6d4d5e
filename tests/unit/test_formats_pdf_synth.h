/*
 * Synthetic pages for the PDF writer's tests, made with the codec libraries
 * directly (zlib, libtiff, TurboJPEG) so the writer is tested without the
 * project's own image codecs. Every image is a light background with a dark
 * rectangle over the middle half (from 1/4 to 3/4 of each side), so a
 * rendering of the page can be checked at two points. Colour images use a
 * red rectangle.
 *
 * Also: a small runner for external tools that captures stdout and stderr.
 */
#ifndef TEST_FORMATS_PDF_SYNTH_H
#define TEST_FORMATS_PDF_SYNTH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include "qr_pdf.h"
#include "qr_test.h"

typedef struct synth_page {
    qr_pdf_image img;
    uint8_t *owned;
} synth_page;

static inline bool synth_in_rect(int x, int y, int w, int h)
{
    return x >= w / 4 && x < 3 * w / 4 && y >= h / 4 && y < 3 * h / 4;
}

/* Packed rows, 1 bit per pixel, MSB first; bit = ink ? ink_bit : !ink_bit. */
static inline uint8_t *synth_bits(int w, int h, int ink_bit, size_t *stride)
{
    *stride = (size_t)(w + 7) / 8;
    uint8_t *p = calloc(*stride * (size_t)h, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int bit = synth_in_rect(x, y, w, h) ? ink_bit : !ink_bit;
            if (bit)
                p[(size_t)y * *stride + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
        }
    return p;
}

/* 8-bit pixels, 1 or 3 components. */
static inline uint8_t *synth_pixels(int w, int h, int comp)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * (size_t)comp);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * (size_t)comp;
            bool in = synth_in_rect(x, y, w, h);
            if (comp == 1) {
                q[0] = in ? 20 : 240;
            } else {
                q[0] = in ? 220 : 245;
                q[1] = in ? 20 : 245;
                q[2] = in ? 30 : 245;
            }
        }
    return p;
}

static inline void synth_fill(synth_page *s, qr_filter f, int w, int h, int comp, int bpc,
                              double dpi)
{
    memset(&s->img, 0, sizeof s->img);
    s->img.filter = f;
    s->img.width = w;
    s->img.height = h;
    s->img.components = comp;
    s->img.bpc = bpc;
    s->img.xdpi = s->img.ydpi = dpi;
    s->img.data = s->owned;
}

static inline void synth_flate(synth_page *s, int w, int h, int comp, int bpc, double dpi)
{
    size_t stride, n;
    uint8_t *raw;
    if (bpc == 1) {
        raw = synth_bits(w, h, 0, &stride); /* 1 = white in a gray space */
        n = stride * (size_t)h;
    } else {
        raw = synth_pixels(w, h, comp);
        n = (size_t)w * (size_t)h * (size_t)comp;
    }
    uLongf out = compressBound((uLong)n);
    s->owned = malloc(out);
    CHECK(compress2(s->owned, &out, raw, (uLong)n, 9) == Z_OK);
    free(raw);
    synth_fill(s, QR_FILTER_FLATE, w, h, comp, bpc, dpi);
    s->img.len = out;
}

static inline void synth_jpeg(synth_page *s, int w, int h, int comp, double dpi)
{
    uint8_t *raw = synth_pixels(w, h, comp);
    tjhandle tj = tjInitCompress();
    unsigned char *jpeg = NULL;
    unsigned long len = 0;
    int rc = tjCompress2(tj, raw, w, 0, h, comp == 3 ? TJPF_RGB : TJPF_GRAY, &jpeg, &len,
                         comp == 3 ? TJSAMP_444 : TJSAMP_GRAY, 90, 0);
    CHECK(rc == 0);
    s->owned = malloc(len);
    memcpy(s->owned, jpeg, len);
    tjFree(jpeg);
    tjDestroy(tj);
    free(raw);
    synth_fill(s, QR_FILTER_DCT, w, h, comp, 8, dpi);
    s->img.len = len;
}

/* A G4 strip as libtiff writes it. min_is_black: the TIFF's photometric,
 * pixels are then stored with 1 = white, and the PDF must invert them. */
static inline void synth_g4(synth_page *s, const char *dir, int w, int h, bool min_is_black,
                            double dpi)
{
    char path[600];
    snprintf(path, sizeof path, "%s/g4-%d.tif", dir, (int)getpid());
    size_t stride;
    uint8_t *bits = synth_bits(w, h, min_is_black ? 0 : 1, &stride);
    TIFF *t = TIFFOpen(path, "w");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                 min_is_black ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
    for (int y = 0; y < h; y++)
        TIFFWriteScanline(t, bits + (size_t)y * stride, (uint32_t)y, 0);
    TIFFClose(t);
    free(bits);
    t = TIFFOpen(path, "r");
    uint64_t *counts = NULL;
    TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts);
    s->owned = malloc(counts[0]);
    tmsize_t got = TIFFReadRawStrip(t, 0, s->owned, (tmsize_t)counts[0]);
    CHECK(got == (tmsize_t)counts[0]);
    TIFFClose(t);
    unlink(path);
    synth_fill(s, QR_FILTER_CCITT_G4, w, h, 1, 1, dpi);
    s->img.len = (size_t)got;
    s->img.invert = min_is_black;
}

static inline void synth_free(synth_page *s)
{
    free(s->owned);
    s->owned = NULL;
}

/* ---- reading a rendering back (pdftoppm's PGM / PPM) ----------------- */

typedef struct raster {
    int w, h, comp;
    uint8_t *px;
} raster;

static inline bool read_pnm(const char *path, raster *r)
{
    size_t len;
    uint8_t *d = qr_test_read(path, &len);
    int maxv = 0, used = 0;
    char magic[3] = "";
    if (sscanf((char *)d, "%2s %d %d %d%n", magic, &r->w, &r->h, &maxv, &used) != 4) {
        free(d);
        return false;
    }
    r->comp = strcmp(magic, "P6") == 0 ? 3 : 1;
    size_t need = (size_t)r->w * (size_t)r->h * (size_t)r->comp;
    if ((size_t)used + 1 + need > len) {
        free(d);
        return false;
    }
    r->px = malloc(need);
    memcpy(r->px, d + used + 1, need);
    free(d);
    return true;
}

/* ---- external tools ---------------------------------------------------- */

static inline bool have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* Run cmd with stdout/stderr captured into *out / *err (caller frees).
 * Returns the exit status. */
static inline int run_tool(const char *cmd, const char *scratch, char **out, char **err)
{
    char full[8192], o[700], e[700];
    snprintf(o, sizeof o, "%s/tool.out", scratch);
    snprintf(e, sizeof e, "%s/tool.err", scratch);
    snprintf(full, sizeof full, "%s >'%s' 2>'%s'", cmd, o, e);
    int st = system(full);
    *out = slurp(o);
    *err = slurp(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

#endif
