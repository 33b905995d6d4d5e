#!/usr/bin/env bash
# The fault-injection table: every file system call of a small ingest fails,
# one at a time (the Nth call, for every N, of open, write, fsync, rename,
# read-only open and read on the output folder, the delivery and the ledger,
# and of io_uring completions), with ENOSPC, EIO and EINTR; after each run
# nothing is lost, overwritten or left behind, and a rerun completes the work
# with archives byte for byte those of a run without failures. See
# tests/fault/fault_table.py for the expected outcome of each kind of call.
#   QUIRE_FAULT_FULL=1   every N of every row and a larger delivery (long)
#   QUIRE_FAULT_BOUND=K  every N up to K, then a stride (default 12; the
#                        ledger's rows, with hundreds of SQLite calls, 4)
#   QUIRE_FAULT_ERRNOS=EIO,EINTR  only these (default ENOSPC,EIO,EINTR)
# Then one case the table cannot aim at: the ledger cannot record the
# batch's end (its last WAL write fails), so the run must fail (exit 3)
# although every file was recorded, and the next run marks the batch
# interrupted and completes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init fault-table
cd "$work"
: "${QUIRE_FAILSHIM:?QUIRE_FAILSHIM must name the fault-injection preload}"
PY=/usr/bin/python3
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0"

args=(--quire "$QUIRE_BIN" --shim "$QUIRE_FAILSHIM" --src "$QUIRE_SRC" --work "$work/table"
  --json "$work/table.json")
[ "${QUIRE_FAULT_FULL:-0}" = 1 ] && args+=(--full)
[ -n "${QUIRE_FAULT_BOUND:-}" ] && args+=(--bound "$QUIRE_FAULT_BOUND"
  --ledger-bound "$QUIRE_FAULT_BOUND")
[ -n "${QUIRE_FAULT_ERRNOS:-}" ] && args+=(--errnos "$QUIRE_FAULT_ERRNOS")
rc=0
$PY "$QUIRE_SRC/tests/fault/fault_table.py" "${args[@]}" | tee "$work/table.txt" || rc=$?
[ "$rc" -eq 0 ] && ok "fault table: $(grep '^total:' "$work/table.txt")" ||
  bad "fault table: $(grep '^total:' "$work/table.txt" || echo "exit $rc")"

# --- the batch's end cannot be recorded ------------------------------------------
dlv=$work/table/delivery
ingest() { # LEDGER [env...]: the table's delivery into bout/
  local l=$1
  shift
  env "$@" "$QUIRE_BIN" ingest -m "$dlv.csv" -o "$work/bout" --ledger "$l" --jobs 2 -q "$dlv"
}
batches() { $PY -c 'import sqlite3, sys
print(" ".join(s for (s,) in sqlite3.connect(sys.argv[1]).execute(
    "SELECT status FROM batches ORDER BY id")))' "$1"; }
wal_writes() { # LEDGER [env...]: fail or count the writes to LEDGER's WAL
  local l=$1
  shift
  ingest "$l" LD_PRELOAD="$QUIRE_FAILSHIM" QR_FAIL_PATH="$l-wal" QR_FAIL_OP=write "$@"
}
wal_writes "$work/count.db" QR_FAIL_COUNT=1 QR_FAIL_REPORT="$work/count" >/dev/null
rm -rf "$work/bout"
last=$(sed -n 's/^calls=//p' "$work/count")
rc=0
wal_writes "$work/b.db" QR_FAIL_NTH="$last" QR_FAIL_ERRNO=EIO 2>"$work/b.err" || rc=$?
st=$(batches "$work/b.db")
[ "$rc" -eq 3 ] && grep -q "ledger $work/b.db" "$work/b.err" && [ "$st" = running ] &&
  ok "the batch's end not recorded (WAL write $last of $last): exit 3 naming the ledger" ||
  bad "batch end not recorded: exit $rc, batches '$st', $(cat "$work/b.err")"
rc=0
ingest "$work/b.db" 2>"$work/b2.err" || rc=$?
st=$(batches "$work/b.db")
[ "$rc" -eq 0 ] && [ "$st" = "interrupted done" ] &&
  ok "the next run marks that batch interrupted and ends its own: $st" ||
  bad "after the unrecorded batch end: exit $rc, batches '$st', $(cat "$work/b2.err")"

e2e_finish
