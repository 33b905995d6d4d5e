#!/usr/bin/env bash
# End to end: the project office's scenario. A stock of 50 files and a plan
# are imported; two deliveries with faults are ingested and status shows the
# exact counts and percentages; the rescan list (one job per faulty file,
# with pages and measured values) is exported; a lone page for a file that
# lost a sheet is refused as a partial rescan; a partial rescan delivery
# holding only the listed pages closes the jobs, and status and each file's
# log follow; a person's rescan of an archived file goes round the same loop
# into a version 2 archive while version 1 stays on disk untouched; a kept
# page that changed on disk is caught and the job opens again, and that
# faulty rescan's fault is open (quire faults, export, status) while the file
# stays archived as version 1; reruns change nothing. Every archive written
# passes the archive checks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init rescan-loop
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3
export QUIRE_LEDGER="$work/q.db"
export QUIRE_TODAY=2026-03-01

mk() { $PY "$QUIRE_SRC/tools/make_sample.py" --delivery --pages-min 3 --pages-max 5 "$@" >/dev/null; }
mk --files 6 --seed 31 --faults --out d1
mk --files 5 --seed 32 --faults --out d2
mk --files 2 --seed 33 --out spare

# --- the stock (50 files) and the plan ------------------------------------------
$PY - <<'EOF'
import csv
rows = []
for d in ("d1", "d2"):
    rows += list(csv.DictReader(open(f"{d}/manifest.csv", newline="", encoding="utf-8")))
ids = {r["file_id"] for r in rows}
assert len(ids) == 11, ids
with open("stock.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["file_id", "box", "expected_pages"])
    for r in rows:
        w.writerow([r["file_id"], r["box"], r["expected_pages"]])
    for i in range(39):
        w.writerow([f"STOCK-{i:04d}", f"BOX-{9 + i // 10:04d}", 4])
EOF
Q inventory import stock.csv >imp.txt 2>&1 && ok "inventory import: $(tail -n 1 imp.txt)" ||
  bad "inventory import: $(cat imp.txt)"
Q plan set 2026-01-01 0 2026-12-31 100 >plan.txt 2>&1 && ok "plan set" || bad "plan set: $(cat plan.txt)"

# --- two deliveries with faults --------------------------------------------------
ingest() { # DIR: ingest it, exit code in $rc
  rc=0
  Q ingest -m "$1/manifest.csv" -o arch --jobs 2 "$1/scans" >"$1.out" 2>&1 || rc=$?
}
ingest d1; [ "$rc" -eq 1 ] && ok "delivery 1: exit 1 (faulty files)" || bad "delivery 1: exit $rc"
ingest d2; [ "$rc" -eq 1 ] && ok "delivery 2: exit 1 (faulty files)" || bad "delivery 2: exit $rc"

# The expected figures, from the generator's truth and the stock.
status_check() { # LABEL: compare quire status --json with expect.json
  Q status --json >status.json
  local why
  if why=$($PY - "$1" <<'EOF'
import json, sys
s, e = json.load(open("status.json")), json.load(open("expect.json"))
bad = []
for k, v in e.items():
    got = s
    for part in k.split("."):
        got = got.get(part) if isinstance(got, dict) else None
    if isinstance(v, float):
        if got is None or abs(got - v) > 0.005:
            bad.append(f"{k}={got} want {v}")
    elif got != v:
        bad.append(f"{k}={got} want {v}")
print("; ".join(bad) if bad else "all " + str(len(e)) + " figures equal")
sys.exit(1 if bad else 0)
EOF
  ); then ok "status $1: $why"; else bad "status $1: $why"; fi
}
expect() { # PHASE: write expect.json from truth + the archive dir
  $PY - "$1" <<'EOF'
import json, os, sys, csv
phase = sys.argv[1]
stock = list(csv.DictReader(open("stock.csv", newline="", encoding="utf-8")))
pages = {r["file_id"]: int(r["expected_pages"]) for r in stock}
faulty = set()
for d in ("d1", "d2"):
    for f in json.load(open(f"{d}/truth.json"))["files"]:
        if f["file_faults"] or any(p["faults"] for p in f["pages"]):
            faulty.add(f["file_id"])
delivered = set()
for d in ("d1", "d2"):
    delivered |= {f["file_id"] for f in json.load(open(f"{d}/truth.json"))["files"]}
if phase != "before":
    faulty = set()
archived = delivered - faulty
json.dump({
    "files_inventory": 50, "pages_inventory": sum(pages.values()),
    "files_archived": len(archived), "files_faulty": len(faulty),
    "files_not_delivered": 50 - len(delivered),
    "pages_archived": sum(pages[f] for f in archived),
    "percent_files": 100.0 * len(archived) / 50,
    "percent_pages": 100.0 * sum(pages[f] for f in archived) / sum(pages.values()),
    "rescan_open": len(faulty),
}, open("expect.json", "w"))
EOF
}
expect before; status_check "after two deliveries"

# --- the rescan list ---------------------------------------------------------------
Q rescan list --format csv >jobs.csv
Q rescan list --format json >jobs.json
if why=$($PY - <<'EOF'
import csv, json
rows = list(csv.DictReader(open("jobs.csv", newline="")))
js = json.load(open("jobs.json"))
assert len(rows) == len(js) == 6, (len(rows), len(js))
want = {}
for d in ("d1", "d2"):
    for f in json.load(open(f"{d}/truth.json"))["files"]:
        bad = [p["delivered"] for p in f["pages"] if p["faults"]]
        if f["file_faults"]:
            want[f["file_id"]] = "all"
        elif bad:
            want[f["file_id"]] = ",".join(map(str, bad))
got = {r["file_id"]: r["pages"] for r in rows}
assert got == want, (got, want)
for r, j in zip(rows, js):
    assert r["file_id"] == j["file_id"] and r["status"] == j["status"] == "open"
    assert j["faults"] and all("value" in x and "threshold" in x for x in j["faults"]), j
    assert r["reason"].startswith("ingest found") and r["box"], r
print(", ".join(f"{k}:{v}" for k, v in sorted(got.items())))
EOF
); then ok "rescan list: one job per faulty file, pages as truth says ($why)"; else bad "rescan list: $why"; fi

# --- a partial rescan delivery: only the listed pages ------------------------------
$PY - <<'EOF'
import csv, json, os, shutil, glob
jobs = json.load(open("jobs.json"))
spare = sorted(glob.glob("spare/scans/*/*"))
rows = []
man = {}
for d in ("d1", "d2"):
    for r in csv.DictReader(open(f"{d}/manifest.csv", newline="", encoding="utf-8")):
        man[r["file_id"]] = r
k = 0
for j in jobs:
    fid, n = j["file_id"], int(man[j["file_id"]]["expected_pages"])
    os.makedirs(f"r1/scans/{fid}")
    pages = range(1, n + 1) if j["pages"] == "all" else [int(p) for p in j["pages"].split(",")]
    if j["pages"] == "all":  # the whole file again: its good pages plus a new sheet
        src = sorted(glob.glob(f"d*/scans/{fid}/*"))
    for p in pages:
        if j["pages"] == "all" and p <= len(src):
            s = src[p - 1]
        else:
            s = spare[k]; k += 1
        shutil.copy(s, f"r1/scans/{fid}/{p:04d}{os.path.splitext(s)[1]}")
    rows.append(man[fid])
with open("r1/manifest.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
EOF
# A file that lost a sheet has shifted page numbers: one page alone cannot be
# put in place, the file must come whole. Delivering only its last page is
# refused as a partial rescan, the file stays faulty and its job opens again.
short=$($PY -c 'import json; print([j["file_id"] for j in json.load(open("jobs.json")) if j["pages"] == "all"][0])')
mkdir -p "r0/scans/$short"
last=$(ls "r1/scans/$short" | tail -n 1)
cp "r1/scans/$short/$last" "r0/scans/$short/$last"
(head -n 1 r1/manifest.csv; grep "^$short," r1/manifest.csv) >r0/manifest.csv
ingest r0
[ "$rc" -eq 1 ] && grep -q "$short: not a partial rescan" r0.out &&
  [ "$(Q rescan list --format json | $PY -c "import json,sys; print([j['status'] for j in json.load(sys.stdin) if j['file_id']=='$short'])")" = "['open']" ] &&
  ok "a lone page of a file with a lost sheet: refused as a partial rescan, job open again" ||
  bad "lone page of $short: exit $rc: $(cat r0.out)"
ingest r1; [ "$rc" -eq 0 ] && ok "partial rescan delivery: exit 0" || bad "rescan delivery: exit $rc: $(cat r1.out)"
n_partial=$(grep -c "partial rescan:" r1.out || true)
[ "$n_partial" -ge 4 ] && ok "partial rescan merged $n_partial files" || bad "partial merges: $n_partial: $(cat r1.out)"
open_jobs=$(Q rescan list --format csv | tail -n +2 | wc -l)
[ "$open_jobs" -eq 0 ] && ok "every job closed" || bad "$open_jobs jobs still open"
expect after; status_check "after the rescan"
closed=$($PY -c 'import json,subprocess,sys; js=json.loads(subprocess.check_output([sys.argv[1],"rescan","list","--all","--format","json"])); print(sum(j["status"]=="closed" and j["resolved_batch"]==4 for j in js))' "$QUIRE_BIN")
[ "$closed" -eq 6 ] && ok "6 jobs closed by batch 4 (the rescan delivery)" || bad "jobs closed by batch 4: $closed"
for fid in $($PY -c 'import json; print(" ".join(j["file_id"] for j in json.load(open("jobs.json"))))'); do
  [ -f "arch/$fid.pdf" ] || bad "$fid: no archive after the rescan"
  kinds=$(Q log "$fid" --json | $PY -c 'import json,sys; print(",".join(e["kind"] for e in json.load(sys.stdin)))')
  case "$fid:$kinds" in
    *:faulty,rescan_submitted,rescan_delivered,archived,rescan_closed) ;;
    "$short":faulty,rescan_submitted,rescan_delivered,faulty,rescan_reopened,rescan_delivered,archived,rescan_closed) ;;
    *) bad "$fid log: $kinds" ;;
  esac
done
ok "rescanned files archived; logs: faulty, rescan_submitted, rescan_delivered, archived, rescan_closed"
first=$($PY -c 'import json; print(json.load(open("jobs.json"))[0]["file_id"])')
e2e_check_archive "arch/$first.pdf" 2b

# Lineage: pages kept from batch 1 or 2, replaced pages from batch 4.
lin=$(Q export pages --format json | $PY -c '
import json, sys
jobs = {j["file_id"]: j["pages"] for j in json.load(open("jobs.json"))}
rows = [r for r in json.load(sys.stdin) if r["file_id"] in jobs and jobs[r["file_id"]] != "all"]
bad = [r for r in rows if (str(r["page"]) in jobs[r["file_id"]].split(",")) != (r["origin_batch"] == 4)]
print(len(rows), len(bad))')
[ "${lin#* }" = 0 ] && ok "lineage: ${lin% *} pages, each from the batch that delivered it" ||
  bad "lineage: $lin"

# A rerun of the rescan delivery changes nothing.
before=$(Q export files --format csv | sha256sum)
ingest r1
[ "$rc" -eq 0 ] && grep -q "0 archived, 0 faulty, 6 up to date" r1.out &&
  [ "$(Q export files --format csv | sha256sum)" = "$before" ] &&
  ok "rerun of the rescan delivery: nothing redone" || bad "rerun: exit $rc: $(cat r1.out)"

# --- a person's rescan of an archived file ----------------------------------------
arch_id=$($PY - <<'EOF'
import json
t = json.load(open("d1/truth.json"))
print([f["file_id"] for f in t["files"] if not f["file_faults"] and not any(p["faults"] for p in f["pages"])][0])
EOF
)
v1_sha=$(sha256sum "arch/$arch_id.pdf" | cut -d' ' -f1)
rc=0; Q rescan submit "$arch_id" --pages 2 --reason "page 2 unreadable (found by a caseworker)" \
  --by "M. Keller" >sub.txt 2>&1 || rc=$?
[ "$rc" -eq 0 ] && ok "rescan submit: $(cat sub.txt)" || bad "rescan submit: exit $rc: $(cat sub.txt)"
rc=0; Q rescan submit "$arch_id" --pages 1 --reason again >sub2.txt 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "already has rescan job" sub2.txt && ok "second job on the same file refused" ||
  bad "second submit: exit $rc: $(cat sub2.txt)"
rc=0; Q rescan submit "$arch_id" --pages 99 --reason x >sub3.txt 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "beyond the file" sub3.txt && ok "page beyond the file refused" ||
  bad "page 99: exit $rc: $(cat sub3.txt)"
Q rescan list --format csv | grep -q "^[0-9]*,$arch_id,.*,2,.*M. Keller,open," &&
  ok "the manual job is on the work list" || bad "manual job not listed: $(Q rescan list --format csv)"
mkdir -p "r2/scans/$arch_id"
cp "$(ls spare/scans/*/* | tail -n 1)" "r2/scans/$arch_id/0002.tif"
(head -n 1 d1/manifest.csv; grep "^$arch_id," d1/manifest.csv) >r2/manifest.csv
ingest r2; [ "$rc" -eq 0 ] && ok "manual rescan delivery: exit 0" || bad "manual rescan: exit $rc: $(cat r2.out)"
[ -f "arch/$arch_id@v2.pdf" ] && ok "version 2 archive written" || bad "no arch/$arch_id@v2.pdf"
[ "$(sha256sum "arch/$arch_id.pdf" | cut -d' ' -f1)" = "$v1_sha" ] && ok "version 1 kept, unchanged" ||
  bad "version 1 changed or gone"
e2e_check_archive "arch/$arch_id@v2.pdf" 2b
kinds=$(Q log "$arch_id" --json | $PY -c 'import json,sys; print(",".join(e["kind"] for e in json.load(sys.stdin)))')
[ "$kinds" = "archived,rescan_submitted,rescan_delivered,archived,rescan_closed" ] &&
  ok "log of $arch_id: $kinds" || bad "log of $arch_id: $kinds"
Q log "$arch_id" | grep -q "rescan_submitted.*M. Keller" && ok "log names who submitted" ||
  bad "log: $(Q log "$arch_id")"
Q export files --format csv | grep -q "^$arch_id,.*,2$" && ok "files export: current version 2" ||
  bad "files export: $(Q export files --format csv | grep "$arch_id")"

# --- a kept page that changed on disk is caught; the job opens again --------------
other=$($PY - "$arch_id" <<'EOF'
import json, sys
t = json.load(open("d1/truth.json"))
print([f["file_id"] for f in t["files"] if not f["file_faults"] and f["file_id"] != sys.argv[1]
       and not any(p["faults"] for p in f["pages"])][0])
EOF
)
Q rescan submit "$other" --pages 1 --reason "stamp illegible" >/dev/null
kept=$(ls d1/scans/"$other"/* | sed -n 2p)
printf 'x' >>"$kept"
mkdir -p "r3/scans/$other"
cp "$(ls spare/scans/*/* | sed -n 1p)" "r3/scans/$other/0001.tif"
(head -n 1 d1/manifest.csv; grep "^$other," d1/manifest.csv) >r3/manifest.csv
ingest r3
[ "$rc" -eq 1 ] && grep -q "page kept from batch 1 changed since" r3.out &&
  ok "changed kept page: faulty, named: $(grep -m1 'changed since' r3.out | cut -c1-120)" ||
  bad "changed kept page: exit $rc: $(cat r3.out)"
st=$(Q rescan list --format json | $PY -c "import json,sys; print([j['status'] for j in json.load(sys.stdin) if j['file_id']=='$other'])")
[ "$st" = "['open']" ] && ok "its job is open again" || bad "job state: $st"
Q log "$other" | grep -q rescan_reopened && ok "log records rescan_reopened" || bad "no rescan_reopened"
# The faulty rescan keeps version 1 current, yet its fault is what blocks
# version 2: quire faults, export faults and status show it, and a reviewer
# can see it in quire accept's answer.
Q faults --format json >faults3.json
Q export faults --format json >export3.json
Q export files --format csv >files3.csv
Q status --json >status3.json
if why=$($PY - "$other" <<'EOF'
import csv, json, os, sqlite3, sys
other = sys.argv[1]
last = sqlite3.connect(os.environ["QUIRE_LEDGER"]).execute("SELECT max(id) FROM batches").fetchone()[0]
open_ = [(x["page"], x["kind"]) for x in json.load(open("faults3.json")) if x["file_id"] == other]
assert open_ == [(2, "corrupt")], open_
rows = [(x["page"], x["kind"], x["batch"], x["accepted"]) for x in json.load(open("export3.json"))
        if x["file_id"] == other]
assert rows == [(2, "corrupt", last, 0)], rows  # the rescan r3
st = {r["file_id"]: (r["status"], r["version"]) for r in csv.DictReader(open("files3.csv"))}
assert st[other] == ("archived", "1"), st[other]
s = json.load(open("status3.json"))
assert s["faults"]["corrupt"] == 1 and s["files_faulty"] == 0, s
print(open_)
EOF
); then ok "faulty rescan of an archived file: its fault is open ($why), the file stays archived"
else bad "faulty rescan's fault: $why"; fi
rc=0; Q accept "$other" --page 2 --kind blank --reason x >acc.txt 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -qF "$other: no open 'blank' fault on page 2; the file has " acc.txt &&
  grep -qF "pages; open faults: corrupt on page 2" acc.txt &&
  ok "accept on the faulty rescan names its open fault" || bad "accept on $other: exit $rc: $(cat acc.txt)"

e2e_finish
