/*
 * Object numbering, indirect-object framing and the classic cross-reference
 * table of the PDF writer.
 *
 * PDF/A forbids xref and object streams in PDF/A-1 and wants exact framing
 * in both parts: "N 0 obj" and "endobj" on lines of their own, "stream"
 * followed by LF, an EOL before "endstream" that /Length does not count.
 * Every object goes through these helpers so the rules live in one place.
 *
 * Object numbers may be reserved before the object is written (the catalog,
 * the page-tree root and each intermediate /Pages node are written after the
 * objects that point to them); the table is emitted once at the end, so
 * offsets are stored, 8 bytes per object, and nothing else is kept.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pdf_int.h"

int qr_pdf_xref_reserve(qr_pdf_xref *x, uint32_t *num)
{
    if (x->n >= QR_PDF_MAX_OBJECTS - 1)
        return QR_ELIMIT;
    if (qr_grow(&x->off, &x->cap, (size_t)x->n + 1, sizeof *x->off) != QR_OK)
        return QR_ENOMEM;
    x->off[x->n++] = 0;
    *num = x->n;
    return QR_OK;
}

void qr_pdf_obj_begin(qr_pdf_out *o, qr_pdf_xref *x, uint32_t num)
{
    x->off[num - 1] = o->offset;
    qr_pdf_out_printf(o, "%" PRIu32 " 0 obj\n", num);
}

void qr_pdf_obj_end(qr_pdf_out *o)
{
    qr_pdf_out_puts(o, "\nendobj\n");
}

void qr_pdf_stream(qr_pdf_out *o, const char *dict, const void *data, size_t len)
{
    qr_pdf_out_puts(o, dict);
    qr_pdf_out_puts(o, "\nstream\n");
    qr_pdf_out_write(o, data, len);
    qr_pdf_out_puts(o, "\nendstream");
}

static void write_table(qr_pdf_out *o, const qr_pdf_xref *x)
{
    char line[24];
    qr_pdf_out_printf(o, "xref\n0 %" PRIu32 "\n", x->n + 1);
    qr_pdf_out_puts(o, "0000000000 65535 f \n");
    for (uint32_t i = 0; i < x->n; i++) {
        snprintf(line, sizeof line, "%010" PRIu64 " 00000 n \n", x->off[i]);
        qr_pdf_out_write(o, line, 20);
    }
}

int qr_pdf_xref_finish(qr_pdf_out *o, const qr_pdf_xref *x, uint32_t root, uint32_t info)
{
    for (uint32_t i = 0; i < x->n; i++)
        if (x->off[i] == 0 || x->off[i] > QR_PDF_MAX_OFFSET)
            return x->off[i] ? QR_ELIMIT : QR_EFATAL;
    /* The ID is the digest of the body: the same content gives the same ID. */
    qr_sha256 *body = qr_sha256_dup(o->sha);
    if (!body)
        return QR_ENOMEM;
    uint8_t d[QR_SHA256_LEN];
    char hex[2 * 16 + 1];
    qr_sha256_final(body, d);
    qr_sha256_free(&body);
    qr_hex(d, 16, hex);
    uint64_t start = o->offset;
    write_table(o, x);
    qr_pdf_out_printf(o,
                      "trailer\n<< /Size %" PRIu32 " /Root %" PRIu32 " 0 R /Info %" PRIu32
                      " 0 R /ID [<%s><%s>] >>\nstartxref\n%" PRIu64 "\n%%%%EOF\n",
                      x->n + 1, root, info, hex, hex, start);
    return QR_OK;
}

void qr_pdf_xref_free(qr_pdf_xref *x)
{
    free(x->off);
    memset(x, 0, sizeof *x);
}
