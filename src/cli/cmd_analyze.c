/* crosswatch analyze: the whole pipeline on a video file, as fast as it goes — decode, motion
 * detector, tracker on the ground plane, signal state, rules — with events written to the store
 * (SQLite) and as JSON lines, and a summary per rule. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/file.h"
#include "crosswatch/clock.h"
#include "crosswatch/detection.h"
#include "crosswatch/draw.h"
#include "crosswatch/encoder.h"
#include "crosswatch/error.h"
#include "crosswatch/evidence.h"
#include "crosswatch/light.h"
#include "crosswatch/log.h"
#include "crosswatch/motion.h"
#include "crosswatch/motion_stage.h"
#include "crosswatch/prefetch.h"
#include "crosswatch/rules.h"
#include "crosswatch/scene.h"
#include "crosswatch/signals.h"
#include "crosswatch/source.h"
#include "crosswatch/store.h"
#include "crosswatch/tracker.h"

struct analyze_opts {
    struct cw_tracker_config trk;
    struct cw_motion_config mot;
    struct cw_signals_config sig;
    struct cw_evidence_config evi;
    bool evidence;
    char *evidence_dir;
    char *scene;
    char *out;
    char *plan;
    bool json;
    bool quiet;
    bool debug_video;
    int threads;
};

static struct cw_option analyze_options[96];

static const struct cw_option own_options[] = {
    {"scene",
     CW_OPT_STRING,
     offsetof(struct analyze_opts, scene),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the scene file: ground plane, lines, lanes, zones, signal heads, rules",
     CW_OPT_REQUIRED},
    {"out",
     CW_OPT_STRING,
     offsetof(struct analyze_opts, out),
     {.s = "analysis"},
     0,
     0,
     NULL,
     NULL,
     "folder for events.db (SQLite), events.jsonl and summary.json"},
    {"plan",
     CW_OPT_STRING,
     offsetof(struct analyze_opts, plan),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "a fixed-time signal plan (JSON) for heads the picture does not show"},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct analyze_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print the summary as JSON"},
    {"quiet",
     CW_OPT_BOOL,
     offsetof(struct analyze_opts, quiet),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "do not print each event as a JSON line"},
    {"threads",
     CW_OPT_INT,
     offsetof(struct analyze_opts, threads),
     {.i = 1},
     0,
     64,
     NULL,
     NULL,
     "decoder threads, on their own ahead of the analysis (which runs on one); 0 lets FFmpeg "
     "choose"},
    {"debug_video",
     CW_OPT_BOOL,
     offsetof(struct analyze_opts, debug_video),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "also write DIR/debug.mp4: tracks, zones, lines and signal state drawn over"},
    {"evidence",
     CW_OPT_BOOL,
     offsetof(struct analyze_opts, evidence),
     {.b = true},
     0,
     0,
     NULL,
     NULL,
     "write evidence for each violation under DIR/evidence: three pictures, a close-up and a "
     "clip, hashed and sealed in the store"},
    {"evidence_dir",
     CW_OPT_STRING,
     offsetof(struct analyze_opts, evidence_dir),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where the evidence goes (default DIR/evidence), e.g. a disk of its own"},
    {NULL},
};

const struct cw_command cw__cmd_analyze_desc = {
    "analyze", "<video> --scene scene.json [--out DIR]",
    "find the violations in a video: events to DIR/events.db and JSON lines, a summary per rule",
    cw__cmd_analyze};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = own_options; o->name; o++)
        analyze_options[n++] = *o;
    for (const struct cw_option *o = cw_motion_options; o->name; o++) {
        analyze_options[n] = *o;
        analyze_options[n++].offset += offsetof(struct analyze_opts, mot);
    }
    for (const struct cw_option *o = cw_signals_options; o->name; o++) {
        analyze_options[n] = *o;
        analyze_options[n++].offset += offsetof(struct analyze_opts, sig);
    }
    for (const struct cw_option *o = cw_evidence_options; o->name; o++) {
        analyze_options[n] = *o;
        analyze_options[n++].offset += offsetof(struct analyze_opts, evi);
    }
    for (const struct cw_option *o = cw_tracker_options; o->name; o++) {
        if (!strcmp(o->name, "fps") || !strcmp(o->name, "interpolate_s"))
            continue;
        analyze_options[n] = *o;
        analyze_options[n++].offset += offsetof(struct analyze_opts, trk);
    }
    analyze_options[n].name = NULL;
}

/* Frames decoded ahead of the analysis, on the reader's thread. */
#define READ_AHEAD 4

/* A violation stays outlined in the debug video this long after it is reported. */
#define SHOW_EVENT_FRAMES 50

struct shown {
    struct cw_box box;
    int64_t until;
};

static struct cw_colour class_colour(int cls)
{
    switch (cls) {
    case CW_CLASS_PEDESTRIAN:
        return CW_ORANGE;
    case CW_CLASS_TWO_WHEELER:
        return CW_MAGENTA;
    case CW_CLASS_CAR:
        return CW_CYAN;
    case CW_CLASS_BUS_TRUCK:
        return CW_BLUE;
    default:
        return CW_GREY;
    }
}

static struct cw_colour light_colour(int state)
{
    return state == CW_LIGHT_RED      ? CW_RED
           : state == CW_LIGHT_YELLOW ? CW_YELLOW
           : state == CW_LIGHT_GREEN  ? CW_GREEN
                                      : CW_GREY;
}

/* One frame of the debug video: the picture, the scene drawn over it in the signals' colours,
 * the tracks by class with their ids, recent violations in thick red. */
static int debug_frame(struct cw_encoder *enc, const struct cw_frame *f, const struct cw_scene *sc,
                       struct cw_signals *sig, const struct cw_track_out *tr, int nt,
                       const struct shown *shown, int nshown)
{
    struct cw_canvas c = {{0}, {0}, f->width, f->height};
    if (cw_encoder_planes(enc, c.plane, c.stride))
        return CW_ENOMEM;
    for (int p = 0; p < 3; p++) {
        int h = p ? (f->height + 1) / 2 : f->height, w = p ? (f->width + 1) / 2 : f->width;
        for (int y = 0; y < h; y++)
            memcpy(c.plane[p] + (size_t)y * c.stride[p], f->plane[p] + (size_t)y * f->stride[p],
                   (size_t)w);
    }
    for (int z = 0; z < sc->n_zones; z++)
        if (sc->zones[z].kind != CW_ZONE_IGNORE)
            cw_draw_polygon(&c, sc->zones[z].poly.img, sc->zones[z].poly.n,
                            sc->zones[z].kind == CW_ZONE_CROSSWALK ? CW_WHITE : CW_GREY, 1);
    for (int k = 0; k < sc->n_lanes; k++) {
        const struct cw_lane *l = &sc->lanes[k];
        cw_draw_line(&c, l->dir_img[0], l->dir_img[1], CW_GREY, 1);
        if (l->stop_line >= 0) {
            struct cw_signal_status st = {0};
            if (l->signal >= 0)
                cw_signals_get(sig, l->signal, f->time_ns, &st);
            cw_draw_line(&c, sc->lines[l->stop_line].img[0], sc->lines[l->stop_line].img[1],
                         light_colour(st.state), 3);
        }
    }
    for (int k = 0; k < sc->n_signals; k++) {
        struct cw_signal_status st;
        cw_signals_get(sig, k, f->time_ns, &st);
        if (sc->signals[k].has_region)
            cw_draw_box(&c, &sc->signals[k].region, light_colour(st.state), 3);
    }
    for (int i = 0; i < nt; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", tr[i].id);
        cw_draw_box(&c, &tr[i].box, class_colour(tr[i].cls), 2);
        cw_draw_digits(&c, (int)tr[i].box.x, (int)tr[i].box.y - 12, id, class_colour(tr[i].cls), 2);
    }
    for (int i = 0; i < nshown; i++)
        if (shown[i].until >= f->index)
            cw_draw_box(&c, &shown[i].box, CW_RED, 5);
    return cw_encoder_write(enc, f->index);
}

/* mkdir -p: the folder and any parents missing. Returns 0 or -1 (errno set). */
/* Writes the events of a frame to the store, the JSON-lines file and stdout. */
static int put_events(struct cw_store *store, FILE *jl, bool quiet, struct cw_event *ev, int n)
{
    if (!n)
        return 0;
    int err = cw_store_write(store, ev, n);
    if (err)
        return err;
    for (int i = 0; i < n; i++) {
        char line[2048];
        if (cw_event_to_json(&ev[i], line, sizeof(line)) < 0)
            continue;
        fprintf(jl, "%s\n", line);
        if (!quiet)
            printf("%s\n", line);
    }
    return 0;
}

int cw__cmd_analyze(int argc, char **argv)
{
    struct analyze_opts o = {0};
    struct cw_source_config sc;
    struct cw_source *src = NULL;
    struct cw_scene *scene = NULL;
    struct cw_motion_stage *mot = NULL;
    struct cw_tracker *trk = NULL;
    struct cw_signals *sig = NULL;
    struct cw_rules *rules = NULL;
    struct cw_store *store = NULL;
    struct cw_encoder *enc = NULL;
    struct cw_evidence *evi = NULL;
    struct cw_prefetch *pf = NULL;
    struct shown shown[16] = {{{0}, -1}};
    static struct cw_detection dets[512];
    static struct cw_track_out outs[512];
    static struct cw_event events[64];
    static struct cw_passage passages[256];
    char *pos[1], path[4096], *plan = NULL;
    int n_pos, ret;
    bool help;
    FILE *jl = NULL;
    int64_t frames = 0, nevents = 0, t_start = cw_clock_mono_ns();

    build_table();
    cw_options_defaults(analyze_options, &o);
    o.trk.new_score = CW_MOTION_NEW_SCORE; /* the motion detector's, unless given */
    o.trk.coast_s = CW_MOTION_COAST_S;
    ret = cw__cli_parse(analyze_options, &o, argc, argv, "analyze", pos, 1, &n_pos, &help);
    if (ret || help || n_pos != 1 || !o.scene) {
        if (help)
            cw__cli_usage(&cw__cmd_analyze_desc, analyze_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch analyze <video> --scene scene.json [--out DIR]; "
                            "see --help\n");
        cw_options_release(analyze_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (cw_scene_load(o.scene, &scene))
        goto out;
    if (cw__mkdir_p(o.out)) {
        cw_log_error("analyze", "%s: cannot create the output folder: %s", o.out, strerror(errno));
        goto out;
    }
    struct cw_store_config stc = {0};
    cw_options_defaults(cw_store_options, &stc);
    snprintf(path, sizeof(path), "%s/events.db", o.out);
    store = cw_store_open(path, &stc);
    snprintf(path, sizeof(path), "%s/events.jsonl", o.out);
    jl = fopen(path, "w");
    sig = cw_signals_new(scene, &o.sig);
    rules = cw_rules_new(scene, scene->site.id, scene->camera.id);
    mot = cw_motion_stage_new(&o.mot, scene);
    if (!store || !sig || !rules || !mot)
        goto out;
    if (!jl) {
        cw_log_error("analyze", "%s: cannot write", path);
        goto out;
    }
    if (o.plan) {
        size_t len;
        if (cw__read_file("analyze", o.plan, 1 << 20, &plan, &len) ||
            cw_signals_load_plan(sig, plan, o.plan, 0))
            goto out;
    }
    cw_options_defaults(cw_source_options, &sc);
    sc.input = pos[0];
    /* the ring holds a clip's span plus the longest violation (a slow red-light run) */
    sc.ring_seconds = o.evidence ? o.evi.before_s + o.evi.after_s + 20 : 0;
    sc.threads = o.threads;
    if (sc.frames < cw_prefetch_pool_frames(READ_AHEAD))
        sc.frames = cw_prefetch_pool_frames(READ_AHEAD);
    if (cw_source_open(&sc, &src))
        goto out;
    if (o.evidence) {
        if (o.evidence_dir)
            snprintf(path, sizeof(path), "%s", o.evidence_dir);
        else
            snprintf(path, sizeof(path), "%s/evidence", o.out);
        if (!(evi = cw_evidence_new(&o.evi, path, src, scene, store)))
            goto out;
    }
    o.trk.fps = cw_source_get_info(src)->fps > 0 ? cw_source_get_info(src)->fps : 25;
    o.trk.interpolate_s = 0;
    trk = cw_tracker_new(&o.trk);
    if (!trk)
        goto out;
    cw_tracker_set_zones(trk, scene);
    cw_tracker_set_pixels(trk, &cw_motion_stage_pixels, mot);
    /* decoding goes on on a thread of its own while each frame is analysed on this one */
    if (cw_prefetch_new(src, READ_AHEAD, &pf))
        goto out;
    struct cw_frame *fr;
    int err;
    while ((err = cw_prefetch_read(pf, &fr)) == 0) {
        if (o.debug_video && !enc) {
            snprintf(path, sizeof(path), "%s/debug.mp4", o.out);
            struct cw_encoder_config ec = {
                path,      "libx264", CW_ENCODER_YUV420, fr->width & ~1, fr->height & ~1,
                o.trk.fps, 23,        "veryfast"};
            if (!(enc = cw_encoder_new(&ec))) {
                cw_frame_unref(&fr);
                goto out;
            }
        }
        int nb = cw_motion_stage_run(mot, fr, 1 / o.trk.fps, dets, 512);
        if (nb < 0) {
            cw_frame_unref(&fr);
            goto out;
        }
        int nt = cw_tracker_update(trk, dets, nb, outs, 512);
        cw_signals_read_frame(sig, fr, fr->time_ns);
        struct cw_rule_input in = {outs,        nt < 0 ? 0 : nt,       sig,
                                   fr->time_ns, fr->wall_ns / 1000000, fr->index};
        int np, ne = cw_rules_process(rules, &in, events, 64, passages, 256, &np);
        /* after the rules: they say whether this picture may be needed */
        if (evi)
            cw_evidence_observe(evi, fr, outs, nt < 0 ? 0 : nt, cw_rules_interest(rules));
        for (int i = 0; i < ne; i++) {
            shown[(nevents + i) % 16] =
                (struct shown){events[i].box, fr->index + SHOW_EVENT_FRAMES};
            if (evi)
                cw_evidence_name(evi, &events[i]);
        }
        if (enc && debug_frame(enc, fr, scene, sig, outs, nt < 0 ? 0 : nt, shown, 16)) {
            cw_frame_unref(&fr);
            goto out;
        }
        cw_frame_unref(&fr);
        if (nt < 0 || put_events(store, jl, o.quiet, events, ne) ||
            cw_store_add_passages(store, passages, np))
            goto out;
        for (int i = 0; evi && i < ne; i++)
            cw_evidence_request(evi, &events[i]);
        if (evi)
            cw_evidence_run(evi, false);
        nevents += ne;
        frames++;
    }
    if (err != CW_EOF)
        goto out;
    if (evi)
        cw_evidence_run(evi, true);
    if (cw_encoder_close(enc)) {
        enc = NULL;
        goto out;
    }
    enc = NULL;
    if (fclose(jl) != 0) {
        jl = NULL;
        cw_log_error("analyze", "%s/events.jsonl: write failed (disk full?)", o.out);
        goto out;
    }
    jl = NULL;
    double secs = (cw_clock_mono_ns() - t_start) / 1e9;
    snprintf(path, sizeof(path), "%s/summary.json", o.out);
    FILE *sf = fopen(path, "w");
    if (!sf) {
        cw_log_error("analyze", "%s: cannot write", path);
        goto out;
    }
    fprintf(sf,
            "{\"video\":\"%s\",\"frames\":%" PRId64 ",\"seconds\":%.2f,\"frames_per_s\":%.1f,"
            "\"events\":%" PRId64 ",\"rules\":{",
            pos[0], frames, secs, frames / fmax(secs, 1e-9), nevents);
    bool first = true;
    if (!o.json)
        printf("analyzed %" PRId64 " frames in %.1f s (%.0f frames/s): %" PRId64 " violations\n",
               frames, secs, frames / fmax(secs, 1e-9), nevents);
    for (int r = 0; r < CW_RULE_COUNT; r++) {
        const char *name = cw_rules_name(r);
        int64_t viol, ok;
        if (!name || !scene->rules[r].enabled)
            continue;
        cw_rules_counts(rules, r, &viol, &ok);
        /* nothing judged: no rate (null), rather than a 100 % nobody earned */
        char rate[32] = "null", said[32] = "nothing judged";
        if (viol + ok) {
            double share = (double)ok / (double)(viol + ok);
            snprintf(rate, sizeof(rate), "%.4f", share);
            snprintf(said, sizeof(said), "compliance %.1f %%", 100 * share);
        }
        fprintf(sf,
                "%s\"%s\":{\"violations\":%" PRId64 ",\"compliant\":%" PRId64 ",\"compliance\":%s}",
                first ? "" : ",", name, viol, ok, rate);
        first = false;
        if (!o.json)
            printf("  %-16s %4" PRId64 " violations, %4" PRId64 " compliant passages (%s)\n", name,
                   viol, ok, said);
    }
    fprintf(sf, "}");
    if (evi) {
        struct cw_evidence_stats es;
        cw_evidence_get_stats(evi, &es);
        fprintf(sf,
                ",\"evidence\":{\"complete\":%" PRId64 ",\"failed\":%" PRId64 ",\"bytes\":%" PRId64
                ",\"pictures_live\":%" PRId64 ",\"pictures_decoded\":%" PRId64 "}",
                es.complete, es.failed, es.files_bytes, es.pictures_live, es.pictures_decoded);
        if (!o.json)
            printf("  evidence: %" PRId64 " complete, %" PRId64
                   " failed, under %s%s (pictures: %" PRId64 " kept live, %" PRId64
                   " decoded again)\n",
                   es.complete, es.failed, o.evidence_dir ? o.evidence_dir : o.out,
                   o.evidence_dir ? "" : "/evidence", es.pictures_live, es.pictures_decoded);
    }
    fprintf(sf, "}\n");
    if (fclose(sf) != 0) {
        cw_log_error("analyze", "%s: write failed (disk full?)", path);
        goto out;
    }
    if (o.json) {
        FILE *rf = fopen(path, "r");
        char buf[4096];
        size_t n = rf ? fread(buf, 1, sizeof(buf) - 1, rf) : 0;
        if (rf)
            fclose(rf);
        buf[n] = 0;
        fputs(buf, stdout);
    }
    ret = CW_EXIT_OK;
out:
    cw_prefetch_free(pf); /* first: the reader uses the source */
    cw_evidence_free(evi);
    cw_encoder_close(enc);
    if (jl)
        fclose(jl);
    free(plan);
    cw_motion_stage_free(mot);
    cw_tracker_free(trk);
    cw_rules_free(rules);
    cw_signals_free(sig);
    cw_store_close(store);
    cw_source_free(src);
    cw_scene_free(scene);
    cw_options_release(analyze_options, &o);
    return ret;
}
