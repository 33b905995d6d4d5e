/*
 * What a TIFF page declares, checked against the caps before libtiff acts on
 * it. libtiff reads every tag of a directory into memory when it loads the
 * directory (ICC profiles, XMP packets, IPTC and Photoshop blocks, private
 * tags), and allocates a whole tile whenever it reads one. Its own limit is
 * per allocation only, so a 1 MiB file whose 64 tags all point at the same
 * 1 MiB made libtiff allocate 64 MiB, and one tile of 65536 x 65536 made the
 * decoder allocate 4 GiB for a 16 x 16 page.
 *
 * So the directory is walked here first, bounds-checked, straight from the
 * caller's buffer (no allocation): no single block may exceed the page-bytes
 * cap, and all the blocks of one directory together may not hold more bytes
 * than the file itself (in a well-formed file each block is stored once).
 * Which directory is next is remembered in a cursor, so reading the pages
 * of a file in order walks its chain once.
 *
 * Runs on the thread that owns the reader.
 */
#include <stdio.h>
#include <string.h>

#include "tiff_int.h"

typedef struct tiff_src {
    const uint8_t *p;
    size_t n;
    bool le, big;
} tiff_src;

static bool in_file(const tiff_src *s, uint64_t off, uint64_t len)
{
    return off <= s->n && len <= s->n - off;
}

static uint64_t rd(const tiff_src *s, uint64_t off, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned b = s->p[off + (s->le ? bytes - 1 - i : i)];
        v = v << 8 | b;
    }
    return v;
}

/* The header; false when it is not one (libtiff then says why). */
static bool read_header(const uint8_t *buf, size_t len, tiff_src *s, uint64_t *first)
{
    *s = (tiff_src){buf, len, false, false};
    if (len < 8 || !(memcmp(buf, "II", 2) == 0 || memcmp(buf, "MM", 2) == 0))
        return false;
    s->le = buf[0] == 'I';
    uint64_t version = rd(s, 2, 2);
    if (version == 42) {
        *first = rd(s, 4, 4);
        return true;
    }
    if (version != 43 || len < 16 || rd(s, 4, 2) != 8)
        return false;
    s->big = true;
    *first = rd(s, 8, 8);
    return true;
}

/* Entries of the directory at off (bounded by the bytes present), and the
 * offset of the next one; false when the directory is not in the file. */
static bool dir_shape(const tiff_src *s, uint64_t off, uint64_t *count, uint64_t *next)
{
    unsigned cw = s->big ? 8 : 2, ew = s->big ? 20 : 12, nw = s->big ? 8 : 4;
    if (off == 0 || !in_file(s, off, cw))
        return false;
    *count = rd(s, off, cw);
    uint64_t room = (s->n - off - cw) / ew;
    if (*count > room)
        *count = room;
    uint64_t at = off + cw + *count * ew;
    *next = in_file(s, at, nw) ? rd(s, at, nw) : 0;
    return true;
}

static unsigned type_size(uint64_t type)
{
    static const unsigned size[19] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8};
    return type < 19 ? size[type] : 0;
}

static const char *block_name(uint64_t tag)
{
    switch (tag) {
    case 34675: return "ICC profile";
    case 700: return "XMP packet";
    case 33723: return "IPTC block";
    case 34377: return "Photoshop block";
    case 37724: return "ImageSourceData block";
    case 273: case 324: return "offsets array";
    case 279: case 325: return "byte counts array";
    case 320: return "colormap";
    default: return "tag";
    }
}

/* One directory's out-of-line data against the caps. */
static int check_dir(const tiff_src *s, uint64_t off, int page, const qr_limits *lim, qr_err *err)
{
    uint64_t count, next, total = 0;
    if (!dir_shape(s, off, &count, &next))
        return QR_OK; /* not ours to judge: libtiff reports the damage */
    unsigned cw = s->big ? 8 : 2, ew = s->big ? 20 : 12, inl = s->big ? 8 : 4;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t e = off + cw + i * ew, tag = rd(s, e, 2), n = rd(s, e + 4, s->big ? 8 : 4);
        unsigned sz = type_size(rd(s, e + 2, 2));
        uint64_t bytes;
        if (__builtin_mul_overflow(n, (uint64_t)sz, &bytes))
            bytes = UINT64_MAX;
        if (bytes <= inl)
            continue;
        if (bytes > lim->max_page_bytes)
            return qr_err_set(err, QR_ELIMIT,
                              "limit: TIFF page %d %s (tag %llu) of %llu bytes, above the cap of "
                              "%llu", page, block_name(tag), (unsigned long long)tag,
                              (unsigned long long)bytes, (unsigned long long)lim->max_page_bytes);
        total = total + bytes < total ? UINT64_MAX : total + bytes;
    }
    if (total > s->n || total > lim->max_page_bytes)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: TIFF page %d tags declare %llu bytes of tag data, more than the "
                          "file's %zu bytes (tags share their data) or above the cap of %llu",
                          page, (unsigned long long)total, s->n,
                          (unsigned long long)lim->max_page_bytes);
    return QR_OK;
}

int qr_tiff_check_page(struct qr_tiff_state *st, int index, const qr_limits *lim, qr_err *err)
{
    tiff_src s;
    uint64_t first;
    if (!read_header(st->mem.data, st->mem.len, &s, &first))
        return QR_OK;
    if (index < st->cursor_index || st->cursor_off == 0) {
        st->cursor_index = 0;
        st->cursor_off = first;
    }
    while (st->cursor_index < index) {
        uint64_t count, next;
        if (!dir_shape(&s, st->cursor_off, &count, &next))
            return QR_OK; /* a broken chain: libtiff says where */
        st->cursor_off = next;
        st->cursor_index++;
    }
    return check_dir(&s, st->cursor_off, index + 1, lim, err);
}

int qr_tiff_check_tile(TIFF *tif, const qr_tiff_info *ti, const qr_limits *lim, bool whole,
                       qr_err *err)
{
    uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    uint64_t px = (uint64_t)tw * th, bytes = (uint64_t)TIFFTileSize64(tif);
    if (px > lim->max_pixels)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: TIFF tile %u x %u = %llu pixels, above the cap of %llu",
                          (unsigned)tw, (unsigned)th, (unsigned long long)px,
                          (unsigned long long)lim->max_pixels);
    if (bytes > lim->max_page_bytes)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: TIFF tile %u x %u needs %llu bytes, above the cap of %llu",
                          (unsigned)tw, (unsigned)th, (unsigned long long)bytes,
                          (unsigned long long)lim->max_page_bytes);
    /* A reader that must decode whole tiles (libtiff's RGBA interface) may
     * not be made to decode much more than the page: a tile larger than the
     * page is legal, but never by more than QR_TILE_SLACK bytes. */
    uint64_t page = (uint64_t)ti->w * ti->h * 4u;
    if (whole && bytes > page && bytes > QR_TILE_SLACK)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: TIFF tile %u x %u needs %llu bytes for a page of %u x %u, above "
                          "the cap of %llu", (unsigned)tw, (unsigned)th,
                          (unsigned long long)bytes, (unsigned)ti->w, (unsigned)ti->h,
                          (unsigned long long)(page > QR_TILE_SLACK ? page : QR_TILE_SLACK));
    return QR_OK;
}

/* Whether the directory at off is a reduced-resolution image: NewSubfileType
 * (254) with bit 0 set, or the old SubfileType (255) of 2. */
static bool dir_reduced(const tiff_src *s, uint64_t off, uint64_t count)
{
    unsigned cw = s->big ? 8 : 2, ew = s->big ? 20 : 12;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t e = off + cw + i * ew, tag = rd(s, e, 2), type = rd(s, e + 2, 2);
        uint64_t v = type == 3 ? rd(s, e + (s->big ? 12 : 8), 2)
                   : type == 4 ? rd(s, e + (s->big ? 12 : 8), 4) : 0;
        if ((tag == 254 && (v & 1)) || (tag == 255 && v == 2))
            return true;
    }
    return false;
}

int qr_tiff_full_dirs(const qr_tiff_mem *mem, int n, int *dirs)
{
    tiff_src s;
    uint64_t off, count, next;
    if (!read_header(mem->data, mem->len, &s, &off)) {
        for (int i = 0; i < n; i++)
            dirs[i] = i;
        return n;
    }
    int pages = 0;
    for (int i = 0; i < n; i++, off = next) {
        if (!dir_shape(&s, off, &count, &next)) { /* libtiff counted it: keep it */
            dirs[pages++] = i;
            next = 0;
            continue;
        }
        if (!dir_reduced(&s, off, count))
            dirs[pages++] = i;
    }
    return pages;
}
