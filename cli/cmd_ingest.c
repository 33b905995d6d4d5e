/*
 * `quire ingest`: argument parsing, the operator's summary, exit codes.
 * The work itself is qr_ingest_run (ingest.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ingest.h"
#include "qr_stages.h"

enum { OPT_LEDGER = 256, OPT_PDFA, OPT_LAYOUT, OPT_RETRY, OPT_LOGJSON, OPT_QUALITY,
       OPT_LOSSLESS, OPT_IODEPTH, OPT_IOBYTES, OPT_MAXPX, OPT_MAXBYTES, OPT_PROFILE, OPT_SET,
       OPT_BLANK_BACKS, OPT_BY, OPT_ASSUME_DPI };

static const struct option ingest_options[] = {
    {"manifest", required_argument, NULL, 'm'}, {"out", required_argument, NULL, 'o'},
    {"ledger", required_argument, NULL, OPT_LEDGER}, {"jobs", required_argument, NULL, 'j'},
    {"pdfa", required_argument, NULL, OPT_PDFA}, {"layout", required_argument, NULL, OPT_LAYOUT},
    {"retry", no_argument, NULL, OPT_RETRY}, {"quiet", no_argument, NULL, 'q'},
    {"log-json", required_argument, NULL, OPT_LOGJSON},
    {"jpeg-quality", required_argument, NULL, OPT_QUALITY},
    {"lossless", no_argument, NULL, OPT_LOSSLESS},
    {"io-depth", required_argument, NULL, OPT_IODEPTH},
    {"io-bytes", required_argument, NULL, OPT_IOBYTES},
    {"max-pixels", required_argument, NULL, OPT_MAXPX},
    {"max-page-bytes", required_argument, NULL, OPT_MAXBYTES},
    {"assume-dpi", required_argument, NULL, OPT_ASSUME_DPI},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"set", required_argument, NULL, OPT_SET},
    {"allow-blank-backs", no_argument, NULL, OPT_BLANK_BACKS},
    {"by", required_argument, NULL, OPT_BY},
    {NULL, 0, NULL, 0}};

/* What the command line says beyond qr_ingest_opts. */
typedef struct ingest_args {
    const char *ledger;
    const char *profile;       /* --profile FILE */
    char **sets;               /* --set values, in order (argc slots) */
    int n_sets;
    bool allow_blank_backs;
} ingest_args;

static bool parse_count(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

const char *qr_cli_ledger_path(const char *given)
{
    if (given)
        return given;
    const char *env = getenv("QUIRE_LEDGER");
    return env && *env ? env : "quire.db";
}

static int set_numeric(qr_ingest_opts *o, int c, const char *arg)
{
    long long v;
    switch (c) {
    case 'j': if (!parse_count(arg, 1, 256, &v)) return -1; o->jobs = (int)v; break;
    case OPT_QUALITY: if (!parse_count(arg, 1, 100, &v)) return -1; o->jpeg_quality = (int)v; break;
    case OPT_IODEPTH: if (!parse_count(arg, 1, 4096, &v)) return -1; o->io_depth = (unsigned)v; break;
    case OPT_IOBYTES: if (!parse_count(arg, 1 << 20, 1LL << 40, &v)) return -1; o->io_bytes = (size_t)v; break;
    case OPT_MAXPX: if (!parse_count(arg, 1, 1LL << 40, &v)) return -1; o->limits.max_pixels = (uint64_t)v; break;
    case OPT_MAXBYTES: if (!parse_count(arg, 1, 1LL << 40, &v)) return -1; o->limits.max_page_bytes = (uint64_t)v; break;
    case OPT_ASSUME_DPI: if (!parse_count(arg, 1, 100000, &v)) return -1; o->assume_dpi = (double)v; break;
    default: return -1;
    }
    return 0;
}

/* The long name of an option from its getopt value, for error messages. */
static const char *option_name(int c)
{
    for (const struct option *o = ingest_options; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

static int parse_args(int argc, char **argv, qr_ingest_opts *o, ingest_args *a)
{
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "m:o:j:q", ingest_options, NULL)) != -1) {
        switch (c) {
        case 'm': o->manifest = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case OPT_LEDGER: a->ledger = optarg; break;
        case OPT_PROFILE: a->profile = optarg; break;
        case OPT_SET: a->sets[a->n_sets++] = optarg; break;
        case OPT_BLANK_BACKS: a->allow_blank_backs = true; break;
        case OPT_PDFA:
            if (strcmp(optarg, "2b") && strcmp(optarg, "1b") && strcmp(optarg, "3b"))
                return qr_cli_usage_error("ingest", "--pdfa must be 2b, 1b or 3b");
            o->flavour = !strcmp(optarg, "1b") ? QR_PDFA_1B
                       : !strcmp(optarg, "3b") ? QR_PDFA_3B : QR_PDFA_2B;
            break;
        case OPT_LAYOUT: o->layout = optarg; break;
        case OPT_RETRY: o->retry = true; break;
        case 'q': o->quiet = true; break;
        case OPT_LOGJSON: o->log_json = optarg; break;
        case OPT_LOSSLESS: o->lossless = true; break;
        case OPT_BY: o->actor = optarg; break;
        case '?': return QR_EXIT_USAGE;
        default:
            if (set_numeric(o, c, optarg))
                return qr_cli_usage_error("ingest", "bad value for --%s: %s",
                                          option_name(c), optarg);
        }
    }
    if (!o->manifest || !o->out_dir || optind >= argc)
        return qr_cli_usage_error("ingest", "--manifest, --out and a DELIVERY are required");
    o->deliveries = (const char *const *)argv + optind;
    o->n_deliveries = argc - optind;
    return 0;
}

static void print_summary(const qr_ingest_summary *s)
{
    printf("files: %ld delivered: %ld archived, %ld faulty, %ld up to date", s->files_total,
           s->files_archived, s->files_faulty, s->files_up_to_date);
    if (s->files_unexpected)
        printf(" (%ld unexpected)", s->files_unexpected);
    printf("\n");
    if (s->files_failed)
        printf("not written: %ld archive%s (see the error above); the next run tries again\n",
               s->files_failed, s->files_failed == 1 ? "" : "s");
    printf("manifest: %ld of %ld files archived", s->manifest_archived, s->manifest_files);
    if (s->manifest_faulty)
        printf(", %ld still faulty: %s%s", s->manifest_faulty, s->faulty_names,
               s->manifest_faulty > 10 ? ", ..." : "");
    if (s->files_pending)
        printf(", %ld not delivered", s->files_pending);
    printf("\n");
    if (s->refused_unowned)
        printf("refused: %ld delivery entr%s that belong%s to no file (see above)\n",
               s->refused_unowned, s->refused_unowned == 1 ? "y" : "ies",
               s->refused_unowned == 1 ? "s" : "");
    printf("pages: %ld in %.1f s (%.1f pages/s, %s reader)\n", s->pages, s->seconds,
           s->seconds > 0 ? (double)s->pages / s->seconds : 0.0,
           s->io_backend ? s->io_backend : "no");
    bool any = false;
    for (int k = 0; k < QR_FAULT__COUNT; k++) {
        if (!s->faults[k])
            continue;
        printf("%s%s %ld", any ? ", " : "faults: ", qr_fault_name((qr_fault_kind)k), s->faults[k]);
        any = true;
    }
    printf(any ? "\n" : "faults: none\n");
    double cpu = 0;
    for (int k = 0; k < QR_STAGE__COUNT; k++)
        cpu += s->stage_cpu[k];
    if (cpu <= 0 || !s->pages)
        return;
    printf("cpu: %.1f s (%.0f ms/page):", cpu, 1e3 * cpu / (double)s->pages);
    for (int k = 0; k < QR_STAGE__COUNT; k++)
        printf(" %s %.0f%%", qr_ingest_stage_name((qr_ingest_stage)k), 100 * s->stage_cpu[k] / cpu);
    printf("\n");
}

/* 0 only when every file of the manifest is archived (its latest outcome)
 * and nothing this run saw was faulty, unexpected or refused. */
static int exit_code(const qr_ingest_summary *s)
{
    bool all = s->manifest_archived == s->manifest_files;
    return all && !s->files_faulty && !s->refused_unowned ? QR_EXIT_OK : QR_EXIT_FAULTY;
}

static char *join_args(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    strcpy(s, "quire");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* Defaults, --profile, --set, then --allow-blank-backs. */
static int build_profile(int argc, char **argv, qr_ingest_opts *o, qr_profile *p)
{
    ingest_args a = {.sets = calloc((size_t)argc + 1, sizeof(char *))};
    if (!a.sets)
        return QR_EXIT_FATAL;
    int rc = parse_args(argc, argv, o, &a);
    if (!rc)
        rc = qr_cli_profile("ingest", a.profile, a.sets, a.n_sets, p);
    free(a.sets);
    if (a.allow_blank_backs)
        p->allow_blank_backs = true;
    o->ledger = qr_cli_ledger_path(a.ledger);
    o->profile = p;
    return rc;
}

int qr_cmd_ingest(int argc, char **argv)
{
    qr_ingest_opts o;
    qr_ingest_opts_default(&o);
    qr_profile prof;
    int rc = build_profile(argc, argv, &o, &prof);
    if (rc)
        return rc;
    char *cmdline = join_args(argc, argv);
    o.command_line = cmdline;
    qr_ingest_summary sum;
    qr_err err = {0};
    rc = qr_ingest_run(&o, &sum, &err);
    free(cmdline);
    if (rc == QR_EINVAL) {
        fprintf(stderr, "quire ingest: %s\n", err.msg);
        return QR_EXIT_USAGE;
    }
    if (rc) {
        fprintf(stderr, "quire ingest: fatal: %s\n", err.msg);
        return QR_EXIT_FATAL;
    }
    if (!o.quiet)
        print_summary(&sum);
    return exit_code(&sum);
}
