/*
 * The XMP metadata packet of an archive: the file's identity (dc:title,
 * dates, tools, PDF/A identification) and the scan provenance of every page
 * in the quire namespace, declared with a PDF/A extension schema so that
 * PDF/A validators accept it (ISO 19005-1 6.7.8 / 19005-2 6.6.2.3).
 *
 * Streaming: the provenance of a page is known when the page is written,
 * but the packet is written at the end. Holding it in memory would make the
 * writer grow with the page count, so each page's rdf:li fragment is spooled
 * to an unlinked temporary file (O_TMPFILE next to the archive, else
 * tmpfile()) and copied into the metadata stream by qr_xmp_write(); the
 * stream's /Length is known beforehand because the spool's size is.
 *
 * Vocabulary (namespace http://quire.invalid/ns/scan/1.0/, prefix quire):
 *   quire:pages  Seq Page      one entry per archive page, in page order
 *   quire:meta   Seq KeyValue  the free key/value pairs (manifest columns)
 *   quire:overrides Seq Override  reviewer overrides applied to this archive:
 *                fault kind, page, reason, who and when (quire accept)
 * Page fields live in .../page# (quirePage), KeyValue fields in .../kv#
 * (quireKV), Override fields in .../override# (quireOverride), as the
 * extension schema's pdfaType:namespaceURI says.
 *
 * Every string is cleaned (valid UTF-8, XML 1.0 characters only) and
 * escaped. A character XML cannot carry is written as \uXXXX text
 * (pdf_text.c says why), and the operator is told: one line on stderr per
 * field, naming the archive, the file and the field, e.g.
 *   quire: warning: out/F-1.pdf (file F-1): metadata 'title': 1 control
 *   character written as \uXXXX text (first \u0001): XMP cannot hold it
 * The writer has no diagnostics stream of its callers, and a value changed
 * without a word is what this is against; one fprintf per line keeps lines
 * whole when several archives are written at once. Runs on the thread that
 * owns the qr_pdf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf_int.h"

#define NS_QUIRE "http://quire.invalid/ns/scan/1.0/"
#define NS_PAGE NS_QUIRE "page#"
#define NS_KV NS_QUIRE "kv#"
#define NS_OVR NS_QUIRE "override#"
#define XMP_PADDING_LINES 20

/* ---- spool ---------------------------------------------------------------- */

int qr_xmp_spool_open(qr_xmp_spool *s, const char *dir, qr_err *err)
{
    s->bytes = 0;
    s->f = NULL;
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        s->f = fdopen(fd, "w+");
        if (!s->f)
            close(fd);
    }
    if (!s->f)
        s->f = tmpfile();
    if (!s->f)
        return qr_err_set(err, QR_EIO, "%s: cannot create the metadata spool file: %s", dir,
                          strerror(errno));
    return QR_OK;
}

void qr_xmp_spool_close(qr_xmp_spool *s)
{
    if (s->f)
        fclose(s->f);
    s->f = NULL;
}

/* ---- cleaning, with a warning when a value had to change ------------------ */

char *qr_pdf_clean_warn(const qr_pdf_warn *w, const char *field, const char *s)
{
    size_t n = 0;
    uint32_t first = 0;
    char *clean = qr_pdf_clean_text(s, &n, &first);
    if (!clean || n == 0 || !w)
        return clean;
    fprintf(stderr, "quire: warning: %s%s%s%s: %s: %zu control character%s written as \\uXXXX "
            "text (first \\u%04X): XMP cannot hold %s\n", w->archive ? w->archive : "archive",
            w->file ? " (file " : "", w->file ? w->file : "", w->file ? ")" : "", field, n,
            n == 1 ? "" : "s", (unsigned)first, n == 1 ? "it" : "them");
    return clean;
}

/* Append <prefix:name>escaped value</prefix:name> when value is not NULL. */
static int field_text(qr_buf *b, const qr_pdf_warn *w, int page, const char *name,
                      const char *value)
{
    if (!value)
        return QR_OK;
    char field[64];
    snprintf(field, sizeof field, "page %d %s", page, name);
    char *clean = qr_pdf_clean_warn(w, field, value);
    if (!clean)
        return QR_ENOMEM;
    int rc = qr_buf_printf(b, "  <quirePage:%s>", name);
    if (rc == QR_OK)
        rc = qr_xml_escape(b, clean);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</quirePage:%s>\n", name);
    free(clean);
    return rc;
}

static int field_num(qr_buf *b, const char *name, double v)
{
    char n[40];
    qr_pdf_num(v, n);
    return qr_buf_printf(b, "  <quirePage:%s>%s</quirePage:%s>\n", name, n, name);
}

static int page_fragment(qr_buf *b, const qr_pdf_warn *w, int page, const qr_pdf_prov *p)
{
    int rc = qr_buf_printf(b, " <rdf:li rdf:parseType=\"Resource\">\n"
                              "  <quirePage:page>%d</quirePage:page>\n", page);
    if (rc == QR_OK)
        rc = field_text(b, w, page, "source", p->source);
    if (rc == QR_OK)
        rc = field_text(b, w, page, "sha256", p->sha256);
    if (rc == QR_OK)
        rc = field_text(b, w, page, "encoding", p->encoding);
    if (rc == QR_OK)
        rc = field_text(b, w, page, "stored", p->stored);
    if (rc == QR_OK && p->xdpi > 0)
        rc = field_num(b, "xdpi", p->xdpi);
    if (rc == QR_OK && p->ydpi > 0)
        rc = field_num(b, "ydpi", p->ydpi);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "  <quirePage:dpiAssumed>%s</quirePage:dpiAssumed>\n",
                           p->dpi_assumed ? "True" : "False");
    if (rc == QR_OK && p->source_page > 0)
        rc = qr_buf_printf(b, "  <quirePage:sourcePage>%d</quirePage:sourcePage>\n",
                           p->source_page);
    if (rc == QR_OK && p->view_turn)
        rc = qr_buf_printf(b, "  <quirePage:turn>%d</quirePage:turn>\n", p->view_turn);
    if (rc == QR_OK && p->view_rotate_deg != 0)
        rc = field_num(b, "deskew", p->view_rotate_deg);
    if (rc == QR_OK)
        rc = field_text(b, w, page, "note", p->note);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, " </rdf:li>\n");
    return rc;
}

int qr_xmp_spool_page(qr_xmp_spool *s, int page, const qr_pdf_prov *prov, qr_err *err)
{
    static const qr_pdf_prov none = { 0 };
    qr_buf b = { 0 };
    int rc = page_fragment(&b, s->warn, page, prov ? prov : &none);
    if (rc != QR_OK) {
        qr_buf_free(&b);
        return qr_err_set(err, rc, "page %d: out of memory for its metadata", page);
    }
    if (fwrite(b.data, 1, b.len, s->f) != b.len) {
        qr_buf_free(&b);
        return qr_err_set(err, QR_EIO, "metadata spool file: write failed: %s", strerror(errno));
    }
    s->bytes += b.len;
    qr_buf_free(&b);
    return QR_OK;
}

/* ---- the packet ----------------------------------------------------------- */

/* One pdfaField structure. */
static int schema_field(qr_buf *b, const char *name, const char *type, const char *desc)
{
    return qr_buf_printf(b,
        "       <rdf:li rdf:parseType=\"Resource\">"
        "<pdfaField:name>%s</pdfaField:name>"
        "<pdfaField:valueType>%s</pdfaField:valueType>"
        "<pdfaField:description>%s</pdfaField:description></rdf:li>\n", name, type, desc);
}

static int schema_property(qr_buf *b, const char *name, const char *type, const char *desc)
{
    return qr_buf_printf(b,
        "     <rdf:li rdf:parseType=\"Resource\">"
        "<pdfaProperty:name>%s</pdfaProperty:name>"
        "<pdfaProperty:valueType>%s</pdfaProperty:valueType>"
        "<pdfaProperty:category>internal</pdfaProperty:category>"
        "<pdfaProperty:description>%s</pdfaProperty:description></rdf:li>\n", name, type, desc);
}

static int schema_type_begin(qr_buf *b, const char *type, const char *ns, const char *prefix,
                             const char *desc)
{
    return qr_buf_printf(b,
        "     <rdf:li rdf:parseType=\"Resource\">\n"
        "      <pdfaType:type>%s</pdfaType:type>\n"
        "      <pdfaType:namespaceURI>%s</pdfaType:namespaceURI>\n"
        "      <pdfaType:prefix>%s</pdfaType:prefix>\n"
        "      <pdfaType:description>%s</pdfaType:description>\n"
        "      <pdfaType:field><rdf:Seq>\n", type, ns, prefix, desc);
}

static const char TYPE_END[] = "      </rdf:Seq></pdfaType:field>\n     </rdf:li>\n";

static int page_type(qr_buf *b)
{
    static const char *const f[][3] = {
        { "page", "Integer", "1-based page number in this archive" },
        { "source", "Text", "source file of the page within the scanner delivery" },
        { "sha256", "Text", "SHA-256 (hex) of the source file" },
        { "encoding", "Text", "encoding of the source image" },
        { "stored", "Text", "how the archive stores the page: passthrough, g4, jpeg or flate" },
        { "xdpi", "Real", "horizontal resolution in pixels per inch" },
        { "ydpi", "Real", "vertical resolution in pixels per inch" },
        { "dpiAssumed", "Boolean", "True when the source had no resolution and one was assumed" },
        { "sourcePage", "Integer", "1-based page within a multi-page source file" },
        { "note", "Text", "free text, e.g. the justification of a reviewer override" },
        { "turn", "Integer", "clockwise degrees (90, 180, 270) the page shows the image "
                             "turned, to stand it upright" },
        { "deskew", "Real", "clockwise degrees the page shows the image rotated, to deskew "
                            "it; the image itself is the scanner's" },
    };
    int rc = schema_type_begin(b, "Page", NS_PAGE, "quirePage",
                               "scan provenance of one archive page");
    for (size_t i = 0; i < sizeof f / sizeof f[0] && rc == QR_OK; i++)
        rc = schema_field(b, f[i][0], f[i][1], f[i][2]);
    return rc == QR_OK ? qr_buf_append(b, TYPE_END, sizeof TYPE_END - 1) : rc;
}

static int kv_type(qr_buf *b)
{
    int rc = schema_type_begin(b, "KeyValue", NS_KV, "quireKV", "a named metadata value");
    if (rc == QR_OK)
        rc = schema_field(b, "key", "Text", "name of the value, e.g. a manifest column");
    if (rc == QR_OK)
        rc = schema_field(b, "value", "Text", "the value");
    return rc == QR_OK ? qr_buf_append(b, TYPE_END, sizeof TYPE_END - 1) : rc;
}

static int override_type(qr_buf *b)
{
    static const char *const f[][3] = {
        { "kind", "Text", "fault kind the reviewer accepted as a false alarm" },
        { "page", "Integer", "1-based page it applies to; 0 = every page and the whole file" },
        { "reason", "Text", "the reviewer's justification" },
        { "by", "Text", "who accepted it" },
        { "at", "Date", "when it was accepted" },
    };
    int rc = schema_type_begin(b, "Override", NS_OVR, "quireOverride",
                               "a reviewer's override of a fault");
    for (size_t i = 0; i < sizeof f / sizeof f[0] && rc == QR_OK; i++)
        rc = schema_field(b, f[i][0], f[i][1], f[i][2]);
    return rc == QR_OK ? qr_buf_append(b, TYPE_END, sizeof TYPE_END - 1) : rc;
}

static int extension_schema(qr_buf *b)
{
    int rc = qr_buf_printf(b,
        " <rdf:Description rdf:about=\"\"\n"
        "   xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\"\n"
        "   xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\"\n"
        "   xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\"\n"
        "   xmlns:pdfaType=\"http://www.aiim.org/pdfa/ns/type#\"\n"
        "   xmlns:pdfaField=\"http://www.aiim.org/pdfa/ns/field#\">\n"
        "  <pdfaExtension:schemas><rdf:Bag>\n"
        "   <rdf:li rdf:parseType=\"Resource\">\n"
        "    <pdfaSchema:schema>quire scan provenance</pdfaSchema:schema>\n"
        "    <pdfaSchema:namespaceURI>" NS_QUIRE "</pdfaSchema:namespaceURI>\n"
        "    <pdfaSchema:prefix>quire</pdfaSchema:prefix>\n"
        "    <pdfaSchema:property><rdf:Seq>\n");
    if (rc == QR_OK)
        rc = schema_property(b, "pages", "Seq Page", "scan provenance of every page, in order");
    if (rc == QR_OK)
        rc = schema_property(b, "meta", "Seq KeyValue", "metadata of the case file");
    if (rc == QR_OK)
        rc = schema_property(b, "overrides", "Seq Override",
                             "reviewer overrides of faults applied to this archive");
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "    </rdf:Seq></pdfaSchema:property>\n"
                              "    <pdfaSchema:valueType><rdf:Seq>\n");
    if (rc == QR_OK)
        rc = page_type(b);
    if (rc == QR_OK)
        rc = kv_type(b);
    if (rc == QR_OK)
        rc = override_type(b);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "    </rdf:Seq></pdfaSchema:valueType>\n"
                              "   </rdf:li>\n  </rdf:Bag></pdfaExtension:schemas>\n"
                              " </rdf:Description>\n");
    return rc;
}

/* Append an escaped value; s is clean UTF-8 (NULL = empty). */
static int esc(qr_buf *b, const char *s)
{
    return s ? qr_xml_escape(b, s) : QR_OK;
}

static int identity(qr_buf *b, const qr_xmp_doc *d)
{
    char cd[32], md[32];
    qr_time_xmp(d->created, cd);
    qr_time_xmp(d->modified, md);
    int rc = qr_buf_printf(b,
        " <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
        "  <dc:format>application/pdf</dc:format>\n");
    if (rc == QR_OK && d->title) {
        rc = qr_buf_printf(b, "  <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">");
        if (rc == QR_OK)
            rc = esc(b, d->title);
        if (rc == QR_OK)
            rc = qr_buf_printf(b, "</rdf:li></rdf:Alt></dc:title>\n");
    }
    if (rc == QR_OK)
        rc = qr_buf_printf(b,
            " </rdf:Description>\n"
            " <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
            "  <xmp:CreateDate>%s</xmp:CreateDate>\n  <xmp:ModifyDate>%s</xmp:ModifyDate>\n"
            "  <xmp:MetadataDate>%s</xmp:MetadataDate>\n  <xmp:CreatorTool>", cd, md, md);
    if (rc == QR_OK)
        rc = esc(b, d->creator);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</xmp:CreatorTool>\n </rdf:Description>\n"
            " <rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
            "  <pdf:Producer>");
    if (rc == QR_OK)
        rc = esc(b, d->producer);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</pdf:Producer>\n </rdf:Description>\n"
            " <rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
            "  <pdfaid:part>%d</pdfaid:part>\n  <pdfaid:conformance>B</pdfaid:conformance>\n"
            " </rdf:Description>\n",
            d->flavour == QR_PDFA_1B ? 1 : d->flavour == QR_PDFA_3B ? 3 : 2);
    return rc;
}

static int kv_entry(qr_buf *b, const qr_pdf_warn *w, const qr_kv *kv)
{
    char *k = qr_pdf_clean_warn(w, "a metadata key", kv->key ? kv->key : "");
    char field[160];
    snprintf(field, sizeof field, "metadata '%.120s'", k ? k : "");
    char *v = k ? qr_pdf_clean_warn(w, field, kv->value ? kv->value : "") : NULL;
    int rc = k && v ? QR_OK : QR_ENOMEM;
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "   <rdf:li rdf:parseType=\"Resource\"><quireKV:key>");
    if (rc == QR_OK)
        rc = esc(b, k);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</quireKV:key><quireKV:value>");
    if (rc == QR_OK)
        rc = esc(b, v);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</quireKV:value></rdf:li>\n");
    free(k);
    free(v);
    return rc;
}

/* <quireOverride:name>value</quireOverride:name>, the value cleaned. */
static int override_text(qr_buf *b, const qr_pdf_warn *w, const char *name, const char *value)
{
    char field[64];
    snprintf(field, sizeof field, "override %s", name);
    char *clean = qr_pdf_clean_warn(w, field, value ? value : "");
    if (!clean)
        return QR_ENOMEM;
    int rc = qr_buf_printf(b, "<quireOverride:%s>", name);
    if (rc == QR_OK)
        rc = esc(b, clean);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "</quireOverride:%s>", name);
    free(clean);
    return rc;
}

static int override_entry(qr_buf *b, const qr_pdf_warn *w, const qr_pdf_override *o)
{
    int rc = qr_buf_printf(b, "   <rdf:li rdf:parseType=\"Resource\">");
    if (rc == QR_OK)
        rc = override_text(b, w, "kind", o->kind);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "<quireOverride:page>%d</quireOverride:page>", o->page);
    if (rc == QR_OK)
        rc = override_text(b, w, "reason", o->reason);
    if (rc == QR_OK)
        rc = override_text(b, w, "by", o->by);
    if (rc == QR_OK)
        rc = override_text(b, w, "at", o->at);
    return rc == QR_OK ? qr_buf_printf(b, "</rdf:li>\n") : rc;
}

static int overrides(qr_buf *b, const qr_xmp_doc *d)
{
    if (d->n_overrides == 0)
        return QR_OK;
    int rc = qr_buf_printf(b, "  <quire:overrides><rdf:Seq>\n");
    for (size_t i = 0; i < d->n_overrides && rc == QR_OK; i++)
        rc = override_entry(b, d->warn, &d->overrides[i]);
    return rc == QR_OK ? qr_buf_printf(b, "  </rdf:Seq></quire:overrides>\n") : rc;
}

/* Everything up to the first spooled page entry. */
static int packet_head(qr_buf *b, const qr_xmp_doc *d)
{
    int rc = qr_buf_printf(b,
        "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    if (rc == QR_OK)
        rc = identity(b, d);
    if (rc == QR_OK)
        rc = extension_schema(b);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, " <rdf:Description rdf:about=\"\" xmlns:quire=\"" NS_QUIRE "\"\n"
                              "   xmlns:quirePage=\"" NS_PAGE "\" xmlns:quireKV=\"" NS_KV "\"\n"
                              "   xmlns:quireOverride=\"" NS_OVR "\">\n");
    if (rc == QR_OK && d->n_extra > 0) {
        rc = qr_buf_printf(b, "  <quire:meta><rdf:Seq>\n");
        for (size_t i = 0; i < d->n_extra && rc == QR_OK; i++)
            rc = kv_entry(b, d->warn, &d->extra[i]);
        if (rc == QR_OK)
            rc = qr_buf_printf(b, "  </rdf:Seq></quire:meta>\n");
    }
    if (rc == QR_OK)
        rc = overrides(b, d);
    if (rc == QR_OK)
        rc = qr_buf_printf(b, "  <quire:pages><rdf:Seq>\n");
    return rc;
}

/* From the end of the page list to the end of the packet, with the padding
 * that lets a later editor update the packet in place. */
static int packet_tail(qr_buf *b)
{
    int rc = qr_buf_printf(b, "  </rdf:Seq></quire:pages>\n </rdf:Description>\n"
                              "</rdf:RDF>\n</x:xmpmeta>\n");
    char line[101];
    memset(line, ' ', 99);
    line[99] = '\n';
    line[100] = '\0';
    for (int i = 0; i < XMP_PADDING_LINES && rc == QR_OK; i++)
        rc = qr_buf_append(b, line, 100);
    return rc == QR_OK ? qr_buf_printf(b, "<?xpacket end=\"w\"?>") : rc;
}

static int copy_spool(qr_pdf_out *o, qr_xmp_spool *s, qr_err *err)
{
    uint8_t chunk[1 << 15];
    uint64_t left = s->bytes;
    if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
        return qr_err_set(err, QR_EIO, "metadata spool file: %s", strerror(errno));
    while (left > 0) {
        size_t want = left < sizeof chunk ? (size_t)left : sizeof chunk;
        if (fread(chunk, 1, want, s->f) != want)
            return qr_err_set(err, QR_EIO, "metadata spool file: short read");
        qr_pdf_out_write(o, chunk, want);
        left -= want;
    }
    return QR_OK;
}

int qr_xmp_write(qr_pdf_out *o, qr_pdf_xref *x, uint32_t num, const qr_xmp_doc *doc,
                 qr_xmp_spool *s, qr_err *err)
{
    qr_buf head = { 0 }, tail = { 0 };
    int rc = packet_head(&head, doc);
    if (rc == QR_OK)
        rc = packet_tail(&tail);
    if (rc != QR_OK) {
        qr_err_set(err, rc, "out of memory for the metadata packet");
    } else {
        qr_pdf_obj_begin(o, x, num);
        qr_pdf_out_printf(o, "<< /Type /Metadata /Subtype /XML /Length %llu >>\nstream\n",
                          (unsigned long long)(head.len + s->bytes + tail.len));
        qr_pdf_out_write(o, head.data, head.len);
        rc = copy_spool(o, s, err);
        qr_pdf_out_write(o, tail.data, tail.len);
        qr_pdf_out_puts(o, "\nendstream");
        qr_pdf_obj_end(o);
    }
    qr_buf_free(&head);
    qr_buf_free(&tail);
    return rc;
}
