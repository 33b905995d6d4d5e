/*
 * status --json: the machine-readable form of the project office's figures.
 * The HTML report formats its non-count figures with the same qr_report_num,
 * so a test can compare the two forms digit by digit. Keys are stable; a
 * figure that does not exist (no plan, no projection, no open job) is null,
 * never a made-up zero.
 */
#include "qr_report.h"

#include <math.h>
#include <string.h>

void qr_report_num(double v, char out[32])
{
    snprintf(out, 32, "%.4f", v);
}

void qr_report_count(int64_t v, char out[48])
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            o += (size_t)snprintf(out + o, 48 - o, "\xe2\x80\xaf"); /* U+202F */
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

void qr_report_pct(double v, char out[32])
{
    snprintf(out, 32, "%.2f %%", v);
}

void qr_report_rate(double v, char out[32])
{
    snprintf(out, 32, "%.1f", v);
}

void qr_report_gap(const qr_ledger_status *s, char *out, size_t cap)
{
    if (!s->has_plan) {
        snprintf(out, cap, "no target for today");
        return;
    }
    double pts = s->plan_gap_points;
    if (fabs(pts) < 0.005) {
        snprintf(out, cap, "on plan");
        return;
    }
    int w = snprintf(out, cap, "%s the plan by %.2f point%s", pts > 0 ? "ahead of" : "behind",
                     fabs(pts), fabs(pts) >= 0.995 && fabs(pts) < 1.005 ? "" : "s");
    int64_t d = s->plan_gap_days < 0 ? -s->plan_gap_days : s->plan_gap_days;
    if (s->has_plan_days && w > 0 && (size_t)w < cap)
        snprintf(out + w, cap - (size_t)w, ", %lld day%s", (long long)d, d == 1 ? "" : "s");
}


static void json_int(FILE *out, const char *key, int64_t v)
{
    fprintf(out, ",\"%s\":%lld", key, (long long)v);
}

static void json_num(FILE *out, const char *key, double v)
{
    char t[32];
    qr_report_num(v, t);
    fprintf(out, ",\"%s\":%s", key, t);
}

/* A number when known, else null. */
static void json_num_if(FILE *out, const char *key, bool known, double v)
{
    if (known)
        json_num(out, key, v);
    else
        fprintf(out, ",\"%s\":null", key);
}

/* A date, or null when empty. */
static void json_date(FILE *out, const char *key, const char *v)
{
    fprintf(out, ",\"%s\":", key);
    if (v && *v)
        qr_json_fputs(out, v);
    else
        fputs("null", out);
}

static void status_counts(FILE *out, const qr_ledger_status *s)
{
    json_int(out, "files_inventory", s->files_inventory);
    json_int(out, "pages_inventory", s->pages_inventory);
    json_int(out, "files_archived", s->files_archived);
    json_int(out, "pages_archived", s->pages_archived);
    json_int(out, "files_faulty", s->files_faulty);
    json_int(out, "files_pending", s->files_pending);
    json_int(out, "files_not_delivered", s->files_not_delivered);
    json_int(out, "pages_pending", s->pages_pending);
    json_int(out, "pages_delivered_archived", s->pages_delivered_archived);
    json_int(out, "files_unexpected", s->files_unexpected);
    json_num(out, "percent_files", s->percent_files);
    json_num(out, "percent_pages", s->percent_pages);
}

static void status_progress(FILE *out, const qr_ledger_status *s)
{
    json_num_if(out, "plan_percent", s->has_plan, s->plan_percent);
    json_num_if(out, "plan_gap_points", s->has_plan, s->plan_gap_points);
    fputs(",\"plan_gap_days\":", out);
    if (s->has_plan && s->has_plan_days)
        fprintf(out, "%lld", (long long)s->plan_gap_days);
    else
        fputs("null", out);
    json_date(out, "plan_end", s->plan_end);
    json_int(out, "pages_7d", s->pages_7d);
    json_int(out, "pages_30d", s->pages_30d);
    json_num(out, "pages_per_day_7d", s->pages_per_day_7d);
    json_num(out, "pages_per_day_30d", s->pages_per_day_30d);
    json_date(out, "projected", s->projected);
}

static void status_rescans(FILE *out, const qr_ledger_status *s)
{
    json_int(out, "boxes_released", s->boxes_released);
    json_int(out, "boxes_ready", s->boxes_ready);
    json_int(out, "rescan_open", s->rescan_open);
    json_date(out, "rescan_oldest", s->rescan_oldest);
    fputs(",\"rescan_oldest_days\":", out);
    if (s->rescan_oldest[0])
        fprintf(out, "%lld", (long long)s->rescan_oldest_days);
    else
        fputs("null", out);
}

void qr_report_status_json(FILE *out, const qr_ledger_status *s)
{
    fputs("{\"today\":", out);
    qr_json_fputs(out, s->today);
    status_counts(out, s);
    status_progress(out, s);
    status_rescans(out, s);
    fputs(",\"faults\":{", out);
    for (int k = 0; k < QR_FAULT__COUNT; k++)
        fprintf(out, "%s\"%s\":%lld", k ? "," : "", qr_fault_name((qr_fault_kind)k),
                (long long)s->faults_by_kind[k]);
    fputs("}}\n", out);
}

static void group_json(FILE *out, qr_ledger_status_by by, const qr_ledger_status_group *r)
{
    fputs("{\"key\":", out);
    qr_json_fputs(out, r->key);
    if (by == QR_STATUS_BY_BATCH) {
        json_date(out, "started", r->started);
        fputs(",\"state\":", out);
        qr_json_fputs(out, r->state);
    }
    json_int(out, "files", r->files);
    json_int(out, "pages", r->pages);
    json_int(out, "files_archived", r->files_archived);
    if (by == QR_STATUS_BY_BOX || by == QR_STATUS_BY_BATCH)
        json_int(out, "files_faulty", r->files_faulty);
    json_int(out, "pages_archived", r->pages_archived);
    if (by != QR_STATUS_BY_BATCH)
        json_num(out, "percent_pages", r->percent_pages);
    fputc('}', out);
}

void qr_report_groups_json(FILE *out, const qr_ledger_status_groups *g)
{
    fputs("{\"by\":", out);
    qr_json_fputs(out, qr_ledger_status_by_name(g->by));
    fputs(",\"groups\":[", out);
    for (size_t i = 0; i < g->n; i++) {
        fputs(i ? ",\n" : "\n", out);
        group_json(out, g->by, &g->v[i]);
    }
    fputs(g->n ? "\n]}\n" : "]}\n", out);
}
