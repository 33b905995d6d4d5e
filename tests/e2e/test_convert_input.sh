#!/usr/bin/env bash
# What `quire convert` takes as input: regular files only, and no more than
# --max-page-bytes of each, the rules ingest applies to a delivery's sources.
# A FIFO, a device or a socket is refused at once (never waited on, never
# read), a directory is named as one, a file over the cap names the cap and
# the option that changes it; a symbolic link to a regular file is followed.
# Every refusal exits 1 within seconds, names the input and writes nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init convert-input
/usr/bin/python3 "$QUIRE_SRC/tools/make_sample.py" --pages 2 --seed 3 --out "$work/pages" >/dev/null ||
  { bad "make_sample.py failed"; e2e_finish; }
jpg=$(ls "$work/pages"/*.jpg | head -n 1)

# refused NAME WANT INPUT [OPTION...]: exit 1 within 20 s, nothing written, the
# input named with a message containing WANT. Memory is capped so that a
# reader without a cap fails fast instead of taking the machine's memory
# (not under AddressSanitizer, which reserves terabytes of address space).
vlimit=3000000
ldd "$QUIRE_BIN" 2>/dev/null | grep -q libasan && vlimit=unlimited
refused() {
  local name=$1 want=$2 input=$3 rc=0
  shift 3
  rm -f "$work/out.pdf" "$work"/out.pdf.tmp-* # a killed run's leftovers are not this run's
  (ulimit -v "$vlimit"; timeout 20 "$QUIRE_BIN" convert "$@" -o "$work/out.pdf" "$input") \
    >"$work/stdout" 2>"$work/stderr" || rc=$?
  local why=""
  [ "$rc" -eq 1 ] || why="exit $rc (want 1; 124 = still running after 20 s)"
  [ -e "$work/out.pdf" ] && why="$why; out.pdf was written"
  [ "$(e2e_temp_files "$work")" -eq 0 ] || why="$why; temporary file left"
  grep -qF "quire convert: $input: " "$work/stderr" || why="$why; $input not named"
  grep -qF -- "$want" "$work/stderr" || why="$why; no '$want'"
  [ -z "$why" ] && ok "$name: $(head -n 1 "$work/stderr")" ||
    bad "$name: $why; stderr: $(head -c 300 "$work/stderr")"
}

mkfifo "$work/fifo"
refused "a FIFO with no writer" "not a regular file" "$work/fifo"
refused "/dev/zero (endless)" "not a regular file" /dev/zero
refused "/dev/null (a device)" "not a regular file" /dev/null
if /usr/bin/python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
  "$work/sock" 2>/dev/null; then
  refused "a socket" "not a regular file" "$work/sock"
fi
mkdir "$work/dir"
refused "a directory" "is a directory" "$work/dir"
ln -s "$work/fifo" "$work/link-to-fifo"
refused "a link to a FIFO" "not a regular file" "$work/link-to-fifo"
size=$(stat -c %s "$jpg")
refused "a file over --max-page-bytes" "--max-page-bytes" "$jpg" --max-page-bytes 1000
grep -qF "$size bytes" "$work/stderr" && grep -qF "1000" "$work/stderr" &&
  ok "the cap message gives the file's size and the cap" ||
  bad "cap message lacks the size $size or the cap 1000: $(cat "$work/stderr")"
refused "missing file" "No such file or directory" "$work/missing.jpg"

# A refused input among good ones: every bad one is named, nothing written.
rc=0
timeout 20 "$QUIRE_BIN" convert -o "$work/mixed.pdf" "$jpg" "$work/fifo" "$work/dir" \
  >/dev/null 2>"$work/stderr" || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$work/mixed.pdf" ] && [ "$(grep -c '^quire convert: ' "$work/stderr")" -ge 3 ] &&
  ok "a FIFO and a directory among good inputs: both named, nothing written" ||
  bad "mixed inputs: exit $rc; $(cat "$work/stderr")"

# Followed: a symbolic link to a regular image.
ln -s "$jpg" "$work/link.jpg"
"$QUIRE_BIN" convert -o "$work/link.pdf" "$work/link.jpg" >/dev/null 2>"$work/stderr" &&
  [ "$(e2e_pages "$work/link.pdf")" = 1 ] && ok "a link to a regular image is converted" ||
  bad "link to an image: $(cat "$work/stderr")"
e2e_finish
