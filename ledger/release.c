/*
 * The release of the paper, box by box (qr_release.h). A box's paper may go
 * only when its scans can stand in for it, so the check is the strict one:
 * each file's archive is re-hashed and compared with the ledger now, and a
 * seal counts only when its signature holds with the office's key; a
 * seal merely recorded, or an archive merely recorded, is not enough.
 *
 * The check runs outside any write lock (re-hashing a box takes seconds, and
 * an ingest must not wait that long); qr_release_mark then takes the lock,
 * compares a short state of the box (its files' current versions and
 * SHA-256s, its open jobs, an earlier release) with the one the check saw,
 * and only then records the release and seals it, in one transaction. A
 * box that changed in between is refused, never released on an old check.
 */
#include "qr_release.h"

#include "ledger_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many findings of one archive become reasons. */
enum { MAX_FINDINGS = 3 };

bool qr_release_ok(const qr_release_box *b)
{
    return !b->released && b->files > 0 && b->n_reasons == 0;
}

const char *qr_release_state_name(const qr_release_box *b)
{
    return b->released ? "released" : qr_release_ok(b) ? "releasable" : "not releasable";
}

void qr_release_box_free(qr_release_box *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n_reasons; i++)
        free(b->reasons[i]);
    free(b->reasons);
    free(b->box);
    free(b->released_by);
    free(b->released_reason);
    free(b->state);
    memset(b, 0, sizeof *b);
}

void qr_release_list_free(qr_release_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        qr_release_box_free(&list->v[i]);
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

static int add_reason(qr_release_box *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_reason(qr_release_box *b, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t cap = b->n_reasons;
    char *s = qr_strdup(text);
    if (!s || qr_grow((void **)&b->reasons, &cap, b->n_reasons + 1, sizeof *b->reasons) != QR_OK) {
        free(s);
        return QR_ENOMEM;
    }
    b->reasons[b->n_reasons++] = s;
    return QR_OK;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? qr_strdup((const char *)t) : NULL;
}

/* ---- the state of a box, as the ledger has it --------------------------------- */

#define STATE_SQL                                                                          \
    "SELECT (SELECT group_concat(x, ';') FROM (SELECT i.file_id || ':' ||"                 \
    "  coalesce(f.version, '') || ':' || coalesce(f.status, '') || ':' ||"                 \
    "  coalesce(f.archive_sha256, '') AS x FROM inventory i LEFT JOIN files f"             \
    "  ON f.file_id = i.file_id AND f.current = 1 WHERE i.box = ?1 ORDER BY i.file_id))"    \
    " || '|' || (SELECT group_concat(j, ',') FROM (SELECT r.id AS j FROM rescan_jobs r"    \
    "  JOIN inventory i ON i.file_id = r.file_id WHERE i.box = ?1 AND r.status <> 'closed'" \
    "  ORDER BY r.id))"                                                                    \
    " || '|' || coalesce((SELECT min(id) FROM events WHERE kind = 'box_released'"          \
    "  AND json_valid(detail) AND json_extract(detail, '$.box') = ?1), '')"

int lg_box_state(qr_ledger *l, const char *box, char **out, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, STATE_SQL, err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, box);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading a box");
    if (rc == QR_OK) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (!(*out = qr_strdup(t ? (const char *)t : "")))
            rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    sqlite3_finalize(st);
    return rc;
}

/* An earlier release of the box: when, by whom, why. */
static int released_info(qr_ledger *l, qr_release_box *b, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, ts, actor, json_extract(detail, '$.reason')"
        " FROM events WHERE kind = 'box_released' AND json_valid(detail)"
        " AND json_extract(detail, '$.box') = ? ORDER BY id LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, b->box);
    int s = sqlite3_step(st), rc = QR_OK;
    if (s == SQLITE_ROW) {
        b->released = true;
        b->release_event = sqlite3_column_int64(st, 0);
        snprintf(b->released_at, sizeof b->released_at, "%s",
                 (const char *)sqlite3_column_text(st, 1));
        b->released_by = col_dup(st, 2);
        b->released_reason = col_dup(st, 3);
    } else if (s != SQLITE_DONE) {
        rc = lg_fail(l, err, "reading releases");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- one archived version ------------------------------------------------------ */

typedef struct finding_ctx {
    qr_release_box *b;
    int n;
} finding_ctx;

static int finding_reason(void *user, const qr_verify_finding *f)
{
    finding_ctx *c = user;
    if (c->n++ >= MAX_FINDINGS)
        return 0;
    char cmp[600] = "";
    if (f->expected || f->found)
        snprintf(cmp, sizeof cmp, " (expected %s, found %s)", f->expected ? f->expected : "-",
                 f->found ? f->found : "-");
    return add_reason(c->b, "%s v%d: %s: %s%s", f->file_id ? f->file_id : "?", f->version,
                      qr_verify_kind_name(f->kind), f->what ? f->what : "", cmp);
}

static int check_version(qr_ledger *l, qr_release_box *b, const char *file_id, int version,
                         const qr_release_opts *o, qr_sealed *sealed, qr_err *err)
{
    qr_verify_opts vo = {.archives_dir = o->archives_dir, .deep = o->deep};
    finding_ctx c = {b, 0};
    bool ok = false;
    int rc = qr_verify_archive(l, file_id, version, &vo, finding_reason, &c, &ok, err);
    if (rc != QR_OK)
        return rc;
    b->verified += ok;
    int seal = 0;
    if ((rc = qr_sealed_covers(sealed, l, file_id, version, &seal, err)) != QR_OK)
        return rc;
    b->sealed += seal > 0;
    return seal ? QR_OK : add_reason(b, "%s v%d: no valid seal covers it (quire seal)", file_id,
                                     version);
}

/* ---- one box ------------------------------------------------------------------- */

static int check_files(qr_ledger *l, qr_release_box *b, const qr_release_opts *o,
                       qr_sealed *sealed, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT i.file_id, f.version, f.status FROM inventory i"
        " LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1"
        " WHERE i.box = ? ORDER BY i.file_id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, b->box);
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *status = (const char *)sqlite3_column_text(st, 2);
        int version = sqlite3_column_int(st, 1);
        b->files++;
        if (!status)
            rc = add_reason(b, "%s: not delivered yet", id);
        else if (strcmp(status, "archived"))
            rc = add_reason(b, "%s: not archived: its outcome is %s (quire faults)", id, status);
        else {
            b->archived++;
            rc = check_version(l, b, id, version, o, sealed, err);
        }
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading a box's files");
    sqlite3_finalize(st);
    return rc == QR_ENOMEM ? qr_err_set(err, QR_ENOMEM, "out of memory") : rc;
}

static int check_jobs(qr_ledger *l, qr_release_box *b, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT r.id, r.file_id, r.status FROM rescan_jobs r"
        " JOIN inventory i ON i.file_id = r.file_id WHERE i.box = ? AND r.status <> 'closed'"
        " ORDER BY r.id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, b->box);
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        b->open_jobs++;
        rc = add_reason(b, "%s: rescan job %lld is %s (quire rescan list)",
                        (const char *)sqlite3_column_text(st, 1),
                        (long long)sqlite3_column_int64(st, 0),
                        (const char *)sqlite3_column_text(st, 2));
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading rescan jobs");
    sqlite3_finalize(st);
    return rc == QR_ENOMEM ? qr_err_set(err, QR_ENOMEM, "out of memory") : rc;
}

static int check_box(qr_ledger *l, qr_release_box *b, const qr_release_opts *o,
                     qr_sealed *sealed, qr_err *err)
{
    int rc = lg_box_state(l, b->box, &b->state, err);
    if (rc == QR_OK)
        rc = released_info(l, b, err);
    if (rc == QR_OK)
        rc = check_files(l, b, o, sealed, err);
    if (rc == QR_OK)
        rc = check_jobs(l, b, err);
    return rc;
}

/* ---- the boxes ------------------------------------------------------------------- */

static int box_names(qr_ledger *l, const char *box, qr_release_list *out, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT DISTINCT box FROM inventory WHERE box <> ''"
                                     " AND (?1 IS NULL OR box = ?1) ORDER BY box", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, box);
    size_t cap = 0;
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        qr_release_box b = {.box = col_dup(st, 0)};
        if (!b.box || qr_grow((void **)&out->v, &cap, out->n + 1, sizeof *out->v) != QR_OK) {
            free(b.box);
            rc = qr_err_set(err, QR_ENOMEM, "out of memory");
        } else {
            out->v[out->n++] = b;
        }
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading the boxes");
    sqlite3_finalize(st);
    if (rc == QR_OK && box && out->n == 0)
        rc = qr_err_set(err, QR_EINVAL, "ledger %s: no box %s in the inventory", l->path, box);
    return rc;
}

int qr_release_check(qr_ledger *l, const char *box, const qr_release_opts *o,
                     qr_release_list *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->pub)
        return qr_err_set(err, QR_EINVAL, "the release check needs the seals' public key");
    qr_sealed *sealed = NULL;
    int rc = box_names(l, box, out, err);
    if (rc == QR_OK)
        rc = qr_sealed_open(l, o->pub, &sealed, err);
    for (size_t i = 0; rc == QR_OK && i < out->n; i++)
        rc = check_box(l, &out->v[i], o, sealed, err);
    qr_sealed_close(&sealed);
    if (rc != QR_OK)
        qr_release_list_free(out);
    return rc;
}

/* ---- counts for status ------------------------------------------------------------ */

/* Whether any seal or release is recorded: without one every box is neither
 * released nor ready, and a whole project's inventory need not be read. */
static int any_seal(qr_ledger *l, bool *any, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM events"
                                     " WHERE kind IN ('seal', 'box_released'))", err);
    if (!st)
        return QR_EFATAL;
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading seals");
    *any = rc == QR_OK && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int qr_release_counts(qr_ledger *l, int64_t *released, int64_t *ready, qr_err *err)
{
    bool any = false;
    *released = *ready = 0;
    int rc = any_seal(l, &any, err);
    if (rc != QR_OK || !any)
        return rc;
    sqlite3_stmt *st = lg_prepare(l,
        "WITH rel AS (SELECT DISTINCT json_extract(detail, '$.box') AS box FROM events"
        "  WHERE kind = 'box_released' AND json_valid(detail)),"
        " last_seal AS (SELECT coalesce(max(json_extract(detail, '$.head_id')), 0) AS head"
        "  FROM events WHERE kind = 'seal' AND json_valid(detail)),"
        " filestate AS (SELECT i.box, i.file_id, f.status,"
        "  (SELECT min(e.id) FROM events e WHERE e.file_id = i.file_id AND e.kind = 'archived'"
        "   AND json_valid(e.detail) AND json_extract(e.detail, '$.version') = f.version) AS ev,"
        "  EXISTS(SELECT 1 FROM rescan_jobs r WHERE r.file_id = i.file_id"
        "   AND r.status <> 'closed') AS job"
        "  FROM inventory i LEFT JOIN files f ON f.file_id = i.file_id AND f.current = 1"
        "  WHERE i.box <> ''),"
        " boxes AS (SELECT box, min(status IS 'archived' AND NOT job AND ev IS NOT NULL"
        "  AND ev <= (SELECT head FROM last_seal)) AS ok FROM filestate GROUP BY box)"
        " SELECT (SELECT count(*) FROM boxes WHERE box IN (SELECT box FROM rel)),"
        " (SELECT count(*) FROM boxes WHERE ok AND box NOT IN (SELECT box FROM rel))", err);
    if (!st)
        return QR_EFATAL;
    rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "counting releases");
    if (rc == QR_OK) {
        *released = sqlite3_column_int64(st, 0);
        *ready = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc;
}
