#!/usr/bin/env bash
# End to end: the project office's set-up commands. A stock list is imported
# (files, boxes, page counts known or not, metadata); importing it again
# changes nothing; a list that disagrees about a box and a page count is
# refused as a whole (exit 1, each conflict named with its line, field and
# both values, the inventory unchanged) unless --keep-known; a broken CSV
# exits 2 naming every bad line. The plan is set from the command line and
# from CSV, replacing a planned date says so, a curve that goes down or a
# non-date is refused naming the line, and show prints text and JSON. Each
# kept import and plan change is one event in the ledger.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init inventory-plan
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3
export QUIRE_LEDGER="$work/q.db"

files_json() { Q export files --format json >"$1"; }
events() { # KIND: how many events of that kind the ledger holds
  $PY -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events WHERE kind=?", (sys.argv[2],)).fetchone()[0])' q.db "$1"
}

# --- inventory import -----------------------------------------------------------
cat >stock.csv <<'EOF'
file_id,box,expected_pages,shelf
F-001,BOX-1,3,A1
F-002,BOX-1,,A1
F-003,BOX-2,12,"B2, top"
F-004,,5,B3
EOF
rc=0; Q inventory import stock.csv >imp1.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -qx "stock.csv: 4 added, 0 unchanged, 0 filled, 0 conflicts" imp1.txt &&
  ok "import: $(cat imp1.txt)" || bad "import: exit $rc: $(cat imp1.txt)"
files_json inv1.json
why=$($PY - <<'EOF'
import json
f = {r["file_id"]: r for r in json.load(open("inv1.json"))}
assert sorted(f) == ["F-001", "F-002", "F-003", "F-004"], f
assert f["F-001"]["box"] == "BOX-1" and f["F-001"]["expected_pages"] == 3, f["F-001"]
assert f["F-002"]["expected_pages"] is None and f["F-004"]["box"] == "", f
assert all(r["status"] == "pending" for r in f.values()), f
EOF
) && ok "inventory holds the 4 files, unknown counts left unknown" || bad "inventory: $why"

rc=0; Q inventory import stock.csv >imp2.txt 2>&1 || rc=$?
files_json inv2.json
[ "$rc" -eq 0 ] && grep -qx "stock.csv: 0 added, 4 unchanged, 0 filled, 0 conflicts" imp2.txt &&
  cmp -s inv1.json inv2.json && ok "re-import is idempotent: $(cat imp2.txt)" ||
  bad "re-import: exit $rc: $(cat imp2.txt)"

cat >stock2.csv <<'EOF'
file_id,box,expected_pages
F-001,BOX-9,3
F-002,BOX-1,7
F-003,BOX-2,13
F-005,BOX-3,2
EOF
rc=0; Q inventory import stock2.csv >imp3.txt 2>imp3.err || rc=$?
files_json inv3.json
[ "$rc" -eq 1 ] && ok "conflicting list: exit 1" || bad "conflicting list: exit $rc"
grep -qx "stock2.csv:2: conflict: F-001: box is 'BOX-1' in the ledger, 'BOX-9' here" imp3.err &&
  grep -qx "stock2.csv:4: conflict: F-003: expected_pages is '12' in the ledger, '13' here" imp3.err &&
  [ "$(wc -l <imp3.err)" -eq 2 ] && ok "each conflict named: line, file, field, both values" ||
  bad "conflict lines: $(cat imp3.err)"
grep -q "nothing imported: 2 conflicts" imp3.txt && cmp -s inv1.json inv3.json &&
  ok "nothing imported (F-005 not added, F-002 not filled)" || bad "after conflicts: $(cat imp3.txt)"

rc=0; Q inventory import --keep-known stock2.csv >imp4.txt 2>imp4.err || rc=$?
files_json inv4.json
why=$($PY - <<'EOF'
import json
f = {r["file_id"]: r for r in json.load(open("inv4.json"))}
assert "F-005" in f and f["F-002"]["expected_pages"] == 7, f
assert f["F-001"]["box"] == "BOX-1" and f["F-003"]["expected_pages"] == 12, f
EOF
) && [ "$rc" -eq 0 ] && grep -qx "stock2.csv: 1 added, 0 unchanged, 1 filled, 2 conflicts" imp4.txt &&
  grep -q "ledger value kept" imp4.err && ok "--keep-known: $(cat imp4.txt)" ||
  bad "--keep-known: exit $rc: $why $(cat imp4.txt imp4.err)"

printf 'file_id,box,expected_pages\nG-1,B,2\nG-2,B,zero\nG/3,B,1\nG-4,B\nG-1,B,2\n' >broken.csv
files_json before.json
rc=0; Q inventory import broken.csv >imp5.txt 2>imp5.err || rc=$?
files_json after.json
[ "$rc" -eq 2 ] && grep -q "^broken.csv:3: expected_pages 'zero'" imp5.err &&
  grep -q "^broken.csv:4: file_id 'G/3'" imp5.err && grep -q "^broken.csv:5: expected 3 fields" imp5.err &&
  grep -q "^broken.csv:6: duplicate file_id 'G-1'" imp5.err && cmp -s before.json after.json &&
  ok "broken CSV: exit 2, every bad line named, nothing imported" ||
  bad "broken CSV: exit $rc: $(cat imp5.err)"
rc=0; Q inventory import missing.csv 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] && ok "missing stock list: exit 2" || bad "missing stock list: exit $rc"
[ "$(events inventory_import)" -eq 3 ] && ok "3 inventory_import events (kept imports only)" ||
  bad "inventory_import events: $(events inventory_import)"

# --- plan -------------------------------------------------------------------------
rc=0; Q plan set 2026-01-31 10 2026-06-30 50 --by office >plan1.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "plan: 2 points set, 2 new, 0 replaced" plan1.txt &&
  ok "plan set: 2 points" || bad "plan set: exit $rc: $(cat plan1.txt)"
rc=0; Q plan set 2026-06-30 60 >plan2.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -qx "2026-06-30  60 %  (replaces 50 %)" plan2.txt &&
  ok "setting a planned date replaces it and says so" || bad "replace: exit $rc: $(cat plan2.txt)"

refused() { # LABEL WANT... -- ARGS: quire must exit 2 naming WANT, plan unchanged
  local label=$1 want=$2 rc=0
  shift 3
  Q plan show --json >pb.json
  Q "$@" >r.out 2>r.err || rc=$?
  Q plan show --json >pa.json
  if [ "$rc" -eq 2 ] && grep -qF -- "$want" r.err && cmp -s pb.json pa.json; then
    ok "$label: exit 2, $(head -n 1 r.err)"
  else
    bad "$label: exit $rc: $(cat r.err)"
  fi
}
refused "plan going down" "2026-07-31 at 40 % is below the earlier 2026-06-30 at 60 %" -- \
  plan set 2026-07-31 40
refused "not a calendar date" "'2026-02-29 20' is not a date" -- plan set 2026-02-29 20
refused "percent over 100" "outside 0..100" -- plan set 2026-08-31 101
refused "odd arguments" "pairs of DATE PERCENT" -- plan set 2026-08-31

printf 'date,target_percent\n2026-09-30,70\n2026-12-31,100\n2027-01-31,100\n' >plan.csv
rc=0; Q plan import plan.csv >plan3.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && grep -q "plan: 3 points set, 3 new" plan3.txt && ok "plan import: 3 points" ||
  bad "plan import: exit $rc: $(cat plan3.txt)"
printf 'date,target_percent\n2027-02-28,100\n2027-03-31,99\n' >down.csv
refused "imported plan going down" "2027-03-31 at 99 % (line 3) is below the earlier 2027-02-28" -- \
  plan import down.csv
printf 'date,target_percent\n2027-02-30,100\n2027-03-31,lots\n' >bad.csv
refused "imported non-date" "bad.csv:2: '2027-02-30,100' is not a date" -- plan import bad.csv
grep -q "^bad.csv:3: '2027-03-31,lots' has a target that is not a number" r.err &&
  ok "every bad plan line named" || bad "bad plan lines: $(cat r.err)"
printf 'when,target_percent\n2027-02-28,100\n' >hdr.csv
refused "plan without a date column" "hdr.csv:1: missing required column 'date'" -- plan import hdr.csv

Q plan show >show.txt
Q plan show --json >show.json
why=$($PY - <<'EOF'
import json
pts = json.load(open("show.json"))
want = [("2026-01-31", 10), ("2026-06-30", 60), ("2026-09-30", 70), ("2026-12-31", 100),
        ("2027-01-31", 100)]
assert [(p["date"], p["target_percent"]) for p in pts] == want, pts
lines = open("show.txt").read().splitlines()
assert lines[0].split() == ["date", "target_percent"] and lines[-1] == "5 points", lines
assert lines[2].split() == ["2026-06-30", "60"], lines
EOF
) && ok "plan show: text and JSON agree, in date order" || bad "plan show: $why"

rc=0; Q plan import --replace plan.csv >plan4.txt 2>&1 || rc=$?
n=$($PY -c 'import json; print(len(json.load(open("/dev/stdin"))))' < <(Q plan show --json))
[ "$rc" -eq 0 ] && [ "$n" -eq 3 ] && grep -q "3 replaced" plan4.txt &&
  ok "plan import --replace keeps only the file's points" || bad "--replace: exit $rc, $n points"
[ "$(events plan_set)" -eq 4 ] && ok "4 plan_set events (refusals record nothing)" ||
  bad "plan_set events: $(events plan_set)"
Q inventory import stock.csv --ledger "$work/empty.db" >/dev/null # a ledger without a plan
Q plan show --json --ledger "$work/empty.db" >empty.json
[ "$(cat empty.json)" = "[]" ] && ok "empty plan: []" || bad "empty plan: $(cat empty.json)"

e2e_finish
