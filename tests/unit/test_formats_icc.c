/*
 * Tests of the ICC profiles quire writes (qr_icc.h): byte layout against the
 * ICC v2 specification, the D50-adapted sRGB primaries against their
 * published values, the transfer curve, and acceptance by Little CMS
 * (transicc): our sRGB profile must convert like lcms2's built-in sRGB, and
 * our gray profile must map gray levels onto the sRGB neutral axis.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_icc.h"
#include "qr_test.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static double s15(const uint8_t *p)
{
    return (int32_t)be32(p) / 65536.0;
}

/* Find a tag; returns its data or NULL, *size set. */
static const uint8_t *tag(const qr_buf *b, const char sig[4], uint32_t *size)
{
    uint32_t n = be32(b->data + 128);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = b->data + 132 + 12 * i;
        if (memcmp(e, sig, 4) == 0) {
            *size = be32(e + 8);
            return b->data + be32(e + 4);
        }
    }
    return NULL;
}

static void check_layout(const qr_buf *b, const char *space, const char *const *tags, int ntags)
{
    CHECK_EQ_INT(be32(b->data), b->len);
    CHECK_EQ_INT(b->len % 4, 0);
    CHECK(memcmp(b->data + 36, "acsp", 4) == 0);
    CHECK_EQ_INT(be32(b->data + 8), 0x02100000);
    CHECK(memcmp(b->data + 12, "mntr", 4) == 0);
    CHECK(memcmp(b->data + 16, space, 4) == 0);
    CHECK(memcmp(b->data + 20, "XYZ ", 4) == 0);
    CHECK(fabs(s15(b->data + 68) - 0.9642) < 1e-4 && fabs(s15(b->data + 76) - 0.8249) < 1e-4);
    CHECK_EQ_INT(be32(b->data + 128), ntags);
    for (int i = 0; i < ntags; i++) {
        uint32_t size = 0;
        const uint8_t *t = tag(b, tags[i], &size);
        CHECKF(t != NULL, "tag %s present", tags[i]);
        if (!t)
            continue;
        size_t off = (size_t)(t - b->data);
        CHECKF(off % 4 == 0 && off + size <= b->len && size >= 12, "tag %s placement", tags[i]);
    }
}

static void check_curve(const qr_buf *b, const char *sig)
{
    uint32_t size = 0;
    const uint8_t *t = tag(b, sig, &size);
    if (!CHECK(t && memcmp(t, "curv", 4) == 0))
        return;
    uint32_t n = be32(t + 8);
    CHECK_EQ_INT(n, 1024);
    CHECK_EQ_INT(size, 12 + 2 * n);
    bool mono = true;
    for (uint32_t i = 1; i < n; i++)
        mono &= (t[12 + 2 * i] << 8 | t[13 + 2 * i]) >= (t[10 + 2 * i] << 8 | t[11 + 2 * i]);
    CHECK(mono);
    CHECK_EQ_INT(t[12] << 8 | t[13], 0);
    CHECK_EQ_INT(t[12 + 2 * (n - 1)] << 8 | t[13 + 2 * (n - 1)], 65535);
    /* entry 511 is input 0.4995: sRGB gives 0.2140 linear */
    double mid = (t[12 + 2 * 511] << 8 | t[13 + 2 * 511]) / 65535.0;
    CHECKF(fabs(mid - 0.2140) < 0.001, "curve midpoint %f", mid);
}

static void check_text_tags(const qr_buf *b)
{
    uint32_t size = 0;
    const uint8_t *c = tag(b, "cprt", &size);
    CHECK(c && memcmp(c, "text", 4) == 0 && c[size - 1] == '\0');
    CHECK(c && strstr((const char *)c + 8, "quire") && strstr((const char *)c + 8, "freely"));
    const uint8_t *d = tag(b, "desc", &size);
    CHECK(d && memcmp(d, "desc", 4) == 0);
    if (d) {
        uint32_t n = be32(d + 8);
        CHECK_EQ_INT(size, 12 + n + 4 + 4 + 2 + 1 + 67);
        CHECK(d[12 + n - 1] == '\0');
    }
}

static void test_matrix(void)
{
    /* Published Bradford-adapted sRGB colorants (e.g. in the ICC's sRGB profiles).
     * They derive from the 4-digit matrix of IEC 61966-2-1, we from the exact
     * chromaticities, so agreement is to the 4th decimal (well below one
     * step of 8-bit colour). */
    static const double ref[3][3] = { { 0.4360747, 0.3850649, 0.1430804 },
                                      { 0.2225045, 0.7168786, 0.0606169 },
                                      { 0.0139322, 0.0971045, 0.7141733 } };
    double m[3][3];
    qr_icc_srgb_d50_matrix(m);
    double worst = 0;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            worst = fmax(worst, fabs(m[r][c] - ref[r][c]));
    CHECKF(worst < 5e-4, "matrix deviates %g from the published colorants", worst);
    CHECK(fabs(m[0][0] + m[0][1] + m[0][2] - 0.9642) < 1e-4);
    CHECK(fabs(m[1][0] + m[1][1] + m[1][2] - 1.0) < 1e-4);
    CHECK(fabs(m[2][0] + m[2][1] + m[2][2] - 0.8249) < 1e-4);
}

static void test_srgb(void)
{
    static const char *const tags[] = { "desc", "cprt", "wtpt", "rXYZ", "gXYZ",
                                        "bXYZ", "rTRC", "gTRC", "bTRC" };
    qr_buf b = { 0 };
    CHECK_EQ_INT(qr_icc_srgb(&b), QR_OK);
    check_layout(&b, "RGB ", tags, 9);
    check_curve(&b, "rTRC");
    check_curve(&b, "bTRC");
    check_text_tags(&b);
    uint32_t size;
    const uint8_t *g = tag(&b, "gXYZ", &size);
    CHECK(g && memcmp(g, "XYZ ", 4) == 0 && size == 20 && fabs(s15(g + 12) - 0.7169) < 1e-3);
    qr_buf b2 = { 0 };
    CHECK_EQ_INT(qr_icc_srgb(&b2), QR_OK);
    CHECK(b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0); /* deterministic */
    qr_buf_free(&b);
    qr_buf_free(&b2);
}

static void test_gray(void)
{
    static const char *const tags[] = { "desc", "cprt", "wtpt", "kTRC" };
    qr_buf b = { 0 };
    CHECK_EQ_INT(qr_icc_gray(&b), QR_OK);
    check_layout(&b, "GRAY", tags, 4);
    check_curve(&b, "kTRC");
    check_text_tags(&b);
    qr_buf_free(&b);
}

/* ---- Little CMS ------------------------------------------------------------ */

static bool save(const char *path, qr_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

/* Run transicc on one input line; parse up to 3 numbers from its output. */
static int transicc(const char *args, const char *input, double out[3], char *err, size_t n)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "echo '%s' | transicc -n %s 2>&1", input, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char all[2048] = "", line[512], last[512] = "";
    while (fgets(line, sizeof line, p)) {
        if (strlen(all) + strlen(line) < sizeof all)
            strcat(all, line);
        if ((line[0] >= '0' && line[0] <= '9') || line[0] == '-')
            snprintf(last, sizeof last, "%s", line); /* the banner lines are text */
    }
    int st = pclose(p);
    snprintf(err, n, "%s", all);
    if (strstr(all, "rror") || strstr(all, "fatal"))
        return -1;
    int k = sscanf(last, "%lf %lf %lf", &out[0], &out[1], &out[2]);
    return st == 0 ? k : -1;
}

static void test_lcms(void)
{
    if (system("command -v transicc >/dev/null 2>&1") != 0) {
        printf("skip lcms check: transicc (liblcms2-utils) not installed\n");
        return;
    }
    char dir[512], rgb[600], gray[600], args[1400], msg[512];
    qr_test_tmpdir("icc", dir, sizeof dir);
    snprintf(rgb, sizeof rgb, "%s/quire-srgb.icc", dir);
    snprintf(gray, sizeof gray, "%s/quire-gray.icc", dir);
    qr_buf b = { 0 }, g = { 0 };
    CHECK(qr_icc_srgb(&b) == QR_OK && save(rgb, &b));
    CHECK(qr_icc_gray(&g) == QR_OK && save(gray, &g));
    static const char *const in[] = { "255 0 0", "0 255 0", "0 0 255", "128 128 128", "10 200 90" };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        double ours[3] = { -1, -1, -1 }, ref[3] = { -2, -2, -2 };
        snprintf(args, sizeof args, "-t1 -i%s -o*Lab", rgb);
        int k1 = transicc(args, in[i], ours, msg, sizeof msg);
        CHECKF(k1 == 3, "lcms2 accepts our sRGB profile (%s)", msg);
        int k2 = transicc("-t1 -i*sRGB -o*Lab", in[i], ref, msg, sizeof msg);
        CHECK(k2 == 3);
        double d = fabs(ours[0] - ref[0]) + fabs(ours[1] - ref[1]) + fabs(ours[2] - ref[2]);
        CHECKF(d < 0.6, "RGB %s: ours Lab %.2f %.2f %.2f vs lcms sRGB %.2f %.2f %.2f", in[i],
               ours[0], ours[1], ours[2], ref[0], ref[1], ref[2]);
    }
    double o[3] = { 0 };
    snprintf(args, sizeof args, "-t1 -i%s -o*sRGB", gray);
    CHECKF(transicc(args, "128", o, msg, sizeof msg) == 3, "lcms2 accepts our gray profile (%s)",
           msg);
    CHECKF(fabs(o[0] - 128) < 1.0 && fabs(o[1] - 128) < 1.0 && fabs(o[2] - 128) < 1.0,
           "gray 128 -> sRGB %.2f %.2f %.2f", o[0], o[1], o[2]);
    qr_buf_free(&b);
    qr_buf_free(&g);
}

int main(void)
{
    test_matrix();
    test_srgb();
    test_gray();
    test_lcms();
    return qr_test_end();
}
