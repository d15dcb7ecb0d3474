#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: installs what is missing, builds crosswatch, makes a
# 1080p25 H.264 clip of its own, and runs crosswatch on it: probe the clip, check the example
# scene, and decode the clip through the input path, reporting throughput.
# Usage: scripts/demo.sh [clip]   (default: generates out/demo/demo-1080p25.mp4)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
cw=build/crosswatch

clip=${1:-}
if [ -z "$clip" ]; then
  mkdir -p out/demo
  clip=out/demo/demo-1080p25.mp4
  if [ ! -s "$clip" ]; then
    echo "demo: generating $clip (10 s of 1920x1080 at 25 fps, H.264 4 Mbit/s)"
    ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=10,noise=alls=6:allf=t" \
      -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M -g 50 -pix_fmt yuv420p \
      -movflags +faststart "$clip"
  fi
fi

echo
echo "== crosswatch probe $clip"
$cw probe "$clip"
echo
echo "== crosswatch scene check examples/intersection.json"
$cw scene check examples/intersection.json
echo
echo "== crosswatch decode $clip"
$cw decode "$clip"
