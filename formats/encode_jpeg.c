/*
 * 8 bpp gray or 32 bpp RGB PIX -> baseline JPEG through TurboJPEG. Colour is
 * subsampled 4:2:0 (the usual trade for scanned pages). The 32 bpp raster is
 * handed to TurboJPEG in place (Leptonica's word order is a TurboJPEG pixel
 * format); gray rows are unpacked from Leptonica's word order first.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <turbojpeg.h>

#include "image_int.h"

static int compress(tjhandle tj, const PIX *cpix, int quality, unsigned char **jpg,
                    unsigned long *jlen, qr_err *err)
{
    PIX *pix = (PIX *)cpix;
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    if (pixGetDepth(pix) == 32) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        int pf = TJPF_RGBX;
#else
        int pf = TJPF_XBGR;
#endif
        return tjCompress2(tj, (const unsigned char *)pixGetData(pix), w, pixGetWpl(pix) * 4, h,
                           pf, jpg, jlen, TJSAMP_420, quality, 0)
                   ? qr_err_set(err, QR_EFATAL, "JPEG: %s", tjGetErrorStr2(tj))
                   : QR_OK;
    }
    uint8_t *rows = NULL;
    size_t stride = 0, total = 0;
    if (qr_pix_to_rows(pix, false, &rows, &stride, &total) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "JPEG: out of memory");
    int bad = tjCompress2(tj, rows, w, (int)stride, h, TJPF_GRAY, jpg, jlen, TJSAMP_GRAY,
                          quality, 0);
    free(rows);
    return bad ? qr_err_set(err, QR_EFATAL, "JPEG: %s", tjGetErrorStr2(tj)) : QR_OK;
}

int qr_encode_jpeg(const PIX *pix, int quality, uint8_t **out, size_t *len, qr_err *err)
{
    *out = NULL;
    *len = 0;
    int d = pix ? pixGetDepth((PIX *)pix) : 0;
    if (d != 8 && d != 32)
        return qr_err_set(err, QR_EINVAL, "JPEG: needs an 8 or 32 bpp image, not %d bpp", d);
    if (pixGetColormap((PIX *)pix))
        return qr_err_set(err, QR_EINVAL, "JPEG: needs an image without a colormap");
    if (quality < 1 || quality > 100)
        quality = 85;
    tjhandle tj = tjInitCompress();
    if (!tj)
        return qr_err_set(err, QR_ENOMEM, "cannot start the JPEG encoder");
    unsigned char *jpg = NULL;
    unsigned long jlen = 0;
    int rc = compress(tj, pix, quality, &jpg, &jlen, err);
    if (rc == QR_OK) {
        *out = malloc(jlen ? jlen : 1);
        if (*out) {
            memcpy(*out, jpg, jlen);
            *len = jlen;
        } else {
            rc = qr_err_set(err, QR_ENOMEM, "JPEG: out of memory");
        }
    }
    tjFree(jpg);
    tjDestroy(tj);
    return rc;
}
