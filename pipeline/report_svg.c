/*
 * The report's charts as inline SVG: progress against the plan (lines),
 * pages newly digitized per day (bars), faults by kind (bars).
 *
 * Why hand-written SVG: the report must be one file that opens without a
 * network and prints; a chart library would be a script and a dependency.
 * Each chart is drawn in its own viewBox coordinates and scales with the
 * page (width 100 %), and every mark carries its figure as data-* attributes
 * and a <title>, so the test reads the same numbers a person hovers over.
 * Coordinates are printed with one decimal: enough for any screen or paper.
 */
#include "report_int.h"

#include <string.h>

#define CW 900.0  /* chart width, viewBox units */
#define CH 300.0  /* chart height */
#define ML 56.0   /* left margin (y labels) */
#define MR 16.0
#define MT 12.0
#define MB 34.0   /* bottom margin (x labels) */

typedef struct axis {
    int64_t d0, d1;   /* day range on x */
    double ymax;      /* value at the top */
} axis;

static double px(const axis *a, int64_t day)
{
    return ML + (CW - ML - MR) * (double)(day - a->d0) / (double)(a->d1 - a->d0);
}

static double py(const axis *a, double v)
{
    return CH - MB - (CH - MT - MB) * v / a->ymax;
}

static void svg_open(FILE *out, const char *label)
{
    fprintf(out, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", CW, CH);
    rp_esc(out, label);
    fputs("\" preserveAspectRatio=\"xMidYMid meet\">\n", out);
}

/* Horizontal grid lines and y labels at 0, 1/4 ... 1 of ymax. */
static void y_grid(FILE *out, const axis *a, const char *unit)
{
    for (int i = 0; i <= 4; i++) {
        double v = a->ymax * i / 4.0, y = py(a, v);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                ML, y, CW - MR, y);
        fprintf(out, "<text class=\"ylab\" x=\"%.1f\" y=\"%.1f\">%.0f%s</text>\n", ML - 6,
                y + 4, v, unit);
    }
}

/* Five dates along x from d0 to `last`, both included. */
static void x_dates(FILE *out, const axis *a, int64_t last)
{
    for (int i = 0; i <= 4; i++) {
        int64_t d = a->d0 + (last - a->d0) * i / 4;
        char t[11];
        rp_day_text(d, t);
        const char *anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";
        fprintf(out, "<text class=\"xlab\" text-anchor=\"%s\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                anchor, px(a, d), CH - MB + 18, t);
    }
}

static void today_line(FILE *out, const axis *a, int64_t today)
{
    double x = px(a, today);
    fprintf(out, "<line class=\"today\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                 "<text class=\"note\" x=\"%.1f\" y=\"%.1f\">today</text>\n",
            x, MT, x, CH - MB, x + 4, MT + 12);
}

/* The day range of the progress chart: first archive or plan point to
 * today or the plan's last point. */
static axis progress_axis(const qr_report_data *d, int64_t today)
{
    axis a = {today, today, 100.0};
    if (d->days.n > 0)
        a.d0 = rp_day(d->days.v[0].key) - 1;
    if (d->plan.n > 0) {
        int64_t p0 = rp_day(d->plan.v[0].date), p1 = rp_day(d->plan.v[d->plan.n - 1].date);
        a.d0 = p0 < a.d0 ? p0 : a.d0;
        a.d1 = p1 > a.d1 ? p1 : a.d1;
    }
    int64_t last = d->days.n ? rp_day(d->days.v[d->days.n - 1].key) : a.d1;
    a.d1 = last > a.d1 ? last : a.d1;
    if (a.d1 <= a.d0)
        a.d1 = a.d0 + 1;
    return a;
}

/* Cumulative percent digitized: 0 the day before the first archive, then
 * the running total at the end of each day with a first archive, held to
 * today. Each point is also a dot with its figure. */
static void actual_line(FILE *out, const axis *a, const qr_report_data *d, int64_t today)
{
    if (d->days.n == 0)
        return;
    fprintf(out, "<polyline class=\"actual\" points=\"%.1f,%.1f",
            px(a, rp_day(d->days.v[0].key) - 1), py(a, 0));
    for (size_t i = 0; i < d->days.n; i++)
        fprintf(out, " %.1f,%.1f", px(a, rp_day(d->days.v[i].key)),
                py(a, d->days.v[i].percent_pages));
    const qr_ledger_status_group *last = &d->days.v[d->days.n - 1];
    if (today > rp_day(last->key))
        fprintf(out, " %.1f,%.1f", px(a, today), py(a, last->percent_pages));
    fputs("\"/>\n", out);
}

static void plan_line(FILE *out, const axis *a, const qr_ledger_plan *p)
{
    if (p->n == 0)
        return;
    fputs("<polyline class=\"plan\" points=\"", out);
    for (size_t i = 0; i < p->n; i++)
        fprintf(out, "%s%.1f,%.1f", i ? " " : "", px(a, rp_day(p->v[i].date)),
                py(a, p->v[i].percent));
    if (a->d1 > rp_day(p->v[p->n - 1].date))
        fprintf(out, " %.1f,%.1f", px(a, a->d1), py(a, p->v[p->n - 1].percent));
    fputs("\"/>\n", out);
    for (size_t i = 0; i < p->n; i++) {
        char v[32];
        qr_report_num(p->v[i].percent, v);
        fprintf(out, "<circle class=\"plandot\" r=\"3\" cx=\"%.1f\" cy=\"%.1f\" data-plan=\"%s\""
                     " data-value=\"%s\"><title>plan %s: %.2f %%</title></circle>\n",
                px(a, rp_day(p->v[i].date)), py(a, p->v[i].percent), p->v[i].date, v,
                p->v[i].date, p->v[i].percent);
    }
}

void rp_chart_progress(FILE *out, const qr_report_data *d)
{
    int64_t today = rp_day(d->status.today);
    axis a = progress_axis(d, today);
    fputs("<figure class=\"chart\">\n", out);
    svg_open(out, "percent of pages digitized by day, against the plan");
    y_grid(out, &a, " %");
    x_dates(out, &a, a.d1);
    today_line(out, &a, today);
    plan_line(out, &a, &d->plan);
    actual_line(out, &a, d, today);
    fputs("</svg>\n<figcaption><span class=\"sw actual\"></span> digitized (percent of "
          "the inventory's pages, by day of first archive) "
          "<span class=\"sw plan\"></span> plan</figcaption>\n</figure>\n", out);
}

/* ---- Pages per day ---------------------------------------------------------- */

#define DAILY_DAYS 60

/* The chart's top: 4 grid steps of 1, 2 or 5 times a power of ten. */
static double nice_max(double v)
{
    for (double m = 1;; m *= 10)
        for (int i = 0; i < 3; i++) {
            static const double k[3] = {1, 2, 5};
            if (4 * k[i] * m >= v)
                return 4 * k[i] * m;
        }
}

/* One bar per day of the window that had first archives. */
static void daily_bars(FILE *out, const axis *a, const qr_report_data *d, double bw)
{
    for (size_t i = 0; i < d->days.n; i++) {
        const qr_ledger_status_group *g = &d->days.v[i];
        int64_t day = rp_day(g->key);
        if (day < a->d0 || day >= a->d1)
            continue;
        double y = py(a, (double)g->pages_archived);
        fprintf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                     " data-day=\"%s\" data-value=\"%lld\"><title>%s: %lld pages</title></rect>\n",
                px(a, day) + bw * 0.1, y, bw * 0.8, CH - MB - y, g->key,
                (long long)g->pages_archived, g->key, (long long)g->pages_archived);
    }
}

/* A dashed average across the chart; labels sit apart (dx) so equal averages stay legible. */
static void average_line(FILE *out, const axis *a, double v, const char *key, const char *label,
                         double dx)
{
    double y = py(a, v);
    fprintf(out, "<line class=\"avg %s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                 "<text class=\"note halo\" x=\"%.1f\" y=\"%.1f\">%s: %.2f</text>\n",
            key, ML, y, CW - MR, y, ML + 6 + dx, y - 5, label, v);
}

void rp_chart_daily(FILE *out, const qr_report_data *d)
{
    const qr_ledger_status *s = &d->status;
    int64_t today = rp_day(s->today);
    axis a = {today - DAILY_DAYS + 1, today + 1, 4};
    for (size_t i = 0; i < d->days.n; i++) {
        int64_t day = rp_day(d->days.v[i].key);
        if (day >= a.d0 && day < a.d1 && (double)d->days.v[i].pages_archived > a.ymax)
            a.ymax = (double)d->days.v[i].pages_archived;
    }
    a.ymax = nice_max(a.ymax);
    fputs("<figure class=\"chart\">\n", out);
    svg_open(out, "pages newly digitized per day, last 60 days");
    y_grid(out, &a, "");
    x_dates(out, &a, today);
    daily_bars(out, &a, d, (CW - ML - MR) / DAILY_DAYS);
    average_line(out, &a, s->pages_per_day_30d, "d30", "30-day average", 190);
    average_line(out, &a, s->pages_per_day_7d, "d7", "7-day average", 0);
    fputs("</svg>\n<figcaption>Pages newly digitized per day over the last 60 days "
          "(first archives; rescan versions do not count), with the 7- and 30-day "
          "averages.</figcaption>\n</figure>\n", out);
}

/* ---- Faults by kind ----------------------------------------------------------- */

void rp_chart_faults(FILE *out, const qr_ledger_status *s)
{
    int n = 0;
    int64_t max = 0;
    for (int k = 0; k < QR_FAULT__COUNT; k++) {
        n += s->faults_by_kind[k] > 0;
        max = s->faults_by_kind[k] > max ? s->faults_by_kind[k] : max;
    }
    if (n == 0) {
        fputs("<p class=\"none\">No open faults.</p>\n", out);
        return;
    }
    const double row = 26, left = 150, width = CW - left - 80;
    fprintf(out, "<figure class=\"chart\">\n<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\""
                 " aria-label=\"open faults by kind\">\n", CW, row * n + 8);
    int i = 0;
    for (int k = 0; k < QR_FAULT__COUNT; k++) {
        int64_t v = s->faults_by_kind[k];
        if (v <= 0)
            continue;
        const char *name = qr_fault_name((qr_fault_kind)k);
        double y = 4 + row * i++, w = width * (double)v / (double)max;
        fprintf(out, "<text class=\"klab\" x=\"%.1f\" y=\"%.1f\">%s</text>"
                     "<rect class=\"fbar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                     "<text class=\"kval\" x=\"%.1f\" y=\"%.1f\" data-key=\"faults.%s\""
                     " data-value=\"%lld\">%lld</text>\n",
                left - 8, y + 16, name, left, y + 3, w < 1 ? 1 : w, row - 8, left + w + 6,
                y + 16, name, (long long)v, (long long)v);
    }
    fputs("</svg>\n<figcaption>Open faults by kind: the unaccepted faults of each file's "
          "latest outcome when it is faulty.</figcaption>\n</figure>\n", out);
}
