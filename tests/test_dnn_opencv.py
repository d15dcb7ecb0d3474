#!/usr/bin/env python3
"""crosswatch's darknet engine against OpenCV's DNN module (cv2.dnn.readNetFromDarknet) on the
Yolo-Fastest models in ../shared/data, 20 frames of the real clips: every yolo layer's decoded
output equal within 1e-3, and the boxes after per-class NMS matching one to one at IoU >= 0.99.
Skips, saying why, without ../shared/data or without python3-opencv."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("CW_SHARED_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
RUNNER = os.environ.get("CW_BENCH_DNN", "")
CONF, NMS = 0.25, 0.45
OPENCV_CLASS_FLOOR = 0.2  # OpenCV's region layer zeroes class scores at or below this


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(0)


try:
    import cv2
    import numpy as np
except ImportError:
    skip("python3-opencv / python3-numpy are not installed (scripts/setup.sh installs them)")


def frames():
    """20 frames spread over the clips, as BGR images."""
    clips = sorted(f for f in os.listdir(os.path.join(SHARED, "clips")) if f.endswith(".mp4"))
    per = -(-20 // len(clips))
    out = []
    for name in clips:
        cap = cv2.VideoCapture(os.path.join(SHARED, "clips", name))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or 100
        for k in range(per):
            cap.set(cv2.CAP_PROP_POS_FRAMES, (k * n) // per)
            ok, img = cap.read()
            if ok:
                out.append((f"{name}#{(k * n) // per}", img))
    return out[:20]


def iou(a, b):
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    i = iw * ih
    return i / (a[2] * a[3] + b[2] * b[3] - i)


def opencv_boxes(outs):
    """Per-class NMS on OpenCV's outputs, as crosswatch does it."""
    rows = np.concatenate(outs)
    boxes = []
    for c in range(rows.shape[1] - 5):
        sel = rows[rows[:, 5 + c] >= CONF]
        if not len(sel):
            continue
        b = [[float(r[0] - r[2] / 2), float(r[1] - r[3] / 2), float(r[2]), float(r[3])] for r in sel]
        s = [float(r[5 + c]) for r in sel]
        for i in np.array(cv2.dnn.NMSBoxes(b, s, CONF, NMS)).flatten():
            boxes.append((b[i], s[i], c))
    return boxes


def main():
    model_dir = os.path.join(SHARED, "models", "yolo-fastest-1.1")
    if not os.path.isdir(model_dir):
        skip(f"{model_dir} is absent")
    if not RUNNER or not os.path.exists(RUNNER):
        skip("CW_BENCH_DNN does not name the bench_dnn program")
    cv2.setNumThreads(1)
    images = frames()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in ("yolo-fastest-1.1", "yolo-fastest-1.1-xl"):
            cfg, weights = (os.path.join(model_dir, model + ext) for ext in (".cfg", ".weights"))
            net = cv2.dnn.readNetFromDarknet(cfg, weights)
            names = net.getUnconnectedOutLayersNames()
            worst, nboxes = 0.0, 0
            for label, img in images:
                blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (320, 320), swapRB=True, crop=False)
                blob_path, out_path = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
                blob.astype(np.float32).tofile(blob_path)
                net.setInput(blob)
                outs = net.forward(names)
                r = subprocess.run([RUNNER, cfg, weights, "--runs", "1", "--blob", blob_path,
                                    "--out", out_path, "--boxes", str(CONF), str(NMS)],
                                   capture_output=True, text=True)
                if r.returncode:
                    failures.append(f"{model} {label}: bench_dnn failed: {r.stderr.strip()}")
                    continue
                ours = np.fromfile(out_path, np.float32)
                off = 0
                for k, o in enumerate(outs):
                    m = ours[off:off + o.size].reshape(o.shape).copy()
                    off += o.size
                    cls = m[:, 5:]
                    near = np.abs(cls - OPENCV_CLASS_FLOOR) < 1e-3  # either side of OpenCV's cut
                    cls[cls <= OPENCV_CLASS_FLOOR] = 0
                    d = np.abs(m - o)
                    d[:, 5:][near] = 0
                    worst = max(worst, float(d.max()))
                    if d.max() > 1e-3:
                        i = np.unravel_index(d.argmax(), d.shape)
                        failures.append(f"{model} {label} yolo {k}: row {i[0]} col {i[1]}: "
                                        f"crosswatch {m[i]:.6f}, OpenCV {o[i]:.6f}")
                if off != ours.size:
                    failures.append(f"{model} {label}: {ours.size} outputs, OpenCV {off}")
                mine = [json.loads(line) for line in r.stdout.splitlines() if '"box"' in line]
                theirs = opencv_boxes(outs)
                nboxes += len(theirs)
                used = set()
                for b, s, c in theirs:
                    match = [j for j, x in enumerate(mine) if j not in used and x["class"] == c
                             and iou(x["box"], b) >= 0.99]
                    if match:
                        used.add(match[0])
                    elif abs(s - CONF) > 1e-3:
                        failures.append(f"{model} {label}: OpenCV's box {c} {s:.3f} {b} has no match")
                for j, x in enumerate(mine):
                    if j not in used and abs(x["score"] - CONF) > 1e-3:
                        failures.append(f"{model} {label}: crosswatch's box {x} has no match")
            print(f"{model}: {len(images)} frames, largest output difference {worst:.2e}, "
                  f"{nboxes} boxes after NMS")
    if failures:
        print("\n".join(failures[:40]))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
