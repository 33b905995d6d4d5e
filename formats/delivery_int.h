/*
 * delivery_int.h: what the delivery core (delivery.c) shares with its
 * layouts (delivery_dir.c, delivery_archive.c): the builder that collects
 * (file id, source) pairs and issues while a layout walks the delivery, the
 * name checks every layout applies, and a safe directory lister.
 */
#ifndef QR_DELIVERY_INT_H
#define QR_DELIVERY_INT_H

#include "qr_delivery.h"

typedef struct qr_dv_item {
    char *file_id;
    qr_delivery_source src; /* src.name NULL: only marks the file as delivered */
} qr_dv_item;

/* d->priv: the builder's flat list, and the archive reader's cursor. */
typedef struct qr_dv_priv {
    qr_dv_item *items;
    size_t n_items, cap_items;
    size_t cap_issues;
    qr_delivery_source *sources; /* the block d->files[i].sources point into */
    void *cursor;
    void (*cursor_free)(void *cursor);
} qr_dv_priv;

/* Add a source to file_id (strings are copied), or with src NULL just make
 * sure the file exists (an empty folder is a delivered file without pages). */
int qr_delivery_add(qr_delivery *d, const char *file_id, const qr_delivery_source *src);
/* Record an issue; path and file_id are raw bytes and get escaped (a file
 * named by a REFUSED issue becomes a file of the delivery when the builder
 * finishes). Returns QR_OK or QR_ENOMEM. */
int qr_delivery_note(qr_delivery *d, qr_delivery_issue_kind kind, const char *file_id,
                      const char *path, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Valid UTF-8 without control characters? Otherwise records a REFUSED issue. */
bool qr_delivery_name_ok(qr_delivery *d, const char *file_id, const char *path, const char *name);
bool qr_delivery_has_ext(const char *name, const char *ext); /* ext without dot, any case */
bool qr_delivery_is_page_image(const char *name);
bool qr_delivery_is_junk(const char *name); /* hidden, Thumbs.db, desktop.ini */
/* "a\xffb" style escaping into a new string. */
char *qr_delivery_escape(const char *raw);

enum { QR_DV_FILE = 1, QR_DV_DIR = 2 };
typedef struct qr_dv_entry {
    char *name;      /* entry name (valid UTF-8) */
    char *abs;       /* absolute path; for a symlink inside the delivery, its target */
    int type;        /* QR_DV_FILE or QR_DV_DIR */
    uint64_t size;
    int64_t mtime_ns;
} qr_dv_entry;

/* List abs_dir: junk skipped silently, hostile entries refused as issues
 * (display path rel/name), the rest sorted in natural order. Failing to open
 * abs_dir is an error. */
int qr_delivery_list_dir(qr_delivery *d, const char *abs_dir, const char *rel, const char *file_id,
                         qr_dv_entry **out, size_t *n, qr_err *err);
void qr_delivery_entries_free(qr_dv_entry *e, size_t n);
/* Natural order with a byte-compare tie break: a total order. */
int qr_delivery_namecmp(const char *a, const char *b);

extern const qr_delivery_layout qr_delivery_folders;
extern const qr_delivery_layout qr_delivery_multipage;
extern const qr_delivery_layout qr_delivery_zip;
extern const qr_delivery_layout qr_delivery_tar;

/* Sort, group and fingerprint what the layout added (delivery.c); called
 * once by qr_delivery_open after the layout's enumerate. */
int qr_dv_builder_finish(qr_delivery *d, qr_err *err);

/* Plain-file read_source shared by the directory layouts. */
int qr_delivery_read_plain(qr_delivery *d, const qr_delivery_source *s, size_t max_bytes,
                           uint8_t **data, size_t *len, qr_err *err);

#endif
