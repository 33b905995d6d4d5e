/*
 * qr_ingest: the main job. Reads a scanner delivery, checks it against the
 * page manifest, writes one PDF/A archive per file and records everything in
 * the ledger. The CLI (cmd_ingest.c) only parses arguments and prints; this
 * module owns the threads.
 *
 * Guarantees: archives appear only under their final name once complete and
 * fsynced; the ledger marks a file archived (with the archive's SHA-256 and
 * its page records) in one transaction after the rename; a rerun skips files
 * whose sources are unchanged and re-does anything that was interrupted, so a
 * kill -9 at any moment loses nothing and duplicates nothing.
 */
#ifndef QR_INGEST_H
#define QR_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "qr_fault.h"
#include "qr_image.h"
#include "qr_pdf.h"
#include "qr_util.h"

typedef struct qr_ingest_opts {
    const char *manifest;        /* CSV path */
    const char *out_dir;
    const char *ledger;          /* SQLite path */
    const char *layout;          /* NULL = detect */
    const char *const *deliveries;
    int n_deliveries;
    int jobs;                    /* worker threads; 0 = number of CPUs */
    qr_pdfa flavour;
    int jpeg_quality;
    bool lossless;               /* Flate instead of JPEG for re-encoded pages */
    double assume_dpi;           /* resolution of pages whose file gives none;
                                    0 = QR_ASSUMED_DPI */
    bool retry;                  /* re-process files recorded as faulty */
    bool quiet;
    const char *log_json;        /* NULL = none */
    qr_limits limits;
    unsigned io_depth;           /* 0 = default */
    size_t io_bytes;             /* bytes in flight; 0 = default */
    const char *command_line;    /* recorded in the batch */
    const char *actor;           /* who runs it (--by): the batch's user and the
                                    actor of its events; NULL = qr_actor_default() */
    const struct qr_profile *profile; /* thresholds; NULL = built-in defaults. The
                                    effective profile is recorded in the batch */
    FILE *progress_out;          /* usually stderr */
    FILE *diag;                  /* error messages (manifest lines, bad inputs) */
} qr_ingest_opts;

void qr_ingest_opts_default(qr_ingest_opts *o);

/* Where the CPU time of a run goes: thread CPU seconds per stage. The worker
 * stages are timed per page; read, write and ledger are the whole CPU time of
 * their threads (each stage owns one thread). */
typedef enum qr_ingest_stage {
    QR_STAGE_READ = 0,  /* reader thread: io_uring / pread */
    QR_STAGE_DECODE,    /* workers: TIFF/JPEG/PNG to pixels */
    QR_STAGE_ANALYSE,   /* workers: qr_analyze and the verdict */
    QR_STAGE_CORRECT,   /* workers: turn upright and deskew */
    QR_STAGE_ENCODE,    /* workers: G4/JPEG/Flate, or copying passthrough bytes */
    QR_STAGE_SIGNATURE, /* workers: duplicate signature */
    QR_STAGE_WRITE,     /* assembler thread: PDF/A streaming, fsync, rename */
    QR_STAGE_LEDGER,    /* ledger thread: SQLite commits */
    QR_STAGE__COUNT
} qr_ingest_stage;

const char *qr_ingest_stage_name(qr_ingest_stage s);

typedef struct qr_ingest_summary {
    long files_total;            /* delivered files seen */
    long files_archived, files_faulty, files_up_to_date, files_unexpected;
    long files_failed;           /* archives that could not be written (I/O) */
    long refused_unowned;        /* delivery input refused that names no file (a box
                                    that is no archive, "../x.tif"): exit 1 */
    long files_pending;          /* in the manifest, never delivered */
    /* Where the manifest's files stand after the run, by their latest
     * outcome: exit 0 means manifest_archived == manifest_files. */
    long manifest_files, manifest_archived, manifest_faulty;
    char faulty_names[640];      /* "ID (since batch N), ..." for the first 10 */
    long pages;
    long faults[QR_FAULT__COUNT];
    double seconds;
    double stage_cpu[QR_STAGE__COUNT]; /* thread CPU seconds per stage */
    const char *io_backend;
} qr_ingest_summary;

/* Returns QR_OK, QR_EINVAL for manifest/usage errors (messages already in
 * *err, one per line), or another code for fatal errors. */
int qr_ingest_run(const qr_ingest_opts *opts, qr_ingest_summary *sum, qr_err *err);

#endif
