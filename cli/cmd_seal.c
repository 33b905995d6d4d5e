/*
 * quire seal and quire keygen: the command-line face of seals
 * (ledger/qr_verify.h). seal signs the chain's head with a private key and
 * writes the detached copy; with --tsq it also writes an RFC 3161 request
 * for the seal (or, without --key, for an existing one), and --tsr stores
 * the authority's answer. keygen makes a key pair with OpenSSL.
 *
 * Exit: 0 done; 1 a time-stamp response that is not for the seal (other
 * data, not granted, not a response): nothing stored; 2 usage (no ledger,
 * no key, an existing output file, no such seal); 3 fatal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_verify.h"

typedef struct seal_cli {
    const char *ledger, *key, *by, *out, *tsq, *tsr;
    int seal;                   /* --seal N; 0 = the latest */
    bool seal_given;
} seal_cli;

static int parse(int argc, char **argv, seal_cli *s)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},  {"by", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},  {"tsq", required_argument, NULL, 'q'},
        {"tsr", required_argument, NULL, 'r'},  {"seal", required_argument, NULL, 's'},
        {"ledger", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': s->key = optarg; break;
        case 'b': s->by = optarg; break;
        case 'o': s->out = optarg; break;
        case 'q': s->tsq = optarg; break;
        case 'r': s->tsr = optarg; break;
        case 'l': s->ledger = optarg; break;
        case 's':
            s->seal = (int)strtol(optarg, &end, 10);
            if (*end || s->seal <= 0)
                return qr_cli_usage_error("seal", "--seal wants a seal number (1, 2, ...), "
                                          "not %s", optarg);
            s->seal_given = true;
            break;
        default: return QR_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return qr_cli_usage_error("seal", "unexpected argument: %s", argv[optind]);
    if (!s->key && !s->tsq && !s->tsr)
        return qr_cli_usage_error("seal", "give --key KEY.pem to seal, --tsq or --tsr for "
                                  "trusted time");
    if (s->key && (s->tsr || s->seal_given))
        return qr_cli_usage_error("seal", "--key makes a new seal: --tsr and --seal are for "
                                  "an existing one");
    if (s->tsq && s->tsr)
        return qr_cli_usage_error("seal", "--tsq writes a request, --tsr stores the answer: "
                                  "one at a time");
    if (s->out && !s->key)
        return qr_cli_usage_error("seal", "--out names the file of a new seal: give --key");
    return 0;
}

static int failed(int rc, const qr_err *err)
{
    fprintf(stderr, "quire seal: %s\n", err->msg);
    return rc == QR_EINVAL ? QR_EXIT_USAGE : rc == QR_ECORRUPT ? QR_EXIT_FAULTY : QR_EXIT_FATAL;
}

static int make_seal(qr_ledger *l, const seal_cli *s)
{
    qr_seal_key *key = NULL;
    qr_err err = {0};
    int rc = qr_seal_key_load(s->key, true, &key, &err);
    if (rc != QR_OK)
        return failed(rc, &err);
    qr_seal made = {0};
    char path[4200];
    rc = qr_seal_make(l, key, s->by, s->out, &made, path, sizeof path, &err);
    qr_seal_key_free(&key);
    if (rc != QR_OK)
        return failed(rc, &err);
    printf("sealed: seal %d, events 1..%" PRId64 " (head %.16s...), %" PRId64 " files, %" PRId64
           " pages, %" PRId64 " archive versions, by %s at %s\nkey: %s %s\nwritten: %s "
           "(keep a copy away from the ledger)\n", made.n, made.head_id, made.head, made.files,
           made.pages, made.archives, made.by, made.time, made.alg, made.key, path);
    qr_seal_free(&made);
    return QR_EXIT_OK;
}

static int timestamps(qr_ledger *l, const seal_cli *s)
{
    qr_err err = {0};
    int rc;
    if (s->tsq) {
        if ((rc = qr_seal_tsq(l, s->seal, s->tsq, &err)) != QR_OK)
            return failed(rc, &err);
        printf("time-stamp request: %s (send it to the authority, then quire seal --tsr "
               "RESPONSE.tsr)\n", s->tsq);
        return QR_EXIT_OK;
    }
    char when[32];
    if ((rc = qr_seal_tsr(l, s->seal, s->tsr, s->by, when, &err)) != QR_OK)
        return failed(rc, &err);
    printf("time-stamp stored: %s, time %s (quire verify --tsa-cert CA.pem checks it)\n",
           s->tsr, when);
    return QR_EXIT_OK;
}

int qr_cmd_seal(int argc, char **argv)
{
    seal_cli s = {0};
    int urc = parse(argc, argv, &s);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger("seal", s.ledger, true, &l);
    if (orc)
        return orc;
    int rc = s.key ? make_seal(l, &s) : QR_EXIT_OK;
    if (rc == QR_EXIT_OK && (s.tsq || s.tsr))
        rc = timestamps(l, &s);
    qr_ledger_close(&l);
    return rc == QR_EXIT_OK && fflush(stdout) ? QR_EXIT_FATAL : rc;
}

/* ---- quire keygen ------------------------------------------------------------ */

int qr_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"pub", required_argument, NULL, 'p'},
                                         {"type", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *pub = NULL, *type = NULL;
    int c;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'p')
            pub = optarg;
        else if (c == 't')
            type = optarg;
        else
            return QR_EXIT_USAGE;
    }
    if (optind != argc || !out)
        return qr_cli_usage_error("keygen", "give --out KEY.pem");
    char pub_default[4200];
    size_t n = strlen(out);
    if (!pub) {
        if (n > 4 && !strcmp(out + n - 4, ".pem"))
            snprintf(pub_default, sizeof pub_default, "%.*s.pub.pem", (int)(n - 4), out);
        else
            snprintf(pub_default, sizeof pub_default, "%s.pub", out);
        pub = pub_default;
    }
    qr_err err = {0};
    int rc = qr_seal_keygen(out, pub, type, &err);
    if (rc != QR_OK) {
        fprintf(stderr, "quire keygen: %s\n", err.msg);
        return rc == QR_EINVAL ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    }
    printf("private key: %s (keep it secret: whoever has it can seal)\npublic key: %s (give it "
           "to quire verify --pubkey)\n", out, pub);
    return QR_EXIT_OK;
}
