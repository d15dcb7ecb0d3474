#!/usr/bin/env python3
"""Generates the test media for crosswatch's tests into a folder (idempotent).

Everything is made with the ffmpeg command-line tool from lavfi test sources, then damaged on
purpose where a test needs bad input. Nothing here is copied from elsewhere.
"""
import os
import subprocess
import sys

FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]


def ffmpeg(*args):
    subprocess.run(FF + list(args), check=True)


def make(out, name, fn):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        tmp = path + ".tmp" + os.path.splitext(name)[1]
        fn(tmp)
        os.replace(tmp, path)
    return path


def h264(size, rate, seconds, gop, extra=()):
    def build(path):
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
               "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop),
               "-keyint_min", str(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
               *extra, path)
    return build


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "media"
    os.makedirs(out, exist_ok=True)
    # 4 s, 25 fps, a keyframe every 25 frames: 100 frames, 4 GOPs.
    small = make(out, "small.mp4", h264("320x240", 25, 4, 25, ("-movflags", "+faststart")))
    make(out, "small.ts", h264("320x240", 25, 4, 25, ("-f", "mpegts")))
    # 1280x720 for the 2x2 block path and the RTSP server: 10 s.
    make(out, "hd.mp4", h264("1280x720", 25, 10, 50, ("-b:v", "2M", "-movflags", "+faststart")))
    # 4:4:4 and 4:2:2 JPEG pictures go through the pixel-format converter.
    make(out, "yuv444.mp4", lambda p: ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "libx264",
        "-preset", "veryfast", "-pix_fmt", "yuv444p", p))
    make(out, "mjpeg.avi", lambda p: ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=1", "-c:v", "mjpeg",
        "-pix_fmt", "yuvj422p", p))
    # A raw H.264 elementary stream carries no timestamps of its own.
    make(out, "raw.h264", h264("320x240", 25, 2, 25, ("-f", "h264",)))
    # Audio only: a file with no video stream.
    make(out, "audio.wav", lambda p: ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", p))
    # Resolution changes mid-stream: two MPEG-TS segments joined byte for byte.
    def sizechange(p):
        a, b = p + ".a.ts", p + ".b.ts"
        h264("320x240", 25, 1, 25, ("-f", "mpegts"))(a)
        h264("640x480", 25, 1, 25, ("-f", "mpegts"))(b)
        with open(p, "wb") as f:
            for part in (a, b):
                with open(part, "rb") as g:
                    f.write(g.read())
                os.remove(part)
    make(out, "sizechange.ts", sizechange)

    data = open(small, "rb").read()
    ts = open(os.path.join(out, "small.ts"), "rb").read()
    def write(name, content):
        path = os.path.join(out, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(content)
    # Cut short: the index (moov, at the front) promises frames that are not there.
    write("truncated.mp4", data[: len(data) * 6 // 10])
    write("truncated.ts", ts[: len(ts) * 6 // 10])
    # Bit flips through the middle of the stream, deterministic: every 997th byte of the
    # middle half, past the headers.
    flipped = bytearray(ts)
    for i in range(len(ts) // 4, 3 * len(ts) // 4, 997):
        flipped[i] ^= 0x5A
    write("bitflip.ts", bytes(flipped))
    write("notvideo.txt", b"this is a text file, not a video\n" * 100)
    write("empty.mp4", b"")
    # A video file with garbage from the first byte on: the container cannot be recognised.
    write("garbage.mp4", bytes((i * 7919) % 251 for i in range(200000)))


if __name__ == "__main__":
    main()
