/*
 * fuzz_delivery: enumeration of a box delivered as a zip or a tar
 * (formats/delivery_archive.c on libarchive, and the builder of
 * formats/delivery.c that sorts, groups, refuses pages given twice and
 * fingerprints), then reading every source back as ingest does.
 *
 * qr_delivery_open takes a folder, so the input is written as the one box of
 * a delivery folder, once as BOX-1.zip (layout zip) and once as BOX-1.tar
 * (layout tar); the same bytes go to both readers, each of which refuses the
 * other's format at once. The input is the archive's bytes, unchanged.
 *
 * Checks: an unchanged box always enumerates (damage is an issue, never a
 * failed open); files in natural order with unique ids and well-formed
 * sources; every file a refusal names is in the list; every source reads
 * back (a damaged member may fail as corrupt, never as "archive changed",
 * which ingest would take for an outside change); and a member read again
 * after the cursor moved on (reopening the box) gives the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "qr_delivery.h"

#define MAX_MEMBER_BYTES (4u << 20)

static void check_issues(const qr_delivery *d)
{
    for (size_t i = 0; i < d->n_issues; i++) {
        const qr_delivery_issue *is = &d->issues[i];
        FUZZ_ASSERT(is->kind == QR_DELIVERY_IGNORED || is->kind == QR_DELIVERY_REFUSED);
        FUZZ_ASSERT(is->msg && is->path);
        FUZZ_ASSERT(!is->damaged || is->kind == QR_DELIVERY_REFUSED);
        if (is->kind == QR_DELIVERY_REFUSED && is->file_id)
            FUZZ_ASSERT(qr_delivery_find(d, is->file_id) != NULL);
    }
}

static void check_files(const qr_delivery *d, const char *box)
{
    for (size_t i = 0; i < d->n_files; i++) {
        const qr_delivery_file *f = &d->files[i];
        FUZZ_ASSERT(f->file_id && f->file_id[0] && !strchr(f->file_id, '/'));
        FUZZ_ASSERT(strcmp(f->file_id, "..") != 0 && strcmp(f->file_id, ".") != 0);
        FUZZ_ASSERT(strlen(f->fingerprint) == QR_SHA256_HEX - 1);
        if (i > 0)
            FUZZ_ASSERT(qr_natcmp(d->files[i - 1].file_id, f->file_id) <= 0 &&
                        strcmp(d->files[i - 1].file_id, f->file_id) != 0);
        FUZZ_ASSERT(qr_delivery_find(d, f->file_id) == f);
        FUZZ_ASSERT(f->n_sources == 0 || f->sources);
        for (size_t k = 0; k < f->n_sources; k++) {
            const qr_delivery_source *s = &f->sources[k];
            FUZZ_ASSERT(s->name && s->member && s->abs_path);
            FUZZ_ASSERT(strcmp(s->abs_path, box) == 0);
        }
    }
}

static int read_one(qr_delivery *d, const qr_delivery_source *s, uint8_t **data, size_t *len)
{
    qr_err err = {0};
    int rc = qr_delivery_read_source(d, s, MAX_MEMBER_BYTES, data, len, &err);
    FUZZ_ASSERT_MSG(rc == QR_OK || rc == QR_ECORRUPT || rc == QR_ELIMIT || rc == QR_ENOMEM,
                    err.msg);
    if (rc != QR_OK) {
        FUZZ_ASSERT(err.msg[0] && *data == NULL);
        return rc;
    }
    FUZZ_ASSERT(*data != NULL && *len <= MAX_MEMBER_BYTES);
    return rc;
}

/* Every source in order, then the first one again: reading backwards
 * reopens the box, and must give the same bytes. */
static void read_all(qr_delivery *d)
{
    const qr_delivery_source *first = NULL;
    uint8_t *first_data = NULL;
    size_t first_len = 0;
    for (size_t i = 0; i < d->n_files; i++)
        for (size_t k = 0; k < d->files[i].n_sources; k++) {
            const qr_delivery_source *s = &d->files[i].sources[k];
            uint8_t *data = NULL;
            size_t len = 0;
            if (read_one(d, s, &data, &len) == QR_OK && !first) {
                first = s;
                first_data = data;
                first_len = len;
                continue;
            }
            free(data);
        }
    if (!first)
        return;
    uint8_t *again = NULL;
    size_t len = 0;
    qr_err err = {0};
    int rc = qr_delivery_read_source(d, first, MAX_MEMBER_BYTES, &again, &len, &err);
    FUZZ_ASSERT_MSG(rc == QR_OK, err.msg);
    FUZZ_ASSERT(len == first_len && memcmp(again, first_data, len) == 0);
    free(again);
    free(first_data);
}

static void open_as(const char *layout, const uint8_t *data, size_t size)
{
    char dir[600], box[700];
    fuzz_path(dir, sizeof dir, layout);
    mkdir(dir, 0700);
    snprintf(box, sizeof box, "%s/BOX-1.%s", dir, layout);
    fuzz_write_file(box, data, size);
    char *real = realpath(box, NULL);
    FUZZ_ASSERT(real != NULL);
    qr_delivery *d = NULL;
    qr_err err = {0};
    int rc = qr_delivery_open(dir, layout, &d, &err);
    FUZZ_ASSERT_MSG(rc == QR_OK || rc == QR_ENOMEM, err.msg);
    if (rc == QR_OK) {
        FUZZ_ASSERT(d != NULL);
        check_issues(d);
        check_files(d, real);
        read_all(d);
        qr_delivery_free(&d);
        FUZZ_ASSERT(d == NULL);
    }
    free(real);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_as("zip", data, size);
    open_as("tar", data, size);
    return 0;
}
