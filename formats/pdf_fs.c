/*
 * The PDF writer's file system calls other than write(2) (pdf_out.c has
 * that one): creating the temporary file, fsync of the file and of its
 * directory, and putting the finished file in place.
 *
 * Why a file of their own: each of them must be retried when a signal
 * interrupts it (EINTR). quire installs no signal handler, but a library or
 * a program that embeds the writer may install one without SA_RESTART, and
 * network and FUSE file systems return EINTR where a local disk never does.
 * An interrupted call is not a failed write: reporting it as one would stop
 * an ingest (exit 3) for nothing. close(2) is the exception and is never
 * retried: Linux releases the descriptor even when close reports EINTR.
 *
 * A rename or link that a signal interrupted may have been done before the
 * call returned (a FUSE daemon can finish it after the kernel gave up
 * waiting): the retry then finds the target taken. When the target is the
 * very file the source was (the same inode), the interrupted call did the
 * work, and the retry's EEXIST or ENOENT is success, not a foreign file.
 *
 * Each function returns 0 or an errno (open: a descriptor or -1 with errno),
 * and runs on the thread that owns the document.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdf_int.h"

int qr_pdf_fs_create(const char *path)
{
    int fd;
    do
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    while (fd < 0 && errno == EINTR);
    return fd;
}

int qr_pdf_fs_fsync(int fd)
{
    while (fsync(fd) != 0)
        if (errno != EINTR)
            return errno;
    return 0;
}

int qr_pdf_fs_fsync_dir(const char *dir)
{
    int fd;
    do
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    int e = qr_pdf_fs_fsync(fd);
    close(fd);
    return e;
}

/* Whether path is now the file `was` describes (same device and inode). */
static bool is_same_file(const char *path, const struct stat *was)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino;
}

typedef int (*place_fn)(const char *from, const char *to);

static int rename_excl(const char *from, const char *to)
{
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

/* place(from, to), again while a signal interrupts it; 0 or an errno. */
static int place_retry(place_fn place, const char *from, const char *to, const struct stat *was)
{
    bool interrupted = false;
    while (place(from, to) != 0) {
        int e = errno;
        if (e != EINTR)
            return interrupted && (e == EEXIST || e == ENOENT) && is_same_file(to, was) ? 0 : e;
        interrupted = true;
    }
    return 0;
}

static int unlink_retry(const char *path)
{
    bool interrupted = false;
    while (unlink(path) != 0) {
        if (errno != EINTR)
            return interrupted && errno == ENOENT ? 0 : errno;
        interrupted = true;
    }
    return 0;
}

int qr_pdf_fs_rename(const char *from, const char *to, bool replace)
{
    struct stat was;
    if (stat(from, &was) != 0)
        return errno;
    if (replace)
        return place_retry(rename, from, to, &was);
    int e = place_retry(rename_excl, from, to, &was);
    if (e != EINVAL && e != ENOSYS)
        return e;
    /* No RENAME_NOREPLACE here: link + unlink, where the link fails on an
     * existing name just the same. */
    e = place_retry(link, from, to, &was);
    return e ? e : unlink_retry(from);
}
