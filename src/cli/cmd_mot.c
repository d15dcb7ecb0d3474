/* crosswatch mot: the tracker on MOTChallenge detections, writing MOTChallenge results. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/mot.h"
#include "crosswatch/tracker.h"

struct mot_opts {
    struct cw_tracker_config trk;
    char *det;
    char *seqinfo;
    char *out;
    bool json;
};

static struct cw_option mot_options[40];

static const struct cw_option own_options[] = {
    {"det",
     CW_OPT_STRING,
     offsetof(struct mot_opts, det),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "detections in MOTChallenge format (det.txt)",
     CW_OPT_REQUIRED},
    {"seqinfo",
     CW_OPT_STRING,
     offsetof(struct mot_opts, seqinfo),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "the sequence's seqinfo.ini (length and frame rate)",
     CW_OPT_REQUIRED},
    {"out",
     CW_OPT_STRING,
     offsetof(struct mot_opts, out),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "where to write the tracks (MOTChallenge format)",
     CW_OPT_REQUIRED},
    {"json",
     CW_OPT_BOOL,
     offsetof(struct mot_opts, json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print statistics as a JSON object"},
    {NULL},
};

const struct cw_command cw__cmd_mot_desc = {
    "mot", "--det det.txt --seqinfo seqinfo.ini --out result.txt",
    "track MOTChallenge detections with crosswatch's tracker (image-plane mode)", cw__cmd_mot};

static void build_table(void)
{
    int n = 0;
    for (const struct cw_option *o = cw_tracker_options; o->name; o++) {
        mot_options[n] = *o;
        mot_options[n].offset += offsetof(struct mot_opts, trk);
        n++;
    }
    for (const struct cw_option *o = own_options; o->name; o++)
        mot_options[n++] = *o;
    mot_options[n].name = NULL;
}

struct row {
    int frame, id;
    struct cw_box b;
    float score;
};

static int cmp_track_frame(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->frame > y->frame) - (x->frame < y->frame);
}

static int cmp_frame_id(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Fills gaps of up to @max frames in each track by straight-line interpolation (offline). */
static int interpolate(struct row **rows, size_t *n, size_t *cap, int max)
{
    size_t orig = *n;
    if (max <= 0 || orig < 2)
        return 0;
    qsort(*rows, orig, sizeof(**rows), cmp_track_frame);
    for (size_t i = 1; i < orig; i++) {
        struct row a = (*rows)[i - 1], b = (*rows)[i];
        int gap = b.frame - a.frame;
        if (a.id != b.id || gap < 2 || gap > max + 1)
            continue;
        for (int f = 1; f < gap; f++) {
            double t = (double)f / gap;
            if (*n == *cap) {
                struct row *r = realloc(*rows, sizeof(**rows) * *cap * 2);
                if (!r)
                    return CW_ENOMEM;
                *rows = r;
                *cap *= 2;
            }
            (*rows)[(*n)++] =
                (struct row){a.frame + f,
                             a.id,
                             {a.b.x + t * (b.b.x - a.b.x), a.b.y + t * (b.b.y - a.b.y),
                              a.b.w + t * (b.b.w - a.b.w), a.b.h + t * (b.b.h - a.b.h)},
                             -1};
        }
    }
    return 0;
}

int cw__cmd_mot(int argc, char **argv)
{
    struct mot_opts o = {0};
    struct cw_mot_seqinfo info;
    struct cw_mot_file det;
    struct cw_tracker *t = NULL;
    struct cw_detection *dets = NULL;
    struct cw_track_out *outs = NULL;
    struct row *rows = NULL;
    size_t nrows = 0, cap = 1024;
    char *pos[1];
    int n_pos, ret;
    bool help;
    int64_t track_ns = 0;
    FILE *f;

    build_table();
    cw_options_defaults(mot_options, &o);
    ret = cw__cli_parse(mot_options, &o, argc, argv, "mot", pos, 0, &n_pos, &help);
    if (ret || help || !o.det || !o.seqinfo || !o.out) {
        if (help)
            cw__cli_usage(&cw__cmd_mot_desc, mot_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch mot --det det.txt --seqinfo seqinfo.ini --out "
                            "result.txt; see --help\n");
        cw_options_release(mot_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (cw_mot_read_seqinfo(o.seqinfo, &info))
        goto out_opts;
    if (info.fps > 0)
        o.trk.fps = info.fps;
    if (cw_mot_load(o.det, info.length, false, &det))
        goto out_opts;
    t = cw_tracker_new(&o.trk);
    size_t most = 1;
    for (int fr = 1; fr <= info.length; fr++)
        if (det.first[fr + 1] - det.first[fr] > most)
            most = det.first[fr + 1] - det.first[fr];
    dets = malloc(sizeof(*dets) * most);
    outs = malloc(sizeof(*outs) * (most + 1) * 4);
    rows = malloc(sizeof(*rows) * cap);
    if (!t || !dets || !outs || !rows) {
        cw_log_error("mot", "out of memory");
        goto out;
    }
    for (int fr = 1; fr <= info.length; fr++) {
        int n = 0, got;
        for (size_t k = det.first[fr]; k < det.first[fr + 1]; k++) {
            const struct cw_mot_box *b = &det.box[k];
            memset(&dets[n], 0, sizeof(dets[n]));
            dets[n].box = (struct cw_box){b->x, b->y, b->w, b->h};
            dets[n].score = (float)b->conf;
            dets[n].cls = CW_CLASS_PEDESTRIAN;
            n++;
        }
        int64_t t0 = cw_clock_mono_ns();
        got = cw_tracker_update(t, dets, n, outs, (int)(most + 1) * 4);
        track_ns += cw_clock_mono_ns() - t0;
        if (got < 0)
            goto out;
        for (int i = 0; i < got; i++) {
            if (nrows == cap) {
                struct row *r = realloc(rows, sizeof(*rows) * cap * 2);
                if (!r) {
                    cw_log_error("mot", "out of memory");
                    goto out;
                }
                rows = r;
                cap *= 2;
            }
            rows[nrows++] = (struct row){fr, outs[i].id, outs[i].box, outs[i].score};
        }
    }
    if (interpolate(&rows, &nrows, &cap, (int)(o.trk.interpolate_s * o.trk.fps + 0.5))) {
        cw_log_error("mot", "out of memory");
        goto out;
    }
    qsort(rows, nrows, sizeof(*rows), cmp_frame_id);
    f = fopen(o.out, "w");
    if (!f) {
        cw_log_error("mot", "%s: cannot write", o.out);
        goto out;
    }
    for (size_t i = 0; i < nrows; i++)
        fprintf(f, "%d,%d,%.2f,%.2f,%.2f,%.2f,%.3f,-1,-1,-1\n", rows[i].frame, rows[i].id,
                rows[i].b.x, rows[i].b.y, rows[i].b.w, rows[i].b.h,
                rows[i].score < 0 ? 1.0 : rows[i].score);
    if (fclose(f) != 0) {
        cw_log_error("mot", "%s: write failed (disk full?)", o.out);
        goto out;
    }
    double secs = (double)track_ns / 1e9;
    if (o.json)
        printf("{\"frames\":%d,\"detections\":%zu,\"boxes\":%zu,\"tracker_s\":%.6f,"
               "\"frames_per_s\":%.1f,\"bad_detections\":%" PRIu64 "}\n",
               info.length, det.n, nrows, secs, info.length / fmax(secs, 1e-9),
               cw_tracker_bad_detections(t));
    else
        printf("tracked %d frames (%zu detections) into %zu boxes; tracker %.1f frames/s\n",
               info.length, det.n, nrows, info.length / fmax(secs, 1e-9));
    ret = CW_EXIT_OK;
out:
    cw_mot_file_release(&det);
    cw_tracker_free(t);
    free(dets);
    free(outs);
    free(rows);
out_opts:
    cw_options_release(mot_options, &o);
    return ret;
}
