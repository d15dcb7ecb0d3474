#!/usr/bin/env python3
"""The reference for crosswatch's motion detector: OpenCV's BackgroundSubtractorMOG2 with shadow
detection (Debian python3-opencv, one thread) on the same frames — the picture resized to
640 pixels wide (INTER_AREA) and made grey, as crosswatch's analysis image is — timed per
apply(). With the renderer's truth masks it scores the road-user mask like bench_motion: truth
shadows count as background and the first 50 frames are not scored.
Usage: /usr/bin/python3 mog2_peer.py video.mp4 [masks.mkv]. Prints one JSON line."""
import json
import sys
import time

import cv2
import numpy as np

cv2.setNumThreads(1)
cap = cv2.VideoCapture(sys.argv[1])
mcap = cv2.VideoCapture(sys.argv[2]) if len(sys.argv) > 2 else None
mog = cv2.createBackgroundSubtractorMOG2(detectShadows=True)
times, tp, fp, fn, n = [], 0, 0, 0, 0
size = None
while True:
    ok, frame = cap.read()
    if not ok:
        break
    if size is None:
        h, w = frame.shape[:2]
        size = (640, h * 640 // w // 2 * 2) if w > 640 else (w, h)
    grey = cv2.cvtColor(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    t0 = time.perf_counter()
    fg = mog.apply(grey)
    times.append(time.perf_counter() - t0)
    if mcap is not None:
        ok, m = mcap.read()
        if ok and n >= 50:
            truth = cv2.resize(m[:, :, 0], size, interpolation=cv2.INTER_AREA) > 200
            ours = fg == 255
            tp += int(np.sum(truth & ours))
            fp += int(np.sum(~truth & ours))
            fn += int(np.sum(truth & ~ours))
    n += 1
times.sort()
med = times[len(times) // 2] * 1e6
p = tp / (tp + fp) if tp + fp else 1.0
r = tp / (tp + fn) if tp + fn else 1.0
print(json.dumps({"frames": n, "median_us": round(med, 1),
                  "ns_per_pixel": round(med * 1e3 / (size[0] * size[1]), 2),
                  "precision": round(p, 4), "recall": round(r, 4),
                  "f1": round(2 * p * r / (p + r), 4) if p + r else 0}))
