#!/usr/bin/env bash
# Installs the Debian 12 packages crosswatch needs to build, test, benchmark and run its demo.
# Idempotent: installs only what is missing, and does nothing when everything is there.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  # libraries: video (FFmpeg), JSON
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libcjson-dev
  # pictures (JPEG), for signal-head crops and evidence; the embedded event store
  libturbojpeg0-dev libsqlite3-dev
  # evidence: SHA-256 (OpenSSL's libcrypto), overlay text (FreeType, DejaVu, and Droid's fallback
  # font for Chinese site names)
  libssl-dev libfreetype-dev fonts-dejavu-core fonts-droid-fallback
  # crosswatch run: the /metrics endpoint (and later the HTTP API)
  libmicrohttpd-dev
  # tests: unit tests, test media, the loopback RTSP camera, lint
  libcmocka-dev ffmpeg python3 clang-format cppcheck
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly
  # the reference the DNN engine is checked (and benchmarked) against: OpenCV's DNN module
  python3-opencv python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: done"
