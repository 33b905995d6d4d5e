/*
 * quire verify's ledger half: the finding writer and the walk of the event
 * chain, which every part of the check uses (qr_verify_ledger, in
 * verify_run.c, runs the chain, the rows, the archives and the seals).
 *
 * Why the chain walk is here and not qr_ledger_verify_events: a verifier
 * must say why the chain breaks where it does (an id missing, a prev_hash
 * that is not its predecessor's hash, fields that do not give the stored
 * hash), and what the intact prefix is, since a seal vouches only for the
 * events up to its head. After the first break nothing later can be
 * trusted to the chain, so the walk stops there; the row digests and the
 * seals are still checked, each on its own.
 * Runs on the thread that owns the ledger handle.
 */
#include "verify_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[QR_VERIFY__COUNT] = {
    "missing", "modified", "renamed", "stray", "unreadable", "provenance", "structure",
    "chain", "rows", "uncovered", "current", "seal", "timestamp",
};

const char *qr_verify_kind_name(qr_verify_kind k)
{
    return (unsigned)k < QR_VERIFY__COUNT ? KIND_NAMES[k] : "?";
}

int vf_emit(vf_out *o, qr_verify_kind kind, const char *file_id, int version, const char *path,
            int64_t event, const char *expected, const char *found, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (o->sum)
        o->sum->findings++;
    qr_verify_finding f = {.kind = kind, .file_id = file_id, .version = version, .path = path,
                           .what = what, .expected = expected, .found = found, .event = event};
    if (o->sink && !o->stop)
        o->stop = o->sink(o->user, &f);
    return o->stop;
}

int64_t vf_rows_from(qr_ledger *l)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT CAST(value AS INTEGER) FROM ledger_info"
                                     " WHERE key = 'rows_covered_from'", NULL);
    int64_t v = 1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v > 0 ? v : 1;
}

/* ---- The chain -------------------------------------------------------------- */

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Check one event against the running hash; a finding and false when it
 * does not follow. prev becomes its hash. */
static bool follows(vf_out *o, sqlite3_stmt *st, int64_t id, int64_t expect,
                    char prev[QR_SHA256_HEX])
{
    if (id != expect) {
        char a[32], b[32];
        snprintf(a, sizeof a, "event %" PRId64, expect);
        snprintf(b, sizeof b, "event %" PRId64, id);
        vf_emit(o, QR_VERIFY_CHAIN, NULL, 0, NULL, id, a, b, "the event log goes from event %"
                PRId64 " to event %" PRId64 ": %s removed", expect - 1, id,
                id - expect > 1 ? "events are" : "an event is");
        return false;
    }
    const char *f[7];
    for (int i = 0; i < 7; i++)
        f[i] = col(st, i + 1);
    const char *stored_prev = col(st, 8), *stored = col(st, 9);
    if (!stored_prev || strcmp(stored_prev, prev) != 0) {
        vf_emit(o, QR_VERIFY_CHAIN, NULL, 0, NULL, id, prev, stored_prev ? stored_prev : "NULL",
                "event %" PRId64 " does not follow event %" PRId64 ": its prev_hash is not "
                "that event's hash (an event was removed, inserted or moved there)", id,
                id - 1);
        return false;
    }
    char hash[QR_SHA256_HEX];
    if (lg_event_hash(prev, f, hash) != QR_OK || !stored || strcmp(hash, stored) != 0) {
        vf_emit(o, QR_VERIFY_CHAIN, f[3], 0, NULL, id, stored ? stored : "NULL", hash,
                "event %" PRId64 " (%s) does not give its hash: its fields were edited", id,
                f[4] ? f[4] : "?");
        return false;
    }
    memcpy(prev, hash, QR_SHA256_HEX);
    return true;
}

int qr_verify_chain(qr_ledger *l, qr_verify_sink sink, void *user, qr_verify_summary *sum,
                    qr_err *err)
{
    vf_out o = {sink, user, sum, 0};
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, CAST(id AS TEXT), ts, CAST(batch AS TEXT),"
                                     " file_id, kind, actor, detail, prev_hash, hash"
                                     " FROM events ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    char prev[QR_SHA256_HEX];
    memcpy(prev, LG_GENESIS, QR_SHA256_HEX);
    int64_t expect = 1, n = 0, good = 0;
    bool intact = true;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (!intact)
            continue;
        int64_t id = sqlite3_column_int64(st, 0);
        if ((intact = follows(&o, st, id, expect++, prev)))
            good = id;
    }
    sqlite3_finalize(st);
    if (s != SQLITE_DONE)
        return lg_fail(l, err, "reading events");
    sum->events = n;
    sum->chain_ok_to = good;
    memcpy(sum->head, good ? prev : "", good ? QR_SHA256_HEX : 1);
    return o.stop ? o.stop : QR_OK;
}
