/*
 * cli_util.c: what every command shares — option parsing with uniform
 * errors and a did-you-mean, the usage error, and text cells for a
 * terminal.
 *
 * Apart from the command table (cli.c) so that the commands call this and
 * the dispatcher calls the commands, and nothing calls back: the table
 * tells this file which command runs (qr_cli_set_command) instead of this
 * file looking the command up in the table.
 *
 * One command runs per process, on the main thread: the current command is
 * plain static state, set once by the dispatcher.
 */
#include "qr_cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The command being run, for the prefix of option errors ("quire rescan:"
 * also for "rescan submit", whose handler sees argv[0] = "submit"), and its
 * usage text, whose first line follows a usage error. */
static const char *current_cmd = "quire";
static const char *current_usage;

void qr_cli_set_command(const char *name, const char *usage)
{
    current_cmd = name;
    current_usage = usage;
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated
 * edits of one substring), capped: typos of a command or option name are
 * one or two edits, a swap of two letters counting as one ("stauts"). */
static int edit_distance(const char *a, const char *b)
{
    enum { N = 32 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= N || lb >= N)
        return N;
    int d[N + 1][N + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The candidate closest to word, when it is close enough to be a typo: at
 * most 2 edits and fewer than the word's length; NULL otherwise. */
const char *qr_cli_closest(const char *word, const char *const *cand, size_t n)
{
    const char *best = NULL;
    int bd = 3;
    for (size_t i = 0; i < n; i++) {
        int dist = edit_distance(word, cand[i]);
        if (dist < bd && dist < (int)strlen(word)) {
            bd = dist;
            best = cand[i];
        }
    }
    return best;
}

int qr_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "quire %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (current_usage && !strcmp(cmd, current_cmd)) {
        const char *nl = strchr(current_usage, '\n');
        fprintf(stderr, "%.*s\n", nl ? (int)(nl - current_usage) : (int)strlen(current_usage),
                current_usage);
    }
    return QR_EXIT_USAGE;
}

/* How wide s shows: a UTF-8 character one column, a control character the
 * four of its \xNN. */
int qr_cli_tty_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            w += 4;
        else if ((*p & 0xC0) != 0x80)
            w++;
    }
    return w;
}

void qr_cli_tty_cell(FILE *out, const char *s, int width)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    for (int w = qr_cli_tty_width(s); w < width; w++)
        fputc(' ', out);
}

/* "--ledger=x" -> "--ledger" into buf. */
static const char *option_word(const char *arg, char *buf, size_t cap)
{
    size_t n = strcspn(arg, "=");
    snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1), arg);
    return buf;
}

/* An unknown option, with the long option it most likely meant. */
static void unknown_option(const char *arg, const struct option *longs)
{
    char word[64];
    option_word(arg, word, sizeof word);
    const char *names[64];
    size_t n = 0;
    for (const struct option *o = longs; o && o->name && n < 64; o++)
        names[n++] = o->name;
    const char *guess = word[0] == '-' && word[1] == '-' ? qr_cli_closest(word + 2, names, n) : NULL;
    if (guess)
        qr_cli_usage_error(current_cmd, "unknown option '%s'; did you mean '--%s'?", word,
                           guess);
    else
        qr_cli_usage_error(current_cmd, "unknown option '%s'", word);
}

int qr_cli_getopt(int argc, char **argv, const char *shorts, const struct option *longs,
                  int *idx)
{
    char spec[64];
    /* A leading ':' makes getopt tell a missing value (':') from an unknown
     * option ('?'); it goes after a leading '+' (stop at the first operand). */
    if (shorts[0] == '+')
        snprintf(spec, sizeof spec, "+:%s", shorts + 1);
    else
        snprintf(spec, sizeof spec, ":%s", shorts);
    opterr = 0;
    int c = getopt_long(argc, argv, spec, longs, idx);
    if (c != '?' && c != ':')
        return c;
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    char word[64];
    if (c == ':')
        qr_cli_usage_error(current_cmd, "option '%s' needs a value",
                           option_word(arg, word, sizeof word));
    else if (optopt && arg[0] == '-' && arg[1] != '-')
        qr_cli_usage_error(current_cmd, "unknown option '-%c'", optopt);
    else
        unknown_option(arg, longs);
    return '?';
}
