#!/usr/bin/env bash
# Archive deliveries (one zip or tar per box) that are ambiguous or damaged
# must never end in exit 0: a page name given twice in a box, a file whose
# members were all refused (links), and a box cut at a member boundary or
# inside a member. For each, in a tar and in a zip: ingest exits 1, the file
# is faulty in `quire export files`, it has a corrupt fault (page 0) in
# `quire export faults` whose detail in `quire faults` names the problem,
# stderr names the container and the member, no archive is written for it,
# the files before the damage are archived, and "(null)" is never printed.
# A corrected box (the duplicate taken out, the same members otherwise) is
# processed again and archived: the refusal was part of the fingerprint.
set -uo pipefail
. "$QUIRE_SRC/tests/e2e/lib.sh"
e2e_init ingest-archives

/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --delivery --files 4 --seed 3 \
  --out "$work/d" >/dev/null || { echo "generator failed"; exit 1; }
scans="$work/d/scans"

# The file the cases damage: the last (in name order) with at least two
# pages, so that files before it show what a box keeps up to the damage.
fid="" before=0 n=0
for f in $(ls "$scans" | sort); do
  n=$((n + 1))
  [ "$(ls "$scans/$f" | wc -l)" -ge 2 ] && fid=$f && before=$((n - 1))
done
[ -n "$fid" ] || { echo "no sample file with two pages"; exit 1; }
first=$(ls "$scans/$fid" | sort | head -n 1)
echo "damaged file: $fid (first page $first, $before files before it)"

# box.py KIND MODE FILE_ID SCANS OUT: one box of every page, in name order,
# with MODE applied to FILE_ID: whole | dup (its first page's name again, with
# its last page's bytes, at the end) | links (its members are symlinks) |
# cut-boundary (the box ends where its second member begins) | cut-mid (the
# box ends inside its second member's data).
cat >"$work/box.py" <<'EOF'
import io, os, sys, tarfile, time, zipfile
kind, mode, fid, scans, out = sys.argv[1:6]
members = []
for f in sorted(os.listdir(scans)):
    for p in sorted(os.listdir(os.path.join(scans, f))):
        path = os.path.join(scans, f, p)
        members.append((f + '/' + p, open(path, 'rb').read(), int(os.stat(path).st_mtime)))
mine = [i for i, m in enumerate(members) if m[0].startswith(fid + '/')]
links = set(mine) if mode == 'links' else set()
if mode == 'dup':
    members.append((members[mine[0]][0], members[mine[-1]][1], members[mine[-1]][2]))

def write_tar():
    t = tarfile.open(out, 'w', format=tarfile.USTAR_FORMAT)
    for i, (name, data, mtime) in enumerate(members):
        ti = tarfile.TarInfo(name)
        ti.mtime = mtime
        if i in links:
            ti.type, ti.linkname = tarfile.SYMTYPE, '/etc/passwd'
            t.addfile(ti)
        else:
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    t.close()
    return [(m.offset, m.offset_data, m.size) for m in tarfile.open(out).getmembers()]

def write_zip():
    z = zipfile.ZipFile(out, 'w')
    for i, (name, data, mtime) in enumerate(members):
        zi = zipfile.ZipInfo(name, time.gmtime(mtime)[:6])
        if i in links:
            zi.external_attr = 0o120777 << 16
            data = b'/etc/passwd'
        z.writestr(zi, data)
    z.close()
    return [(i.header_offset, i.header_offset + 30 + len(i.filename.encode()) + len(i.extra),
             i.file_size) for i in zipfile.ZipFile(out).infolist()]

offsets = write_tar() if kind == 'tar' else write_zip()
second = offsets[mine[1]]
cut = {'cut-boundary': second[0], 'cut-mid': second[1] + second[2] // 2}.get(mode)
if cut is not None:
    data = open(out, 'rb').read()[:cut]
    open(out, 'wb').write(data)
EOF

# run_case NAME KIND MODE: builds the box in $work/NAME/box and ingests it;
# sets dir, rc, files (export files), faults (export faults), listed (faults).
run_case() {
  dir="$work/$1"
  mkdir -p "$dir/box"
  /usr/bin/python3 -W ignore "$work/box.py" "$2" "$3" "$fid" "$scans" "$dir/box/BOX-0001.$2" ||
    { echo "box.py failed for $1"; exit 1; }
  rc=0
  "$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$dir/out" --ledger "$dir/q.db" \
    --quiet "$dir/box" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
  files=$("$QUIRE_BIN" export files --ledger "$dir/q.db" 2>&1)
  faults=$("$QUIRE_BIN" export faults --ledger "$dir/q.db" 2>&1)
  listed=$("$QUIRE_BIN" faults --ledger "$dir/q.db" 2>&1)
}

# expect_faulty NAME STDERR_TEXT DETAIL_TEXT ARCHIVED_AT_LEAST
expect_faulty() {
  local why=""
  [ "$rc" -eq 1 ] || why="exit $rc (want 1)"
  grep -q "^$fid,[^,]*,faulty," <<<"$files" || why="$why; $fid not faulty in export files"
  grep -q "^$fid,0,corrupt," <<<"$faults" || why="$why; no corrupt fault at page 0 in export faults"
  grep "^$fid," <<<"$listed" | grep -qF -- "$3" || why="$why; no fault detail with '$3'"
  grep -qF -- "$2" "$dir/stderr" || why="$why; stderr does not say '$2'"
  [ ! -e "$dir/out/$fid.pdf" ] || why="$why; $fid.pdf was written"
  local archived
  archived=$(grep -c ',archived,' <<<"$files" || true)
  [ "$archived" -ge "$4" ] || why="$why; $archived files archived (want at least $4)"
  if grep -q "(null)" "$dir/stderr" "$dir/stdout" || grep -q "(null)" <<<"$listed"; then
    why="$why; (null) printed"
  fi
  if [ -z "$why" ]; then
    ok "$1: exit 1, $fid faulty: $(grep "^$fid," <<<"$listed" | grep -F -- "$3" | head -n 1)"
  else
    bad "$1: $why; stderr: $(head -c 600 "$dir/stderr")"
  fi
}

others=$(($(ls "$scans" | wc -l) - 1))
for kind in tar zip; do
  box="BOX-0001.$kind"
  run_case "dup-$kind" "$kind" dup
  expect_faulty "dup-$kind" "$box:$fid/$first" "ambiguous" "$others"
  run_case "links-$kind" "$kind" links
  expect_faulty "links-$kind" "$box:$fid/$first" "link member" "$others"
  run_case "cut-boundary-$kind" "$kind" cut-boundary
  expect_faulty "cut-boundary-$kind" "$box: damaged after member $fid/$first" \
    "damaged after member $fid/$first" "$before"
  run_case "cut-mid-$kind" "$kind" cut-mid
  expect_faulty "cut-mid-$kind" "$box: damaged after member $fid/$first" \
    "damaged after member $fid/$first" "$before"
done

# The corrected box: the same members, the duplicate taken out. Its kept
# sources are unchanged, so only the refusal in the fingerprint tells.
dir="$work/dup-tar"
/usr/bin/python3 "$work/box.py" tar whole "$fid" "$scans" "$dir/box/BOX-0001.tar" ||
  { echo "box.py failed for the corrected box"; exit 1; }
rc=0
"$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$dir/out" --ledger "$dir/q.db" \
  --quiet "$dir/box" >"$dir/stdout2" 2>"$dir/stderr2" || rc=$?
files=$("$QUIRE_BIN" export files --ledger "$dir/q.db" 2>&1)
if [ "$rc" -eq 0 ] && grep -q "^$fid,[^,]*,archived," <<<"$files" && [ -s "$dir/out/$fid.pdf" ]; then
  ok "corrected box: processed again, exit 0, $fid archived"
else
  bad "corrected box: exit $rc; files: $files; stderr: $(head -c 400 "$dir/stderr2")"
fi
# A box that names no file (not an archive at all) beside a good one: its
# refusal belongs to no file, and still makes the exit code 1.
dir="$work/not-a-box"
mkdir -p "$dir/box"
/usr/bin/python3 "$work/box.py" zip whole "$fid" "$scans" "$dir/box/BOX-0001.zip" ||
  { echo "box.py failed"; exit 1; }
head -c 3000 /dev/urandom >"$dir/box/BOX-0002.zip"
rc=0
"$QUIRE_BIN" ingest --manifest "$work/d/manifest.csv" --out "$dir/out" --ledger "$dir/q.db" \
  "$dir/box" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
if [ "$rc" -eq 1 ] && grep -q "refused: .*BOX-0002.zip" "$dir/stderr" &&
   grep -q "refused: 1 delivery entry that belongs to no file" "$dir/stdout"; then
  ok "a box that is no archive: exit 1 though every file is archived: $(grep -m1 BOX-0002 "$dir/stderr")"
else
  bad "a box that is no archive: exit $rc; $(cat "$dir/stderr" "$dir/stdout" | head -c 600)"
fi
e2e_finish
