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
    clean_is("ctl\x01\x1F\x7F", "ctl\x7F");                 /* C0 dropped, DEL allowed */
    clean_is("bad\xFFz", "bad\xEF\xBF\xBDz");               /* stray byte */
    clean_is("over\xC0\xAF", "over\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '/' */
    clean_is("sur\xED\xA0\x80", "sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    clean_is("cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD");  /* truncated sequence */
    clean_is("nonchar\xEF\xBF\xBE.", "nonchar.");           /* U+FFFE dropped */
    clean_is("big\xF4\x90\x80\x80", "big\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
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
    test_text_string();
    test_xml();
    test_num();
    return qr_test_end();
}
