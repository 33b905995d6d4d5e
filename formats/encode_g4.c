/*
 * 1 bpp PIX -> raw CCITT Group 4 data for a PDF CCITTFaxDecode stream
 * (K -1, Columns W, Rows H, BlackIs1 false). libtiff's encoder does the work:
 * we write a single-strip min-is-white G4 TIFF into memory and lift the strip
 * out. Min-is-white with Leptonica's 1 = black means the bits go in as they
 * are, and the G4 "black" runs are the page's black pixels.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tiffio.h>

#include "image_int.h"

/* Rows go to libtiff's G4 encoder one scanline at a time (into the single
 * strip), so the page is never copied out whole; T.6 coding does not depend
 * on how the rows arrive. */
static bool write_rows(TIFF *tif, const PIX *cpix)
{
    PIX *pix = (PIX *)cpix; /* Leptonica's getters are not const-correct; never written */
    int w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix);
    size_t n = ((size_t)w + 7) / 8;
    uint8_t *row = malloc(n);
    bool ok = row != NULL;
    for (int y = 0; ok && y < h; y++) {
        const uint32_t *line = pixGetData(pix) + (size_t)y * (size_t)wpl;
        for (size_t i = 0; i < n; i++)
            row[i] = (uint8_t)GET_DATA_BYTE(line, i);
        if (w & 7) /* keep the pad bits of a row clean */
            row[n - 1] &= (uint8_t)(0xFF00u >> (w & 7));
        ok = TIFFWriteScanline(tif, row, (uint32_t)y, 0) == 1;
    }
    free(row);
    return ok;
}

static int write_tiff(const PIX *pix, qr_tiff_mem *mem, qr_tiff_log *log, qr_err *err)
{
    TIFF *tif = qr_tiff_mem_open(mem, "w", log, 0);
    if (!tif)
        return qr_err_set(err, QR_ENOMEM, "G4: %s", qr_tiff_log_text(log, "cannot start"));
    uint32_t w = (uint32_t)pixGetWidth((PIX *)pix), h = (uint32_t)pixGetHeight((PIX *)pix);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);
    bool ok = write_rows(tif, pix) && TIFFWriteDirectory(tif);
    TIFFClose(tif);
    if (!ok || log->errors)
        return qr_err_set(err, QR_ENOMEM, "G4: %s", qr_tiff_log_text(log, "encode failed"));
    return QR_OK;
}

/* Copy the single strip out of the TIFF we just wrote. */
static int lift_strip(qr_tiff_mem *mem, uint8_t **out, size_t *len, qr_err *err)
{
    qr_tiff_mem rd = {.data = mem->wdata, .len = mem->len};
    qr_tiff_log log = {0};
    TIFF *tif = qr_tiff_mem_open(&rd, "r", &log, 0);
    uint64_t *offs = NULL, *counts = NULL;
    int rc = QR_OK;
    if (!tif || !TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offs) ||
        !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) || !offs || !counts ||
        offs[0] > mem->len || counts[0] > mem->len - offs[0])
        rc = qr_err_set(err, QR_EFATAL, "G4: cannot find the strip: %s",
                        qr_tiff_log_text(&log, "bad TIFF"));
    else if (!(*out = malloc(counts[0] ? counts[0] : 1)))
        rc = qr_err_set(err, QR_ENOMEM, "G4: out of memory");
    else {
        memcpy(*out, mem->wdata + offs[0], counts[0]);
        *len = counts[0];
    }
    if (tif)
        TIFFClose(tif);
    return rc;
}

int qr_encode_g4(const PIX *pix, uint8_t **out, size_t *len, qr_err *err)
{
    *out = NULL;
    *len = 0;
    if (!pix || pixGetDepth((PIX *)pix) != 1)
        return qr_err_set(err, QR_EINVAL, "G4: needs a 1 bpp image");
    qr_tiff_mem mem = {.writing = true};
    qr_tiff_log log = {0};
    int rc = write_tiff(pix, &mem, &log, err);
    if (rc == QR_OK)
        rc = lift_strip(&mem, out, len, err);
    free(mem.wdata);
    return rc;
}
