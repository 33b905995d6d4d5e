/*
 * qr_cli: the command-line front end. Only the CLI touches argv, stdout
 * formatting and exit codes; every subcommand is one row of a table
 * {name, handler, summary, usage} in cli.c, in the manner of git's git.c.
 *
 * Exit codes (documented once, here and in the README):
 *   0  success (ingest: every file archived)
 *   1  some inputs failed (convert: an input was unreadable; ingest: some files faulty)
 *   2  usage or manifest error; no ledger at the path, or not a quire ledger
 *   3  fatal error (I/O, ledger, out of memory); a ledger schema older (for a
 *      command that does not upgrade it) or newer than this quire
 */
#ifndef QR_CLI_H
#define QR_CLI_H

#include <stdbool.h>

enum { QR_EXIT_OK = 0, QR_EXIT_FAULTY = 1, QR_EXIT_USAGE = 2, QR_EXIT_FATAL = 3 };

typedef struct qr_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
    const char *usage;                 /* full help text for "quire help NAME" */
} qr_command;

/* Entry point used by main(). */
int qr_cli_main(int argc, char **argv);

/* Subcommand handlers (one file each). */
int qr_cmd_convert(int argc, char **argv);
int qr_cmd_ingest(int argc, char **argv);
int qr_cmd_status(int argc, char **argv);
int qr_cmd_export(int argc, char **argv);
int qr_cmd_profile(int argc, char **argv);
int qr_cmd_faults(int argc, char **argv);
int qr_cmd_accept(int argc, char **argv);
int qr_cmd_rescan(int argc, char **argv);
int qr_cmd_log(int argc, char **argv);
int qr_cmd_inventory(int argc, char **argv);
int qr_cmd_plan(int argc, char **argv);
int qr_cmd_report(int argc, char **argv);
int qr_cmd_verify(int argc, char **argv);
int qr_cmd_seal(int argc, char **argv);
int qr_cmd_keygen(int argc, char **argv);
int qr_cmd_release(int argc, char **argv);
int qr_cmd_evidence(int argc, char **argv);

/* The effective profile of a command: built-in defaults, then the INI file
 * (NULL = none), then each "SECTION.KEY=VALUE" of sets in order. Returns 0, or
 * QR_EXIT_USAGE after printing "quire CMD: file:line: message". */
struct qr_profile;
int qr_cli_profile(const char *cmd, const char *file, char *const *sets, int n_sets,
                   struct qr_profile *p);

/* The day status and report are for: --today DATE when given, else
 * $QUIRE_TODAY when set, else NULL (the ledger clock's day). */
const char *qr_cli_today(const char *given);

/* --ledger PATH, else $QUIRE_LEDGER, else "quire.db". */
const char *qr_cli_ledger_path(const char *given);

/* The options of the ledger listing commands (export, faults): --ledger PATH
 * and --format csv|json (default csv). Returns 0, or QR_EXIT_USAGE when
 * getopt has already said what is wrong. optind is left at the first operand. */
int qr_cli_ledger_opts(int argc, char **argv, const char **ledger, const char **format);

/* Open the ledger for command cmd (given = --ledger or NULL). must_exist:
 * open only an existing quire ledger of this schema (qr_ledger_open_existing),
 * never creating or migrating one: every command but ingest, inventory import
 * and plan set/import. Refused: no ledger at the path, or a path that is not
 * a quire ledger (exit 2, usage error); an older or newer schema (exit 3).
 * Without must_exist the ledger is created or migrated (qr_ledger_open).
 * Returns 0, or an exit code after printing "quire CMD: ...". */
struct qr_ledger;
int qr_cli_open_ledger(const char *cmd, const char *given, bool must_exist,
                       struct qr_ledger **l);
/* The same (must_exist) for a command that only reads: it can also read a
 * ledger on a read-only file system (qr_ledger_open_readonly). */
int qr_cli_open_ledger_ro(const char *cmd, const char *given, struct qr_ledger **l);

/* Ledger text on a terminal: a control character (an ESC sequence in a
 * reason could rewrite the operator's screen) is shown as \xNN; the cell is
 * padded with spaces to `width` columns (0 = none), counting a UTF-8
 * character as one column. qr_cli_tty_width is how wide it shows. */
#include <stdio.h>
void qr_cli_tty_cell(FILE *out, const char *s, int width);
int qr_cli_tty_width(const char *s);

/* One CSV field to stdout for the listing commands (qr_csv_cell: RFC 4180
 * quoting when needed, a formula guarded with a leading '); JSON string
 * literals are qr_json_fputs. */
void qr_cli_csv_field(const char *s);

/* getopt_long for every command: the same arguments and results, but an
 * unknown option or a missing value is reported here, the same way for
 * every command ("quire CMD: unknown option '--ledgr'; did you mean
 * '--ledger'?" and the usage line), and returns '?': the caller only returns
 * the usage exit code. */
struct option;
int qr_cli_getopt(int argc, char **argv, const char *shorts, const struct option *longs,
                  int *idx);

/* Shared usage-error reporter: prints "quire NAME: message" and, when NAME
 * is the command being run, the first line of its usage. */
int qr_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The dispatcher names the command it runs and its usage text (cli_util.c
 * keeps them for option and usage errors). */
void qr_cli_set_command(const char *name, const char *usage);

/* The candidate closest to word when it is close enough to be a typo (at
 * most two edits, a swap of two letters counting as one, and fewer than the
 * word's length); NULL otherwise. */
const char *qr_cli_closest(const char *word, const char *const *cand, size_t n);

#endif
