/*
 * Recording the release of a box's paper (qr_release.h). The release is an
 * event in the hash chain, and is sealed in the same transaction: the paper
 * is gone afterwards, so the record that it was allowed to go must be as
 * hard to rewrite as the archives that replace it. The event lists every
 * file's archived version with its SHA-256, so the release says exactly
 * which scans stand in for the paper, whatever is ingested later.
 *
 * The check (release.c) ran without the write lock; under the lock the
 * box's state is read again and must be the one checked, or nothing is
 * recorded.
 */
#include "qr_release.h"

#include "ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The event's detail: box, reason, and each file's archived version. */
static int release_detail(qr_ledger *l, const char *box, const char *reason, qr_buf *b,
                          qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT f.file_id, f.version, f.archive_sha256"
        " FROM inventory i JOIN files f ON f.file_id = i.file_id AND f.current = 1"
        " WHERE i.box = ? ORDER BY f.file_id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, box);
    int rc = qr_buf_printf(b, "{\"box\":");
    if (rc == QR_OK)
        rc = qr_json_str(b, box);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"reason\":");
    if (rc == QR_OK)
        rc = qr_json_str(b, reason);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, ",\"versions\":[");
    for (int n = 0; rc == QR_OK && sqlite3_step(st) == SQLITE_ROW; n++) {
        rc = qr_buf_printf(b, "%s{\"file_id\":", n ? "," : "");
        if (rc == QR_OK)
            rc = qr_json_str(b, (const char *)sqlite3_column_text(st, 0));
        if (rc == QR_OK)
            rc = qr_buf_printf(b, ",\"version\":%d,\"sha256\":\"%s\"}",
                               sqlite3_column_int(st, 1), sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "]}");
    if (rc == QR_OK)
        rc = qr_buf_append(b, "", 1);
    return rc == QR_OK ? QR_OK : qr_err_set(err, QR_ENOMEM, "out of memory");
}

/* Under the write lock: the box as checked, then the event and the seal. */
static int record(qr_ledger *l, const qr_release_box *b, const char *by, const char *reason,
                  const qr_seal_key *key, qr_seal *made, char *written, size_t cap,
                  qr_err *err)
{
    char *now = NULL;
    qr_buf detail = {0};
    int rc = lg_box_state(l, b->box, &now, err);
    if (rc == QR_OK && strcmp(now, b->state))
        rc = qr_err_set(err, QR_EINVAL, "box %s changed while it was checked (an ingest, a "
                        "rescan or a release in between): check it again", b->box);
    if (rc == QR_OK)
        rc = release_detail(l, b->box, reason, &detail, err);
    if (rc == QR_OK)
        rc = lg_event_append(l, 0, NULL, "box_released", by, (const char *)detail.data, err);
    if (rc == QR_OK)
        rc = qr_seal_make(l, key, by, NULL, made, written, cap, err);
    free(now);
    qr_buf_free(&detail);
    return rc;
}

static int refuse_early(const char *box, const char *reason, qr_err *err)
{
    if (!box || !*box)
        return qr_err_set(err, QR_EINVAL, "name the box to release");
    if (!reason || !*reason)
        return qr_err_set(err, QR_EINVAL, "give the reason for the release (returned to ..., "
                          "destroyed under ...)");
    return QR_OK;
}

int qr_release_mark(qr_ledger *l, const char *box, const char *by, const char *reason,
                    const qr_seal_key *key, const char *archives_dir, qr_release_box *checked,
                    qr_seal *made, char *written, size_t cap, qr_err *err)
{
    memset(checked, 0, sizeof *checked);
    int rc = refuse_early(box, reason, err);
    qr_release_opts o = {.pub = key, .archives_dir = archives_dir};
    qr_release_list list = {0};
    if (rc == QR_OK)
        rc = qr_release_check(l, box, &o, &list, err);
    if (rc != QR_OK)
        return rc;
    *checked = list.v[0];
    free(list.v);
    if (checked->released)
        return qr_err_set(err, QR_EINVAL, "box %s was released already, on %s by %s",
                          box, checked->released_at,
                          checked->released_by ? checked->released_by : "?");
    if (!qr_release_ok(checked))
        return qr_err_set(err, QR_ECORRUPT, "box %s is not releasable: %zu reason%s",
                          box, checked->n_reasons, checked->n_reasons == 1 ? "" : "s");
    const char *who = by && *by ? by : qr_actor_default();
    if ((rc = qr_ledger_tx_begin(l, err)) != QR_OK)
        return rc;
    rc = record(l, checked, who, reason, key, made, written, cap, err);
    int rc2 = qr_ledger_tx_end(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (rc == QR_OK && rc2 != QR_OK && made)
        qr_seal_free(made);
    return rc != QR_OK ? rc : rc2;
}
