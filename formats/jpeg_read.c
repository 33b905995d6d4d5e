/*
 * JPEG pages through TurboJPEG. We walk the marker segments ourselves first
 * (bounds-checked) to learn what TurboJPEG does not tell: progressive or not,
 * JFIF density, the Exif orientation/resolution/date, and the Adobe marker
 * that says CMYK samples are stored inverted. Colour decodes straight into the
 * PIX raster; CMYK goes through a temporary buffer and is converted to RGB.
 * Any libjpeg warning (e.g. a truncated file) counts as corruption: an
 * archive must not silently keep a half-grey page.
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <turbojpeg.h>

#include "image_int.h"

typedef struct jpeg_hdr {
    int sof;             /* the SOFn marker (0xC0..0xCF), 0 if none */
    bool sos;            /* the walk reached SOS: the header is all there */
    bool adobe;          /* APP14 "Adobe" present */
    bool jfif;
    int jfif_unit, jfx, jfy;
    qr_exif exif;
} jpeg_hdr;

static void parse_app(uint8_t m, const uint8_t *seg, size_t n, jpeg_hdr *hd)
{
    if (m == 0xE0 && n >= 12 && memcmp(seg, "JFIF\0", 5) == 0) {
        hd->jfif = true;
        hd->jfif_unit = seg[7];
        hd->jfx = seg[8] << 8 | seg[9];
        hd->jfy = seg[10] << 8 | seg[11];
    } else if (m == 0xE1 && n >= 6 && memcmp(seg, "Exif\0\0", 6) == 0) {
        qr_exif_parse(seg + 6, n - 6, &hd->exif);
    } else if (m == 0xEE && n >= 5 && memcmp(seg, "Adobe", 5) == 0) {
        hd->adobe = true;
    }
}

static bool is_sof(uint8_t m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* Scan segments up to the first SOS. */
static void scan_markers(const uint8_t *b, size_t len, jpeg_hdr *hd)
{
    memset(hd, 0, sizeof *hd);
    qr_exif_parse(NULL, 0, &hd->exif);
    size_t i = 2;
    while (i + 4 <= len) {
        if (b[i] != 0xFF)
            return;
        uint8_t m = b[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            i += 2;
            continue;
        }
        if (m == 0xDA || m == 0xD9) {
            hd->sos = m == 0xDA;
            return;
        }
        size_t seglen = (size_t)b[i + 2] << 8 | b[i + 3];
        if (seglen < 2 || seglen > len - i - 2)
            return;
        if (is_sof(m) && hd->sof == 0)
            hd->sof = m;
        parse_app(m, b + i + 4, seglen - 2, hd);
        i += 2 + seglen;
    }
}

static void cmyk_to_rgb(const uint8_t *src, int w, int h, bool inverted, PIX *pix)
{
    uint32_t *data = pixGetData(pix);
    size_t wpl = (size_t)pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        const uint8_t *s = src + (size_t)y * (size_t)w * 4;
        uint32_t *line = data + (size_t)y * wpl;
        for (int x = 0; x < w; x++, s += 4) {
            unsigned c = s[0], m = s[1], ye = s[2], k = s[3];
            if (!inverted) {
                c = 255 - c, m = 255 - m, ye = 255 - ye, k = 255 - k;
            }
            l_uint32 px;
            composeRGBPixel((l_int32)((c * k + 127) / 255), (l_int32)((m * k + 127) / 255),
                            (l_int32)((ye * k + 127) / 255), &px);
            line[x] = px;
        }
    }
}

static int tj_fail(tjhandle tj, qr_err *err)
{
    return qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG: %s", tjGetErrorStr2(tj));
}

/* The header did not give a page size: TurboJPEG failed or, for a file cut
 * before its frame header, "succeeded" with 0 x 0. Say whether the file
 * ends before its image data (truncated) or its header cannot be read. */
static int header_fail(tjhandle tj, bool failed, const uint8_t *buf, size_t len, qr_err *err)
{
    jpeg_hdr hd;
    scan_markers(buf, len, &hd);
    const char *why = failed ? tjGetErrorStr2(tj) : "no frame header giving the page size";
    if (!hd.sos)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG truncated in its header: its %zu "
                          "bytes end before the image data (%s)", len, why);
    return qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG header not readable: %s", why);
}

static int decode_cmyk(tjhandle tj, const uint8_t *buf, size_t len, const jpeg_hdr *hd,
                       PIX *pix, qr_err *err)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    uint8_t *tmp = qr_malloc_array((size_t)w * 4, (size_t)h);
    if (!tmp)
        return qr_err_set(err, QR_ENOMEM, "out of memory for a CMYK JPEG");
    int rc = QR_OK;
    if (tjDecompress2(tj, buf, (unsigned long)len, tmp, w, w * 4, h, TJPF_CMYK, 0) != 0)
        rc = tj_fail(tj, err);
    else
        cmyk_to_rgb(tmp, w, h, hd->adobe, pix);
    free(tmp);
    return rc;
}

/* Leptonica's 32 bpp word is 0xRRGGBBxx: in memory order that is XBGR on a
 * little-endian machine and RGBX on a big-endian one. */
static int pixel_format32(void)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return TJPF_RGBX;
#else
    return TJPF_XBGR;
#endif
}

static int decode_into(tjhandle tj, const uint8_t *buf, size_t len, int cs, const jpeg_hdr *hd,
                       PIX *pix, qr_err *err)
{
    if (cs == TJCS_CMYK || cs == TJCS_YCCK)
        return decode_cmyk(tj, buf, len, hd, pix, err);
    int w = pixGetWidth(pix), h = pixGetHeight(pix), pitch = pixGetWpl(pix) * 4;
    bool gray = pixGetDepth(pix) == 8; /* a gray file, or only the luma wanted */
    int pf = gray ? TJPF_GRAY : pixel_format32();
    if (tjDecompress2(tj, buf, (unsigned long)len, (unsigned char *)pixGetData(pix), w, pitch, h,
                      pf, 0) != 0)
        return tj_fail(tj, err);
    if (gray)
        pixEndianByteSwap(pix);
    return QR_OK;
}

/* Whether the file can be stored as it is (see set_meta): then, when the
 * caller asks, only its luma is decoded. */
static bool luma_only(const qr_limits *lim, int cs, const jpeg_hdr *hd)
{
    return lim->luma_when_passthrough && (cs == TJCS_YCbCr || cs == TJCS_RGB) &&
           hd->exif.orientation <= 1;
}

static void set_meta(const jpeg_hdr *hd, const uint8_t *buf, size_t len, int w, int h, int cs,
                     qr_page *page, double *xdpi, double *ydpi)
{
    bool progressive = hd->sof == 0xC2 || hd->sof == 0xC6 || hd->sof == 0xCA || hd->sof == 0xCE;
    strcpy(page->encoding, progressive ? "jpeg-progressive" : "jpeg");
    page->scan_time = hd->exif.time;
    *xdpi = *ydpi = 0;
    if (hd->jfif && (hd->jfif_unit == 1 || hd->jfif_unit == 2)) {
        *xdpi = qr_res_to_dpi(hd->jfx, hd->jfif_unit + 1);
        *ydpi = qr_res_to_dpi(hd->jfy, hd->jfif_unit + 1);
    } else if (hd->exif.xres > 0 && hd->exif.yres > 0) {
        *xdpi = qr_res_to_dpi(hd->exif.xres, hd->exif.unit);
        *ydpi = qr_res_to_dpi(hd->exif.yres, hd->exif.unit);
    }
    bool cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
    if (!cmyk && hd->exif.orientation <= 1) {
        page->pass = (qr_passthru){QR_CODEC_JPEG, buf, len, w, h, cs == TJCS_GRAY ? 1 : 3, false};
    }
}

static int decode_with(tjhandle tj, const uint8_t *buf, size_t len, const qr_limits *lim,
                       qr_page *page, qr_err *err)
{
    int w = 0, h = 0, sub = 0, cs = 0;
    if (len > (size_t)UINT32_MAX)
        return qr_err_set(err, QR_ELIMIT, "limit: JPEG file of %zu bytes", len);
    bool failed = tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) != 0;
    if (failed || w <= 0 || h <= 0)
        return header_fail(tj, failed, buf, len, err);
    jpeg_hdr hd;
    scan_markers(buf, len, &hd);
    if (hd.sof == 0xC3 || hd.sof == 0xC7 || hd.sof == 0xCB || hd.sof == 0xCF)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: lossless JPEG (SOF%d)", hd.sof - 0xC0);
    int rc = qr_check_caps(lim, (uint64_t)w, (uint64_t)h, cs == TJCS_GRAY ? 8 : 32, err);
    if (rc != QR_OK)
        return rc;
    bool gray = cs == TJCS_GRAY || luma_only(lim, cs, &hd);
    PIX *pix = qr_pix_new(w, h, gray ? 8 : 32);
    if (!pix)
        return qr_err_set(err, QR_ENOMEM, "out of memory for a %d x %d JPEG", w, h);
    if (!gray)
        pixSetSpp(pix, 3);
    rc = decode_into(tj, buf, len, cs, &hd, pix, err);
    if (rc != QR_OK) {
        pixDestroy(&pix);
        return rc;
    }
    double xdpi, ydpi;
    set_meta(&hd, buf, len, w, h, cs, page, &xdpi, &ydpi);
    return qr_page_finish(page, pix, hd.exif.orientation, xdpi, ydpi, err);
}

int qr_jpeg_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                   qr_err *err)
{
    tjhandle tj = tjInitDecompress();
    if (!tj)
        return qr_err_set(err, QR_ENOMEM, "cannot start the JPEG decoder");
    int rc = decode_with(tj, buf, len, lim, page, err);
    tjDestroy(tj);
    return rc;
}
