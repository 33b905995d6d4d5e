/* Unit tests for opening a ledger: qr_ledger_probe tells what is at a path
 * without writing (absent, empty, older, current; rejected with a message);
 * qr_ledger_open_existing opens only a current quire ledger and refuses the
 * rest leaving the file byte-identical with no -wal/-shm/-journal beside it;
 * qr_ledger_open creates, initialises an empty file and migrates, but never
 * writes into a file that is not a quire ledger. A ledger whose schema is
 * still only in the WAL of an open connection is seen as current. Also the
 * actor: a batch named by --by carries that name on its user and every event
 * it records; no name gives qr_actor_default(), whatever $USER says. A
 * ledger of every older schema (0 to the current one less one, built from
 * the migrations themselves) is upgraded to the very schema of a new one, and
 * what is recorded after the upgrade verifies. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qr_ledger.h"
#include "qr_test.h"
#include "qr_verify.h"

static char dir[512];

static const char *at(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

static bool exists(const char *path, const char *suffix)
{
    char p[700];
    struct stat st;
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return stat(p, &st) == 0;
}

static bool no_sidecar(const char *path)
{
    return !exists(path, "-wal") && !exists(path, "-shm") && !exists(path, "-journal");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(text, 1, strlen(text), f) == strlen(text));
    if (f)
        fclose(f);
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECKF(sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* A file's bytes, to compare before and after. */
typedef struct snap {
    uint8_t *data;
    size_t len;
} snap;

static snap take(const char *path)
{
    snap s = {0};
    s.data = qr_test_read(path, &s.len);
    return s;
}

static bool same(const char *path, snap *before)
{
    snap now = take(path);
    bool eq = now.len == before->len && memcmp(now.data, before->data, now.len) == 0;
    free(now.data);
    free(before->data);
    before->data = NULL;
    return eq;
}

/* Refused by open_existing (and, unless creatable, by open) with the message;
 * the file is left as it was and nothing is created beside it. */
static void refused(const char *name, int want_code, const char *want_msg, bool creatable)
{
    char p[600];
    at(name, p, sizeof p);
    snap s = take(p);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open_existing(p, &l, &err) == want_code && !l, "%s: %s", name, err.msg);
    CHECKF(strstr(err.msg, want_msg) != NULL, "%s: [%s] lacks [%s]", name, err.msg, want_msg);
    if (!creatable) {
        qr_ledger_state st = QR_LEDGER_CURRENT;
        CHECKF(qr_ledger_probe(p, &st, &err) == want_code && st == QR_LEDGER_REJECTED, "%s",
               name);
        CHECKF(qr_ledger_open(p, &l, &err) == want_code && !l, "%s: %s", name, err.msg);
        CHECKF(strstr(err.msg, want_msg) != NULL, "%s: [%s]", name, err.msg);
    }
    CHECKF(same(p, &s), "%s changed", name);
    CHECKF(no_sidecar(p), "%s: a file was created beside it", name);
}

static void probe_is(const char *path, qr_ledger_state want)
{
    qr_ledger_state st = QR_LEDGER_REJECTED;
    qr_err err = {0};
    CHECKF(qr_ledger_probe(path, &st, &err) == QR_OK && st == want, "%s: state %d, want %d: %s",
           path, (int)st, (int)want, err.msg);
}

static void test_not_ledgers(void)
{
    char p[600];
    write_file(at("empty.db", p, sizeof p), "");
    write_file(at("text.db", p, sizeof p), "file_id,expected_pages\nF-1,3\n");
    write_file(at("short.db", p, sizeof p), "SQLite format");
    sql(at("other.db", p, sizeof p), "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    sql(at("otherwal.db", p, sizeof p), "PRAGMA journal_mode=WAL; CREATE TABLE files(x);");
    sql(at("blank.db", p, sizeof p), "PRAGMA journal_mode=WAL;"); /* a header, no table */
    mkdir(at("dir.db", p, sizeof p), 0777);
    probe_is(at("absent.db", p, sizeof p), QR_LEDGER_ABSENT);
    probe_is(at("empty.db", p, sizeof p), QR_LEDGER_EMPTY);
    probe_is(at("blank.db", p, sizeof p), QR_LEDGER_EMPTY);

    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECK(qr_ledger_open_existing(at("absent.db", p, sizeof p), &l, &err) == QR_EINVAL && !l);
    CHECKF(strstr(err.msg, "no ledger at ") && !exists(p, "") && no_sidecar(p), "%s", err.msg);
    refused("empty.db", QR_EINVAL, "empty.db is not a quire ledger (it is empty)", true);
    refused("blank.db", QR_EINVAL, "blank.db is not a quire ledger (it is empty)", true);
    refused("text.db", QR_EINVAL, "text.db is not a quire ledger (not an SQLite database)", false);
    refused("short.db", QR_EINVAL, "short.db is not a quire ledger", false);
    refused("other.db", QR_EINVAL, "other.db is not a quire ledger (an SQLite database without "
            "quire's tables)", false);
    refused("otherwal.db", QR_EINVAL, "otherwal.db is not a quire ledger", false);
    CHECK(qr_ledger_open_existing(at("dir.db", p, sizeof p), &l, &err) == QR_EINVAL);
    CHECKF(strstr(err.msg, "dir.db is not a quire ledger (a directory)"), "%s", err.msg);
    /* "" would be SQLite's temporary database: a ledger gone at close. */
    CHECK(qr_ledger_open("", &l, &err) == QR_EINVAL && !l);
    CHECKF(strstr(err.msg, "the ledger path is empty"), "%s", err.msg);
}

/* Where nothing or an empty file is, qr_ledger_open makes a ledger. */
static void test_create(void)
{
    char p[600];
    const char *names[] = {"absent.db", "empty.db", "blank.db"};
    for (size_t i = 0; i < 3; i++) {
        qr_ledger *l = NULL;
        qr_err err = {0};
        CHECKF(qr_ledger_open(at(names[i], p, sizeof p), &l, &err) == QR_OK, "%s", err.msg);
        CHECK(l && qr_ledger_schema_version(l) == QR_LEDGER_SCHEMA_VERSION);
        qr_ledger_close(&l);
        probe_is(p, QR_LEDGER_CURRENT);
        CHECKF(qr_ledger_open_existing(p, &l, &err) == QR_OK && l, "%s", err.msg);
        qr_ledger_close(&l);
    }
}

static void test_versions(void)
{
    char cur[600], old[600], newer[600];
    at("absent.db", cur, sizeof cur); /* a current ledger since test_create */
    at("v2.db", old, sizeof old);
    at("v9.db", newer, sizeof newer);
    snap s = take(cur);
    write_file(old, "");
    write_file(newer, "");
    FILE *f = fopen(old, "wb"), *g = fopen(newer, "wb");
    CHECK(f && g && fwrite(s.data, 1, s.len, f) == s.len && fwrite(s.data, 1, s.len, g) == s.len);
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    free(s.data);
    /* Undo migrations 3 to 6 (ledger/schema.c) to make a schema-2 ledger. */
    sql(old, "ALTER TABLE pages DROP COLUMN separator;"
             " DROP INDEX files_current_cover; DROP INDEX inventory_pages;"
             " DROP INDEX faults_outcome_kind; DROP INDEX files_first_archive;"
             " DROP TABLE archive_writes; DROP TABLE ledger_info; DROP INDEX events_kind;"
             " PRAGMA user_version = 2;");
    sql(newer, "PRAGMA user_version = 9;");
    probe_is(old, QR_LEDGER_OLDER);
    char want[300];
    snprintf(want, sizeof want, "v2.db has schema version 2, older than this quire's %d: the "
             "next quire ingest, quire inventory import or quire plan set|import on it upgrades "
             "it", QR_LEDGER_SCHEMA_VERSION);
    refused("v2.db", QR_EFATAL, want, true);
    snprintf(want, sizeof want, "v9.db has schema version 9; this quire knows up to %d",
             QR_LEDGER_SCHEMA_VERSION);
    refused("v9.db", QR_EFATAL, want, false);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(old, &l, &err) == QR_OK && l, "%s", err.msg);
    CHECK(l && qr_ledger_schema_version(l) == QR_LEDGER_SCHEMA_VERSION);
    qr_ledger_close(&l);
    probe_is(old, QR_LEDGER_CURRENT);
}

/* A first ingest still running: its schema is in the WAL of an open
 * connection, not yet in the file. Another command sees a current ledger. */
static void test_in_use(void)
{
    char p[600];
    at("busy.db", p, sizeof p);
    qr_ledger *w = NULL, *r = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(p, &w, &err) == QR_OK, "%s", err.msg);
    CHECK(exists(p, "-wal") && exists(p, "-shm"));
    probe_is(p, QR_LEDGER_CURRENT);
    CHECKF(qr_ledger_open_existing(p, &r, &err) == QR_OK && r, "%s", err.msg);
    qr_ledger_close(&r);
    qr_ledger_close(&w);
}

/* The distinct values of a one-column query, joined by '|'. */
static void query(const char *path, const char *text, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
          sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? "|" : "", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void commit_faulty(qr_ledger *l, int64_t b, const char *file_id)
{
    qr_err err = {0};
    qr_ledger_outcome o = {.file_id = file_id, .batch = b, .version = 1,
                           .source_fingerprint = "fp", .delivered_pages = 1};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
}

/* Schema 4 recorded a separator sheet as an extra_pages fault on its page;
 * the migration to 5 flags those pages (and no other: a count fault is on
 * page 0, other faults are other kinds) and keeps the faults as recorded. */
static void test_separator_migration(void)
{
    char p[600], got[512];
    at("v4.db", p, sizeof p);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(p, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    qr_ledger_batch_info info = {.host = "h", .delivery = "/d"};
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, &info, &b, &err) == QR_OK);
    qr_ledger_page pages[3] = {{.page = 1, .format = "jpeg"}, {.page = 2, .format = "tiff-g4"},
                               {.page = 3, .format = "jpeg"}};
    qr_fault f[3] = {{.kind = QR_FAULT_EXTRA_PAGES, .page = 2, .value = 1},
                     {.kind = QR_FAULT_EXTRA_PAGES, .page = 0, .value = 3, .threshold = 2},
                     {.kind = QR_FAULT_BLANK, .page = 3, .value = 0, .threshold = 0.0008}};
    qr_ledger_outcome o = {.file_id = "S", .batch = b, .version = 1, .source_fingerprint = "fp",
                           .delivered_pages = 3, .pages = pages, .n_pages = 3, .faults = f,
                           .n_faults = 3};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
    qr_ledger_close(&l);
    sql(p, "ALTER TABLE pages DROP COLUMN separator; DROP TABLE ledger_info;"
           " DROP INDEX events_kind; PRAGMA user_version = 4;");
    probe_is(p, QR_LEDGER_OLDER);
    CHECKF(qr_ledger_open(p, &l, &err) == QR_OK && l, "%s", err.msg);
    CHECK(l && qr_ledger_schema_version(l) == QR_LEDGER_SCHEMA_VERSION);
    qr_ledger_close(&l);
    query(p, "SELECT page || ':' || separator FROM pages ORDER BY page", got, sizeof got);
    CHECKF(!strcmp(got, "1:0|2:1|3:0"), "pages after the migration: %s", got);
    query(p, "SELECT page || ':' || kind FROM faults ORDER BY id", got, sizeof got);
    CHECKF(!strcmp(got, "2:extra_pages|0:extra_pages|3:blank"), "faults kept: %s", got);
}

/* A batch named by --by: its user and every event it records carry the name,
 * whatever $USER says; a batch named by no one carries qr_actor_default(). */
static void test_batch_actor(void)
{
    char p[600], got[512];
    at("actor.db", p, sizeof p);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(p, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    setenv("USER", "not-the-actor", 1);
    qr_ledger_batch_info by = {.host = "h", .delivery = "/d", .actor = "Di Ops"};
    qr_ledger_batch_info none = {.host = "h", .delivery = "/d"};
    int64_t b1 = 0, b2 = 0;
    CHECKF(qr_ledger_batch_begin(l, &by, &b1, &err) == QR_OK, "%s", err.msg);
    commit_faulty(l, b1, "F1");
    CHECK(qr_ledger_batch_end(l, b1, "done", NULL, &err) == QR_OK);
    CHECK(qr_ledger_batch_begin(l, &none, &b2, &err) == QR_OK);
    commit_faulty(l, b2, "F2");
    qr_ledger_close(&l);
    query(p, "SELECT DISTINCT actor FROM events WHERE batch = 1 UNION "
             "SELECT user FROM batches WHERE id = 1", got, sizeof got);
    CHECKF(!strcmp(got, "Di Ops"), "batch 1 actors: %s", got);
    query(p, "SELECT DISTINCT actor FROM events WHERE batch = 2 UNION "
             "SELECT user FROM batches WHERE id = 2", got, sizeof got);
    CHECKF(!strcmp(got, qr_actor_default()), "batch 2 actors: %s", got);
    query(p, "SELECT count(*) FROM events WHERE batch = 1", got, sizeof got);
    CHECKF(atoi(got) >= 3, "batch 1 events: %s", got); /* started, faulty, ended */
}

/* Every table, index and trigger of the ledger at path, as SQL, sorted. */
static void schema_of(const char *path, char *out, size_t cap)
{
    query(path, "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master"
                " WHERE sql IS NOT NULL ORDER BY type, name", out, cap);
}

/* A ledger of schema version v, made with migrations 1 .. v as an older
 * quire made it; then qr_ledger_open upgrades it. Afterwards its schema is
 * a new ledger's, rows are covered from its first event, and a batch and an
 * outcome recorded on it verify (chain and row digests). */
static void upgrade_from(int v, const char *fresh_schema)
{
    char p[600], name[32], got[512];
    snprintf(name, sizeof name, "from-v%d.db", v);
    at(name, p, sizeof p);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d;", v);
    write_file(p, "");
    for (int to = 1; to <= v; to++)
        sql(p, qr_ledger_migration_sql(to));
    sql(p, pragma);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(p, &l, &err) == QR_OK && l, "from v%d: %s", v, err.msg);
    if (!l)
        return;
    CHECKF(qr_ledger_schema_version(l) == QR_LEDGER_SCHEMA_VERSION, "from v%d", v);
    int64_t b = 0;
    qr_ledger_batch_info info = {.host = "h", .delivery = "/d", .actor = "op"};
    CHECKF(qr_ledger_batch_begin(l, &info, &b, &err) == QR_OK, "%s", err.msg);
    commit_faulty(l, b, "F1");
    CHECKF(qr_ledger_batch_end(l, b, "done", NULL, &err) == QR_OK, "%s", err.msg);
    qr_verify_summary sum = {0};
    CHECKF(qr_verify_chain(l, NULL, NULL, &sum, &err) == QR_OK &&
           qr_verify_rows(l, NULL, NULL, &sum, &err) == QR_OK, "%s", err.msg);
    CHECKF(sum.findings == 0 && sum.rows_old == 0 && sum.rows_checked > 0,
           "from v%d: %" PRId64 " findings, %" PRId64 " rows not covered, %" PRId64 " checked",
           v, sum.findings, sum.rows_old, sum.rows_checked);
    qr_ledger_close(&l);
    char *schema = malloc(1 << 16);
    if (!schema)
        return;
    schema_of(p, schema, 1 << 16);
    CHECKF(!strcmp(schema, fresh_schema), "from v%d: the schema differs from a new ledger's", v);
    free(schema);
    query(p, "SELECT value FROM ledger_info WHERE key = 'rows_covered_from'", got, sizeof got);
    CHECKF(!strcmp(got, "1"), "from v%d: rows covered from %s", v, got);
}

static void test_upgrade_each(void)
{
    CHECK(qr_ledger_migration_sql(0) == NULL && qr_ledger_migration_sql(1) != NULL &&
          qr_ledger_migration_sql(QR_LEDGER_SCHEMA_VERSION) != NULL &&
          qr_ledger_migration_sql(QR_LEDGER_SCHEMA_VERSION + 1) == NULL);
    char p[600];
    char *fresh = malloc(1 << 16);
    if (!fresh)
        return;
    at("absent.db", p, sizeof p); /* made new by test_create */
    schema_of(p, fresh, 1 << 16);
    CHECK(strstr(fresh, "ledger_info") && strstr(fresh, "archive_writes"));
    for (int v = 0; v < QR_LEDGER_SCHEMA_VERSION; v++)
        upgrade_from(v, fresh);
    free(fresh);
}

int main(void)
{
    qr_test_tmpdir("test_ledger_open", dir, sizeof dir);
    test_not_ledgers();
    test_create();
    test_versions();
    test_in_use();
    test_batch_actor();
    test_separator_migration();
    test_upgrade_each();
    const char *who = qr_actor_default();
    CHECKF(who[0] && strcmp(who, "unknown") && strcmp(who, "not-the-actor"), "[%s]", who);
    return qr_test_end();
}
