/*
 * qr_delivery: turns a scanner delivery on disk into a deterministic list of
 * files, each with its file id and its ordered page sources. It never decodes
 * an image: a source is a name, a place and a size; the decoder later says
 * whether the bytes are a page.
 *
 * Layouts sit behind one small interface {name, detect, enumerate,
 * read_source} (qr_delivery_layout), so that new delivery shapes (separator-
 * sheet streams, ...) are one more table row:
 *   folders    DELIVERY/<file_id>/<page images>, pages in natural name order
 *   multipage  DELIVERY/<file_id>.tif|.tiff, one source holding all pages
 *   zip, tar   DELIVERY/<box>.zip|.tar, members <file_id>/<page image>; a
 *              member is read into memory by read_source, never by path;
 *              member names are taken as UTF-8 whatever the process locale
 *
 * Detection (layout NULL or "auto"): a DELIVERY that holds a directory named
 * "scans" is enumerated from DELIVERY/scans (the shape make_batch.py writes:
 * manifest.csv, truth.json, scans/), so "scans" is never a file id. Then
 * exactly one layout must recognise the directory: subdirectories holding
 * page images -> folders; .tif/.tiff files -> multipage; .zip -> zip; .tar ->
 * tar. None or several is an error naming the path; a forced layout skips
 * detection.
 *
 * Junk is skipped silently: hidden names (".DS_Store", "._x"), Thumbs.db,
 * desktop.ini, __MACOSX/ in a box. Other names that are not page images (.tif
 * .tiff .jpg .jpeg .png, any case) are skipped with an IGNORED issue. A name
 * with a page-image extension is always listed, even if its bytes are
 * garbage: the decoder reports it. Hostile entries are REFUSED, never
 * followed or read: names that are not valid UTF-8 or hold control
 * characters, archive members that are absolute or contain "..", links,
 * symlinks leading outside the delivery (or dangling), and anything that is
 * not a regular file or directory. Issues name the path (invalid bytes shown
 * as \xNN); the rest of the delivery goes on.
 *
 * Input that is ambiguous or damaged is REFUSED too, so that it can never
 * pass as a shorter or guessed file:
 *   - a page given twice in one file (a name repeated in a box, the same
 *     member in two boxes, 0003.tif beside 0003.jpg or 3.tif: names equal in
 *     natural order but for the extension): which copy is the scan? The
 *     first copy (by archive, then position) stays the source so the pages
 *     are measured; the issue names both ("members 1 and 3 of BOX-1.tar").
 *   - a damaged box (libarchive cannot read a header or reads it only with
 *     a warning, a member is cut short, a zip's central directory is broken
 *     or missing, a tar ends without its end-of-archive blocks): an issue
 *     flagged damaged, "BOX-1.tar: damaged after member F-1/0002.tif:
 *     <libarchive's message>", naming the last member read whole. Nothing
 *     after a break is read; a member cut short is no source.
 * A REFUSED issue names the file it belongs to whenever the path gives one:
 * a member "<file_id>/...", an entry of a file folder, a top entry that
 * stands for a file (a file folder, "<file_id>.tif"), for damage the file of
 * the member being read (between members: the last one read whole). Every
 * file so named is in the list, with no sources when nothing of it could be
 * taken, so ingest plans it and makes each such issue a fault of the file
 * (pipeline/ingest_issues.c) instead of leaving the file "not delivered".
 *
 * Order: files by file id, pages by name, both natural order ("2" < "10")
 * with a plain byte compare breaking ties: the same tree always gives the same
 * list. A file's fingerprint is SHA-256 over its sources' (name, size,
 * mtime_ns) in that order, then the messages of its refused issues: cheap
 * change detection for reruns, and a corrected redelivery (the duplicate
 * taken out, the box sent whole) is a change even when the sources kept are
 * the same.
 *
 * Threads: a qr_delivery is built and read by one thread (the ingest thread);
 * read_source keeps an archive cursor inside it. Different deliveries are
 * independent.
 */
#ifndef QR_DELIVERY_H
#define QR_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qr_util.h"

typedef struct qr_delivery_source {
    char *name;       /* display name relative to the delivery root:
                       * "PLN-1987-00452/0003.tif", "PLN-1987-00452.tif",
                       * "BOX-0001.zip:PLN-1987-00452/0003.tif" */
    char *abs_path;   /* the file on disk (for an archive member: the archive) */
    char *member;     /* archive member name; NULL for a plain file, which the
                       * caller may read by abs_path (qr_io) */
    uint64_t index;   /* archive member: its position in the archive */
    uint64_t size;
    int64_t mtime_ns;
    bool container;   /* holds an unknown number of pages (multi-page TIFF):
                       * the count is known only after decoding */
} qr_delivery_source;

typedef struct qr_delivery_file {
    char *file_id;
    qr_delivery_source *sources; /* in page order; may be empty (empty folder) */
    size_t n_sources;
    char fingerprint[QR_SHA256_HEX];
} qr_delivery_file;

typedef enum qr_delivery_issue_kind {
    QR_DELIVERY_IGNORED = 1, /* not a page image: skipped, worth a note */
    QR_DELIVERY_REFUSED = 2  /* hostile or unreadable entry: not followed */
} qr_delivery_issue_kind;

typedef struct qr_delivery_issue {
    qr_delivery_issue_kind kind;
    bool damaged;  /* REFUSED because the container itself is damaged (cut
                    * short, broken header or directory): nothing after the
                    * damage was read */
    char *file_id; /* the file it belongs to, when known; else NULL */
    char *path;    /* display path relative to the root (escaped) */
    char *msg;     /* "<path>: <reason>" */
} qr_delivery_issue;

typedef struct qr_delivery qr_delivery;

typedef struct qr_delivery_layout {
    const char *name;
    /* Does the directory (absolute path) look like this layout? */
    bool (*detect)(const char *root);
    /* Fill d's files and issues from d->root (qr_delivery_add_* in
     * delivery_int.h). */
    int (*enumerate)(qr_delivery *d, qr_err *err);
    /* Read one source into a new malloc'ed buffer (at most max_bytes, 0 = no
     * cap; QR_ELIMIT above it). */
    int (*read_source)(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                       uint8_t **data, size_t *len, qr_err *err);
} qr_delivery_layout;

struct qr_delivery {
    const qr_delivery_layout *layout;
    char *root;                 /* absolute directory enumerated */
    qr_delivery_file *files;
    size_t n_files;
    qr_delivery_issue *issues;  /* in discovery order */
    size_t n_issues;
    void *priv;                 /* builder state and archive cursor */
};

/* The registered layouts, in detection order, and lookup by name. */
const qr_delivery_layout *const *qr_delivery_layouts(size_t *n);
const qr_delivery_layout *qr_delivery_layout_find(const char *name);

/* Enumerate the delivery at path. layout: NULL or "auto" to detect, else a
 * layout name. Errors (not a directory, nothing recognised, ambiguous,
 * unknown layout) name the path. */
int qr_delivery_open(const char *path, const char *layout, qr_delivery **out, qr_err *err);
void qr_delivery_free(qr_delivery **d);

/* Read a source's bytes (archive members from the archive, plain files from
 * disk). Sequential reads of one archive's members in archive order are
 * cheap; going backwards reopens the archive. */
int qr_delivery_read_source(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                            uint8_t **data, size_t *len, qr_err *err);

/* Lookup by file id; NULL if absent. */
const qr_delivery_file *qr_delivery_find(const qr_delivery *d, const char *file_id);

#endif
