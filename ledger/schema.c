/*
 * The ledger's schema and its forward migrations, and opening the database.
 *
 * PRAGMA user_version holds the schema version; MIGRATIONS[i] takes the
 * schema from version i to i+1 and runs in one transaction together with the
 * user_version update, so a ledger is always at a whole version. A ledger
 * newer than this program is refused rather than guessed at.
 *
 * Two ways in, so that a mistyped path never becomes a new, empty ledger:
 * qr_ledger_open creates a ledger where there is none (or an empty file) and
 * migrates an older one — for the commands that build the ledger up (ingest,
 * inventory import, plan set/import); qr_ledger_open_existing opens only a
 * quire ledger of this very schema and otherwise refuses, having written
 * nothing — for every other command. Both first ask qr_ledger_probe (probe.c)
 * what is at the path, so neither ever writes into a file that is not a
 * quire ledger (a manifest, another program's database). A command that
 * only reads uses qr_ledger_open_readonly, which is open_existing that can
 * also read a ledger on a read-only file system (when that is safe, see
 * lg_readonly_uri); an open the file system refuses names the file and the
 * cause instead of SQLite's "unable to open database file".
 *
 * Durability: WAL with synchronous=NORMAL. A process crash (kill -9) loses
 * nothing committed. A power loss may lose the last commits; the archive of
 * such a file was already renamed into place, but the ledger still sees the
 * file as not done, so the rerun writes the same archive again under the same
 * name and version — byte-identical, since archives are deterministic — and
 * commits it. The disk and the ledger agree again, without paying FULL's
 * fsync per commit.
 *
 * Design for what comes next: inventory.box and files.batch are indexed for
 * status by box and by batch; files has a partial index on the current outcome
 * so status over 30,000 files / 1,000,000 pages reads one index; accepts,
 * rescan_jobs and plan exist from version 1 so the reviewer and the project
 * office workflows need no rebuild; pages.origin_batch records lineage for
 * partial rescans; pages.separator flags a separator sheet left in.
 */
#include "ledger_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const MIGRATIONS[] = {
    /* 0 -> 1 */
    "CREATE TABLE batches("
    " id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT,"
    " status TEXT NOT NULL DEFAULT 'running'"
    "  CHECK(status IN ('running','done','failed','interrupted')),"
    " host TEXT, user TEXT, delivery TEXT, options TEXT, quire_version TEXT,"
    " files_archived INTEGER NOT NULL DEFAULT 0, files_faulty INTEGER NOT NULL DEFAULT 0,"
    " files_uptodate INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0,"
    " faults INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE inventory("
    " file_id TEXT PRIMARY KEY NOT NULL, box TEXT NOT NULL DEFAULT '',"
    " expected_pages INTEGER CHECK(expected_pages IS NULL OR expected_pages > 0),"
    " title TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '[]',"
    " source TEXT NOT NULL CHECK(source IN ('manifest','stock')),"
    " first_seen TEXT NOT NULL, first_batch INTEGER REFERENCES batches(id));"
    "CREATE INDEX inventory_box ON inventory(box);"
    "CREATE TABLE files("
    " id INTEGER PRIMARY KEY, file_id TEXT NOT NULL, version INTEGER NOT NULL CHECK(version > 0),"
    " status TEXT NOT NULL CHECK(status IN ('archived','faulty')),"
    " archive_path TEXT, archive_sha256 TEXT, source_fingerprint TEXT NOT NULL,"
    " batch INTEGER NOT NULL REFERENCES batches(id), pages INTEGER NOT NULL,"
    " updated TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 0 CHECK(current IN (0,1)),"
    " CHECK(status <> 'archived' OR (archive_path IS NOT NULL AND"
    "       length(archive_sha256) = 64)));"
    "CREATE UNIQUE INDEX files_archive_version ON files(file_id, version)"
    " WHERE status = 'archived';"
    "CREATE UNIQUE INDEX files_current ON files(file_id) WHERE current = 1;"
    "CREATE INDEX files_file ON files(file_id, id);"
    "CREATE INDEX files_batch ON files(batch);"
    "CREATE INDEX files_updated ON files(updated);"
    "CREATE TABLE pages("
    " outcome INTEGER NOT NULL REFERENCES files(id), file_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, page INTEGER NOT NULL CHECK(page > 0),"
    " source TEXT, source_sha256 TEXT, format TEXT, width INTEGER, height INTEGER,"
    " dpi REAL, skew_deg REAL, skew_applied_deg REAL, orientation INTEGER,"
    " rotation_applied INTEGER, metrics TEXT NOT NULL DEFAULT '{}',"
    " verdict TEXT NOT NULL CHECK(verdict IN ('ok','faulty','accepted')),"
    " batch INTEGER NOT NULL REFERENCES batches(id),"
    " origin_batch INTEGER NOT NULL REFERENCES batches(id),"
    " PRIMARY KEY(outcome, page)) WITHOUT ROWID;"
    "CREATE TABLE faults("
    " id INTEGER PRIMARY KEY, outcome INTEGER NOT NULL REFERENCES files(id),"
    " file_id TEXT NOT NULL, version INTEGER NOT NULL, page INTEGER NOT NULL CHECK(page >= 0),"
    " kind TEXT NOT NULL, value REAL, threshold REAL, detail TEXT NOT NULL DEFAULT '',"
    " batch INTEGER NOT NULL REFERENCES batches(id),"
    " accepted INTEGER NOT NULL DEFAULT 0 CHECK(accepted IN (0,1)));"
    "CREATE INDEX faults_outcome ON faults(outcome, page);"
    "CREATE INDEX faults_kind ON faults(kind);"
    "CREATE TABLE accepts("
    " id INTEGER PRIMARY KEY, file_id TEXT NOT NULL, page INTEGER NOT NULL DEFAULT 0,"
    " kind TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL,"
    " used_batch INTEGER REFERENCES batches(id));"
    "CREATE INDEX accepts_file ON accepts(file_id);"
    "CREATE TABLE rescan_jobs("
    " id INTEGER PRIMARY KEY, file_id TEXT NOT NULL, pages TEXT NOT NULL DEFAULT '',"
    " reason TEXT NOT NULL, kinds TEXT NOT NULL DEFAULT '', actor TEXT NOT NULL,"
    " submitted TEXT NOT NULL, created_batch INTEGER REFERENCES batches(id),"
    " status TEXT NOT NULL DEFAULT 'open' CHECK(status IN ('open','delivered','closed')),"
    " resolved_batch INTEGER REFERENCES batches(id), closed TEXT);"
    "CREATE INDEX rescan_status ON rescan_jobs(status, file_id);"
    "CREATE TABLE plan(date TEXT PRIMARY KEY NOT NULL,"
    " target_percent REAL NOT NULL CHECK(target_percent BETWEEN 0 AND 100));"
    "CREATE TABLE events("
    " id INTEGER PRIMARY KEY, ts TEXT NOT NULL, batch INTEGER, file_id TEXT,"
    " kind TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}',"
    " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_file ON events(file_id, id);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
    /* 1 -> 2: where each page's bytes live, so a partial rescan can take the
     * pages it does not replace from the earlier delivery (verified by their
     * SHA-256); what an ingest-created rescan job measured; which batch
     * delivered a job's pages. */
    "ALTER TABLE pages ADD COLUMN source_path TEXT;"
    "ALTER TABLE pages ADD COLUMN source_member TEXT;"
    "ALTER TABLE pages ADD COLUMN source_page INTEGER;"
    "ALTER TABLE rescan_jobs ADD COLUMN detail TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE rescan_jobs ADD COLUMN delivered_batch INTEGER REFERENCES batches(id);"
    "CREATE INDEX rescan_file ON rescan_jobs(file_id, id);",
    /* 2 -> 3: covering indexes for status on a whole project's ledger
     * (30,000 files, 1,000,000 pages): totals, faults by kind and the
     * first-archive throughput windows are answered from indexes alone,
     * without reading table rows (a cold status went from about 1 s to a
     * fraction of that; see bench/ledger_scale.sh). */
    "CREATE INDEX files_current_cover ON files(file_id, current, status, pages)"
    " WHERE current = 1;"
    "CREATE INDEX inventory_pages ON inventory(file_id, expected_pages);"
    "CREATE INDEX faults_outcome_kind ON faults(outcome, accepted, kind);"
    "CREATE INDEX files_first_archive ON files(updated, file_id)"
    " WHERE status = 'archived' AND version = 1;",
    /* 3 -> 4: archive writes in flight (writes.c): the record that proves a
     * temporary or a freshly renamed archive is quire's, so that cleaning up
     * after a killed run never has to guess from a file name. */
    "CREATE TABLE archive_writes("
    " id INTEGER PRIMARY KEY, batch INTEGER NOT NULL REFERENCES batches(id),"
    " file_id TEXT NOT NULL, version INTEGER NOT NULL CHECK(version > 0),"
    " tmp_path TEXT NOT NULL, final_path TEXT NOT NULL,"
    " sha256 TEXT CHECK(sha256 IS NULL OR length(sha256) = 64));"
    "CREATE INDEX archive_writes_batch ON archive_writes(batch);",
    /* 4 -> 5: a patch-code separator sheet left in a delivery is flagged on
     * its page instead of being an extra_pages fault there. Before, such a
     * fault on a page (not page 0) was made only for a separator sheet, so
     * those pages are flagged; their faults stay as they were recorded. */
    "ALTER TABLE pages ADD COLUMN separator INTEGER NOT NULL DEFAULT 0"
    " CHECK(separator IN (0,1));"
    "UPDATE pages SET separator = 1 WHERE EXISTS (SELECT 1 FROM faults x"
    " WHERE x.outcome = pages.outcome AND x.page = pages.page AND x.page > 0"
    " AND x.kind = 'extra_pages');",
    /* 5 -> 6: the rows the figures depend on are covered by the event log
     * (digest.c): from this version on, every event that writes such rows
     * carries their digest. ledger_info says from which event on
     * (rows_covered_from): the events before it were recorded without
     * digests, and quire verify reports their rows as not covered rather
     * than as tampered with. An older quire, which writes no digests,
     * refuses a ledger of this version, so no event after it lacks one.
     * events_kind finds seals and an event kind's rows at once. */
    "CREATE TABLE ledger_info(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
    "INSERT INTO ledger_info(key, value) VALUES('rows_covered_from',"
    " (SELECT coalesce(max(id), 0) + 1 FROM events));"
    "CREATE INDEX events_kind ON events(kind, id);",
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

_Static_assert(N_MIGRATIONS == QR_LEDGER_SCHEMA_VERSION, "one migration per schema version");

const char *qr_ledger_migration_sql(int to)
{
    return to >= 1 && to <= N_MIGRATIONS ? MIGRATIONS[to - 1] : NULL;
}

int qr_ledger_schema_version(qr_ledger *l)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate_one(qr_ledger *l, int to, qr_err *err)
{
    char pragma[64];
    if (lg_exec(l, "BEGIN IMMEDIATE", err) != QR_OK)
        return err ? err->code : QR_EFATAL;
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", to);
    /* Re-check inside the write lock: another process may have migrated. */
    if (qr_ledger_schema_version(l) >= to) {
        lg_exec(l, "COMMIT", NULL);
        return QR_OK;
    }
    if (lg_exec(l, MIGRATIONS[to - 1], err) != QR_OK || lg_exec(l, pragma, err) != QR_OK) {
        lg_exec(l, "ROLLBACK", NULL);
        qr_err_prefix(err, "migrating ledger %s to schema %d", l->path, to);
        return QR_EFATAL;
    }
    return lg_exec(l, "COMMIT", err);
}

int lg_migrate(qr_ledger *l, qr_err *err)
{
    int v = qr_ledger_schema_version(l);
    if (v < 0)
        return lg_fail(l, err, "reading schema version");
    if (v > N_MIGRATIONS)
        return lg_version_refusal(l->path, v, err);
    for (int to = v + 1; to <= N_MIGRATIONS; to++) {
        int rc = migrate_one(l, to, err);
        if (rc != QR_OK)
            return rc;
    }
    return QR_OK;
}

static int configure(qr_ledger *l, bool readonly, qr_err *err)
{
    sqlite3_busy_timeout(l->db, 10000);
    int rc = lg_exec(l, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", err);
    if (rc != QR_OK || readonly) /* a reader leaves the journal mode as it is */
        return rc;
    sqlite3_stmt *st = lg_prepare(l, "PRAGMA journal_mode = WAL", err);
    if (!st)
        return QR_EFATAL;
    const char *mode = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    bool ok = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
    sqlite3_finalize(st);
    if (!ok)
        return qr_err_set(err, QR_EFATAL, "ledger %s: cannot switch to WAL journal", l->path);
    return QR_OK;
}

/* ":memory:" (for tests) names no file to look at. "" would be SQLite's
 * temporary database, a ledger that vanishes at close: the probe refuses it. */
static bool names_no_file(const char *path) { return !strcmp(path, ":memory:"); }

/* Whether a failed open may have the file system for its cause. */
static bool cannot_open(int code)
{
    code &= 0xff;
    return code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_PERM;
}

/* Open the connection to path (by uri when not NULL) with flags and
 * configure it; *out stays NULL on failure. A read-write open refused by
 * the file system says so (lg_write_refusal), not "unable to open database
 * file". */
static int connect_db(const char *path, const char *uri, int flags, qr_ledger **out,
                      qr_err *err)
{
    qr_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = qr_strdup(path))) {
        free(l);
        return qr_err_set(err, QR_ENOMEM, "ledger %s: out of memory", path);
    }
    bool readonly = flags & SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(uri ? uri : path, &l->db, flags | SQLITE_OPEN_NOMUTEX, NULL) ==
                     SQLITE_OK
                 ? configure(l, readonly, err)
                 : lg_fail(l, err, "opening");
    int code = rc != QR_OK && l->db ? sqlite3_extended_errcode(l->db) : SQLITE_OK;
    if (rc != QR_OK) {
        qr_ledger_close(&l); /* no connection left when the file is looked at */
        if (!readonly && cannot_open(code) && !names_no_file(path))
            lg_write_refusal(path, err);
        return rc;
    }
    *out = l;
    return QR_OK;
}

/* After a read-write open failed: read the ledger where its folder takes no
 * new file, when that is safe (lg_readonly_uri); else err says why not. */
static int connect_readonly(const char *path, qr_ledger **out, qr_err *err)
{
    char *uri = lg_readonly_uri(path, err);
    if (!uri)
        return QR_EFATAL;
    qr_err first = *err;
    int rc = connect_db(path, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, out, err);
    free(uri);
    if (rc != QR_OK) /* what the read-write open said is the better message */
        *err = first;
    return rc;
}

int qr_ledger_open(const char *path, qr_ledger **out, qr_err *err)
{
    *out = NULL;
    int rc = names_no_file(path) ? QR_OK : qr_ledger_probe(path, NULL, err);
    qr_ledger *l = NULL;
    if (rc == QR_OK)
        rc = connect_db(path, NULL, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l, err);
    if (rc == QR_OK)
        rc = lg_migrate(l, err);
    if (rc != QR_OK) {
        qr_ledger_close(&l);
        return rc;
    }
    *out = l;
    return QR_OK;
}

static int open_existing_as(const char *path, bool for_reading, qr_ledger **out, qr_err *err)
{
    *out = NULL;
    qr_ledger_state state;
    int version;
    int rc = lg_probe(path, &state, &version, err);
    if (rc != QR_OK)
        return rc;
    if (state == QR_LEDGER_ABSENT)
        return qr_err_set(err, QR_EINVAL, "no ledger at %s", path);
    if (state == QR_LEDGER_EMPTY)
        return qr_err_set(err, QR_EINVAL, "%s is not a quire ledger (it is empty)", path);
    if (state == QR_LEDGER_OLDER)
        return lg_version_refusal(path, version, err);
    qr_ledger *l = NULL;
    rc = connect_db(path, NULL, SQLITE_OPEN_READWRITE, &l, err);
    if (rc == QR_EFATAL && for_reading && !names_no_file(path))
        rc = connect_readonly(path, &l, err);
    /* Migrated (or replaced) since the probe: the version is what counts. */
    int v = rc == QR_OK ? qr_ledger_schema_version(l) : N_MIGRATIONS;
    if (v < 0)
        rc = lg_fail(l, err, "reading schema version");
    else if (v != N_MIGRATIONS)
        rc = lg_version_refusal(path, v, err);
    if (rc != QR_OK) {
        qr_ledger_close(&l);
        return rc;
    }
    *out = l;
    return QR_OK;
}

int qr_ledger_open_existing(const char *path, qr_ledger **out, qr_err *err)
{
    return open_existing_as(path, false, out, err);
}

int qr_ledger_open_readonly(const char *path, qr_ledger **out, qr_err *err)
{
    return open_existing_as(path, true, out, err);
}

void qr_ledger_close(qr_ledger **lp)
{
    if (!lp || !*lp)
        return;
    qr_ledger *l = *lp;
    if (l->db)
        sqlite3_close_v2(l->db);
    free(l->path);
    free(l);
    *lp = NULL;
}

void qr_ledger_set_time(qr_ledger *l, time_t t) { l->fixed_time = t; }
