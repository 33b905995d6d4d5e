/*
 * New PIX for decoders. Rows move between packed bytes (what codecs read and
 * write) and Leptonica's 32-bit words one row at a time where they are used
 * (qr_line_from_bytes in image_band.c, the encoders), never as a copy of the
 * whole page.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

PIX *qr_pix_new(int w, int h, int depth)
{
    PIX *pix = pixCreateNoInit(w, h, depth);
    if (!pix)
        return NULL;
    size_t used = ((size_t)w * (size_t)depth + 7) / 8, wpl = (size_t)pixGetWpl(pix);
    uint8_t *data = (uint8_t *)pixGetData(pix);
    if (used < wpl * 4)
        for (int y = 0; y < h; y++)
            memset(data + (size_t)y * wpl * 4 + used, 0, wpl * 4 - used);
    return pix;
}
