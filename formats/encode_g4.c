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

static int write_tiff(const PIX *pix, qr_tiff_mem *mem, qr_tiff_log *log, qr_err *err)
{
    uint8_t *rows = NULL;
    size_t stride = 0, total = 0;
    int rc = qr_pix_to_rows(pix, false, &rows, &stride, &total);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "G4: cannot read the page's rows");
    TIFF *tif = qr_tiff_mem_open(mem, "w", log, 0);
    if (!tif) {
        free(rows);
        return qr_err_set(err, QR_ENOMEM, "G4: %s", qr_tiff_log_text(log, "cannot start"));
    }
    uint32_t w = (uint32_t)pixGetWidth((PIX *)pix), h = (uint32_t)pixGetHeight((PIX *)pix);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);
    tmsize_t n = (tmsize_t)total;
    bool ok = TIFFWriteEncodedStrip(tif, 0, rows, n) == n && TIFFWriteDirectory(tif);
    TIFFClose(tif);
    free(rows);
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
