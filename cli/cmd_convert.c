/*
 * `quire convert`: write the pages of some image files into one PDF/A archive.
 *
 * It is the smallest useful path through the project (read -> decode ->
 * encode or pass through -> PDF/A), for an operator who has a handful of
 * scans and no manifest, and for tests that need archives of known inputs.
 *
 * Runs on the main thread only. Pages are streamed: each page is decoded,
 * handed to the writer and freed before the next one is decoded, and each
 * source file's bytes are freed before the next file is read, so memory is
 * bounded by the largest source file plus one decoded page. A page above
 * the band size (qr_limits.band_bytes) is never whole: it is encoded band by
 * band as it is decoded (or only decoded, to check it, when its own JPEG is
 * stored), so it costs one band plus its encoded stream.
 *
 * All or nothing: if any input cannot be read or decoded, every failing input
 * is reported ("quire convert: FILE: message"), the writer is aborted (its
 * temporary file removed) and nothing is written under the output name.
 * Unchanged G4 and JPEG pages keep their original bytes (passthrough).
 *
 * Inputs obey the rules ingest applies to a delivery's sources (pipeline/
 * io.c): regular files only, at most --max-page-bytes of each. An argument
 * may name anything, and reading it blind is how /dev/zero grew the process
 * to gigabytes and a FIFO without a writer hung it for good. So each input
 * is opened non-blocking (a FIFO's open returns at once), its type is taken
 * from fstat on that descriptor (no window between a check and the open in
 * which the name could be swapped), and only a regular file within the cap
 * is read, never past the cap even when it grows meanwhile. A symbolic link
 * is followed: it is the operator's own argument, and what it reaches must
 * pass the same test.
 */
#include <allheaders.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_image.h"
#include "qr_pdf.h"
#include "qr_util.h"

typedef struct cv_opts {
    qr_pdfa flavour;
    const char *title;    /* NULL: the output's base name */
    int quality;
    bool lossless;
    qr_limits lim;
    double assume_dpi;    /* resolution of pages whose file gives none */
    const char *out;
} cv_opts;

typedef struct cv_run {
    const cv_opts *opts;
    qr_pdf *pdf;          /* NULL once a failure made the archive moot */
    int failures;
    long long first_scan; /* scan time of the archive's first page; -1 unknown */
    bool first_seen;
    bool write_failed;    /* the writer itself failed: fatal, not an input's fault */
} cv_run;

/* ---- arguments ---------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0)
        return false;
    *out = v;
    return true;
}

static int parse_option(int c, const char *arg, cv_opts *o)
{
    uint64_t v;
    switch (c) {
    case 'p':
        if (!strcmp(arg, "2b"))
            o->flavour = QR_PDFA_2B;
        else if (!strcmp(arg, "1b"))
            o->flavour = QR_PDFA_1B;
        else
            return qr_cli_usage_error("convert", "--pdfa must be 2b or 1b, not '%s'", arg);
        return QR_EXIT_OK;
    case 't': o->title = arg; return QR_EXIT_OK;
    case 'q':
        if (!parse_u64(arg, &v) || v > 100)
            return qr_cli_usage_error("convert", "--jpeg-quality must be 1-100, not '%s'", arg);
        o->quality = (int)v;
        return QR_EXIT_OK;
    case 'l': o->lossless = true; return QR_EXIT_OK;
    case 'x':
        if (!parse_u64(arg, &o->lim.max_pixels))
            return qr_cli_usage_error("convert", "--max-pixels needs a positive number");
        return QR_EXIT_OK;
    case 'b':
        if (!parse_u64(arg, &o->lim.max_page_bytes))
            return qr_cli_usage_error("convert", "--max-page-bytes needs a positive number");
        return QR_EXIT_OK;
    case 'd':
        if (!parse_u64(arg, &v) || v > 100000)
            return qr_cli_usage_error("convert", "--assume-dpi must be 1-100000, not '%s'", arg);
        o->assume_dpi = (double)v;
        return QR_EXIT_OK;
    case 'o': o->out = arg; return QR_EXIT_OK;
    default: return qr_cli_usage_error("convert", "unknown or incomplete option");
    }
}

/* Returns QR_EXIT_OK with *first = index of the first IMAGE, or an exit code. */
static int parse_args(int argc, char **argv, cv_opts *o, int *first)
{
    static const struct option longs[] = {
        {"pdfa", required_argument, NULL, 'p'},
        {"title", required_argument, NULL, 't'},
        {"jpeg-quality", required_argument, NULL, 'q'},
        {"lossless", no_argument, NULL, 'l'},
        {"max-pixels", required_argument, NULL, 'x'},
        {"max-page-bytes", required_argument, NULL, 'b'},
        {"assume-dpi", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0}};
    *o = (cv_opts){.flavour = QR_PDFA_2B, .quality = 85, .assume_dpi = QR_ASSUMED_DPI};
    qr_limits_default(&o->lim);
    optind = 1;
    int c;
    while ((c = qr_cli_getopt(argc, argv, "+o:", longs, NULL)) != -1) {
        if (c == '?')
            return QR_EXIT_USAGE; /* qr_cli_getopt said what is wrong */
        int rc = parse_option(c, optarg, o);
        if (rc != QR_EXIT_OK)
            return rc;
    }
    if (!o->out || !*o->out)
        return qr_cli_usage_error("convert", "-o OUT.pdf is required");
    if (optind >= argc)
        return qr_cli_usage_error("convert", "no IMAGE given");
    *first = optind;
    return QR_EXIT_OK;
}

/* "dir/case-12.pdf" -> "case-12". */
static void default_title(const char *out, char *buf, size_t size)
{
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".pdf"))
        n -= 4;
    snprintf(buf, size, "%.*s", (int)n, base);
}

/* ---- one page ----------------------------------------------------------- */

/* How convert stores pages (page_image.c has the rule, the same as
 * ingest's); the input's buffer outlives the PDF page, so nothing is copied. */
static qr_store_opts store_opts(const cv_opts *o)
{
    return (qr_store_opts){o->lossless, o->quality, o->lim.max_page_bytes, false};
}

/* A page above the band size: encoded as it is decoded. */
typedef struct cv_band {
    const cv_opts *opts;
    qr_band_encoder *enc; /* NULL: the page's original is stored */
    int width, height, depth;
} cv_band;

static int band_start(void *ctx, const qr_page *pg, int w, int h, int depth, qr_err *err)
{
    cv_band *b = ctx;
    b->width = w, b->height = h, b->depth = depth;
    qr_store_opts so = store_opts(b->opts);
    return qr_page_band_encoder(pg, &so, w, h, depth, &b->enc, err);
}

static int band_rows(void *ctx, const PIX *band, int y0, qr_err *err)
{
    (void)y0;
    cv_band *b = ctx;
    return b->enc ? qr_band_encoder_rows(b->enc, band, err) : QR_OK;
}

/* The page's size in the archive: its resolution, or the assumed one. */
static int page_dpi(const cv_opts *o, qr_page *pg, const cv_band *b, qr_pdf_image *img,
                    qr_pdf_prov *prov, qr_err *err)
{
    int w = pg->banded ? b->width : pixGetWidth(pg->pix);
    int h = pg->banded ? b->height : pixGetHeight(pg->pix);
    int rc = qr_page_dpi(pg, w, h, o->assume_dpi, &img->xdpi, &img->ydpi, &prov->dpi_assumed,
                         err);
    prov->xdpi = img->xdpi;
    prov->ydpi = img->ydpi;
    return rc;
}

static int add_page(cv_run *r, qr_page *pg, cv_band *b, qr_pdf_prov *prov, qr_err *err)
{
    qr_pdf_image img = {0};
    uint8_t *owned = NULL;
    int rc = page_dpi(r->opts, pg, b, &img, prov, err);
    if (rc != QR_OK)
        return rc;
    qr_store_opts so = store_opts(r->opts);
    if (pg->banded)
        rc = qr_page_pdf_image_banded(pg, &so, &b->enc, b->width, b->height, b->depth, &img,
                                      &owned, &prov->stored, err);
    else
        rc = qr_page_pdf_image(pg, &so, &img, &owned, &prov->stored, err);
    prov->encoding = pg->encoding;
    prov->note = pg->note[0] ? pg->note : NULL;
    if (rc == QR_OK && r->pdf) {
        rc = qr_pdf_add_page(r->pdf, &img, prov, err);
        /* a page the writer refuses (e.g. its size) is the input's fault */
        r->write_failed = rc == QR_EIO || rc == QR_ENOMEM || rc == QR_EFATAL;
    }
    free(owned);
    return rc;
}

/* ---- reading one input ------------------------------------------------- */

static const char *special_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "a special file";
}

static int not_regular(mode_t m, qr_err *err)
{
    if (S_ISDIR(m))
        return qr_err_set(err, QR_EINVAL, "is a directory, not an image file");
    return qr_err_set(err, QR_EINVAL, "not a regular file (%s): convert reads image files only",
                      special_kind(m));
}

static int over_cap(uint64_t size, uint64_t cap, bool grew, qr_err *err)
{
    return qr_err_set(err, QR_ELIMIT, "file of %s%" PRIu64 " bytes is larger than the cap of "
                      "%" PRIu64 " bytes per input (--max-page-bytes N changes it)",
                      grew ? "more than " : "", size, cap);
}

/* Open path without blocking and without reading, and check what it is. */
static int open_input(const char *path, uint64_t cap, int *fd, struct stat *st, qr_err *err)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0) {
        int e = errno;
        struct stat ls; /* a socket cannot be opened (ENXIO): say what it is */
        if (e == ENXIO && stat(path, &ls) == 0 && !S_ISREG(ls.st_mode))
            return not_regular(ls.st_mode, err);
        return qr_err_set(err, QR_EIO, "%s", strerror(e));
    }
    if (fstat(*fd, st) != 0)
        return qr_err_set(err, QR_EIO, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st->st_mode))
        return not_regular(st->st_mode, err);
    if ((uint64_t)st->st_size > cap || (uint64_t)st->st_size >= SIZE_MAX)
        return over_cap((uint64_t)st->st_size, cap, false, err);
    return QR_OK;
}

/* Read fd to its end, never more than cap + 1 bytes (a file that grows past
 * the cap while it is read is refused like one that was larger). */
static int read_capped(int fd, size_t size_hint, uint64_t cap, qr_buf *b, qr_err *err)
{
    if (qr_buf_reserve(b, size_hint + 1) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "out of memory for %zu bytes", size_hint);
    for (;;) {
        uint64_t left = cap + 1 - b->len; /* b->len <= cap here */
        size_t step = left < ((size_t)1 << 16) ? (size_t)left : (size_t)1 << 16;
        if (b->len == b->cap && qr_buf_reserve(b, step) != QR_OK)
            return qr_err_set(err, QR_ENOMEM, "out of memory after %zu bytes", b->len);
        size_t room = b->cap - b->len;
        ssize_t n = read(fd, b->data + b->len, room < left ? room : (size_t)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return qr_err_set(err, QR_EIO, "read error: %s", strerror(errno));
        if (n == 0)
            return QR_OK;
        b->len += (size_t)n;
        if (b->len > cap)
            return over_cap(cap, cap, true, err);
    }
}

/* The bytes of one input, under the input rules above. */
static int read_input(const char *path, uint64_t cap, uint8_t **data, size_t *len,
                      qr_err *err)
{
    int fd = -1;
    struct stat st;
    qr_buf b = {0};
    int rc = open_input(path, cap, &fd, &st, err);
    if (rc == QR_OK)
        rc = read_capped(fd, (size_t)st.st_size, cap, &b, err);
    if (fd >= 0)
        close(fd);
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return rc;
    }
    *data = b.data;
    *len = b.len;
    return QR_OK;
}

/* ---- one input file ----------------------------------------------------- */

static void report(cv_run *r, const char *path, qr_err *err)
{
    /* util's file errors already start with the path: do not name it twice */
    const char *msg = err->msg;
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2))
        msg += n + 2;
    fprintf(stderr, "quire convert: %s: %s\n", path, msg[0] ? msg : qr_err_name(err->code));
    r->failures++;
    /* the archive will not be written: stop feeding it, keep checking inputs */
    qr_pdf_abort(&r->pdf);
}

/* What a page's decoder set aside without losing a pixel (also in the
 * page's XMP): the operator sees it too. */
static void warn(const char *path, int page, const char *note)
{
    if (page > 0)
        fprintf(stderr, "quire convert: %s: page %d: warning: %s\n", path, page, note);
    else
        fprintf(stderr, "quire convert: %s: warning: %s\n", path, note);
}

static int convert_pages(cv_run *r, qr_image_reader *rd, qr_pdf_prov *prov, qr_err *err)
{
    int n = qr_image_pages(rd);
    for (int i = 0; i < n; i++) {
        qr_page pg = {0};
        cv_band b = {.opts = r->opts};
        qr_band_sink sink = {&b, band_start, band_rows};
        int rc = qr_image_decode_bands(rd, i, &pg, &sink, err);
        if (rc == QR_OK) {
            if (!r->first_seen) {
                r->first_seen = true;
                r->first_scan = pg.scan_time;
            }
            prov->source_page = i + 1;
            rc = add_page(r, &pg, &b, prov, err);
            if (rc == QR_OK && pg.note[0])
                warn(prov->source, n > 1 ? i + 1 : 0, pg.note);
        }
        qr_band_encoder_free(&b.enc);
        qr_page_clear(&pg);
        if (rc != QR_OK) {
            if (n > 1)
                qr_err_prefix(err, "page %d", i + 1);
            return rc;
        }
    }
    return QR_OK;
}

static int convert_file(cv_run *r, const char *path, qr_err *err)
{
    uint8_t *data = NULL, digest[QR_SHA256_LEN];
    size_t len = 0;
    char hex[QR_SHA256_HEX];
    qr_image_reader *rd = NULL;
    int rc = read_input(path, r->opts->lim.max_page_bytes, &data, &len, err);
    if (rc == QR_OK)
        rc = qr_image_open(data, len, &r->opts->lim, &rd, err);
    if (rc == QR_OK) {
        qr_sha256_once(data, len, digest);
        qr_hex(digest, sizeof digest, hex);
        qr_pdf_prov prov = {.source = path, .sha256 = hex};
        rc = convert_pages(r, rd, &prov, err);
    }
    qr_image_close(&rd);
    free(data);
    return rc;
}

/* ---- the command -------------------------------------------------------- */

static int finish(cv_run *r, qr_err *err)
{
    char title[256];
    if (r->opts->title)
        snprintf(title, sizeof title, "%s", r->opts->title);
    else
        default_title(r->opts->out, title, sizeof title);
    time_t when = r->first_scan >= 0 ? (time_t)r->first_scan : qr_reference_time(NULL);
    qr_pdf_meta meta = {.title = title, .created = when, .modified = when};
    return qr_pdf_finish(&r->pdf, &meta, NULL, err);
}

int qr_cmd_convert(int argc, char **argv)
{
    cv_opts opts;
    int first = 0, rc = parse_args(argc, argv, &opts, &first);
    if (rc != QR_EXIT_OK)
        return rc;
    qr_err err = {0};
    cv_run r = {.opts = &opts, .first_scan = -1};
    if (qr_pdf_open(opts.out, opts.flavour, &r.pdf, &err) != QR_OK) {
        fprintf(stderr, "quire convert: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    for (int i = first; i < argc; i++) {
        err = (qr_err){0};
        if (convert_file(&r, argv[i], &err) != QR_OK)
            report(&r, argv[i], &err);
    }
    if (r.write_failed)
        return QR_EXIT_FATAL;
    if (r.failures) {
        fprintf(stderr, "quire convert: %d of %d inputs failed; %s not written\n", r.failures,
                argc - first, opts.out);
        return QR_EXIT_FAULTY;
    }
    int pages = qr_pdf_page_count(r.pdf);
    if (finish(&r, &err) != QR_OK) {
        fprintf(stderr, "quire convert: %s: %s\n", opts.out, err.msg);
        return QR_EXIT_FATAL;
    }
    printf("%s: %d page%s\n", opts.out, pages, pages == 1 ? "" : "s");
    return QR_EXIT_OK;
}
