/*
 * failshim: an LD_PRELOAD library that makes file system calls fail on
 * purpose, for the end-to-end tests of write errors (a full disk, a
 * read-only output folder, a failing fsync or rename).
 *
 * Why a preload and not a hook in quire: the code under test stays the code
 * that ships, and the failures come from the real system call boundary,
 * where a real full disk shows them. Only files whose path contains
 * $QR_FAIL_PATH are touched, so the ledger (SQLite) and the inputs are left
 * alone.
 *
 *   QR_FAIL_PATH   substring of the paths concerned (required)
 *   QR_FAIL_OP     open | write | fsync | rename
 *   QR_FAIL_ERRNO  ENOSPC | EROFS | EACCES | EIO | EDQUOT (default ENOSPC)
 *   QR_FAIL_AFTER  write: bytes written to such files before the first
 *                  failure (summed over all of them); open/fsync/rename:
 *                  calls that succeed before the first failure (default 0)
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

static _Atomic bool tracked[MAX_FD];
static _Atomic long long budget = -1; /* bytes or calls left; -1 = not read yet */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *fail_path, *fail_op;
static int fail_errno = ENOSPC;

static void init(void)
{
    fail_path = getenv("QR_FAIL_PATH");
    fail_op = getenv("QR_FAIL_OP");
    const char *e = getenv("QR_FAIL_ERRNO");
    if (e) {
        fail_errno = !strcmp(e, "EROFS") ? EROFS : !strcmp(e, "EACCES") ? EACCES
                     : !strcmp(e, "EIO")  ? EIO : !strcmp(e, "EDQUOT") ? EDQUOT : ENOSPC;
    }
    const char *a = getenv("QR_FAIL_AFTER");
    budget = a ? atoll(a) : 0;
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

/* Spend n from the budget; true when this call must fail. */
static bool spend(long long n)
{
    long long left = atomic_fetch_sub(&budget, n);
    if (left >= n)
        return false;
    atomic_store(&budget, 0);
    return true;
}

#define REAL(ret, name, ...)                                                                 \
    static ret (*real_##name)(__VA_ARGS__);                                                  \
    if (!real_##name)                                                                        \
        real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static int after_open(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&tracked[fd], path_hit(path));
    return fd;
}

static bool open_fails(const char *path, int flags)
{
    return (flags & (O_WRONLY | O_RDWR | O_CREAT)) && path_hit(path) && op_is("open") &&
           spend(1);
}

int open(const char *path, int flags, ...)
{
    REAL(int, open, const char *, int, ...);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (open_fails(path, flags)) {
        errno = fail_errno;
        return -1;
    }
    return after_open(real_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
    REAL(int, open64, const char *, int, ...);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (open_fails(path, flags)) {
        errno = fail_errno;
        return -1;
    }
    return after_open(real_open64(path, flags, mode), path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    REAL(int, openat, int, const char *, int, ...);
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
    va_end(ap);
    if (open_fails(path, flags)) {
        errno = fail_errno;
        return -1;
    }
    return after_open(real_openat(dirfd, path, flags, mode), path);
}

static bool write_fails(int fd, size_t n)
{
    return fd >= 0 && fd < MAX_FD && atomic_load(&tracked[fd]) && op_is("write") &&
           spend((long long)n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, int, const void *, size_t);
    if (write_fails(fd, n)) {
        errno = fail_errno;
        return -1;
    }
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
    if (write_fails(fd, n)) {
        errno = fail_errno;
        return -1;
    }
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
    if (write_fails(fd, n)) {
        errno = fail_errno;
        return -1;
    }
    return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(ssize_t, writev, int, const struct iovec *, int);
    size_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    if (write_fails(fd, n)) {
        errno = fail_errno;
        return -1;
    }
    return real_writev(fd, iov, cnt);
}

int fsync(int fd)
{
    REAL(int, fsync, int);
    if (fd >= 0 && fd < MAX_FD && atomic_load(&tracked[fd]) && op_is("fsync") && spend(1)) {
        errno = fail_errno;
        return -1;
    }
    return real_fsync(fd);
}

int close(int fd)
{
    REAL(int, close, int);
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&tracked[fd], false);
    return real_close(fd);
}

static bool rename_fails(const char *to)
{
    return path_hit(to) && op_is("rename") && spend(1);
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, const char *, const char *);
    if (rename_fails(to)) {
        errno = fail_errno;
        return -1;
    }
    return real_rename(from, to);
}

int renameat2(int fd1, const char *from, int fd2, const char *to, unsigned flags)
{
    REAL(int, renameat2, int, const char *, int, const char *, unsigned);
    if (rename_fails(to)) {
        errno = fail_errno;
        return -1;
    }
    return real_renameat2(fd1, from, fd2, to, flags);
}

int link(const char *from, const char *to)
{
    REAL(int, link, const char *, const char *);
    if (rename_fails(to)) {
        errno = fail_errno;
        return -1;
    }
    return real_link(from, to);
}
