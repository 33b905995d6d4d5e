/*
 * Any PIX -> a zlib stream of its rows in the layout a PDF image XObject with
 * /FlateDecode expects: 1 bpp packed MSB first with 0 = black (DeviceGray,
 * the inverse of Leptonica), 8 bpp gray, or RGB triplets with no padding.
 */
#include <stdlib.h>

#include <leptonica/allheaders.h>
#include <zlib.h>

#include "image_int.h"

int qr_encode_flate(const PIX *pix, uint8_t **out, size_t *len, qr_err *err)
{
    *out = NULL;
    *len = 0;
    if (!pix || pixGetColormap((PIX *)pix))
        return qr_err_set(err, QR_EINVAL, "Flate: needs an image without a colormap");
    uint8_t *rows = NULL;
    size_t stride = 0, total = 0;
    int rc = qr_pix_to_rows(pix, true, &rows, &stride, &total);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "Flate: cannot read a %d bpp image", pixGetDepth((PIX *)pix));
    uLong bound = compressBound((uLong)total);
    uint8_t *z = total == (uLong)total ? malloc(bound) : NULL;
    uLongf zlen = bound;
    if (!z || compress2(z, &zlen, rows, (uLong)total, Z_DEFAULT_COMPRESSION) != Z_OK) {
        free(z);
        free(rows);
        return qr_err_set(err, QR_ENOMEM, "Flate: cannot compress %zu bytes", total);
    }
    free(rows);
    *out = z;
    *len = zlen;
    return QR_OK;
}
