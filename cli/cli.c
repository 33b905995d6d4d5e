/*
 * The command table and dispatcher. Adding a subcommand means adding one row
 * here and one handler file; help and usage text come from the same row, so
 * `quire --help`, `quire help CMD` and `quire CMD --help` never disagree.
 * The man pages (`quire help --man CMD`, built and installed by CMake) and
 * the shell completion (`quire help --commands`, `--options CMD`) are made
 * from the same rows, so they cannot drift from --help either.
 *
 * The helpers every command shares (option parsing, usage errors, terminal
 * cells) are in cli_util.c: the dispatcher calls the commands, the commands
 * call the helpers, and nothing calls back into this table.
 */
#include "qr_cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const qr_command commands[] = {
    {"convert", qr_cmd_convert, "write images into one PDF/A archive",
     "usage: quire convert [--pdfa 2b|1b] [--title T] [--jpeg-quality Q] [--lossless]\n"
     "                     [--assume-dpi N] -o OUT.pdf IMAGE...\n"
     "\n"
     "Writes every page of every IMAGE (TIFF, JPEG, PNG; a multi-page TIFF gives\n"
     "all its pages) into one PDF/A archive, in the order given. Unchanged G4 and\n"
     "JPEG pages keep their original bytes; other pages are encoded as G4\n"
     "(bitonal) or JPEG (gray, colour), or Flate with --lossless. Each IMAGE must\n"
     "be a regular file (a link to one is followed) of at most --max-page-bytes.\n"
     "\n"
     "  --pdfa 2b|1b        PDF/A flavour (default 2b)\n"
     "  --title T           document title (default: the output's base name)\n"
     "  --jpeg-quality Q    quality for re-encoded JPEG pages, 1-100 (default 85)\n"
     "  --lossless          store re-encoded gray/colour pages with Flate\n"
     "  --assume-dpi N      resolution of pages whose file gives none, 1-100000\n"
     "                      (default 300; recorded as assumed in the XMP)\n"
     "  --max-pixels N      cap on pixels per page (default 400000000)\n"
     "  --max-page-bytes N  cap on each IMAGE file and on decoded bytes per page\n"
     "                      (default 1610612736)\n"
     "  -o, --output FILE   the archive to write\n"
     "\n"
     "Exit: 0 written; 1 an input was unreadable (nothing written); 2 usage; 3 fatal.\n"},
    {"ingest", qr_cmd_ingest, "archive a scanner delivery against its manifest",
     "usage: quire ingest --manifest MANIFEST.csv --out ARCHIVE_DIR [--ledger PATH]\n"
     "                    [--jobs N] [--pdfa 2b|1b|3b] [--layout folders|multipage|zip|tar]\n"
     "                    [--retry] [--quiet] [--log-json FILE] [--profile FILE]\n"
     "                    [--set SECTION.KEY=VALUE]... [--allow-blank-backs] [--by NAME]\n"
     "                    [--assume-dpi N] DELIVERY...\n"
     "\n"
     "Reads every file of each DELIVERY (a folder per file, one multi-page TIFF per\n"
     "file, or one zip/tar per box), checks it against the manifest, writes one\n"
     "PDF/A archive per clean\n"
     "file into ARCHIVE_DIR and records everything in the ledger. Files whose\n"
     "sources did not change since the last run are skipped, so reruns are safe;\n"
     "a faulty file is processed again when a reviewer accepted one of its faults\n"
     "since (quire accept), or with --retry.\n"
     "\n"
     "  -m, --manifest FILE  CSV: file_id,expected_pages[,box,title,...]\n"
     "  -o, --out DIR        where archives are written (<id>.pdf, <id>@vN.pdf)\n"
     "  --ledger PATH        SQLite ledger (default $QUIRE_LEDGER or ./quire.db);\n"
     "                       created when absent, upgraded when older\n"
     "  --by NAME            who runs it, recorded on the batch and its events\n"
     "                       (default: the login name, else the user of the uid)\n"
     "  -j, --jobs N         worker threads (default: number of CPUs)\n"
     "  --pdfa 2b|1b|3b      archive flavour (default 2b); 3b also embeds the\n"
     "                       transfer note as transfer-note.json (see README)\n"
     "  --layout NAME        force the delivery layout instead of detecting it\n"
     "  --retry              process files recorded as faulty again\n"
     "  --profile FILE       INI profile of thresholds (see quire profile show)\n"
     "  --set S.KEY=VALUE    override one profile value, e.g. --set skew.max_skew_deg=12\n"
     "                       (repeatable; applied after --profile)\n"
     "  --allow-blank-backs  duplex scans: blank even pages (back sides) are no fault\n"
     "  --jpeg-quality Q     quality of re-encoded JPEG pages (default 85)\n"
     "  --lossless           re-encode gray/colour pages with Flate, not JPEG\n"
     "  --io-depth N         reads in flight (default 32)\n"
     "  --io-bytes N         bytes read ahead (default 32 MiB)\n"
     "  --max-pixels N, --max-page-bytes N   caps against decompression bombs\n"
     "  --assume-dpi N       resolution of pages whose file gives none (default 300;\n"
     "                       recorded as assumed)\n"
     "  -q, --quiet          no progress and no summary\n"
     "  --log-json FILE      append one JSON event per line\n"
     "\n"
     "Reader backend: io_uring, or pread when io_uring is unavailable or QUIRE_IO=pread.\n"
     "Exit: 0 every manifest file archived; 1 some faulty or not delivered; 2 usage\n"
     "or manifest error; 3 fatal (an archive could not be written: named).\n"},
    {"status", qr_cmd_status, "percent digitized against the plan, throughput, projection",
     "usage: quire status [--by box|batch|month|day] [--json] [--today YYYY-MM-DD]\n"
     "                    [--ledger PATH]\n"
     "\n"
     "Percent digitized of files and pages (archived / inventory) against the plan's\n"
     "target for today; files archived, faulty (awaiting rescan), not delivered and\n"
     "pending (faulty + not delivered); pages newly digitized per day over the last\n"
     "7 and 30 days (first archives only; rescan versions do not count); the day\n"
     "100 % is reached at the 30-day rate against the plan's date; faults by kind;\n"
     "open rescan jobs and the age of the oldest. --by groups the figures per box,\n"
     "ingest batch, month or day of first archive (running totals, cumulative\n"
     "percent). Days are UTC; --today (else $QUIRE_TODAY) fixes the day.\n"},
    {"report", qr_cmd_report, "write the project office's report as one HTML page",
     "usage: quire report --html OUT.html [--today YYYY-MM-DD] [--ledger PATH]\n"
     "\n"
     "Writes one self-contained HTML file (inline CSS and SVG, no script, no URL:\n"
     "it opens offline and prints on A4): the key figures of quire status in large\n"
     "type, progress against the plan by day, pages per day over the last 60 days,\n"
     "faults by kind, progress per box, and the open rescan jobs. Every figure is\n"
     "the one quire status --json (and --by box|day --json) gives. --today (else\n"
     "$QUIRE_TODAY) fixes the day the figures are for.\n"
     "\n"
     "Exit: 0 written; 2 usage or no ledger; 3 fatal.\n"},
    {"export", qr_cmd_export, "export pages, files or faults as CSV or JSON",
     "usage: quire export pages|files|faults [--format csv|json] [--ledger PATH]\n"
     "\n"
     "Columns (stable):\n"
     "  pages:  file_id,page,source,format,width,height,dpi,skew_deg,skew_applied_deg,\n"
     "          orientation,verdict,faults,version,origin_batch\n"
     "  files:  file_id,box,status,expected_pages,delivered_pages,archive,archive_sha256,version\n"
     "  faults: file_id,page,kind,value,threshold,batch,accepted\n"
     "\n"
     "CSV: a value a spreadsheet would run as a formula (=, +, -, @, tab, CR first;\n"
     "not a plain number such as -0.5) is written with a ' in front, quoted; drop\n"
     "that ' to get the value back. JSON gives every value unchanged.\n"},
    {"faults", qr_cmd_faults, "list the faults that keep files from being archived",
     "usage: quire faults [--format table|csv|json] [--ledger PATH]\n"
     "\n"
     "The open faults: every unaccepted fault of each file whose latest outcome is\n"
     "faulty, ordered by file and page. On a terminal a table (default there):\n"
     "file_id, page (\"file\" for the whole file) and what was measured, with its\n"
     "unit and the threshold it crossed. CSV (the default into a pipe) and JSON:\n"
     "file_id,page,kind,value,threshold,detail (page 0 = the whole file; value is\n"
     "what was measured, threshold what it crossed).\n"
     "\n"
     "  --format F      table, csv or json\n"
     "  --ledger PATH   the ledger (default $QUIRE_LEDGER or ./quire.db)\n"},
    {"accept", qr_cmd_accept, "accept a fault as a false alarm, with a reason",
     "usage: quire accept FILE_ID [--page N] --kind KIND --reason TEXT [--by NAME]\n"
     "                    [--ledger PATH]\n"
     "\n"
     "Records a reviewer's override in the ledger (who, when, why) with a chained\n"
     "event. The accept must cover an open fault of the file's latest outcome (see\n"
     "quire faults): one that does not, or that an earlier accept already covers,\n"
     "is refused, naming what the file does have. It shows at once in quire faults\n"
     "and the exports; when no open fault is left, the rescan job ingest opened is\n"
     "closed (rescan_closed_by_accept). The next quire ingest of the delivery, or\n"
     "quire ingest --retry, archives the file when nothing else blocks it; the\n"
     "archive's XMP records the override.\n"
     "\n"
     "  --kind KIND     the fault kind: blank, duplicate, streaks, too_dark, too_light,\n"
     "                  low_dpi, skew, cropped, orientation, missing_pages, extra_pages\n"
     "                  (corrupt and unexpected_file cannot be accepted)\n"
     "  --page N        only that page (default 0: every page, and whole-file faults)\n"
     "  --reason TEXT   why the fault is a false alarm (required)\n"
     "  --by NAME       who accepts it (default: the login name, else the user of\n"
     "                  the uid)\n"
     "\n"
     "Exit: 0 recorded; 2 unknown kind or file, no reason, or no open fault to\n"
     "accept; 3 fatal.\n"},
    {"rescan", qr_cmd_rescan, "submit rescan jobs and list the contractor's work",
     "usage: quire rescan submit FILE_ID [--pages 3-5,9] --reason TEXT [--by NAME]\n"
     "                           [--ledger PATH]\n"
     "       quire rescan list [--open|--all] [--format table|csv|json] [--ledger PATH]\n"
     "\n"
     "Ingest opens one job per faulty file (its faulty pages, fault kinds and\n"
     "measured values; no pages = the whole file). submit opens one for a problem\n"
     "found later, e.g. an unreadable page of an archived file; a file has at most\n"
     "one job that is not closed. list prints the work list (default: jobs not\n"
     "closed): job, file_id, box, pages, kinds, reason, submitted, by, status.\n"
     "\n"
     "A rescan delivery may hold only the listed pages, named by page number in the\n"
     "file's folder (DELIVERY/FILE_ID/0003.tif); quire ingest puts them in place of\n"
     "those pages, keeps the others from the earlier delivery (their SHA-256 must\n"
     "match the ledger), checks the file as a whole and writes a new archive\n"
     "version. A job goes open -> delivered -> closed, or open again when the\n"
     "rescan is faulty too.\n"
     "\n"
     "Exit: 0 done; 2 unknown file, bad page list, no reason, or a job already\n"
     "open; 3 fatal.\n"},
    {"log", qr_cmd_log, "a file's history: every event in order",
     "usage: quire log FILE_ID [--json] [--ledger PATH]\n"
     "\n"
     "Every event of the file from the hash-chained ledger log, oldest first: when,\n"
     "what (archived, faulty, accept, rescan_submitted, rescan_delivered,\n"
     "rescan_closed, rescan_reopened, rescan_widened, ...), the batch, who, and the\n"
     "details.\n"},
    {"verify", qr_cmd_verify, "check the archives and the ledger against each other, and the seals",
     "usage: quire verify [--archives DIR] [--deep] [--pubkey KEY.pem] [--tsa-cert CA.pem]\n"
     "                    [--seal FILE]... [--json] [--quiet] [--ledger PATH]\n"
     "\n"
     "Re-hashes every archived version the ledger records and compares it with the\n"
     "recorded SHA-256: each missing, modified, or renamed or moved archive (found\n"
     "with its SHA-256 under another name) is reported, and each PDF in the archive\n"
     "folder the ledger does not know. Each archive's XMP (file id, pages, their\n"
     "sources and SHA-256) and name (its version) are compared with the ledger.\n"
     "Walks the event log from its first event and names the first event that does\n"
     "not follow; compares every row the figures depend on (files, pages, faults,\n"
     "batches, inventory, plan, accepts, rescan jobs) with the digest its event\n"
     "carries, and lists rows no event covers; checks every seal.\n"
     "\n"
     "  --archives DIR   where the archive folder is now (archives are looked for\n"
     "                   there by name); default: the paths the ingests recorded\n"
     "  --deep           also read every archive as a PDF: page tree, page count,\n"
     "                   every image decoded\n"
     "  --pubkey KEY.pem check the seals' signatures with this key (a ledger without\n"
     "                   a seal is then a finding)\n"
     "  --tsa-cert CA.pem check the seals' time-stamp tokens against this CA\n"
     "  --seal FILE      also check this detached seal file (those next to the\n"
     "                   ledger, LEDGER.seal-N.json, are always checked)\n"
     "  --json           one JSON object: findings, then the summary\n"
     "  -q, --quiet      no progress bar\n"
     "  --ledger PATH    the ledger (default $QUIRE_LEDGER or ./quire.db)\n"
     "\n"
     "Each finding is one line: file and version, what (missing, modified, renamed,\n"
     "stray, unreadable, provenance, structure, chain, rows, uncovered, current,\n"
     "seal, timestamp), and what was expected and found.\n"
     "Exit: 0 all verified; 1 findings; 2 usage or no ledger; 3 fatal.\n"},
    {"seal", qr_cmd_seal, "sign the event log's head; trusted time for a seal",
     "usage: quire seal --key KEY.pem [--by NAME] [--out FILE] [--tsq OUT.tsq] [--ledger PATH]\n"
     "       quire seal --tsq OUT.tsq [--seal N] [--ledger PATH]\n"
     "       quire seal --tsr IN.tsr [--seal N] [--by NAME] [--ledger PATH]\n"
     "\n"
     "Signs the chain's head (its time, the head event's id and hash, the event\n"
     "count, the files and pages archived) with a private key (Ed25519, Ed448, RSA\n"
     "or ECDSA, PEM) and records the seal as an event; the same seal is written as\n"
     "a detached file to keep away from the ledger. quire verify --pubkey finds any\n"
     "change to what was sealed, even with every hash recomputed.\n"
     "\n"
     "  --key KEY.pem    the private key (quire keygen makes one)\n"
     "  --by NAME        who seals (default: the login name, else the user of the uid)\n"
     "  --out FILE       the detached seal (default LEDGER.seal-N.json next to the\n"
     "                   ledger); an existing file is never replaced\n"
     "  --tsq OUT.tsq    write an RFC 3161 time-stamp request for the seal (the new\n"
     "                   one, else --seal N, else the latest)\n"
     "  --tsr IN.tsr     store the authority's response for the seal (--seal N, else\n"
     "                   the latest) once it stamps exactly that seal\n"
     "  --seal N         the seal --tsq and --tsr are for\n"
     "  --ledger PATH    the ledger (default $QUIRE_LEDGER or ./quire.db)\n"
     "\n"
     "Exit: 0 done; 1 a response that is not for the seal (nothing stored); 2 usage,\n"
     "no ledger, no seal, or an existing file; 3 fatal.\n"},
    {"keygen", qr_cmd_keygen, "make a key pair for seals",
     "usage: quire keygen --out KEY.pem [--pub PUB.pem] [--type ed25519|rsa|ecdsa]\n"
     "\n"
     "Writes a private key (mode 0600) and its public key, PEM, with OpenSSL. The same\n"
     "as: openssl genpkey -algorithm ed25519 -out KEY.pem &&\n"
     "    openssl pkey -in KEY.pem -pubout -out KEY.pub.pem\n"
     "\n"
     "  --out KEY.pem    the private key (must not exist)\n"
     "  --pub PUB.pem    the public key (default KEY.pub.pem)\n"
     "  --type T         ed25519 (default), rsa (3072 bits) or ecdsa (P-256)\n"
     "\n"
     "Exit: 0 written; 2 usage or a file that exists; 3 fatal.\n"},
    {"evidence", qr_cmd_evidence, "the transfer note of an archive version",
     "usage: quire evidence FILE_ID [--version N] [--format text|json|html] [--ledger PATH]\n"
     "\n"
     "Prints the transfer note of the file's archive version (default: the current\n"
     "one), from the ledger, in one place: what (the file, its manifest row, its\n"
     "archive and SHA-256, each page's source and SHA-256); when, where and by whom\n"
     "(the ingest batch, host, operator, command); how (each page's format, size,\n"
     "resolution, how it is stored, the turn and deskew applied, the quire version\n"
     "and the full effective profile); the checks (each page's measured values, the\n"
     "faults with value and threshold, the overrides with who, when and why, the\n"
     "rescan jobs, every outcome and event of the file); integrity (the archive's\n"
     "SHA-256, its event in the chain, the seal and time-stamp that cover it) and\n"
     "the release of its box. quire verify checks the archive and the signatures.\n"
     "\n"
     "  --version N      that archive version\n"
     "  --format F       text (default), json (for machines: the same bytes for the\n"
     "                   same ledger) or html (one self-contained page for A4 paper)\n"
     "  --ledger PATH    the ledger (default $QUIRE_LEDGER or ./quire.db)\n"
     "\n"
     "Exit: 0 printed; 2 usage, unknown file or no such archived version; 3 fatal.\n"},
    {"release", qr_cmd_release, "may a box's paper go? check, and record its release",
     "usage: quire release check [--box B] --pubkey KEY.pem [--archives DIR] [--deep] [--json]\n"
     "                           [--ledger PATH]\n"
     "       quire release mark BOX --key KEY.pem --reason TEXT [--by NAME]\n"
     "                          [--archives DIR] [--ledger PATH]\n"
     "\n"
     "A box's paper may be returned or destroyed only when every file the inventory\n"
     "puts in it is archived, its archive verified now (on disk with the recorded\n"
     "SHA-256, its XMP and name agreeing with the ledger) and covered by a seal\n"
     "whose signature holds, and no rescan job of its files is open or delivered.\n"
     "check lists each box (or B) with its state (releasable, not releasable,\n"
     "released) and every reason, naming the file. mark checks BOX the same way and,\n"
     "when it is releasable, records the release (who, why, each file's archived\n"
     "version and SHA-256) as an event and seals the chain at once; a box that is\n"
     "not releasable is refused with its reasons and nothing is recorded.\n"
     "\n"
     "  --box B          only box B\n"
     "  --pubkey KEY.pem the seals' public key (check)\n"
     "  --key KEY.pem    the private key that seals the release (mark)\n"
     "  --reason TEXT    why the paper goes (returned to ..., destroyed under ...)\n"
     "  --by NAME        who releases it (default: the login name, else the user of\n"
     "                   the uid)\n"
     "  --archives DIR   where the archive folder is now (default: as recorded)\n"
     "  --deep           also parse every archive and decode every image (check)\n"
     "  --json           JSON instead of text (check)\n"
     "  --ledger PATH    the ledger (default $QUIRE_LEDGER or ./quire.db)\n"
     "\n"
     "Exit: check 0 every box listed releasable or released, 1 some box not; mark 0\n"
     "recorded, 1 not releasable (nothing recorded); 2 usage, no such box, no reason,\n"
     "already released, or the box changed during the check; 3 fatal.\n"},
    {"inventory", qr_cmd_inventory, "import the legacy stock list into the inventory",
     "usage: quire inventory import STOCK.csv [--keep-known] [--by NAME] [--ledger PATH]\n"
     "\n"
     "Adds the files of a stock list (CSV: file_id, box, optional expected_pages,\n"
     "further columns kept as metadata) to the inventory, the denominator of percent\n"
     "digitized. Importing the same list again changes nothing; an unknown box or\n"
     "page count is filled in. A file the ledger knows with a different box or page\n"
     "count is a conflict: each one is listed (line, file_id, field, ledger value,\n"
     "list value) and nothing is imported, unless --keep-known, which imports the\n"
     "other rows and keeps the ledger's values. Every broken row is reported with\n"
     "its line and nothing is imported. The import is recorded as done by --by NAME\n"
     "(default: the login name, else the user of the uid). The ledger is created\n"
     "when absent.\n"
     "\n"
     "Exit: 0 imported; 1 conflicts (nothing imported); 2 usage or broken CSV; 3 fatal.\n"},
    {"plan", qr_cmd_plan, "set, import and show the target percent by date",
     "usage: quire plan set DATE PERCENT [DATE PERCENT...] [--by NAME] [--ledger PATH]\n"
     "       quire plan import PLAN.csv [--replace] [--by NAME] [--ledger PATH]\n"
     "       quire plan show [--json] [--ledger PATH]\n"
     "\n"
     "The plan is a curve of target percent digitized by date (YYYY-MM-DD, 0..100);\n"
     "between points the target grows linearly by day, after the last point it stays\n"
     "at the last value. The curve may not go down in date order. set and import add\n"
     "points; a date already planned gets the new value (the output says which were\n"
     "replaced). import reads CSV with the header date,target_percent; --replace\n"
     "drops the points the file does not list. A refused change names the point and\n"
     "its line, and nothing is changed. set and import record --by NAME (default:\n"
     "the login name, else the user of the uid) and create the ledger when absent;\n"
     "show needs an existing one.\n"
     "\n"
     "Exit: 0 done; 2 usage, bad date or percent, a plan that goes down, or no\n"
     "ledger; 3 fatal.\n"},
    {"profile", qr_cmd_profile, "print the effective profile of thresholds",
     "usage: quire profile show [--profile FILE] [--set SECTION.KEY=VALUE]...\n"
     "\n"
     "Prints the thresholds quire ingest would use as an INI file: the built-in\n"
     "defaults, then FILE, then each --set in order. The output is itself a valid\n"
     "--profile FILE; every key is commented with its meaning and range.\n"},
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

/* "quire: no such command: stauts; did you mean 'status'? (see quire --help)" */
static int no_such_command(const char *name)
{
    enum { NCMD = sizeof commands / sizeof commands[0] };
    const char *names[NCMD];
    for (size_t i = 0; i < NCMD; i++)
        names[i] = commands[i].name;
    const char *guess = qr_cli_closest(name, names, NCMD);
    fprintf(stderr, "quire: no such command: %s", name);
    if (guess)
        fprintf(stderr, "; did you mean '%s'?", guess);
    fputs(" (see quire --help)\n", stderr);
    return QR_EXIT_USAGE;
}

/* ---- man pages and completion, from the same rows as --help ---------- */

/* One line of help text as roff: escape backslashes, and a leading '.' or
 * '\'' (a roff request) behind a zero-width \&. */
static void roff_line(FILE *out, const char *s, size_t n)
{
    if (n && (s[0] == '.' || s[0] == '\''))
        fputs("\\&", out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
    fputc('\n', out);
}

/* The usage text as a man page: the "usage:" lines are the synopsis, the
 * rest the description, kept as written (.nf): the text is laid out for a
 * terminal already, and a man page that reflowed it would read differently
 * from --help. */
static void man_page(FILE *out, const qr_command *c)
{
    fprintf(out, ".TH QUIRE\\-%s 1 \"\" \"quire %s\" \"quire manual\"\n", c->name,
            QUIRE_VERSION);
    fprintf(out, ".SH NAME\nquire\\-%s \\- %s\n.SH SYNOPSIS\n.nf\n", c->name, c->summary);
    const char *p = c->usage;
    bool synopsis = true;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (synopsis && n == 0) {
            fputs(".fi\n.SH DESCRIPTION\n.nf\n", out);
            synopsis = false;
        } else {
            roff_line(out, p, n);
        }
        p += n + (nl != NULL);
    }
    fputs(".fi\n.SH SEE ALSO\nquire(1)\n", out);
}

static void man_index(FILE *out)
{
    fprintf(out, ".TH QUIRE 1 \"\" \"quire %s\" \"quire manual\"\n", QUIRE_VERSION);
    fputs(".SH NAME\nquire \\- verified PDF/A archives from scanner deliveries\n"
          ".SH SYNOPSIS\nquire COMMAND [OPTIONS]\n.SH COMMANDS\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, ".TP\n\\fBquire %s\\fR(1)\n%s\n", commands[i].name, commands[i].summary);
    fputs(".SH EXIT STATUS\n0 ok, 1 some inputs faulty, 2 usage or manifest error, 3 fatal.\n",
          out);
}

/* Print each "--name" in s[0..n) not printed before (names[] of *k). */
static void options_in(FILE *out, const char *s, size_t n, char names[64][32], int *k)
{
    for (const char *p = s; (p = memchr(p, '-', (size_t)(s + n - p))) != NULL; p++) {
        if (p + 2 >= s + n || p[1] != '-' || !islower((unsigned char)p[2]) ||
            (p > s && !isspace((unsigned char)p[-1]) && p[-1] != '[' && p[-1] != '|' &&
             p[-1] != ','))
            continue;
        size_t len = 2;
        while (p + len < s + n && (islower((unsigned char)p[len]) || p[len] == '-'))
            len++;
        bool dup = len >= 32;
        for (int i = 0; i < *k && !dup; i++)
            dup = strlen(names[i]) == len && !strncmp(names[i], p, len);
        if (!dup && *k < 64) {
            snprintf(names[(*k)++], 32, "%.*s", (int)len, p);
            fprintf(out, "%.*s\n", (int)len, p);
        }
        p += len - 1;
    }
}

/* The options a command's usage text defines: those of its "usage:" lines,
 * and of its option lines ("  -o, --out DIR   what it does": the part before
 * the description), never an option the prose only mentions. */
static void list_options(FILE *out, const qr_command *c)
{
    char names[64][32];
    int k = 0;
    bool synopsis = true;
    for (const char *p = c->usage; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == 0)
            synopsis = false;
        if (synopsis) {
            options_in(out, p, n, names, &k);
        } else if (n > 3 && p[0] == ' ' && p[1] == ' ' && p[2] == '-') {
            const char *gap = strstr(p + 2, "  ");
            options_in(out, p, gap && gap < p + n ? (size_t)(gap - p) : n, names, &k);
        }
        p += n + (nl != NULL);
    }
}

/* quire help --man [CMD] | --commands | --options CMD: for packaging (the
 * man pages are built from these) and for shell completion. */
static int help_tools(int argc, char **argv)
{
    const char *what = argv[2];
    const qr_command *c = argc > 3 ? find_command(argv[3]) : NULL;
    if (argc > 3 && !c)
        return no_such_command(argv[3]);
    if (!strcmp(what, "--man")) {
        if (c)
            man_page(stdout, c);
        else
            man_index(stdout);
    } else if (!strcmp(what, "--commands")) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            printf("%s\n", commands[i].name);
    } else if (!strcmp(what, "--options") && c) {
        list_options(stdout, c);
    } else {
        return qr_cli_usage_error("help", "help --man [CMD], --commands or --options CMD");
    }
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}

static int help_command(int argc, char **argv)
{
    if (argc < 3) {
        print_help(stdout);
        return QR_EXIT_OK;
    }
    if (argv[2][0] == '-')
        return help_tools(argc, argv);
    const qr_command *c = find_command(argv[2]);
    if (!c)
        return no_such_command(argv[2]);
    fputs(c->usage, stdout);
    return QR_EXIT_OK;
}

/* ---- text for a terminal ------------------------------------------------ */

int qr_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return QR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
        return help_command(argc, argv);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("quire %s\n", QUIRE_VERSION);
        return QR_EXIT_OK;
    }
    const qr_command *c = find_command(cmd);
    if (!c)
        return no_such_command(cmd);
    qr_cli_set_command(c->name, c->usage);
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
