/*
 * Rescan jobs: the loop that brings a faulty scan back as a good one.
 *
 * Why jobs live in the ledger and move with outcomes: the contractor's work
 * list must never disagree with what the archive holds. So a job is opened,
 * closed or reopened inside the same transaction that records the file's
 * outcome (lg_rescan_on_outcome, called by commit_file): after a kill -9
 * either the outcome and the job's new state are both there or neither is.
 *
 * One file has at most one job that is not closed: a new fault on a file
 * with an open job widens that job (pages and kinds; event rescan_widened,
 * or rescan_reopened when it was delivered) instead of adding a second line
 * for the contractor. A person's submit on such a file is refused with the
 * open job's id, for the same reason.
 *
 * Every change of a job is an event that names it and carries the digest
 * of its row as the change leaves it (digest.c), so quire verify finds a
 * job row edited behind the ledger's back.
 *
 * Page lists are stored in canonical form ("3-5,9"), "" meaning the whole
 * file, so the list the contractor reads is the list ingest compares with.
 *
 * "Delivered" means a delivery: ingest marks a job delivered only for
 * sources that differ from the file's last outcome (qr_ledger.h states the
 * contract), since processing the same scans again after an accept or with
 * --retry brings the contractor's work no nearer. So an archived outcome
 * closes a job a person submitted only once a delivery came for it: an
 * archive made again from the scans the person found wanting is not the
 * rescan they asked for. A job ingest opened closes with any archive (its
 * faults are gone), and also when a reviewer accepts its last open fault:
 * accepts.c closes it inside the accept's transaction
 * (rescan_closed_by_accept), or takes the accepted pages off it
 * (rescan_narrowed_by_accept).
 */
#include "ledger_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REASON 4000
#define MAX_SPEC 4096

/* ---- Page lists ------------------------------------------------------------ */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int parse_num(const char **p, int *v)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long n = strtol(s, &end, 10);
    if (errno || n < 1 || n > 1000000)
        return -1;
    while (*end == ' ')
        end++;
    *v = (int)n;
    *p = end;
    return 0;
}

static int add_range(int **v, size_t *n, size_t *cap, int a, int b)
{
    for (int x = a; x <= b; x++) {
        if (qr_grow(v, cap, *n + 1, sizeof **v) != QR_OK)
            return QR_ENOMEM;
        (*v)[(*n)++] = x;
    }
    return QR_OK;
}

static size_t sort_unique(int *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_int);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

int qr_ledger_pages_parse(const char *spec, int max_page, int **pages, size_t *n, qr_err *err)
{
    *pages = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = spec ? spec : "";
    if (strlen(p) > MAX_SPEC)
        return qr_err_set(err, QR_EINVAL, "page list longer than %d bytes", MAX_SPEC);
    while (*p) {
        const char *part = p;
        int a, b;
        if (parse_num(&p, &a))
            return free(*pages), *pages = NULL,
                   qr_err_set(err, QR_EINVAL, "bad page list at \"%s\": want e.g. 3-5,9", part);
        b = a;
        if (*p == '-') {
            p++;
            if (parse_num(&p, &b) || b < a)
                return free(*pages), *pages = NULL,
                       qr_err_set(err, QR_EINVAL, "bad page range at \"%s\"", part);
        }
        if (max_page > 0 && b > max_page)
            return free(*pages), *pages = NULL,
                   qr_err_set(err, QR_EINVAL, "page %d is beyond the file's %d pages", b,
                              max_page);
        if (*p && *p != ',')
            return free(*pages), *pages = NULL,
                   qr_err_set(err, QR_EINVAL, "bad page list at \"%s\": want e.g. 3-5,9", part);
        if (*p == ',')
            p++;
        if (add_range(pages, n, &cap, a, b))
            return free(*pages), *pages = NULL, qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    *n = sort_unique(*pages, *n);
    return QR_OK;
}

void qr_ledger_pages_format(const int *pages, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        size_t j = i;
        while (j + 1 < n && pages[j + 1] == pages[j] + 1)
            j++;
        int w = j > i ? snprintf(out + len, cap - len, "%s%d-%d", i ? "," : "", pages[i], pages[j])
                      : snprintf(out + len, cap - len, "%s%d", i ? "," : "", pages[i]);
        if (w < 0 || (size_t)w >= cap - len) {
            out[len] = '\0';
            return;
        }
        len += (size_t)w;
        i = j;
    }
}

/* The union of two canonical page lists ("" = the whole file wins). */
static int pages_union(const char *a, const char *b, char *out, size_t cap)
{
    if (!a[0] || !b[0]) {
        out[0] = '\0';
        return QR_OK;
    }
    char joined[2 * MAX_SPEC + 2];
    snprintf(joined, sizeof joined, "%s,%s", a, b);
    int *v;
    size_t n;
    if (qr_ledger_pages_parse(joined, 0, &v, &n, NULL))
        return QR_EINVAL;
    qr_ledger_pages_format(v, n, out, cap);
    free(v);
    return QR_OK;
}

/* ---- Reading jobs ------------------------------------------------------------ */

#define JOB_COLS                                                                          \
    "j.id, j.file_id, coalesce(i.box, ''), j.pages, j.reason, j.kinds, j.detail, j.actor," \
    " j.submitted, j.status, coalesce(j.closed, ''), coalesce(j.created_batch, 0),"        \
    " coalesce(j.delivered_batch, 0), coalesce(j.resolved_batch, 0)"

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return qr_strdup(t ? (const char *)t : "");
}

static int read_job(sqlite3_stmt *st, qr_ledger_rescan_job *j)
{
    j->id = sqlite3_column_int64(st, 0);
    char **s[] = {&j->file_id, &j->box, &j->pages, &j->reason, &j->kinds, &j->detail,
                  &j->actor, &j->submitted, &j->status, &j->closed};
    for (int i = 0; i < 10; i++)
        if (!(*s[i] = col_dup(st, i + 1)))
            return QR_ENOMEM;
    j->created_batch = sqlite3_column_int64(st, 11);
    j->delivered_batch = sqlite3_column_int64(st, 12);
    j->resolved_batch = sqlite3_column_int64(st, 13);
    return QR_OK;
}

static void job_free(qr_ledger_rescan_job *j)
{
    char *s[] = {j->file_id, j->box, j->pages, j->reason, j->kinds, j->detail,
                 j->actor, j->submitted, j->status, j->closed};
    for (int i = 0; i < 10; i++)
        free(s[i]);
}

void qr_ledger_rescan_list_free(qr_ledger_rescan_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        job_free(&list->v[i]);
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

static int push_job(qr_ledger_rescan_list *out, size_t *cap, sqlite3_stmt *st)
{
    if (qr_grow(&out->v, cap, out->n + 1, sizeof *out->v) != QR_OK)
        return QR_ENOMEM;
    qr_ledger_rescan_job *j = &out->v[out->n++];
    memset(j, 0, sizeof *j);
    return read_job(st, j);
}

int qr_ledger_rescan_jobs(qr_ledger *l, const char *file_id, bool open_only,
                          qr_ledger_rescan_list *out, qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT " JOB_COLS " FROM rescan_jobs j"
        " LEFT JOIN inventory i ON i.file_id = j.file_id"
        " WHERE (?1 IS NULL OR j.file_id = ?1) AND (?2 = 0 OR j.status <> 'closed')"
        " ORDER BY j.id", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    sqlite3_bind_int(st, 2, open_only);
    size_t cap = 0;
    int s, rc = QR_OK;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = push_job(out, &cap, st);
    if (rc == QR_OK && s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading rescan jobs");
    else if (rc != QR_OK)
        qr_err_set(err, rc, "out of memory");
    sqlite3_finalize(st);
    if (rc)
        qr_ledger_rescan_list_free(out);
    return rc;
}

/* The file's job that is not closed. */
typedef struct live_job_t {
    int64_t id;                 /* 0 = none */
    char status[16], pages[MAX_SPEC];
    bool by_person;             /* created_batch NULL: quire rescan submit */
    bool was_delivered;         /* delivered_batch set: a delivery answered it once */
} live_job_t;

static int live_job(qr_ledger *l, const char *file_id, live_job_t *j, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT id, status, pages, created_batch IS NULL,"
                                     " delivered_batch IS NOT NULL FROM rescan_jobs"
                                     " WHERE file_id=? AND status <> 'closed'"
                                     " ORDER BY id DESC LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    memset(j, 0, sizeof *j);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        j->id = sqlite3_column_int64(st, 0);
        snprintf(j->status, sizeof j->status, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(j->pages, sizeof j->pages, "%s", (const char *)sqlite3_column_text(st, 2));
        j->by_person = sqlite3_column_int(st, 3) != 0;
        j->was_delivered = sqlite3_column_int(st, 4) != 0;
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(l, err, "reading a rescan job");
}

/* ---- Writing jobs ------------------------------------------------------------ */

static int job_event(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                     const char *actor, int64_t job, const char *pages, const char *extra,
                     qr_err *err)
{
    qr_buf b = {0};
    int rc = qr_buf_printf(&b, "{\"job\":%lld,\"pages\":", (long long)job);
    if (rc == QR_OK)
        rc = qr_json_str(&b, pages);
    if (rc == QR_OK)
        rc = qr_buf_printf(&b, "%s%s}", extra && *extra ? "," : "", extra ? extra : "");
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    static const lg_rowset row = LG_ROWS_JOBS; /* the job as this change leaves it */
    rc = lg_event_append_rows(l, batch, file_id, kind, actor, (const char *)b.data, &row, 1, job,
                              err);
    qr_buf_free(&b);
    return rc;
}

static int insert_job(qr_ledger *l, const char *file_id, const char *pages, const char *reason,
                      const char *kinds, const char *detail, const char *actor, int64_t batch,
                      int64_t *id, qr_err *err)
{
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, "INSERT INTO rescan_jobs(file_id, pages, reason, kinds,"
        " detail, actor, submitted, created_batch) VALUES(?,?,?,?,?,?,?,?)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    lg_bind_text(st, 2, pages);
    lg_bind_text(st, 3, reason);
    lg_bind_text(st, 4, kinds);
    lg_bind_text(st, 5, detail);
    lg_bind_text(st, 6, actor);
    lg_bind_text(st, 7, now);
    if (batch > 0)
        sqlite3_bind_int64(st, 8, batch);
    else
        sqlite3_bind_null(st, 8);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "recording a rescan job");
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(l->db);
    return rc;
}

/* The most pages the file can have: inventory count, else the current outcome's. */
static int page_cap(qr_ledger *l, const char *file_id, int *cap, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT coalesce((SELECT expected_pages FROM inventory"
        " WHERE file_id=?1), (SELECT pages FROM files WHERE file_id=?1 AND current=1), 0)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int s = sqlite3_step(st);
    *cap = s == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return s == SQLITE_ROW ? QR_OK : lg_fail(l, err, "reading a page count");
}

/* A rescan is for a scan: refuse a file no delivery brought (its first
 * delivery scans it) and one not in the inventory (it is never archived,
 * whatever is rescanned). */
static int check_scanned(qr_ledger *l, const char *file_id, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT EXISTS(SELECT 1 FROM files WHERE file_id=?1),"
                                     " EXISTS(SELECT 1 FROM inventory WHERE file_id=?1)", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(l, err, "looking up a file");
    bool delivered = rc == QR_OK && sqlite3_column_int(st, 0);
    bool listed = rc == QR_OK && sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (rc == QR_OK && !delivered)
        rc = qr_err_set(err, QR_EINVAL, "%s has not been delivered yet: there is nothing to "
                        "rescan; its first delivery scans it", file_id);
    else if (rc == QR_OK && !listed)
        rc = qr_err_set(err, QR_EINVAL, "%s is not in the inventory, so it is never archived "
                        "whatever is rescanned: add it to the manifest and ingest again", file_id);
    return rc;
}

static int check_submit(qr_ledger *l, const char *file_id, const char *pages,
                        const char *reason, char *canon, size_t ccap, qr_err *err)
{
    const char *r = reason ? reason : "";
    while (isspace((unsigned char)*r))
        r++;
    if (!*r)
        return qr_err_set(err, QR_EINVAL, "a reason is required: say what is wrong with the scan");
    if (strlen(reason) > MAX_REASON)
        return qr_err_set(err, QR_EINVAL, "the reason is longer than %d bytes", MAX_REASON);
    int known = lg_file_known(l, file_id, err);
    if (known <= 0)
        return known < 0 ? QR_EFATAL
                         : qr_err_set(err, QR_EINVAL, "unknown file %s: not in the inventory "
                                      "and never delivered (ledger %s)", file_id, l->path);
    int cap, *v;
    size_t n;
    int rc = check_scanned(l, file_id, err);
    if (rc == QR_OK)
        rc = page_cap(l, file_id, &cap, err);
    if (rc == QR_OK)
        rc = qr_ledger_pages_parse(pages, cap, &v, &n, err);
    if (rc != QR_OK)
        return rc;
    qr_ledger_pages_format(v, n, canon, ccap);
    free(v);
    return QR_OK;
}

static int submit_body(qr_ledger *l, const char *file_id, const char *canon, const char *reason,
                       const char *actor, int64_t *id, qr_err *err)
{
    live_job_t live;
    int rc = live_job(l, file_id, &live, err);
    if (rc != QR_OK)
        return rc;
    if (live.id)
        return qr_err_set(err, QR_EINVAL, "%s already has rescan job %lld (%s, pages %s); "
                          "it is rescanned as a whole delivery of those pages", file_id,
                          (long long)live.id, live.status, live.pages[0] ? live.pages : "all");
    rc = insert_job(l, file_id, canon, reason, "", "[]", actor, 0, id, err);
    if (rc == QR_OK) {
        qr_buf x = {0};
        rc = qr_buf_printf(&x, "\"by\":\"person\",\"reason\":");
        if (rc == QR_OK)
            rc = qr_json_str(&x, reason);
        if (rc == QR_OK)
            rc = qr_buf_append(&x, "", 1);
        rc = rc == QR_OK ? job_event(l, 0, file_id, "rescan_submitted", actor, *id, canon,
                                     (const char *)x.data, err)
                         : qr_err_set(err, QR_ENOMEM, "out of memory");
        qr_buf_free(&x);
    }
    return rc;
}

int qr_ledger_rescan_submit(qr_ledger *l, const char *file_id, const char *pages,
                            const char *reason, const char *actor, int64_t *id, qr_err *err)
{
    char canon[MAX_SPEC];
    int64_t tmp;
    const char *who = actor && *actor ? actor : qr_actor_default();
    int rc = check_submit(l, file_id ? file_id : "", pages, reason, canon, sizeof canon, err);
    if (rc != QR_OK)
        return rc;
    if ((rc = lg_tx_open(l, err)) != QR_OK)
        return rc;
    rc = submit_body(l, file_id, canon, reason, who, id ? id : &tmp, err);
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc ? rc : rc2;
}

static int set_status(qr_ledger *l, int64_t job, const char *sql, int64_t batch, qr_err *err)
{
    char now[32];
    lg_now(l, now);
    sqlite3_stmt *st = lg_prepare(l, sql, err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, job);
    sqlite3_bind_int64(st, 2, batch);
    lg_bind_text(st, 3, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "updating a rescan job");
    sqlite3_finalize(st);
    return rc;
}

static const char SQL_DELIVERED[] =
    "UPDATE rescan_jobs SET status='delivered', delivered_batch=?2 WHERE id=?1";
static const char SQL_CLOSED[] =
    "UPDATE rescan_jobs SET status='closed', resolved_batch=?2, closed=?3 WHERE id=?1";

int qr_ledger_rescan_mark_delivered(qr_ledger *l, const char *file_id, int64_t batch,
                                    qr_err *err)
{
    live_job_t job;
    int rc = lg_tx_open(l, err);
    if (rc != QR_OK)
        return rc;
    rc = live_job(l, file_id, &job, err);
    if (rc == QR_OK && job.id && strcmp(job.status, "open") == 0) {
        rc = set_status(l, job.id, SQL_DELIVERED, batch, err);
        if (rc == QR_OK)
            rc = job_event(l, batch, file_id, "rescan_delivered", NULL, job.id, job.pages, NULL,
                           err);
    }
    int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
    return rc ? rc : rc2;
}

/* ---- Following outcomes ---------------------------------------------------- */

static bool blocking(const qr_ledger_outcome *o, size_t i)
{
    return !(o->fault_accepted && o->fault_accepted[i]) &&
           o->faults[i].kind != QR_FAULT_UNEXPECTED_FILE;
}

/* Pages, kinds, detail and reason of an outcome's blocking faults. */
typedef struct job_text {
    char pages[MAX_SPEC];
    qr_buf kinds, detail, reason;
    size_t n;
} job_text;

static int describe_fault(job_text *t, const qr_fault *f)
{
    const char *k = qr_fault_name(f->kind);
    char v[40] = "null", th[40] = "null";
    if (isfinite(f->value))
        qr_fmt_double(f->value, v);
    if (isfinite(f->threshold))
        qr_fmt_double(f->threshold, th);
    int rc = qr_buf_printf(&t->detail, "%s{\"page\":%d,\"kind\":\"%s\",\"value\":%s,"
                           "\"threshold\":%s}", t->n ? "," : "", f->page, k, v, th);
    /* The reason is for people: the check's own words, with the unit and
     * the threshold it crossed (the raw numbers stay in the JSON detail). */
    char where[32] = "";
    if (f->page)
        snprintf(where, sizeof where, " on page %d", f->page);
    if (rc == QR_OK && t->reason.len < 900)
        rc = f->detail[0] ? qr_buf_printf(&t->reason, "%s%s%s: %s", t->n ? "; " : "", k, where,
                                          f->detail)
                          : qr_buf_printf(&t->reason, "%s%s%s (%s, threshold %s)",
                                          t->n ? "; " : "", k, where, v, th);
    if (rc == QR_OK && !strstr(t->kinds.data ? (const char *)t->kinds.data : "", k))
        rc = qr_buf_printf(&t->kinds, "%s%s", t->kinds.len ? "," : "", k);
    t->n++;
    return rc;
}

static int describe(const qr_ledger_outcome *o, job_text *t)
{
    int *v = qr_malloc_array(o->n_faults ? o->n_faults : 1, sizeof *v);
    if (!v)
        return QR_ENOMEM;
    size_t n = 0;
    bool whole = false;
    int rc = qr_buf_printf(&t->detail, "[");
    for (size_t i = 0; i < o->n_faults && rc == QR_OK; i++) {
        if (!blocking(o, i))
            continue;
        /* A doubled or extra sheet shifts every later page number, so its
         * fix is the whole file again, not one page. */
        qr_fault_kind k = o->faults[i].kind;
        if (o->faults[i].page > 0 && k != QR_FAULT_DUPLICATE && k != QR_FAULT_EXTRA_PAGES)
            v[n++] = o->faults[i].page;
        else
            whole = true;
        rc = describe_fault(t, &o->faults[i]);
    }
    if (rc == QR_OK)
        rc = qr_buf_printf(&t->detail, "]");
    /* Make kinds and reason strings even when empty. */
    if (rc == QR_OK)
        rc = qr_buf_printf(&t->kinds, "%s", "");
    if (rc == QR_OK)
        rc = qr_buf_printf(&t->reason, "%s", "");
    n = sort_unique(v, n);
    if (!whole)
        qr_ledger_pages_format(v, n, t->pages, sizeof t->pages);
    free(v);
    return rc;
}

static void job_text_free(job_text *t)
{
    qr_buf_free(&t->kinds);
    qr_buf_free(&t->detail);
    qr_buf_free(&t->reason);
}

static int widen_job(qr_ledger *l, const qr_ledger_outcome *o, int64_t job, const char *old_pages,
                     const char *old_status, const job_text *t, qr_err *err)
{
    char pages[MAX_SPEC];
    if (pages_union(old_pages, t->pages, pages, sizeof pages))
        snprintf(pages, sizeof pages, "%s", "");
    sqlite3_stmt *st = lg_prepare(l, "UPDATE rescan_jobs SET pages=?2, kinds=?3, detail=?4,"
                                     " status='open' WHERE id=?1", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, job);
    lg_bind_text(st, 2, pages);
    lg_bind_text(st, 3, (const char *)t->kinds.data);
    lg_bind_text(st, 4, (const char *)t->detail.data);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "updating a rescan job");
    sqlite3_finalize(st);
    if (rc != QR_OK)
        return rc;
    /* A delivered job goes back to open; an open one only grows. Both are
     * a change of the contractor's list, so both are events. */
    const char *kind = strcmp(old_status, "delivered") ? "rescan_widened" : "rescan_reopened";
    qr_buf x = {0};
    rc = qr_buf_printf(&x, "\"version\":%d,\"reason\":", o->version);
    if (rc == QR_OK)
        rc = qr_json_str(&x, (const char *)t->reason.data);
    if (rc == QR_OK)
        rc = qr_buf_append(&x, "", 1);
    rc = rc == QR_OK ? job_event(l, o->batch, o->file_id, kind, o->actor, job, pages,
                                 (const char *)x.data, err)
                     : qr_err_set(err, QR_ENOMEM, "out of memory");
    qr_buf_free(&x);
    return rc;
}

static int open_job(qr_ledger *l, const qr_ledger_outcome *o, const job_text *t, qr_err *err)
{
    char who[256], reason[1200];
    lg_batch_user(l, o->batch, who, sizeof who);
    snprintf(reason, sizeof reason, "ingest found %s", (const char *)t->reason.data);
    int64_t id;
    int rc = insert_job(l, o->file_id, t->pages, reason, (const char *)t->kinds.data,
                        (const char *)t->detail.data, o->actor ? o->actor : who, o->batch, &id,
                        err);
    if (rc != QR_OK)
        return rc;
    qr_buf x = {0};
    rc = qr_buf_printf(&x, "\"by\":\"ingest\",\"kinds\":");
    if (rc == QR_OK)
        rc = qr_json_str(&x, (const char *)t->kinds.data);
    if (rc == QR_OK)
        rc = qr_buf_append(&x, "", 1);
    rc = rc == QR_OK ? job_event(l, o->batch, o->file_id, "rescan_submitted", o->actor, id,
                                 t->pages, (const char *)x.data, err)
                     : qr_err_set(err, QR_ENOMEM, "out of memory");
    qr_buf_free(&x);
    return rc;
}

static int close_job(qr_ledger *l, const qr_ledger_outcome *o, int64_t job, const char *pages,
                     qr_err *err)
{
    int rc = set_status(l, job, SQL_CLOSED, o->batch, err);
    if (rc != QR_OK)
        return rc;
    qr_buf x = {0};
    rc = qr_buf_printf(&x, "\"batch\":%lld,\"version\":%d,\"archive\":", (long long)o->batch,
                       o->version);
    if (rc == QR_OK)
        rc = qr_json_str(&x, o->archive_path);
    if (rc == QR_OK)
        rc = qr_buf_append(&x, "", 1);
    rc = rc == QR_OK ? job_event(l, o->batch, o->file_id, "rescan_closed", o->actor, job, pages,
                                 (const char *)x.data, err)
                     : qr_err_set(err, QR_ENOMEM, "out of memory");
    qr_buf_free(&x);
    return rc;
}

/* The job's pages this outcome did not get from its own batch: a rescan
 * delivery that left some out. "" when every listed page was delivered. */
static int pages_left(const qr_ledger_outcome *o, const char *job_pages, char *out, size_t cap)
{
    out[0] = '\0';
    int *v;
    size_t n, k = 0;
    if (!job_pages[0] || qr_ledger_pages_parse(job_pages, 0, &v, &n, NULL))
        return QR_OK;
    for (size_t i = 0; i < n; i++) {
        bool fresh = false;
        for (size_t j = 0; j < o->n_pages && !fresh; j++)
            fresh = o->pages[j].page == v[i] &&
                    (o->pages[j].origin_batch == 0 || o->pages[j].origin_batch == o->batch);
        if (!fresh)
            v[k++] = v[i];
    }
    qr_ledger_pages_format(v, k, out, cap);
    free(v);
    return QR_OK;
}

/* Archived, but without some of the job's pages: the job stays open for them. */
static int keep_open(qr_ledger *l, const qr_ledger_outcome *o, int64_t job, const char *left,
                     qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(l, "UPDATE rescan_jobs SET pages=?2, status='open'"
                                     " WHERE id=?1", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, job);
    lg_bind_text(st, 2, left);
    int rc = sqlite3_step(st) == SQLITE_DONE ? QR_OK : lg_fail(l, err, "updating a rescan job");
    sqlite3_finalize(st);
    if (rc != QR_OK)
        return rc;
    char extra[160];
    snprintf(extra, sizeof extra, "\"version\":%d,\"reason\":\"not delivered\"", o->version);
    return job_event(l, o->batch, o->file_id, "rescan_reopened", o->actor, job, left, extra, err);
}

/* An archived outcome answers the live job unless a person asked for it and
 * no delivery ever came for it: an archive made again from the scans the
 * person found wanting (an accept's or --retry's rerun, a lost archive
 * written anew) is not the rescan they asked for. */
static bool answers(const live_job_t *j)
{
    return j->id && !(j->by_person && !j->was_delivered);
}

int lg_rescan_on_outcome(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    char left[MAX_SPEC];
    live_job_t job;
    int rc = live_job(l, o->file_id, &job, err);
    if (rc != QR_OK)
        return rc;
    if (o->archived && !answers(&job))
        return QR_OK;
    if (o->archived && pages_left(o, job.pages, left, sizeof left) == QR_OK && left[0])
        return keep_open(l, o, job.id, left, err);
    if (o->archived)
        return close_job(l, o, job.id, job.pages, err);
    job_text t = {0};
    rc = describe(o, &t);
    if (rc != QR_OK) {
        job_text_free(&t);
        return qr_err_set(err, rc, "out of memory");
    }
    if (t.n == 0) /* only an unexpected file, or every fault accepted */
        rc = QR_OK;
    else if (job.id)
        rc = widen_job(l, o, job.id, job.pages, job.status, &t, err);
    else
        rc = open_job(l, o, &t, err);
    job_text_free(&t);
    return rc;
}

/* ---- The pages a partial rescan keeps ---------------------------------------- */

void qr_ledger_prior_pages_free(qr_ledger_prior_pages *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].source);
        free(p->v[i].source_path);
        free(p->v[i].source_member);
        free(p->v[i].source_sha256);
    }
    free(p->v);
    memset(p, 0, sizeof *p);
}

static int push_prior(qr_ledger_prior_pages *out, size_t *cap, sqlite3_stmt *st)
{
    if (qr_grow(&out->v, cap, out->n + 1, sizeof *out->v) != QR_OK)
        return QR_ENOMEM;
    qr_ledger_prior_page *p = &out->v[out->n++];
    memset(p, 0, sizeof *p);
    p->page = sqlite3_column_int(st, 0);
    p->source_page = sqlite3_column_int(st, 5);
    p->origin_batch = sqlite3_column_int64(st, 6);
    out->version = sqlite3_column_int(st, 7);
    char **s[] = {&p->source, &p->source_path, &p->source_member, &p->source_sha256};
    for (int i = 0; i < 4; i++)
        if (sqlite3_column_type(st, i + 1) != SQLITE_NULL && !(*s[i] = col_dup(st, i + 1)))
            return QR_ENOMEM;
    return QR_OK;
}

int qr_ledger_prior_pages_of(qr_ledger *l, const char *file_id, qr_ledger_prior_pages *out,
                             qr_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = lg_prepare(l, "SELECT p.page, p.source, p.source_path, p.source_member,"
        " p.source_sha256, coalesce(p.source_page, 1), p.origin_batch, f.version"
        " FROM files f JOIN pages p ON p.outcome = f.id"
        " WHERE f.file_id = ? AND f.current = 1 ORDER BY p.page", err);
    if (!st)
        return QR_EFATAL;
    lg_bind_text(st, 1, file_id);
    size_t cap = 0;
    int s, rc = QR_OK;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = push_prior(out, &cap, st);
    if (rc != QR_OK)
        qr_err_set(err, rc, "out of memory");
    else if (s != SQLITE_DONE)
        rc = lg_fail(l, err, "reading a file's pages");
    sqlite3_finalize(st);
    if (rc)
        qr_ledger_prior_pages_free(out);
    return rc;
}
