/*
 * Associated files of a PDF/A-3 document (ISO 19005-3, 6.8): quire embeds
 * its transfer note so the archive carries, in machine-readable form, what
 * was digitized and how, even when it is separated from the ledger.
 *
 * PDF/A-3 wants, for each embedded file: an EmbeddedFile stream with a
 * /Subtype (its MIME type, as a name) and /Params with /ModDate; a file
 * specification with /F, /UF, /AFRelationship (and here /Desc); the file
 * specification listed in an /AF array (the catalog's) and, so readers list
 * it as an attachment, in the /Names /EmbeddedFiles name tree. The two
 * catalog entries are written by pdf.c from the file specification's number
 * returned here.
 *
 * The stream is Flate-compressed at a fixed level (compress2, level 9), so
 * the same bytes give the same archive. Its ModDate is the document's own
 * modified date, never the clock.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf_int.h"

/* "application/json" as a PDF name: "/application#2Fjson" (PDF 7.3.5:
 * bytes outside the regular characters as #XX). */
static int mime_name(qr_buf *b, const char *mime)
{
    int rc = qr_buf_printf(b, "/");
    for (const unsigned char *s = (const unsigned char *)mime; rc == QR_OK && *s; s++) {
        bool regular = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                       (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '+' ||
                       *s == '_';
        rc = regular ? qr_buf_printf(b, "%c", *s) : qr_buf_printf(b, "#%02X", *s);
    }
    return rc;
}

static int deflate_all(const qr_pdf_attachment *a, uint8_t **out, size_t *len)
{
    uLongf n = compressBound((uLong)a->len);
    *out = malloc(n ? n : 1);
    if (!*out)
        return QR_ENOMEM;
    if (compress2(*out, &n, a->data, (uLong)a->len, 9) != Z_OK) {
        free(*out);
        *out = NULL;
        return QR_ENOMEM;
    }
    *len = n;
    return QR_OK;
}

static int stream_dict(qr_buf *d, const qr_pdf_attachment *a, size_t zlen, time_t modified)
{
    char md[32];
    qr_time_pdf(modified, md);
    int rc = qr_buf_printf(d, "<< /Type /EmbeddedFile /Subtype ");
    if (rc == QR_OK)
        rc = mime_name(d, a->mime);
    if (rc == QR_OK)
        rc = qr_buf_printf(d, "\n/Params << /Size %zu /ModDate (%s) >>\n"
                           "/Filter /FlateDecode /Length %zu >>", a->len, md, zlen);
    if (rc == QR_OK && (rc = qr_buf_append(d, "", 1)) == QR_OK)
        d->len--;
    return rc;
}

static int write_stream(qr_pdf_out *o, qr_pdf_xref *x, const qr_pdf_attachment *a,
                        time_t modified, uint32_t num)
{
    uint8_t *z = NULL;
    size_t zlen = 0;
    qr_buf d = {0};
    int rc = deflate_all(a, &z, &zlen);
    if (rc == QR_OK)
        rc = stream_dict(&d, a, zlen, modified);
    if (rc == QR_OK) {
        qr_pdf_obj_begin(o, x, num);
        qr_pdf_stream(o, (const char *)d.data, z, zlen);
        qr_pdf_obj_end(o);
    }
    free(z);
    qr_buf_free(&d);
    return rc;
}

static int filespec_text(qr_buf *b, const qr_pdf_attachment *a, uint32_t stream)
{
    int rc = qr_buf_printf(b, "<< /Type /Filespec /F ");
    if (rc == QR_OK)
        rc = qr_pdf_text_string(b, a->name);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, " /UF ");
    if (rc == QR_OK)
        rc = qr_pdf_text_string(b, a->name);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "\n/EF << /F %" PRIu32 " 0 R /UF %" PRIu32 " 0 R >>\n"
                           "/AFRelationship /%s /Desc ", stream, stream, a->relationship);
    if (rc == QR_OK)
        rc = qr_pdf_text_string(b, a->desc ? a->desc : a->name);
    return rc == QR_OK ? qr_buf_printf(b, " >>") : rc;
}

/* A name that is safe as a PDF name and a file name: letters, digits, - _ . */
static bool plain(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' || *s == '/'))
            return false;
    return true;
}

int qr_pdf_attach_write(qr_pdf_out *o, qr_pdf_xref *x, const qr_pdf_attachment *a,
                        time_t modified, uint32_t *filespec)
{
    if (!plain(a->name) || strchr(a->name, '/') || !plain(a->mime) || !plain(a->relationship) ||
        strchr(a->relationship, '/') || (!a->data && a->len))
        return QR_EINVAL;
    uint32_t stream = 0;
    int rc = qr_pdf_xref_reserve(x, &stream);
    if (rc == QR_OK)
        rc = qr_pdf_xref_reserve(x, filespec);
    if (rc == QR_OK)
        rc = write_stream(o, x, a, modified, stream);
    qr_buf b = {0};
    if (rc == QR_OK)
        rc = filespec_text(&b, a, stream);
    if (rc == QR_OK) {
        qr_pdf_obj_begin(o, x, *filespec);
        qr_pdf_out_write(o, b.data, b.len);
        qr_pdf_obj_end(o);
    }
    qr_buf_free(&b);
    return rc;
}

int qr_pdf_attach_catalog(qr_buf *b, const qr_pdf_attachment *a, uint32_t filespec)
{
    int rc = qr_buf_printf(b, "\n/AF [%" PRIu32 " 0 R]\n/Names << /EmbeddedFiles << /Names [",
                           filespec);
    if (rc == QR_OK)
        rc = qr_pdf_text_string(b, a->name);
    return rc == QR_OK ? qr_buf_printf(b, " %" PRIu32 " 0 R] >> >>", filespec) : rc;
}
