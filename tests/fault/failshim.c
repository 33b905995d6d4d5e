/*
 * failshim: an LD_PRELOAD library that makes file system calls fail on
 * purpose, for the end-to-end tests of write and read errors (a full disk,
 * a read-only output folder, a failing fsync or rename, an input that cannot
 * be read, a call interrupted by a signal).
 *
 * Why a preload and not a hook in quire: the code under test stays the code
 * that ships, and the failures come from the real system call boundary,
 * where a real full disk shows them. Only files whose path contains
 * $QR_FAIL_PATH are touched, so the ledger (SQLite) is left alone: point it
 * at the output folder for the write side, at the delivery for reads.
 * (io_uring completions never pass through libc: see pipeline/io_uring.c's
 * test hook. Neither do the writes glibc's stdio makes inside libc, such as
 * the XMP spool's fwrite: only calls quire makes itself are reached.)
 *
 *   QR_FAIL_PATH   substring of the paths concerned (required)
 *   QR_FAIL_OP     which calls match, on such paths or on descriptors
 *                  opened from them:
 *                    open     open/openat for writing or creating
 *                    open_ro  open/openat read-only (inputs, directories)
 *                    write    write, pwrite, writev, pwritev
 *                    fsync    fsync, fdatasync
 *                    rename   rename, renameat, renameat2, link (by target)
 *                    read     read, pread, readv, preadv
 *   QR_FAIL_ERRNO  ENOSPC | EIO | EINTR | EROFS | EACCES | EDQUOT
 *                  (default ENOSPC)
 * One mode per run:
 *   QR_FAIL_NTH    N: only the Nth matching call (1-based) fails; every
 *                  other call succeeds. With EINTR this is a call that a
 *                  signal interrupted once: the caller must retry it.
 *   QR_FAIL_COUNT  1: nothing fails; matching calls are only counted.
 *   QR_FAIL_AFTER  (when neither is set) write: bytes written to such files
 *                  before the first failure (summed over all of them);
 *                  other ops: calls that succeed before the first failure;
 *                  every call after it fails too (default 0). Not for EINTR:
 *                  a retrying caller would retry forever.
 *   QR_FAIL_REPORT FILE: at exit, write what happened there, one key=value
 *                  per line: op, calls (matching calls made), fired (calls
 *                  failed), site (the first failed call and its path).
 *                  A harness counts first, then fails each N in 1..calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536

enum mode { MODE_AFTER, MODE_NTH, MODE_COUNT };

/* The path each descriptor was opened from, while it matches QR_FAIL_PATH. */
static _Atomic(char *) fd_path[MAX_FD];
static _Atomic long long budget;  /* AFTER: bytes or calls left */
static _Atomic long long calls;   /* matching calls so far */
static _Atomic long long fired;   /* calls made to fail */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *fail_path, *fail_op, *report_path;
static int fail_errno = ENOSPC;
static enum mode mode = MODE_AFTER;
static long long nth;
static char site[4200];           /* the first failed call, for the report */

static int errno_named(const char *e)
{
    static const struct { const char *name; int value; } names[] = {
        {"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EINTR", EINTR}, {"EROFS", EROFS},
        {"EACCES", EACCES}, {"EDQUOT", EDQUOT}};
    for (size_t i = 0; e && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(e, names[i].name))
            return names[i].value;
    return ENOSPC;
}

static void init(void)
{
    fail_path = getenv("QR_FAIL_PATH");
    fail_op = getenv("QR_FAIL_OP");
    report_path = getenv("QR_FAIL_REPORT");
    fail_errno = errno_named(getenv("QR_FAIL_ERRNO"));
    const char *n = getenv("QR_FAIL_NTH"), *c = getenv("QR_FAIL_COUNT");
    const char *a = getenv("QR_FAIL_AFTER");
    if (n && *n) {
        mode = MODE_NTH;
        nth = atoll(n);
    } else if (c && *c && strcmp(c, "0") != 0) {
        mode = MODE_COUNT;
    }
    atomic_store(&budget, a ? atoll(a) : 0);
}

static bool op_is(const char *op)
{
    pthread_once(&once, init);
    return fail_path && fail_op && strcmp(fail_op, op) == 0;
}

static bool path_hit(const char *path)
{
    pthread_once(&once, init);
    return fail_path && path && strstr(path, fail_path) != NULL;
}

static bool fd_hit(int fd)
{
    return fd >= 0 && fd < MAX_FD && atomic_load(&fd_path[fd]) != NULL;
}

/* One matching call of `what` on `path`, worth n (bytes or 1) to the AFTER
 * budget: true when it must fail, with errno set. */
static bool must_fail(const char *what, const char *path, long long n)
{
    long long k = atomic_fetch_add(&calls, 1) + 1;
    bool fail;
    if (mode == MODE_COUNT) {
        fail = false;
    } else if (mode == MODE_NTH) {
        fail = k == nth;
    } else {
        long long left = atomic_fetch_sub(&budget, n);
        fail = left < n;
        if (fail)
            atomic_store(&budget, 0);
    }
    if (!fail)
        return false;
    if (atomic_fetch_add(&fired, 1) == 0)
        snprintf(site, sizeof site, "%s %s", what, path ? path : "?");
    errno = fail_errno;
    return true;
}

static bool fd_fails(const char *op, const char *what, int fd, long long n)
{
    if (!fd_hit(fd) || !op_is(op))
        return false;
    return must_fail(what, atomic_load(&fd_path[fd]), n);
}

__attribute__((destructor)) static void report(void)
{
    pthread_once(&once, init);
    if (!report_path)
        return;
    FILE *f = fopen(report_path, "w");
    if (!f)
        return;
    fprintf(f, "op=%s\ncalls=%lld\nfired=%lld\nsite=%s\n", fail_op ? fail_op : "",
            atomic_load(&calls), atomic_load(&fired), site);
    fclose(f);
}

#define REAL(ret, name, ...)                                                                 \
    static ret (*real_##name)(__VA_ARGS__);                                                  \
    if (!real_##name)                                                                        \
        real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* ---- open ------------------------------------------------------------------- */

static void forget_fd(int fd)
{
    if (fd >= 0 && fd < MAX_FD)
        free(atomic_exchange(&fd_path[fd], NULL));
}

static int after_open(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FD)
        free(atomic_exchange(&fd_path[fd], path_hit(path) ? strdup(path) : NULL));
    return fd;
}

static bool open_fails(const char *path, int flags)
{
    if (!path_hit(path))
        return false;
    bool writes = flags & (O_WRONLY | O_RDWR | O_CREAT);
    if (!op_is(writes ? "open" : "open_ro"))
        return false;
    return must_fail(writes ? "open(create/write)" : "open(read-only)", path, 1);
}

#define OPEN_BODY(name, ...)                                                                 \
    va_list ap;                                                                              \
    va_start(ap, flags);                                                                     \
    mode_t mode_ = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;                 \
    va_end(ap);                                                                              \
    if (open_fails(path, flags))                                                             \
        return -1;                                                                           \
    return after_open(real_##name(__VA_ARGS__, mode_), path)

int open(const char *path, int flags, ...)
{
    REAL(int, open, const char *, int, ...);
    OPEN_BODY(open, path, flags);
}

int open64(const char *path, int flags, ...)
{
    REAL(int, open64, const char *, int, ...);
    OPEN_BODY(open64, path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    REAL(int, openat, int, const char *, int, ...);
    OPEN_BODY(openat, dirfd, path, flags);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    REAL(int, openat64, int, const char *, int, ...);
    OPEN_BODY(openat64, dirfd, path, flags);
}

int close(int fd)
{
    REAL(int, close, int);
    forget_fd(fd);
    return real_close(fd);
}

/* ---- write ------------------------------------------------------------------ */

static size_t iov_len(const struct iovec *iov, int cnt)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    return n;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, int, const void *, size_t);
    if (fd_fails("write", "write", fd, (long long)n))
        return -1;
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
    if (fd_fails("write", "pwrite", fd, (long long)n))
        return -1;
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
    if (fd_fails("write", "pwrite", fd, (long long)n))
        return -1;
    return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(ssize_t, writev, int, const struct iovec *, int);
    if (fd_fails("write", "writev", fd, (long long)iov_len(iov, cnt)))
        return -1;
    return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t);
    if (fd_fails("write", "pwritev", fd, (long long)iov_len(iov, cnt)))
        return -1;
    return real_pwritev(fd, iov, cnt, off);
}

/* ---- fsync ------------------------------------------------------------------ */

int fsync(int fd)
{
    REAL(int, fsync, int);
    if (fd_fails("fsync", "fsync", fd, 1))
        return -1;
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(int, fdatasync, int);
    if (fd_fails("fsync", "fdatasync", fd, 1))
        return -1;
    return real_fdatasync(fd);
}

/* ---- read ------------------------------------------------------------------- */

ssize_t read(int fd, void *buf, size_t n)
{
    REAL(ssize_t, read, int, void *, size_t);
    if (fd_fails("read", "read", fd, 1))
        return -1;
    return real_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pread, int, void *, size_t, off_t);
    if (fd_fails("read", "pread", fd, 1))
        return -1;
    return real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pread64, int, void *, size_t, off_t);
    if (fd_fails("read", "pread", fd, 1))
        return -1;
    return real_pread64(fd, buf, n, off);
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    REAL(ssize_t, readv, int, const struct iovec *, int);
    if (fd_fails("read", "readv", fd, 1))
        return -1;
    return real_readv(fd, iov, cnt);
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(ssize_t, preadv, int, const struct iovec *, int, off_t);
    if (fd_fails("read", "preadv", fd, 1))
        return -1;
    return real_preadv(fd, iov, cnt, off);
}

/* ---- rename ----------------------------------------------------------------- */

static bool rename_fails(const char *what, const char *to)
{
    return path_hit(to) && op_is("rename") && must_fail(what, to, 1);
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, const char *, const char *);
    if (rename_fails("rename", to))
        return -1;
    return real_rename(from, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    REAL(int, renameat, int, const char *, int, const char *);
    if (rename_fails("renameat", to))
        return -1;
    return real_renameat(fd1, from, fd2, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
    REAL(int, renameat2, int, const char *, int, const char *, unsigned);
    if (rename_fails("renameat2", to))
        return -1;
    return real_renameat2(fd1, from, fd2, to, flags);
}

int link(const char *from, const char *to)
{
    REAL(int, link, const char *, const char *);
    if (rename_fails("link", to))
        return -1;
    return real_link(from, to);
}
