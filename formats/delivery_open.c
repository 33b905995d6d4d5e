/*
 * delivery_open.c: which layout a delivery has, and opening it.
 *
 * The table of layouts and their detection live apart from the builder
 * (delivery.c): the layouts call the builder, this file calls the layouts
 * and then the builder, and so no file of the module calls back into one
 * that calls it. A delivery that two layouts claim is refused as ambiguous
 * rather than guessed: the operator names the layout with --layout.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delivery_int.h"

static const qr_delivery_layout *const layouts[] = {
    &qr_delivery_folders, &qr_delivery_multipage, &qr_delivery_zip, &qr_delivery_tar,
};
#define N_LAYOUTS (sizeof layouts / sizeof layouts[0])

const qr_delivery_layout *const *qr_delivery_layouts(size_t *n)
{
    *n = N_LAYOUTS;
    return layouts;
}

const qr_delivery_layout *qr_delivery_layout_find(const char *name)
{
    for (size_t i = 0; i < N_LAYOUTS; i++)
        if (strcmp(layouts[i]->name, name) == 0)
            return layouts[i];
    return NULL;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* make_batch.py's shape: DELIVERY/{manifest.csv,truth.json,scans/}. */
static int resolve_root(const char *path, char **root, qr_err *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return qr_err_set(err, QR_EIO, "%s: %s", path, strerror(errno));
    if (!is_dir(real))
        return qr_err_set(err, QR_EINVAL, "%s: a delivery must be a directory", path);
    qr_buf b = {0};
    qr_buf_printf(&b, "%s/scans", real);
    if (b.data && is_dir((char *)b.data)) {
        *root = (char *)b.data;
        return QR_OK;
    }
    qr_buf_free(&b);
    *root = qr_strdup(real);
    return *root ? QR_OK : qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
}

static int detect(const char *path, const char *root, const qr_delivery_layout **out, qr_err *err)
{
    const qr_delivery_layout *found = NULL;
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        if (!layouts[i]->detect(root))
            continue;
        if (found)
            return qr_err_set(err, QR_EINVAL,
                              "%s: ambiguous delivery: looks like both '%s' and '%s'; use --layout",
                              path, found->name, layouts[i]->name);
        found = layouts[i];
    }
    if (!found)
        return qr_err_set(err, QR_EINVAL,
                          "%s: no delivery found (no folders of page images, no .tif/.tiff, "
                          ".zip or .tar files)", path);
    *out = found;
    return QR_OK;
}

static int pick_layout(const char *path, const char *root, const char *name,
                       const qr_delivery_layout **out, qr_err *err)
{
    if (!name || strcmp(name, "auto") == 0)
        return detect(path, root, out, err);
    *out = qr_delivery_layout_find(name);
    if (!*out)
        return qr_err_set(err, QR_EINVAL, "unknown layout '%s' (auto, folders, multipage, zip, tar)",
                          name);
    return QR_OK;
}

int qr_delivery_open(const char *path, const char *layout, qr_delivery **out, qr_err *err)
{
    *out = NULL;
    qr_delivery *d = calloc(1, sizeof *d);
    qr_dv_priv *p = calloc(1, sizeof *p);
    if (!d || !p) {
        free(d);
        free(p);
        return qr_err_set(err, QR_ENOMEM, "%s: out of memory", path);
    }
    d->priv = p;
    int rc = resolve_root(path, &d->root, err);
    if (rc == QR_OK)
        rc = pick_layout(path, d->root, layout, &d->layout, err);
    if (rc == QR_OK)
        rc = d->layout->enumerate(d, err);
    if (rc == QR_OK)
        rc = qr_dv_builder_finish(d, err);
    if (rc != QR_OK) {
        qr_delivery_free(&d);
        return rc;
    }
    *out = d;
    return QR_OK;
}
