/*
 * qr_verdict: every fault decision that is not a page measurement's, beside
 * the page rules (qr_page_faults in qr_stages.h, stages/verdict.c).
 *
 * Why one place: a fault is a promise to the reviewer (this was measured,
 * this is the threshold it crossed, this is what fixes it). When the rules
 * that make faults were spread over the assembler, the planner, the
 * manifest and the review command, the same question (may this kind be
 * accepted? does a separator count?) had two answers waiting to drift.
 * Here the file's rules take plain values (counts, page numbers, names),
 * so they are pure, testable without a pipeline, and any caller (ingest,
 * convert, a future checker) gets the same verdict. A new detector is a
 * metric in the analysis, a row in the profile and a rule here or in
 * verdict.c.
 *
 * Threads: pure functions; any thread.
 */
#ifndef QR_VERDICT_H
#define QR_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "qr_fault.h"

/* ---- The file's page count (stages/verdict_file.c) --------------------- */

/* Why a delivered page is left out of the count against the manifest. */
typedef enum qr_aside_kind {
    QR_ASIDE_DUPLICATE, /* the sheet before it fed twice */
    QR_ASIDE_SEPARATOR  /* a patch-code separator sheet left in the delivery */
} qr_aside_kind;

typedef struct qr_aside {
    int page; /* 1-based delivered position */
    qr_aside_kind why;
} qr_aside;

/* What is known of a delivered file once all its pages are placed. */
typedef struct qr_file_facts {
    bool in_manifest;
    int expected;          /* pages the manifest expects; 0 = unknown */
    int delivered;         /* pages placed, the ones set aside included */
    bool pages_lost;       /* a container lost pages: a short count is the corrupt
                              fault's consequence, not a fault of its own */
    const qr_aside *aside; /* pages set aside, in page order */
    size_t n_aside;
} qr_file_facts;

#define QR_FILE_FAULTS_MAX 2

/* The file's own faults, written to out (page 0 = the whole file):
 *  - missing_pages / extra_pages when the pages that count (delivered minus
 *    those set aside) differ from the expected number (value = counted,
 *    threshold = expected), naming the pages set aside;
 *  - extra_pages for separator sheets left in when the count is otherwise
 *    right or short (value = sheets, threshold 0): they are not pages of the
 *    file and would go into its archive.
 * Returns how many (0 to QR_FILE_FAULTS_MAX). */
int qr_file_faults(const qr_file_facts *in, qr_fault out[QR_FILE_FAULTS_MAX]);

/* ---- Weighing faults: reviewer accepts and blocking kinds --------------- */

/* A reviewer's acceptance of a fault (see quire accept): page 0 = any page. */
typedef struct qr_fault_accept {
    qr_fault_kind kind;
    int page;
} qr_fault_accept;

typedef struct qr_fault_rules {
    unsigned nonblocking;            /* bit (1u << kind): recorded, never blocks */
    const qr_fault_accept *accepts;  /* accepted false alarms for this file */
    size_t n_accepts;
} qr_fault_rules;

typedef struct qr_file_verdict {
    bool faulty;        /* not archived: a blocking, unaccepted fault, or not in the
                           manifest */
    size_t n_blocking;  /* blocking, unaccepted faults */
    size_t n_accepted;  /* faults covered by an accept */
} qr_file_verdict;

/* Covered by an accept: the kind matches, and the accept's page is 0 or the
 * fault's page. rules may be NULL (nothing accepted). */
bool qr_fault_accepted(const qr_fault *f, const qr_fault_rules *rules);
/* Blocks archiving: not accepted, and its kind not nonblocking. An unknown
 * kind always blocks. */
bool qr_fault_blocks(const qr_fault *f, const qr_fault_rules *rules);
/* Weigh all of a file's faults (its own included). */
void qr_file_verdict_of(bool in_manifest, const qr_fault *faults, size_t n,
                        const qr_fault_rules *rules, qr_file_verdict *out);
/* Whether a reviewer may accept faults of this kind. When not, *why (cap
 * bytes) says what fixes it instead; file_id (may be NULL) is named there. */
bool qr_fault_acceptable(qr_fault_kind kind, const char *file_id, char *why, size_t cap);

/* ---- Faults of events outside the page measurements ----------------------
 * Each is a whole-file fault (page 0) unless a page is given. */

/* A page that could not be decoded (page >= 1; source names its file). */
qr_fault qr_fault_unreadable(int page, const char *source, const char *error);
/* Whether an error of the archive writer (a QR_E* code) is a fault of the
 * scan (the page cannot be carried, the format's limits): false for I/O,
 * memory and fatal errors, which stop the run and are never the scan's. */
bool qr_write_error_is_fault(int rc);
/* A page (0 = the file) the archive cannot carry. */
qr_fault qr_fault_unarchivable(int page, const char *source, const char *error);
/* The same file id in two deliveries of one run. */
qr_fault qr_fault_delivered_twice(const char *first_root, const char *second_root);
/* A file the manifest does not name (value = its sources). */
qr_fault qr_fault_unexpected(const char *file_id, const char *manifest, int n_sources);
/* An issue the delivery layer refused for this file (a member refused, a page
 * name given twice); a message too long for the detail is cut at a character
 * boundary and ends in "...". */
qr_fault qr_fault_refused(const char *msg);

#endif
