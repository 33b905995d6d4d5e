/*
 * fuzz_pdf: the streaming PDF/A writer (formats/pdf*.c, xmp.c) fed random
 * page descriptions, with image data made by the project's own encoders
 * (G4, JPEG, Flate) from small generated bitmaps, and random metadata.
 *
 * Input layout (what libFuzzer mutates):
 *   byte 0            bit 0: PDF/A-1b (else 2b); bits 1-2: pages - 1 (1..4);
 *                     bit 3: no provenance; bit 4: no title; bit 5: dates
 *                     from the input (else 2023-11-14)
 *   8 bytes a page    kind (G4, G4 inverted, JPEG gray, JPEG colour, Flate
 *                     1 bpc, Flate gray, Flate colour), width - 1, height - 1,
 *                     x and y resolution (0 = invalid, 255 = tiny, else
 *                     5 dpi steps), view turn (low 2 bits; bit 2 makes it an
 *                     invalid 45), view rotation (signed, 0.4 deg steps, so
 *                     beyond +-45 is reached), bitmap pattern and seed
 *   16 bytes          with bit 5: creation and modification time, any
 *                     64-bit time_t (SOURCE_DATE_EPOCH reaches the writer
 *                     unchecked)
 *   the rest          strings split at NUL bytes: title, source, sha256,
 *                     encoding, note, then key/value pairs of metadata and
 *                     override fields; raw bytes, so invalid UTF-8 and XML's
 *                     forbidden characters reach the Info and XMP writers
 *
 * Why generated images: the writer copies the payload and trusts the
 * caller's description, so what is worth fuzzing is the description (sizes,
 * resolutions, views, metadata) and the encoders' output for odd bitmaps;
 * random payload bytes would only make PDFs that are invalid by design.
 *
 * The target checks return codes only, against the ones the description
 * predicts: an invalid image or view is QR_EINVAL, a page outside 3..14400 pt
 * QR_EUNSUPPORTED, and neither harms the document; finishing succeeds
 * exactly when a page was added and the title is within its cap, as given
 * and once cleaned (a control character grows to six bytes of \uXXXX, an
 * invalid UTF-8 byte to the three of U+FFFD: the writer's own cleaning,
 * pdf_int.h, says how long it gets). Whether the
 * PDFs are valid is pdf_check.sh's job: with QUIRE_FUZZ_PDF_OUT=DIR every
 * finished PDF is kept there (1.pdf, 2.pdf, ... in input order) for qpdf
 * --check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "fuzz.h"
#include "pdf_int.h"
#include "qr_image.h"
#include "qr_pdf.h"

#define PAGE_BYTES 8
#define MAX_STRINGS 24
#define MAX_TITLE 16000

typedef enum pg_kind { K_G4, K_G4_INV, K_JPEG_GRAY, K_JPEG_RGB, K_FLATE_1, K_FLATE_8, K_FLATE_RGB,
                       N_KINDS } pg_kind;

typedef struct fz_reader {
    const uint8_t *p;
    size_t left;
} fz_reader;

typedef struct fz_strings {
    char *s[MAX_STRINGS];
    size_t n;
} fz_strings;

static uint8_t take(fz_reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

static double dpi_of(uint8_t b)
{
    return b == 0 ? 0.0 : b == 255 ? 0.01 : 5.0 * b;
}

/* xorshift32: cheap noise for the bitmaps. */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Pattern (low 2 bits of b): noise, white, black, stripes; the rest seeds. */
static uint32_t pixel(uint8_t b, uint32_t *seed, int x, int y)
{
    switch (b & 3) {
    case 0: return next_rand(seed);
    case 1: return 0xffffffffu;
    case 2: return 0;
    default: return ((x / 3 + y / 5 + (b >> 2)) & 1) ? 0xffffffffu : 0;
    }
}

static PIX *make_pix(int w, int h, int depth, uint8_t pattern)
{
    PIX *pix = pixCreate(w, h, depth);
    FUZZ_ASSERT(pix != NULL);
    uint32_t seed = 0x9e3779b9u ^ pattern;
    l_uint32 *data = pixGetData(pix);
    int wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++) {
            uint32_t v = pixel(pattern, &seed, x, y);
            if (depth == 1 && (v & 1))
                SET_DATA_BIT(line, x);
            else if (depth == 8)
                SET_DATA_BYTE(line, x, v & 0xff);
            else if (depth == 32)
                line[x] = v & 0xffffff00u;
        }
    }
    return pix;
}

/* Encode a bitmap of the page's kind into img (data malloc'ed in *owned). */
static void encode(pg_kind k, int w, int h, uint8_t pattern, qr_pdf_image *img, uint8_t **owned)
{
    static const int depth[N_KINDS] = {1, 1, 8, 32, 1, 8, 32};
    PIX *pix = make_pix(w, h, depth[k], pattern);
    qr_err err = {0};
    int rc;
    img->components = depth[k] == 32 ? 3 : 1;
    img->bpc = depth[k] == 1 ? 1 : 8;
    img->invert = k == K_G4_INV;
    if (k == K_G4 || k == K_G4_INV) {
        img->filter = QR_FILTER_CCITT_G4;
        rc = qr_encode_g4(pix, owned, &img->len, &err);
    } else if (k == K_JPEG_GRAY || k == K_JPEG_RGB) {
        img->filter = QR_FILTER_DCT;
        rc = qr_encode_jpeg(pix, 10 + pattern % 90, owned, &img->len, &err);
    } else {
        img->filter = QR_FILTER_FLATE;
        rc = qr_encode_flate(pix, owned, &img->len, &err);
    }
    pixDestroy(&pix);
    FUZZ_ASSERT(rc == QR_OK && *owned && img->len > 0);
    img->data = *owned;
}

/* The writer's verdict this description must get. */
static int expected(const qr_pdf_image *im)
{
    if (im->xdpi <= 0 || im->ydpi <= 0)
        return QR_EINVAL;
    if ((im->view_turn % 90) != 0 || fabs(im->view_rotate_deg) > 45.0)
        return QR_EINVAL;
    double w = im->width * 72.0 / im->xdpi, h = im->height * 72.0 / im->ydpi;
    if (w < 3.0 || h < 3.0 || w > 14400.0 || h > 14400.0)
        return QR_EUNSUPPORTED;
    return QR_OK;
}

static const char *str(const fz_strings *s, size_t i)
{
    return i < s->n ? s->s[i] : NULL;
}

/* One page; returns whether the writer took it. */
static bool add_page(qr_pdf *pdf, fz_reader *r, const fz_strings *s, bool with_prov, int no)
{
    pg_kind k = (pg_kind)(take(r) % N_KINDS);
    int w = 1 + take(r), h = 1 + take(r);
    qr_pdf_image img = {.width = w, .height = h};
    img.xdpi = dpi_of(take(r));
    img.ydpi = dpi_of(take(r));
    uint8_t turn = take(r);
    img.view_turn = (turn & 4) ? 45 : 90 * (turn & 3);
    img.view_rotate_deg = (int8_t)take(r) * 0.4;
    uint8_t *owned = NULL;
    encode(k, w, h, take(r), &img, &owned);
    qr_pdf_prov prov = {.source = str(s, 1), .sha256 = str(s, 2), .encoding = str(s, 3),
                        .stored = "passthrough", .xdpi = img.xdpi, .ydpi = img.ydpi,
                        .dpi_assumed = (turn & 8) != 0, .source_page = no, .note = str(s, 4)};
    qr_err err = {0};
    int rc = qr_pdf_add_page(pdf, &img, with_prov ? &prov : NULL, &err);
    free(owned);
    FUZZ_ASSERT(rc == expected(&img));
    FUZZ_ASSERT(rc == QR_OK || err.msg[0]);
    return rc == QR_OK;
}

/* The tail of the input as NUL-separated strings (copies, NUL-terminated). */
static void split(const fz_reader *r, fz_strings *s)
{
    s->n = 0;
    size_t at = 0;
    while (at <= r->left && s->n < MAX_STRINGS) {
        const uint8_t *end = memchr(r->p + at, 0, r->left - at);
        size_t len = end ? (size_t)(end - (r->p + at)) : r->left - at;
        char *c = malloc(len + 1);
        FUZZ_ASSERT(c != NULL);
        memcpy(c, r->p + at, len);
        c[len] = '\0';
        s->s[s->n++] = c;
        at += len + 1;
        if (!end)
            break;
    }
}

static void strings_free(fz_strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->s[i]);
    s->n = 0;
}

static time_t take_time(fz_reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)take(r) << (8 * i);
    return (time_t)v;
}

/* Whether the writer takes this title: within the cap as given and as
 * written (cleaned). */
static bool title_fits(const char *title)
{
    if (strlen(title) > MAX_TITLE)
        return false;
    char *clean = qr_pdf_clean_utf8(title);
    FUZZ_ASSERT(clean != NULL);
    bool fits = strlen(clean) <= MAX_TITLE;
    free(clean);
    return fits;
}

/* Metadata key/value pairs from strings 5.. and one override after them. */
static void finish(qr_pdf **pdf, const fz_strings *s, bool no_title, const time_t when[2],
                   int pages)
{
    qr_kv kv[(MAX_STRINGS - 5) / 2];
    size_t n_kv = 0;
    for (size_t i = 5; i + 1 < s->n && n_kv < sizeof kv / sizeof kv[0] - 1; i += 2)
        kv[n_kv++] = (qr_kv){s->s[i], s->s[i + 1]};
    qr_pdf_override ovr = {.kind = str(s, 5) ? str(s, 5) : "blank", .page = pages,
                           .reason = str(s, 6) ? str(s, 6) : "", .by = str(s, 7) ? str(s, 7) : "",
                           .at = "2024-01-02T03:04:05Z"};
    const char *title = no_title ? NULL : str(s, 0);
    qr_pdf_meta meta = {.title = title, .created = when[0], .modified = when[1],
                        .extra = n_kv ? kv : NULL, .n_extra = n_kv,
                        .overrides = s->n > 5 ? &ovr : NULL, .n_overrides = s->n > 5};
    qr_err err = {0};
    int rc = qr_pdf_finish(pdf, &meta, NULL, &err);
    bool ok = pages > 0 && (!title || title_fits(title));
    FUZZ_ASSERT(*pdf == NULL);
    FUZZ_ASSERT(ok ? rc == QR_OK : rc == QR_EINVAL);
}

static void out_path(char *path, size_t cap)
{
    static unsigned long seq;
    const char *keep = getenv("QUIRE_FUZZ_PDF_OUT");
    if (keep && *keep) {
        snprintf(path, cap, "%s/%lu.pdf", keep, ++seq);
        return;
    }
    fuzz_path(path, cap, "out.pdf");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_reader r = {data, size};
    uint8_t head = take(&r);
    int n_pages = 1 + ((head >> 1) & 3);
    fz_reader pages = r;
    size_t page_bytes = (size_t)n_pages * PAGE_BYTES;
    r.p += page_bytes < r.left ? page_bytes : r.left;
    r.left -= page_bytes < r.left ? page_bytes : r.left;
    time_t when[2] = {1700000000, 1700000000};
    if (head & 32) {
        when[0] = take_time(&r);
        when[1] = take_time(&r);
    }
    fz_strings s;
    split(&r, &s);
    char path[700];
    out_path(path, sizeof path);
    unlink(path);
    qr_pdf *pdf = NULL;
    qr_err err = {0};
    FUZZ_ASSERT(qr_pdf_open(path, (head & 1) ? QR_PDFA_1B : QR_PDFA_2B, &pdf, &err) == QR_OK);
    int added = 0;
    for (int i = 0; i < n_pages; i++)
        added += add_page(pdf, &pages, &s, !(head & 8), i + 1);
    finish(&pdf, &s, (head & 16) != 0, when, added);
    strings_free(&s);
    return 0;
}
