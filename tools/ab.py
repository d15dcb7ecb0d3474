#!/usr/bin/env python3
"""A/B a detector, tracker or rule setting on the synthetic suite, scenario by scenario.

  tools/ab.py tracks [OPTIONS...]   crosswatch track on the seven pipeline scenarios: MOTA/IDF1
  tools/ab.py rules  [OPTIONS...]   crosswatch analyze on every rendered scenario: TP/FP/missed

The options go to crosswatch as they are (e.g. `tools/ab.py tracks --split`, `tools/ab.py rules
--colour 0`); run it once without them for the baseline. The renders are bench/run.py's
(build/bench-motion, build/bench-rules): run `bench/run.py --runs 1 --only pipeline --only rules
--no-write` first on a fresh build tree. Accuracy only: frames/s here are not benchmarks.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
CW = os.path.join(BUILD, "crosswatch")
PIPELINE = ("red-light-ebike", "pedestrian-red", "queue-red-green", "speeding", "busy",
            "nuisance-noise-compression", "nuisance-night")


def run(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def tracks(extra, tmp):
    for name in PIPELINE:
        d = os.path.join(BUILD, "bench-motion", name)
        if not os.path.exists(os.path.join(d, "video.mp4")):
            sys.exit(f"ab.py: {d}/video.mp4 is missing: run bench/run.py --only pipeline first")
        out = os.path.join(tmp, name + ".txt")
        run([CW, "track", os.path.join(d, "video.mp4"), "--scene", os.path.join(d, "scene.json"),
             "--out", out, *extra])
        m = json.loads(run([CW, "eval", "tracks", "--gt", d, "--res", out, "--json"]))
        print(f"{name:28s} MOTA {100 * m['MOTA']:6.1f}  IDF1 {100 * m['IDF1']:5.1f}  "
              f"ID switches {m['IDSW']}")


def rules(extra, tmp):
    base = os.path.join(BUILD, "bench-rules")
    if not os.path.isdir(base):
        sys.exit(f"ab.py: {base} is missing: run bench/run.py --only rules first")
    tp = fp = fn = 0
    for name in sorted(os.listdir(base)):
        d = os.path.join(base, name)
        if not os.path.exists(os.path.join(d, "video.mp4")):
            continue
        out = os.path.join(tmp, name)
        run([CW, "analyze", os.path.join(d, "video.mp4"), "--scene", os.path.join(d, "scene.json"),
             "--out", out, "--quiet", "--no-evidence", *extra])
        rows = [json.loads(line) for line in
                run([CW, "eval", "events", "--truth", os.path.join(d, "truth.json"), "--events",
                     os.path.join(out, "events.jsonl"), "--json"]).splitlines()]
        a = next(r for r in rows if r["type"] == "all")
        tp, fp, fn = tp + a["tp"], fp + a["fp"], fn + a["fn"]
        if a["fp"] or a["fn"]:
            wrong = ", ".join(f"{r['type']} {r['tp']}/{r['fp']}/{r['fn']}" for r in rows
                              if r["type"] != "all" and (r["fp"] or r["fn"]))
            print(f"{name:28s} {wrong}")
    print(f"{'suite':28s} {tp} true positives, {fp} false positives, {fn} missed")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("tracks", "rules"):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        (tracks if sys.argv[1] == "tracks" else rules)(sys.argv[2:], tmp)


if __name__ == "__main__":
    main()
