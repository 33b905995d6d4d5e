/*
 * qr_verify: does the archive folder hold what the ledger recorded, does the
 * ledger still hold what was recorded, and who vouched for it when (seals).
 * The public header of the verification module (ledger/verify*.c, seal*.c);
 * quire verify, quire seal and quire keygen are its command-line front end,
 * and the release and evidence work builds on the same calls: one archive
 * version (qr_verify_archive), the seals (qr_ledger_seals_of) and whether a
 * version is covered by a valid seal (qr_sealed_covers).
 *
 * What is checked (qr_verify_ledger runs all of it):
 *   chain       the event log from its first event: each event's prev_hash
 *               is its predecessor's hash and its hash follows from its
 *               fields (events.c); the first event that does not is named;
 *   rows        every row the figures depend on against the digest its
 *               latest covering event carries (digest.c): files, pages,
 *               faults, batches, inventory, plan, accepts, rescan jobs; rows
 *               no event covers; files.current against the rule of commit.c;
 *   archives    every archived version: its file, re-hashed (SHA-256) and
 *               compared; missing, modified, or found with its digest under
 *               another name (renamed or moved); each PDF in the archive
 *               folder the ledger does not know; its XMP provenance (file id,
 *               page list with source and SHA-256) and its name (the
 *               version) against the ledger; with deep also the PDF's
 *               structure, page count and every image stream decoded;
 *   seals       every seal in the ledger and each detached seal file: the
 *               signed head is the chain's event at that position, the signed
 *               counts are what the events up to it say, and with a public
 *               key the signature; with a TSA certificate every time-stamp
 *               token (RFC 3161).
 * Each problem is one finding, given to the caller's sink as it is found;
 * the calls return QR_OK when the checks ran (whatever they found) and an
 * error only when they could not run (the ledger unreadable, out of memory).
 * Archives are hostile input: the PDF reader bounds every offset and length
 * by the file and caps what it reads.
 *
 * Threads: a qr_ledger handle belongs to one thread (qr_ledger.h); these
 * calls use it on the caller's thread. qr_seal_key and qr_sealed belong to
 * one thread at a time.
 */
#ifndef QR_VERIFY_H
#define QR_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_ledger.h"

/* ---- Findings ------------------------------------------------------------ */

typedef enum qr_verify_kind {
    QR_VERIFY_MISSING = 0, /* an archived version's file is not there */
    QR_VERIFY_MODIFIED,    /* its bytes do not have the recorded SHA-256 */
    QR_VERIFY_RENAMED,     /* it is found, with the recorded SHA-256, under another
                            * name or in another folder (renamed or moved) */
    QR_VERIFY_STRAY,       /* a PDF in the archive folder the ledger does not know */
    QR_VERIFY_UNREADABLE,  /* the file cannot be read (permissions, I/O error, not a file) */
    QR_VERIFY_PROVENANCE,  /* its XMP (file id, pages, sources' SHA-256) or its name
                            * (the version) disagrees with the ledger */
    QR_VERIFY_STRUCTURE,   /* deep: the PDF's objects, page tree, page count or an
                            * image stream */
    QR_VERIFY_CHAIN,       /* the event log: the first event that does not follow */
    QR_VERIFY_ROWS,        /* rows that differ from their event's digest, an event
                            * without the digest it should carry */
    QR_VERIFY_UNCOVERED,   /* rows that no event covers (inserted behind the ledger) */
    QR_VERIFY_CURRENT,     /* a file's current outcome is not the one the rule gives */
    QR_VERIFY_SEAL,        /* a seal that fails, is missing, or was made with another key */
    QR_VERIFY_TIMESTAMP,   /* a time-stamp token that fails */
    QR_VERIFY__COUNT
} qr_verify_kind;

/* "missing", "modified", "renamed", "stray", "unreadable", "provenance",
 * "structure", "chain", "rows", "uncovered", "current", "seal", "timestamp". */
const char *qr_verify_kind_name(qr_verify_kind k);

typedef struct qr_verify_finding {
    qr_verify_kind kind;
    const char *file_id;        /* the file concerned; NULL when none */
    int version;                /* its archive version; 0 when none */
    const char *path;           /* the file on disk concerned; NULL when none */
    const char *what;           /* what is wrong, one sentence */
    const char *expected;       /* what the ledger (or the seal) says; NULL when no comparison */
    const char *found;          /* what was found instead; NULL when no comparison */
    int64_t event;              /* the event concerned; 0 when none */
} qr_verify_finding;

/* Receives each finding; the strings live until it returns. A non-zero
 * return stops the checks (the call then returns that value). */
typedef int (*qr_verify_sink)(void *user, const qr_verify_finding *f);

/* ---- Options and totals ------------------------------------------------- */

typedef struct qr_verify_opts {
    const char *archives_dir;   /* where the archive folder is now: each archive is looked
                                 * for there under its recorded base name; NULL = at its
                                 * recorded path (as the ingest was given it) */
    bool deep;                  /* also parse every archive and decode every image */
    const char *pubkey_path;    /* check the seals' signatures (PEM, public or private key);
                                 * NULL = not checked; a ledger without a seal is a finding */
    const char *tsa_cert_path;  /* check time-stamp tokens against this CA (PEM); NULL = not
                                 * checked; a ledger without a token is a finding */
    const char *const *seal_files; /* detached seal files to check besides those next to the
                                    * ledger (<ledger>.seal-<n>.json) */
    size_t n_seal_files;
    /* Called after each archive version (may be NULL): done of total, pages
     * and bytes so far, findings so far. */
    void (*progress)(void *user, long done, long total, long pages, long findings);
    void *progress_user;
} qr_verify_opts;

typedef struct qr_verify_summary {
    int64_t events;             /* events in the log */
    int64_t chain_ok_to;        /* the last event of the intact prefix of the chain */
    char head[QR_SHA256_HEX];   /* that event's hash */
    int64_t rows_from;          /* events from this id on carry row digests (schema 6) */
    int64_t rows_checked;       /* rows compared with their event's digest */
    int64_t rows_old;           /* rows not covered: recorded before schema 6 */
    int64_t events_old;         /* row-writing events recorded before schema 6 */
    int64_t files, versions;    /* files with an archive, archived versions */
    int64_t pages;              /* pages of those versions */
    int64_t bytes;              /* bytes hashed */
    int64_t strays;             /* PDFs in the archive folder the ledger does not know */
    int64_t seals, seals_valid; /* seals in the ledger; of them verified (with a key) */
    int64_t seal_files, seal_files_valid; /* detached seal files checked; verified */
    int64_t sealed_to;          /* the head of the latest valid seal; 0 = none */
    int64_t timestamps, timestamps_valid;
    int64_t findings;
    bool signatures_checked, timestamps_checked;
} qr_verify_summary;

/* Everything above, in that order. */
int qr_verify_ledger(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                     qr_verify_summary *sum, qr_err *err);

/* The parts of it, for callers that need one. Each adds to *sum. */
int qr_verify_chain(qr_ledger *l, qr_verify_sink sink, void *user, qr_verify_summary *sum,
                    qr_err *err);
int qr_verify_rows(qr_ledger *l, qr_verify_sink sink, void *user, qr_verify_summary *sum,
                   qr_err *err);
int qr_verify_archives(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                       qr_verify_summary *sum, qr_err *err);
int qr_verify_seals(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                    qr_verify_summary *sum, qr_err *err);

/*
 * One archive version, for commands that act on a file (release, evidence):
 * its file (o->archives_dir applies) re-hashed against the ledger, its XMP
 * and name, with o->deep its structure and images, and the digest its
 * outcome's event carries against the files, pages and faults rows. Only
 * findings about this version; *ok (may be NULL) = none. QR_EINVAL when the
 * ledger records no archive of that version.
 */
int qr_verify_archive(qr_ledger *l, const char *file_id, int version, const qr_verify_opts *o,
                      qr_verify_sink sink, void *user, bool *ok, qr_err *err);

/* ---- Seals ---------------------------------------------------------------- */

/*
 * A seal signs the chain's head: the time, the head event's id and hash,
 * the event count, the files and pages archived and the archived versions
 * up to that event (what the events say), the event from which rows are
 * covered, who sealed and the key's fingerprint. It is an event of kind
 * "seal" whose detail is the signed text (the payload) plus "sig", and the
 * same JSON is written as a detached file to keep elsewhere. Signing uses
 * OpenSSL: Ed25519 (default), Ed448 (no digest), RSA (PKCS#1 v1.5) and ECDSA
 * keys (SHA-256). Whoever can write the ledger can recompute every hash,
 * but not a signature: a chain rewritten from scratch no longer has the
 * sealed hash at the sealed position.
 */
typedef struct qr_seal {
    int n;                      /* 1, 2, ... in the order they were made */
    int64_t event;              /* the seal's own event */
    int64_t head_id;            /* the events sealed: 1 .. head_id */
    char head[QR_SHA256_HEX];   /* the hash of event head_id */
    char time[32];              /* when ("YYYY-MM-DDTHH:MM:SSZ", the ledger's clock) */
    char by[QR_ACTOR_MAX];      /* who sealed */
    int64_t files, pages, archives; /* files and pages archived, archived versions */
    int64_t rows_from;          /* ledger_info rows_covered_from when sealed */
    char key[QR_SHA256_HEX];    /* SHA-256 of the public key (DER SubjectPublicKeyInfo) */
    char alg[16];               /* "ed25519", "ed448", "rsa-sha256", "ecdsa-sha256" */
    char *payload;              /* the signed bytes (text) */
    char *sig;                  /* the signature, base64 */
    bool stamped;               /* a time-stamp token is stored for it */
    char stamp_time[32];        /* the token's time; "" when none */
} qr_seal;

typedef struct qr_seal_list {
    qr_seal *v;
    size_t n;
} qr_seal_list;

/* Every seal event in the ledger, oldest first, as recorded (nothing is
 * checked: qr_verify_seals and qr_sealed_open check). */
int qr_ledger_seals_of(qr_ledger *l, qr_seal_list *out, qr_err *err);
void qr_seal_list_free(qr_seal_list *list);

/* A key (an OpenSSL EVP_PKEY) loaded from PEM: a private key, or for
 * checking a public key (a private key also gives its public key). */
typedef struct qr_seal_key qr_seal_key;
int qr_seal_key_load(const char *path, bool need_private, qr_seal_key **out, qr_err *err);
void qr_seal_key_free(qr_seal_key **key);
/* The key's fingerprint (SHA-256 of its public key, hex) and algorithm name. */
const char *qr_seal_key_fingerprint(const qr_seal_key *key);
const char *qr_seal_key_alg(const qr_seal_key *key);

/* Make a key pair: type "ed25519" (default when NULL), "rsa" (3072 bits) or
 * "ecdsa" (P-256). The private key goes to priv_path (mode 0600), the public
 * key to pub_path; neither may exist (QR_EINVAL naming it). */
int qr_seal_keygen(const char *priv_path, const char *pub_path, const char *type, qr_err *err);

/* Seal the current head: the seal event is appended, and the detached file
 * written to out_path (NULL = next to the ledger, "<ledger>.seal-<n>.json";
 * an existing file is never replaced: QR_EINVAL naming it, nothing
 * recorded). by NULL or "" = qr_actor_default(). *made (may be NULL)
 * receives the seal (free with qr_seal_free); written (may be NULL, cap
 * bytes) the detached file's path. QR_EINVAL on an empty ledger. */
int qr_seal_make(qr_ledger *l, const qr_seal_key *key, const char *by, const char *out_path,
                 qr_seal *made, char *written, size_t cap, qr_err *err);
void qr_seal_free(qr_seal *s);

/* Trusted time (RFC 3161). qr_seal_tsq writes a time-stamp request (DER,
 * SHA-256 of seal n's payload, a random nonce, asking for the authority's
 * certificate) to out_path; n 0 = the latest seal. qr_seal_tsr stores the
 * authority's response for seal n (0 = latest) as a "seal_timestamp" event
 * once it is granted and stamps exactly that payload: QR_ECORRUPT when it is
 * no response, was not granted, or "is for other data" (it stamps anything
 * else), nothing stored; QR_EINVAL when there is no seal n. *time (may be
 * NULL) receives the token's time. The token's signature is checked by
 * qr_verify_seals with the authority's CA. */
int qr_seal_tsq(qr_ledger *l, int n, const char *out_path, qr_err *err);
int qr_seal_tsr(qr_ledger *l, int n, const char *in_path, const char *by, char time[32],
                qr_err *err);

/*
 * Whether archive versions are covered by a valid seal, for the release of
 * boxes: qr_sealed_open walks the chain once and checks every seal with the
 * public key (signature, head hash at its position); qr_sealed_covers then
 * says, per version, the first valid seal whose head is at or after the
 * version's outcome event, with that event's row digest matching the
 * files, pages and faults rows now (0 = none: not sealed yet, or not
 * valid). A seal after a break of the chain is not valid.
 */
typedef struct qr_sealed qr_sealed;
int qr_sealed_open(qr_ledger *l, const qr_seal_key *pub, qr_sealed **out, qr_err *err);
int qr_sealed_covers(qr_sealed *s, qr_ledger *l, const char *file_id, int version, int *seal_n,
                     qr_err *err);
void qr_sealed_close(qr_sealed **s);

#endif
