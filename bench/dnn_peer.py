#!/usr/bin/python3
"""OpenCV's DNN module (Debian python3-opencv) on a darknet model: the reference crosswatch's engine
is timed against. Usage: dnn_peer.py model.cfg model.weights [runs] [threads]
Runs one forward pass on a fixed input to warm up, then @runs timed ones; prints one JSON line with
the median and minimum milliseconds."""
import json
import statistics
import sys
import time

import cv2
import numpy as np


def main():
    cfg, weights = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    w = h = None
    for line in open(cfg):
        key = line.split("=")[0].strip()
        if key == "width" and w is None:
            w = int(line.split("=")[1])
        if key == "height" and h is None:
            h = int(line.split("=")[1])
    rng = np.random.default_rng(12345)
    blob = rng.random((1, 3, h, w), dtype=np.float32)
    names = net.getUnconnectedOutLayersNames()
    net.setInput(blob)
    net.forward(names)
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        net.setInput(blob)
        net.forward(names)
        ms.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"median_ms": statistics.median(ms), "min_ms": min(ms)}))


if __name__ == "__main__":
    main()
