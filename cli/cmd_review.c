/*
 * The reviewer's commands: `quire faults` lists what blocks archiving (the
 * open faults: the unaccepted faults of each file's latest outcome when it
 * is faulty, qr_ledger.h), and `quire accept` records a reviewer's judgement
 * that one of them is a false alarm. Everything a reviewer can get wrong (an
 * unknown kind or file, no reason, an accept that covers no open fault or
 * only faults an earlier accept covers) is refused with exit 2 and a message
 * saying what to fix, before anything is written: the checks that need the
 * ledger run inside the accept's own transaction (qr_ledger_accept_add), and
 * their message names what the file does have.
 *
 * After an accept the reviewer is told what it changed at once: the rescan
 * job it closed or took pages off, what is still open on the file, and a
 * job that stays open, so nobody waits for an ingest to learn where the file
 * stands.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_ledger.h"
#include "qr_verdict.h"

/* ---- quire faults ------------------------------------------------------- */

typedef struct fault_row {
    char *file_id, *kind, *detail;
    int page;
} fault_row;

typedef struct faults_out {
    bool json, table;
    long n;
    fault_row *rows;             /* table: kept to size the columns */
    size_t cap;
} faults_out;

void qr_cli_csv_field(const char *s)
{
    qr_csv_cell(stdout, s);
}


/* A measured number: shortest round-trip text; empty (CSV) or null (JSON)
 * when unknown. */
static void number(double v, bool json)
{
    if (!isfinite(v)) {
        fputs(json ? "null" : "", stdout);
        return;
    }
    char buf[40];
    qr_fmt_double(v, buf);
    if (json)
        fputs(buf, stdout);
    else
        qr_cli_csv_field(buf);
}

static int keep_row(faults_out *o, const qr_ledger_open_fault *f, const char *kind,
                    const char *detail)
{
    if (qr_grow(&o->rows, &o->cap, (size_t)o->n + 1, sizeof *o->rows) != QR_OK)
        return QR_ENOMEM;
    fault_row *r = &o->rows[o->n];
    *r = (fault_row){qr_strdup(f->file_id), qr_strdup(kind), qr_strdup(detail), f->page};
    if (!r->file_id || !r->kind || !r->detail)
        return QR_ENOMEM;
    o->n++;
    return 0;
}

/* The table for people: a whole-file fault on page "file", the detail (the
 * measure with its unit and threshold, as the check wrote it) instead of
 * the raw numbers, which the CSV and JSON keep. */
static void faults_table(const faults_out *o)
{
    int wid = 7, wk = 4;
    for (long i = 0; i < o->n; i++) {
        int w = qr_cli_tty_width(o->rows[i].file_id);
        wid = w > wid ? (w > 40 ? 40 : w) : wid;
        wk = (int)strlen(o->rows[i].kind) > wk ? (int)strlen(o->rows[i].kind) : wk;
    }
    printf("%-*s  %4s  %-*s  %s\n", wid, "file_id", "page", wk, "kind", "what was measured");
    for (long i = 0; i < o->n; i++) {
        const fault_row *r = &o->rows[i];
        char page[16];
        snprintf(page, sizeof page, r->page ? "%d" : "file", r->page);
        qr_cli_tty_cell(stdout, r->file_id, wid);
        printf("  %4s  %-*s  ", page, wk, r->kind);
        qr_cli_tty_cell(stdout, r->detail, 0);
        putchar('\n');
    }
    printf("%ld open fault%s\n", o->n, o->n == 1 ? "" : "s");
}

static void faults_free(faults_out *o)
{
    for (long i = 0; o->rows && i < o->n; i++) {
        free(o->rows[i].file_id);
        free(o->rows[i].kind);
        free(o->rows[i].detail);
    }
    free(o->rows);
}

static int put_fault(void *user, const qr_ledger_open_fault *f)
{
    faults_out *o = user;
    const char *kind = qr_fault_name(f->kind), *detail = f->detail ? f->detail : "";
    if (o->table)
        return keep_row(o, f, kind, detail);
    if (o->json) {
        printf("%s\n  {\"file_id\":", o->n ? "," : "");
        qr_json_fputs(stdout, f->file_id);
        printf(",\"page\":%d,\"kind\":\"%s\",\"value\":", f->page, kind);
        number(f->value, true);
        fputs(",\"threshold\":", stdout);
        number(f->threshold, true);
        fputs(",\"detail\":", stdout);
        qr_json_fputs(stdout, detail);
        putchar('}');
    } else {
        qr_cli_csv_field(f->file_id);
        printf(",%d,%s,", f->page, kind);
        number(f->value, false);
        putchar(',');
        number(f->threshold, false);
        putchar(',');
        qr_cli_csv_field(detail);
        putchar('\n');
    }
    o->n++;
    return 0;
}

int qr_cmd_faults(int argc, char **argv)
{
    const char *ledger, *format;
    if (qr_cli_ledger_opts(argc, argv, &ledger, &format))
        return QR_EXIT_USAGE;
    if (optind < argc)
        return qr_cli_usage_error("faults", "unexpected argument: %s", argv[optind]);
    if (!format) /* a table for a person at a terminal, CSV for a pipe */
        format = isatty(STDOUT_FILENO) ? "table" : "csv";
    if (strcmp(format, "csv") && strcmp(format, "json") && strcmp(format, "table"))
        return qr_cli_usage_error("faults", "unknown format: %s (table, csv or json)", format);
    qr_ledger *l = NULL;
    int rc = qr_cli_open_ledger_ro("faults", ledger, &l);
    if (rc)
        return rc;
    faults_out o = {.json = !strcmp(format, "json"), .table = !strcmp(format, "table")};
    if (!o.table)
        fputs(o.json ? "[" : "file_id,page,kind,value,threshold,detail\n", stdout);
    qr_err err = {0};
    rc = qr_ledger_open_faults(l, put_fault, &o, &err);
    qr_ledger_close(&l);
    if (rc == QR_ENOMEM)
        qr_err_set(&err, rc, "out of memory");
    if (o.json)
        fputs(o.n ? "\n]\n" : "]\n", stdout);
    else if (o.table && !rc)
        faults_table(&o);
    faults_free(&o);
    if (rc) {
        fprintf(stderr, "quire faults: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}

/* ---- quire accept ------------------------------------------------------- */

typedef struct accept_args {
    const char *ledger, *file_id, *kind, *reason, *by;
    int page;
} accept_args;

static void list_kinds(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    char why[8];
    for (int k = 0; k < QR_FAULT__COUNT && used < n; k++)
        if (qr_fault_acceptable((qr_fault_kind)k, NULL, why, sizeof why))
            used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "",
                                     qr_fault_name((qr_fault_kind)k));
}

/* --page N: a page number, or 0 for every page (the default). */
static int parse_page(const char *s, int *page)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000000)
        return qr_cli_usage_error("accept", "--page must be a page number (0 = every page): "
                                  "%s", s);
    *page = (int)v;
    return 0;
}

static int parse_accept(int argc, char **argv, accept_args *a)
{
    static const struct option opts[] = {
        {"ledger", required_argument, NULL, 'l'}, {"page", required_argument, NULL, 'p'},
        {"kind", required_argument, NULL, 'k'}, {"reason", required_argument, NULL, 'r'},
        {"by", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 1;
    while (!rc && (c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'l': a->ledger = optarg; break;
        case 'p': rc = parse_page(optarg, &a->page); break;
        case 'k': a->kind = optarg; break;
        case 'r': a->reason = optarg; break;
        case 'b': a->by = optarg; break;
        default: return QR_EXIT_USAGE;
        }
    }
    if (rc)
        return rc;
    if (optind + 1 != argc)
        return qr_cli_usage_error("accept", "give exactly one FILE_ID");
    a->file_id = argv[optind];
    return 0;
}

/* Everything that can be checked without the ledger. */
static int check_accept(const accept_args *a, qr_fault_kind *kind)
{
    char kinds[512];
    list_kinds(kinds, sizeof kinds);
    if (!a->kind)
        return qr_cli_usage_error("accept", "--kind is required (one of: %s)", kinds);
    int k = qr_fault_from_name(a->kind);
    if (k < 0)
        return qr_cli_usage_error("accept", "unknown fault kind '%s' (one of: %s)", a->kind,
                                  kinds);
    char why[256];
    if (!qr_fault_acceptable((qr_fault_kind)k, a->file_id, why, sizeof why))
        return qr_cli_usage_error("accept", "%s", why);
    if (!a->reason || !a->reason[strspn(a->reason, " \t\r\n")])
        return qr_cli_usage_error("accept", "--reason is required: say why the %s fault is "
                                  "a false alarm", a->kind);
    *kind = (qr_fault_kind)k;
    return 0;
}

/* ---- What the accept changed ------------------------------------------ */

typedef struct accept_effect {
    int64_t accept;
    long open_left;
} accept_effect;

static int count_open(void *user, const qr_ledger_open_fault *f)
{
    (void)f;
    ((accept_effect *)user)->open_left++;
    return 0;
}

/* The number after "key": in an event's detail; -1 when absent. */
static long long detail_num(const char *detail, const char *key)
{
    const char *p = strstr(detail, key);
    long long v;
    return p && sscanf(p + strlen(key), "%lld", &v) == 1 ? v : -1;
}

/* The rescan jobs this accept closed or narrowed: its events. */
static int put_job_change(void *user, const qr_ledger_event_row *ev)
{
    const accept_effect *e = user;
    if (!ev->detail || detail_num(ev->detail, "\"accept\":") != e->accept)
        return 0;
    long long job = detail_num(ev->detail, "{\"job\":");
    if (!strcmp(ev->kind, "rescan_closed_by_accept")) {
        printf("rescan job %lld closed: the contractor need not rescan it\n", job);
    } else if (!strcmp(ev->kind, "rescan_narrowed_by_accept")) {
        char pages[64] = "?", dropped[64] = "?";
        const char *p = strstr(ev->detail, "\"pages\":\""), *d = strstr(ev->detail, "\"dropped\":\"");
        if (p)
            sscanf(p + 9, "%63[^\"]", pages);
        if (d)
            sscanf(d + 11, "%63[^\"]", dropped);
        printf("rescan job %lld narrowed: it asks for %s, no longer for %s\n", job, pages,
               dropped);
    }
    return 0;
}

static int report_effect(qr_ledger *l, const char *file_id, int64_t id, qr_err *err)
{
    accept_effect e = {.accept = id};
    int rc = qr_ledger_file_events(l, file_id, put_job_change, &e, err);
    if (rc == QR_OK)
        rc = qr_ledger_open_faults_of(l, file_id, count_open, &e, err);
    qr_ledger_rescan_list jobs = {0};
    if (rc == QR_OK)
        rc = qr_ledger_rescan_jobs(l, file_id, true, &jobs, err);
    for (size_t i = 0; rc == QR_OK && i < jobs.n; i++)
        printf("rescan job %lld (pages %s, submitted by %s) stays open\n",
               (long long)jobs.v[i].id, jobs.v[i].pages[0] ? jobs.v[i].pages : "all",
               jobs.v[i].actor);
    qr_ledger_rescan_list_free(&jobs);
    if (rc == QR_OK && e.open_left)
        printf("%s still has %ld open fault%s (see quire faults); it stays faulty until "
               "%s accepted or rescanned\n", file_id, e.open_left,
               e.open_left == 1 ? "" : "s", e.open_left == 1 ? "that is" : "they are");
    else if (rc == QR_OK)
        printf("%s has no open fault left: the next quire ingest (or --retry) archives it\n",
               file_id);
    return rc;
}

int qr_cmd_accept(int argc, char **argv)
{
    accept_args a = {0};
    qr_fault_kind kind = QR_FAULT_BLANK;
    int rc = parse_accept(argc, argv, &a);
    if (!rc)
        rc = check_accept(&a, &kind);
    qr_ledger *l = NULL;
    if (!rc)
        rc = qr_cli_open_ledger("accept", a.ledger, true, &l);
    if (rc)
        return rc;
    qr_err err = {0};
    int64_t id = 0;
    rc = qr_ledger_accept_add(l, a.file_id, a.page, kind, a.reason, a.by, &id, &err);
    if (rc == QR_OK) {
        if (a.page)
            printf("accepted #%lld: %s page %d %s\n", (long long)id, a.file_id, a.page, a.kind);
        else
            printf("accepted #%lld: %s %s (every page)\n", (long long)id, a.file_id, a.kind);
        if (report_effect(l, a.file_id, id, &err) != QR_OK) {
            qr_err_prefix(&err, "accept #%lld is recorded, but reading what is left failed",
                          (long long)id);
            rc = QR_EFATAL;
        }
    }
    qr_ledger_close(&l);
    if (rc == QR_EINVAL)
        return qr_cli_usage_error("accept", "%s", err.msg);
    if (rc) {
        fprintf(stderr, "quire accept: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}
