#!/usr/bin/env bash
# Peak RSS of `quire ingest`, in three parts (QUIRE_RSS_PARTS, default all):
#
#  flat  a 600-page and a 6,000-page delivery at the same --jobs: memory must
#        depend on --jobs and the queue sizes, not on the size of the delivery
#        (target: the larger within 1.5x of the smaller). The deliveries are
#        assembled from a pool of distinct generated pages, cycled so that no
#        two neighbouring pages are alike (that would be a duplicate fault and
#        change the workload).
#  max   a delivery of maximal pages, at --jobs 1, 2 and JOBS: pages at the
#        pixel cap (20000 x 20000 = 400 Mpx, RGB, gray and bitonal deflate
#        TIFFs at 1200 dpi; RGB is 1.6 GB decoded, just under the 1.5 GiB
#        byte cap) and an RGB page just under the band size (5700 x 5700,
#        130 MB decoded: the largest page still decoded whole). Peak RSS per
#        worker must stay near the ceiling the README gives, whatever the page.
#  bomb  the issue's within-cap bomb: one 19000 x 19000 RGB deflate TIFF of a
#        few hundred KB (1.44 GB decoded), through `quire convert` and
#        `quire ingest --jobs 1`: seconds and peak RSS.
#
# The big pages come from bench/big_page.py (white paper, rows of dark
# bars; written by hand with zlib, a second each).
# usage: bench/rss_flat.sh [JOBS]   (QUIRE_BIN: the quire binary, default build/quire)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${QUIRE_BIN:-$src/build/quire}
jobs=${1:-2}
parts=${QUIRE_RSS_PARTS:-flat max bomb}
work=${QUIRE_BENCH_DIR:-/tmp/quire-bench-rss}
mkdir -p "$work"

# run_peak -> "seconds peak_kib" of one command (the child's ru_maxrss)
run_peak() {
  /usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
el = time.time() - t
if rc not in (0, 1):
    sys.exit("%s failed: %d" % (sys.argv[1:3], rc))
print(el, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
ingest_peak() { # dir jobs -> "seconds peak_kib"
  local dir=$1 j=$2
  rm -rf "$dir/out" "$dir/q.db"*
  run_peak "$bin" ingest --manifest "$dir/manifest.csv" --out "$dir/out" --ledger "$dir/q.db" \
    --jobs "$j" --quiet "$dir/scans"
}

flat_part() {
  if [ ! -d "$work/pool" ]; then
    /usr/bin/python3 "$src/tools/make_sample.py" --pages 40 --seed 99 --out "$work/pool" >/dev/null
  fi
  mapfile -t pool < <(ls "$work/pool" | grep -E '\.(tif|jpg|png)$' | sort)
  make_delivery() { # dir files pages_per_file
    local dir=$1 files=$2 per=$3 k=0
    [ -f "$dir/manifest.csv" ] && return
    mkdir -p "$dir/scans"
    echo "file_id,expected_pages" >"$dir/manifest.csv"
    for f in $(seq -w 1 "$files"); do
      mkdir -p "$dir/scans/F-$f"
      for p in $(seq -w 1 "$per"); do
        local s=${pool[$((k % ${#pool[@]}))]}
        ln -f "$work/pool/$s" "$dir/scans/F-$f/$p.${s##*.}"
        k=$((k + 1))
      done
      echo "F-$f,$per" >>"$dir/manifest.csv"
    done
  }
  make_delivery "$work/d600" 20 30
  make_delivery "$work/d6000" 200 30
  read -r t1 r1 < <(ingest_peak "$work/d600" "$jobs")
  read -r t2 r2 < <(ingest_peak "$work/d6000" "$jobs")
  printf '%-10s %8s %10s %12s\n' delivery pages seconds "peak RSS MB"
  awk -v t1="$t1" -v r1="$r1" -v t2="$t2" -v r2="$r2" -v j="$jobs" 'BEGIN {
    printf "%-10s %8d %10.1f %12.1f\n", "d600", 600, t1, r1 / 1024
    printf "%-10s %8d %10.1f %12.1f\n", "d6000", 6000, t2, r2 / 1024
    printf "ratio 6000/600 peak RSS: %.2f (target <= 1.5) at --jobs %s\n\n", r2 / r1, j }'
}

big_page() { # out width height mode
  [ -f "$1" ] || /usr/bin/python3 "$src/bench/big_page.py" --out "$1" --width "$2" \
    --height "$3" --mode "$4" --dpi 1200 --rps 32
}

max_part() {
  local d="$work/dmax"
  if [ ! -f "$d/manifest.csv" ]; then
    mkdir -p "$d/scans"
    echo "file_id,expected_pages" >"$d/manifest.csv.tmp"
    local i=0
    for spec in "rgb 20000 20000" "gray 20000 20000" "bitonal 20000 20000" "rgb 5700 5700" \
                "rgb 20000 20000" "gray 20000 20000" "bitonal 20000 20000" "rgb 5700 5700"; do
      set -- $spec
      i=$((i + 1))
      mkdir -p "$d/scans/M-$i"
      big_page "$work/max-$1-$2.tif" "$2" "$3" "$1"
      ln -f "$work/max-$1-$2.tif" "$d/scans/M-$i/0001.tif"
      echo "M-$i,1" >>"$d/manifest.csv.tmp"
    done
    mv "$d/manifest.csv.tmp" "$d/manifest.csv"
  fi
  echo "maximal pages: 8 files of one page (2 x RGB, gray, bitonal 20000 x 20000; 2 x RGB 5700 x 5700)"
  printf '%-6s %10s %12s %16s\n' jobs seconds "peak RSS MB" "MB per worker"
  local list="1 2"
  [ "$jobs" -gt 2 ] && list="$list $jobs"
  for j in $list; do
    read -r t r < <(ingest_peak "$d" "$j")
    awk -v t="$t" -v r="$r" -v j="$j" 'BEGIN { printf "%-6d %10.1f %12.1f %16.1f\n", j, t, r / 1024, r / 1024 / j }'
  done
  echo
}

bomb_part() {
  local d="$work/dbomb"
  if [ ! -f "$d/manifest.csv" ]; then
    mkdir -p "$d/scans/B-1"
    /usr/bin/python3 "$src/bench/big_page.py" --out "$d/scans/B-1/0001.tif" --width 19000 \
      --height 19000 --mode rgb --rps 64 --dpi 300
    echo -e "file_id,expected_pages\nB-1,1" >"$d/manifest.csv"
  fi
  echo "within-cap bomb: 19000 x 19000 RGB deflate TIFF, $(stat -c %s "$d/scans/B-1/0001.tif") bytes"
  printf '%-20s %10s %12s\n' run seconds "peak RSS MB"
  read -r t r < <(run_peak "$bin" convert -o "$d/bomb.pdf" "$d/scans/B-1/0001.tif")
  awk -v t="$t" -v r="$r" 'BEGIN { printf "%-20s %10.1f %12.1f\n", "convert", t, r / 1024 }'
  read -r t r < <(ingest_peak "$d" 1)
  awk -v t="$t" -v r="$r" 'BEGIN { printf "%-20s %10.1f %12.1f\n", "ingest --jobs 1", t, r / 1024 }'
  echo
}

for p in $parts; do
  case $p in
  flat) flat_part ;;
  max) max_part ;;
  bomb) bomb_part ;;
  *) echo "unknown part: $p" >&2; exit 2 ;;
  esac
done
