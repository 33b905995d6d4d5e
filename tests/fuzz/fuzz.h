/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_<name>.c), by libFuzzer's
 * driver in the clang build (QUIRE_FUZZ) and by replay.c, the plain driver
 * that the gcc and ASan builds use to replay the seeds and regression inputs
 * under ctest. A target is one LLVMFuzzerTestOneInput; everything here is
 * what more than one target needs: a private scratch folder per process
 * (targets that must hand quire a path: the profile loader, delivery
 * enumeration, the PDF writer) and a loud stop for a broken invariant.
 *
 * Why a folder on tmpfs: the PDF writer fsyncs its file and folder, and an
 * fsync per execution on a disk would make the PDF target a disk benchmark.
 * QUIRE_FUZZ_TMP overrides the place.
 */
#ifndef QUIRE_FUZZ_H
#define QUIRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The entry point libFuzzer (or replay.c) calls once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* This process's scratch folder, created on first use and removed with
 * everything in it at exit. Never NULL: aborts when it cannot be made. */
const char *fuzz_tmpdir(void);
/* path = fuzz_tmpdir()/rel (aborts when it does not fit). */
void fuzz_path(char *path, size_t cap, const char *rel);
/* Write data to path (created or truncated); aborts on failure. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* Remove path and, for a folder, everything below it; a missing path is fine. */
void fuzz_remove_tree(const char *path);

/* A broken invariant: print it and abort, which both drivers report as a
 * crash with the input that caused it. */
#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond))                                                                   \
            fuzz_fail(__FILE__, __LINE__, #cond);                                      \
    } while (0)
/* The same, with the library's message (a qr_err's msg) printed too. */
#define FUZZ_ASSERT_MSG(cond, msg)                                                     \
    do {                                                                               \
        if (!(cond))                                                                   \
            fuzz_fail_msg(__FILE__, __LINE__, #cond, msg);                             \
    } while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *what);
_Noreturn void fuzz_fail_msg(const char *file, int line, const char *what, const char *msg);

#endif
