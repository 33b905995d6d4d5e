/*
 * PDF/A-3b associated files (pdf_attach.c): a 3b document with an
 * attachment says pdfaid:part 3, holds the EmbeddedFile stream (MIME type as
 * a name, Size and ModDate, Flate) and a file specification with F, UF,
 * Desc and AFRelationship listed in the catalog's AF and EmbeddedFiles; the
 * bytes are the same twice; a 2b document given the same attachment ignores
 * it; a name that is not plain is refused; and the 3b document passes
 * pdfa_check.py --flavour 3b (when ../shared is present).
 */
#include "test_formats_pdf_synth.h"

static char scratch[512];
static size_t pdf_len;

static bool has(const char *pdf, const char *needle)
{
    return memmem(pdf, pdf_len, needle, strlen(needle)) != NULL;
}

static const char NOTE[] = "{\"transfer_note\":1,\"file_id\":\"F-1\"}\n";

static int write_pdf(const char *name, qr_pdfa flavour, const qr_pdf_attachment *a,
                     char **bytes, qr_err *err)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    synth_page s;
    synth_flate(&s, 64, 48, 1, 8, 300);
    qr_pdf *pdf = NULL;
    CHECKF(qr_pdf_open(path, flavour, &pdf, err) == QR_OK, "%s", err->msg);
    CHECKF(qr_pdf_add_page(pdf, &s.img, NULL, err) == QR_OK, "%s", err->msg);
    qr_pdf_meta meta = {.title = "F-1", .created = 1700000000, .modified = 1700000000,
                        .attachment = a};
    int rc = qr_pdf_finish(&pdf, &meta, NULL, err);
    synth_free(&s);
    *bytes = rc == QR_OK ? (char *)qr_test_read(path, &pdf_len) : NULL;
    return rc;
}

static void check_pdfa(const char *name)
{
    const char *shared = qr_test_env("QUIRE_SHARED");
    char tool[600], cmd[2000];
    if (!shared || snprintf(tool, sizeof tool, "%s/tools/pdfa_check.py", shared) < 0 ||
        access(tool, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        printf("skip pdfa_check.py: QUIRE_SHARED or /usr/bin/python3 not available\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --flavour 3b '%s/%s'", tool, scratch,
             name);
    char *out, *err;
    int st = run_tool(cmd, scratch, &out, &err);
    CHECKF(st == 0, "pdfa_check %s 3b: exit %d: %.600s %.600s", name, st, out, err);
    free(out);
    free(err);
}

int main(void)
{
    qr_test_tmpdir("formats_pdf_attach", scratch, sizeof scratch);
    qr_pdf_attachment a = {.name = "transfer-note.json", .mime = "application/json",
                           .desc = "Transfer note", .relationship = "Supplement",
                           .data = NOTE, .len = sizeof NOTE - 1};
    qr_err err = {0};
    char *x = NULL, *y = NULL;
    CHECK(write_pdf("a.pdf", QR_PDFA_3B, &a, &x, &err) == QR_OK);
    size_t len_x = pdf_len;
    CHECK(x && has(x, "%PDF-1.7\n"));
    CHECK(x && has(x, "<pdfaid:part>3</pdfaid:part>"));
    CHECK(x && has(x, "/Type /EmbeddedFile /Subtype /application#2Fjson"));
    CHECK(x && has(x, "/Params << /Size 36 /ModDate (D:20231114221320Z) >>"));
    CHECK(x && has(x, "/Filter /FlateDecode"));
    CHECK(x && has(x, "/F (transfer-note.json) /UF (transfer-note.json)"));
    CHECK(x && has(x, "/AFRelationship /Supplement /Desc (Transfer note)"));
    CHECK(x && has(x, "/AF ["));
    CHECK(x && has(x, "/Names << /EmbeddedFiles << /Names [(transfer-note.json) "));
    CHECK(write_pdf("b.pdf", QR_PDFA_3B, &a, &y, &err) == QR_OK);
    CHECK(x && y && len_x == pdf_len && !memcmp(x, y, pdf_len));
    free(y);
    CHECK(write_pdf("c.pdf", QR_PDFA_2B, &a, &y, &err) == QR_OK);
    CHECK(y && !has(y, "EmbeddedFile") && !has(y, "/AF") &&
          has(y, "<pdfaid:part>2</pdfaid:part>"));
    free(y);
    qr_pdf_attachment bad = a;
    bad.name = "note (1).json";
    CHECK_EQ_INT(write_pdf("d.pdf", QR_PDFA_3B, &bad, &y, &err), QR_EINVAL);
    CHECK(strstr(err.msg, "cannot embed"));
    free(y);
    free(x);
    check_pdfa("a.pdf");
    return qr_test_end();
}
