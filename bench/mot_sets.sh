#!/usr/bin/env bash
# Runs `crosswatch mot` on the MOTChallenge sets in ../shared/data/mot and scores the result with
# `crosswatch eval tracks`. Usage: bench/mot_sets.sh [tracker options, e.g. --keep-s=1.2]
# Prints the COMBINED row per set (HOTA MOTA IDF1 IDSW …) and, with --json, one JSON object each.
set -euo pipefail
cd "$(dirname "$0")/.."
cw=build/crosswatch
data=../shared/data/mot
out=build/bench-mot
[ -d "$data" ] || { echo "mot_sets: $data is absent"; exit 0; }
json=""
args=()
for a in "$@"; do
  if [ "$a" = "--json" ]; then json=--json; else args+=("$a"); fi
done
for set in MOT17 MOT15; do
  rm -rf "$out/$set"; mkdir -p "$out/$set"
  for seq in "$data/$set"/*/; do
    name=$(basename "$seq")
    $cw mot --det "$seq/det/det.txt" --seqinfo "$seq/seqinfo.ini" --out "$out/$set/$name.txt" \
      "${args[@]}" >/dev/null
  done
  if [ -n "$json" ]; then
    $cw eval tracks --gt "$data/$set" --res "$out/$set" --json | tail -n 1 | sed "s/\"COMBINED\"/\"$set\"/"
  else
    echo "$set: $($cw eval tracks --gt "$data/$set" --res "$out/$set" | tail -n 1)"
  fi
done
