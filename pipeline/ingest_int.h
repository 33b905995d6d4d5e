/*
 * Internals shared by the ingest engine's files (not a public header).
 *
 * Threads and what they own:
 *   reader     (ingest_read.c)   the qr_io reader; turns sources into jobs
 *   workers xN (ingest_work.c)   decode -> analyse -> correct -> encode, one
 *                                source at a time; results per page
 *   assembler  (ingest_asm.c)    puts pages back in order, streams each file's
 *                                PDF/A, decides the file's verdict
 *   ledger     (ingest_ledger.c) the only thread that touches the ledger
 *                                while the pipeline runs
 * Every hand-off goes through a bounded qr_queue, so memory depends on the
 * queue depths and --jobs, never on the size of the delivery.
 */
#ifndef QR_INGEST_INT_H
#define QR_INGEST_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "qr_delivery.h"
#include "qr_fault.h"
#include "qr_image.h"
#include "qr_manifest.h"
#include "qr_ingest.h"
#include "qr_ledger.h"
#include "qr_pdf.h"
#include "qr_progress.h"
#include "qr_queue.h"
#include "qr_stages.h"
#include "qr_util.h"

typedef struct ing_page ing_page;

/* A growable array of faults. */
typedef struct ing_faults {
    qr_fault *v;
    size_t n, cap;
} ing_faults;
/* Append a copy of *x (made by the rules of stages/verdict*.c). */
int ing_faults_push(ing_faults *f, const qr_fault *x);
void ing_faults_free(ing_faults *f);

/* One source of a file: a page image, or a multi-page container. */
typedef struct ing_source {
    const qr_delivery_source *src; /* name, path, member: owned by the delivery, or
                                    * by the file for a page kept from before */
    char sha256[QR_SHA256_HEX];
    /* A page a partial rescan keeps from the file's earlier outcome: only this
     * page of the source (1-based; 0 = all), its bytes must still hash to
     * expect_sha256, and the ledger keeps its origin batch (lineage). */
    int only_page;
    char expect_sha256[QR_SHA256_HEX];
    int64_t origin_batch;
    /* assembler state: pages received for this source, in order */
    ing_page *head, *tail;
    bool complete;       /* the last page (or the error) has arrived */
} ing_source;

/* The page record kept for the ledger (small; the pixels are gone). */
typedef struct ing_page_rec {
    int page;                    /* 1-based delivered position */
    int source_idx, source_page; /* source_page: 1-based within the source */
    char encoding[32];
    char stored[16];
    int width, height;
    double dpi;
    bool dpi_assumed;
    double skew_deg, skew_applied_deg;
    int orientation;             /* delivered rotation, clockwise degrees */
    double metrics[8];           /* see ingest_work.c for the order */
    long long scan_time;         /* the image's own date (TIFF/EXIF); <= 0 unknown */
    qr_scanner scanner;          /* the image's Make, Model, Software tags */
    bool corrupt;
    bool separator;              /* a patch-code separator sheet: not a page of the file */
} ing_page_rec;

typedef struct ing_file {
    int idx;
    char *file_id;
    qr_delivery *dlv;            /* the delivery it came from */
    int expected_pages;          /* 0 when not in the manifest */
    bool in_manifest;
    char fingerprint[QR_SHA256_HEX];
    int version;
    char *archive_path;          /* final name (qr_manifest_archive_name) */
    char *tmp_path;              /* where it is written first (OUT/.quire-tmp/...) */
    int64_t write_id;            /* its archive_writes row; 0 = none (closed) */
    ing_source *sources;
    int n_sources;
    /* assembler state */
    qr_pdf *pdf;
    int next_source;
    int pages_written;
    bool pdf_failed;             /* no archive can come of it (pdf_err says why) */
    bool write_failed;           /* ... because writing failed: I/O, not the scan */
    bool sealed;                 /* the document is complete under tmp_path */
    qr_err pdf_err;
    ing_faults faults;
    ing_page_rec *recs;
    size_t n_recs, cap_recs;
    time_t scan_time;            /* first page's scan time; -1 none */
    qr_fault_rules rules;        /* accepted faults for this file (points into accepts) */
    qr_ledger_accept_list accepts; /* the reviewer's accepts, loaded when planned */
    qr_fault_accept *accept_rules; /* the same as verdict rules, parallel */
    int64_t accepts_upto;        /* highest accept id loaded; 0 = none */
    qr_kv *meta;                 /* manifest metadata for the XMP */
    size_t n_meta;
    bool faulty, archived;
    bool pages_lost;             /* a source lost pages: the count is a lower bound */
    qr_signature *prev_sig;      /* the last placed page's signature */
    qr_aside *aside;             /* pages set aside from the count (duplicates,
                                    separator sheets), in page order */
    size_t n_aside, cap_aside;
    bool aside_lost;             /* out of memory recording one: the count is unknown */
    uint8_t archive_sha[QR_SHA256_LEN];
    qr_delivery_source *kept;    /* sources of pages kept by a partial rescan */
    int n_kept;
    int rescan_replaced;         /* pages a partial rescan delivered; 0 = whole file */
} ing_file;

/* A unit of work for the pool: the bytes of one source. */
typedef struct ing_job {
    ing_file *file;
    int source_idx;
    uint8_t *data;
    size_t len;
    bool from_io;                /* data belongs to the qr_io budget */
    int read_code;               /* QR_OK or the read error */
    char read_msg[sizeof(((qr_err *)0)->msg)];
} ing_job;

/* One page coming out of a worker. */
struct ing_page {
    ing_file *file;
    int source_idx;
    bool last_of_source;
    bool failed;                 /* decode failed: a corrupt page (or source) */
    bool pages_lost;             /* stands for the unknown pages after a break */
    char error[sizeof(((qr_err *)0)->msg)];
    ing_page_rec rec;
    qr_pdf_image img;            /* img.data points into payload */
    uint8_t *payload;
    qr_fault faults[8];
    int n_faults;
    long long scan_time;         /* from the page's tags; -1 unknown */
    qr_signature *sig;           /* for duplicate detection; NULL if none */
    char note[sizeof(((qr_page *)0)->note)]; /* what the decoder set aside, for the
                                    page's provenance ("" when nothing) */
    ing_page *next;
};
void ing_page_free(ing_page *p);

/* The engine shared by all threads. */
typedef struct ing_engine {
    const qr_ingest_opts *opts;
    qr_profile profile;
    struct qr_io *io;
    ing_file *files;
    int n_files;
    qr_queue *jobs;              /* ing_job*  reader -> workers */
    qr_queue *pages;             /* ing_page* workers -> assembler */
    qr_queue *outcomes;          /* ing_file* assembler -> ledger */
    struct qr_ledger *ledger;    /* used by the ledger thread only while running */
    qr_progress progress;        /* ledger thread only while running */
    qr_jsonlog *log;             /* --log-json, ledger thread only while running */
    int64_t batch_id;
    time_t ref_time;             /* archive dates when the scan has none */
    /* counters (assembler writes, others read under mu) */
    pthread_mutex_t mu;
    long files_done, pages_done, faults_total;
    long files_archived, files_faulty, files_failed;
    long fault_counts[QR_FAULT__COUNT];
    double stage_cpu[QR_STAGE__COUNT]; /* under mu */
    int fatal;                   /* sticky fatal error code */
    qr_err fatal_err;
    bool ledger_broken;          /* a ledger write failed: record nothing more */
} ing_engine;

void ing_engine_fail(ing_engine *e, const qr_err *err);
/* Thread CPU seconds of the calling thread. */
double ing_thread_cpu(void);
/* Add CPU seconds to stages (under mu). */
void ing_stage_add(ing_engine *e, const double add[QR_STAGE__COUNT]);
bool ing_engine_failed(ing_engine *e);

/* Give a job's bytes back (to the reader's budget or the heap) and free it. */
void ing_job_release(ing_engine *e, ing_job *j);

struct qr_ledger;
/* Record one finished file (ledger thread, or the main thread before/after). */
int ing_record_file(ing_engine *e, struct qr_ledger *l, ing_file *f, qr_err *err);
void ing_file_release(ing_file *f);
/* A page's metrics as the ledger records them (JSON, at most n bytes), and
 * its scan date ("YYYY-MM-DDTHH:MM:SSZ", "" when unknown). */
void ing_metrics_json(const ing_page_rec *r, char *buf, size_t n);
void ing_scan_date(const ing_page_rec *r, char out[32]);
/* The transfer note a PDF/A-3b archive embeds (ingest_note.c): the same
 * JSON writer and keys as quire evidence, from the file in memory, without
 * what only the ledger knows after the archive is written. out is cleared
 * first. QR_OK or QR_ENOMEM. */
int ing_note_json(const ing_engine *e, const ing_file *f, qr_buf *out);

/* A delivery of only some pages of a file with an open rescan job (names
 * "0003.tif" = page 3): rebuild f's source list from the delivered pages and
 * the earlier outcome's other pages (ingest_rescan.c). rerun: these sources
 * are the ones the file's latest outcome was made of. Leaves f as it is when
 * the delivery is not such a partial rescan. */
int ing_rescan_merge(struct qr_ledger *l, ing_file *f, const qr_delivery_file *df, bool rerun,
                     FILE *diag, qr_err *err);
void ing_rescan_free(ing_file *f);

/* Clean up after a killed run: the archive writes other batches recorded
 * and never closed (ingest_recover.c). Before the pipeline starts. quiet:
 * warnings only, no notes of what was removed. */
int ing_recover_writes(struct qr_ledger *l, int64_t batch, FILE *diag, bool quiet, qr_err *err);
/* After the pipeline stopped: discard what this run began and did not
 * finish (open documents, sealed temporaries), closing their write rows. */
void ing_abandon_writes(ing_engine *e, struct qr_ledger *l, FILE *diag);

void *ing_reader_main(void *engine);
void *ing_worker_main(void *engine);
void *ing_assembler_main(void *engine);
void *ing_ledger_main(void *engine);

/* One corrupt fault (page 0) per refused issue of file_id in d, its detail the
 * issue's message (cut to fit); returns how many, or -1 when out of memory
 * (ingest_issues.c). */
int ing_issue_faults(ing_faults *faults, const qr_delivery *d, const char *file_id);

#endif
