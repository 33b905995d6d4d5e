/*
 * Decompression bombs: small files that declare something huge. Each one is
 * built here (libtiff, TurboJPEG, libpng, libarchive, or byte by byte where
 * the libraries refuse to write it) and must be refused with QR_ELIMIT, a
 * message naming what was too large and the cap, before the allocation it
 * asks for is made. Legitimate files just under the same rules still decode
 * to the right pixels.
 *
 * Memory and time are not asserted here (bench/rss_flat.sh measures them);
 * every check below is on what the decoder returns.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <leptonica/allheaders.h>
#include <png.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <zlib.h>

#include "qr_delivery.h"
#include "qr_image.h"
#include "qr_test.h"
#include "qr_util.h"

static char tmpdir[4096];

static int decode_lim(const uint8_t *buf, size_t len, const qr_limits *lim, qr_page *pg,
                      qr_err *e)
{
    qr_image_reader *rd = NULL;
    memset(pg, 0, sizeof *pg);
    int rc = qr_image_open(buf, len, lim, &rd, e);
    if (rc == QR_OK) {
        rc = qr_image_decode(rd, 0, pg, e);
        qr_image_close(&rd);
    }
    return rc;
}

/* Refused with QR_ELIMIT, the message holding every one of the words. */
static void expect_limit(const uint8_t *buf, size_t len, const qr_limits *lim, const char *what,
                         const char *const *words)
{
    qr_page pg;
    qr_err e = {0};
    int rc = decode_lim(buf, len, lim, &pg, &e);
    CHECKF(rc == QR_ELIMIT, "%s: refused as a limit (rc %d: %s)", what, rc, e.msg);
    for (int i = 0; words[i]; i++)
        CHECKF(strstr(e.msg, words[i]) != NULL, "%s: message names '%s': %s", what, words[i], e.msg);
    CHECKF(strncmp(e.msg, "limit: ", 7) == 0, "%s: message starts with 'limit: ': %s", what, e.msg);
    qr_page_clear(&pg);
}

/* A zlib stream of n zero bytes (n a multiple of 1 MiB), made without
 * compressing n bytes: after a full flush deflate starts afresh, so every
 * further MiB of zeros compresses to the same bytes. */
static uint8_t *zeros_zlib(uint64_t n, size_t *len)
{
    const size_t chunk = 1u << 20;
    uint8_t *zero = calloc(chunk, 1), first[8192], rest[8192];
    z_stream z = {0};
    deflateInit(&z, 9);
    z.next_in = zero, z.avail_in = (uInt)chunk, z.next_out = first, z.avail_out = sizeof first;
    deflate(&z, Z_FULL_FLUSH);
    size_t n1 = sizeof first - z.avail_out;
    z.next_in = zero, z.avail_in = (uInt)chunk, z.next_out = rest, z.avail_out = sizeof rest;
    deflate(&z, Z_FULL_FLUSH);
    size_t n2 = sizeof rest - z.avail_out;
    deflateEnd(&z);
    free(zero);
    uint64_t reps = n / chunk;
    *len = n1 + (size_t)(reps - 1) * n2 + 6;
    uint8_t *out = malloc(*len), *p = out;
    memcpy(p, first, n1), p += n1;
    for (uint64_t i = 1; i < reps; i++)
        memcpy(p, rest, n2), p += n2;
    uint32_t adler = (uint32_t)((n % 65521u) << 16) | 1u; /* n zeros: a = 1, b = n */
    const uint8_t tail[6] = {0x03, 0x00, (uint8_t)(adler >> 24), (uint8_t)(adler >> 16),
                             (uint8_t)(adler >> 8), (uint8_t)adler};
    memcpy(p, tail, sizeof tail); /* a final empty fixed block, then the checksum */
    return out;
}

static uint8_t *file_of(const char *name, size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return qr_test_read(path, len);
}

static TIFF *tiff_create(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return TIFFOpen(path, "w");
}

static void tiff_page_tags(TIFF *t, uint32_t w, uint32_t h, uint16_t spp, uint16_t comp)
{
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, comp);
}

/* ---- tiles ---- */

/* The bomb: a 16 x 16 page made of one 65536 x 65536 deflate tile of
 * zeros; the file is 4 MB, the tile 4 GiB (12 GiB for RGB). */
static void test_tile_bomb(void)
{
    size_t zl;
    uint8_t *z = zeros_zlib(65536ull * 65536ull, &zl);
    for (uint16_t spp = 1; spp <= 3; spp += 2) {
        TIFF *t = tiff_create("tile.tif");
        tiff_page_tags(t, 16, 16, spp, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(t, TIFFTAG_TILEWIDTH, 65536u);
        TIFFSetField(t, TIFFTAG_TILELENGTH, 65536u);
        CHECK(TIFFWriteRawTile(t, 0, z, (tmsize_t)zl) == (tmsize_t)zl);
        TIFFClose(t);
        size_t len;
        uint8_t *buf = file_of("tile.tif", &len);
        const char *words[] = {"TIFF tile", "65536 x 65536", "above the cap of", NULL};
        expect_limit(buf, len, NULL, spp == 1 ? "gray tile bomb" : "RGB tile bomb", words);
        free(buf);
    }
    free(z);
}

/* A tile far larger than its page but under the caps: the page decodes, and
 * only the rows of the tile that lie on the page are decoded. */
static void test_big_tile_small_page(void)
{
    const uint32_t tw = 2048;
    uint8_t *tile = calloc((size_t)tw * tw, 1);
    for (uint32_t y = 0; y < 20; y++)
        for (uint32_t x = 0; x < 24; x++)
            tile[(size_t)y * tw + x] = (uint8_t)(x * 10 + y);
    TIFF *t = tiff_create("bigtile.tif");
    tiff_page_tags(t, 24, 20, 1, COMPRESSION_ADOBE_DEFLATE);
    TIFFSetField(t, TIFFTAG_TILEWIDTH, tw);
    TIFFSetField(t, TIFFTAG_TILELENGTH, tw);
    CHECK(TIFFWriteEncodedTile(t, 0, tile, (tmsize_t)tw * tw) > 0);
    TIFFClose(t);
    free(tile);
    size_t len;
    uint8_t *buf = file_of("bigtile.tif", &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode_lim(buf, len, NULL, &pg, &e) == QR_OK, "big tile, small page: %s", e.msg);
    long bad = 0;
    for (int y = 0; pg.pix && y < 20; y++)
        for (int x = 0; x < 24; x++) {
            l_uint32 v = 0;
            pixGetPixel(pg.pix, x, y, &v);
            bad += v != (l_uint32)(x * 10 + y);
        }
    CHECK(pg.pix && pixGetWidth(pg.pix) == 24 && pixGetHeight(pg.pix) == 20 && bad == 0);
    qr_page_clear(&pg);
    free(buf);
}

/* ---- strips ---- */

/* RowsPerStrip of 2^32 - 1 on a 16 x 16 page whose single strip inflates to
 * 4 GiB: refused before the strip is inflated, whatever libtiff thinks of
 * the byte count. */
static void test_strip_bomb(void)
{
    size_t zl;
    uint8_t *z = zeros_zlib(65536ull * 65536ull, &zl);
    for (uint16_t spp = 1; spp <= 3; spp += 2) {
        TIFF *t = tiff_create("strip.tif");
        tiff_page_tags(t, 16, 16, spp, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 0xFFFFFFFFu);
        CHECK(TIFFWriteRawStrip(t, 0, z, (tmsize_t)zl) == (tmsize_t)zl);
        TIFFClose(t);
        size_t len;
        uint8_t *buf = file_of("strip.tif", &len);
        qr_page pg;
        qr_err e = {0};
        int rc = decode_lim(buf, len, NULL, &pg, &e);
        CHECKF(rc == QR_ECORRUPT || rc == QR_ELIMIT, "strip bomb (%u samples) refused: %d %s",
               (unsigned)spp, rc, e.msg);
        CHECKF(strstr(e.msg, "strip") != NULL, "strip bomb message names the strip: %s", e.msg);
        qr_page_clear(&pg);
        free(buf);
    }
    free(z);
}

/* ---- tag data: ICC profiles, XMP and private blocks ---- */

typedef struct tagdef {
    uint16_t tag, type;
    uint32_t count, value; /* value: inline, or the offset of the data */
} tagdef;

static void put16(qr_buf *b, unsigned v)
{
    uint8_t p[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    qr_buf_append(b, p, 2);
}

static void put32(qr_buf *b, uint32_t v)
{
    put16(b, v & 0xFFFF);
    put16(b, v >> 16);
}

/* A little-endian TIFF: header, a 16 x 16 gray page's pixels, a blob of
 * blob_len bytes, then one directory with the page's tags and `extra`. */
static uint8_t *tiff_with_tags(size_t blob_len, const tagdef *extra, int n_extra, size_t *len)
{
    qr_buf b = {0};
    qr_buf_append(&b, "II*\0", 4);
    put32(&b, 0); /* directory offset, patched below */
    uint32_t pix_at = (uint32_t)b.len;
    for (int i = 0; i < 256; i++)
        qr_buf_append(&b, &(uint8_t){(uint8_t)(i * 7)}, 1);
    uint32_t blob_at = (uint32_t)b.len;
    uint8_t *blob = calloc(blob_len ? blob_len : 1, 1);
    qr_buf_append(&b, blob, blob_len);
    free(blob);
    uint32_t ifd = (uint32_t)b.len;
    const tagdef page[] = {{256, 4, 1, 16}, {257, 4, 1, 16}, {258, 3, 1, 8}, {259, 3, 1, 1},
                           {262, 3, 1, 1},  {273, 4, 1, pix_at}, {277, 3, 1, 1},
                           {278, 4, 1, 16}, {279, 4, 1, 256}};
    int n_page = (int)(sizeof page / sizeof page[0]);
    put16(&b, (unsigned)(n_page + n_extra));
    for (int i = 0; i < n_page + n_extra; i++) {
        const tagdef *t = i < n_page ? &page[i] : &extra[i - n_page];
        put16(&b, t->tag);
        put16(&b, t->type);
        put32(&b, t->count);
        put32(&b, t->value == UINT32_MAX ? blob_at : t->value);
    }
    put32(&b, 0);
    memcpy(b.data + 4, &(uint32_t){ifd}, 4); /* little-endian host, as the rest of the suite */
    *len = b.len;
    return b.data;
}

/* 64 private tags that all point at the same 1 MiB: 64 MiB of tag data in a
 * file of 1 MiB. */
static void test_shared_tag_data(void)
{
    tagdef t[64];
    for (int i = 0; i < 64; i++)
        t[i] = (tagdef){(uint16_t)(40000 + i), 7, 1u << 20, UINT32_MAX};
    size_t len;
    uint8_t *buf = tiff_with_tags(1u << 20, t, 64, &len);
    const char *words[] = {"TIFF page 1", "tag data", "67108864", NULL};
    expect_limit(buf, len, NULL, "tags sharing their data", words);
    free(buf);
}

/* An ICC profile and an XMP packet each larger than the page-bytes cap. */
static void test_icc_xmp_over_cap(void)
{
    qr_limits lim;
    qr_limits_default(&lim);
    lim.max_page_bytes = 1u << 20;
    const struct {
        uint16_t tag;
        const char *name;
    } blocks[] = {{34675, "ICC profile"}, {700, "XMP packet"}};
    for (int i = 0; i < 2; i++) {
        tagdef t = {blocks[i].tag, 7, 3u << 20, UINT32_MAX};
        size_t len;
        uint8_t *buf = tiff_with_tags(3u << 20, &t, 1, &len);
        const char *words[] = {blocks[i].name, "3145728", "above the cap of 1048576", NULL};
        expect_limit(buf, len, &lim, blocks[i].name, words);
        free(buf);
        /* the same page with a small profile decodes */
        t.count = 4096;
        buf = tiff_with_tags(4096, &t, 1, &len);
        qr_page pg;
        qr_err e = {0};
        CHECKF(decode_lim(buf, len, &lim, &pg, &e) == QR_OK && pg.pix, "small %s: %s",
               blocks[i].name, e.msg);
        qr_page_clear(&pg);
        free(buf);
    }
}

/* A palette page whose colormap is what its bit depth allows decodes; the
 * palette is capped like everything else (never more than 2^16 entries). */
static void test_palette_16bit(void)
{
    uint16_t *cmap = calloc(3 * 65536, sizeof *cmap);
    for (size_t i = 0; i < 65536; i++)
        cmap[i] = cmap[65536 + i] = cmap[131072 + i] = (uint16_t)i;
    TIFF *t = tiff_create("pal16.tif");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 8u);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 8u);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_PALETTE);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    TIFFSetField(t, TIFFTAG_COLORMAP, cmap, cmap + 65536, cmap + 131072);
    uint16_t row[8];
    for (uint32_t y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++)
            row[x] = (uint16_t)(x * 8000 + y * 100);
        TIFFWriteScanline(t, row, y, 0);
    }
    TIFFClose(t);
    free(cmap);
    size_t len;
    uint8_t *buf = file_of("pal16.tif", &len);
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode_lim(buf, len, NULL, &pg, &e) == QR_OK, "16-bit palette: %s", e.msg);
    l_uint32 v = 0;
    if (pg.pix)
        pixGetPixel(pg.pix, 3, 2, &v);
    CHECKF(pg.pix && pixGetDepth(pg.pix) == 8 && v == (3 * 8000 + 200) >> 8,
           "16-bit palette pixel %u", (unsigned)v);
    qr_page_clear(&pg);
    free(buf);
}

/* ---- JPEG ---- */

/* A progressive JPEG keeps every DCT coefficient of the image in memory
 * while it decodes: 6 bytes a pixel at 4:4:4, more than the 4 bytes of the
 * decoded RGB page. That buffer is checked against the cap too. */
static void test_progressive_coefficients(void)
{
    const int w = 1024, h = 1024;
    uint8_t *src = malloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        src[i] = (uint8_t)(200 + i % 7);
    tjhandle tj = tjInitCompress();
    unsigned char *jpg = NULL;
    unsigned long jl = 0;
    CHECK(tjCompress2(tj, src, w, 0, h, TJPF_RGB, &jpg, &jl, TJSAMP_444, 90, TJFLAG_PROGRESSIVE) == 0);
    free(src);
    qr_limits lim;
    qr_limits_default(&lim);
    lim.max_page_bytes = 5u << 20; /* the 4 MiB page fits, its 6 MiB of coefficients do not */
    const char *words[] = {"JPEG", "coefficient", "6291456", "above the cap of 5242880", NULL};
    expect_limit(jpg, jl, &lim, "progressive 4:4:4 JPEG", words);
    lim.max_page_bytes = 7u << 20;
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode_lim(jpg, jl, &lim, &pg, &e) == QR_OK && pg.pix, "under a 7 MiB cap: %s", e.msg);
    qr_page_clear(&pg);
    /* baseline keeps no coefficients: the same page decodes under 5 MiB
     * (a new handle: TurboJPEG 2.1 writes a broken baseline file with a
     * handle that wrote a progressive one) */
    tjFree(jpg);
    tjDestroy(tj);
    tj = tjInitCompress();
    jpg = NULL;
    jl = 0;
    src = calloc((size_t)w * h * 3, 1);
    CHECK(tjCompress2(tj, src, w, 0, h, TJPF_RGB, &jpg, &jl, TJSAMP_444, 90, 0) == 0);
    free(src);
    lim.max_page_bytes = 5u << 20;
    CHECKF(decode_lim(jpg, jl, &lim, &pg, &e) == QR_OK && pg.pix, "baseline under 5 MiB: %s",
           e.msg);
    qr_page_clear(&pg);
    tjFree(jpg);
    tjDestroy(tj);
}

/* ---- PNG ---- */

static void on_write(png_structp png, png_bytep data, size_t n)
{
    qr_buf_append(png_get_io_ptr(png), data, n);
}

/* Text, ICC and other metadata chunks are never read: a page carrying 40
 * zTXt chunks of 4 MB each (160 MB of text from a 160 KB file) decodes as
 * if they were not there. */
static void test_png_text_chunks(void)
{
    qr_buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, &b, on_write, NULL);
    png_set_IHDR(png, info, 16, 16, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    char *text = malloc(4000001);
    memset(text, 'A', 4000000);
    text[4000000] = '\0';
    char key[] = "Comment";
    png_text t[40];
    for (int i = 0; i < 40; i++)
        t[i] = (png_text){.compression = PNG_TEXT_COMPRESSION_zTXt, .key = key, .text = text,
                          .text_length = 4000000};
    png_set_text(png, info, t, 40);
    png_write_info(png, info);
    uint8_t row[16];
    for (int y = 0; y < 16; y++) {
        for (int x = 0; x < 16; x++)
            row[x] = (uint8_t)(x * 16 + y);
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(text);
    qr_limits lim;
    qr_limits_default(&lim);
    lim.max_page_bytes = 1u << 20; /* one text chunk alone is four times this */
    qr_page pg;
    qr_err e = {0};
    CHECKF(decode_lim(b.data, b.len, &lim, &pg, &e) == QR_OK, "PNG with text chunks: %s", e.msg);
    l_uint32 v = 0;
    if (pg.pix)
        pixGetPixel(pg.pix, 5, 3, &v);
    CHECK(pg.pix && v == 5 * 16 + 3);
    qr_page_clear(&pg);
    qr_buf_free(&b);
}

/* ---- archive members ---- */

static void write_box(const char *path, bool zip, size_t member_len)
{
    struct archive *a = archive_write_new();
    if (zip)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "F-1/0001.tif");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)member_len);
    archive_entry_set_mtime(e, 1700000000, 0);
    CHECK(archive_write_header(a, e) == ARCHIVE_OK);
    uint8_t *data = calloc(member_len, 1);
    CHECK(archive_write_data(a, data, member_len) == (la_ssize_t)member_len);
    free(data);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
}

/* A member that declares more bytes than the cap is refused from its
 * header, before any of it is inflated, and the message says how large it
 * is; a member under the cap reads whole. */
static void test_archive_member(void)
{
    for (int zip = 0; zip <= 1; zip++) {
        char dir[4200], path[4300];
        snprintf(dir, sizeof dir, "%s/box-%s", tmpdir, zip ? "zip" : "tar");
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/BOX-1.%s", dir, zip ? "zip" : "tar");
        write_box(path, zip, 3u << 20);
        qr_delivery *d = NULL;
        qr_err err = {0};
        CHECKF(qr_delivery_open(dir, NULL, &d, &err) == QR_OK, "open %s: %s", dir, err.msg);
        const qr_delivery_file *f = d ? qr_delivery_find(d, "F-1") : NULL;
        CHECK(f && f->n_sources == 1);
        if (f && f->n_sources == 1) {
            uint8_t *data = NULL;
            size_t len = 0;
            int rc = qr_delivery_read_source(d, &f->sources[0], 1u << 20, &data, &len, &err);
            CHECKF(rc == QR_ELIMIT && strstr(err.msg, "3145728") &&
                       strstr(err.msg, "above the cap of 1048576"),
                   "%s member over the cap: %d %s", zip ? "zip" : "tar", rc, err.msg);
            CHECK(data == NULL);
            rc = qr_delivery_read_source(d, &f->sources[0], 4u << 20, &data, &len, &err);
            CHECKF(rc == QR_OK && len == 3u << 20, "%s member under the cap: %s",
                   zip ? "zip" : "tar", err.msg);
            free(data);
        }
        qr_delivery_free(&d);
    }
}

int main(void)
{
    qr_test_tmpdir("formats_bombs", tmpdir, sizeof tmpdir);
    test_tile_bomb();
    test_big_tile_small_page();
    test_strip_bomb();
    test_shared_tag_data();
    test_icc_xmp_over_cap();
    test_palette_16bit();
    test_progressive_coefficients();
    test_png_text_chunks();
    test_archive_member();
    return qr_test_end();
}
