/*
 * Progress bar and plain progress lines (see qr_progress.h). Rates are
 * computed from the whole run (not a moving window): steadier numbers for an
 * operator who glances at them, and the ETA does not jump with each file.
 * On a terminal the bar is fitted to its width at every redraw (a line that
 * wraps cannot be redrawn in place with \r): the bar shrinks first, then the
 * least needed fields go, files done of total last.
 */
#include "qr_progress.h"
#include "qr_util.h"

#include <stdarg.h>
#include <sys/ioctl.h>
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
    qr_progress_format_width(p, now, 0, buf, n);
}

/* The bar's fields, most important first: what is dropped from the end
 * when the terminal is too narrow for all of them. */
enum { F_FILES, F_ETA, F_FAULTS, F_RATE, F_PAGES, F__COUNT };

static void fields(const qr_progress *p, double now, char f[F__COUNT][48], double *frac)
{
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->pages_done / el : 0;
    *frac = p->files_total ? (double)p->files_done / (double)p->files_total : 1.0;
    double eta = *frac > 0 && *frac < 1 ? el / *frac - el : (*frac >= 1 ? 0 : -1);
    char etas[16];
    format_eta(eta, etas, sizeof etas);
    snprintf(f[F_FILES], 48, "%ld/%ld files", p->files_done, p->files_total);
    snprintf(f[F_ETA], 48, "ETA %s", etas);
    snprintf(f[F_FAULTS], 48, "%ld fault%s", p->faults, p->faults == 1 ? "" : "s");
    snprintf(f[F_RATE], 48, "%.1f pages/s", rate);
    snprintf(f[F_PAGES], 48, "%ld page%s", p->pages_done, p->pages_done == 1 ? "" : "s");
}

/* The fields 0..k-1 in display order, joined by two spaces. */
static size_t join(char f[F__COUNT][48], int k, char *out, size_t n)
{
    static const int order[F__COUNT] = {F_FILES, F_PAGES, F_RATE, F_FAULTS, F_ETA};
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < F__COUNT; i++) {
        if (order[i] >= k)
            continue;
        int w = snprintf(out + len, n - len, "%s%s", len ? "  " : "", f[order[i]]);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    return len;
}

void qr_progress_format_width(const qr_progress *p, double now, int width, char *buf,
                              size_t n)
{
    char f[F__COUNT][48], text[256];
    double frac;
    fields(p, now, f, &frac);
    int bar_w = 24, k = F__COUNT;
    size_t len = join(f, k, text, sizeof text);
    /* Fit in width - 1 columns (the last column would wrap on some
     * terminals): first shrink the bar to 8, then drop fields from the end. */
    while (width > 0 && (int)len + bar_w + 3 > width - 1) {
        if (bar_w > 8)
            bar_w--;
        else if (k > 1)
            len = join(f, --k, text, sizeof text);
        else
            break;
    }
    char bar[32];
    int fill = (int)(frac * bar_w + 0.5);
    for (int i = 0; i < bar_w; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[bar_w] = '\0';
    snprintf(buf, n, "[%s] %s", bar, text);
    if (width > 1 && strlen(buf) > (size_t)width - 1)
        buf[width - 1] = '\0'; /* a terminal narrower than the shortest bar */
}

/* The terminal's width in columns; 0 when unknown (not a terminal). */
static int term_width(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    return c ? atoi(c) : 0;
}

static void draw(qr_progress *p, double now, bool final)
{
    char line[256];
    /* Asked at every draw: a resized terminal gets a bar that fits at once. */
    qr_progress_format_width(p, now, p->tty ? term_width(p->out) : 0, line, sizeof line);
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
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        bool numeric = k[0] == '#';
        fputc(',', log->f);
        qr_json_fputs(log->f, numeric ? k + 1 : k);
        fputc(':', log->f);
        if (numeric)
            fputs(v && *v ? v : "null", log->f);
        else
            qr_json_fputs(log->f, v);
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
