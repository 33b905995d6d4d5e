#!/usr/bin/env bash
# The accuracy harness (bench/qc_eval.py) on a tiny generated delivery: it must
# run quire, print every section, write its JSON, give the same figures when it
# re-reads the ledger (--no-run), and account for every fault of the truth:
# for each kind, TP + FN equals the truth's count. The accuracy targets
# themselves are the benchmark's business, not this test's.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
gen="${QUIRE_SHARED:-}/corpus/make_batch.py"
[ -n "${QUIRE_SHARED:-}" ] && [ -f "$gen" ] || e2e_skip "no ../shared corpus (QUIRE_SHARED=${QUIRE_SHARED:-unset})"
/usr/bin/python3 -c 'import PIL, numpy' 2>/dev/null || e2e_skip "make_batch.py needs python3-pil and python3-numpy"
e2e_init qc-eval
eval_py="$QUIRE_SRC/bench/qc_eval.py"

(cd "$QUIRE_SHARED/corpus" && /usr/bin/python3 make_batch.py --src real --out "$work/batch" \
  --files 4 --pages-min 1 --pages-max 4 --seed 5 --faults 0.3 --workers 2 >"$work/gen.log" 2>&1) ||
  { cat "$work/gen.log"; bad "make_batch.py failed"; e2e_finish; }

rc=0
/usr/bin/python3 "$eval_py" --quire "$QUIRE_BIN" --batch "$work/batch" --work "$work/run" \
  --jobs 2 --json "$work/eval.json" >"$work/eval.txt" 2>"$work/eval.err" || rc=$?
cat "$work/eval.txt"
[ "$rc" -eq 0 ] && ok "qc_eval ran (exit 0)" || bad "qc_eval exited $rc: $(head -c 600 "$work/eval.err")"

for section in "fault kinds (target" "false flags per 1,000 clean pages" "skew on text/line pages" \
  "orientation on text pages" "stage timing:" "targets:"; do
  grep -qF "$section" "$work/eval.txt" && ok "section: $section" || bad "section missing: $section"
done
grep -qE '^  (duplicate|blank|corrupt) +[0-9]+ +[0-9]+ ' "$work/eval.txt" &&
  ok "per-kind table has counts" || bad "per-kind table has no count rows"

# The JSON accounts for every truth fault, kind by kind.
if /usr/bin/python3 - "$work/eval.json" "$work/batch/truth.json" >"$work/account.txt" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
page_map = {'blank': 'blank', 'duplicate': 'duplicate', 'streaks': 'streaks', 'too_dark': 'too_dark',
            'too_light': 'too_light', 'low_resolution': 'low_dpi', 'heavy_skew': 'skew',
            'cropped': 'cropped', 'truncated': 'corrupt', 'corrupt_header': 'corrupt'}
want = {}
for f in t['files']:
    kinds = {x['kind'] for x in f['file_faults']}
    for k, q in (('missing_page', 'missing_pages'), ('extra_page', 'extra_pages')):
        if k in kinds:
            want[q] = want.get(q, 0) + 1
    for p in f['pages']:
        for x in p['faults']:
            q = page_map.get(x['kind'])
            if q:
                want[q] = want.get(q, 0) + 1
bad = 0
for row in r['kinds']:
    k = row['kind']
    if k in ('orientation', 'unexpected_file'):
        continue
    got = row['tp'] + row['fn']
    print('%-14s truth %d, TP+FN %d' % (k, want.get(k, 0), got))
    bad += got != want.get(k, 0)
for key in ('false_flags', 'skew', 'orientation', 'kinds', 'all_met'):
    if key not in r:
        print('json lacks', key); bad += 1
sys.exit(1 if bad else 0)
EOF
then ok "every truth fault is counted once: $(tr '\n' ';' <"$work/account.txt")"
else bad "truth faults miscounted: $(cat "$work/account.txt")"; fi

# Re-reading the same ledger gives the same report (ingest line aside).
/usr/bin/python3 "$eval_py" --quire "$QUIRE_BIN" --batch "$work/batch" --work "$work/run" \
  --no-run >"$work/again.txt" 2>&1 || bad "--no-run failed: $(head -c 400 "$work/again.txt")"
if diff <(grep -v '^  ingest:' "$work/eval.txt") "$work/again.txt" >"$work/diff.txt"; then
  ok "--no-run reproduces the report"
else
  bad "--no-run differs: $(head -c 600 "$work/diff.txt")"
fi

# --check turns missed targets into exit 1, never into a crash.
rc=0
/usr/bin/python3 "$eval_py" --quire "$QUIRE_BIN" --batch "$work/batch" --work "$work/run" \
  --no-run --check >/dev/null 2>&1 || rc=$?
want=0
grep -q '^targets: missed' "$work/eval.txt" && want=1
[ "$rc" -eq "$want" ] && ok "--check exits $rc" || bad "--check exited $rc, want $want"
e2e_finish
