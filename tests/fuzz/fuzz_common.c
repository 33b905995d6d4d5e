/*
 * fuzz_common.c: the scratch folder and file helpers of fuzz.h. Kept apart
 * from the targets so that each target file is only its input decoding and
 * its checks. Failures of the harness itself (no temporary folder, a write
 * that fails) abort: a harness that silently skips its work would report
 * millions of executions of nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char tmp_root[512];

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

_Noreturn void fuzz_fail_msg(const char *file, int line, const char *what, const char *msg)
{
    fprintf(stderr, "%s:%d: message: %s\n", file, line, msg);
    fuzz_fail(file, line, what);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fuzz_remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_root(void)
{
    if (tmp_root[0])
        fuzz_remove_tree(tmp_root);
}

static const char *tmp_base(void)
{
    const char *env = getenv("QUIRE_FUZZ_TMP");
    if (env && *env)
        return env;
    if (access("/dev/shm", W_OK | X_OK) == 0)
        return "/dev/shm";
    env = getenv("TMPDIR");
    return env && *env ? env : "/tmp";
}

const char *fuzz_tmpdir(void)
{
    if (tmp_root[0])
        return tmp_root;
    int n = snprintf(tmp_root, sizeof tmp_root, "%s/quire-fuzz-XXXXXX", tmp_base());
    if (n < 0 || (size_t)n >= sizeof tmp_root || !mkdtemp(tmp_root)) {
        fprintf(stderr, "fuzz: cannot make a scratch folder in %s: %s\n", tmp_base(),
                strerror(errno));
        abort();
    }
    atexit(remove_root);
    return tmp_root;
}

void fuzz_path(char *path, size_t cap, const char *rel)
{
    int n = snprintf(path, cap, "%s/%s", fuzz_tmpdir(), rel);
    FUZZ_ASSERT(n > 0 && (size_t)n < cap);
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_ASSERT(fd >= 0);
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        FUZZ_ASSERT(w > 0);
        data += w;
        size -= (size_t)w;
    }
    FUZZ_ASSERT(close(fd) == 0);
}
