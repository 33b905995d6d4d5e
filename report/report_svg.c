/*
 * The report's charts as inline SVG: progress against the plan (lines, and
 * the projection to 100 %), pages newly digitized per day (bars), faults by
 * kind (bars), faults per week (bars, and the rate per 100 pages). Dates on
 * x are month starts, or Mondays on short ranges: ticks where people count.
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
#include <time.h>

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

/* The first day of the month after `day` (days since 1970-01-01). */
static int64_t next_month(int64_t day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_mon += 1;
    return (int64_t)(timegm(&tm) / 86400);
}

static void x_tick(FILE *out, const axis *a, int64_t d, const char *label)
{
    double x = px(a, d);
    fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                 "<text class=\"xlab\" text-anchor=\"middle\" x=\"%.1f\" y=\"%.1f\""
                 " data-tick=\"%s\">%s</text>\n",
            x, CH - MB, x, CH - MB + 4, x, CH - MB + 18, label, label);
}

/* Ticks where people count time: on month starts ("2026-03"), every k-th
 * month so that at most 8 are labelled; when the range holds fewer than two
 * month starts, on Mondays instead ("2026-03-09"), at most 8 of them. */
static void x_dates(FILE *out, const axis *a, int64_t last)
{
    int months = 0;
    for (int64_t d = next_month(a->d0 - 1); d <= last; d = next_month(d))
        months++;
    char t[11];
    if (months >= 2) {
        int k = (months + 7) / 8, i = 0;
        for (int64_t d = next_month(a->d0 - 1); d <= last; d = next_month(d), i++) {
            rp_day_text(d, t);
            t[7] = '\0';
            if (i % k == 0)
                x_tick(out, a, d, t);
        }
        return;
    }
    int64_t mon = a->d0 + ((4 - (a->d0 + 3) % 7) % 7 + 7) % 7; /* first Monday >= d0 */
    int64_t weeks = (last - mon) / 7 + 1, k = (weeks + 7) / 8;
    for (int64_t d = mon, i = 0; d <= last; d += 7, i++) {
        rp_day_text(d, t);
        if (i % k == 0)
            x_tick(out, a, d, t);
    }
}

static void today_line(FILE *out, const axis *a, int64_t today)
{
    double x = px(a, today);
    fprintf(out, "<line class=\"today\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                 "<text class=\"note\" x=\"%.1f\" y=\"%.1f\">today</text>\n",
            x, MT, x, CH - MB, x + 4, MT + 12);
}

/* How far the chart may reach to show the projection: a projection years
 * away would squeeze the rest into a sliver; it is then drawn to the edge
 * and labelled with its date. */
#define PROJ_MAX_DAYS (3 * 365)

/* The day range of the progress chart: first archive or plan point to
 * today, the plan's last point or the projected day of 100 %. */
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
    int64_t proj = rp_day(d->status.projected);
    if (proj > a.d1)
        a.d1 = proj - today <= PROJ_MAX_DAYS ? proj : today + PROJ_MAX_DAYS;
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

/* The projection: from today's percent to 100 % on the projected day at the
 * 30-day rate, so that it meets (or misses) the plan's end visibly. */
static void projection_line(FILE *out, const axis *a, const qr_ledger_status *s,
                            int64_t today)
{
    int64_t proj = rp_day(s->projected);
    if (proj <= today || s->percent_pages >= 100.0)
        return;
    double x0 = px(a, today), y0 = py(a, s->percent_pages), x1, y1;
    if (proj <= a->d1) {
        x1 = px(a, proj);
        y1 = py(a, 100.0);
    } else { /* clipped at the edge, on the same straight line */
        double t = (double)(a->d1 - today) / (double)(proj - today);
        x1 = px(a, a->d1);
        y1 = py(a, s->percent_pages + t * (100.0 - s->percent_pages));
    }
    fprintf(out, "<line class=\"proj\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
                 " data-projected=\"%s\"><title>100 %% on %s at the "
                 "30-day rate</title></line><text class=\"note halo\" x=\"%.1f\" y=\"%.1f\""
                 " text-anchor=\"end\">100 %% on %s</text>\n",
            x0, y0, x1, y1, s->projected, s->projected, x1 - 4, y1 + 14, s->projected);
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
    projection_line(out, &a, &d->status, today);
    fputs("</svg>\n<figcaption><span class=\"sw actual\"></span> digitized (percent of "
          "the inventory's pages, by day of first archive) "
          "<span class=\"sw plan\"></span> plan <span class=\"sw proj\"></span> "
          "projection to 100 % at the 30-day rate</figcaption>\n</figure>\n", out);
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

/* ---- Faults per week ---------------------------------------------------------- */

/* Bars: faults recorded per week; line: faults per 100 pages delivered that
 * week (right-hand scale), the trend that says whether scanning gets
 * better. A week without pages has no rate point. */
void rp_chart_weeks(FILE *out, const qr_report_data *d)
{
    const qr_ledger_fault_weeks *w = &d->weeks;
    if (w->n == 0)
        return;
    int64_t d0 = rp_day(w->v[0].start);
    axis a = {d0, d0 + 7 * (int64_t)w->n, 4};
    double rmax = 1;
    for (size_t i = 0; i < w->n; i++) {
        if ((double)w->v[i].faults > a.ymax)
            a.ymax = (double)w->v[i].faults;
        if (w->v[i].pages > 0 && 100.0 * (double)w->v[i].faults / (double)w->v[i].pages > rmax)
            rmax = 100.0 * (double)w->v[i].faults / (double)w->v[i].pages;
    }
    a.ymax = nice_max(a.ymax);
    axis r = {a.d0, a.d1, nice_max(rmax)};
    fputs("<figure class=\"chart\">\n", out);
    svg_open(out, "faults recorded per week, and faults per 100 pages");
    y_grid(out, &a, "");
    double bw = (CW - ML - MR) / (double)w->n;
    fputs("<polyline class=\"rate\" points=\"", out);
    for (size_t i = 0, k = 0; i < w->n; i++)
        if (w->v[i].pages > 0)
            fprintf(out, "%s%.1f,%.1f", k++ ? " " : "", px(&a, rp_day(w->v[i].start)) + bw / 2,
                    py(&r, 100.0 * (double)w->v[i].faults / (double)w->v[i].pages));
    fputs("\"/>\n", out);
    for (size_t i = 0; i < w->n; i++) {
        const qr_ledger_fault_week *k = &w->v[i];
        double x = px(&a, rp_day(k->start)), y = py(&a, (double)k->faults);
        fprintf(out, "<rect class=\"fbar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                     " data-week=\"%s\" data-value=\"%lld\" data-pages=\"%lld\"><title>week of %s:"
                     " %lld faults in %lld pages</title></rect><text class=\"xlab\""
                     " text-anchor=\"middle\" x=\"%.1f\" y=\"%.1f\">%.5s</text>\n",
                x + bw * 0.15, y, bw * 0.7, CH - MB - y, k->start, (long long)k->faults,
                (long long)k->pages, k->start, (long long)k->faults, (long long)k->pages,
                x + bw / 2, CH - MB + 18, k->start + 5);
    }
    fprintf(out, "<text class=\"note\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">line: faults"
                 " per 100 pages (top = %.0f)</text>\n", CW - MR, MT + 12, r.ymax);
    fputs("</svg>\n<figcaption>Faults recorded per week (Monday to Sunday, UTC; rescans "
          "included), and the line of faults per 100 pages delivered that week.</figcaption>\n"
          "</figure>\n", out);
}
