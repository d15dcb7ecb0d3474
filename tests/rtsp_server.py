#!/usr/bin/env python3
"""A loopback RTSP camera for crosswatch's tests, on GStreamer's RTSP server.

Serves a live H.264 test picture at rtsp://127.0.0.1:PORT/cam. With --stop-after S the server
exits S seconds after the first client connects, as a camera that drops would. Prints "ready"
on stdout once it listens.
Usage: rtsp_server.py PORT [--stop-after S] [--size WxH] [--fps N]
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--stop-after", type=float, default=0)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--max-seconds", type=float, default=120,
                    help="exit after this long whatever happens (tests must end)")
    args = ap.parse_args()
    w, h = args.size.split("x")

    Gst.init(None)
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},"
        f"framerate={args.fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={args.fps} ! rtph264pay name=pay0 pt=96 config-interval=1 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        sys.exit(1)

    def on_client(_server, _client):
        if args.stop_after > 0:
            GLib.timeout_add(int(args.stop_after * 1000), loop.quit)

    server.connect("client-connected", on_client)
    GLib.timeout_add(int(args.max_seconds * 1000), loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
