/*
 * quire release check and quire release mark: the command-line face of the
 * release of the paper (ledger/qr_release.h). check lists each box with its
 * state and every reason it may not be released yet; mark records the
 * release of one box as an event and seals it, and refuses a box that is
 * not releasable, printing the reasons. Both check the seals with the
 * office's key, so a box counts as sealed only by a signature that holds.
 *
 * Exit: check 0 when every box listed is releasable or released, 1 when one
 * is not; mark 0 recorded, 1 not releasable (nothing recorded); both 2 for
 * usage (no key, no such box, no reason, already released) and 3 fatal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_release.h"

typedef struct release_cli {
    const char *ledger, *box, *key, *pubkey, *archives, *by, *reason;
    bool json, deep, tty;
} release_cli;

/* What check takes and needs. */
static int check_check(const release_cli *r)
{
    if (r->key || r->by || r->reason)
        return qr_cli_usage_error("release", "--key, --by and --reason are for release mark");
    if (!r->pubkey)
        return qr_cli_usage_error("release", "give --pubkey KEY.pem: a box counts as sealed "
                                  "only by a signature that holds");
    return 0;
}

/* What mark takes and needs. */
static int check_mark(const release_cli *r)
{
    if (r->pubkey || r->json || r->deep)
        return qr_cli_usage_error("release", "--pubkey, --json and --deep are for release "
                                  "check");
    if (!r->key)
        return qr_cli_usage_error("release", "give --key KEY.pem: the release is sealed");
    if (!r->box || !r->reason || !*r->reason)
        return qr_cli_usage_error("release", "give the BOX and --reason TEXT");
    return 0;
}

static int parse(int argc, char **argv, release_cli *r, bool mark)
{
    static const struct option opts[] = {
        {"box", required_argument, NULL, 'x'},      {"pubkey", required_argument, NULL, 'p'},
        {"key", required_argument, NULL, 'k'},      {"archives", required_argument, NULL, 'a'},
        {"by", required_argument, NULL, 'b'},       {"reason", required_argument, NULL, 'r'},
        {"deep", no_argument, NULL, 'd'},           {"json", no_argument, NULL, 'j'},
        {"ledger", required_argument, NULL, 'l'},   {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'x': r->box = optarg; break;
        case 'p': r->pubkey = optarg; break;
        case 'k': r->key = optarg; break;
        case 'a': r->archives = optarg; break;
        case 'b': r->by = optarg; break;
        case 'r': r->reason = optarg; break;
        case 'd': r->deep = true; break;
        case 'j': r->json = true; break;
        case 'l': r->ledger = optarg; break;
        default: return QR_EXIT_USAGE;
        }
    }
    if (mark && optind < argc && !r->box)
        r->box = argv[optind++];
    if (optind != argc)
        return qr_cli_usage_error("release", "unexpected argument: %s", argv[optind]);
    return mark ? check_mark(r) : check_check(r);
}

static void text(const release_cli *r, const char *s)
{
    if (r->tty)
        qr_cli_tty_cell(stdout, s ? s : "", 0);
    else
        fputs(s ? s : "", stdout);
}

static void print_box(const release_cli *r, const qr_release_box *b)
{
    fputs("box ", stdout);
    text(r, b->box);
    printf(": %s (%" PRId64 " file%s: %" PRId64 " archived, %" PRId64 " verified, %" PRId64
           " sealed; %" PRId64 " rescan job%s open)\n", qr_release_state_name(b), b->files,
           b->files == 1 ? "" : "s", b->archived, b->verified, b->sealed, b->open_jobs,
           b->open_jobs == 1 ? "" : "s");
    if (b->released) {
        printf("  released %s by ", b->released_at);
        text(r, b->released_by);
        fputs(": ", stdout);
        text(r, b->released_reason);
        putchar('\n');
    }
    for (size_t i = 0; i < b->n_reasons; i++) {
        fputs("  - ", stdout);
        text(r, b->reasons[i]);
        putchar('\n');
    }
}

static void print_box_json(const qr_release_box *b, bool first)
{
    printf("%s\n {\"box\":", first ? "" : ",");
    qr_json_fputs(stdout, b->box);
    printf(",\"state\":\"%s\",\"files\":%" PRId64 ",\"archived\":%" PRId64 ",\"verified\":%"
           PRId64 ",\"sealed\":%" PRId64 ",\"open_jobs\":%" PRId64 ",\"released\":",
           qr_release_state_name(b), b->files, b->archived, b->verified, b->sealed,
           b->open_jobs);
    if (b->released) {
        printf("{\"event\":%" PRId64 ",\"at\":\"%s\",\"by\":", b->release_event, b->released_at);
        qr_json_fputs(stdout, b->released_by);
        fputs(",\"reason\":", stdout);
        qr_json_fputs(stdout, b->released_reason);
        putchar('}');
    } else {
        fputs("null", stdout);
    }
    fputs(",\"reasons\":[", stdout);
    for (size_t i = 0; i < b->n_reasons; i++) {
        fputs(i ? "," : "", stdout);
        qr_json_fputs(stdout, b->reasons[i]);
    }
    fputs("]}", stdout);
}

static int failed(const char *what, int rc, const qr_err *err)
{
    fprintf(stderr, "quire release %s: %s\n", what, err->msg);
    return rc == QR_EINVAL ? QR_EXIT_USAGE : rc == QR_ECORRUPT ? QR_EXIT_FAULTY : QR_EXIT_FATAL;
}

static int print_list(const release_cli *r, const qr_release_list *list)
{
    int blocked = 0, released = 0;
    if (r->json)
        fputs("{\"boxes\":[", stdout);
    for (size_t i = 0; i < list->n; i++) {
        const qr_release_box *b = &list->v[i];
        blocked += !b->released && !qr_release_ok(b);
        released += b->released;
        if (r->json)
            print_box_json(b, i == 0);
        else
            print_box(r, b);
    }
    if (r->json)
        printf("\n],\"releasable\":%zu,\"not_releasable\":%d,\"released\":%d}\n",
               list->n - (size_t)blocked - (size_t)released, blocked, released);
    else
        printf("summary: %zu box%s: %zu releasable, %d not releasable, %d released\n", list->n,
               list->n == 1 ? "" : "es", list->n - (size_t)blocked - (size_t)released, blocked,
               released);
    return blocked ? QR_EXIT_FAULTY : QR_EXIT_OK;
}

static int release_check(qr_ledger *l, const release_cli *r)
{
    qr_seal_key *key = NULL;
    qr_err err = {0};
    int rc = qr_seal_key_load(r->pubkey, false, &key, &err);
    if (rc != QR_OK)
        return failed("check", rc == QR_EFATAL ? QR_EINVAL : rc, &err);
    qr_release_opts o = {.pub = key, .archives_dir = r->archives, .deep = r->deep};
    qr_release_list list = {0};
    rc = qr_release_check(l, r->box, &o, &list, &err);
    qr_seal_key_free(&key);
    if (rc != QR_OK)
        return failed("check", rc, &err);
    int xrc = print_list(r, &list);
    qr_release_list_free(&list);
    return xrc;
}

static int release_mark(qr_ledger *l, const release_cli *r)
{
    qr_seal_key *key = NULL;
    qr_err err = {0};
    int rc = qr_seal_key_load(r->key, true, &key, &err);
    if (rc != QR_OK)
        return failed("mark", rc == QR_EFATAL ? QR_EINVAL : rc, &err);
    qr_release_box b = {0};
    qr_seal made = {0};
    char path[4200];
    rc = qr_release_mark(l, r->box, r->by, r->reason, key, r->archives, &b, &made, path,
                         sizeof path, &err);
    qr_seal_key_free(&key);
    if (rc == QR_ECORRUPT)
        print_box(r, &b);
    if (rc == QR_OK) {
        fputs("released: box ", stdout);
        text(r, b.box);
        printf(" (%" PRId64 " files), by ", b.files);
        text(r, made.by);
        fputs(": ", stdout);
        text(r, r->reason);
        printf("\nsealed: seal %d, events 1..%" PRId64 "; written: %s\n", made.n, made.head_id,
               path);
    }
    qr_release_box_free(&b);
    qr_seal_free(&made);
    return rc == QR_OK ? QR_EXIT_OK : failed("mark", rc, &err);
}

int qr_cmd_release(int argc, char **argv)
{
    if (argc < 2)
        return qr_cli_usage_error("release", "say check or mark");
    bool mark = !strcmp(argv[1], "mark");
    if (!mark && strcmp(argv[1], "check"))
        return qr_cli_usage_error("release", "unknown subcommand: %s (check or mark)", argv[1]);
    release_cli r = {.tty = isatty(STDOUT_FILENO)};
    int urc = parse(argc - 1, argv + 1, &r, mark);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = mark ? qr_cli_open_ledger("release", r.ledger, true, &l)
                   : qr_cli_open_ledger_ro("release", r.ledger, &l);
    if (orc)
        return orc;
    int rc = mark ? release_mark(l, &r) : release_check(l, &r);
    qr_ledger_close(&l);
    return rc != QR_EXIT_FATAL && fflush(stdout) ? QR_EXIT_FATAL : rc;
}
