#!/usr/bin/env python3
"""crosswatch's darknet engine against OpenCV's DNN module (cv2.dnn.readNetFromDarknet).

Always: yolov3-tiny and yolov4-tiny (the cfgs in bench/models: dense 3x3 convolutions, stride-1
maxpool, route groups, scale_x_y) with random weights that bench_dnn makes, on a random input —
every decoded output equal within 1e-3 (relative, for the large box sizes random weights give).
With ../shared/data: the trained Yolo-Fastest models on 20 frames of the real clips — outputs equal
within 1e-3, and the boxes after per-class NMS matching one to one at IoU >= 0.99.
Skips, saying why, without python3-opencv; the second part skips without ../shared/data."""
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


def compare(ours, outs, label, failures):
    """Our decoded outputs against OpenCV's; returns the largest difference seen."""
    worst, off = 0.0, 0
    for k, o in enumerate(outs):
        m = ours[off:off + o.size].reshape(o.shape).copy()
        off += o.size
        cls = m[:, 5:]
        near = np.abs(cls - OPENCV_CLASS_FLOOR) < 1e-3  # either side of OpenCV's cut
        cls[cls <= OPENCV_CLASS_FLOOR] = 0
        d = np.abs(m - o) / np.maximum(1.0, np.abs(o))
        d[:, 5:][near] = 0
        worst = max(worst, float(d.max()))
        if d.max() > 1e-3:
            i = np.unravel_index(d.argmax(), d.shape)
            failures.append(f"{label} yolo {k}: row {i[0]} col {i[1]}: crosswatch {m[i]:.6f}, "
                            f"OpenCV {o[i]:.6f}")
    if off != ours.size:
        failures.append(f"{label}: {ours.size} outputs, OpenCV {off}")
    return worst


def random_weight_models(tmp, failures):
    for model in ("yolov3-tiny-320", "yolov4-tiny-320"):
        cfg = os.path.join(HERE, "..", "bench", "models", model + ".cfg")
        weights, blob_path, out_path = (os.path.join(tmp, model + e) for e in (".weights", ".in", ".out"))
        r = subprocess.run([RUNNER, cfg, weights, "--random-weights", "--runs", "1"], capture_output=True,
                           text=True)
        if r.returncode:
            failures.append(f"{model}: bench_dnn --random-weights failed: {r.stderr.strip()}")
            continue
        blob = np.random.default_rng(7).random((1, 3, 320, 320), dtype=np.float32)
        blob.tofile(blob_path)
        net = cv2.dnn.readNetFromDarknet(cfg, weights)
        net.setInput(blob)
        outs = net.forward(net.getUnconnectedOutLayersNames())
        r = subprocess.run([RUNNER, cfg, weights, "--runs", "1", "--blob", blob_path, "--out", out_path],
                           capture_output=True, text=True)
        if r.returncode:
            failures.append(f"{model}: bench_dnn failed: {r.stderr.strip()}")
            continue
        worst = compare(np.fromfile(out_path, np.float32), outs, model, failures)
        print(f"{model} (random weights): largest relative output difference {worst:.2e}")


def main():
    if not RUNNER or not os.path.exists(RUNNER):
        skip("CW_BENCH_DNN does not name the bench_dnn program")
    cv2.setNumThreads(1)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        random_weight_models(tmp, failures)
    model_dir = os.path.join(SHARED, "models", "yolo-fastest-1.1")
    if not os.path.isdir(model_dir):
        if failures:
            print("\n".join(failures[:40]))
            sys.exit(1)
        skip(f"the trained models: {model_dir} is absent")
    images = frames()
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
                worst = max(worst, compare(np.fromfile(out_path, np.float32), outs, f"{model} {label}",
                                           failures))
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
