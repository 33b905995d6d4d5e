/*
 * qr_util: the few helpers every module needs — error records, overflow-checked
 * size arithmetic, SHA-256 (OpenSSL's libcrypto, not hand-written), a growable
 * byte buffer, date formatting, who runs the process (actor.c), and the one
 * CSV cell writer, guarded against formula injection (csv_out.c).
 *
 * Errors live in the work item (a qr_err owned by the caller), never in globals,
 * so any thread may use any of these functions.
 */
#ifndef QR_UTIL_H
#define QR_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Error codes shared by all modules. */
enum {
    QR_OK = 0,
    QR_EUNSUPPORTED, /* a valid input quire does not handle: "unsupported: ..." */
    QR_ECORRUPT,     /* a damaged or truncated input */
    QR_ELIMIT,       /* a cap against hostile input was hit */
    QR_ENOMEM,
    QR_EIO,
    QR_EINVAL,       /* a caller or usage error */
    QR_EFATAL        /* anything that must stop the whole run */
};

typedef struct qr_err {
    int code;
    char msg[512];
} qr_err;

/* Set *err (if not NULL) and return code. The message is printf-formatted;
 * an argument may be err->msg itself (qr_err_set(err, c, "x: %s", err->msg)). */
int qr_err_set(qr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the existing message with "prefix: " (the prefix may quote it too). */
void qr_err_prefix(qr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *qr_err_name(int code);

/* Overflow-checked arithmetic: return false on overflow, *out untouched. */
bool qr_mul_size(size_t a, size_t b, size_t *out);
bool qr_add_size(size_t a, size_t b, size_t *out);
bool qr_mul3_size(size_t a, size_t b, size_t c, size_t *out);

/* Allocation that aborts only on true out-of-memory of tiny sizes is not our
 * style: these return NULL and the caller reports QR_ENOMEM. */
void *qr_malloc_array(size_t n, size_t size);
char *qr_strdup(const char *s);
/* Copy src into dst[cap], cut short when longer (a message in a fixed
 * buffer); returns true when all of src fitted. */
bool qr_copy_str(char *dst, size_t cap, const char *src);

/* SHA-256. */
#define QR_SHA256_LEN 32
#define QR_SHA256_HEX (2 * QR_SHA256_LEN + 1)
typedef struct qr_sha256 qr_sha256;
qr_sha256 *qr_sha256_new(void);
void qr_sha256_update(qr_sha256 *h, const void *data, size_t len);
void qr_sha256_final(qr_sha256 *h, uint8_t out[QR_SHA256_LEN]);
/* A copy of the running state (e.g. the digest of a prefix while hashing goes
 * on); NULL when out of memory. */
qr_sha256 *qr_sha256_dup(const qr_sha256 *h);
void qr_sha256_free(qr_sha256 **h);
void qr_sha256_once(const void *data, size_t len, uint8_t out[QR_SHA256_LEN]);
void qr_hex(const uint8_t *bytes, size_t n, char *out /* 2n+1 */);
/* SHA-256 of a whole file, hex. Returns QR_OK or QR_EIO. */
int qr_sha256_file(const char *path, char hex[QR_SHA256_HEX], qr_err *err);

/* Growable byte buffer. What is appended or printed may be the buffer's own
 * bytes (they are read before the buffer grows and moves). */
typedef struct qr_buf {
    uint8_t *data;
    size_t len, cap;
} qr_buf;
int qr_buf_reserve(qr_buf *b, size_t extra);
int qr_buf_append(qr_buf *b, const void *data, size_t len);
int qr_buf_printf(qr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qr_buf_free(qr_buf *b);

/* Whole-file read into a new buffer (caps at max_bytes; 0 = no cap). */
int qr_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, qr_err *err);

/* Time: the archive's reference time. SOURCE_DATE_EPOCH when set and valid,
 * otherwise now. *from_env tells which. */
time_t qr_reference_time(bool *from_env);
/* "YYYY-MM-DDTHH:MM:SSZ" (XMP) and "D:YYYYMMDDHHMMSSZ" (PDF), both UTC. */
void qr_time_xmp(time_t t, char out[32]);
void qr_time_pdf(time_t t, char out[32]);
/* Parse "YYYY:MM:DD HH:MM:SS" (TIFF DateTime / EXIF) as UTC; -1 if invalid. */
time_t qr_parse_exif_time(const char *s);

/* Who runs this process, for the ledger's records of who did what when no
 * name is given (--by): the login name, else the name of the real uid, else
 * "uid N"; never empty, never "unknown", never taken from $USER. Points into
 * the calling thread's buffer, valid until its next call. */
#define QR_ACTOR_MAX 256
const char *qr_actor_default(void);

/* Natural-order string compare ("2" < "10"), for page file names. */
int qr_natcmp(const char *a, const char *b);

/* CSV output (csv_out.c): the one writer of CSV cells. A cell is RFC 4180
 * quoted when it holds a comma, a double quote, CR or LF; a cell a
 * spreadsheet would take for a formula (=, +, -, @, tab, CR or LF first,
 * after any spaces; not a plain number like -0.5) or that begins with a
 * single quote is written with a ' in front and quoted. Reverse: drop the
 * leading ' of any cell that has one. s NULL = empty cell. */
#include <stdio.h>
void qr_csv_cell(FILE *out, const char *s);
/* Whether qr_csv_cell puts a ' in front of s. */
bool qr_csv_guarded(const char *s);
/* An optional '-', digits, an optional fraction and exponent, nothing else. */
bool qr_csv_plain_number(const char *s);

/* ---- Text toolkit (text.c) ------------------------------------------------ */

/* s as a JSON string literal, quoted and escaped ("\n", "\t", "\r", and
 * \uXXXX for the other control characters and DEL), appended to b / written
 * to out. s NULL = "". */
int qr_json_str(qr_buf *b, const char *s);
#include <stdio.h>
void qr_json_fputs(FILE *out, const char *s);
/* The shortest "%g" text that reads back as the same double ("12.5", not
 * "12.500000000000000"); "nan", "inf" or "-inf" when not finite. */
void qr_fmt_double(double v, char out[40]);
/* Make room for `need` elements of `elem` bytes in the array whose pointer
 * is at `pptr` (any T **, passed as is) and whose capacity is *cap,
 * doubling from 8; sizes are overflow-checked. QR_OK or QR_ENOMEM (then the
 * array and *cap are unchanged). */
int qr_grow(void *pptr, size_t *cap, size_t need, size_t elem);

#endif
