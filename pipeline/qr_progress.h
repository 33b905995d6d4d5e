/*
 * qr_progress: what the operator sees while an ingest runs.
 *
 * On a TTY a live one-line bar (redrawn at most 10 times a second) shows
 * pages/s, files done of total, faults and ETA; elsewhere a plain line every
 * few seconds, so logs of unattended runs stay readable. --quiet silences
 * both. The JSON event log (one object per line) is separate: qr_jsonlog.
 *
 * Called from one thread (the assembler); the clock is monotonic.
 */
#ifndef QR_PROGRESS_H
#define QR_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct qr_progress {
    FILE *out;
    bool tty, quiet;
    double t_start, t_last;
    long files_total, files_done, pages_done, faults;
    double interval;         /* seconds between plain lines */
} qr_progress;

void qr_progress_init(qr_progress *p, FILE *out, bool quiet, long files_total);
/* Account work done; redraws when due. */
void qr_progress_update(qr_progress *p, long files_done, long pages_done, long faults);
/* Final redraw and newline. */
void qr_progress_finish(qr_progress *p);
double qr_now(void);
/* Format the bar into buf (exposed for tests). */
void qr_progress_format(const qr_progress *p, double now, char *buf, size_t n);
/* The same, fitted into width - 1 columns (0 = no limit): the bar shrinks
 * from 24 to 8 cells, then pages, pages/s, faults and ETA are dropped in
 * that order; "[bar] done/total files" stays while it fits. */
void qr_progress_format_width(const qr_progress *p, double now, int width, char *buf,
                              size_t n);

/* One JSON object per line: {"ts":..., "event":..., <fields>}. */
typedef struct qr_jsonlog qr_jsonlog;
qr_jsonlog *qr_jsonlog_open(const char *path);
/* fields: alternating key, value strings terminated by NULL; values are JSON-escaped strings.
 * Numeric values can be given with a "#" prefix on the key ("#pages", "12"). */
void qr_jsonlog_event(qr_jsonlog *log, const char *event, ...);
void qr_jsonlog_close(qr_jsonlog **log);

#endif
