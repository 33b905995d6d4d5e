/*
 * fuzz_profile: the INI profile reader behind --profile FILE
 * (stages/profile.c: inih fed through quire's own line reader, which counts
 * lines and catches over-long ones, then each key checked against its row).
 * qr_profile_load reads a path, so the input is written to a file in the
 * scratch folder (tmpfs) and loaded from there; the input is the INI text,
 * unchanged.
 *
 * The checks are the loader's promises: all or nothing (a rejected file
 * leaves the profile exactly as it was), an error that names the file and a
 * line, and a profile that prints (qr_profile_print, what `quire profile
 * show` writes) as an INI that loads back to the same profile, which also
 * proves every accepted value is within its row's range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qr_stages.h"

/* The profile as `quire profile show` prints it (malloc'ed). */
static char *print(const qr_profile *p, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    FUZZ_ASSERT(f != NULL);
    qr_profile_print(p, f);
    FUZZ_ASSERT(fclose(f) == 0);
    return text;
}

static bool same(const qr_profile *a, const qr_profile *b)
{
    size_t la, lb;
    char *ta = print(a, &la), *tb = print(b, &lb);
    bool eq = la == lb && memcmp(ta, tb, la) == 0;
    free(ta);
    free(tb);
    return eq;
}

/* Print p, load the print into the defaults: it must read back as p. */
static void check_round_trip(const qr_profile *p, const char *path)
{
    size_t len;
    char *text = print(p, &len);
    fuzz_write_file(path, (const uint8_t *)text, len);
    free(text);
    qr_profile back;
    qr_profile_default(&back);
    qr_err err = {0};
    FUZZ_ASSERT(qr_profile_load(&back, path, &err) == QR_OK);
    FUZZ_ASSERT(same(p, &back));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[600];
    fuzz_path(path, sizeof path, "profile.ini");
    fuzz_write_file(path, data, size);
    qr_profile p, before;
    qr_profile_default(&p);
    before = p;
    qr_err err = {0};
    int rc = qr_profile_load(&p, path, &err);
    if (rc != QR_OK) {
        FUZZ_ASSERT(rc == QR_EINVAL);
        FUZZ_ASSERT(strncmp(err.msg, path, strlen(path)) == 0);
        FUZZ_ASSERT(err.msg[strlen(path)] == ':');
        FUZZ_ASSERT(same(&p, &before));
        return 0;
    }
    check_round_trip(&p, path);
    return 0;
}
