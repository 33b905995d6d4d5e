#!/usr/bin/env bash
# What people expect of a command-line tool:
#   - `cmake --install` puts the binary, a man page per command (made from
#     the --help rows) and bash completion under a prefix; `man -l` renders a
#     page and the completion, loaded in bash, completes commands and options;
#   - a mistyped command or option gets "did you mean"; every option error of
#     every command has the same "quire CMD:" prefix and a usage line, exit 2;
#   - -V is --version;
#   - --quiet prints only errors;
#   - an archive's Title is the manifest's title, its file id in the XMP;
#   - README's synopsis and export tables match --help and the real columns
#     (docs_match.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init cli-conventions
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }

# --- install, man pages, completion ---------------------------------------------
if cmake --install "$QUIRE_BUILD" --prefix "$work/prefix" >install.log 2>&1; then
  ok "cmake --install to a prefix"
else
  bad "cmake --install: $(tail -3 install.log)"
fi
man1="$work/prefix/share/man/man1"
n=$(ls "$man1" 2>/dev/null | wc -l)
ncmd=$(Q help --commands | wc -l)
[ "$n" -eq $((ncmd + 1)) ] && ok "$n man pages: quire(1) and one per command" ||
  bad "$n man pages for $ncmd commands"
page=$(MANWIDTH=100 man -l "$man1/quire-ingest.1" 2>&1 || true)
grep -q "quire-ingest - archive a scanner delivery" <<<"$page" &&
  grep -q -- "--max-page-bytes N" <<<"$page" && grep -q "^SYNOPSIS" <<<"$page" &&
  ok "man -l quire-ingest.1 renders its NAME, SYNOPSIS and options" ||
  bad "man -l quire-ingest.1: $(head -5 <<<"$page")"
diff <(Q help ingest | sed -n '/^$/,$p' | sed 1d | sed 's/^ *//' | tr -s ' ' | head -20) \
  <(MANWIDTH=200 man -l "$man1/quire-ingest.1" 2>/dev/null | sed -n '/^DESCRIPTION/,$p' |
    sed 1d | sed 's/^ *//' | tr -s ' ' | head -20) >man.diff &&
  ok "the man page's description is the --help text" || bad "man page differs: $(head man.diff)"
MANWIDTH=100 man -l "$man1/quire.1" 2>/dev/null | grep -q "quire rescan(1)" &&
  ok "quire(1) lists the command pages" || bad "quire(1) lacks the command list"
comp="$work/prefix/share/bash-completion/completions/quire"
complete_words() { # WORD... : what bash completes for the last word
  PATH="$work/prefix/bin:$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1)); _quire; echo "${COMPREPLY[*]}"' sh "$comp" "$@"
}
got=$(complete_words quire sta)
[ "$got" = "status" ] && ok "bash completes 'quire sta' to status" || bad "quire sta -> '$got'"
got=$(complete_words quire ingest --max-p)
[ "$got" = "--max-pixels --max-page-bytes" ] && ok "bash completes ingest options: $got" ||
  bad "quire ingest --max-p -> '$got'"
got=$(complete_words quire help exp)
[ "$got" = "export" ] && ok "bash completes 'quire help exp' to export" || bad "help exp -> '$got'"
[ -f "$work/prefix/share/zsh/site-functions/_quire" ] && ok "zsh completion installed" ||
  bad "no zsh completion"

# --- typos and option errors ------------------------------------------------------
rc=0; Q stauts 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "no such command: stauts; did you mean 'status'?" err.txt &&
  ok "quire stauts: $(cat err.txt)" || bad "quire stauts: exit $rc, $(cat err.txt)"
option_error() { # CMD-NAME ARGS... : an unknown option, reported the same way
  local name=$1 rc=0
  shift
  Q "$@" 2>err.txt >/dev/null || rc=$?
  if [ "$rc" -eq 2 ] && head -1 err.txt | grep -q "^quire $name: unknown option '--bogus-opt'" &&
     sed -n 2p err.txt | grep -q "^usage: quire $name"; then
    ok "quire $*: exit 2, 'quire $name:' and the usage line"
  else
    bad "quire $*: exit $rc: $(cat err.txt)"
  fi
}
option_error ingest ingest --bogus-opt
option_error convert convert --bogus-opt
option_error status status --bogus-opt
option_error report report --bogus-opt
option_error export export --bogus-opt
option_error faults faults --bogus-opt
option_error accept accept --bogus-opt
option_error rescan rescan list --bogus-opt
option_error rescan rescan submit --bogus-opt
option_error log log --bogus-opt
option_error inventory inventory import --bogus-opt
option_error plan plan show --bogus-opt
option_error profile profile show --bogus-opt
rc=0; Q status --ledgr x 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown option '--ledgr'; did you mean '--ledger'?" err.txt &&
  ok "a mistyped option: $(head -1 err.txt)" || bad "--ledgr: $(cat err.txt)"
rc=0; Q status --ledger 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -q "^quire status: option '--ledger' needs a value" err.txt &&
  ok "a missing value: $(head -1 err.txt)" || bad "--ledger without value: $(cat err.txt)"
[ "$(Q -V)" = "$(Q --version)" ] && grep -q "^quire " <<<"$(Q -V)" && ok "-V is --version" ||
  bad "-V: $(Q -V 2>&1)"

# --- --quiet prints only errors -----------------------------------------------------
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 4 --pages-min 2 \
  --pages-max 3 --seed 1 --faults --out d >/dev/null
rc=0; Q ingest -m d/manifest.csv -o arch --ledger q.db --quiet d/scans >out.txt 2>err.txt || rc=$?
others=$(grep -v -e "^fault: .*: corrupt " -e "^error: " -e "^refused: " -e "^warning: " err.txt || true)
[ "$rc" -eq 1 ] && [ ! -s out.txt ] && [ -z "$others" ] && grep -q "corrupt" err.txt &&
  ok "--quiet: nothing on stdout; on stderr only the unreadable page: $(head -1 err.txt)" ||
  bad "--quiet: exit $rc; stdout $(wc -c <out.txt) bytes; other lines: $others"

# --- numbers for people --------------------------------------------------------------
Q faults --ledger q.db --format table >ft.txt
grep -Eq "^[^ ]+ +file +missing_pages +[0-9]+ pages? delivered for [0-9]+ expected" ft.txt &&
  grep -Eq "^[0-9]+ open faults?$" ft.txt && ! grep -q "(0 duplicates" ft.txt &&
  ok "faults table: a whole-file fault on 'file': $(grep missing_pages ft.txt | tr -s ' ')" ||
  bad "faults table: $(cat ft.txt)"
Q faults --ledger q.db | head -1 | grep -q "^file_id,page,kind,value,threshold,detail$" &&
  ok "faults into a pipe: CSV" || bad "faults into a pipe: $(Q faults --ledger q.db | head -2)"
# A sheet fed twice in a file of the right count: the message names the page
# set aside, so "3 delivered for 3 expected" is not a contradiction.
mkdir -p dd/scans/DUP-1
for src in d/scans/*; do [ "$(ls "$src" | wc -l)" -ge 2 ] && break; done
first=$(ls "$src" | head -1)
cp "$src/$first" "dd/scans/DUP-1/0001.${first##*.}"
cp "$src/$first" "dd/scans/DUP-1/0002.${first##*.}"
second=$(ls "$src" | sed -n 2p)
cp "$src/$second" "dd/scans/DUP-1/0003.${second##*.}"
printf 'file_id,expected_pages\nDUP-1,3\n' >dd/manifest.csv
rc=0; Q ingest -m dd/manifest.csv -o ddout --ledger dd.db -q dd/scans 2>/dev/null || rc=$?
Q faults --ledger dd.db --format table >fd.txt
grep -q "3 pages delivered for 3 expected; set aside: page 2 (repeats the one before), so 2 count" fd.txt &&
  ok "count fault names the page set aside: $(grep missing fd.txt | tr -s ' ')" ||
  bad "count fault: exit $rc; $(cat fd.txt)"
# Ledger text reaches a terminal with its control characters shown, not obeyed.
Q accept "$(grep missing_pages ft.txt | cut -d' ' -f1)" --kind missing_pages \
  --reason "$(printf 'ok \033[2J really')" --by "$(printf 'Eve\033[31m')" --ledger q.db >/dev/null
Q log "$(grep missing_pages ft.txt | cut -d' ' -f1)" --ledger q.db >log.txt
! grep -q $'\033' log.txt && grep -q 'Eve\\x1b\[31m' log.txt &&
  ok "quire log shows an ESC in an actor as \\x1b: $(grep -o 'Eve[^ ]*' log.txt | head -1)" ||
  bad "quire log let an ESC through: $(cat -v log.txt | tail -2)"

# --- an archive's title is the manifest's title; the file id stays in the XMP ------
pdf=$(ls arch/*.pdf | head -1)
fid=$(basename "$pdf" .pdf)
want=$(/usr/bin/python3 -c 'import csv, sys
for r in csv.DictReader(open("d/manifest.csv", encoding="utf-8")):
    if r["file_id"] == sys.argv[1]: print(r["title"])' "$fid")
got=$(pdfinfo "$pdf" | sed -n 's/^Title: *//p')
xmp=$(pdfinfo -meta "$pdf")
[ -n "$want" ] && [ "$got" = "$want" ] && grep -q "<quireKV:value>$fid<" <<<"$xmp" &&
  ok "$fid.pdf: Title is the manifest's title ('$got'); the file id is in its XMP" ||
  bad "$fid.pdf: Title '$got', manifest title '$want'"

# --- the docs match the program ---------------------------------------------------
if /usr/bin/python3 "$QUIRE_SRC/tests/e2e/docs_match.py" "$QUIRE_BIN" "$QUIRE_SRC" q.db >docs.txt; then
  ok "docs match: $(grep -c '^ok' docs.txt) checks"
else
  bad "docs: $(grep FAIL docs.txt)"
fi
cat docs.txt

e2e_finish
