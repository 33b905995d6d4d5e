#!/usr/bin/env bash
# What the project office reads from a whole project's ledger, timed: on a
# ledger of 30,000 files and 1,000,000 pages (bench_ledger_gen) `quire status`
# in all its forms must answer in under 1 s, `quire report --html` in under 5 s.
#
# The ledger is generated once and reused (generation takes about half a
# minute): --fresh makes it again. Its last delivery day is stored beside it
# and given to quire as the day of the figures (QUIRE_TODAY), so a ledger made
# last week still has its throughput windows full. Each command runs once
# cold, right after the ledger's pages were dropped from the page cache
# (fdatasync + posix_fadvise DONTNEED on that one file: the machine's other
# caches stay), and then RUNS times warm; the table gives the cold time and
# the median and maximum of the warm runs, and "met" compares the warm median
# with the target. Times are wall clock (date +%s.%N) around the process.
#
# usage: bench/ledger_scale.sh [--fresh] [--runs N] [--ledger PATH]
#                              [--files N] [--pages N] [--seed N] [BUILD_DIR]
#   BUILD_DIR holds quire and bench/bench_ledger_gen; without it, $QUIRE_BIN
#   names the quire binary (the generator is looked for beside it, in bench/),
#   else build/quire of the source tree.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

fresh=0 runs=5 ledger=/tmp/quire-scale.db files=30000 pages=1000000 seed=1 build=
while [ $# -gt 0 ]; do
  case $1 in
    --fresh) fresh=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --ledger) ledger=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --pages) pages=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ledger_scale.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
if [ -n "$build" ]; then
  quire=$build/quire
else
  quire=${QUIRE_BIN:-$src/build/quire}
fi
gen=$(dirname "$quire")/bench/bench_ledger_gen
[ -x "$quire" ] || { echo "ledger_scale.sh: no quire binary at $quire" >&2; exit 2; }

# ---- the ledger -------------------------------------------------------------
meta=$ledger.gen.txt
if [ "$fresh" = 1 ] || [ ! -f "$ledger" ] || [ ! -f "$meta" ]; then
  [ -x "$gen" ] || { echo "ledger_scale.sh: no generator at $gen" >&2; exit 2; }
  rm -f "$ledger" "$ledger-wal" "$ledger-shm" "$meta"
  end=$(date -u +%Y-%m-%d)
  "$gen" --out "$ledger" --files "$files" --pages "$pages" --seed "$seed" --end "$end" \
    >"$meta.tmp"
  echo "end         $end" >>"$meta.tmp"
  mv "$meta.tmp" "$meta"
  echo "generated:"
else
  echo "reusing (--fresh to make it again):"
fi
sed 's/^/  /' "$meta"
today=$(awk '$1 == "end" { print $2 }' "$meta")
export QUIRE_TODAY=$today
echo "  file now    $(du -m "$ledger" | cut -f1) MiB; quire $quire"
echo "  commit      $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
  git -C "$src" diff --quiet HEAD -- ledger pipeline 2>/dev/null || echo ' (+ uncommitted changes in ledger/ or pipeline/)')"
echo

# ---- timing -----------------------------------------------------------------
now() { date +%s.%N; }

# Drop the ledger's pages from the page cache, so the next run reads the disk.
evict() {
  /usr/bin/python3 - "$ledger" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fdatasync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
PY
}

# One run of the command; prints its seconds, or "exit N" when it failed.
time_once() {
  local t0 t1 rc=0
  t0=$(now)
  "$quire" "$@" --ledger "$ledger" >/dev/null 2>/tmp/ledger_scale.err.$$ || rc=$?
  t1=$(now)
  if [ "$rc" != 0 ]; then echo "exit $rc"; else awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'; fi
}

# median and max of the numbers on stdin
stats() {
  sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f\n", m, v[NR] }'
}

row_fmt="%-34s %7s %7s %7s %7s  %s\n"
printf "$row_fmt" command cold median max target met
row() { # target label args...
  local target=$1 label=$2 first t times=() m x
  shift 2
  evict
  first=$(time_once "$@")
  if [[ $first == exit* ]]; then
    printf "$row_fmt" "$label" - - - "$target" "failed ($first: $(head -c 60 /tmp/ledger_scale.err.$$))"
    return
  fi
  for _ in $(seq "$runs"); do
    t=$(time_once "$@")
    [[ $t == exit* ]] && { printf "$row_fmt" "$label" "$first" - - "$target" "failed ($t)"; return; }
    times+=("$t")
  done
  read -r m x < <(printf '%s\n' "${times[@]}" | stats)
  met=$(awk -v m="$m" -v t="$target" 'BEGIN { print (m < t) ? "met" : "NOT MET" }')
  printf "$row_fmt" "$label" "$first" "$m" "$x" "$target" "$met"
}

row 1 "status" status
row 1 "status --json" status --json
row 1 "status --by box" status --by box
row 1 "status --by month" status --by month
row 1 "status --by batch" status --by batch
html=/tmp/quire-scale-report.$$.html
if "$quire" help report >/dev/null 2>&1; then
  row 5 "report --html" report --html "$html"
  [ -f "$html" ] && echo "report: $(du -k "$html" | cut -f1) KiB of HTML" && rm -f "$html"
else
  echo "report: not available"
fi
rm -f /tmp/ledger_scale.err.$$
echo "(seconds, wall clock; cold = first run with the ledger out of the page cache;"
echo " median and max of $runs warm runs after it; met = warm median under the target)"
