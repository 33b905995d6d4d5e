/*
 * The rescan loop's commands: `quire rescan submit` (a person asks for pages
 * of a file to be scanned again), `quire rescan list` (the contractor's work
 * list) and `quire log` (a file's history, every event in order).
 *
 * The work list is printed from the ledger's jobs as they are, so what the
 * contractor reads is exactly what ingest will compare a rescan delivery
 * with: the canonical page list ("" printed as "all"), the reasons with the
 * measured values, and the job's state.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ledger.h"

/* ---- quire rescan submit ------------------------------------------------- */

static int rescan_submit(int argc, char **argv)
{
    static const struct option opts[] = {{"pages", required_argument, NULL, 'p'},
                                         {"reason", required_argument, NULL, 'r'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"ledger", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *pages = NULL, *reason = NULL, *by = NULL, *ledger = NULL;
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': pages = optarg; break;
        case 'r': reason = optarg; break;
        case 'b': by = optarg; break;
        case 'l': ledger = optarg; break;
        default: return QR_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return qr_cli_usage_error("rescan", "submit needs exactly one FILE_ID");
    if (!reason)
        return qr_cli_usage_error("rescan", "--reason is required: say what is wrong");
    qr_ledger *l = NULL;
    int rc = qr_cli_open_ledger("rescan", ledger, true, &l);
    if (rc)
        return rc;
    qr_err err = {0};
    int64_t id = 0;
    rc = qr_ledger_rescan_submit(l, argv[optind], pages, reason, by, &id, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire rescan: %s\n", err.msg);
        return rc == QR_EINVAL ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    }
    printf("rescan job %lld opened for %s, pages %s\n", (long long)id, argv[optind],
           pages && *pages ? pages : "all");
    return QR_EXIT_OK;
}

/* ---- quire rescan list --------------------------------------------------- */

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

/* "all" in CSV and JSON (stable for scripts), "whole file" for people. */
static const char *pages_text(const qr_ledger_rescan_job *j)
{
    return j->pages[0] ? j->pages : "all";
}

static const char *pages_said(const qr_ledger_rescan_job *j)
{
    return j->pages[0] ? j->pages : "whole file";
}

/* Column widths: the widest cell of each, capped so that one long id or
 * reason does not push the table off the screen (the reason is last and
 * not padded). */
static int col_width(const qr_ledger_rescan_list *jobs, size_t off, const char *head, int cap)
{
    int w = (int)strlen(head);
    for (size_t i = 0; i < jobs->n; i++) {
        const char *v = *(const char *const *)((const char *)&jobs->v[i] + off);
        int k = qr_cli_tty_width(v);
        w = k > w ? k : w;
    }
    return w > cap ? cap : w;
}

#define COL(field, head, cap) col_width(jobs, offsetof(qr_ledger_rescan_job, field), head, cap)

static void list_table(const qr_ledger_rescan_list *jobs)
{
    int wf = COL(file_id, "file_id", 40), wb = COL(box, "box", 16), wa = COL(actor, "by", 16);
    int wp = 10;
    for (size_t i = 0; i < jobs->n; i++) {
        int k = qr_cli_tty_width(pages_said(&jobs->v[i]));
        wp = k > wp ? (k > 24 ? 24 : k) : wp;
    }
    printf("%-6s %-*s %-*s %-*s %-10s %-20s %-*s %s\n", "job", wf, "file_id", wb, "box", wp,
           "pages", "status", "submitted", wa, "by", "reason");
    for (size_t i = 0; i < jobs->n; i++) {
        const qr_ledger_rescan_job *j = &jobs->v[i];
        printf("%-6lld ", (long long)j->id);
        qr_cli_tty_cell(stdout, j->file_id, wf + 1);
        qr_cli_tty_cell(stdout, j->box, wb + 1);
        qr_cli_tty_cell(stdout, pages_said(j), wp + 1);
        printf("%-10s %-20s ", j->status, j->submitted);
        qr_cli_tty_cell(stdout, j->actor, wa + 1);
        qr_cli_tty_cell(stdout, j->reason, 0);
        putchar('\n');
    }
    printf("%zu job%s\n", jobs->n, jobs->n == 1 ? "" : "s");
}

static void list_csv(const qr_ledger_rescan_list *jobs)
{
    puts("job,file_id,box,pages,kinds,reason,submitted,by,status,delivered_batch,"
         "resolved_batch,closed");
    for (size_t i = 0; i < jobs->n; i++) {
        const qr_ledger_rescan_job *j = &jobs->v[i];
        printf("%lld,", (long long)j->id);
        const char *cols[] = {j->file_id, j->box, pages_text(j), j->kinds, j->reason,
                              j->submitted, j->actor, j->status};
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
            qr_cli_csv_field(cols[k]);
            putchar(',');
        }
        if (j->delivered_batch)
            printf("%lld", (long long)j->delivered_batch);
        putchar(',');
        if (j->resolved_batch)
            printf("%lld", (long long)j->resolved_batch);
        putchar(',');
        qr_cli_csv_field(j->closed);
        putchar('\n');
    }
}

static void json_batch(const char *key, int64_t b)
{
    if (b)
        printf(",\"%s\":%lld", key, (long long)b);
    else
        printf(",\"%s\":null", key);
}

static void list_json(const qr_ledger_rescan_list *jobs)
{
    putchar('[');
    for (size_t i = 0; i < jobs->n; i++) {
        const qr_ledger_rescan_job *j = &jobs->v[i];
        printf("%s\n  {\"job\":%lld", i ? "," : "", (long long)j->id);
        const char *keys[] = {"file_id", "box", "pages", "kinds", "reason", "submitted", "by",
                              "status", "closed"};
        const char *vals[] = {j->file_id, j->box, pages_text(j), j->kinds, j->reason,
                              j->submitted, j->actor, j->status, j->closed};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            printf(",\"%s\":", keys[k]);
            qr_json_fputs(stdout, vals[k]);
        }
        printf(",\"faults\":%s", j->detail[0] ? j->detail : "[]");
        json_batch("created_batch", j->created_batch);
        json_batch("delivered_batch", j->delivered_batch);
        json_batch("resolved_batch", j->resolved_batch);
        putchar('}');
    }
    puts(jobs->n ? "\n]" : "]");
}

static int list_format(const char *name)
{
    if (!strcmp(name, "table"))
        return FMT_TABLE;
    if (!strcmp(name, "csv"))
        return FMT_CSV;
    return !strcmp(name, "json") ? FMT_JSON : -1;
}

static int rescan_list(int argc, char **argv)
{
    static const struct option opts[] = {{"open", no_argument, NULL, 'o'},
                                         {"all", no_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"ledger", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *ledger = NULL, *format = "table";
    bool open_only = true;
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o' || c == 'a')
            open_only = c == 'o';
        else if (c == 'f')
            format = optarg;
        else if (c == 'l')
            ledger = optarg;
        else
            return QR_EXIT_USAGE;
    }
    int fmt = list_format(format);
    if (fmt < 0)
        return qr_cli_usage_error("rescan", "unknown format: %s (table, csv or json)", format);
    if (optind != argc)
        return qr_cli_usage_error("rescan", "unexpected argument: %s", argv[optind]);
    qr_ledger *l = NULL;
    int rc = qr_cli_open_ledger_ro("rescan", ledger, &l);
    if (rc)
        return rc;
    qr_ledger_rescan_list jobs;
    qr_err err = {0};
    rc = qr_ledger_rescan_jobs(l, NULL, open_only, &jobs, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire rescan: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    if (fmt == FMT_TABLE)
        list_table(&jobs);
    else if (fmt == FMT_CSV)
        list_csv(&jobs);
    else
        list_json(&jobs);
    qr_ledger_rescan_list_free(&jobs);
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}

int qr_cmd_rescan(int argc, char **argv)
{
    if (argc < 2)
        return qr_cli_usage_error("rescan", "say submit or list");
    if (!strcmp(argv[1], "submit"))
        return rescan_submit(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return rescan_list(argc - 1, argv + 1);
    return qr_cli_usage_error("rescan", "unknown subcommand: %s (submit or list)", argv[1]);
}

/* ---- quire log ------------------------------------------------------------ */

typedef struct log_out {
    bool json;
    long n;
} log_out;

static int put_event(void *user, const qr_ledger_event_row *ev)
{
    log_out *o = user;
    if (o->json) {
        printf("%s\n  {\"id\":%lld,\"ts\":", o->n ? "," : "", (long long)ev->id);
        qr_json_fputs(stdout, ev->ts);
        printf(",\"kind\":");
        qr_json_fputs(stdout, ev->kind);
        printf(",\"actor\":");
        qr_json_fputs(stdout, ev->actor ? ev->actor : "");
        if (ev->batch)
            printf(",\"batch\":%lld", (long long)ev->batch);
        else
            printf(",\"batch\":null");
        printf(",\"detail\":%s}", ev->detail && *ev->detail ? ev->detail : "{}");
    } else {
        char batch[32] = "-";
        if (ev->batch)
            snprintf(batch, sizeof batch, "batch %lld", (long long)ev->batch);
        printf("%s  %-25s %-10s ", ev->ts, ev->kind, batch);
        qr_cli_tty_cell(stdout, ev->actor && *ev->actor ? ev->actor : "-", 13);
        qr_cli_tty_cell(stdout, ev->detail ? ev->detail : "", 0);
        putchar('\n');
    }
    o->n++;
    return 0;
}

int qr_cmd_log(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'J'},
                                         {"ledger", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    const char *ledger = NULL;
    log_out o = {0};
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'J')
            o.json = true;
        else if (c == 'l')
            ledger = optarg;
        else
            return QR_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        return qr_cli_usage_error("log", "give exactly one FILE_ID");
    qr_ledger *l = NULL;
    int rc = qr_cli_open_ledger_ro("log", ledger, &l);
    if (rc)
        return rc;
    qr_err err = {0};
    if (o.json)
        putchar('[');
    rc = qr_ledger_file_events(l, argv[optind], put_event, &o, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire log: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    if (o.json)
        puts(o.n ? "\n]" : "]");
    else if (o.n == 0) {
        fprintf(stderr, "quire log: no events for %s\n", argv[optind]);
        return QR_EXIT_USAGE;
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}
