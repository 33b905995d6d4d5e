#!/usr/bin/env bash
# End to end: the reviewer workflow. A generated delivery has a file with a
# missing page (faulty); `quire faults` lists it (CSV and JSON); usage errors
# of `quire accept` are refused with exit 2 and record nothing, and so is an
# accept that covers no open fault (a page the file does not have, a kind it
# does not have), the message naming what the file has; an accept shows at
# once (quire faults, export faults, status) and closes the rescan job ingest
# opened, with its own event; the same accept again is refused naming the
# first; the next plain ingest archives the file, whose archive passes the
# checks and carries the override once in its XMP; an archived file has
# nothing to accept; the profile options are checked and recorded in the
# batch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init review-accept
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3

$PY "$QUIRE_SRC/tools/make_sample.py" --delivery --files 3 --seed 3 --faults --out d >/dev/null
ingest() { Q ingest -m d/manifest.csv -o arch --ledger q.db --jobs 2 -q "$@" d/scans; }

rc=0; ingest || rc=$?
[ "$rc" -eq 1 ] && ok "first ingest: exit 1 (faulty files)" || bad "first ingest exit $rc"

# --- quire faults, CSV and JSON ------------------------------------------------
Q faults --ledger q.db >faults.csv
Q faults --ledger q.db --format json >faults.json
short=$($PY - <<'EOF'
import csv, json
rows = list(csv.DictReader(open("faults.csv", newline="")))
js = json.load(open("faults.json"))
assert list(rows[0].keys()) == ["file_id", "page", "kind", "value", "threshold", "detail"], rows[0]
assert len(rows) == len(js) >= 2, (rows, js)
for r, j in zip(rows, js):
    assert r["file_id"] == j["file_id"] and int(r["page"]) == j["page"] and r["kind"] == j["kind"]
    assert float(r["value"]) == j["value"] and float(r["threshold"]) == j["threshold"]
    assert r["detail"] == j["detail"] and j["detail"]
miss = [j for j in js if j["kind"] == "missing_pages"]
assert len(miss) == 1 and miss[0]["page"] == 0 and miss[0]["value"] < miss[0]["threshold"]
assert any(j["kind"] == "corrupt" for j in js)
print(miss[0]["file_id"])
EOF
) && ok "faults: CSV and JSON agree; missing_pages on $short" || bad "faults listing: $short"
corrupt=$($PY -c 'import json; print([j["file_id"] for j in json.load(open("faults.json")) if j["kind"]=="corrupt"][0])')
read -r blankf blankp < <($PY -c 'import json; b=[j for j in json.load(open("faults.json")) if j["kind"]=="blank"][0]; print(b["file_id"], b["page"])')
[ ! -e "arch/$short.pdf" ] && ok "faulty file not archived" || bad "faulty file archived"

# --- usage errors: exit 2, a clear message, nothing recorded -------------------
refused() { # NAME EXPECTED-MESSAGE ARGS...
  local name=$1 want=$2 rc=0
  shift 2
  Q accept "$@" --ledger q.db >out.txt 2>err.txt || rc=$?
  if [ "$rc" -eq 2 ] && grep -qF -- "$want" err.txt; then
    ok "accept $name: exit 2: $(head -n 1 err.txt)"
  else
    bad "accept $name: exit $rc, stderr: $(cat err.txt)"
  fi
}
refused "unknown kind" "unknown fault kind 'smudge'" "$short" --kind smudge --reason x
refused "unknown file" "unknown file NO-SUCH-FILE" NO-SUCH-FILE --kind missing_pages --reason x
refused "missing reason" "--reason is required" "$short" --kind missing_pages
refused "empty reason" "--reason is required" "$short" --kind missing_pages --reason "  "
refused "missing kind" "--kind is required" "$short" --reason x
refused "corrupt" "corrupt cannot be accepted" "$corrupt" --kind corrupt --reason x
refused "bad page" "--page must be" "$short" --page -1 --kind missing_pages --reason x
# --- accepts that cover no open fault: exit 2, naming what the file has ----------
refused "page the file does not have" \
  "$blankf: no open 'blank' fault on page 99; the file has " "$blankf" --page 99 --kind blank --reason x
grep -qF "open faults: blank on page $blankp" err.txt && ok "the refusal lists the open faults" ||
  bad "page 99 refusal: $(cat err.txt)"
refused "kind the file does not have" \
  "$short: no open 'skew' fault; the file has 1 page; open faults: missing_pages (whole file)" \
  "$short" --kind skew --reason x
refused "file-level fault on a page" "no open 'missing_pages' fault on page 1" \
  "$short" --page 1 --kind missing_pages --reason x
n_acc=$($PY -c 'import sqlite3; print(sqlite3.connect("q.db").execute("SELECT count(*) FROM accepts").fetchone()[0])')
[ "$n_acc" = 0 ] && ok "refused accepts recorded nothing" || bad "$n_acc accepts recorded"
rc=0; Q accept "$short" --kind blank --reason x --ledger nowhere.db 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && [ ! -e nowhere.db ] && ok "accept on a missing ledger: exit 2, no ledger created" ||
  bad "accept on a missing ledger: exit $rc"
# A rerun skips files recorded faulty, and still exits 1: exit 0 would say
# every file of the manifest is archived.
rc=0; ingest || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "arch/$short.pdf" ] &&
  ok "rerun without an accept: skipped, still faulty" || bad "rerun without an accept: exit $rc"

# --- accept, then a plain rerun archives the file ------------------------------
reason='Page 2 was a blank "divider" sheet, removed by the bureau <ok> & agreed'
job=$(Q rescan list --format json --ledger q.db | $PY -c "import json,sys; print([j['job'] for j in json.load(sys.stdin) if j['file_id']=='$short'][0])")
if Q accept "$short" --page 0 --kind missing_pages --reason "$reason" --by "Ana Reviewer" \
    --ledger q.db >out.txt 2>err.txt; then
  ok "accept: $(head -n 1 out.txt)"
else
  bad "accept failed: $(cat err.txt)"
fi
grep -qx "rescan job $job closed: the contractor need not rescan it" out.txt &&
  grep -qF "$short has no open fault left" out.txt &&
  ok "accept says what it changed: $(tail -n +2 out.txt | tr '\n' ' ')" || bad "accept output: $(cat out.txt)"

# --- the accept shows at once, before any ingest ------------------------------------
Q faults --format json --ledger q.db >faults1.json
Q export faults --format json --ledger q.db >export1.json
Q status --json --ledger q.db >status1.json
Q log "$short" --json --ledger q.db >log1.json
$PY - "$short" "$job" <<'EOF' && ok "at once: not in quire faults, accepted 1, status, job closed by the accept" || bad "accept not shown at once"
import json, sys
short, job = sys.argv[1], int(sys.argv[2])
assert not [x for x in json.load(open("faults1.json")) if x["file_id"] == short]
assert [(x["kind"], x["accepted"]) for x in json.load(open("export1.json")) if x["file_id"] == short] == [("missing_pages", 1)]
assert json.load(open("status1.json"))["faults"]["missing_pages"] == 0
log = json.load(open("log1.json"))
assert [e["kind"] for e in log] == ["faulty", "rescan_submitted", "accept", "rescan_closed_by_accept"], log
acc, closed = log[2], log[3]
rows = closed["detail"].pop("rows")  # the job row's digest (schema 6)
assert closed["detail"] == {"job": job, "pages": "", "accept": acc["detail"]["accept"]}, closed
assert rows["key"] == job and len(rows["rescan_jobs"]) == 64 and rows["n_rescan_jobs"] == 1, rows
assert closed["actor"] == "Ana Reviewer" and closed["batch"] is None, closed
EOF
[ "$(Q rescan list --format csv --ledger q.db | grep -c ",$short," || true)" = 0 ] &&
  ok "the contractor's list no longer holds $short" || bad "rescan list: $(Q rescan list --ledger q.db)"
refused "the same accept twice" \
  "$short: nothing new to accept: the 'missing_pages' fault (whole file) is already covered by accept #1 (Ana Reviewer, " \
  "$short" --kind missing_pages --reason "again"
Q ingest -m d/manifest.csv -o arch --ledger q.db --jobs 2 d/scans >rerun.txt 2>&1 || rc=$?
grep -q "1 archived, 0 faulty, 2 up to date" rerun.txt &&
  ok "rerun after the accept: only the accepted file processed: $(grep '^files:' rerun.txt)" ||
  bad "rerun after the accept: $(cat rerun.txt)"
if [ -e "arch/$short.pdf" ]; then
  ok "accepted file archived"
  e2e_check_archive "arch/$short.pdf" 2b
else
  bad "accepted file not archived"
fi
$PY - "arch/$short.pdf" "$reason" <<'EOF' && ok "XMP records the override" || bad "XMP override"
import re, sys, html
data = open(sys.argv[1], "rb").read().decode("latin-1")
m = re.search(r"<quire:overrides>(.*?)</quire:overrides>", data, re.S)
assert m, "no quire:overrides"
o = m.group(1).encode("latin-1").decode("utf-8")
val = lambda k: html.unescape(re.search(r"<quireOverride:%s>(.*?)</quireOverride:%s>" % (k, k), o).group(1))
assert o.count("<quireOverride:reason>") == 1, o
assert val("reason") == sys.argv[2], val("reason")
assert val("kind") == "missing_pages" and val("page") == "0" and val("by") == "Ana Reviewer"
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", val("at")), val("at")
assert "<pdfaProperty:name>overrides</pdfaProperty:name>" in data
EOF

# --- exports: the fault is accepted and no longer blocks ------------------------
Q export faults --format json --ledger q.db >export.json
Q faults --format json --ledger q.db >faults2.json
Q export files --format json --ledger q.db >files.json
$PY - "$short" <<'EOF' && ok "exports: fault accepted, file archived, not in quire faults" || bad "exports after accept"
import json, sys
short = sys.argv[1]
f = [x for x in json.load(open("export.json")) if x["file_id"] == short]
assert [(x["kind"], x["accepted"]) for x in f] == [("missing_pages", 1)], f
assert not [x for x in json.load(open("faults2.json")) if x["file_id"] == short]
st = {x["file_id"]: x["status"] for x in json.load(open("files.json"))}
assert st[short] == "archived", st
EOF
refused "an archived file" "$short is archived (version 1) with no open fault; nothing to accept" \
  "$short" --kind missing_pages --reason "again"
kinds=$(Q log "$short" --json --ledger q.db | $PY -c 'import json,sys; print(",".join(e["kind"] for e in json.load(sys.stdin)))')
[ "$kinds" = "faulty,rescan_submitted,accept,rescan_closed_by_accept,archived" ] &&
  ok "log: $kinds" || bad "log of $short: $kinds"
sum1=$(sha256sum "arch/$short.pdf")
rc=0; ingest || rc=$? # exit 1: the corrupt file is still faulty
[ "$rc" -eq 1 ] && [ "$(sha256sum "arch/$short.pdf")" = "$sum1" ] && [ ! -e "arch/$short@v2.pdf" ] &&
  ok "third run: accepted file up to date, no new version" || bad "third run: exit $rc"

# --- profile options ---------------------------------------------------------------
printf '[skew]\nmax_skew_deg = 12\n[blank]\nallow_blank_backs = no\n' >site.ini
Q profile show --profile site.ini --set resolution.min_dpi=200 >eff.ini
grep -qx "max_skew_deg = 12" eff.ini && grep -qx "min_dpi = 200" eff.ini &&
  ok "profile show: INI then --set" || bad "profile show: $(cat eff.ini)"
Q profile show --profile eff.ini >eff2.ini && cmp -s eff.ini eff2.ini &&
  ok "profile show output reads back unchanged" || bad "profile show does not round-trip"
printf '[skew]\nmax_skew_deg = lots\n' >bad.ini
rc=0; Q ingest -m d/manifest.csv -o arch2 --ledger p.db --profile bad.ini d/scans 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -qF "bad.ini:2: skew.max_skew_deg" err.txt && [ ! -e p.db ] &&
  ok "ingest --profile with a bad value: exit 2, nothing ingested: $(head -n 1 err.txt)" ||
  bad "ingest bad profile: exit $rc: $(cat err.txt)"
rc=0; Q ingest -m d/manifest.csv -o arch2 --ledger p.db --set skew.nope=1 d/scans 2>err.txt || rc=$?
[ "$rc" -eq 2 ] && grep -qF "skew.nope" err.txt && ok "ingest --set unknown key: exit 2" ||
  bad "ingest --set unknown key: exit $rc: $(cat err.txt)"
rc=0; Q ingest -m d/manifest.csv -o arch2 --ledger p.db -q --profile site.ini \
  --set skew.max_skew_deg=15 --allow-blank-backs d/scans || rc=$?
$PY - <<'EOF' && ok "batch options record the effective profile" || bad "batch options"
import sqlite3
opts = sqlite3.connect("p.db").execute("SELECT options FROM batches").fetchone()[0]
assert "max_skew_deg = 15" in opts and "allow_blank_backs = true" in opts, opts
EOF
# quire ingest --retry also applies an accept (and processes the other faulty files).
Q accept "$short" --kind missing_pages --reason "known short file" --ledger p.db >/dev/null
rc=0; Q ingest -m d/manifest.csv -o arch2 --ledger p.db -q --retry --profile site.ini \
  --set skew.max_skew_deg=15 --allow-blank-backs d/scans 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] && [ -e "arch2/$short.pdf" ] && [ ! -e "arch2/$corrupt.pdf" ] &&
  ok "ingest --retry archives the accepted file; $corrupt stays faulty" || bad "--retry: exit $rc"
# Blank back sides: with the option no blank fault remains on an even page, and
# any blank fault on an even page without it must be the one that went away.
$PY - <<'EOF' && ok "--allow-blank-backs: no blank fault on back sides" || bad "blank backs"
import json, subprocess, os
q = os.environ["QUIRE_BIN"]
def faults(db):
    out = subprocess.run([q, "export", "faults", "--format", "json", "--ledger", db],
                         capture_output=True, check=True).stdout
    return [(x["file_id"], x["page"]) for x in json.loads(out) if x["kind"] == "blank"]
plain, duplex = faults("q.db"), faults("p.db")
assert not [f for f in duplex if f[1] % 2 == 0], duplex
assert [f for f in plain if f[1] % 2] == duplex, (plain, duplex)
EOF
e2e_finish
