/*
 * ICC v2.1 profile writer for the sRGB output intent and the ICC-based gray
 * colour space of quire's archives (see qr_icc.h for why the project writes
 * its own profiles).
 *
 * The profile bytes are computed here, by the project's own code, from the
 * sRGB definition (IEC 61966-2-1); no third-party profile data is copied, so the
 * result is licence-clean. Layout (ICC.1:2001-04, version 2.1):
 *   128-byte header ('acsp', class 'mntr', PCS 'XYZ ', D50 illuminant),
 *   tag count + tag table (signature, offset, size; big-endian),
 *   tag data, each element starting on a 4-byte boundary.
 * Tags that carry identical data (rTRC/gTRC/bTRC) share one element, as the
 * specification allows.
 *
 * Pure functions over a caller's buffer: any thread, no globals.
 */
#include <math.h>
#include <string.h>

#include "qr_icc.h"

#define ICC_HEADER 128
#define ICC_MAX_TAGS 12
#define ICC_CURVE_POINTS 1024

static const char ICC_COPYRIGHT[] =
    "Copyright the quire project. This profile is computed by quire from the sRGB "
    "definition and may be freely used, copied and embedded without restriction.";

typedef struct icc_tag {
    char sig[5];
    uint32_t offset, size;
} icc_tag;

typedef struct icc_build {
    qr_buf data;            /* tag data area; offsets are relative to its start */
    icc_tag tags[ICC_MAX_TAGS];
    int n_tags;
    int bad;                /* sticky allocation failure */
} icc_build;

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put(icc_build *b, const void *p, size_t n)
{
    if (!b->bad && qr_buf_append(&b->data, p, n) != QR_OK)
        b->bad = 1;
}

static void put32(icc_build *b, uint32_t v)
{
    uint8_t q[4];
    be32(q, v);
    put(b, q, 4);
}

static void put16(icc_build *b, uint16_t v)
{
    uint8_t q[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put(b, q, 2);
}

/* s15Fixed16Number, round to nearest. */
static uint32_t s15f16(double v)
{
    return (uint32_t)(int32_t)lround(v * 65536.0);
}

/* Start a tag element: align, record its offset; returns the offset. */
static size_t tag_begin(icc_build *b, const char type[4])
{
    static const uint8_t zero[4];
    size_t pad = (4 - b->data.len % 4) % 4;
    put(b, zero, pad);
    size_t off = b->data.len;
    put(b, type, 4);
    put(b, zero, 4); /* reserved */
    return off;
}

static void tag_add(icc_build *b, const char sig[4], size_t off)
{
    icc_tag *t = &b->tags[b->n_tags++];
    memcpy(t->sig, sig, 4);
    t->sig[4] = '\0';
    t->offset = (uint32_t)off;
    t->size = (uint32_t)(b->data.len - off);
}

/* Add another tag signature pointing at the element of an earlier tag. */
static void tag_share(icc_build *b, const char sig[4], int from)
{
    icc_tag *t = &b->tags[b->n_tags++];
    *t = b->tags[from];
    memcpy(t->sig, sig, 4);
}

/* textDescriptionType: ASCII part only; Unicode and ScriptCode parts empty. */
static void tag_desc(icc_build *b, const char *text)
{
    static const uint8_t zero[67];
    size_t off = tag_begin(b, "desc");
    size_t n = strlen(text) + 1;
    put32(b, (uint32_t)n);
    put(b, text, n);
    put32(b, 0); /* Unicode language code */
    put32(b, 0); /* Unicode count */
    put16(b, 0); /* ScriptCode code */
    put(b, zero, 1); /* ScriptCode count */
    put(b, zero, sizeof zero);
    tag_add(b, "desc", off);
}

static void tag_text(icc_build *b, const char sig[4], const char *text)
{
    size_t off = tag_begin(b, "text");
    put(b, text, strlen(text) + 1);
    tag_add(b, sig, off);
}

static void tag_xyz(icc_build *b, const char sig[4], double x, double y, double z)
{
    size_t off = tag_begin(b, "XYZ ");
    put32(b, s15f16(x));
    put32(b, s15f16(y));
    put32(b, s15f16(z));
    tag_add(b, sig, off);
}

/* The sRGB electro-optical transfer function (IEC 61966-2-1). */
static double srgb_to_linear(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static void tag_srgb_curve(icc_build *b, const char sig[4])
{
    size_t off = tag_begin(b, "curv");
    put32(b, ICC_CURVE_POINTS);
    for (int i = 0; i < ICC_CURVE_POINTS; i++) {
        double lin = srgb_to_linear((double)i / (ICC_CURVE_POINTS - 1));
        put16(b, (uint16_t)lround(lin * 65535.0));
    }
    tag_add(b, sig, off);
}

static const double D50[3] = { 0.9642, 1.0, 0.8249 };

static void write_header(uint8_t *h, uint32_t size, const char space[4])
{
    /* Fixed creation date: the bytes must not depend on when they are made. */
    static const uint16_t date[6] = { 2024, 1, 1, 0, 0, 0 };
    memset(h, 0, ICC_HEADER);
    be32(h, size);
    be32(h + 8, 0x02100000u); /* version 2.1.0 */
    memcpy(h + 12, "mntr", 4);
    memcpy(h + 16, space, 4);
    memcpy(h + 20, "XYZ ", 4);
    for (int i = 0; i < 6; i++) {
        h[24 + 2 * i] = (uint8_t)(date[i] >> 8);
        h[25 + 2 * i] = (uint8_t)date[i];
    }
    memcpy(h + 36, "acsp", 4);
    be32(h + 64, 0); /* perceptual */
    be32(h + 68, s15f16(D50[0]));
    be32(h + 72, s15f16(D50[1]));
    be32(h + 76, s15f16(D50[2]));
}

/* Header + tag table + data into out. */
static int assemble(icc_build *b, const char space[4], qr_buf *out)
{
    static const uint8_t zero[4];
    put(b, zero, (4 - b->data.len % 4) % 4);
    if (b->bad)
        return QR_ENOMEM;
    size_t table = 4 + 12 * (size_t)b->n_tags;
    size_t total = ICC_HEADER + table + b->data.len;
    if (qr_buf_reserve(out, total) != QR_OK)
        return QR_ENOMEM;
    uint8_t *p = out->data + out->len;
    write_header(p, (uint32_t)total, space);
    be32(p + ICC_HEADER, (uint32_t)b->n_tags);
    for (int i = 0; i < b->n_tags; i++) {
        uint8_t *e = p + ICC_HEADER + 4 + 12 * i;
        memcpy(e, b->tags[i].sig, 4);
        be32(e + 4, (uint32_t)(ICC_HEADER + table + b->tags[i].offset));
        be32(e + 8, b->tags[i].size);
    }
    memcpy(p + ICC_HEADER + table, b->data.data, b->data.len);
    out->len += total;
    return QR_OK;
}

/* 3x3 matrices as a struct: C17 cannot pass double[3][3] as const. */
typedef struct mat3 {
    double v[3][3];
} mat3;

static mat3 mat_mul(const mat3 *a, const mat3 *b)
{
    mat3 r;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r.v[i][j] = a->v[i][0] * b->v[0][j] + a->v[i][1] * b->v[1][j] +
                        a->v[i][2] * b->v[2][j];
    return r;
}

static void mat_vec(const mat3 *a, const double v[3], double r[3])
{
    for (int i = 0; i < 3; i++)
        r[i] = a->v[i][0] * v[0] + a->v[i][1] * v[1] + a->v[i][2] * v[2];
}

static mat3 mat_inv(const mat3 *a)
{
    const double(*m)[3] = a->v;
    double c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    double c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    double c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    double det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
    mat3 r = { { { c00 / det, (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det,
                   (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det },
                 { c01 / det, (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det,
                   (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det },
                 { c02 / det, (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det,
                   (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det } } };
    return r;
}

/* Bradford chromatic adaptation from white src to white dst (XYZ, Y = 1). */
static mat3 bradford(const double src[3], const double dst[3])
{
    static const mat3 mb = { { { 0.8951, 0.2664, -0.1614 },
                               { -0.7502, 1.7135, 0.0367 },
                               { 0.0389, -0.0685, 1.0296 } } };
    double cs[3], cd[3];
    mat3 mbi = mat_inv(&mb);
    mat_vec(&mb, src, cs);
    mat_vec(&mb, dst, cd);
    mat3 d = { { { cd[0] / cs[0], 0, 0 }, { 0, cd[1] / cs[1], 0 }, { 0, 0, cd[2] / cs[2] } } };
    mat3 t = mat_mul(&d, &mb);
    return mat_mul(&mbi, &t);
}

void qr_icc_srgb_d50_matrix(double m[3][3])
{
    /* IEC 61966-2-1 chromaticities of red, green, blue and the D65 white. */
    static const double xy[3][2] = { { 0.64, 0.33 }, { 0.30, 0.60 }, { 0.15, 0.06 } };
    const double w65[3] = { 0.3127 / 0.3290, 1.0, (1.0 - 0.3127 - 0.3290) / 0.3290 };
    mat3 p, rgb65;
    double s[3];
    for (int c = 0; c < 3; c++) {
        p.v[0][c] = xy[c][0] / xy[c][1];
        p.v[1][c] = 1.0;
        p.v[2][c] = (1.0 - xy[c][0] - xy[c][1]) / xy[c][1];
    }
    mat3 pi = mat_inv(&p);
    mat_vec(&pi, w65, s);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            rgb65.v[r][c] = p.v[r][c] * s[c];
    mat3 ad = bradford(w65, D50);
    mat3 out = mat_mul(&ad, &rgb65);
    memcpy(m, out.v, sizeof out.v);
}

int qr_icc_srgb(qr_buf *out)
{
    icc_build b = { 0 };
    double m[3][3];
    qr_icc_srgb_d50_matrix(m);
    tag_desc(&b, "sRGB IEC61966-2.1 (quire)");
    tag_text(&b, "cprt", ICC_COPYRIGHT);
    tag_xyz(&b, "wtpt", D50[0], D50[1], D50[2]);
    tag_xyz(&b, "rXYZ", m[0][0], m[1][0], m[2][0]);
    tag_xyz(&b, "gXYZ", m[0][1], m[1][1], m[2][1]);
    tag_xyz(&b, "bXYZ", m[0][2], m[1][2], m[2][2]);
    tag_srgb_curve(&b, "rTRC");
    tag_share(&b, "gTRC", b.n_tags - 1);
    tag_share(&b, "bTRC", b.n_tags - 2);
    int rc = assemble(&b, "RGB ", out);
    qr_buf_free(&b.data);
    return rc;
}

int qr_icc_gray(qr_buf *out)
{
    icc_build b = { 0 };
    tag_desc(&b, "Gray with sRGB transfer curve (quire)");
    tag_text(&b, "cprt", ICC_COPYRIGHT);
    tag_xyz(&b, "wtpt", D50[0], D50[1], D50[2]);
    tag_srgb_curve(&b, "kTRC");
    int rc = assemble(&b, "GRAY", out);
    qr_buf_free(&b.data);
    return rc;
}
