/*
 * Internals shared by the HTML report's files (report_html.c: page, key
 * figures, tables; report_svg.c: the charts). Only they include it.
 */
#ifndef QR_REPORT_INT_H
#define QR_REPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "qr_report.h"

/* Write s with &, <, >, " and ' escaped and control characters dropped: safe
 * both as element text and inside a double-quoted attribute. */
void rp_esc(FILE *out, const char *s);
/* Days since 1970-01-01 of "YYYY-MM-DD" (the first 10 characters), -1 if none. */
int64_t rp_day(const char *date);
/* "YYYY-MM-DD" of a day number. */
void rp_day_text(int64_t day, char out[11]);

/* The charts, each one <figure> with an inline <svg>. */
void rp_chart_progress(FILE *out, const qr_report_data *d);
void rp_chart_daily(FILE *out, const qr_report_data *d);
void rp_chart_faults(FILE *out, const qr_ledger_status *s);
void rp_chart_weeks(FILE *out, const qr_report_data *d);

#endif
