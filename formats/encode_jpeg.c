/*
 * 8 bpp gray or 32 bpp RGB PIX -> baseline JPEG. Colour is subsampled 4:2:0
 * (the usual trade for scanned pages). The page is handed to the band
 * encoder (encode_band.c) as one band, so a page encoded whole and a page
 * encoded band by band give the same bytes: those TurboJPEG's tjCompress2
 * gives, whose settings the band encoder uses.
 */
#include <leptonica/allheaders.h>

#include "image_int.h"

int qr_encode_jpeg(const PIX *cpix, int quality, uint8_t **out, size_t *len, qr_err *err)
{
    PIX *pix = (PIX *)cpix; /* Leptonica's getters are not const-correct; never written */
    *out = NULL;
    *len = 0;
    int d = pix ? pixGetDepth(pix) : 0;
    if (d != 8 && d != 32)
        return qr_err_set(err, QR_EINVAL, "JPEG: needs an 8 or 32 bpp image, not %d bpp", d);
    if (pixGetColormap(pix))
        return qr_err_set(err, QR_EINVAL, "JPEG: needs an image without a colormap");
    qr_band_encoder *enc = NULL;
    int rc = qr_band_encoder_new(QR_BAND_JPEG, pixGetWidth(pix), pixGetHeight(pix), d, quality,
                                 0, &enc, err);
    if (rc == QR_OK)
        rc = qr_band_encoder_rows(enc, pix, err);
    if (rc == QR_OK)
        return qr_band_encoder_finish(&enc, out, len, err);
    qr_band_encoder_free(&enc);
    return rc;
}
