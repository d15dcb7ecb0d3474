#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, runs the lint,
# builds and runs every test in the normal build and again under ASan + UBSan.
# This is what CI runs (.ci/run). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/lint.sh

passed=0
failed=0
run_suite() { # $1 build dir
  local log rc=0
  log=$(mktemp)
  (cd "$1" && ctest --output-on-failure -j 2 --timeout 900) 2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 9"
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  if [ -z "$line" ]; then total=1; bad=1; fi
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  rm -f "$log"
  return $rc
}

status=0
scripts/build.sh release
run_suite build || status=1
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build-asan || status=1

echo
echo "tests: $passed passed, $failed failed"
exit $status
