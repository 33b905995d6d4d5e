/*
 * Reviewer overrides in the archive's XMP (quire:overrides): every field is
 * written, escaped and cleaned (XML specials, invalid UTF-8), the Override
 * type is declared in the PDF/A extension schema, an archive without
 * overrides has no empty list, and both flavours pass pdfa_check.py (when
 * ../shared is present).
 */
#include "test_formats_pdf_synth.h"

static char scratch[512];
static size_t pdf_len;

/* The PDF holds binary streams: search the whole file, not up to a NUL. */
static bool has(const char *pdf, const char *needle)
{
    return memmem(pdf, pdf_len, needle, strlen(needle)) != NULL;
}

static char *write_pdf(const char *name, qr_pdfa flavour, const qr_pdf_override *ovr, size_t n)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    synth_page s;
    synth_flate(&s, 64, 48, 1, 8, 300);
    qr_pdf *pdf = NULL;
    qr_err err = {0};
    CHECKF(qr_pdf_open(path, flavour, &pdf, &err) == QR_OK, "%s", err.msg);
    CHECKF(qr_pdf_add_page(pdf, &s.img, NULL, &err) == QR_OK, "%s", err.msg);
    qr_pdf_meta meta = {.title = "F-1", .created = 1700000000, .modified = 1700000000,
                        .overrides = ovr, .n_overrides = n};
    CHECKF(qr_pdf_finish(&pdf, &meta, NULL, &err) == QR_OK, "%s", err.msg);
    synth_free(&s);
    return (char *)qr_test_read(path, &pdf_len);
}

static void check_pdfa(const char *name, const char *flavour)
{
    const char *shared = qr_test_env("QUIRE_SHARED");
    char tool[600], cmd[2000];
    if (!shared || snprintf(tool, sizeof tool, "%s/tools/pdfa_check.py", shared) < 0 ||
        access(tool, R_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        printf("skip pdfa_check.py: QUIRE_SHARED or /usr/bin/python3 not available\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --flavour %s '%s/%s'", tool, flavour,
             scratch, name);
    char *out, *err;
    int st = run_tool(cmd, scratch, &out, &err);
    CHECKF(st == 0, "pdfa_check %s %s: exit %d: %.600s %.600s", name, flavour, st, out, err);
    free(out);
    free(err);
}

int main(void)
{
    qr_test_tmpdir("formats_pdf_overrides", scratch, sizeof scratch);
    const qr_pdf_override ovr[2] = {
        {.kind = "blank", .page = 3, .reason = "divider <sheet> & \"tab\"", .by = "Ana",
         .at = "2026-01-02T03:04:05Z"},
        {.kind = "missing_pages", .page = 0, .reason = "bad \xff byte", .by = "B\xc3\xb6rk",
         .at = "2026-01-02T03:04:06Z"}};
    char *x = write_pdf("ovr2b.pdf", QR_PDFA_2B, ovr, 2);
    CHECK(has(x, "<quire:overrides><rdf:Seq>"));
    CHECK(has(x, "<quireOverride:kind>blank</quireOverride:kind>"
                 "<quireOverride:page>3</quireOverride:page>"
                 "<quireOverride:reason>divider &lt;sheet&gt; &amp; &quot;tab&quot;"
                 "</quireOverride:reason><quireOverride:by>Ana</quireOverride:by>"
                 "<quireOverride:at>2026-01-02T03:04:05Z</quireOverride:at>"));
    CHECK(has(x, "<quireOverride:reason>bad \xef\xbf\xbd byte</quireOverride:reason>"
                 "<quireOverride:by>B\xc3\xb6rk</quireOverride:by>"));
    CHECK(has(x, "<pdfaProperty:name>overrides</pdfaProperty:name>"
                 "<pdfaProperty:valueType>Seq Override</pdfaProperty:valueType>"));
    CHECK(has(x, "<pdfaType:type>Override</pdfaType:type>"));
    free(x);
    x = write_pdf("none.pdf", QR_PDFA_2B, NULL, 0);
    CHECK(!has(x, "<quire:overrides>"));
    free(x);
    free(write_pdf("ovr1b.pdf", QR_PDFA_1B, ovr, 2));
    check_pdfa("ovr2b.pdf", "2b");
    check_pdfa("ovr1b.pdf", "1b");
    return qr_test_end();
}
