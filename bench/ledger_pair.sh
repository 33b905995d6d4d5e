#!/usr/bin/env bash
# The ledger's share of the wall time, measured so that the machine's other
# load cancels out: quire and the bench-only quire_noledger (ledger commits
# replaced by their checks, bench/ledger_stub.c) ingest the same delivery at
# the same time, --jobs 1 each, one core each, N times with the start order
# swapped every time. Run one after the other (bench/run's ledger figure), the
# two see different neighbours and the difference drowns in that noise; run
# side by side, a neighbour slows both alike.
#
# usage: bench/ledger_pair.sh DELIVERY [N]   (DELIVERY: manifest.csv + scans/)
#   QUIRE_BIN       quire binary (default build/quire)
#   QUIRE_NOLEDGER  bench build (default: bench/quire_noledger beside QUIRE_BIN)
#   QUIRE_BENCH_DIR working directory (default /tmp/quire-bench-ledger)
# Prints each pair's wall times and the ledger share (quire / noledger - 1),
# then the median share.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dlv=${1:?usage: bench/ledger_pair.sh DELIVERY [N]}
n=${2:-3}
bin=${QUIRE_BIN:-$src/build/quire}
nol=${QUIRE_NOLEDGER:-$(dirname "$bin")/bench/quire_noledger}
work=${QUIRE_BENCH_DIR:-/tmp/quire-bench-ledger}
[ -x "$bin" ] && [ -x "$nol" ] || { echo "ledger_pair: need $bin and $nol" >&2; exit 2; }
mkdir -p "$work"

one() { # binary tag -> prints wall seconds
  local d="$work/$2"
  rm -rf "$d" && mkdir -p "$d"
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$1" ingest --manifest "$dlv/manifest.csv" --out "$d/out" --ledger "$d/q.db" \
    --jobs 1 --quiet "$dlv/scans" >"$d/stdout" 2>"$d/stderr" || rc=$?
  t1=$(date +%s.%N)
  [ "$rc" -le 1 ] || { echo "ledger_pair: $2 failed ($rc), see $d/stderr" >&2; exit 2; }
  echo "$t0 $t1" | awk '{printf "%.2f\n", $2 - $1}'
}

shares=()
printf '%-5s %12s %16s %8s\n' pair "quire s" "quire_noledger s" share
for i in $(seq 1 "$n"); do
  if [ $((i % 2)) -eq 1 ]; then
    one "$bin" quire >"$work/a" & sleep 0.2; one "$nol" noledger >"$work/b" & wait
  else
    one "$nol" noledger >"$work/b" & sleep 0.2; one "$bin" quire >"$work/a" & wait
  fi
  a=$(cat "$work/a") b=$(cat "$work/b")
  s=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", 100 * (a / b - 1) }')
  shares+=("$s")
  printf '%-5s %12s %16s %7s%%\n' "$i" "$a" "$b" "$s"
done
printf '%s\n' "${shares[@]}" | sort -g | awk '{v[NR] = $1} END {
  m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "median ledger share of the wall time: %.2f %% over %d pairs (target <= 3 %%)\n", m, NR }'
