/*
 * Any PIX -> a zlib stream of its rows in the layout a PDF image XObject with
 * /FlateDecode expects: 1 bpp packed MSB first with 0 = black (DeviceGray,
 * the inverse of Leptonica), 8 bpp gray, or RGB triplets with no padding.
 * The page goes to the band encoder (encode_band.c) as one band: rows are
 * converted one at a time, never copied out whole.
 */
#include <leptonica/allheaders.h>

#include "image_int.h"

int qr_encode_flate(const PIX *cpix, uint8_t **out, size_t *len, qr_err *err)
{
    PIX *pix = (PIX *)cpix; /* Leptonica's getters are not const-correct; never written */
    *out = NULL;
    *len = 0;
    if (!pix || pixGetColormap(pix))
        return qr_err_set(err, QR_EINVAL, "Flate: needs an image without a colormap");
    int d = pixGetDepth(pix);
    if (d != 1 && d != 8 && d != 32)
        return qr_err_set(err, QR_EINVAL, "Flate: cannot read a %d bpp image", d);
    qr_band_encoder *enc = NULL;
    int rc = qr_band_encoder_new(QR_BAND_FLATE, pixGetWidth(pix), pixGetHeight(pix), d, 0, 0,
                                 &enc, err);
    if (rc == QR_OK)
        rc = qr_band_encoder_rows(enc, pix, err);
    if (rc == QR_OK)
        return qr_band_encoder_finish(&enc, out, len, err);
    qr_band_encoder_free(&enc);
    return rc;
}
