/*
 * The command table and dispatcher. Adding a subcommand means adding one row
 * here and one handler file; help and usage text come from the same row, so
 * `quire --help`, `quire help CMD` and `quire CMD --help` never disagree.
 */
#include "qr_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const qr_command commands[] = {
    {"convert", qr_cmd_convert, "write images into one PDF/A archive",
     "usage: quire convert [--pdfa 2b|1b] [--title T] [--jpeg-quality Q] [--lossless]\n"
     "                     -o OUT.pdf IMAGE...\n"
     "\n"
     "Writes every page of every IMAGE (TIFF, JPEG, PNG; a multi-page TIFF gives\n"
     "all its pages) into one PDF/A archive, in the order given. Unchanged G4 and\n"
     "JPEG pages keep their original bytes; other pages are encoded as G4\n"
     "(bitonal) or JPEG (gray, colour), or Flate with --lossless.\n"
     "\n"
     "  --pdfa 2b|1b        PDF/A flavour (default 2b)\n"
     "  --title T           document title (default: the output's base name)\n"
     "  --jpeg-quality Q    quality for re-encoded JPEG pages, 1-100 (default 85)\n"
     "  --lossless          store re-encoded gray/colour pages with Flate\n"
     "  --max-pixels N      cap on pixels per page (default 400000000)\n"
     "  --max-page-bytes N  cap on decoded bytes per page (default 1610612736)\n"
     "  -o, --output FILE   the archive to write\n"
     "\n"
     "Exit: 0 written; 1 an input was unreadable (nothing written); 2 usage; 3 fatal.\n"},
};

static const qr_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_help(FILE *out)
{
    fputs("quire - verified PDF/A archives from scanner deliveries\n\n"
          "usage: quire COMMAND [OPTIONS]\n\ncommands:\n",
          out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`quire help COMMAND` shows a command's options.\n"
          "Exit codes: 0 ok, 1 some inputs faulty, 2 usage or manifest error, 3 fatal.\n",
          out);
}

int qr_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "quire %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    const qr_command *c = find_command(cmd);
    if (c) {
        const char *nl = strchr(c->usage, '\n');
        fprintf(stderr, "%.*s\n", nl ? (int)(nl - c->usage) : (int)strlen(c->usage), c->usage);
    }
    return QR_EXIT_USAGE;
}

static int help_command(int argc, char **argv)
{
    if (argc < 3) {
        print_help(stdout);
        return QR_EXIT_OK;
    }
    const qr_command *c = find_command(argv[2]);
    if (!c) {
        fprintf(stderr, "quire: no such command: %s\n", argv[2]);
        return QR_EXIT_USAGE;
    }
    fputs(c->usage, stdout);
    return QR_EXIT_OK;
}

int qr_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return QR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return help_command(argc, argv);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("quire %s\n", QUIRE_VERSION);
        return QR_EXIT_OK;
    }
    const qr_command *c = find_command(cmd);
    if (!c) {
        fprintf(stderr, "quire: no such command: %s (see quire --help)\n", cmd);
        return QR_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(c->usage, stdout);
            return QR_EXIT_OK;
        }
    }
    return c->run(argc - 1, argv + 1);
}
