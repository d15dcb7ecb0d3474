/* crosswatch-synth: renders a synthetic intersection with exact ground truth.
 * Usage: crosswatch-synth <scenario.json> --out <dir> [--masks] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "synth.h"

static int usage(FILE *out, int code)
{
    fprintf(out, "usage: crosswatch-synth <scenario.json> --out <dir> [--masks] [--truth-only] "
                 "[--log-level=LEVEL]\n\n"
                 "Renders the scenario (docs/synth.md) to <dir>: video.mp4 (H.264), scene.json "
                 "(the crosswatch\nscene file), truth.json (every violation), gt/gt.txt and "
                 "seqinfo.ini (MOTChallenge boxes),\nsignals.csv (signal state per frame) and, "
                 "with --masks, masks.mkv (per-pixel road users 255,\ntheir shadows 128). "
                 "--truth-only runs the scenario without drawing it: truth, scene and\nsignals "
                 "only (no video, no boxes).\n");
    return code;
}

/* mkdir -p */
static int make_dir(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            cw_log_error("synth", "%s: cannot create the folder: %s", buf, strerror(errno));
            return CW_EIO;
        }
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        cw_log_error("synth", "%s: cannot create the folder: %s", path, strerror(errno));
        return CW_EIO;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *scenario = NULL, *out = NULL;
    bool masks = false, truth_only = false;
    struct syn_scenario *sc = calloc(1, sizeof(*sc));
    struct syn_world *w = calloc(1, sizeof(*w));
    struct syn_camera cam;
    struct syn_renderer *r = NULL;
    struct syn_writer *wr = NULL;
    struct syn_box boxes[SYN_MAX_ACTORS];
    FILE *gt = NULL, *sig = NULL;
    char path[1200];
    int ret = 1, frames;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strncmp(argv[i], "--out=", 6))
            out = argv[i] + 6;
        else if (!strcmp(argv[i], "--masks"))
            masks = true;
        else if (!strcmp(argv[i], "--truth-only"))
            truth_only = true;
        else if (!strncmp(argv[i], "--log-level=", 12)) {
            enum cw_log_level l;
            if (cw_log_level_parse(argv[i] + 12, &l))
                return usage(stderr, 2);
            cw_log_set_level(l);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout, 0);
        else if (argv[i][0] == '-' || scenario)
            return usage(stderr, 2);
        else
            scenario = argv[i];
    }
    if (!scenario || !out)
        return usage(stderr, 2);
    if (!sc || !w)
        goto out;
    if (syn_scenario_load(scenario, sc) || syn_world_init(w, sc))
        goto out;
    syn_camera_init(&cam, sc);
    w->cam = &cam;
    if (make_dir(out))
        goto out;
    snprintf(path, sizeof(path), "%s/gt", out);
    if (make_dir(path))
        goto out;
    int64_t t0 = cw_clock_mono_ns();
    if (!truth_only) {
        r = syn_renderer_new(w, &cam, masks);
        wr = r ? syn_writer_new(out, sc, masks) : NULL;
        if (!r || !wr)
            goto out;
    }
    snprintf(path, sizeof(path), "%s/gt/gt.txt", out);
    gt = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/signals.csv", out);
    sig = fopen(path, "w");
    if (!gt || !sig) {
        cw_log_error("synth", "%s: cannot write the ground truth files", out);
        goto out;
    }
    frames = (int)(sc->duration_s * sc->fps + 0.5);
    fprintf(sig, "frame,time_s");
    for (int h = 0; h < w->n_heads; h++)
        fprintf(sig, ",%s", w->head[h].id);
    fprintf(sig, "\n");
    for (int f = 0; f < frames; f++) {
        double t = f / sc->fps;
        int n;
        syn_world_step(w, f, t, 1 / sc->fps);
        n = 0;
        if (!truth_only) {
            syn_render(r, f, t, boxes, &n);
            if (syn_writer_frame(wr, r, f))
                goto out;
        }
        for (int b = 0; b < n; b++)
            /* a box hidden to under a tenth is marked "ignore" (conf 0), as MOTChallenge does */
            fprintf(gt, "%d,%d,%.2f,%.2f,%.2f,%.2f,%d,-1,%.3f\n", f + 1, boxes[b].id, boxes[b].x,
                    boxes[b].y, boxes[b].w, boxes[b].h, boxes[b].visibility >= 0.1 ? 1 : 0,
                    boxes[b].visibility);
        fprintf(sig, "%d,%.3f", f, t);
        for (int h = 0; h < w->n_heads; h++) {
            static const char *const names[] = {"red", "yellow", "green", "off"};
            fprintf(sig, ",%s", names[syn_phase_state(sc, w->head[h].phase, t, NULL)]);
        }
        fprintf(sig, "\n");
    }
    if (syn_writer_close(wr)) {
        wr = NULL;
        goto out;
    }
    wr = NULL;
    if (fclose(gt) != 0 || fclose(sig) != 0) {
        gt = sig = NULL;
        cw_log_error("synth", "%s: writing the ground truth failed (disk full?)", out);
        goto out;
    }
    gt = sig = NULL;
    snprintf(path, sizeof(path), "%s/seqinfo.ini", out);
    FILE *ini = fopen(path, "w");
    if (!ini) {
        cw_log_error("synth", "%s: cannot write", path);
        goto out;
    }
    fprintf(ini,
            "[Sequence]\nname=%s\nimDir=img1\nframeRate=%g\nseqLength=%d\nimWidth=%d\n"
            "imHeight=%d\nimExt=.jpg\n",
            sc->name, sc->fps, frames, sc->width, sc->height);
    fclose(ini);
    if (syn_write_scene(out, w, &cam) || syn_write_truth(out, w, frames))
        goto out;
    double secs = (double)(cw_clock_mono_ns() - t0) / 1e9;
    cw_log_info("synth",
                "%s: %d frames of %dx%d in %.2f s (%.1f frames/s, %.1fx real time), "
                "%d violations, up to %d actors at once",
                sc->name, frames, sc->width, sc->height, secs, frames / secs,
                frames / secs / sc->fps, w->n_events, w->max_active);
    ret = 0;
out:
    if (gt)
        fclose(gt);
    if (sig)
        fclose(sig);
    syn_writer_close(wr);
    syn_renderer_free(r);
    syn_world_release(w);
    free(w);
    free(sc);
    return ret;
}
