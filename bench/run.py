#!/usr/bin/env python3
"""crosswatch's benchmarks: runs each one against its named reference in the same invocation,
in alternating runs, and rewrites its table in docs/BENCHMARKS.md.

Usage: bench/run.py [--runs N] [--only NAME] [--no-write]
Needs a release build in build/ (scripts/bench.sh makes one first).

Benchmarks:
  decode   crosswatch's input path (demux, packet ring, decode, grey analysis image) against
           `ffmpeg -threads N -i X -f null -` on 1080p25 and 720p25 H.264 clips it generates,
           N = 1 and 2.
  resample the grey analysis image alone, per frame (no reference: a cost breakdown).
  synth    crosswatch-synth rendering + H.264 encoding at 1280x720 on one core, in multiples of
           real time (target: >= 4x).
  tracker  crosswatch mot on the MOTChallenge sets (../shared/data/mot), scored by crosswatch eval,
           beside the issue's SORT/ByteTrack/OC-SORT figures; tracker speed on MOT17-04; cost per
           frame for 1, 10, 100 and 500 objects.
  motion   the motion detector on the 640-wide analysis image, one thread, against OpenCV's
           MOG2 with shadow detection on the same frames (python3-opencv): time per frame, and
           per-pixel F1 of the road-user mask on rendered scenarios with truth masks.
  pipeline crosswatch track (motion detector + tracker) on rendered scenarios: MOTA, IDF1, HOTA
           against the exact truth, and class accuracy per track.
  run-cameras  crosswatch run on N paced 1080p25 cameras: frames in, analysed, dropped; memory.
  clip     evidence clips cut from the packet ring against ffmpeg re-encoding the same span.
  real-crosswalk  crossings labelled by eye on ../shared/data/clips/crosswalk.mp4 against
           crosswatch track (motion and DNN) and analyze: recall, precision, failures to yield.
  eval     crosswatch eval tracks on MOT17-04 (1050 frames, ~47,000 boxes) against a perturbed
           copy of its ground truth (needs ../shared/data).
"""
import argparse
import datetime
import hashlib
import random
import shutil
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
CW = os.path.join(BUILD, "crosswatch")
MEDIA = os.path.join(BUILD, "bench-media")
DOC = os.path.join(ROOT, "docs", "BENCHMARKS.md")

CLIPS = {
    # name: (size, bit rate) — 20 s at 25 fps, a keyframe every 2 s, like a street camera
    "1080p25": ("1920x1080", "4M"),
    "720p25": ("1280x720", "2M"),
}


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return (f"{cpu}, {os.cpu_count()} vCPU, Linux {platform.release()}; "
            f"{ff.split(' Copyright')[0]}")


def make_clip(name):
    size, rate = CLIPS[name]
    os.makedirs(MEDIA, exist_ok=True)
    path = os.path.join(MEDIA, f"{name}.mp4")
    if not os.path.exists(path):
        tmp = path + ".tmp.mp4"
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=size={size}:rate=25:duration=20,noise=alls=6:allf=t",
             "-c:v", "libx264", "-preset", "medium", "-b:v", rate, "-maxrate", rate,
             "-bufsize", "8M", "-g", "50", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
             tmp], check=True)
        os.replace(tmp, path)
    return path


def timed(cmd):
    """Wall seconds of one run of @cmd, and its stdout."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{p.stderr}")
    return dt, p.stdout


def fmt_range(values):
    return f"{min(values):.0f}–{max(values):.0f}"


def bench_decode(runs):
    rows = []
    for name in CLIPS:
        clip = make_clip(name)
        _, out = timed([CW, "decode", clip, "--json"])
        frames = json.loads(out)["frames"]
        for threads in (1, 2):
            ref_cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-threads", str(threads),
                       "-i", clip, "-f", "null", "-"]
            cw_cmd = [CW, "decode", clip, "--threads", str(threads), "--json"]
            ref_fps, cw_fps, ratios = [], [], []
            timed(ref_cmd)  # warm the page cache and both binaries
            timed(cw_cmd)
            for i in range(runs):
                # Alternate which goes first: the machine's speed drifts between runs.
                order = [(ref_cmd, ref_fps), (cw_cmd, cw_fps)]
                if i % 2:
                    order.reverse()
                for cmd, acc in order:
                    dt, _ = timed(cmd)
                    acc.append(frames / dt)
                ratios.append(cw_fps[-1] / ref_fps[-1])
            rows.append({
                "clip": name, "threads": threads, "frames": frames,
                "ref": statistics.median(ref_fps), "ref_range": fmt_range(ref_fps),
                "cw": statistics.median(cw_fps), "cw_range": fmt_range(cw_fps),
                "ratio": statistics.median(ratios),
                "ratio_range": f"{min(ratios):.2f}–{max(ratios):.2f}",
            })
            r = rows[-1]
            print(f"decode {name} threads={threads}: ffmpeg {r['ref']:.1f} fps, "
                  f"crosswatch {r['cw']:.1f} fps, ratio {r['ratio']:.3f}", flush=True)
    lines = [
        "| clip | threads | `ffmpeg -f null` frames/s (min–max) | crosswatch decode frames/s (min–max) | ratio, median of pairs (min–max) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['clip']} ({r['frames']} frames) | {r['threads']} | "
                     f"{r['ref']:.1f} ({r['ref_range']}) | {r['cw']:.1f} ({r['cw_range']}) | "
                     f"**{r['ratio']:.3f}** ({r['ratio_range']}) |")
    return "\n".join(lines)


def bench_resample(runs):
    exe = os.path.join(BUILD, "bench", "bench_resample")
    results = []
    for simd in (True, False):
        env = dict(os.environ)
        if not simd:
            env["CW_NO_SIMD"] = "1"
        out = subprocess.run([exe, "500"], capture_output=True, text=True, env=env,
                             check=True).stdout
        results.append([json.loads(l) for l in out.splitlines()])
    lines = ["| picture → analysis image | kernel | median µs per frame (min–max) | plain C kernel, median µs |",
             "|---|---|---|---|"]
    for fast, plain in zip(*results):
        kind = {"1920x1080": "3×3 box", "1280x720": "2×2 box"}.get(fast["src"], "bilinear")
        lines.append(f"| {fast['src']} → {fast['dst']} | {kind} | {fast['median_us']:.0f} "
                     f"({fast['min_us']:.0f}–{fast['max_us']:.0f}) | {plain['median_us']:.0f} |")
    return "\n".join(lines)


SYNTH = os.path.join(BUILD, "tools", "crosswatch-synth")
SHARED = os.path.join(ROOT, "..", "shared", "data")


def render(scenario, out, *args):
    """crosswatch-synth's render of @scenario (a file) into @out with @args, made again whenever
    the renderer, the scenario or the arguments differ from those of the render there (its
    render.stamp): a render kept from an older renderer scored the code on a picture and truth
    nobody gets any more."""
    h = hashlib.sha256()
    for path in (SYNTH, scenario):
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    h.update(repr(args).encode())
    stamp = os.path.join(out, "render.stamp")
    try:
        with open(stamp) as f:
            if f.read().strip() == h.hexdigest() and os.path.exists(os.path.join(out, "video.mp4")):
                return False
    except OSError:
        pass
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([SYNTH, scenario, "--out", out, *args], check=True, capture_output=True)
    with open(stamp, "w") as f:
        f.write(h.hexdigest() + "\n")
    return True


def bench_synth(runs):
    lines = ["| scenario (1280x720, 25 fps) | frames | frames/s, median (min–max) | × real time |",
             "|---|---|---|---|"]
    for name in ("red-light-ebike", "busy", "nuisance-noise-compression"):
        scenario = os.path.join(ROOT, "tests", "scenarios", name + ".json")
        out = os.path.join(BUILD, "bench-synth", name)
        fps = []
        with open(scenario) as f:
            sc = json.load(f)
        frames = int(sc["duration_s"] * sc.get("fps", 25) + 0.5)
        for _ in range(max(3, runs // 2)):
            shutil.rmtree(out, ignore_errors=True)
            dt, _ = timed([SYNTH, scenario, "--out", out])
            fps.append(frames / dt)
        med = statistics.median(fps)
        lines.append(f"| {name} | {frames} | {med:.1f} ({fmt_range(fps)}) | "
                     f"**{med / sc.get('fps', 25):.1f}×** |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def perturbed_tracks(gt_path, out_path, seed=4):
    """A tracker-like output from ground truth: boxes jittered, 10 % dropped, 2 % false alarms,
    and an identity switch now and then, so that every metric has work to do."""
    rnd = random.Random(seed)
    rows = []
    swap = {}
    with open(gt_path) as f:
        for line in f:
            c = line.strip().split(",")
            if int(c[7]) != 1 or c[6] == "0":
                continue
            fr, i = int(c[0]), int(c[1])
            x, y, w, h = map(float, c[2:6])
            if rnd.random() < 0.10:
                continue
            if rnd.random() < 0.002:
                swap[i] = swap.get(i, i) + 1000
            j = swap.get(i, i)
            d = 0.05
            rows.append((fr, j, x + rnd.uniform(-d, d) * w, y + rnd.uniform(-d, d) * h,
                         w * (1 + rnd.uniform(-d, d)), h * (1 + rnd.uniform(-d, d))))
            if rnd.random() < 0.02:
                rows.append((fr, 90000 + len(rows), rnd.uniform(0, 1800), rnd.uniform(0, 1000), 40, 100))
    rows.sort()
    with open(out_path, "w") as f:
        for r in rows:
            f.write("%d,%d,%.2f,%.2f,%.2f,%.2f,1,-1,-1,-1\n" % r)
    return len(rows)


def bench_eval(runs):
    seq = os.path.join(SHARED, "mot", "MOT17", "MOT17-04-FRCNN")
    if not os.path.isdir(seq):
        return "Skipped: ../shared/data/mot is absent on this machine."
    res_dir = os.path.join(BUILD, "bench-eval")
    os.makedirs(res_dir, exist_ok=True)
    res = os.path.join(res_dir, "MOT17-04-FRCNN.txt")
    n = perturbed_tracks(os.path.join(seq, "gt", "gt.txt"), res)
    times = []
    out = ""
    for _ in range(runs):
        dt, out = timed([CW, "eval", "tracks", "--gt", seq, "--res", res, "--json"])
        times.append(dt)
    m = json.loads(out)
    med = statistics.median(times)
    return ("| sequence | frames | tracker boxes | seconds, median (min–max) | frames/s | HOTA | MOTA | IDF1 |\n"
            "|---|---|---|---|---|---|---|---|\n"
            f"| MOT17-04-FRCNN | 1050 | {n} | {med:.3f} ({min(times):.3f}–{max(times):.3f}) | "
            f"{1050 / med:.0f} | {100 * m['HOTA']:.2f} | {100 * m['MOTA']:.2f} | "
            f"{100 * m['IDF1']:.2f} |")


def bench_motion(runs):
    peer = os.path.join(ROOT, "bench", "mog2_peer.py")
    exe = os.path.join(BUILD, "bench", "bench_motion")
    jobs = []
    for name in ("red-light-ebike", "nuisance-noise-compression", "nuisance-clouds-vegetation"):
        out = os.path.join(BUILD, "bench-motion", name)
        render(os.path.join(ROOT, "tests", "scenarios", name + ".json"), out, "--masks")
        jobs.append((f"synthetic {name} (1280x720)", os.path.join(out, "video.mp4"),
                     os.path.join(out, "masks.mkv")))
    for clip in ("residential-road", "crosswalk", "overpass"):
        path = os.path.join(SHARED, "clips", clip + ".mp4")
        if os.path.exists(path):
            jobs.append((f"real {clip}.mp4", path, None))
    lines = ["| frames | crosswatch ns/pixel (median of runs) | MOG2 ns/pixel | speed ratio | "
             "crosswatch F1 | MOG2 F1 |", "|---|---|---|---|---|---|"]
    for label, video, masks in jobs:
        ours, theirs = [], []
        for i in range(max(3, runs // 2)):
            order = [(exe, ours), ("/usr/bin/python3", theirs)]
            if i % 2:
                order.reverse()
            for prog, acc in order:
                args = [prog, video] if prog == exe else [prog, peer, video]
                if masks:
                    args.append(masks)
                p = subprocess.run(args, capture_output=True, text=True)
                if p.returncode != 0:
                    return f"Skipped: {' '.join(args)} failed ({p.stderr.strip()[:200]})"
                acc.append(json.loads(p.stdout))
        o = statistics.median(r["ns_per_pixel"] for r in ours)
        t = statistics.median(r["ns_per_pixel"] for r in theirs)
        f1o = f"{ours[0]['f1']:.3f}" if masks else "–"
        f1t = f"{theirs[0]['f1']:.3f}" if masks else "–"
        lines.append(f"| {label} | {o:.2f} | {t:.2f} | **{t / o:.2f}×** | {f1o} | {f1t} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def bench_dnn(runs):
    """crosswatch's darknet engine against OpenCV's DNN module, one image at a time, one thread,
    alternating runs on the same input size; trained Yolo-Fastest weights from ../shared/data and
    random weights for yolov3-tiny (written once, loaded by both)."""
    exe = os.path.join(BUILD, "bench", "bench_dnn")
    peer = os.path.join(ROOT, "bench", "dnn_peer.py")
    models = []
    zoo = os.path.join(SHARED, "models", "yolo-fastest-1.1")
    for name in ("yolo-fastest-1.1", "yolo-fastest-1.1-xl"):
        if os.path.exists(os.path.join(zoo, name + ".cfg")):
            models.append((name + " (trained)", os.path.join(zoo, name + ".cfg"),
                           os.path.join(zoo, name + ".weights"), False))
    os.makedirs(os.path.join(BUILD, "bench-dnn"), exist_ok=True)
    for name in ("yolov3-tiny", "yolov4-tiny"):
        models.append((f"{name} (random weights)", os.path.join(ROOT, "bench", "models", f"{name}-320.cfg"),
                       os.path.join(BUILD, "bench-dnn", f"{name}-320.weights"), True))
    lines = ["| model, 320×320, 1 thread | GFLOP | crosswatch ms (median) | OpenCV 4.6 DNN ms (median) | "
             "crosswatch / OpenCV latency | model + buffers | peak RSS of the run |",
             "|---|---|---|---|---|---|---|"]
    for label, cfg, weights, random_weights in models:
        if random_weights:
            subprocess.run([exe, cfg, weights, "--random-weights", "--runs", "1"], check=True,
                           capture_output=True)
        ours, theirs, ratios = [], [], []
        for i in range(max(3, runs)):
            pair = {}
            order = ["cw", "cv"] if i % 2 == 0 else ["cv", "cw"]
            for who in order:
                if who == "cw":
                    p = subprocess.run([exe, cfg, weights, "--runs", "20"], capture_output=True, text=True)
                else:
                    p = subprocess.run(["/usr/bin/python3", peer, cfg, weights, "20"], capture_output=True,
                                       text=True)
                if p.returncode != 0:
                    return f"Skipped: {who} on {cfg} failed ({p.stderr.strip()[:200]})"
                pair[who] = json.loads(p.stdout.strip().splitlines()[-1])
            ours.append(pair["cw"])
            theirs.append(pair["cv"]["median_ms"])
            ratios.append(pair["cw"]["median_ms"] / pair["cv"]["median_ms"])
        o = statistics.median(r["median_ms"] for r in ours)
        lines.append(f"| {label} | {ours[0]['gflops']:.2f} | {o:.2f} | {statistics.median(theirs):.2f} | "
                     f"**{statistics.median(ratios):.2f}×** | {ours[0]['memory_bytes'] / 2**20:.1f} MB | "
                     f"{ours[0]['peak_rss_kb'] / 1024:.1f} MB |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def bench_dnn_budget(runs):
    """The DNN on a budget: the model every Nth frame, the tracker predicting in between, on the
    real clips. No truth comes with them, so every-N tracks are scored against the every-frame
    tracks (same model, same tracker) — how much of what the full run tracks survives."""
    zoo = os.path.join(SHARED, "models", "yolo-fastest-1.1")
    cfg, weights = (os.path.join(zoo, "yolo-fastest-1.1-xl" + e) for e in (".cfg", ".weights"))
    if not os.path.exists(cfg):
        return "Skipped: ../shared/data/models is absent on this machine."
    lines = ["| clip | model every | detector + tracker frames/s (median) | MOTA vs every frame | "
             "IDF1 vs every frame |", "|---|---|---|---|---|"]
    for clip in ("crosswalk", "residential-road", "overpass"):
        video = os.path.join(SHARED, "clips", clip + ".mp4")
        out = os.path.join(BUILD, "bench-dnn", clip)
        os.makedirs(os.path.join(out, "gt"), exist_ok=True)
        for every in (1, 2, 3, 5):
            fps = []
            tracks = os.path.join(out, f"every{every}.txt")
            for _ in range(max(1, runs // 2)):
                _, o = timed([CW, "track", video, "--detector", "dnn", "--model-cfg", cfg,
                              "--model-weights", weights, "--every", str(every), "--out", tracks,
                              "--json"])
                fps.append(json.loads(o)["frames_per_s"])
            if every == 1:
                # the every-frame tracks become the reference
                n = 0
                with open(tracks) as src, open(os.path.join(out, "gt", "gt.txt"), "w") as dst:
                    for line in src:
                        c = line.split(",")
                        n = max(n, int(c[0]))
                        dst.write(",".join(c[:6]) + ",1,-1,1\n")
                with open(os.path.join(out, "seqinfo.ini"), "w") as f:
                    f.write(f"[Sequence]\nname={clip}\nseqLength={n}\n")
                lines.append(f"| {clip} | 1 (reference) | {statistics.median(fps):.0f} | – | – |")
                continue
            _, o = timed([CW, "eval", "tracks", "--gt", out, "--res", tracks, "--json"])
            m = json.loads(o)
            lines.append(f"| {clip} | {every} | {statistics.median(fps):.0f} | {100 * m['MOTA']:.1f} | "
                         f"{100 * m['IDF1']:.1f} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def bench_store(runs):
    """The event store (issue 6): sustained writes and the count per rule per hour over 10 million
    events, SQLite on this machine's disk."""
    exe = os.path.join(BUILD, "bench", "bench_store")
    db = os.path.join(BUILD, "bench-store", "events.db")
    os.makedirs(os.path.dirname(db), exist_ok=True)
    lines = ["| events in the store | batch | written events/s (whole run) | first 100,000 events/s | "
             "count per rule per hour over a year (rows) | query ms (median of 9) |",
             "|---|---|---|---|---|---|"]
    for events, batch in ((10_000_000, 100), (200_000, 10)):
        p = subprocess.run([exe, db, str(events), str(batch)], capture_output=True, text=True)
        if p.returncode:
            return f"Skipped: bench_store failed ({p.stderr.strip()[:200]})"
        r = json.loads(p.stdout)
        lines.append(f"| {r['events']:,} | {batch} | **{r['events_per_s']:,.0f}** | "
                     f"{r['first_100k_events_per_s']:,.0f} | {r['hourly_rows']:,} | **{r['hourly_ms']:.1f}** |")
        print(lines[-1], flush=True)
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    return "\n".join(lines)


NUISANCE = ("nuisance-", "occlusion")


def bench_rules(runs):
    """crosswatch analyze (motion detector, tracker, signal state from the picture, rules) on every
    rendered scenario, events scored with crosswatch eval events; per rule, clean and nuisance
    scenarios apart."""
    totals, fps = {}, []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "scenarios", "*.json"))):
        name = os.path.basename(path)[:-5]
        out = os.path.join(BUILD, "bench-rules", name)
        render(path, out)
        _, o = timed([CW, "analyze", os.path.join(out, "video.mp4"), "--scene",
                      os.path.join(out, "scene.json"), "--out", os.path.join(out, "analysis"),
                      "--quiet", "--json"])
        fps.append(json.loads(o)["frames_per_s"])
        _, o = timed([CW, "eval", "events", "--truth", os.path.join(out, "truth.json"), "--events",
                      os.path.join(out, "analysis", "events.jsonl"), "--json"])
        group = "nuisances" if name.startswith(NUISANCE) else "clean"
        for line in o.splitlines():
            r = json.loads(line)
            if r["type"] == "all":
                continue
            t = totals.setdefault((r["type"], group), [0, 0, 0])
            t[0] += r["tp"]
            t[1] += r["fp"]
            t[2] += r["fn"]
    lines = ["| rule | scenarios | true positives | false positives | missed | precision | recall |",
             "|---|---|---|---|---|---|---|"]
    for (rule, group), (tp, fp, fn) in sorted(totals.items()):
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        lines.append(f"| {rule} | {group} | {tp} | {fp} | {fn} | {100 * p:.0f} % | {100 * r:.0f} % |")
    lines += ["", f"analyze, whole pipeline on 1280×720 renders (decode included), one thread: "
              f"median {statistics.median(fps):.0f} frames/s over {len(fps)} scenarios."]
    return "\n".join(lines)


def render_1080p(scenario, out):
    """@scenario rendered at 1920x1080 into @out (once) and re-encoded as a street camera sends it:
    sensor noise, H.264 at 4 Mbit/s, a keyframe every 2 s (the clean render compresses far better,
    which makes decoding unrealistically cheap). Returns the video's path."""
    video = os.path.join(out, "video.mp4")
    with open(os.path.join(ROOT, "tests", "scenarios", scenario + ".json")) as f:
        sc = json.load(f)
    sc["size"] = [1920, 1080]
    path = out.rstrip("/") + ".scenario.json"
    with open(path, "w") as f:
        json.dump(sc, f)
    if not render(path, out):
        return video
    os.replace(video, os.path.join(out, "render.mp4"))
    # re-encoded beside it and renamed when done: an interrupted run leaves no video.mp4 that the
    # stamp would vouch for, so the next run renders again
    part = os.path.join(out, "video.part.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i",
                    os.path.join(out, "render.mp4"), "-vf", "noise=alls=6:allf=t", "-c:v",
                    "libx264", "-preset", "medium", "-b:v", "4M", "-maxrate", "4M",
                    "-bufsize", "8M", "-g", "50", "-pix_fmt", "yuv420p", part], check=True)
    os.replace(part, video)
    return video


def bench_pipeline_1080p(runs):
    """The whole analysis pipeline (crosswatch analyze: decode, motion, tracker, signals, rules,
    events to SQLite) on a 1080p25 H.264 render, one decoder thread and one analysis thread,
    against decoding alone (crosswatch decode, same thread count) and against the Python/OpenCV
    peer (../shared/bench/peer_pipeline.py), alternating runs."""
    peer = os.path.join(SHARED, "..", "bench", "peer_pipeline.py")
    out = os.path.join(BUILD, "bench-1080p")
    video = render_1080p("red-light-ebike", out)
    _, o = timed([CW, "decode", video, "--json"])
    frames = json.loads(o)["frames"]
    lines = ["| 1080p25 H.264 at 4 Mbit/s, 500 frames | decoder threads | frames/s, median (min–max) |",
             "|---|---|---|"]
    notes = []
    have_peer = os.path.exists(peer)
    for threads in (1, 2):
        cmds = {
            "decode": [CW, "decode", video, "--threads", str(threads), "--json"],
            "analyze": [CW, "analyze", video, "--scene", os.path.join(out, "scene.json"), "--out",
                        os.path.join(out, "analysis"), "--quiet", "--json", "--threads",
                        str(threads)],
            # issue 6's pipeline (decode … events to SQLite) has no evidence; issue 7 adds it
            "no-evidence": [CW, "analyze", video, "--scene", os.path.join(out, "scene.json"),
                            "--out", os.path.join(out, "analysis-ne"), "--quiet", "--json",
                            "--threads", str(threads), "--no-evidence"],
        }
        if have_peer:
            # cv2.VideoCapture decodes with FFmpeg's own threads whatever setNumThreads says
            cmds["peer"] = ["/usr/bin/python3", peer, video, "1"]
        fps = {k: [] for k in cmds}
        ratio_dec, ratio_peer, ratio_ne, ratio_ne_peer = [], [], [], []
        for i in range(max(3, runs)):
            order = list(cmds) if i % 2 == 0 else list(reversed(cmds))
            now = {}
            for k in order:
                dt, o = timed(cmds[k])
                m = re.search(r"= ([0-9.]+) fps", o) if k == "peer" else None
                now[k] = float(m.group(1)) if m else frames / dt
                fps[k].append(now[k])
            ratio_dec.append(now["analyze"] / now["decode"])
            ratio_ne.append(now["no-evidence"] / now["decode"])
            if "peer" in now:
                ratio_peer.append(now["analyze"] / now["peer"])
                ratio_ne_peer.append(now["no-evidence"] / now["peer"])
        med = {k: statistics.median(v) for k, v in fps.items()}
        lines += [f"| crosswatch decode alone | {threads} | {med['decode']:.0f} ({fmt_range(fps['decode'])}) |",
                  f"| crosswatch analyze --no-evidence (decode, motion, tracker, signals, rules, "
                  f"SQLite; analysis on one thread) | {threads} | **{med['no-evidence']:.0f}** "
                  f"({fmt_range(fps['no-evidence'])}) |",
                  f"| crosswatch analyze with evidence (the violation's pictures and clip) | "
                  f"{threads} | **{med['analyze']:.0f}** ({fmt_range(fps['analyze'])}) |"]
        if "peer" in med:
            lines.append(f"| Python/OpenCV peer (peer_pipeline.py; cv2 1 thread, its decoder FFmpeg's "
                         f"default: 2 threads here) | – | {med['peer']:.0f} ({fmt_range(fps['peer'])}) |")
        notes.append(f"decoder threads {threads}: analyze / decode alone **{statistics.median(ratio_ne):.2f}×** "
                     f"without evidence, {statistics.median(ratio_dec):.2f}× with"
                     + (f"; analyze / peer **{statistics.median(ratio_ne_peer):.2f}×** without, "
                        f"{statistics.median(ratio_peer):.2f}× with" if ratio_peer else "")
                     + f"; 1080p25 cameras in real time: {med['no-evidence'] / 25:.1f} "
                     f"({med['analyze'] / 25:.1f} with evidence)")
    lines += ["", "; ".join(notes) + ". Targets: ≥ 0.85× decoding alone, ≥ 1.4× the peer. Camera "
              "counts here are for one stream's process; many cameras at once: section run-cameras."]
    return "\n".join(lines)


SYN_TO_CW = {"pedestrian": "pedestrian", "bicycle": "two_wheeler", "e_bike": "two_wheeler",
             "motorcycle": "two_wheeler", "car": "car", "bus": "bus_truck", "truck": "bus_truck"}


def class_accuracy(gt_path, res_path, classes_path, truth_path):
    """Share of our tracks whose voted class matches the class of the actor they overlap most."""
    import collections
    gt, res = collections.defaultdict(list), collections.defaultdict(list)
    for line in open(gt_path):
        c = line.split(",")
        gt[int(c[0])].append((int(c[1]), *map(float, c[2:6])))
    for line in open(res_path):
        c = line.split(",")
        res[int(c[0])].append((int(c[1]), *map(float, c[2:6])))
    actor_cls = {a["id"]: SYN_TO_CW[a["class"]] for a in json.load(open(truth_path))["actors"]}
    ours = dict(l.strip().split(",") for l in open(classes_path))

    def iou(a, b):
        ix = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
        iy = min(a[2] + a[4], b[2] + b[4]) - max(a[2], b[2])
        return 0 if ix <= 0 or iy <= 0 else ix * iy / (a[3] * a[4] + b[3] * b[4] - ix * iy)
    votes = collections.defaultdict(collections.Counter)
    for f, boxes in res.items():
        for b in boxes:
            best = max(gt.get(f, []), key=lambda g: iou(b, g), default=None)
            if best and iou(b, best) >= 0.5:
                votes[b[0]][best[0]] += 1
    right = sum(1 for tid, v in votes.items()
                if ours.get(str(tid)) == actor_cls.get(v.most_common(1)[0][0]))
    return right, len(votes)


def bench_pipeline(runs):
    lines = ["| scenario | MOTA | IDF1 | HOTA | ID switches | class accuracy (tracks) | frames/s |",
             "|---|---|---|---|---|---|---|"]
    for name in ("red-light-ebike", "pedestrian-red", "queue-red-green", "speeding", "busy",
                 "nuisance-noise-compression", "nuisance-night"):
        out = os.path.join(BUILD, "bench-motion", name)
        render(os.path.join(ROOT, "tests", "scenarios", name + ".json"), out, "--masks")
        tracks, classes = os.path.join(out, "tracks.txt"), os.path.join(out, "classes.txt")
        _, o = timed([CW, "track", os.path.join(out, "video.mp4"), "--scene",
                      os.path.join(out, "scene.json"), "--out", tracks, "--classes", classes,
                      "--json"])
        fps = json.loads(o)["frames_per_s"]
        _, o = timed([CW, "eval", "tracks", "--gt", out, "--res", tracks, "--json"])
        m = json.loads(o)
        right, total = class_accuracy(os.path.join(out, "gt", "gt.txt"), tracks, classes,
                                      os.path.join(out, "truth.json"))
        lines.append(f"| {name} | {100 * m['MOTA']:.1f} | {100 * m['IDF1']:.1f} | "
                     f"{100 * m['HOTA']:.1f} | {m['IDSW']} | {right}/{total} | {fps:.0f} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


# Reference trackers with their default parameters on the same detections, scored by TrackEval
# (issue 4): HOTA, MOTA, IDF1, ID switches.
REFERENCE = {
    "MOT17": [("SORT", 45.03, 47.94, 51.44, 256), ("ByteTrack", 47.81, 48.41, 56.29, 166),
              ("OC-SORT", 47.78, 47.03, 55.84, 131)],
    "MOT15": [("SORT", 36.44, 39.87, 45.89, 549), ("ByteTrack", 37.14, 37.35, 47.61, 690),
              ("OC-SORT", 36.08, 37.90, 48.11, 455)],
}


def bench_tracker(runs):
    mot = os.path.join(SHARED, "mot")
    if not os.path.isdir(mot):
        return "Skipped: ../shared/data/mot is absent on this machine."
    out = subprocess.run([os.path.join(ROOT, "bench", "mot_sets.sh"), "--json"], capture_output=True,
                         text=True, check=True).stdout
    ours = {r["sequence"]: r for r in map(json.loads, out.splitlines())}
    lines = ["| set | tracker | HOTA | MOTA | IDF1 | ID switches |", "|---|---|---|---|---|---|"]
    for name, label in (("MOT17", "MOT17-02/04/05/09 FRCNN"), ("MOT15", "MOT15 train (11 seqs)")):
        for ref in REFERENCE[name]:
            lines.append(f"| {label} | {ref[0]} (reference) | {ref[1]:.2f} | {ref[2]:.2f} | "
                         f"{ref[3]:.2f} | {ref[4]} |")
        m = ours[name]
        lines.append(f"| {label} | **crosswatch** | **{100 * m['HOTA']:.2f}** | "
                     f"**{100 * m['MOTA']:.2f}** | **{100 * m['IDF1']:.2f}** | **{m['IDSW']}** |")
    seq = os.path.join(mot, "MOT17", "MOT17-04-FRCNN")
    fps = []
    for _ in range(runs):
        _, o = timed([CW, "mot", "--det", os.path.join(seq, "det", "det.txt"), "--seqinfo",
                      os.path.join(seq, "seqinfo.ini"), "--out",
                      os.path.join(BUILD, "bench-mot", "speed.txt"), "--json"])
        fps.append(json.loads(o)["frames_per_s"])
    lines += ["", "| tracker alone on MOT17-04 (1050 frames, 28,406 detections) | frames/s, median (min–max) |",
              "|---|---|", f"| one thread | **{statistics.median(fps):,.0f}** ({min(fps):,.0f}–{max(fps):,.0f}) |"]
    out = subprocess.run([os.path.join(BUILD, "bench", "bench_tracker"), "1000"], capture_output=True,
                         text=True, check=True).stdout
    lines += ["", "| objects in view | µs per frame, median | p99 | max |", "|---|---|---|---|"]
    for r in map(json.loads, out.splitlines()):
        lines.append(f"| {r['objects']} | {r['median_us']:.1f} | {r['p99_us']:.1f} | {r['max_us']:.1f} |")
    return "\n".join(lines)


def bench_clip(runs):
    """Evidence clips (issue 7): the middle 8 s of the 1080p25 4 Mbit/s clip of pipeline-1080p cut
    from the packet ring (bench/bench_clip), against re-encoding the same span with ffmpeg's
    defaults (libx264) and against ffmpeg's own stream copy (a new process each time)."""
    out = os.path.join(BUILD, "bench-1080p")
    video = render_1080p("red-light-ebike", out)
    r = json.loads(subprocess.run([os.path.join(BUILD, "bench", "bench_clip"), video, "8",
                                   str(max(runs, 5)), out], capture_output=True, text=True,
                                  check=True).stdout)
    span = ["-ss", f"{r['from_s']:.3f}", "-t", "8", "-i", video]
    reenc, copy = [], []
    for _ in range(min(runs, 3)):
        t, _ = timed(["ffmpeg", "-v", "error", "-y", *span, "-an", os.path.join(out, "reencoded.mp4")])
        reenc.append(t * 1000)
        t, _ = timed(["ffmpeg", "-v", "error", "-y", *span, "-c", "copy",
                      os.path.join(out, "copied.mp4")])
        copy.append(t * 1000)
    re_ms, cp_ms = statistics.median(reenc), statistics.median(copy)
    lines = ["| 8 s of 1080p25 H.264, 4 Mbit/s (" + f"{r['packets']} packets, {r['bytes'] / 1e6:.1f} MB)"
             + " | ms, median | crosswatch is |", "|---|---|---|",
             f"| crosswatch: cut from the packet ring into clip.mp4 | **{r['cut_ms']:.1f}** | – |",
             f"| ffmpeg re-encoding the span (libx264 defaults) | {re_ms:.0f} | **{re_ms / r['cut_ms']:.0f}× faster** |",
             f"| ffmpeg stream copy of the span (`-c copy`, process included) | {cp_ms:.0f} | {cp_ms / r['cut_ms']:.1f}× faster |",
             f"| crosswatch: cut + the three evidence stills decoded from the same packets | {r['cut_stills_ms']:.0f} | – |"]
    return "\n".join(lines)


def run_cameras(n, seconds, video, scene, out):
    """crosswatch run with @n looped (paced) copies of @video for @seconds; returns the figures
    read from /metrics at the end (after a 5 s warm-up is subtracted) and the peak RSS."""
    import socket
    import urllib.request
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    site = {"store": "events.db", "evidence_dir": "evidence", "metrics": f"127.0.0.1:{port}",
            "health_s": 3600,
            "cameras": [{"id": f"c{i}", "scene": scene, "input": video, "loop": True}
                        for i in range(n)]}
    with open(os.path.join(out, "site.json"), "w") as f:
        json.dump(site, f)
    proc = subprocess.Popen([CW, "run", "--config", "site.json"], cwd=out,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "log"), "w"))

    def metrics():
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        m = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                m[k] = float(v)
        return m

    def total(m, name):
        return sum(v for k, v in m.items() if k.startswith(name + "{"))

    rss = 0
    try:
        time.sleep(5)
        m0, t0 = metrics(), time.time()
        end = t0 + seconds
        while time.time() < end:
            time.sleep(1)
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = max(rss, int(line.split()[1]) * 1024)
        m1, t1 = metrics(), time.time()
    finally:
        proc.send_signal(15)
        proc.wait(120)
    names = ("crosswatch_frames_decoded_total", "crosswatch_frames_analysed_total",
             "crosswatch_frames_dropped_queue_total", "crosswatch_frames_dropped_decoder_total",
             "crosswatch_events_total", "crosswatch_evidence_complete_total",
             "crosswatch_evidence_pictures_live_total", "crosswatch_evidence_pictures_decoded_total")
    d = {k: total(m1, k) - total(m0, k) for k in names}
    d["seconds"] = t1 - t0
    d["rss"] = rss
    d["p99_ms"] = m1.get('crosswatch_event_latency_seconds{quantile="0.99"}', 0) * 1000
    d["evidence_delay_max_s"] = max((v for k, v in m1.items()
                                     if k.startswith("crosswatch_evidence_delay_max_seconds{")),
                                    default=0)
    return d


def decode_capacity(video, n, runs=3):
    """Frames/s this machine decodes of @video with @n crosswatch decode processes at once (one
    decoder thread each, as crosswatch run gives each camera), whole runs overlapping: frames
    over the wall time of the batch. Median, min, max over @runs."""
    totals = []
    for _ in range(runs):
        t0 = time.time()
        procs = [subprocess.Popen([CW, "decode", video, "--threads", "1", "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(n)]
        frames = sum(json.loads(p.communicate()[0])["frames"] for p in procs)
        totals.append(frames / (time.time() - t0))
    return statistics.median(totals), min(totals), max(totals)


def bench_run_cameras(runs):
    """crosswatch run on N copies of red-light-car at 1080p25, 4 Mbit/s, each looped at its own
    pace (25 frames/s, like a camera), with detection, tracking, rules and evidence on: frames
    decoded, analysed and dropped over 40 s per N; events, evidence, latency; resident memory.
    The reference in the same run: what decoding alone gets through on this machine."""
    # red-light-car: two red-light runs every 20 s loop, so evidence is made
    out = os.path.join(BUILD, "bench-1080p-car")
    video = render_1080p("red-light-car", out)
    lines = []
    for n in (os.cpu_count() or 1, 14):
        dec, dec_lo, dec_hi = decode_capacity(video, n)
        lines.append(f"Decoding alone, {n} streams at once (`crosswatch decode --threads 1` × {n}, "
                     f"median of 3): {dec:.0f} frames/s ({dec_lo:.0f}–{dec_hi:.0f}) = "
                     f"**{dec / 25:.1f} cameras** of 1080p25; 85 % of that is {0.85 * dec / 25:.1f}.")
        print(lines[-1], flush=True)
    lines += ["",
              "| 1080p25 cameras | frames/s in (all) | frames/s analysed (all) | dropped frames | events | evidence written | pictures kept live / decoded again | event latency p99 | resident memory | per camera |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for n in (1, 4, 8, 10, 12, 13, 14):
        d = run_cameras(n, 40, video, os.path.join(out, "scene.json"), os.path.join(BUILD, "bench-run", str(n)))
        s = d["seconds"]
        drops = d["crosswatch_frames_dropped_queue_total"] + d["crosswatch_frames_dropped_decoder_total"]
        lines.append(f"| {n} | {d['crosswatch_frames_decoded_total'] / s:.0f} | "
                     f"{d['crosswatch_frames_analysed_total'] / s:.0f} | {drops:.0f} | "
                     f"{d['crosswatch_events_total']:.0f} | {d['crosswatch_evidence_complete_total']:.0f} | "
                     f"{d['crosswatch_evidence_pictures_live_total']:.0f} / "
                     f"{d['crosswatch_evidence_pictures_decoded_total']:.0f} | "
                     f"{d['p99_ms']:.1f} ms | {d['rss'] / 2**20:.0f} MB | {d['rss'] / 2**20 / n:.0f} MB |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


def bench_real_crosswalk(runs):
    """Pedestrian crossings and failures to yield labelled by eye on ../shared/data/clips/
    crosswalk.mp4 (tests/real/crosswalk.labels.json) against crosswatch track / analyze, scored by
    tools/score_crossings.py. Deterministic: one run."""
    clip = os.path.join(SHARED, "clips", "crosswalk.mp4")
    if not os.path.exists(clip):
        return "Skipped: ../shared/data/clips/crosswalk.mp4 is absent on this machine."
    real = os.path.join(ROOT, "tests", "real")
    scene, labels = os.path.join(real, "crosswalk.scene.json"), os.path.join(real, "crosswalk.labels.json")
    zoo = os.path.join(SHARED, "models", "yolo-fastest-1.1", "yolo-fastest-1.1-xl")
    out = os.path.join(BUILD, "bench-real")
    os.makedirs(out, exist_ok=True)
    subprocess.run([CW, "analyze", clip, "--scene", scene, "--out", os.path.join(out, "an"), "--quiet"],
                   check=True, capture_output=True)
    events = os.path.join(out, "an", "events.jsonl")
    lines = ["| detector | labelled crossings | found (recall) | crossing pedestrian tracks | of a labelled person (precision) | tracks per found person | fail_to_yield labelled / reported |",
             "|---|---|---|---|---|---|---|"]
    for name, extra in (("motion (analyze's)", []),
                        ("dnn, yolo-fastest-1.1-xl", ["--detector", "dnn", "--model-cfg", zoo + ".cfg",
                                                      "--model-weights", zoo + ".weights"])):
        tracks, classes = os.path.join(out, "tracks.txt"), os.path.join(out, "classes.txt")
        subprocess.run([CW, "track", clip, "--scene", scene, "--out", tracks, "--classes", classes,
                        *extra], check=True, capture_output=True)
        s = json.loads(subprocess.run([sys.executable, os.path.join(ROOT, "tools", "score_crossings.py"),
                                       labels, scene, tracks, "--classes", classes, "--events", events,
                                       "--json"], check=True, capture_output=True, text=True).stdout)
        fty = f"{s['fail_to_yield_labelled']} / {s['fail_to_yield_reported']}" if name.startswith("motion") else "–"
        lines.append(f"| {name} | {s['labelled']} | {s['found']} ({100 * s['recall']:.0f} %) | "
                     f"{s['crossing_tracks']} | {s['crossing_tracks_of_labelled']} "
                     f"({100 * s['precision']:.0f} %) | {s['tracks_per_found_person']:.1f} | {fty} |")
        print(lines[-1], flush=True)
    return "\n".join(lines)


BENCHES = {"decode": bench_decode, "resample": bench_resample, "synth": bench_synth,
           "tracker": bench_tracker, "motion": bench_motion, "pipeline": bench_pipeline, "dnn": bench_dnn, "dnn-budget": bench_dnn_budget, "store": bench_store, "rules": bench_rules, "pipeline-1080p": bench_pipeline_1080p,
           "real-crosswalk": bench_real_crosswalk, "clip": bench_clip,
           "run-cameras": bench_run_cameras,
           "eval": bench_eval}


def write_section(doc, name, command, body):
    begin, end = f"<!-- bench:{name} begin -->", f"<!-- bench:{name} end -->"
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"{begin}\nMeasured {stamp} on {machine()}.\nCommand: `{command}`\n\n{body}\n{end}")
    if begin in doc and end in doc:
        return re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc,
                      flags=re.S)
    return doc.rstrip("\n") + f"\n\n## {name}\n\n{block}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="alternating runs per measurement")
    ap.add_argument("--only", choices=sorted(BENCHES), action="append")
    ap.add_argument("--no-write", action="store_true", help="print, leave the docs alone")
    args = ap.parse_args()
    if not os.path.exists(CW):
        sys.exit("bench: build/crosswatch is missing; run scripts/bench.sh (it builds first)")
    names = args.only or list(BENCHES)
    doc = open(DOC).read() if os.path.exists(DOC) else "# Benchmarks\n"
    for name in names:
        body = BENCHES[name](args.runs)
        print(body)
        command = f"bench/run.py --runs {args.runs} --only {name}"
        doc = write_section(doc, name, command, body)
    if not args.no_write:
        with open(DOC, "w") as f:
            f.write(doc)
        print(f"bench: wrote {os.path.relpath(DOC, ROOT)}")


if __name__ == "__main__":
    main()
