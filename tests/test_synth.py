#!/usr/bin/env python3
"""Tests of crosswatch-synth and crosswatch eval events: the scenario suite's truth against the
reviewed expected truth, a full render (video, scene, boxes, masks, determinism), and every
scenario error. Run by CTest with CW_BIN, CW_SYNTH, CW_SOURCE_DIR and CW_TEST_MEDIA set;
CW_RENDER_ALL=1 also renders every scenario (slow; the release build does it)."""
import collections
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

BIN = os.environ.get("CW_BIN", "build/crosswatch")
SYNTH = os.environ.get("CW_SYNTH", "build/tools/crosswatch-synth")
SRC = os.environ.get("CW_SOURCE_DIR", ".")
WORK = os.path.join(os.environ.get("CW_TEST_MEDIA", "build/test-media"), "synth")
SCEN = os.path.join(SRC, "tests", "scenarios")


def synth(scenario, out, *args):
    return subprocess.run([SYNTH, scenario, "--out", out, *args], capture_output=True, text=True,
                          timeout=600)


def cw(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=300)


def events_of(truth_path):
    with open(truth_path) as f:
        return [(e["type"], e["actor"], e["frame"]) for e in json.load(f)["events"]]



def truth_zone_seconds(out):
    """Seconds the rendered road users' foot points (bottom centre of the truth boxes) spent in
    each of the scene's zones, summed per zone."""
    with open(os.path.join(out, "scene.json")) as f:
        zones = json.load(f).get("zones", [])
    with open(os.path.join(out, "truth.json")) as f:
        fps = json.load(f)["fps"]

    def inside(poly, x, y):
        c = False
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[i - 1]
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                c = not c
        return c
    secs = collections.Counter()
    with open(os.path.join(out, "gt", "gt.txt")) as f:
        for line in f:
            _, _, x, y, w, h = map(float, line.split(",")[:6])
            for z in zones:
                if inside(z["polygon"], x + w / 2, y + h):
                    secs[z["id"]] += 1 / fps
    return secs

class ScenarioSuite(unittest.TestCase):
    def test_suite_covers_the_issue(self):
        names = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(SCEN, "*.json"))]
        self.assertGreaterEqual(len(names), 16)
        types, nuisances = set(), set()
        for n in names:
            with open(os.path.join(SCEN, "expected", n + ".json")) as f:
                types |= {e["type"] for e in json.load(f)["events"]}
            with open(os.path.join(SCEN, n + ".json")) as f:
                sc = json.load(f)
            for k, v in sc.get("nuisances", {}).items():
                if v and k not in ("mask_vegetation", "brightness_period_s"):
                    nuisances.add(k)
            if len(sc["actors"]) >= 40:
                nuisances.add("busy")
        self.assertEqual(types, {"red_light", "pedestrian_red", "fail_to_yield", "wrong_way",
                                 "motor_lane", "stop_past_line", "speeding"})
        for k in ("noise", "crf", "brightness_swing", "exposure_jumps", "clouds", "vegetation",
                  "shake_px", "rain", "night", "pole", "busy"):
            self.assertIn(k, nuisances)
        self.assertIn("empty", names)
        self.assertIn("near-miss", names)
        self.assertIn("queue-red-green", names)

    def test_truth_matches_expected(self):
        for path in sorted(glob.glob(os.path.join(SCEN, "*.json"))):
            n = os.path.basename(path)[:-5]
            out = os.path.join(WORK, "truth", n)
            p = synth(path, out, "--truth-only")
            self.assertEqual(p.returncode, 0, f"{n}: {p.stderr}")
            got = events_of(os.path.join(out, "truth.json"))
            with open(os.path.join(SCEN, "expected", n + ".json")) as f:
                want = [(e["type"], e["actor"], e["frame"]) for e in json.load(f)["events"]]
            self.assertEqual(len(got), len(want), f"{n}: got {got}, expected {want}")
            for g, w in zip(sorted(got), sorted(want)):
                self.assertEqual(g[:2], w[:2], n)
                # optimisation levels may move a threshold by a frame
                self.assertLessEqual(abs(g[2] - w[2]), 2, f"{n}: {g} vs {w}")
            # the scene file it writes is valid for crosswatch
            p = cw("scene", "check", os.path.join(out, "scene.json"))
            self.assertEqual(p.returncode, 0, f"{n}: {p.stderr}")


def signal_agreement(truth_csv, read_csv):
    """(head, frames where crosswatch's reading equals the truth, frames) for every head."""
    import csv
    with open(truth_csv) as f:
        truth = list(csv.DictReader(f))
    with open(read_csv) as f:
        ours = list(csv.DictReader(f))
    assert len(truth) == len(ours), (len(truth), len(ours))
    heads = [k for k in ours[0] if k not in ("frame", "time_s")]
    return [(h, sum(t[h] == o[h] for t, o in zip(truth, ours)), len(ours)) for h in heads]


class Render(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(WORK, "render")
        shutil.rmtree(cls.out, ignore_errors=True)
        cls.proc = synth(os.path.join(SCEN, "red-light-ebike.json"), cls.out, "--masks")

    def test_outputs(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        for name in ("video.mp4", "masks.mkv", "scene.json", "truth.json", "signals.csv",
                     "seqinfo.ini", "gt/gt.txt"):
            self.assertTrue(os.path.getsize(os.path.join(self.out, name)) > 0, name)
        p = cw("probe", os.path.join(self.out, "video.mp4"), "--json")
        r = json.loads(p.stdout)
        self.assertEqual((r["width"], r["height"], r["fps"]), (1280, 720, 25))
        self.assertEqual(r["packets"], 500)
        self.assertEqual(r["gop_frames"], 50)

    def test_boxes_and_eval(self):
        # Every actor that enters the picture has boxes; the truth scored against itself is 1.
        with open(os.path.join(self.out, "gt", "gt.txt")) as f:
            rows = [l.split(",") for l in f]
        ids = {int(r[1]) for r in rows}
        self.assertTrue({1, 2, 3, 4, 5}.issubset(ids), ids)
        for r in rows:
            x, y, w, h = map(float, r[2:6])
            self.assertTrue(0 <= x and 0 <= y and x + w <= 1280.01 and y + h <= 720.01, r)
        # boxes hidden to under a tenth are "ignore" (conf 0): a tracker box on one is a false
        # alarm, as in TrackEval; the perfect tracker reports the others
        res = os.path.join(self.out, "perfect.txt")
        with open(res, "w") as f:
            f.writelines(",".join(r) for r in rows if r[6] == "1")
        p = cw("eval", "tracks", "--gt", self.out, "--res", res, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = json.loads(p.stdout)
        self.assertEqual((m["MOTA"], m["IDF1"], m["HOTA"]), (1.0, 1.0, 1.0))

    def test_boxes_cut_by_the_bottom_are_what_shows(self):
        # A car coming in under the camera: its box is what of it is in the picture — road-user
        # pixels (the mask's 255) reach both its sides in its rows —, not the bounds of corners
        # projected far below the picture (once twice as wide as the car in view).
        with open(os.path.join(self.out, "gt", "gt.txt")) as f:
            cut = {int(r[0]): list(map(float, r[2:6])) for r in (l.split(",") for l in f)
                   if r[1] == "1" and float(r[3]) + float(r[5]) > 719.5}
        frames = sorted(cut)[:12]
        self.assertGreaterEqual(len(frames), 6, cut)
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(self.out, "masks.mkv"),
                              "-vf", f"select=between(n\\,{frames[0] - 1}\\,{frames[-1] - 1})",
                              "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                             capture_output=True, timeout=60).stdout
        size = 1280 * 720
        self.assertEqual(len(raw), size * (frames[-1] - frames[0] + 1))
        for f in frames:
            x, y, w, h = cut[f]
            pic = raw[(f - frames[0]) * size:(f - frames[0] + 1) * size]
            cols = {c for r in range(int(y) + 1, 720) for c in range(int(x) - 2, int(x + w) + 3)
                    if 0 <= c < 1280 and pic[r * 1280 + c] == 255}
            self.assertTrue(cols, f)
            self.assertLessEqual(min(cols) - x, 4, (f, cut[f]))
            self.assertLessEqual(x + w - max(cols), 4, (f, cut[f]))

    def test_signals_and_masks(self):
        with open(os.path.join(self.out, "signals.csv")) as f:
            lines = f.read().split()
        self.assertEqual(lines[0], "frame,time_s,veh-ns,ped-cross")
        # offset 14 s: north-south green until 1 s, yellow until 4 s, then red
        self.assertTrue(lines[1].endswith(",green,red"), lines[1])
        self.assertTrue(lines[1 + 50].endswith(",yellow,red"), lines[51])
        self.assertTrue(lines[1 + 200].endswith(",red,green"), lines[201])
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(self.out, "masks.mkv"),
                              "-frames:v", "1", "-ss", "10", "-f", "rawvideo", "-pix_fmt", "gray",
                              "-"], capture_output=True, timeout=60).stdout
        self.assertEqual(len(raw), 1280 * 720)
        values = set(raw)
        self.assertTrue(values.issubset({0, 128, 255}), values)
        self.assertIn(255, values)
        self.assertIn(128, values)

    def test_read_signals_from_the_picture(self):
        """crosswatch signal read follows both heads frame by frame as the truth has them."""
        out = os.path.join(self.out, "signals-read.csv")
        p = cw("signal", "read", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        for head, right, total in signal_agreement(os.path.join(self.out, "signals.csv"), out):
            self.assertGreaterEqual(right / total, 0.98, f"{head}: {right}/{total}")

    def test_deterministic(self):
        again = os.path.join(WORK, "render-again")
        shutil.rmtree(again, ignore_errors=True)
        p = synth(os.path.join(SCEN, "red-light-ebike.json"), again)
        self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("video.mp4", "gt/gt.txt", "truth.json", "scene.json"):
            a = hashlib.sha256(open(os.path.join(self.out, name), "rb").read()).hexdigest()
            b = hashlib.sha256(open(os.path.join(again, name), "rb").read()).hexdigest()
            self.assertEqual(a, b, name)

    def test_track_the_render(self):
        """crosswatch track end to end on the rendered scenario: it runs, writes MOTChallenge rows
        that crosswatch eval reads, and finds the road users (quality figures: BENCHMARKS.md)."""
        tracks = os.path.join(self.out, "tracks.txt")
        classes = os.path.join(self.out, "classes.txt")
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--classes", classes,
               "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        stats = json.loads(p.stdout)
        self.assertEqual(stats["frames"], 500)
        self.assertGreater(stats["boxes"], 500)
        p = cw("eval", "tracks", "--gt", self.out, "--res", tracks, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = json.loads(p.stdout)
        self.assertGreater(m["DetRe"], 0.3)  # it sees the road users
        with open(classes) as f:
            names = {l.strip().split(",")[1] for l in f}
        self.assertTrue(names & {"car", "bus_truck"}, names)
        # the motion detector's --min_area and the tracker's --min_box_area are two settings (they
        # once shared a name, and the tracker's could not be set): boxes above 10^6 px² are none
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--min_box_area", "1e6",
               "--min_area", "30", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["boxes"], 0)
        # time in zones: per zone, the tracks' total against the truth's (foot points inside)
        zone_times = os.path.join(self.out, "zones.csv")
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--zone-times", zone_times)
        self.assertEqual(p.returncode, 0, p.stderr)
        ours = collections.Counter()
        with open(zone_times) as f:
            self.assertEqual(f.readline().strip(), "id,zone,seconds")
            for line in f:
                _, zone, secs = line.strip().split(",")
                ours[zone] += float(secs)
        truth = truth_zone_seconds(self.out)
        self.assertTrue(truth)
        for zone, secs in truth.items():
            self.assertLessEqual(abs(ours[zone] - secs), max(0.3 * secs, 0.5), (zone, ours, truth))
        p = cw("track", os.path.join(self.out, "video.mp4"), "--out", tracks, "--zone-times",
               zone_times)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--zone-times needs --scene", p.stderr)
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--zone-times",
               os.path.join(self.out, "no", "such", "dir", "zones.csv"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("zones.csv: cannot write", p.stderr)
        # the detector's boxes before tracking (--detections): MOTChallenge det rows, one frame
        # after another, that crosswatch mot tracks; a disk that fills is one line, exit 1
        dets = os.path.join(self.out, "dets.txt")
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--detections", dets,
               "--no-colour_split")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(dets) as f:
            rows = [l.strip().split(",") for l in f]
        self.assertGreater(len(rows), 500)
        frames = [int(r[0]) for r in rows]
        self.assertEqual(frames, sorted(frames))
        self.assertTrue(1 <= frames[0] and frames[-1] <= 500, (frames[0], frames[-1]))
        for r in rows:
            self.assertEqual((len(r), r[1]), (10, "-1"), r)
            self.assertTrue(float(r[4]) > 0 and float(r[5]) > 0 and 0 < float(r[6]) <= 1, r)
        # by default vehicles are cut out of merges along their paint (here the car the bus
        # passes): more boxes than --no-colour_split's blobs, and still the road users
        cut = os.path.join(self.out, "dets-colour.txt")
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "scene.json"), "--out", tracks, "--detections", cut)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(cut) as f:
            self.assertGreater(sum(1 for _ in f), len(rows))
        m = json.loads(cw("eval", "tracks", "--gt", self.out, "--res", tracks, "--json").stdout)
        self.assertGreater(m["DetRe"], 0.3)
        p = cw("track", os.path.join(self.out, "video.mp4"), "--out", tracks, "--split")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--split needs a scene (--scene)", p.stderr)
        p = cw("track", os.path.join(self.out, "video.mp4"), "--out", tracks)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("needs a scene", p.stderr)
        p = cw("mot", "--det", dets, "--seqinfo", os.path.join(self.out, "seqinfo.ini"), "--out",
               os.path.join(self.out, "mot.txt"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertGreater(os.path.getsize(os.path.join(self.out, "mot.txt")), 0)
        if os.path.exists("/dev/full"):
            p = cw("track", os.path.join(self.out, "video.mp4"), "--out", tracks, "--detections",
                   "/dev/full")
            self.assertEqual(p.returncode, 1)
            self.assertIn("/dev/full: write failed (disk full?)", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        # bad input: a missing video and a broken scene are one line each
        p = cw("track", os.path.join(self.out, "missing.mp4"), "--out", tracks)
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.mp4': cannot open", p.stderr)
        p = cw("track", os.path.join(self.out, "video.mp4"), "--scene",
               os.path.join(self.out, "signals.csv"), "--out", tracks)
        self.assertEqual(p.returncode, 1)
        self.assertIn("malformed JSON", p.stderr)

    def test_demo(self):
        """scripts/demo.sh, the README's first command, on the binaries under test: every step
        runs and the report has its parts."""
        env = dict(os.environ, CW_BIN=os.path.abspath(BIN), CW_SYNTH=os.path.abspath(SYNTH),
                   CW_DEMO_OUT=os.path.abspath(os.path.join(WORK, "demo")))
        p = subprocess.run(["bash", os.path.join(SRC, "scripts", "demo.sh")], env=env,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-2000:])
        for part in ("== crosswatch probe", ": valid (format version 1)", "decoded 500 frames",
                     "tracked 500 frames", "s in crosswalk", "red-light-car ",
                     "red_light by car 1 at 6.52 s", "veh-ns: 500 of 500 frames",
                     "analyzed 500 frames in", "2 violations",
                     "2 events and 2 evidence manifests checked: no problems",
                     "1-before.jpg 2-during.jpg 3-after.jpg clip.mp4 offender.jpg"):
            self.assertIn(part, p.stdout)

    @unittest.skipUnless(os.environ.get("CW_RENDER_ALL"), "CW_RENDER_ALL is not set")
    def test_render_every_scenario(self):
        for path in sorted(glob.glob(os.path.join(SCEN, "*.json"))):
            n = os.path.basename(path)[:-5]
            out = os.path.join(WORK, "all", n)
            p = synth(path, out)
            self.assertEqual(p.returncode, 0, f"{n}: {p.stderr}")
            p = cw("decode", os.path.join(out, "video.mp4"), "--json")
            self.assertEqual(p.returncode, 0, f"{n}: {p.stderr}")
            # the signal heads read from the picture, flashing pedestrian clearance included
            read = os.path.join(out, "signals-read.csv")
            p = cw("signal", "read", os.path.join(out, "video.mp4"), "--scene",
                   os.path.join(out, "scene.json"), "--out", read)
            self.assertEqual(p.returncode, 0, f"{n}: {p.stderr}")
            for head, right, total in signal_agreement(os.path.join(out, "signals.csv"), read):
                self.assertGreaterEqual(right / total, 0.98, f"{n} {head}: {right}/{total}")


def packet_hashes(path):
    """The SHA-256 of each video packet's data, in file order (ffprobe)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_packets",
                          "-show_data_hash", "sha256", "-show_entries", "packet=data_hash", "-of",
                          "csv=p=0", path], capture_output=True, text=True, check=True).stdout
    return out.split()


class Analyze(unittest.TestCase):
    """crosswatch analyze end to end: video, scene → events in SQLite and JSON lines, scored
    against the truth (full figures per rule: docs/BENCHMARKS.md, section rules)."""

    def analyze(self, name, *extra):
        out = os.path.join(WORK, "analyze", name)
        shutil.rmtree(out, ignore_errors=True)
        p = synth(os.path.join(SCEN, name + ".json"), out)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = cw("analyze", os.path.join(out, "video.mp4"), "--scene", os.path.join(out, "scene.json"),
               "--out", os.path.join(out, "analysis"), "--json", "--quiet", *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        summary = json.loads(p.stdout)
        p = cw("eval", "events", "--truth", os.path.join(out, "truth.json"), "--events",
               os.path.join(out, "analysis", "events.jsonl"), "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        scores = {r["type"]: r for r in map(json.loads, p.stdout.splitlines())}
        return out, summary, scores

    def test_red_lights_are_found(self):
        out, summary, scores = self.analyze("red-light-car", "--debug-video")
        # the debug video: every frame, drawn over
        p = cw("probe", os.path.join(out, "analysis", "debug.mp4"), "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["packets"], 500)
        self.assertEqual((scores["red_light"]["tp"], scores["red_light"]["fp"],
                          scores["red_light"]["fn"]), (2, 0, 0), scores)
        self.assertEqual(summary["rules"]["red_light"]["violations"], 2)
        self.assertTrue(os.path.getsize(os.path.join(out, "analysis", "events.db")) > 0)
        import sqlite3
        with sqlite3.connect(os.path.join(out, "analysis", "events.db")) as db:
            rows = db.execute("SELECT rule, class, signal FROM events").fetchall()
            hourly = db.execute("SELECT SUM(violations) FROM hourly_all").fetchone()[0]
        self.assertEqual(len(rows), 2)
        self.assertTrue(all(r[0] == "red_light" and r[2] == "red" for r in rows), rows)
        self.assertEqual(hourly, 2)
        # the pictures come from frames kept while the cars neared the line on red, crossed it
        # and went on; one not kept (the second car's "before": the pool was busy) is decoded
        ev = summary["evidence"]
        self.assertEqual(ev["pictures_live"] + ev["pictures_decoded"], 6, ev)
        self.assertGreaterEqual(ev["pictures_live"], 4, ev)
        self.check_evidence(out)

    def test_pictures_decoded_again(self):
        """--no-live_pictures: nothing is kept live, every picture is decoded again from the
        packet ring, and they are the same frames of the source."""
        out, summary, _ = self.analyze("red-light-car", "--no-live_pictures")
        ev = summary["evidence"]
        self.assertEqual((ev["complete"], ev["pictures_live"], ev["pictures_decoded"]), (2, 0, 6), ev)
        with open(os.path.join(out, "analysis", "events.jsonl")) as f:
            for e in map(json.loads, f):
                self.pictures_are_source_frames(
                    os.path.join(out, "video.mp4"),
                    os.path.join(out, "analysis", "evidence", e["evidence"]))

    def pictures_are_source_frames(self, video, folder):
        """Each of the three pictures is a frame of the source (below the banner, within JPEG's
        error), in time order, whether kept from the live stream or decoded again from the
        packet ring."""
        try:
            import cv2
            import numpy as np
        except ImportError:
            print("SKIP picture content check: python3-opencv is not installed")
            return
        small = (160, 90)

        def grey(img):
            g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
            return cv2.resize(g, small, interpolation=cv2.INTER_AREA).astype(np.float32)[12:]
        cap, frames = cv2.VideoCapture(video), []
        while True:
            ok, img = cap.read()
            if not ok:
                break
            frames.append(grey(img))
        frames = np.stack(frames)
        found = []
        for pic in ("1-before.jpg", "2-during.jpg", "3-after.jpg"):
            g = grey(cv2.imread(os.path.join(folder, pic), cv2.IMREAD_GRAYSCALE))
            diff = np.abs(frames - g).mean(axis=(1, 2))
            k = int(diff.argmin())
            self.assertLess(diff[k], 3.0, f"{folder}/{pic} is no frame of {video}")
            found.append(k)
        self.assertTrue(found[0] < found[1] < found[2], found)

    def check_evidence(self, out):
        """Evidence of each event: three full-resolution pictures, a close-up and a clip of the
        source's own packets from >= 5 s before to >= 3 s after, all hashed and verified; then
        changed and removed files and an altered event are each named by crosswatch verify."""
        import sqlite3
        analysis = os.path.join(out, "analysis")
        with open(os.path.join(analysis, "events.jsonl")) as f:
            events = [json.loads(l) for l in f]
        with sqlite3.connect(os.path.join(analysis, "events.db")) as db:
            status = dict(db.execute("SELECT id, evidence_status FROM events").fetchall())
            manifests = {r[0]: json.loads(r[1]) for r in db.execute(
                "SELECT event_id, record FROM chain WHERE kind = 'evidence'")}
        src_packets = packet_hashes(os.path.join(out, "video.mp4"))
        for e in events:
            self.assertEqual(status[e["id"]], "complete")
            folder = os.path.join(analysis, "evidence", e["evidence"])
            names = sorted(os.listdir(folder))
            self.assertEqual(names, ["1-before.jpg", "2-during.jpg", "3-after.jpg", "clip.mp4",
                                     "offender.jpg"])
            for pic in names[:3]:
                p = cw("probe", os.path.join(folder, pic), "--json")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual((json.loads(p.stdout)["width"], json.loads(p.stdout)["height"]),
                                 (1280, 720))
            m = manifests[e["id"]]
            self.assertEqual(sorted(f["name"] for f in m["files"]), names)
            # the clip: the source's packets, byte for byte, in one run
            clip = packet_hashes(os.path.join(folder, "clip.mp4"))
            start = src_packets.index(clip[0])
            self.assertEqual(src_packets[start:start + len(clip)], clip)
            self.assertLessEqual(m["clip"]["from_s"], e["time_s"] - 5 + 0.05, m)
            self.assertGreaterEqual(m["clip"]["to_s"], e["time_s"] + 3 - 0.05, m)
            self.pictures_are_source_frames(os.path.join(out, "video.mp4"), folder)
        p = cw("verify", analysis)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("no problems", p.stdout)
        # tamper with a copy
        bad = os.path.join(out, "tampered")
        shutil.rmtree(bad, ignore_errors=True)
        shutil.copytree(analysis, bad)
        first, second = events[0], events[1]
        with open(os.path.join(bad, "evidence", first["evidence"], "2-during.jpg"), "ab") as f:
            f.write(b"x")
        os.remove(os.path.join(bad, "evidence", second["evidence"], "clip.mp4"))
        with sqlite3.connect(os.path.join(bad, "events.db")) as db:
            db.execute("UPDATE events SET rule = 'speeding' WHERE id = ?", (second["id"],))
        p = cw("verify", bad)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"event {first['id']}: evidence file {first['evidence']}/2-during.jpg was "
                      "changed", p.stdout)
        self.assertIn(f"event {second['id']}: evidence file {second['evidence']}/clip.mp4 is "
                      "missing", p.stdout)
        self.assertIn(f"event {second['id']}: altered in the events table", p.stdout)
        self.assertIn("3 problems", p.stdout)

    def test_pedestrian_on_red_is_found(self):
        _, summary, scores = self.analyze("pedestrian-red")
        self.assertEqual((scores["pedestrian_red"]["tp"], scores["pedestrian_red"]["fp"],
                          scores["pedestrian_red"]["fn"]), (1, 0, 0), scores)
        # those who waited for green count as compliant passages
        self.assertGreaterEqual(summary["rules"]["pedestrian_red"]["compliant"], 1)

    def test_privacy_copies(self):
        """--privacy: public/ copies of the three pictures beside the originals, listed and hashed
        in the manifest; the originals are untouched (what pixelating does is tested in
        test_core)."""
        out, summary, _ = self.analyze("pedestrian-red", "--privacy")
        self.assertEqual(summary["evidence"]["complete"], summary["events"])
        with open(os.path.join(out, "analysis", "events.jsonl")) as f:
            e = json.loads(f.readline())
        folder = os.path.join(out, "analysis", "evidence", e["evidence"])
        self.assertEqual(sorted(os.listdir(os.path.join(folder, "public"))),
                         ["1-before.jpg", "2-during.jpg", "3-after.jpg"])
        for pic in ("1-before.jpg", "2-during.jpg", "3-after.jpg"):
            p = cw("probe", os.path.join(folder, "public", pic), "--json")
            self.assertEqual(json.loads(p.stdout)["width"], 1280)
        p = cw("verify", os.path.join(out, "analysis"))
        self.assertEqual(p.returncode, 0, p.stdout)
        import sqlite3
        with sqlite3.connect(os.path.join(out, "analysis", "events.db")) as db:
            m = json.loads(db.execute("SELECT record FROM chain WHERE kind = 'evidence'").fetchone()[0])
        self.assertIn("public/2-during.jpg", [f["name"] for f in m["files"]])

    def test_nothing_happens_nothing_is_reported(self):
        _, summary, _ = self.analyze("empty")
        self.assertEqual(summary["events"], 0)

    def test_jumping_clock_and_no_timestamps(self):
        """A file spliced from two recordings (its clock leaps forward, or back) and a raw H.264
        stream with no timestamps: the same two red-light runs are found, a jump is warned of
        once, and events stay in time order."""
        out = os.path.join(WORK, "analyze", "clock")
        shutil.rmtree(out, ignore_errors=True)
        p = synth(os.path.join(SCEN, "red-light-car.json"), out)
        self.assertEqual(p.returncode, 0, p.stderr)
        video = os.path.join(out, "video.mp4")

        def ts(name, *args):
            path = os.path.join(out, name)
            subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-c", "copy", "-f", "mpegts", path],
                           check=True)
            with open(path, "rb") as f:
                return f.read()

        head = ["-i", video, "-t", "6"]
        tail = ["-ss", "6", "-i", video]
        cases = {
            "forward.ts": ts("a.ts", *head) + ts("b.ts", *tail, "-output_ts_offset", "300"),
            "back.ts": ts("a.ts", *head, "-output_ts_offset", "300") + ts("b.ts", *tail),
        }
        for name, data in cases.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", video, "-c", "copy", "-bsf:v",
                        "h264_mp4toannexb", "-f", "h264", os.path.join(out, "raw.h264")], check=True)
        truth = [e["time_s"] for e in json.load(open(os.path.join(out, "truth.json")))["events"]]
        for name in ("forward.ts", "back.ts", "raw.h264"):
            with self.subTest(name):
                res = os.path.join(out, "an-" + name)
                p = cw("analyze", os.path.join(out, name), "--scene", os.path.join(out, "scene.json"),
                       "--out", res, "--quiet")
                self.assertEqual(p.returncode, 0, p.stderr)
                jumps = [l for l in p.stderr.splitlines() if "stream clock jumped" in l]
                self.assertEqual(len(jumps), 0 if name == "raw.h264" else 1, p.stderr)
                events = [json.loads(l) for l in open(os.path.join(res, "events.jsonl"))]
                self.assertEqual([e["rule"] for e in events], ["red_light", "red_light"])
                # on the steady analysis clock, within the matching window of the truth
                for e, t in zip(events, truth):
                    self.assertLess(abs(e["time_s"] - t), 2.0, (name, events, truth))
                self.assertLess(events[0]["first_ms"], events[1]["first_ms"])

    def test_evidence_at_end_of_input(self):
        """The input ends between a red-light run and its "after" moment (a second after the
        crossing): that picture, normally kept from the live stream, is decoded again from the
        packet ring (the last picture), and the evidence is complete."""
        out = os.path.join(WORK, "analyze", "short")
        shutil.rmtree(out, ignore_errors=True)
        p = synth(os.path.join(SCEN, "red-light-car.json"), out)
        self.assertEqual(p.returncode, 0, p.stderr)
        # the first run crosses at frame 168 and is judged at ~189; "after" would be frame 193
        short = os.path.join(out, "short.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", os.path.join(out, "video.mp4"),
                        "-frames:v", "191", "-c", "copy", short], check=True)
        analysis = os.path.join(out, "analysis")
        p = cw("analyze", short, "--scene", os.path.join(out, "scene.json"), "--out", analysis,
               "--json", "--quiet")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["evidence"]["complete"], 1, p.stdout)
        self.assertEqual(json.loads(p.stdout)["evidence"]["pictures_decoded"], 1, p.stdout)
        with open(os.path.join(analysis, "events.jsonl")) as f:
            (e,) = [json.loads(l) for l in f]
        folder = os.path.join(analysis, "evidence", e["evidence"])
        self.assertEqual(sorted(os.listdir(folder)), ["1-before.jpg", "2-during.jpg",
                                                      "3-after.jpg", "clip.mp4", "offender.jpg"])
        self.pictures_are_source_frames(short, folder)
        p = cw("verify", analysis)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_resolution_changes_mid_way(self):
        """A stream that drops from 1280x720 to 640x360 after 6 s (a camera switched to its
        sub-stream): the background is learnt afresh, detections stay in the scene's pixels, the
        same two red-light runs are found, each with its evidence."""
        out = os.path.join(WORK, "analyze", "sizes")
        shutil.rmtree(out, ignore_errors=True)
        p = synth(os.path.join(SCEN, "red-light-car.json"), out)
        self.assertEqual(p.returncode, 0, p.stderr)
        video = os.path.join(out, "video.mp4")
        parts = []
        for name, args in (("a.ts", ["-i", video, "-t", "6"]),
                           ("b.ts", ["-ss", "6", "-i", video, "-vf", "scale=640:360",
                                     "-output_ts_offset", "6"])):
            path = os.path.join(out, name)
            subprocess.run(["ffmpeg", "-v", "error", "-y", *args, "-c:v", "libx264", "-preset",
                            "ultrafast", "-f", "mpegts", path], check=True)
            with open(path, "rb") as f:
                parts.append(f.read())
        with open(os.path.join(out, "sizes.ts"), "wb") as f:
            f.write(b"".join(parts))
        p = cw("analyze", os.path.join(out, "sizes.ts"), "--scene", os.path.join(out, "scene.json"),
               "--out", os.path.join(out, "an"), "--quiet", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("picture size changed from 1280x720 to 640x360", p.stderr)
        s = json.loads(p.stdout)
        self.assertEqual(s["rules"]["red_light"]["violations"], 2, p.stderr)
        self.assertEqual(s["evidence"]["complete"], 2)
        p = cw("verify", os.path.join(out, "an"))
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_retention(self):
        """Evidence is deleted oldest first by budget only once reviewed, and regardless of review
        when the disk is filling; each deletion is sealed, so verify stays clean."""
        out = os.path.join(WORK, "analyze", "red-light-car")
        if not os.path.exists(os.path.join(out, "analysis", "events.db")):
            self.analyze("red-light-car")
        d = os.path.join(WORK, "analyze", "retention")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(os.path.join(out, "analysis"), d)
        p = cw("retention", d, "--budget-mb", "1", "--min-free-mb", "0")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("deleted the evidence of 0 events", p.stdout)  # both await review
        p = cw("review", d, "--event", "1", "--decision", "accepted")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = cw("review", d, "--event", "99", "--decision", "accepted")
        self.assertEqual(p.returncode, 1)
        self.assertIn("has no event 99", p.stderr)
        p = cw("retention", d, "--budget-mb", "1", "--min-free-mb", "0")
        self.assertIn("deleted the evidence of 1 events (0 awaiting review)", p.stdout)
        import sqlite3
        with sqlite3.connect(os.path.join(d, "events.db")) as db:
            status = dict(db.execute("SELECT id, evidence_status FROM events").fetchall())
        self.assertEqual(status[1], "deleted: disk budget")
        self.assertEqual(status[2], "complete")
        p = cw("verify", d)
        self.assertEqual(p.returncode, 0, p.stdout)
        # the disk is filling: what awaits review goes too
        p = cw("retention", d, "--min-free-mb", "100000000")
        self.assertIn("deleted the evidence of 1 events (1 awaiting review)", p.stdout)
        self.assertIn("nothing more to delete", p.stderr)
        p = cw("verify", d)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_read_only_store(self):
        """A store the user may not write: one line naming it and what to check, and the file is
        left as it was. Run as an unprivileged user (root writes anyway)."""
        out, _, _ = self.analyze("empty")
        ro = os.path.join(out, "read-only")
        shutil.rmtree(ro, ignore_errors=True)
        os.makedirs(ro)
        db = os.path.join(ro, "events.db")
        shutil.copy(os.path.join(out, "analysis", "events.db"), db)
        os.chmod(db, 0o444)
        with open(db, "rb") as f:
            before = f.read()
        cmd = [BIN, "analyze", os.path.join(out, "video.mp4"), "--scene",
               os.path.join(out, "scene.json"), "--out", ro, "--quiet"]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                self.skipTest("running as root without setpriv: cannot make a store read-only")
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + \
                  [os.path.abspath(c) if os.path.exists(c) else c for c in cmd]
            for d in (WORK, os.path.join(WORK, "analyze"), out):
                os.chmod(d, 0o755)
            for name in ("video.mp4", "scene.json"):
                os.chmod(os.path.join(out, name), 0o644)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 1, p.stderr)
        errors = [l for l in p.stderr.splitlines() if " error " in l]
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn("events.db", errors[0])
        self.assertIn("writable", errors[0])
        with open(db, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_evidence_disk_full(self):
        """Evidence on a disk that fills up (a 1.5 MB tmpfs the test mounts): the first event's
        evidence fits, the second fails with one error naming it and 'failed: disk full' on the
        event; both events are written, no partial file is left, and verify says which."""
        out = os.path.join(WORK, "analyze", "full")
        shutil.rmtree(out, ignore_errors=True)
        p = synth(os.path.join(SCEN, "red-light-car.json"), out)
        self.assertEqual(p.returncode, 0, p.stderr)
        disk = os.path.join(out, "small-disk")
        os.makedirs(disk)
        m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", disk],
                           capture_output=True, text=True)
        if m.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs here ({m.stderr.strip()}); needs root")
        try:
            res = os.path.join(out, "analysis")
            p = cw("analyze", os.path.join(out, "video.mp4"), "--scene",
                   os.path.join(out, "scene.json"), "--out", res, "--evidence-dir", disk,
                   "--quiet", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            summary = json.loads(p.stdout)
            self.assertEqual(summary["events"], 2)
            self.assertEqual((summary["evidence"]["complete"], summary["evidence"]["failed"]),
                             (1, 1), p.stderr)
            full = [l for l in p.stderr.splitlines() if "disk is full" in l]
            self.assertTrue(full, p.stderr)
            self.assertIn("evidence failed: disk full; detection goes on", p.stderr)
            parts = [f for _, _, fs in os.walk(disk) for f in fs if f.endswith(".part")]
            self.assertEqual(parts, [])
            p = cw("verify", res, "--evidence", disk)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("event 2: evidence incomplete (failed: disk full)", p.stdout)
            self.assertIn("1 problem", p.stdout)
        finally:
            subprocess.run(["umount", disk])

    def test_bad_input(self):
        p = cw("analyze", os.path.join(WORK, "no-such.mp4"))
        self.assertEqual(p.returncode, 2)
        scene = os.path.join(SRC, "examples", "intersection.json")
        p = cw("analyze", os.path.join(WORK, "no-such.mp4"), "--scene", scene, "--out",
               os.path.join(WORK, "analyze", "bad"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("no-such.mp4", p.stderr)
        self.assertEqual(len([l for l in p.stderr.splitlines() if " error " in l]), 1, p.stderr)


class EventEval(unittest.TestCase):
    def setUp(self):
        self.out = os.path.join(WORK, "eval")
        p = synth(os.path.join(SCEN, "red-light-car.json"), self.out, "--truth-only")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.truth = os.path.join(self.out, "truth.json")

    def score(self, lines, *args):
        path = os.path.join(self.out, "events.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(json.dumps(l) for l in lines) + "\n")
        p = cw("eval", "events", "--truth", self.truth, "--events", path, "--json", *args)
        return p.returncode, [json.loads(l) for l in p.stdout.splitlines()], p.stderr

    def test_matching(self):
        truth = json.load(open(self.truth))["events"]
        self.assertEqual(len(truth), 2)
        dets = [{"type": e["type"], "time_s": e["time_s"] + 0.4} for e in truth]
        dets.append({"type": "red_light", "time_s": 1.0})          # a false alarm
        dets.append({"type": "speeding", "time_s": 3.0})            # a type not in the truth
        code, rows, err = self.score(dets)
        self.assertEqual(code, 0, err)
        by = {r["type"]: r for r in rows}
        self.assertEqual((by["red_light"]["tp"], by["red_light"]["fp"], by["red_light"]["fn"]),
                         (2, 1, 0))
        self.assertEqual(by["speeding"]["fp"], 1)
        self.assertAlmostEqual(by["all"]["precision"], 0.5)
        self.assertAlmostEqual(by["all"]["recall"], 1.0)
        # one detection cannot match two true events, and the tolerance is honoured
        code, rows, _ = self.score([{"type": "red_light", "time_s": truth[-1]["time_s"] + 3}],
                                   "--tolerance-s=2")
        self.assertEqual({r["type"]: r for r in rows}["red_light"]["fn"], 2)
        # a detection that lasted (first_ms..last_ms) matches a true instant within its span
        t = truth[0]["time_s"]
        span = [{"type": "red_light", "time_s": t - 6, "first_ms": 1000, "last_ms": 6500}]
        code, rows, _ = self.score(span, "--tolerance-s=1")
        self.assertEqual({r["type"]: r for r in rows}["red_light"]["tp"], 1)
        span[0]["last_ms"] = 4000  # ends 2 s before the true instant: beyond the tolerance
        code, rows, _ = self.score(span, "--tolerance-s=1")
        self.assertEqual({r["type"]: r for r in rows}["red_light"]["tp"], 0)

    def test_bad_truth_files(self):
        path = os.path.join(self.out, "bad-truth.json")
        cases = {'{"fps": 25, "events": [{"type": "red_light", "time_s": 1}]}':
                 "events[0].actor: required in the truth",
                 '{"events": []}': "fps: required",
                 '{"fps": 25}': "events: required, a list",
                 '[1, 2]': "malformed JSON, or not an object",
                 '{"fps": 25, "frames": 10, "tracks": "nowhere.txt", "events": []}':
                 "nowhere.txt: cannot open"}
        events = os.path.join(self.out, "none.jsonl")
        open(events, "w").close()
        for text, expect in cases.items():
            with open(path, "w") as f:
                f.write(text)
            p = cw("eval", "events", "--truth", path, "--events", events)
            self.assertEqual(p.returncode, 1, text)
            self.assertIn(expect, p.stderr)

    def test_bad_event_files(self):
        path = os.path.join(self.out, "bad.jsonl")
        cases = {'{"type": "red_light"}\n': "needs time_s or frame",
                 '{"time_s": 3}\n': ".type: required",
                 'not json\n': "malformed JSON line",
                 '{"type": "x", "time_s": 1, "box": [1, 2]}\n': ".box: expected [x, y, width, height]"}
        for text, expect in cases.items():
            with open(path, "w") as f:
                f.write(text)
            p = cw("eval", "events", "--truth", self.truth, "--events", path)
            self.assertEqual(p.returncode, 1)
            self.assertIn(expect, p.stderr)
            self.assertIn("bad.jsonl:1", p.stderr)


class ScenarioErrors(unittest.TestCase):
    base = {"name": "t", "duration_s": 1, "actors": [{"id": 1, "class": "car", "route": "nb_1"}]}

    def run_with(self, mutate):
        sc = json.loads(json.dumps(self.base))
        mutate(sc)
        path = os.path.join(WORK, "bad-scenario.json")
        os.makedirs(WORK, exist_ok=True)
        with open(path, "w") as f:
            json.dump(sc, f)
        return synth(path, os.path.join(WORK, "bad-out"), "--truth-only")

    def test_errors_name_the_place(self):
        cases = [
            (lambda s: s["actors"][0].update({"class": "tank"}),
             "actors[0].class: unknown value 'tank'; use one of: pedestrian"),
            (lambda s: (s["actors"][0].pop("route"),
                        s["actors"][0].update({"path": [[0, 0], [0, 900]]})),
             "actors[0].path[1]: (0, 900) leaves the ground"),
            (lambda s: s["actors"][0].update({"route": "nb_9"}),
             "actors[0].route: no route 'nb_9'"),
            (lambda s: s.update({"signals": {"phases": [
                {"id": "ns", "kind": "vehicle", "green_start_s": 0, "green_s": 15},
                {"id": "ped", "kind": "pedestrian", "green_start_s": 10, "green_s": 10}]}}),
             "signals.phases[1]: green 10-23 s overlaps the green of conflicting phase 'ns' (0-18 s)"),
            (lambda s: s.update({"fps": 0}), "fps: 0 is out of range"),
            (lambda s: s.update({"size": [1281, 720]}), "size: expected [width, height], even"),
            (lambda s: s.update({"camera": {"pitch_deg": 95}}), "camera.pitch_deg: 95 is out of range"),
            (lambda s: s.update({"colour": 1}), "colour: unknown setting"),
            (lambda s: s["actors"][0].update({"size_m": [4, 2]}),
             "actors[0].size_m: expected [length, width, height]"),
            (lambda s: s["actors"].append({"id": 1, "class": "car", "route": "nb_2"}),
             "actors[1].id: 1 is already used by actors[0]"),
        ]
        for mutate, expect in cases:
            p = self.run_with(mutate)
            self.assertNotEqual(p.returncode, 0, expect)
            self.assertIn(expect, p.stderr)

    def test_malformed_and_missing(self):
        path = os.path.join(WORK, "malformed.json")
        os.makedirs(WORK, exist_ok=True)
        with open(path, "w") as f:
            f.write('{"name": "x",')
        p = synth(path, os.path.join(WORK, "x"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("malformed JSON", p.stderr)
        p = synth(os.path.join(WORK, "none.json"), os.path.join(WORK, "x"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("none.json: cannot open", p.stderr)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run(unittest.TestCase):
    """crosswatch run: several cameras in one process, health at /metrics, SIGHUP reloads the
    scenes, SIGTERM writes what is queued, SIGKILL loses nothing reported as written, a camera
    that drops comes back while the others go on."""

    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(WORK, "run")
        os.makedirs(cls.out, exist_ok=True)
        for name in ("red-light-car", "pedestrian-red"):
            if not os.path.exists(os.path.join(cls.out, name, "video.mp4")):
                p = synth(os.path.join(SCEN, name + ".json"), os.path.join(cls.out, name))
                assert p.returncode == 0, p.stderr

    def setUp(self):
        self.dir = os.path.abspath(os.path.join(self.out, self._testMethodName))
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.proc = None
        self.log_file = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.log_file:
            self.log_file.close()

    def start(self, cameras, port=None):
        site = {"store": "events.db", "evidence_dir": "evidence", "health_s": 1,
                "cameras": cameras}
        if port:
            site["metrics"] = f"127.0.0.1:{port}"
        with open(os.path.join(self.dir, "site.json"), "w") as f:
            json.dump(site, f)
        self.log = os.path.join(self.dir, "log")
        if self.log_file:
            self.log_file.close()
        self.log_file = open(self.log, "w")
        self.proc = subprocess.Popen([os.path.abspath(BIN), "run", "--config", "site.json"],
                                     cwd=self.dir, stdout=subprocess.DEVNULL, stderr=self.log_file)
        return self.proc

    def read_log(self):
        with open(self.log) as f:
            return f.read()

    def camera(self, name, cam_id, loop=True):
        src = os.path.abspath(os.path.join(self.out, name))
        scene = os.path.join(self.dir, cam_id + ".json")
        shutil.copy(os.path.join(src, "scene.json"), scene)
        return {"id": cam_id, "scene": scene, "input": os.path.join(src, "video.mp4"),
                "loop": loop}

    @staticmethod
    def metrics(port):
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        m = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                m[k] = float(v)
        return m

    def wait_for(self, what, cond, timeout=40):
        end = time.time() + timeout
        while time.time() < end:
            self.assertIsNone(self.proc.poll(), f"crosswatch run exited while waiting for {what}: "
                              + self.read_log()[-2000:])
            try:
                if cond():
                    return
            except (OSError, KeyError):
                pass
            time.sleep(0.25)
        self.fail(f"timed out waiting for {what}: " + self.read_log()[-2000:])

    def test_cameras_metrics_reload_and_stop(self):
        port = free_port()
        cams = [self.camera("red-light-car", "car"), self.camera("pedestrian-red", "ped")]
        self.start(cams, port)
        m = lambda: self.metrics(port)  # noqa: E731
        self.wait_for("both cameras analysing", lambda: all(
            m()[f'crosswatch_frames_analysed_total{{camera="{c}"}}'] > 40 for c in ("car", "ped")))
        # a looped file plays at its own pace, like a camera: about 25 frames/s
        fps = m()['crosswatch_frames_in_per_second{camera="car"}']
        self.assertTrue(15 < fps < 35, fps)
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for("the scenes reloaded",
                      lambda: "camera ped: scene reloaded from" in self.read_log())
        with open(cams[1]["scene"], "w") as f:
            f.write("{ not a scene")
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for("the bad scene refused",
                      lambda: "camera ped: scene " + cams[1]["scene"] + " not reloaded" in
                      self.read_log())
        before = m()['crosswatch_frames_analysed_total{camera="ped"}']
        self.wait_for("ped going on with its old scene",
                      lambda: m()['crosswatch_frames_analysed_total{camera="ped"}'] > before + 10)
        self.wait_for("a red-light event with its evidence",
                      lambda: m()['crosswatch_evidence_complete_total{camera="car"}'] >= 1)
        written = m()["crosswatch_events_written_total"]
        self.assertLess(m()['crosswatch_event_latency_seconds{quantile="0.99"}'], 0.1)
        # issue 7: evidence complete within 5 s of its clip's end; its pictures were kept live
        self.assertLess(m()['crosswatch_evidence_delay_max_seconds{camera="car"}'], 5)
        self.assertGreaterEqual(m()['crosswatch_evidence_pictures_live_total{camera="car"}'], 3)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(60), 0, self.read_log()[-2000:])
        log = self.read_log()
        self.assertIn("SIGTERM: stopping", log)
        self.assertRegex(log, r"events: \d+ written, 0 dropped")
        p = cw("verify", self.dir)
        self.assertEqual(p.returncode, 0, p.stdout)
        import sqlite3
        with sqlite3.connect(os.path.join(self.dir, "events.db")) as db:
            n, cams_seen = db.execute("SELECT COUNT(*), COUNT(DISTINCT camera) FROM events").fetchone()
        self.assertGreaterEqual(n, written)
        self.assertGreaterEqual(cams_seen, 1)

    def test_killed_mid_run(self):
        port = free_port()
        self.start([self.camera("red-light-car", "car")], port)
        m = lambda: self.metrics(port)  # noqa: E731
        self.wait_for("an event written", lambda: m()["crosswatch_events_written_total"] >= 1)
        written = m()["crosswatch_events_written_total"]
        self.proc.kill()
        self.proc.wait()
        # every event reported as written is there, and verify says which evidence is missing
        p = cw("verify", self.dir)
        import sqlite3
        with sqlite3.connect(os.path.join(self.dir, "events.db")) as db:
            n = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
            pending = [r[0] for r in db.execute(
                "SELECT id FROM events WHERE evidence_status = 'pending' ORDER BY id")]
        self.assertGreaterEqual(n, written)
        problems = [l for l in p.stdout.splitlines() if l.startswith("event ")]
        self.assertEqual(problems, [f"event {i}: evidence incomplete (the process stopped before "
                                    "it was written)" for i in pending], p.stdout)
        # and the store opens again for the next run
        self.start([self.camera("red-light-car", "car")], port)
        self.wait_for("running again", lambda: m()['crosswatch_frames_analysed_total{camera="car"}'] > 10)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(60), 0, self.read_log()[-2000:])

    def test_camera_drops_and_comes_back(self):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from test_cli import Camera
        port, rtsp_port = free_port(), free_port()
        scene = os.path.join(self.dir, "rtsp.json")
        with open(scene, "w") as f:
            json.dump({"version": 1, "site": {"id": "loopback"},
                       "camera": {"id": "rtsp", "width": 640, "height": 360},
                       "ground": {"image_to_ground": [0.05, 0, 0, 0, 0.05, 0, 0, 0, 1]}}, f)
        first = Camera(rtsp_port, stop_after=3)
        try:
            self.start([{"id": "rtsp", "scene": scene, "input": first.url},
                        self.camera("pedestrian-red", "ped")], port)
            m = lambda: self.metrics(port)  # noqa: E731
            self.wait_for("the RTSP camera streaming",
                          lambda: m()['crosswatch_frames_analysed_total{camera="rtsp"}'] > 10)
            first.proc.wait(30)  # the camera goes away ...
        finally:
            first.stop()
        ped = m()['crosswatch_frames_analysed_total{camera="ped"}']
        time.sleep(2)
        self.assertGreater(m()['crosswatch_frames_analysed_total{camera="ped"}'], ped + 20)
        frames = m()['crosswatch_frames_analysed_total{camera="rtsp"}']
        with Camera(rtsp_port):  # ... and comes back on the same address
            self.wait_for("the RTSP camera back", lambda: (
                m()['crosswatch_reconnects_total{camera="rtsp"}'] >= 1 and
                m()['crosswatch_frames_analysed_total{camera="rtsp"}'] > frames + 10), timeout=60)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(60), 0, self.read_log()[-2000:])

    def test_bad_site_files(self):
        def run_site(text):
            path = os.path.join(self.dir, "site.json")
            with open(path, "w") as f:
                f.write(text)
            return cw("run", "--config", path)
        p = cw("run", "--config", os.path.join(self.dir, "none.json"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("none.json", p.stderr)
        p = run_site("{ nope")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a JSON object", p.stderr)
        p = run_site('{"cameras": []}')
        self.assertEqual(p.returncode, 1)
        self.assertIn("cameras: expected a list of cameras", p.stderr)
        p = run_site('{"cameras": [{"scene": "missing.json", "input": "x.mp4"}]}')
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.json", p.stderr)
        self.assertEqual(len([l for l in p.stderr.splitlines() if " error " in l]), 1, p.stderr)
        # a camera that sends garbage fails alone; the other goes on to its end. The garbage is
        # fixed bytes that no demuxer takes (random ones now and then pass for a damaged
        # stream that decodes a picture, and the camera ended instead of being given up)
        garbage = os.path.join(self.dir, "garbage.mp4")
        with open(garbage, "wb") as f:
            f.write(bytes((i * 7919) % 251 for i in range(200000)))
        cam = self.camera("pedestrian-red", "ped", loop=False)
        bad = dict(cam, id="bad", input=garbage)
        p = run_site(json.dumps({"cameras": [bad, cam]}))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("camera bad: given up", p.stderr)
        self.assertIn("camera ped: ended", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
