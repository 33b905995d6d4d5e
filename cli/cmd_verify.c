/*
 * quire verify: the command-line face of the verification module
 * (ledger/qr_verify.h). It opens the ledger for reading only, runs every
 * check and prints each finding as it comes, one line each, so a long run
 * shows its problems at once; then a summary of what was verified. With
 * --json the same as one JSON object (findings, then the summary) for
 * machines. A progress bar on stderr (pipeline/progress.c: archive versions
 * done of total, pages, findings as "faults") unless --quiet.
 *
 * Exit: 0 everything verified, 1 findings, 2 usage (no ledger, an unreadable
 * --pubkey or --tsa-cert), 3 fatal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_progress.h"
#include "qr_verify.h"

#define MAX_SEAL_FILES 64

typedef struct verify_cli {
    const char *ledger;
    qr_verify_opts o;
    const char *seal_files[MAX_SEAL_FILES];
    bool json, quiet, tty;
    long n_findings;
    qr_progress progress;
} verify_cli;

static int parse(int argc, char **argv, verify_cli *v)
{
    static const struct option opts[] = {
        {"archives", required_argument, NULL, 'a'}, {"deep", no_argument, NULL, 'd'},
        {"pubkey", required_argument, NULL, 'p'},   {"tsa-cert", required_argument, NULL, 't'},
        {"seal", required_argument, NULL, 's'},     {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},          {"ledger", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "q", opts, NULL)) != -1) {
        switch (c) {
        case 'a': v->o.archives_dir = optarg; break;
        case 'd': v->o.deep = true; break;
        case 'p': v->o.pubkey_path = optarg; break;
        case 't': v->o.tsa_cert_path = optarg; break;
        case 'j': v->json = true; break;
        case 'q': v->quiet = true; break;
        case 'l': v->ledger = optarg; break;
        case 's':
            if (v->o.n_seal_files == MAX_SEAL_FILES)
                return qr_cli_usage_error("verify", "at most %d --seal files", MAX_SEAL_FILES);
            v->seal_files[v->o.n_seal_files++] = optarg;
            break;
        default: return QR_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return qr_cli_usage_error("verify", "unexpected argument: %s", argv[optind]);
    v->o.seal_files = v->seal_files;
    return 0;
}

/* A key or certificate that cannot be read is a usage error, said before
 * anything is checked. */
static int inputs_readable(const verify_cli *v)
{
    qr_seal_key *key = NULL;
    qr_err err = {0};
    if (v->o.pubkey_path && qr_seal_key_load(v->o.pubkey_path, false, &key, &err) != QR_OK)
        return qr_cli_usage_error("verify", "--pubkey %s", err.msg);
    qr_seal_key_free(&key);
    const char *files[MAX_SEAL_FILES + 1] = {v->o.tsa_cert_path};
    for (size_t i = 0; i < v->o.n_seal_files; i++)
        files[i + 1] = v->seal_files[i];
    for (size_t i = 0; i <= v->o.n_seal_files; i++)
        if (files[i] && access(files[i], R_OK) != 0)
            return qr_cli_usage_error("verify", "cannot read %s", files[i]);
    return 0;
}

/* ---- output --------------------------------------------------------------- */

static void text(const verify_cli *v, const char *s)
{
    if (v->tty)
        qr_cli_tty_cell(stdout, s, 0);
    else
        fputs(s, stdout);
}

static void print_text(const verify_cli *v, const qr_verify_finding *f)
{
    if (f->file_id) {
        text(v, f->file_id);
        if (f->version)
            printf(" version %d", f->version);
        fputs(": ", stdout);
    }
    printf("%s: ", qr_verify_kind_name(f->kind));
    if (f->path && !strstr(f->what, f->path)) {
        text(v, f->path);
        fputs(": ", stdout);
    }
    text(v, f->what);
    if (f->expected) {
        fputs(" (expected ", stdout);
        text(v, f->expected);
    }
    if (f->found) {
        fputs(f->expected ? ", found " : " (found ", stdout);
        text(v, f->found);
    }
    if (f->expected || f->found)
        putchar(')');
    putchar('\n');
}

static void json_member(const char *key, const char *value, bool comma)
{
    printf("%s\"%s\":", comma ? "," : "", key);
    if (value)
        qr_json_fputs(stdout, value);
    else
        fputs("null", stdout);
}

static void print_json(const verify_cli *v, const qr_verify_finding *f)
{
    printf("%s\n {", v->n_findings > 1 ? "," : "");
    json_member("kind", qr_verify_kind_name(f->kind), false);
    json_member("file_id", f->file_id, true);
    printf(",\"version\":%d", f->version);
    json_member("path", f->path, true);
    json_member("what", f->what, true);
    json_member("expected", f->expected, true);
    json_member("found", f->found, true);
    printf(",\"event\":%" PRId64 "}", f->event);
}

static int on_finding(void *user, const qr_verify_finding *f)
{
    verify_cli *v = user;
    v->n_findings++;
    if (v->progress.tty && !v->quiet)
        fputs("\r\033[K", stderr); /* the finding goes above the bar */
    if (v->json)
        print_json(v, f);
    else
        print_text(v, f);
    fflush(stdout);
    return 0;
}

static void on_progress(void *user, long done, long total, long pages, long findings)
{
    verify_cli *v = user;
    v->progress.files_total = total;
    qr_progress_update(&v->progress, done, pages, findings);
}

static void summary_text(const qr_verify_summary *s, double secs)
{
    double mb = (double)s->bytes / 1e6;
    printf("summary:\n  archives: %" PRId64 " files, %" PRId64 " versions, %" PRId64 " pages, %.1f MB "
           "hashed in %.2f s (%.0f MB/s)", s->files, s->versions, s->pages, mb, secs,
           secs > 0 ? mb / secs : 0.0);
    if (s->strays)
        printf(", %" PRId64 " stray PDF%s", s->strays, s->strays == 1 ? "" : "s");
    printf("\n  event log: %" PRId64 " events, intact up to event %" PRId64 "\n", s->events,
           s->chain_ok_to);
    printf("  rows: %" PRId64 " checked against their events", s->rows_checked);
    if (s->rows_old || s->events_old)
        printf("; %" PRId64 " rows of %" PRId64 " events not covered (recorded before schema "
               "6, from event %" PRId64 " on every event carries a digest)", s->rows_old,
               s->events_old, s->rows_from);
    printf("\n  seals: %" PRId64 " in the ledger, %" PRId64 " detached file%s", s->seals,
           s->seal_files, s->seal_files == 1 ? "" : "s");
    if (s->signatures_checked)
        printf(" (%" PRId64 " and %" PRId64 " valid); sealed up to event %" PRId64 ", %" PRId64
               " event%s after it", s->seals_valid, s->seal_files_valid, s->sealed_to,
               s->events - s->sealed_to, s->events - s->sealed_to == 1 ? "" : "s");
    else
        printf(" (signatures not checked: give --pubkey)");
    printf("\n  time-stamps: %" PRId64, s->timestamps);
    if (s->timestamps_checked)
        printf(" (%" PRId64 " valid)", s->timestamps_valid);
    else if (s->timestamps)
        printf(" (not checked: give --tsa-cert)");
    printf("\n  result: %s (%" PRId64 " finding%s)\n", s->findings ? "NOT VERIFIED" : "verified",
           s->findings, s->findings == 1 ? "" : "s");
}

static void summary_json(const qr_verify_summary *s, double secs)
{
    printf("%s],\n\"summary\":{\"verified\":%s,\"findings\":%" PRId64 ",\"files\":%" PRId64
           ",\"versions\":%" PRId64 ",\"pages\":%" PRId64 ",\"bytes\":%" PRId64
           ",\"seconds\":%.3f,\"strays\":%" PRId64 ",\"events\":%" PRId64
           ",\"chain_intact_to\":%" PRId64 ",\"rows_checked\":%" PRId64 ",\"rows_from\":%"
           PRId64 ",\"rows_not_covered\":%" PRId64 ",\"events_without_digest\":%" PRId64
           ",\"seals\":%" PRId64 ",\"seals_valid\":%" PRId64 ",\"seal_files\":%" PRId64
           ",\"seal_files_valid\":%" PRId64 ",\"sealed_to\":%" PRId64
           ",\"signatures_checked\":%s,\"timestamps\":%" PRId64 ",\"timestamps_valid\":%"
           PRId64 ",\"timestamps_checked\":%s}}\n",
           s->findings ? "\n" : "", s->findings ? "false" : "true", s->findings, s->files,
           s->versions, s->pages, s->bytes, secs, s->strays, s->events, s->chain_ok_to,
           s->rows_checked, s->rows_from, s->rows_old, s->events_old, s->seals, s->seals_valid,
           s->seal_files, s->seal_files_valid, s->sealed_to, s->signatures_checked ? "true" : "false", s->timestamps,
           s->timestamps_valid, s->timestamps_checked ? "true" : "false");
}

int qr_cmd_verify(int argc, char **argv)
{
    verify_cli v = {0};
    int urc = parse(argc, argv, &v);
    if (!urc)
        urc = inputs_readable(&v);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger_ro("verify", v.ledger, &l);
    if (orc)
        return orc;
    v.tty = isatty(STDOUT_FILENO);
    qr_progress_init(&v.progress, stderr, v.quiet || !isatty(STDERR_FILENO), 0);
    v.o.progress = on_progress;
    v.o.progress_user = &v;
    if (v.json)
        fputs("{\"findings\":[", stdout);
    qr_verify_summary sum;
    qr_err err = {0};
    double t0 = qr_now();
    int rc = qr_verify_ledger(l, &v.o, on_finding, &v, &sum, &err);
    double secs = qr_now() - t0;
    if (!v.progress.quiet && sum.versions)
        qr_progress_finish(&v.progress);
    qr_ledger_close(&l);
    if (rc != QR_OK) {
        if (v.json)
            fputs("]}\n", stdout);
        fprintf(stderr, "quire verify: %s\n", err.msg);
        return rc == QR_EINVAL ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    }
    if (v.json)
        summary_json(&sum, secs);
    else
        summary_text(&sum, secs);
    if (fflush(stdout))
        return QR_EXIT_FATAL;
    return sum.findings ? QR_EXIT_FAULTY : QR_EXIT_OK;
}
