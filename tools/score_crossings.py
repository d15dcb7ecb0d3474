#!/usr/bin/env python3
"""Scores crosswatch's tracks against pedestrian crossings labelled by eye on a real clip
(tests/real/crosswalk.labels.json): recall (labelled crossings followed by a track) and precision
(tracks that cross the crosswalk and are a labelled person, whole or a piece of one), how many
tracks each found person was split into, and the vehicles reported for failing to yield against
those labelled.

usage: score_crossings.py LABELS SCENE TRACKS [--classes CLASSES] [--events EVENTS.jsonl] [--json]

A track crosses when its foot point (bottom centre of its box) is inside the scene's crosswalk
zone for at least MIN_FRAMES frames (and, with --classes, its class is pedestrian). A labelled
person is followed by a track when, over the frames both exist, the track's foot point is within
MAX_PX pixels of the labelled one (interpolated between the labelled frames) at the median, for at
least half of the labelled span; a track is (a piece of) a labelled person when it is that close
over at least MIN_FRAMES frames of the labelled span. Standard library only."""
import argparse
import json
import statistics
import sys

MIN_FRAMES = 5
MAX_PX = 20.0


def inside(poly, x, y):
    n, c = len(poly), False
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            c = not c
    return c


def feet_at(keys, f):
    for (f0, x0, y0), (f1, x1, y1) in zip(keys, keys[1:]):
        if f0 <= f <= f1:
            t = (f - f0) / (f1 - f0)
            return x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("scene")
    ap.add_argument("tracks")
    ap.add_argument("--classes")
    ap.add_argument("--events")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    labels = json.load(open(a.labels))
    scene = json.load(open(a.scene))
    walk = next(z["polygon"] for z in scene["zones"] if z["kind"] == "crosswalk")
    tracks = {}
    for line in open(a.tracks):
        r = line.strip().split(",")
        if len(r) < 6:
            continue
        f, tid, x, y, w, h = int(r[0]) - 1, int(r[1]), *map(float, r[2:6])
        tracks.setdefault(tid, {})[f] = (x + w / 2, y + h)
    classes = {}
    if a.classes:
        for line in open(a.classes):
            tid, cls = line.strip().split(",")[:2]
            classes[int(tid)] = cls
    crossing = [t for t, feet in tracks.items()
                if sum(inside(walk, x, y) for x, y in feet.values()) >= MIN_FRAMES
                and (not classes or classes.get(t) == "pedestrian")]
    # every (label, track) pair that follows, best first; one track per label
    pairs, pieces = [], set()
    for lab in labels["pedestrian_crossings"]:
        keys = lab["feet"]
        span = range(keys[0][0], keys[-1][0] + 1) if len(keys) > 1 else range(keys[0][0], keys[0][0] + 1)
        for t, feet in tracks.items():
            d = [((fx - px) ** 2 + (fy - py) ** 2) ** 0.5
                 for f in span if f in feet and (p := feet_at(keys, f) if len(keys) > 1 else keys[0][1:])
                 for (fx, fy), (px, py) in [(feet[f], p)]]
            if len(d) >= MIN_FRAMES and statistics.median(d) <= MAX_PX:
                pieces.add(t)
            if len(d) >= max(1, len(span) // 2) and statistics.median(d) <= MAX_PX:
                pairs.append((statistics.median(d), lab["id"], t))
    pairs.sort()
    found, used = {}, set()
    for d, lid, t in pairs:
        if lid not in found and t not in used:
            found[lid] = t
            used.add(t)
    tp = [t for t in crossing if t in pieces]
    out = {
        "labelled": len(labels["pedestrian_crossings"]),
        "found": len(found),
        "recall": len(found) / max(1, len(labels["pedestrian_crossings"])),
        "crossing_tracks": len(crossing),
        "crossing_tracks_of_labelled": len(tp),
        "precision": len(tp) / len(crossing) if crossing else None,
        "tracks_per_found_person": len(tp) / len(found) if found else None,
        "matched": found,
        "missed": [l["id"] for l in labels["pedestrian_crossings"] if l["id"] not in found],
    }
    if a.events:
        ev = [json.loads(l) for l in open(a.events) if l.strip()]
        out["fail_to_yield_reported"] = sum(e["rule"] == "fail_to_yield" for e in ev)
        out["fail_to_yield_labelled"] = len(labels["vehicles_crossing_with_pedestrians"])
    if a.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:28} {v}")


if __name__ == "__main__":
    sys.exit(main())
