/*
 * fuzz_image: every image decoder (TIFF with its planes, RGBA and in-memory
 * I/O, JPEG with EXIF, PNG) through the public qr_image API, then the PDF
 * writer fed each decoded page as ingest feeds it (the original bytes passed
 * through, or re-encoded with the project's G4 and JPEG encoders).
 *
 * Why the writer too: a hostile page that decodes is the one that reaches
 * it, and the writer refusing what the decoder accepted (a JPEG whose frame
 * header the writer reads differently, a resolution it calls invalid) would
 * fail a file on input the decoder vouched for. So a decoded page must be
 * written: qr_pdf_add_page may refuse only its size (QR_EUNSUPPORTED), never
 * call it an invalid image. The page stages (qr_analyze) are left out: they
 * cost about 0.1 s a page under the sanitizers whatever the page's size,
 * which would slow the decoders' fuzzing a hundredfold.
 *
 * The input is the file's bytes, unchanged, so seeds are plain scanner pages.
 * Caps are low (1 Mpx, 8 MiB a page): a decompression bomb must end as
 * QR_ELIMIT from the header, not as an out-of-memory of the fuzzer. Odd
 * input lengths decode with luma_when_passthrough, so both JPEG decode paths
 * are reached by the same seeds.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "fuzz.h"
#include "qr_image.h"
#include "qr_pdf.h"
#include "qr_stages.h"

#define MAX_PIXELS (1u << 20)
#define MAX_PAGE_BYTES (8u << 20)
#define MAX_PAGES 8

typedef struct fz_input {
    const uint8_t *data;
    size_t size;
} fz_input;

static void check_failure(int rc, const qr_err *err, const qr_page *page)
{
    FUZZ_ASSERT(rc == QR_EUNSUPPORTED || rc == QR_ECORRUPT || rc == QR_ELIMIT ||
                rc == QR_ENOMEM);
    FUZZ_ASSERT(err->msg[0] != '\0');
    FUZZ_ASSERT(page->pix == NULL);
}

/* What a decoded page promises: a PIX of a depth the stages take, within the
 * caps, and a passthrough payload inside the caller's buffer (or, when the
 * decoder repaired a JPEG header, its own clean copy). */
static void check_page(const qr_page *pg, const fz_input *in)
{
    FUZZ_ASSERT(pg->pix != NULL);
    int w = pixGetWidth(pg->pix), h = pixGetHeight(pg->pix), d = pixGetDepth(pg->pix);
    FUZZ_ASSERT(w > 0 && h > 0 && (uint64_t)w * (uint64_t)h <= MAX_PIXELS);
    FUZZ_ASSERT(d == 1 || d == 8 || d == 32);
    FUZZ_ASSERT(memchr(pg->encoding, '\0', sizeof pg->encoding) != NULL);
    FUZZ_ASSERT(pg->orientation >= 1 && pg->orientation <= 8);
    FUZZ_ASSERT(!pg->dpi_known || (pg->xdpi > 0 && pg->ydpi > 0));
    const qr_passthru *p = &pg->pass;
    if (p->codec == QR_CODEC_NONE)
        return;
    if (pg->pass_owned) { /* a repaired header: the decoder's own clean copy */
        FUZZ_ASSERT(p->data == pg->pass_owned && p->len > 0);
    } else {
        FUZZ_ASSERT(p->data >= in->data && p->len > 0 && p->len <= in->size);
        FUZZ_ASSERT((size_t)(p->data - in->data) <= in->size - p->len);
    }
    FUZZ_ASSERT(p->width > 0 && p->height > 0);
    FUZZ_ASSERT(p->codec == QR_CODEC_G4 ? p->components == 1
                                        : p->components == 1 || p->components == 3);
}

/* The image ingest and convert write for this page (formats/page_image.c).
 * *owned receives a re-encoded payload. */
static int page_image(const qr_page *pg, qr_pdf_image *img, uint8_t **owned, qr_err *err)
{
    qr_store_opts so = {false, 75, 0, false};
    const char *stored = NULL;
    memset(img, 0, sizeof *img);
    int rc = qr_page_pdf_image(pg, &so, img, owned, &stored, err);
    img->xdpi = pg->dpi_known ? pg->xdpi : 300;
    img->ydpi = pg->dpi_known ? pg->ydpi : 300;
    return rc;
}

static void write_page(qr_pdf **pdf, const qr_page *pg)
{
    char path[600];
    qr_err err = {0};
    if (!*pdf) {
        fuzz_path(path, sizeof path, "image.pdf");
        FUZZ_ASSERT(qr_pdf_open(path, QR_PDFA_2B, pdf, &err) == QR_OK);
    }
    qr_pdf_image img;
    uint8_t *owned = NULL;
    int rc = page_image(pg, &img, &owned, &err);
    FUZZ_ASSERT(rc == QR_OK);
    rc = qr_pdf_add_page(*pdf, &img, NULL, &err);
    free(owned);
    FUZZ_ASSERT(rc == QR_OK || rc == QR_EUNSUPPORTED);
}

static void decode_all(qr_image_reader *rd, const fz_input *in)
{
    qr_pdf *pdf = NULL;
    int n = qr_image_pages(rd);
    FUZZ_ASSERT(n >= 1);
    for (int i = 0; i < n && i < MAX_PAGES; i++) {
        qr_page pg;
        qr_err err = {0};
        int rc = qr_image_decode(rd, i, &pg, &err);
        if (rc != QR_OK) {
            check_failure(rc, &err, &pg);
            continue;
        }
        check_page(&pg, in);
        write_page(&pdf, &pg);
        qr_page_clear(&pg);
    }
    qr_pdf_abort(&pdf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) { /* Leptonica's messages off, as in every quire command */
        qr_stages_global_init();
        quiet = true;
    }
    qr_limits lim;
    qr_limits_default(&lim);
    lim.max_pixels = MAX_PIXELS;
    lim.max_page_bytes = MAX_PAGE_BYTES;
    lim.luma_when_passthrough = size % 2 == 1;
    qr_image_reader *rd = NULL;
    qr_err err = {0};
    int rc = qr_image_open(data, size, &lim, &rd, &err);
    if (rc != QR_OK) {
        FUZZ_ASSERT(rd == NULL);
        FUZZ_ASSERT(rc == QR_EUNSUPPORTED || rc == QR_ECORRUPT || rc == QR_ELIMIT ||
                    rc == QR_ENOMEM);
        return 0;
    }
    fz_input in = {data, size};
    decode_all(rd, &in);
    qr_image_close(&rd);
    return 0;
}
