/*
 * The small text toolkit every module shares: a JSON string literal (to a
 * buffer or a stream) and the shortest decimal text of a double that reads
 * back as the same double (growing an array, qr_grow, is in qr_util.c
 * beside qr_buf, which uses it). Each existed in several
 * copies that had started to differ (one escaped DEL, one did not; one
 * wrote "\n", another "\u000a"); one copy cannot drift from itself.
 */
#include "qr_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escape for one byte, or NULL when it is written as it is. */
static const char *json_escape(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        if (c >= 0x20 && c != 0x7f)
            return NULL;
        snprintf(tmp, 8, "\\u%04x", c);
        return tmp;
    }
}

int qr_json_str(qr_buf *b, const char *s)
{
    int rc = qr_buf_append(b, "\"", 1);
    char tmp[8];
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && rc == QR_OK; p++) {
        const char *e = json_escape(*p, tmp);
        rc = e ? qr_buf_append(b, e, strlen(e)) : qr_buf_append(b, p, 1);
    }
    return rc == QR_OK ? qr_buf_append(b, "\"", 1) : rc;
}

void qr_json_fputs(FILE *out, const char *s)
{
    char tmp[8];
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        const char *e = json_escape(*p, tmp);
        if (e)
            fputs(e, out);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void qr_fmt_double(double v, char out[40])
{
    if (!isfinite(v)) {
        snprintf(out, 40, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

