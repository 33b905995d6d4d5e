/*
 * Seals: a signature over the event chain's head, so that whoever can
 * write the ledger cannot rewrite its history unseen (they can recompute
 * every hash and every row digest, not a signature).
 *
 * What is signed, the payload, is one line of JSON with fixed members in a
 * fixed order (vs_payload): format, seal number, time, head event id and
 * hash, event count, files and pages archived and archived versions as the
 * events up to the head say, rows_covered_from, who, the key's fingerprint
 * and algorithm. The seal is recorded as a "seal" event whose detail is
 * the payload with "sig" added, in the same transaction that read the head
 * (nothing can be appended in between), and written as a detached file
 * with the same text, to be kept elsewhere: a copy the ledger's writer
 * cannot reach. It is written before the event is committed and removed if
 * the commit fails; an existing file is never replaced.
 *
 * Reading a seal back (vs_from_json) takes its members with SQLite's JSON
 * functions and rebuilds the payload from them, so a member changed after
 * signing makes the signature fail. The checks are in seal_check.c, trusted
 * time in seal_ts.c. Runs on the thread that owns the ledger handle.
 */
#include "seal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAFE_DETAIL(d) "(CASE WHEN json_valid(" d ") THEN " d " ELSE '{}' END)"

int vs_payload(const qr_seal *s, qr_buf *b)
{
    b->len = 0;
    int rc = qr_buf_printf(b, "{\"quire_seal\":%d,\"seal\":%d,\"time\":", VS_FORMAT, s->n);
    if (rc == QR_OK)
        rc = qr_json_str(b, s->time);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"head_id\":%" PRId64 ",\"head\":", s->head_id);
    if (rc == QR_OK)
        rc = qr_json_str(b, s->head);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"events\":%" PRId64 ",\"files\":%" PRId64 ",\"pages\":%" PRId64
                           ",\"archives\":%" PRId64 ",\"rows_from\":%" PRId64 ",\"by\":",
                           s->head_id, s->files, s->pages, s->archives, s->rows_from);
    if (rc == QR_OK)
        rc = qr_json_str(b, s->by);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"key\":");
    if (rc == QR_OK)
        rc = qr_json_str(b, s->key);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"alg\":");
    if (rc == QR_OK)
        rc = qr_json_str(b, s->alg);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "}");
    return rc;
}

void vs_payload_digest(const qr_seal *s, uint8_t d[QR_SHA256_LEN])
{
    qr_sha256_once(s->payload ? s->payload : "", s->payload ? strlen(s->payload) : 0, d);
}

void qr_seal_free(qr_seal *s)
{
    if (!s)
        return;
    free(s->payload);
    free(s->sig);
    s->payload = s->sig = NULL;
}

void qr_seal_list_free(qr_seal_list *list)
{
    for (size_t i = 0; list && i < list->n; i++)
        qr_seal_free(&list->v[i]);
    if (list) {
        free(list->v);
        list->v = NULL;
        list->n = 0;
    }
}

static void text_col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

/* ---- reading seals ---------------------------------------------------------- */

static void fields_of(sqlite3_stmt *st, qr_seal *s, int *format)
{
    *format = sqlite3_column_int(st, 0);
    s->n = sqlite3_column_int(st, 1);
    text_col(st, 2, s->time, sizeof s->time);
    s->head_id = sqlite3_column_int64(st, 3);
    text_col(st, 4, s->head, sizeof s->head);
    s->files = sqlite3_column_int64(st, 5);
    s->pages = sqlite3_column_int64(st, 6);
    s->archives = sqlite3_column_int64(st, 7);
    s->rows_from = sqlite3_column_int64(st, 8);
    text_col(st, 9, s->by, sizeof s->by);
    text_col(st, 10, s->key, sizeof s->key);
    text_col(st, 11, s->alg, sizeof s->alg);
}

int vs_from_json(qr_ledger *l, const char *json, qr_seal *s, int *format, qr_err *err)
{
    memset(s, 0, sizeof *s);
    *format = 0;
    sqlite3_stmt *st = lg_prepare(l, "SELECT json_extract(j, '$.quire_seal'),"
        " json_extract(j, '$.seal'), json_extract(j, '$.time'), json_extract(j, '$.head_id'),"
        " json_extract(j, '$.head'), json_extract(j, '$.files'), json_extract(j, '$.pages'),"
        " json_extract(j, '$.archives'), json_extract(j, '$.rows_from'),"
        " json_extract(j, '$.by'), json_extract(j, '$.key'), json_extract(j, '$.alg'),"
        " json_extract(j, '$.sig')"
        " FROM (SELECT " SAFE_DETAIL("?1") " AS j)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, json);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading a seal");
    if (rc == QR_OK)
        fields_of(st, s, format);
    if (rc == QR_OK && (*format == 0 || s->n <= 0))
        rc = qr_err_set(err, QR_ECORRUPT, "not a quire seal");
    qr_buf b = {0};
    if (rc == QR_OK && (vs_payload(s, &b) != QR_OK ||
                        !(s->sig = qr_strdup(sqlite3_column_text(st, 12)
                                                 ? (const char *)sqlite3_column_text(st, 12)
                                                 : ""))))
        rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    sqlite3_finalize(st);
    if (rc == QR_OK)
        s->payload = (char *)b.data;
    else
        qr_buf_free(&b);
    return rc;
}

/* Mark the seals that have a time-stamp token. */
static void stamps(qr_ledger *l, qr_seal_list *list)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT json_extract(" SAFE_DETAIL("detail") ", '$.seal'),"
        " json_extract(" SAFE_DETAIL("detail") ", '$.time') FROM events"
        " WHERE kind = 'seal_timestamp' ORDER BY id", NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_int(st, 0);
        for (size_t i = 0; i < list->n; i++)
            if (list->v[i].n == n) {
                list->v[i].stamped = true;
                text_col(st, 1, list->v[i].stamp_time, sizeof list->v[i].stamp_time);
            }
    }
    sqlite3_finalize(st);
}

int qr_ledger_seals_of(qr_ledger *l, qr_seal_list *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, detail FROM events WHERE kind = 'seal'"
                                     " ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK, s, format;
    size_t cap = 0;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (qr_grow(&out->v, &cap, out->n + 1, sizeof *out->v) != QR_OK) {
            rc = qr_err_set(err, QR_ENOMEM, "out of memory");
            break;
        }
        qr_seal *x = &out->v[out->n];
        qr_err e = {0};
        rc = vs_from_json(l, (const char *)sqlite3_column_text(st, 1), x, &format, &e);
        if (rc == QR_ECORRUPT) /* still listed: the checks say what is wrong with it */
            rc = QR_OK;
        else if (rc != QR_OK)
            *err = e;
        x->event = sqlite3_column_int64(st, 0);
        out->n++;
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading seals");
    sqlite3_finalize(st);
    if (rc == QR_OK)
        stamps(l, out);
    else
        qr_seal_list_free(out);
    return rc;
}

int vs_seal_n(qr_ledger *l, int n, qr_seal *out, qr_err *err)
{
    qr_seal_list list;
    memset(out, 0, sizeof *out);
    int rc = qr_ledger_seals_of(l, &list, err);
    if (rc != QR_OK)
        return rc;
    size_t at = list.n;
    for (size_t i = 0; i < list.n; i++)
        if (n == 0 || list.v[i].n == n)
            at = i;
    if (at == list.n) {
        qr_seal_list_free(&list);
        return n ? qr_err_set(err, QR_EINVAL, "ledger %s has no seal %d", l->path, n)
                 : qr_err_set(err, QR_EINVAL, "ledger %s has no seal yet (quire seal --key "
                              "KEY.pem makes one)", l->path);
    }
    *out = list.v[at];
    list.v[at].payload = list.v[at].sig = NULL;
    qr_seal_list_free(&list);
    return QR_OK;
}

int vs_counts_at(qr_ledger *l, int64_t head, int64_t *files, int64_t *pages, int64_t *archives,
                 qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT count(*), coalesce(sum(p), 0),"
        " (SELECT count(*) FROM events WHERE kind = 'archived' AND id <= ?1)"
        " FROM (SELECT file_id, json_extract(" SAFE_DETAIL("detail") ", '$.pages') AS p,"
        " max(id) FROM events WHERE kind = 'archived' AND id <= ?1 GROUP BY file_id)", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, head);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "counting archives");
    if (rc == QR_OK) {
        *files = sqlite3_column_int64(st, 0);
        *pages = sqlite3_column_int64(st, 1);
        *archives = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- making a seal ----------------------------------------------------------- */

static int head_of(qr_ledger *l, qr_seal *s, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, hash, (SELECT count(*) FROM events"
                                     " WHERE kind = 'seal') FROM events ORDER BY id DESC"
                                     " LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        s->head_id = sqlite3_column_int64(st, 0);
        text_col(st, 1, s->head, sizeof s->head);
        s->n = sqlite3_column_int(st, 2) + 1;
    }
    sqlite3_finalize(st);
    if (r == SQLITE_DONE)
        return qr_err_set(err, QR_EINVAL, "ledger %s has no event yet: nothing to seal",
                          l->path);
    return r == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading the chain's head");
}

/* The detached file: created (never replacing one), written, fsynced. */
static int write_detached(const char *path, const char *text, qr_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return qr_err_set(err, errno == EEXIST ? QR_EINVAL : QR_EIO, "%s: %s", path,
                          errno == EEXIST ? "exists already: a seal file is never replaced"
                                          : strerror(errno));
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        return qr_err_set(err, QR_EIO, "%s: cannot write the seal: %s", path, strerror(errno));
    }
    return QR_OK;
}

/* The fields, the signature and the detail (payload + "sig") of a new seal. */
static int build(qr_ledger *l, const qr_seal_key *key, const char *by, qr_seal *s, qr_buf *detail,
                 qr_err *err)
{
    int rc = head_of(l, s, err);
    if (rc == QR_OK)
        rc = vs_counts_at(l, s->head_id, &s->files, &s->pages, &s->archives, err);
    if (rc != QR_OK)
        return rc;
    lg_now(l, s->time);
    s->rows_from = vf_rows_from(l);
    snprintf(s->by, sizeof s->by, "%s", by && *by ? by : qr_actor_default());
    snprintf(s->key, sizeof s->key, "%s", qr_seal_key_fingerprint(key));
    snprintf(s->alg, sizeof s->alg, "%s", qr_seal_key_alg(key));
    if (vs_payload(s, detail) != QR_OK || !(s->payload = qr_strdup((const char *)detail->data)))
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    if ((rc = vs_sign(key, s->payload, strlen(s->payload), &s->sig, err)) != QR_OK)
        return rc;
    detail->len--; /* the closing brace: "sig" follows the payload's members */
    if (qr_buf_printf(detail, ",\"sig\":\"%s\"}", s->sig) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    return QR_OK;
}

static void default_path(const qr_ledger *l, int n, char *out, size_t cap)
{
    snprintf(out, cap, "%s.seal-%d.json", l->path, n);
}

int qr_seal_make(qr_ledger *l, const qr_seal_key *key, const char *by, const char *out_path,
                 qr_seal *made, char *written, size_t cap, qr_err *err)
{
    qr_seal s = {0};
    qr_buf detail = {0};
    char path[4200];
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = build(l, key, by, &s, &detail, err);
    if (rc == QR_OK) {
        if (out_path)
            snprintf(path, sizeof path, "%s", out_path);
        else
            default_path(l, s.n, path, sizeof path);
        rc = write_detached(path, (const char *)detail.data, err);
    }
    bool file = rc == QR_OK;
    if (rc == QR_OK)
        rc = lg_event_append(l, 0, NULL, "seal", s.by, (const char *)detail.data, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (rc == QR_OK && rc2 == QR_OK) {
        s.event = s.head_id + 1;
        if (written)
            snprintf(written, cap, "%s", path);
    } else if (file) {
        unlink(path);
    }
    qr_buf_free(&detail);
    if (made && rc == QR_OK && rc2 == QR_OK)
        *made = s;
    else
        qr_seal_free(&s);
    return rc != QR_OK ? rc : rc2;
}
