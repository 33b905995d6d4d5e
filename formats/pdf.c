/*
 * qr_pdf: the streaming PDF/A writer (API in qr_pdf.h).
 *
 * Called by the pipeline's assembler thread, one qr_pdf per archive, pages
 * in order. Each page is written as it arrives (image XObject, content
 * stream, page object), so memory stays flat: the 256 KiB output buffer, the
 * current 1024-kid page-tree node, 8 bytes of xref per object. Provenance
 * goes to the XMP spool file (xmp.c).
 *
 * File layout, in write order:
 *   header, binary comment
 *   3: sRGB ICC profile (output intent and ICCBased RGB)
 *   per page: [gray ICC profile, once], image, content, page; every 1024
 *             pages an intermediate /Pages node
 *   at finish: last node, 2: root /Pages, Info, Metadata, [PDF/A-3b: the
 *              associated file's stream and file specification,
 *              pdf_attach.c], 1: Catalog, xref, trailer (ID = digest of the
 *              body), %%EOF
 * Objects 1 and 2 are reserved at open because pages point at them.
 *
 * Colour: 3-component images use [/ICCBased <sRGB>] with the very profile
 * object of the output intent rather than DeviceRGB. Both are valid PDF/A;
 * ICCBased makes each image self-describing (its colours stay defined if a
 * page is extracted into a document without our output intent) at no cost
 * in bytes. 1-component images (gray JPEG/Flate, bitonal G4/Flate) use
 * [/ICCBased <gray profile>], written once, on first use.
 *
 * Durability: bytes go to a temporary file ("<final>.tmp-<pid>-<n>" in the
 * final directory, or a name the caller chose and recorded); finish flushes,
 * fsyncs, renames and fsyncs the directory. Any error removes the temporary
 * file, so a failed archive leaves nothing behind. A caller that must prove
 * what it wrote (quire ingest) seals the document first, records its digest,
 * then publishes it with a rename that never replaces an existing file.
 * The file system calls themselves (retried when a signal interrupts them)
 * are in pdf_fs.c.
 * Determinism: no clocks, no random IDs; dates come from the caller.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf_int.h"
#include "qr_icc.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0"
#endif
#define QR_PDF_CREATOR "quire " QUIRE_VERSION
#define QR_PDF_MAX_TITLE 16000
#define QR_PDF_MAX_SIDE 1000000
#define QR_PDF_MIN_PT 3.0
#define QR_PDF_MAX_PT 14400.0

enum { OBJ_CATALOG = 1, OBJ_PAGES = 2, OBJ_SRGB = 3 };

struct qr_pdf {
    char *final_path, *tmp_path, *dir;
    int fd;
    qr_pdfa flavour;
    qr_pdf_out out;
    qr_pdf_xref xref;
    qr_pdf_tree tree;
    qr_xmp_spool spool;
    qr_pdf_warn warn;   /* whom a metadata warning names (xmp.c) */
    char *warn_name;    /* final_path as clean text, for warn.archive */
    uint32_t gray;      /* gray ICC profile object; 0 until first needed */
    int failed;         /* sticky error code; QR_OK while healthy */
    char failed_msg[sizeof(((qr_err *)0)->msg)];
};

static atomic_uint tmp_counter;

static int finish(qr_pdf **pp, const qr_pdf_meta *meta, uint8_t sha256[32], bool publish,
                  qr_err *err);

/* ---- lifecycle helpers ---------------------------------------------------- */

static void pdf_free(qr_pdf *p)
{
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    qr_xmp_spool_close(&p->spool);
    qr_pdf_out_release(&p->out);
    qr_pdf_xref_free(&p->xref);
    qr_pdf_tree_free(&p->tree);
    free(p->final_path);
    free(p->tmp_path);
    free(p->dir);
    free(p->warn_name);
    free(p);
}

/* Remove the temporary file and free everything. */
static void pdf_discard(qr_pdf *p)
{
    if (!p)
        return;
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    if (p->tmp_path)
        unlink(p->tmp_path);
    pdf_free(p);
}

/* Make the error sticky: later calls on this writer report it again. */
static int pdf_fail(qr_pdf *p, qr_err *err, int code)
{
    p->failed = code;
    if (err)
        snprintf(p->failed_msg, sizeof p->failed_msg, "%s", err->msg);
    return code;
}

static int io_error(qr_pdf *p, qr_err *err, int e, const char *what)
{
    qr_err_set(err, QR_EIO, "%s: %s: %s", p->final_path, what, strerror(e));
    return pdf_fail(p, err, QR_EIO);
}

static int check_out(qr_pdf *p, qr_err *err)
{
    return p->out.err_no ? io_error(p, err, p->out.err_no, "write failed") : QR_OK;
}

/* The directory part of path ("." when none), malloc'ed. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == path ? qr_strdup("/")
           : slash ? strndup(path, (size_t)(slash - path)) : qr_strdup(".");
}

static int set_paths(qr_pdf *p, const char *final_path, const char *tmp_path)
{
    p->final_path = qr_strdup(final_path);
    p->dir = dir_of(final_path);
    size_t n = strlen(final_path) + 64;
    p->tmp_path = tmp_path ? qr_strdup(tmp_path) : malloc(n);
    p->warn_name = qr_pdf_clean_utf8(final_path);
    if (!p->final_path || !p->dir || !p->tmp_path || !p->warn_name)
        return QR_ENOMEM;
    p->warn.archive = p->warn_name;
    p->spool.warn = &p->warn;
    if (!tmp_path)
        snprintf(p->tmp_path, n, "%s.tmp-%ld-%u", final_path, (long)getpid(),
                 atomic_fetch_add(&tmp_counter, 1u));
    return QR_OK;
}

/* ---- objects -------------------------------------------------------------- */

static int write_icc(qr_pdf *p, uint32_t num, bool gray)
{
    qr_buf icc = { 0 };
    int rc = gray ? qr_icc_gray(&icc) : qr_icc_srgb(&icc);
    if (rc == QR_OK) {
        char dict[64];
        snprintf(dict, sizeof dict, "<< /N %d /Length %zu >>", gray ? 1 : 3, icc.len);
        qr_pdf_obj_begin(&p->out, &p->xref, num);
        qr_pdf_stream(&p->out, dict, icc.data, icc.len);
        qr_pdf_obj_end(&p->out);
    }
    qr_buf_free(&icc);
    return rc;
}

static int write_head(qr_pdf *p)
{
    uint32_t num;
    int rc = QR_OK;
    for (int i = 0; i < 3 && rc == QR_OK; i++)
        rc = qr_pdf_xref_reserve(&p->xref, &num); /* catalog, root pages, sRGB */
    if (rc != QR_OK)
        return rc;
    p->tree.root = OBJ_PAGES;
    qr_pdf_out_puts(&p->out, p->flavour == QR_PDFA_1B ? "%PDF-1.4\n" : "%PDF-1.7\n"); /* 2b, 3b */
    qr_pdf_out_puts(&p->out, "%\xE2\xE3\xCF\xD3\n");
    return write_icc(p, OBJ_SRGB, false);
}

/* ---- open ----------------------------------------------------------------- */

int qr_pdf_open(const char *final_path, qr_pdfa flavour, qr_pdf **out, qr_err *err)
{
    return qr_pdf_open_tmp(final_path, NULL, flavour, out, err);
}

int qr_pdf_open_tmp(const char *final_path, const char *tmp_path, qr_pdfa flavour,
                    qr_pdf **out, qr_err *err)
{
    *out = NULL;
    if (!final_path || !*final_path || (flavour != QR_PDFA_2B && flavour != QR_PDFA_1B &&
                                         flavour != QR_PDFA_3B))
        return qr_err_set(err, QR_EINVAL, "qr_pdf_open: invalid arguments");
    qr_pdf *p = calloc(1, sizeof *p);
    if (!p)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", final_path);
    p->fd = -1;
    p->flavour = flavour;
    if (set_paths(p, final_path, tmp_path) != QR_OK) {
        pdf_free(p);
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", final_path);
    }
    p->fd = qr_pdf_fs_create(p->tmp_path);
    if (p->fd < 0) {
        qr_err_set(err, QR_EIO, "%s: cannot create the temporary file %s: %s", final_path,
                   p->tmp_path, strerror(errno));
        pdf_free(p);
        return QR_EIO;
    }
    int rc = qr_pdf_out_init(&p->out, p->fd);
    if (rc == QR_OK)
        rc = qr_xmp_spool_open(&p->spool, p->dir, err);
    else
        qr_err_set(err, rc, "%s: out of memory", final_path);
    if (rc == QR_OK && (rc = write_head(p)) != QR_OK)
        qr_err_set(err, rc, "%s: cannot start the document", final_path);
    if (rc == QR_OK)
        rc = check_out(p, err);
    if (rc != QR_OK) {
        pdf_discard(p);
        return rc;
    }
    *out = p;
    return QR_OK;
}

/* ---- pages ---------------------------------------------------------------- */

/* The frame header of a JPEG: a DCT page must say what its bytes say, or
 * readers would misdraw it (e.g. a CMYK JPEG declared as RGB). */
static bool jpeg_matches(const qr_pdf_image *im)
{
    const uint8_t *d = im->data;
    size_t i = 2;
    if (im->len < 4 || d[0] != 0xFF || d[1] != 0xD8)
        return false;
    while (i + 4 <= im->len && d[i] == 0xFF) {
        uint8_t m = d[i + 1];
        size_t seg = (size_t)d[i + 2] << 8 | d[i + 3];
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof && i + 10 <= im->len)
            return d[i + 4] == 8 && ((int)d[i + 5] << 8 | d[i + 6]) == im->height &&
                   ((int)d[i + 7] << 8 | d[i + 8]) == im->width && d[i + 9] == im->components;
        if (m == 0xFF) {
            i++;
            continue;
        }
        i += 2 + seg;
    }
    return false;
}

static int check_image(const qr_pdf_image *im, double w_pt, double h_pt, int page, qr_err *err)
{
    bool geometry = im->width > 0 && im->height > 0 && im->width <= QR_PDF_MAX_SIDE &&
                    im->height <= QR_PDF_MAX_SIDE && im->data && im->len > 0 &&
                    isfinite(im->xdpi) && isfinite(im->ydpi) && im->xdpi > 0 && im->ydpi > 0;
    bool kind = (im->filter == QR_FILTER_CCITT_G4 && im->components == 1 && im->bpc == 1) ||
                (im->filter == QR_FILTER_DCT && (im->components == 1 || im->components == 3) &&
                 im->bpc == 8) ||
                (im->filter == QR_FILTER_FLATE &&
                 ((im->components == 1 && (im->bpc == 1 || im->bpc == 8)) ||
                  (im->components == 3 && im->bpc == 8)));
    if (geometry && kind && im->filter == QR_FILTER_DCT && !jpeg_matches(im))
        return qr_err_set(err, QR_EINVAL, "page %d: the JPEG's frame header does not match "
                          "%dx%d, %d components, 8 bits", page, im->width, im->height,
                          im->components);
    if (!geometry || !kind)
        return qr_err_set(err, QR_EINVAL,
                          "page %d: invalid image (filter %d, %dx%d, %d components, %d bpc, "
                          "%.1fx%.1f dpi)", page, (int)im->filter, im->width, im->height,
                          im->components, im->bpc, im->xdpi, im->ydpi);
    if ((im->view_turn != 0 && im->view_turn != 90 && im->view_turn != 180 &&
         im->view_turn != 270) || !isfinite(im->view_rotate_deg) ||
        fabs(im->view_rotate_deg) > 45.0)
        return qr_err_set(err, QR_EINVAL, "page %d: invalid view (turn %d, rotation %g deg)",
                          page, im->view_turn, im->view_rotate_deg);
    if (w_pt < QR_PDF_MIN_PT || h_pt < QR_PDF_MIN_PT || w_pt > QR_PDF_MAX_PT ||
        h_pt > QR_PDF_MAX_PT)
        return qr_err_set(err, QR_EUNSUPPORTED,
                          "unsupported: page %d is %.1f x %.1f pt, outside PDF's 3..14400",
                          page, w_pt, h_pt);
    return QR_OK;
}

/* The image dictionary (at most a few hundred bytes). */
static void image_dict(char *d, size_t n, const qr_pdf_image *im, uint32_t cs)
{
    size_t k = (size_t)snprintf(d, n, "<< /Type /XObject /Subtype /Image /Width %d /Height %d "
                                      "/ColorSpace [/ICCBased %" PRIu32 " 0 R] "
                                      "/BitsPerComponent %d",
                                im->width, im->height, cs, im->bpc);
    if (im->filter == QR_FILTER_CCITT_G4)
        k += (size_t)snprintf(d + k, n - k, "\n/Filter /CCITTFaxDecode /DecodeParms << /K -1 "
                              "/Columns %d /Rows %d /BlackIs1 false >>", im->width, im->height);
    else
        k += (size_t)snprintf(d + k, n - k, "\n/Filter /%s",
                              im->filter == QR_FILTER_DCT ? "DCTDecode" : "FlateDecode");
    if (im->invert)
        k += (size_t)snprintf(d + k, n - k, " /Decode [%s]",
                              im->components == 3 ? "1 0 1 0 1 0" : "1 0");
    snprintf(d + k, n - k, " /Length %zu >>", im->len);
}

static void write_image(qr_pdf *p, uint32_t num, const qr_pdf_image *im)
{
    char dict[512];
    image_dict(dict, sizeof dict, im, im->components == 3 ? (uint32_t)OBJ_SRGB : p->gray);
    qr_pdf_obj_begin(&p->out, &p->xref, num);
    qr_pdf_stream(&p->out, dict, im->data, im->len);
    qr_pdf_obj_end(&p->out);
}

/* cos and sin of a clockwise turn, exact for the quarter turns. */
static void turn_cs(double deg, double *c, double *s)
{
    double r = fmod(fmod(deg, 360.0) + 360.0, 360.0);
    if (r == 0 || r == 90 || r == 180 || r == 270) {
        *c = r == 0 ? 1 : r == 180 ? -1 : 0;
        *s = r == 90 ? 1 : r == 270 ? -1 : 0;
        return;
    }
    *c = cos(r * 3.14159265358979323846 / 180.0);
    *s = sin(r * 3.14159265358979323846 / 180.0);
}

/*
 * The drawing matrix: the unit image square scaled to W x H points, centred
 * on the origin, turned clockwise by the view's angle, centred on the page
 * (PW x PH). In PDF's row-vector form [x y 1] * M with a clockwise turn
 * x' = x c + y s, y' = -x s + y c.
 */
static int image_matrix(const qr_pdf_image *im, double W, double H, double PW, double PH,
                        char *ops, size_t n)
{
    if (im->view_turn == 0 && im->view_rotate_deg == 0) {
        char w[40], h[40];
        qr_pdf_num(W, w);
        qr_pdf_num(H, h);
        return snprintf(ops, n, "q %s 0 0 %s 0 0 cm /Im0 Do Q", w, h);
    }
    double c, s, m[6];
    turn_cs(im->view_turn + im->view_rotate_deg, &c, &s);
    m[0] = W * c;
    m[1] = -W * s;
    m[2] = H * s;
    m[3] = H * c;
    m[4] = -W / 2 * c - H / 2 * s + PW / 2;
    m[5] = W / 2 * s - H / 2 * c + PH / 2;
    char t[6][40];
    for (int i = 0; i < 6; i++)
        qr_pdf_num(m[i], t[i]);
    return snprintf(ops, n, "q %s %s %s %s %s %s cm /Im0 Do Q", t[0], t[1], t[2], t[3], t[4],
                    t[5]);
}

static void write_content(qr_pdf *p, uint32_t num, const qr_pdf_image *im, double W, double H,
                          double PW, double PH)
{
    char ops[320], dict[40];
    int n = image_matrix(im, W, H, PW, PH, ops, sizeof ops);
    snprintf(dict, sizeof dict, "<< /Length %d >>", n);
    qr_pdf_obj_begin(&p->out, &p->xref, num);
    qr_pdf_stream(&p->out, dict, ops, (size_t)n);
    qr_pdf_obj_end(&p->out);
}

static void write_page(qr_pdf *p, const uint32_t nums[4], const char *w, const char *h)
{
    qr_pdf_obj_begin(&p->out, &p->xref, nums[2]);
    qr_pdf_out_printf(&p->out,
                      "<< /Type /Page /Parent %" PRIu32 " 0 R /MediaBox [0 0 %s %s]\n"
                      "/Resources << /XObject << /Im0 %" PRIu32 " 0 R >> >>\n"
                      "/Contents %" PRIu32 " 0 R >>",
                      nums[3], w, h, nums[0], nums[1]);
    qr_pdf_obj_end(&p->out);
}

/* Reserve image, content, page numbers and the parent node: nums[0..3]. */
static int reserve_page(qr_pdf *p, const qr_pdf_image *im, uint32_t nums[4])
{
    int rc = QR_OK;
    if (im->components == 1 && p->gray == 0) {
        rc = qr_pdf_xref_reserve(&p->xref, &p->gray);
        if (rc == QR_OK)
            rc = write_icc(p, p->gray, true);
    }
    for (int i = 0; i < 3 && rc == QR_OK; i++)
        rc = qr_pdf_xref_reserve(&p->xref, &nums[i]);
    return rc == QR_OK ? qr_pdf_tree_parent(&p->tree, &p->xref, &nums[3]) : rc;
}

int qr_pdf_add_page(qr_pdf *p, const qr_pdf_image *im, const qr_pdf_prov *prov, qr_err *err)
{
    if (p->failed)
        return qr_err_set(err, p->failed, "%s", p->failed_msg);
    int page = p->tree.count + 1;
    double w_pt = im->width * 72.0 / im->xdpi, h_pt = im->height * 72.0 / im->ydpi;
    int rc = check_image(im, w_pt, h_pt, page, err);
    if (rc != QR_OK)
        return rc; /* the document stays usable: nothing was written */
    char w[40], h[40];
    uint32_t nums[4];
    bool sideways = im->view_turn == 90 || im->view_turn == 270;
    double pw = sideways ? h_pt : w_pt, ph = sideways ? w_pt : h_pt;
    qr_pdf_num(pw, w);
    qr_pdf_num(ph, h);
    rc = reserve_page(p, im, nums);
    if (rc != QR_OK) {
        qr_err_set(err, rc, "%s: page %d: %s", p->final_path, page,
                   rc == QR_ELIMIT ? "too many objects for PDF/A" : "out of memory");
        return pdf_fail(p, err, rc);
    }
    write_image(p, nums[0], im);
    write_content(p, nums[1], im, w_pt, h_pt, pw, ph);
    write_page(p, nums, w, h);
    qr_pdf_prov pv = {0};
    if (prov)
        pv = *prov;
    pv.view_turn = im->view_turn;
    pv.view_rotate_deg = im->view_rotate_deg;
    if ((rc = qr_xmp_spool_page(&p->spool, page, &pv, err)) != QR_OK) {
        qr_err_prefix(err, "%s: page %d", p->final_path, page);
        return pdf_fail(p, err, rc);
    }
    if ((rc = qr_pdf_tree_add(&p->tree, &p->out, &p->xref, nums[2])) != QR_OK) {
        qr_err_set(err, rc, "%s: page %d: out of memory", p->final_path, page);
        return pdf_fail(p, err, rc);
    }
    return check_out(p, err);
}

int qr_pdf_page_count(const qr_pdf *p)
{
    return p ? p->tree.count : 0;
}

/* ---- finish --------------------------------------------------------------- */

static int write_info(qr_pdf *p, uint32_t num, const qr_xmp_doc *d)
{
    char cd[32], md[32];
    qr_time_pdf(d->created, cd);
    qr_time_pdf(d->modified, md);
    qr_buf b = { 0 };
    int rc = qr_buf_printf(&b, "<<");
    if (rc == QR_OK && d->title) {
        rc = qr_buf_printf(&b, " /Title ");
        if (rc == QR_OK)
            rc = qr_pdf_text_string(&b, d->title);
    }
    if (rc == QR_OK)
        rc = qr_buf_printf(&b, "\n/Creator ");
    if (rc == QR_OK)
        rc = qr_pdf_text_string(&b, d->creator);
    if (rc == QR_OK)
        rc = qr_buf_printf(&b, "\n/Producer ");
    if (rc == QR_OK)
        rc = qr_pdf_text_string(&b, d->producer);
    if (rc == QR_OK)
        rc = qr_buf_printf(&b, "\n/CreationDate (%s) /ModDate (%s) >>", cd, md);
    if (rc == QR_OK) {
        qr_pdf_obj_begin(&p->out, &p->xref, num);
        qr_pdf_out_write(&p->out, b.data, b.len);
        qr_pdf_obj_end(&p->out);
    }
    qr_buf_free(&b);
    return rc;
}

/* The catalog; with an associated file (PDF/A-3b) also its /AF and
 * /Names entries (a 2b or 1b catalog is as it always was). */
static int write_catalog(qr_pdf *p, uint32_t metadata, const qr_pdf_attachment *a,
                         uint32_t filespec)
{
    qr_buf extra = {0};
    int rc = filespec ? qr_pdf_attach_catalog(&extra, a, filespec) : QR_OK;
    if (rc != QR_OK) {
        qr_buf_free(&extra);
        return rc;
    }
    qr_pdf_obj_begin(&p->out, &p->xref, OBJ_CATALOG);
    qr_pdf_out_printf(&p->out,
                      "<< /Type /Catalog /Pages %d 0 R /Metadata %" PRIu32 " 0 R\n"
                      "/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1\n"
                      "/OutputConditionIdentifier (sRGB IEC61966-2.1) "
                      "/RegistryName (http://www.color.org)\n"
                      "/Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R >>]",
                      OBJ_PAGES, metadata, OBJ_SRGB);
    qr_pdf_out_write(&p->out, extra.data, extra.len);
    qr_pdf_out_puts(&p->out, " >>");
    qr_pdf_obj_end(&p->out);
    qr_buf_free(&extra);
    return QR_OK;
}

/* The associated file, PDF/A-3b only: its stream and file specification
 * (*filespec = 0 when there is none). */
static int write_attachment(qr_pdf *p, const qr_xmp_doc *doc, const qr_pdf_attachment *a,
                            uint32_t *filespec, qr_err *err)
{
    *filespec = 0;
    if (p->flavour != QR_PDFA_3B || !a)
        return QR_OK;
    int rc = qr_pdf_attach_write(&p->out, &p->xref, a, doc->modified, filespec);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "%s: cannot embed %s: %s", p->final_path,
                          a->name ? a->name : "a file",
                          rc == QR_EINVAL ? "invalid name, type or relationship"
                          : rc == QR_ELIMIT ? "too many objects for PDF/A" : "out of memory");
    return QR_OK;
}

/* Info, metadata, catalog, xref: everything after the last page. */
static int write_tail(qr_pdf *p, const qr_xmp_doc *doc, const qr_pdf_attachment *a,
                      qr_err *err)
{
    uint32_t info = 0, meta = 0, filespec = 0;
    int rc = qr_pdf_tree_finish(&p->tree, &p->out, &p->xref);
    if (rc == QR_OK)
        rc = qr_pdf_xref_reserve(&p->xref, &info);
    if (rc == QR_OK)
        rc = write_info(p, info, doc);
    if (rc == QR_OK)
        rc = qr_pdf_xref_reserve(&p->xref, &meta);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "%s: cannot write the document trailer", p->final_path);
    if ((rc = qr_xmp_write(&p->out, &p->xref, meta, doc, &p->spool, err)) != QR_OK) {
        qr_err_prefix(err, "%s", p->final_path);
        return rc;
    }
    if ((rc = write_attachment(p, doc, a, &filespec, err)) != QR_OK)
        return rc;
    if (write_catalog(p, meta, a, filespec) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", p->final_path);
    if ((rc = qr_pdf_xref_finish(&p->out, &p->xref, OBJ_CATALOG, info)) != QR_OK)
        return qr_err_set(err, rc, "%s: cannot write the cross-reference table",
                          p->final_path);
    return QR_OK;
}

/* Flush, fsync and close the temporary file: the document is complete and
 * durable under its temporary name. */
static int seal(qr_pdf *p, qr_err *err)
{
    if (qr_pdf_out_flush(&p->out) != 0)
        return io_error(p, err, p->out.err_no, "write failed");
    int e = qr_pdf_fs_fsync(p->fd);
    if (e != 0)
        return io_error(p, err, e, "fsync failed");
    int fd = p->fd;
    p->fd = -1;
    if (close(fd) != 0)
        return io_error(p, err, errno, "close failed");
    return QR_OK;
}

/* Rename (replacing) and fsync the directory: quire convert's -o. */
static int commit(qr_pdf *p, qr_err *err)
{
    int e = qr_pdf_fs_rename(p->tmp_path, p->final_path, true);
    if (e != 0)
        return io_error(p, err, e, "rename failed");
    e = qr_pdf_fs_fsync_dir(p->dir);
    if (e != 0) {
        unlink(p->final_path);
        return io_error(p, err, e, "fsync of the directory failed");
    }
    return QR_OK;
}

int qr_pdf_publish(const char *tmp_path, const char *final_path, qr_err *err)
{
    int e = qr_pdf_fs_rename(tmp_path, final_path, false);
    if (e == EEXIST)
        return qr_err_set(err, QR_EIO, "%s: a file of that name exists that this run did not "
                          "write; it is not replaced", final_path);
    if (e != 0)
        return qr_err_set(err, QR_EIO, "%s: cannot put the archive in place (from %s): %s",
                          final_path, tmp_path, strerror(e));
    char *dir = dir_of(final_path);
    e = dir ? qr_pdf_fs_fsync_dir(dir) : ENOMEM;
    free(dir);
    if (e != 0) {
        unlink(final_path);
        return qr_err_set(err, QR_EIO, "%s: fsync of the directory failed: %s", final_path,
                          strerror(e));
    }
    return QR_OK;
}

static int make_doc(qr_pdf *p, const qr_pdf_meta *meta, qr_xmp_doc *d, char **owned)
{
    memset(d, 0, sizeof *d);
    d->flavour = p->flavour;
    d->created = meta->created;
    d->modified = meta->modified;
    d->extra = meta->extra;
    d->n_extra = meta->extra ? meta->n_extra : 0;
    d->overrides = meta->overrides;
    d->n_overrides = meta->overrides ? meta->n_overrides : 0;
    if (meta->name && !(owned[3] = qr_pdf_clean_utf8(meta->name)))
        return QR_ENOMEM;
    p->warn.file = owned[3]; /* warnings name the file: the title may be free text */
    owned[0] = meta->title ? qr_pdf_clean_warn(&p->warn, "title", meta->title) : NULL;
    if (!meta->name)
        p->warn.file = owned[0]; /* later warnings (metadata, overrides) name the title */
    d->warn = &p->warn;
    owned[1] = qr_pdf_clean_utf8(meta->producer && *meta->producer ? meta->producer
                                                                   : QR_PDF_CREATOR);
    owned[2] = qr_pdf_clean_utf8(QR_PDF_CREATOR);
    d->title = owned[0];
    d->producer = owned[1];
    d->creator = owned[2];
    return (meta->title && !owned[0]) || !owned[1] || !owned[2] ? QR_ENOMEM : QR_OK;
}

static int finish_checks(qr_pdf *p, const qr_pdf_meta *meta, qr_err *err)
{
    if (p->failed)
        return qr_err_set(err, p->failed, "%s", p->failed_msg);
    if (!meta)
        return qr_err_set(err, QR_EINVAL, "%s: no document metadata", p->final_path);
    if (p->tree.count == 0)
        return qr_err_set(err, QR_EINVAL, "%s: a document needs at least one page",
                          p->final_path);
    if (meta->title && strlen(meta->title) > QR_PDF_MAX_TITLE)
        return qr_err_set(err, QR_EINVAL, "%s: title longer than %d bytes", p->final_path,
                          QR_PDF_MAX_TITLE);
    return QR_OK;
}

int qr_pdf_finish(qr_pdf **pp, const qr_pdf_meta *meta, uint8_t sha256[32], qr_err *err)
{
    return finish(pp, meta, sha256, true, err);
}

int qr_pdf_seal(qr_pdf **pp, const qr_pdf_meta *meta, uint8_t sha256[32], qr_err *err)
{
    return finish(pp, meta, sha256, false, err);
}

static int finish(qr_pdf **pp, const qr_pdf_meta *meta, uint8_t sha256[32], bool publish,
                  qr_err *err)
{
    qr_pdf *p = *pp;
    *pp = NULL;
    if (!p)
        return qr_err_set(err, QR_EINVAL, "qr_pdf_finish: no document");
    int rc = finish_checks(p, meta, err);
    qr_xmp_doc doc;
    char *owned[4] = { NULL, NULL, NULL, NULL };
    if (rc == QR_OK && (rc = make_doc(p, meta, &doc, owned)) != QR_OK)
        qr_err_set(err, rc, "%s: out of memory", p->final_path);
    if (rc == QR_OK && doc.title && strlen(doc.title) > QR_PDF_MAX_TITLE)
        rc = qr_err_set(err, QR_EINVAL, "%s: title longer than %d bytes once its control "
                        "characters are written as \\uXXXX", p->final_path, QR_PDF_MAX_TITLE);
    if (rc == QR_OK)
        rc = write_tail(p, &doc, meta->attachment, err);
    if (rc == QR_OK)
        rc = check_out(p, err);
    if (rc == QR_OK)
        rc = seal(p, err);
    if (rc == QR_OK && publish)
        rc = commit(p, err);
    for (int i = 0; i < 4; i++)
        free(owned[i]);
    if (rc != QR_OK) {
        pdf_discard(p);
        return rc;
    }
    if (sha256)
        qr_sha256_final(p->out.sha, sha256);
    pdf_free(p);
    return QR_OK;
}

void qr_pdf_abort(qr_pdf **pp)
{
    if (pp) {
        pdf_discard(*pp);
        *pp = NULL;
    }
}
