#!/usr/bin/env bash
# The two set-up commands of the README:
#   ./run.sh demo   install, build, generate a sample delivery, ingest it
#   ./run.sh test   install, build, run the whole test suite
# Extra CMake flags come from $QUIRE_CMAKE_FLAGS (CI passes -DQUIRE_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")"
build=${QUIRE_BUILD_DIR:-build}

setup() {
  bash scripts/install-deps.sh all
  # shellcheck disable=SC2086
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${QUIRE_CMAKE_FLAGS:-} >/dev/null
  cmake --build "$build" -j "$(nproc)"
}

demo() {
  setup
  rm -rf out/sample out/archive out/quire.db*
  /usr/bin/python3 tools/make_sample.py --delivery --files 6 --pages-min 2 --pages-max 8 \
    --seed 1 --faults --out out/sample
  local rc=0
  "$build/quire" ingest --manifest out/sample/manifest.csv --out out/archive \
    --ledger out/quire.db out/sample/scans || rc=$?
  echo
  "$build/quire" status --ledger out/quire.db
  echo
  echo "archives: $(ls out/archive | wc -l) in out/archive; ledger: out/quire.db"
  echo "the sample has a missing page, a truncated page and a blank page:"
  echo "ingest exits 1 (some files faulty) by design; exit code was $rc"
  [ "$rc" -le 1 ]
}

tests() {
  setup
  ctest --test-dir "$build" --output-on-failure -j 2
}

case "${1:-}" in
  demo) demo ;;
  test) tests ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
