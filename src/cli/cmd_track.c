/* crosswatch track: video in, tracks out — the input path, a detector (the motion model, or a
 * darknet YOLO model with --detector dnn) and the tracker, writing MOTChallenge rows (and each
 * track's class) for crosswatch eval. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/detection.h"
#include "crosswatch/dnn_detector.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/motion.h"
#include "crosswatch/motion_stage.h"
#include "crosswatch/scene.h"
#include "crosswatch/source.h"
#include "crosswatch/tracker.h"

struct track_opts {
    struct cw_tracker_config trk;
    struct cw_motion_config mot;
    struct cw_dnn_detector_config dnn;
    int detector; /* DETECTOR_* */
    int every;    /* run the DNN on every Nth frame, the tracker predicting in between */
    char *scene;
    char *out;
    char *classes;
    char *detections;
    char *zone_times;
    int analysis_width;
    int dump_frame;
    char *dump;
    bool json;
};

enum { DETECTOR_MOTION, DETECTOR_DNN };
#define DNN_DEFAULT_CONF 0.25 /* cw_dnn_detector_options' default */
static const char *const detector_names[] = {"motion", "dnn", NULL};

static struct cw_option track_options[80];

static const struct cw_option own_options[] = {
    {"detector",
     CW_OPT_ENUM,
     offsetof(struct track_opts, detector),
     {.i = DETECTOR_MOTION},
     0,
     0,
     detector_names,
     NULL,
     "motion (model-free), or dnn (a darknet YOLO model: --model-cfg, --model-weights)"},
    {"every",
     CW_OPT_INT,
     offsetof(struct track_opts, every),
     {.i = 1},
     1,
     100,
     NULL,
     "frames",
     "with --detector dnn: run the model on every Nth frame; the tracker predicts in between"},
    {"scene",
     CW_OPT_STRING,
     offsetof(struct track_opts, scene),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "scene file: ground plane for sizes and classes, ignore zones"},
    {"out",
     CW_OPT_STRING,
     offsetof(struct track_opts, out),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where to write the tracks (MOTChallenge rows)",
     CW_OPT_REQUIRED},
    {"classes",
     CW_OPT_STRING,
     offsetof(struct track_opts, classes),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where to write each track's class (id,class per line)"},
    {"detections",
     CW_OPT_STRING,
     offsetof(struct track_opts, detections),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where to write the detector's boxes, before tracking (MOTChallenge det rows, as crosswatch "
     "mot --det reads them)"},
    {"zone_times",
     CW_OPT_STRING,
     offsetof(struct track_opts, zone_times),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "with --scene: where to write the time each track spent in each zone (id,zone,seconds)"},
    {"analysis_width",
     CW_OPT_INT,
     offsetof(struct track_opts, analysis_width),
     {.i = 640},
     16,
     4096,
     NULL,
     "px",
     "width of the grey analysis image"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct track_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print statistics as a JSON object"},
    {"dump",
     CW_OPT_STRING,
     offsetof(struct track_opts, dump),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "write the motion mask of frame dump_frame to this PGM file (to see what it sees)"},
    {"dump_frame",
     CW_OPT_INT,
     offsetof(struct track_opts, dump_frame),
     {.i = 0},
     0,
     100000000,
     NULL,
     NULL,
     "0-based frame for dump"},
    {NULL},
};

const struct cw_command cw__cmd_track_desc = {
    "track", "<input> --out tracks.txt",
    "detect road users (motion detector or a DNN) and track them; MOTChallenge rows out",
    cw__cmd_track};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = own_options; o->name; o++)
        track_options[n++] = *o;
    for (const struct cw_option *o = cw_motion_options; o->name; o++) {
        track_options[n] = *o;
        track_options[n].offset += offsetof(struct track_opts, mot);
        n++;
    }
    for (const struct cw_option *o = cw_dnn_detector_options; o->name; o++) {
        track_options[n] = *o;
        track_options[n].offset += offsetof(struct track_opts, dnn);
        track_options[n].flags &= ~CW_OPT_REQUIRED; /* only with --detector dnn */
        n++;
    }
    for (const struct cw_option *o = cw_tracker_options; o->name; o++) {
        if (!strcmp(o->name, "fps") || !strcmp(o->name, "interpolate_s"))
            continue; /* from the video; online */
        track_options[n] = *o;
        track_options[n].offset += offsetof(struct track_opts, trk);
        n++;
    }
    track_options[n].name = NULL;
}

static const char *const class_names[] = {"unknown", "pedestrian", "two_wheeler", "car",
                                          "bus_truck"};

/* What the command keeps of each reported track until the end. */
struct seen {
    bool reported;
    int cls;
    uint64_t zones_ever;
    float zone_s[CW_SCENE_MAX_ITEMS]; /* total seconds in each zone */
};

/* id,zone,seconds for every track and zone it was in, in order of id then zone. */
static int write_zone_times(const char *path, const struct cw_scene *scene, const struct seen *seen,
                            int n)
{
    FILE *z = fopen(path, "w");
    if (!z) {
        cw_log_error("track", "%s: cannot write", path);
        return -1;
    }
    fprintf(z, "id,zone,seconds\n");
    for (int id = 1; id < n; id++)
        for (uint64_t b = seen[id].zones_ever; b; b &= b - 1) {
            int k = __builtin_ctzll(b);
            fprintf(z, "%d,%s,%.2f\n", id, scene->zones[k].id, seen[id].zone_s[k]);
        }
    if (fclose(z) != 0) {
        cw_log_error("track", "%s: write failed (disk full?)", path);
        return -1;
    }
    return 0;
}

int cw__cmd_track(int argc, char **argv)
{
    struct track_opts o = {0};
    struct cw_source_config sc;
    struct cw_source *src = NULL;
    struct cw_scene *scene = NULL;
    struct cw_motion_stage *mot = NULL;
    struct cw_dnn_detector *dnn = NULL;
    struct cw_tracker *trk = NULL;
    struct cw_detection dets[512];
    struct cw_track_out outs[512];
    struct seen *seen = NULL; /* indexed by track id */
    int seen_cap = 0;
    char *pos[1];
    int n_pos, ret;
    bool help;
    FILE *f = NULL, *df = NULL;
    int64_t frames = 0, rows = 0, work_ns = 0;

    build_table();
    cw_options_defaults(track_options, &o);
    o.trk.new_score = CW_MOTION_NEW_SCORE; /* the motion detector's, unless given */
    o.trk.coast_s = CW_MOTION_COAST_S;
    o.trk.confirm_hits = 3;
    ret = cw__cli_parse(track_options, &o, argc, argv, "track", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1 || !o.out) {
        if (help)
            cw__cli_usage(&cw__cmd_track_desc, track_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch track <input> --out tracks.txt; see --help\n");
        cw_options_release(track_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    if (o.zone_times && !o.scene) {
        fprintf(stderr, "crosswatch track: --zone-times needs --scene (the zones are in it)\n");
        cw_options_release(track_options, &o);
        return CW_EXIT_USAGE;
    }
    if (o.every > 1 && o.detector != DETECTOR_DNN) {
        fprintf(stderr, "crosswatch track: --every is for --detector dnn (the motion model learns "
                        "from every frame)\n");
        cw_options_release(track_options, &o);
        return CW_EXIT_USAGE;
    }
    if (o.detector == DETECTOR_DNN && (!o.dnn.model_cfg || !o.dnn.model_weights)) {
        fprintf(stderr, "crosswatch track: --detector dnn needs --model-cfg and --model-weights\n");
        cw_options_release(track_options, &o);
        return CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (o.scene && cw_scene_load(o.scene, &scene))
        goto out;
    if (o.detector == DETECTOR_DNN) {
        o.trk.whole_objects = true; /* a box is one road user, not a blob of several */
        /* Network scores run lower than the motion model's: unless given, start tracks from
         * 0.5 and let weak boxes (from 0.1) keep tracks alive, as ByteTrack does. */
        if (o.trk.new_score == CW_MOTION_NEW_SCORE)
            o.trk.new_score = 0.5;
        if (o.trk.coast_s == CW_MOTION_COAST_S)
            o.trk.coast_s = 0; /* a network's boxes do not come and go as blobs do */
        if (o.dnn.conf == DNN_DEFAULT_CONF)
            o.dnn.conf = 0.1;
        dnn = cw_dnn_detector_new(&o.dnn);
        if (!dnn)
            goto out;
    }
    cw_options_defaults(cw_source_options, &sc);
    sc.input = pos[0];
    sc.analysis_width = o.analysis_width;
    sc.ring_seconds = 0;
    if (cw_source_open(&sc, &src))
        goto out;
    o.trk.fps = cw_source_get_info(src)->fps > 0 ? cw_source_get_info(src)->fps : 25;
    o.trk.interpolate_s = 0;
    trk = cw_tracker_new(&o.trk);
    if (trk && scene)
        cw_tracker_set_zones(trk, scene);
    f = fopen(o.out, "w");
    if (!trk || !f) {
        if (!f)
            cw_log_error("track", "%s: cannot write", o.out);
        goto out;
    }
    if (o.detections && !(df = fopen(o.detections, "w"))) {
        cw_log_error("track", "%s: cannot write", o.detections);
        goto out;
    }
    struct cw_frame *fr;
    int err;
    while ((err = cw_source_read(src, &fr)) == 0) {
        int64_t t0 = cw_clock_mono_ns();
        int nb, nt;
        if (dnn && fr->index % o.every) {
            nt = cw_tracker_predict(trk, outs, 512);
            work_ns += cw_clock_mono_ns() - t0;
            goto output;
        }
        if (dnn) {
            nb = cw_dnn_detector_run(dnn, fr, scene, dets, 512);
            if (nb < 0) {
                cw_frame_unref(&fr);
                goto out;
            }
            goto update;
        }
        if (!mot) {
            if (!(mot = cw_motion_stage_new(&o.mot, scene))) {
                cw_frame_unref(&fr);
                goto out;
            }
            cw_tracker_set_pixels(trk, &cw_motion_stage_pixels, mot);
        }
        nb = cw_motion_stage_run(mot, fr, 1 / o.trk.fps, dets, 512);
        if (nb < 0) {
            cw_frame_unref(&fr);
            goto out;
        }
        if (o.dump && fr->index == o.dump_frame) {
            FILE *pgm = fopen(o.dump, "wb");
            if (pgm) {
                fprintf(pgm, "P5\n%d %d\n255\n", fr->grey.width, fr->grey.height);
                fwrite(cw_motion_mask(cw_motion_stage_model(mot)), 1,
                       (size_t)fr->grey.width * fr->grey.height, pgm);
                fclose(pgm);
            }
        }
    update:
        for (int i = 0; df && i < nb; i++)
            fprintf(df, "%" PRId64 ",-1,%.2f,%.2f,%.2f,%.2f,%.3f,-1,-1,-1\n", fr->index + 1,
                    dets[i].box.x, dets[i].box.y, dets[i].box.w, dets[i].box.h, dets[i].score);
        nt = cw_tracker_update(trk, dets, nb, outs, 512);
        work_ns += cw_clock_mono_ns() - t0;
        if (nt < 0) {
            cw_frame_unref(&fr);
            goto out;
        }
    output:
        for (int i = 0; i < nt; i++) {
            if (outs[i].hidden)
                continue;
            fprintf(f, "%" PRId64 ",%d,%.2f,%.2f,%.2f,%.2f,%.3f,-1,-1,-1\n", fr->index + 1,
                    outs[i].id, outs[i].box.x, outs[i].box.y, outs[i].box.w, outs[i].box.h,
                    outs[i].score);
            if (outs[i].id >= seen_cap) {
                int nc = outs[i].id * 2 + 16;
                struct seen *c = realloc(seen, sizeof(*seen) * (size_t)nc);
                if (!c) {
                    cw_frame_unref(&fr);
                    goto out;
                }
                memset(c + seen_cap, 0, sizeof(*c) * (size_t)(nc - seen_cap));
                seen = c;
                seen_cap = nc;
            }
            struct seen *st = &seen[outs[i].id];
            st->reported = true;
            st->cls = outs[i].cls;
            /* zone times grow only while inside (or coasting inside), so the zones it has ever
             * been in are the ones to read */
            st->zones_ever |= outs[i].zones;
            for (uint64_t b = st->zones_ever; b; b &= b - 1) {
                int z = __builtin_ctzll(b);
                double stay, total;
                if (cw_tracker_zone_time(trk, outs[i].id, z, &stay, &total))
                    st->zone_s[z] = (float)total;
            }
            rows++;
        }
        frames++;
        cw_frame_unref(&fr);
    }
    if (err != CW_EOF)
        goto out;
    if (fclose(f) != 0) {
        f = NULL;
        cw_log_error("track", "%s: write failed (disk full?)", o.out);
        goto out;
    }
    f = NULL;
    if (df && fclose(df) != 0) {
        df = NULL;
        cw_log_error("track", "%s: write failed (disk full?)", o.detections);
        goto out;
    }
    df = NULL;
    if (o.classes) {
        FILE *c = fopen(o.classes, "w");
        if (!c) {
            cw_log_error("track", "%s: cannot write", o.classes);
            goto out;
        }
        for (int id = 1; id < seen_cap; id++)
            if (seen[id].reported)
                fprintf(c, "%d,%s\n", id, class_names[seen[id].cls]);
        if (fclose(c) != 0) {
            cw_log_error("track", "%s: write failed (disk full?)", o.classes);
            goto out;
        }
    }
    if (o.zone_times && write_zone_times(o.zone_times, scene, seen, seen_cap))
        goto out;
    double secs = (double)work_ns / 1e9;
    if (o.json)
        printf("{\"frames\":%" PRId64 ",\"boxes\":%" PRId64 ",\"work_s\":%.3f,"
               "\"frames_per_s\":%.1f}\n",
               frames, rows, secs, frames / fmax(secs, 1e-9));
    else
        printf("tracked %" PRId64 " frames into %" PRId64 " boxes; detector and tracker %.1f "
               "frames/s\n",
               frames, rows, frames / fmax(secs, 1e-9));
    ret = CW_EXIT_OK;
out:
    if (f)
        fclose(f);
    if (df)
        fclose(df);
    free(seen);
    cw_motion_stage_free(mot);
    cw_dnn_detector_free(dnn);
    cw_tracker_free(trk);
    cw_source_free(src);
    cw_scene_free(scene);
    cw_options_release(track_options, &o);
    return ret;
}
