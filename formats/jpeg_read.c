/*
 * JPEG pages through TurboJPEG (a large page for a band sink through libjpeg's
 * scanline interface instead, jpeg_band.c). We walk the marker segments
 * ourselves first (bounds-checked) to learn what TurboJPEG does not tell:
 * progressive or not, the sampling of each component,
 * JFIF density, the Exif orientation/resolution/date, and the Adobe marker
 * that says CMYK samples are stored inverted. Colour decodes straight into the
 * PIX raster; CMYK is decoded by libjpeg a band at a time (jpeg_band.c) and
 * converted to RGB as it comes.
 *
 * Junk between header segments: real files carry bytes that are no marker
 * between two segments of the header (a stuffed FF 00, text, the tail of an
 * APP13 or APP14 segment whose length was edited short). libjpeg skips them
 * with the warning JWRN_EXTRANEOUS_DATA and loses nothing, and Pillow,
 * ImageMagick and PDF readers show such files. Our walk skips them by
 * libjpeg's own rule (next_marker in jdmarker.c); when there are any before
 * the first SOS, the file is rebuilt without them (its segments and its
 * image data byte for byte, so not a pixel changes) and that copy is what
 * is decoded and passed through: PDF readers then get a clean stream, not
 * one that makes each of them print "Corrupt JPEG data". The page's note
 * says what was dropped. The copy costs the file's size once more.
 *
 * Any libjpeg warning while the image data is decoded still counts as
 * corruption: an archive must not silently keep a half-grey page. That
 * includes "extraneous bytes" there, since junk after the image data cannot
 * be told from bytes inserted into it: a scan with 15 bytes inserted
 * mid-stream decodes to garbage with no other warning than "113 extraneous
 * bytes before marker 0xd9". Besides the page itself,
 * the coefficient buffer a progressive file needs is checked against the
 * caps before decoding (see coefficient_bytes).
 */
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <turbojpeg.h>

#include "image_int.h"

typedef struct jpeg_hdr {
    int sof;             /* the SOFn marker (0xC0..0xCF), 0 if none */
    bool sos;            /* the walk reached SOS: the header is all there */
    size_t sos_at;       /* where the SOS marker starts */
    int nf;              /* components in the frame (at most 4 counted) */
    int hs[4], vs[4];    /* their sampling factors */
    int scan_comps;      /* components in the first scan; 0 if no scan */
    bool adobe;          /* APP14 "Adobe" present */
    bool jfif;
    int jfif_unit, jfx, jfy;
    qr_exif exif;
    size_t junk;         /* bytes between header segments that are no marker */
    int junk_runs;       /* in how many places */
    int junk_marker;     /* the marker the first of them precedes */
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

static bool is_progressive(int sof)
{
    return sof == 0xC2 || sof == 0xC6 || sof == 0xCA || sof == 0xCE;
}

/* The frame's components and sampling factors (SOFn: P Y X Nf, then Nf x
 * {C, H<<4|V, Tq}). */
static void parse_sof(const uint8_t *seg, size_t n, jpeg_hdr *hd)
{
    if (n < 6)
        return;
    int nf = seg[5];
    hd->nf = nf < 4 ? nf : 4;
    for (int c = 0; c < hd->nf && 6 + 3 * (size_t)c + 2 < n; c++) {
        hd->hs[c] = seg[7 + 3 * c] >> 4;
        hd->vs[c] = seg[7 + 3 * c] & 15;
    }
}

/* Where the next marker is, from i on, skipping what libjpeg's next_marker
 * skips: bytes other than 0xFF and stuffed FF 00 pairs (junk, counted in
 * *junk) and fill bytes (FF FF ..., not junk). Returns the offset of the
 * marker's last FF, or len when none follows. */
static size_t next_marker(const uint8_t *b, size_t len, size_t i, size_t *junk)
{
    for (;;) {
        while (i < len && b[i] != 0xFF) {
            i++;
            (*junk)++;
        }
        while (i + 1 < len && b[i + 1] == 0xFF)
            i++;
        if (i + 1 >= len)
            return len;
        if (b[i + 1] != 0x00)
            return i;
        *junk += 2;
        i += 2;
    }
}

static bool parameterless(uint8_t m)
{
    return m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7);
}

/* Walk the segments up to the first SOS. keep, when given, receives the
 * header without its junk (SOI, then each segment as stored). */
static int scan_markers(const uint8_t *b, size_t len, jpeg_hdr *hd, qr_buf *keep)
{
    memset(hd, 0, sizeof *hd);
    qr_exif_parse(NULL, 0, &hd->exif);
    size_t i = 2;
    int ok = keep ? qr_buf_append(keep, b, 2) : QR_OK;
    while (ok == QR_OK) {
        size_t before = hd->junk;
        i = next_marker(b, len, i, &hd->junk);
        if (i + 4 > len)
            return QR_OK;
        uint8_t m = b[i + 1];
        if (hd->junk > before && hd->junk_runs++ == 0)
            hd->junk_marker = m;
        if (parameterless(m)) {
            ok = keep ? qr_buf_append(keep, b + i, 2) : QR_OK;
            i += 2;
            continue;
        }
        if (m == 0xDA && i + 4 < len)
            hd->scan_comps = b[i + 4];
        if (m == 0xDA || m == 0xD9) {
            hd->sos = m == 0xDA;
            hd->sos_at = i;
            return QR_OK;
        }
        size_t seglen = (size_t)b[i + 2] << 8 | b[i + 3];
        if (seglen < 2 || seglen > len - i - 2)
            return QR_OK;
        if (is_sof(m) && hd->sof == 0) {
            hd->sof = m;
            parse_sof(b + i + 4, seglen - 2, hd);
        }
        parse_app(m, b + i + 4, seglen - 2, hd);
        ok = keep ? qr_buf_append(keep, b + i, 2 + seglen) : QR_OK;
        i += 2 + seglen;
    }
    return ok;
}

/*
 * The file without the junk between its header segments: the header as the
 * walk kept it, then everything from the first SOS on, byte for byte. Left
 * empty when there is no such junk, or when the header is cut short (the
 * decoder then says what is wrong with the file as it is).
 */
static int drop_header_junk(const uint8_t *buf, size_t len, const jpeg_hdr *hd, qr_buf *out,
                            qr_err *err)
{
    if (!hd->sos || hd->junk == 0)
        return QR_OK;
    jpeg_hdr again;
    if (scan_markers(buf, len, &again, out) != QR_OK ||
        qr_buf_append(out, buf + hd->sos_at, len - hd->sos_at) != QR_OK) {
        qr_buf_free(out);
        return qr_err_set(err, QR_ENOMEM, "out of memory for a JPEG of %zu bytes", len);
    }
    return QR_OK;
}

/* Decode the junk-free copy instead, which the page owns (its passthrough
 * points into it), and say so in the page's note. */
static int use_clean_copy(const uint8_t **buf, size_t *len, const jpeg_hdr *hd, qr_page *page,
                          qr_err *err)
{
    qr_buf clean = {0};
    int rc = drop_header_junk(*buf, *len, hd, &clean, err);
    if (rc != QR_OK || !clean.data)
        return rc;
    page->pass_owned = clean.data;
    *buf = clean.data;
    *len = clean.len;
    char where[40] = "";
    if (hd->junk_runs > 1)
        snprintf(where, sizeof where, " in %d places, the first", hd->junk_runs);
    qr_page_note(page, "JPEG: %zu junk byte%s between header segments dropped%s before marker "
                 "0x%02x (libjpeg: extraneous bytes before marker); image data unchanged",
                 hd->junk, hd->junk == 1 ? "" : "s", where, hd->junk_marker);
    return QR_OK;
}

/*
 * libjpeg keeps every DCT coefficient of the image in memory while it
 * decodes a progressive file, or a sequential one whose first scan does not
 * hold every component: 128 bytes per 8 x 8 block of each component, blocks
 * rounded up to whole sampling units (jdcoefct.c). At 4:4:4 that is 6 bytes
 * a pixel, more than the decoded page, so it is checked against the same cap
 * before decoding.
 */
static uint64_t coefficient_bytes(const jpeg_hdr *hd, int w, int h)
{
    int hmax = 1, vmax = 1;
    for (int c = 0; c < hd->nf; c++) {
        hmax = hd->hs[c] > hmax ? hd->hs[c] : hmax;
        vmax = hd->vs[c] > vmax ? hd->vs[c] : vmax;
    }
    uint64_t total = 0;
    for (int c = 0; c < hd->nf; c++) {
        uint64_t hs = hd->hs[c] ? (uint64_t)hd->hs[c] : 1, vs = hd->vs[c] ? (uint64_t)hd->vs[c] : 1;
        uint64_t wb = ((uint64_t)w * hs + (uint64_t)hmax * 8 - 1) / ((uint64_t)hmax * 8);
        uint64_t hb = ((uint64_t)h * vs + (uint64_t)vmax * 8 - 1) / ((uint64_t)vmax * 8);
        wb = (wb + hs - 1) / hs * hs;
        hb = (hb + vs - 1) / vs * vs;
        total += wb * hb * 128u;
    }
    return total;
}

static int check_coefficients(const jpeg_hdr *hd, int w, int h, const qr_limits *lim, qr_err *err)
{
    bool full = is_progressive(hd->sof) || (hd->scan_comps > 0 && hd->scan_comps < hd->nf);
    uint64_t bytes = coefficient_bytes(hd, w, h);
    if (!full || bytes <= lim->max_page_bytes)
        return QR_OK;
    return qr_err_set(err, QR_ELIMIT,
                      "limit: JPEG (%s) keeps %llu bytes of DCT coefficients while it decodes, "
                      "above the cap of %llu", is_progressive(hd->sof) ? "progressive" : "multi-scan",
                      (unsigned long long)bytes, (unsigned long long)lim->max_page_bytes);
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
    scan_markers(buf, len, &hd, NULL);
    const char *why = failed ? tjGetErrorStr2(tj) : "no frame header giving the page size";
    if (!hd.sos)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG truncated in its header: its %zu "
                          "bytes end before the image data (%s)", len, why);
    return qr_err_set(err, QR_ECORRUPT, "corrupt: JPEG header not readable: %s", why);
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

static int decode_into(tjhandle tj, const uint8_t *buf, size_t len, PIX *pix, qr_err *err)
{
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
    bool progressive = is_progressive(hd->sof);
    strcpy(page->encoding, progressive ? "jpeg-progressive" : "jpeg");
    page->scan_time = hd->exif.time;
    page->scanner = hd->exif.scanner;
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
                       qr_page *page, const qr_band_sink *sink, qr_err *err)
{
    int w = 0, h = 0, sub = 0, cs = 0;
    if (len > (size_t)UINT32_MAX)
        return qr_err_set(err, QR_ELIMIT, "limit: JPEG file of %zu bytes", len);
    jpeg_hdr hd;
    scan_markers(buf, len, &hd, NULL);
    int rc = use_clean_copy(&buf, &len, &hd, page, err);
    if (rc != QR_OK)
        return rc;
    bool failed = tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) != 0;
    if (failed || w <= 0 || h <= 0)
        return header_fail(tj, failed, buf, len, err);
    if (hd.sof == 0xC3 || hd.sof == 0xC7 || hd.sof == 0xCB || hd.sof == 0xCF)
        return qr_err_set(err, QR_EUNSUPPORTED, "unsupported: lossless JPEG (SOF%d)", hd.sof - 0xC0);
    rc = qr_check_caps(lim, (uint64_t)w, (uint64_t)h, cs == TJCS_GRAY ? 8 : 32, err);
    if (rc == QR_OK)
        rc = check_coefficients(&hd, w, h, lim, err);
    if (rc != QR_OK)
        return rc;
    bool gray = cs == TJCS_GRAY || luma_only(lim, cs, &hd);
    bool cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
    double xdpi, ydpi;
    bool band = qr_band_wanted(sink, lim, (uint64_t)w, (uint64_t)h, gray ? 8 : 32,
                               hd.exif.orientation);
    set_meta(&hd, buf, len, w, h, cs, page, &xdpi, &ydpi);
    PIX *pix = NULL;
    if (band || cmyk) { /* CMYK too: converted a band at a time, not via a copy */
        qr_page_meta(page, xdpi, ydpi);
        rc = qr_jpeg_bands(buf, len, lim, gray ? 8 : 32, cmyk ? 1 + hd.adobe : 0, page,
                           band ? sink : NULL, &pix, err);
        if (rc != QR_OK || band)
            return rc;
        return qr_page_finish(page, pix, hd.exif.orientation, xdpi, ydpi, err);
    }
    if (!(pix = qr_pix_new(w, h, gray ? 8 : 32)))
        return qr_err_set(err, QR_ENOMEM, "out of memory for a %d x %d JPEG", w, h);
    if (!gray)
        pixSetSpp(pix, 3);
    rc = decode_into(tj, buf, len, pix, err);
    if (rc != QR_OK) {
        pixDestroy(&pix);
        return rc;
    }
    return qr_page_finish(page, pix, hd.exif.orientation, xdpi, ydpi, err);
}

int qr_jpeg_decode(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *page,
                   const qr_band_sink *sink, qr_err *err)
{
    tjhandle tj = tjInitDecompress();
    if (!tj)
        return qr_err_set(err, QR_ENOMEM, "cannot start the JPEG decoder");
    int rc = decode_with(tj, buf, len, lim, page, sink, err);
    tjDestroy(tj);
    return rc;
}
