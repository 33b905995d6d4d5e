/*
 * The page tree, written as pages stream in.
 *
 * A flat /Kids array would break PDF/A-1's limit of 8191 array elements
 * (6.1.12-5) at 8192 pages and would have to be kept in memory until the end.
 * Instead pages are grouped under intermediate /Pages nodes of at most
 * QR_PDF_NODE_KIDS (1024) kids: a node's number is reserved when its first
 * page arrives (the page names it as /Parent) and the node is written as soon
 * as it is full. The root lists the nodes and is written last, under the
 * number reserved at open. Memory: one fixed array of 1024 kids plus one
 * number per 1024 pages; two levels suffice up to 8191 * 1024 pages, far
 * beyond the object limit.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pdf_int.h"

int qr_pdf_tree_parent(qr_pdf_tree *t, qr_pdf_xref *x, uint32_t *parent)
{
    if (t->node == 0) {
        int rc = qr_pdf_xref_reserve(x, &t->node);
        if (rc != QR_OK)
            return rc;
        t->n_kids = 0;
    }
    *parent = t->node;
    return QR_OK;
}

static void write_kids(qr_pdf_out *o, const uint32_t *kids, size_t n)
{
    qr_pdf_out_puts(o, "/Kids [");
    for (size_t i = 0; i < n; i++)
        qr_pdf_out_printf(o, "%s%" PRIu32 " 0 R", i % 8 == 0 ? (i ? "\n" : "") : " ", kids[i]);
    qr_pdf_out_puts(o, "]");
}

static int close_node(qr_pdf_tree *t, qr_pdf_out *o, qr_pdf_xref *x)
{
    if (qr_grow(&t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof *t->nodes) != QR_OK)
        return QR_ENOMEM;
    qr_pdf_obj_begin(o, x, t->node);
    qr_pdf_out_printf(o, "<< /Type /Pages /Parent %" PRIu32 " 0 R /Count %d\n", t->root,
                      t->n_kids);
    write_kids(o, t->kids, (size_t)t->n_kids);
    qr_pdf_out_puts(o, " >>");
    qr_pdf_obj_end(o);
    t->nodes[t->n_nodes++] = t->node;
    t->node = 0;
    t->n_kids = 0;
    return QR_OK;
}

int qr_pdf_tree_add(qr_pdf_tree *t, qr_pdf_out *o, qr_pdf_xref *x, uint32_t page)
{
    t->kids[t->n_kids++] = page;
    t->count++;
    if (t->n_kids == QR_PDF_NODE_KIDS)
        return close_node(t, o, x);
    return QR_OK;
}

int qr_pdf_tree_finish(qr_pdf_tree *t, qr_pdf_out *o, qr_pdf_xref *x)
{
    if (t->node != 0) {
        int rc = close_node(t, o, x);
        if (rc != QR_OK)
            return rc;
    }
    if (t->n_nodes > 8191)
        return QR_ELIMIT;
    qr_pdf_obj_begin(o, x, t->root);
    qr_pdf_out_printf(o, "<< /Type /Pages /Count %d\n", t->count);
    write_kids(o, t->nodes, t->n_nodes);
    qr_pdf_out_puts(o, " >>");
    qr_pdf_obj_end(o);
    return QR_OK;
}

void qr_pdf_tree_free(qr_pdf_tree *t)
{
    free(t->nodes);
    t->nodes = NULL;
    t->n_nodes = t->cap_nodes = 0;
}
