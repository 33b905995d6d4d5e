/*
 * qr_ledger: the project's SQLite ledger — inventory (the denominator of
 * "percent digitized"), batches, file outcomes with archive SHA-256 and
 * versions, page records, faults, reviewer accepts, rescan jobs, the plan,
 * and an append-only event log chained by SHA-256.
 *
 * Threads: a qr_ledger handle is used by ONE thread at a time (the ingest
 * pipeline owns one writer thread for it). Other processes (quire status,
 * quire accept) may open the same file concurrently: WAL lets readers run
 * beside the writer, and busy_timeout serialises writers.
 *
 * Guarantees: qr_ledger_commit_file records a file's outcome, its pages, its
 * faults and its event in ONE transaction: after a crash either all of it is
 * there or none. The schema is versioned (PRAGMA user_version) and migrated
 * forward by qr_ledger_open, one transaction per migration. Only ledger/
 * includes sqlite3.h. Every event that writes rows the figures depend on
 * carries their digest (ledger/digest.c), so the chain covers them too;
 * checking all of it, the archives and the seals is qr_verify.h.
 *
 * Versions: a file's archive versions are numbered 1, 2, ... per file. An
 * outcome (archived or faulty) is recorded against the version it attempted:
 * the file's next_version (see qr_ledger_lookup). The file's CURRENT outcome
 * is its latest archived one when it has an archive (a failed rescan does not
 * un-digitize a file), else its latest faulty one; status and exports report
 * the current outcome; history keeps every outcome. What blocks a file is
 * read from its LATEST outcome instead (the open faults, under Reviewer
 * accepts), so a faulty rescan of an archived file is not hidden.
 */
#ifndef QR_LEDGER_H
#define QR_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "qr_fault.h"
#include "qr_manifest.h"
#include "qr_util.h"

#define QR_LEDGER_SCHEMA_VERSION 6

typedef struct qr_ledger qr_ledger;

/*
 * What is at a ledger path. Only ingest, inventory import and plan set/import
 * may create or migrate a ledger (qr_ledger_open); every other command opens
 * an existing one (qr_ledger_open_existing).
 */
typedef enum qr_ledger_state {
    QR_LEDGER_ABSENT = 0, /* nothing there: qr_ledger_open creates a ledger */
    QR_LEDGER_EMPTY,      /* a 0-byte file, or an SQLite database with nothing in it
                           * (a first open that stopped early): qr_ledger_open makes
                           * it a ledger; qr_ledger_open_existing refuses it */
    QR_LEDGER_OLDER,      /* a quire ledger of an older schema: qr_ledger_open
                           * migrates it; qr_ledger_open_existing refuses it */
    QR_LEDGER_CURRENT,    /* a quire ledger of this schema */
    QR_LEDGER_REJECTED    /* anything else: nothing opens it */
} qr_ledger_state;

/*
 * Look at path WITHOUT WRITING anything (no file, no -wal/-shm/-journal beside
 * it, no write lock): QR_OK when qr_ledger_open may open it (ABSENT, EMPTY, OLDER,
 * CURRENT in *state, which may be NULL); otherwise *state = REJECTED and err
 * says why: QR_EINVAL "PATH is not a quire ledger (...)" for a directory, a
 * file that is not an SQLite database, or an SQLite database without quire's
 * tables, QR_EINVAL for an empty path (SQLite's vanishing temporary database);
 * QR_EFATAL for a ledger newer than this quire; QR_EIO when it cannot
 * be read. An ingest calls it before it creates anything of its own (output
 * folder, lock file), so a rejected ledger leaves nothing behind.
 */
int qr_ledger_probe(const char *path, qr_ledger_state *state, qr_err *err);
/* Open (creating it where there is none, or in an empty file) and migrate.
 * Refuses what qr_ledger_probe rejects, writing nothing. path ":memory:" works
 * for tests. */
int qr_ledger_open(const char *path, qr_ledger **out, qr_err *err);
/* Open an existing quire ledger of this schema; never creates or migrates.
 * Refused, with nothing written: QR_EINVAL "no ledger at PATH" when nothing is
 * there, QR_EINVAL "PATH is not a quire ledger (...)" for an empty file or
 * anything qr_ledger_probe rejects so; QR_EFATAL for an older schema (the
 * message says its version and which commands upgrade it) or a newer one. */
int qr_ledger_open_existing(const char *path, qr_ledger **out, qr_err *err);
/* As qr_ledger_open_existing, for commands that only read. Where the
 * ledger's folder takes no new file (a read-only file system), so SQLite
 * cannot make the -shm a WAL reader needs, it is still read when that is
 * safe: read-only with its -wal and -shm when both are there, immutable
 * when there is no -wal and the file system is mounted read-only. Else
 * QR_EFATAL naming the file and the cause. */
int qr_ledger_open_readonly(const char *path, qr_ledger **out, qr_err *err);
/* Close and set *l to NULL. */
void qr_ledger_close(qr_ledger **l);
/* The schema version of the open ledger (PRAGMA user_version). */
int qr_ledger_schema_version(qr_ledger *l);
/* The SQL that takes a ledger from schema version to - 1 to to (1 ..
 * QR_LEDGER_SCHEMA_VERSION), NULL for any other to: for tests that build a
 * ledger of every older schema and upgrade it. */
const char *qr_ledger_migration_sql(int to);
/* Pin the clock used for timestamps (0 = the real clock). For tests and for
 * reproducible reports. */
void qr_ledger_set_time(qr_ledger *l, time_t t);

/* ---- Batches --------------------------------------------------------- */

typedef struct qr_ledger_batch_info {
    const char *host, *user;      /* NULL = taken from the system */
    const char *delivery;         /* delivery path(s) as given */
    const char *options;          /* the effective options, free text or JSON */
    const char *actor;            /* who runs it (--by): the batch's user and the actor
                                   * of every event it records; NULL or "" = user,
                                   * else qr_actor_default() */
} qr_ledger_batch_info;

typedef struct qr_ledger_batch_counts {
    int64_t files_archived, files_faulty, files_uptodate, pages, faults;
} qr_ledger_batch_counts;

int qr_ledger_batch_begin(qr_ledger *l, const qr_ledger_batch_info *info, int64_t *batch_id,
                          qr_err *err);
/* status: "done", "failed" or "interrupted". */
int qr_ledger_batch_end(qr_ledger *l, int64_t batch_id, const char *status,
                        const qr_ledger_batch_counts *counts, qr_err *err);

/* ---- Inventory --------------------------------------------------------- */

typedef enum qr_ledger_source { QR_LEDGER_SRC_MANIFEST = 0, QR_LEDGER_SRC_STOCK } qr_ledger_source;

/* The same file_id with a different box or page count than the ledger has. */
typedef struct qr_ledger_conflict {
    char file_id[256];
    int line;                  /* manifest line of the row */
    char field[16];            /* "box" or "expected_pages" */
    char ledger_value[128];
    char manifest_value[128];
} qr_ledger_conflict;

typedef struct qr_ledger_upsert_result {
    size_t added;              /* new inventory rows */
    size_t unchanged;          /* already known, same values */
    size_t filled;             /* known, an unknown box/count filled in */
    qr_ledger_conflict *conflicts; /* caller frees with free() */
    size_t n_conflicts;
    size_t cap_conflicts;      /* allocated entries of conflicts */
} qr_ledger_upsert_result;

/*
 * Add the manifest's rows to the inventory. Never removes or overwrites:
 * a known file keeps its box and count; a differing value is returned as a
 * conflict. With all_or_nothing, any conflict rolls the whole import back
 * (result still lists the conflicts; returns QR_OK). batch_id may be 0.
 */
int qr_ledger_inventory_upsert(qr_ledger *l, const qr_manifest *m, qr_ledger_source source,
                               int64_t batch_id, bool all_or_nothing,
                               qr_ledger_upsert_result *res, qr_err *err);
/* The same, naming who imports (--by) on the "inventory_import" event a kept
 * import records; NULL or "" = the batch's user (batch_id > 0), else
 * qr_actor_default(). */
int qr_ledger_inventory_upsert_by(qr_ledger *l, const qr_manifest *m, qr_ledger_source source,
                                  int64_t batch_id, bool all_or_nothing, const char *actor,
                                  qr_ledger_upsert_result *res, qr_err *err);
void qr_ledger_upsert_result_free(qr_ledger_upsert_result *res);

/* ---- File state -------------------------------------------------------- */

typedef enum qr_ledger_file_status {
    QR_LEDGER_PENDING = 0, QR_LEDGER_ARCHIVED, QR_LEDGER_FAULTY
} qr_ledger_file_status;

const char *qr_ledger_status_name(qr_ledger_file_status s);

typedef struct qr_ledger_file_state {
    bool in_inventory;
    qr_ledger_file_status status;   /* of the current outcome; PENDING if none */
    int version;                    /* current archive version; 0 = none */
    int next_version;               /* the version the next outcome records */
    int64_t batch;                  /* batch of the current outcome; 0 = none */
    char archive_path[4096];        /* "" unless archived */
    char archive_sha256[QR_SHA256_HEX];
    char source_fingerprint[QR_SHA256_HEX]; /* of the current outcome */
    /* The latest outcome, which differs from the current one when a rescan
     * of an archived file was faulty. */
    qr_ledger_file_status last_status;
    char last_fingerprint[QR_SHA256_HEX];
    /* The batch of the first faulty outcome since the file's last archive
     * (the file has been faulty since then); 0 when the latest is archived. */
    int64_t faulty_since;
} qr_ledger_file_state;

int qr_ledger_lookup(qr_ledger *l, const char *file_id, qr_ledger_file_state *st, qr_err *err);

/* ---- Committing one file's outcome ---------------------------------------- */

typedef struct qr_ledger_page {
    int page;                   /* 1-based delivered position */
    const char *source;         /* source path or archive member */
    const char *source_sha256;  /* hex, may be NULL */
    const char *format;         /* e.g. "tiff-g4", "jpeg", "png" */
    int width, height;
    double dpi;
    double skew_deg, skew_applied_deg;
    int orientation;            /* as delivered: content turned clockwise 0/90/180/270 */
    int rotation_applied;       /* degrees turned for the archive */
    const char *metrics_json;   /* a JSON object, NULL = "{}" */
    int64_t origin_batch;       /* batch that delivered this page; 0 = this batch */
    const char *source_path;    /* the file on disk (the archive for a member); may be NULL */
    const char *source_member;  /* archive member; NULL for a plain file */
    int source_page;            /* 1-based page within the source (multi-page TIFF) */
    bool separator;             /* a patch-code separator sheet: not a page of the file,
                                   left out of its count */
} qr_ledger_page;

typedef struct qr_ledger_outcome {
    const char *file_id;
    int64_t batch;
    int version;                /* must equal lookup's next_version */
    bool archived;              /* else faulty */
    const char *archive_path;   /* required when archived */
    const char *archive_sha256; /* hex, required when archived */
    const char *source_fingerprint; /* hex digest of the sources, required */
    int delivered_pages;
    const qr_ledger_page *pages;
    size_t n_pages;
    const qr_fault *faults;     /* page 0 = the whole file */
    size_t n_faults;
    const bool *fault_accepted; /* parallel to faults; NULL = none accepted */
    const char *actor;          /* NULL = the batch's user */
} qr_ledger_outcome;

/*
 * Record one file's outcome in one transaction: the outcome row (and it
 * becomes current per the rule above), its pages (verdict derived from the
 * faults: "ok", "faulty", or "accepted"), its faults, and an "archived" or
 * "faulty" event. On any failure nothing is recorded.
 */
int qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err);
/* The refusals commit_file starts with (missing ids, an archive without its
 * path or SHA-256, an unknown fault kind), without writing anything. */
int qr_ledger_outcome_check(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err);

/* Optional batching: commit_file calls between begin and end share one
 * transaction (each file still all-or-nothing via a savepoint). end(ok=false)
 * rolls all of them back. */
int qr_ledger_tx_begin(qr_ledger *l, qr_err *err);
int qr_ledger_tx_end(qr_ledger *l, bool ok, qr_err *err);

/* ---- Reviewer accepts ------------------------------------------------------ */

/* A reviewer's override of a false alarm (quire accept). Strings are owned by
 * the list they came in. */
typedef struct qr_ledger_accept {
    int64_t id;
    int page;                   /* 0 = any page of the file (and file-level faults) */
    qr_fault_kind kind;
    char *reason;               /* why, as the reviewer wrote it */
    char *actor;                /* who */
    char *at;                   /* when, "YYYY-MM-DDTHH:MM:SSZ" */
    int64_t used_batch;         /* batch whose outcome applied it; 0 = not yet */
} qr_ledger_accept;

typedef struct qr_ledger_accept_list {
    qr_ledger_accept *v;
    size_t n;
} qr_ledger_accept_list;

/*
 * A fault is ACCEPTED when its outcome recorded it accepted OR an accept
 * covers it: same file_id, same kind, and the accept's page is 0 or the
 * fault's page. An accept counts from the moment it is recorded: quire
 * faults, the exports and status read it at once, without an ingest.
 *
 * The file's LATEST outcome is its last recorded one (archived or faulty).
 * The OPEN faults are the unaccepted faults of each file's latest outcome
 * when that outcome is faulty: what keeps the file (or its next archive
 * version) from being written. So a faulty rescan (v2) of a file archived as
 * v1 has open faults although its current outcome (v1) is archived; a file
 * whose latest outcome is archived has none. unexpected_file and corrupt
 * faults are open until the file is delivered again; they cannot be accepted.
 */

/*
 * Record an accept and its "accept" event in one transaction. QR_EINVAL with
 * a message for the reviewer, and nothing recorded, when:
 *   - file_id is unknown to the ledger (neither in the inventory nor
 *     delivered), kind is not a fault kind or is corrupt or unexpected_file,
 *     page < 0, or the reason is empty;
 *   - the accept covers no open fault: the file was never delivered, its
 *     latest outcome is archived ("F is archived (version N) with no open
 *     fault; nothing to accept"), or no open fault of that kind is on that
 *     page (page 0: on any page, or of the whole file); the message names
 *     the file's page count and its open faults;
 *   - every fault it covers is covered already: the message names the
 *     earlier accept (id, who, when).
 * The check and the insert share the transaction, so an ingest committing
 * beside it cannot change the answer in between.
 * In the same transaction the file's rescan jobs that are not closed and
 * that an ingest opened (created_batch set) follow the accept: when the
 * file's latest outcome has no open fault left they are closed, each with a
 * "rescan_closed_by_accept" event (detail {"job":J,"pages":P,"accept":A});
 * else the pages whose faults are all accepted now leave the job's page list
 * (its kinds and detail become the open faults'), with a
 * "rescan_narrowed_by_accept" event ({"job":J,"pages":left,"dropped":D,
 * "accept":A}); a job for the whole file stays whole. A job a person
 * submitted is never changed by an accept. actor NULL or "" =
 * qr_actor_default().
 * *id (may be NULL) receives the new accept's id.
 */
int qr_ledger_accept_add(qr_ledger *l, const char *file_id, int page, qr_fault_kind kind,
                         const char *reason, const char *actor, int64_t *id, qr_err *err);
/* Every accept of a file, oldest first. The caller frees *out. */
int qr_ledger_accepts_of(qr_ledger *l, const char *file_id, qr_ledger_accept_list *out,
                         qr_err *err);
void qr_ledger_accept_list_free(qr_ledger_accept_list *list);
/* Whether the file has an accept that no outcome has applied yet (added since
 * its last outcome): such a faulty file is due for processing again. */
int qr_ledger_accepts_pending(qr_ledger *l, const char *file_id, bool *pending, qr_err *err);
/* Mark the file's accepts with id <= upto_id as applied by `batch`. Joins the
 * caller's qr_ledger_tx_begin transaction when one is open. */
int qr_ledger_accepts_mark_used(qr_ledger *l, const char *file_id, int64_t upto_id,
                                int64_t batch, qr_err *err);

/* An open fault (defined above): what a reviewer has to look at (quire
 * faults). value/threshold NaN when unknown. */
typedef struct qr_ledger_open_fault {
    const char *file_id;
    int page;
    qr_fault_kind kind;
    double value, threshold;
    const char *detail;
} qr_ledger_open_fault;

/* Call fn for each open fault, ordered by file_id, page, fault; fn returns
 * non-zero to stop (that value is returned). */
int qr_ledger_open_faults(qr_ledger *l, int (*fn)(void *user, const qr_ledger_open_fault *f),
                          void *user, qr_err *err);
/* The same for one file, ordered by page, fault. */
int qr_ledger_open_faults_of(qr_ledger *l, const char *file_id,
                             int (*fn)(void *user, const qr_ledger_open_fault *f), void *user,
                             qr_err *err);

/* ---- Rescan jobs -------------------------------------------------------- */

/*
 * A rescan job asks the scanning contractor to scan pages of a file again.
 * Ingest opens one for each faulty file (its faulty pages, fault kinds and
 * measured values; no pages = the whole file, as for any fault of the page
 * count, a doubled or an extra sheet, which shift the page numbers); people
 * submit one for a
 * problem found later in an archived file (quire rescan submit).
 *
 * Lifecycle: open -> delivered (an ingest planned a new delivery of the
 * file) -> closed (that delivery gave a new archive version: resolved_batch
 * names the batch) or open again (the rescan was faulty too). A job ingest
 * opened is also closed by any archive of the file (its faults are gone), and
 * at once by a reviewer's accept that leaves the file with no open fault
 * (qr_ledger_accept_add; resolved_batch stays 0); an accept that leaves some
 * takes the pages it cleared off the job. A job a person submitted is closed
 * only by an archive after a delivery came for it: neither an accept nor an
 * archive made again from the same scans answers it. Every change is an
 * event: rescan_submitted, rescan_delivered, rescan_closed,
 * rescan_closed_by_accept, rescan_narrowed_by_accept, rescan_reopened,
 * rescan_widened (a faulty outcome added pages or kinds to an open job).
 *
 * Contract for ingest: processing the same sources again is not a delivery.
 * Call qr_ledger_rescan_mark_delivered for a planned file only when its
 * delivered sources differ from its latest outcome's (qr_ledger_lookup's
 * last_fingerprint; always for a file without an outcome), never for a
 * rerun that an accept or --retry caused. And since an accept may close the
 * job, a rerun of the partial rescan delivery the latest outcome came from
 * (the same sources) must be merged with the earlier pages again without a
 * live job: the merge that outcome made still holds.
 */
typedef struct qr_ledger_rescan_job {
    int64_t id;
    char *file_id, *box;
    char *pages;                /* "3-5,9"; "" = the whole file */
    char *reason, *kinds;       /* kinds: comma-separated fault kinds */
    char *detail;               /* JSON array of {page,kind,value,threshold} */
    char *actor, *submitted;    /* who and when ("YYYY-MM-DDTHH:MM:SSZ") */
    char *status;               /* "open", "delivered" or "closed" */
    char *closed;               /* when; "" unless closed */
    int64_t created_batch;      /* the ingest that opened it; 0 = a person */
    int64_t delivered_batch, resolved_batch; /* 0 = not yet */
} qr_ledger_rescan_job;

typedef struct qr_ledger_rescan_list {
    qr_ledger_rescan_job *v;
    size_t n;
} qr_ledger_rescan_list;

/* Parse a page list "3-5,9" (1-based, ascending ranges, no overlap needed)
 * into sorted unique pages; max_page > 0 caps it. QR_EINVAL with a message
 * naming the bad part. The caller frees *pages. */
int qr_ledger_pages_parse(const char *spec, int max_page, int **pages, size_t *n, qr_err *err);
/* The canonical text of a sorted unique page list: "3-5,9". */
void qr_ledger_pages_format(const int *pages, size_t n, char *out, size_t cap);

/* A person's rescan request (quire rescan submit). pages NULL or "" = the
 * whole file. QR_EINVAL when the file is unknown, was never delivered (there
 * is no scan to redo), is not in the inventory (it is never archived), a
 * page is beyond its page count, the file already has a job that is not
 * closed, or the reason is empty. *id (may be NULL) receives the job id. */
int qr_ledger_rescan_submit(qr_ledger *l, const char *file_id, const char *pages,
                            const char *reason, const char *actor, int64_t *id, qr_err *err);
/* Jobs, oldest first; file_id NULL = every file; open_only: not closed. */
int qr_ledger_rescan_jobs(qr_ledger *l, const char *file_id, bool open_only,
                          qr_ledger_rescan_list *out, qr_err *err);
void qr_ledger_rescan_list_free(qr_ledger_rescan_list *list);
/* Mark a file's open job delivered by `batch`: ingest planned a NEW delivery
 * of it. Only for sources that differ from the file's latest outcome's (the
 * contract above): a rerun of the same sources marked delivered would let
 * its archive close a person's job nobody rescanned. */
int qr_ledger_rescan_mark_delivered(qr_ledger *l, const char *file_id, int64_t batch,
                                    qr_err *err);

/* One page of a file's current outcome, as a partial rescan needs it: where
 * its bytes were read and what they hashed to. */
typedef struct qr_ledger_prior_page {
    int page;
    char *source, *source_path, *source_member, *source_sha256;
    int source_page;
    int64_t origin_batch;
} qr_ledger_prior_page;

typedef struct qr_ledger_prior_pages {
    qr_ledger_prior_page *v;    /* by page */
    size_t n;
    int version;                /* of the outcome they belong to */
} qr_ledger_prior_pages;

int qr_ledger_prior_pages_of(qr_ledger *l, const char *file_id, qr_ledger_prior_pages *out,
                             qr_err *err);
void qr_ledger_prior_pages_free(qr_ledger_prior_pages *p);

/* ---- History ------------------------------------------------------------- */

typedef struct qr_ledger_event_row {
    int64_t id, batch;
    const char *ts, *file_id, *kind, *actor, *detail;
} qr_ledger_event_row;

/* Call fn for each event of file_id in order; fn returns non-zero to stop. */
int qr_ledger_file_events(qr_ledger *l, const char *file_id,
                          int (*fn)(void *user, const qr_ledger_event_row *ev), void *user,
                          qr_err *err);

/* ---- Events -------------------------------------------------------------- */

/* Append an event; detail_json is a JSON object or NULL. file_id may be NULL. */
int qr_ledger_event(qr_ledger *l, int64_t batch, const char *file_id, const char *kind,
                    const char *actor, const char *detail_json, qr_err *err);
/* Recompute the hash chain. QR_OK when intact; QR_ECORRUPT naming the first
 * broken event (its id also in *bad_id when not NULL). *n_events = rows seen. */
int qr_ledger_verify_events(qr_ledger *l, int64_t *n_events, int64_t *bad_id, qr_err *err);

/* ---- Export and status ------------------------------------------------------ */

typedef enum qr_ledger_export_kind {
    QR_EXPORT_PAGES = 0, QR_EXPORT_FILES, QR_EXPORT_FAULTS
} qr_ledger_export_kind;
typedef enum qr_ledger_export_format { QR_EXPORT_CSV = 0, QR_EXPORT_JSON } qr_ledger_export_format;

/* Parse "pages"/"files"/"faults" and "csv"/"json"; -1 when unknown. */
int qr_ledger_export_kind_from_name(const char *name);
int qr_ledger_export_format_from_name(const char *name);

/*
 * Write an export to `out`. Columns (stable):
 *   pages:  file_id,page,source,format,width,height,dpi,skew_deg,skew_applied_deg,
 *           orientation,verdict,faults,version,origin_batch   (faults = ';'-separated
 *           kinds; origin_batch = the batch that delivered the page, lineage
 *           across partial rescans)
 *   files:  file_id,box,status,expected_pages,delivered_pages,archive,archive_sha256,version
 *   faults: file_id,page,kind,value,threshold,batch,accepted (1 = accepted,
 *           as defined under Reviewer accepts: it does not block)
 * CSV: header row, RFC 4180 quoting, "\n" line ends, empty field for NULL;
 * a value a spreadsheet would run as a formula is written guarded, with a '
 * in front (qr_csv_cell, util/qr_util.h; plain numbers stay as they are).
 * JSON: an array of objects with the same keys (null for NULL; pages' faults
 * is an array of strings). Rows come from each file's current outcome; files
 * covers every inventory file (pending when never delivered) plus delivered
 * files unknown to the inventory; faults also has the faults of the file's
 * latest outcome when that came after the current one (a faulty rescan of
 * an archived file; batch tells them apart). Accepts are read at once: a
 * fault an accept covers is accepted 1, and a page recorded "faulty" whose
 * faults are all accepted by now reads "accepted". Ordered by file_id, then
 * page.
 */
int qr_ledger_export(qr_ledger *l, qr_ledger_export_kind kind, qr_ledger_export_format fmt,
                     FILE *out, qr_err *err);

/*
 * The status summary: what the project office reads (quire status, quire
 * report). Every inventory file is in exactly one of three states:
 *   archived       its current outcome is archived: it counts as digitized;
 *   faulty         its current outcome is faulty: awaiting a rescan (or a
 *                  reviewer's accept and a rerun);
 *   not delivered  no outcome at all: no ingest has processed it yet.
 * pending = faulty + not delivered: what is still to be digitized.
 * Pages are the inventory's expected_pages (an unknown count is 0), so the
 * percents, throughput and projection all measure against the inventory.
 *
 * Days are UTC calendar days ("YYYY-MM-DD"); "today" is given, or the day of
 * the ledger's clock (qr_ledger_set_time pins it).
 * Throughput: pages newly digitized in a window = expected pages of inventory
 * files whose FIRST archive (version 1) was recorded (its outcome's time) in
 * the window; the window of N days ends with today, included (today-N+1 ..
 * today); per day = pages / N. Rescan versions (v2, ...) do not count: they
 * replace pages already digitized.
 * Projection: the day 100 % is reached at the 30-day throughput, today +
 * ceil(pages_pending / pages_per_day_30d) days; none ("") when that
 * throughput is 0 and pages are pending; when nothing is pending, the day the
 * last file was first archived. Plan: its target for today (qr_ledger_plan_value),
 * and its end: the date of the first point at 100 %.
 */
typedef struct qr_ledger_status {
    int64_t files_inventory;       /* rows in the inventory */
    int64_t pages_inventory;       /* sum of expected_pages (unknown counts as 0) */
    int64_t files_archived, files_faulty; /* inventory files, by current outcome */
    int64_t files_pending;         /* inventory files not archived: faulty + not delivered */
    int64_t files_not_delivered;   /* inventory files with no outcome */
    int64_t pages_archived;        /* sum of expected_pages of archived inventory files */
    int64_t pages_pending;         /* pages_inventory - pages_archived */
    int64_t pages_delivered_archived; /* pages actually in current archives */
    int64_t files_unexpected;      /* delivered files not in the inventory */
    double percent_files, percent_pages; /* archived / inventory * 100; 0 if empty */
    int64_t faults_by_kind[QR_FAULT__COUNT]; /* the open faults (Reviewer accepts), by
                                              * kind: what blocks, accepts applied at once */
    int64_t rescan_open;           /* rescan jobs not closed (open or delivered) */
    char rescan_oldest[32];        /* when the oldest of them was submitted; "" = none */
    int64_t rescan_oldest_days;    /* its age at today, in whole days */
    char today[11];                /* the day the figures are for */
    bool has_plan;                 /* the plan has a target for today */
    double plan_percent;           /* that target; 0 without one */
    /* Ahead (> 0) or behind (< 0) the plan: in percentage points (percent
     * of pages minus the target), and in days (the day the plan reaches
     * today's percent of pages, minus today; has_plan_days false when the
     * plan never reaches it). Both 0 without a target for today. */
    double plan_gap_points;
    bool has_plan_days;
    int64_t plan_gap_days;
    char plan_end[11];             /* first plan point at 100 %; "" = none */
    int64_t pages_7d, pages_30d;   /* pages newly digitized in the last 7 / 30 days */
    double pages_per_day_7d, pages_per_day_30d;
    char projected[11];            /* the day 100 % is reached; "" = none */
    int64_t boxes_released;        /* boxes whose paper release is recorded */
    int64_t boxes_ready;           /* boxes not released that look releasable from the
                                    * ledger alone (qr_release_counts); quire release
                                    * check re-hashes and checks the signatures */
} qr_ledger_status;

/* The figures for `today` ("YYYY-MM-DD"; NULL = the day of the ledger's
 * clock), all read in one snapshot. QR_EINVAL when today is not a date. */
int qr_ledger_status_at(qr_ledger *l, const char *today, qr_ledger_status *st, qr_err *err);
/* qr_ledger_status_at for the day of the ledger's clock. */
int qr_ledger_status_get(qr_ledger *l, qr_ledger_status *st, qr_err *err);

/*
 * Status grouped (quire status --by). One row per group, in key order:
 *   box:   key = box ("" = none); files/pages = the box's inventory;
 *          files_archived/files_faulty/pages_archived as in the status;
 *          percent_pages = pages_archived / pages * 100 (0 if no pages).
 *   batch: key = batch id; started, state (running|done|failed|interrupted);
 *          files = outcomes it recorded, files_archived/files_faulty of them;
 *          pages = their delivered pages, pages_archived = those archived.
 *   month, day: key = "YYYY-MM" / "YYYY-MM-DD" with a first archive in it;
 *          files_archived/pages_archived = newly digitized in the period (as
 *          for throughput: first archives of inventory files); files/pages =
 *          the running totals at the period's end; percent_pages = pages /
 *          the inventory's pages * 100 (cumulative percent digitized).
 */
typedef enum qr_ledger_status_by {
    QR_STATUS_BY_BOX = 0, QR_STATUS_BY_BATCH, QR_STATUS_BY_MONTH, QR_STATUS_BY_DAY
} qr_ledger_status_by;

typedef struct qr_ledger_status_group {
    char *key;
    char started[32], state[16];   /* batch only; "" otherwise */
    int64_t files, pages;
    int64_t files_archived, files_faulty, pages_archived;
    double percent_pages;
} qr_ledger_status_group;

typedef struct qr_ledger_status_groups {
    qr_ledger_status_by by;
    qr_ledger_status_group *v;
    size_t n;
} qr_ledger_status_groups;

/* "box", "batch", "month", "day"; -1 when unknown. */
int qr_ledger_status_by_from_name(const char *name);
const char *qr_ledger_status_by_name(qr_ledger_status_by by);
int qr_ledger_status_groups_get(qr_ledger *l, qr_ledger_status_by by,
                                qr_ledger_status_groups *out, qr_err *err);
void qr_ledger_status_groups_free(qr_ledger_status_groups *g);

/*
 * Faults per week, the trend the project office watches: for each of the
 * n_weeks calendar weeks (Monday to Sunday, UTC) ending with the week of
 * `today` (NULL = the ledger clock's day), the faults recorded by the
 * outcomes of that week (every outcome, rescans included; unexpected_file
 * not counted: it is no scan) and the pages those outcomes delivered. Every
 * week is listed, oldest first, empty ones with zeros.
 */
typedef struct qr_ledger_fault_week {
    char start[11];            /* its Monday, "YYYY-MM-DD" */
    int64_t faults, pages;
} qr_ledger_fault_week;

typedef struct qr_ledger_fault_weeks {
    qr_ledger_fault_week *v;
    size_t n;
} qr_ledger_fault_weeks;

int qr_ledger_fault_weeks_get(qr_ledger *l, const char *today, int n_weeks,
                          qr_ledger_fault_weeks *out, qr_err *err);
void qr_ledger_fault_weeks_free(qr_ledger_fault_weeks *w);

/* ---- Plan ---------------------------------------------------------------- */

/*
 * The project office's plan: target percent digitized by date, a curve of
 * points that never goes down in date order. Between two points the target
 * grows linearly by day; before the first point there is no target; after the
 * last one the target stays at the last value.
 */
typedef struct qr_ledger_plan_point {
    char date[11];              /* "YYYY-MM-DD", a real calendar date */
    double percent;             /* target percent digitized, 0..100 */
    int line;                   /* input line, named in messages; 0 = none */
} qr_ledger_plan_point;

typedef struct qr_ledger_plan {
    qr_ledger_plan_point *v;    /* in date order */
    size_t n;
} qr_ledger_plan;

/* The first day (since 1970-01-01) on which the plan reaches percent;
 * false when it never does. */
bool qr_ledger_plan_day_of(const qr_ledger_plan *plan, double percent, int32_t *day);

/* Days since 1970-01-01 of "YYYY-MM-DD" (exactly that form, a real calendar
 * date, years 1..9999); false when it is not one. */
bool qr_ledger_date_parse(const char *s, int32_t *days);

/*
 * Set plan points in one transaction with one "plan_set" event. A point
 * whose date is already planned replaces it: previous (NULL, or n doubles)
 * receives the value it replaced, NaN for a new date. replace_all drops every
 * existing point first. QR_EINVAL with a message naming the point (and its
 * line) when a date is not a real date, a percent is outside 0..100, a date
 * is given twice, or the resulting curve would go down; nothing is changed.
 */
int qr_ledger_plan_set(qr_ledger *l, const qr_ledger_plan_point *pts, size_t n,
                       bool replace_all, const char *actor, double *previous, qr_err *err);
/* Every point in date order. The caller frees *out. */
int qr_ledger_plan_list(qr_ledger *l, qr_ledger_plan *out, qr_err *err);
void qr_ledger_plan_free(qr_ledger_plan *plan);
/*
 * The plan's target for date ("YYYY-MM-DD"): linear by day between points,
 * the last value after the last point. Before the first point, or with no
 * plan, *has = false and *percent = 0. QR_EINVAL when date is not a date.
 */
int qr_ledger_plan_value(qr_ledger *l, const char *date, double *percent, bool *has);

/* ---- Archive writes in flight (writes.c) ------------------------------------ */

/*
 * The proof that a file in the output folder is quire's: a row recorded
 * before its temporary is created (qr_ledger_write_plan), given the finished
 * document's SHA-256 before the rename (qr_ledger_write_sealed), and deleted
 * in the transaction that records the outcome (qr_ledger_write_done, which
 * joins a qr_ledger_tx_begin transaction) or the failure
 * (qr_ledger_archive_failed). Rows of other batches left by a killed run are
 * what the next ingest may clean up (qr_ledger_writes_of_others), and
 * nothing else.
 */
typedef struct qr_ledger_write {
    int64_t id, batch;
    const char *file_id;
    int version;
    const char *tmp_path, *final_path;
    const char *sha256;         /* hex; NULL until sealed */
} qr_ledger_write;

typedef struct qr_ledger_write_list {
    qr_ledger_write *v;         /* strings owned by the list */
    size_t n;
} qr_ledger_write_list;

/* Record a planned write (w->id and w->sha256 are ignored); *id gets its id.
 * Joins the caller's transaction when one is open. */
int qr_ledger_write_plan(qr_ledger *l, const qr_ledger_write *w, int64_t *id, qr_err *err);
int qr_ledger_write_sealed(qr_ledger *l, int64_t id, const char *sha256, qr_err *err);
int qr_ledger_write_done(qr_ledger *l, int64_t id, qr_err *err);
/* The rows of every batch but `batch`, oldest first. */
int qr_ledger_writes_of_others(qr_ledger *l, int64_t batch, qr_ledger_write_list *out,
                               qr_err *err);
void qr_ledger_write_list_free(qr_ledger_write_list *list);
/* Whether an archived outcome (any version) records exactly this path. */
int qr_ledger_archive_recorded(qr_ledger *l, const char *path, bool *recorded, qr_err *err);
/* An archive could not be written or put in place (an I/O error, a name
 * taken by a file quire did not write): an "archive_failed" event naming the
 * path and the error, and the write's row (write_id, 0 = none) deleted, in
 * one transaction. No outcome is recorded: the file stays as it was, and the
 * next run tries it again. */
int qr_ledger_archive_failed(qr_ledger *l, int64_t batch, int64_t write_id,
                             const char *file_id, const char *path, const char *error,
                             qr_err *err);
/* Mark every batch still "running" as "interrupted" (with a
 * batch_interrupted event each): call while holding the ingest lock, before
 * starting a batch, when no other run can be live. */
int qr_ledger_batches_interrupt(qr_ledger *l, int64_t *n_marked, qr_err *err);

#endif
