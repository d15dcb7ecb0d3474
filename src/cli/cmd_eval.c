/* crosswatch eval: score crosswatch's output against ground truth.
 *   eval tracks  — tracks against MOTChallenge ground truth (HOTA, MOTA, IDF1 … as TrackEval) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "crosswatch/clock.h"
#include "crosswatch/error.h"
#include "crosswatch/log.h"
#include "crosswatch/event_eval.h"
#include "crosswatch/mot.h"

#define MAX_SEQS 256

static const char *const benchmarks[] = {"auto", "MOT15", "MOT17", "MOT20", NULL};

struct tracks_opts {
    char *gt;
    char *res;
    char *seqinfo;
    char *seqs;
    int benchmark;
    bool json;
};

#define OFS(f) offsetof(struct tracks_opts, f)
static const struct cw_option tracks_options[] = {
    {"gt",
     CW_OPT_STRING,
     OFS(gt),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "ground truth: a gt.txt, a sequence folder (gt/gt.txt + seqinfo.ini) or a folder of them"},
    {"res",
     CW_OPT_STRING,
     OFS(res),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "tracker output: a file, or a folder of <sequence>.txt"},
    {"seqinfo",
     CW_OPT_STRING,
     OFS(seqinfo),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "seqinfo.ini when --gt is a file (default: next to its gt/ folder)"},
    {"seqs",
     CW_OPT_STRING,
     OFS(seqs),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "comma-separated sequences to score (default: every one with tracker output)"},
    {"benchmark",
     CW_OPT_ENUM,
     OFS(benchmark),
     {.i = 0},
     0,
     0,
     benchmarks,
     NULL,
     "preprocessing rules; auto picks MOT15 for ground truth without classes"},
    {"json",
     CW_OPT_BOOL,
     OFS(json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print one JSON object per sequence"},
    {NULL},
};

const struct cw_command cw__cmd_eval_desc = {
    "eval", "tracks|events ...",
    "score tracks (HOTA, MOTA, IDF1 as TrackEval) or violations (precision, recall) against truth",
    cw__cmd_eval};

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

struct job {
    char name[256];
    char gt[1200], seqinfo[1200], res[1200];
};

static bool wanted(const char *seqs, const char *name)
{
    const char *p = seqs;
    size_t n = strlen(name);
    if (!seqs)
        return true;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static int cmp_job(const void *a, const void *b)
{
    return strcmp(((const struct job *)a)->name, ((const struct job *)b)->name);
}

/* Works out the sequences to score from --gt / --res. */
static int plan(const struct tracks_opts *o, struct job *jobs, int *n)
{
    char path[1100];
    *n = 0;
    if (is_file(o->gt)) {
        struct job *j = &jobs[(*n)++];
        char *slash;
        snprintf(j->gt, sizeof(j->gt), "%s", o->gt);
        if (o->seqinfo)
            snprintf(j->seqinfo, sizeof(j->seqinfo), "%s", o->seqinfo);
        else {
            snprintf(path, sizeof(path), "%s", o->gt);
            slash = strrchr(path, '/');
            if (slash)
                *slash = 0;
            else
                snprintf(path, sizeof(path), ".");
            snprintf(j->seqinfo, sizeof(j->seqinfo), "%s/../seqinfo.ini", path);
        }
        if (!is_file(o->res)) {
            cw_log_error("eval", "--res %s: not a file; with --gt a file, give the tracker's file",
                         o->res);
            return CW_EINVAL;
        }
        snprintf(j->res, sizeof(j->res), "%s", o->res);
        snprintf(j->name, sizeof(j->name), "%s", "sequence");
        return 0;
    }
    if (!is_dir(o->gt)) {
        cw_log_error("eval", "--gt %s: no such file or folder", o->gt);
        return CW_ENOENT;
    }
    snprintf(path, sizeof(path), "%s/seqinfo.ini", o->gt);
    if (is_file(path)) {
        struct job *j = &jobs[(*n)++];
        const char *base = strrchr(o->gt, '/');
        base = base && base[1] ? base + 1 : o->gt;
        snprintf(j->name, sizeof(j->name), "%s", base);
        snprintf(j->seqinfo, sizeof(j->seqinfo), "%s", path);
        snprintf(j->gt, sizeof(j->gt), "%s/gt/gt.txt", o->gt);
        if (is_dir(o->res))
            snprintf(j->res, sizeof(j->res), "%s/%s.txt", o->res, j->name);
        else
            snprintf(j->res, sizeof(j->res), "%s", o->res);
        return 0;
    }
    DIR *d = opendir(o->gt);
    struct dirent *e;
    if (!d) {
        cw_log_error("eval", "--gt %s: cannot read the folder", o->gt);
        return CW_EIO;
    }
    if (!is_dir(o->res)) {
        closedir(d);
        cw_log_error("eval",
                     "--res %s: not a folder; with --gt a folder of sequences, give a "
                     "folder of <sequence>.txt",
                     o->res);
        return CW_EINVAL;
    }
    while ((e = readdir(d)) && *n < MAX_SEQS) {
        struct job *j = &jobs[*n];
        if (e->d_name[0] == '.' || !wanted(o->seqs, e->d_name))
            continue;
        snprintf(j->seqinfo, sizeof(j->seqinfo), "%s/%s/seqinfo.ini", o->gt, e->d_name);
        snprintf(j->res, sizeof(j->res), "%s/%s.txt", o->res, e->d_name);
        if (!is_file(j->seqinfo) || (!is_file(j->res) && !o->seqs))
            continue;
        snprintf(j->name, sizeof(j->name), "%s", e->d_name);
        snprintf(j->gt, sizeof(j->gt), "%s/%s/gt/gt.txt", o->gt, e->d_name);
        (*n)++;
    }
    closedir(d);
    if (*n == 0) {
        cw_log_error("eval", "no sequence in %s has tracker output in %s (<sequence>.txt)", o->gt,
                     o->res);
        return CW_ENOENT;
    }
    qsort(jobs, (size_t)*n, sizeof(*jobs), cmp_job);
    return 0;
}

static int eval_tracks(int argc, char **argv)
{
    struct tracks_opts o = {0};
    struct job *jobs = NULL;
    struct cw_mot_metrics *res = NULL, all;
    char *pos[1];
    int n_pos, n = 0, ret = CW_EXIT_FAIL;
    bool help;
    int64_t t0 = cw_clock_mono_ns();

    cw_options_defaults(tracks_options, &o);
    ret = cw__cli_parse(tracks_options, &o, argc, argv, "eval tracks", pos, 0, &n_pos, &help);
    if (ret || help || !o.gt || !o.res) {
        if (help)
            cw__cli_usage(&cw__cmd_eval_desc, tracks_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch eval tracks --gt <path> --res <path>; see --help\n");
        ret = help ? CW_EXIT_OK : CW_EXIT_USAGE;
        goto out;
    }
    ret = CW_EXIT_FAIL;
    jobs = calloc(MAX_SEQS, sizeof(*jobs));
    res = calloc(MAX_SEQS, sizeof(*res));
    if (!jobs || !res || plan(&o, jobs, &n))
        goto out;
    if (!o.json)
        cw_mot_print_header(stdout);
    for (int i = 0; i < n; i++) {
        struct cw_mot_seqinfo info;
        struct cw_mot_file gt, tr;
        int err;
        if (cw_mot_read_seqinfo(jobs[i].seqinfo, &info))
            goto out;
        if (cw_mot_load(jobs[i].gt, info.length, true, &gt))
            goto out;
        if (cw_mot_load(jobs[i].res, info.length, false, &tr)) {
            cw_mot_file_release(&gt);
            goto out;
        }
        err = cw_mot_evaluate(&gt, &tr, (enum cw_mot_benchmark)o.benchmark, jobs[i].name, &res[i]);
        cw_mot_file_release(&gt);
        cw_mot_file_release(&tr);
        if (err)
            goto out;
        if (o.json)
            cw_mot_print_json(stdout, jobs[i].name, &res[i]);
        else
            cw_mot_print_row(stdout, jobs[i].name, &res[i]);
    }
    if (n > 1) {
        cw_mot_combine(res, n, &all);
        if (o.json)
            cw_mot_print_json(stdout, "COMBINED", &all);
        else
            cw_mot_print_row(stdout, "COMBINED", &all);
    }
    cw_log_debug("eval", "scored %d sequences in %.3f s", n,
                 (double)(cw_clock_mono_ns() - t0) / 1e9);
    ret = CW_EXIT_OK;
out:
    free(jobs);
    free(res);
    cw_options_release(tracks_options, &o);
    return ret;
}

struct events_opts {
    char *truth;
    char *events;
    double tolerance_s;
    double min_iou;
    bool json;
};

#define EOFS(f) offsetof(struct events_opts, f)
static const struct cw_option events_options[] = {
    {"truth",
     CW_OPT_STRING,
     EOFS(truth),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "truth.json of a crosswatch-synth scenario"},
    {"events",
     CW_OPT_STRING,
     EOFS(events),
     {.s = NULL},
     0,
     0,
     NULL,
     NULL,
     "detected events: JSON lines (or an array) with type, time_s or frame, box"},
    {"tolerance_s",
     CW_OPT_DOUBLE,
     EOFS(tolerance_s),
     {.d = 2.0},
     0,
     60,
     NULL,
     "s",
     "largest time difference between a detection and the truth it matches"},
    {"min_iou",
     CW_OPT_DOUBLE,
     EOFS(min_iou),
     {.d = 0.3},
     0,
     1,
     NULL,
     NULL,
     "smallest overlap of an event's box with the actor's true box"},
    {"json",
     CW_OPT_BOOL,
     EOFS(json),
     {.b = false},
     0,
     0,
     NULL,
     NULL,
     "print one JSON object per type"},
    {NULL},
};

static const struct cw_command events_desc = {
    "eval", "events --truth <truth.json> --events <events.jsonl>",
    "score detected violations against a synthetic scenario's truth (precision, recall, F1)", NULL};

static int eval_events(int argc, char **argv)
{
    struct events_opts o = {0};
    struct cw_event_set truth, boxes, det;
    struct cw_event_report rep;
    struct cw_event_eval_config cfg;
    char *pos[1];
    int n_pos, ret;
    bool help;
    double fps;

    cw_options_defaults(events_options, &o);
    ret = cw__cli_parse(events_options, &o, argc, argv, "eval events", pos, 0, &n_pos, &help);
    if (ret || help || !o.truth || !o.events) {
        if (help)
            cw__cli_usage(&events_desc, events_options);
        else if (!ret)
            fprintf(stderr, "usage: crosswatch eval events --truth <truth.json> --events "
                            "<events.jsonl>; see --help\n");
        cw_options_release(events_options, &o);
        return help ? CW_EXIT_OK : CW_EXIT_USAGE;
    }
    ret = CW_EXIT_FAIL;
    if (cw_event_truth_load(o.truth, &truth, &fps, &boxes))
        goto out;
    if (cw_event_detections_load(o.events, fps, &det))
        goto out_truth;
    cfg.tolerance_s = o.tolerance_s;
    cfg.min_iou = o.min_iou;
    if (cw_event_evaluate(&truth, &boxes, &det, &cfg, &rep) == 0) {
        cw_event_report_print(&rep, stdout, o.json);
        ret = CW_EXIT_OK;
    }
    cw_event_set_release(&det);
out_truth:
    cw_event_set_release(&truth);
    cw_event_set_release(&boxes);
out:
    cw_options_release(events_options, &o);
    return ret;
}

int cw__cmd_eval(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "tracks"))
        return eval_tracks(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "events"))
        return eval_events(argc - 1, argv + 1);
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: crosswatch eval tracks --gt <path> --res <path> [options]\n"
               "       crosswatch eval events --truth <truth.json> --events <events.jsonl> "
               "[options]\n\n"
               "  tracks   %s\n  events   %s\n\n'crosswatch eval tracks --help' and 'crosswatch "
               "eval events --help' list the options.\n",
               cw__cmd_eval_desc.summary, events_desc.summary);
        return CW_EXIT_OK;
    }
    fprintf(stderr, "usage: crosswatch eval tracks|events ...; see 'crosswatch eval --help'\n");
    return CW_EXIT_USAGE;
}
