/*
 * What is at a ledger path, found without writing anything.
 *
 * Why: a mistyped --ledger or QUIRE_LEDGER must not turn into a new empty
 * ledger that reports 0 %, and a file that is not quire's (a manifest, an
 * empty file, another program's SQLite database) must be left exactly as it
 * was. SQLite cannot be asked: opening a file read-write creates it, and
 * `PRAGMA journal_mode=WAL` on an empty file writes a database header; even a
 * read-only connection to a WAL database creates -wal and -shm files beside
 * it. So the probe looks at the file itself (present? a regular file? empty?
 * the 16-byte SQLite header?) and only then reads the schema through an
 * immutable connection, which takes no lock and creates no file. When the
 * -wal and -shm files already exist (a ledger in use, or left by a killed
 * run) the commits still in the WAL matter, and a read-only connection
 * creates nothing new there, so that one is used instead.
 *
 * A quire ledger is recognised by its tables (those of schema 1, which every
 * later schema keeps) and its PRAGMA user_version.
 *
 * The same looking serves a ledger the file system will not let us write
 * (a read-only mount, a folder of someone else's): SQLite only says "unable
 * to open database file", so lg_write_refusal finds the cause (can a file be
 * made in the folder? can the file be written?) and names it, and
 * lg_readonly_uri finds whether the ledger can still be read there: a WAL
 * ledger needs its -shm index beside it, so without one only an immutable
 * connection reads it, which is safe only when nothing can change the file
 * (a read-only file system) and nothing is waiting in a -wal.
 */
#include "ledger_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SQLITE_MAGIC "SQLite format 3"  /* 16 bytes with its NUL */

/* The tables of schema 1; a quire ledger of any version has them all. */
static const char QUIRE_TABLES_SQL[] =
    "SELECT (SELECT count(*) FROM sqlite_master),"
    " (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
    "  ('batches','inventory','files','pages','faults','accepts','rescan_jobs','plan',"
    "   'events')),"
    " (SELECT user_version FROM pragma_user_version)";
#define N_QUIRE_TABLES 9

static int not_a_ledger(const char *path, const char *why, qr_err *err)
{
    return qr_err_set(err, QR_EINVAL, "%s is not a quire ledger (%s)", path, why);
}

static bool exists(const char *path, const char *suffix)
{
    char name[PATH_MAX + 16];
    struct stat st;
    return snprintf(name, sizeof name, "%s%s", path, suffix) < (int)sizeof name &&
           stat(name, &st) == 0;
}

/* Whether the file starts with the SQLite header (*yes); QR_EIO when it
 * cannot be read. */
static int has_sqlite_header(const char *path, bool *yes, qr_err *err)
{
    char head[16];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof head);
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return qr_err_set(err, QR_EIO, "ledger %s: %s", path, strerror(e));
    *yes = n == (ssize_t)sizeof head && memcmp(head, SQLITE_MAGIC, sizeof head) == 0;
    return QR_OK;
}

/* The folder of path ("." for a bare name); NULL when out of memory. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return qr_strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

/* 0 when a file can be made in dir, else the errno that says why not. The
 * test file is an unnamed O_TMPFILE, gone when closed; where the file
 * system has none, access(2) answers. */
static int folder_refuses(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    int e = errno;
    if (e == EROFS || e == EACCES || e == EPERM || e == ENOSPC || e == EDQUOT)
        return e;
    return access(dir, W_OK) == 0 ? 0 : errno;
}

/* "is on a read-only file system", "takes no new file: Permission denied". */
static void folder_cause(int e, char out[128])
{
    if (e == EROFS)
        snprintf(out, 128, "is on a read-only file system");
    else
        snprintf(out, 128, "takes no new file: %s", strerror(e));
}

int lg_write_refusal(const char *path, qr_err *err)
{
    char *dir = folder_of(path), cause[128];
    int e = dir ? folder_refuses(dir) : 0, rc = QR_OK;
    folder_cause(e, cause);
    if (e)
        rc = qr_err_set(err, QR_EFATAL, "ledger %s: cannot write to it: its folder %s %s "
                        "(SQLite needs %s-wal and -shm beside it)", path, dir, cause, path);
    else if (access(path, W_OK) != 0 && errno != ENOENT)
        rc = qr_err_set(err, QR_EFATAL, "ledger %s: cannot write to it: %s", path,
                        strerror(errno));
    free(dir);
    return rc;
}

/* "file:" URI of the absolute path, every byte outside [A-Za-z0-9/._~-]
 * percent-encoded, with the query. NULL when out of memory or unresolvable. */
static char *file_uri(const char *path, const char *query)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        return NULL;
    size_t n = strlen(abs);
    char *uri = malloc(3 * n + strlen(query) + 16);
    if (uri) {
        char *p = uri + sprintf(uri, "file://");
        for (const unsigned char *s = (const unsigned char *)abs; *s; s++) {
            if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                (*s >= '0' && *s <= '9') || strchr("/._~-", *s))
                *p++ = (char)*s;
            else
                p += sprintf(p, "%%%02X", *s);
        }
        sprintf(p, "?%s", query);
    }
    free(abs);
    return uri;
}

char *lg_readonly_uri(const char *path, qr_err *err)
{
    char *dir = folder_of(path), *uri = NULL, cause[128];
    int e = dir ? folder_refuses(dir) : 0;
    struct statvfs vs;
    folder_cause(e, cause);
    if (!e) {
        /* the folder is not the cause: the read-write open's message stands */
    } else if (exists(path, "-wal") && exists(path, "-shm")) {
        uri = file_uri(path, "mode=ro");
    } else if (exists(path, "-wal")) {
        qr_err_set(err, QR_EFATAL, "ledger %s: cannot read it: its last commits are in "
                   "%s-wal, which is read through %s-shm, and its folder %s %s, so that "
                   "cannot be made; copy the ledger with its -wal to a writable folder", path,
                   path, path, dir, cause);
    } else if (statvfs(dir, &vs) == 0 && (vs.f_flag & ST_RDONLY)) {
        uri = file_uri(path, "immutable=1");
    } else {
        qr_err_set(err, QR_EFATAL, "ledger %s: cannot read it: its folder %s %s, and a "
                   "ledger that may change is read through %s-shm beside it", path, dir, cause,
                   path);
    }
    free(dir);
    return uri;
}

/* The schema's shape: every object, quire's tables, user_version. */
typedef struct schema_shape {
    int objects, quire_tables, version;
} schema_shape;

static int read_shape(sqlite3 *db, schema_shape *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, QUIRE_TABLES_SQL, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        s->objects = sqlite3_column_int(st, 0);
        s->quire_tables = sqlite3_column_int(st, 1);
        s->version = sqlite3_column_int(st, 2);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Read the schema's shape without writing: immutable, unless a WAL is there. */
static int read_schema(const char *path, schema_shape *s, qr_err *err)
{
    bool in_use = exists(path, "-wal") && exists(path, "-shm");
    char *uri = file_uri(path, in_use ? "mode=ro" : "immutable=1");
    if (!uri)
        return qr_err_set(err, errno == ENOMEM ? QR_ENOMEM : QR_EIO, "ledger %s: %s", path,
                          strerror(errno));
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 10000);
        rc = read_shape(db, s);
    }
    int q = QR_OK;
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
        q = not_a_ledger(path, sqlite3_errstr(rc), err);
    else if (rc != SQLITE_OK)
        q = qr_err_set(err, QR_EIO, "ledger %s: %s", path,
                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return q;
}

static int classify(const char *path, const schema_shape *s, qr_ledger_state *state,
                    qr_err *err)
{
    int n = QR_LEDGER_SCHEMA_VERSION;
    if (s->objects == 0 && s->version == 0)
        *state = QR_LEDGER_EMPTY;
    else if (s->quire_tables > 0 && s->version > n)
        return lg_version_refusal(path, s->version, err);
    else if (s->quire_tables < N_QUIRE_TABLES || s->version < 1)
        return not_a_ledger(path, "an SQLite database without quire's tables", err);
    else
        *state = s->version < n ? QR_LEDGER_OLDER : QR_LEDGER_CURRENT;
    return QR_OK;
}

int lg_probe(const char *path, qr_ledger_state *state, int *version, qr_err *err)
{
    *state = QR_LEDGER_REJECTED;
    *version = 0;
    if (!*path) /* SQLite would open a temporary database, gone at close */
        return qr_err_set(err, QR_EINVAL, "the ledger path is empty");
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return qr_err_set(err, QR_EIO, "ledger %s: %s", path, strerror(errno));
        *state = QR_LEDGER_ABSENT;
        return QR_OK;
    }
    if (!S_ISREG(st.st_mode))
        return not_a_ledger(path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file",
                            err);
    if (st.st_size == 0) {
        *state = QR_LEDGER_EMPTY;
        return QR_OK;
    }
    bool sqlite = false;
    int rc = has_sqlite_header(path, &sqlite, err);
    if (rc != QR_OK)
        return rc;
    if (!sqlite)
        return not_a_ledger(path, "not an SQLite database", err);
    schema_shape s = {0};
    rc = read_schema(path, &s, err);
    if (rc == QR_OK)
        rc = classify(path, &s, state, err);
    *version = s.version;
    return rc;
}

int qr_ledger_probe(const char *path, qr_ledger_state *state, qr_err *err)
{
    qr_ledger_state s;
    int version;
    int rc = lg_probe(path, &s, &version, err);
    if (state)
        *state = rc == QR_OK ? s : QR_LEDGER_REJECTED;
    return rc;
}

/* Why a ledger of schema version v cannot be used without a migration. */
int lg_version_refusal(const char *path, int v, qr_err *err)
{
    if (v > QR_LEDGER_SCHEMA_VERSION)
        return qr_err_set(err, QR_EFATAL,
                          "ledger %s has schema version %d; this quire knows up to %d", path, v,
                          QR_LEDGER_SCHEMA_VERSION);
    return qr_err_set(err, QR_EFATAL,
                      "ledger %s has schema version %d, older than this quire's %d: the next "
                      "quire ingest, quire inventory import or quire plan set|import on it "
                      "upgrades it", path, v, QR_LEDGER_SCHEMA_VERSION);
}
