/*
 * quire evidence: the transfer note of one archive version (ledger/
 * qr_evidence.h) for people and machines. JSON is the ledger module's own
 * (qr_evidence_json), the form an archive can carry; text is for a
 * terminal (records as "label: value", tables as aligned columns, ledger
 * text shown safely); HTML is one self-contained page (no script, no
 * external file) laid out for A4 paper, for the file of the case.
 *
 * Exit: 0 printed; 2 usage, unknown file or no such archived version;
 * 3 fatal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_cli.h"
#include "qr_evidence.h"

typedef enum ev_format { EV_TEXT, EV_JSON, EV_HTML } ev_format;

typedef struct evidence_cli {
    const char *ledger, *file_id;
    int version;
    ev_format format;
    bool tty;
} evidence_cli;

static int parse(int argc, char **argv, evidence_cli *e)
{
    static const struct option opts[] = {{"version", required_argument, NULL, 'v'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"ledger", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'v') {
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0 || v > 1000000)
                return qr_cli_usage_error("evidence", "--version wants 1, 2, ..., not %s",
                                          optarg);
            e->version = (int)v;
        } else if (c == 'f') {
            if (!strcmp(optarg, "text") || !strcmp(optarg, "json") || !strcmp(optarg, "html"))
                e->format = optarg[0] == 't' ? EV_TEXT : optarg[0] == 'j' ? EV_JSON : EV_HTML;
            else
                return qr_cli_usage_error("evidence", "--format is text, json or html, not %s",
                                          optarg);
        } else if (c == 'l') {
            e->ledger = optarg;
        } else {
            return QR_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return qr_cli_usage_error("evidence", optind < argc ? "one FILE_ID only"
                                                            : "name the FILE_ID");
    e->file_id = argv[optind];
    return 0;
}

/* ---- text ----------------------------------------------------------------------- */

static const char *shown(const qr_ev_value *v) { return v->type == QR_EV_NULL ? "-" : v->text; }

static void put(const evidence_cli *e, const char *s, int width)
{
    if (e->tty) {
        qr_cli_tty_cell(stdout, s, width);
        return;
    }
    fputs(s, stdout);
    for (int w = qr_cli_tty_width(s); w < width; w++)
        putchar(' ');
}

/* A value of several lines (the profile) goes under its label, indented. */
static void put_long(const evidence_cli *e, const char *s)
{
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        char *line = strndup(s, n);
        fputs("    ", stdout);
        put(e, line ? line : "", 0);
        putchar('\n');
        free(line);
        s += n + (nl != NULL);
    }
}

static void text_record(const evidence_cli *e, const qr_ev_section *s)
{
    int w = 0;
    for (size_t c = 0; c < s->n_cols; c++)
        if ((int)strlen(s->cols[c]) > w)
            w = (int)strlen(s->cols[c]);
    for (size_t c = 0; s->n_rows && c < s->n_cols; c++) {
        const char *v = shown(&s->cells[c]);
        printf("  %s:", s->cols[c]);
        if (strchr(v, '\n')) {
            putchar('\n');
            put_long(e, v);
            continue;
        }
        printf("%*s", w - (int)strlen(s->cols[c]) + 1, "");
        put(e, v, 0);
        putchar('\n');
    }
}

static void text_table(const evidence_cli *e, const qr_ev_section *s)
{
    if (!s->n_rows) {
        puts("  (none)");
        return;
    }
    int w[64] = {0};
    for (size_t c = 0; c < s->n_cols && c < 64; c++) {
        w[c] = qr_cli_tty_width(s->cols[c]);
        for (size_t r = 0; r < s->n_rows; r++) {
            int k = qr_cli_tty_width(shown(&s->cells[r * s->n_cols + c]));
            w[c] = k > w[c] ? k : w[c];
        }
    }
    fputs(" ", stdout);
    for (size_t c = 0; c < s->n_cols && c < 64; c++) {
        putchar(' ');
        put(e, s->cols[c], c + 1 < s->n_cols ? w[c] : 0);
    }
    putchar('\n');
    for (size_t r = 0; r < s->n_rows; r++) {
        fputs(" ", stdout);
        for (size_t c = 0; c < s->n_cols && c < 64; c++) {
            putchar(' ');
            put(e, shown(&s->cells[r * s->n_cols + c]), c + 1 < s->n_cols ? w[c] : 0);
        }
        putchar('\n');
    }
}

static void print_text(const evidence_cli *e, const qr_evidence *ev)
{
    fputs("Transfer note: ", stdout);
    put(e, ev->file_id, 0);
    printf(", archive version %d\n", ev->version);
    for (size_t i = 0; i < ev->n; i++) {
        const qr_ev_section *s = &ev->sections[i];
        printf("\n%s\n", s->title);
        if (s->table)
            text_table(e, s);
        else
            text_record(e, s);
    }
}

/* ---- html -------------------------------------------------------------------------- */

static void html_text(const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                printf("&#xfffd;");
            else
                putchar(*s);
        }
    }
}

/* A column key as a heading: "source_sha256" as "source sha256", so a
 * narrow column breaks between words, not inside one. */
static void html_key(const char *key)
{
    char *k = qr_strdup(key);
    for (char *p = k; p && *p; p++)
        if (*p == '_')
            *p = ' ';
    html_text(k ? k : key);
    free(k);
}

static void html_cell(const char *tag, const qr_ev_value *v)
{
    printf("<%s>", tag);
    if (v->type == QR_EV_NULL)
        fputs("<span class=\"none\">&#x2014;</span>", stdout);
    else if (strchr(v->text, '\n')) {
        fputs("<pre>", stdout);
        html_text(v->text);
        fputs("</pre>", stdout);
    } else {
        html_text(v->text);
    }
    printf("</%s>", tag);
}

static void html_section(const qr_ev_section *s)
{
    printf("<h2>");
    html_text(s->title);
    printf("</h2>\n");
    if (!s->n_rows) {
        puts("<p class=\"none\">none</p>");
        return;
    }
    if (!s->table) {
        puts("<table class=\"kv\">");
        for (size_t c = 0; c < s->n_cols; c++) {
            printf("<tr><th>");
            html_key(s->cols[c]);
            printf("</th>");
            html_cell("td", &s->cells[c]);
            puts("</tr>");
        }
        puts("</table>");
        return;
    }
    printf("<table%s><thead><tr>", s->n_cols > 10 ? " class=\"wide\"" : "");
    for (size_t c = 0; c < s->n_cols; c++) {
        printf("<th>");
        html_key(s->cols[c]);
        printf("</th>");
    }
    puts("</tr></thead><tbody>");
    for (size_t r = 0; r < s->n_rows; r++) {
        printf("<tr>");
        for (size_t c = 0; c < s->n_cols; c++)
            html_cell("td", &s->cells[r * s->n_cols + c]);
        puts("</tr>");
    }
    puts("</tbody></table>");
}

static const char HTML_STYLE[] =
    "@page{size:A4;margin:14mm 12mm}"
    "body{font:9pt/1.35 sans-serif;color:#000;max-width:186mm;margin:0 auto}"
    "h1{font-size:15pt;margin:0 0 4pt}h2{font-size:11pt;margin:14pt 0 4pt;"
    "border-bottom:1px solid #888;break-after:avoid;page-break-after:avoid}"
    "table{border-collapse:collapse;width:100%;font-size:7pt}"
    "th,td{border:1px solid #bbb;padding:1pt 3pt;text-align:left;vertical-align:top}"
    "td{overflow-wrap:anywhere}th{font-weight:600;hyphens:none}"
    "thead{display:table-header-group}"
    "table.wide{font-size:6pt}table.wide th{overflow-wrap:anywhere}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "table.kv th{width:28%;background:#f2f2f2}pre{font-size:6.5pt;white-space:pre-wrap;margin:0}"
    ".none{color:#777}p.lead{margin:0 0 8pt}";

static void print_html(const qr_evidence *ev)
{
    printf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
           "Transfer note ");
    html_text(ev->file_id);
    printf(" v%d</title>\n<style>%s</style></head><body>\n<h1>Transfer note: ", ev->version,
           HTML_STYLE);
    html_text(ev->file_id);
    printf(", archive version %d</h1>\n<p class=\"lead\">What was digitized, when, where, by "
           "whom and how, the checks and the integrity of the archive, from the ledger "
           "(BSI TR-03138 transfer note). <code>quire verify</code> checks the archive and "
           "the seal's signature.</p>\n", ev->version);
    for (size_t i = 0; i < ev->n; i++)
        html_section(&ev->sections[i]);
    puts("</body></html>");
}

/* ---- the command ----------------------------------------------------------------------- */

static int print_note(const evidence_cli *e, const qr_evidence *ev)
{
    if (e->format == EV_TEXT) {
        print_text(e, ev);
        return QR_EXIT_OK;
    }
    if (e->format == EV_HTML) {
        print_html(ev);
        return QR_EXIT_OK;
    }
    qr_buf b = {0};
    int rc = qr_evidence_json(ev, &b);
    if (rc == QR_OK)
        fwrite(b.data, 1, b.len, stdout);
    qr_buf_free(&b);
    return rc == QR_OK ? QR_EXIT_OK : QR_EXIT_FATAL;
}

int qr_cmd_evidence(int argc, char **argv)
{
    evidence_cli e = {.tty = isatty(STDOUT_FILENO)};
    int urc = parse(argc, argv, &e);
    if (urc)
        return urc;
    qr_ledger *l = NULL;
    int orc = qr_cli_open_ledger_ro("evidence", e.ledger, &l);
    if (orc)
        return orc;
    qr_evidence ev;
    qr_err err = {0};
    int rc = qr_evidence_get(l, e.file_id, e.version, &ev, &err);
    qr_ledger_close(&l);
    if (rc != QR_OK) {
        fprintf(stderr, "quire evidence: %s\n", err.msg);
        return rc == QR_EINVAL ? QR_EXIT_USAGE : QR_EXIT_FATAL;
    }
    int xrc = print_note(&e, &ev);
    qr_evidence_free(&ev);
    return xrc == QR_EXIT_OK && fflush(stdout) ? QR_EXIT_FATAL : xrc;
}
