/* Unit tests for seals (ledger/qr_verify.h): key pairs of each kind, a seal
 * as an event and as a detached file with the same text, the seal read back
 * (qr_ledger_seals_of), its checks with the right key, another key and a
 * changed member, and which archive versions a valid seal covers
 * (qr_sealed_covers) before and after a later seal and a tampered row. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "qr_ledger.h"
#include "qr_test.h"
#include "qr_verify.h"

#define FP "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char dir[512];

static int count_findings(void *user, const qr_verify_finding *f)
{
    (*(int *)user)++;
    fprintf(stderr, "  finding: %s: %s\n", qr_verify_kind_name(f->kind), f->what);
    return 0;
}

typedef struct last_finding {
    int n;
    char what[700];
} last_finding;

static int keep_finding(void *user, const qr_verify_finding *f)
{
    last_finding *k = user;
    k->n++;
    snprintf(k->what, sizeof k->what, "%s: %s", qr_verify_kind_name(f->kind), f->what);
    return 0;
}

static void path_of(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void commit(qr_ledger *l, const char *id, int version)
{
    qr_err err = {0};
    int64_t b = 0;
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d"};
    CHECK(qr_ledger_batch_begin(l, &bi, &b, &err) == QR_OK);
    qr_ledger_page pages[2] = {{.page = 1, .source = "s1"}, {.page = 2, .source = "s2"}};
    char path[64];
    snprintf(path, sizeof path, "arch/%s@v%d.pdf", id, version);
    qr_ledger_outcome o = {.file_id = id, .batch = b, .version = version, .archived = true,
                           .archive_path = path, .archive_sha256 = SHA_A,
                           .source_fingerprint = FP, .delivered_pages = 2, .pages = pages,
                           .n_pages = 2};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
}

static void test_keys(void)
{
    char priv[600], pub[600];
    qr_err err = {0};
    static const char *types[] = {"ed25519", "rsa", "ecdsa"};
    static const char *algs[] = {"ed25519", "rsa-sha256", "ecdsa-sha256"};
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.pem", types[i]);
        path_of(name, priv, sizeof priv);
        snprintf(name, sizeof name, "%s.pub.pem", types[i]);
        path_of(name, pub, sizeof pub);
        CHECKF(qr_seal_keygen(priv, pub, types[i], &err) == QR_OK, "%s", err.msg);
        qr_seal_key *a = NULL, *b = NULL, *c = NULL;
        CHECKF(qr_seal_key_load(priv, true, &a, &err) == QR_OK, "%s", err.msg);
        CHECKF(qr_seal_key_load(pub, false, &b, &err) == QR_OK, "%s", err.msg);
        CHECK(a && b && !strcmp(qr_seal_key_fingerprint(a), qr_seal_key_fingerprint(b)));
        CHECK(a && !strcmp(qr_seal_key_alg(a), algs[i]));
        CHECK_EQ_INT(qr_seal_key_load(pub, true, &c, &err), QR_EINVAL); /* no private key */
        CHECK(c == NULL);
        qr_seal_key_free(&a);
        qr_seal_key_free(&b);
        CHECK_EQ_INT(qr_seal_keygen(priv, pub, types[i], &err), QR_EINVAL); /* never replaced */
    }
    CHECK_EQ_INT(qr_seal_keygen(priv, pub, "dsa", &err), QR_EINVAL);
}

static qr_seal_key *key(const char *name, bool priv)
{
    char path[600];
    path_of(name, path, sizeof path);
    qr_seal_key *k = NULL;
    qr_err err = {0};
    CHECKF(qr_seal_key_load(path, priv, &k, &err) == QR_OK, "%s", err.msg);
    return k;
}

/* The chain and seals of the ledger with the public key pub_name. */
static int verify_seals(qr_ledger *l, const char *pub_name, qr_verify_summary *sum,
                        last_finding *k)
{
    char pub[600];
    path_of(pub_name, pub, sizeof pub);
    qr_verify_opts o = {.pubkey_path = pub};
    qr_err err = {0};
    memset(sum, 0, sizeof *sum);
    memset(k, 0, sizeof *k);
    CHECK(qr_verify_chain(l, keep_finding, k, sum, &err) == QR_OK);
    CHECKF(qr_verify_seals(l, &o, keep_finding, k, sum, &err) == QR_OK, "%s", err.msg);
    return k->n;
}

static int covered_by(qr_ledger *l, const qr_seal_key *pub, const char *id, int version)
{
    qr_sealed *s = NULL;
    qr_err err = {0};
    int n = -1;
    CHECKF(qr_sealed_open(l, pub, &s, &err) == QR_OK, "%s", err.msg);
    CHECKF(s && qr_sealed_covers(s, l, id, version, &n, &err) == QR_OK, "%s", err.msg);
    qr_sealed_close(&s);
    return n;
}

static void test_seal(void)
{
    char ledger[600], file[700];
    path_of("q.db", ledger, sizeof ledger);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECK(qr_ledger_open(ledger, &l, &err) == QR_OK);
    if (!l)
        return;
    qr_ledger_set_time(l, 1700000000);
    qr_seal_key *k = key("ed25519.pem", true), *pub = key("ed25519.pub.pem", false);
    CHECK_EQ_INT(qr_seal_make(l, k, "ana", NULL, NULL, NULL, 0, &err), QR_EINVAL); /* empty */
    commit(l, "A", 1);
    commit(l, "A", 2);
    qr_seal made = {0};
    char written[600];
    CHECKF(qr_seal_make(l, k, "ana", NULL, &made, written, sizeof written, &err) == QR_OK, "%s",
           err.msg);
    snprintf(file, sizeof file, "%s.seal-1.json", ledger);
    CHECK(!strcmp(written, file));
    CHECK(made.n == 1 && made.head_id == 4 && made.event == 5 && made.files == 1 &&
          made.pages == 2 && made.archives == 2 && !strcmp(made.by, "ana") &&
          !strcmp(made.time, "2023-11-14T22:13:20Z") && !strcmp(made.alg, "ed25519"));
    /* the detached file is the event's detail */
    size_t len;
    char *text = (char *)qr_test_read(file, &len);
    qr_seal_list list = {0};
    CHECK(qr_ledger_seals_of(l, &list, &err) == QR_OK && list.n == 1);
    CHECK(list.n == 1 && !strcmp(list.v[0].payload, made.payload) &&
          !strcmp(list.v[0].sig, made.sig) && !strcmp(list.v[0].key, qr_seal_key_fingerprint(k)));
    CHECK(text && strstr(text, made.payload ? made.payload : "?") == NULL); /* sig inside */
    CHECK(text && made.payload && !strncmp(text, made.payload, strlen(made.payload) - 1));
    qr_seal_list_free(&list);
    free(text);
    CHECK_EQ_INT(qr_seal_make(l, k, "ana", file, NULL, NULL, 0, &err), QR_EINVAL); /* exists */

    qr_verify_summary sum;
    last_finding f;
    CHECK_EQ_INT(verify_seals(l, "ed25519.pub.pem", &sum, &f), 0);
    CHECK(sum.seals == 1 && sum.seals_valid == 1 && sum.seal_files == 1 &&
          sum.seal_files_valid == 1 && sum.sealed_to == 4 && sum.signatures_checked);
    CHECK(verify_seals(l, "ecdsa.pub.pem", &sum, &f) == 2 && sum.seals_valid == 0 &&
          strstr(f.what, "was not made with the key given"));

    /* what the seal covers */
    CHECK_EQ_INT(covered_by(l, pub, "A", 1), 1);
    CHECK_EQ_INT(covered_by(l, pub, "A", 2), 1);
    commit(l, "B", 1);
    CHECK_EQ_INT(covered_by(l, pub, "B", 1), 0);
    CHECKF(qr_seal_make(l, k, NULL, NULL, NULL, NULL, 0, &err) == QR_OK, "%s", err.msg);
    CHECK_EQ_INT(covered_by(l, pub, "B", 1), 2);
    CHECK_EQ_INT(covered_by(l, pub, "A", 1), 1);
    qr_seal_key *other = key("ecdsa.pub.pem", false);
    CHECK_EQ_INT(covered_by(l, other, "A", 1), 0);
    qr_seal_key_free(&other);
    qr_ledger_close(&l);

    /* a page row changed: A v1 no longer covered; the chain itself still holds */
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(ledger, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE pages SET source = 'x' WHERE file_id = 'A' AND version = 1",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK(qr_ledger_open_existing(ledger, &l, &err) == QR_OK);
    CHECK_EQ_INT(covered_by(l, pub, "A", 1), 0);
    CHECK_EQ_INT(covered_by(l, pub, "A", 2), 1);
    qr_ledger_close(&l);

    /* a member of seal 1 changed: its signature fails, and the chain breaks */
    CHECK(sqlite3_open(ledger, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TRIGGER events_no_update; UPDATE events SET detail ="
                           " json_set(detail, '$.pages', 3) WHERE kind = 'seal' AND"
                           " json_extract(detail, '$.seal') = 1", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    CHECK(qr_ledger_open_existing(ledger, &l, &err) == QR_OK);
    int n = 0;
    qr_verify_opts o = {0};
    char pub_path[600];
    path_of("ed25519.pub.pem", pub_path, sizeof pub_path);
    o.pubkey_path = pub_path;
    CHECK(qr_verify_ledger(l, &o, count_findings, &n, &sum, &err) == QR_OK);
    CHECK(sum.findings >= 3 && sum.seals_valid == 0);
    CHECK(verify_seals(l, "ed25519.pub.pem", &sum, &f) >= 1);
    qr_ledger_close(&l);
    qr_seal_free(&made);
    qr_seal_key_free(&k);
    qr_seal_key_free(&pub);
}

int main(void)
{
    qr_test_tmpdir("test_ledger_seal", dir, sizeof dir);
    test_keys();
    test_seal();
    return qr_test_end();
}
