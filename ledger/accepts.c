/*
 * Reviewer accepts: a reviewer looked at a fault, judged it a false alarm and
 * said why (quire accept). The accept is evidence, so it is stored with who
 * and when, and appended to the hash-chained event log in the same
 * transaction: an override cannot appear without its trace.
 *
 * An accept covers one kind on one page (or on every page, page 0) of one
 * file; it never expires, so a rescan of the same sheet keeps the reviewer's
 * judgement. accepts.used_batch says which batch first applied it: an accept
 * no outcome has applied yet is what makes the next plain ingest process a
 * faulty file again ("the next ingest archives that file"), without a clock
 * comparison that two commits in one second would defeat.
 *
 * Why an accept must match an open fault: an accept nobody needed is not
 * harmless. It waves through a fault the file may show later (a page 99 of a
 * 7-page file, a kind the file never had), and a second accept of the same
 * fault is written into the archive's XMP twice. So the check runs inside the
 * accept's own write transaction (an ingest committing beside it cannot slip
 * between the check and the insert), and a refusal names what the file does
 * have, so the reviewer can correct the command.
 *
 * Why an accept shows at once: a fault is accepted when its outcome recorded
 * it accepted OR an accept row covers it (LG_SQL_ACCEPT_COVERS, ledger_int.h), so quire
 * faults, the exports and status need no ingest to see the reviewer's
 * decision. The same rule is written out in export.c and status.c (their
 * statements are single SELECTs); keep the three word for word.
 *
 * The contractor must not rescan a sheet whose fault a reviewer accepted, so
 * the accept's transaction also updates the rescan job ingest opened for the
 * file: with no open fault left the job is closed (event
 * rescan_closed_by_accept); else the pages whose faults are all accepted now
 * leave its page list, kinds and detail (rescan_narrowed_by_accept), unless
 * it asks for the whole file (a page count fault or a doubled sheet shifts
 * the sheets, so the file still comes whole). A job a person submitted
 * (created_batch NULL) asks for a problem no fault recorded, so an accept
 * never changes it.
 *
 * Also here: the open faults (qr_ledger.h defines them), the reviewer's work
 * list. Runs on the handle's owning thread; quire accept may run beside an
 * ingest (WAL and busy_timeout serialise the writers). The accept's event
 * carries the digest of its row, a job's event that of the job as it leaves
 * it (digest.c); used_batch is left out: no figure depends on it.
 */
#include "ledger_int.h"
#include "qr_verdict.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REASON 4000

void qr_ledger_accept_list_free(qr_ledger_accept_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free(list->v[i].reason);
        free(list->v[i].actor);
        free(list->v[i].at);
    }
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

static bool blank_text(const char *s)
{
    for (; s && *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* Refusals that need nothing but the arguments and whether the file is known. */
static int check_accept(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                        const char *reason, qr_err *err)
{
    if ((unsigned)kind >= QR_FAULT__COUNT)
        return qr_err_set(err, QR_EINVAL, "unknown fault kind %d", (int)kind);
    char why[256];
    if (!qr_fault_acceptable(kind, file_id, why, sizeof why))
        return qr_err_set(err, QR_EINVAL, "%s", why);
    if (page < 0)
        return qr_err_set(err, QR_EINVAL, "page must be 1 or more (0 = every page)");
    if (blank_text(reason))
        return qr_err_set(err, QR_EINVAL, "a reason is required: say why the fault is a "
                          "false alarm");
    if (strlen(reason) > MAX_REASON)
        return qr_err_set(err, QR_EINVAL, "the reason is longer than %d bytes", MAX_REASON);
    int known = lg_file_known(l, file_id ? file_id : "", err);
    if (known < 0)
        return QR_EFATAL;
    if (!known)
        return qr_err_set(err, QR_EINVAL, "unknown file %s: not in the inventory and never "
                          "delivered (ledger %s)", file_id ? file_id : "", l->path);
    return QR_OK;
}

/* ---- What the file has: its latest outcome and how each fault stands ---------- */

/* The file's latest outcome (its last recorded one). */
typedef struct latest_outcome {
    int64_t id;                 /* 0 = the file has no outcome */
    bool archived;
    int version, pages;         /* pages: delivered */
} latest_outcome;

static int read_latest(qr_ledger *l, const char *file_id, latest_outcome *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, status = 'archived', version, pages FROM files"
                                     " WHERE file_id = ? ORDER BY id DESC LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *out = (latest_outcome){.id = sqlite3_column_int64(st, 0),
                                .archived = sqlite3_column_int(st, 1) != 0,
                                .version = sqlite3_column_int(st, 2),
                                .pages = sqlite3_column_int(st, 3)};
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading a file");
}

/* One fault of an outcome and what accepts it. */
typedef struct fault_cover {
    int page;
    qr_fault_kind kind;
    bool recorded;              /* its outcome recorded it accepted */
    int64_t cover;              /* the first accept row covering it; 0 = none */
    int64_t batch;              /* the batch that recorded it */
    double value, threshold;    /* NaN when unknown */
} fault_cover;

typedef struct fault_covers {
    fault_cover *v;
    size_t n, cap;
} fault_covers;

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? (double)NAN : sqlite3_column_double(st, i);
}

static bool is_open(const fault_cover *f) { return !f->recorded && !f->cover; }

/* Whether an accept of kind on page (0 = any) covers f. */
static bool covers(const fault_cover *f, int page, qr_fault_kind kind)
{
    return f->kind == kind && (page == 0 || page == f->page);
}

static int push_cover(fault_covers *c, sqlite3_stmt *st)
{
    if (qr_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v) != QR_OK)
        return QR_ENOMEM;
    int kind = qr_fault_from_name((const char *)sqlite3_column_text(st, 1));
    c->v[c->n++] = (fault_cover){.page = sqlite3_column_int(st, 0),
                                 .kind = kind < 0 ? QR_FAULT__COUNT : (qr_fault_kind)kind,
                                 .recorded = sqlite3_column_int(st, 2) != 0,
                                 .cover = sqlite3_column_int64(st, 3),
                                 .batch = sqlite3_column_int64(st, 4),
                                 .value = col_real(st, 5), .threshold = col_real(st, 6)};
    return QR_OK;
}

/* The faults of one outcome, by page, each with the first accept covering it. */
static int read_covers(qr_ledger *l, int64_t outcome, fault_covers *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT x.page, x.kind, x.accepted,"
        " coalesce((SELECT min(a.id) FROM accepts a WHERE a.file_id = x.file_id"
        "   AND a.kind = x.kind AND a.page IN (0, x.page)), 0), x.batch, x.value, x.threshold"
        " FROM faults x WHERE x.outcome = ? ORDER BY x.page, x.id", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, outcome);
    int rc = QR_OK, s = SQLITE_DONE;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = push_cover(out, st);
    if (rc != QR_OK)
        qr_err_set(err, rc, "out of memory");
    else if (s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading a file's faults");
    sqlite3_finalize(st);
    if (rc != QR_OK) {
        free(out->v);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* "blank on page 3" or "missing_pages (whole file)". */
static void fault_text(const fault_cover *f, char *out, size_t cap)
{
    if (f->page)
        snprintf(out, cap, "%s on page %d", qr_fault_name(f->kind), f->page);
    else
        snprintf(out, cap, "%s (whole file)", qr_fault_name(f->kind));
}

/* The open faults as a list for a message: the first few, then a count. */
static void open_list(const fault_covers *c, char *out, size_t cap)
{
    size_t used = 0, shown = 0, n_open = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->n; i++)
        n_open += is_open(&c->v[i]);
    for (size_t i = 0; i < c->n && shown < 6; i++) {
        if (!is_open(&c->v[i]))
            continue;
        char one[96];
        fault_text(&c->v[i], one, sizeof one);
        int w = snprintf(out + used, cap - used, "%s%s", shown ? ", " : "", one);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
        shown++;
    }
    if (n_open == 0)
        snprintf(out, cap, "none (all accepted: the next ingest archives it)");
    else if (shown < n_open && used < cap)
        snprintf(out + used, cap - used, " and %zu more", n_open - shown);
}

static int refuse_unmatched(const char *file_id, int page, qr_fault_kind kind,
                            const latest_outcome *o, const fault_covers *c, qr_err *err)
{
    char where[32] = "", list[300];
    if (page)
        snprintf(where, sizeof where, " on page %d", page);
    open_list(c, list, sizeof list);
    return qr_err_set(err, QR_EINVAL, "%s: no open '%s' fault%s; the file has %d page%s; "
                      "open faults: %s", file_id, qr_fault_name(kind), where, o->pages,
                      o->pages == 1 ? "" : "s", list);
}

/* Every fault the accept would cover is covered already: name who did it. */
static int refuse_covered(qr_ledger *l, const char *file_id, const fault_cover *f, qr_err *err)
{
    char what[128];
    if (f->page)
        snprintf(what, sizeof what, "the '%s' fault on page %d", qr_fault_name(f->kind), f->page);
    else
        snprintf(what, sizeof what, "the '%s' fault (whole file)", qr_fault_name(f->kind));
    if (!f->cover)
        return qr_err_set(err, QR_EINVAL, "%s: nothing new to accept: %s was already accepted "
                          "when batch %lld recorded it", file_id, what, (long long)f->batch);
    sqlite3_stmt *st = lg_prepare(l, "SELECT actor, at FROM accepts WHERE id = ?", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, f->cover);
    int rc = sqlite3_step(st) == SQLITE_ROW
                 ? qr_err_set(err, QR_EINVAL, "%s: nothing new to accept: %s is already "
                              "covered by accept #%lld (%s, %s)", file_id, what,
                              (long long)f->cover, (const char *)sqlite3_column_text(st, 0),
                              (const char *)sqlite3_column_text(st, 1))
                 : lg_fail(l, err, "reading an accept");
    sqlite3_finalize(st);
    return rc;
}

/* QR_OK when the accept covers at least one open fault of the file's latest
 * outcome; else QR_EINVAL saying what the file has. */
static int check_matches(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         qr_err *err)
{
    latest_outcome o;
    int rc = read_latest(l, file_id, &o, err);
    if (rc != QR_OK)
        return rc;
    if (!o.id)
        return qr_err_set(err, QR_EINVAL, "%s has not been delivered yet: it has no fault to "
                          "accept", file_id);
    if (o.archived)
        return qr_err_set(err, QR_EINVAL, "%s is archived (version %d) with no open fault; "
                          "nothing to accept", file_id, o.version);
    fault_covers c;
    if ((rc = read_covers(l, o.id, &c, err)) != QR_OK)
        return rc;
    const fault_cover *covered = NULL;
    bool open = false;
    for (size_t i = 0; i < c.n && !open; i++) {
        if (!covers(&c.v[i], page, kind))
            continue;
        open = is_open(&c.v[i]);
        if (!covered)
            covered = &c.v[i];
    }
    rc = open ? QR_OK
         : covered ? refuse_covered(l, file_id, covered, err)
                   : refuse_unmatched(file_id, page, kind, &o, &c, err);
    free(c.v);
    return rc;
}

static int insert_accept(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         const char *reason, const char *actor, int64_t *id, qr_err *err)
{
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO accepts(file_id, page, kind, reason, actor, at)"
                                     " VALUES(?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    sqlite3_bind_int(st, 2, page);
    lg_bind_text(st, 3, qr_fault_name(kind));
    lg_bind_text(st, 4, reason);
    lg_bind_text(st, 5, actor);
    lg_bind_text(st, 6, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "recording an accept");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(l->db);
    return rc;
}

static int accept_event(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                        const char *reason, const char *actor, int64_t id, qr_err *err)
{
    qr_buf b = {0};
    int rc = qr_buf_printf(&b, "{\"accept\":%lld,\"page\":%d,\"kind\":", (long long)id, page);
    if (rc == QR_OK)
        rc = qr_json_str(&b, qr_fault_name(kind));
    if (rc == QR_OK)
        rc = qr_buf_append(&b, ",\"reason\":", 10);
    if (rc == QR_OK)
        rc = qr_json_str(&b, reason);
    if (rc == QR_OK)
        rc = qr_buf_append(&b, "}", 2); /* with the terminating NUL */
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    static const lg_rowset row = LG_ROWS_ACCEPTS;
    rc = lg_event_append_rows(l, 0, file_id, "accept", actor, (const char *)b.data, &row, 1, id,
                              err);
    qr_buf_free(&b);
    return rc;
}

/* ---- The rescan jobs an accept made needless ----------------------------------- */

#define MAX_PAGES_TEXT 4096

/* The file's oldest job that is not closed and that an ingest opened; *job 0
 * when none. */
static int ingest_job(qr_ledger *l, const char *file_id, int64_t *job, char *pages, size_t cap,
                      qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, pages FROM rescan_jobs WHERE file_id = ?"
                                     " AND status <> 'closed' AND coalesce(created_batch, 0) > 0"
                                     " ORDER BY id LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    *job = 0;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *job = sqlite3_column_int64(st, 0);
        snprintf(pages, cap, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading a rescan job");
}

/* Append {"job":J,"pages":P,<extra>"accept":A} as the event `kind`. */
static int job_event(qr_ledger *l, const char *file_id, const char *kind, int64_t job,
                     const char *pages, const char *extra, int64_t accept, const char *actor,
                     qr_err *err)
{
    qr_buf b = {0};
    int rc = qr_buf_printf(&b, "{\"job\":%lld,\"pages\":", (long long)job);
    if (rc == QR_OK)
        rc = qr_json_str(&b, pages);
    if (rc == QR_OK)
        rc = qr_buf_printf(&b, ",%s\"accept\":%lld}", extra, (long long)accept);
    static const lg_rowset row = LG_ROWS_JOBS; /* the job as this change leaves it */
    rc = rc == QR_OK ? lg_event_append_rows(l, 0, file_id, kind, actor, (const char *)b.data,
                                            &row, 1, job, err)
                     : qr_err_set(err, QR_ENOMEM, "out of memory");
    qr_buf_free(&b);
    return rc;
}

static int close_by_accept(qr_ledger *l, const char *file_id, int64_t job, const char *pages,
                           int64_t accept, const char *actor, qr_err *err)
{
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, "UPDATE rescan_jobs SET status = 'closed', closed = ?2"
                                     " WHERE id = ?1", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, job);
    lg_bind_text(st, 2, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "closing a rescan job");
    sqlite3_finalize(st);
    return rc == QR_OK ? job_event(l, file_id, "rescan_closed_by_accept", job, pages, "", accept,
                                   actor, err)
                       : rc;
}

/* Whether page p stays on the job: the latest outcome has a fault there that
 * is still open, or none at all (an earlier attempt put it on the job). */
static bool page_owed(const fault_covers *c, int p)
{
    bool faulted = false;
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].page != p)
            continue;
        if (is_open(&c->v[i]))
            return true;
        faulted = true;
    }
    return !faulted;
}

/* The job's kinds and detail from the open faults, as ingest writes them. */
static int job_faults(const fault_covers *c, qr_buf *kinds, qr_buf *detail)
{
    int rc = qr_buf_printf(detail, "[");
    size_t n = 0;
    for (size_t i = 0; i < c->n && rc == QR_OK; i++) {
        const fault_cover *f = &c->v[i];
        if (!is_open(f) || f->kind == QR_FAULT_UNEXPECTED_FILE)
            continue;
        const char *k = qr_fault_name(f->kind);
        char v[40] = "null", th[40] = "null";
        if (isfinite(f->value))
            qr_fmt_double(f->value, v);
        if (isfinite(f->threshold))
            qr_fmt_double(f->threshold, th);
        rc = qr_buf_printf(detail, "%s{\"page\":%d,\"kind\":\"%s\",\"value\":%s,\"threshold\":%s}",
                           n++ ? "," : "", f->page, k, v, th);
        if (rc == QR_OK && !strstr(kinds->data ? (const char *)kinds->data : "", k))
            rc = qr_buf_printf(kinds, "%s%s", kinds->len ? "," : "", k);
    }
    if (rc == QR_OK)
        rc = qr_buf_printf(detail, "]");
    if (rc == QR_OK)
        rc = qr_buf_printf(kinds, "%s", "");
    return rc;
}

static int set_job_pages(qr_ledger *l, int64_t job, const char *pages, const fault_covers *c,
                         qr_err *err)
{
    qr_buf kinds = {0}, detail = {0};
    int rc = job_faults(c, &kinds, &detail);
    sqlite3_stmt *st = rc == QR_OK ? lg_prepare(l, "UPDATE rescan_jobs SET pages = ?2,"
                                                   " kinds = ?3, detail = ?4 WHERE id = ?1", err)
                                   : NULL;
    if (rc != QR_OK)
        rc = qr_err_set(err, QR_ENOMEM, "out of memory");
    else if (!st)
        rc = QR_EFATAL;
    if (st) {
        sqlite3_bind_int64(st, 1, job);
        lg_bind_text(st, 2, pages);
        lg_bind_text(st, 3, (const char *)kinds.data);
        lg_bind_text(st, 4, (const char *)detail.data);
        rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "updating a rescan job");
        sqlite3_finalize(st);
    }
    qr_buf_free(&kinds);
    qr_buf_free(&detail);
    return rc;
}

/* Drop from ingest's job the pages whose faults are all accepted now; a
 * job for the whole file (a page count fault, a doubled sheet) stays whole. */
static int narrow_job(qr_ledger *l, const char *file_id, const fault_covers *c, int64_t accept,
                      const char *actor, qr_err *err)
{
    char pages[MAX_PAGES_TEXT], kept_text[MAX_PAGES_TEXT], gone_text[MAX_PAGES_TEXT];
    int64_t job;
    int *v, *gone;
    size_t n, k = 0, g = 0;
    int rc = ingest_job(l, file_id, &job, pages, sizeof pages, err);
    if (rc != QR_OK || !job || !pages[0] || qr_ledger_pages_parse(pages, 0, &v, &n, NULL))
        return rc;
    if (!(gone = qr_malloc_array(n, sizeof *gone))) {
        free(v);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (page_owed(c, v[i]))
            v[k++] = v[i];
        else
            gone[g++] = v[i];
    }
    qr_ledger_pages_format(v, k, kept_text, sizeof kept_text);
    qr_ledger_pages_format(gone, g, gone_text, sizeof gone_text);
    free(v);
    free(gone);
    if (k == 0 || g == 0) /* nothing accepted on its pages, or only pages still owed elsewhere */
        return QR_OK;
    char extra[MAX_PAGES_TEXT + 16];
    snprintf(extra, sizeof extra, "\"dropped\":\"%s\",", gone_text);
    rc = set_job_pages(l, job, kept_text, c, err);
    return rc == QR_OK ? job_event(l, file_id, "rescan_narrowed_by_accept", job, kept_text,
                                   extra, accept, actor, err)
                       : rc;
}

/* After accept `id`: ingest's rescan job no longer asks for what is accepted.
 * With no open fault left the job is closed; else the pages whose faults are
 * all accepted leave it. */
static int follow_jobs(qr_ledger *l, const char *file_id, int64_t id, const char *actor,
                       qr_err *err)
{
    latest_outcome o;
    int rc = read_latest(l, file_id, &o, err);
    if (rc != QR_OK || !o.id || o.archived)
        return rc;
    fault_covers c;
    if ((rc = read_covers(l, o.id, &c, err)) != QR_OK)
        return rc;
    bool clear = true;
    for (size_t i = 0; i < c.n; i++)
        clear = clear && !is_open(&c.v[i]);
    if (!clear)
        rc = narrow_job(l, file_id, &c, id, actor, err);
    while (rc == QR_OK && clear) {
        char pages[MAX_PAGES_TEXT];
        int64_t job;
        rc = ingest_job(l, file_id, &job, pages, sizeof pages, err);
        if (rc != QR_OK || !job)
            break;
        rc = close_by_accept(l, file_id, job, pages, id, actor, err);
    }
    free(c.v);
    return rc;
}

static int accept_body(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                       const char *reason, const char *who, int64_t *id, qr_err *err)
{
    int rc = check_matches(l, file_id, page, kind, err);
    if (rc == QR_OK)
        rc = insert_accept(l, file_id, page, kind, reason, who, id, err);
    if (rc == QR_OK)
        rc = accept_event(l, file_id, page, kind, reason, who, *id, err);
    if (rc == QR_OK)
        rc = follow_jobs(l, file_id, *id, who, err);
    return rc;
}

int qr_ledger_accept_add(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         const char *reason, const char *actor, int64_t *id, qr_err *err)
{
    int rc = check_accept(l, file_id, page, kind, reason, err);
    if (rc != QR_OK)
        return rc;
    const char *who = actor && *actor ? actor : qr_actor_default();
    int64_t new_id = 0;
    if ((rc = lg_tx_open(l, err)) != QR_OK)
        return rc;
    rc = accept_body(l, file_id, page, kind, reason, who, &new_id, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    if (rc == QR_OK && rc2 == QR_OK && id)
        *id = new_id;
    return rc != QR_OK ? rc : rc2;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return qr_strdup(s ? (const char *)s : "");
}

static int read_accept(sqlite3_stmt *st, qr_ledger_accept *a)
{
    int kind = qr_fault_from_name((const char *)sqlite3_column_text(st, 2));
    *a = (qr_ledger_accept){.id = sqlite3_column_int64(st, 0), .page = sqlite3_column_int(st, 1),
                            .kind = kind < 0 ? QR_FAULT__COUNT : (qr_fault_kind)kind,
                            .reason = col_dup(st, 3), .actor = col_dup(st, 4),
                            .at = col_dup(st, 5), .used_batch = sqlite3_column_int64(st, 6)};
    return a->reason && a->actor && a->at ? QR_OK : QR_ENOMEM;
}

int qr_ledger_accepts_of(qr_ledger *l, const char *file_id, qr_ledger_accept_list *out,
                         qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, page, kind, reason, actor, at,"
                                     " coalesce(used_batch, 0) FROM accepts WHERE file_id=?"
                                     " ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int rc = QR_OK, s = SQLITE_DONE;
    size_t cap = 0;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (qr_grow(&out->v, &cap, out->n + 1, sizeof *out->v) != QR_OK) {
            rc = QR_ENOMEM;
            break;
        }
        rc = read_accept(st, &out->v[out->n++]);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading accepts");
    else if (rc == QR_ENOMEM)
        qr_err_set(err, rc, "out of memory");
    sqlite3_finalize(st);
    if (rc != QR_OK)
        qr_ledger_accept_list_free(out);
    return rc;
}

int qr_ledger_accepts_pending(qr_ledger *l, const char *file_id, bool *pending, qr_err *err)
{
    *pending = false;
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM accepts WHERE file_id=?"
                                     " AND used_batch IS NULL)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading accepts");
    if (rc == QR_OK)
        *pending = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_accepts_mark_used(qr_ledger *l, const char *file_id, int64_t upto_id,
                                int64_t batch, qr_err *err)
{
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    sqlite3_stmt *st = lg_prepare(l, "UPDATE accepts SET used_batch=? WHERE file_id=?"
                                     " AND id <= ? AND used_batch IS NULL", err);
    if (!st)
        rc = QR_EFATAL;
    if (st) {
        sqlite3_bind_int64(st, 1, batch);
        lg_bind_text(st, 2, file_id);
        sqlite3_bind_int64(st, 3, upto_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "marking accepts used");
        sqlite3_finalize(st);
    }
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc != QR_OK ? rc : rc2;
}

/*
 * The open faults: the faults of each file's latest outcome when that is
 * faulty, neither recorded accepted nor covered by an accept row. The outer
 * loop reads the current outcomes (files_current_cover); the latest outcome
 * is max(id) of the file (files_file). It is faulty when the current one is
 * (a file without an archive: its latest faulty outcome is current) or when
 * it is not the current one (an outcome after the current archive can only
 * be faulty: an archived one becomes current), so no outcome row is read.
 * The faults come from faults_outcome_kind; the accept rows from
 * accepts_file.
 */
#define SQL_OPEN_FAULTS                                                                 \
    "SELECT x.file_id, x.page, x.kind, x.value, x.threshold, x.detail"                  \
    LG_SQL_LATEST_FAULTS " AND x.accepted = 0 AND NOT " LG_SQL_ACCEPT_COVERS("x")

static int each_open_fault(qr_ledger *l, sqlite3_stmt *st,
                           int (*fn)(void *user, const qr_ledger_open_fault *f), void *user,
                           qr_err *err)
{
    int rc = QR_OK, s = SQLITE_DONE;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = qr_fault_from_name((const char *)sqlite3_column_text(st, 2));
        qr_ledger_open_fault f = {
            .file_id = (const char *)sqlite3_column_text(st, 0), .page = sqlite3_column_int(st, 1),
            .kind = kind < 0 ? QR_FAULT__COUNT : (qr_fault_kind)kind, .value = col_real(st, 3),
            .threshold = col_real(st, 4), .detail = (const char *)sqlite3_column_text(st, 5)};
        rc = fn(user, &f);
    }
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading faults");
    sqlite3_finalize(st);
    return rc;
}

int qr_ledger_open_faults(qr_ledger *l, int (*fn)(void *user, const qr_ledger_open_fault *f),
                          void *user, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, SQL_OPEN_FAULTS " ORDER BY x.file_id, x.page, x.id", err);
    return st ? each_open_fault(l, st, fn, user, err) : QR_EFATAL;
}

int qr_ledger_open_faults_of(qr_ledger *l, const char *file_id,
                             int (*fn)(void *user, const qr_ledger_open_fault *f), void *user,
                             qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, SQL_OPEN_FAULTS " AND c.file_id = ?1"
                                     " ORDER BY x.page, x.id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    return each_open_fault(l, st, fn, user, err);
}
