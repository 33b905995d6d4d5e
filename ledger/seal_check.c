/*
 * Checking seals: those in the ledger and the detached copies, for quire
 * verify, and the answer the release of boxes needs (is this archive version
 * under a valid seal?).
 *
 * A seal holds when: the event at its head position has the hash it
 * signed and the chain is intact up to there (a chain recomputed after an
 * edit has other hashes, however consistent); the counts it signed are
 * what the events up to its head say; rows_covered_from is still what it
 * was; and, given the public key, it was made with that key (fingerprint)
 * and its signature verifies over the payload rebuilt from its members (so
 * a member changed after signing, or a seal made up by someone without the
 * key, fails). A detached seal must also still be in the ledger, with the
 * same signature: a seal event removed along with a rewritten chain is
 * found by the copy kept elsewhere. Detached files next to the ledger
 * (<ledger>.seal-<n>.json) are checked without being named; others with
 * quire verify --seal FILE.
 * Runs on the thread that owns the ledger handle.
 */
#include "seal_int.h"

#include <dirent.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAFE_DETAIL(d) "(CASE WHEN json_valid(" d ") THEN " d " ELSE '{}' END)"
#define MAX_SEAL_FILE (64u * 1024)

typedef struct check_ctx {
    qr_ledger *l;
    vf_out out;
    const qr_seal_key *key;     /* NULL: signatures not checked */
    int64_t chain_ok_to;
    int64_t rows_from;
} check_ctx;

/* The hash of event id; "" when there is none. */
static void event_hash_of(qr_ledger *l, int64_t id, char out[QR_SHA256_HEX])
{
    out[0] = '\0';
    sqlite3_stmt *st = lg_prepare(l, "SELECT hash FROM events WHERE id = ?", NULL);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, QR_SHA256_HEX, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* "seal 2" or "seal 2 (FILE)" */
static void seal_name(const qr_seal *s, const char *file, char *out, size_t cap)
{
    if (file)
        snprintf(out, cap, "seal %d (%s)", s->n, file);
    else
        snprintf(out, cap, "seal %d", s->n);
}

static bool check_head(check_ctx *c, const qr_seal *s, const char *name)
{
    char hash[QR_SHA256_HEX];
    event_hash_of(c->l, s->head_id, hash);
    if (strcmp(hash, s->head) != 0) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, s->head_id, s->head,
                hash[0] ? hash : "no such event", "%s: event %" PRId64 " is not the event it "
                "sealed: the events up to it were rewritten", name, s->head_id);
        return false;
    }
    return s->head_id <= c->chain_ok_to; /* a break before it was reported by the chain */
}

static bool check_counts(check_ctx *c, const qr_seal *s, const char *name, qr_err *err)
{
    int64_t f = 0, p = 0, a = 0;
    if (vs_counts_at(c->l, s->head_id, &f, &p, &a, err) != QR_OK)
        return false;
    if (f == s->files && p == s->pages && a == s->archives)
        return true;
    char want[96], got[96];
    snprintf(want, sizeof want, "%" PRId64 " files, %" PRId64 " pages, %" PRId64 " versions",
             s->files, s->pages, s->archives);
    snprintf(got, sizeof got, "%" PRId64 " files, %" PRId64 " pages, %" PRId64 " versions", f,
             p, a);
    vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, s->head_id, want, got, "%s: the events up "
            "to %" PRId64 " no longer give the archives it sealed", name, s->head_id);
    return false;
}

static bool check_signature(check_ctx *c, const qr_seal *s, const char *name)
{
    if (!c->key)
        return true;
    if (strcmp(s->key, qr_seal_key_fingerprint(c->key)) != 0) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, s->event,
                qr_seal_key_fingerprint(c->key), s->key, "%s was not made with the key given "
                "(its key's fingerprint is another)", name);
        return false;
    }
    if (strcmp(s->alg, qr_seal_key_alg(c->key)) != 0 ||
        !vs_verify(c->key, s->payload, strlen(s->payload), s->sig)) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, s->event, NULL, NULL, "%s: its "
                "signature does not verify: the seal was forged or changed after signing",
                name);
        return false;
    }
    return true;
}

/* Every check of one seal; true when it holds. */
static bool check_one(check_ctx *c, const qr_seal *s, int format, const char *file,
                      qr_err *err)
{
    char name[4200];
    seal_name(s, file, name, sizeof name);
    if (format != VS_FORMAT || !s->payload) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, file, s->event, NULL, NULL, "%s is not a "
                "seal this quire can read", name);
        return false;
    }
    bool ok = check_head(c, s, name);
    ok = check_counts(c, s, name, err) && ok;
    if (s->rows_from != c->rows_from) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%" PRId64, s->rows_from);
        snprintf(b, sizeof b, "%" PRId64, c->rows_from);
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, s->event, a, b, "%s: the event from "
                "which rows are covered (ledger_info rows_covered_from) was changed", name);
        ok = false;
    }
    return check_signature(c, s, name) && ok;
}

/* ---- detached files ------------------------------------------------------------ */

/* Whether the ledger holds seal s (same number, same signature). */
static bool in_ledger(const qr_seal_list *list, const qr_seal *s)
{
    for (size_t i = 0; i < list->n; i++)
        if (list->v[i].n == s->n && list->v[i].sig && s->sig && !strcmp(list->v[i].sig, s->sig))
            return true;
    return false;
}

static int check_file(check_ctx *c, const qr_seal_list *list, const char *path,
                      qr_verify_summary *sum, qr_err *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    qr_err e = {0};
    qr_seal s = {0};
    int format = 0;
    int rc = qr_read_file(path, MAX_SEAL_FILE, &text, &len, &e);
    if (rc == QR_OK && memchr(text, 0, len))
        rc = qr_err_set(&e, QR_ECORRUPT, "it holds a NUL byte");
    if (rc == QR_OK)
        rc = vs_from_json(c->l, (const char *)text, &s, &format, &e);
    free(text);
    if (rc == QR_ENOMEM || rc == QR_EFATAL) {
        *err = e;
        return rc;
    }
    if (rc != QR_OK) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, path, 0, NULL, NULL, "seal file %s cannot be "
                "read as a seal: %s", path, e.msg);
        return QR_OK;
    }
    sum->seal_files++;
    bool ok = check_one(c, &s, format, path, err);
    if (!in_ledger(list, &s)) {
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, path, s.head_id, NULL, NULL, "seal %d of %s "
                "is not in the ledger: its seal event was removed or replaced", s.n, path);
        ok = false;
    }
    sum->seal_files_valid += ok && c->key;
    qr_seal_free(&s);
    return QR_OK;
}

/* "<ledger>.seal-<n>.json" beside the ledger: each is checked. */
static int files_beside(check_ctx *c, const qr_seal_list *list, qr_verify_summary *sum,
                        qr_err *err)
{
    char dcopy[4096], bcopy[4096];
    snprintf(dcopy, sizeof dcopy, "%s", c->l->path);
    snprintf(bcopy, sizeof bcopy, "%s", c->l->path);
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    DIR *d = opendir(dir);
    if (!d)
        return QR_OK;
    char prefix[4200], path[8400];
    snprintf(prefix, sizeof prefix, "%s.seal-", base);
    size_t pn = strlen(prefix);
    struct dirent *e;
    int rc = QR_OK;
    while (rc == QR_OK && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > pn + 5 && !strncmp(e->d_name, prefix, pn) && !strcmp(e->d_name + n - 5, ".json")) {
            if (strchr(c->l->path, '/'))
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            else /* a ledger named without a folder: its seals the same way */
                snprintf(path, sizeof path, "%s", e->d_name);
            rc = check_file(c, list, path, sum, err);
        }
    }
    closedir(d);
    return rc;
}

/* ---- time-stamps ----------------------------------------------------------------- */

static int check_stamps(check_ctx *c, const qr_seal_list *list, const char *ca,
                        qr_verify_summary *sum, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(c->l, "SELECT id, json_extract(" SAFE_DETAIL("detail")
                                        ", '$.seal'), json_extract(" SAFE_DETAIL("detail")
                                        ", '$.tsr') FROM events WHERE kind = 'seal_timestamp'"
                                        " ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    while (sqlite3_step(st) == SQLITE_ROW && !c->out.stop) {
        int64_t ev = sqlite3_column_int64(st, 0);
        sum->timestamps++;
        int n = sqlite3_column_int(st, 1);
        const qr_seal *s = NULL;
        for (size_t i = 0; i < list->n; i++)
            if (list->v[i].n == n && list->v[i].payload)
                s = &list->v[i];
        if (!ca)
            continue;
        char why[512] = "it stamps no seal of this ledger", when[32];
        uint8_t d[QR_SHA256_LEN];
        if (s)
            vs_payload_digest(s, d);
        if (s && vs_ts_check((const char *)sqlite3_column_text(st, 2), d, ca, when, why,
                             sizeof why)) {
            sum->timestamps_valid++;
            continue;
        }
        vf_emit(&c->out, QR_VERIFY_TIMESTAMP, NULL, 0, NULL, ev, NULL, NULL, "the time-stamp "
                "token of seal %d (event %" PRId64 ") does not hold: %s", n, ev, why);
    }
    sqlite3_finalize(st);
    if (ca && sum->timestamps == 0)
        vf_emit(&c->out, QR_VERIFY_TIMESTAMP, NULL, 0, NULL, 0, NULL, NULL, "no seal of the "
                "ledger has a time-stamp token (quire seal --tsq, then --tsr)");
    return QR_OK;
}

/* ---- the checks of quire verify ----------------------------------------------------- */

static int check_ledger_seals(check_ctx *c, const qr_seal_list *list, qr_verify_summary *sum,
                              qr_err *err)
{
    for (size_t i = 0; i < list->n && !c->out.stop; i++) {
        const qr_seal *s = &list->v[i];
        int format = s->payload ? VS_FORMAT : 0;
        bool ok = check_one(c, s, format, NULL, err);
        sum->seals++;
        if (ok && c->key) {
            sum->seals_valid++;
            if (s->head_id > sum->sealed_to)
                sum->sealed_to = s->head_id;
        }
    }
    if (c->key && list->n == 0)
        vf_emit(&c->out, QR_VERIFY_SEAL, NULL, 0, NULL, 0, NULL, NULL, "the ledger holds no "
                "seal (quire seal --key KEY.pem makes one)");
    return QR_OK;
}

int qr_verify_seals(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                    qr_verify_summary *sum, qr_err *err)
{
    check_ctx c = {.l = l, .out = {sink, user, sum, 0}, .chain_ok_to = sum->chain_ok_to,
                   .rows_from = vf_rows_from(l)};
    qr_seal_key *key = NULL;
    int rc = o->pubkey_path ? qr_seal_key_load(o->pubkey_path, false, &key, err) : QR_OK;
    if (rc != QR_OK)
        return rc;
    c.key = key;
    sum->signatures_checked = key != NULL;
    sum->timestamps_checked = o->tsa_cert_path != NULL;
    qr_seal_list list;
    rc = qr_ledger_seals_of(l, &list, err);
    if (rc == QR_OK)
        rc = check_ledger_seals(&c, &list, sum, err);
    if (rc == QR_OK && strcmp(l->path, ":memory:"))
        rc = files_beside(&c, &list, sum, err);
    for (size_t i = 0; rc == QR_OK && i < o->n_seal_files; i++)
        rc = check_file(&c, &list, o->seal_files[i], sum, err);
    if (rc == QR_OK)
        rc = check_stamps(&c, &list, o->tsa_cert_path, sum, err);
    qr_seal_list_free(&list);
    qr_seal_key_free(&key);
    return rc != QR_OK ? rc : c.out.stop;
}

/* ---- is a version sealed? ------------------------------------------------------------ */

struct qr_sealed {
    int64_t *heads;             /* the heads of the valid seals, by seal */
    int *numbers;
    size_t n;
};

static int count_only(void *user, const qr_verify_finding *f)
{
    (void)f;
    (*(int64_t *)user)++;
    return 0;
}

int qr_sealed_open(qr_ledger *l, const qr_seal_key *pub, qr_sealed **out, qr_err *err)
{
    *out = NULL;
    qr_verify_summary sum = {0};
    int rc = qr_verify_chain(l, NULL, NULL, &sum, err);
    qr_seal_list list = {0};
    if (rc == QR_OK)
        rc = qr_ledger_seals_of(l, &list, err);
    qr_sealed *s = rc == QR_OK ? calloc(1, sizeof *s) : NULL;
    if (rc == QR_OK && (!s || !(s->heads = calloc(list.n + 1, sizeof *s->heads)) ||
                        !(s->numbers = calloc(list.n + 1, sizeof *s->numbers))))
        rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    int64_t bad = 0;
    check_ctx c = {.l = l, .out = {count_only, &bad, NULL, 0}, .key = pub,
                   .chain_ok_to = sum.chain_ok_to, .rows_from = vf_rows_from(l)};
    for (size_t i = 0; rc == QR_OK && i < list.n; i++) {
        int64_t before = bad;
        bool ok = pub && check_one(&c, &list.v[i], list.v[i].payload ? VS_FORMAT : 0, NULL, err);
        if (ok && bad == before) {
            s->heads[s->n] = list.v[i].head_id;
            s->numbers[s->n++] = list.v[i].n;
        }
    }
    qr_seal_list_free(&list);
    if (rc != QR_OK) {
        qr_sealed_close(&s);
        return rc;
    }
    *out = s;
    return QR_OK;
}

/* The outcome event of an archived version and its files row. */
static int outcome_event(qr_ledger *l, const char *file_id, int version, int64_t *event,
                         int64_t *row, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT e.id, f.id FROM files f JOIN events e"
        " ON e.file_id = f.file_id AND e.kind = 'archived'"
        " AND json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.key') = f.id"
        " WHERE f.file_id = ? AND f.version = ? AND f.status = 'archived'"
        " ORDER BY e.id LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    sqlite3_bind_int(st, 2, version);
    int s = sqlite3_step(st);
    *event = *row = 0;
    if (s == SQLITE_ROW) {
        *event = sqlite3_column_int64(st, 0);
        *row = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading events");
}

int qr_sealed_covers(qr_sealed *s, qr_ledger *l, const char *file_id, int version, int *seal_n,
                     qr_err *err)
{
    *seal_n = 0;
    int64_t event, row, bad = 0;
    int rc = outcome_event(l, file_id, version, &event, &row, err);
    if (rc != QR_OK || !event)
        return rc;
    vf_out out = {count_only, &bad, NULL, 0};
    if ((rc = vf_outcome_rows(l, row, &out, err)) != QR_OK || bad)
        return rc;
    for (size_t i = 0; i < s->n && !*seal_n; i++)
        if (s->heads[i] >= event)
            *seal_n = s->numbers[i];
    return QR_OK;
}

void qr_sealed_close(qr_sealed **s)
{
    if (!s || !*s)
        return;
    free((*s)->heads);
    free((*s)->numbers);
    free(*s);
    *s = NULL;
}
