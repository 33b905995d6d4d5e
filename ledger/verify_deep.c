/*
 * quire verify --deep: an archive is read the way a viewer would, so that
 * damage a hash comparison cannot explain (an archive written wrong, or a
 * modified one: which page?) is named. The page tree is walked from the
 * catalog (no object visited twice, no deeper than 16 levels, each node's
 * /Count equal to the pages under it), and each page's image XObjects are
 * decoded in full by the project's own decoders (formats/qr_image.h), under
 * the usual caps against decompression bombs:
 *   DCTDecode      the stream is a JPEG file: decoded as one;
 *   CCITTFaxDecode (K -1) and FlateDecode
 *                  wrapped in a minimal one-strip TIFF (Group 4, or Adobe
 *                  Deflate with 1 or 8 bits and 1 or 3 samples) and decoded
 *                  by libtiff through the TIFF reader; no codec header is
 *                  needed here.
 * The decoded size must be the one the image dictionary gives. Everything
 * read comes through the bounded reader of verify_pdf.c.
 * Runs on the caller's thread; a qr_image reader is its own.
 */
#include "verify_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_image.h"

#define VD_MAX_DEPTH 16
#define VD_MAX_STREAM (1536ull << 20) /* the cap on one page's bytes */
#define VD_MAX_FINDINGS 8             /* per archive: the first ones say enough */

typedef struct deep {
    vp_doc *d;
    vf_out *o;
    const char *file_id, *path;
    int version;
    uint8_t *seen;              /* one byte per object: visited */
    int pages;
    int findings;
    qr_limits lim;
} deep;

static void problem(deep *k, int page, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(deep *k, int page, const char *fmt, ...)
{
    if (++k->findings > VD_MAX_FINDINGS)
        return;
    char what[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (page > 0)
        vf_emit(k->o, QR_VERIFY_STRUCTURE, k->file_id, k->version, k->path, 0, NULL, NULL,
                "page %d: %s", page, what);
    else
        vf_emit(k->o, QR_VERIFY_STRUCTURE, k->file_id, k->version, k->path, 0, NULL, NULL, "%s",
                what);
}

/* ---- a one-strip TIFF around a raw stream ------------------------------------ */

enum { T_SHORT = 3, T_LONG = 4 };

static uint8_t *put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *tag(uint8_t *p, unsigned id, unsigned type, uint32_t count, uint32_t value)
{
    p = put16(p, id);
    p = put16(p, type);
    p = put32(p, count);
    if (type == T_SHORT && count == 1)
        return put32(p, value & 0xFFFF);
    return put32(p, value);
}

#define TIFF_TAGS 11
#define TIFF_HEAD (8 + 2 + 12 * TIFF_TAGS + 4 + 8) /* header, IFD, BitsPerSample x3 */

/* Fill the TIFF_HEAD bytes before a strip of len bytes. */
static void tiff_head(uint8_t *h, uint32_t w, uint32_t rows, unsigned bps, unsigned spp,
                      unsigned compression, unsigned photometric, uint32_t len)
{
    uint8_t *p = h;
    memcpy(p, "II*\0", 4);
    p = put32(p + 4, 8);
    p = put16(p, TIFF_TAGS);
    uint32_t bps_at = 8 + 2 + 12 * TIFF_TAGS + 4;
    p = tag(p, 256, T_LONG, 1, w);
    p = tag(p, 257, T_LONG, 1, rows);
    p = spp == 3 ? tag(p, 258, T_SHORT, 3, bps_at) : tag(p, 258, T_SHORT, 1, bps);
    p = tag(p, 259, T_SHORT, 1, compression);
    p = tag(p, 262, T_SHORT, 1, photometric);
    p = tag(p, 273, T_LONG, 1, TIFF_HEAD);
    p = tag(p, 277, T_SHORT, 1, spp);
    p = tag(p, 278, T_LONG, 1, rows);
    p = tag(p, 279, T_LONG, 1, len);
    p = tag(p, 284, T_SHORT, 1, 1);
    p = tag(p, 293, T_LONG, 1, 0);  /* T6Options (ignored unless Group 4) */
    p = put32(p, 0);                /* no next IFD */
    for (int i = 0; i < 3; i++)
        p = put16(p, bps);
    put16(p, 0);
}

/* ---- one image -------------------------------------------------------------------- */

typedef struct image_info {
    int64_t w, h, bpc, comps;
    const vp_val *filter;
} image_info;

/* Components of the colour space: DeviceGray/RGB, or an ICCBased stream's /N. */
static int64_t components(deep *k, const vp_val *cs)
{
    if (vp_is_name(cs, "DeviceGray") || vp_is_name(cs, "CalGray"))
        return 1;
    if (vp_is_name(cs, "DeviceRGB") || vp_is_name(cs, "CalRGB"))
        return 3;
    uint32_t ref;
    if (!cs || cs->t != VP_ARRAY || cs->len != 2 || !vp_is_name(&cs->v[0], "ICCBased") ||
        !vp_ref(&cs->v[1], &ref))
        return 0;
    vp_obj icc = {0};
    qr_err err = {0};
    int64_t n = 0;
    if (vp_object(k->d, ref, &icc, &err) == QR_OK && icc.stream)
        vp_int(vp_get(&icc.val, "N"), &n);
    vp_obj_free(&icc);
    return n;
}

/* Decode buf[0..len) with the project's decoders; the size it has. */
static int decode(deep *k, const uint8_t *buf, size_t len, int *w, int *h, qr_err *err)
{
    qr_image_reader *rd = NULL;
    qr_page pg = {0};
    int rc = qr_image_open(buf, len, &k->lim, &rd, err);
    if (rc == QR_OK)
        rc = qr_image_decode(rd, 0, &pg, err);
    if (rc == QR_OK) {
        *w = (int)pixGetWidth(pg.pix);
        *h = (int)pixGetHeight(pg.pix);
        if (pg.orientation >= 5) { /* an EXIF turn the decoder applied: back */
            int t = *w;
            *w = *h;
            *h = t;
        }
    }
    qr_page_clear(&pg);
    qr_image_close(&rd);
    return rc;
}

/* The TIFF wrapping of a CCITT G4 or Flate stream, or why it cannot be. */
static const char *wrap_params(const image_info *im, const vp_val *parms, unsigned *comp,
                               unsigned *photo)
{
    if (vp_is_name(im->filter, "CCITTFaxDecode")) {
        int64_t kk = 0, cols = 1728;
        vp_int(vp_get(parms, "K"), &kk);
        vp_int(vp_get(parms, "Columns"), &cols);
        if (kk >= 0)
            return "a CCITT image that is not Group 4 (K >= 0)";
        if (cols != im->w || im->bpc != 1 || im->comps != 1)
            return "a CCITT image whose /Columns, bits or colours do not match its size";
        *comp = 4;  /* Group 4 */
        *photo = 0; /* min-is-white: the fax convention */
        return NULL;
    }
    if (vp_is_name(im->filter, "FlateDecode")) {
        if (parms)
            return "a Flate image with a predictor (quire writes none)";
        if (!(im->bpc == 1 || im->bpc == 8) || !(im->comps == 1 || im->comps == 3) ||
            (im->bpc == 1 && im->comps == 3))
            return "a Flate image of bits and colours quire does not write";
        *comp = 8;  /* Adobe Deflate */
        *photo = im->comps == 3 ? 2 : 1;
        return NULL;
    }
    return "an image filter quire does not write";
}

static int read_image(deep *k, const vp_obj *img, const image_info *im, int page)
{
    qr_err err = {0};
    unsigned comp = 0, photo = 0;
    bool dct = vp_is_name(im->filter, "DCTDecode");
    const char *why = dct ? NULL : wrap_params(im, vp_get(&img->val, "DecodeParms"), &comp,
                                               &photo);
    if (why) {
        problem(k, page, "%s", why);
        return QR_OK;
    }
    size_t head = dct ? 0 : TIFF_HEAD;
    if (img->length > VD_MAX_STREAM || (!dct && img->length > UINT32_MAX - TIFF_HEAD)) {
        problem(k, page, "%s", "an image stream above the cap of 1.5 GiB");
        return QR_OK;
    }
    uint8_t *data = NULL;
    int rc = vp_read(k->d, img->data, img->length, VD_MAX_STREAM, &data, &err);
    uint8_t *buf = rc == QR_OK && head ? malloc(head + img->length) : data;
    if (rc == QR_OK && !buf)
        rc = qr_err_set(&err, QR_ENOMEM, "out of memory");
    if (rc == QR_OK && head) {
        tiff_head(buf, (uint32_t)im->w, (uint32_t)im->h, (unsigned)im->bpc, (unsigned)im->comps,
                  comp, photo, (uint32_t)img->length);
        memcpy(buf + head, data, img->length);
    }
    int w = 0, h = 0;
    if (rc == QR_OK)
        rc = decode(k, buf, head + img->length, &w, &h, &err);
    if (rc == QR_OK && (w != im->w || h != im->h)) {
        char d[96];
        snprintf(d, sizeof d, "%dx%d", w, h);
        problem(k, page, "an image decodes to %s pixels, not the size its dictionary gives", d);
    } else if (rc != QR_OK && rc != QR_ENOMEM) {
        problem(k, page, "an image stream cannot be decoded: %s", err.msg);
        rc = QR_OK;
    }
    if (buf != data)
        free(buf);
    free(data);
    return rc;
}

static int check_image(deep *k, uint32_t num, int page)
{
    qr_err err = {0};
    vp_obj img = {0};
    if (vp_object(k->d, num, &img, &err) != QR_OK) {
        problem(k, page, "%s", err.msg);
        return QR_OK;
    }
    image_info im = {0};
    bool ok = img.stream && vp_is_name(vp_get(&img.val, "Subtype"), "Image") &&
              vp_int(vp_get(&img.val, "Width"), &im.w) &&
              vp_int(vp_get(&img.val, "Height"), &im.h) &&
              vp_int(vp_get(&img.val, "BitsPerComponent"), &im.bpc) && im.w > 0 && im.h > 0 &&
              im.w <= INT32_MAX && im.h <= INT32_MAX;
    im.filter = vp_get(&img.val, "Filter");
    im.comps = components(k, vp_get(&img.val, "ColorSpace"));
    int rc = QR_OK;
    if (!ok)
        problem(k, page, "%s", "an XObject is no image with a width, height and bit depth");
    else if (im.comps == 0)
        problem(k, page, "%s", "an image's colour space cannot be read");
    else
        rc = read_image(k, &img, &im, page);
    vp_obj_free(&img);
    return rc;
}

/* ---- the page tree ----------------------------------------------------------------- */

static int check_page(deep *k, const vp_obj *pg)
{
    int page = ++k->pages;
    const vp_val *mb = vp_get(&pg->val, "MediaBox");
    if (!mb || mb->t != VP_ARRAY || mb->len != 4)
        problem(k, page, "%s", "no /MediaBox of four numbers");
    uint32_t contents;
    if (!vp_ref(vp_get(&pg->val, "Contents"), &contents))
        problem(k, page, "%s", "no /Contents stream");
    const vp_val *xo = vp_get(vp_get(&pg->val, "Resources"), "XObject");
    size_t images = 0;
    int rc = QR_OK;
    for (size_t i = 0; xo && xo->t == VP_DICT && i < xo->len && rc == QR_OK; i++) {
        uint32_t num;
        if (vp_ref(&xo->v[2 * i + 1], &num)) {
            images++;
            rc = check_image(k, num, page);
        }
    }
    if (images == 0)
        problem(k, page, "%s", "no image");
    return rc;
}

static int walk(deep *k, uint32_t num, int depth, int64_t *count);

static int walk_kids(deep *k, const vp_obj *node, uint32_t num, int depth, int64_t *count)
{
    const vp_val *kids = vp_get(&node->val, "Kids");
    int64_t want = -1, have = 0;
    vp_int(vp_get(&node->val, "Count"), &want);
    if (!kids || kids->t != VP_ARRAY) {
        problem(k, 0, "%s", "a /Pages node has no /Kids");
        return QR_OK;
    }
    int rc = QR_OK;
    for (size_t i = 0; i < kids->len && rc == QR_OK; i++) {
        uint32_t kid;
        if (vp_ref(&kids->v[i], &kid))
            rc = walk(k, kid, depth + 1, &have);
        else
            problem(k, 0, "%s", "a /Kids entry is no reference");
    }
    if (want != have) {
        char d[96];
        snprintf(d, sizeof d, "%" PRIu32 " says /Count %" PRId64 " but holds %" PRId64, num,
                 want, have);
        problem(k, 0, "page tree node %s pages", d);
    }
    *count += have;
    return rc;
}

static int walk(deep *k, uint32_t num, int depth, int64_t *count)
{
    char d[64];
    snprintf(d, sizeof d, "%" PRIu32, num);
    if (depth > VD_MAX_DEPTH || num >= k->d->n || k->seen[num]) {
        if (depth > VD_MAX_DEPTH)
            problem(k, 0, "the page tree is deeper than 16 levels (at object %s)", d);
        else
            problem(k, 0, "the page tree visits object %s twice or names one that is not "
                    "there", d);
        return QR_OK;
    }
    k->seen[num] = 1;
    qr_err err = {0};
    vp_obj node = {0};
    if (vp_object(k->d, num, &node, &err) != QR_OK) {
        problem(k, 0, "%s", err.msg);
        return QR_OK;
    }
    int rc = QR_OK;
    if (vp_is_name(vp_get(&node.val, "Type"), "Pages")) {
        rc = walk_kids(k, &node, num, depth, count);
    } else if (vp_is_name(vp_get(&node.val, "Type"), "Page")) {
        (*count)++;
        rc = check_page(k, &node);
    } else {
        problem(k, 0, "page tree object %s is neither /Pages nor /Page", d);
    }
    vp_obj_free(&node);
    return rc;
}

int vd_check(vp_doc *d, vf_out *o, const char *file_id, int version, const char *path,
             int *pages, qr_err *err)
{
    deep k = {.d = d, .o = o, .file_id = file_id, .path = path, .version = version};
    qr_limits_default(&k.lim);
    k.lim.luma_when_passthrough = true; /* every byte is still decoded */
    *pages = 0;
    if (!(k.seen = calloc(d->n, 1)))
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    uint32_t root = 0, tree = 0;
    vp_obj cat = {0};
    qr_err e = {0};
    vp_ref(vp_get(&d->trailer.val, "Root"), &root);
    int rc = QR_OK;
    int64_t count = 0;
    if (vp_object(d, root, &cat, &e) != QR_OK)
        problem(&k, 0, "%s", e.msg);
    else if (!vp_ref(vp_get(&cat.val, "Pages"), &tree))
        problem(&k, 0, "%s", "the catalog has no /Pages");
    else
        rc = walk(&k, tree, 0, &count);
    vp_obj_free(&cat);
    free(k.seen);
    if (k.findings > VD_MAX_FINDINGS) {
        char n[32];
        snprintf(n, sizeof n, "%d", k.findings - VD_MAX_FINDINGS);
        k.findings = 0;
        problem(&k, 0, "and %s more problems in this archive", n);
    }
    *pages = k.pages;
    if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    return rc;
}
