/*
 * Ledger read commands: `quire export`, and the ledger opener and options
 * shared by every ledger command. They open the ledger (WAL lets them run
 * beside an ingest), query, print, exit. (`quire status` is cmd_status.c.)
 *
 * The opener is where a mistyped --ledger or QUIRE_LEDGER is caught: only
 * the commands that build the ledger up (inventory import, plan set/import;
 * ingest opens its own) may create or migrate one; every other command opens
 * an existing quire ledger of this schema or says why not, leaving whatever
 * is at the path untouched. The commands that only read (export, faults,
 * status, report, rescan list, log, plan show) say so (qr_cli_open_ledger_ro),
 * so that a ledger on a read-only file system can still be read.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "qr_cli.h"
#include "qr_ledger.h"

typedef enum cli_open { CLI_CREATE, CLI_EXISTING, CLI_READ } cli_open;

static int open_ledger(const char *cmd, const char *given, cli_open how, qr_ledger **l)
{
    const char *path = qr_cli_ledger_path(given);
    qr_ledger_state state = QR_LEDGER_ABSENT;
    qr_err err = {0};
    bool must_exist = how != CLI_CREATE;
    int rc = must_exist ? qr_ledger_probe(path, &state, &err) : QR_OK;
    if (rc == QR_OK && must_exist && state == QR_LEDGER_ABSENT)
        return qr_cli_usage_error(cmd, "no ledger at %s (give --ledger PATH or set QUIRE_LEDGER)",
                                  path);
    if (rc == QR_OK)
        rc = how == CLI_READ       ? qr_ledger_open_readonly(path, l, &err)
             : how == CLI_EXISTING ? qr_ledger_open_existing(path, l, &err)
                                   : qr_ledger_open(path, l, &err);
    if (rc == QR_EINVAL)
        return qr_cli_usage_error(cmd, "%s", err.msg);
    if (rc != QR_OK) {
        fprintf(stderr, "quire %s: %s\n", cmd, err.msg);
        return QR_EXIT_FATAL;
    }
    return QR_EXIT_OK;
}

int qr_cli_open_ledger(const char *cmd, const char *given, bool must_exist, qr_ledger **l)
{
    return open_ledger(cmd, given, must_exist ? CLI_EXISTING : CLI_CREATE, l);
}

int qr_cli_open_ledger_ro(const char *cmd, const char *given, qr_ledger **l)
{
    return open_ledger(cmd, given, CLI_READ, l);
}

int qr_cli_ledger_opts(int argc, char **argv, const char **ledger, const char **format)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"format", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    *ledger = NULL;
    *format = NULL; /* the command's default */
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            *ledger = optarg;
        else if (c == 'f')
            *format = optarg;
        else
            return QR_EXIT_USAGE;
    }
    return 0;
}

int qr_cmd_export(int argc, char **argv)
{
    const char *ledger, *format;
    if (qr_cli_ledger_opts(argc, argv, &ledger, &format))
        return QR_EXIT_USAGE;
    if (optind + 1 != argc)
        return qr_cli_usage_error("export", "say what to export: pages, files or faults");
    int kind = qr_ledger_export_kind_from_name(argv[optind]);
    int fmt = qr_ledger_export_format_from_name(format ? format : "csv");
    if (kind < 0)
        return qr_cli_usage_error("export", "unknown export: %s", argv[optind]);
    if (fmt < 0)
        return qr_cli_usage_error("export", "unknown format: %s", format);
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger_ro("export", ledger, &l);
    if (orc)
        return orc;
    qr_err err = {0};
    int rc = qr_ledger_export(l, (qr_ledger_export_kind)kind, (qr_ledger_export_format)fmt,
                              stdout, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire export: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}
