#!/usr/bin/env bash
# `quire export pages` names each page's own source file: in a folders
# delivery page N of a file comes from <file_id>/000N.<ext>, and the ledger
# must say so for every page, not repeat the file's first page.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
e2e_init ingest-page-sources

/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 3 --pages-min 3 \
  --pages-max 5 --seed 3 --out "$work/d" >/dev/null || { echo "generator failed"; exit 1; }
rc=0
"$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$work/out" --ledger "$work/q.db" \
  --quiet "$work/d/scans" >"$work/log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] && ok "ingest: exit 0" || bad "ingest: exit $rc: $(cat "$work/log")"

"$QUIRE_BIN" export pages --format json --ledger "$work/q.db" >"$work/pages.json" ||
  bad "export pages failed"
if out=$(/usr/bin/python3 - "$work/pages.json" "$work/d/scans" <<'PY'
import json, os, sys
rows = json.load(open(sys.argv[1]))
wrong = []
for r in rows:
    src = r["source"]
    fid, name = os.path.split(src)
    if fid != r["file_id"] or os.path.splitext(name)[0] != "%04d" % r["page"] \
            or not os.path.isfile(os.path.join(sys.argv[2], src)):
        wrong.append("%s p%d: %s" % (r["file_id"], r["page"], src))
print("%d pages, %d distinct sources" % (len(rows), len({r["source"] for r in rows})))
if wrong or len(rows) < 9:
    print("wrong:", wrong)
    sys.exit(1)
PY
); then
  ok "each page's own source: $out"
else
  bad "sources: $out"
fi
e2e_finish
