/*
 * A 9000-page archive (tiny 8x8 pages): more pages than PDF/A-1 allows
 * elements in one array (8191), so it only passes when the page tree is
 * split into intermediate nodes. Checks the tree shape (8 full nodes of 1024
 * pages and one of 808 under a root of 9 kids), the page count seen by
 * pdfinfo, qpdf --check and pdfa_check.py --flavour 1b.
 */
#include "test_formats_pdf_synth.h"

#define PAGES 9000

static char scratch[512];

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = 0, m = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, m)) != NULL; p += m)
        k++;
    return k;
}

static void run_ok(const char *what, const char *cmd, const char *want_out)
{
    char *out, *err;
    int st = run_tool(cmd, scratch, &out, &err);
    CHECKF(st == 0 && err[0] == '\0', "%s: exit %d, stderr %.400s, stdout %.400s", what, st,
           err, out);
    if (want_out)
        CHECKF(strstr(out, want_out) != NULL, "%s: output lacks '%s'", what, want_out);
    free(out);
    free(err);
}

int main(void)
{
    qr_test_tmpdir("pdf-large", scratch, sizeof scratch);
    synth_page pg;
    synth_flate(&pg, 8, 8, 1, 8, 72);
    char path[700], cmd[2000];
    snprintf(path, sizeof path, "%s/large.pdf", scratch);
    qr_err err = { 0 };
    qr_pdf *pdf = NULL;
    int rc = qr_pdf_open(path, QR_PDFA_1B, &pdf, &err);
    for (int i = 0; i < PAGES && rc == QR_OK; i++) {
        qr_pdf_prov prov = { .source = "p.tif", .encoding = "flate", .stored = "flate",
                             .xdpi = 72, .ydpi = 72, .source_page = i + 1 };
        rc = qr_pdf_add_page(pdf, &pg.img, &prov, &err);
    }
    CHECK_EQ_INT(qr_pdf_page_count(pdf), PAGES);
    qr_pdf_meta meta = { .title = "9000 pages", .created = 1700000000, .modified = 1700000000 };
    if (rc == QR_OK)
        rc = qr_pdf_finish(&pdf, &meta, NULL, &err);
    else
        qr_pdf_abort(&pdf);
    if (!CHECKF(rc == QR_OK, "write: %s", err.msg))
        return qr_test_end();
    size_t n;
    char *d = (char *)qr_test_read(path, &n);
    CHECK_EQ_INT(count(d, n, "/Type /Pages /Parent 2 0 R /Count 1024\n"), 8);
    CHECK_EQ_INT(count(d, n, "/Type /Pages /Parent 2 0 R /Count 808\n"), 1);
    CHECK_EQ_INT(count(d, n, "/Type /Pages /Count 9000\n"), 1);
    CHECK_EQ_INT(count(d, n, "/Type /Page /Parent"), PAGES);
    CHECK_EQ_INT(count(d, n, "<quirePage:page>"), PAGES);
    free(d);
    if (have_tool("qpdf")) {
        snprintf(cmd, sizeof cmd, "qpdf --check '%s'", path);
        run_ok("qpdf --check", cmd, "No syntax or stream encoding errors");
    }
    if (have_tool("pdfinfo")) {
        snprintf(cmd, sizeof cmd, "pdfinfo '%s'", path);
        run_ok("pdfinfo", cmd, "Pages:           9000");
    }
    const char *shared = qr_test_env("QUIRE_SHARED");
    char tool[600];
    snprintf(tool, sizeof tool, "%s/tools/pdfa_check.py", shared ? shared : "/nonexistent");
    if (shared && access(tool, R_OK) == 0 && access("/usr/bin/python3", X_OK) == 0) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --flavour 1b '%s'", tool, path);
        run_ok("pdfa_check 1b", cmd, "PASS");
    } else {
        printf("skip pdfa_check.py: QUIRE_SHARED or /usr/bin/python3 not available\n");
    }
    synth_free(&pg);
    return qr_test_end();
}
