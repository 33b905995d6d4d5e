/*
 * Row digests: what ties the rows the figures are computed from to the
 * hash-chained event log.
 *
 * The chain (events.c) makes the events tamper-evident, but the figures
 * come from other tables: files, pages, faults, inventory, plan, accepts,
 * rescan jobs, batches. So every event that writes such rows carries, in
 * its detail, the digest of those rows as the same transaction leaves them:
 *
 *   "rows":{"key":K,"<set>":"<sha256 hex>","n_<set>":N,...}
 *
 * K is the id of the row(s) covered (a files row for an outcome, which also
 * covers its pages and faults; a batch, an accept, a rescan job); the whole
 * inventory and the whole plan have no key. A row that changes later (a
 * batch that ends, a rescan job that closes, an inventory that grows) is
 * covered by the latest event that carries its set and key; an outcome's
 * rows and an accept never change. quire verify recomputes every digest
 * with this same code and compares (verify.c).
 *
 * Not covered, on purpose: files.current (derived: verify checks it against
 * the rule in commit.c instead), accepts.used_batch (which rerun applied an
 * accept: no figure depends on it) and archive_writes (writes in flight,
 * empty between runs).
 *
 * The digest is computed from the rows as SQLite returns them, so it holds
 * whatever the columns store, type included. Encoding (documented so that
 * anyone can recompute it): SHA-256 of "quire-rows/1\n" <set> "\n", then
 * per row "r" and per column in the order of the queries below: "n" for
 * NULL; "i" and 8 bytes big-endian two's complement for an integer; "f" and
 * the 8 bytes of the IEEE-754 double, big-endian, for a real; "t" (text) or
 * "b" (blob), 8 bytes big-endian length, then the bytes.
 * Runs on the handle's owning thread.
 */
#include "ledger_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct rowset_def {
    const char *name;
    const char *sql; /* ?1 = the key, when keyed */
    bool keyed;
} rowset_def;

static const rowset_def SETS[LG_ROWS__COUNT] = {
    [LG_ROWS_FILES] = {"files",
        "SELECT id, file_id, version, status, archive_path, archive_sha256,"
        " source_fingerprint, batch, pages, updated FROM files WHERE id = ?1", true},
    [LG_ROWS_PAGES] = {"pages",
        "SELECT outcome, file_id, version, page, source, source_sha256, format, width,"
        " height, dpi, skew_deg, skew_applied_deg, orientation, rotation_applied, metrics,"
        " verdict, batch, origin_batch, source_path, source_member, source_page, separator"
        " FROM pages WHERE outcome = ?1 ORDER BY page", true},
    [LG_ROWS_FAULTS] = {"faults",
        "SELECT id, outcome, file_id, version, page, kind, value, threshold, detail, batch,"
        " accepted FROM faults WHERE outcome = ?1 ORDER BY id", true},
    [LG_ROWS_BATCHES] = {"batches",
        "SELECT id, started, ended, status, host, user, delivery, options, quire_version,"
        " files_archived, files_faulty, files_uptodate, pages, faults"
        " FROM batches WHERE id = ?1", true},
    [LG_ROWS_INVENTORY] = {"inventory",
        "SELECT file_id, box, expected_pages, title, metadata, source, first_seen,"
        " first_batch FROM inventory ORDER BY file_id", false},
    [LG_ROWS_PLAN] = {"plan", "SELECT date, target_percent FROM plan ORDER BY date", false},
    [LG_ROWS_ACCEPTS] = {"accepts",
        "SELECT id, file_id, page, kind, reason, actor, at FROM accepts WHERE id = ?1", true},
    [LG_ROWS_JOBS] = {"rescan_jobs",
        "SELECT id, file_id, pages, reason, kinds, actor, submitted, created_batch, status,"
        " resolved_batch, closed, detail, delivered_batch FROM rescan_jobs WHERE id = ?1",
        true},
};

const char *lg_rowset_name(lg_rowset set)
{
    return (unsigned)set < LG_ROWS__COUNT ? SETS[set].name : "?";
}

bool lg_rowset_keyed(lg_rowset set)
{
    return (unsigned)set < LG_ROWS__COUNT && SETS[set].keyed;
}

int lg_rowset_from_name(const char *name)
{
    for (int i = 0; name && i < LG_ROWS__COUNT; i++)
        if (!strcmp(SETS[i].name, name))
            return i;
    return -1;
}

static void put_u64(qr_sha256 *h, char tag, uint64_t v)
{
    uint8_t b[9];
    b[0] = (uint8_t)tag;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    qr_sha256_update(h, b, sizeof b);
}

static void hash_column(qr_sha256 *h, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        qr_sha256_update(h, "n", 1);
        break;
    case SQLITE_INTEGER:
        put_u64(h, 'i', (uint64_t)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        put_u64(h, 'f', bits);
        break;
    }
    default: {
        bool text = sqlite3_column_type(st, i) == SQLITE_TEXT;
        const void *p = text ? (const void *)sqlite3_column_text(st, i) : sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        put_u64(h, text ? 't' : 'b', (uint64_t)(n > 0 ? n : 0));
        if (p && n > 0)
            qr_sha256_update(h, p, (size_t)n);
    }
    }
}

int lg_rows_digest(qr_ledger *l, lg_rowset set, int64_t key, char hex[QR_SHA256_HEX],
                   int64_t *n_rows, qr_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = lg_rows_digest_with(l, set, key, &st, hex, n_rows, err);
    sqlite3_finalize(st);
    return rc;
}

int lg_rows_digest_with(qr_ledger *l, lg_rowset set, int64_t key, sqlite3_stmt **cache,
                        char hex[QR_SHA256_HEX], int64_t *n_rows, qr_err *err)
{
    if ((unsigned)set >= LG_ROWS__COUNT)
        return qr_err_set(err, QR_EINVAL, "ledger: unknown row set %d", (int)set);
    if (!*cache && !(*cache = lg_prepare(l, SETS[set].sql, err)))
        return QR_EFATAL;
    sqlite3_stmt *st = *cache;
    sqlite3_reset(st);
    if (SETS[set].keyed)
        sqlite3_bind_int64(st, 1, key);
    qr_sha256 *h = qr_sha256_new();
    if (!h)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    qr_sha256_update(h, "quire-rows/1\n", 13);
    qr_sha256_update(h, SETS[set].name, strlen(SETS[set].name));
    qr_sha256_update(h, "\n", 1);
    int64_t n = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        qr_sha256_update(h, "r", 1);
        for (int i = 0; i < sqlite3_column_count(st); i++)
            hash_column(h, st, i);
        n++;
    }
    sqlite3_reset(st);
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_final(h, d);
    qr_sha256_free(&h);
    if (s != SQLITE_DONE)
        return lg_fail(l, err, "reading rows for their digest");
    qr_hex(d, sizeof d, hex);
    if (n_rows)
        *n_rows = n;
    return QR_OK;
}

/* Append ,"<set>":"<hex>","n_<set>":N for one set. */
static int rows_member(qr_ledger *l, qr_buf *b, lg_rowset set, int64_t key, qr_err *err)
{
    char hex[QR_SHA256_HEX];
    int64_t n = 0;
    int rc = lg_rows_digest(l, set, key, hex, &n, err);
    if (rc != QR_OK)
        return rc;
    if (qr_buf_printf(b, ",\"%s\":\"%s\",\"n_%s\":%" PRId64, SETS[set].name, hex,
                      SETS[set].name, n) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    return QR_OK;
}

int lg_rows_json(qr_ledger *l, qr_buf *b, const lg_rowset *sets, size_t n_sets, int64_t key,
                 bool first, qr_err *err)
{
    bool keyed = n_sets > 0 && SETS[sets[0]].keyed;
    const char *sep = first ? "" : ",";
    int rc = keyed ? qr_buf_printf(b, "%s\"rows\":{\"key\":%" PRId64, sep, key)
                   : qr_buf_printf(b, "%s\"rows\":{\"key\":null", sep);
    if (rc != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    for (size_t i = 0; i < n_sets && rc == QR_OK; i++)
        rc = rows_member(l, b, sets[i], key, err);
    if (rc == QR_OK && qr_buf_printf(b, "}") != QR_OK)
        rc = qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    return rc;
}

/* Whether the JSON object text d[0..len) (its closing brace cut off) has
 * no member yet. */
static bool no_member(const char *d, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (d[i] != ' ' && d[i] != '\n' && d[i] != '\t' && d[i] != '\r')
            return false;
    return true;
}

int lg_event_append_rows(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                         const char *actor, const char *detail_json, const lg_rowset *sets,
                         size_t n_sets, int64_t key, qr_err *err)
{
    const char *d = detail_json ? detail_json : "{}";
    size_t len = strlen(d);
    while (len > 0 && d[len - 1] != '}')
        len--;
    if (len < 2 || d[0] != '{')
        return qr_err_set(err, QR_EINVAL, "ledger: an event's detail is not a JSON object");
    qr_buf b = {0};
    int rc = qr_buf_append(&b, d, len - 1) == QR_OK ? QR_OK
             : qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    if (rc == QR_OK)
        rc = lg_rows_json(l, &b, sets, n_sets, key, no_member(d, len - 1), err);
    if (rc == QR_OK && qr_buf_append(&b, "}", 2) != QR_OK)
        rc = qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    if (rc == QR_OK)
        rc = lg_event_append(l, batch, file_id, kind, actor, (const char *)b.data, err);
    qr_buf_free(&b);
    return rc;
}
