/*
 * A minimal unit-test harness: checks count failures instead of aborting, so a
 * run reports every broken expectation. A test program returns qr_test_end(),
 * whose last line is "N passed, N failed" for the CI log.
 */
#ifndef QR_TEST_H
#define QR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern int qr_test_passed, qr_test_failed;

#define CHECK(cond) qr_test_check((cond), #cond, __FILE__, __LINE__)
#define CHECKF(cond, ...) qr_test_checkf((cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ_INT(a, b) qr_test_eq_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)

bool qr_test_check(bool ok, const char *expr, const char *file, int line);
bool qr_test_checkf(bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool qr_test_eq_int(long long a, long long b, const char *ea, const char *eb,
                    const char *file, int line);
int qr_test_end(void);

/* Environment set by ctest: QUIRE_SRC, QUIRE_SHARED (may not exist), QUIRE_BUILD. */
const char *qr_test_env(const char *name);
/* "$QUIRE_SHARED/corpus/real/<name>" if the corpus exists, else NULL. */
const char *qr_test_corpus(const char *name, char *buf, size_t n);
/* A fresh empty directory under the build tree for this test's outputs. */
const char *qr_test_tmpdir(const char *test_name, char *buf, size_t n);
/* A w x h 1 bpp page (1 = ink) of English letter text in Leptonica's bitmap
 * font of the given size (4-20), set `margin` pixels inside every edge; at
 * 150 dpi a font of 8-10 is about the x-height of office print. */
struct Pix *qr_test_text_page(int w, int h, int font, int margin);
/* The corpus page `name` at 150 dpi, thresholded at 160 (1 = ink), as the
 * analysis sees a page of normal contrast; NULL (and a failed check) when it
 * cannot be read. Call only when qr_test_corpus finds the corpus. */
struct Pix *qr_test_corpus_150(const char *name);
/* Sets the padding bits past each row's last pixel of a 1 bpp image, which
 * packed-row code must ignore. */
void qr_test_dirty_padding(struct Pix *pix);
/* Read a whole file; aborts the test on failure. */
uint8_t *qr_test_read(const char *path, size_t *len);

#endif
