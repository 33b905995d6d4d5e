/*
 * Internals shared by the seal files (seal.c, seal_key.c, seal_check.c,
 * seal_ts.c): signing, base64, the seal's payload text and reading a seal
 * back from JSON. Callers see only qr_verify.h.
 */
#ifndef QR_SEAL_INT_H
#define QR_SEAL_INT_H

#include "verify_int.h"

/* The version of the payload's format ("quire_seal"). */
#define VS_FORMAT 1

/* OpenSSL's last error as text (the queue is cleared), or fallback. */
const char *vs_ssl_error(char *buf, size_t cap, const char *fallback);
/* Sign msg with k; *b64 is the signature in base64 (the caller frees it). */
int vs_sign(const qr_seal_key *k, const char *msg, size_t len, char **b64, qr_err *err);
/* Whether b64 is k's signature of msg. */
bool vs_verify(const qr_seal_key *k, const char *msg, size_t len, const char *b64);
int vs_b64_encode(const uint8_t *data, size_t len, char **out);
int vs_b64_decode(const char *b64, uint8_t **out, size_t *len);

/* The signed text of a seal, from its fields (everything but payload, sig,
 * stamped): one line of JSON in a fixed order. */
int vs_payload(const qr_seal *s, qr_buf *b);
/* A seal's fields read from its JSON (an event's detail, a detached file):
 * the payload rebuilt from them, sig copied. *format = "quire_seal" (0
 * when absent). QR_ECORRUPT when json is not a seal. */
int vs_from_json(qr_ledger *l, const char *json, qr_seal *s, int *format, qr_err *err);
/* Files and pages archived and archived versions as the events up to head
 * say (the latest archived outcome of each file counts). */
int vs_counts_at(qr_ledger *l, int64_t head, int64_t *files, int64_t *pages, int64_t *archives,
                 qr_err *err);
/* Seal n of the ledger (0 = the latest); QR_EINVAL when there is none. */
int vs_seal_n(qr_ledger *l, int n, qr_seal *out, qr_err *err);
/* SHA-256 of seal s's payload: what a time-stamp stamps. */
void vs_payload_digest(const qr_seal *s, uint8_t d[QR_SHA256_LEN]);

/* Check a time-stamp response (base64 of its DER) against digest with the
 * CA certificate(s) in ca_path: true when valid; else why says why. time
 * gets the token's time. */
bool vs_ts_check(const char *tsr_b64, const uint8_t digest[QR_SHA256_LEN], const char *ca_path,
                 char time[32], char *why, size_t cap);

#endif
