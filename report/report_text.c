/*
 * report_text.c: the small text helpers both halves of the HTML report use:
 * escaping ledger text for HTML and SVG (a reason is text, never markup;
 * control characters are dropped, a newline or tab becomes a space) and
 * converting between ledger dates and day numbers.
 *
 * Apart from report_html.c so that the page (report_html.c) calls the
 * charts (report_svg.c) and both call this, and no two files call each
 * other. Pure functions; any thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "report_int.h"

void rp_esc(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if (*p >= 0x20 && *p != 0x7f)
                fputc(*p, out);
            else if (*p == '\n' || *p == '\t')
                fputc(' ', out);
        }
    }
}

int64_t rp_day(const char *date)
{
    char t[11];
    int32_t d;
    snprintf(t, sizeof t, "%.10s", date ? date : "");
    return qr_ledger_date_parse(t, &d) ? d : -1;
}

void rp_day_text(int64_t day, char out[11])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
