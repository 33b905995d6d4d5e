/*
 * Ledger read commands: `quire status` and `quire export`. They open the
 * ledger (WAL lets them run beside an ingest), query, print, exit.
 */
#include <getopt.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ledger.h"

int qr_cli_open_ledger(const char *cmd, const char *given, bool must_exist, qr_ledger **l)
{
    const char *path = qr_cli_ledger_path(given);
    struct stat st;
    if (must_exist && strcmp(path, ":memory:") && stat(path, &st))
        return qr_cli_usage_error(cmd, "no ledger at %s (give --ledger PATH)", path);
    qr_err err = {0};
    if (qr_ledger_open(path, l, &err)) {
        fprintf(stderr, "quire %s: %s\n", cmd, err.msg);
        return QR_EXIT_FATAL;
    }
    return QR_EXIT_OK;
}

int qr_cli_ledger_opts(int argc, char **argv, const char **ledger, const char **format)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"format", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    *ledger = NULL;
    *format = "csv";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            *ledger = optarg;
        else if (c == 'f')
            *format = optarg;
        else
            return QR_EXIT_USAGE;
    }
    return 0;
}

static void status_text(const qr_ledger_status *s)
{
    printf("inventory: %lld files, %lld pages\n", (long long)s->files_inventory,
           (long long)s->pages_inventory);
    printf("archived:  %lld files, %lld pages\n", (long long)s->files_archived,
           (long long)s->pages_archived);
    printf("faulty:    %lld files (awaiting rescan)\n", (long long)s->files_faulty);
    printf("pending:   %lld files\n", (long long)s->files_pending);
    if (s->files_unexpected)
        printf("unexpected: %lld delivered files not in the inventory\n",
               (long long)s->files_unexpected);
    printf("digitized: %.2f %% of files, %.2f %% of pages\n", s->percent_files, s->percent_pages);
    for (int k = 0; k < QR_FAULT__COUNT; k++)
        if (s->faults_by_kind[k])
            printf("faults %-16s %lld\n", qr_fault_name((qr_fault_kind)k),
                   (long long)s->faults_by_kind[k]);
}

static void status_json(const qr_ledger_status *s)
{
    printf("{\"files_inventory\":%lld,\"pages_inventory\":%lld,\"files_archived\":%lld,"
           "\"pages_archived\":%lld,\"files_faulty\":%lld,\"files_pending\":%lld,"
           "\"files_unexpected\":%lld,\"percent_files\":%.4f,\"percent_pages\":%.4f,"
           "\"faults\":{",
           (long long)s->files_inventory, (long long)s->pages_inventory,
           (long long)s->files_archived, (long long)s->pages_archived,
           (long long)s->files_faulty, (long long)s->files_pending,
           (long long)s->files_unexpected, s->percent_files, s->percent_pages);
    for (int k = 0; k < QR_FAULT__COUNT; k++)
        printf("%s\"%s\":%lld", k ? "," : "", qr_fault_name((qr_fault_kind)k),
               (long long)s->faults_by_kind[k]);
    printf("}}\n");
}

int qr_cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'J'},
                                         {NULL, 0, NULL, 0}};
    const char *ledger = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            ledger = optarg;
        else if (c == 'J')
            json = true;
        else
            return QR_EXIT_USAGE;
    }
    if (optind < argc)
        return qr_cli_usage_error("status", "unexpected argument: %s", argv[optind]);
    qr_ledger *l = NULL;
    if (qr_cli_open_ledger("status", ledger, false, &l))
        return QR_EXIT_FATAL;
    qr_ledger_status s;
    qr_err err = {0};
    int rc = qr_ledger_status_get(l, &s, &err);
    qr_ledger_close(&l);
    if (rc) {
        fprintf(stderr, "quire status: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    if (json)
        status_json(&s);
    else
        status_text(&s);
    return QR_EXIT_OK;
}

int qr_cmd_export(int argc, char **argv)
{
    const char *ledger, *format;
    if (qr_cli_ledger_opts(argc, argv, &ledger, &format))
        return QR_EXIT_USAGE;
    if (optind + 1 != argc)
        return qr_cli_usage_error("export", "say what to export: pages, files or faults");
    int kind = qr_ledger_export_kind_from_name(argv[optind]);
    int fmt = qr_ledger_export_format_from_name(format);
    if (kind < 0)
        return qr_cli_usage_error("export", "unknown export: %s", argv[optind]);
    if (fmt < 0)
        return qr_cli_usage_error("export", "unknown format: %s", format);
    qr_ledger *l = NULL;
    if (qr_cli_open_ledger("export", ledger, false, &l))
        return QR_EXIT_FATAL;
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
