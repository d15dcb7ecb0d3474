#!/usr/bin/env python3
"""Where the misses of `crosswatch track` are on one synthetic scenario, by kind of road user box.

  tools/misses.py SCENARIO [OPTIONS...]   e.g. tools/misses.py busy, tools/misses.py queue-red-green

Runs crosswatch track on build/bench-motion/SCENARIO (bench/run.py's render; OPTIONS go to
crosswatch as they are), matches its boxes to the truth frame by frame (greedy, best overlap first,
IoU 0.5 — close to `crosswatch eval tracks`'s matching, not the same: the counts are for telling
causes apart, the scores are eval's) and counts the truth's boxes and the missed ones by width in
the picture, by the share of the road user in view (the truth's visibility column), and whether
the picture's bottom edge cuts the box. A miss with no box of ours touching it is 'alone'; one
that a box of ours overlaps by IoU 0.05 to 0.5 is 'in a box' (a merged blob's, or one misplaced).
Then the road users missed most, and our boxes that matched nothing the longest.
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
CW = os.path.join(BUILD, "crosswatch")
IOU = 0.5


def load(path, truth):
    """{frame: [(id, x, y, w, h, visibility)]}; truth rows marked 0 (ignored by eval) are left out."""
    rows = defaultdict(list)
    with open(path) as f:
        for line in f:
            v = line.strip().split(",")
            if len(v) < 6:
                continue
            if truth and len(v) > 6 and float(v[6]) == 0:
                continue
            vis = float(v[8]) if truth and len(v) > 8 else 1.0
            rows[int(float(v[0]))].append((int(float(v[1])), *map(float, v[2:6]), vis))
    return rows


def iou(a, b):
    ix = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    iy = max(0.0, min(a[2] + a[4], b[2] + b[4]) - max(a[2], b[2]))
    inter = ix * iy
    union = a[3] * a[4] + b[3] * b[4] - inter
    return inter / union if union > 0 else 0.0


ORDER = {
    "width": ("under 8 px", "8-20 px", "20-50 px", "50-120 px", "120 px and over"),
    "in view": ("under a quarter", "a quarter to half", "half to three quarters",
                "three quarters and more"),
    "bottom": ("whole", "cut by the bottom edge"),
}


def bands(box, height):
    """The box's band in each group of ORDER."""
    w, vis = box[3], box[5]
    width = 0 if w < 8 else 1 if w < 20 else 2 if w < 50 else 3 if w < 120 else 4
    seen = 0 if vis < 0.25 else 1 if vis < 0.5 else 2 if vis < 0.75 else 3
    cut = 1 if box[2] + box[4] >= height - 1 else 0
    return [(g, ORDER[g][i]) for g, i in (("width", width), ("in view", seen), ("bottom", cut))]


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    name, extra = sys.argv[1], sys.argv[2:]
    d = os.path.join(BUILD, "bench-motion", name)
    if not os.path.exists(os.path.join(d, "video.mp4")):
        sys.exit(f"misses.py: {d}/video.mp4 is missing: run bench/run.py --only pipeline first")
    with open(os.path.join(d, "scene.json")) as f:
        height = json.load(f)["camera"]["height"]
    with tempfile.TemporaryDirectory() as tmp:
        res_path = os.path.join(tmp, "res.txt")
        subprocess.run([CW, "track", os.path.join(d, "video.mp4"), "--scene",
                        os.path.join(d, "scene.json"), "--out", res_path, *extra],
                       check=True, capture_output=True)
        gt, res = load(os.path.join(d, "gt", "gt.txt"), True), load(res_path, False)
    total, missed, alone = defaultdict(int), defaultdict(int), defaultdict(int)
    per_id, unmatched = defaultdict(int), defaultdict(int)
    n_gt = n_miss = 0
    for fr in sorted(set(gt) | set(res)):
        g, r = gt.get(fr, []), res.get(fr, [])
        pairs = sorted(((iou(a, b), i, j) for i, a in enumerate(g) for j, b in enumerate(r)),
                       reverse=True)
        used_g, used_r = set(), set()
        for v, i, j in pairs:
            if v >= IOU and i not in used_g and j not in used_r:
                used_g.add(i)
                used_r.add(j)
        for i, a in enumerate(g):
            n_gt += 1
            keys = bands(a, height)
            for k in keys:
                total[k] += 1
            if i in used_g:
                continue
            n_miss += 1
            per_id[a[0]] += 1
            touched = max((iou(a, b) for b in r), default=0.0) >= 0.05
            for k in keys:
                missed[k] += 1
                alone[k] += not touched
        for j, b in enumerate(r):
            if j not in used_r:
                unmatched[b[0]] += 1
    print(f"{name}: {n_gt} boxes of the truth, {n_miss} missed "
          f"({100 * n_miss / max(n_gt, 1):.1f} %), {sum(unmatched.values())} of ours match none")
    print(f"{'':8s}{'':26s}{'truth':>7s}{'missed':>8s}{'alone':>7s}{'in a box':>10s}")
    for group, names in ORDER.items():
        for k in ((group, n) for n in names):
            print(f"{group:8s}{k[1]:26s}{total[k]:7d}{missed[k]:8d}{alone[k]:7d}"
                  f"{missed[k] - alone[k]:10d}")
    worst = sorted(per_id.items(), key=lambda kv: -kv[1])[:8]
    print("missed most (truth id: frames):", ", ".join(f"{i}: {n}" for i, n in worst))
    worst = sorted(unmatched.items(), key=lambda kv: -kv[1])[:8]
    print("ours matching none (track id: frames):", ", ".join(f"{i}: {n}" for i, n in worst))


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # (its output cut short by head)
        sys.stderr.close()
