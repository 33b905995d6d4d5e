/*
 * quire report --html: the project office's page. One self-contained file:
 * inline CSS and SVG, no script, no font, image, link or URL of any kind, so
 * it opens the same offline, in a mail attachment or in ten years, and never
 * tells a server that it was opened. It prints on A4 (print CSS: figures
 * kept together, colours kept, table headers repeated).
 *
 * Why it renders from qr_ledger_status and the status groups: they are what
 * status --json prints, and non-count figures go through the same
 * qr_report_num, so every key figure carries data-key (its status --json key)
 * and data-value (its JSON text) and a test can prove the page and the JSON
 * agree. Ledger strings (boxes, file ids, reasons, names) are escaped on the
 * way out: a reason is text, never markup.
 * Runs on the caller's thread; writes only to `out`.
 */
#include "report_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Data ----------------------------------------------------------------------- */

/* Least digitized first (then by box): the boxes that need attention lead. */
static int by_progress(const void *a, const void *b)
{
    const qr_ledger_status_group *x = a, *y = b;
    if (x->percent_pages != y->percent_pages)
        return x->percent_pages < y->percent_pages ? -1 : 1;
    return strcmp(x->key, y->key);
}

int qr_report_read(qr_ledger *l, const char *today, qr_report_data *d, qr_err *err)
{
    memset(d, 0, sizeof *d);
    int rc = qr_ledger_status_at(l, today, &d->status, err);
    if (rc == QR_OK)
        rc = qr_ledger_status_groups_get(l, QR_STATUS_BY_BOX, &d->boxes, err);
    if (rc == QR_OK)
        rc = qr_ledger_status_groups_get(l, QR_STATUS_BY_DAY, &d->days, err);
    if (rc == QR_OK)
        rc = qr_ledger_plan_list(l, &d->plan, err);
    if (rc == QR_OK)
        rc = qr_ledger_rescan_jobs(l, NULL, true, &d->jobs, err);
    if (rc == QR_OK)
        rc = qr_ledger_fault_weeks_get(l, d->status.today, QR_REPORT_WEEKS, &d->weeks, err);
    if (rc != QR_OK)
        qr_report_data_free(d);
    else
        qsort(d->boxes.v, d->boxes.n, sizeof *d->boxes.v, by_progress);
    return rc;
}

void qr_report_data_free(qr_report_data *d)
{
    qr_ledger_status_groups_free(&d->boxes);
    qr_ledger_status_groups_free(&d->days);
    qr_ledger_plan_free(&d->plan);
    qr_ledger_rescan_list_free(&d->jobs);
    qr_ledger_fault_weeks_free(&d->weeks);
}

/* ---- Key figures -------------------------------------------------------------------- */

/* A figure: data-value is exactly its status --json text ("null" for none). */
static void fig_span(FILE *out, const char *cls, const char *key, const char *json,
                     const char *shown)
{
    fprintf(out, "<span class=\"%s\" data-key=\"%s\" data-value=\"", cls, key);
    rp_esc(out, json);
    fputs("\">", out);
    rp_esc(out, shown);
    fputs("</span>", out);
}

static void fig_count(FILE *out, const char *cls, const char *key, int64_t v)
{
    char json[32], shown[48];
    snprintf(json, sizeof json, "%lld", (long long)v);
    qr_report_count(v, shown);
    fig_span(out, cls, key, json, shown);
}

static void fig_num(FILE *out, const char *cls, const char *key, double v, const char *unit)
{
    char json[32], shown[48];
    qr_report_num(v, json);
    snprintf(shown, sizeof shown, "%.2f%s", v, unit);
    fig_span(out, cls, key, json, shown);
}

static void fig_date(FILE *out, const char *cls, const char *key, const char *date)
{
    fig_span(out, cls, key, date[0] ? date : "null", date[0] ? date : "\xe2\x80\x94");
}

/* Ahead of or behind the plan, in points and in days, green or red: the
 * figure a project office reads first. data-gap-points and data-gap-days are
 * status --json's plan_gap_points and plan_gap_days. */
static void plan_gap(FILE *out, const qr_ledger_status *s)
{
    if (!s->has_plan)
        return;
    char text[128], pts[32], days[32];
    qr_report_gap(s, text, sizeof text);
    qr_report_num(s->plan_gap_points, pts);
    if (s->has_plan_days)
        snprintf(days, sizeof days, "%lld", (long long)s->plan_gap_days);
    else
        snprintf(days, sizeof days, "null");
    const char *cls = s->plan_gap_points >= 0.005 ? "ahead" : s->plan_gap_points <= -0.005
                                                                  ? "behind" : "onplan";
    fprintf(out, "<div class=\"gap %s\" data-gap-points=\"%s\" data-gap-days=\"%s\">", cls,
            pts, days);
    rp_esc(out, text);
    fputs("</div>", out);
}

static void box_open(FILE *out) { fputs("<div class=\"fig\">", out); }
static void box_label(FILE *out, const char *label)
{
    fprintf(out, "<div class=\"lab\">%s</div>", label);
}

/* A box of one big count and its label. */
static void count_box(FILE *out, const char *key, int64_t v, const char *label)
{
    box_open(out);
    fig_count(out, "big", key, v);
    box_label(out, label);
    fputs("</div>\n", out);
}

static void figs_progress(FILE *out, const qr_ledger_status *s)
{
    box_open(out);
    fig_num(out, "big", "percent_pages", s->percent_pages, " %");
    box_label(out, "of pages digitized");
    fputs("<div class=\"sub\">plan for today: ", out);
    if (s->has_plan)
        fig_num(out, "", "plan_percent", s->plan_percent, " %");
    else
        fig_span(out, "", "plan_percent", "null", "no target");
    fputs("</div>", out);
    plan_gap(out, s);
    fputs("</div>\n", out);
    box_open(out);
    fig_num(out, "big", "percent_files", s->percent_files, " %");
    box_label(out, "of files digitized");
    fputs("</div>\n", out);
    box_open(out);
    fig_count(out, "big", "pages_archived", s->pages_archived);
    fputs("<div class=\"lab\">pages archived of ", out);
    fig_count(out, "", "pages_inventory", s->pages_inventory);
    fputs("</div></div>\n", out);
    box_open(out);
    fig_count(out, "big", "files_archived", s->files_archived);
    fputs("<div class=\"lab\">files archived of ", out);
    fig_count(out, "", "files_inventory", s->files_inventory);
    fputs("</div></div>\n", out);
}

static void figs_state(FILE *out, const qr_ledger_status *s)
{
    count_box(out, "files_faulty", s->files_faulty, "files faulty, awaiting rescan");
    count_box(out, "files_not_delivered", s->files_not_delivered, "files not yet delivered");
    box_open(out);
    fig_count(out, "big", "files_pending", s->files_pending);
    fputs("<div class=\"lab\">files pending (faulty + not delivered), ", out);
    fig_count(out, "", "pages_pending", s->pages_pending);
    fputs(" pages</div></div>\n", out);
    box_open(out);
    fig_count(out, "big", "rescan_open", s->rescan_open);
    fputs("<div class=\"lab\">open rescan jobs; oldest ", out);
    if (s->rescan_oldest[0])
        fig_count(out, "", "rescan_oldest_days", s->rescan_oldest_days);
    else
        fig_span(out, "", "rescan_oldest_days", "null", "\xe2\x80\x94");
    fputs(" days old</div></div>\n", out);
    box_open(out);
    fig_count(out, "big", "boxes_released", s->boxes_released);
    fputs("<div class=\"lab\">boxes released (paper returned or destroyed); ", out);
    fig_count(out, "", "boxes_ready", s->boxes_ready);
    fputs(" ready for release</div></div>\n", out);
}

static void figs_pace(FILE *out, const qr_ledger_status *s)
{
    box_open(out);
    fig_num(out, "big", "pages_per_day_7d", s->pages_per_day_7d, "");
    fputs("<div class=\"lab\">pages per day, last 7 days (", out);
    fig_count(out, "", "pages_7d", s->pages_7d);
    fputs(" pages)</div></div>\n", out);
    box_open(out);
    fig_num(out, "big", "pages_per_day_30d", s->pages_per_day_30d, "");
    fputs("<div class=\"lab\">pages per day, last 30 days (", out);
    fig_count(out, "", "pages_30d", s->pages_30d);
    fputs(" pages)</div></div>\n", out);
    box_open(out);
    fig_date(out, "big", "projected", s->projected);
    box_label(out, "100 % at the 30-day rate");
    fputs("</div>\n", out);
    box_open(out);
    fig_date(out, "big", "plan_end", s->plan_end);
    box_label(out, "100 % by the plan");
    fputs("</div>\n", out);
}

/* ---- Tables ------------------------------------------------------------------------- */

static void td_count(FILE *out, const char *field, int64_t v)
{
    char shown[48];
    qr_report_count(v, shown);
    fprintf(out, "<td class=\"n\" data-field=\"%s\" data-value=\"%lld\">%s</td>", field,
            (long long)v, shown);
}

static void box_row(FILE *out, const qr_ledger_status_group *g)
{
    char pct[32];
    qr_report_num(g->percent_pages, pct);
    fputs("<tr data-box=\"", out);
    rp_esc(out, g->key);
    fputs("\"><td>", out);
    rp_esc(out, g->key[0] ? g->key : "(no box)");
    fputs("</td>", out);
    td_count(out, "files", g->files);
    td_count(out, "files_archived", g->files_archived);
    td_count(out, "files_faulty", g->files_faulty);
    td_count(out, "pages", g->pages);
    td_count(out, "pages_archived", g->pages_archived);
    fprintf(out, "<td class=\"n\" data-field=\"percent_pages\" data-value=\"%s\">%.2f %%</td>",
            pct, g->percent_pages);
    fprintf(out, "<td class=\"pbar\"><svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\">"
                 "<rect class=\"track\" width=\"100\" height=\"10\"/>"
                 "<rect class=\"done\" width=\"%.2f\" height=\"10\"/></svg></td></tr>\n",
            g->percent_pages);
}

static void box_table(FILE *out, const qr_ledger_status_groups *g)
{
    if (g->n == 0) {
        fputs("<p class=\"none\">The inventory is empty.</p>\n", out);
        return;
    }
    fputs("<table class=\"boxes\"><thead><tr><th>box</th><th class=\"n\">files</th>"
          "<th class=\"n\">archived</th><th class=\"n\">faulty</th><th class=\"n\">pages</th>"
          "<th class=\"n\">pages archived</th><th class=\"n\">percent</th><th>progress</th>"
          "</tr></thead><tbody>\n", out);
    for (size_t i = 0; i < g->n; i++)
        box_row(out, &g->v[i]);
    fputs("</tbody></table>\n", out);
}

static void td_text(FILE *out, const char *s)
{
    fputs("<td>", out);
    rp_esc(out, s);
    fputs("</td>", out);
}

/* A cell that must not wrap: a file id or a date broken over two lines
 * reads as two. */
static void td_keep(FILE *out, const char *s)
{
    fputs("<td class=\"keep\">", out);
    rp_esc(out, s);
    fputs("</td>", out);
}

static void job_row(FILE *out, const qr_ledger_rescan_job *j, int64_t today)
{
    char age[32] = "";
    int64_t day = rp_day(j->submitted);
    if (day >= 0)
        snprintf(age, sizeof age, "%lld", (long long)(today > day ? today - day : 0));
    fprintf(out, "<tr data-job=\"%lld\"><td class=\"n\">%lld</td>", (long long)j->id,
            (long long)j->id);
    td_keep(out, j->file_id);
    td_keep(out, j->box);
    td_keep(out, j->pages[0] ? j->pages : "whole file");
    td_text(out, j->kinds);
    td_text(out, j->reason);
    td_keep(out, j->submitted);
    td_text(out, j->actor);
    td_text(out, j->status);
    fprintf(out, "<td class=\"n\">%s</td></tr>\n", age);
}

static void jobs_table(FILE *out, const qr_report_data *d)
{
    if (d->jobs.n == 0) {
        fputs("<p class=\"none\">No open rescan jobs.</p>\n", out);
        return;
    }
    int64_t today = rp_day(d->status.today);
    fputs("<table class=\"jobs\"><thead><tr><th class=\"n\">job</th><th>file</th><th>box</th>"
          "<th>pages</th><th>fault kinds</th><th>reason</th><th>submitted</th><th>by</th>"
          "<th>status</th><th class=\"n\">age (days)</th></tr></thead><tbody>\n", out);
    for (size_t i = 0; i < d->jobs.n; i++)
        job_row(out, &d->jobs.v[i], today);
    fputs("</tbody></table>\n", out);
}

/* ---- The page ----------------------------------------------------------------------- */

static const char CSS[] =
    ":root{--ink:#1b1f24;--muted:#56606b;--done:#1f7a3f;--plan:#b35900;--fault:#b3261e;"
    "--track:#e3e7ea;--line:#d3d8dc;--proj:#7b2cbf}\n"
    "*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{font:15px/1.45 'DejaVu Sans',Arial,sans-serif;color:var(--ink);background:#fff;"
    "margin:24px auto;max-width:1120px;padding:0 16px}\n"
    "h1{font-size:28px;margin:0 0 2px}h2{font-size:19px;margin:28px 0 8px;"
    "border-bottom:2px solid var(--ink);padding-bottom:2px;break-after:avoid}\n"
    ".meta{color:var(--muted);margin:0 0 16px}.none{color:var(--muted)}\n"
    ".figs{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}\n"
    ".fig{border:1px solid var(--line);border-radius:6px;padding:10px 12px;break-inside:avoid}\n"
    ".big{display:block;font-size:34px;font-weight:700;line-height:1.15;white-space:nowrap}\n"
    ".lab,.sub{color:var(--muted);font-size:13px}.sub{margin-top:4px}\n"
    ".chart{margin:0;break-inside:avoid}.chart svg{display:block;width:100%;height:auto}\n"
    "figcaption{font-size:12px;color:var(--muted)}\n"
    "svg text{font:12px 'DejaVu Sans',Arial,sans-serif;fill:var(--ink)}\n"
    ".ylab,.klab{text-anchor:end}.note{fill:var(--muted)}"
    ".halo{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}\n"
    ".grid{stroke:var(--line);stroke-width:1}\n"
    ".actual{fill:none;stroke:var(--done);stroke-width:3;stroke-linejoin:round}\n"
    ".plan{fill:none;stroke:var(--plan);stroke-width:2;stroke-dasharray:7 4}\n"
    ".plandot{fill:var(--plan)}.today{stroke:var(--ink);stroke-dasharray:2 3}\n"
    ".bar,.done{fill:var(--done)}.fbar{fill:var(--fault)}.track{fill:var(--track)}\n"
    ".avg{stroke-width:1.5}.avg.d7{stroke:var(--ink)}"
    ".avg.d30{stroke:var(--plan);stroke-dasharray:5 3}\n"
    ".sw{display:inline-block;width:18px;height:4px;vertical-align:middle;margin:0 4px 0 10px}"
    ".sw.actual{background:var(--done)}.sw.plan{background:var(--plan)}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "thead{display:table-header-group}tr{break-inside:avoid}\n"
    "th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;"
    "vertical-align:top}th{background:#f2f4f5}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".pbar{width:170px}.pbar svg{display:block;width:160px;height:10px}\n"
    ".keep{white-space:nowrap}\n"
    ".gap{margin-top:6px;font-weight:700;font-size:14px;border-radius:4px;padding:2px 6px;"
    "display:inline-block}.gap.ahead{color:#fff;background:var(--done)}"
    ".gap.behind{color:#fff;background:var(--fault)}.gap.onplan{background:var(--track)}\n"
    ".proj{fill:none;stroke:var(--proj);stroke-width:2.5;stroke-dasharray:6 4}"
    ".sw.proj{background:var(--proj)}\n"
    ".rate{fill:none;stroke:var(--ink);stroke-width:2}.rdot{fill:var(--ink)}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{margin:0;max-width:none;font-size:10pt;padding:0}"
    ".big{font-size:18pt}.figs{gap:6px}h2{margin-top:16px}table{font-size:9pt}}\n";

static void page_head(FILE *out, const qr_ledger_status *s)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>Digitization progress ", out);
    rp_esc(out, s->today);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", CSS);
    fputs("<header><h1>Digitization progress</h1><p class=\"meta\">Figures for ", out);
    fig_span(out, "", "today", s->today, s->today);
    fputs(" (UTC days) from the quire ledger; each equals the one in "
          "<code>quire status --json</code>.</p></header>\n", out);
}

static void section(FILE *out, const char *title)
{
    fprintf(out, "<section>\n<h2>%s</h2>\n", title);
}

int qr_report_html(FILE *out, const qr_report_data *d)
{
    const qr_ledger_status *s = &d->status;
    page_head(out, s);
    fputs("<section class=\"figs\">\n", out);
    figs_progress(out, s);
    figs_state(out, s);
    figs_pace(out, s);
    fputs("</section>\n", out);
    section(out, "Progress against the plan");
    rp_chart_progress(out, d);
    fputs("</section>\n", out);
    section(out, "Pages per day");
    rp_chart_daily(out, d);
    fputs("</section>\n", out);
    section(out, "Faults by kind");
    rp_chart_faults(out, s);
    fputs("</section>\n", out);
    section(out, "Faults per week");
    rp_chart_weeks(out, d);
    fputs("</section>\n", out);
    section(out, "Boxes, least digitized first");
    box_table(out, &d->boxes);
    fputs("</section>\n", out);
    section(out, "Open rescan jobs");
    jobs_table(out, d);
    fputs("</section>\n</body>\n</html>\n", out);
    return ferror(out) ? QR_EIO : QR_OK;
}
