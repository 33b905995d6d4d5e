#!/usr/bin/env bash
# End to end: which commands may create a ledger, and who is recorded.
#  - Every command but ingest, inventory import and plan set/import opens an
#    EXISTING ledger only: a mistyped --ledger or QUIRE_LEDGER says "no ledger
#    at PATH" (exit 2) and creates nothing. An empty --ledger is refused by
#    every command (SQLite would open a temporary database).
#  - A text file, another program's SQLite database (rollback or WAL journal)
#    and a directory are "not a quire ledger" (exit 2) for every command,
#    ingest and the other creating ones included; so is a 0-byte file for the
#    non-creating ones (the creating ones make it a ledger). Each is left
#    byte-identical with no -wal/-shm/-journal beside it.
#  - A ledger of an older schema is refused by the reading commands, naming
#    its version and the commands that upgrade it, and left as it was; plan
#    set upgrades it. A newer one is refused by every command.
#  - With USER and LOGNAME unset, ingest, accept, rescan submit, plan set and
#    inventory import all record the same actor: the login name, else the
#    uid's user (never "unknown"), and $USER does not change it.
#  - --by NAME is recorded by plan set, plan import and inventory import, and
#    ingest accepts it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init ledger-open
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3
unset QUIRE_LEDGER
export QUIRE_TODAY=2024-03-01
$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 5 --seed 3 --faults --out d >/dev/null
printf 'date,target_percent\n2025-02-28,100\n' >plan.csv
printf 'file_id,box\nEXTRA-1,B9\n' >stock.csv
printf 'file_id,box\nEXTRA-2,B9\n' >stock2.csv

sql() { # DB SQL: the first column of each row, one a line
  $PY -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print(r[0])' "$1" "$2"
}
sidecars() { # PATH: the SQLite files beside PATH
  local s
  for s in -wal -shm -journal; do [ -e "$1$s" ] && echo "$1$s"; done
  return 0
}
# The commands that must not create a ledger, each run with "--ledger PATH".
READERS=("status" "status --by box" "export files" "faults" "rescan list" "plan show"
  "log F-1" "report --html report.html" "accept F-1 --kind blank --reason x"
  "rescan submit F-1 --reason x")

# --- a mistyped path: nothing is created ----------------------------------------
for cmd in "${READERS[@]}"; do
  rc=0
  # shellcheck disable=SC2086
  Q $cmd --ledger typo.db >out.txt 2>err.txt || rc=$?
  if [ "$rc" -eq 2 ] && [ ! -e typo.db ] && [ -z "$(sidecars typo.db)" ] && [ ! -e report.html ] &&
    grep -qxF "quire ${cmd%% *}: no ledger at typo.db (give --ledger PATH or set QUIRE_LEDGER)" err.txt; then
    ok "$cmd --ledger typo.db: exit 2, nothing created"
  else
    bad "$cmd --ledger typo.db: exit $rc, $(ls), $(head -n 1 err.txt)"
  fi
done
rc=0; QUIRE_LEDGER="$work/env-typo.db" Q status >out.txt 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && [ ! -e env-typo.db ] && grep -qF "no ledger at $work/env-typo.db" err.txt &&
  ok "QUIRE_LEDGER mistyped: exit 2, nothing created" || bad "QUIRE_LEDGER typo: exit $rc $(cat err.txt)"
for cmd in "status" "plan set 2024-12-31 100" "inventory import stock.csv"; do
  rc=0
  # shellcheck disable=SC2086
  Q $cmd --ledger "" >out.txt 2>err.txt || rc=$?
  [ "$rc" -eq 2 ] && grep -qF "the ledger path is empty" err.txt &&
    ok "$cmd --ledger '': exit 2 (no temporary ledger)" || bad "$cmd --ledger '': exit $rc $(cat err.txt)"
done
mkdir -p sub
rc=0; (cd sub && Q export faults >../out.txt 2>../err.txt) || rc=$?
[ "$rc" -eq 2 ] && [ ! -e sub/quire.db ] && grep -qF "no ledger at quire.db" err.txt &&
  ok "default ./quire.db absent: exit 2, nothing created" || bad "default path: exit $rc $(cat err.txt)"

# --- files that are not a quire ledger: left byte-identical ---------------------
: >empty.db
printf 'file_id,expected_pages\nF-1,3\n' >manifest.db
$PY -c 'import sqlite3; c = sqlite3.connect("other.db"); c.execute("CREATE TABLE t(x)")
c.execute("INSERT INTO t VALUES (1)"); c.commit(); c.close()'
$PY -c 'import sqlite3; c = sqlite3.connect("otherwal.db"); c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE files(x)"); c.commit(); c.close()'
mkdir dir.db
[ -z "$(sidecars otherwal.db)" ] || bad "setup: otherwal.db left a WAL"
untouched() { # NAME FILE WANT-EXIT WANT-MESSAGE ARGS...: refused, FILE unchanged
  local name=$1 f=$2 want=$3 msg=$4 rc=0 before after
  shift 4
  before=$(sha256sum "$f" 2>/dev/null || echo dir)
  Q "$@" --ledger "$f" >out.txt 2>err.txt || rc=$?
  after=$(sha256sum "$f" 2>/dev/null || echo dir)
  if [ "$rc" -eq "$want" ] && [ "$before" = "$after" ] && [ -z "$(sidecars "$f")" ] &&
    [ ! -e "$f.lock" ] && grep -qF -- "$msg" err.txt; then
    ok "$name: exit $want, unchanged, no sidecar: $(head -n 1 err.txt)"
  else
    bad "$name: exit $rc (want $want), $before / $after, $(sidecars "$f"), $(head -c 300 err.txt)"
  fi
}
for f in empty.db manifest.db other.db otherwal.db dir.db; do
  for cmd in "${READERS[@]}"; do
    # shellcheck disable=SC2086
    untouched "$cmd on $f" "$f" 2 "quire ${cmd%% *}: $f is not a quire ledger" $cmd
  done
done
for f in manifest.db other.db otherwal.db dir.db; do
  untouched "plan set on $f" "$f" 2 "$f is not a quire ledger" plan set 2024-12-31 100
  untouched "plan import on $f" "$f" 2 "$f is not a quire ledger" plan import plan.csv
  untouched "inventory import on $f" "$f" 2 "$f is not a quire ledger" inventory import stock.csv
done
# ingest refuses them too, writing nothing into them (whether it leaves its
# output folder and lock file behind is the pipeline's part, not checked here).
for f in manifest.db other.db otherwal.db; do
  before=$(sha256sum "$f"); rc=0
  Q ingest -m d/manifest.csv -o "arch-$f" --ledger "$f" -q d/scans >out.txt 2>err.txt || rc=$?
  [ "$rc" -eq 2 ] && [ "$before" = "$(sha256sum "$f")" ] && [ -z "$(sidecars "$f")" ] &&
    grep -qF "$f is not a quire ledger" err.txt && ok "ingest on $f: exit 2, unchanged" ||
    bad "ingest on $f: exit $rc, $(sidecars "$f"), $(head -c 300 err.txt)"
done
[ "$(sql other.db 'SELECT x FROM t')" = 1 ] && [ "$(sql other.db 'SELECT count(*) FROM sqlite_master')" = 1 ] &&
  ok "the other program's database still holds only its table" || bad "other.db was changed"

# A 0-byte file is no data of anyone's: the creating commands make it a ledger.
Q plan set 2024-12-31 100 --ledger cur.db >/dev/null
V=$(sql cur.db 'PRAGMA user_version') # this quire's schema version
rc=0; Q plan set 2024-12-31 100 --ledger empty.db >out.txt 2>err.txt || rc=$?
[ "$rc" -eq 0 ] && [ "$(sql empty.db 'PRAGMA user_version')" = "$V" ] &&
  ok "plan set on a 0-byte file: made a ledger" || bad "plan set on empty.db: exit $rc $(cat err.txt)"

# --- an older and a newer schema -------------------------------------------------
cp cur.db v2.db
$PY -c 'import sqlite3; c = sqlite3.connect("v2.db")
for i in ("files_current_cover", "inventory_pages", "faults_outcome_kind", "files_first_archive"):
    c.execute("DROP INDEX " + i)
c.execute("DROP TABLE archive_writes")
c.execute("DROP TABLE ledger_info"); c.execute("DROP INDEX events_kind")
c.execute("ALTER TABLE pages DROP COLUMN separator")
c.execute("PRAGMA user_version = 2"); c.commit(); c.close()'
older="ledger v2.db has schema version 2, older than this quire's $V: the next quire ingest,"
older="$older quire inventory import or quire plan set|import on it upgrades it"
for cmd in "${READERS[@]}"; do
  # shellcheck disable=SC2086
  untouched "$cmd on schema 2" v2.db 3 "$older" $cmd
done
rc=0; Q plan set 2024-06-30 50 --ledger v2.db >out.txt 2>err.txt || rc=$?
[ "$rc" -eq 0 ] && [ "$(sql v2.db 'PRAGMA user_version')" = "$V" ] &&
  [ "$(sql v2.db "SELECT count(*) FROM sqlite_master WHERE name='files_first_archive'")" = 1 ] &&
  Q status --ledger v2.db >/dev/null && ok "plan set upgraded schema 2 to $V; status reads it" ||
  bad "upgrade: exit $rc $(cat err.txt)"
cp cur.db v9.db
$PY -c 'import sqlite3; c = sqlite3.connect("v9.db"); c.execute("PRAGMA user_version = 9"); c.commit(); c.close()'
for args in "status" "plan show" "plan set 2024-12-31 100" "inventory import stock.csv"; do
  # shellcheck disable=SC2086
  untouched "$args on schema 9" v9.db 3 "ledger v9.db has schema version 9; this quire knows up to $V" $args
done

# --- the actor: the same for every command, whatever $USER says -------------------
want=$(logname 2>/dev/null || id -un)
noenv() { env -u USER -u LOGNAME "$QUIRE_BIN" "$@"; }
rc=0; noenv ingest -m d/manifest.csv -o arch --ledger a.db --jobs 2 -q d/scans 2>ingest.err || rc=$?
[ "$rc" -le 1 ] || bad "ingest: exit $rc"
faulty=$(sql a.db "SELECT file_id FROM files WHERE status='faulty' ORDER BY file_id LIMIT 1")
archived=$(sql a.db "SELECT file_id FROM files WHERE status='archived' ORDER BY file_id LIMIT 1")
noenv accept "$faulty" --kind missing_pages --reason "checked" --ledger a.db >/dev/null ||
  bad "accept failed"
noenv rescan submit "$archived" --pages 1 --reason "page 1 unreadable" --ledger a.db >/dev/null ||
  bad "rescan submit failed"
noenv plan set 2024-12-31 100 --ledger a.db >/dev/null || bad "plan set failed"
noenv inventory import stock.csv --ledger a.db >/dev/null || bad "inventory import failed"
USER=mallory LOGNAME=mallory Q plan set 2024-12-30 99 --ledger a.db >/dev/null || bad "plan set 2"
actors=$(sql a.db "SELECT DISTINCT actor FROM events UNION SELECT user FROM batches
  UNION SELECT actor FROM accepts UNION SELECT actor FROM rescan_jobs")
kinds=$(sql a.db "SELECT DISTINCT kind FROM events ORDER BY kind" | tr '\n' ' ')
if [ "$actors" = "$want" ] && [ -n "$want" ]; then
  ok "one actor '$want' on every record (events: $kinds)"
else
  bad "actors recorded: $(echo "$actors" | tr '\n' '|'), want '$want'"
fi
# Each command's own event (batch NULL: not one an ingest recorded).
for k in accept rescan_submitted plan_set inventory_import; do
  [ "$(sql a.db "SELECT actor FROM events WHERE kind='$k' AND batch IS NULL ORDER BY id LIMIT 1")" = "$want" ] &&
    ok "$k recorded by $want" || bad "$k: not recorded by $want"
done
[ "$(sql a.db "SELECT user FROM batches WHERE id=1")" = "$want" ] &&
  ok "the ingest batch's user is $want" || bad "batch user: $(sql a.db 'SELECT user FROM batches')"

# --- --by NAME ---------------------------------------------------------------------
Q plan set 2025-01-31 100 --by 'Ana Lima' --ledger a.db >/dev/null || bad "plan set --by"
Q plan import plan.csv --by 'Bo' --ledger a.db >/dev/null || bad "plan import --by"
Q inventory import stock2.csv --by 'Cy' --ledger a.db >/dev/null || bad "inventory import --by"
got=$(sql a.db "SELECT kind || '=' || actor FROM events WHERE id > (SELECT max(id) - 3 FROM events)
  ORDER BY id" | tr '\n' ' ')
[ "$got" = "plan_set=Ana Lima plan_set=Bo inventory_import=Cy " ] &&
  ok "--by recorded: $got" || bad "--by: $got"
rc=0; Q ingest -m d/manifest.csv -o arch --ledger a.db --jobs 2 -q --by 'Di' d/scans >out.txt 2>err.txt ||
  rc=$?
by=$(sql a.db "SELECT user FROM batches ORDER BY id DESC LIMIT 1")
evs=$(sql a.db "SELECT DISTINCT actor FROM events WHERE batch = (SELECT max(id) FROM batches)")
[ "$rc" -le 1 ] && [ "$by" = "Di" ] && [ "$evs" = "Di" ] &&
  ok "ingest --by Di: the batch's user and every event of it (exit $rc)" ||
  bad "ingest --by: exit $rc, user '$by', event actors '$evs' $(cat err.txt)"
for cmd in "ingest" "inventory" "plan"; do
  Q help "$cmd" | grep -q -- "--by NAME" && ok "help $cmd lists --by" || bad "help $cmd: no --by"
done

e2e_finish
