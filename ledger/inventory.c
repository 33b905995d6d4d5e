/*
 * Batches (one per ingest run) and the inventory, the denominator of
 * "percent digitized". Manifests and stock lists only ever add to the
 * inventory: a known file keeps its box and page count, and a different value
 * comes back to the caller as a conflict instead of being overwritten. An
 * unknown value (empty box, no count from a stock list) is filled in.
 * Who: a batch's user is the name its ingest was given (--by), else
 * qr_actor_default(), the same rule as every other record of who; an import
 * names its own actor the same way. Runs on the handle's owning thread; each
 * call is one transaction. The batch's events carry the digest of its row as
 * they leave it, an import's event that of the whole inventory (digest.c).
 */
#include "ledger_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The batch's row, covered by each event that writes it (digest.c). */
static const lg_rowset BATCH_ROWS = LG_ROWS_BATCHES;

static void system_host(char host[256])
{
    if (gethostname(host, 256) != 0)
        snprintf(host, 256, "unknown");
    host[255] = '\0';
}

/* Who runs the batch: the name given (--by), else the user given, else
 * qr_actor_default(). Recorded as the batch's user, which is the actor of
 * every event the batch records (lg_batch_user). */
static void batch_user(const qr_ledger_batch_info *in, char user[QR_ACTOR_MAX])
{
    const char *who = in->actor && *in->actor ? in->actor
                      : in->user && *in->user ? in->user
                                              : qr_actor_default();
    qr_copy_str(user, QR_ACTOR_MAX, who);
}

static int insert_batch(qr_ledger *l, const qr_ledger_batch_info *in, const char *host,
                        const char *user, int64_t *id, qr_err *err)
{
    char ts[32];
    lg_now(l, ts);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO batches(started, host, user, delivery, options,"
                                     " quire_version) VALUES(?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, ts);
    lg_bind_text(st, 2, host);
    lg_bind_text(st, 3, user);
    lg_bind_text(st, 4, in->delivery);
    lg_bind_text(st, 5, in->options);
    lg_bind_text(st, 6, QUIRE_VERSION);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "starting a batch");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(l->db);
    return rc;
}

int qr_ledger_batch_begin(qr_ledger *l, const qr_ledger_batch_info *info, int64_t *batch_id,
                          qr_err *err)
{
    qr_ledger_batch_info none = {0};
    const qr_ledger_batch_info *in = info ? info : &none;
    char host[256], user[QR_ACTOR_MAX];
    system_host(host);
    batch_user(in, user);
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = insert_batch(l, in, in->host ? in->host : host, user, batch_id, err);
    qr_buf d = {0};
    if (rc == QR_OK) {
        qr_buf_printf(&d, "{\"delivery\":");
        qr_json_str(&d, in->delivery);
        qr_buf_printf(&d, "}");
        rc = lg_event_append_rows(l, *batch_id, NULL, "batch_started", user,
                                  d.data ? (const char *)d.data : "{}", &BATCH_ROWS, 1,
                                  *batch_id, err);
    }
    qr_buf_free(&d);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

int qr_ledger_batch_end(qr_ledger *l, int64_t batch_id, const char *status,
                        const qr_ledger_batch_counts *c, qr_err *err)
{
    qr_ledger_batch_counts zero = {0};
    if (!c)
        c = &zero;
    char ts[32], detail[256];
    lg_now(l, ts);
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    sqlite3_stmt *st = lg_prepare(l, "UPDATE batches SET ended=?, status=?, files_archived=?,"
                                     " files_faulty=?, files_uptodate=?, pages=?, faults=?"
                                     " WHERE id=?", err);
    rc = st ? QR_OK : QR_EFATAL;
    if (st) {
        lg_bind_text(st, 1, ts);
        lg_bind_text(st, 2, status ? status : "done");
        int64_t v[] = {c->files_archived, c->files_faulty, c->files_uptodate, c->pages,
                       c->faults, batch_id};
        for (int i = 0; i < 6; i++)
            sqlite3_bind_int64(st, i + 3, v[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = lg_fail(l, err, "ending a batch");
        else if (sqlite3_changes(l->db) != 1)
            rc = qr_err_set(err, QR_EINVAL, "ledger %s: no batch %" PRId64, l->path, batch_id);
        sqlite3_finalize(st);
    }
    snprintf(detail, sizeof detail,
             "{\"status\":\"%s\",\"archived\":%" PRId64 ",\"faulty\":%" PRId64
             ",\"uptodate\":%" PRId64 ",\"pages\":%" PRId64 "}",
             status ? status : "done", c->files_archived, c->files_faulty, c->files_uptodate,
             c->pages);
    if (rc == QR_OK)
        rc = lg_event_append_rows(l, batch_id, NULL, "batch_ended", NULL, detail, &BATCH_ROWS, 1,
                                  batch_id, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

void qr_ledger_upsert_result_free(qr_ledger_upsert_result *res)
{
    free(res->conflicts);
    memset(res, 0, sizeof *res);
}

static int add_conflict(qr_ledger_upsert_result *res, const qr_manifest_row *r,
                        const char *field, const char *have, const char *want)
{
    size_t n = res->n_conflicts + 1;
    if (qr_grow(&res->conflicts, &res->cap_conflicts, n, sizeof *res->conflicts) != QR_OK)
        return QR_ENOMEM;
    qr_ledger_conflict *c = &res->conflicts[n - 1];
    memset(c, 0, sizeof *c);
    snprintf(c->file_id, sizeof c->file_id, "%s", r->file_id);
    c->line = r->line;
    snprintf(c->field, sizeof c->field, "%s", field);
    snprintf(c->ledger_value, sizeof c->ledger_value, "%s", have);
    snprintf(c->manifest_value, sizeof c->manifest_value, "%s", want);
    res->n_conflicts = n;
    return QR_OK;
}

static int metadata_json(const qr_manifest_row *r, qr_buf *b)
{
    b->len = 0;
    int rc = qr_buf_append(b, "[", 1);
    for (size_t i = 0; i < r->n_meta && rc == QR_OK; i++) {
        rc = qr_buf_append(b, i ? ",[" : "[", i ? 2 : 1);
        if (rc == QR_OK) rc = qr_json_str(b, r->meta[i].key);
        if (rc == QR_OK) rc = qr_buf_append(b, ",", 1);
        if (rc == QR_OK) rc = qr_json_str(b, r->meta[i].value);
        if (rc == QR_OK) rc = qr_buf_append(b, "]", 1);
    }
    if (rc == QR_OK) rc = qr_buf_append(b, "]", 1);
    return rc == QR_OK && qr_buf_append(b, "", 1) == QR_OK ? QR_OK : QR_ENOMEM;
}

typedef struct upsert_ctx {
    qr_ledger *l;
    sqlite3_stmt *get, *ins, *fill;
    qr_ledger_source source;
    int64_t batch;
    const char *actor;         /* NULL = the batch's user, or qr_actor_default() */
    char now[32];
    qr_buf meta;
    qr_ledger_upsert_result *res;
} upsert_ctx;

static int insert_row(upsert_ctx *u, const qr_manifest_row *r, qr_err *err)
{
    if (metadata_json(r, &u->meta) != QR_OK)
        return qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    sqlite3_stmt *st = u->ins;
    sqlite3_reset(st);
    lg_bind_text(st, 1, r->file_id);
    lg_bind_text(st, 2, r->box);
    if (r->expected_pages > 0) sqlite3_bind_int(st, 3, r->expected_pages);
    else sqlite3_bind_null(st, 3);
    lg_bind_text(st, 4, r->title);
    lg_bind_text(st, 5, (const char *)u->meta.data);
    lg_bind_text(st, 6, u->source == QR_LEDGER_SRC_STOCK ? "stock" : "manifest");
    lg_bind_text(st, 7, u->now);
    if (u->batch) sqlite3_bind_int64(st, 8, u->batch);
    else sqlite3_bind_null(st, 8);
    if (sqlite3_step(st) != SQLITE_DONE)
        return lg_fail(u->l, err, "adding to the inventory");
    u->res->added++;
    return QR_OK;
}

/* Compare with the known row; fill unknowns, report differences. */
static int merge_row(upsert_ctx *u, const qr_manifest_row *r, const char *box, int have_pages,
                     qr_err *err)
{
    bool fill_box = box[0] == '\0' && r->box[0] != '\0';
    bool fill_pages = have_pages == 0 && r->expected_pages > 0;
    size_t before = u->res->n_conflicts;
    char a[32], b[32];
    int rc = QR_OK;
    if (box[0] && r->box[0] && strcmp(box, r->box) != 0)
        rc = add_conflict(u->res, r, "box", box, r->box);
    if (rc == QR_OK && have_pages > 0 && r->expected_pages > 0 && have_pages != r->expected_pages) {
        snprintf(a, sizeof a, "%d", have_pages);
        snprintf(b, sizeof b, "%d", r->expected_pages);
        rc = add_conflict(u->res, r, "expected_pages", a, b);
    }
    if (rc != QR_OK)
        return qr_err_set(err, rc, "ledger: out of memory");
    if (!fill_box && !fill_pages) {
        u->res->unchanged += u->res->n_conflicts == before;
        return QR_OK;
    }
    sqlite3_reset(u->fill);
    lg_bind_text(u->fill, 1, fill_box ? r->box : box);
    if (fill_pages) sqlite3_bind_int(u->fill, 2, r->expected_pages);
    else if (have_pages > 0) sqlite3_bind_int(u->fill, 2, have_pages);
    else sqlite3_bind_null(u->fill, 2);
    lg_bind_text(u->fill, 3, r->file_id);
    if (sqlite3_step(u->fill) != SQLITE_DONE)
        return lg_fail(u->l, err, "filling in the inventory");
    u->res->filled++;
    return QR_OK;
}

static int upsert_row(upsert_ctx *u, const qr_manifest_row *r, qr_err *err)
{
    sqlite3_reset(u->get);
    lg_bind_text(u->get, 1, r->file_id);
    int s = sqlite3_step(u->get);
    if (s == SQLITE_DONE)
        return insert_row(u, r, err);
    if (s != SQLITE_ROW)
        return lg_fail(u->l, err, "reading the inventory");
    char box[256];
    snprintf(box, sizeof box, "%s", (const char *)sqlite3_column_text(u->get, 0));
    int pages = sqlite3_column_type(u->get, 1) == SQLITE_NULL ? 0 : sqlite3_column_int(u->get, 1);
    return merge_row(u, r, box, pages, err);
}

static int upsert_all(upsert_ctx *u, const qr_manifest *m, qr_err *err)
{
    u->get = lg_prepare(u->l, "SELECT box, expected_pages FROM inventory WHERE file_id=?", err);
    u->ins = lg_prepare(u->l, "INSERT INTO inventory(file_id, box, expected_pages, title, metadata,"
                              " source, first_seen, first_batch) VALUES(?,?,?,?,?,?,?,?)", err);
    u->fill = lg_prepare(u->l, "UPDATE inventory SET box=?, expected_pages=? WHERE file_id=?", err);
    int rc = u->get && u->ins && u->fill ? QR_OK : QR_EFATAL;
    for (size_t i = 0; rc == QR_OK && i < qr_manifest_count(m); i++)
        rc = upsert_row(u, qr_manifest_row_at(m, i), err);
    sqlite3_finalize(u->get);
    sqlite3_finalize(u->ins);
    sqlite3_finalize(u->fill);
    return rc;
}

static int import_event(upsert_ctx *u, const qr_manifest *m, qr_err *err)
{
    qr_buf d = {0};
    qr_buf_printf(&d, "{\"source\":");
    qr_json_str(&d, qr_manifest_name(m));
    qr_buf_printf(&d, ",\"added\":%zu,\"filled\":%zu,\"unchanged\":%zu,\"conflicts\":%zu}",
                  u->res->added, u->res->filled, u->res->unchanged, u->res->n_conflicts);
    const char *who = u->actor && *u->actor ? u->actor : u->batch ? NULL : qr_actor_default();
    static const lg_rowset whole = LG_ROWS_INVENTORY; /* the inventory as the import leaves it */
    int rc = d.data ? lg_event_append_rows(u->l, u->batch, NULL, "inventory_import", who,
                                           (const char *)d.data, &whole, 1, 0, err)
                    : qr_err_set(err, QR_ENOMEM, "ledger: out of memory");
    qr_buf_free(&d);
    return rc;
}

int qr_ledger_inventory_upsert(qr_ledger *l, const qr_manifest *m, qr_ledger_source source,
                               int64_t batch_id, bool all_or_nothing,
                               qr_ledger_upsert_result *res, qr_err *err)
{
    return qr_ledger_inventory_upsert_by(l, m, source, batch_id, all_or_nothing, NULL, res,
                                         err);
}

int qr_ledger_inventory_upsert_by(qr_ledger *l, const qr_manifest *m, qr_ledger_source source,
                                  int64_t batch_id, bool all_or_nothing, const char *actor,
                                  qr_ledger_upsert_result *res, qr_err *err)
{
    memset(res, 0, sizeof *res);
    upsert_ctx u = {.l = l, .source = source, .batch = batch_id, .actor = actor, .res = res};
    lg_now(l, u.now);
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = upsert_all(&u, m, err);
    qr_buf_free(&u.meta);
    bool keep = rc == QR_OK && !(all_or_nothing && res->n_conflicts > 0);
    if (keep)
        rc = import_event(&u, m, err);
    keep = keep && rc == QR_OK;
    int rc2 = lg_tx_close(l, keep, rc == QR_OK ? err : NULL);
    if (!keep && rc == QR_OK) /* rolled back on conflicts: nothing was added */
        res->added = res->filled = res->unchanged = 0;
    return rc != QR_OK ? rc : rc2;
}
