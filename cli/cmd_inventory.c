/*
 * `quire inventory import STOCK.csv`: the legacy stock, the denominator of
 * "percent digitized", loaded before (or beside) the deliveries.
 *
 * Why all-or-nothing by default: a stock list that disagrees with the ledger
 * about a file's box or page count is a sign that one of them is wrong, and
 * a half-imported list is harder to reason about than none. So any conflict
 * rolls the import back, every conflict is listed (file, line, field, the
 * ledger's value, the list's value) and the exit code is 1; nothing is ever
 * overwritten. --keep-known imports the other rows and keeps the ledger's
 * values for the conflicting ones (exit 0, conflicts still listed).
 * Re-importing the same list changes nothing. The ledger records an
 * "inventory_import" event with the counts of every import that was kept,
 * by the name given with --by (else who runs the command). It is one of the
 * commands that may create the ledger: a stock list often comes first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_ledger.h"
#include "qr_manifest.h"

static int load_stock(const char *path, qr_manifest **m)
{
    qr_err err = {0};
    int rc = qr_manifest_load(path, QR_MANIFEST_STOCK, m, &err);
    if (rc == QR_OK)
        return QR_EXIT_OK;
    if (rc != QR_ECORRUPT || !*m) {
        fprintf(stderr, "quire inventory: %s\n", err.msg);
        qr_manifest_free(m);
        return rc == QR_EIO ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    }
    size_t n = qr_manifest_error_count(*m);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s\n", qr_manifest_error_at(*m, i));
    if (qr_manifest_error_total(*m) > n)
        fprintf(stderr, "... and %zu more errors\n", qr_manifest_error_total(*m) - n);
    fprintf(stderr, "quire inventory: %s: %zu error%s, nothing imported\n", path,
            qr_manifest_error_total(*m), qr_manifest_error_total(*m) == 1 ? "" : "s");
    qr_manifest_free(m);
    return QR_EXIT_USAGE;
}

static void print_conflicts(const char *path, const qr_ledger_upsert_result *res, bool kept)
{
    for (size_t i = 0; i < res->n_conflicts; i++) {
        const qr_ledger_conflict *c = &res->conflicts[i];
        fprintf(stderr, "%s:%d: conflict: %s: %s is '%s' in the ledger, '%s' here%s\n", path,
                c->line, c->file_id, c->field, c->ledger_value, c->manifest_value,
                kept ? "; ledger value kept" : "");
    }
}

static int import_stock(const char *path, const char *ledger, const char *by, bool keep_known)
{
    qr_manifest *m = NULL;
    int rc = load_stock(path, &m);
    if (rc)
        return rc;
    qr_ledger *l = NULL;
    if ((rc = qr_cli_open_ledger("inventory", ledger, false, &l))) {
        qr_manifest_free(&m);
        return rc;
    }
    qr_ledger_upsert_result res = {0};
    qr_err err = {0};
    rc = qr_ledger_inventory_upsert_by(l, m, QR_LEDGER_SRC_STOCK, 0, !keep_known, by, &res, &err);
    qr_ledger_close(&l);
    qr_manifest_free(&m);
    if (rc) {
        fprintf(stderr, "quire inventory: %s\n", err.msg);
        qr_ledger_upsert_result_free(&res);
        return QR_EXIT_FATAL;
    }
    print_conflicts(path, &res, keep_known);
    bool rolled_back = !keep_known && res.n_conflicts > 0;
    if (rolled_back)
        printf("%s: nothing imported: %zu conflict%s (fix the list, or give --keep-known to "
               "import the other rows)\n", path, res.n_conflicts, res.n_conflicts == 1 ? "" : "s");
    else
        printf("%s: %zu added, %zu unchanged, %zu filled, %zu conflict%s\n", path, res.added,
               res.unchanged, res.filled, res.n_conflicts, res.n_conflicts == 1 ? "" : "s");
    qr_ledger_upsert_result_free(&res);
    if (fflush(stdout))
        return QR_EXIT_FATAL;
    return rolled_back ? QR_EXIT_FAULTY : QR_EXIT_OK;
}

int qr_cmd_inventory(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "import") != 0)
        return qr_cli_usage_error("inventory", "say import STOCK.csv");
    static const struct option opts[] = {{"ledger", required_argument, NULL, 'l'},
                                         {"keep-known", no_argument, NULL, 'k'},
                                         {"by", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *ledger = NULL, *by = NULL;
    bool keep_known = false;
    int c;
    argc--, argv++;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            ledger = optarg;
        else if (c == 'k')
            keep_known = true;
        else if (c == 'b')
            by = optarg;
        else
            return QR_EXIT_USAGE;
    }
    if (optind + 1 != argc)
        return qr_cli_usage_error("inventory", "import needs exactly one STOCK.csv");
    return import_stock(argv[optind], ledger, by, keep_known);
}
