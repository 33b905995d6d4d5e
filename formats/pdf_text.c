/*
 * Text and number formatting shared by the PDF body and the XMP packet.
 *
 * PDF/A requires the Info dictionary and the XMP packet to say the same
 * thing (6.7.3). Both are therefore made from one cleaned string: valid
 * UTF-8 holding only characters XML 1.0 can carry (anything else would make
 * the packet ill-formed, or be silently lost from one side only). The PDF
 * side is then either a plain literal string (printable ASCII) or UTF-16BE
 * with a byte-order mark; the XMP side is XML-escaped UTF-8, with tab, CR
 * and LF as character references so XML parsers keep them verbatim.
 *
 * A character XML cannot carry (a control character other than tab, LF and
 * CR, or the non-characters U+FFFE and U+FFFF) is written as the six ASCII
 * characters \uXXXX rather than dropped: a title "A<U+0001>B" reads
 * "A\u0001B". Dropping it lost information without a trace, and U+FFFD
 * would keep the trace but not which character it was; \uXXXX keeps both,
 * stays plain ASCII in Info and XMP alike, and is what JSON would write.
 * (It cannot be told from the same six characters typed in a title; the
 * writer warns whenever it escapes, see qr_pdf_clean_warn.) Invalid UTF-8
 * bytes, which are no character at all, become U+FFFD.
 *
 * Numbers are formatted by hand so the bytes do not depend on the locale.
 * Pure functions; any thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

/* Decode one UTF-8 sequence at s; returns its length (>= 1) and sets *cp,
 * U+FFFD for an invalid or overlong sequence (consuming one byte). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 1) {
        *cp = c;
        return 1;
    }
    *cp = 0xFFFD;
    if (n == 0)
        return 1;
    uint32_t v = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min_cp[n - 1] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    *cp = v;
    return n;
}

static bool xml_char_ok(uint32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static size_t utf8_put(uint32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

char *qr_pdf_clean_text(const char *s, size_t *n_escaped, uint32_t *first_escaped)
{
    size_t len = strlen(s), cap, n = 0;
    /* \uXXXX (6 bytes) may replace a single byte (a C0 control). */
    if (!qr_mul_size(len, 6, &cap) || !qr_add_size(cap, 1, &cap))
        return NULL;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        uint32_t c;
        p += utf8_next(p, &c);
        if (xml_char_ok(c)) {
            o += utf8_put(c, out + o);
            continue;
        }
        if (n++ == 0 && first_escaped)
            *first_escaped = c;
        snprintf(out + o, 7, "\\u%04X", (unsigned)c); /* c < 0x10000: C0, FFFE, FFFF */
        o += 6;
    }
    out[o] = '\0';
    if (n_escaped)
        *n_escaped = n;
    return out;
}

char *qr_pdf_clean_utf8(const char *s)
{
    return qr_pdf_clean_text(s, NULL, NULL);
}

static bool plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!(*p >= 0x20 && *p <= 0x7E) && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

static int literal_string(qr_buf *b, const char *s)
{
    int rc = qr_buf_append(b, "(", 1);
    for (const char *p = s; *p && rc == QR_OK; p++) {
        const char *esc = *p == '(' ? "\\(" : *p == ')' ? "\\)" : *p == '\\' ? "\\\\"
                        : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : NULL;
        rc = esc ? qr_buf_append(b, esc, 2) : qr_buf_append(b, p, 1);
    }
    return rc == QR_OK ? qr_buf_append(b, ")", 1) : rc;
}

static int utf16_unit(qr_buf *b, uint32_t u)
{
    return qr_buf_printf(b, "%04X", (unsigned)u);
}

int qr_pdf_text_string(qr_buf *b, const char *s)
{
    if (plain_ascii(s))
        return literal_string(b, s);
    int rc = qr_buf_append(b, "<FEFF", 5);
    const unsigned char *p = (const unsigned char *)s;
    while (*p && rc == QR_OK) {
        uint32_t c;
        p += utf8_next(p, &c);
        if (c >= 0x10000) {
            c -= 0x10000;
            rc = utf16_unit(b, 0xD800 | (c >> 10));
            if (rc == QR_OK)
                rc = utf16_unit(b, 0xDC00 | (c & 0x3FF));
        } else {
            rc = utf16_unit(b, c);
        }
    }
    return rc == QR_OK ? qr_buf_append(b, ">", 1) : rc;
}

int qr_xml_escape(qr_buf *b, const char *s)
{
    int rc = QR_OK;
    for (const char *p = s; *p && rc == QR_OK; p++) {
        const char *esc = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                        : *p == '"' ? "&quot;" : *p == '\'' ? "&apos;" : *p == '\t' ? "&#9;"
                        : *p == '\n' ? "&#10;" : *p == '\r' ? "&#13;" : NULL;
        rc = esc ? qr_buf_append(b, esc, strlen(esc)) : qr_buf_append(b, p, 1);
    }
    return rc;
}

void qr_pdf_num(double v, char out[40])
{
    if (!isfinite(v) || fabs(v) > 1e15) {
        strcpy(out, "0");
        return;
    }
    long long m = llround(v * 1000.0);
    const char *sign = m < 0 ? "-" : "";
    unsigned long long a = (unsigned long long)(m < 0 ? -m : m);
    unsigned long long ip = a / 1000, fp = a % 1000;
    if (fp == 0) {
        snprintf(out, 40, "%s%llu", a ? sign : "", ip);
        return;
    }
    char frac[4];
    snprintf(frac, sizeof frac, "%03llu", fp);
    for (int i = 2; i > 0 && frac[i] == '0'; i--)
        frac[i] = '\0';
    snprintf(out, 40, "%s%llu.%s", sign, ip, frac);
}
