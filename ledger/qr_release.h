/*
 * qr_release: may the paper of a box go back or be destroyed? Only when the
 * scans stand in for it: every file the inventory puts in the box has an
 * archived version, that archive is on disk with the recorded SHA-256 and
 * agrees with the ledger (qr_verify_archive), a valid seal covers it
 * (qr_sealed_covers: signature, head at its position, the version's rows
 * unchanged), and no rescan job of any of its files is still open or
 * delivered. qr_release_check says so per box with every reason it is not;
 * qr_release_mark records the release as a "box_released" event and seals
 * the chain at once, so the release itself is covered by a signature.
 *
 * A box is what the inventory calls it (inventory.box, from the stock list
 * or the manifest); files without a box cannot be released by box and are
 * not listed.
 *
 * Threads: the calls use the ledger handle on the caller's thread.
 */
#ifndef QR_RELEASE_H
#define QR_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_ledger.h"
#include "qr_verify.h"

typedef struct qr_release_box {
    char *box;
    int64_t files;              /* files of the box in the inventory */
    int64_t archived;           /* of them, with a current archived version */
    int64_t verified;           /* of those, whose archive verified */
    int64_t sealed;             /* of those, covered by a valid seal */
    int64_t open_jobs;          /* rescan jobs of its files not closed */
    bool released;              /* a release of the box is recorded */
    int64_t release_event;      /* that event; 0 = none */
    char released_at[32];       /* its time; "" = none */
    char *released_by;          /* who released it; NULL = none */
    char *released_reason;      /* why (returned, destroyed, ...); NULL = none */
    char **reasons;             /* why it is not releasable now, one sentence each
                                 * naming the file ("F-1 v2: modified: ...") */
    size_t n_reasons;
    char *state;                /* internal: what qr_release_mark compares under the lock */
} qr_release_box;

typedef struct qr_release_list {
    qr_release_box *v;
    size_t n;
} qr_release_list;

typedef struct qr_release_opts {
    const qr_seal_key *pub;     /* checks the seals; required (a key pair's public or
                                 * private key) */
    const char *archives_dir;   /* where the archives are now (qr_verify_opts); NULL = at
                                 * their recorded paths */
    bool deep;                  /* also parse each archive and decode its images */
} qr_release_opts;

/* Whether the box may be released now: not released yet, at least one
 * file, no reason against it. */
bool qr_release_ok(const qr_release_box *b);
/* "released", "releasable" or "not releasable". */
const char *qr_release_state_name(const qr_release_box *b);

/* Every box (box NULL) or one box, sorted by name. QR_EINVAL when box names
 * no box of the inventory or o->pub is NULL. */
int qr_release_check(qr_ledger *l, const char *box, const qr_release_opts *o,
                     qr_release_list *out, qr_err *err);
void qr_release_list_free(qr_release_list *list);

/*
 * Check the box and, when it is releasable, record its release: a
 * "box_released" event (by, reason, every file's archived version and its
 * SHA-256 and covering seal), then a seal of the chain with key (a private
 * key; qr_seal_make, the detached copy next to the ledger), in one
 * transaction. by NULL or "" = qr_actor_default(). *checked receives the
 * check (free with qr_release_list_free on a one-box list, or
 * qr_release_box_free); *made the seal (may be NULL; qr_seal_free).
 * QR_ECORRUPT: not releasable, nothing recorded (the reasons in *checked);
 * QR_EINVAL: no such box, no reason given, already released, or the box
 * changed between the check and the record (run it again).
 */
int qr_release_mark(qr_ledger *l, const char *box, const char *by, const char *reason,
                    const qr_seal_key *key, const char *archives_dir, qr_release_box *checked,
                    qr_seal *made, char *written, size_t cap, qr_err *err);
void qr_release_box_free(qr_release_box *b);

/* Boxes released and boxes that look releasable from the ledger alone: every
 * file archived, no job open, a seal event at or after each version's
 * outcome (signatures and archives are checked by qr_release_check only).
 * For quire status and the report. */
int qr_release_counts(qr_ledger *l, int64_t *released, int64_t *ready, qr_err *err);

#endif
