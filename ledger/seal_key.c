/*
 * The keys of seals: loading PEM keys, making key pairs, signing and checking
 * a seal's payload, and the base64 a signature is stored in. The one place
 * of the seal code that talks to OpenSSL's EVP API (the time-stamp protocol
 * is seal_ts.c).
 *
 * Algorithms: Ed25519 (the default for quire keygen) and Ed448 sign the
 * payload itself (EVP_DigestSign with a NULL digest); RSA (PKCS#1 v1.5) and
 * ECDSA keys sign its SHA-256. A key is named by its fingerprint, the
 * SHA-256 of its public key in DER (SubjectPublicKeyInfo), which the seal
 * records, so that a seal made with another key is told from a forged one.
 * A key handle belongs to one thread at a time.
 */
#include "seal_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

struct qr_seal_key {
    EVP_PKEY *pkey;
    char fpr[QR_SHA256_HEX];
    char alg[16];
};

/* OpenSSL's last error as text, or fallback. */
const char *vs_ssl_error(char *buf, size_t cap, const char *fallback)
{
    size_t n = 0;
    const char *data = NULL;
    int flags = 0;
    unsigned long e;
    buf[0] = '\0';
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0 && n + 1 < cap) {
        const char *r = ERR_reason_error_string(e);
        bool text = data && *data && (flags & ERR_TXT_STRING);
        int w = snprintf(buf + n, cap - n, "%s%s%s%s", n ? ": " : "", r ? r : "error",
                         text ? ": " : "", text ? data : "");
        if (w < 0)
            break;
        n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
    }
    ERR_clear_error();
    if (!buf[0])
        snprintf(buf, cap, "%s", fallback);
    return buf;
}

static bool no_digest(const EVP_PKEY *k)
{
    return EVP_PKEY_is_a(k, "ED25519") || EVP_PKEY_is_a(k, "ED448");
}

static const char *alg_name(const EVP_PKEY *k)
{
    return EVP_PKEY_is_a(k, "ED25519") ? "ed25519"
           : EVP_PKEY_is_a(k, "ED448") ? "ed448"
           : EVP_PKEY_is_a(k, "RSA")   ? "rsa-sha256"
           : EVP_PKEY_is_a(k, "EC")    ? "ecdsa-sha256"
                                       : NULL;
}

static int finish_key(qr_seal_key *k, const char *path, qr_err *err)
{
    const char *alg = alg_name(k->pkey);
    if (!alg)
        return qr_err_set(err, QR_EINVAL, "%s: a key of a kind seals do not use (Ed25519, "
                          "Ed448, RSA or ECDSA)", path);
    snprintf(k->alg, sizeof k->alg, "%s", alg);
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k->pkey, &der);
    if (n <= 0)
        return qr_err_set(err, QR_EFATAL, "%s: cannot encode its public key", path);
    uint8_t d[QR_SHA256_LEN];
    qr_sha256_once(der, (size_t)n, d);
    OPENSSL_free(der);
    qr_hex(d, sizeof d, k->fpr);
    return QR_OK;
}

int qr_seal_key_load(const char *path, bool need_private, qr_seal_key **out, qr_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return qr_err_set(err, QR_EINVAL, "%s: %s", path, strerror(errno));
    qr_seal_key *k = calloc(1, sizeof *k);
    if (!k) {
        fclose(f);
        return qr_err_set(err, QR_ENOMEM, "out of memory");
    }
    k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (!k->pkey && !need_private) {
        ERR_clear_error();
        rewind(f);
        k->pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    }
    fclose(f);
    char why[256];
    int rc = k->pkey ? finish_key(k, path, err)
                     : qr_err_set(err, QR_EINVAL, "%s: no PEM %s key in it (%s)", path,
                                  need_private ? "private" : "public or private",
                                  vs_ssl_error(why, sizeof why, "unreadable"));
    if (rc != QR_OK) {
        qr_seal_key_free(&k);
        return rc;
    }
    *out = k;
    return QR_OK;
}

void qr_seal_key_free(qr_seal_key **key)
{
    if (!key || !*key)
        return;
    EVP_PKEY_free((*key)->pkey);
    free(*key);
    *key = NULL;
}

const char *qr_seal_key_fingerprint(const qr_seal_key *key)
{
    return key->fpr;
}

const char *qr_seal_key_alg(const qr_seal_key *key)
{
    return key->alg;
}

/* ---- signing ---------------------------------------------------------------- */

int vs_sign(const qr_seal_key *k, const char *msg, size_t len, char **b64, qr_err *err)
{
    *b64 = NULL;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t n = 0;
    unsigned char *sig = NULL;
    const unsigned char *m = (const unsigned char *)msg;
    bool ok = c && EVP_DigestSignInit(c, NULL, no_digest(k->pkey) ? NULL : EVP_sha256(), NULL,
                                      k->pkey) == 1 &&
              EVP_DigestSign(c, NULL, &n, m, len) == 1 && (sig = malloc(n)) &&
              EVP_DigestSign(c, sig, &n, m, len) == 1;
    EVP_MD_CTX_free(c);
    char why[256];
    int rc = ok ? vs_b64_encode(sig, n, b64)
                : qr_err_set(err, QR_EFATAL, "signing the seal: %s",
                             vs_ssl_error(why, sizeof why, "failed"));
    free(sig);
    if (ok && rc != QR_OK)
        rc = qr_err_set(err, rc, "out of memory");
    return rc;
}

bool vs_verify(const qr_seal_key *k, const char *msg, size_t len, const char *b64)
{
    uint8_t *sig = NULL;
    size_t n = 0;
    if (vs_b64_decode(b64, &sig, &n) != QR_OK)
        return false;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    bool ok = c && EVP_DigestVerifyInit(c, NULL, no_digest(k->pkey) ? NULL : EVP_sha256(),
                                        NULL, k->pkey) == 1 &&
              EVP_DigestVerify(c, sig, n, (const unsigned char *)msg, len) == 1;
    EVP_MD_CTX_free(c);
    free(sig);
    ERR_clear_error();
    return ok;
}

/* ---- base64 ----------------------------------------------------------------- */

int vs_b64_encode(const uint8_t *data, size_t len, char **out)
{
    if (len > (size_t)INT32_MAX / 2)
        return QR_ELIMIT;
    char *b = malloc(4 * ((len + 2) / 3) + 1);
    if (!b)
        return QR_ENOMEM;
    EVP_EncodeBlock((unsigned char *)b, data, (int)len);
    *out = b;
    return QR_OK;
}

int vs_b64_decode(const char *b64, uint8_t **out, size_t *len)
{
    *out = NULL;
    size_t n = b64 ? strlen(b64) : 0;
    if (n == 0 || n % 4 || n > (size_t)INT32_MAX / 2)
        return QR_ECORRUPT;
    uint8_t *b = malloc(n / 4 * 3 + 1);
    if (!b)
        return QR_ENOMEM;
    int got = EVP_DecodeBlock(b, (const unsigned char *)b64, (int)n);
    if (got < 0) {
        free(b);
        return QR_ECORRUPT;
    }
    size_t pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    *out = b;
    *len = (size_t)got - pad;
    return QR_OK;
}

/* ---- key pairs ----------------------------------------------------------------- */

static EVP_PKEY *generate(const char *type)
{
    if (!type || !strcmp(type, "ed25519"))
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!strcmp(type, "rsa"))
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    if (!strcmp(type, "ecdsa"))
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    return NULL;
}

/* Create path (it must not exist) with mode, and write the PEM writer's output. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *k, bool private, qr_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return qr_err_set(err, errno == EEXIST ? QR_EINVAL : QR_EIO, "%s: %s", path,
                          errno == EEXIST ? "exists already: a key is never replaced"
                                          : strerror(errno));
    FILE *f = fdopen(fd, "w");
    bool ok = f && (private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)
                            : PEM_write_PUBKEY(f, k)) == 1;
    ok = ok && fflush(f) == 0 && fsync(fd) == 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    else
        close(fd);
    if (!ok) {
        unlink(path);
        return qr_err_set(err, QR_EIO, "%s: cannot write the key", path);
    }
    return QR_OK;
}

int qr_seal_keygen(const char *priv_path, const char *pub_path, const char *type, qr_err *err)
{
    if (type && strcmp(type, "ed25519") && strcmp(type, "rsa") && strcmp(type, "ecdsa"))
        return qr_err_set(err, QR_EINVAL, "unknown key type %s (ed25519, rsa or ecdsa)", type);
    struct stat st;
    if (stat(pub_path, &st) == 0)
        return qr_err_set(err, QR_EINVAL, "%s: exists already: a key is never replaced",
                          pub_path);
    EVP_PKEY *k = generate(type);
    char why[256];
    if (!k)
        return qr_err_set(err, QR_EFATAL, "making a key pair: %s",
                          vs_ssl_error(why, sizeof why, "failed"));
    int rc = write_pem(priv_path, 0600, k, true, err);
    if (rc == QR_OK && (rc = write_pem(pub_path, 0644, k, false, err)) != QR_OK)
        unlink(priv_path);
    EVP_PKEY_free(k);
    return rc;
}
