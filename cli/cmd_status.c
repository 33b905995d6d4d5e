/*
 * `quire status`: the project office's figures, as text for people or JSON
 * for scripts and the report test, whole or grouped (--by box|batch|month|
 * day). The figures come from qr_ledger_status_at / _groups_get; this file
 * only parses options and prints. "Today" is pinnable (--today, else
 * $QUIRE_TODAY) so that throughput windows, plan and projection are
 * reproducible in tests and in reports written after the fact.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ledger.h"
#include "qr_report.h"

const char *qr_cli_today(const char *given)
{
    const char *env = getenv("QUIRE_TODAY");
    return given ? given : env && *env ? env : NULL;
}

/* Figures for people, formatted as the HTML report formats them. */
static const char *cnt(int64_t v, char buf[48])
{
    qr_report_count(v, buf);
    return buf;
}

static void text_progress(const qr_ledger_status *s)
{
    char f[32], p[32], t[32], gap[128], r7[32], r30[32];
    qr_report_pct(s->percent_files, f);
    qr_report_pct(s->percent_pages, p);
    printf("digitized:     %s of files, %s of pages", f, p);
    if (s->has_plan) {
        qr_report_pct(s->plan_percent, t);
        qr_report_gap(s, gap, sizeof gap);
        printf("; plan for today %s: %s", t, gap);
    }
    qr_report_rate(s->pages_per_day_7d, r7);
    qr_report_rate(s->pages_per_day_30d, r30);
    printf("\nthroughput:    %s pages/day over the last 7 days, %s over 30 days\n", r7, r30);
    printf("100 %% reached: %s", s->projected[0]       ? s->projected
                                 : s->pages_pending > 0 ? "not at this rate (none in 30 days)"
                                                        : "-");
    printf(" (plan: %s)\n", s->plan_end[0] ? s->plan_end : "no date");
}

static void status_text(const qr_ledger_status *s)
{
    char a[48], b[48];
    printf("today:         %s\n", s->today);
    printf("inventory:     %s files, %s pages\n", cnt(s->files_inventory, a),
           cnt(s->pages_inventory, b));
    printf("archived:      %s files, %s pages\n", cnt(s->files_archived, a),
           cnt(s->pages_archived, b));
    printf("faulty:        %s file%s (awaiting rescan)\n", cnt(s->files_faulty, a),
           s->files_faulty == 1 ? "" : "s");
    printf("not delivered: %s file%s\n", cnt(s->files_not_delivered, a),
           s->files_not_delivered == 1 ? "" : "s");
    printf("pending:       %s files, %s pages (faulty + not delivered)\n",
           cnt(s->files_pending, a), cnt(s->pages_pending, b));
    if (s->files_unexpected)
        printf("unexpected:    %s delivered files not in the inventory\n",
               cnt(s->files_unexpected, a));
    text_progress(s);
    for (int k = 0; k < QR_FAULT__COUNT; k++)
        if (s->faults_by_kind[k])
            printf("faults %-16s %lld\n", qr_fault_name((qr_fault_kind)k),
                   (long long)s->faults_by_kind[k]);
    printf("rescan jobs:   %lld open", (long long)s->rescan_open);
    if (s->rescan_oldest[0])
        printf(", oldest submitted %.10s (%lld days ago)", s->rescan_oldest,
               (long long)s->rescan_oldest_days);
    printf("\npaper:         %lld box%s released, %lld ready for release (quire release "
           "check)\n", (long long)s->boxes_released, s->boxes_released == 1 ? "" : "es",
           (long long)s->boxes_ready);
}

static void groups_text(const qr_ledger_status_groups *g)
{
    static const char *const head[] = {
        "box                  files    pages archived  faulty pages_arch  percent",
        "batch  started               state        files archived  faulty    pages pages_arch",
        "month     archived    pages cum_files cum_pages  percent",
        "day          archived    pages cum_files cum_pages  percent"};
    puts(head[g->by]);
    for (size_t i = 0; i < g->n; i++) {
        const qr_ledger_status_group *r = &g->v[i];
        if (g->by == QR_STATUS_BY_BOX) {
            qr_cli_tty_cell(stdout, r->key[0] ? r->key : "-", 18);
            printf(" %7lld %8lld %8lld %7lld %10lld %7.2f%%\n", (long long)r->files,
                   (long long)r->pages, (long long)r->files_archived,
                   (long long)r->files_faulty, (long long)r->pages_archived, r->percent_pages);
        }
        else if (g->by == QR_STATUS_BY_BATCH)
            printf("%-6s %-21s %-11s %6lld %8lld %7lld %8lld %10lld\n", r->key, r->started,
                   r->state, (long long)r->files, (long long)r->files_archived,
                   (long long)r->files_faulty, (long long)r->pages, (long long)r->pages_archived);
        else
            printf("%-12s %8lld %8lld %9lld %9lld %7.2f%%\n", r->key,
                   (long long)r->files_archived, (long long)r->pages_archived,
                   (long long)r->files, (long long)r->pages, r->percent_pages);
    }
}

typedef struct status_opts {
    const char *ledger, *today;
    int by;            /* -1 = not grouped */
    bool json;
} status_opts;

static int parse_opts(int argc, char **argv, status_opts *o)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"today", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    *o = (status_opts){.by = -1};
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            o->ledger = optarg;
        else if (c == 'J')
            o->json = true;
        else if (c == 't')
            o->today = optarg;
        else if (c != 'b')
            return QR_EXIT_USAGE;
        else if ((o->by = qr_ledger_status_by_from_name(optarg)) < 0)
            return qr_cli_usage_error("status", "--by takes box, batch, month or day, not %s",
                                      optarg);
    }
    if (optind < argc)
        return qr_cli_usage_error("status", "unexpected argument: %s", argv[optind]);
    o->today = qr_cli_today(o->today);
    if (o->today && !qr_ledger_date_parse(o->today, NULL))
        return qr_cli_usage_error("status", "today must be a date YYYY-MM-DD, not %s", o->today);
    return 0;
}

static int print_status(qr_ledger *l, const status_opts *o, qr_err *err)
{
    qr_ledger_status s;
    int rc = qr_ledger_status_at(l, o->today, &s, err);
    if (rc == QR_OK && o->json)
        qr_report_status_json(stdout, &s);
    else if (rc == QR_OK)
        status_text(&s);
    return rc;
}

static int print_groups(qr_ledger *l, const status_opts *o, qr_err *err)
{
    qr_ledger_status_groups g;
    int rc = qr_ledger_status_groups_get(l, (qr_ledger_status_by)o->by, &g, err);
    if (rc == QR_OK && o->json)
        qr_report_groups_json(stdout, &g);
    else if (rc == QR_OK)
        groups_text(&g);
    qr_ledger_status_groups_free(&g);
    return rc;
}

int qr_cmd_status(int argc, char **argv)
{
    status_opts o;
    int urc = parse_opts(argc, argv, &o);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger_ro("status", o.ledger, &l);
    if (orc)
        return orc;
    qr_err err = {0};
    int rc = o.by < 0 ? print_status(l, &o, &err) : print_groups(l, &o, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire status: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}
