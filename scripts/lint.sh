#!/usr/bin/env bash
# Lint: formatting (clang-format, .clang-format at the top) and static analysis (cppcheck).
# Exits non-zero on any finding. Usage: scripts/lint.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find src include tests bench tools -name '*.[ch]')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"
echo "lint: cppcheck"
# The option tables write typed fields through byte offsets by design (options.c FIELD()).
cppcheck -q --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
  --inline-suppr --suppress=missingIncludeSystem --suppress=invalidPointerCast:src/core/options.c \
  -D__GNUC__ -Iinclude -Isrc src tests bench tools
echo "lint: clean"
