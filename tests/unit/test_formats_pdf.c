/*
 * End-to-end tests of the PDF/A writer on synthetic pages: every kind of page
 * the pipeline produces (G4 plain and inverted, gray and colour JPEG, gray,
 * colour and bitonal Flate) in one archive per flavour, with a non-ASCII
 * title and metadata full of XML/PDF special characters. The archives must
 *   - pass pdfa_check.py (1b and 2b), qpdf --check, pdfinfo, pdftoppm,
 *     mutool and Ghostscript with nothing on stderr;
 *   - render every page right (dark rectangle where the image has one);
 *   - carry the metadata back out unchanged (cleaned where it had to be);
 *   - be byte-identical when written twice, with the SHA-256 the writer
 *     returned.
 * Sub-checks whose tool (or QUIRE_SHARED) is missing print why and skip.
 */
#include <errno.h>
#include <math.h>

#include "pdf_int.h"
#include "test_formats_pdf_synth.h"

#define NPAGES 7
static synth_page pages[NPAGES];
static char scratch[512];

static const char TITLE[] = "Akte M\xC3\xBCller \xE2\x80\x93 (Band 1) \\ 100% & <ok> \"q\" "
                            "\xF0\x9F\x93\x81";
static const qr_kv EXTRA[] = {
    { "Aktenzeichen", "\xC3\x84-12/34 <x> & (y) \\z" },
    { "Bemerkung", "line1\nline2\x01 tab\there\r" },
    { "kaputt", "a\xFF" "b" },
};
static const char *const EXTRA_CLEAN[] = {
    "\xC3\x84-12/34 <x> & (y) \\z",
    "line1\nline2\\u0001 tab\there\r", /* kept visible: XML cannot carry U+0001 */
    "a\xEF\xBF\xBD" "b",
};
static const char NOTE[] = "reviewer: ok (skew < 3\xC2\xB0) & \"fine\" ]]> \\";

static void make_pages(void)
{
    synth_g4(&pages[0], scratch, 2480, 3508, false, 300);  /* A4 at 300 dpi */
    synth_g4(&pages[1], scratch, 400, 300, true, 100);     /* min-is-black: inverted */
    synth_jpeg(&pages[2], 600, 400, 1, 150);
    synth_jpeg(&pages[3], 600, 400, 3, 150);
    synth_flate(&pages[4], 300, 300, 1, 8, 100);
    synth_flate(&pages[5], 300, 300, 3, 8, 100);
    synth_flate(&pages[6], 333, 250, 1, 1, 100);
}

static int build(const char *path, qr_pdfa flavour, uint8_t sha[32], qr_err *err)
{
    static const char *const enc[NPAGES] = { "g4", "g4", "jpeg", "jpeg", "png", "png", "png" };
    qr_pdf *pdf = NULL;
    int rc = qr_pdf_open(path, flavour, &pdf, err);
    for (int i = 0; i < NPAGES && rc == QR_OK; i++) {
        qr_pdf_prov prov = { .source = "box 1/file & <7>.tif", .sha256 = "ab12", .encoding =
                             enc[i], .stored = "passthrough", .xdpi = pages[i].img.xdpi,
                             .ydpi = pages[i].img.ydpi, .dpi_assumed = i == 2,
                             .source_page = i + 1, .note = i == 1 ? NOTE : NULL };
        rc = qr_pdf_add_page(pdf, &pages[i].img, &prov, err);
        CHECK_EQ_INT(qr_pdf_page_count(pdf), rc == QR_OK ? i + 1 : i);
    }
    if (rc != QR_OK) {
        qr_pdf_abort(&pdf);
        return rc;
    }
    qr_pdf_meta meta = { .title = TITLE, .created = 1700000000, .modified = 1700000100,
                         .extra = EXTRA, .n_extra = 3 };
    return qr_pdf_finish(&pdf, &meta, sha, err);
}

/* ---- byte-level structure ------------------------------------------------- */

static void check_bytes(const char *path, qr_pdfa flavour, const uint8_t sha[32])
{
    size_t len;
    uint8_t *d = qr_test_read(path, &len);
    const char *hdr = flavour == QR_PDFA_1B ? "%PDF-1.4\n%" : "%PDF-1.7\n%";
    CHECK(len > 100 && memcmp(d, hdr, 10) == 0);
    CHECK(d[10] > 127 && d[11] > 127 && d[12] > 127 && d[13] > 127 && d[14] == '\n');
    CHECK(memcmp(d + len - 6, "%%EOF\n", 6) == 0);
    uint8_t real[32];
    qr_sha256_once(d, len, real);
    CHECK(memcmp(real, sha, 32) == 0);
    char *s = (char *)d;
    d[len - 1] = '\0'; /* binary data may hold NULs: search the text parts via memmem */
    CHECK(memmem(s, len, "/BlackIs1 false", 15) != NULL);
    CHECK(memmem(s, len, "/Decode [1 0]", 13) != NULL);
    CHECK(memmem(s, len, "/Interpolate", 12) == NULL);
    CHECK(memmem(s, len, "/SMask", 6) == NULL);
    CHECK(memmem(s, len, "/MediaBox [0 0 595.2 841.92]", 28) != NULL);
    CHECK(memmem(s, len, "q 595.2 0 0 841.92 0 0 cm /Im0 Do Q", 35) != NULL);
    CHECK(memmem(s, len, "/ID [<", 6) != NULL);
    CHECK(memmem(s, len, "/Title <FEFF", 12) != NULL);
    CHECK(memmem(s, len, "/ObjStm", 7) == NULL && memmem(s, len, "/XRef", 5) == NULL);
    free(d);
}

/* ---- independent readers -------------------------------------------------- */

/* Debian's mutool is built without lcms2 and says so on every run, for any
 * input (even a missing file): that line is about the tool, not the file. */
static void drop_tool_noise(char *err)
{
    static const char noise[] = "warning: ICC support is not available\n";
    char *p;
    while ((p = strstr(err, noise)) != NULL)
        memmove(p, p + strlen(noise), strlen(p + strlen(noise)) + 1);
}

/* Run cmd; it must exit 0 with an empty stderr. Returns stdout (caller frees). */
static char *must_pass(const char *what, const char *cmd)
{
    char *out, *err;
    int st = run_tool(cmd, scratch, &out, &err);
    if (strncmp(cmd, "mutool", 6) == 0)
        drop_tool_noise(err);
    CHECKF(st == 0 && err[0] == '\0', "%s: exit %d, stderr: %.600s\nstdout: %.1500s", what, st,
           err, out);
    free(err);
    return out;
}

static void check_pdfa(const char *path, const char *flavour)
{
    const char *shared = qr_test_env("QUIRE_SHARED");
    char tool[600], cmd[2000];
    if (!shared || snprintf(tool, sizeof tool, "%s/tools/pdfa_check.py", shared) < 0 ||
        access(tool, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        printf("skip pdfa_check.py: QUIRE_SHARED or /usr/bin/python3 not available\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --flavour %s '%s'", tool, flavour, path);
    free(must_pass("pdfa_check.py", cmd));
}

static void check_readers(const char *path, const char *version)
{
    char cmd[2000];
    if (have_tool("qpdf")) {
        snprintf(cmd, sizeof cmd, "qpdf --check '%s'", path);
        char *out = must_pass("qpdf --check", cmd);
        CHECKF(strstr(out, "No syntax or stream encoding errors") && !strstr(out, "WARNING"),
               "qpdf: %s", out);
        free(out);
    } else {
        printf("skip qpdf: not installed\n");
    }
    if (have_tool("pdfinfo")) {
        snprintf(cmd, sizeof cmd, "pdfinfo '%s'", path);
        char *out = must_pass("pdfinfo", cmd);
        const char *ps = strstr(out, "Page size:");
        double w = 0, h = 0;
        CHECK(ps && sscanf(ps, "Page size: %lf x %lf", &w, &h) == 2);
        CHECKF(fabs(w - 595) <= 1 && fabs(h - 842) <= 1, "A4 at 300 dpi is %.2f x %.2f pt", w,
               h);
        CHECK(strstr(out, "Pages:           7") != NULL);
        CHECK(strstr(out, version) != NULL);
        CHECK(strstr(out, "Akte M\xC3\xBCller") != NULL);
        free(out);
    } else {
        printf("skip pdfinfo: not installed\n");
    }
    if (have_tool("mutool")) {
        snprintf(cmd, sizeof cmd, "mutool draw -q -r 30 -F pgm -o /dev/null '%s'", path);
        free(must_pass("mutool draw", cmd));
    } else {
        printf("skip mutool: not installed\n");
    }
    if (have_tool("gs")) {
        snprintf(cmd, sizeof cmd, "gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=nullpage '%s'",
                 path);
        free(must_pass("gs", cmd));
    } else {
        printf("skip gs: not installed\n");
    }
}

/* ---- rendering ------------------------------------------------------------ */

static const uint8_t *pix(const raster *r, double fx, double fy)
{
    int x = (int)(fx * r->w), y = (int)(fy * r->h);
    return r->px + ((size_t)y * (size_t)r->w + (size_t)x) * (size_t)r->comp;
}

static void check_page_render(const char *path, int page, bool colour)
{
    char cmd[2000], out[700];
    snprintf(cmd, sizeof cmd, "pdftoppm %s -r 24 -f %d -l %d -singlefile '%s' '%s/render'",
             colour ? "" : "-gray", page, page, path, scratch);
    free(must_pass("pdftoppm", cmd));
    snprintf(out, sizeof out, "%s/render.%s", scratch, colour ? "ppm" : "pgm");
    raster r = { 0 };
    if (!CHECKF(read_pnm(out, &r), "page %d rendered", page))
        return;
    const uint8_t *in = pix(&r, 0.5, 0.5), *bg = pix(&r, 0.1, 0.1);
    if (colour) {
        CHECKF(in[0] > 150 && in[1] < 90 && in[2] < 90, "page %d centre red: %d %d %d", page,
               in[0], in[1], in[2]);
        CHECKF(bg[0] > 200 && bg[1] > 200 && bg[2] > 200, "page %d background light", page);
    } else {
        CHECKF(in[0] < 80, "page %d centre dark: %d", page, in[0]);
        CHECKF(bg[0] > 200, "page %d background light: %d", page, bg[0]);
    }
    free(r.px);
}

static void check_render(const char *path)
{
    if (!have_tool("pdftoppm")) {
        printf("skip rendering: pdftoppm not installed\n");
        return;
    }
    static const bool colour[NPAGES] = { false, false, false, true, false, true, false };
    for (int i = 0; i < NPAGES; i++)
        check_page_render(path, i + 1, colour[i]);
}

/* ---- metadata round trip -------------------------------------------------- */

static const char ROUNDTRIP_PY[] =
    "import sys, pikepdf\n"
    "from lxml import etree\n"
    "p = pikepdf.open(sys.argv[1])\n"
    "x = etree.fromstring(p.Root.Metadata.read_bytes())\n"
    "ns = {'dc': 'http://purl.org/dc/elements/1.1/',\n"
    "      'rdf': 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',\n"
    "      'kv': 'http://quire.invalid/ns/scan/1.0/kv#',\n"
    "      'pg': 'http://quire.invalid/ns/scan/1.0/page#'}\n"
    "out = [x.xpath('//dc:title//rdf:li/text()', namespaces=ns)[0], str(p.docinfo['/Title'])]\n"
    "out += x.xpath('//kv:value/text()', namespaces=ns)\n"
    "out += x.xpath('//pg:note/text()', namespaces=ns)\n"
    "out += x.xpath('//pg:source/text()', namespaces=ns)[:1]\n"
    "out.append(str(len(x.xpath('//pg:page', namespaces=ns))))\n"
    "for s in out: print(s.encode('utf-8').hex())\n";

static void check_hexline(char **cur, const char *want, const char *what)
{
    char *nl = strchr(*cur, '\n');
    if (!CHECKF(nl != NULL, "%s present", what))
        return;
    *nl = '\0';
    char hex[4096];
    qr_hex((const uint8_t *)want, strlen(want), hex);
    CHECKF(strcmp(*cur, hex) == 0, "%s: got %s want %s", what, *cur, hex);
    *cur = nl + 1;
}

static void check_roundtrip(const char *path)
{
    char script[600], cmd[2000];
    snprintf(script, sizeof script, "%s/roundtrip.py", scratch);
    FILE *f = fopen(script, "w");
    fputs(ROUNDTRIP_PY, f);
    fclose(f);
    char *out, *err;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s'", script, path);
    if (run_tool(cmd, scratch, &out, &err) != 0 && strstr(err, "ModuleNotFoundError")) {
        printf("skip metadata round trip: pikepdf/lxml missing\n");
    } else {
        char *cur = out;
        check_hexline(&cur, TITLE, "dc:title");
        check_hexline(&cur, TITLE, "Info /Title");
        for (int i = 0; i < 3; i++)
            check_hexline(&cur, EXTRA_CLEAN[i], "quire:meta value");
        check_hexline(&cur, NOTE, "page note");
        check_hexline(&cur, "box 1/file & <7>.tif", "page source");
        check_hexline(&cur, "7", "page entries");
    }
    free(out);
    free(err);
}

/* ---- driver --------------------------------------------------------------- */

static void test_flavour(qr_pdfa flavour)
{
    const char *name = flavour == QR_PDFA_1B ? "1b" : "2b";
    char a[700], b[700];
    snprintf(a, sizeof a, "%s/doc-%s.pdf", scratch, name);
    snprintf(b, sizeof b, "%s/doc-%s-again.pdf", scratch, name);
    uint8_t sha_a[32], sha_b[32];
    qr_err err = { 0 };
    if (!CHECKF(build(a, flavour, sha_a, &err) == QR_OK, "build %s: %s", name, err.msg))
        return;
    CHECKF(build(b, flavour, sha_b, &err) == QR_OK, "rebuild %s: %s", name, err.msg);
    CHECK(memcmp(sha_a, sha_b, 32) == 0);
    size_t la, lb;
    uint8_t *da = qr_test_read(a, &la), *db = qr_test_read(b, &lb);
    CHECKF(la == lb && memcmp(da, db, la) == 0, "two writes of %s are byte-identical", name);
    free(da);
    free(db);
    check_bytes(a, flavour, sha_a);
    check_pdfa(a, name);
    check_readers(a, flavour == QR_PDFA_1B ? "PDF version:     1.4" : "PDF version:     1.7");
    check_render(a);
    check_roundtrip(a);
}

/* No title, a custom producer, no extra metadata, no provenance. */
static void test_minimal_meta(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/minimal.pdf", scratch);
    qr_err err = { 0 };
    qr_pdf *pdf = NULL;
    CHECK(qr_pdf_open(path, QR_PDFA_2B, &pdf, &err) == QR_OK);
    CHECK(qr_pdf_add_page(pdf, &pages[4].img, NULL, &err) == QR_OK);
    qr_pdf_meta meta = { .producer = "scanner (v2) & <co>", .created = 0, .modified = 1 };
    if (!CHECKF(qr_pdf_finish(&pdf, &meta, NULL, &err) == QR_OK, "%s", err.msg))
        return;
    size_t len;
    char *d = (char *)qr_test_read(path, &len);
    CHECK(memmem(d, len, "/Title", 6) == NULL && memmem(d, len, "dc:title", 8) == NULL);
    CHECK(memmem(d, len, "/Producer (scanner \\(v2\\) & <co>)", 33) != NULL);
    CHECK(memmem(d, len, "<pdf:Producer>scanner (v2) &amp; &lt;co&gt;</pdf:Producer>", 58));
    CHECK(memmem(d, len, "<xmp:CreateDate>1970-01-01T00:00:00Z</xmp:CreateDate>", 53));
    CHECK(memmem(d, len, "/CreationDate (D:19700101000000Z)", 33) != NULL);
    free(d);
    check_pdfa(path, "2b");
    /* the checker is not vacuous: this 2b archive is not a 1b one */
    const char *shared = qr_test_env("QUIRE_SHARED");
    char cmd[2000], *out, *err2, checker[1200];
    snprintf(checker, sizeof checker, "%s/tools/pdfa_check.py", shared ? shared : "");
    if (shared && access("/usr/bin/python3", X_OK) == 0 && access(checker, R_OK) == 0) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tools/pdfa_check.py' --flavour 1b '%s'",
                 shared, path);
        int st = run_tool(cmd, scratch, &out, &err2);
        CHECKF(st == 1 && strstr(out, "6.7.11-2"), "2b archive checked as 1b: %d %s", st, out);
        free(out);
        free(err2);
    }
}

int main(void)
{
    qr_test_tmpdir("pdf", scratch, sizeof scratch);
    make_pages();
    test_flavour(QR_PDFA_2B);
    test_flavour(QR_PDFA_1B);
    test_minimal_meta();
    for (int i = 0; i < NPAGES; i++)
        synth_free(&pages[i]);
    return qr_test_end();
}
