#!/usr/bin/env bash
# Runs every benchmark against its reference and rewrites the tables in docs/BENCHMARKS.md.
# Usage: scripts/bench.sh [bench/run.py options, e.g. --runs 9 --only decode]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec /usr/bin/python3 bench/run.py "$@"
