#!/usr/bin/env bash
# Peak RSS of `quire ingest` on a 600-page and a 6,000-page delivery at the
# same --jobs: memory must depend on --jobs and the queue sizes, not on the
# size of the delivery (target: the larger within 1.5x of the smaller).
#
# The deliveries are assembled from a pool of distinct generated pages,
# cycled so that no two neighbouring pages are alike (that would be a
# duplicate fault and change the workload).
# usage: bench/rss_flat.sh [JOBS]   (QUIRE_BIN: the quire binary, default build/quire)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${QUIRE_BIN:-$src/build/quire}
jobs=${1:-2}
work=${QUIRE_BENCH_DIR:-/tmp/quire-bench-rss}
mkdir -p "$work"
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
peak() { # dir -> prints "pages seconds peak_kib"
  local dir=$1
  rm -rf "$dir/out" "$dir/q.db"*
  /usr/bin/python3 - "$bin" "$dir" "$jobs" <<'PY'
import resource, subprocess, sys, time
bin, d, jobs = sys.argv[1:4]
t = time.time()
rc = subprocess.run([bin, "ingest", "--manifest", d + "/manifest.csv", "--out", d + "/out",
                     "--ledger", d + "/q.db", "--jobs", jobs, "--quiet", d + "/scans"]).returncode
el = time.time() - t
if rc not in (0, 1):
    sys.exit("ingest failed: %d" % rc)
print(el, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
make_delivery "$work/d600" 20 30
make_delivery "$work/d6000" 200 30
read -r t1 r1 < <(peak "$work/d600")
read -r t2 r2 < <(peak "$work/d6000")
printf '%-10s %8s %10s %12s\n' delivery pages seconds "peak RSS MB"
awk -v t1="$t1" -v r1="$r1" -v t2="$t2" -v r2="$r2" -v j="$jobs" 'BEGIN {
  printf "%-10s %8d %10.1f %12.1f\n", "d600", 600, t1, r1 / 1024
  printf "%-10s %8d %10.1f %12.1f\n", "d6000", 6000, t2, r2 / 1024
  printf "ratio 6000/600 peak RSS: %.2f (target <= 1.5) at --jobs %s\n", r2 / r1, j }' 
