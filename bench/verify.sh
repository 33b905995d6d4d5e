#!/bin/bash
# bench/verify.sh: quire verify against sha256sum over the same archives.
#
# Why sha256sum: verifying an archive folder is re-hashing it; the rest of
# quire verify (the ledger's chain and row digests, each archive's XMP read
# back, the folder searched for strays) must not make it much slower than
# the plain tool that only hashes. The goal is at least 0.9 x sha256sum's
# speed without --deep. --deep (every archive parsed, every image decoded)
# is timed too, in pages per second.
#
# The standard benchmark delivery is the one bench/run makes (200 case files
# of 1-60 pages, seed 1: ../shared/corpus/make_batch.py, else
# tools/make_sample.py --delivery); it is ingested once into WORK/verify and
# kept (a delivery without truth.json, the generators' last file, is made
# again). Each repetition times sha256sum and quire verify alternately, so a
# neighbour's load falls on both alike; medians are reported. Warm: the
# archives in the page cache (read once before). Cold (--cold): before each
# run the archives' cached pages are dropped with POSIX_FADV_DONTNEED, per
# file, so only this benchmark's files leave the cache, not anyone else's.
#
# usage: bench/verify.sh [--delivery DIR] [--quire BIN] [--reps N] [--work DIR]
#                        [--cold] [--no-deep]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
QUIRE=$SRC/build/quire
REPS=3
WORK=/tmp/quire-bench-run
DELIVERY=
COLD=0
DEEP=1
while [ $# -gt 0 ]; do
  case $1 in
  --delivery) DELIVERY=$2; shift 2 ;;
  --quire) QUIRE=$2; shift 2 ;;
  --reps) REPS=$2; shift 2 ;;
  --work) WORK=$2; shift 2 ;;
  --cold) COLD=1; shift ;;
  --no-deep) DEEP=0; shift ;;
  *) echo "usage: bench/verify.sh [--delivery DIR] [--quire BIN] [--reps N] [--work DIR] [--cold] [--no-deep]" >&2; exit 2 ;;
  esac
done
PY=/usr/bin/python3
SHARED=${QUIRE_SHARED:-$(dirname "$SRC")/shared}
mkdir -p "$WORK"

# --- the standard delivery, as bench/run makes it ----------------------------------
if [ -z "$DELIVERY" ]; then
  span=(--files 200 --pages-min 1 --pages-max 60 --seed 1)
  if [ -f "$SHARED/corpus/make_batch.py" ]; then
    DELIVERY=$WORK/delivery-batch-f200-p1-60-s1
    gen=("$PY" "$SHARED/corpus/make_batch.py" --src "$SHARED/corpus/real" --out "$DELIVERY"
         --workers 2 "${span[@]}")
  else
    DELIVERY=$WORK/delivery-sample-f200-p1-60-s1
    gen=("$PY" "$SRC/tools/make_sample.py" --delivery --out "$DELIVERY" "${span[@]}")
  fi
  # truth.json is the generators' last file: without it the delivery is a
  # generation that was cut short (a manifest of 200 files over fewer scans)
  if [ ! -f "$DELIVERY/truth.json" ]; then
    rm -rf "$DELIVERY"
    echo "generating the delivery: ${gen[*]}" >&2
    "${gen[@]}" >/dev/null
  fi
fi

# --- archived once ---------------------------------------------------------------------
V=$WORK/verify
if [ ! -f "$V/done" ] || [ "$(cat "$V/done")" != "$DELIVERY" ]; then
  rm -rf "$V" && mkdir -p "$V"
  echo "ingesting $DELIVERY (once)" >&2
  scans=$DELIVERY; [ -d "$DELIVERY/scans" ] && scans=$DELIVERY/scans
  rc=0
  (cd "$V" && "$QUIRE" ingest --manifest "$DELIVERY/manifest.csv" --out out --ledger q.db \
    --quiet --jobs 2 "$scans") || rc=$?
  [ "$rc" -le 1 ] || { echo "ingest failed: exit $rc" >&2; exit 3; }
  echo "$DELIVERY" >"$V/done"
fi
cd "$V"
mapfile -t pdfs < <(find out -name '*.pdf' | sort)
bytes=$(cat "${pdfs[@]}" | wc -c)
pages=$(sqlite3 q.db "SELECT sum(pages) FROM files WHERE status = 'archived'" 2>/dev/null ||
  $PY -c 'import sqlite3; print(sqlite3.connect("q.db").execute("SELECT sum(pages) FROM files WHERE status = '"'archived'"'").fetchone()[0])')

evict() { # drop this benchmark's archives from the page cache
  $PY -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)' "${pdfs[@]}"
}
now() { date +%s.%N; }
# run NAME CMD...: seconds of one run (the output discarded; a failure stops the bench)
timed() {
  local t0 t1 rc=0
  [ "$COLD" = 1 ] && evict
  t0=$(now)
  "$@" >/dev/null 2>&1 || rc=$?
  t1=$(now)
  [ "$rc" -eq 0 ] || { echo "failed (exit $rc): $*" >&2; exit 3; }
  echo "$t1 - $t0" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

cat "${pdfs[@]}" >/dev/null # warm, and the same start for both
s=() q=()
for ((i = 0; i < REPS; i++)); do
  s+=("$(timed sha256sum "${pdfs[@]}")")
  q+=("$(timed "$QUIRE" verify --quiet --ledger q.db)")
done
ts=$(median "${s[@]}")
tq=$(median "${q[@]}")
mb=$(echo "$bytes / 1000000" | bc -l)
cache=$([ "$COLD" = 1 ] && echo "cold (archives dropped from the page cache before each run)" || echo "warm (archives in the page cache)")
printf 'delivery: %s\n' "$DELIVERY"
printf 'archives: %d files, %.1f MB, %d pages; %s cores; %s\n' "${#pdfs[@]}" "$mb" "$pages" "$(nproc)" "$cache"
printf 'median of %d runs, alternating:\n' "$REPS"
printf '  %-28s %8.3f s  %7.0f MB/s\n' "sha256sum" "$ts" "$(echo "$mb / $ts" | bc -l)"
printf '  %-28s %8.3f s  %7.0f MB/s\n' "quire verify" "$tq" "$(echo "$mb / $tq" | bc -l)"
printf '  speed of quire verify / sha256sum: %.2fx (goal >= 0.90)\n' "$(echo "$ts / $tq" | bc -l)"
if [ "$DEEP" = 1 ]; then
  td=$(timed "$QUIRE" verify --deep --quiet --ledger q.db)
  printf '  %-28s %8.3f s  %7.0f MB/s  %6.1f pages/s (one run)\n' "quire verify --deep" "$td" \
    "$(echo "$mb / $td" | bc -l)" "$(echo "$pages / $td" | bc -l)"
  printf '  speed of quire verify --deep / sha256sum: %.3fx\n' "$(echo "$ts / $td" | bc -l)"
fi
