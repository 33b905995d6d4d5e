/*
 * Internals shared by the ledger's files: the handle, transaction helpers,
 * timestamps and JSON escaping. Used only on the thread that owns the handle.
 */
#ifndef QR_LEDGER_INT_H
#define QR_LEDGER_INT_H

#include <sqlite3.h>

#include "qr_ledger.h"

struct qr_ledger {
    sqlite3 *db;
    char *path;
    time_t fixed_time; /* 0 = real clock */
    int tx_depth;      /* > 0 inside qr_ledger_tx_begin */
    int savepoint_seq;
};

/* Set err from the connection's last error, prefixed with what failed. */
int lg_fail(qr_ledger *l, qr_err *err, const char *what);
/* Execute SQL without results. */
int lg_exec(qr_ledger *l, const char *sql, qr_err *err);
/* Prepare; on failure err is set and NULL returned. */
sqlite3_stmt *lg_prepare(qr_ledger *l, const char *sql, qr_err *err);
/* Bind a text that may be NULL. */
void lg_bind_text(sqlite3_stmt *st, int i, const char *s);

/* A write transaction, nested as a savepoint inside qr_ledger_tx_begin. */
int lg_tx_open(qr_ledger *l, qr_err *err);
int lg_tx_close(qr_ledger *l, bool commit, qr_err *err);

/* "YYYY-MM-DDTHH:MM:SSZ" of the ledger's clock. */
void lg_now(qr_ledger *l, char out[32]);

/* Append one chained event inside the caller's transaction. */
int lg_event_append(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                    const char *actor, const char *detail_json, qr_err *err);

/* The hash of one event from its predecessor's hash and its fields (id, ts,
 * batch, file_id, kind, actor, detail as text, NULL allowed): the rule of
 * the chain, also for quire verify. */
int lg_event_hash(const char *prev, const char *const f[7], char out[QR_SHA256_HEX]);
/* The first event's prev_hash: 64 zeros. */
extern const char LG_GENESIS[QR_SHA256_HEX];

/* ---- Row digests (digest.c) ----------------------------------------------- */

/* The sets of rows an event can cover. Keyed sets are the rows of one id
 * (files/pages/faults of one outcome, one batch, accept or rescan job);
 * inventory and plan are covered whole. */
typedef enum lg_rowset {
    LG_ROWS_FILES = 0, /* the files row id = key (all but current) */
    LG_ROWS_PAGES,     /* the pages of outcome key */
    LG_ROWS_FAULTS,    /* the faults of outcome key */
    LG_ROWS_BATCHES,   /* the batches row id = key */
    LG_ROWS_INVENTORY, /* the whole inventory */
    LG_ROWS_PLAN,      /* the whole plan */
    LG_ROWS_ACCEPTS,   /* the accepts row id = key (all but used_batch) */
    LG_ROWS_JOBS,      /* the rescan_jobs row id = key */
    LG_ROWS__COUNT
} lg_rowset;

/* Its name in an event's "rows" object ("files", ..., "rescan_jobs"), and back
 * (-1 when unknown). */
const char *lg_rowset_name(lg_rowset set);
int lg_rowset_from_name(const char *name);
bool lg_rowset_keyed(lg_rowset set);
/* The digest of a set's rows as stored now (key ignored for a whole set);
 * *n_rows (may be NULL) = how many rows. */
int lg_rows_digest(qr_ledger *l, lg_rowset set, int64_t key, char hex[QR_SHA256_HEX],
                   int64_t *n_rows, qr_err *err);
/* The same with the set's statement kept in *cache between calls (NULL at
 * first; the caller finalizes it): for checking many keys. */
int lg_rows_digest_with(qr_ledger *l, lg_rowset set, int64_t key, sqlite3_stmt **cache,
                        char hex[QR_SHA256_HEX], int64_t *n_rows, qr_err *err);
/* Append "rows":{"key":K,"<set>":"<hex>","n_<set>":N,...} (a comma first
 * unless first) for the given sets, all of one key. */
int lg_rows_json(qr_ledger *l, qr_buf *b, const lg_rowset *sets, size_t n_sets, int64_t key,
                 bool first, qr_err *err);
/* lg_event_append with the rows member added to detail_json (a JSON object):
 * what every event that writes rows the figures depend on uses, inside the
 * transaction that wrote them, after writing them. */
int lg_event_append_rows(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                         const char *actor, const char *detail_json, const lg_rowset *sets,
                         size_t n_sets, int64_t key, qr_err *err);

/* Whether the inventory or any outcome knows file_id: 1 known, 0 unknown,
 * -1 error (err set). */
int lg_file_known(qr_ledger *l, const char *file_id, qr_err *err);

/* Who ran batch (its user), else qr_actor_default(): the actor of events an
 * ingest records. */
void lg_batch_user(qr_ledger *l, int64_t batch, char *out, size_t cap);

/* Rescan jobs follow a file's outcome inside commit_file's transaction:
 * archived closes the file's jobs; faulty opens (or reopens) one. */
int lg_rescan_on_outcome(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err);

/* SQL: whether fault row x is covered by a reviewer's accept (same file and
 * kind, the accept's page 0 or the fault's page). One rule for quire faults,
 * the exports and the status, so an accept shows everywhere at once. */
#define LG_SQL_ACCEPT_COVERS(x)                                                         \
    "EXISTS (SELECT 1 FROM accepts a WHERE a.file_id = " x ".file_id"                   \
    " AND a.kind = " x ".kind AND a.page IN (0, " x ".page))"

/* SQL: the faults x of each file's latest outcome when that outcome is faulty
 * (c is the file's current outcome: a faulty rescan of an archived file is
 * latest without being current). Continue with " AND ...". */
#define LG_SQL_LATEST_FAULTS                                                            \
    " FROM files c CROSS JOIN faults x"                                                 \
    " ON x.outcome = (SELECT max(g.id) FROM files g WHERE g.file_id = c.file_id)"       \
    " WHERE c.current = 1 AND (c.status = 'faulty' OR x.outcome <> c.id)"

/* Migrations (schema.c). */
int lg_migrate(qr_ledger *l, qr_err *err);
/* QR_EFATAL saying why a ledger of schema version v (not this quire's) is not
 * opened: newer than this quire, or older and which commands upgrade it. */
int lg_version_refusal(const char *path, int v, qr_err *err);

/* qr_ledger_probe, also giving the schema version it read (0 when none). */
int lg_probe(const char *path, qr_ledger_state *state, int *version, qr_err *err);

/* When the file system is why path cannot be opened for writing (its folder
 * takes no new file, so SQLite cannot make -wal and -shm there, or the file
 * itself is read-only): QR_EFATAL with a message naming the file and the
 * cause. QR_OK, err untouched, when no such cause is found. Call it with no
 * connection open on path. (probe.c) */
int lg_write_refusal(const char *path, qr_err *err);
/* The "file:" URI that opens path for reading where its folder takes no new
 * file, when that is safe: "mode=ro" when its -wal and -shm are both there,
 * "immutable=1" when there is no -wal and the file system is mounted
 * read-only (nobody can change the file then). NULL otherwise, with err
 * saying why the ledger cannot be read there when the folder is the cause,
 * untouched when it is not. The caller frees the URI. (probe.c) */
char *lg_readonly_uri(const char *path, qr_err *err);

/* A box's state for the release (release.c): its files' current versions,
 * statuses and SHA-256s, its jobs not closed, an earlier release; compared
 * under the write lock with the state the check saw. *out is malloc'd. */
int lg_box_state(qr_ledger *l, const char *box, char **out, qr_err *err);

#endif
