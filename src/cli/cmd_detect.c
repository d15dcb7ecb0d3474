/* crosswatch detect: video in, the DNN detector's road users out, one MOTChallenge detection row
 * each (frame,-1,x,y,w,h,score,-1,-1,-1) with crosswatch's class as an eleventh column. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/dnn_detector.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/scene.h"
#include "crosswatch/source.h"

struct detect_opts {
    struct cw_dnn_detector_config det;
    char *out;
    char *scene;
    int every;
    bool json;
};

static struct cw_option detect_options[32];

static const struct cw_option own_options[] = {
    {"out",
     CW_OPT_STRING,
     offsetof(struct detect_opts, out),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where to write the detections (MOTChallenge det rows + class)",
     CW_OPT_REQUIRED},
    {"scene",
     CW_OPT_STRING,
     offsetof(struct detect_opts, scene),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "scene file: checked, and used to place detections on the ground"},
    {"every",
     CW_OPT_INT,
     offsetof(struct detect_opts, every),
     {.i = 1},
     1,
     1000,
     NULL,
     "frames",
     "run the model on every Nth frame"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct detect_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print statistics as a JSON object"},
    {NULL},
};

const struct cw_command cw__cmd_detect_desc = {
    "detect", "<input> --model-cfg m.cfg --model-weights m.weights --out dets.txt",
    "run the DNN detector (darknet YOLO model) over a video; detections out", cw__cmd_detect};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = own_options; o->name; o++)
        detect_options[n++] = *o;
    for (const struct cw_option *o = cw_dnn_detector_options; o->name; o++) {
        detect_options[n] = *o;
        detect_options[n].offset += offsetof(struct detect_opts, det);
        n++;
    }
    detect_options[n].name = NULL;
}

int cw__cmd_detect(int argc, char **argv)
{
    struct detect_opts o = {0};
    struct cw_source_config sc;
    struct cw_source *src = NULL;
    struct cw_scene *scene = NULL;
    struct cw_dnn_detector *det = NULL;
    struct cw_detection dets[512];
    char *pos[1];
    int n_pos, ret;
    bool help;
    FILE *f = NULL;
    int64_t frames = 0, runs = 0, rows = 0, work_ns = 0;
    double net_ms = 0;

    build_table();
    cw_options_defaults(detect_options, &o);
    ret = cw__cli_parse(detect_options, &o, argc, argv, "detect", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1) {
        if (help)
            cw__cli_usage(&cw__cmd_detect_desc, detect_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch detect <input> --model-cfg m.cfg --model-weights "
                            "m.weights --out dets.txt; see --help\n");
        cw_options_release(detect_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (o.scene && cw_scene_load(o.scene, &scene))
        goto out;
    det = cw_dnn_detector_new(&o.det);
    if (!det)
        goto out;
    cw_options_defaults(cw_source_options, &sc);
    sc.input = pos[0];
    sc.ring_seconds = 0;
    if (cw_source_open(&sc, &src))
        goto out;
    f = fopen(o.out, "w");
    if (!f) {
        cw_log_error("detect", "%s: cannot write", o.out);
        goto out;
    }
    struct cw_frame *fr;
    int err;
    while ((err = cw_source_read(src, &fr)) == 0) {
        frames++;
        if (fr->index % o.every) {
            cw_frame_unref(&fr);
            continue;
        }
        int64_t t0 = cw_clock_mono_ns();
        int n = cw_dnn_detector_run(det, fr, scene, dets, 512);
        work_ns += cw_clock_mono_ns() - t0;
        if (n < 0) {
            cw_frame_unref(&fr);
            goto out;
        }
        runs++;
        net_ms += cw_dnn_detector_last_ms(det);
        for (int i = 0; i < n; i++, rows++)
            fprintf(f, "%" PRId64 ",-1,%.2f,%.2f,%.2f,%.2f,%.3f,-1,-1,-1,%s\n", fr->index + 1,
                    dets[i].box.x, dets[i].box.y, dets[i].box.w, dets[i].box.h, dets[i].score,
                    cw_class_name(dets[i].cls));
        cw_frame_unref(&fr);
    }
    if (err != CW_EOF)
        goto out;
    if (fclose(f) != 0) {
        f = NULL;
        cw_log_error("detect", "%s: write failed (disk full?)", o.out);
        goto out;
    }
    f = NULL;
    double secs = (double)work_ns / 1e9;
    if (o.json)
        printf("{\"frames\":%" PRId64 ",\"detector_runs\":%" PRId64 ",\"detections\":%" PRId64
               ",\"ms_per_run\":%.2f,\"network_ms_per_run\":%.2f}\n",
               frames, runs, rows, runs ? secs * 1e3 / runs : 0, runs ? net_ms / runs : 0);
    else
        printf("detected %" PRId64 " road users in %" PRId64 " of %" PRId64
               " frames; %.1f ms a frame (network %.1f ms)\n",
               rows, runs, frames, runs ? secs * 1e3 / runs : 0, runs ? net_ms / runs : 0);
    ret = CW_EXIT_OK;
out:
    if (f)
        fclose(f);
    cw_dnn_detector_free(det);
    cw_source_free(src);
    cw_scene_free(scene);
    cw_options_release(detect_options, &o);
    return ret;
}
