/*
 * The one writer of CSV cells: every CSV quire prints (export pages, files,
 * faults; quire faults; rescan list) goes through qr_csv_cell, so quoting
 * and the guard below are the same everywhere.
 *
 * Quoting is RFC 4180: a cell holding a comma, a double quote, CR or LF is
 * put in double quotes, its quotes doubled; libcsv's csv_fwrite (the
 * library that also reads the manifests) does the quoting.
 *
 * The guard is against formula injection. Spreadsheets (Excel, LibreOffice,
 * Google Sheets) take a cell that begins with = + - or @ as a formula, some
 * of them after a leading tab, CR, LF or spaces, and much of what a CSV
 * holds was typed by someone else: a manifest's file id or box, a file name
 * in a delivery, the reason of a rescan job. `=cmd|' /C calc'!A0` or a
 * HYPERLINK that carries other cells away would run in the reviewer's
 * spreadsheet. So, as OWASP advises, such a cell is written with a single
 * quote in front, and quoted: `"'=cmd|' /C calc'!A0"`. Spreadsheets show a
 * cell starting with ' as text.
 *
 * Readable and reversible: the value follows the quote unchanged. A cell
 * that begins with a quote of its own gets one more, so that the reverse is
 * one rule without exceptions: a cell that begins with ' had one ' put in
 * front; drop it.
 *
 * Numbers: a leading - is also a negative number, and a skew_deg column of
 * -0.5 must stay a column of numbers. A plain decimal number (an optional
 * minus, digits, an optional fraction, an optional exponent: -0.5, -12,
 * -1.5e-07) cannot carry a formula, so it is never guarded; anything else
 * that begins as above is, "-inf" and "-1+2" included.
 *
 * Pure functions of their arguments; any thread.
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_util.h"

static const char *digits(const char *p)
{
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

bool qr_csv_plain_number(const char *s)
{
    const char *p = s + (*s == '-');
    const char *q = digits(p);
    if (q == p)
        return false;
    if (*q == '.') {
        p = q + 1;
        q = digits(p);
        if (q == p)
            return false;
    }
    if (*q == 'e' || *q == 'E') {
        p = q + 1 + (q[1] == '+' || q[1] == '-');
        q = digits(p);
        if (q == p)
            return false;
    }
    return *q == '\0';
}

bool qr_csv_guarded(const char *s)
{
    if (s[0] == '\'')
        return true;
    const char *p = s + strspn(s, " ");
    if (!*p || !strchr("=+-@\t\r\n", *p))
        return false;
    return !qr_csv_plain_number(s);
}

void qr_csv_cell(FILE *out, const char *s)
{
    if (!s)
        s = "";
    bool guard = qr_csv_guarded(s);
    if (!guard && !strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    if (!guard) {
        csv_fwrite(out, s, strlen(s));
        return;
    }
    /* libcsv quotes a whole field; the guard's quote goes inside it. */
    size_t n = strlen(s);
    char *g = malloc(n + 2);
    if (!g) { /* never unguarded: the guard's quote as a cell of its own would split the row */
        fputs("\"'", out);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                fputc('"', out);
            fputc(*p, out);
        }
        fputc('"', out);
        return;
    }
    g[0] = '\'';
    memcpy(g + 1, s, n + 1);
    csv_fwrite(out, g, n + 1);
    free(g);
}
