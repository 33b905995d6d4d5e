/*
 * qr_report: the project office's view of the ledger, written from the same
 * structs in every form — quire status (text and --json) and quire report
 * --html — so that a number in the report is, to the digit, the number in
 * status --json. Numbers that are not counts are written with one
 * formatter (qr_report_num), used by both.
 *
 * Everything here only formats: the figures are read by qr_ledger_status_at
 * and qr_ledger_status_groups_get. Runs on the caller's thread.
 */
#ifndef QR_REPORT_H
#define QR_REPORT_H

#include <stdio.h>

#include "qr_ledger.h"

/* A non-count figure (percent, pages per day) as status --json writes it:
 * fixed, four decimals. */
void qr_report_num(double v, char out[32]);

/* The same figures for people, one format on the CLI and in the HTML report:
 * a count with narrow no-break spaces between thousands ("1 234 567"), a
 * percent with two decimals ("48.28 %"), a rate with one ("12.3"), and the
 * distance to the plan ("behind the plan by 8.28 points, 12 days";
 * "ahead ...", "on plan"; "no target for today"). */
void qr_report_count(int64_t v, char out[48]);
void qr_report_pct(double v, char out[32]);
void qr_report_rate(double v, char out[32]);
void qr_report_gap(const qr_ledger_status *s, char *out, size_t cap);

/* The status as one JSON object (keys stable, see README): counts, percents,
 * plan, throughput, projection, faults by kind, rescan jobs. Dates that do
 * not exist are null. */
void qr_report_status_json(FILE *out, const qr_ledger_status *s);
/* Grouped status as {"by": NAME, "groups": [...]}; each group's keys
 * depend on the grouping (see qr_ledger_status_groups_get). */
void qr_report_groups_json(FILE *out, const qr_ledger_status_groups *g);

/* Everything the HTML report shows, read beforehand. */
typedef struct qr_report_data {
    qr_ledger_status status;
    qr_ledger_status_groups boxes, days;  /* QR_STATUS_BY_BOX (least digitized
                                             first), QR_STATUS_BY_DAY */
    qr_ledger_plan plan;
    qr_ledger_rescan_list jobs;           /* rescan jobs not closed */
    qr_ledger_fault_weeks weeks;          /* the last QR_REPORT_WEEKS weeks */
} qr_report_data;

#define QR_REPORT_WEEKS 12

/* Read all of it for `today` (NULL = the ledger clock's day). The status,
 * each grouping and the job list are each one read snapshot; while an ingest
 * commits beside the report, files committed between them may show in one
 * part and not yet in another. */
int qr_report_read(qr_ledger *l, const char *today, qr_report_data *d, qr_err *err);
void qr_report_data_free(qr_report_data *d);

/* One self-contained HTML page: inline CSS and SVG, no script, no URL of any
 * kind; every ledger string is HTML-escaped. Key figures carry
 * data-key="<status --json key>" and data-value="<its JSON text>". Returns
 * QR_OK or QR_EIO when writing failed. */
int qr_report_html(FILE *out, const qr_report_data *d);

#endif
