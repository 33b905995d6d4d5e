/*
 * replay: a plain main() for a fuzz target, so that the seeds and the
 * regression inputs run in every build, with gcc and without libFuzzer
 * (`./run.sh test`, and the AddressSanitizer build of .ci/run). Each argument
 * is a file or a folder; every regular file of a folder (not recursive,
 * hidden names and README* skipped, in name order so runs are comparable) is
 * read whole and handed once to LLVMFuzzerTestOneInput, as libFuzzer would.
 *
 * A crash or a broken invariant aborts with the file's name already printed
 * (the line goes out before the call); a missing or empty folder is an error,
 * so a corpus that went astray cannot pass as replayed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *grown = realloc(data, cap);
            if (!grown) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(data);
                fclose(f);
                return 1;
            }
            data = grown;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        perror(path);
        free(data);
        return 1;
    }
    fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int skipped(const char *name)
{
    return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of dir; *count is increased by the files run. */
static int run_dir(const char *dir, size_t *count)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, NULL);
    if (n < 0) {
        perror(dir);
        return 1;
    }
    char **names = calloc((size_t)n + 1, sizeof *names);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (names && !skipped(list[i]->d_name))
            names[k++] = strdup(list[i]->d_name);
        free(list[i]);
    }
    free(list);
    if (!names)
        return 1;
    qsort(names, k, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < k; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= run_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        size_t count = 0;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            rc |= run_dir(argv[i], &count);
            if (count == 0) {
                fprintf(stderr, "%s: no inputs\n", argv[i]);
                rc = 1;
            }
        } else {
            rc |= run_file(argv[i]);
        }
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    return rc;
}
