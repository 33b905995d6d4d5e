/*
 * Trusted time for seals (RFC 3161), with OpenSSL's TS API.
 *
 * A seal's own time is the sealer's clock. A time-stamp authority's token
 * says the seal existed no later than the authority's time: the request
 * carries the SHA-256 of the seal's payload (the signed text), a random
 * nonce, and asks for the authority's certificate so that the token can be
 * checked with the CA's certificate alone. quire never talks to the
 * authority: quire seal --tsq writes the request, the operator sends it
 * (curl, openssl ts), quire seal --tsr stores the answer as a
 * "seal_timestamp" event once it is granted and stamps exactly that seal's
 * payload, and quire verify --tsa-cert CA.pem checks every stored token:
 * its signature up to the CA, the signer's time-stamping purpose, and its
 * imprint against the seal as the ledger holds it now.
 * Runs on the thread that owns the ledger handle.
 */
#include "seal_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#define MAX_TSR (1u << 20)

/* ---- the request ------------------------------------------------------------- */

static TS_REQ *make_request(const uint8_t digest[QR_SHA256_LEN])
{
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *imp = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *nonce = NULL;
    unsigned char rnd[8];
    bool ok = req && imp && alg && TS_REQ_set_version(req, 1) &&
              X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
              TS_MSG_IMPRINT_set_algo(imp, alg) &&
              TS_MSG_IMPRINT_set_msg(imp, (unsigned char *)digest, QR_SHA256_LEN) &&
              TS_REQ_set_msg_imprint(req, imp) && RAND_bytes(rnd, sizeof rnd) == 1;
    if (ok) {
        rnd[0] &= 0x7f; /* a positive INTEGER */
        BIGNUM *bn = BN_bin2bn(rnd, sizeof rnd, NULL);
        ok = bn && (nonce = BN_to_ASN1_INTEGER(bn, NULL)) && TS_REQ_set_nonce(req, nonce) &&
             TS_REQ_set_cert_req(req, 1);
        BN_free(bn);
    }
    ASN1_INTEGER_free(nonce);
    X509_ALGOR_free(alg);
    TS_MSG_IMPRINT_free(imp);
    if (!ok) {
        TS_REQ_free(req);
        return NULL;
    }
    return req;
}

int qr_seal_tsq(qr_ledger *l, int n, const char *out_path, qr_err *err)
{
    qr_seal s;
    int rc = vs_seal_n(l, n, &s, err);
    if (rc != QR_OK)
        return rc;
    uint8_t d[QR_SHA256_LEN];
    vs_payload_digest(&s, d);
    qr_seal_free(&s);
    TS_REQ *req = make_request(d);
    char why[256];
    if (!req)
        return qr_err_set(err, QR_EFATAL, "making the time-stamp request: %s",
                          vs_ssl_error(why, sizeof why, "failed"));
    BIO *out = BIO_new_file(out_path, "wb");
    bool ok = out && i2d_TS_REQ_bio(out, req) == 1;
    ok = out && BIO_free(out) == 1 && ok;
    TS_REQ_free(req);
    if (!ok)
        return qr_err_set(err, QR_EIO, "%s: cannot write the request: %s", out_path,
                          vs_ssl_error(why, sizeof why, strerror(errno)));
    return QR_OK;
}

/* ---- the response ------------------------------------------------------------- */

/* "YYYY-MM-DDTHH:MM:SSZ" of an ASN.1 GeneralizedTime. */
static void gen_time(const ASN1_GENERALIZEDTIME *t, char out[32])
{
    struct tm tm;
    out[0] = '\0';
    if (t && ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static TS_RESP *parse_response(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    return len < (size_t)INT32_MAX ? d2i_TS_RESP(NULL, &p, (long)len) : NULL;
}

/* Granted, for digest (SHA-256): NULL; else why not. */
static const char *granted_for(TS_RESP *r, const uint8_t digest[QR_SHA256_LEN], char time[32],
                               char *why, size_t cap)
{
    TS_STATUS_INFO *si = TS_RESP_get_status_info(r);
    long status = si ? ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)) : -1;
    if (status != 0 && status != 1) {
        snprintf(why, cap, "the authority did not grant it (status %ld)", status);
        return why;
    }
    TS_TST_INFO *info = TS_RESP_get_tst_info(r);
    TS_MSG_IMPRINT *imp = info ? TS_TST_INFO_get_msg_imprint(info) : NULL;
    ASN1_OCTET_STRING *msg = imp ? TS_MSG_IMPRINT_get_msg(imp) : NULL;
    X509_ALGOR *alg = imp ? TS_MSG_IMPRINT_get_algo(imp) : NULL;
    const ASN1_OBJECT *oid = NULL;
    if (alg)
        X509_ALGOR_get0(&oid, NULL, NULL, alg);
    if (!msg || !oid || OBJ_obj2nid(oid) != NID_sha256) {
        snprintf(why, cap, "the token stamps no SHA-256 digest");
        return why;
    }
    if (ASN1_STRING_length(msg) != QR_SHA256_LEN ||
        memcmp(ASN1_STRING_get0_data(msg), digest, QR_SHA256_LEN) != 0) {
        char a[QR_SHA256_HEX], b[QR_SHA256_HEX] = "?";
        qr_hex(digest, QR_SHA256_LEN, a);
        if (ASN1_STRING_length(msg) == QR_SHA256_LEN)
            qr_hex(ASN1_STRING_get0_data(msg), QR_SHA256_LEN, b);
        snprintf(why, cap, "the token is for other data: it stamps SHA-256 %.16s..., the "
                 "seal's payload is %.16s...", b, a);
        return why;
    }
    gen_time(TS_TST_INFO_get_time(info), time);
    return NULL;
}

static int store_event(qr_ledger *l, const qr_seal *s, const char *time, const uint8_t *der,
                       size_t len, const char *by, qr_err *err)
{
    char *b64 = NULL;
    qr_buf d = {0};
    int rc = vs_b64_encode(der, len, &b64);
    if (rc == QR_OK)
        rc = qr_buf_printf(&d, "{\"seal\":%d,\"seal_event\":%lld,\"time\":\"%s\",\"tsr\":\"%s\"}",
                           s->n, (long long)s->event, time, b64);
    free(b64);
    if (rc != QR_OK) {
        qr_buf_free(&d);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    if ((rc = lg_tx_open(l, err)) == QR_OK) {
        rc = lg_event_append(l, 0, NULL, "seal_timestamp", by && *by ? by : qr_actor_default(),
                             (const char *)d.data, err);
        int rc2 = lg_tx_close(l, rc == QR_OK, rc == QR_OK ? err : NULL);
        rc = rc != QR_OK ? rc : rc2;
    }
    qr_buf_free(&d);
    return rc;
}

int qr_seal_tsr(qr_ledger *l, int n, const char *in_path, const char *by, char time[32],
                qr_err *err)
{
    qr_seal s;
    int rc = vs_seal_n(l, n, &s, err);
    if (rc != QR_OK)
        return rc;
    uint8_t *der = NULL, d[QR_SHA256_LEN];
    size_t len = 0;
    char when[32] = "", why[512];
    if ((rc = qr_read_file(in_path, MAX_TSR, &der, &len, err)) == QR_OK) {
        vs_payload_digest(&s, d);
        TS_RESP *r = parse_response(der, len);
        const char *no = r ? granted_for(r, d, when, why, sizeof why)
                           : "not a time-stamp response (DER)";
        TS_RESP_free(r);
        ERR_clear_error();
        rc = no ? qr_err_set(err, QR_ECORRUPT, "%s: %s (seal %d)", in_path, no, s.n)
                : store_event(l, &s, when, der, len, by, err);
    }
    if (rc == QR_OK && time)
        snprintf(time, 32, "%s", when);
    free(der);
    qr_seal_free(&s);
    return rc;
}

/* ---- checking a stored token ------------------------------------------------------ */

static X509_STORE *ca_store(const char *ca_path)
{
    X509_STORE *st = X509_STORE_new();
    if (st && X509_STORE_load_file(st, ca_path) != 1) {
        X509_STORE_free(st);
        return NULL;
    }
    return st;
}

bool vs_ts_check(const char *tsr_b64, const uint8_t digest[QR_SHA256_LEN], const char *ca_path,
                 char time[32], char *why, size_t cap)
{
    uint8_t *der = NULL;
    size_t len = 0;
    time[0] = '\0';
    if (vs_b64_decode(tsr_b64, &der, &len) != QR_OK) {
        snprintf(why, cap, "the stored token is not base64");
        return false;
    }
    TS_RESP *r = parse_response(der, len);
    free(der);
    const char *no = r ? granted_for(r, digest, time, why, cap) : "not a time-stamp response";
    TS_VERIFY_CTX *ctx = no ? NULL : TS_VERIFY_CTX_new();
    X509_STORE *store = ctx ? ca_store(ca_path) : NULL;
    unsigned char *imp = store ? OPENSSL_memdup(digest, QR_SHA256_LEN) : NULL;
    bool ok = false;
    if (imp) {
        TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
        TS_VERIFY_CTX_set_imprint(ctx, imp, QR_SHA256_LEN); /* the context owns both now */
        TS_VERIFY_CTX_set_store(ctx, store);
        store = NULL;
        ok = TS_RESP_verify_response(ctx, r) == 1;
        if (!ok)
            vs_ssl_error(why, cap, "the authority's signature does not verify");
    } else if (!no) {
        snprintf(why, cap, "%s: cannot load the CA certificate", ca_path);
    } else if (no != why) {
        snprintf(why, cap, "%s", no);
    }
    X509_STORE_free(store);
    TS_VERIFY_CTX_free(ctx);
    TS_RESP_free(r);
    ERR_clear_error();
    return ok;
}
