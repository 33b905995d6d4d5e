/*
 * qr_page_pdf_image and its banded pair: the one rule by which ingest and
 * convert put a decoded page into a PDF. The original bytes are kept only
 * when they give the pixels analysed; every other page is encoded by depth
 * and the lossless choice; a banded bitonal page is Flate at 1 bit (it was
 * labelled G4, or 8 bits, while its stream was something else).
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_image.h"
#include "qr_pdf.h"
#include "qr_test.h"

static const uint8_t original[] = {1, 2, 3, 4, 5, 6, 7, 8};

static qr_page page_of(int depth, qr_codec codec)
{
    qr_page pg;
    memset(&pg, 0, sizeof pg);
    pg.pix = depth ? pixCreate(40, 30, depth) : NULL;
    if (pg.pix)
        pixSetAll(pg.pix);
    pg.pass.codec = codec;
    pg.pass.data = original;
    pg.pass.len = sizeof original;
    pg.pass.width = 40;
    pg.pass.height = 30;
    pg.pass.components = 1;
    return pg;
}

static void test_original_kept(void)
{
    qr_store_opts so = {false, 85, 0, false};
    qr_page pg = page_of(1, QR_CODEC_G4);
    qr_pdf_image img = {0};
    uint8_t *owned = NULL;
    const char *stored = NULL;
    qr_err err = {0};
    CHECK_EQ_INT(qr_page_pdf_image(&pg, &so, &img, &owned, &stored, &err), QR_OK);
    CHECK(!strcmp(stored, "passthrough"));
    CHECK(img.data == original && owned == NULL);
    CHECK(img.filter == QR_FILTER_CCITT_G4 && img.bpc == 1 && img.components == 1);
    so.copy_original = true; /* ingest: the job's buffer goes before the PDF is written */
    CHECK_EQ_INT(qr_page_pdf_image(&pg, &so, &img, &owned, &stored, &err), QR_OK);
    CHECK(owned && img.data == owned && img.data != original);
    CHECK(img.len == sizeof original && !memcmp(img.data, original, sizeof original));
    free(owned);
    pixDestroy(&pg.pix);
}

static void test_original_not_matching(void)
{
    /* A JPEG whose pixels were made bitonal: its bytes are not the page. */
    qr_store_opts so = {false, 85, 0, true};
    qr_page pg = page_of(1, QR_CODEC_JPEG);
    CHECK(!qr_page_keeps_original(&pg));
    qr_pdf_image img = {0};
    uint8_t *owned = NULL;
    const char *stored = NULL;
    qr_err err = {0};
    CHECK_EQ_INT(qr_page_pdf_image(&pg, &so, &img, &owned, &stored, &err), QR_OK);
    CHECK(!strcmp(stored, "g4") && img.filter == QR_FILTER_CCITT_G4 && img.bpc == 1);
    CHECK(owned && img.data == owned && img.width == 40 && img.height == 30);
    free(owned);
    pixDestroy(&pg.pix);
    pg = page_of(8, QR_CODEC_G4); /* a G4 page decoded to gray */
    CHECK(!qr_page_keeps_original(&pg));
    pixDestroy(&pg.pix);
}

static void test_encoded_by_depth(void)
{
    static const struct {
        int depth;
        bool lossless;
        const char *stored;
        qr_filter filter;
        int components, bpc;
    } cases[] = {
        {8, false, "jpeg", QR_FILTER_DCT, 1, 8},   {8, true, "flate", QR_FILTER_FLATE, 1, 8},
        {32, false, "jpeg", QR_FILTER_DCT, 3, 8},  {32, true, "flate", QR_FILTER_FLATE, 3, 8},
        {1, true, "g4", QR_FILTER_CCITT_G4, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qr_store_opts so = {cases[i].lossless, 85, 0, true};
        qr_page pg = page_of(cases[i].depth, QR_CODEC_NONE);
        qr_pdf_image img = {0};
        uint8_t *owned = NULL;
        const char *stored = NULL;
        qr_err err = {0};
        CHECK_EQ_INT(qr_page_pdf_image(&pg, &so, &img, &owned, &stored, &err), QR_OK);
        CHECKF(!strcmp(stored, cases[i].stored), "case %zu: stored %s", i, stored);
        CHECK(img.filter == cases[i].filter && img.components == cases[i].components &&
              img.bpc == cases[i].bpc && img.len > 0 && img.data == owned);
        free(owned);
        pixDestroy(&pg.pix);
    }
    qr_store_opts so = {false, 85, 0, true};
    qr_page pg = page_of(4, QR_CODEC_NONE);
    qr_pdf_image img = {0};
    uint8_t *owned = NULL;
    const char *stored = NULL;
    qr_err err = {0};
    CHECK_EQ_INT(qr_page_pdf_image(&pg, &so, &img, &owned, &stored, &err), QR_EUNSUPPORTED);
    CHECK(owned == NULL && strstr(err.msg, "depth 4"));
    pixDestroy(&pg.pix);
}

/* A banded page: encoder, its rows, then the image. */
static void test_banded(void)
{
    qr_store_opts so = {false, 85, 0, false};
    qr_page pg = page_of(0, QR_CODEC_NONE);
    pg.banded = true;
    qr_band_encoder *enc = NULL;
    qr_err err = {0};
    CHECK_EQ_INT(qr_page_band_encoder(&pg, &so, 40, 30, 1, &enc, &err), QR_OK);
    CHECK(enc != NULL);
    PIX *band = pixCreate(40, 30, 1);
    CHECK_EQ_INT(qr_band_encoder_rows(enc, band, &err), QR_OK);
    pixDestroy(&band);
    qr_pdf_image img = {0};
    uint8_t *owned = NULL;
    const char *stored = NULL;
    CHECK_EQ_INT(qr_page_pdf_image_banded(&pg, &so, &enc, 40, 30, 1, &img, &owned, &stored,
                                          &err), QR_OK);
    CHECK(enc == NULL && !strcmp(stored, "flate"));
    CHECK(img.filter == QR_FILTER_FLATE && img.bpc == 1 && img.components == 1 && img.len > 0);
    free(owned);

    pg.pass.codec = QR_CODEC_JPEG; /* its own JPEG: nothing to encode */
    CHECK_EQ_INT(qr_page_band_encoder(&pg, &so, 40, 30, 8, &enc, &err), QR_OK);
    CHECK(enc == NULL);
    CHECK_EQ_INT(qr_page_pdf_image_banded(&pg, &so, &enc, 40, 30, 8, &img, &owned, &stored,
                                          &err), QR_OK);
    CHECK(!strcmp(stored, "passthrough") && img.data == original && owned == NULL);
    CHECK(img.filter == QR_FILTER_DCT);
}

int main(void)
{
    test_original_kept();
    test_original_not_matching();
    test_encoded_by_depth();
    test_banded();
    return qr_test_end();
}
