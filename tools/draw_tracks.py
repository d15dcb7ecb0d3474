#!/usr/bin/env python3
"""Draws tracks (MOTChallenge rows, as crosswatch track writes them) over frames of a video, with
each track's recent path, and saves PNGs — the pictures in docs/ are made with it. Detections
(id -1, as crosswatch detect writes them) are drawn with their class (11th column) instead.
Usage: /usr/bin/python3 tools/draw_tracks.py video tracks.txt out.png FRAME [FRAME ...]
(FRAME is 1-based; several frames are placed side by side, scaled to 640 wide each)."""
import collections
import sys

import cv2
import numpy as np


CLASS_COLOURS = {"pedestrian": (0, 200, 255), "two_wheeler": (255, 0, 255), "car": (0, 255, 0),
                 "bus_truck": (255, 128, 0)}


def main():
    video, tracks, out = sys.argv[1:4]
    frames = [int(f) for f in sys.argv[4:]]
    rows = collections.defaultdict(list)
    for line in open(tracks):
        c = line.split(",")
        label = c[10].strip() if len(c) > 10 else ""
        rows[int(c[0])].append((int(c[1]), *map(float, c[2:6]), label))
    cap = cv2.VideoCapture(video)
    tiles = []
    for f in frames:
        cap.set(cv2.CAP_PROP_POS_FRAMES, f - 1)
        ok, img = cap.read()
        if not ok:
            sys.exit(f"draw_tracks: no frame {f} in {video}")
        for tid, x, y, w, h, label in rows.get(f, []):
            if tid < 0:  # a detection: colour and name by class
                col = CLASS_COLOURS.get(label, (200, 200, 200))
                cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), col, 2)
                cv2.putText(img, label, (int(x), max(12, int(y) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                            0.45, col, 1)
                continue
            rnd = (tid * 2654435761) & 0xFFFFFF
            col = (rnd & 255, (rnd >> 8) & 255, (rnd >> 16) & 255)
            path = [(int(px + pw / 2), int(py + ph)) for g in range(max(1, f - 50), f + 1)
                    for (t2, px, py, pw, ph, _) in rows.get(g, []) if t2 == tid]
            for a, b in zip(path, path[1:]):
                cv2.line(img, a, b, col, 2)
            cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), col, 2)
            cv2.putText(img, str(tid), (int(x), max(12, int(y) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.6, col, 2)
        scale = 640 / img.shape[1]
        tiles.append(cv2.resize(img, (640, int(img.shape[0] * scale))))
    h = max(t.shape[0] for t in tiles)
    tiles = [np.vstack([t, np.zeros((h - t.shape[0], 640, 3), np.uint8)]) for t in tiles]
    cv2.imwrite(out, np.hstack(tiles))


if __name__ == "__main__":
    main()
