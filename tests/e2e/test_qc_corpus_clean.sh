#!/usr/bin/env bash
# The clean real scans raise no fault. Every corpus file that the generator
# uses as a clean, upright page (generator_role "page" in
# ../shared/corpus/real/sources.json) is delivered as a one-page file and
# ingested; the ledger must hold no fault for any of them. The one fault
# allowed is low_dpi on a scan whose resolution tag really is below 300 dpi
# (the value must be that resolution): the check is right to reject those.
# On failure every fault found is printed with the file it came from.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
corpus=$(e2e_corpus) || e2e_skip "no ../shared corpus (QUIRE_SHARED=${QUIRE_SHARED:-unset})"
[ -f "$corpus/sources.json" ] || e2e_skip "no sources.json in $corpus"
e2e_init qc-corpus-clean

# One folder per page and a manifest naming it; ids REAL-01.. keep the
# manifest simple, the title carries the corpus file name.
/usr/bin/python3 - "$corpus" "$work" >"$work/plan.txt" <<'EOF' || { cat "$work/plan.txt"; bad "no delivery"; e2e_finish; }
import csv, json, os, re, shutil, sys
corpus, work = sys.argv[1], sys.argv[2]
files = [f for f in json.load(open(os.path.join(corpus, 'sources.json')))['files']
         if f.get('generator_role') == 'page']
if not files:
    sys.exit('no generator_role page in sources.json')
def tag_dpi(props):
    s = (props or [{}])[0].get('resolution') or ''
    m = re.search(r'\(= *([\d.]+) dpi\)', s)
    if m:
        return float(m.group(1))
    m = re.match(r'([\d.]+) x [\d.]+', s)
    return float(m.group(1)) if m and ('dpi' in s or 'inch' in s) else None
os.makedirs(os.path.join(work, 'delivery'))
with open(os.path.join(work, 'manifest.csv'), 'w', newline='') as mf:
    w = csv.writer(mf)
    w.writerow(['file_id', 'expected_pages', 'box', 'title'])
    for i, f in enumerate(sorted(files, key=lambda f: f['file'])):
        fid = 'REAL-%02d' % (i + 1)
        d = os.path.join(work, 'delivery', fid)
        os.makedirs(d)
        ext = os.path.splitext(f['file'])[1].lower()
        shutil.copyfile(os.path.join(corpus, f['file']), os.path.join(d, '0001' + ext))
        w.writerow([fid, f.get('pages') or 1, 'BOX-0001', f['file']])
        print('%s\t%s\t%s' % (fid, f['file'], tag_dpi(f.get('page_properties')) or ''))
EOF
n=$(wc -l <"$work/plan.txt")
echo "corpus clean pages: $n"

rc=0
"$QUIRE_BIN" ingest --manifest "$work/manifest.csv" --out "$work/out" --ledger "$work/quire.db" \
  --quiet --jobs 2 "$work/delivery" >"$work/ingest.out" 2>"$work/ingest.err" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { bad "ingest exited $rc: $(head -c 600 "$work/ingest.err")"; e2e_finish; }
"$QUIRE_BIN" export faults --format json --ledger "$work/quire.db" >"$work/faults.json" ||
  { bad "export faults failed"; e2e_finish; }
"$QUIRE_BIN" export pages --format json --ledger "$work/quire.db" >"$work/pages.json" ||
  { bad "export pages failed"; e2e_finish; }

/usr/bin/python3 - "$work/plan.txt" "$work/faults.json" "$work/pages.json" >"$work/verdict.txt" <<'EOF'
import json, sys
plan = {}
for line in open(sys.argv[1]):
    fid, name, dpi = line.rstrip('\n').split('\t')
    plan[fid] = (name, float(dpi) if dpi else None)
faults = json.load(open(sys.argv[2]))
pages = {r['file_id'] for r in json.load(open(sys.argv[3]))}
bad = 0
for fid, (name, dpi) in sorted(plan.items()):
    mine = [r for r in faults if r['file_id'] == fid]
    allowed = [r for r in mine if r['kind'] == 'low_dpi' and dpi is not None and dpi < 299.5
               and abs(float(r['value']) - dpi) <= 1]
    wrong = [r for r in mine if r not in allowed]
    if fid not in pages:
        print('FAULT %s %s: no page recorded' % (fid, name)); bad += 1
    for r in wrong:
        print('FAULT %s %s: page %s %s value %s threshold %s%s' % (
            fid, name, r.get('page'), r['kind'], r.get('value'), r.get('threshold'),
            (' (%s)' % r['detail']) if r.get('detail') else ''))
    bad += len(wrong)
    for r in allowed:
        print('expected %s %s: low_dpi %s (tag %g dpi)' % (fid, name, r.get('value'), dpi))
    if not mine and fid in pages:
        print('clean %s %s' % (fid, name))
print('%d unexpected faults' % bad)
sys.exit(1 if bad else 0)
EOF
vrc=$?
cat "$work/verdict.txt"
if [ "$vrc" -eq 0 ]; then
  ok "$n clean corpus pages: no fault beyond low_dpi on scans tagged below 300 dpi"
else
  bad "clean corpus pages raised faults: $(grep -c '^FAULT' "$work/verdict.txt") (listed above)"
fi
e2e_finish
