/*
 * The string and number formatting behind the Info dictionary and the XMP
 * packet (pdf_int.h): UTF-8 cleaning, PDF text strings, XML escaping and
 * locale-independent numbers. These decide whether Info and XMP agree and
 * whether hostile metadata can break the packet.
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"
#include "qr_test.h"

static void clean_is(const char *in, const char *want)
{
    char *got = qr_pdf_clean_utf8(in);
    CHECKF(got && strcmp(got, want) == 0, "clean(%s) = %s", in, got ? got : "(null)");
    free(got);
}

static void test_clean(void)
{
    clean_is("plain", "plain");
    clean_is("M\xC3\xBCller \xF0\x9F\x93\x81", "M\xC3\xBCller \xF0\x9F\x93\x81");
    clean_is("tab\tnl\ncr\r", "tab\tnl\ncr\r");
    clean_is("ctl\x01\x1F\x7F", "ctl\\u0001\\u001F\x7F");   /* C0 visible, DEL allowed */
    clean_is("bad\xFFz", "bad\xEF\xBF\xBDz");               /* stray byte */
    clean_is("over\xC0\xAF", "over\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '/' */
    clean_is("sur\xED\xA0\x80", "sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    clean_is("cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD");  /* truncated sequence */
    clean_is("nonchar\xEF\xBF\xBE.", "nonchar\\uFFFE.");    /* U+FFFE visible */
    clean_is("\x01\x02\x03\x04\x05", "\\u0001\\u0002\\u0003\\u0004\\u0005"); /* 6 bytes each */
    clean_is("big\xF4\x90\x80\x80", "big\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

/* The count and the first character written as \uXXXX, which the writer's
 * warning reports; an escaped value is still one Info and XMP agree on. */
static void test_clean_count(void)
{
    size_t n = 99;
    uint32_t first = 0;
    char *got = qr_pdf_clean_text("Smith\x01 \x1B[31m red\x07", &n, &first);
    CHECKF(got && strcmp(got, "Smith\\u0001 \\u001B[31m red\\u0007") == 0, "%s", got);
    CHECK(n == 3 && first == 0x01);
    free(got);
    n = 99;
    first = 7;
    got = qr_pdf_clean_text("plain \xC3\xBC\t\n", &n, &first);
    CHECK(got && strcmp(got, "plain \xC3\xBC\t\n") == 0 && n == 0 && first == 7);
    free(got);
    qr_buf b = { 0 };
    CHECK(qr_pdf_text_string(&b, "A\\u0001B") == QR_OK);
    CHECK(qr_buf_append(&b, "", 1) == QR_OK);
    CHECKF(strcmp((char *)b.data, "(A\\\\u0001B)") == 0, "%s", (char *)b.data);
    qr_buf_free(&b);
}

static void text_is(const char *in, const char *want)
{
    qr_buf b = { 0 };
    CHECK(qr_pdf_text_string(&b, in) == QR_OK);
    CHECK(qr_buf_append(&b, "", 1) == QR_OK);
    CHECKF(strcmp((char *)b.data, want) == 0, "text(%s) = %s, want %s", in, (char *)b.data,
           want);
    qr_buf_free(&b);
}

static void test_text_string(void)
{
    text_is("File 12", "(File 12)");
    text_is("a(b)c\\d", "(a\\(b\\)c\\\\d)");
    text_is("l1\nl2\r\t", "(l1\\nl2\\r\\t)");
    text_is("\xC3\xBC", "<FEFF00FC>");
    text_is("x\xF0\x9F\x93\x81", "<FEFF0078D83DDCC1>");  /* surrogate pair */
    text_is("del\x7F", "<FEFF00640065006C007F>");         /* not in PDFDocEncoding */
    text_is("", "()");
}

static void xml_is(const char *in, const char *want)
{
    qr_buf b = { 0 };
    CHECK(qr_xml_escape(&b, in) == QR_OK);
    CHECK(qr_buf_append(&b, "", 1) == QR_OK);
    CHECKF(strcmp((char *)b.data, want) == 0, "xml(%s) = %s", in, (char *)b.data);
    qr_buf_free(&b);
}

static void test_xml(void)
{
    xml_is("a & b < c > d \"e\" 'f'", "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;");
    xml_is("]]>", "]]&gt;");
    xml_is("t\tn\nr\r", "t&#9;n&#10;r&#13;");
    xml_is("\xC3\xBC", "\xC3\xBC");
}

static void num_is(double v, const char *want)
{
    char got[40];
    qr_pdf_num(v, got);
    CHECKF(strcmp(got, want) == 0, "num(%g) = %s, want %s", v, got, want);
}

static void test_num(void)
{
    num_is(2480 * 72.0 / 300, "595.2");
    num_is(3508 * 72.0 / 300, "841.92");
    num_is(300, "300");
    num_is(-1.5, "-1.5");
    num_is(0.0004, "0");
    num_is(-0.0004, "0");
    num_is(1.0 / 3, "0.333");
    num_is(1e300, "0");
    /* a decimal-comma locale must not leak into the PDF */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
        num_is(595.2, "595.2");
    else
        printf("skip locale check: no decimal-comma locale installed\n");
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    test_clean();
    test_clean_count();
    test_text_string();
    test_xml();
    test_num();
    return qr_test_end();
}
