/*
 * Progress bar and plain progress lines (see qr_progress.h). Rates are
 * computed from the whole run (not a moving window): steadier numbers for an
 * operator who glances at them, and the ETA does not jump with each file.
 */
#include "qr_progress.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double qr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void qr_progress_init(qr_progress *p, FILE *out, bool quiet, long files_total)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->quiet = quiet;
    p->tty = isatty(fileno(out));
    p->files_total = files_total;
    p->t_start = p->t_last = qr_now();
    p->interval = p->tty ? 0.1 : 5.0;
}

static void format_eta(double secs, char *buf, size_t n)
{
    if (secs < 0 || secs > 99 * 3600)
        snprintf(buf, n, "--:--");
    else if (secs >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(secs / 3600), (int)(secs / 60) % 60);
    else
        snprintf(buf, n, "%02d:%02d", (int)(secs / 60), (int)secs % 60);
}

void qr_progress_format(const qr_progress *p, double now, char *buf, size_t n)
{
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->pages_done / el : 0;
    double frac = p->files_total ? (double)p->files_done / (double)p->files_total : 1.0;
    double eta = frac > 0 && frac < 1 ? el / frac - el : (frac >= 1 ? 0 : -1);
    char etas[16];
    format_eta(eta, etas, sizeof etas);
    char bar[26];
    int fill = (int)(frac * 24 + 0.5);
    for (int i = 0; i < 24; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[24] = '\0';
    snprintf(buf, n, "[%s] %ld/%ld files  %ld pages  %.1f pages/s  %ld faults  ETA %s",
             bar, p->files_done, p->files_total, p->pages_done, rate, p->faults, etas);
}

static void draw(qr_progress *p, double now, bool final)
{
    char line[256];
    qr_progress_format(p, now, line, sizeof line);
    if (p->tty)
        fprintf(p->out, "\r\033[K%s%s", line, final ? "\n" : "");
    else
        fprintf(p->out, "progress: %s\n", line);
    fflush(p->out);
    p->t_last = now;
}

void qr_progress_update(qr_progress *p, long files_done, long pages_done, long faults)
{
    p->files_done = files_done;
    p->pages_done = pages_done;
    p->faults = faults;
    if (p->quiet)
        return;
    double now = qr_now();
    if (now - p->t_last >= p->interval)
        draw(p, now, false);
}

void qr_progress_finish(qr_progress *p)
{
    if (!p->quiet && (p->tty || p->files_total))
        draw(p, qr_now(), true);
}

struct qr_jsonlog {
    FILE *f;
};

qr_jsonlog *qr_jsonlog_open(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return NULL;
    qr_jsonlog *l = malloc(sizeof *l);
    if (!l) {
        fclose(f);
        return NULL;
    }
    l->f = f;
    return l;
}

void qr_json_escape(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, n - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

void qr_jsonlog_event(qr_jsonlog *log, const char *event, ...)
{
    if (!log)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(log->f, "{\"ts\":%lld.%03ld,\"event\":\"%s\"", (long long)ts.tv_sec,
            ts.tv_nsec / 1000000, event);
    va_list ap;
    va_start(ap, event);
    const char *k;
    static const size_t cap = 2048;
    char esc[2048];
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        bool numeric = k[0] == '#';
        qr_json_escape(numeric ? k + 1 : k, esc, cap);
        fprintf(log->f, ",\"%s\":", esc);
        qr_json_escape(v ? v : "", esc, cap);
        fprintf(log->f, numeric ? "%s" : "\"%s\"", esc);
    }
    va_end(ap);
    fputs("}\n", log->f);
    fflush(log->f);
}

void qr_jsonlog_close(qr_jsonlog **log)
{
    if (log && *log) {
        fclose((*log)->f);
        free(*log);
        *log = NULL;
    }
}
