/*
 * `quire plan set|import|show`: the project office's target curve, percent
 * digitized by date, that status and reports measure progress against.
 *
 * The ledger owns the rules (real calendar dates, 0..100 %, a curve that
 * never goes down, a date given once) and checks them against the merged
 * curve in one transaction; this file turns arguments and CSV rows into
 * points that carry their input line, so every refusal names where to look.
 * An import's CSV is read by the manifest parser as a plain table (libcsv,
 * line-numbered errors): every bad row is reported at once, nothing is set,
 * exit 2. Setting a date that is already planned replaces its value, and the
 * output says so. set and import may create the ledger (a plan often comes
 * before the first delivery) and record who changed the plan (--by, else who
 * runs the command); show only reads an existing ledger.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ledger.h"
#include "qr_manifest.h"

typedef struct plan_opts {
    const char *ledger, *by;
    bool json, replace;
} plan_opts;

/* Options after the subcommand; optind is left at the first operand. */
static int parse_opts(int argc, char **argv, bool allow_json, bool allow_replace, plan_opts *o)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"replace", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            o->ledger = optarg;
        else if (c == 'b' && !allow_json)
            o->by = optarg;
        else if (c == 'j' && allow_json)
            o->json = true;
        else if (c == 'r' && allow_replace)
            o->replace = true;
        else if (c == '?')
            return QR_EXIT_USAGE;
        else
            return qr_cli_usage_error("plan", "%s does not take --%s", argv[0],
                                      c == 'b' ? "by" : c == 'j' ? "json" : "replace");
    }
    return QR_EXIT_OK;
}

/* "40", "12.5" or "40%" -> 40; false when not a number. */
static bool parse_percent(const char *s, double *v)
{
    char *end = NULL;
    *v = strtod(s, &end);
    if (end == s)
        return false;
    if (*end == '%')
        end++;
    return *end == '\0' && isfinite(*v);
}

/* Fill p from text; "" when fine, else why not (for a message). */
static const char *make_point(const char *date, const char *percent, int line,
                              qr_ledger_plan_point *p)
{
    memset(p, 0, sizeof *p);
    p->line = line;
    if (!qr_ledger_date_parse(date, NULL))
        return "is not a date (YYYY-MM-DD, a real calendar day)";
    snprintf(p->date, sizeof p->date, "%s", date);
    if (!parse_percent(percent, &p->percent))
        return "has a target that is not a number";
    if (p->percent < 0 || p->percent > 100)
        return "has a target outside 0..100";
    return "";
}

static void print_changes(const qr_ledger_plan_point *pts, size_t n, const double *prev)
{
    size_t replaced = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(prev[i])) {
            printf("%s  %g %%  (new)\n", pts[i].date, pts[i].percent);
            continue;
        }
        printf("%s  %g %%  (replaces %g %%)\n", pts[i].date, pts[i].percent, prev[i]);
        replaced++;
    }
    printf("plan: %zu point%s set, %zu new, %zu replaced\n", n, n == 1 ? "" : "s", n - replaced,
           replaced);
}

/* Write the points; prints the changes, or the ledger's refusal prefixed by `what`. */
static int store(const plan_opts *o, const char *what, const qr_ledger_plan_point *pts, size_t n)
{
    qr_ledger *l = NULL;
    int rc = qr_cli_open_ledger("plan", o->ledger, false, &l);
    if (rc)
        return rc;
    double *prev = calloc(n ? n : 1, sizeof *prev);
    qr_err err = {0};
    rc = prev ? qr_ledger_plan_set(l, pts, n, o->replace, o->by, prev, &err)
              : qr_err_set(&err, QR_ENOMEM, "out of memory");
    qr_ledger_close(&l);
    if (rc == QR_OK)
        print_changes(pts, n, prev);
    else
        fprintf(stderr, "quire plan: %s%s%s; nothing changed\n", what ? what : "",
                what ? ": " : "", err.msg);
    free(prev);
    if (rc != QR_OK)
        return rc == QR_EINVAL ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}

/* ---- quire plan set DATE PERCENT [DATE PERCENT...] ------------------------- */

static int plan_set(int argc, char **argv)
{
    plan_opts o;
    int rc = parse_opts(argc, argv, false, false, &o);
    if (rc)
        return rc;
    int n = argc - optind;
    if (n < 2 || n % 2)
        return qr_cli_usage_error("plan", "set needs pairs of DATE PERCENT");
    qr_ledger_plan_point *pts = calloc((size_t)n / 2, sizeof *pts);
    if (!pts)
        return QR_EXIT_FATAL;
    for (int i = 0; i < n / 2 && rc == QR_EXIT_OK; i++) {
        const char *d = argv[optind + 2 * i], *p = argv[optind + 2 * i + 1];
        const char *why = make_point(d, p, 0, &pts[i]);
        if (*why)
            rc = qr_cli_usage_error("plan", "'%s %s' %s", d, p, why);
    }
    if (rc == QR_EXIT_OK)
        rc = store(&o, NULL, pts, (size_t)n / 2);
    free(pts);
    return rc;
}

/* ---- quire plan import PLAN.csv --------------------------------------------- */

static const char *column(const qr_manifest_row *r, const char *key)
{
    for (size_t i = 0; i < r->n_meta; i++)
        if (strcmp(r->meta[i].key, key) == 0)
            return r->meta[i].value;
    return NULL;
}

/* Turn the table's rows into points; each bad row is reported. */
static size_t rows_to_points(const char *path, const qr_manifest *m, qr_ledger_plan_point *pts)
{
    size_t bad = 0;
    const qr_manifest_row *r0 = qr_manifest_row_at(m, 0);
    const char *need[] = {"date", "target_percent"};
    for (size_t k = 0; k < 2; k++)
        if (!column(r0, need[k])) {
            fprintf(stderr, "%s:1: missing required column '%s'\n", path, need[k]);
            bad++;
        }
    if (bad)
        return bad;
    for (size_t i = 0; i < qr_manifest_count(m); i++) {
        const qr_manifest_row *r = qr_manifest_row_at(m, i);
        const char *d = column(r, "date"), *p = column(r, "target_percent");
        const char *why = make_point(d, p, r->line, &pts[i]);
        if (*why) {
            fprintf(stderr, "%s:%d: '%s,%s' %s\n", path, r->line, d, p, why);
            bad++;
        }
    }
    return bad;
}

static int load_plan(const char *path, qr_manifest **m)
{
    qr_err err = {0};
    int rc = qr_manifest_load(path, QR_MANIFEST_TABLE, m, &err);
    if (rc == QR_OK)
        return QR_EXIT_OK;
    if (rc == QR_ECORRUPT && *m) {
        for (size_t i = 0; i < qr_manifest_error_count(*m); i++)
            fprintf(stderr, "%s\n", qr_manifest_error_at(*m, i));
    } else {
        fprintf(stderr, "quire plan: %s\n", err.msg);
    }
    qr_manifest_free(m);
    return rc == QR_ECORRUPT || rc == QR_EIO ? QR_EXIT_USAGE : QR_EXIT_FATAL;
}

static int plan_import(int argc, char **argv)
{
    plan_opts o;
    int rc = parse_opts(argc, argv, false, true, &o);
    if (rc)
        return rc;
    if (optind + 1 != argc)
        return qr_cli_usage_error("plan", "import needs exactly one PLAN.csv");
    const char *path = argv[optind];
    qr_manifest *m = NULL;
    if ((rc = load_plan(path, &m)))
        return rc;
    size_t n = qr_manifest_count(m);
    qr_ledger_plan_point *pts = calloc(n, sizeof *pts);
    if (!pts)
        rc = QR_EXIT_FATAL;
    else if (rows_to_points(path, m, pts) > 0) {
        fprintf(stderr, "quire plan: %s: nothing changed\n", path);
        rc = QR_EXIT_USAGE;
    } else
        rc = store(&o, path, pts, n);
    free(pts);
    qr_manifest_free(&m);
    return rc;
}

/* ---- quire plan show [--json] ------------------------------------------------ */

static void show_text(const qr_ledger_plan *p)
{
    printf("%-10s  %s\n", "date", "target_percent");
    for (size_t i = 0; i < p->n; i++)
        printf("%-10s  %g\n", p->v[i].date, p->v[i].percent);
    printf("%zu point%s\n", p->n, p->n == 1 ? "" : "s");
}

static void show_json(const qr_ledger_plan *p)
{
    char num[40];
    putchar('[');
    for (size_t i = 0; i < p->n; i++) {
        qr_fmt_double(p->v[i].percent, num);
        printf("%s\n  {\"date\":\"%s\",\"target_percent\":%s}", i ? "," : "", p->v[i].date,
               num);
    }
    puts(p->n ? "\n]" : "]");
}

static int plan_show(int argc, char **argv)
{
    plan_opts o;
    int rc = parse_opts(argc, argv, true, false, &o);
    if (rc)
        return rc;
    if (optind != argc)
        return qr_cli_usage_error("plan", "unexpected argument: %s", argv[optind]);
    qr_ledger *l = NULL;
    if ((rc = qr_cli_open_ledger_ro("plan", o.ledger, &l)))
        return rc;
    qr_ledger_plan p;
    qr_err err = {0};
    rc = qr_ledger_plan_list(l, &p, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire plan: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    if (o.json)
        show_json(&p);
    else
        show_text(&p);
    qr_ledger_plan_free(&p);
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}

int qr_cmd_plan(int argc, char **argv)
{
    if (argc < 2)
        return qr_cli_usage_error("plan", "say set, import or show");
    if (!strcmp(argv[1], "set"))
        return plan_set(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import"))
        return plan_import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "show"))
        return plan_show(argc - 1, argv + 1);
    return qr_cli_usage_error("plan", "unknown subcommand: %s (set, import or show)", argv[1]);
}
