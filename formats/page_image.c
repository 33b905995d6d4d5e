/*
 * page_image.c: how a decoded page goes into a PDF — one rule for quire
 * ingest and quire convert.
 *
 * Each command used to choose its own way: ingest passed the scanner's bytes
 * through whenever the page had a passthrough codec, convert only when the
 * decoded depth agreed with it, and a banded bitonal page was labelled G4
 * while its stream was JPEG. Here the rule is written once:
 *
 *  - the original bytes are kept when the page carries a passthrough codec
 *    (G4 or baseline JPEG, see qr_passthru) and the pixels analysed are the
 *    ones those bytes give: a G4 page decoded to 1 bit, a JPEG page decoded
 *    to gray or colour. A page read in bands keeps its original whenever it
 *    has one (a band decoder never alters the pixels);
 *  - otherwise bitonal pages are encoded as G4, gray and colour as JPEG at
 *    the quality asked, or Flate when lossless is asked; a banded page is
 *    encoded band by band (JPEG, or Flate for lossless and for bitonal, since
 *    G4 needs the whole page).
 *
 * Pure functions of their arguments; any thread.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_image.h"
#include "qr_pdf.h"

bool qr_page_keeps_original(const qr_page *pg)
{
    if (pg->pass.codec == QR_CODEC_NONE)
        return false;
    if (pg->banded || !pg->pix)
        return true;
    int d = pixGetDepth(pg->pix);
    return pg->pass.codec == QR_CODEC_G4 ? d == 1 : d != 1;
}

/* The original's bytes; copied into *owned when the caller must outlive
 * the buffer the page was decoded from. */
static int original_image(const qr_passthru *pass, bool copy, qr_pdf_image *img,
                          uint8_t **owned)
{
    bool g4 = pass->codec == QR_CODEC_G4;
    img->width = pass->width;
    img->height = pass->height;
    img->invert = pass->invert;
    img->filter = g4 ? QR_FILTER_CCITT_G4 : QR_FILTER_DCT;
    img->components = g4 ? 1 : pass->components;
    img->bpc = g4 ? 1 : 8;
    img->len = pass->len;
    img->data = pass->data;
    if (!copy)
        return QR_OK;
    *owned = malloc(pass->len ? pass->len : 1);
    if (!*owned)
        return QR_ENOMEM;
    memcpy(*owned, pass->data, pass->len);
    img->data = *owned;
    return QR_OK;
}

static void encoded_fields(qr_pdf_image *img, int w, int h, int depth, qr_filter f)
{
    img->width = w;
    img->height = h;
    img->components = depth == 32 ? 3 : 1;
    img->bpc = depth == 1 ? 1 : 8;
    img->filter = f;
}

static const char *filter_name(qr_filter f)
{
    return f == QR_FILTER_CCITT_G4 ? "g4" : f == QR_FILTER_FLATE ? "flate" : "jpeg";
}

int qr_page_pdf_image(const qr_page *pg, const qr_store_opts *o, struct qr_pdf_image *img,
                      uint8_t **owned, const char **stored, qr_err *err)
{
    *owned = NULL;
    if (qr_page_keeps_original(pg)) {
        *stored = "passthrough";
        int rc = original_image(&pg->pass, o->copy_original, img, owned);
        return rc ? qr_err_set(err, rc, "out of memory") : QR_OK;
    }
    PIX *pix = pg->pix;
    int d = pixGetDepth(pix), rc;
    if (d != 1 && d != 8 && d != 32)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: decoded depth %d", d);
    qr_filter f = d == 1 ? QR_FILTER_CCITT_G4 : o->lossless ? QR_FILTER_FLATE : QR_FILTER_DCT;
    encoded_fields(img, pixGetWidth(pix), pixGetHeight(pix), d, f);
    *stored = filter_name(f);
    if (f == QR_FILTER_CCITT_G4)
        rc = qr_encode_g4(pix, owned, &img->len, err);
    else if (f == QR_FILTER_FLATE)
        rc = qr_encode_flate(pix, owned, &img->len, err);
    else
        rc = qr_encode_jpeg(pix, o->jpeg_quality, owned, &img->len, err);
    img->data = *owned;
    return rc;
}

static qr_band_codec band_codec(const qr_store_opts *o, int depth)
{
    return o->lossless || depth == 1 ? QR_BAND_FLATE : QR_BAND_JPEG;
}

int qr_page_band_encoder(const qr_page *pg, const qr_store_opts *o, int w, int h, int depth,
                         qr_band_encoder **enc, qr_err *err)
{
    *enc = NULL;
    if (qr_page_keeps_original(pg))
        return QR_OK;
    return qr_band_encoder_new(band_codec(o, depth), w, h, depth, o->jpeg_quality,
                               o->max_bytes, enc, err);
}

int qr_page_pdf_image_banded(const qr_page *pg, const qr_store_opts *o, qr_band_encoder **enc,
                             int w, int h, int depth, struct qr_pdf_image *img,
                             uint8_t **owned, const char **stored, qr_err *err)
{
    *owned = NULL;
    if (qr_page_keeps_original(pg)) {
        qr_band_encoder_free(enc);
        *stored = "passthrough";
        int rc = original_image(&pg->pass, o->copy_original, img, owned);
        return rc ? qr_err_set(err, rc, "out of memory") : QR_OK;
    }
    qr_filter f = band_codec(o, depth) == QR_BAND_FLATE ? QR_FILTER_FLATE : QR_FILTER_DCT;
    encoded_fields(img, w, h, depth, f);
    *stored = filter_name(f);
    int rc = qr_band_encoder_finish(enc, owned, &img->len, err);
    img->data = *owned;
    return rc;
}
