/*
 * The rows the figures depend on, against the event log (digest.c says
 * which events cover which rows and how the digest is made).
 *
 * One pass over the events collects every (set, key, event, digest, count)
 * the events carry. For each row set, the latest event of each key says
 * what the rows must be now: the rows are read back, digested with the
 * same code the writer used and compared, so a row edited, removed or added
 * to an outcome, a batch, an accept or a rescan job is found, and named by
 * its file and version (or batch, accept, job) and the event that recorded
 * it. Rows no event covers are then listed: those of events recorded before
 * schema 6, which carried no digest, are counted as not covered; any other
 * was added behind the ledger's back and is a finding. An event written
 * since schema 6 that should carry a digest and does not is one too.
 * Finally each file's current outcome is checked against the rule of
 * commit.c (its latest archived outcome, else its latest), since
 * files.current is derived and so left out of the digests.
 * Runs on the thread that owns the ledger handle.
 */
#include "verify_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cover {
    int64_t key, event, n;
    char digest[QR_SHA256_HEX];
} cover;

typedef struct cover_list {
    cover *v;
    size_t n, cap;
} cover_list;

typedef struct rows_ctx {
    qr_ledger *l;
    vf_out o;
    int64_t rows_from;
    cover_list sets[LG_ROWS__COUNT];
    sqlite3_stmt *digest_st[LG_ROWS__COUNT]; /* each set's statement, kept */
} rows_ctx;

/* The kinds of event that write rows the figures depend on. */
#define ROW_KINDS                                                                     \
    "(kind IN ('archived','faulty','batch_started','batch_ended','batch_interrupted',"  \
    "'inventory_import','plan_set','accept') OR kind LIKE 'rescan\\_%' ESCAPE '\\')"
/* detail as JSON json_each can read: an event with broken JSON covers nothing. */
#define SAFE_DETAIL(d) "(CASE WHEN json_valid(" d ") THEN " d " ELSE '{}' END)"

/* ---- Collecting what the events say ------------------------------------------- */

static cover *cover_add(cover_list *c)
{
    if (qr_grow(&c->v, &c->cap, c->n + 1, sizeof *c->v) != QR_OK)
        return NULL;
    cover *e = &c->v[c->n++];
    memset(e, 0, sizeof *e);
    e->n = -1;
    return e;
}

/* One member of an event's "rows" object: "<set>" (the digest) or
 * "n_<set>" (the count). cur[set] is the event's entry of that set. */
static int take_member(rows_ctx *x, int64_t event, int64_t key, const char *name,
                       sqlite3_stmt *st, cover *cur[LG_ROWS__COUNT])
{
    bool count = !strncmp(name, "n_", 2);
    int set = lg_rowset_from_name(count ? name + 2 : name);
    if (set < 0)
        return QR_OK; /* "key", or a member this quire does not know */
    if (!cur[set] || cur[set]->event != event) {
        if (!(cur[set] = cover_add(&x->sets[set])))
            return QR_ENOMEM;
        cur[set]->event = event;
        cur[set]->key = key;
    }
    if (count)
        cur[set]->n = sqlite3_column_int64(st, 3);
    else
        snprintf(cur[set]->digest, sizeof cur[set]->digest, "%s", sqlite3_column_text(st, 3)
                 ? (const char *)sqlite3_column_text(st, 3) : "");
    return QR_OK;
}

static int collect(rows_ctx *x, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l,
        "SELECT e.id, json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.key'), j.key, j.value"
        " FROM events e, json_each(" SAFE_DETAIL("e.detail") ", '$.rows') j"
        " WHERE j.key IS NOT NULL ORDER BY e.id", err);
    if (!st)
        return QR_EFATAL;
    cover *cur[LG_ROWS__COUNT] = {0};
    int rc = QR_OK, s;
    while (rc == QR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 2);
        if (name)
            rc = take_member(x, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), name,
                             st, cur);
    }
    sqlite3_finalize(st);
    if (rc != QR_OK)
        return qr_err_set(err, rc, "out of memory");
    return s == SQLITE_DONE ? QR_OK : lg_fail(x->l, err, "reading the events' row digests");
}

/* Events since schema 6 that write rows but carry no digest: findings;
 * those before it are counted. */
static int events_without_rows(rows_ctx *x, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l, "SELECT id, kind, file_id FROM events WHERE " ROW_KINDS
        " AND json_type(" SAFE_DETAIL("detail") ", '$.rows') IS NOT 'object' ORDER BY id", err);
    if (!st)
        return QR_EFATAL;
    int s;
    while (!x->o.stop && (s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        const char *file = (const char *)sqlite3_column_text(st, 2);
        if (id < x->rows_from)
            x->o.sum->events_old++;
        else
            vf_emit(&x->o, QR_VERIFY_ROWS, file, 0, NULL, id, "a \"rows\" digest", "none",
                    "event %" PRId64 " (%s) carries no digest of the rows it wrote", id,
                    kind ? kind : "?");
    }
    sqlite3_finalize(st);
    return x->o.stop || s == SQLITE_DONE ? QR_OK : lg_fail(x->l, err, "reading events");
}

/* ---- Naming what a row set is about ------------------------------------------- */

typedef struct subject {
    char file_id[1024];
    int version;
    char text[1200];            /* "file F version 2 (outcome 7): its page rows" */
    bool plural;                /* text names rows, not one row */
} subject;

static bool outcome_set(lg_rowset s)
{
    return s == LG_ROWS_FILES || s == LG_ROWS_PAGES || s == LG_ROWS_FAULTS;
}

/* file_id and version of outcome key: its files row, else its event. */
static void outcome_of(qr_ledger *l, int64_t key, int64_t event, subject *w)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT file_id, version FROM files WHERE id = ?1 UNION ALL"
        " SELECT file_id, json_extract(" SAFE_DETAIL("detail") ", '$.version') FROM events"
        " WHERE id = ?2 LIMIT 1", NULL);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, event);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(w->file_id, sizeof w->file_id, "%s",
                 sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
        w->version = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
}

/* The file of an accept or a rescan job: its row, else its event. */
static void file_of(qr_ledger *l, const char *table, int64_t key, int64_t event, subject *w)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT file_id FROM %s WHERE id = ?1 UNION ALL"
             " SELECT file_id FROM events WHERE id = ?2 LIMIT 1", table);
    sqlite3_stmt *st = lg_prepare(l, sql, NULL);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, event);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(w->file_id, sizeof w->file_id, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static void subject_of(qr_ledger *l, lg_rowset s, int64_t key, int64_t event, subject *w)
{
    memset(w, 0, sizeof *w);
    static const char *const what[] = {"its files row", "its page rows", "its fault rows"};
    w->plural = s == LG_ROWS_PAGES || s == LG_ROWS_FAULTS || !lg_rowset_keyed(s);
    if (outcome_set(s)) {
        outcome_of(l, key, event, w);
        snprintf(w->text, sizeof w->text, "file %s version %d (outcome %" PRId64 "): %s",
                 w->file_id, w->version, key, what[s]);
    } else if (s == LG_ROWS_BATCHES) {
        snprintf(w->text, sizeof w->text, "batch %" PRId64 ": its row", key);
    } else if (s == LG_ROWS_ACCEPTS || s == LG_ROWS_JOBS) {
        file_of(l, s == LG_ROWS_ACCEPTS ? "accepts" : "rescan_jobs", key, event, w);
        snprintf(w->text, sizeof w->text, "%s %" PRId64 " (file %s): its row",
                 s == LG_ROWS_ACCEPTS ? "accept" : "rescan job", key, w->file_id);
    } else {
        snprintf(w->text, sizeof w->text, "the %s's rows", lg_rowset_name(s));
    }
}

/* ---- Comparing ---------------------------------------------------------------- */

static int cmp_cover(const void *a, const void *b)
{
    const cover *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->event < y->event ? -1 : x->event > y->event;
}

/* Compare the rows of (set, key) with what event c recorded. */
static int compare_one(rows_ctx *x, lg_rowset s, const cover *c, qr_err *err)
{
    char hex[QR_SHA256_HEX];
    int64_t n = 0;
    int rc = lg_rows_digest_with(x->l, s, c->key, &x->digest_st[s], hex, &n, err);
    if (rc != QR_OK)
        return rc;
    x->o.sum->rows_checked += n;
    if (!strcmp(hex, c->digest) && (c->n < 0 || c->n == n))
        return QR_OK;
    subject w;
    subject_of(x->l, s, c->key, c->event, &w);
    char want[128], got[128];
    snprintf(want, sizeof want, "%" PRId64 " row%s, sha256 %.16s...", c->n, c->n == 1 ? "" : "s",
             c->digest);
    snprintf(got, sizeof got, "%" PRId64 " row%s, sha256 %.16s...", n, n == 1 ? "" : "s", hex);
    const char *how = n == 0 && c->n > 0 ? (w.plural ? "were removed after" : "was removed after")
                      : n > c->n && c->n >= 0 ? "gained rows after"
                      : n < c->n ? "lost rows after"
                      : w.plural ? "differ from what was recorded by"
                                 : "differs from what was recorded by";
    vf_emit(&x->o, QR_VERIFY_ROWS, w.file_id[0] ? w.file_id : NULL, w.version, NULL, c->event,
            want, got, "%s %s event %" PRId64, w.text, how, c->event);
    return QR_OK;
}

static bool immutable(lg_rowset s)
{
    return outcome_set(s) || s == LG_ROWS_ACCEPTS;
}

/* Each key's latest event against the rows; a second event claiming rows
 * that never change is a finding too. */
static int compare_set(rows_ctx *x, lg_rowset s, qr_err *err)
{
    cover_list *c = &x->sets[s];
    if (c->n) /* qsort wants a real array even for no rows */
        qsort(c->v, c->n, sizeof *c->v, cmp_cover);
    int rc = QR_OK;
    for (size_t i = 0; i < c->n && rc == QR_OK && !x->o.stop; i++) {
        bool last = i + 1 == c->n || c->v[i + 1].key != c->v[i].key;
        if (!lg_rowset_keyed(s) && i + 1 < c->n)
            continue; /* a whole set: only its latest event counts */
        if (!last && immutable(s)) {
            subject w;
            subject_of(x->l, s, c->v[i].key, c->v[i].event, &w);
            vf_emit(&x->o, QR_VERIFY_ROWS, w.file_id[0] ? w.file_id : NULL, w.version, NULL,
                    c->v[i + 1].event, NULL, NULL, "%s: claimed by events %" PRId64 " and %"
                    PRId64 ", but it is recorded once", w.text, c->v[i].event,
                    c->v[i + 1].event);
        }
        if (last)
            rc = compare_one(x, s, &c->v[i], err);
    }
    return rc;
}

/* ---- Rows no event covers ------------------------------------------------------- */

typedef struct uncovered_def {
    const char *keys;           /* the set's keys in the table, ascending */
    const char *old;            /* ?1 key, ?2 rows_from: an event before schema 6 wrote it */
} uncovered_def;

#define OLD_OUTCOME                                                                     \
    "SELECT EXISTS(SELECT 1 FROM files f JOIN events e ON e.file_id = f.file_id"         \
    " AND e.kind = f.status AND json_extract(" SAFE_DETAIL("e.detail") ", '$.version')"  \
    " = f.version WHERE f.id = ?1 AND e.id < ?2)"

static const uncovered_def UNCOVERED[LG_ROWS__COUNT] = {
    [LG_ROWS_FILES] = {"SELECT id FROM files ORDER BY id", OLD_OUTCOME},
    [LG_ROWS_PAGES] = {"SELECT DISTINCT outcome FROM pages ORDER BY outcome", OLD_OUTCOME},
    [LG_ROWS_FAULTS] = {"SELECT DISTINCT outcome FROM faults ORDER BY outcome", OLD_OUTCOME},
    [LG_ROWS_BATCHES] = {"SELECT id FROM batches ORDER BY id",
        "SELECT EXISTS(SELECT 1 FROM events WHERE batch = ?1 AND id < ?2 AND kind IN"
        " ('batch_started','batch_ended','batch_interrupted'))"},
    [LG_ROWS_INVENTORY] = {"SELECT 0 FROM inventory LIMIT 1",
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind = 'inventory_import' AND id < ?2)"},
    [LG_ROWS_PLAN] = {"SELECT 0 FROM plan LIMIT 1",
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind = 'plan_set' AND id < ?2)"},
    [LG_ROWS_ACCEPTS] = {"SELECT id FROM accepts ORDER BY id",
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind = 'accept' AND id < ?2 AND"
        " json_extract(" SAFE_DETAIL("detail") ", '$.accept') = ?1)"},
    [LG_ROWS_JOBS] = {"SELECT id FROM rescan_jobs ORDER BY id",
        "SELECT EXISTS(SELECT 1 FROM events WHERE kind LIKE 'rescan\\_%' ESCAPE '\\'"
        " AND id < ?2 AND json_extract(" SAFE_DETAIL("detail") ", '$.job') = ?1)"},
};

static bool covered(const cover_list *c, lg_rowset s, int64_t key)
{
    if (!lg_rowset_keyed(s))
        return c->n > 0;
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n && c->v[lo].key == key;
}

static int old_event(rows_ctx *x, lg_rowset s, int64_t key, bool *old, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l, UNCOVERED[s].old, err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_int64(st, 2, x->rows_from);
    int rc = sqlite3_step(st) == SQLITE_ROW ? QR_OK : lg_fail(x->l, err, "reading events");
    *old = rc == QR_OK && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static int one_uncovered(rows_ctx *x, lg_rowset s, int64_t key, qr_err *err)
{
    bool old = false;
    int rc = old_event(x, s, key, &old, err);
    char hex[QR_SHA256_HEX];
    int64_t n = 0;
    if (rc == QR_OK)
        rc = lg_rows_digest_with(x->l, s, key, &x->digest_st[s], hex, &n, err);
    if (rc != QR_OK)
        return rc;
    if (old) {
        x->o.sum->rows_old += n;
        return QR_OK;
    }
    subject w;
    subject_of(x->l, s, key, 0, &w);
    vf_emit(&x->o, QR_VERIFY_UNCOVERED, w.file_id[0] ? w.file_id : NULL, w.version, NULL, 0,
            NULL, NULL, "%s (%" PRId64 " row%s): no event covers %s: added behind the "
            "ledger's back", w.text, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
    return QR_OK;
}

static int uncovered_set(rows_ctx *x, lg_rowset s, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l, UNCOVERED[s].keys, err);
    if (!st)
        return QR_EFATAL;
    int rc = QR_OK, s2;
    while (rc == QR_OK && !x->o.stop && (s2 = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(st, 0);
        if (!covered(&x->sets[s], s, key))
            rc = one_uncovered(x, s, key, err);
    }
    if (rc == QR_OK && !x->o.stop && s2 != SQLITE_DONE)
        rc = lg_fail(x->l, err, "reading rows");
    sqlite3_finalize(st);
    return rc;
}

/* ---- files.current -------------------------------------------------------------- */

static void describe_row(qr_ledger *l, int64_t id, char *out, size_t cap)
{
    sqlite3_stmt *st = lg_prepare(l, "SELECT version, status FROM files WHERE id = ?", NULL);
    snprintf(out, cap, "none");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (id && sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, cap, "outcome %" PRId64 " (version %d, %s)", id, sqlite3_column_int(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
}

static int check_current(rows_ctx *x, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l, "SELECT f.file_id,"
        " (SELECT count(*) FROM files g WHERE g.file_id = f.file_id AND g.current = 1),"
        " (SELECT max(id) FROM files g WHERE g.file_id = f.file_id AND g.current = 1),"
        " coalesce((SELECT max(id) FROM files g WHERE g.file_id = f.file_id"
        "  AND g.status = 'archived'), (SELECT max(id) FROM files g WHERE g.file_id = f.file_id))"
        " FROM (SELECT DISTINCT file_id FROM files) f ORDER BY f.file_id", err);
    if (!st)
        return QR_EFATAL;
    int s;
    while (!x->o.stop && (s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 1), cur = sqlite3_column_int64(st, 2),
                want = sqlite3_column_int64(st, 3);
        if (n == 1 && cur == want)
            continue;
        char a[96], b[96];
        describe_row(x->l, want, a, sizeof a);
        describe_row(x->l, cur, b, sizeof b);
        const char *file = (const char *)sqlite3_column_text(st, 0);
        vf_emit(&x->o, QR_VERIFY_CURRENT, file, 0, NULL, 0, a, b, "file %s: %" PRId64
                " outcome%s marked current; the rule (its latest archived outcome, else its "
                "latest) gives %s", file, n, n == 1 ? "" : "s", a);
    }
    sqlite3_finalize(st);
    return x->o.stop || s == SQLITE_DONE ? QR_OK : lg_fail(x->l, err, "reading files");
}

int qr_verify_rows(qr_ledger *l, qr_verify_sink sink, void *user, qr_verify_summary *sum,
                   qr_err *err)
{
    rows_ctx x = {.l = l, .o = {sink, user, sum, 0}, .rows_from = vf_rows_from(l)};
    sum->rows_from = x.rows_from;
    int rc = collect(&x, err);
    if (rc == QR_OK)
        rc = events_without_rows(&x, err);
    for (int s = 0; s < LG_ROWS__COUNT && rc == QR_OK && !x.o.stop; s++) {
        rc = compare_set(&x, (lg_rowset)s, err);
        if (rc == QR_OK && !x.o.stop)
            rc = uncovered_set(&x, (lg_rowset)s, err);
    }
    if (rc == QR_OK && !x.o.stop)
        rc = check_current(&x, err);
    for (int s = 0; s < LG_ROWS__COUNT; s++) {
        free(x.sets[s].v);
        sqlite3_finalize(x.digest_st[s]);
    }
    return rc != QR_OK ? rc : x.o.stop;
}

/* ---- One outcome (qr_verify_archive, qr_sealed_covers) --------------------------- */

/* Its covering event: the latest whose rows name it. */
static int outcome_cover(rows_ctx *x, int64_t row, cover c[3], bool *found, qr_err *err)
{
    sqlite3_stmt *st = lg_prepare(x->l, "SELECT e.id,"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.files'),"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.n_files'),"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.pages'),"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.n_pages'),"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.faults'),"
        " json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.n_faults')"
        " FROM files f JOIN events e ON e.file_id = f.file_id AND e.kind = f.status"
        " WHERE f.id = ?1 AND json_extract(" SAFE_DETAIL("e.detail") ", '$.rows.key') = ?1"
        " ORDER BY e.id DESC LIMIT 1", err);
    if (!st)
        return QR_EFATAL;
    sqlite3_bind_int64(st, 1, row);
    int s = sqlite3_step(st);
    *found = s == SQLITE_ROW;
    for (int i = 0; i < 3 && *found; i++) {
        c[i].key = row;
        c[i].event = sqlite3_column_int64(st, 0);
        const char *d = (const char *)sqlite3_column_text(st, 1 + 2 * i);
        snprintf(c[i].digest, sizeof c[i].digest, "%s", d ? d : "");
        c[i].n = sqlite3_column_type(st, 2 + 2 * i) == SQLITE_NULL
                     ? -1 : sqlite3_column_int64(st, 2 + 2 * i);
    }
    sqlite3_finalize(st);
    return s == SQLITE_ROW || s == SQLITE_DONE ? QR_OK : lg_fail(x->l, err, "reading events");
}

int vf_outcome_rows(qr_ledger *l, int64_t row, vf_out *out, qr_err *err)
{
    qr_verify_summary none = {0};
    rows_ctx x = {.l = l, .o = *out, .rows_from = vf_rows_from(l)};
    if (!x.o.sum)
        x.o.sum = &none;
    cover c[3] = {{0}};
    bool found = false;
    int rc = outcome_cover(&x, row, c, &found, err);
    for (int i = 0; rc == QR_OK && found && i < 3; i++)
        rc = compare_one(&x, (lg_rowset)(LG_ROWS_FILES + i), &c[i], err);
    if (rc == QR_OK && !found)
        rc = one_uncovered(&x, LG_ROWS_FILES, row, err);
    for (int s = 0; s < LG_ROWS__COUNT; s++)
        sqlite3_finalize(x.digest_st[s]);
    out->stop = x.o.stop;
    return rc;
}
