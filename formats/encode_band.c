/*
 * The JPEG and Flate encoders, fed rows band by band (qr_band_encoder in
 * qr_image.h). A page that is never whole in memory (qr_image_decode_bands)
 * is encoded as its bands are decoded; a whole page is one band
 * (qr_encode_jpeg, qr_encode_flate), so both give the same bytes.
 *
 * JPEG goes through libjpeg's scanline interface with exactly the settings
 * TurboJPEG's tjCompress2 uses (jpeg_set_defaults, jpeg_set_quality with
 * baseline tables, the fast integer DCT below quality 96, YCbCr 4:2:0 or
 * grayscale, JFIF header): archives keep the bytes they had when pages were
 * encoded whole with TurboJPEG, which 2.1 can only do. 32 bpp rows go in as
 * they are (Leptonica's word is a libjpeg pixel format); gray rows are
 * unpacked from Leptonica's word order one row at a time.
 *
 * Flate is one zlib stream (compress2's parameters) of the rows a PDF image
 * with /FlateDecode expects: 1 bpp packed with 0 = black, 8 bpp gray, or RGB
 * triplets. deflate's output does not depend on how its input is divided.
 *
 * The stream grows in a buffer capped by max_bytes. libjpeg reports errors
 * by longjmp: every call that enters libjpeg sets the jump target first.
 * One thread per encoder.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <leptonica/allheaders.h>
#include <zlib.h>

#include "image_int.h"

#define OUT_CHUNK 65536

typedef struct enc_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} enc_jerr;

struct qr_band_encoder {
    qr_band_codec codec;
    int w, h, depth, rows;
    uint64_t max_bytes;
    qr_buf out;
    bool over;      /* the stream passed max_bytes */
    bool nomem;
    uint8_t *row;   /* one converted row */
    uint8_t chunk[OUT_CHUNK];
    /* JPEG */
    struct jpeg_compress_struct c;
    struct jpeg_destination_mgr dest;
    enc_jerr jerr;
    bool jpeg_created;
    /* Flate */
    z_stream z;
    bool z_init;
};

/* n bytes of output; false when over the cap or out of memory. */
static bool emit(qr_band_encoder *e, const uint8_t *p, size_t n)
{
    if (e->max_bytes && e->out.len + n > e->max_bytes) {
        e->over = true;
        return false;
    }
    if (qr_buf_append(&e->out, p, n) != QR_OK) {
        e->nomem = true;
        return false;
    }
    return true;
}

/* ---- JPEG ---- */

static void jpeg_fail(j_common_ptr c)
{
    enc_jerr *j = (enc_jerr *)c->err;
    c->err->format_message(c, j->msg);
    longjmp(j->jb, 1);
}

static void dest_init(j_compress_ptr c)
{
    qr_band_encoder *e = c->client_data;
    e->dest.next_output_byte = e->chunk;
    e->dest.free_in_buffer = sizeof e->chunk;
}

static boolean dest_empty(j_compress_ptr c)
{
    qr_band_encoder *e = c->client_data;
    if (!emit(e, e->chunk, sizeof e->chunk))
        longjmp(e->jerr.jb, 1);
    dest_init(c);
    return TRUE;
}

static void dest_term(j_compress_ptr c)
{
    qr_band_encoder *e = c->client_data;
    if (!emit(e, e->chunk, sizeof e->chunk - e->dest.free_in_buffer))
        longjmp(e->jerr.jb, 1);
}

/* tjCompress2's settings (turbojpeg.c, setCompDefaults) for TJPF_XBGR or
 * TJPF_GRAY, TJSAMP_420 or TJSAMP_GRAY, no flags. */
static void jpeg_settings(qr_band_encoder *e, int quality)
{
    struct jpeg_compress_struct *c = &e->c;
    c->image_width = (JDIMENSION)e->w;
    c->image_height = (JDIMENSION)e->h;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    c->in_color_space = e->depth == 32 ? JCS_EXT_RGBX : JCS_GRAYSCALE;
#else
    c->in_color_space = e->depth == 32 ? JCS_EXT_XBGR : JCS_GRAYSCALE;
#endif
    c->input_components = e->depth == 32 ? 4 : 1;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, quality, TRUE);
    c->dct_method = quality >= 96 ? JDCT_ISLOW : JDCT_FASTEST;
    jpeg_set_colorspace(c, e->depth == 32 ? JCS_YCbCr : JCS_GRAYSCALE);
    c->comp_info[0].h_samp_factor = c->comp_info[0].v_samp_factor = e->depth == 32 ? 2 : 1;
    for (int i = 1; i < c->num_components; i++)
        c->comp_info[i].h_samp_factor = c->comp_info[i].v_samp_factor = 1;
}

static int jpeg_start(qr_band_encoder *e, int quality, qr_err *err)
{
    e->c.err = jpeg_std_error(&e->jerr.pub);
    e->jerr.pub.error_exit = jpeg_fail;
    if (setjmp(e->jerr.jb))
        return qr_err_set(err, QR_EFATAL, "JPEG: %s", e->jerr.msg);
    jpeg_create_compress(&e->c);
    e->jpeg_created = true;
    e->c.client_data = e;
    e->dest = (struct jpeg_destination_mgr){.init_destination = dest_init,
                                            .empty_output_buffer = dest_empty,
                                            .term_destination = dest_term};
    e->c.dest = &e->dest;
    jpeg_settings(e, quality);
    jpeg_start_compress(&e->c, TRUE);
    return QR_OK;
}

static int jpeg_error(qr_band_encoder *e, qr_err *err)
{
    if (e->over)
        return qr_err_set(err, QR_ELIMIT, "limit: JPEG stream above the cap of %llu bytes",
                          (unsigned long long)e->max_bytes);
    if (e->nomem)
        return qr_err_set(err, QR_ENOMEM, "JPEG: out of memory");
    return qr_err_set(err, QR_EFATAL, "JPEG: %s", e->jerr.msg);
}

static int jpeg_rows(qr_band_encoder *e, PIX *band, qr_err *err)
{
    int n = pixGetHeight(band), wpl = pixGetWpl(band);
    uint32_t *data = pixGetData(band);
    if (setjmp(e->jerr.jb))
        return jpeg_error(e, err);
    for (int y = 0; y < n; y++) {
        uint32_t *line = data + (size_t)y * (size_t)wpl;
        JSAMPROW row = (JSAMPROW)line;
        if (e->depth == 8) {
            for (int x = 0; x < e->w; x++)
                e->row[x] = (uint8_t)GET_DATA_BYTE(line, x);
            row = e->row;
        }
        jpeg_write_scanlines(&e->c, &row, 1);
    }
    return QR_OK;
}

static int jpeg_end(qr_band_encoder *e, qr_err *err)
{
    if (setjmp(e->jerr.jb))
        return jpeg_error(e, err);
    jpeg_finish_compress(&e->c);
    return QR_OK;
}

/* ---- Flate ---- */

static int flate_error(qr_band_encoder *e, qr_err *err)
{
    if (e->over)
        return qr_err_set(err, QR_ELIMIT, "limit: Flate stream above the cap of %llu bytes",
                          (unsigned long long)e->max_bytes);
    return qr_err_set(err, QR_ENOMEM, "Flate: cannot compress a %d x %d page", e->w, e->h);
}

static int flate_feed(qr_band_encoder *e, const uint8_t *p, size_t n, int flush, qr_err *err)
{
    e->z.next_in = (Bytef *)p;
    e->z.avail_in = (uInt)n;
    int zr;
    do {
        e->z.next_out = e->chunk;
        e->z.avail_out = sizeof e->chunk;
        zr = deflate(&e->z, flush);
        if (zr == Z_STREAM_ERROR || !emit(e, e->chunk, sizeof e->chunk - e->z.avail_out))
            return flate_error(e, err);
    } while (e->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return QR_OK;
}

/* A PIX row as PDF wants it: 1 bpp with 0 = black, gray bytes, RGB triplets. */
static size_t flate_row(const qr_band_encoder *e, const uint32_t *line, uint8_t *dst)
{
    if (e->depth == 32) {
        for (int x = 0; x < e->w; x++) {
            l_int32 r, g, b;
            extractRGBValues(line[x], &r, &g, &b);
            dst[3 * x] = (uint8_t)r, dst[3 * x + 1] = (uint8_t)g, dst[3 * x + 2] = (uint8_t)b;
        }
        return (size_t)e->w * 3;
    }
    size_t n = ((size_t)e->w * (size_t)e->depth + 7) / 8;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)GET_DATA_BYTE(line, i);
        dst[i] = e->depth == 1 ? (uint8_t)~v : v;
    }
    if (e->depth == 1 && (e->w & 7)) /* keep the pad bits of a row clean */
        dst[n - 1] &= (uint8_t)(0xFF00u >> (e->w & 7));
    return n;
}

static int flate_rows(qr_band_encoder *e, PIX *band, qr_err *err)
{
    int n = pixGetHeight(band), wpl = pixGetWpl(band);
    uint32_t *data = pixGetData(band);
    for (int y = 0; y < n; y++) {
        size_t len = flate_row(e, data + (size_t)y * (size_t)wpl, e->row);
        int rc = flate_feed(e, e->row, len, Z_NO_FLUSH, err);
        if (rc != QR_OK)
            return rc;
    }
    return QR_OK;
}

/* ---- the encoder ---- */

static int check_args(qr_band_codec codec, int w, int h, int depth, qr_err *err)
{
    bool ok = codec == QR_BAND_JPEG ? depth == 8 || depth == 32
                                    : depth == 1 || depth == 8 || depth == 32;
    if (codec != QR_BAND_JPEG && codec != QR_BAND_FLATE)
        return qr_err_set(err, QR_EINVAL, "no such encoder %d", (int)codec);
    if (!ok)
        return qr_err_set(err, QR_EINVAL, "%s: cannot encode %d bpp",
                          codec == QR_BAND_JPEG ? "JPEG" : "Flate", depth);
    if (w < 1 || h < 1)
        return qr_err_set(err, QR_EINVAL, "cannot encode a %d x %d page", w, h);
    return QR_OK;
}

int qr_band_encoder_new(qr_band_codec codec, int w, int h, int depth, int quality,
                        uint64_t max_bytes, qr_band_encoder **out, qr_err *err)
{
    *out = NULL;
    int rc = check_args(codec, w, h, depth, err);
    if (rc != QR_OK)
        return rc;
    qr_band_encoder *e = calloc(1, sizeof *e);
    if (!e || !(e->row = malloc((size_t)w * 3 + 4))) {
        free(e);
        return qr_err_set(err, QR_ENOMEM, "out of memory starting an encoder");
    }
    e->codec = codec;
    e->w = w;
    e->h = h;
    e->depth = depth;
    e->max_bytes = max_bytes;
    if (codec == QR_BAND_JPEG) {
        rc = jpeg_start(e, quality < 1 || quality > 100 ? 85 : quality, err);
    } else if (deflateInit(&e->z, Z_DEFAULT_COMPRESSION) == Z_OK) {
        e->z_init = true;
    } else {
        rc = qr_err_set(err, QR_ENOMEM, "cannot start the Flate encoder");
    }
    if (rc != QR_OK)
        qr_band_encoder_free(&e);
    *out = e;
    return rc;
}

int qr_band_encoder_rows(qr_band_encoder *e, const PIX *cband, qr_err *err)
{
    PIX *band = (PIX *)cband; /* Leptonica's getters are not const-correct; never written */
    int n = pixGetHeight(band);
    if (pixGetWidth(band) != e->w || pixGetDepth(band) != e->depth || n > e->h - e->rows)
        return qr_err_set(err, QR_EINVAL, "encoder: a band of %d x %d at %d bpp for a %d x %d "
                          "page at %d bpp, %d rows done", pixGetWidth(band), n,
                          pixGetDepth(band), e->w, e->h, e->depth, e->rows);
    int rc = e->codec == QR_BAND_JPEG ? jpeg_rows(e, band, err) : flate_rows(e, band, err);
    e->rows += n;
    return rc;
}

int qr_band_encoder_finish(qr_band_encoder **enc, uint8_t **out, size_t *len, qr_err *err)
{
    qr_band_encoder *e = *enc;
    *out = NULL;
    *len = 0;
    int rc = QR_OK;
    if (e->rows != e->h)
        rc = qr_err_set(err, QR_EINVAL, "encoder: %d of %d rows given", e->rows, e->h);
    else if (e->codec == QR_BAND_JPEG)
        rc = jpeg_end(e, err);
    else
        rc = flate_feed(e, NULL, 0, Z_FINISH, err);
    if (rc == QR_OK) {
        *out = e->out.data ? e->out.data : malloc(1);
        *len = e->out.len;
        e->out.data = NULL;
        if (!*out)
            rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    qr_band_encoder_free(enc);
    return rc;
}

void qr_band_encoder_free(qr_band_encoder **enc)
{
    qr_band_encoder *e = enc ? *enc : NULL;
    if (!e)
        return;
    if (e->jpeg_created)
        jpeg_destroy_compress(&e->c);
    if (e->z_init)
        deflateEnd(&e->z);
    qr_buf_free(&e->out);
    free(e->row);
    free(e);
    *enc = NULL;
}
