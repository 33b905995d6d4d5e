# Shared helpers for the end-to-end tests (sourced, not run). A test calls
# e2e_init NAME, records results with ok/bad, and ends with e2e_finish, which
# prints "N passed, M failed" and exits 0 only when nothing failed. Exit 77
# (e2e_skip) tells ctest the machine lacks what the test needs.
: "${QUIRE_BIN:?QUIRE_BIN must name the quire binary}"
: "${QUIRE_SRC:?QUIRE_SRC must name the source tree}"
: "${QUIRE_BUILD:?QUIRE_BUILD must name the build tree}"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
E2E_PASSED=0
E2E_FAILED=0

e2e_init() { # NAME: a fresh work directory in $work
  work="$QUIRE_BUILD/testout/$1"
  rm -rf "$work" && mkdir -p "$work"
}
ok() { echo "ok: $*"; E2E_PASSED=$((E2E_PASSED + 1)); }
bad() { echo "FAIL: $*"; E2E_FAILED=$((E2E_FAILED + 1)); }
e2e_skip() { echo "SKIP: $*"; exit 77; }
e2e_finish() {
  echo "$E2E_PASSED passed, $E2E_FAILED failed"
  [ "$E2E_FAILED" -eq 0 ]
  exit $?
}

# The corpus of real scans, when ../shared is present.
e2e_corpus() { # prints the directory or fails
  local d="${QUIRE_SHARED:-}/corpus/real"
  [ -n "${QUIRE_SHARED:-}" ] && [ -d "$d" ] && echo "$d"
}
e2e_is_image() { case "${1,,}" in *.tif|*.tiff|*.jpg|*.jpeg|*.png) return 0 ;; esac; return 1; }

# Archive checks (PDF/A checker when ../shared exists, then five readers).
e2e_check_archive() { # PDF FLAVOUR; ok/bad with the checker's one-line summary
  local out
  if out=$(bash "$QUIRE_SRC/tests/e2e/check_archive.sh" "$1" "$2" 2>&1); then
    E2E_PASSED=$((E2E_PASSED + 1)); echo "$out"
  else
    echo "$out"; E2E_FAILED=$((E2E_FAILED + 1))
  fi
}
e2e_pages() { pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}'; }
# Leftovers of an aborted write in a directory: convert's "<name>.tmp-<pid>-<n>"
# beside its output, ingest's files in OUT/.quire-tmp.
e2e_temp_files() {
  { find "$1" -maxdepth 1 -name '*.tmp-*' ! -name '*.pdf'
    [ -d "$1/.quire-tmp" ] && find "$1/.quire-tmp" -type f; } | wc -l
}

# convert_fails NAME OUT INPUT...: quire convert must exit 1, name every
# failing input on stderr ("quire convert: FILE: ...") and leave no OUT and no
# temporary file next to it. $E2E_EXPECT_NAMED lists the inputs to be named.
convert_fails() {
  local name=$1 out=$2 rc=0
  shift 2
  "$QUIRE_BIN" convert -o "$out" "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
  local why=""
  [ "$rc" -eq 1 ] || why="exit $rc (want 1)"
  [ -e "$out" ] && why="$why; $out was written"
  [ "$(e2e_temp_files "$(dirname "$out")")" -eq 0 ] || why="$why; temporary file left"
  local f
  for f in ${E2E_EXPECT_NAMED:-}; do
    grep -qF "quire convert: $f: " "$work/stderr" || why="$why; $f not named"
  done
  if [ -z "$why" ]; then
    ok "$name: exit 1, nothing written: $(head -n 1 "$work/stderr")"
  else
    bad "$name: $why; stderr: $(head -c 400 "$work/stderr")"
  fi
}
