/*
 * `quire report --html OUT.html`: reads the project office's figures from
 * the ledger and writes the self-contained HTML page (report_html.c).
 *
 * The page is written to OUT.html.tmp-<pid> and renamed into place, so a
 * report that someone has open or mails on is never seen half-written, and a
 * failed run leaves the previous report as it was. "Today" is pinnable like
 * status's (--today, else $QUIRE_TODAY).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_ledger.h"
#include "qr_report.h"

typedef struct report_opts {
    const char *ledger, *html, *today;
} report_opts;

static int parse_opts(int argc, char **argv, report_opts *o)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"today", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    *o = (report_opts){0};
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            o->ledger = optarg;
        else if (c == 'H')
            o->html = optarg;
        else if (c == 't')
            o->today = optarg;
        else
            return QR_EXIT_USAGE;
    }
    if (optind < argc)
        return qr_cli_usage_error("report", "unexpected argument: %s", argv[optind]);
    if (!o->html || !o->html[0])
        return qr_cli_usage_error("report", "say where to write the report: --html OUT.html");
    o->today = qr_cli_today(o->today);
    if (o->today && !qr_ledger_date_parse(o->today, NULL))
        return qr_cli_usage_error("report", "today must be a date YYYY-MM-DD, not %s", o->today);
    return 0;
}

/* Write the page to a temporary name, then rename it over `path`. */
static int write_page(const char *path, const qr_report_data *d)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "quire report: %s: name too long\n", path);
        return QR_EXIT_FATAL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "quire report: %s: %s\n", tmp, strerror(errno));
        return QR_EXIT_FATAL;
    }
    int rc = qr_report_html(f, d);
    bool ok = rc == QR_OK && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "quire report: writing %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return QR_EXIT_FATAL;
    }
    return QR_EXIT_OK;
}

int qr_cmd_report(int argc, char **argv)
{
    report_opts o;
    int urc = parse_opts(argc, argv, &o);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger_ro("report", o.ledger, &l);
    if (orc)
        return orc;
    qr_report_data d;
    qr_err err = {0};
    int rc = qr_report_read(l, o.today, &d, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire report: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    int xrc = write_page(o.html, &d);
    qr_report_data_free(&d);
    return xrc;
}
