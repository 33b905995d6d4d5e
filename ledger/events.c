/*
 * The append-only event log. Every row carries the SHA-256 of the previous
 * row's hash and its own fields, so editing, deleting or reordering any row
 * breaks the chain from that row on; qr_ledger_verify_events finds the first
 * broken row. Triggers refuse UPDATE and DELETE through SQLite; the chain
 * catches edits made behind SQLite's back.
 *
 * The hash input is unambiguous: prev_hash, then each field as "-" for NULL
 * or "<length>:<bytes>", in the order id, ts, batch, file_id, kind, actor,
 * detail. Appending runs inside the caller's write transaction, which holds
 * SQLite's write lock, so reading the last hash and appending cannot race
 * another writer process.
 *
 * The chain covers the events only. The rows the figures come from are
 * tied to it by the digest of those rows that each event writing them
 * carries in its detail (digest.c); quire verify walks both (verify.c), and
 * a seal signs the chain's head so that a chain recomputed from scratch is
 * found too (seal.c).
 */
#include "ledger_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

const char LG_GENESIS[QR_SHA256_HEX] = GENESIS;

static void hash_field(qr_sha256 *h, const char *s)
{
    char len[32];
    if (!s) {
        qr_sha256_update(h, "-", 1);
        return;
    }
    int n = snprintf(len, sizeof len, "%zu:", strlen(s));
    qr_sha256_update(h, len, (size_t)n);
    qr_sha256_update(h, s, strlen(s));
}

/* fields: id, ts, batch, file_id, kind, actor, detail (text, NULL allowed). */
int lg_event_hash(const char *prev, const char *const f[7], char out[QR_SHA256_HEX])
{
    qr_sha256 *h = qr_sha256_new();
    if (!h)
        return QR_ENOMEM;
    qr_sha256_update(h, prev, strlen(prev));
    for (int i = 0; i < 7; i++)
        hash_field(h, f[i]);
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_final(h, d);
    qr_sha256_free(&h);
    qr_hex(d, sizeof d, out);
    return QR_OK;
}

/* The last row's id and hash (GENESIS, 0 when empty). */
static int last_event(qr_ledger *l, int64_t *id, char hash[QR_SHA256_HEX], qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    *id = 0;
    snprintf(hash, QR_SHA256_HEX, "%s", GENESIS);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(hash, QR_SHA256_HEX, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading events");
}

void lg_batch_user(qr_ledger *l, int64_t batch, char *out, size_t cap)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT user FROM batches WHERE id=?", NULL);
    snprintf(out, cap, "%s", qr_actor_default());
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, batch);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

int lg_event_append(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                    const char *actor, const char *detail_json, qr_err *err)
{
    int64_t id;
    char prev[QR_SHA256_HEX], hash[QR_SHA256_HEX], ts[32], ids[32], bs[32];
    int rc = last_event(l, &id, prev, err);
    if (rc != QR_OK)
        return rc;
    lg_now(l, ts);
    snprintf(ids, sizeof ids, "%" PRId64, id + 1);
    snprintf(bs, sizeof bs, "%" PRId64, batch);
    const char *detail = detail_json ? detail_json : "{}";
    char user[256] = "";
    if (!actor && batch > 0)
        lg_batch_user(l, batch, user, sizeof user);
    const char *who = actor ? actor : user;
    const char *f[7] = {ids, ts, batch ? bs : NULL, file_id, kind, who, detail};
    if ((rc = lg_event_hash(prev, f, hash)) != QR_OK)
        return qr_err_set(err, rc, "ledger %s: hashing an event", l->path);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO events(id, ts, batch, file_id, kind, actor,"
                                     " detail, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, id + 1);
    for (int i = 1; i < 7; i++)
        lg_bind_text(st, i + 1, f[i]);
    lg_bind_text(st, 8, prev);
    lg_bind_text(st, 9, hash);
    rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "appending an event");
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_event(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                    const char *actor, const char *detail_json, qr_err *err)
{
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = lg_event_append(l, batch, file_id, kind, actor, detail_json, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Check one row against the running hash; false when broken. */
static bool verify_row(sqlite3_stmt *st, char prev[QR_SHA256_HEX])
{
    const char *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = col_text(st, i);
    const char *stored_prev = col_text(st, 7), *stored = col_text(st, 8);
    char hash[QR_SHA256_HEX];
    if (!stored_prev || !stored || strcmp(stored_prev, prev) != 0)
        return false;
    if (lg_event_hash(prev, f, hash) != QR_OK || strcmp(hash, stored) != 0)
        return false;
    memcpy(prev, hash, QR_SHA256_HEX);
    return true;
}

int qr_ledger_verify_events(qr_ledger *l, int64_t *n_events, int64_t *bad_id, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT CAST(id AS TEXT), ts, CAST(batch AS TEXT), file_id,"
                                     " kind, actor, detail, prev_hash, hash, id"
                                     " FROM events ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    char prev[QR_SHA256_HEX] = GENESIS;
    int64_t n = 0, bad = 0, expect_id = 1;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 9);
        n++;
        if (id != expect_id++ || !verify_row(st, prev)) {
            bad = id;
            break;
        }
    }
    sqlite3_finalize(st);
    if (n_events)
        *n_events = n;
    if (bad_id)
        *bad_id = bad;
    if (bad)
        return qr_err_set(err, QR_ECORRUPT,
                          "ledger %s: event log broken at event %" PRId64 " (edited, removed "
                          "or reordered)", l->path, bad);
    return s == SQLITE_DONE || s == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading events");
}

int qr_ledger_file_events(qr_ledger *l, const char *file_id,
                          int (*fn)(void *user, const qr_ledger_event_row *ev), void *user,
                          qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, coalesce(batch, 0), ts, file_id, kind, actor,"
                                     " detail FROM events WHERE file_id = ? ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int s, stop = 0;
    while (!stop && (s = sqlite3_step(st)) == SQLITE_ROW) {
        qr_ledger_event_row ev = {
            .id = sqlite3_column_int64(st, 0), .batch = sqlite3_column_int64(st, 1),
            .ts = (const char *)sqlite3_column_text(st, 2),
            .file_id = (const char *)sqlite3_column_text(st, 3),
            .kind = (const char *)sqlite3_column_text(st, 4),
            .actor = (const char *)sqlite3_column_text(st, 5),
            .detail = (const char *)sqlite3_column_text(st, 6)};
        stop = fn(user, &ev);
    }
    int rc = stop ? stop : s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading events");
    sqlite3_finalize(st);
    return rc;
}
